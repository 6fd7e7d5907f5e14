"""Logistic fits of a response curve sigma(R): the guide's "emergent beta".

The guide fits

.. math:: \\sigma(R) = \\frac{1}{1 + e^{-\\beta (R - \\Theta)}}

to the scanned mean activation and calls the steepness :math:`\\beta` the
*emergent* beta.  :func:`extract_emergent_beta` does exactly that, with
``scipy.optimize.curve_fit``, and never lets a scipy exception escape: a fit
that cannot be made (a flat curve, a step sharper than the grid resolves, no
convergence) returns ``beta = nan`` with the reason in ``fit_info``.
"""

from __future__ import annotations

import warnings

import numpy as np
from scipy.optimize import OptimizeWarning, curve_fit
from scipy.special import expit

import math

from utacbook import _validate as v

__all__ = ["logistic", "extract_emergent_beta", "r_squared"]


def logistic(R, beta, theta):
    """The guide's logistic response ``1 / (1 + exp(-beta (R - theta)))``.

    Parameters
    ----------
    R : array_like
        Control parameter (the field h, the guide's "R-proxy").
    beta : float
        Steepness (1 / units of R).
    theta : float
        Midpoint, where the response is 1/2 (units of R).

    Returns
    -------
    float or ndarray
        The response, in [0, 1], shaped like ``R``.

    Examples
    --------
    >>> from utacbook.stats import logistic
    >>> float(logistic(0.3, 5.0, 0.3))
    0.5
    """
    R = v.real_array("R", R)
    return _logistic(R, v.real("beta", beta), v.real("theta", theta))


def _logistic(R, beta, theta):
    """:func:`logistic` without argument checks (the model function of the fit)."""
    return expit(beta * (np.asarray(R, dtype=float) - theta))


def r_squared(y, y_model):
    """Coefficient of determination ``1 - SS_res / SS_tot`` (nan if y is constant).

    Parameters
    ----------
    y : array_like, at least one finite value
        The data.
    y_model : array_like, the shape of ``y``
        The model's values at the same points.

    Returns
    -------
    float
        At most 1; ``nan`` when ``y`` is constant (SS_tot = 0: nothing to explain).

    Examples
    --------
    A perfect model gives 1, the constant model ``mean(y)`` gives 0:

    >>> from utacbook.stats import r_squared
    >>> y = [1.0, 2.0, 4.0, 3.0]
    >>> r_squared(y, y)
    1.0
    >>> r_squared(y, [2.5, 2.5, 2.5, 2.5])
    0.0
    >>> r_squared([2.0, 2.0], [1.0, 3.0])      # constant data: nothing to explain
    nan
    """
    y = v.real_array("y", y)
    if y.size < 1:
        raise ValueError("y must hold at least one value")
    ym = v.real_array("y_model", y_model)
    if ym.shape != y.shape:
        raise ValueError(f"y_model must have the shape of y {y.shape}, got {ym.shape}")
    ss_tot = float(np.sum((y - y.mean()) ** 2))
    if ss_tot == 0.0:
        return float("nan")
    return 1.0 - float(np.sum((y - ym) ** 2)) / ss_tot


def _fail(reason, **extra):
    info = {"converged": False, "reason": reason, "theta": float("nan"),
            "beta_stderr": float("nan"), "theta_stderr": float("nan")}
    info.update(extra)
    return float("nan"), float("nan"), info


