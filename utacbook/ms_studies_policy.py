r"""Studies for the chapter "Policies across scales" (book/multiscale/02_policies).

Replicated (seed-by-seed) versions of the text's integrated government +
multiscale analyses, built on :mod:`utacbook.integrated`:

* :func:`cross_scale_replicas` -- level and difference correlations and
  volatilities of the three headline series over seeds;
* :func:`transition_counts` -- counts of scale transitions per type, without
  policies, with the text's policies from step 0, and with one policy
  switched on mid-run;
* :func:`policy_impacts` -- micro, meso and macro effects of each example
  policy over seeds;
* :func:`insight_scan` -- how often each ``use_multiscale_when`` insight of
  :func:`utacbook.integrated.compare_single_vs_multiscale` fires, versus the
  number of communities;
* :func:`emergence_correlation` -- the text's ``np.corrcoef(micro_sat,
  macro_eff)`` over seeds, beside the correlation of the differences;
* :func:`gap_experiment` -- paired runs measuring whether a policy raises
  approval while widening the between-community variance of satisfaction.

Every function takes a ``seed``; replica r uses the seed ``seed + r``.  Means
over replicas come with the standard error of the mean (s.e.m., ddof 1).
Plot helpers return figures and never call ``plt.show``.
"""

from __future__ import annotations

import copy
import math

import numpy as np

from . import _validate as V
from .government import Policy, create_example_policies
from .integrated import IntegratedGovernmentModel, compare_single_vs_multiscale

__all__ = ["sem", "cross_scale_replicas", "transition_counts", "policy_impacts",
           "insight_scan", "emergence_correlation", "between_variance", "gap_experiment",
           "community_policy", "plot_cross_scale", "plot_transitions", "plot_impacts",
           "plot_gap", "plot_gap_explorer", "TYPES", "PAIRS"]

TYPES = ("micro", "meso", "macro", "cross_scale")
PAIRS = ("micro_meso", "meso_macro", "micro_macro")


def sem(x):
    """(mean, standard error of the mean) of the finite entries of ``x`` (ddof 1).

    Returns (nan, nan) with no finite entry and (mean, nan) with one.
    """
    x = np.asarray(x, dtype=float).ravel()
    x = x[np.isfinite(x)]
    if x.size == 0:
        return math.nan, math.nan
    if x.size == 1:
        return float(x[0]), math.nan
    return float(x.mean()), float(x.std(ddof=1) / math.sqrt(x.size))


def _common(population_size, n_communities, time_steps, n_seeds, seed):
    N = V.integer("population_size", population_size, low=1)
    C = V.integer("n_communities", n_communities, low=1)
    if C > N:
        raise ValueError(f"n_communities must be <= population_size ({N}), got {C}")
    T = V.integer("time_steps", time_steps, low=3)
    R = V.integer("n_seeds", n_seeds, low=1)
    s = V.integer("seed", seed, low=0)
    return N, C, T, R, s


# ------------------------------------------------------------ cross-scale
def cross_scale_replicas(*, population_size=5000, n_communities=20, time_steps=100,
                         n_seeds=16, burn_ins=(0, 30), seed=0):
    """Cross-scale statistics of the text's example run, over seeds.

    Each replica runs :class:`IntegratedGovernmentModel` with
    :func:`create_example_policies` applied at step 0 (as the text) and
    applies :meth:`~IntegratedGovernmentModel.analyze_cross_scale_dynamics`
    for each ``burn_in`` in ``burn_ins``.

    Parameters
    ----------
    population_size, n_communities, time_steps : int
        As :class:`IntegratedGovernmentModel` (time_steps >= 3).
    n_seeds : int >= 1
    burn_ins : sequence of int >= 0
        Records discarded before the analysis (each < time_steps - 2).
    seed : int >= 0

    Returns
    -------
    dict: ``level[b][pair]``, ``diff[b][pair]`` (arrays over seeds of the
    level and first-difference Pearson correlations; nan if undefined),
    ``volatility[b][scale]`` (arrays, series units per step), ``burn_ins``.
    """
    N, C, T, R, s = _common(population_size, n_communities, time_steps, n_seeds, seed)
    burn_ins = tuple(V.integer("burn_ins", b, low=0, high=T - 3) for b in burn_ins)
    level = {b: {p: np.empty(R) for p in PAIRS} for b in burn_ins}
    diff = {b: {p: np.empty(R) for p in PAIRS} for b in burn_ins}
    vol = {b: {k: np.empty(R) for k in ("micro", "meso", "macro")} for b in burn_ins}
    for r in range(R):
        m = IntegratedGovernmentModel(N, C, T, seed=s + r)
        m.run(create_example_policies())
        for b in burn_ins:
            a = m.analyze_cross_scale_dynamics(burn_in=b)
            for p in PAIRS:
                level[b][p][r] = a["correlations"][p]
                diff[b][p][r] = a["difference_correlations"][p]
            for k in vol[b]:
                vol[b][k][r] = a["volatility"][k]
    return {"level": level, "diff": diff, "volatility": vol, "burn_ins": burn_ins}


