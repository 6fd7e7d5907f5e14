r"""Heterogeneous agents: quenched disorder and the rounding of the jump (chapter ``book/rg/12_disorder.ipynb``).

The guide lists "Spatial heterogeneity: Variable J, T across lattice" as a next
step.  :func:`utacbook.models.scan_field_extended` gives every agent its own
coupling :math:`J_k = J + \Delta_J a_k`, noise :math:`T_k = T e^{s c_k}` and a
random field :math:`\Delta_h b_k` (quenched standard normal :math:`a, b, c`).
This module holds the chapter's theory, measurements and claims.

Theory (exact limits)
---------------------
* :func:`single_site_response`: at :math:`J = 0` the agents are independent and
  the mean response is exactly the one-site average
  :math:`E_{b,c}\big[g\big((h + \Delta_h b)/(T e^{s c})\big)\big]`, with
  :math:`g(x) = E_\xi[\mathrm{sigmoid}(x + \xi)]` (Gauss-Hermite quadrature over
  :math:`b` and :math:`c`); its midpoint slope is :func:`single_site_beta`.
* :func:`mean_field_disorder_beta`: the self-consistency
  :math:`m = E_{a,b,c}\big[g\big(((J + \Delta_J a) m + h + \Delta_h b)/T_k\big)\big]`,
  exact for all-to-all coupling as N grows, gives the midpoint slope
  :math:`\beta = 4 F_h / (1 - F_m)` at the symmetric point; it is infinite (a jump)
  where :math:`F_m \ge 1`.  :func:`mean_field_critical_disorder` is the disorder
  strength above which mean field has no jump.

Why the three kinds differ.  With :math:`\sigma = (1 + s)/2` the local field of
agent k is :math:`(J_k/8)\sum_{l\sim k}s_l + J_k/2 + h + \Delta_h b_k`.  At the
symmetric field :math:`h = -J/2` a random field stays a random field; a random
coupling leaves :math:`(J_k - J)/2 = \Delta_J a_k / 2`, a random field of half
its spread (because activations are in [0, 1], not ±1); random noise multiplies
the whole argument and keeps the :math:`\sigma \to 1 - \sigma` symmetry, so it is
not a random field.  Imry and Ma's argument (a domain of size :math:`\ell` gains
:math:`\sim \Delta \ell^{d/2}` from the random field and pays :math:`\sim \ell^{d-1}`
of wall) rounds the jump in two dimensions for any random field, but only beyond a
breakup length that grows like :math:`\exp[c (J/\Delta)^2]`.

Measurements
------------
:func:`disorder_beta` measures one condition: the grid-independent midpoint slope
:func:`utacbook.stats.midpoint_beta` of the disorder-averaged response (each
replica is a fresh disorder sample, so the error includes sample-to-sample
variation), a run-length check (10 times more sweeps), and the bistability gap
between runs started with every agent at 0 and at 1.  :func:`rounding_study`
runs a design of such conditions (stored in ``book/data``);
:func:`spot_check` re-runs the raw scans of some stored conditions;
:func:`rounding_table` applies the rounding criterion fixed before the
measurement (:data:`GROWTH_MAX`, :data:`SIZE_RTOL`, :data:`K_SIGMA`).

Units: T = 1 throughout (J = K = J/T; fields, disorder strengths and 1/β in
units of T).
"""

from __future__ import annotations

import math
import numbers

import numpy as np
from numpy.polynomial.hermite_e import hermegauss
from scipy.optimize import brentq
from scipy.special import expit

from utacbook import _validate as v
from utacbook.theory import logistic_normal_mean as _g, logistic_normal_slope as _g_slope

__all__ = [
    "KINDS", "COUPLINGS", "GROWTH_MAX", "STEP_TOL", "SIZE_RTOL", "K_SIGMA", "GAP_TOL", "FALLBACK_DELTAS", "DESIGNS",
    "single_site_response", "single_site_beta", "mean_field_disorder_slopes", "mean_field_disorder_beta",
    "mean_field_disorder_fixed_points", "mean_field_critical_disorder",
    "disorder_beta", "design_tasks", "rounding_study", "study_frame", "spot_check", "rounding_table",
    "j0_check", "clean_limit_check", "claims", "judge",
    "plot_rounding", "plot_kinds", "plot_below", "plot_bistability",
]

#: the three kinds of quenched disorder and the option of :func:`utacbook.models.scan_field_extended` for each
KINDS = {"field": "field_disorder", "coupling": "coupling_disorder", "noise": "noise_disorder"}
#: coupling geometries: the guide's lattice, and all-to-all (``global_coupling=1``), where mean field is exact
COUPLINGS = {"lattice": 0.0, "all-to-all": 1.0}

# ---- the rounding criterion, fixed before the measurement -----------------------------------------------
#: resolved in δ: D(δ_min) / D(δ_max) of the midpoint estimator, plus 2 s.e., at most this; a smooth curve
#: gives about 1.03 with the estimator's δ (up to 1.1 if its pilot is off by a factor 2), a jump grows as 1/δ
GROWTH_MAX = 1.25
#: stationary: the relative change of the slope with 10 × longer runs, in absolute value plus 2 s.e., at most this
STEP_TOL = 0.20
#: no growth with the lattice: β(L_max) − β(L_max/2) at most this fraction of β(L_max/2) (or K_SIGMA s.e.)
SIZE_RTOL = 0.10
#: standard errors of slack in the size test
K_SIGMA = 3.0
#: no bistability: the runs from all-0 and all-1 end within this (plus 2 s.e.) of each other at Θ
GAP_TOL = 0.05
#: half-widths δ (units of T) used if the estimator's automatic choice fails (a flat pilot difference)
FALLBACK_DELTAS = (0.2, 0.1, 0.05, 0.025, 0.0125)

_NH = 96                                          # Gauss-Hermite nodes per disorder variable
_Z, _W = hermegauss(_NH)
_W = _W / _W.sum()
_ZI, _WI = hermegauss(160)                        # inner nodes: the noise xi (and a field combined with it)
_WI = _WI / _WI.sum()


def _nodes(strength):
    """Nodes and weights of a standard normal variable (one node at 0 if it has no effect)."""
    return (_Z, _W) if strength > 0 else (np.zeros(1), np.ones(1))


# ================================================================================================ theory


def single_site_response(h, T=1.0, *, field_disorder=0.0, noise_disorder=0.0):
    r"""Exact mean response of independent agents (J = 0) with quenched disorder.

    .. math:: \bar\sigma(h) = E_{b,c}\Big[g\Big(\frac{h + \Delta_h b}{T e^{s c}}\Big)\Big],
              \qquad g(x) = E_\xi[\mathrm{sigmoid}(x + \xi)],

    by Gauss-Hermite quadrature over b and c (96 nodes each) with g from
    :func:`utacbook.theory.logistic_normal_mean`.

    Parameters
    ----------
    h : float or array_like
        Field (units of T).
    T : float, default 1
        Median noise, > 0.
    field_disorder : float >= 0, default 0
        Δ_h, standard deviation of the random field.
    noise_disorder : float in [0, 5], default 0
        s, log-normal spread of the agents' noise.

    Returns
    -------
    float or ndarray
        σ̄(h) in (0, 1), shaped like ``h``.

    Examples
    --------
    >>> from utacbook.studies.rg.disorder import single_site_response
    >>> round(single_site_response(0.0, field_disorder=2.0), 12)
    0.5
    >>> bool(single_site_response(1.0, field_disorder=2.0) < single_site_response(1.0))   # flatter
    True
    """
    h = v.real_array("h", h)
    T = v.real("T", T, positive=True)
    dh = v.real("field_disorder", field_disorder, nonnegative=True)
    s = v.real("noise_disorder", noise_disorder, nonnegative=True, high=5.0)
    zb, wb = _nodes(dh)
    zc, wc = _nodes(s)
    Tk = T * np.exp(s * zc)                                       # (nc,)
    x = (h[..., None, None] + dh * zb[:, None]) / Tk[None, :]     # (..., nb, nc)
    out = np.einsum("...bc,b,c->...", _g(x), wb, wc)
    return float(out) if out.ndim == 0 else out


