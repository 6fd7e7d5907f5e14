"""Exact results for the Ising model, the references of the Monte Carlo engine.

Model
-----
Spins :math:`s_i = \\pm 1`, Boltzmann constant :math:`k_B = 1` (temperatures
in units of the coupling), Hamiltonian

.. math:: H = -\\sum_{\\langle ij \\rangle} J_{ij}\\, s_i s_j - \\sum_i h_i s_i ,

each bond counted once.  On the square lattice and the ring
:math:`J_{ij} = J` for nearest neighbours.  Unless stated otherwise every
quantity is *per spin*: energy :math:`e = H/N` (field term included),
magnetisation :math:`m = \\sum_i s_i / N`, specific heat
:math:`c = N(\\langle e^2\\rangle - \\langle e\\rangle^2)/T^2`.

Susceptibility conventions (all per spin, all returned by the enumerations):

* ``susceptibility`` :math:`\\chi = N(\\langle m^2\\rangle - \\langle |m|\\rangle^2)/T`,
  the finite-size estimator used by Monte Carlo at :math:`h = 0` (it has a
  finite peak near :math:`T_c`);
* ``susceptibility_h0`` :math:`\\chi_0 = N\\langle m^2\\rangle/T`, the true
  zero-field response of a finite system at :math:`h = 0` (where
  :math:`\\langle m\\rangle = 0` by symmetry);
* ``susceptibility_connected``
  :math:`\\chi_c = N(\\langle m^2\\rangle - \\langle m\\rangle^2)/T = \\partial\\langle m\\rangle/\\partial h`,
  the response at any :math:`h` (equal to :math:`\\chi_0` at :math:`h = 0`).

Binder cumulant :math:`U = 1 - \\langle m^4\\rangle / (3\\langle m^2\\rangle^2)`.

Everything is evaluated in log space (a log-sum-exp with signs
where terms may be negative), so large systems and low temperatures do not
overflow.

References
----------
L. Onsager, "Crystal statistics. I. A two-dimensional model with an
order-disorder transition", Phys. Rev. 65, 117 (1944).

C. N. Yang, "The spontaneous magnetization of a two-dimensional Ising model",
Phys. Rev. 85, 808 (1952).

B. Kaufman, "Crystal statistics. II. Partition function evaluated by spinor
analysis", Phys. Rev. 76, 1232 (1949).

A. E. Ferdinand and M. E. Fisher, "Bounded and inhomogeneous Ising models. I.
Specific-heat anomaly of a finite lattice", Phys. Rev. 185, 832 (1969).

P. D. Beale, "Exact distribution of energies in the two-dimensional Ising
model", Phys. Rev. Lett. 76, 78 (1996).

S. N. Dorogovtsev, A. V. Goltsev and J. F. F. Mendes, "Critical phenomena in
complex networks", Rev. Mod. Phys. 80, 1275 (2008).
"""

from __future__ import annotations

import math
import numbers

import numpy as np
import scipy.sparse as sp
from scipy.special import ellipe, ellipkm1, gammaln, logsumexp

from utacbook import _validate as v
from utacbook._memory import check_memory

__all__ = [
    "onsager_tc", "yang_magnetization", "infinite_lattice_energy",
    "infinite_lattice_specific_heat", "kaufman_log_z", "kaufman_energy",
    "kaufman_specific_heat", "kaufman", "enumerate_lattice", "enumerate_graph",
    "curie_weiss", "ring", "mean_field_tc", "bethe_tc", "square_lattice_couplings",
]

#: largest number of spins accepted by :func:`enumerate_graph` (2**20 states)
MAX_ENUMERATION_SPINS = 20
#: largest linear size accepted by :func:`enumerate_lattice` (2**16 states)
MAX_ENUMERATION_L = 4


# --------------------------------------------------------------------------
# validation helpers
# --------------------------------------------------------------------------


def _temperatures(T):
    """``T`` as a float array of positive finite values (any shape), and whether it was scalar."""
    scalar = np.ndim(T) == 0
    if scalar:
        if isinstance(T, np.ndarray):
            T = T.item()
        return np.array(v.real("T", T, positive=True)), True
    arr = v.real_array("T", T)
    if arr.size == 0:
        raise ValueError("T must not be empty")
    if not np.all(arr > 0):
        raise ValueError("T must be > 0 everywhere")
    return arr, False


def _out(arr, scalar):
    return float(arr) if scalar else arr


def _positive_J(J):
    return v.real("J", J, positive=True)


# --------------------------------------------------------------------------
# infinite square lattice: Onsager and Yang
# --------------------------------------------------------------------------


def onsager_tc(J=1.0):
    """Critical temperature of the infinite square lattice (Onsager 1944).

    Parameters
    ----------
    J : float, default 1.0
        Ferromagnetic nearest-neighbour coupling, > 0 (energy units).

    Returns
    -------
    float
        :math:`T_c = 2J/\\ln(1+\\sqrt 2) \\approx 2.269185\\,J` (same units as J,
        :math:`k_B = 1`).

    Examples
    --------
    >>> from utacbook.theory import onsager_tc
    >>> round(onsager_tc(), 6)
    2.269185
    >>> round(onsager_tc(J=0.5), 6)
    1.134593
    """
    J = _positive_J(J)
    return 2.0 * J / math.log1p(math.sqrt(2.0))


