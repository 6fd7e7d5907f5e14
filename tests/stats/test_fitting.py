"""Tests of utacbook.fitting: the guide's logistic fit ("emergent beta")."""

import math

import numpy as np
import pytest

from utacbook.stats import extract_emergent_beta, logistic, r_squared

R25 = np.linspace(-2, 2, 25)   # the guide's grid


@pytest.mark.parametrize("beta, theta", [(3.0, 0.3), (0.8, -0.4), (12.0, -0.4), (1.5, 1.2)])
def test_exact_logistic_recovered(beta, theta):
    b, r2, info = extract_emergent_beta(R25, logistic(R25, beta, theta))
    assert b == pytest.approx(beta, abs=1e-6)
    assert info["theta"] == pytest.approx(theta, abs=1e-6)
    assert r2 == pytest.approx(1.0, abs=1e-12)
    assert info["converged"] and info["reason"] == ""
    assert info["n_points"] == 25
    assert info["width_10_90"] == pytest.approx(2 * math.log(9) / beta, rel=1e-6)
    assert info["grid_limited"] == (info["width_10_90"] < R25[1] - R25[0])


def test_logistic_function():
    assert logistic(0.3, 5.0, 0.3) == 0.5
    assert logistic(1.0, 2.0, 0.0) == pytest.approx(1 / (1 + math.exp(-2.0)))
    # no overflow for large arguments
    y = logistic(np.array([-1e3, 1e3]), 10.0, 0.0)
    assert y[0] == 0.0 and y[1] == 1.0


def test_decreasing_logistic_gives_negative_beta():
    b, r2, info = extract_emergent_beta(R25, logistic(R25, -2.0, 0.1))
    assert b == pytest.approx(-2.0, abs=1e-6)
    assert info["theta"] == pytest.approx(0.1, abs=1e-6)


def test_unsorted_input():
    rng = np.random.default_rng(0)
    perm = rng.permutation(R25.size)
    b, _, info = extract_emergent_beta(R25[perm], logistic(R25[perm], 2.5, -0.2))
    assert b == pytest.approx(2.5, abs=1e-6)
    assert info["theta"] == pytest.approx(-0.2, abs=1e-6)


def _noisy(seed, beta=3.0, theta=0.3, sd=0.02, R=R25):
    rng = np.random.default_rng(seed)
    return logistic(R, beta, theta) + rng.normal(0.0, sd, R.size)


def test_noisy_fit_within_stderr():
    # Gaussian noise of known sd: the estimate must lie within 4 of its own
    # standard errors of the truth, for every seed
    for seed in range(8):
        b, r2, info = extract_emergent_beta(R25, _noisy(seed))
        assert abs(b - 3.0) < 4 * info["beta_stderr"], seed
        assert abs(info["theta"] - 0.3) < 4 * info["theta_stderr"], seed
        assert 0.95 < r2 < 1.0
        # the residual rms estimates the noise sd (23 dof: relative s.e. ~ 15%)
        assert 0.02 * 0.5 < info["rms_residual"] < 0.02 * 1.5


@pytest.mark.parametrize("sd", [0.02, 0.05])
def test_stderr_is_calibrated(sd):
    # z = (beta_hat - beta) / beta_stderr over 50 independent data sets.  The
    # stderr is estimated from the residuals, so z is close to Student t with
    # 25 - 2 = 23 dof (std sqrt(23/21) = 1.05; over 1000 sets we measured
    # 1.06-1.07).  The sample std of 50 z's has s.e. ~ 0.1, so [0.7, 1.4]
    # is a ~3-sigma window; a stderr off by a factor 1.5 either way fails.
    z_b, z_t = [], []
    for seed in range(50):
        b, _, info = extract_emergent_beta(R25, _noisy(1000 + seed, sd=sd))
        z_b.append((b - 3.0) / info["beta_stderr"])
        z_t.append((info["theta"] - 0.3) / info["theta_stderr"])
    for z in (np.array(z_b), np.array(z_t)):
        assert 0.7 < z.std(ddof=1) < 1.4
        assert abs(z.mean()) < 4 * 1.4 / math.sqrt(50)


def test_weighted_fit_absolute_errors():
    # with sigma_err given, parameter errors are absolute (not rescaled)
    sd = 0.03
    z = []
    for seed in range(50):
        b, _, info = extract_emergent_beta(R25, _noisy(2000 + seed, sd=sd),
                                           sigma_err=np.full(25, sd))
        z.append((b - 3.0) / info["beta_stderr"])
    # z is N(0,1) to first order (the errors are known): std s.e. ~ 0.1
    assert 0.7 < np.std(z, ddof=1) < 1.4
    # scaling the stated errors scales beta_stderr by the same factor
    y = _noisy(5, sd=sd)
    s1 = extract_emergent_beta(R25, y, sigma_err=np.full(25, sd))[2]["beta_stderr"]
    s2 = extract_emergent_beta(R25, y, sigma_err=np.full(25, 2 * sd))[2]["beta_stderr"]
    assert s2 == pytest.approx(2 * s1, rel=1e-4)


