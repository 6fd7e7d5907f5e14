"""Studies beyond the guide: lattice size, update order, hysteresis, adaptive scans.

The RG Phase 2 guide lists "larger lattices (N=256, 512) for better
convergence" as a next step and says "finite-size effects present".  This
module holds the machinery of the book chapter that follows those leads and
tests the assumptions behind the guide's scan protocol:

* :func:`finite_size_study` -- the emergent beta (25 points on [-2, 2], 100
  sweeps from a fresh random lattice per point) for several lattice sizes,
  with replicas, against the mean-field beta fitted on the same grid;
* :func:`update_order_comparison` -- the guide's random sequential order
  against the checkerboard order, point by point and through the fitted beta;
* :func:`hysteresis_study` -- field sweeps up and down that carry the lattice
  state along, with loop areas (:func:`utacbook.stats.loop_area`), switching fields
  (:func:`switching_fields`) and the mean-field spinodals and branches
  (:func:`mean_field_branches`); :func:`midpoint_memory` tests bistability
  directly, by holding a lattice prepared low or high at the midpoint;
* :func:`compare_adaptive` -- the uniform grid against
  :func:`utacbook.models.adaptive_scan`, which puts its points where sigma changes;
* plotting helpers for each, and :func:`explore_hysteresis`, a live widget.

Every simulation goes through :func:`utacbook.models.scan_field` (one parallel
call per lattice size or update order), :func:`utacbook.models.hysteresis_loop`
or :func:`utacbook.models.adaptive_scan`.  Every function takes a ``seed``;
the random streams of a sub-run are derived from it by a fixed
``SeedSequence`` spawn key (for example the lattice size), so a seed
reproduces every number exactly, and adding a lattice size to a study does not
change the results for the others.
"""

from __future__ import annotations

import numbers

import numpy as np
from scipy import special, stats

from utacbook import _validate as v
from utacbook import claims as uc
from utacbook._kernels.rng import resolve_seed
from utacbook.models._abm import UPDATE_RULES, adaptive_scan, hysteresis_loop, scan_field
from utacbook.stats._fitting import extract_emergent_beta, logistic
from utacbook.theory._mean_field import (critical_coupling_ratio, mean_field_beta, mean_field_emergent_beta,
                                         mean_field_s_curve, mean_field_spinodals)
from utacbook.stats._curves import loop_area

__all__ = [
    'finite_size_study', 'stored_finite_size', 'spot_check_finite_size', 'update_order_comparison', 'switching_fields',
    'hysteresis_study', 'midpoint_memory', 'mean_field_branches', 'compare_adaptive', 'points_in_transition',
    'finite_size_responses', 'spot_check_finite_size_responses', 'update_order_responses',
    'spot_check_update_order', 'hysteresis_responses', 'spot_check_hysteresis',
    'midpoint_memory_responses', 'spot_check_memory', 'compare_adaptive_responses', 'spot_check_adaptive',
    'plot_finite_size_study', 'plot_update_order', 'plot_hysteresis', 'plot_adaptive', 'hysteresis_figure',
    'explore_hysteresis', 'claims', 'judge_claims'
]


# --------------------------------------------------------------------------- helpers


def _root_entropy(seed):
    """The integer entropy behind ``seed`` (fresh entropy if None)."""
    return resolve_seed(seed)[1]


def _child(entropy, *key):
    """The SeedSequence with spawn key ``key`` under root ``entropy``."""
    return np.random.SeedSequence(entropy, spawn_key=tuple(int(k) for k in key))


def _grid(R_min, R_max, n_points):
    R_min = v.real("R_min", R_min)
    R_max = v.real("R_max", R_max)
    if not R_min < R_max:
        raise ValueError(f"R_min must be < R_max, got R_min={R_min}, R_max={R_max}")
    n_points = v.integer("n_points", n_points, low=3)
    return np.linspace(R_min, R_max, n_points)


def _couplings(J, T):
    """J and T as equal-length 1-D arrays (scalars allowed), T > 0."""
    Jb, Tb = np.broadcast_arrays(np.atleast_1d(np.asarray(J, dtype=float)),
                                 np.atleast_1d(np.asarray(T, dtype=float)))
    Jb = v.real_array("J", Jb, ndim=1, min_len=1).copy()
    Tb = v.real_array("T", Tb, ndim=1, min_len=1).copy()
    if np.any(Tb <= 0):
        raise ValueError(f"T must be > 0 everywhere, got {Tb.tolist()}")
    return Jb, Tb


def _fit_all(R, sigma):
    """Logistic fits of each row of ``sigma`` (..., n) on grid(s) ``R``."""
    sig = np.asarray(sigma, dtype=float)
    flat = sig.reshape(-1, sig.shape[-1])
    Rs = np.broadcast_to(np.asarray(R, dtype=float), flat.shape) if np.ndim(R) > 1 else None
    betas, thetas, r2s, limited, n_in = [], [], [], [], []
    for k, s in enumerate(flat):
        Rk = R if Rs is None else Rs[k]
        b, r2, info = extract_emergent_beta(Rk, s)
        betas.append(b)
        thetas.append(info["theta"])
        r2s.append(r2)
        limited.append(bool(info.get("grid_limited", True)))
        n_in.append(points_in_transition(Rk, b, info["theta"]))
    shape = sig.shape[:-1]
    return {"betas": np.reshape(betas, shape), "thetas": np.reshape(thetas, shape),
            "r_squared": np.reshape(r2s, shape), "grid_limited": np.reshape(limited, shape),
            "n_in_transition": np.reshape(n_in, shape)}


def _mean_std_sem(x, axis=-1):
    """Mean, sample std and s.e.m. over finite entries along ``axis``."""
    x = np.asarray(x, dtype=float)
    ok = np.isfinite(x)
    n = ok.sum(axis=axis)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.where(n > 0, np.nansum(np.where(ok, x, 0.0), axis=axis) / np.maximum(n, 1),
                        np.nan)
        dev = np.where(ok, x - np.expand_dims(mean, axis), 0.0)
        std = np.where(n > 1, np.sqrt(np.sum(dev ** 2, axis=axis) / np.maximum(n - 1, 1)),
                       np.nan)
        sem = std / np.sqrt(np.maximum(n, 1))
    return mean, std, sem, n


def _welch_p(a, b):
    """Two-sided Welch t-test p-value of mean(a) == mean(b) (finite entries only)."""
    a = np.asarray(a, dtype=float)
    b = np.asarray(b, dtype=float)
    a, b = a[np.isfinite(a)], b[np.isfinite(b)]
    if a.size < 2 or b.size < 2:
        return float("nan")
    va, vb = a.var(ddof=1) / a.size, b.var(ddof=1) / b.size
    if va + vb == 0.0:
        return 1.0 if a.mean() == b.mean() else 0.0
    # Welch's t-test, written out (scipy warns on nearly identical samples)
    t = (a.mean() - b.mean()) / np.sqrt(va + vb)
    df = (va + vb) ** 2 / (va ** 2 / (a.size - 1) + vb ** 2 / (b.size - 1))
    return float(2.0 * stats.t.sf(abs(t), df))


def points_in_transition(R, beta, theta):
    """Number of scan points inside the fitted 10-90 % rise, ``|R - theta| < ln 9 / |beta|``.

    A grid resolves a transition only if several points fall inside it;
    unlike ``fit_info['grid_limited']`` (which compares the width with the
    largest grid spacing) this is meaningful for non-uniform grids too.

    Parameters
    ----------
    R : array_like
        Scan points.
    beta, theta : float
        Fitted steepness and midpoint (nan gives 0).

    Returns
    -------
    int
    """
    R = np.asarray(R, dtype=float)
    if not (np.isfinite(beta) and np.isfinite(theta)) or beta == 0:
        return 0
    return int(np.sum(np.abs(R - theta) < np.log(9.0) / abs(beta)))


# --------------------------------------------------------------------------- finite size


