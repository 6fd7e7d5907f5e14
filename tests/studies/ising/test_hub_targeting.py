"""Tests of utacbook.studies.ising.hub_targeting: budgets, the mean-field response, gains and flip budgets.

Stochastic checks use tolerances of 4 standard errors from the runs themselves.
"""

import math

import networkx as nx
import numpy as np
import pytest

from utacbook.models import _networks as nw
from utacbook.studies.ising import hub_targeting as hubs
from utacbook.theory import _exact as exact


# ------------------------------------------------------------------ budgets and targets

def test_budget_allocation_sums_to_H_and_targets_right_nodes():
    deg = np.array([5, 1, 9, 3, 9, 2, 7, 1])
    for st in hubs.STRATEGIES:
        h = hubs.allocate_budget(deg, H=12.5, k=3, strategy=st, seed=1)
        assert h.sum() == pytest.approx(12.5) and np.all(h >= 0)
    assert np.array_equal(np.sort(hubs.target_nodes(deg, k=3, strategy="hubs")), [2, 4, 6])
    assert np.array_equal(np.sort(hubs.target_nodes(deg, k=3, strategy="low")), [1, 5, 7])
    assert np.array_equal(hubs.target_nodes(deg, strategy="uniform"), np.arange(8))
    r1 = hubs.target_nodes(deg, k=4, strategy="random", seed=5)
    assert np.array_equal(r1, hubs.target_nodes(deg, k=4, strategy="random", seed=5))
    assert np.unique(r1).size == 4
    h = hubs.allocate_budget(deg, H=6.0, k=3, strategy="hubs")
    assert np.allclose(h[[2, 4, 6]], 2.0) and h.sum() == pytest.approx(6.0)
    with pytest.raises(ValueError, match="strategy"):
        hubs.target_nodes(deg, strategy="celebrities")
    with pytest.raises(ValueError, match="k"):
        hubs.target_nodes(deg, k=9)
    with pytest.raises(ValueError, match="H"):
        hubs.allocate_budget(deg, H=-1.0)


def test_mf_susceptibility_matrix_matches_finite_differences():
    G = nw.barabasi_albert(n=60, m=2, seed=3)
    A = nw.adjacency(G)
    lam = np.linalg.eigvalsh(A.toarray()).max()
    eps = 1e-6
    for T, m0 in ((1.5 * lam, 0.0), (0.5 * lam, 1.0)):
        m = hubs.mf_magnetisations(A, T, m0=m0)
        chi = hubs.mf_susceptibility_matrix(A, T, m=m)
        j = 5
        hp = np.zeros(60)
        hp[j] = eps
        mp = hubs.mf_magnetisations(A, T, h=hp, m0=m, tol=1e-14)
        mm = hubs.mf_magnetisations(A, T, h=-hp, m0=m, tol=1e-14)
        assert (mp - mm) / (2 * eps) == pytest.approx(chi[:, j], abs=1e-5)
    # high-T limit: chi -> beta * I
    T = 1e4
    assert hubs.mf_susceptibility_matrix(A, T) == pytest.approx(np.eye(60) / T, abs=1e-7)


def test_field_gain_uniform_on_ring_matches_exact_transfer_matrix():
    N, T, H = 400, 1.0, 40.0  # h = 0.1 per node
    ring = nx.cycle_graph(N)
    res = hubs.field_gain(ring, temperatures=(T,), H=H, strategies=("uniform",), sweeps=1500,
                          burn_in=200, init="up", n_seeds=6, seed=11)
    m_exact = exact.ring(N, T, h=H / N)["magnetization"]
    g, e = res["gain"]["uniform"][0], res["gain_err"]["uniform"][0]
    # M0 -> 0 at h = 0 on the ring (no order in 1-D), so the gain is <m>(h)
    assert abs(res["M0"][0]) < 4 * res["M0_err"][0] + 0.02
    assert abs(g - m_exact) < 4 * math.hypot(e, res["M0_err"][0])


def test_flip_budget_zero_never_flips_large_uniform_always_does():
    G = nw.random_regular(n=200, k=4, seed=2)
    res = hubs.flip_budget(G, T=1.5, budgets=[0.0, 2000.0], k=5, strategies=("uniform", "low"),
                         sweeps=100, n_seeds=3, refine=2, seed=1)
    assert res["n_flipped"]["uniform"] == 3
    assert np.all(res["H_min"]["uniform"] <= 2000.0) and np.all(res["H_min"]["uniform"] > 0)
    assert not res["flipped"]["uniform"][0].any()
    # 5 low-degree nodes with 400 each cannot flip an ordered 4-regular graph
    assert res["n_flipped"]["low"] == 0


# ------------------------------------------------------------------ T_c of growing BA graphs