def single_site_beta(T=1.0, *, field_disorder=0.0, noise_disorder=0.0):
    r"""Midpoint slope ×4 of :func:`single_site_response` (its midpoint is h = 0).

    .. math:: \beta_0 = 4\, E_{b,c}\big[g'(\Delta_h b / T_k) / T_k\big].

    Parameters
    ----------
    T, field_disorder, noise_disorder : float
        As :func:`single_site_response`.

    Returns
    -------
    float
        β (1 / units of T); ``4 g'(0) / T`` without disorder.

    Examples
    --------
    >>> from utacbook.studies.rg.disorder import single_site_beta
    >>> from utacbook.theory import GPRIME0
    >>> bool(abs(single_site_beta() - 4 * GPRIME0) < 1e-12)
    True
    """
    T = v.real("T", T, positive=True)
    dh = v.real("field_disorder", field_disorder, nonnegative=True)
    s = v.real("noise_disorder", noise_disorder, nonnegative=True, high=5.0)
    zb, wb = _nodes(dh)
    zc, wc = _nodes(s)
    Tk = T * np.exp(s * zc)
    val = _g_slope(dh * zb[:, None] / Tk[None, :]) / Tk[None, :]
    return float(4.0 * np.einsum("bc,b,c->", val, wb, wc))


def _mf_parts(m, h, J, T, dh, dJ, s):
    """F(m, h), dF/dh and dF/dm of the disordered mean-field map (field and xi combined per noise node)."""
    za, wa = _nodes(dJ)
    zc, wc = _nodes(s)
    Tk = T * np.exp(s * zc)                                            # (nc,)
    scale = np.sqrt(1.0 + (dh / Tk) ** 2)                               # b and xi: one normal of this spread
    Jk = J + dJ * za                                                    # (na,)
    x = (Jk[:, None] * m + h) / Tk[None, :]                             # (na, nc)
    e = expit(x[..., None] + scale[None, :, None] * _ZI)                # (na, nc, ni)
    F = np.einsum("acn,a,c,n->", e, wa, wc, _WI)
    d = e * (1.0 - e)
    dF = np.einsum("acn,a,c,n->ac", d, wa, wc, _WI) / Tk[None, :]       # E over xi of sigmoid' / T_k
    return float(F), float(dF.sum()), float((Jk[:, None] * dF).sum())


def _disorder_args(J, T, field_disorder, coupling_disorder, noise_disorder):
    return (v.real("J", J), v.real("T", T, positive=True),
            v.real("field_disorder", field_disorder, nonnegative=True),
            v.real("coupling_disorder", coupling_disorder, nonnegative=True),
            v.real("noise_disorder", noise_disorder, nonnegative=True, high=5.0))


def mean_field_disorder_slopes(J, T=1.0, *, field_disorder=0.0, coupling_disorder=0.0, noise_disorder=0.0):
    r"""F_h and F_m of the disordered mean-field map at the symmetric point m = 1/2, h = −J/2.

    :math:`F(m, h) = E_{a,b,c,\xi}[\mathrm{sigmoid}(((J + \Delta_J a) m + h + \Delta_h b)/T_k + \xi)]`;
    the point (h, m) = (−J/2, 1/2) is a fixed point for every disorder (a, b → −a, −b).
    ``F_m >= 1`` means that fixed point is unstable: the mean-field response jumps.

    Returns
    -------
    (F_h, F_m) : tuple of float

    Examples
    --------
    >>> from utacbook.studies.rg.disorder import mean_field_disorder_slopes
    >>> from utacbook.theory import GPRIME0
    >>> Fh, Fm = mean_field_disorder_slopes(3.0)
    >>> bool(abs(Fh - GPRIME0) < 1e-10 and abs(Fm - 3 * GPRIME0) < 1e-10)
    True
    """
    J, T, dh, dJ, s = _disorder_args(J, T, field_disorder, coupling_disorder, noise_disorder)
    _, Fh, Fm = _mf_parts(0.5, -0.5 * J, J, T, dh, dJ, s)
    return Fh, Fm


def mean_field_disorder_beta(J, T=1.0, *, field_disorder=0.0, coupling_disorder=0.0, noise_disorder=0.0):
    r"""Mean-field emergent β with quenched disorder: 4 F_h / (1 − F_m) at the symmetric point.

    Exact for all-to-all coupling (``global_coupling=1``) as N → ∞: every agent
    sees the same mean m, so the disorder only enters through the one-site
    average.  With a random field alone, :math:`F_h = E[\mathrm{sigmoid}'(\sqrt{1 +
    \Delta_h^2/T^2}\,\zeta)]/T`: the random field acts like extra Gaussian noise.

    Parameters
    ----------
    J : float
        Coupling (units of T).
    T : float, default 1
        Median noise, > 0.
    field_disorder, coupling_disorder, noise_disorder : float >= 0
        Δ_h, Δ_J, s as in :func:`utacbook.models.scan_field_extended`.

    Returns
    -------
    float
        β (1 / units of the field); ``inf`` where F_m >= 1 (a jump).

    Examples
    --------
    >>> from utacbook.studies.rg.disorder import mean_field_disorder_beta
    >>> from utacbook.theory import mean_field_beta
    >>> bool(abs(mean_field_disorder_beta(3.0) - mean_field_beta(3.0, 1.0)) < 1e-9)
    True
    >>> round(mean_field_disorder_beta(6.0, field_disorder=2.0), 3)
    3.704
    >>> mean_field_disorder_beta(6.0, field_disorder=1.0)
    inf
    """
    Fh, Fm = mean_field_disorder_slopes(J, T, field_disorder=field_disorder, coupling_disorder=coupling_disorder,
                                        noise_disorder=noise_disorder)
    return float("inf") if Fm >= 1.0 else 4.0 * Fh / (1.0 - Fm)


def mean_field_disorder_fixed_points(J, h, T=1.0, *, field_disorder=0.0, coupling_disorder=0.0,
                                     noise_disorder=0.0, grid=401):
    """All solutions m in [0, 1] of the disordered mean-field equation m = F(m, h), with stability.

    Parameters
    ----------
    J, h : float
        Coupling and field (units of T).
    T : float, default 1
    field_disorder, coupling_disorder, noise_disorder : float >= 0
    grid : int >= 3, default 401
        Points of the bracketing grid on [0, 1].

    Returns
    -------
    roots : ndarray
    stable : ndarray of bool
        ``dF/dm < 1`` at the root.

    Examples
    --------
    >>> from utacbook.studies.rg.disorder import mean_field_disorder_fixed_points
    >>> r, st = mean_field_disorder_fixed_points(6.0, -3.0, field_disorder=1.0)     # below the critical disorder
    >>> len(r), st.tolist()
    (3, [True, False, True])
    >>> len(mean_field_disorder_fixed_points(6.0, -3.0, field_disorder=2.0)[0])
    1
    """
    J, T, dh, dJ, s = _disorder_args(J, T, field_disorder, coupling_disorder, noise_disorder)
    h = v.real("h", h)
    grid = v.integer("grid", grid, low=3)

    def f(m):
        return _mf_parts(m, h, J, T, dh, dJ, s)[0] - m

    ms = np.linspace(0.0, 1.0, grid)
    fs = np.array([f(m) for m in ms])
    roots = []
    for i in range(grid - 1):
        if fs[i] == 0.0:
            roots.append(ms[i])
        elif fs[i] * fs[i + 1] < 0:
            roots.append(brentq(f, ms[i], ms[i + 1], xtol=1e-13))
    roots = np.array(roots)
    stable = np.array([_mf_parts(m, h, J, T, dh, dJ, s)[2] < 1.0 for m in roots], dtype=bool)
    return roots, stable