# ------------------------------------------------------------ transitions
def transition_counts(*, scenario="none", population_size=5000, n_communities=20,
                      time_steps=100, n_seeds=16, threshold=2.0, burn_in=20,
                      switch_step=60, control_offset=20, window=2, seed=0):
    """Scale transitions per type over seeds, in one of three scenarios.

    Parameters
    ----------
    scenario : {"none", "start", "midrun"}
        "none": no policies; "start": :func:`create_example_policies` at step
        0 (the text); "midrun": ``community_grants`` switched on after
        ``switch_step`` steps (it acts from step switch_step + 1).
    population_size, n_communities, time_steps, n_seeds, seed : int
    threshold : float > 0
        In robust standard deviations (:func:`utacbook.integrated.scale_transitions`).
    burn_in : int >= 0
        Records discarded before the detection (< time_steps - 2).
    switch_step : int in [burn_in, time_steps - 1]
        Only for "midrun".
    control_offset : int >= 1
        A control step ``switch_step + 1 + control_offset`` (< time_steps)
        where nothing is switched on, for the chance rate of "a cascade near
        a given step" in the same runs.
    window : int >= 1
        Cascade window and the tolerance (steps) for "near the switch".

    Returns
    -------
    dict: ``counts`` (type -> int array over seeds), ``n_steps`` (steps
    analysed per run), ``rate`` (type -> (mean, s.e.m.) events per analysed
    step), ``cascade_at_switch`` (bool array over seeds: a cross_scale event
    at a step within ``window`` of switch_step + 1; all False unless
    "midrun"), ``cascade_at_control`` (the same at the control step),
    ``micro_at_switch`` (a micro transition within ``window`` of
    switch_step + 1), ``cascade_lags`` (list of the lags of the cascades at
    the switch).
    """
    N, C, T, R, s = _common(population_size, n_communities, time_steps, n_seeds, seed)
    V.choice("scenario", scenario, ("none", "start", "midrun"))
    burn_in = V.integer("burn_in", burn_in, low=0, high=T - 3)
    switch_step = V.integer("switch_step", switch_step, low=burn_in, high=T - 1)
    window = V.integer("window", window, low=1)
    control_offset = V.integer("control_offset", control_offset, low=1,
                               high=T - 2 - switch_step)
    counts = {k: np.zeros(R, dtype=np.int64) for k in TYPES}
    at_switch = np.zeros(R, dtype=bool)
    at_control = np.zeros(R, dtype=bool)
    micro_sw = np.zeros(R, dtype=bool)
    lags = []
    grants = create_example_policies()[1]
    for r in range(R):
        m = IntegratedGovernmentModel(N, C, T, seed=s + r)
        if scenario == "none":
            m.run()
        elif scenario == "start":
            m.run(create_example_policies())
        else:
            m.run({switch_step: [copy.deepcopy(grants)]})
        ev = m.identify_scale_transitions(threshold=threshold, window=window, burn_in=burn_in)
        for e in ev:
            counts[e["type"]][r] += 1
            if scenario != "midrun":
                continue
            near = abs(e["step"] - (switch_step + 1)) <= window
            if e["type"] == "cross_scale" and near:
                at_switch[r] = True
                lags.append(e["lag"])
            if e["type"] == "micro" and near:
                micro_sw[r] = True
            if (e["type"] == "cross_scale"
                    and abs(e["step"] - (switch_step + 1 + control_offset)) <= window):
                at_control[r] = True
    n = T - burn_in - 1  # number of differences analysed
    rate = {k: sem(v / n) for k, v in counts.items()}
    return {"counts": counts, "n_steps": n, "rate": rate, "cascade_at_switch": at_switch,
            "cascade_at_control": at_control, "micro_at_switch": micro_sw,
            "cascade_lags": lags}


