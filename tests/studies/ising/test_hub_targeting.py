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
