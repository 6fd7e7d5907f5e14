"""Tests of utacbook.spinglass: frustration, gauge identities, the ground-state bound, annealing."""

import numpy as np
import pytest

from utacbook import spinglass as sg
from utacbook.ising import simulate_graph


def test_frustration_of_constructed_couplings_is_exact():
    L = 6
    Jh = np.ones((L, L))
    Jv = np.ones((L, L))
    assert sg.frustration_fraction(Jh, Jv) == 0.0
    # one negative bond frustrates exactly the two plaquettes that share it
    Jh[2, 3] = -1
    fr = sg.frustrated_plaquettes(Jh, Jv)
    assert fr.sum() == 2 and fr[2, 3] and fr[1, 3]
    # a second negative bond on plaquette (2, 3) unfrustrates it again
    Jv[2, 3] = -1
    fr = sg.frustrated_plaquettes(Jh, Jv)
    assert not fr[2, 3] and fr[1, 3] and fr[2, 2] and fr.sum() == 2
    # pure antiferromagnet: every plaquette has four negative bonds -> none frustrated
    assert sg.frustration_fraction(-np.ones((L, L)), -np.ones((L, L))) == 0.0


def test_number_of_frustrated_plaquettes_is_even_and_half_on_average():
    Jh, Jv = sg.pm_j_couplings(12, p=0.5, n_copies=400, seed=5)
    nf = sg.frustrated_plaquettes(Jh, Jv).sum(axis=(1, 2))
    # every bond lies on two plaquettes: the product of all plaquette signs is +1
    assert np.all(nf % 2 == 0)
    f = nf / 144.0
    # symmetric ±J: each plaquette is frustrated with probability exactly 1/2
    err = f.std(ddof=1) / np.sqrt(f.size)
    assert abs(f.mean() - 0.5) < 4 * err
    # p = 0.1: P(frustrated) = (1 - (1 - 2p)^4)/2
    Jh, Jv = sg.pm_j_couplings(12, p=0.1, n_copies=400, seed=6)
    f = sg.frustration_fraction(Jh, Jv)
    exact = (1 - 0.8 ** 4) / 2
    assert abs(f.mean() - exact) < 4 * f.std(ddof=1) / np.sqrt(f.size)


def test_gauge_transformation_leaves_energy_and_frustration_invariant():
    rng = np.random.default_rng(3)
    Jh, Jv = sg.pm_j_couplings(8, seed=rng)
    s = rng.choice([-1, 1], size=(8, 8))
    tau = rng.choice([-1, 1], size=(8, 8))
    Jh2, Jv2, s2 = sg.gauge_transform(Jh, Jv, s, tau)
    assert sg.energy_per_spin(s2, Jh2, Jv2) == pytest.approx(sg.energy_per_spin(s, Jh, Jv))
    assert sg.unsatisfied_fraction(s2, Jh2, Jv2) == sg.unsatisfied_fraction(s, Jh, Jv)
    np.testing.assert_array_equal(sg.frustrated_plaquettes(Jh2, Jv2),
                                  sg.frustrated_plaquettes(Jh, Jv))
    assert not np.array_equal(Jh2, Jh)  # the couplings did change


def test_checkerboard_gauge_maps_antiferromagnet_to_ferromagnet():
    L = 8
    tau = sg.checkerboard_gauge(L)
    Jh, Jv, s = sg.gauge_transform(-np.ones((L, L)), -np.ones((L, L)), tau, tau)
    np.testing.assert_array_equal(Jh, 1.0)
    np.testing.assert_array_equal(Jv, 1.0)
    np.testing.assert_array_equal(s, 1)  # the Néel state maps onto the all-up state
    assert sg.energy_per_spin(tau, -np.ones((L, L)), -np.ones((L, L))) == -2.0
    with pytest.raises(ValueError, match="L"):
        sg.checkerboard_gauge(7)


def test_energy_function_matches_engine_energy():
    Jh, Jv = sg.pm_j_couplings(6, seed=2)
    r = simulate_graph(sg.lattice_adjacency(Jh, Jv), 1.5, sweeps=5, burn_in=0, seed=4)
    s = r.spins.reshape(6, 6)
    assert sg.energy_per_spin(s, Jh, Jv) == pytest.approx(r.energy[-1], abs=1e-12)
    u = sg.unsatisfied_fraction(s, Jh, Jv)
    assert r.energy[-1] == pytest.approx(-2 + 4 * u)  # E = -2N + 2 N_unsat, 2N bonds


def test_bound_holds_and_annealing_finds_exact_ground_states():
    rng = np.random.default_rng(11)
    Jh, Jv = sg.pm_j_couplings(4, n_copies=6, seed=rng)
    exact = np.array([sg.enumerate_ground_state(Jh[k], Jv[k])[0] for k in range(6)])
    bound = sg.ground_state_bound(Jh, Jv)
    assert np.all(exact >= bound - 1e-12)
    assert np.any(exact > bound)  # the bound is not always tight
    e, spins = sg.anneal(np.repeat(Jh, 4, axis=0), np.repeat(Jv, 4, axis=0), total_sweeps=600,
                         seed=1)
    e = e.reshape(6, 4)
    assert np.all(e >= exact[:, None] - 1e-12)  # never below the ground state
    np.testing.assert_allclose(e.min(axis=1), exact)


def test_triangular_antiferromagnet_leaves_one_third_of_bonds_unsatisfied():
    r = sg.triangular_antiferromagnet(6, 12, T=0.25, sweeps=300, burn_in=600, seed=1)
    # ground state: exactly one unsatisfied bond per triangle (thermal defects ~ e^{-4/T})
    assert r["unsat"] == pytest.approx(1 / 3, abs=max(4 * r["unsat_err"], 1e-3))
    assert r["energy"] == pytest.approx(-1.0, abs=max(4 * r["energy_err"], 3e-3))


def test_overlap_ferromagnet_vs_spin_glass():
    temps = np.array([0.5, 0.8, 1.2, 2.0])
    fm = sg.overlap_study(8, temps, p=0.0, n_samples=2, rounds=300, burn_in_rounds=100, seed=1)
    # deep in the ferromagnet q = m_a m_b -> <q^2> = <m^2>^2 ~ 1 (exact m(T=0.5) ~ 1 - 1e-6)
    assert fm["q2_mean"][0] == pytest.approx(1.0, abs=0.01)
    sgl = sg.overlap_study(8, temps, p=0.5, n_samples=4, rounds=300, burn_in_rounds=100, seed=1)
    assert np.all(np.diff(sgl["q2_mean"]) < 0)  # <q^2> falls with T
    assert np.all(sgl["q2_mean"] < fm["q2_mean"])
    assert np.all((sgl["swap_rate"] > 0) & (sgl["swap_rate"] <= 1))
    with pytest.raises(ValueError, match="temps"):
        sg.overlap_study(8, [1.0, 0.5])


def test_input_validation():
    with pytest.raises(ValueError, match="p"):
        sg.pm_j_couplings(8, p=1.5)
    with pytest.raises(TypeError, match="L"):
        sg.pm_j_couplings(8.0)
    with pytest.raises(ValueError, match="L"):
        sg.pm_j_couplings(2)
    with pytest.raises(ValueError, match="modulus 1"):
        sg.ground_state_bound(2 * np.ones((4, 4)), np.ones((4, 4)))
    with pytest.raises(ValueError, match="N = L"):
        sg.enumerate_ground_state(np.ones((5, 5)), np.ones((5, 5)))
