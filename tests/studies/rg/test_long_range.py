"""Tests of utacbook.studies.rg.long_range (chapter book/rg/11_long_range.ipynb).

The exact results used: the N -> infinity all-to-all dynamics is the mean-field ODE
dm/dt = g((J m + h)/T) - m (its K = 0 solution is a pure exponential, its long-time limit
the mean-field fixed points); the all-to-all model's midpoint slope tends to mean field's;
sigma-bar(-J/2) = 1/2 by the sigma -> 1 - sigma symmetry; and the identities of the
global-share prediction (a mean-field "lattice" gives mean field for every share).
"""

from __future__ import annotations

import math

import numpy as np
import pytest

import utacbook as ub
from utacbook.studies.rg import long_range as lr
from utacbook.theory import GPRIME0, critical_coupling_ratio, mean_field_beta_scaled, mean_field_fixed_points

T = lr.T_REF


# --------------------------------------------------------------------------- the exact N -> infinity dynamics


def test_mean_field_gap_at_zero_coupling_is_a_pure_exponential():
    t = np.array([0.0, 0.5, 1.0, 3.0, 10.0])
    np.testing.assert_allclose(lr.mean_field_gap(0.0, t), np.exp(-t), rtol=1e-8, atol=1e-12)


@pytest.mark.parametrize("K", [5.5, 7.0])
def test_mean_field_gap_tends_to_the_two_stable_fixed_points(K):
    roots, stable = mean_field_fixed_points(K * T, -K * T / 2, T)
    rs = roots[stable]
    assert rs.size == 2
    assert lr.mean_field_gap(K, 5000.0) == pytest.approx(rs.max() - rs.min(), abs=1e-7)


def test_mean_field_gap_below_the_threshold_decays_at_rate_one_minus_K_gprime():
    K = 3.0
    lam = 1.0 - K * GPRIME0                   # the linearised rate of dx/dt = g(Kx) - 1/2 - x at x = 0
    g1, g2 = lr.mean_field_gap(K, [20.0, 30.0])            # gaps ~1e-4: the cubic term is ~1e-8 of the linear
    assert math.log(g1 / g2) / 10.0 == pytest.approx(lam, rel=1e-5)


def test_mean_field_threshold_tends_to_one_over_gprime0():
    Kc = critical_coupling_ratio()
    d = [abs(lr.mean_field_gap_threshold(n, 0.02) - Kc) for n in (100, 1000, 10000)]
    assert d[0] > d[1] > d[2] and d[2] < 2e-3
    assert lr.mean_field_gap(lr.mean_field_gap_threshold(200, 0.1), 200) == pytest.approx(0.1, abs=1e-8)


# --------------------------------------------------------------------------- all-to-all simulations -> mean field


def test_all_to_all_beta_converges_to_mean_field():
    # K = 3 is far from the threshold: the 1/N correction at N = 1024 (|a|/N ~ 1e-3 in beta T) is well
    # below the error bar of 32 replicas, so the deviation must be zero within it
    r = lr.all_to_all_beta(K_values=(3.0,), sizes=(32,), n_replicas=32, seed=11)
    assert abs(r["dev"][0, 0]) <= 3 * r["dev_err"][0, 0]
    # the estimator applied to the exact mean-field curve: close to the exact slope (delta extrapolation)
    assert r["beta_mf_est_T"][0] == pytest.approx(mean_field_beta_scaled(3.0), rel=2e-3)
    # sigma-bar(-J/2) = 1/2 exactly by symmetry
    assert abs(r["sigma_mid"][0, 0] - 0.5) <= 4 * r["sigma_mid_err"][0, 0]


def test_the_difference_systematic_is_midpoint_betas_own_least_squares():
    # _extrapolation_gap must be the least squares of utacbook.stats.midpoint_beta: its intercept gives beta and
    # its gap beta_sys, identically
    r = ub.stats.midpoint_beta(4.0 * T, T, scan=ub.models.scan_field_extended, theta="symmetric",
                               deltas=lr._deltas_for(4.0, T), lattice_size=8, n_replicas=16, seed=2,
                               global_coupling=1.0, progress=False)
    a3, gap = lr._extrapolation_gap(r.replica_slopes, r.deltas)
    assert 4 * a3.mean() == pytest.approx(r.beta, rel=1e-12)
    assert 4 * abs(gap.mean()) == pytest.approx(r.beta_sys, rel=1e-10, abs=1e-14)
    # a response exactly quadratic in delta has no extrapolation systematic
    d = np.array([0.4, 0.2, 0.1, 0.05])
    a3, gap = lr._extrapolation_gap(np.array([1.0 + 3.0 * d ** 2]), d)
    assert a3[0] == pytest.approx(1.0, abs=1e-12) and abs(gap[0]) < 1e-12


