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

import dataclasses
import math
from dataclasses import dataclass

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

    Examples
    --------
    >>> from utacbook.theory import GPRIME0, logistic_normal_mean, logistic_normal_slope
    >>> round(logistic_normal_slope(0.0), 6), round(GPRIME0, 6)
    (0.206621, 0.206621)
    >>> dx = 1e-5                                     # the derivative of g
    >>> dg = logistic_normal_mean(1 + dx) - logistic_normal_mean(1 - dx)
    >>> round(logistic_normal_slope(1.0), 8), round(dg / (2 * dx), 8)
    (0.17794338, 0.17794338)
    >>> logistic_normal_slope([-1.0, 1.0]).round(8)   # even: g'(-x) = g'(x)
    array([0.17794338, 0.17794338])
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

    Examples
    --------
    >>> from utacbook.theory import logistic_normal_mean, single_site_response
    >>> round(single_site_response(0.0, 0.5), 12)                # no field: 1/2
    0.5
    >>> single_site_response([-0.3, 0.3], 0.5).round(6)          # g(-x) = 1 - g(x)
    array([0.378233, 0.621767])
    >>> round(logistic_normal_mean(0.3 / 0.5), 6)                # the same as g(h/T)
    0.621767
    """
    T = v.real("T", T, positive=True)
    return _g(v.real_array("h", h) / T)


def mean_field_midpoint(J):
    """The midpoint Theta = -J/2 (exact by the sigma -> 1 - sigma symmetry).

    Examples
    --------
    >>> from utacbook.theory import mean_field_midpoint, mean_field_response
    >>> mean_field_midpoint(1.0)
    -0.5
    >>> mean_field_response([mean_field_midpoint(1.0)], J=1.0, T=0.5).round(12)   # m = 1/2 there
    array([0.5])
    """
    return -0.5 * v.real("J", J)


def critical_coupling_ratio():
    """J/T = 1/g'(0) (about 4.84) above which the mean-field response is bistable.

    Examples
    --------
    >>> from utacbook.theory import GPRIME0, critical_coupling_ratio, mean_field_beta_scaled, mean_field_spinodals
    >>> round(critical_coupling_ratio(), 6), round(1 / GPRIME0, 6)
    (4.83978, 4.83978)
    >>> mean_field_beta_scaled(critical_coupling_ratio())        # the midpoint slope diverges there
    inf
    >>> [round(h, 4) for h in mean_field_spinodals(J=5.0, T=1.0)]   # just above: a narrow bistable window
    [-2.5102, -2.4898]
    """
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

    Examples
    --------
    >>> import numpy as np
    >>> from utacbook.theory import logistic_normal_mean, mean_field_fixed_points
    >>> roots, stable = mean_field_fixed_points(J=6.0, h=-3.0, T=1.0)   # bistable, at the midpoint h = -J/2
    >>> roots.round(6), stable
    (array([0.13399, 0.5    , 0.86601]), array([ True, False,  True]))
    >>> bool(np.allclose(logistic_normal_mean(6.0 * roots - 3.0), roots, atol=1e-12))   # m = g((J m + h)/T)
    True
    >>> round(float(roots[0] + roots[2]), 12)                          # symmetric about 1/2
    1.0
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

    Examples
    --------
    >>> from utacbook.theory import mean_field_response
    >>> h = [-3.0, -2.5]                                  # J = 6, T = 1: bistable near h = -J/2 = -3
    >>> mean_field_response(h, J=6.0, T=1.0, branch="lower").round(6)
    array([0.13399, 0.93796])
    >>> mean_field_response(h, J=6.0, T=1.0, branch="upper").round(6)
    array([0.86601, 0.93796])
    >>> mean_field_response(h, J=6.0, T=1.0).round(6)     # from m0 = 1/2: the symmetric point stays at 1/2
    array([0.5    , 0.93796])
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

    Examples
    --------
    >>> from utacbook.theory import mean_field_fixed_points, mean_field_spinodals
    >>> lo, hi = mean_field_spinodals(J=6.0, T=1.0)
    >>> round(lo, 6), round(hi, 6), round((lo + hi) / 2, 12)       # symmetric about Theta = -J/2
    (-3.187366, -2.812634, -3.0)
    >>> [mean_field_fixed_points(6.0, h, 1.0)[0].size for h in (lo - 1e-3, lo + 1e-3)]   # 1 root outside, 3 inside
    [1, 3]
    >>> mean_field_spinodals(J=1.0, T=1.0)                          # J/T < 1/g'(0): no bistability
    (nan, nan)
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

    Examples
    --------
    >>> from utacbook.theory import mean_field_beta, mean_field_emergent_beta
    >>> beta, r2, info = mean_field_emergent_beta(0.5, 0.5)
    >>> # near the midpoint slope 4 g'(0) / (T - J g'(0)), and the fitted midpoint is Theta = -J/2
    >>> round(beta, 3), round(mean_field_beta(0.5, 0.5), 3), round(info["theta"], 3)
    (2.042, 2.083, -0.25)
    >>> # the response depends on h/T and J/T only: beta(J, T) on [-2, 2] = beta(J/T, 1) on [-2/T, 2/T] / T
    >>> b1, _, _ = mean_field_emergent_beta(1.0, 1.0, R_min=-4.0, R_max=4.0)
    >>> round(b1 / 0.5, 6), round(beta, 6)
    (2.042243, 2.042243)
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

    Examples
    --------
    >>> import numpy as np
    >>> from utacbook.theory import logistic_normal_mean, probit_approximation
    >>> probit_approximation(0.0)
    0.5
    >>> x = np.linspace(-10.0, 10.0, 2001)
    >>> bool(np.abs(probit_approximation(x) - logistic_normal_mean(x)).max() < 5e-3)
    True
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

    Examples
    --------
    >>> from utacbook.theory import GPRIME0, mean_field_beta, mean_field_beta_scaled
    >>> mean_field_beta_scaled([0.0, 1.0, 5.0]).round(4)         # 4 g'(0) at K = 0; inf beyond 1/g'(0)
    array([0.8265, 1.0417,    inf])
    >>> round(mean_field_beta(J=0.8, T=0.4) * 0.4, 12), round(mean_field_beta_scaled(2.0), 12)   # beta_MF T = f(J/T)
    (1.408559841623, 1.408559841623)
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

    Examples
    --------
    >>> import numpy as np
    >>> from utacbook.theory import mean_field_response, mean_field_scan_response
    >>> h = np.linspace(-2.0, 1.0, 7)
    >>> bool(np.allclose(mean_field_scan_response(h, 1.0, 0.5),
    ...                  mean_field_response(h, 1.0, 0.5, branch="upper"), rtol=0, atol=1e-14))
    True
    >>> mean_field_scan_response([[-1.0], [0.0], [1.0]], [0.0, 2.0], 1.0).shape   # (h, J) broadcast
    (3, 2)
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

    Examples
    --------
    >>> import numpy as np
    >>> from utacbook.theory import logistic_normal_mean, mean_field_s_curve, mean_field_spinodals
    >>> h, m, stable = mean_field_s_curve(6.0, 1.0, n=401)
    >>> bool(np.allclose(logistic_normal_mean(6.0 * m + h), m, rtol=0, atol=1e-12))   # every point: m = g((J m + h)/T)
    True
    >>> [round(float(x), 2) for x in (h[~stable].min(), h[~stable].max())]   # the unstable branch spans the spinodals
    [-3.19, -2.81]
    >>> [round(x, 2) for x in mean_field_spinodals(6.0, 1.0)]
    [-3.19, -2.81]
    """
    J = v.real("J", J)
    T = v.real("T", T, positive=True)
    x_max = v.real("x_max", x_max, positive=True)
    x = np.linspace(-x_max, x_max, v.integer("n", n, low=2))
    m = _g(x)
    return T * x - J * m, m, J * _g_slope(x) / T < 1.0


