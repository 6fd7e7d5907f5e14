"""Learning systems as Ising engines: small, exactly checkable toys.

* **SGD as thermodynamics** on a quadratic loss
  :math:`L(\\theta) = \\tfrac12\\sum_i h_i\\theta_i^2` (eigenbasis of the
  Hessian) with minibatch gradient noise: :func:`sgd_quadratic` simulates
  many seeds at once, :func:`stationary_variance` and
  :func:`second_moment_trajectory` give the exact answers of the linear
  recursion, :func:`t_train` the small-η temperature.
* **Real minibatch noise**: minibatch SGD (B distinct points per step) on a
  fixed linear-regression data set, against the additive Gaussian noise model
  for which T_train ∝ η/B holds by construction (:func:`linreg_data`,
  :func:`sgd_linear_regression`, :func:`fluctuation_scaling`,
  :func:`power_law_exponents`).
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
  :func:`ags_overlap`, :func:`ags_alpha_c`; the capacity located over
  several N (:func:`hopfield_from_patterns`, :func:`capacity_scan`,
  :func:`capacity_estimates`).
* **Lineage diagram** of the essay: :data:`LINEAGE`, :func:`plot_lineage`,
  and its years and arrows checked against cited sources
  (:data:`LINEAGE_SOURCES`, :func:`lineage_checks`).
* Helpers that turn results into :mod:`utacbook.claims` measurements.

Symbols follow the essay's legend: :math:`T_{\\rm train}` is the temperature
of the weight ensemble induced by SGD noise; τ rescales logits at inference.
"""

from __future__ import annotations

import functools
import math

import numba as nb
import numpy as np

from utacbook import _validate as v
from utacbook._kernels.rng import make_streams, next_double, next_normal

__all__ = [
    't_train', 'stationary_variance', 'sgd_quadratic', 'second_moment_trajectory', 'schedule', 'SCHEDULES',
    'double_well_loss', 'double_well_grad', 'double_well_barrier', 'sgd_double_well', 'double_well_equilibrium',
    'spot_check_double_well_equilibrium', 'double_well_anneals', 'spot_check_double_well_anneals',
    'boltzmann_wide_fraction',
    'softmax', 'entropy', 'train_softmax_regression', 'hebbian_couplings', 'hopfield_recall', 'recall_vs_load',
    'ags_overlap', 'ags_alpha_c', 'LINEAGE', 'LINEAGE_EDGES', 'plot_lineage', 'plot_schedules', 'explore_sgd',
    'explore_hopfield', 'double_well_cores', 'linreg_data', 'sgd_linear_regression', 'power_law_exponents',
    'fluctuation_scaling', 'hopfield_from_patterns', 'capacity_scan', 'capacity_estimates', 'scan_curves',
    'LINEAGE_SOURCES', 'MLP_DATINGS', 'lineage_checks', 'scaling_measurements', 'ratio_measurement',
    'paired_difference', 'binomial_fraction', 'sample_double_well_boltzmann',
]


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
    dict
        With ``theta`` (n_seeds, d) final weights, ``loss`` (n_seeds,) final
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
    ndarray, shape (n_steps + 1, d)
        row t is E[θ²] after t steps (row 0 the
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
# minibatch SGD on data: does the stationary spread scale as η/B?
# --------------------------------------------------------------------------

def linreg_data(*, n=5000, scales=(1.0, 0.5, 0.25), w_true=(1.0, -1.0, 0.5), noise=1.0, seed=0):
    """A fixed synthetic linear-regression data set and its exact minimum.

    Features x_i ~ N(0, diag(scales)), targets y_i = x_i·w_true + ε_i with
    ε_i ~ N(0, noise²).  The loss is L(w) = (1/2n) Σ_i (x_i·w − y_i)².

    Returns
    -------
    dict
        With ``X`` (n, d), ``y`` (n,), ``w_star`` (the exact least-squares
        minimum), ``H`` = XᵀX/n (the Hessian), ``C`` (covariance of the
        per-sample gradients x_i r_i at w*, r_i = x_i·w* − y_i; their mean is 0
        at the minimum) and its Cholesky factor ``C_chol``.
    """
    n = v.integer("n", n, low=10)
    sc = v.real_array("scales", scales, ndim=1, min_len=1)
    wt = v.real_array("w_true", w_true, ndim=1)
    if wt.shape != sc.shape or np.any(sc <= 0):
        raise ValueError("scales must be > 0 and w_true must have the same length")
    noise = v.real("noise", noise, nonnegative=True)
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, sc.size)) * np.sqrt(sc)
    y = X @ wt + noise * rng.standard_normal(n)
    w_star = np.linalg.lstsq(X, y, rcond=None)[0]
    r = X @ w_star - y
    G = X * r[:, None]
    C = G.T @ G / n - np.outer(G.mean(0), G.mean(0))
    return {"X": X, "y": y, "w_star": w_star, "H": X.T @ X / n, "C": C,
            "C_chol": np.linalg.cholesky(C)}


