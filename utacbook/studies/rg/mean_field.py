"""The emergent beta over a grid of (J, T): simulation against mean field and J/T.

For every system (J, T) this module puts three predictions of the guide's
fitted steepness side by side:

* the guide's rule ``J / T``;
* mean field of this exact dynamics (:mod:`utacbook.theory`), both as the
  slope at the midpoint, ``beta_MF = 4 g'(0) / (T - J g'(0))``, and as the
  logistic fitted to the mean-field curve on the guide's R grid;
* the simulation: the guide's scan protocol, fitted replica by replica with
  :func:`utacbook.stats.extract_emergent_beta`.

:func:`beta_systems` (any shape of systems) and :func:`beta_grid` (a J x T
grid) run *all* simulations -- every system, replica and scan point -- in
one parallel call of :func:`utacbook.models.scan_field`.
:func:`midpoint_slope` measures the simulated slope at the midpoint
``h = -J/2`` directly, which is the quantity the mean-field slope predicts.
The plotting helpers draw on matplotlib axes and return them.
"""

from __future__ import annotations

import numpy as np

from utacbook import _validate as v
from utacbook.theory import _mean_field as th
from utacbook.models._abm import UPDATE_RULES, scan_field
from utacbook.stats._fitting import extract_emergent_beta

__all__ = ["beta_systems", "beta_grid", "midpoint_slope", "grid_study", "load_grid_study", "spot_check_grid_study",
           "ratio_families",
           "derivative_signs", "uncoupled_beta", "coupling_excess", "grid_table",
           "plot_beta_comparison", "plot_collapse", "plot_midpoint_slope", "plot_coupling_share"]

_REFERENCES = {
    "J_over_T": (r"guide's rule $J/T$", "J_over_T"),
    "mf_slope": (r"mean-field slope $\beta_{MF} = 4g'(0)/(T - Jg'(0))$", "beta_mf_slope"),
    "mf_fit": (r"mean field, logistic fitted on the R grid", "beta_mf_fit"),
}


# --------------------------------------------------------------------------- validation


def _systems(J, T, J_name="J", T_name="T"):
    """Broadcast J (>= 0) and T (> 0) to one shape, naming the bad argument."""
    J = v.real_array(J_name, J)
    T = v.real_array(T_name, T)
    if np.any(J < 0):
        raise ValueError(f"{J_name} must be >= 0 everywhere (the uniform mean field "
                         f"used here is for ferromagnetic coupling), got {J[J < 0][0]!r}")
    if np.any(T <= 0):
        raise ValueError(f"{T_name} must be > 0 everywhere, got {T[T <= 0][0]!r}")
    try:
        J, T = np.broadcast_arrays(J, T)
    except ValueError:
        raise ValueError(f"{J_name} and {T_name} must broadcast together, got shapes "
                         f"{J.shape} and {T.shape}") from None
    if J.size == 0:
        raise ValueError(f"{J_name} and {T_name} must hold at least one system")
    return np.array(J), np.array(T)


def _run_args(lattice_size, n_steps, n_replicas, update, min_replicas=2):
    L = v.integer("lattice_size", lattice_size, low=2, high=65536)
    n_steps = v.integer("n_steps", n_steps, low=1)
    n_rep = v.integer("n_replicas", n_replicas, low=min_replicas)
    v.choice("update", update, set(UPDATE_RULES))
    if update == "checkerboard" and L % 2:
        raise ValueError(f"lattice_size must be even for update='checkerboard', got {L}")
    return L, n_steps, n_rep


def _grid(R_min, R_max, n_points):
    R_min = v.real("R_min", R_min)
    R_max = v.real("R_max", R_max)
    if not R_min < R_max:
        raise ValueError(f"R_min must be < R_max, got R_min={R_min}, R_max={R_max}")
    return np.linspace(R_min, R_max, v.integer("n_points", n_points, low=3))


