"""Learning systems as Ising engines: small, exactly checkable toys.

* **SGD as thermodynamics** on a quadratic loss
  :math:`L(\\theta) = \\tfrac12\\sum_i h_i\\theta_i^2` (eigenbasis of the
  Hessian) with minibatch gradient noise: :func:`sgd_quadratic` simulates
  many seeds at once, :func:`stationary_variance` and
  :func:`second_moment_trajectory` give the exact answers of the linear
  recursion, :func:`t_train` the small-η temperature.
* **Learning-rate schedules** with one step budget: :func:`schedule`
  (constant, exponential, cosine, warmup-stable-decay).
* **Non-convex check** of :math:`p(\\theta)\\propto e^{-L/T_{\\rm train}}`:
  a 1-D landscape with a narrow deep and a wide shallow minimum
  (:func:`double_well_loss`, :func:`sgd_double_well`,
  :func:`boltzmann_wide_fraction`).
* **Inference temperature** τ as logit rescaling: :func:`softmax`,
  :func:`entropy`, :func:`train_softmax_regression`.
* **Hopfield network**: :func:`hebbian_couplings`, :func:`hopfield_recall`,
  :func:`recall_vs_load`, and the Amit-Gutfreund-Sompolinsky T = 0 theory
  :func:`ags_overlap`, :func:`ags_alpha_c`.
* **Lineage diagram** of the essay: :data:`LINEAGE`, :func:`plot_lineage`.

Symbols follow the essay's legend: :math:`T_{\\rm train}` is the temperature
of the weight ensemble induced by SGD noise; τ rescales logits at inference.
"""

from __future__ import annotations

import math

import numba as nb
import numpy as np

from . import _validate as v

__all__ = ["t_train", "stationary_variance", "sgd_quadratic", "second_moment_trajectory",
           "schedule", "SCHEDULES", "double_well_loss", "double_well_grad",
           "double_well_barrier", "sgd_double_well",
           "boltzmann_wide_fraction", "softmax", "entropy", "train_softmax_regression",
           "hebbian_couplings", "hopfield_recall", "recall_vs_load", "ags_overlap",
           "ags_alpha_c", "LINEAGE", "LINEAGE_EDGES", "plot_lineage", "plot_schedules",
           "explore_sgd", "explore_hopfield"]


# --------------------------------------------------------------------------
# SGD on a quadratic loss
# --------------------------------------------------------------------------

def _noise_var(h, batch, sigma_g, noise):
    v.choice("noise", noise, {"isotropic", "hessian"})
    c = np.full_like(h, sigma_g ** 2) if noise == "isotropic" else sigma_g ** 2 * h
    return c / batch


def _curvatures(h):
    h = np.atleast_1d(v.real_array("h", h, ndim=None))
    if h.ndim != 1 or np.any(h <= 0):
        raise ValueError("h must be a 1-D array of positive curvatures (Hessian eigenvalues)")
    return h


def t_train(eta, batch, *, sigma_g=1.0):
    """Small-η SGD temperature :math:`T_{\\rm train} = \\eta\\sigma_g^2/(2B)`.

    For isotropic per-sample gradient noise of variance σ_g² per coordinate,
    the stationary weight distribution of SGD on a quadratic loss is, for
    ηh ≪ 1, the Boltzmann law :math:`p(\\theta)\\propto e^{-L(\\theta)/T_{\\rm train}}`
    with this temperature (units of the loss).
    """
    eta = v.real("eta", eta, positive=True)
    batch = v.integer("batch", batch, low=1)
    sigma_g = v.real("sigma_g", sigma_g, positive=True)
    return eta * sigma_g ** 2 / (2.0 * batch)


def stationary_variance(h, *, eta=0.1, batch=1, sigma_g=1.0, noise="isotropic"):
    """Exact stationary variance of θ_i under θ ← (1-ηh)θ - η ξ, Var ξ = s²/B.

    .. math:: \\mathrm{Var}\\,\\theta_i = \\frac{\\eta^2 s_i^2/B}{1-(1-\\eta h_i)^2}
              = \\frac{\\eta s_i^2}{B\\,h_i\\,(2-\\eta h_i)},

    s_i² = σ_g² ("isotropic") or σ_g² h_i ("hessian", noise covariance
    proportional to the Hessian).  Requires 0 < η h_i < 2 (stability).

    Parameters
    ----------
    h : array_like of positive floats
        Curvatures (Hessian eigenvalues).
    eta : float > 0
        Learning rate.
    batch : int >= 1
        Minibatch size B.
    sigma_g : float > 0
        Per-sample gradient-noise standard deviation.
    noise : {"isotropic", "hessian"}

    Returns
    -------
    ndarray, same shape as ``h``.
    """
    h = _curvatures(h)
    eta = v.real("eta", eta, positive=True)
    batch = v.integer("batch", batch, low=1)
    sigma_g = v.real("sigma_g", sigma_g, positive=True)
    if np.any(eta * h >= 2):
        raise ValueError(f"eta * h must be < 2 for a stationary state, got max {np.max(eta * h)}")
    s2 = _noise_var(h, batch, sigma_g, noise)
    return eta ** 2 * s2 / (1.0 - (1.0 - eta * h) ** 2)