@nb.njit(cache=True)
def _sgd_linreg_kernel(X, y, w_star, H, Lc, eta, batch, n_steps, burn_in, gaussian, states, out):
    n, d = X.shape
    R = out.shape[0]
    g = np.empty(d)
    z = np.empty(d)
    dev = np.empty(d)
    inv_sqrt_b = 1.0 / math.sqrt(batch)
    for r in range(R):
        st = states[r]
        w = w_star.copy()
        idx = np.arange(n)
        acc = 0.0
        for t in range(n_steps):
            for a in range(d):
                g[a] = 0.0
            if gaussian:
                for a in range(d):
                    dev[a] = w[a] - w_star[a]
                    z[a] = next_normal(st)
                for a in range(d):
                    s = 0.0
                    for b in range(d):
                        s += H[a, b] * dev[b] + Lc[a, b] * z[b] * inv_sqrt_b
                    g[a] = s
            else:
                # B distinct samples: a partial Fisher-Yates shuffle of the index array
                for j in range(batch):
                    k = j + np.int64(next_double(st) * (n - j))
                    i = idx[k]
                    idx[k] = idx[j]
                    idx[j] = i
                    res = -y[i]
                    for a in range(d):
                        res += X[i, a] * w[a]
                    for a in range(d):
                        g[a] += X[i, a] * res
                for a in range(d):
                    g[a] /= batch
            for a in range(d):
                w[a] -= eta * g[a]
            if t >= burn_in:
                s2 = 0.0
                for a in range(d):
                    e = w[a] - w_star[a]
                    s2 += e * e
                acc += s2
        out[r] = acc / (n_steps - burn_in)


def sgd_linear_regression(data, *, eta=0.01, batch=8, noise="minibatch", n_steps=20000,
                          burn_in=2000, n_replicas=32, seed=0):
    """Stationary spread of SGD around the minimum of a linear regression.

    Every replica starts at the exact minimum w* and runs ``n_steps`` steps
    w ← w − η g.  With ``noise="minibatch"`` g is the mean gradient of B
    *distinct* data points drawn at random from the fixed data set (without
    replacement within a minibatch, independently from step to step): real
    minibatch noise, whose covariance depends on w and carries the
    finite-population factor (n − B)/(n − 1).  With ``noise="gaussian"`` g is
    the exact gradient H(w − w*) plus additive Gaussian noise of covariance
    C/B: the textbook noise model, for which the spread is ∝ η/B by
    construction (to O(ηh)).

    Parameters
    ----------
    data : dict from :func:`linreg_data`
    eta : float > 0
    batch : int in [1, n]
    noise : {"minibatch", "gaussian"}
    n_steps, burn_in : int
        Steps, and steps discarded before the time average.
    n_replicas : int >= 2
        Independent replicas (one random stream each).
    seed : int >= 0

    Returns
    -------
    dict
        With ``msd`` (n_replicas,): per replica the time average of
        ``|w − w*|²`` after burn-in, and its mean and standard error over replicas
        (``mean``, ``err``).
    """
    X = np.ascontiguousarray(data["X"], dtype=float)
    n = X.shape[0]
    eta = v.real("eta", eta, positive=True)
    batch = v.integer("batch", batch, low=1, high=n)
    v.choice("noise", noise, {"minibatch", "gaussian"})
    n_steps = v.integer("n_steps", n_steps, low=2)
    burn_in = v.integer("burn_in", burn_in, low=0, high=n_steps - 1)
    n_replicas = v.integer("n_replicas", n_replicas, low=2)
    states, _ = make_streams(seed, n_replicas)
    out = np.empty(n_replicas)
    _sgd_linreg_kernel(X, np.ascontiguousarray(data["y"], dtype=float),
                       np.ascontiguousarray(data["w_star"], dtype=float),
                       np.ascontiguousarray(data["H"], dtype=float),
                       np.ascontiguousarray(data["C_chol"], dtype=float),
                       eta, batch, n_steps, burn_in, noise == "gaussian", states, out)
    return {"msd": out, "mean": float(out.mean()),
            "err": float(out.std(ddof=1) / math.sqrt(n_replicas))}


def power_law_exponents(eta, batch, value, err):
    """Weighted least-squares fit of log value = c + a log η − b log B.

    Returns
    -------
    dict
        With ``a``, ``a_err``, ``b``, ``b_err`` (one standard error from
        the fit covariance, relative errors err/value as weights), ``c`` and
        ``chi2_dof``.  T ∝ η/B predicts a = b = 1.
    """
    eta, batch, value, err = (np.asarray(x, dtype=float) for x in (eta, batch, value, err))
    if np.any(value <= 0) or np.any(err <= 0):
        raise ValueError("value and err must be > 0")
    A = np.column_stack([np.ones_like(eta), np.log(eta), -np.log(batch)])
    yv = np.log(value)
    wgt = (value / err) ** 2
    cov = np.linalg.inv(A.T @ (A * wgt[:, None]))
    p = cov @ (A.T @ (wgt * yv))
    res = yv - A @ p
    dof = max(1, eta.size - 3)
    return {"c": float(p[0]), "a": float(p[1]), "a_err": float(math.sqrt(cov[1, 1])),
            "b": float(p[2]), "b_err": float(math.sqrt(cov[2, 2])),
            "chi2_dof": float(np.sum(wgt * res ** 2) / dof)}


