"""Early-warning indicators of an approaching flip, and their false-alarm rate.

The indicators follow Dakos et al. (2012): a time series is (optionally)
detrended, a rolling window computes its variance and lag-1
autocorrelation, and Kendall's τ between time and each indicator measures
whether the indicator trends upward.

Checks against exact results use the AR(1) process
:math:`x_t = \\phi x_{t-1} + \\sigma\\varepsilon_t`, whose stationary variance
:math:`\\sigma^2/(1-\\phi^2)` and lag-1 autocorrelation :math:`\\phi` are known
(:func:`ar1`, :func:`ar1_variance`).

The Ising part ramps the field on a metastable state (:func:`field_ramp_runs`),
cuts each series before its flip (:func:`flip_index`), scores it
(:func:`ews_scores`) and compares with null runs at a constant field
(:func:`roc`).  :func:`bethe_metastable` gives the cavity (Bethe-Peierls)
solution of the metastable branch on a random regular graph, with its
spinodal, and :func:`pulse_response` measures the response to a small field
pulse along the branch.
"""

from __future__ import annotations

import numpy as np
from scipy.stats import kendalltau, mannwhitneyu

from utacbook import _validate as v
from utacbook.theory._two_community import _bethe_du, _bethe_u  # the cavity message f(u), stable at low T

__all__ = ["ar1", "ar1_variance", "detrend", "rolling_variance", "rolling_autocorrelation",
           "rolling_skewness", "spin_modularity", "neighbour_correlation", "structure_factor",
           "second_moment_xi", "record_run", "temporal_scores", "snapshot_trend",
           "rates_at_threshold", "mean_tau", "hard_null_study", "hard_null_rerun", "hard_null_table",
           "bandwidth_scan", "plot_hard_nulls", "plot_auc_vs_bandwidth",
           "kendall_trend", "indicators", "flip_index", "field_ramp_runs", "ews_scores",
           "roc", "auc_p_value", "bethe_metastable", "bethe_spinodal", "pulse_response", "pulse_study",
           "load_pulse_study", "spot_check_pulse_study", "ramp_study",
           "hit_false_alarm_table", "auc_vs_lead", "plot_ar1_ramp", "plot_ramp_example", "plot_roc",
           "plot_susceptibility", "explore_ar1", "explore_field_ramp", "auc_measurement",
           "format_p", "response_ratios", "ratio_to_exact", "block_means", "spatial_indicators",
           "lattice_spatial_study", "lattice_spatial_rerun", "lattice_spatial_table", "plot_lattice_spatial"]


# --------------------------------------------------------------------------
# AR(1) reference process
# --------------------------------------------------------------------------

def ar1(n_steps=1000, *, phi=0.5, sigma=1.0, n_series=1, x0="stationary", seed=None):
    """Simulate AR(1) series :math:`x_t = \\phi_t x_{t-1} + \\sigma\\varepsilon_t`.

    Parameters
    ----------
    n_steps : int >= 1
        Length of each series (time steps).
    phi : float in (-1, 1) or array of shape (n_steps,)
        Autoregression coefficient; an array gives one value per step (a ramp,
        e.g. φ → 1 as a "critical slowing" analogue).
    sigma : float > 0, default 1
        Noise amplitude (ε_t standard normal).
    n_series : int >= 1, default 1
        Independent series, simulated together.
    x0 : "stationary" or float, default "stationary"
        Start value; "stationary" draws x_0 from the stationary law of the
        first φ, N(0, σ²/(1-φ₀²)).
    seed : int >= 0 or None

    Returns
    -------
    ndarray, shape (n_series, n_steps)
    """
    n_steps = v.integer("n_steps", n_steps, low=1)
    n_series = v.integer("n_series", n_series, low=1)
    sigma = v.real("sigma", sigma, positive=True)
    if np.ndim(phi) == 0:
        phis = np.full(n_steps, v.real("phi", phi, low=-1.0, high=1.0))
    else:
        phis = v.real_array("phi", phi, ndim=1)
        if phis.shape[0] != n_steps:
            raise ValueError(f"phi must be a scalar or have length n_steps={n_steps}, "
                             f"got {phis.shape[0]}")
    if np.any(np.abs(phis) >= 1.0):
        raise ValueError("phi must lie strictly inside (-1, 1)")
    rng = np.random.default_rng(seed)
    eps = rng.standard_normal((n_steps, n_series)) * sigma
    x = np.empty((n_steps, n_series))
    if isinstance(x0, str):
        v.choice("x0", x0, {"stationary"})
        prev = rng.standard_normal(n_series) * np.sqrt(ar1_variance(phis[0], sigma))
    else:
        prev = np.full(n_series, v.real("x0", x0))
    for t in range(n_steps):
        prev = phis[t] * prev + eps[t]
        x[t] = prev
    return x.T.copy()


def ar1_variance(phi, sigma=1.0):
    """Exact stationary variance σ²/(1-φ²) of the AR(1) process (``|φ| < 1``)."""
    phi = np.asarray(phi, dtype=float)
    if np.any(np.abs(phi) >= 1):
        raise ValueError("phi must lie strictly inside (-1, 1)")
    sigma = v.real("sigma", sigma, positive=True)
    return sigma ** 2 / (1.0 - phi ** 2)


# --------------------------------------------------------------------------
# indicators
# --------------------------------------------------------------------------

def _as_2d(name, x):
    arr = v.real_array(name, x)
    if arr.ndim == 1:
        return arr[None, :], True
    if arr.ndim == 2:
        return arr, False
    raise ValueError(f"{name} must be 1-D or 2-D (series along the last axis), got {arr.shape}")


def detrend(x, *, method="gaussian", bandwidth=50.0, edge="nearest"):
    """Remove a slow trend from series (last axis = time).

    Parameters
    ----------
    x : array_like, shape (n,) or (n_series, n)
    method : {"none", "linear", "gaussian"}, default "gaussian"
        "linear" subtracts a least-squares line; "gaussian" subtracts a
        Gaussian-kernel smooth (Nadaraya-Watson, as in Dakos et al. 2012).
    bandwidth : float > 0, default 50
        Kernel standard deviation in time steps ("gaussian" only).  The
        kernel is truncated at 4 standard deviations.  ``ewstools`` (and the R
        ``earlywarnings`` package) state the bandwidth b such that the kernel's
        quartiles lie at ±b/4: its b is our ``bandwidth * 0.675 / 0.25``.
    edge : {"nearest", "reflect"}, default "nearest"
        How the smooth is continued beyond the ends (``scipy.ndimage``
        modes): "nearest" repeats the end values; "reflect" mirrors the
        series, as ``ewstools`` does.

    Returns
    -------
    ndarray, same shape as ``x``: the residuals.

    Examples
    --------
    >>> import numpy as np
    >>> r = detrend(np.linspace(0.0, 1.0, 200), method="linear")
    >>> bool(np.max(np.abs(r)) < 1e-12)
    True
    """
    v.choice("method", method, {"none", "linear", "gaussian"})
    v.choice("edge", edge, {"nearest", "reflect"})
    X, one = _as_2d("x", x)
    n = X.shape[1]
    if method == "none":
        R = X.copy()
    elif method == "linear":
        t = np.arange(n) - (n - 1) / 2
        slope = (X - X.mean(axis=1, keepdims=True)) @ t / np.sum(t ** 2) if n > 1 else 0.0
        R = X - X.mean(axis=1, keepdims=True) - np.outer(slope, t)
    else:
        bw = v.real("bandwidth", bandwidth, positive=True)
        from scipy.ndimage import gaussian_filter1d
        # Gaussian kernel smoother; mode="nearest" repeats the end values beyond the edges
        R = X - gaussian_filter1d(X, bw, axis=1, mode=edge, truncate=4.0)
    return R[0] if one else R


def _check_window(X, window):
    window = v.integer("window", window, low=3)
    if window > X.shape[1]:
        raise ValueError(f"window must be <= series length {X.shape[1]}, got {window}")
    return window


def _rolling_sum(X, w):
    """Sums over windows of w consecutive entries along the last axis (cumulative sums)."""
    c = np.concatenate([np.zeros(X.shape[:-1] + (1,)), np.cumsum(X, axis=-1)], axis=-1)
    return c[..., w:] - c[..., :-w]


def rolling_variance(x, *, window=100):
    """Variance in a rolling window (ddof=1), one value per window end.

    Parameters
    ----------
    x : array_like, shape (n,) or (n_series, n)
    window : int, 3 <= window <= n

    Returns
    -------
    ndarray, shape (n - window + 1,) or (n_series, n - window + 1)
        entry k covers x[k : k + window].
    """
    X, one = _as_2d("x", x)
    window = _check_window(X, window)
    X = X - X.mean(axis=1, keepdims=True)      # shift-invariant; avoids cancellation
    out = _rolling_sum(X * X, window) - _rolling_sum(X, window) ** 2 / window
    out = np.maximum(out, 0.0) / (window - 1)
    return out[0] if one else out


def rolling_autocorrelation(x, *, window=100, lag=1):
    """Lag-``lag`` autocorrelation in a rolling window, one value per window end.

    Within each window the estimate is the Pearson correlation of
    (x_t, x_{t+lag}) pairs, as in the ``earlywarnings`` toolbox.

    Returns
    -------
    ndarray, shape (n - window + 1,) or (n_series, n - window + 1)
    """
    X, one = _as_2d("x", x)
    lag = v.integer("lag", lag, low=1)
    window = _check_window(X, window)
    X = X - X.mean(axis=1, keepdims=True)
    if lag >= window - 1:
        raise ValueError(f"lag must be < window - 1, got lag={lag}, window={window}")
    a, b = X[:, :-lag], X[:, lag:]
    n = window - lag                       # pairs per window
    sa, sb = _rolling_sum(a, n), _rolling_sum(b, n)
    saa = _rolling_sum(a * a, n) - sa ** 2 / n
    sbb = _rolling_sum(b * b, n) - sb ** 2 / n
    sab = _rolling_sum(a * b, n) - sa * sb / n
    den = np.sqrt(np.maximum(saa, 0.0) * np.maximum(sbb, 0.0))
    with np.errstate(invalid="ignore", divide="ignore"):
        out = np.where(den > 0, sab / np.where(den > 0, den, 1.0), 0.0)
    return out[0] if one else out


def rolling_skewness(x, *, window=100):
    r"""Sample skewness in a rolling window, one value per window end.

    The adjusted Fisher-Pearson coefficient
    :math:`G_1 = \frac{\sqrt{n(n-1)}}{n-2}\, m_3/m_2^{3/2}` with
    :math:`m_k` the central moments of the ``n = window`` points (the
    convention of ``pandas`` ``rolling().skew()``, hence of ``ewstools``, and
    of ``scipy.stats.skew(bias=False)``); 0 in a window with zero variance.

    Parameters
    ----------
    x : array_like, shape (n,) or (n_series, n)
    window : int, 3 <= window <= n

    Returns
    -------
    ndarray, shape (n - window + 1,) or (n_series, n - window + 1)

    Examples
    --------
    >>> import numpy as np
    >>> float(rolling_skewness(np.array([0.0, 0.0, 0.0, 1.0]), window=4)[0])
    2.0
    """
    X, one = _as_2d("x", x)
    window = _check_window(X, window)
    X = X - X.mean(axis=1, keepdims=True)
    n = window
    a1 = _rolling_sum(X, n) / n
    a2 = _rolling_sum(X * X, n) / n
    a3 = _rolling_sum(X ** 3, n) / n
    m2 = np.maximum(a2 - a1 ** 2, 0.0)
    m3 = a3 - 3.0 * a1 * a2 + 2.0 * a1 ** 3
    scale = np.sqrt(n * (n - 1.0)) / (n - 2.0)
    ok = m2 > 1e-14 * np.maximum(a2, np.finfo(float).tiny)
    with np.errstate(invalid="ignore", divide="ignore"):
        out = np.where(ok, scale * m3 / np.where(ok, m2, 1.0) ** 1.5, 0.0)
    return out[0] if one else out


