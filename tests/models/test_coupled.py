"""Tests of utacbook.models.CoupledGovernmentModel: the special case, exact steps, the fiscal stock, migration.

Tolerances come from exact identities (bit-identical runs, one step re-computed in NumPy with the kernel's own
normals, the closed form of a linear recursion) or from binomial error bars (4 sigma) of counts whose expectation
is exact because satisfaction is frozen (``inertia=0``: ``s <- 1.0 * s + 0.0 * sigmoid(...)`` is ``s``).
"""

import math

import networkx as nx
import numpy as np
import pytest

from utacbook._kernels import multiscale as K
from utacbook._kernels.rng import next_double
from utacbook.models import (COUPLED_DEFAULTS, UNCOUPLED, CoupledGovernmentModel, GovernmentMultiscaleModel,
                             analyze_scale_separation, community_graph_csr, create_example_policies)


def _sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def _nbrs(model, c):
    return model._nbr_idx[model._nbr_ptr[c]:model._nbr_ptr[c + 1]]


def _assert_same(a, b, where):
    """Every key of ``b`` (the base model's record) is in ``a`` and equal bit for bit."""
    if isinstance(b, dict):
        assert isinstance(a, dict) and set(b) <= set(a), (where, sorted(set(b) - set(a)))
        for key in b:
            _assert_same(a[key], b[key], f"{where}.{key}")
    elif isinstance(b, np.ndarray):
        assert a.dtype == b.dtype, where
        np.testing.assert_array_equal(a, b, err_msg=where, strict=True)
    else:
        assert type(a) is type(b) and a == b, (where, a, b)


def _graph6():
    """A triangle with a tail, and one isolated community (degrees 2, 2, 3, 2, 1, 0)."""
    g = nx.Graph()
    g.add_nodes_from(range(6))
    g.add_edges_from([(0, 1), (1, 2), (2, 0), (2, 3), (3, 4)])
    return g


def _nbytes(obj, seen=None):
    """Bytes of every ndarray reachable from ``obj``'s attributes (through dicts, lists, tuples)."""
    seen = set() if seen is None else seen
    if id(obj) in seen:
        return 0
    seen.add(id(obj))
    if isinstance(obj, np.ndarray):
        return obj.nbytes
    if isinstance(obj, dict):
        return sum(_nbytes(v, seen) for v in obj.values())
    if isinstance(obj, (list, tuple)):
        return sum(_nbytes(v, seen) for v in obj)
    if isinstance(obj, GovernmentMultiscaleModel):   # the model itself (a Policy holds no array)
        return sum(_nbytes(v, seen) for v in vars(obj).values())
    return 0


# ------------------------------------------------------------- the special case

_PARAMS_SPECIAL = [
    (3000, 7, 1, 1, "all", {}),
    (3000, 7, 3, 2, "all", {}),
    (9000, 4000, 2, 3, "all", {}),  # n_chunks * C > N: serial community sums, no per-chunk partials
    (500, 1, 1, 1, "no community", {}),
    (3000, 7, 2, 1, "all", dict(community_graph="complete", min_community_size=5, fixed_compliance=0.3,
                                migration_choice="random")),  # the null-model switches are inert when off
]


@pytest.mark.parametrize("N, C, meso, macro, policies, extra", _PARAMS_SPECIAL)
def test_uncoupled_is_the_base_model_bit_for_bit(N, C, meso, macro, policies, extra):
    kw = dict(seed=11, meso_interval=meso, macro_interval=macro)
    a = CoupledGovernmentModel(N, C, **kw, **UNCOUPLED, **extra)
    b = GovernmentMultiscaleModel(N, C, **kw)
    assert a._use_partials == (C < 1000) and b._use_partials == a._use_partials
    np.testing.assert_array_equal(a._states, b._states)  # the migration stream is a separate one
    pols = [p for p in create_example_policies() if C >= 2 or p.scale != "community"]
    if policies:
        for p in pols:
            np.testing.assert_array_equal(a.apply_policy(p), b.apply_policy(p))
    ha = a.run(5) + a.run(4, quantiles=False)
    hb = b.run(5) + b.run(4, quantiles=False)
    if policies:   # a policy removed mid-run
        a.remove_policy(pols[0].name)
        b.remove_policy(pols[0].name)
    ha += a.run(4)
    hb += b.run(4)
    assert len(ha) == len(hb) == 13
    for ra, rb in zip(ha, hb):
        _assert_same(ra, rb, f"step {rb['step']}")
    for name in ("satisfaction", "wealth", "community", "field"):
        np.testing.assert_array_equal(a.agents[name], b.agents[name], strict=True)
    assert (a.trust, a.approval, a.policy_effectiveness) == (b.trust, b.approval, b.policy_effectiveness)
    # the new record entries are there and inert
    assert ha[-1]["macro"]["migrations"] == 0 and np.all(ha[-1]["meso"]["compliance"] == 1.0)