def fluctuation_scaling(*, etas=(0.005, 0.01, 0.02), batches=(2, 8, 32), time=200.0, burn=20.0,
                        n_replicas=32, n=5000, data_seed=0, seed=0):
    """Stationary spread of SGD on a linear regression over a grid of η and B.

    For each η and B (and for both noise models of
    :func:`sgd_linear_regression`) the replicas run ``time/η`` steps after
    ``burn/η`` discarded ones (the same number of relaxation times at every
    η), and the exponents of ``⟨|w − w*|²⟩ ∝ η^a B^(−b)`` are fitted
    (:func:`power_law_exponents`).

    Returns
    -------
    dict
        With ``eta``, ``batch`` (the grid, flattened), ``data``, and for each
        noise model ("minibatch", "gaussian") a dict with ``mean``, ``err`` (per
        grid point) and the fit (``a``, ``a_err``, ``b``, ``b_err``,
        ``chi2_dof``); ``eta_h_max`` (largest η × Hessian eigenvalue) and
        ``batch_fraction`` (largest B/n).
    """
    data = linreg_data(n=n, seed=data_seed)
    E, Bg = np.meshgrid(np.asarray(etas, float), np.asarray(batches, int), indexing="ij")
    E, Bg = E.ravel(), Bg.ravel()
    out = {"eta": E, "batch": Bg, "data": data,
           "eta_h_max": float(E.max() * np.linalg.eigvalsh(data["H"]).max()),
           "batch_fraction": float(Bg.max() / n)}
    for m, noise in enumerate(("minibatch", "gaussian")):
        means, errs = np.empty(E.size), np.empty(E.size)
        for k, (e, b) in enumerate(zip(E, Bg)):
            r = sgd_linear_regression(data, eta=float(e), batch=int(b), noise=noise,
                                      n_steps=int(round(time / e)), burn_in=int(round(burn / e)),
                                      n_replicas=n_replicas, seed=np.random.SeedSequence([seed, m, k]))
            means[k], errs[k] = r["mean"], r["err"]
        out[noise] = {"mean": means, "err": errs, **power_law_exponents(E, Bg, means, errs)}
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


def double_well_equilibrium(*, temperatures=(0.03, 0.05, 0.075, 0.1, 0.15, 0.2, 0.3), eta=0.005,
                            n_per_T=64, n_steps=60000, burn_in=5000, check_steps=6000, seed=21):
    """The chapter's equilibrium run on the double well, for a stored result.

    One :func:`sgd_double_well` call: ``n_per_T`` seeds per training
    temperature (``sigma_g = sqrt(2 T / eta)``, seeds ordered by temperature),
    all started at the barrier top, ``n_steps`` steps, statistics after
    ``burn_in``.  The same call with ``check_steps`` steps is stored under
    ``check``: a cheap re-run of it (:func:`spot_check_double_well_equilibrium`)
    confirms that code and seeds still give the stored numbers.

    Returns
    -------
    dict
        ``theta``, ``wide_time_fraction``, ``transitions`` (one per seed) of
        the full run, and ``check`` with the same three of the short run.
    """
    Ts = v.real_array("temperatures", temperatures, ndim=1, min_len=1)
    n_per_T = v.integer("n_per_T", n_per_T, low=2)
    sg = np.repeat(np.sqrt(2 * Ts / eta), n_per_T)
    kw = dict(eta=eta, sigma_g=sg, n_seeds=sg.size, burn_in=burn_in, theta0=double_well_barrier(),
              seed=seed)
    keys = ("theta", "wide_time_fraction", "transitions")
    full = sgd_double_well(n_steps=n_steps, **kw)
    check = sgd_double_well(n_steps=check_steps, **kw)
    return {**{k: full[k] for k in keys}, "check": {k: check[k] for k in keys}}


def double_well_anneals(*, T_hot=0.3, eta=0.005, eta_cold=1e-4, anneal_steps=(300, 3000, 30000), n_seeds=256,
                        start_seed=(22, 1), seed=22, T0=0.05, etas_narrow=(0.005, 0.25), seed_narrow=23):
    """The chapter's annealing runs on the double well, for a stored result.

    Anneals: ``n_seeds`` runs started from :func:`sample_double_well_boltzmann`
    ``(T_hot, n_seeds, seed=start_seed)``, noise ``sigma_g = sqrt(2 T_hot /
    eta)``, learning rate ``schedule("exponential", n, peak=eta,
    final=eta_cold)`` for each n of ``anneal_steps`` (seed ``seed``).  Narrow
    starts: ``n_seeds`` runs from the narrow well's centre at T_train = T0, for
    each learning rate e of ``etas_narrow``, ``int(100 / e)`` steps (seed
    ``seed_narrow``).  Each run's task is independent, so any one can be
    re-run alone (:func:`spot_check_double_well_anneals`).

    Returns
    -------
    dict
        ``anneal_wide`` and ``narrow_wide``: per run of each list, the final
        side of every seed (True: wide basin).
    """
    return {"anneal_wide": [_dw_anneal(T_hot, eta, eta_cold, n, n_seeds, start_seed, seed)["wide"]
                            for n in anneal_steps],
            "narrow_wide": [_dw_narrow(T0, e, n_seeds, seed_narrow)["wide"] for e in etas_narrow]}


