r"""Long-range and all-to-all coupling: where mean field becomes exact.

Chapter: ``book/rg/11_long_range.ipynb``.  The guide's "next steps" include
"Beyond mean-field: Include long-range interactions".  The model is
:func:`utacbook.models.scan_field_extended`: the local field of agent k is

.. math::

    h^{\rm loc}_k = J\big[(1 - p - w)\,\overline{\sigma}_{\rm nn}
        + p\,\overline{\sigma}_{\rm links} + w\,\overline{\sigma}_{\rm all}\big] + h ,

with the mean of the four lattice neighbours, of ``n_links`` quenched random
partners (share p, ``long_range``) and of all N − 1 other agents (share w,
``global_coupling``).  Three studies:

1. **All-to-all** (w = 1).  For N → ∞ the mean activation m obeys
   dm/dt = g((J m + h)/T) − m exactly (t in sweeps), so mean field
   (:mod:`utacbook.theory`) is exact: β → β_MF, Θ = −J/2, and the midpoint
   state becomes unstable at K = J/T = 1/g'(0).  :func:`all_to_all_beta`
   measures β with the midpoint-slope estimator
   (:func:`utacbook.stats.midpoint_beta`) for N = L², :func:`all_to_all_gap`
   the bistability threshold (defined in :func:`gap_threshold`), and
   :func:`mean_field_gap` gives its exact N → ∞ value.
2. **Interpolation** at fixed K (:func:`interpolation_beta`): β against the
   global share w and the random-link share p.  For the global share there is an
   exact N → ∞ relation (:func:`mixed_beta_prediction`): the lattice with coupling
   (1 − w)K feels the global mean as a uniform field, so

   .. math:: \beta_w = \frac{b}{1 - w K T b / 4}, \qquad b = \beta_{\rm lattice}\big((1 - w) K\big),

   and the symmetric state becomes unstable where w K T b/4 = 1
   (:func:`predicted_critical_coupling`).
3. **Critical couplings** K_c(w), K_c(p) from Binder-cumulant crossings
   (:func:`binder_study`).

Everything long is a stored result (``book/data/rg_long_range_*.json``); every
task has its own seed ``(seed, key)``, so :func:`spot_check` can re-run a few
tasks and compare them bit for bit.
"""

from __future__ import annotations

import math

import numpy as np

from ... import _validate as v

__all__ = [
    "SEED", "T_REF", "GAP_LEVEL", "GAP_SWEEPS", "mean_field_gap", "mean_field_gap_threshold", "gap_threshold",
    "all_to_all_beta", "all_to_all_gap", "size_scaling", "threshold_scaling", "interpolation_beta",
    "lattice_curve", "mixed_beta_prediction", "predicted_critical_coupling", "binder_study", "binder_crossings",
    "global_predictions", "restore", "spot_check", "claims", "judge_claims", "plot_all_to_all", "plot_gap",
    "plot_interpolation", "plot_critical_couplings", "DEFAULT_BINDER_MODELS", "GAP_EXTENSION", "FIT_P_MIN",
    "mean_field_grid_threshold", "threshold_limit", "combined_thresholds", "stationarity_check",
    "STATIONARITY_CASES", "STATIONARITY_A2A",
]

#: the chapter's root seed
SEED = 2033
#: the noise temperature of every run (only K = J/T and h/T matter; β is quoted as βT)
T_REF = 0.2
#: the bistability threshold: runs started at σ = 0 and σ = 1 at h = Θ are "apart" if their gap exceeds this ...
GAP_LEVEL = 0.1
#: ... after this many sweeps
GAP_SWEEPS = 200
#: the second threshold run (declared after a referee read the first run, before running it): more replicas at
#: L = 64 and 128 and a new size L = 256, on the couplings 4.7-4.9 where every threshold of L >= 64 lies after 50,
#: 100 and 200 sweeps; its own task key, combined with the first run by inverse-variance weights
GAP_EXTENSION = dict(K_values=[4.7, 4.75, 4.8, 4.85, 4.9], sizes=[64, 128, 256], n_replicas=[128, 64, 32],
                     task=6, keep_replicas=True)
#: the fit range of the extrapolated threshold: the smallest L_min (at least 4 sizes left) whose fit
#: K_∞ + a L^(−y) has χ² p >= this (fixed with the second run, before it was run)
FIT_P_MIN = 0.05

_KIND = {"global": "global_coupling", "links": "long_range"}
_KIND_CODE = {"global": 1, "links": 2}


def _key(x):
    """A stable integer key of a coupling or share (thousandths)."""
    return int(round(float(x) * 1000))


def _sem(x, axis=0):
    x = np.asarray(x, dtype=float)
    n = x.shape[axis]
    return np.std(x, axis=axis, ddof=1) / np.sqrt(n) if n > 1 else np.full(np.delete(x.shape, axis), np.nan)


def _scan():
    from utacbook.models import scan_field_extended
    return scan_field_extended


def _midpoint_beta():
    from utacbook.stats import midpoint_beta
    return midpoint_beta


def _per_size(name, value, n):
    if np.ndim(value) == 0:
        return [v.integer(name, value, low=2)] * n
    value = [v.integer(name, x, low=2) for x in value]
    if len(value) != n:
        raise ValueError(f"{name} must be an int or have one entry per size ({n}), got {len(value)}")
    return value


def _sizes(sizes):
    sizes = [v.integer("sizes", L, low=2, high=4096) for L in np.atleast_1d(sizes)]
    if not sizes:
        raise ValueError("sizes must not be empty")
    return sizes


# --------------------------------------------------------------------------- mean field (N -> infinity)


def mean_field_gap(K, n_sweeps, *, rtol=1e-10):
    r"""Exact N → ∞ gap after ``n_sweeps`` between runs started at σ = 1 and σ = 0 at h = −J/2 (all-to-all).

    With all-to-all coupling the mean activation obeys, as N → ∞, the ODE
    dm/dt = g((J m + h)/T) − m (t in sweeps of N random-sequential updates;
    g is :func:`utacbook.theory.logistic_normal_mean`).  At h = −J/2, with
    x = m − 1/2, dx/dt = g(K x) − 1/2 − x; by the symmetry σ → 1 − σ the gap is
    2 x(t) from x(0) = 1/2.

    Parameters
    ----------
    K : float or array_like
        Coupling(s) J/T (finite, >= 0).
    n_sweeps : float or array_like
        Time(s) in sweeps (>= 0), broadcast against K.
    rtol : float, default 1e-10
        Relative tolerance of the ODE solver.

    Returns
    -------
    float or ndarray
        The gap, in [0, 1].

    Examples
    --------
    >>> from utacbook.studies.rg.long_range import mean_field_gap
    >>> round(mean_field_gap(0.0, 1.0), 6) == round(float(np.exp(-1.0)), 6)    # K = 0: pure decay e^{-t}
    True
    >>> round(mean_field_gap(6.0, 200), 3)           # above 1/g'(0) = 4.84 the runs stay apart
    0.732
    """
    from scipy.integrate import solve_ivp
    from utacbook.theory._mean_field import _g
    Ka = v.real_array("K", K)
    ta = v.real_array("n_sweeps", n_sweeps)
    if np.any(Ka < 0):
        raise ValueError("K must be >= 0")
    if np.any(ta < 0):
        raise ValueError("n_sweeps must be >= 0")
    rtol = v.real("rtol", rtol, positive=True)
    Kb, tb = np.broadcast_arrays(Ka, ta)
    out = np.empty(Kb.shape)
    for idx in np.ndindex(Kb.shape):
        k, t = float(Kb[idx]), float(tb[idx])
        if t == 0:
            out[idx] = 1.0
            continue
        sol = solve_ivp(lambda _, x, k=k: _g(k * x) - 0.5 - x, (0.0, t), [0.5], rtol=rtol, atol=1e-13,
                        method="LSODA")
        out[idx] = 2.0 * sol.y[0, -1]
    return float(out) if out.ndim == 0 else out


def mean_field_gap_threshold(n_sweeps=GAP_SWEEPS, level=GAP_LEVEL):
    """The coupling at which the exact N → ∞ gap after ``n_sweeps`` equals ``level`` (all-to-all).

    This is the mean-field value of the bistability threshold of
    :func:`gap_threshold`.  As ``n_sweeps`` → ∞ and ``level`` → 0 it tends to
    1/g'(0) = 4.84 (:func:`utacbook.theory.critical_coupling_ratio`); for a finite
    run it lies slightly off it, on the side set by ``level``.

    Parameters
    ----------
    n_sweeps : float > 0, default 200
    level : float in (0, 1), default 0.1

    Returns
    -------
    float

    Examples
    --------
    >>> from utacbook.studies.rg.long_range import mean_field_gap_threshold
    >>> from utacbook.theory import critical_coupling_ratio
    >>> abs(mean_field_gap_threshold(200, 0.1) - critical_coupling_ratio()) < 0.05
    True
    """
    from scipy.optimize import brentq
    n = v.real("n_sweeps", n_sweeps, positive=True)
    level = v.real("level", level, positive=True, high=1.0)
    if level >= 1.0:
        raise ValueError(f"level must be < 1, got {level}")
    return float(brentq(lambda k: mean_field_gap(k, n) - level, 0.0, 40.0, xtol=1e-10))


def mean_field_grid_threshold(K, n_sweeps=GAP_SWEEPS, level=GAP_LEVEL):
    """The exact N → ∞ gap on the grid ``K`` passed through :func:`gap_threshold`: the like-for-like reference.

    :func:`gap_threshold` interpolates the gap linearly between grid points; on a
    curved gap this is biased.  Applied to the exact mean-field gap on the same grid,
    the same interpolation gives the value a simulation would find as N → ∞ (on the
    0.05 grid after 200 sweeps, 4.8424 instead of the exact root 4.8438 of
    :func:`mean_field_gap_threshold`).

    Parameters
    ----------
    K : array_like
        The increasing couplings of the simulated grid.
    n_sweeps : float > 0, default 200
    level : float in (0, 1), default 0.1

    Returns
    -------
    float

    Examples
    --------
    >>> from utacbook.studies.rg.long_range import mean_field_grid_threshold, mean_field_gap_threshold
    >>> K = np.round(np.arange(4.6, 5.1, 0.05), 2)
    >>> round(mean_field_grid_threshold(K), 4), round(mean_field_gap_threshold(), 4)
    (4.8424, 4.8438)
    """
    K = v.real_array("K", K, ndim=1, min_len=2)
    n = v.real("n_sweeps", n_sweeps, positive=True)
    g = mean_field_gap(K, n)
    return gap_threshold(K, np.vstack([g, g]), level=level)["K_b"]


def _mean_field_scan(J, T, h_values, *, lattice_size=None, n_steps=None, n_replicas=2, seed=None, **_):
    """The exact N → ∞ all-to-all response of the scan protocol (m0 = 1/2), in the shape of a scan."""
    from utacbook.theory import mean_field_response
    m = mean_field_response(np.atleast_1d(np.asarray(h_values, dtype=float)), float(J), float(T))
    return {"sigma": np.tile(m, (int(n_replicas), 1))}


# --------------------------------------------------------------------------- all-to-all: beta and Theta


def _deltas_for(K, T, n_deltas=4):
    """Fixed half-widths for the all-to-all midpoint slope: the mean-field quartile half-width ln 3/β_MF, halved."""
    from utacbook.theory import mean_field_beta
    b = mean_field_beta(K * T, T)
    return (math.log(3.0) / b) * 2.0 ** -np.arange(n_deltas)


def _extrapolation_gap(D, deltas):
    """Per row of ``D`` (replicas × δ): the δ → 0 intercept of a + b δ² + c δ⁴ and its change without the δ⁴ term.

    The same least squares as :func:`utacbook.stats.midpoint_beta` (δ scaled by its
    largest value); both are linear in ``D``, so the intercept of a difference of two
    curves is the difference of their intercepts.
    """
    D = np.atleast_2d(np.asarray(D, dtype=float))
    u = np.asarray(deltas, dtype=float) / np.max(deltas)

    def intercepts(n_terms):
        X = np.column_stack([u ** (2 * k) for k in range(n_terms)])
        return D @ np.linalg.pinv(X)[0]

    a3 = intercepts(3)
    return a3, a3 - intercepts(2)


