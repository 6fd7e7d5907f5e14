"""Hub targeting: fields spread over chosen nodes of a network (chapter "Hub targeting").

Study module of ``book/ising/07_hub_targeting.ipynb``.  Field budgets spread
over chosen nodes (:func:`target_nodes`, :func:`allocate_budget`), the quenched
mean-field response of a graph (:func:`mf_magnetisations`,
:func:`mf_susceptibility_matrix`, :func:`mf_strategy_gain`), simulated gains
(:func:`field_gain`, :func:`gain_vs_budget`) and the smallest budget that flips
an ordered network (:func:`flip_budget`); the susceptibility-peak T_c of
Barabási–Albert graphs against their size (:func:`ba_tc_size_scan`,
:func:`size_for_tc`; it grows like ln N).  :func:`hub_claims` states the claims
the chapter judges.

All temperatures are in units of the coupling J (k_B = 1); every stochastic
function takes a root ``seed``; run ``i`` of a grid uses
``numpy.random.SeedSequence([seed, ...indices])``.
"""

from __future__ import annotations

import math

import numpy as np

from utacbook import _validate as v
from utacbook.models import _ising as ising
from utacbook.models import _networks as networks
from utacbook.models._networks import _seed, _ss, network_tc_scan
from utacbook.viz._plotting import _plt

__all__ = [
    'target_nodes', 'allocate_budget', 'mf_magnetisations', 'mf_susceptibility_matrix', 'mf_strategy_gain',
    'field_gain', 'ranking_difference', 'flip_budget', 'gain_vs_budget', 'ba_tc_size_scan', 'size_for_tc',
    'STRATEGIES', 'hub_claims', 'plot_gain_vs_budget', 'plot_ba_tc_size', 'plot_targeting',
    'plot_targeting_widget', 'field_gain_study', 'load_field_gain', 'spot_check_field_gain',
    'gain_vs_budget_study', 'load_gain_vs_budget', 'spot_check_gain_vs_budget',
    'flip_budget_study', 'load_flip_budget', 'spot_check_flip_budget', 'mf_gain_study', 'load_mf_gain',
    'spot_check_mf_gain',
]


# =============================================================================
# 3. Hub-targeted fields
# =============================================================================

STRATEGIES = ("hubs", "random", "low", "uniform")


def target_nodes(degrees, *, k=10, strategy="hubs", seed=0):
    """Indices of the nodes a strategy puts the field on.

    Parameters
    ----------
    degrees : 1-D array of int >= 0
        Degree of every node (node order).
    k : int, 1 <= k <= N
        Number of targets (ignored by "uniform").
    strategy : {"hubs", "random", "low", "uniform"}
        "hubs": the k largest degrees; "low": the k smallest; ties broken by
        node index (stable sort).  "random": k distinct nodes drawn with
        ``seed``.  "uniform": every node.
    seed : int >= 0

    Returns
    -------
    ndarray of int
    """
    deg = np.asarray(degrees)
    if deg.ndim != 1 or deg.size == 0:
        raise ValueError("degrees must be a non-empty 1-D array")
    N = deg.size
    v.choice("strategy", strategy, set(STRATEGIES))
    if strategy == "uniform":
        return np.arange(N)
    k = v.integer("k", k, low=1, high=N)
    if strategy == "hubs":
        return np.argsort(-deg, kind="stable")[:k]
    if strategy == "low":
        return np.argsort(deg, kind="stable")[:k]
    rng = np.random.default_rng(_seed(seed))
    return np.sort(rng.choice(N, size=k, replace=False))


def allocate_budget(degrees, *, H=10.0, k=10, strategy="hubs", seed=0):
    """Per-node fields h_i >= 0 with Σ h_i = H, spread evenly over the targets.

    Parameters
    ----------
    degrees : 1-D array
    H : float >= 0
        Total field budget (units of J).
    k, strategy, seed : see :func:`target_nodes`

    Returns
    -------
    ndarray of float, shape (N,)
    """
    H = v.real("H", H, nonnegative=True)
    idx = target_nodes(degrees, k=k, strategy=strategy, seed=seed)
    h = np.zeros(np.asarray(degrees).size)
    h[idx] = H / idx.size
    return h


def mf_magnetisations(A, T, *, h=0.0, J=1.0, m0=1.0, damping=0.5, tol=1e-12, max_iter=20000):
    """Quenched mean-field magnetisations m_i = tanh(β(J Σ_j A_ij m_j + h_i)).

    Solved by damped iteration from ``m0`` (a scalar or per-node start; the
    solution reached depends on it in the ordered phase: m0 = +1 picks the
    branch aligned with a positive field, as in Lynn & Lee 2016).

    Parameters
    ----------
    A : scipy.sparse matrix or 2-D array, shape (N, N)
        Symmetric adjacency (coupling factors).
    T : float > 0
    h : float or array (N,)
    J : float
    m0 : float or array (N,) in [-1, 1]
    damping : float in (0, 1]
    tol : float > 0
    max_iter : int >= 1

    Returns
    -------
    ndarray, shape (N,)
    """
    T = v.real("T", T, positive=True)
    J = v.real("J", J)
    N = A.shape[0]
    hv = np.broadcast_to(np.asarray(h, dtype=float), (N,))
    m = np.array(np.broadcast_to(np.asarray(m0, dtype=float), (N,)))
    damping = v.real("damping", damping, positive=True, high=1.0)
    beta = 1.0 / T
    for _ in range(v.integer("max_iter", max_iter, low=1)):
        new = (1 - damping) * m + damping * np.tanh(beta * (J * (A @ m) + hv))
        if np.max(np.abs(new - m)) < tol:
            return new
        m = new
    return m


