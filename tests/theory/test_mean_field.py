"""Tests of utacbook.theory: the logistic-normal mean g and the mean-field theory.

Reference values are computed independently here with scipy.integrate.quad
(adaptive quadrature), not with the Gauss-Hermite rule of the module.
"""

import math

import numpy as np
import pytest
from scipy.integrate import quad
from scipy.special import expit
from scipy.stats import norm

from utacbook.theory import _mean_field as th
from utacbook.models import hysteresis_loop

XS = [-40.0, -12.0, -3.0, -0.7, -0.1, 0.0, 0.25, 1.0, 2.5, 8.0, 30.0]


def g_quad(x):
    """E[sigmoid(x + xi)], xi ~ N(0, 1)."""
    return quad(lambda z: expit(x + z) * norm.pdf(z), -np.inf, np.inf,
                epsabs=1e-14, epsrel=1e-13, limit=200)[0]


def gprime_quad(x):
    """E[s (1 - s)], s = sigmoid(x + xi)."""
    def f(z):
        s = expit(x + z)
        return s * (1 - s) * norm.pdf(z)
    return quad(f, -np.inf, np.inf, epsabs=1e-14, epsrel=1e-13, limit=200)[0]


# --------------------------------------------------------------------------
# g(x) = E[sigmoid(x + xi)]
# --------------------------------------------------------------------------


@pytest.mark.parametrize("x", XS)
def test_logistic_normal_mean_against_quad(x):
    assert th.logistic_normal_mean(x) == pytest.approx(g_quad(x), abs=1e-10)


@pytest.mark.parametrize("x", XS)
def test_logistic_normal_slope_against_quad(x):
    assert th.logistic_normal_slope(x) == pytest.approx(gprime_quad(x), abs=1e-10)


def test_logistic_normal_slope_is_derivative():
    x = np.linspace(-4, 4, 17)
    d = 1e-5
    fd = (th.logistic_normal_mean(x + d) - th.logistic_normal_mean(x - d)) / (2 * d)
    np.testing.assert_allclose(th.logistic_normal_slope(x), fd, atol=1e-9)


def test_g_symmetry_and_shape():
    x = np.linspace(-20, 20, 401)
    g = th.logistic_normal_mean(x)
    assert g.shape == x.shape
    np.testing.assert_allclose(th.logistic_normal_mean(-x), 1 - g, atol=1e-14)
    assert th.logistic_normal_mean(0.0) == pytest.approx(0.5, abs=1e-15)
    assert np.all(np.diff(g) > 0) and np.all((g > 0) & (g < 1))
    # array input of any shape
    assert th.logistic_normal_mean(np.zeros((2, 3))).shape == (2, 3)


def test_gprime0():
    ref = gprime_quad(0.0)
    assert th.GPRIME0 == pytest.approx(ref, abs=1e-12)
    assert th.GPRIME0 == pytest.approx(0.2066, abs=5e-5)
    # g' is largest at 0 (used by the bound in the simulation test below)
    assert np.all(th.logistic_normal_slope(np.linspace(-5, 5, 101)) <= th.GPRIME0 + 1e-15)
    assert th.critical_coupling_ratio() == pytest.approx(1 / ref, rel=1e-11)


@pytest.mark.parametrize("h, T", [(0.3, 0.2), (-1.0, 0.5), (0.0, 1.0), (2.0, 0.11)])
def test_single_site_response(h, T):
    assert th.single_site_response(h, T) == pytest.approx(g_quad(h / T), abs=1e-10)


# --------------------------------------------------------------------------
# Mean-field fixed points and response
# --------------------------------------------------------------------------


@pytest.mark.parametrize("J, h, T", [(0.8, 0.1, 0.5), (0.6, -0.3, 0.15), (1.0, -0.5, 0.15),
                                     (0.98, -0.4, 0.053), (0.0, 0.2, 0.3), (-0.5, 0.1, 0.2)])