def all_to_all_beta(*, K_values=(2.0, 3.0, 4.0, 4.5), sizes=(8, 16, 32, 64, 128),
                    n_replicas=(256, 128, 64, 32, 16), T=T_REF, n_steps=100, n_deltas=4, seed=SEED,
                    for_json=False):
    r"""Midpoint β and the midpoint Θ of the all-to-all model against N = L², beside mean field.

    For every (K, L): :func:`utacbook.stats.midpoint_beta` on
    :func:`~utacbook.models.scan_field_extended` with ``global_coupling=1`` (the
    guide's protocol otherwise: fresh random start, ``n_steps`` sweeps), at the
    symmetric midpoint Θ = −J/2, with the fixed half-widths δ_k = (ln 3/β_MF) 2^−k
    (k < ``n_deltas``) for every N.  The same estimator with the same δ is applied to
    the exact N → ∞ response (:func:`utacbook.theory.mean_field_response`): the
    difference ``dev`` is then the extrapolated difference of the two curves.  Its
    error ``dev_err`` is the statistical error ``dev_stat`` and the extrapolation
    systematic of the difference ``dev_sys`` in quadrature: 4 times the change of the
    δ → 0 intercept of D_N(δ) − D_MF(δ) when the δ⁴ term is dropped (the systematic
    that :func:`utacbook.stats.midpoint_beta` reports as ``beta_sys``, here of the
    difference; at small N and near 1/g'(0) it exceeds the statistical error).
    σ̄(−J/2) must be 1/2 at every N by the symmetry
    σ → 1 − σ, h → −J − h; ``theta_lin`` is the σ̄ = 1/2 crossing linearised about
    −J/2.

    Parameters
    ----------
    K_values : sequence of float in (0, 1/g'(0))
        Couplings J/T below the mean-field threshold 4.84.
    sizes : sequence of int
        Linear sizes L (N = L²).
    n_replicas : int or sequence of int
        Replicas per size (>= 2).
    T : float > 0, default 0.2
        Noise temperature (J = K T).
    n_steps : int, default 100
        Sweeps per run.
    n_deltas : int >= 3, default 4
    seed : int, default :data:`SEED`
        Task (K, L) uses the seed ``(seed, (1, round(1000 K), L))``.
    for_json : bool, default False
        Return lists with None for nan (for :mod:`utacbook.stored`; :func:`restore` undoes it).

    Returns
    -------
    dict
        ``K``, ``sizes``, ``N``, ``n_replicas``, ``T``; arrays over (K, L):
        ``beta_T`` (βT), ``beta_T_err`` (statistical), ``beta_T_sys`` (the estimator's
        extrapolation error estimate), ``dev`` (βT − the same estimator on mean field),
        ``dev_err`` (``dev_stat`` ⊕ ``dev_sys``), ``dev_stat``, ``dev_sys``, ``sigma_mid``,
        ``sigma_mid_err``, ``theta_lin`` (in units of T,
        relative to −J/2), ``theta_lin_err``, ``converged``; over K: ``beta_mf_T`` (exact
        βT of mean field), ``beta_mf_est_T`` (the estimator on the exact mean-field curve),
        ``deltas`` (K × n_deltas, field units).

    Examples
    --------
    >>> from utacbook.studies.rg.long_range import all_to_all_beta
    >>> r = all_to_all_beta(K_values=(2.0,), sizes=(8,), n_replicas=16)
    >>> bool(abs(r["dev"][0, 0]) < 4 * r["dev_err"][0, 0])      # beta T agrees with mean field
    True
    """
    from utacbook.theory import critical_coupling_ratio, mean_field_beta
    K = v.real_array("K_values", K_values, ndim=1, min_len=1)
    if np.any(K <= 0) or np.any(K >= critical_coupling_ratio()):
        raise ValueError("K_values must lie in (0, 1/g'(0)) = (0, 4.84): above it the response is bistable")
    sizes = _sizes(sizes)
    reps = _per_size("n_replicas", n_replicas, len(sizes))
    T = v.real("T", T, positive=True)
    n_steps = v.integer("n_steps", n_steps, low=1)
    n_deltas = v.integer("n_deltas", n_deltas, low=3)
    seed = v.integer("seed", seed, low=0)
    mb, scan = _midpoint_beta(), _scan()
    shape = (K.size, len(sizes))
    out = {k: np.full(shape, np.nan) for k in ("beta_T", "beta_T_err", "beta_T_sys", "dev", "dev_err", "dev_stat",
                                                "dev_sys", "sigma_mid", "sigma_mid_err", "theta_lin",
                                                "theta_lin_err")}
    converged = np.zeros(shape, dtype=bool)
    mf, mf_est, deltas = np.empty(K.size), np.empty(K.size), np.empty((K.size, n_deltas))
    for i, k in enumerate(K):
        J = k * T
        d = _deltas_for(k, T, n_deltas)
        deltas[i] = d
        mf[i] = mean_field_beta(J, T) * T
        ref = mb(J, T, scan=_mean_field_scan, theta="symmetric", deltas=d, n_replicas=2, seed=0)
        mf_est[i] = ref.beta * T
        for j, (L, R) in enumerate(zip(sizes, reps)):
            r = mb(J, T, scan=scan, theta="symmetric", deltas=d, lattice_size=L, n_steps=n_steps, n_replicas=R,
                   seed=(seed, (1, _key(k), L)), global_coupling=1.0, progress=False)
            out["beta_T"][i, j] = r.beta * T
            out["beta_T_err"][i, j] = r.beta_err_stat * T
            out["beta_T_sys"][i, j] = r.beta_sys * T
            out["dev"][i, j] = (r.beta - ref.beta) * T
            _, gap_d = _extrapolation_gap(r.replica_slopes - ref.slopes[None, :], d)
            out["dev_stat"][i, j] = r.beta_err_stat * T
            out["dev_sys"][i, j] = 4.0 * abs(float(gap_d.mean())) * T
            out["dev_err"][i, j] = math.hypot(out["dev_stat"][i, j], out["dev_sys"][i, j])
            out["sigma_mid"][i, j] = r.sigma_at_theta
            out["sigma_mid_err"][i, j] = r.sigma_at_theta_err
            slope = r.beta / 4.0
            out["theta_lin"][i, j] = -(r.sigma_at_theta - 0.5) / slope / T
            out["theta_lin_err"][i, j] = r.sigma_at_theta_err / slope / T
            converged[i, j] = r.converged
    out.update(K=K, sizes=np.array(sizes), N=np.array(sizes) ** 2, n_replicas=np.array(reps), T=T,
               n_steps=n_steps, beta_mf_T=mf, beta_mf_est_T=mf_est, deltas=deltas, converged=converged,
               seed=seed)
    return _for_json(out) if for_json else out


def size_scaling(N, dev, dev_err):
    r"""How a deviation from mean field shrinks with N: fits of ``c + a/N`` and of ``a N^(−x)``.

    Parameters
    ----------
    N : array_like, shape (n,)
        Numbers of agents (> 0), at least 3.
    dev, dev_err : array_like, shape (n,)
        Deviations and their standard errors (> 0).

    Returns
    -------
    dict
        ``c``, ``c_err``, ``a``, ``a_err`` (weighted least squares of ``c + a/N``),
        ``chi2``, ``dof``, ``p`` (its goodness of fit); ``a1``, ``a1_err``, ``p1`` (the fit
        ``a/N`` with no offset); ``n_resolved`` (sizes whose deviation exceeds 2 standard
        errors: with fewer than two the shape of the N dependence is not tested, and a good
        χ² means only "consistent with"); ``x``, ``x_err`` (exponent of ``a N^(−x)``, nan
        if ``n_resolved`` < 2).

    Examples
    --------
    >>> from utacbook.studies.rg.long_range import size_scaling
    >>> N = np.array([64., 256., 1024., 4096.])
    >>> s = size_scaling(N, -3.0 / N, np.full(4, 1e-4))
    >>> round(s["a"], 6), round(s["c"], 9) == 0, round(s["x"], 4)
    (-3.0, True, 1.0)
    """
    from scipy import stats
    from scipy.optimize import curve_fit
    N = v.real_array("N", N, ndim=1, min_len=3)
    y = v.real_array("dev", dev, ndim=1)
    e = v.real_array("dev_err", dev_err, ndim=1)
    if not (N.shape == y.shape == e.shape):
        raise ValueError("N, dev and dev_err must have the same length")
    if np.any(N <= 0) or np.any(e <= 0):
        raise ValueError("N and dev_err must be > 0")
    wts = 1.0 / e
    X = np.column_stack([np.ones_like(N), 1.0 / N])
    coef, *_ = np.linalg.lstsq(X * wts[:, None], y * wts, rcond=None)
    cov = np.linalg.inv((X * wts[:, None] ** 2).T @ X)
    chi2 = float(np.sum(((y - X @ coef) / e) ** 2))
    dof = N.size - 2
    a1 = float(np.sum(y / N / e ** 2) / np.sum(1.0 / (N * e) ** 2))
    a1_err = float(1.0 / np.sqrt(np.sum(1.0 / (N * e) ** 2)))
    chi2_1 = float(np.sum(((y - a1 / N) / e) ** 2))
    out = {"c": float(coef[0]), "c_err": float(np.sqrt(cov[0, 0])), "a": float(coef[1]),
           "a_err": float(np.sqrt(cov[1, 1])), "chi2": chi2, "dof": dof,
           "p": float(stats.chi2.sf(chi2, dof)) if dof > 0 else float("nan"),
           "a1": a1, "a1_err": a1_err, "p1": float(stats.chi2.sf(chi2_1, N.size - 1)),
           "x": float("nan"), "x_err": float("nan")}
    resolved = np.abs(y) > 2 * e
    out["n_resolved"] = int(resolved.sum())
    if resolved.sum() >= 2:
        sgn = np.sign(np.sum(y[resolved] / e[resolved] ** 2))
        try:
            p, pc = curve_fit(lambda n, a, x: a * n ** (-x), N, y, p0=(sgn * np.max(np.abs(y) * N), 1.0),
                              sigma=e, absolute_sigma=True, maxfev=20000)
            out["x"], out["x_err"] = float(p[1]), float(np.sqrt(pc[1, 1]))
        except RuntimeError:  # pragma: no cover - no convergence
            pass
    return out


# --------------------------------------------------------------------------- all-to-all: bistability threshold


def gap_threshold(K, gap, *, level=GAP_LEVEL):
    r"""The bistability threshold: the smallest coupling at which the replica-mean gap reaches ``level``.

    Definition (fixed before the measurement): runs started with every agent at
    σ = 1 and at σ = 0 at the midpoint field h = −J/2 are *apart* after n sweeps if
    the mean of σ̄(from 1) − σ̄(from 0) over replicas exceeds ``level``; the threshold
    is where that mean gap first rises through ``level`` on the K grid (linear
    interpolation).  The error is a jackknife over replicas.

    Parameters
    ----------
    K : array_like, shape (n,)
        Increasing couplings.
    gap : array_like, shape (n_replicas, n)
        Per-replica gaps σ̄(from 1) − σ̄(from 0).
    level : float in (0, 1), default 0.1

    Returns
    -------
    dict
        ``K_b`` (nan if the mean gap never rises through ``level``), ``K_b_err``
        (jackknife; nan if a leave-one-out sample has no crossing), ``n_crossings``
        (upward crossings of the mean gap), ``gap_mean``, ``gap_err``.

    Examples
    --------
    >>> from utacbook.studies.rg.long_range import gap_threshold
    >>> K = np.array([4.0, 5.0, 6.0])
    >>> r = gap_threshold(K, np.array([[0.0, 0.2, 0.6], [0.0, 0.2, 0.6]]))
    >>> round(r["K_b"], 6), r["n_crossings"]
    (4.5, 1)
    """
    K = v.real_array("K", K, ndim=1, min_len=2)
    g = v.real_array("gap", gap, ndim=2)
    level = v.real("level", level, positive=True, high=1.0)
    if g.shape[1] != K.size:
        raise ValueError(f"gap must have shape (n_replicas, {K.size}), got {g.shape}")
    if np.any(np.diff(K) <= 0):
        raise ValueError("K must be strictly increasing")

    def cross(mean):
        ups = [i for i in range(K.size - 1) if mean[i] < level <= mean[i + 1]]
        if not ups:
            return float("nan"), 0
        i = ups[0]
        t = (level - mean[i]) / (mean[i + 1] - mean[i])
        return float(K[i] + t * (K[i + 1] - K[i])), len(ups)

    R = g.shape[0]
    Kb, n_up = cross(g.mean(axis=0))
    err = float("nan")
    if R > 1 and np.isfinite(Kb):
        loo = np.array([cross((g.sum(axis=0) - g[r]) / (R - 1))[0] for r in range(R)])
        if np.all(np.isfinite(loo)):
            err = float(np.sqrt((R - 1) / R * np.sum((loo - loo.mean()) ** 2)))
    return {"K_b": Kb, "K_b_err": err, "n_crossings": n_up, "gap_mean": g.mean(axis=0),
            "gap_err": _sem(g) if R > 1 else np.full(K.size, np.nan)}


