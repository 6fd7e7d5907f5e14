"""Tests of utacbook.studies.ising.levers: four levers against a polarised two-community network.

Exact checks (budget accounting, degree preservation, mean-field limits and identities with
utacbook.theory) and stochastic checks with limits that follow from the heat-bath rule itself.
"""

import math

import numpy as np
import pytest
from scipy import stats

import utacbook.claims as uc
from utacbook.models import _ising as ising
from utacbook.studies.ising import levers as lv
from utacbook.theory import _two_community as two_community


@pytest.fixture(scope="module")
def graph():
    return lv.base_graph(block_size=150, k_in=7.0, k_out=1.0, seed=3)


@pytest.mark.parametrize("lever", lv.LEVERS)
@pytest.mark.parametrize("budget", [0.0, 0.3, 0.8])
def test_budget_is_the_l1_change_per_node(graph, lever, budget):
    """Spent budget = sum |Δw| + sum |Δh| per node, recomputed from the two graphs; the swaps round to 4/N."""
    G, lab = graph
    N = G.number_of_nodes()
    H, h, info = lv.apply_lever(G, lab, lever=lever, budget=budget, seed=5)
    w0 = {frozenset(e): 1.0 for e in G.edges()}
    w1 = {frozenset(e): d["weight"] for *e, d in H.edges(data=True)}
    dw = sum(abs(w1.get(e, 0.0) - w0.get(e, 0.0)) for e in set(w0) | set(w1))
    l1 = (dw + np.abs(h).sum()) / N
    assert l1 == pytest.approx(info["budget"], abs=1e-12)
    assert abs(info["budget"] - budget) <= (2 / N if lever == "rewire" else 1e-12)


def test_rewiring_keeps_every_degree_and_moves_edges_across(graph):
    G, lab = graph
    H, _, info = lv.apply_lever(G, lab, lever="rewire", budget=1.0, seed=2)
    assert dict(H.degree()) == dict(G.degree())
    assert H.number_of_edges() == G.number_of_edges()
    cross0 = sum(lab[i] != lab[j] for i, j in G.edges())
    cross1 = sum(lab[i] != lab[j] for i, j in H.edges())
    assert cross1 - cross0 == 2 * info["swaps"]
    # within each block the same number of edges was removed
    for blk in (0, 1):
        e0 = sum(lab[i] == lab[j] == blk for i, j in G.edges())
        e1 = sum(lab[i] == lab[j] == blk for i, j in H.edges())
        assert e0 - e1 == info["swaps"]


@pytest.mark.parametrize("lever", lv.LEVERS)
def test_weighted_degrees_follow_the_mean_field_parameters(graph, lever):
    """The measured k_in, k_out after the lever are mf_lever_params of the graph's own k_in, k_out."""
    G, lab = graph
    _, _, base = lv.apply_lever(G, lab, lever=lever, budget=0.0)
    b = 0.6
    _, h, info = lv.apply_lever(G, lab, lever=lever, budget=b, seed=1)
    b = info["budget"]
    a_in, a_out, h_a, h_b = lv.mf_lever_params(k_in=base["k_in"], k_out=base["k_out"], lever=lever, budget=b)
    assert info["k_in"] == pytest.approx(a_in, abs=1e-12)
    assert info["k_out"] == pytest.approx(a_out, abs=1e-12)
    assert h[lab == 1] == pytest.approx(h_b) and h[lab == 0] == pytest.approx(h_a)
    # every lever lowers the T = 0 margin of a B node by 2b
    assert (a_in - a_out - (h_b - h_a)) == pytest.approx(base["k_in"] - base["k_out"] - 2 * b, abs=1e-12)


def test_bad_inputs_are_refused(graph):
    G, lab = graph
    with pytest.raises(ValueError, match="lever"):
        lv.apply_lever(G, lab, lever="ban")
    with pytest.raises(ValueError, match="budget"):
        lv.apply_lever(G, lab, lever="field", budget=-1)
    with pytest.raises(ValueError, match="within-community weights"):
        lv.apply_lever(G, lab, lever="coupling", budget=10.0)
    with pytest.raises(ValueError, match="swaps"):
        lv.apply_lever(G, lab, lever="rewire", budget=50.0)
    with pytest.raises(ValueError, match="labels"):
        lv.apply_lever(G, lab[:-1], lever="field")
    with pytest.raises(ValueError, match="budgets"):
        lv.lever_scan(budgets=(0.5, 0.25))
    with pytest.raises(ValueError, match="checkpoints"):
        lv.lever_scan(checkpoints=(10, 5))


