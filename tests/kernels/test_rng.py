"""Tests of utacbook._rng: xoshiro256** streams, uniform and normal deviates, seeding.

Statistical tests use fixed seeds, so they are deterministic; their
tolerances are nevertheless set from the sampling distribution of each
statistic (4 standard errors, or a p-value floor of 1e-4), so that a correct
generator would pass for essentially any seed and a biased one fails.
"""

import math

import numpy as np
import pytest
from numba import njit
from scipy import stats

from utacbook._kernels import rng as _rng
from utacbook._kernels.rng import (STREAM_STRIDE, make_streams, next_double, next_normal, next_pair_below, next_u64,
                                   resolve_seed)

MASK64 = (1 << 64) - 1


# --------------------------------------------------------------------------
# Pure-Python reference of xoshiro256** (Blackman & Vigna, xoshiro256starstar.c)
# --------------------------------------------------------------------------


def _rotl_ref(x, k):
    return ((x << k) | (x >> (64 - k))) & MASK64


def xoshiro256ss_ref(state, n):
    """First ``n`` outputs of xoshiro256** from ``state`` (4 ints), and the final state."""
    s = [int(w) & MASK64 for w in state]
    out = []
    for _ in range(n):
        result = (_rotl_ref((s[1] * 5) & MASK64, 7) * 9) & MASK64
        t = (s[1] << 17) & MASK64
        s[2] ^= s[0]
        s[3] ^= s[1]
        s[1] ^= s[2]
        s[0] ^= s[3]
        s[2] ^= t
        s[3] = _rotl_ref(s[3], 45)
        out.append(result)
    return out, s


def _row(words):
    st = np.zeros(STREAM_STRIDE, dtype=np.uint64)
    st[:4] = np.array([int(w) for w in words], dtype=np.uint64)
    return st


# njit drivers: draw many numbers in compiled code (one Python call each)
@njit(cache=True)
def _draw_u64(st, n):
    out = np.empty(n, dtype=np.uint64)
    for k in range(n):
        out[k] = next_u64(st)
    return out


@njit(cache=True)
def _draw_doubles(st, n):
    out = np.empty(n)
    for k in range(n):
        out[k] = next_double(st)
    return out


@njit(cache=True)
def _draw_normals(st, n):
    out = np.empty(n)
    for k in range(n):
        out[k] = next_normal(st)
    return out


@njit(cache=True)
def _pair_counts(st, m, n_draws):
    counts = np.zeros((m, m), dtype=np.int64)
    bad = 0
    for _ in range(n_draws):
        a, b = next_pair_below(st, m)
        if a < 0 or a >= m or b < 0 or b >= m:
            bad += 1
        else:
            counts[a, b] += 1
    return counts, bad


# --------------------------------------------------------------------------
# xoshiro256** core
# --------------------------------------------------------------------------


def test_reference_known_vector():
    # Anchor the Python reference itself: from state (1, 2, 3, 4) the published
    # C code gives 11520, 0, 1509978240, 1215971899390074240 (hand check of the
    # first: rotl(2*5, 7)*9 = 1280*9 = 11520).
    out, _ = xoshiro256ss_ref([1, 2, 3, 4], 4)
    assert out == [11520, 0, 1509978240, 1215971899390074240]


@pytest.mark.parametrize("words", [
    [1, 2, 3, 4],
    [0x9E3779B97F4A7C15, 0xBF58476D1CE4E5B9, 0x94D049BB133111EB, 0xFFFFFFFFFFFFFFFF],
    None,  # a full-entropy state from make_streams
])
def test_next_u64_matches_reference(words):
    if words is None:
        words = [int(w) for w in make_streams(12345, 1)[0][0, :4]]
    st = _row(words)
    got = [int(next_u64(st)) for _ in range(20)]
    want, final = xoshiro256ss_ref(words, 20)
    assert got == want
    assert [int(w) for w in st[:4]] == final          # state advanced identically
    assert not st[4:].any()                           # padding never touched
    # compiled loop (as inside the kernels) gives the same sequence
    st2 = _row(words)
    assert [int(x) for x in _draw_u64(st2, 20)] == want


