"""Tests of utacbook.criticality and of the coarse-graining-chapter additions to utacbook.coarse.

Analytic cases (Binder cumulants of known distributions, exact single-site
variance, exactly preserved means) are checked to rounding; stochastic ones
against 4 standard errors of their own replicas.
"""

from __future__ import annotations

import numpy as np
import pytest

from utacbook import coarse, criticality as C
from utacbook.claims import HELD
from utacbook.abm import scan_field
from utacbook.fitting import logistic


# --------------------------------------------------------------------------- Binder cumulant


def test_binder_of_two_point_distribution_is_two_thirds():
    a = 0.37
    m = np.array([a, -a, a, a, -a, a, -a])          # unequal counts do not matter
    assert C.binder_cumulant(m) == pytest.approx(2.0 / 3.0, abs=1e-14)


def test_binder_of_gaussian_samples_is_zero():
    n = 400_000
    m = np.random.default_rng(7).normal(0.0, 0.3, n)
    # sample kurtosis of a Gaussian has standard deviation sqrt(24/n); U = 1 - kurtosis/3
    sd = np.sqrt(24.0 / n) / 3.0
    assert abs(C.binder_cumulant(m)) < 4 * sd


def test_binder_of_uniform_distribution_is_two_fifths():
    m = np.linspace(-1.0, 1.0, 200_001)             # <m^4>/<m^2>^2 = 9/5 up to O(1/n^2)
    assert C.binder_cumulant(m) == pytest.approx(0.4, abs=1e-6)


def test_binder_axis_and_degenerate_input():
    m = np.array([[1.0, -1.0, 1.0], [0.0, 0.0, 0.0]])
    U = C.binder_cumulant(m, axis=1)
    assert U[0] == pytest.approx(2 / 3) and np.isnan(U[1])
    assert C.binder_from_moments(2.0, 12.0) == pytest.approx(0.0)
    with pytest.raises(ValueError, match="m2 and m4"):
        C.binder_from_moments(-1.0, 1.0)
    with pytest.raises(ValueError, match="m must"):
        C.binder_cumulant([np.nan, 1.0])


# --------------------------------------------------------------------------- exact single site


def test_single_site_variance_matches_sampling_and_is_symmetric():
    rng = np.random.default_rng(3)
    xi = rng.normal(size=1_000_000)
    for h, T in [(0.0, 0.2), (0.3, 0.2), (-1.0, 0.5)]:
        s = 1.0 / (1.0 + np.exp(-(h / T + xi)))
        var_hat = s.var()
        # standard error of a sample variance: sqrt((mu4 - var^2) / n)
        se = np.sqrt((((s - s.mean()) ** 4).mean() - var_hat ** 2) / s.size)
        assert abs(C.single_site_variance(h, T) - var_hat) < 4 * se
        assert C.single_site_variance(h, T) == pytest.approx(C.single_site_variance(-h, T),
                                                              rel=1e-12)


def test_order_parameter_at_zero_coupling_matches_exact_single_site_variance():
    # J = 0: independent agents at h = -J/2 = 0, so m = sigma-bar - 1/2 has mean 0
    # and N <m^2> = Var[sigmoid(xi)] exactly; <m^4> = 3 <m^2>^2 (1 + O(1/N)).
    r = C.order_parameter_moments(0.0, 0.2, lattice_size=16, n_sweeps=2000, n_burn=20,
                                  n_replicas=16, seed=11)
    exact = C.single_site_variance(0.0, 0.2)
    assert abs(r["chi"] - exact) < 4 * r["chi_err"]
    assert abs(r["m_mean"]) < 4 * r["m_mean_err"]
    assert abs(r["binder"]) < 4 * r["binder_err"] + 0.01   # O(1/N) kurtosis of N = 256 sites


