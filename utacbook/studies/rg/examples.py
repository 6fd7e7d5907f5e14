"""Studies behind the guide's troubleshooting advice and its equilibration claim.

The guide's troubleshooting section gives recipes ("increase ``n_steps``",
"widen the R-range", "reduce ``lattice_size``", "adjust J, T via
beta ~ J/T").  :func:`compare_settings` tests such a recipe: it runs the
guide's emergent-beta measurement
(:meth:`utacbook.models.EmergentBetaSimulator.compute_emergent_beta_replicas`)
for a base setting and for named variants of it, over independent replicas
with one seed, and returns one row per setting with the fitted beta, the
fit's R^2, the cost and the change against the base.  :func:`settings_table`
and :func:`plot_settings` show the rows.

:func:`utacbook.studies.rg.quickstart.equilibration_study` checks the guide's statement that the mean
activation "stabilizes after ~50-100 steps": it records the mean activation
after every sweep and reports the sweep after which the replica-mean trace
stays within four replica standard errors of its final value
(:func:`utacbook.studies.rg.quickstart.convergence_sweep`).
:func:`utacbook.studies.rg.quickstart.plot_traces` draws the traces.
"""

from __future__ import annotations

import functools
import math
import time

import numpy as np

from utacbook import _validate as v
from utacbook._kernels.rng import resolve_seed
from utacbook.models._abm import ABMParams, EmergentBetaSimulator, _replica_fits, scan_field
from utacbook.theory._mean_field import mean_field_emergent_beta

__all__ = ['GUIDE_API', 'PARAM_KEYS', 'SCAN_KEYS', 'compare_settings', 'settings_responses', 'stored_settings',
           'spot_check_settings', 'guide_api_tour', 'settings_table', 'plot_settings']

#: variant keys that change the model (fields of :class:`utacbook.models.ABMParams`)
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


def _scan_sigma(s, n_replicas, seed):
    """The scans of one setting, as :meth:`EmergentBetaSimulator.compute_emergent_beta_replicas` runs them."""
    R = v.field_grid(s["R_min"], s["R_max"], s["n_points"])
    return scan_field(s["J"], s["T"], R, lattice_size=s["lattice_size"], n_steps=s["n_steps"],
                      n_replicas=n_replicas, update=s["update"], seed=seed)["sigma"]


def _replicas_from_sigma(s, sig):
    """The fits and summaries of ``compute_emergent_beta_replicas`` (theta = 0.5), on given scans."""
    R = v.field_grid(s["R_min"], s["R_max"], s["n_points"])
    sig = np.asarray(sig, dtype=float)
    if sig.ndim != 2 or sig.shape[1] != R.shape[0] or sig.shape[0] < 1:
        raise ValueError(f"sigma of a setting must have shape (n_replicas, {R.shape[0]}), got {sig.shape}")
    return _replica_fits(R, sig, theta=0.5)


def _measure(s, n_replicas, seed, sigma=None, runtime_s=None):
    """One setting, all replicas: the guide's measurement plus our summaries.

    With ``sigma`` (stored scans of this setting) nothing is simulated and
    ``runtime_s`` is the stored run's (nan if not given).
    """
    p = ABMParams(J=s["J"], h=0.0, T=s["T"], lattice_size=s["lattice_size"], seed=seed,
                  update=s["update"])
    if sigma is None:
        t0 = time.perf_counter()
        res = EmergentBetaSimulator(p).compute_emergent_beta_replicas(
            n_replicas, s["R_min"], s["R_max"], s["n_points"], n_steps=s["n_steps"])
        runtime = time.perf_counter() - t0
    else:
        res = _replicas_from_sigma(s, sigma)
        if len(res["betas"]) != n_replicas:
            raise ValueError(f"sigma of a setting must hold {n_replicas} replicas, got {len(res['betas'])}")
        runtime = float("nan") if runtime_s is None else float(runtime_s)
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
                     n_replicas=5, seed=None, include_base=True, base_name="base", sigma=None,
                     runtime_s=None):
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
    sigma : list of array_like, optional
        The scans (n_replicas, n_points) of every setting, in row order, from an
        earlier call with the same arguments (:func:`settings_responses`,
        stored): nothing is simulated and every number is the same.
    runtime_s : list of float, optional
        With ``sigma``: the wall times of the stored run (:func:`settings_responses`),
        reported as ``runtime_s``; nan if not given.

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
    todo, seed, n_replicas = _plan(base_params, variants, n_replicas, R_min, R_max, n_points, n_steps, seed,
                                   include_base, base_name)
    if sigma is not None and len(sigma) != len(todo):
        raise ValueError(f"sigma must hold the scans of every setting ({len(todo)}), got {len(sigma)}")
    if sigma is None:
        _warm_up()
    rows = []
    for k, (name, over, s) in enumerate(todo):
        row = {"name": name, "changes": over}
        row.update(_measure(s, n_replicas, seed, None if sigma is None else sigma[k],
                            None if sigma is None or runtime_s is None else runtime_s[k]))
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


