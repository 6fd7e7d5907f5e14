"""Two-community mean-field (Weiss) and Bethe (cavity) theory of a polarised network.

Two blocks A and B with k_in neighbours inside the own block and k_out in
the other; block magnetisations obey

.. math:: m_A = \\tanh\\big[\\beta J (k_{in} m_A + k_{out} m_B)\\big],\\quad
          m_B = \\tanh\\big[\\beta J (k_{in} m_B + k_{out} m_A)\\big]

(:func:`two_block_solution`, :func:`two_block_fixed_point`); the Hessian of the
free energy (:func:`two_block_hessian`) decides whether the polarised state
m_A = -m_B is metastable (:func:`polarised_stability`).  The Bethe version
uses the cavity message ``bethe_u`` of the essay's networks.
"""

from __future__ import annotations

import math

import numpy as np

from utacbook import _validate as v

__all__ = ['two_block_solution', 'two_block_fixed_point', 'two_block_hessian', 'polarised_stability']


# =============================================================================
# 1. Echo chambers: two coupled Curie-Weiss blocks
# =============================================================================

def _check_block_params(T, k_in, k_out, J):
    T = v.real("T", T, positive=True)
    k_in = v.real("k_in", k_in, positive=True)
    k_out = v.real("k_out", k_out)
    J = v.real("J", J, positive=True)
    return T, k_in, k_out, J


def _cw_root(a):
    """Largest root m >= 0 of m = tanh(a m) (0 if a <= 1)."""
    if a <= 1.0:
        return 0.0
    from scipy.optimize import brentq
    return float(brentq(lambda m: m - math.tanh(a * m), 1e-12, 1.0, xtol=1e-15))


def _logcosh(y):
    """ln cosh y without overflow (scalar or array)."""
    y = np.abs(y)
    return y + np.log1p(np.exp(-2.0 * y)) - math.log(2.0)


def _bethe_u(x, beta, J):
    """Cavity message U(x) = T atanh(tanh(βJ) tanh(βx)), in a form stable at low T.

    Scalar or array ``x``; also used by :func:`utacbook.studies.ising.early_warning.bethe_metastable`.
    """
    return (_logcosh(beta * (x + J)) - _logcosh(beta * (x - J))) / (2.0 * beta)


def _bethe_du(x, beta, J):
    """U'(x) = [tanh(β(x + J)) - tanh(β(x - J))] / 2 (scalar or array)."""
    return 0.5 * (np.tanh(beta * (x + J)) - np.tanh(beta * (x - J)))


def _bethe_root(k, beta, J):
    """Largest cavity field h >= 0 of h = k U(h) (0 if k tanh(βJ) <= 1)."""
    if k * math.tanh(beta * J) <= 1.0:
        return 0.0
    from scipy.optimize import brentq
    def f(h):
        return h - k * _bethe_u(h, beta, J)

    lo, hi = 1e-8 * J, k * J * 1.0001 + 1.0
    if f(lo) >= 0:  # the root is below lo (just above the threshold)
        return 0.0
    return float(brentq(f, lo, hi, xtol=1e-14))


def two_block_solution(T, *, k_in=7.0, k_out=1.0, J=1.0, kind="antisymmetric", method="mf"):
    """Block magnetisation of the symmetric or polarised two-block solution.

    Two communities A and B; a spin has on average ``k_in`` neighbours in its
    own block and ``k_out`` in the other.  In the Weiss mean field
    (``method="mf"``)

    .. math:: m_A = \\tanh[\\beta J (k_{in} m_A + k_{out} m_B)],\\quad
              m_B = \\tanh[\\beta J (k_{in} m_B + k_{out} m_A)].

    The symmetric solution m_A = m_B = m solves m = tanh(βJ(k_in + k_out)m);
    the antisymmetric (polarised) one m_A = -m_B = m solves
    m = tanh(βJ(k_in - k_out)m), and exists iff βJ(k_in - k_out) > 1.

    ``method="bethe"`` uses cavity fields on a locally tree-like graph with
    Poisson degrees (mean excess degree = mean degree):
    h_A = k_in U(h_A) + k_out U(h_B), U(x) = T atanh(tanh(βJ) tanh(βx)).
    For Poisson degrees the total field on a node equals the cavity field,
    so the block magnetisation is m = tanh(β h).  Degree fluctuations are
    ignored (only the mean degrees enter).

    Parameters
    ----------
    T : float > 0
        Temperature T_social (units of J).
    k_in : float > 0
        Mean intra-block degree.
    k_out : float
        Mean inter-block degree times the sign/size of the inter-block
        coupling relative to J (negative = antagonistic links).
    J : float > 0
    kind : {"antisymmetric", "symmetric"}
    method : {"mf", "bethe"}

    Returns
    -------
    float in [0, 1)
        m >= 0 (the solution with m_A = m, m_B = ±m); 0 where only the
        disordered solution exists.

    Examples
    --------
    >>> import math
    >>> from utacbook.theory import two_block_solution
    >>> m = two_block_solution(4.0, k_in=7.0, k_out=1.0)                 # polarised: m = tanh(J (k_in - k_out) m / T)
    >>> round(m, 10), round(math.tanh(6.0 * m / 4.0), 10)
    (0.8585596366, 0.8585596366)
    >>> two_block_solution(6.5)                                          # T > J (k_in - k_out): no polarised state
    0.0
    >>> ms = two_block_solution(4.0, kind="symmetric")                   # consensus: k_in + k_out
    >>> round(ms, 10), round(math.tanh(8.0 * ms / 4.0), 10)
    (0.9575040241, 0.9575040241)
    >>> T_bethe = 1 / math.atanh(1 / 6)                                  # Bethe threshold: 6 tanh(J/T) = 1
    >>> [two_block_solution(T, method="bethe") > 0 for T in (0.99 * T_bethe, 1.01 * T_bethe)]
    [True, False]
    """
    T, k_in, k_out, J = _check_block_params(T, k_in, k_out, J)
    v.choice("kind", kind, {"antisymmetric", "symmetric"})
    v.choice("method", method, {"mf", "bethe"})
    k = k_in - k_out if kind == "antisymmetric" else k_in + k_out
    beta = 1.0 / T
    if method == "mf":
        return _cw_root(beta * J * k)
    h = _bethe_root(k, beta, J)
    return math.tanh(beta * h)