def test_binder_limits_in_the_two_phases():
    # far below K_c the order parameter is Gaussian (U -> 0), far above it is +-m0 (U -> 2/3).
    # (Not too far above: at K ~ 9 some runs from a random start freeze into striped states.)
    r = C.order_parameter_moments(np.array([3.0, 7.0]) * 0.2, 0.2, lattice_size=16,
                                  n_sweeps=1500, n_burn=500, n_replicas=6, seed=5)
    U, dU = r["binder"], r["binder_err"]
    assert abs(U[0]) < 4 * dU[0] + 0.02
    assert 0.65 < U[1] < 2 / 3 + 4 * dU[1]
    assert r["m_abs"][1] > 0.3 > 10 * r["m_abs"][0]


def test_order_parameter_moments_match_scan_field_traces():
    J = np.array([0.9, 1.1])
    kw = dict(lattice_size=8, n_sweeps=60, n_replicas=3, seed=123)
    r = C.order_parameter_moments(J, 0.2, n_burn=10, **kw)
    tr = scan_field(J, 0.2, -J / 2, lattice_size=8, n_steps=60, n_replicas=3, seed=123,
                    return_traces=True)["traces"]
    m = tr[..., 10:] - 0.5
    np.testing.assert_array_equal(r["m2_rep"], (m ** 2).mean(axis=-1))
    np.testing.assert_array_equal(r["m4_rep"], (m ** 4).mean(axis=-1))
    np.testing.assert_allclose(r["K"], J / 0.2)
    np.testing.assert_allclose(r["h"], -J / 2)


def test_seeds_reproduce():
    kw = dict(lattice_size=8, n_sweeps=50, n_burn=10, n_replicas=3)
    a = C.order_parameter_moments(1.0, 0.2, seed=42, **kw)
    b = C.order_parameter_moments(1.0, 0.2, seed=42, **kw)
    c = C.order_parameter_moments(1.0, 0.2, seed=43, **kw)
    np.testing.assert_array_equal(a["m2_rep"], b["m2_rep"])
    assert not np.array_equal(a["m2_rep"], c["m2_rep"])
    s1 = C.binder_scan([5.0, 6.0], (4, 8), n_sweeps=20, n_burn=5, n_replicas=2, seed=9)
    s2 = C.binder_scan([5.0, 6.0], (4, 8), n_sweeps=20, n_burn=5, n_replicas=2, seed=9)
    np.testing.assert_array_equal(s1["binder"], s2["binder"])


# --------------------------------------------------------------------------- crossings


def test_binder_crossing_of_straight_lines():
    K = np.linspace(5.0, 6.0, 6)
    c = C.binder_crossing(K, 0.3 + 0.5 * (K - 5.53), 0.3 + 2.0 * (K - 5.53))
    assert c["K_cross"] == pytest.approx(5.53, abs=1e-12)
    assert c["U_cross"] == pytest.approx(0.3, abs=1e-12)
    assert c["bracket"] == pytest.approx((5.4, 5.6)) and c["n_changes"] == 1
    none = C.binder_crossing(K, K, K + 1.0)
    assert np.isnan(none["K_cross"]) and none["n_changes"] == 0
    with pytest.raises(ValueError, match="K must be strictly increasing"):
        C.binder_crossing(K[::-1], K, K)


