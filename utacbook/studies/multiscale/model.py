r"""Studies and plots for the chapter "A micro, meso and macro model of a population".

Every function here runs :class:`utacbook.models.GovernmentMultiscaleModel`
(or a subclass passed as ``model_cls``) over independent replicas and returns
plain NumPy arrays; the plot helpers return ``(fig, axes)`` and never call
``plt.show``.  Replica ``k`` of a study with master ``seed`` uses the child
``numpy.random.SeedSequence(seed).spawn(n_seeds)[k]``, so two studies with the
same ``seed`` and ``n_seeds`` use the same initial states and noise streams
(common random numbers): paired differences between them measure the effect
of the changed setting, not seed-to-seed scatter.

Error bars are the standard error of the mean over replicas (s.e.m.,
``std(ddof=1) / sqrt(n_seeds)``).
"""

from __future__ import annotations

import math
import time
import tracemalloc

import numpy as np

from utacbook import _validate as V
from utacbook import claims as uc
from utacbook.report import format_pm
from utacbook.models._multiscale import GovernmentMultiscaleModel, MultiscaleModel, ScaleLevel, analyze_scale_separation

__all__ = ["replica_seeds", "run_replicas", "mean_sem", "plot_three_scales", "mean_preservation",
           "coupling_scan", "plot_coupling_scan", "mean_field_coupling_threshold",
           "timescale_comparison", "plot_timescales", "downward_causation", "scaling_benchmark",
           "plot_scaling", "memory_per_citizen", "explore_model", "claims", "emergence_measurements",
           "timescale_validity", "timescale_measurements", "TIMESCALE_OBSERVABLES",
           "half_coupling", "polarisation_measurements"]

#: the per-step series :func:`run_replicas` records (keys of its result)
SERIES = ("avg_satisfaction", "micro_std", "avg_cohesion", "resource_inequality", "approval",
          "trust")


def replica_seeds(seed=0, n_seeds=12):
    """The child seed sequences of the replicas (see the module docstring).

    Parameters
    ----------
    seed : int >= 0
    n_seeds : int >= 1

    Returns
    -------
    list of numpy.random.SeedSequence
    """
    seed = V.integer("seed", seed, low=0)
    n_seeds = V.integer("n_seeds", n_seeds, low=1)
    return np.random.SeedSequence(seed).spawn(n_seeds)


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


def run_replicas(*, n_agents=1000, n_communities=10, n_steps=50, n_seeds=12, seed=0,
                 meso_interval=1, macro_interval=1, model_cls=GovernmentMultiscaleModel,
                 **params):
    """Run ``n_seeds`` independent models and collect the three scales over time.

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
        meso_interval=, macro_interval=, **params``).
    **params
        Model parameters (see :class:`utacbook.models.MultiscaleModel`).

    Returns
    -------
    dict
        ``step`` (int array, n_steps); for each name in :data:`SERIES` an
        array of shape (n_seeds, n_steps): ``avg_satisfaction`` (= approval
        computed every step), ``micro_std`` (population std of s),
        ``avg_cohesion``, ``resource_inequality`` (Gini of R_c), ``approval``
        and ``trust`` (values of the last macro update);
        ``separation``: list of :func:`utacbook.models.analyze_scale_separation` dicts of the
        final states; ``between_fraction`` and ``log10_ratio`` (arrays,
        n_seeds) of the final states; ``models``: the final models.
    """
    _check_cls(model_cls)
    n_steps = V.integer("n_steps", n_steps, low=1)
    seeds = replica_seeds(seed, n_seeds)
    out = {k: np.zeros((len(seeds), n_steps)) for k in SERIES}
    seps, models = [], []
    for k, s in enumerate(seeds):
        m = model_cls(n_agents, n_communities, seed=s, meso_interval=meso_interval,
                      macro_interval=macro_interval, **params)
        hist = m.run(n_steps, quantiles=False)
        for t, h in enumerate(hist):
            out["avg_satisfaction"][k, t] = h["micro_metrics"]["avg_satisfaction"]
            out["micro_std"][k, t] = h["micro"]["std"]
            out["avg_cohesion"][k, t] = h["meso_metrics"]["avg_cohesion"]
            out["resource_inequality"][k, t] = h["meso_metrics"]["resource_inequality"]
            out["approval"][k, t] = h["macro"]["approval"]
            out["trust"][k, t] = h["macro"]["trust"]
        seps.append(analyze_scale_separation(m))
        models.append(m)
    out["step"] = np.arange(1, n_steps + 1)
    out["separation"] = seps
    tot = np.array([s["total_variance"] for s in seps])
    out["between_fraction"] = np.array([s["between_group_variance"] for s in seps]) / tot
    out["log10_ratio"] = np.log10(np.array([s["variance_ratio"] for s in seps]))
    out["models"] = models
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
    t = reps["step"]
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