def all_to_all_gap(*, K_values=None, sizes=(8, 16, 32, 64, 128), n_replicas=(256, 128, 64, 32, 16), T=T_REF,
                   n_sweeps=GAP_SWEEPS, record=(50, 100, 200), level=GAP_LEVEL, seed=SEED, task=2,
                   keep_replicas=False, for_json=False):
    r"""Runs from σ = 0 and σ = 1 at h = −J/2 (all-to-all): the gap after n sweeps and the bistability threshold.

    For every size L one call of :func:`~utacbook.models.scan_field_extended` per
    start (``initial`` = 1 and 0, ``global_coupling=1``, all couplings at once, with
    traces); the gap after each of ``record`` sweeps, its threshold
    (:func:`gap_threshold`) and the exact N → ∞ values (:func:`mean_field_gap`).

    Parameters
    ----------
    K_values : array_like, optional
        Increasing couplings J/T; default 4.5 to 5.5 in steps of 0.05.
    sizes : sequence of int
    n_replicas : int or sequence of int
        Replicas per size (>= 2).
    T : float > 0
    n_sweeps : int, default 200
        Length of the runs.
    record : sequence of int
        Sweeps (<= ``n_sweeps``) after which the gap is recorded; the threshold of the
        chapter uses ``n_sweeps``.
    level : float, default 0.1
    seed : int
        Size L, start s (1 or 0) uses ``(seed, (task, L, s))``.
    task : int >= 0, default 2
        The task key of the seeds (another key gives runs independent of the default's:
        :data:`GAP_EXTENSION` uses 6).
    keep_replicas : bool, default False
        Also return every replica's gap (``gap_replicas``).
    for_json : bool, default False
        As :func:`all_to_all_beta`.

    Returns
    -------
    dict
        ``K``, ``sizes``, ``N``, ``n_replicas``, ``record``, ``level``; ``gap`` and
        ``gap_err`` (size × record × K, replica mean and s.e.m.), ``upper`` and
        ``upper_err`` (σ̄ − 1/2 of the runs from 1) and ``lower`` and ``lower_err``
        (1/2 − σ̄ of the runs from 0), which the symmetry makes equal;
        ``K_b``, ``K_b_err``, ``n_crossings`` (size × record); ``gap_mf`` (record × K),
        ``K_b_mf`` (record,): the exact N → ∞ values, and ``K_b_mf_grid`` (record,): the
        like-for-like reference (:func:`mean_field_grid_threshold` on this grid); with
        ``keep_replicas``, ``gap_replicas``: one array (replica × record × K) per size.

    Examples
    --------
    >>> from utacbook.studies.rg.long_range import all_to_all_gap
    >>> r = all_to_all_gap(K_values=[4.0, 6.0], sizes=(8,), n_replicas=4, n_sweeps=20, record=(20,))
    >>> r["gap"].shape, bool(r["gap"][0, 0, 1] > r["gap"][0, 0, 0])
    ((1, 1, 2), True)
    """
    K = (np.round(np.arange(4.5, 5.5 + 1e-9, 0.05), 10) if K_values is None
         else v.real_array("K_values", K_values, ndim=1, min_len=2))
    if np.any(np.diff(K) <= 0) or np.any(K < 0):
        raise ValueError("K_values must be increasing and >= 0")
    sizes = _sizes(sizes)
    reps = _per_size("n_replicas", n_replicas, len(sizes))
    T = v.real("T", T, positive=True)
    n_sweeps = v.integer("n_sweeps", n_sweeps, low=1)
    rec = [v.integer("record", t, low=1, high=n_sweeps) for t in np.atleast_1d(record)]
    level = v.real("level", level, positive=True, high=1.0)
    seed = v.integer("seed", seed, low=0)
    task = v.integer("task", task, low=0)
    scan = _scan()
    J = K * T
    per_replica = []
    ns, nr, nk = len(sizes), len(rec), K.size
    out = {k: np.full((ns, nr, nk), np.nan) for k in ("gap", "gap_err", "upper", "upper_err", "lower", "lower_err")}
    Kb, Kb_err, ncross = np.full((ns, nr), np.nan), np.full((ns, nr), np.nan), np.zeros((ns, nr), dtype=int)
    idx = np.array(rec) - 1
    for j, (L, R) in enumerate(zip(sizes, reps)):
        runs = {}
        for s in (1, 0):
            r = scan(J, T, -0.5 * J, lattice_size=L, n_steps=n_sweeps, n_replicas=R, global_coupling=1.0,
                     initial=float(s), seed=(seed, (task, L, s)), return_traces=True, progress=False)
            runs[s] = r["traces"][..., idx]                     # (R, nK, nr)
        g = runs[1] - runs[0]
        if keep_replicas:
            per_replica.append(np.moveaxis(g, -1, 1))            # (R, nr, nK)
        up, lo = runs[1] - 0.5, 0.5 - runs[0]
        for q in range(nr):
            th = gap_threshold(K, g[..., q], level=level)
            Kb[j, q], Kb_err[j, q], ncross[j, q] = th["K_b"], th["K_b_err"], th["n_crossings"]
            out["gap"][j, q], out["gap_err"][j, q] = th["gap_mean"], th["gap_err"]
            out["upper"][j, q], out["upper_err"][j, q] = up[..., q].mean(axis=0), _sem(up[..., q])
            out["lower"][j, q], out["lower_err"][j, q] = lo[..., q].mean(axis=0), _sem(lo[..., q])
    gap_mf = mean_field_gap(K[None, :], np.array(rec, dtype=float)[:, None])
    Kb_mf = np.array([mean_field_gap_threshold(t, level) for t in rec])
    out.update(K=K, sizes=np.array(sizes), N=np.array(sizes) ** 2, n_replicas=np.array(reps), T=T,
               n_sweeps=n_sweeps, record=np.array(rec), level=level, K_b=Kb, K_b_err=Kb_err,
               n_crossings=ncross, gap_mf=gap_mf, K_b_mf=Kb_mf, seed=seed, task=task,
               K_b_mf_grid=np.array([mean_field_grid_threshold(K, t, level) for t in rec]))
    if keep_replicas:
        out["gap_replicas"] = per_replica
    return _for_json(out) if for_json else out


def threshold_scaling(sizes, K_b, K_b_err, K_mf, *, L_min=None):
    r"""How the bistability threshold approaches its N → ∞ value: fits ``a L^(−y)`` and ``K_∞ + a L^(−y)``.

    Parameters
    ----------
    sizes : array_like
        Linear sizes L (N = L²).
    K_b, K_b_err : array_like
        Thresholds and errors (finite entries are used).
    K_mf : float
        The N → ∞ threshold (:func:`mean_field_grid_threshold`, the like-for-like value,
        or :func:`mean_field_gap_threshold`).
    L_min : int, optional
        Fit only sizes L >= ``L_min`` (default: all); ``z`` is given for every size.

    Returns
    -------
    dict
        ``y``, ``y_err``, ``a``, ``a_err``, ``chi2_y``, ``p_y`` (the fit of the deviation
        with K_mf fixed and its goodness of fit; nan when fewer than two deviations are
        resolved at 2 standard errors), ``z`` (deviation / error per size); ``K_inf``,
        ``K_inf_err``, ``y_inf``, ``y_inf_err``, ``chi2_inf``, ``dof_inf``, ``p_inf`` (the fit
        ``K_∞ + a L^(−y)`` with a free limit, which needs at least 4 sizes; its ``K_∞`` is
        the extrapolated threshold, its errors scaled by sqrt(χ²/dof) when that exceeds 1);
        ``L_fit`` (the sizes fitted).

    Examples
    --------
    >>> from utacbook.studies.rg.long_range import threshold_scaling
    >>> L = np.array([8, 16, 32, 64, 128])
    >>> s = threshold_scaling(L, 4.84 + 5.0 * L ** -1.5, np.full(5, 1e-3), 4.84)
    >>> round(s["y"], 6), round(s["K_inf"], 6)
    (1.5, 4.84)
    """
    from scipy import stats
    from scipy.optimize import curve_fit
    L = v.real_array("sizes", sizes, ndim=1)
    d = np.asarray(K_b, dtype=float) - v.real("K_mf", K_mf)
    e = np.asarray(K_b_err, dtype=float)
    valid = np.isfinite(d) & np.isfinite(e) & (e > 0)
    ok = valid & (L >= (v.real("L_min", L_min) if L_min is not None else -np.inf))
    out = {"y": float("nan"), "y_err": float("nan"), "a": float("nan"), "a_err": float("nan"),
           "chi2_y": float("nan"), "p_y": float("nan"),
           "z": np.where(valid, d / np.where(valid, e, 1.0), np.nan), "K_inf": float("nan"),
           "K_inf_err": float("nan"), "y_inf": float("nan"), "y_inf_err": float("nan"), "chi2_inf": float("nan"),
           "dof_inf": int(ok.sum()) - 3, "p_inf": float("nan"), "L_fit": L[ok].astype(int)}
    if (np.abs(d[ok]) > 2 * e[ok]).sum() >= 2 and ok.sum() >= 3:
        try:
            p, pc = curve_fit(lambda n, a, y: a * n ** (-y), L[ok], d[ok], p0=(d[ok][0] * L[ok][0], 1.0),
                              sigma=e[ok], absolute_sigma=True, maxfev=20000)
            chi2 = float(np.sum(((d[ok] - p[0] * L[ok] ** (-p[1])) / e[ok]) ** 2))
            out.update(a=float(p[0]), a_err=float(np.sqrt(pc[0, 0])), y=float(p[1]), y_err=float(np.sqrt(pc[1, 1])),
                       chi2_y=chi2, p_y=float(stats.chi2.sf(chi2, int(ok.sum()) - 2)))
        except RuntimeError:  # pragma: no cover
            pass
    if ok.sum() >= 4:
        Kb = np.asarray(K_b, dtype=float)[ok]
        y0 = out["y"] if np.isfinite(out["y"]) else 1.0
        a0 = out["a"] if np.isfinite(out["a"]) else float(d[ok][0] * L[ok][0])
        try:
            p, pc = curve_fit(lambda n, k, a, y: k + a * n ** (-y), L[ok], Kb, p0=(float(K_mf), a0, y0),
                              sigma=e[ok], absolute_sigma=True, maxfev=20000)
            chi2 = float(np.sum(((Kb - (p[0] + p[1] * L[ok] ** (-p[2]))) / e[ok]) ** 2))
            dof = int(ok.sum()) - 3
            scale = math.sqrt(chi2 / dof) if dof > 0 and chi2 > dof else 1.0     # a poor fit widens the error
            out.update(K_inf=float(p[0]), K_inf_err=float(scale * np.sqrt(pc[0, 0])), chi2_inf=chi2,
                       y_inf=float(p[2]), y_inf_err=float(scale * np.sqrt(pc[2, 2])), a_inf=float(p[1]),
                       p_inf=float(stats.chi2.sf(chi2, dof)) if dof > 0 else float("nan"))
        except RuntimeError:  # pragma: no cover
            pass
    return out


def threshold_limit(sizes, K_b, K_b_err, K_ref, *, p_min=FIT_P_MIN, min_sizes=4):
    r"""The extrapolated threshold with the fit range fixed by a rule, and the fits of every range.

    Fits ``K_∞ + a L^(−y)`` (:func:`threshold_scaling`) to L >= L_min for every L_min
    that leaves at least ``min_sizes`` sizes; the judged fit is the one with the
    smallest L_min whose χ² p-value is at least ``p_min`` (the smallest sizes lie in
    the critical window, where one power law need not hold), or, if none is, the
    largest L_min.

    Parameters
    ----------
    sizes, K_b, K_b_err : array_like
        Sizes (increasing), thresholds and errors.
    K_ref : float
        The N → ∞ reference (only for the ``z`` of :func:`threshold_scaling`).
    p_min : float, default :data:`FIT_P_MIN`
    min_sizes : int >= 4, default 4

    Returns
    -------
    dict
        ``chosen`` (the judged fit, a :func:`threshold_scaling` dict with ``L_min``) and
        ``fits`` (one per L_min, in increasing order).

    Examples
    --------
    >>> from utacbook.studies.rg.long_range import threshold_limit
    >>> L = np.array([8, 16, 32, 64, 128])
    >>> r = threshold_limit(L, 4.84 + 5.0 * L ** -1.5, np.full(5, 1e-3), 4.84)
    >>> int(r["chosen"]["L_min"]), round(r["chosen"]["K_inf"], 6), len(r["fits"])
    (8, 4.84, 2)
    """
    L = v.real_array("sizes", sizes, ndim=1)
    min_sizes = v.integer("min_sizes", min_sizes, low=4)
    p_min = v.real("p_min", p_min, low=0.0, high=1.0)
    fits = []
    for j in range(L.size - min_sizes + 1):
        f = threshold_scaling(L, K_b, K_b_err, K_ref, L_min=L[j])
        f["L_min"] = int(L[j])
        fits.append(f)
    if not fits:
        raise ValueError(f"sizes must have at least {min_sizes} entries")
    good = [f for f in fits if np.isfinite(f["p_inf"]) and f["p_inf"] >= p_min]
    return {"chosen": good[0] if good else fits[-1], "fits": fits}


