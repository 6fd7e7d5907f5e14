r"""What the emergent beta measures: units, the charitable reading of beta ≈ J/T, identifiability.

Chapter: ``book/rg/09_what_beta_measures.ipynb``.

The guide's update ``sigma <- sigmoid((J m_nn + h)/T + xi)`` depends on J, h and T only through
K = J/T and h/T.  So the whole scan protocol (fresh random lattice, ``n_steps`` sweeps, L x L
agents) gives a mean activation whose law is a function of (h/T, K, L, n_steps), and the
midpoint slope of the response is

.. math:: \beta = f(K) / T, \qquad f(K) = \beta T \text{ (the slope against the reduced field } h/T),

exactly, for the lattice model as for mean field (where ``f(K) = 4 g'(0)/(1 - g'(0) K)``).  The
midpoint itself is ``Theta = -J/2`` exactly (sigma -> 1 - sigma symmetry).  This module

* checks the scaling identity on the kernel (:func:`scaling_identity_check`: bit for bit when
  the factor is a power of two, to rounding otherwise);
* measures the lattice's ``f(K)`` with the grid-independent midpoint slope
  (:func:`utacbook.stats.midpoint_beta`) at T = 1 on a grid of K, together with the variance of
  sigma-bar at the midpoint (over time in the stationary state, and over replicas of the
  100-sweep protocol) and the quartile shape factor
  (:func:`lattice_calibration`, stored as ``book/data/rg_what_beta_measures.json``, and
  :class:`Calibration` to read it);
* locates where the rule ``beta T = K`` holds (:func:`rule_table`, :func:`lattice_roots`,
  :func:`rule_intervals`, and the ±30 % windows with the errors of their edges,
  :func:`rule_windows`, :func:`rule_fraction`), and the pattern of signs of ``beta T - K``
  that mean field predicts (:func:`rule_sign_pattern`); checks the uncoupled point against
  exact values (:func:`exact_uncoupled`); and sets the guide's own estimator, the logistic
  fit, beside the midpoint slope for the guide's systems (:func:`logistic_fit_beta_T`,
  :func:`guide_systems_table`);
* inverts a measured beta: the compatible (J, T) curve (:func:`lattice_compatible_couplings`)
  and (J, T) pinned by a second observable, Theta (:func:`lattice_pin`) or the fluctuations of
  sigma-bar (:func:`pin_by_ratio_observable`), tested on hidden systems
  (:func:`identifiability_test`); f's error includes its interpolation between calibration
  points (:meth:`Calibration.f_errors`).

:class:`MissingFails` lets a claim's condition without a value (no stationary beta, no
solution) fail its criterion instead of being left out.

The plotting helpers draw on matplotlib axes and return them.
"""

from __future__ import annotations

import math

import numpy as np

from utacbook import _validate as v
from utacbook.claims import Criterion
from utacbook.theory import _mean_field as th

__all__ = ["default_K_grid", "scaling_identity_check", "lattice_calibration", "Calibration",
           "spot_check_calibration", "rule_table", "lattice_roots", "rule_intervals",
           "rule_windows", "rule_fraction", "rule_sign_pattern", "MissingFails", "exact_uncoupled",
           "mean_field_rule_intervals", "lattice_compatible_couplings", "lattice_pin", "ObservableFit",
           "pin_by_ratio_observable", "measure_system", "hidden_measurements", "spot_check_hidden",
           "systems_with_equal_beta",
           "identifiability_test", "logistic_fit_beta_T", "guide_systems_table", "pct_pm", "hidden_table",
           "plot_rule", "plot_compatible", "plot_pin_z", "STORED_NAME"]

#: name of the stored calibration (book/data/<name>.json)
STORED_NAME = "rg_what_beta_measures"


def _guide():
    """The guide's six systems: name -> (J, T, K = J/T)."""
    from utacbook.models import microscopic_to_beta_map
    g = microscopic_to_beta_map()
    return {n: (d["J"], d["T"], d["J"] / d["T"]) for n, d in g.items()}


def default_K_grid():
    """The calibration's couplings K = J/T.

    0 to 5.4 in steps of 0.3 (below the lattice's K_c = 5.54), denser points around the
    rule's roots (1.0, 1.1; 3.8 to 4.4), the guide's six systems (K = 1.36, 4.0, 4.12, 4.21
    below K_c; 11 and 18.49 above), and 6 and 8 above K_c.

    Returns
    -------
    ndarray
        Sorted, distinct.

    Examples
    --------
    >>> from utacbook.studies.rg.what_beta_measures import default_K_grid
    >>> K = default_K_grid()
    >>> K.size, float(K[0]), float(K.max())
    (34, 0.0, 18.4905660377)
    """
    base = np.round(np.arange(0.0, 5.41, 0.3), 10)
    guide = [round(K, 10) for _, _, K in _guide().values()]
    extra = [1.0, 1.1, 3.8, 4.0, 4.05, 4.1, 4.3, 4.4, 6.0, 8.0]
    return np.unique(np.round(np.concatenate([base, guide, extra]), 10))


# --------------------------------------------------------------------------- the scaling identity


def scaling_identity_check(J, T, h_values, *, factors=(2.0, 0.5, 3.0), lattice_size=32, n_steps=50,
                           n_replicas=2, seed=0):
    """Run the scan at (J, T, h) and at (cJ, cT, ch) with the same seed; compare every trace.

    The update computes ``(0.25 J * s + h) * (-1/T) - xi``.  Multiplying J, h and T by a power
    of two scales every intermediate exactly, so the runs are bit-identical; another factor
    rounds ``cJ``, ``ch`` and ``1/(cT)`` differently and the runs agree to rounding (and in
    law), bit for bit only by chance (in short runs the last-bit differences can vanish in the
    sigmoid).

    Parameters
    ----------
    J, T : float
        Coupling (>= 0) and noise (> 0).
    h_values : array_like
        Fields.
    factors : sequence of float > 0
        The factors c.
    lattice_size, n_steps, n_replicas, seed
        As :func:`utacbook.models.scan_field` (traces are kept).

    Returns
    -------
    list of dict
        Per factor: ``factor``, ``power_of_two`` (bool), ``identical`` (bool: every trace
        equal bit for bit), ``max_abs_diff`` (largest difference of sigma-bar over all sweeps).

    Examples
    --------
    >>> from utacbook.studies.rg.what_beta_measures import scaling_identity_check
    >>> r = scaling_identity_check(0.8, 0.19, [-0.4, 0.0], factors=(2.0, 3.0), lattice_size=8, n_steps=5)
    >>> r[0]["factor"], r[0]["identical"]           # a power of two: bit for bit
    (2.0, True)
    >>> r[1]["max_abs_diff"] < 1e-12                # another factor: to rounding (here, in so short a run,
    True
    >>> r[1]["identical"]                           # even bit for bit: the rounding differences vanished)
    True
    """
    from utacbook.models import scan_field
    J = v.real("J", J, nonnegative=True)
    T = v.real("T", T, positive=True)
    h = v.real_array("h_values", h_values, ndim=1, min_len=1)
    fs = v.real_array("factors", factors, ndim=1, min_len=1)
    if np.any(fs <= 0):
        raise ValueError("factors must be > 0")
    kw = dict(lattice_size=lattice_size, n_steps=n_steps, n_replicas=n_replicas, seed=seed, return_traces=True,
              progress=False)
    ref = scan_field(J, T, h, **kw)["traces"]
    out = []
    for c in fs:
        tr = scan_field(c * J, c * T, c * h, **kw)["traces"]
        m, e = math.frexp(float(c))
        out.append({"factor": float(c), "power_of_two": m == 0.5, "identical": bool(np.array_equal(ref, tr)),
                    "max_abs_diff": float(np.max(np.abs(ref - tr)))})
    return out


# --------------------------------------------------------------------------- the lattice's f(K)


def _var_with_error(x):
    """Sample variance and its standard error (from the fourth central moment, no normality assumed)."""
    x = np.asarray(x, dtype=float)
    n = x.size
    s2 = x.var(ddof=1)
    m4 = np.mean((x - x.mean()) ** 4)
    var_s2 = (m4 - s2 ** 2 * (n - 3) / (n - 1)) / n
    return float(s2), float(math.sqrt(max(var_s2, 0.0)))


def _time_variance(J, T, h, *, lattice_size, n_replicas, burn, sweeps, seed):
    """N var(sigma-bar) over time in the stationary state: per replica after ``burn`` sweeps; mean ± s.e.m."""
    from utacbook.models import scan_field
    r = scan_field(J, T, [h], lattice_size=lattice_size, n_steps=burn + sweeps, n_replicas=n_replicas, seed=seed,
                   return_traces=True, progress=False)
    tr = np.asarray(r["traces"])[:, 0, burn:]
    per = lattice_size ** 2 * tr.var(axis=1, ddof=1)
    return float(per.mean()), float(per.std(ddof=1) / math.sqrt(per.size)), per