def two_block_fixed_point(T, *, k_in=7.0, k_out=1.0, J=1.0, m0=(1.0, -1.0), damping=0.5,
                          tol=1e-13, max_iter=200000):
    """Solve the two-block mean-field equations by direct (damped) iteration.

    Iterates m <- (1 - damping) m + damping tanh(βJ K m), K = [[k_in, k_out],
    [k_out, k_in]], from ``m0``.  An independent check of
    :func:`two_block_solution` (which reduces the problem to one equation).

    Parameters
    ----------
    T, k_in, k_out, J : see :func:`two_block_solution`
    m0 : pair of float in [-1, 1]
        Starting (m_A, m_B).
    damping : float in (0, 1]
    tol : float > 0
        Stop when the update is smaller than ``tol`` (max norm).
    max_iter : int >= 1

    Returns
    -------
    ndarray, shape (2,)
        (m_A, m_B) at the fixed point reached.

    Examples
    --------
    >>> from utacbook.theory import two_block_fixed_point, two_block_solution
    >>> two_block_fixed_point(4.0, k_in=7.0, k_out=1.0).round(10).tolist()   # from (1, -1): polarised
    [0.8585596366, -0.8585596366]
    >>> round(two_block_solution(4.0, k_in=7.0, k_out=1.0), 10)
    0.8585596366
    >>> two_block_fixed_point(4.0, m0=(0.5, 0.5)).round(10).tolist()     # from consensus: symmetric
    [0.9575040241, 0.9575040241]
    >>> round(two_block_solution(4.0, kind="symmetric"), 10)
    0.9575040241
    """
    T, k_in, k_out, J = _check_block_params(T, k_in, k_out, J)
    m = v.real_array("m0", m0, ndim=1)
    if m.shape != (2,) or np.any(np.abs(m) > 1):
        raise ValueError(f"m0 must be two numbers in [-1, 1], got {m0!r}")
    damping = v.real("damping", damping, positive=True, high=1.0)
    tol = v.real("tol", tol, positive=True)
    max_iter = v.integer("max_iter", max_iter, low=1)
    K = np.array([[k_in, k_out], [k_out, k_in]])
    a = J / T
    for _ in range(max_iter):
        new = (1 - damping) * m + damping * np.tanh(a * K @ m)
        if np.max(np.abs(new - m)) < tol:
            return new
        m = new
    return m


def two_block_hessian(m_a, m_b, T, *, k_in=7.0, k_out=1.0, J=1.0):
    """Hessian of the two-block mean-field free energy per spin.

    .. math:: f(m_A, m_B) = -\\frac{J}{4}\\left[k_{in}(m_A^2 + m_B^2)
              + 2k_{out} m_A m_B\\right] - \\frac{T}{2}[s(m_A) + s(m_B)]

    with s(m) the entropy per Ising spin at magnetisation m.  Its stationary
    points are the mean-field equations; the Hessian is
    (1/2)[T diag(1/(1 - m_A²), 1/(1 - m_B²)) - J K].

    Returns
    -------
    ndarray, shape (2, 2)

    Examples
    --------
    >>> import numpy as np
    >>> from utacbook.theory import two_block_hessian
    >>> H = two_block_hessian(0.0, 0.0, 1.0, k_in=7.0, k_out=1.0)     # disordered state, T = 1
    >>> H
    array([[-3. , -0.5],
           [-0.5, -3. ]])
    >>> np.linalg.eigvalsh(H).round(10).tolist()   # (T - J (k_in ± k_out)) / 2: a maximum below both thresholds
    [-3.5, -2.5]
    """
    T, k_in, k_out, J = _check_block_params(T, k_in, k_out, J)
    ma = v.real("m_a", m_a, low=-1.0, high=1.0)
    mb = v.real("m_b", m_b, low=-1.0, high=1.0)
    if abs(ma) == 1.0 or abs(mb) == 1.0:
        raise ValueError("m_a and m_b must lie strictly inside (-1, 1)")
    K = np.array([[k_in, k_out], [k_out, k_in]])
    return 0.5 * (T * np.diag([1 / (1 - ma * ma), 1 / (1 - mb * mb)]) - J * K)


