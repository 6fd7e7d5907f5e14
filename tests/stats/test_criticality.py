"""Tests of the agent model's Binder crossings and critical coupling (utacbook.stats).

Analytic cases (Binder cumulants of known distributions, exact single-site
variance, exactly preserved means) are checked to rounding; stochastic ones
against 4 standard errors of their own replicas.
"""

from __future__ import annotations

import numpy as np
import pytest

from utacbook.models import scan_field
from utacbook.stats import _criticality as crit


# --------------------------------------------------------------------------- Binder cumulant


def test_binder_of_two_point_distribution_is_two_thirds():
    a = 0.37
    m = np.array([a, -a, a, a, -a, a, -a])          # unequal counts do not matter
    assert crit.binder_from_samples(m) == pytest.approx(2.0 / 3.0, abs=1e-14)


def test_binder_of_gaussian_samples_is_zero():
    n = 400_000
    m = np.random.default_rng(7).normal(0.0, 0.3, n)
    # sample kurtosis of a Gaussian has standard deviation sqrt(24/n); U = 1 - kurtosis/3
    sd = np.sqrt(24.0 / n) / 3.0
    assert abs(crit.binder_from_samples(m)) < 4 * sd


def test_binder_of_uniform_distribution_is_two_fifths():
    m = np.linspace(-1.0, 1.0, 200_001)             # <m^4>/<m^2>^2 = 9/5 up to O(1/n^2)
    assert crit.binder_from_samples(m) == pytest.approx(0.4, abs=1e-6)


def test_binder_axis_and_degenerate_input():
    m = np.array([[1.0, -1.0, 1.0], [0.0, 0.0, 0.0]])
    U = crit.binder_from_samples(m, axis=1)
    assert U[0] == pytest.approx(2 / 3) and np.isnan(U[1])
    assert crit.binder_from_moments(2.0, 12.0) == pytest.approx(0.0)
    with pytest.raises(ValueError, match="m2 and m4"):
        crit.binder_from_moments(-1.0, 1.0)
    with pytest.raises(ValueError, match="m must"):
        crit.binder_from_samples([np.nan, 1.0])


def test_binder_limits_in_the_two_phases():
    # far below K_c the order parameter is Gaussian (U -> 0), far above it is +-m0 (U -> 2/3).
    # (Not too far above: at K ~ 9 some runs from a random start freeze into striped states.)
    r = crit.order_parameter_moments(np.array([3.0, 7.0]) * 0.2, 0.2, lattice_size=16,
                                  n_sweeps=1500, n_burn=500, n_replicas=6, seed=5)
    U, dU = r["binder"], r["binder_err"]
    assert abs(U[0]) < 4 * dU[0] + 0.02
    assert 0.65 < U[1] < 2 / 3 + 4 * dU[1]
    assert r["m_abs"][1] > 0.3 > 10 * r["m_abs"][0]


def test_order_parameter_moments_match_scan_field_traces():
    J = np.array([0.9, 1.1])
    kw = dict(lattice_size=8, n_sweeps=60, n_replicas=3, seed=123)
    r = crit.order_parameter_moments(J, 0.2, n_burn=10, **kw)
    tr = scan_field(J, 0.2, -J / 2, lattice_size=8, n_steps=60, n_replicas=3, seed=123,
                    return_traces=True)["traces"]
    m = tr[..., 10:] - 0.5
    np.testing.assert_array_equal(r["m2_rep"], (m ** 2).mean(axis=-1))
    np.testing.assert_array_equal(r["m4_rep"], (m ** 4).mean(axis=-1))
    np.testing.assert_allclose(r["K"], J / 0.2)
    np.testing.assert_allclose(r["h"], -J / 2)


def test_seeds_reproduce():
    kw = dict(lattice_size=8, n_sweeps=50, n_burn=10, n_replicas=3)
    a = crit.order_parameter_moments(1.0, 0.2, seed=42, **kw)
    b = crit.order_parameter_moments(1.0, 0.2, seed=42, **kw)
    c = crit.order_parameter_moments(1.0, 0.2, seed=43, **kw)
    np.testing.assert_array_equal(a["m2_rep"], b["m2_rep"])
    assert not np.array_equal(a["m2_rep"], c["m2_rep"])
    s1 = crit.binder_scan([5.0, 6.0], (4, 8), n_sweeps=20, n_burn=5, n_replicas=2, seed=9)
    s2 = crit.binder_scan([5.0, 6.0], (4, 8), n_sweeps=20, n_burn=5, n_replicas=2, seed=9)
    np.testing.assert_array_equal(s1["binder"], s2["binder"])


# --------------------------------------------------------------------------- crossings


def test_binder_crossing_of_straight_lines():
    K = np.linspace(5.0, 6.0, 6)
    c = crit.binder_crossing(K, 0.3 + 0.5 * (K - 5.53), 0.3 + 2.0 * (K - 5.53))
    assert c["K_cross"] == pytest.approx(5.53, abs=1e-12)
    assert c["U_cross"] == pytest.approx(0.3, abs=1e-12)
    assert c["bracket"] == pytest.approx((5.4, 5.6)) and c["n_changes"] == 1
    none = crit.binder_crossing(K, K, K + 1.0)
    assert np.isnan(none["K_cross"]) and none["n_changes"] == 0
    with pytest.raises(ValueError, match="K must be strictly increasing"):
        crit.binder_crossing(K[::-1], K, K)