def finite_size_study(J, T, *, sizes=(32, 64, 128, 256, 512), n_replicas=(16, 8, 4, 3, 3),
                      R_min=-2.0, R_max=2.0, n_points=25, n_steps=100, update="sequential",
                      seed=0, sigma=None):
    """The guide's emergent beta for several lattice sizes, with replicas.

    For each size L, ``n_replicas`` independent scans of the guide's protocol
    (``n_points`` fields on [R_min, R_max], each from a fresh uniform random
    lattice, ``n_steps`` sweeps) run in one parallel :func:`utacbook.models.scan_field` call,
    and each replica's curve gets the guide's logistic fit.

    Parameters
    ----------
    J : float
        Coupling.
    T : float
        Noise temperature, > 0.
    sizes : sequence of int, default (32, 64, 128, 256, 512)
        Lattice sizes L >= 4, strictly increasing (even for the checkerboard).
    n_replicas : int or sequence of int, default (16, 8, 4, 3, 3)
        Replicas per size (>= 2, so that a spread can be measured); one int
        for all sizes, or one per size.  The cost of a scan grows as L**2, so
        small lattices get more replicas.
    R_min, R_max : float, default -2, 2
        Field range (the guide's).
    n_points : int, default 25
        Grid points (>= 3).
    n_steps : int, default 100
        Sweeps per point (>= 1).
    update : {"sequential", "checkerboard"}, default "sequential"
        Update order (the guide's is "sequential").
    seed : int or None, default 0
        Root seed.  Size L uses the streams of ``SeedSequence(seed,
        spawn_key=(L,))``, so its result does not depend on the other sizes.
    sigma : list of array_like, optional
        One response array (n_replicas, n_points) per size, from an earlier run
        of this call with the same arguments (:func:`finite_size_responses`,
        stored): nothing is simulated, the fits run on them.

    Returns
    -------
    dict
        ``sizes``, ``n_replicas`` (arrays), ``R`` (grid), ``betas`` (list of
        per-replica arrays, one per size), ``beta_mean``, ``beta_std``,
        ``beta_sem`` (from each size's own replicas), ``theta_mean``,
        ``r2_mean`` (arrays over sizes),
        ``sigma_mean`` (sizes x points), ``beta_mf_fit`` (the logistic fit to
        the mean-field curve on the same grid), ``beta_mf`` (the mean-field
        central-slope beta), ``std_slope``, ``std_slope_err`` (exponent s of
        std(beta) ~ L**s, weighted least squares in log-log with the
        small-sample bias and variance of log(std) corrected; a self-averaging
        mean gives s = -1), ``spread_amplitude`` A and ``spread_dof`` (the
        replica spread pooled over all sizes under std(beta) = A / L),
        ``beta_sem_pooled`` (A / (L sqrt(n)), the s.e.m. of each size's mean
        from the pooled spread), ``beta_pooled``, ``beta_pooled_err``
        (weighted mean over sizes), ``chi2_const``, ``dof_const``,
        ``p_const`` (F test of a size-independent beta, chi2 / dof against
        F(dof_const, spread_dof)), ``beta_inf``, ``beta_inf_err``,
        ``fs_slope``, ``fs_slope_err`` (weighted fit beta(L) = beta_inf +
        fs_slope / L, the form of a smooth finite-size correction; needs three
        sizes), ``J``, ``T``, ``n_steps``, ``update``, ``seed``.

    Notes
    -----
    With 3 replicas a standard deviation is uncertain by about 50 %, so the
    per-size ``beta_sem`` of the largest lattices is itself rough.  If the
    mean is self-averaging the spread falls as 1/L; the slope test checks
    this, and the pooled amplitude then gives every size a well-determined
    error.
    """
    J = v.real("J", J)
    T = v.real("T", T, positive=True)
    if isinstance(sizes, numbers.Integral):
        sizes = (sizes,)
    sizes = [v.integer("sizes", L, low=4, high=65536) for L in sizes]
    if not sizes:
        raise ValueError("sizes must not be empty")
    if any(b <= a for a, b in zip(sizes, sizes[1:])):
        raise ValueError(f"sizes must be strictly increasing, got {sizes}")
    if isinstance(n_replicas, numbers.Integral) and not isinstance(n_replicas, bool):
        n_replicas = [n_replicas] * len(sizes)
    n_replicas = list(n_replicas)
    if len(n_replicas) != len(sizes):
        raise ValueError(f"n_replicas must be an int or have one entry per size "
                         f"({len(sizes)}), got {len(n_replicas)}")
    n_replicas = [v.integer("n_replicas", n, low=2) for n in n_replicas]
    R = _grid(R_min, R_max, n_points)
    n_steps = v.integer("n_steps", n_steps, low=1)
    v.choice("update", update, set(UPDATE_RULES))
    if update == "checkerboard" and any(L % 2 for L in sizes):
        raise ValueError(f"sizes must all be even for update='checkerboard', got {sizes}")
    entropy = _root_entropy(seed)

    if sigma is None:
        sigma = _finite_size_sigma(J, T, R, sizes, n_replicas, n_steps, update, entropy)
    elif len(sigma) != len(sizes):
        raise ValueError(f"sigma must hold one response array per size ({len(sizes)}), got {len(sigma)}")
    betas, thetas, r2s, sig_mean = [], [], [], []
    for k, n in enumerate(n_replicas):
        s = _given({"sigma": sigma[k]}, {"sigma": (n, R.shape[0])})["sigma"]
        fits = _fit_all(R, s)
        betas.append(fits["betas"])
        thetas.append(fits["thetas"])
        r2s.append(fits["r_squared"])
        sig_mean.append(s.mean(axis=0))
    stats_ = [_mean_std_sem(b) for b in betas]
    mean = np.array([s[0] for s in stats_])
    std = np.array([s[1] for s in stats_])
    sem = np.array([s[2] for s in stats_])
    n_ok = np.array([s[3] for s in stats_])

    # std(beta) ~ L**s, fitted in log-log.  For normal replicas with k = n - 1
    # degrees of freedom, log(s^2) is biased by psi(k/2) - log(k/2) (-0.58 for
    # k = 2) and has variance psi'(k/2) (1.64 for k = 2); with fewer replicas
    # at large L the raw log-std would bias the slope down, so correct it.
    Ls = np.array(sizes, dtype=float)
    ok = np.isfinite(std) & (std > 0) & (n_ok > 1)
    slope = slope_err = float("nan")
    if ok.sum() >= 2:
        k = (n_ok[ok] - 1) / 2.0
        w = 4.0 / special.polygamma(1, k)
        x = np.log(Ls[ok])
        y = np.log(std[ok]) - 0.5 * (special.digamma(k) - np.log(k))
        xm = np.sum(w * x) / w.sum()
        sxx = np.sum(w * (x - xm) ** 2)
        slope = float(np.sum(w * (x - xm) * y) / sxx)
        slope_err = float(1.0 / np.sqrt(sxx))

    # is beta independent of L?  With std(beta) ~ A / L (tested by std_slope),
    # all replicas of all sizes estimate the one amplitude A, with
    # sum(n_L - 1) degrees of freedom: a far better error for the size means
    # than 2 or 3 replicas alone give.  One-way comparison of the means: F test.
    dev2 = [np.nansum((b - m) ** 2) * L ** 2 for b, m, L in zip(betas, mean, Ls)]
    dof_A = int(np.sum(np.maximum(n_ok - 1, 0)))
    amp = float(np.sqrt(np.sum(dev2) / dof_A)) if dof_A > 0 else float("nan")
    sem_pooled = amp / (Ls * np.sqrt(np.maximum(n_ok, 1)))
    okm = np.isfinite(mean) & (n_ok > 0)
    pooled = pooled_err = chi2 = p_const = float("nan")
    k = int(okm.sum())
    if k >= 2 and np.isfinite(amp) and amp > 0:
        w = 1.0 / sem_pooled[okm] ** 2
        pooled = float(np.sum(w * mean[okm]) / w.sum())
        pooled_err = float(1.0 / np.sqrt(w.sum()))
        chi2 = float(np.sum(w * (mean[okm] - pooled) ** 2))
        p_const = float(stats.f.sf(chi2 / (k - 1), k - 1, dof_A))
    # a finite-size correction would be a smooth trend: beta(L) = beta_inf + c / L
    b_inf = b_inf_err = c_fs = c_fs_err = float("nan")
    if k >= 3 and np.isfinite(amp) and amp > 0:
        w = 1.0 / sem_pooled[okm] ** 2
        X = np.column_stack([np.ones(k), 1.0 / Ls[okm]])
        cov = np.linalg.inv(X.T @ (w[:, None] * X))
        coef = cov @ (X.T @ (w * mean[okm]))
        b_inf, c_fs = float(coef[0]), float(coef[1])
        b_inf_err, c_fs_err = float(np.sqrt(cov[0, 0])), float(np.sqrt(cov[1, 1]))

    return {
        "J": J, "T": T, "sizes": np.array(sizes), "n_replicas": np.array(n_replicas),
        "R": R, "betas": betas, "thetas": thetas, "r_squared": r2s,
        "beta_mean": mean, "beta_std": std, "beta_sem": sem, "n_ok": n_ok,
        "theta_mean": np.array([np.nanmean(t) for t in thetas]),
        "r2_mean": np.array([np.nanmean(r) for r in r2s]),
        "sigma_mean": np.array(sig_mean),
        "beta_mf_fit": float(mean_field_emergent_beta(J, T, R_min=R[0], R_max=R[-1],
                                                      n_points=R.shape[0])[0]),
        "beta_mf": mean_field_beta(J, T),
        "std_slope": slope, "std_slope_err": slope_err,
        "spread_amplitude": amp, "spread_dof": dof_A, "beta_sem_pooled": sem_pooled,
        "beta_pooled": pooled, "beta_pooled_err": pooled_err,
        "chi2_const": chi2, "dof_const": k - 1, "p_const": p_const,
        "beta_inf": b_inf, "beta_inf_err": b_inf_err,
        "fs_slope": c_fs, "fs_slope_err": c_fs_err,
        "n_steps": n_steps, "update": update, "seed": entropy,
    }


def _finite_size_sigma(J, T, R, sizes, n_replicas, n_steps, update, entropy):
    """The scans of :func:`finite_size_study`: one (n_replicas, n_points) array per size."""
    return [scan_field(J, T, R, lattice_size=L, n_steps=n_steps, n_replicas=n, update=update,
                       seed=_child(entropy, L))["sigma"] for L, n in zip(sizes, n_replicas)]


def finite_size_responses(J, T, *, sizes=(32, 64, 128, 256, 512), n_replicas=(16, 8, 4, 3, 3), R_min=-2.0,
                          R_max=2.0, n_points=25, n_steps=100, update="sequential", seed=0):
    """The scans of :func:`finite_size_study`, for :mod:`utacbook.stored`.

    ``finite_size_study(..., sigma=finite_size_responses(...)["sigma"])`` with the same
    arguments returns exactly what ``finite_size_study(...)`` does (unlike the study itself,
    this can be stored for a single size, where the size statistics are nan).

    Returns
    -------
    dict
        ``sigma``: one array (n_replicas, n_points) per size.
    """
    sizes = [int(L) for L in np.atleast_1d(sizes)]
    reps = np.broadcast_to(np.asarray(n_replicas, dtype=int), (len(sizes),)).tolist()
    return {"sigma": _finite_size_sigma(float(J), float(T), _grid(R_min, R_max, n_points), sizes, reps,
                                        int(n_steps), update, _root_entropy(seed))}


def spot_check_finite_size_responses(rec, *, n_replicas=2):
    """Re-run the first replicas at every size of a stored :func:`finite_size_responses`, bit for bit.

    :func:`utacbook.models.scan_field` gives run k (C order over replica, field) stream k
    of the size's seed, so the first replicas of the stored call are the opening streams.

    Returns
    -------
    dict
        ``identical`` (bool), ``max_abs_diff``, ``sizes``, ``n_replicas``.
    """
    p = {"R_min": -2.0, "R_max": 2.0, "n_points": 25, "n_steps": 100, "update": "sequential", "seed": 0,
         **rec.provenance["params"]}
    sizes = [int(L) for L in np.atleast_1d(p["sizes"])]
    again = _finite_size_sigma(float(p["J"]), float(p["T"]), _grid(p["R_min"], p["R_max"], p["n_points"]), sizes,
                               [n_replicas] * len(sizes), int(p["n_steps"]), p["update"], _root_entropy(p["seed"]))
    stored = [np.asarray(x, dtype=float)[:n_replicas] for x in rec["sigma"]]
    return {"identical": all(np.array_equal(a, b) for a, b in zip(again, stored)),
            "max_abs_diff": max(float(np.max(np.abs(a - b))) for a, b in zip(again, stored)),
            "sizes": sizes, "n_replicas": n_replicas}