def yang_magnetization(T, J=1.0):
    """Spontaneous magnetisation per spin of the infinite square lattice (Yang 1952).

    Parameters
    ----------
    T : float or array_like
        Temperature(s), > 0 (units of J).
    J : float, default 1.0
        Coupling, > 0.

    Returns
    -------
    float or ndarray
        :math:`m_0 = (1 - \\sinh(2J/T)^{-4})^{1/8}` for :math:`T < T_c`, 0 for
        :math:`T \\ge T_c`; in [0, 1].  Near :math:`T_c`,
        :math:`m_0 \\propto (T_c - T)^{1/8}`.

    Examples
    --------
    >>> from utacbook.theory import yang_magnetization
    >>> round(yang_magnetization(2.0), 6)
    0.911319
    >>> yang_magnetization([1.0, 2.0, 3.0]).round(4)
    array([0.9993, 0.9113, 0.    ])
    """
    T, scalar = _temperatures(T)
    J = _positive_J(J)
    two_k = 2.0 * J / T
    # sinh(2K)^-4 computed as exp(-4 log sinh 2K), safe for large K
    log_sinh = two_k + np.log(-np.expm1(-2.0 * two_k)) - math.log(2.0)
    x = np.exp(-4.0 * log_sinh)
    m = np.where(x < 1.0, np.power(np.clip(1.0 - x, 0.0, None), 0.125), 0.0)
    return _out(m, scalar)


def _onsager_parts(T, J):
    """K = J/T, t = tanh 2K, complementary parameter p = 1 - k^2, elliptic K(k), E(k)."""
    K = J / T
    with np.errstate(over="ignore", invalid="ignore"):
        s = np.sinh(2.0 * K)
        c2 = np.cosh(2.0 * K) ** 2
        # 1 - k^2 = (1 - sinh^2 2K)^2 / cosh^4 2K exactly; computed without cancellation
        p = ((1.0 - s) * (1.0 + s) / c2) ** 2
        # at low T (2K > ~355) cosh^2 2K overflows: there (1 - sinh^2)/cosh^2 = 2/cosh^2 - 1
        # is -1 to double precision, so p = 1, and u = -2J, c = 0 follow exactly
        p = np.where(np.isfinite(p), p, (2.0 / c2 - 1.0) ** 2)
    with np.errstate(divide="ignore"):
        ek = ellipkm1(p)        # K(k) with m = k^2 = 1 - p (inf at T_c)
    ee = ellipe(1.0 - p)        # E(k)
    return K, np.tanh(2.0 * K), ek, ee


def infinite_lattice_energy(T, J=1.0):
    """Internal energy per spin of the infinite square lattice at h = 0 (Onsager 1944).

    .. math:: u = -J \\coth 2K \\left[1 + \\frac{2}{\\pi}(2\\tanh^2 2K - 1)\\,
              \\mathrm{K}(k)\\right], \\qquad k = \\frac{2\\sinh 2K}{\\cosh^2 2K},
              \\quad K = J/T,

    with :math:`\\mathrm K` the complete elliptic integral of the first kind
    of modulus k (scipy's parameter is :math:`m = k^2`; here
    ``scipy.special.ellipkm1`` is called with :math:`1-k^2` computed without
    cancellation).  At :math:`T_c` the product is finite and
    :math:`u = -\\sqrt 2 J`.

    Parameters
    ----------
    T : float or array_like
        Temperature(s), > 0 (units of J).
    J : float, default 1.0
        Coupling, > 0.

    Returns
    -------
    float or ndarray
        Energy per spin, in [-2J, 0] (units of J).

    Examples
    --------
    >>> import math
    >>> from utacbook.theory import infinite_lattice_energy, onsager_tc
    >>> round(infinite_lattice_energy(onsager_tc()), 10), round(-math.sqrt(2), 10)   # u(T_c) = -sqrt(2) J
    (-1.4142135624, -1.4142135624)
    >>> infinite_lattice_energy([0.5, 100.0]).round(4)     # ground state -2J; high T: -2 tanh(J/T)
    array([-2.  , -0.02])
    """
    T, scalar = _temperatures(T)
    J = _positive_J(J)
    K, t, ek, _ = _onsager_parts(T, J)
    f = 2.0 * t * t - 1.0
    term = np.where(np.isinf(ek), 0.0, f * np.where(np.isinf(ek), 0.0, ek))
    u = -J / t * (1.0 + 2.0 / math.pi * term)
    return _out(u, scalar)


def infinite_lattice_specific_heat(T, J=1.0):
    """Specific heat per spin of the infinite square lattice at h = 0 (Onsager 1944).

    Closed form (with K, E the complete elliptic integrals of modulus k, and
    :math:`K_J = J/T`):

    .. math:: c = \\frac{4}{\\pi}(K_J \\coth 2K_J)^2 \\Big\\{\\mathrm K(k) - \\mathrm E(k)
              - (1 - \\tanh^2 2K_J)\\big[\\tfrac{\\pi}{2} + (2\\tanh^2 2K_J - 1)\\mathrm K(k)\\big]\\Big\\}.

    It is checked in the tests against a numerical derivative
    :math:`du/dT` of :func:`infinite_lattice_energy`.  Diverges as
    :math:`-(8/\\pi)K_c^2\\ln|1 - T/T_c|` at :math:`T_c`: ``inf`` where the
    elliptic modulus rounds to exactly 1; the float :func:`onsager_tc` itself gives a
    large finite value (about 18), the divergence being logarithmic.

    Parameters
    ----------
    T : float or array_like
        Temperature(s), > 0 (units of J).
    J : float, default 1.0
        Coupling, > 0.

    Returns
    -------
    float or ndarray
        Specific heat per spin (dimensionless, :math:`k_B = 1`), >= 0.

    Examples
    --------
    >>> import math
    >>> from utacbook.theory import infinite_lattice_energy, infinite_lattice_specific_heat, onsager_tc
    >>> T, dT = 3.0, 1e-5                                    # c = du/dT
    >>> du = infinite_lattice_energy(T + dT) - infinite_lattice_energy(T - dT)
    >>> round(infinite_lattice_specific_heat(T), 6), round(du / (2 * dT), 6)
    (0.40138, 0.40138)
    >>> Tc = onsager_tc()                                    # log divergence, amplitude (8/pi) K_c^2
    >>> rise = infinite_lattice_specific_heat(Tc * (1 - 1e-6)) - infinite_lattice_specific_heat(Tc * (1 - 1e-4))
    >>> round(rise, 4), round(8 / math.pi / Tc**2 * math.log(100), 4)
    (2.2774, 2.2774)
    """
    T, scalar = _temperatures(T)
    J = _positive_J(J)
    K, t, ek, ee = _onsager_parts(T, J)
    with np.errstate(invalid="ignore"):
        brace = ek - ee - (1.0 - t * t) * (math.pi / 2.0 + (2.0 * t * t - 1.0) * ek)
        c = 4.0 / math.pi * (K / t) ** 2 * brace
    c = np.where(np.isinf(ek), np.inf, c)
    return _out(c, scalar)


