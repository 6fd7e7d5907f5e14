"""Explicit, splittable random-number streams for Numba kernels.

Every stochastic kernel in :mod:`utacbook` draws from *xoshiro256*\\*\\** streams
(Blackman & Vigna 2021) whose 256-bit states are created on the Python side
from :class:`numpy.random.SeedSequence`.  One stream belongs to one fixed chunk
of work (a scan point, a replica, a lattice row), never to a thread, so a seed
gives bit-identical results whatever the number of threads Numba uses.

The checkerboard lattice kernels use a counter-based generator instead,
Philox4x32-10 (Salmon et al. 2011, as in Random123, cuRAND, NumPy's
``Philox`` family and JAX): the random words for (sweep, colour, row, block)
are a keyed bijection of that counter, so no state is carried at all, every
row of every half-sweep has its own subsequence, and a loop over counters
vectorises (16 lanes of AVX-512).  The 64-bit key comes from a
``SeedSequence`` (:func:`philox_key`).

States are stored as rows of a ``(n_streams, 16)`` ``uint64`` array: each row
is 128 bytes but only its first 32 bytes are used, so two streams updated by
different threads never share a cache line.
"""

from __future__ import annotations

import numbers

import numpy as np
from numba import njit

__all__ = ["make_streams", "resolve_seed", "philox_key"]

#: number of uint64 words per stream row (4 used, the rest is padding)
STREAM_STRIDE = 16


def resolve_seed(seed):
    """Return a fresh :class:`numpy.random.SeedSequence` and the value that recreates it.

    Parameters
    ----------
    seed : int >= 0, numpy.random.SeedSequence, (entropy, spawn_key) tuple, or None
        ``None`` draws fresh entropy from the operating system.  A
        ``SeedSequence`` is copied (its spawn counter is not advanced), so
        passing the same one twice gives the same streams twice.

    Returns
    -------
    seq : numpy.random.SeedSequence
        A fresh sequence, never spawned from.
    reproducer : int or tuple
        Pass this as ``seed`` to get the same streams again: the integer
        entropy, or ``(entropy, spawn_key)`` for a spawned child sequence.
    """
    if isinstance(seed, np.random.SeedSequence):
        entropy, key = seed.entropy, tuple(int(k) for k in seed.spawn_key)
    elif seed is None:
        entropy, key = np.random.SeedSequence().entropy, ()
    elif isinstance(seed, tuple) and len(seed) == 2:
        entropy, key = seed[0], seed[1]
        if (isinstance(entropy, bool) or not isinstance(entropy, numbers.Integral)
                or entropy < 0 or not isinstance(key, tuple)
                or not all(isinstance(k, numbers.Integral) and k >= 0 for k in key)):
            raise ValueError(f"seed as a tuple must be (entropy >= 0, spawn_key tuple of "
                             f"ints >= 0), got {seed!r}")
        entropy, key = int(entropy), tuple(int(k) for k in key)
    elif isinstance(seed, bool) or not isinstance(seed, numbers.Integral):
        raise TypeError(f"seed must be a non-negative integer or None, got {seed!r}")
    elif seed < 0:
        raise ValueError(f"seed must be a non-negative integer or None, got {seed!r}")
    else:
        entropy, key = int(seed), ()
    seq = np.random.SeedSequence(entropy, spawn_key=key)
    return seq, (entropy if not key else (entropy, key))


def make_streams(seed, n_streams):
    """Create ``n_streams`` independent xoshiro256** states.

    Parameters
    ----------
    seed : int, numpy.random.SeedSequence or None
        Root seed; stream ``k`` is seeded from ``SeedSequence(seed).spawn(n)[k]``.
    n_streams : int
        Number of streams, >= 1.

    Returns
    -------
    states : ndarray of uint64, shape (n_streams, 16)
        One padded row per stream, ready to pass to the kernels.
    entropy : int or tuple
        The seed that reproduces these streams (see :func:`resolve_seed`).
    """
    seq, entropy = resolve_seed(seed)
    n_streams = int(n_streams)
    if n_streams < 1:
        raise ValueError(f"n_streams must be >= 1, got {n_streams}")
    states = np.zeros((n_streams, STREAM_STRIDE), dtype=np.uint64)
    for k, child in enumerate(seq.spawn(n_streams)):
        words = child.generate_state(4, dtype=np.uint64)
        if not words.any():  # the all-zero state is a fixed point of xoshiro
            words[0] = np.uint64(0x9E3779B97F4A7C15)
        states[k, :4] = words
    return states, entropy


def philox_key(seq):
    """The 64-bit Philox key of a :class:`numpy.random.SeedSequence`, as two 32-bit words.

    Returns
    -------
    key : ndarray of uint64, shape (2,)
        ``generate_state(2, uint32)`` of ``seq``, widened to uint64 for the kernels.
    """
    return seq.generate_state(2, dtype=np.uint32).astype(np.uint64)


# --------------------------------------------------------------------------
# Kernels (nopython).  ``st`` is one row of a states array.
# --------------------------------------------------------------------------


@njit(cache=True, inline="always")
def _rotl(x, k):
    return (x << np.uint64(k)) | (x >> np.uint64(64 - k))


