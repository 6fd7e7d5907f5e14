"""Statistics of Monte Carlo time series: autocorrelation times and error bars.

Successive samples of a Markov chain are correlated, so the naive error of a
mean, :math:`\\sigma/\\sqrt{n}`, is too small by a factor
:math:`\\sqrt{2\\tau_{\\rm int}}`.  This module estimates

* the integrated autocorrelation time
  :math:`\\tau_{\\rm int} = \\tfrac12 + \\sum_{t \\ge 1} \\rho(t)` with Sokal's
  automatic window (:func:`integrated_autocorrelation_time`);
* the error of a mean by blocking (binning) analysis (:func:`binning_error`)
  or from :math:`\\tau_{\\rm int}` (:func:`mean_with_error`);
* the error of a nonlinear function of means (susceptibility, specific heat,
  Binder cumulant) by the jackknife over bins (:func:`jackknife`,
  :func:`susceptibility`, :func:`specific_heat`, :func:`binder_cumulant`).

Conventions: with this definition an uncorrelated series has
:math:`\\tau_{\\rm int} = 1/2` and the variance of the mean of ``n`` samples is
:math:`2\\tau_{\\rm int}\\,\\sigma^2/n`.  Times are in units of the sampling
interval (sweeps, for :mod:`utacbook.models`).
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np

from utacbook import _validate as v

__all__ = [
    "autocorrelation", "integrated_autocorrelation_time", "binning_error", "BinningResult",
    "mean_with_error", "jackknife", "susceptibility", "specific_heat", "binder_cumulant",
]


def _series(name, x, min_len=2):
    return v.real_array(name, x, ndim=1, min_len=min_len)


def autocorrelation(x):
    """Normalised autocorrelation function :math:`\\rho(t)`, t = 0 .. n-1 (FFT, O(n log n)).

    Uses the standard biased estimator
    :math:`C(t) = \\frac1n\\sum_{i=0}^{n-1-t} (x_i-\\bar x)(x_{i+t}-\\bar x)`,
    :math:`\\rho(t) = C(t)/C(0)`.  A constant series returns ``rho = [1, 0, 0, ...]``.

    Examples
    --------
    An AR(1) series :math:`x_t = a x_{t-1} + \\epsilon_t` has :math:`\\rho(t) = a^t`;
    with a = 0.8 and 20000 points the estimate agrees with it within its statistical
    error (a few thousandths):

    >>> import numpy as np
    >>> from utacbook.stats import autocorrelation
    >>> rng = np.random.default_rng(0)
    >>> x = np.zeros(20000)
    >>> for t in range(1, x.size):
    ...     x[t] = 0.8 * x[t - 1] + rng.normal()
    >>> rho = autocorrelation(x)
    >>> rho.shape, float(rho[0])
    ((20000,), 1.0)
    >>> rho[1:4].round(3).tolist()          # 0.8, 0.64, 0.512
    [0.803, 0.646, 0.516]
    >>> bool(np.allclose(rho[1:4], 0.8 ** np.arange(1, 4), atol=0.01))
    True
    >>> autocorrelation(np.ones(4)).tolist()          # a constant series
    [1.0, 0.0, 0.0, 0.0]
    """
    x = _series("x", x)
    n = x.size
    d = x - x.mean()
    nfft = 1 << (2 * n - 1).bit_length()
    f = np.fft.rfft(d, nfft)
    c = np.fft.irfft(f * np.conj(f), nfft)[:n]
    if not c[0] > 0:
        rho = np.zeros(n)
        rho[0] = 1.0
        return rho
    return c / c[0]


def integrated_autocorrelation_time(x, c=5.0):
    """Integrated autocorrelation time with Sokal's automatic windowing.

    :math:`\\tau_{\\rm int}(W) = \\tfrac12 + \\sum_{t=1}^{W}\\rho(t)`, evaluated at
    the smallest window ``W`` with ``W >= c * tau_int(W)`` (Sokal 1997; Madras &
    Sokal 1988).  The statistical error of the estimate is about
    :math:`\\tau_{\\rm int}\\sqrt{2(2W+1)/n}`.

    Parameters
    ----------
    x : array_like, 1-D, at least 2 finite values
        The time series.
    c : float > 0, default 5
        Window factor; 4-10 are common.  Larger c: less bias, more noise.

    Returns
    -------
    tau : float
        :math:`\\tau_{\\rm int}` in sampling intervals (0.5 for uncorrelated data,
        and for a constant series).  If no window up to ``n - 1`` satisfies
        the criterion the series is too short and the value at ``W = n - 1``
        is returned (an underestimate).  An estimate <= 0, possible only for
        a handful of strongly anticorrelated points, is replaced by 0.5.

    Examples
    --------
    An AR(1) series :math:`x_t = a x_{t-1} + \\epsilon_t` has
    :math:`\\tau_{\\rm int} = \\tfrac12 (1 + a)/(1 - a)`, here 4.5:

    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> x = np.zeros(20000)
    >>> for t in range(1, x.size):
    ...     x[t] = 0.8 * x[t - 1] + rng.normal()
    >>> 4.0 < integrated_autocorrelation_time(x) < 5.0
    True
    >>> integrated_autocorrelation_time(np.ones(10))     # constant series
    0.5
    """
    c = v.real("c", c, positive=True)
    rho = autocorrelation(x)
    tau = 0.5 + np.cumsum(rho[1:])  # tau[W-1] = tau_int(W)
    W = np.arange(1, rho.size)
    ok = W >= c * tau
    if not ok.any():
        out = float(tau[-1]) if tau.size else 0.5
    else:
        out = float(tau[np.argmax(ok)])
    # A true tau_int is positive; an estimate <= 0 comes only from a few strongly
    # anticorrelated points (e.g. n = 2..4) and would give a zero or imaginary error.
    return out if out > 0 else 0.5


class BinningResult(NamedTuple):
    """Result of :func:`binning_error`.

    Examples
    --------
    A named tuple ``(error, n_blocks, block_size)``; the blocks at the chosen level
    use all the samples of a series whose length is a power of two:

    >>> import numpy as np
    >>> from utacbook.stats import binning_error
    >>> r = binning_error(np.random.default_rng(1).normal(size=4096))
    >>> type(r).__name__, r._fields
    ('BinningResult', ('error', 'n_blocks', 'block_size'))
    >>> r.n_blocks * r.block_size
    4096
    >>> err, n_blocks, block_size = r
    >>> err == r.error
    True
    """

    #: standard error of the mean at the plateau
    error: float
    #: number of blocks at the chosen level
    n_blocks: int
    #: samples per block at the chosen level
    block_size: int


def binning_error(x, min_blocks=32):
    """Standard error of the mean by blocking (binning) analysis.

    The series is averaged in blocks of 1, 2, 4, ... samples; at each level
    the naive error of the block means, :math:`s_k/\\sqrt{n_k}`, rises with the
    block size until the blocks are longer than the correlation time, then
    stays on a plateau.  The plateau starts at the first level ``k`` after
    which no level rises significantly above it, i.e.
    ``err_j <= err_k + 2 * delta_j`` for all later levels ``j``, where
    :math:`\\delta_j = \\mathrm{err}_j/\\sqrt{2(n_j-1)}` is the error of the error.
    Because a block of ``b`` samples still underestimates the variance of the
    mean by a relative amount of order :math:`\\tau_{\\rm int}/b` -- too little to
    be seen against :math:`\\delta_j` in a single run -- the level used is also
    required to have ``block_size >= 16 * tau_int`` (Sokal's estimate), keeping that
    bias to a few per cent; levels with fewer than ``min_blocks`` blocks are
    never used.  A trailing remainder that does not fill a block is dropped.

    Parameters
    ----------
    x : array_like, 1-D, at least 2 finite values
    min_blocks : int >= 2, default 32
        Levels with fewer blocks are not used (their errors are too noisy).
        Series shorter than ``2 * min_blocks`` use the unblocked level only.

    Returns
    -------
    BinningResult
        ``(error, n_blocks, block_size)``.

    Examples
    --------
    For independent samples the error is close to the naive :math:`\\sigma/\\sqrt n`:

    >>> import numpy as np
    >>> x = np.random.default_rng(1).normal(size=4096)
    >>> r = binning_error(x)
    >>> r.n_blocks, r.block_size
    (512, 8)
    >>> round(float(r.error / (x.std(ddof=1) / np.sqrt(x.size))), 2)
    1.02
    """
    x = _series("x", x)
    min_blocks = v.integer("min_blocks", min_blocks, low=2)
    errs, nbs, sizes = [], [], []
    blocks = x.copy()
    size = 1
    while True:
        nb = blocks.size
        if nb < 2 or (errs and nb < min_blocks):
            break
        errs.append(float(np.std(blocks, ddof=1) / math.sqrt(nb)))
        nbs.append(nb)
        sizes.append(size)
        m = nb // 2
        blocks = 0.5 * (blocks[0:2 * m:2] + blocks[1:2 * m:2])
        size *= 2
    errs = np.array(errs)
    delta = errs / np.sqrt(2.0 * (np.array(nbs) - 1.0))
    k_plateau = errs.size - 1
    for k in range(errs.size):
        if np.all(errs[k + 1:] <= errs[k] + 2.0 * delta[k + 1:]):
            k_plateau = k
            break
    b_min = 16.0 * integrated_autocorrelation_time(x)
    sizes_arr = np.array(sizes)
    k_tau = int(np.argmax(sizes_arr >= b_min)) if np.any(sizes_arr >= b_min) else errs.size - 1
    k = max(k_plateau, k_tau)
    return BinningResult(float(errs[k]), int(nbs[k]), int(sizes[k]))


def mean_with_error(x, c=5.0):
    """Mean, its error accounting for autocorrelation, and :math:`\\tau_{\\rm int}`.

    The error is :math:`\\sqrt{2\\tau_{\\rm int}\\,\\mathrm{Var}(x)/n}` with
    :math:`\\tau_{\\rm int}` from :func:`integrated_autocorrelation_time`.

    Returns
    -------
    (mean, error, tau_int) : tuple of float

    Examples
    --------
    For an AR(1) series with coefficient a = 0.8 and unit noise, :math:`\\tau_{\\rm int} = 4.5` and
    the exact error of the mean of n points is :math:`\\sqrt{2\\tau_{\\rm int}/((1-a^2)\\,n)}`,
    0.0354 for n = 20000, three times the naive :math:`\\sigma/\\sqrt n`:

    >>> import numpy as np
    >>> from utacbook.stats import mean_with_error
    >>> rng = np.random.default_rng(0)
    >>> x = np.zeros(20000)
    >>> for t in range(1, x.size):
    ...     x[t] = 0.8 * x[t - 1] + rng.normal()
    >>> mean, err, tau = mean_with_error(x)
    >>> round(err, 4), round(tau, 2)                # exact: 0.0354 and 4.5
    (0.0372, 4.94)
    >>> bool(abs(mean) < 2 * err)                  # the true mean is 0
    True
    >>> bool(np.isclose(err, np.sqrt(2 * tau) * x.std() / np.sqrt(x.size)))   # the naive error x sqrt(2 tau)
    True
    """
    x = _series("x", x)
    tau = integrated_autocorrelation_time(x, c)
    err = math.sqrt(2.0 * tau * np.var(x) / x.size)
    return float(x.mean()), err, tau


def _default_bins(series, n):
    tau = max(integrated_autocorrelation_time(s) for s in series)
    per_bin = max(1, math.ceil(20.0 * tau))
    return int(min(100, max(20, n // per_bin), n))


def jackknife(func, *series, n_bins=None):
    """Value and jackknife error of ``func(mean(series[0]), mean(series[1]), ...)``.

    The series (equal length) are cut into ``n_bins`` consecutive bins (a
    trailing remainder is dropped); the estimate leaving bin ``i`` out is
    :math:`f_i = f(\\bar x^{(i)}, \\ldots)` and the error is
    :math:`\\sqrt{\\frac{B-1}{B}\\sum_i (f_i - \\bar f)^2}`.  For a linear
    ``func`` this equals the plain error of the bin means.  Bins must be much
    longer than the autocorrelation time for the error to be right.

    Parameters
    ----------
    func : callable
        Takes one float (or array) per series, returns a float.  It is
        called vectorised: each argument is a 1-D array of the ``B`` leave-one-out means.
    *series : array_like, 1-D, equal lengths
    n_bins : int >= 2 or None
        None chooses ``B = n // ceil(20 tau_max)`` clipped to [20, 100] (and to
        n), where tau_max is the largest :math:`\\tau_{\\rm int}` of the series.

    Returns
    -------
    (value, error) : tuple of float
        ``value`` is ``func`` of the full means (no bias correction).

    Examples
    --------
    For the mean itself (a linear ``func``) with one sample per bin, the jackknife
    error is exactly the standard error :math:`s/\\sqrt n`:

    >>> import numpy as np
    >>> from utacbook.stats import jackknife
    >>> x = np.random.default_rng(0).normal(size=1000)
    >>> value, err = jackknife(lambda a: a, x, n_bins=1000)
    >>> bool(np.isclose(value, x.mean())), bool(np.isclose(err, x.std(ddof=1) / np.sqrt(x.size)))
    (True, True)

    A non-linear function of two means, the variance :math:`\\langle x^2\\rangle - \\langle x\\rangle^2`
    (1 for these standard normal samples; its error is about :math:`\\sqrt{2/n}`):

    >>> value, err = jackknife(lambda a, b: b - a * a, x, x * x, n_bins=50)
    >>> bool(abs(value - 1.0) < 2 * err), round(err, 3)
    (True, 0.042)
    """
    if not callable(func):
        raise TypeError(f"func must be callable, got {type(func).__name__} {func!r}")
    if not series:
        raise ValueError("series: give at least one time series")
    xs = [_series(f"series[{k}]", s) for k, s in enumerate(series)]
    n = xs[0].size
    if any(s.size != n for s in xs):
        raise ValueError("series must all have the same length")
    if n_bins is None:
        n_bins = _default_bins(xs, n)
    n_bins = v.integer("n_bins", n_bins, low=2, high=n)
    b = n // n_bins
    bin_means = [s[:b * n_bins].reshape(n_bins, b).mean(axis=1) for s in xs]
    totals = [bm.sum() for bm in bin_means]
    loo = [(t - bm) / (n_bins - 1) for t, bm in zip(totals, bin_means)]
    f_i = np.asarray(func(*loo), dtype=float)
    value = float(func(*[t / n_bins for t in totals]))
    err = math.sqrt((n_bins - 1) / n_bins * np.sum((f_i - f_i.mean()) ** 2))
    return value, err


def susceptibility(m, T, N, *, n_bins=None):
    """:math:`\\chi = N(\\langle m^2\\rangle - \\langle |m|\\rangle^2)/T` with jackknife error.

    ``m`` is the magnetisation per spin, ``N`` the number of spins, ``T`` in
    units of J/k_B (k_B = 1).  Using :math:`|m|` is the usual finite-system
    choice at zero field (``<m> = 0`` by symmetry in a long run).

    Examples
    --------
    The value is the formula applied to the sample means; a series with constant
    ``|m|`` (here a perfectly ordered system flipping between +-1/2) has no
    fluctuations of ``|m|``, so chi = 0:

    >>> import numpy as np
    >>> from utacbook.stats import susceptibility
    >>> rng = np.random.default_rng(0)
    >>> m = rng.normal(0.0, 0.1, size=1000)
    >>> chi, err = susceptibility(m, T=2.0, N=64, n_bins=20)
    >>> bool(np.isclose(chi, 64 * (np.mean(m ** 2) - np.mean(np.abs(m)) ** 2) / 2.0)), bool(err > 0)
    (True, True)
    >>> susceptibility(rng.choice([-0.5, 0.5], size=1000), T=2.0, N=64)
    (0.0, 0.0)
    """
    m = _series("m", m)
    T = v.real("T", T, positive=True)
    N = v.integer("N", N, low=1)
    return jackknife(lambda a, b: N * (b - a * a) / T, np.abs(m), m * m, n_bins=n_bins)


def specific_heat(e, T, N, *, n_bins=None):
    """:math:`C = N(\\langle e^2\\rangle - \\langle e\\rangle^2)/T^2` per spin, jackknife error.

    ``e`` is the energy per spin (units of J), k_B = 1.

    Examples
    --------
    The value is :math:`N\\,\\mathrm{Var}(e)/T^2` of the series (population variance); for
    these samples of standard deviation 0.1 the true value is 64 x 0.01 / 4 = 0.16:

    >>> import numpy as np
    >>> from utacbook.stats import specific_heat
    >>> e = np.random.default_rng(0).normal(-1.5, 0.1, size=1000)
    >>> C, err = specific_heat(e, T=2.0, N=64, n_bins=20)
    >>> bool(np.isclose(C, 64 * np.var(e) / 2.0 ** 2)), round(C, 3), round(err, 3)
    (True, 0.153, 0.008)
    >>> bool(abs(C - 0.16) < 2 * err)
    True
    """
    e = _series("e", e)
    T = v.real("T", T, positive=True)
    N = v.integer("N", N, low=1)
    return jackknife(lambda a, b: N * (b - a * a) / (T * T), e, e * e, n_bins=n_bins)


def binder_cumulant(m, *, n_bins=None):
    """Binder cumulant :math:`U = 1 - \\langle m^4\\rangle / (3\\langle m^2\\rangle^2)`, jackknife error.

    U -> 2/3 in the ordered phase and -> 0 in the disordered phase.  For a
    series that is identically 0 (e.g. an antiferromagnet frozen in a
    checkerboard) U is undefined and ``(nan, nan)`` is returned, without
    warnings.

    Examples
    --------
    Samples of ``+-1`` (an ordered phase) give exactly 2/3, with no spread between bins;
    Gaussian samples (a disordered phase) give 0 within the error:

    >>> import numpy as np
    >>> from utacbook.stats import binder_cumulant
    >>> rng = np.random.default_rng(0)
    >>> U, err = binder_cumulant(rng.choice([-1.0, 1.0], size=1000))
    >>> round(U, 12), round(err, 12)
    (0.666666666667, 0.0)
    >>> U, err = binder_cumulant(rng.normal(size=10000))
    >>> bool(abs(U) < 2 * err)
    True
    >>> binder_cumulant(np.zeros(100))             # undefined
    (nan, nan)
    """
    m = _series("m", m)
    m2 = m * m
    if not np.any(m):  # <m^2> = 0: U = 1 - 0/0 is undefined
        with np.errstate(divide="ignore", invalid="ignore"):
            return jackknife(lambda a, b: 1.0 - b / (3.0 * a * a), m2, m2 * m2, n_bins=n_bins)
    return jackknife(lambda a, b: 1.0 - b / (3.0 * a * a), m2, m2 * m2, n_bins=n_bins)


def fraction_error(k, n):
    """Posterior standard deviation of a success fraction k/n.

    The standard deviation of the Beta(k + 1, n - k + 1) posterior (uniform
    prior), which, unlike the binomial sqrt(f(1-f)/n), is not zero when all n
    runs agree.  Works element-wise on arrays.

    Parameters
    ----------
    k : float or array_like
        Successes, 0 <= k <= n.
    n : float or array_like
        Trials, >= 0 (broadcast against ``k``).  With n = 0 the posterior is
        the uniform prior and the result is :math:`1/\\sqrt{12} \\approx 0.289`.

    Returns
    -------
    float or ndarray
        In (0, 0.29].

    Examples
    --------
    >>> from utacbook.stats import fraction_error
    >>> round(float(fraction_error(10, 10)), 4)      # all 10 runs agree: not 0
    0.0767
    >>> round(float(fraction_error(0, 0)), 4)        # no runs: the uniform prior
    0.2887
    """
    k = v.real_array("k", k)
    n = v.real_array("n", n)
    if np.any(n < 0):
        raise ValueError("n must be >= 0 (a number of trials)")
    try:
        outside = np.any(k < 0) or np.any(k > n)
    except ValueError:
        raise ValueError(f"k and n must broadcast together, got shapes {k.shape} and {n.shape}") from None
    if outside:
        raise ValueError("k must lie in [0, n] (a number of successes)")
    a, b = k + 1.0, n - k + 1.0
    return np.sqrt(a * b / ((a + b) ** 2 * (a + b + 1.0)))

