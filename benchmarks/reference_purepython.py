"""The RG Phase 2 agent model as fast as plain Python reasonably goes.

The *pure-Python peer* of the benchmark in ``bench_emergent_beta.py``: the
same dynamics as the guide (and as ``utacbook``), written for speed within
the standard library:

* the L x L periodic lattice is a flat ``list`` of floats, site k = i * L + j,
  with precomputed neighbour-index tables (no modulo in the loop);
* random numbers come from ``random.Random`` (Mersenne Twister): a site is
  ``int(random() * N)``, the noise is ``gauss(0.0, 1.0)``;
* the sigmoid uses ``math.exp``; J / (4 T) and h / T are folded into two
  constants, and every name used in the loop is a local variable;
* one sweep is N = L^2 random single-site updates, each seeing the current
  state of its neighbours (random sequential dynamics):

      sigma_k <- 1 / (1 + exp(-(J * mean_of_4_neighbours + h) / T - xi)),  xi ~ N(0, 1).

Everything else -- a fresh uniform random lattice for every field value, 100
sweeps, the mean activation, the logistic fit with ``scipy.optimize.curve_fit``
-- is the guide's protocol (the fit is shared with ``reference_guide``).
NumPy is used only to derive the per-point seeds from one root seed and for
the fit, never in the update loop.

Run ``python benchmarks/reference_purepython.py`` for a small demonstration.
"""

from __future__ import annotations

import math
import random

import numpy as np

try:
    from reference_guide import extract_emergent_beta
except ImportError:  # imported as benchmarks.reference_purepython
    from .reference_guide import extract_emergent_beta


def neighbour_tables(L):
    """Flat indices of the up, down, left and right neighbours of every site."""
    up, down, left, right = [], [], [], []
    for i in range(L):
        for j in range(L):
            up.append(((i - 1) % L) * L + j)
            down.append(((i + 1) % L) * L + j)
            left.append(i * L + (j - 1) % L)
            right.append(i * L + (j + 1) % L)
    return up, down, left, right


def random_updates(lat, J, h, T, n_updates, rng, tables):
    """``n_updates`` random sequential updates of the flat lattice ``lat``, in place."""
    up, down, left, right = tables
    N = len(lat)
    rnd = rng.random
    gauss = rng.gauss
    exp = math.exp
    a = 0.25 * J / T       # coupling per neighbour, over T
    b = h / T              # field over T
    for _ in range(n_updates):
        k = int(rnd() * N)
        x = a * (lat[up[k]] + lat[down[k]] + lat[left[k]] + lat[right[k]]) + b + gauss(0.0, 1.0)
        # guard: math.exp raises OverflowError beyond ~709 (only for tiny T)
        lat[k] = 1.0 / (1.0 + exp(-x)) if x > -700.0 else 0.0


def run_point(J, h, T, L, n_sweeps, seed):
    """One scan point: fresh uniform random lattice, ``n_sweeps`` sweeps; return sigma-bar."""
    rng = random.Random(seed)
    N = L * L
    lat = [rng.random() for _ in range(N)]
    random_updates(lat, J, h, T, n_sweeps * N, rng, neighbour_tables(L))
    return math.fsum(lat) / N


def point_seeds(seed, n):
    """``n`` independent integer seeds for ``random.Random`` from one root seed."""
    return [int(s.generate_state(1, np.uint64)[0]) for s in np.random.SeedSequence(seed).spawn(n)]


def scan_resource_range(J, T, lattice_size=64, R_min=-2.0, R_max=2.0, n_points=20,
                        n_steps=100, seed=None):
    """Mean activation on ``np.linspace(R_min, R_max, n_points)``, each point a fresh run."""
    R_values = np.linspace(R_min, R_max, n_points)
    seeds = point_seeds(seed, n_points)
    sigma = [run_point(J, float(R), T, lattice_size, n_steps, s) for R, s in zip(R_values, seeds)]
    return R_values, np.array(sigma)


def compute_emergent_beta(J, T, lattice_size=64, R_min=-2.0, R_max=2.0, n_points=25,
                          n_steps=100, seed=None):
    """The guide's emergent-beta protocol; returns the guide's result dict."""
    R_values, sigma = scan_resource_range(J, T, lattice_size, R_min, R_max, n_points,
                                          n_steps, seed)
    beta, r2, info = extract_emergent_beta(R_values, sigma)
    return {"beta_emergent": beta, "r_squared": r2, "fit_info": info,
            "R_values": R_values.tolist(), "sigma_values": sigma.tolist(),
            "params": dict(J=J, T=T, lattice_size=lattice_size, seed=seed)}


if __name__ == "__main__":
    import time

    t0 = time.perf_counter()
    res = compute_emergent_beta(0.8, 0.19, lattice_size=32, n_points=9, n_steps=20, seed=1)
    dt = time.perf_counter() - t0
    n_upd = 9 * 20 * 32 * 32
    print(f"L=32, 9 points, 20 sweeps: beta = {res['beta_emergent']:.2f}, "
          f"R^2 = {res['r_squared']:.3f}; {dt:.2f} s, {dt / n_upd * 1e9:.0f} ns/update")