def test_stored_all_to_all_errors_are_statistical_and_systematic_in_quadrature():
    a = lr.restore(ub.stored.load("rg_long_range_all_to_all"))
    np.testing.assert_allclose(a["dev_err"], np.hypot(a["dev_stat"], a["dev_sys"]), rtol=1e-12)
    np.testing.assert_allclose(a["dev_stat"], a["beta_T_err"], rtol=1e-12)
    assert np.all(a["dev_sys"] >= 0)


def test_stationarity_check_reuses_the_seeds_of_the_beta_runs():
    # the same seeds and delta as all_to_all_beta: identical beta; at K = 3 (relaxation rate 1 - 3 g'(0) = 0.38
    # per sweep) 100 sweeps are stationary, so the change with 2x the sweeps is zero within its error
    s = lr.stationarity_check(cases=(), a2a=((3.0, 8, 16),), factor=2, seed=11)
    b = lr.all_to_all_beta(K_values=(3.0,), sizes=(8,), n_replicas=16, seed=11)
    assert s["beta_T"][0] == b["beta_T"][0, 0]
    assert abs(s["change"][0]) <= 4 * s["change_err"][0]


def test_all_to_all_gap_follows_the_mean_field_ode():
    K = np.array([4.6, 5.3])
    r = lr.all_to_all_gap(K_values=K, sizes=(64,), n_replicas=8, n_sweeps=200, record=(200,), seed=5)
    g, e, mf = r["gap"][0, 0], r["gap_err"][0, 0], r["gap_mf"][0]
    # N = 4096: finite-N corrections of the mean gap are O(1/N) away from the threshold
    assert np.all(np.abs(g - mf) <= 4 * e + 2e-3)
    # the symmetry: the runs from 1 and from 0 are mirror images in distribution
    d = r["upper"][0, 0] - r["lower"][0, 0]
    assert np.all(np.abs(d) <= 4 * np.hypot(r["upper_err"][0, 0], r["lower_err"][0, 0]))


def test_stored_threshold_extrapolates_to_the_mean_field_one():
    # the committed runs (L = 8 ... 256, both threshold runs): the fitted N -> infinity threshold (fit range by
    # the rule) agrees with the exact mean-field gap passed through the same grid interpolation, within the
    # family-wise k of the three run lengths times its standard error (widened by sqrt(chi2/dof) when poor)
    gap = lr.restore(ub.stored.load("rg_long_range_gap"))
    ext = lr.restore(ub.stored.load("rg_long_range_gap_extension"))
    k = ub.claims.familywise_k(len(gap["record"]))
    for q, n in enumerate(gap["record"]):
        assert gap["K_b_mf"][q] == pytest.approx(lr.mean_field_gap_threshold(n, gap["level"]), abs=1e-9)
        c = lr.combined_thresholds(gap, ext, record=int(n))
        assert c["K_ref"] == pytest.approx(lr.mean_field_grid_threshold(gap["K"], n, gap["level"]), abs=1e-12)
        assert c["K_ref"] == pytest.approx(ext["K_b_mf_grid"][q], abs=1e-9)      # the same on both grids
        ch = lr.threshold_limit(c["sizes"], c["K_b"], c["K_b_err"], c["K_ref"])["chosen"]
        assert abs(ch["K_inf"] - c["K_ref"]) <= k * ch["K_inf_err"]


