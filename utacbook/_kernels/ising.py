"""Numba kernels of the square-lattice Ising engine (private; see :mod:`utacbook.models`).

Model: spins s = +-1 (int8) on a periodic L x L lattice,
H = -J sum_<ij> s_i s_j - h sum_i s_i.  The kernels keep two exact integer
counters, the bond sum B = sum_<ij> s_i s_j (each bond once) and the
magnetisation M = sum_i s_i, so E = -J B - h M is known after every sweep
without a floating-point reduction.

Checkerboard kernels (Metropolis and heat-bath): a sweep updates all sites
with (i + j) even, then all with (i + j) odd.  Internally the two colours are
stored as separate (L, L/2) arrays (:func:`split_sublattices`), so that each
row update is a unit-stride loop, and each colour has two buffers: a row is
read from one and written to the other, so the loop's input and output never
alias.  Sites of one colour do not interact, so rows of one colour are updated
in parallel.  Each row writes its changes of B and M into its own slot of
``dB``/``dM``; these are summed serially.

Random numbers: a row first fills a buffer with 32-bit words of the
counter-based generator Philox4x32-10 (:func:`utacbook._kernels.rng.philox4x32`),
counters (block j, row i, sweep t mod 2**32, 2 (t >> 32) + colour) under the
run's 64-bit key.  Which word a site gets is a fixed function of
(key, t, colour, i, k), so the run does not depend on the thread count, nor on
whether the serial or the parallel driver is used, and no generator state is
carried between rows.  The loop over counters vectorises (AVX-512: 16
32-bit lanes).

Flip probabilities come from a table ``thr[k, s]`` indexed by the neighbour
sum n = 2k - 4 (k = 0..4) and the spin (s = 0 for -1, 1 for +1), stored as
integer thresholds on 32 random bits: a flip is accepted when the site's word
is below ``thr = floor(p * 2**32)`` (``thr = 2**32`` means "always"), so with
probability p to within 2**-32.  Every site attempt uses one word and the
accept is applied branch-free.  The threshold is picked from the table by a
chain of selects (on s n when h = 0, on (n, s) otherwise) rather than an
indexed load: with the load the loop stayed scalar (1.9 ns per site in
isolation), with the selects it vectorises (0.35 ns per site, h = 0).
History: the previous kernel (per-row xoshiro256** streams, 53-bit draws,
scalar loop) ran at 0.32 flips per ns on one core at L = 1024, T_c; this one
at about 1.5.

Zero-cost flips.  Metropolis accepts a flip with probability min(1, e^{-beta dE})
except at dE = 0, where it accepts with probability ZERO_COST_ACCEPT = 63/64.
With probability 1, sublattice-parallel Metropolis is not ergodic: in states
where every spin has zero local field (row stripes, ++-- diagonal stripes,
2 x 2 block chequerboards) each half-sweep flips a whole sublattice, the fields
stay zero, and the state cycles s -> -s -> s forever at any T (found at L = 4
in 2 of 1000 random starts; at L = 2 every stripe state is such a trap).  Any
acceptance a(0) in (0, 1) keeps detailed balance (a move of zero cost and its
reverse have the same probability) and breaks the cycle; the smaller a(0),
the slower the chain decorrelates.  Measured tau_int(|m|) at T_c (mean and
standard error over 4 seeds, 1 thread, ``engine_checks.zero_cost_tau()``):
a(0) = 1: 10.50 +- 0.22 (L = 16), 39.7 +- 1.2 (L = 32); 63/64: 10.98 +- 0.41,
49 +- 5; 1/2 (heat-bath-like): 28.5 +- 1.0, 104 +- 10.  With 63/64 a trapped
state escapes within a few sweeps even at L = 4.

Wolff: single-cluster updates grown with an explicit work array of member
coordinates (breadth-first, no recursion) from one stream.  (Moving the
neighbour test into an ``inline="always"`` helper made this loop ~7x slower;
it is written out in place.)
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

from utacbook._kernels.rng import next_double, next_pair_below, next_u64, philox_fill

KIND_METROPOLIS = 0
KIND_HEATBATH = 1

TWO32 = np.int64(1) << np.int64(32)

#: Metropolis acceptance of a zero-cost flip (1 would make the checkerboard chain
#: non-ergodic; see the module docstring)
ZERO_COST_ACCEPT = 63.0 / 64.0


@njit(cache=True)
def random_spins(L, st):
    """Uniform random +-1 spins (int8) from stream ``st``."""
    s = np.empty((L, L), dtype=np.int8)
    for i in range(L):
        for j in range(L):
            s[i, j] = 1 if next_double(st) < 0.5 else -1
    return s


@njit(cache=True)
def counters(spins):
    """Bond sum B (each bond once) and magnetisation M, as int64."""
    L = spins.shape[0]
    B = np.int64(0)
    M = np.int64(0)
    for i in range(L):
        ip = i + 1 if i + 1 < L else 0
        for j in range(L):
            jp = j + 1 if j + 1 < L else 0
            s = np.int64(spins[i, j])
            M += s
            B += s * (np.int64(spins[ip, j]) + np.int64(spins[i, jp]))
    return B, M


@njit(cache=True, inline="always")
def _fill_table(thr, kind, beta, J, h, a0):
    """Flip thresholds for neighbour sums -4..4 (step 2) and spins -1, +1.

    ``a0`` is the Metropolis acceptance of a zero-cost flip (ZERO_COST_ACCEPT
    unless a study asks otherwise).

    ``thr[k, si]`` (n = 2k - 4, s = 2 si - 1) is ``floor(p * 2**32)``, or ``2**32``
    when p >= 1: a flip is accepted when a 32-bit uniform word is below it.
    """
    for k in range(5):
        n = 2 * k - 4
        for si in range(2):
            s = 2 * si - 1
            dE = 2.0 * s * (J * n + h)  # energy change of flipping s
            if kind == KIND_METROPOLIS:
                # zero-cost flips with probability 63/64, not 1: see the module docstring
                p = 1.0 if dE < 0.0 else (a0 if dE == 0.0 else np.exp(-beta * dE))
            else:
                p = 1.0 / (1.0 + np.exp(beta * dE))
            if p >= 1.0:
                thr[k, si] = TWO32
            else:
                thr[k, si] = np.int64(p * 4294967296.0)


@njit(cache=True)
def split_sublattices(spins):
    """(L, L) spins -> (2, L, L/2) sublattice rows: ``X[c, i, k] = spins[i, 2k + ((i + c) & 1)]``.

    Colour c holds the sites with (i + j) % 2 == c, each row contiguous, so the
    update loop is unit-stride.  Site (i, 2k + p) of colour c (p = (i + c) & 1)
    has its up and down neighbours at ``X[1-c, i -+ 1, k]`` and its left and
    right neighbours at ``X[1-c, i, k]`` and ``X[1-c, i, k - 1 + 2p]`` (mod L/2).
    """
    L = spins.shape[0]
    H = L // 2
    X = np.empty((2, L, H), dtype=np.int8)
    for c in range(2):
        for i in range(L):
            p = (i + c) & 1
            for k in range(H):
                X[c, i, k] = spins[i, 2 * k + p]
    return X


@njit(cache=True)
def merge_sublattices(X, spins):
    """Inverse of :func:`split_sublattices`, written into ``spins``."""
    L = spins.shape[0]
    H = L // 2
    for c in range(2):
        for i in range(L):
            p = (i + c) & 1
            for k in range(H):
                spins[i, 2 * k + p] = X[c, i, k]


@njit(cache=True, inline="always")
def _update_row(Xs, cur, c, i, L, thr, sym, key, t, rb, yb):
    """Update the sites of colour c in row i during sweep t; return (dB, dM).

    Reads colour c from buffer ``cur[c]`` and the other colour from buffer
    ``cur[1 - c]`` of ``Xs`` (shape (2, 2, L, L/2)), and writes the new row of
    colour c into the other buffer, ``1 - cur[c]``: input and output never
    alias, so the loop vectorises.  The row's 32-bit uniforms are the Philox
    words of the counters (j, i, t mod 2**32, 2 (t >> 32) + c): site k gets word
    ``rb[k]`` (word k // nb of block k % nb, nb = ceil(H / 4)).  The
    acceptance threshold is picked by a chain of selects on s n (``sym``, when
    h = 0 and the table depends on s n only) or on (n, s), not by a table
    gather: a gather kept the loop scalar.
    """
    H = L // 2
    src = cur[c]
    x = Xs[src, c, i]
    xo = Xs[1 - src, c, i]
    Y = Xs[cur[1 - c], 1 - c]
    up = Y[i - 1 if i > 0 else L - 1]
    dn = Y[i + 1 if i + 1 < L else 0]
    y = Y[i]
    yb[0] = y[H - 1]
    for k in range(H):
        yb[k + 1] = y[k]
    yb[H + 1] = y[0]
    o = 2 * ((i + c) & 1)   # yb offset of the second same-row neighbour, y[k - 1 + 2p]
    nb = (H + 3) // 4
    tt = np.uint64(t)
    philox_fill(rb, nb, key[0], key[1], np.uint64(i), tt & np.uint64(0xFFFFFFFF),
                ((tt >> np.uint64(32)) << np.uint64(1)) | np.uint64(c))
    dB = np.int32(0)
    dM = np.int32(0)
    if sym:
        # h = 0: the threshold depends on s n only (thr[k, 1] with s n = 2k - 4)
        a0 = thr[0, 1]
        a1 = thr[1, 1]
        a2 = thr[2, 1]
        a3 = thr[3, 1]
        a4 = thr[4, 1]
        for k in range(H):
            n = np.int32(up[k]) + np.int32(dn[k]) + np.int32(yb[k + 1]) + np.int32(yb[k + o])
            s = np.int32(x[k])
            sn = s * n
            tk = a0
            tk = a1 if sn == -2 else tk
            tk = a2 if sn == 0 else tk
            tk = a3 if sn == 2 else tk
            tk = a4 if sn == 4 else tk
            f = np.int32(rb[k] < tk)       # branch-free accept
            xo[k] = np.int8(s - 2 * s * f)
            dB -= 2 * sn * f
            dM -= 2 * s * f
    else:
        b0 = thr[0, 0]
        b1 = thr[0, 1]
        b2 = thr[1, 0]
        b3 = thr[1, 1]
        b4 = thr[2, 0]
        b5 = thr[2, 1]
        b6 = thr[3, 0]
        b7 = thr[3, 1]
        b8 = thr[4, 0]
        b9 = thr[4, 1]
        for k in range(H):
            n = np.int32(up[k]) + np.int32(dn[k]) + np.int32(yb[k + 1]) + np.int32(yb[k + o])
            s = np.int32(x[k])
            q = n + 4 + ((s + 1) >> 1)      # = 2k + si, 0..9
            tk = b0
            tk = b1 if q == 1 else tk
            tk = b2 if q == 2 else tk
            tk = b3 if q == 3 else tk
            tk = b4 if q == 4 else tk
            tk = b5 if q == 5 else tk
            tk = b6 if q == 6 else tk
            tk = b7 if q == 7 else tk
            tk = b8 if q == 8 else tk
            tk = b9 if q == 9 else tk
            f = np.int32(rb[k] < tk)
            xo[k] = np.int8(s - 2 * s * f)
            dB -= 2 * s * n * f
            dM -= 2 * s * f
    return np.int64(dB), np.int64(dM)


@njit(cache=True, inline="always")
def _double_buffer(spins):
    """Sublattice rows in buffer 0 of a (2 buffers, 2 colours, L, L/2) array."""
    L = spins.shape[0]
    Xs = np.empty((2, 2, L, L // 2), dtype=np.int8)
    Xs[0] = split_sublattices(spins)
    return Xs


@njit(cache=True)
def run_checkerboard_serial(spins, kind, beta, J, h_seq, n_burn, key, e_out, m_out, a0):
    """Run ``n_burn`` + ``len(e_out)`` checkerboard sweeps, one row at a time.

    Sweep ``t`` uses field ``h_seq[t]`` (``len(h_seq) == n_burn + len(e_out)``)
    and the Philox counters of sweep t under ``key`` (two uint64 words below
    2**32); ``a0`` is the Metropolis acceptance of zero-cost flips.  After each
    post-burn-in sweep the energy and magnetisation per spin are written to
    ``e_out``/``m_out``; ``spins`` holds the final state.
    Gives exactly the same run as :func:`run_checkerboard_parallel`.
    """
    L = spins.shape[0]
    N = L * L
    H = L // 2
    B, M = counters(spins)
    Xs = _double_buffer(spins)
    cur = np.zeros(2, dtype=np.int64)
    thr = np.empty((5, 2), dtype=np.int64)
    rb = np.empty(4 * ((H + 3) // 4), dtype=np.int64)
    yb = np.empty(H + 2, dtype=np.int8)
    n_total = h_seq.shape[0]
    h_prev = np.nan
    for t in range(n_total):
        h = h_seq[t]
        if h != h_prev:
            _fill_table(thr, kind, beta, J, h, a0)
            h_prev = h
        sym = h == 0.0
        for colour in range(2):
            for i in range(L):
                db, dm = _update_row(Xs, cur, colour, i, L, thr, sym, key, t, rb, yb)
                B += db
                M += dm
            cur[colour] = 1 - cur[colour]
        if t >= n_burn:
            e_out[t - n_burn] = (-J * B - h * M) / N
            m_out[t - n_burn] = M / N
    for c in range(2):
        Xs[0, c] = Xs[cur[c], c]
    merge_sublattices(Xs[0], spins)
    return B, M


@njit(cache=True, parallel=True)
def run_checkerboard_parallel(spins, kind, beta, J, h_seq, n_burn, key, e_out, m_out, a0):
    """As :func:`run_checkerboard_serial`, rows of one colour in parallel (prange)."""
    L = spins.shape[0]
    N = L * L
    H = L // 2
    B, M = counters(spins)
    Xs = _double_buffer(spins)
    cur = np.zeros(2, dtype=np.int64)
    thr = np.empty((5, 2), dtype=np.int64)
    nb4 = 4 * ((H + 3) // 4)
    # per-row scratch (rows run in parallel), rows padded to whole cache lines
    rb = np.empty((L, nb4 + 8), dtype=np.int64)
    yb = np.empty((L, H + 66), dtype=np.int8)
    dB = np.zeros(L, dtype=np.int64)
    dM = np.zeros(L, dtype=np.int64)
    n_total = h_seq.shape[0]
    h_prev = np.nan
    for t in range(n_total):
        h = h_seq[t]
        if h != h_prev:
            _fill_table(thr, kind, beta, J, h, a0)
            h_prev = h
        sym = h == 0.0
        for colour in range(2):
            for i in prange(L):
                db, dm = _update_row(Xs, cur, colour, i, L, thr, sym, key, t, rb[i], yb[i])
                dB[i] = db
                dM[i] = dm
            for i in range(L):  # serial reduction (exact integers anyway)
                B += dB[i]
                M += dM[i]
            cur[colour] = 1 - cur[colour]
        if t >= n_burn:
            e_out[t - n_burn] = (-J * B - h * M) / N
            m_out[t - n_burn] = M / N
    for c in range(2):
        Xs[0, c] = Xs[cur[c], c]
    merge_sublattices(Xs[0], spins)
    return B, M


@njit(cache=True)
def run_wolff(spins, beta, J, n_burn, st, e_out, m_out, size_out):
    """``n_burn`` + ``len(e_out)`` Wolff single-cluster steps at h = 0, J >= 0.

    Each step picks a uniformly random seed site, grows the cluster of
    like spins with bond probability p = 1 - exp(-2 beta J) using an explicit
    work array (breadth-first, no recursion), and flips it.  After each
    post-burn-in step the energy and magnetisation per spin and the cluster
    size are recorded.
    """
    L = spins.shape[0]
    N = L * L
    B, M = counters(spins)
    p = 1.0 - np.exp(-2.0 * beta * J)
    thr = np.int64(p * 9007199254740992.0)
    wi = np.empty(N, dtype=np.int64)        # cluster members (row, column), in order of addition
    wj = np.empty(N, dtype=np.int64)
    mark = np.full(N, -1, dtype=np.int64)   # step index at which a site joined
    n_total = n_burn + e_out.shape[0]
    for t in range(n_total):
        i0, j0 = next_pair_below(st, L)
        s0 = spins[i0, j0]
        spins[i0, j0] = -s0
        mark[i0 * L + j0] = t
        wi[0] = i0
        wj[0] = j0
        size = 1
        head = 0
        while head < size:
            i = wi[head]
            j = wj[head]
            head += 1
            for nb in range(4):
                if nb == 0:
                    ii = i + 1 if i + 1 < L else 0
                    jj = j
                elif nb == 1:
                    ii = i - 1 if i > 0 else L - 1
                    jj = j
                elif nb == 2:
                    ii = i
                    jj = j + 1 if j + 1 < L else 0
                else:
                    ii = i
                    jj = j - 1 if j > 0 else L - 1
                if spins[ii, jj] == s0:
                    if np.int64(next_u64(st) >> np.uint64(11)) < thr:
                        spins[ii, jj] = -s0
                        mark[ii * L + jj] = t
                        wi[size] = ii
                        wj[size] = jj
                        size += 1
        # bonds from the cluster to outside changed sign: dB = sum 2 s_new(x) s(y)
        dB = np.int64(0)
        snew = np.int64(-s0)
        for k in range(size):
            i = wi[k]
            j = wj[k]
            ip = i + 1 if i + 1 < L else 0
            im = i - 1 if i > 0 else L - 1
            jp = j + 1 if j + 1 < L else 0
            jm = j - 1 if j > 0 else L - 1
            if mark[ip * L + j] != t:
                dB += 2 * snew * np.int64(spins[ip, j])
            if mark[im * L + j] != t:
                dB += 2 * snew * np.int64(spins[im, j])
            if mark[i * L + jp] != t:
                dB += 2 * snew * np.int64(spins[i, jp])
            if mark[i * L + jm] != t:
                dB += 2 * snew * np.int64(spins[i, jm])
        B += dB
        M += 2 * snew * size
        if t >= n_burn:
            e_out[t - n_burn] = -J * B / N
            m_out[t - n_burn] = M / N
            size_out[t - n_burn] = size
    return B, M


# --------------------------------------------------------------------------
# Multi-spin coding: 64 spins of one lattice in the bits of a uint64
# --------------------------------------------------------------------------
#
# Layout: the L x L lattice (L a multiple of 128) is cut into 64 horizontal
# strips of R = L / 64 rows.  Word W[i, j] holds, in bit b, the spin at row
# i + b R, column j (bit set = spin +1).  The left/right/up/down neighbours of
# every bit of W[i, j] are the same bit of W[i, j -+ 1] and W[i -+ 1, j], except
# across strip boundaries: the row above row 0 of strip b is row R - 1 of strip
# b - 1, i.e. W[R - 1, j] rotated left by one bit, and the row below row R - 1
# is W[0, j] rotated right by one bit (the rotation also closes the torus).
# With R even, the checkerboard colour of every bit of W[i, j] is (i + j) & 1.
#
# Metropolis at h = 0, J > 0: with a the number of anti-aligned neighbours,
# the cost of a flip is dE = 8J - 4Ja, so a >= 3 always flips, a = 2 (dE = 0)
# flips with probability ZERO_COST_ACCEPT (as in the scalar kernels; see the
# module docstring), a = 1 with p4 = exp(-4 beta J) and a = 0 with p8 = p4**2
# (two independent p4 tests).
# Independent Bernoulli(p) decisions for all 64 lanes are made by comparing a
# 53-bit uniform per lane with p bit by bit from the most significant end,
# one random word per bit position, stopping as soon as every lane that needs
# a decision is decided (about log2(64) + 2 words): exactly the test
# u < p for 53-bit uniforms u (the scalar kernels use 32-bit words).

MSC_BITS = 64


@njit(cache=True, inline="always")
def _popcount(x):
    x = x - ((x >> np.uint64(1)) & np.uint64(0x5555555555555555))
    x = (x & np.uint64(0x3333333333333333)) + ((x >> np.uint64(2)) & np.uint64(0x3333333333333333))
    x = (x + (x >> np.uint64(4))) & np.uint64(0x0F0F0F0F0F0F0F0F)
    return np.int64((x * np.uint64(0x0101010101010101)) >> np.uint64(56))


@njit(cache=True, inline="always")
def _rotl1(x):
    return (x << np.uint64(1)) | (x >> np.uint64(63))


@njit(cache=True, inline="always")
def _rotr1(x):
    return (x >> np.uint64(1)) | (x << np.uint64(63))


@njit(cache=True, inline="always")
def bernoulli_mask(st, pbits, need):
    """Bits set independently with probability ``pbits / 2**53`` among the lanes ``need``."""
    res = np.uint64(0)
    und = need
    k = 52
    while und != np.uint64(0) and k >= 0:
        r = next_u64(st)
        if (pbits >> np.uint64(k)) & np.uint64(1):
            res |= und & ~r
            und &= r
        else:
            und &= ~r
        k -= 1
    return res


@njit(cache=True)
def bernoulli_masks(st, pbits, n):
    """``n`` masks with all 64 lanes needed (for tests of :func:`bernoulli_mask`)."""
    out = np.empty(n, dtype=np.uint64)
    for k in range(n):
        out[k] = bernoulli_mask(st, pbits, ~np.uint64(0))
    return out


@njit(cache=True)
def msc_pack(spins):
    """(L, L) int8 spins -> (L/64, L) uint64 words (strip layout)."""
    L = spins.shape[0]
    R = L // 64
    W = np.zeros((R, L), dtype=np.uint64)
    for b in range(64):
        for i in range(R):
            for j in range(L):
                if spins[i + b * R, j] > 0:
                    W[i, j] |= np.uint64(1) << np.uint64(b)
    return W


@njit(cache=True)
def msc_unpack(W):
    """(L/64, L) uint64 words -> (L, L) int8 spins."""
    R, L = W.shape
    s = np.empty((L, L), dtype=np.int8)
    for b in range(64):
        for i in range(R):
            for j in range(L):
                s[i + b * R, j] = 1 if (W[i, j] >> np.uint64(b)) & np.uint64(1) else -1
    return s


@njit(cache=True, inline="always")
def _msc_row(W, i, colour, p0, p4, st):
    """Metropolis update of the words of one colour in word-row i."""
    R, L = W.shape
    if i > 0:
        up = W[i - 1]
        up_rot = False
    else:
        up = W[R - 1]
        up_rot = True
    if i + 1 < R:
        dn = W[i + 1]
        dn_rot = False
    else:
        dn = W[0]
        dn_rot = True
    row = W[i]
    for j in range((i + colour) & 1, L, 2):
        s = row[j]
        u = _rotl1(up[j]) if up_rot else up[j]
        d = _rotr1(dn[j]) if dn_rot else dn[j]
        x1 = s ^ u
        x2 = s ^ d
        x3 = s ^ row[j - 1 if j > 0 else L - 1]
        x4 = s ^ row[j + 1 if j + 1 < L else 0]
        ones = x1 | x2 | x3 | x4
        two = (x1 & x2) | (x3 & x4) | ((x1 | x2) & (x3 | x4))   # a >= 2
        three = (x1 & x2 & (x3 | x4)) | (x3 & x4 & (x1 | x2))   # a >= 3
        a2 = two & ~three                                          # a == 2
        a1 = ones & ~two                                           # a == 1
        a0 = ~ones                                                 # a == 0
        m0 = bernoulli_mask(st, p0, a2)
        m4 = bernoulli_mask(st, p4, a1 | a0)
        m8 = bernoulli_mask(st, p4, a0 & m4)
        row[j] = s ^ (three | m0 | (a1 & m4) | (a0 & m8))


@njit(cache=True, inline="always")
def _msc_row_counts(W, i):
    """Bond sum (bonds right and down of each site) and magnetisation of word-row i."""
    R, L = W.shape
    dn = W[i + 1] if i + 1 < R else W[0]
    b = np.int64(0)
    m = np.int64(0)
    for j in range(L):
        s = W[i, j]
        d = dn[j] if i + 1 < R else _rotr1(dn[j])
        r = W[i, j + 1 if j + 1 < L else 0]
        b += 128 - 2 * (_popcount(s ^ d) + _popcount(s ^ r))
        m += 2 * _popcount(s) - 64
    return b, m


@njit(cache=True)
def msc_counters(W):
    """Bond sum B and magnetisation M of the packed lattice (exact integers)."""
    B = np.int64(0)
    M = np.int64(0)
    for i in range(W.shape[0]):
        b, m = _msc_row_counts(W, i)
        B += b
        M += m
    return B, M


@njit(cache=True)
def run_msc_serial(W, beta, J, n_burn, states, e_out, m_out):
    """``n_burn + len(e_out)`` multi-spin-coded Metropolis sweeps (h = 0, J > 0).

    Word-row ``i`` always draws from ``states[i]``: the same run as
    :func:`run_msc_parallel`.
    """
    R, L = W.shape
    N = L * L
    p4 = np.uint64(np.exp(-4.0 * beta * J) * 9007199254740992.0)
    p0 = np.uint64(ZERO_COST_ACCEPT * 9007199254740992.0)
    n_total = n_burn + e_out.shape[0]
    for t in range(n_total):
        for colour in range(2):
            for i in range(R):
                _msc_row(W, i, colour, p0, p4, states[i])
        if t >= n_burn:
            B, M = msc_counters(W)
            e_out[t - n_burn] = -J * B / N
            m_out[t - n_burn] = M / N


@njit(cache=True, parallel=True)
def run_msc_parallel(W, beta, J, n_burn, states, e_out, m_out):
    """As :func:`run_msc_serial`, word-rows of one colour in parallel (``prange``)."""
    R, L = W.shape
    N = L * L
    p4 = np.uint64(np.exp(-4.0 * beta * J) * 9007199254740992.0)
    p0 = np.uint64(ZERO_COST_ACCEPT * 9007199254740992.0)
    Bs = np.zeros(R, dtype=np.int64)
    Ms = np.zeros(R, dtype=np.int64)
    n_total = n_burn + e_out.shape[0]
    for t in range(n_total):
        for colour in range(2):
            for i in prange(R):
                _msc_row(W, i, colour, p0, p4, states[i])
        if t >= n_burn:
            for i in prange(R):
                b, m = _msc_row_counts(W, i)
                Bs[i] = b
                Ms[i] = m
            B = np.int64(0)
            M = np.int64(0)
            for i in range(R):  # exact integers, serial sum
                B += Bs[i]
                M += Ms[i]
            e_out[t - n_burn] = -J * B / N
            m_out[t - n_burn] = M / N
