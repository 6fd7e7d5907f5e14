"""Finite-size scaling from grouped samples: jackknife over groups, curve crossings, data collapse.

Used by the chapters built on stored sweeps (grids of lattice size x
coupling x replica, each task returning block averages): the replicas and
blocks of a grid point are independent *groups*; a non-linear quantity (a
Binder cumulant, its derivative, a crossing point, a fitted exponent) gets
its error from the jackknife over the groups.
"""

from __future__ import annotations

import numpy as np

from .. import _validate as v

__all__ = ["group_jackknife", "polynomial_crossing", "scaling_collapse"]


def group_jackknife(func, arrays):
    """Value and jackknife error of ``func(*group means)``, the groups along the last axis.

    Parameters
    ----------
    func : callable
        Called twice, vectorised: once with the full means (the arrays with
        their last axis averaged away) and once with the ``G`` leave-one-group-out
        means (the last axis kept, of length ``G``).  It must broadcast over
        that extra axis.
    arrays : sequence of ndarray, equal shapes (..., G), G >= 2
        One array per argument of ``func``; element ``[..., g]`` is group g's average.

    Returns
    -------
    (value, error) : tuple of ndarray (or float)
        ``func`` of the full means, and :math:`\\sqrt{\\frac{G-1}{G}\\sum_g (f_g - \\bar f)^2}`.

    Examples
    --------
    >>> import numpy as np
    >>> from utacbook.stats import group_jackknife
    >>> x = np.arange(10.0)
    >>> val, err = group_jackknife(lambda a: a, [x])       # a mean: the standard error
    >>> float(val), round(float(err), 6) == round(float(x.std(ddof=1) / np.sqrt(10)), 6)
    (4.5, True)
    """
    if not callable(func):
        raise TypeError(f"func must be callable, got {type(func).__name__}")
    arrays = [np.asarray(a, dtype=float) for a in arrays]
    if not arrays:
        raise ValueError("arrays: give at least one array")
    shape = arrays[0].shape
    if any(a.shape != shape for a in arrays) or len(shape) == 0:
        raise ValueError(f"arrays must have equal shapes (..., G), got {[a.shape for a in arrays]}")
    G = shape[-1]
    if G < 2:
        raise ValueError(f"arrays need at least 2 groups along the last axis, got {G}")
    full = [a.mean(axis=-1) for a in arrays]
    loo = [(a.sum(axis=-1, keepdims=True) - a) / (G - 1) for a in arrays]
    value = func(*full)
    fi = np.asarray(func(*loo))
    err = np.sqrt((G - 1) / G * ((fi - fi.mean(axis=-1, keepdims=True)) ** 2).sum(axis=-1))
    return value, err


def polynomial_crossing(x1, y1, x2, y2, *, deg=2):
    """Where least-squares polynomials through (x1, y1) and (x2, y2) cross, inside the range of x2.

    Parameters
    ----------
    x1, y1, x2, y2 : array_like, 1-D (at least deg + 1 points each)
    deg : int >= 1

    Returns
    -------
    (x, y) : tuple of float
        The crossing and the value of the second polynomial there; ``(nan, nan)``
        if the curves do not cross exactly once inside ``[min x2, max x2]``.

    Examples
    --------
    >>> from utacbook.stats import polynomial_crossing
    >>> x, y = polynomial_crossing([0, 1, 2], [0, 1, 2], [0, 1, 2], [2, 1, 0], deg=1)
    >>> round(x, 12), round(y, 12)
    (1.0, 1.0)
    """
    deg = v.integer("deg", deg, low=1)
    x1, y1, x2, y2 = (v.real_array(n, a, ndim=1) for n, a in (("x1", x1), ("y1", y1), ("x2", x2), ("y2", y2)))
    if x1.size != y1.size or x2.size != y2.size or min(x1.size, x2.size) < deg + 1:
        raise ValueError(f"x1/y1 and x2/y2 must pair up, with at least deg + 1 = {deg + 1} points each")
    p2 = np.polyfit(x2, y2, deg)
    roots = np.roots(np.polyfit(x1, y1, deg) - p2)
    roots = roots[np.abs(roots.imag) < 1e-12].real
    roots = roots[(roots >= x2.min()) & (roots <= x2.max())]
    if roots.size != 1:
        return float("nan"), float("nan")
    return float(roots[0]), float(np.polyval(p2, roots[0]))