def mean_field_critical_disorder(J, T=1.0, *, kind="field"):
    r"""The disorder strength above which the mean-field response has no jump (F_m = 1 at the midpoint).

    Parameters
    ----------
    J : float
        Coupling (units of T).
    T : float, default 1
    kind : {"field", "coupling"}, default "field"
        Which disorder grows (the others are zero).  For "coupling" the result is,
        to quadrature accuracy, twice the field's: at the midpoint a random coupling
        is a random field of half its spread.  (Noise disorder raises the
        mean-field coupling instead, :math:`F_m = K g'(0) e^{s^2/2}`, and never
        removes the jump.)

    Returns
    -------
    float
        Δ_c (units of T); 0 if there is no jump even without disorder
        (J/T <= 1/g'(0) = 4.84).

    Examples
    --------
    >>> from utacbook.studies.rg.disorder import mean_field_critical_disorder
    >>> round(mean_field_critical_disorder(6.0), 3)
    1.358
    >>> mean_field_critical_disorder(4.0)
    0.0
    """
    J = v.real("J", J)
    T = v.real("T", T, positive=True)
    v.choice("kind", kind, {"field", "coupling"})
    key = "field_disorder" if kind == "field" else "coupling_disorder"

    def Fm(d):
        return mean_field_disorder_slopes(J, T, **{key: d})[1] - 1.0

    if Fm(0.0) <= 0:
        return 0.0
    hi = T
    while Fm(hi) > 0:
        hi *= 2.0
        if hi > 1e6 * T:
            raise ValueError(f"no critical disorder below {hi:g} for J={J}")
    return float(brentq(Fm, 0.0, hi, xtol=1e-12))


# ========================================================================================= measurements


def _task_key(K, kind, strength, coupling, L, n_steps):
    """The spawn key of one condition: its seed does not depend on the other conditions of a design."""
    return (list(KINDS).index(kind), int(round(strength * 1000)), int(round(K * 1000)),
            list(COUPLINGS).index(coupling), int(L), int(n_steps))


def _check_task(K, kind, strength, coupling, lattice_size, n_steps):
    K = v.real("K", K, positive=True)
    v.choice("kind", kind, set(KINDS))
    strength = v.real("strength", strength, nonnegative=True, high=5.0 if kind == "noise" else None)
    v.choice("coupling", coupling, set(COUPLINGS))
    L = v.integer("lattice_size", lattice_size, low=4, high=4096)
    n_steps = v.integer("n_steps", n_steps, low=1)
    return K, strength, L, n_steps


def _scan_kwargs(kind, strength, coupling):
    return {KINDS[kind]: strength, "global_coupling": COUPLINGS[coupling], "progress": False}


def _sem(x):
    x = np.asarray(x, dtype=float)
    return float(x.std(ddof=1) / math.sqrt(x.size)) if x.size > 1 else float("nan")


def disorder_beta(K, *, kind="field", strength=0.0, coupling="lattice", lattice_size=64, n_steps=100,
                  n_replicas=16, check_steps=10, seed=0):
    r"""β of the disordered model at one condition, with the diagnostics of the rounding criterion.

    Runs :func:`utacbook.stats.midpoint_beta` on :func:`utacbook.models.scan_field_extended`
    (T = 1, J = K; every field in its own call with the same seed, so replica r keeps
    its disorder sample and random numbers at every field).  Θ is −J/2 by symmetry for
    field and noise disorder ("symmetric"); coupling disorder breaks the symmetry, and
    Θ is found (bracket −J/2 ± 1).  Then the bistability gap: σ̄ at Θ after
    ``n_steps`` sweeps from every agent at 1 minus from every agent at 0, per replica
    (same seed: same disorder sample and random numbers).

    Parameters
    ----------
    K : float
        J/T (> 0); T = 1.
    kind : {"field", "coupling", "noise"}, default "field"
        Which disorder (see :data:`KINDS`).
    strength : float >= 0, default 0
        Δ_h, Δ_J (units of T) or s.
    coupling : {"lattice", "all-to-all"}, default "lattice"
    lattice_size : int, default 64
        L (N = L² agents).
    n_steps : int, default 100
        Sweeps per run (the guide's protocol: 100 from a random lattice).
    n_replicas : int >= 2, default 16
        Disorder samples (each with its own random numbers).
    check_steps : int >= 2, default 10
        The run-length check re-runs one difference with ``check_steps × n_steps`` sweeps.
    seed : int, default 0
        Root seed; the condition's streams come from ``(seed, spawn key of the condition)``.

    Returns
    -------
    dict
        ``K``, ``kind``, ``strength``, ``coupling``, ``L``, ``n_steps``, ``beta``, ``beta_err``,
        ``theta``, ``deltas``, ``slopes``, ``slopes_err``, ``replica_slopes``, ``converged``,
        ``stationary``, ``long_change`` (± ``long_change_err``: relative change of the
        slope with ``check_steps`` × longer runs), ``growth`` (± ``growth_err``:
        D(δ_min)/D(δ_max)), ``beta_secant`` (4 D(δ_min), a lower bound of the midpoint
        slope), ``gap`` (± ``gap_err``), ``replica_gaps``, ``diagnosis``, ``seed`` (no timings: a
        stored result must reproduce exactly, and its provenance records the run time).

    Examples
    --------
    >>> from utacbook.studies.rg.disorder import disorder_beta
    >>> r = disorder_beta(6.0, strength=2.0, lattice_size=8, n_steps=20, n_replicas=4, check_steps=2, seed=1)
    >>> r["theta"], r["beta"] > 0, r["seed"]
    (-3.0, True, [1, [0, 2000, 6000, 0, 8, 20]])
    """
    from utacbook.models import scan_field_extended
    from utacbook.stats import midpoint_beta
    K, strength, L, n_steps = _check_task(K, kind, strength, coupling, lattice_size, n_steps)
    n_replicas = v.integer("n_replicas", n_replicas, low=2)
    check_steps = v.integer("check_steps", check_steps, low=2)
    if isinstance(seed, bool) or not isinstance(seed, numbers.Integral) or seed < 0:
        raise ValueError(f"seed must be an integer >= 0, got {seed!r}")
    task_seed = (int(seed), _task_key(K, kind, strength, coupling, L, n_steps))
    kw = _scan_kwargs(kind, strength, coupling)
    symmetric = kind != "coupling" or strength == 0
    est = dict(scan=scan_field_extended, theta="symmetric" if symmetric else "find",
               bracket=(-K / 2 - 1.0, -K / 2 + 1.0), check_steps=check_steps, lattice_size=L,
               n_steps=n_steps, n_replicas=n_replicas, seed=task_seed, **kw)
    r = midpoint_beta(K, 1.0, **est)
    if not np.isfinite(r.beta):               # the automatic δ failed (a flat pilot difference): fixed δ instead
        r = midpoint_beta(K, 1.0, deltas=FALLBACK_DELTAS, **est)
    Dr = np.asarray(r.replica_slopes, dtype=float)
    if Dr.size:
        i_min, i_max = int(np.argmin(r.deltas)), int(np.argmax(r.deltas))
        a, b = Dr[:, i_min], Dr[:, i_max]
        growth = float(a.mean() / b.mean())
        growth_err = _sem((a - growth * b) / b.mean())
        secant = 4.0 * float(a.mean())
    else:
        growth = growth_err = secant = float("nan")
    ends = [scan_field_extended(K, 1.0, [r.theta], lattice_size=L, n_steps=n_steps, n_replicas=n_replicas,
                                initial=x0, seed=task_seed, **kw)["sigma"][:, 0] for x0 in (0.0, 1.0)]
    gaps = ends[1] - ends[0]
    return _finite_or_none({
        "K": K, "kind": kind, "strength": strength, "coupling": coupling, "L": L, "n_steps": n_steps,
        "n_replicas": n_replicas, "check_steps": check_steps,
        "beta": r.beta, "beta_err": r.beta_err, "beta_err_stat": r.beta_err_stat, "beta_sys": r.beta_sys,
        "theta": r.theta, "theta_err": r.theta_err, "theta_method": r.theta_method,
        "sigma_at_theta": r.sigma_at_theta, "sigma_at_theta_err": r.sigma_at_theta_err,
        "deltas": np.asarray(r.deltas), "slopes": np.asarray(r.slopes), "slopes_err": np.asarray(r.slopes_err),
        "replica_slopes": Dr, "converged": bool(r.converged), "stationary": r.stationary,
        "long_change": r.long_change, "long_change_err": r.long_change_err,
        "growth": growth, "growth_err": growth_err, "beta_secant": secant,
        "gap": float(gaps.mean()), "gap_err": _sem(gaps), "replica_gaps": gaps,
        "diagnosis": r.diagnosis, "seed": [task_seed[0], list(task_seed[1])],
    })