def test_next_double_is_top_53_bits():
    words = [int(w) for w in make_streams(7, 1)[0][0, :4]]
    want, _ = xoshiro256ss_ref(words, 20)
    st = _row(words)
    got = [next_double(st) for _ in range(20)]
    assert got == [(w >> 11) * 2.0 ** -53 for w in want]


def test_next_double_uniform_moments():
    n = 1_000_000
    x = _draw_doubles(make_streams(2024, 1)[0][0], n)
    assert x.min() >= 0.0 and x.max() < 1.0
    # mean of U(0,1): 1/2, s.e. sqrt(1/12 / n)
    assert abs(x.mean() - 0.5) < 4 * math.sqrt(1 / 12 / n)
    # variance 1/12; the s.e. of the sample variance is sqrt((mu4 - sigma^4)/n)
    # with mu4 = 1/80, sigma^4 = 1/144  ->  sqrt(1/180 / n)
    assert abs(x.var() - 1 / 12) < 4 * math.sqrt(1 / 180 / n)
    # and the distribution: KS against U(0,1)
    assert stats.kstest(x, "uniform").pvalue > 1e-4


# --------------------------------------------------------------------------
# Normal deviates (ziggurat)
# --------------------------------------------------------------------------


@pytest.fixture(scope="module")
def normals():
    return _draw_normals(make_streams(31415, 1)[0][0], 1_000_000)


def test_ziggurat_constant():
    # R is the right edge of the base layer of the 256-layer ziggurat: the
    # base layer area R f(R) + tail = v with f(x) = exp(-x^2/2) (unnormalised)
    R = _rng._ZIG_R
    v = 0.00492867323399
    tail = math.sqrt(2 * math.pi) * stats.norm.sf(R)
    assert abs(R * math.exp(-R * R / 2) + tail - v) < 1e-12


def test_next_normal_ks(normals):
    assert stats.kstest(normals, "norm").pvalue > 1e-4


def test_next_normal_moments(normals):
    n = normals.size
    # mean: s.e. 1/sqrt(n); variance: s.e. sqrt(2/n) (mu4 = 3)
    assert abs(normals.mean()) < 4 / math.sqrt(n)
    assert abs(normals.var() - 1.0) < 4 * math.sqrt(2 / n)
    # skewness s.e. sqrt(6/n), excess kurtosis s.e. sqrt(24/n) for a normal sample
    assert abs(stats.skew(normals)) < 4 * math.sqrt(6 / n)
    assert abs(stats.kurtosis(normals)) < 4 * math.sqrt(24 / n)


def test_next_normal_tail_beyond_R(normals):
    # The tail |x| > R is produced by a separate branch (Marsaglia's method);
    # its frequency must be 2 Phi(-R).  Binomial count, 4 sigma.
    n = normals.size
    R = _rng._ZIG_R
    p = 2 * stats.norm.sf(R)
    k = int(np.sum(np.abs(normals) > R))
    assert abs(k - n * p) < 4 * math.sqrt(n * p * (1 - p))
    # both signs occur in the tail, in equal proportion (binomial 1/2)
    k_pos = int(np.sum(normals > R))
    assert abs(k_pos - k / 2) < 4 * math.sqrt(k / 4)
    # the tail shape: given |x| > R, the mean excess |x| - R of a normal is
    # phi(R)/Phi(-R) - R; its s.e. is the conditional std / sqrt(k)
    tail = np.abs(normals[np.abs(normals) > R]) - R
    t = stats.truncnorm(R, np.inf)
    assert abs(tail.mean() - (t.mean() - R)) < 4 * t.std() / math.sqrt(k)