def combined_thresholds(gap, extension=None, *, record=None):
    """The thresholds of the first run with those of the second (:data:`GAP_EXTENSION`) merged in.

    At a size run in both, the two independent estimates are combined with
    inverse-variance weights; sizes of one run only are taken as they are.

    Parameters
    ----------
    gap, extension : dict
        Restored :func:`all_to_all_gap` results (``extension`` optional).
    record : int, optional
        The run length (sweeps; default the longest recorded); both runs must have it.

    Returns
    -------
    dict
        ``sizes``, ``K_b``, ``K_b_err`` (merged, increasing L), ``first`` and ``second``
        (the runs' own values, nan where a run lacks the size), ``K_ref`` (the
        like-for-like N → ∞ threshold, :func:`mean_field_grid_threshold` on the first
        run's grid), ``K_exact`` (the exact root), ``record``.

    Examples
    --------
    >>> from utacbook.studies.rg.long_range import combined_thresholds
    >>> g = {"sizes": [8, 16], "record": [200], "K": [4.8, 4.85, 4.9], "level": 0.1,
    ...      "K_b": [[5.0], [4.9]], "K_b_err": [[0.02], [0.01]], "K_b_mf": [4.8438]}
    >>> e = {"sizes": [16, 32], "record": [200], "K": [4.8, 4.85, 4.9], "level": 0.1,
    ...      "K_b": [[4.88], [4.86]], "K_b_err": [[0.01], [0.005]], "K_b_mf": [4.8438]}
    >>> c = combined_thresholds(g, e)
    >>> c["sizes"].tolist(), np.round(c["K_b"], 4).tolist()
    ([8, 16, 32], [5.0, 4.89, 4.86])
    """
    q = _record_index(gap, record)
    n = int(np.asarray(gap["record"])[q])

    def table(g):
        qq = _record_index(g, n)
        return {int(L): (float(np.asarray(g["K_b"])[j, qq]), float(np.asarray(g["K_b_err"])[j, qq]))
                for j, L in enumerate(np.asarray(g["sizes"]).astype(int))}
    t1 = table(gap)
    t2 = {} if extension is None else table(extension)
    sizes = sorted(set(t1) | set(t2))
    kb, ke, first, second = [], [], [], []
    for L in sizes:
        vals = [t[L] for t in (t1, t2) if L in t and np.isfinite(t[L][0]) and np.isfinite(t[L][1]) and t[L][1] > 0]
        first.append(t1.get(L, (np.nan, np.nan)))
        second.append(t2.get(L, (np.nan, np.nan)))
        if not vals:
            kb.append(np.nan)
            ke.append(np.nan)
            continue
        w = np.array([1.0 / e ** 2 for _, e in vals])
        kb.append(float(np.sum(w * np.array([k for k, _ in vals])) / w.sum()))
        ke.append(float(1.0 / np.sqrt(w.sum())))
    ref = gap["K_b_mf_grid"][q] if "K_b_mf_grid" in gap else mean_field_grid_threshold(gap["K"], n, gap["level"])
    return {"sizes": np.array(sizes), "K_b": np.array(kb), "K_b_err": np.array(ke), "first": np.array(first),
            "second": np.array(second), "K_ref": float(ref), "K_exact": float(np.asarray(gap["K_b_mf"])[q]),
            "record": n}


# --------------------------------------------------------------------------- interpolation: beta at fixed K


def interpolation_beta(*, K=4.0, shares=(0.25, 0.5, 0.75, 1.0), lattice_K=None, n_links=4, T=T_REF,
                       lattice_size=64, n_replicas=16, n_steps=100, seed=SEED, for_json=False):
    r"""Midpoint β at fixed K against the long-range share, and the lattice's β(K') that predicts it.

    Three sets of :func:`utacbook.stats.midpoint_beta` estimates (symmetric
    midpoint, automatic δ, the guide's protocol on
    :func:`~utacbook.models.scan_field_extended`):

    * the pure lattice at the couplings ``lattice_K`` (the input of
      :func:`mixed_beta_prediction` and :func:`predicted_critical_coupling`);
    * coupling K with the global share w in ``shares`` (``global_coupling``);
    * coupling K with the random-link share p in ``shares`` (``long_range``,
      ``n_links`` partners).

    The share 0 (the lattice at K) is the lattice estimate at K, which must be in
    ``lattice_K``.

    Parameters
    ----------
    K : float, default 4.0
        The fixed coupling J/T (below the lattice's K_c = 5.54).
    shares : sequence of float in (0, 1]
    lattice_K : sequence of float >= 0, optional
        Default 0, 0.5, ..., 4.5 (must contain K and every (1 − w) K).
    n_links : int >= 1, default 4
    T : float > 0
    lattice_size, n_replicas, n_steps : int
    seed : int
        Lattice K' uses ``(seed, (3, round(1000 K')))``, share w of kind c (1 global,
        2 links) ``(seed, (4, c, round(1000 K), round(1000 w)))``.
    for_json : bool, default False
        As :func:`all_to_all_beta`.

    Returns
    -------
    dict
        ``K``, ``shares`` (with 0 first), ``lattice_K``, ``lattice_beta_T``,
        ``lattice_beta_T_err``; ``global_beta_T``, ``global_beta_T_err``, ``links_beta_T``,
        ``links_beta_T_err`` (one per share, the lattice at K first); ``*_converged``.

    Examples
    --------
    >>> from utacbook.studies.rg.long_range import interpolation_beta
    >>> r = interpolation_beta(K=1.0, shares=(1.0,), lattice_K=(0.0, 1.0), lattice_size=8, n_replicas=4)
    >>> r["global_beta_T"].shape
    (2,)
    """
    K = v.real("K", K, positive=True)
    sh = v.real_array("shares", shares, ndim=1, min_len=1)
    if np.any(sh <= 0) or np.any(sh > 1):
        raise ValueError("shares must lie in (0, 1]")
    lk = (np.round(np.arange(0.0, 4.5 + 1e-9, 0.5), 10) if lattice_K is None
          else v.real_array("lattice_K", lattice_K, ndim=1, min_len=1))
    if np.any(lk < 0) or np.any(np.diff(lk) <= 0):
        raise ValueError("lattice_K must be increasing and >= 0")
    need = np.concatenate([[K], (1 - sh) * K])
    missing = [float(x) for x in need if not np.any(np.isclose(lk, x, atol=1e-9))]
    if missing:
        raise ValueError(f"lattice_K must contain K and every (1 - w) K; missing {missing}")
    n_links = v.integer("n_links", n_links, low=1)
    T = v.real("T", T, positive=True)
    L = v.integer("lattice_size", lattice_size, low=2)
    R = v.integer("n_replicas", n_replicas, low=2)
    n_steps = v.integer("n_steps", n_steps, low=1)
    seed = v.integer("seed", seed, low=0)
    common = dict(lattice_size=L, n_replicas=R, n_steps=n_steps, seed=seed)
    lat, lat_err, lat_ok = (np.array(x) for x in zip(*[_beta_task(float(kp), T, **common) for kp in lk]))
    at_K = int(np.argmin(np.abs(lk - K)))
    out = {"K": K, "shares": np.concatenate([[0.0], sh]), "lattice_K": lk, "lattice_beta_T": lat,
           "lattice_beta_T_err": lat_err, "lattice_converged": np.array(lat_ok), "n_links": n_links, "T": T,
           "lattice_size": L, "n_replicas": R, "n_steps": n_steps, "seed": seed}
    for kind in ("global", "links"):
        b, e, ok = [lat[at_K]], [lat_err[at_K]], [lat_ok[at_K]]
        for w in sh:
            bw, ew, okw = _beta_task(K, T, share=float(w), kind=kind, n_links=n_links, **common)
            b.append(bw)
            e.append(ew)
            ok.append(okw)
        out[f"{kind}_beta_T"], out[f"{kind}_beta_T_err"] = np.array(b), np.array(e)
        out[f"{kind}_converged"] = np.array(ok)
    return _for_json(out) if for_json else out


#: the run-length check of the 100-sweep slopes (:func:`stationarity_check`): (kind, share) at K = 4, L = 64,
#: and all-to-all (K, L, replicas), the settings and seeds of the stored runs
STATIONARITY_CASES = (("lattice", 0.0), ("global", 0.5), ("global", 1.0), ("links", 0.5), ("links", 1.0))
STATIONARITY_A2A = ((4.5, 8, 256), (4.5, 64, 32))


def stationarity_check(*, K=4.0, cases=STATIONARITY_CASES, a2a=STATIONARITY_A2A, factor=3, n_links=4, T=T_REF,
                       lattice_size=64, n_replicas=32, n_steps=100, seed=SEED, for_json=False):
    r"""Do the 100-sweep midpoint slopes depend on the run length?  The same runs continued to ``factor`` × 100 sweeps.

    For each case, :func:`utacbook.stats.midpoint_beta` with ``check_steps=factor``
    and the seeds and settings of the stored estimate it checks (so its βT equals the
    stored one): the slope at the largest δ after ``factor`` × ``n_steps`` sweeps
    against the same after ``n_steps`` (paired, same seed), as a relative change with
    its standard error.

    Parameters
    ----------
    K : float, default 4.0
        Coupling of the interpolation cases (as :func:`interpolation_beta`).
    cases : sequence of (kind, share)
        ``kind`` "lattice" (share 0), "global" or "links".
    a2a : sequence of (K, L, n_replicas)
        All-to-all estimates of :func:`all_to_all_beta` (its δ and seeds).
    factor : int >= 2, default 3
    n_links, T, lattice_size, n_replicas, n_steps, seed
        As :func:`interpolation_beta` (``lattice_size`` and ``n_replicas`` for ``cases``).
    for_json : bool, default False

    Returns
    -------
    dict
        ``label`` (list), ``beta_T``, ``beta_T_err``, ``change`` (relative change of the
        slope with ``factor`` × the sweeps), ``change_err``, ``stationary`` (the
        estimator's verdict: change + 2 s.e. within 5 %), and the settings.

    Examples
    --------
    >>> from utacbook.studies.rg.long_range import stationarity_check
    >>> r = stationarity_check(cases=(), a2a=((3.0, 8, 16),), factor=2)
    >>> r["label"], bool(abs(r["change"][0]) < 0.05)
    (['all-to-all, K = 3, L = 8'], True)
    """
    K = v.real("K", K, positive=True)
    factor = v.integer("factor", factor, low=2)
    T = v.real("T", T, positive=True)
    seed = v.integer("seed", seed, low=0)
    mb, scan = _midpoint_beta(), _scan()
    labels, bT, bE, ch, chE, st = [], [], [], [], [], []

    def add(label, r):
        labels.append(label)
        bT.append(r.beta * T)
        bE.append(r.beta_err * T)
        ch.append(r.long_change)
        chE.append(r.long_change_err)
        st.append(bool(r.stationary))

    for kind, share in cases:
        share = float(share)
        opt = {}
        if kind == "lattice":
            s = (seed, (3, _key(K)))
        else:
            v.choice("kind", kind, set(_KIND))
            opt[_KIND[kind]] = share
            if kind == "links":
                opt["n_links"] = n_links
            s = (seed, (4, _KIND_CODE[kind], _key(K), _key(share)))
        r = mb(K * T, T, scan=scan, theta="symmetric", lattice_size=lattice_size, n_replicas=n_replicas,
               n_steps=n_steps, seed=s, check_steps=factor, progress=False, **opt)
        sym = {"lattice": "lattice", "global": f"global w = {share:g}", "links": f"links p = {share:g}"}[kind]
        add(f"{sym}, K = {K:g}, L = {lattice_size}", r)
    for k, L, R in a2a:
        k = float(k)
        r = mb(k * T, T, scan=scan, theta="symmetric", deltas=_deltas_for(k, T), lattice_size=int(L), n_steps=n_steps,
               n_replicas=int(R), seed=(seed, (1, _key(k), int(L))), global_coupling=1.0, check_steps=factor,
               progress=False)
        add(f"all-to-all, K = {k:g}, L = {int(L)}", r)
    out = {"label": labels, "beta_T": np.array(bT), "beta_T_err": np.array(bE), "change": np.array(ch),
           "change_err": np.array(chE), "stationary": st, "factor": factor, "n_steps": n_steps, "K": K, "T": T,
           "seed": seed}
    return _for_json(out) if for_json else out


def lattice_curve(lattice_K, beta_T, beta_T_err=None):
    """A smooth curve through the lattice's βT(K'): a cubic spline of 1/(βT).

    With errors (all > 0) it is a smoothing spline weighted by them, whose
    smoothing allows a χ² equal to the number of points (the measured points'
    noise is not followed); without, the natural interpolating spline.

    Parameters
    ----------
    lattice_K : array_like
        Increasing couplings (at least 4).
    beta_T : array_like
        βT at those couplings (> 0).
    beta_T_err : array_like, optional
        Their standard errors.

    Returns
    -------
    callable
        ``f(K')`` → βT, valid inside the range of ``lattice_K``.

    Examples
    --------
    >>> from utacbook.studies.rg.long_range import lattice_curve
    >>> from utacbook.theory import mean_field_beta_scaled
    >>> k = np.linspace(0.0, 4.0, 9)
    >>> f = lattice_curve(k, mean_field_beta_scaled(k))          # 1/(βT) is linear here: the spline is exact
    >>> round(f(2.25) / mean_field_beta_scaled(2.25), 12)
    1.0
    """
    from scipy.interpolate import CubicSpline, UnivariateSpline
    k = v.real_array("lattice_K", lattice_K, ndim=1, min_len=4)
    b = v.real_array("beta_T", beta_T, ndim=1)
    if b.shape != k.shape or np.any(b <= 0):
        raise ValueError("beta_T must be > 0, one per coupling")
    e = None if beta_T_err is None else v.real_array("beta_T_err", beta_T_err, ndim=1)
    if e is not None and e.shape == b.shape and np.all(e > 0):
        spl = UnivariateSpline(k, 1.0 / b, w=b ** 2 / e, k=3, s=float(k.size))
    else:
        spl = CubicSpline(k, 1.0 / b, bc_type="natural")
    lo, hi = float(k[0]), float(k[-1])

    def f(x):
        x = np.asarray(x, dtype=float)
        if np.any(x < lo - 1e-9) or np.any(x > hi + 1e-9):
            raise ValueError(f"K' must lie in [{lo}, {hi}] (the measured lattice couplings)")
        out = 1.0 / spl(x)
        return float(out) if out.ndim == 0 else out
    return f