# --------------------------------------------------------------------------
# Kaufman: finite L x M torus at h = 0
# --------------------------------------------------------------------------


def _gammas(K, n):
    """gamma_k, dgamma/dK, d2gamma/dK2 for k = 0 .. 2n-1 (Kaufman/Beale)."""
    x = 2.0 * K
    sh = math.sinh(x)
    ch = math.cosh(x)
    # c(K) = cosh 2K coth 2K = sinh x + 1/sinh x
    c1 = 2.0 * ch * (1.0 - 1.0 / sh ** 2)
    c2 = 4.0 * (sh + (sh * sh + 2.0) / sh ** 3)
    k = np.arange(2 * n)
    theta = math.pi * k / n
    # cosh(gamma) - 1 = (c - 2) + (1 - cos theta), both parts without cancellation
    delta = (sh - 1.0) ** 2 / sh + 2.0 * np.sin(theta / 2.0) ** 2
    sinh_g = np.sqrt(delta * (delta + 2.0))
    g = np.log1p(delta + sinh_g)
    with np.errstate(divide="ignore", invalid="ignore"):
        g1 = c1 / sinh_g
        g2 = (c2 - (1.0 + delta) * g1 ** 2) / sinh_g
    # gamma_0 is signed: gamma_0 = 2K + ln tanh K (> 0 below T_c, < 0 above)
    g[0] = 2.0 * K + math.log(math.tanh(K))
    g1[0] = 2.0 + 2.0 / sh
    g2[0] = -4.0 * ch / sh ** 2
    return g, g1, g2


def _kaufman_K(K, n, m):
    """ln Z, d lnZ/dK, d2 lnZ/dK2 of the n x m torus at coupling K = J/T > 0."""
    g, g1, g2 = _gammas(K, n)
    half = 0.5 * m
    logs, w0, w1, w2 = [], [], [], []
    for start, kind in ((1, "cosh"), (1, "sinh"), (0, "cosh"), (0, "sinh")):
        idx = np.arange(start, 2 * n, 2)
        y = half * g[idx]
        y1 = half * g1[idx]
        y2 = half * g2[idx]
        # factors r >= 1: y > 0 always; log, first and second log-derivatives
        yr, y1r, y2r = y[1:], y1[1:], y2[1:]
        e = np.exp(-2.0 * yr)
        if kind == "cosh":
            lp = np.sum(yr + np.log1p(e))
            fp = (1.0 - e) / (1.0 + e)          # tanh
            fpp = 1.0 - fp * fp                  # sech^2
        else:
            lp = np.sum(yr + np.log1p(-e))
            fp = (1.0 + e) / (1.0 - e)          # coth
            fpp = 1.0 - fp * fp                  # -csch^2
        p1 = np.sum(y1r * fp)
        p2 = np.sum(y1r ** 2 * fpp + y2r * fp)
        # factor r = 0, kept out of the logs (for Z4 it changes sign at T_c)
        y0, d1, d2 = y[0], y1[0], y2[0]
        a = abs(y0)
        E = math.exp(-2.0 * a)
        sg = math.copysign(1.0, y0) if y0 != 0 else 0.0
        cpart, spart = 1.0 + E, sg * (1.0 - E)  # 2cosh y0, 2sinh y0 divided by e^a
        if kind == "cosh":
            s0, s1, s2 = cpart, d1 * spart, d1 * d1 * cpart + d2 * spart
        else:
            s0, s1, s2 = spart, d1 * cpart, d1 * d1 * spart + d2 * cpart
        logs.append(lp + a)
        w0.append(s0)
        w1.append(s1 + s0 * p1)
        w2.append(s2 + 2.0 * s1 * p1 + s0 * (p2 + p1 * p1))
    logs = np.array(logs)
    # signed log-sum-exp written out: scipy.special.logsumexp(..., b, return_sign=True)
    # returns nan in scipy 1.17 when the largest term has a negative weight (here Z4
    # above T_c, whose r = 0 factor is negative), which made larger tori fail at high T
    scale = np.exp(logs - logs.max())
    S = np.dot(scale, w0)
    if not S > 0:
        raise FloatingPointError("Kaufman sum is not positive (loss of precision)")
    ls = logs.max() + math.log(S)
    r1 = np.dot(scale, w1) / S
    r2 = np.dot(scale, w2) / S
    N = n * m
    x = 2.0 * K
    lnz = -math.log(2.0) + 0.5 * N * (math.log(2.0) + x + math.log(-math.expm1(-2.0 * x)) - math.log(2.0)) + ls
    d1 = N / math.tanh(x) + r1
    d2 = -2.0 * N / math.sinh(x) ** 2 + r2 - r1 * r1
    return lnz, d1, d2


def _kaufman_args(L, T, J, M):
    L = v.integer("L", L, low=2)
    M = L if M is None else v.integer("M", M, low=2)
    T, scalar = _temperatures(T)
    J = _positive_J(J)
    # _gammas and _kaufman_K hold about a dozen float arrays of 2L entries at once
    if L > 1 << 18:  # more than 64 MiB (check_memory itself costs ~50 us)
        check_memory(256 * L + T.size * 24, what=f"kaufman(L={L}, ...)")
    return L, T, J, M, scalar