def test_fixed_points_solve_self_consistency(J, h, T):
    roots, stable = th.mean_field_fixed_points(J, h, T)
    assert roots.size >= 1 and roots.size % 2 == 1   # a continuous map of [0,1]: odd count
    for m, st in zip(roots, stable):
        x = (J * m + h) / T
        assert abs(m - g_quad(x)) < 1e-10
        # stability |d/dm g((J m + h)/T)| < 1, with the slope from quad
        assert st == (abs(J * gprime_quad(x) / T) < 1)


@pytest.mark.parametrize("J, T", [(1.0, 0.15), (0.88, 0.08), (0.98, 0.053)])
def test_stable_fixed_point_count_and_spinodals(J, T):
    assert J / T > th.critical_coupling_ratio()
    lo, hi = th.mean_field_spinodals(J, T)
    assert lo < -J / 2 < hi
    # the window is symmetric about -J/2 (sigma -> 1 - sigma, h -> -J - h)
    assert lo + hi == pytest.approx(-J, abs=1e-9)
    eps = 1e-3 * (hi - lo)
    for h in (lo + eps, hi - eps, -J / 2 + 0.3 * (hi + J / 2)):
        roots, stable = th.mean_field_fixed_points(J, h, T)
        assert stable.sum() == 2 and roots.size == 3, h
    for h in (lo - eps, hi + eps, lo - 1.0, hi + 1.0):
        roots, stable = th.mean_field_fixed_points(J, h, T)
        assert stable.sum() == 1 and roots.size == 1, h
    # the two branches coexist inside and differ
    h = 0.5 * (lo + hi) + 0.25 * (hi - lo)
    low = th.mean_field_response([h], J, T, branch="lower")[0]
    up = th.mean_field_response([h], J, T, branch="upper")[0]
    assert up - low > 0.1


def test_no_spinodals_below_threshold():
    assert all(math.isnan(v) for v in th.mean_field_spinodals(0.8, 0.5))


def test_mean_field_response_branches_agree_when_unique():
    hs = np.linspace(-2, 2, 21)
    J, T = 0.6, 0.25   # J/T = 2.4 < 4.84: one fixed point everywhere
    a = th.mean_field_response(hs, J, T)
    np.testing.assert_allclose(a, th.mean_field_response(hs, J, T, branch="lower"), atol=1e-13)
    np.testing.assert_allclose(a, th.mean_field_response(hs, J, T, branch="upper"), atol=1e-13)
    # point symmetry about (-J/2, 1/2): m(h) + m(-J - h) = 1
    b = th.mean_field_response(-J - hs, J, T)
    np.testing.assert_allclose(a + b, 1.0, atol=1e-12)


def test_mean_field_midpoint():
    assert th.mean_field_midpoint(0.8) == -0.4
    assert th.mean_field_response([-0.4], 0.8, 0.3)[0] == pytest.approx(0.5, abs=1e-12)


@pytest.mark.parametrize("J, T", [(0.0, 0.3), (0.6, 0.25), (0.8, 0.19), (0.15, 0.11)])
def test_mean_field_beta_is_4_times_slope(J, T):
    # matching the logistic's slope beta/4 at the midpoint h = -J/2
    assert J / T < th.critical_coupling_ratio()
    # central differences with Richardson extrapolation: the truncation error
    # d^2 m'''/6 cancels to O(d^4) (it is ~6e-6 relative near J/T = 4.2 without
    # it); root finding (xtol 1e-14) adds ~1e-14/d ~ 1e-10 to the slope
    def cdiff(d):
        m = th.mean_field_response([-J / 2 - d, -J / 2 + d], J, T)
        return (m[1] - m[0]) / (2 * d)
    d = 1e-4
    slope = (4 * cdiff(d / 2) - cdiff(d)) / 3
    assert th.mean_field_beta(J, T) == pytest.approx(4 * slope, rel=1e-6)
    # closed form with the quad value of g'(0)
    gp = gprime_quad(0.0)
    assert th.mean_field_beta(J, T) == pytest.approx(4 * gp / (T - J * gp), rel=1e-10)


