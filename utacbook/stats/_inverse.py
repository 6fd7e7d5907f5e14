r"""The inverse Ising problem: couplings and fields from samples by pseudolikelihood.

Given samples :math:`s^m \in \{-1, +1\}^N`, m = 1..M, of the Ising model

.. math:: P(s) \propto \exp\Big(\sum_{i<j} J_{ij} s_i s_j + \sum_i h_i s_i\Big)

(couplings and fields **in units of the temperature**: a simulation with energy couplings
:math:`J^{\rm E}_{ij}` and fields :math:`h^{\rm E}_i` at temperature T has :math:`J_{ij} = J^{\rm E}_{ij}/T`,
:math:`h_i = h^{\rm E}_i/T`), :func:`fit_ising_plm` maximises, node by node, the conditional log-likelihood
of spin i given the others (Besag 1975; Aurell & Ekeberg 2012, PRL 108, 090201),

.. math:: \ell_i(h_i, J_{i\cdot}) = \sum_m w_m \log \sigma\Big(2 s_i^m \big(h_i + \sum_{j \ne i} J_{ij} s_j^m\big)\Big)
          - \lambda \sum_{j \ne i} J_{ij}^2,
          \qquad \sigma(x) = \frac{1}{1 + e^{-x}},

with sample weights :math:`w_m` (default 1/M) and an L2 penalty λ = ``l2`` on the couplings (the fields are not
penalised).  The N node-wise problems are independent; they are solved together, vectorised over nodes:
small problems (N³ M below ``NEWTON_MAX_WORK``, M counting distinct samples: repeated samples are merged,
exactly) by damped Newton on all nodes at once (batched N x N Hessians, about 7 iterations), larger ones as one
L-BFGS-B problem in the N² parameters whose objective is the sum :math:`-\sum_i \ell_i`, preconditioned by the
Cholesky factor of the spins' second moments, so that every evaluation is two matrix products of size
M x N x N (BLAS) instead of N small ones.  The optimum is that of each node's problem.
The two estimates :math:`J_{ij}` (from node i) and :math:`J_{ji}` (from node j) are then averaged (Aurell &
Ekeberg's symmetric estimate).  The result is deterministic: no random numbers are used except by the bootstrap
and by :func:`select_l2`'s split, both seeded.

Errors, either

* ``errors="asymptotic"`` (default): the sandwich (influence-function) covariance of the M-estimator, with the
  Hessian of each node's objective and the empirical covariance of the per-sample scores.  Node i's conditional
  likelihood is a true likelihood of :math:`s_i` given the rest, so for one node this is the inverse Hessian; the
  sandwich form also carries the correlation between the two node-wise estimates that the symmetric average
  combines, and stays valid with ``l2 > 0`` (it is then the error of the penalised estimate around its own,
  shrunken, limit, not around the truth).  Assumes **independent samples** and M large compared with N.
* ``bootstrap=n``: the standard deviation of n refits on samples drawn with replacement (seeded).  Also assumes
  independent samples.

Monte Carlo time series are not independent: thin them (``thin=k`` keeps every k-th sample) by at least about
:math:`2\tau_{\rm int}` sweeps (:func:`utacbook.stats.integrated_autocorrelation_time` of the slowest observable,
e.g. the magnetisation), or the errors are too small by about :math:`\sqrt{2\tau_{\rm int}/k}`.

:func:`select_l2` chooses λ by the pseudolikelihood of held-out samples (one seeded split, or k folds).
"""

from __future__ import annotations

import math
import numbers
import warnings
from dataclasses import dataclass, field

import numpy as np

from utacbook import _validate as v
from utacbook._memory import check_memory

__all__ = ["InverseIsingResult", "L2Selection", "fit_ising_plm", "pseudo_loglikelihood", "select_l2"]

_ERRORS = ("asymptotic", None)
#: a fit in which some sample's conditional log-odds 2 s_i f_i exceeds this (conditional probability
#: 1 - 3e-7, local field 7.5 in units of T) is taken as separation (the MLE at infinity), not as a
#: converged estimate: the gradient of a diverging coupling falls below the default tol near log-odds 19
_Z_SEPARATION = 15.0


# --------------------------------------------------------------------------- input checks


def _spin_samples(samples, name="samples"):
    """``samples`` as a float64 (M, N) array of +-1, or raise naming ``name``."""
    if isinstance(samples, np.ndarray) and samples.dtype == bool:
        raise TypeError(f"{name} must hold spins -1 and +1, got a boolean array (use 2 * x - 1 for 0/1 data)")
    try:
        arr = np.asarray(samples, dtype=float)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"{name} must be an array of spins -1 and +1 ({exc})") from None
    if arr.ndim != 2:
        raise ValueError(f"{name} must be 2-dimensional, shape (M samples, N spins), got shape {arr.shape}")
    if np.isnan(arr).any():
        raise ValueError(f"{name} contains NaN; spins must be -1 or +1")
    bad = (arr != 1) & (arr != -1)
    if bad.any():
        m, i = np.argwhere(bad)[0]
        hint = " (0/1 data: pass 2 * x - 1)" if np.all((arr == 0) | (arr == 1)) else ""
        raise ValueError(f"{name} must contain only -1 and +1, got {arr[m, i]!r} at sample {m}, spin {i}{hint}")
    return arr


def _check_columns(S, name="samples"):
    M, N = S.shape
    if M < 2:
        raise ValueError(f"{name} must hold at least 2 samples, got M = {M}")
    if N < 2:
        raise ValueError(f"{name} must hold at least 2 spins, got N = {N}")
    const = np.flatnonzero(np.all(S == S[:1], axis=0))
    if const.size:
        raise ValueError(
            f"{name}: spin(s) {const[:10].tolist()} take the same value in every sample; the maximum-likelihood "
            "field of a constant spin is infinite and its couplings are not identifiable (no L2 penalty on the "
            "couplings fixes the field). Drop those columns (or collect more samples)")


def _weights(weights, M, name="weights"):
    if weights is None:
        return np.full(M, 1.0 / M)
    w = v.real_array(name, weights, ndim=1)
    if w.shape[0] != M:
        raise ValueError(f"{name} must have one entry per sample ({M}), got {w.shape[0]}")
    if np.any(w < 0):
        raise ValueError(f"{name} must be >= 0")
    tot = w.sum()
    if not tot > 0:
        raise ValueError(f"{name} must have a positive sum")
    return w / tot