def test_defaults_and_new_record_entries():
    assert set(COUPLED_DEFAULTS) == set(UNCOUPLED) and all(v == 0.0 for v in UNCOUPLED.values())
    m = CoupledGovernmentModel(2000, 8, seed=1)
    for name, value in COUPLED_DEFAULTS.items():
        assert m.params[name] == value
    base = GovernmentMultiscaleModel(2000, 8, seed=1)
    for name in ("satisfaction", "wealth", "community"):  # the same initial state whatever the mechanisms
        np.testing.assert_array_equal(m.agents[name], base.agents[name])
    rec = m.run(5)[-1]
    assert rec["macro"]["migrations"] == m.migrations and rec["meso"]["compliance"].shape == (8,)
    # between_share: between-community share of the variance of satisfaction (exact decomposition)
    r = analyze_scale_separation(m)
    assert rec["meso_metrics"]["between_share"] == pytest.approx(
        r["between_group_variance"] / r["total_variance"], rel=1e-9)
    assert m.run(0) == []


# ------------------------------------------------------------ one exact micro step

@pytest.mark.parametrize("N, C, graph, mu", [
    (10000, 6, "nx6", 0.0),
    (10000, 6, "nx6", 0.3),       # the step uses the memberships after migration
    (10000, 5000, "ring", 0.0),   # serial community sums
])
def test_one_step_with_spillover_and_public_goods_equals_numpy(N, C, graph, mu):
    g6 = _graph6() if graph == "nx6" else graph
    m = CoupledGovernmentModel(N, C, seed=8, community_graph=g6, inertia=0.3, trust_noise=0.7, spillover=0.6,
                               public_goods=0.8, fiscal_rate=0.3, migration_rate=mu, min_community_size=1)
    m.apply_policy(create_example_policies()[1])   # community transfers and fields
    m.apply_policy(create_example_policies()[0])   # individual fields and wealth
    m.run(3)
    p = m.params
    s0 = m.agents["satisfaction"].copy()
    sbar, kappa, R, trust = m.mean_satisfaction.copy(), m.cohesion.copy(), m.resources.copy(), m.trust
    xi = K.chunk_normals(m._states.copy(), N)
    comm_before = m.agents["community"].copy()
    m.step()
    c = m.agents["community"]
    if mu > 0:
        assert m.migrations > 0 and np.sum(c != comm_before) == m.migrations
    else:
        np.testing.assert_array_equal(c, comm_before)
    n = np.bincount(c, minlength=C)
    # the stated equation, in NumPy
    ptr, idx = community_graph_csr(g6, C)
    x = 2 * sbar - 1
    spill = np.array([x[idx[ptr[k]:ptr[k + 1]]].mean() if ptr[k + 1] > ptr[k] else 0.0 for k in range(C)])
    Rbar = np.dot(n, R) / N
    gc = p["coupling"] * kappa * x + p["spillover"] * spill + p["public_goods"] * (R / Rbar - 1)
    lnw = np.log(m.agents["wealth"])
    u = m.agents["field"] + p["wealth_weight"] * (lnw - lnw.mean())
    T = p["noise"] * (1 + p["trust_noise"] * (1 - trust))
    expect = 0.7 * s0 + 0.3 * _sigmoid((gc[c] + u) / T + xi)
    np.testing.assert_allclose(m.agents["satisfaction"], expect, rtol=0, atol=1e-12)
    # the two new terms matter: without them the step is far from the kernel's
    base = 0.7 * s0 + 0.3 * _sigmoid((p["coupling"] * kappa[c] * x[c] + u) / T + xi)
    assert np.abs(base - expect).max() > 1e-3


# ---------------------------------------------------------------- the fiscal loop