# ---------------------------------------------------------- policy impact
def policy_impacts(*, population_size=5000, n_communities=20, warmup=30, n_steps=50,
                   n_seeds=16, policies=None, seed=0):
    """Micro, meso and macro impact of each policy, over seeds.

    Each replica warms an :class:`IntegratedGovernmentModel` up for
    ``warmup`` steps without policies, then evaluates each policy alone from
    that same state with
    :meth:`~IntegratedGovernmentModel.implement_policy_multiscale`
    (``n_steps`` paired steps, common random numbers).

    Parameters
    ----------
    population_size, n_communities, n_seeds, seed : int
    warmup : int >= 1
    n_steps : int >= 2
    policies : list of Policy, default :func:`create_example_policies`

    Returns
    -------
    dict name -> dict of arrays over seeds: ``micro_mean`` (mean change of
    satisfaction), ``micro_better_off`` (fraction of citizens better off),
    ``meso_between_sd`` (size-weighted spread of the community changes),
    ``meso_cohesion`` (change of avg_cohesion), ``meso_inequality`` (change of
    resource_inequality), ``macro_approval``, ``macro_trust``.
    """
    N, C, _, R, s = _common(population_size, n_communities, 3, n_seeds, seed)
    warmup = V.integer("warmup", warmup, low=1)
    n_steps = V.integer("n_steps", n_steps, low=2)
    policies = create_example_policies() if policies is None else list(policies)
    for p in policies:
        if not isinstance(p, Policy):
            raise TypeError(f"policies must contain Policy objects, got {type(p).__name__}")
    keys = ("micro_mean", "micro_better_off", "meso_between_sd", "meso_cohesion",
            "meso_inequality", "macro_approval", "macro_trust")
    out = {p.name: {k: np.empty(R) for k in keys} for p in policies}
    for r in range(R):
        m0 = IntegratedGovernmentModel(N, C, warmup, seed=s + r)
        m0.run()
        for p in policies:
            m = copy.deepcopy(m0)
            res = m.implement_policy_multiscale(p, n_steps=n_steps)
            o = out[p.name]
            o["micro_mean"][r] = res["micro_impact"]["mean"]
            o["micro_better_off"][r] = res["micro_impact"]["fraction_better_off"]
            o["meso_between_sd"][r] = res["meso_impact"]["between_community_sd"]
            o["meso_cohesion"][r] = res["meso_impact"]["avg_cohesion_change"]
            o["meso_inequality"][r] = res["meso_impact"]["resource_inequality_change"]
            o["macro_approval"][r] = res["macro_impact"]["approval_change"]
            o["macro_trust"][r] = res["macro_impact"]["trust_change"]
    return out


# --------------------------------------------------------------- insights
def insight_scan(*, n_communities_list=(1, 5, 10, 20, 50), population_size=1000,
                 time_steps=50, n_seeds=8, seed=0):
    """How often each ``use_multiscale_when`` insight fires, versus C.

    Runs :func:`compare_single_vs_multiscale` with the example policies for
    every C in ``n_communities_list`` and every seed.

    Returns
    -------
    dict: ``C`` (array), ``fires`` (insight prefix -> array over C of the
    fraction of seeds in which it fires), ``between_fraction`` and
    ``max_z`` (arrays (len(C), n_seeds) of the measurements behind the first
    two rules).
    """
    Cs = [V.integer("n_communities_list", c, low=1) for c in n_communities_list]
    N, _, T, R, s = _common(population_size, 1, time_steps, n_seeds, seed)
    if max(Cs) > N:
        raise ValueError(f"n_communities_list entries must be <= population_size ({N})")
    names = ("community structure matters", "effects vary by scale of observation",
             "multiple levels of intervention")
    fires = {k: np.zeros(len(Cs)) for k in names}
    frac = np.empty((len(Cs), R))
    mz = np.empty((len(Cs), R))
    for i, C in enumerate(Cs):
        for r in range(R):
            c = compare_single_vs_multiscale(create_example_policies(), N, T,
                                             n_communities=C, seed=s + r)
            ins = c["insights"]
            for k in names:
                fires[k][i] += any(u.startswith(k) for u in ins["use_multiscale_when"]) / R
            frac[i, r] = ins["measurements"]["between_variance_fraction"]
            mz[i, r] = ins["measurements"]["max_community_effect_z"]
    return {"C": np.array(Cs), "fires": fires, "between_fraction": frac, "max_z": mz}


