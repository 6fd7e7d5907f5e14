"""How many sweeps the guide's quick start needs (chapter "Quick start").

Study module of ``book/rg/01_quickstart.ipynb``.  :func:`sweeps_study` records
the mean activation after every sweep at scan points next to the midpoint
(:func:`scan_points_next_to_midpoint`) and finds after how many sweeps it is
within a few standard errors of its long-run value (:func:`worst_deviation`,
:func:`first_within`); :func:`sweeps_spot_check` re-runs a few of its tasks in
the build, and :func:`plot_sweeps_study` draws it.  :func:`equilibration_study`
and :func:`convergence_sweep` test the guide's statement that the mean
activation "stabilizes after ~50-100 steps"; :func:`plot_traces` draws them.
"""

from __future__ import annotations

import math

import numpy as np

from utacbook import _validate as v
from utacbook._kernels.rng import resolve_seed
from utacbook.models._abm import scan_field

__all__ = [
    'convergence_sweep', 'equilibration_study', 'plot_traces', 'scan_points_next_to_midpoint', 'sweeps_study',
    'worst_deviation', 'first_within', 'worst_deviation_from', 'sweeps_spot_check', 'plot_sweeps_study'
]


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
        Root seed (see :func:`utacbook.models.scan_field`).
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
        (:func:`utacbook.models.microscopic_to_beta_map`).
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
        :func:`utacbook.models.scan_field`, so it can be rerun alone
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
        :func:`utacbook.stats.integrated_autocorrelation_time`);
        ``sweeps`` (the stored sweeps), ``check_sweeps``, the arguments and
        ``seed`` (the root).
    """
    from utacbook.stats._mcstats import integrated_autocorrelation_time
    from utacbook.models._abm import microscopic_to_beta_map

    n_sweeps = v.integer("n_sweeps", n_sweeps, low=2)
    tail = v.integer("tail", tail, low=2, high=n_sweeps - 1)
    n_rep = v.integer("n_replicas", n_replicas, low=2)
    checks = sorted({v.integer("check_sweeps", c, low=1, high=n_sweeps - tail)
                     for c in np.atleast_1d(check_sweeps)})
    n_stored = v.integer("n_stored", n_stored, low=2)
    L = v.integer("lattice_size", lattice_size, low=2)
    table = microscopic_to_beta_map() if systems is None else systems   # the guide's six systems
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
    """The largest ``|z|`` of a condition of :func:`sweeps_study` at one check sweep.

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
        observable with the largest ``|z|`` at sweep ``at``.
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
    """The largest ``|z|`` of a condition over all stored sweeps from ``start`` on.

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
        largest ``|z|``, and ``n_sweeps`` (stored sweeps scanned per point and
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
    """The first check sweep at which every ``|z|`` of a condition is below ``n_sigma``.

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

    For every condition and stored sweep, the largest ``|z|`` over its points and
    both observables (deviation of the replica mean from the long-run value,
    over its error): below ``n_sigma`` the condition cannot be told from its
    long-run state.

    Returns
    -------
    matplotlib axis
    """
    import matplotlib.pyplot as plt

    from utacbook.viz._plotting import PALETTE
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