def test_mf_state_without_field_is_the_two_block_solution():
    for T in (1.5, 3.0, 4.5):
        m = lv.mf_block_state(T, a_in=7.0, a_out=1.0)
        ms = two_community.two_block_solution(T, k_in=7.0, k_out=1.0)
        assert m[0] == pytest.approx(ms, abs=1e-9) and m[1] == pytest.approx(-ms, abs=1e-9)


@pytest.mark.parametrize("lever", lv.LEVERS)
def test_mf_critical_budget_matches_the_perturbed_iteration(lever):
    """Just below b_c a polarised state nudged towards consensus returns; just above it is lost."""
    T, k_in, k_out = 2.5, 7.0, 1.0
    bc = lv.mf_critical_budget(T, k_in=k_in, k_out=k_out, lever=lever)
    assert 0 < bc < (k_in - k_out) / 2
    for b, polarised in ((0.97 * bc, True), (1.03 * bc, False)):
        a_in, a_out, h_a, h_b = lv.mf_lever_params(k_in=k_in, k_out=k_out, lever=lever, budget=b)
        m = lv.mf_block_state(T, a_in=a_in, a_out=a_out, h_a=h_a, h_b=h_b)
        m = lv.mf_block_state(T, a_in=a_in, a_out=a_out, h_a=h_a, h_b=h_b, m0=np.clip(m + 1e-3, -1, 1))
        assert (abs(m[0] - m[1]) / 2 > 0.25) == polarised, (b, m)


def test_mf_critical_field_tends_to_the_margin_and_orders_the_levers():
    """T -> 0: every lever needs the margin (k_in - k_out)/2; at T = 2.5 the field is cheapest, coupling dearest."""
    for lev in lv.LEVERS:
        assert lv.mf_critical_budget(0.002, k_in=7.0, k_out=1.0, lever=lev) == pytest.approx(3.0, abs=0.02)
    bc = [lv.mf_critical_budget(2.5, k_in=7.0, k_out=1.0, lever=lev) for lev in ("field", "bridge", "rewire",
                                                                                   "coupling")]
    assert np.all(np.diff(bc) > 0)



@pytest.mark.parametrize("T", [1.5, 2.5, 4.0])
@pytest.mark.parametrize("lever", lv.LEVERS)
def test_block_budget_with_equal_blocks_is_the_pooled_budget(T, lever):
    """k_a = k_b: the asymmetric two-block b_c is mf_critical_budget (field on either side); both bisect to 1e-5."""
    pooled = lv.mf_critical_budget(T, k_in=6.9, k_out=1.0, lever=lever)
    for side in ("A", "B"):
        got = lv.mf_critical_budget_blocks(T, k_a=6.9, k_b=6.9, k_out=1.0, lever=lever, side=side)
        assert got == pytest.approx(pooled, abs=1e-4)


def _t0_budget(lever, side, k_a, k_b, k_out):
    """The T = 0 margin algebra: the budget at which the first block's margin a_xx - a_out (- field) reaches 0."""
    if lever in ("rewire", "bridge"):               # both lower every margin by 2b
        return (min(k_a, k_b) - k_out) / 2
    if lever == "field":                            # only the targeted block's margin, by 2b
        return ((k_b if side == "B" else k_a) - k_out) / 2
    # coupling: k_x (1 - 4b/(k_a + k_b)) - k_out = 0
    return min((k - k_out) * (k_a + k_b) / (4 * k) for k in (k_a, k_b))


@pytest.mark.parametrize("lever,side", [("rewire", "B"), ("bridge", "B"), ("field", "A"), ("field", "B"),
                                        ("coupling", "B")])