def kaufman(L, T, J=1.0, M=None):
    """ln Z, energy and specific heat per spin of the finite L x M torus at h = 0.

    Kaufman's (1949) exact partition function in the form of Beale (1996) /
    Ferdinand & Fisher (1969), for an :math:`L \\times M` square lattice with
    periodic boundaries in both directions (2LM bonds):

    .. math:: Z = \\tfrac12 (2\\sinh 2K)^{LM/2} \\sum_{i=1}^4 Z_i, \\quad
              Z_{1,2} = \\prod_{r=0}^{L-1} 2\\,{\\cosh \\atop \\sinh}(\\tfrac{M}{2}\\gamma_{2r+1}),\\quad
              Z_{3,4} = \\prod_{r=0}^{L-1} 2\\,{\\cosh \\atop \\sinh}(\\tfrac{M}{2}\\gamma_{2r}),

    :math:`\\cosh\\gamma_k = \\cosh 2K\\coth 2K - \\cos(\\pi k/L)` for
    :math:`k \\ge 1` and the signed :math:`\\gamma_0 = 2K + \\ln\\tanh K`
    (negative above :math:`T_c`, which makes :math:`Z_4 < 0` there), K = J/T.
    The four terms are added as a signed log-sum; energy and specific heat
    come from *analytic* first and second K-derivatives of every factor (no
    finite differences).  ln Z and the energy are accurate to ~1e-13
    relative; the specific heat, a difference of extensive second
    derivatives, has an absolute error of order
    :math:`10^{-16} LM \\max(1, (J/T)^2)` (irrelevant near :math:`T_c`, where
    c = O(1); it dominates only when c itself is below ~1e-9).

    Valid for every L, M >= 2 (odd sizes included).  For L = 2 (or M = 2)
    the torus has each bond along that direction twice (the right and left
    neighbours coincide); the formula counts them as two bonds of strength J,
    exactly as :func:`enumerate_lattice` does (checked in the tests).

    Parameters
    ----------
    L : int
        Linear size, >= 2 (sites per row).
    T : float or array_like
        Temperature(s), > 0 (units of J).
    J : float, default 1.0
        Ferromagnetic coupling, > 0.
    M : int or None, default None
        Second linear size, >= 2; None means M = L.

    Returns
    -------
    dict
        ``log_z`` (ln Z of the whole lattice), ``energy`` (per spin, units of
        J) and ``specific_heat`` (per spin), each a float or an array shaped
        like T.

    Examples
    --------
    >>> from utacbook.theory import enumerate_lattice, kaufman
    >>> r = kaufman(3, 2.0)
    >>> round(r["energy"], 6), round(r["specific_heat"], 6)
    (-1.767678, 0.519663)
    >>> r = enumerate_lattice(3, 2.0)      # the same 3 x 3 torus by brute force (2**9 states)
    >>> round(r["energy"], 6), round(r["specific_heat"], 6)
    (-1.767678, 0.519663)
    """
    L, T, J, M, scalar = _kaufman_args(L, T, J, M)
    N = L * M
    lnz = np.empty(T.shape)
    e = np.empty(T.shape)
    c = np.empty(T.shape)
    for i, t in np.ndenumerate(T):
        K = J / t
        try:
            a, d1, d2 = _kaufman_K(K, L, M)
        except OverflowError:
            raise ValueError(f"T = {t:g} is too low for Kaufman's formula in double precision "
                             f"(sinh 2K overflows at K = J/T = {K:g}); there the lattice is in its "
                             "ground state to double precision: energy -2J per spin, specific heat 0"
                             ) from None
        lnz[i] = a
        e[i] = -J * d1 / N
        c[i] = K * K * d2 / N
    return {"log_z": _out(lnz, scalar), "energy": _out(e, scalar),
            "specific_heat": _out(c, scalar)}


def kaufman_log_z(L, T, J=1.0, M=None):
    """ln Z of the whole L x M torus at h = 0 (Kaufman 1949); see :func:`kaufman`.

    Examples
    --------
    >>> import math
    >>> from utacbook.theory import enumerate_lattice, kaufman_log_z
    >>> round(kaufman_log_z(3, 2.0), 10), round(enumerate_lattice(3, 2.0)["log_z"], 10)   # 2**9 states
    (9.9251503709, 9.9251503709)
    >>> # T -> 0: the two ground states, energy -2J per spin, so ln Z -> ln 2 + 2N J/T (N = 16)
    >>> round(kaufman_log_z(4, 0.05), 6), round(math.log(2) + 2 * 16 / 0.05, 6)
    (640.693147, 640.693147)
    """
    return kaufman(L, T, J=J, M=M)["log_z"]


def kaufman_energy(L, T, J=1.0, M=None):
    """Energy per spin :math:`-\\partial_\\beta \\ln Z / N` of the L x M torus; see :func:`kaufman`.

    Examples
    --------
    >>> import networkx as nx
    >>> from utacbook.theory import enumerate_graph, infinite_lattice_energy, kaufman_energy
    >>> torus = nx.grid_2d_graph(4, 3, periodic=True)        # the 4 x 3 torus, 24 bonds
    >>> round(kaufman_energy(4, 2.5, M=3), 10), round(enumerate_graph(torus, 2.5)["energy"], 10)
    (-1.4122305918, -1.4122305918)
    >>> # away from T_c a 32 x 32 torus is already the infinite lattice (Onsager)
    >>> round(kaufman_energy(32, 1.5), 10), round(infinite_lattice_energy(1.5), 10)
    (-1.9511165731, -1.9511165731)
    """
    return kaufman(L, T, J=J, M=M)["energy"]