def _dw_anneal(T_hot, eta, eta_cold, n, n_seeds, start_seed, seed):
    theta_hot = sample_double_well_boltzmann(T_hot, n_seeds, seed=list(start_seed))
    sch = schedule("exponential", n, peak=eta, final=eta_cold)
    return sgd_double_well(eta=sch, sigma_g=np.sqrt(2 * T_hot / eta), n_steps=n, n_seeds=n_seeds,
                           theta0=theta_hot, seed=seed)


def _dw_narrow(T0, e, n_seeds, seed):
    return sgd_double_well(eta=e, sigma_g=np.sqrt(2 * T0 / e), n_steps=int(100 / e), n_seeds=n_seeds,
                           theta0=DOUBLE_WELL["narrow"][1], seed=seed)


def spot_check_double_well_anneals(rec, *, anneal_index=0, narrow_index=1):
    """Re-run one anneal and one narrow-start run of a stored :func:`double_well_anneals`; identical?

    Returns
    -------
    dict
        ``anneal_steps`` and ``narrow_eta`` of the re-runs, ``identical`` (bool).
    """
    p = rec.provenance["params"]
    n = p["anneal_steps"][anneal_index]
    e = p["etas_narrow"][narrow_index]
    a = _dw_anneal(p["T_hot"], p["eta"], p["eta_cold"], n, p["n_seeds"], p["start_seed"], p["seed"])
    b = _dw_narrow(p["T0"], e, p["n_seeds"], p["seed_narrow"])
    ok = (a["wide"].tolist() == rec["anneal_wide"][anneal_index]
          and b["wide"].tolist() == rec["narrow_wide"][narrow_index])
    return {"anneal_steps": int(n), "narrow_eta": float(e), "identical": bool(ok)}


def spot_check_double_well_equilibrium(rec):
    """Re-run the short check run of a stored :func:`double_well_equilibrium`; identical bit for bit?

    Parameters
    ----------
    rec : utacbook.stored.StoredResult

    Returns
    -------
    dict
        ``steps`` (of the re-run), ``identical`` (bool).
    """
    p = rec.provenance["params"]
    sg = np.repeat(np.sqrt(2 * np.asarray(p["temperatures"], dtype=float) / p["eta"]), p["n_per_T"])
    again = sgd_double_well(eta=p["eta"], sigma_g=sg, n_seeds=sg.size, n_steps=p["check_steps"],
                            burn_in=p["burn_in"], theta0=double_well_barrier(), seed=p["seed"])
    ok = all(np.array_equal(again[k], np.asarray(x, dtype=float)) for k, x in rec["check"].items())
    return {"steps": int(p["check_steps"]), "identical": bool(ok)}


def double_well_barrier(*, wells=None):
    """Position of the barrier top between the two wells (grid search, resolution 1e-4)."""
    x = np.linspace(-0.9, 0.9, 20001)
    return float(x[np.argmax(double_well_loss(x, wells=wells))])



def double_well_cores(*, wells=None):
    """The cores of the two wells, (θ_narrow_max, θ_wide_min): within one width of each centre.

    A run is counted in the narrow well once θ <= c_n + w_n and in the wide
    well once θ >= c_w - w_w; a basin-to-basin transition is a move from one
    core to the other (:func:`sgd_double_well`).
    """
    p = DOUBLE_WELL if wells is None else wells
    _, cn, sn = p["narrow"]
    _, cw, sw = p["wide"]
    lo, hi = cn + sn, cw - sw
    xb = double_well_barrier(wells=wells)
    if not lo < xb < hi:  # pragma: no cover - data sanity
        raise ValueError("the barrier must lie between the two cores")
    return lo, hi


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