def mf_susceptibility_matrix(A, T, *, J=1.0, m=None):
    """Mean-field susceptibility matrix χ_ij = ∂m_i/∂h_j.

    Differentiating m_i = tanh(β(J Σ_j A_ij m_j + h_i)) gives
    δm = D β (J A δm + δh), D = diag(1 - m_i²), so

    .. math:: \\chi = (I - \\beta J D A)^{-1} \\beta D .

    In the paramagnetic phase (m = 0, D = I) this is
    χ = β (I - βJA)^{-1}, finite only for T > J λ_max(A), the quenched
    mean-field T_c.  The response of M = (1/N) Σ m_i to a field on node j
    is (1/N) Σ_i χ_ij.

    Parameters
    ----------
    A : sparse or dense (N, N)
    T : float > 0
    J : float
    m : None or array (N,)
        Magnetisations at which to linearise (None: m = 0).

    Returns
    -------
    ndarray, shape (N, N)
    """
    T = v.real("T", T, positive=True)
    J = v.real("J", J)
    Ad = A.toarray() if hasattr(A, "toarray") else np.asarray(A, dtype=float)
    N = Ad.shape[0]
    d = np.ones(N) if m is None else 1.0 - np.asarray(m, dtype=float) ** 2
    beta = 1.0 / T
    Mtx = np.eye(N) - beta * J * d[:, None] * Ad
    return np.linalg.solve(Mtx, beta * np.diag(d))


def mf_strategy_gain(graph, *, temperatures=(3.0, 5.0, 8.0, 12.0), H=10.0, k=10,
                     strategies=STRATEGIES, J=1.0, seed=0, linear=True):
    """Mean-field magnetisation gained by each strategy, across temperatures.

    ΔM = M(h) - M(0), both from the quenched mean-field fixed point started
    at m = +1 (the branch aligned with the field), and the linear-response
    prediction ΔM_lin = (1/N) 1ᵀ χ h with χ from
    :func:`mf_susceptibility_matrix` at the zero-field solution.
    ``linear=False`` skips the linear response (a dense N x N solve per
    temperature; ``gain_lin`` is then None): ``gain`` is the same.

    Returns
    -------
    dict
        ``temperatures``, ``gain`` and ``gain_lin`` (dict strategy -> array),
        ``T_c_mf`` (J λ_max of the adjacency), ``M0`` (zero-field M).
    """
    from scipy.sparse.linalg import eigsh
    temps = v.real_array("temperatures", temperatures, ndim=1, min_len=1)
    A = networks.adjacency(graph)
    deg = np.asarray(A.sum(axis=1)).ravel()
    N = A.shape[0]
    hs = {st: allocate_budget(deg, H=H, k=k, strategy=st, seed=seed) for st in strategies}
    gain = {st: np.zeros(temps.size) for st in strategies}
    lin = {st: np.zeros(temps.size) for st in strategies}
    M0 = np.zeros(temps.size)
    for i, T in enumerate(temps):
        m0 = mf_magnetisations(A, float(T), J=J, m0=1.0)
        M0[i] = m0.mean()
        if linear:
            chi = mf_susceptibility_matrix(A, float(T), J=J, m=m0)
            col = chi.sum(axis=0) / N
        for st in strategies:
            gain[st][i] = mf_magnetisations(A, float(T), h=hs[st], J=J, m0=m0).mean() - M0[i]
            if linear:
                lin[st][i] = col @ hs[st]
    lam = float(eigsh(A.astype(float), k=1, which="LA", return_eigenvectors=False)[0])
    return {"temperatures": temps, "gain": gain, "gain_lin": lin if linear else None, "M0": M0, "T_c_mf": J * lam}


def mf_gain_study(*, n=1000, m=3, graph_seed=707, temperatures=(3.0, 5.0, 8.0, 12.0), H=10.0, k=10, seed=0):
    """:func:`mf_strategy_gain` on ``barabasi_albert(n=n, m=m, seed=graph_seed)``, for a stored result.

    Deterministic but for ``T_c_mf`` (ARPACK starts from a random vector: its last digits vary from
    call to call); the dense solve per temperature makes it slow (~4 s for the chapter's 14
    temperatures).  The chapter's is ``book/data/hub_targeting_mf_gain.json``; :func:`load_mf_gain` reads
    it back and :func:`spot_check_mf_gain` recomputes one temperature.
    """
    G = networks.barabasi_albert(n=n, m=m, seed=graph_seed)
    return {**mf_strategy_gain(G, temperatures=temperatures, H=H, k=k, seed=seed), "strategies": list(STRATEGIES)}


def load_mf_gain(name="hub_targeting_mf_gain", *, data_dir=None):
    """A stored :func:`mf_gain_study`: ``(result, record)``, as :func:`mf_strategy_gain` returns it."""
    from utacbook import stored
    rec = stored.load(name, data_dir=data_dir)
    arr = (lambda x: np.asarray(x, dtype=float))
    out = {"temperatures": arr(rec["temperatures"]),
           "gain": {st: arr(rec["gain"][st]) for st in rec["strategies"]},
           "gain_lin": {st: arr(rec["gain_lin"][st]) for st in rec["strategies"]},
           "M0": arr(rec["M0"]), "T_c_mf": float(rec["T_c_mf"])}
    return out, rec


def spot_check_mf_gain(rec, graph, *, index=0):
    """Recompute temperature ``index`` of a stored :func:`mf_gain_study` on ``graph``.

    Returns
    -------
    dict
        ``T``, ``identical`` (gains, linear-response gains and M0 equal bit for bit) and ``T_c_mf``
        with ``T_c_mf_rel`` (relative difference from the stored one; ARPACK's random start).
    """
    p = rec.provenance["params"]
    T = float(rec["temperatures"][index])
    r = mf_strategy_gain(graph, temperatures=[T], H=p["H"], k=p["k"], seed=p["seed"])
    same = all(r["gain"][st][0] == rec["gain"][st][index] and r["gain_lin"][st][0] == rec["gain_lin"][st][index]
               for st in rec["strategies"]) and r["M0"][0] == rec["M0"][index]
    return {"T": T, "identical": bool(same), "T_c_mf": r["T_c_mf"],
            "T_c_mf_rel": abs(r["T_c_mf"] / rec["T_c_mf"] - 1)}