def _finite_or_none(d):
    """Non-finite scalars as None (stored results are JSON with finite numbers only)."""
    return {k: (None if isinstance(x, float) and not math.isfinite(x) else x) for k, x in d.items()}


#: the designs of :func:`rounding_study`: lists of (K, kind, strengths, coupling, sizes, n_steps)
DESIGNS = {
    # above the lattice's K_c = 5.54: does disorder round the jump?
    "above": [
        (6.0, "field", (0.0, 0.25, 0.5, 1.0, 2.0), "lattice", (16, 32, 64, 128), (100, 1000)),
        (6.0, "coupling", (0.5, 1.0, 2.0, 4.0), "lattice", (16, 32, 64), (100, 1000)),
        (6.0, "noise", (0.5, 1.0), "lattice", (16, 32, 64), (100, 1000)),
        (6.0, "field", (0.0, 1.0, 2.0), "all-to-all", (16, 32, 64), (100, 1000)),
        (11.0, "field", (0.0, 1.0, 2.0, 4.0), "lattice", (32, 64), (100, 1000)),
    ],
    # below K_c: what disorder does to a finite beta
    "below": [
        (3.0, "field", (0.0, 0.5, 1.0, 2.0), "lattice", (64,), (100,)),
        (3.0, "field", (0.0, 0.5, 1.0, 2.0), "all-to-all", (64,), (100,)),
    ],
    # a tiny design for the tests
    "test": [
        (6.0, "field", (0.0, 2.0), "lattice", (8,), (20,)),
    ],
}


def design_tasks(design):
    """The conditions of a design of :data:`DESIGNS`: a list of dicts (K, kind, strength, coupling, L, n_steps)."""
    v.choice("design", design, set(DESIGNS))
    out = []
    for K, kind, strengths, coupling, sizes, steps in DESIGNS[design]:
        for t in steps:
            for d in strengths:
                for L in sizes:
                    out.append({"K": K, "kind": kind, "strength": d, "coupling": coupling, "L": L, "n_steps": t})
    return out


def rounding_study(*, design="above", n_replicas=16, check_steps=10, seed=2025):
    """Run every condition of a design with :func:`disorder_beta` (the chapter's stored results).

    Parameters
    ----------
    design : str, default "above"
        A key of :data:`DESIGNS`.
    n_replicas, check_steps : int
        As :func:`disorder_beta`.
    seed : int, default 2025
        Root seed; each condition draws its streams from its own spawn key, so a
        condition's result does not depend on the others (and :func:`spot_check` can
        re-run it alone).

    Returns
    -------
    dict
        ``design``, ``seed``, ``n_replicas``, ``check_steps``, ``tasks`` (one dict of
        :func:`disorder_beta` per condition).
    """
    tasks = [disorder_beta(t["K"], kind=t["kind"], strength=t["strength"], coupling=t["coupling"],
                           lattice_size=t["L"], n_steps=t["n_steps"], n_replicas=n_replicas,
                           check_steps=check_steps, seed=seed) for t in design_tasks(design)]
    return {"design": design, "seed": seed, "n_replicas": n_replicas, "check_steps": check_steps,
            "tasks": tasks}


_SCALARS = ("K", "kind", "strength", "coupling", "L", "n_steps", "beta", "beta_err", "theta", "theta_method",
            "sigma_at_theta", "sigma_at_theta_err", "converged", "stationary", "long_change", "long_change_err",
            "growth", "growth_err", "beta_secant", "gap", "gap_err", "diagnosis")


def study_frame(values):
    """One row per condition of a stored (or fresh) :func:`rounding_study`: a pandas DataFrame.

    Parameters
    ----------
    values : dict or utacbook.stored.StoredResult
        The study's result (``values["tasks"]``).

    Returns
    -------
    pandas.DataFrame
        The scalar fields of every condition (see :func:`disorder_beta`; missing
        numbers as NaN), and the condition's own parts of the rounding criterion:
        ``resolved`` (``growth + 2 growth_err <= GROWTH_MAX``), ``steady``
        (``|long_change| + 2 long_change_err <= STEP_TOL``), ``rounded_here`` (both),
        ``jump_like`` (the slope rises as δ shrinks or with the run length, beyond
        those tolerances by 2 s.e.) and ``no_bistability`` (``gap + 2 gap_err <= GAP_TOL``).
    """
    import pandas as pd
    rows = []
    for t in values["tasks"]:
        row = {k: (float("nan") if t[k] is None and k != "stationary" else t[k]) for k in _SCALARS}
        row["stationary"] = bool(row["stationary"]) if row["stationary"] is not None else False
        rows.append(row)
    f = pd.DataFrame(rows)
    g, ge = f["growth"], f["growth_err"]
    c, ce = f["long_change"], f["long_change_err"]
    f["resolved"] = (g + 2 * ge <= GROWTH_MAX).fillna(False).astype(bool)
    f["steady"] = (c.abs() + 2 * ce <= STEP_TOL).fillna(False).astype(bool)
    f["rounded_here"] = f["resolved"] & f["steady"]
    f["jump_like"] = ((g - 2 * ge > GROWTH_MAX) | (c - 2 * ce > STEP_TOL)).fillna(False).astype(bool)
    f["no_bistability"] = (f["gap"] + 2 * f["gap_err"] <= GAP_TOL).fillna(False).astype(bool)
    return f


def spot_check(stored, *, which):
    """Re-run the raw scans of some stored conditions and compare them with the store bit for bit.

    For each chosen condition the runs at Θ ± δ (every stored δ) and the bistability
    runs are repeated with the stored seed through :func:`utacbook.models.scan_field_extended`;
    the per-replica slopes and gaps must equal the stored ones exactly.  This checks the
    store against the model's kernel, independently of how the estimator chose its δ.

    Parameters
    ----------
    stored : utacbook.stored.StoredResult or dict
        A :func:`rounding_study` result.
    which : sequence of int
        Indices of conditions (rows of :func:`study_frame`).

    Returns
    -------
    pandas.DataFrame
        One row per condition: ``index``, ``K``, ``kind``, ``strength``, ``coupling``, ``L``,
        ``n_steps``, ``max_abs_diff``, ``identical``.
    """
    import pandas as pd
    from utacbook.models import scan_field_extended
    tasks = stored["tasks"]
    rows = []
    for i in which:
        i = v.integer("which", i, low=0, high=len(tasks) - 1)
        t = tasks[i]
        seed = (int(t["seed"][0]), tuple(int(k) for k in t["seed"][1]))
        kw = dict(lattice_size=int(t["L"]), n_steps=int(t["n_steps"]), n_replicas=int(t["n_replicas"]), seed=seed,
                  **_scan_kwargs(t["kind"], float(t["strength"]), t["coupling"]))
        th = float(t["theta"])
        diffs = []
        for k, d in enumerate(np.asarray(t["deltas"], dtype=float)):
            up = scan_field_extended(t["K"], 1.0, np.array([th + d]), **kw)["sigma"][:, 0]
            dn = scan_field_extended(t["K"], 1.0, np.array([th - d]), **kw)["sigma"][:, 0]
            D = (up - dn) / (2.0 * d)
            diffs.append(np.max(np.abs(D - np.asarray(t["replica_slopes"], dtype=float)[:, k])))
        ends = [scan_field_extended(t["K"], 1.0, [th], initial=x0, **kw)["sigma"][:, 0] for x0 in (0.0, 1.0)]
        diffs.append(np.max(np.abs((ends[1] - ends[0]) - np.asarray(t["replica_gaps"], dtype=float))))
        m = float(max(diffs))
        rows.append({"index": i, "K": t["K"], "kind": t["kind"], "strength": t["strength"],
                     "coupling": t["coupling"], "L": t["L"], "n_steps": t["n_steps"], "max_abs_diff": m,
                     "identical": m == 0.0})
    return pd.DataFrame(rows)