def test_ba_tc_size_scan_is_separable_by_size_and_fits_ln_n():
    kw = dict(m=2, graph_seed=3, rel_temperatures=(0.4, 0.6, 0.8, 1.0), sweeps=60, burn_in=20,
              n_seeds=2, seed=9)
    both = hubs.ba_tc_size_scan(sizes=(60, 120), **kw)
    one = hubs.ba_tc_size_scan(sizes=(60,), **kw)
    # the entry of one size does not depend on the other sizes (the chapter's spot check)
    assert one["T_peaks"][0] == both["T_peaks"][0]
    # two sizes: the fit is the straight line through them
    dT = both["T_peak"][1] - both["T_peak"][0]
    assert both["slope"] == pytest.approx(dT / math.log(2), rel=1e-10)
    assert both["T_bethe"][0] == pytest.approx(exact.bethe_tc(nw.barabasi_albert(n=60, m=2, seed=3)))
    # size_for_tc inverts the fit
    N, err = hubs.size_for_tc(both, both["T_peak"][1])
    assert N == pytest.approx(120, rel=1e-9) and err > 0


def test_plot_targeting_draws_a_tc_band_for_two_estimates():
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    T = np.array([2.0, 5.0, 10.0])
    sim = {"temperatures": T,
           "gain": {st: np.array([1e-3, 2e-3, 3e-3]) for st in hubs.STRATEGIES},
           "gain_err": {st: np.full(3, 1e-4) for st in hubs.STRATEGIES}}
    mf = {"temperatures": T, "gain": sim["gain"], "gain_lin": sim["gain"], "T_c_mf": 8.0}
    fig = hubs.plot_targeting(sim, mf, T_c_sim=(8.6, 9.0))
    a1 = fig.axes[0]
    spans = [p for p in a1.patches if p.get_label().startswith("simulated")]
    assert len(spans) == 1
    span = spans[0]
    if hasattr(span, "get_width"):                    # Rectangle (matplotlib >= 3.9)
        x0, x1 = span.get_x(), span.get_x() + span.get_width()
    else:                                              # Polygon
        xs = [v[0] for v in span.get_xy()]
        x0, x1 = min(xs), max(xs)
    assert (x0, x1) == pytest.approx((8.6, 9.0))
    plt.close(fig)
    fig = hubs.plot_targeting(sim, mf, T_c_sim=9.0)           # one estimate: a dashed line
    assert any(ln.get_label().startswith("simulated") for ln in fig.axes[0].lines)
    plt.close(fig)


# ------------------------------------------------------------------ stored scan and the linear-response switch

def test_mf_strategy_gain_without_linear_response_has_the_same_gains():
    G = nw.barabasi_albert(n=80, m=2, seed=3)
    kw = dict(temperatures=(2.0, 6.0), H=5.0, k=4, seed=1)
    a, b = hubs.mf_strategy_gain(G, **kw), hubs.mf_strategy_gain(G, linear=False, **kw)
    assert b["gain_lin"] is None and a["T_c_mf"] == pytest.approx(b["T_c_mf"], rel=1e-12)   # ARPACK: random start
    assert all(np.array_equal(a["gain"][st], b["gain"][st]) for st in hubs.STRATEGIES)


def test_field_gain_study_and_its_spot_check_match_field_gain():
    import json
    from utacbook import stored
    from utacbook.stored import _jsonable
    kw = dict(n=60, m=2, graph_seed=5, temperatures=(2.0, 9.0), H=5.0, k=3, sweeps=20, burn_in=5, init="up",
              n_seeds=2, seed=9)
    res = hubs.field_gain_study(**kw)
    g = nw.barabasi_albert(n=60, m=2, seed=5)
    direct = hubs.field_gain(g, **{k: v for k, v in kw.items() if k not in ("n", "m", "graph_seed")})
    for st in hubs.STRATEGIES:
        assert np.array_equal(res["diffs"][st], direct["diffs"][st])
    rec = stored.StoredResult("x", json.loads(json.dumps(_jsonable(res))), {"params": kw})
    assert hubs.spot_check_field_gain(rec, g, index=1, seed_index=1)["identical"]


def test_stored_field_gain_has_the_chapter_parameters_and_reproduces():
    """book/data/hub_targeting_field_gain.json is the chapter's field_gain call; one (T, seed) re-runs exactly."""
    fg, rec = hubs.load_field_gain()
    assert rec.provenance["function"] == "utacbook.studies.ising.hub_targeting:field_gain_study"
    assert rec.provenance["params"] == dict(n=1000, m=3, graph_seed=707, temperatures=[2.0, 3.0, 4.0, 5.0, 6.0, 7.0,
                                            8.0, 10.0, 12.0, 15.0, 20.0], H=20.0, k=10, sweeps=400, burn_in=100,
                                            init="up", n_seeds=6, seed=747)
    assert fg["temperatures"].shape == (11,) and fg["diffs"]["hubs"].shape == (11, 6)
    g = nw.barabasi_albert(n=1000, m=3, seed=707)
    assert hubs.spot_check_field_gain(rec, g, index=0, seed_index=5)["identical"]


