"""Tests of utacbook.stats.midpoint_beta: the grid-free midpoint slope of a response curve.

Exact references: a deterministic logistic (β_mid = β, Θ and the quartiles known), the
mean-field response (β_mid = mean_field_beta), independent agents on the lattice (J = 0:
σ̄(h) = g(h/T) exactly, slope 4 g'(0)/T), and a step (no finite slope).  Tolerances are the
estimator's own error bars (for deterministic curves its extrapolation error, which must
bound the true error).
"""

import math

import numpy as np
import pytest
from scipy.optimize import brentq
from scipy.special import expit

from utacbook.models import scan_field
from utacbook.stats import MidpointBetaResult, extract_emergent_beta, midpoint_beta
from utacbook.theory import GPRIME0, mean_field_beta, mean_field_scan_response


def logistic_scan(beta, theta):
    """A deterministic response with the scan's signature: σ̄ = logistic(β (h − Θ)) for every replica."""
    def scan(J, T, h, *, lattice_size, n_steps, n_replicas, seed):
        return {"sigma": np.tile(expit(beta * (np.asarray(h, dtype=float) - theta)), (n_replicas, 1))}
    return scan


def mf_scan(J, T, h, *, lattice_size, n_steps, n_replicas, seed):
    """The exact mean-field response of the guide's scan protocol (start m0 = 1/2)."""
    return {"sigma": np.tile(mean_field_scan_response(np.asarray(h, dtype=float), J, T), (n_replicas, 1))}


def step_scan(J, T, h, *, lattice_size, n_steps, n_replicas, seed):
    """A jump at h = -J/2: no finite slope."""
    return {"sigma": np.tile((np.asarray(h, dtype=float) > -J / 2).astype(float), (n_replicas, 1))}


# ------------------------------------------------------------------ exact curves


@pytest.mark.parametrize("beta", [1.0, 3.0, 30.0, 300.0])
@pytest.mark.parametrize("theta", ["find", "symmetric", -0.4])
def test_logistic_exact(beta, theta):
    r = midpoint_beta(0.8, 0.19, scan=logistic_scan(beta, -0.4), theta=theta, n_replicas=2, seed=0,
                      quartiles=True)
    assert r.converged and r.diagnosis == ""
    assert abs(r.beta - beta) <= r.beta_err           # the extrapolation error bounds the true error
    assert r.beta_err < 1e-3 * beta                   # and it is small
    assert r.beta_err_stat == 0.0                     # identical replicas
    assert r.theta == pytest.approx(-0.4, abs=1e-5 * 4)
    assert r.theta_method == {"find": "find", "symmetric": "symmetric"}.get(theta, "given")
    # the interquartile steepness of a logistic is its beta too; quartiles at -0.4 -+ ln3/beta
    assert r.beta_w == pytest.approx(beta, rel=1e-3)
    assert r.h_quartiles[1] - r.h_quartiles[0] == pytest.approx(2 * math.log(3) / beta, rel=1e-3)
    # the automatic deltas follow the width of the curve: the largest is half the quartile
    # half-width ln3/beta of the logistic (from a pilot difference of half-width 4e-4, whose slope
    # is below the midpoint slope by a relative (beta * 2e-4)**2 / 3)
    assert r.deltas.max() == pytest.approx(math.log(3) / (2 * beta), rel=(beta * 2e-4) ** 2 / 3 * 1.1 + 1e-9)
    assert r.deltas.size == 4


def test_logistic_slopes_are_the_exact_differences():
    beta = 5.0
    r = midpoint_beta(0.0, 1.0, scan=logistic_scan(beta, 0.0), theta=0.0, deltas=[0.3, 0.2, 0.1], n_replicas=2,
                      seed=0)
    x = beta * r.deltas / 2
    np.testing.assert_allclose(r.slopes, beta / 4 * np.tanh(x) / x, rtol=1e-12)
    np.testing.assert_allclose(r.deltas, [0.3, 0.2, 0.1])
    assert abs(r.beta - beta) <= r.beta_err