def rounding_table(frame, *, n_steps=None):
    """The rounding criterion applied to every (K, kind, strength, coupling) of a study.

    Fixed before the measurement.  At the longest runs and the two largest lattices
    L_max/2 and L_max, a condition is **rounded** (at the sizes tested) if at both
    sizes (1) the slope is resolved in δ, D(δ_min)/D(δ_max) + 2 s.e. ≤
    :data:`GROWTH_MAX`, and (2) it is stationary, ``|change| + 2 s.e.`` ≤
    :data:`STEP_TOL` when the runs are 10 × longer, and (3) β does not grow with the
    lattice: β(L_max) − β(L_max/2) ≤ max(:data:`SIZE_RTOL` β(L_max/2), :data:`K_SIGMA`
    s.e.).  It is a **jump** (not rounded at these sizes) if at either size the slope
    rises as δ shrinks or with the run length beyond those tolerances by 2 s.e., or β
    grows with L by more than both; otherwise **undecided**.

    Parameters
    ----------
    frame : pandas.DataFrame
        From :func:`study_frame`.
    n_steps : int, optional
        Which run length to judge (default: the longest in the frame).

    Returns
    -------
    pandas.DataFrame
        One row per group: ``K``, ``kind``, ``strength``, ``coupling``, ``n_steps``,
        ``L_max``, ``beta`` ± ``beta_err`` at L_max, ``beta_half`` at L_max/2,
        ``size_change`` ± ``size_change_err`` (β(L_max)/β(L_max/2) − 1), ``gap`` ±
        ``gap_err`` at L_max, ``rounded``, ``jump``, ``rounding`` ("rounded", "jump" or
        "undecided": the criterion's classification) and ``why``.
    """
    import pandas as pd
    t = int(frame["n_steps"].max()) if n_steps is None else int(n_steps)
    f = frame[frame["n_steps"] == t]
    rows = []
    for key, g in f.groupby(["K", "kind", "strength", "coupling"], sort=False):
        g = g.sort_values("L")
        if len(g) < 2:
            continue
        half, big = g.iloc[-2], g.iloc[-1]
        d = big["beta"] - half["beta"]
        e = math.hypot(big["beta_err"], half["beta_err"])
        size_ok = bool(np.isfinite(d) and d <= max(SIZE_RTOL * half["beta"], K_SIGMA * e))
        size_grows = bool(np.isfinite(d) and d > max(SIZE_RTOL * half["beta"], K_SIGMA * e))
        rounded = bool(half["rounded_here"] and big["rounded_here"] and size_ok)
        jump = bool(half["jump_like"] or big["jump_like"] or size_grows)
        why = []
        for row in (half, big):
            Lr = int(row["L"])
            if row["growth"] - 2 * row["growth_err"] > GROWTH_MAX:
                why.append(f"L = {Lr}: slope rises as δ shrinks (×{row['growth']:.2f})")
            elif not row["resolved"]:
                why.append(f"L = {Lr}: resolution in δ not shown (×{row['growth']:.2f} ± {row['growth_err']:.2f})")
            if row["long_change"] - 2 * row["long_change_err"] > STEP_TOL:
                why.append(f"L = {Lr}: slope grows with run length ({row['long_change']:+.0%})")
            elif not row["steady"]:
                why.append(f"L = {Lr}: stationarity not shown ({row['long_change']:+.0%} "
                           f"± {row['long_change_err']:.0%})")
        if size_grows:
            why.append(f"β grows from L = {int(half['L'])} to {int(big['L'])}")
        with np.errstate(invalid="ignore", divide="ignore"):
            ratio = big["beta"] / half["beta"] - 1.0
            ratio_err = abs(big["beta"] / half["beta"]) * math.hypot(big["beta_err"] / big["beta"],
                                                                     half["beta_err"] / half["beta"])
        rows.append({"K": key[0], "kind": key[1], "strength": key[2], "coupling": key[3], "n_steps": t,
                     "L_max": int(big["L"]), "beta": big["beta"], "beta_err": big["beta_err"],
                     "beta_half": half["beta"], "size_change": ratio, "size_change_err": ratio_err,
                     "gap": big["gap"], "gap_err": big["gap_err"], "rounded": rounded, "jump": jump and not rounded,
                     "rounding": "rounded" if rounded else ("jump" if jump else "undecided"),
                     "why": "; ".join(why)})
    return pd.DataFrame(rows)


# ======================================================================================== exact checks


def j0_check(*, h_values=(-1.5, -0.5, 0.0, 0.7, 2.0), strengths=((1.0, 0.0), (3.0, 0.0), (0.0, 0.7)),
             lattice_size=32, n_steps=20, n_replicas=16, seed=0):
    """The J = 0 simulation against :func:`single_site_response`, per field and disorder.

    Parameters
    ----------
    h_values : sequence of float
        Fields (units of T; T = 1).
    strengths : sequence of (field_disorder, noise_disorder)
    lattice_size, n_steps, n_replicas : int
        The runs (at J = 0 an agent's state is independent of the others after its
        first update; 20 sweeps leave an agent never updated with probability e^-20).
    seed : int

    Returns
    -------
    pandas.DataFrame
        One row per (disorder, h): ``field_disorder``, ``noise_disorder``, ``h``,
        ``sim`` ± ``sim_err`` (replica mean ± s.e.m.: every replica is a new disorder
        sample), ``exact``, ``z`` (difference in standard errors).
    """
    import pandas as pd
    from utacbook.models import scan_field_extended
    h = v.real_array("h_values", h_values, ndim=1, min_len=1)
    rows = []
    for i, (dh, s) in enumerate(strengths):
        res = scan_field_extended(0.0, 1.0, h, lattice_size=lattice_size, n_steps=n_steps, n_replicas=n_replicas,
                                  field_disorder=dh, noise_disorder=s, seed=(int(seed), (i,)), progress=False)
        sig = res["sigma"]
        ex = single_site_response(h, field_disorder=dh, noise_disorder=s)
        for j, hj in enumerate(h):
            m, e = float(sig[:, j].mean()), _sem(sig[:, j])
            rows.append({"field_disorder": dh, "noise_disorder": s, "h": float(hj), "sim": m, "sim_err": e,
                         "exact": float(ex[j]), "z": (m - float(ex[j])) / e})
    return pd.DataFrame(rows)


def clean_limit_check(*, K=6.0, lattice_size=16, n_steps=30, n_replicas=3, seed=0):
    """Zero disorder against the guide's model: the same runs bit for bit (True/False).

    Runs :func:`utacbook.models.scan_field` and :func:`utacbook.models.scan_field_extended`
    with every disorder option at 0 (given explicitly) on five fields around the midpoint.

    Returns
    -------
    bool
    """
    from utacbook.models import scan_field, scan_field_extended
    h = -K / 2 + np.array([-0.2, -0.05, 0.0, 0.05, 0.2])
    a = scan_field(K, 1.0, h, lattice_size=lattice_size, n_steps=n_steps, n_replicas=n_replicas, seed=seed,
                   progress=False)["sigma"]
    b = scan_field_extended(K, 1.0, h, lattice_size=lattice_size, n_steps=n_steps, n_replicas=n_replicas,
                            field_disorder=0.0, coupling_disorder=0.0, noise_disorder=0.0, seed=seed,
                            progress=False)["sigma"]
    return bool(np.array_equal(a, b))


# ============================================================================================== claims

