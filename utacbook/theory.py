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

from . import _validate as v
from .fitting import extract_emergent_beta

__all__ = [
    "logistic_normal_mean", "logistic_normal_slope", "single_site_response",
    "mean_field_fixed_points", "mean_field_response", "mean_field_midpoint",
    "mean_field_beta", "critical_coupling_ratio", "mean_field_spinodals",
    "mean_field_emergent_beta", "GPRIME0",
]

_NODES, _WEIGHTS = hermegauss(120)
_WEIGHTS = _WEIGHTS / np.sqrt(2.0 * np.pi)


def logistic_normal_mean(x):
    """g(x) = E[sigmoid(x + xi)], xi ~ N(0, 1), by 120-point Gauss-Hermite quadrature.

    Parameters
    ----------
    x : float or array_like
        Argument (dimensionless, any real).

    Returns
    -------
    float or ndarray
        Values in (0, 1).
    """
    x = np.asarray(x, dtype=float)
    out = expit(x[..., None] + _NODES) @ _WEIGHTS
    return float(out) if out.ndim == 0 else out


def logistic_normal_slope(x):
    """g'(x) = E[sigmoid'(x + xi)] = E[s (1 - s)], xi ~ N(0, 1)."""
    x = np.asarray(x, dtype=float)
    s = expit(x[..., None] + _NODES)
    out = (s * (1.0 - s)) @ _WEIGHTS
    return float(out) if out.ndim == 0 else out


#: g'(0), the slope of the logistic-normal mean at zero (about 0.2066)
GPRIME0 = logistic_normal_slope(0.0)


def single_site_response(h, T):
    """Exact stationary mean activation of an isolated agent (J = 0): g(h / T).

    Parameters
    ----------
    h : float or array_like
        Field.
    T : float
        Noise temperature, > 0.
    """
    T = v.real("T", T, positive=True)
    return logistic_normal_mean(np.asarray(h, dtype=float) / T)


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
    grid : int
        Points of the bracketing grid on [0, 1].

    Returns
    -------
    roots : ndarray
        Sorted fixed points.
    stable : ndarray of bool
        Whether each is stable under the iteration m <- g((J m + h)/T),
        i.e. |J g'((J m + h)/T) / T| < 1.
    """
    J = v.real("J", J)
    h = v.real("h", h)
    T = v.real("T", T, positive=True)

    def F(m):
        return logistic_normal_mean((J * m + h) / T) - m

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
    slope = J * logistic_normal_slope((J * roots + h) / T) / T
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
            F0 = logistic_normal_mean((J * m0 + h) / T) - m0
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
    f = lambda x: J * logistic_normal_slope(x) / T - 1.0  # noqa: E731
    x_star = brentq(f, 0.0, 60.0, xtol=1e-13)
    hs = []
    for x in (x_star, -x_star):
        m = logistic_normal_mean(x)
        hs.append(T * x - J * m)
    return float(min(hs)), float(max(hs))


def mean_field_emergent_beta(J, T, *, R_min=-2.0, R_max=2.0, n_points=25, m0=0.5):
    """The guide's logistic fit applied to the mean-field response on its R grid.

    This is the apples-to-apples mean-field prediction for a fitted beta: the
    same grid, the same fit, the mean-field curve in place of the simulation.

    Returns
    -------
    beta, r_squared, fit_info
        As :func:`utacbook.fitting.extract_emergent_beta`.
    """
    R = np.linspace(v.real("R_min", R_min), v.real("R_max", R_max),
                    v.integer("n_points", n_points, low=3))
    return extract_emergent_beta(R, mean_field_response(R, J, T, m0=m0))