def _plan(base_params, variants, n_replicas, R_min, R_max, n_points, n_steps, seed, include_base, base_name):
    """The settings of :func:`compare_settings`, validated: (list of (name, overrides, setting), seed, n_replicas)."""
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
    return todo, seed, n_replicas


def settings_responses(*, J, T, lattice_size, variants, update="sequential", R_min=-2.0, R_max=2.0, n_points=25,
                       n_steps=100, n_replicas=5, seed, include_base=True):
    """The scans of :func:`compare_settings`, for :mod:`utacbook.stored`.

    ``compare_settings(ABMParams(J=J, T=T, lattice_size=lattice_size, update=update), variants, ...,
    sigma=settings_responses(...)["sigma"])`` with the same arguments returns exactly the
    numbers of the direct call (``runtime_s`` aside, which it leaves unmeasured).

    Parameters
    ----------
    J, T, lattice_size, update
        The base model (as ``base_params`` of :func:`compare_settings`).
    variants, R_min, R_max, n_points, n_steps, n_replicas, seed, include_base
        As :func:`compare_settings`; ``seed`` is required.

    Returns
    -------
    dict
        ``sigma``: the scans (n_replicas, n_points) of every setting, in row order;
        ``runtime_s``: the wall time of each setting's measurement (scans and fits, as
        :func:`compare_settings` times it), on the machine that stored it.
    """
    base = ABMParams(J=J, T=T, lattice_size=lattice_size, update=update)
    todo, seed, n_replicas = _plan(base, variants, n_replicas, R_min, R_max, n_points, n_steps, seed, include_base,
                                   "base")
    _warm_up()
    sigma, runtime = [], []
    for _, _, s in todo:
        p = ABMParams(J=s["J"], h=0.0, T=s["T"], lattice_size=s["lattice_size"], seed=seed, update=s["update"])
        t0 = time.perf_counter()
        res = EmergentBetaSimulator(p).compute_emergent_beta_replicas(
            n_replicas, s["R_min"], s["R_max"], s["n_points"], n_steps=s["n_steps"])
        runtime.append(time.perf_counter() - t0)
        sigma.append(res["sigma"])
    return {"sigma": sigma, "runtime_s": runtime}


def stored_settings(name, base_params, variants, *, n_replicas=5, seed, data_dir=None, **scan):
    """A stored :func:`compare_settings` (``book/data/<name>.json``), checked and analysed.

    The stored call must be exactly ``compare_settings(base_params, variants, n_replicas=...,
    seed=..., **scan)``; the first replica of the base setting is re-run here
    (:func:`spot_check_settings`) and must match bit for bit.

    Returns
    -------
    rows, rec, check
        The rows of :func:`compare_settings` (computed on the stored scans, ``runtime_s``
        from the stored run), the :class:`utacbook.stored.StoredResult` and the spot check.
    """
    from utacbook import stored as _stored
    rec = _stored.load(name, data_dir=data_dir)
    want = {"J": base_params.J, "T": base_params.T, "lattice_size": base_params.lattice_size, "variants": variants,
            **scan, "n_replicas": n_replicas, "seed": seed}
    if base_params.update != "sequential":
        want["update"] = base_params.update
    if rec.provenance["params"] != want:
        raise ValueError(f"stored result {name!r} was made with {rec.provenance['params']}, not {want}")
    check = spot_check_settings(rec)
    if not check["identical"]:
        raise ValueError(f"stored result {name!r} does not reproduce (largest difference {check['max_abs_diff']:.1e})")
    rows = compare_settings(base_params, variants, n_replicas=n_replicas, seed=seed, sigma=rec["sigma"],
                            runtime_s=rec["runtime_s"], **scan)
    return rows, rec, check