@njit(cache=True, inline="always")
def next_u64(st):
    """Advance stream ``st`` and return 64 random bits (xoshiro256**)."""
    s0 = st[0]
    s1 = st[1]
    s2 = st[2]
    s3 = st[3]
    result = _rotl(s1 * np.uint64(5), 7) * np.uint64(9)
    t = s1 << np.uint64(17)
    s2 ^= s0
    s3 ^= s1
    s1 ^= s2
    s0 ^= s3
    s2 ^= t
    s3 = _rotl(s3, 45)
    st[0] = s0
    st[1] = s1
    st[2] = s2
    st[3] = s3
    return result


@njit(cache=True, inline="always")
def next_double(st):
    """Uniform double in [0, 1) with 53 random bits."""
    return (next_u64(st) >> np.uint64(11)) * (1.0 / 9007199254740992.0)


@njit(cache=True, inline="always")
def next_pair_below(st, n):
    """Two integers uniform on {0, ..., n-1} from one 64-bit draw (n < 2**32).

    Uses Lemire's multiply-shift on each 32-bit half; the bias is below
    ``n / 2**32`` (under 1e-6 for lattices up to 4096 sites a side).
    """
    x = next_u64(st)
    nn = np.uint64(n)
    a = ((x >> np.uint64(32)) * nn) >> np.uint64(32)
    b = ((x & np.uint64(0xFFFFFFFF)) * nn) >> np.uint64(32)
    return np.int64(a), np.int64(b)


def _ziggurat_tables():
    """Marsaglia & Tsang's 256-layer ziggurat tables for N(0, 1), 52-bit magnitudes."""
    m1 = 2.0 ** 52
    dn = 3.6541528853610088
    tn = dn
    vn = 0.00492867323399
    ki = np.zeros(256, dtype=np.uint64)
    wi = np.zeros(256)
    fi = np.zeros(256)
    q = vn / np.exp(-0.5 * dn * dn)
    ki[0] = np.uint64((dn / q) * m1)
    ki[1] = np.uint64(0)
    wi[0] = q / m1
    wi[255] = dn / m1
    fi[0] = 1.0
    fi[255] = np.exp(-0.5 * dn * dn)
    for i in range(254, 0, -1):
        dn = np.sqrt(-2.0 * np.log(vn / dn + np.exp(-0.5 * dn * dn)))
        ki[i + 1] = np.uint64((dn / tn) * m1)
        tn = dn
        fi[i] = np.exp(-0.5 * dn * dn)
        wi[i] = dn / m1
    return ki, wi, fi


_ZIG_KI, _ZIG_WI, _ZIG_FI = _ziggurat_tables()
_ZIG_KI = _ZIG_KI.astype(np.int64)  # magnitudes are < 2**52: int64 compares are cheaper
_ZIG_R = 3.6541528853610088
_ZIG_INV_R = 1.0 / _ZIG_R


@njit(cache=True, inline="always")
def next_normal(st):
    """A standard normal deviate (256-layer ziggurat, as in NumPy's generator).

    Everything, the rare wedge and tail branches included, is inlined: a
    non-inlined call on the slow path made the fast path ten times slower.
    """
    while True:
        r = next_u64(st)
        idx = np.int64(r & np.uint64(0xFF))
        r = r >> np.uint64(8)
        rabs = np.int64((r >> np.uint64(1)) & np.uint64(0x000FFFFFFFFFFFFF))
        x = rabs * _ZIG_WI[idx]
        if r & np.uint64(1):
            x = -x
        if rabs < _ZIG_KI[idx]:
            return x
        if idx == 0:  # tail beyond R (Marsaglia's method)
            while True:
                xx = -_ZIG_INV_R * np.log1p(-next_double(st))
                yy = -np.log1p(-next_double(st))
                if yy + yy > xx * xx:
                    if (rabs >> 8) & 1:
                        return -(_ZIG_R + xx)
                    return _ZIG_R + xx
        elif ((_ZIG_FI[idx - 1] - _ZIG_FI[idx]) * next_double(st) + _ZIG_FI[idx]
              < np.exp(-0.5 * x * x)):
            return x


# --------------------------------------------------------------------------
# The same draws with the state in four local variables.  A loop that calls
# next_u64(st) loads and stores the state through memory at every draw (the
# compiler cannot prove that the kernel's other array stores leave ``st``
# alone); these versions let a kernel load the state once, keep it in
# registers and store it back once.  Same bits, same stream consumption.
# --------------------------------------------------------------------------


@njit(cache=True, inline="always")
def xoshiro_step(s0, s1, s2, s3):
    """:func:`next_u64` on a state held in locals: returns ``(bits, s0, s1, s2, s3)``."""
    result = _rotl(s1 * np.uint64(5), 7) * np.uint64(9)
    t = s1 << np.uint64(17)
    s2 ^= s0
    s3 ^= s1
    s1 ^= s2
    s0 ^= s3
    s2 ^= t
    s3 = _rotl(s3, 45)
    return result, s0, s1, s2, s3