def lattice_calibration(*, K_values=None, lattice_size=64, n_steps=100, n_replicas=16, chi_replicas=256,
                        check_steps=4, time_replicas=16, time_burn=100, time_sweeps=1000, seed=2091):
    """The lattice's ``f(K) = beta T``, the fluctuations at the midpoint and the quartile shape, at T = 1.

    By the scaling identity the runs at T = 1 give f(K) for every T.  For K number k of
    ``K_values``:

    * :func:`utacbook.stats.midpoint_beta` at J = K, T = 1 with the exact midpoint
      ``theta="symmetric"`` (Theta = -K/2), ``quartiles=True`` (the interquartile steepness
      beta_w) and the run-length check ``check_steps``, seed ``seed + 3k``; its field bracket is
      Theta ± 4;
    * ``chi_replicas`` runs of the guide's protocol at h = -K/2 (seed ``seed + 3k + 1``):
      sigma-bar of every replica and ``chi_rep = N var(sigma-bar)`` over replicas;
    * ``time_replicas`` runs at h = -K/2 of ``time_burn + time_sweeps`` sweeps (seed
      ``seed + 3k + 2``): ``chi_time = N var(sigma-bar)`` over the last ``time_sweeps`` sweeps of
      each run, mean ± s.e.m. over the runs (the stationary fluctuations).

    Parameters
    ----------
    K_values : array_like, optional
        Couplings (>= 0); default :func:`default_K_grid`.
    lattice_size, n_steps : int
        The guide's L = 64 and 100 sweeps by default.
    n_replicas : int
        Replicas of the midpoint slope (>= 2).
    chi_replicas : int
        Replicas of the 100-sweep variance (>= 4).
    check_steps : int >= 2
        Run-length check of the slope (``check_steps * n_steps`` sweeps).
    time_replicas, time_burn, time_sweeps : int
        The stationary variance's runs (>= 2), burn-in (>= 0) and measured sweeps (>= 2).
    seed : int >= 0
        Root seed (see above).

    Returns
    -------
    dict
        JSON-ready lists, one entry per K: ``K``, ``beta_T``, ``beta_T_err``, ``beta_T_err_stat``,
        ``beta_T_sys``, ``converged``, ``stationary``, ``long_change``, ``long_change_err``,
        ``diagnosis``, ``deltas``, ``slopes``, ``slopes_err``, ``beta_w_T``, ``beta_w_T_err``,
        ``sigma_mid`` (the first ``n_replicas`` of the chi_replicas values, for re-run checks),
        ``chi_rep``, ``chi_rep_err``, ``chi_time``,
        ``chi_time_err``, ``chi_time_runs`` (per run), ``seed_slope``, ``seed_chi``, ``seed_time``;
        and ``settings``.

    Examples
    --------
    A tiny calibration (the stored one: L = 64, 34 couplings, about three minutes on two cores):

    >>> from utacbook.studies.rg.what_beta_measures import lattice_calibration
    >>> v = lattice_calibration(K_values=[0.0, 2.0], lattice_size=8, n_replicas=4, chi_replicas=8, check_steps=2,
    ...                         time_replicas=2, time_sweeps=20, seed=1)
    >>> v["K"], len(v["sigma_mid"][0]), v["settings"]["T"]
    ([0.0, 2.0], 4, 1.0)
    """
    from utacbook.models import scan_field
    K = default_K_grid() if K_values is None else v.real_array("K_values", K_values, ndim=1, min_len=1)
    if np.any(K < 0):
        raise ValueError("K_values must be >= 0")
    L = v.integer("lattice_size", lattice_size, low=2)
    n_steps = v.integer("n_steps", n_steps, low=1)
    R = v.integer("n_replicas", n_replicas, low=2)
    Rc = v.integer("chi_replicas", chi_replicas, low=4)
    check_steps = v.integer("check_steps", check_steps, low=2)
    Rt = v.integer("time_replicas", time_replicas, low=2)
    burn = v.integer("time_burn", time_burn, low=0)
    sweeps = v.integer("time_sweeps", time_sweeps, low=2)
    seed = v.integer("seed", seed, low=0)
    keys = ("K", "beta_T", "beta_T_err", "beta_T_err_stat", "beta_T_sys", "converged", "stationary",
            "long_change", "long_change_err", "diagnosis", "deltas", "slopes", "slopes_err", "beta_w_T",
            "beta_w_T_err", "sigma_mid", "chi_rep", "chi_rep_err", "chi_time", "chi_time_err", "chi_time_runs",
            "seed_slope", "seed_chi", "seed_time")
    out = {k: [] for k in keys}
    for k, Kk in enumerate(K):
        s1, s2, s3 = seed + 3 * k, seed + 3 * k + 1, seed + 3 * k + 2
        r = _slope(Kk, L, n_steps, R, s1, check_steps=check_steps, quartiles=True)
        sig = scan_field(float(Kk), 1.0, [-0.5 * Kk], lattice_size=L, n_steps=n_steps, n_replicas=Rc, seed=s2,
                         progress=False)["sigma"][:, 0]
        var, var_err = _var_with_error(sig)
        ct, ct_err, ct_runs = _time_variance(float(Kk), 1.0, -0.5 * Kk, lattice_size=L, n_replicas=Rt, burn=burn,
                                             sweeps=sweeps, seed=s3)
        row = {"K": float(Kk), "beta_T": r.beta, "beta_T_err": r.beta_err, "beta_T_err_stat": r.beta_err_stat,
               "beta_T_sys": r.beta_sys, "converged": r.converged, "stationary": r.stationary,
               "long_change": r.long_change, "long_change_err": r.long_change_err, "diagnosis": r.diagnosis,
               "deltas": r.deltas, "slopes": r.slopes, "slopes_err": r.slopes_err, "beta_w_T": r.beta_w,
               "beta_w_T_err": r.beta_w_err, "sigma_mid": sig[:R], "chi_rep": L * L * var,
               "chi_rep_err": L * L * var_err,
               "chi_time": ct, "chi_time_err": ct_err, "chi_time_runs": ct_runs, "seed_slope": s1, "seed_chi": s2,
               "seed_time": s3}
        for key in keys:
            val = row[key]
            if isinstance(val, float) and not math.isfinite(val):
                val = None                                  # JSON: no nan
            out[key].append(val.tolist() if isinstance(val, np.ndarray) else val)
    out["settings"] = {"lattice_size": L, "n_steps": n_steps, "n_replicas": R, "chi_replicas": Rc,
                       "check_steps": check_steps, "time_replicas": Rt, "time_burn": burn, "time_sweeps": sweeps,
                       "seed": seed, "T": 1.0, "theta": "symmetric", "bracket": "Theta ± 4"}
    return out


def _slope(K, L, n_steps, R, seed, *, check_steps=None, quartiles=False):
    """midpoint_beta at J = K, T = 1 (the calibration's call)."""
    from utacbook.stats import midpoint_beta
    th_ = -0.5 * float(K)
    return midpoint_beta(float(K), 1.0, theta="symmetric", bracket=(th_ - 4.0, th_ + 4.0), lattice_size=L,
                         n_steps=n_steps, n_replicas=R, seed=seed, check_steps=check_steps, quartiles=quartiles,
                         progress=False)


class Calibration:
    """The stored lattice calibration as arrays (from :func:`lattice_calibration`).

    Parameters
    ----------
    values : mapping
        The stored values (``utacbook.stored.load(STORED_NAME)`` or the dict the function
        returns).
    K_c : float, default 5.54
        The lattice's critical coupling: points at K >= K_c are kept but never used for
        interpolation.

    Attributes
    ----------
    K, beta_T, beta_T_err, beta_w_T, beta_w_T_err, long_change, long_change_err : ndarray
        Per calibration point (nan where missing).
    chi_time, chi_time_err, chi_rep, chi_rep_err : ndarray
        N var(sigma-bar) at the midpoint: stationary, over time (mean ± s.e.m. over runs), and over
        replicas of the 100-sweep protocol.
    converged, stationary : ndarray of bool
    usable : ndarray of bool
        ``converged`` and K < K_c: the points used to interpolate f(K).
    shape, shape_err : ndarray
        The quartile shape factor ``beta w = 2 ln 3 beta_T / beta_w_T`` (2 ln 3 for a logistic).

    Examples
    --------
    >>> import utacbook as ub
    >>> from utacbook.studies.rg.what_beta_measures import Calibration, STORED_NAME
    >>> cal = Calibration(ub.stored.load(STORED_NAME).values, K_c=5.54)
    >>> cal
    Calibration(34 couplings K = 0..18.4906, 28 usable below K_c = 5.54, L = 64)
    >>> round(float(cal.f(0.8 / 0.19)), 3)          # beta*T of the guide's LLM system
    4.765
    """

    def __init__(self, values, *, K_c=5.54):
        def arr(key):
            return np.array([np.nan if x is None else x for x in values[key]], dtype=float)
        self.K = arr("K")
        self.beta_T, self.beta_T_err = arr("beta_T"), arr("beta_T_err")
        self.chi_time, self.chi_time_err = arr("chi_time"), arr("chi_time_err")
        self.chi_rep, self.chi_rep_err = arr("chi_rep"), arr("chi_rep_err")
        self.beta_w_T, self.beta_w_T_err = arr("beta_w_T"), arr("beta_w_T_err")
        self.long_change, self.long_change_err = arr("long_change"), arr("long_change_err")
        self.converged = np.array(values["converged"], dtype=bool)
        self.stationary = np.array([bool(x) for x in values["stationary"]], dtype=bool)
        self.diagnosis = list(values["diagnosis"])
        self.settings = dict(values["settings"])
        self.K_c = v.real("K_c", K_c, positive=True)
        self.usable = self.converged & (self.K < self.K_c) & np.isfinite(self.beta_T)
        ln3 = math.log(3.0)
        with np.errstate(invalid="ignore", divide="ignore"):
            self.shape = 2 * ln3 * self.beta_T / self.beta_w_T
            self.shape_err = self.shape * np.hypot(self.beta_T_err / self.beta_T, self.beta_w_T_err / self.beta_w_T)

    def __repr__(self):
        return (f"Calibration({self.K.size} couplings K = {self.K.min():g}..{self.K.max():g}, "
                f"{int(self.usable.sum())} usable below K_c = {self.K_c:g}, L = {self.settings.get('lattice_size')})")

    def f(self, K, *, err=False):
        """f(K) = beta T between usable points (monotone cubic interpolation of log f); with its error if ``err``.

        The error combines, in quadrature, the calibration's statistical error (interpolated
        linearly between the points) and the interpolation's (:meth:`f_errors`).
        """
        from scipy.interpolate import PchipInterpolator
        K = np.asarray(K, dtype=float)
        Ku = self.K[self.usable]
        if np.any(K < Ku[0]) or np.any(K > Ku[-1]):
            raise ValueError(f"K must lie in the calibrated range [{Ku[0]:g}, {Ku[-1]:g}]")
        f = np.exp(PchipInterpolator(Ku, np.log(self.beta_T[self.usable]))(K))
        if not err:
            return f
        stat, interp = self.f_errors(K)
        return f, np.hypot(stat, interp)

    def f_errors(self, K):
        """The two parts of f's error at K: statistical, and interpolation.

        Statistical: the calibration's errors, interpolated linearly between the usable points.
        Interpolation: the difference between two third-order interpolants of log f through the
        same points, the monotone cubic (PCHIP, the one :meth:`f` uses) and a not-a-knot cubic
        spline; it vanishes at the calibration points and gauges what the grid does not resolve
        between them (added after a referee found it missing in the first run).

        Returns
        -------
        (ndarray, ndarray)
            ``(stat, interp)``, shaped like K.

        Examples
        --------
        >>> import utacbook as ub
        >>> from utacbook.studies.rg.what_beta_measures import Calibration, STORED_NAME
        >>> cal = Calibration(ub.stored.load(STORED_NAME).values)
        >>> stat, interp = cal.f_errors([4.2, 4.65])
        >>> float(interp[0]), bool(interp[1] > 0)            # zero at a calibration point, not between
        (0.0, True)
        """
        from scipy.interpolate import CubicSpline, PchipInterpolator
        K = np.asarray(K, dtype=float)
        Ku = self.K[self.usable]
        if np.any(K < Ku[0]) or np.any(K > Ku[-1]):
            raise ValueError(f"K must lie in the calibrated range [{Ku[0]:g}, {Ku[-1]:g}]")
        lf = np.log(self.beta_T[self.usable])
        f_p = np.exp(PchipInterpolator(Ku, lf)(K))
        f_s = np.exp(CubicSpline(Ku, lf)(K))
        return np.interp(K, Ku, self.beta_T_err[self.usable]), np.abs(f_p - f_s)

    def compatible_couplings(self, beta, beta_err=0.0, *, n=300, k=1.0):
        """:func:`lattice_compatible_couplings` with this calibration."""
        return lattice_compatible_couplings(beta, beta_err, self, n=n, k=k)

    def pin(self, beta, theta, *, beta_err=0.0, theta_err=0.0):
        """:func:`lattice_pin` with this calibration."""
        return lattice_pin(beta, theta, self, beta_err=beta_err, theta_err=theta_err)

    def pin_by(self, beta, obs, *, which="chi_time", beta_err=0.0, obs_err=0.0):
        """:func:`pin_by_ratio_observable` with this calibration."""
        return pin_by_ratio_observable(beta, obs, self, beta_err=beta_err, obs_err=obs_err, which=which)

    def observable_fit(self, which="chi_time", *, max_degree=7):
        """A smooth fit of a K-only observable over the usable points: a polynomial in K for its log.

        Weighted least squares (weights from the errors) of ``log obs`` on K; the degree is the
        smallest from 1 to ``max_degree`` whose reduced chi-square is at most
        ``1 + 2 sqrt(2/dof)`` (two standard deviations above 1), else ``max_degree``.

        Parameters
        ----------
        which : {"chi_time", "shape"}
        max_degree : int

        Returns
        -------
        ObservableFit
        """
        v.choice("which", which, {"chi_time", "shape"})
        y = self.chi_time if which == "chi_time" else self.shape
        e = self.chi_time_err if which == "chi_time" else self.shape_err
        u = self.usable & np.isfinite(y) & np.isfinite(e) & (e > 0)
        return ObservableFit(self.K[u], y[u], e[u], which, max_degree=v.integer("max_degree", max_degree, low=1))

    def to_dataframe(self):
        """One row per calibration point."""
        import pandas as pd
        return pd.DataFrame({"K": self.K, "beta_T": self.beta_T, "beta_T_err": self.beta_T_err,
                             "converged": self.converged, "stationary": self.stationary,
                             "long_change": self.long_change, "long_change_err": self.long_change_err,
                             "chi_time": self.chi_time, "chi_time_err": self.chi_time_err, "chi_rep": self.chi_rep,
                             "chi_rep_err": self.chi_rep_err, "shape": self.shape,
                             "shape_err": self.shape_err, "usable": self.usable})