def test_gain_vs_budget_study_and_its_spot_check():
    import json
    from utacbook import stored
    from utacbook.stored import _jsonable
    kw = dict(n=60, m=2, graph_seed=5, runs=[[2.0, "down"], [9.0, "random"]], H_max=50.0, n_budgets=3, k=3,
              sweeps=20, n_seeds=2, seed=4)
    res = hubs.gain_vs_budget_study(**kw)
    g = nw.barabasi_albert(n=60, m=2, seed=5)
    direct = hubs.gain_vs_budget(g, T=9.0, budgets=np.geomspace(1, 50.0, 3), k=3, init="random", sweeps=20,
                                 n_seeds=2, seed=4)
    assert all(np.array_equal(res["results"][1]["m"][st], direct["m"][st]) for st in hubs.STRATEGIES)
    rec = stored.StoredResult("x", json.loads(json.dumps(_jsonable(res))), {"params": kw})
    for run, st, b, s in ((0, "hubs", -1, 0), (1, "uniform", 1, 1)):
        assert hubs.spot_check_gain_vs_budget(rec, g, run=run, strategy=st, budget_index=b, seed_index=s)["identical"]


def test_stored_gain_vs_budget_has_the_chapter_parameters_and_reproduces():
    res, rec = hubs.load_gain_vs_budget()
    assert rec.provenance["function"] == "utacbook.studies.ising.hub_targeting:gain_vs_budget_study"
    assert rec.provenance["params"] == dict(n=1000, m=3, graph_seed=707, runs=[[4.0, "down"], [7.0, "down"],
                                            [12.0, "random"]], H_max=3000.0, n_budgets=9, k=10, sweeps=300,
                                            n_seeds=4, seed=727)
    assert [r["T"] for r in res] == [4.0, 7.0, 12.0] and res[0]["m"]["hubs"].shape == (9,)
    g = nw.barabasi_albert(n=1000, m=3, seed=707)
    assert hubs.spot_check_gain_vs_budget(rec, g, run=2, strategy="random", budget_index=0, seed_index=3)["identical"]


def test_flip_budget_study_round_trips_and_spot_check_reproduces():
    import json
    import unittest.mock as mock
    from utacbook import stored
    from utacbook.stored import _jsonable
    kw = dict(n=60, m=2, graph_seed=5, temperatures=[1.0], H_max=200.0, n_budgets=6, k=3, sweeps=20, n_seeds=3,
              refine=2, seed=6)
    rec = stored.StoredResult("x", json.loads(json.dumps(_jsonable(hubs.flip_budget_study(**kw)))), {"params": kw})
    with mock.patch.object(stored, "load", lambda name, data_dir=None: rec):
        (back,), _ = hubs.load_flip_budget("x")
    g = nw.barabasi_albert(n=60, m=2, seed=5)
    direct = hubs.flip_budget(g, T=1.0, budgets=np.geomspace(5, 200.0, 6), k=3, sweeps=20, n_seeds=3, refine=2, seed=6)
    assert list(back) == list(direct)
    for key in ("flipped", "H_min"):
        assert all(np.array_equal(back[key][st], direct[key][st]) for st in hubs.STRATEGIES)
    for key in ("H_min_mean", "H_min_err"):
        assert np.array_equal(list(back[key].values()), list(direct[key].values()), equal_nan=True)
    assert back["n_flipped"] == direct["n_flipped"]
    for st in hubs.STRATEGIES:
        assert hubs.spot_check_flip_budget(rec, g, strategy=st, seed_index=2)["identical"]


def test_stored_flip_budget_has_the_chapter_parameters_and_reproduces():
    res, rec = hubs.load_flip_budget()
    assert rec.provenance["function"] == "utacbook.studies.ising.hub_targeting:flip_budget_study"
    assert rec.provenance["params"] == dict(n=1000, m=3, graph_seed=707, temperatures=[4.0, 7.0], H_max=5000.0,
                                            n_budgets=16, k=10, sweeps=200, n_seeds=6, refine=4, seed=737)
    assert [r["T"] for r in res] == [4.0, 7.0] and res[0]["n_flipped"]["hubs"] == 6
    g = nw.barabasi_albert(n=1000, m=3, seed=707)
    assert hubs.spot_check_flip_budget(rec, g, run=0, strategy="uniform", seed_index=5)["identical"]


def test_stored_mf_gain_has_the_chapter_parameters_and_reproduces():
    res, rec = hubs.load_mf_gain()
    assert rec.provenance["function"] == "utacbook.studies.ising.hub_targeting:mf_gain_study"
    assert rec.provenance["params"] == dict(n=1000, m=3, graph_seed=707, temperatures=[2.0, 3.0, 4.0, 5.0, 6.0, 7.0,
                                            8.0, 10.0, 12.0, 13.0, 15.0, 18.0, 22.0, 30.0], H=20.0, k=10, seed=707)
    assert res["gain"]["hubs"].shape == (14,) and round(res["T_c_mf"], 2) == 13.82
    G = nw.barabasi_albert(n=1000, m=3, seed=707)
    chk = hubs.spot_check_mf_gain(rec, G, index=0)
    assert chk["identical"] and chk["T_c_mf_rel"] < 1e-9
