"""Tests of utacbook.stats._fss: group jackknife, polynomial crossings, scaling collapse."""

import numpy as np
import pytest

from utacbook.stats import group_jackknife, polynomial_crossing, scaling_collapse


def test_jackknife_of_a_ratio_equals_the_explicit_leave_one_out_loop():
    rng = np.random.default_rng(1)
    a, b = rng.normal(5, 1, size=(3, 40)), rng.normal(2, 0.3, size=(3, 40))
    val, err = group_jackknife(lambda a, b: a / b, [a, b])
    G = 40
    fi = np.array([[np.delete(a[i], g).mean() / np.delete(b[i], g).mean() for g in range(G)] for i in range(3)])
    ref = np.sqrt((G - 1) / G * ((fi - fi.mean(axis=1, keepdims=True)) ** 2).sum(axis=1))
    np.testing.assert_allclose(val, a.mean(axis=1) / b.mean(axis=1), rtol=1e-14)
    np.testing.assert_allclose(err, ref, rtol=1e-12)


def test_jackknife_of_a_mean_is_the_standard_error():
    x = np.random.default_rng(2).normal(size=(4, 25))
    _, err = group_jackknife(lambda a: a, [x])
    np.testing.assert_allclose(err, x.std(axis=1, ddof=1) / 5, rtol=1e-12)


@pytest.mark.parametrize("args, exc, match", [
    ((lambda a: a, []), ValueError, "at least one"),
    ((lambda a: a, [np.zeros((3, 1))]), ValueError, "at least 2 groups"),
    ((lambda a, b: a, [np.zeros((3, 4)), np.zeros((3, 5))]), ValueError, "equal shapes"),
    ((3, [np.zeros((3, 4))]), TypeError, "func"),
])
def test_jackknife_bad_input(args, exc, match):
    with pytest.raises(exc, match=match):
        group_jackknife(*args)


def test_crossing_of_two_parabolas_and_none():
    x = np.linspace(0, 1, 7)
    xc, yc = polynomial_crossing(x, 1 + (x - 0.3), x, 1 + 2 * (x - 0.3), deg=2)
    assert xc == pytest.approx(0.3, abs=1e-12) and yc == pytest.approx(1.0, abs=1e-12)
    assert np.isnan(polynomial_crossing(x, x, x, x + 1, deg=1)[0])              # parallel lines
    assert np.isnan(polynomial_crossing(x, x, x, -x + 5, deg=1)[0])             # crossing outside [0, 1]


@pytest.mark.parametrize("kw, match", [
    (dict(deg=0), "deg"), (dict(x1=[0, 1]), "deg \\+ 1"), (dict(y2=[1, np.nan, 2]), "y2"),
])
def test_crossing_bad_input(kw, match):
    args = dict(x1=[0, 1, 2], y1=[0, 1, 2], x2=[0, 1, 2], y2=[2, 1, 0], deg=1)
    args.update(kw)
    with pytest.raises((ValueError, TypeError), match=match):
        polynomial_crossing(**args)


def test_collapse_recovers_nu_and_a_perfect_fit():
    L, x = np.array([64.0, 128.0, 256.0]), np.linspace(-1.5, 1.5, 7)
    a = 1 / 1.25 - 1
    s = x[None, :] * L[:, None] ** a
    y = 0.6 - 0.08 * s + 0.01 * s ** 2
    r = scaling_collapse(L, x, y, np.full(y.shape, 1e-3), deg=2)
    assert r["a"] == pytest.approx(a, abs=1e-6) and r["nu"] == pytest.approx(1.25, abs=1e-5)
    assert r["chi2"] == pytest.approx(0.0, abs=1e-6) and r["dof"] == 21 - 4


def test_collapse_error_matches_the_noise():
    rng = np.random.default_rng(5)
    L, x = np.array([32.0, 64.0, 128.0, 256.0]), np.linspace(-1.5, 1.5, 7)
    s = x[None, :] * L[:, None] ** 0.0
    truth = 0.6 - 0.08 * s
    est = [scaling_collapse(L, x, truth + rng.normal(0, 0.002, truth.shape), np.full(truth.shape, 0.002),
                            deg=1) for _ in range(200)]
    a = np.array([e["a"] for e in est])
    a_err = np.median([e["a_err"] for e in est])
    assert abs(a.mean()) < 4 * a.std() / np.sqrt(a.size)                  # unbiased
    assert 0.7 < a.std() / a_err < 1.3                                    # error bars of the right size


@pytest.mark.parametrize("kw, match", [
    (dict(y=np.zeros((2, 7))), "shape"), (dict(yerr=np.zeros((3, 7))), "yerr"), (dict(deg=0), "deg"),
    (dict(x=np.linspace(-1, 1, 1), y=np.zeros((3, 1)), yerr=np.ones((3, 1))), "cannot fix"),
])
def test_collapse_bad_input(kw, match):
    args = dict(L=np.array([32.0, 64.0, 128.0]), x=np.linspace(-1, 1, 7), y=np.zeros((3, 7)),
                yerr=np.ones((3, 7)), deg=2)
    args.update(kw)
    with pytest.raises((ValueError, TypeError), match=match):
        scaling_collapse(**args)


def test_collapse_with_one_row_of_x_per_size():
    L = np.array([32.0, 64.0, 128.0])
    x = np.array([np.linspace(-1, 1, 5) + 0.1 * k for k in range(3)])        # different points per size
    y = 0.5 + 0.1 * x * L[:, None] ** -0.1
    r = scaling_collapse(L, x, y, np.full(y.shape, 1e-3), deg=1)
    assert r["a"] == pytest.approx(-0.1, abs=1e-6)