def spot_check_settings(rec, *, row=0, n_replicas=1):
    """Re-run the first replicas of one setting of a stored :func:`settings_responses`, bit for bit.

    Run k of :func:`utacbook.models.scan_field` (C order over replica, field) uses stream k
    of the seed, so the first replicas of a setting are the opening streams of its scan.

    Returns
    -------
    dict
        ``identical`` (bool), ``max_abs_diff``, ``name`` (of the setting), ``n_runs``.
    """
    p = dict(rec.provenance["params"])
    base = ABMParams(J=p.pop("J"), T=p.pop("T"), lattice_size=p.pop("lattice_size"),
                     update=p.pop("update", "sequential"))
    kw = {"R_min": -2.0, "R_max": 2.0, "n_points": 25, "n_steps": 100, "n_replicas": 5, "include_base": True, **p}
    todo, seed, _ = _plan(base, kw["variants"], kw["n_replicas"], kw["R_min"], kw["R_max"], kw["n_points"],
                          kw["n_steps"], kw["seed"], kw["include_base"], "base")
    name, _, s = todo[row]
    again = _scan_sigma(s, n_replicas, seed)
    stored = np.asarray(rec["sigma"][row], dtype=float)[:n_replicas]
    return {"identical": bool(np.array_equal(again, stored)), "max_abs_diff": float(np.max(np.abs(again - stored))),
            "name": name, "n_runs": int(again.size)}


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

    from utacbook.viz._plotting import PALETTE
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


# --------------------------------------------------------------------------- the guide's API, call by call

#: the guide's API reference, quoted: (entry, what the guide says it does / returns)
GUIDE_API = (
    ("MicroscopicABM.local_field(i, j)", "Returns: h_local = J·(mean neighbors) + h"),
    ("MicroscopicABM.update_agent(i, j)", "Uses: σ'_i,j = sigmoid(h_local/T + noise)"),
    ("MicroscopicABM.step(n_updates=1000)", "Perform n_updates random agent updates"),
    ("MicroscopicABM.equilibrate(n_steps=100)", "Performs n_steps full sweeps"),
    ("MicroscopicABM.snapshot()", "Return current lattice state (copy)"),
    ("MicroscopicABM.mean_activation()", "Compute mean activation σ̄ ∈ [0,1]"),
    ("EmergentBetaSimulator.scan_resource_range(R_min=-2.0, R_max=2.0, n_points=20)",
     "Returns: (R_values, sigma_values)"),
    ("EmergentBetaSimulator.compute_emergent_beta(R_min=-2.0, R_max=2.0, n_points=25)",
     "Returns dictionary: beta_emergent, r_squared, fit_info, R_values, sigma_values, params"),
    ("coarse_grain(lattice, block_size=2)", "Reduces size by factor of block_size"),
    ("multi_scale_coarsening(lattice, n_scales=4)", "Returns list of coarse-grained lattices"),
    ("extract_emergent_beta(R_values, sigma_values, theta=0.5)", "Returns: (beta, r_squared, fit_info)"),
    ("microscopic_to_beta_map()", "Theoretical mapping (J, T) → β for common systems"),
)