# -------------------------------------------------------------- emergence
def emergence_correlation(*, population_size=5000, n_communities=20, time_steps=100,
                          n_seeds=16, burn_in=30, seed=0):
    """The text's ``np.corrcoef(micro_sat, macro_eff)`` over seeds.

    micro_sat = avg_satisfaction, macro_eff = policy_effectiveness of runs
    with the example policies from step 0.  Returns arrays over seeds:
    ``full`` (the text's correlation over the whole run), ``after_burn_in``
    (levels after ``burn_in`` records) and ``differences`` (first
    differences after ``burn_in``).
    """
    N, C, T, R, s = _common(population_size, n_communities, time_steps, n_seeds, seed)
    burn_in = V.integer("burn_in", burn_in, low=0, high=T - 3)
    out = {k: np.empty(R) for k in ("full", "after_burn_in", "differences")}
    for r in range(R):
        m = IntegratedGovernmentModel(N, C, T, seed=s + r)
        h = m.run(create_example_policies())
        ms = np.array([x["micro_metrics"]["avg_satisfaction"] for x in h])
        me = np.array([x["macro_metrics"]["policy_effectiveness"] for x in h])
        out["full"][r] = np.corrcoef(ms, me)[0, 1]
        out["after_burn_in"][r] = np.corrcoef(ms[burn_in:], me[burn_in:])[0, 1]
        out["differences"][r] = np.corrcoef(np.diff(ms[burn_in:]), np.diff(me[burn_in:]))[0, 1]
    return out


# ------------------------------------------------------ gap (emergence)
def between_variance(satisfaction, community, n_communities):
    """Size-weighted variance of the community means of satisfaction.

    Parameters
    ----------
    satisfaction : array (N,) of float
    community : array (N,) of int in [0, n_communities)
    n_communities : int >= 1

    Returns
    -------
    float, :math:`\\sum_c (n_c/N)(\\bar s_c - \\bar s)^2` (satisfaction units squared).
    """
    s = V.real_array("satisfaction", satisfaction, ndim=1, min_len=1)
    c = np.asarray(community)
    if c.shape != s.shape or not np.issubdtype(c.dtype, np.integer):
        raise ValueError("community must be an integer array with the shape of satisfaction")
    C = V.integer("n_communities", n_communities, low=1)
    if c.min() < 0 or c.max() >= C:
        raise ValueError(f"community labels must lie in [0, {C})")
    n = np.bincount(c, minlength=C).astype(float)
    tot = np.bincount(c, weights=s, minlength=C)
    ok = n > 0
    mc = tot[ok] / n[ok]
    w = n[ok] / s.size
    return float(np.dot(w, (mc - np.dot(w, mc)) ** 2))


def community_policy(strength=0.3, *, resources=0.3, cost=0.8, target_quantile=0.3):
    """The text's ``community_grants`` with a variable satisfaction effect ``strength``."""
    return Policy("community_grants", "community", cost=cost,
                  effects={"satisfaction": V.real("strength", strength), "resources": resources,
                           "target_quantile": target_quantile})


def gap_experiment(policy, *, population_size=5000, n_communities=20, warmup=30, n_steps=50,
                   n_seeds=16, seed=0):
    r"""Does ``policy`` raise approval while widening the between-community gap?

    Each replica warms a model up for ``warmup`` steps without policies,
    copies it (same state and random streams), applies ``policy`` to one copy
    and runs both ``n_steps`` steps.  Per replica, averaged over the steps:
    :math:`\Delta A` (approval, treated - baseline) and :math:`\Delta V_B`
    (between-community variance of satisfaction, :func:`between_variance`).

    Returns
    -------
    dict: ``d_approval``, ``d_between_var``, ``base_between_var`` (arrays over
    seeds) and ``both`` (fraction of seeds with :math:`\Delta A > 0` and
    :math:`\Delta V_B > 0`) with its binomial standard error ``both_err``.
    """
    if not isinstance(policy, Policy):
        raise TypeError(f"policy must be a Policy, got {type(policy).__name__}")
    N, C, _, R, s = _common(population_size, n_communities, 3, n_seeds, seed)
    warmup = V.integer("warmup", warmup, low=0)
    n_steps = V.integer("n_steps", n_steps, low=1)
    dA, dV, V0 = np.empty(R), np.empty(R), np.empty(R)
    for r in range(R):
        m0 = IntegratedGovernmentModel(N, C, max(warmup, 1), seed=s + r)
        if warmup:
            m0.run()
        base = m0.model
        treat = copy.deepcopy(base)
        treat.apply_policy(copy.deepcopy(policy))
        comm = base.agents["community"]
        a = np.zeros((2, n_steps))
        v = np.zeros((2, n_steps))
        for t in range(n_steps):
            for j, m in enumerate((base, treat)):
                rec = m.step(quantiles=False)
                a[j, t] = rec["macro_metrics"]["approval"]
                v[j, t] = between_variance(m.agents["satisfaction"], comm, C)
        dA[r] = float(np.mean(a[1] - a[0]))
        dV[r] = float(np.mean(v[1] - v[0]))
        V0[r] = float(np.mean(v[0]))
    both = float(np.mean((dA > 0) & (dV > 0)))
    return {"d_approval": dA, "d_between_var": dV, "base_between_var": V0, "both": both,
            "both_err": math.sqrt(both * (1 - both) / R)}