@pytest.mark.parametrize("J, T", [(0.8, 0.19), (0.6, 0.15), (0.15, 0.11), (0.0, 0.2), (0.5, 0.3)])
def test_mean_field_exact(J, T):
    r = midpoint_beta(J, T, scan=mf_scan, n_replicas=2, seed=0, quartiles=True)
    exact = mean_field_beta(J, T)
    assert r.converged
    assert abs(r.beta - exact) <= r.beta_err
    assert r.beta_err < 0.03 * exact
    assert r.theta == pytest.approx(-J / 2, abs=1e-5)
    # interquartile width of the exact mean-field curve, by root-finding on it
    m = lambda h, q: mean_field_scan_response(np.array([h]), J, T)[0] - q  # noqa: E731
    h14 = brentq(m, -J / 2 - 3, -J / 2, args=(0.25,), xtol=1e-12)
    h34 = brentq(m, -J / 2, -J / 2 + 3, args=(0.75,), xtol=1e-12)
    assert r.beta_w == pytest.approx(2 * math.log(3) / (h34 - h14), rel=1e-3)


def test_step_is_not_converged():
    r = midpoint_beta(0.8, 0.19, scan=step_scan, n_replicas=2, seed=0)
    assert not r.converged
    assert "δ shrinks" in r.diagnosis
    assert r.slopes[-1] / r.slopes[0] == pytest.approx(8.0)      # D ~ 1/δ over three halvings


def test_wrong_midpoint_is_reported():
    r = midpoint_beta(0.8, 0.19, scan=logistic_scan(3.0, -0.4), theta=0.2, n_replicas=2, seed=0)
    assert not r.converged
    assert "not the midpoint" in r.diagnosis


def test_flat_response_gives_nan():
    def flat(J, T, h, *, lattice_size, n_steps, n_replicas, seed):
        return {"sigma": np.full((n_replicas, len(h)), 0.5)}
    r = midpoint_beta(0.0, 1.0, scan=flat, theta=0.0, n_replicas=2, seed=0)
    assert math.isnan(r.beta) and not r.converged and "does not rise" in r.diagnosis


# ------------------------------------------------------------------ the lattice


def test_independent_agents_on_the_lattice():
    # J = 0: every agent is updated many times in 100 sweeps, so sigma(h) = g(h/T) exactly
    T = 0.3
    r = midpoint_beta(0.0, T, theta="symmetric", lattice_size=16, n_replicas=8, seed=11)
    exact = 4 * GPRIME0 / T
    assert r.converged
    assert abs(r.beta - exact) <= 3 * r.beta_err
    assert r.beta_err < 0.01 * exact
    assert abs(r.sigma_at_theta - 0.5) <= 4 * r.sigma_at_theta_err + 1e-12


def test_grid_free_where_the_guides_fit_is_not():
    # the guide's estimator on two grids differs by far more than its error; the midpoint
    # slope with two different root-search ranges (the guide's grids' ranges) and two seeds does not
    J, T, L = 0.8, 0.19, 32
    r2 = midpoint_beta(J, T, bracket=(-2.0, 2.0), lattice_size=L, n_replicas=8, seed=3)
    r3 = midpoint_beta(J, T, bracket=(-3.0, 3.0), lattice_size=L, n_replicas=8, seed=4)
    assert r2.converged and r3.converged
    assert abs(r2.beta - r3.beta) <= 3 * math.hypot(r2.beta_err, r3.beta_err)
    assert abs(r2.theta + J / 2) <= 4 * r2.theta_err
    # the guide's fit on the two grids, from one scan of all their fields (a shared field is
    # the same run in both grids: paired)
    ga, gb = np.linspace(-2, 2, 25), np.linspace(-3, 3, 25)
    h = np.unique(np.round(np.concatenate([ga, gb]), 12))
    sig = scan_field(J, T, h, lattice_size=L, n_replicas=4, seed=5)["sigma"]
    fit = {k: np.array([extract_emergent_beta(g, s[np.searchsorted(h, np.round(g, 12))])[0] for s in sig])
           for k, g in (("a", ga), ("b", gb))}
    d = fit["a"] - fit["b"]
    assert abs(d.mean()) > 5 * d.std(ddof=1) / 2
    assert abs(d.mean()) > 3 * math.hypot(r2.beta_err, r3.beta_err)