def test_next_normal_wedges():
    # The wedge branch of every layer: histogram of 2e6 draws in 60 bins on
    # [-4, 4] plus the two outer bins; chi-square against N(0, 1).
    x = _draw_normals(make_streams(99, 1)[0][0], 2_000_000)
    edges = np.concatenate([[-np.inf], np.linspace(-4, 4, 61), [np.inf]])
    obs = np.histogram(x, edges)[0]
    exp = x.size * np.diff(stats.norm.cdf(edges))
    assert stats.chisquare(obs, exp).pvalue > 1e-4


# --------------------------------------------------------------------------
# next_pair_below
# --------------------------------------------------------------------------


@pytest.mark.parametrize("m", [2, 7, 64])
def test_next_pair_below_uniform(m):
    # joint histogram of (a, b) on an m x m grid: uniform and independent
    n_draws = 400 * m * m if m < 64 else 2_000_000
    counts, bad = _pair_counts(make_streams(5 + m, 1)[0][0], m, n_draws)
    assert bad == 0
    res = stats.chisquare(counts.ravel())
    assert res.pvalue > 1e-4
    # marginals separately (a uses the high half, b the low half)
    assert stats.chisquare(counts.sum(axis=1)).pvalue > 1e-4
    assert stats.chisquare(counts.sum(axis=0)).pvalue > 1e-4


def test_next_pair_below_formula():
    words = [int(w) for w in make_streams(3, 1)[0][0, :4]]
    want, _ = xoshiro256ss_ref(words, 10)
    st = _row(words)
    for x in want:
        a, b = next_pair_below(st, 100)
        assert (int(a), int(b)) == (((x >> 32) * 100) >> 32, ((x & 0xFFFFFFFF) * 100) >> 32)


# --------------------------------------------------------------------------
# make_streams / resolve_seed
# --------------------------------------------------------------------------


def test_make_streams_layout_and_reproducibility():
    a, ea = make_streams(42, 5)
    b, eb = make_streams(42, 5)
    assert a.shape == (5, STREAM_STRIDE) == (5, 16)
    assert a.dtype == np.uint64
    assert ea == eb == 42
    np.testing.assert_array_equal(a, b)
    assert not a[:, 4:].any()                 # rows padded with zeros to 16 words
    assert a[:, :4].any(axis=1).all()         # no all-zero state
    # streams are distinct, and produce distinct sequences
    assert len({tuple(r[:4]) for r in a}) == 5
    seqs = {tuple(_draw_u64(r.copy(), 4)) for r in a}
    assert len(seqs) == 5
    # stream k does not depend on how many streams are made
    np.testing.assert_array_equal(make_streams(42, 2)[0], a[:2])


def test_make_streams_different_seeds_differ():
    a, _ = make_streams(1, 3)
    b, _ = make_streams(2, 3)
    assert not np.any(np.all(a[:, :4] == b[:, :4], axis=1))


def test_resolve_seed_none_reproduces():
    seq, entropy = resolve_seed(None)
    assert isinstance(entropy, int) and entropy >= 0
    a, e = make_streams(None, 3)
    b, e2 = make_streams(e, 3)
    assert e2 == e
    np.testing.assert_array_equal(a, b)
    # two fresh seeds differ (128 bits of OS entropy)
    assert make_streams(None, 1)[1] != make_streams(None, 1)[1]
    # a SeedSequence is accepted as is
    s = np.random.SeedSequence(77)
    np.testing.assert_array_equal(make_streams(s, 2)[0], make_streams(77, 2)[0])


@pytest.mark.parametrize("bad, exc", [(-1, ValueError), (1.5, TypeError), (2.0, TypeError),
                                      (True, TypeError), ("3", TypeError)])
def test_bad_seed_raises(bad, exc):
    with pytest.raises(exc, match="seed"):
        resolve_seed(bad)
    with pytest.raises(exc, match="seed"):
        make_streams(bad, 2)


def test_bad_n_streams_raises():
    with pytest.raises(ValueError, match="n_streams"):
        make_streams(1, 0)


