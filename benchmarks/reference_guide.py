"""The RG Phase 2 agent model written the way the guide describes it.

This is the *guide-style reference* for the benchmark in
``bench_emergent_beta.py``: a straightforward NumPy/Python implementation
that follows the guide's API section and code snippets
(``/work/shared/seeds/rg-phase2-guide.md``) line by line:

* ``ABMParams`` is a dataclass (J, h, T, lattice_size; plus a seed);
* ``MicroscopicABM`` holds the lattice as a NumPy array, drawn uniformly at
  random;
* ``local_field(i, j)`` = J * (mean of the 4 nearest neighbours) + h, with
  periodic boundaries;
* ``update_agent(i, j)`` sets sigma_ij = sigmoid(h_local / T + noise), with
  noise ~ N(0, 1) drawn for that update;
* ``step(n_updates)`` picks ``n_updates`` random positions and updates them
  one after the other; ``equilibrate(n_steps)`` runs ``n_steps`` sweeps of
  N^2 updates;
* ``EmergentBetaSimulator.compute_emergent_beta`` builds a fresh model for
  each R on ``np.linspace(R_min, R_max, n_points)``, equilibrates it for 100
  sweeps, records the mean activation and fits the logistic
  1 / (1 + exp(-beta (R - theta))) with ``scipy.optimize.curve_fit``.

It is written as a careful author would write it, not to be slow: random
numbers come from an explicitly seeded ``numpy.random.Generator`` (one child
``SeedSequence`` per scan point, so the points are independent), and among
the natural ways to write each line the faster one was chosen (two scalar
``integers`` calls rather than ``integers(size=2)``, which costs twice as
much; ``standard_normal()`` rather than ``normal()``; no ``np.mean`` of a
4-element list).  What it does not do is leave Python: the update loop is
sequential -- each update reads neighbours written by earlier updates -- so
it cannot be vectorised with NumPy.

Run ``python benchmarks/reference_guide.py`` for a small demonstration.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.optimize import curve_fit


@dataclass
class ABMParams:
    """Microscopic parameters (the guide's dataclass, plus an explicit seed)."""

    J: float = 0.8           # coupling strength
    h: float = 0.5           # external field (the "R-proxy")
    T: float = 0.2           # temperature (noise)
    lattice_size: int = 128  # linear lattice size N (N^2 agents)
    seed: int | None = None  # root seed of the random streams


def sigmoid(x):
    """Logistic activation 1 / (1 + exp(-x))."""
    return 1.0 / (1.0 + np.exp(-x))


class MicroscopicABM:
    """An N x N periodic lattice of agents with activations in [0, 1].

    Parameters
    ----------
    params : ABMParams
    rng : numpy.random.Generator, optional
        Random stream; by default ``np.random.default_rng(params.seed)``.
    """

    def __init__(self, params, rng=None):
        self.params = params
        self.N = params.lattice_size
        self.rng = np.random.default_rng(params.seed) if rng is None else rng
        self.lattice = self.rng.random((self.N, self.N))

    def local_field(self, i, j):
        """h_local = J * (mean of the 4 nearest neighbours) + h (periodic)."""
        N = self.N
        lat = self.lattice
        neighbours = (lat[(i + 1) % N, j] + lat[(i - 1) % N, j]
                      + lat[i, (j + 1) % N] + lat[i, (j - 1) % N])
        return self.params.J * neighbours / 4.0 + self.params.h

    def update_agent(self, i, j):
        """sigma_ij <- sigmoid(h_local / T + noise), noise ~ N(0, 1)."""
        h_local = self.local_field(i, j)
        noise = self.rng.standard_normal()
        self.lattice[i, j] = sigmoid(h_local / self.params.T + noise)

    def random_position(self):
        """A uniformly random site (i, j)."""
        return self.rng.integers(self.N), self.rng.integers(self.N)

    def step(self, n_updates=1000):
        """``n_updates`` random single-agent updates (N^2 is one sweep)."""
        for _ in range(n_updates):
            i, j = self.random_position()
            self.update_agent(i, j)

    def equilibrate(self, n_steps=100):
        """Run ``n_steps`` sweeps of N^2 random updates each."""
        for _ in range(n_steps):
            self.step(self.N * self.N)

    def snapshot(self):
        """A copy of the current lattice."""
        return self.lattice.copy()

    def mean_activation(self):
        """Mean activation sigma-bar."""
        return float(self.lattice.mean())


def logistic(R, beta, theta):
    """The guide's logistic 1 / (1 + exp(-beta (R - theta)))."""
    return 1.0 / (1.0 + np.exp(-beta * (R - theta)))


def extract_emergent_beta(R_values, sigma_values, theta=0.5):
    """Fit the logistic; return (beta, r_squared, fit_info)."""
    R = np.asarray(R_values, dtype=float)
    s = np.asarray(sigma_values, dtype=float)
    popt, pcov = curve_fit(logistic, R, s, p0=[1.0, theta], maxfev=10000)
    beta, theta_fit = popt
    residuals = s - logistic(R, beta, theta_fit)
    r_squared = 1.0 - np.sum(residuals ** 2) / np.sum((s - s.mean()) ** 2)
    return float(beta), float(r_squared), {"theta": float(theta_fit),
                                           "covariance": pcov.tolist()}


class EmergentBetaSimulator:
    """Scan the field, fit the logistic: the guide's emergent beta."""

    def __init__(self, params):
        self.params = params

    def scan_resource_range(self, R_min=-2.0, R_max=2.0, n_points=20, n_steps=100):
        """Mean activation at each R, each from a fresh, equilibrated lattice."""
        R_values = np.linspace(R_min, R_max, n_points)
        seeds = np.random.SeedSequence(self.params.seed).spawn(n_points)
        sigma_values = []
        for R, seed in zip(R_values, seeds):
            params = ABMParams(J=self.params.J, h=float(R), T=self.params.T,
                               lattice_size=self.params.lattice_size)
            abm = MicroscopicABM(params, rng=np.random.default_rng(seed))
            abm.equilibrate(n_steps=n_steps)
            sigma_values.append(abm.mean_activation())
        return R_values, np.array(sigma_values)

    def compute_emergent_beta(self, R_min=-2.0, R_max=2.0, n_points=25, n_steps=100):
        """The guide's result dict (beta_emergent, r_squared, fit_info, ...)."""
        R_values, sigma_values = self.scan_resource_range(R_min, R_max, n_points, n_steps)
        beta, r2, info = extract_emergent_beta(R_values, sigma_values)
        return {"beta_emergent": beta, "r_squared": r2, "fit_info": info,
                "R_values": R_values.tolist(), "sigma_values": sigma_values.tolist(),
                "params": dict(J=self.params.J, T=self.params.T,
                               lattice_size=self.params.lattice_size,
                               seed=self.params.seed)}


if __name__ == "__main__":
    import time

    params = ABMParams(J=0.8, T=0.19, lattice_size=32, seed=1)
    t0 = time.perf_counter()
    res = EmergentBetaSimulator(params).compute_emergent_beta(n_points=9, n_steps=20)
    dt = time.perf_counter() - t0
    n_upd = 9 * 20 * 32 * 32
    print(f"L=32, 9 points, 20 sweeps: beta = {res['beta_emergent']:.2f}, "
          f"R^2 = {res['r_squared']:.3f}; {dt:.2f} s, {dt / n_upd * 1e9:.0f} ns/update")