def field_gain(graph, *, temperatures=(3.0, 5.0, 8.0), H=10.0, k=10, strategies=STRATEGIES,
               J=1.0, sweeps=400, burn_in=100, init="up", n_seeds=6, seed=0):
    """Simulated magnetisation gained by each targeting strategy.

    For every T, seed and strategy, ⟨M⟩ with the strategy's fields minus
    ⟨M⟩ at h = 0 from the same start and the same random stream (common
    random numbers: the paired difference has a much smaller variance).
    Below T_c, init="up" measures the gain on the ordered branch aligned
    with the field (Lynn & Lee's setting); above T_c the start is forgotten.

    Returns
    -------
    dict
        ``temperatures``, ``gain`` and ``gain_err`` (dict strategy -> array
        over T; mean ± s.e.m. over seeds), ``diffs`` (strategy -> (n_T,
        n_seeds) paired differences), ``M0`` (zero-field ⟨M⟩).
    """
    g = graph if isinstance(graph, ising.IsingGraph) else ising.prepare_graph(graph)
    temps = v.real_array("temperatures", temperatures, ndim=1, min_len=1)
    n_seeds = v.integer("n_seeds", n_seeds, low=2)
    seed = _seed(seed)
    deg = _node_degrees(g)
    hs = {st: allocate_budget(deg, H=H, k=k, strategy=st, seed=seed) for st in strategies}
    diffs = {st: np.zeros((temps.size, n_seeds)) for st in strategies}
    M0 = np.zeros((temps.size, n_seeds))
    for i, T in enumerate(temps):
        for s in range(n_seeds):
            M0[i, s], d = _field_gain_runs(g, float(T), hs, J=J, sweeps=sweeps, burn_in=burn_in, init=init,
                                           seed=_ss(seed, i, s))
            for st in strategies:
                diffs[st][i, s] = d[st]
    sq = math.sqrt(n_seeds)
    return {"temperatures": temps, "gain": {st: d.mean(1) for st, d in diffs.items()},
            "gain_err": {st: d.std(1, ddof=1) / sq for st, d in diffs.items()},
            "diffs": diffs, "M0": M0.mean(1), "M0_err": M0.std(1, ddof=1) / sq}


def _field_gain_runs(g, T, hs, *, J, sweeps, burn_in, init, seed):
    """Run (i, s) of :func:`field_gain`: ⟨M⟩ without a field and each strategy's paired difference."""
    base = ising.simulate_graph(g, T, J=J, sweeps=sweeps, burn_in=burn_in, algorithm="heatbath", init=init,
                                seed=seed)
    M0 = base.magnetization.mean()
    diffs = {}
    for st, h in hs.items():
        r = ising.simulate_graph(g, T, J=J, h=h, sweeps=sweeps, burn_in=burn_in, algorithm="heatbath", init=init,
                                 seed=seed)
        diffs[st] = r.magnetization.mean() - M0
    return M0, diffs


def field_gain_study(*, n=1000, m=3, graph_seed=707, temperatures=(3.0, 5.0, 8.0), H=10.0, k=10, sweeps=400,
                     burn_in=100, init="up", n_seeds=6, seed=0):
    """:func:`field_gain` on ``barabasi_albert(n=n, m=m, seed=graph_seed)``, for a stored result.

    The chapter's scan is ``book/data/hub_targeting_field_gain.json`` (330 runs, ~6 s on one core);
    :func:`load_field_gain` reads it back and :func:`spot_check_field_gain` re-runs one (T, seed).

    Returns
    -------
    dict
        :func:`field_gain`'s result and ``strategies`` (their order).
    """
    g = ising.prepare_graph(networks.barabasi_albert(n=n, m=m, seed=graph_seed))
    out = field_gain(g, temperatures=temperatures, H=H, k=k, sweeps=sweeps, burn_in=burn_in, init=init,
                     n_seeds=n_seeds, seed=seed)
    return {**out, "strategies": list(STRATEGIES)}


def load_field_gain(name="hub_targeting_field_gain", *, data_dir=None):
    """A stored :func:`field_gain_study`: ``(result, record)``, the result as :func:`field_gain` returns it.

    The arrays are numpy arrays again (the JSON numbers are the computed floats exactly).
    """
    from utacbook import stored
    rec = stored.load(name, data_dir=data_dir)
    arr = (lambda x: np.asarray(x, dtype=float))
    out = {"temperatures": arr(rec["temperatures"])}
    for key in ("gain", "gain_err", "diffs"):
        out[key] = {st: arr(rec[key][st]) for st in rec["strategies"]}
    out["M0"], out["M0_err"] = arr(rec["M0"]), arr(rec["M0_err"])
    return out, rec


def spot_check_field_gain(rec, graph, *, index=-1, seed_index=0):
    """Re-run run (temperature ``index``, seed ``seed_index``) of a stored :func:`field_gain_study` on ``graph``.

    Returns
    -------
    dict
        ``T``, ``diffs`` (strategy -> re-run paired difference), ``stored`` (the stored ones) and
        ``identical`` (all equal bit for bit).
    """
    p = rec.provenance["params"]
    g = graph if isinstance(graph, ising.IsingGraph) else ising.prepare_graph(graph)
    temps = np.asarray(rec["temperatures"], dtype=float)
    i = int(np.arange(temps.size)[index])
    hs = {st: allocate_budget(_node_degrees(g), H=p["H"], k=p["k"], strategy=st, seed=p["seed"])
          for st in rec["strategies"]}
    _, d = _field_gain_runs(g, float(temps[i]), hs, J=1.0, sweeps=p["sweeps"], burn_in=p["burn_in"], init=p["init"],
                            seed=_ss(p["seed"], i, seed_index))
    want = {st: rec["diffs"][st][i][seed_index] for st in rec["strategies"]}
    return {"T": float(temps[i]), "diffs": d, "stored": want, "identical": all(d[st] == want[st] for st in d)}


def _node_degrees(g):
    """Degrees of a prepared graph in node order."""
    return np.asarray(g.degree)


#: default field budgets of :func:`flip_budget` (a module constant, so the default is evaluated once, as before)
_FLIP_BUDGETS = np.geomspace(1, 300, 12)