def kendall_trend(indicator):
    """Kendall's τ between time and an indicator series (upward trend: τ > 0).

    Parameters
    ----------
    indicator : array_like, 1-D (NaNs are dropped)

    Returns
    -------
    tau, p_value : float
        ``scipy.stats.kendalltau`` (τ-b); the p-value assumes independent
        points, which rolling-window indicators are not (use null runs
        instead, :func:`roc`).
    """
    y = np.asarray(indicator, dtype=float)
    if y.ndim != 1:
        raise ValueError(f"indicator must be 1-D, got shape {y.shape}")
    t = np.arange(y.size)
    ok = np.isfinite(y)
    if ok.sum() < 3:
        raise ValueError("indicator needs at least 3 finite values")
    res = kendalltau(t[ok], y[ok])
    return float(res.statistic), float(res.pvalue)


def indicators(x, *, window=100, detrend_method="gaussian", bandwidth=50.0):
    """Detrend a series, then rolling variance, lag-1 autocorrelation and their τ.

    Returns
    -------
    dict
        With ``residuals``, ``variance``, ``ac1``, ``skewness`` (rolling, per
        window end), ``t_end`` (index of each window's last point),
        ``tau_variance``, ``tau_ac1``, ``tau_skewness``.
    """
    x = v.real_array("x", x, ndim=1, min_len=3)
    r = detrend(x, method=detrend_method, bandwidth=bandwidth)
    var = rolling_variance(r, window=window)
    ac = rolling_autocorrelation(r, window=window)
    sk = rolling_skewness(r, window=window)
    return {"residuals": r, "variance": var, "ac1": ac, "skewness": sk,
            "t_end": np.arange(window - 1, x.size),
            "tau_variance": kendall_trend(var)[0], "tau_ac1": kendall_trend(ac)[0],
            "tau_skewness": kendall_trend(sk)[0]}


# --------------------------------------------------------------------------
# Ising field ramps
# --------------------------------------------------------------------------

def flip_index(m, *, threshold=0.0):
    """First index at which each series drops below ``threshold`` (-1 if never).

    Parameters
    ----------
    m : array_like, shape (n,) or (n_series, n)
        Magnetisation per spin per sweep, started on the up branch.
    threshold : float in [-1, 1], default 0
    """
    threshold = v.real("threshold", threshold, low=-1.0, high=1.0)
    M, one = _as_2d("m", m)
    below = M < threshold
    idx = np.where(below.any(axis=1), below.argmax(axis=1), -1)
    return int(idx[0]) if one else idx


def _simulate(system, T, h, sweeps, burn_in, init, seed, algorithm):
    from utacbook.models import _ising as ising
    if isinstance(system, (int, np.integer)):
        return ising.simulate_lattice(int(system), T, h=h, sweeps=sweeps, burn_in=burn_in,
                                      algorithm=algorithm, init=init, seed=seed)
    return ising.simulate_graph(system, T, h=h, sweeps=sweeps, burn_in=burn_in,
                                algorithm=algorithm, init=init, seed=seed)


def field_ramp_runs(system, *, T=2.0, h_start=0.0, h_end=-0.6, sweeps=2000, burn_in=200,
                    n_runs=20, ramp=True, algorithm="heatbath", seed=0):
    """Magnetisation series of runs started on the up branch, field ramped or kept constant.

    Parameters
    ----------
    system : int or graph
        An even lattice size L (periodic L×L lattice) or anything
        :func:`utacbook.models.simulate_graph` accepts (pass a prepared
        ``IsingGraph`` to reuse it).
    T : float > 0
        Temperature (units of J), below T_c so that the up branch is ordered.
    h_start, h_end : float
        The field ramps linearly from ``h_start`` to ``h_end`` over the
        recorded sweeps (``ramp=True``) or stays at ``h_start`` (null runs).
        ``burn_in`` sweeps at ``h_start`` precede the record.
    sweeps, burn_in : int
    n_runs : int >= 1
        Independent runs; run k uses seed ``(seed, k)`` for ramps and
        ``(seed, k)`` of a separate stream family for null runs.
    ramp : bool
    algorithm : {"heatbath", "metropolis"}
    seed : int >= 0

    Returns
    -------
    dict
        With ``m`` (n_runs, sweeps), ``h`` (sweeps,), ``flip`` (first sweep
        with m < 0, -1 if none).
    """
    T = v.real("T", T, positive=True)
    h_start = v.real("h_start", h_start)
    h_end = v.real("h_end", h_end)
    sweeps = v.integer("sweeps", sweeps, low=10)
    n_runs = v.integer("n_runs", n_runs, low=1)
    seed = v.integer("seed", seed, low=0)
    h = np.linspace(h_start, h_end, sweeps) if ramp else np.full(sweeps, h_start)
    m = np.empty((n_runs, sweeps))
    family = 1 if ramp else 2
    for k in range(n_runs):
        ss = np.random.SeedSequence([seed, family, k])
        m[k] = _simulate(system, T, h, sweeps, burn_in, "up", ss, algorithm).magnetization
    return {"m": m, "h": h, "flip": flip_index(m)}


def ews_scores(m, cut, *, window_frac=0.5, detrend_method="gaussian", bandwidth=50.0,
               start=0):
    """Kendall τ of rolling variance and lag-1 autocorrelation on m[start:cut].

    Parameters
    ----------
    m : array_like, shape (n_series, n)
    cut : int or array of int, shape (n_series,)
        End (exclusive) of the analysed segment of each series, e.g. a few
        sweeps before its flip; series with cut - start < 20 get NaN.
    window_frac : float in (0, 1], default 0.5
        Rolling window as a fraction of the segment length (Dakos et al. 2012).
    detrend_method, bandwidth : see :func:`detrend`.
    start : int >= 0

    Returns
    -------
    tau_variance, tau_ac1 : ndarray, shape (n_series,)
    """
    M, _ = _as_2d("m", m)
    window_frac = v.real("window_frac", window_frac, positive=True, high=1.0)
    start = v.integer("start", start, low=0)
    cuts = np.broadcast_to(np.asarray(cut, dtype=int), (M.shape[0],))
    tv = np.full(M.shape[0], np.nan)
    ta = np.full(M.shape[0], np.nan)
    for k in range(M.shape[0]):
        seg = M[k, start:cuts[k]]
        if seg.size < 20:
            continue
        w = max(5, int(round(window_frac * seg.size)))
        # what indicators() gives as tau_variance and tau_ac1, without the unused skewness
        r = detrend(seg, method=detrend_method, bandwidth=bandwidth)
        tv[k] = kendall_trend(rolling_variance(r, window=min(w, seg.size)))[0]
        ta[k] = kendall_trend(rolling_autocorrelation(r, window=min(w, seg.size)))[0]
    return tv, ta


def roc(positive, negative, *, n_boot=1000, seed=0):
    """ROC curve of a score that should be larger for ``positive`` cases.

    Parameters
    ----------
    positive, negative : array_like, 1-D
        Scores of runs that flipped (ramped) and of null runs (NaNs dropped).
    n_boot : int >= 0
        Bootstrap resamples for the error of the AUC.
    seed : int

    Returns
    -------
    dict
        With ``threshold``, ``tpr`` (hit rate), ``fpr`` (false-alarm rate),
        ``auc`` = P(score_pos > score_neg) + ½ P(tie) (Mann-Whitney),
        ``auc_err`` (bootstrap standard error), ``p_value`` (one-sided
        Mann-Whitney U test of "positive scores are larger", normal approximation
        with tie correction; valid for independent runs, unlike the bootstrap
        error, which is 0 when the two samples do not overlap) and the sample
        sizes ``n_pos``, ``n_neg``.
    """
    p = np.asarray(positive, dtype=float)
    q = np.asarray(negative, dtype=float)
    p = p[np.isfinite(p)]
    q = q[np.isfinite(q)]
    if p.size == 0 or q.size == 0:
        raise ValueError("positive and negative need at least one finite score each")
    n_boot = v.integer("n_boot", n_boot, low=0)
    thr = np.concatenate([[np.inf], np.sort(np.unique(np.concatenate([p, q])))[::-1], [-np.inf]])
    tpr = np.array([(p >= t).mean() for t in thr])
    fpr = np.array([(q >= t).mean() for t in thr])

    def auc(a, b):
        d = a[:, None] - b[None, :]
        return float(np.mean(d > 0) + 0.5 * np.mean(d == 0))

    a0 = auc(p, q)
    rng = np.random.default_rng(seed)
    boots = _bootstrap_aucs(p, q, n_boot, rng)
    return {"threshold": thr, "tpr": tpr, "fpr": fpr, "auc": a0,
            "auc_err": float(np.std(boots, ddof=1)) if n_boot > 1 else float("nan"),
            "p_value": auc_p_value(p, q), "n_pos": int(p.size), "n_neg": int(q.size)}


def _bootstrap_aucs(p, q, n_boot, rng):
    """AUCs of ``n_boot`` bootstrap resamples of ``p`` and ``q``, computed together.

    The same numbers, bit for bit, as resampling with ``rng.choice(p, p.size)``
    then ``rng.choice(q, q.size)`` per resample and averaging the comparison
    matrix (``rng.choice`` with replacement draws ``rng.integers(0, n, n)``);
    the pair counts come from ranks in the pooled values instead of an
    n₁×n₂ matrix per resample.
    """
    ip = np.empty((n_boot, p.size), dtype=np.intp)
    iq = np.empty((n_boot, q.size), dtype=np.intp)
    for b in range(n_boot):                    # the draws in the order of the per-resample loop
        ip[b] = rng.integers(0, p.size, p.size)
        iq[b] = rng.integers(0, q.size, q.size)
    u = np.unique(np.concatenate([p, q]))
    ra, rb = np.searchsorted(u, p)[ip], np.searchsorted(u, q)[iq]
    rows = np.arange(n_boot)[:, None]
    cq = np.bincount((rows * u.size + rb).ravel(), minlength=n_boot * u.size).reshape(n_boot, u.size)
    below = np.cumsum(cq, axis=1) - cq         # per resample: q values ranked below each rank
    n_gt = np.take_along_axis(below, ra, axis=1).sum(axis=1)
    n_eq = np.take_along_axis(cq, ra, axis=1).sum(axis=1)
    n = float(p.size * q.size)
    return n_gt / n + 0.5 * (n_eq / n)


def auc_p_value(positive, negative):
    """One-sided Mann-Whitney p-value that ``positive`` scores exceed ``negative`` ones.

    The AUC is the Mann-Whitney statistic U/(n₁n₂); under the null
    hypothesis (both samples from one distribution) this is its p-value,
    from the normal approximation with tie and continuity corrections
    (``scipy.stats.mannwhitneyu``, ``method="asymptotic"``).  NaNs are dropped.
    """
    p = np.asarray(positive, dtype=float)
    q = np.asarray(negative, dtype=float)
    p, q = p[np.isfinite(p)], q[np.isfinite(q)]
    if p.size == 0 or q.size == 0:
        raise ValueError("positive and negative need at least one finite score each")
    return float(mannwhitneyu(p, q, alternative="greater", method="asymptotic").pvalue)


# --------------------------------------------------------------------------
# Bethe-lattice metastable branch and the pulse response
# --------------------------------------------------------------------------

