r"""Studies and plots for the chapter "A micro, meso and macro model of a population".

Every function here runs :class:`utacbook.models.GovernmentMultiscaleModel`
(or a subclass passed as ``model_cls``) over independent replicas; the plot
helpers return ``(fig, axes)`` and never call ``plt.show``.

Replicas run through :func:`utacbook.sweep.run`: the task
:func:`replica_task` runs one model and returns its history as arrays over a
``step`` dimension, and :func:`run_replicas` collects ``n_seeds`` of them into
an :class:`xarray.Dataset` over ``(replica, step)``.  In-process by default;
``client=`` (a :class:`distributed.Client`, see
:func:`utacbook.sweep.local_client`) runs the replicas on Dask workers with
the same results.  Replica ``k`` of a study with master ``seed`` gets the seed
``utacbook.sweep.task_seed(seed, {"replica": k})`` (:func:`replica_seeds`).
The grid of every sweep here is the replica axis alone, and the studied
setting (a coupling, a trust, a schedule, a model class) is passed as a fixed
parameter, so two studies with the same ``seed`` and ``n_seeds`` use the same
initial states and noise streams (common random numbers): paired differences
between them measure the effect of the changed setting, not seed-to-seed
scatter.

Run lengths.  A model is deterministic given its seed, so a run of 100
steps is the first 100 steps of a run of 800 with the same seed: the scans
here run once to their longest length and read the observables at shorter
lengths (``lengths=``) from the same histories.  **Convergence criterion**
(fixed before the long runs were made): a point of a scan (an observable at
one coupling, trust or schedule) is *converged* when its values at the last
two run lengths agree within :data:`CONVERGENCE_K` = 2 standard errors of
their paired difference (:func:`convergence`).  Verdicts that rest on a scan
use only converged points.

Error bars are the standard error of the mean over replicas (s.e.m.,
``std(ddof=1) / sqrt(n_seeds)``).
"""

from __future__ import annotations

import importlib
import math
import time
import tracemalloc

import numpy as np

from utacbook import _validate as V
from utacbook import claims as uc
from utacbook.report import format_pm
from utacbook.models._multiscale import GovernmentMultiscaleModel, MultiscaleModel, ScaleLevel, analyze_scale_separation

__all__ = ["replica_seeds", "run_replicas", "replica_task", "at_lengths", "mean_sem", "plot_three_scales",
           "mean_preservation", "coupling_scan", "plot_coupling_scan", "mean_field_coupling_threshold",
           "timescale_comparison", "plot_timescales", "downward_causation", "scaling_benchmark",
           "plot_scaling", "memory_per_citizen", "explore_model", "claims", "emergence_measurements",
           "timescale_validity", "timescale_measurements", "TIMESCALE_OBSERVABLES",
           "half_coupling", "polarisation_measurements", "convergence", "convergence_measurements",
           "converged_conditions", "convergence_table", "plot_convergence", "plot_blocks",
           "feedback_off_params", "paired_measurements",
           "chapter_studies", "load_chapter_studies", "spot_check_chapter_studies", "STUDIES_NAME",
           "SERIES", "FINAL_COMMUNITY", "CONVERGENCE_K", "SCAN_LENGTHS"]

#: the per-step series :func:`run_replicas` records (variables over ``(replica, step)``):
#: ``between_series`` is the between-community share of the variance of satisfaction at every
#: step, ``cohesion_target`` the size-weighted mean of the cohesion's target clip(1 - 2 std_c, 0, 1)
SERIES = ("avg_satisfaction", "micro_std", "avg_cohesion", "resource_inequality", "approval",
          "trust", "between_series", "cohesion_target")

#: per-community arrays of the final state that :func:`replica_task` returns (dimension ``community``)
FINAL_COMMUNITY = ("community_mean", "community_std", "community_cohesion", "community_resources")

#: standard errors of the paired difference within which the last two run lengths must agree
#: for a point of a scan to count as converged (:func:`convergence`)
CONVERGENCE_K = 2.0

#: run lengths (steps) at which the chapter reads its scans near the threshold
SCAN_LENGTHS = (100, 200, 400, 800)


def replica_seeds(seed=0, n_seeds=12):
    """The seeds of the replicas (see the module docstring).

    Parameters
    ----------
    seed : int >= 0
    n_seeds : int >= 1

    Returns
    -------
    list of int
        ``utacbook.sweep.task_seed(seed, {"replica": k})`` for ``k = 0 .. n_seeds - 1``: passed
        as ``seed`` to a model, replica ``k`` of :func:`run_replicas` is reproduced exactly.

    Examples
    --------
    >>> from utacbook.studies.multiscale.model import replica_seeds
    >>> from utacbook.sweep import task_seed
    >>> replica_seeds(7, 3)[1] == task_seed(7, {"replica": 1})
    True
    """
    from utacbook import sweep
    seed = V.integer("seed", seed, low=0)
    n_seeds = V.integer("n_seeds", n_seeds, low=1)
    return [int(s) for s in sweep.task_seeds(seed, {"replica": range(n_seeds)})]


def mean_sem(x, axis=0):
    """Mean and standard error of the mean of ``x`` along ``axis`` (ddof = 1).

    Returns
    -------
    (mean, sem) : arrays (or floats); sem is ``nan`` for a single replica.
    """
    x = np.asarray(x, dtype=float)
    n = x.shape[axis]
    m = x.mean(axis=axis)
    e = x.std(axis=axis, ddof=1) / math.sqrt(n) if n > 1 else np.full_like(m, np.nan)
    return m, e


def _check_cls(model_cls):
    if not (isinstance(model_cls, type) and issubclass(model_cls, MultiscaleModel)):
        raise TypeError(f"model_cls must be a MultiscaleModel subclass, got {model_cls!r}")
    return model_cls


def _resolve_model(ref):
    mod, _, qual = str(ref).partition(":")
    obj = importlib.import_module(mod)
    for part in qual.split("."):
        obj = getattr(obj, part)
    return _check_cls(obj)


def _model_ref(model_cls, client=None):
    """``'module:qualname'`` of a model class, checked to import back to the same class."""
    _check_cls(model_cls)
    mod, qual = model_cls.__module__, model_cls.__qualname__
    if "<" in qual:
        raise TypeError(f"model_cls must be importable by name (a class defined at the top level of a module, "
                        f"script or notebook), got {qual!r}: the replicas run through utacbook.sweep, which "
                        f"imports the model by name")
    ref = f"{mod}:{qual}"
    try:
        same = _resolve_model(ref) is model_cls
    except (ImportError, AttributeError, TypeError):
        same = False
    if not same:
        raise TypeError(f"model_cls: importing {ref!r} does not give the class passed (was it redefined?)")
    if client is not None and mod == "__main__":
        raise TypeError(f"model_cls {qual!r} is defined in a notebook or script (module __main__), which Dask "
                        f"workers cannot import: move it into a module, or run in-process (client=None)")
    return ref