def flip_budget(graph, *, T=3.0, budgets=_FLIP_BUDGETS, k=10, strategies=STRATEGIES,
                J=1.0, sweeps=200, n_seeds=6, refine=4, seed=0):
    """Smallest field budget that flips a network ordered against the field.

    Start from all spins down (m = -1), apply the strategy's fields (budget
    H on its targets) and run ``sweeps`` heat-bath sweeps; the network has
    flipped if its magnetisation crossed 0 within the run.  For each seed
    the budgets are tried in increasing order; the first that flips is
    refined by ``refine`` bisection steps (geometric) between it and the
    previous budget, and the smallest flipping budget found is recorded (the
    same random stream for every budget of a seed).

    Returns
    -------
    dict
        ``budgets``, ``flipped`` (strategy -> bool (n_budgets, n_seeds)),
        ``H_min`` (strategy -> per-seed smallest budget, inf if none
        flips), ``H_min_mean`` and ``H_min_err`` (mean ± s.e.m. over the
        seeds that flipped; inf/nan if none did), ``n_flipped``.
    """
    g = graph if isinstance(graph, ising.IsingGraph) else ising.prepare_graph(graph)
    T = v.real("T", T, positive=True)
    Hs = v.real_array("budgets", budgets, ndim=1, min_len=1)
    if np.any(np.diff(Hs) <= 0) or np.any(Hs < 0):
        raise ValueError("budgets must be non-negative and increasing")
    n_seeds = v.integer("n_seeds", n_seeds, low=2)
    refine = v.integer("refine", refine, low=0)
    seed = _seed(seed)
    deg = _node_degrees(g)
    flipped = {st: np.zeros((Hs.size, n_seeds), dtype=bool) for st in strategies}
    Hmin = {st: np.full(n_seeds, np.inf) for st in strategies}
    for st in strategies:
        for s in range(n_seeds):
            b, hi = _flip_search(g, T, deg, st, s, Hs, k=k, J=J, sweeps=sweeps, refine=refine, seed=seed)
            if b is not None:
                flipped[st][b:, s] = True
                Hmin[st][s] = hi
    mean, err, nf = {}, {}, {}
    for st in strategies:
        ok = np.isfinite(Hmin[st])
        nf[st] = int(ok.sum())
        mean[st] = float(Hmin[st][ok].mean()) if ok.any() else float("inf")
        err[st] = float(Hmin[st][ok].std(ddof=1) / math.sqrt(ok.sum())) if ok.sum() > 1 else float("nan")
    return {"budgets": Hs, "flipped": flipped, "H_min": Hmin, "H_min_mean": mean,
            "H_min_err": err, "n_flipped": nf, "T": T, "k": k}


def _flip_search(g, T, deg, st, s, Hs, *, k, J, sweeps, refine, seed):
    """The search of :func:`flip_budget` for one strategy and seed: (first flipping budget index or None, H_min)."""
    def flips(H):
        h = allocate_budget(deg, H=float(H), k=k, strategy=st, seed=seed)
        r = ising.simulate_graph(g, T, J=J, h=h, sweeps=sweeps, burn_in=0,
                                 algorithm="heatbath", init="down", seed=_ss(seed, s))
        return bool(np.any(r.magnetization > 0))

    for b, H in enumerate(Hs):
        if flips(H):
            lo, hi = (float(Hs[b - 1]) if b > 0 else 0.0), float(H)
            for _ in range(refine):  # bisection (geometric once lo > 0)
                mid = math.sqrt(lo * hi) if lo > 0 else hi / 2
                if flips(mid):
                    hi = mid
                else:
                    lo = mid
            return b, hi
    return None, np.inf


def flip_budget_study(*, n=1000, m=3, graph_seed=707, temperatures=(3.0,), H_max=300.0, n_budgets=12, k=10,
                      sweeps=200, n_seeds=6, refine=4, seed=0):
    """:func:`flip_budget` at several temperatures on one Barabási–Albert graph, for a stored result.

    The graph is ``barabasi_albert(n=n, m=m, seed=graph_seed)``, the budgets ``np.geomspace(5, H_max,
    n_budgets)``.  The chapter's two searches are ``book/data/hub_targeting_flip_budget.json`` (721 runs,
    ~5 s on one core); :func:`load_flip_budget` reads them back and :func:`spot_check_flip_budget`
    repeats one search.  Non-finite numbers (no flip: H_min = inf; fewer than two: H_min_err = nan) are
    stored as None.

    Returns
    -------
    dict
        ``results``: one :func:`flip_budget` result per temperature, and ``strategies``.
    """
    g = ising.prepare_graph(networks.barabasi_albert(n=n, m=m, seed=graph_seed))
    out = []
    for T in temperatures:
        r = flip_budget(g, T=T, budgets=np.geomspace(5, H_max, n_budgets), k=k, sweeps=sweeps, n_seeds=n_seeds,
                        refine=refine, seed=seed)
        fin = (lambda x: float(x) if np.isfinite(x) else None)
        r["H_min"] = {st: [fin(x) for x in a] for st, a in r["H_min"].items()}
        r["H_min_mean"] = {st: fin(x) for st, x in r["H_min_mean"].items()}
        r["H_min_err"] = {st: fin(x) for st, x in r["H_min_err"].items()}
        out.append(r)
    return {"results": out, "strategies": list(STRATEGIES)}


def load_flip_budget(name="hub_targeting_flip_budget", *, data_dir=None):
    """A stored :func:`flip_budget_study`: ``(results, record)``, each as :func:`flip_budget` returns it."""
    from utacbook import stored
    rec = stored.load(name, data_dir=data_dir)
    out = []
    for r in rec["results"]:
        sts = list(r["flipped"])
        d = {"budgets": np.asarray(r["budgets"], dtype=float),
             "flipped": {st: np.asarray(r["flipped"][st], dtype=bool) for st in sts},
             "H_min": {st: np.array([np.inf if x is None else x for x in r["H_min"][st]], dtype=float) for st in sts},
             "H_min_mean": {st: float("inf") if x is None else x for st, x in r["H_min_mean"].items()},
             "H_min_err": {st: float("nan") if x is None else x for st, x in r["H_min_err"].items()},
             "n_flipped": dict(r["n_flipped"]), "T": float(r["T"]), "k": r["k"]}
        out.append({key: d[key] for key in r})
    return out, rec