# --- additions for the chapter "What the emergent beta measures" (rg-what-beta-measures) ---

__all__ += ["mean_field_rule_roots", "mean_field_rule_error", "CompatibleSet", "compatible_couplings",
            "mean_field_compatible_couplings", "PinnedCouplings", "pin_couplings", "mean_field_quartile_width",
            "pin_couplings_by_width"]

#: g^{-1}(3/4): where the logistic-normal mean reaches 3/4 (about 1.3149)
_G_INV_3_4 = float(brentq(lambda x: _g(x) - 0.75, 0.0, 10.0, xtol=1e-15))


def mean_field_rule_roots():
    r"""The two couplings K = J/T at which the mean-field midpoint slope, as beta*T, equals K.

    Measured against the reduced field h/T, the midpoint slope of the mean-field response is
    ``beta*T = f(K) = 4 g'(0) / (1 - g'(0) K)`` (:func:`mean_field_beta_scaled`).  The guide's rule
    read in these units, ``beta*T = K``, holds where ``f(K) = K``, that is where
    ``g'(0) K**2 - K + 4 g'(0) = 0``:

    .. math:: K_\pm = \frac{1 \pm \sqrt{1 - 16\,g'(0)^2}}{2\,g'(0)} .

    Below ``K_-`` and above ``K_+`` (up to the threshold ``1/g'(0)``) mean field is steeper than
    the rule, between the roots flatter.

    Returns
    -------
    (float, float)
        ``(K_-, K_+)``, about (1.0576, 3.7822); the lower root is computed as
        ``8 g'(0) / (1 + sqrt(1 - 16 g'(0)**2))`` (the same number without cancellation).

    Examples
    --------
    >>> from utacbook.theory import mean_field_rule_roots, mean_field_beta_scaled
    >>> lo, hi = mean_field_rule_roots()
    >>> round(lo, 4), round(hi, 4)
    (1.0576, 3.7822)
    >>> abs(mean_field_beta_scaled(hi) - hi) < 1e-12
    True
    """
    s = math.sqrt(1.0 - 16.0 * GPRIME0 ** 2)
    return 8.0 * GPRIME0 / (1.0 + s), (1.0 + s) / (2.0 * GPRIME0)