class ObservableFit:
    """Weighted polynomial fit of ``log y(K)`` (see :meth:`Calibration.observable_fit`).

    Attributes
    ----------
    K, y, err : ndarray
        The fitted points.
    degree : int
    chi2, dof : float, int
        Chi-square of the fit and its degrees of freedom.
    which : str
    """

    def __init__(self, K, y, err, which, *, max_degree=7):
        self.K, self.y, self.err, self.which = np.asarray(K), np.asarray(y), np.asarray(err), which
        ly, le = np.log(self.y), self.err / self.y
        for deg in range(1, max_degree + 1):
            dof = self.K.size - deg - 1
            if dof < 1:
                raise ValueError(f"too few points ({self.K.size}) to fit {which} with degree {deg}")
            X = np.vander(self.K, deg + 1)
            W = 1.0 / le
            coef, *_ = np.linalg.lstsq(X * W[:, None], ly * W, rcond=None)
            chi2 = float(np.sum(((X @ coef - ly) / le) ** 2))
            if chi2 / dof <= 1 + 2 * math.sqrt(2 / dof) or deg == max_degree:
                break
        self.degree, self.coef, self.chi2, self.dof = deg, coef, chi2, dof
        self.cov = np.linalg.inv((X * W[:, None] ** 2).T @ X)

    def __repr__(self):
        return (f"ObservableFit({self.which}: degree {self.degree}, chi2/dof = {self.chi2:.1f}/{self.dof}, "
                f"K = {self.K.min():g}..{self.K.max():g})")

    def __call__(self, K, *, err=False):
        """The fitted observable at K (and its standard error from the coefficients' covariance)."""
        K = np.asarray(K, dtype=float)
        X = np.vander(np.atleast_1d(K), self.degree + 1)
        val = np.exp(X @ self.coef)
        if not err:
            return val.reshape(K.shape)
        e = val * np.sqrt(np.einsum("ij,jk,ik->i", X, self.cov, X))
        return val.reshape(K.shape), e.reshape(K.shape)

    def derivative(self, K):
        """d(fit)/dK at K."""
        K = float(K)
        p = np.polyder(np.poly1d(self.coef))
        return float(self(K) * p(K))

    def invert(self, y):
        """The K in the fitted range where the fit equals ``y``; ValueError if not monotone or outside."""
        Kf = np.linspace(self.K.min(), self.K.max(), 2001)
        yf = self(Kf)
        if np.any(np.diff(yf) <= 0):
            raise ValueError(f"the fitted {self.which} does not increase with K over the calibration: "
                             "K cannot be read off it")
        if not yf[0] <= y <= yf[-1]:
            raise ValueError(f"{self.which} = {y:.4g} lies outside the calibration's range [{yf[0]:.4g}, {yf[-1]:.4g}]")
        from scipy.optimize import brentq
        return float(brentq(lambda k: float(self(k)) - y, Kf[0], Kf[-1], xtol=1e-12))


def spot_check_calibration(values, *, indices=(0, 1)):
    """Re-run a few calibration points and compare with the stored numbers bit for bit.

    Re-runs the midpoint slope with its run-length check (not the quartiles, which do not change
    either), the first ``n_replicas`` runs of the 100-sweep variance and the first two runs of the
    stationary variance of each point in ``indices``.

    Parameters
    ----------
    values : mapping
        The stored values.
    indices : sequence of int
        Calibration points to re-run.

    Returns
    -------
    dict
        ``indices``, ``K``, ``beta_T_equal`` (the slope and the run-length check's change, and the
        verdict ``converged``), ``sigma_equal``, ``chi_time_equal`` (bool per point),
        ``max_rel_diff`` (largest relative difference of the re-run numbers).

    Examples
    --------
    >>> from utacbook.studies.rg.what_beta_measures import lattice_calibration, spot_check_calibration
    >>> v = lattice_calibration(K_values=[2.0], lattice_size=8, n_replicas=4, chi_replicas=8, check_steps=2,
    ...                         time_replicas=2, time_sweeps=20, seed=1)
    >>> spot_check_calibration(v, indices=(0,))["max_rel_diff"]
    0.0
    """
    from utacbook.models import scan_field
    s = values["settings"]
    L, n_steps, R = s["lattice_size"], s["n_steps"], s["n_replicas"]
    beq, seq_, teq, diffs, Ks = [], [], [], [], []
    for i in indices:
        i = v.integer("index", i, low=0, high=len(values["K"]) - 1)
        K = values["K"][i]
        r = _slope(K, L, n_steps, R, values["seed_slope"][i], check_steps=s["check_steps"])
        sig = scan_field(float(K), 1.0, [-0.5 * K], lattice_size=L, n_steps=n_steps, n_replicas=R,
                         seed=values["seed_chi"][i], progress=False)["sigma"][:, 0]
        stored_sig = np.asarray(values["sigma_mid"][i][:R])
        _, _, runs = _time_variance(float(K), 1.0, -0.5 * K, lattice_size=L, n_replicas=2, burn=s["time_burn"],
                                    sweeps=s["time_sweeps"], seed=values["seed_time"][i])
        stored_runs = np.asarray(values["chi_time_runs"][i][:2])
        beq.append(r.beta == values["beta_T"][i] and r.long_change == values["long_change"][i]
                   and r.converged == values["converged"][i])
        seq_.append(bool(np.array_equal(sig, stored_sig)))
        teq.append(bool(np.array_equal(runs, stored_runs)))
        diffs += [abs(r.beta / values["beta_T"][i] - 1), abs(r.long_change - values["long_change"][i]),
                  float(np.max(np.abs(sig / stored_sig - 1))),
                  float(np.max(np.abs(runs / stored_runs - 1)))]
        Ks.append(K)
    return {"indices": list(indices), "K": Ks, "beta_T_equal": beq, "sigma_equal": seq_, "chi_time_equal": teq,
            "max_rel_diff": max(diffs)}


# --------------------------------------------------------------------------- where the rule holds