def test_binder_crossing_ignores_sign_changes_in_the_saturated_tails():
    # both curves at the ordered value 2/3 (up to noise): a sign change there is not a crossing
    K = np.array([5.3, 5.4, 5.5, 5.6, 5.7])
    small = np.array([0.40, 0.50, 0.60, 0.650, 0.662])
    large = np.array([0.20, 0.40, 0.65, 0.649, 0.663])
    c = C.binder_crossing(K, small, large)
    assert c["n_changes"] == 1 and 5.4 < c["K_cross"] < 5.5
    c_all = C.binder_crossing(K, small, large, U_window=(0.0, 1.0))
    assert c_all["n_changes"] == 2
    with pytest.raises(ValueError, match="U_window"):
        C.binder_crossing(K, small, large, U_window=(0.6, 0.2))


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
        results.append({"binder": C.binder_from_moments(m2.mean(0), m4.mean(0)),
                        "m2_rep": m2, "m4_rep": m4, "n_replicas": n})
    scan = {"K": K, "lattice_sizes": [8, 16, 32], "results": results}
    cc = C.critical_coupling(scan)
    for p in cc["pairs"]:
        assert p["K_cross"] == pytest.approx(5.5, abs=1e-3)
        assert p["U_cross"] == pytest.approx(0.5, abs=1e-3)
        assert p["K_err"] < 1e-3 and p["n_failed"] == 0
    assert cc["K_c"] == pytest.approx(5.5, abs=2e-3) and cc["K_c_err"] < 2e-3
    # a pair without a crossing gives nan, and K_c comes from the others
    results[2]["binder"] = results[1]["binder"] + 0.1
    results[2]["m4_rep"] = results[1]["m4_rep"] - 0.3
    cc = C.critical_coupling(scan)
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
        r["binder"] = C.binder_from_moments(1.0, r["m4_rep"].mean(0))
        r["n_replicas"] = n
    cc = C.critical_coupling({"K": K, "lattice_sizes": [16, 32], "results": [small, large]})
    p = cc["pairs"][0]
    assert p["K_cross"] == pytest.approx(5.5, abs=1e-9) and p["n_failed"] == 1
    assert cc["K_range"][0] <= p["bracket"][0] and cc["K_range"][1] >= p["bracket"][1]


# --------------------------------------------------------------------------- lattices


def test_final_lattices_are_the_scan_protocol():
    J, T, h = np.array([0.8, 1.1]), 0.2, np.array([-0.4, -0.55])
    r = C.final_lattices(J, T, h, lattice_size=8, n_sweeps=30, n_replicas=3, seed=77)
    assert r["lattices"].shape == (3, 2, 8, 8)
    np.testing.assert_allclose(r["sigma"], r["lattices"].mean(axis=(-2, -1)))
    children = np.random.SeedSequence(77).spawn(2)
    for k in range(2):
        s = scan_field(J[k], T, [h[k]], lattice_size=8, n_steps=30, n_replicas=3,
                       seed=children[k])["sigma"][:, 0]
        np.testing.assert_allclose(r["sigma"][:, k], s, rtol=0, atol=1e-12)
    again = C.final_lattices(J, T, h, lattice_size=8, n_sweeps=30, n_replicas=3, seed=77)
    np.testing.assert_array_equal(r["lattices"], again["lattices"])


# --------------------------------------------------------------------------- coarse additions


def test_neighbour_correlation_known_patterns():
    i, j = np.indices((8, 8))
    checker = ((i + j) % 2).astype(float)
    assert coarse.neighbour_correlation(checker) == pytest.approx(-1.0)
    stripes = (i % 2).astype(float)                 # -1 across rows, +1 along them
    assert coarse.neighbour_correlation(stripes) == pytest.approx(0.0, abs=1e-15)
    assert coarse.neighbour_correlation(np.full((4, 4), 0.8), center=0.5) == pytest.approx(1.0)
    assert np.isnan(coarse.neighbour_correlation(np.full((4, 4), 0.8)))
    lat = np.random.default_rng(1).random((256, 256))
    assert abs(coarse.neighbour_correlation(lat)) < 4 / np.sqrt(2 * lat.size)
    with pytest.raises(ValueError, match="lattice must be at least 2 x 2"):
        coarse.neighbour_correlation(np.ones((1, 5)))


def test_scale_statistics_of_independent_sites():
    lat = np.random.default_rng(2).random((128, 128))
    st = coarse.scale_statistics(lat, n_scales=4)
    np.testing.assert_array_equal(st["size"], [128, 64, 32, 16, 8])
    np.testing.assert_allclose(st["mean"], lat.mean(), rtol=0, atol=1e-14)
    dec = coarse.variance_decomposition(lat, 2)
    assert st["variance_kept"][1] == pytest.approx(dec["between"] / dec["total"], rel=1e-12)
    # independent sites: each step keeps 1/4 of the variance; the sample variance of
    # n block means has relative standard error sqrt(2 / (n - 1))
    for k in (1, 2, 3):
        n = st["size"][k] ** 2
        assert abs(st["variance"][k] / st["variance"][0] - 4.0 ** -k) < \
            4 * np.sqrt(2 / (n - 1)) * 4.0 ** -k
    two = (np.random.default_rng(3).random((16, 16)) < 0.5).astype(float)
    assert coarse.scale_statistics(two, n_scales=1)["binder"][0] == pytest.approx(2 / 3)