def mean_field_rule_error(ratio):
    """Relative deviation of the mean-field midpoint slope from the rule: ``(beta*T - K) / K``.

    The guide's deviation ``(beta - J/T) / (J/T)`` (with its sign) under the charitable
    reading, beta measured against the reduced field h/T, with beta*T from mean field
    (:func:`mean_field_beta_scaled`).  Zero at the two roots of :func:`mean_field_rule_roots`,
    negative between them, ``inf`` at K = 0 (the rule predicts a flat response, mean field a
    finite slope 4 g'(0)) and at and beyond the threshold K >= 1/g'(0).

    Parameters
    ----------
    ratio : float or array_like
        K = J/T, >= 0.

    Returns
    -------
    float or ndarray

    Examples
    --------
    >>> from utacbook.theory import mean_field_rule_error
    >>> mean_field_rule_error([0.0, 2.0, 4.0]).round(3)
    array([   inf, -0.296,  0.191])
    """
    K = v.real_array("ratio", ratio)
    if np.any(K < 0):
        raise ValueError(f"ratio must be >= 0 everywhere, got {K[K < 0].ravel()[0]!r}")
    f = mean_field_beta_scaled(K)
    with np.errstate(divide="ignore", invalid="ignore"):
        out = np.where((K > 0) & np.isfinite(f), (f - K) / np.where(K > 0, K, 1.0), np.inf)
    return float(out) if out.ndim == 0 else out