def polarised_stability(T, *, k_in=7.0, k_out=1.0, J=1.0, method="mf"):
    """Is the polarised state m_A = -m_B a local free-energy minimum?

    At the antisymmetric solution the Hessian has eigenvectors (1, -1) and
    (1, 1).  Along (1, -1) the state is always stable when it exists (it is
    the ordered Curie-Weiss solution with coupling k_in - k_out).  Along
    (1, 1), the direction that turns polarisation into consensus, the
    eigenvalue is (1/2)[T/(1 - m²) - J(k_in + k_out)], so

    .. math:: \\text{polarised state metastable} \\iff
              \\beta J (k_{in} + k_{out}) (1 - m^{*2}) < 1 .

    With ``method="bethe"`` the same question is asked of the cavity map
    (h_A, h_B) -> K·U(h): stable iff (k_in + k_out) U'(h*) < 1.

    For k_out > 0 the polarised state, when metastable, always has a higher
    free energy than the consensus (symmetric) state: it can only be
    long-lived, never the equilibrium.

    Returns
    -------
    dict
        ``m`` (block magnetisation), ``exists``, ``stable`` (bool),
        ``eig_polar``, ``eig_consensus`` (Hessian eigenvalues for "mf";
        for "bethe" the cavity-map multipliers minus 1, negative = stable),
        ``df`` (mf: free energy per spin of the polarised minus the
        consensus solution; nan for bethe).

    Examples
    --------
    >>> import numpy as np
    >>> from utacbook.theory import polarised_stability, two_block_hessian
    >>> r = polarised_stability(4.0, k_in=7.0, k_out=1.0)
    >>> r["exists"], r["stable"], r["df"] > 0                 # metastable, above the consensus state
    (True, True, True)
    >>> m = r["m"]                                            # the eigenvalues are the Hessian's at (m, -m)
    >>> np.linalg.eigvalsh(two_block_hessian(m, -m, 4.0)).round(10).tolist()
    [3.6081686528, 4.6081686528]
    >>> round(r["eig_consensus"], 10), round(r["eig_polar"], 10)
    (3.6081686528, 4.6081686528)
    >>> # metastable iff J (k_in + k_out) (1 - m^2) / T < 1
    >>> [(polarised_stability(T)["stable"], 8.0 * (1 - polarised_stability(T)["m"] ** 2) / T < 1) for T in (5.0, 5.5)]
    [(True, True), (False, False)]
    """
    T, k_in, k_out, J = _check_block_params(T, k_in, k_out, J)
    v.choice("method", method, {"mf", "bethe"})
    beta = 1.0 / T
    if method == "mf":
        m = _cw_root(beta * J * (k_in - k_out))
        exists = m > 0
        with np.errstate(over="ignore"):  # 1 - m² = sech²(βJ(k_in - k_out)m), stable at low T
            d = float(T * np.cosh(beta * J * (k_in - k_out) * m) ** 2)
        eig_p = 0.5 * (d - J * (k_in - k_out))
        eig_c = 0.5 * (d - J * (k_in + k_out))
        ms = _cw_root(beta * J * (k_in + k_out))

        def f(ma, mb):
            def s(x):
                out = 0.0
                for p in ((1 + x) / 2, (1 - x) / 2):
                    if p > 0:
                        out -= p * math.log(p)
                return out
            e = -(J / 4) * (k_in * (ma * ma + mb * mb) + 2 * k_out * ma * mb)
            return e - (T / 2) * (s(ma) + s(mb))

        df = f(m, -m) - f(ms, ms)
        return {"m": m, "exists": bool(exists), "stable": bool(exists and eig_c > 0 and eig_p > 0),
                "eig_polar": eig_p, "eig_consensus": eig_c, "df": df}
    h = _bethe_root(k_in - k_out, beta, J)
    exists = h > 0
    du = _bethe_du(h, beta, J)
    eig_p = (k_in - k_out) * du - 1.0
    eig_c = (k_in + k_out) * du - 1.0
    return {"m": math.tanh(beta * h), "exists": bool(exists),
            "stable": bool(exists and eig_c < 0 and eig_p < 0),
            "eig_polar": eig_p, "eig_consensus": eig_c, "df": float("nan")}
