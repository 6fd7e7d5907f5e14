"""Tests of the mean-field functions of the chapter "What the emergent β measures".

The rule's roots, the compatible (J, T) set and the inversions are compared with closed forms
derived independently here and with the mean-field response computed by bisection
(:func:`utacbook.theory.mean_field_scan_response`), not with what the functions printed.
"""

import math

import numpy as np
import pytest
from scipy.optimize import brentq

from utacbook.theory import _mean_field as th

G0 = th.GPRIME0


# --------------------------------------------------------------------------- the rule's roots


def test_roots_are_those_of_the_quadratic():
    lo, hi = th.mean_field_rule_roots()
    ref = np.sort(np.roots([G0, -1.0, 4.0 * G0]).real)       # g'(0) K^2 - K + 4 g'(0) = 0
    np.testing.assert_allclose([lo, hi], ref, rtol=1e-13)
    # and independently: where beta*T = 4 g'(0)/(1 - g'(0) K) crosses K (bracketed root search)
    d = lambda K: 4 * G0 / (1 - G0 * K) - K    # noqa: E731
    assert lo == pytest.approx(brentq(d, 0.5, 2.0, xtol=1e-15), abs=1e-12)
    assert hi == pytest.approx(brentq(d, 2.0, 4.5, xtol=1e-15), abs=1e-12)
    assert lo * hi == pytest.approx(4.0, rel=1e-13)               # Vieta: product = 4 g'(0)/g'(0)
    assert lo + hi == pytest.approx(1 / G0, rel=1e-13)
    assert round(lo, 4) == 1.0576 and round(hi, 4) == 3.7822  # the "1.06 and 3.78"


def test_rule_error_sign_pattern_and_limits():
    lo, hi = th.mean_field_rule_roots()
    Kc = 1 / G0
    K = np.array([0.2, 0.5, lo, 2.0, 3.0, hi, 4.2, 4.8])
    e = th.mean_field_rule_error(K)
    ref = (4 * G0 / (1 - G0 * K) - K) / K
    np.testing.assert_allclose(e, ref, rtol=1e-12, atol=1e-12)
    assert np.all(e[[0, 1, 6, 7]] > 0) and np.all(e[[3, 4]] < 0)
    assert abs(e[2]) < 1e-12 and abs(e[5]) < 1e-12
    assert th.mean_field_rule_error(0.0) == math.inf            # the rule: flat; mean field: 4 g'(0)
    assert np.all(np.isinf(th.mean_field_rule_error([Kc, 6.0, 11.0])))
    with pytest.raises(ValueError, match="ratio"):
        th.mean_field_rule_error(-1.0)


# --------------------------------------------------------------------------- the compatible set


def test_mean_field_compatible_set_is_the_line_and_every_point_has_the_measured_beta():
    beta, err = 17.0, 0.8
    c = th.mean_field_compatible_couplings(beta, err, n=50)
    np.testing.assert_allclose(c.T, G0 * (c.J + 4 / beta), rtol=1e-12)      # T - g'(0) J = 4 g'(0)/beta
    b = np.array([th.mean_field_beta(J, T) for J, T in zip(c.J, c.T)])
    np.testing.assert_allclose(b, beta, rtol=1e-11)
    b_lo = np.array([th.mean_field_beta(J, T) for J, T in zip(c.J_hi, c.T_hi)])
    b_hi = np.array([th.mean_field_beta(J, T) for J, T in zip(c.J_lo, c.T_lo)])
    np.testing.assert_allclose(b_hi, beta + err, rtol=1e-11)               # the band's edges
    np.testing.assert_allclose(b_lo, beta - err, rtol=1e-11)
    np.testing.assert_allclose(c.J / c.T, c.ratio, rtol=1e-12, atol=1e-15)
    assert c.ratio[0] == 0 and c.ratio[-1] < 1 / G0
    df = c.to_dataframe()
    assert list(df.columns) == ["ratio", "J", "T", "J_lo", "J_hi", "T_lo", "T_hi"] and len(df) == 50
    assert repr(c).startswith("CompatibleSet(mean field: beta = 17")