@dataclass(frozen=True, repr=False)
class CompatibleSet:
    """The (J, T) pairs compatible with a measured beta: a curve parametrised by K = J/T.

    Along the curve ``T = f(K) / beta`` and ``J = K T``, where ``f(K) = beta*T`` is the midpoint
    slope in reduced units (mean field or a lattice calibration).  The band ``T_lo .. T_hi``
    (and ``J = K T`` on its edges) holds the pairs within ``k`` combined standard errors of
    the measured beta and of ``f``.

    Attributes
    ----------
    ratio, J, T, J_lo, J_hi, T_lo, T_hi : ndarray
        Along the curve (``T_hi`` is inf where beta - k err <= 0).
    beta, beta_err, k : float
    source : str
        Where f comes from (``"mean field"``, ``"lattice"``).

    Examples
    --------
    >>> from utacbook.theory import GPRIME0, mean_field_compatible_couplings
    >>> c = mean_field_compatible_couplings(20.0, 1.0, n=5)       # returns a CompatibleSet
    >>> c
    CompatibleSet(mean field: beta = 20 ± 1, 5 points, K = 0..4.74, T = 0.0413..2.07)
    >>> round(float(c.T[0]), 6), round(4 * GPRIME0 / 20.0, 6)     # J = 0 end: T = 4 g'(0) / beta
    (0.041324, 0.041324)
    >>> c.to_dataframe().shape, list(c.to_dataframe().columns)
    ((5, 7), ['ratio', 'J', 'T', 'J_lo', 'J_hi', 'T_lo', 'T_hi'])
    """

    ratio: np.ndarray
    J: np.ndarray
    T: np.ndarray
    J_lo: np.ndarray
    J_hi: np.ndarray
    T_lo: np.ndarray
    T_hi: np.ndarray
    beta: float
    beta_err: float
    k: float
    source: str

    def __repr__(self):
        return (f"CompatibleSet({self.source}: beta = {self.beta:.4g} ± {self.beta_err:.2g}, "
                f"{self.ratio.size} points, K = {self.ratio.min():.3g}..{self.ratio.max():.3g}, "
                f"T = {np.nanmin(self.T):.3g}..{np.nanmax(self.T):.3g})")

    def to_dataframe(self):
        """One row per point of the curve: ratio, J, T and the band edges."""
        import pandas as pd
        return pd.DataFrame({n: getattr(self, n) for n in ("ratio", "J", "T", "J_lo", "J_hi", "T_lo", "T_hi")})


def compatible_couplings(beta, beta_err=0.0, *, ratio, scaled, scaled_err=0.0, k=1.0, source="given f"):
    """The (J, T) pairs with midpoint slope ``f(J/T) / T`` equal to a measured beta.

    The emergent beta of the guide's model is ``f(J/T) / T`` exactly (the update depends on
    J, h, T only through J/T and h/T), so one beta fixes only a curve in the (J, T) plane:
    for every K, ``T = f(K) / beta`` and ``J = K T``.

    Parameters
    ----------
    beta : float
        Measured midpoint slope (1 / units of the field), > 0.
    beta_err : float, default 0
        Its standard error, >= 0.
    ratio : array_like, shape (n,)
        Couplings K = J/T along which to draw the curve (>= 0).
    scaled : array_like, shape (n,)
        ``f(K) = beta*T`` at those K (> 0; inf where the response jumps is allowed and
        gives T = inf).
    scaled_err : float or array_like, default 0
        Standard error of ``f`` (a lattice calibration's).
    k : float, default 1
        Half-width of the band in combined standard errors.
    source : str
        A label (``"mean field"``, ``"lattice"``).

    Returns
    -------
    CompatibleSet

    Examples
    --------
    >>> import numpy as np
    >>> from utacbook.theory import compatible_couplings
    >>> c = compatible_couplings(2.0, 0.1, ratio=[1.0, 2.0], scaled=[1.0, 1.5], source="toy")
    >>> c.T, c.J
    (array([0.5 , 0.75]), array([0.5, 1.5]))
    >>> c.T_lo.round(4)                       # f / (beta + err)
    array([0.4762, 0.7143])
    """
    beta = v.real("beta", beta, positive=True)
    beta_err = v.real("beta_err", beta_err, nonnegative=True)
    K = v.real_array("ratio", ratio, ndim=1, min_len=1)
    if np.any(K < 0):
        raise ValueError(f"ratio must be >= 0 everywhere, got {K[K < 0][0]!r}")
    f = np.asarray(scaled, dtype=float)
    if f.shape != K.shape:
        raise ValueError(f"scaled must have the shape of ratio {K.shape}, got {f.shape}")
    if np.any(np.isnan(f)) or np.any(f <= 0):
        raise ValueError("scaled must be > 0 everywhere (inf allowed), no NaN")
    fe = np.broadcast_to(v.real_array("scaled_err", scaled_err), K.shape)
    if np.any(fe < 0):
        raise ValueError("scaled_err must be >= 0 everywhere")
    k = v.real("k", k, nonnegative=True)
    if not isinstance(source, str):
        raise TypeError(f"source must be a str, got {type(source).__name__}")
    T = f / beta
    with np.errstate(invalid="ignore", divide="ignore"):
        rel = np.hypot(np.where(np.isfinite(f), fe / f, 0.0), beta_err / beta)
        T_lo = T / (1.0 + k * rel)
        T_hi = np.where(k * rel < 1.0, T / (1.0 - k * rel), np.inf)
    return CompatibleSet(K, K * T, T, K * T_lo, K * T_hi, T_lo, T_hi, beta, beta_err, k, source)


