"""The agent model's random-sequential kernel as shipped before issue 13 (frozen reference).

Verbatim copies (same names, same arithmetic, same order of random draws) of
``utacbook/_kernels/abm.py`` (``_sigmoid``, ``_neigh_sum``, ``_update_site``,
``random_lattice``, ``random_updates``, ``_checkerboard_row``,
``checkerboard_sweep``, ``run_sweeps``) and of the xoshiro256** / ziggurat
functions of ``utacbook/_kernels/rng.py`` they use (``_rotl``, ``next_u64``,
``next_double``, ``next_pair_below``, ``next_normal`` and its tables), taken
at commit c5fa833.  Self-contained, so that later edits of the package cannot
change it.

``benchmarks/bench_abm_kernel.py`` times the package's kernel against this
one, and ``tests/kernels/test_abm_kernel.py`` checks that the package
gives bit-identical lattices and traces for the same streams.  Do not edit
this file (except to follow a deliberate, documented change of the model's
random sequence).
"""

from __future__ import annotations

import numpy as np
from numba import njit

RULE_SEQUENTIAL = 0
RULE_CHECKERBOARD = 1


# --------------------------------------------------------------------------
# utacbook/_kernels/rng.py
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
    """Two integers uniform on {0, ..., n-1} from one 64-bit draw (n < 2**32)."""
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
    """A standard normal deviate (256-layer ziggurat, as in NumPy's generator)."""
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
# utacbook/_kernels/abm.py
# --------------------------------------------------------------------------


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