#: the keys of :func:`finite_size_study` that are arrays (JSON stores them as lists)
_FS_ARRAYS = ("sizes", "n_replicas", "R", "beta_mean", "beta_std", "beta_sem", "n_ok", "theta_mean",
              "r2_mean", "sigma_mean", "beta_sem_pooled")
_FS_RAGGED = ("betas", "thetas", "r_squared")


def stored_finite_size(values):
    """A stored :func:`finite_size_study` result with its arrays restored.

    Parameters
    ----------
    values : dict or utacbook.stored.StoredResult
        The stored result (JSON turns arrays into lists).

    Returns
    -------
    dict
        The same keys as :func:`finite_size_study`; the array entries are
        NumPy arrays again (``betas``, ``thetas``, ``r_squared``: lists of
        per-size arrays).
    """
    d = {k: values[k] for k in values.keys()}
    for k in _FS_ARRAYS:
        d[k] = np.asarray(d[k], dtype=int if k in ("sizes", "n_replicas", "n_ok") else float)
    for k in _FS_RAGGED:
        d[k] = [np.asarray(x, dtype=float) for x in d[k]]
    return d


def spot_check_finite_size(stored, *, sizes):
    """Re-run some sizes of a stored :func:`finite_size_study` and compare them with the store.

    Size L uses the random streams of ``SeedSequence(seed, spawn_key=(L,))``,
    whatever the other sizes, so re-running a subset with the stored
    arguments must reproduce the stored per-replica β exactly.

    Parameters
    ----------
    stored : utacbook.stored.StoredResult
        Made by ``utacbook.stored.compute(..., "utacbook.studies.rg.beyond:finite_size_study", ...)``.
    sizes : sequence of int
        Sizes of the stored study to re-run (the cheap ones).

    Returns
    -------
    dict
        ``sizes``, ``n_replicas`` (re-run), ``max_abs_diff`` (largest
        difference of a replica's β from the stored one) and ``identical``
        (True if every re-run β equals the stored one exactly).
    """
    p = dict(stored.provenance["params"])
    all_sizes = [int(L) for L in p["sizes"]]
    reps = p.get("n_replicas", (16, 8, 4, 3, 3))
    reps = [int(reps)] * len(all_sizes) if isinstance(reps, numbers.Integral) else [int(n) for n in reps]
    sizes = [int(L) for L in np.atleast_1d(sizes)]
    missing = [L for L in sizes if L not in all_sizes]
    if missing:
        raise ValueError(f"sizes {missing} are not in the stored study {all_sizes}")
    idx = [all_sizes.index(L) for L in sizes]
    p.update(sizes=sizes, n_replicas=[reps[i] for i in idx])
    again = finite_size_study(**p)
    diffs = [np.max(np.abs(np.asarray(stored["betas"][i], dtype=float) - b))
             for i, b in zip(idx, again["betas"])]
    return {"sizes": sizes, "n_replicas": [reps[i] for i in idx], "max_abs_diff": float(max(diffs)),
            "identical": bool(all(d == 0.0 for d in diffs))}


def plot_finite_size_study(results, labels=None, *, axes=None, claims=None):
    """Two panels: fitted beta against L, and its replica spread against L.

    Parameters
    ----------
    results : list of dict
        Outputs of :func:`finite_size_study` (one per system).
    labels : list of str, optional
        Legend labels.
    axes : pair of matplotlib axes, optional
    claims : list of float or None, optional
        The guide's claimed beta per system, printed in the legend label.

    Returns
    -------
    fig, axes
        Left: beta(L) / beta_MF-fit with s.e.m. error bars from the spread
        pooled over all sizes (``beta_sem_pooled``; 1 = the mean-field curve
        fitted on the same grid).  Right: replica std of beta against L
        on log-log axes, with 1/L guide lines.
    """
    import matplotlib.pyplot as plt

    from utacbook.viz._plotting import PALETTE
    if axes is None:
        fig, axes = plt.subplots(1, 2, figsize=(10.0, 3.8))
    else:
        fig = axes[0].figure
    colours = [PALETTE["sim"], PALETTE["alt"], PALETTE["extra"], PALETTE["fit"]]
    labels = labels or [f"J={r['J']:g}, T={r['T']:g}" for r in results]
    ax0, ax1 = axes
    for k, r in enumerate(results):
        c = colours[k % len(colours)]
        L = r["sizes"]
        ref = r["beta_mf_fit"]
        lab = labels[k] + fr" ($\beta_{{MF\,fit}}$={ref:.3g}"
        if claims is not None and claims[k] is not None:
            lab += f"; guide claims {claims[k]:g}"
        lab += ")"
        sem = r["beta_sem_pooled"] if "beta_sem_pooled" in r else r["beta_sem"]
        ax0.errorbar(L * (1 + 0.03 * k), r["beta_mean"] / ref, yerr=sem / ref,
                     fmt="o-", ms=4, capsize=3, color=c, label=lab)
        ax1.plot(L, r["beta_std"], "o", color=c, ms=5,
                 label=labels[k] + fr", slope {r['std_slope']:.2f} ± {r['std_slope_err']:.2f}")
        ok = np.isfinite(r["beta_std"])
        amp = np.exp(np.mean(np.log(r["beta_std"][ok] * L[ok])))  # best 1/L line
        ax1.plot(L, amp / L, "--", color=c, lw=1)
    ax0.axhline(1.0, color=PALETTE["mf"], lw=1.2, ls="--")
    ax0.set_xscale("log", base=2)
    ax0.set_xlabel("lattice size $L$")
    ax0.set_ylabel(r"$\beta(L)\,/\,\beta_{MF\,fit}$")
    ax0.legend(loc="center", fontsize=8)
    ax1.set_xscale("log", base=2)
    ax1.set_yscale("log")
    ax1.set_xlabel("lattice size $L$")
    ax1.set_ylabel(r"replica std of $\beta$")
    ax1.legend(loc="lower left", fontsize=8, title="dashed: $\\propto 1/L$", title_fontsize=8)
    fig.tight_layout()
    return fig, axes


# --------------------------------------------------------------------------- update order


def update_order_comparison(J, T, *, R_min=-2.0, R_max=2.0, n_points=25, lattice_size=64,
                            n_steps=100, n_replicas=8, seed=0, sigma=None):
    """Random sequential (the guide's) against checkerboard updates, point by point.

    The dynamics has no detailed balance, so its stationary state may depend
    on the order of the updates.  Both orders run the guide's scan protocol
    for every coupling (one parallel :func:`utacbook.models.scan_field` call per order); the
    two are compared point by point (difference of the replica means, with
    its standard error) and through the fitted beta and midpoint.

    Parameters
    ----------
    J, T : float or 1-D array_like
        Couplings to compare (broadcast together; T > 0).
    R_min, R_max : float, default -2, 2
    n_points : int, default 25
    lattice_size : int, default 64
        Even (the checkerboard needs two sublattices).
    n_steps : int, default 100
    n_replicas : int, default 8
        Independent replicas per order (>= 2).
    seed : int or None, default 0
        Root seed; the sequential runs use spawn key (0,), the checkerboard
        runs (1,), so the two sets are independent.
    sigma : dict, optional
        ``{"sequential": ..., "checkerboard": ...}``, the responses (n_replicas,
        n_couplings, n_points) of an earlier run of this call with the same
        arguments (:func:`update_order_responses`, stored): nothing is simulated,
        the rest is computed on them.

    Returns
    -------
    dict
        ``J``, ``T`` (arrays, one entry per coupling), ``R``, ``sigma``
        (dict order -> array (n_replicas, n_couplings, n_points)),
        ``sigma_mean``, ``sigma_sem`` (dict order -> (n_couplings, n_points)),
        ``diff`` (checkerboard - sequential), ``diff_err``, ``z`` (diff /
        diff_err), ``p_points`` (Welch test per point), ``p_min_bonferroni``
        (smallest per-point p times the number of points, capped at 1),
        ``betas``, ``thetas`` (dict order -> (n_couplings, n_replicas)),
        ``beta_mean``, ``beta_sem``, ``theta_mean``, ``theta_sem`` (dict
        order -> (n_couplings,)), ``beta_diff``, ``beta_diff_err``,
        ``p_beta``, ``theta_diff``, ``theta_diff_err``, ``p_theta`` (Welch
        tests over replicas), ``lattice_size``, ``n_steps``, ``seed``.
    """
    Js, Ts = _couplings(J, T)
    R = _grid(R_min, R_max, n_points)
    L = v.integer("lattice_size", lattice_size, low=4, high=65536)
    if L % 2:
        raise ValueError(f"lattice_size must be even (checkerboard), got {L}")
    n_steps = v.integer("n_steps", n_steps, low=1)
    n_rep = v.integer("n_replicas", n_replicas, low=2)
    entropy = _root_entropy(seed)

    orders = ("sequential", "checkerboard")
    given = None if sigma is None else _given(sigma, {o: (n_rep, Js.shape[0], R.shape[0]) for o in orders})
    sigma, smean, ssem, fits = {}, {}, {}, {}
    for k, order in enumerate(orders):
        s = (_update_order_sigma(Js, Ts, R, L, n_steps, n_rep, order, _child(entropy, k)) if given is None
             else given[order])
        sigma[order] = s
        smean[order] = s.mean(axis=0)
        ssem[order] = s.std(axis=0, ddof=1) / np.sqrt(n_rep)
        f = _fit_all(R, s)
        fits[order] = {key: np.moveaxis(val, 0, -1) for key, val in f.items()}
    diff = smean["checkerboard"] - smean["sequential"]
    err = np.sqrt(ssem["checkerboard"] ** 2 + ssem["sequential"] ** 2)
    with np.errstate(invalid="ignore", divide="ignore"):
        z = np.where(err > 0, diff / np.where(err > 0, err, 1.0), 0.0)
    n_c = Js.shape[0]
    p_pts = np.array([[_welch_p(sigma["sequential"][:, c, i], sigma["checkerboard"][:, c, i])
                       for i in range(R.shape[0])] for c in range(n_c)])
    out = {"J": Js, "T": Ts, "R": R, "sigma": sigma, "sigma_mean": smean, "sigma_sem": ssem,
           "diff": diff, "diff_err": err, "z": z, "p_points": p_pts,
           "p_min_bonferroni": np.minimum(1.0, np.nanmin(p_pts, axis=1) * R.shape[0]),
           "lattice_size": L, "n_steps": n_steps, "n_replicas": n_rep, "seed": entropy}
    for name in ("beta", "theta"):
        vals = {o: fits[o][name + "s"] for o in orders}
        out[name + "s"] = vals
        ms = {o: _mean_std_sem(vals[o]) for o in orders}
        out[name + "_mean"] = {o: ms[o][0] for o in orders}
        out[name + "_sem"] = {o: ms[o][2] for o in orders}
        out[name + "_diff"] = ms["checkerboard"][0] - ms["sequential"][0]
        out[name + "_diff_err"] = np.hypot(ms["checkerboard"][2], ms["sequential"][2])
        out["p_" + name] = np.array([_welch_p(vals["sequential"][c], vals["checkerboard"][c])
                                     for c in range(n_c)])
    out["grid_limited"] = {o: fits[o]["grid_limited"] for o in orders}
    return out