def mean_field_compatible_couplings(beta, beta_err=0.0, *, n=200, k=1.0):
    r"""The mean-field (J, T) pairs with midpoint slope beta: the half-line ``T = g'(0) (J + 4/beta)``.

    From :math:`\beta = 4g'(0)/(T - J g'(0))`: :math:`T - g'(0) J = 4 g'(0)/\beta`, a straight line
    in the (J, T) plane that starts at the uncoupled system (J = 0, T = 4 g'(0)/beta) and has
    slope g'(0); along it K = J/T runs from 0 towards 1/g'(0).  Drawn by
    :func:`compatible_couplings` with f from :func:`mean_field_beta_scaled`.

    Parameters
    ----------
    beta : float
        Midpoint slope, > 0.
    beta_err : float, default 0
        Its standard error.
    n : int, default 200
        Points along K in [0, 0.98 / g'(0)] (the line's far end, near the threshold).
    k : float, default 1
        Band half-width in standard errors.

    Returns
    -------
    CompatibleSet

    Examples
    --------
    >>> from utacbook.theory import mean_field_compatible_couplings, GPRIME0
    >>> c = mean_field_compatible_couplings(20.0, n=5)
    >>> bool(abs(c.T - GPRIME0 * (c.J + 4 / 20.0)).max() < 1e-12)
    True
    """
    n = v.integer("n", n, low=2)
    K = np.linspace(0.0, 0.98 / GPRIME0, n)
    return compatible_couplings(beta, beta_err, ratio=K, scaled=mean_field_beta_scaled(K), k=k,
                                source="mean field")


@dataclass(frozen=True, repr=False)
class PinnedCouplings:
    """(J, T) inferred from a measured beta and a second observable, with standard errors.

    Attributes
    ----------
    J, J_err, T, T_err, ratio, ratio_err : float
        The estimates (``ratio`` = K = J/T) and their standard errors (linear propagation).
    cov_JT : float
        Covariance of J and T.
    by : str
        The second observable (``"theta"``, ``"width"``, ...).
    source : str
        Where f comes from.

    Examples
    --------
    >>> from utacbook.theory import mean_field_beta, pin_couplings
    >>> p = pin_couplings(mean_field_beta(0.6, 0.3), -0.3, beta_err=0.1, theta_err=0.01)   # true J = 0.6, T = 0.3
    >>> p
    PinnedCouplings(by theta, mean field: J = 0.6 ± 0.02, T = 0.3 ± 0.0056, K = 2 ± 0.046)
    >>> [round(abs(z), 9) for z in p.z(0.6, 0.3)]                # the truth is 0 standard errors away
    [0.0, 0.0, 0.0]
    >>> sorted(p.to_dict())[:4]
    ['J', 'J_err', 'T', 'T_err']
    """

    J: float
    J_err: float
    T: float
    T_err: float
    ratio: float
    ratio_err: float
    cov_JT: float
    by: str
    source: str

    def __repr__(self):
        return (f"PinnedCouplings(by {self.by}, {self.source}: J = {self.J:.4g} ± {self.J_err:.2g}, "
                f"T = {self.T:.4g} ± {self.T_err:.2g}, K = {self.ratio:.4g} ± {self.ratio_err:.2g})")

    def to_dict(self):
        """The fields as a plain dict."""
        return dataclasses.asdict(self)

    def z(self, J, T):
        """Distance of a true (J, T) from the estimate, in standard errors: (z_J, z_T, Mahalanobis)."""
        J, T = v.real("J", J), v.real("T", T)
        d = np.array([J - self.J, T - self.T])
        C = np.array([[self.J_err ** 2, self.cov_JT], [self.cov_JT, self.T_err ** 2]])
        zJ = d[0] / self.J_err if self.J_err > 0 else (0.0 if d[0] == 0 else math.copysign(math.inf, d[0]))
        zT = d[1] / self.T_err if self.T_err > 0 else (0.0 if d[1] == 0 else math.copysign(math.inf, d[1]))
        try:
            m = float(np.sqrt(d @ np.linalg.solve(C, d)))
        except np.linalg.LinAlgError:
            m = math.inf
        return float(zJ), float(zT), m