@pytest.mark.parametrize("meso", [1, 3])
def test_fiscal_stock_closed_form_with_fixed_compliance(meso):
    q, delta = 0.7, 0.15
    m = CoupledGovernmentModel(3000, 9, seed=4, inertia=0.0, fiscal_rate=delta, fixed_compliance=q,
                               migration_rate=0.0, meso_interval=meso)
    m.apply_policy(create_example_policies()[1])
    T = m.community_transfers.copy()
    assert T.max() > 0
    c, w = m.agents["community"], m.agents["wealth"]
    wbar = np.bincount(c, weights=w, minlength=9) / m.size
    R0 = m.resources.copy()
    np.testing.assert_allclose(R0, wbar + T, rtol=1e-12)   # the stock starts at the base model's resources
    s0 = m.agents["satisfaction"].copy()
    target = q * wbar + T
    for rec in m.run(30):
        k = rec["step"] // meso
        np.testing.assert_allclose(rec["meso"]["resources"], target + (1 - delta) ** k * (R0 - target),
                                   rtol=1e-12, atol=0)
        np.testing.assert_array_equal(rec["meso"]["compliance"], q if k else 1.0)
    np.testing.assert_array_equal(m.agents["satisfaction"], s0)   # frozen: the closed form applies


def _fiscal_model(policy):
    m = CoupledGovernmentModel(3000, 9, seed=6, migration_rate=0.1, fiscal_rate=0.2, compliance_sensitivity=0.8)
    if policy:
        m.apply_policy(create_example_policies()[1])
    return m


def _check_fiscal_step(m, R, trust):
    """One step; compliance and the stock recursion from the stock R and trust before it (migration included)."""
    p = m.params
    rec = m.step(quantiles=False)
    # meso before macro: the compliance of step t sees the trust of step t - 1
    q = 1 - p["compliance_sensitivity"] * (1 - (rec["meso"]["satisfaction"] + trust) / 2)
    np.testing.assert_allclose(rec["meso"]["compliance"], q, rtol=1e-14)
    wbar = np.bincount(m.agents["community"], weights=m.agents["wealth"], minlength=9) / rec["meso"]["size"]
    expect = (1 - p["fiscal_rate"]) * R + p["fiscal_rate"] * (q * wbar + m.community_transfers)
    np.testing.assert_allclose(rec["meso"]["resources"], expect, rtol=1e-9, err_msg=f"step {rec['step']}")
    return rec


@pytest.mark.parametrize("policy", [False, True])
def test_compliance_follows_satisfaction_and_trust(policy):
    m = _fiscal_model(policy)
    m.step()   # the first step (where the stock starts) is the next test's
    moved = m.migrations
    for _ in range(25):
        rec = _check_fiscal_step(m, m.resources.copy(), m.trust)
        moved += rec["macro"]["migrations"]
    assert moved > 0


def test_fiscal_stock_starts_from_initial_resources_when_citizens_move():
    """The stock R_c(0) is a community's, set at construction; moves before the first meso step do not reset it.

    Fails today with a community policy active: ``_migrate`` calls ``_apply_fields`` -> ``_refresh_derived``
    while the stock does not exist yet, which sets R_c to the new members' mean wealth plus transfers; the first
    fiscal update then starts from that value instead of R_c(0) (without a community policy it starts from R_c(0)).
    """
    for policy in (False, True):
        m = _fiscal_model(policy)
        _check_fiscal_step(m, m.resources.copy(), m.trust)
        assert m.migrations > 0


def test_resources_follow_migration_without_fiscal_loop():
    """fiscal_rate = 0: R_c is the mean wealth of the current members plus transfers at every meso step.

    Fails today with meso_interval > 1: ``_update_meso`` refreshes the resources only if the *last* step moved
    somebody (``elif self.migrations or ...``), so moves at the steps between meso steps are lost.
    """
    m = CoupledGovernmentModel(600, 6, seed=2, fiscal_rate=0.0, migration_rate=0.002, meso_interval=2)
    moved = 0
    for _ in range(40):
        rec = m.step(quantiles=False)
        moved += rec["macro"]["migrations"]
        if rec["step"] % 2 == 0:
            c = m.agents["community"]
            R = np.bincount(c, weights=m.agents["wealth"], minlength=6) / m.size + m.community_transfers
            np.testing.assert_allclose(rec["meso"]["resources"], R, rtol=1e-9, err_msg=f"step {rec['step']}")
    assert moved > 0