def test_common_random_numbers_reduce_the_noise():
    J, T, L, R = 0.8, 0.19, 16, 8
    r = midpoint_beta(J, T, theta="symmetric", lattice_size=L, n_replicas=R, seed=2)
    k = int(np.argmin(r.deltas))
    d = r.deltas[k]
    plus = scan_field(J, T, [-J / 2 + d], lattice_size=L, n_replicas=R, seed=2)["sigma"][:, 0]
    minus_same = scan_field(J, T, [-J / 2 - d], lattice_size=L, n_replicas=R, seed=2)["sigma"][:, 0]
    minus = scan_field(J, T, [-J / 2 - d], lattice_size=L, n_replicas=R, seed=99)["sigma"][:, 0]
    sem_indep = ((plus - minus) / (2 * d)).std(ddof=1) / math.sqrt(R)
    # the estimator's own slope at that delta used the same seed on both sides
    assert r.slopes_err[k] * 3 < sem_indep
    # exactly: each replica's slope times 2 delta is its own difference of the two same-seed runs
    np.testing.assert_allclose(r.replica_slopes[:, k] * 2 * d, plus - minus_same, rtol=0, atol=1e-12)
    assert not np.allclose(plus - minus_same, plus - minus)    # the other seed really is other runs


def test_replica_betas_and_reproducibility():
    a = midpoint_beta(0.8, 0.19, theta="symmetric", lattice_size=8, n_replicas=4, seed=7)
    b = midpoint_beta(0.8, 0.19, theta="symmetric", lattice_size=8, n_replicas=4, seed=7)
    assert a.beta == b.beta and np.array_equal(a.replica_slopes, b.replica_slopes)
    assert a.replica_betas.mean() == pytest.approx(a.beta, rel=1e-12)
    assert a.beta_err_stat == pytest.approx(a.replica_betas.std(ddof=1) / 2, rel=1e-12)
    assert a.beta_err == pytest.approx(math.hypot(a.beta_err_stat, a.beta_sys), rel=1e-12)


def test_above_kc_is_flagged_by_the_run_length_check():
    # Urban Heat (K = 11 > K_c): the 100-sweep slope grows with the run length, and the
    # estimator does not call it stationary
    r = midpoint_beta(0.88, 0.08, theta="symmetric", lattice_size=64, n_replicas=8, seed=1, check_steps=4)
    assert r.stationary is False and not r.converged
    assert r.long_change > 0
    assert "stationarity not shown" in r.diagnosis


def test_below_kc_is_stationary():
    r = midpoint_beta(0.8, 0.19, theta="symmetric", lattice_size=32, n_replicas=8, seed=1, check_steps=2)
    assert r.stationary is True and r.converged
    assert r.long_steps == 200
    assert abs(r.long_change) + 2 * r.long_change_err <= 0.05


# ------------------------------------------------------------------ the generic scan


def test_every_call_is_one_field_with_the_same_seed_and_kwargs():
    calls = []

    def scan(J, T, h, *, lattice_size, n_steps, n_replicas, seed, disorder):
        calls.append((len(h), seed, disorder, lattice_size, n_steps))
        return logistic_scan(4.0, -J / 2)(J, T, h, lattice_size=lattice_size, n_steps=n_steps,
                                          n_replicas=n_replicas, seed=seed)

    r = midpoint_beta(0.6, 0.2, scan=scan, n_replicas=3, seed=123, disorder=0.1, lattice_size=20, n_steps=7,
                      check_steps=3)
    assert {c[0] for c in calls} == {1}
    assert {c[1] for c in calls} == {123}
    assert {c[2] for c in calls} == {0.1}
    assert {c[3] for c in calls} == {20}
    assert {c[4] for c in calls} == {7, 21}
    assert r.n_evaluations == len(calls)
    assert r.seed == 123 and r.n_replicas == 3


