"""Tests of utacbook.coarse: block-average coarse-graining."""

import math

import numpy as np
import pytest

from utacbook.stats import block_variance_profile, coarse_grain, multi_scale_coarsening, variance_decomposition


@pytest.mark.parametrize("shape, b", [((8, 8), 2), ((12, 12), 3), ((64, 64), 4),
                                      ((30, 20), 5), ((16, 16), 16), ((7, 7), 1)])
def test_coarse_grain_preserves_mean_and_shape(shape, b):
    rng = np.random.default_rng(shape[0] * 100 + b)
    lat = rng.uniform(size=shape)
    c = coarse_grain(lat, b)
    assert c.shape == (shape[0] // b, shape[1] // b)
    assert abs(c.mean() - lat.mean()) < 1e-12
    # each coarse site is the mean of its block (checked by hand at two places)
    assert c[0, 0] == pytest.approx(lat[:b, :b].mean(), abs=1e-15)
    assert c[-1, -1] == pytest.approx(lat[-b:, -b:].mean(), abs=1e-15)
    # and lies within the block's range
    assert lat.min() <= c.min() and c.max() <= lat.max()


def test_coarse_grain_default_block_and_list_input():
    lat = [[0.0, 1.0, 0.2, 0.2], [1.0, 0.0, 0.2, 0.2]]
    np.testing.assert_allclose(coarse_grain(lat), [[0.5, 0.2]])
    np.testing.assert_array_equal(coarse_grain(np.eye(4), 1), np.eye(4))


@pytest.mark.parametrize("shape, b", [((10, 10), 3), ((8, 8), 3), ((8, 12), 8), ((9, 6), 2)])
def test_block_size_must_divide(shape, b):
    with pytest.raises(ValueError, match="block_size"):
        coarse_grain(np.zeros(shape), b)
    with pytest.raises(ValueError, match="block_size"):
        variance_decomposition(np.zeros(shape), b)


@pytest.mark.parametrize("bad, exc, match", [
    (0, ValueError, "block_size"), (-2, ValueError, "block_size"), (2.0, TypeError, "block_size"),
])
def test_bad_block_size(bad, exc, match):
    with pytest.raises(exc, match=match):
        coarse_grain(np.zeros((4, 4)), bad)


def test_bad_lattice_raises():
    lat = np.zeros((8, 8))
    lat[2, 3] = np.nan
    for f in (lambda x: coarse_grain(x, 2), lambda x: multi_scale_coarsening(x, 2),
              lambda x: variance_decomposition(x, 2), block_variance_profile):
        with pytest.raises(ValueError, match="lattice"):
            f(lat)
        with pytest.raises(ValueError, match="lattice"):
            f(np.full((4, 4), np.inf))
        with pytest.raises(ValueError, match="lattice"):
            f(np.zeros(16))            # not 2-D


@pytest.mark.parametrize("L, n", [(128, 4), (64, 6), (32, 0), (16, 2)])
def test_multi_scale_coarsening(L, n):
    rng = np.random.default_rng(L + n)
    lat = rng.uniform(size=(L, L))
    scales = multi_scale_coarsening(lat, n_scales=n)
    assert len(scales) == n + 1
    for k, s in enumerate(scales):
        assert s.shape == (L // 2 ** k, L // 2 ** k)
        assert abs(s.mean() - lat.mean()) < 1e-12
    np.testing.assert_array_equal(scales[0], lat)
    assert scales[0] is not lat              # a copy
    # level k is the direct 2^k block average
    np.testing.assert_allclose(scales[-1], coarse_grain(lat, 2 ** n), atol=1e-14)


def test_multi_scale_guide_example_3_sizes():
    # the guide: a 128 lattice with n_scales=4 -> 128, 64, 32, 16 and 8 a side
    scales = multi_scale_coarsening(np.random.default_rng(0).uniform(size=(128, 128)))
    assert [s.shape[0] for s in scales] == [128, 64, 32, 16, 8]


def test_multi_scale_too_many_scales():
    with pytest.raises(ValueError, match="n_scales"):
        multi_scale_coarsening(np.zeros((16, 16)), n_scales=5)
    with pytest.raises(ValueError, match="n_scales"):
        multi_scale_coarsening(np.zeros((16, 16)), n_scales=-1)
    # 16 / 2^4 = 1 is allowed: the last level is the single global mean
    lat = np.random.default_rng(1).uniform(size=(16, 16))
    last = multi_scale_coarsening(lat, n_scales=4)[-1]
    assert last.shape == (1, 1) and last[0, 0] == pytest.approx(lat.mean(), abs=1e-15)


@pytest.mark.parametrize("L, b", [(16, 2), (32, 4), (60, 5), (64, 64), (9, 1)])
def test_variance_decomposition(L, b):
    rng = np.random.default_rng(L * b)
    # correlated field: noise plus a smooth large-scale pattern
    x = np.arange(L)
    lat = rng.uniform(size=(L, L)) + np.sin(2 * np.pi * x / L)[:, None]
    d = variance_decomposition(lat, b)
    assert abs(d["total"] - (d["within"] + d["between"])) < 1e-12
    assert d["total"] == pytest.approx(lat.var(), abs=1e-15)
    assert d["between"] == pytest.approx(coarse_grain(lat, b).var(), abs=1e-15)
    assert d["within"] >= 0 and d["between"] >= 0
    if b == 1:
        assert d["within"] == 0.0
    if b == L:
        assert d["between"] == pytest.approx(0.0, abs=1e-30)


def test_block_variance_profile_iid_uniform():
    # i.i.d. U(0,1): a b x b block mean has variance (1/12)/b^2.  The profile
    # reports the population variance (ddof=0) of n = (L/b)^2 block means, whose
    # expectation is (1/12)/b^2 (1 - 1/n) and whose relative spread is at most
    # that of a chi-square variance estimate, sqrt(2/(n-1)) (the uniform and its
    # block means are platykurtic, which only narrows the spread).  4 sigma.
    L = 256
    lat = np.random.default_rng(12).uniform(size=(L, L))
    bs, var = block_variance_profile(lat)
    np.testing.assert_array_equal(bs, 2 ** np.arange(9))
    assert var[-1] == pytest.approx(0.0, abs=1e-30)     # one block: no spread
    for b, v in zip(bs, var):
        n = (L // b) ** 2
        if n < 256:          # too few blocks for a useful tolerance
            continue
        expected = (1 / 12) / b ** 2 * (1 - 1 / n)
        assert abs(v - expected) < 4 * expected * math.sqrt(2 / (n - 1)), (b, v / expected)
    # the log-log slope over b = 1..16 is -2
    sel = bs <= 16
    slope = np.polyfit(np.log(bs[sel]), np.log(var[sel]), 1)[0]
    assert abs(slope + 2) < 0.1


def test_block_variance_profile_correlated_falls_slower():
    # a field constant on 8 x 8 patches: no decrease up to b = 8
    rng = np.random.default_rng(4)
    lat = np.kron(rng.uniform(size=(8, 8)), np.ones((8, 8)))
    bs, var = block_variance_profile(lat, block_sizes=[1, 2, 4, 8])
    np.testing.assert_allclose(var, var[0], rtol=1e-12)
    with pytest.raises(ValueError, match="block_size"):
        block_variance_profile(lat, block_sizes=[3])
    with pytest.raises(ValueError, match="block_sizes"):
        block_variance_profile(lat, block_sizes=[0])