def test_block_budget_at_low_temperature_is_the_weaker_margin(lever, side):
    """T -> 0 limit.  Bound: the box |m| >= 1 - eps is invariant once a block's margin mu exceeds
    eps a_xx + T atanh(1 - eps) (eps = 0.01), and no polarised state is left once a margin is negative;
    the margins fall with slope >= 4 min(k)/(k_a + k_b) in b."""
    T, k_a, k_b, k_out, eps = 0.01, 6.4, 7.2, 1.0, 0.01
    b0 = _t0_budget(lever, side, k_a, k_b, k_out)
    slope = 2.0 if lever != "coupling" else 4 * min(k_a, k_b) / (k_a + k_b)
    width = (eps * max(k_a, k_b) + T * math.atanh(1 - eps)) / slope
    got = lv.mf_critical_budget_blocks(T, k_a=k_a, k_b=k_b, k_out=k_out, lever=lever, side=side)
    assert b0 - width - 1e-4 <= got <= b0 + 1e-4


def _iterate_blocks(T, a_aa, a_bb, a_out, h_a, h_b, m0, n=20000):
    m = np.array(m0, float)
    K = np.array([[a_aa, a_out], [a_out, a_bb]])
    for _ in range(n):
        m = np.tanh((K @ m + np.array([h_a, h_b])) / T)
    return m


@pytest.mark.parametrize("lever,side", [("rewire", "B"), ("bridge", "B"), ("field", "A"), ("field", "B"),
                                        ("coupling", "B")])
def test_block_budget_separates_kept_and_lost_polarisation(lever, side):
    """Unequal blocks (k_a = 6.6 < k_b = 7.2): just below b_c the polarised state, nudged towards consensus,
    returns; just above b_c the state reached from (1, -1) is depolarised (an independent iteration)."""
    T, k_a, k_b, k_out = 2.5, 6.6, 7.2, 1.0
    bc = lv.mf_critical_budget_blocks(T, k_a=k_a, k_b=k_b, k_out=k_out, lever=lever, side=side)
    for b, polarised in ((0.97 * bc, True), (1.03 * bc, False)):
        if lever == "rewire":
            p = (k_a - b, k_b - b, k_out + b, 0.0, 0.0)
        elif lever == "bridge":
            p = (k_a, k_b, k_out + 2 * b, 0.0, 0.0)
        elif lever == "coupling":
            d = 4 * b / (k_a + k_b)
            p = (k_a * (1 - d), k_b * (1 - d), k_out, 0.0, 0.0)
        else:
            p = (k_a, k_b, k_out, 0.0, 2 * b) if side == "B" else (k_a, k_b, k_out, -2 * b, 0.0)
        m = _iterate_blocks(T, *p, m0=(1.0, -1.0))
        m = _iterate_blocks(T, *p, m0=np.clip(m + 1e-3, -1, 1))
        assert (abs(m[0] - m[1]) / 2 > 0.25) == polarised, (b, m)


def test_weaker_block_lowers_the_budget_and_the_field_is_cheaper_on_it():
    T = 2.5
    for lev in ("rewire", "bridge", "coupling"):
        sym = lv.mf_critical_budget_blocks(T, k_a=7.0, k_b=7.0, k_out=1.0, lever=lev)
        assert lv.mf_critical_budget_blocks(T, k_a=6.6, k_b=7.0, k_out=1.0, lever=lev) < sym
    on_a = lv.mf_critical_budget_blocks(T, k_a=6.6, k_b=7.0, k_out=1.0, lever="field", side="A")
    on_b = lv.mf_critical_budget_blocks(T, k_a=6.6, k_b=7.0, k_out=1.0, lever="field", side="B")
    assert on_a < on_b
    df = lv.mf_block_budgets(T, own_degree=[[6.6, 7.0]], k_out=[1.0], graph_seeds=[9])
    assert df.loc[9, "field on A"] == on_a and df.loc[9, "field on B"] == on_b
    with pytest.raises(ValueError, match="side"):
        lv.mf_critical_budget_blocks(T, lever="field", side="C")
    with pytest.raises(ValueError, match="own_degree"):
        lv.mf_block_budgets(T, own_degree=[6.6, 7.0], k_out=[1.0])