def test_compatible_set_combines_both_errors_and_handles_a_jump():
    c = th.compatible_couplings(4.0, 0.3, ratio=[1.0, 2.0, 6.0], scaled=[2.0, 4.0, np.inf],
                                scaled_err=[0.4, 0.0, 0.0], k=2.0)
    rel = math.hypot(0.4 / 2.0, 0.3 / 4.0)
    assert c.T[0] == 0.5 and c.T_lo[0] == pytest.approx(0.5 / (1 + 2 * rel))
    assert c.T_hi[0] == pytest.approx(0.5 / (1 - 2 * rel))
    assert c.T[2] == math.inf                                 # a response that jumps: no finite beta
    c2 = th.compatible_couplings(1.0, 0.6, ratio=[1.0], scaled=[1.0], k=2.0)
    assert c2.T_hi[0] == math.inf                                  # beta - 2 err < 0: unbounded above


@pytest.mark.parametrize("kw, name", [
    (dict(beta=0.0), "beta"), (dict(beta_err=-1.0), "beta_err"), (dict(ratio=[-1.0, 1.0]), "ratio"),
    (dict(scaled=[1.0]), "scaled"), (dict(scaled=[1.0, np.nan]), "scaled"), (dict(k=-1.0), "k"),
    (dict(scaled_err=[-1.0, 0.0]), "scaled_err"), (dict(source=3), "source"),
])
def test_compatible_couplings_bad_input(kw, name):
    args = dict(beta=2.0, beta_err=0.1, ratio=[1.0, 2.0], scaled=[1.0, 1.5])
    args.update(kw)
    with pytest.raises((ValueError, TypeError), match=name):
        th.compatible_couplings(**args)


# --------------------------------------------------------------------------- pinning (J, T) with Theta


@pytest.mark.parametrize("J, T", [(0.8, 0.19), (0.15, 0.11), (0.6, 0.3), (0.05, 0.5)])
def test_pin_by_theta_recovers_the_mean_field_system(J, T):
    beta = th.mean_field_beta(J, T)
    p = th.pin_couplings(beta, -J / 2)
    assert p.J == pytest.approx(J, rel=1e-13) and p.T == pytest.approx(T, rel=1e-12)
    assert p.ratio == pytest.approx(J / T, rel=1e-12)
    assert p.J_err == 0 and p.T_err == 0 and p.by == "theta" and p.source == "mean field"
    assert p.T == pytest.approx(G0 * (J + 4 / beta), rel=1e-12)   # the line, at J = -2 Theta


def _numeric_errors(fn, x0, errs, h=1e-6):
    """Linear propagation by central differences: standard errors of fn's (J, T, K) and cov(J, T)."""
    grads = []
    for i, e in enumerate(errs):
        xp, xm = list(x0), list(x0)
        xp[i] += h * abs(x0[i] or 1.0)
        xm[i] -= h * abs(x0[i] or 1.0)
        gp, gm = np.array(fn(*xp)), np.array(fn(*xm))
        grads.append((gp - gm) / (xp[i] - xm[i]) * e)
    G = np.array(grads)                                      # (n_inputs, 3)
    return np.sqrt((G ** 2).sum(axis=0)), float((G[:, 0] * G[:, 1]).sum())


def test_pin_by_theta_errors_are_the_linear_propagation():
    J, T = 0.7, 0.17
    beta, theta = th.mean_field_beta(J, T), -J / 2
    be, te = 0.05 * beta, 0.004
    p = th.pin_couplings(beta, theta, beta_err=be, theta_err=te)

    def fn(b, t):
        q = th.pin_couplings(b, t)
        return q.J, q.T, q.ratio
    sd, cov = _numeric_errors(fn, [beta, theta], [be, te])
    np.testing.assert_allclose([p.J_err, p.T_err, p.ratio_err], sd, rtol=1e-5)
    assert p.cov_JT == pytest.approx(cov, rel=1e-5)
    zJ, zT, m = p.z(J, T)
    assert zJ == pytest.approx(0, abs=1e-9) and zT == pytest.approx(0, abs=1e-9) and m < 1e-6
    zJ, zT, m = p.z(J + p.J_err, T)
    assert zJ == pytest.approx(1.0)