#: the conditions the claims are judged in (fixed before the measurement)
FIELD_ROUNDING = ((6.0, (0.25, 0.5, 1.0, 2.0)), (11.0, (1.0, 2.0, 4.0)))
COUPLING_PAIRS = (1.0, 2.0, 4.0)
NO_FIELD = ((6.0, "field", 0.0), (6.0, "noise", 0.5), (6.0, "noise", 1.0))
BELOW_STRENGTHS = (0.0, 0.5, 1.0, 2.0)
#: finite-N tolerance of the mean-field comparison (ours: N = 4096 agents)
MF_TOL = 0.03
#: tolerance of the coupling-as-field comparison (ours: the random-bond part of a random coupling)
PAIR_TOL = 0.10


def _label(kind, strength, K=None, coupling="lattice", L=None):
    sym = {"field": "Δ_h", "coupling": "Δ_J", "noise": "s"}[kind]
    parts = [] if K is None else [f"K = {K:g}"]
    parts.append(f"{sym} = {strength:g}")
    if coupling != "lattice":
        parts.append(coupling)
    if L is not None:
        parts.append(f"L = {L}")
    return ", ".join(parts)


def claims(*, n_j0=15, seed=2025):
    """The chapter's claims, with criteria fixed before the measurement (all ours).

    Parameters
    ----------
    n_j0 : int, default 15
        Conditions of the J = 0 check (sets its family-wise k).
    seed : int, default 2025
        Root seed of the stored studies (for the scope).

    Returns
    -------
    list of utacbook.claims.Claim
    """
    from utacbook import claims as uc
    kf = round(uc.familywise_k(n_j0), 2)
    dc6 = mean_field_critical_disorder(6.0)
    dc11 = mean_field_critical_disorder(11.0)
    crit_round = (f"rounded at both of the two largest L: resolved in δ (D(δ_min)/D(δ_max) + 2 s.e. ≤ {GROWTH_MAX}), "
                  f"stationary (slope change with 10 × longer runs, |change| + 2 s.e. ≤ {STEP_TOL:.0%}), and β not "
                  f"growing with L (β(L_max) − β(L_max/2) ≤ max({SIZE_RTOL:.0%}, {K_SIGMA:g} s.e.))")
    crit_jump = (f"classified a jump, i.e. not rounded at these sizes and run lengths: at either of the two largest "
                 f"L the slope rises as δ shrinks (D(δ_min)/D(δ_max) − 2 s.e. > {GROWTH_MAX}) or with 10 × longer "
                 f"runs (change − 2 s.e. > {STEP_TOL:.0%}), or β grows with L beyond max({SIZE_RTOL:.0%}, "
                 f"{K_SIGMA:g} s.e.); neither rounded nor a jump is 'undecided'")
    common = f"T = 1, 16 disorder samples per condition, seeds from {seed} and the condition"
    return [
        uc.Claim("rg.disorder.j0", source="ours", section="",
                 text="At J = 0 the agents are independent: the simulated response equals the one-site average "
                      "E_b,c[g((h + Δ_h b)/(T e^(s c)))] (Gauss–Hermite quadrature)",
                 quantity="replica mean of σ̄ minus the exact average, per field and disorder",
                 criterion=uc.Agreement(0.0, k=kf),
                 scope=f"L = 32, 20 sweeps, 16 disorder samples; h from −1.5 to 2; Δ_h = 1, 3 and s = 0.7 "
                       f"({n_j0} conditions, family-wise k = {kf:.2f})"),
        uc.Claim("rg.disorder.clean", source="ours", section="",
                 text="With every disorder at zero the extended model is the guide's model",
                 quantity="scan_field and scan_field_extended (disorder 0) with the same seed, five fields, K = 6",
                 criterion=uc.Holds("identical runs, bit for bit"), scope="L = 16, 30 sweeps, 3 replicas"),
        uc.Claim("rg.disorder.mean_field", source="ours", section="",
                 text="With all-to-all coupling, mean field with disorder is exact: β = 4 F_h / (1 − F_m), "
                      "F = E_b[g((J m + h + Δ_h b)/T)]",
                 quantity="β of the all-to-all model (midpoint estimator) over the mean-field value, minus 1",
                 criterion=uc.Agreement(0.0, abs_tol=MF_TOL, k=2, tolerance_from="ours: N = 4096 agents"),
                 scope=f"N = 64², K = 3 (Δ_h = 0, 0.5, 1, 2; 100 sweeps) and K = 6 (Δ_h = 2; 1000 sweeps); {common}",
                 note=f"the tolerance is ±{MF_TOL} plus 2 s.e. (|x| ≤ {MF_TOL} + 2σ)"),
        uc.Claim("rg.disorder.mf_jump", source="ours", section="",
                 text=f"Mean field keeps the jump for a random field below Δ_c = {dc6:.2f} at K = 6: the "
                      "all-to-all model is not rounded at Δ_h = 0 and 1",
                 quantity="the rounding criterion's classification, all-to-all, N = 32² and 64², 1000 sweeps",
                 criterion=uc.Holds(crit_jump),
                 scope=f"K = 6, Δ_h = 0 and 1; {common}"),
        uc.Claim("rg.disorder.below", source="ours", section="",
                 text="Below K_c a random field lowers β: a sum of shifted responses is flatter",
                 quantity="β of the lattice model at K = 3 against Δ_h",
                 criterion=uc.Ordering(increasing=False, k=2),
                 scope=f"L = 64, 100 sweeps, Δ_h = 0, 0.5, 1, 2; {common}"),
        uc.Claim("rg.disorder.field_rounds", source="ours", section="",
                 text="The issue's statement, quoted: “in 2D any disorder rounds the jump above K_c into a finite "
                      "β” (Imry–Ma), tested for a random field: the jump is rounded at the sizes and run lengths "
                      "we can simulate",
                 quantity="the rounding criterion's classification on the lattice, 1000 sweeps (checked against "
                          "10 000)",
                 criterion=uc.Holds(crit_round),
                 scope=f"K = 6: Δ_h = 0.25, 0.5, 1, 2 with L = 64, 128; K = 11: Δ_h = 1, 2, 4 with L = 32, 64; "
                       f"{common}",
                 note=f"the issue's prediction (the claims API has no 'issue' source, hence 'ours'); wording and "
                      f"note revised after a referee read the first run, criterion and verdict unchanged. The verdict "
                      f"counts conditions; read it as the field strength at which rounding becomes visible at "
                      f"L ≤ 128 (K = 6), L ≤ 64 (K = 11) and 1000 sweeps, not as a test of Imry–Ma, which it neither "
                      f"confirms nor refutes: "
                      f"Imry–Ma predicts rounding only beyond a breakup length L_b ∝ exp[c (σ_w/Δ_h)²], and the data "
                      f"decided here are also matched by mean field at the lattice's own K_c, which fails only at the "
                      f"undecided Δ_h = 0.5 (text). Mean field at the "
                      f"same K (exact for all-to-all coupling) keeps the jump below Δ_c = {dc6:.2f} (K = 6) and "
                      f"{dc11:.2f} (K = 11)"),
        uc.Claim("rg.disorder.coupling_as_field", source="ours", section="",
                 text="At the midpoint a random coupling Δ_J acts as a random field Δ_J/2 (activations in [0, 1]): "
                      "β(Δ_J) = β(Δ_h = Δ_J/2)",
                 quantity="β with coupling disorder Δ_J over β with field disorder Δ_J/2, minus 1",
                 criterion=uc.Agreement(0.0, abs_tol=PAIR_TOL, k=2,
                                        tolerance_from="ours: the random-bond part of a random coupling"),
                 scope=f"K = 6, L = 64, 1000 sweeps, Δ_J = 1, 2, 4; {common}",
                 note="exact for mean field at the symmetric point (the odd part of the coupling averages out); "
                      "the tolerance is ±0.1 plus 2 s.e. (|x| ≤ 0.1 + 2σ): at Δ_J = 4 the random-bond part is "
                      "detectable (about 5 %, 2.6 s.e.) but inside it"),
        uc.Claim("rg.disorder.no_field_no_rounding", source="ours", section="",
                 text="Without a random field there is no rounding: per-agent noise keeps the σ → 1 − σ symmetry, "
                      "and β keeps growing with the run length, as in the clean model",
                 quantity="relative change of the midpoint slope when runs of 1000 sweeps become 10 000",
                 criterion=uc.Sign(+1, k=3),
                 scope=f"K = 6, lattice, L = 32 and 64: clean (s = 0) and s = 0.5, 1; {common}"),
        uc.Claim("rg.disorder.noise_jump", source="ours", section="",
                 text="Per-agent noise does not round the jump: the rounding criterion classifies it as a jump",
                 quantity="the rounding criterion's classification (δ-resolution, run length, size), lattice, "
                          "1000 sweeps",
                 criterion=uc.Holds(crit_jump),
                 scope=f"K = 6, s = 0.5 and 1, L = 32 and 64; {common}",
                 note="added after the first run: the run-length test of the claim above misses a jump once a "
                      "small lattice has finished coarsening within 1000 sweeps (then a clean or noisy jump no "
                      "longer changes with the run length); this claim uses the rounding criterion's full "
                      "classification, which was fixed before the run"),
        uc.Claim("rg.disorder.bistability", source="ours", section="",
                 text="A second view of the same classification: where the jump is rounded the runs started at 0 "
                      "and at 1 end in the same state at Θ, where it is a jump they do not",
                 quantity=f"the rounding classification against 'no bistability' (gap + 2 s.e. ≤ {GAP_TOL})",
                 criterion=uc.Holds("the two views agree"),
                 scope=f"K = 6, lattice, L = 128, 1000 sweeps, Δ_h = 0, 0.25, 0.5, 1, 2; {common}"),
    ]