def _init_var(theta0_var, h):
    if np.ndim(theta0_var) == 0:
        return np.full(h.size, v.real("theta0_var", theta0_var, nonnegative=True))
    a = v.real_array("theta0_var", theta0_var, ndim=1)
    if a.shape != h.shape or np.any(a < 0):
        raise ValueError(f"theta0_var must be >= 0, a scalar or of shape {h.shape}")
    return a


def _etas(eta, n_steps):
    if np.ndim(eta) == 0:
        return np.full(n_steps, v.real("eta", eta, positive=True))
    e = v.real_array("eta", eta, ndim=1)
    if e.shape[0] != n_steps:
        raise ValueError(f"eta must be a scalar or have length n_steps={n_steps}, got {e.shape[0]}")
    if np.any(e < 0):
        raise ValueError("eta must be >= 0")
    return e


def sgd_quadratic(h, *, eta=0.1, batch=1, sigma_g=1.0, noise="isotropic", n_steps=10000,
                  n_seeds=64, theta0_var=0.0, burn_in=None, seed=0):
    """Minibatch SGD on L(θ) = ½ Σ h_i θ_i², many seeds at once.

    Each step draws the minibatch-mean gradient noise ξ ~ N(0, s²/B)
    independently per coordinate (the mean of B independent per-sample
    noises of variance s²), then θ ← θ − η_t (h θ + ξ).

    Parameters
    ----------
    h : array_like of positive floats, shape (d,)
        Curvatures.
    eta : float or array of shape (n_steps,)
        Learning rate, or a schedule (see :func:`schedule`).
    batch : int >= 1
    sigma_g : float > 0
    noise : {"isotropic", "hessian"}
    n_steps : int >= 1
    n_seeds : int >= 1
        Independent runs (simulated together).
    theta0_var : float >= 0 or array of shape (d,)
        Initial θ_i ~ N(0, theta0_var_i) (0: start at the minimum).
    burn_in : int or None
        If given, the time averages of θ_i² over steps > burn_in are returned
        per seed (``mean_sq``), for stationary measurements.
    seed : int >= 0

    Returns
    -------
    dict with ``theta`` (n_seeds, d) final weights, ``loss`` (n_seeds,) final
    loss, and if ``burn_in`` is given ``mean_sq`` (n_seeds, d).
    """
    h = _curvatures(h)
    n_steps = v.integer("n_steps", n_steps, low=1)
    n_seeds = v.integer("n_seeds", n_seeds, low=1)
    batch = v.integer("batch", batch, low=1)
    sigma_g = v.real("sigma_g", sigma_g, positive=True)
    theta0_var = _init_var(theta0_var, h)
    etas = _etas(eta, n_steps)
    if burn_in is not None:
        burn_in = v.integer("burn_in", burn_in, low=0, high=n_steps - 1)
    s = np.sqrt(_noise_var(h, batch, sigma_g, noise))
    rng = np.random.default_rng(seed)
    theta = rng.standard_normal((n_seeds, h.size)) * np.sqrt(theta0_var)
    acc = np.zeros_like(theta)
    chunk = 256
    for t0 in range(0, n_steps, chunk):
        xi = rng.standard_normal((min(chunk, n_steps - t0), n_seeds, h.size)) * s
        for j in range(xi.shape[0]):
            t = t0 + j
            theta -= etas[t] * (h * theta + xi[j])
            if burn_in is not None and t >= burn_in:
                acc += theta * theta
    out = {"theta": theta, "loss": 0.5 * np.sum(h * theta ** 2, axis=1)}
    if burn_in is not None:
        out["mean_sq"] = acc / (n_steps - burn_in)
    return out


