"""Tests of utacbook.potts: exact enumeration, the q = 2 <-> Ising map, Baxter's results, kernels."""

import numpy as np
import pytest

from utacbook import _potts_kernels as K
from utacbook import potts as P
from utacbook._rng import make_streams


def _z(x, exact):
    value, err = x
    return (value - exact) / err


@pytest.mark.parametrize("L,q,T", [(2, 3, 0.9), (2, 5, 0.7), (4, 2, 1.2)])
def test_heatbath_matches_complete_enumeration(L, q, T):
    r = P.simulate_potts(L, T, q=q, sweeps=100_000, burn_in=100, seed=7)
    ex = P.enumerate_potts(L, T, q=q)
    assert abs(_z(r.mean_energy, ex["energy"])) < 4
    assert abs(_z(r.mean_order, ex["order"])) < 4
    assert abs(_z(r.specific_heat, ex["specific_heat"])) < 4


def test_enumeration_limits():
    # T -> 0: every bond satisfied (e = -2J), m = 1; T -> infinity: e = -2J/q
    lo = P.enumerate_potts(2, 0.02, q=3)
    assert lo["energy"] == pytest.approx(-2.0) and lo["order"] == pytest.approx(1.0)
    hi = P.enumerate_potts(2, 1e6, q=3)
    assert hi["energy"] == pytest.approx(-2.0 / 3.0, abs=1e-5)


def test_q2_potts_is_ising_with_half_coupling():
    # enumeration: e_Potts(T; J) = -J + e_Ising(T; J/2), exactly
    from utacbook.exact import enumerate_lattice
    for T in (0.8, 1.5):
        ising = enumerate_lattice(4, T, J=0.5)["energy"]
        assert P.enumerate_potts(4, T, q=2)["energy"] == pytest.approx(-1.0 + ising, rel=1e-12)
    # simulation at the Ising T_c of the mapped model vs Kaufman's exact finite torus
    L, T = 16, P.potts_tc(2)
    r = P.simulate_potts(L, T, q=2, sweeps=30_000, burn_in=500, seed=3)
    assert abs(_z(r.mean_energy, P.ising_equivalent_energy(L, T))) < 4


def test_baxter_exact_values():
    assert P.potts_tc(2) == pytest.approx(1.0 / np.log(1 + np.sqrt(2)))
    # q = 2: T_c(Potts, J) = T_c(Ising, J/2) = (J/2) * 2/ln(1+sqrt2)
    from utacbook.exact import onsager_tc
    assert P.potts_tc(2) == pytest.approx(onsager_tc(0.5))
    assert P.latent_heat(4) == 0.0 and P.latent_heat(3) == 0.0
    eo, ed = P.transition_energies(10)
    # Challa, Landau & Binder (1986) quote e_+ = -0.9682, e_- = -1.6643 for q = 10
    assert ed == pytest.approx(-0.9682, abs=1e-4)
    assert eo == pytest.approx(-1.6643, abs=1e-4)
    assert P.latent_heat(10) == pytest.approx(0.6960, abs=1e-4)
    # the latent heat vanishes continuously (essential singularity) as q -> 4+
    assert 0 < P.latent_heat(4.2) < 1e-3 < P.latent_heat(5) < P.latent_heat(8) < P.latent_heat(10)


def test_serial_and_parallel_drivers_identical():
    out = []
    for driver in (K.run_heatbath_serial, K.run_heatbath_parallel):
        states, _ = make_streams(9, 9)
        s = K.random_states(8, 3, states[8])
        e, m = np.empty(25), np.empty(25)
        B, n = driver(s, 3, 1.0, 1.0, 5, states, e, m)
        out.append((e, m, s))
        # counters carried along agree with a recount
        B2, n2 = K.counters(s, 3)
        assert B == B2 and np.array_equal(n, n2)
    for a, b in zip(out[0], out[1]):
        np.testing.assert_array_equal(a, b)