def test_block_moment_profile_centre():
    lat = np.full((16, 16), 0.8)
    bs, mom = coarse.block_moment_profile(lat, [1, 2, 4], center=0.5)
    np.testing.assert_allclose(mom, 0.09)
    lat = np.random.default_rng(4).random((32, 32))
    bs1, v1 = coarse.block_moment_profile(lat)
    bs2, v2 = coarse.block_variance_profile(lat)
    np.testing.assert_array_equal(bs1, bs2)
    np.testing.assert_array_equal(v1, v2)
    cur = coarse.block_variance_curves(np.stack([lat, lat[::-1]]), [1, 2, 4])
    np.testing.assert_allclose(cur["mean"], coarse.block_variance_profile(lat, [1, 2, 4])[1])


def test_emergent_beta_is_identical_at_every_scale():
    R = np.linspace(-2, 2, 15)
    rng = np.random.default_rng(5)
    lats = np.clip(logistic(R, 3.0, 0.1)[:, None, None]
                   + 0.05 * rng.normal(size=(R.size, 32, 32)), 0, 1)
    res = coarse.emergent_beta_by_scale(R, lats, n_scales=3)
    np.testing.assert_array_equal(res["size"], [32, 16, 8, 4])
    assert res["max_sigma_diff"] < 1e-14
    assert res["max_beta_diff"] < 1e-8 * res["beta"][0]
    with pytest.raises(ValueError, match="lattices must hold one lattice per R value"):
        coarse.emergent_beta_by_scale(R, lats[:3])


def test_block_variance_exponent_of_independent_sites_is_minus_two():
    lats = np.random.default_rng(6).random((6, 64, 64))
    r = C.block_variance_exponent(lats, [1, 2, 4, 8])
    assert abs(r["slope"] + 2.0) < 4 * r["slope_err"] + 1e-3
    assert r["variances"].shape == (6, 4)


# --------------------------------------------------------------------------- validation


@pytest.mark.parametrize("kwargs, match", [
    (dict(lattice_size=1), "lattice_size"),
    (dict(n_sweeps=100, n_burn=97), "n_burn"),
    (dict(n_replicas=1), "n_replicas"),
    (dict(n_sweeps=3), "n_sweeps"),
])
def test_order_parameter_moments_rejects_bad_input(kwargs, match):
    with pytest.raises(ValueError, match=match):
        C.order_parameter_moments(1.0, 0.2, **kwargs)


def test_bad_couplings_and_temperatures_raise():
    with pytest.raises(ValueError, match="T must be > 0"):
        C.order_parameter_moments(1.0, -0.2, lattice_size=4, n_sweeps=10, n_burn=0)
    with pytest.raises(ValueError, match="J must contain only finite"):
        C.order_parameter_moments([1.0, np.nan], 0.2, lattice_size=4, n_sweeps=10, n_burn=0)
    with pytest.raises(ValueError, match="n_sweeps must be an int or have one entry"):
        C.binder_scan([5.0, 6.0], (4, 8), n_sweeps=(10, 20, 30))
    with pytest.raises(ValueError, match="T must be > 0"):
        C.single_site_variance(0.0, 0.0)
    with pytest.raises(ValueError, match="T must be > 0"):
        C.final_lattices(1.0, 0.0, 0.0, lattice_size=4)
    with pytest.raises(ValueError, match="lattices must hold at least 2"):
        C.block_variance_exponent(np.ones((1, 8, 8)), [1, 2])


# --------------------------------------------------------------------------- stored long run