def scaling_collapse(L, x, y, yerr, *, deg=3):
    """Fit ``y(L, x)`` of several sizes by one polynomial of ``x L^a``: the exponent a and χ².

    For a grid sampled at x = (T − T_c) L / T_c (the scaling variable if ν = 1),
    the scaling variable t L^(1/ν) is x L^(1/ν − 1), so a = 1/ν − 1 and
    ν = 1/(1 + a).  Weighted least squares (scipy ``curve_fit``); the error of
    a is scaled by √(χ²/dof) when that exceeds 1.

    Parameters
    ----------
    L : array_like (n_L,)
    x : array_like (n_x,) or (n_L, n_x)
        The scaled variable, shared by all sizes or one row per size.
    y, yerr : array_like (n_L, n_x)
    deg : int >= 1

    Returns
    -------
    dict
        ``a``, ``a_err``, ``nu``, ``nu_err``, ``chi2``, ``dof``, ``coef`` (the
        polynomial, highest power first), ``L``.

    Examples
    --------
    >>> import numpy as np
    >>> from utacbook.stats import scaling_collapse
    >>> L, x = np.array([32, 64, 128]), np.linspace(-1, 1, 5)
    >>> y = 0.5 + 0.1 * x[None, :] * L[:, None] ** -0.2
    >>> round(scaling_collapse(L, x, y, np.full(y.shape, 1e-3), deg=1)["a"], 6)
    -0.2
    """
    from scipy.optimize import curve_fit

    deg = v.integer("deg", deg, low=1)
    L = v.real_array("L", L, ndim=1)
    x = v.real_array("x", x)
    y = v.real_array("y", y, ndim=2)
    yerr = v.real_array("yerr", yerr, ndim=2)
    if x.ndim == 1:
        x = np.broadcast_to(x, (L.size, x.size))
    if x.ndim != 2 or x.shape[0] != L.size or y.shape != x.shape or yerr.shape != y.shape:
        raise ValueError(f"y and yerr must have shape (len(L), n_x) = {(L.size, x.shape[-1])} like x, got "
                         f"{y.shape}, {yerr.shape}")
    if np.any(yerr <= 0) or np.any(L <= 0):
        raise ValueError("yerr and L must be > 0")
    Lg, xg = np.repeat(L, x.shape[1]), x.ravel()
    X = np.vstack([Lg, xg])
    yy, ss = y.ravel(), yerr.ravel()
    if yy.size <= deg + 2:
        raise ValueError(f"{yy.size} points cannot fix a polynomial of degree {deg} and the exponent")

    def model(X, a, *c):
        return np.polyval(c, X[1] * X[0] ** a)

    p0 = [0.0] + list(np.polyfit(xg, yy, deg))
    popt, pcov = curve_fit(model, X, yy, p0=p0, sigma=ss, absolute_sigma=True)
    chi2 = float((((model(X, *popt) - yy) / ss) ** 2).sum())
    dof = yy.size - len(popt)
    a, da = float(popt[0]), float(np.sqrt(pcov[0, 0]))
    if dof > 0 and chi2 / dof > 1:
        da *= float(np.sqrt(chi2 / dof))
    return {"a": a, "a_err": da, "nu": 1.0 / (1.0 + a), "nu_err": da / (1.0 + a) ** 2,
            "chi2": chi2, "dof": dof, "coef": np.asarray(popt[1:]), "L": L}
