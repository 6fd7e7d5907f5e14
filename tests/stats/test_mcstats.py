"""Tests of utacbook.mcstats on processes with known autocorrelation.

AR(1): x_t = phi x_{t-1} + eps_t, eps ~ N(0, 1), started stationary.  Then
rho(t) = phi**t, tau_int = (1 + phi) / (2 (1 - phi)) and the variance of the
mean of n samples is exactly
    Var(mean) = sigma_x^2 / n * [1 + 2 sum_{t=1}^{n-1} (1 - t/n) phi^t],
sigma_x^2 = 1 / (1 - phi^2).
"""

import math

import numpy as np
import pytest
from scipy.signal import lfilter

from utacbook.stats import _mcstats as mcstats


def ar1(phi, n, rng, replicas=None):
    shape = (n,) if replicas is None else (replicas, n)
    eps = rng.standard_normal(shape)
    eps[..., 0] /= math.sqrt(1.0 - phi * phi)  # stationary start
    return lfilter([1.0], [1.0, -phi], eps, axis=-1)


def ar1_var_of_mean(phi, n):
    t = np.arange(1, n)
    return (1.0 / (1.0 - phi ** 2)) / n * (1.0 + 2.0 * np.sum((1.0 - t / n) * phi ** t))


def test_autocorrelation_of_ar1_and_constant():
    rng = np.random.default_rng(1)
    x = ar1(0.6, 2 ** 18, rng)
    rho = mcstats.autocorrelation(x)
    assert rho[0] == 1.0
    # sd of rho(t) estimate ~ sqrt((1+phi^2)/(1-phi^2)/n) ~ 0.004
    np.testing.assert_allclose(rho[1:6], 0.6 ** np.arange(1, 6), atol=0.02)
    r0 = mcstats.autocorrelation(np.full(100, 3.0))
    assert r0[0] == 1 and not r0[1:].any()
    assert mcstats.integrated_autocorrelation_time(np.full(100, 3.0)) == 0.5


@pytest.mark.parametrize("phi", (0.5, 0.8, 0.95))
def test_tau_int_of_ar1(phi):
    n = 2 ** 18
    rng = np.random.default_rng(int(phi * 100))
    x = ar1(phi, n, rng)
    tau_exact = (1 + phi) / (2 * (1 - phi))
    tau = mcstats.integrated_autocorrelation_time(x, c=6)
    # Sokal's error estimate of the windowed estimator, W ~ c tau:
    W = 6 * tau
    sigma = tau * math.sqrt(2 * (2 * W + 1) / n)
    # plus the truncation bias sum_{t > W} phi^t (a few per cent of tau at most)
    bias = phi ** (math.floor(W) + 1) / (1 - phi)
    assert abs(tau - tau_exact) < 4 * sigma + bias, (tau, tau_exact, sigma, bias)


def test_tau_int_iid():
    x = np.random.default_rng(3).standard_normal(2 ** 16)
    tau = mcstats.integrated_autocorrelation_time(x)
    sigma = 0.5 * math.sqrt(2 * (2 * 5 * 0.5 + 1) / x.size)
    assert abs(tau - 0.5) < 4 * sigma


def test_errors_of_ar1_mean_from_replicas():
    """Estimated error^2 of the mean, averaged over replicas, matches the exact variance."""
    phi, n, R = 0.8, 2 ** 14, 64
    X = ar1(phi, n, np.random.default_rng(7), replicas=R)
    exact = ar1_var_of_mean(phi, n)
    v_tau = np.array([mcstats.mean_with_error(x)[1] ** 2 for x in X])
    v_bin = np.array([mcstats.binning_error(x).error ** 2 for x in X])
    # the replica spread of the means themselves (checks the exact formula and the generator)
    v_rep = X.mean(axis=1).var(ddof=1)
    assert abs(v_rep - exact) < 4 * exact * math.sqrt(2 / (R - 1))
    for est in (v_tau, v_bin):
        m, s = est.mean(), est.std(ddof=1) / math.sqrt(R)
        # binning bias ~ tau/block_size (block >= 64 samples here): allow 5 % on top of 4 sigma
        assert abs(m - exact) < 4 * s + 0.05 * exact, (m, s, exact)
    # and tau_int from mean_with_error is right on average
    taus = np.array([mcstats.mean_with_error(x)[2] for x in X])
    assert abs(taus.mean() - 4.5) < 4 * taus.std(ddof=1) / math.sqrt(R) + 0.1


def test_binning_error_iid():
    x = np.random.default_rng(5).normal(2.0, 3.0, 2 ** 16)
    res = mcstats.binning_error(x)
    naive = x.std(ddof=1) / math.sqrt(x.size)
    # error of a blocked error estimate with n_b blocks: err / sqrt(2 (n_b - 1))
    assert abs(res.error - naive) < 4 * naive / math.sqrt(2 * (res.n_blocks - 1))
    assert res.n_blocks * res.block_size <= x.size and res.n_blocks >= 32