def rule_table(cal, *, tol=0.3, k=2.0):
    """Per calibration point: beta T against K, the guide's relative deviation, and whether the rule holds.

    Parameters
    ----------
    cal : Calibration
    tol : float, default 0.3
        The guide's tolerance (±30 %).
    k : float, default 2
        Standard errors for "within errors".

    Returns
    -------
    pandas.DataFrame
        ``K``, ``beta_T``, ``beta_T_err``, ``dev`` = (beta T - K)/K, ``dev_err``, ``within_tol``
        (``|dev| <= tol``), ``within_k`` (``|beta T - K| <= k err``), ``mf_beta_T``, ``mf_dev``,
        ``converged``, ``stationary``, ``above_K_c``.

    Examples
    --------
    >>> import utacbook as ub
    >>> from utacbook.studies.rg import what_beta_measures as wb
    >>> cal = wb.Calibration(ub.stored.load(wb.STORED_NAME).values)
    >>> wb.rule_table(cal).loc[0, ["K", "beta_T", "mf_beta_T"]].round(4).tolist()   # K = 0: 4 g'(0)
    [0.0, 0.8272, 0.8265]
    """
    import pandas as pd
    tol = v.real("tol", tol, positive=True)
    k = v.real("k", k, positive=True)
    K = cal.K
    with np.errstate(invalid="ignore", divide="ignore"):
        dev = np.where(K > 0, (cal.beta_T - K) / np.where(K > 0, K, 1.0), np.inf)
        dev_err = np.where(K > 0, cal.beta_T_err / np.where(K > 0, K, 1.0), np.nan)
    return pd.DataFrame({"K": K, "beta_T": cal.beta_T, "beta_T_err": cal.beta_T_err, "dev": dev,
                         "dev_err": dev_err, "within_tol": np.abs(dev) <= tol,
                         "within_k": np.abs(cal.beta_T - K) <= k * cal.beta_T_err,
                         "mf_beta_T": th.mean_field_beta_scaled(K), "mf_dev": th.mean_field_rule_error(K),
                         "converged": cal.converged, "stationary": cal.stationary, "above_K_c": K >= cal.K_c})


def lattice_roots(cal):
    """Where the lattice's beta T crosses K: linear interpolation between bracketing usable points.

    The error combines the statistical one (linear propagation of the two bracketing points'
    errors) with the interpolation's: the difference from the root of the quadratic through
    the bracketing points and the next one outwards.

    Parameters
    ----------
    cal : Calibration

    Returns
    -------
    list of dict
        One per sign change of ``beta T - K`` (increasing K): ``K``, ``err``, ``err_stat``,
        ``err_interp``, ``bracket`` (K_1, K_2), ``direction`` (-1: beta T falls below K, +1: rises above).

    Examples
    --------
    >>> import utacbook as ub
    >>> from utacbook.studies.rg import what_beta_measures as wb
    >>> cal = wb.Calibration(ub.stored.load(wb.STORED_NAME).values)
    >>> [round(r["K"], 3) for r in wb.lattice_roots(cal)]
    [1.055, 4.027]
    """
    u = cal.usable & (cal.K > 0)
    K, f, e = cal.K[u], cal.beta_T[u], cal.beta_T_err[u]
    d = f - K
    out = []
    for i in range(K.size - 1):
        if d[i] == 0 or d[i] * d[i + 1] >= 0:
            continue
        K1, K2, d1, d2 = K[i], K[i + 1], d[i], d[i + 1]
        r = K1 + d1 * (K2 - K1) / (d1 - d2)
        g1 = (K2 - K1) * (-d2) / (d1 - d2) ** 2
        g2 = (K2 - K1) * d1 / (d1 - d2) ** 2
        stat = math.hypot(g1 * e[i], g2 * e[i + 1])
        j = i + 2 if i + 2 < K.size and (i == 0 or abs(K[i + 2] - K2) <= abs(K1 - K[i - 1])) else i - 1
        idx = sorted({i, i + 1, j}) if 0 <= j < K.size else [i, i + 1]
        interp = 0.0
        if len(idx) == 3:
            c = np.polyfit(K[idx], d[idx], 2)
            rts = np.roots(c)
            rts = rts[np.isreal(rts)].real
            rts = rts[(rts >= K1) & (rts <= K2)]
            if rts.size:
                interp = abs(float(rts[0]) - r)
        out.append({"K": float(r), "err": math.hypot(stat, interp), "err_stat": stat, "err_interp": interp,
                    "bracket": (float(K1), float(K2)), "direction": -1 if d1 > 0 else +1})
    return out


def _intervals(K, y, lo, hi):
    """Intervals of K (linear interpolation of y) where lo <= y <= hi."""
    ok = (y >= lo) & (y <= hi)
    out = []
    i = 0
    n = K.size

    def cross(a, b, level):
        return K[a] + (level - y[a]) * (K[b] - K[a]) / (y[b] - y[a])
    while i < n:
        if not ok[i]:
            i += 1
            continue
        j = i
        while j + 1 < n and ok[j + 1]:
            j += 1
        start = K[i] if i == 0 else cross(i - 1, i, lo if y[i - 1] < lo else hi)
        end = K[j] if j == n - 1 else cross(j, j + 1, lo if y[j + 1] < lo else hi)
        out.append((float(start), float(end)))
        i = j + 1
    return out


def rule_intervals(cal, *, tol=0.3):
    """Ranges of K where the lattice's beta T is within ``tol`` of K (central values, usable points).

    Returns
    -------
    list of (float, float)
        Linear interpolation of (beta T)/K between usable calibration points.

    Examples
    --------
    >>> import utacbook as ub
    >>> from utacbook.studies.rg import what_beta_measures as wb
    >>> cal = wb.Calibration(ub.stored.load(wb.STORED_NAME).values)
    >>> [(round(a, 2), round(b, 2)) for a, b in wb.rule_intervals(cal)]
    [(0.78, 1.99), (3.05, 4.37)]
    """
    tol = v.real("tol", tol, positive=True)
    u = cal.usable & (cal.K > 0)
    return _intervals(cal.K[u], cal.beta_T[u] / cal.K[u], 1 - tol, 1 + tol)


def mean_field_rule_intervals(*, tol=0.3, n=20001):
    """Ranges of K where the mean-field beta T is within ``tol`` of K (fine grid below 1/g'(0)).

    Returns
    -------
    list of (float, float)

    Examples
    --------
    >>> from utacbook.studies.rg.what_beta_measures import mean_field_rule_intervals
    >>> [(round(a, 3), round(b, 3)) for a, b in mean_field_rule_intervals()]
    [(0.753, 2.044), (2.796, 4.087)]
    """
    tol = v.real("tol", tol, positive=True)
    K = np.linspace(1e-6, 0.9999 / th.GPRIME0, v.integer("n", n, low=100))
    return _intervals(K, th.mean_field_beta_scaled(K) / K, 1 - tol, 1 + tol)


def rule_windows(cal, *, tol=0.3):
    """Ranges of K where the lattice's beta T is within ``tol`` of K, with the errors of their edges.

    An edge is where ``f(K)/K`` crosses ``1 ± tol``, with f the calibration's monotone cubic
    interpolation (:meth:`Calibration.f`).  Its error combines the statistical one (f's error
    at the edge over the slope of ``f(K)/K`` there) and the interpolation's (the edge of a
    not-a-knot cubic spline through the same points).  The edges of linear interpolation of
    ``beta T / K`` (:func:`rule_intervals`) are returned beside them: they differ by more where
    ``beta T / K`` curves strongly (near K = 0, where it goes like 1/K).  An edge at the end of
    the usable calibration range is returned as that end, with ``open`` set.

    Parameters
    ----------
    cal : Calibration
    tol : float, default 0.3

    Returns
    -------
    list of dict
        Per window: ``lo``, ``hi``, ``lo_err``, ``hi_err``, ``lo_err_stat``, ``hi_err_stat``,
        ``lo_err_interp``, ``hi_err_interp``, ``lo_linear``, ``hi_linear``, ``lo_open``,
        ``hi_open``.

    Examples
    --------
    >>> import utacbook as ub
    >>> from utacbook.studies.rg import what_beta_measures as wb
    >>> cal = wb.Calibration(ub.stored.load(wb.STORED_NAME).values)
    >>> [(round(w["lo"], 2), round(w["hi"], 2)) for w in wb.rule_windows(cal)]
    [(0.75, 1.96), (3.06, 4.37)]
    """
    from scipy.interpolate import CubicSpline
    from scipy.optimize import brentq
    if not isinstance(cal, Calibration):
        raise TypeError(f"cal must be a Calibration, got {type(cal).__name__}")
    tol = v.real("tol", tol, positive=True)
    lin = rule_intervals(cal, tol=tol)
    u = cal.usable & (cal.K > 0)
    Ku = cal.K[u]
    spline = CubicSpline(cal.K[cal.usable], np.log(cal.beta_T[cal.usable]))

    def ratio(k):
        return float(cal.f(k)) / k

    def edge(x):
        """The crossing near the linear edge x: (K, stat, interp), or (x, 0, 0) at an end of the range."""
        if x <= Ku[0] or x >= Ku[-1]:
            return x, 0.0, 0.0, True
        i = int(np.clip(np.searchsorted(Ku, x) - 1, 0, Ku.size - 2))
        a, b = Ku[max(i - 1, 0)], Ku[min(i + 2, Ku.size - 1)]
        r_lin = ratio(x)
        level = 1 + tol if abs(r_lin - (1 + tol)) < abs(r_lin - (1 - tol)) else 1 - tol
        for lo_, hi_ in ((Ku[i], Ku[i + 1]), (a, b)):      # the linear edge's interval, else its neighbours
            if (ratio(lo_) - level) * (ratio(hi_) - level) < 0:
                K = brentq(lambda k: ratio(k) - level, lo_, hi_, xtol=1e-12)
                break
        else:
            raise ValueError(f"no crossing of beta T / K = {level:g} near K = {x:.4g} in the interpolated calibration")
        h = 1e-5
        slope = (ratio(min(K + h, Ku[-1])) - ratio(max(K - h, Ku[0]))) / (min(K + h, Ku[-1]) - max(K - h, Ku[0]))
        stat_f, _ = cal.f_errors(K)
        stat = float(stat_f) / K / abs(slope)
        sp = lambda k: math.exp(float(spline(k))) / k - level   # noqa: E731
        interp = abs(brentq(sp, a, b, xtol=1e-12) - K) if sp(a) * sp(b) < 0 else 0.0
        return float(K), float(stat), float(interp), False

    out = []
    for lo_lin, hi_lin in lin:
        row = {}
        for name, x in (("lo", lo_lin), ("hi", hi_lin)):
            K, stat, interp, is_open = edge(x)
            row.update({name: K, f"{name}_err": math.hypot(stat, interp), f"{name}_err_stat": stat,
                        f"{name}_err_interp": interp, f"{name}_linear": float(x), f"{name}_open": is_open})
        out.append(row)
    return out