def spot_check_flip_budget(rec, graph, *, run=0, strategy="hubs", seed_index=0):
    """Repeat one search (temperature ``run``, ``strategy``, seed) of a stored :func:`flip_budget_study`.

    Returns
    -------
    dict
        ``T``, ``H_min`` (repeated), ``stored`` and ``identical`` (equal bit for bit, and the same
        first flipping budget).
    """
    p = rec.provenance["params"]
    g = graph if isinstance(graph, ising.IsingGraph) else ising.prepare_graph(graph)
    r = rec["results"][run]
    Hs = np.asarray(r["budgets"], dtype=float)
    b, hi = _flip_search(g, float(r["T"]), _node_degrees(g), strategy, seed_index, Hs, k=p["k"], J=1.0,
                         sweeps=p["sweeps"], refine=p["refine"], seed=p["seed"])
    want = r["H_min"][strategy][seed_index]
    want = np.inf if want is None else want
    col = [row[seed_index] for row in r["flipped"][strategy]]
    b_want = col.index(True) if True in col else None
    return {"T": float(r["T"]), "H_min": float(hi), "stored": float(want),
            "identical": bool(hi == want and b == b_want)}


#: default T / T_Bethe grid of :func:`ba_tc_size_scan`
_BA_REL_TEMPERATURES = tuple(np.round(np.linspace(0.5, 1.0, 11), 3))


def ba_tc_size_scan(*, sizes=(500, 1000, 2000, 4000), m=3, graph_seed=707,
                    rel_temperatures=_BA_REL_TEMPERATURES, sweeps=1000,
                    burn_in=200, n_seeds=6, seed=757):
    """Susceptibility-peak T_c of Barabási–Albert graphs of growing size.

    One graph per size from ``networks.barabasi_albert(n=N, m=m,
    seed=graph_seed)``: with a common seed networkx grows the graphs one
    inside the other (the graph of size N is the first N nodes of every
    larger one), a single growing network.  For each, χ(T) is scanned on
    the grid ``rel_temperatures`` × (its Bethe T_c from its own degree
    moments) with :func:`utacbook.models.network_tc_scan` (Metropolis, random start, root
    seed ``seed + N``, so that the entry of one size does not depend on the
    others).  The peak is compared with the Bethe and annealed-network
    (⟨k²⟩/⟨k⟩) estimates of the same graph, and T_peak is fitted against
    ln N (weighted least squares; error scaled by sqrt(χ²/dof) when above 1).

    Returns
    -------
    dict (JSON-ready)
        ``sizes``, ``T_peak``, ``T_peak_err``, ``T_peaks`` (per seed),
        ``T_bethe``, ``T_mf``, ``k1``, ``k2``, ``k_max``, ``chi`` and
        ``temperatures`` (per size), ``slope``, ``slope_err``,
        ``intercept``, ``intercept_err``, ``chi2``, ``dof``.
    """
    from utacbook.theory._exact import bethe_tc, mean_field_tc
    Ns = [v.integer("size", n, low=m + 1) for n in sizes]
    rel = v.real_array("rel_temperatures", rel_temperatures, ndim=1, min_len=3)
    seed = _seed(seed)
    out = {k: [] for k in ("T_peak", "T_peak_err", "T_peaks", "T_bethe", "T_mf", "k1", "k2",
                           "k_max", "chi", "chi_err", "temperatures")}
    for N in Ns:
        G = networks.barabasi_albert(n=N, m=m, seed=graph_seed)
        k1, k2 = networks.degree_moments(G)
        tb = bethe_tc(G)
        s = network_tc_scan(G, temperatures=rel * tb, sweeps=sweeps, burn_in=burn_in, n_seeds=n_seeds,
                            seed=seed + N)
        for key, val in (("T_peak", s["T_peak"]), ("T_peak_err", s["T_peak_err"]),
                         ("T_peaks", s["T_peaks"]), ("T_bethe", tb), ("T_mf", mean_field_tc(G)),
                         ("k1", k1), ("k2", k2), ("k_max", max(d for _, d in G.degree)),
                         ("chi", s["chi"]), ("chi_err", s["chi_err"]), ("temperatures", s["temperatures"])):
            out[key].append(val)
    x = np.log(np.asarray(Ns, dtype=float))
    y = np.asarray(out["T_peak"])
    e = np.asarray(out["T_peak_err"])
    fit = {"slope": float("nan"), "slope_err": float("nan"), "intercept": float("nan"),
           "intercept_err": float("nan"), "chi2": float("nan"), "dof": 0}
    if len(Ns) >= 2:
        w = 1 / e ** 2
        X = np.vstack([np.ones_like(x), x]).T
        cov = np.linalg.inv(X.T @ (w[:, None] * X))
        beta = cov @ (X.T @ (w * y))
        chi2 = float(np.sum(w * (y - X @ beta) ** 2))
        dof = len(Ns) - 2
        sc = math.sqrt(chi2 / dof) if dof > 0 and chi2 > dof else 1.0
        fit = {"slope": float(beta[1]), "slope_err": float(math.sqrt(cov[1, 1]) * sc),
               "intercept": float(beta[0]), "intercept_err": float(math.sqrt(cov[0, 0]) * sc),
               "chi2": chi2, "dof": dof}
    out = {k: [np.asarray(x_).tolist() if isinstance(x_, np.ndarray) else x_ for x_ in vals]
           for k, vals in out.items()}
    out.update(fit)
    out.update({"sizes": Ns, "m": m, "graph_seed": graph_seed, "sweeps": sweeps, "burn_in": burn_in,
                "n_seeds": n_seeds})
    return out


def size_for_tc(scan, T):
    """Size N at which the fitted T_peak = intercept + slope·ln N of :func:`ba_tc_size_scan` reaches T,
    and the standard error of ln N from the fit (intercept and slope errors combined,
    ignoring their covariance).  Returns (N, ln_N_err)."""
    a, b = scan["intercept"], scan["slope"]
    lnN = (T - a) / b
    err = math.hypot(scan["intercept_err"] / b, (T - a) * scan["slope_err"] / b ** 2)
    return float(math.exp(lnN)), float(err)


