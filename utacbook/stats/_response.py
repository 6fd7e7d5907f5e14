r"""A grid-independent emergent beta: the midpoint slope of the response.

The guide's emergent beta is the steepness of a logistic fitted to the response
:math:`\bar\sigma(h)` on a scan grid.  Because the response is not exactly a
logistic, that number depends on the grid: its range, its number of points and
where the midpoint falls between two of them.  :func:`midpoint_beta` measures a
property of the response curve itself,

.. math:: \beta_{\rm mid} = 4 \left.\frac{d\bar\sigma}{dh}\right|_{h = \Theta},
          \qquad \bar\sigma(\Theta) = \tfrac12 ,

which equals :math:`\beta` for an exact logistic and
:func:`utacbook.theory.mean_field_beta` for the mean-field response.  No grid is
involved: Θ is located by root-finding (or taken from an exact symmetry), and
the slope comes from symmetric differences

.. math:: D(\delta) = \frac{\bar\sigma(\Theta + \delta) - \bar\sigma(\Theta - \delta)}{2\delta}
          = \frac{\beta_{\rm mid}}{4} + b\,\delta^2 + c\,\delta^4 + O(\delta^6),

extrapolated to :math:`\delta \to 0` (D is even in δ by construction).  Both sides of every difference run with
the same seed (*common random numbers*): replica r sees the same initial lattice
and the same random numbers at every field, so the difference measures how one
run responds to the field, and its error no longer grows like :math:`1/\delta`.
Errors come from the spread over replicas of each replica's own extrapolated slope
(paired), combined with an estimate of the extrapolation's truncation error.

An optional second observable is the interquartile steepness
:math:`\beta_w = 2 \ln 3 / (h_{3/4} - h_{1/4})` (also exact for a logistic).
"""

from __future__ import annotations

import math
import numbers
from dataclasses import dataclass, field

import numpy as np

from utacbook import _validate as v

__all__ = ["midpoint_beta", "MidpointBetaResult", "MIDPOINT_RTOL"]

#: relative tolerance of the convergence checks of :func:`midpoint_beta` (extrapolation and run length)
MIDPOINT_RTOL = 0.05

_LN3 = math.log(3.0)
_THETA_METHODS = ("find", "symmetric")


def _fmt(x, digits=4):
    return "nan" if x is None or not np.isfinite(x) else f"{x:.{digits}g}"