def sample_double_well_boltzmann(T, n, *, wells=None, seed=0):
    """Draw ``n`` positions from the Boltzmann law exp(-L(θ)/T) of :func:`double_well_loss`.

    Inverse-CDF sampling on the quadrature grid of
    :func:`boltzmann_wide_fraction` (80 001 points on [-4, 4]), linearly
    interpolated, so the fraction drawn beyond the barrier has expectation
    ``boltzmann_wide_fraction(T)`` up to the grid resolution.

    Parameters
    ----------
    T : float > 0
        Temperature T_train.
    n : int >= 1
        Number of draws.
    seed : int or sequence of int
        Seed of :func:`numpy.random.default_rng`.

    Returns
    -------
    array (n,) of float
    """
    t = v.real("T", T, positive=True)
    n = v.integer("n", n, low=1)
    x = np.linspace(-4, 4, 80001)
    w = np.exp(-(double_well_loss(x, wells=wells) - double_well_loss(x, wells=wells).min()) / t)
    cdf = np.concatenate([[0.0], np.cumsum(0.5 * (w[1:] + w[:-1]) * np.diff(x))])
    cdf /= cdf[-1]
    u = np.random.default_rng(seed).random(n)
    return np.interp(u, cdf, x)


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
        of steps after burn_in spent on the wide side of the barrier, and
        ``transitions``: per seed, the number of basin-to-basin transitions
        after burn_in, counted between the cores of the two wells
        (:func:`double_well_cores`), so that jitter at the barrier top does
        not count.
    theta0 : float or array of shape (n_seeds,)
        Start (0 = near the barrier top); an array gives each seed its own
        start (e.g. a sample of :func:`sample_double_well_boltzmann`).

    Returns
    -------
    dict
        With ``theta`` (n_seeds,), ``wide`` (bool, final side) and
        optionally ``wide_time_fraction`` and ``transitions`` (n_seeds,).
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
    lo, hi = double_well_cores()
    rng = np.random.default_rng(seed)
    if np.ndim(theta0) == 0:
        th = np.full(n_seeds, v.real("theta0", theta0))
    else:
        th = v.real_array("theta0", theta0, ndim=1).astype(float).copy()
        if th.shape[0] != n_seeds:
            raise ValueError(f"theta0 must be a scalar or of length n_seeds={n_seeds}")
    s = sigma_g / math.sqrt(batch)
    cnt = np.zeros(n_seeds)
    core = np.where(th <= lo, -1, np.where(th >= hi, 1, 0))
    trans = np.zeros(n_seeds)
    chunk = 1024
    for t0 in range(0, n_steps, chunk):
        xi = rng.standard_normal((min(chunk, n_steps - t0), n_seeds)) * s
        for j in range(xi.shape[0]):
            t = t0 + j
            th -= etas[t] * (double_well_grad(th) + xi[j])
            if burn_in is not None:
                new = np.where(th <= lo, -1, np.where(th >= hi, 1, core))
                if t >= burn_in:
                    cnt += th > xb
                    trans += (core != 0) & (new != core)
                core = new
    out = {"theta": th, "wide": th > xb}
    if burn_in is not None:
        out["wide_time_fraction"] = cnt / (n_steps - burn_in)
        out["transitions"] = trans
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
    dict
        With ``W`` (n_features + 1, n_classes) weights (last row: bias), the
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
    dict
        With ``alpha`` (the realised P/N), ``overlap`` and ``overlap_err``
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


def _ags_g_grid(ys, alpha):
    """:func:`_ags_g` on a grid, vectorised; its signs are those of the scalar function.

    Only the signs are used (to bracket the root); values within 1e-9 of 0,
    where the vectorised and the scalar arithmetic could round to different
    signs, are recomputed with :func:`_ags_g`.
    """
    from scipy.special import erf
    g = erf(ys) - ys * (math.sqrt(2 * alpha) + 2 / math.sqrt(math.pi) * np.exp(-ys * ys))
    for i in np.nonzero(np.abs(g) < 1e-9)[0]:
        g[i] = _ags_g(float(ys[i]), alpha)
    return g


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
        g = _ags_g_grid(ys, a)
        idx = np.where(np.sign(g[:-1]) != np.sign(g[1:]))[0]
        if idx.size == 0:
            continue
        j = idx[-1]
        y = brentq(_ags_g, ys[j], ys[j + 1], args=(a,), xtol=1e-14)
        out[i] = math.erf(y)
    return out


@functools.lru_cache(maxsize=1)
def ags_alpha_c():
    """Largest load with a T = 0 retrieval solution (≈ 0.138), by bisection (computed once)."""
    lo, hi = 0.05, 0.3
    for _ in range(50):
        mid = 0.5 * (lo + hi)
        lo, hi = (mid, hi) if np.isfinite(ags_overlap(mid)[0]) else (lo, mid)
    return 0.5 * (lo + hi)


# --------------------------------------------------------------------------
# Hopfield capacity: the retrieval transition located over several N
# --------------------------------------------------------------------------

@nb.njit(cache=True)
def _hopfield_from_pattern(xiT, mu0, st, max_sweeps, s):
    """Zero-temperature asynchronous dynamics started at stored pattern ``mu0``.

    Works with the pattern overlaps M_μ = Σ_i ξ_i^μ s_i instead of the
    coupling matrix: the field on spin i is
    h_i = (Σ_μ ξ_i^μ M_μ − P s_i)/N (J_ii = 0), an exact integer up to 1/N,
    and a flip updates all M_μ in O(P).  Every sweep visits the spins in a
    fresh random order; ties (h_i = 0) keep s_i; stops after a sweep
    without a flip.  ``s`` (length N) receives the final state.  Returns
    (final overlap with pattern mu0, sweeps done).
    """
    N, P = xiT.shape
    for i in range(N):
        s[i] = xiT[i, mu0]
    M = np.zeros(P, np.int64)
    for i in range(N):
        for mu in range(P):
            M[mu] += xiT[i, mu] * s[i]
    order = np.arange(N)
    sweeps = 0
    for sweep in range(max_sweeps):
        for a in range(N - 1, 0, -1):
            b = np.int64(next_double(st) * (a + 1))
            tmp = order[a]
            order[a] = order[b]
            order[b] = tmp
        flips = 0
        for a in range(N):
            i = order[a]
            f = -P * s[i]
            for mu in range(P):
                f += xiT[i, mu] * M[mu]
            new = s[i]
            if f > 0:
                new = 1
            elif f < 0:
                new = -1
            if new != s[i]:
                for mu in range(P):
                    M[mu] += 2 * new * xiT[i, mu]
                s[i] = new
                flips += 1
        sweeps = sweep + 1
        if flips == 0:
            break
    return M[mu0] / N, sweeps