def ranking_difference(gain_result, *, a="hubs", b="low"):
    """Paired difference of two strategies' gains, and where its sign flips.

    Uses the per-seed paired differences of :func:`field_gain` (both
    strategies ran with the same seeds, so the difference is paired).

    Returns
    -------
    dict
        ``diff`` and ``diff_err`` (gain_a - gain_b per temperature, mean ±
        s.e.m.), ``T_flip`` (linear interpolation of the first sign change
        from negative to positive with increasing T, nan if none) and
        ``bracket`` (the two grid temperatures around it).
    """
    for name, st in (("a", a), ("b", b)):
        if st not in gain_result["diffs"]:
            raise ValueError(f"{name}={st!r} is not among the strategies of gain_result")
    d = gain_result["diffs"][a] - gain_result["diffs"][b]
    n = d.shape[1]
    mean, err = d.mean(1), d.std(1, ddof=1) / math.sqrt(n)
    T = gain_result["temperatures"]
    T_flip, bracket = float("nan"), (float("nan"), float("nan"))
    for i in range(T.size - 1):
        if mean[i] < 0 <= mean[i + 1]:
            T_flip = float(T[i] - mean[i] * (T[i + 1] - T[i]) / (mean[i + 1] - mean[i]))
            bracket = (float(T[i]), float(T[i + 1]))
            break
    return {"temperatures": T, "diff": mean, "diff_err": err, "T_flip": T_flip, "bracket": bracket}


def hub_claims(*, n=1000, m=3, k=10, H_big=3000.0, H_max=5000.0, flip_sweeps=200, H_gain=20.0,
               sizes=(500, 16000)):
    """The claims of ``07_hub_targeting`` with their criteria (essay, sections iii and vi, and ours).

    Returns
    -------
    list of :class:`utacbook.claims.Claim`
    """
    from utacbook import claims as uc
    graph = f"one Barabási–Albert graph, N = {n}, m = {m}"
    nn = f"T_c of this N = {n} graph (a BA graph's T_c grows like ln N)"
    return [
        uc.Claim("ising.hubs.remagnetise", source="essay", section="vi.3",
                 text=("In scale\u2011free networks, tilting a handful of high\u2011degree nodes can "
                       "re\u2011magnetize the whole graph"),
                 quantity=(f"magnetisation reached (mean of sweeps 151–300) with a budget H = {H_big:g} "
                           f"on the {k} top hubs, started against the field (m = −1) below T_c and "
                           f"disordered above; “the whole graph” read as m ≥ 1/2 (three quarters of the "
                           f"nodes on the campaign's side)"),
                 criterion=uc.Bound(lower=0.5, k=2),
                 scope=f"{graph}; three temperatures, two below and one above the {nn}; 4 seeds"),
        uc.Claim("ising.hubs.flip", source="essay", section="iii",
                 text=("targeting high\u2011degree hubs with a field (information campaign) can trigger "
                       "network\u2011wide flips"),
                 quantity=(f"fraction of runs in which some budget ≤ {H_max:g} on the {k} top hubs flips "
                           f"the network ordered against it (m crosses 0 within {flip_sweeps} sweeps)"),
                 criterion=uc.Bound(lower=0.5, k=0),
                 scope=(f"{graph}; two temperatures below the {nn} (above it there is no order to "
                        f"flip); 6 seeds")),
        uc.Claim("ising.hubs.random", source="essay", section="vi.3",
                 text="random targeting underperforms",
                 quantity=(f"magnetisation reached with H = {H_big:g} on the {k} top hubs minus that "
                           f"reached on {k} random nodes (same seeds)"),
                 criterion=uc.Sign(+1, k=3),
                 scope=f"{graph}; the three temperatures of the re-magnetisation test; 4 seeds"),
        uc.Claim("ising.hubs.lynn_lee_low", source="ours", section="",
                 text=("deep in the ordered phase a field on low-degree nodes buys more magnetisation "
                       "than the same field on hubs (Lynn & Lee 2016)"),
                 quantity=(f"gain ΔM(hubs) − ΔM(low-degree) with H = {H_gain:g} on {k} nodes, network "
                           "aligned with the field, paired seeds"),
                 criterion=uc.Sign(-1, k=3),
                 scope=f"{graph}; every simulated T below the {nn}; 6 seeds"),
        uc.Claim("ising.hubs.lynn_lee_high", source="ours", section="",
                 text="above T_c a field on hubs buys more than the same field on low-degree nodes (Lynn & Lee 2016)",
                 quantity=f"gain ΔM(hubs) − ΔM(low-degree) with H = {H_gain:g} on {k} nodes, paired seeds",
                 criterion=uc.Sign(+1, k=3),
                 scope=f"{graph}; every simulated T above the {nn}; 6 seeds"),
        uc.Claim("ising.hubs.mf_ratio", source="ours", section="",
                 text=("the quenched mean field, compared at the same T/T_c, predicts the ratio of the "
                       "hub gain to the uniform gain"),
                 quantity="simulated ratio gain(hubs)/gain(uniform) minus the mean-field ratio",
                 criterion=uc.Agreement(0.0, k=2),
                 scope=f"{graph}; the three highest simulated temperatures (all above T_c)"),
        uc.Claim("ising.hubs.tc_size", source="ours", section="",
                 text=("the ordering temperature of a Barabási–Albert graph grows without bound like "
                       "ln N (Dorogovtsev, Goltsev & Mendes)"),
                 quantity="χ-peak temperature T_peak, from one size to the next (doubling N)",
                 criterion=uc.Ordering(increasing=True, k=2),
                 scope=(f"one growing BA graph, m = {m}, N = {sizes[0]} … {sizes[-1]}; 6 seeds per size "
                        "(stored result)")),
    ]