def mixed_beta_prediction(K, w, b_lattice):
    r"""βT of the model with global share w from the lattice's βT at (1 − w) K (exact as N → ∞).

    As N → ∞ the global mean m is a number, so the lattice part (coupling
    (1 − w) K) sees the uniform field h + w J m, and its stationary response
    M_lat gives m = M_lat(h + w J m).  Differentiating at the midpoint,
    χ = χ_lat / (1 − w J χ_lat) with χ = β/4; in units of T,

    .. math:: \beta_w T = \frac{b}{1 - w K b / 4}, \qquad b = \beta_{\rm lat} T \text{ at } (1 - w) K,

    and ``inf`` where w K b / 4 >= 1 (the symmetric state is unstable).

    Parameters
    ----------
    K : float >= 0
    w : float in [0, 1]
    b_lattice : float or callable
        βT of the lattice at (1 − w) K, or a function of K' returning it
        (e.g. :func:`lattice_curve`).

    Returns
    -------
    float

    Examples
    --------
    >>> from utacbook.studies.rg.long_range import mixed_beta_prediction
    >>> from utacbook.theory import GPRIME0, mean_field_beta_scaled
    >>> b0 = 4 * GPRIME0                          # the lattice at K' = 0: independent agents
    >>> round(mixed_beta_prediction(3.0, 1.0, b0) - mean_field_beta_scaled(3.0), 12)   # w = 1 is mean field
    0.0
    """
    K = v.real("K", K, nonnegative=True)
    w = v.real("w", w, low=0.0, high=1.0)
    b = b_lattice((1 - w) * K) if callable(b_lattice) else v.real("b_lattice", b_lattice, positive=True)
    den = 1.0 - w * K * b / 4.0
    return float("inf") if den <= 0 else float(b / den)


def predicted_critical_coupling(w, lattice_K, beta_T, beta_T_err, *, n_draws=300, seed=SEED):
    r"""K_c(w) from the lattice's β: the root of w K b((1 − w) K)/4 = 1, with its error.

    Exact as N → ∞ if the lattice's βT(K') is known; here it is the smoothing spline
    of :func:`lattice_curve` through the measured values.  The error propagates their
    errors (independent normal draws of every measured βT, each redrawn curve solved
    again; the standard deviation of the roots) and adds, in quadrature, the
    difference to a linear interpolation of 1/(βT) (an interpolation error).

    Parameters
    ----------
    w : float in (0, 1]
        Global share.
    lattice_K, beta_T, beta_T_err : array_like
        The lattice's βT(K') and errors (from :func:`interpolation_beta`).
    n_draws : int, default 300
    seed : int

    Returns
    -------
    dict
        ``K_c``, ``K_c_err``, ``K_prime`` ((1 − w) K_c), ``interp_err``.

    Examples
    --------
    >>> from utacbook.studies.rg.long_range import predicted_critical_coupling
    >>> from utacbook.theory import GPRIME0, critical_coupling_ratio, mean_field_beta_scaled
    >>> k = np.linspace(0, 4, 9)
    >>> r = predicted_critical_coupling(1.0, k, mean_field_beta_scaled(k), np.zeros(9))
    >>> round(r["K_c"], 6) == round(critical_coupling_ratio(), 6)       # w = 1: 1/g'(0)
    True
    """
    from scipy.optimize import brentq
    w = v.real("w", w, positive=True, high=1.0)
    k = v.real_array("lattice_K", lattice_K, ndim=1, min_len=3)
    b = v.real_array("beta_T", beta_T, ndim=1)
    e = v.real_array("beta_T_err", beta_T_err, ndim=1)
    n_draws = v.integer("n_draws", n_draws, low=0)
    hi_K = float(k[-1]) / (1.0 - w) if w < 1 else 60.0

    def root(bb, linear=False):
        if linear:
            def f(x):
                return 1.0 / np.interp(x, k, 1.0 / bb)
        else:
            f = lattice_curve(k, bb, e)
        F = lambda K: w * K * f((1 - w) * K) / 4.0 - 1.0  # noqa: E731
        top = min(hi_K, 60.0)
        if F(top) < 0:
            return float("nan")
        return float(brentq(F, 1e-9, top, xtol=1e-10))

    Kc = root(b)
    interp = abs(root(b, linear=True) - Kc)
    rng = np.random.default_rng(np.random.SeedSequence(v.integer("seed", seed, low=0), spawn_key=(7, _key(w))))
    draws = []
    for _ in range(n_draws):
        bb = b + e * rng.standard_normal(b.size)
        if np.all(bb > 0):
            draws.append(root(bb))
    draws = np.array(draws)
    stat = float(np.nanstd(draws, ddof=1)) if draws.size > 1 else 0.0
    return {"K_c": Kc, "K_c_err": float(math.hypot(stat, interp)), "K_prime": (1 - w) * Kc, "interp_err": interp,
            "stat_err": stat}


# --------------------------------------------------------------------------- critical couplings: Binder crossings


def binder_study(*, models=None, sizes=(16, 32, 64), n_sweeps=(3000, 4000, 6000), n_burn=(1000, 1000, 2000),
                 n_replicas=16, n_links=4, T=T_REF, seed=SEED, for_json=False):
    r"""Binder cumulants at h = −J/2 on a K grid per model and size, and their crossings (K_c).

    Every (model, L) is one :func:`~utacbook.models.scan_field_extended` call with
    traces (fresh random start, ``n_sweeps`` sweeps, the first ``n_burn`` discarded);
    the order parameter is m = σ̄ − 1/2 and the cumulant U = 1 − ⟨m⁴⟩/(3⟨m²⟩²) of the
    time series, averaged over replicas; crossings of consecutive sizes and K_c (the
    interval spanned by all crossings ± their jackknife errors) come from
    :func:`utacbook.stats.critical_coupling`.

    Parameters
    ----------
    models : sequence of (kind, share, K grid) or (kind, share, K grid, sizes)
        ``kind`` "global" or "links", the share in (0, 1], the increasing couplings,
        optionally the subset of ``sizes`` to run for this model (default all);
        default :data:`DEFAULT_BINDER_MODELS`.
    sizes : sequence of int
    n_sweeps, n_burn : int or sequence of int (one per size)
    n_replicas : int >= 2
    n_links : int >= 1
    T : float > 0
    seed : int
        Model (kind c, share w), size L uses ``(seed, (5, c, round(1000 w), L))``.
    for_json : bool, default False
        As :func:`all_to_all_beta`.

    Returns
    -------
    dict
        ``models``: one dict per model with ``kind``, ``share``, ``K``, ``sizes``,
        ``binder``, ``binder_err`` (size × K), ``m2_first``, ``m2_second`` (the two
        halves of the post-burn window, replica means, size × K: a burn-in check),
        ``pairs`` (crossings of consecutive sizes: ``sizes``, ``K_cross``, ``K_err``,
        ``U_cross``, ``U_err``), ``K_c``, ``K_c_err``; and the run settings.

    Examples
    --------
    >>> from utacbook.studies.rg.long_range import binder_study
    >>> r = binder_study(models=[("global", 1.0, (4.0, 6.0))], sizes=(8, 16), n_sweeps=(300, 300),
    ...                  n_burn=(100, 100), n_replicas=4, seed=1)
    >>> U = r["models"][0]["binder"]          # sizes x couplings: small below K_c, near 2/3 far above
    >>> U.shape, bool((U[:, 1] > 0.6).all())
    ((2, 2), True)
    """
    from utacbook.stats import critical_coupling
    if models is None:
        models = DEFAULT_BINDER_MODELS
    sizes = _sizes(sizes)
    sweeps = _per_size("n_sweeps", n_sweeps, len(sizes))
    burns = [v.integer("n_burn", b, low=0) for b in (np.atleast_1d(n_burn) if np.ndim(n_burn) else
                                                     [n_burn] * len(sizes))]
    if len(burns) != len(sizes) or any(b > s - 4 for b, s in zip(burns, sweeps)):
        raise ValueError("n_burn must have one entry per size, each <= n_sweeps - 4")
    R = v.integer("n_replicas", n_replicas, low=2)
    n_links = v.integer("n_links", n_links, low=1)
    T = v.real("T", T, positive=True)
    seed = v.integer("seed", seed, low=0)
    scan = _scan()
    out_models = []
    for entry in models:
        kind, share, Ks = entry[:3]
        msizes = sizes if len(entry) < 4 else [L for L in sizes if L in [int(x) for x in entry[3]]]
        if len(msizes) < 1:
            raise ValueError(f"model {entry[:2]} runs none of the sizes {sizes}")
        v.choice("kind", kind, set(_KIND))
        share = v.real("share", share, positive=True, high=1.0)
        K = v.real_array("K grid", Ks, ndim=1, min_len=2)
        opt = {_KIND[kind]: share}
        if kind == "links":
            opt["n_links"] = n_links
        results, first, second = [], [], []
        for L, ns, nb in zip(sizes, sweeps, burns):
            if L not in msizes:
                continue
            r = scan(K * T, T, -0.5 * K * T, lattice_size=L, n_steps=ns, n_replicas=R, return_traces=True,
                     seed=(seed, (5, _KIND_CODE[kind], _key(share), L)), progress=False, **opt)
            m = r["traces"][..., nb:] - 0.5                     # (R, nK, t)
            m2r, m4r = (m ** 2).mean(axis=-1), (m ** 4).mean(axis=-1)
            loo = np.array([1.0 - np.delete(m4r, i, 0).mean(0) / (3.0 * np.delete(m2r, i, 0).mean(0) ** 2)
                            for i in range(R)])
            U = 1.0 - m4r.mean(0) / (3.0 * m2r.mean(0) ** 2)
            results.append({"binder": U, "binder_err": np.sqrt((R - 1) / R * ((loo - loo.mean(0)) ** 2).sum(0)),
                            "m2_rep": m2r, "m4_rep": m4r, "n_replicas": R})
            half = m.shape[-1] // 2
            first.append((m[..., :half] ** 2).mean(axis=(0, -1)))
            second.append((m[..., half:] ** 2).mean(axis=(0, -1)))
        cc = (critical_coupling({"lattice_sizes": msizes, "K": K, "results": results}) if len(msizes) > 1
              else {"pairs": [], "K_c": float("nan"), "K_c_err": float("nan")})
        out_models.append({
            "kind": kind, "share": share, "K": K, "sizes": np.array(msizes),
            "binder": np.array([x["binder"] for x in results]),
            "binder_err": np.array([x["binder_err"] for x in results]),
            "m2_first": np.array(first), "m2_second": np.array(second),
            "pairs": [{"sizes": list(p["sizes"]), "K_cross": p["K_cross"], "K_err": p["K_err"],
                       "U_cross": p["U_cross"], "U_err": p["U_err"], "n_failed": p["n_failed"]}
                      for p in cc["pairs"]],
            "K_c": cc["K_c"], "K_c_err": cc["K_c_err"]})
    out = {"models": out_models, "sizes": np.array(sizes), "n_sweeps": np.array(sweeps), "n_burn": np.array(burns),
           "n_replicas": R, "n_links": n_links, "T": T, "seed": seed}
    return _for_json(out) if for_json else out


def _grid(center):
    return tuple(round(center + 0.05 * i, 3) for i in range(-3, 4))


#: the models of the stored Binder study: (kind, share, K grid, sizes).  The grids (7 couplings, spacing 0.05)
#: are centred on the prediction of :func:`predicted_critical_coupling` (global share) and on short pilot runs
#: (random links; 8 replicas, 1500 sweeps, L = 16 and 32, another seed); L = 64 for the global shares and two
#: random-link shares, to show how the crossings move with L
DEFAULT_BINDER_MODELS = (
    ("global", 0.25, _grid(5.0), (16, 32, 64)), ("global", 0.5, _grid(4.9), (16, 32, 64)),
    ("global", 0.75, _grid(4.85), (16, 32, 64)), ("global", 1.0, _grid(4.85), (16, 32, 64)),
    ("links", 0.25, _grid(5.0), (16, 32)), ("links", 0.5, _grid(4.95), (16, 32, 64)),
    ("links", 0.75, _grid(5.0), (16, 32)), ("links", 1.0, _grid(5.15), (16, 32, 64)),
)


def binder_crossings(stored):
    """The K_c of every model of a (restored) :func:`binder_study` as arrays.

    Returns
    -------
    dict
        ``kind`` (list), ``share``, ``K_c``, ``K_c_err`` (arrays; nan where there is no
        crossing), ``pairs`` (list of the models' crossing lists).

    Examples
    --------
    >>> from utacbook.studies.rg.long_range import binder_crossings
    >>> b = {"models": [{"kind": "links", "share": 0.5, "K_c": 4.96, "K_c_err": 0.02, "pairs": []}]}
    >>> binder_crossings(b)["K_c"]
    array([4.96])
    """
    ms = stored["models"]
    return {"kind": [m["kind"] for m in ms], "share": np.array([m["share"] for m in ms], dtype=float),
            "K_c": np.array([np.nan if m["K_c"] is None else m["K_c"] for m in ms], dtype=float),
            "K_c_err": np.array([np.nan if m["K_c_err"] is None else m["K_c_err"] for m in ms], dtype=float),
            "pairs": [m["pairs"] for m in ms]}


# --------------------------------------------------------------------------- stored results


def _for_json(d):
    """``d`` with arrays as lists and non-finite floats as None (stored results are JSON)."""
    if isinstance(d, dict):
        return {k: _for_json(x) for k, x in d.items()}
    if isinstance(d, (list, tuple)):
        return [_for_json(x) for x in d]
    if isinstance(d, np.ndarray):
        return _for_json(d.tolist())
    if isinstance(d, np.generic):
        d = d.item()
    if isinstance(d, float) and not math.isfinite(d):
        return None
    return d


