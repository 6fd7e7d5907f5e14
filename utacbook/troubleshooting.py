"""Studies behind the guide's troubleshooting advice and its equilibration claim.

The guide's troubleshooting section gives recipes ("increase ``n_steps``",
"widen the R-range", "reduce ``lattice_size``", "adjust J, T via
beta ~ J/T").  :func:`compare_settings` tests such a recipe: it runs the
guide's emergent-beta measurement
(:meth:`utacbook.abm.EmergentBetaSimulator.compute_emergent_beta_replicas`)
for a base setting and for named variants of it, over independent replicas
with one seed, and returns one row per setting with the fitted beta, the
fit's R^2, the cost and the change against the base.  :func:`settings_table`
and :func:`plot_settings` show the rows.

:func:`equilibration_study` checks the guide's statement that the mean
activation "stabilizes after ~50-100 steps": it records the mean activation
after every sweep and reports the sweep after which the replica-mean trace
stays within four replica standard errors of its final value
(:func:`convergence_sweep`).  :func:`plot_traces` draws the traces.
"""

from __future__ import annotations

import functools
import math
import time

import numpy as np

from . import _validate as v
from ._rng import resolve_seed
from .abm import ABMParams, EmergentBetaSimulator, scan_field
from .theory import mean_field_emergent_beta

__all__ = ["PARAM_KEYS", "SCAN_KEYS", "compare_settings", "settings_table", "plot_settings",
           "convergence_sweep", "equilibration_study", "plot_traces",
           "scan_points_next_to_midpoint", "sweeps_study", "worst_deviation", "first_within",
           "worst_deviation_from", "sweeps_spot_check", "plot_sweeps_study"]

#: variant keys that change the model (fields of :class:`utacbook.abm.ABMParams`)
PARAM_KEYS = ("J", "T", "lattice_size", "update")
#: variant keys that change the scan protocol
SCAN_KEYS = ("R_min", "R_max", "n_points", "n_steps")


# --------------------------------------------------------------------------- settings


def _settings(params, scan, name):
    """Validate one full setting (model + scan); return it as a plain dict."""
    try:
        p = ABMParams(J=params["J"], h=0.0, T=params["T"], lattice_size=params["lattice_size"],
                      update=params["update"])
    except (TypeError, ValueError) as exc:
        raise type(exc)(f"setting {name!r}: {exc}") from None
    R_min = v.real("R_min", scan["R_min"])
    R_max = v.real("R_max", scan["R_max"])
    if not R_min < R_max:
        raise ValueError(f"setting {name!r}: R_min must be < R_max, got R_min={R_min}, "
                         f"R_max={R_max}")
    out = {"J": float(p.J), "T": float(p.T), "lattice_size": int(p.lattice_size),
           "update": p.update, "R_min": R_min, "R_max": R_max,
           "n_points": v.integer("n_points", scan["n_points"], low=3),
           "n_steps": v.integer("n_steps", scan["n_steps"], low=1)}
    return out


@functools.lru_cache(maxsize=256)
def _mean_field_beta_on_grid(J, T, R_min, R_max, n_points):
    """The logistic fit applied to the mean-field response on the scan grid (cached:
    variants that change only L or n_steps share it)."""
    return float(mean_field_emergent_beta(J, T, R_min=R_min, R_max=R_max, n_points=n_points)[0])


def _measure(s, n_replicas, seed):
    """One setting, all replicas: the guide's measurement plus our summaries."""
    p = ABMParams(J=s["J"], h=0.0, T=s["T"], lattice_size=s["lattice_size"], seed=seed,
                  update=s["update"])
    t0 = time.perf_counter()
    res = EmergentBetaSimulator(p).compute_emergent_beta_replicas(
        n_replicas, s["R_min"], s["R_max"], s["n_points"], n_steps=s["n_steps"])
    runtime = time.perf_counter() - t0
    betas, r2, thetas = res["betas"], res["r_squared"], res["thetas"]
    ok = np.isfinite(betas)
    spacing = (s["R_max"] - s["R_min"]) / (s["n_points"] - 1)
    with np.errstate(divide="ignore"):
        width = 2.0 * math.log(9.0) / np.abs(betas[ok])
    beta_mf = _mean_field_beta_on_grid(s["J"], s["T"], s["R_min"], s["R_max"], s["n_points"])

    def mstd(x):
        x = x[np.isfinite(x)]
        m = float(x.mean()) if x.size else float("nan")
        sd = float(x.std(ddof=1)) if x.size > 1 else float("nan")
        return m, sd

    r2_mean, r2_std = mstd(r2)
    th_mean, th_std = mstd(thetas)
    return {
        "settings": dict(s), "J_over_T": s["J"] / s["T"],
        "n_replicas": int(n_replicas), "n_ok": res["n_ok"], "reasons": res["reasons"],
        "betas": betas, "r_squared": r2, "thetas": thetas,
        "beta_mean": res["beta_mean"], "beta_std": res["beta_std"], "beta_sem": res["beta_sem"],
        "r2_mean": r2_mean, "r2_std": r2_std, "theta_mean": th_mean, "theta_std": th_std,
        "n_grid_limited": int(np.sum(width < spacing)), "grid_spacing": spacing,
        "beta_mf": beta_mf,
        "updates": int(s["n_points"] * s["n_steps"] * s["lattice_size"] ** 2),
        "runtime_s": runtime, "seed": int(seed),
        "R_values": res["R_values"], "sigma_mean": res["sigma_mean"],
        "sigma_sem": res["sigma_sem"],
    }