def test_wilson_interval_matches_scipy():
    for k, n in ((0, 16), (5, 16), (16, 16), (30, 100)):
        lo, hi = lv.wilson_interval(k, n)
        ci = stats.binomtest(k, n).proportion_ci(confidence_level=0.6827, method="wilson")
        assert float(lo) == pytest.approx(ci.low, abs=1e-6) and float(hi) == pytest.approx(ci.high, abs=1e-6)


def test_strong_field_flips_block_b_within_the_heat_bath_bound():
    """h_B = 24 J above every degree d: a B spin is set to +1 with probability >= 1/(1 + exp(-2 (24 - d)/T))."""
    G, lab = lv.base_graph(block_size=100, k_in=5.0, k_out=1.0, seed=0)       # lever_scan's graph
    d_max = max(d for _, d in G.degree())
    T = 1.0
    p_min = 1 / (1 + math.exp(-2 * (24 - d_max) / T))
    assert d_max < 20 and p_min > 0.9996
    s = lv.lever_scan(levers=("field",), budgets=(0.0, 12.0), T=T, block_size=100, k_in=5.0, k_out=1.0,
                      checkpoints=(1, 2, 5), n_replicas=6, seed=4)
    i, j = s.index("field", 12.0)
    # after one sweep m_B >= 2 p_min - 1 - 4 sd (binomial over 100 spins); A stays near +1 at T = 1
    sd = 2 * math.sqrt(p_min * (1 - p_min) / 100)
    assert np.all(s.tau[i, j] == 1)
    on_b = s.field_side == "B"                  # even replicas: the field on B (odd ones: on A, tested below)
    assert on_b.sum() == 3 and np.all(s.m_end[i, j, on_b, 1] >= 2 * p_min - 1 - 4 * sd)


def test_scan_is_reproducible_and_budget_zero_is_shared():
    kw = dict(levers=("rewire", "bridge"), budgets=(0.0, 0.5), T=2.5, block_size=80, k_in=7.0, k_out=1.0,
              checkpoints=(5, 10, 20, 40), n_replicas=3, seed=9)
    a, b = lv.lever_scan(**kw), lv.lever_scan(**kw)
    assert np.array_equal(a.tau, b.tau) and np.array_equal(a.m_end, b.m_end)
    assert np.array_equal(a.tau[0, 0], a.tau[1, 0])           # the unchanged graph, same runs
    df = a.to_dataframe()
    assert len(df) == 4 and set(df.lever) == {"rewire", "bridge"}


def _fake_scan(tau, budgets=(0.0, 0.5), levers=("rewire", "bridge"), sweeps=100):
    tau = np.asarray(tau, float)
    return lv.LeverScan(levers=tuple(levers), budgets=np.asarray(budgets, float), spent=np.zeros(tau.shape[:2]),
                        tau=tau, m_end=np.zeros(tau.shape + (2,)), checkpoints=np.array([sweeps]), T=1.0,
                        block_size=10, k_in=7.0, k_out=1.0, sweeps=sweeps, threshold=0.25, seed=0,
                        n_boot=2000)


def test_mean_time_and_its_bootstrap_error():
    rng = np.random.default_rng(0)
    tau = rng.exponential(30.0, size=(2, 2, 400))
    tau[tau > 100] = np.inf
    s = _fake_scan(tau)
    t, te = s.mean_time()
    clipped = np.minimum(tau, 100)
    assert t == pytest.approx(clipped.mean(axis=2))
    sem = clipped.std(axis=2, ddof=1) / math.sqrt(400)
    assert te == pytest.approx(sem, rel=0.15)


