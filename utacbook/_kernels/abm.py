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

from decimal import Decimal, localcontext

import numpy as np
from llvmlite import ir
from numba import njit, prange, types
from numba.core.extending import intrinsic

from utacbook._kernels.rng import (next_double, next_normal, normal_after_reject, normal_first_try, pair_below_bits,
                                   xoshiro_step)

RULE_SEQUENTIAL = 0
RULE_CHECKERBOARD = 1


# --------------------------------------------------------------------------
# exp, inlined.  Numba compiles np.exp to a call of the C library's exp
# (glibc: a wrapper that sets errno, then __exp_fma through a PLT slot).  In
# the random-sequential kernel the call cost about 2.3 of the 12.9 ns of an
# update (issue 13), and because a call clobbers every vector register the
# loop around it spilled its constants.  _exp_glibc is glibc's exp (sysdeps/ieee754/dbl-64/e_exp.c,
# glibc >= 2.28, from Arm's optimized-routines) evaluated operation for
# operation as glibc's x86-64 FMA build does it (disassembly of __exp_fma in
# libm.so.6 2.36: the same eight fused multiply-adds, table and constants), so
# it returns the same bits as np.exp.  Arguments outside |x| < 509 (and NaN)
# go to np.exp itself.  tests/kernels/test_abm_kernel.py checks the bits
# against np.exp on ~10^7 arguments.  Where the C library's exp is not
# glibc's FMA build (macOS, Windows; glibc without FMA, whose unfused
# evaluation differs in the last bit for ~0.07% of arguments), the kernel
# gives the lattices of a glibc/FMA machine, the same on every machine, not
# those that the kernel calling np.exp gave there.
# --------------------------------------------------------------------------


@intrinsic
def _fma(typingctx, a, b, c):
    """a * b + c with one rounding (llvm.fma: the FMA instruction, or libm's exact fma without one)."""
    sig = types.float64(types.float64, types.float64, types.float64)

    def codegen(context, builder, signature, args):
        d = ir.DoubleType()
        fn = builder.module.declare_intrinsic("llvm.fma", [d], ir.FunctionType(d, [d, d, d]))
        return builder.call(fn, args)
    return sig, codegen


@intrinsic
def _bits(typingctx, x):
    """The IEEE bits of a float64, as uint64."""
    sig = types.uint64(types.float64)

    def codegen(context, builder, signature, args):
        return builder.bitcast(args[0], ir.IntType(64))
    return sig, codegen


@intrinsic
def _from_bits(typingctx, u):
    """The float64 with IEEE bits ``u`` (uint64)."""
    sig = types.float64(types.uint64)

    def codegen(context, builder, signature, args):
        return builder.bitcast(args[0], ir.DoubleType())
    return sig, codegen


def _exp_table():
    """glibc's 2 x 128 words: 2^(k/128) ~= H_k (1 + T_k), H_k and T_k the nearest doubles.

    Word 2k holds the bits of T_k, word 2k+1 those of H_k minus k << 45 (the
    exponent of the scale is added back from the reduced argument).
    """
    out = np.empty(256, dtype=np.uint64)
    with localcontext() as ctx:
        ctx.prec = 40
        ln2 = Decimal(2).ln()
        for k in range(128):
            e = (Decimal(k) / 128 * ln2).exp()
            hk = float(e)  # correctly rounded
            tk = float((e - Decimal(hk)) / Decimal(hk))
            out[2 * k] = np.float64(tk).view(np.uint64)
            out[2 * k + 1] = (int(np.float64(hk).view(np.uint64)) - (k << 45)) % 2**64
    return out


_EXP_TAB = _exp_table()
_EXP_INVLN2N = float.fromhex("0x1.71547652b82fep+7")  # 128 / ln 2
_EXP_NEGLN2HI = float.fromhex("-0x1.62e42fefa0000p-8")  # -ln 2 / 128, high and low parts
_EXP_NEGLN2LO = float.fromhex("-0x1.cf79abc9e3b3ap-47")
_EXP_C2 = float.fromhex("0x1.ffffffffffdbdp-2")  # polynomial for exp(r) - 1 - r
_EXP_C3 = float.fromhex("0x1.555555555543cp-3")
_EXP_C4 = float.fromhex("0x1.55555cf172b91p-5")
_EXP_C5 = float.fromhex("0x1.1111167a4d017p-7")
_EXP_SHIFT = float.fromhex("0x1.8p52")  # x * 128/ln2 + SHIFT rounds to an integer k in the low bits
_EXP_SHIFT_BITS = 0x4338000000000000
_EXP_KMAX = 94000  # |k| < KMAX means |x| < 509 (glibc's table path covers |x| < 512)