def rule_fraction(windows, K_max, *, K_max_err=0.0):
    """The fraction of the range (0, K_max) that the windows of :func:`rule_windows` cover, with its error.

    The edges' errors are taken as independent; ``K_max_err`` (e.g. K_c's) is propagated too.

    Returns
    -------
    (float, float)

    Examples
    --------
    >>> from utacbook.studies.rg.what_beta_measures import rule_fraction
    >>> rule_fraction([{"lo": 1.0, "lo_err": 0.03, "hi": 2.0, "hi_err": 0.04}], 4.0)
    (0.25, 0.0125)
    """
    K_max = v.real("K_max", K_max, positive=True)
    K_max_err = v.real("K_max_err", K_max_err, nonnegative=True)
    length = sum(w["hi"] - w["lo"] for w in windows)
    var = sum(w["lo_err"] ** 2 + w["hi_err"] ** 2 for w in windows)
    frac = length / K_max
    return float(frac), float(math.hypot(math.sqrt(var) / K_max, frac * K_max_err / K_max))


def rule_sign_pattern(cal, *, k=3.0):
    """The sign of ``beta T - K`` at every calibration point 0 <= K < K_c, and its runs.

    Mean field predicts the pattern: the rule is too flat (``beta T > K``) below its first
    crossing, too steep between the crossings, too flat again above the second.  Here every
    calibration point below K_c counts, those whose slope was not shown to be stationary
    included (their ``converged`` is False); a point's sign counts if ``|beta T - K|`` exceeds
    ``k`` standard errors, else it is 0.

    Parameters
    ----------
    cal : Calibration
    k : float, default 3

    Returns
    -------
    dict
        ``K``, ``z`` (``(beta T - K)/err``), ``sign`` (+1, -1, 0), ``converged`` (arrays);
        ``runs``: list of (sign, K_first, K_last, n) of consecutive equal signs;
        ``pattern``: the signs of the runs; ``significant``: no sign is 0.

    Examples
    --------
    >>> import utacbook as ub
    >>> from utacbook.studies.rg import what_beta_measures as wb
    >>> cal = wb.Calibration(ub.stored.load(wb.STORED_NAME).values, K_c=5.54)
    >>> p = wb.rule_sign_pattern(cal)
    >>> p["pattern"], p["significant"], [(float(a), float(b)) for _, a, b, _ in p["runs"]]
    ((1, -1, 1), True, [(0.0, 1.0), (1.1, 4.0), (4.05, 5.4)])
    """
    if not isinstance(cal, Calibration):
        raise TypeError(f"cal must be a Calibration, got {type(cal).__name__}")
    k = v.real("k", k, positive=True)
    sel = np.isfinite(cal.beta_T) & (cal.K < cal.K_c)
    K = cal.K[sel]
    z = (cal.beta_T[sel] - K) / cal.beta_T_err[sel]
    sign = np.where(z > k, 1, np.where(z < -k, -1, 0))
    runs = []
    for Kk, sg in zip(K, sign):
        if runs and runs[-1][0] == sg:
            runs[-1][2], runs[-1][3] = Kk, runs[-1][3] + 1
        else:
            runs.append([int(sg), Kk, Kk, 1])
    runs = [(s_, float(a), float(b), n) for s_, a, b, n in runs]
    return {"K": K, "z": z, "sign": sign, "converged": cal.converged[sel], "runs": runs,
            "pattern": tuple(r[0] for r in runs), "significant": bool(np.all(sign != 0))}


class MissingFails(Criterion):
    """A criterion under which a condition without a value fails (instead of being left out).

    Wraps a numeric criterion of :mod:`utacbook.claims` (Bound, Agreement, Sign, ...): a
    condition whose measurement is the yes/no value ``False`` ("no value": a system without a
    midpoint slope that is a property of the system, an inversion without a solution) fails,
    with the reason ``missing``; numeric measurements are judged by the wrapped criterion.

    Parameters
    ----------
    criterion : utacbook.claims.Criterion
        The numeric criterion.
    missing : str
        The reason shown for a condition without a value.

    Examples
    --------
    >>> import utacbook.claims as uc
    >>> from utacbook.studies.rg.what_beta_measures import MissingFails
    >>> c = MissingFails(uc.Bound(0.7, 1.3, k=2), missing="no stationary β")
    >>> c.test(uc.Measurement(1.1, 0.01)), c.test(uc.Measurement(False, text="no stationary β"))
    ((True, 'inside'), (False, 'no stationary β'))
    >>> c.describe()
    'lies in [0.7, 1.3] (within 2 standard errors); a condition with no stationary β fails'
    """

    def __init__(self, criterion, *, missing="no value"):
        if not isinstance(criterion, Criterion) or getattr(criterion, "sequence", False):
            raise TypeError(f"criterion must be a Criterion judged condition by condition, got "
                            f"{type(criterion).__name__}")
        if not isinstance(missing, str) or not missing.strip():
            raise ValueError("missing must say why a condition has no value")
        self.criterion, self.missing = criterion, missing

    def test(self, m):
        if isinstance(m.value, bool):
            if m.value:
                raise TypeError("MissingFails takes a number, or False for a condition without a value")
            return False, self.missing
        return self.criterion.test(m)

    def describe(self):
        return f"{self.criterion.describe()}; a condition with {self.missing} fails"


def exact_uncoupled():
    """Exact values for independent agents (K = 0), against which the calibration's first point is checked.

    At K = 0 every agent is an independent draw ``sigmoid(h/T + xi)``, so (at the midpoint h = 0)

    * ``beta_T`` = 4 g'(0), the midpoint slope against h/T;
    * ``N_var`` = ``N var(sigma-bar)`` = Var sigmoid(xi), over time in the stationary state and over
      replicas after any number of sweeps in which every agent has been updated;
    * ``shape`` = ``beta w`` = 4 g'(0) · 2 g^-1(3/4), the quartile shape.

    Returns
    -------
    dict
        ``beta_T``, ``N_var``, ``shape`` (Gauss-Hermite quadrature, 200 nodes).

    Examples
    --------
    >>> from utacbook.studies.rg.what_beta_measures import exact_uncoupled
    >>> {k: round(x, 5) for k, x in exact_uncoupled().items()}
    {'beta_T': 0.82648, 'N_var': 0.04338, 'shape': 2.17351}
    """
    x, w = np.polynomial.hermite_e.hermegauss(200)
    w = w / w.sum()
    s = 1.0 / (1.0 + np.exp(-x))
    return {"beta_T": 4 * th.GPRIME0, "N_var": float(np.sum(w * s ** 2) - np.sum(w * s) ** 2),
            "shape": float(4 * th.GPRIME0 * th.mean_field_quartile_width(0.0))}


# --------------------------------------------------------------------------- identifiability


def lattice_compatible_couplings(beta, beta_err=0.0, cal=None, *, n=300, k=1.0):
    """The (J, T) pairs whose lattice midpoint slope f(J/T)/T equals beta (± beta_err).

    Parameters
    ----------
    beta, beta_err : float
        Measured midpoint slope and its error.
    cal : Calibration
    n : int
        Points along K over the usable calibration range.
    k : float
        Band half-width in standard errors (beta's and the calibration's).

    Returns
    -------
    utacbook.theory.CompatibleSet

    Examples
    --------
    >>> import utacbook as ub
    >>> from utacbook.studies.rg import what_beta_measures as wb
    >>> cal = wb.Calibration(ub.stored.load(wb.STORED_NAME).values)
    >>> s = wb.lattice_compatible_couplings(25.0, 0.1, cal)
    >>> s.source, s.ratio.size
    ('lattice', 300)
    """
    if not isinstance(cal, Calibration):
        raise TypeError(f"cal must be a Calibration, got {type(cal).__name__}")
    Ku = cal.K[cal.usable]
    K = np.linspace(Ku[0], Ku[-1], v.integer("n", n, low=2))
    f, fe = cal.f(K, err=True)
    return th.compatible_couplings(beta, beta_err, ratio=K, scaled=f, scaled_err=fe, k=k, source="lattice")


def lattice_pin(beta, theta, cal, *, beta_err=0.0, theta_err=0.0):
    """(J, T) from beta and Theta with the lattice's f(K): :func:`utacbook.theory.pin_couplings`.

    Returns
    -------
    utacbook.theory.PinnedCouplings

    Examples
    --------
    >>> import utacbook as ub
    >>> from utacbook.studies.rg import what_beta_measures as wb
    >>> cal = wb.Calibration(ub.stored.load(wb.STORED_NAME).values)
    >>> wb.lattice_pin(25.2, -0.4, cal, beta_err=0.09, theta_err=0.0002)
    PinnedCouplings(by theta, lattice: J = 0.8 ± 0.0004, T = 0.1898 ± 0.00021, K = 4.215 ± 0.0044)
    """
    if not isinstance(cal, Calibration):
        raise TypeError(f"cal must be a Calibration, got {type(cal).__name__}")
    u = cal.usable
    return th.pin_couplings(beta, theta, beta_err=beta_err, theta_err=theta_err, ratio=cal.K[u],
                            scaled=cal.beta_T[u], scaled_err=cal.beta_T_err[u], source="lattice")


