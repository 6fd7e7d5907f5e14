"""Tests of utacbook.studies.rg.coarse_graining.

Analytic cases (Binder cumulants of known distributions, exact single-site
variance, exactly preserved means) are checked to rounding; stochastic ones
against 4 standard errors of their own replicas.
"""

from __future__ import annotations

import numpy as np
import pytest

from utacbook.claims import HELD
from utacbook.models import scan_field
from utacbook.stats import logistic
from utacbook.stats import _coarse as coarse
from utacbook.stats import _criticality as crit
from utacbook.studies.rg import coarse_graining as cg


# --------------------------------------------------------------------------- exact single site


def test_single_site_variance_matches_sampling_and_is_symmetric():
    rng = np.random.default_rng(3)
    xi = rng.normal(size=1_000_000)
    for h, T in [(0.0, 0.2), (0.3, 0.2), (-1.0, 0.5)]:
        s = 1.0 / (1.0 + np.exp(-(h / T + xi)))
        var_hat = s.var()
        # standard error of a sample variance: sqrt((mu4 - var^2) / n)
        se = np.sqrt((((s - s.mean()) ** 4).mean() - var_hat ** 2) / s.size)
        assert abs(cg.single_site_variance(h, T) - var_hat) < 4 * se
        assert cg.single_site_variance(h, T) == pytest.approx(cg.single_site_variance(-h, T),
                                                              rel=1e-12)


def test_order_parameter_at_zero_coupling_matches_exact_single_site_variance():
    # J = 0: independent agents at h = -J/2 = 0, so m = sigma-bar - 1/2 has mean 0
    # and N <m^2> = Var[sigmoid(xi)] exactly; <m^4> = 3 <m^2>^2 (1 + O(1/N)).
    r = crit.order_parameter_moments(0.0, 0.2, lattice_size=16, n_sweeps=2000, n_burn=20,
                                  n_replicas=16, seed=11)
    exact = cg.single_site_variance(0.0, 0.2)
    assert abs(r["chi"] - exact) < 4 * r["chi_err"]
    assert abs(r["m_mean"]) < 4 * r["m_mean_err"]
    assert abs(r["binder"]) < 4 * r["binder_err"] + 0.01   # O(1/N) kurtosis of N = 256 sites


# --------------------------------------------------------------------------- lattices


def test_final_lattices_are_the_scan_protocol():
    J, T, h = np.array([0.8, 1.1]), 0.2, np.array([-0.4, -0.55])
    r = cg.final_lattices(J, T, h, lattice_size=8, n_sweeps=30, n_replicas=3, seed=77)
    assert r["lattices"].shape == (3, 2, 8, 8)
    np.testing.assert_allclose(r["sigma"], r["lattices"].mean(axis=(-2, -1)))
    children = np.random.SeedSequence(77).spawn(2)
    for k in range(2):
        s = scan_field(J[k], T, [h[k]], lattice_size=8, n_steps=30, n_replicas=3,
                       seed=children[k])["sigma"][:, 0]
        np.testing.assert_allclose(r["sigma"][:, k], s, rtol=0, atol=1e-12)
    again = cg.final_lattices(J, T, h, lattice_size=8, n_sweeps=30, n_replicas=3, seed=77)
    np.testing.assert_array_equal(r["lattices"], again["lattices"])


# --------------------------------------------------------------------------- coarse additions


def test_neighbour_correlation_known_patterns():
    i, j = np.indices((8, 8))
    checker = ((i + j) % 2).astype(float)
    assert cg.neighbour_correlation(checker) == pytest.approx(-1.0)
    stripes = (i % 2).astype(float)                 # -1 across rows, +1 along them
    assert cg.neighbour_correlation(stripes) == pytest.approx(0.0, abs=1e-15)
    assert cg.neighbour_correlation(np.full((4, 4), 0.8), center=0.5) == pytest.approx(1.0)
    assert np.isnan(cg.neighbour_correlation(np.full((4, 4), 0.8)))
    lat = np.random.default_rng(1).random((256, 256))
    assert abs(cg.neighbour_correlation(lat)) < 4 / np.sqrt(2 * lat.size)
    with pytest.raises(ValueError, match="lattice must be at least 2 x 2"):
        cg.neighbour_correlation(np.ones((1, 5)))


def test_scale_statistics_of_independent_sites():
    lat = np.random.default_rng(2).random((128, 128))
    st = cg.scale_statistics(lat, n_scales=4)
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
    assert cg.scale_statistics(two, n_scales=1)["binder"][0] == pytest.approx(2 / 3)


def test_block_moment_profile_centre():
    lat = np.full((16, 16), 0.8)
    bs, mom = coarse.block_moment_profile(lat, [1, 2, 4], center=0.5)
    np.testing.assert_allclose(mom, 0.09)
    lat = np.random.default_rng(4).random((32, 32))
    bs1, v1 = coarse.block_moment_profile(lat)
    bs2, v2 = coarse.block_variance_profile(lat)
    np.testing.assert_array_equal(bs1, bs2)
    np.testing.assert_array_equal(v1, v2)
    cur = cg.block_variance_curves(np.stack([lat, lat[::-1]]), [1, 2, 4])
    np.testing.assert_allclose(cur["mean"], coarse.block_variance_profile(lat, [1, 2, 4])[1])