def _thin(thin):
    return v.integer("thin", thin, low=1)


def _coupling_inputs(J, h, N):
    J = v.real_array("J", J, ndim=2)
    if J.shape != (N, N):
        raise ValueError(f"J must have shape (N, N) = ({N}, {N}), got {J.shape}")
    if np.any(np.diag(J) != 0):
        raise ValueError("J must have a zero diagonal")
    h = v.real_array("h", h, ndim=1)
    if h.shape != (N,):
        raise ValueError(f"h must have shape (N,) = ({N},), got {h.shape}")
    return J, h


# --------------------------------------------------------------------------- the objective


def _log_sigmoid(z):
    """log σ(z), stable for any z."""
    return -np.logaddexp(0.0, -z)


def _expit_neg(z):
    """σ(-z) = 1 / (1 + exp(z)), stable."""
    from scipy.special import expit
    return expit(-z)


def _local_fields(P, S):
    """f[m, i] = P_ii + sum_{j != i} P_ij s_mj for the parameter matrix P (diagonal = fields)."""
    F = S @ P.T
    F += np.diag(P)[None, :] * (1.0 - S)
    return F


def _logsig_and_q(z):
    """log σ(z) and σ(-z), sharing one exponential."""
    e = np.exp(-np.abs(z))
    ls = np.minimum(z, 0.0) - np.log1p(e)
    q = np.where(z >= 0, e, 1.0)
    q /= 1.0 + e
    return ls, q


def _objective(x, S, w, l2, N, offdiag):
    """-sum_i l_i and its gradient, for the flattened parameter matrix x (row i = node i)."""
    P = x.reshape(N, N)
    z = 2.0 * S * _local_fields(P, S)
    Joff = P[offdiag]
    ls, q = _logsig_and_q(z)
    f = -float(w @ ls.sum(axis=1)) + l2 * float(Joff @ Joff)
    A = (2.0 * w)[:, None] * S * q                      # -d(objective)/d f[m, i]
    G = -(A.T @ S)
    G[np.diag_indices(N)] = -A.sum(axis=0)
    G[offdiag] += 2.0 * l2 * Joff
    return f, G.ravel()


def _per_sample_pl(S, J, h):
    """log P(s_i | s_-i) summed over i, one value per sample (repeated samples computed once)."""
    N = S.shape[1]
    if N <= 62 and S.shape[0] > 64:
        code = ((S > 0).astype(np.int64) << np.arange(N, dtype=np.int64)).sum(axis=1)
        _, first, inv = np.unique(code, return_index=True, return_inverse=True)
        if first.size < 0.8 * S.shape[0]:
            return _per_sample_pl(S[first], J, h)[inv.ravel()]
    z = 2.0 * S * (S @ J.T + h[None, :])
    return _log_sigmoid(z).sum(axis=1)


def _preconditioner(S, w):
    """R^-T for the Cholesky factor C = R^T R of the weighted second moments C = S^T diag(w) S (or None).

    Node i's Hessian is close to a multiple of C, so in the variables Φ = P R^T every node's problem is
    nearly isotropic and L-BFGS needs fewer iterations (30-40 % fewer on correlated samples).
    """
    from scipy.linalg import LinAlgError, cholesky, solve_triangular
    N = S.shape[1]
    C = (S * w[:, None]).T @ S
    try:
        R = cholesky(C, lower=False)
    except LinAlgError:                                 # singular second moments (e.g. two equal spins)
        return None
    if not np.all(np.isfinite(R)) or np.min(np.abs(np.diag(R))) < 1e-6:
        return None
    return solve_triangular(R, np.eye(N), lower=False).T


#: node-wise Newton (N³ M operations per iteration, about 7 iterations) when N³ M (M = distinct samples) is
#: below this, joint L-BFGS-B (N² M per iteration, 20-100 iterations) above
NEWTON_MAX_WORK = 2e7


def _minimise(S, w, l2, x0, max_iter, tol):
    from scipy.optimize import minimize
    N = S.shape[1]
    offdiag = ~np.eye(N, dtype=bool)
    newton = N ** 3 * S.shape[0] <= NEWTON_MAX_WORK
    RinvT = None if newton else _preconditioner(S, w)
    opts = {"maxiter": max_iter, "maxfun": 2 * max_iter, "gtol": tol, "ftol": 1e-15, "maxcor": 20}
    if newton:
        P, nit, msg = _newton(S, w, l2, x0, max_iter, tol)
        success = msg == "gradient below tol"
    else:
        if RinvT is None:
            res = minimize(_objective, x0, args=(S, w, l2, N, offdiag), jac=True, method="L-BFGS-B",
                           options=opts)
            P = res.x.reshape(N, N).copy()
        else:
            def fun(phi):
                f, g = _objective((phi.reshape(N, N) @ RinvT).ravel(), S, w, l2, N, offdiag)
                return f, (g.reshape(N, N) @ RinvT.T).ravel()
            R_T = np.linalg.inv(RinvT)
            res = minimize(fun, (x0.reshape(N, N) @ R_T).ravel(), jac=True, method="L-BFGS-B", options=opts)
            P = res.x.reshape(N, N) @ RinvT
        success, nit, msg = bool(res.success), int(res.nit), str(res.message)
    fval, g = _objective(P.ravel(), S, w, l2, N, offdiag)
    g = np.abs(g.reshape(N, N))
    g[offdiag] /= 1.0 + 2.0 * l2                        # a coupling's curvature grows with the penalty
    gmax = float(np.max(g))
    converged = bool(gmax <= tol or (success and gmax <= 100 * tol))
    zmax = float(np.max(2.0 * S * _local_fields(P, S)))
    if zmax > _Z_SEPARATION:
        converged = False
        msg = (f"separation: some spin is predicted with certainty by the others (conditional probability "
               f"1 - {math.exp(-zmax):.1g}), its parameters diverge; " + msg)
    return P, float(fval), int(nit), gmax, converged, msg