def pin_by_ratio_observable(beta, obs, cal, *, beta_err=0.0, obs_err=0.0, which="chi_time"):
    """(J, T) from beta and an observable that depends on K alone (not on T).

    ``which="chi_time"``: N var(sigma-bar) over time at the midpoint, in the stationary state
    (the same N as the calibration; :func:`measure_system` measures it as the calibration does);
    ``which="shape"``: the quartile shape ``beta w``.  K is read off the calibration's smooth
    fit of the observable (:meth:`Calibration.observable_fit`), then ``T = f(K)/beta`` and
    ``J = K T``.  Errors: linear propagation of ``beta_err``, ``obs_err``, the fit's error at K
    and f's calibration error at K (independent).

    Returns
    -------
    utacbook.theory.PinnedCouplings

    Examples
    --------
    >>> import utacbook as ub
    >>> from utacbook.studies.rg import what_beta_measures as wb
    >>> cal = wb.Calibration(ub.stored.load(wb.STORED_NAME).values)
    >>> wb.pin_by_ratio_observable(25.2, 0.2433, cal, beta_err=0.09, obs_err=0.008)
    PinnedCouplings(by fluctuations, lattice: J = 0.7965 ± 0.032, T = 0.1891 ± 0.006, K = 4.211 ± 0.034)
    """
    if not isinstance(cal, Calibration):
        raise TypeError(f"cal must be a Calibration, got {type(cal).__name__}")
    v.choice("which", which, {"chi_time", "shape"})
    beta = v.real("beta", beta, positive=True)
    obs = v.real("obs", obs)
    beta_err = v.real("beta_err", beta_err, nonnegative=True)
    obs_err = v.real("obs_err", obs_err, nonnegative=True)
    fit = cal.observable_fit(which)
    K = fit.invert(obs)
    _, fit_err = fit(K, err=True)
    K_err = math.hypot(obs_err, float(fit_err)) / fit.derivative(K)
    f, fe = cal.f(K, err=True)
    f, fe = float(f), float(fe)
    h = 1e-4
    Klo, Khi = max(K - h, cal.K[cal.usable][0]), min(K + h, cal.K[cal.usable][-1])
    df = float((cal.f(Khi) - cal.f(Klo)) / (Khi - Klo))
    T = f / beta
    J = K * T
    # T = f(K)/beta: K (with its error), beta, and f's own calibration error at K (independent)
    dT_dK, dT_db, dT_df = df / beta, -f / beta ** 2, 1.0 / beta
    T_err = math.sqrt((dT_dK * K_err) ** 2 + (dT_db * beta_err) ** 2 + (dT_df * fe) ** 2)
    dJ_dK, dJ_db, dJ_df = T + K * dT_dK, K * dT_db, K * dT_df
    J_err = math.sqrt((dJ_dK * K_err) ** 2 + (dJ_db * beta_err) ** 2 + (dJ_df * fe) ** 2)
    cov = dJ_dK * dT_dK * K_err ** 2 + dJ_db * dT_db * beta_err ** 2 + dJ_df * dT_df * fe ** 2
    by = "fluctuations" if which == "chi_time" else "width"
    return th.PinnedCouplings(float(J), float(J_err), float(T), float(T_err), K, float(K_err), float(cov), by,
                              "lattice")


def measure_system(J, T, *, lattice_size=64, n_steps=100, n_replicas=16, time_replicas=16, time_burn=100,
                   time_sweeps=1000, seed=0):
    """What an experimenter measures on a system with hidden (J, T): beta, Theta, and the fluctuations at Theta.

    beta and Theta from :func:`utacbook.stats.midpoint_beta` with ``theta="find"`` (the midpoint
    located on the data, not assumed; field bracket [-2, 2], the guide's scan range); then
    ``time_replicas`` runs at the measured Theta give the stationary ``chi_time = N var(sigma-bar)``
    over time, as :func:`lattice_calibration` measures it.

    Parameters
    ----------
    J, T : float
        The hidden system (> 0).
    lattice_size, n_steps, n_replicas
        As :func:`utacbook.stats.midpoint_beta`.
    time_replicas, time_burn, time_sweeps : int
        As :func:`lattice_calibration` (use the calibration's).
    seed : int >= 0
        Seed of the slope (``seed``) and of the fluctuation runs (``seed + 1``).

    Returns
    -------
    dict
        ``J``, ``T``, ``beta``, ``beta_err``, ``theta``, ``theta_err``, ``chi_time``,
        ``chi_time_err``, ``converged``, ``seed``.

    Examples
    --------
    >>> from utacbook.studies.rg.what_beta_measures import measure_system
    >>> m = measure_system(0.6, 0.2, lattice_size=8, n_replicas=4, time_replicas=2, time_sweeps=20, seed=1)
    >>> sorted(m)[:4], abs(m["theta"] + 0.3) < 0.05
    (['J', 'T', 'beta', 'beta_err'], True)
    """
    return _measure_system(J, T, lattice_size=lattice_size, n_steps=n_steps, n_replicas=n_replicas,
                           time_replicas=time_replicas, time_burn=time_burn, time_sweeps=time_sweeps, seed=seed)[0]


def _measure_system(J, T, *, lattice_size, n_steps, n_replicas, time_replicas, time_burn, time_sweeps, seed):
    """:func:`measure_system` and the per-run ``N var(sigma-bar)`` of its stationary-variance runs."""
    from utacbook.stats import midpoint_beta
    J = v.real("J", J, positive=True)
    T = v.real("T", T, positive=True)
    seed = v.integer("seed", seed, low=0)
    L = v.integer("lattice_size", lattice_size, low=2)
    Rt = v.integer("time_replicas", time_replicas, low=2)
    burn = v.integer("time_burn", time_burn, low=0)
    sweeps = v.integer("time_sweeps", time_sweeps, low=2)
    r = midpoint_beta(J, T, theta="find", lattice_size=L, n_steps=n_steps, n_replicas=n_replicas, seed=seed,
                      progress=False)
    ct, ct_err, per = _time_variance(J, T, r.theta, lattice_size=L, n_replicas=Rt, burn=burn, sweeps=sweeps,
                                     seed=seed + 1)
    return ({"J": J, "T": T, "beta": r.beta, "beta_err": r.beta_err, "theta": r.theta, "theta_err": r.theta_err,
             "chi_time": ct, "chi_time_err": ct_err, "converged": r.converged, "seed": seed}, per)


def hidden_measurements(systems, *, seed=0, lattice_size=64, n_steps=100, n_replicas=16, time_replicas=16,
                        time_burn=100, time_sweeps=1000):
    """The measurements of :func:`identifiability_test`, for a stored result.

    System i is measured by :func:`measure_system` with seed ``seed + 2 i``; these are the
    simulations of :func:`identifiability_test` (the inversions are cheap and run in the build,
    ``identifiability_test(..., measurements=...)``); :func:`spot_check_hidden` re-runs a part.

    Parameters
    ----------
    systems : sequence of (J, T)
    seed, lattice_size, n_steps, n_replicas, time_replicas, time_burn, time_sweeps
        As :func:`identifiability_test` and :func:`measure_system`.

    Returns
    -------
    dict
        ``systems`` (list of [J, T]), the arguments, ``measurements`` (list of the dicts of
        :func:`measure_system`) and ``chi_time_runs`` (list of arrays (time_replicas,): ``N var(sigma-bar)``
        of each stationary-variance run, whose mean and s.e.m. are ``chi_time``, ``chi_time_err``).

    Examples
    --------
    >>> from utacbook.studies.rg.what_beta_measures import hidden_measurements, measure_system
    >>> kw = dict(lattice_size=8, n_replicas=4, time_replicas=2, time_sweeps=20)
    >>> h = hidden_measurements([(0.6, 0.2)], seed=1, **kw)
    >>> h["measurements"][0] == measure_system(0.6, 0.2, seed=1, **kw)
    True
    """
    kw = dict(lattice_size=lattice_size, n_steps=n_steps, n_replicas=n_replicas, time_replicas=time_replicas,
              time_burn=time_burn, time_sweeps=time_sweeps)
    ms, runs = [], []
    for i, (J, T) in enumerate(systems):
        m, per = _measure_system(J, T, seed=seed + 2 * i, **kw)
        ms.append(m)
        runs.append(per)
    return {"systems": [[float(J), float(T)] for J, T in systems], "seed": seed, **kw, "measurements": ms,
            "chi_time_runs": runs}


def spot_check_hidden(values, *, index=-1, n_runs=2):
    """Re-run a part of one system of a stored :func:`hidden_measurements` and compare bit for bit.

    The midpoint slope is re-run at the stored Theta (the midpoint that the root search of
    :func:`measure_system` located; with Theta given, :func:`utacbook.stats.midpoint_beta`
    makes the same slope runs with the same seed, without the search), and the first
    ``n_runs`` stationary-variance runs at that Theta (run k of :func:`utacbook.models.scan_field`
    does not depend on how many runs are made).  Theta and its error are not re-derived.

    Returns
    -------
    dict
        ``index``, ``J``, ``T``, ``beta_equal`` (beta, its error and ``converged`` equal),
        ``chi_time_runs_equal``, ``identical`` (both), ``max_rel_diff``.
    """
    from utacbook.stats import midpoint_beta
    n = len(values["measurements"])
    i = v.integer("index", index % n if isinstance(index, int) else index, low=0, high=n - 1)
    m = values["measurements"][i]
    L = values["lattice_size"]
    r = midpoint_beta(m["J"], m["T"], theta=m["theta"], lattice_size=L, n_steps=values["n_steps"],
                      n_replicas=values["n_replicas"], seed=m["seed"], progress=False)
    _, _, runs = _time_variance(m["J"], m["T"], m["theta"], lattice_size=L, n_replicas=n_runs,
                                burn=values["time_burn"], sweeps=values["time_sweeps"], seed=m["seed"] + 1)
    stored_runs = np.asarray(values["chi_time_runs"][i][:n_runs])
    b_eq = r.beta == m["beta"] and r.beta_err == m["beta_err"] and r.converged == m["converged"]
    t_eq = bool(np.array_equal(runs, stored_runs))
    diff = max(abs(r.beta / m["beta"] - 1), abs(r.beta_err / m["beta_err"] - 1),
               float(np.max(np.abs(runs / stored_runs - 1))))
    return {"index": i, "J": m["J"], "T": m["T"], "beta_equal": bool(b_eq), "chi_time_runs_equal": t_eq,
            "identical": bool(b_eq and t_eq), "max_rel_diff": diff}