@nb.njit(cache=True)
def _hopfield_starts(xiT, mus, states, max_sweeps, out, n_sweeps, finals):
    for r in range(mus.shape[0]):
        out[r], n_sweeps[r] = _hopfield_from_pattern(xiT, mus[r], states[r], max_sweeps, finals[r])


def hopfield_from_patterns(patterns, starts, *, max_sweeps=500, seed=0, return_states=False):
    """Final overlaps of T = 0 Hopfield dynamics started at stored patterns.

    Parameters
    ----------
    patterns : array_like of ±1, shape (P, N)
    starts : array_like of int
        Indices of the patterns to start from (one run each).
    max_sweeps : int >= 1
    seed : int or SeedSequence
        Seeds the random update orders (one stream per run).
    return_states : bool, default False
        Also return the final states, shape (len(starts), N).

    Returns
    -------
    overlaps : float array
        m = ξ^μ·s/N of the final state with its start pattern.
    sweeps : int array
    states : int array
        The final states, only with ``return_states=True``.
    """
    xi = np.asarray(patterns)
    if xi.ndim != 2 or not np.all(np.isin(xi, (-1, 1))):
        raise ValueError("patterns must be a (P, N) array of +-1")
    mus = np.asarray(starts, dtype=np.int64)
    if mus.ndim != 1 or np.any(mus < 0) or np.any(mus >= xi.shape[0]):
        raise ValueError(f"starts must be indices of patterns in [0, {xi.shape[0]})")
    max_sweeps = v.integer("max_sweeps", max_sweeps, low=1)
    states, _ = make_streams(seed, max(1, mus.size))
    out = np.empty(mus.size)
    sw = np.empty(mus.size, dtype=np.int64)
    finals = np.empty((mus.size, xi.shape[1]), dtype=np.int64)
    _hopfield_starts(np.ascontiguousarray(xi.T.astype(np.int64)), mus, states, max_sweeps, out, sw, finals)
    return (out, sw, finals) if return_states else (out, sw)


def capacity_scan(alphas=None, sizes=(100, 200, 400, 800), *, n_sets=20, n_starts=10,
                  threshold=0.9, max_sweeps=500, seed=0):
    """Retrieval of stored patterns against the load α = P/N, for several N.

    For each N and α (P = round(αN) patterns), ``n_sets`` independent random
    pattern sets are drawn; in each, T = 0 dynamics starts from ``n_starts``
    different stored patterns (:func:`hopfield_from_patterns`).  Pattern set
    k at (N, P) is seeded by (seed, N, P, k), so the values for one N do not
    depend on which other sizes or loads are scanned.

    Returns
    -------
    dict (JSON-ready)
        With ``alpha`` (the grid), ``sizes``, ``threshold`` and,
        per size (key ``str(N)``), ``P``, ``overlap_sets`` and ``success_sets``
        (shape (n_alpha, n_sets): per pattern set, the mean final overlap and the
        fraction of starts that end with m > threshold), ``max_sweeps_hit``
        (runs stopped by the sweep cap, should be 0).
    """
    al = np.round(np.arange(0.05, 0.2501, 0.01), 4) if alphas is None else \
        v.real_array("alphas", alphas, ndim=1, min_len=2)
    n_sets = v.integer("n_sets", n_sets, low=2)
    n_starts = v.integer("n_starts", n_starts, low=1)
    threshold = v.real("threshold", threshold, low=-1.0, high=1.0)
    seed = v.integer("seed", seed, low=0)
    out = {"alpha": al.tolist(), "sizes": [int(N) for N in sizes], "threshold": threshold,
           "n_sets": n_sets, "n_starts": n_starts}
    for N in sizes:
        N = v.integer("N", N, low=10)
        Ps = np.maximum(1, np.round(al * N).astype(int))
        ov = np.empty((al.size, n_sets))
        su = np.empty((al.size, n_sets))
        hit = 0
        for a, P in enumerate(Ps):
            for k in range(n_sets):
                ss = np.random.SeedSequence([seed, N, int(P), k])
                pat_seq, run_seq = ss.spawn(2)
                rng = np.random.default_rng(pat_seq)
                xi = rng.choice(np.array([-1, 1], dtype=np.int8), size=(P, N))
                mus = rng.permutation(P)[:n_starts] if P >= n_starts else rng.integers(0, P, n_starts)
                m, sw = hopfield_from_patterns(xi, mus, max_sweeps=max_sweeps, seed=run_seq)
                ov[a, k] = m.mean()
                su[a, k] = np.mean(m > threshold)
                hit += int(np.sum(sw >= max_sweeps))
        out[str(N)] = {"P": Ps.tolist(), "overlap_sets": ov.tolist(), "success_sets": su.tolist(),
                       "max_sweeps_hit": hit}
    return out