def gain_vs_budget(graph, *, T=5.0, budgets=(1, 3, 10, 30, 100, 300), k=10, strategies=STRATEGIES,
                   init="down", J=1.0, sweeps=300, n_seeds=4, seed=0):
    """Magnetisation reached under each strategy's field, against the budget.

    Each run starts from ``init`` ("down": the network ordered against the
    field, m = -1; "random": disorder) and runs ``sweeps`` heat-bath sweeps
    with the field on; the result is m averaged over the last half of the
    run, mean ± s.e.m. over seeds (the same seeds for every budget and
    strategy).

    Returns
    -------
    dict
        ``budgets``, ``m`` and ``m_err`` (strategy -> array over budgets),
        ``m0`` and ``m0_err`` (no field), ``T``, ``init``; ``m_runs`` (strategy ->
        (n_budgets, n_seeds)) and ``m0_runs`` the runs themselves.
    """
    g = graph if isinstance(graph, ising.IsingGraph) else ising.prepare_graph(graph)
    T = v.real("T", T, positive=True)
    Hs = v.real_array("budgets", budgets, ndim=1, min_len=1)
    n_seeds = v.integer("n_seeds", n_seeds, low=2)
    seed = _seed(seed)
    deg = _node_degrees(g)
    sq = math.sqrt(n_seeds)

    def run(h, s):
        return _budget_run(g, T, h, J=J, sweeps=sweeps, init=init, seed=_ss(seed, s))

    base = np.array([run(0.0, s) for s in range(n_seeds)])
    m, me, runs = {}, {}, {}
    for st in strategies:
        vals = np.array([[run(allocate_budget(deg, H=float(H), k=k, strategy=st, seed=seed), s)
                          for s in range(n_seeds)] for H in Hs])
        m[st], me[st], runs[st] = vals.mean(1), vals.std(1, ddof=1) / sq, vals
    return {"budgets": Hs, "m": m, "m_err": me, "m0": base.mean(), "m0_err": base.std(ddof=1) / sq,
            "T": T, "init": init, "k": k, "m_runs": runs, "m0_runs": base}