def _update_order_sigma(Js, Ts, R, L, n_steps, n_rep, order, seed):
    """The runs of one update order in :func:`update_order_comparison`: (n_rep, n_couplings, n_points)."""
    return scan_field(Js[:, None], Ts[:, None], R[None, :], lattice_size=L, n_steps=n_steps,
                      n_replicas=n_rep, update=order, seed=seed)["sigma"]


def _given(sigma, shapes):
    """Stored responses as float arrays, checked against the shapes the call would produce."""
    out = {}
    for key, shape in shapes.items():
        if key not in sigma:
            raise ValueError(f"sigma must hold {sorted(shapes)}, got {sorted(sigma)}")
        a = np.asarray(sigma[key], dtype=float)
        if a.shape != tuple(shape):
            raise ValueError(f"sigma[{key!r}] must have shape {tuple(shape)}, got {a.shape}")
        out[key] = a
    return out


def update_order_responses(J, T, *, R_min=-2.0, R_max=2.0, n_points=25, lattice_size=64, n_steps=100,
                           n_replicas=8, seed=0):
    """The simulations of :func:`update_order_comparison`, for :mod:`utacbook.stored`.

    ``update_order_comparison(..., sigma=update_order_responses(...)["sigma"])`` with the
    same arguments returns exactly what ``update_order_comparison(...)`` does.

    Returns
    -------
    dict
        ``sigma``: ``{"sequential": array, "checkerboard": array}``, each (n_replicas,
        n_couplings, n_points).
    """
    Js, Ts = _couplings(J, T)
    R = _grid(R_min, R_max, n_points)
    entropy = _root_entropy(seed)
    return {"sigma": {o: _update_order_sigma(Js, Ts, R, int(lattice_size), int(n_steps), int(n_replicas), o,
                                             _child(entropy, k))
                      for k, o in enumerate(("sequential", "checkerboard"))}}


def spot_check_update_order(rec):
    """Re-run replica 0 of the first coupling, both orders, of a stored :func:`update_order_responses`.

    Run k of a :func:`utacbook.models.scan_field` call (C order over replica, coupling,
    field) uses stream k of its seed, so replica 0 of the first coupling is the opening block
    of streams of the stored call: a call with that coupling and one replica reproduces it
    bit for bit.

    Returns
    -------
    dict
        ``identical`` (bool), ``max_abs_diff``, ``n_runs``.
    """
    p = {"R_min": -2.0, "R_max": 2.0, "n_points": 25, "lattice_size": 64, "n_steps": 100, "seed": 0,
         **rec.provenance["params"]}
    Js, Ts = _couplings(p["J"], p["T"])
    R = _grid(p["R_min"], p["R_max"], p["n_points"])
    entropy = _root_entropy(p["seed"])
    diffs, same, n = [], True, 0
    for k, o in enumerate(("sequential", "checkerboard")):
        again = _update_order_sigma(Js[:1], Ts[:1], R, int(p["lattice_size"]), int(p["n_steps"]), 1, o,
                                    _child(entropy, k))
        stored = np.asarray(rec["sigma"][o], dtype=float)[:1, :1]
        same = same and bool(np.array_equal(again, stored))
        diffs.append(float(np.max(np.abs(again - stored))))
        n += again.size
    return {"identical": same, "max_abs_diff": max(diffs), "n_runs": n}


def plot_update_order(res, labels=None, *, axes=None):
    """One panel per coupling: checkerboard minus sequential sigma-bar, with error bars.

    Returns
    -------
    fig, axes
    """
    import matplotlib.pyplot as plt

    from utacbook.viz._plotting import PALETTE
    n_c = res["J"].shape[0]
    if axes is None:
        fig, axes = plt.subplots(1, n_c, figsize=(3.5 * n_c, 3.3), sharey=True, squeeze=False)
        axes = axes[0]
    else:
        fig = axes[0].figure
    labels = labels or [f"J={J:g}, T={T:g}" for J, T in zip(res["J"], res["T"])]
    for c, ax in enumerate(axes):
        ax.axhline(0.0, color="k", lw=0.8)
        ax.errorbar(res["R"], res["diff"][c], yerr=res["diff_err"][c], fmt="o", ms=3,
                    capsize=2, color=PALETTE["sim"])
        ax.axvline(-res["J"][c] / 2, color=PALETTE["guide"], lw=0.8, ls=":")
        ax.set_title(f"{labels[c]}  (J/T={res['J'][c] / res['T'][c]:.3g})\n"
                     fr"$\Delta\beta$ = {res['beta_diff'][c]:+.2g} ± "
                     f"{res['beta_diff_err'][c]:.2g}", fontsize=9)
        ax.set_xlabel("field $h$")
    axes[0].set_ylabel(r"$\bar\sigma_{checkerboard} - \bar\sigma_{sequential}$")
    fig.tight_layout()
    return fig, axes


def switching_fields(h_path, sigma, *, level=0.5):
    """Fields at which an up-then-down path first crosses ``level`` on each leg.

    Parameters
    ----------
    h_path : array_like, shape (2m,)
        An up leg of m fields followed by a down leg of m fields.
    sigma : array_like, shape (..., 2m)
    level : float, default 0.5

    Returns
    -------
    h_up, h_down : float or ndarray
        Linearly interpolated first crossing on the up leg and on the down leg
        (nan where the leg does not cross).
    """
    h = v.real_array("h_path", h_path, ndim=1, min_len=4)
    if h.shape[0] % 2:
        raise ValueError(f"h_path must have an even length (up leg + down leg), "
                         f"got {h.shape[0]}")
    level = v.real("level", level)
    s = np.asarray(sigma, dtype=float)
    if s.shape[-1] != h.shape[0]:
        raise ValueError(f"sigma must have {h.shape[0]} entries along its last axis, "
                         f"got shape {s.shape}")
    m = h.shape[0] // 2
    flat = s.reshape(-1, s.shape[-1])

    def first_cross(hs, ss):
        d = ss - level
        idx = np.nonzero((d[:-1] < 0) != (d[1:] < 0))[0]
        if not idx.size:
            return np.nan
        a = idx[0]
        return hs[a] + (level - ss[a]) * (hs[a + 1] - hs[a]) / (ss[a + 1] - ss[a])

    up = np.array([first_cross(h[:m], x[:m]) for x in flat]).reshape(s.shape[:-1])
    dn = np.array([first_cross(h[m:], x[m:]) for x in flat]).reshape(s.shape[:-1])
    if up.ndim == 0:
        return float(up), float(dn)
    return up, dn


def mean_field_branches(J, T, h_min, h_max, *, n=4001):
    """The stable mean-field branches on [h_min, h_max], from the exact parametrisation.

    The mean-field response m = g((J m + h) / T) is the curve
    x -> (h, m) = (T x - J g(x), g(x)); it is stable where
    dh/dx = T - J g'(x) > 0.  When the coupling is beyond the threshold
    (J/T > 1/g'(0)) the unstable middle part (``|x| < x*``) separates a lower
    branch (x < -x*) from an upper one (x > x*); otherwise both "branches" are
    the whole curve.  This gives the same points as
    :func:`utacbook.theory.mean_field_response` with ``branch="lower"`` /
    ``"upper"`` without a root search per field, so a smooth curve is cheap.

    Parameters
    ----------
    J : float
    T : float, > 0
    h_min, h_max : float
        Field range, h_min < h_max.
    n : int, default 4001
        Points of the x grid (>= 101).

    Returns
    -------
    dict
        ``lower`` and ``upper``: (h, m) arrays with h increasing, restricted to
        [h_min, h_max]; ``bistable`` (bool).
    """
    J = v.real("J", J)
    T = v.real("T", T, positive=True)
    h_min = v.real("h_min", h_min)
    h_max = v.real("h_max", h_max)
    if not h_min < h_max:
        raise ValueError(f"h_min must be < h_max, got h_min={h_min}, h_max={h_max}")
    n = v.integer("n", n, low=101)
    # h = T x - J g(x) with 0 < g < 1, so these x cover [h_min, h_max]
    X = (max(abs(h_min), abs(h_max)) + abs(J)) / T + 1.0
    h, m, stable = mean_field_s_curve(J, T, x_max=X, n=n)
    x = np.linspace(-X, X, n)           # the curve's parameter, as in mean_field_s_curve
    bistable = not bool(np.all(stable))
    out = {"bistable": bistable}
    for name, sel in (("lower", stable & (x < 0) if bistable else stable),
                      ("upper", stable & (x > 0) if bistable else stable)):
        keep = sel & (h >= h_min) & (h <= h_max)
        out[name] = (h[keep], m[keep])
    return out