def test_binder_crossing_ignores_sign_changes_in_the_saturated_tails():
    # both curves at the ordered value 2/3 (up to noise): a sign change there is not a crossing
    K = np.array([5.3, 5.4, 5.5, 5.6, 5.7])
    small = np.array([0.40, 0.50, 0.60, 0.650, 0.662])
    large = np.array([0.20, 0.40, 0.65, 0.649, 0.663])
    c = crit.binder_crossing(K, small, large)
    assert c["n_changes"] == 1 and 5.4 < c["K_cross"] < 5.5
    c_all = crit.binder_crossing(K, small, large, U_window=(0.0, 1.0))
    assert c_all["n_changes"] == 2
    with pytest.raises(ValueError, match="U_window"):
        crit.binder_crossing(K, small, large, U_window=(0.6, 0.2))


def test_critical_coupling_recovers_synthetic_crossings():
    # synthetic replicas: m2 = 1 and m4 = 3 (1 - U) give exactly the Binder cumulant U
    K = np.linspace(5.0, 6.0, 11)
    rng = np.random.default_rng(0)
    results = []
    for slope in (0.2, 0.4, 0.8):
        U = 0.5 + slope * (K - 5.5)
        n = 6
        m2 = np.ones((n, K.size))
        m4 = 3.0 * (1.0 - U) * (1.0 + 1e-4 * rng.normal(size=(n, K.size)))
        results.append({"binder": crit.binder_from_moments(m2.mean(0), m4.mean(0)),
                        "m2_rep": m2, "m4_rep": m4, "n_replicas": n})
    scan = {"K": K, "lattice_sizes": [8, 16, 32], "results": results}
    cc = crit.critical_coupling(scan)
    for p in cc["pairs"]:
        assert p["K_cross"] == pytest.approx(5.5, abs=1e-3)
        assert p["U_cross"] == pytest.approx(0.5, abs=1e-3)
        assert p["K_err"] < 1e-3 and p["n_failed"] == 0
    assert cc["K_c"] == pytest.approx(5.5, abs=2e-3) and cc["K_c_err"] < 2e-3
    # a pair without a crossing gives nan, and K_c comes from the others
    results[2]["binder"] = results[1]["binder"] + 0.1
    results[2]["m4_rep"] = results[1]["m4_rep"] - 0.3
    cc = crit.critical_coupling(scan)
    assert np.isnan(cc["pairs"][1]["K_cross"])
    assert cc["K_c"] == pytest.approx(5.5, abs=2e-3)


def test_critical_coupling_falls_back_to_the_grid_bracket():
    # the larger lattice's replicas 1..5 never cross the smaller one; replica 0 alone makes
    # the replica mean cross at K = 5.5, so leaving it out loses the crossing
    K = np.linspace(5.0, 6.0, 11)
    n = 6
    U_small = 0.5 + 0.2 * (K - 5.5)
    U_large = np.tile(U_small + 0.01, (n, 1))
    U_large[0] = U_small - 0.05 + 0.6 * (K - 5.5)
    small = {"m2_rep": np.ones((n, K.size)), "m4_rep": np.tile(3 * (1 - U_small), (n, 1))}
    large = {"m2_rep": np.ones((n, K.size)), "m4_rep": 3 * (1 - U_large)}
    for r in (small, large):
        r["binder"] = crit.binder_from_moments(1.0, r["m4_rep"].mean(0))
        r["n_replicas"] = n
    cc = crit.critical_coupling({"K": K, "lattice_sizes": [16, 32], "results": [small, large]})
    p = cc["pairs"][0]
    assert p["K_cross"] == pytest.approx(5.5, abs=1e-9) and p["n_failed"] == 1
    assert cc["K_range"][0] <= p["bracket"][0] and cc["K_range"][1] >= p["bracket"][1]


# --------------------------------------------------------------------------- validation


@pytest.mark.parametrize("kwargs, match", [
    (dict(lattice_size=1), "lattice_size"),
    (dict(n_sweeps=100, n_burn=97), "n_burn"),
    (dict(n_replicas=1), "n_replicas"),
    (dict(n_sweeps=3), "n_sweeps"),
])
def test_order_parameter_moments_rejects_bad_input(kwargs, match):
    with pytest.raises(ValueError, match=match):
        crit.order_parameter_moments(1.0, 0.2, **kwargs)


# --------------------------------------------------------------------------- stored long run