@pytest.mark.parametrize("level", [0.0, 0.3, 0.9999])
def test_flat_data_gives_nan_with_reason(level):
    y = np.full(25, level)
    y[3] += 1e-4     # spans less than flat_tol = 1e-3
    b, r2, info = extract_emergent_beta(R25, y)
    assert math.isnan(b) and math.isnan(r2)
    assert not info["converged"]
    assert "flat" in info["reason"]
    assert math.isnan(info["theta"]) and math.isnan(info["beta_stderr"])


def test_step_narrower_than_grid_is_flagged():
    # a step between two grid points: the data cannot determine beta
    for y in ((R25 > 0.05).astype(float),
              0.01 + 0.98 * (R25 > 0.05),
              logistic(R25, 40.0, 0.05),
              logistic(R25, 200.0, -0.51)):
        b, r2, info = extract_emergent_beta(R25, y)
        if math.isnan(b):
            assert info["reason"]
            assert not info["converged"]
        else:
            assert info["grid_limited"] is True
            assert info["width_10_90"] < R25[1] - R25[0]
    # A pure 0/1 step has its least-squares optimum at beta = inf.  With the
    # default beta_max = 1000 the optimiser stops at a finite, arbitrary beta
    # (~148 here) that is only flagged grid_limited (checked above); with a
    # bound it reaches, the fit reports nan with a reason naming the grid.
    b, r2, info = extract_emergent_beta(R25, (R25 > 0.05).astype(float), beta_max=50.0)
    assert math.isnan(b) and "grid" in info["reason"]
    assert info["theta"] == pytest.approx(0.05, abs=R25[1] - R25[0])


def test_resolved_transition_is_not_grid_limited():
    b, _, info = extract_emergent_beta(R25, logistic(R25, 4.0, 0.0))
    assert info["grid_limited"] is False


def test_never_raises_on_odd_but_valid_data():
    rng = np.random.default_rng(3)
    for _ in range(20):
        y = rng.uniform(0, 1, 25)
        b, r2, info = extract_emergent_beta(R25, y)
        assert isinstance(info["reason"], str)
        assert math.isnan(b) == (not info["converged"])


@pytest.mark.parametrize("R, s, kw, exc, match", [
    (R25, logistic(R25, 1, 0)[:-1], {}, ValueError, "sigma_values"),
    ([0.0, 1.0], [0.2, 0.8], {}, ValueError, "R_values"),
    (np.r_[R25[:-1], np.nan], logistic(R25, 1, 0), {}, ValueError, "R_values"),
    (R25, np.r_[logistic(R25, 1, 0)[:-1], np.nan], {}, ValueError, "sigma_values"),
    (R25, np.r_[logistic(R25, 1, 0)[:-1], np.inf], {}, ValueError, "sigma_values"),
    (np.full(25, 0.5), logistic(R25, 1, 0), {}, ValueError, "R_values"),
    (R25, logistic(R25, 1, 0), {"theta": float("nan")}, ValueError, "theta"),
    (R25, logistic(R25, 1, 0), {"sigma_err": np.zeros(25)}, ValueError, "sigma_err"),
    (R25, logistic(R25, 1, 0), {"sigma_err": np.ones(3)}, ValueError, "sigma_err"),
    (np.zeros((5, 5)), np.zeros((5, 5)), {}, ValueError, "R_values"),
])
def test_bad_input_raises(R, s, kw, exc, match):
    with pytest.raises(exc, match=match):
        extract_emergent_beta(R, s, **kw)


def test_r_squared_identities():
    rng = np.random.default_rng(1)
    y = rng.uniform(size=30)
    model = y + rng.normal(0, 0.1, 30)
    assert r_squared(y, y) == 1.0
    assert r_squared(y, np.full(30, y.mean())) == pytest.approx(0.0, abs=1e-15)
    by_hand = 1 - np.sum((y - model) ** 2) / np.sum((y - y.mean()) ** 2)
    assert r_squared(y, model) == pytest.approx(by_hand, rel=1e-14)
    assert math.isnan(r_squared(np.full(5, 0.2), np.full(5, 0.2)))
    # the r_squared returned by the fit is that of the fitted curve
    y = _noisy(7)
    b, r2, info = extract_emergent_beta(R25, y)
    assert r2 == pytest.approx(r_squared(y, logistic(R25, b, info["theta"])), rel=1e-12)
    assert r2 == pytest.approx(1 - 25 * info["rms_residual"] ** 2 / np.sum((y - y.mean()) ** 2),
                               rel=1e-10)
