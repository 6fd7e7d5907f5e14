"""Tests of utacbook.spinglass: frustration, gauge identities, the ground-state bound, annealing."""

import numpy as np
import pytest

from utacbook.studies.ising import spin_glass as sg
from utacbook.models import simulate_graph


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


# --------------------------------------------------------------------------
# exact ground states of open lattices (matching)
# --------------------------------------------------------------------------

def _dense_matching_energy(Jh, Jv):
    """Reference: the same matching on the complete graph of frustrated plaquettes (no pruning)."""
    import networkx as nx
    L = Jh.shape[0]
    prod = Jh[:-1, :-1] * Jv[:-1, 1:] * Jh[1:, :-1] * Jv[:-1, :-1]
    fi, fj = np.nonzero(prod < 0)
    b = np.minimum.reduce([fi + 1, fj + 1, L - 1 - fi, L - 1 - fj])
    w = b[:, None] + b[None, :] - (np.abs(fi[:, None] - fi[None, :]) + np.abs(fj[:, None] - fj[None, :]))
    G = nx.Graph()
    G.add_nodes_from(range(fi.size))
    a, c = np.nonzero(np.triu(w > 0, 1))
    G.add_weighted_edges_from((int(x), int(y), int(w[x, y])) for x, y in zip(a, c))
    M = nx.max_weight_matching(G)
    n_unsat = int(b.sum() - sum(w[x, y] for x, y in M))
    return (2 * n_unsat - 2 * L * (L - 1)) / L ** 2


def test_open_ground_state_matches_complete_enumeration():
    for k in range(60):
        Jh, Jv = sg.sample_couplings(4, seed=3, index=k)
        assert np.all(Jh[:, -1] == 0) and np.all(Jv[-1, :] == 0)
        exact, _ = sg.enumerate_ground_state(Jh, Jv)
        r = sg.ground_state_open(Jh, Jv)
        assert r["e0"] == pytest.approx(exact, abs=1e-12)
        # the returned configuration has that energy, and the bound holds
        assert sg.energy_per_spin(r["spins"], Jh, Jv) == pytest.approx(r["e0"], abs=1e-12)
        assert r["e0"] >= sg.ground_state_bound(Jh, Jv) - 1e-12


def test_open_ground_state_pruned_matching_equals_dense_matching():
    for L, n in ((6, 30), (9, 20), (12, 10)):
        for k in range(n):
            Jh, Jv = sg.sample_couplings(L, seed=4, index=k)
            r = sg.ground_state_open(Jh, Jv)
            assert r["e0"] == pytest.approx(_dense_matching_energy(Jh, Jv), abs=1e-12)
            assert sg.energy_per_spin(r["spins"], Jh, Jv) == pytest.approx(r["e0"], abs=1e-12)
            assert r["n_frustrated"] == sg.frustrated_plaquettes(Jh, Jv).sum()


def test_pruned_matching_equals_unpruned_reference_more_sizes_and_p():
    # the module's unpruned reference agrees with this file's own implementation
    for k in range(5):
        Jh, Jv = sg.sample_couplings(9, seed=6, index=k)
        L = 9
        assert (2 * sg.matching_unsat_unpruned(Jh, Jv) - 2 * L * (L - 1)) / L ** 2 == \
            pytest.approx(_dense_matching_energy(Jh, Jv), abs=1e-12)
    # sparse frustration (p = 0.1, 0.25: long, often collinear strings) and larger lattices
    for L, p, n in ((12, 0.1, 15), (12, 0.25, 15), (16, 0.5, 6), (20, 0.5, 3)):
        for k in range(n):
            Jh, Jv = sg.sample_couplings(L, p=p, seed=8, index=k)
            assert sg.ground_state_open(Jh, Jv)["n_unsat"] == sg.matching_unsat_unpruned(Jh, Jv), (L, p, k)
    with pytest.raises(ValueError, match="open"):
        sg.matching_unsat_unpruned(*sg.pm_j_couplings(6, seed=1))


def test_pruning_keeps_the_optimum_on_random_plaquette_sets():
    # any set of plaquettes can be frustrated on the open lattice: dense random sets stress the
    # pruning (many pairs are blocked by a third frustrated plaquette)
    import networkx as nx
    rng = np.random.default_rng(12)
    for _trial in range(300):
        P = int(rng.integers(3, 11))
        mask = rng.random((P, P)) < rng.uniform(0.05, 0.7)
        fi, fj = (a.astype(np.int64) for a in np.nonzero(mask))
        if fi.size < 2:
            continue
        L = P + 1
        b = np.minimum.reduce([fi + 1, fj + 1, L - 1 - fi, L - 1 - fj]).astype(np.int64)
        T = -np.ones((P, P), dtype=np.int64)
        T[fi, fj] = np.arange(fi.size)
        G = nx.Graph()
        G.add_nodes_from(range(fi.size))
        G.add_weighted_edges_from((int(a), int(c), int(w)) for a, c, w in sg._open_pairs(T, fi, fj, b))
        pruned = b.sum() - sum(G[a][c]["weight"] for a, c in nx.max_weight_matching(G))
        w = b[:, None] + b[None, :] - (np.abs(fi[:, None] - fi[None, :]) + np.abs(fj[:, None] - fj[None, :]))
        H = nx.Graph()
        H.add_nodes_from(range(fi.size))
        x, y = np.nonzero(np.triu(w > 0, 1))
        H.add_weighted_edges_from((int(i), int(j), int(w[i, j])) for i, j in zip(x, y))
        full = b.sum() - sum(w[i, j] for i, j in nx.max_weight_matching(H))
        assert pruned == full, (P, list(zip(fi.tolist(), fj.tolist())))