def test_claims_are_judged_from_the_measurements():
    n = 16
    tau = np.full((2, 2, n), np.inf)
    tau[0, 1, :12] = 20.0                       # rewiring, b = 0.5: 12 of 16 depolarised
    tau[1, 1, :3] = 20.0                        # bridge: 3 of 16, not significant at 0.01
    s = _fake_scan(tau)
    ms = lv.essay_measurements(s)
    assert [m.condition for m in ms] == ["rewiring, b = 0.5", "bridge promotion, b = 0.5"]
    assert ms[0].p_value == pytest.approx(stats.fisher_exact([[12, 4], [0, 16]], alternative="greater")[1])
    claims = {c.id: c for c in lv.lever_claims(order=("rewire", "bridge"))}
    claims.update({c.id: c for c in lv.lever_claims(b_order=(0.5,), order=("rewire", "bridge"), first_criterion=True)})
    j = claims["ising.levers.essay"].judge(ms)
    assert j.verdict == uc.CAVEATS and "fails at bridge" in j.caveat
    jo = claims["ising.levers.order_b0p5"].judge(lv.order_measurements(s, 0.5, order=("rewire", "bridge")))
    assert jo.verdict == uc.HELD                # rewiring faster (mean 40) than bridge (mean 88)
    hb, parts = lv.half_budget(s, parts=True)
    assert hb["rewire"][0] == pytest.approx(0.5 * 0.5 / 0.75) and hb["bridge"][0] == math.inf
    assert hb["rewire"][1] >= 0.5 / math.sqrt(12)          # never finer than the grid
    assert hb["rewire"][1] == pytest.approx(max(parts["rewire"]))
    assert parts["rewire"][1] == pytest.approx(0.5 / math.sqrt(12))
    # the revised ordering claim is judged on b_half: rewiring (finite) before bridge (inf) is not an ordering
    # we can judge with an infinite value, so only check the measurement is b_half with its error
    m = lv.half_measurements(s, order=("rewire",))[0]
    assert (m.value, m.err) == pytest.approx(hb["rewire"])


def test_field_side_a_is_the_mirror_of_side_b(graph):
    """The field on A is -2bJ on A's nodes (towards B), zero on B; same budget as on B."""
    G, lab = graph
    _, hb, ib = lv.apply_lever(G, lab, lever="field", budget=0.4, side="B")
    _, ha, ia = lv.apply_lever(G, lab, lever="field", budget=0.4, side="A")
    assert np.all(ha[lab == 0] == -0.8) and np.all(ha[lab == 1] == 0)
    assert np.array_equal(ha[lab == 0], -hb[lab == 1])
    assert ia["budget"] == ib["budget"] == pytest.approx(0.4) and ia["h_A"] == -0.8
    with pytest.raises(ValueError, match="side"):
        lv.apply_lever(G, lab, lever="field", side="C")


def test_strong_field_on_a_flips_a_towards_b():
    """Mirror of the heat-bath bound test: odd replicas get the field on A, and A ends near -1, B stays -1."""
    s = lv.lever_scan(levers=("field",), budgets=(0.0, 12.0), T=1.0, block_size=100, k_in=5.0, k_out=1.0,
                      checkpoints=(1, 2, 5), n_replicas=4, seed=4)
    i, j = s.index("field", 12.0)
    assert list(s.field_side) == ["B", "A", "B", "A"]
    assert np.all(s.tau[i, j] == 1)
    odd = s.field_side == "A"
    assert np.all(s.m_end[i, j, odd].sum(axis=-1) < -1.5) and np.all(s.m_end[i, j, ~odd].sum(axis=-1) > 1.5)
    sides = s.consensus_sides()
    assert list(sides["depolarised"]) == [2, 2] and list(sides["at B's opinion"]) == [0, 2]


def test_several_graphs_pool_runs_and_keep_each_graph_reproducible():
    """The runs on graph g do not depend on the other graphs of the scan; bootstraps stay within a graph."""
    kw = dict(levers=("bridge",), budgets=(0.0, 0.5), T=2.5, block_size=60, k_in=7.0, k_out=1.0,
              checkpoints=(5, 10, 20), n_replicas=3, seed=2)
    one = lv.lever_scan(graph_seeds=(7,), **kw)
    two = lv.lever_scan(graph_seeds=(7, 8), **kw)
    assert two.n_rep == 6 and list(two.graph) == [0, 0, 0, 1, 1, 1]
    assert np.array_equal(two.tau[:, :, :3], one.tau) and np.array_equal(two.m_end[:, :, :3], one.m_end)
    idx = two._boot_idx(np.random.default_rng(0), 50)
    assert np.all(idx[:, :3] < 3) and np.all(idx[:, 3:] >= 3)
    with pytest.raises(ValueError, match="graph_seeds"):
        lv.lever_scan(graph_seeds=(1, 1), **kw)