@dataclass(repr=False)
class MidpointBetaResult:
    """What :func:`midpoint_beta` returns.

    Attributes
    ----------
    beta : float
        β_mid = 4 × the slope of the replica-mean response at Θ, extrapolated to
        δ → 0 (1 / units of the field); nan if the response does not rise at Θ.
    beta_err : float
        Its standard error: ``beta_err_stat`` and ``beta_sys`` added in quadrature.
    beta_err_stat : float
        Statistical error: standard error over replicas of each replica's own
        extrapolated slope (× 4).
    beta_sys : float
        Error of the extrapolation: how much the extrapolated slope changes when
        the δ⁴ term is dropped from the fit (× 4); an overestimate for a smooth curve.
    theta, theta_err : float
        The midpoint Θ and its error (0 when given or exact).
    theta_method : str
        ``"find"``, ``"symmetric"`` or ``"given"``.
    sigma_at_theta, sigma_at_theta_err : float
        Replica mean ± s.e.m. of σ̄ at Θ (1/2 within errors if Θ is right).
    deltas : ndarray
        Half-widths δ of the differences (field units), largest first.
    slopes, slopes_err : ndarray
        Replica mean ± s.e.m. of D(δ) at each δ.
    replica_slopes : ndarray, shape (n_replicas, n_deltas)
        D(δ) of every replica.
    replica_betas : ndarray, shape (n_replicas,)
        Each replica's own extrapolated β (their mean is ``beta``): for paired
        comparisons of two settings run with the same seed.
    n_replicas : int
    seed : int or tuple
        The seed used by every scan call (reproduces the result).
    converged : bool
        True if the δ² extrapolation is consistent (see ``diagnosis``) and, when
        checked, the slope does not change with the run length.
    stationary : bool or None
        Result of the run-length check (None: not made).
    long_steps : int or None
        Sweeps of the run-length check.
    long_change, long_change_err : float
        Relative change of D at the largest δ when the runs are ``long_steps``
        long instead of ``n_steps`` (paired; nan if not checked).
    diagnosis : str
        Empty when converged; otherwise what failed, in words.
    beta_w, beta_w_err : float
        Interquartile steepness 2 ln 3 / (h_3/4 − h_1/4) and its error (nan unless
        ``quartiles=True``).
    h_quartiles : tuple of float
        (h_1/4, h_3/4), nan unless ``quartiles=True``.
    n_evaluations : int
        Calls of the scan (each runs ``n_replicas`` runs at one field).
    J, T : float
    lattice_size, n_steps : int

    Examples
    --------
    From :func:`midpoint_beta` on an exact logistic of steepness 3 centred at -0.4
    (a deterministic ``scan``, so the replicas agree):

    >>> import numpy as np
    >>> from scipy.special import expit
    >>> from utacbook.stats import midpoint_beta
    >>> def logistic_scan(J, T, h, *, lattice_size, n_steps, n_replicas, seed):
    ...     return {"sigma": np.tile(expit(3.0 * (np.asarray(h) + 0.4)), (n_replicas, 1))}
    >>> r = midpoint_beta(0.8, 0.19, scan=logistic_scan, theta="symmetric", n_replicas=2, seed=0)
    >>> r                                                    # doctest: +ELLIPSIS
    MidpointBetaResult(beta=3 ± 0.00019, theta=-0.4 (symmetric), 4 deltas [0.0229..0.183], converged, ...)
    >>> round(r.beta, 5), round(r.slope, 5), r.theta_method, r.replica_betas.shape
    (3.0, 0.75, 'symmetric', (2,))

    One row per half-width δ; for a logistic the symmetric difference is exactly
    tanh(3δ/2) / (2δ), which tends to the slope 3/4 as δ → 0:

    >>> df = r.to_dataframe()
    >>> df.shape, list(df.columns)
    ((4, 6), ['delta', 'slope', 'slope_err', 'beta_delta', 'beta_delta_err', 'cv'])
    >>> bool(np.allclose(df["slope"], np.tanh(1.5 * df["delta"]) / (2 * df["delta"])))
    True
    >>> r.to_dict()["n_replicas"]
    2
    """

    beta: float
    beta_err: float
    theta: float
    theta_err: float
    deltas: np.ndarray
    slopes: np.ndarray
    slopes_err: np.ndarray
    n_replicas: int
    seed: object
    beta_err_stat: float = float("nan")
    beta_sys: float = float("nan")
    theta_method: str = "find"
    sigma_at_theta: float = float("nan")
    sigma_at_theta_err: float = float("nan")
    replica_slopes: np.ndarray = field(default_factory=lambda: np.empty((0, 0)))
    replica_betas: np.ndarray = field(default_factory=lambda: np.empty(0))
    converged: bool = False
    stationary: bool | None = None
    long_steps: int | None = None
    long_change: float = float("nan")
    long_change_err: float = float("nan")
    diagnosis: str = ""
    beta_w: float = float("nan")
    beta_w_err: float = float("nan")
    h_quartiles: tuple = (float("nan"), float("nan"))
    n_evaluations: int = 0
    J: float = float("nan")
    T: float = float("nan")
    lattice_size: int = 0
    n_steps: int = 0

    def __repr__(self):
        state = "converged" if self.converged else "NOT converged"
        seed = repr(self.seed)
        seed = seed if len(seed) <= 24 else seed[:21] + "..."
        d = np.asarray(self.deltas)
        dr = f"[{_fmt(d.min(), 3)}..{_fmt(d.max(), 3)}]" if d.size else "[]"
        return (f"MidpointBetaResult(beta={_fmt(self.beta)} ± {_fmt(self.beta_err, 2)}, "
                f"theta={_fmt(self.theta)} ({self.theta_method}), {d.size} deltas {dr}, {state}, "
                f"n_replicas={self.n_replicas}, L={self.lattice_size}, n_steps={self.n_steps}, seed={seed})")

    def _repr_pretty_(self, p, cycle):  # IPython / Jupyter
        p.text(repr(self))

    @property
    def slope(self):
        """The midpoint slope dσ̄/dh at Θ (= beta / 4)."""
        return self.beta / 4.0

    def to_dataframe(self):
        """One row per δ: ``delta``, ``slope``, ``slope_err``, ``beta_delta`` (= 4 slope), ``beta_delta_err``,
        ``cv`` (spread of the replicas' slopes over their mean)."""
        import pandas as pd
        rs = np.asarray(self.replica_slopes)
        with np.errstate(invalid="ignore", divide="ignore"):
            cv = (rs.std(axis=0, ddof=1) / np.abs(rs.mean(axis=0)) if rs.shape[0] > 1
                  else np.full(len(self.deltas), np.nan))
        return pd.DataFrame({"delta": self.deltas, "slope": self.slopes, "slope_err": self.slopes_err,
                             "beta_delta": 4 * np.asarray(self.slopes),
                             "beta_delta_err": 4 * np.asarray(self.slopes_err), "cv": cv})

    def to_dict(self):
        """The scalar fields as a plain dict (arrays as lists)."""
        out = {}
        for k in self.__dataclass_fields__:
            val = getattr(self, k)
            out[k] = val.tolist() if isinstance(val, np.ndarray) else val
        return out