def restore(values):
    """A stored result of this module (a :class:`utacbook.stored.StoredResult` or dict) with arrays restored.

    Lists become float arrays (None → nan), nested to any depth of uniform
    lists; the Binder study's per-model dicts are restored one by one.

    Examples
    --------
    >>> from utacbook.studies.rg.long_range import restore
    >>> restore({"K_b": [[4.9, None]], "level": 0.1})["K_b"]
    array([[4.9, nan]])
    """
    d = {k: values[k] for k in values.keys()}
    for k, x in d.items():
        if k == "models":
            d[k] = [restore(m) for m in x]
        elif k == "gap_replicas":
            d[k] = [np.array(g, dtype=float) for g in x]
        elif k == "pairs" or isinstance(x, (str, dict)):
            continue
        elif isinstance(x, list):
            try:
                arr = np.array(x, dtype=object)
                d[k] = np.where(arr == None, np.nan, arr).astype(float)  # noqa: E711
            except (TypeError, ValueError):
                d[k] = x
    return d


def _beta_task(K, T, *, share=0.0, kind="global", n_links=4, lattice_size, n_replicas, n_steps, seed):
    """One estimate of :func:`interpolation_beta` (the lattice if share == 0), as (βT, err, converged)."""
    opt = {}
    if share > 0:
        opt[_KIND[kind]] = float(share)
        if kind == "links":
            opt["n_links"] = n_links
        s = (seed, (4, _KIND_CODE[kind], _key(K), _key(share)))
    else:
        s = (seed, (3, _key(K)))
    r = _midpoint_beta()(K * T, T, scan=_scan(), theta="symmetric", lattice_size=lattice_size,
                         n_replicas=n_replicas, n_steps=n_steps, seed=s, progress=False, **opt)
    return r.beta * T, r.beta_err * T, bool(r.converged)


def spot_check(stored):
    """Re-run the cheapest tasks of a stored result of this module and compare them with the store, bit for bit.

    Every task has its own seed (see the functions), so a subset re-run with the
    stored arguments must reproduce the stored numbers exactly:

    * :func:`all_to_all_beta`: the smallest size at the first K;
    * :func:`all_to_all_gap`: the smallest size, every K (with ``keep_replicas``: its
      first four replicas, compared replica by replica);
    * :func:`stationarity_check`: the cheapest all-to-all case;
    * :func:`interpolation_beta`: the first global share;
    * :func:`binder_study`: the first model at the smallest size.

    Parameters
    ----------
    stored : utacbook.stored.StoredResult

    Returns
    -------
    dict
        ``what`` (the tasks re-run, in words), ``max_abs_diff``, ``identical``.

    Examples
    --------
    >>> import utacbook as ub
    >>> from utacbook.studies.rg.long_range import spot_check
    >>> spot_check(ub.stored.load("rg_long_range_all_to_all"))["identical"]
    True
    """
    p = dict(stored.provenance["params"])
    fn = stored.provenance["function"].split(":")[-1]
    vals = restore(stored)
    p.pop("for_json", None)
    if fn == "all_to_all_beta":
        reps = p["n_replicas"]
        R0 = reps[0] if isinstance(reps, list) else reps
        p.update(K_values=[p["K_values"][0]], sizes=[p["sizes"][0]], n_replicas=[R0])
        new = all_to_all_beta(**p)
        a = np.array([vals["beta_T"][0, 0], vals["sigma_mid"][0, 0]])
        b = np.array([new["beta_T"][0, 0], new["sigma_mid"][0, 0]])
        what = f"K = {p['K_values'][0]:g}, L = {p['sizes'][0]} ({R0} replicas): βT and σ̄(−J/2)"
    elif fn == "all_to_all_gap" and "gap_replicas" in vals:
        reps = p["n_replicas"]
        R0 = min(reps[0] if isinstance(reps, list) else reps, 4)
        p.update(sizes=[p["sizes"][0]], n_replicas=[R0])
        new = all_to_all_gap(**p)
        a = vals["gap_replicas"][0][:R0].ravel()
        b = new["gap_replicas"][0].ravel()
        what = (f"L = {p['sizes'][0]}, the first {R0} replicas, all {len(vals['K'])} couplings: every replica's "
                f"gaps")
    elif fn == "all_to_all_gap":
        reps = p["n_replicas"]
        R0 = reps[0] if isinstance(reps, list) else reps
        p.update(sizes=[p["sizes"][0]], n_replicas=[R0])
        new = all_to_all_gap(**p)
        a = np.concatenate([vals["gap"][0].ravel(), vals["upper"][0].ravel()])
        b = np.concatenate([new["gap"][0].ravel(), new["upper"][0].ravel()])
        what = f"L = {p['sizes'][0]} ({R0} replicas), all {len(vals['K'])} couplings: the gaps"
    elif fn == "stationarity_check":
        a2a_cases = [tuple(x) for x in p.get("a2a", STATIONARITY_A2A)]
        i = int(np.argmin([L * L * R for _, L, R in a2a_cases]))
        p.update(cases=(), a2a=[a2a_cases[i]])
        new = stationarity_check(**p)
        j = len(vals["label"]) - len(a2a_cases) + i
        a = np.array([vals["beta_T"][j], vals["change"][j]])
        b = np.array([new["beta_T"][0], new["change"][0]])
        what = f"{new['label'][0]}: βT and the change with {p.get('factor', 3)}× the sweeps"
    elif fn == "interpolation_beta":
        common = dict(lattice_size=vals["lattice_size"], n_replicas=vals["n_replicas"], n_steps=vals["n_steps"],
                      seed=vals["seed"])
        w = float(vals["shares"][1])
        b2 = _beta_task(float(vals["K"]), vals["T"], share=w, kind="global", n_links=vals["n_links"], **common)[0]
        a, b = np.array([vals["global_beta_T"][1]]), np.array([b2])
        what = f"the global share {w:g} at K = {vals['K']:g}: βT"
    elif fn == "binder_study":
        m0 = stored["models"][0]
        p.update(models=[(m0["kind"], m0["share"], m0["K"])], sizes=[p["sizes"][0]],
                 n_sweeps=[np.atleast_1d(p["n_sweeps"])[0]], n_burn=[np.atleast_1d(p["n_burn"])[0]])
        new = binder_study(**p)
        a = np.asarray(vals["models"][0]["binder"])[0]
        b = new["models"][0]["binder"][0]
        what = (f"{m0['kind']} share {m0['share']:g}, L = {p['sizes'][0]}, all {len(m0['K'])} couplings: "
                f"the Binder cumulants")
    else:
        raise ValueError(f"stored result {stored.name!r} was not made by this module ({fn})")
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    same = bool(np.array_equal(a, b, equal_nan=True))
    diff = float(np.nanmax(np.abs(a - b))) if a.size else 0.0
    return {"what": what, "max_abs_diff": diff, "identical": same}


# --------------------------------------------------------------------------- claims


def claims(*, K_values=(2.0, 3.0, 4.0, 4.5), sizes=(8, 16, 32, 64, 128), K_above=(5.0, 5.5), n_sweeps=GAP_SWEEPS,
           level=GAP_LEVEL, K_b_mf=None, K=4.0, shares=(0.25, 0.5, 0.75, 1.0), n_links=4, lattice_size=64,
           binder_sizes=(16, 32, 64), K_c=5.54, seed=SEED, gap_sizes=None, records=(50, 100, 200),
           binder_models=DEFAULT_BINDER_MODELS):
    """The chapter's claims (all ours: the guide states none about long-range coupling), fixed before measuring.

    The arguments only fill in the conditions (``scope``) and the number of
    conditions that sets the family-wise ``k`` (:func:`utacbook.claims.familywise_k`);
    they must be the chapter's settings.  Criteria revised after a referee read the
    first run say so in their note.

    Parameters
    ----------
    sizes : sequence of int
        The sizes of the β runs (:func:`all_to_all_beta`) and of the first threshold run.
    K_b_mf : float, optional
        The like-for-like N → ∞ threshold after ``n_sweeps`` (:func:`mean_field_grid_threshold`).
    gap_sizes : sequence of int, optional
        The sizes of the thresholds with the second run merged in (default ``sizes``).
    records : sequence of int
        The run lengths at which the extrapolated threshold is judged.
    binder_models : sequence
        The models of :func:`binder_study` (their sizes go into the scopes).

    Returns
    -------
    list of utacbook.claims.Claim

    Examples
    --------
    >>> from utacbook.studies.rg.long_range import claims
    >>> [c.id.split(".")[-1] for c in claims()][:3]
    ['beta_limit', 'one_over_n', 'theta']
    """
    from utacbook import claims as uc
    K_values, sizes, shares = list(K_values), list(sizes), list(shares)
    gap_sizes = sizes if gap_sizes is None else [int(L) for L in gap_sizes]
    records = [int(n) for n in records]
    nK, nL = len(K_values), len(sizes)
    Ks = ", ".join(f"{k:g}" for k in K_values)
    Ls = f"L = {sizes[0]}–{sizes[-1]} (N = L²)"
    sh = ", ".join(f"{w:g}" for w in shares)
    a2a = f"all-to-all coupling, K = J/T = {Ks}, {Ls}, guide's protocol (random start, 100 sweeps); seed {seed}"
    kbm = "" if K_b_mf is None else f" = {K_b_mf:.4f}"
    n_theta = nK * nL + len(K_above) * nL
    revised = "revised after a referee read the first run"
    exact = mean_field_gap_threshold(n_sweeps, level)
    bias = "" if K_b_mf is None else f", which the grid interpolation misses by {K_b_mf - exact:+.4f}".replace("-", "−")
    # the sizes of every Binder model, grouped
    by_sizes = {}
    for entry in binder_models:
        kind, share = entry[0], float(entry[1])
        msz = tuple(int(L) for L in (entry[3] if len(entry) > 3 else binder_sizes) if int(L) in binder_sizes)
        by_sizes.setdefault(msz, {}).setdefault("w" if kind == "global" else "p", []).append(f"{share:g}")
    bscope = "; ".join(" and ".join(f"{sym} = {', '.join(x)}" for sym, x in m.items())
                       + f" (L = {', '.join(str(L) for L in msz)}"
                       + (": one crossing, no size drift in its error)" if len(msz) == 2 else ")")
                       for msz, m in by_sizes.items())
    gscope = [msz for msz, m in by_sizes.items() if "w" in m]
    gL = ", ".join(str(L) for L in (gscope[0] if gscope else binder_sizes))
    n_rec = len(records)
    return [
        uc.Claim("rg.long_range.beta_limit", source="ours", section="",
                 text="with all-to-all coupling the midpoint β tends to mean field's 4g'(0)/(T − J g'(0)) as N → ∞",
                 quantity=("βT at the largest N minus the same midpoint-slope estimator (same δ) applied to the "
                           "exact mean-field response"),
                 criterion=uc.Agreement(0.0, k=round(uc.familywise_k(nK), 2)),
                 scope=f"{a2a}; judged at L = {sizes[-1]}",
                 note=(f"k = {uc.familywise_k(nK):.2f}: a family-wise 5 % over the {nK} couplings; the error is "
                       f"statistical ⊕ the δ-extrapolation systematic of the difference (the systematic added, "
                       f"{revised})")),
        uc.Claim("rg.long_range.one_over_n", source="ours", section="",
                 text="away from 1/g'(0) = 4.84 the deviation of β from mean field falls as 1/N",
                 quantity=("χ² p-value of the one-parameter fit a/N to the deviations over all sizes (errors: "
                           "statistical ⊕ extrapolation systematic), at each coupling where the deviation is "
                           "resolved (beyond 2 standard errors) at two or more sizes"),
                 criterion=uc.Bound(lower=0.01, k=0), scope=a2a,
                 note=(f"{revised}: the errors now include the extrapolation systematic, 'away from K_c' became "
                       f"'away from 1/g'(0)', and a coupling whose deviation is resolved at fewer than two sizes is "
                       f"not judged (a χ² test has no power there: 'consistent with', see the summary)")),
        uc.Claim("rg.long_range.theta", source="ours", section="",
                 text="Θ = −J/2 exactly at every N (the symmetry σ → 1 − σ, h → −J − h), below and above 1/g'(0)",
                 quantity=(f"below 1/g'(0): σ̄(−J/2) − 1/2 of the β runs; above (K = "
                           f"{', '.join(f'{k:g}' for k in K_above)}): the asymmetry [σ̄(from 1) − 1/2] − "
                           f"[1/2 − σ̄(from 0)] of the runs from σ = 1 and σ = 0 at h = −J/2 after {n_sweeps} sweeps"),
                 criterion=uc.Agreement(0.0, k=round(uc.familywise_k(n_theta), 2)),
                 scope=f"all-to-all, {Ls}; {n_theta} conditions; seed {seed}",
                 note=f"k = {uc.familywise_k(n_theta):.2f}: a family-wise 5 % over the {n_theta} conditions"),
        uc.Claim("rg.long_range.bistability", source="ours", section="",
                 text=("the bistability threshold of the all-to-all model tends to its N → ∞ (mean-field) value, "
                       "which tends to 1/g'(0) = 4.84 for long runs"),
                 quantity=(f"K at which the replica-mean gap between runs started at σ = 1 and σ = 0 at h = −J/2 "
                           f"first exceeds {level:g} after {n_sweeps} sweeps (linear interpolation on the K grid), "
                           f"minus the exact N → ∞ gap passed through the same interpolation{kbm}"),
                 criterion=uc.Agreement(0.0, k=round(uc.familywise_k(2), 2)),
                 scope=(f"all-to-all, judged at the two largest sizes L = {gap_sizes[-2]}, {gap_sizes[-1]} (both "
                        f"threshold runs combined); seed {seed}"),
                 note=(f"the definition (level and run length) was fixed before the runs; {revised}: the reference "
                       f"was the exact root {exact:.4f}{bias}, and L = 64, 128 got more replicas and L = 256 was "
                       f"added (declared before that run), so the two largest sizes are now {gap_sizes[-2]}, "
                       f"{gap_sizes[-1]}; the first run, judged at L = 64, 128 against the exact root, gave "
                       f"'not reproduced'")),
        uc.Claim("rg.long_range.bistability_limit", source="ours", section="",
                 text=("(the same claim, judged by extrapolation; post hoc) the threshold's N → ∞ limit is the "
                       "mean-field value"),
                 quantity=(f"K_∞ of the fit K_b(L) = K_∞ + a L^(−y) over L ≥ L_min (the smallest L_min leaving at "
                           f"least 4 sizes whose fit has χ² p ≥ {FIT_P_MIN:g}), minus the N → ∞ value passed "
                           f"through the same grid interpolation"),
                 criterion=uc.Agreement(0.0, k=round(uc.familywise_k(n_rec), 2)),
                 scope=(f"all-to-all, L = {gap_sizes[0]}–{gap_sizes[-1]}, level {level:g}, after "
                        f"{', '.join(str(n) for n in records)} sweeps; seed {seed}"),
                 note=(f"added after the first run (post hoc): rg.long_range.bistability judges finite sizes; "
                       f"{revised}: like-for-like reference, the fit range set by the rule (the first run's fit "
                       f"over all sizes was poor), judged at all {n_rec} run lengths (k = "
                       f"{uc.familywise_k(n_rec):.2f}, family-wise 5 %)")),
        uc.Claim("rg.long_range.beta_global", source="ours", section="",
                 text=("with a global share w the midpoint β follows from the lattice's: "
                       "βT = b/(1 − wKb/4), b = lattice βT at (1 − w)K (exact as N → ∞; tested at one K and L)"),
                 quantity="measured βT minus the prediction from the measured lattice βT at (1 − w)K",
                 criterion=uc.Agreement(0.0, k=round(uc.familywise_k(len(shares)), 2)),
                 scope=f"K = {K:g}, w = {sh}, L = {lattice_size}; seed {seed}",
                 note=f"'tested at one K and L' added to the text, {revised}"),
        uc.Claim("rg.long_range.beta_raise", source="ours", section="",
                 text=(f"long-range coupling raises β at fixed K below both the lattice's K_c and 1/g'(0) "
                       f"(tested at K = {K:g})"),
                 quantity="βT with the long-range share minus βT of the lattice at the same K",
                 criterion=uc.Sign(+1, k=3),
                 scope=(f"K = {K:g}; global share w and random-link share p (n_links = {n_links}) = {sh}; "
                        f"L = {lattice_size}; seed {seed}"),
                 note=(f"{revised}: the text said 'below the lattice's K_c', but for 1/g'(0) < K < K_c the "
                       f"all-to-all response is bistable (no finite slope); one K, one L, one n_links tested")),
        uc.Claim("rg.long_range.kc_lower", source="ours", section="",
                 text=f"long-range coupling moves K_c below the lattice's {K_c:.2f}",
                 quantity="the lattice's K_c minus K_c of the model (Binder crossings)",
                 criterion=uc.Sign(+1, k=2),
                 scope=f"{bscope}; seed {seed}",
                 note=f"scope (sizes per model) corrected, {revised}"),
        uc.Claim("rg.long_range.kc_above_mf", source="ours", section="",
                 text="… towards mean field's 1/g'(0) = 4.84, not beyond it",
                 quantity="K_c of the model (Binder crossings)",
                 criterion=uc.Bound(lower=1.0 / _gprime0(), k=2),
                 scope=f"{bscope}; seed {seed}",
                 note=f"scope (sizes per model) corrected, {revised}"),
        uc.Claim("rg.long_range.kc_global", source="ours", section="",
                 text="with a global share w, K_c(w) is the root of w K b((1 − w)K)/4 = 1 (exact as N → ∞)",
                 quantity="K_c(w) from Binder crossings minus the root computed from the measured lattice βT",
                 criterion=uc.Agreement(0.0, k=round(uc.familywise_k(len(shares)), 2)),
                 scope=f"w = {sh}; L = {gL}; seed {seed}",
                 note="the crossing error includes the drift of the crossings with L (which also lowers the power)"),
    ]


