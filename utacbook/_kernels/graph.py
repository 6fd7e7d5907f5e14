"""Numba kernels of the graph Ising engine (private; see :mod:`utacbook.models`).

Model: spins s = +-1 (int8) on the nodes of an undirected graph with
symmetric couplings J_ij (any sign) and fields h_i,
H = -sum_{i<j} J_ij s_i s_j - sum_i h_i s_i.

Layout.  The Python side colours the graph greedily (no two neighbours share a
colour) and relabels the nodes so that each colour class is a contiguous
range; the couplings are stored as CSR arrays (``indptr``, ``indices``,
``weights``) in that order.  Nodes of one colour do not interact, so they can
be updated simultaneously.  Each colour class is cut into fixed chunks of at
most ``CHUNK`` nodes; chunk ``c`` always draws from stream ``states[c]`` and
writes its partial sums to slot ``c``, so a seed gives the identical run at any
thread count and with either driver (serial or ``prange``).

A sweep visits the colour classes in order and updates every node once.  The
end-of-sweep magnetisation and field energy are summed from the values the
nodes take when they are updated (each node is updated once per sweep, so
these are the end-of-sweep values); the bond energy is carried along
incrementally (float, per-chunk partial sums reduced in chunk order).

Metropolis accepts zero-cost flips (dE = 0) with probability ZERO_COST_ACCEPT
= 63/64, not 1, as in :mod:`utacbook._kernels.ising`: with probability 1,
colour-class-parallel Metropolis cycles forever through states in which every
node has zero local field (e.g. ++-- on a ring of 4k nodes).  Detailed balance
is kept.

Fields: ``hs`` is a 2-D array indexed by ``hs[t * h_row_step, i * h_col_step]``
with the steps 0 or 1, so one kernel serves a uniform field, per-node fields,
a per-sweep ramp and a per-sweep per-node ramp.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit, prange

from utacbook._kernels.ising import ZERO_COST_ACCEPT
from utacbook._kernels.rng import next_double

KIND_METROPOLIS = 0
KIND_HEATBATH = 1

#: nodes per chunk (one RNG stream each)
CHUNK = 4096


@njit(cache=True)
def greedy_colouring(indptr, indices, order):
    """Greedy vertex colouring visiting nodes in ``order``; returns colours (int64)."""
    n = indptr.shape[0] - 1
    colour = np.full(n, -1, dtype=np.int64)
    maxdeg = 0
    for i in range(n):
        d = indptr[i + 1] - indptr[i]
        if d > maxdeg:
            maxdeg = d
    stamp = np.full(maxdeg + 2, -1, dtype=np.int64)
    for k in range(n):
        i = order[k]
        for p in range(indptr[i], indptr[i + 1]):
            c = colour[indices[p]]
            if c >= 0:
                stamp[c] = k
        c = 0
        while stamp[c] == k:
            c += 1
        colour[i] = c
    return colour


@njit(cache=True)
def random_spins(n, st):
    """Uniform random +-1 spins (int8) from stream ``st``."""
    s = np.empty(n, dtype=np.int8)
    for i in range(n):
        s[i] = 1 if next_double(st) < 0.5 else -1
    return s


@njit(cache=True)
def bond_sum(spins, indptr, indices, weights):
    """sum_{i<j} J_ij s_i s_j (each edge once), serially in node order."""
    n = spins.shape[0]
    b = 0.0
    for i in range(n):
        acc = 0.0
        for p in range(indptr[i], indptr[i + 1]):
            acc += weights[p] * spins[indices[p]]
        b += spins[i] * acc
    return 0.5 * b


@njit(cache=True, inline="always")
def _update_chunk(spins, indptr, indices, weights, a, b, kind, beta, hs, hrow, hcol, st):
    """Update nodes a..b-1 (one colour); return (dBond, sum s, sum h s) over the chunk."""
    db = 0.0
    ms = np.int64(0)
    fs = 0.0
    for i in range(a, b):
        loc = 0.0
        for p in range(indptr[i], indptr[i + 1]):
            loc += weights[p] * spins[indices[p]]
        hi = hs[hrow, i * hcol]
        s = spins[i]
        u = next_double(st)
        if kind == KIND_METROPOLIS:
            x = -2.0 * beta * s * (loc + hi)  # -beta * dE of flipping s
            # zero-cost flips with probability 63/64 (see the module docstring)
            flip = x > 0.0 or (u < ZERO_COST_ACCEPT if x == 0.0 else u < math.exp(x))
            snew = -s if flip else s
        else:
            # P(s = +1) = 1 / (1 + exp(-2 beta H_i))
            snew = np.int8(1) if u * (1.0 + math.exp(-2.0 * beta * (loc + hi))) < 1.0 else np.int8(-1)
        if snew != s:
            spins[i] = snew
            db += 2.0 * snew * loc
        ms += snew
        fs += hi * snew
    return db, ms, fs


@njit(cache=True)
def run_serial(spins, indptr, indices, weights, chunk_bounds, colour_chunks, kind, beta,
               hs, h_row_step, h_col_step, n_burn, states, e_out, m_out):
    """Run ``n_burn + len(e_out)`` sweeps chunk by chunk; record e, m per node after burn-in.

    ``chunk_bounds[c]..chunk_bounds[c+1]`` are the nodes of chunk ``c``;
    ``colour_chunks[k]..colour_chunks[k+1]`` the chunks of colour ``k``.
    Returns the final bond sum.  Identical to :func:`run_parallel`.
    """
    n = spins.shape[0]
    n_chunks = chunk_bounds.shape[0] - 1
    n_colours = colour_chunks.shape[0] - 1
    B = bond_sum(spins, indptr, indices, weights)
    dB = np.zeros(n_chunks)
    Ms = np.zeros(n_chunks, dtype=np.int64)
    Fs = np.zeros(n_chunks)
    n_total = n_burn + e_out.shape[0]
    for t in range(n_total):
        hrow = (t - n_burn if t > n_burn else 0) * h_row_step
        for k in range(n_colours):
            for c in range(colour_chunks[k], colour_chunks[k + 1]):
                db, ms, fs = _update_chunk(spins, indptr, indices, weights, chunk_bounds[c],
                                           chunk_bounds[c + 1], kind, beta, hs, hrow,
                                           h_col_step, states[c])
                dB[c] = db
                Ms[c] = ms
                Fs[c] = fs
        M = np.int64(0)
        F = 0.0
        for c in range(n_chunks):
            B += dB[c]
            M += Ms[c]
            F += Fs[c]
        if t >= n_burn:
            e_out[t - n_burn] = (-B - F) / n
            m_out[t - n_burn] = M / n
    return B


@njit(cache=True, parallel=True)
def run_parallel(spins, indptr, indices, weights, chunk_bounds, colour_chunks, kind, beta,
                 hs, h_row_step, h_col_step, n_burn, states, e_out, m_out):
    """As :func:`run_serial`, the chunks of one colour in parallel (``prange``)."""
    n = spins.shape[0]
    n_chunks = chunk_bounds.shape[0] - 1
    n_colours = colour_chunks.shape[0] - 1
    B = bond_sum(spins, indptr, indices, weights)
    dB = np.zeros(n_chunks)
    Ms = np.zeros(n_chunks, dtype=np.int64)
    Fs = np.zeros(n_chunks)
    n_total = n_burn + e_out.shape[0]
    for t in range(n_total):
        hrow = (t - n_burn if t > n_burn else 0) * h_row_step
        for k in range(n_colours):
            c0 = colour_chunks[k]
            for q in prange(colour_chunks[k + 1] - c0):
                c = c0 + q
                db, ms, fs = _update_chunk(spins, indptr, indices, weights, chunk_bounds[c],
                                           chunk_bounds[c + 1], kind, beta, hs, hrow,
                                           h_col_step, states[c])
                dB[c] = db
                Ms[c] = ms
                Fs[c] = fs
        M = np.int64(0)
        F = 0.0
        for c in range(n_chunks):  # serial reduction in chunk order: reproducible
            B += dB[c]
            M += Ms[c]
            F += Fs[c]
        if t >= n_burn:
            e_out[t - n_burn] = (-B - F) / n
            m_out[t - n_burn] = M / n
    return B