def hysteresis_study(J, T, *, h_offsets=None, rates=(10, 100), lattice_size=64,
                     n_replicas=4, update="sequential", seed=0, sigma=None):
    """Field sweeps up and down through the midpoint, carrying the lattice along.

    For each coupling the field runs up over ``-J/2 + h_offsets`` and back
    down (:func:`utacbook.models.hysteresis_loop`, state carried along, the
    lattice starting from a uniform random state at the first field), with
    ``rate`` sweeps at every field, for every rate in ``rates``.

    Parameters
    ----------
    J, T : float or 1-D array_like
        Couplings (broadcast together; T > 0).
    h_offsets : array_like, optional
        Increasing offsets of the field from the midpoint -J/2 for the up leg;
        default ``np.linspace(-0.2, 0.2, 41)``.
    rates : sequence of int, default (10, 100)
        Sweeps per field value (fewer sweeps = faster field sweep).
    lattice_size : int, default 64
    n_replicas : int, default 4
        Independent loops per coupling and rate (>= 2).
    update : {"sequential", "checkerboard"}, default "sequential"
    seed : int or None, default 0
        Root seed; coupling c at rate index r uses spawn key (c, r).
    sigma : array_like, shape (n_c, n_rates, n_replicas, 2m), optional
        The loops of an earlier run of this call with the same arguments
        (:func:`hysteresis_responses`, stored): nothing is simulated.

    Returns
    -------
    dict
        ``J``, ``T``, ``ratio`` (J/T), ``offsets``, ``rates``, ``path_offsets``
        (the up-then-down path, relative to -J/2), ``sigma`` (n_c, n_rates,
        n_replicas, 2m), ``up``, ``down`` (replica means of the two legs, both
        on increasing ``offsets``; shape (n_c, n_rates, m)), ``area``
        (per replica), ``area_mean``, ``area_sem`` (n_c, n_rates),
        ``h_up``, ``h_down`` (switching offsets, per replica),
        ``halfwidth_mean``, ``halfwidth_sem`` (half the distance between the
        two switching fields), ``mf_spinodals`` (offsets of the mean-field
        spinodals from -J/2, (n_c, 2), nan when not bistable), ``mf_halfwidth``,
        ``mf_area`` (area between the mean-field branches over the offsets),
        ``J_over_T_critical`` (1/g'(0)), ``lattice_size``, ``seed``.
    """
    Js, Ts = _couplings(J, T)
    u = (np.linspace(-0.2, 0.2, 41) if h_offsets is None
         else v.real_array("h_offsets", h_offsets, ndim=1, min_len=2))
    if np.any(np.diff(u) <= 0):
        raise ValueError("h_offsets must be strictly increasing")
    if isinstance(rates, numbers.Integral):
        rates = (rates,)
    rates = [v.integer("rates", r, low=1) for r in rates]
    if not rates:
        raise ValueError("rates must not be empty")
    L = v.integer("lattice_size", lattice_size, low=2, high=65536)
    n_rep = v.integer("n_replicas", n_replicas, low=2)
    v.choice("update", update, set(UPDATE_RULES))
    entropy = _root_entropy(seed)

    path = np.concatenate([u, u[::-1]])
    m = u.shape[0]
    n_c, n_r = Js.shape[0], len(rates)
    if sigma is None:
        sigma = _hysteresis_sigma(Js, Ts, path, rates, L, n_rep, update, entropy)
    else:
        sigma = _given({"sigma": sigma}, {"sigma": (n_c, n_r, n_rep, 2 * m)})["sigma"]
    area = loop_area(path, sigma)
    h_up, h_dn = switching_fields(path, sigma)
    half = 0.5 * (h_up - h_dn)
    am, _, asem, _ = _mean_std_sem(area)
    hm, _, hsem, _ = _mean_std_sem(half)

    mf_sp = np.full((n_c, 2), np.nan)
    mf_area = np.zeros(n_c)
    for c in range(n_c):
        lo, hi = mean_field_spinodals(Js[c], Ts[c])
        mf_sp[c] = (lo + 0.5 * Js[c], hi + 0.5 * Js[c])
        a, b = max(lo + 0.5 * Js[c], u[0]), min(hi + 0.5 * Js[c], u[-1])
        if np.isfinite(lo) and a < b:
            br = mean_field_branches(Js[c], Ts[c], -0.5 * Js[c] + a, -0.5 * Js[c] + b)
            hg = np.linspace(-0.5 * Js[c] + a, -0.5 * Js[c] + b, 2001)
            gap = np.interp(hg, *br["upper"]) - np.interp(hg, *br["lower"])
            mf_area[c] = float(np.trapezoid(gap, hg))
    return {
        "J": Js, "T": Ts, "ratio": Js / Ts, "offsets": u, "rates": np.array(rates),
        "path_offsets": path, "sigma": sigma,
        "up": sigma[..., :m].mean(axis=2), "down": sigma[..., m:][..., ::-1].mean(axis=2),
        "area": area, "area_mean": am, "area_sem": asem,
        "h_up": h_up, "h_down": h_dn, "halfwidth_mean": hm, "halfwidth_sem": hsem,
        "mf_spinodals": mf_sp, "mf_halfwidth": 0.5 * (mf_sp[:, 1] - mf_sp[:, 0]),
        "mf_area": mf_area, "J_over_T_critical": critical_coupling_ratio(),
        "lattice_size": L, "n_replicas": n_rep, "update": update, "seed": entropy,
    }


def _hysteresis_sigma(Js, Ts, path, rates, L, n_rep, update, entropy, *, couplings=None):
    """The loops of :func:`hysteresis_study`: (n_c, n_rates, n_rep, len(path))."""
    cs = range(Js.shape[0]) if couplings is None else couplings
    sigma = np.empty((len(cs), len(rates), n_rep, path.shape[0]))
    for i, c in enumerate(cs):
        for r, rate in enumerate(rates):
            res = hysteresis_loop(Js[c], Ts[c], -0.5 * Js[c] + path, lattice_size=L,
                                  n_steps=rate, n_replicas=n_rep, update=update,
                                  seed=_child(entropy, c, r))
            sigma[i, r] = res["sigma"]
    return sigma


def _hysteresis_args(J, T, h_offsets=None, rates=(10, 100), lattice_size=64, n_replicas=4,
                     update="sequential", seed=0):
    Js, Ts = _couplings(J, T)
    u = np.linspace(-0.2, 0.2, 41) if h_offsets is None else np.asarray(h_offsets, dtype=float)
    rates = [int(r) for r in np.atleast_1d(rates)]
    return Js, Ts, np.concatenate([u, u[::-1]]), rates, int(lattice_size), int(n_replicas), update, \
        _root_entropy(seed)


def hysteresis_responses(J, T, *, h_offsets=None, rates=(10, 100), lattice_size=64, n_replicas=4,
                         update="sequential", seed=0):
    """The simulations of :func:`hysteresis_study`, for :mod:`utacbook.stored`.

    ``hysteresis_study(..., sigma=hysteresis_responses(...)["sigma"])`` with the same
    arguments returns exactly what ``hysteresis_study(...)`` does.

    Returns
    -------
    dict
        ``sigma`` (n_couplings, n_rates, n_replicas, 2m).
    """
    return {"sigma": _hysteresis_sigma(*_hysteresis_args(J, T, h_offsets, rates, lattice_size, n_replicas,
                                                         update, seed))}


def spot_check_hysteresis(rec, *, coupling=0, rate=0):
    """Re-run one loop (replica 0 of one coupling at one rate) of a stored :func:`hysteresis_responses`.

    Replica k of :func:`utacbook.models.hysteresis_loop` uses stream k of its seed, so a
    one-replica call reproduces replica 0 of the stored call bit for bit.

    Returns
    -------
    dict
        ``identical`` (bool), ``max_abs_diff``, ``n_fields``, ``n_steps`` (sweeps per field),
        ``ratio`` (J/T of the coupling).
    """
    p = rec.provenance["params"]
    Js, Ts, path, rates, L, _, update, entropy = _hysteresis_args(**p)
    res = hysteresis_loop(Js[coupling], Ts[coupling], -0.5 * Js[coupling] + path, lattice_size=L,
                          n_steps=rates[rate], n_replicas=1, update=update, seed=_child(entropy, coupling, rate))
    again = res["sigma"][0]
    stored = np.asarray(rec["sigma"], dtype=float)[coupling, rate, 0]
    return {"identical": bool(np.array_equal(again, stored)), "max_abs_diff": float(np.max(np.abs(again - stored))),
            "n_fields": int(path.shape[0]), "n_steps": rates[rate], "ratio": float(Js[coupling] / Ts[coupling])}


def midpoint_memory(J, T, *, prepare_offset=0.2, n_blocks=10, block_steps=100,
                    lattice_size=64, n_replicas=4, seed=0, sigma=None):
    """Does the lattice remember where it came from at the midpoint h = -J/2?

    Each replica is prepared at h = -J/2 - prepare_offset (low state) or
    -J/2 + prepare_offset (high state) for ``block_steps`` sweeps, then held
    at the midpoint for ``n_blocks`` blocks of ``block_steps`` sweeps
    (:func:`utacbook.models.hysteresis_loop` with a constant path).  A
    monostable lattice forgets its start and both runs end at 1/2; a bistable
    one keeps two different states for as long as no nucleation event flips
    it.

    Parameters
    ----------
    J, T : float or 1-D array_like
        Couplings (broadcast together; T > 0).
    prepare_offset : float, default 0.2
        Distance of the preparation field from the midpoint, > 0.
    n_blocks : int, default 10
    block_steps : int, default 100
    lattice_size : int, default 64
    n_replicas : int, default 4
        (>= 2)
    seed : int or None, default 0
        Root seed; coupling c started low uses spawn key (c, 0), high (c, 1).
    sigma : array_like, shape (2, n_c, n_replicas, n_blocks), optional
        The runs (low, high) of an earlier call with the same arguments
        (:func:`midpoint_memory_responses`, stored): nothing is simulated.

    Returns
    -------
    dict
        ``J``, ``T``, ``ratio``, ``sweeps`` (time at the midpoint after each
        block), ``sigma_low``, ``sigma_high`` (n_c, n_replicas, n_blocks),
        ``final_low``, ``final_high`` (replica means after the last block),
        ``gap`` (final_high - final_low), ``gap_err``, ``mf_low``,
        ``mf_high`` (the mean-field lower and upper stable states at the
        midpoint; equal when mean field is monostable), ``seed``.
    """
    Js, Ts = _couplings(J, T)
    a = v.real("prepare_offset", prepare_offset, positive=True)
    n_blocks = v.integer("n_blocks", n_blocks, low=1)
    block_steps = v.integer("block_steps", block_steps, low=1)
    L = v.integer("lattice_size", lattice_size, low=2, high=65536)
    n_rep = v.integer("n_replicas", n_replicas, low=2)
    entropy = _root_entropy(seed)
    n_c = Js.shape[0]
    if sigma is None:
        sig = _memory_sigma(Js, Ts, a, n_blocks, block_steps, L, n_rep, entropy)
    else:
        sig = _given({"sigma": sigma}, {"sigma": (2, n_c, n_rep, n_blocks)})["sigma"]
    mf = np.empty((2, n_c))
    for c in range(n_c):
        mid = -0.5 * Js[c]
        br = mean_field_branches(Js[c], Ts[c], mid - 0.01, mid + 0.01)
        mf[0, c] = np.interp(mid, *br["lower"])
        mf[1, c] = np.interp(mid, *br["upper"])
    lo_m, _, lo_s, _ = _mean_std_sem(sig[0, ..., -1])
    hi_m, _, hi_s, _ = _mean_std_sem(sig[1, ..., -1])
    return {"J": Js, "T": Ts, "ratio": Js / Ts,
            "sweeps": block_steps * np.arange(1, n_blocks + 1),
            "sigma_low": sig[0], "sigma_high": sig[1], "final_low": lo_m, "final_high": hi_m,
            "gap": hi_m - lo_m, "gap_err": np.hypot(lo_s, hi_s), "mf_low": mf[0],
            "mf_high": mf[1], "lattice_size": L, "seed": entropy}