def test_chi_exponent_of_an_exact_power_law():
    Ls = np.array([16, 32, 64])
    chi = np.outer(Ls ** 1.75, [1.0, 2.0])           # two couplings, same exponent
    x, dx = crit._chi_exponent(Ls, chi, 0.01 * chi)
    np.testing.assert_allclose(x, 1.75, atol=1e-12)
    # 1 % error on each chi -> error of the slope 0.01 / sqrt(sum (log L - mean)^2)
    lx = np.log(Ls)
    np.testing.assert_allclose(dx, 0.01 / np.sqrt(np.sum((lx - lx.mean()) ** 2)), rtol=1e-12)


def test_chi_exponent_at_interpolates_and_carries_the_error_of_K():
    vals = {"K": [5.4, 5.5, 5.6], "chi_exponent": [1.0, 1.5, 1.7], "chi_exponent_err": [0.03, 0.04, 0.02]}
    # on a grid point: that point, its own error
    d = crit.chi_exponent_at(vals, 5.5)
    assert d["x"] == pytest.approx(1.5) and d["x_err"] == pytest.approx(0.04) and d["x_err_K"] == 0
    # a quarter of the way from 5.5 to 5.6: slope 2 per unit K
    d = crit.chi_exponent_at(vals, 5.525, 0.01)
    assert d["x"] == pytest.approx(1.55) and d["slope"] == pytest.approx(2.0)
    assert d["bracket"] == [5.5, 5.6]
    assert d["x_err_stat"] == pytest.approx(np.hypot(0.75 * 0.04, 0.25 * 0.02))
    assert d["x_err_K"] == pytest.approx(0.02)
    assert d["x_err"] == pytest.approx(np.hypot(d["x_err_stat"], 0.02))
    # below 5.5 the steeper segment applies; the last grid point is allowed
    assert crit.chi_exponent_at(vals, 5.45, 0.01)["x_err_K"] == pytest.approx(0.05)
    assert crit.chi_exponent_at(vals, 5.6)["x"] == pytest.approx(1.7)
    with pytest.raises(ValueError, match="outside the stored grid"):
        crit.chi_exponent_at(vals, 5.7)
    with pytest.raises(ValueError, match="K_err must be >= 0"):
        crit.chi_exponent_at(vals, 5.5, -0.1)


def test_critical_coupling_study_is_binder_scan_plus_critical_coupling(small_kc_study):
    v = small_kc_study
    scan = crit.binder_scan([5.3, 5.5, 5.7], (8, 16), n_sweeps=(400, 600), n_burn=(100, 150),
                         n_replicas=4, seed=5)
    cc = crit.critical_coupling(scan)
    np.testing.assert_allclose(v["binder"], scan["binder"], rtol=1e-12)
    assert v["K_c"] == pytest.approx(cc["K_c"], rel=1e-12, nan_ok=True)
    np.testing.assert_allclose(v["chi"], [r["chi"] for r in scan["results"]], rtol=1e-12)
    np.testing.assert_allclose(v["m2_rep"][1], scan["results"][1]["m2_rep"], rtol=1e-12)
    assert v["seed"] == 5 and v["n_sweeps"] == [400, 600]
    assert len(v["chi_ratios"]) == 1
    i = v["K"].index(v["K_fss"])
    assert v["chi_ratios"][0] == pytest.approx(v["chi"][1][i] / v["chi"][0][i])


def test_spot_check_reproduces_the_stored_run_and_detects_a_change(small_kc_study):
    for k in (0, 1):
        ck = crit.spot_check_critical_coupling(small_kc_study, size_index=k, n_replicas=3)
        assert ck["identical"] and ck["max_rel_diff"] == 0.0
    altered = dict(small_kc_study.values)
    altered["m2_rep"] = [[[x * (1 + 1e-6) for x in row] for row in size] for size in altered["m2_rep"]]
    assert not crit.spot_check_critical_coupling(altered)["identical"]


def test_stored_susceptibility_is_N_times_the_replica_m2(small_kc_study):
    d = crit.stored_susceptibility(small_kc_study, K=5.5)
    i = small_kc_study["K"].index(5.5)
    for k, L in enumerate(small_kc_study["lattice_sizes"]):
        np.testing.assert_allclose(d["chi_rep"][k], L * L * np.array(small_kc_study["m2_rep"][k])[:, i])
    np.testing.assert_allclose(d["chi"], np.array(small_kc_study["chi"])[:, i], rtol=1e-12)
    with pytest.raises(ValueError, match="grid"):
        crit.stored_susceptibility(small_kc_study, K=5.4)


def test_susceptibility_far_below_kc_does_not_grow_with_L():
    # At K = 2 the correlation length is below one site, so chi = N <m^2> is the same
    # for L = 8 and 32 within 4 standard errors (and close to the single-site variance
    # times a correlation factor of order one).
    d = crit.susceptibility_by_size(2.0, (8, 32), n_sweeps=600, n_burn=100, n_replicas=6, seed=4)
    assert d["chi_rep"].shape == (2, 6)
    assert abs(d["chi"][1] - d["chi"][0]) < 4 * np.hypot(*d["chi_err"])
    again = crit.susceptibility_by_size(2.0, (8, 32), n_sweeps=600, n_burn=100, n_replicas=6, seed=4)
    np.testing.assert_array_equal(d["chi_rep"], again["chi_rep"])