def test_same_seed_identical_at_1_and_2_threads(at_1_and_2_threads):
    runs = at_1_and_2_threads(lambda: P.simulate_potts(32, 1.0, q=3, sweeps=20, burn_in=2,
                                                       seed=5))
    np.testing.assert_array_equal(runs[0].energy, runs[1].energy)
    np.testing.assert_array_equal(runs[0].magnetization, runs[1].magnetization)
    np.testing.assert_array_equal(runs[0].spins, runs[1].spins)


def test_order_parameter_and_energy_series_match_final_state():
    r = P.simulate_potts(6, 0.5, q=4, sweeps=10, burn_in=0, init="ordered", seed=1)
    s = r.spins.astype(np.int64)
    B = (s == np.roll(s, -1, 0)).sum() + (s == np.roll(s, -1, 1)).sum()
    assert r.energy[-1] == pytest.approx(-B / 36)
    nmax = np.bincount(s.ravel(), minlength=4).max()
    assert r.magnetization[-1] == pytest.approx((4 * nmax / 36 - 1) / 3)


def test_first_order_histogram_is_double_peaked_for_q10():
    r = P.simulate_potts(12, P.potts_tc(10), q=10, sweeps=30_000, burn_in=1000, seed=2)
    sp = P.phase_split(r.energy)
    assert sp is not None  # a dip between two separated peaks was found
    eo, ed = P.transition_energies(10)
    mid = 0.5 * (eo + ed)
    # both phases visited (weight of the ordered phase is neither ~0 nor ~1) ...
    w, dw = sp["weight_ordered"]
    assert 0.5 < w < 0.995
    # ... and the two phase energies straddle Baxter's mean energy at T_c, each within
    # half a latent heat of its exact value (finite-size shifts at L = 12 are smaller)
    assert sp["e_ordered"][0] < mid < sp["e_disordered"][0]
    assert abs(sp["e_ordered"][0] - eo) < (ed - eo) / 2
    assert abs(sp["e_disordered"][0] - ed) < (ed - eo) / 2
    # the equal-weight temperature lies above T_c, by O(1/L^2)
    T_eq, w_eq = P.reweight_to_equal_weight(r.energy, r.T, r.N, e_cut=sp["e_cut"])
    assert P.potts_tc(10) < T_eq < P.potts_tc(10) * 1.05
    assert np.sum(w_eq[r.energy < sp["e_cut"]]) == pytest.approx(0.5, abs=1e-6)


def test_scaling_slope_recovers_power_law():
    L = np.array([8, 12, 16, 24])
    s, ds = P.scaling_slope(L, 3.0 * L ** 1.5, 0.01 * L ** 1.5)
    assert s == pytest.approx(1.5, abs=1e-10)


def test_input_validation():
    with pytest.raises(ValueError, match="L"):
        P.simulate_potts(5, 1.0, q=3)
    with pytest.raises(ValueError, match="q"):
        P.simulate_potts(4, 1.0, q=1)
    with pytest.raises(TypeError, match="q"):
        P.simulate_potts(4, 1.0, q=2.5)
    with pytest.raises(ValueError, match="T"):
        P.simulate_potts(4, -1.0, q=3)
    with pytest.raises(ValueError, match="init"):
        P.simulate_potts(4, 1.0, q=3, init=np.full((4, 4), 3))
    with pytest.raises(ValueError, match="too many"):
        P.enumerate_potts(4, 1.0, q=3)


# --------------------------------------------------------------------------
# Wolff cluster algorithm and the universality-class study
# --------------------------------------------------------------------------