def kaufman_specific_heat(L, T, J=1.0, M=None):
    """Specific heat per spin :math:`\\beta^2\\partial^2_\\beta \\ln Z / N` of the L x M torus; see :func:`kaufman`.

    Examples
    --------
    >>> import math
    >>> from utacbook.theory import enumerate_lattice, kaufman_specific_heat, onsager_tc
    >>> kaufman_specific_heat(4, [2.0, 2.5]).round(6)
    array([0.605533, 0.812515])
    >>> enumerate_lattice(4, [2.0, 2.5])["specific_heat"].round(6)     # brute force, 2**16 states
    array([0.605533, 0.812515])
    >>> # at T_c, c grows as (8/pi) K_c^2 ln L (Ferdinand & Fisher): per doubling of L
    >>> Tc = onsager_tc()
    >>> step = kaufman_specific_heat(256, Tc) - kaufman_specific_heat(128, Tc)
    >>> round(step, 3), round(8 / math.pi / Tc**2 * math.log(2), 3)
    (0.343, 0.343)
    """
    return kaufman(L, T, J=J, M=M)["specific_heat"]


# --------------------------------------------------------------------------
# exact enumeration
# --------------------------------------------------------------------------


def _observables(E, M, logg, N, T):
    """Exact thermal averages from a list of levels.

    E: total energy of each level, M: total magnetisation, logg: log of the
    degeneracy (0 for single states).  Two-pass variances (no cancellation).
    """
    beta = 1.0 / T
    lw = logg - beta * E
    lnz = logsumexp(lw)
    p = np.exp(lw - lnz)
    e = E / N
    m = M / N
    am = np.abs(m)
    mean = lambda x: float(np.dot(p, x))  # noqa: E731
    e_mean = mean(e)
    m_mean = mean(m)
    am_mean = mean(am)
    m2 = mean(m * m)
    m4 = mean(m ** 4)
    var_e = mean((e - e_mean) ** 2)
    return {
        "log_z": float(lnz),
        "energy": e_mean,
        "magnetization": m_mean,
        "abs_magnetization": am_mean,
        "m2": m2,
        "m4": m4,
        "specific_heat": N * var_e / T ** 2,
        "susceptibility": N * mean((am - am_mean) ** 2) / T,
        "susceptibility_h0": N * m2 / T,
        "susceptibility_connected": N * mean((m - m_mean) ** 2) / T,
        "binder": 1.0 - m4 / (3.0 * m2 * m2),
    }


def _over_T(E, M, logg, N, T):
    T, scalar = _temperatures(T)
    if scalar:
        return _observables(E, M, logg, N, float(T))
    rows = [_observables(E, M, logg, N, float(t)) for t in T.ravel()]
    return {k: np.array([r[k] for r in rows]).reshape(T.shape) for k in rows[0]}


_DOC_OBS = """
    Returns
    -------
    dict
        Per-spin exact averages (floats, or arrays shaped like ``T``):
        ``log_z`` (ln Z of the whole system), ``energy`` <e> (field term
        included), ``magnetization`` <m>, ``abs_magnetization`` ``<|m|>``,
        ``m2`` <m^2>, ``m4`` <m^4>, ``specific_heat``
        N(<e^2> - <e>^2)/T^2, ``susceptibility`` ``N(<m^2> - <|m|>^2)/T``,
        ``susceptibility_h0`` N<m^2>/T, ``susceptibility_connected``
        N(<m^2> - <m>^2)/T and ``binder`` 1 - <m^4>/(3<m^2>^2); see the
        module docstring for the conventions.
"""


def _coupling_matrix(adjacency):
    """Dense symmetric float coupling matrix from a dense/sparse array or a networkx graph."""
    try:
        import networkx as nx
        if isinstance(adjacency, nx.Graph):
            if adjacency.is_directed():
                raise ValueError("adjacency must be an undirected graph")
            if adjacency.number_of_nodes() < 1:
                raise ValueError("adjacency must have at least one node (got an empty graph)")
            adjacency = nx.to_scipy_sparse_array(adjacency, weight="weight", format="csr")
    except ImportError:  # pragma: no cover
        pass
    if sp.issparse(adjacency):
        adjacency = adjacency.toarray()
    Jm = v.real_array("adjacency", adjacency, ndim=2)
    if Jm.shape[0] != Jm.shape[1]:
        raise ValueError(f"adjacency must be square, got shape {Jm.shape}")
    if Jm.shape[0] < 1:
        raise ValueError("adjacency must have at least one node")
    if not np.allclose(Jm, Jm.T, rtol=1e-12, atol=0.0):
        raise ValueError("adjacency must be symmetric (J_ij = J_ji)")
    if np.any(np.diag(Jm) != 0):
        raise ValueError("adjacency must have a zero diagonal (no self-couplings)")
    return Jm


def _fields(h, N):
    if np.ndim(h) == 0:
        return np.full(N, v.real("h", h))
    hv = v.real_array("h", h, ndim=1)
    if hv.shape[0] != N:
        raise ValueError(f"h must be a scalar or have one value per node ({N}), got {hv.shape[0]}")
    return hv


def _enumerate_levels(Jm, hv):
    """Total energy and magnetisation of all 2**N states."""
    N = Jm.shape[0]
    Ju = np.triu(Jm, 1)
    nstates = 1 << N
    E = np.empty(nstates)
    Mg = np.empty(nstates)
    shifts = np.arange(N, dtype=np.int64)
    chunk = 1 << 15
    for start in range(0, nstates, chunk):
        idx = np.arange(start, min(start + chunk, nstates), dtype=np.int64)
        s = 1.0 - 2.0 * ((idx[:, None] >> shifts) & 1)
        E[idx] = -np.einsum("ij,ij->i", s @ Ju, s) - s @ hv
        Mg[idx] = s.sum(axis=1)
    return E, Mg