def test_open_ground_state_unfrustrated_cases():
    L = 7
    for p in (0.0, 1.0):   # ferromagnet and (bipartite) antiferromagnet: every bond satisfied
        Jh, Jv = sg.open_lattice(*sg.pm_j_couplings(L, p=p, seed=1))
        r = sg.ground_state_open(Jh, Jv)
        assert r["n_unsat"] == 0 and r["e0"] == pytest.approx(-2 * L * (L - 1) / L ** 2)
    # a single frustrated plaquette pair next to the edge: one unsatisfied bond
    Jh, Jv = sg.open_lattice(np.ones((L, L)), np.ones((L, L)))
    Jh[0, 3] = -1   # top-row bond: frustrates plaquette (0, 3) only (its other side is the outer face)
    r = sg.ground_state_open(Jh, Jv)
    assert r["n_frustrated"] == 1 and r["n_unsat"] == 1


def test_open_ground_state_input_validation():
    Jh, Jv = sg.pm_j_couplings(6, seed=1)
    with pytest.raises(ValueError, match="open"):
        sg.ground_state_open(Jh, Jv)          # periodic couplings
    Jh, Jv = sg.open_lattice(Jh, Jv)
    Jh[2, 2] = 0.5
    with pytest.raises(ValueError, match="±1"):
        sg.ground_state_open(Jh, Jv)
    with pytest.raises(ValueError, match="one sample"):
        sg.ground_state_open(*sg.open_lattice(*sg.pm_j_couplings(6, n_copies=2, seed=1)))


def test_sample_couplings_are_reproducible_per_index():
    a = sg.sample_couplings(10, seed=7, index=3)
    b = sg.sample_couplings(10, seed=7, index=3)
    c = sg.sample_couplings(10, seed=7, index=4)
    np.testing.assert_array_equal(a[0], b[0])
    assert not np.array_equal(a[0], c[0])
    per = sg.sample_couplings(10, seed=7, index=3, boundary="periodic")
    np.testing.assert_array_equal(per[0][:, :-1], a[0][:, :-1])   # open = periodic minus wrap bonds


def test_ground_state_study_and_energies():
    r = sg.ground_state_study(sizes=(4, 6), n_samples=(5, 3), seed=2)
    assert r["sizes"] == [4, 6] and len(r["n_unsat"][0]) == 5
    e = sg.open_energies(4, r["n_unsat"][0])
    for k in range(5):
        assert e[k] == pytest.approx(sg.enumerate_ground_state(*sg.sample_couplings(4, seed=2, index=k))[0])
    assert r["e0_mean"][0] == pytest.approx(e.mean())


def test_extrapolation_recovers_exact_coefficients():
    L = np.array([8, 12, 16, 24, 32, 48])
    e = -1.4 + 0.9 / L - 1.5 / L ** 2
    f = sg.extrapolate_ground_state(L, e, np.full(L.size, 1e-4))
    assert f["e_inf"] == pytest.approx(-1.4, abs=1e-10)
    assert f["a"] == pytest.approx(0.9, abs=1e-8) and f["b"] == pytest.approx(-1.5, abs=1e-6)
    assert f["chi2"] == pytest.approx(0.0, abs=1e-12) and f["dof"] == 3
    g = sg.extrapolate_ground_state(L, e, np.full(L.size, 1e-4), L_min=12)
    assert g["sizes"] == [12, 16, 24, 32, 48]
    with pytest.raises(ValueError, match="4 sizes"):
        sg.extrapolate_ground_state(L, e, np.full(L.size, 1e-4), L_min=24)


def test_open_annealing_is_an_upper_bound_and_small_systems_reach_the_ground_state():
    st = sg.annealing_study(sizes=(6,), total_sweeps=(600,), n_samples=4, n_restarts=3,
                            boundary="open", seed=5)
    r = st[0]
    assert np.all(r["excess_samples"] >= -1e-12)
    for k in range(4):
        assert r["e0_samples"][k] <= r["e_samples"][k] + 1e-12
    assert r["n_at_ground"] == 4   # a 6x6 open lattice is easy