def _budget_run(g, T, h, *, J, sweeps, init, seed):
    """One run of :func:`gain_vs_budget`: m averaged over the second half of the run."""
    r = ising.simulate_graph(g, T, J=J, h=h, sweeps=sweeps, burn_in=0, algorithm="heatbath", init=init, seed=seed)
    return r.magnetization[sweeps // 2:].mean()


def gain_vs_budget_study(*, n=1000, m=3, graph_seed=707, runs=((5.0, "down"),), H_max=300.0, n_budgets=6, k=10,
                         sweeps=300, n_seeds=4, seed=0):
    """:func:`gain_vs_budget` at several (T, init) on one Barabási–Albert graph, for a stored result.

    The graph is ``barabasi_albert(n=n, m=m, seed=graph_seed)``.

    The budgets are ``np.geomspace(1, H_max, n_budgets)``.  The chapter's three scans are
    ``book/data/hub_targeting_gain_vs_budget.json`` (444 runs, ~5 s on one core); :func:`load_gain_vs_budget`
    reads them back and :func:`spot_check_gain_vs_budget` re-runs one run.

    Returns
    -------
    dict
        ``results``: one :func:`gain_vs_budget` result per (T, init), and ``strategies``.
    """
    g = ising.prepare_graph(networks.barabasi_albert(n=n, m=m, seed=graph_seed))
    budgets = np.geomspace(1, H_max, n_budgets)
    return {"results": [gain_vs_budget(g, T=T, budgets=budgets, k=k, init=init, sweeps=sweeps, n_seeds=n_seeds,
                                       seed=seed) for T, init in runs],
            "strategies": list(STRATEGIES)}


def load_gain_vs_budget(name="hub_targeting_gain_vs_budget", *, data_dir=None):
    """A stored :func:`gain_vs_budget_study`: ``(results, record)``, each as :func:`gain_vs_budget` returns it."""
    from utacbook import stored
    rec = stored.load(name, data_dir=data_dir)
    arr = (lambda x: np.asarray(x, dtype=float))
    out = []
    for r in rec["results"]:
        d = {"budgets": arr(r["budgets"])}
        for key in ("m", "m_err", "m_runs"):
            d[key] = {st: arr(r[key][st]) for st in rec["strategies"]}
        d.update(m0=np.float64(r["m0"]), m0_err=np.float64(r["m0_err"]), T=float(r["T"]), init=r["init"], k=r["k"],
                 m0_runs=arr(r["m0_runs"]))
        out.append({key: d[key] for key in r})
    return out, rec


def spot_check_gain_vs_budget(rec, graph, *, run=0, strategy="hubs", budget_index=-1, seed_index=0):
    """Re-run one run (scan ``run``, ``strategy``, budget, seed) of a stored :func:`gain_vs_budget_study`.

    Returns
    -------
    dict
        ``T``, ``H``, ``m`` (re-run), ``stored`` and ``identical`` (equal bit for bit).
    """
    p = rec.provenance["params"]
    g = graph if isinstance(graph, ising.IsingGraph) else ising.prepare_graph(graph)
    r = rec["results"][run]
    b = int(np.arange(len(r["budgets"]))[budget_index])
    H = float(r["budgets"][b])
    h = allocate_budget(_node_degrees(g), H=H, k=p["k"], strategy=strategy, seed=p["seed"])
    x = _budget_run(g, float(r["T"]), h, J=1.0, sweeps=p["sweeps"], init=r["init"], seed=_ss(p["seed"], seed_index))
    want = r["m_runs"][strategy][b][seed_index]
    return {"T": float(r["T"]), "H": H, "m": float(x), "stored": want, "identical": bool(x == want)}


_STRAT_STYLE = {"hubs": ("fit", "o", "top-k hubs"), "random": ("guide", "s", "k random nodes"),
                "low": ("mf", "v", "k lowest-degree nodes"), "uniform": ("sim", "D", "uniform (all nodes)")}


def plot_gain_vs_budget(results):
    """m reached against budget for each strategy; one panel per :func:`gain_vs_budget` result."""
    plt, P = _plt()
    fig, axes = plt.subplots(1, len(results), figsize=(5.5 * len(results), 4.0), squeeze=False)
    for ax, (title, r) in zip(axes[0], results.items()):
        for st in r["m"]:
            col, mk, lab = _STRAT_STYLE[st]
            ax.errorbar(r["budgets"], r["m"][st], yerr=r["m_err"][st], color=P[col], marker=mk, ms=4,
                        capsize=2, label=lab.replace("k ", f"{r['k']} ").replace("top-k", f"top-{r['k']}"))
        ax.axhline(r["m0"], color=P["guide"], ls=":", lw=1, label="no field")
        ax.axhline(0, color="k", lw=0.5)
        ax.set_xscale("log")
        ax.set_xlabel("budget $H = \\sum_i h_i$ (units of $J$)")
        ax.set_title(title)
    axes[0][0].set_ylabel("magnetisation reached $m$")
    axes[0][0].legend(fontsize=7)
    fig.tight_layout()
    return fig


def plot_ba_tc_size(scan, moments=None, *, marks=()):
    """T_c of Barabási–Albert graphs against N: χ peak (points, with the ln N fit), the Bethe and
    annealed estimates of the same graphs, and (optional) their average over independent graphs.

    ``scan``: dict-like result of :func:`ba_tc_size_scan`; ``moments``: result of
    :func:`utacbook.models.ba_moment_scan`; ``marks``: temperatures to draw as horizontal lines."""
    plt, P = _plt()
    fig, ax = plt.subplots(figsize=(7.2, 4.2))
    N = np.asarray(scan["sizes"], dtype=float)
    ax.errorbar(N, scan["T_peak"], yerr=scan["T_peak_err"], fmt="o", color=P["sim"], capsize=3,
                label="simulation: χ peak")
    xx = np.geomspace(N.min(), N.max(), 50)
    ax.plot(xx, scan["intercept"] + scan["slope"] * np.log(xx), color=P["sim"], lw=1,
            label=f"fit: {scan['slope']:.2f} ln N + const")
    ax.plot(N, scan["T_bethe"], "s--", color=P["fit"], ms=4, lw=1, label="Bethe, same graphs")
    ax.plot(N, scan["T_mf"], "^:", color=P["mf"], ms=4, lw=1, label="annealed ⟨k²⟩/⟨k⟩, same graphs")
    if moments is not None:
        ax.fill_between(moments["sizes"], moments["T_bethe"] - moments["T_bethe_err"],
                        moments["T_bethe"] + moments["T_bethe_err"], color=P["fit"], alpha=0.2,
                        label=f"Bethe, mean of {moments['n_graphs']} graphs ± s.e.m.")
    for T in marks:
        ax.axhline(T, color=P["guide"], lw=0.8, ls="-.")
        ax.annotate(f"T = {T:g}", (N.min(), T), textcoords="offset points", xytext=(2, 2), fontsize=7,
                    color=P["guide"])
    ax.set_xscale("log")
    ax.set_xlabel("number of nodes N")
    ax.set_ylabel("$T_c$ (units of $J$)")
    ax.legend(fontsize=7)
    fig.tight_layout()
    return fig


def plot_targeting(sim, mf, *, T_c_sim=None):
    """Gain per strategy against T: simulation (left) and quenched mean field (right).

    ``T_c_sim``: the simulated T_c, drawn as a dashed line, or a pair (low, high) of
    estimates, drawn as a shaded band."""
    plt, P = _plt()
    fig, (a1, a2) = plt.subplots(1, 2, figsize=(11, 4.2))
    for st in sim["gain"]:
        col, mk, lab = _STRAT_STYLE[st]
        a1.errorbar(sim["temperatures"], sim["gain"][st], yerr=sim["gain_err"][st], color=P[col],
                    marker=mk, ms=4, capsize=2, label=lab)
        a2.plot(mf["temperatures"], mf["gain"][st], color=P[col], marker=mk, ms=3, label=lab)
        a2.plot(mf["temperatures"], mf["gain_lin"][st], color=P[col], ls=":", lw=1)
    if T_c_sim is not None and np.ndim(T_c_sim) == 1:
        lo, hi = sorted(float(x) for x in T_c_sim)
        a1.axvspan(lo, hi, color=P["guide"], alpha=0.25, lw=0, label="simulated $T_c$ (χ peak, two grids)")
    elif T_c_sim is not None:
        a1.axvline(T_c_sim, color=P["guide"], ls="--", label="simulated $T_c$ (χ peak)")
    a2.axvline(mf["T_c_mf"], color=P["guide"], ls="--", label="mean-field $T_c = J\\lambda_{\\max}$")
    for a, t in ((a1, "(a) simulation"), (a2, "(b) quenched mean field (dotted: linear response)")):
        a.set_yscale("symlog", linthresh=1e-3)
        a.set_xlabel("$T_{\\rm social}$ (units of $J$)")
        a.set_title(t, fontsize=9)
    a1.set_ylabel("magnetisation gained $\\Delta M$")
    a1.legend(fontsize=7)
    fig.tight_layout()
    return fig


def plot_targeting_widget(T=5.0, H=100.0, k=10, J=1.0, strategy="hubs", init="down", n=1000, m=3,
                          seed=1):
    """Widget helper: m(t) on a BA graph under one strategy's field, with no-field reference."""
    plt, P = _plt()
    G = networks.barabasi_albert(n=n, m=m, seed=seed)
    g = ising.prepare_graph(G)
    h = allocate_budget(g.degree, H=H, k=k, strategy=strategy, seed=seed)
    fig, ax = plt.subplots(figsize=(7, 3.8))
    for hh, col, lab in ((h, P["fit"], f"{strategy}, H={H:g}"), (0.0, P["guide"], "no field")):
        r = ising.simulate_graph(g, T, J=J, h=hh, sweeps=300, burn_in=0, algorithm="heatbath",
                                 init=init, seed=_ss(seed, 7))
        ax.plot(np.arange(1, 301), r.magnetization, color=col, label=lab)
    ax.axhline(0, color="k", lw=0.5)
    ax.set_ylim(-1.05, 1.05)
    ax.set_xlabel("sweeps")
    ax.set_ylabel("magnetisation $m$")
    ax.set_title(f"BA graph N={n}, m={m}; T={T:g}, J={J:g}, k={k}, start {init}")
    ax.legend(fontsize=8)
    fig.tight_layout()
    return fig