def test_chi_exponent_of_an_exact_power_law():
    Ls = np.array([16, 32, 64])
    chi = np.outer(Ls ** 1.75, [1.0, 2.0])           # two couplings, same exponent
    x, dx = C._chi_exponent(Ls, chi, 0.01 * chi)
    np.testing.assert_allclose(x, 1.75, atol=1e-12)
    # 1 % error on each chi -> error of the slope 0.01 / sqrt(sum (log L - mean)^2)
    lx = np.log(Ls)
    np.testing.assert_allclose(dx, 0.01 / np.sqrt(np.sum((lx - lx.mean()) ** 2)), rtol=1e-12)


def test_chi_exponent_at_interpolates_and_carries_the_error_of_K():
    vals = {"K": [5.4, 5.5, 5.6], "chi_exponent": [1.0, 1.5, 1.7], "chi_exponent_err": [0.03, 0.04, 0.02]}
    # on a grid point: that point, its own error
    d = C.chi_exponent_at(vals, 5.5)
    assert d["x"] == pytest.approx(1.5) and d["x_err"] == pytest.approx(0.04) and d["x_err_K"] == 0
    # a quarter of the way from 5.5 to 5.6: slope 2 per unit K
    d = C.chi_exponent_at(vals, 5.525, 0.01)
    assert d["x"] == pytest.approx(1.55) and d["slope"] == pytest.approx(2.0)
    assert d["bracket"] == [5.5, 5.6]
    assert d["x_err_stat"] == pytest.approx(np.hypot(0.75 * 0.04, 0.25 * 0.02))
    assert d["x_err_K"] == pytest.approx(0.02)
    assert d["x_err"] == pytest.approx(np.hypot(d["x_err_stat"], 0.02))
    # below 5.5 the steeper segment applies; the last grid point is allowed
    assert C.chi_exponent_at(vals, 5.45, 0.01)["x_err_K"] == pytest.approx(0.05)
    assert C.chi_exponent_at(vals, 5.6)["x"] == pytest.approx(1.7)
    with pytest.raises(ValueError, match="outside the stored grid"):
        C.chi_exponent_at(vals, 5.7)
    with pytest.raises(ValueError, match="K_err must be >= 0"):
        C.chi_exponent_at(vals, 5.5, -0.1)


@pytest.fixture(scope="module")
def small_study(tmp_path_factory):
    import utacbook.stored as s
    d = tmp_path_factory.mktemp("data")
    s.compute("small_kc", "utacbook.criticality:critical_coupling_study", data_dir=d,
              K_values=[5.3, 5.5, 5.7], lattice_sizes=[8, 16], n_sweeps=[400, 600],
              n_burn=[100, 150], n_replicas=4, seed=5)
    return s.load("small_kc", data_dir=d)


def test_critical_coupling_study_is_binder_scan_plus_critical_coupling(small_study):
    v = small_study
    scan = C.binder_scan([5.3, 5.5, 5.7], (8, 16), n_sweeps=(400, 600), n_burn=(100, 150),
                         n_replicas=4, seed=5)
    cc = C.critical_coupling(scan)
    np.testing.assert_allclose(v["binder"], scan["binder"], rtol=1e-12)
    assert v["K_c"] == pytest.approx(cc["K_c"], rel=1e-12, nan_ok=True)
    np.testing.assert_allclose(v["chi"], [r["chi"] for r in scan["results"]], rtol=1e-12)
    np.testing.assert_allclose(v["m2_rep"][1], scan["results"][1]["m2_rep"], rtol=1e-12)
    assert v["seed"] == 5 and v["n_sweeps"] == [400, 600]
    assert len(v["chi_ratios"]) == 1
    i = v["K"].index(v["K_fss"])
    assert v["chi_ratios"][0] == pytest.approx(v["chi"][1][i] / v["chi"][0][i])


def test_spot_check_reproduces_the_stored_run_and_detects_a_change(small_study):
    for k in (0, 1):
        ck = C.spot_check_critical_coupling(small_study, size_index=k, n_replicas=3)
        assert ck["identical"] and ck["max_rel_diff"] == 0.0
    altered = dict(small_study.values)
    altered["m2_rep"] = [[[x * (1 + 1e-6) for x in row] for row in size] for size in altered["m2_rep"]]
    assert not C.spot_check_critical_coupling(altered)["identical"]