def _sem(x, axis=0):
    x = np.asarray(x, dtype=float)
    n = x.shape[axis]
    return float("nan") if n < 2 else x.std(axis=axis, ddof=1) / math.sqrt(n)


class _Response:
    """The response at one field, per replica, from the scan with one fixed seed (cached)."""

    def __init__(self, scan, J, T, kw, R):
        self.scan, self.J, self.T, self.kw, self.R = scan, J, T, kw, R
        self.cache = {}

    def __call__(self, h, n_steps=None):
        key = (float(h), n_steps)
        if key not in self.cache:
            kw = dict(self.kw)
            if n_steps is not None:
                kw["n_steps"] = n_steps
            out = self.scan(self.J, self.T, np.array([float(h)]), **kw)
            try:
                s = np.asarray(out["sigma"], dtype=float)
            except (TypeError, KeyError, IndexError):
                raise TypeError("scan must return a mapping with 'sigma' of shape (n_replicas, 1)") from None
            if s.shape != (self.R, 1):
                raise ValueError(f"scan returned sigma of shape {s.shape}, expected ({self.R}, 1) "
                                 f"(n_replicas, points)")
            if not np.all(np.isfinite(s)):
                raise ValueError(f"scan returned non-finite sigma at h={float(h)!r}")
            self.cache[key] = s[:, 0]
        return self.cache[key]

    def mean(self, h):
        return float(self(h).mean())

    @property
    def n_evaluations(self):
        return len(self.cache)

    def secant_slope(self, h):
        """Slope of the mean response from the two cached fields nearest h on either side."""
        hs = np.array(sorted(k[0] for k in self.cache if k[1] is None))
        lo, hi = hs[hs < h], hs[hs > h]
        if not lo.size or not hi.size:
            return float("nan")
        a, b = lo[-1], hi[0]
        return (self.mean(b) - self.mean(a)) / (b - a)


def _root(F, level, lo, hi, xtol):
    """Field where the replica-mean response crosses ``level`` in [lo, hi] (Brent's method)."""
    from scipy.optimize import brentq
    flo, fhi = F.mean(lo) - level, F.mean(hi) - level
    if flo == 0.0:
        return lo
    if fhi == 0.0:
        return hi
    if flo * fhi > 0:
        return None
    return float(brentq(lambda h: F.mean(h) - level, lo, hi, xtol=xtol, rtol=4 * np.finfo(float).eps,
                        maxiter=200))


