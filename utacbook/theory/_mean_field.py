"""Mean-field theory of the guide's agent dynamics.

An update sets :math:`\\sigma' = \\mathrm{sigmoid}((J\\bar\\sigma_{nn} + h)/T + \\xi)`
with :math:`\\xi \\sim N(0, 1)`.  Replacing the neighbour mean by the global
mean :math:`m` gives the self-consistency

.. math:: m = g\\!\\left(\\frac{J m + h}{T}\\right), \\qquad
          g(x) = \\mathbb{E}_{\\xi}[\\mathrm{sigmoid}(x + \\xi)],

where :math:`g` is the logistic-normal mean, computed here by Gauss-Hermite
quadrature (exact to ~1e-15 for the arguments that occur).  Because
:math:`g(-x) = 1 - g(x)`, the response is point-symmetric about
:math:`(h, m) = (-J/2, 1/2)`: the midpoint is :math:`\\Theta = -J/2` exactly,
for the lattice model as well as for mean field.  The slope there is

.. math:: \\frac{dm}{dh}\\Big|_{\\Theta} = \\frac{g'(0)/T}{1 - J g'(0)/T},

so matching the logistic slope :math:`\\beta/4` gives the mean-field emergent
beta :math:`\\beta_{MF} = 4 g'(0) / (T - J g'(0))`, which diverges at
:math:`J/T = 1/g'(0) \\approx 4.84`; beyond it the response is bistable.
"""

from __future__ import annotations

import numpy as np
from numpy.polynomial.hermite_e import hermegauss
from scipy.optimize import brentq
from scipy.special import expit

from utacbook import _validate as v
from utacbook.stats._fitting import extract_emergent_beta

__all__ = [
    "logistic_normal_mean", "logistic_normal_slope", "single_site_response",
    "mean_field_fixed_points", "mean_field_response", "mean_field_midpoint",
    "mean_field_beta", "critical_coupling_ratio", "mean_field_spinodals",
    "mean_field_emergent_beta", "GPRIME0", "probit_approximation",
    "mean_field_beta_scaled", "mean_field_scan_response", "mean_field_s_curve",
]

_NODES, _WEIGHTS = hermegauss(120)
_WEIGHTS = _WEIGHTS / np.sqrt(2.0 * np.pi)


def _g(x):
    """g(x) without argument checks (the internal callers pass finite floats)."""
    x = np.asarray(x, dtype=float)
    out = expit(x[..., None] + _NODES) @ _WEIGHTS
    return float(out) if out.ndim == 0 else out


def _g_slope(x):
    """g'(x) without argument checks."""
    x = np.asarray(x, dtype=float)
    s = expit(x[..., None] + _NODES)
    out = (s * (1.0 - s)) @ _WEIGHTS
    return float(out) if out.ndim == 0 else out


def logistic_normal_mean(x):
    """g(x) = E[sigmoid(x + xi)], xi ~ N(0, 1), by 120-point Gauss-Hermite quadrature.

    Parameters
    ----------
    x : float or array_like
        Argument (dimensionless, any finite real).

    Returns
    -------
    float or ndarray
        Values in (0, 1).

    Examples
    --------
    >>> from utacbook.theory import logistic_normal_mean
    >>> round(logistic_normal_mean(0.0), 12)
    0.5
    >>> round(logistic_normal_mean(1.0) + logistic_normal_mean(-1.0), 12)
    1.0
    """
    return _g(v.real_array("x", x))


def logistic_normal_slope(x):
    """g'(x) = E[sigmoid'(x + xi)] = E[s (1 - s)], xi ~ N(0, 1).

    Parameters
    ----------
    x : float or array_like
        Argument (dimensionless, any finite real).

    Returns
    -------
    float or ndarray
        Values in (0, 1/4].
    """
    return _g_slope(v.real_array("x", x))


#: g'(0), the slope of the logistic-normal mean at zero (about 0.2066)
GPRIME0 = _g_slope(0.0)


