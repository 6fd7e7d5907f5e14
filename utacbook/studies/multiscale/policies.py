r"""Studies for the chapter "Policies across scales" (book/multiscale/02_policies).

Replicated (seed-by-seed) versions of the text's integrated government +
multiscale analyses, built on :mod:`utacbook.models`:

* :func:`cross_scale_replicas` -- level and difference correlations and
  volatilities of the three headline series over seeds;
* :func:`transition_counts` -- counts of scale transitions per type, without
  policies, with the text's policies from step 0, and with one policy
  switched on mid-run;
* :func:`policy_impacts` -- micro, meso and macro effects of each example
  policy over seeds;
* :func:`policy_predictions` and :func:`decomposition` -- what the
  single-scale and the multiscale model predict for each policy (the text's
  research application 3), with the difference split into the effect of the
  single-scale default cohesion, of a cohesion that responds to the policy
  (one community) and of the communities themselves;
  :func:`community_resources` -- the community resources before and after a
  community policy's transfer;
* :func:`insight_scan` -- how often each ``use_multiscale_when`` insight of
  :func:`utacbook.models.compare_single_vs_multiscale` fires, versus the
  number of communities;
* :func:`emergence_correlation` -- the text's ``np.corrcoef(micro_sat,
  macro_eff)`` over seeds, beside the correlation of the differences;
* :func:`gap_experiment` -- paired runs measuring whether a policy raises
  approval while widening the between-community variance of satisfaction;
* :func:`composition_null` -- the community effects of a policy against the
  change each community would show from its share of targeted citizens alone;
* :func:`cascade_permutation_test`, :func:`insight_null_scan` and
  :func:`emergence_measurements` -- the nulls that the chapter's claims are
  judged against; :func:`claims` -- the claims and their criteria.

Every function takes a ``seed``; replica r uses the seed ``seed + r``, except
in :func:`cross_scale_replicas` and :func:`policy_predictions`, whose replicas
run through :func:`utacbook.sweep.run` (in this process by default, on a Dask
cluster with ``client=``) and get the sweep's task seeds
``utacbook.sweep.task_seed(seed, {"replica": r})``.  Means over replicas come
with the standard error of the mean (s.e.m., ddof 1).
Plot helpers return figures and never call ``plt.show``.
"""

from __future__ import annotations

import copy
import math

import numpy as np

from scipy import stats as _stats

from utacbook import _validate as V
from utacbook import claims as uc
from utacbook.models._government import GovernmentSimulation, Policy, create_example_policies
from utacbook.models._integrated import IntegratedGovernmentModel, compare_single_vs_multiscale
from utacbook.stats import mean_with_error

__all__ = ["finite_mean_sem", "cross_scale_replicas", "transition_counts", "policy_impacts",
           "insight_scan", "emergence_correlation", "between_variance", "gap_experiment",
           "community_policy", "plot_cross_scale", "plot_transitions", "plot_impacts",
           "plot_gap", "plot_gap_explorer", "TYPES", "PAIRS", "count_cascades",
           "cascade_permutation_test", "insight_null_scan", "composition_null",
           "composition_measurements", "emergence_measurements", "claims", "null_policies",
           "as_arrays", "INSIGHTS", "EMERGENCE_KINDS", "cross_scale_task", "multiscale_policy_task",
           "single_scale_policy_task", "policy_predictions", "decomposition",
           "decomposition_measurements", "plot_decomposition", "MODELS", "MULTISCALE_ONLY",
           "ALPHA_3SIGMA", "ThreeSigma", "counterpart", "counterpart_targets", "paired_change",
           "one_community_policy_task", "kappa_error_check", "community_resources", "bound",
           "error_digits", "prediction_sweeps", "load_policy_predictions", "spot_check_predictions",
           "PREDICTIONS_NAME", "chapter_experiments", "load_chapter_experiments", "spot_check_experiments",
           "EXPERIMENTS_NAME"]

TYPES = ("micro", "meso", "macro", "cross_scale")
PAIRS = ("micro_meso", "meso_macro", "micro_macro")


def finite_mean_sem(x):
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


def bound(x, side, *, digits=2):
    """``x`` rounded to ``digits`` significant figures *towards* a bound, as prose text.

    ``side="lower"`` rounds down, ``"upper"`` rounds up, so that "above
    bound(x, 'lower')" and "below bound(x, 'upper')" stay true after rounding
    (rounding to the nearest value can break them: 0.9856 is not "above 0.99").

    Parameters
    ----------
    x : float
    side : {"lower", "upper"}
    digits : int >= 1, default 2
        Significant figures.

    Returns
    -------
    str
        :func:`utacbook.report.format_value` of the rounded number.

    Examples
    --------
    >>> from utacbook.studies.multiscale.policies import bound
    >>> bound(0.9856, "lower"), bound(0.4734, "upper"), bound(0.00132, "upper")
    ('0.98', '0.48', '0.0014')
    """
    from utacbook.report import format_value
    V.choice("side", side, ("lower", "upper"))
    digits = V.integer("digits", digits, low=1)
    x = V.real("x", x)
    if x == 0:
        return format_value(0.0, digits=digits)
    k = digits - 1 - math.floor(math.log10(abs(x)))
    r = (math.floor if side == "lower" else math.ceil)(x * 10.0 ** k) / 10.0 ** k
    return format_value(r, digits=digits)


def error_digits(err):
    """Significant figures to print an error with: 2 if its leading digit is 1 or 2, else 1.

    One figure misleads when the leading digit is small (0.00053 printed as
    0.0005 is 6 % off, 0.00014 as 0.0001 is 30 % off).

    Parameters
    ----------
    err : float
        A standard error (its sign is ignored; 0 gives 1).

    Returns
    -------
    int, 1 or 2
        For ``sig=`` of :func:`utacbook.report.glue` and :func:`utacbook.report.format_pm`.

    Examples
    --------
    >>> from utacbook.studies.multiscale.policies import error_digits
    >>> error_digits(0.00053), error_digits(0.00014), error_digits(0.0023)
    (1, 2, 2)
    """
    e = abs(V.real("err", err))
    return 2 if e > 0 and f"{e:.0e}"[0] in "12" else 1


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
def _sweep_run(func, n_seeds, seed, params, dims, client):
    """``utacbook.sweep.run(func, {"replica": range(n_seeds)}, ...)`` in-process or on ``client``."""
    from utacbook import sweep
    return sweep.run(func, {sweep.REPLICA: range(n_seeds)}, seed=seed, params=params, dims=dims,
                     client=client, progress=False)


def cross_scale_task(*, population_size, n_communities, time_steps, burn_ins, seed):
    """One replica of :func:`cross_scale_replicas` (a :func:`utacbook.sweep.run` task).

    Runs :class:`utacbook.models.IntegratedGovernmentModel` (``seed``) with
    :func:`utacbook.models.create_example_policies` from step 0 and analyses
    it with each burn-in.

    Returns
    -------
    dict of float arrays, shape (len(burn_ins), 3)
        ``level`` and ``diff`` (Pearson correlations of the levels and first
        differences, pairs in the order :data:`PAIRS`; nan if undefined) and
        ``volatility`` (micro, meso, macro; series units per step).
    """
    m = IntegratedGovernmentModel(population_size, n_communities, time_steps, seed=seed)
    m.run(create_example_policies())
    nb = len(burn_ins)
    out = {k: np.empty((nb, 3)) for k in ("level", "diff", "volatility")}
    for i, b in enumerate(burn_ins):
        a = m.analyze_cross_scale_dynamics(burn_in=b)
        out["level"][i] = [a["correlations"][p] for p in PAIRS]
        out["diff"][i] = [a["difference_correlations"][p] for p in PAIRS]
        out["volatility"][i] = [a["volatility"][k] for k in ("micro", "meso", "macro")]
    return out


def cross_scale_replicas(*, population_size=5000, n_communities=20, time_steps=100,
                         n_seeds=16, burn_ins=(0, 30), seed=0, client=None):
    """Cross-scale statistics of the text's example run, over seeds.

    Each replica runs :class:`utacbook.models.IntegratedGovernmentModel` with
    :func:`utacbook.models.create_example_policies` applied at step 0 (as the text) and
    applies :meth:`~utacbook.models.IntegratedGovernmentModel.analyze_cross_scale_dynamics`
    for each ``burn_in`` in ``burn_ins`` (:func:`cross_scale_task`).  The
    replicas run through :func:`utacbook.sweep.run` with the grid
    ``{"replica": range(n_seeds)}``: replica r gets the seed
    ``utacbook.sweep.task_seed(seed, {"replica": r})``.

    Parameters
    ----------
    population_size, n_communities, time_steps : int
        As :class:`utacbook.models.IntegratedGovernmentModel` (time_steps >= 3).
    n_seeds : int >= 1
    burn_ins : sequence of int >= 0
        Records discarded before the analysis (each < time_steps - 2).
    seed : int >= 0
        The sweep's seed.
    client : distributed.Client or str, optional
        Where the replicas run (:func:`utacbook.sweep.run`; default: in this process).

    Returns
    -------
    dict
        ``level[b][pair]``, ``diff[b][pair]`` (arrays over seeds of the
        level and first-difference Pearson correlations; nan if undefined),
        ``volatility[b][scale]`` (arrays, series units per step), ``burn_ins``,
        ``seeds`` (the replicas' seeds).
    """
    N, C, T, R, s = _common(population_size, n_communities, time_steps, n_seeds, seed)
    burn_ins = tuple(V.integer("burn_ins", b, low=0, high=T - 3) for b in burn_ins)
    dims = {k: ("burn_in", "item") for k in ("level", "diff", "volatility")}
    ds = _sweep_run(cross_scale_task, R, s, dict(population_size=N, n_communities=C, time_steps=T,
                                                 burn_ins=list(burn_ins)), dims, client)
    lv, df, vo = (ds[k].values for k in ("level", "diff", "volatility"))   # (R, len(burn_ins), 3)
    level = {b: {p: lv[:, i, j].copy() for j, p in enumerate(PAIRS)} for i, b in enumerate(burn_ins)}
    diff = {b: {p: df[:, i, j].copy() for j, p in enumerate(PAIRS)} for i, b in enumerate(burn_ins)}
    vol = {b: {k: vo[:, i, j].copy() for j, k in enumerate(("micro", "meso", "macro"))}
           for i, b in enumerate(burn_ins)}
    return {"level": level, "diff": diff, "volatility": vol, "burn_ins": burn_ins,
            "seeds": ds["task_seed"].values.copy()}