def test_fresh_seed_is_reported_and_reproduces():
    r = midpoint_beta(0.8, 0.19, theta="symmetric", lattice_size=8, n_replicas=2)
    again = midpoint_beta(0.8, 0.19, theta="symmetric", lattice_size=8, n_replicas=2, seed=r.seed)
    assert again.beta == r.beta


def test_result_exports():
    r = midpoint_beta(0.8, 0.19, scan=logistic_scan(3.0, -0.4), n_replicas=2, seed=0)
    assert isinstance(r, MidpointBetaResult)
    text = repr(r)
    assert text.startswith("MidpointBetaResult(beta=3") and len(text) < 300 and "converged" in text
    df = r.to_dataframe()
    assert list(df.columns) == ["delta", "slope", "slope_err", "beta_delta", "beta_delta_err", "cv"]
    assert len(df) == 4
    np.testing.assert_allclose(df["beta_delta"], 4 * r.slopes)
    d = r.to_dict()
    assert d["beta"] == r.beta and isinstance(d["deltas"], list)
    assert r.slope == r.beta / 4


# ------------------------------------------------------------------ bad input


@pytest.mark.parametrize("kw, exc, word", [
    (dict(theta="middle"), ValueError, "theta"),
    (dict(theta=True), TypeError, "theta"),
    (dict(bracket=(1.0, -1.0)), ValueError, "bracket"),
    (dict(bracket=(0.0,)), ValueError, "bracket"),
    (dict(bracket=(0.0, float("nan"))), ValueError, "bracket"),
    (dict(deltas=[0.1, 0.2]), ValueError, "deltas"),
    (dict(deltas=[0.1, -0.2, 0.3]), ValueError, "deltas"),
    (dict(deltas=[0.1, 0.1, 0.3]), ValueError, "deltas"),
    (dict(n_deltas=2), ValueError, "n_deltas"),
    (dict(n_replicas=1), ValueError, "n_replicas"),
    (dict(check_steps=1), ValueError, "check_steps"),
    (dict(quartiles="yes"), TypeError, "quartiles"),
    (dict(rtol=0.0), ValueError, "rtol"),
    (dict(scan=42), TypeError, "scan"),
    (dict(seed=-1), ValueError, "seed"),
])
def test_bad_input(kw, exc, word):
    with pytest.raises(exc, match=word):
        midpoint_beta(0.8, 0.19, **kw)


def test_bad_J_T():
    with pytest.raises(ValueError, match="T"):
        midpoint_beta(0.8, 0.0)
    with pytest.raises(TypeError, match="J"):
        midpoint_beta("a", 0.2)


def test_bracket_without_the_midpoint():
    with pytest.raises(ValueError, match="does not contain the midpoint"):
        midpoint_beta(0.8, 0.19, scan=logistic_scan(3.0, -0.4), bracket=(0.5, 2.0), n_replicas=2, seed=0)


def test_scan_with_a_wrong_shape():
    def bad(J, T, h, *, lattice_size, n_steps, n_replicas, seed):
        return {"sigma": np.zeros(len(h))}
    with pytest.raises(ValueError, match="shape"):
        midpoint_beta(0.8, 0.19, scan=bad, theta="symmetric", n_replicas=2, seed=0)

    def nokey(J, T, h, *, lattice_size, n_steps, n_replicas, seed):
        return {"s": 1}
    with pytest.raises(TypeError, match="sigma"):
        midpoint_beta(0.8, 0.19, scan=nokey, theta="symmetric", n_replicas=2, seed=0)