def test_grid_threshold_is_the_interpolated_ode_and_tends_to_the_exact_root():
    K = np.round(np.arange(4.6, 5.1, 0.05), 2)
    g = lr.mean_field_gap(K, 200.0)
    assert lr.mean_field_grid_threshold(K) == lr.gap_threshold(K, np.vstack([g, g]))["K_b"]
    exact = lr.mean_field_gap_threshold(200, 0.1)
    fine = np.round(np.arange(4.80, 4.90, 0.001), 3)
    assert abs(lr.mean_field_grid_threshold(fine) - exact) < 1e-5 < abs(lr.mean_field_grid_threshold(K) - exact)


def test_gap_runs_replicas_do_not_depend_on_the_number_of_replicas_and_task_keys_differ():
    kw = dict(K_values=[4.7, 4.9], sizes=(8,), n_sweeps=30, record=(30,), seed=3, keep_replicas=True)
    a = lr.all_to_all_gap(n_replicas=5, **kw)
    b = lr.all_to_all_gap(n_replicas=2, **kw)
    c = lr.all_to_all_gap(n_replicas=2, task=6, **kw)
    np.testing.assert_array_equal(a["gap_replicas"][0][:2], b["gap_replicas"][0])
    assert not np.array_equal(b["gap_replicas"][0], c["gap_replicas"][0])
    np.testing.assert_allclose(a["gap"][0], a["gap_replicas"][0].mean(axis=0), rtol=1e-12)


def test_combined_thresholds_weight_by_inverse_variance():
    g = {"sizes": [16, 32], "record": [200], "K": [4.8, 4.85, 4.9], "level": 0.1, "K_b": [[4.9], [4.87]],
         "K_b_err": [[0.01], [0.004]], "K_b_mf": [4.8438]}
    e = {"sizes": [32, 64], "record": [200], "K": [4.8, 4.85, 4.9], "level": 0.1, "K_b": [[4.86], [4.85]],
         "K_b_err": [[0.002], [0.002]], "K_b_mf": [4.8438]}
    c = lr.combined_thresholds(g, e)
    w1, w2 = 1 / 0.004 ** 2, 1 / 0.002 ** 2
    assert c["sizes"].tolist() == [16, 32, 64]
    assert c["K_b"][1] == pytest.approx((w1 * 4.87 + w2 * 4.86) / (w1 + w2), rel=1e-12)
    assert c["K_b_err"][1] == pytest.approx((w1 + w2) ** -0.5, rel=1e-12)
    assert (c["K_b"][0], c["K_b"][2]) == (4.9, 4.85)
    assert math.isnan(c["second"][0, 0]) and math.isnan(c["first"][2, 0])


def test_threshold_limit_drops_the_smallest_size_when_the_fit_needs_it():
    L = np.array([8, 16, 32, 64, 128, 256])
    e = np.full(6, 1e-3)
    K_b = 4.84 + 2.0 * L ** -1.5
    r = lr.threshold_limit(L, K_b, e, 4.84)
    assert r["chosen"]["L_min"] == 8 and r["chosen"]["K_inf"] == pytest.approx(4.84, abs=1e-8)
    K_b2 = K_b.copy()
    K_b2[0] += 0.05                                          # L = 8 off the law by 50 standard errors
    r2 = lr.threshold_limit(L, K_b2, e, 4.84)
    assert r2["fits"][0]["p_inf"] < 0.05 and r2["chosen"]["L_min"] == 16
    assert r2["chosen"]["K_inf"] == pytest.approx(4.84, abs=1e-6)
    s = lr.threshold_scaling(L, K_b, e, 4.84, L_min=32)
    assert s["L_fit"].tolist() == [32, 64, 128, 256] and s["dof_inf"] == 1 and s["p_y"] == pytest.approx(1.0)


# --------------------------------------------------------------------------- the threshold and the scaling fits


def test_gap_threshold_interpolates_and_jackknifes():
    K = np.array([4.0, 4.5, 5.0, 5.5])
    base = np.array([0.0, 0.05, 0.3, 0.6])
    r = lr.gap_threshold(K, np.tile(base, (5, 1)))
    assert r["K_b"] == pytest.approx(4.5 + 0.5 * (0.1 - 0.05) / 0.25)
    assert r["K_b_err"] == 0.0 and r["n_crossings"] == 1
    noisy = base + np.array([[0.01], [-0.01], [0.02], [-0.02], [0.0]])      # shifts only: a known jackknife
    r2 = lr.gap_threshold(K, noisy)
    shifts = np.array([0.01, -0.01, 0.02, -0.02, 0.0])
    loo = [4.5 + 0.5 * (0.1 - 0.05 - (shifts.sum() - s) / 4) / 0.25 for s in shifts]
    jk = math.sqrt(4 / 5 * np.sum((np.array(loo) - np.mean(loo)) ** 2))
    assert r2["K_b_err"] == pytest.approx(jk, rel=1e-12)
    assert math.isnan(lr.gap_threshold(K, np.zeros((3, 4)))["K_b"])


