"""Numba kernels of the multiscale government model (private; see :mod:`utacbook.models`).

The micro step is synchronous: every citizen ``i`` reads the community term
``g[c(i)]`` computed from the *previous* step's community means, so the new
satisfactions do not depend on the order in which citizens are visited::

    s_i <- (1 - lam) * s_i + lam * sigmoid((g[c(i)] + u_i) * inv_T + xi_i)

with ``g_c = J * kappa_c * (2 * sbar_c - 1)``, ``u_i = h_i + b * (ln w_i - <ln w>)``
and ``inv_T = 1 / T_eff`` prepared on the Python side, and ``xi_i ~ N(0, 1)``.

Random numbers.  Citizens are cut into fixed chunks of ``CHUNK`` = 4096
consecutive indices; chunk ``k`` always draws its normals, in index order,
from stream ``states[k]`` (xoshiro256**, :mod:`utacbook._kernels.rng`).  A stream
belongs to a chunk, never to a thread, so a seed gives the identical history
at any number of threads.

Reductions.  The community sums of ``s`` and ``s**2`` needed by the next step
are either accumulated per chunk into ``part_sum[k, c]``, ``part_sq[k, c]``
and then added up serially in chunk order (:func:`reduce_partials`), or, when
that table would be larger than the population (many communities), summed
by one serial pass in citizen order (:func:`community_sums`).  Both orders are
fixed, so the floating-point result does not depend on the thread count.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit, prange

from utacbook._kernels.rng import next_normal

#: citizens per chunk (one RNG stream each)
CHUNK = 4096


@njit(cache=True, inline="always")
def _sigmoid(x):
    # branch-free: exp(-x) overflows to inf for x < -709 and 1 / inf = 0, never NaN;
    # a sign test here costs a mispredicted branch per citizen (random signs)
    return 1.0 / (1.0 + math.exp(-x))


@njit(cache=True, inline="always")
def _micro_chunk(k, s, comm, g, u, inv_T, lam, states, part_sum, part_sq, use_partials):
    """The micro step of chunk ``k`` (citizens ``k*CHUNK`` .. ``(k+1)*CHUNK - 1``) on its own stream."""
    n = s.shape[0]
    one_m = 1.0 - lam
    st = states[k]
    a = k * CHUNK
    b = min(a + CHUNK, n)
    if use_partials:
        for c in range(part_sum.shape[1]):
            part_sum[k, c] = 0.0
            part_sq[k, c] = 0.0
        for i in range(a, b):
            c = comm[i]
            x = (g[c] + u[i]) * inv_T + next_normal(st)
            v = one_m * s[i] + lam * _sigmoid(x)
            s[i] = v
            part_sum[k, c] += v
            part_sq[k, c] += v * v
    else:
        for i in range(a, b):
            x = (g[comm[i]] + u[i]) * inv_T + next_normal(st)
            s[i] = one_m * s[i] + lam * _sigmoid(x)


@njit(cache=True, parallel=True)
def micro_step_parallel(s, comm, g, u, inv_T, lam, states, part_sum, part_sq, use_partials):
    """:func:`micro_step` with the chunks spread over Numba's threads."""
    n_chunks = (s.shape[0] + CHUNK - 1) // CHUNK
    for k in prange(n_chunks):
        _micro_chunk(k, s, comm, g, u, inv_T, lam, states, part_sum, part_sq, use_partials)


@njit(cache=True)
def micro_step_serial(s, comm, g, u, inv_T, lam, states, part_sum, part_sq, use_partials):
    """:func:`micro_step` with the chunks one after the other (no thread launch)."""
    n_chunks = (s.shape[0] + CHUNK - 1) // CHUNK
    for k in range(n_chunks):
        _micro_chunk(k, s, comm, g, u, inv_T, lam, states, part_sum, part_sq, use_partials)


#: below this many chunks the serial kernel is used: launching the thread pool costs more than it saves
#: (measured, 2 threads, 1000 steps: N = 1000 56 vs 41 us per step; N = 5000 94 vs 90; N = 10 000 137 vs 156)
PARALLEL_MIN_CHUNKS = 3


def micro_step(s, comm, g, u, inv_T, lam, states, part_sum, part_sq, use_partials):
    """One synchronous micro step in place; optionally per-chunk community sums.

    Every chunk draws from its own stream and writes only its own partial
    sums, so the serial and the parallel kernel give the same bits; the
    parallel one is used from :data:`PARALLEL_MIN_CHUNKS` chunks on.

    Parameters
    ----------
    s : float64[N]  satisfactions (updated in place)
    comm : int64[N]  community of each citizen, 0..C-1
    g : float64[C]  community term J kappa_c (2 sbar_c - 1)
    u : float64[N]  individual term h_i + b (ln w_i - <ln w>)
    inv_T : float  1 / T_eff
    lam : float  update weight in [0, 1]
    states : uint64[n_chunks, 16]  one stream per chunk
    part_sum, part_sq : float64[n_chunks, C]  per-chunk sums (written if use_partials)
    use_partials : bool
    """
    kernel = micro_step_parallel if states.shape[0] >= PARALLEL_MIN_CHUNKS else micro_step_serial
    kernel(s, comm, g, u, inv_T, lam, states, part_sum, part_sq, use_partials)


@njit(cache=True)
def reduce_partials(part_sum, part_sq, n_comm):
    """Add the per-chunk sums in chunk order; returns (sum_c s, sum_c s^2)."""
    tot = np.zeros(n_comm)
    sq = np.zeros(n_comm)
    for k in range(part_sum.shape[0]):
        for c in range(n_comm):
            tot[c] += part_sum[k, c]
            sq[c] += part_sq[k, c]
    return tot, sq


@njit(cache=True)
def community_sums(s, comm, n_comm):
    """Serial pass in citizen order; returns (sum_c s, sum_c s^2)."""
    tot = np.zeros(n_comm)
    sq = np.zeros(n_comm)
    for i in range(s.shape[0]):
        c = comm[i]
        v = s[i]
        tot[c] += v
        sq[c] += v * v
    return tot, sq


@njit(cache=True)
def chunk_normals(states, n):
    """The N(0, 1) draws the next micro step would give citizens 0..n-1 (advances ``states``).

    For tests: lets a NumPy re-implementation reproduce one kernel step exactly.
    """
    out = np.empty(n)
    n_chunks = (n + CHUNK - 1) // CHUNK
    for k in range(n_chunks):
        st = states[k]
        for i in range(k * CHUNK, min((k + 1) * CHUNK, n)):
            out[i] = next_normal(st)
    return out
