"""Tests of utacbook.studies.ising.limits: the Potts chapter's studies."""

import numpy as np
import pytest

from utacbook._kernels import potts as K
from utacbook._kernels.rng import make_streams
from utacbook.models import _potts as potts_model
from utacbook.studies.ising import limits


def _z(x, exact):
    value, err = x
    return (value - exact) / err


def test_q2_potts_is_ising_with_half_coupling():
    # enumeration: e_Potts(T; J) = -J + e_Ising(T; J/2), exactly
    from utacbook.theory import enumerate_lattice
    for T in (0.8, 1.5):
        ising = enumerate_lattice(4, T, J=0.5)["energy"]
        assert potts_model.enumerate_potts(4, T, q=2)["energy"] == pytest.approx(-1.0 + ising, rel=1e-12)
    # simulation at the Ising T_c of the mapped model vs Kaufman's exact finite torus
    L, T = 16, potts_model.potts_tc(2)
    r = potts_model.simulate_potts(L, T, q=2, sweeps=30_000, burn_in=500, seed=3)
    assert abs(_z(r.mean_energy, limits.ising_equivalent_energy(L, T))) < 4


def test_first_order_histogram_is_double_peaked_for_q10():
    r = potts_model.simulate_potts(12, potts_model.potts_tc(10), q=10, sweeps=30_000, burn_in=1000, seed=2)
    sp = limits.phase_split(r.energy)
    assert sp is not None  # a dip between two separated peaks was found
    eo, ed = potts_model.transition_energies(10)
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
    T_eq, w_eq = limits.reweight_to_equal_weight(r.energy, r.T, r.N, e_cut=sp["e_cut"])
    assert potts_model.potts_tc(10) < T_eq < potts_model.potts_tc(10) * 1.05
    assert np.sum(w_eq[r.energy < sp["e_cut"]]) == pytest.approx(0.5, abs=1e-6)


def test_scaling_slope_recovers_power_law():
    L = np.array([8, 12, 16, 24])
    s, ds = limits.scaling_slope(L, 3.0 * L ** 1.5, 0.01 * L ** 1.5)
    assert s == pytest.approx(1.5, abs=1e-10)


def test_wolff_q2_matches_kaufman_at_tc():
    L, T = 16, potts_model.potts_tc(2)
    r = potts_model.simulate_potts_wolff(L, T, q=2, sweeps=20_000, burn_in=200, seed=4)
    ref = limits.ising_reference([L])
    assert abs(_z(r.mean_energy, ref["energy"][0])) < 4
    assert abs(_z(r.specific_heat, ref["specific_heat"][0])) < 4
    assert r.tau_int["energy"] < 5   # clusters decorrelate fast at T_c


def test_ising_reference_and_effective_exponent():
    from utacbook.theory import kaufman
    ref = limits.ising_reference([8, 12])
    Tc = potts_model.potts_tc(2)
    assert ref["energy"][1] == pytest.approx(-1.0 + kaufman(12, Tc, 0.5)["energy"])
    assert ref["specific_heat"][0] == pytest.approx(kaufman(8, Tc, 0.5)["specific_heat"])
    L = np.array([16, 32, 64])
    s, ds = limits.effective_exponent(L, -0.3 * L ** -0.8, 1e-3 * L ** -0.8)
    assert s == pytest.approx(-0.8, abs=1e-10)


def test_cluster_and_universality_study_layout():
    r = limits.universality_study(qs=(2, 3), sizes=(4, 6), sweeps=200, burn_in=10, seed=1)
    assert set(r) == {"q2", "q3"}
    d = r["q3"]
    assert d["q"] == 3 and d["sizes"] == [4, 6] and len(d["energy"]) == 2
    assert d["e_c"] == pytest.approx(-(1 + 1 / np.sqrt(3)))
    # seeds: q number k, size number j uses seed + 100 k + j
    again = potts_model.simulate_potts_wolff(6, d["T_c"], q=3, sweeps=200, burn_in=10, seed=1 + 100 + 1)
    assert again.mean_energy[0] == d["energy"][1]


def test_potts_claims_are_well_formed():
    cs = limits.claims()
    ids = [c.id for c in cs]
    assert len(set(ids)) == len(ids) and all(i.startswith("ising.limits.") for i in ids)
    assert sum(c.criterion is None for c in cs) == 2
    # the k of the two code checks follows from the number of comparisons (Bonferroni, 5 %)
    import utacbook.claims as uc
    by = {c.id.split(".")[-1]: c for c in cs}
    assert by["exact_checks"].criterion.k == pytest.approx(uc.familywise_k(limits.N_EXACT_CHECKS), abs=0.005)
    assert by["cluster_check"].criterion.k == pytest.approx(uc.familywise_k(limits.N_CLUSTER_CHECKS), abs=0.005)
    for name in ("exact_checks", "cluster_check"):
        assert "chosen after the first run" in by[name].note and "familywise_k" in by[name].note
    assert limits.claims(n_exact=4)[3].criterion.k == pytest.approx(uc.familywise_k(4), abs=0.005)


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