def _gprime0():
    from utacbook.theory import GPRIME0
    return GPRIME0


def judge_claims(*, a2a, gap, interp, binder, K_c, K_c_err, claims_, gap_record=None, K_above=(5.0, 5.5),
                 predictions=None, gap_extension=None):
    """Judge the claims of :func:`claims` from the chapter's results.

    Parameters
    ----------
    a2a, gap, interp, binder : dict
        Restored results of :func:`all_to_all_beta`, :func:`all_to_all_gap`,
        :func:`interpolation_beta` and :func:`binder_study`.
    K_c, K_c_err : float
        The lattice's critical coupling (stored ``rg_critical_coupling``).
    claims_ : list of Claim
        From :func:`claims`, in its order.
    gap_record : int, optional
        The run length the finite-size bistability claim uses (default: the longest recorded).
    K_above : sequence of float
        Couplings of the gap study used for the symmetry check above 1/g'(0).
    predictions : dict, optional
        :func:`global_predictions` of ``interp`` (computed if not given).
    gap_extension : dict, optional
        The restored second threshold run (:data:`GAP_EXTENSION`), merged by
        :func:`combined_thresholds`.

    Returns
    -------
    list of utacbook.claims.Judgement
    """
    from utacbook import claims as uc
    c = {x.id.split(".")[-1]: x for x in claims_}
    M = uc.Measurement
    K, sizes = np.asarray(a2a["K"]), np.asarray(a2a["sizes"])
    out = []
    out.append(c["beta_limit"].judge([M(a2a["dev"][i, -1], a2a["dev_err"][i, -1], condition=f"K = {k:g}")
                                      for i, k in enumerate(K)]))
    fits = [size_scaling(a2a["N"], a2a["dev"][i], a2a["dev_err"][i]) for i in range(K.size)]
    judged = [i for i, f in enumerate(fits) if f["n_resolved"] >= 2] or list(range(K.size))
    rest = [i for i in range(K.size) if i not in judged]
    summary = "; ".join(f"K = {K[i]:g}: a/N fit p = {fits[i]['p1']:.2g}, free exponent x = "
                        f"{fits[i]['x']:.2f} ± {fits[i]['x_err']:.2f}" for i in judged)
    if rest:
        summary += ("; not judged (deviation resolved at fewer than two sizes), consistent with a/N: "
                    + ", ".join(f"K = {K[i]:g} (p = {fits[i]['p1']:.2g})" for i in rest))
    out.append(c["one_over_n"].judge([M(fits[i]["p1"], condition=f"K = {K[i]:g}", text=f"p = {fits[i]['p1']:.2g}")
                                      for i in judged], summary=summary))
    ms = [M(a2a["sigma_mid"][i, j] - 0.5, a2a["sigma_mid_err"][i, j], condition=f"K = {k:g}, L = {int(L)}")
          for i, k in enumerate(K) for j, L in enumerate(sizes)]
    q = _record_index(gap, gap_record)
    gK = np.asarray(gap["K"])
    for ka in K_above:
        i = int(np.argmin(np.abs(gK - ka)))
        for j, L in enumerate(gap["sizes"]):
            d = gap["upper"][j, q, i] - gap["lower"][j, q, i]
            e = math.hypot(gap["upper_err"][j, q, i], gap["lower_err"][j, q, i])
            ms.append(M(d, e, condition=f"K = {gK[i]:g}, L = {int(L)} (runs from 0 and 1)"))
    out.append(c["theta"].judge(ms, summary=_theta_summary(ms)))
    ct = combined_thresholds(gap, gap_extension, record=int(np.asarray(gap["record"])[q]))
    out.append(c["bistability"].judge([M(ct["K_b"][j] - ct["K_ref"], ct["K_b_err"][j],
                                         condition=f"L = {int(ct['sizes'][j])}")
                                       for j in (len(ct["sizes"]) - 2, len(ct["sizes"]) - 1)]))
    ms, summ = [], []
    for n in np.asarray(gap["record"]).astype(int):
        cn = combined_thresholds(gap, gap_extension, record=int(n))
        ch = threshold_limit(cn["sizes"], cn["K_b"], cn["K_b_err"], cn["K_ref"])["chosen"]
        ms.append(M(ch["K_inf"] - cn["K_ref"], ch["K_inf_err"], condition=f"{n} sweeps, L ≥ {ch['L_min']}"))
        summ.append(f"{n} sweeps: K_∞ = {ch['K_inf']:.4f} ± {ch['K_inf_err']:.4f} (L ≥ {ch['L_min']}, χ² p = "
                    f"{ch['p_inf']:.2g}) vs {cn['K_ref']:.4f}")
    out.append(c["bistability_limit"].judge(ms, summary="; ".join(summ)))
    pred = global_predictions(interp) if predictions is None else predictions
    sh = np.asarray(interp["shares"])[1:]
    out.append(c["beta_global"].judge([M(interp["global_beta_T"][i + 1] - pred["beta_T"][i],
                                         math.hypot(interp["global_beta_T_err"][i + 1], pred["beta_T_err"][i]),
                                         condition=f"w = {w:g}") for i, w in enumerate(sh)]))
    ms = []
    for kind, sym in (("global", "w"), ("links", "p")):
        b, e = interp[f"{kind}_beta_T"], interp[f"{kind}_beta_T_err"]
        ms += [M(b[i + 1] - b[0], math.hypot(e[i + 1], e[0]), condition=f"{sym} = {w:g}") for i, w in enumerate(sh)]
    out.append(c["beta_raise"].judge(ms))
    bc = binder_crossings(binder)
    labels = [f"{'w' if k == 'global' else 'p'} = {s:g}" for k, s in zip(bc["kind"], bc["share"])]
    out.append(c["kc_lower"].judge([M(K_c - kc, math.hypot(ke, K_c_err), condition=lab)
                                    for kc, ke, lab in zip(bc["K_c"], bc["K_c_err"], labels)]))
    out.append(c["kc_above_mf"].judge([M(kc, ke, condition=lab) for kc, ke, lab in zip(bc["K_c"], bc["K_c_err"],
                                                                                         labels)]))
    ms = []
    pk = {round(float(w), 9): (k, e) for w, k, e in zip(pred["shares"], pred["K_c"], pred["K_c_err"])}
    for kind, s, kc, ke in zip(bc["kind"], bc["share"], bc["K_c"], bc["K_c_err"]):
        if kind != "global":
            continue
        if round(float(s), 9) in pk:
            pK, pE = pk[round(float(s), 9)]
        else:
            p = predicted_critical_coupling(s, interp["lattice_K"], interp["lattice_beta_T"],
                                            interp["lattice_beta_T_err"])
            pK, pE = p["K_c"], p["K_c_err"]
        ms.append(M(kc - pK, math.hypot(ke, pE), condition=f"w = {s:g}"))
    out.append(c["kc_global"].judge(ms))
    return out


def _theta_summary(ms):
    z = np.array([abs(m.value) / m.err for m in ms if m.err > 0])
    return f"largest deviation {z.max():.1f} standard errors over {z.size} conditions" if z.size else ""


def _record_index(gap, record):
    rec = list(np.asarray(gap["record"]).astype(int))
    return len(rec) - 1 if record is None else rec.index(int(record))


def global_predictions(interp):
    """The predictions from the lattice's βT for the global shares of :func:`interpolation_beta`.

    Returns
    -------
    dict
        ``shares`` (w > 0), ``beta_T``, ``beta_T_err`` (:func:`mixed_beta_prediction` at K,
        its error propagated from the lattice value b at (1 − w)K), ``K_c``, ``K_c_err``
        (:func:`predicted_critical_coupling`).

    Examples
    --------
    >>> import utacbook as ub
    >>> from utacbook.studies.rg.long_range import global_predictions, restore
    >>> p = global_predictions(restore(ub.stored.load("rg_long_range_interpolation")))
    >>> p["shares"].tolist(), bool(abs(p["K_c"][-1] - 4.84) < 0.01)      # w = 1: mean field's 1/g'(0)
    ([0.25, 0.5, 0.75, 1.0], True)
    """
    lk, lb, le = (np.asarray(interp[k], dtype=float) for k in ("lattice_K", "lattice_beta_T", "lattice_beta_T_err"))
    K = float(interp["K"])
    sh = np.asarray(interp["shares"], dtype=float)[1:]
    bT, bE, kc, kce = [], [], [], []
    for w in sh:
        i = int(np.argmin(np.abs(lk - (1 - w) * K)))
        b, e = lb[i], le[i]
        den = 1.0 - w * K * b / 4.0
        bT.append(b / den)
        bE.append(e / den ** 2)                     # d/db [b / (1 - c b)] = 1 / (1 - c b)^2
        p = predicted_critical_coupling(w, lk, lb, le)
        kc.append(p["K_c"])
        kce.append(p["K_c_err"])
    return {"shares": sh, "beta_T": np.array(bT), "beta_T_err": np.array(bE), "K_c": np.array(kc),
            "K_c_err": np.array(kce)}