def second_moment_trajectory(h, *, eta=0.1, batch=1, sigma_g=1.0, noise="isotropic",
                             n_steps=10000, theta0_var=0.0):
    """Exact E[θ_i²] after each step of :func:`sgd_quadratic` (started with mean 0).

    .. math:: v_{t+1} = (1-\\eta_t h_i)^2 v_t + \\eta_t^2 s_i^2/B .

    Returns
    -------
    ndarray, shape (n_steps + 1, d): row t is E[θ²] after t steps (row 0 the
    initial variance).
    """
    h = _curvatures(h)
    n_steps = v.integer("n_steps", n_steps, low=1)
    batch = v.integer("batch", batch, low=1)
    sigma_g = v.real("sigma_g", sigma_g, positive=True)
    theta0_var = _init_var(theta0_var, h)
    etas = _etas(eta, n_steps)
    s2 = _noise_var(h, batch, sigma_g, noise)
    out = np.empty((n_steps + 1, h.size))
    out[0] = theta0_var
    vv = theta0_var.copy()
    for t in range(n_steps):
        vv = (1 - etas[t] * h) ** 2 * vv + etas[t] ** 2 * s2
        out[t + 1] = vv
    return out


# --------------------------------------------------------------------------
# schedules
# --------------------------------------------------------------------------

SCHEDULES = ("constant", "exponential", "cosine", "wsd")


def schedule(kind="cosine", n_steps=1000, *, peak=0.1, final=0.001, warmup_frac=0.05,
             decay_frac=0.2):
    """Learning rate per step for one step budget.

    Parameters
    ----------
    kind : {"constant", "exponential", "cosine", "wsd"}
        "constant": η_t = peak.  "exponential": peak·(final/peak)^{t/(n-1)}.
        "cosine": final + (peak-final)(1+cos(πt/(n-1)))/2.  "wsd"
        (warmup-stable-decay): linear warmup to ``peak`` over the first
        ``warmup_frac·n`` steps (η = peak·(t+1)/W), constant, then linear decay
        over the last ``decay_frac·n`` steps, ending exactly at ``final``.
    n_steps : int >= 2
        Step budget; every schedule returns exactly this many values.
    peak : float > 0
    final : float, 0 <= final <= peak (> 0 for "exponential")
    warmup_frac, decay_frac : float in [0, 1], warmup + decay <= 1 ("wsd" only)

    Returns
    -------
    ndarray, shape (n_steps,)
    """
    v.choice("kind", kind, set(SCHEDULES))
    n = v.integer("n_steps", n_steps, low=2)
    peak = v.real("peak", peak, positive=True)
    final = v.real("final", final, nonnegative=True, high=peak)
    t = np.arange(n)
    if kind == "constant":
        return np.full(n, peak)
    if kind == "exponential":
        if final <= 0:
            raise ValueError("final must be > 0 for kind='exponential'")
        return peak * (final / peak) ** (t / (n - 1))
    if kind == "cosine":
        return final + (peak - final) * 0.5 * (1 + np.cos(np.pi * t / (n - 1)))
    wf = v.real("warmup_frac", warmup_frac, nonnegative=True, high=1.0)
    df = v.real("decay_frac", decay_frac, nonnegative=True, high=1.0)
    if wf + df > 1:
        raise ValueError(f"warmup_frac + decay_frac must be <= 1, got {wf + df}")
    W = int(round(wf * n))
    D = int(round(df * n))
    eta = np.full(n, peak)
    if W:
        eta[:W] = peak * (np.arange(W) + 1) / W
    if D:
        eta[n - D:] = peak + (final - peak) * (np.arange(D) + 1) / D
    return eta


def plot_schedules(n_steps=4000, *, peak=0.5, final=0.005, ax=None, **kw):
    """The four schedules with one budget on one axis."""
    import matplotlib.pyplot as plt
    if ax is None:
        _, ax = plt.subplots(figsize=(6, 3.2))
    for k in SCHEDULES:
        ax.plot(schedule(k, n_steps, peak=peak, final=final, **kw), label=k)
    ax.set(xlabel="step", ylabel="learning rate η", yscale="log")
    ax.legend(fontsize=8)
    return ax


# --------------------------------------------------------------------------
# a non-convex 1-D landscape: narrow deep vs wide shallow minimum
# --------------------------------------------------------------------------

#: default landscape: (depth, centre, width) of the two Gaussian wells, and the
#: quartic confinement scale
DOUBLE_WELL = {"narrow": (0.4, -0.8, 0.2), "wide": (0.3, 0.8, 0.5), "confine": 0.05}