@pytest.mark.parametrize("L,q,T", [(2, 3, 0.9), (2, 5, 0.7), (4, 2, 1.2)])
def test_wolff_matches_complete_enumeration(L, q, T):
    r = P.simulate_potts_wolff(L, T, q=q, sweeps=60_000, burn_in=100, seed=11)
    ex = P.enumerate_potts(L, T, q=q)
    assert abs(_z(r.mean_energy, ex["energy"])) < 4
    assert abs(_z(r.mean_order, ex["order"])) < 4
    assert abs(_z(r.specific_heat, ex["specific_heat"])) < 4


def test_wolff_q2_matches_kaufman_at_tc():
    L, T = 16, P.potts_tc(2)
    r = P.simulate_potts_wolff(L, T, q=2, sweeps=20_000, burn_in=200, seed=4)
    ref = P.ising_reference([L])
    assert abs(_z(r.mean_energy, ref["energy"][0])) < 4
    assert abs(_z(r.specific_heat, ref["specific_heat"][0])) < 4
    assert r.tau_int["energy"] < 5   # clusters decorrelate fast at T_c


def test_wolff_is_reproducible_and_series_match_state():
    a = P.simulate_potts_wolff(8, 1.0, q=3, sweeps=50, burn_in=5, seed=2)
    b = P.simulate_potts_wolff(8, 1.0, q=3, sweeps=50, burn_in=5, seed=2)
    np.testing.assert_array_equal(a.energy, b.energy)
    s = a.spins.astype(np.int64)
    B = (s == np.roll(s, -1, 0)).sum() + (s == np.roll(s, -1, 1)).sum()
    assert a.energy[-1] == pytest.approx(-B / 64)
    with pytest.raises(ValueError, match="burn_in"):
        P.simulate_potts_wolff(8, 1.0, q=3, burn_in=0)


def test_ising_reference_and_effective_exponent():
    from utacbook.exact import kaufman
    ref = P.ising_reference([8, 12])
    Tc = P.potts_tc(2)
    assert ref["energy"][1] == pytest.approx(-1.0 + kaufman(12, Tc, 0.5)["energy"])
    assert ref["specific_heat"][0] == pytest.approx(kaufman(8, Tc, 0.5)["specific_heat"])
    L = np.array([16, 32, 64])
    s, ds = P.effective_exponent(L, -0.3 * L ** -0.8, 1e-3 * L ** -0.8)
    assert s == pytest.approx(-0.8, abs=1e-10)


def test_cluster_and_universality_study_layout():
    r = P.universality_study(qs=(2, 3), sizes=(4, 6), sweeps=200, burn_in=10, seed=1)
    assert set(r) == {"q2", "q3"}
    d = r["q3"]
    assert d["q"] == 3 and d["sizes"] == [4, 6] and len(d["energy"]) == 2
    assert d["e_c"] == pytest.approx(-(1 + 1 / np.sqrt(3)))
    # seeds: q number k, size number j uses seed + 100 k + j
    again = P.simulate_potts_wolff(6, d["T_c"], q=3, sweeps=200, burn_in=10, seed=1 + 100 + 1)
    assert again.mean_energy[0] == d["energy"][1]


def test_potts_claims_are_well_formed():
    cs = P.claims()
    ids = [c.id for c in cs]
    assert len(set(ids)) == len(ids) and all(i.startswith("ising.limits.") for i in ids)
    assert sum(c.criterion is None for c in cs) == 2
    # the k of the two code checks follows from the number of comparisons (Bonferroni, 5 %)
    import utacbook.claims as uc
    by = {c.id.split(".")[-1]: c for c in cs}
    assert by["exact_checks"].criterion.k == pytest.approx(uc.familywise_k(P.N_EXACT_CHECKS), abs=0.005)
    assert by["cluster_check"].criterion.k == pytest.approx(uc.familywise_k(P.N_CLUSTER_CHECKS), abs=0.005)
    for name in ("exact_checks", "cluster_check"):
        assert "chosen after the first run" in by[name].note and "familywise_k" in by[name].note
    assert P.claims(n_exact=4)[3].criterion.k == pytest.approx(uc.familywise_k(4), abs=0.005)