@njit(cache=True, inline="always")
def pair_below_bits(x, nn):
    """The pair :func:`next_pair_below` makes of the 64 bits ``x`` (``nn`` = n as uint64), as uint64."""
    a = ((x >> np.uint64(32)) * nn) >> np.uint64(32)
    b = ((x & np.uint64(0xFFFFFFFF)) * nn) >> np.uint64(32)
    return a, b


#: signed layer widths: ``_ZIG_WS[r & 0x1FF]`` is ``_ZIG_WI[r & 0xFF]``, negated when bit 8 of r is set
#: (``rabs * -w == -(rabs * w)`` exactly, so the sign costs no branch or mask)
_ZIG_WS = np.concatenate((_ZIG_WI, -_ZIG_WI))


@njit(cache=True, inline="always")
def normal_first_try(r):
    """:func:`next_normal`'s first try on the 64 bits ``r``: returns ``(x, rabs, accepted)``.

    If ``accepted``, ``x`` is the deviate ``next_normal`` returns; otherwise
    the caller finishes with ``normal_after_reject(st, r, rabs, x)`` on the
    stream (advanced past ``r``).  (Two functions, not one taking ``st``: an
    array argument of an inlined function costs a reference-count increment
    and decrement around every call, which the compiler could not remove.)
    """
    rabs = np.int64((r >> np.uint64(9)) & np.uint64(0x000FFFFFFFFFFFFF))
    x = rabs * _ZIG_WS[r & np.uint64(0x1FF)]
    return x, rabs, rabs < _ZIG_KI[r & np.uint64(0xFF)]


@njit(cache=True, inline="always")
def normal_after_reject(st, r, rabs, x):
    """The rest of :func:`next_normal` after the first try on ``r`` was rejected (about 1.2% of draws)."""
    idx = np.int64(r & np.uint64(0xFF))
    while True:
        if idx == 0:  # tail beyond R (Marsaglia's method)
            while True:
                xx = -_ZIG_INV_R * np.log1p(-next_double(st))
                yy = -np.log1p(-next_double(st))
                if yy + yy > xx * xx:
                    if (rabs >> 8) & 1:
                        return -(_ZIG_R + xx)
                    return _ZIG_R + xx
        elif ((_ZIG_FI[idx - 1] - _ZIG_FI[idx]) * next_double(st) + _ZIG_FI[idx]
              < np.exp(-0.5 * x * x)):
            return x
        r = next_u64(st)
        idx = np.int64(r & np.uint64(0xFF))
        r = r >> np.uint64(8)
        rabs = np.int64((r >> np.uint64(1)) & np.uint64(0x000FFFFFFFFFFFFF))
        x = rabs * _ZIG_WI[idx]
        if r & np.uint64(1):
            x = -x
        if rabs < _ZIG_KI[idx]:
            return x


# --------------------------------------------------------------------------
# Philox4x32-10 (counter-based).  Words are held in uint64 variables (always
# < 2**32) so that a 32 x 32 -> 64-bit product is one exact multiplication.
# --------------------------------------------------------------------------

_PHILOX_M0 = np.uint64(0xD2511F53)
_PHILOX_M1 = np.uint64(0xCD9E8D57)
_PHILOX_W0 = np.uint64(0x9E3779B9)
_PHILOX_W1 = np.uint64(0xBB67AE85)
_MASK32 = np.uint64(0xFFFFFFFF)
_U32 = np.uint64(32)


@njit(cache=True, inline="always")
def philox4x32(c0, c1, c2, c3, k0, k1):
    """Philox4x32-10 of the counter (c0, c1, c2, c3) under the key (k0, k1).

    All arguments and the four returned words are uint64 values below 2**32.
    Checked against Random123's known-answer vectors (tests/test_rng.py).
    """
    for _ in range(10):
        p0 = _PHILOX_M0 * c0
        p1 = _PHILOX_M1 * c2
        # Random123's round: (hi(M1 c2) ^ c1 ^ k0, lo(M1 c2), hi(M0 c0) ^ c3 ^ k1, lo(M0 c0))
        n0 = (p1 >> _U32) ^ c1 ^ k0
        n2 = (p0 >> _U32) ^ c3 ^ k1
        c1 = p1 & _MASK32
        c3 = p0 & _MASK32
        c0 = n0
        c2 = n2
        k0 = (k0 + _PHILOX_W0) & _MASK32
        k1 = (k1 + _PHILOX_W1) & _MASK32
    return c0, c1, c2, c3


@njit(cache=True, inline="always")
def philox_fill(out, n_blocks, k0, k1, c1, c2, c3):
    """Fill ``out[:4 * n_blocks]`` with the Philox words of counters (j, c1, c2, c3), j < n_blocks.

    Word q of block j goes to ``out[q * n_blocks + j]`` (four contiguous runs,
    so the loop over j vectorises).  ``out`` is int64 (values below 2**32).
    """
    for j in range(n_blocks):
        a, b, c, d = philox4x32(np.uint64(j), c1, c2, c3, k0, k1)
        out[j] = np.int64(a)
        out[n_blocks + j] = np.int64(b)
        out[2 * n_blocks + j] = np.int64(c)
        out[3 * n_blocks + j] = np.int64(d)