def double_well_loss(theta, *, wells=None):
    """L(θ) = -Σ_w a_w exp(-(θ-c_w)²/(2 s_w²)) + k θ⁴ (default :data:`DOUBLE_WELL`)."""
    p = DOUBLE_WELL if wells is None else wells
    th = np.asarray(theta, dtype=float)
    out = p["confine"] * th ** 4
    for key in ("narrow", "wide"):
        a, c, s = p[key]
        out = out - a * np.exp(-(th - c) ** 2 / (2 * s * s))
    return out


def double_well_grad(theta, *, wells=None):
    """dL/dθ of :func:`double_well_loss`."""
    p = DOUBLE_WELL if wells is None else wells
    th = np.asarray(theta, dtype=float)
    out = 4 * p["confine"] * th ** 3
    for key in ("narrow", "wide"):
        a, c, s = p[key]
        out = out + a * (th - c) / (s * s) * np.exp(-(th - c) ** 2 / (2 * s * s))
    return out


def double_well_barrier(*, wells=None):
    """Position of the barrier top between the two wells (grid search, resolution 1e-4)."""
    x = np.linspace(-0.9, 0.9, 20001)
    return float(x[np.argmax(double_well_loss(x, wells=wells))])



def boltzmann_wide_fraction(T, *, wells=None):
    """Exact fraction of exp(-L/T) on the wide side of the barrier (numerical quadrature)."""
    T = np.atleast_1d(np.asarray(T, dtype=float))
    if np.any(T <= 0):
        raise ValueError("T must be > 0")
    x = np.linspace(-4, 4, 80001)
    L = double_well_loss(x, wells=wells)
    xb = double_well_barrier(wells=wells)
    out = []
    for t in T:
        w = np.exp(-(L - L.min()) / t)
        out.append(w[x > xb].sum() / w.sum())
    return np.array(out)


def sgd_double_well(*, eta=0.01, batch=1, sigma_g=1.0, n_steps=20000, n_seeds=256,
                    burn_in=None, theta0=0.0, seed=0):
    """SGD with isotropic Gaussian gradient noise on :func:`double_well_loss`.

    θ ← θ − η_t (L'(θ) + ξ), ξ ~ N(0, σ_g²/B): for small η a discretised
    Langevin equation with temperature T_train = η σ_g²/(2B).

    Parameters
    ----------
    eta : float or array (n_steps,)
        Learning rate or schedule.
    batch : int >= 1
    sigma_g : float > 0 or array of shape (n_seeds,)
        Per-sample noise; an array gives each seed its own noise (e.g. a grid
        of temperatures simulated together).
    burn_in : int or None
        If given, also return ``wide_time_fraction``: per seed, the fraction
        of steps after burn_in spent on the wide side of the barrier.
    theta0 : float
        Start (0 = near the barrier top).

    Returns
    -------
    dict with ``theta`` (n_seeds,), ``wide`` (bool, final side) and
    optionally ``wide_time_fraction`` (n_seeds,).
    """
    n_steps = v.integer("n_steps", n_steps, low=1)
    n_seeds = v.integer("n_seeds", n_seeds, low=1)
    batch = v.integer("batch", batch, low=1)
    if np.ndim(sigma_g) == 0:
        sigma_g = v.real("sigma_g", sigma_g, positive=True)
    else:
        sigma_g = v.real_array("sigma_g", sigma_g, ndim=1)
        if sigma_g.shape[0] != n_seeds or np.any(sigma_g <= 0):
            raise ValueError(f"sigma_g must be > 0 and a scalar or of length n_seeds={n_seeds}")
    etas = _etas(eta, n_steps)
    if burn_in is not None:
        burn_in = v.integer("burn_in", burn_in, low=0, high=n_steps - 1)
    xb = double_well_barrier()
    rng = np.random.default_rng(seed)
    th = np.full(n_seeds, v.real("theta0", theta0))
    s = sigma_g / math.sqrt(batch)
    cnt = np.zeros(n_seeds)
    chunk = 1024
    for t0 in range(0, n_steps, chunk):
        xi = rng.standard_normal((min(chunk, n_steps - t0), n_seeds)) * s
        for j in range(xi.shape[0]):
            t = t0 + j
            th -= etas[t] * (double_well_grad(th) + xi[j])
            if burn_in is not None and t >= burn_in:
                cnt += th > xb
    out = {"theta": th, "wide": th > xb}
    if burn_in is not None:
        out["wide_time_fraction"] = cnt / (n_steps - burn_in)
    return out


# --------------------------------------------------------------------------
# inference temperature
# --------------------------------------------------------------------------