def test_scan_prepares_the_graphs_apply_lever_builds(graph):
    """lever_scan skips the networkx graph of apply_lever: the prepared graph is the same, array for array."""
    G, lab = graph
    wa, wb, bt = lv._edge_sets(G, lab)
    for lever in lv.LEVERS:
        for b in (0.0, 0.25, 0.5):
            H, h, info = lv.apply_lever(G, lab, lever=lever, budget=b, side="A", seed=3)
            groups, h2, _, spent = lv._spend(G, lab, wa, wb, bt, lever=lever, b=b, J=1.0, side="A", seed=3)
            g1, g2 = ising.prepare_graph(H), lv._prepare_groups(G.number_of_nodes(), groups)
            for k in ("degree", "perm", "indptr", "indices", "weights", "chunk_bounds", "colour_chunks"):
                a1, a2 = getattr(g1, k), getattr(g2, k)
                assert a1.dtype == a2.dtype and np.array_equal(a1, a2), (lever, b, k)
            assert np.array_equal(h, h2) and spent == info["budget"]
    assert lv._edge_sets(G, lab) == (wa, wb, bt)                 # the edge lists are not changed


def _same_scan(a, b):
    import dataclasses
    for f in dataclasses.fields(a):
        x, y = getattr(a, f.name), getattr(b, f.name)
        if isinstance(x, np.ndarray):
            assert x.dtype == y.dtype and np.array_equal(x, y), f.name
        else:
            assert x == y and type(x) is type(y), f.name


def test_lever_scans_study_round_trips_and_spot_check_reproduces():
    import json
    import unittest.mock as mock
    from utacbook import stored
    from utacbook.stored import _jsonable
    kw = dict(levers=["rewire", "field"], budgets=[0.0, 0.5, 2.0], block_size=40, k_in=5.0, k_out=1.0,
              checkpoints=[5, 10, 20], n_replicas=2, threshold=0.25, graph_seeds=[1, 2], seed=3)
    rec = stored.StoredResult("x", json.loads(json.dumps(_jsonable(lv.lever_scans_study(temperatures=[1.5], **kw)))),
                              {"params": {"temperatures": [1.5], **kw}})
    with mock.patch.object(stored, "load", lambda name, data_dir=None: rec):
        (back,), _ = lv.load_lever_scans("x")
    direct = lv.lever_scan(T=1.5, **kw)
    _same_scan(direct, back)
    assert repr(direct) == repr(back) and np.isinf(back.tau).any() and np.isfinite(back.tau).any()
    for lever, j, run in (("rewire", 1, 3), ("field", 2, 1), ("field", 0, 2), ("field", 1, 0)):
        assert lv.spot_check_lever_scan(rec, lever=lever, budget_index=j, run=run)["identical"]


def test_stored_lever_scans_have_the_chapter_parameters_and_reproduce():
    base = dict(levers=list(lv.LEVERS), block_size=300, k_in=7.0, k_out=1.0, checkpoints=list(lv.CHECKPOINTS),
                threshold=0.25, graph_seeds=[161, 162, 163, 164])
    (scan,), rec = lv.load_lever_scans("levers_scan")
    assert rec.provenance["function"] == "utacbook.studies.ising.levers:lever_scans_study"
    assert rec.provenance["params"] == dict(temperatures=[2.5], budgets=list(lv.BUDGETS), n_replicas=4, seed=161,
                                            **base)
    assert scan.tau.shape == (4, 9, 16) and scan.T == 2.5
    assert lv.spot_check_lever_scan(rec, lever="coupling", budget_index=-1, run=0)["identical"]
    scans, rec = lv.load_lever_scans("levers_scan_T")
    assert rec.provenance["params"] == dict(temperatures=[2.0, 3.0], budgets=[0.0, 0.125, 0.25, 0.375, 0.5, 0.75,
                                                                             1.0, 1.25], n_replicas=2, seed=162, **base)
    assert [s.T for s in scans] == [2.0, 3.0] and scans[0].tau.shape == (4, 8, 8)
    assert lv.spot_check_lever_scan(rec, scan=0, lever="rewire", budget_index=3, run=5)["identical"]