def _paired(x, y):
    """Mean and standard error of the paired differences y - x over finite pairs."""
    d = np.asarray(y, dtype=float) - np.asarray(x, dtype=float)
    d = d[np.isfinite(d)]
    if d.size == 0:
        return float("nan"), float("nan")
    sem = float(d.std(ddof=1) / math.sqrt(d.size)) if d.size > 1 else float("nan")
    return float(d.mean()), sem


_WARM = []


def _warm_up():
    """Load the compiled kernels once, so the first timed row does not pay for it."""
    if not _WARM:
        scan_field(0.0, 1.0, [0.0, 0.1], lattice_size=2, n_steps=1, seed=0)
        _WARM.append(True)


def compare_settings(base_params, variants, *, R_min=-2.0, R_max=2.0, n_points=25, n_steps=100,
                     n_replicas=5, seed=None, include_base=True, base_name="base"):
    """Measure the emergent beta for a base setting and named variants of it.

    Every setting runs the guide's protocol (a field scan on an even grid,
    each point from a fresh random lattice, then the logistic fit) over
    ``n_replicas`` independent replicas, all with the same root ``seed``: a
    variant whose settings equal the base gives exactly the base's numbers,
    and differences between settings are measured replica by replica.

    Parameters
    ----------
    base_params : ABMParams
        The base model: ``J``, ``T``, ``lattice_size`` and ``update`` are used;
        ``h`` is ignored (the field is scanned).
    variants : dict of str -> dict
        Name -> overrides of the base.  Allowed keys: ``J``, ``T``,
        ``lattice_size``, ``update`` (model) and ``R_min``, ``R_max``,
        ``n_points``, ``n_steps`` (scan).  An empty dict repeats the base.
    R_min, R_max : float, default -2, 2
        Base field range of the scan, R_min < R_max.
    n_points : int, default 25
        Base number of grid points, >= 3.
    n_steps : int, default 100
        Base number of sweeps per scan point, >= 1.
    n_replicas : int, default 5
        Independent replicas per setting, >= 2 (for an error bar).
    seed : int or None, default None
        Root seed shared by all settings.  None takes ``base_params.seed``,
        and draws fresh entropy if that is None too; the seed used is in
        every row.
    include_base : bool, default True
        Put the base setting first, under ``base_name``.
    base_name : str, default "base"
        Name of the base row; must not also be a variant name.

    Returns
    -------
    list of dict
        One row per setting (base first), with keys ``name``, ``changes``
        (the overrides), ``settings`` (all eight settings), ``J_over_T``,
        ``n_replicas``, ``n_ok`` (replicas with a finite beta), ``reasons``
        (fit failures), ``betas``, ``r_squared``, ``thetas`` (per replica),
        ``beta_mean``, ``beta_std``, ``beta_sem``, ``r2_mean``, ``r2_std``,
        ``theta_mean``, ``theta_std``, ``n_grid_limited`` (replicas whose
        fitted 10-90 % width is below the grid spacing ``grid_spacing``),
        ``beta_mf`` (the same logistic fit applied to the mean-field curve on
        the same grid), ``updates`` (site updates per replica scan),
        ``runtime_s`` (wall time of all replicas, run in parallel), ``seed``,
        ``R_values``, ``sigma_mean``, ``sigma_sem``, and, when the base is
        included, ``delta_beta``, ``delta_beta_sem``, ``delta_r2``,
        ``delta_r2_sem`` (paired replica differences against the base; 0 for
        the base itself), ``beta_ratio`` (beta_mean / base beta_mean) and
        ``speedup`` (base updates / updates).

    Raises
    ------
    TypeError
        If ``base_params`` is not an ``ABMParams`` or ``variants`` not a dict
        of dicts.
    ValueError
        If a variant has an unknown key or a bad value (the message names the
        variant and the parameter), or a scan argument is out of range.
    """
    if not isinstance(base_params, ABMParams):
        raise TypeError(f"base_params must be an ABMParams, got {type(base_params).__name__}")
    if not isinstance(variants, dict):
        raise TypeError(f"variants must be a dict of name -> overrides, got "
                        f"{type(variants).__name__}")
    n_replicas = v.integer("n_replicas", n_replicas, low=2)
    if seed is None:
        seed = base_params.seed
    _, seed = resolve_seed(seed)
    base_name = str(base_name)
    params = {k: getattr(base_params, k) for k in PARAM_KEYS}
    scan = {"R_min": R_min, "R_max": R_max, "n_points": n_points, "n_steps": n_steps}
    base = _settings(params, scan, base_name)

    todo = []
    if include_base:
        if base_name in variants:
            raise ValueError(f"base_name {base_name!r} is also a variant name; rename one")
        todo.append((base_name, {}, base))
    for name, over in variants.items():
        if not isinstance(over, dict):
            raise TypeError(f"variants[{name!r}] must be a dict of overrides, got "
                            f"{type(over).__name__}")
        bad = sorted(set(over) - set(PARAM_KEYS) - set(SCAN_KEYS))
        if bad:
            raise ValueError(f"variants[{name!r}]: unknown setting(s) {bad}; allowed: "
                             f"{list(PARAM_KEYS) + list(SCAN_KEYS)}")
        p = {**params, **{k: over[k] for k in PARAM_KEYS if k in over}}
        s = {**scan, **{k: over[k] for k in SCAN_KEYS if k in over}}
        todo.append((str(name), dict(over), _settings(p, s, str(name))))

    _warm_up()
    rows = []
    for name, over, s in todo:
        row = {"name": name, "changes": over}
        row.update(_measure(s, n_replicas, seed))
        rows.append(row)
    if include_base:
        b = rows[0]
        for row in rows:
            row["delta_beta"], row["delta_beta_sem"] = _paired(b["betas"], row["betas"])
            row["delta_r2"], row["delta_r2_sem"] = _paired(b["r_squared"], row["r_squared"])
            row["beta_ratio"] = (row["beta_mean"] / b["beta_mean"] if b["beta_mean"]
                                 else float("nan"))
            row["speedup"] = b["updates"] / row["updates"]
    return rows