def systems_with_equal_beta(beta, K_values, cal):
    """Systems (J, T) with the same lattice midpoint slope beta, one per K: T = f(K)/beta, J = K T.

    Returns
    -------
    list of (float, float)

    Examples
    --------
    >>> import utacbook as ub
    >>> from utacbook.studies.rg import what_beta_measures as wb
    >>> cal = wb.Calibration(ub.stored.load(wb.STORED_NAME).values)
    >>> [(round(J, 4), round(T, 4)) for J, T in wb.systems_with_equal_beta(25.0, [1.2, 3.0], cal)]
    [(0.0525, 0.0438), (0.2494, 0.0831)]
    """
    beta = v.real("beta", beta, positive=True)
    K = v.real_array("K_values", K_values, ndim=1, min_len=1)
    f = cal.f(K)
    return [(float(k * fk / beta), float(fk / beta)) for k, fk in zip(K, f)]


def identifiability_test(systems, cal, *, seed=0, measurements=None, **measure_kw):
    """Hidden (J, T) -> measured beta, Theta, chi_time -> (J, T) inferred two ways, with z-scores.

    Parameters
    ----------
    systems : sequence of (J, T)
        The hidden systems.
    cal : Calibration
    seed : int
        System i is measured with seed ``seed + 2 i`` (see :func:`measure_system`).
    measurements : list of dict, optional
        The measurements already made (``hidden_measurements(systems, seed=seed, ...)["measurements"]``,
        e.g. stored): system i must be their (J, T) with seed ``seed + 2 i``; nothing is simulated.
    **measure_kw
        Passed to :func:`measure_system`.

    Returns
    -------
    list of dict
        Per system: the measurement (:func:`measure_system`) and ``by_theta`` and ``by_chi``
        (:class:`utacbook.theory.PinnedCouplings`, or None with ``*_error`` when the inversion
        fails), with ``z_theta`` and ``z_chi`` = (z_J, z_T, Mahalanobis distance) of the truth.

    Examples
    --------
    One hidden system at the calibration's settings (L = 64; a second or two):

    >>> import utacbook as ub
    >>> from utacbook.studies.rg import what_beta_measures as wb
    >>> cal = wb.Calibration(ub.stored.load(wb.STORED_NAME).values)
    >>> rows = wb.identifiability_test([(0.6, 0.2)], cal, seed=7)
    >>> p = rows[0]["by_theta"]
    >>> abs(p.J - 0.6) < 3 * p.J_err and abs(p.T - 0.2) < 3 * p.T_err
    True
    >>> print(wb.hidden_table(rows, display=False).splitlines()[0][:40])
    | hidden J | hidden T | J/T | measured β
    """
    if measurements is not None and len(measurements) != len(systems):
        raise ValueError(f"measurements must hold one measurement per system ({len(systems)}), "
                         f"got {len(measurements)}")
    rows = []
    for i, (J, T) in enumerate(systems):
        if measurements is None:
            m = measure_system(J, T, seed=seed + 2 * i, **measure_kw)
        else:
            m = dict(measurements[i])
            if (m["J"], m["T"], m["seed"]) != (J, T, seed + 2 * i):
                raise ValueError(f"measurement {i} is of (J, T) = ({m['J']}, {m['T']}) with seed {m['seed']}, "
                                 f"not of ({J}, {T}) with seed {seed + 2 * i}")
        row = dict(m)
        try:
            p = lattice_pin(m["beta"], m["theta"], cal, beta_err=m["beta_err"], theta_err=m["theta_err"])
            row["by_theta"], row["z_theta"] = p, p.z(J, T)
        except ValueError as exc:
            row["by_theta"], row["z_theta"], row["theta_error"] = None, None, str(exc)
        try:
            p = pin_by_ratio_observable(m["beta"], m["chi_time"], cal, beta_err=m["beta_err"],
                                        obs_err=m["chi_time_err"])
            row["by_chi"], row["z_chi"] = p, p.z(J, T)
        except ValueError as exc:
            row["by_chi"], row["z_chi"], row["chi_error"] = None, None, str(exc)
        rows.append(row)
    return rows


# --------------------------------------------------------------------------- tables


def _pm(x, e):
    from utacbook.report import format_pm
    return format_pm(x, e) if np.isfinite(x) and np.isfinite(e) else "nan"


def logistic_fit_beta_T(names=None, *, R_min=-2.0, R_max=2.0, n_points=25, lattice_size=64, n_steps=100,
                        n_replicas=4, seed=2025):
    """The guide's own estimator for some of its systems: the logistic fit's beta, times T.

    The guide's claim is about the beta of its logistic fit (:func:`utacbook.stats.extract_emergent_beta`)
    on a scan of the field, not about the midpoint slope.  This runs the guide's scan at the
    system's own (J, T) (the fit's grid is in field units, so unlike the midpoint slope it is
    not a function of J/T alone) and fits every replica.

    Parameters
    ----------
    names : sequence of str, optional
        Systems of :func:`utacbook.models.microscopic_to_beta_map` (default: all six).
    R_min, R_max, n_points : float, float, int
        The grid, the guide's ``linspace(-2, 2, 25)`` by default.
    lattice_size, n_steps, n_replicas, seed
        As :func:`utacbook.models.scan_field` (system i uses ``seed + i``).

    Returns
    -------
    dict
        name -> dict with ``beta_T`` and ``beta_T_err`` (mean ± s.e.m. over replicas of the
        fitted beta times T), ``r2`` (mean R²), ``K``.

    Examples
    --------
    >>> from utacbook.studies.rg.what_beta_measures import logistic_fit_beta_T
    >>> r = logistic_fit_beta_T(["Quantum Vacuum"], lattice_size=8, n_steps=20, n_replicas=2, seed=1)
    >>> sorted(r["Quantum Vacuum"])
    ['K', 'beta_T', 'beta_T_err', 'r2']
    """
    from utacbook.models import scan_field
    from utacbook.stats import extract_emergent_beta
    g = _guide()
    names = list(g) if names is None else list(names)
    for n in names:
        if n not in g:
            raise ValueError(f"names: unknown system {n!r}; the guide's are {sorted(g)}")
    h = v.field_grid(R_min, R_max, n_points)
    R = v.integer("n_replicas", n_replicas, low=2)
    seed = v.integer("seed", seed, low=0)
    out = {}
    for i, n in enumerate(names):
        J, T, K = g[n]
        sig = scan_field(J, T, h, lattice_size=lattice_size, n_steps=n_steps, n_replicas=R, seed=seed + i,
                         progress=False)["sigma"]
        fits = [extract_emergent_beta(h, sig[r]) for r in range(R)]
        bt = np.array([f[0] for f in fits]) * T
        out[n] = {"beta_T": float(bt.mean()), "beta_T_err": float(bt.std(ddof=1) / math.sqrt(R)),
                  "r2": float(np.mean([f[1] for f in fits])), "K": K}
    return out


def guide_systems_table(cal, *, logistic=None, display=True):
    """The guide's six systems under the charitable reading: beta T (lattice, mean field) against J/T.

    The lattice values are the calibration's at K = J/T (by the scaling identity the same, in
    law, as at the system's own T); above K_c they are the 100-sweep numbers, marked with
    their change when the runs are four times longer.

    Parameters
    ----------
    cal : Calibration
    logistic : dict, optional
        :func:`logistic_fit_beta_T`: adds the guide's own logistic-fit beta T for the systems it has.
    display : bool

    Returns
    -------
    str
        The Markdown table.

    Examples
    --------
    >>> import utacbook as ub
    >>> from utacbook.studies.rg import what_beta_measures as wb
    >>> cal = wb.Calibration(ub.stored.load(wb.STORED_NAME).values)
    >>> print(wb.guide_systems_table(cal, display=False).splitlines()[2])
    | LLM Training | 0.8 | 0.19 | 4.21 | 4.765 ± 0.018 | +13.2 ± 0.4 % | 6.357 | +51.0 % |
    """
    logistic = {} if logistic is None else dict(logistic)
    head = ["system", "J", "T", "J/T", "lattice βT (midpoint slope)", "(βT − J/T)/(J/T)"]
    if logistic:
        head += ["βT of the guide's logistic fit", "(βT − J/T)/(J/T), logistic fit"]
    head += ["mean-field βT", "mean field (βT − J/T)/(J/T)"]
    rows = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for name, (J, T, K) in _guide().items():
        i = int(np.argmin(np.abs(cal.K - K)))
        if abs(cal.K[i] - K) > 1e-6:
            raise ValueError(f"the calibration has no point at the guide's K = {K:.6g} ({name})")
        b, e = cal.beta_T[i], cal.beta_T_err[i]
        dev = pct_pm((b - K) / K, e / K)
        bt = _pm(b, e)
        if not cal.stationary[i]:
            bt += (f" (100 sweeps; {pct_pm(cal.long_change[i], cal.long_change_err[i])} with "
                   f"{cal.settings.get('check_steps', 4)}× longer runs)")
        cells = [name, f"{J:g}", f"{T:g}", f"{K:.3g}", bt, dev]
        if logistic:
            lg = logistic.get(name)
            cells += ([_pm(lg["beta_T"], lg["beta_T_err"]), pct_pm((lg["beta_T"] - K) / K, lg["beta_T_err"] / K)]
                      if lg is not None else ["—", "—"])
        mf = th.mean_field_beta_scaled(K)
        cells += ["∞ (jump)" if not np.isfinite(mf) else f"{mf:.3f}",
                  "∞" if not np.isfinite(mf) else f"{(mf - K) / K:+.1%}".replace("%", " %").replace("-", "−")]
        rows.append("| " + " | ".join(cells) + " |")
    text = "\n".join(rows)
    if display:
        from IPython.display import Markdown, display as _display
        _display(Markdown(text))
    return text


