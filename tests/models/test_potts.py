"""Tests of utacbook.potts: exact enumeration, the q = 2 <-> Ising map, Baxter's results, kernels."""

import numpy as np
import pytest

from utacbook.models import _potts as potts_model


def _z(x, exact):
    value, err = x
    return (value - exact) / err


@pytest.mark.parametrize("L,q,T", [(2, 3, 0.9), (2, 5, 0.7), (4, 2, 1.2)])
def test_heatbath_matches_complete_enumeration(L, q, T):
    r = potts_model.simulate_potts(L, T, q=q, sweeps=100_000, burn_in=100, seed=7)
    ex = potts_model.enumerate_potts(L, T, q=q)
    assert abs(_z(r.mean_energy, ex["energy"])) < 4
    assert abs(_z(r.mean_order, ex["order"])) < 4
    assert abs(_z(r.specific_heat, ex["specific_heat"])) < 4


def test_enumeration_limits():
    # T -> 0: every bond satisfied (e = -2J), m = 1; T -> infinity: e = -2J/q
    lo = potts_model.enumerate_potts(2, 0.02, q=3)
    assert lo["energy"] == pytest.approx(-2.0) and lo["order"] == pytest.approx(1.0)
    hi = potts_model.enumerate_potts(2, 1e6, q=3)
    assert hi["energy"] == pytest.approx(-2.0 / 3.0, abs=1e-5)


def test_baxter_exact_values():
    assert potts_model.potts_tc(2) == pytest.approx(1.0 / np.log(1 + np.sqrt(2)))
    # q = 2: T_c(Potts, J) = T_c(Ising, J/2) = (J/2) * 2/ln(1+sqrt2)
    from utacbook.theory import onsager_tc
    assert potts_model.potts_tc(2) == pytest.approx(onsager_tc(0.5))
    assert potts_model.latent_heat(4) == 0.0 and potts_model.latent_heat(3) == 0.0
    eo, ed = potts_model.transition_energies(10)
    # Challa, Landau & Binder (1986) quote e_+ = -0.9682, e_- = -1.6643 for q = 10
    assert ed == pytest.approx(-0.9682, abs=1e-4)
    assert eo == pytest.approx(-1.6643, abs=1e-4)
    assert potts_model.latent_heat(10) == pytest.approx(0.6960, abs=1e-4)
    # the latent heat vanishes continuously (essential singularity) as q -> 4+
    lh = potts_model.latent_heat
    assert 0 < lh(4.2) < 1e-3 < lh(5) < lh(8) < lh(10)


def test_same_seed_identical_at_1_and_2_threads(at_1_and_2_threads):
    runs = at_1_and_2_threads(lambda: potts_model.simulate_potts(32, 1.0, q=3, sweeps=20, burn_in=2,
                                                       seed=5))
    np.testing.assert_array_equal(runs[0].energy, runs[1].energy)
    np.testing.assert_array_equal(runs[0].magnetization, runs[1].magnetization)
    np.testing.assert_array_equal(runs[0].spins, runs[1].spins)


def test_order_parameter_and_energy_series_match_final_state():
    r = potts_model.simulate_potts(6, 0.5, q=4, sweeps=10, burn_in=0, init="ordered", seed=1)
    s = r.spins.astype(np.int64)
    B = (s == np.roll(s, -1, 0)).sum() + (s == np.roll(s, -1, 1)).sum()
    assert r.energy[-1] == pytest.approx(-B / 36)
    nmax = np.bincount(s.ravel(), minlength=4).max()
    assert r.magnetization[-1] == pytest.approx((4 * nmax / 36 - 1) / 3)


def test_input_validation():
    with pytest.raises(ValueError, match="L"):
        potts_model.simulate_potts(5, 1.0, q=3)
    with pytest.raises(ValueError, match="q"):
        potts_model.simulate_potts(4, 1.0, q=1)
    with pytest.raises(TypeError, match="q"):
        potts_model.simulate_potts(4, 1.0, q=2.5)
    with pytest.raises(ValueError, match="T"):
        potts_model.simulate_potts(4, -1.0, q=3)
    with pytest.raises(ValueError, match="init"):
        potts_model.simulate_potts(4, 1.0, q=3, init=np.full((4, 4), 3))
    with pytest.raises(ValueError, match="too many"):
        potts_model.enumerate_potts(4, 1.0, q=3)


# --------------------------------------------------------------------------
# Wolff cluster algorithm and the universality-class study
# --------------------------------------------------------------------------

@pytest.mark.parametrize("L,q,T", [(2, 3, 0.9), (2, 5, 0.7), (4, 2, 1.2)])
def test_wolff_matches_complete_enumeration(L, q, T):
    r = potts_model.simulate_potts_wolff(L, T, q=q, sweeps=60_000, burn_in=100, seed=11)
    ex = potts_model.enumerate_potts(L, T, q=q)
    assert abs(_z(r.mean_energy, ex["energy"])) < 4
    assert abs(_z(r.mean_order, ex["order"])) < 4
    assert abs(_z(r.specific_heat, ex["specific_heat"])) < 4


def test_wolff_is_reproducible_and_series_match_state():
    a = potts_model.simulate_potts_wolff(8, 1.0, q=3, sweeps=50, burn_in=5, seed=2)
    b = potts_model.simulate_potts_wolff(8, 1.0, q=3, sweeps=50, burn_in=5, seed=2)
    np.testing.assert_array_equal(a.energy, b.energy)
    s = a.spins.astype(np.int64)
    B = (s == np.roll(s, -1, 0)).sum() + (s == np.roll(s, -1, 1)).sum()
    assert a.energy[-1] == pytest.approx(-B / 64)
    with pytest.raises(ValueError, match="burn_in"):
        potts_model.simulate_potts_wolff(8, 1.0, q=3, burn_in=0)