def _node_objectives(P, S, w, l2, offdiag):
    """Each node's -l_i (vector of N), the local-field arguments z, and σ(-z)."""
    z = 2.0 * S * _local_fields(P, S)
    ls, q = _logsig_and_q(z)
    Poff = np.where(offdiag, P, 0.0)
    return -(w @ ls) + l2 * np.sum(Poff ** 2, axis=1), q


def _node_hessians(S, w, q, l2, chunk_bytes=32 * 2**20):
    """Hessians of the N node problems, shape (N, N, N); node i's regressors are s with s_i -> 1."""
    M, N = S.shape
    wd = w[:, None] * 4.0 * q * (1.0 - q)                 # (M, N): weight x curvature of each node
    H = np.zeros((N * N, N))
    c = max(1, min(M, chunk_bytes // (8 * N * N)))
    for start in range(0, M, c):
        sl = slice(start, min(M, start + c))
        H += (wd[sl][:, :, None] * S[sl][:, None, :]).reshape(-1, N * N).T @ S[sl]
    H = H.reshape(N, N, N)                                # [i, j, k] = sum_m wd_mi s_mj s_mk
    v_ = wd.T @ S                                         # [i, k] = sum_m wd_mi s_mk
    idx = np.arange(N)
    H[idx, idx, :] = v_
    H[idx, :, idx] = v_
    H[idx, idx, idx] = wd.sum(axis=0)
    H[:, idx, idx] += 2.0 * l2
    H[idx, idx, idx] -= 2.0 * l2                          # the fields are not penalised
    return H


def _newton(S, w, l2, x0, max_iter, tol):
    """All node problems by damped Newton at once (for small N: N³ M work per iteration)."""
    M, N = S.shape
    offdiag = ~np.eye(N, dtype=bool)
    P = x0.reshape(N, N).copy()
    Lnode, q = _node_objectives(P, S, w, l2, offdiag)
    nit, msg = 0, "maximum number of iterations reached"
    while nit < max_iter:
        nit += 1
        A = (2.0 * w)[:, None] * S * q
        G = -(A.T @ S)
        G[np.diag_indices(N)] = -A.sum(axis=0)
        G[offdiag] += 2.0 * l2 * P[offdiag]
        gs = np.abs(G)
        gs[offdiag] /= 1.0 + 2.0 * l2
        if gs.max() <= tol:
            msg = "gradient below tol"
            break
        H = _node_hessians(S, w, q, l2)
        # a tiny ridge keeps flat directions (e.g. two equal spins) from producing huge steps
        diag = np.einsum("ijj->ij", H)
        diag += 1e-10 * np.max(diag, axis=1, keepdims=True) + 1e-300
        try:
            step = np.linalg.solve(H, G[:, :, None])[:, :, 0]
        except np.linalg.LinAlgError:                     # singular Hessian: fall back to gradient steps
            step = G / np.maximum(1.0, np.abs(np.einsum("iii->i", H)))[:, None]
        t = np.ones(N)
        for _ in range(40):                               # per-node backtracking
            Pn = P - t[:, None] * step
            Ln, qn = _node_objectives(Pn, S, w, l2, offdiag)
            bad = Ln > Lnode + 1e-13 * np.abs(Lnode)
            if not bad.any():
                break
            t[bad] *= 0.5
        else:
            msg = "line search failed"
            break
        P, Lnode, q = Pn, Ln, qn
        if np.max(np.abs(t[:, None] * step)) < 1e-13 * (1.0 + np.max(np.abs(P))):
            msg = "step below rounding"
            break
    return P, nit, msg


def _start(S, w):
    """Independent-spin start: h_i = atanh(<s_i>), J = 0."""
    N = S.shape[1]
    m = np.clip(w @ S, -1 + 1e-6, 1 - 1e-6)
    P = np.zeros((N, N))
    P[np.diag_indices(N)] = np.arctanh(m)
    return P.ravel()


def _split(P, symmetrize):
    N = P.shape[0]
    h = np.diag(P).copy()
    Ja = P.copy()
    Ja[np.diag_indices(N)] = 0.0
    J = 0.5 * (Ja + Ja.T) if symmetrize else Ja.copy()
    return J, h, Ja


def _compress(S, w):
    """Merge repeated samples: unique rows, their total weights W and sums of squared weights W2.

    Exact for the objective (a weighted sum over samples) and, through W2, for the sandwich errors.  Only
    tried for N <= 62 (rows packed into one integer each), where repeats are common.
    """
    M, N = S.shape
    if N > 62:
        return S, w, w ** 2
    code = ((S > 0).astype(np.int64) << np.arange(N, dtype=np.int64)).sum(axis=1)
    uniq, first, inv = np.unique(code, return_index=True, return_inverse=True)
    if uniq.size > 0.8 * M:
        return S, w, w ** 2
    W = np.bincount(inv, weights=w, minlength=uniq.size)
    W2 = np.bincount(inv, weights=w ** 2, minlength=uniq.size)
    return np.ascontiguousarray(S[first]), W, W2


def _memory_fit(M, N, what):
    check_memory(8 * (6 * M * N + 50 * N * N), what=what)


def _asymptotic_errors(S, w, w2, P, l2, symmetrize, chunk_bytes=64 * 2**20):
    """Sandwich (influence-function) standard errors of J (sym. or not) and h.

    ``w`` are the (merged) sample weights, ``w2`` the sums of the squared weights of the samples merged
    into each row (``w ** 2`` without merging).
    """
    M, N = S.shape
    check_memory(8 * (N ** 3 + 4 * M * N + 2 * N * N) + chunk_bytes,
                 what=f"fit_ising_plm(errors='asymptotic', N={N}, M={M})")
    z = 2.0 * S * _local_fields(P, S)
    q = _expit_neg(z)
    a = 2.0 * S * q                                       # per-sample score of node i = a[m, i] * x_i(m)
    d = 4.0 * q * (1.0 - q)                               # per-sample curvature of node i
    Hinv = np.empty((N, N, N))
    ubar = np.empty((N, N))                               # weighted mean score of node i
    X = np.empty_like(S)
    pen = np.full(N, 2.0 * l2)
    for i in range(N):
        X[...] = S
        X[:, i] = 1.0
        H = (X * (w * d[:, i])[:, None]).T @ X
        pen_i = pen.copy()
        pen_i[i] = 0.0
        H[np.diag_indices(N)] += pen_i
        Hinv[i] = np.linalg.inv(H)
        ubar[i] = (w * a[:, i]) @ X
    Hu = np.einsum("ijk,ik->ij", Hinv, ubar)              # H_i^-1 ubar_i
    Hcol = Hinv[np.arange(N), :, np.arange(N)]            # [i, j] = (H_i^-1)[j, i]
    Hflat = Hinv.reshape(N * N, N).astype(np.float32)     # single precision: the errors need 3 digits,
    S32 = S.astype(np.float32)                            # and this product (M N³) dominates the cost
    var_a = np.zeros((N, N))
    var_s = np.zeros((N, N))
    c = max(1, min(M, chunk_bytes // (3 * 8 * N * N)))
    for start in range(0, M, c):
        sl = slice(start, min(M, start + c))
        Sc = S[sl]
        T = (S32[sl] @ Hflat.T).astype(float).reshape(-1, N, N)   # [m, i, j] = (H_i^-1 s_m)_j
        T += (1.0 - Sc)[:, :, None] * Hcol[None, :, :]    # s_i -> 1 in node i's regressors
        T *= a[sl][:, :, None]
        T -= Hu[None]                                     # / w_m: influence of sample m on node i's parameters
        r2 = w2[sl][:, None, None]
        var_a += np.einsum("mij,mij->ij", T, T * r2)
        if symmetrize:
            T += T.transpose(0, 2, 1)
            var_s += 0.25 * np.einsum("mij,mij->ij", T, T * r2)
    h_err = np.sqrt(np.diag(var_a)).copy()
    J_err = np.sqrt(var_s if symmetrize else var_a)
    J_err[np.diag_indices(N)] = 0.0
    return J_err, h_err


# --------------------------------------------------------------------------- results


def _fmt(x, digits=4):
    return "nan" if x is None or not np.isfinite(x) else f"{x:.{digits}g}"


@dataclass(repr=False)
class InverseIsingResult:
    r"""What :func:`fit_ising_plm` returns.

    Attributes
    ----------
    J : ndarray, shape (N, N)
        Couplings in units of the temperature (:math:`\beta J_{ij}`), zero diagonal; symmetric when
        ``symmetrize`` (the average of the two node-wise estimates).
    h : ndarray, shape (N,)
        Fields in units of the temperature (:math:`\beta h_i`).
    J_err, h_err : ndarray or None
        Standard errors (see ``error_method``); None when no errors were asked for.
    J_asym : ndarray, shape (N, N)
        The node-wise estimates before symmetrisation (row i from node i's problem).
    error_method : str or None
        ``"asymptotic"`` (sandwich covariance), ``"bootstrap"`` or None.
    n_bootstrap : int
        Bootstrap refits (0 unless ``error_method == "bootstrap"``).
    pseudo_loglik : float
        Log-pseudolikelihood per sample of the training samples at the returned (J, h),
        :math:`\sum_m w_m \sum_i \log P(s_i^m \mid s_{-i}^m)` (nats; ≤ 0).
    objective : float
        The maximised penalised objective :math:`\sum_i \ell_i` (at ``J_asym``).
    N, M : int
        Spins and samples used (after thinning).
    l2 : float
    symmetrize : bool
    thin : int
    converged : bool
        The largest ``|gradient|`` of the joint problem reached ``tol``.
    n_iter : int
        L-BFGS-B iterations.
    grad_max : float
        Largest ``|gradient|`` at the end.
    message : str
        The optimiser's message.
    seed : object
        The bootstrap's seed (None without bootstrap).

    Examples
    --------
    Three independent spins with fields 0.5, 0 and -0.5 (units of T).  The deviations of the six estimates
    from the truth in units of their errors (z-scores; with this seed one coupling is a 3σ fluctuation,
    which the bootstrap's errors, ``bootstrap=300``, confirm):

    >>> import numpy as np
    >>> from utacbook.stats import fit_ising_plm
    >>> rng = np.random.default_rng(0)
    >>> s = np.where(rng.random((5000, 3)) < 1 / (1 + np.exp(-2 * np.array([0.5, 0.0, -0.5]))), 1, -1)
    >>> r = fit_ising_plm(s)
    >>> i, j = r.pairs()
    >>> np.round(r.J[i, j] / r.J_err[i, j], 1), np.round((r.h - [0.5, 0, -0.5]) / r.h_err, 1)
    (array([-3.3, -0.5, -1.9]), array([-2.6,  1.1,  0.8]))

    One row per pair, or an xarray Dataset:

    >>> r.to_dataframe().shape, dict(r.to_xarray().sizes)
    ((3, 4), {'i': 3, 'j': 3})
    >>> pl, sem = r.pseudo_loglik_on(s[:1000])      # held-out scoring (here: on training samples)
    >>> bool(pl < 0)
    True
    """

    J: np.ndarray
    h: np.ndarray
    J_asym: np.ndarray
    N: int
    M: int
    l2: float
    symmetrize: bool
    pseudo_loglik: float
    objective: float
    converged: bool
    n_iter: int
    grad_max: float
    message: str = ""
    thin: int = 1
    J_err: np.ndarray | None = None
    h_err: np.ndarray | None = None
    error_method: str | None = None
    n_bootstrap: int = 0
    seed: object = None
    _extra: dict = field(default_factory=dict, repr=False, compare=False)

    def __repr__(self):
        iu = np.triu_indices(self.N, 1)
        Jf = float(np.sqrt(np.sum(self.J[iu] ** 2)))
        state = "converged" if self.converged else "NOT converged"
        err = self.error_method or "no errors"
        if self.error_method == "bootstrap":
            err = f"bootstrap n={self.n_bootstrap}"
        return (f"InverseIsingResult(N={self.N}, M={self.M}, l2={_fmt(self.l2, 3)}, "
                f"objective={_fmt(self.objective, 6)}, |J|_F={_fmt(Jf)}, max|J|={_fmt(np.abs(self.J).max())}, "
                f"|h|_2={_fmt(float(np.linalg.norm(self.h)))}, {err}, {state})")

    def _repr_pretty_(self, p, cycle):  # IPython / Jupyter
        p.text(repr(self))

    def pseudo_loglik_on(self, samples, *, weights=None, thin=1):
        """Held-out log-pseudolikelihood per sample of ``samples`` at this (J, h).

        Returns ``(mean, sem)``: the (weighted) mean over samples of
        :math:`\\sum_i \\log P(s_i \\mid s_{-i})` (nats) and its standard error over samples
        (independent samples assumed).  See :func:`pseudo_loglikelihood`.
        """
        return pseudo_loglikelihood(samples, self.J, self.h, weights=weights, thin=thin)

    def pairs(self):
        """Indices (i, j), i < j, of the upper triangle (the order of ``to_dataframe``)."""
        return np.triu_indices(self.N, 1)

    def to_xarray(self):
        """The estimates as an :class:`xarray.Dataset`.

        Variables ``J`` (dims ``i``, ``j``), ``h`` (``i``), ``J_err`` and ``h_err`` (when computed),
        ``J_asym`` (``i``, ``j``); attrs ``N``, ``M``, ``l2``, ``symmetrize``, ``thin``, ``pseudo_loglik``,
        ``objective``, ``converged``, ``error_method``, ``n_bootstrap``, ``units``.
        """
        import xarray as xr
        u = "units of the temperature (beta J, beta h)"
        data = {"J": (("i", "j"), self.J.copy(), {"long_name": "coupling J_ij", "units": u}),
                "h": ("i", self.h.copy(), {"long_name": "field h_i", "units": u}),
                "J_asym": (("i", "j"), self.J_asym.copy(), {"long_name": "node-wise coupling estimate (row i)"})}
        if self.J_err is not None:
            data["J_err"] = (("i", "j"), self.J_err.copy(), {"long_name": "standard error of J_ij"})
            data["h_err"] = ("i", self.h_err.copy(), {"long_name": "standard error of h_i"})
        attrs = {"result_type": "InverseIsingResult", "N": int(self.N), "M": int(self.M), "l2": float(self.l2),
                 "symmetrize": int(self.symmetrize), "thin": int(self.thin),
                 "pseudo_loglik": float(self.pseudo_loglik), "objective": float(self.objective),
                 "converged": int(self.converged), "error_method": str(self.error_method),
                 "n_bootstrap": int(self.n_bootstrap), "seed": repr(self.seed), "units": u}
        return xr.Dataset(data, coords={"i": np.arange(self.N), "j": np.arange(self.N)}, attrs=attrs)

    to_dataset = to_xarray

    def to_dataframe(self):
        """One row per pair i < j: ``i``, ``j``, ``J`` and ``J_err`` (nan without errors)."""
        import pandas as pd
        i, j = self.pairs()
        err = self.J_err[i, j] if self.J_err is not None else np.full(i.size, np.nan)
        return pd.DataFrame({"i": i, "j": j, "J": self.J[i, j], "J_err": err})


@dataclass(repr=False)
class L2Selection:
    """What :func:`select_l2` returns.

    Attributes
    ----------
    l2_values : ndarray
        The penalties tried (as given, sorted ascending).
    scores, scores_err : ndarray
        Held-out log-pseudolikelihood per sample (nats; summed over spins) and its standard error over the
        held-out samples (with folds: over all held-out samples of all folds).
    best_l2 : float
        The penalty with the highest score.
    best_index : int
    fit : InverseIsingResult or None
        The fit on all samples at ``best_l2`` (``refit=True``).
    n_folds : int or None
    validation_fraction : float
    seed : object
    converged : ndarray of bool
        Whether every training fit at each penalty converged.

    Examples
    --------
    From :func:`select_l2` on 200 samples of two coupled spins:

    >>> import numpy as np
    >>> from utacbook.stats import select_l2
    >>> rng = np.random.default_rng(2)
    >>> a = rng.choice([-1, 1], size=200); b = np.where(rng.random(200) < 0.8, a, -a)
    >>> sel = select_l2(np.c_[a, b], [0.0, 0.01, 1.0], seed=0)
    >>> sel.to_dataframe().columns.tolist(), sel.fit.l2 == sel.best_l2
    (['l2', 'score', 'score_err', 'converged'], True)
    >>> bool(sel.scores[2] < sel.scores.max())        # a penalty of 1 kills the real coupling
    True
    """

    l2_values: np.ndarray
    scores: np.ndarray
    scores_err: np.ndarray
    best_l2: float
    best_index: int
    fit: InverseIsingResult | None
    n_folds: int | None
    validation_fraction: float
    seed: object
    converged: np.ndarray

    def __repr__(self):
        how = f"{self.n_folds} folds" if self.n_folds else f"validation_fraction={self.validation_fraction:g}"
        return (f"L2Selection(best_l2={_fmt(self.best_l2, 3)}, {len(self.l2_values)} values "
                f"[{_fmt(self.l2_values.min(), 3)}..{_fmt(self.l2_values.max(), 3)}], "
                f"best score={_fmt(self.scores[self.best_index], 6)} ± {_fmt(self.scores_err[self.best_index], 2)}, "
                f"{how}, seed={self.seed!r})")

    def _repr_pretty_(self, p, cycle):  # IPython / Jupyter
        p.text(repr(self))

    def to_dataframe(self):
        """One row per penalty: ``l2``, ``score``, ``score_err``, ``converged``."""
        import pandas as pd
        return pd.DataFrame({"l2": self.l2_values, "score": self.scores, "score_err": self.scores_err,
                             "converged": self.converged})


# --------------------------------------------------------------------------- public functions


def pseudo_loglikelihood(samples, J, h, *, weights=None, thin=1):
    r"""Log-pseudolikelihood per sample of ``samples`` under the Ising model (J, h).

    .. math:: {\rm PL} = \sum_m w_m \sum_i \log \sigma\Big(2 s_i^m \big(h_i + \sum_j J_{ij} s_j^m\big)\Big)

    (nats per sample; ≤ 0; weights default to 1/M).  Evaluated on samples not used in the fit it scores the fit
    (:func:`select_l2`).

    Parameters
    ----------
    samples : array_like, shape (M, N)
        Spins -1/+1, one sample per row.
    J : array_like, shape (N, N)
        Couplings in units of the temperature, zero diagonal (any, e.g. ``InverseIsingResult.J``).
    h : array_like, shape (N,)
        Fields in units of the temperature.
    weights : array_like, shape (M,), optional
        Non-negative sample weights (normalised to sum 1).
    thin : int >= 1, default 1
        Use every ``thin``-th sample.

    Returns
    -------
    tuple of float
        ``(pl, sem)``: the weighted mean and its standard error over samples,
        :math:`\sqrt{\sum_m w_m^2 (x_m - {\rm PL})^2}` (independent samples assumed).

    Examples
    --------
    With no couplings and no fields every conditional probability is 1/2:

    >>> import numpy as np
    >>> from utacbook.stats import pseudo_loglikelihood
    >>> s = np.array([[1, -1, 1], [-1, -1, 1]])
    >>> pl, sem = pseudo_loglikelihood(s, np.zeros((3, 3)), np.zeros(3))
    >>> bool(np.isclose(pl, 3 * np.log(0.5))), sem
    (True, 0.0)
    """
    S = _spin_samples(samples)
    thin = _thin(thin)
    M0 = S.shape[0]
    if S.shape[0] < 1:
        raise ValueError("samples must hold at least 1 sample")
    w = _weights(weights, M0)[::thin]
    S = S[::thin]
    w = w / w.sum()
    J, h = _coupling_inputs(J, h, S.shape[1])
    check_memory(8 * 3 * S.size, what=f"pseudo_loglikelihood(M={S.shape[0]}, N={S.shape[1]})")
    x = _per_sample_pl(S, J, h)
    pl = float(w @ x)
    return pl, float(np.sqrt(np.sum(w ** 2 * (x - pl) ** 2)))


def _fit(S, w, l2, symmetrize, max_iter, tol, x0=None):
    x0 = _start(S, w) if x0 is None else x0
    P, fun, nit, gmax, conv, msg = _minimise(S, w, l2, x0, max_iter, tol)
    return P, fun, nit, gmax, conv, msg


def fit_ising_plm(samples, *, l2=0.0, symmetrize=True, weights=None, thin=1, errors="asymptotic",
                  bootstrap=None, seed=None, max_iter=5000, tol=1e-8):
    r"""Couplings and fields of an Ising model from samples, by pseudolikelihood maximisation.

    Maximises each spin's conditional log-likelihood given the others (module docstring),

    .. math:: \ell_i = \sum_m w_m \log \sigma\Big(2 s_i^m \big(h_i + \sum_{j \ne i} J_{ij} s_j^m\big)\Big)
              - \lambda \sum_{j \ne i} J_{ij}^2 ,

    for :math:`P(s) \propto \exp(\sum_{i<j} J_{ij} s_i s_j + \sum_i h_i s_i)`, then averages the two estimates
    of each coupling.  The estimates are consistent (Besag 1975) and, for a correctly specified model, close
    to maximum likelihood in efficiency (Aurell & Ekeberg 2012).

    Parameters
    ----------
    samples : array_like, shape (M, N)
        Spins -1/+1 (one sample per row, e.g. the configurations of a Monte Carlo run, ``int8`` is fine).
        M >= 2 (after thinning), N >= 2; no spin may be constant over the samples (its field's MLE is
        infinite: drop it).
    l2 : float >= 0, default 0
        L2 penalty λ on the couplings, per sample (the objective is an average over samples, so λ of
        order 1/M shrinks noticeably); the fields are not penalised.  Choose it with :func:`select_l2`.
    symmetrize : bool, default True
        Return :math:`(J_{ij} + J_{ji})/2`; otherwise the node-wise estimates (row i from spin i).
    weights : array_like, shape (M,), optional
        Non-negative sample weights, normalised to sum 1 (default: equal).
    thin : int >= 1, default 1
        Keep every ``thin``-th sample (for a Monte Carlo time series, use about :math:`2\tau_{\rm int}`
        or more so that the kept samples are nearly independent; the errors assume independence).
    errors : {"asymptotic", None}, default "asymptotic"
        ``"asymptotic"``: sandwich (influence-function) standard errors, valid for independent samples and
        M >> N; costs about M N³ operations and N³ doubles of memory (for N = 300 and M = 10⁴: tens of
        seconds and 216 MB): pass None to skip.  Ignored when ``bootstrap`` is given.
    bootstrap : int >= 2, optional
        Standard errors from this many refits on samples drawn with replacement (warm-started; seeded by
        ``seed``).
    seed : int >= 0 or None
        Seed of the bootstrap (None draws fresh entropy; the result records it).
    max_iter : int >= 1, default 5000
        L-BFGS-B iterations of the joint problem.
    tol : float > 0, default 1e-8
        Stop when every ``|derivative|`` of the objective (per sample) is below ``tol``; a parameter is then
        within about ``tol`` / (its curvature) of the optimum.

    Returns
    -------
    InverseIsingResult
        ``J`` (N, N), ``h`` (N,) in units of the temperature, their errors, the pseudolikelihood and
        convergence information; ``to_xarray()``, ``to_dataframe()``, ``pseudo_loglik_on(samples)``.

    Raises
    ------
    ValueError, TypeError
        For a bad argument, naming it: values other than -1/+1, NaN, not 2-D, fewer than 2 samples or spins,
        a constant spin, negative ``l2``.
    MemoryError
        If the fit (or its errors) would not fit in memory (checked before allocating).

    Warns
    -----
    RuntimeWarning
        If the optimiser stops before ``tol``, or on *separation*: some spin is predicted with certainty by
        the others in some samples (conditional probability above 1 - 3e-7, i.e. a local field above
        7.5 in units of T), so that the maximum of the pseudolikelihood lies at infinite couplings.
        This happens with l2 = 0 and too few samples for N (e.g. two spins equal in every sample); use
        l2 > 0.  ``converged`` is then False.

    Notes
    -----
    Energies of a simulation at temperature T (``utacbook.simulate_graph`` with couplings :math:`J w_{ij}`
    and field :math:`h_i`) correspond to ``J = J * w / T`` and ``h = h / T`` here.  The fit solves all node
    problems together (module docstring: batched Newton for small N, else one preconditioned L-BFGS-B
    problem with two BLAS matrix products of size M x N x N per evaluation).  Measured on one core of a
    shared machine, M = 10⁴ correlated samples: N = 100 in about 2 s, N = 300 in about 20 s (``tol=1e-6``:
    30 % less); ``errors="asymptotic"`` adds about as much again.

    Examples
    --------
    Two spins with coupling βJ = 0.5 and no field: the fit recovers the coupling within its error, and for
    two spins the pseudolikelihood estimate is the exact maximum-likelihood one, a quarter of the log odds
    ratio of the four frequencies:

    >>> import numpy as np
    >>> from utacbook.stats import fit_ising_plm
    >>> rng = np.random.default_rng(1)
    >>> states = np.array([[1, 1], [1, -1], [-1, 1], [-1, -1]])
    >>> p = np.exp(0.5 * states[:, 0] * states[:, 1]); p /= p.sum()
    >>> s = states[rng.choice(4, size=20000, p=p)]
    >>> r = fit_ising_plm(s)
    >>> r                                              # doctest: +ELLIPSIS
    InverseIsingResult(N=2, M=20000, l2=0, objective=-1.16..., |J|_F=0.50..., ..., asymptotic, converged)
    >>> bool(abs(r.J[0, 1] - 0.5) < 3 * r.J_err[0, 1]), bool(np.all(np.abs(r.h) < 3 * r.h_err))
    (True, True)
    >>> n = {k: np.sum(np.all(s == st, axis=1)) for k, st in zip(["++", "+-", "-+", "--"], states)}
    >>> bool(np.isclose(r.J[0, 1], 0.25 * np.log(n["++"] * n["--"] / (n["+-"] * n["-+"])), atol=1e-7))
    True
    >>> r.to_xarray().J.dims
    ('i', 'j')
    """
    S = _spin_samples(samples)
    thin = _thin(thin)
    M0 = S.shape[0]
    w = _weights(weights, M0)
    if thin > 1:
        S = np.ascontiguousarray(S[::thin])
        w = w[::thin] / w[::thin].sum()
    _check_columns(S)
    l2 = v.real("l2", l2, nonnegative=True)
    if not isinstance(symmetrize, (bool, np.bool_)):
        raise TypeError(f"symmetrize must be True or False, got {symmetrize!r}")
    if bootstrap is None:
        if errors not in _ERRORS:
            raise ValueError(f"errors must be 'asymptotic' or None, got {errors!r}")
    else:
        bootstrap = v.integer("bootstrap", bootstrap, low=2)
    max_iter = v.integer("max_iter", max_iter, low=1)
    tol = v.real("tol", tol, positive=True)
    M, N = S.shape
    _memory_fit(M, N, what=f"fit_ising_plm(M={M}, N={N})")
    S, w, w2 = _compress(S, w)

    P, fun, nit, gmax, conv, msg = _fit(S, w, l2, symmetrize, max_iter, tol)
    if not conv:
        warnings.warn(f"fit_ising_plm: not converged after {nit} iterations, max |gradient| = {gmax:.3g} "
                      f"(tol = {tol:.3g}): {msg}; with l2 = 0 and few samples some couplings may diverge: "
                      "use l2 > 0", RuntimeWarning, stacklevel=2)
    J, h, Ja = _split(P, symmetrize)
    pl = float(w @ _per_sample_pl(S, J, h))
    result = InverseIsingResult(J=J, h=h, J_asym=Ja, N=N, M=M, l2=l2, symmetrize=bool(symmetrize),
                                pseudo_loglik=pl, objective=-fun, converged=conv, n_iter=nit, grad_max=gmax,
                                message=msg, thin=thin)
    if bootstrap is not None:
        if seed is None:
            seed = int(np.random.SeedSequence().entropy % 2**63)
        elif not isinstance(seed, (numbers.Integral, np.random.SeedSequence)) or isinstance(seed, bool):
            raise TypeError(f"seed must be a non-negative integer, a SeedSequence or None, got {seed!r}")
        elif isinstance(seed, numbers.Integral) and seed < 0:
            raise ValueError(f"seed must be >= 0, got {seed}")
        rng = np.random.default_rng(seed)
        Js = np.empty((bootstrap, N, N))
        hs = np.empty((bootstrap, N))
        n_bad = 0
        for b in range(bootstrap):
            counts = rng.multinomial(M, w)                # resample M samples with probabilities w
            keep = counts > 0
            Sb, wb = S[keep], counts[keep] / M
            if np.any(np.all(Sb == Sb[:1], axis=0)):      # a spin constant in this resample: infinite field
                n_bad += 1
                Js[b], hs[b] = np.nan, np.nan
                continue
            Pb, *_, cb, _ = _fit(Sb, wb, l2, symmetrize, max_iter, tol, x0=P.ravel().copy())
            n_bad += not cb
            Js[b], hs[b], _ = _split(Pb, symmetrize)
        if n_bad:
            warnings.warn(f"fit_ising_plm: {n_bad} of {bootstrap} bootstrap refits did not converge or had a "
                          "constant spin (left out); the bootstrap errors are unreliable (more samples or l2 > 0)",
                          RuntimeWarning, stacklevel=2)
        result.J_err = np.nanstd(Js, axis=0, ddof=1)
        result.h_err = np.nanstd(hs, axis=0, ddof=1)
        result.error_method, result.n_bootstrap, result.seed = "bootstrap", bootstrap, seed
    elif errors == "asymptotic":
        result.J_err, result.h_err = _asymptotic_errors(S, w, w2, P, l2, symmetrize)
        result.error_method = "asymptotic"
    return result


def select_l2(samples, l2_values, *, validation_fraction=0.25, n_folds=None, seed=0, weights=None, thin=1,
              symmetrize=True, refit=True, errors="asymptotic", max_iter=5000, tol=1e-7):
    r"""Choose the L2 penalty of :func:`fit_ising_plm` by held-out pseudolikelihood.

    The samples are split once at random (``validation_fraction`` held out; seeded by ``seed``) or into
    ``n_folds`` folds; for each penalty the model is fitted on the training part and scored by the
    log-pseudolikelihood per sample of the held-out part (:func:`pseudo_loglikelihood`, at the symmetrised
    couplings when ``symmetrize``).  The penalty with the highest score wins (ties: the smaller penalty).

    Parameters
    ----------
    samples : array_like, shape (M, N)
        Spins -1/+1 (see :func:`fit_ising_plm`).  Independent samples: thin Monte Carlo series first
        (``thin``), or the held-out part is not independent of the training part.
    l2_values : array_like of float >= 0
        Penalties to try (per sample; useful values are of order 1/M to 10/M).  0 is allowed (it may not
        converge on few samples: that fit then scores poorly and a warning is given).
    validation_fraction : float in (0, 1), default 0.25
        Held-out fraction of the single split (ignored with ``n_folds``).
    n_folds : int >= 2, optional
        k-fold cross-validation instead of one split.
    seed : int >= 0, default 0
        Seed of the split (a permutation of the samples).
    weights, thin, symmetrize, max_iter, tol
        As for :func:`fit_ising_plm` (``tol`` is looser by default: the scores need no more).
    refit : bool, default True
        Fit all samples at the chosen penalty (with ``errors``) and return it as ``fit``.
    errors : {"asymptotic", None}
        Errors of the refit.

    Returns
    -------
    L2Selection
        ``l2_values``, ``scores``, ``scores_err``, ``best_l2``, ``fit``; ``to_dataframe()``.

    Examples
    --------
    Ten spins with weak random couplings and only 300 samples: some shrinkage helps, so a positive
    penalty wins over l2 = 0:

    >>> import itertools
    >>> import numpy as np
    >>> from utacbook.stats import select_l2
    >>> rng = np.random.default_rng(3)
    >>> N = 10
    >>> J = np.triu(rng.normal(0, 0.15, (N, N)), 1); J = J + J.T
    >>> states = np.array(list(itertools.product([-1, 1], repeat=N)))
    >>> logp = 0.5 * np.einsum("ki,ij,kj->k", states, J, states); p = np.exp(logp - logp.max())
    >>> s = states[rng.choice(len(states), size=300, p=p / p.sum())]
    >>> sel = select_l2(s, [0.0, 0.003, 0.01, 0.03, 0.1], seed=0, refit=False)
    >>> sel.best_l2 > 0, sel.to_dataframe().shape
    (True, (5, 4))
    """
    S = _spin_samples(samples)
    thin = _thin(thin)
    w = _weights(weights, S.shape[0])
    if thin > 1:
        S = np.ascontiguousarray(S[::thin])
        w = w[::thin] / w[::thin].sum()
    _check_columns(S)
    try:
        l2s = np.asarray(l2_values, dtype=float).ravel()
    except (TypeError, ValueError) as exc:
        raise TypeError(f"l2_values must be an array of real numbers ({exc})") from None
    if l2s.size == 0:
        raise ValueError("l2_values must hold at least one penalty")
    if not np.all(np.isfinite(l2s)) or np.any(l2s < 0):
        raise ValueError(f"l2_values must be finite and >= 0, got {l2s.tolist()}")
    l2s = np.sort(l2s)
    M, N = S.shape
    if n_folds is None:
        validation_fraction = v.real("validation_fraction", validation_fraction, positive=True)
        if not validation_fraction < 1:
            raise ValueError(f"validation_fraction must lie in (0, 1), got {validation_fraction}")
        n_val = int(round(validation_fraction * M))
        if n_val < 1 or M - n_val < 2:
            raise ValueError(f"validation_fraction={validation_fraction} leaves {n_val} validation and "
                             f"{M - n_val} training samples of M = {M}; need >= 1 and >= 2")
    else:
        n_folds = v.integer("n_folds", n_folds, low=2, high=M)
    seed = v.integer("seed", seed, low=0)
    if not isinstance(refit, (bool, np.bool_)):
        raise TypeError(f"refit must be True or False, got {refit!r}")
    if errors not in _ERRORS:
        raise ValueError(f"errors must be 'asymptotic' or None, got {errors!r}")
    max_iter = v.integer("max_iter", max_iter, low=1)
    tol = v.real("tol", tol, positive=True)
    _memory_fit(M, N, what=f"select_l2(M={M}, N={N})")

    perm = np.random.default_rng(seed).permutation(M)
    if n_folds is None:
        folds = [perm[:n_val]]
    else:
        folds = np.array_split(perm, n_folds)
    x_all = np.zeros((l2s.size, M))                     # per-sample held-out PL (each sample held out once)
    wv_all = np.zeros(M)
    conv = np.ones(l2s.size, dtype=bool)
    for val in folds:
        train = np.setdiff1d(perm, val, assume_unique=True)
        St, Sv = S[train], S[val]
        if np.any(np.all(St == St[:1], axis=0)):
            raise ValueError("samples: a spin is constant in a training part of the split; use fewer folds, "
                             "a smaller validation_fraction or more samples")
        wt = w[train] / w[train].sum()
        St, wt, _ = _compress(St, wt)
        wv_all[val] = w[val]
        x0 = None
        for k in range(l2s.size - 1, -1, -1):             # from strong to weak penalty, warm-started
            P, _, _, _, c, _ = _fit(St, wt, l2s[k], symmetrize, max_iter, tol, x0=x0)
            conv[k] &= c
            x0 = P.ravel().copy()
            J, h, _ = _split(P, symmetrize)
            x_all[k, val] = _per_sample_pl(Sv, J, h)
    used = wv_all > 0
    wv = wv_all[used] / wv_all[used].sum()
    x = x_all[:, used]
    scores = x @ wv
    scores_err = np.sqrt(((x - scores[:, None]) ** 2) @ (wv ** 2))
    if not conv.all():
        warnings.warn(f"select_l2: training fits at l2 = {l2s[~conv].tolist()} did not converge "
                      "(diverging couplings); their scores are unreliable", RuntimeWarning, stacklevel=2)
    best = int(np.flatnonzero(scores == scores.max())[0])
    fit = None
    if refit:
        with warnings.catch_warnings():
            warnings.simplefilter("default")
            fit = fit_ising_plm(S, l2=float(l2s[best]), symmetrize=symmetrize, weights=w, errors=errors,
                                max_iter=max_iter, tol=min(tol, 1e-8))
        fit.thin = thin                                   # the samples were thinned above
    return L2Selection(l2_values=l2s, scores=scores, scores_err=scores_err, best_l2=float(l2s[best]),
                       best_index=best, fit=fit, n_folds=n_folds,
                       validation_fraction=float(validation_fraction) if n_folds is None else float("nan"),
                       seed=seed, converged=conv)