def test_stored_susceptibility_is_N_times_the_replica_m2(small_study):
    d = C.stored_susceptibility(small_study, K=5.5)
    i = small_study["K"].index(5.5)
    for k, L in enumerate(small_study["lattice_sizes"]):
        np.testing.assert_allclose(d["chi_rep"][k], L * L * np.array(small_study["m2_rep"][k])[:, i])
    np.testing.assert_allclose(d["chi"], np.array(small_study["chi"])[:, i], rtol=1e-12)
    with pytest.raises(ValueError, match="grid"):
        C.stored_susceptibility(small_study, K=5.4)


def test_susceptibility_far_below_kc_does_not_grow_with_L():
    # At K = 2 the correlation length is below one site, so chi = N <m^2> is the same
    # for L = 8 and 32 within 4 standard errors (and close to the single-site variance
    # times a correlation factor of order one).
    d = C.susceptibility_by_size(2.0, (8, 32), n_sweeps=600, n_burn=100, n_replicas=6, seed=4)
    assert d["chi_rep"].shape == (2, 6)
    assert abs(d["chi"][1] - d["chi"][0]) < 4 * np.hypot(*d["chi_err"])
    again = C.susceptibility_by_size(2.0, (8, 32), n_sweeps=600, n_burn=100, n_replicas=6, seed=4)
    np.testing.assert_array_equal(d["chi_rep"], again["chi_rep"])


def test_claims_of_the_chapter():
    cs = C.claims(K_c=5.54)
    ids = [c.id for c in cs]
    assert len(set(ids)) == len(ids) and all(i.startswith("rg.coarse.") for i in ids)
    byid = {c.id: c for c in cs}
    assert byid["rg.coarse.ising_binder"].criterion.target == C.ISING_BINDER_CROSSING
    assert byid["rg.coarse.information_loss"].criterion.target == 0.75
    assert "5.54" in byid["rg.coarse.fixed_point"].scope


def test_judge_claims_on_independent_lattices(small_study):
    # Independent uniform lattices: a 2x2 step discards 3/4 of the variance (within
    # the sampling error) and the mean is preserved exactly.  (The guide's list of
    # Example 3's scales is judged in the examples chapter, not here.)
    rng = np.random.default_rng(3)
    lat = rng.random((32, 32))
    scales = coarse.multi_scale_coarsening(lat, 4)
    reps = {K: [coarse.scale_statistics(rng.random((32, 32)), 4) for _ in range(4)]
            for K in (0.0, 4.0, 5.5, 6.5)}
    R = np.linspace(-2, 2, 9)
    lats = np.array([np.full((16, 16), x) for x in logistic(R, 3.0, 0.0)])
    lats += 1e-3 * rng.standard_normal(lats.shape)
    by_scale = coarse.emergent_beta_by_scale(R, lats, n_scales=2)
    js = C.judge_claims(example_lattice=lat, example_scales=scales, by_scale=by_scale, stats=reps,
                        K_show=[4.0, 5.5, 6.5], K_near=5.5, stored=small_study,
                        block_slope={"slope": -0.25, "slope_err": 0.01}, K_mf=4.84)
    J = {j.claim.id: j for j in js}
    assert [j.claim.id for j in js] == [c.id for c in C.claims()]
    assert J["rg.coarse.mean_preserved"].verdict == HELD
    assert "rg.coarse.scales" not in J
    # eta from chi is taken at K_c, interpolated, with the error of K_c carried along
    eta = J["rg.coarse.ising_eta"].results[0].measurement
    if np.isfinite(small_study["K_c"]):
        xc = C.chi_exponent_at(small_study, small_study["K_c"], small_study["K_c_err"])
        assert eta.value == pytest.approx(2 - xc["x"]) and eta.err == pytest.approx(xc["x_err"])
    else:
        assert np.isnan(eta.value)
    assert J["rg.coarse.beta_scales"].verdict == HELD
    assert J["rg.coarse.information_loss"].verdict == HELD
    loss = [r.measurement.value for r in J["rg.coarse.information_loss"].results]
    np.testing.assert_allclose(loss, 0.75, atol=0.05)
