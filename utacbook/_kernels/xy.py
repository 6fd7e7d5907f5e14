"""Numba kernels of the XY (plane-rotator) engine (private; see :mod:`utacbook.models`).

Model: unit vectors s_i = (cos θ_i, sin θ_i) on the nodes of an undirected graph
with couplings J w_ij and a uniform field h along x,
H = -J sum_{i<j} w_ij cos(θ_i - θ_j) - h sum_i cos θ_i.

Layout.  One engine serves the periodic square lattice and any graph: the
sites are relabelled so that each colour class of a proper colouring (no two
neighbours share a colour) is a contiguous range of positions, cut into
fixed chunks (``chunk_bounds``; ``colour_chunks`` lists the chunks of each
colour); neighbours are CSR arrays (``indptr``, ``indices``, ``weights``) in
that labelling.  On the L x L lattice the colours are the checkerboard and a
chunk is one row of one colour (L/2 sites); on a graph the Python side uses
:func:`utacbook.models.prepare_graph` (greedy colouring, chunks of at most
4096 nodes).  The state is held three times, ``theta`` in [0, 2π) and its
``cos``/``sin``, so that a local field costs no trigonometry.

Checkerboard Metropolis: a sweep updates the colour classes in order; the
chunks of one colour are independent and run in parallel (``prange``).  Site
k of chunk c in sweep t uses the Philox4x32-10 words 2k and 2k + 1 of the
counters (block j, c, t mod 2**32, t >> 32) under the run's key
(:func:`utacbook._kernels.rng.philox_fill`): word 2k gives the proposal
θ' = θ + δ (2u - 1), word 2k + 1 the acceptance test u < exp(-ΔE/T)
(u = (word + 1/2) / 2**32).  Which words a site uses is a fixed function of
(key, t, c, k), so a seed gives the same run at any thread count and with
either driver.  Per-chunk acceptance counts are integers, summed serially.
During burn-in only, δ may be adapted every ``ADAPT_EVERY`` sweeps toward an
acceptance rate of 1/2 (δ ← δ a/(1/2), the factor clamped to [1/2, 2], δ ≤ π);
recorded sweeps use a fixed δ, so the recorded chain satisfies detailed
balance.

Wolff (1989): a random direction r = (cos φ, sin φ) and a random seed site;
the cluster grows breadth-first through bonds with probability
1 - exp(min(0, -2 β J w_ij (r·s_i)(r·s_j))) (projections before the flip),
and every member is reflected, θ → π + 2φ - θ.  One sequential xoshiro256**
stream per run.  Requires h = 0 and J w_ij >= 0.

Measurements (:func:`measure_graph`, :func:`measure_lattice`) recompute
everything from the state in a fixed serial order (no drift, reproducible).
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit, prange

from utacbook._kernels.rng import next_double, philox_fill

TWO_PI = 2.0 * math.pi
#: burn-in sweeps between two adaptations of the Metropolis step δ
ADAPT_EVERY = 10
#: acceptance rate the adaptation aims at
TARGET_ACCEPT = 0.5
_INV32 = 1.0 / 4294967296.0


@njit(cache=True)
def random_angles(n, st):
    """``n`` angles uniform on [0, 2π) from stream ``st``."""
    th = np.empty(n)
    for i in range(n):
        th[i] = TWO_PI * next_double(st)
    return th


@njit(cache=True, inline="always")
def _metropolis_chunk(theta, cs, sn, indptr, indices, weights, a, b, beta, J, h, delta, key, t, c, rb):
    """Metropolis update of positions a..b-1 (one chunk c) in sweep t; returns the acceptances."""
    n = b - a
    nb = (2 * n + 3) // 4
    tt = np.uint64(t)
    philox_fill(rb, nb, key[0], key[1], np.uint64(c), tt & np.uint64(0xFFFFFFFF), tt >> np.uint64(32))
    acc = np.int64(0)
    for k in range(n):
        i = a + k
        hx = 0.0
        hy = 0.0
        for p in range(indptr[i], indptr[i + 1]):
            q = indices[p]
            hx += weights[p] * cs[q]
            hy += weights[p] * sn[q]
        hx = J * hx + h
        hy = J * hy
        u1 = (rb[2 * k] + 0.5) * _INV32
        u2 = (rb[2 * k + 1] + 0.5) * _INV32
        tnew = theta[i] + delta * (2.0 * u1 - 1.0)
        if tnew >= TWO_PI:
            tnew -= TWO_PI
        elif tnew < 0.0:
            tnew += TWO_PI
        cn = math.cos(tnew)
        sm = math.sin(tnew)
        dE = -(hx * (cn - cs[i]) + hy * (sm - sn[i]))
        if dE <= 0.0 or u2 < math.exp(-beta * dE):
            theta[i] = tnew
            cs[i] = cn
            sn[i] = sm
            acc += 1
    return acc


@njit(cache=True, inline="always")
def _adapt(delta, acc, tries):
    """New step after ``acc`` acceptances in ``tries`` attempts (see the module docstring)."""
    f = (acc / tries) / TARGET_ACCEPT if tries > 0 else 1.0
    f = min(2.0, max(0.5, f))
    return min(math.pi, delta * f)


@njit(cache=True)
def run_metropolis_serial(theta, cs, sn, indptr, indices, weights, chunk_bounds, colour_chunks, beta, J, h,
                          delta, adapt, n_burn, n_sweeps, every, key, samples, acc_out, measure, L, pos):
    """``n_burn + n_sweeps`` checkerboard Metropolis sweeps, one chunk at a time.

    ``delta`` is the initial step; with ``adapt`` it is tuned during burn-in
    (module docstring).  After every ``every``-th recorded sweep the state is
    measured into the next row of ``samples`` (``measure``: 0 = graph, 1 =
    lattice with site map ``pos``) and the acceptance rate of the sweeps since
    the previous sample goes to ``acc_out``.  Returns the δ used for the
    recorded sweeps.  Identical to :func:`run_metropolis_parallel`.
    """
    n = theta.shape[0]
    n_chunks = chunk_bounds.shape[0] - 1
    n_colours = colour_chunks.shape[0] - 1
    maxc = 0
    for c in range(n_chunks):
        maxc = max(maxc, chunk_bounds[c + 1] - chunk_bounds[c])
    rb = np.empty(4 * ((2 * maxc + 3) // 4) + 4, dtype=np.int64)
    acc_win = np.int64(0)
    tries_win = np.int64(0)
    s = 0
    for t in range(n_burn + n_sweeps):
        if t == n_burn:
            acc_win = np.int64(0)
            tries_win = np.int64(0)
        for k in range(n_colours):
            for c in range(colour_chunks[k], colour_chunks[k + 1]):
                acc_win += _metropolis_chunk(theta, cs, sn, indptr, indices, weights, chunk_bounds[c],
                                             chunk_bounds[c + 1], beta, J, h, delta, key, t, c, rb)
        tries_win += n
        if t < n_burn:
            if adapt and (t + 1) % ADAPT_EVERY == 0:
                delta = _adapt(delta, acc_win, tries_win)
                acc_win = np.int64(0)
                tries_win = np.int64(0)
        elif (t - n_burn + 1) % every == 0:
            _measure(theta, cs, sn, indptr, indices, weights, beta, J, h, measure, L, pos, samples[s])
            acc_out[s] = acc_win / tries_win
            acc_win = np.int64(0)
            tries_win = np.int64(0)
            s += 1
    return delta


@njit(cache=True, parallel=True)
def run_metropolis_parallel(theta, cs, sn, indptr, indices, weights, chunk_bounds, colour_chunks, beta, J, h,
                            delta, adapt, n_burn, n_sweeps, every, key, samples, acc_out, measure, L, pos):
    """As :func:`run_metropolis_serial`, the chunks of one colour in parallel (``prange``)."""
    n = theta.shape[0]
    n_chunks = chunk_bounds.shape[0] - 1
    n_colours = colour_chunks.shape[0] - 1
    maxc = 0
    for c in range(n_chunks):
        maxc = max(maxc, chunk_bounds[c + 1] - chunk_bounds[c])
    nbw = 4 * ((2 * maxc + 3) // 4) + 8   # per-chunk scratch rows, padded past a cache line
    rb = np.empty((n_chunks, nbw), dtype=np.int64)
    accs = np.zeros(n_chunks, dtype=np.int64)
    acc_win = np.int64(0)
    tries_win = np.int64(0)
    s = 0
    for t in range(n_burn + n_sweeps):
        if t == n_burn:
            acc_win = np.int64(0)
            tries_win = np.int64(0)
        for k in range(n_colours):
            c0 = colour_chunks[k]
            for q in prange(colour_chunks[k + 1] - c0):
                c = c0 + q
                accs[c] = _metropolis_chunk(theta, cs, sn, indptr, indices, weights, chunk_bounds[c],
                                            chunk_bounds[c + 1], beta, J, h, delta, key, t, c, rb[c])
        for c in range(n_chunks):  # exact integers, serial sum
            acc_win += accs[c]
        tries_win += n
        if t < n_burn:
            if adapt and (t + 1) % ADAPT_EVERY == 0:
                delta = _adapt(delta, acc_win, tries_win)
                acc_win = np.int64(0)
                tries_win = np.int64(0)
        elif (t - n_burn + 1) % every == 0:
            _measure(theta, cs, sn, indptr, indices, weights, beta, J, h, measure, L, pos, samples[s])
            acc_out[s] = acc_win / tries_win
            acc_win = np.int64(0)
            tries_win = np.int64(0)
            s += 1
    return delta


@njit(cache=True)
def run_wolff(theta, cs, sn, indptr, indices, weights, beta, J, n_burn, n_steps, every, st, samples,
              size_out, measure, L, pos):
    """``n_burn + n_steps`` Wolff single-cluster steps (h = 0, J w_ij >= 0) from stream ``st``.

    After every ``every``-th recorded step the state is measured into the next
    row of ``samples`` and the mean cluster size of the steps since the
    previous sample goes to ``size_out``.
    """
    n = theta.shape[0]
    stack = np.empty(n, dtype=np.int64)
    proj = np.empty(n)                      # r.s_i of cluster members before the flip
    mark = np.full(n, -1, dtype=np.int64)   # step at which a site joined
    size_win = np.int64(0)
    s = 0
    for t in range(n_burn + n_steps):
        phi = TWO_PI * next_double(st)
        rx = math.cos(phi)
        ry = math.sin(phi)
        i0 = np.int64(next_double(st) * n)
        if i0 >= n:  # pragma: no cover (next_double < 1)
            i0 = n - 1
        proj[i0] = rx * cs[i0] + ry * sn[i0]
        mark[i0] = t
        stack[0] = i0
        size = 1
        head = 0
        while head < size:
            i = stack[head]
            head += 1
            pi = proj[i]
            for p in range(indptr[i], indptr[i + 1]):
                j = indices[p]
                if mark[j] != t:
                    pj = rx * cs[j] + ry * sn[j]
                    x = -2.0 * beta * J * weights[p] * pi * pj
                    if x < 0.0 and next_double(st) < 1.0 - math.exp(x):
                        mark[j] = t
                        proj[j] = pj
                        stack[size] = j
                        size += 1
        for k in range(size):  # reflect every member: s -> s - 2 (r.s) r
            i = stack[k]
            tn = math.pi + 2.0 * phi - theta[i]
            tn = tn - TWO_PI * math.floor(tn / TWO_PI)
            if tn >= TWO_PI:
                tn = 0.0
            theta[i] = tn
            cs[i] = math.cos(tn)
            sn[i] = math.sin(tn)
        if t >= n_burn:
            size_win += size
            if (t - n_burn + 1) % every == 0:
                _measure(theta, cs, sn, indptr, indices, weights, beta, J, 0.0, measure, L, pos, samples[s])
                size_out[s] = size_win / every
                size_win = np.int64(0)
                s += 1


# --------------------------------------------------------------------------
# Measurements.  A sample row holds
#   0: energy per spin, 1: m_x, 2: m_y (per spin),
#   3: helicity-modulus estimator (lattice; NaN on a graph),
#   4: vortex density (lattice; NaN on a graph)
# --------------------------------------------------------------------------

N_OBS = 5


@njit(cache=True, inline="always")
def _measure(theta, cs, sn, indptr, indices, weights, beta, J, h, measure, L, pos, out):
    if measure == 1:
        measure_lattice(theta, cs, sn, L, pos, beta, J, h, out)
    else:
        measure_graph(cs, sn, indptr, indices, weights, J, h, out)


@njit(cache=True)
def measure_graph(cs, sn, indptr, indices, weights, J, h, out):
    """Energy and magnetisation per spin of a graph state (each edge once) into ``out``."""
    n = cs.shape[0]
    b = 0.0
    mx = 0.0
    my = 0.0
    for i in range(n):
        acc = 0.0
        for p in range(indptr[i], indptr[i + 1]):
            q = indices[p]
            if q > i:
                acc += weights[p] * (cs[i] * cs[q] + sn[i] * sn[q])
        b += acc
        mx += cs[i]
        my += sn[i]
    out[0] = (-J * b - h * mx) / n
    out[1] = mx / n
    out[2] = my / n
    out[3] = np.nan
    out[4] = np.nan


@njit(cache=True, inline="always")
def _wrap(d):
    """An angle difference mapped to [-π, π)."""
    return d - TWO_PI * math.floor((d + math.pi) / TWO_PI)


@njit(cache=True)
def measure_lattice(theta, cs, sn, L, pos, beta, J, h, out):
    """Energy, magnetisation, helicity-modulus estimator and vortex density of an L x L torus.

    ``pos[i, j]`` is the position of site (i, j) in the state arrays.  With
    C_a = sum over bonds along a of cos(θ_i - θ_j) and S_a the same with sin
    (bond (i, j)-(i, j+1) for a = x, (i, j)-(i+1, j) for a = y), the
    helicity estimator is (J/2N)(C_x + C_y) - (J²/(2NT))(S_x² + S_y²); the
    vortex density is the number of plaquettes with nonzero winding per site.
    """
    n = L * L
    Cx = 0.0
    Cy = 0.0
    Sx = 0.0
    Sy = 0.0
    mx = 0.0
    my = 0.0
    nv = 0
    for i in range(L):
        ip = i + 1 if i + 1 < L else 0
        for j in range(L):
            jp = j + 1 if j + 1 < L else 0
            a = pos[i, j]
            bx = pos[i, jp]
            by = pos[ip, j]
            Cx += cs[a] * cs[bx] + sn[a] * sn[bx]
            Sx += sn[a] * cs[bx] - cs[a] * sn[bx]
            Cy += cs[a] * cs[by] + sn[a] * sn[by]
            Sy += sn[a] * cs[by] - cs[a] * sn[by]
            mx += cs[a]
            my += sn[a]
            d = pos[ip, jp]
            w = (_wrap(theta[bx] - theta[a]) + _wrap(theta[d] - theta[bx])
                 + _wrap(theta[by] - theta[d]) + _wrap(theta[a] - theta[by]))
            if abs(w) > math.pi:
                nv += 1
    out[0] = (-J * (Cx + Cy) - h * mx) / n
    out[1] = mx / n
    out[2] = my / n
    out[3] = J * (Cx + Cy) / (2.0 * n) - beta * J * J * (Sx * Sx + Sy * Sy) / (2.0 * n)
    out[4] = nv / n