def bethe_metastable(h, *, k=4, T=2.0, J=1.0, n_iter=20000, tol=1e-13):
    """Magnetisation and susceptibility of the up branch on a k-regular tree (Bethe).

    The cavity field u solves :math:`u = h + (k-1) f(u)` with
    :math:`f(u) = \\beta^{-1}\\,\\mathrm{artanh}[\\tanh(\\beta J)\\tanh(\\beta u)]`;
    iterating from large u finds the largest solution, the up branch (metastable
    for h < 0).  :math:`m = \\tanh\\{\\beta[h + k f(u)]\\}`, and
    :math:`\\chi = dm/dh` follows from implicit differentiation.

    Parameters
    ----------
    h : float or array
        Field (units of J).
    k : int >= 3
        Degree of the random regular graph.
    T : float > 0
        Temperature; the up branch is ordered for T < T_c = J/artanh(1/(k-1)).
    J : float > 0

    Returns
    -------
    m, chi : ndarray
        (nan where the up branch no longer exists, beyond the
        spinodal, i.e. where the iteration ends on the down branch).
    """
    k = v.integer("k", k, low=3)
    T = v.real("T", T, positive=True)
    J = v.real("J", J, positive=True)
    beta = 1.0 / T
    h = np.atleast_1d(np.asarray(h, dtype=float))
    u = np.full(h.shape, 50.0)
    for _ in range(n_iter):
        un = h + (k - 1) * _bethe_u(u, beta, J)
        if np.max(np.abs(un - u)) < tol:
            u = un
            break
        u = un
    fp = _bethe_du(u, beta, J)                     # f'(u)
    du_dh = 1.0 / (1.0 - (k - 1) * fp)
    H = h + k * _bethe_u(u, beta, J)
    m = np.tanh(beta * H)
    chi = beta * (1 - m ** 2) * (1 + k * fp * du_dh)
    bad = m <= 0
    m = np.where(bad, np.nan, m)
    chi = np.where(bad, np.nan, chi)
    return m, chi


def bethe_spinodal(*, k=4, T=2.0, J=1.0):
    """Field h_sp < 0 at which the Bethe up branch ends (saddle-node bifurcation).

    The up branch solves g(u) = h + (k-1) f(u) - u = 0 (see
    :func:`bethe_metastable`); it ends where it merges with the unstable
    branch, g = g' = 0: at the cavity field u* > 0 with (k-1) f'(u*) = 1,
    and h_sp = u* - (k-1) f(u*).  f' falls monotonically from tanh(βJ) at
    u = 0 to 0, so u* is unique and is found by bracketing.

    Raises
    ------
    ValueError
        If T is not below the Bethe T_c = J/artanh(1/(k-1)) (no ordered branch).
    """
    from scipy.optimize import brentq
    k = v.integer("k", k, low=3)
    T = v.real("T", T, positive=True)
    J = v.real("J", J, positive=True)
    beta = 1.0 / T
    if (k - 1) * np.tanh(beta * J) <= 1.0:
        raise ValueError(f"T must be below the Bethe T_c = {J / np.arctanh(1.0 / (k - 1)):.4g} for k = {k}, got {T}")

    def g1(u):
        return (k - 1) * float(_bethe_du(u, beta, J)) - 1.0

    u_star = brentq(g1, 0.0, J + 50.0 * T, xtol=1e-15, rtol=4 * np.finfo(float).eps)
    return float(u_star - (k - 1) * _bethe_u(u_star, beta, J))


def _pulse_replica(system, T, h, dh, burn_in, sweeps, seed, i, r, algorithm):
    """Replica ``r`` at field number ``i`` of :func:`pulse_response`: (response, χ_fluct, mean m).

    None if the replica left the up branch (m <= 0 in any of its runs).
    """
    ss = np.random.SeedSequence([seed, 3, i, r])
    pre, s1 = ss.spawn(2)
    eq = _simulate(system, T, float(h), 1, burn_in, "up", pre, algorithm)
    a = _simulate(system, T, float(h), sweeps, 0, eq.spins, s1, algorithm)
    b = _simulate(system, T, float(h + dh), sweeps, 0, eq.spins, s1, algorithm)
    if eq.magnetization[-1] <= 0 or a.magnetization.min() <= 0 or \
            b.magnetization.min() <= 0:
        return None
    return ((b.magnetization.mean() - a.magnetization.mean()) / dh,
            a.N * a.magnetization.var() / T, a.magnetization.mean())


def pulse_response(system, h_values, *, T=2.0, dh=0.02, burn_in=300, sweeps=600,
                   n_rep=8, algorithm="heatbath", seed=0, replicas=False):
    """Response Δm/Δh to a small field step along the metastable up branch.

    For each field h and replica, a run started "up" equilibrates for
    ``burn_in`` sweeps at h; from that state two runs with the *same* random
    numbers continue for ``sweeps`` sweeps, one at h and one at h + dh
    (common random numbers make the difference low-noise).  The response is
    the difference of their mean magnetisations over dh.  The fluctuation
    estimate N·Var(m)/T of the unperturbed run is returned beside it.

    Parameters
    ----------
    system : int (lattice L) or graph (see :func:`field_ramp_runs`)
    h_values : array_like
        Fields on the branch (h < 0 pushes against the up state).
    T, dh : float
        Temperature and pulse size (nonzero; dh < 0 pushes towards the flip).
        The response Δm/Δh is positive either way.
    burn_in, sweeps, n_rep : int
    seed : int
    replicas : bool, default False
        Also return every replica's values.

    Returns
    -------
    dict
        With ``h``, ``response`` and ``response_err`` (mean ± s.e.m. over the
        replicas that stayed up), ``chi_fluct`` and ``chi_fluct_err``, ``n_ok``
        (replicas used), ``m`` (mean m of the unperturbed runs); with
        ``replicas``, also ``replicas``: per field, per replica ``[response,
        chi_fluct, m]`` or None for a replica that left the up branch.
    """
    hv = v.real_array("h_values", h_values, ndim=1, min_len=1)
    T = v.real("T", T, positive=True)
    dh = v.real("dh", dh)
    if dh == 0:
        raise ValueError("dh must be nonzero")
    n_rep = v.integer("n_rep", n_rep, low=2)
    seed = v.integer("seed", seed, low=0)
    out = {k: np.full(hv.size, np.nan) for k in
           ("response", "response_err", "chi_fluct", "chi_fluct_err", "m")}
    out["n_ok"] = np.zeros(hv.size, dtype=int)
    every = []
    for i, h in enumerate(hv):
        resp, chis, ms = [], [], []
        every.append([])
        for r in range(n_rep):
            one = _pulse_replica(system, T, h, dh, burn_in, sweeps, seed, i, r, algorithm)
            every[-1].append(None if one is None else [float(x) for x in one])
            if one is None:
                continue
            resp.append(one[0])
            chis.append(one[1])
            ms.append(one[2])
        n = len(resp)
        out["n_ok"][i] = n
        if n >= 2:
            out["response"][i] = np.mean(resp)
            out["response_err"][i] = np.std(resp, ddof=1) / np.sqrt(n)
            out["chi_fluct"][i] = np.mean(chis)
            out["chi_fluct_err"][i] = np.std(chis, ddof=1) / np.sqrt(n)
            out["m"][i] = np.mean(ms)
    out["h"] = hv
    if replicas:
        out["replicas"] = every
    return out


def pulse_study(*, k=4, N=1000, graph_seed=1, h_values=(0.0, -0.05, -0.1, -0.15, -0.2, -0.25, -0.28),
                T=2.0, dh=-0.01, burn_in=300, sweeps=600, n_rep=16, seed=3):
    """:func:`pulse_response` on a random k-regular graph, with every replica's values, for a stored result.

    The graph is ``prepare_graph(networkx.random_regular_graph(k, N,
    seed=graph_seed))``; :func:`load_pulse_study` gives back what
    :func:`pulse_response` returns, :func:`spot_check_pulse_study` re-runs
    single replicas.

    Returns
    -------
    dict
        :func:`pulse_response` with ``replicas=True``.
    """
    su = _pulse_graph(k, N, graph_seed)
    return pulse_response(su, np.asarray(h_values, dtype=float), T=T, dh=dh, burn_in=burn_in, sweeps=sweeps,
                          n_rep=n_rep, seed=seed, replicas=True)


def _pulse_graph(k, N, graph_seed):
    import networkx as nx
    from utacbook.models import prepare_graph
    return prepare_graph(nx.random_regular_graph(k, N, seed=graph_seed))


def load_pulse_study(rec):
    """A stored :func:`pulse_study` as :func:`pulse_response` returns it (arrays; ``replicas`` kept as lists)."""
    out = {key: np.asarray(rec[key], dtype=float) for key in
           ("response", "response_err", "chi_fluct", "chi_fluct_err", "m", "h")}
    out["n_ok"] = np.asarray(rec["n_ok"], dtype=int)
    out["replicas"] = rec["replicas"]
    return out


def spot_check_pulse_study(rec, tasks=((0, 0), (-1, 0)), *, system=None):
    """Re-run single replicas of a stored :func:`pulse_study` and compare them, bit for bit.

    Replica r at field number i has its own seed (``(seed, 3, i, r)``), so it
    can be re-run alone.

    Parameters
    ----------
    rec : utacbook.stored.StoredResult
    tasks : sequence of (field index, replica)
    system : prepared graph, optional
        The study's graph (default: rebuilt from the stored parameters).

    Returns
    -------
    dict
        ``tasks`` (as (i, r) with i >= 0), ``identical`` (bool).
    """
    p = rec.provenance["params"]
    if system is None:
        system = _pulse_graph(p["k"], p["N"], p["graph_seed"])
    hv = np.asarray(p["h_values"], dtype=float)
    done, ok = [], True
    for i, r in tasks:
        i = int(i) % hv.size
        one = _pulse_replica(system, p["T"], hv[i], p["dh"], p["burn_in"], p["sweeps"], p["seed"], i, int(r),
                             "heatbath")
        ok = ok and (None if one is None else [float(x) for x in one]) == rec["replicas"][i][int(r)]
        done.append((i, int(r)))
    return {"tasks": done, "identical": bool(ok)}


# --------------------------------------------------------------------------
# study drivers and figures
# --------------------------------------------------------------------------

def ramp_study(system, *, T=2.0, h_end=-0.5, sweeps=2000, burn_in=200, n_runs=40, gap=20,
               window_frac=0.5, bandwidth=50.0, algorithm="heatbath", seed=0):
    """Ramped runs, matched null runs and the Kendall-τ scores of both.

    Each ramped run (field 0 → ``h_end`` over ``sweeps``) is cut ``gap``
    sweeps before its flip (first m < 0); ramped runs that never flip are
    cut at the end.  Null run k (field kept at 0, same length as the longest
    cut) is cut at the same sweep as ramped run k, so both are scored on
    segments of equal length.

    Returns
    -------
    dict
        With ``ramp`` and ``null`` (outputs of :func:`field_ramp_runs`),
        ``cut``, ``flip_h`` (field at each flip, nan if none), ``tau`` (dict
        "variance"/"ac1" → (ramped τ, null τ)), ``roc`` (same keys → :func:`roc`),
        ``score_kw`` (``window_frac`` and ``bandwidth`` of the scores).
    """
    gap = v.integer("gap", gap, low=0)
    r = field_ramp_runs(system, T=T, h_start=0.0, h_end=h_end, sweeps=sweeps, burn_in=burn_in,
                        n_runs=n_runs, ramp=True, algorithm=algorithm, seed=seed)
    flip = r["flip"]
    cut = np.where(flip >= 0, flip - gap, sweeps)
    n_null = int(max(cut.max(), 20))
    z = field_ramp_runs(system, T=T, h_start=0.0, sweeps=max(n_null, 10), burn_in=burn_in,
                        n_runs=n_runs, ramp=False, algorithm=algorithm, seed=seed)
    kw = dict(window_frac=window_frac, bandwidth=bandwidth)
    tv, ta = ews_scores(r["m"], cut, **kw)
    nv, na = ews_scores(z["m"], cut, **kw)
    tau = {"variance": (tv, nv), "ac1": (ta, na)}
    return {"ramp": r, "null": z, "cut": cut,
            "flip_h": np.where(flip >= 0, r["h"][np.maximum(flip, 0)], np.nan),
            "tau": tau, "roc": {k: roc(*tau[k], seed=seed) for k in tau}, "score_kw": kw}