def test_size_scaling_recovers_a_known_law():
    N = np.array([64.0, 256.0, 1024.0, 4096.0])
    e = np.full(4, 1e-4)
    s = lr.size_scaling(N, 0.01 - 2.0 / N, e)
    assert s["c"] == pytest.approx(0.01, abs=1e-9) and s["a"] == pytest.approx(-2.0, rel=1e-7)
    assert s["p"] == pytest.approx(1.0)
    s2 = lr.size_scaling(N, 3.0 * N ** -0.5, e)
    assert s2["x"] == pytest.approx(0.5, abs=1e-6) and s2["p1"] < 1e-6


# --------------------------------------------------------------------------- the global-share prediction


def test_mixed_beta_prediction_with_a_mean_field_lattice_is_mean_field():
    # if the lattice responded like mean field, b(K') = 4g'/(1 - g'K'), every share gives mean field at K
    for K in (1.0, 3.0, 4.5):
        for w in (0.0, 0.3, 0.7, 1.0):
            assert lr.mixed_beta_prediction(K, w, mean_field_beta_scaled) == pytest.approx(
                mean_field_beta_scaled(K), rel=1e-12)
    assert lr.mixed_beta_prediction(2.0, 0.0, 1.234) == 1.234
    assert lr.mixed_beta_prediction(6.0, 1.0, 4 * GPRIME0) == math.inf


def test_predicted_critical_coupling_with_a_mean_field_lattice_is_one_over_gprime0():
    k = np.linspace(0.0, 4.5, 10)
    b = mean_field_beta_scaled(k)
    for w in (0.25, 0.5, 1.0):
        p = lr.predicted_critical_coupling(w, k, b, np.zeros(10), n_draws=10)
        assert p["K_c"] == pytest.approx(critical_coupling_ratio(), abs=1e-8)
        assert p["K_c_err"] < 1e-8


def test_global_share_beta_follows_the_lattice_prediction():
    # simulated check of the exact N -> infinity relation at L = 32 (N = 1024: corrections O(1/N))
    common = dict(lattice_size=32, n_replicas=16, n_steps=100, seed=7)
    b, be, _ = lr._beta_task(1.5, T, **common)                     # the lattice at (1 - w) K
    bw, bwe, _ = lr._beta_task(3.0, T, share=0.5, kind="global", **common)
    c = 0.5 * 3.0 / 4.0
    pred, pred_err = b / (1 - c * b), be / (1 - c * b) ** 2
    assert abs(bw - pred) <= 3 * math.hypot(bwe, pred_err)


# --------------------------------------------------------------------------- Binder study and stored results


def test_binder_study_matches_the_cumulant_of_its_traces():
    K = (4.8, 5.0)
    r = lr.binder_study(models=[("links", 0.5, K)], sizes=(8,), n_sweeps=(200,), n_burn=(50,), n_replicas=4,
                        seed=3)
    s = ub.models.scan_field_extended(np.array(K) * T, T, -0.5 * np.array(K) * T, lattice_size=8, n_steps=200,
                                      n_replicas=4, long_range=0.5, n_links=4, return_traces=True,
                                      seed=(3, (5, 2, 500, 8)))
    m = s["traces"][..., 50:] - 0.5
    U = 1 - (m ** 4).mean(-1).mean(0) / (3 * (m ** 2).mean(-1).mean(0) ** 2)
    np.testing.assert_allclose(r["models"][0]["binder"][0], U, rtol=1e-12)
    assert math.isnan(r["models"][0]["K_c"])                      # one size: no crossing


