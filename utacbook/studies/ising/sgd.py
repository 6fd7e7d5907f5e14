r"""SGD as thermodynamics with real minibatch noise, and learning-side signals on a small network.

Study module of the chapter "SGD as thermodynamics" (``book/ising/15_sgd.ipynb``).

**Part 1: the stationary covariance of SGD on a linear regression.**  The
loss is :math:`L(w) = \frac{1}{2n}\sum_i (x_i\cdot w - y_i)^2` on a fixed,
generated data set (:func:`regression_data`), with Hessian
:math:`A = X^{\mathsf T}X/n` and minimum :math:`w^*`.  Minibatch SGD with
learning rate η and batch size B (:func:`sgd_linear`) moves
:math:`\delta = w - w^*` as

.. math:: \delta_{t+1} = (I - \eta A)\,\delta_t - \eta\,\xi_t ,

where ξ is the minibatch gradient minus the full one.  Its covariance given
w is :math:`\kappa\,C(w)/B`, with C(w) the covariance of the per-sample
gradients :math:`g_i(w) = x_i (x_i\cdot w - y_i)` over the data set and
κ = 1 for batches drawn with replacement, κ = (n − B)/(n − 1) for B distinct
points.  Three predictions of the stationary covariance Σ = E[δδᵀ]:

``"continuous"`` (Mandt, Hoffman & Blei 2017, small η)
    :math:`A\Sigma + \Sigma A = (\eta/B)\,\kappa C^*`, C* = C(w*);
``"discrete"``
    the discrete Lyapunov equation
    :math:`\Sigma = F\Sigma F^{\mathsf T} + \eta^2 \kappa C^*/B`, F = I − ηA;
``"exact"``
    the same with the noise evaluated where the iterate is: since
    :math:`g_i(w) - \bar g(w) = (x_i x_i^{\mathsf T} - A)\delta + x_i r_i`
    (:math:`r_i = x_i\cdot w^* - y_i`) and E[δ] = 0,
    :math:`E[C(w)] = C^* + K(\Sigma)` with
    :math:`K(\Sigma) = \frac1n\sum_i x_i x_i^{\mathsf T}\Sigma x_i x_i^{\mathsf T} - A\Sigma A`
    (multiplicative noise), and
    :math:`\Sigma = F\Sigma F^{\mathsf T} + \eta^2\kappa\,[C^* + K(\Sigma)]/B`
    is linear in Σ and is solved exactly by vectorisation.  It is exact for
    independent batches (``sampling="with"`` or ``"subset"``); for epochs of
    random reshuffling (``sampling="epoch"``) successive batches are
    anticorrelated and it is not (:func:`lyapunov_prediction`).

**Part 2: a small MLP trained by minibatch SGD** (:func:`mlp_init`,
:func:`mlp_loss_grad`, :func:`train_mlp`), with the signals the essay names
recorded during training, and the flatness (top Hessian eigenvalue by power
iteration, :func:`top_hessian_eigenvalue`) of the minimum reached at several η/B
against the test error (:func:`flatness_scan`).

Runs are seeded by ``numpy.random.SeedSequence([seed, ...])``; the Numba
kernel draws its indices from a seed it is given, with one stream per run.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numba
import numpy as np

from utacbook import _validate as v

__all__ = ["SAMPLINGS", "regression_data", "per_sample_gradients", "noise_covariance", "multiplicative_operator",
           "lyapunov_prediction", "lyapunov_2d", "sgd_linear", "SGDRun", "stationary_covariance",
           "single_step_covariance", "lyapunov_scan", "sgd_claims", "mlp_init", "mlp_forward",
           "mlp_loss_grad", "spiral_data", "top_hessian_eigenvalue", "train_mlp", "TrainingRecord",
           "flatness_scan", "signal_scan", "linear_cka", "drop_measurements", "drop_record",
           "plateau_measurement", "delay_measurement", "steepest_fall_record", "spearman_bootstrap",
           "loss_fluctuation", "peak_record", "drop_peak_tests", "plateau_statistic",
           "DEFAULT_GRID", "fourth_moment_radius", "plot_covariance_scan", "plot_training", "plot_flatness"]

#: minibatch sampling modes: iid with replacement, B distinct points per step, epochs of random reshuffling
SAMPLINGS = ("with", "subset", "epoch")


def _sampling(s):
    return v.choice("sampling", s, set(SAMPLINGS))


def _ss(*key):
    return np.random.SeedSequence([int(k) for k in key])


def _seed(seed):
    return v.integer("seed", seed, low=0)


# ----------------------------------------------------------------------------------------- Part 1: linear regression


def regression_data(*, n=256, d=2, eigs=(1.0, 0.2), angle=0.5, w_true=None, noise=0.5, seed=0):
    r"""A fixed, generated linear-regression data set and its exact minimum.

    Features :math:`x_i \sim N(0, S)` with S = R diag(eigs) Rᵀ (R a rotation by
    ``angle`` in the first two coordinates, so that the Hessian is not
    diagonal), targets :math:`y_i = x_i\cdot w_{\rm true} + \sigma\varepsilon_i`.

    Parameters
    ----------
    n : int >= 4
        Number of data points.
    d : int >= 1
        Dimension (``len(eigs)``).
    eigs : sequence of float > 0
        Eigenvalues of the feature covariance S.
    angle : float
        Rotation (radians) of the first two axes.
    w_true : sequence of float, optional
        Teacher weights (default: 1, -1, 1, ...).
    noise : float >= 0
        σ, the label noise.
    seed : int >= 0

    Returns
    -------
    dict
        ``X`` (n, d), ``y`` (n,), ``w_star`` (least squares), ``A`` = XᵀX/n
        (the Hessian), ``C`` (covariance of the per-sample gradients at w*),
        ``r`` (residuals at w*), ``n``, ``d``.

    Examples
    --------
    >>> import numpy as np
    >>> from utacbook.studies.ising.sgd import regression_data
    >>> D = regression_data(n=64, seed=1)
    >>> D["X"].shape, bool(np.allclose(D["X"].T @ D["r"], 0))     # the gradient vanishes at w*
    ((64, 2), True)
    """
    n = v.integer("n", n, low=4)
    eigs = v.real_array("eigs", eigs, ndim=1, min_len=1)
    if np.any(eigs <= 0):
        raise ValueError("eigs must be > 0")
    d = v.integer("d", d, low=1)
    if d != eigs.size:
        raise ValueError(f"d = {d} must equal len(eigs) = {eigs.size}")
    angle = v.real("angle", angle)
    noise = v.real("noise", noise, nonnegative=True)
    wt = np.array([(-1.0) ** k for k in range(d)]) if w_true is None else v.real_array("w_true", w_true, ndim=1)
    if wt.size != d:
        raise ValueError(f"w_true must have d = {d} entries")
    rng = np.random.default_rng(_seed(seed))
    R = np.eye(d)
    if d >= 2:
        c, s = math.cos(angle), math.sin(angle)
        R[:2, :2] = [[c, -s], [s, c]]
    X = (rng.standard_normal((n, d)) * np.sqrt(eigs)) @ R.T
    y = X @ wt + noise * rng.standard_normal(n)
    w_star = np.linalg.solve(X.T @ X, X.T @ y)
    r = X @ w_star - y
    A = X.T @ X / n
    G = X * r[:, None]
    C = G.T @ G / n - np.outer(G.mean(0), G.mean(0))
    return {"X": X, "y": y, "w_star": w_star, "A": A, "C": C, "r": r, "n": n, "d": d}


def _data(data):
    if not isinstance(data, dict) or not {"X", "y", "w_star", "A", "C"} <= set(data):
        raise TypeError("data must be a dict from regression_data")
    return data


def per_sample_gradients(data, w):
    """Per-sample gradients g_i(w) = x_i (x_i·w − y_i), shape (n, d)."""
    D = _data(data)
    w = v.real_array("w", w, ndim=1)
    if w.size != D["X"].shape[1]:
        raise ValueError(f"w must have {D['X'].shape[1]} entries")
    return D["X"] * (D["X"] @ w - D["y"])[:, None]


def noise_covariance(data, w, *, batch=1, sampling="with"):
    """Covariance of one minibatch gradient at w: κ C(w)/B (κ = 1 with replacement, (n − B)/(n − 1) otherwise).

    Examples
    --------
    >>> import numpy as np
    >>> from utacbook.studies.ising.sgd import regression_data, noise_covariance
    >>> D = regression_data(n=50, seed=0)
    >>> bool(np.allclose(noise_covariance(D, D["w_star"], batch=5), D["C"] / 5))
    True
    >>> bool(np.allclose(noise_covariance(D, D["w_star"], batch=50, sampling="subset"), 0))   # full batch
    True
    """
    D = _data(data)
    n = D["X"].shape[0]
    B = v.integer("batch", batch, low=1, high=n)
    kappa = 1.0 if _sampling(sampling) == "with" else (n - B) / (n - 1)
    G = per_sample_gradients(D, w)
    gbar = G.mean(0)
    return kappa * (G.T @ G / n - np.outer(gbar, gbar)) / B


def multiplicative_operator(data):
    r"""The d² × d² matrix of the map Σ ↦ K(Σ), the mean of the multiplicative noise.

    :math:`K(\Sigma) = \frac1n\sum_i x_ix_i^{\mathsf T}\Sigma x_ix_i^{\mathsf T} - A\Sigma A`.

    Acts on ``Sigma.reshape(-1)`` (row-major).  :math:`E[C(w)] = C^* + K(\Sigma)` when E[δ] = 0.
    """
    D = _data(data)
    X = D["X"]
    n = X.shape[0]
    P = np.einsum("ia,ib->iab", X, X)
    M = np.einsum("iab,icd->acbd", P, P).reshape(X.shape[1] ** 2, X.shape[1] ** 2) / n
    return M - np.kron(D["A"], D["A"])


def lyapunov_prediction(data, *, eta=0.1, batch=1, kind="exact", sampling="with"):
    r"""Predicted stationary covariance Σ = E[(w − w*)(w − w*)ᵀ] of minibatch SGD.

    Parameters
    ----------
    data : dict from :func:`regression_data`
    eta : float > 0
        Learning rate η.
    batch : int in [1, n]
        Batch size B.
    kind : {"continuous", "discrete", "exact"}
        ``"continuous"``: :math:`A\Sigma + \Sigma A = (\eta/B)\,C^*` (small η;
        the factor κ of the sampling mode included); ``"discrete"``: the
        discrete Lyapunov equation with the noise at w* (scipy's
        ``solve_discrete_lyapunov``); ``"exact"``: with the multiplicative
        noise E[C(w)] = C* + K(Σ) (see the module docstring).
    sampling : {"with", "subset", "epoch"}
        Sets κ: 1 for ``"with"``, (n − B)/(n − 1) otherwise.  For ``"epoch"``
        the prediction treats the batches as independent, which they are not.

    Returns
    -------
    numpy.ndarray, shape (d, d)

    Raises
    ------
    ValueError
        If the recursion has no stationary second moment (η too large).

    Examples
    --------
    In one dimension, with x_i = ±1 and κ = 1, the exact answer is
    Σ = η c/(B(2a − ηa²) − η K) with a = 1, K = 0:

    >>> import numpy as np
    >>> from utacbook.studies.ising.sgd import lyapunov_prediction
    >>> D = {"X": np.array([[1.0], [-1.0]]), "y": np.array([1.0, 1.0]), "w_star": np.zeros(1),
    ...      "A": np.eye(1), "C": np.eye(1)}
    >>> [round(float(lyapunov_prediction(D, eta=0.5, kind=k)[0, 0]), 6) for k in ("continuous", "discrete", "exact")]
    [0.25, 0.333333, 0.333333]
    """
    from scipy import linalg
    D = _data(data)
    n, d = D["X"].shape
    eta = v.real("eta", eta, positive=True)
    B = v.integer("batch", batch, low=1, high=n)
    kind = v.choice("kind", kind, {"continuous", "discrete", "exact"})
    kappa = 1.0 if _sampling(sampling) == "with" else (n - B) / (n - 1)
    A, C = D["A"], D["C"]
    F = np.eye(d) - eta * A
    if np.max(np.abs(np.linalg.eigvals(F))) >= 1:
        raise ValueError(f"eta = {eta} is too large: |1 - eta*lambda| >= 1 for an eigenvalue of A")
    if kind == "continuous":
        S = linalg.solve_continuous_lyapunov(A, eta * kappa * C / B)
    elif kind == "discrete":
        S = linalg.solve_discrete_lyapunov(F, eta ** 2 * kappa * C / B)
    else:
        T = np.kron(F, F) + eta ** 2 * kappa / B * multiplicative_operator(D)
        if np.max(np.abs(np.linalg.eigvals(T))) >= 1:
            raise ValueError(f"eta = {eta}, B = {B}: the second moment of SGD diverges (multiplicative noise)")
        S = np.linalg.solve(np.eye(d * d) - T, (eta ** 2 * kappa / B * C).reshape(-1)).reshape(d, d)
    return (S + S.T) / 2


def lyapunov_2d(a1, a2, c11, c12, c22, *, eta=0.1, batch=1):
    r"""Closed-form solution of the discrete Lyapunov equation for a diagonal 2 × 2 Hessian.

    With A = diag(a1, a2), F = I − ηA and noise covariance η²C/B:
    :math:`\Sigma_{jk} = \eta^2 C_{jk} / (B\,[1 - (1 - \eta a_j)(1 - \eta a_k)])`.

    Returns
    -------
    numpy.ndarray, shape (2, 2)

    Examples
    --------
    >>> from utacbook.studies.ising.sgd import lyapunov_2d
    >>> S = lyapunov_2d(1.0, 0.5, 1.0, 0.2, 0.5, eta=0.1, batch=2)
    >>> round(float(S[0, 0]), 6)          # 0.01 / (2 (1 - 0.81))
    0.026316
    """
    a = np.array([v.real("a1", a1, positive=True), v.real("a2", a2, positive=True)])
    C = np.array([[v.real("c11", c11), v.real("c12", c12)], [c12, v.real("c22", c22)]], float)
    eta = v.real("eta", eta, positive=True)
    B = v.integer("batch", batch, low=1)
    f = 1 - eta * a
    return eta ** 2 * C / (B * (1 - np.outer(f, f)))


@numba.njit(cache=True)
def _sgd_linear_kernel(X, y, w0, eta, B, n_steps, mode, thin, seed):  # pragma: no cover - compiled
    np.random.seed(seed)  # noqa: NPY002 (Numba supports only the legacy API)
    n, d = X.shape
    w = w0.copy()
    out = np.empty((n_steps // thin, d))
    perm = np.arange(n)
    pos = n
    g = np.empty(d)
    for t in range(n_steps):
        for a in range(d):
            g[a] = 0.0
        if mode == 1:                      # B distinct points: partial Fisher-Yates
            for k in range(B):
                j = k + np.random.randint(0, n - k)  # noqa: NPY002
                tmp = perm[k]
                perm[k] = perm[j]
                perm[j] = tmp
        elif mode == 2 and pos + B > n:    # epoch of random reshuffling (a tail shorter than B is dropped)
            for k in range(n - 1, 0, -1):
                j = np.random.randint(0, k + 1)  # noqa: NPY002
                tmp = perm[k]
                perm[k] = perm[j]
                perm[j] = tmp
            pos = 0
        for k in range(B):
            if mode == 0:
                i = np.random.randint(0, n)  # noqa: NPY002
            elif mode == 1:
                i = perm[k]
            else:
                i = perm[pos + k]
            r = -y[i]
            for a in range(d):
                r += X[i, a] * w[a]
            for a in range(d):
                g[a] += X[i, a] * r
        if mode == 2:
            pos += B
        for a in range(d):
            w[a] -= eta * g[a] / B
        if (t + 1) % thin == 0:
            for a in range(d):
                out[(t + 1) // thin - 1, a] = w[a]
    return out


def sgd_linear(data, *, eta=0.1, batch=1, n_steps=100000, sampling="with", thin=1, w0=None, seed=0):
    """Minibatch SGD on the linear regression: the trajectory w_t (every ``thin`` steps).

    Parameters
    ----------
    data : dict from :func:`regression_data`
    eta : float > 0
    batch : int in [1, n]
    n_steps : int >= 1
    sampling : {"with", "subset", "epoch"}
        ``"with"``: B indices drawn uniformly with replacement, independently
        at each step; ``"subset"``: B distinct indices at each step,
        independently from step to step; ``"epoch"``: random reshuffling, the
        data set is permuted once per epoch and cut into consecutive batches
        (a tail shorter than B is dropped).
    thin : int >= 1
        Keep every ``thin``-th iterate.
    w0 : array, optional
        Start (default w*).
    seed : int >= 0

    Returns
    -------
    numpy.ndarray, shape (n_steps // thin, d)

    Examples
    --------
    >>> import numpy as np
    >>> from utacbook.studies.ising.sgd import regression_data, sgd_linear
    >>> D = regression_data(n=32, seed=0)
    >>> W = sgd_linear(D, eta=0.5, batch=32, n_steps=1000, sampling="epoch", w0=np.zeros(2))
    >>> bool(np.allclose(W[-1], D["w_star"]))    # full batch: plain gradient descent converges to w*
    True
    """
    D = _data(data)
    n, d = D["X"].shape
    eta = v.real("eta", eta, positive=True)
    B = v.integer("batch", batch, low=1, high=n)
    n_steps = v.integer("n_steps", n_steps, low=1)
    thin = v.integer("thin", thin, low=1, high=n_steps)
    mode = SAMPLINGS.index(_sampling(sampling))
    w0 = D["w_star"].copy() if w0 is None else v.real_array("w0", w0, ndim=1)
    if w0.size != d:
        raise ValueError(f"w0 must have d = {d} entries")
    s = int(np.random.SeedSequence(_seed(seed)).generate_state(1)[0] % (2 ** 31 - 1))
    return _sgd_linear_kernel(np.ascontiguousarray(D["X"], dtype=np.float64), np.ascontiguousarray(D["y"], float),
                              np.ascontiguousarray(w0, float), eta, B, n_steps, mode, thin, s)


def single_step_covariance(data, *, w=None, batch=4, sampling="with", n_draws=20000, seed=0):
    """Empirical covariance of the minibatch gradient at a fixed w, over ``n_draws`` independent batches.

    Returns ``(cov, cov_err)``: the covariance matrix and the standard error of
    each element (from the fourth moments, draws are independent).
    """
    D = _data(data)
    n, d = D["X"].shape
    B = v.integer("batch", batch, low=1, high=n)
    sampling = _sampling(sampling)
    nd = v.integer("n_draws", n_draws, low=10)
    w = D["w_star"] if w is None else v.real_array("w", w, ndim=1)
    G = per_sample_gradients(D, w)
    rng = np.random.default_rng(_seed(seed))
    if sampling == "with":
        idx = rng.integers(0, n, size=(nd, B))
    else:                                   # one batch of B distinct points (an epoch's batch is such a subset)
        idx = np.argsort(rng.random((nd, n)), axis=1)[:, :B]
    g = G[idx].mean(axis=1) - G.mean(0)
    prod = g[:, :, None] * g[:, None, :]
    return prod.mean(0), prod.std(0, ddof=1) / math.sqrt(nd)


@dataclass
class SGDRun:
    """Stationary covariance measured from SGD runs, with its errors (:func:`stationary_covariance`)."""

    eta: float
    batch: int
    sampling: str
    sigma: np.ndarray
    sigma_err: np.ndarray
    trace: float
    trace_err: float
    tau_int: float
    n_steps: int
    n_replicas: int

    def __repr__(self):
        return (f"SGDRun(eta={self.eta:g}, B={self.batch}, {self.sampling}, tr Σ = {self.trace:.4g} ± "
                f"{self.trace_err:.2g}, τ_int = {self.tau_int:.3g}, {self.n_replicas} × {self.n_steps} steps)")


def stationary_covariance(data, *, eta=0.1, batch=1, sampling="with", n_steps=200000, burn_in=None, n_replicas=4,
                          thin=1, seed=0):
    r"""Measure Σ = E[(w − w*)(w − w*)ᵀ] from long SGD runs, with binning errors.

    Each replica starts at w* and runs ``burn_in + n_steps`` steps (the
    default burn-in is 20 relaxation times :math:`1/(\eta\lambda_{\min})`).
    For every element and for the trace the time average of
    :math:`\delta_a\delta_b` has an error from τ_int
    (:func:`utacbook.stats.mean_with_error`); replicas (streams
    ``SeedSequence([seed, r])``) are averaged and their errors combined.

    Returns
    -------
    SGDRun
    """
    from utacbook.stats import mean_with_error
    D = _data(data)
    eta = v.real("eta", eta, positive=True)
    R = v.integer("n_replicas", n_replicas, low=1)
    n_steps = v.integer("n_steps", n_steps, low=100)
    lam_min = float(np.linalg.eigvalsh(D["A"]).min())
    burn = int(20 / (eta * lam_min)) if burn_in is None else v.integer("burn_in", burn_in, low=0)
    d = D["A"].shape[0]
    S = np.zeros((R, d, d))
    E = np.zeros((R, d, d))
    tr = np.zeros(R)
    tr_e = np.zeros(R)
    taus = np.zeros(R)
    for r in range(R):
        W = sgd_linear(D, eta=eta, batch=batch, n_steps=burn + n_steps, sampling=sampling, thin=thin,
                       seed=int(_ss(seed, r).generate_state(1)[0]))
        dl = W[burn // thin:] - D["w_star"]
        for a in range(d):
            for b in range(a, d):
                m, e, _ = mean_with_error(dl[:, a] * dl[:, b])
                S[r, a, b] = S[r, b, a] = m
                E[r, a, b] = E[r, b, a] = e
        tr[r], tr_e[r], taus[r] = mean_with_error((dl ** 2).sum(1))
    return SGDRun(eta=eta, batch=int(batch), sampling=sampling, sigma=S.mean(0),
                  sigma_err=np.sqrt((E ** 2).sum(0)) / R, trace=float(tr.mean()),
                  trace_err=float(math.sqrt((tr_e ** 2).sum()) / R), tau_int=float(taus.mean() * thin),
                  n_steps=n_steps, n_replicas=R)


#: the chapter's grid of (η, B, sampling): η at B = 1 and B = 8, fixed η/B = 0.01, and random reshuffling
DEFAULT_GRID = (
    [(e, 1, "with") for e in (0.01, 0.03, 0.1, 0.2, 0.4)]
    + [(e, 8, "with") for e in (0.03, 0.1, 0.3, 0.6, 1.0)]
    + [(0.01 * b, b, "with") for b in (2, 4, 16, 32, 64)]
    + [(0.05, b, "epoch") for b in (1, 8, 32, 64)]
    + [(0.05, b, "subset") for b in (8, 32, 64)]
)


def lyapunov_scan(*, grid=None, n=256, eigs=(1.0, 0.2), angle=0.5, noise=0.5, data_seed=0, relax_times=2000.0,
                  min_steps=100000, n_replicas=4, only=None, seed=0):
    """Measure Σ at each grid point and set it beside the three predictions (stored-result function).

    Each replica runs max(min_steps, relax_times / (η λ_min)) steps after the
    burn-in of :func:`stationary_covariance`; replica r at grid point k uses
    ``SeedSequence([seed, k, r])``.  ``only`` (indices into the grid) runs
    a subset with the same seeds, to reproduce stored points cheaply.

    Returns
    -------
    dict
        ``rows``: one dict per grid point (``eta``, ``batch``, ``sampling``,
        ``tr``, ``tr_err``, ``tau_int``, ``n_steps``, ``sigma`` (d × d),
        ``sigma_err``, ``tr_continuous``, ``tr_discrete``, ``tr_exact``,
        ``sigma_continuous``, ``sigma_discrete``, ``sigma_exact``), and the
        data set's ``A``, ``C``, ``trA``.
    """
    grid = DEFAULT_GRID if grid is None else [(float(e), int(b), str(s)) for e, b, s in grid]
    D = regression_data(n=n, d=len(eigs), eigs=eigs, angle=angle, noise=noise, seed=data_seed)
    lam_min = float(np.linalg.eigvalsh(D["A"]).min())
    rows = []
    keep = set(range(len(grid))) if only is None else {v.integer("only", q, low=0, high=len(grid) - 1) for q in only}
    for k, (eta, B, samp) in enumerate(grid):
        if k not in keep:
            continue
        steps = int(max(min_steps, relax_times / (eta * lam_min)))
        run = stationary_covariance(D, eta=eta, batch=B, sampling=samp, n_steps=steps, n_replicas=n_replicas,
                                    seed=int(_ss(seed, k).generate_state(1)[0]))
        row = {"eta": eta, "batch": B, "sampling": samp, "tr": run.trace, "tr_err": run.trace_err,
               "tau_int": run.tau_int, "n_steps": steps, "sigma": run.sigma.tolist(),
               "sigma_err": run.sigma_err.tolist()}
        for kind in ("continuous", "discrete", "exact"):
            P = lyapunov_prediction(D, eta=eta, batch=B, kind=kind, sampling=samp)
            row[f"tr_{kind}"] = float(np.trace(P))
            row[f"sigma_{kind}"] = P.tolist()
        rows.append(row)
    return {"rows": rows, "A": D["A"], "C": D["C"], "trA": float(np.trace(D["A"])),
            "lam": np.linalg.eigvalsh(D["A"]), "n": n}


def fourth_moment_radius(data, *, eta=0.1, batch=1, n_batches=20000, seed=0):
    r"""Spectral radius of :math:`E[M^{\otimes 4}]`, M = I − (η/B) Σ_k x_k x_kᵀ, for batches with replacement.

    The fourth moment of the stationary SGD iterate is finite only if this
    radius is below 1 (the second moment needs the same for M ⊗ M).  Where it
    is not, the stationary distribution has a power-law tail, and a
    time-average estimate of Σ converges slowly with an error that binning
    underestimates.  Exact for B = 1 (average over the data set); for B > 1
    an average over ``n_batches`` random batches (seeded).

    Examples
    --------
    >>> import numpy as np
    >>> from utacbook.studies.ising.sgd import fourth_moment_radius
    >>> D = {"X": np.array([[1.0], [-1.0]]), "y": np.zeros(2), "w_star": np.zeros(1), "A": np.eye(1), "C": np.eye(1)}
    >>> round(fourth_moment_radius(D, eta=0.5), 6)          # (1 - 0.5)^4
    0.0625
    """
    D = _data(data)
    X = D["X"]
    n, d = X.shape
    eta = v.real("eta", eta, positive=True)
    B = v.integer("batch", batch, low=1, high=n)
    if B == 1:
        idx = np.arange(n)[:, None]
    else:
        idx = np.random.default_rng(_seed(seed)).integers(0, n, size=(v.integer("n_batches", n_batches, low=10), B))
    acc = np.zeros((d ** 4, d ** 4))
    for row in idx:
        Xb = X[row]
        M = np.eye(d) - eta / B * Xb.T @ Xb
        M2 = np.kron(M, M)
        acc += np.kron(M2, M2)
    return float(np.max(np.abs(np.linalg.eigvals(acc / len(idx)))))


def sgd_claims(*, k=3.0, alpha=0.01, scope1="", scope2="", scope3=""):
    """The chapter's claims, with criteria fixed before the measurement.

    Parameters
    ----------
    k : float
        Standard errors of the Agreement criteria (Part 1).
    alpha : float
        Significance of the Effect criteria (Part 2, Fisher's exact test).
    scope1, scope2, scope3 : str
        Scopes of Part 1, of the training signals and of the flatness scan.

    Returns
    -------
    list of :class:`utacbook.claims.Claim`

    Examples
    --------
    >>> from utacbook.studies.ising.sgd import sgd_claims
    >>> [c.id for c in sgd_claims()][:3]
    ['ising.sgd.continuous', 'ising.sgd.discrete', 'ising.sgd.exact']
    """
    from utacbook import claims as uc
    k = v.real("k", k, positive=True)
    alpha = v.real("alpha", alpha, positive=True, high=1.0)
    ratio = ("measured tr Σ divided by the predicted one, error from binning (τ_int) combined over replicas; "
             "one condition per (η, B) with independent batches (with replacement, or B distinct points)")
    eff = ("rules frozen before the confirmatory run (root seed of sgd_signals_confirm), after a first look at "
           "other runs: the drop of a trained replica is the first record at which its training loss (running "
           "mean over 5 records) falls below half its initial value; a signal's peak is its maximum over the "
           "records after an initial transient of 5 records (the records that set the initial level); a hit: "
           "the peak within ±10 records (1000 steps) of the replica's own drop. Two conditions, both one-sided "
           f"at significance {alpha:g}, over the trained replicas with a drop: (1) permutation null, the number "
           "of hits against the same count with the drops permuted among the replicas (20000 permutations); "
           "(2) Spearman rank correlation of drop record and peak record > 0")
    HISTORY = ("criteria revised after a first look at earlier runs (first: steepest fall of the log loss, "
               "heat capacity Var(L)/T², shuffled-label null; then half-drop, Var(ΔL), shuffled-label null at the "
               "trained replica's drop); the present rules were frozen before the confirmatory run, which alone "
               "is judged; the earlier runs are shown as exploratory")
    return [
        uc.Claim("ising.sgd.continuous", source="ours", section="",
                 text=("the stationary covariance of minibatch SGD solves the continuous Lyapunov equation "
                       "AΣ + ΣA = (η/B) κC* (Mandt, Hoffman & Blei 2017)"),
                 quantity=ratio, criterion=uc.Agreement(1.0, k=k), scope=scope1,
                 note="a small-ηλ approximation: expected to hold only for ηλ_max ≪ 1"),
        uc.Claim("ising.sgd.discrete", source="ours", section="",
                 text="Σ solves the discrete Lyapunov equation Σ = FΣFᵀ + η²κC*/B, noise taken at the minimum",
                 quantity=ratio, criterion=uc.Agreement(1.0, k=k), scope=scope1),
        uc.Claim("ising.sgd.exact", source="ours", section="",
                 text=("Σ solves the discrete equation with the multiplicative noise, "
                       "Σ = FΣFᵀ + η²κ[C* + K(Σ)]/B, exactly, for independent batches"),
                 quantity=ratio, criterion=uc.Agreement(1.0, k=k), scope=scope1),
        uc.Claim("ising.sgd.temperature", source="essay", section="vi",
                 text="For LLMs, adjust LR/batch to set T_train and anneal",
                 quantity=("our reading, T_train ∝ η/B sets the spread: at fixed η/B = 0.01, tr Σ(η, B) divided "
                           "by tr Σ(0.01, 1), one condition per η; the spread depends on η and B only through "
                           "η/B if every ratio is 1"),
                 criterion=uc.Agreement(1.0, k=k), scope=scope1),
        uc.Claim("ising.sgd.epoch", source="ours", section="",
                 text=("with random reshuffling (each epoch a permutation of the data cut into batches) the "
                       "exact equation, with κ = (n − B)/(n − 1), still gives Σ"),
                 quantity="measured tr Σ divided by the exact prediction with κ; one condition per B at η = 0.05",
                 criterion=uc.Agreement(1.0, k=k), scope=scope1),
        uc.Claim("ising.sgd.plateau", source="essay", section="v",
                 text="training loss plateaus before grokking",
                 quantity=("our reading, two conditions on the trained replicas with a drop (rules frozen before "
                           "the confirmatory run): (plateau) t₀.₉ = step at which the smoothed training loss "
                           "first falls below 0.9 of its initial value, t₀.₅ the same for one half; the loss "
                           "plateaus if it stays near its start longer than it then takes to halve: mean over "
                           "replicas of log₂[t₀.₉/max(t₀.₅ − t₀.₉, 100 steps)] > 0; (grokking) the test error "
                           "halves well after the training loss: mean delay t₀.₅(test error) − t₀.₅(training "
                           "loss) > 0; both at two standard errors over the replicas"),
                 criterion=uc.Sign(+1, k=2.0), scope=scope2,
                 note=("first version (judged before): the plateau as 'the loss halves within the run', against "
                       "shuffled labels that cannot learn, a test that could not fail; replaced by the plateau "
                       "statistic before the confirmatory run")),
        uc.Claim("ising.sgd.gradient_variance", source="essay", section="v",
                 text="variance in opinions/gradients spikes",
                 quantity="gradient-noise variance (trace of the minibatch-gradient covariance) at the drop; " + eff,
                 criterion=uc.Effect(alpha=alpha, direction=+1), scope=scope2,
                 note=HISTORY),
        uc.Claim("ising.sgd.layers", source="essay", section="v",
                 text="features correlate across layers",
                 quantity=("two measures, each with the two conditions: linear CKA of the two hidden layers on "
                           "the test inputs, and the correlation of the first and last layers' update sizes over "
                           "100 steps, peaking at the drop; " + eff),
                 criterion=uc.Effect(alpha=alpha, direction=+1), scope=scope2,
                 note=HISTORY),
        uc.Claim("ising.sgd.heat_capacity", source="ours", section="",
                 text="the issue's heat-capacity peak at the drop",
                 quantity=("a loss-fluctuation index (heat-capacity analogue, not a heat capacity: SGD is not a "
                           "stationary Gibbs ensemble) Var(ΔL)/(2T²) over the last 10 records, T = η/B; " + eff),
                 criterion=uc.Effect(alpha=alpha, direction=+1), scope=scope2,
                 note=HISTORY),
        uc.Claim("ising.sgd.wide_valleys", source="essay", section="v",
                 text="Equipartition explains why wide valleys generalize.",
                 quantity=("our reading, flatter minima have lower test error: Spearman rank correlation of the "
                           "top Hessian eigenvalue of the training loss at the end of training with the test "
                           "error over all runs of one scan, bootstrap over replicas (all runs of a replica "
                           "together); must be > 0 at two standard errors. One condition per scan: η scan at "
                           "B = 8 (logistic loss, fixed steps; criterion fixed before it), η scan at B = 8 "
                           "(squared loss, fixed ηt) and B scan at η = 0.1 (squared loss, fixed ηt), both added "
                           "after seeing the first; and the B scan restricted to fitted runs (training error 0), "
                           "added after seeing the B scan"),
                 criterion=uc.Sign(+1, k=2.0), scope=scope3,
                 note=("criterion fixed before the first scan; the second and third scans were added after "
                       "seeing the first, the fitted-runs condition after seeing the third; the logistic scan "
                       "bootstraps only 4 replica clusters; the B = 1 runs of the B scan are not fitted minima "
                       "(training error > 0)")),
    ]


# ------------------------------------------------------------------------------------ Part 2: a small MLP, by hand


def spiral_data(*, n=200, turns=1.5, noise=0.15, radius=3.0, seed=0):
    """Two interleaved spirals in 2-D of outer radius ``radius``, labels 0/1 (n/2 per arm; jitter ``noise``).

    Returns ``(X, y)`` with X of shape (n, 2) and y of shape (n,) (float 0/1).

    Examples
    --------
    >>> from utacbook.studies.ising.sgd import spiral_data
    >>> X, y = spiral_data(n=10, seed=0)
    >>> X.shape, float(y.sum())
    ((10, 2), 5.0)
    """
    n = v.integer("n", n, low=2)
    turns = v.real("turns", turns, positive=True)
    noise = v.real("noise", noise, nonnegative=True)
    rng = np.random.default_rng(_seed(seed))
    m = n // 2
    t = np.sqrt(rng.random(n)) * turns * 2 * np.pi
    lab = np.r_[np.zeros(m), np.ones(n - m)]
    ang = t + np.pi * lab
    rad = t / (turns * 2 * np.pi)
    radius = v.real("radius", radius, positive=True)
    X = radius * (np.c_[rad * np.cos(ang), rad * np.sin(ang)] + noise * rng.standard_normal((n, 2)) * 0.3)
    return X, lab


def mlp_init(*, sizes=(2, 16, 16, 1), scale=1.0, seed=0):
    """Weights of a tanh MLP (list of (W, b), W of shape (in, out)), Glorot-normal times ``scale``, biases 0.

    Examples
    --------
    >>> from utacbook.studies.ising.sgd import mlp_init
    >>> [W.shape for W, b in mlp_init(sizes=(2, 8, 1))]
    [(2, 8), (8, 1)]
    """
    sizes = [v.integer("sizes", s, low=1) for s in sizes]
    if len(sizes) < 2:
        raise ValueError("sizes needs at least an input and an output size")
    rng = np.random.default_rng(_seed(seed))
    scale = v.real("scale", scale, positive=True)
    return [(scale * rng.standard_normal((a, b)) * math.sqrt(2.0 / (a + b)), np.zeros(b))
            for a, b in zip(sizes[:-1], sizes[1:])]


def mlp_forward(params, X):
    """Activations of each layer (input first, then the tanh hidden layers, then the output logits)."""
    acts = [np.asarray(X, float)]
    for k, (W, b) in enumerate(params):
        z = acts[-1] @ W + b
        acts.append(z if k == len(params) - 1 else np.tanh(z))
    return acts


def mlp_loss_grad(params, X, y, *, weight_decay=0.0, loss="logistic", grad=True):
    r"""Mean loss of a binary tanh MLP and its gradient by backpropagation.

    ``loss="logistic"``:
    :math:`L = \frac1n\sum_i [\log(1 + e^{z_i}) - y_i z_i] + \frac{\lambda}{2}\sum \|W\|^2`
    (weights only), z the output logit; ``loss="mse"``:
    :math:`L = \frac{1}{2n}\sum_i (z_i - t_i)^2 + \dots` with targets t = 2y − 1
    (a loss with true minima, where the curvature does not vanish as the fit improves).

    Returns
    -------
    (loss, grads)
        ``grads`` has the structure of ``params`` (None if ``grad=False``).

    Examples
    --------
    >>> import numpy as np
    >>> from utacbook.studies.ising.sgd import mlp_init, mlp_loss_grad
    >>> p = mlp_init(sizes=(2, 3, 1), seed=0)
    >>> round(mlp_loss_grad(p, np.zeros((4, 2)), np.array([0., 1., 0., 1.]))[0], 6)   # z = 0: log 2
    0.693147
    """
    y = np.asarray(y, float)
    acts = mlp_forward(params, X)
    z = acts[-1][:, 0]
    n = z.size
    kind = v.choice("loss", loss, {"logistic", "mse"})
    if kind == "logistic":
        L = float(np.mean(np.logaddexp(0.0, z) - y * z))
    else:
        L = float(0.5 * np.mean((z - (2 * y - 1)) ** 2))
    if weight_decay:
        L += 0.5 * weight_decay * sum(float((W ** 2).sum()) for W, _ in params)
    if not grad:
        return L, None
    if kind == "logistic":
        delta = ((1.0 / (1.0 + np.exp(-z))) - y)[:, None] / n
    else:
        delta = (z - (2 * y - 1))[:, None] / n
    grads = [None] * len(params)
    for k in range(len(params) - 1, -1, -1):
        W, b = params[k]
        gW = acts[k].T @ delta + weight_decay * W
        grads[k] = (gW, delta.sum(0))
        if k > 0:
            delta = (delta @ W.T) * (1.0 - acts[k] ** 2)
    return L, grads


def _flat(params):
    return np.concatenate([np.r_[W.ravel(), b] for W, b in params])


def _unflat(vec, like):
    out, k = [], 0
    for W, b in like:
        nW, nb_ = W.size, b.size
        out.append((vec[k:k + nW].reshape(W.shape), vec[k + nW:k + nW + nb_].copy()))
        k += nW + nb_
    return out


def top_hessian_eigenvalue(grad_fn, x, *, n_iter=100, h=1e-4, tol=1e-6, seed=0):
    r"""Largest-magnitude Hessian eigenvalue by power iteration on finite-difference Hessian-vector products.

    :math:`Hv \approx [\nabla L(x + hv) - \nabla L(x - hv)]/(2h)`.

    Parameters
    ----------
    grad_fn : callable
        x (1-D array) -> gradient (1-D array).
    x : array
        The point.
    n_iter : int >= 1
    h : float > 0
        Finite-difference step.
    tol : float > 0
        Stop when the Rayleigh quotient changes by less than ``tol`` (relative).
    seed : int >= 0
        Seeds the start vector.

    Returns
    -------
    float

    Examples
    --------
    >>> import numpy as np
    >>> from utacbook.studies.ising.sgd import top_hessian_eigenvalue
    >>> H = np.diag([3.0, 1.0, 0.5])
    >>> round(top_hessian_eigenvalue(lambda x: H @ x, np.zeros(3)), 6)
    3.0
    """
    x = v.real_array("x", x, ndim=1)
    n_iter = v.integer("n_iter", n_iter, low=1)
    h = v.real("h", h, positive=True)
    tol = v.real("tol", tol, positive=True)
    if not callable(grad_fn):
        raise TypeError("grad_fn must be callable")
    rng = np.random.default_rng(_seed(seed))
    u = rng.standard_normal(x.size)
    u /= np.linalg.norm(u)
    lam = 0.0
    for _ in range(n_iter):
        Hu = (np.asarray(grad_fn(x + h * u)) - np.asarray(grad_fn(x - h * u))) / (2 * h)
        new = float(u @ Hu)
        nrm = np.linalg.norm(Hu)
        if nrm == 0:
            return 0.0
        u = Hu / nrm
        if abs(new - lam) <= tol * max(abs(new), 1e-300):
            return new
        lam = new
    return lam


def linear_cka(H1, H2):
    r"""Linear centred kernel alignment of two representations of the same inputs (rows), in [0, 1].

    :math:`\|H_2^{\mathsf T}H_1\|_F^2 / (\|H_1^{\mathsf T}H_1\|_F\,\|H_2^{\mathsf T}H_2\|_F)` after centring.

    Examples
    --------
    >>> import numpy as np
    >>> from utacbook.studies.ising.sgd import linear_cka
    >>> H = np.random.default_rng(0).standard_normal((50, 4))
    >>> round(linear_cka(H, 2 * H @ np.linalg.qr(np.ones((4, 4)) + np.eye(4))[0]), 6)   # scaled rotation
    1.0
    """
    H1 = np.asarray(H1, float) - np.mean(H1, 0)
    H2 = np.asarray(H2, float) - np.mean(H2, 0)
    if H1.shape[0] != H2.shape[0]:
        raise ValueError("H1 and H2 must have the same number of rows")
    den = np.linalg.norm(H1.T @ H1) * np.linalg.norm(H2.T @ H2)
    return float(np.linalg.norm(H2.T @ H1) ** 2 / den) if den > 0 else 0.0


@dataclass
class TrainingRecord:
    """What :func:`train_mlp` records every ``every`` steps."""

    step: np.ndarray
    train_loss: np.ndarray
    test_loss: np.ndarray
    test_error: np.ndarray
    grad_var: np.ndarray
    cka: np.ndarray
    update_corr: np.ndarray
    heat_capacity: np.ndarray
    eta: float
    batch: int
    params: list

    def to_dataframe(self):
        """One row per record."""
        import pandas as pd
        return pd.DataFrame({k: getattr(self, k) for k in ("step", "train_loss", "test_loss", "test_error",
                                                            "grad_var", "cka", "update_corr", "heat_capacity")})

    def __repr__(self):
        return (f"TrainingRecord(eta={self.eta:g}, B={self.batch}, {self.step.size} records to step "
                f"{int(self.step[-1])}, final train loss {self.train_loss[-1]:.3g}, "
                f"test error {self.test_error[-1]:.3g})")


def train_mlp(X, y, X_test, y_test, *, sizes=(2, 16, 16, 1), init_scale=1.0, eta=0.1, batch=8, n_steps=20000,
              every=100, window=10, weight_decay=0.0, loss="logistic", n_grad_batches=8, init_seed=0, seed=0):
    r"""Train a tanh MLP by minibatch SGD and record the learning-side signals.

    Batches are drawn with replacement (B independent uniform indices per
    step).  The weights start at ``init_scale`` times the Glorot scale
    (:func:`mlp_init`); a small start puts the network near the saddle at
    the origin, where the loss plateaus before it drops.

    Every ``every`` steps: the full training loss, the test loss and error,
    the **gradient-noise variance** (trace of the covariance of B-point
    minibatch gradients at the current weights, from ``n_grad_batches``
    extra batches), the **CKA** of the two hidden layers on the test inputs
    (:func:`linear_cka`), the **update correlation**, the correlation over the
    last ``every`` steps of the update norms of the first and the last weight
    matrix, and a **loss-fluctuation index** (a heat-capacity analogue, stored
    as ``heat_capacity``) :math:`C_h = \mathrm{Var}_{\rm window}(\Delta L_{\rm train})/(2T^2)`
    with T = η/B: the fluctuation variance of the recorded training loss over
    the last ``window`` records, estimated from its successive differences
    ΔL so that a linear trend (the loss falling) does not count as a
    fluctuation (for uncorrelated fluctuations Var(ΔL)/2 = Var(L)).  It is
    not a heat capacity: Var(E)/T² is one only in a stationary Gibbs
    ensemble, and SGD during training is neither stationary nor Gibbs; a
    curved trend and single large jumps of the full loss (each enters and
    leaves the window, giving a box ``window`` records wide) also count
    (:func:`loss_fluctuation`).

    Returns
    -------
    TrainingRecord
    """
    X, X_test = np.asarray(X, float), np.asarray(X_test, float)
    y, y_test = np.asarray(y, float), np.asarray(y_test, float)
    n = X.shape[0]
    eta = v.real("eta", eta, positive=True)
    B = v.integer("batch", batch, low=1, high=n)
    n_steps = v.integer("n_steps", n_steps, low=1)
    every = v.integer("every", every, low=1, high=n_steps)
    window = v.integer("window", window, low=2)
    params = mlp_init(sizes=sizes, scale=init_scale, seed=init_seed)
    rng = np.random.default_rng(_seed(seed))
    batches = rng.integers(0, n, size=(n_steps, B))
    T = eta / B
    rec = {k: [] for k in ("step", "train_loss", "test_loss", "test_error", "grad_var", "cka", "update_corr",
                           "heat_capacity")}
    u_first, u_last = np.zeros(every), np.zeros(every)
    for t in range(1, n_steps + 1):
        idx = batches[t - 1]
        _, g = mlp_loss_grad(params, X[idx], y[idx], weight_decay=weight_decay, loss=loss)
        params = [(W - eta * gW, b - eta * gb) for (W, b), (gW, gb) in zip(params, g)]
        u_first[(t - 1) % every] = eta * np.linalg.norm(g[0][0])
        u_last[(t - 1) % every] = eta * np.linalg.norm(g[-1][0])
        if t % every == 0:
            L, gfull = mlp_loss_grad(params, X, y, weight_decay=weight_decay, loss=loss)
            gf = _flat(gfull)
            gb_ = np.array([_flat(mlp_loss_grad(params, X[ii], y[ii], weight_decay=weight_decay, loss=loss)[1])
                            for ii in rng.integers(0, n, size=(n_grad_batches, B))])
            acts = mlp_forward(params, X_test)
            zt = acts[-1][:, 0]
            rec["step"].append(t)
            rec["train_loss"].append(L)
            rec["test_loss"].append(mlp_loss_grad(params, X_test, y_test, loss=loss, grad=False)[0])
            rec["test_error"].append(float(np.mean((zt > 0) != (y_test > 0.5))))
            rec["grad_var"].append(float(((gb_ - gf) ** 2).sum(1).mean()))
            rec["cka"].append(linear_cka(acts[1], acts[-2]) if len(acts) > 3 else float("nan"))
            c = np.corrcoef(u_first, u_last)[0, 1] if u_first.std() > 0 and u_last.std() > 0 else 0.0
            rec["update_corr"].append(float(c))
            tl = np.diff(rec["train_loss"][-(window + 1):])
            rec["heat_capacity"].append(float(np.var(tl) / 2 / T ** 2) if tl.size >= 2 else 0.0)
    return TrainingRecord(**{k: np.asarray(x) for k, x in rec.items()}, eta=eta, batch=B, params=params)


def drop_record(loss, *, smooth=5, fraction=0.5):
    """Index of the first record at which the smoothed loss falls below ``fraction`` of its initial level.

    The loss is smoothed by a running mean over ``smooth`` records; the
    initial level is the mean of the first ``smooth`` records.  Returns -1 if
    it never does (no drop).

    Examples
    --------
    >>> from utacbook.studies.ising.sgd import drop_record
    >>> drop_record([0.6] * 10 + [0.1] * 10, smooth=3)
    10
    >>> drop_record([0.6] * 20)
    -1
    """
    x = v.real_array("loss", loss, ndim=1, min_len=2)
    smooth = v.integer("smooth", smooth, low=1, high=x.size)
    fraction = v.real("fraction", fraction, positive=True, high=1.0)
    s_ = np.convolve(x, np.ones(smooth) / smooth, mode="valid")
    below = np.flatnonzero(s_ < fraction * x[:smooth].mean())
    return int(below[0] + smooth // 2) if below.size else -1


def steepest_fall_record(loss, *, smooth=5):
    """Index of the steepest fall of the smoothed log loss (the chapter's first, revised drop criterion).

    Examples
    --------
    >>> from utacbook.studies.ising.sgd import steepest_fall_record
    >>> steepest_fall_record([0.6] * 10 + [0.1] * 10, smooth=1)
    10
    """
    x = v.real_array("loss", loss, ndim=1, min_len=3)
    smooth = v.integer("smooth", smooth, low=1, high=x.size - 1)
    s_ = np.convolve(np.log(np.maximum(x, 1e-12)), np.ones(smooth) / smooth, mode="valid")
    return int(np.argmin(np.diff(s_))) + smooth // 2 + 1


def signal_scan(*, n_train=200, n_test=1000, sizes=(2, 16, 16, 1), eta=0.5, batch=8, n_steps=10000, every=100,
                n_replicas=8, shuffle_labels=False, data_seed=0, seed=0):
    """Learning-side signals over replicas (stored-result function).

    Replica r trains from init seed ``[seed, r, 0]`` with batch stream
    ``[seed, r, 1]`` on the same spiral data set; with ``shuffle_labels``
    the training labels are permuted (the null: nothing to learn).

    Returns
    -------
    dict
        ``step`` and, per replica, the recorded series (lists of lists), and
        ``t_drop``, the step of :func:`drop_record` of the training loss (-1: no drop).
    """
    X, y = spiral_data(n=n_train, seed=data_seed)
    Xt, yt = spiral_data(n=n_test, seed=data_seed + 1)
    if shuffle_labels:
        y = np.random.default_rng(_ss(seed, 999)).permutation(y)
    keys = ("train_loss", "test_loss", "test_error", "grad_var", "cka", "update_corr", "heat_capacity")
    out = {k: [] for k in keys}
    out["t_drop"] = []
    for r in range(v.integer("n_replicas", n_replicas, low=1)):
        rec = train_mlp(X, y, Xt, yt, sizes=sizes, eta=eta, batch=batch, n_steps=n_steps, every=every,
                        init_seed=int(_ss(seed, r, 0).generate_state(1)[0]),
                        seed=int(_ss(seed, r, 1).generate_state(1)[0]))
        for k in keys:
            out[k].append(np.nan_to_num(getattr(rec, k)).tolist())
        j = drop_record(rec.train_loss)
        out["t_drop"].append(int(rec.step[j]) if j >= 0 else -1)
    out["step"] = rec.step.tolist()
    return out


def flatness_scan(*, n_train=200, n_test=1000, sizes=(2, 16, 16, 1), etas=(0.1, 0.2, 0.4, 0.8), batch=8,
                  batches=None, n_steps=10000, train_time=None, n_replicas=4, loss="logistic", data_seed=0, seed=0):
    """Test error against the flatness of the minimum reached at several η (B fixed) (stored-result function).

    Replica r at learning rate k starts from init ``[seed, r, 0]`` (the same
    start at every η) and uses batches ``[seed, k, r, 1]``.  With ``batches``
    (a sequence of batch sizes) every η is run at every B, and k counts the
    (η, B) pairs, η first.  At the end: the
    training loss, the test error and the top Hessian eigenvalue of the full
    training loss (:func:`top_hessian_eigenvalue`).  With ``train_time`` each
    learning rate runs ceil(train_time/η) steps instead of ``n_steps`` (the
    same time ηt at every η, so that small η also converge).

    Returns
    -------
    dict
        ``eta``, ``batch``, ``replica`` (per run), ``lam_max``, ``test_error``, ``train_loss``, ``train_error``;
        ``diverged``: the (η, replica) pairs whose weights overflowed (left out of the rest).
    """
    X, y = spiral_data(n=n_train, seed=data_seed)
    Xt, yt = spiral_data(n=n_test, seed=data_seed + 1)
    out = {k: [] for k in ("eta", "batch", "replica", "lam_max", "test_error", "train_loss", "train_error",
                           "diverged")}
    pairs = [(float(e), int(b)) for e in etas for b in ((batch,) if batches is None else batches)]
    for k, (eta, batch) in enumerate(pairs):
        for r in range(v.integer("n_replicas", n_replicas, low=2)):
            steps = n_steps if train_time is None else int(math.ceil(train_time / eta))
            rec = train_mlp(X, y, Xt, yt, sizes=sizes, eta=eta, batch=batch, n_steps=steps, every=steps, loss=loss,
                            init_seed=int(_ss(seed, r, 0).generate_state(1)[0]),
                            seed=int(_ss(seed, k, r, 1).generate_state(1)[0]))
            like = rec.params
            if not np.all(np.isfinite(_flat(like))):
                out["diverged"].append([float(eta), r])
                continue
            gfun = (lambda x, like=like: _flat(mlp_loss_grad(_unflat(x, like), X, y, loss=loss)[1]))
            lam = top_hessian_eigenvalue(gfun, _flat(like), n_iter=200, seed=r)
            z = mlp_forward(like, X)[-1][:, 0]
            out["eta"].append(float(eta))
            out["batch"].append(int(batch))
            out["replica"].append(r)
            out["lam_max"].append(lam)
            out["test_error"].append(float(rec.test_error[-1]))
            out["train_loss"].append(float(rec.train_loss[-1]))
            out["train_error"].append(float(np.mean((z > 0) != (y > 0.5))))
    return out


def _peak_hits(res, key, drops, window):
    """Per replica: does the maximum of ``key`` lie within ``window`` records of ``drops[r]`` (None: no drop)."""
    out = []
    for r, jd in enumerate(drops):
        if jd < 0:
            continue
        out.append(abs(int(np.argmax(np.asarray(res[key][r]))) - jd) <= window)
    return np.array(out, bool)


def drop_measurements(signals, null, *, keys=("grad_var", "heat_capacity", "cka", "update_corr"), window=10,
                      drop="half"):
    """Does each signal peak within ``window`` records of the loss drop, more often than by chance?

    The drop of replica r is :func:`drop_record` of its training loss.  A hit:
    the record of the signal's maximum is at most ``window`` records from the
    drop.  The chance rate comes from the shuffled-label runs, judged at the
    drop record of the trained replica with the same index (there is no drop
    in a null run, so the null asks how often a signal's peak falls there by
    chance).  Replicas without a drop are left out of both.  Fisher's
    one-sided exact test compares the two hit counts.  With
    ``drop="steepest"`` (the first criterion, revised) every run, null runs
    included, is judged at its own :func:`steepest_fall_record`.

    Returns
    -------
    list of :class:`utacbook.claims.Measurement` (value: difference of the hit fractions)
    """
    from scipy import stats as st

    from utacbook import claims as uc
    drop = v.choice("drop", drop, {"half", "steepest"})
    if drop == "half":
        drops = [drop_record(x) for x in signals["train_loss"]]
        drops0 = drops
    else:
        drops = [steepest_fall_record(x) for x in signals["train_loss"]]
        drops0 = [steepest_fall_record(x) for x in null["train_loss"]]
    ms = []
    for key in keys:
        h1, h0 = _peak_hits(signals, key, drops, window), _peak_hits(null, key, drops0, window)
        if h1.size == 0:
            raise ValueError("no replica has a drop of the training loss")
        p = float(st.fisher_exact([[h1.sum(), h1.size - h1.sum()], [h0.sum(), h0.size - h0.sum()]],
                                  alternative="greater")[1])
        ms.append(uc.Measurement(float(h1.mean() - h0.mean()), condition=key, p_value=p,
                                 text=f"{int(h1.sum())}/{h1.size} against {int(h0.sum())}/{h0.size} (null)"))
    return ms


def plateau_measurement(signals, null):
    """Fraction of trained replicas whose training loss drops (:func:`drop_record`) against the null's, Fisher p."""
    from scipy import stats as st

    from utacbook import claims as uc
    k1 = sum(drop_record(x) >= 0 for x in signals["train_loss"])
    k0 = sum(drop_record(x) >= 0 for x in null["train_loss"])
    n1, n0 = len(signals["train_loss"]), len(null["train_loss"])
    p = float(st.fisher_exact([[k1, n1 - k1], [k0, n0 - k0]], alternative="greater")[1])
    return uc.Measurement(k1 / n1 - k0 / n0, condition="trained against shuffled labels", p_value=p,
                          text=f"{k1}/{n1} against {k0}/{n0} (null)")


def loss_fluctuation(loss, *, eta=0.5, batch=8, window=10, kind="diff"):
    r"""Loss-fluctuation index (heat-capacity analogue) of a recorded training-loss series, per record.

    ``kind="diff"`` (the chapter's definition, as :func:`train_mlp` records
    it): :math:`\mathrm{Var}(\Delta L)/(2T^2)` over the last ``window`` + 1
    records, T = η/B, so that a linear trend does not count; ``kind="level"``
    (the first definition): :math:`\mathrm{Var}(L)/T^2` over the last
    ``window`` records.  Not a heat capacity: SGD is not a stationary Gibbs
    ensemble, and the differences remove only a linear trend.

    Examples
    --------
    >>> from utacbook.studies.ising.sgd import loss_fluctuation
    >>> loss_fluctuation([1.0, 0.5, 0.0, -0.5], eta=1.0, batch=1, kind="diff").tolist()   # a pure trend
    [0.0, 0.0, 0.0, 0.0]
    >>> round(float(loss_fluctuation([1.0, 0.0], eta=1.0, batch=1, kind="level")[-1]), 3)
    0.25
    """
    x = v.real_array("loss", loss, ndim=1, min_len=1)
    T = v.real("eta", eta, positive=True) / v.integer("batch", batch, low=1)
    window = v.integer("window", window, low=2)
    kind = v.choice("kind", kind, {"diff", "level"})
    out = np.zeros(x.size)
    for i in range(x.size):
        if kind == "diff":
            d = np.diff(x[max(0, i - window):i + 1])
            out[i] = np.var(d) / 2 / T ** 2 if d.size >= 2 else 0.0
        else:
            out[i] = np.var(x[max(0, i - window + 1):i + 1]) / T ** 2
    return out


def peak_record(series, *, transient=5):
    """Record of the maximum of ``series`` after the first ``transient`` records.

    Examples
    --------
    >>> from utacbook.studies.ising.sgd import peak_record
    >>> peak_record([9.0, 1.0, 1.0, 1.0, 1.0, 2.0, 3.0, 1.0])
    6
    >>> peak_record([9.0, 1.0, 3.0], transient=0)
    0
    """
    x = v.real_array("series", series, ndim=1, min_len=1)
    transient = v.integer("transient", transient, low=0, high=x.size - 1)
    return int(np.argmax(x[transient:])) + transient


def drop_peak_tests(signals, *, keys=("grad_var", "heat_capacity", "cka", "update_corr"), window=10, transient=5,
                    n_perm=20000, seed=0):
    """Does each signal peak at each trained replica's own drop? Two nulls within the trained runs.

    Over the replicas with a drop (:func:`drop_record`), with peaks from
    :func:`peak_record` (initial ``transient`` records left out): the number
    of hits (peak within ``window`` records of the replica's own drop) against
    the same count with the drops permuted among the replicas (one-sided
    permutation p, ``n_perm`` random permutations, p = (1 + #{≥ observed})/(1 + n_perm)),
    and the Spearman rank correlation of drop and peak records (one-sided,
    ρ > 0).  A signal that peaks in the era of the drops but not at each
    run's own drop passes neither.

    Returns
    -------
    dict
        per key: ``hits``, ``n``, ``expected`` (exact mean under permutation),
        ``p_perm``, ``rho``, ``p_rho``, ``lags`` (peak − drop, records), and
        ``measurements``: two :class:`utacbook.claims.Measurement` (permutation; rank correlation).
    """
    from scipy import stats as st

    from utacbook import claims as uc
    window = v.integer("window", window, low=0)
    n_perm = v.integer("n_perm", n_perm, low=10)
    drops_all = [drop_record(x) for x in signals["train_loss"]]
    idx = [r for r, j in enumerate(drops_all) if j >= 0]
    if len(idx) < 3:
        raise ValueError("fewer than three replicas with a drop of the training loss")
    d = np.array([drops_all[r] for r in idx])
    rng = np.random.default_rng(_seed(seed))
    perms = rng.permuted(np.tile(np.arange(d.size), (n_perm, 1)), axis=1)
    out = {}
    for key in keys:
        pk = np.array([peak_record(signals[key][r], transient=transient) for r in idx])
        hit = np.abs(pk[:, None] - d[None, :]) <= window           # hit[r, s]: peak of r near the drop of s
        h_obs = int(np.trace(hit))
        h_perm = hit[np.arange(d.size)[None, :], perms].sum(1)
        p_perm = float((1 + (h_perm >= h_obs).sum()) / (1 + n_perm))
        expected = float(hit.sum() / d.size)
        if np.ptp(pk) > 0:
            rho, p_rho = st.spearmanr(d, pk, alternative="greater")
            rho, p_rho = float(rho), float(p_rho)
        else:
            rho, p_rho = float("nan"), 1.0
        out[key] = {
            "hits": h_obs, "n": int(d.size), "expected": expected, "p_perm": p_perm, "rho": rho, "p_rho": p_rho,
            "lags": (pk - d).tolist(),
            "measurements": [
                uc.Measurement(h_obs - expected, condition=f"{key}: permutation null", p_value=p_perm,
                               text=f"{h_obs}/{d.size} hits against {expected:.1f} expected, p = {p_perm:.2g}"),
                uc.Measurement(rho if np.isfinite(rho) else 0.0, condition=f"{key}: rank correlation", p_value=p_rho,
                               text=(f"ρ = {rho:.2f} over {d.size} replicas, p = {p_rho:.2g}" if np.isfinite(rho) else
                                     "ρ undefined (every peak at one record)"))]}
    return out


def plateau_statistic(signals, *, high=0.9, low=0.5, smooth=5):
    """Plateau length against fall time, per trained replica with a drop; mean ± s.e. of their log₂ ratio.

    t_high (t_low): step at which the smoothed training loss first falls below
    ``high`` (``low``) times its initial level (:func:`drop_record`).  The
    ratio is t_high / max(t_low − t_high, one record): above 1 the loss stays
    near its start longer than it then takes to fall to ``low``.

    Returns
    -------
    utacbook.claims.Measurement (value: mean log₂ ratio, err: its standard error); ``.text`` gives the counts.

    Examples
    --------
    >>> from utacbook.studies.ising.sgd import plateau_statistic
    >>> sig = {"step": list(range(100, 2100, 100)), "train_loss": [[1.0] * 10 + [0.1] * 10, [1.0] * 12 + [0.1] * 8]}
    >>> m = plateau_statistic(sig, smooth=1)
    >>> round(m.value, 2), m.text
    (3.58, '2/2 replicas with plateau longer than fall; t0.9 at steps 1100–1300, t0.5 at steps 1100–1300')
    """
    from utacbook import claims as uc
    step = np.asarray(signals["step"], float)
    every = step[1] - step[0] if step.size > 1 else step[0]
    lr = []
    th, tl = [], []
    for x in signals["train_loss"]:
        a, b = drop_record(x, smooth=smooth, fraction=high), drop_record(x, smooth=smooth, fraction=low)
        if a < 0 or b < 0:
            continue
        th.append(step[a])
        tl.append(step[b])
        lr.append(math.log2(step[a] / max(step[b] - step[a], every)))
    lr = np.asarray(lr)
    if lr.size < 2:
        raise ValueError("fewer than two replicas with a drop")
    return uc.Measurement(float(lr.mean()), float(lr.std(ddof=1) / math.sqrt(lr.size)), condition="plateau",
                          text=(f"{int((lr > 0).sum())}/{lr.size} replicas with plateau longer than fall; "
                                f"t0.9 at steps {min(th):g}–{max(th):g}, t0.5 at steps {min(tl):g}–{max(tl):g}"))


def delay_measurement(signals):
    """Delay (steps) from the training-loss drop to the test-error drop, mean ± s.e. over the replicas with both.

    Grokking-like behaviour is a test-error drop well after the training loss
    has dropped (a positive delay of many plateau lengths).
    """
    from utacbook import claims as uc
    step = np.asarray(signals["step"])
    d = []
    for tl, te in zip(signals["train_loss"], signals["test_error"]):
        a, b = drop_record(tl), drop_record(te)
        if a >= 0 and b >= 0:
            d.append(step[b] - step[a])
    d = np.asarray(d, float)
    if d.size < 2:
        raise ValueError("fewer than two replicas with both drops")
    return uc.Measurement(float(d.mean()), float(d.std(ddof=1) / math.sqrt(d.size)),
                          condition=f"{d.size} replicas with both drops")


def spearman_bootstrap(flat, *, n_boot=2000, seed=0):
    """Spearman ρ of top Hessian eigenvalue and test error over all runs, bootstrap s.e. over replicas.

    Replicas (the ``replica`` index, all learning rates of one replica
    together) are resampled with replacement.  Returns ``(rho, err)``.
    """
    from scipy import stats as st
    lam = np.asarray(flat["lam_max"], float)
    err = np.asarray(flat["test_error"], float)
    rep = np.asarray(flat["replica"])
    reps = np.unique(rep)
    rho = float(st.spearmanr(lam, err)[0])
    rng = np.random.default_rng(_seed(seed))
    boots = []
    members = {q: np.flatnonzero(rep == q) for q in reps}
    for _ in range(v.integer("n_boot", n_boot, low=10)):
        pick = np.concatenate([members[q] for q in rng.choice(reps, reps.size)])
        if np.ptp(lam[pick]) > 0 and np.ptp(err[pick]) > 0:
            # Spearman's ρ is Pearson's r of the (average) ranks, as scipy.stats.spearmanr computes it
            boots.append(np.corrcoef(st.rankdata(lam[pick]), st.rankdata(err[pick]))[0, 1])
    return rho, float(np.std(boots, ddof=1))


# ---------------------------------------------------------------------------------------------------- figures


def plot_covariance_scan(res):
    """The chapter's Part 1 figure from a :func:`lyapunov_scan` result.

    (a) measured over predicted tr Σ against η λ_max, batches with
    replacement at B = 1 and B = 8, for the three predictions; (b) tr Σ at
    fixed η/B against η; (c) measured over the exact prediction (with κ)
    against B for random reshuffling and for independent B-subsets.
    """
    from utacbook.viz._plotting import _plt
    plt, _ = _plt()
    import pandas as pd
    df = pd.DataFrame(res["rows"])
    lam = float(np.max(res["lam"]))
    fig, axes = plt.subplots(1, 3, figsize=(13.5, 4.0))
    ax = axes[0]
    styles = {"continuous": ("C0", "o"), "discrete": ("C1", "s"), "exact": ("C2", "^")}
    for B, ls in ((1, "-"), (8, "--")):
        sub = df[(df.sampling == "with") & (df.batch == B)].sort_values("eta")
        if B == 8:
            sub = sub[~np.isclose(sub.eta / sub.batch, 0.01)]
        for kind, (c, mk) in styles.items():
            r = sub.tr / sub[f"tr_{kind}"]
            ax.errorbar(sub.eta * lam, r, yerr=sub.tr_err / sub[f"tr_{kind}"], fmt=mk + ls, color=c, capsize=2,
                        label=f"{kind}, B = {B}")
    ax.axhline(1, color="0.5", lw=1)
    ax.set_xscale("log")
    ax.set_xlabel("η λ_max")
    ax.set_ylabel("measured tr Σ / predicted")
    ax.legend(frameon=False, fontsize=7, ncol=2)
    ax.set_title("(a) three predictions")
    ax = axes[1]
    sub = df[(df.sampling == "with") & np.isclose(df.eta / df.batch, 0.01)].sort_values("eta")
    ax.errorbar(sub.eta, sub.tr, yerr=sub.tr_err, fmt="ko", capsize=2, label="measured")
    for kind, (c, _) in styles.items():
        ax.plot(sub.eta, sub[f"tr_{kind}"], "-", color=c, label=kind)
    ax.set_xscale("log")
    ax.set_xlabel("η (B = 100 η)")
    ax.set_ylabel("tr Σ")
    ax.legend(frameon=False, fontsize=8)
    ax.set_title("(b) fixed η/B = 0.01")
    ax = axes[2]
    for samp, c in (("epoch", "C3"), ("subset", "C4")):
        sub = df[df.sampling == samp].sort_values("batch")
        ax.errorbar(sub.batch, sub.tr / sub.tr_exact, yerr=sub.tr_err / sub.tr_exact, fmt="o-", color=c, capsize=2,
                    label={"epoch": "random reshuffling", "subset": "independent B-subsets"}[samp])
    ax.axhline(1, color="0.5", lw=1)
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("batch size B")
    ax.set_ylabel("measured tr Σ / exact (with κ)")
    ax.legend(frameon=False, fontsize=8)
    ax.set_title("(c) without replacement, η = 0.05")
    fig.tight_layout()
    return fig


def plot_training(signals, null, *, keys=("train_loss", "grad_var", "heat_capacity", "cka")):
    """Training curves and signals per replica (colour) and for the shuffled-label null (grey); dots: drops."""
    from utacbook.viz._plotting import _plt
    plt, _ = _plt()
    labels = {"train_loss": "training loss", "test_error": "test error", "grad_var": "gradient-noise variance",
              "heat_capacity": "loss-fluctuation index Var(ΔL)/(2T²)", "cka": "CKA(hidden 1, hidden 2)",
              "update_corr": "update correlation"}
    fig, axes = plt.subplots(1, len(keys), figsize=(3.4 * len(keys), 3.6))
    for ax, key in zip(np.atleast_1d(axes), keys):
        for res, grey in ((null, True), (signals, False)):
            step = np.asarray(res["step"])
            for r, yv in enumerate(res[key]):
                c = "0.7" if grey else f"C{r % 10}"
                ax.plot(step, yv, color=c, lw=0.8)
                j = drop_record(res["train_loss"][r])
                if not grey and j >= 0:
                    ax.plot(step[j], yv[j], "o", color=c, ms=4)
        if key in ("train_loss", "grad_var", "heat_capacity"):
            ax.set_yscale("log")
        ax.set_xlabel("step")
        ax.set_title(labels.get(key, key), fontsize=10)
    fig.tight_layout()
    return fig


def plot_flatness(flat, *, by="eta", ax=None, title=None):
    """Test error against the top Hessian eigenvalue, one colour per η (or per B, ``by="batch"``).

    Dotted: 2/η, the stability limit of gradient descent.
    """
    from matplotlib.ticker import NullFormatter

    from utacbook.viz._plotting import _plt
    plt, _ = _plt()
    if ax is None:
        _, ax = plt.subplots(figsize=(6.0, 4.0))
    eta = np.asarray(flat["eta"])
    lam = np.asarray(flat["lam_max"])
    err = np.asarray(flat["test_error"])
    by = v.choice("by", by, {"eta", "batch"})
    key = np.asarray(flat[by])
    for k, e in enumerate(np.unique(key)):
        sel = key == e
        ax.plot(lam[sel], err[sel], "o", color=f"C{k}", label=f"{'η' if by == 'eta' else 'B'} = {e:g}")
    for e in np.unique(eta):
        ax.axvline(2 / e, color="0.5" if by == "batch" else f"C{list(np.unique(eta)).index(e)}", ls=":", lw=1)
    ax.set_xscale("log")
    ax.xaxis.set_minor_formatter(NullFormatter())
    ax.set_xlabel("top Hessian eigenvalue of the training loss")
    ax.set_ylabel("test error")
    if title:
        ax.set_title(title)
    ax.legend(frameon=False, fontsize=8)
    return ax