def _short(r):
    """A rounding-table row in a few words: the classification and β at the largest lattice."""
    from utacbook.report import format_pm
    return f"{r['rounding']}, β = {format_pm(r['beta'], r['beta_err'], sig=1)} at L = {int(r['L_max'])}"


def _row(frame, K, kind, strength, coupling="lattice", L=None, n_steps=None):
    f = frame[(frame["K"] == K) & (frame["kind"] == kind) & (frame["strength"] == strength)
              & (frame["coupling"] == coupling)]
    if L is not None:
        f = f[f["L"] == L]
    if n_steps is not None:
        f = f[f["n_steps"] == n_steps]
    if len(f) != 1:
        raise KeyError(f"no unique condition K={K}, {kind}={strength}, {coupling}, L={L}, n_steps={n_steps}")
    return f.iloc[0]


def judge(claims_, *, above, below, j0, clean):
    """Judge :func:`claims` from the measurements.

    Parameters
    ----------
    claims_ : sequence of Claim
        From :func:`claims` (looked up by id).
    above, below : pandas.DataFrame
        :func:`study_frame` of the stored "above" and "below" studies.
    j0 : pandas.DataFrame
        From :func:`j0_check`.
    clean : bool
        From :func:`clean_limit_check`.

    Returns
    -------
    list of utacbook.claims.Judgement
        In the order of ``claims_``.
    """
    from utacbook.claims import Measurement as M
    C = {c.id: c for c in claims_}
    rt = rounding_table(above)
    out = {}
    out["rg.disorder.j0"] = C["rg.disorder.j0"].judge(
        [M(r.sim - r.exact, r.sim_err, condition=f"{'Δ_h' if r.field_disorder else 's'} = "
           f"{r.field_disorder or r.noise_disorder:g}, h = {r.h:g}") for r in j0.itertuples()])
    out["rg.disorder.clean"] = C["rg.disorder.clean"].judge(M(bool(clean), condition="K = 6"))
    ms = []
    for K, d, t, f in [(3.0, x, 100, below) for x in BELOW_STRENGTHS] + [(6.0, 2.0, 1000, above)]:
        r = _row(f, K, "field", d, "all-to-all", L=64, n_steps=t)
        b = mean_field_disorder_beta(K, field_disorder=d)
        ms.append(M(r["beta"] / b - 1.0, r["beta_err"] / b, condition=f"K = {K:g}, Δ_h = {d:g}",
                    text=f"{r['beta']:.4g} ± {r['beta_err']:.2g} vs {b:.4g}"))
    out["rg.disorder.mean_field"] = C["rg.disorder.mean_field"].judge(ms)
    ms = []
    for d in (0.0, 1.0):
        r = rt[(rt["K"] == 6.0) & (rt["kind"] == "field") & (rt["strength"] == d) & (rt["coupling"] == "all-to-all")]
        r = r.iloc[0]
        ms.append(M(bool(r["rounding"] == "jump"), condition=f"Δ_h = {d:g}", text=_short(r)))
    out["rg.disorder.mf_jump"] = C["rg.disorder.mf_jump"].judge(ms)
    ms = []
    for d in BELOW_STRENGTHS:
        r = _row(below, 3.0, "field", d, L=64, n_steps=100)
        ms.append(M(r["beta"], r["beta_err"], condition=f"Δ_h = {d:g}"))
    out["rg.disorder.below"] = C["rg.disorder.below"].judge(ms)
    ms = []
    for K, ds in FIELD_ROUNDING:
        for d in ds:
            r = rt[(rt["K"] == K) & (rt["kind"] == "field") & (rt["strength"] == d) & (rt["coupling"] == "lattice")]
            r = r.iloc[0]
            ms.append(M(bool(r["rounded"]), condition=f"K = {K:g}, Δ_h = {d:g}", text=_short(r)))
    out["rg.disorder.field_rounds"] = C["rg.disorder.field_rounds"].judge(
        ms, summary=f"rounding visible in {sum(m.value for m in ms)} of {len(ms)} conditions")
    ms = []
    for dJ in COUPLING_PAIRS:
        a = _row(above, 6.0, "coupling", dJ, L=64, n_steps=1000)
        b = _row(above, 6.0, "field", dJ / 2, L=64, n_steps=1000)
        q = a["beta"] / b["beta"]
        qe = q * math.hypot(a["beta_err"] / a["beta"], b["beta_err"] / b["beta"])
        ms.append(M(q - 1.0, qe, condition=f"Δ_J = {dJ:g}",
                    text=f"{a['beta']:.3g} ± {a['beta_err']:.2g} vs {b['beta']:.3g} ± {b['beta_err']:.2g}"))
    out["rg.disorder.coupling_as_field"] = C["rg.disorder.coupling_as_field"].judge(ms)
    ms = []
    for K, kind, d in NO_FIELD:
        for L in (32, 64):
            r = _row(above, K, kind, d, L=L, n_steps=1000)
            ms.append(M(r["long_change"], r["long_change_err"], condition=f"{'clean' if d == 0 else f's = {d:g}'}, "
                        f"L = {L}", text=f"{r['long_change']:+.1%} ± {r['long_change_err']:.1%}"))
    out["rg.disorder.no_field_no_rounding"] = C["rg.disorder.no_field_no_rounding"].judge(ms)
    ms = []
    for d in (0.5, 1.0):
        r = rt[(rt["K"] == 6.0) & (rt["kind"] == "noise") & (rt["strength"] == d) & (rt["coupling"] == "lattice")]
        r = r.iloc[0]
        ms.append(M(bool(r["rounding"] == "jump"), condition=f"s = {d:g}", text=_short(r)))
    out["rg.disorder.noise_jump"] = C["rg.disorder.noise_jump"].judge(ms)
    ms = []
    for d in (0.0, 0.25, 0.5, 1.0, 2.0):
        r = _row(above, 6.0, "field", d, L=128, n_steps=1000)
        v_ = rt[(rt["K"] == 6.0) & (rt["kind"] == "field") & (rt["strength"] == d)
                & (rt["coupling"] == "lattice")].iloc[0]["rounding"]
        nb = bool(r["no_bistability"])
        agree = (v_ == "rounded" and nb) or (v_ == "jump" and not nb)
        ms.append(M(bool(agree), condition=f"Δ_h = {d:g}", text=f"{v_}; gap {r['gap']:.3f} ± {r['gap_err']:.3f}"))
    out["rg.disorder.bistability"] = C["rg.disorder.bistability"].judge(ms)
    return [out[c.id] for c in claims_]


# =============================================================================================== plots