def coupling_scan(J_values=(0.0, 0.5, 1.0, 1.25, 1.5, 1.75, 2.0, 3.0), *, n_agents=1000,
                  n_communities=10, n_steps=100, n_seeds=8, seed=0, **params):
    """Between-community share of the satisfaction variance against the coupling J.

    Parameters
    ----------
    J_values : sequence of float
        Couplings :math:`J` (dimensionless).
    n_agents, n_communities, n_steps, n_seeds, seed, **params
        As :func:`run_replicas` (the same replica seeds at every J).

    Returns
    -------
    dict of arrays (len(J_values))
        ``J``; ``between_fraction``, ``_err``
        (between / total variance of the final states, mean ± s.e.m.);
        ``log10_ratio``, ``_err`` (log10 of between / within);
        ``approval``, ``_err``; ``cohesion``, ``_err`` (final averages);
        ``between_fraction_seeds`` (array (len(J_values), n_seeds): the value of
        every replica, paired across J).
    """
    J = V.real_array("J_values", J_values, ndim=1, min_len=1)
    keys = ("between_fraction", "log10_ratio", "approval", "cohesion")
    res = {k: [] for k in keys}
    res.update({k + "_err": [] for k in keys})
    seeds = []
    for j in J:
        r = run_replicas(n_agents=n_agents, n_communities=n_communities, n_steps=n_steps,
                         n_seeds=n_seeds, seed=seed, coupling=float(j), **params)
        vals = {"between_fraction": r["between_fraction"], "log10_ratio": r["log10_ratio"],
                "approval": r["approval"][:, -1], "cohesion": r["avg_cohesion"][:, -1]}
        seeds.append(r["between_fraction"])
        for k in keys:
            m, e = mean_sem(vals[k])
            res[k].append(float(m))
            res[k + "_err"].append(float(e))
    out = {k: np.array(v) for k, v in res.items()}
    out["J"] = J
    out["between_fraction_seeds"] = np.array(seeds)
    return out


def emergence_measurements(scan, *, reference=0.0):
    """Paired excess of the between-community share over the model without interaction.

    For every coupling of ``scan`` (from :func:`coupling_scan`) except
    ``reference``, the replica-by-replica difference of the between / total
    variance share against the same replicas at ``J = reference`` (no
    interaction between citizens), as mean ± s.e.m.

    Returns
    -------
    list of :class:`utacbook.claims.Measurement`, condition ``"J = ..."``.
    """
    J = [float(j) for j in scan["J"]]
    if float(reference) not in J:
        raise ValueError(f"reference must be one of the scanned couplings {J}, got {reference!r}")
    i0 = J.index(float(reference))
    b = scan["between_fraction_seeds"]
    out = []
    for i, j in enumerate(J):
        if i == i0:
            continue
        m, e = mean_sem(b[i] - b[i0])
        out.append(uc.Measurement(float(m), float(e), condition=f"J = {j:g}"))
    return out