def _half_crossing(alpha, f, level=0.5):
    """The load where f falls through ``level`` (linear interpolation; the last crossing from above)."""
    f = np.asarray(f, float)
    idx = np.where((f[:-1] >= level) & (f[1:] < level))[0]
    if idx.size == 0:
        return np.nan
    j = idx[-1]
    return float(alpha[j] + (f[j] - level) / (f[j] - f[j + 1]) * (alpha[j + 1] - alpha[j]))


def _curve_crossing(alpha, f1, f2, lo=0.08):
    """Load above ``lo`` where f1 − f2 changes sign from <= 0 to > 0 (the last such change).

    Below the transition both curves sit at 1 and their difference only
    fluctuates about 0; above it the smaller network (f1) retrieves more
    often, until both reach 0.  The last change from <= 0 to > 0 is the
    crossing.
    """
    d = np.asarray(f1, float) - np.asarray(f2, float)
    alpha = np.asarray(alpha, float)
    for j in range(alpha.size - 2, -1, -1):
        if alpha[j] >= lo and d[j] <= 0 < d[j + 1]:
            if d[j] == 0:
                return float(alpha[j])
            return float(alpha[j] + (-d[j]) / (d[j + 1] - d[j]) * (alpha[j + 1] - alpha[j]))
    return np.nan


def capacity_estimates(scan, *, level=0.5, n_boot=400, seed=0):
    """α_c from a :func:`capacity_scan`: half-retrieval loads and their N → ∞ limit.

    * α_½(N): where the retrieval fraction (m > threshold) falls through
      ``level``; error by a bootstrap over pattern sets.
    * The limit: weighted least-squares fit α_½(N) = α_∞ + c/√N over all
      sizes (the N^(−1/2) form is an assumption; ``chi2_dof`` says whether
      it fits), error by the same bootstrap (refitting each resample).
    * The crossing of the retrieval-fraction curves of the two largest
      sizes (where the smaller network starts to retrieve more often),
      with a bootstrap error.

    Returns
    -------
    dict
        With ``sizes``, ``alpha_half`` and ``alpha_half_err`` (per N),
        ``alpha_inf``, ``alpha_inf_err``, ``slope``, ``chi2_dof``, ``crossing``,
        ``crossing_err``, ``crossing_sizes``, ``boot_failures`` (resamples without a
        crossing, dropped).
    """
    al = np.asarray(scan["alpha"], float)
    sizes = [int(N) for N in scan["sizes"]]
    S = {N: np.asarray(scan[str(N)]["success_sets"], float) for N in sizes}
    rng = np.random.default_rng(seed)

    def fit(ah, err):
        x = 1.0 / np.sqrt(np.asarray(sizes, float))
        A = np.column_stack([np.ones_like(x), x])
        w = 1.0 / np.asarray(err) ** 2
        cov = np.linalg.inv(A.T @ (A * w[:, None]))
        p = cov @ (A.T @ (w * np.asarray(ah)))
        chi2 = float(np.sum(w * (np.asarray(ah) - A @ p) ** 2) / max(1, len(sizes) - 2))
        return p, chi2

    ah = np.array([_half_crossing(al, S[N].mean(1), level) for N in sizes])
    boots = {N: [] for N in sizes}
    big = sizes[-2:]
    cross0 = _curve_crossing(al, S[big[0]].mean(1), S[big[1]].mean(1))
    cb, fails = [], 0
    for _ in range(n_boot):
        fb = {}
        for N in sizes:
            k = rng.integers(0, S[N].shape[1], S[N].shape[1])
            fb[N] = S[N][:, k].mean(1)
            boots[N].append(_half_crossing(al, fb[N], level))
        c = _curve_crossing(al, fb[big[0]], fb[big[1]])
        if np.isfinite(c):
            cb.append(c)
        else:
            fails += 1
    B = np.array([boots[N] for N in sizes])          # (n_sizes, n_boot)
    ah_err = np.nanstd(B, axis=1, ddof=1)
    p, chi2 = fit(ah, ah_err)
    ok = np.all(np.isfinite(B), axis=0)
    pb = np.array([fit(B[:, j], ah_err)[0] for j in np.where(ok)[0]])
    return {"sizes": sizes, "alpha_half": ah, "alpha_half_err": ah_err,
            "alpha_inf": float(p[0]), "alpha_inf_err": float(pb[:, 0].std(ddof=1)),
            "slope": float(p[1]), "chi2_dof": chi2,
            "crossing": cross0, "crossing_err": float(np.std(cb, ddof=1)) if len(cb) > 1 else np.nan,
            "crossing_sizes": big, "boot_failures": fails + int(np.sum(~ok))}