def _memory_sigma(Js, Ts, a, n_blocks, block_steps, L, n_rep, entropy, *, couplings=None, starts=(0, 1)):
    """The runs of :func:`midpoint_memory`: (len(starts), n_c, n_rep, n_blocks)."""
    cs = range(Js.shape[0]) if couplings is None else couplings
    sig = np.empty((len(starts), len(cs), n_rep, n_blocks))
    for i, c in enumerate(cs):
        mid = -0.5 * Js[c]
        for j, d in enumerate(starts):
            sign = (-1.0, 1.0)[d]
            path = np.concatenate([[mid + sign * a], np.full(n_blocks, mid)])
            res = hysteresis_loop(Js[c], Ts[c], path, lattice_size=L, n_steps=block_steps,
                                  n_replicas=n_rep, seed=_child(entropy, c, d))
            sig[j, i] = res["sigma"][:, 1:]
    return sig


def midpoint_memory_responses(J, T, *, prepare_offset=0.2, n_blocks=10, block_steps=100, lattice_size=64,
                              n_replicas=4, seed=0):
    """The simulations of :func:`midpoint_memory`, for :mod:`utacbook.stored`.

    Returns
    -------
    dict
        ``sigma`` (2, n_couplings, n_replicas, n_blocks): started low, started high.
    """
    Js, Ts = _couplings(J, T)
    return {"sigma": _memory_sigma(Js, Ts, float(prepare_offset), int(n_blocks), int(block_steps),
                                   int(lattice_size), int(n_replicas), _root_entropy(seed))}


def spot_check_memory(rec, *, coupling=0, start=0):
    """Re-run replica 0 of one coupling and one start (0 low, 1 high) of a stored
    :func:`midpoint_memory_responses`, bit for bit.

    Returns
    -------
    dict
        ``identical`` (bool), ``max_abs_diff``, ``ratio`` (J/T), ``sweeps`` (at the midpoint).
    """
    p = {"prepare_offset": 0.2, "n_blocks": 10, "block_steps": 100, "lattice_size": 64, "seed": 0,
         **rec.provenance["params"]}
    Js, Ts = _couplings(p["J"], p["T"])
    again = _memory_sigma(Js, Ts, float(p["prepare_offset"]), int(p["n_blocks"]), int(p["block_steps"]),
                          int(p["lattice_size"]), 1, _root_entropy(p["seed"]), couplings=[coupling],
                          starts=(start,))[0, 0, 0]
    stored = np.asarray(rec["sigma"], dtype=float)[start, coupling, 0]
    return {"identical": bool(np.array_equal(again, stored)), "max_abs_diff": float(np.max(np.abs(again - stored))),
            "ratio": float(Js[coupling] / Ts[coupling]), "sweeps": int(p["n_blocks"]) * int(p["block_steps"])}


def plot_hysteresis(res, *, axes=None, n_mf=4001):
    """One panel per coupling: the up and down legs at each rate, with mean-field branches.

    The x axis is the offset h + J/2 from the midpoint.  Solid lines: up legs;
    dashed: down legs; one colour per rate.  Thin black lines: the lower and
    upper stable mean-field branches; dotted verticals: mean-field spinodals.

    Returns
    -------
    fig, axes
    """
    import matplotlib.pyplot as plt

    from utacbook.viz._plotting import PALETTE
    n_c = res["J"].shape[0]
    if axes is None:
        fig, axes = plt.subplots(1, n_c, figsize=(3.6 * n_c, 3.5), sharey=True, squeeze=False)
        axes = axes[0]
    else:
        fig = axes[0].figure
    colours = [PALETTE["alt"], PALETTE["sim"], PALETTE["extra"], PALETTE["fit"]]
    u = res["offsets"]
    for c, ax in enumerate(axes):
        J, T = res["J"][c], res["T"][c]
        br = mean_field_branches(J, T, -0.5 * J + u[0], -0.5 * J + u[-1], n=n_mf)
        for b, ls in (("lower", "-"), ("upper", "--")):
            ax.plot(br[b][0] + 0.5 * J, br[b][1], ls, color="k", lw=0.9, alpha=0.7,
                    label=f"mean field, {b}" if c == 0 else None)
        for x in res["mf_spinodals"][c]:
            if np.isfinite(x):
                ax.axvline(x, color="k", lw=0.7, ls=":")
        for r, rate in enumerate(res["rates"]):
            col = colours[r % len(colours)]
            ax.plot(u, res["up"][c, r], "-", color=col, lw=1.6,
                    label=f"{rate} sweeps/field, up" if c == 0 else None)
            ax.plot(u, res["down"][c, r], "--", color=col, lw=1.6,
                    label=f"{rate} sweeps/field, down" if c == 0 else None)
        ax.set_title(f"J/T = {J / T:.3g}  (J={J:.3g}, T={T:.3g})", fontsize=9)
        ax.set_xlabel("$h + J/2$")
    axes[0].set_ylabel(r"mean activation $\bar\sigma$")
    axes[0].legend(loc="upper left", fontsize=7)
    fig.tight_layout()
    return fig, axes


def hysteresis_figure(J=0.88, T=0.08, n_steps=20, *, h_offsets=None, lattice_size=64,
                      n_replicas=2, seed=0):
    """One hysteresis loop with its mean-field branches, as a new figure.

    Parameters
    ----------
    J, T : float
        Coupling and noise (T > 0).
    n_steps : int, default 20
        Sweeps per field value.
    h_offsets, lattice_size, n_replicas, seed
        As :func:`hysteresis_study`.

    Returns
    -------
    matplotlib.figure.Figure
    """
    import matplotlib.pyplot as plt
    res = hysteresis_study(J, T, h_offsets=h_offsets, rates=(int(n_steps),),
                           lattice_size=lattice_size, n_replicas=n_replicas, seed=seed)
    fig, ax = plt.subplots(figsize=(6.4, 3.8))
    plot_hysteresis(res, axes=[ax])
    ax.set_title(f"J/T = {J / T:.3g}, {int(n_steps)} sweeps per field: loop area "
                 f"{res['area_mean'][0, 0]:.3g} ± {res['area_sem'][0, 0]:.1g} "
                 f"(mean field {res['mf_area'][0]:.3g})", fontsize=9)
    return fig


def explore_hysteresis(J=0.88, T=0.08, n_steps=20, *, lattice_size=64, n_replicas=2, seed=0,
                       show_default=True):
    """Sliders for J, T and sweeps per field that redraw :func:`hysteresis_figure`.

    The static book shows 2, 5, 20 (default), 50 and 100 sweeps per field value
    precomputed (J, T at the given values), so the rate dependence of the loop
    can be stepped through without a kernel.

    Parameters
    ----------
    J, T, n_steps : float, float, int
        Starting values of the sliders.
    lattice_size, n_replicas, seed
        As :func:`hysteresis_figure`.
    show_default : bool, default True
        Draw the figure for the starting values first (the static book shows
        it in the live output area).  In a book chapter whose figure carries a
        caption, draw that figure in its own cell with :func:`hysteresis_figure`
        and pass False here: MyST-NB puts the caption on every display output of
        a cell, the explorer included.  The precomputed player is built either
        way (see :func:`utacbook.viz.live_explorer`).

    Returns
    -------
    utacbook.viz.Explorer
    """
    import ipywidgets as w

    from utacbook.viz._widgets import live_explorer

    def draw(J, T, n_steps):
        return hysteresis_figure(J, T, n_steps, lattice_size=lattice_size,
                                 n_replicas=n_replicas, seed=seed)

    controls = {
        "J": w.FloatSlider(value=J, min=0.0, max=1.5, step=0.02, description="J"),
        "T": w.FloatSlider(value=T, min=0.04, max=0.4, step=0.01, description="T"),
        "n_steps": w.IntSlider(value=n_steps, min=1, max=200, step=1,
                               description="sweeps/field"),
    }
    steps = sorted({2, 5, 20, 50, 100} | {int(n_steps)})
    return live_explorer(draw, controls, show_default=show_default, static_param="n_steps",
                         static_values=steps)


# --------------------------------------------------------------------------- adaptive scan