def replica_task(*, n_agents=1000, n_communities=10, n_steps=50, meso_interval=1, macro_interval=1,
                 model="utacbook.models:GovernmentMultiscaleModel", seed=0, **params):
    """One replica: run a model and return its history as arrays (the task of :func:`run_replicas`).

    An importable task for :func:`utacbook.sweep.run`.

    Parameters
    ----------
    n_agents, n_communities, n_steps, meso_interval, macro_interval
        As :func:`run_replicas`.
    model : str
        The model class as ``'module:qualname'`` (a :class:`~utacbook.models.MultiscaleModel`
        subclass).
    seed : int >= 0
        The model's seed.
    **params
        Model parameters.

    Returns
    -------
    dict
        For each name in :data:`SERIES` an array over the steps 1 .. ``n_steps``: ``avg_satisfaction``
        (= approval computed every step), ``micro_std`` (population std of s), ``avg_cohesion``,
        ``resource_inequality`` (Gini of R_c), ``approval`` and ``trust`` (values of the last macro
        update), ``between_series`` (between-community share of the variance of s, from the community
        means and spreads) and ``cohesion_target`` (size-weighted mean of clip(1 - 2 std_c, 0, 1)).
        Of the final state: the floats of :func:`utacbook.models.analyze_scale_separation`,
        ``between_fraction`` (between / total), ``log10_ratio`` (log10 between / within),
        ``effective_temperature``; the arrays over the communities of :data:`FINAL_COMMUNITY`
        (mean, std, cohesion and resources of each community).

    Examples
    --------
    >>> from utacbook.studies.multiscale.model import replica_task
    >>> r = replica_task(n_agents=100, n_communities=2, n_steps=3, seed=1)
    >>> r["approval"].shape, r["community_mean"].shape
    ((3,), (2,))
    """
    m = _resolve_model(model)(n_agents, n_communities, seed=seed, meso_interval=meso_interval,
                              macro_interval=macro_interval, **params)
    hist = m.run(V.integer("n_steps", n_steps, low=1), quantiles=False)
    out = {"avg_satisfaction": np.array([h["micro_metrics"]["avg_satisfaction"] for h in hist]),
           "micro_std": np.array([h["micro"]["std"] for h in hist]),
           "avg_cohesion": np.array([h["meso_metrics"]["avg_cohesion"] for h in hist]),
           "resource_inequality": np.array([h["meso_metrics"]["resource_inequality"] for h in hist]),
           "approval": np.array([h["macro"]["approval"] for h in hist]),
           "trust": np.array([h["macro"]["trust"] for h in hist])}
    size = np.array([h["meso"]["size"] for h in hist], dtype=float)              # (step, community)
    w = size / size.sum(axis=1, keepdims=True)
    sc = np.array([h["meso"]["satisfaction_std"] for h in hist])
    mean = np.array([h["micro"]["mean"] for h in hist])
    between = np.sum(w * (np.array([h["meso"]["satisfaction"] for h in hist]) - mean[:, None]) ** 2, axis=1)
    tot = between + np.sum(w * sc * sc, axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        out["between_series"] = np.where(tot > 0, between / tot, math.nan)
    out["cohesion_target"] = np.sum(w * np.clip(1.0 - 2.0 * sc, 0.0, 1.0), axis=1)
    sep = analyze_scale_separation(m)
    out.update(sep)
    out["between_fraction"] = sep["between_group_variance"] / sep["total_variance"]
    out["log10_ratio"] = math.log10(sep["variance_ratio"])
    out["effective_temperature"] = float(m.effective_temperature)
    out["community_mean"] = np.array(m.mean_satisfaction, dtype=float)
    out["community_std"] = np.array(m.std_satisfaction, dtype=float)
    out["community_cohesion"] = np.array(m.cohesion, dtype=float)
    out["community_resources"] = np.array(m.resources, dtype=float)
    return out


_DIMS = {**{k: ("step",) for k in SERIES}, **{k: ("community",) for k in FINAL_COMMUNITY}}


def run_replicas(*, n_agents=1000, n_communities=10, n_steps=50, n_seeds=12, seed=0,
                 meso_interval=1, macro_interval=1, model_cls=GovernmentMultiscaleModel,
                 client=None, **params):
    """Run ``n_seeds`` independent models and collect the three scales over time.

    The replicas run through :func:`utacbook.sweep.run` with the task :func:`replica_task` on the
    grid ``{"replica": range(n_seeds)}``; the model and its parameters are fixed parameters of the
    sweep, so every setting gets the same replica seeds (:func:`replica_seeds`).

    Parameters
    ----------
    n_agents : int >= 1
        Citizens N per model.
    n_communities : int in [1, n_agents]
        Communities C.
    n_steps : int >= 1
        Steps per run.
    n_seeds : int >= 1
        Replicas.
    seed : int >= 0
        Master seed (see :func:`replica_seeds`).
    meso_interval, macro_interval : int >= 1
        Update intervals of the meso and macro levels (in steps).
    model_cls : MultiscaleModel subclass
        The model to run (must accept ``n_agents, n_communities, seed=,
        meso_interval=, macro_interval=, **params``).  It must be importable by
        name: defined at the top level of a module, or of a notebook or script
        for in-process runs (not inside a function).
    client : distributed.Client or str, optional
        Run the replicas on Dask workers (see :func:`utacbook.sweep.run`);
        default: one after the other in this process.  The results are the same.
    **params
        Model parameters (see :class:`utacbook.models.MultiscaleModel`).

    Returns
    -------
    xarray.Dataset
        Dimensions ``replica`` (0 .. n_seeds - 1), ``step`` (1 .. n_steps) and
        ``community``.  Over ``(replica, step)``: the series of :data:`SERIES`
        (see :func:`replica_task`).  Over ``replica``: of the final states,
        ``total_variance``, ``within_group_variance``, ``between_group_variance``,
        ``variance_ratio`` (:func:`utacbook.models.analyze_scale_separation`),
        ``between_fraction``, ``log10_ratio``, ``effective_temperature``; over
        ``(replica, community)``: ``community_mean``, ``community_std``,
        ``community_cohesion``, ``community_resources``.  Plus the sweep's
        ``task_seed`` (the model seeds) and provenance
        (``attrs["utacbook_sweep"]``).  ``ds[name][k]`` is replica ``k``, so
        ``ds["approval"][:, -1]`` are the final approvals.

    Examples
    --------
    >>> from utacbook.studies.multiscale.model import run_replicas
    >>> ds = run_replicas(n_agents=200, n_communities=4, n_steps=5, n_seeds=3, seed=1)
    >>> ds["approval"].dims, ds["between_fraction"].shape
    (('replica', 'step'), (3,))
    >>> ds.to_dataframe()["trust"].shape          # a tidy table: one row per replica, step and community
    (60,)
    """
    from utacbook import sweep
    ref = _model_ref(model_cls, client)
    n_steps = V.integer("n_steps", n_steps, low=1)
    n_seeds = V.integer("n_seeds", n_seeds, low=1)
    seed = V.integer("seed", seed, low=0)
    C = V.integer("n_communities", n_communities, low=1)
    task_params = {"n_agents": n_agents, "n_communities": C, "n_steps": n_steps,
                   "meso_interval": meso_interval, "macro_interval": macro_interval, "model": ref, **params}
    ds = sweep.run(replica_task, {"replica": range(n_seeds)}, seed=seed, params=task_params, dims=_DIMS,
                   client=client, progress=False)
    return ds.assign_coords(step=np.arange(1, n_steps + 1), community=np.arange(C))


def at_lengths(reps, lengths):
    """The observables of :func:`run_replicas` runs at several run lengths.

    Parameters
    ----------
    reps : xarray.Dataset from :func:`run_replicas`
    lengths : sequence of int
        Run lengths (steps, each in 1 .. the run's ``n_steps``).  A run of
        ``L`` steps is the first ``L`` steps of the longer run with the same seed.

    Returns
    -------
    xarray.Dataset
        Over ``(replica, n_steps)``: every series of :data:`SERIES` but
        ``between_series`` under its own name, ``between_fraction`` (the
        between-community share of the variance) and ``log10_ratio``
        (log10 between / within).
    """
    Ls = [V.integer("lengths", L, low=1) for L in lengths]
    if not Ls or len(set(Ls)) != len(Ls) or max(Ls) > reps.sizes["step"]:
        raise ValueError(f"lengths must be distinct run lengths in 1..{reps.sizes['step']}, got {list(lengths)}")
    return _derived(reps[list(SERIES)].sel(step=sorted(Ls)).rename(step="n_steps"))


def _derived(sub):
    """The observables of :func:`at_lengths` from the :data:`SERIES` read at the run lengths."""
    b = sub["between_series"]
    out = sub.drop_vars("between_series")
    out["between_fraction"] = b
    out["log10_ratio"] = np.log10(b / (1.0 - b))
    return out


def plot_three_scales(reps, *, axes=None, label=None, color=None):
    """Plot the three scales over time: mean over replicas with a ± s.e.m. band.

    Four panels: micro (average satisfaction), meso (average cohesion; the
    Gini coefficient of community resources), macro (approval and trust).

    Parameters
    ----------
    reps : dict from :func:`run_replicas`
    axes : four matplotlib axes, optional
    label : str, optional
        Legend prefix (for overlaying two runs).
    color : matplotlib colour, optional

    Returns
    -------
    (fig, axes)
    """
    import matplotlib.pyplot as plt
    if axes is None:
        fig, axes = plt.subplots(1, 4, figsize=(13, 3.2))
    fig = axes[0].figure
    t = np.asarray(reps["step"])
    pre = f"{label}: " if label else ""

    def band(ax, key, name, ls="-"):
        m, e = mean_sem(reps[key])
        line, = ax.plot(t, m, ls=ls, color=color, label=pre + name)
        ax.fill_between(t, m - e, m + e, color=line.get_color(), alpha=0.25, lw=0)
        return line

    band(axes[0], "avg_satisfaction", "avg satisfaction")
    axes[0].set_title("micro: citizens")
    axes[0].set_ylabel("average satisfaction")
    band(axes[1], "avg_cohesion", "avg cohesion")
    axes[1].set_ylabel("average cohesion")
    axes[1].set_title("meso: communities")
    band(axes[2], "resource_inequality", "resource Gini")
    axes[2].set_ylabel("Gini of resources $R_c$")
    axes[2].set_title("meso: communities")
    band(axes[3], "approval", "approval")
    band(axes[3], "trust", "trust", ls="--")
    axes[3].set_title("macro: nation")
    axes[3].set_ylabel("approval, trust")
    for ax in axes:
        ax.set_xlabel("step")
    if label:
        axes[0].legend(fontsize=7)
    axes[3].legend(fontsize=7)
    fig.tight_layout()
    return fig, axes


def mean_preservation(model):
    """Upscale MICRO→MESO→MACRO and downscale MACRO→MESO→MICRO; compare means.

    Parameters
    ----------
    model : MultiscaleModel

    Returns
    -------
    dict of float
        ``micro_mean`` (population mean of satisfaction), ``meso_to_macro``
        (size-weighted mean of the upscaled community means),
        ``up_error`` (their absolute difference); ``macro_approval``,
        ``down_micro_mean`` (population mean after downscaling approval
        MACRO→MESO→MICRO), ``down_error``; ``meso_roundtrip_error``: the
        largest ``|community mean - upscale(downscale(community mean))|``.
    """
    if not isinstance(model, MultiscaleModel):
        raise TypeError(f"model must be a MultiscaleModel, got {type(model).__name__}")
    s = model.get_agent_variable("satisfaction")
    meso = model.upscale(ScaleLevel.MICRO, ScaleLevel.MESO, {"satisfaction": s})
    macro = model.upscale(ScaleLevel.MESO, ScaleLevel.MACRO,
                          {"satisfaction": meso["satisfaction"]})
    mu = float(s.mean())
    A = float(model.approval)
    down_meso = model.downscale(ScaleLevel.MACRO, ScaleLevel.MESO, {"approval": A})
    down_micro = model.downscale(ScaleLevel.MESO, ScaleLevel.MICRO,
                                 {"approval": down_meso["approval"]})
    back = model.upscale(ScaleLevel.MICRO, ScaleLevel.MESO,
                         model.downscale(ScaleLevel.MESO, ScaleLevel.MICRO,
                                         {"satisfaction": meso["satisfaction"]}))
    return {"micro_mean": mu, "meso_to_macro": macro["satisfaction"],
            "up_error": abs(mu - macro["satisfaction"]),
            "between_std": macro["satisfaction_std"],
            "macro_approval": A, "down_micro_mean": float(down_micro["approval"].mean()),
            "down_error": abs(A - float(down_micro["approval"].mean())),
            "meso_roundtrip_error": float(np.max(np.abs(back["satisfaction"]
                                                        - meso["satisfaction"])))}


def _lengths(lengths, n_steps):
    """Sorted run lengths, with ``n_steps`` (the longest) included."""
    n_steps = V.integer("n_steps", n_steps, low=1)
    Ls = {n_steps} if lengths is None else {V.integer("lengths", L, low=1) for L in lengths} | {n_steps}
    if max(Ls) > n_steps:
        raise ValueError(f"lengths must not exceed n_steps = {n_steps}, got {sorted(Ls)}")
    return sorted(Ls)


def _condition_scan(dim, values, settings, *, lengths, n_steps, client, **kwargs):
    """run_replicas at every setting, read at the run lengths: Dataset (dim, replica, n_steps)."""
    import pandas as pd
    import xarray as xr
    parts = []
    for v in values:
        kw = dict(kwargs)
        for k, x in settings(v).items():
            if k in kw:
                raise ValueError(f"{k!r} is set by the scan over {dim}; do not pass it")
            kw[k] = x
        parts.append(at_lengths(run_replicas(n_steps=n_steps, client=client, **kw), lengths))
    return xr.concat(parts, dim=pd.Index(list(values), name=dim), combine_attrs="drop_conflicts")


def coupling_scan(J_values=(0.0, 0.5, 1.0, 1.25, 1.5, 1.75, 2.0, 3.0), *, n_agents=1000,
                  n_communities=10, n_steps=100, n_seeds=8, seed=0, lengths=None, client=None, **params):
    """Between-community share of the satisfaction variance against the coupling J.

    Parameters
    ----------
    J_values : sequence of float
        Couplings :math:`J` (dimensionless).
    n_agents, n_communities, n_steps, n_seeds, seed, client, **params
        As :func:`run_replicas` (the same replica seeds at every J).  ``n_steps``
        is the longest run length.
    lengths : sequence of int, optional
        Shorter run lengths at which the observables are also read (from the
        same runs), for :func:`convergence`.

    Returns
    -------
    dict
        Arrays over ``J_values``, after ``n_steps`` steps: ``J``;
        ``between_fraction``, ``_err`` (between / total variance, mean ± s.e.m.);
        ``log10_ratio``, ``_err`` (log10 of between / within);
        ``approval``, ``_err``; ``cohesion``, ``_err`` (averages);
        ``between_fraction_seeds`` (array (len(J_values), n_seeds): the value of
        every replica, paired across J).  ``lengths`` (the run lengths, with
        ``n_steps``), ``n_steps``; ``checkpoints``: :class:`xarray.Dataset` over
        ``(J, replica, n_steps)`` of the observables of :func:`at_lengths`.
    """
    J = V.real_array("J_values", J_values, ndim=1, min_len=1)
    Ls = _lengths(lengths, n_steps)
    cp = _condition_scan("J", [float(j) for j in J], lambda j: {"coupling": j}, lengths=Ls,
                         n_steps=Ls[-1], client=client, n_agents=n_agents, n_communities=n_communities,
                         n_seeds=n_seeds, seed=seed, **params)
    return _scan_result(cp, J, Ls)


def _scan_result(cp, J, Ls):
    """The dict of :func:`coupling_scan` from its checkpoints ``cp`` (J, replica, n_steps)."""
    fin = cp.sel(n_steps=Ls[-1])
    vals = {"between_fraction": fin["between_fraction"], "log10_ratio": fin["log10_ratio"],
            "approval": fin["approval"], "cohesion": fin["avg_cohesion"]}
    out = {}
    for k, x in vals.items():
        m, e = mean_sem(x.transpose("J", "replica"), axis=1)
        out[k], out[k + "_err"] = np.asarray(m, float), np.asarray(e, float)
    out["J"] = J
    out["between_fraction_seeds"] = fin["between_fraction"].transpose("J", "replica").values
    out["lengths"] = np.array(Ls)
    out["n_steps"] = Ls[-1]
    out["checkpoints"] = cp
    return out


def _keep(J, couplings):
    """Which of the couplings ``J`` to use: all, or those in ``couplings``."""
    if couplings is None:
        return [True] * len(J)
    keep = {float(c) for c in couplings}
    unknown = keep - set(J)
    if unknown:
        raise ValueError(f"couplings must be among the scanned couplings {J}, got {sorted(unknown)}")
    return [j in keep for j in J]


def emergence_measurements(scan, *, reference=0.0, couplings=None):
    """Paired excess of the between-community share over the model without interaction.

    For every coupling of ``scan`` (from :func:`coupling_scan`) except
    ``reference``, the replica-by-replica difference of the between / total
    variance share against the same replicas at ``J = reference`` (no
    interaction between citizens), as mean ± s.e.m.  ``couplings`` (optional)
    keeps only these couplings (e.g. the converged ones).

    Returns
    -------
    list of :class:`utacbook.claims.Measurement`, condition ``"J = ..."``.
    """
    J = [float(j) for j in scan["J"]]
    if float(reference) not in J:
        raise ValueError(f"reference must be one of the scanned couplings {J}, got {reference!r}")
    i0 = J.index(float(reference))
    keep = _keep(J, couplings)
    b = scan["between_fraction_seeds"]
    out = []
    for i, j in enumerate(J):
        if i == i0 or not keep[i]:
            continue
        m, e = mean_sem(b[i] - b[i0])
        out.append(uc.Measurement(float(m), float(e), condition=f"J = {j:g}"))
    return out


def mean_field_coupling_threshold(*, noise=0.3, trust=0.5, trust_noise=1.0, cohesion=None,
                                  within_std=None, wealth_weight=0.2, wealth_alpha=2.5,
                                  n_nodes=80, inertia=1.0):
    r"""Mean-field estimate of the coupling at which a community's symmetric state breaks.

    A community's mean obeys, in the mean-field limit (large community, the
    other levels frozen), :math:`\bar s \mapsto (1-\lambda)\bar s + \lambda F(\bar s)`
    with :math:`F(m) = E[\mathrm{sigmoid}((J\kappa(2m-1) + u)/T_\mathrm{eff} + \xi)]`,
    :math:`\xi \sim N(0,1)` and :math:`u = b(\ln w - \langle\ln w\rangle)`,
    :math:`\ln w \sim \mathrm{Exp}(\alpha)` (Pareto wealth).  The state
    :math:`\bar s \approx 1/2` loses stability when :math:`F'(1/2) = 1`:

    .. math::

        J_c = \frac{T_\mathrm{eff}}{2\kappa\, E[\sigma'(u/T_\mathrm{eff} + \xi)]},
        \qquad T_\mathrm{eff} = T_\mathrm{social}(1 + \eta(1-\tau)).

    The cohesion :math:`\kappa` is :math:`\mathrm{clip}(1 - 2 s_w, 0, 1)` with
    :math:`s_w` the within-community std of satisfaction in the symmetric
    state; if not given it is taken from the model's own stationary
    distribution at :math:`J = 0`, computed by quadrature.  At :math:`J = 0`
    and fixed trust each citizen's :math:`s_i` is an autoregressive average of
    independent draws :math:`\sigma_t = \mathrm{sigmoid}(u_i/T_\mathrm{eff} + \xi_t)`,
    so its stationary variance is

    .. math::

        s_w^2 = \mathrm{Var}_u\bigl(E[\sigma \mid u]\bigr)
              + \frac{\lambda}{2 - \lambda}\, E_u\bigl[\mathrm{Var}(\sigma \mid u)\bigr]

    with :math:`\lambda` = ``inertia`` (1: the variance of :math:`\sigma`
    itself): the spread is set by the unit noise :math:`\xi` and the static
    wealth term, not by :math:`J`.
    The mean of the wealth term is taken as 0 (the median shift is ignored).

    Parameters
    ----------
    noise : float > 0
        :math:`T_\mathrm{social}`.
    trust : float in [0, 1]
        :math:`\tau` (frozen).
    trust_noise : float >= 0
        :math:`\eta`.
    cohesion : float in (0, 1], optional
        :math:`\kappa`; overrides ``within_std``.
    within_std : float >= 0, optional
        :math:`s_w`.
    wealth_weight : float
        :math:`b`.
    wealth_alpha : float > 1
        Pareto tail index :math:`\alpha`.
    n_nodes : int >= 8
        Quadrature nodes per dimension.
    inertia : float in (0, 1]
        :math:`\lambda`, for the spread computed by quadrature.

    Returns
    -------
    dict of float
        ``J_c``, ``T_eff``, ``cohesion``, ``slope`` (the expectation
        of sigma'), ``within_std`` (:math:`s_w`; nan if ``cohesion`` was given).
    """
    noise = V.real("noise", noise, positive=True)
    trust = V.real("trust", trust, low=0.0, high=1.0)
    eta = V.real("trust_noise", trust_noise, nonnegative=True)
    b = V.real("wealth_weight", wealth_weight)
    alpha = V.real("wealth_alpha", wealth_alpha, low=1.0 + 1e-9)
    n = V.integer("n_nodes", n_nodes, low=8)
    lam = V.real("inertia", inertia, low=0.0, high=1.0)
    if lam <= 0:
        raise ValueError("inertia must be > 0")
    T = noise * (1.0 + eta * (1.0 - trust))
    x, wx = np.polynomial.hermite_e.hermegauss(n)      # xi ~ N(0, 1)
    wx = wx / wx.sum()
    y, wy = np.polynomial.laguerre.laggauss(n)          # ln w ~ Exp(alpha): y = alpha ln w
    lw = y / alpha
    u = b * (lw - 1.0 / alpha)
    z = u[:, None] / T + x[None, :]
    sig = 1.0 / (1.0 + np.exp(-z))
    W = wy[:, None] * wx[None, :]
    slope = float(np.sum(W * sig * (1.0 - sig)))
    if cohesion is None:
        if within_std is None and lam == 1.0:
            m1 = float(np.sum(W * sig))
            within_std = math.sqrt(max(float(np.sum(W * sig * sig)) - m1 * m1, 0.0))
        elif within_std is None:
            mu = np.sum(wx[None, :] * sig, axis=1)                        # E[sigma | u]
            vu = np.sum(wx[None, :] * sig * sig, axis=1) - mu * mu        # Var(sigma | u)
            m1 = float(np.dot(wy, mu))
            var = float(np.dot(wy, (mu - m1) ** 2)) + lam / (2.0 - lam) * float(np.dot(wy, vu))
            within_std = math.sqrt(max(var, 0.0))
        within_std = V.real("within_std", within_std, nonnegative=True)
        cohesion = min(max(1.0 - 2.0 * within_std, 0.0), 1.0)
    else:
        within_std = math.nan
    cohesion = V.real("cohesion", cohesion, low=0.0, high=1.0)
    if cohesion <= 0:
        raise ValueError("cohesion must be > 0")
    return {"J_c": T / (2.0 * cohesion * slope), "T_eff": T, "cohesion": cohesion,
            "slope": slope, "within_std": float(within_std)}


def plot_coupling_scan(scan, *, J_c=None):
    """Two panels: between-community share of the variance, and log10(between/within).

    Returns
    -------
    (fig, axes)
    """
    import matplotlib.pyplot as plt
    fig, axes = plt.subplots(1, 2, figsize=(9.5, 3.3))
    J = scan["J"]
    axes[0].errorbar(J, scan["between_fraction"], scan["between_fraction_err"], marker="o",
                     capsize=3)
    axes[0].set_ylabel("between / total variance")
    axes[1].errorbar(J, scan["log10_ratio"], scan["log10_ratio_err"], marker="o", capsize=3)
    axes[1].set_ylabel(r"$\log_{10}$(between / within)")
    for ax in axes:
        ax.set_xlabel("coupling $J$")
        if J_c is not None:
            ax.axvline(J_c, color="grey", ls=":", label=f"mean-field $J_c$ = {J_c:.2f}")
    axes[0].legend(fontsize=8)
    fig.tight_layout()
    return fig, axes


def timescale_comparison(*, meso_interval=5, macro_interval=10, n_agents=1000,
                         n_communities=10, n_steps=50, n_seeds=12, seed=0, client=None, **params):
    """Paired comparison of a multi-timescale run with the every-step schedule.

    Both runs use the same replica seeds (identical initial states and noise
    streams), so the differences are caused by the schedule alone.

    Returns
    -------
    dict
        ``fast`` and ``slow``: :func:`run_replicas` Datasets (intervals 1/1
        and ``meso_interval``/``macro_interval``); ``diff``: dict of arrays
        (n_seeds, n_steps), slow - fast, for each series; ``final``: dict
        name -> (mean, sem) of the paired difference at the last step;
        ``max_abs``: dict name -> (mean, sem) of the largest ``|difference|``
        over the run.
    """
    fast = run_replicas(n_agents=n_agents, n_communities=n_communities, n_steps=n_steps,
                        n_seeds=n_seeds, seed=seed, client=client, **params)
    slow = run_replicas(n_agents=n_agents, n_communities=n_communities, n_steps=n_steps,
                        n_seeds=n_seeds, seed=seed, meso_interval=meso_interval,
                        macro_interval=macro_interval, client=client, **params)
    diff = {k: slow[k].values - fast[k].values for k in SERIES}
    final = {k: tuple(map(float, mean_sem(d[:, -1]))) for k, d in diff.items()}
    mx = {k: tuple(map(float, mean_sem(np.abs(d).max(axis=1)))) for k, d in diff.items()}
    return {"fast": fast, "slow": slow, "diff": diff, "final": final, "max_abs": mx,
            "meso_interval": meso_interval, "macro_interval": macro_interval}


def plot_timescales(comp):
    """Overlay the two schedules (three panels) and return (fig, axes)."""
    fig, axes = plot_three_scales(comp["fast"], label="every step", color="C0")
    plot_three_scales(comp["slow"], axes=axes, color="C1",
                      label=f"meso/{comp['meso_interval']}, macro/{comp['macro_interval']}")
    return fig, axes


#: observables compared by :func:`timescale_validity` (name -> label)
def polarisation_measurements(scan, *, level=0.5, reference=0.0, couplings=None):
    """The between-community share minus ``level`` at every coupling but ``reference``.

    The stronger reading of "macro patterns emerge": the communities polarise,
    so that most of the variance of satisfaction lies between them.
    ``couplings`` (optional) keeps only these couplings.

    Returns
    -------
    list of :class:`utacbook.claims.Measurement`
        (mean ± s.e.m. over replicas),
        condition ``"J = ..."``.
    """
    J = [float(j) for j in scan["J"]]
    keep = _keep(J, couplings)
    out = []
    for i, j in enumerate(J):
        if j == float(reference) or not keep[i]:
            continue
        out.append(uc.Measurement(float(scan["between_fraction"][i]) - level,
                                  float(scan["between_fraction_err"][i]), condition=f"J = {j:g}",
                                  text=f"{format_pm(scan['between_fraction'][i], scan['between_fraction_err'][i])}"))
    return out


def half_coupling(scan, *, level=0.5, n_boot=1000, seed=0, couplings=None):
    """Coupling at which the mean between-community share crosses ``level``, with a bootstrap error.

    Linear interpolation of the replica-mean share between the scanned
    couplings (only those in ``couplings`` if given, e.g. the converged ones;
    the share must rise through ``level``); the error is the
    standard deviation over ``n_boot`` resamples of the replicas (the same
    resample at every coupling, which keeps the pairing).  The interpolation
    itself adds an error of the order of the grid spacing near the crossing,
    which the bootstrap does not include.

    Returns
    -------
    tuple (J_half, err) of float; J_half is nan if the mean share never crosses ``level``.
    """
    keep = np.array(_keep([float(j) for j in scan["J"]], couplings))
    J = np.asarray(scan["J"], float)[keep]
    b = np.asarray(scan["between_fraction_seeds"], float)[keep]      # (len(J), n_seeds)

    def cross(curve):
        above = np.nonzero(curve >= level)[0]
        if above.size == 0 or above[0] == 0:
            return math.nan
        i = above[0]
        return float(J[i - 1] + (level - curve[i - 1]) * (J[i] - J[i - 1]) / (curve[i] - curve[i - 1]))

    j0 = cross(b.mean(axis=1))
    rng = np.random.default_rng(seed)
    n = b.shape[1]
    boots = np.array([cross(b[:, rng.integers(0, n, n)].mean(axis=1)) for _ in range(int(n_boot))])
    boots = boots[np.isfinite(boots)]
    err = float(np.std(boots, ddof=1)) if boots.size > 1 else math.nan
    return j0, err


def convergence(checkpoints, names=("between_fraction",), *, k=CONVERGENCE_K):
    """Observables against the run length, and whether each point of a scan has converged.

    The criterion (fixed before the measurement): a point (one observable at
    one condition of the scan) is converged when the paired difference of its
    replica mean between the last two run lengths is within ``k`` standard
    errors of zero, ``|mean(x_L2 - x_L1)| <= k * sem(x_L2 - x_L1)``.  The
    runs at the two lengths share their first steps (same seeds), so the
    difference is paired replica by replica.  A point can pass because its
    errors are large, and a pass does not exclude a slower drift beyond the
    longest run.

    Parameters
    ----------
    checkpoints : xarray.Dataset
        Over ``(..., replica, n_steps)`` with at least two run lengths and two
        replicas (e.g. ``coupling_scan(...)["checkpoints"]`` or :func:`at_lengths`).
    names : sequence of str
        The observables (variables of ``checkpoints``).
    k : float >= 0
        Standard errors allowed (:data:`CONVERGENCE_K`).

    Returns
    -------
    pandas.DataFrame
        One row per observable, condition and run length (a tidy table):
        ``observable``, one column per condition dimension (e.g. ``J``),
        ``steps``, ``value`` and ``err`` (replica mean ± s.e.m.), ``diff`` and
        ``diff_err`` (paired change from the previous run length, NaN for the
        first) and ``converged`` (of the point: the same on all its rows).

    Examples
    --------
    >>> import numpy as np, xarray as xr
    >>> from utacbook.studies.multiscale.model import convergence
    >>> x = np.array([[0.1, 0.2, 0.3], [0.1, 0.4, 0.4], [0.2, 0.5, 0.6]])      # replica, n_steps
    >>> cp = xr.Dataset({"b": (("replica", "n_steps"), x)}, coords={"n_steps": [100, 200, 400]})
    >>> t = convergence(cp, ["b"])
    >>> t[["steps", "value", "converged"]].round(3).values.tolist()[-1]
    [400, 0.433, True]
    """
    import pandas as pd
    import xarray as xr
    k = V.real("k", k, nonnegative=True)
    Ls = checkpoints["n_steps"].values
    R = checkpoints.sizes.get("replica", 0)
    if len(Ls) < 2 or R < 2:
        raise ValueError(f"convergence needs at least two run lengths and two replicas, got {list(Ls)} and {R}")
    frames = []
    for name in names:
        x = checkpoints[name]
        d = x.diff("n_steps")                              # labelled by the longer run
        dm = d.mean("replica")
        de = d.std("replica", ddof=1) / math.sqrt(R)
        conv = abs(dm.isel(n_steps=-1)) <= k * de.isel(n_steps=-1)
        tab = xr.Dataset({"value": x.mean("replica"), "err": x.std("replica", ddof=1) / math.sqrt(R),
                          "diff": dm.reindex(n_steps=Ls), "diff_err": de.reindex(n_steps=Ls)})
        tab["converged"] = conv.broadcast_like(tab["value"])
        df = tab.to_dataframe().reset_index()
        df.insert(0, "observable", name)
        frames.append(df)
    out = pd.concat(frames, ignore_index=True).rename(columns={"n_steps": "steps"})
    front = ["observable"] + [c for c in out.columns if c not in
                              ("observable", "steps", "value", "err", "diff", "diff_err", "converged")]
    out = out[front + ["steps", "value", "err", "diff", "diff_err", "converged"]]
    return out.astype({"converged": bool})


def _conditions(table):
    return [c for c in table.columns if c not in ("observable", "steps", "value", "err", "diff", "diff_err",
                                                  "converged")]


def _label(cols, vals):
    return ", ".join(f"{c} = {v:g}" if isinstance(v, (int, float, np.number)) else f"{c} = {v}"
                     for c, v in zip(cols, vals))


def converged_conditions(table, observable=None):
    """The conditions (e.g. couplings) whose points of ``table`` have converged.

    Parameters
    ----------
    table : pandas.DataFrame from :func:`convergence`
    observable : str, optional
        Only this observable; default: converged for every observable of the table.

    Returns
    -------
    list
        Condition values (for one condition column; tuples for several), in table order.
    """
    t = table if observable is None else table[table["observable"] == observable]
    if t.empty:
        raise ValueError(f"no rows for observable {observable!r}")
    cols = _conditions(t)
    ok = t.groupby(cols, sort=False)["converged"].all()
    return [c for c, v in ok.items() if v]


def convergence_measurements(table, *, labels=None, prefix=""):
    """One :class:`~utacbook.claims.Measurement` per point of a convergence table: the last change.

    The value is the paired change between the last two run lengths with its
    standard error, to be judged by ``Agreement(0, k=CONVERGENCE_K)``.

    Parameters
    ----------
    table : pandas.DataFrame from :func:`convergence`
    labels : dict, optional
        Observable name -> words for the condition label.
    prefix : str
        Put before the label (e.g. ``"η = 0: "``).

    Returns
    -------
    list of :class:`utacbook.claims.Measurement`, condition ``"<observable> at J = ..."``.
    """
    labels = labels or {}
    cols = _conditions(table)
    last = table[table["steps"] == table["steps"].max()]
    L1 = sorted(table["steps"].unique())[-2]
    out = []
    for _, row in last.iterrows():
        cond = _label(cols, [row[c] for c in cols])
        name = labels.get(row["observable"], row["observable"])
        out.append(uc.Measurement(float(row["diff"]), float(row["diff_err"]),
                                  condition=f"{prefix}{name}" + (f" at {cond}" if cond else ""),
                                  text=f"{format_pm(row['diff'], row['diff_err'])} from {L1} to "
                                       f"{int(row['steps'])} steps"))
    return out


def _monotone(diffs):
    d = np.asarray(diffs, dtype=float)
    d = d[np.isfinite(d)]
    return len(d) >= 2 and bool(np.all(d > 0) or np.all(d < 0))


def monotone_drift(table, observable=None):
    """The conditions whose points of ``table`` change in the same direction at every run length.

    A point that passes the convergence criterion can still drift: a steady
    rise (or fall) whose last step is within the errors.  This flags a point
    whose changes between successive run lengths (at least two of them) all
    have the same sign.  It is a warning, not a criterion: with three changes
    a point without any drift has the same sign on all three with probability
    about 1/4.

    Parameters
    ----------
    table : pandas.DataFrame from :func:`convergence`
    observable : str, optional
        Only this observable; default: every observable, as ``(observable, condition)`` pairs.

    Returns
    -------
    list
        Condition values (one observable) or ``(observable, condition)`` pairs, in table order.

    Examples
    --------
    >>> import numpy as np, xarray as xr
    >>> from utacbook.studies.multiscale.model import convergence, monotone_drift
    >>> x = np.array([[[0.1, 0.2, 0.3], [0.2, 0.3, 0.5]], [[0.5, 0.4, 0.6], [0.5, 0.6, 0.4]]])
    >>> cp = xr.Dataset({"b": (("J", "replica", "n_steps"), x)},
    ...                 coords={"J": [1.0, 2.0], "n_steps": [100, 200, 400]})
    >>> monotone_drift(convergence(cp, ["b"]), "b")
    [1.0]
    """
    t = table if observable is None else table[table["observable"] == observable]
    if t.empty:
        raise ValueError(f"no rows for observable {observable!r}")
    cols = _conditions(t)
    keys = cols if observable is not None else ["observable", *cols]
    out = []
    for key, g in t.groupby(keys, sort=False):
        if _monotone(g["diff"]):
            key = key[0] if isinstance(key, tuple) and len(key) == 1 else key
            out.append(key)
    return out


def convergence_table(table, *, labels=None):
    """A convergence table in wide form: value ± s.e.m. at every run length, and whether it converged.

    Parameters
    ----------
    table : pandas.DataFrame from :func:`convergence`
    labels : dict, optional
        Observable name -> words.

    Returns
    -------
    pandas.DataFrame
        One row per point (observable and condition, in table order), one
        column ``"<L> steps"`` per run length (text ``value ± err``), ``last
        change`` (the paired change between the last two run lengths, text
        ``diff ± diff_err``, on which the criterion is checked), ``z`` (that
        change in standard errors), ``converged`` (``"yes"`` or ``"no"``) and
        ``monotone drift`` (``"yes"`` when every change between successive run
        lengths, at least two, has the same sign: see :func:`monotone_drift`).
    """
    import pandas as pd
    labels = labels or {}
    cols = _conditions(table)
    keys = ["observable", *cols]
    t = table.assign(shown=[format_pm(v, e) if np.isfinite(e) and e > 0 else f"{v:.4g}"
                            for v, e in zip(table["value"], table["err"])])
    rows = []
    for key, g in t.groupby(keys, sort=False):
        row = dict(zip(keys, key if isinstance(key, tuple) else (key,)))
        row["observable"] = labels.get(row["observable"], row["observable"])
        row.update({f"{int(L)} steps": v for L, v in zip(g["steps"], g["shown"])})
        d, de = float(g["diff"].iloc[-1]), float(g["diff_err"].iloc[-1])
        has_err = bool(np.isfinite(de) and de > 1e-9 * abs(d))     # else: no error beyond rounding
        row["last change"] = format_pm(d, de) if has_err else f"{d:.4g}"
        row["z"] = f"{d / de:+.1f}" if has_err else "–"
        row["converged"] = "yes" if bool(g["converged"].iloc[0]) else "no"
        row["monotone drift"] = "yes" if _monotone(g["diff"]) else "no"
        rows.append(row)
    return pd.DataFrame(rows).set_index(keys)


def plot_convergence(table, observables=None, *, labels=None, axes=None):
    """Each observable against the run length, one line per condition; open markers: not converged.

    Parameters
    ----------
    table : pandas.DataFrame from :func:`convergence`
    observables : sequence of str, optional
        One panel each (default: all of the table).
    labels : dict, optional
        Observable -> axis label.
    axes : matplotlib axes, optional

    Returns
    -------
    (fig, axes)
    """
    import matplotlib.pyplot as plt
    obs = list(dict.fromkeys(table["observable"])) if observables is None else list(observables)
    labels = labels or {}
    if axes is None:
        fig, axes = plt.subplots(1, len(obs), figsize=(4.6 * len(obs), 3.4), squeeze=False)
        axes = axes[0]
    fig = axes[0].figure
    cols = _conditions(table)
    for ax, name in zip(axes, obs):
        t = table[table["observable"] == name]
        groups = t.groupby(cols, sort=False) if cols else [((), t)]
        n = len(groups)
        for i, (key, g) in enumerate(groups):
            key = key if isinstance(key, tuple) else (key,)
            color = plt.cm.viridis(i / max(n - 1, 1))
            ok = bool(g["converged"].iloc[0])
            ax.errorbar(g["steps"], g["value"], g["err"], marker="o", ms=4, capsize=2, color=color,
                        mfc=color if ok else "white", label=_label(cols, key) + ("" if ok else " (not conv.)"))
        ax.set_xscale("log", base=2)
        ax.set_xticks(sorted(t["steps"].unique()))
        ax.set_xticklabels([str(int(x)) for x in sorted(t["steps"].unique())])
        ax.set_xlabel("run length (steps)")
        ax.set_ylabel(labels.get(name, name))
    axes[-1].legend(fontsize=7, loc="center left", bbox_to_anchor=(1.0, 0.5))
    fig.tight_layout()
    return fig, axes


def plot_blocks(scan, off, *, cohesion_pred=None, labels=("with trust feedback", "without (η = 0)")):
    """Two panels against J: the between-community share with and without the trust feedback, and cohesion.

    Parameters
    ----------
    scan, off : dicts from :func:`coupling_scan` (with and without the feedback)
    cohesion_pred : float, optional
        A predicted cohesion, drawn as a horizontal line.

    Returns
    -------
    (fig, axes)
    """
    import matplotlib.pyplot as plt
    fig, axes = plt.subplots(1, 2, figsize=(9.5, 3.3))
    for r, lab, mk in ((scan, labels[0], "o"), (off, labels[1], "s")):
        axes[0].errorbar(r["J"], r["between_fraction"], r["between_fraction_err"], marker=mk, mfc="none",
                         capsize=3, label=lab)
        axes[1].errorbar(r["J"], r["cohesion"], r["cohesion_err"], marker=mk, mfc="none", capsize=3, label=lab)
    axes[0].set_ylabel("between / total variance")
    axes[1].set_ylabel("average cohesion")
    if cohesion_pred is not None:
        axes[1].axhline(cohesion_pred, color="grey", ls=":", label="from the unit noise (J = 0)")
    for ax in axes:
        ax.set_xlabel("coupling $J$")
        ax.legend(fontsize=8)
    fig.tight_layout()
    return fig, axes


def feedback_off_params(*, noise=None, trust_noise=None, trust=None):
    r"""Model parameters without the trust feedback, at the same effective temperature.

    :math:`\eta = 0` and :math:`T_\mathrm{social} = T(1 + \eta(1 - \tau))`, so the
    noise is the one the model with the feedback has at trust :math:`\tau`
    (default: the model's ``noise``, ``trust_noise`` and ``initial_trust``).

    Returns
    -------
    dict
        ``{"noise": ..., "trust_noise": 0.0}``.

    Examples
    --------
    >>> from utacbook.studies.multiscale.model import feedback_off_params
    >>> p = feedback_off_params()
    >>> round(p["noise"], 12), p["trust_noise"]
    (0.45, 0.0)
    """
    p = GovernmentMultiscaleModel(1, 1).params
    T = V.real("noise", p["noise"] if noise is None else noise, positive=True)
    eta = V.real("trust_noise", p["trust_noise"] if trust_noise is None else trust_noise, nonnegative=True)
    tau = V.real("trust", p["initial_trust"] if trust is None else trust, low=0.0, high=1.0)
    return {"noise": T * (1.0 + eta * (1.0 - tau)), "trust_noise": 0.0}


def paired_measurements(x, reference, *, dim="J", values=None):
    """Paired differences ``x - reference`` over the replicas, one measurement per value of ``dim``.

    Parameters
    ----------
    x : xarray.DataArray
        Over ``(dim, replica)``.
    reference : xarray.DataArray
        Over ``replica`` or ``(dim, replica)``: the same replicas (same seeds).
    dim : str
    values : sequence, optional
        The values of ``dim`` to measure (default: all).

    Returns
    -------
    list of :class:`utacbook.claims.Measurement` (mean ± s.e.m.), condition ``"<dim> = <value>"``.
    """
    d = x - reference
    vals = list(d[dim].values) if values is None else list(values)
    out = []
    for v in vals:
        m, e = mean_sem(d.sel({dim: v}).values)
        out.append(uc.Measurement(float(m), float(e), condition=_label([dim], [v])))
    return out


TIMESCALE_OBSERVABLES = {"avg_satisfaction": "mean satisfaction", "micro_std": "spread of s",
                         "between_fraction": "between-community share",
                         "avg_cohesion": "cohesion", "trust": "trust"}


def timescale_validity(couplings=(0.5, 1.0, 1.25, 1.4, 1.5, 2.0), *, steps=(50, 200), lengths=None,
                       meso_interval=5, macro_interval=10, n_agents=1000, n_communities=10,
                       n_seeds=12, seed=0, client=None, **params):
    r"""Does the multi-timescale schedule change the results?  Paired, at several J and run lengths.

    For every coupling, the every-step schedule and the slow one
    (``meso_interval``, ``macro_interval``) run with the same replica seeds
    (as :func:`timescale_comparison`), once each, to the longest run length;
    shorter run lengths are read from the same runs (a run of ``T`` steps is
    the first ``T`` steps of the longer one).  For each observable of
    :data:`TIMESCALE_OBSERVABLES` at the end of a run of ``T`` steps, the
    paired difference slow - fast is divided by the replica standard
    deviation of the every-step observable (ddof 1): a standardised bias
    :math:`d`, with its standard error.  The tolerance of the shortcut is
    :math:`1/\sqrt{n_\mathrm{seeds}}`: a bias no larger than the standard
    error of an ``n_seeds``-replica mean, so that the shortcut would not move
    a result of such a study by more than its own error bar.

    Parameters
    ----------
    couplings : sequence of float
    steps : sequence of int >= 1
        The run lengths judged (:func:`timescale_measurements`).
    lengths : sequence of int >= 1, optional
        Further run lengths, for :func:`convergence` of the bias.
    meso_interval, macro_interval, n_agents, n_communities, n_seeds, seed, client, **params
        As :func:`timescale_comparison`.

    Returns
    -------
    dict
        ``couplings``, ``steps``, ``lengths`` (all run lengths read),
        ``tolerance``; for every coupling J and run length T:
        ``d[(J, T)][name] = (d, err)``; ``raw[(J, T)][name] = (mean difference,
        s.e.m.)`` in the observable's units; ``fast_mean[(J, T)][name]``;
        ``checkpoints``: :class:`xarray.Dataset` over ``(J, replica, n_steps)``
        of the paired differences slow - fast of every observable.
    """
    Js = [V.real("couplings", j) for j in couplings]
    Ts = [V.integer("steps", t, low=1) for t in steps]
    R = V.integer("n_seeds", n_seeds, low=2)
    Ls = sorted(set(Ts) | {V.integer("lengths", L, low=1) for L in (lengths or ())})
    names = list(TIMESCALE_OBSERVABLES)
    runs = []
    for J in Js:
        fast, slow = _timescale_runs(J, Ls, n_agents=n_agents, n_communities=n_communities, n_seeds=R, seed=seed,
                                     meso_interval=meso_interval, macro_interval=macro_interval, client=client,
                                     **params)
        runs.append((at_lengths(fast, Ls)[names], at_lengths(slow, Ls)[names]))
    return _timescale_result(Js, Ts, Ls, R, runs)


def _timescale_runs(J, Ls, *, n_agents, n_communities, n_seeds, seed, meso_interval, macro_interval, client=None,
                    **params):
    """The every-step and the slow runs of :func:`timescale_validity` at coupling ``J`` (run_replicas Datasets)."""
    kw = dict(n_agents=n_agents, n_communities=n_communities, n_steps=Ls[-1], n_seeds=n_seeds, seed=seed,
              client=client, coupling=J, **params)
    return (run_replicas(**kw),
            run_replicas(meso_interval=meso_interval, macro_interval=macro_interval, **kw))


def _timescale_result(Js, Ts, Ls, R, runs):
    """The dict of :func:`timescale_validity` from the (fast, slow) checkpoints at every coupling."""
    import pandas as pd
    import xarray as xr
    names = list(TIMESCALE_OBSERVABLES)
    d, raw, fm, diffs = {}, {}, {}, []
    for J, (fast, slow) in zip(Js, runs):
        diffs.append(slow - fast)
        for T in Ls:
            d[(J, T)], raw[(J, T)], fm[(J, T)] = {}, {}, {}
            for name in names:
                f = fast[name].sel(n_steps=T).values
                m, e = mean_sem(slow[name].sel(n_steps=T).values - f)
                sd = float(np.std(f, ddof=1))
                if sd == 0.0:
                    sd = 1.0  # a constant observable: its difference is judged in its own units
                raw[(J, T)][name] = (float(m), float(e))
                d[(J, T)][name] = (float(m) / sd, float(e) / sd)
                fm[(J, T)][name] = float(np.mean(f))
    cp = xr.concat(diffs, dim=pd.Index(Js, name="J"), combine_attrs="drop")
    return {"couplings": Js, "steps": Ts, "lengths": Ls, "tolerance": 1.0 / math.sqrt(R), "d": d, "raw": raw,
            "fast_mean": fm, "n_seeds": R, "checkpoints": cp}


def timescale_measurements(res, *, k=2.0, tolerance=None):
    """One :class:`~utacbook.claims.Measurement` per (J, run length): the observable nearest to failing.

    The criterion asks every observable's standardised bias to lie within
    ``±tolerance`` (default ``res["tolerance"]``) at ``k`` standard errors;
    the measurement of a condition is the observable with the largest
    ``|d| - k err - tolerance`` (it meets the criterion if and only if all
    observables do), labelled in its text.  ``tolerance=0`` gives the
    measurements for a zero-bias criterion.
    """
    tol = res["tolerance"] if tolerance is None else V.real("tolerance", tolerance, nonnegative=True)
    out = []
    for J in res["couplings"]:
        for T in res["steps"]:
            dd = res["d"][(J, T)]
            name = max(dd, key=lambda n: abs(dd[n][0]) - k * dd[n][1] - tol)
            v, e = dd[name]
            out.append(uc.Measurement(v, e, condition=f"J = {J:g}, {T} steps",
                                      text=f"{TIMESCALE_OBSERVABLES[name]} {format_pm(v, e)}"))
    return out


def downward_causation(*, trusts=(0.2, 0.8), n_agents=1000, n_communities=10, n_steps=100,
                       n_seeds=8, seed=0, lengths=None, client=None, **params):
    """Freeze the macro level at a given trust and measure the micro level.

    ``trust_rate`` is set to 0, so trust stays at ``initial_trust`` and sets
    :math:`T_\\mathrm{eff}` for the whole run.  The same replica seeds are
    used at every trust (paired).  ``n_steps`` is the longest run length;
    ``lengths`` adds shorter ones, read from the same runs (for :func:`convergence`).

    Returns
    -------
    dict
        Arrays over ``trusts``, after ``n_steps`` steps: ``trust``, ``T_eff``; ``micro_std``,
        ``_err`` (population std of satisfaction at the end, mean ± s.e.m.);
        ``between_fraction``, ``_err``; plus ``paired_std_diff`` (mean, sem) of
        micro_std(last trust) - micro_std(first trust) and ``paired_between_diff``
        (the same for between_fraction); ``lengths``; ``checkpoints``:
        :class:`xarray.Dataset` over ``(tau, replica, n_steps)`` (``tau``: the frozen trust; see
        :func:`at_lengths`).
    """
    params = dict(params)
    params["trust_rate"] = 0.0
    tr = V.real_array("trusts", trusts, ndim=1, min_len=2)
    Ls = _lengths(lengths, n_steps)
    cp = _condition_scan("tau", [float(t) for t in tr], lambda t: {"initial_trust": t}, lengths=Ls,
                         n_steps=Ls[-1], client=client, n_agents=n_agents, n_communities=n_communities,
                         n_seeds=n_seeds, seed=seed, **params)
    return _downward_result(cp, tr, Ls, params)


def _downward_result(cp, tr, Ls, params):
    """The dict of :func:`downward_causation` from its checkpoints ``cp`` (tau, replica, n_steps)."""
    fin = cp.sel(n_steps=Ls[-1])
    teff = [GovernmentMultiscaleModel(1, 1, initial_trust=float(t), **params).effective_temperature for t in tr]
    out = {"trust": tr, "T_eff": np.array(teff)}
    arrs = {}
    for name in ("micro_std", "between_fraction"):
        a = fin[name].transpose("tau", "replica").values
        arrs[name] = a
        m, e = mean_sem(a, axis=1)
        out[name], out[name + "_err"] = np.asarray(m, float), np.asarray(e, float)
    out["paired_std_diff"] = tuple(map(float, mean_sem(arrs["micro_std"][-1] - arrs["micro_std"][0])))
    out["paired_between_diff"] = tuple(map(float, mean_sem(arrs["between_fraction"][-1]
                                                           - arrs["between_fraction"][0])))
    out["lengths"] = np.array(Ls)
    out["checkpoints"] = cp
    return out


def _time_run(N, C, n_steps, seed):
    m = GovernmentMultiscaleModel(N, C, seed=seed)
    m.run(2, quantiles=False)                     # warm-up (JIT, caches)
    t0 = time.process_time()                      # CPU time: waiting for a busy processor does not count
    m.run(n_steps, quantiles=False)
    return (time.process_time() - t0) / n_steps


def scaling_benchmark(*, N_values=(10_000, 30_000, 100_000, 300_000), C_fixed=10,
                      C_values=(10, 100, 1000, 10_000), N_fixed=100_000, n_steps=10,
                      repeats=3, fit_from=None, seed=0, threads=1):
    """CPU time per step against N (fixed C) and against C (fixed N), on ``threads`` Numba threads.

    The time is the CPU time of the process (:func:`time.process_time`, all
    threads), so time spent waiting for a processor that other jobs occupy
    does not count; caches and memory bandwidth shared with other jobs still
    slow it down, so the numbers depend on the machine and its load.  Each
    point is the fastest of ``repeats`` timed runs (disturbances only ever
    add time, so the minimum is the least disturbed estimate; error: half the
    spread of the repeats, a rough timing uncertainty).  Slopes are least-squares fits of log(time) against
    log(size) over the points (for N only over ``N >= fit_from`` if given:
    the asymptotic cost, beyond the sizes whose arrays fit in the processor's
    caches).

    Returns
    -------
    dict
        ``N``, ``t_N``, ``t_N_err``, ``slope_N``; ``C``, ``t_C``, ``t_C_err``,
        ``slope_C`` (seconds per step; dimensionless slopes); ``slope_N_err`` and
        ``slope_C_err``: standard error of the slope from the spread of the
        slopes fitted to each repeat separately (nan for one repeat);
        ``fixed_N`` and ``per_citizen``: intercept (s) and slope (s per citizen)
        of a straight-line fit t = fixed + per_citizen · N over all N, in
        relative terms (weights 1/t, so every size counts alike; the "+ 1"
        and "N" terms of O(N + C + 1) at fixed C); ``threads``.

    Other parameters
    ----------------
    threads : int >= 1 or None
        Numba threads for the timed runs (``numba.set_num_threads``; the
        previous setting is restored afterwards); ``None`` keeps the current one.
    """
    import numba
    Ns = [V.integer("N_values", n, low=1) for n in N_values]
    Cs = [V.integer("C_values", c, low=1) for c in C_values]
    repeats = V.integer("repeats", repeats, low=1)
    if threads is not None:
        threads = V.integer("threads", threads, low=1, high=numba.config.NUMBA_NUM_THREADS)

    def times(N, C):
        return np.array([_time_run(N, C, n_steps, seed + r) for r in range(repeats)])

    before = numba.get_num_threads()
    try:
        if threads is not None:
            numba.set_num_threads(threads)
        used = numba.get_num_threads()
        TN = np.array([times(n, C_fixed) for n in Ns])      # (len(N_values), repeats)
        TC = np.array([times(N_fixed, c) for c in Cs])
    finally:
        numba.set_num_threads(before)
    out = {"N": np.array(Ns), "t_N": TN.min(axis=1),
           "t_N_err": 0.5 * (TN.max(axis=1) - TN.min(axis=1)), "C": np.array(Cs),
           "t_C": TC.min(axis=1), "t_C_err": 0.5 * (TC.max(axis=1) - TC.min(axis=1)),
           "C_fixed": C_fixed, "N_fixed": N_fixed, "repeats": repeats, "threads": used}
    sel = np.ones(len(Ns), dtype=bool) if fit_from is None else out["N"] >= fit_from
    if sel.sum() < 2:
        raise ValueError(f"fit_from must leave at least two N values, got {fit_from!r}")
    out["fit_from"] = fit_from
    for key, x, T in (("N", out["N"][sel], TN[sel]), ("C", out["C"], TC)):
        lx = np.log(x.astype(float))
        out[f"slope_{key}"] = float(np.polyfit(lx, np.log(T.min(axis=1)), 1)[0])
        per = np.array([np.polyfit(lx, np.log(T[:, r]), 1)[0] for r in range(repeats)])
        out[f"slope_{key}_err"] = (float(np.std(per, ddof=1) / math.sqrt(repeats))
                                   if repeats > 1 else math.nan)
    b1, b0 = np.polyfit(out["N"].astype(float), out["t_N"], 1, w=1.0 / out["t_N"])   # relative residuals
    out["per_citizen"], out["fixed_N"] = float(b1), float(b0)
    return out


def plot_scaling(bench, mem=None):
    """Log-log time per step against N and against C (and bytes per citizen). (fig, axes)"""
    import matplotlib.pyplot as plt
    fig, axes = plt.subplots(1, 2, figsize=(9.5, 3.3))
    axes[0].errorbar(bench["N"], bench["t_N"] * 1e3, bench["t_N_err"] * 1e3, marker="o",
                     capsize=3, label=f"C = {bench['C_fixed']}, slope {bench['slope_N']:.2f}")
    n = bench["N"].astype(float)
    axes[0].plot(n, bench["t_N"][-1] * 1e3 * n / n[-1], "k:", label="∝ N")
    axes[0].set_xlabel("citizens N")
    axes[1].errorbar(bench["C"], bench["t_C"] * 1e3, bench["t_C_err"] * 1e3, marker="o",
                     capsize=3, label=f"N = {bench['N_fixed']}, slope {bench['slope_C']:.2f}")
    axes[1].set_xlabel("communities C")
    for ax in axes:
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_ylabel("time per step (ms)")
        ax.legend(fontsize=8)
    fig.tight_layout()
    return fig, axes


def memory_per_citizen(*, N_values=(50_000, 100_000, 200_000), n_communities=10, seed=0):
    """Bytes allocated by a model's construction, per citizen (tracemalloc).

    Returns
    -------
    dict
        ``N``, ``bytes`` (array), ``slope`` (bytes per citizen from a
        linear fit of bytes against N), ``intercept`` (bytes), ``exponent`` (slope
        of log bytes against log N: 1 for memory proportional to N).
    """
    Ns = [V.integer("N_values", n, low=1) for n in N_values]
    b = []
    for n in Ns:
        tracemalloc.start()
        m = GovernmentMultiscaleModel(n, n_communities, seed=seed)
        cur, _ = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        b.append(cur)
        del m
    slope, icpt = np.polyfit(np.array(Ns, float), np.array(b, float), 1)
    expo = np.polyfit(np.log(np.array(Ns, float)), np.log(np.array(b, float)), 1)[0]
    return {"N": np.array(Ns), "bytes": np.array(b), "slope": float(slope),
            "intercept": float(icpt), "exponent": float(expo)}


# ------------------------------------------------------------ stored studies
#: the stored result (``book/data/<name>.json``) of :func:`chapter_studies` that the chapter loads
STUDIES_NAME = "ms_model_studies"

#: the series :func:`chapter_studies` stores for the timescale runs (those behind :data:`TIMESCALE_OBSERVABLES`)
_TS_SERIES = ("avg_satisfaction", "micro_std", "between_series", "avg_cohesion", "trust")


def _stored_series(cp, names=SERIES):
    """Arrays (condition, replica, n_steps) of the series ``names`` behind :func:`at_lengths` checkpoints ``cp``."""
    dims = [d for d in cp["between_fraction"].dims if d not in ("replica", "n_steps")] + ["replica", "n_steps"]
    return {k: cp["between_fraction" if k == "between_series" else k].transpose(*dims).values for k in names}


def _checkpoints_from(dim, values, Ls, arrays):
    """The checkpoints Dataset of :func:`at_lengths` over ``(dim, replica, n_steps)`` from stored series."""
    import pandas as pd
    import xarray as xr
    arrs = {k: np.asarray(v, dtype=float) for k, v in arrays.items()}
    R = next(iter(arrs.values())).shape[1]
    sub = xr.Dataset({k: ((dim, "replica", "n_steps"), a) for k, a in arrs.items()},
                     coords={dim: pd.Index(list(values), name=dim), "replica": np.arange(R),
                             "n_steps": np.array(Ls)})
    return _derived(sub)


def chapter_studies(*, couplings, timescale_couplings, timescale_steps, lengths, trusts, n_agents=1000,
                    n_communities=10, n_seeds=12, seed=0, meso_interval=5, macro_interval=10):
    """The chapter's four long scans, for a stored result: their runs read at the run lengths.

    Runs, with the same replica seeds: :func:`coupling_scan` over ``couplings`` with the
    model's parameters and with :func:`feedback_off_params` (the scan without the trust
    feedback); :func:`timescale_validity` over ``timescale_couplings`` (the every-step and the
    slow schedule); :func:`downward_causation` at ``trusts``.  Every run is
    ``max(lengths)`` steps long.  Only the runs are stored; :func:`load_chapter_studies` builds
    the four functions' results from them with the functions' own code, so they are exactly
    what the four calls return; :func:`spot_check_chapter_studies` re-runs a part.

    Parameters
    ----------
    couplings : sequence of float
        The couplings of both coupling scans.
    timescale_couplings : sequence of float
        The couplings of :func:`timescale_validity`.
    timescale_steps : sequence of int
        Its judged run lengths (``steps``).
    lengths : sequence of int
        The run lengths at which every scan is read (the longest is the run length).
    trusts : sequence of float
        The frozen trusts of :func:`downward_causation`.
    n_agents, n_communities, n_seeds, seed
        As :func:`run_replicas` (every study).
    meso_interval, macro_interval : int
        The slow schedule of :func:`timescale_validity`.

    Returns
    -------
    dict
        The arguments, ``off_params`` (:func:`feedback_off_params`), and for ``scan``, ``off``
        and ``downward`` the series of :data:`SERIES` at the run lengths (``between_series``
        read as the between share), each an array (condition, replica, run length);
        ``timescale_fast`` and ``timescale_slow``: the same for the series behind
        :data:`TIMESCALE_OBSERVABLES`, at the run lengths and ``timescale_steps``.

    Examples
    --------
    >>> from utacbook.studies.multiscale import model as msm
    >>> out = msm.chapter_studies(couplings=[0.0, 1.0], timescale_couplings=[1.0], timescale_steps=[5],
    ...                           lengths=[4, 8], trusts=[0.2, 0.8], n_agents=100, n_communities=2,
    ...                           n_seeds=2, seed=1)
    >>> out["scan"]["between_series"].shape, out["timescale_fast"]["trust"].shape
    ((2, 2, 2), (1, 2, 3))
    """
    Ls = _lengths(lengths, max(lengths))
    common = dict(n_agents=n_agents, n_communities=n_communities, n_seeds=n_seeds, seed=seed)
    off_params = feedback_off_params()
    scan = coupling_scan(couplings, n_steps=Ls[-1], lengths=Ls, **common)
    off = coupling_scan(couplings, n_steps=Ls[-1], lengths=Ls, **common, **off_params)
    dc = downward_causation(trusts=trusts, n_steps=Ls[-1], lengths=Ls, **common)
    Ts = [V.integer("timescale_steps", t, low=1) for t in timescale_steps]
    Lts = sorted(set(Ts) | set(Ls))
    fast, slow = [], []
    for J in timescale_couplings:
        f, s = _timescale_runs(V.real("timescale_couplings", J), Lts, meso_interval=meso_interval,
                               macro_interval=macro_interval, **common)
        fast.append(_stored_series(at_lengths(f, Lts), _TS_SERIES))
        slow.append(_stored_series(at_lengths(s, Lts), _TS_SERIES))
    return {"couplings": [float(j) for j in couplings], "timescale_couplings": [float(j) for j in timescale_couplings],
            "timescale_steps": Ts, "lengths": Ls, "trusts": [float(t) for t in trusts], "n_agents": n_agents,
            "n_communities": n_communities, "n_seeds": n_seeds, "seed": seed, "meso_interval": meso_interval,
            "macro_interval": macro_interval, "off_params": off_params,
            "scan": _stored_series(scan["checkpoints"]), "off": _stored_series(off["checkpoints"]),
            "downward": _stored_series(dc["checkpoints"]),
            "timescale_fast": {k: np.stack([x[k] for x in fast]) for k in _TS_SERIES},
            "timescale_slow": {k: np.stack([x[k] for x in slow]) for k in _TS_SERIES}}


def load_chapter_studies(name=STUDIES_NAME, *, data_dir=None):
    """A stored :func:`chapter_studies`, analysed: the results of the four studies and the record.

    Returns
    -------
    dict
        ``scan`` and ``off`` (as :func:`coupling_scan` returns them), ``valid`` (as
        :func:`timescale_validity`), ``downward`` (as :func:`downward_causation`), each exactly
        the result of the recorded call, and ``record`` (the :class:`utacbook.stored.StoredResult`).

    Examples
    --------
    >>> from utacbook.studies.multiscale import model as msm
    >>> st = msm.load_chapter_studies()
    >>> st["scan"]["checkpoints"]["between_fraction"].dims, st["record"].provenance["params"]["seed"]
    (('J', 'replica', 'n_steps'), 2026)
    """
    from utacbook import stored as _stored
    rec = _stored.load(name, data_dir=data_dir)
    Ls = [int(L) for L in rec["lengths"]]
    J = V.real_array("couplings", rec["couplings"], ndim=1, min_len=1)
    out = {key: _scan_result(_checkpoints_from("J", [float(j) for j in J], Ls, rec[key]), J, Ls)
           for key in ("scan", "off")}
    tr = V.real_array("trusts", rec["trusts"], ndim=1, min_len=2)
    out["downward"] = _downward_result(_checkpoints_from("tau", [float(t) for t in tr], Ls, rec["downward"]), tr,
                                       Ls, {"trust_rate": 0.0})
    Js = [V.real("couplings", j) for j in rec["timescale_couplings"]]
    Ts = [int(t) for t in rec["timescale_steps"]]
    Lts = sorted(set(Ts) | set(Ls))
    names = list(TIMESCALE_OBSERVABLES)
    runs = [tuple(_checkpoints_from("J", [J], Lts, {k: np.asarray(rec[side][k])[i:i + 1] for k in _TS_SERIES})
                  .isel(J=0, drop=True)[names] for side in ("timescale_fast", "timescale_slow"))
            for i, J in enumerate(Js)]
    out["valid"] = _timescale_result(Js, Ts, Lts, int(rec["n_seeds"]), runs)
    out["record"] = rec
    return out


def spot_check_chapter_studies(rec, *, coupling=1.5, trust_index=0):
    """Re-run replica 0 of every study of a stored :func:`chapter_studies` at one condition.

    Replica 0 of :func:`run_replicas` has the seed ``replica_seeds(seed)[0]`` whatever
    ``n_seeds`` is, so a one-replica call reproduces it bit for bit: here at ``coupling``
    in both coupling scans and in both schedules of the timescale runs, and at the trust
    ``trusts[trust_index]`` of the downward study (five runs).

    Returns
    -------
    dict
        ``identical`` (bool: every re-run value equal to the stored one, bit for bit), ``n_runs``,
        ``n_values`` (values compared), ``max_abs_diff``.
    """
    kw = dict(n_agents=rec["n_agents"], n_communities=rec["n_communities"], n_seeds=1, seed=rec["seed"])
    Ls = [int(L) for L in rec["lengths"]]
    Lts = sorted(set(int(t) for t in rec["timescale_steps"]) | set(Ls))
    J, t = float(coupling), float(rec["trusts"][trust_index])
    i, i_ts = list(rec["couplings"]).index(J), list(rec["timescale_couplings"]).index(J)
    runs = [("scan", i, Ls, SERIES, run_replicas(n_steps=Ls[-1], coupling=J, **kw)),
            ("off", i, Ls, SERIES, run_replicas(n_steps=Ls[-1], coupling=J, **kw, **rec["off_params"])),
            ("downward", trust_index, Ls, SERIES,
             run_replicas(n_steps=Ls[-1], trust_rate=0.0, initial_trust=t, **kw))]
    fast, slow = _timescale_runs(J, Lts, meso_interval=rec["meso_interval"], macro_interval=rec["macro_interval"],
                                 **kw)
    runs += [("timescale_fast", i_ts, Lts, _TS_SERIES, fast), ("timescale_slow", i_ts, Lts, _TS_SERIES, slow)]
    pairs = [(v[0], np.asarray(rec[key][k])[idx, 0])
             for key, idx, L, names, r in runs for k, v in _stored_series(at_lengths(r, L), names).items()]
    new = np.concatenate([np.ravel(a) for a, _ in pairs])
    old = np.concatenate([np.ravel(b) for _, b in pairs])
    return {"identical": bool(np.array_equal(new, old)), "n_runs": len(runs), "n_values": int(new.size),
            "max_abs_diff": float(np.max(np.abs(new - old)))}


def explore_model(*, coupling=1.0, noise=0.3, n_communities=10, n_agents=1000, n_steps=50,
                  n_seeds=4, seed=0):
    """Sliders for J, T_social and C that redraw the three scales.

    The static book shows J = 0.5, 1.0, 1.3, 1.6, 2.0 precomputed (plus
    ``coupling`` if it differs; T_social and C at the given values), across the
    polarisation threshold near J = 1.4 at T_social = 0.3.
    """
    import ipywidgets as w

    from utacbook.viz._widgets import live_explorer

    def draw(coupling, noise, n_communities):
        r = run_replicas(n_agents=n_agents, n_communities=int(n_communities), n_steps=n_steps,
                         n_seeds=n_seeds, seed=seed, coupling=coupling, noise=noise)
        fig, axes = plot_three_scales(r)
        bf, e = mean_sem(r["between_fraction"])
        fig.suptitle(f"J={coupling:.2f}, T_social={noise:.2f}, C={int(n_communities)}: "
                     f"between-community share of variance {bf:.3f} ± {e:.3f}", fontsize=9)
        fig.tight_layout()
        return fig

    controls = {
        "coupling": w.FloatSlider(value=coupling, min=0.0, max=3.0, step=0.05,
                                  description="J"),
        "noise": w.FloatSlider(value=noise, min=0.05, max=1.0, step=0.05,
                               description="T_social"),
        "n_communities": w.IntSlider(value=n_communities, min=1, max=100, step=1,
                                     description="C"),
    }
    return live_explorer(draw, controls, static_param="coupling",
                         static_values=(0.5, 1.0, 1.3, 1.6, 2.0))


# ------------------------------------------------------------------ claims
#: tolerance of "exact" identities (rounding of sums of ~1e3 numbers of order 1)
ROUNDING_TOL = 1e-12


def claims(*, n_seeds=12, timescale_couplings=(0.5, 1.0, 1.25, 1.4, 1.5, 2.0),
           timescale_steps=(50, 200), scan_lengths=SCAN_LENGTHS,
           scan_couplings=(0.0, 0.5, 1.0, 1.25, 1.4, 1.5, 1.75, 2.0, 3.0), cohesion_couplings=(0.5, 1.0, 1.25)):
    """The claims of the multiscale text that the model chapter tests, with their criteria.

    Fixed before anything is measured; the chapter shows them with
    :func:`utacbook.claims.criteria_table` and judges them at the end.

    Parameters
    ----------
    n_seeds : int >= 2
        Replicas of the studies (sets the tolerance of the multi-timescale
        shortcut, 1/sqrt(n_seeds) replica standard deviations).
    timescale_couplings, timescale_steps : sequences
        The conditions of the multi-timescale test (for the scope text).
    scan_lengths : sequence of int
        The run lengths of the scans; the studies are judged at the longest,
        and convergence between the last two (:data:`CONVERGENCE_K`).
    scan_couplings, cohesion_couplings : sequences of float
        The couplings of the scans with and without the trust feedback, and
        those at which cohesion is compared with J = 0 (for the scope text).

    Returns
    -------
    list of :class:`utacbook.claims.Claim`
    """
    R = V.integer("n_seeds", n_seeds, low=2)
    tol = 1.0 / math.sqrt(R)
    Js = ", ".join(f"{j:g}" for j in timescale_couplings)
    Ts = " and ".join(str(t) for t in timescale_steps)
    Ls = sorted(V.integer("scan_lengths", L, low=1) for L in scan_lengths)
    if len(Ls) < 2:
        raise ValueError(f"scan_lengths needs at least two run lengths, got {Ls}")
    L1, L2 = Ls[-2], Ls[-1]
    Jscan = ", ".join(f"{j:g}" for j in scan_couplings)
    Jcoh = ", ".join(f"{j:g}" for j in cohesion_couplings)
    T_off = feedback_off_params()["noise"]
    conv = ("couplings whose points have not converged in the run length (see ms.model.converged) are "
            "left out")
    return [
        uc.Claim("ms.model.examples", source="multiscale", section="Usage Examples; Advanced Topics",
                 text="the basic simulation, upscale/downscale, analyze_scale_separation and a "
                      "subclass overriding an update method run as shown",
                 quantity="each snippet runs (with a seed added) and returns the documented records",
                 criterion=uc.Holds("runs and returns the micro, meso and macro records"),
                 scope="N = 1000, C = 10, 50 steps (the text's call), seed 2026"),
        uc.Claim("ms.model.coupling", source="multiscale", section="Key Features 1 (Automatic Scale Coupling)",
                 text="The framework automatically maintains consistency across scales",
                 quantity="|difference| of the population mean of satisfaction after upscaling, "
                          "downscaling, and a downscale-upscale round trip",
                 criterion=uc.Bound(upper=ROUNDING_TOL, k=0),
                 scope="final state of the basic simulation",
                 note="only the mean survives: downscaling gives every citizen the same value, so "
                      "the spread between communities is lost"),
        uc.Claim("ms.model.separation", source="multiscale", section="Key Concepts 4; Key Features 4",
                 text="Scale Separation: Understanding what variance exists at each level",
                 quantity="|total - (within + between)| of the variance of satisfaction",
                 criterion=uc.Bound(upper=ROUNDING_TOL, k=0),
                 scope="final state of the basic simulation",
                 note="an exact identity of the decomposition: it cannot fail except by a bug"),
        uc.Claim("ms.model.emergence", source="multiscale", section="Key Concepts 2 (Emergence)",
                 text="Macro patterns emerge from micro interactions",
                 quantity=f"between-community share of the variance of satisfaction after {L2} steps, "
                          "minus the same replicas without interaction (J = 0), paired",
                 criterion=uc.Sign(+1, k=3),
                 scope=f"J from 0.5 to 3 at N = 1000, C = 10, T_social = 0.3; {R} replicas; {conv}",
                 note="below the mean-field threshold the coupling only amplifies chance differences "
                      "between communities; above it the communities polarise. Reading and criterion "
                      "fixed after exploratory runs: the claim is read narrowly, as a between-community "
                      "pattern that the same citizens without interaction (J = 0) do not show; the "
                      "verdict under the stronger reading, that the communities polarise (between share "
                      "above 1/2 at 3 standard errors), is reported with the verdict. Run length revised "
                      f"(issue 14): first judged after 100 steps, before the convergence of the scan in "
                      f"the run length was checked; now after {L2} steps, at converged couplings only"),
        uc.Claim("ms.model.downward", source="multiscale", section="Key Concepts 3 (Downward Causation)",
                 text="Downward Causation: Macro conditions constrain micro behavior",
                 quantity="paired change of the citizens' spread of satisfaction and of the "
                          "between-community share when trust is frozen at 0.8 instead of 0.2",
                 criterion=uc.Sign(+1, k=3),
                 scope=f"J = 1, N = 1000, C = 10, {L2} steps, {R} replicas; observables not converged at "
                       "both trusts (see ms.model.converged) are left out",
                 note="true by construction: trust sets the noise T_eff that every citizen feels in "
                      "the model's equations, so the test only measures the size of a coupling we put "
                      f"in; it is no evidence of emergence. Run length revised (issue 14): 100 steps "
                      f"before, {L2} now"),
        uc.Claim("ms.model.timescales", source="multiscale",
                 section="Multi-Timescale Modeling; Optimization Tips 2",
                 text="Meso updates every 5 steps, Macro updates every 10 steps; Reduce coupling "
                      "frequency if not needed every step",
                 quantity="paired bias of the slow schedule at the end of the run, in replica "
                          "standard deviations of the every-step run, for mean satisfaction, spread, "
                          "between-community share, cohesion and trust (the one nearest to failing "
                          "is shown)",
                 criterion=uc.Bound(lower=-tol, upper=tol, k=2),
                 scope=f"J = {Js} after {Ts} steps; N = 1000, C = 10, {R} paired replicas; at the "
                       f"longest run, {conv}",
                 note=f"tolerance 1/√{R}: the shortcut must not move a {R}-replica mean by more "
                      "than its own standard error, accepted within 2 standard errors of that bound. "
                      "Tolerance and slack were fixed after exploratory runs; the verdict under a "
                      "zero-bias criterion (no paired bias beyond 2 standard errors) is reported with "
                      "the verdict. The longer run length was 200 steps before issue 14; it is now the "
                      "longest run of the convergence check"),
        uc.Claim("ms.model.custom", source="multiscale", section="Advanced Topics (Custom Scale Dynamics)",
                 text="Override update methods for custom behavior",
                 quantity="paired change of the between-community share when _update_meso makes "
                          "cohesion follow resources",
                 criterion=uc.Effect(alpha=0.01),
                 scope=f"J = 1, N = 1000, C = 10, {L2} steps (100 before issue 14), {R} replicas; "
                       "judged only if the paired change has converged"),
        uc.Claim("ms.model.cost", source="multiscale", section="Performance Considerations",
                 text="Multiscale: O(N + C + 1) where C = number of communities",
                 quantity="exponent of the time per step against N (C = 10) and against C "
                          "(N = 100 000), log-log fit",
                 criterion=uc.Bound(upper=1.2, k=2),
                 scope="one Numba thread, CPU time of the process; N from 3e4 to 1e6 (C = 10), C "
                       "from 10 to 1e4 (N = 1e5); fastest of 5 timed runs",
                 note="1.2, not 1: a linear algorithm's cost per citizen can rise by up to about 2 "
                      "when its arrays outgrow the processor's caches, which over the 30-fold "
                      "range fitted reads as an exponent up to 1 + log 2 / log 30 ≈ 1.2; an N log N "
                      "cost could not be told apart, a quadratic one could. The bound was raised from "
                      "1 after exploratory runs with wall-clock time, in which the verdict under 1 "
                      "flipped from run to run with the machine's load; the verdict of this run under "
                      "the bound 1 is reported with the verdict. CPU time no longer counts waiting for a "
                      "busy processor, but caches and memory bandwidth shared with other jobs still "
                      "move the exponent: it depends on the machine and its load"),
        uc.Claim("ms.model.memory", source="multiscale", section="Memory Usage",
                 text="Micro: O(N) agents; Meso: O(C) communities; Macro: O(1) global state",
                 quantity="exponent of the memory allocated by a new model against N (tracemalloc)",
                 criterion=uc.Bound(lower=0.95, upper=1.05, k=0),
                 scope="N = 50 000 to 200 000, C = 10",
                 note="±0.05 allows for fixed allocations of a few kB at these sizes. Only the micro "
                      "O(N) part is tested: at C = 10 the meso O(C) and macro O(1) parts are too small "
                      "to measure"),
        uc.Claim("ms.model.converged", source="ours", section="",
                 text=f"The chapter's scans near the threshold have converged after {L2} steps",
                 quantity=f"paired change of the replica mean of each scanned observable from {L1} to "
                          f"{L2} steps: between-community share and cohesion against J, the share "
                          "without trust feedback, spread and share at frozen trust, the custom "
                          "model's paired change, the multi-timescale biases",
                 criterion=uc.Agreement(0.0, k=CONVERGENCE_K),
                 scope=f"run lengths {', '.join(map(str, Ls))} steps (the same runs read at each length); "
                       f"N = 1000, C = 10, {R} replicas",
                 note="criterion fixed before the long runs were made (issue 14). A point that fails it "
                      "is named in the text and left out of the verdicts that rest on it. A pass can "
                      "come from large errors and does not exclude a slower drift beyond the longest "
                      "run, so points whose successive changes all have the same sign are flagged as a "
                      "monotone drift and named in the text. The points share the same replica seeds, "
                      "so their chance failures are strongly correlated, not independent one-in-twenty "
                      "events. Checked on levels for the scans against J and trust, on paired "
                      "differences for the custom model and the multi-timescale biases"),
        uc.Claim("ms.model.cohesion", source="ours", section="",
                 text="Below the threshold cohesion is the same at every coupling: it relaxes to "
                      "1 − 2 std of satisfaction, a spread fixed by the unit noise (issue 14: "
                      "0.752 ± 0.001 for every J ≤ 1.25)",
                 quantity=f"paired change of the average cohesion from J = 0, after {L2} steps",
                 criterion=uc.Agreement(0.0, k=2, abs_tol=0.001,
                                        tolerance_from="ours: the ±0.001 that issue 14 quotes"),
                 scope=f"J ≤ 1.25 (J = {Jcoh}); N = 1000, C = 10, {R} paired replicas; {conv}",
                 note="the ±0.001 tolerance was adopted from the error that issue 14 quotes, after an "
                      "exploratory run; the verdict under a zero tolerance (paired change within 2 "
                      "standard errors of zero) is reported with the verdict. Cohesion rises steadily "
                      "with J; nearer the threshold (J = 1.4) the rise exceeds the tolerance, and the "
                      "claim was tested only up to J = 1.25"),
        uc.Claim("ms.model.feedback", source="ours", section="",
                 text="Switching the trust feedback off (η = 0 at the same effective temperature) "
                      "leaves the between-community share of the coupling scan unchanged (issue 14)",
                 quantity=f"paired change of the between-community share after {L2} steps when "
                          f"η = 0 and T_social = {T_off:.2f}",
                 criterion=uc.Agreement(0.0, k=2),
                 scope=f"J = {Jscan}; N = 1000, C = 10, {R} paired replicas; {conv}",
                 note="with the same seeds the two runs start from the same state with the same noise, "
                      "so the comparison resolves changes below the scatter between replicas. Only the "
                      "between-community share is tested: approval and trust, which the same runs show "
                      "to change, are reported beside the verdict, not judged. Wording narrowed from "
                      "'the coupling scan' to 'the between-community share' after the referee of "
                      "issue 14 measured the approval change"),
    ]