def single_site_response(h, T):
    """Exact stationary mean activation of an isolated agent (J = 0): g(h / T).

    Parameters
    ----------
    h : float or array_like
        Field (finite).
    T : float
        Noise temperature, > 0.
    """
    T = v.real("T", T, positive=True)
    return _g(v.real_array("h", h) / T)


def mean_field_midpoint(J):
    """The midpoint Theta = -J/2 (exact by the sigma -> 1 - sigma symmetry)."""
    return -0.5 * v.real("J", J)


def critical_coupling_ratio():
    """J/T = 1/g'(0) (about 4.84) above which the mean-field response is bistable."""
    return 1.0 / GPRIME0


def mean_field_beta(J, T):
    """Mean-field emergent beta: 4 g'(0) / (T - J g'(0)), inf when bistable.

    This is the steepness of the logistic with the same slope as the
    mean-field response at its midpoint.

    Parameters
    ----------
    J : float
        Coupling (finite).
    T : float
        Noise temperature, > 0.

    Returns
    -------
    float
        beta_MF (1 / units of the field), ``inf`` for J/T >= 1/g'(0) (the
        response is bistable: a jump, not a logistic).

    Examples
    --------
    >>> from utacbook.theory import mean_field_beta
    >>> round(mean_field_beta(1.0, 1.0), 4)
    1.0417
    >>> mean_field_beta(1.0, 0.2)            # J/T = 5 > 1/g'(0) = 4.84
    inf
    """
    J = v.real("J", J)
    T = v.real("T", T, positive=True)
    denom = T - J * GPRIME0
    return float("inf") if denom <= 0 else 4.0 * GPRIME0 / denom


def mean_field_fixed_points(J, h, T, *, grid=2001):
    """All solutions m in [0, 1] of m = g((J m + h) / T), with their stability.

    Parameters
    ----------
    J, h : float
        Coupling and field.
    T : float
        Noise temperature, > 0.
    grid : int >= 2, default 2001
        Points of the bracketing grid on [0, 1].

    Returns
    -------
    roots : ndarray
        Sorted fixed points.
    stable : ndarray of bool
        Whether each is stable under the iteration m <- g((J m + h)/T),
        i.e. ``|J g'((J m + h)/T) / T|`` < 1.
    """
    J = v.real("J", J)
    h = v.real("h", h)
    T = v.real("T", T, positive=True)
    grid = v.integer("grid", grid, low=2)

    def F(m):
        return _g((J * m + h) / T) - m

    ms = np.linspace(0.0, 1.0, grid)
    Fs = F(ms)
    roots = []
    for a in range(grid - 1):
        if Fs[a] == 0.0:
            roots.append(ms[a])
        elif Fs[a] * Fs[a + 1] < 0:
            roots.append(brentq(F, ms[a], ms[a + 1], xtol=1e-14))
    if Fs[-1] == 0.0:  # g rounds to exactly 1 for very strong coupling
        roots.append(1.0)
    roots = np.array(sorted(roots))
    slope = J * _g_slope((J * roots + h) / T) / T
    return roots, np.abs(slope) < 1.0