def test_binning_detects_correlation():
    x = ar1(0.95, 2 ** 16, np.random.default_rng(9))
    res = mcstats.binning_error(x)
    exact = math.sqrt(ar1_var_of_mean(0.95, x.size))
    assert res.block_size >= 32  # tau = 19.5: the plateau needs long blocks
    assert abs(res.error - exact) < 4 * exact / math.sqrt(2 * (res.n_blocks - 1)) + 0.1 * exact


def test_jackknife_of_linear_function_equals_plain_error():
    rng = np.random.default_rng(2)
    x, y = rng.standard_normal(1000), rng.standard_normal(1000) + 1
    nb = 40
    val, err = mcstats.jackknife(lambda a, b: 2 * a - 3 * b, x, y, n_bins=nb)
    z = (2 * x - 3 * y).reshape(nb, -1).mean(axis=1)
    assert val == pytest.approx(z.mean(), rel=1e-12)
    assert err == pytest.approx(z.std(ddof=1) / math.sqrt(nb), rel=1e-10)


def test_jackknife_nonlinear_matches_replicas():
    """Jackknife error of a variance-type estimator (specific heat) vs replica spread."""
    R, n, phi = 48, 2 ** 13, 0.7
    X = ar1(phi, n, np.random.default_rng(4), replicas=R)
    vals, errs = zip(*(mcstats.specific_heat(x, 1.0, 1) for x in X))
    vals, errs = np.array(vals), np.array(errs)
    spread = vals.std(ddof=1)
    # spread's own relative uncertainty is 1/sqrt(2(R-1)) ~ 0.10: 4 sigma => 0.41
    assert abs(errs.mean() / spread - 1) < 4 / math.sqrt(2 * (R - 1))
    # and the estimator is the variance 1/(1-phi^2) within 4 sigma
    assert abs(vals.mean() - 1 / (1 - phi ** 2)) < 4 * spread / math.sqrt(R)


def test_binder_and_susceptibility_limits():
    rng = np.random.default_rng(6)
    # Gaussian m: U = 0 exactly (m4 = 3 m2^2)
    m = rng.standard_normal(2 ** 15)
    U, dU = mcstats.binder_cumulant(m)
    assert abs(U) < 4 * dU
    # two sharp peaks at +-1: U = 2/3, chi = 0
    m = rng.choice([-1.0, 1.0], 2 ** 12)
    U, dU = mcstats.binder_cumulant(m)
    assert U == pytest.approx(2 / 3) and dU < 1e-12
    chi, dchi = mcstats.susceptibility(m, 2.0, 100)
    assert chi == pytest.approx(0, abs=1e-12)


@pytest.mark.parametrize("call,name", [
    (lambda: mcstats.integrated_autocorrelation_time([1.0, np.nan, 2.0]), "x"),
    (lambda: mcstats.integrated_autocorrelation_time([1.0, 2.0], c=0), "c"),
    (lambda: mcstats.binning_error([1.0]), "x"),
    (lambda: mcstats.binning_error(np.ones(10), min_blocks=1), "min_blocks"),
    (lambda: mcstats.jackknife(lambda a: a, np.ones(10), n_bins=11), "n_bins"),
    (lambda: mcstats.jackknife(lambda a, b: a, np.ones(10), np.ones(9)), "series"),
    (lambda: mcstats.susceptibility(np.ones(10), 0.0, 4), "T"),
    (lambda: mcstats.specific_heat(np.ones(10), 1.0, 0), "N"),
])
def test_bad_input(call, name):
    with pytest.raises(ValueError, match=name):
        call()


def test_short_anticorrelated_series_give_a_positive_error():
    """Regression: for 2-4 points tau_int could come out <= 0, giving a zero error or a
    math domain error in mean_with_error."""
    for n in (2, 3, 4):
        x = np.random.default_rng(n).random(n)
        mean, err, tau = mcstats.mean_with_error(x)
        assert tau > 0 and err > 0 and np.isfinite(err)
    mean, err, tau = mcstats.mean_with_error([0.0, 1.0, 0.0, 1.0])
    assert tau == 0.5 and err == pytest.approx(np.sqrt(2 * 0.5 * 0.25 / 4))


def test_fraction_error_is_posterior_sd():
    assert mcstats.fraction_error(0, 8) == pytest.approx(math.sqrt(1 * 9 / (100 * 11)))
    assert mcstats.fraction_error(8, 8) == mcstats.fraction_error(0, 8) > 0