def hit_false_alarm_table(tau_ramp, tau_null, *, hit_rate=0.8):
    """2×2 counts at the threshold that detects ``hit_rate`` of the ramped runs.

    Returns
    -------
    dict
        With ``threshold`` (the (1-hit_rate) quantile of the ramped τ), ``hits``,
        ``misses``, ``false_alarms``, ``correct_rejections`` (counts) and
        ``false_alarm_rate`` with its binomial standard error.
    """
    hit_rate = v.real("hit_rate", hit_rate, positive=True, high=1.0)
    p = np.asarray(tau_ramp, float)
    q = np.asarray(tau_null, float)
    p, q = p[np.isfinite(p)], q[np.isfinite(q)]
    thr = float(np.quantile(p, 1.0 - hit_rate))
    fa = int(np.sum(q >= thr))
    f = fa / q.size
    return {"threshold": thr, "hits": int(np.sum(p >= thr)), "misses": int(np.sum(p < thr)),
            "false_alarms": fa, "correct_rejections": int(q.size - fa),
            "false_alarm_rate": f, "false_alarm_err": float(np.sqrt(max(f * (1 - f), 1.0 / q.size)
                                                                    / q.size))}


def auc_vs_lead(study, gaps, *, window_frac=0.5, bandwidth=50.0, seed=0):
    """AUC of both indicators when the analysed segments end ``gap`` sweeps before the flip.

    Parameters
    ----------
    study : dict from :func:`ramp_study`
    gaps : sequence of int >= 0
        Lead times (sweeps between the end of the analysed segment and the flip).

    Returns
    -------
    list of dict
        With ``gap``, ``h_cut`` (mean field at the segment end),
        ``auc_variance``, ``auc_variance_err``, ``p_variance``, ``auc_ac1``,
        ``auc_ac1_err``, ``p_ac1`` (one-sided Mann-Whitney p-values, see
        :func:`roc`).
    """
    flip = study["ramp"]["flip"]
    n = study["ramp"]["m"].shape[1]
    out = []
    for gap in gaps:
        gap = v.integer("gap", gap, low=0)
        cut = np.where(flip >= 0, flip - gap, n)
        if np.any(cut > study["null"]["m"].shape[1]):
            cut = np.minimum(cut, study["null"]["m"].shape[1])
        kw = dict(window_frac=window_frac, bandwidth=bandwidth)
        if np.array_equal(cut, study["cut"]) and study.get("score_kw") == kw:   # the study's own scores
            (tv, nv), (ta, na) = study["tau"]["variance"], study["tau"]["ac1"]
        else:
            tv, ta = ews_scores(study["ramp"]["m"], cut, **kw)
            nv, na = ews_scores(study["null"]["m"], cut, **kw)
        rv, ra = roc(tv, nv, seed=seed), roc(ta, na, seed=seed)
        out.append({"gap": gap, "h_cut": float(np.mean(study["ramp"]["h"][np.clip(cut, 0, n - 1)])),
                    "auc_variance": rv["auc"], "auc_variance_err": rv["auc_err"],
                    "p_variance": rv["p_value"],
                    "auc_ac1": ra["auc"], "auc_ac1_err": ra["auc_err"], "p_ac1": ra["p_value"]})
    return out


def plot_ar1_ramp(*, n_steps=3000, phi_start=0.2, phi_end=0.95, window=300, n_series=200,
                  seed=0, axes=None):
    """AR(1) with φ ramped linearly: rolling indicators of one series and the
    ensemble mean of the rolling indicators, against the exact instantaneous values.

    Returns
    -------
    fig, axes
    """
    import matplotlib.pyplot as plt
    from utacbook.viz._plotting import PALETTE
    phis = np.linspace(phi_start, phi_end, n_steps)
    x = ar1(n_steps, phi=phis, n_series=n_series, seed=seed)
    var = rolling_variance(x, window=window)
    ac = rolling_autocorrelation(x, window=window)
    t_end = np.arange(window - 1, n_steps)
    # exact: stationary values averaged over the window (quasi-static)
    ex_v = np.convolve(ar1_variance(phis), np.ones(window) / window, mode="valid")
    ex_a = np.convolve(phis, np.ones(window) / window, mode="valid")
    if axes is None:
        fig, axes = plt.subplots(1, 3, figsize=(11, 3.2))
    else:
        fig = axes[0].figure
    axes[0].plot(x[0], lw=0.5, color=PALETTE["sim"])
    axes[0].set(xlabel="step t", ylabel="$x_t$", title=f"one series, φ: {phi_start}→{phi_end}")
    for ax, ind, ex, lab in ((axes[1], var, ex_v, "rolling variance"),
                             (axes[2], ac, ex_a, "rolling lag-1 autocorrelation")):
        ax.plot(t_end, ind[0], lw=0.8, color=PALETTE["sim"], alpha=0.6, label="one series")
        mu = ind.mean(axis=0)
        se = ind.std(axis=0, ddof=1) / np.sqrt(n_series)
        ax.fill_between(t_end, mu - 2 * se, mu + 2 * se, color=PALETTE["alt"], alpha=0.5)
        ax.plot(t_end, mu, color=PALETTE["alt"], lw=1.2, label=f"mean of {n_series} series")
        ax.plot(t_end, ex, "--", color="k", lw=1, label="exact (window average)")
        ax.set(xlabel="window end t", title=lab)
        ax.legend(fontsize=8)
    axes[1].set_yscale("log")
    fig.tight_layout()
    return fig, axes


def plot_ramp_example(study, *, run=0, window_frac=0.5, bandwidth=50.0, axes=None):
    """One ramped and its matched null run: m(t), rolling variance and lag-1 AC."""
    import matplotlib.pyplot as plt
    from utacbook.viz._plotting import PALETTE
    if axes is None:
        fig, axes = plt.subplots(1, 3, figsize=(11, 3.2))
    else:
        fig = axes[0].figure
    c = int(study["cut"][run])
    for key, col, lab in (("ramp", PALETTE["fit"], "ramped"), ("null", PALETTE["sim"], "null")):
        m = study[key]["m"][run]
        axes[0].plot(m[:min(m.size, c + 200)], lw=0.6, color=col, label=lab)
        seg = m[:c]
        w = max(5, int(round(window_frac * seg.size)))
        res = indicators(seg, window=w, bandwidth=bandwidth)
        axes[1].plot(res["t_end"], res["variance"], color=col,
                     label=f"{lab}: τ = {res['tau_variance']:.2f}")
        axes[2].plot(res["t_end"], res["ac1"], color=col,
                     label=f"{lab}: τ = {res['tau_ac1']:.2f}")
    for ax in axes:
        ax.axvline(c, color="k", ls=":", lw=1)
    axes[0].set(xlabel="sweep", ylabel="m", title="magnetisation per spin")
    axes[1].set(xlabel="window end (sweep)", title="rolling variance (detrended)")
    axes[2].set(xlabel="window end (sweep)", title="rolling lag-1 autocorrelation")
    for ax in axes:
        ax.legend(fontsize=8)
    fig.tight_layout()
    return fig, axes


def plot_roc(rocs, *, ax=None):
    """ROC curves: ``rocs`` maps a label to a :func:`roc` result."""
    import matplotlib.pyplot as plt
    if ax is None:
        _, ax = plt.subplots(figsize=(4.6, 4.2))
    for lab, r in rocs.items():
        ax.step(r["fpr"], r["tpr"], where="post",
                label=f"{lab} (AUC {r['auc']:.2f} ± {r['auc_err']:.2f})")
    ax.plot([0, 1], [0, 1], ":", color="grey", lw=1)
    ax.set(xlabel="false-alarm rate (null runs with τ ≥ threshold)",
           ylabel="hit rate (ramped runs with τ ≥ threshold)", xlim=(-0.02, 1.02),
           ylim=(-0.02, 1.02))
    ax.legend(fontsize=7, loc="lower right")
    return ax


def plot_susceptibility(pulse, *, k=4, T=2.0, ax=None):
    """Pulse response and fluctuation susceptibility against the Bethe branch."""
    import matplotlib.pyplot as plt
    from utacbook.viz._plotting import PALETTE
    if ax is None:
        _, ax = plt.subplots(figsize=(6.0, 3.8))
    h = pulse["h"]
    hs = bethe_spinodal(k=k, T=T)
    hf = np.linspace(0.0, hs * 0.9995, 400)
    ax.plot(-hf, bethe_metastable(hf, k=k, T=T)[1], color="k", lw=1,
            label="Bethe up branch (N → ∞)")
    ax.axvline(-hs, color="k", ls=":", lw=1, label=f"Bethe spinodal |h| = {-hs:.3f}")
    ax.errorbar(-h, pulse["response"], pulse["response_err"], fmt="o", ms=4, capsize=2,
                color=PALETTE["fit"], label="pulse response Δm/Δh")
    ax.errorbar(-h, pulse["chi_fluct"], pulse["chi_fluct_err"], fmt="s", ms=3, capsize=2,
                mfc="none", color=PALETTE["sim"], label="fluctuations N Var(m)/T")
    ax.set(xlabel="|h| in J (field against the up state)", ylabel="susceptibility χ per spin (1/J)",
           yscale="log")
    ax.legend(fontsize=8)
    return ax


def explore_ar1(phi_end=0.95, n_steps=3000, window=300):
    """Sliders for the AR(1) ramp: final φ, ramp length (speed) and window.

    The static book shows final φ = 0.5, 0.8, 0.9, 0.95, 0.99 precomputed (with
    the given ramp length and window), plus ``phi_end`` if it differs.
    """
    import ipywidgets as w
    from utacbook.viz._widgets import live_explorer

    def draw(phi_end, n_steps, window):
        fig, _ = plot_ar1_ramp(n_steps=int(n_steps), phi_end=phi_end, window=int(window),
                               n_series=50, seed=0)
        return fig

    controls = {
        "phi_end": w.FloatSlider(value=phi_end, min=0.3, max=0.99, step=0.01, description="φ end"),
        "n_steps": w.IntSlider(value=n_steps, min=500, max=10000, step=500,
                               description="ramp steps"),
        "window": w.IntSlider(value=window, min=50, max=1000, step=50, description="window"),
    }
    return live_explorer(draw, controls, static_param="phi_end",
                         static_values=(0.5, 0.8, 0.9, 0.95, 0.99))


def explore_field_ramp(system, *, T=2.0, sweeps=2000, n_runs=10, seed=0):
    """Sliders for the Ising ramp: temperature and ramp length (rate = 0.5/sweeps).

    The static book shows ramp lengths 200, 500, 2000 and 6000 sweeps (plus
    ``sweeps`` if it differs) precomputed at the given T: fast ramps against
    slow ones.
    """
    import ipywidgets as w
    import matplotlib.pyplot as plt
    from utacbook.viz._widgets import live_explorer

    def draw(T, sweeps):
        s = ramp_study(system, T=T, h_end=-0.5, sweeps=int(sweeps), n_runs=n_runs, seed=seed)
        fig, axes = plt.subplots(1, 2, figsize=(10, 3.6))
        for mm in s["ramp"]["m"]:
            axes[0].plot(-s["ramp"]["h"], mm, lw=0.5, alpha=0.7)
        axes[0].set(xlabel="|h| (ramped from 0 to 0.5)", ylabel="m",
                    title=f"T = {T:.2f}, ramp rate {0.5 / sweeps:.1e} per sweep")
        plot_roc({f"{k} ({n_runs}+{n_runs} runs)": r for k, r in s["roc"].items()}, ax=axes[1])
        fig.tight_layout()
        return fig

    controls = {
        "T": w.FloatSlider(value=T, min=1.0, max=2.8, step=0.1, description="T"),
        "sweeps": w.IntSlider(value=sweeps, min=200, max=6000, step=200,
                              description="ramp sweeps"),
    }
    return live_explorer(draw, controls, static_param="sweeps",
                         static_values=(200, 500, 2000, 6000))