def mean_field_response(h_values, J, T, *, m0=0.5, branch="from_m0"):
    """Mean-field response m(h) along a set of fields.

    Parameters
    ----------
    h_values : array_like
        Fields.
    J : float
        Coupling.
    T : float
        Noise temperature, > 0.
    m0 : float in [0, 1], default 0.5
        Initial mean activation (the guide starts every scan point from a
        uniform random lattice, so m0 = 0.5).
    branch : {"from_m0", "lower", "upper"}
        ``"from_m0"``: the stable fixed point that the mean-field iteration
        reaches from ``m0`` (the scan protocol); ``"lower"``/``"upper"``: the
        lowest/highest stable fixed point (the two branches of a hysteresis
        loop).

    Returns
    -------
    ndarray
        Mean activation at each field.
    """
    hs = v.real_array("h_values", np.atleast_1d(h_values), ndim=1)
    J = v.real("J", J)
    T = v.real("T", T, positive=True)
    m0 = v.real("m0", m0, low=0.0, high=1.0)
    v.choice("branch", branch, {"from_m0", "lower", "upper"})
    if branch == "from_m0" and m0 == 0.5 and J >= 0:
        # the scan protocol's case: bisection on all fields at once, no root search
        return mean_field_scan_response(hs, J, T)
    out = np.empty_like(hs)
    for k, h in enumerate(hs):
        roots, stable = mean_field_fixed_points(J, h, T)
        rs = roots[stable]
        if branch == "lower":
            out[k] = rs.min()
        elif branch == "upper":
            out[k] = rs.max()
        else:
            # the iteration from m0 converges monotonically to the nearest
            # stable root in the direction of F(m0)
            F0 = _g((J * m0 + h) / T) - m0
            if F0 > 0:
                cand = rs[rs >= m0 - 1e-12]
                out[k] = cand.min() if cand.size else rs.max()
            elif F0 < 0:
                cand = rs[rs <= m0 + 1e-12]
                out[k] = cand.max() if cand.size else rs.min()
            else:
                out[k] = m0
    return out


def mean_field_spinodals(J, T):
    """Fields (h_low, h_high) between which the mean-field response is bistable.

    Returns ``(nan, nan)`` when J/T <= 1/g'(0) (no bistability).
    """
    J = v.real("J", J)
    T = v.real("T", T, positive=True)
    if J * GPRIME0 <= T:
        return float("nan"), float("nan")
    # turning points: J g'(x)/T = 1 with x = (J m + h)/T and m = g(x)
    f = lambda x: J * _g_slope(x) / T - 1.0  # noqa: E731
    x_star = brentq(f, 0.0, 60.0, xtol=1e-13)
    hs = []
    for x in (x_star, -x_star):
        m = _g(x)
        hs.append(T * x - J * m)
    return float(min(hs)), float(max(hs))


def mean_field_emergent_beta(J, T, *, R_min=-2.0, R_max=2.0, n_points=25, m0=0.5):
    """The guide's logistic fit applied to the mean-field response on its R grid.

    This is the apples-to-apples mean-field prediction for a fitted beta: the
    same grid, the same fit, the mean-field curve in place of the simulation.

    Parameters
    ----------
    J : float
        Coupling.
    T : float
        Noise temperature, > 0.
    R_min, R_max : float, default -2 and 2
        Ends of the field grid (finite, different).
    n_points : int >= 3, default 25
        Points of the grid.
    m0 : float in [0, 1], default 0.5
        Initial mean activation (see :func:`mean_field_response`).

    Returns
    -------
    beta, r_squared, fit_info
        As :func:`utacbook.stats.extract_emergent_beta`.
    """
    R_min, R_max = v.real("R_min", R_min), v.real("R_max", R_max)
    if R_min == R_max:
        raise ValueError(f"R_min and R_max must differ, got R_min = R_max = {R_min}")
    R = np.linspace(R_min, R_max, v.integer("n_points", n_points, low=3))
    return extract_emergent_beta(R, mean_field_response(R, J, T, m0=m0))


# --- additions for the mean-field chapter ---


def probit_approximation(x):
    """The probit approximation of g: ``sigmoid(x / sqrt(1 + pi/8))``.

    Replacing the logistic by the normal CDF with the same slope at 0 and
    integrating over the Gaussian noise gives this closed form; it is a
    check on the quadrature, good to about 5e-3 everywhere.

    Parameters
    ----------
    x : float or array_like
        Argument (finite).

    Returns
    -------
    float or ndarray
    """
    out = expit(v.real_array("x", x) / np.sqrt(1.0 + np.pi / 8.0))
    return float(out) if out.ndim == 0 else out