def extract_emergent_beta(R_values, sigma_values, theta=0.5, *, sigma_err=None,
                          beta_max=1.0e3, flat_tol=1.0e-3):
    """Fit the guide's logistic to sigma(R) and return the steepness.

    Parameters
    ----------
    R_values : array_like, shape (n,)
        Scanned control values (n >= 3, finite, not all equal).
    sigma_values : array_like, shape (n,)
        Mean activation at each R, in [0, 1].
    theta : float, default 0.5
        Starting guess for the midpoint Theta (the guide's default).  If the
        fit from this start fails, it is retried from the R where sigma
        crosses 1/2.
    sigma_err : array_like, shape (n,), optional
        Standard errors of ``sigma_values``; if given, the fit is weighted and
        the parameter errors are absolute.
    beta_max : float, default 1000
        Bound on ``|beta|``.  A fit that runs into it is a transition sharper than
        the R grid can resolve: beta is then reported as nan, with the reason.
    flat_tol : float, default 1e-3
        If sigma spans less than this, the curve is called flat and no fit is
        attempted.

    Returns
    -------
    beta : float
        Fitted steepness (1 / units of R), or nan if the fit cannot be made.
    r_squared : float
        ``1 - SS_res / SS_tot`` of the fit, or nan.
    fit_info : dict
        ``converged`` (bool), ``reason`` (str, empty on success), ``theta``,
        ``beta_stderr``, ``theta_stderr`` (from the fit covariance),
        ``rms_residual``, ``n_points``, ``p0`` (the starting point used),
        ``width_10_90`` (R-distance over which the fit rises from 0.1 to 0.9,
        2 ln 9 / ``|beta|``) and ``grid_limited`` (True when that width is below the
        spacing of the grid interval holding Theta: the transition falls
        between two grid points and beta is poorly determined).

    Examples
    --------
    >>> import numpy as np
    >>> R = np.linspace(-2.0, 2.0, 25)
    >>> beta, r2, info = extract_emergent_beta(R, logistic(R, 3.0, -0.5))
    >>> round(beta, 6), round(info["theta"], 6), info["converged"]
    (3.0, -0.5, True)
    >>> beta, r2, info = extract_emergent_beta(R, np.full(25, 0.4))   # no transition
    >>> beta, info["reason"][:13]
    (nan, 'flat response')
    """
    R = v.real_array("R_values", R_values, ndim=1, min_len=3)
    s = v.real_array("sigma_values", sigma_values, ndim=1)
    if s.shape != R.shape:
        raise ValueError(f"sigma_values must have the same length as R_values "
                         f"({R.shape[0]}), got {s.shape[0]}")
    theta = v.real("theta", theta)
    beta_max = v.real("beta_max", beta_max, positive=True)
    flat_tol = v.real("flat_tol", flat_tol, nonnegative=True)
    if np.ptp(R) == 0:
        raise ValueError("R_values must not all be equal")
    err = None
    if sigma_err is not None:
        err = v.real_array("sigma_err", sigma_err, ndim=1)
        if err.shape != R.shape:
            raise ValueError("sigma_err must have the same length as R_values")
        if np.any(err <= 0):
            raise ValueError("sigma_err must be > 0 everywhere")

    n = R.shape[0]
    if np.ptp(s) < flat_tol:
        return _fail(f"flat response: sigma spans {np.ptp(s):.2e} < flat_tol={flat_tol:g}; "
                     "there is no transition inside the R range to fit", n_points=n)

    order = np.argsort(R)
    Rs, ss = R[order], s[order]
    slope_sign = 1.0 if np.polyfit(Rs, ss, 1)[0] >= 0 else -1.0
    beta0 = slope_sign * min(4.0 * np.ptp(ss) / np.ptp(Rs), 0.5 * beta_max)
    # data-driven midpoint: first crossing of 1/2, else the point nearest 1/2
    cross = np.nonzero(np.diff(np.sign(ss - 0.5)) != 0)[0]
    if cross.size:
        a = cross[0]
        t = (0.5 - ss[a]) / (ss[a + 1] - ss[a]) if ss[a + 1] != ss[a] else 0.5
        theta_data = Rs[a] + t * (Rs[a + 1] - Rs[a])
    else:
        theta_data = Rs[np.argmin(np.abs(ss - 0.5))]
    span = np.ptp(Rs)
    lo = [-beta_max, Rs[0] - span]
    hi = [beta_max, Rs[-1] + span]

    last_reason = ""
    for p0 in ([beta0, theta], [beta0, theta_data]):
        p0 = [p0[0], float(np.clip(p0[1], lo[1] + 1e-9, hi[1] - 1e-9))]
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("error", OptimizeWarning)
                warnings.simplefilter("ignore", RuntimeWarning)
                popt, pcov = curve_fit(_logistic, R, s, p0=p0, sigma=err,
                                       absolute_sigma=err is not None,
                                       bounds=(lo, hi), method="trf", maxfev=20000)
        except OptimizeWarning as exc:
            last_reason = f"covariance could not be estimated: {exc}"
            continue
        except (RuntimeError, ValueError, FloatingPointError) as exc:
            last_reason = f"fit did not converge: {exc}"
            continue
        beta, th = float(popt[0]), float(popt[1])
        model = _logistic(R, beta, th)
        r2 = r_squared(s, model)
        with np.errstate(invalid="ignore"):
            perr = np.sqrt(np.diag(pcov))
        info = {"converged": True, "reason": "", "theta": th,
                "beta_stderr": float(perr[0]), "theta_stderr": float(perr[1]),
                "rms_residual": float(np.sqrt(np.mean((s - model) ** 2))),
                "n_points": n, "p0": [float(p0[0]), float(p0[1])]}
        # 10-90 % width of the fitted logistic against the grid spacing: if the
        # whole transition fits between two grid points, beta is set by at most
        # one point inside it and is only a rough lower bound
        width = 2.0 * np.log(9.0) / abs(beta) if beta != 0 else float("inf")
        info["width_10_90"] = float(width)
        # spacing of the grid interval that holds the fitted midpoint (an adaptive
        # grid is dense there), or the largest spacing if theta is off the grid
        a = int(np.searchsorted(Rs, th)) - 1
        local = Rs[a + 1] - Rs[a] if 0 <= a < n - 1 else np.max(np.diff(Rs))
        info["grid_limited"] = bool(width < float(local))
        if abs(beta) >= 0.999 * beta_max:
            dR = float(np.min(np.diff(Rs)))
            return _fail(
                f"transition sharper than the R grid resolves: the fit ran into "
                f"|beta| = beta_max = {beta_max:g}; the step lies between grid points "
                f"(spacing {dR:.3g}), so only beta >~ {4.0 / dR:.3g} is known",
                n_points=n, theta=th, r_squared_at_bound=r2, p0=info["p0"])
        return beta, r2, info
    return _fail(last_reason or "fit failed", n_points=n)