def enumerate_graph(adjacency, T, h=0.0):
    """Exact averages by summing over all 2**N states of a small graph.

    :math:`H = -\\sum_{i<j} J_{ij} s_i s_j - \\sum_i h_i s_i`, each edge
    counted once from the symmetric coupling matrix.

    Parameters
    ----------
    adjacency : array_like, scipy.sparse matrix or networkx.Graph
        Symmetric N x N coupling matrix :math:`J_{ij}` (energy units; any
        sign; zero diagonal), 1 <= N <= 20.  A networkx graph uses its
        ``weight`` edge attribute (1 when absent).
    T : float or array_like
        Temperature(s), > 0.
    h : float or array_like, default 0.0
        Field, a scalar or one value per node (energy units).

    A graph without edges (all :math:`J_{ij} = 0`) is allowed: its spins are
    independent, :math:`\\ln Z = \\sum_i \\ln(2\\cosh(h_i/T))` and at h = 0
    the energy and magnetisation are 0 and :math:`\\langle m^2\\rangle = 1/N`.
    """
    Jm = _coupling_matrix(adjacency)
    N = Jm.shape[0]
    if N > MAX_ENUMERATION_SPINS:
        raise ValueError(f"adjacency has {N} nodes; enumeration allows at most {MAX_ENUMERATION_SPINS}")
    hv = _fields(h, N)
    _temperatures(T)
    E, Mg = _enumerate_levels(Jm, hv)
    return _over_T(E, Mg, np.zeros_like(E), N, T)


enumerate_graph.__doc__ += _DOC_OBS + """
    Examples
    --------
    >>> import math
    >>> import networkx as nx
    >>> import numpy as np
    >>> from utacbook.theory import curie_weiss, enumerate_graph, ring
    >>> r = enumerate_graph(nx.cycle_graph(6), 1.5, h=0.2)        # the ring of 6 spins, 2**6 states
    >>> round(r["log_z"], 10), round(ring(6, 1.5, h=0.2)["log_z"], 10)
    (5.6212155333, 5.6212155333)
    >>> Jm = (np.ones((5, 5)) - np.eye(5)) / 5                    # complete graph, J_ij = J/N
    >>> round(enumerate_graph(Jm, 0.8, h=0.1)["log_z"], 10), round(curie_weiss(5, 0.8, h=0.1)["log_z"], 10)
    (4.0803527995, 4.0803527995)
    >>> # no edges: independent spins, ln Z = N ln(2 cosh(h/T))
    >>> round(enumerate_graph(np.zeros((3, 3)), 2.0, h=1.0)["log_z"], 10), round(3 * math.log(2 * math.cosh(0.5)), 10)
    (2.4397850626, 2.4397850626)
"""


def square_lattice_couplings(L, J=1.0):
    """Dense coupling matrix of the periodic L x L square lattice (site i*L + j).

    Bonds to the right and downward neighbour of every site are added, so
    there are 2L^2 bonds; for L = 2 the right and left neighbours coincide and
    the entry is 2J (the torus's double bond).

    Examples
    --------
    >>> import networkx as nx
    >>> import numpy as np
    >>> from utacbook.theory import square_lattice_couplings
    >>> Jm = square_lattice_couplings(4)
    >>> Jm.shape, float(Jm.sum() / 2), bool((Jm.sum(axis=1) == 4).all())   # 2L^2 bonds, 4 neighbours each
    ((16, 16), 32.0, True)
    >>> bool(np.array_equal(Jm, nx.to_numpy_array(nx.grid_2d_graph(4, 4, periodic=True))))
    True
    >>> square_lattice_couplings(2)[0].tolist()               # L = 2: double bonds
    [0.0, 2.0, 2.0, 0.0]
    """
    L = v.integer("L", L, low=2)
    J = v.real("J", J)
    N = L * L
    Jm = np.zeros((N, N))
    i = np.arange(N)
    r, c = divmod(i, L)
    for nb in (r * L + (c + 1) % L, ((r + 1) % L) * L + c):
        np.add.at(Jm, (i, nb), J)
        np.add.at(Jm, (nb, i), J)
    return Jm


def enumerate_lattice(L, T, J=1.0, h=0.0):
    """Exact averages of the periodic L x L square lattice by full enumeration.

    Parameters
    ----------
    L : int
        Linear size, 2 <= L <= 4 (up to 2**16 states).  L = 2 has every bond
        twice (see :func:`square_lattice_couplings`).
    T : float or array_like
        Temperature(s), > 0 (units of J).
    J : float, default 1.0
        Nearest-neighbour coupling (any finite value).
    h : float, default 0.0
        Uniform field.
    """
    L = v.integer("L", L, low=2, high=MAX_ENUMERATION_L)
    J = v.real("J", J)
    h = v.real("h", h)
    return enumerate_graph(square_lattice_couplings(L, J), T, h=h)


enumerate_lattice.__doc__ += _DOC_OBS + """
    Examples
    --------
    >>> from utacbook.theory import enumerate_lattice
    >>> r = enumerate_lattice(4, [0.5, 1e6])          # 4 x 4 torus, 2**16 states
    >>> r["binder"].round(4)                          # ordered: 2/3; free spins: 2/(3N) = 1/24
    array([0.6667, 0.0417])
    >>> dh = 1e-5                                     # chi_c = d<m>/dh, on the 3 x 3 torus
    >>> m_plus = enumerate_lattice(3, 2.5, h=0.3 + dh)["magnetization"]
    >>> m_minus = enumerate_lattice(3, 2.5, h=0.3 - dh)["magnetization"]
    >>> round(enumerate_lattice(3, 2.5, h=0.3)["susceptibility_connected"], 6), round((m_plus - m_minus) / (2 * dh), 6)
    (1.355952, 1.355952)
"""


# --------------------------------------------------------------------------
# Curie-Weiss and the 1D ring
# --------------------------------------------------------------------------


