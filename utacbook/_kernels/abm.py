"""Numba kernels of the microscopic agent model (private; see :mod:`utacbook.models`).

The model (RG Phase 2 guide): a periodic L x L lattice of activations
sigma in [0, 1]; an update of site (i, j) draws xi ~ N(0, 1) and sets

    sigma_ij <- sigmoid((J * mean of the 4 neighbours + h) / T + xi).

Two update orders are implemented:

* ``RULE_SEQUENTIAL`` (the guide's): L*L uniformly random site picks per sweep,
  each update seeing the current state of its neighbours.
* ``RULE_CHECKERBOARD``: all even sites ((i + j) even), then all odd sites.
  Needs even L.  Within a colour the updates are independent, which is what
  allows them to run in parallel; the stationary state may differ from the
  sequential one because this dynamics has no detailed balance.
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

from utacbook._kernels.rng import next_double, next_normal, next_pair_below

RULE_SEQUENTIAL = 0
RULE_CHECKERBOARD = 1


@njit(cache=True, inline="always")
def _sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


@njit(cache=True, inline="always")
def _neigh_sum(lat, i, j, L):
    ip = i + 1 if i + 1 < L else 0
    im = i - 1 if i > 0 else L - 1
    jp = j + 1 if j + 1 < L else 0
    jm = j - 1 if j > 0 else L - 1
    return lat[ip, j] + lat[im, j] + lat[i, jp] + lat[i, jm]


@njit(cache=True)
def random_lattice(L, st):
    """Uniform random initial lattice drawn from stream ``st``."""
    lat = np.empty((L, L))
    for i in range(L):
        for j in range(L):
            lat[i, j] = next_double(st)
    return lat


@njit(cache=True, inline="always")
def _update_site(lat, i, j, L, Jq, h, invT, z):
    """Update one site; return the change of the lattice sum."""
    old = lat[i, j]
    new = _sigmoid((Jq * _neigh_sum(lat, i, j, L) + h) * invT + z)
    lat[i, j] = new
    return new - old


@njit(cache=True)
def random_updates(lat, J, h, T, n_updates, st):
    """``n_updates`` random-sequential single-site updates; returns the change of the sum."""
    L = lat.shape[0]
    Jq = 0.25 * J
    invT = 1.0 / T
    dsum = 0.0
    for _ in range(n_updates):
        i, j = next_pair_below(st, L)
        dsum += _update_site(lat, i, j, L, Jq, h, invT, next_normal(st))
    return dsum


@njit(cache=True, inline="always")
def _checkerboard_row(lat, i, colour, L, Jq, h, invT, st):
    for j in range((i + colour) & 1, L, 2):
        _update_site(lat, i, j, L, Jq, h, invT, next_normal(st))


@njit(cache=True)
def checkerboard_sweep(lat, J, h, T, st):
    """One checkerboard sweep (even sites, then odd sites) from one stream."""
    L = lat.shape[0]
    Jq = 0.25 * J
    invT = 1.0 / T
    old = lat.sum()
    for colour in range(2):
        for i in range(L):
            _checkerboard_row(lat, i, colour, L, Jq, h, invT, st)
    return lat.sum() - old


@njit(cache=True, parallel=True)
def checkerboard_sweep_rows(lat, J, h, T, row_states):
    """One checkerboard sweep, rows of a colour in parallel.

    Row ``i`` always draws from ``row_states[i]``, so the result does not
    depend on the number of threads.  (No reduction happens in here: a
    parallel sum would add in a thread-count-dependent order.)
    """
    L = lat.shape[0]
    Jq = 0.25 * J
    invT = 1.0 / T
    for colour in range(2):
        for i in prange(L):
            _checkerboard_row(lat, i, colour, L, Jq, h, invT, row_states[i])


@njit(cache=True)
def run_sweeps(lat, J, h, T, n_sweeps, rule, st, trace):
    """Run ``n_sweeps`` sweeps in place, writing the mean after each into ``trace``.

    ``trace`` must have length >= n_sweeps.  Uses one stream ``st``.
    """
    L = lat.shape[0]
    N = L * L
    total = lat.sum()
    for s in range(n_sweeps):
        if rule == RULE_SEQUENTIAL:
            total += random_updates(lat, J, h, T, N, st)
        else:
            total += checkerboard_sweep(lat, J, h, T, st)
        trace[s] = total / N
    return lat.sum() / N


@njit(cache=True, parallel=True)
def scan_jobs(J, h, T, L, n_sweeps, rule, states, traces):
    """Independent runs from fresh random lattices, in parallel.

    Job ``k`` has coupling ``J[k]``, field ``h[k]``, noise ``T[k]`` and its own
    stream ``states[k]``; it starts from a uniform random lattice, runs
    ``n_sweeps`` sweeps and returns the final mean activation.  The mean after
    every sweep is written to ``traces[k]``.
    """
    n = J.shape[0]
    out = np.empty(n)
    for k in prange(n):
        st = states[k]
        lat = random_lattice(L, st)
        out[k] = run_sweeps(lat, J[k], h[k], T[k], n_sweeps, rule, st, traces[k])
    return out


@njit(cache=True, parallel=True)
def field_sweep_jobs(J, T, h_path, L, n_sweeps, rule, states, lattices_out):
    """Carry one lattice per replica along a field path (hysteresis runs).

    Replica ``r`` starts from a uniform random lattice drawn from
    ``states[r]``, then for each field value ``h_path[m]`` runs ``n_sweeps``
    sweeps and records the mean activation in ``out[r, m]``.  The final
    lattices are written to ``lattices_out[r]``.
    """
    n_rep = states.shape[0]
    n_h = h_path.shape[0]
    out = np.empty((n_rep, n_h))
    for r in prange(n_rep):
        st = states[r]
        lat = random_lattice(L, st)
        trace = np.empty(n_sweeps)
        for m in range(n_h):
            out[r, m] = run_sweeps(lat, J, h_path[m], T, n_sweeps, rule, st, trace)
        lattices_out[r] = lat
    return out