def _mean_std_sem(x, axis=0):
    """Mean, sample std and s.e.m. over ``axis``, ignoring nan."""
    ok = np.isfinite(x)
    n = ok.sum(axis=axis)
    xs = np.where(ok, x, 0.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = xs.sum(axis=axis) / n
        dev = np.where(ok, x - np.expand_dims(mean, axis), 0.0)
        std = np.sqrt((dev ** 2).sum(axis=axis) / (n - 1))
        sem = std / np.sqrt(n)
    mean = np.where(n > 0, mean, np.nan)
    std = np.where(n > 1, std, np.nan)
    sem = np.where(n > 1, sem, np.nan)
    return mean, std, sem, n


# --------------------------------------------------------------------------- simulations


def beta_systems(J, T, *, lattice_size=64, R_min=-2.0, R_max=2.0, n_points=25, n_steps=100,
                 n_replicas=5, update="sequential", seed=2025):
    """Emergent beta of a set of systems: simulation, mean field and J/T.

    Every (replica, system, R) run of the guide's protocol (fresh uniform
    random lattice, ``n_steps`` sweeps at field R) happens in ONE call of
    :func:`utacbook.models.scan_field`; each replica's curve is then fitted with
    :func:`utacbook.stats.extract_emergent_beta`.

    Parameters
    ----------
    J, T : float or array_like
        Couplings (>= 0) and noise temperatures (> 0), broadcast together to
        the shape S of the set of systems.
    lattice_size : int, default 64
        Linear lattice size L.
    R_min, R_max : float, default -2, 2
        Field range of the scan (R_min < R_max).
    n_points : int, default 25
        Scan points (>= 3).
    n_steps : int, default 100
        Sweeps per scan point.
    n_replicas : int, default 5
        Independent replicas (>= 2, for an error bar).
    update : {"sequential", "checkerboard"}, default "sequential"
        Update order (the guide's is sequential).
    seed : int or None, default 2025
        Root seed; run k in C order over (replica,) + S + (n_points,) uses
        stream k of :func:`utacbook.models.scan_field`.

    Returns
    -------
    dict
        Arrays of shape S unless stated: ``J``, ``T``, ``J_over_T`` (nan-free;
        0 at J = 0), ``beta_mf_slope`` (inf where mean field is bistable),
        ``beta_mf_fit`` (the logistic fitted to the mean-field curve on the
        same grid; nan if that fit fails), ``mf_grid_limited`` (bool),
        ``mf_curve`` (S + (n_points,)), ``betas``, ``thetas``, ``r2`` and
        ``grid_limited`` (bool; per replica, shape (n_replicas,) + S),
        ``beta_mean``, ``beta_std``, ``beta_sem`` and ``n_ok`` (over replicas
        with a finite beta), ``theta_mean``, ``theta_sem``, ``r2_mean``,
        ``grid_limited_any``, ``reasons`` (fit-failure reasons, a list),
        ``sigma`` ((n_replicas,) + S + (n_points,)), ``R`` (n_points,),
        ``seed`` (int), ``settings`` (dict of the run parameters).
    """
    J, T = _systems(J, T)
    R = _grid(R_min, R_max, n_points)
    L, n_steps, n_rep = _run_args(lattice_size, n_steps, n_replicas, update)
    res = scan_field(J[..., None], T[..., None], R, lattice_size=L, n_steps=n_steps,
                     n_replicas=n_rep, update=update, seed=seed)
    return _beta_analysis(J, T, R, res["sigma"], res["seed"], L, n_steps, update)


def _beta_analysis(J, T, R, sigma, seed, L, n_steps, update):
    """:func:`beta_systems` from its simulated responses ``sigma`` ((n_replicas,) + S + (n_points,))."""
    n_rep = sigma.shape[0]
    shape = J.shape

    betas = np.full((n_rep,) + shape, np.nan)
    thetas = np.full_like(betas, np.nan)
    r2 = np.full_like(betas, np.nan)
    limited = np.zeros(betas.shape, dtype=bool)
    reasons = []
    for idx in np.ndindex(betas.shape):
        b, r, info = extract_emergent_beta(R, sigma[idx])
        betas[idx], r2[idx], thetas[idx] = b, r, info["theta"]
        # a fit that ran into beta_max is a step between grid points
        limited[idx] = info.get("grid_limited", "r_squared_at_bound" in info)
        if info["reason"]:
            reasons.append(f"J={J[idx[1:]]:g}, T={T[idx[1:]]:g}, replica {idx[0]}: "
                           f"{info['reason']}")

    mf_curve = th.mean_field_scan_response(R, J[..., None], T[..., None])
    beta_mf_fit = np.full(shape, np.nan)
    mf_limited = np.zeros(shape, dtype=bool)
    beta_mf_slope = np.empty(shape)
    for idx in np.ndindex(shape):
        b, _, info = extract_emergent_beta(R, mf_curve[idx])
        beta_mf_fit[idx] = b
        mf_limited[idx] = info.get("grid_limited", "r_squared_at_bound" in info)
        beta_mf_slope[idx] = th.mean_field_beta(J[idx], T[idx])

    beta_mean, beta_std, beta_sem, n_ok = _mean_std_sem(betas)
    theta_mean, _, theta_sem, _ = _mean_std_sem(thetas)
    r2_mean, _, _, _ = _mean_std_sem(r2)
    return {
        "J": J, "T": T, "J_over_T": J / T, "R": R,
        "beta_mf_slope": beta_mf_slope, "beta_mf_fit": beta_mf_fit,
        "mf_grid_limited": mf_limited, "mf_curve": mf_curve,
        "betas": betas, "thetas": thetas, "r2": r2, "grid_limited": limited,
        "beta_mean": beta_mean, "beta_std": beta_std, "beta_sem": beta_sem, "n_ok": n_ok,
        "theta_mean": theta_mean, "theta_sem": theta_sem, "r2_mean": r2_mean,
        "grid_limited_any": limited.any(axis=0), "reasons": reasons,
        "sigma": sigma, "seed": seed,
        "settings": {"lattice_size": L, "R_min": float(R[0]), "R_max": float(R[-1]),
                     "n_points": int(R.size), "n_steps": n_steps, "n_replicas": n_rep,
                     "update": update},
    }


def beta_grid(J_values, T_values, *, lattice_size=64, R_min=-2.0, R_max=2.0, n_points=25,
              n_steps=100, n_replicas=5, update="sequential", seed=2025):
    """:func:`beta_systems` on the full grid J_values x T_values.

    Parameters
    ----------
    J_values : array_like, shape (nJ,)
        Couplings, >= 0.
    T_values : array_like, shape (nT,)
        Noise temperatures, > 0.
    lattice_size, R_min, R_max, n_points, n_steps, n_replicas, update, seed
        As :func:`beta_systems`.

    Returns
    -------
    dict
        As :func:`beta_systems`, with S = (nJ, nT) (axis 0 is J, axis 1 is
        T), plus ``J_values`` and ``T_values``.
    """
    Jv = v.real_array("J_values", J_values, ndim=1, min_len=1)
    Tv = v.real_array("T_values", T_values, ndim=1, min_len=1)
    if np.any(Jv < 0):
        raise ValueError(f"J_values must be >= 0 everywhere, got {Jv[Jv < 0][0]!r}")
    if np.any(Tv <= 0):
        raise ValueError(f"T_values must be > 0 everywhere, got {Tv[Tv <= 0][0]!r}")
    out = beta_systems(Jv[:, None], Tv[None, :], lattice_size=lattice_size, R_min=R_min,
                       R_max=R_max, n_points=n_points, n_steps=n_steps,
                       n_replicas=n_replicas, update=update, seed=seed)
    out["J_values"], out["T_values"] = Jv, Tv
    return out


def midpoint_slope(J, T, *, rel_deltas=(0.1, 0.2), lattice_size=64, n_steps=100,
                   n_replicas=10, update="sequential", seed=2027):
    """The simulated slope at the midpoint h = -J/2, as a beta: 4 d(sigma)/dh.

    This is what the mean-field slope ``beta_MF`` predicts, measured without
    a logistic fit: ``4 [sigma(-J/2 + d) - sigma(-J/2 - d)] / (2 d)`` with
    ``d = rel_delta * T`` (the response's natural field scale is T).  With two
    or more deltas, a smooth response gives the same value for each; a
    response that jumps at the midpoint gives values growing like 1/d (their
    ratio, ``step_ratio``, tends to the ratio r of the largest to the smallest
    delta).  ``jump`` flags step ratios above the geometric midpoint sqrt(r).

    Parameters
    ----------
    J, T : float or array_like
        Couplings (>= 0) and temperatures (> 0), broadcast to shape S.
    rel_deltas : sequence of float, default (0.1, 0.2)
        Half-widths of the central differences, in units of T (each > 0).
    lattice_size, n_steps, update
        As :func:`beta_systems`.
    n_replicas : int, default 10
        Independent replicas (>= 2).
    seed : int or None, default 2027
        Root seed of the single :func:`utacbook.models.scan_field` call
        (shape (n_replicas,) + S + (n_deltas, 2)).

    Returns
    -------
    dict
        ``J``, ``T``, ``J_over_T``, ``beta_mf_slope`` (shape S);
        ``rel_deltas`` (n_deltas,); ``deltas`` ((n_deltas,) + S);
        ``beta_slope`` ((n_replicas, n_deltas) + S, per replica);
        ``beta_slope_mean``, ``beta_slope_std``, ``beta_slope_sem``
        ((n_deltas,) + S); ``beta_mf_secant`` ((n_deltas,) + S: the same
        central difference of the mean-field response of the scan protocol,
        the like-for-like mean-field prediction; it approaches
        ``beta_mf_slope`` as delta -> 0); ``step_ratio`` (shape S: mean at the smallest
        delta over mean at the largest); ``jump`` (shape S, bool: step_ratio
        > sqrt(r), False with a single delta); ``sigma`` ((n_replicas,) + S +
        (n_deltas, 2)); ``seed``.
    """
    J, T = _systems(J, T)
    rd = v.real_array("rel_deltas", rel_deltas, ndim=1, min_len=1)
    if np.any(rd <= 0):
        raise ValueError(f"rel_deltas must be > 0 everywhere, got {rd[rd <= 0][0]!r}")
    L, n_steps, n_rep = _run_args(lattice_size, n_steps, n_replicas, update)
    d = rd * T[..., None]                                  # S + (n_d,)
    h = -0.5 * J[..., None, None] + np.stack([-d, d], axis=-1)   # S + (n_d, 2)
    res = scan_field(J[..., None, None], T[..., None, None], h, lattice_size=L,
                     n_steps=n_steps, n_replicas=n_rep, update=update, seed=seed)
    return _midpoint_analysis(J, T, rd, res["sigma"], res["seed"])


def _midpoint_analysis(J, T, rd, sig, seed):
    """:func:`midpoint_slope` from its simulated responses ``sig`` ((n_replicas,) + S + (n_deltas, 2))."""
    d = rd * T[..., None]                                  # S + (n_d,)
    h = -0.5 * J[..., None, None] + np.stack([-d, d], axis=-1)   # S + (n_d, 2)
    slope = 4.0 * (sig[..., 1] - sig[..., 0]) / (2.0 * d)  # (n_rep,) + S + (n_d,)
    slope = np.moveaxis(slope, -1, 1)                      # (n_rep, n_d) + S
    mean, std, sem, _ = _mean_std_sem(slope)
    small, large = int(np.argmin(rd)), int(np.argmax(rd))
    beta_mf = np.vectorize(th.mean_field_beta, otypes=[float])(J, T)
    step_ratio = mean[small] / mean[large]
    r = rd[large] / rd[small]
    # the same central difference applied to the mean-field response (the scan protocol's
    # fixed point, started from sigma = 1/2): the like-for-like mean-field prediction
    mf_sec = np.empty((rd.size,) + J.shape)
    for idx in np.ndindex(J.shape):
        hh = h[idx].ravel()                                # (n_d * 2,)
        m = th.mean_field_scan_response(hh, float(J[idx]), float(T[idx])).reshape(rd.size, 2)
        mf_sec[(slice(None),) + idx] = 4.0 * (m[:, 1] - m[:, 0]) / (2.0 * d[idx])
    jump = (step_ratio > np.sqrt(r)) if r > 1 else np.zeros(J.shape, dtype=bool)
    return {"J": J, "T": T, "J_over_T": J / T, "beta_mf_slope": beta_mf,
            "rel_deltas": rd, "deltas": np.moveaxis(d, -1, 0), "beta_slope": slope,
            "beta_slope_mean": mean, "beta_slope_std": std, "beta_slope_sem": sem,
            "beta_mf_secant": mf_sec, "step_ratio": step_ratio, "jump": jump, "sigma": sig, "seed": seed}


def grid_study(J_values=(0.0, 0.2, 0.4, 0.6, 0.8, 1.0), T_values=(0.1, 0.15, 0.2, 0.3, 0.5), *,
               seed=2025, seed_midpoint=2027, rel_deltas=(0.1, 0.2), lattice_size=64, n_steps=100,
               update="sequential"):
    """The chapter's grid, stored: the simulated responses of :func:`beta_grid` and :func:`midpoint_slope`.

    Only the simulations are stored (they take ~20 s); :func:`load_grid_study` repeats the
    fits on them in the build, and :func:`spot_check_grid_study` re-runs a part of them.

    Parameters
    ----------
    J_values, T_values : sequence of float
        As :func:`beta_grid` (the guide's field grid: 25 points on [-2, 2], 5 replicas).
    seed, seed_midpoint : int >= 0
        Root seeds of :func:`beta_grid` and of :func:`midpoint_slope` (10 replicas); stored as
        ``seed_grid`` and ``seed_midpoint``.
    rel_deltas, lattice_size, n_steps, update
        As :func:`midpoint_slope` and :func:`beta_grid`.

    Returns
    -------
    dict
        ``sigma_grid`` ((5, nJ, nT, 25)), ``sigma_midpoint`` ((10, nJ, nT, n_deltas, 2)), and the
        arguments.

    Examples
    --------
    >>> from utacbook.studies.rg import mean_field as bg
    >>> out = bg.grid_study([0.0, 0.5], [0.3], lattice_size=8, n_steps=5, seed=1, seed_midpoint=2)
    >>> out["sigma_grid"].shape, out["sigma_midpoint"].shape
    ((5, 2, 1, 25), (10, 2, 1, 2, 2))
    """
    kw = {"lattice_size": lattice_size, "n_steps": n_steps, "update": update}
    grid = beta_grid(J_values, T_values, seed=seed, **kw)
    mid = midpoint_slope(grid["J"], grid["T"], rel_deltas=rel_deltas, seed=seed_midpoint, **kw)
    return {"sigma_grid": grid["sigma"], "sigma_midpoint": mid["sigma"], "J_values": grid["J_values"],
            "T_values": grid["T_values"], "rel_deltas": mid["rel_deltas"], "seed_grid": grid["seed"],
            "seed_midpoint": mid["seed"], **kw}


def load_grid_study(name="rg_mean_field_grid", *, data_dir=None):
    """A stored :func:`grid_study`, analysed: ``(grid, midpoint, record)``.

    The fits run on the stored responses, so ``grid`` and ``midpoint`` are exactly what
    :func:`beta_grid` and :func:`midpoint_slope` return for the recorded call.

    Parameters
    ----------
    name : str
        The stored result (``book/data/<name>.json``).
    data_dir : path, optional
        As :func:`utacbook.stored.load`.

    Returns
    -------
    (dict, dict, utacbook.stored.StoredResult)

    Examples
    --------
    >>> from utacbook.studies.rg import mean_field as bg
    >>> grid, mid, rec = bg.load_grid_study()
    >>> grid["beta_mean"].shape, mid["beta_slope_mean"].shape, rec.provenance["params"]["seed"]
    ((6, 5), (2, 6, 5), 2025)
    """
    from utacbook import stored as _stored
    rec = _stored.load(name, data_dir=data_dir)
    Jv, Tv = np.asarray(rec["J_values"], dtype=float), np.asarray(rec["T_values"], dtype=float)
    J, T = _systems(Jv[:, None], Tv[None, :])
    sig = np.asarray(rec["sigma_grid"], dtype=float)
    R = _grid(-2.0, 2.0, sig.shape[-1])
    grid = _beta_analysis(J, T, R, sig, rec["seed_grid"], rec["lattice_size"], rec["n_steps"], rec["update"])
    grid["J_values"], grid["T_values"] = Jv, Tv
    mid = _midpoint_analysis(J, T, np.asarray(rec["rel_deltas"], dtype=float),
                             np.asarray(rec["sigma_midpoint"], dtype=float), rec["seed_midpoint"])
    return grid, mid, rec


def spot_check_grid_study(rec, *, n_couplings=2):
    """Re-run replica 0 of the first ``n_couplings`` couplings of a stored :func:`grid_study`.

    :func:`utacbook.models.scan_field` gives run k (C order over replicas, then systems, then
    fields) stream k of its seed, so replica 0 of the first couplings is the opening block of
    streams of the full call: a one-replica call on those couplings reproduces it bit for bit.

    Parameters
    ----------
    rec : utacbook.stored.StoredResult
        From :func:`load_grid_study`.
    n_couplings : int >= 1, default 2

    Returns
    -------
    dict
        ``identical`` (bool: every re-run response equal, bit for bit), ``n_runs`` (scans
        re-run), ``max_abs_diff``.

    Examples
    --------
    >>> from utacbook.studies.rg import mean_field as bg
    >>> grid, mid, rec = bg.load_grid_study()
    >>> chk = bg.spot_check_grid_study(rec, n_couplings=1)
    >>> chk["identical"], chk["n_runs"]
    (True, 145)
    """
    n = v.integer("n_couplings", n_couplings, low=1)
    kw = {k: rec[k] for k in ("lattice_size", "n_steps", "update")}
    grid = beta_grid(list(rec["J_values"])[:n], rec["T_values"], seed=rec["seed_grid"], n_replicas=2, **kw)
    mid = midpoint_slope(grid["J"], grid["T"], rel_deltas=rec["rel_deltas"], seed=rec["seed_midpoint"],
                         n_replicas=2, **kw)
    stored_grid = np.asarray(rec["sigma_grid"])[:1, :n]
    stored_mid = np.asarray(rec["sigma_midpoint"])[:1, :n]
    new_grid, new_mid = np.asarray(grid["sigma"])[:1], np.asarray(mid["sigma"])[:1]
    diff = max(float(np.max(np.abs(new_grid - stored_grid))), float(np.max(np.abs(new_mid - stored_mid))))
    return {"identical": bool(np.array_equal(new_grid, stored_grid) and np.array_equal(new_mid, stored_mid)),
            "n_runs": int(new_grid.size + new_mid.size), "max_abs_diff": diff}


# --------------------------------------------------------------------------- analysis


def ratio_families(result, *, min_size=2, decimals=9):
    """Groups of systems that share the same J/T (to ``decimals`` places).

    Parameters
    ----------
    result : dict
        Output of :func:`beta_systems`, :func:`beta_grid` or
        :func:`midpoint_slope` (needs ``J_over_T``).
    min_size : int, default 2
        Smallest group reported.
    decimals : int, default 9
        Rounding of J/T before grouping.

    Returns
    -------
    list of (float, tuple of ndarray)
        (J/T, index arrays into the system shape S), sorted by J/T; J = 0
        systems are left out (their J/T is 0 whatever T is).
    """
    min_size = v.integer("min_size", min_size, low=1)
    decimals = v.integer("decimals", decimals, low=0)
    K = np.round(np.asarray(result["J_over_T"], dtype=float), decimals)
    out = []
    for k in np.unique(K[K > 0]):
        idx = np.nonzero(K == k)
        if idx[0].size >= min_size:
            out.append((float(k), idx))
    return out


def derivative_signs(result, *, n_sigma=3.0):
    """Signs of the changes of the simulated beta along J and along T on a grid.

    For every pair of neighbouring grid systems (same T, next J; same J,
    next T) the change of ``beta_mean`` is called significant when it
    exceeds ``n_sigma`` times the combined s.e.m.  Pairs where either system
    is grid-limited in any replica are counted separately.

    Parameters
    ----------
    result : dict
        Output of :func:`beta_grid` (shape (nJ, nT), J and T increasing).
    n_sigma : float, default 3
        Significance threshold in units of the combined s.e.m.

    Returns
    -------
    dict
        ``"J"`` and ``"T"`` -> dict with ``n_pairs``, ``up``, ``down``,
        ``not_significant``, ``grid_limited`` (counts, among pairs where
        neither system is grid-limited except for the last), and ``delta``
        (the array of changes, nan where a system is grid-limited).
    """
    n_sigma = v.real("n_sigma", n_sigma, positive=True)
    b, s = result["beta_mean"], result["beta_sem"]
    lim = result["grid_limited_any"] | ~np.isfinite(b)
    if b.ndim != 2:
        raise ValueError(f"result must come from beta_grid (2-d systems), got shape {b.shape}")
    out = {}
    for name, axis in (("J", 0), ("T", 1)):
        db = np.diff(b, axis=axis)
        err = np.sqrt(s[tuple(_sl(axis, 1, None))] ** 2 + s[tuple(_sl(axis, None, -1))] ** 2)
        bad = lim[tuple(_sl(axis, 1, None))] | lim[tuple(_sl(axis, None, -1))]
        sig = np.abs(db) > n_sigma * err
        out[name] = {"n_pairs": int(db.size), "grid_limited": int(bad.sum()),
                     "up": int((~bad & sig & (db > 0)).sum()),
                     "down": int((~bad & sig & (db < 0)).sum()),
                     "not_significant": int((~bad & ~sig).sum()),
                     "delta": np.where(bad, np.nan, db)}
    return out


def _sl(axis, start, stop):
    sl = [slice(None), slice(None)]
    sl[axis] = slice(start, stop)
    return sl


def _fmt(x, err=None, digits=3):
    if not np.isfinite(x):
        return "∞" if x > 0 else "—"
    s = f"{x:.{digits}g}"
    if err is not None and np.isfinite(err):
        s += f" ± {err:.2g}"
    return s


def uncoupled_beta(T, *, R_min=-2.0, R_max=2.0, n_points=25):
    """The fitted beta of uncoupled agents (J = 0) at noise T, exactly.

    With no coupling every agent relaxes independently, and after the
    guide's 100 sweeps (each agent updated about 100 times) the expected mean
    activation is ``g(h/T)`` exactly (:func:`utacbook.theory.single_site_response`;
    mean field is exact at J = 0).  This is the guide's logistic fit applied
    to that curve on the scan grid: the steepness the lattice has from the
    agents' own response to the field, before any interaction.

    Parameters
    ----------
    T : float or array_like
        Noise temperature(s), > 0.
    R_min, R_max, n_points
        The scan grid, as in :func:`beta_systems`.

    Returns
    -------
    float or ndarray
        beta(0, T), same shape as ``T``.
    """
    T = v.real_array("T", T)
    if np.any(T <= 0):
        raise ValueError(f"T must be > 0 everywhere, got {T[T <= 0][0]!r}")
    _grid(R_min, R_max, n_points)
    out = np.array([th.mean_field_emergent_beta(0.0, float(t), R_min=R_min, R_max=R_max,
                                                n_points=n_points)[0] for t in T.ravel()])
    out = out.reshape(T.shape)
    return float(out) if out.ndim == 0 else out


def coupling_excess(result):
    """How much of each system's fitted beta the coupling adds, against the uncoupled agents.

    For every system of :func:`beta_systems` or :func:`beta_grid`, with
    ``beta0 = uncoupled_beta(T)`` on the same grid:

    * ``excess = beta_mean - 2 * beta0``: the coupling's contribution
      ``beta - beta0`` minus the uncoupled agents' own ``beta0``; positive
      where the coupling contributes more to beta than the agents'
      own response does;
    * ``excess_err``: the replica standard error of ``beta_mean``
      (``beta0`` is exact);
    * ``share = 1 - beta0 / beta_mean``: the coupling's share of beta.

    In mean field the share of the *midpoint slope* is exactly
    ``g'(0) J/T``, one half at J/T = 1/(2 g'(0)).

    Parameters
    ----------
    result : dict
        Output of :func:`beta_systems` or :func:`beta_grid` (keys ``T``,
        ``beta_mean``, ``beta_sem`` and ``settings``).

    Returns
    -------
    dict
        ``beta0``, ``excess``, ``excess_err``, ``share`` (arrays of the
        systems' shape).
    """
    s = result.get("settings", {})
    T = np.asarray(result["T"], dtype=float)
    beta0 = np.asarray(uncoupled_beta(T, R_min=s.get("R_min", -2.0), R_max=s.get("R_max", 2.0),
                                      n_points=s.get("n_points", 25)), dtype=float).reshape(T.shape)
    b = np.asarray(result["beta_mean"], dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        share = 1.0 - beta0 / b
    return {"beta0": beta0, "excess": b - 2.0 * beta0,
            "excess_err": np.asarray(result["beta_sem"], dtype=float), "share": share}


def grid_table(result, *, names=None, midpoint=None, display=True):
    """The per-system comparison as a Markdown table.

    Columns: J, T, J/T, mean-field slope beta, mean-field fitted beta,
    simulated fitted beta (mean ± std over replicas), its R², whether any
    replica was grid-limited, and (with ``midpoint``) the simulated midpoint
    slope as a beta (mean ± std at the smallest delta; "(jump)" where the
    response jumps at the midpoint, see :func:`midpoint_slope`).

    Parameters
    ----------
    result : dict
        Output of :func:`beta_systems` or :func:`beta_grid`.
    names : sequence of str, optional
        A name per system (C order over the system shape).
    midpoint : dict, optional
        Output of :func:`midpoint_slope` for the same systems.
    display : bool, default True
        Display the table in the notebook.

    Returns
    -------
    str
        The Markdown text.
    """
    J, T = result["J"].ravel(), result["T"].ravel()
    n = J.size
    if names is not None and len(names) != n:
        raise ValueError(f"names must have one entry per system ({n}), got {len(names)}")
    head = ["system"] if names is not None else []
    head += ["J", "T", "J/T", "β_MF slope", "β_MF fitted", "β_sim fitted", "R²",
             "grid-limited"]
    if midpoint is not None:
        if midpoint["J"].size != n:
            raise ValueError("midpoint must be for the same systems as result")
        head.append("β_sim midpoint slope")
        k = int(np.argmin(midpoint["rel_deltas"]))
        mm = midpoint["beta_slope_mean"][k].ravel()
        ms = midpoint["beta_slope_std"][k].ravel()
        mj = np.asarray(midpoint["jump"]).ravel()
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    cols = {key: result[key].ravel() for key in
            ("beta_mf_slope", "beta_mf_fit", "beta_mean", "beta_std", "r2_mean",
             "grid_limited", "mf_grid_limited")}
    nlim = result["grid_limited"].reshape(result["grid_limited"].shape[0], -1).sum(axis=0)
    n_rep = result["grid_limited"].shape[0]
    for i in range(n):
        row = [names[i]] if names is not None else []
        mf_fit = _fmt(cols["beta_mf_fit"][i]) + (" (gl)" if cols["mf_grid_limited"][i] else "")
        row += [f"{J[i]:g}", f"{T[i]:g}", f"{J[i] / T[i]:.3g}", _fmt(cols["beta_mf_slope"][i]),
                mf_fit, _fmt(cols["beta_mean"][i], cols["beta_std"][i]),
                f"{cols['r2_mean'][i]:.4f}", f"{nlim[i]}/{n_rep}" if nlim[i] else "no"]
        if midpoint is not None:
            row.append(_fmt(mm[i], ms[i]) + (" (jump)" if mj[i] else ""))
        lines.append("| " + " | ".join(row) + " |")
    text = "\n".join(lines)
    if display:
        from IPython.display import Markdown, display as _display
        _display(Markdown(text))
    return text


# --------------------------------------------------------------------------- plots


def _ax(ax):
    if ax is None:
        import matplotlib.pyplot as plt
        _, ax = plt.subplots()
    return ax


def _log_ticks(*axes):
    """Plain-number ticks at 1, 2, 5 x 10^k on log-scaled matplotlib axes."""
    from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter
    for axis in axes:
        axis.set_major_locator(LogLocator(base=10, subs=(1.0, 2.0, 5.0)))
        axis.set_major_formatter(FuncFormatter(lambda val, _: f"{val:g}"))
        axis.set_minor_formatter(NullFormatter())


def _t_colours(T):
    import matplotlib.pyplot as plt
    Tu = np.unique(T)
    cmap = plt.get_cmap("viridis")
    return Tu, {t: cmap(k / max(len(Tu) - 1, 1) * 0.9) for k, t in enumerate(Tu)}


def plot_beta_comparison(result, *, reference="mf_fit", ax=None, legend=True):
    """Simulated fitted beta against a prediction, on log-log axes with y = x.

    Systems are coloured by T; open markers are systems where some replica's
    fit is grid-limited.  Systems whose prediction is off the log scale
    (J/T = 0, or an infinite mean-field slope) are drawn at the left or right
    edge with a triangle pointing off the axis.

    Parameters
    ----------
    result : dict
        Output of :func:`beta_systems` or :func:`beta_grid`.
    reference : {"mf_fit", "mf_slope", "J_over_T"}, default "mf_fit"
        The prediction on the x axis.
    ax : matplotlib axis, optional
    legend : bool, default True

    Returns
    -------
    matplotlib axis
    """
    v.choice("reference", reference, set(_REFERENCES))
    ax = _ax(ax)
    label, key = _REFERENCES[reference]
    x = np.asarray(result[key], dtype=float).ravel()
    y = result["beta_mean"].ravel()
    e = result["beta_std"].ravel()
    T = result["T"].ravel()
    gl = result["grid_limited_any"].ravel()
    good = np.isfinite(x) & (x > 0)
    xs = x[good & np.isfinite(y)]
    lo = min(xs.min(), np.nanmin(y)) if xs.size else np.nanmin(y)
    hi = max(xs.max(), np.nanmax(y)) if xs.size else np.nanmax(y)
    lo, hi = lo / 1.6, hi * 1.6
    xplot = np.where(good, x, np.where(np.isfinite(x) & (x <= 0), lo * 1.15, hi / 1.15))
    Tu, col = _t_colours(T)
    for t in Tu:
        for off in (False, True):
            for lim in (False, True):
                m = (T == t) & (good != off) & (gl == lim) & np.isfinite(y)
                if not m.any():
                    continue
                marker = "o" if not off else ("<" if reference == "J_over_T" else ">")
                ax.errorbar(xplot[m], y[m], yerr=e[m], fmt=marker, ms=5, capsize=2,
                            color=col[t], mfc="none" if lim else col[t],
                            label=f"T = {t:g}" if (not off and not lim) else None)
    ax.plot([lo, hi], [lo, hi], "k--", lw=1, label="y = x")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlim(lo, hi)
    ax.set_ylim(lo, hi)
    _log_ticks(ax.xaxis, ax.yaxis)
    ax.set_xlabel(label)
    ax.set_ylabel(r"simulated fitted $\beta$")
    if legend:
        ax.legend(fontsize=8, loc="upper left")
    return ax


def plot_collapse(J, T, beta, beta_err=None, *, open_mask=None, mean_field=True, axes=None,
                  ylabel=r"$\beta$"):
    """Does beta depend on J/T alone?  beta and beta*T against J/T.

    Left: beta against J/T, with the guide's beta = J/T; systems with the
    same J/T but different T fall on one vertical line.  Right: beta*T
    against J/T with the mean-field curve 4 g'(0) / (1 - g'(0) J/T), which is
    a function of J/T alone.

    Parameters
    ----------
    J, T, beta : array_like
        Systems (any shape, flattened) and their beta.
    beta_err : array_like, optional
        Error bars on beta.
    open_mask : array_like of bool, optional
        Systems drawn with open markers (e.g. grid-limited).
    mean_field : bool, default True
        Draw the mean-field curve (right) and threshold (both).
    axes : pair of matplotlib axes, optional
    ylabel : str
        Label of beta.

    Returns
    -------
    pair of matplotlib axes
    """
    import matplotlib.pyplot as plt
    J = np.asarray(J, dtype=float).ravel()
    T = np.asarray(T, dtype=float).ravel()
    b = np.asarray(beta, dtype=float).ravel()
    e = np.zeros_like(b) if beta_err is None else np.asarray(beta_err, dtype=float).ravel()
    om = np.zeros(b.shape, bool) if open_mask is None else np.asarray(open_mask).ravel()
    if not (J.size == T.size == b.size == e.size == om.size):
        raise ValueError("J, T, beta, beta_err and open_mask must have the same size")
    if axes is None:
        _, axes = plt.subplots(1, 2, figsize=(10, 4))
    K = J / T
    Tu, col = _t_colours(T)
    for t in Tu:
        for lim in (False, True):
            m = (T == t) & (om == lim) & np.isfinite(b)
            if not m.any():
                continue
            kw = dict(fmt="o", ms=5, capsize=2, color=col[t], mfc="none" if lim else col[t])
            axes[0].errorbar(K[m], b[m], yerr=e[m], label=None if lim else f"T = {t:g}", **kw)
            axes[1].errorbar(K[m], b[m] * T[m], yerr=e[m] * T[m], **kw)
    Kf = np.linspace(0, max(K.max(), 1.0) * 1.05, 400)
    axes[0].plot(Kf, Kf, "--", color="0.4", lw=1.2, label=r"guide: $\beta = J/T$")
    fin = b[np.isfinite(b) & (b > 0)]
    if fin.size:
        axes[0].set_ylim(fin.min() / 2, fin.max() * 2)
    if mean_field:
        Kc = th.critical_coupling_ratio()
        Km = Kf[Kf < Kc * 0.995]
        axes[1].plot(Km, th.mean_field_beta_scaled(Km), "-", color="#2ca02c", lw=1.5,
                     label=r"mean field $4g'(0)/(1 - g'(0)J/T)$")
        for ax in axes:
            ax.axvline(Kc, color="#2ca02c", ls=":", lw=1)
    axes[0].set_yscale("log")
    axes[1].set_yscale("log")
    _log_ticks(axes[0].yaxis, axes[1].yaxis)
    axes[0].set_ylabel(ylabel)
    axes[1].set_ylabel(ylabel + r"$\,\cdot\,T$")
    for ax in axes:
        ax.set_xlabel("$J/T$")
    axes[0].legend(fontsize=8, loc="lower right")
    if mean_field:
        axes[1].legend(fontsize=8, loc="upper left")
    return axes


def plot_midpoint_slope(result, *, all_deltas=False, mean_field=True, ax=None, color=None,
                        label="simulation"):
    """Midpoint slope as beta*T against J/T, with the mean-field prediction.

    Parameters
    ----------
    result : dict
        Output of :func:`midpoint_slope`.
    all_deltas : bool, default False
        Draw the estimate at every delta (distinct markers, filled for the
        smallest; a jump shows up as values that grow as delta shrinks);
        otherwise only the smallest delta, with open markers where the
        response jumps (``result["jump"]``).
    mean_field : bool, default True
        Draw 4 g'(0) / (1 - g'(0) J/T) and the threshold J/T = 1/g'(0).
    ax : matplotlib axis, optional
    color : colour, optional
    label : str
        Legend label of the simulated points.

    Returns
    -------
    matplotlib axis
    """
    ax = _ax(ax)
    K = result["J_over_T"].ravel()
    T = result["T"].ravel()
    rd = result["rel_deltas"]
    order = np.argsort(rd)
    ks = order if all_deltas else order[:1]
    markers = "os^vD<>p"
    color = color or "#1f77b4"
    jump = np.asarray(result["jump"]).ravel()
    for n, k in enumerate(ks):
        b = result["beta_slope_mean"][k].ravel() * T
        e = result["beta_slope_std"][k].ravel() * T
        if all_deltas:
            ax.errorbar(K, b, yerr=e, fmt=markers[n % len(markers)], ms=5, capsize=2,
                        color=color, mfc=color if n == 0 else "none",
                        label=f"{label}, $\\delta = {rd[k]:g}\\,T$")
            continue
        for j, lab in ((False, label), (True, f"{label}: jumps at the midpoint")):
            m = jump == j
            if m.any():
                ax.errorbar(K[m], b[m], yerr=e[m], fmt="o", ms=5, capsize=2, color=color,
                            mfc="none" if j else color, label=lab)
    if mean_field:
        Kc = th.critical_coupling_ratio()
        Kf = np.linspace(0.0, Kc * 0.995, 400)
        ax.plot(Kf, th.mean_field_beta_scaled(Kf), "-", color="#2ca02c", lw=1.5,
                label=r"mean field $4g'(0)/(1 - g'(0)J/T)$")
        ax.axvline(Kc, color="#2ca02c", ls=":", lw=1)
    ax.set_yscale("log")
    _log_ticks(ax.yaxis)
    ax.set_xlabel("$J/T$")
    ax.set_ylabel(r"midpoint slope $\beta\cdot T = 4T\,d\bar\sigma/dh$")
    ax.legend(fontsize=8, loc="upper left")
    return ax



def plot_coupling_share(J, T, share, share_err=None, *, open_mask=None, mean_field=True, ax=None,
                        marker="o", label=None, color=None):
    """The coupling's share of beta, ``1 - beta(0, T)/beta``, against J/T.

    Systems are coloured by T (as in :func:`plot_collapse`) unless ``color``
    is given; the dotted line at one half separates "mostly from the
    coupling" from "mostly from the agents' own response".  With
    ``mean_field``, the mean-field share of the midpoint slope,
    ``g'(0) J/T``, up to its threshold.

    Parameters
    ----------
    J, T, share : array_like
        Systems (any shape, flattened) and their share.
    share_err : array_like, optional
        Error bars.
    open_mask : array_like of bool, optional
        Systems drawn with open markers (e.g. grid-limited fits).
    mean_field : bool, default True
    ax : matplotlib axis, optional
    marker : str, default "o"
    label : str, optional
        Legend label (with ``color``); otherwise one entry per T.
    color : colour, optional

    Returns
    -------
    matplotlib axis
    """
    ax = _ax(ax)
    J = np.asarray(J, dtype=float).ravel()
    T = np.asarray(T, dtype=float).ravel()
    y = np.asarray(share, dtype=float).ravel()
    e = np.zeros_like(y) if share_err is None else np.asarray(share_err, dtype=float).ravel()
    om = np.zeros(y.shape, bool) if open_mask is None else np.asarray(open_mask).ravel()
    if not (J.size == T.size == y.size == e.size == om.size):
        raise ValueError("J, T, share, share_err and open_mask must have the same size")
    K = J / T
    if color is None:
        Tu, col = _t_colours(T)
        groups = [(T == t, col[t], f"T = {t:g}") for t in Tu]
    else:
        groups = [(np.ones(y.shape, bool), color, label)]
    for sel, c, lab in groups:
        for lim in (False, True):
            m = sel & (om == lim) & np.isfinite(y)
            if m.any():
                ax.errorbar(K[m], y[m], yerr=e[m], fmt=marker, ms=6 if marker == "*" else 5,
                            capsize=2, color=c, mfc="none" if lim else c,
                            label=None if lim else lab)
    if mean_field:
        Kc = th.critical_coupling_ratio()
        Kf = np.linspace(0.0, Kc, 200)
        ax.plot(Kf, th.GPRIME0 * Kf, "-", color="#2ca02c", lw=1.5,
                label=r"mean field, midpoint slope: $g'(0)\,J/T$")
    ax.axhline(0.5, color="k", ls=":", lw=1)
    ax.set_xlabel("$J/T$")
    ax.set_ylabel(r"coupling's share of $\beta$: $1 - \beta(0, T)/\beta$")
    ax.set_ylim(-0.05, 1.0)
    return ax