def _interp(K, f, x):
    """Linear interpolation of f(K) at x (K increasing); ValueError outside the grid."""
    if not K[0] <= x <= K[-1]:
        raise ValueError(f"the inferred K = {x:.4g} lies outside the calibration range "
                         f"[{K[0]:.4g}, {K[-1]:.4g}]")
    return float(np.interp(x, K, f))


def _invert_calibration(Kg, G, y):
    """K with G(K) = y for a calibration G on the grid Kg (increasing): monotone cubic (PCHIP) interpolation.

    Returns (K, G'(K), interpolation error): the error is the distance to the solution with a
    not-a-knot cubic spline through the same points (both interpolants are third order; their
    difference gauges what the grid does not resolve), 0 with fewer than 4 points.
    """
    from scipy.interpolate import CubicSpline, PchipInterpolator
    P = PchipInterpolator(Kg, G)
    K = float(brentq(lambda k: float(P(k)) - y, Kg[0], Kg[-1], xtol=1e-14)) if G[0] < y < G[-1] else \
        float(Kg[0] if y <= G[0] else Kg[-1])
    dG = float(P.derivative()(K))
    K_int = 0.0
    if Kg.size >= 4:
        S = CubicSpline(Kg, G)
        i = int(np.clip(np.searchsorted(Kg, K) - 1, 0, Kg.size - 2))
        a, b = Kg[max(i - 1, 0)], Kg[min(i + 2, Kg.size - 1)]
        if (S(a) - y) * (S(b) - y) < 0:
            K_int = abs(float(brentq(lambda k: float(S(k)) - y, a, b, xtol=1e-14)) - K)
    return K, dG, K_int