def test_for_json_and_restore_round_trip():
    d = {"a": np.array([[1.0, np.nan], [2.0, 3.0]]), "b": 2, "s": "x", "models": [{"K": np.array([1.0, 2.0]),
                                                                                    "pairs": [], "kind": "global"}]}
    j = lr._for_json(d)
    assert j["a"][0][1] is None
    back = lr.restore(j)
    np.testing.assert_array_equal(back["a"], d["a"])
    np.testing.assert_array_equal(back["models"][0]["K"], [1.0, 2.0])


@pytest.mark.parametrize("name", ["all_to_all", "gap_extension", "stationarity"])
def test_committed_stores_reproduce(name):
    stored = ub.stored.load(f"rg_long_range_{name}")
    assert lr.spot_check(stored)["identical"]


def test_claims_are_judged_from_the_stored_results():
    load = lambda name: lr.restore(ub.stored.load(name))  # noqa: E731
    a2a, gap, interp, binder, ext = (load(f"rg_long_range_{n}") for n in ("all_to_all", "gap", "interpolation",
                                                                          "binder", "gap_extension"))
    kc = ub.stored.load("rg_critical_coupling")
    sizes = sorted(set(gap["sizes"].astype(int)) | set(ext["sizes"].astype(int)))
    cl = lr.claims(K_b_mf=lr.mean_field_grid_threshold(gap["K"]), K_c=kc["K_c"], gap_sizes=sizes)
    js = lr.judge_claims(a2a=a2a, gap=gap, interp=interp, binder=binder, K_c=kc["K_c"], K_c_err=kc["K_c_err"],
                         claims_=cl, gap_extension=ext)
    assert [j.claim.id for j in js] == [c.id for c in cl]
    assert all(c.source == "ours" for c in cl)
    n = {j.claim.id.split(".")[-1]: len(j.results) for j in js}
    assert n["beta_limit"] == len(a2a["K"]) and n["theta"] == len(a2a["K"]) * 5 + 2 * len(gap["sizes"])
    assert n["beta_raise"] == 2 * (len(interp["shares"]) - 1) and n["kc_global"] == 4
    assert n["bistability_limit"] == len(gap["record"])
    resolved = [lr.size_scaling(a2a["N"], a2a["dev"][i], a2a["dev_err"][i])["n_resolved"] >= 2
                for i in range(len(a2a["K"]))]
    assert n["one_over_n"] == sum(resolved)
    j = {x.claim.id.split(".")[-1]: x for x in js}
    assert [r.condition for r in j["bistability"].results] == [f"L = {L}" for L in sizes[-2:]]
    # every criterion revised after the referee's reading says so
    for key in ("one_over_n", "bistability", "bistability_limit", "beta_raise", "kc_lower", "kc_above_mf"):
        assert "revised after a referee read the first run" in j[key].claim.note


@pytest.mark.parametrize("fn, kw, match", [
    (lr.all_to_all_beta, dict(K_values=(5.0,)), "K_values"),
    (lr.all_to_all_beta, dict(K_values=(2.0,), sizes=(8, 16), n_replicas=(4,)), "n_replicas"),
    (lr.all_to_all_gap, dict(K_values=(5.0, 4.0)), "K_values"),
    (lr.all_to_all_gap, dict(K_values=(4.0, 5.0), n_sweeps=10, record=(20,)), "record"),
    (lr.interpolation_beta, dict(shares=(1.5,)), "shares"),
    (lr.interpolation_beta, dict(K=4.0, shares=(0.3,), lattice_K=(0.0, 4.0)), "lattice_K"),
    (lr.binder_study, dict(models=[("nearest", 0.5, (4.0, 5.0))], sizes=(8,), n_sweeps=(20,), n_burn=(5,)), "kind"),
    (lr.binder_study, dict(models=[("global", 0.5, (4.0, 5.0))], sizes=(8,), n_sweeps=(20,), n_burn=(30,)),
     "n_burn"),
    (lr.mean_field_gap, dict(K=-1.0, n_sweeps=1.0), "K"),
    (lr.mean_field_gap_threshold, dict(level=1.0), "level"),
    (lr.mixed_beta_prediction, dict(K=1.0, w=1.5, b_lattice=1.0), "w"),
])
def test_bad_input_names_the_parameter(fn, kw, match):
    with pytest.raises((ValueError, TypeError), match=match):
        fn(**kw)