def mean_field_beta_scaled(ratio):
    """beta_MF * T as a function of the coupling-to-noise ratio K = J/T alone.

    ``4 g'(0) / (1 - g'(0) K)``, and inf for K >= 1/g'(0) (bistable).  So the
    mean-field beta is ``f(J/T) / T``: it depends on J/T *and* on T.

    Parameters
    ----------
    ratio : float or array_like
        K = J/T (finite).

    Returns
    -------
    float or ndarray
    """
    K = v.real_array("ratio", ratio)
    denom = 1.0 - GPRIME0 * K
    with np.errstate(divide="ignore"):
        out = np.where(denom > 0, 4.0 * GPRIME0 / np.where(denom > 0, denom, 1.0), np.inf)
    return float(out) if out.ndim == 0 else out


def mean_field_scan_response(h_values, J, T, *, n_iter=60):
    """Vectorised mean-field response of the guide's scan protocol (m0 = 1/2).

    Equal to ``mean_field_response(h, J, T, m0=0.5)`` for J >= 0, but for
    arrays of (h, J, T) at once: every scan point starts from m0 = 1/2, so the
    iteration ends on the fixed point between 1/2 and 1 when h > -J/2 (F(1/2)
    > 0 with F(m) = g((J m + h)/T) - m) and between 0 and 1/2 when h < -J/2.
    That root is unique in its half: g((J m + h)/T) is concave in m above
    m = -h/J < 1/2 (g' is unimodal and symmetric) and convex below it.  It
    is found by bisection of both halves at once.

    Parameters
    ----------
    h_values, J, T : float or array_like
        Fields, couplings (>= 0) and noise temperatures (> 0), broadcast
        together.
    n_iter : int, default 60
        Bisection steps (60 halvings reach double precision).

    Returns
    -------
    ndarray
        Mean activation, of the broadcast shape.
    """
    args = v.real_array("h_values", h_values), v.real_array("J", J), v.real_array("T", T)
    try:
        h, J, T = np.broadcast_arrays(*args)
    except ValueError:
        raise ValueError("h_values, J and T must broadcast to one shape, got shapes "
                         f"{[a.shape for a in args]}") from None
    if np.any(J < 0):
        raise ValueError("J must be >= 0 (for J < 0 the iteration from m0 can oscillate)")
    if np.any(T <= 0):
        raise ValueError("T must be > 0 everywhere")
    n_iter = v.integer("n_iter", n_iter, low=1)
    F_half = _g((0.5 * J + h) / T) - 0.5
    up = F_half > 0
    lo = np.where(up, 0.5, 0.0)
    hi = np.where(up, 1.0, 0.5)
    for _ in range(n_iter):
        m = 0.5 * (lo + hi)
        pos = _g((J * m + h) / T) - m > 0
        lo = np.where(pos, m, lo)
        hi = np.where(pos, hi, m)
    return np.where(F_half == 0, 0.5, 0.5 * (lo + hi))


def mean_field_s_curve(J, T, *, x_max=12.0, n=2001):
    """Every mean-field fixed point, as a curve parametrised by x = (J m + h)/T.

    From m = g(x) and h = T x - J m, the whole solution set, stable and
    unstable branches together, is ``(h(x), m(x)) = (T x - J g(x), g(x))``.
    A point is unstable where the curve turns back, dh/dx = T - J g'(x) < 0.

    Parameters
    ----------
    J : float
        Coupling.
    T : float
        Noise temperature, > 0.
    x_max : float, default 12
        The curve is drawn for x in [-x_max, x_max].
    n : int, default 2001
        Number of points.

    Returns
    -------
    h, m : ndarray
        Field and mean activation along the curve.
    stable : ndarray of bool
        Whether each point is a stable fixed point (J g'(x)/T < 1).
    """
    J = v.real("J", J)
    T = v.real("T", T, positive=True)
    x_max = v.real("x_max", x_max, positive=True)
    x = np.linspace(-x_max, x_max, v.integer("n", n, low=2))
    m = _g(x)
    return T * x - J * m, m, J * _g_slope(x) / T < 1.0