def pin_couplings(beta, theta, *, beta_err=0.0, theta_err=0.0, ratio=None, scaled=None, scaled_err=0.0,
                  source="given f"):
    r"""(J, T) from a midpoint slope beta and the midpoint Theta of the guide's symmetric scan.

    The midpoint is exactly :math:`\Theta = -J/2` (the sigma -> 1 - sigma symmetry), which
    fixes J; then :math:`\beta = f(K)/T = f(K) K / J` fixes K through
    :math:`G(K) = K f(K) = \beta J` (G increases with K), and T = J/K.

    Parameters
    ----------
    beta : float
        Measured midpoint slope, > 0.
    theta : float
        Measured midpoint, < 0 (J > 0).
    beta_err, theta_err : float, default 0
        Their standard errors (independent).
    ratio, scaled : array_like, optional
        A calibration ``f(K) = beta*T`` on an increasing grid of K (finite values; G
        must increase along it), interpolated by a monotone cubic (PCHIP) in G; the difference
        from a cubic spline's solution enters K's error as the interpolation error.  Default:
        mean field, :func:`mean_field_beta_scaled`, where the solution is closed-form.
    scaled_err : float or array_like, default 0
        Standard errors of the calibration (interpolated like f).
    source : str
        A label for the calibration.

    Returns
    -------
    PinnedCouplings
        Errors by linear propagation of ``beta_err``, ``theta_err`` and ``scaled_err``.

    Raises
    ------
    ValueError
        Bad input, or a K outside the calibration's range.

    Examples
    --------
    >>> from utacbook.theory import pin_couplings, mean_field_beta
    >>> J, T = 0.6, 0.3
    >>> p = pin_couplings(mean_field_beta(J, T), -J / 2)         # mean field: exact
    >>> round(p.J, 12), round(p.T, 12)
    (0.6, 0.3)
    """
    beta = v.real("beta", beta, positive=True)
    theta = v.real("theta", theta)
    if not theta < 0:
        raise ValueError(f"theta must be < 0 (Theta = -J/2 with J > 0), got {theta!r}")
    beta_err = v.real("beta_err", beta_err, nonnegative=True)
    theta_err = v.real("theta_err", theta_err, nonnegative=True)
    J, J_err = -2.0 * theta, 2.0 * theta_err
    y = beta * J                                        # G(K) = K f(K) = beta J
    if ratio is None and scaled is None:
        source = "mean field"
        g0 = GPRIME0
        K = y / (g0 * (4.0 + y))                       # 4 g0 K / (1 - g0 K) = y
        K_int = 0.0
        dG = 4.0 * g0 / (1.0 - g0 * K) ** 2
        fe = 0.0
    elif ratio is None or scaled is None:
        raise ValueError("give both ratio and scaled (a calibration), or neither (mean field)")
    else:
        Kg = v.real_array("ratio", ratio, ndim=1, min_len=2)
        fg = v.real_array("scaled", scaled, ndim=1, min_len=2)
        if fg.shape != Kg.shape:
            raise ValueError(f"scaled must have the shape of ratio {Kg.shape}, got {fg.shape}")
        if np.any(np.diff(Kg) <= 0):
            raise ValueError("ratio must increase strictly")
        if np.any(fg <= 0):
            raise ValueError("scaled must be > 0 everywhere")
        feg = np.broadcast_to(v.real_array("scaled_err", scaled_err), Kg.shape)
        if np.any(feg < 0):
            raise ValueError("scaled_err must be >= 0 everywhere")
        G = Kg * fg
        if np.any(np.diff(G) <= 0):
            raise ValueError("K f(K) must increase along the calibration for K to be pinned")
        if not G[0] <= y <= G[-1]:
            raise ValueError(f"beta * J = {y:.4g} lies outside the calibration's range of K f(K), "
                             f"[{G[0]:.4g}, {G[-1]:.4g}]")
        K, dG, K_int = _invert_calibration(Kg, G, y)
        fe = _interp(Kg, feg, K)
    T = J / K if K > 0 else math.inf
    # linear propagation: K = G^-1(beta J) with G shifted by K * delta f; plus the interpolation's error
    dK_db, dK_dJ, dK_df = J / dG, beta / dG, -K / dG
    K_err = math.sqrt((dK_db * beta_err) ** 2 + (dK_dJ * J_err) ** 2 + (dK_df * fe) ** 2 + K_int ** 2)
    dT_db = -J / K ** 2 * dK_db
    dT_dJ = 1.0 / K - J / K ** 2 * dK_dJ
    dT_df = -J / K ** 2 * dK_df
    dT_dK = -J / K ** 2
    T_err = math.sqrt((dT_db * beta_err) ** 2 + (dT_dJ * J_err) ** 2 + (dT_df * fe) ** 2 + (dT_dK * K_int) ** 2)
    cov = dT_dJ * J_err ** 2
    return PinnedCouplings(float(J), float(J_err), float(T), float(T_err), float(K), float(K_err),
                           float(cov), "theta", source)


def mean_field_quartile_width(ratio):
    r"""Width of the mean-field response between sigma = 1/4 and 3/4, in units of T.

    In mean field m = g(K m + u) with u = h/T, so the field at which m = q is
    ``u_q = g^{-1}(q) - K q`` and (by g(-x) = 1 - g(x)) the reduced quartile width is

    .. math:: W(K) = \frac{h_{3/4} - h_{1/4}}{T} = 2\,g^{-1}(3/4) - K/2 ,

    valid below the threshold 1/g'(0) (a single-valued response).  Together with the midpoint
    slope, ``beta w = f(K) W(K)`` depends on K alone: the *shape* of the response.  For a
    logistic it is 2 ln 3 whatever K is.

    Parameters
    ----------
    ratio : float or array_like
        K = J/T in [0, 1/g'(0)).

    Returns
    -------
    float or ndarray

    Examples
    --------
    >>> from utacbook.theory import mean_field_quartile_width
    >>> round(mean_field_quartile_width(0.0), 4)              # 2 g^-1(3/4)
    2.6298
    """
    K = v.real_array("ratio", ratio)
    if np.any(K < 0) or np.any(K >= 1.0 / GPRIME0):
        raise ValueError(f"ratio must lie in [0, 1/g'(0)) = [0, {1 / GPRIME0:.4f}) (a single-valued response)")
    out = 2.0 * _G_INV_3_4 - 0.5 * K
    return float(out) if out.ndim == 0 else out