def test_unsatisfied_fraction_and_bound_on_open_lattices():
    L = 5
    Jh, Jv = sg.open_lattice(np.ones((L, L)), np.ones((L, L)))
    s = np.ones((L, L), dtype=int)
    s[0, 0] = -1   # corner spin: two unsatisfied bonds of 2L(L-1) = 40
    assert sg.unsatisfied_fraction(s, Jh, Jv) == pytest.approx(2 / 40)
    assert sg.ground_state_bound(Jh, Jv) == pytest.approx(-40 / 25)


def test_mattis_couplings_have_mixed_signs_and_no_frustration():
    Jh, Jv, xi = sg.mattis_couplings(12, n_copies=20, seed=3)
    neg = np.mean(np.concatenate([Jh.ravel(), Jv.ravel()]) < 0)
    assert 0.4 < neg < 0.6
    assert sg.frustrated_plaquettes(Jh, Jv).sum() == 0
    np.testing.assert_allclose(sg.energy_per_spin(xi, Jh, Jv), -2.0)


def test_overlap_helpers():
    small = {"L": 8, "temps": np.array([0.5, 1.0]), "q2_mean": np.array([0.45, 0.09]),
             "q2_err": np.array([0.03, 0.009])}
    large = {"L": 12, "temps": np.array([0.5, 1.0]), "q2_mean": np.array([0.45, 0.04]),
             "q2_err": np.array([0.04, 0.004])}
    exc, err = sg.overlap_size_excess(small, large)
    assert exc[1] == pytest.approx(0.0, abs=1e-12)           # paramagnet: exactly the 1/N decay
    assert exc[0] == pytest.approx(0.45 * (1 - 4 / 9))        # frozen: no decay
    assert err[0] == pytest.approx(np.hypot(0.04, 4 / 9 * 0.03))
    q = np.array([[0.9, -0.9, 0.1, 0.2], [0.95, 0.95, 0.9, -0.3]])
    w, dw = sg.overlap_weight(q)
    assert w == pytest.approx((0.5 + 0.25) / 2) and dw == pytest.approx(0.125)


def test_claims_are_well_formed():
    cs = sg.claims()
    ids = [c.id for c in cs]
    assert len(set(ids)) == len(ids) and all(i.startswith("ising.spinglass.") for i in ids)
    assert {c.source for c in cs} <= {"essay", "ours"}
    assert any(c.criterion is None and c.needs for c in cs)


def test_stored_annealing_studies_are_the_chapters_calls_and_reproduce():
    """book/ising/04_spin_glass loads its two annealing_study calls (spin_glass_annealing)."""
    import json
    from utacbook import stored
    from utacbook.stored import _jsonable
    rec = stored.load("spin_glass_annealing")
    assert rec.provenance["function"] == "utacbook.studies.ising.spin_glass:annealing_studies"
    assert rec.provenance["params"] == {
        "sizes": [8, 16], "sizes_large": [32], "total_sweeps": [300, 3000], "n_samples": 8,
        "n_samples_large": 6, "n_restarts": 3, "n_restarts_large": 2, "p": 0.5, "boundary": "open",
        "seed": 31, "seed_large": 32}
    rows = sg.load_annealing_studies(rec)
    assert [(r["L"], r["total_sweeps"]) for r in rows] == [(8, 300), (8, 3000), (16, 300), (16, 3000),
                                                          (32, 300), (32, 3000)]
    chk = sg.spot_check_annealing_studies(rows, rec.provenance["params"])    # L = 8, bit for bit
    assert chk == {"L": 8, "n_rows": 2, "identical": True}
    # the stored-and-loaded rows of a small call equal the direct call's, types included
    kw = dict(sizes=(5,), sizes_large=(6,), total_sweeps=(60,), n_samples=3, n_samples_large=2,
              n_restarts=2, n_restarts_large=1, seed=4, seed_large=5)
    res = json.loads(json.dumps(_jsonable(sg.annealing_studies(**kw))))
    direct = sg.annealing_study(sizes=(5,), total_sweeps=(60,), n_samples=3, n_restarts=2,
                                boundary="open", seed=4)
    direct += sg.annealing_study(sizes=(6,), total_sweeps=(60,), n_samples=2, n_restarts=1,
                                 boundary="open", seed=5)
    loaded = sg.load_annealing_studies(res)
    for a, b in zip(direct, loaded, strict=True):
        assert a.keys() == b.keys()
        for k in a:
            if isinstance(a[k], np.ndarray):
                assert b[k].dtype == a[k].dtype and np.array_equal(a[k], b[k])
            else:
                assert type(a[k]) is type(b[k]) and a[k] == b[k]
    bad = [dict(r) for r in loaded]
    bad[0]["e_mean"] += 1e-12
    assert not sg.spot_check_annealing_studies(bad, {**kw, "p": 0.5, "boundary": "open"})["identical"]