def _bracket_out(F, level, theta, w, side, limit):
    """A bracket [a, b] of the crossing of ``level`` on one side of Θ, from Θ + side·w outwards."""
    inner = theta
    step = w
    for _ in range(60):
        h = theta + side * step
        if (side > 0 and h > limit) or (side < 0 and h < limit):
            h = limit
        crossed = (F.mean(h) - level) * side > 0
        if crossed:
            return (inner, h) if side > 0 else (h, inner)
        if h == limit:
            return None
        inner = h
        step *= 2.0
    return None


def midpoint_beta(J, T, *, scan=None, theta="find", bracket=(-2.0, 2.0), deltas=None, n_deltas=4,
                  quartiles=False, check_steps=None, lattice_size=64, n_steps=100, n_replicas=16,
                  seed=None, rtol=MIDPOINT_RTOL, **scan_kwargs):
    r"""Grid-independent emergent β: 4 × the slope of the response at its midpoint.

    Parameters
    ----------
    J, T : float
        Coupling and noise temperature (T > 0), passed to ``scan`` unchanged.
    scan : callable, optional
        ``scan(J, T, h_values, *, lattice_size, n_steps, n_replicas, seed, **scan_kwargs)``
        returning a mapping with ``"sigma"`` of shape ``(n_replicas, len(h_values))``;
        default :func:`utacbook.models.scan_field` (the guide's protocol: a fresh random
        lattice per run).  Every field is run in its own call with the same ``seed``, so
        that replica r meets the same random numbers at every field (common random
        numbers; for ``scan_field`` replica r of a one-field scan is stream r).  A scan
        that derives its randomness otherwise still gives a valid, only noisier, result.
    theta : {"find", "symmetric"} or float, default "find"
        The midpoint Θ.  ``"find"``: the field in ``bracket`` where the replica-mean
        response is 1/2 (Brent's method; with common random numbers the replica mean is a
        smooth function of h).  ``"symmetric"``: Θ = −J/2, exact for the guide's model
        (σ → 1 − σ, h → −J − h); use it only for models with that symmetry.  A float:
        Θ itself.
    bracket : (float, float), default (-2, 2)
        Field interval that contains the transition (the guide's scan range); it is
        searched by ``theta="find"`` and sets the pilot difference (below).  It is not a
        grid: the result does not depend on it beyond the root-finding tolerance.
    deltas : sequence of float > 0, optional
        Half-widths δ of the symmetric differences (field units, at least 3).  Default:
        ``w · 2**-k`` for ``k = 1 .. n_deltas`` with ``w = ln 3 / (4 D_pilot)``, the
        quartile half-width of a logistic with the slope ``D_pilot`` of a pilot difference
        of half-width ``1e-4 × (bracket[1] − bracket[0])``; so the δ follow the width of
        the curve itself.
    n_deltas : int >= 3, default 4
        Number of automatic δ.
    quartiles : bool, default False
        Also locate h_1/4 and h_3/4 (where the replica-mean response is 1/4 and 3/4) and
        return ``beta_w = 2 ln 3 / (h_3/4 − h_1/4)`` with its error.
    check_steps : int >= 2, optional
        Run-length check: re-evaluate D at the largest δ with ``check_steps × n_steps``
        sweeps (same seed: the runs share their first ``n_steps`` sweeps) and call the
        result stationary if the relative change of D, plus two standard errors, is at
        most ``rtol``.
    lattice_size, n_steps, n_replicas : int
        Passed to ``scan``; ``n_replicas >= 2`` (errors come from the replicas).
    seed : int >= 0, optional
        Root seed of every scan call; None draws fresh entropy (reported in the result).
    rtol : float in (0, 1), default 0.05
        Tolerance of the convergence checks, which must be *shown*: a check passes
        only if the relative change it measures, plus two standard errors, is at most
        ``rtol`` (too few replicas fail it, with a diagnosis saying so).  Extrapolation:
        D(δ) is fitted by a + b δ² + c δ⁴ and by a + b δ² (per replica, least squares),
        and the two intercepts are compared; a clear difference means the slope still
        changes as δ shrinks (a jump, or structure finer than the δ).
    **scan_kwargs
        Passed to ``scan`` (e.g. ``update=`` of ``scan_field``, or the options of an
        extended scan).

    Returns
    -------
    MidpointBetaResult
        ``beta``, ``beta_err``, ``theta``, ``theta_err``, ``deltas``, ``slopes``,
        ``slopes_err``, ``n_replicas``, ``seed``, ``converged``, ``diagnosis`` and more;
        ``to_dataframe()`` gives one row per δ.

    Notes
    -----
    The error of Θ enters the slope only at second order (the slope is extremal at an
    inflection point), and is not propagated.  Cost: with ``theta="symmetric"``,
    ``3 + 2 n_deltas`` scan calls of ``n_replicas`` runs; ``"find"`` adds about ten,
    ``quartiles`` about eight, ``check_steps`` two long ones.  Above the guide's lattice
    critical coupling K_c the 100-sweep response is a coarsening quantity: its midpoint
    slope grows with the run length, which ``check_steps`` detects.

    Examples
    --------
    A deterministic logistic (any ``scan`` with the signature will do):

    >>> import numpy as np
    >>> from scipy.special import expit
    >>> from utacbook.stats import midpoint_beta
    >>> def logistic_scan(J, T, h, *, lattice_size, n_steps, n_replicas, seed):
    ...     return {"sigma": np.tile(expit(3.0 * (np.asarray(h) + 0.4)), (n_replicas, 1))}
    >>> r = midpoint_beta(0.8, 0.19, scan=logistic_scan, n_replicas=2, seed=0)
    >>> round(r.beta, 4), round(r.theta, 6), r.converged
    (3.0, -0.4, True)

    The guide's agent model (L = 16 here to keep the example fast), at its exact midpoint:

    >>> r = midpoint_beta(0.8, 0.19, theta="symmetric", lattice_size=16, n_replicas=8, seed=1)
    >>> round(r.beta, 1), round(r.beta_err, 1), r.theta, r.converged
    (24.9, 0.4, -0.4, True)
    >>> r.to_dataframe().shape                   # one row per delta
    (4, 6)
    """
    J = v.real("J", J)
    T = v.real("T", T, positive=True)
    if scan is None:
        from utacbook.models import scan_field as scan
    if not callable(scan):
        raise TypeError(f"scan must be callable, got {type(scan).__name__}")
    try:
        lo, hi = (v.real("bracket[0]", bracket[0]), v.real("bracket[1]", bracket[1]))
        if len(bracket) != 2:
            raise ValueError
    except (TypeError, IndexError, ValueError) as exc:
        if isinstance(exc, (TypeError, ValueError)) and str(exc).startswith("bracket["):
            raise
        raise ValueError(f"bracket must be two fields (lo, hi), got {bracket!r}") from None
    if not lo < hi:
        raise ValueError(f"bracket must have lo < hi, got {bracket!r}")
    if isinstance(theta, str):
        v.choice("theta", theta, set(_THETA_METHODS))
    elif isinstance(theta, numbers.Real) and not isinstance(theta, bool):
        theta = v.real("theta", theta)
    else:
        raise TypeError(f"theta must be 'find', 'symmetric' or a float, got {type(theta).__name__} {theta!r}")
    n_deltas = v.integer("n_deltas", n_deltas, low=3)
    if deltas is not None:
        deltas = v.real_array("deltas", deltas, ndim=1, min_len=3)
        if np.any(deltas <= 0):
            raise ValueError("deltas must be > 0")
        if np.unique(deltas).size != deltas.size:
            raise ValueError("deltas must be distinct")
        deltas = np.sort(deltas)[::-1].copy()
    if not isinstance(quartiles, (bool, np.bool_)):
        raise TypeError(f"quartiles must be True or False, got {type(quartiles).__name__} {quartiles!r}")
    if check_steps is not None:
        check_steps = v.integer("check_steps", check_steps, low=2)
    L = v.integer("lattice_size", lattice_size, low=2)
    n_steps = v.integer("n_steps", n_steps, low=1)
    R = v.integer("n_replicas", n_replicas, low=2)
    rtol = v.real("rtol", rtol, positive=True, high=1.0)
    from utacbook._kernels.rng import resolve_seed
    _, seed_used = resolve_seed(seed)          # the same seed for every call: common random numbers

    F = _Response(scan, J, T, dict(lattice_size=L, n_steps=n_steps, n_replicas=R, seed=seed_used,
                                   **scan_kwargs), R)
    notes = []

    # --- the midpoint
    if theta == "symmetric":
        th, method = -0.5 * J, "symmetric"
    elif theta == "find":
        th = _root(F, 0.5, lo, hi, xtol=1e-6 * (hi - lo))
        if th is None:
            raise ValueError(f"bracket {bracket!r} does not contain the midpoint: the replica-mean response is "
                             f"{F.mean(lo):.4g} at {lo:g} and {F.mean(hi):.4g} at {hi:g}, not on both sides of 1/2")
        method = "find"
    else:
        th, method = float(theta), "given"
    s_th = F(th)
    s_mid, s_mid_err = float(s_th.mean()), _sem(s_th)
    if method != "find" and abs(s_mid - 0.5) > 4 * s_mid_err + 1e-12:
        notes.append(f"σ̄(Θ) = {s_mid:.4g} ± {s_mid_err:.2g} is not 1/2: Θ = {th:.6g} is not the midpoint")

    # --- the differences
    def diff(d, n_steps_=None):
        return (F(th + d, n_steps_) - F(th - d, n_steps_)) / (2.0 * d)

    def failed(reason):
        return MidpointBetaResult(
            beta=float("nan"), beta_err=float("nan"), theta=th, theta_err=float("nan"), deltas=np.empty(0),
            slopes=np.empty(0), slopes_err=np.empty(0), n_replicas=R, seed=seed_used, theta_method=method,
            sigma_at_theta=s_mid, sigma_at_theta_err=s_mid_err, converged=False,
            diagnosis="; ".join(notes + [reason]), n_evaluations=F.n_evaluations, J=J, T=T,
            lattice_size=L, n_steps=n_steps)

    if deltas is None:
        d_pilot = 1e-4 * (hi - lo)
        D_pilot = float(diff(d_pilot).mean())
        if not D_pilot > 0:
            return failed(f"the response does not rise at Θ (pilot slope {D_pilot:.3g} at δ = {d_pilot:.3g})")
        w = _LN3 / (4.0 * D_pilot)
        deltas = w * 2.0 ** -np.arange(1, n_deltas + 1)
    Dr = np.column_stack([diff(d) for d in deltas])               # (R, n_deltas)
    slopes, slopes_err = Dr.mean(axis=0), _sem(Dr)

    # --- extrapolation to delta -> 0, per replica: a + b delta^2 + c delta^4 by least squares; the same
    # without the delta^4 term measures how much the extrapolation itself moves the result
    u = deltas / deltas.max()                                      # scaled: a well-conditioned fit

    def intercepts(n_terms):
        X = np.column_stack([u ** (2 * k) for k in range(n_terms)])
        return Dr @ np.linalg.pinv(X)[0]

    a_r, a2_r = intercepts(3), intercepts(2)
    a, a_stat = float(a_r.mean()), _sem(a_r)
    gap_r = a_r - a2_r
    gap, gap_err = float(gap_r.mean()), _sem(gap_r)
    if not a > 0:
        return failed(f"the extrapolated slope is not positive ({a:.3g})")
    beta, beta_stat, beta_sys = 4 * a, 4 * a_stat, 4 * abs(gap)
    beta_err = math.hypot(beta_stat, beta_sys)
    # converged in delta: the two extrapolations agree within rtol, including 2 standard errors
    delta_ok = abs(gap) + 2 * gap_err <= rtol * a
    growth = slopes[np.argmin(deltas)] / slopes[np.argmax(deltas)]
    if not delta_ok:
        if abs(gap) > 3 * gap_err:
            notes.append(f"the slope still changes as δ shrinks: D changes by a factor {growth:.3g} from "
                         f"δ = {deltas.max():.3g} to {deltas.min():.3g}, and the extrapolations with and without a "
                         f"δ⁴ term differ by {abs(gap) / a:.1%} (> {rtol:.0%}): no finite slope at this resolution "
                         f"(a jump?)")
        else:
            notes.append(f"the extrapolation to δ → 0 is too noisy to confirm: with and without a δ⁴ term it "
                         f"differs by {gap / a:+.1%} ± {gap_err / a:.1%}, not known to be below {rtol:.0%} "
                         f"(more replicas?)")

    theta_err = 0.0 if method != "find" else s_mid_err / a

    # --- run-length check
    stationary, long_steps, long_change, long_change_err = None, None, float("nan"), float("nan")
    if check_steps is not None:
        long_steps = check_steps * n_steps
        d_chk = float(deltas.max())                  # the largest delta: the least noisy difference
        D_short = Dr[:, int(np.argmax(deltas))]
        D_long = diff(d_chk, long_steps)
        change_r = (D_long - D_short) / D_short.mean()
        long_change, long_change_err = float(change_r.mean()), _sem(change_r)
        stationary = bool(abs(long_change) + 2 * long_change_err <= rtol)
        if not stationary:
            what = ("the response depends on the run length" if abs(long_change) > 3 * long_change_err
                    else f"not known to be below {rtol:.0%} (more replicas?)")
            notes.append(f"stationarity not shown: with {long_steps} sweeps instead of {n_steps} the slope at "
                         f"δ = {d_chk:.3g} changes by {long_change:+.1%} ± {long_change_err:.1%}: {what}")

    # --- interquartile steepness
    beta_w, beta_w_err, hq = float("nan"), float("nan"), (float("nan"), float("nan"))
    if quartiles:
        w0 = float(deltas.max())
        roots = []
        for level, side, limit in ((0.25, -1, lo), (0.75, +1, hi)):
            br = _bracket_out(F, level, th, w0, side, limit)
            r = None if br is None else _root(F, level, br[0], br[1], xtol=1e-4 * w0)
            roots.append(r)
        if None in roots:
            notes.append(f"the quartiles are not inside the bracket {bracket!r}: no beta_w")
        else:
            h14, h34 = roots
            hq = (h14, h34)
            g14, g34 = F.secant_slope(h14), F.secant_slope(h34)
            width = h34 - h14
            # per-replica linearised widths (paired error)
            w_r = width - ((F(h34) - 0.75) / g34 - (F(h14) - 0.25) / g14)
            beta_w = 2 * _LN3 / width
            beta_w_err = beta_w * _sem(w_r) / width

    converged = delta_ok and (stationary is not False) and not any("not the midpoint" in n for n in notes)
    return MidpointBetaResult(
        beta=beta, beta_err=beta_err, theta=float(th), theta_err=float(theta_err), deltas=np.asarray(deltas),
        slopes=slopes, slopes_err=slopes_err, n_replicas=R, seed=seed_used, beta_err_stat=beta_stat,
        beta_sys=beta_sys, theta_method=method, sigma_at_theta=s_mid, sigma_at_theta_err=s_mid_err,
        replica_slopes=Dr, replica_betas=4 * a_r, converged=bool(converged), stationary=stationary,
        long_steps=long_steps,
        long_change=long_change, long_change_err=long_change_err, diagnosis="; ".join(notes),
        beta_w=beta_w, beta_w_err=beta_w_err, h_quartiles=hq, n_evaluations=F.n_evaluations,
        J=J, T=T, lattice_size=L, n_steps=n_steps)