def _mf_line(ax, K, strength, kind="field", **kw):
    b = mean_field_disorder_beta(K, **{KINDS[kind]: strength})
    if np.isfinite(b):
        ax.axhline(b, **kw)
    return b


def plot_rounding(frame, *, K=6.0, kind="field", coupling="lattice", axes=None):
    """β against L for every strength, one panel per run length (log-log, error bars).

    Filled markers: the condition's own criteria pass (resolved in δ and stationary);
    open: they do not (a growing slope: the value shown is then a lower bound of a
    run-length-dependent quantity, or the point is undecided).  Dotted: the mean-field
    β with the same disorder (exact for all-to-all coupling), where it is finite.
    """
    import matplotlib.pyplot as plt
    f = frame[(frame["K"] == K) & (frame["kind"] == kind) & (frame["coupling"] == coupling)]
    steps = sorted(f["n_steps"].unique())
    if axes is None:
        _, axes = plt.subplots(1, len(steps), figsize=(5.2 * len(steps), 3.9), sharey=True, squeeze=False)
        axes = axes[0]
    strengths = sorted(f["strength"].unique())
    colors = [f"C{i}" for i in range(len(strengths))]
    sym = {"field": "Δ_h", "coupling": "Δ_J", "noise": "s"}[kind]
    for ax, t in zip(axes, steps):
        for d, col in zip(strengths, colors):
            g = f[(f["strength"] == d) & (f["n_steps"] == t)].sort_values("L")
            ax.plot(g["L"], g["beta"], "-", color=col, alpha=0.6)
            for r in g.itertuples():
                ax.errorbar(r.L, r.beta, yerr=r.beta_err, fmt="o", color=col, capsize=3,
                            mfc=col if r.rounded_here else "white")
            ax.plot([], [], "o-", color=col, label=f"{sym} = {d:g}")
            _mf_line(ax, K, d, kind, color=col, ls=":", lw=1)
        ax.set(xscale="log", yscale="log", xlabel="L", title=f"{t} sweeps per run")
        ax.set_xticks(sorted(f["L"].unique()), [str(x) for x in sorted(f["L"].unique())])
        ax.minorticks_off()
    axes[0].set_ylabel("β T (midpoint slope × 4)")
    axes[-1].legend(fontsize=8, loc="best")
    return axes


def plot_kinds(frame, *, K=6.0, L=64, n_steps=1000, axes=None):
    """Left: β against the random-field strength at the midpoint (Δ_h, and Δ_J/2 for coupling disorder).
    Right: how much the slope changes when the runs are 10 × longer, for every kind."""
    import matplotlib.pyplot as plt
    if axes is None:
        _, axes = plt.subplots(1, 2, figsize=(10.5, 3.9))
    f = frame[(frame["K"] == K) & (frame["L"] == L) & (frame["n_steps"] == n_steps) & (frame["coupling"] == "lattice")]
    ax = axes[0]
    for kind, scale, mk, col in (("field", 1.0, "o", "C0"), ("coupling", 0.5, "s", "C1")):
        g = f[(f["kind"] == kind) & (f["strength"] > 0)].sort_values("strength")
        lab = "field disorder: Δ_h" if kind == "field" else "coupling disorder: Δ_J / 2"
        for r in g.itertuples():
            ax.errorbar(r.strength * scale, r.beta, yerr=r.beta_err, fmt=mk, color=col, capsize=3,
                        mfc=col if r.rounded_here else "white")
        ax.plot(g["strength"] * scale, g["beta"], "-", color=col, alpha=0.6, label=lab, marker=mk)
    x = np.linspace(0.2, 2.2, 60)
    mf = [mean_field_disorder_beta(K, field_disorder=d) for d in x]
    ax.plot(x, np.where(np.isfinite(mf), mf, np.nan), "k:", lw=1, label="mean field (all-to-all)")
    ax.set(xscale="log", yscale="log", xlabel="random-field strength at the midpoint (units of T)",
           ylabel="β T", title=f"K = {K:g}, L = {L}, {n_steps} sweeps")
    xt = sorted(set(f[f["kind"] == "field"]["strength"]) - {0.0})
    ax.set_xticks(xt, [f"{x:g}" for x in xt])
    ax.minorticks_off()
    ax.legend(fontsize=8)
    ax = axes[1]
    items = []
    for kind in ("field", "coupling", "noise"):
        for r in f[f["kind"] == kind].sort_values("strength").itertuples():
            items.append((_label(kind, r.strength), r.long_change, r.long_change_err,
                          {"field": "C0", "coupling": "C1", "noise": "C2"}[kind]))
    y = np.arange(len(items))
    ax.barh(y, [i[1] * 100 for i in items], xerr=[i[2] * 100 for i in items], color=[i[3] for i in items],
            alpha=0.8, capsize=2)
    ax.axvspan(-STEP_TOL * 100, STEP_TOL * 100, color="0.85", zorder=0)
    ax.set_yticks(y, [i[0] for i in items], fontsize=8)
    ax.invert_yaxis()
    ax.set(xlabel=f"change of the slope, {10 * n_steps} instead of {n_steps} sweeps (%)",
           title="stationary if |change| + 2 s.e. ≤ 20 %")
    return axes


def plot_below(frame_below, *, K=3.0, L=64, ax=None):
    """β against the random field below K_c: lattice, all-to-all, mean field with disorder, and J = 0 (exact)."""
    import matplotlib.pyplot as plt
    if ax is None:
        _, ax = plt.subplots(figsize=(5.6, 3.9))
    x = np.linspace(0.0, 2.2, 80)
    ax.plot(x, [mean_field_disorder_beta(K, field_disorder=d) for d in x], "k-", lw=1,
            label=f"mean field, K = {K:g} (exact for all-to-all)")
    ax.plot(x, [single_site_beta(field_disorder=d) for d in x], "k--", lw=1, label="J = 0 (exact)")
    for coupling, mk, col in (("lattice", "o", "C0"), ("all-to-all", "s", "C3")):
        g = frame_below[(frame_below["K"] == K) & (frame_below["coupling"] == coupling)
                        & (frame_below["L"] == L)].sort_values("strength")
        ax.errorbar(g["strength"], g["beta"], yerr=g["beta_err"], fmt=mk, color=col, capsize=3,
                    label=f"{coupling}, L = {L}")
    ax.set(xlabel="Δ_h (units of T)", ylabel="β T", title=f"below K_c: K = {K:g}, 100 sweeps")
    ax.set_ylim(bottom=0)
    ax.legend(fontsize=8)
    return ax


def plot_bistability(frame, *, K=6.0, kind="field", coupling="lattice", axes=None):
    """The gap σ̄(start 1) − σ̄(start 0) at Θ against the disorder, per L, one panel per run length."""
    import matplotlib.pyplot as plt
    f = frame[(frame["K"] == K) & (frame["kind"] == kind) & (frame["coupling"] == coupling)]
    steps = sorted(f["n_steps"].unique())
    if axes is None:
        _, axes = plt.subplots(1, len(steps), figsize=(5.2 * len(steps), 3.6), sharey=True, squeeze=False)
        axes = axes[0]
    sizes = sorted(f["L"].unique())
    colors = plt.cm.plasma(np.linspace(0, 0.8, len(sizes)))
    sym = {"field": "Δ_h", "coupling": "Δ_J", "noise": "s"}[kind]
    for ax, t in zip(axes, steps):
        for L, col in zip(sizes, colors):
            g = f[(f["L"] == L) & (f["n_steps"] == t)].sort_values("strength")
            ax.errorbar(g["strength"], g["gap"], yerr=g["gap_err"], fmt="o-", color=col, capsize=3, label=f"L = {L}")
        ax.axhspan(0, GAP_TOL, color="0.88", zorder=0)
        ax.set(xlabel=f"{sym} (units of T)", title=f"K = {K:g}, {t} sweeps")
    axes[0].set_ylabel("σ̄ from all-1 minus σ̄ from all-0 at Θ")
    axes[-1].legend(fontsize=8)
    return axes