# ------------------------------------------------------------ transitions
def transition_counts(*, scenario="none", population_size=5000, n_communities=20,
                      time_steps=100, n_seeds=16, threshold=2.0, burn_in=20,
                      switch_step=60, control_offset=20, window=2, seed=0):
    """Scale transitions per type over seeds, in one of three scenarios.

    Parameters
    ----------
    scenario : {"none", "start", "midrun"}
        "none": no policies; "start": :func:`utacbook.models.create_example_policies` at step
        0 (the text); "midrun": ``community_grants`` switched on after
        ``switch_step`` steps (it acts from step switch_step + 1).
    population_size, n_communities, time_steps, n_seeds, seed : int
    threshold : float > 0
        In robust standard deviations (:func:`utacbook.models.scale_transitions`).
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
    dict
        ``counts`` (type -> int array over seeds), ``n_steps`` (steps
        analysed per run), ``rate`` (type -> (mean, s.e.m.) events per analysed
        step), ``cascade_at_switch`` (bool array over seeds: a cross_scale event
        at a step within ``window`` of switch_step + 1; all False unless
        "midrun"), ``cascade_at_control`` (the same at the control step),
        ``micro_at_switch`` (a micro transition within ``window`` of
        switch_step + 1), ``cascade_lags`` (list of the lags of the cascades at
        the switch); ``macro_zero_diffs`` (int array over seeds: differences
        of the macro series policy_effectiveness in the analysed window that
        are exactly 0, out of ``n_steps``); ``flags`` (per seed: the steps of the ``micro``
        transitions, of the meso or macro transitions ``followers``, and the
        ``first`` and ``last`` analysed step) and ``window``, for
        :func:`cascade_permutation_test`.
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
    zeros = np.zeros(R, dtype=np.int64)
    lags = []
    flags = []
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
        macro = np.array([h["macro_metrics"]["policy_effectiveness"] for h in m.history[burn_in:]])
        zeros[r] = int(np.sum(np.diff(macro) == 0.0))
        flags.append({"micro": [e["step"] for e in ev if e["type"] == "micro"],
                      "followers": sorted({e["step"] for e in ev if e["type"] in ("meso", "macro")}),
                      "first": int(m.history[burn_in + 1]["step"]),
                      "last": int(m.history[-1]["step"])})
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
    rate = {k: finite_mean_sem(v / n) for k, v in counts.items()}
    return {"counts": counts, "n_steps": n, "rate": rate, "cascade_at_switch": at_switch,
            "cascade_at_control": at_control, "micro_at_switch": micro_sw,
            "cascade_lags": lags, "flags": flags, "window": window, "macro_zero_diffs": zeros}


def count_cascades(micro, followers, window):
    """Micro transitions followed within 1..``window`` steps by a meso or macro transition.

    The definition of a ``cross_scale`` event of
    :func:`utacbook.models.scale_transitions`, from the steps of the
    single-scale transitions.
    """
    f = set(int(u) for u in followers)
    return sum(1 for t in micro if any(int(t) + lag in f for lag in range(1, window + 1)))


def cascade_permutation_test(tr, *, n_perm=2000, seed=0):
    """Are there more cascades than chance alignment of the single-scale transitions gives?

    The null keeps every run's meso and macro transitions and the pattern of
    its micro transitions, but shifts the micro transitions circularly by a
    random offset (1 .. L-1 steps, uniform, independently per run) within
    the L analysed steps; the statistic is the total number of cascades over
    all runs.  ``tr`` is a :func:`transition_counts` result.

    Returns
    -------
    dict
        ``observed`` (int), ``null_mean``, ``null_sd``, ``p_value``
        (one-sided, ``(1 + #{null >= observed}) / (n_perm + 1)``), ``n_perm``.
    """
    n_perm = V.integer("n_perm", n_perm, low=1)
    rng = np.random.default_rng(V.integer("seed", seed, low=0))
    w = tr["window"]
    runs = tr["flags"]
    obs = sum(count_cascades(f["micro"], f["followers"], w) for f in runs)
    null = np.zeros(n_perm)
    for k in range(n_perm):
        tot = 0
        for f in runs:
            lo, L = f["first"], f["last"] - f["first"] + 1
            if L < 2 or not f["micro"]:
                tot += count_cascades(f["micro"], f["followers"], w)
                continue
            sh = int(rng.integers(1, L))
            tot += count_cascades([lo + (t - lo + sh) % L for t in f["micro"]], f["followers"], w)
        null[k] = tot
    p = (1 + int(np.sum(null >= obs))) / (n_perm + 1)
    return {"observed": int(obs), "null_mean": float(null.mean()), "null_sd": float(null.std()),
            "p_value": float(p), "n_perm": n_perm}


# ---------------------------------------------------------- policy impact
def policy_impacts(*, population_size=5000, n_communities=20, warmup=30, n_steps=50,
                   n_seeds=16, policies=None, seed=0):
    """Micro, meso and macro impact of each policy, over seeds.

    Each replica warms an :class:`utacbook.models.IntegratedGovernmentModel` up for
    ``warmup`` steps without policies, then evaluates each policy alone from
    that same state with
    :meth:`~utacbook.models.IntegratedGovernmentModel.implement_policy_multiscale`
    (``n_steps`` paired steps, common random numbers).

    Parameters
    ----------
    population_size, n_communities, n_seeds, seed : int
    warmup : int >= 1
    n_steps : int >= 2
    policies : list of Policy, default :func:`utacbook.models.create_example_policies`

    Returns
    -------
    dict name -> dict of arrays over seeds
        ``micro_mean`` (mean change of
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


# ------------------------------------- single vs multiscale (research application 3)
#: the models of :func:`decomposition`, in order: four predictions and the three steps between them
MODELS = ("a: single scale, default cohesion", "b: single scale, measured cohesion",
          "b': one community, dynamic cohesion", "c: multiscale",
          "b - a: the default", "b' - b: stationary cohesion of one community vs twenty",
          "b' - b: dynamic cohesion", "c - b': the communities")
#: per-scale effects reported for the multiscale model (c) only; ``cohesion_change`` also for (b')
MULTISCALE_ONLY = ("fraction_better_off", "between_community_sd", "cohesion_change",
                   "resource_inequality_change")
#: two-sided significance of 3 standard errors (the criterion of the decomposition claims)
ALPHA_3SIGMA = float(2 * _stats.norm.sf(3.0))


class ThreeSigma(uc.Effect):
    """:class:`utacbook.claims.Effect` at 3 standard errors, two-sided (``alpha`` = :data:`ALPHA_3SIGMA`).

    Decides exactly as ``Effect(alpha=ALPHA_3SIGMA)``; only the description
    in the tables says it in standard errors.

    Examples
    --------
    >>> from utacbook.studies.multiscale.policies import ThreeSigma
    >>> ThreeSigma().describe()
    'an effect of 3 standard errors, two-sided (p < 0.0027, normal approximation)'
    """

    def __init__(self):
        super().__init__(alpha=ALPHA_3SIGMA, direction=0)

    def describe(self):
        return f"an effect of 3 standard errors, two-sided (p < {self.alpha:.2g}, normal approximation)"


def _policy_dicts(policies):
    policies = create_example_policies() if policies is None else list(policies)
    for p in policies:
        if not isinstance(p, Policy):
            raise TypeError(f"policies must contain Policy objects, got {type(p).__name__}")
    if len({p.name for p in policies}) != len(policies) or not policies:
        raise ValueError("policies must be a non-empty list with unique names")
    return [{"name": p.name, "scale": p.scale, "cost": float(p.cost), "effects": dict(p.effects)}
            for p in policies]


def counterpart(policy):
    """The single-scale counterpart of a ``community`` policy: its field and cost as an individual policy.

    A community policy adds its ``satisfaction`` effect to the field of every
    citizen of the targeted communities and taxes every citizen's field by
    ``cost_weight * cost``; its ``resources`` go to the targeted
    communities' :math:`R_c`, which never act on citizens in this model.  The
    counterpart is an ``individual`` policy with the same name, cost and
    ``satisfaction`` effect and no resources.  Applied with
    ``apply_policy(counterpart(policy), targets=counterpart_targets(...))``
    it gives the same field to the same citizens in a model without
    communities: what is left of the policy once its targets are not places.

    Examples
    --------
    >>> from utacbook.models import create_example_policies
    >>> from utacbook.studies.multiscale.policies import counterpart
    >>> p = counterpart(create_example_policies()[1])
    >>> p.name, p.scale, p.cost, p.effects
    ('community_grants', 'individual', 0.8, {'satisfaction': 0.3})
    """
    if not isinstance(policy, Policy):
        raise TypeError(f"policy must be a Policy, got {type(policy).__name__}")
    if policy.scale != "community":
        raise ValueError(f"policy must be a 'community' policy, got scale {policy.scale!r}")
    return Policy(policy.name, "individual", cost=policy.cost,
                  effects={"satisfaction": policy.effects.get("satisfaction", 0.0)})


def counterpart_targets(policy, population_size, n_communities, seed):
    """The citizens a ``community`` policy targets in the multiscale model with ``seed`` (bool array (N,)).

    The mask that ``IntegratedGovernmentModel(population_size, n_communities,
    seed=seed).model.apply_policy(policy)`` returns.  It depends on the
    initial state only (wealth and membership do not change without
    policies), so it is the same after any warm-up.  A model with the same
    ``seed`` and another number of communities gives every citizen the same
    wealth (only the membership differs), so "the same citizens" are the same
    people in both.

    Parameters
    ----------
    policy : Policy
        A ``community`` policy.
    population_size, n_communities : int
    seed : int >= 0

    Returns
    -------
    numpy.ndarray of bool, shape (population_size,)

    Examples
    --------
    >>> from utacbook.models import create_example_policies
    >>> from utacbook.studies.multiscale.policies import counterpart_targets
    >>> mask = counterpart_targets(create_example_policies()[1], 1000, 10, 0)
    >>> int(mask.sum())      # the poorest 3 of 10 communities of 100 citizens
    300
    """
    if not isinstance(policy, Policy) or policy.scale != "community":
        raise ValueError("policy must be a 'community' Policy")
    m = IntegratedGovernmentModel(population_size, n_communities, 1, seed=seed).model
    return m.apply_policy(copy.deepcopy(policy))


def paired_change(model, policy, *, targets=None, n_steps=50):
    """A policy's effect by a paired run on copies of ``model``, with optional ``targets``.

    The computation of :meth:`utacbook.models.GovernmentSimulation.implement_policy`
    (two deep copies, same random streams; the mean of the per-step
    differences of avg_satisfaction with :func:`utacbook.stats.mean_with_error`)
    on a :class:`utacbook.models.GovernmentMultiscaleModel`, except that the
    policy is applied with ``apply_policy(policy, targets=targets)``.
    ``model`` itself is not changed.

    Parameters
    ----------
    model : GovernmentMultiscaleModel
        E.g. ``GovernmentSimulation(...).model`` or ``IntegratedGovernmentModel(...).model``.
    policy : Policy
    targets : bool array (N,), optional
        Only for an ``individual`` policy (as ``apply_policy``).
    n_steps : int >= 2

    Returns
    -------
    dict of float
        ``satisfaction_change``, ``satisfaction_change_error``,
        ``trust_change`` and ``cohesion_change`` (mean over the steps of the
        treated minus baseline avg_cohesion).

    Examples
    --------
    >>> from utacbook.models import GovernmentSimulation, create_example_policies
    >>> from utacbook.studies.multiscale.policies import counterpart, counterpart_targets, paired_change
    >>> grants = create_example_policies()[1]
    >>> sim = GovernmentSimulation(1000, seed=0, cohesion=0.75)
    >>> r = paired_change(sim.model, counterpart(grants), targets=counterpart_targets(grants, 1000, 10, 0),
    ...                   n_steps=5)
    >>> sorted(r), r["satisfaction_change"] > 0
    (['cohesion_change', 'satisfaction_change', 'satisfaction_change_error', 'trust_change'], True)
    """
    n_steps = V.integer("n_steps", n_steps, low=2)
    base = copy.deepcopy(model)
    treated = copy.deepcopy(model)
    treated.apply_policy(copy.deepcopy(policy), targets=targets)
    rb = base.run(n_steps, quantiles=False)
    rt = treated.run(n_steps, quantiles=False)
    series = lambda recs, g, k: np.array([r[g][k] for r in recs])
    diff = (series(rt, "micro_metrics", "avg_satisfaction")
            - series(rb, "micro_metrics", "avg_satisfaction"))
    if np.ptp(diff) > 0:
        d, err, _ = mean_with_error(diff)
    else:
        d, err = float(diff.mean()), 0.0
    return {"satisfaction_change": float(d), "satisfaction_change_error": float(err),
            "trust_change": float(series(rt, "macro", "trust").mean() - series(rb, "macro", "trust").mean()),
            "cohesion_change": float(np.mean(series(rt, "meso_metrics", "avg_cohesion")
                                             - series(rb, "meso_metrics", "avg_cohesion")))}


def _baseline_cohesion(model, n_steps):
    """avg_cohesion of a copy of ``model`` run ``n_steps`` steps without further policies."""
    base = copy.deepcopy(model)
    return np.array([base.step(quantiles=False)["meso_metrics"]["avg_cohesion"] for _ in range(n_steps)])


def multiscale_policy_task(*, population_size, n_communities, warmup, n_steps, policies, seed):
    """One replica of the multiscale side of :func:`policy_predictions` (a sweep task).

    Warms :class:`utacbook.models.IntegratedGovernmentModel` (``seed``) up for
    ``warmup`` steps without policies; measures the stationary cohesion on a
    copy run ``n_steps`` more steps without policies (the baseline of the
    paired runs below, with the same random numbers); then evaluates each
    policy alone from the warmed-up state with
    :meth:`~utacbook.models.IntegratedGovernmentModel.implement_policy_multiscale`.

    Parameters
    ----------
    population_size, n_communities, warmup, n_steps : int
    policies : list of dict
        ``name``, ``scale``, ``cost``, ``effects`` of each
        :class:`utacbook.models.Policy` (JSON, so that the sweep can record it).
    seed : int >= 0

    Returns
    -------
    dict
        ``cohesion`` (float: size-weighted mean cohesion averaged over the
        ``n_steps`` baseline steps), ``cohesion_halves`` (array (2,): the
        same over the first and the second half of those steps); arrays
        (len(policies),) ``satisfaction_change`` (micro mean = approval
        change), ``satisfaction_change_error`` (its error within the run),
        ``trust_change`` and the per-scale effects of :data:`MULTISCALE_ONLY`.
    """
    m0 = IntegratedGovernmentModel(population_size, n_communities, warmup, seed=seed)
    m0.run()
    coh = _baseline_cohesion(m0.model, n_steps)
    h = n_steps // 2
    keys = ("satisfaction_change", "satisfaction_change_error", "trust_change") + MULTISCALE_ONLY
    out = {k: np.empty(len(policies)) for k in keys}
    for j, d in enumerate(policies):
        r = copy.deepcopy(m0).implement_policy_multiscale(Policy(**d), n_steps=n_steps)
        mic, mes, mac = r["micro_impact"], r["meso_impact"], r["macro_impact"]
        vals = {"satisfaction_change": mic["mean"], "satisfaction_change_error": mic["mean_error"],
                "trust_change": mac["trust_change"], "fraction_better_off": mic["fraction_better_off"],
                "between_community_sd": mes["between_community_sd"],
                "cohesion_change": mes["avg_cohesion_change"],
                "resource_inequality_change": mes["resource_inequality_change"]}
        for k in keys:
            out[k][j] = vals[k]
    out["cohesion"] = float(coh.mean())
    out["cohesion_halves"] = np.array([coh[:h].mean(), coh[h:].mean()])
    return out


def one_community_policy_task(*, population_size, n_communities, warmup, n_steps, policies, seed):
    """One replica of prediction (b') of :func:`policy_predictions` (a sweep task).

    The multiscale model with a single community,
    :class:`utacbook.models.IntegratedGovernmentModel` ``(population_size, 1,
    seed=seed)``: no community structure, but its cohesion is free to relax,
    to its own stationary value and in response to a policy (the
    single-scale model holds it fixed).  Warm-up and stationary cohesion as
    in :func:`multiscale_policy_task`; each policy is then evaluated alone
    by the text's call
    :meth:`~utacbook.models.IntegratedGovernmentModel.implement_policy_multiscale`,
    a ``community`` policy through its :func:`counterpart` given to the
    citizens it targets in the model with ``n_communities`` communities and
    the same seed (:func:`counterpart_targets`, :func:`paired_change`).

    Returns
    -------
    dict
        ``cohesion``, ``cohesion_halves`` (as :func:`multiscale_policy_task`);
        arrays (len(policies),) ``satisfaction_change``,
        ``satisfaction_change_error``, ``trust_change``, ``cohesion_change``.
    """
    m0 = IntegratedGovernmentModel(population_size, 1, warmup, seed=seed)
    m0.run()
    coh = _baseline_cohesion(m0.model, n_steps)
    h = n_steps // 2
    keys = ("satisfaction_change", "satisfaction_change_error", "trust_change", "cohesion_change")
    out = {k: np.empty(len(policies)) for k in keys}
    for j, d in enumerate(policies):
        pol = Policy(**d)
        if pol.scale == "community":
            vals = paired_change(m0.model, counterpart(pol), n_steps=n_steps,
                                 targets=counterpart_targets(pol, population_size, n_communities, seed))
        else:
            r = copy.deepcopy(m0).implement_policy_multiscale(pol, n_steps=n_steps)
            vals = {"satisfaction_change": r["micro_impact"]["mean"],
                    "satisfaction_change_error": r["micro_impact"]["mean_error"],
                    "trust_change": r["macro_impact"]["trust_change"],
                    "cohesion_change": r["meso_impact"]["avg_cohesion_change"]}
        for k in keys:
            out[k][j] = vals[k]
    out["cohesion"] = float(coh.mean())
    out["cohesion_halves"] = np.array([coh[:h].mean(), coh[h:].mean()])
    return out


def single_scale_policy_task(*, population_size, warmup, n_steps, cohesions, policies, seed,
                             n_communities=None):
    """One replica of the single-scale side of :func:`policy_predictions` (a sweep task).

    For each cohesion, warms :class:`utacbook.models.GovernmentSimulation`
    (``seed``, that cohesion) up for ``warmup`` steps without policies, then
    evaluates each policy alone from that state with
    :meth:`~utacbook.models.GovernmentSimulation.implement_policy` (on a
    copy, so that the policies do not accumulate).  A ``community`` policy
    is evaluated through its :func:`counterpart`, given to the citizens it
    targets in the model with ``n_communities`` communities and the same
    seed (:func:`counterpart_targets`, :func:`paired_change`: the
    computation of ``implement_policy`` with these targets).

    Parameters
    ----------
    population_size, warmup, n_steps : int
    cohesions : list of float in [0, 1]
    policies : list of dict
        As :func:`multiscale_policy_task`.
    seed : int >= 0
    n_communities : int, optional
        Needed for ``community`` policies (ValueError without it: the
        single-scale model has no communities to target).

    Returns
    -------
    dict of arrays (len(cohesions), len(policies))
        ``satisfaction_change``, ``satisfaction_change_error`` (its error
        within the run) and ``trust_change``.
    """
    bad = [d["name"] for d in policies if d["scale"] == "community"]
    if bad and n_communities is None:
        raise ValueError(f"community policies have no single-scale counterpart without n_communities "
                         f"(the model whose targeted citizens the counterpart reaches): {bad}")
    targets = {d["name"]: counterpart_targets(Policy(**d), population_size, n_communities, seed)
               for d in policies if d["scale"] == "community"}
    keys = ("satisfaction_change", "satisfaction_change_error", "trust_change")
    out = {k: np.empty((len(cohesions), len(policies))) for k in keys}
    for i, c in enumerate(cohesions):
        sim = GovernmentSimulation(population_size, seed=seed, cohesion=c)
        sim.run(warmup)
        for j, d in enumerate(policies):
            if d["name"] in targets:
                r = paired_change(sim.model, counterpart(Policy(**d)), targets=targets[d["name"]],
                                  n_steps=n_steps)
            else:
                r = copy.deepcopy(sim).implement_policy(Policy(**d), n_steps=n_steps)
            for k in keys:
                out[k][i, j] = r[k]
    return out


def policy_predictions(*, population_size=5000, n_communities=20, warmup=30, n_steps=50,
                       n_seeds=16, policies=None, seed=0, client=None, counterparts=True,
                       slope_step=0.02):
    r"""What the single-scale and the multiscale model predict for each policy (research application 3).

    Four predictions of each policy's effect, with the same replicas (seeds):

    * (a) the single-scale model :class:`utacbook.models.GovernmentSimulation`
      with its default cohesion (0.5);
    * (b) the same with the cohesion set to :math:`\kappa^*`, the multiscale
      model's stationary mean cohesion, measured (with its error) from the
      baseline runs of (c);
    * (b') the multiscale model with one community
      (:func:`one_community_policy_task`): no communities, but a cohesion
      that relaxes to its own stationary value and responds to the policy;
    * (c) the multiscale model :class:`utacbook.models.IntegratedGovernmentModel`
      with ``n_communities`` communities.

    (a) → (b) is the effect of the single-scale model's default; (b) → (b')
    the cohesion's response to the policy; (b') → (c) the communities
    themselves (citizens feel their community's mean instead of the
    nation's, and each community has its own cohesion).  Every prediction
    is the text's own call (``gov_sim.implement_policy(policy)`` and
    ``integrated_model.implement_policy_multiscale(policy)``) after
    ``warmup`` steps without policies, a paired run of ``n_steps`` steps with
    common random numbers.  A ``community`` policy is evaluated by (a), (b)
    and (b') through its :func:`counterpart` (the same field and cost given
    to the same citizens; its resources act on nobody) if ``counterparts``,
    else by (c) only.

    The replicas run through :func:`utacbook.sweep.run` with the grid
    ``{"replica": range(n_seeds)}`` and the sweep seed ``seed``: first
    :func:`multiscale_policy_task`, then :func:`one_community_policy_task`,
    then (with :math:`\kappa^*` as a parameter) :func:`single_scale_policy_task`
    at the cohesions 0.5, :math:`\kappa^*` and :math:`\kappa^* \pm`
    ``slope_step`` (the last two give the local slope of (b) in the
    cohesion, for the error of :math:`\kappa^*`).  All sweeps give replica r
    the same seed, so the predictions of a replica start from the same seed
    and their differences are paired.

    Parameters
    ----------
    population_size, n_communities : int
    warmup : int >= 1
    n_steps : int >= 2
    n_seeds : int >= 2
    policies : list of Policy, default :func:`utacbook.models.create_example_policies`
    seed : int >= 0
    client : distributed.Client or str, optional
        Where the replicas run (:func:`utacbook.sweep.run`; default: in this process).
    counterparts : bool, default True
        Evaluate ``community`` policies in (a), (b), (b') through their counterpart.
    slope_step : float in (0, 0.5]
        Half-width of the cohesion interval of the local slope.

    Returns
    -------
    dict
        ``multiscale`` (:class:`xarray.Dataset`, dims ``replica`` and
        ``policy``: the outputs of :func:`multiscale_policy_task`),
        ``one_community`` (the same for :func:`one_community_policy_task`),
        ``single`` (dims ``replica``, ``kappa`` and ``policy``: the outputs of
        :func:`single_scale_policy_task` at ``kappa`` = default,
        :math:`\kappa^*`, :math:`\kappa^* -` and :math:`\kappa^* +` ``slope_step``
        (clipped to [0, 1])), ``cohesion`` ((mean, s.e.m.) of :math:`\kappa^*`
        over the replicas), ``cohesion_drift`` ((mean, s.e.m.) of the
        second-half minus first-half cohesion of the baseline runs: 0 if
        stationary), ``cohesion_one_community`` and
        ``cohesion_one_community_drift`` (the same for (b')),
        ``default_cohesion``, ``policies``, ``single_scale_policies`` (names of
        the policies with predictions (a), (b), (b')) and ``counterparts``
        (those among them evaluated through their counterpart), ``n_seeds``,
        ``seeds``.

    Examples
    --------
    >>> from utacbook.studies.multiscale import policies as msp
    >>> pred = msp.policy_predictions(population_size=500, n_communities=5, warmup=5, n_steps=5,
    ...                               n_seeds=2, seed=0)
    >>> pred["counterparts"]         # community_grants: the same field to the same citizens
    ['community_grants']
    >>> dict(pred["single"].sizes)
    {'replica': 2, 'kappa': 4, 'policy': 4}
    >>> t = msp.decomposition(pred)
    >>> t[(t.policy == "public_health") & (t.quantity == "satisfaction_change")].model.tolist()
    ... # doctest: +NORMALIZE_WHITESPACE
    ['a: single scale, default cohesion', 'b: single scale, measured cohesion',
     "b': one community, dynamic cohesion", 'c: multiscale', 'b - a: the default',
     "b' - b: stationary cohesion of one community vs twenty", "b' - b: dynamic cohesion",
     "c - b': the communities"]
    """
    N, C, _, R, s = _common(population_size, n_communities, 3, n_seeds, seed)
    if R < 2:
        raise ValueError(f"n_seeds must be >= 2 (errors are over replicas), got {R}")
    warmup = V.integer("warmup", warmup, low=1)
    n_steps = V.integer("n_steps", n_steps, low=2)
    dk = V.real("slope_step", slope_step, low=0.0, high=0.5)
    if dk <= 0:
        raise ValueError(f"slope_step must be > 0, got {dk}")
    pols = _policy_dicts(policies)
    single_pols = [d for d in pols if d["scale"] != "community" or (counterparts and C > 1)]
    ms = _sweep_run(multiscale_policy_task, R, s,
                    dict(population_size=N, n_communities=C, warmup=warmup, n_steps=n_steps,
                         policies=pols),
                    {k: ("policy",) for k in ("satisfaction_change", "satisfaction_change_error",
                                              "trust_change") + MULTISCALE_ONLY}
                    | {"cohesion_halves": ("half",)}, client)
    ms = ms.assign_coords(policy=[d["name"] for d in pols])
    kappa = finite_mean_sem(ms["cohesion"].values)
    default = float(GovernmentSimulation.__init__.__kwdefaults__["cohesion"])
    cohesions = [default, kappa[0], max(kappa[0] - dk, 0.0), min(kappa[0] + dk, 1.0)]
    one = ss = None
    if single_pols:
        names = [d["name"] for d in single_pols]
        one = _sweep_run(one_community_policy_task, R, s,
                         dict(population_size=N, n_communities=C, warmup=warmup, n_steps=n_steps,
                              policies=single_pols),
                         {k: ("policy",) for k in ("satisfaction_change", "satisfaction_change_error",
                                                  "trust_change", "cohesion_change")}
                         | {"cohesion_halves": ("half",)}, client)
        one = one.assign_coords(policy=names)
        ss = _sweep_run(single_scale_policy_task, R, s,
                        dict(population_size=N, warmup=warmup, n_steps=n_steps, cohesions=cohesions,
                             policies=single_pols, n_communities=C),
                        {k: ("kappa", "policy") for k in ("satisfaction_change",
                                                         "satisfaction_change_error", "trust_change")},
                        client)
        ss = ss.assign_coords(kappa=cohesions, policy=names)
    return _predictions_result(ms, one, ss, pols, single_pols, R)


def _predictions_result(ms, one, ss, pols, single_pols, R):
    """The dict of :func:`policy_predictions` from its three sweeps (``one``, ``ss`` None without single-scale
    policies)."""
    kappa = finite_mean_sem(ms["cohesion"].values)
    halves = ms["cohesion_halves"].values
    default = float(GovernmentSimulation.__init__.__kwdefaults__["cohesion"])
    one_k = one_drift = (math.nan, math.nan)
    if single_pols:
        one_k = finite_mean_sem(one["cohesion"].values)
        h1 = one["cohesion_halves"].values
        one_drift = finite_mean_sem(h1[:, 1] - h1[:, 0])
        for other in (ss, one):
            if not np.array_equal(other["task_seed"].values, ms["task_seed"].values):  # pragma: no cover
                raise RuntimeError("the sweeps gave the replicas different seeds")
    return {"multiscale": ms, "single": ss, "one_community": one, "cohesion": kappa,
            "cohesion_drift": finite_mean_sem(halves[:, 1] - halves[:, 0]),
            "cohesion_one_community": one_k, "cohesion_one_community_drift": one_drift,
            "default_cohesion": default, "policies": [d["name"] for d in pols],
            "single_scale_policies": [d["name"] for d in single_pols],
            "counterparts": [d["name"] for d in single_pols if d["scale"] == "community"],
            "n_seeds": R, "seeds": ms["task_seed"].values.copy()}


#: the stored result of :func:`prediction_sweeps` that the chapter loads
PREDICTIONS_NAME = "ms_policies_predictions"


def prediction_sweeps(*, population_size=5000, n_communities=20, warmup=30, n_steps=50, n_seeds=16, seed=0):
    """The three sweeps of :func:`policy_predictions` (example policies), for a stored result.

    Runs ``policy_predictions(...)`` with :func:`utacbook.models.create_example_policies` and
    returns its sweeps as ``xarray.Dataset.to_dict(data="list")``; :func:`load_policy_predictions`
    builds the Datasets back (identical, provenance included) and the rest of the result with
    :func:`policy_predictions`' own code; :func:`spot_check_predictions` re-runs replica 0.

    Examples
    --------
    >>> from utacbook.studies.multiscale import policies as msp
    >>> out = msp.prediction_sweeps(population_size=200, n_communities=4, warmup=3, n_steps=4, n_seeds=2)
    >>> sorted(out["sweeps"]), out["n_seeds"]
    (['multiscale', 'one_community', 'single'], 2)
    """
    kw = dict(population_size=population_size, n_communities=n_communities, warmup=warmup, n_steps=n_steps,
              n_seeds=n_seeds, seed=seed)
    pred = policy_predictions(**kw)
    return {**kw, "sweeps": {k: pred[k].to_dict(data="list") for k in ("multiscale", "one_community", "single")}}


def load_policy_predictions(name=PREDICTIONS_NAME, *, data_dir=None):
    """A stored :func:`prediction_sweeps`: ``(pred, record)``, ``pred`` exactly what
    :func:`policy_predictions` returns for the recorded call."""
    import xarray as xr

    from utacbook import stored as _stored
    rec = _stored.load(name, data_dir=data_dir)
    sw = {k: xr.Dataset.from_dict(d) for k, d in rec["sweeps"].items()}
    pols = _policy_dicts(None)
    C = int(rec["n_communities"])
    single_pols = [d for d in pols if d["scale"] != "community" or C > 1]
    return _predictions_result(sw["multiscale"], sw["one_community"], sw["single"], pols, single_pols,
                               int(rec["n_seeds"])), rec


def spot_check_predictions(pred, rec, *, replica=0):
    """Re-run one replica of the three sweeps of a stored :func:`prediction_sweeps` (its task seed).

    Returns
    -------
    dict
        ``identical`` (bool: every number of the replica equal, bit for bit), ``n_values``, ``max_abs_diff``.
    """
    kw = {k: int(rec[k]) for k in ("population_size", "warmup", "n_steps")}
    C = int(rec["n_communities"])
    pols = _policy_dicts(None)
    single = [d for d in pols if d["name"] in pred["single_scale_policies"]]
    s = int(pred["seeds"][replica])
    runs = [("multiscale", multiscale_policy_task(n_communities=C, policies=pols, seed=s, **kw)),
            ("one_community", one_community_policy_task(n_communities=C, policies=single, seed=s, **kw)),
            ("single", single_scale_policy_task(cohesions=[float(x) for x in pred["single"]["kappa"].values],
                                                policies=single, seed=s, n_communities=C, **kw))]
    new, old = [], []
    for key, out in runs:
        ds = pred[key].isel(replica=replica)
        for k, x in out.items():
            new.append(np.ravel(np.asarray(x, dtype=float)))
            old.append(np.ravel(ds[k].values.astype(float)))
    new, old = np.concatenate(new), np.concatenate(old)
    return {"identical": bool(np.array_equal(new, old)), "n_values": int(new.size),
            "max_abs_diff": float(np.max(np.abs(new - old)))}


def _local_slope(ss, name, q):
    """Slope of the single-scale prediction ``q`` of ``name`` in the cohesion at kappa* (from kappa* ± step)."""
    k = ss["kappa"].values
    lo = ss[q].sel(policy=name).isel(kappa=2).values
    hi = ss[q].sel(policy=name).isel(kappa=3).values
    return float((np.mean(hi) - np.mean(lo)) / (k[3] - k[2]))


def decomposition(pred):
    r"""The predictions of :func:`policy_predictions` as a tidy table, with the decomposition.

    One row per policy, model (:data:`MODELS`) and quantity.  Estimates are
    means over the replicas, errors standard errors of the mean (ddof 1);
    the steps ``b - a``, ``b' - b`` (in two parts, below) and ``c - b'`` are
    paired over the replicas (same seeds).  ``b' - b`` is split into the
    stationary cohesion of one community against twenty, ``s (kappa1_r -
    kappa_r)`` per replica (estimate ``s (mean kappa1 - kappa*)``: (b) moved
    along the slope from the multiscale model's stationary cohesion to the
    one-community model's own, :math:`\kappa_{1,r}`), and the dynamic
    cohesion, ``b'_r - b_r - s (kappa1_r - kappa*)``, the rest.  The uncertainty of :math:`\kappa^*` enters (b)
    and the two steps from or to it through the local slope ``s`` of the
    prediction in the cohesion at :math:`\kappa^*` (from the runs at
    :math:`\kappa^* \pm` ``slope_step``): their errors are the s.e.m. over
    replicas of ``b_r + s (kappa_r - kappa*)``, ``(b - a)_r + s (kappa_r -
    kappa*)`` and the stationary step above, i.e. of (b) moved
    to each replica's own stationary cohesion :math:`\kappa_r` (to first
    order the same as running (b) at :math:`\kappa_r`).  This accounts for
    the correlation of :math:`\kappa_r` with the predictions of the same
    replica; :func:`kappa_error_check` compares it with treating
    :math:`\kappa^*` as independent.  The estimates are the means at
    :math:`\kappa^*`.  (b'), (c) and ``c - b'`` do not depend on
    :math:`\kappa^*`.  A policy without predictions (a), (b), (b') has rows
    for them and the four steps with estimate and error nan and
    ``n_seeds`` 0.

    Returns
    -------
    pandas.DataFrame
        Columns ``policy``, ``model``, ``quantity`` (``satisfaction_change``
        for every model; ``trust_change`` for a, b, b', c;
        ``cohesion_change`` for b' and c; the other :data:`MULTISCALE_ONLY`
        quantities for c), ``estimate``, ``error``, ``n_seeds``.
    """
    import pandas as pd
    ms, ss, one, R = pred["multiscale"], pred["single"], pred["one_community"], pred["n_seeds"]
    kr = ms["cohesion"].values
    a_, b_, bp_, c_, ba_, st_, bpb_, cbp_ = MODELS
    rows = []

    def add(policy, model, quantity, est, err, n):
        rows.append({"policy": policy, "model": model, "quantity": quantity, "estimate": float(est),
                     "error": float(err), "n_seeds": int(n)})

    for name in pred["policies"]:
        c = {q: ms[q].sel(policy=name).values for q in ("satisfaction_change", "trust_change")
             + MULTISCALE_ONLY}
        if name not in pred["single_scale_policies"]:
            for model in MODELS:
                if model != c_:
                    add(name, model, "satisfaction_change", math.nan, math.nan, 0)
        else:
            for q in ("satisfaction_change", "trust_change"):
                a = ss[q].sel(policy=name).isel(kappa=0).values
                b = ss[q].sel(policy=name).isel(kappa=1).values
                bp = one[q].sel(policy=name).values
                dk = _local_slope(ss, name, q) * (kr - kr.mean())  # (b) moved to each replica's kappa_r
                add(name, a_, q, *finite_mean_sem(a), R)
                add(name, b_, q, np.mean(b), finite_mean_sem(b + dk)[1], R)
                add(name, bp_, q, *finite_mean_sem(bp), R)
                if q == "satisfaction_change":
                    add(name, ba_, q, np.mean(b - a), finite_mean_sem(b - a + dk)[1], R)
                    # (b) moved along the slope to the one-community model's own stationary cohesion
                    k1 = one["cohesion"].values
                    s = _local_slope(ss, name, q)
                    add(name, st_, q, s * (np.mean(k1) - kr.mean()), finite_mean_sem(s * (k1 - kr))[1], R)
                    add(name, bpb_, q, np.mean(bp - b) - s * (np.mean(k1) - kr.mean()),
                        finite_mean_sem(bp - b - s * k1)[1], R)
                    add(name, cbp_, q, *finite_mean_sem(c[q] - bp), R)
            add(name, bp_, "cohesion_change", *finite_mean_sem(one["cohesion_change"].sel(policy=name).values), R)
        for q in ("satisfaction_change", "trust_change") + MULTISCALE_ONLY:
            add(name, c_, q, *finite_mean_sem(c[q]), R)
    df = pd.DataFrame(rows, columns=["policy", "model", "quantity", "estimate", "error", "n_seeds"])
    order = {m: i for i, m in enumerate(MODELS)}
    qorder = {q: i for i, q in enumerate(("satisfaction_change", "trust_change") + MULTISCALE_ONLY)}
    porder = {p: i for i, p in enumerate(pred["policies"])}
    return (df.sort_values(by=["policy", "quantity", "model"],
                           key=lambda col: col.map({"policy": porder, "quantity": qorder,
                                                    "model": order}[col.name]))
              .reset_index(drop=True))


def kappa_error_check(pred):
    r"""Would treating :math:`\kappa^*` as independent of the predictions be conservative?

    :math:`\kappa^*` is measured in the baseline runs of (c), with the same
    replicas as every prediction, so it is correlated with them.  For each
    step that depends on it (``b - a`` and the stationary cohesion of one
    community against twenty, ``slope (kappa1_r - kappa*)``) this compares the
    error of :func:`decomposition`, which accounts for the correlation (the
    s.e.m. over replicas of the step with (b) moved, to first order in the
    local slope, to each replica's own cohesion :math:`\kappa_r`: of
    ``(b - a)_r + slope (kappa_r - kappa*)`` and ``slope (kappa1_r -
    kappa_r)``), with the error that treats them as independent
    (s.e.m. of the paired step and ``|slope| * s.e.m.(kappa*)`` in
    quadrature).

    Returns
    -------
    pandas.DataFrame
        Columns ``policy``, ``step``, ``error_independent``,
        ``error_correlated``, ``rho_kappa_c`` (Pearson correlation over
        replicas of :math:`\kappa_r` with the multiscale prediction
        :math:`c_r`) and ``rho_kappa_step`` (with the step).

    Examples
    --------
    >>> from utacbook.studies.multiscale import policies as msp
    >>> pred = msp.policy_predictions(population_size=300, n_communities=3, warmup=3, n_steps=4,
    ...                               n_seeds=3, seed=0)
    >>> chk = msp.kappa_error_check(pred)
    >>> chk.shape, bool((chk.error_independent > 0).all())
    ((8, 6), True)
    """
    import pandas as pd
    ms, ss, one = pred["multiscale"], pred["single"], pred["one_community"]
    kr = ms["cohesion"].values
    k_err = pred["cohesion"][1]
    rows = []
    q = "satisfaction_change"
    for name in pred["single_scale_policies"]:
        a = ss[q].sel(policy=name).isel(kappa=0).values
        b = ss[q].sel(policy=name).isel(kappa=1).values
        c = ms[q].sel(policy=name).values
        s = _local_slope(ss, name, q)
        st = s * (one["cohesion"].values - kr.mean())  # the stationary-cohesion step, per replica
        for step, x, sign in ((MODELS[4], b - a, +1.0), (MODELS[5], st, -1.0)):
            rows.append({"policy": name, "step": step,
                         "error_independent": math.hypot(finite_mean_sem(x)[1], abs(s) * k_err),
                         "error_correlated": finite_mean_sem(x + sign * s * (kr - kr.mean()))[1],
                         "rho_kappa_c": float(np.corrcoef(kr, c)[0, 1]),
                         "rho_kappa_step": float(np.corrcoef(kr, x)[0, 1])})
    return pd.DataFrame(rows, columns=["policy", "step", "error_independent", "error_correlated",
                                       "rho_kappa_c", "rho_kappa_step"])


def decomposition_measurements(table, step=MODELS[7], policies=None):
    """One :class:`~utacbook.claims.Measurement` per policy with predictions (a), (b), (b').

    The paired step ``step`` (``MODELS[4]``, the default; ``MODELS[5]``, the
    stationary cohesion of one community against twenty; ``MODELS[6]``, the
    dynamic cohesion; or ``MODELS[7]``, the communities) of the
    satisfaction change, from a :func:`decomposition` table.  The
    measurement's text gives the step as a share of the multiscale effect.
    ``policies`` (names), if given, keeps only those policies.
    """
    if step not in MODELS[4:]:
        raise ValueError(f"step must be one of {MODELS[4:]}, got {step!r}")
    sat = table[table["quantity"] == "satisfaction_change"]
    c = sat[sat["model"] == MODELS[3]].set_index("policy")["estimate"]
    t = sat[(sat["model"] == step) & (sat["n_seeds"] > 0)]
    if policies is not None:
        t = t[t["policy"].isin(list(policies))]
    return [uc.Measurement(float(r.estimate), float(r.error), condition=r.policy,
                           text=f"{_pm(r.estimate, r.error)}, "
                                f"{format(r.estimate / abs(c[r.policy]), '+.1%').replace('-', '−')} of "
                                f"the multiscale effect")
            for r in t.itertuples()]


def same_sign_cohesion(table):
    """Policies whose mean cohesion change has the same sign with one community (b') and with twenty (c).

    For the others the split of ``c - b'`` and the dynamic-cohesion step
    depends on the order of the steps (the cohesion responds one way
    without communities and the other way with them), so the
    ``ms.policies.dynamic_cohesion`` claim is judged on these only.

    Returns
    -------
    list of str, in the order of the table
    """
    coh = table[table["quantity"] == "cohesion_change"].set_index(["policy", "model"])["estimate"]
    names = list(dict.fromkeys(table["policy"]))
    return [p for p in names if (p, MODELS[2]) in coh.index and (p, MODELS[3]) in coh.index
            and np.sign(coh[(p, MODELS[2])]) == np.sign(coh[(p, MODELS[3])]) != 0]


def _pm(value, err, *, unicode_minus=True):
    """``value ± err`` with a sign and two significant figures of the error."""
    from utacbook.report import format_pm
    s = format_pm(value, err, sig=2, unicode_minus=unicode_minus)
    return s if s.startswith(("−", "-")) else "+" + s


def plot_decomposition(table):
    """Predictions (a), (b), (b'), (c) of the change of mean satisfaction, and the four steps between them.

    Left: mean ± s.e.m. per policy ("n/a": no prediction).
    Right: the steps b - a (the default), b' - b split into the stationary
    cohesion of one community against twenty and the dynamic cohesion, and
    c - b' (the communities) in units of the multiscale effect ``|c|``.
    """
    import matplotlib.pyplot as plt
    t = table[table["quantity"] == "satisfaction_change"]
    names = list(dict.fromkeys(t["policy"]))
    fig, (ax, ax2) = plt.subplots(1, 2, figsize=(11, 4), gridspec_kw={"width_ratios": [3, 2]})
    x = np.arange(len(names))
    wd = 0.8 / 4
    for i, model in enumerate(MODELS[:4]):
        sub = t[t["model"] == model].set_index("policy").reindex(names)
        ok = sub["n_seeds"].values > 0
        ax.bar(x[ok] - 0.4 + wd * (i + 0.5), sub["estimate"].values[ok], wd,
               yerr=sub["error"].values[ok], capsize=3, label=model, color=f"C{i}")
        for xx in x[~ok]:
            ax.text(xx - 0.4 + wd * (i + 0.5), 0, "n/a", ha="center", va="bottom", fontsize=7,
                    rotation=90)
    ax.axhline(0, color="0.5", lw=0.8)
    ax.set_xticks(x, names, fontsize=8, rotation=15)
    ax.set_ylabel("Δ mean satisfaction")
    ax.legend(fontsize=7)
    c = t[t["model"] == MODELS[3]].set_index("policy")["estimate"]
    both = [n for n in names if (t[(t["policy"] == n) & (t["model"] == MODELS[4])]["n_seeds"] > 0).any()]
    x2 = np.arange(len(both))
    wd2 = 0.8 / len(MODELS[4:])
    for i, model in enumerate(MODELS[4:]):
        sub = t[t["model"] == model].set_index("policy").reindex(both)
        scale = np.abs(c.reindex(both).values)
        ax2.bar(x2 - 0.4 + wd2 * (i + 0.5), sub["estimate"].values / scale, wd2,
                yerr=sub["error"].values / scale, capsize=3, label=model, color=f"C{i + 4}")
    ax2.axhline(0, color="0.5", lw=0.8)
    ax2.set_xticks(x2, both, fontsize=8, rotation=15)
    ax2.set_ylabel("step / |multiscale effect|")
    ax2.legend(fontsize=7)
    fig.tight_layout()
    return fig


def community_resources(policy=None, *, population_size=5000, n_communities=20, n_seeds=16, seed=0):
    """The community resources :math:`R_c` before and after a ``community`` policy's transfer.

    :math:`R_c` is the mean wealth of community c plus the community
    transfers; wealth does not change without policies, so these are the
    values of the whole run.  Replica r uses the seed ``seed + r`` (the seeds
    of :func:`policy_impacts`).

    Parameters
    ----------
    policy : Policy, default ``community_grants`` of :func:`utacbook.models.create_example_policies`
    population_size, n_communities, n_seeds, seed : int

    Returns
    -------
    dict
        ``before``, ``after`` (arrays (n_seeds, C)), ``targeted`` (bool
        (n_seeds, C)), ``gini_before``, ``gini_after`` (arrays (n_seeds,): the
        size-weighted Gini coefficient ``resource_inequality``),
        ``transfer`` (the policy's ``resources`` effect) and ``leapfrog``
        (bool (n_seeds,): every targeted community ends above every other).

    Examples
    --------
    >>> from utacbook.studies.multiscale.policies import community_resources
    >>> cr = community_resources(population_size=1000, n_communities=10, n_seeds=2)
    >>> cr["targeted"].sum(axis=1).tolist(), cr["transfer"]     # 3 of 10 communities get +0.3
    ([3, 3], 0.3)
    """
    policy = create_example_policies()[1] if policy is None else policy
    if not isinstance(policy, Policy) or policy.scale != "community":
        raise ValueError("policy must be a 'community' Policy")
    N, C, _, R, s = _common(population_size, n_communities, 3, n_seeds, seed)
    if C < 2:
        raise ValueError(f"n_communities must be >= 2 for a community policy, got {C}")
    out = {k: np.empty((R, C)) for k in ("before", "after")}
    out["targeted"] = np.empty((R, C), dtype=bool)
    out["gini_before"], out["gini_after"] = np.empty(R), np.empty(R)
    for r in range(R):
        m = IntegratedGovernmentModel(N, C, 1, seed=s + r).model
        out["before"][r], out["gini_before"][r] = m.resources, m.resource_inequality
        mask = m.apply_policy(copy.deepcopy(policy))
        out["after"][r], out["gini_after"][r] = m.resources, m.resource_inequality
        out["targeted"][r] = np.bincount(m.agents["community"], weights=mask, minlength=C) > 0
    out["transfer"] = float(policy.effects.get("resources", 0.0))
    out["leapfrog"] = np.array([a[t].min() > a[~t].max() for a, t in zip(out["after"], out["targeted"])])
    return out


# --------------------------------------------------------------- insights
INSIGHTS = ("community structure matters", "effects vary by scale of observation",
            "multiple levels of intervention")


def null_policies():
    """The example policies without the community-targeted one (the null of the insight rules)."""
    return [p for p in create_example_policies() if p.scale != "community"]


def insight_scan(*, n_communities_list=(1, 5, 10, 20, 50), population_size=1000,
                 time_steps=50, n_seeds=8, policies=None, seed=0):
    """How often each ``use_multiscale_when`` insight fires, versus C.

    Runs :func:`utacbook.models.compare_single_vs_multiscale` with ``policies`` (default
    :func:`utacbook.models.create_example_policies`) for every C in ``n_communities_list``
    and every seed (``seed + r``).

    Returns
    -------
    dict
        ``C`` (array), ``fires`` (insight prefix -> array over C of the
        fraction of seeds in which it fires), ``fired`` (insight prefix -> bool
        array (len(C), n_seeds)), ``between_fraction`` and ``max_z`` (arrays
        (len(C), n_seeds) of the measurements behind the first two rules).
    """
    Cs = [V.integer("n_communities_list", c, low=1) for c in n_communities_list]
    N, _, T, R, s = _common(population_size, 1, time_steps, n_seeds, seed)
    if max(Cs) > N:
        raise ValueError(f"n_communities_list entries must be <= population_size ({N})")
    fired = {k: np.zeros((len(Cs), R), dtype=bool) for k in INSIGHTS}
    frac = np.empty((len(Cs), R))
    mz = np.empty((len(Cs), R))
    for i, C in enumerate(Cs):
        for r in range(R):
            pols = create_example_policies() if policies is None else copy.deepcopy(list(policies))
            c = compare_single_vs_multiscale(pols, N, T, n_communities=C, seed=s + r)
            ins = c["insights"]
            for k in INSIGHTS:
                fired[k][i, r] = any(u.startswith(k) for u in ins["use_multiscale_when"])
            frac[i, r] = ins["measurements"]["between_variance_fraction"]
            mz[i, r] = ins["measurements"]["max_community_effect_z"]
    return {"C": np.array(Cs), "fires": {k: v.mean(axis=1) for k, v in fired.items()},
            "fired": fired, "between_fraction": frac, "max_z": mz}


def insight_null_scan(*, n_communities_list=(5, 10, 20, 50), population_size=1000,
                      time_steps=50, n_seeds=16, seed=0):
    """The insight rules with the example policies against a null without community targeting.

    Runs :func:`insight_scan` twice with the same seeds: with
    :func:`utacbook.models.create_example_policies` and with :func:`null_policies` (the same
    policies without ``community_grants``, so no policy acts on communities
    as such).  For each rule and C, a one-sided Fisher exact test asks
    whether the rule fires more often with the example policies than under
    the null.

    Returns
    -------
    dict
        ``C``; ``example`` and ``null`` (the two :func:`insight_scan`
        results); ``count`` (rule -> {"example", "null"} -> int array over C:
        seeds in which the rule fired); ``p_value`` (rule -> array over C);
        ``n_seeds``.
    """
    kw = dict(n_communities_list=n_communities_list, population_size=population_size,
              time_steps=time_steps, n_seeds=n_seeds, seed=seed)
    ex = insight_scan(**kw)
    nu = insight_scan(policies=null_policies(), **kw)
    R = ex["fired"][INSIGHTS[0]].shape[1]
    count, pv = {}, {}
    for k in INSIGHTS:
        a, b = ex["fired"][k].sum(axis=1), nu["fired"][k].sum(axis=1)
        count[k] = {"example": a, "null": b}
        pv[k] = np.array([_stats.fisher_exact([[int(x), R - int(x)], [int(y), R - int(y)]],
                                              alternative="greater")[1] for x, y in zip(a, b)])
    return {"C": ex["C"], "example": ex, "null": nu, "count": count, "p_value": pv, "n_seeds": R}


def as_arrays(d):
    """A stored :func:`insight_null_scan` result (JSON lists) with its lists turned back into arrays."""
    if isinstance(d, dict):
        return {k: as_arrays(v) for k, v in d.items()}
    if isinstance(d, list):
        return np.array(d)
    return d


# -------------------------------------------------------------- emergence
EMERGENCE_KINDS = {"full": "levels, whole run (the text's)",
                   "after_burn_in": "levels after the burn-in",
                   "differences": "differences after the burn-in",
                   "gap_differences": "differences after the burn-in, effectiveness without A − 0.5"}


def _corrs(ms, me, mg, burn_in):
    out = {"full": np.corrcoef(ms, me)[0, 1],
           "after_burn_in": np.corrcoef(ms[burn_in:], me[burn_in:])[0, 1],
           "differences": np.corrcoef(np.diff(ms[burn_in:]), np.diff(me[burn_in:]))[0, 1],
           "gap_differences": np.corrcoef(np.diff(ms[burn_in:]), np.diff(mg[burn_in:]))[0, 1]}
    return {k: float(v) for k, v in out.items()}


def emergence_correlation(*, population_size=5000, n_communities=20, time_steps=100,
                          n_seeds=16, burn_in=30, seed=0):
    r"""The text's ``np.corrcoef(micro_sat, macro_eff)`` over seeds, and its nulls.

    micro_sat = avg_satisfaction, macro_eff = policy_effectiveness of runs
    with the example policies from step 0 (the runs of the text's example,
    identical to ``IntegratedGovernmentModel.run(create_example_policies())``).

    Two nulls.  The *surrogate* pairs the micro series of seed r with the
    macro series of seed r + 1 (cyclically): both share the deterministic
    start-up trend, but their fluctuations are independent, so whatever
    correlation the surrogate shows is the common trend.  The
    *definitional* part: for national policies policy effectiveness is
    :math:`A - 0.5`, the micro series itself; ``gap`` is the mean over the
    non-national policies of the target - non-target satisfaction gap
    (effectiveness without the :math:`A - 0.5` terms).

    Returns
    -------
    dict
        arrays over seeds ``full`` (whole run, levels: the text's),
        ``after_burn_in`` (levels after ``burn_in`` records), ``differences``
        (first differences after ``burn_in``), ``gap_differences`` (differences
        of micro_sat against ``gap``); ``surrogate``: the same four with
        mismatched seeds; ``burn_in``.
    """
    N, C, T, R, s = _common(population_size, n_communities, time_steps, n_seeds, seed)
    burn_in = V.integer("burn_in", burn_in, low=0, high=T - 3)
    MS, ME, MG = np.empty((R, T)), np.empty((R, T)), np.empty((R, T))
    for r in range(R):
        m = IntegratedGovernmentModel(N, C, T, seed=s + r).model
        pols = create_example_policies()
        masks = [(m.apply_policy(p), p.scale) for p in pols]
        for t in range(T):
            rec = m.step(quantiles=False)
            x = m.agents["satisfaction"]
            MS[r, t] = rec["micro_metrics"]["avg_satisfaction"]
            ME[r, t] = rec["macro_metrics"]["policy_effectiveness"]
            MG[r, t] = np.mean([x[k].mean() - x[~k].mean() for k, sc in masks if sc != "national"])
    same = [_corrs(MS[r], ME[r], MG[r], burn_in) for r in range(R)]
    sur = [_corrs(MS[r], ME[(r + 1) % R], MG[(r + 1) % R], burn_in) for r in range(R)]
    out = {k: np.array([d[k] for d in same]) for k in EMERGENCE_KINDS}
    out["surrogate"] = {k: np.array([d[k] for d in sur]) for k in EMERGENCE_KINDS}
    out["burn_in"] = burn_in
    return out


def emergence_measurements(em):
    """The excess of each correlation over its mismatched-seed surrogate (mean ± s.e.m.).

    Returns
    -------
    list of :class:`utacbook.claims.Measurement`
        one per kind of
        :data:`EMERGENCE_KINDS` (condition labels name the burn-in).
    """
    out = []
    for k, lab in EMERGENCE_KINDS.items():
        m, e = finite_mean_sem(em[k] - em["surrogate"][k])
        cond = lab.replace("the burn-in", f"{em['burn_in']} steps")
        out.append(uc.Measurement(m, e, condition=cond,
                                  text=f"{np.mean(em[k]):+.3f} vs {np.mean(em['surrogate'][k]):+.3f}"
                                       f" (excess {_pm(m, e, unicode_minus=False)})"))
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
    dict
        ``d_approval``, ``d_between_var``, ``base_between_var`` (arrays over
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


# ---------------------------------------------------- composition null
def composition_null(policy, *, couplings=(0.0, 0.5, 1.0), population_size=5000,
                     n_communities=20, warmup=30, n_steps=50, n_seeds=16, seed=0):
    r"""Community effects of a policy against what each community's composition predicts.

    A policy that targets some citizens changes a community's mean
    satisfaction through its share of targets even if citizens did not
    interact.  The *composition null* predicts each community's change from
    its share :math:`f_c` of targeted citizens alone,

    .. math::

        \Delta^{\rm null}_c = f_c\,\Delta_T + (1 - f_c)\,\Delta_U ,

    with :math:`\Delta_T, \Delta_U` the mean changes of targeted and
    untargeted citizens when the targets are spread at random across the
    communities: for an ``individual`` policy the policy itself (wealth is
    independent of the community), for a ``community`` policy a copy with
    the same satisfaction effect and cost given to as many citizens drawn at
    random (its community transfers change only the resources R_c, which do
    not act on the citizens, so the copy has none).  The amplification

    .. math::

        A = \frac{\mathrm{slope\ of\ } \Delta_c \mathrm{\ against\ } f_c}{\Delta_T - \Delta_U}

    (size-weighted least squares over communities) is 1 if the community
    effects are composition alone, and larger if the community interaction
    amplifies them.

    Each replica warms a model up for ``warmup`` steps without policies at
    every coupling (same seeds at every J: the same initial state and
    targets), copies it, applies the policy (and the random-reach copy) and
    runs all copies ``n_steps`` steps with common random numbers; changes
    are per-citizen paired differences averaged over the steps.

    Parameters
    ----------
    policy : Policy
        ``individual`` or ``community`` scale.
    couplings : sequence of float
        :math:`J` values.
    population_size, n_communities, warmup, n_steps, n_seeds, seed : int

    Returns
    -------
    dict
        ``J`` (array); arrays (len(J), n_seeds): ``A``, ``corr`` (Pearson
        correlation of :math:`\Delta_c` with :math:`f_c`), ``sd`` (size-weighted
        s.d. of :math:`\Delta_c`), ``sd_null`` (the same of
        :math:`\Delta^{\rm null}_c`), ``d_targeted``, ``d_untargeted``.
    """
    if not isinstance(policy, Policy):
        raise TypeError(f"policy must be a Policy, got {type(policy).__name__}")
    if policy.scale == "national":
        raise ValueError("policy must target some citizens (scale 'individual' or 'community'), "
                         "got a national policy")
    N, C, _, R, s = _common(population_size, n_communities, 3, n_seeds, seed)
    Js = V.real_array("couplings", couplings, ndim=1, min_len=1)
    warmup = V.integer("warmup", warmup, low=1)
    n_steps = V.integer("n_steps", n_steps, low=1)
    keys = ("A", "corr", "sd", "sd_null", "d_targeted", "d_untargeted")
    out = {k: np.empty((Js.size, R)) for k in keys}
    a = policy.effects.get("satisfaction", 0.0)
    for r in range(R):
        rng = np.random.default_rng([s + r, 7])
        rmask = None
        for i, J in enumerate(Js):
            m0 = IntegratedGovernmentModel(N, C, warmup, seed=s + r, coupling=float(J))
            m0.run()
            base = m0.model
            treat = copy.deepcopy(base)
            mask = treat.apply_policy(copy.deepcopy(policy))
            models = [base, treat]
            if policy.scale == "community":
                if rmask is None:   # the same random targets at every J
                    rmask = np.zeros(N, dtype=bool)
                    rmask[rng.choice(N, int(mask.sum()), replace=False)] = True
                rnd = copy.deepcopy(base)
                rnd.apply_policy(Policy(policy.name + " (random reach)", "individual",
                                        cost=policy.cost, effects={"satisfaction": a}),
                                 targets=rmask)
                models.append(rnd)
            acc = np.zeros((len(models) - 1, N))
            for _ in range(n_steps):
                for mm in models:
                    mm.step(quantiles=False)
                x0 = base.agents["satisfaction"]
                for j, mm in enumerate(models[1:]):
                    acc[j] += mm.agents["satisfaction"] - x0
            acc /= n_steps
            comm = base.agents["community"]
            size = np.bincount(comm, minlength=C).astype(float)
            w = size / N
            dc = np.bincount(comm, weights=acc[0], minlength=C) / size
            f = np.bincount(comm, weights=mask.astype(float), minlength=C) / size
            ind, imask = (acc[1], rmask) if policy.scale == "community" else (acc[0], mask)
            dT, dU = float(ind[imask].mean()), float(ind[~imask].mean())
            pred = f * dT + (1 - f) * dU
            xf, yc = f - w @ f, dc - w @ dc
            slope = float(w @ (xf * yc) / (w @ (xf * xf)))
            out["A"][i, r] = slope / (dT - dU)
            out["corr"][i, r] = float(np.corrcoef(f, dc)[0, 1])
            out["sd"][i, r] = math.sqrt(float(w @ yc ** 2))
            out["sd_null"][i, r] = math.sqrt(float(w @ (pred - w @ pred) ** 2))
            out["d_targeted"][i, r], out["d_untargeted"][i, r] = dT, dU
    out["J"] = Js
    return out


#: the stored result of :func:`chapter_experiments` that the chapter loads
EXPERIMENTS_NAME = "ms_policies_experiments"


def chapter_experiments(*, population_size=5000, n_communities=20, warmup=30, n_steps=50, n_seeds=16, seed=0,
                        gap_policies=("community_grants", "national_infrastructure", "targeted_welfare"),
                        composition_policies=("community_grants", "targeted_welfare"), couplings=(0.0, 0.5, 1.0)):
    """The chapter's paired policy experiments, for a stored result.

    :func:`policy_impacts` (the example policies), :func:`gap_experiment` of each of
    ``gap_policies`` and :func:`composition_null` of each of ``composition_policies`` at
    ``couplings``, all with the same settings (policies by name from
    :func:`utacbook.models.create_example_policies`).  :func:`load_chapter_experiments` turns
    the stored lists back into the arrays the functions return;
    :func:`spot_check_experiments` re-runs replica 0 of each.

    Returns
    -------
    dict
        The arguments and ``impacts``, ``gap`` (name -> result), ``composition`` (name -> result).

    Examples
    --------
    >>> from utacbook.studies.multiscale import policies as msp
    >>> out = msp.chapter_experiments(population_size=200, n_communities=4, warmup=2, n_steps=3, n_seeds=2,
    ...                               gap_policies=("community_grants",), composition_policies=())
    >>> sorted(out["gap"]), out["impacts"]["public_health"]["micro_mean"].shape
    (['community_grants'], (2,))
    """
    P = {p.name: p for p in create_example_policies()}
    kw = dict(population_size=population_size, n_communities=n_communities, warmup=warmup, n_steps=n_steps,
              n_seeds=n_seeds, seed=seed)
    return {**kw, "gap_policies": list(gap_policies), "composition_policies": list(composition_policies),
            "couplings": [float(J) for J in couplings], "impacts": policy_impacts(**kw),
            "gap": {n: gap_experiment(P[n], **kw) for n in gap_policies},
            "composition": {n: composition_null(P[n], couplings=couplings, **kw) for n in composition_policies}}


def load_chapter_experiments(name=EXPERIMENTS_NAME, *, data_dir=None):
    """A stored :func:`chapter_experiments`: ``(impacts, gap, composition, record)``, with the arrays and
    floats that :func:`policy_impacts`, :func:`gap_experiment` and :func:`composition_null` return."""
    from utacbook import stored as _stored
    rec = _stored.load(name, data_dir=data_dir)
    arr = lambda d: {k: np.array(x, dtype=float) if isinstance(x, list) else x for k, x in d.items()}  # noqa: E731
    return ({n: arr(d) for n, d in rec["impacts"].items()}, {n: arr(d) for n, d in rec["gap"].items()},
            {n: arr(d) for n, d in rec["composition"].items()}, rec)


def spot_check_experiments(rec):
    """Re-run replica 0 of every experiment of a stored :func:`chapter_experiments` and compare bit for bit.

    Replica r of these functions uses the seed ``seed + r`` (and, in :func:`composition_null`,
    the random targets of ``[seed + r, 7]``), so a one-replica call reproduces replica 0.

    Returns
    -------
    dict
        ``identical`` (bool), ``n_values``, ``max_abs_diff``.
    """
    P = {p.name: p for p in create_example_policies()}
    kw = {k: int(rec[k]) for k in ("population_size", "n_communities", "warmup", "n_steps", "seed")}
    kw["n_seeds"] = 1
    pairs = []
    for n, d in policy_impacts(**kw).items():
        pairs += [(x, np.asarray(rec["impacts"][n][k])[:1]) for k, x in d.items()]
    for n in rec["gap_policies"]:
        g = gap_experiment(P[n], **kw)
        pairs += [(g[k], np.asarray(rec["gap"][n][k])[:1]) for k in ("d_approval", "d_between_var", "base_between_var")]
    for n in rec["composition_policies"]:
        c = composition_null(P[n], couplings=rec["couplings"], **kw)
        pairs += [(c[k], np.asarray(rec["composition"][n][k])[:, :1]) for k in c if k != "J"]
    new = np.concatenate([np.ravel(np.asarray(a, dtype=float)) for a, _ in pairs])
    old = np.concatenate([np.ravel(np.asarray(b, dtype=float)) for _, b in pairs])
    return {"identical": bool(np.array_equal(new, old)), "n_values": int(new.size),
            "max_abs_diff": float(np.max(np.abs(new - old)))}


def composition_measurements(results, *, reference=0.0):
    r"""Paired excess of the amplification A over the same runs without interaction.

    ``results``: dict policy name -> :func:`composition_null` result (with
    ``reference`` among its couplings).  One
    :class:`~utacbook.claims.Measurement` per policy and coupling other than
    ``reference``: mean ± s.e.m. over seeds of :math:`A(J) - A(J_{\rm ref})`.
    """
    out = []
    for name, res in results.items():
        J = [float(j) for j in res["J"]]
        if float(reference) not in J:
            raise ValueError(f"reference must be one of the couplings {J}, got {reference!r}")
        i0 = J.index(float(reference))
        for i, j in enumerate(J):
            if i == i0:
                continue
            m, e = finite_mean_sem(res["A"][i] - res["A"][i0])
            out.append(uc.Measurement(m, e, condition=f"{name}, J = {j:g}",
                                      text=f"A = {np.mean(res['A'][i]):.3f} vs "
                                           f"{np.mean(res['A'][i0]):.3f} at J = {reference:g}"))
    return out


# ------------------------------------------------------------------ plots
def _ebar(ax, x, arrays, **kw):
    ms = [finite_mean_sem(a) for a in arrays]
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
        ms = [finite_mean_sem(imp[n][k]) for n in names]
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
        ma, ea = finite_mean_sem(r["d_approval"])
        mv, ev = finite_mean_sem(r["d_between_var"])
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
    fig = plot_gap({f"community policy a={strength:g}, C={int(n_communities)}": r})
    fig.axes[0].legend(fontsize=8, loc="lower right")
    return fig


# ------------------------------------------------------------------ claims
def claims(*, n_seeds=16, burn_in=30, n_communities_list=(5, 10, 20, 50), n_perm=2000):
    """The claims of the multiscale text that the policies chapter tests, with their criteria.

    Fixed before anything is measured (revisions are noted per claim); the chapter shows them with
    :func:`utacbook.claims.criteria_table` and judges them at the end.

    Returns
    -------
    list of :class:`utacbook.claims.Claim`
    """
    R = V.integer("n_seeds", n_seeds, low=2)
    Cs = ", ".join(str(int(c)) for c in n_communities_list)
    return [
        uc.Claim("ms.policies.examples", source="multiscale",
                 section="Usage Examples; Key Features 2-3; Research Applications 3; "
                         "Comparison with Single-Scale",
                 text="the integrated example, analyze_cross_scale_dynamics, "
                      "identify_scale_transitions, implement_policy_multiscale, "
                      "gov_sim.implement_policy and compare_single_vs_multiscale run as shown",
                 quantity="each call runs (with a seed added) and returns the documented keys",
                 criterion=uc.Holds("runs and returns the documented keys"),
                 scope="N = 5000, C = 20, 100 steps; the comparison at N = 1000, 50 steps; seed 0"),
        uc.Claim("ms.policies.emergence", source="multiscale",
                 section="Research Applications 1 (Understanding Emergence)",
                 text="See how individual satisfaction relates to policy effectiveness: "
                      "correlation = np.corrcoef(micro_sat, macro_eff)",
                 quantity="correlation of avg_satisfaction with policy_effectiveness minus the same "
                          "correlation with the macro series of another seed (a surrogate with the "
                          "same start-up trend and independent fluctuations)",
                 criterion=uc.Effect(alpha=0.01),
                 scope=f"the text's example (N = 5000, C = 20, 100 steps, example policies), "
                       f"{R} seeds; levels and differences, burn-in {burn_in} steps, and the differences "
                       f"with effectiveness without its national terms A − 0.5",
                 note="for the national policies effectiveness is A − 0.5, the micro series itself; "
                      "the last condition removes that part. The criterion asks only that the "
                      "correlation differ from its surrogate, not that the text's coefficient measure "
                      "the relation: how much the text's own coefficient exceeds its surrogate is "
                      "reported with the verdict"),
        uc.Claim("ms.policies.transitions", source="multiscale",
                 section="Research Applications 4 (Scale Transitions)",
                 text="Find when micro changes cascade to macro",
                 quantity="cascades (micro jump followed within 2 steps by a meso or macro jump) "
                          "against a permutation null: the micro jumps shifted circularly in time",
                 criterion=uc.Effect(alpha=0.01, direction=+1),
                 scope=f"threshold 2, burn-in 20, N = 5000, C = 20, 100 steps, {R} seeds, "
                       f"{n_perm} permutations; three policy scenarios"),
        uc.Claim("ms.policies.community_matters", source="multiscale",
                 section="When to Use Multiscale Modeling 1",
                 text="Community Structure Matters: Local interactions and group dynamics are important",
                 quantity="seeds in which the rule 'community structure matters' (between-community "
                          "share > 5 %) fires with the example policies, against the same policies "
                          "without the community-targeted one (one-sided Fisher exact test)",
                 criterion=uc.Effect(alpha=0.01, direction=+1),
                 scope=f"compare_single_vs_multiscale, N = 1000, 50 steps, C = {Cs}, {R} seeds each",
                 note="the rule and its 5 % threshold are ours; the text names the criterion only"),
        uc.Claim("ms.policies.levels", source="multiscale",
                 section="When to Use Multiscale Modeling 3",
                 text="Multiple Levels of Intervention: Policies can target individuals, communities, "
                      "or nation",
                 quantity="s.d. of the per-community effects (the meso signature) of a national, an "
                          "individual and a community policy, each alone",
                 criterion=uc.Ordering(increasing=True, k=2),
                 scope=f"paired 50-step runs after a 30-step warm-up, N = 5000, C = 20, {R} seeds",
                 note="the insight rule itself only checks the policy list"),
        uc.Claim("ms.policies.scale_effects", source="multiscale",
                 section="When to Use Multiscale Modeling 4",
                 text="Scale-Dependent Phenomena: Effects vary by scale of observation",
                 quantity="amplification A of the per-community effects over the composition null "
                          "(A = 1: a community changes only through its share of targeted citizens), "
                          "minus A of the same runs without interaction (J = 0), paired",
                 criterion=uc.Sign(+1, k=3),
                 scope=f"community_grants and targeted_welfare, J = 0.5 and 1; paired 50-step runs "
                       f"after a 30-step warm-up, N = 5000, C = 20, {R} seeds",
                 note="which communities change is composition (correlation with the share of "
                      "targets ≈ 1); how much they differ is amplified by the coupling. Criterion fixed "
                      "after exploratory runs (the composition null, and the pairing with the same runs "
                      "at J = 0 rather than a comparison with A = 1); the verdicts against A = 1 and "
                      "under the text's own diagnostic, judged against runs without the community "
                      "policy, are reported with the verdict"),
        uc.Claim("ms.policies.design", source="multiscale",
                 section="Research Applications 3 (Policy Design)",
                 text="Design policies considering all scales: test a policy with "
                      "gov_sim.implement_policy (single scale) and "
                      "integrated_model.implement_policy_multiscale (multiscale) and compare",
                 quantity="change of a policy's predicted effect on mean satisfaction from the "
                          "multiscale model with one community, whose cohesion responds to the policy "
                          "(b'), to the same model with 20 communities (c): the communities themselves, "
                          "paired over replicas; reported also as a share of the multiscale effect",
                 criterion=ThreeSigma(),
                 scope=f"the four example policies, community_grants in (b') as the same field and cost "
                       f"given to the same citizens; paired 50-step runs after a 30-step warm-up, "
                       f"N = 5000, C = 20 (250 citizens per community), {R} replicas",
                 note="the criterion, 3 standard errors two-sided, was fixed before the first "
                      "measurement; the step it judges was (b) → (c) until a referee measured (b') ≈ (c), "
                      "and the one-community model (b') and the counterpart of community_grants were "
                      "added after that measurement. Under common random numbers the paired errors are "
                      "tiny, so 3 standard errors is nearly guaranteed for any real difference: the "
                      "verdict says the difference exists, its size (share of the multiscale effect) says "
                      "whether it matters. The single-scale default (0.5) is judged by "
                      "ms.policies.default_cohesion, the cohesion's response by ms.policies.dynamic_cohesion"),
        uc.Claim("ms.policies.default_cohesion", source="ours",
                 section="Research Applications 3 (Policy Design)",
                 text="part of any difference between the single-scale and the multiscale prediction "
                      "is the single-scale model's default cohesion 0.5, not the scale structure (a "
                      "cohesion that responds to the policy, or the communities)",
                 quantity="change of a policy's predicted effect on mean satisfaction from the "
                          "single-scale model at its default cohesion (a) to the same model at the "
                          "multiscale model's measured stationary cohesion (b), paired over seeds",
                 criterion=ThreeSigma(),
                 scope=f"the four example policies (community_grants as the same field and cost given to "
                       f"the same citizens); paired 50-step runs after a 30-step warm-up, N = 5000, "
                       f"C = 20, default parameters (J = 1, T = 0.3), below the polarisation threshold, "
                       f"{R} replicas",
                 note="criterion (3 standard errors, two-sided) fixed before the measurement; the "
                      "single-scale model (GovernmentSimulation: one community, fixed cohesion) and its "
                      "default 0.5 are ours, the text gives neither; community_grants was added after "
                      "the first measurement"),
        uc.Claim("ms.policies.dynamic_cohesion", source="ours",
                 section="Research Applications 3 (Policy Design)",
                 text="part of the difference is that the multiscale model's cohesion responds to the "
                      "policy, which the single-scale model holds fixed; one community whose cohesion "
                      "is free to relax shows it without any community structure",
                 quantity="change of a policy's predicted effect on mean satisfaction from the "
                          "single-scale model (b), moved along its slope to the one-community model's own "
                          "stationary cohesion, to the multiscale model with one community (b'), paired "
                          "over replicas",
                 criterion=ThreeSigma(),
                 scope=f"the example policies whose mean cohesion change has the same sign with one "
                       f"community and with twenty; paired 50-step runs after a 30-step warm-up, "
                       f"N = 5000, C = 20, default parameters (J = 1, T = 0.3), below the polarisation "
                       f"threshold, {R} replicas",
                 note="added after a referee measured (b') ≈ (c), not fixed before the measurement; the "
                      "criterion is that of the other two steps. Revised after the second referee: the "
                      "stationary cohesion of one community against twenty is now its own step, not part "
                      "of this one; and the claim is restricted to policies whose cohesion responds with "
                      "the same sign in both models, since for the others (community_grants) the order "
                      "of the steps decides how the difference is split"),
    ]