# --------------------------------------------------------------------- migration

def _migrate_reference(comm, s, sbar, ptr, idx, size, mu, min_size, directed, state):
    """The stated migration pass in Python, on a copy of the stream; returns (comm, size, moves, considered)."""
    comm, size = comm.copy(), size.copy()
    n = comm.size
    log_q = 0.0 if mu >= 1 else math.log1p(-mu)
    moves = considered = 0
    i = -1
    while True:
        gap = 0
        if log_q != 0.0:
            g = math.floor(math.log1p(-next_double(state)) / log_q)
            if g >= n:
                break
            gap = g
        i += gap + 1
        if i >= n:
            break
        if next_double(state) >= 1.0 - s[i]:
            continue
        c = comm[i]
        k = ptr[c + 1] - ptr[c]
        if k == 0:
            continue
        considered += 1
        c2 = idx[ptr[c] + int(next_double(state) * k)]
        better = sbar[c2] > sbar[c] if directed else next_double(state) < 0.5
        if better and size[c] > min_size:
            comm[i] = c2
            size[c] -= 1
            size[c2] += 1
            moves += 1
    return comm, size, moves, considered


@pytest.mark.parametrize("choice, mu", [("better", 0.05), ("random", 0.05), ("better", 1.0)])
def test_migration_pass_equals_python_reference(choice, mu):
    m = CoupledGovernmentModel(2000, 6, seed=9, community_graph=_graph6(), migration_rate=mu,
                               migration_choice=choice, min_community_size=300)
    m.run(2)
    for _ in range(3):
        state = m._mig_state[0].copy()
        ref = _migrate_reference(m.agents["community"], m.agents["satisfaction"], m.mean_satisfaction,
                                 m._nbr_ptr, m._nbr_idx, m.size, mu, 300, choice == "better", state)
        m.step()
        np.testing.assert_array_equal(m.agents["community"], ref[0])
        np.testing.assert_array_equal(m.size, ref[1])
        assert m.migrations == ref[2] and ref[3] > 0
        np.testing.assert_array_equal(m._mig_state[0], state)


@pytest.mark.parametrize("graph", ["ring", "complete", "nx"])
def test_migration_conserves_citizens_and_wealth_and_moves_up(graph):
    N, C, min_size = 3000, 12, 200
    g = nx.cycle_graph(C) if graph == "nx" else graph
    if graph == "nx":
        g.add_edge(0, 6)
    m = CoupledGovernmentModel(N, C, seed=5, community_graph=g, migration_rate=0.2, min_community_size=min_size)
    total, at_floor = 0, 0
    for _ in range(40):
        comm0, sbar0 = m.agents["community"].copy(), m.mean_satisfaction.copy()
        rec = m.step(quantiles=False)
        c = m.agents["community"]
        moved = np.flatnonzero(c != comm0)
        assert moved.size == m.migrations == rec["macro"]["migrations"]
        for i in moved:
            assert c[i] in _nbrs(m, comm0[i]) and sbar0[c[i]] > sbar0[comm0[i]]
        np.testing.assert_array_equal(m.size, np.bincount(c, minlength=C))
        np.testing.assert_array_equal(rec["meso"]["size"], m.size)
        assert m.size.sum() == N and m.size.min() >= min_size
        np.testing.assert_allclose(m._wsum, np.bincount(c, weights=m.agents["wealth"], minlength=C), rtol=1e-9)
        np.testing.assert_allclose(m._weight, m.size / N, rtol=1e-15)
        total += moved.size
        at_floor += int(m.size.min() == min_size)
    assert total > 100 and at_floor > 0   # the test saw moves, and the floor was reached