def scan_curves(scan, N):
    """Mean overlap and retrieval fraction (± s.e.m. over pattern sets) at size N."""
    d = scan[str(int(N))]
    ov = np.asarray(d["overlap_sets"], float)
    su = np.asarray(d["success_sets"], float)
    k = ov.shape[1]
    return {"alpha": np.asarray(scan["alpha"], float),
            "overlap": ov.mean(1), "overlap_err": ov.std(1, ddof=1) / math.sqrt(k),
            "success": su.mean(1), "success_err": su.std(1, ddof=1) / math.sqrt(k)}


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


# --------------------------------------------------------------------------
# the lineage, checked entry by entry
# --------------------------------------------------------------------------

#: node -> (label, year in the essay, year of the cited first publication, citation key, what)
LINEAGE_SOURCES = {
    "AN": ("Artificial neuron", 1943, 1943, "mcculloch1943", "McCulloch & Pitts, Bull. Math. Biophys."),
    "Perc": ("Perceptron", 1957, 1957, "rosenblatt1957", "Rosenblatt, Cornell Aeronautical Lab. report"),
    "Ising": ("Ising model", 1925, 1925, "ising1925", "Ising, Z. Phys."),
    "SG": ("Spin glass", 1975, 1975, "edwards1975", "Edwards & Anderson, J. Phys. F"),
    "Hop": ("Hopfield network", 1982, 1982, "hopfield1982", "Hopfield, PNAS"),
    "BM": ("Boltzmann machine", 1983, 1983, "hinton1983", "Hinton & Sejnowski, CVPR"),
    "RBM": ("Restricted BM", 1986, 1986, "smolensky1986", "Smolensky, harmonium, PDP vol. 1"),
    "DBN": ("Deep belief nets", 2006, 2006, "hinton2006", "Hinton, Osindero & Teh, Neural Comput."),
}

#: the essay gives the multilayer perceptron no year; two datings, each with its source
MLP_DATINGS = {
    "Rosenblatt's multilayer perceptrons": (1962, "rosenblatt1962"),
    "trained by backpropagation": (1986, "rumelhart1986"),
}


def lineage_checks():
    """Each year of the essay's lineage and each arrow, checked against cited sources.

    Years: the essay's year equals the year of the first publication cited
    in :data:`LINEAGE_SOURCES`.  Arrows (:data:`LINEAGE_EDGES`, except the
    last one to "Modern ML", which has no year): the source node is not
    younger than the target, with the cited years; an arrow from or to the
    multilayer perceptron is checked once per dating in
    :data:`MLP_DATINGS`.

    Returns
    -------
    list of (condition label, bool) in a fixed order: the years, then the arrows.
    """
    out = []
    for _key, (lab, essay, cited, _, _) in LINEAGE_SOURCES.items():
        out.append((f"{lab} ({essay})", essay == cited))
    for a, b in LINEAGE_EDGES:
        if "ML" in (a, b):
            continue
        ends = []
        for node in (a, b):
            if node == "MLP":
                ends.append([(f"MLP, {how} ({y})", y) for how, (y, _) in MLP_DATINGS.items()])
            else:
                lab, _, cited = LINEAGE_SOURCES[node][:3]
                ends.append([(f"{lab} ({cited})", cited)])
        for la, ya in ends[0]:
            for lb, yb in ends[1]:
                out.append((f"{la} → {lb}", ya <= yb))
    return out


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
    from utacbook.viz._widgets import live_explorer
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
    from utacbook.viz._widgets import live_explorer

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


# --------------------------------------------------------------------------
# measurements for the chapter's claims (utacbook.claims)
# --------------------------------------------------------------------------

def scaling_measurements(fit, label):
    """The two exponents of a :func:`fluctuation_scaling` fit as claims measurements.

    ``a`` (exponent of η) and ``b`` (exponent of 1/B), each labelled
    ``"<label>, η exponent"`` / ``"<label>, 1/B exponent"``; T ∝ η/B predicts 1 for both.
    """
    from utacbook.claims import Measurement
    return [Measurement(fit["a"], fit["a_err"], condition=f"{label}, η exponent"),
            Measurement(fit["b"], fit["b_err"], condition=f"{label}, 1/B exponent")]


def ratio_measurement(value, err, exact, condition, *, exact_err=0.0):
    """value/exact with its propagated error, as a claims measurement (target 1)."""
    from utacbook.claims import Measurement
    if exact == 0:
        raise ValueError("exact must be nonzero")
    r = value / exact
    e = math.hypot(err / exact, value * exact_err / exact ** 2)
    return Measurement(r, abs(e), condition=condition)


def paired_difference(a, b):
    """Mean and standard error of a − b over paired seeds (same seed, same noise draws)."""
    d = np.asarray(a, float) - np.asarray(b, float)
    return float(d.mean()), float(d.std(ddof=1) / math.sqrt(d.size))


def binomial_fraction(k, n):
    """Fraction k/n and its standard error, at least 1/n when k is 0 or n."""
    p = k / n
    return p, math.sqrt(max(p * (1 - p), 1.0 / n) / n)