def test_pin_with_a_calibration_grid_matches_mean_field_and_propagates_its_error():
    K = np.linspace(0.0, 4.6, 2001)
    f = th.mean_field_beta_scaled(K)
    J, T = 0.6, 0.15                                          # K = 4
    beta = th.mean_field_beta(J, T)
    p = th.pin_couplings(beta, -J / 2, beta_err=0.1, theta_err=0.002, ratio=K, scaled=f, source="grid")
    q = th.pin_couplings(beta, -J / 2, beta_err=0.1, theta_err=0.002)
    assert p.source == "grid"
    assert p.T == pytest.approx(T, rel=1e-4) and p.ratio == pytest.approx(4.0, rel=1e-4)
    # the grid's errors use G' of the monotone cubic interpolant, the closed form the exact G'(K)
    np.testing.assert_allclose([p.J_err, p.T_err, p.ratio_err], [q.J_err, q.T_err, q.ratio_err], rtol=1e-4)
    # an error of the calibration alone: K moves by -K df / G'(K), with G = K f
    fe = 0.05 * f
    r = th.pin_couplings(beta, -J / 2, ratio=K, scaled=f, scaled_err=fe)
    Gp = 4 * G0 / (1 - G0 * 4.0) ** 2
    # fe is interpolated linearly between grid points (spacing 0.0023, fe = 5 % of f): to ~3e-3
    assert r.ratio_err == pytest.approx(4.0 * 0.05 * th.mean_field_beta_scaled(4.0) / Gp, rel=3e-3)
    assert r.J_err == 0


@pytest.mark.parametrize("kw, name", [
    (dict(beta=-1.0), "beta"), (dict(theta=0.1), "theta"), (dict(theta_err=-0.1), "theta_err"),
    (dict(ratio=[0.0, 1.0]), "ratio and scaled"), (dict(ratio=[1.0, 0.5], scaled=[1.0, 1.0]), "ratio"),
    (dict(ratio=[0.0, 1.0, 2.0], scaled=[1.0, 0.2, 0.05]), "K f"),
    (dict(ratio=[0.0, 1.0], scaled=[0.8, 1.0], theta=-5.0), "outside"),
])
def test_pin_bad_input(kw, name):
    args = dict(beta=5.0, theta=-0.3)
    args.update(kw)
    with pytest.raises((ValueError, TypeError), match=name):
        th.pin_couplings(**args)


# --------------------------------------------------------------------------- the width


@pytest.mark.parametrize("K", [0.0, 1.0, 2.5, 4.0, 4.7])
def test_quartile_width_against_the_bisected_mean_field_response(K):
    T = 0.2
    J = K * T

    def h_at(q):
        return brentq(lambda h: th.mean_field_scan_response(h, J, T)[()] - q, -J - 5, 5, xtol=1e-14)
    w = (h_at(0.75) - h_at(0.25)) / T
    assert th.mean_field_quartile_width(K) == pytest.approx(w, abs=1e-9)


def test_width_pin_recovers_the_system_and_is_weak_at_small_K():
    for J, T in [(0.8, 0.19), (0.15, 0.11), (0.3, 0.3)]:
        beta, w = th.mean_field_beta(J, T), T * th.mean_field_quartile_width(J / T)
        p = th.pin_couplings_by_width(beta, w, beta_err=0.02 * beta, width_err=0.02 * w)
        assert p.J == pytest.approx(J, rel=1e-10) and p.T == pytest.approx(T, rel=1e-10)

        def fn(b, ww):
            q = th.pin_couplings_by_width(b, ww)
            return q.J, q.T, q.ratio
        sd, cov = _numeric_errors(fn, [beta, w], [0.02 * beta, 0.02 * w])
        np.testing.assert_allclose([p.J_err, p.T_err, p.ratio_err], sd, rtol=1e-4)
        assert p.cov_JT == pytest.approx(cov, rel=1e-4)
    # 2 % errors: K = 4.21 is pinned to better than K = 1.36 by far (the shape changes little at small K)
    rel = []
    for J, T in [(0.8, 0.19), (0.15, 0.11)]:
        beta, w = th.mean_field_beta(J, T), T * th.mean_field_quartile_width(J / T)
        p = th.pin_couplings_by_width(beta, w, beta_err=0.02 * beta, width_err=0.02 * w)
        rel.append(p.ratio_err / p.ratio)
    assert rel[1] > 3 * rel[0]
    with pytest.raises(ValueError, match="below"):
        th.pin_couplings_by_width(1.0, 2.0)                      # beta w = 2 < 8 g'(0) g^-1(3/4)
    with pytest.raises(ValueError, match="ratio"):
        th.mean_field_quartile_width(5.0)