def softmax(z, *, tau=1.0):
    """softmax(z/τ) along the last axis (numerically stable).

    Parameters
    ----------
    z : array_like
        Logits.
    tau : float > 0
        Sampling temperature τ (inference only; leaves the model unchanged).
    """
    tau = v.real("tau", tau, positive=True)
    z = np.asarray(z, dtype=float) / tau
    z = z - z.max(axis=-1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=-1, keepdims=True)


def entropy(p):
    """Shannon entropy -Σ p log p (nats) along the last axis (0 log 0 = 0)."""
    p = np.asarray(p, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        return -np.sum(np.where(p > 0, p * np.log(p), 0.0), axis=-1)


def train_softmax_regression(*, n_classes=4, n_features=2, n_samples=2000, eta=0.2,
                             batch=32, n_steps=2000, seed=0):
    """Softmax regression trained by minibatch SGD on synthetic Gaussian blobs.

    Returns
    -------
    dict with ``W`` (n_features + 1, n_classes) weights (last row: bias), the
    data ``X``, ``y`` and ``logits`` = [X, 1] W.
    """
    K = v.integer("n_classes", n_classes, low=2)
    d = v.integer("n_features", n_features, low=1)
    n = v.integer("n_samples", n_samples, low=K)
    eta = v.real("eta", eta, positive=True)
    batch = v.integer("batch", batch, low=1)
    n_steps = v.integer("n_steps", n_steps, low=1)
    rng = np.random.default_rng(seed)
    centres = rng.standard_normal((K, d)) * 2.0
    y = rng.integers(0, K, n)
    X = centres[y] + rng.standard_normal((n, d))
    Xb = np.hstack([X, np.ones((n, 1))])
    W = np.zeros((d + 1, K))
    Y = np.eye(K)[y]
    for _ in range(n_steps):
        idx = rng.integers(0, n, batch)
        p = softmax(Xb[idx] @ W)
        W -= eta * Xb[idx].T @ (p - Y[idx]) / batch
    return {"W": W, "X": X, "y": y, "logits": Xb @ W}


# --------------------------------------------------------------------------
# Hopfield network
# --------------------------------------------------------------------------

def hebbian_couplings(patterns):
    """Hebbian couplings J_ij = (1/N) Σ_μ ξ_i^μ ξ_j^μ, zero diagonal.

    Parameters
    ----------
    patterns : array_like of ±1, shape (P, N)

    Returns
    -------
    ndarray, shape (N, N), symmetric, zero diagonal.
    """
    xi = np.asarray(patterns)
    if xi.ndim != 2 or not np.all(np.isin(xi, (-1, 1))):
        raise ValueError("patterns must be a (P, N) array of +-1")
    xi = xi.astype(float)
    J = xi.T @ xi / xi.shape[1]
    np.fill_diagonal(J, 0.0)
    return J


@nb.njit(cache=True)
def _recall_kernel(J, s, order, max_sweeps, beta, u):
    """Asynchronous updates in a fixed random order, local fields kept up to date.

    beta = inf (passed as a negative number) means zero temperature.
    Returns the number of sweeps done (stops early at T = 0 when no spin flips).
    """
    N = s.shape[0]
    hloc = J @ s.astype(np.float64)
    k = 0
    for sweep in range(max_sweeps):
        flips = 0
        for a in range(N):
            i = order[sweep, a]
            if beta < 0:
                new = 1 if hloc[i] > 0 else (-1 if hloc[i] < 0 else s[i])
            else:
                p = 1.0 / (1.0 + math.exp(-2.0 * beta * hloc[i]))
                new = 1 if u[sweep, a] < p else -1
            if new != s[i]:
                d = 2.0 * new
                for j in range(N):
                    hloc[j] += d * J[j, i]
                s[i] = new
                flips += 1
        k = sweep + 1
        if beta < 0 and flips == 0:
            break
    return k


def hopfield_recall(J, cue, *, T=0.0, max_sweeps=50, seed=0):
    """Run asynchronous Hopfield dynamics from ``cue``.

    Parameters
    ----------
    J : ndarray (N, N)
        Couplings (e.g. :func:`hebbian_couplings`).
    cue : array_like of ±1, shape (N,)
        Initial state.
    T : float >= 0, default 0
        Temperature; 0 gives the deterministic rule s_i ← sign(h_i) (ties
        keep s_i), stopped at the first sweep without a flip; T > 0 uses
        heat-bath updates for ``max_sweeps`` sweeps.
    max_sweeps : int >= 1
    seed : int >= 0
        Seeds the random update order (and heat-bath numbers).

    Returns
    -------
    final state (int8 array), number of sweeps done.
    """
    J = np.ascontiguousarray(v.real_array("J", J, ndim=2))
    N = J.shape[0]
    s = np.asarray(cue)
    if s.shape != (N,) or not np.all(np.isin(s, (-1, 1))):
        raise ValueError(f"cue must be a (N,) = ({N},) array of +-1")
    T = v.real("T", T, nonnegative=True)
    max_sweeps = v.integer("max_sweeps", max_sweeps, low=1)
    rng = np.random.default_rng(seed)
    order = np.argsort(rng.random((max_sweeps, N)), axis=1)
    u = rng.random((max_sweeps, N)) if T > 0 else np.zeros((1, 1))
    st = s.astype(np.int8).copy()
    k = _recall_kernel(J, st, order, max_sweeps, -1.0 if T == 0 else 1.0 / T, u)
    return st, k


def recall_vs_load(alphas, *, N=400, n_sets=8, n_cues=10, cue_noise=0.1, T=0.0,
                   max_sweeps=50, seed=0):
    """Retrieval overlap of stored patterns from noisy cues against the load α = P/N.

    For each α and each of ``n_sets`` independent random pattern sets
    (P = round(α N) patterns), ``n_cues`` stored patterns are each cued with a
    copy in which a fraction ``cue_noise`` of spins is flipped; the overlap
    m = ξ·s/N of the final state with the cued pattern is recorded.

    Returns
    -------
    dict with ``alpha`` (the realised P/N), ``overlap`` and ``overlap_err``
    (mean over cues and sets, s.e.m. over sets), ``success`` (fraction with
    m > 0.9) and its s.e.m., ``overlaps`` (all values, shape
    (len(alpha), n_sets, n_cues)).
    """
    al = v.real_array("alphas", alphas, ndim=1, min_len=1)
    N = v.integer("N", N, low=10)
    n_sets = v.integer("n_sets", n_sets, low=2)
    n_cues = v.integer("n_cues", n_cues, low=1)
    cue_noise = v.real("cue_noise", cue_noise, nonnegative=True, high=0.5)
    seed = v.integer("seed", seed, low=0)
    Ps = np.maximum(1, np.round(al * N).astype(int))
    ov = np.zeros((al.size, n_sets, n_cues))
    for a, P in enumerate(Ps):
        for k in range(n_sets):
            rng = np.random.default_rng([seed, a, k])
            xi = rng.choice(np.array([-1, 1], dtype=np.int8), size=(P, N))
            J = hebbian_couplings(xi)
            which = rng.permutation(P)[:n_cues] if P >= n_cues else rng.integers(0, P, n_cues)
            for c, mu in enumerate(which):
                cue = xi[mu].copy()
                flip = rng.random(N) < cue_noise
                cue[flip] *= -1
                s, _ = hopfield_recall(J, cue, T=T, max_sweeps=max_sweeps,
                                       seed=int(rng.integers(2 ** 31)))
                ov[a, k, c] = float(np.dot(s.astype(float), xi[mu])) / N
    per_set = ov.mean(axis=2)
    succ = (ov > 0.9).mean(axis=2)
    return {"alpha": Ps / N, "overlap": per_set.mean(axis=1),
            "overlap_err": per_set.std(axis=1, ddof=1) / np.sqrt(n_sets),
            "success": succ.mean(axis=1),
            "success_err": succ.std(axis=1, ddof=1) / np.sqrt(n_sets), "overlaps": ov}


def _ags_g(y, alpha):
    return math.erf(y) - y * (math.sqrt(2 * alpha) + 2 / math.sqrt(math.pi) * math.exp(-y * y))


def ags_overlap(alpha):
    """Retrieval overlap m(α) of the Hopfield model at T = 0 (replica symmetric).

    Amit, Gutfreund and Sompolinsky (1985/1987): m = erf(y) where y is the
    largest root of :math:`\\mathrm{erf}(y) = y\\,[\\sqrt{2\\alpha} +
    (2/\\sqrt\\pi)\\,e^{-y^2}]`.  NaN where no retrieval solution exists
    (α > α_c ≈ 0.138).

    Parameters
    ----------
    alpha : float or array, >= 0
        Load P/N.
    """
    from scipy.optimize import brentq
    al = np.atleast_1d(np.asarray(alpha, dtype=float))
    if np.any(al < 0):
        raise ValueError("alpha must be >= 0")
    out = np.full(al.shape, np.nan)
    for i, a in enumerate(al):
        if a == 0:
            out[i] = 1.0
            continue
        ys = np.linspace(0.05, 3.0 + 3.0 / math.sqrt(2 * a), 4000)
        g = np.array([_ags_g(y, a) for y in ys])
        idx = np.where(np.sign(g[:-1]) != np.sign(g[1:]))[0]
        if idx.size == 0:
            continue
        j = idx[-1]
        y = brentq(_ags_g, ys[j], ys[j + 1], args=(a,), xtol=1e-14)
        out[i] = math.erf(y)
    return out


def ags_alpha_c():
    """Largest load with a T = 0 retrieval solution (≈ 0.138), by bisection."""
    lo, hi = 0.05, 0.3
    for _ in range(50):
        mid = 0.5 * (lo + hi)
        lo, hi = (mid, hi) if np.isfinite(ags_overlap(mid)[0]) else (lo, mid)
    return 0.5 * (lo + hi)


# --------------------------------------------------------------------------
# the essay's lineage diagram
# --------------------------------------------------------------------------

#: node key -> (label, year in the essay, year we check, source, grid position)
LINEAGE = {
    "AN": ("Artificial neuron", "1943", "1943", "McCulloch & Pitts", (0, 1)),
    "Perc": ("Perceptron", "1957", "1957/58", "Rosenblatt", (1, 1)),
    "MLP": ("Multilayer perceptron", "—", "backprop 1986", "Rumelhart, Hinton & Williams",
            (2, 1)),
    "Ising": ("Ising model", "1925", "1925", "Ising", (0, 0)),
    "SG": ("Spin glass", "1975", "1975", "Edwards & Anderson; Sherrington & Kirkpatrick", (1, 0)),
    "Hop": ("Hopfield network", "1982", "1982", "Hopfield", (3.2, 0.5)),
    "BM": ("Boltzmann machine", "1983", "1983/85", "Hinton & Sejnowski; Ackley et al.", (4, 0)),
    "RBM": ("Restricted BM", "1986", "1986", "Smolensky (harmonium)", (5.2, 0.5)),
    "DBN": ("Deep belief nets", "2006", "2006", "Hinton, Osindero & Teh", (6, 0)),
    "ML": ("Modern ML", "", "", "", (7, 0.5)),
}

#: the essay's arrows
LINEAGE_EDGES = [("AN", "Perc"), ("Perc", "MLP"), ("MLP", "Hop"), ("Hop", "BM"), ("BM", "RBM"),
                 ("RBM", "DBN"), ("DBN", "ML"), ("Ising", "SG"), ("SG", "Hop"), ("SG", "BM")]


def plot_lineage(*, ax=None, checked=True):
    """Draw the essay's lineage diagram (networkx layout, matplotlib boxes).

    Parameters
    ----------
    checked : bool
        Label nodes with the checked years (else the essay's years).

    Returns
    -------
    fig, ax
    """
    import matplotlib.pyplot as plt
    import networkx as nx
    G = nx.DiGraph()
    G.add_edges_from(LINEAGE_EDGES)
    if not nx.is_directed_acyclic_graph(G):  # pragma: no cover - data sanity
        raise ValueError("LINEAGE_EDGES must form a DAG")
    pos = {k: (LINEAGE[k][4][0] * 1.6, LINEAGE[k][4][1] * 1.6) for k in G.nodes}
    if ax is None:
        fig, ax = plt.subplots(figsize=(13, 3.6))
    else:
        fig = ax.figure
    physics = {"Ising", "SG"}
    boxes = {}
    for k in nx.topological_sort(G):
        x, y = pos[k]
        lab, ye, yc = LINEAGE[k][:3]
        year = yc if checked else ye
        txt = lab if not year or year == "—" else f"{lab}\n({year})"
        col = "#fde0c5" if k in physics else ("#d4e6f1" if k in {"AN", "Perc", "MLP"}
                                              else "#e8daef")
        boxes[k] = ax.text(x, y, txt, ha="center", va="center", fontsize=8.5, zorder=3,
                           bbox=dict(boxstyle="round,pad=0.4", fc=col, ec="0.3"))
    fig.canvas.draw()          # lay out the text boxes, so arrows can be clipped to them
    for a, b in G.edges:
        ax.annotate("", xy=pos[b], xytext=pos[a],
                    arrowprops=dict(arrowstyle="-|>", color="0.35", lw=1.2,
                                    patchA=boxes[a].get_bbox_patch(),
                                    patchB=boxes[b].get_bbox_patch(),
                                    shrinkA=2, shrinkB=2, mutation_scale=12))
    ax.set_xlim(-0.9, 7 * 1.6 + 0.9)
    ax.set_ylim(-0.45, 1.6 + 0.45)
    ax.axis("off")
    return fig, ax


# --------------------------------------------------------------------------
# widgets
# --------------------------------------------------------------------------

def explore_sgd(eta=0.2, batch=4, kind="wsd", *, n_steps=4000, seed=0):
    """Sliders: learning rate, batch size and schedule of the quadratic SGD toy.

    Twelve modes, h log-spaced in [1e-3, 1], θ_i ~ N(0, 1/h_i) at the start,
    final rate = peak/100.  The figure shows the per-mode effective temperature
    h_i E[θ_i²] at the end of the budget (exact recursion, and 64 simulated seeds) against the
    equilibrium value at the final learning rate.  The static book shows the
    four schedules precomputed (peak η and batch at the given values).
    """
    import ipywidgets as w
    import matplotlib.pyplot as plt
    from .widgets import live_explorer
    h = np.logspace(-3, 0, 12)

    def draw(eta, batch, kind):
        sch = schedule(kind, n_steps, peak=eta, final=eta / 100)
        ex = second_moment_trajectory(h, eta=sch, batch=int(batch), n_steps=n_steps,
                                      theta0_var=1.0 / h)[-1]
        sim = sgd_quadratic(h, eta=sch, batch=int(batch), n_steps=n_steps, n_seeds=64,
                            theta0_var=1.0 / h, seed=seed)["theta"]
        fig, axes = plt.subplots(1, 2, figsize=(10, 3.6))
        axes[0].plot(sch)
        axes[0].set(xlabel="step", ylabel="η", yscale="log", title=f"schedule: {kind}")
        te = h * sim ** 2
        axes[1].errorbar(h, te.mean(0), te.std(0, ddof=1) / np.sqrt(te.shape[0]), fmt="o", ms=4,
                         label="simulated (64 seeds)")
        axes[1].plot(h, h * ex, "-", label="exact recursion")
        eq = h * stationary_variance(h, eta=sch[-1], batch=int(batch))
        axes[1].plot(h, eq, "k--", label="equilibrium at final η")
        axes[1].set(xscale="log", yscale="log", xlabel="curvature $h_i$",
                    ylabel=r"mode temperature $h_i\,E[\theta_i^2]$",
                    title=f"final loss {0.5 * np.sum(h * ex):.3g} (exact mean)")
        axes[1].legend(fontsize=8)
        fig.tight_layout()
        return fig

    controls = {
        "eta": w.FloatLogSlider(value=eta, base=10, min=-2.5, max=0.2, step=0.1,
                                description="peak η"),
        "batch": w.IntSlider(value=batch, min=1, max=64, step=1, description="batch B"),
        "kind": w.Dropdown(options=list(SCHEDULES), value=kind, description="schedule"),
    }
    return live_explorer(draw, controls, static_param="kind")


def explore_hopfield(alpha=0.1, *, N=300, n_cues=20, seed=0):
    """Slider for the load α: histogram of recall overlaps from 10 %-noisy cues.

    The static book shows α = 0.05, 0.1, 0.13, 0.15, 0.2, 0.3 precomputed
    (plus ``alpha`` if it differs), across the AGS capacity α_c ≈ 0.138.
    """
    import ipywidgets as w
    import matplotlib.pyplot as plt
    from .widgets import live_explorer

    def draw(alpha):
        r = recall_vs_load([alpha], N=N, n_sets=2, n_cues=n_cues, seed=seed)
        fig, ax = plt.subplots(figsize=(6, 3.4))
        ax.hist(r["overlaps"].ravel(), bins=np.linspace(-0.2, 1.0, 49))
        m = ags_overlap(alpha)[0]
        if np.isfinite(m):
            ax.axvline(m, color="k", ls="--", label=f"AGS m = {m:.3f}")
            ax.legend(fontsize=8)
        else:
            ax.text(0.05, 0.9, "AGS: no retrieval state (α > 0.138)", transform=ax.transAxes)
        ax.set(xlabel="overlap with the cued pattern", ylabel="cues",
               title=f"N = {N}, α = P/N = {r['alpha'][0]:.3f}")
        return fig

    controls = {"alpha": w.FloatSlider(value=alpha, min=0.01, max=0.3, step=0.01,
                                       description="load α")}
    return live_explorer(draw, controls, static_values=(0.05, 0.1, 0.13, 0.15, 0.2, 0.3))