def test_migration_floor_exact_at_full_rate():
    """mu = 1, s = 0 in community 0 and 1 in community 1: every member of 0 leaves but the last min_size."""
    N = 40
    m = CoupledGovernmentModel(N, 2, seed=0, migration_rate=1.0, min_community_size=3, inertia=0.0)
    comm = np.array([0, 1] * (N // 2))
    m.set_agent_variable("community", comm)
    m.set_agent_variable("satisfaction", (comm == 1).astype(float))
    m.step()
    stay = np.flatnonzero(comm == 0)[-3:]
    np.testing.assert_array_equal(m.agents["community"], np.where(np.isin(np.arange(N), stay), 0, 1))
    assert m.migrations == N // 2 - 3 and m.size.tolist() == [3, N - 3]
    m.step()   # community 0 is at the floor and community 1 is better: nobody moves
    assert m.migrations == 0


def test_migration_considers_at_rate_mu_times_dissatisfaction():
    """Community 1 always has the higher mean: every citizen of 0 who considers a move makes it.

    Given the members of 0 before a step, its moves are a sum of Bernoulli(mu (1 - s_i)); summed over the steps
    the deviations from the conditional expectation have variance sum p_i (1 - p_i) (a martingale).
    """
    N, mu = 4000, 0.05
    m = CoupledGovernmentModel(N, 2, seed=3, migration_rate=mu, min_community_size=1, inertia=0.0)
    comm = (np.arange(N) >= N // 2).astype(np.int64)
    rng = np.random.default_rng(0)
    s = np.where(comm == 0, rng.uniform(0.0, 0.5, N), rng.uniform(0.7, 1.0, N))   # sbar_1 > 0.55 > sbar_0
    m.set_agent_variable("community", comm)
    m.set_agent_variable("satisfaction", s)
    moves = expect = var = alt = 0.0
    for _ in range(40):
        p = mu * (1 - s[m.agents["community"] == 0])
        before = m.size[0]
        m.step(quantiles=False)
        assert m.size[0] == before - m.migrations   # nobody moves back to the worse community
        moves += m.migrations
        expect += p.sum()
        var += np.sum(p * (1 - p))
        alt += mu * before                          # the expectation if the factor 1 - s_i were missing
    assert m.size[0] < N // 4                       # the test moved most of community 0
    assert abs(moves - expect) < 4 * math.sqrt(var)
    assert abs(alt - expect) > 8 * math.sqrt(var)   # the test can tell


def test_random_choice_moves_half_of_the_considered():
    N, mu, S = 4000, 0.05, 150
    m = CoupledGovernmentModel(N, 4, seed=7, migration_rate=mu, migration_choice="random",
                               min_community_size=1, inertia=0.0)
    s = m.agents["satisfaction"].copy()
    p = 0.5 * mu * (1 - s)
    moves = considered = 0
    for _ in range(S):
        state = m._mig_state[0].copy()
        ref = _migrate_reference(m.agents["community"], s, m.mean_satisfaction, m._nbr_ptr, m._nbr_idx,
                                 m.size, mu, 1, False, state)
        m.step(quantiles=False)
        assert m.migrations == ref[2]
        moves += m.migrations
        considered += ref[3]
    assert abs(moves - considered / 2) < 4 * math.sqrt(considered / 4)
    assert abs(considered - S * 2 * p.sum()) < 4 * math.sqrt(S * np.sum(2 * p * (1 - 2 * p)))
    assert abs(moves - S * p.sum()) < 4 * math.sqrt(S * np.sum(p * (1 - p)))


def test_no_migration_without_neighbours():
    m = CoupledGovernmentModel(1000, 5, seed=1, community_graph="none", migration_rate=0.5, spillover=1.0)
    c0 = m.agents["community"].copy()
    assert sum(r["macro"]["migrations"] for r in m.run(10)) == 0
    np.testing.assert_array_equal(m.agents["community"], c0)


def test_community_policies_follow_the_community():
    m = CoupledGovernmentModel(3000, 10, seed=12, migration_rate=0.2)
    welfare, grants = create_example_policies()[:2]
    ind = m.apply_policy(welfare)
    m.apply_policy(grants)
    cmask = m._policies[grants.name][1][1].copy()
    assert 0 < cmask.sum() < 10
    gamma = m.params["cost_weight"]
    entered = left = 0
    for _ in range(20):
        c0 = m.agents["community"].copy()
        m.step(quantiles=False)
        c = m.agents["community"]
        entered += int(np.sum(~cmask[c0] & cmask[c]))
        left += int(np.sum(cmask[c0] & ~cmask[c]))
        np.testing.assert_array_equal(m._policies[grants.name][1][0], cmask[c])
        field = 0.5 * ind + 0.3 * cmask[c] - gamma * (welfare.cost + grants.cost)
        np.testing.assert_allclose(m.agents["field"], field, rtol=0, atol=1e-15)
        np.testing.assert_array_equal(m.community_transfers, 0.3 * cmask)
    assert entered > 0 and left > 0


# ---------------------------------------------------------------- reproducibility

def test_one_and_two_threads_identical(at_1_and_2_threads):
    def hist(C):
        def run():
            m = CoupledGovernmentModel(20000, C, seed=77, migration_rate=0.05, min_community_size=1,
                                       community_graph="complete" if C < 10 else "ring")
            for p in create_example_policies():
                m.apply_policy(p)
            out = []
            for _ in range(6):
                m.step(quantiles=False)
                out.append(np.concatenate([m.agents["satisfaction"], m.agents["community"], m.cohesion,
                                           m.mean_satisfaction, m.resources, m.compliance,
                                           [m.approval, m.trust, m.migrations]]))
            return np.array(out)
        return run
    for C in (3, 10000):   # per-chunk partial sums / serial community sums
        a, b = at_1_and_2_threads(hist(C))
        np.testing.assert_array_equal(a, b)


def test_same_seed_same_history():
    def h(seed):
        m = CoupledGovernmentModel(3000, 6, seed=seed, migration_rate=0.1)
        out = []
        for _ in range(5):
            m.step(quantiles=False)
            out.append(np.concatenate([m.agents["satisfaction"], m.agents["community"], m.resources]))
        return np.array(out)
    a, b, c = h(21), h(21), h(22)
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)


# ------------------------------------------------------------------ community graph

def test_community_graph_csr():
    def lists(g, C):
        ptr, idx = community_graph_csr(g, C)
        assert ptr.dtype == idx.dtype == np.int64 and ptr[0] == 0 and ptr[-1] == idx.size
        return [idx[ptr[c]:ptr[c + 1]].tolist() for c in range(C)]
    assert lists("ring", 5) == [[1, 4], [0, 2], [1, 3], [2, 4], [0, 3]]
    assert lists("ring", 2) == [[1], [0]] and lists("ring", 1) == [[]]
    assert lists("complete", 4) == [[1, 2, 3], [0, 2, 3], [0, 1, 3], [0, 1, 2]]
    assert lists("none", 3) == [[], [], []]
    g = _graph6()
    g.add_edge(4, 4)                                   # a self-loop is ignored
    assert lists(g, 6) == [[1, 2], [0, 2], [0, 1, 3], [2, 4], [3], []]
    h = nx.Graph([(2, 0)])
    h.add_node(1)                                      # nodes in any order, one without edges
    assert lists(h, 3) == [[2], [], [0]]
    with pytest.raises(ValueError, match="community_graph"):
        community_graph_csr(nx.path_graph(4), 5)        # a community missing
    with pytest.raises(ValueError, match="community_graph"):
        community_graph_csr(nx.path_graph(["a", "b"]), 2)
    with pytest.raises(ValueError, match="community_graph"):
        community_graph_csr("grid", 4)
    for bad in (3, None, [[1], [0]], np.eye(2)):
        with pytest.raises(TypeError, match="community_graph"):
            community_graph_csr(bad, 2)
    with pytest.raises(ValueError, match="n_communities"):
        community_graph_csr("ring", 0)
    # the model uses it
    m = CoupledGovernmentModel(100, 6, seed=0, community_graph=_graph6())
    assert [_nbrs(m, c).tolist() for c in range(6)] == lists(_graph6(), 6)
    np.testing.assert_array_equal(m._degree, [2, 2, 3, 2, 1, 0])


# ------------------------------------------------------------------------ bad input

@pytest.mark.parametrize("kwargs, name", [
    (dict(public_goods=-0.1), "public_goods"),
    (dict(fiscal_rate=1.5), "fiscal_rate"),
    (dict(fiscal_rate=-0.1), "fiscal_rate"),
    (dict(compliance_sensitivity=1.01), "compliance_sensitivity"),
    (dict(compliance_sensitivity=-0.5), "compliance_sensitivity"),
    (dict(spillover=float("nan")), "spillover"),
    (dict(spillover=float("inf")), "spillover"),
    (dict(migration_rate=1.5), "migration_rate"),
    (dict(migration_rate=-0.01), "migration_rate"),
    (dict(migration_choice="best"), "migration_choice"),
    (dict(migration_choice=None), "migration_choice"),
    (dict(fixed_compliance=1.5), "fixed_compliance"),
    (dict(fixed_compliance=-0.1), "fixed_compliance"),
    (dict(fixed_compliance=float("nan")), "fixed_compliance"),
    (dict(min_community_size=0), "min_community_size"),
    (dict(community_graph="grid"), "community_graph"),
    (dict(community_graph=nx.path_graph(4)), "community_graph"),
])
def test_bad_values_raise_naming_the_parameter(kwargs, name):
    with pytest.raises(ValueError, match=name):
        CoupledGovernmentModel(100, 5, seed=0, **kwargs)


@pytest.mark.parametrize("kwargs, name", [
    (dict(spillover="0.1"), "spillover"),
    (dict(fixed_compliance="high"), "fixed_compliance"),
    (dict(min_community_size=1.5), "min_community_size"),
    (dict(community_graph=3), "community_graph"),
    (dict(migraton_rate=0.1), "unknown"),
])
def test_bad_types_raise_naming_the_parameter(kwargs, name):
    with pytest.raises(TypeError, match=name):
        CoupledGovernmentModel(100, 5, seed=0, **kwargs)


def test_params_written_out_of_range_raise():
    m = CoupledGovernmentModel(100, 5, seed=0)
    for name, value in (("fiscal_rate", 2), ("migration_rate", 1.1), ("public_goods", -1),
                        ("compliance_sensitivity", 2.0), ("spillover", float("nan")), ("noise", 0.0)):
        with pytest.raises(ValueError, match=name):
            m.params[name] = value
    with pytest.raises(ValueError, match="migration_rate"):
        m.params.update({"migration_rate": float("inf")})
    with pytest.raises(TypeError, match="unknown"):
        m.params["spill"] = 0.1
    with pytest.raises(ValueError, match="fiscal_rate"):
        m.params = {k: v for k, v in m.params.items() if k != "fiscal_rate"}
    assert m.params == {**GovernmentMultiscaleModel(100, 5).params, **COUPLED_DEFAULTS}   # nothing was written
    m.params["fiscal_rate"] = 1     # the ends of the ranges are allowed, stored as floats
    assert m.params["fiscal_rate"] == 1.0 and type(m.params["fiscal_rate"]) is float
    m.params = dict(m.params, spillover=-0.5)
    assert m.params["spillover"] == -0.5 and len(m.run(2)) == 2


# --------------------------------------------------------------------------- memory

def test_no_per_citizen_array_beyond_the_base_model():
    C = 20
    extra = []
    for N in (20000, 40000):
        a = CoupledGovernmentModel(N, C, seed=1, migration_rate=0.1)
        b = GovernmentMultiscaleModel(N, C, seed=1)
        for m in (a, b):
            for p in create_example_policies():
                m.apply_policy(p)
            m.run(3)
        assert a.migrations > 0
        extra.append(_nbytes(a) - _nbytes(b))
    assert extra[0] == extra[1]         # the same extra bytes at any N: nothing per citizen
    assert 0 < extra[0] < 40 * 8 * C    # a few arrays of C entries, the graph and one stream


def test_directed_graphs_and_misspelt_parameters_are_refused_clearly():
    import networkx as nx
    g = nx.DiGraph()
    g.add_edges_from([(0, 1), (1, 2)])
    with pytest.raises(TypeError, match="undirected"):
        CoupledGovernmentModel(30, 3, seed=0, community_graph=g)
    with pytest.raises(TypeError, match="migration_rate"):   # the allowed list names the new parameters
        CoupledGovernmentModel(30, 3, seed=0, migraton_rate=0.1)


def test_switching_the_fiscal_loop_off_returns_to_the_base_resources():
    m = CoupledGovernmentModel(2000, 8, seed=1)
    m.run(5, quantiles=False)
    m.params["fiscal_rate"] = 0.0
    m.run(1, quantiles=False)
    comm, w = m.agents["community"], m.agents["wealth"]
    base = np.bincount(comm, weights=w, minlength=8) / m.size + m.community_transfers
    np.testing.assert_allclose(m.resources, base, rtol=1e-12)
    m.set_agent_variable("wealth", m.agents["wealth"])   # refreshes derived values: no stale stock comes back
    np.testing.assert_allclose(m.resources, base, rtol=1e-12)