def compare_adaptive(J, T, *, R_min=-2.0, R_max=2.0, n_points=25, n_initial=9, batch=4,
                     n_replicas=5, lattice_size=64, n_steps=100, seed=0, sigma=None):
    """The guide's uniform grid against an adaptive scan with as many points.

    Uniform: ``n_points`` evenly spaced fields, ``n_replicas`` replicas in one
    :func:`utacbook.models.scan_field` call.  Adaptive: :func:`utacbook.models.adaptive_scan`
    with ``n_total = n_points`` (``n_initial`` even points, then ``batch``
    midpoints of the intervals where sigma jumps most, per round), once per
    replica.  Every point of both is the guide's protocol (fresh random
    lattice, ``n_steps`` sweeps), and each curve gets the guide's logistic fit.

    Parameters
    ----------
    J : float
    T : float, > 0
    R_min, R_max : float, default -2, 2
    n_points : int, default 25
    n_initial : int, default 9
    batch : int, default 4
    n_replicas : int, default 5
        (>= 2)
    lattice_size : int, default 64
    n_steps : int, default 100
    seed : int or None, default 0
        Root seed; the uniform scans use spawn key (0,), adaptive replica r
        uses (1, r).
    sigma : dict, optional
        ``{"uniform": (n_replicas, n_points), "adaptive_R": ..., "adaptive_sigma": ...}``
        from an earlier call with the same arguments (:func:`compare_adaptive_responses`,
        stored): nothing is simulated.

    Returns
    -------
    dict
        ``uniform`` and ``adaptive``, each a dict with ``R`` (uniform: one
        grid; adaptive: (n_replicas, n_points), each row sorted), ``sigma``
        (n_replicas, n_points), ``betas``, ``thetas``, ``r_squared``,
        ``grid_limited``, ``n_in_transition`` (points inside the fitted
        10-90 % rise, :func:`points_in_transition`), ``beta_mean``,
        ``beta_std``, ``beta_sem``, ``n_ok``, ``min_spacing``; plus ``J``,
        ``T``, ``beta_mf_fit``, ``p_beta`` (Welch test uniform vs adaptive),
        ``seed``.
    """
    J = v.real("J", J)
    T = v.real("T", T, positive=True)
    R = _grid(R_min, R_max, n_points)
    n_initial = v.integer("n_initial", n_initial, low=3, high=R.shape[0])
    batch = v.integer("batch", batch, low=1)
    n_rep = v.integer("n_replicas", n_replicas, low=2)
    L = v.integer("lattice_size", lattice_size, low=2, high=65536)
    n_steps = v.integer("n_steps", n_steps, low=1)
    entropy = _root_entropy(seed)

    if sigma is None:
        sims = _adaptive_sims(J, T, R, n_initial, batch, n_rep, L, n_steps, entropy)
    else:
        sims = _given(sigma, {k: (n_rep, R.shape[0]) for k in ("uniform", "adaptive_R", "adaptive_sigma")})
    uni, aR, aS = sims["uniform"], sims["adaptive_R"], sims["adaptive_sigma"]

    out = {"J": J, "T": T, "lattice_size": L, "n_steps": n_steps, "seed": entropy,
           "beta_mf_fit": float(mean_field_emergent_beta(J, T, R_min=R[0], R_max=R[-1],
                                                         n_points=R.shape[0])[0])}
    for name, Rg, S in (("uniform", R, uni), ("adaptive", aR, aS)):
        f = _fit_all(Rg, S)
        mean, std, sem, n_ok = _mean_std_sem(f["betas"])
        f.update({"R": Rg, "sigma": S, "beta_mean": float(mean), "beta_std": float(std),
                  "beta_sem": float(sem), "n_ok": int(n_ok),
                  "min_spacing": float(np.min(np.diff(Rg, axis=-1)))})
        out[name] = f
    out["p_beta"] = _welch_p(out["uniform"]["betas"], out["adaptive"]["betas"])
    return out


def _adaptive_sims(J, T, R, n_initial, batch, n_rep, L, n_steps, entropy, *, replicas=None):
    """The runs of :func:`compare_adaptive` (replicas 0 .. n_rep - 1, or only the first ``replicas``)."""
    k = n_rep if replicas is None else replicas
    uni = scan_field(J, T, R, lattice_size=L, n_steps=n_steps, n_replicas=k,
                     seed=_child(entropy, 0))["sigma"]
    aR, aS = [], []
    for r in range(k):
        a = adaptive_scan(J, T, R_min=R[0], R_max=R[-1], n_initial=n_initial,
                          n_total=R.shape[0], batch=batch, lattice_size=L, n_steps=n_steps,
                          seed=_child(entropy, 1, r))
        aR.append(a["R"])
        aS.append(a["sigma"])
    return {"uniform": uni, "adaptive_R": np.array(aR), "adaptive_sigma": np.array(aS)}


def _adaptive_args(J, T, R_min=-2.0, R_max=2.0, n_points=25, n_initial=9, batch=4, n_replicas=5, lattice_size=64,
                   n_steps=100, seed=0):
    return (float(J), float(T), _grid(R_min, R_max, n_points), int(n_initial), int(batch), int(n_replicas),
            int(lattice_size), int(n_steps), _root_entropy(seed))


def compare_adaptive_responses(J, T, *, R_min=-2.0, R_max=2.0, n_points=25, n_initial=9, batch=4, n_replicas=5,
                               lattice_size=64, n_steps=100, seed=0):
    """The simulations of :func:`compare_adaptive`, for :mod:`utacbook.stored`.

    ``compare_adaptive(..., sigma=compare_adaptive_responses(...)["sigma"])`` with the
    same arguments returns exactly what ``compare_adaptive(...)`` does.

    Returns
    -------
    dict
        ``sigma``: ``{"uniform", "adaptive_R", "adaptive_sigma"}``, each (n_replicas, n_points).
    """
    return {"sigma": _adaptive_sims(*_adaptive_args(J, T, R_min, R_max, n_points, n_initial, batch, n_replicas,
                                                    lattice_size, n_steps, seed))}


def spot_check_adaptive(rec, *, n_replicas=1):
    """Re-run the first replicas (uniform scan and adaptive scan) of a stored
    :func:`compare_adaptive_responses`, bit for bit.

    Returns
    -------
    dict
        ``identical`` (bool), ``max_abs_diff``, ``n_replicas``.
    """
    args = _adaptive_args(**rec.provenance["params"])
    again = _adaptive_sims(*args, replicas=n_replicas)
    same, diff = True, 0.0
    for key, a in again.items():
        b = np.asarray(rec["sigma"][key], dtype=float)[:n_replicas]
        same = same and bool(np.array_equal(a, b))
        diff = max(diff, float(np.max(np.abs(a - b))))
    return {"identical": same, "max_abs_diff": diff, "n_replicas": n_replicas}


def plot_adaptive(res, *, ax=None, replica=0, label=None):
    """One replica's uniform and adaptive scans with their logistic fits.

    Returns
    -------
    ax
    """
    import matplotlib.pyplot as plt

    from utacbook.viz._plotting import PALETTE
    if ax is None:
        _, ax = plt.subplots()
    Rf = np.linspace(res["uniform"]["R"][0], res["uniform"]["R"][-1], 800)
    for name, col, mk in (("uniform", PALETTE["sim"], "o"), ("adaptive", PALETTE["alt"], "x")):
        d = res[name]
        Rg = d["R"] if d["R"].ndim == 1 else d["R"][replica]
        b, th = d["betas"][replica], d["thetas"][replica]
        ax.plot(Rg, d["sigma"][replica], mk, ms=5, color=col,
                label=f"{name} ({Rg.shape[0]} points)")
        if np.isfinite(b):
            ax.plot(Rf, logistic(Rf, b, th), "-", color=col, lw=1.2,
                    label=fr"fit, $\beta$ = {b:.3g}"
                          + (fr" (replicas: {d['beta_mean']:.3g} ± {d['beta_sem']:.2g})"))
    ax.set_xlabel("field $h$ (the guide's $R$)")
    ax.set_ylabel(r"mean activation $\bar\sigma$")
    ax.set_ylim(-0.03, 1.03)
    ax.set_title(label or f"J={res['J']:g}, T={res['T']:g}", fontsize=9)
    ax.legend(loc="upper left", fontsize=7)
    return ax


# --------------------------------------------------------------------------- claims