def curie_weiss(N, T, J=1.0, h=0.0):
    """Exact Curie-Weiss (complete-graph) model for any N.

    :math:`H = -(J/N)\\sum_{i<j} s_i s_j - h\\sum_i s_i
    = -\\frac{J}{2N}(M^2 - N) - hM`, i.e. couplings :math:`J_{ij} = J/N` on
    the complete graph (the graph engine's convention), mean-field
    :math:`T_c = J` as N -> infinity.  Summed over M = -N, -N+2, ..., N with
    degeneracy :math:`\\binom{N}{(N+M)/2}` in log space (``gammaln``), so any
    N works (cost O(N) per temperature).

    Parameters
    ----------
    N : int
        Number of spins, >= 1.
    T : float or array_like
        Temperature(s), > 0 (units of J).
    J : float, default 1.0
        Coupling (any finite value).
    h : float, default 0.0
        Uniform field.
    """
    N = v.integer("N", N, low=1)
    J = v.real("J", J)
    h = v.real("h", h)
    _temperatures(T)
    # the levels and the per-level temporaries of _observables: about 20 arrays of N + 1 floats
    if N > 1 << 18:  # more than 40 MiB (check_memory itself costs ~50 us)
        check_memory(160 * (N + 1), what=f"curie_weiss(N={N}, ...)")
    k = np.arange(N + 1, dtype=float)       # number of up spins
    Mg = 2.0 * k - N
    logg = gammaln(N + 1.0) - gammaln(k + 1.0) - gammaln(N - k + 1.0)
    E = -J / (2.0 * N) * (Mg * Mg - N) - h * Mg
    return _over_T(E, Mg, logg, N, T)


curie_weiss.__doc__ += _DOC_OBS + """
    Examples
    --------
    >>> r = curie_weiss(100, 0.8)
    >>> round(r["abs_magnetization"], 4), round(r["binder"], 4)
    (0.6644, 0.619)
    >>> round(curie_weiss(1, 1.0)["log_z"], 6)     # one free spin: ln 2
    0.693147
"""


def _ring_one(N, T, J, h):
    beta = 1.0 / T
    K = beta * J
    b = beta * h
    ab = abs(b)
    ls = max(K + ab, -K)                    # scale: lambda = e^{ls} * lambda~
    u = math.exp(K + ab - ls)
    Eb = math.exp(-2.0 * ab)
    ch = u * (1.0 + Eb) / 2.0               # e^K cosh b / e^ls
    sh = math.copysign(u * (1.0 - Eb) / 2.0, b)  # e^K sinh b / e^ls
    ai2 = math.exp(-2.0 * K - 2.0 * ls)      # e^{-2K} / e^{2 ls}
    D = sh * sh + ai2
    if not D > 0:
        raise ValueError("T is too small relative to |J| for the ring's floating-point evaluation")
    R = math.sqrt(D)
    # partial derivatives in (K, b) of A = e^K cosh b and D, all scaled
    A = {"": ch, "K": ch, "b": sh, "KK": ch, "Kb": sh, "bb": ch}
    Dd = {"K": 2 * sh * sh - 2 * ai2, "b": 2 * sh * ch, "KK": 4 * sh * sh + 4 * ai2,
          "Kb": 4 * sh * ch, "bb": 2 * (ch * ch + sh * sh)}
    Rd = {x: Dd[x] / (2 * R) for x in ("K", "b")}
    for x, y in (("K", "K"), ("K", "b"), ("b", "b")):
        Rd[x + y] = Dd[x + y] / (2 * R) - Dd[x] * Dd[y] / (4 * R ** 3)
    lp = {key: A[key] + Rd[key] for key in Rd}
    lm = {key: A[key] - Rd[key] for key in Rd}
    lam_p = ch + R
    lam_m = ch - R
    rho = lam_m / lam_p
    lnz = N * (ls + math.log(lam_p)) + math.log1p(rho ** N)
    Zt = 1.0 + rho ** N

    def d1(x):
        return N * (lp[x] / lam_p + rho ** (N - 1) * lm[x] / lam_p) / Zt

    def d2(x, y):
        z = N * ((N - 1) * (lp[x] * lp[y] + rho ** (N - 2) * lm[x] * lm[y]) / lam_p ** 2
                 + lp[x + y] / lam_p + rho ** (N - 1) * lm[x + y] / lam_p) / Zt
        return z - d1(x) * d1(y)

    dK, db = d1("K"), d1("b")
    dKK, dKb, dbb = d2("K", "K"), d2("K", "b"), d2("b", "b")
    energy = -(J * dK + h * db) / N
    c = beta ** 2 * (J * J * dKK + 2 * J * h * dKb + h * h * dbb) / N
    return {"log_z": lnz, "energy": energy, "magnetization": db / N,
            "susceptibility_connected": beta * dbb / N, "specific_heat": c}


def ring(N, T, J=1.0, h=0.0):
    """Exact 1D periodic chain (ring) of N spins by the 2 x 2 transfer matrix.

    :math:`H = -J\\sum_{i} s_i s_{i+1} - h\\sum_i s_i` (N bonds, periodic),
    :math:`Z = \\lambda_+^N + \\lambda_-^N` with
    :math:`\\lambda_\\pm = e^{K}\\cosh b \\pm \\sqrt{e^{2K}\\sinh^2 b + e^{-2K}}`,
    K = J/T, b = h/T.  Derivatives of ln Z in K and b are analytic; the
    second derivatives (specific heat, susceptibility) carry an absolute
    error of order 1e-13 from the subtraction <x^2> - <x>^2, which limits
    their *relative* accuracy deep in the ordered regime where they are tiny.
    For N = 2 each of the two bonds joins the same pair (coupling 2J).

    Parameters
    ----------
    N : int
        Number of spins, >= 2.
    T : float or array_like
        Temperature(s), > 0 (units of ``|J|``); ``|J|``/T up to about 170.
    J : float, default 1.0
        Coupling (any finite value, negative = antiferromagnet).
    h : float, default 0.0
        Uniform field.

    Returns
    -------
    dict
        ``log_z`` (whole ring), per spin ``energy`` (field term included),
        ``magnetization`` <m>, ``susceptibility_connected``
        N(<m^2> - <m>^2)/T (= N<m^2>/T at h = 0) and ``specific_heat``.

    Examples
    --------
    >>> import math
    >>> from utacbook.theory import ring
    >>> K = 1 / 1.5                                   # h = 0: Z = (2 cosh K)^N + (2 sinh K)^N
    >>> round(ring(6, 1.5)["log_z"], 10), round(math.log((2 * math.cosh(K)) ** 6 + (2 * math.sinh(K)) ** 6), 10)
    (5.4422050573, 5.4422050573)
    >>> r = ring(1000, 1.0, h=0.1)                    # long chain: m = sinh b / sqrt(sinh^2 b + e^{-4K})
    >>> round(r["magnetization"], 10), round(math.sinh(0.1) / math.sqrt(math.sinh(0.1) ** 2 + math.exp(-4)), 10)
    (0.5949145396, 0.5949145396)
    """
    N = v.integer("N", N, low=2)
    J = v.real("J", J)
    h = v.real("h", h)
    T, scalar = _temperatures(T)
    if scalar:
        return _ring_one(N, float(T), J, h)
    rows = [_ring_one(N, float(t), J, h) for t in T.ravel()]
    return {k: np.array([r[k] for r in rows]).reshape(T.shape) for k in rows[0]}