def test_seedsequence_seed_is_not_consumed_and_children_reproduce():
    # spawn() advances a SeedSequence's counter; resolve_seed must copy it, so the
    # same object passed twice gives the same streams, and a spawned child reports
    # (entropy, spawn_key), which recreates exactly that child
    ss = np.random.SeedSequence(5)
    a, _ = make_streams(ss, 3)
    b, _ = make_streams(ss, 3)
    np.testing.assert_array_equal(a, b)
    child = np.random.SeedSequence(5).spawn(2)[1]
    c, rep = make_streams(child, 3)
    assert rep == (5, (1,))
    d, _ = make_streams(rep, 3)
    np.testing.assert_array_equal(c, d)
    assert not np.array_equal(a, c)
    with pytest.raises(ValueError, match="seed"):
        make_streams((5, (-1,)), 2)


# --------------------------------------------------------------------------
# Philox4x32-10 (counter-based; checkerboard lattice kernels)
# --------------------------------------------------------------------------

# Random123's tests/kat_vectors, the three "philox4x32 10" lines:
# counter (4 words), key (2 words) -> output (4 words), hex.
PHILOX_KAT = [
    ((0, 0, 0, 0), (0, 0), (0x6627E8D5, 0xE169C58D, 0xBC57AC4C, 0x9B00DBD8)),
    ((0xFFFFFFFF,) * 4, (0xFFFFFFFF,) * 2, (0x408F276D, 0x41C83B0E, 0xA20BC7C6, 0x6D5451FD)),
    ((0x243F6A88, 0x85A308D3, 0x13198A2E, 0x03707344), (0xA4093822, 0x299F31D0),
     (0xD16CFE09, 0x94FDCCEB, 0x5001E420, 0x24126EA1)),
]


@njit
def _philox_one(c, k):
    return _rng.philox4x32(c[0], c[1], c[2], c[3], k[0], k[1])


@pytest.mark.parametrize("ctr,key,want", PHILOX_KAT)
def test_philox_known_answer_vectors(ctr, key, want):
    got = _philox_one(np.array(ctr, np.uint64), np.array(key, np.uint64))
    assert tuple(int(g) for g in got) == want


@njit
def _philox_fill_call(n_blocks, k0, k1, c1, c2, c3):
    out = np.full(4 * n_blocks + 3, -1, np.int64)
    _rng.philox_fill(out, n_blocks, k0, k1, c1, c2, c3)
    return out


def test_philox_fill_layout_and_untouched_tail():
    k = np.array([0xA4093822, 0x299F31D0], np.uint64)
    out = _philox_fill_call(5, k[0], k[1], np.uint64(7), np.uint64(8), np.uint64(9))
    for j in range(5):
        words = _philox_one(np.array([j, 7, 8, 9], np.uint64), k)
        assert [int(out[q * 5 + j]) for q in range(4)] == [int(w) for w in words]
    assert list(out[20:]) == [-1, -1, -1]


def test_philox_words_uniform_and_uncorrelated():
    """2**20 words from consecutive counters: each of the 32 bits is set with
    probability 1/2 and the 256-bin histogram of the top byte is flat (chi-square,
    p > 1e-4 for each check); lag-1 correlation of the uniforms |r| < 5/sqrt(n)."""
    from scipy import stats
    from utacbook._kernels.rng import philox_key
    k = philox_key(np.random.SeedSequence(2024))
    out = _philox_fill_call(1 << 18, k[0], k[1], np.uint64(1), np.uint64(0), np.uint64(0))[:1 << 20]
    n = out.size
    bits = ((out[:, None] >> np.arange(32)) & 1).sum(axis=0)
    z = (bits - n / 2) / np.sqrt(n / 4)
    assert np.all(np.abs(z) < 5), z
    counts = np.bincount(out >> 24, minlength=256)
    assert stats.chisquare(counts).pvalue > 1e-4
    u = out / 2.0 ** 32
    r = np.corrcoef(u[:-1], u[1:])[0, 1]
    assert abs(r) < 5 / np.sqrt(n)