# --------------------------------------------------------------------------
# measurements for the chapter's claims (utacbook.claims)
# --------------------------------------------------------------------------

def format_p(p, *, floor=1e-10):
    """A p-value as text: two significant digits, or "< 10⁻¹⁰" below ``floor``.

    p-values far below any significance level say only that the samples are
    separated; their exact size depends on tail approximations, so they are
    not quoted.

    Examples
    --------
    >>> format_p(0.0123), format_p(1.8e-21)
    ('0.012', '< 10⁻¹⁰')
    """
    from utacbook.report import format_value
    p = v.real("p", p, low=0.0)
    floor = v.real("floor", floor, positive=True)
    if p < floor:
        return "< " + format_value(floor, digits=1).replace("1 × ", "")
    return format_value(p, digits=2)


def auc_measurement(result, condition, *, indicator=None):
    """An AUC with its bootstrap error and Mann-Whitney p-value, as a claims measurement.

    Parameters
    ----------
    result : dict
        A :func:`roc` result, or one row of :func:`auc_vs_lead` (then give
        ``indicator``: "variance" or "ac1").
    condition : str
    """
    from utacbook.claims import Measurement
    from utacbook.report import format_pm
    if indicator is None:
        a, e, p = result["auc"], result["auc_err"], result["p_value"]
    else:
        v.choice("indicator", indicator, {"variance", "ac1"})
        a, e, p = result[f"auc_{indicator}"], result[f"auc_{indicator}_err"], result[f"p_{indicator}"]
    if e > 0:
        shown = f"AUC {format_pm(a, e)}"
    else:                                      # the bootstrap error vanishes when the samples do not overlap
        shown = f"AUC {a:.3f}" + (" (no overlap)" if a in (0.0, 1.0) else "")
    ps = format_p(p)
    shown += f", p {ps}" if ps.startswith("<") else f", p = {ps}"
    return Measurement(a, e, condition=condition, p_value=p, text=shown)


def response_ratios(pulse):
    """Pulse response at each field over the response at the first field, with errors.

    Returns
    -------
    ratio, err : ndarray
        (the first entry is 1 with error 0); replicas at
        different fields are independent, so relative errors add in quadrature.
    """
    r = np.asarray(pulse["response"], float)
    e = np.asarray(pulse["response_err"], float)
    ratio = r / r[0]
    err = np.abs(ratio) * np.sqrt((e / r) ** 2 + (e[0] / r[0]) ** 2)
    err[0] = 0.0
    return ratio, err


def ratio_to_exact(value, err, exact, condition):
    """value/exact with its error, as a claims measurement (an exact reference has no error)."""
    from utacbook.claims import Measurement
    if exact == 0:
        raise ValueError("exact must be nonzero")
    return Measurement(value / exact, abs(err / exact), condition=condition)


# --------------------------------------------------------------------------
# spatial indicators, configuration recorder and hard nulls (issue 16)
# --------------------------------------------------------------------------

def _adjacency(graph):
    """Symmetric CSR adjacency (0/1) of a networkx graph, in its node order."""
    import networkx as nx
    import scipy.sparse as sp
    if isinstance(graph, nx.Graph):
        A = nx.to_scipy_sparse_array(graph, nodelist=list(graph.nodes), weight=None, format="csr")
    elif sp.issparse(graph):
        A = sp.csr_array(graph)
    else:
        raise TypeError(f"graph must be a networkx graph or a scipy sparse matrix, got {type(graph).__name__}")
    if A.shape[0] != A.shape[1]:
        raise ValueError(f"graph adjacency must be square, got {A.shape}")
    A = sp.csr_array((A != 0).astype(float))
    return A


def spin_modularity(spins, graph):
    r"""Newman modularity of the partition of a graph by spin sign.

    .. math:: Q = \frac{1}{4E}\sum_{ij}\Big(A_{ij} - \frac{k_i k_j}{2E}\Big) s_i s_j ,

    the modularity of the two groups {s = +1}, {s = -1} (Newman 2006, the
    "modularity" of the essay's prediction 1 applied to opinions).  On a
    k-regular graph :math:`Q = \tfrac12(\overline{s_i s_j} - m^2)`, half the
    connected nearest-neighbour correlation (:func:`neighbour_correlation`).

    Parameters
    ----------
    spins : array_like of +-1, shape (N,) or (n_snapshots, N)
        Configurations in the graph's node order (as ``simulate_graph``
        returns them).
    graph : networkx graph or scipy sparse matrix
        Unweighted (weights are ignored).

    Returns
    -------
    float or ndarray, shape (n_snapshots,)

    Examples
    --------
    Two triangles joined by one edge, each triangle one opinion:

    >>> import networkx as nx, numpy as np
    >>> g = nx.barbell_graph(3, 0)
    >>> round(float(spin_modularity(np.array([1, 1, 1, -1, -1, -1]), g)), 4)
    0.3571
    """
    A = _adjacency(graph)
    S, one = _as_2d("spins", spins)
    if S.shape[1] != A.shape[0]:
        raise ValueError(f"spins must have N = {A.shape[0]} entries per configuration, got {S.shape[1]}")
    k = np.asarray(A.sum(axis=1)).ravel()
    two_e = k.sum()
    if two_e == 0:
        raise ValueError("graph has no edges")
    sAs = np.einsum("ij,ij->i", S, (A @ S.T).T)
    ks = S @ k
    q = (sAs - ks ** 2 / two_e) / (2.0 * two_e)
    return float(q[0]) if one else q


def neighbour_correlation(spins, graph):
    r"""Connected nearest-neighbour correlation :math:`\overline{s_i s_j} - m^2`.

    The average of :math:`s_i s_j` over the edges minus the square of the
    magnetisation per spin of the same configuration: the graph analogue
    of the correlation function at distance 1.  For independent spins of
    mean :math:`m_0` its expectation is exactly :math:`-(1-m_0^2)/N`.

    Parameters
    ----------
    spins : array_like of +-1, shape (N,) or (n_snapshots, N)
    graph : networkx graph or scipy sparse matrix

    Returns
    -------
    float or ndarray, shape (n_snapshots,)

    Examples
    --------
    >>> import networkx as nx, numpy as np
    >>> float(neighbour_correlation(np.ones(5), nx.cycle_graph(5)))
    0.0
    """
    A = _adjacency(graph)
    S, one = _as_2d("spins", spins)
    if S.shape[1] != A.shape[0]:
        raise ValueError(f"spins must have N = {A.shape[0]} entries per configuration, got {S.shape[1]}")
    two_e = A.sum()
    if two_e == 0:
        raise ValueError("graph has no edges")
    c = np.einsum("ij,ij->i", S, (A @ S.T).T) / two_e - S.mean(axis=1) ** 2
    return float(c[0]) if one else c