def power_law_fit(x, y, yerr, *, scale_by_chi2=True):
    """Fit :math:`y = A x^p` by weighted least squares of log y on log x.

    The log-errors are :math:`\\delta y / y`.  Parameter errors come from the
    covariance matrix; if ``scale_by_chi2`` and :math:`\\chi^2/{\\rm dof} > 1`,
    they are inflated by :math:`\\sqrt{\\chi^2/{\\rm dof}}` (the data scatter more
    than their error bars, e.g. from corrections to scaling).

    Parameters
    ----------
    x, y : array_like, shape (n,), n >= 2, all > 0
    yerr : array_like, shape (n,), all > 0
        One-sigma errors of y.
    scale_by_chi2 : bool, default True

    Returns
    -------
    dict
        ``exponent``, ``exponent_err``, ``amplitude``, ``amplitude_err``,
        ``chi2``, ``dof``, ``p_value`` (nan for dof = 0).

    Examples
    --------
    Exact data ``y = 3 x**2`` return the exponent 2 and the amplitude 3 with chi2 = 0:

    >>> import numpy as np
    >>> from utacbook.stats import power_law_fit
    >>> x = np.array([8.0, 16.0, 32.0, 64.0])
    >>> y = 3.0 * x ** 2
    >>> fit = power_law_fit(x, y, yerr=0.01 * y)
    >>> round(fit["exponent"], 10), round(fit["amplitude"], 8), round(fit["chi2"], 12), fit["dof"]
    (2.0, 3.0, 0.0, 2)

    Noisy data: the exponent lies within its error of the true one:

    >>> rng = np.random.default_rng(0)
    >>> y_noisy = y * (1 + 0.02 * rng.normal(size=4))
    >>> fit = power_law_fit(x, y_noisy, yerr=0.02 * y_noisy)
    >>> bool(abs(fit["exponent"] - 2.0) < 2 * fit["exponent_err"])
    True
    """
    from scipy import stats
    x = v.real_array("x", x, ndim=1, min_len=2)
    y = v.real_array("y", y, ndim=1)
    e = v.real_array("yerr", yerr, ndim=1)
    if not (x.shape == y.shape == e.shape):
        raise ValueError(f"x, y and yerr must have the same length, got {x.size}, {y.size}, {e.size}")
    if np.any(x <= 0):
        raise ValueError("x must be > 0 for a power-law fit in log space")
    if np.any(y <= 0):
        raise ValueError("y must be > 0 for a power-law fit in log space")
    if np.any(e <= 0):
        raise ValueError("yerr must be > 0 everywhere")
    if np.ptp(x) == 0:
        raise ValueError("x must not all be equal (the exponent is undetermined)")
    lx, ly, s = np.log(x), np.log(y), e / y
    w = 1.0 / s ** 2
    A = np.column_stack([np.ones_like(lx), lx])
    cov = np.linalg.inv(A.T @ (A * w[:, None]))
    beta = cov @ (A.T @ (w * ly))
    resid = ly - A @ beta
    chi2 = float(np.sum(w * resid ** 2))
    dof = x.size - 2
    scale = 1.0
    if scale_by_chi2 and dof > 0 and chi2 / dof > 1.0:
        scale = math.sqrt(chi2 / dof)
    perr = np.sqrt(np.diag(cov)) * scale
    amp = math.exp(beta[0])
    return {"exponent": float(beta[1]), "exponent_err": float(perr[1]), "amplitude": amp,
            "amplitude_err": amp * float(perr[0]), "chi2": chi2, "dof": dof,
            "p_value": float(stats.chi2.sf(chi2, dof)) if dof > 0 else float("nan")}