def test_emergent_beta_is_identical_at_every_scale():
    R = np.linspace(-2, 2, 15)
    rng = np.random.default_rng(5)
    lats = np.clip(logistic(R, 3.0, 0.1)[:, None, None]
                   + 0.05 * rng.normal(size=(R.size, 32, 32)), 0, 1)
    res = cg.emergent_beta_by_scale(R, lats, n_scales=3)
    np.testing.assert_array_equal(res["size"], [32, 16, 8, 4])
    assert res["max_sigma_diff"] < 1e-14
    assert res["max_beta_diff"] < 1e-8 * res["beta"][0]
    with pytest.raises(ValueError, match="lattices must hold one lattice per R value"):
        cg.emergent_beta_by_scale(R, lats[:3])


def test_block_variance_exponent_of_independent_sites_is_minus_two():
    lats = np.random.default_rng(6).random((6, 64, 64))
    r = cg.block_variance_exponent(lats, [1, 2, 4, 8])
    assert abs(r["slope"] + 2.0) < 4 * r["slope_err"] + 1e-3
    assert r["variances"].shape == (6, 4)


def test_bad_couplings_and_temperatures_raise():
    with pytest.raises(ValueError, match="T must be > 0"):
        crit.order_parameter_moments(1.0, -0.2, lattice_size=4, n_sweeps=10, n_burn=0)
    with pytest.raises(ValueError, match="J must contain only finite"):
        crit.order_parameter_moments([1.0, np.nan], 0.2, lattice_size=4, n_sweeps=10, n_burn=0)
    with pytest.raises(ValueError, match="n_sweeps must be an int or have one entry"):
        crit.binder_scan([5.0, 6.0], (4, 8), n_sweeps=(10, 20, 30))
    with pytest.raises(ValueError, match="T must be > 0"):
        cg.single_site_variance(0.0, 0.0)
    with pytest.raises(ValueError, match="T must be > 0"):
        cg.final_lattices(1.0, 0.0, 0.0, lattice_size=4)
    with pytest.raises(ValueError, match="lattices must hold at least 2"):
        cg.block_variance_exponent(np.ones((1, 8, 8)), [1, 2])


def test_claims_of_the_chapter():
    cs = cg.claims(K_c=5.54)
    ids = [c.id for c in cs]
    assert len(set(ids)) == len(ids) and all(i.startswith("rg.coarse.") for i in ids)
    byid = {c.id: c for c in cs}
    assert byid["rg.coarse.ising_binder"].criterion.target == crit.ISING_BINDER_CROSSING
    assert byid["rg.coarse.information_loss"].criterion.target == 0.75
    assert "5.54" in byid["rg.coarse.fixed_point"].scope


def test_judge_claims_on_independent_lattices(small_kc_study):
    # Independent uniform lattices: a 2x2 step discards 3/4 of the variance (within
    # the sampling error) and the mean is preserved exactly.  (The guide's list of
    # Example 3's scales is judged in the examples chapter, not here.)
    rng = np.random.default_rng(3)
    lat = rng.random((32, 32))
    scales = coarse.multi_scale_coarsening(lat, 4)
    reps = {K: [cg.scale_statistics(rng.random((32, 32)), 4) for _ in range(4)]
            for K in (0.0, 4.0, 5.5, 6.5)}
    R = np.linspace(-2, 2, 9)
    lats = np.array([np.full((16, 16), x) for x in logistic(R, 3.0, 0.0)])
    lats += 1e-3 * rng.standard_normal(lats.shape)
    by_scale = cg.emergent_beta_by_scale(R, lats, n_scales=2)
    js = cg.judge_claims(example_lattice=lat, example_scales=scales, by_scale=by_scale, stats=reps,
                        K_show=[4.0, 5.5, 6.5], K_near=5.5, stored=small_kc_study,
                        block_slope={"slope": -0.25, "slope_err": 0.01}, K_mf=4.84)
    J = {j.claim.id: j for j in js}
    assert [j.claim.id for j in js] == [c.id for c in cg.claims()]
    assert J["rg.coarse.mean_preserved"].verdict == HELD
    assert "rg.coarse.scales" not in J
    # eta from chi is taken at K_c, interpolated, with the error of K_c carried along
    eta = J["rg.coarse.ising_eta"].results[0].measurement
    if np.isfinite(small_kc_study["K_c"]):
        xc = crit.chi_exponent_at(small_kc_study, small_kc_study["K_c"], small_kc_study["K_c_err"])
        assert eta.value == pytest.approx(2 - xc["x"]) and eta.err == pytest.approx(xc["x_err"])
    else:
        assert np.isnan(eta.value)
    assert J["rg.coarse.beta_scales"].verdict == HELD
    assert J["rg.coarse.information_loss"].verdict == HELD
    loss = [r.measurement.value for r in J["rg.coarse.information_loss"].results]
    np.testing.assert_allclose(loss, 0.75, atol=0.05)