def pin_couplings_by_width(beta, width, *, beta_err=0.0, width_err=0.0):
    r"""Mean-field (J, T) from a midpoint slope beta and the quartile width w of the response.

    ``beta * w = f(K) W(K) = 4 g'(0) (2 x_q - K/2) / (1 - g'(0) K)`` with ``x_q = g^{-1}(3/4)``
    (:func:`mean_field_quartile_width`) fixes K; then ``T = f(K)/beta``, ``J = K T``.  The
    product increases from ``8 g'(0) x_q`` (about 2.17) at K = 0 and stays within a few per
    cent of a logistic's 2 ln 3 up to K of about 2, so the width pins K only weakly there: the errors
    say how weakly.

    Parameters
    ----------
    beta, width : float
        Midpoint slope and quartile width ``h_{3/4} - h_{1/4}`` (> 0).
    beta_err, width_err : float, default 0
        Standard errors.

    Returns
    -------
    PinnedCouplings

    Raises
    ------
    ValueError
        If ``beta * width`` is below the K = 0 value (no K >= 0 matches).

    Examples
    --------
    >>> from utacbook.theory import pin_couplings_by_width, mean_field_beta, mean_field_quartile_width
    >>> J, T = 0.8, 0.3
    >>> p = pin_couplings_by_width(mean_field_beta(J, T), T * mean_field_quartile_width(J / T))
    >>> round(p.J, 10), round(p.T, 10)
    (0.8, 0.3)
    """
    beta = v.real("beta", beta, positive=True)
    width = v.real("width", width, positive=True)
    beta_err = v.real("beta_err", beta_err, nonnegative=True)
    width_err = v.real("width_err", width_err, nonnegative=True)
    g0, xq = GPRIME0, _G_INV_3_4
    s = beta * width
    s0 = 8.0 * g0 * xq
    if s < s0:
        raise ValueError(f"beta * width = {s:.4g} is below its mean-field value at K = 0 ({s0:.4g}): "
                         "no coupling K >= 0 matches")
    # 4 g0 (2 xq - K/2) = s (1 - g0 K)  ->  K = (s - 8 g0 xq) / (g0 (s - 2))
    K = (s - s0) / (g0 * (s - 2.0))
    dK_ds = (g0 * (s - 2.0) - g0 * (s - s0)) / (g0 * (s - 2.0)) ** 2
    f = 4.0 * g0 / (1.0 - g0 * K)
    df_dK = 4.0 * g0 ** 2 / (1.0 - g0 * K) ** 2
    T = f / beta
    J = K * T
    # derivatives with respect to beta and width (s = beta w)
    dK_db, dK_dw = dK_ds * width, dK_ds * beta
    dT_db = df_dK * dK_db / beta - f / beta ** 2
    dT_dw = df_dK * dK_dw / beta
    dJ_db = dK_db * T + K * dT_db
    dJ_dw = dK_dw * T + K * dT_dw
    J_err = math.hypot(dJ_db * beta_err, dJ_dw * width_err)
    T_err = math.hypot(dT_db * beta_err, dT_dw * width_err)
    K_err = math.hypot(dK_db * beta_err, dK_dw * width_err)
    cov = dJ_db * dT_db * beta_err ** 2 + dJ_dw * dT_dw * width_err ** 2
    return PinnedCouplings(float(J), float(J_err), float(T), float(T_err), float(K), float(K_err),
                           float(cov), "width", "mean field")