def claims(*, K_c=None, seed=2025, llm_sizes=(32, 64, 128, 256, 512), qv_sizes=(32, 64, 128, 256, 512),
           order_replicas=8, hyst_replicas=4, adaptive_replicas=5):
    """The claims the chapter ``rg-beyond`` tests, with criteria fixed before measuring.

    The arguments only fill in the conditions (``scope``) of each claim; they
    must be the settings the chapter runs.

    Parameters
    ----------
    K_c : float, optional
        The lattice's critical coupling at h = -J/2 (stored result
        ``rg_critical_coupling``), named in the scopes.
    seed : int
        The chapter's root seed.
    llm_sizes, qv_sizes : sequence of int
        Lattice sizes of the finite-size study (LLM, Quantum Vacuum).
    order_replicas, hyst_replicas, adaptive_replicas : int
        Replicas of the update-order, hysteresis and adaptive-scan studies.

    Returns
    -------
    list of utacbook.claims.Claim
    """
    kc = "K_c" if K_c is None else f"K_c = {K_c:.2f}"
    llm = f"LLM (J/T = 4.21, L = {llm_sizes[0]}–{llm_sizes[-1]})"
    qv = f"Quantum Vacuum (J/T = 1.36, L = {qv_sizes[0]}–{qv_sizes[-1]})"
    fs = f"{llm} and {qv}, both below {kc}; guide's protocol; seed {seed}"
    return [
        uc.Claim("rg.beyond.convergence", source="guide", section="Conclusion: Next Steps",
                 text="Larger lattices (N=256, 512) for better convergence",
                 quantity="exponent s of the replica scatter of β, std(β) ∝ L^s (bias-corrected log fit)",
                 criterion=uc.Sign(-1, k=3), scope=fs,
                 note=("convergence read as a shrinking scatter; whether the mean moves is "
                       "rg.beyond.beta_size. Conditions revised after the first run, which ran Quantum "
                       "Vacuum only to L = 128 (s = −0.86 ± 0.33, short of 3 standard errors; the "
                       f"verdict was then '{uc.CAVEATS}'): the claim names N = 256 and 512, so both "
                       "systems now cover the same sizes, Quantum Vacuum's from a stored run")),
        uc.Claim("rg.beyond.beta_size", source="ours", section="",
                 text="below K_c, β of the guide's protocol does not depend on the lattice size",
                 quantity="c of the weighted fit β(L) = β∞ + c/L (pooled replica spread)",
                 criterion=uc.Agreement(0.0, k=2), scope=fs,
                 note=("Quantum Vacuum extended from L = 32–128 to 32–512 after the first run (see "
                       "rg.beyond.convergence); over 32–128 its c was −2.5 ± 1.5, the same verdict")),
        uc.Claim("rg.beyond.claimed_beta", source="guide", section="Quick Start; Validation Results",
                 text="Emergent β: 3.25 (LLM); ~1.2 (Quantum Vacuum)",
                 quantity="β at the largest lattice over the guide's value",
                 criterion=uc.Agreement(1.0, rel_tol=0.3, k=2),
                 scope=f"LLM at L = {llm_sizes[-1]}, Quantum Vacuum at L = {qv_sizes[-1]}; seed {seed}",
                 note=("±30 % is the guide's own tolerance. Quantum Vacuum was judged at L = 128 in the "
                       "first run (see rg.beyond.convergence), with the same verdict")),
        uc.Claim("rg.beyond.update_order", source="ours", section="",
                 text="random sequential and checkerboard updates give the same response",
                 quantity=("p-value of a difference between the orders: smallest per-field Welch p × 25 "
                           "(Bonferroni) for σ̄, Welch p for β"),
                 criterion=uc.Bound(lower=0.01, k=0),
                 scope=(f"J/T = 1.36, 4.21, 11 on the guide's grid, L = 64, 100 sweeps, {order_replicas} "
                        f"replicas per order, seed {seed}"),
                 note="no difference at α = 0.01: a bound on its size, not a proof of zero"),
        uc.Claim("rg.beyond.memory", source="ours", section="",
                 text="at h = −J/2 the lattice remembers whether it was prepared low or high",
                 quantity="gap between the high- and low-prepared σ̄ after 1000 sweeps at h = −J/2",
                 criterion=uc.Sign(+1, k=3),
                 scope=f"J/T = 3 (below {kc}), 6 and 11 (above), T = 0.08, L = 64, 4 replicas, seed {seed}"),
        uc.Claim("rg.beyond.early_switch", source="ours", section="",
                 text="the lattice leaves the metastable branch before the mean-field spinodal (nucleation)",
                 quantity=("mean-field spinodal |h + J/2| minus the lattice's switching |h + J/2| "
                           "(100 sweeps per field)"),
                 criterion=uc.Sign(+1, k=3),
                 scope=(f"J/T = 6 and 11 (mean field bistable), T = 0.08, L = 64, {hyst_replicas} replicas, "
                        f"seed {seed}")),
        uc.Claim("rg.beyond.rate", source="ours", section="",
                 text="a faster field sweep widens the hysteresis loop",
                 quantity="loop area at 10 sweeps per field minus at 100",
                 criterion=uc.Sign(+1, k=3),
                 scope=f"J/T = 6 and 11, T = 0.08, L = 64, {hyst_replicas} replicas, seed {seed}"),
        uc.Claim("rg.beyond.adaptive", source="ours", section="",
                 text="an adaptive 25-point scan gives the same β as the guide's uniform grid",
                 quantity="β(adaptive) − β(uniform), mean ± s.e.m. over replicas",
                 criterion=uc.Agreement(0.0, k=2),
                 scope=(f"LLM (J/T = 4.21) and Urban Heat (J/T = 11), L = 64, {adaptive_replicas} replicas, "
                        f"seed {seed}")),
        uc.Claim("rg.beyond.urban_heat", source="guide", section="Validation Results: Systems Tested",
                 text="Urban Heat (mod): β_emergent ~9.5",
                 quantity="fitted β over 9.5",
                 criterion=uc.Agreement(1.0, rel_tol=0.3, k=2),
                 scope=f"uniform grid and adaptive scan, L = 64, {adaptive_replicas} replicas, seed {seed}",
                 note="±30 % is the guide's own tolerance"),
    ]


def judge_claims(*, llm, qv, order, order_names, hyst, memory, adaptive, claimed_beta,
                 K_c=None, claims_=None):
    """All judgements of the chapter ``rg-beyond``, in the order of :func:`claims`.

    Parameters
    ----------
    llm, qv : dict
        :func:`finite_size_study` results (LLM, Quantum Vacuum).
    order : dict
        :func:`update_order_comparison` result; ``order_names`` labels its couplings.
    hyst, memory : dict
        :func:`hysteresis_study` and :func:`midpoint_memory` results (same couplings).
    adaptive : dict
        Name -> :func:`compare_adaptive` result; must hold "LLM" and "Urban Heat".
    claimed_beta : dict
        The guide's values: ``{"LLM": 3.25, "Quantum Vacuum": 1.2, "Urban Heat": 9.5}``.
    K_c : float, optional
    claims_ : list of Claim, optional
        Default :func:`claims` ``(K_c=K_c)``.

    Returns
    -------
    list of utacbook.claims.Judgement
    """
    from utacbook.report import format_pm
    C = {c.id: c for c in (claims_ or claims(K_c=K_c))}
    fsr = (("LLM", llm), ("Quantum Vacuum", qv))

    def size_label(name, r):
        return f"{name}, L = {r['sizes'][0]}–{r['sizes'][-1]}"

    out = [C["rg.beyond.convergence"].judge(
        [uc.Measurement(r["std_slope"], r["std_slope_err"], condition=size_label(n, r)) for n, r in fsr],
        summary=("std(β) ∝ L^s with s = " + ", ".join(
            f"{format_pm(r['std_slope'], r['std_slope_err'])} ({n})" for n, r in fsr)))]
    out.append(C["rg.beyond.beta_size"].judge(
        [uc.Measurement(r["fs_slope"], r["fs_slope_err"], condition=size_label(n, r)) for n, r in fsr],
        summary=("β(L=32) − β(L_max): " + ", ".join(
            format_pm(r['beta_mean'][0] - r['beta_mean'][-1],
                      np.hypot(r['beta_sem_pooled'][0], r['beta_sem_pooled'][-1])) + f" ({n})"
            for n, r in fsr))))
    out.append(C["rg.beyond.claimed_beta"].judge(
        [uc.Measurement(r["beta_mean"][-1] / claimed_beta[n], r["beta_sem_pooled"][-1] / claimed_beta[n],
                        condition=f"{n}, L = {r['sizes'][-1]}",
                        text=f"{format_pm(r['beta_mean'][-1], r['beta_sem_pooled'][-1])} vs {claimed_beta[n]:g}")
         for n, r in fsr],
        summary=", ".join(f"{n}: β = {r['beta_mean'][-1]:.3g} at L = {r['sizes'][-1]}, "
                          f"{r['beta_mean'][-1] / claimed_beta[n]:.1f} times the claim" for n, r in fsr)))
    ms = []
    for c, name in enumerate(order_names):
        k = order["J"][c] / order["T"][c]
        ms.append(uc.Measurement(float(order["p_min_bonferroni"][c]), condition=f"σ̄, {name} (J/T = {k:.3g})",
                                 text=f"p = {order['p_min_bonferroni'][c]:.2g}"))
        ms.append(uc.Measurement(float(order["p_beta"][c]), condition=f"β, {name} (J/T = {k:.3g})",
                                 text=f"p = {order['p_beta'][c]:.2g}"))
    out.append(C["rg.beyond.update_order"].judge(
        ms, summary=(f"smallest p = {min(m.value for m in ms):.2g}; largest |Δσ̄| = "
                     f"{np.abs(order['diff']).max():.1e}")))
    out.append(C["rg.beyond.memory"].judge(
        [uc.Measurement(g, e, condition=f"J/T = {k:.3g}") for g, e, k in
         zip(memory["gap"], memory["gap_err"], memory["ratio"])],
        summary=", ".join(f"gap {format_pm(g, max(e, 5e-4), sig=1)} at J/T = {k:.3g}"
                          for g, e, k in zip(memory["gap"], memory["gap_err"], memory["ratio"]))))
    bist = [c for c in range(len(hyst["ratio"])) if np.isfinite(hyst["mf_halfwidth"][c])]
    r_slow = int(np.argmax(hyst["rates"]))
    r_fast = int(np.argmin(hyst["rates"]))
    out.append(C["rg.beyond.early_switch"].judge(
        [uc.Measurement(hyst["mf_halfwidth"][c] - hyst["halfwidth_mean"][c, r_slow],
                        hyst["halfwidth_sem"][c, r_slow], condition=f"J/T = {hyst['ratio'][c]:.3g}",
                        text=f"{hyst['halfwidth_mean'][c, r_slow]:.3f} vs {hyst['mf_halfwidth'][c]:.3f}")
         for c in bist],
        summary="lattice switching field vs mean-field spinodal: " + ", ".join(
            f"{hyst['halfwidth_mean'][c, r_slow]:.3f} vs {hyst['mf_halfwidth'][c]:.3f} (J/T = {hyst['ratio'][c]:.3g})"
            for c in bist)))
    out.append(C["rg.beyond.rate"].judge(
        [uc.Measurement(hyst["area_mean"][c, r_fast] - hyst["area_mean"][c, r_slow],
                        np.hypot(hyst["area_sem"][c, r_fast], hyst["area_sem"][c, r_slow]),
                        condition=f"J/T = {hyst['ratio'][c]:.3g}") for c in bist],
        summary="loop areas " + ", ".join(
            f"{hyst['area_mean'][c, r_fast]:.3g} vs {hyst['area_mean'][c, r_slow]:.3g} (J/T = {hyst['ratio'][c]:.3g})"
            for c in bist)))
    ad = []
    for name in ("LLM", "Urban Heat"):
        u, a = adaptive[name]["uniform"], adaptive[name]["adaptive"]
        ad.append(uc.Measurement(a["beta_mean"] - u["beta_mean"], np.hypot(a["beta_sem"], u["beta_sem"]),
                                 condition=f"{name} (J/T = {adaptive[name]['J'] / adaptive[name]['T']:.3g})"))
    out.append(C["rg.beyond.adaptive"].judge(
        ad, summary=", ".join(f"{n}: {adaptive[n]['adaptive']['beta_mean']:.3g} vs "
                              f"{adaptive[n]['uniform']['beta_mean']:.3g}" for n in ("LLM", "Urban Heat"))))
    uh = adaptive["Urban Heat"]
    out.append(C["rg.beyond.urban_heat"].judge(
        [uc.Measurement(uh[k]["beta_mean"] / claimed_beta["Urban Heat"],
                        uh[k]["beta_sem"] / claimed_beta["Urban Heat"], condition=f"{k} scan",
                        text=format_pm(uh[k]["beta_mean"], uh[k]["beta_sem"]))
         for k in ("uniform", "adaptive")],
        summary=(f"β = {uh['uniform']['beta_mean']:.3g} (uniform) and {uh['adaptive']['beta_mean']:.3g} "
                 f"(adaptive) against ~{claimed_beta['Urban Heat']:g}")))
    return out