def mean_field_coupling_threshold(*, noise=0.3, trust=0.5, trust_noise=1.0, cohesion=None,
                                  within_std=None, wealth_weight=0.2, wealth_alpha=2.5,
                                  n_nodes=80):
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
    distribution at :math:`J = 0` (computed by quadrature, inertia 1; with
    inertia :math:`\lambda < 1` the std is smaller, so pass the measured one).
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

    Returns
    -------
    dict of float
        ``J_c``, ``T_eff``, ``cohesion``, ``slope`` (the expectation
        of sigma').
    """
    noise = V.real("noise", noise, positive=True)
    trust = V.real("trust", trust, low=0.0, high=1.0)
    eta = V.real("trust_noise", trust_noise, nonnegative=True)
    b = V.real("wealth_weight", wealth_weight)
    alpha = V.real("wealth_alpha", wealth_alpha, low=1.0 + 1e-9)
    n = V.integer("n_nodes", n_nodes, low=8)
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
        if within_std is None:
            m1 = float(np.sum(W * sig))
            within_std = math.sqrt(max(float(np.sum(W * sig * sig)) - m1 * m1, 0.0))
        within_std = V.real("within_std", within_std, nonnegative=True)
        cohesion = min(max(1.0 - 2.0 * within_std, 0.0), 1.0)
    cohesion = V.real("cohesion", cohesion, low=0.0, high=1.0)
    if cohesion <= 0:
        raise ValueError("cohesion must be > 0")
    return {"J_c": T / (2.0 * cohesion * slope), "T_eff": T, "cohesion": cohesion,
            "slope": slope}


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
                         n_communities=10, n_steps=50, n_seeds=12, seed=0, **params):
    """Paired comparison of a multi-timescale run with the every-step schedule.

    Both runs use the same replica seeds (identical initial states and noise
    streams), so the differences are caused by the schedule alone.

    Returns
    -------
    dict
        ``fast`` and ``slow``: :func:`run_replicas` results (intervals 1/1
        and ``meso_interval``/``macro_interval``); ``diff``: dict of arrays
        (n_seeds, n_steps), slow - fast, for each series; ``final``: dict
        name -> (mean, sem) of the paired difference at the last step;
        ``max_abs``: dict name -> (mean, sem) of the largest ``|difference|``
        over the run.
    """
    fast = run_replicas(n_agents=n_agents, n_communities=n_communities, n_steps=n_steps,
                        n_seeds=n_seeds, seed=seed, **params)
    slow = run_replicas(n_agents=n_agents, n_communities=n_communities, n_steps=n_steps,
                        n_seeds=n_seeds, seed=seed, meso_interval=meso_interval,
                        macro_interval=macro_interval, **params)
    diff = {k: slow[k] - fast[k] for k in SERIES}
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
def polarisation_measurements(scan, *, level=0.5, reference=0.0):
    """The between-community share minus ``level`` at every coupling but ``reference``.

    The stronger reading of "macro patterns emerge": the communities polarise,
    so that most of the variance of satisfaction lies between them.

    Returns
    -------
    list of :class:`utacbook.claims.Measurement`
        (mean ± s.e.m. over replicas),
        condition ``"J = ..."``.
    """
    J = [float(j) for j in scan["J"]]
    out = []
    for i, j in enumerate(J):
        if j == float(reference):
            continue
        out.append(uc.Measurement(float(scan["between_fraction"][i]) - level,
                                  float(scan["between_fraction_err"][i]), condition=f"J = {j:g}",
                                  text=f"{format_pm(scan['between_fraction'][i], scan['between_fraction_err'][i])}"))
    return out


def half_coupling(scan, *, level=0.5, n_boot=1000, seed=0):
    """Coupling at which the mean between-community share crosses ``level``, with a bootstrap error.

    Linear interpolation of the replica-mean share between the scanned
    couplings (the share must rise through ``level``); the error is the
    standard deviation over ``n_boot`` resamples of the replicas (the same
    resample at every coupling, which keeps the pairing).  The interpolation
    itself adds an error of the order of the grid spacing near the crossing,
    which the bootstrap does not include.

    Returns
    -------
    tuple (J_half, err) of float; J_half is nan if the mean share never crosses ``level``.
    """
    J = np.asarray(scan["J"], float)
    b = np.asarray(scan["between_fraction_seeds"], float)      # (len(J), n_seeds)

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


TIMESCALE_OBSERVABLES = {"avg_satisfaction": "mean satisfaction", "micro_std": "spread of s",
                         "between_fraction": "between-community share",
                         "avg_cohesion": "cohesion", "trust": "trust"}


def timescale_validity(couplings=(0.5, 1.0, 1.25, 1.4, 1.5, 2.0), *, steps=(50, 200),
                       meso_interval=5, macro_interval=10, n_agents=1000, n_communities=10,
                       n_seeds=12, seed=0, **params):
    r"""Does the multi-timescale schedule change the results?  Paired, at several J and run lengths.

    For every coupling and run length, :func:`timescale_comparison` runs the
    every-step schedule and the slow one (``meso_interval``,
    ``macro_interval``) with the same replica seeds.  For each observable of
    :data:`TIMESCALE_OBSERVABLES` at the end of the run, the paired
    difference slow - fast is divided by the replica standard deviation of
    the every-step observable (ddof 1): a standardised bias :math:`d`, with
    its standard error.  The tolerance of the shortcut is
    :math:`1/\sqrt{n_\mathrm{seeds}}`: a bias no larger than the standard
    error of an ``n_seeds``-replica mean, so that the shortcut would not move
    a result of such a study by more than its own error bar.

    Returns
    -------
    dict
        ``couplings``, ``steps``, ``tolerance``; ``d[(J, T)][name] = (d,
        err)``; ``raw[(J, T)][name] = (mean difference, s.e.m.)`` in the
        observable's units; ``fast_mean[(J, T)][name]``.
    """
    Js = [V.real("couplings", j) for j in couplings]
    Ts = [V.integer("steps", t, low=1) for t in steps]
    R = V.integer("n_seeds", n_seeds, low=2)
    d, raw, fm = {}, {}, {}
    for J in Js:
        for T in Ts:
            c = timescale_comparison(meso_interval=meso_interval, macro_interval=macro_interval,
                                     n_agents=n_agents, n_communities=n_communities,
                                     n_steps=T, n_seeds=R, seed=seed, coupling=J, **params)
            d[(J, T)], raw[(J, T)], fm[(J, T)] = {}, {}, {}
            for name in TIMESCALE_OBSERVABLES:
                if name == "between_fraction":
                    f, sl = c["fast"][name], c["slow"][name]
                else:
                    f, sl = c["fast"][name][:, -1], c["slow"][name][:, -1]
                diff = sl - f
                m, e = mean_sem(diff)
                sd = float(np.std(f, ddof=1))
                if sd == 0.0:
                    sd = 1.0  # a constant observable: its difference is judged in its own units
                raw[(J, T)][name] = (float(m), float(e))
                d[(J, T)][name] = (float(m) / sd, float(e) / sd)
                fm[(J, T)][name] = float(np.mean(f))
    return {"couplings": Js, "steps": Ts, "tolerance": 1.0 / math.sqrt(R), "d": d, "raw": raw,
            "fast_mean": fm, "n_seeds": R}


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
                       n_seeds=8, seed=0, **params):
    """Freeze the macro level at a given trust and measure the micro level.

    ``trust_rate`` is set to 0, so trust stays at ``initial_trust`` and sets
    :math:`T_\\mathrm{eff}` for the whole run.  The same replica seeds are
    used at every trust (paired).

    Returns
    -------
    dict of arrays (len(trusts))
        ``trust``, ``T_eff``; ``micro_std``,
        ``_err`` (population std of satisfaction at the end, mean ± s.e.m.);
        ``between_fraction``, ``_err``; plus ``paired_std_diff`` (mean, sem) of
        micro_std(last trust) - micro_std(first trust) and ``paired_between_diff``
        (the same for between_fraction).
    """
    params = dict(params)
    params["trust_rate"] = 0.0
    tr = V.real_array("trusts", trusts, ndim=1, min_len=2)
    stds, bfs, teff = [], [], []
    for t in tr:
        r = run_replicas(n_agents=n_agents, n_communities=n_communities, n_steps=n_steps,
                         n_seeds=n_seeds, seed=seed, initial_trust=float(t), **params)
        stds.append(r["micro_std"][:, -1])
        bfs.append(r["between_fraction"])
        teff.append(r["models"][0].effective_temperature)
    out = {"trust": tr, "T_eff": np.array(teff)}
    for name, arr in (("micro_std", stds), ("between_fraction", bfs)):
        ms = [mean_sem(a) for a in arr]
        out[name] = np.array([m for m, _ in ms])
        out[name + "_err"] = np.array([e for _, e in ms])
    out["paired_std_diff"] = tuple(map(float, mean_sem(stds[-1] - stds[0])))
    out["paired_between_diff"] = tuple(map(float, mean_sem(bfs[-1] - bfs[0])))
    return out


def _time_run(N, C, n_steps, seed):
    m = GovernmentMultiscaleModel(N, C, seed=seed)
    m.run(2, quantiles=False)                     # warm-up (JIT, caches)
    t0 = time.process_time()                      # CPU time: waiting for a busy processor does not count
    m.run(n_steps, quantiles=False)
    return (time.process_time() - t0) / n_steps


def scaling_benchmark(*, N_values=(10_000, 30_000, 100_000, 300_000), C_fixed=10,
                      C_values=(10, 100, 1000, 10_000), N_fixed=100_000, n_steps=10,
                      repeats=3, fit_from=None, seed=0):
    """CPU time per step against N (fixed C) and against C (fixed N).

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
        of a straight-line fit t = fixed + per_citizen · N over all N (the
        "+ 1" and "N" terms of O(N + C + 1) at fixed C).
    """
    Ns = [V.integer("N_values", n, low=1) for n in N_values]
    Cs = [V.integer("C_values", c, low=1) for c in C_values]
    repeats = V.integer("repeats", repeats, low=1)

    def times(N, C):
        return np.array([_time_run(N, C, n_steps, seed + r) for r in range(repeats)])

    TN = np.array([times(n, C_fixed) for n in Ns])      # (len(N_values), repeats)
    TC = np.array([times(N_fixed, c) for c in Cs])
    out = {"N": np.array(Ns), "t_N": TN.min(axis=1),
           "t_N_err": 0.5 * (TN.max(axis=1) - TN.min(axis=1)), "C": np.array(Cs),
           "t_C": TC.min(axis=1), "t_C_err": 0.5 * (TC.max(axis=1) - TC.min(axis=1)),
           "C_fixed": C_fixed, "N_fixed": N_fixed, "repeats": repeats}
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
    b1, b0 = np.polyfit(out["N"].astype(float), out["t_N"], 1)
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
           timescale_steps=(50, 200)):
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

    Returns
    -------
    list of :class:`utacbook.claims.Claim`
    """
    R = V.integer("n_seeds", n_seeds, low=2)
    tol = 1.0 / math.sqrt(R)
    Js = ", ".join(f"{j:g}" for j in timescale_couplings)
    Ts = " and ".join(str(t) for t in timescale_steps)
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
                 quantity="between-community share of the variance of satisfaction after 100 steps, "
                          "minus the same replicas without interaction (J = 0), paired",
                 criterion=uc.Sign(+1, k=3),
                 scope=f"J from 0.5 to 3 at N = 1000, C = 10, T_social = 0.3; {R} replicas",
                 note="below the mean-field threshold the coupling only amplifies chance differences "
                      "between communities; above it the communities polarise. Reading and criterion "
                      "fixed after exploratory runs: the claim is read narrowly, as a between-community "
                      "pattern that the same citizens without interaction (J = 0) do not show; the "
                      "verdict under the stronger reading, that the communities polarise (between share "
                      "above 1/2 at 3 standard errors), is reported with the verdict"),
        uc.Claim("ms.model.downward", source="multiscale", section="Key Concepts 3 (Downward Causation)",
                 text="Downward Causation: Macro conditions constrain micro behavior",
                 quantity="paired change of the citizens' spread of satisfaction and of the "
                          "between-community share when trust is frozen at 0.8 instead of 0.2",
                 criterion=uc.Sign(+1, k=3),
                 scope=f"J = 1, N = 1000, C = 10, 100 steps, {R} replicas",
                 note="true by construction: trust sets the noise T_eff that every citizen feels in "
                      "the model's equations, so the test only measures the size of a coupling we put "
                      "in; it is no evidence of emergence"),
        uc.Claim("ms.model.timescales", source="multiscale",
                 section="Multi-Timescale Modeling; Optimization Tips 2",
                 text="Meso updates every 5 steps, Macro updates every 10 steps; Reduce coupling "
                      "frequency if not needed every step",
                 quantity="paired bias of the slow schedule at the end of the run, in replica "
                          "standard deviations of the every-step run, for mean satisfaction, spread, "
                          "between-community share, cohesion and trust (the one nearest to failing "
                          "is shown)",
                 criterion=uc.Bound(lower=-tol, upper=tol, k=2),
                 scope=f"J = {Js} after {Ts} steps; N = 1000, C = 10, {R} paired replicas",
                 note=f"tolerance 1/√{R}: the shortcut must not move a {R}-replica mean by more "
                      "than its own standard error, accepted within 2 standard errors of that bound. "
                      "Tolerance and slack were fixed after exploratory runs; the verdict under a "
                      "zero-bias criterion (no paired bias beyond 2 standard errors) is reported with "
                      "the verdict"),
        uc.Claim("ms.model.custom", source="multiscale", section="Advanced Topics (Custom Scale Dynamics)",
                 text="Override update methods for custom behavior",
                 quantity="paired change of the between-community share when _update_meso makes "
                          "cohesion follow resources",
                 criterion=uc.Effect(alpha=0.01),
                 scope=f"J = 1, N = 1000, C = 10, 100 steps, {R} replicas"),
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
    ]