# --------------------------------------------------------------------------- figures


def _colors(n):
    import matplotlib.pyplot as plt
    cyc = plt.rcParams["axes.prop_cycle"].by_key().get("color", ["C0", "C1", "C2", "C3", "C4"])
    return [cyc[i % len(cyc)] for i in range(n)]


def plot_all_to_all(a2a, *, axes=None):
    """Left: βT/β_MF − 1 against N with the fits c + a/N; right: the midpoint check σ̄(−J/2) − 1/2 in errors."""
    import matplotlib.pyplot as plt
    if axes is None:
        _, axes = plt.subplots(1, 2, figsize=(10.5, 3.8))
    ax, ax2 = axes
    K, N = np.asarray(a2a["K"]), np.asarray(a2a["N"], dtype=float)
    ref = np.asarray(a2a["beta_mf_est_T"])
    nn = np.geomspace(N.min() * 0.8, N.max() * 1.25, 200)
    for i, (k, col) in enumerate(zip(K, _colors(K.size))):
        d, e = a2a["dev"][i] / ref[i], a2a["dev_err"][i] / ref[i]
        ax.errorbar(N, 100 * d, 100 * e, fmt="o", color=col, capsize=3, ms=4, label=f"K = {k:g}")
        f = size_scaling(N, a2a["dev"][i], a2a["dev_err"][i])
        ax.plot(nn, 100 * f["a1"] / nn / ref[i], color=col, lw=1, ls="--")
    ax.axhline(0, color="k", lw=0.8)
    ax.set_xscale("log")
    ax.set(xlabel="N = L² (agents)", ylabel="βT / (estimator on mean field) − 1 (%)",
           title="All-to-all: β against N (dashed: a/N fits)")
    ax.legend(fontsize=8)
    sizes = np.asarray(a2a["sizes"])
    for i, (k, col) in enumerate(zip(K, _colors(K.size))):
        z = (a2a["sigma_mid"][i] - 0.5) / a2a["sigma_mid_err"][i]
        ax2.plot(N * (1 + 0.04 * (i - K.size / 2)), z, "o", color=col, ms=4, label=f"K = {k:g}")
    ax2.axhspan(-2, 2, color="0.9", zorder=0)
    ax2.axhline(0, color="k", lw=0.8)
    ax2.set_xscale("log")
    ax2.set_xticks(N, [f"{int(n)}" for n in N], fontsize=7)
    ax2.set(xlabel="N", ylabel="(σ̄(−J/2) − 1/2) / s.e.m.", title=f"Midpoint: σ̄ = 1/2 at h = −J/2 (L = "
            f"{int(sizes[0])}–{int(sizes[-1])})")
    plt.tight_layout()
    return axes


def plot_gap(gap, *, extension=None, record=None, axes=None):
    """Left: the gap after n sweeps against K for every size, with the exact N → ∞ curve; right: K_b against L.

    With ``extension`` (the second threshold run) its sizes are added on the left
    (on its couplings) and the right panel shows the merged thresholds
    (:func:`combined_thresholds`; open symbols: each run alone), the judged fit
    K_∞ + a L^(−y) (:func:`threshold_limit`) and the like-for-like N → ∞ value.
    """
    import matplotlib.pyplot as plt
    from utacbook.theory import critical_coupling_ratio
    if axes is None:
        _, axes = plt.subplots(1, 2, figsize=(10.5, 3.8), gridspec_kw={"width_ratios": [1.4, 1]})
    ax, ax2 = axes
    q = _record_index(gap, record)
    n = int(np.asarray(gap["record"])[q])
    K = np.asarray(gap["K"])
    sizes = np.asarray(gap["sizes"]).astype(int)
    ext_sizes = [] if extension is None else [int(L) for L in extension["sizes"] if int(L) not in sizes]
    cols = _colors(sizes.size + len(ext_sizes))
    for j, (L, col) in enumerate(zip(sizes, cols)):
        ax.errorbar(K, gap["gap"][j, q], gap["gap_err"][j, q], fmt="o-", ms=3, lw=0.8, color=col, capsize=2,
                    label=f"L = {L}")
    if extension is not None:
        qe = _record_index(extension, n)
        Ke = np.asarray(extension["K"])
        for L, col in zip(ext_sizes, cols[sizes.size:]):
            j = [int(x) for x in extension["sizes"]].index(L)
            ax.errorbar(Ke, extension["gap"][j, qe], extension["gap_err"][j, qe], fmt="o-", ms=3, lw=0.8,
                        color=col, capsize=2, label=f"L = {L} (second run)")
    kk = np.linspace(K.min(), K.max(), 200)
    ax.plot(kk, mean_field_gap(kk, n), "k-", lw=1.5, label="N → ∞ (ODE)")
    ax.axhline(gap["level"], color="0.4", ls=":", lw=1)
    ax.axvline(critical_coupling_ratio(), color="0.4", ls="--", lw=1)
    ax.set(xlabel="K = J/T", ylabel=f"gap σ̄(from 1) − σ̄(from 0) after {n} sweeps",
           title="All-to-all: runs from σ = 0 and 1 at h = −J/2")
    ax.legend(fontsize=7)
    ct = combined_thresholds(gap, extension, record=n)
    L_all = ct["sizes"].astype(int)
    ax2.errorbar(L_all, ct["K_b"], ct["K_b_err"], fmt="o", color="C0", capsize=3, ms=5, zorder=3,
                 label="threshold K_b" + (" (runs combined)" if extension is not None else ""))
    if extension is not None:
        for idx, (col, mk, lab, shift) in enumerate((("0.5", "^", "first run alone", 0.93),
                                                     ("C3", "v", "second run alone", 1.07))):
            vals = ct["first"] if idx == 0 else ct["second"]
            both = np.isfinite(ct["first"][:, 0]) & np.isfinite(ct["second"][:, 0])
            if both.any():
                ax2.errorbar(L_all[both] * shift, vals[both, 0], vals[both, 1], fmt=mk, mfc="none", color=col,
                             capsize=2, ms=4, lw=0.8, label=lab)
    lim = threshold_limit(L_all, ct["K_b"], ct["K_b_err"], ct["K_ref"])["chosen"]
    if np.isfinite(lim["K_inf"]):
        ll = np.geomspace(lim["L_min"], L_all.max() * 2, 100)
        ax2.plot(ll, lim["K_inf"] + lim["a_inf"] * ll ** (-lim["y_inf"]), color="C1", lw=1,
                 label=f"fit K_∞ + a L^−y (L ≥ {lim['L_min']})")
    ax2.axhline(ct["K_ref"], color="k", lw=1.2, label=f"N → ∞, same interpolation: {ct['K_ref']:.4f}")
    kmf = critical_coupling_ratio()
    ax2.axhline(kmf, color="0.4", ls="--", lw=1, label=f"1/g'(0) = {kmf:.3f}")
    # zoom on the approach to the limit: sizes whose threshold lies far above are marked at the top edge
    far = ct["K_b"] - ct["K_ref"] > 0.04
    if far.any() and (~far).any():
        near = ~far
        lo = min(kmf, float(np.nanmin(ct["K_b"][near] - ct["K_b_err"][near]))) - 0.004
        hi = float(np.nanmax(ct["K_b"][near] + ct["K_b_err"][near])) + 0.012
        ax2.set_ylim(lo, hi)
        for L, kb in zip(L_all[far], ct["K_b"][far]):
            ax2.annotate(f"{kb:.3f} ↑", (L, hi), xytext=(0, -22), textcoords="offset points", ha="center",
                         fontsize=8, color="C0")
    ax2.set_xscale("log", base=2)
    ax2.set_xticks(L_all, [str(L) for L in L_all])
    ax2.set(xlabel="L (N = L²)", ylabel="K_b", title=f"Bistability threshold (level {gap['level']:g}, {n} sweeps)")
    ax2.legend(fontsize=7)
    plt.tight_layout()
    return axes


def plot_interpolation(interp, *, axes=None):
    """Left: the lattice's βT(K') beside mean field; right: βT at fixed K against the share, with the prediction."""
    import matplotlib.pyplot as plt
    from utacbook.theory import mean_field_beta_scaled
    if axes is None:
        _, axes = plt.subplots(1, 2, figsize=(10.5, 3.8))
    ax, ax2 = axes
    lk, lb, le = (np.asarray(interp[k], dtype=float) for k in ("lattice_K", "lattice_beta_T", "lattice_beta_T_err"))
    ax.errorbar(lk, lb, le, fmt="o", color="C0", capsize=3, ms=4, label="lattice (w = p = 0), L = "
                f"{interp['lattice_size']}")
    kk = np.linspace(0, min(lk.max(), 4.7), 200)
    ax.plot(kk, mean_field_beta_scaled(kk), "k--", lw=1, label="mean field (all-to-all, N → ∞)")
    f = lattice_curve(lk, lb, le)
    k2 = np.linspace(lk.min(), lk.max(), 300)
    ax.plot(k2, f(k2), color="C0", lw=0.8, alpha=0.7, label="smoothing spline of 1/(βT)")
    ax.set_yscale("log")
    ax.set(xlabel="K' = J/T", ylabel="midpoint βT", title="The lattice's β: input of the prediction")
    ax.legend(fontsize=8)
    K = float(interp["K"])
    sh = np.asarray(interp["shares"], dtype=float)
    for kind, lab, col, mk in (("global", "global share w", "C1", "o"), ("links", f"random-link share p "
                               f"({interp['n_links']} partners)", "C2", "s")):
        ax2.errorbar(sh, interp[f"{kind}_beta_T"], interp[f"{kind}_beta_T_err"], fmt=mk, color=col, capsize=3,
                     ms=5, label=lab)
    ww = np.linspace(0, 1, 101)
    ww = ww[(1 - ww) * K <= lk.max() + 1e-9]
    ax2.plot(ww, [mixed_beta_prediction(K, w, f) for w in ww], color="C1", lw=1,
             label="prediction b/(1 − wKb/4) from the lattice")
    ax2.axhline(mean_field_beta_scaled(K), color="k", ls="--", lw=1, label="mean field")
    ax2.set(xlabel="long-range share", ylabel=f"midpoint βT at K = {K:g}",
            title=f"Lattice → long range at K = {K:g}")
    ax2.legend(fontsize=8)
    plt.tight_layout()
    return axes


def plot_critical_couplings(binder, interp, *, K_c=None, K_c_err=None, example=None, axes=None):
    """Left: the Binder cumulants of one model; right: K_c against the share, with the prediction for w."""
    import matplotlib.pyplot as plt
    from utacbook.theory import critical_coupling_ratio
    if axes is None:
        _, axes = plt.subplots(1, 2, figsize=(10.5, 3.8))
    ax, ax2 = axes
    ms = binder["models"]
    m = ms[0 if example is None else int(example)]
    for j, (L, col) in enumerate(zip(np.asarray(m["sizes"]).astype(int), _colors(len(m["sizes"])))):
        ax.errorbar(m["K"], m["binder"][j], m["binder_err"][j], fmt="o-", ms=3, lw=0.8, color=col, capsize=2,
                    label=f"L = {L}")
    if np.isfinite(m["K_c"]):
        ax.axvspan(m["K_c"] - m["K_c_err"], m["K_c"] + m["K_c_err"], color="0.85", zorder=0, label="K_c")
    sym = "w" if m["kind"] == "global" else "p"
    ax.set(xlabel="K = J/T", ylabel="Binder cumulant U", title=f"{m['kind']} share {sym} = {m['share']:g}")
    ax.legend(fontsize=8)
    bc = binder_crossings(binder)
    for kind, lab, col, mk in (("global", "global share w", "C1", "o"), ("links", "random-link share p", "C2", "s")):
        sel = [i for i, k in enumerate(bc["kind"]) if k == kind]
        ax2.errorbar(bc["share"][sel], bc["K_c"][sel], bc["K_c_err"][sel], fmt=mk, color=col, capsize=3, ms=5,
                     label=lab)
    lk, lb, le = (np.asarray(interp[k], dtype=float) for k in ("lattice_K", "lattice_beta_T", "lattice_beta_T_err"))
    ww = np.linspace(0.05, 1, 96)
    pk = []
    for w in ww:
        try:
            pk.append(predicted_critical_coupling(w, lk, lb, le, n_draws=0)["K_c"])
        except ValueError:
            pk.append(np.nan)
    ax2.plot(ww, pk, color="C1", lw=1, label="prediction for w from the lattice's β")
    ax2.axhline(critical_coupling_ratio(), color="k", ls="--", lw=1, label="mean field 1/g'(0)")
    if K_c is not None:
        ax2.errorbar([0.0], [K_c], [0.0 if K_c_err is None else K_c_err], fmt="D", color="k", ms=5, capsize=3,
                     label="lattice (share 0)")
    ax2.set(xlabel="long-range share", ylabel="K_c", title="Critical coupling: lattice → long range")
    ax2.legend(fontsize=8, loc="upper right")
    plt.tight_layout()
    return axes