@njit(cache=True, inline="always")
def _exp_glibc(x):
    """``np.exp(x)``, the same bits (see above), without a call for |x| < 509."""
    kd = _fma(x, _EXP_INVLN2N, _EXP_SHIFT)
    ki = _bits(kd)
    # k = ki - SHIFT_BITS.  The test passes |x| < 2**-54 too, where glibc returns 1.0 + x = 1.0
    # without the table; the path below gives k = 0, scale = 1, tmp = x (x*x is below half an
    # ulp of x) and fma(1, x, 1) = 1.0 as well
    if ki - np.uint64(_EXP_SHIFT_BITS - _EXP_KMAX) >= np.uint64(2 * _EXP_KMAX):
        return np.exp(x)
    kd = kd - _EXP_SHIFT
    r = _fma(kd, _EXP_NEGLN2LO, _fma(kd, _EXP_NEGLN2HI, x))
    idx = np.int64((ki & np.uint64(0x7F)) << np.uint64(1))
    tail = _from_bits(_EXP_TAB[idx])
    sbits = _EXP_TAB[idx + 1] + (ki << np.uint64(45))
    p23 = _fma(r, _EXP_C3, _EXP_C2)
    a = r + tail
    r2 = r * r
    p45 = _fma(r, _EXP_C5, _EXP_C4)
    b = _fma(p23, r2, a)
    tmp = _fma(r2 * r2, p45, b)
    scale = _from_bits(sbits)
    return _fma(scale, tmp, scale)


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
def _wrap_tables(L):
    """Periodic neighbours: ``rows[2i]``, ``rows[2i+1]`` = L * (i+1 mod L, i-1 mod L); ``cols`` the same without L."""
    rows = np.empty(2 * L, dtype=np.uint64)
    cols = np.empty(2 * L, dtype=np.uint64)
    for a in range(L):
        ap = a + 1 if a + 1 < L else 0
        am = a - 1 if a > 0 else L - 1
        rows[2 * a] = np.uint64(ap * L)
        rows[2 * a + 1] = np.uint64(am * L)
        cols[2 * a] = np.uint64(ap)
        cols[2 * a + 1] = np.uint64(am)
    return rows, cols


@njit(cache=True, error_model="numpy")
def _sequential_flat(flat, L, rows, cols, Jq, h, ninvT, n_updates, st):
    """The random-sequential updates on the flattened lattice; returns the change of the sum.

    Exactly the arithmetic and the draws of ``_update_site`` with
    ``next_pair_below`` and ``next_normal``: ``-((Jq*s + h)*invT + z)`` is
    computed as ``(Jq*s + h)*(-invT) - z`` (negation is exact and commutes
    with rounding to nearest; a zero result may change sign, and exp(+-0) = 1).
    The stream state lives in registers, indices are unsigned (no
    negative-index wraparound code), neighbours come from ``rows``/``cols``,
    and exp is :func:`_exp_glibc`.  ``error_model="numpy"``: the denominator
    is >= 1, so there is no zero-division check to keep.
    """
    Lu = np.uint64(L)
    one = np.uint64(1)
    dsum = 0.0
    s0 = st[0]
    s1 = st[1]
    s2 = st[2]
    s3 = st[3]
    for _ in range(n_updates):
        x, s0, s1, s2, s3 = xoshiro_step(s0, s1, s2, s3)
        i, j = pair_below_bits(x, Lu)
        r, s0, s1, s2, s3 = xoshiro_step(s0, s1, s2, s3)
        z, rabs, accepted = normal_first_try(r)
        if not accepted:  # ~1.2% of draws: finish next_normal on the stream itself
            st[0] = s0
            st[1] = s1
            st[2] = s2
            st[3] = s3
            z = normal_after_reject(st, r, rabs, z)
            s0 = st[0]
            s1 = st[1]
            s2 = st[2]
            s3 = st[3]
        row = i * Lu
        i2 = i + i
        j2 = j + j
        k = row + j
        old = flat[k]
        nsum = flat[rows[i2] + j] + flat[rows[i2 + one] + j] + flat[row + cols[j2]] + flat[row + cols[j2 + one]]
        new = 1.0 / (1.0 + _exp_glibc((Jq * nsum + h) * ninvT - z))
        flat[k] = new
        dsum += new - old
    st[0] = s0
    st[1] = s1
    st[2] = s2
    st[3] = s3
    return dsum


@njit(cache=True)
def random_updates(lat, J, h, T, n_updates, st):
    """``n_updates`` random-sequential single-site updates; returns the change of the sum.

    Same draws, same lattices and same returned sum, bit for bit, as the
    plain loop over ``next_pair_below``, ``next_normal`` and ``_update_site``
    (kept in ``benchmarks/reference_abm_kernel.py``), about 1.5x faster.
    """
    L = lat.shape[0]
    rows, cols = _wrap_tables(L)
    if lat.flags.c_contiguous:
        return _sequential_flat(lat.reshape(L * L), L, rows, cols, 0.25 * J, h, -(1.0 / T), n_updates, st)
    work = np.empty(L * L)  # a strided view: work on a flat copy
    for a in range(L):
        for b in range(L):
            work[a * L + b] = lat[a, b]
    dsum = _sequential_flat(work, L, rows, cols, 0.25 * J, h, -(1.0 / T), n_updates, st)
    for a in range(L):
        for b in range(L):
            lat[a, b] = work[a * L + b]
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
    if rule == RULE_SEQUENTIAL and lat.flags.c_contiguous:  # random_updates, set up once
        rows, cols = _wrap_tables(L)
        flat = lat.reshape(N)
        for s in range(n_sweeps):
            total += _sequential_flat(flat, L, rows, cols, 0.25 * J, h, -(1.0 / T), N, st)
            trace[s] = total / N
        return lat.sum() / N
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