# --------------------------------------------------------------------------- display


def _pm(x, err, digits=3):
    if x is None or not np.isfinite(x):
        return "nan"
    s = f"{x:.{digits}g}"
    if err is not None and np.isfinite(err):
        s += f" ± {err:.2g}"
    return s


def _changes(row):
    if not row["changes"]:
        s = row["settings"]
        return (f"J={s['J']:g}, T={s['T']:g}, L={s['lattice_size']}, "
                f"R∈[{s['R_min']:g}, {s['R_max']:g}], n_points={s['n_points']}, "
                f"n_steps={s['n_steps']}")
    return ", ".join(f"{'L' if k == 'lattice_size' else k}={val:g}"
                     if isinstance(val, (int, float)) else f"{k}={val}"
                     for k, val in row["changes"].items())


def settings_table(rows, *, runtime=True, mean_field=True, display=True):
    """Show the rows of :func:`compare_settings` as a Markdown table.

    Columns: setting, what changed, beta (mean ± std over replicas), the
    change of beta against the base (paired mean ± s.e.m.), R^2 (mean ± std),
    optionally the mean-field beta on the same grid, the cost in site
    updates per scan and the wall time.

    Parameters
    ----------
    rows : list of dict
        Output of :func:`compare_settings`.
    runtime : bool, default True
        Include the cost and wall-time columns.
    mean_field : bool, default True
        Include the mean-field beta column.
    display : bool, default True
        Display the table in the notebook.

    Returns
    -------
    str
        The Markdown table.
    """
    if not isinstance(rows, (list, tuple)) or not rows:
        raise ValueError("rows must be a non-empty list of rows from compare_settings")
    head = ["setting", "changes", "β (mean ± std)", "Δβ vs base", "R² (mean ± std)"]
    if mean_field:
        head.append("mean-field β (same grid)")
    if runtime:
        head += ["site updates / scan", "wall time (s)"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for r in rows:
        n_bad = r["n_replicas"] - r["n_ok"]
        beta = _pm(r["beta_mean"], r["beta_std"])
        if n_bad:
            beta += f" ({n_bad} fit(s) failed)"
        if r["n_grid_limited"]:
            beta += f" (grid-limited in {r['n_grid_limited']}/{r['n_ok']})"
        d = r.get("delta_beta")
        dtxt = "—" if d is None else ("0 (base)" if r is rows[0] and d == 0
                                      else _pm(d, r.get("delta_beta_sem")))
        cells = [f"**{r['name']}**", _changes(r), beta, dtxt,
                 _pm(r["r2_mean"], r["r2_std"], digits=4)]
        if mean_field:
            cells.append(_pm(r["beta_mf"], None))
        if runtime:
            cells += [f"{r['updates']:.3g}", f"{r['runtime_s']:.2f}"]
        lines.append("| " + " | ".join(cells) + " |")
    text = "\n".join(lines)
    if display:
        from IPython.display import Markdown, display as _display
        _display(Markdown(text))
    return text


def plot_settings(rows, *, axes=None, mean_field=True, reference=None, reference_label=None):
    """Beta and R^2 of each setting, with replica error bars.

    Parameters
    ----------
    rows : list of dict
        Output of :func:`compare_settings`.
    axes : pair of matplotlib axes, optional
        Where to draw beta and R^2; new axes side by side if omitted.
    mean_field : bool, default True
        Mark the mean-field beta on the same grid.
    reference : float or sequence of float, optional
        A value per row (or one for all) to mark, e.g. the guide's J/T.
    reference_label : str, optional
        Legend label of ``reference``.

    Returns
    -------
    fig, axes
    """
    import matplotlib.pyplot as plt

    from .plotting import PALETTE
    if not isinstance(rows, (list, tuple)) or not rows:
        raise ValueError("rows must be a non-empty list of rows from compare_settings")
    if axes is None:
        fig, axes = plt.subplots(1, 2, figsize=(9.6, 3.4), width_ratios=(3, 2))
    fig = axes[0].figure
    y = np.arange(len(rows))[::-1]
    names = [r["name"] for r in rows]
    ax = axes[0]
    ax.errorbar([r["beta_mean"] for r in rows], y, xerr=[r["beta_std"] for r in rows],
                fmt="o", color=PALETTE["sim"], capsize=3, label="simulation (mean ± std)")
    if mean_field:
        ax.plot([r["beta_mf"] for r in rows], y, "D", mfc="none", color=PALETTE["mf"],
                label="mean field, same grid")
    if reference is not None:
        ref = np.broadcast_to(np.asarray(reference, dtype=float), (len(rows),))
        ax.plot(ref, y, "x", color=PALETTE["guide"], ms=8, label=reference_label or "reference")
    ax.set_yticks(y, names)
    ax.set_xlabel(r"fitted $\beta$")
    ax.legend(loc="best", fontsize=8)
    ax = axes[1]
    ax.errorbar([r["r2_mean"] for r in rows], y, xerr=[r["r2_std"] for r in rows], fmt="s",
                color=PALETTE["alt"], capsize=3)
    ax.axvline(0.7, color=PALETTE["guide"], ls=":", lw=1)
    ax.set_yticks(y, [""] * len(rows))
    ax.set_xlabel(r"$R^2$ of the logistic fit")
    fig.tight_layout()
    return fig, axes


# --------------------------------------------------------------------------- equilibration


def convergence_sweep(trace, final, tol):
    """First sweep after which a trace stays within ``tol`` of ``final``.

    Parameters
    ----------
    trace : array_like, shape (n_steps,)
        Mean activation after sweeps 1, 2, ..., n_steps.
    final : float
        The stationary value.
    tol : float
        Tolerance, >= 0.

    Returns
    -------
    int
        The smallest sweep number s (1-based) such that
        ``|trace[t-1] - final| <= tol`` for every sweep t >= s; ``n_steps + 1``
        if even the last sweep is outside the tolerance.
    """
    tr = v.real_array("trace", trace, ndim=1, min_len=1)
    final = v.real("final", final)
    tol = v.real("tol", tol, nonnegative=True)
    outside = np.nonzero(np.abs(tr - final) > tol)[0]
    return 1 if outside.size == 0 else int(outside[-1]) + 2


def equilibration_study(J, T, h_values, *, lattice_size=64, n_steps=200, n_replicas=8, seed=None,
                        tail=50, n_sigma=4.0, tol=None):
    """How many sweeps the mean activation needs to settle, at several fields.

    Runs the guide's protocol (fresh uniform random lattice, random
    sequential sweeps) at each field for ``n_steps`` sweeps and
    ``n_replicas`` replicas, recording the mean activation after every sweep.
    The final value at a field is the replica-mean trace averaged over the
    last ``tail`` sweeps; the tolerance is ``n_sigma`` times the typical
    replica standard error of the replica-mean trace at one sweep, measured
    over the same tail (or ``tol`` if given).

    Parameters
    ----------
    J : float
        Coupling.
    T : float
        Noise temperature, > 0.
    h_values : array_like, shape (m,)
        Fields to study.
    lattice_size : int, default 64
        Linear lattice size.
    n_steps : int, default 200
        Sweeps per run; must exceed ``tail``.
    n_replicas : int, default 8
        Replicas, >= 2.
    seed : int or None
        Root seed (see :func:`utacbook.abm.scan_field`).
    tail : int, default 50
        Sweeps at the end that define the final value, 1 <= tail < n_steps.
    n_sigma : float, default 4
        Tolerance in replica standard errors, > 0.  "Stays within" is tested
        at every one of the ~n_steps later sweeps, so a 3-sigma band is left
        by chance somewhere along a long stationary trace; 4 sigma is not.
    tol : float, optional
        Absolute tolerance (same for all fields) instead of ``n_sigma``.

    Returns
    -------
    dict
        ``h`` (m,), ``sweeps`` (1..n_steps), ``mean`` and ``sem`` (m,
        n_steps: replica mean and standard error after each sweep),
        ``final`` (m,), ``tol`` (m,), ``converged_at`` (m,) (sweep after which
        the mean stays within ``tol`` of ``final``, see
        :func:`convergence_sweep`), ``settled`` (m,) bool (converged before
        the tail starts, so the statement is meaningful), ``seed`` and the
        arguments.
    """
    J = v.real("J", J)
    T = v.real("T", T, positive=True)
    h = v.real_array("h_values", np.atleast_1d(h_values), ndim=1, min_len=1)
    n_steps = v.integer("n_steps", n_steps, low=2)
    n_replicas = v.integer("n_replicas", n_replicas, low=2)
    tail = v.integer("tail", tail, low=1, high=n_steps - 1)
    n_sigma = v.real("n_sigma", n_sigma, positive=True)
    if tol is not None:
        tol = v.real("tol", tol, nonnegative=True)
    res = scan_field(J, T, h, lattice_size=lattice_size, n_steps=n_steps, n_replicas=n_replicas,
                     seed=seed, return_traces=True)
    tr = res["traces"]  # (n_rep, m, n_steps)
    mean = tr.mean(axis=0)
    sem = tr.std(axis=0, ddof=1) / math.sqrt(n_replicas)
    final = mean[:, -tail:].mean(axis=1)
    tols = (np.full(h.shape, tol) if tol is not None
            else n_sigma * sem[:, -tail:].mean(axis=1))
    conv = np.array([convergence_sweep(mean[k], final[k], tols[k]) for k in range(h.size)])
    return {"h": h, "sweeps": np.arange(1, n_steps + 1), "mean": mean, "sem": sem,
            "final": final, "tol": tols, "converged_at": conv,
            "settled": conv <= n_steps - tail, "seed": res["seed"], "J": J, "T": T,
            "lattice_size": lattice_size, "n_steps": n_steps, "n_replicas": n_replicas,
            "tail": tail, "n_sigma": n_sigma}


def plot_traces(study, *, ax=None, mark=True, max_sweep=None):
    """Replica-mean activation against sweep for each field of a study.

    Parameters
    ----------
    study : dict
        Output of :func:`equilibration_study`.
    ax : matplotlib axis, optional
    mark : bool, default True
        Mark each trace's convergence sweep with a dot.
    max_sweep : int, optional
        Right end of the sweep axis.

    Returns
    -------
    matplotlib axis
    """
    import matplotlib.pyplot as plt
    if ax is None:
        _, ax = plt.subplots()
    cmap = plt.get_cmap("coolwarm")
    m = study["h"].size
    x = study["sweeps"]
    for k in range(m):
        c = cmap(k / max(m - 1, 1))
        ax.plot(x, study["mean"][k], color=c, lw=1.3, label=f"h = {study['h'][k]:+.2f}")
        ax.fill_between(x, study["mean"][k] - study["sem"][k], study["mean"][k] + study["sem"][k],
                        color=c, alpha=0.25, lw=0)
        if mark:
            s = int(study["converged_at"][k])
            if s <= x[-1]:
                ax.plot(s, study["mean"][k][s - 1], "o", color=c, mec="k", ms=5)
    ax.set_xscale("log")
    ax.set_xlim(1, max_sweep or x[-1])
    ax.set_xlabel("sweep")
    ax.set_ylabel(r"mean activation $\bar\sigma$")
    ax.legend(loc="center left", bbox_to_anchor=(1.01, 0.5), fontsize=8)
    return ax


# --------------------------------------------------------------------------- sweeps study


def scan_points_next_to_midpoint(J, *, R_min=-2.0, R_max=2.0, n_points=25):
    """The points of the guide's scan grid next to the midpoint Theta = -J/2.

    The relaxation of the scan is slowest where the response is steepest, at
    the midpoint; this picks the grid points that bracket it.

    Parameters
    ----------
    J : float
        Coupling (the midpoint is -J/2).
    R_min, R_max, n_points
        The scan grid, ``np.linspace(R_min, R_max, n_points)``.

    Returns
    -------
    ndarray
        The grid point equal to -J/2 (to 1e-9) if there is one; otherwise the
        nearest grid point below and the nearest above it (one point if the
        midpoint lies outside the grid).
    """
    J = v.real("J", J)
    R = v.field_grid(R_min, R_max, n_points)
    theta = -0.5 * J
    on = np.abs(R - theta) < 1e-9
    if on.any():
        return R[on][:1].copy()
    below, above = R[R < theta], R[R > theta]
    pts = ([below.max()] if below.size else []) + ([above.min()] if above.size else [])
    return np.array(pts, dtype=float)


def _relaxation(traces, tail, check_sweeps):
    """Relaxation of the replica mean of one observable (traces: (n_rep, n_sweeps)).

    The long-run value is the replicas' mean over the last ``tail`` sweeps;
    its error is the spread of the replicas' tail averages (which includes
    the autocorrelation within a run).  At every sweep t the deviation of the
    replica mean from it is ``dev(t)`` with error ``sqrt(sem(t)**2 +
    final_err**2)``.
    """
    n_rep = traces.shape[0]
    mean = traces.mean(axis=0)
    sem = traces.std(axis=0, ddof=1) / math.sqrt(n_rep)
    per_rep = traces[:, -tail:].mean(axis=1)
    final = float(per_rep.mean())
    final_err = float(per_rep.std(ddof=1) / math.sqrt(n_rep))
    idx = np.asarray(check_sweeps) - 1
    dev = mean[idx] - final
    # an error of exactly 0 (all replicas identical, e.g. saturated at 0 or 1) is
    # replaced by the smallest float, so that z stays finite (JSON) and 0 when dev is 0
    err = np.maximum(np.hypot(sem[idx], final_err), np.finfo(float).tiny)
    z = dev / err
    return {"mean": mean, "sem": sem, "final": final, "final_err": final_err,
            "dev": dev, "dev_err": err, "z": z}


def sweeps_study(*, K_near=None, systems=None, lattice_size=64, n_sweeps=6000, tail=2000,
                 n_replicas=16, check_sweeps=(10, 20, 50, 100, 200, 500, 1000, 2000),
                 R_min=-2.0, R_max=2.0, n_points=25, n_stored=160, seed=None):
    """How far the guide's scan is from its long-run state after a given number of sweeps.

    Tests the guide's "mean activation stabilizes after ~50-100 steps" for
    its six systems and, optionally, at the lattice's critical coupling.
    Every condition runs the guide's protocol (fresh uniform random lattice,
    random sequential sweeps) for ``n_sweeps`` sweeps in ``n_replicas``
    replicas, at the scan points next to its midpoint
    (:func:`scan_points_next_to_midpoint`), where relaxation is slowest, and
    records the mean activation after every sweep.

    Two observables are followed, as replica means: sigma-bar itself, and
    q = (sigma-bar - 1/2)^2.  At the midpoint of a symmetric condition the mean
    of sigma-bar is pinned at 1/2 by the symmetry from the first sweep on, and
    what relaxes is the size of the fluctuations, which q measures.  The
    long-run value of each is its mean over the last ``tail`` sweeps.  At each
    sweep of ``check_sweeps`` the deviation of the replica mean from the
    long-run value is returned with its error and as a z-score (deviation /
    error): a z-score of a few units means the observable has not yet
    reached its long-run state at that sweep.

    Parameters
    ----------
    K_near : float, optional
        Add a condition at coupling K = J/T = ``K_near`` (the lattice's
        critical coupling): J = 1, T = 1/K_near and h = -J/2 = -0.5, which is
        a point of the guide's grid.
    systems : dict, optional
        Name -> dict with ``J`` and ``T``; default the guide's six systems
        (:func:`utacbook.validation.guide_systems`).
    lattice_size : int, default 64
    n_sweeps : int, default 6000
        Length of every run.
    tail : int, default 2000
        Sweeps at the end that define the long-run value (< n_sweeps).
    n_replicas : int, default 16
        Independent replicas per condition (>= 2).
    check_sweeps : sequence of int
        Sweeps at which the deviation is evaluated (each <= n_sweeps - tail).
    R_min, R_max, n_points
        The guide's scan grid (to find the points next to the midpoint).
    n_stored : int, default 160
        Number of log-spaced sweeps at which the traces are returned (the
        check sweeps are added).
    seed : int or None
        Root seed; condition c uses ``seed=(root, (c,))`` in
        :func:`utacbook.abm.scan_field`, so it can be rerun alone
        (:func:`sweeps_spot_check`).

    Returns
    -------
    dict
        ``conditions``: one dict per condition with ``name``, ``J``, ``T``,
        ``K``, ``h`` (its points) and ``points``: per point a dict with ``h``
        and, for each observable ``"sigma"`` and ``"q"``: ``final``,
        ``final_err`` (long-run value), ``dev``, ``dev_err``, ``z`` (at the
        check sweeps), ``mean``, ``sem`` (at the stored sweeps) and
        ``tau_int`` (integrated autocorrelation time of the observable over
        the tail, mean over replicas,
        :func:`utacbook.mcstats.integrated_autocorrelation_time`);
        ``sweeps`` (the stored sweeps), ``check_sweeps``, the arguments and
        ``seed`` (the root).
    """
    from .mcstats import integrated_autocorrelation_time
    from .validation import guide_systems

    n_sweeps = v.integer("n_sweeps", n_sweeps, low=2)
    tail = v.integer("tail", tail, low=2, high=n_sweeps - 1)
    n_rep = v.integer("n_replicas", n_replicas, low=2)
    checks = sorted({v.integer("check_sweeps", c, low=1, high=n_sweeps - tail)
                     for c in np.atleast_1d(check_sweeps)})
    n_stored = v.integer("n_stored", n_stored, low=2)
    L = v.integer("lattice_size", lattice_size, low=2)
    table = guide_systems() if systems is None else systems
    conds = [(str(n), v.real("J", d["J"]), v.real("T", d["T"], positive=True))
             for n, d in table.items()]
    if K_near is not None:
        K_near = v.real("K_near", K_near, positive=True)
        conds.append((f"K = {K_near:g} (near K_c)", 1.0, 1.0 / K_near))
    _, root = resolve_seed(seed)
    if not isinstance(root, int):
        raise ValueError("seed must be an integer (or None), not a spawned sequence")
    sweeps = np.unique(np.concatenate([
        np.round(np.logspace(0, math.log10(n_sweeps), n_stored)).astype(int), checks]))
    out = []
    for c, (name, J, T) in enumerate(conds):
        h = scan_points_next_to_midpoint(J, R_min=R_min, R_max=R_max, n_points=n_points)
        res = scan_field(J, T, h, lattice_size=L, n_steps=n_sweeps, n_replicas=n_rep,
                         seed=(root, (c,)), return_traces=True)
        tr = res["traces"]                                   # (n_rep, n_h, n_sweeps)
        points = []
        for p in range(h.size):
            pt = {"h": float(h[p])}
            for obs, x in (("sigma", tr[:, p]), ("q", (tr[:, p] - 0.5) ** 2)):
                r = _relaxation(x, tail, checks)
                r["tau_int"] = float(np.mean([integrated_autocorrelation_time(xr[-tail:])
                                              for xr in x]))
                r["mean"], r["sem"] = r["mean"][sweeps - 1], r["sem"][sweeps - 1]
                pt[obs] = r
            points.append(pt)
        out.append({"name": name, "J": J, "T": T, "K": J / T, "h": h, "points": points})
    return {"conditions": out, "sweeps": sweeps, "check_sweeps": checks, "lattice_size": L,
            "n_sweeps": n_sweeps, "tail": tail, "n_replicas": n_rep, "seed": root}


def worst_deviation(condition, check_sweeps, at):
    """The largest |z| of a condition of :func:`sweeps_study` at one check sweep.

    Parameters
    ----------
    condition : dict
        One entry of the study's ``conditions``.
    check_sweeps : sequence of int
        The study's ``check_sweeps``.
    at : int
        One of them.

    Returns
    -------
    dict
        ``z``, ``dev``, ``dev_err``, ``h`` and ``observable`` of the point and
        observable with the largest |z| at sweep ``at``.
    """
    checks = [int(c) for c in check_sweeps]
    if int(at) not in checks:
        raise ValueError(f"at must be one of the check sweeps {checks}, got {at!r}")
    k = checks.index(int(at))
    best = None
    for pt in condition["points"]:
        for obs in ("sigma", "q"):
            r = pt[obs]
            z = float(r["z"][k])
            if best is None or abs(z) > abs(best["z"]):
                best = {"z": z, "dev": float(r["dev"][k]), "dev_err": float(r["dev_err"][k]),
                        "h": float(pt["h"]), "observable": obs}
    return best


def worst_deviation_from(condition, stored_sweeps, start, *, stop=None):
    """The largest |z| of a condition over all stored sweeps from ``start`` on.

    Where :func:`worst_deviation` looks at one check sweep, this scans every
    sweep at which :func:`sweeps_study` stored the replica means (log-spaced),
    from ``start`` to ``stop``: the test "the replica means stay within k
    standard errors of their long-run values from sweep ``start`` on".  The
    error of each deviation is that of :func:`sweeps_study`,
    ``sqrt(sem(t)**2 + final_err**2)``.  Over a long stationary trace such a
    test meets ever more chances to leave a band of a few standard errors, so
    its outcome depends on the run length as well as on the relaxation.

    Parameters
    ----------
    condition : dict
        One entry of the study's ``conditions``.
    stored_sweeps : sequence of int
        The study's ``sweeps`` (where ``mean`` and ``sem`` were stored).
    start : int
        First sweep included, >= 1.
    stop : int, optional
        Last sweep included (default: the last stored sweep).

    Returns
    -------
    dict
        ``z``, ``dev``, ``dev_err``, ``sweep``, ``h`` and ``observable`` of the
        largest |z|, and ``n_sweeps`` (stored sweeps scanned per point and
        observable).

    Raises
    ------
    ValueError
        If no stored sweep lies in [start, stop].
    """
    sw = np.asarray(stored_sweeps, dtype=int)
    start = v.integer("start", start, low=1)
    stop = int(sw[-1]) if stop is None else v.integer("stop", stop, low=start)
    keep = (sw >= start) & (sw <= stop)
    if not keep.any():
        raise ValueError(f"no stored sweep lies in [start, stop] = [{start}, {stop}]")
    best = None
    for pt in condition["points"]:
        for obs in ("sigma", "q"):
            r = pt[obs]
            dev = np.asarray(r["mean"], dtype=float)[keep] - float(r["final"])
            err = np.maximum(np.hypot(np.asarray(r["sem"], dtype=float)[keep], float(r["final_err"])),
                             np.finfo(float).tiny)
            z = dev / err
            k = int(np.argmax(np.abs(z)))
            if best is None or abs(z[k]) > abs(best["z"]):
                best = {"z": float(z[k]), "dev": float(dev[k]), "dev_err": float(err[k]),
                        "sweep": int(sw[keep][k]), "h": float(pt["h"]), "observable": obs}
    best["n_sweeps"] = int(keep.sum())
    return best


def first_within(condition, check_sweeps, *, n_sigma=3.0):
    """The first check sweep at which every |z| of a condition is below ``n_sigma``.

    The first entry into the band, not "stays within from then on": with
    several check sweeps and observables, a later chance excursion beyond
    ``n_sigma`` standard errors is to be expected now and then, and must not
    count as a failure to relax.

    Returns
    -------
    int or None
        None if the condition is outside the band at every check sweep.
    """
    n_sigma = v.real("n_sigma", n_sigma, positive=True)
    for k, c in enumerate(int(c) for c in check_sweeps):
        if all(abs(float(pt[o]["z"][k])) < n_sigma for pt in condition["points"]
               for o in ("sigma", "q")):
            return c
    return None


def sweeps_spot_check(stored, condition, *, n_check=200):
    """Rerun the first sweeps of one condition of a stored :func:`sweeps_study`.

    Condition ``c`` of the study used its own random streams, ``seed=(root,
    (c,))``, so a shorter rerun reproduces its first sweeps exactly.

    Parameters
    ----------
    stored : dict or mapping
        The study's values (e.g. ``utacbook.stored.load(...)``).
    condition : int or str
        Index or name of the condition.
    n_check : int, default 200
        Sweeps to rerun.

    Returns
    -------
    dict
        ``name``, ``n_check``, ``max_abs_diff`` (largest difference between
        the rerun's replica-mean sigma-bar and the stored one, over the stored
        sweeps <= n_check and the condition's points), ``n_compared``.
    """
    conds = stored["conditions"]
    if isinstance(condition, str):
        names = [c["name"] for c in conds]
        if condition not in names:
            raise ValueError(f"condition: unknown name {condition!r}; the study has {names}")
        c = names.index(condition)
    else:
        c = v.integer("condition", condition, low=0, high=len(conds) - 1)
    n_check = v.integer("n_check", n_check, low=1, high=int(stored["n_sweeps"]))
    cond = conds[c]
    res = scan_field(cond["J"], cond["T"], np.asarray(cond["h"], dtype=float),
                     lattice_size=stored["lattice_size"], n_steps=n_check,
                     n_replicas=stored["n_replicas"], seed=(int(stored["seed"]), (c,)),
                     return_traces=True)
    sw = np.asarray(stored["sweeps"])
    keep = sw <= n_check
    diff = 0.0
    for p, pt in enumerate(cond["points"]):
        rerun = res["traces"][:, p].mean(axis=0)[sw[keep] - 1]
        diff = max(diff, float(np.max(np.abs(rerun - np.asarray(pt["sigma"]["mean"])[keep]))))
    return {"name": cond["name"], "n_check": n_check, "max_abs_diff": diff,
            "n_compared": int(keep.sum()) * len(cond["points"])}


def plot_sweeps_study(stored, *, ax=None, n_sigma=3.0, guide_band=(50, 100)):
    """Deviation of each condition from its long-run state, in standard errors, per sweep.

    For every condition and stored sweep, the largest |z| over its points and
    both observables (deviation of the replica mean from the long-run value,
    over its error): below ``n_sigma`` the condition cannot be told from its
    long-run state.

    Returns
    -------
    matplotlib axis
    """
    import matplotlib.pyplot as plt

    from .plotting import PALETTE
    if ax is None:
        _, ax = plt.subplots()
    sw = np.asarray(stored["sweeps"])
    conds = stored["conditions"]
    cmap = plt.get_cmap("viridis")
    if guide_band:
        ax.axvspan(*guide_band, color=PALETTE["guide"], alpha=0.15, lw=0,
                   label=f"guide: {guide_band[0]}–{guide_band[1]} sweeps")
    for k, cond in enumerate(conds):
        z = np.zeros(sw.size)
        for pt in cond["points"]:
            for o in ("sigma", "q"):
                r = pt[o]
                err = np.hypot(np.asarray(r["sem"]), r["final_err"])
                with np.errstate(divide="ignore", invalid="ignore"):
                    zz = np.abs(np.asarray(r["mean"]) - r["final"]) / err
                z = np.maximum(z, np.where(np.isfinite(zz), zz, 0.0))
        lab = cond["name"] if cond["name"].startswith("K =") else f"{cond['name']} (K = {cond['K']:.2f})"
        ax.plot(sw, np.maximum(z, 1e-2), color=cmap(k / max(len(conds) - 1, 1)), lw=1.4, label=lab)
    ax.axhline(n_sigma, color="k", lw=0.8, ls="--", label=f"{n_sigma:g} standard errors")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlim(1, sw[-1])
    ax.set_xlabel("sweep")
    ax.set_ylabel("|replica mean − long-run value| / error")
    ax.legend(loc="center left", bbox_to_anchor=(1.01, 0.5), fontsize=8)
    return ax