# --------------------------------------------------------------------------
# network T_c estimates
# --------------------------------------------------------------------------


def _degree_moments(degrees_or_graph, name="degrees_or_graph"):
    obj = degrees_or_graph
    try:
        import networkx as nx
        if isinstance(obj, nx.Graph):
            if obj.is_directed():
                raise ValueError(f"{name} must be an undirected graph, got a directed one")
            if nx.number_of_selfloops(obj):
                raise ValueError(f"{name} must have no self-loops (a self-loop is not a neighbour "
                                 "but adds 2 to the degree)")
            obj = [d for _, d in obj.degree()]
    except ImportError:  # pragma: no cover
        pass
    if obj is None or isinstance(obj, (numbers.Number, str)):
        raise TypeError(f"{name} must be a degree sequence or a networkx graph, got {obj!r}")
    k = v.real_array(name, obj, ndim=1, min_len=1)
    if np.any(k < 0):
        raise ValueError(f"{name} must have non-negative degrees")
    k1 = k.mean()
    if not k1 > 0:
        raise ValueError(f"{name} must have a positive mean degree (a graph with edges)")
    return k1, float(np.mean(k * k))


def mean_field_tc(degrees_or_graph, J=1.0):
    """Annealed-network mean-field critical temperature, :math:`T_c = J\\langle k^2\\rangle/\\langle k\\rangle`.

    Dorogovtsev, Goltsev & Mendes (2008), Rev. Mod. Phys. 80, 1275.  For a
    k-regular graph this is kJ (the Weiss value); it grows without bound for
    scale-free degree distributions with a diverging second moment.

    Parameters
    ----------
    degrees_or_graph : array_like or networkx.Graph
        Degree sequence (non-negative, positive mean) or an undirected graph.
    J : float, default 1.0
        Uniform ferromagnetic coupling, > 0.

    Returns
    -------
    float
        Estimated T_c (units of J).

    Examples
    --------
    >>> import networkx as nx
    >>> from utacbook.theory import mean_field_tc
    >>> float(mean_field_tc(nx.random_regular_graph(4, 20, seed=1)))     # k-regular: the Weiss value kJ
    4.0
    >>> float(mean_field_tc([1, 3], J=2.0))                              # J <k^2>/<k> = 2 * 5 / 2
    5.0
    """
    J = _positive_J(J)
    k1, k2 = _degree_moments(degrees_or_graph)
    return float(J * k2 / k1)


def bethe_tc(degrees_or_graph, J=1.0):
    """Bethe-lattice (tree-like network) critical temperature from degree moments.

    .. math:: T_c = \\frac{2J}{\\ln[\\kappa/(\\kappa - 2)]}, \\qquad
              \\kappa = \\langle k^2\\rangle/\\langle k\\rangle,

    i.e. :math:`\\tanh(J/T_c) = 1/(\\kappa - 1)` with :math:`\\kappa - 1` the
    mean branching (excess degree) of a locally tree-like random graph with
    this degree distribution (Dorogovtsev, Goltsev & Mendes 2008).  For a
    k-regular graph :math:`\\kappa = k`; k = 4 gives :math:`2/\\ln 2 \\approx 2.885 J`.
    When :math:`\\kappa \\le 2` the branching is <= 1, there is no giant
    cluster to order and no finite-temperature transition: the function
    returns 0.0 (T_c = 0).  As :math:`\\kappa \\to 2^+`, T_c -> 0.

    Parameters
    ----------
    degrees_or_graph : array_like or networkx.Graph
        Degree sequence (non-negative, positive mean) or an undirected graph.
    J : float, default 1.0
        Uniform ferromagnetic coupling, > 0.

    Returns
    -------
    float
        Estimated T_c (units of J), 0.0 when kappa <= 2.

    Examples
    --------
    >>> import math
    >>> import networkx as nx
    >>> from utacbook.theory import bethe_tc
    >>> round(bethe_tc([4] * 10), 12), round(2 / math.log(2), 12)  # 4-regular: 2J / ln 2
    (2.885390081778, 2.885390081778)
    >>> degrees = [3, 3, 5, 5]                                     # kappa = <k^2>/<k> = 17/4
    >>> round(math.tanh(1 / bethe_tc(degrees)), 12), round(1 / (17 / 4 - 1), 12)   # tanh(J/T_c) = 1/(kappa - 1)
    (0.307692307692, 0.307692307692)
    >>> bethe_tc(nx.cycle_graph(10))                               # kappa = 2: no transition
    0.0
    """
    J = _positive_J(J)
    k1, k2 = _degree_moments(degrees_or_graph)
    kappa = k2 / k1
    if kappa <= 2.0:
        return 0.0
    return 2.0 * J / math.log(kappa / (kappa - 2.0))