def guide_api_tour(*, J=0.8, h=-0.3, T=0.3, lattice_size=16, seed=2025):
    """Call every entry of the guide's API reference once and check what it returns.

    Each call is checked against an identity computed independently of the call
    (for example ``local_field`` against ``J * (mean of the 4 neighbours) + h``
    computed from a snapshot, ``update_agent`` changing exactly one site,
    ``coarse_grain`` keeping the mean), so the table shows both what the guide
    says and whether ``utacbook`` does it.

    Parameters
    ----------
    J, h, T : float
        Model parameters (T > 0) of the lattice the methods are called on.
    lattice_size : int, default 16
        L, even and >= 4 (the coarse-graining calls halve it).
    seed : int, default 2025
        Root seed of the model and of the scans.

    Returns
    -------
    pandas.DataFrame
        One row per entry of :data:`GUIDE_API`: ``entry``, ``guide`` (the guide's words,
        quoted), ``returned`` (what the call returned, short), ``check`` (the identity
        tested) and ``ok`` (bool: the identity is true).

    Examples
    --------
    >>> from utacbook.studies.rg.examples import guide_api_tour
    >>> tab = guide_api_tour(lattice_size=8, seed=1)
    >>> len(tab), bool(tab["ok"].all())
    (12, True)
    """
    import pandas as pd

    from utacbook.models._abm import MicroscopicABM, microscopic_to_beta_map
    from utacbook.stats._coarse import coarse_grain, multi_scale_coarsening
    from utacbook.stats._fitting import extract_emergent_beta

    L = v.integer("lattice_size", lattice_size, low=4)
    if L % 2:
        raise ValueError(f"lattice_size must be even (coarse_grain halves it), got {L}")
    rows = []

    def row(ret, check, holds):
        rows.append((ret, check, bool(holds)))

    abm = MicroscopicABM(ABMParams(J=J, h=h, T=T, lattice_size=L, seed=seed))
    abm.equilibrate(5)
    lat = abm.snapshot()
    hl = abm.local_field(2, 3)
    nn = (lat[3, 3] + lat[1, 3] + lat[2, 4] + lat[2, 2]) / 4
    row(f"{hl:.4f}", "= J·(mean of the 4 neighbours) + h from a snapshot", math.isclose(hl, J * nn + h,
                                                                                            abs_tol=1e-12))
    new = abm.update_agent(2, 3)
    changed = np.argwhere(abm.snapshot() != lat)
    row(f"{new:.4f}", "in [0, 1]; only site (2, 3) changed",
        0.0 <= new <= 1.0 and all(tuple(c) == (2, 3) for c in changed))
    before = abm.snapshot()
    ret = abm.step(n_updates=L * L)
    frac = float(np.mean(abm.snapshot() != before))
    row(f"the model; {frac:.0%} of sites changed", "returns the model; at most n_updates sites changed",
        ret is abm and frac * L * L <= L * L)
    n_hist = len(abm.history)
    tr = abm.equilibrate(n_steps=10)
    row(f"array of {tr.size} means", "one mean per sweep, appended to model.history",
        tr.shape == (10,) and len(abm.history) == n_hist + 10
        and math.isclose(tr[-1], abm.mean_activation(), abs_tol=1e-12))
    snap = abm.snapshot()
    snap[0, 0] = -1.0
    row(f"array {snap.shape}", "a copy: writing to it leaves the model unchanged", abm.lattice[0, 0] != -1.0)
    m = abm.mean_activation()
    row(f"{m:.4f}", "= mean of the snapshot, in [0, 1]", m == float(abm.snapshot().mean()) and 0 <= m <= 1)
    sim = EmergentBetaSimulator(ABMParams(J=J, T=T, lattice_size=L, seed=seed))
    R, sig = sim.scan_resource_range(n_points=20, n_steps=20)
    row(f"({R.size} fields, {np.size(sig)} means)", "R = linspace(-2, 2, 20); σ̄ in [0, 1]",
        np.array_equal(R, np.linspace(-2, 2, 20)) and np.size(sig) == 20 and np.all((sig >= 0) & (sig <= 1)))
    res = sim.compute_emergent_beta(n_points=25, n_steps=20)
    keys = ("beta_emergent", "r_squared", "fit_info", "R_values", "sigma_values", "params")
    row(f"β = {res['beta_emergent']:.3g}, R² = {res['r_squared']:.3f}", "has the guide's six keys",
        all(k in res for k in keys))
    cg = coarse_grain(lat, block_size=2)
    row(f"array {cg.shape}", "L/2 × L/2 block means; the mean is kept",
        cg.shape == (L // 2, L // 2) and math.isclose(cg.mean(), lat.mean(), rel_tol=1e-12))
    n_sc = 0
    while L % 2 ** (n_sc + 1) == 0 and n_sc < 4:
        n_sc += 1
    scales = multi_scale_coarsening(lat, n_scales=n_sc)
    row(f"{len(scales)} lattices, {scales[0].shape[0]} to {scales[-1].shape[0]} a side",
        f"the lattice plus n_scales = {n_sc} coarser ones",
        len(scales) == n_sc + 1 and scales[-1].shape[0] == L // 2 ** n_sc)
    beta, r2, info = extract_emergent_beta(R, sig)
    row(f"(β = {beta:.3g}, R² = {r2:.3f}, dict)", "a 3-tuple (float, float, dict)",
        isinstance(info, dict) and isinstance(float(beta), float))
    mp = microscopic_to_beta_map()
    row(f"{len(mp)} systems", "a dict: system → its J, T and β values",
        isinstance(mp, dict) and all({"J", "T"} <= set(d) for d in mp.values()))
    return pd.DataFrame({"entry": [e for e, _ in GUIDE_API], "guide": [f"“{g}”" for _, g in GUIDE_API],
                         "returned": [r[0] for r in rows], "check": [r[1] for r in rows],
                         "ok": [r[2] for r in rows]})