def pct_pm(x, err, *, sig=1):
    """A relative change or deviation with its error, in per cent, sign shown: ``+13.2 ± 0.4 %``.

    Examples
    --------
    >>> from utacbook.studies.rg.what_beta_measures import pct_pm
    >>> pct_pm(0.1316, 0.0044), pct_pm(-0.33, 0.0012)
    ('+13.2 ± 0.4 %', '−33.0 ± 0.1 %')
    """
    from utacbook.report import format_pm
    t = format_pm(100 * x, 100 * err, sig=sig)
    return ("+" + t if x >= 0 else t) + " %"


def hidden_table(rows, *, display=True):
    """The identifiability test: hidden (J, T), what was measured, and (J, T) inferred two ways.

    Returns
    -------
    str
        The Markdown table.
    """
    lines = ["| hidden J | hidden T | J/T | measured β | measured Θ | N var σ̄ (over time) | "
             "(J, T) from β and Θ | (J, T) from β and N var σ̄ |", "|---|---|---|---|---|---|---|---|"]

    def pinned(p, z):
        if p is None:
            return "(no solution)"
        return (f"J = {_pm(p.J, p.J_err)}, T = {_pm(p.T, p.T_err)} (z = {z[0]:+.1f}, {z[1]:+.1f})")
    for r in rows:
        lines.append(f"| {r['J']:.4g} | {r['T']:.4g} | {r['J'] / r['T']:.3g} | {_pm(r['beta'], r['beta_err'])} | "
                     f"{_pm(r['theta'], r['theta_err'])} | {_pm(r['chi_time'], r['chi_time_err'])} | "
                     f"{pinned(r['by_theta'], r['z_theta'])} | {pinned(r['by_chi'], r['z_chi'])} |")
    text = "\n".join(lines)
    if display:
        from IPython.display import Markdown, display as _display
        _display(Markdown(text))
    return text


# --------------------------------------------------------------------------- plots


def plot_rule(cal, *, axes=None, tol=0.3, roots=None, guide=True):
    """Left: beta T against K = J/T (lattice, mean field, the line beta T = K and its ±tol band).
    Right: the relative deviation (beta T - K)/K.

    Parameters
    ----------
    cal : Calibration
    axes : pair of matplotlib axes, optional
    tol : float
        The guide's tolerance band around the rule.
    roots : list of dict, optional
        :func:`lattice_roots` (drawn with their errors).
    guide : bool
        Mark the guide's six systems.

    Returns
    -------
    pair of matplotlib axes
    """
    import matplotlib.pyplot as plt
    if axes is None:
        _, axes = plt.subplots(1, 2, figsize=(11, 4.2))
    a, b = axes
    Kmf = th.critical_coupling_ratio()
    Kf = np.linspace(0, 5.9, 600)
    a.fill_between(Kf, (1 - tol) * Kf, (1 + tol) * Kf, color="0.85", lw=0, label=f"rule ± {tol:.0%}")
    a.plot(Kf, Kf, "k--", lw=1.2, label=r"rule $\beta T = J/T$")
    Km = np.linspace(0, Kmf * 0.995, 400)
    a.plot(Km, th.mean_field_beta_scaled(Km), "-", color="#2ca02c", lw=1.5, label="mean field")
    y_top = 8.0
    sel = np.isfinite(cal.beta_T) & (cal.K < cal.K_c)
    conv = sel & cal.converged
    on = conv & (cal.beta_T <= y_top)
    a.errorbar(cal.K[on], cal.beta_T[on], yerr=cal.beta_T_err[on], fmt="o", ms=4, capsize=2, color="C0",
               label="lattice, L = 64, 100 sweeps")
    off = sel & (cal.beta_T > y_top)
    for n, (K_, c_) in enumerate(zip(cal.K[off], cal.converged[off])):
        a.plot([K_], [y_top * 0.985], "^", ms=6, color="C0", mfc="C0" if c_ else "white", clip_on=False,
               label="lattice, off the scale (open: slope not shown to be stationary)" if n == 0 else None)
    lo, hi = th.mean_field_rule_roots()
    a.plot([lo, hi], [lo, hi], "D", color="#2ca02c", ms=6, mfc="white", label="mean-field roots")
    if roots:
        for r in roots:
            a.errorbar([r["K"]], [r["K"]], xerr=[r["err"]], fmt="s", color="C3", ms=6, mfc="white", capsize=3)
        a.plot([], [], "s", color="C3", mfc="white", label="lattice roots")
    if guide:
        for _J, _T, K in _guide().values():
            if K < cal.K_c:
                a.axvline(K, color="C1", lw=0.6, alpha=0.6)
        a.plot([], [], "-", color="C1", lw=0.6, label="guide's systems below $K_c$")
    a.axvline(cal.K_c, color="k", ls=":", lw=1)
    a.set_xlim(0, 5.9)
    a.set_ylim(0, y_top)
    a.set_xlabel("$K = J/T$")
    a.set_ylabel(r"midpoint slope against $h/T$: $\beta T$")
    a.legend(fontsize=7.5, loc="upper left")
    # right: the deviation
    b.axhspan(-tol, tol, color="0.85", lw=0)
    b.axhline(0, color="k", ls="--", lw=1)
    Kp = Km[Km > 0.05]
    b.plot(Kp, th.mean_field_rule_error(Kp), "-", color="#2ca02c", lw=1.5, label="mean field")
    dev_top = 1.5
    with np.errstate(invalid="ignore", divide="ignore"):
        dev = (cal.beta_T - cal.K) / np.where(cal.K > 0, cal.K, np.nan)
    pos = conv & (cal.K > 0) & (dev <= dev_top)
    b.errorbar(cal.K[pos], dev[pos], yerr=cal.beta_T_err[pos] / cal.K[pos],
               fmt="o", ms=4, capsize=2, color="C0", label="lattice")
    off = sel & (cal.K > 0) & (dev > dev_top)                   # K = 0 (infinite deviation) is left out
    for n, (K_, c_) in enumerate(zip(cal.K[off], cal.converged[off])):
        b.plot([K_], [dev_top * 0.985], "^", ms=6, color="C0", mfc="C0" if c_ else "white", clip_on=False,
               label="lattice, off the scale" if n == 0 else None)
    b.axvline(cal.K_c, color="k", ls=":", lw=1, label="lattice $K_c$")
    b.set_xlim(0, 5.9)
    b.set_ylim(-0.6, dev_top)
    b.set_xlabel("$K = J/T$")
    b.set_ylabel(r"$(\beta T - J/T)/(J/T)$")
    b.legend(fontsize=8, loc="upper center")
    return axes


def plot_pin_z(rows, *, k=2.0, ax=None):
    """Distance of the inferred (J, T) from the hidden one, in standard errors, per system and method.

    Parameters
    ----------
    rows : list of dict
        :func:`identifiability_test`.
    k : float
        The criterion's band (drawn as ±k).
    ax : matplotlib axis, optional

    Returns
    -------
    matplotlib axis
    """
    import matplotlib.pyplot as plt
    if ax is None:
        _, ax = plt.subplots(figsize=(5, 4))
    ax.axhspan(-k, k, color="0.88", lw=0, label=f"±{k:.2f} standard errors")
    ax.axhline(0, color="k", lw=0.8)
    x = np.arange(len(rows))
    zs = []
    for key, c, m, dx, lab in (("z_theta", "C3", "o", -0.15, "from β and Θ"),
                               ("z_chi", "C4", "s", 0.15, "from β and N var σ̄")):
        for j, (coord, mf) in enumerate((("J", c), ("T", "none"))):
            z = [r[key][j] if r[key] is not None else np.nan for r in rows]
            zs += z
            ax.plot(x + dx + (0.06 if j else -0.06), z, m, color=c, mfc=mf, ms=6,
                    label=f"{lab}: {coord}")
    ax.set_xticks(x)
    ax.set_xticklabels([f"{r['J'] / r['T']:.3g}" for r in rows])
    ax.set_xlabel("hidden system's J/T")
    ax.set_ylabel("(inferred − hidden) / standard error")
    lo = min(-k, float(np.nanmin(zs)) if np.isfinite(zs).any() else -k)
    hi = max(k, float(np.nanmax(zs)) if np.isfinite(zs).any() else k)
    ax.set_ylim(lo - 2.6, hi + 0.4)                          # room for the legend below the points
    ax.legend(fontsize=7.5, loc="lower center", ncol=2)
    return ax


def plot_compatible(sets, *, pinned=(), truth=(), ax=None, colors=None, J_max=None, T_max=None):
    """Compatible (J, T) curves with their bands, pinned points with 2-sigma error ellipses, true systems.

    The drawing is shared with :func:`utacbook.viz.explore_compatible_couplings`.

    Parameters
    ----------
    sets : sequence of utacbook.theory.CompatibleSet
    pinned : sequence of (PinnedCouplings, label)
    truth : sequence of ((J, T), label)
    ax : matplotlib axis, optional
    colors : sequence of colours, optional (one per set)
    J_max : float, optional
        Draw the curves up to this J (and set the axis); default: all of them.
    T_max : float, optional
        Upper limit of the T axis; default: the highest point drawn (band, pinned ± 3 errors, truth), + 10 %.

    Returns
    -------
    matplotlib axis

    Examples
    --------
    >>> from utacbook.theory import mean_field_compatible_couplings, pin_couplings
    >>> from utacbook.studies.rg.what_beta_measures import plot_compatible
    >>> ax = plot_compatible([mean_field_compatible_couplings(20.0, 1.0)],
    ...                      pinned=[(pin_couplings(20.0, -0.3, beta_err=1.0), "pinned")], J_max=1.0)
    >>> tuple(float(x) for x in ax.get_xlim())
    (0.0, 1.0)
    """
    from utacbook.viz._widgets import _plot_compatible
    return _plot_compatible(sets, pinned=pinned, truth=truth, ax=ax, colors=colors, J_max=J_max, T_max=T_max)