def structure_factor(spins, *, mode=1):
    r"""Structure factor at the wave vector :math:`2\pi\,\mathrm{mode}/L` of square-lattice configurations.

    :math:`S(q) = |\sum_x s_x e^{-iq\cdot x}|^2/N`, averaged over the two
    lattice directions (q along x and along y).  For ``mode`` >= 1 a constant
    shift of the field does not change it.

    Parameters
    ----------
    spins : array_like, shape (L, L) or (n_snapshots, L, L)
        Any real field on a periodic L×L lattice.
    mode : int, 1 <= mode <= L/2

    Returns
    -------
    float or ndarray, shape (n_snapshots,)

    Examples
    --------
    >>> import numpy as np
    >>> x = np.cos(2 * np.pi * np.arange(8) / 8)[:, None] * np.ones((8, 8))
    >>> float(structure_factor(x))            # |sum|^2 / N = (32)^2 / 64, over 2 directions
    8.0
    """
    a = v.real_array("spins", spins)
    one = a.ndim == 2
    if one:
        a = a[None]
    if a.ndim != 3 or a.shape[1] != a.shape[2]:
        raise ValueError(f"spins must have shape (L, L) or (n, L, L), got {np.shape(spins)}")
    L = a.shape[1]
    mode = v.integer("mode", mode, low=1, high=L // 2)
    ph = np.exp(-2j * np.pi * mode * np.arange(L) / L)
    fx = np.einsum("nij,i->n", a.astype(complex), ph)
    fy = np.einsum("nij,j->n", a.astype(complex), ph)
    s = 0.5 * (np.abs(fx) ** 2 + np.abs(fy) ** 2) / (L * L)
    return float(s[0]) if one else s


def second_moment_xi(s0, s1, L, *, signed=False):
    r"""Second-moment correlation length from S(0) and S(q_min) on an L×L lattice.

    .. math:: \xi^2 = \frac{S(0)/S(q_{\min}) - 1}{4\sin^2(\pi/L)},

    exact for the lattice Ornstein-Zernike form
    :math:`S(q) \propto 1/(\xi^{-2} + \sum_a 4\sin^2(q_a/2))`; 0 for an
    uncorrelated field (S flat).  In the ordered phase S(0) must be the
    *connected* one, N Var(m).

    Parameters
    ----------
    s0, s1 : float or array
        S(0) and S(q_min), ``q_min = 2π/L`` (:func:`structure_factor`).
    L : int >= 2
    signed : bool, default False
        Return :math:`\xi^2` itself (may be negative from noise) instead of
        :math:`\xi = \sqrt{\max(\xi^2, 0)}`.

    Returns
    -------
    float or ndarray

    Examples
    --------
    >>> import numpy as np
    >>> L, xi = 32, 3.0
    >>> q2 = 4 * np.sin(np.pi / L) ** 2
    >>> round(float(second_moment_xi(1 / xi ** -2, 1 / (xi ** -2 + q2), L)), 12)
    3.0
    """
    L = v.integer("L", L, low=2)
    s0 = np.asarray(s0, dtype=float)
    s1 = np.asarray(s1, dtype=float)
    x2 = (s0 / s1 - 1.0) / (4.0 * np.sin(np.pi / L) ** 2)
    out = x2 if signed else np.sqrt(np.maximum(x2, 0.0))
    return float(out) if out.ndim == 0 else out


def record_run(system, *, T=2.0, h=0.0, sweeps=2000, every=10, burn_in=200, init="up",
               algorithm="heatbath", seed=0):
    """One run with the configuration recorded every ``every`` sweeps.

    The engine is called once for the burn-in and then once per block of
    ``every`` sweeps, each continuing from the previous final state
    (``init=state``); the field may change every sweep, the temperature
    every block.

    Parameters
    ----------
    system : int or graph
        An even lattice size L or anything ``simulate_graph`` accepts.
    T : float > 0 or array of shape (sweeps // every,)
        Temperature, one value per block (the burn-in uses the first).
    h : float or array of shape (sweeps,)
        Field, one value per recorded sweep (the burn-in uses the first).
    sweeps : int, a multiple of ``every``
    every : int >= 1
    burn_in : int >= 0
    init : {"up", "down", "random"}
    algorithm : {"heatbath", "metropolis"}
    seed : int >= 0, or a numpy SeedSequence
        Block b uses the b-th child of ``SeedSequence(seed).spawn``.

    Returns
    -------
    dict
        With ``m`` (sweeps,), the magnetisation per spin per sweep, and
        ``spins`` (sweeps // every, N) or (…, L, L), int8, the state at the end
        of each block.

    Examples
    --------
    >>> r = record_run(8, T=1.5, sweeps=20, every=5, burn_in=10, seed=1)
    >>> r["m"].shape, r["spins"].shape
    ((20,), (4, 8, 8))
    """
    sweeps = v.integer("sweeps", sweeps, low=1)
    every = v.integer("every", every, low=1)
    burn_in = v.integer("burn_in", burn_in, low=0)
    if sweeps % every:
        raise ValueError(f"sweeps must be a multiple of every={every}, got {sweeps}")
    nb = sweeps // every
    Ts = np.broadcast_to(np.asarray(T, dtype=float), (nb,))
    if np.any(~np.isfinite(Ts)) or np.any(Ts <= 0):
        raise ValueError("T must be positive and finite")
    hs = np.broadcast_to(np.asarray(h, dtype=float), (sweeps,))
    ss = seed if isinstance(seed, np.random.SeedSequence) else np.random.SeedSequence(v.integer("seed", seed, low=0))
    kids = ss.spawn(nb + 1)
    state = init
    if burn_in > 0:
        state = _simulate(system, float(Ts[0]), float(hs[0]), burn_in, 0, init, kids[0], algorithm).spins
    m = np.empty(sweeps)
    snaps = []
    for b in range(nb):
        sl = slice(b * every, (b + 1) * every)
        hb = hs[sl] if every > 1 else float(hs[sl][0])
        r = _simulate(system, float(Ts[b]), hb, every, 0, state, kids[b + 1], algorithm)
        m[sl] = r.magnetization
        state = r.spins
        snaps.append(np.asarray(state, dtype=np.int8).copy())
    return {"m": m, "spins": np.array(snaps)}


def temporal_scores(m, cut, *, window_frac=0.5, bandwidth=50.0, start=0):
    """Kendall τ of rolling variance, lag-1 autocorrelation and skewness on m[start:cut].

    As :func:`ews_scores` (same detrending, window and cut conventions),
    with the skewness added.

    Returns
    -------
    dict
        ``"variance"``, ``"ac1"``, ``"skewness"`` → τ, ndarray (n_series,)
        (NaN for segments shorter than 20).
    """
    M, _ = _as_2d("m", m)
    window_frac = v.real("window_frac", window_frac, positive=True, high=1.0)
    start = v.integer("start", start, low=0)
    cuts = np.broadcast_to(np.asarray(cut, dtype=int), (M.shape[0],))
    out = {key: np.full(M.shape[0], np.nan) for key in ("variance", "ac1", "skewness")}
    for k in range(M.shape[0]):
        seg = M[k, start:cuts[k]]
        if seg.size < 20:
            continue
        w = max(5, int(round(window_frac * seg.size)))
        res = indicators(seg, window=min(w, seg.size), bandwidth=bandwidth)
        for key in out:
            out[key][k] = res[f"tau_{key}"]
    return out


def snapshot_trend(values, n_snap):
    """Kendall τ of a snapshot series over its first ``n_snap`` entries, per run.

    Parameters
    ----------
    values : array_like, shape (n_runs, n_snapshots)
    n_snap : int or array of int, shape (n_runs,)
        Snapshots kept per run (those taken before the cut); fewer than 5 give NaN.

    Returns
    -------
    ndarray, shape (n_runs,)
    """
    V, _ = _as_2d("values", values)
    ns = np.broadcast_to(np.asarray(n_snap, dtype=int), (V.shape[0],))
    out = np.full(V.shape[0], np.nan)
    for k in range(V.shape[0]):
        if ns[k] >= 5:
            out[k] = kendall_trend(V[k, :ns[k]])[0]
    return out


def rates_at_threshold(score_pos, score_neg, *, threshold=0.5):
    """Hit and false-alarm rates at a fixed threshold, with binomial errors.

    A run warns when its score is >= ``threshold``.  The error of a rate p
    from n runs is the binomial ``sqrt(p(1-p)/n)``, floored at ``sqrt(1/n)/sqrt(n)``
    (= 1/n) when p is 0 or 1 (as :func:`hit_false_alarm_table`).

    Returns
    -------
    dict
        With ``hit``, ``hit_err``, ``false_alarm``, ``false_alarm_err``,
        ``n_pos``, ``n_neg`` (NaNs dropped).

    Examples
    --------
    >>> r = rates_at_threshold([0.6, 0.7, 0.2, 0.9], [0.1, 0.55, -0.3, 0.0], threshold=0.5)
    >>> r["hit"], r["false_alarm"]
    (0.75, 0.25)
    """
    threshold = v.real("threshold", threshold)
    p = np.asarray(score_pos, float)
    q = np.asarray(score_neg, float)
    p, q = p[np.isfinite(p)], q[np.isfinite(q)]
    if p.size == 0 or q.size == 0:
        raise ValueError("score_pos and score_neg need at least one finite score each")

    def rate(x):
        f = float(np.mean(x >= threshold))
        return f, float(np.sqrt(max(f * (1 - f), 1.0 / x.size) / x.size))

    hit, he = rate(p)
    fa, fe = rate(q)
    return {"hit": hit, "hit_err": he, "false_alarm": fa, "false_alarm_err": fe,
            "n_pos": int(p.size), "n_neg": int(q.size)}


def mean_tau(tau, condition=""):
    """Mean Kendall τ over runs with its standard error and a one-sided t-test p-value (τ > 0).

    Returns
    -------
    utacbook.claims.Measurement
    """
    from scipy import stats
    from utacbook.claims import Measurement
    t = np.asarray(tau, float)
    t = t[np.isfinite(t)]
    if t.size < 2:
        raise ValueError("tau needs at least two finite values")
    mu, se = float(t.mean()), float(t.std(ddof=1) / np.sqrt(t.size))
    p = float(stats.ttest_1samp(t, 0.0, alternative="greater").pvalue)
    ps = format_p(p)
    return Measurement(mu, se, condition=condition, p_value=p,
                       text=f"mean τ {mu:+.2f} ± {se:.2f} (p {ps if ps.startswith('<') else '= ' + ps}, "
                            f"{t.size} runs)")


#: families of runs in :func:`hard_null_study`
FAMILIES = ("ramp", "null_const", "null_field", "null_temp")


def _hn_setup(*, k, N, graph_seed, T, h_end, sweeps, every, T_null_end):
    """Graph and the field and temperature schedules of :func:`hard_null_study`."""
    import networkx as nx
    from utacbook.models import prepare_graph
    G = nx.random_regular_graph(k, N, seed=graph_seed)
    graph = prepare_graph(G)
    if list(graph.nodes) != list(G.nodes):
        raise RuntimeError("node order of the prepared graph differs from the networkx graph")
    h_sp = bethe_spinodal(k=k, T=T)
    rate = abs(h_end) / sweeps
    t_sp = int(round(abs(h_sp) / rate))
    t = np.arange(sweeps)
    fields = {"ramp": np.linspace(0.0, h_end, sweeps), "null_const": np.zeros(sweeps),
              "null_field": np.maximum(abs(h_sp) - rate * t, 0.0), "null_temp": np.zeros(sweeps)}
    tb = np.arange(sweeps // every) * every
    temps = {f: np.full(sweeps // every, float(T)) for f in FAMILIES}
    temps["null_temp"] = T + (T_null_end - T) * np.minimum(tb / t_sp, 1.0)
    return {"graph": graph, "A": _adjacency(G), "fields": fields, "temps": temps, "tb": tb,
            "h_sp": h_sp, "t_sp": t_sp, "sweeps": sweeps, "every": every}


def _hn_run(su, family, j, *, burn_in, seed):
    """Run j of one family of :func:`hard_null_study`: m per sweep and Q per snapshot."""
    fi = FAMILIES.index(family)
    r = record_run(su["graph"], T=su["temps"][family], h=su["fields"][family], sweeps=su["sweeps"],
                   every=su["every"], burn_in=burn_in, seed=np.random.SeedSequence([seed, 10 + fi, j]))
    return {"m": r["m"], "Q": spin_modularity(r["spins"], su["A"])}


def hard_null_rerun(study, family, run):
    """Re-run one run of a stored :func:`hard_null_study` and score it as the study did.

    Parameters
    ----------
    study : dict or StoredResult from :func:`hard_null_study`
    family : one of ``FAMILIES``
    run : int, 0 <= run < n_runs

    Returns
    -------
    dict
        Indicator key (as in ``study["tau"]``) → τ of this run; a spot check
        compares it with ``study["tau"][key][family][run]``.
    """
    P = study["params"]
    v.choice("family", family, set(FAMILIES))
    run = v.integer("run", run, low=0, high=P["n_runs"] - 1)
    su = _hn_setup(k=P["k"], N=P["N"], graph_seed=P["graph_seed"], T=P["T"], h_end=P["h_end"],
                   sweeps=P["sweeps"], every=P["every"], T_null_end=P["T_null_end"])
    r = _hn_run(su, family, run, burn_in=P["burn_in"], seed=P["seed"])
    cut = int(study["cut"][run])
    out = {}
    for i, bw in enumerate(P["bandwidths"]):
        sc = temporal_scores(r["m"][None, :], cut, window_frac=P["window_frac"], bandwidth=bw)
        for key, val in sc.items():
            out[f"{key}@{i}"] = float(val[0])
    out["modularity"] = float(snapshot_trend(r["Q"][None, :], cut // P["every"])[0])
    return out


def hard_null_study(*, k=4, N=1000, graph_seed=1, T=2.0, h_end=-0.5, sweeps=2000, burn_in=200,
                    n_runs=60, every=10, gap=20, T_null_end=2.6, window_frac=0.5,
                    bandwidths=(16.0, 28.0, 50.0, 89.0, 158.0), seed=11):
    """Field ramps toward a flip against three nulls, with configurations recorded.

    On a random k-regular graph (networkx ``random_regular_graph(k, N,
    seed=graph_seed)``), four families of ``n_runs`` runs each start from the
    all-up state after ``burn_in`` sweeps:

    * ``ramp``: field ramped 0 → ``h_end`` over ``sweeps`` sweeps (flips);
    * ``null_const``: field kept at 0 (the chapter's first null);
    * ``null_field``: field ramped *toward* h = 0 from ``|h_sp|`` (the Bethe
      spinodal's magnitude) at the ramp's rate, then kept at 0: χ rises
      without a tipping point;
    * ``null_temp``: h = 0, temperature ramped linearly from T to
      ``T_null_end`` (below the Bethe T_c) over the sweeps the ramp takes
      to reach the spinodal, then kept: a noise ramp with no flip ahead, but
      one that moves the up state toward the ordering critical point (for
      the defaults to 0.90 of the Bethe T_c), where it slows down too.

    Ramped run j is cut ``gap`` sweeps before its flip (first m < 0); run j
    of every null family is cut at the same sweep.  The temporal indicators
    (:func:`temporal_scores`) are scored at each detrending bandwidth; the
    spatial one, the spin modularity (:func:`spin_modularity`; on a regular
    graph exactly half the connected neighbour correlation, so the two rank
    alike) of the snapshots taken before the cut, by its Kendall τ
    (:func:`snapshot_trend`).

    Seeds: run j of family f (0-3, in the order above) uses
    ``SeedSequence([seed, 10 + f, j])``.

    Returns
    -------
    dict
        ``params``; ``flip`` (sweep, ramped runs), ``cut``; ``tau``:
        indicator → family → list over runs (temporal indicators at the
        bandwidth ``bandwidths[i]`` are keyed ``"variance@i"``...);
        ``curves``: family → mean and s.e.m. over runs of Q(t) and m(t) at
        the snapshot times up to the shortest cut; ``h_sp``.
    """
    su = _hn_setup(k=k, N=N, graph_seed=graph_seed, T=T, h_end=h_end, sweeps=sweeps, every=every,
                   T_null_end=T_null_end)
    fields, tb, h_sp, t_sp = su["fields"], su["tb"], su["h_sp"], su["t_sp"]
    runs = {}
    for fam in FAMILIES:
        ms, qs = [], []
        for j in range(n_runs):
            r = _hn_run(su, fam, j, burn_in=burn_in, seed=seed)
            ms.append(r["m"])
            qs.append(r["Q"])
        runs[fam] = {"m": np.array(ms), "Q": np.array(qs)}
    flip = flip_index(runs["ramp"]["m"])
    cut = np.where(flip >= 0, flip - gap, sweeps)
    n_snap = cut // every                       # snapshots taken at sweeps every-1, 2 every-1, ... < cut
    tau = {}
    for i, bw in enumerate(bandwidths):
        for fam in FAMILIES:
            sc = temporal_scores(runs[fam]["m"], cut, window_frac=window_frac, bandwidth=bw)
            for key, val in sc.items():
                tau.setdefault(f"{key}@{i}", {})[fam] = val
    tau["modularity"] = {fam: snapshot_trend(runs[fam]["Q"], n_snap) for fam in FAMILIES}
    n_min = int(n_snap.min())
    curves = {}
    for fam in FAMILIES:
        q = runs[fam]["Q"][:, :n_min]
        mm = runs[fam]["m"][:, every - 1::every][:, :n_min]
        curves[fam] = {"Q": q.mean(axis=0), "Q_err": q.std(axis=0, ddof=1) / np.sqrt(n_runs),
                       "m": mm.mean(axis=0), "m_err": mm.std(axis=0, ddof=1) / np.sqrt(n_runs)}
    params = dict(k=k, N=N, graph_seed=graph_seed, T=T, h_end=h_end, sweeps=sweeps, burn_in=burn_in,
                  n_runs=n_runs, every=every, gap=gap, T_null_end=T_null_end, window_frac=window_frac,
                  bandwidths=list(bandwidths), seed=seed)
    return {"params": params, "h_sp": h_sp, "t_sp": t_sp, "flip": flip, "cut": cut,
            "flip_h": np.where(flip >= 0, fields["ramp"][np.maximum(flip, 0)], -999.0),
            "null_flips": {fam: int(np.sum(flip_index(runs[fam]["m"]) >= 0)) for fam in FAMILIES[1:]},
            "tau": {ind: {fam: np.asarray(val) for fam, val in d.items()} for ind, d in tau.items()},
            "snap_sweeps": tb[:n_min] + every - 1, "curves": curves}


#: sign of each indicator's score: a flip toward m < 0 skews m downward, so the skewness should fall
SCORE_SIGN = {"variance": 1, "ac1": 1, "skewness": -1, "modularity": 1}


def hard_null_table(study, *, bandwidth_index=2, threshold=0.5, n_boot=1000, seed=0):
    """AUC (with bootstrap error and Mann-Whitney p) and fixed-threshold rates, per indicator and null.

    Parameters
    ----------
    study : dict or StoredResult from :func:`hard_null_study`
    bandwidth_index : int
        Which detrending bandwidth of the study to use for the temporal indicators.
    threshold : float
        Fixed warning threshold on the signed score (``SCORE_SIGN`` × τ).

    Returns
    -------
    list of dict
        One row per (indicator, null): ``indicator``, ``null``, ``auc``,
        ``auc_err``, ``p_value``, ``hit``, ``hit_err``, ``false_alarm``,
        ``false_alarm_err``, and the counts behind the rates: ``n_hit`` of
        ``n_pos`` ramped runs, ``n_false_alarm`` of ``n_neg`` null runs.
    """
    tau = study["tau"]
    rows = []
    for ind, sign in SCORE_SIGN.items():
        key = ind if ind in tau else f"{ind}@{bandwidth_index}"
        pos = sign * np.asarray(tau[key]["ramp"], float)
        for fam in FAMILIES[1:]:
            neg = sign * np.asarray(tau[key][fam], float)
            rows.append(_score_row(ind, fam, pos, neg, threshold=threshold, n_boot=n_boot, seed=seed))
    return rows


def _score_row(ind, fam, pos, neg, *, threshold, n_boot, seed):
    """One row of :func:`hard_null_table` / :func:`lattice_spatial_table`: scores of ramped runs
    ``pos`` against null runs ``neg``."""
    r = roc(pos, neg, n_boot=n_boot, seed=seed)
    rt = rates_at_threshold(pos, neg, threshold=threshold)
    return {"indicator": ind, "null": fam, "auc": r["auc"], "auc_err": r["auc_err"],
            "p_value": r["p_value"], "hit": rt["hit"], "hit_err": rt["hit_err"],
            "false_alarm": rt["false_alarm"], "false_alarm_err": rt["false_alarm_err"],
            "n_hit": int(round(rt["hit"] * rt["n_pos"])), "n_pos": rt["n_pos"],
            "n_false_alarm": int(round(rt["false_alarm"] * rt["n_neg"])), "n_neg": rt["n_neg"]}


def plot_hard_nulls(study, *, axes=None):
    """Ensemble means of m(t) and of the spin modularity Q(t) for the ramp and the three nulls."""
    import matplotlib.pyplot as plt
    if axes is None:
        fig, axes = plt.subplots(1, 2, figsize=(10, 3.6))
    else:
        fig = axes[0].figure
    t = np.asarray(study["snap_sweeps"])
    labels = {"ramp": "ramp 0 → h_end (flips)", "null_const": "null: h = 0",
              "null_field": "null: h → 0 from |h_sp|", "null_temp": "null: T ramp, h = 0"}
    for fam, lab in labels.items():
        c = study["curves"][fam]
        for ax, key in ((axes[0], "m"), (axes[1], "Q")):
            mu, se = np.asarray(c[key]), np.asarray(c[f"{key}_err"])
            ax.plot(t, mu, lw=1.2, label=lab)
            ax.fill_between(t, mu - 2 * se, mu + 2 * se, alpha=0.25)
    axes[0].set(xlabel="sweep", ylabel="mean m", title="magnetisation per spin")
    axes[1].set(xlabel="sweep", ylabel="mean Q", title="spin modularity Q (before the earliest cut)")
    axes[0].legend(fontsize=7)
    fig.tight_layout()
    return fig, axes


def bandwidth_scan(study, *, threshold=0.5, n_boot=1000, seed=0):
    """:func:`hard_null_table` at every detrending bandwidth of the study.

    Returns
    -------
    list of dict
        The rows of :func:`hard_null_table`, each with a ``bandwidth`` entry (sweeps).
    """
    scan = []
    for i, bw in enumerate(study["params"]["bandwidths"]):
        for row in hard_null_table(study, bandwidth_index=i, threshold=threshold, n_boot=n_boot, seed=seed):
            scan.append({**row, "bandwidth": float(bw)})
    return scan


def plot_auc_vs_bandwidth(scan, *, axes=None):
    """AUC of each temporal indicator against each null, against the detrending bandwidth.

    ``scan`` is a :func:`bandwidth_scan` result.  The modularity, which is not
    detrended, is drawn as a dashed grey line (its value) in a band (± its error).

    Returns
    -------
    fig, axes
    """
    import matplotlib.pyplot as plt
    bws = sorted({r["bandwidth"] for r in scan})
    if axes is None:
        fig, axes = plt.subplots(1, 3, figsize=(11, 3.4), sharey=True)
    else:
        fig = axes[0].figure
    titles = {"null_const": "against h = 0", "null_field": "against h → 0 ramp",
              "null_temp": "against T ramp"}
    for ax, fam in zip(axes, FAMILIES[1:]):
        for ind, mk in (("variance", "o"), ("ac1", "s"), ("skewness", "^"), ("modularity", "")):
            rows = [r for r in scan if r["indicator"] == ind and r["null"] == fam]
            a = np.array([r["auc"] for r in rows])
            e = np.array([r["auc_err"] for r in rows])
            lab = {"ac1": "lag-1 AC", "skewness": "−skewness"}.get(ind, ind)
            if ind == "modularity":
                ax.axhspan(a[0] - e[0], a[0] + e[0] + 1e-3, color="grey", alpha=0.3)
                ax.axhline(a[0], color="grey", ls="--", lw=2, zorder=3, label="modularity Q (not detrended)")
            else:
                ax.errorbar(bws, a, e, marker=mk, ms=4, capsize=2, label=lab)
        ax.axhline(0.5, color="k", ls=":", lw=1)
        ax.set(xscale="log", xlabel="detrending bandwidth (sweeps)", title=titles[fam], ylim=(-0.03, 1.08))
        ax.set_xticks(bws, [f"{b:g}" for b in bws])
        ax.minorticks_off()
    axes[0].set_ylabel("AUC (ramped vs null)")
    axes[0].legend(fontsize=7, loc="lower left")
    fig.tight_layout()
    return fig, axes


# --------------------------------------------------------------------------
# square lattice: correlation length, spatial variance and skewness
# --------------------------------------------------------------------------

#: families of runs in :func:`lattice_spatial_study`
LAT_FAMILIES = ("ramp", "null_const", "null_temp")


def block_means(spins, b):
    """Means of the spins over the non-overlapping b×b blocks of L×L configurations.

    Parameters
    ----------
    spins : array_like, shape (L, L) or (n, L, L)
    b : int >= 1 dividing L

    Returns
    -------
    ndarray, shape (n, L // b, L // b)

    Examples
    --------
    >>> import numpy as np
    >>> block_means(np.arange(16.0).reshape(4, 4), 2)[0]
    array([[ 2.5,  4.5],
           [10.5, 12.5]])
    """
    a = v.real_array("spins", spins)
    if a.ndim == 2:
        a = a[None]
    if a.ndim != 3 or a.shape[1] != a.shape[2]:
        raise ValueError(f"spins must have shape (L, L) or (n, L, L), got {np.shape(spins)}")
    L = a.shape[1]
    b = v.integer("b", b, low=1, high=L)
    if L % b:
        raise ValueError(f"b must divide L={L}, got {b}")
    n = a.shape[0]
    return a.reshape(n, L // b, b, L // b, b).mean(axis=(2, 4))


def spatial_indicators(spins, *, b=4, window=10):
    r"""Per-snapshot spatial indicators of square-lattice configurations.

    * ``xi2``: the squared second-moment correlation length
      (:func:`second_moment_xi`, ``signed=True``) from the *connected*
      :math:`S(0) = N\,\mathrm{Var}(m)` and :math:`S(q_{\min})`, both estimated
      over a trailing window of ``window`` snapshots (the snapshot and the
      ``window - 1`` before it; NaN for the first ``window - 1``): Var(m) is
      the sample variance (ddof 1) of the snapshots' magnetisations, S(q_min)
      the mean of :func:`structure_factor` over the window.  A single
      configuration has no connected S(0), hence the window.
    * ``svar``: the spatial variance of the b×b block means (Dakos et al.
      2010), one value per snapshot.
    * ``sskew``: the skewness of the b×b block means, one value per snapshot
      (0 when the variance is 0).

    Parameters
    ----------
    spins : array_like, shape (n_snapshots, L, L)
    b : int, block size dividing L
    window : int >= 2, snapshots per ξ estimate

    Returns
    -------
    dict of ndarray, shape (n_snapshots,)
        ``xi2``, ``svar``, ``sskew``, and ``m`` (magnetisation per snapshot).

    Examples
    --------
    >>> import numpy as np
    >>> s = np.where(np.random.default_rng(0).random((30, 16, 16)) < 0.5, -1, 1)
    >>> r = spatial_indicators(s, b=4, window=10)
    >>> bool(np.isnan(r["xi2"][8])), bool(np.isfinite(r["xi2"][9])), r["svar"].shape
    (True, True, (30,))
    """
    a = v.real_array("spins", spins)
    if a.ndim != 3 or a.shape[1] != a.shape[2]:
        raise ValueError(f"spins must have shape (n, L, L), got {np.shape(spins)}")
    n, L = a.shape[0], a.shape[1]
    window = v.integer("window", window, low=2)
    m = a.mean(axis=(1, 2))
    s1 = structure_factor(a)
    xi2 = np.full(n, np.nan)
    for i in range(window - 1, n):
        sl = slice(i - window + 1, i + 1)
        s0c = L * L * np.var(m[sl], ddof=1)
        xi2[i] = second_moment_xi(s0c, np.mean(s1[sl]), L, signed=True)
    B = block_means(a, b).reshape(n, -1)
    d = B - B.mean(axis=1, keepdims=True)
    var = np.mean(d ** 2, axis=1)
    m3 = np.mean(d ** 3, axis=1)
    skew = np.where(var > 0, m3 / np.where(var > 0, var, 1.0) ** 1.5, 0.0)
    return {"xi2": xi2, "svar": var, "sskew": skew, "m": m}


def _lat_schedule(family, *, T, h_end, sweeps, every, T_null_end):
    tb = np.arange(sweeps // every) * every
    if family == "ramp":
        return np.full(tb.size, float(T)), np.linspace(0.0, h_end, sweeps)
    if family == "null_const":
        return np.full(tb.size, float(T)), np.zeros(sweeps)
    return T + (T_null_end - T) * tb / sweeps, np.zeros(sweeps)


def _lat_run(P, family, j):
    Ts, hs = _lat_schedule(family, T=P["T"], h_end=P["h_end"], sweeps=P["sweeps"], every=P["every"],
                           T_null_end=P["T_null_end"])
    fi = LAT_FAMILIES.index(family)
    r = record_run(P["L"], T=Ts, h=hs, sweeps=P["sweeps"], every=P["every"], burn_in=P["burn_in"],
                   seed=np.random.SeedSequence([P["seed"], 20 + fi, j]))
    return r["m"], spatial_indicators(r["spins"], b=P["b"], window=P["window"])


def _lat_scores(ind, n_snap, window):
    """Kendall τ over the snapshots before the cut; ξ² from its first finite value on."""
    out = {}
    for key in ("svar", "sskew"):
        out[key] = float(snapshot_trend(ind[key][None, :], n_snap)[0])
    w0 = window - 1
    out["xi2"] = float(snapshot_trend(ind["xi2"][None, w0:], max(n_snap - w0, 0))[0])
    return out


def lattice_spatial_study(*, L=32, T=1.5, h_end=-0.5, sweeps=2000, burn_in=200, n_runs=40, every=10,
                          gap=20, T_null_end=2.2, b=4, window=10, seed=31):
    r"""Spatial indicators before a flip on the square lattice, against two nulls.

    Three families of ``n_runs`` runs on the periodic L×L lattice (heat bath,
    all spins up, ``burn_in`` sweeps at the family's first T and h), the
    configuration recorded every ``every`` sweeps (:func:`record_run`):

    * ``ramp``: field ramped 0 → ``h_end`` over ``sweeps`` sweeps at T (flips by nucleation);
    * ``null_const``: h = 0 at T;
    * ``null_temp``: h = 0, T ramped linearly from T toward ``T_null_end``
      (below Onsager's T_c for the defaults) over ``sweeps`` sweeps, one step
      per block of ``every`` sweeps: a hard null that approaches the
      critical point with no flip ahead.

    Ramped run j is cut ``gap`` sweeps before its flip (first sweep with m < 0;
    at ``sweeps`` if it does not flip), run j of each null at the same sweep.
    Per snapshot :func:`spatial_indicators` gives ξ² (trailing window of
    ``window`` snapshots), the spatial variance and skewness of the b×b block
    means; each is scored by its Kendall τ over the snapshots before the cut
    (ξ² over those with a full window).  Run j of family f (0-2, in the
    order above) uses ``SeedSequence([seed, 20 + f, j])``.

    Returns
    -------
    dict
        ``params``, ``flip`` (sweep of the ramped runs, -1 if none), ``flip_h`` (-999 if none),
        ``cut``, ``null_flips`` (family → count), ``tau`` (indicator → family →
        τ per run), ``xi`` (family → mean over runs of ξ at the last full
        window before the cut, ξ² clipped at 0), ``xi_runs`` (family → that ξ
        per run), ``curves`` (family → mean over runs of
        ``xi2``, ``svar`` and ``m`` at the snapshots ``snap_sweeps``: from the
        first full ξ window to the earliest cut), and ``curves_before``
        (family → mean over runs of ``xi2``, ``svar``, ``sskew``, ``m`` and
        their standard errors ``<key>_err`` over runs, at the last snapshots
        before each run's cut, aligned on the cut: ``before_flip`` gives the
        sweeps from the snapshot to the ramped run's flip).

    Examples
    --------
    >>> r = lattice_spatial_study(L=8, T=1.5, sweeps=100, burn_in=10, n_runs=2, every=5, window=4,
    ...                           b=2, seed=1)
    >>> sorted(r["tau"]), r["cut"].shape
    (['sskew', 'svar', 'xi2'], (2,))
    """
    L = v.integer("L", L, low=4)
    T = v.real("T", T, positive=True)
    T_null_end = v.real("T_null_end", T_null_end, positive=True)
    n_runs = v.integer("n_runs", n_runs, low=2)
    gap = v.integer("gap", gap, low=0)
    P = dict(L=L, T=T, h_end=float(h_end), sweeps=int(sweeps), burn_in=int(burn_in), n_runs=n_runs,
             every=int(every), gap=gap, T_null_end=T_null_end, b=int(b), window=int(window), seed=int(seed))
    runs = {}
    for fam in LAT_FAMILIES:
        runs[fam] = [_lat_run(P, fam, j) for j in range(n_runs)]
    m_ramp = np.array([r[0] for r in runs["ramp"]])
    flip = flip_index(m_ramp)
    cut = np.where(flip >= 0, flip - gap, P["sweeps"])
    n_snap = cut // P["every"]
    tau = {key: {} for key in ("xi2", "svar", "sskew")}
    xi_end, xi_end_runs, curves, before = {}, {}, {}, {}
    n_min = int(n_snap.min())
    w0 = P["window"] - 1                           # ξ² starts at the first full window
    k_bef = max(n_min - w0, 0)                     # snapshots aligned on the cut, all with a full ξ window
    for fam in LAT_FAMILIES:
        sc = [_lat_scores(runs[fam][j][1], int(n_snap[j]), P["window"]) for j in range(n_runs)]
        for key in tau:
            tau[key][fam] = np.array([s[key] for s in sc])
        last = np.array([runs[fam][j][1]["xi2"][max(int(n_snap[j]) - 1, 0)] for j in range(n_runs)])
        xi_end_runs[fam] = np.sqrt(np.maximum(last, 0.0))
        xi_end[fam] = float(np.nanmean(xi_end_runs[fam]))
        curves[fam] = {key: np.mean([runs[fam][j][1][key][w0:n_min] for j in range(n_runs)], axis=0)
                       for key in ("xi2", "svar", "m")}
        before[fam] = {}
        for key in ("xi2", "svar", "sskew", "m"):
            a = np.array([runs[fam][j][1][key][int(n_snap[j]) - k_bef:int(n_snap[j])] for j in range(n_runs)])
            before[fam][key] = a.mean(axis=0)
            before[fam][key + "_err"] = a.std(axis=0, ddof=1) / np.sqrt(n_runs)
    fh = np.where(flip >= 0, np.linspace(0.0, h_end, P["sweeps"])[np.maximum(flip, 0)], -999.0)
    return {"params": P, "flip": flip, "flip_h": fh, "cut": cut,
            "null_flips": {f: int(np.sum(flip_index(np.array([r[0] for r in runs[f]])) >= 0))
                           for f in LAT_FAMILIES[1:]},
            "tau": tau, "xi": xi_end, "xi_runs": xi_end_runs,
            "snap_sweeps": np.arange(P["window"] - 1, n_min) * P["every"] + P["every"] - 1,
            "curves": curves, "before_flip": (P["gap"] + P["every"] * np.arange(k_bef, 0, -1)).astype(float),
            "curves_before": before}


def lattice_spatial_rerun(study, family, run):
    """Re-run run ``run`` of ``family`` of a stored :func:`lattice_spatial_study`; its τ per indicator."""
    P = dict(study["params"])
    v.choice("family", family, set(LAT_FAMILIES))
    run = v.integer("run", run, low=0, high=P["n_runs"] - 1)
    _, ind = _lat_run(P, family, run)
    return _lat_scores(ind, int(study["cut"][run]) // P["every"], P["window"])


#: sign of each lattice indicator's score (a flip toward m < 0 skews the block means downward)
LAT_SIGN = {"xi2": 1, "svar": 1, "sskew": -1}


def lattice_spatial_table(study, *, threshold=0.5, n_boot=1000, seed=0, positive="ramp"):
    """AUC (bootstrap error, Mann-Whitney p) and fixed-threshold rates per lattice indicator and null.

    Rows as :func:`hard_null_table`; the score is ``LAT_SIGN`` × τ.  ``positive``
    names the family scored as positives (default the ramped runs; ``"null_temp"``
    scores the temperature ramp against h = 0, a positive control for ξ).
    """
    v.choice("positive", positive, set(LAT_FAMILIES))
    rows = []
    for ind, sign in LAT_SIGN.items():
        pos = sign * np.asarray(study["tau"][ind][positive], float)
        for fam in LAT_FAMILIES[1:]:
            if fam == positive:
                continue
            neg = sign * np.asarray(study["tau"][ind][fam], float)
            rows.append(_score_row(ind, fam, pos, neg, threshold=threshold, n_boot=n_boot, seed=seed))
    return rows


def plot_lattice_spatial(study, *, axes=None):
    """Mean over runs (±2 s.e.m.) of the spatial variance of block means and of ξ², per family of a
    :func:`lattice_spatial_study`, against the sweeps before the ramped run's flip (runs aligned on their cut).

    Returns
    -------
    fig, axes
    """
    import matplotlib.pyplot as plt
    if axes is None:
        fig, axes = plt.subplots(1, 2, figsize=(10, 3.6))
    else:
        fig = axes[0].figure
    t = -np.asarray(study["before_flip"], float)
    P = study["params"]
    labels = {"ramp": f"ramp 0 → {P['h_end']:g} (flips)", "null_const": "null: h = 0",
              "null_temp": f"null: T ramp {P['T']:g} → {P['T_null_end']:g}, h = 0"}
    for fam, lab in labels.items():
        c = study["curves_before"][fam]
        for ax, key in zip(axes, ("svar", "xi2")):
            y, e = np.asarray(c[key], float), np.asarray(c[key + "_err"], float)
            line, = ax.plot(t, y, lw=1.2, label=lab)
            ax.fill_between(t, y - 2 * e, y + 2 * e, color=line.get_color(), alpha=0.2, lw=0)
    axes[1].axhline(0.0, color="0.5", lw=0.6)
    b = P["b"]
    axes[0].set(xlabel="sweeps relative to the flip", ylabel="mean spatial variance", yscale="log",
                title=f"variance of {b}×{b} block means")
    axes[1].set(xlabel="sweeps relative to the flip", ylabel="mean ξ² (lattice units²)",
                title=f"second-moment ξ², windows of {P['window']} snapshots")
    axes[0].legend(fontsize=7)
    fig.tight_layout()
    return fig, axes