def test_mean_field_beta_critical_ratio():
    r = 1 / gprime_quad(0.0)          # about 4.84
    assert 4.83 < r < 4.85
    T = 0.2
    below = th.mean_field_beta((1 - 1e-6) * r * T, T)
    above = th.mean_field_beta((1 + 1e-6) * r * T, T)
    assert math.isfinite(below) and below > 1e5
    assert above == math.inf
    # J = 0: beta = 4 g'(0) / T, proportional to 1/T
    assert th.mean_field_beta(0.0, 0.5) == pytest.approx(4 * gprime_quad(0.0) / 0.5, rel=1e-11)


@pytest.mark.parametrize("call, exc, match", [
    (lambda: th.mean_field_beta(0.5, 0.0), ValueError, "^T "),
    (lambda: th.mean_field_beta(float("nan"), 0.3), ValueError, "^J "),
    (lambda: th.mean_field_response([0.0], 0.5, 0.3, branch="middle"), ValueError, "branch"),
    (lambda: th.mean_field_response([0.0], 0.5, 0.3, m0=1.5), ValueError, "m0"),
    (lambda: th.mean_field_response([np.nan], 0.5, 0.3), ValueError, "h_values"),
    (lambda: th.single_site_response(0.1, -1.0), ValueError, "^T "),
    (lambda: th.mean_field_fixed_points(0.5, float("inf"), 0.3), ValueError, "^h "),
    (lambda: th.mean_field_spinodals(0.5, float("nan")), ValueError, "^T "),
])
def test_theory_bad_input(call, exc, match):
    with pytest.raises(exc, match=match):
        call()


# --------------------------------------------------------------------------
# Mean field against the simulation at weak coupling
# --------------------------------------------------------------------------


def test_mean_field_matches_simulation_at_weak_coupling():
    # Stationarity of the random-sequential dynamics gives, exactly,
    #     m = E[g((J nbar + h)/T)],   nbar = mean of the 4 neighbours, E[nbar] = m.
    # Taylor with remainder about x = (J m + h)/T:  |m - g(x)| <=
    # (1/2) max|g''| (J/T)^2 Var(nbar), with max|g''| <= max|s(1-s)(1-2s)| =
    # 1/(6 sqrt 3) and Var(nbar) <= Var(sigma) (Cauchy-Schwarz).  F(m) =
    # m - g((J m + h)/T) has F' >= 1 - (J/T) g'(0) > 0, so the mean-field root
    # m_MF obeys
    #     |m - m_MF| <= (1/2)(J/T)^2 Var(sigma) / (6 sqrt 3) / (1 - (J/T) g'(0)),
    # an O(J^2) systematic allowance computed from the measured site variance
    # (about 4e-4 here).  The statistical part is 4 s.e.m. over replicas.
    J, T = 0.2, 0.5
    hs = np.array([-1.0, -0.5, 0.0, 0.4, 0.9])
    n_rep, L = 16, 96
    sig = np.empty((n_rep, hs.size))
    var_site = np.empty(hs.size)
    for k, h in enumerate(hs):
        r = hysteresis_loop(J, T, [h], lattice_size=L, n_steps=40, n_replicas=n_rep,
                            seed=100 + k)
        sig[:, k] = r["sigma"][:, 0]
        var_site[k] = r["lattices"].var(axis=(1, 2)).mean()
        np.testing.assert_allclose(r["lattices"].mean(axis=(1, 2)), sig[:, k], atol=1e-12)
    m = sig.mean(axis=0)
    sem = sig.std(axis=0, ddof=1) / math.sqrt(n_rep)
    mf = th.mean_field_response(hs, J, T)
    g2max = 1 / (6 * math.sqrt(3))
    bound = 0.5 * g2max * (J / T) ** 2 * var_site / (1 - (J / T) * th.GPRIME0)
    tol = 4 * sem + bound
    assert np.all(tol < 5e-3)                               # "within a few 1e-3"
    assert np.all(np.abs(m - mf) < tol), (m - mf, sem, bound)
    # the test is sensitive: the coupling moves the response (vs J = 0) by
    # many times the tolerance, so dropping or mis-scaling J would fail
    assert np.all(np.abs(m - th.single_site_response(hs, T)) > 5 * tol)