# ------------------------------------------------------------------ plots
def _ebar(ax, x, arrays, **kw):
    ms = [sem(a) for a in arrays]
    ax.errorbar(x, [m for m, _ in ms], yerr=[0 if not np.isfinite(e) else e for _, e in ms],
                capsize=3, **kw)


def plot_cross_scale(res):
    """Level vs difference correlations (mean ± s.e.m. over seeds) for each burn-in."""
    import matplotlib.pyplot as plt
    fig, ax = plt.subplots(figsize=(7, 3.6))
    x = np.arange(len(PAIRS))
    nb = len(res["burn_ins"])
    wd = 0.8 / (2 * nb)
    k = 0
    for kind, lab in (("level", "levels"), ("diff", "differences")):
        for b in res["burn_ins"]:
            _ebar(ax, x - 0.4 + wd * (k + 0.5), [res[kind][b][p] for p in PAIRS], fmt="o",
                  label=f"{lab}, burn-in {b}")
            k += 1
    ax.axhline(0, color="0.5", lw=0.8)
    ax.set_xticks(x, PAIRS)
    ax.set_ylabel("Pearson correlation")
    ax.legend(fontsize=8)
    fig.tight_layout()
    return fig


def plot_transitions(results):
    """Events per analysed step by type (mean ± s.e.m.) for several scenarios."""
    import matplotlib.pyplot as plt
    fig, ax = plt.subplots(figsize=(7, 3.6))
    x = np.arange(len(TYPES))
    wd = 0.8 / len(results)
    for i, (lab, r) in enumerate(results.items()):
        m = [r["rate"][t][0] for t in TYPES]
        e = [r["rate"][t][1] for t in TYPES]
        ax.bar(x - 0.4 + wd * (i + 0.5), m, wd, yerr=e, capsize=3, label=lab)
    ax.set_xticks(x, TYPES)
    ax.set_ylabel("events per step")
    ax.legend(fontsize=8)
    fig.tight_layout()
    return fig


def plot_impacts(imp):
    """Micro, meso and macro impact of each policy (mean ± s.e.m. over seeds)."""
    import matplotlib.pyplot as plt
    names = list(imp)
    panels = (("micro_mean", "micro: Δ mean satisfaction"),
              ("meso_between_sd", "meso: s.d. of community effects"),
              ("macro_approval", "macro: Δ approval"))
    fig, axes = plt.subplots(1, 3, figsize=(10, 3.4))
    y = np.arange(len(names))
    for ax, (k, t) in zip(axes, panels):
        ms = [sem(imp[n][k]) for n in names]
        ax.barh(y, [m for m, _ in ms], xerr=[e for _, e in ms], capsize=3,
                color=[f"C{i}" for i in range(len(names))])
        ax.axvline(0, color="0.5", lw=0.8)
        ax.set_title(t, fontsize=9)
        ax.set_yticks(y, names if ax is axes[0] else [""] * len(names))
    fig.tight_layout()
    return fig


def plot_gap(results):
    """Δ approval vs Δ between-community variance, one point per seed and policy."""
    import matplotlib.pyplot as plt
    fig, ax = plt.subplots(figsize=(6, 4))
    for i, (lab, r) in enumerate(results.items()):
        ax.scatter(r["d_approval"], r["d_between_var"], s=14, color=f"C{i}", alpha=0.6)
        ma, ea = sem(r["d_approval"])
        mv, ev = sem(r["d_between_var"])
        ax.errorbar(ma, mv, xerr=ea, yerr=ev, fmt="s", color=f"C{i}", ms=7, capsize=3,
                    label=f"{lab} (both up in {100 * r['both']:.0f}% of seeds)")
    ax.axhline(0, color="0.5", lw=0.8)
    ax.axvline(0, color="0.5", lw=0.8)
    ax.set_xlabel("Δ approval")
    ax.set_ylabel("Δ between-community variance")
    ax.legend(fontsize=8)
    fig.tight_layout()
    return fig


def plot_gap_explorer(strength=0.3, n_communities=20, *, population_size=2000, n_seeds=6,
                      seed=0):
    """Widget figure: gap experiment for a community policy of given ``strength`` and C."""
    pol = community_policy(strength)
    r = gap_experiment(pol, population_size=population_size, n_communities=int(n_communities),
                       n_seeds=n_seeds, seed=seed)
    return plot_gap({f"community policy a={strength:g}, C={int(n_communities)}": r})
