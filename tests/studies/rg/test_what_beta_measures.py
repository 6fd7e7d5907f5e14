"""Tests of utacbook.studies.rg.what_beta_measures (chapter book/rg/09_what_beta_measures.ipynb).

References are exact: the scaling identity of the update (bit for bit for powers of two), the
uncoupled lattice (K = 0: sigma-bar = g(h/T) and N var(sigma-bar) = Var sigmoid(xi), computed
here by quadrature), and mean field (a calibration built from its closed form must give back
its roots, intervals and inversions).  Statistical tolerances come from the error bars.
"""

from __future__ import annotations

import math

import matplotlib.pyplot as plt
import numpy as np
import pytest
from scipy.integrate import quad
from scipy.optimize import brentq
from scipy.special import expit
from scipy.stats import norm

from utacbook.stats import midpoint_beta
from utacbook.studies.rg import what_beta_measures as wb
from utacbook.theory import _mean_field as th

G0 = th.GPRIME0


# --------------------------------------------------------------------------- the scaling identity


@pytest.mark.parametrize("K", [0.0, 2.0, 4.2, 11.0])
def test_power_of_two_scaling_is_bit_identical_other_factors_equal_to_rounding(K):
    T = 0.19
    J = K * T
    h = [-J / 2 - 0.3 * T, -J / 2, -J / 2 + 0.1 * T]
    r = wb.scaling_identity_check(J, T, h, factors=(2.0, 0.25, 8.0, 3.0, 0.7), lattice_size=12, n_steps=30,
                                  n_replicas=2, seed=5)
    for x in r[:3]:
        assert x["power_of_two"] and x["identical"] and x["max_abs_diff"] == 0.0
    for x in r[3:]:
        assert not x["power_of_two"]
        if K < 5.54:          # below K_c the dynamics contracts differences: they stay at rounding level
            assert x["max_abs_diff"] < 1e-12


def test_the_midpoint_slope_scales_exactly_as_one_over_T():
    # with the field bracket scaled too, every delta scales by 2 and beta halves, bit for bit
    J, T, b = 0.6, 0.2, (-2.0, 2.0)
    r1 = midpoint_beta(J, T, theta="symmetric", bracket=b, lattice_size=12, n_replicas=4, seed=3)
    r2 = midpoint_beta(2 * J, 2 * T, theta="symmetric", bracket=(2 * b[0], 2 * b[1]), lattice_size=12,
                       n_replicas=4, seed=3)
    assert r2.beta == r1.beta / 2 and r2.beta * 2 * T == r1.beta * T
    np.testing.assert_array_equal(r2.deltas, 2 * r1.deltas)


# --------------------------------------------------------------------------- the calibration


@pytest.fixture(scope="module")
def small_cal():
    """A small L = 16 calibration (K = 0 to 4), computed once."""
    return wb.lattice_calibration(K_values=[0.0, 0.5, 1.0, 1.5, 2.0, 3.0, 4.0], lattice_size=16, n_replicas=16,
                                  chi_replicas=128, check_steps=2, time_replicas=8, time_sweeps=400, seed=7)


def test_uncoupled_lattice_has_the_exact_slope_and_variance(small_cal):
    c = wb.Calibration(small_cal)
    assert c.K[0] == 0
    # K = 0: sigma-bar(h) = g(h/T) exactly, slope 4 g'(0) against h/T
    assert abs(c.beta_T[0] - 4 * G0) <= 3 * c.beta_T_err[0]
    # N var(sigma-bar) = Var sigmoid(xi) for independent agents (every agent updated at least once),
    # over replicas after 100 sweeps and over time alike
    m2 = quad(lambda z: expit(z) ** 2 * norm.pdf(z), -np.inf, np.inf)[0]
    assert abs(c.chi_rep[0] - (m2 - 0.25)) <= 3 * c.chi_rep_err[0]
    assert abs(c.chi_time[0] - (m2 - 0.25)) <= 3 * c.chi_time_err[0]
    # the quartile shape of g: beta w = 4 g'(0) * 2 g^-1(3/4)
    assert abs(c.shape[0] - 4 * G0 * th.mean_field_quartile_width(0.0)) <= 3 * c.shape_err[0]


def test_calibration_is_increasing_and_reproducible(small_cal):
    c = wb.Calibration(small_cal)
    assert c.usable.all() and np.all(np.diff(c.beta_T) > 0) and np.all(np.diff(c.chi_time) > 0)
    assert len(small_cal["sigma_mid"][0]) == 16 and small_cal["settings"]["lattice_size"] == 16
    chk = wb.spot_check_calibration(small_cal, indices=(0, 5))
    assert chk["beta_T_equal"] == [True, True] and chk["sigma_equal"] == [True, True]
    assert chk["chi_time_equal"] == [True, True]
    assert chk["max_rel_diff"] == 0.0
    df = c.to_dataframe()
    assert len(df) == 7 and {"K", "beta_T", "chi_time", "chi_rep", "shape", "usable"} <= set(df.columns)
    assert "7 couplings" in repr(c)


def _mf_calibration(K, *, err=1e-4, chi=None):
    """A calibration whose f(K) is mean field's closed form (tiny errors)."""
    K = np.asarray(K, dtype=float)
    f = th.mean_field_beta_scaled(K)
    chi = 0.04 * np.exp(0.3 * K + 0.05 * K ** 2) if chi is None else chi
    n = K.size
    return wb.Calibration({
        "K": K.tolist(), "beta_T": f.tolist(), "beta_T_err": [err * x for x in f], "chi_time": list(chi),
        "chi_time_err": list(0.01 * chi), "chi_rep": list(chi), "chi_rep_err": list(0.01 * chi),
        "beta_w_T": (2 * math.log(3) / th.mean_field_quartile_width(K)).tolist(),
        "beta_w_T_err": [1e-6] * n, "long_change": [0.0] * n, "long_change_err": [0.01] * n,
        "converged": [True] * n, "stationary": [True] * n, "diagnosis": [""] * n, "settings": {"lattice_size": 64}})


def test_roots_and_intervals_of_a_mean_field_calibration_are_mean_fields():
    c = _mf_calibration(np.arange(0.0, 4.75, 0.05))
    roots = wb.lattice_roots(c)
    lo, hi = th.mean_field_rule_roots()
    assert [r["direction"] for r in roots] == [-1, +1]
    # linear interpolation over 0.05: error bounded by the curvature term, which err_interp estimates
    for r, ref in zip(roots, (lo, hi)):
        assert abs(r["K"] - ref) <= max(2 * r["err"], 1e-9) and r["err"] < 0.01
    # the mean-field +-30 % intervals: closed form from the quadratics f = 1.3 K and f = 0.7 K
    s13, s07 = math.sqrt(1.69 - 16 * 1.3 * G0 ** 2), math.sqrt(0.49 - 16 * 0.7 * G0 ** 2)
    a, d = (1.3 - s13) / (2.6 * G0), (1.3 + s13) / (2.6 * G0)
    b, cc = (0.7 - s07) / (1.4 * G0), (0.7 + s07) / (1.4 * G0)
    iv = wb.mean_field_rule_intervals()
    np.testing.assert_allclose(np.ravel(iv), [a, b, cc, d], atol=1e-6)
    ivl = wb.rule_intervals(c)
    np.testing.assert_allclose(np.ravel(ivl), [a, b, cc, d], atol=0.01)


def _mf_edges():
    """The mean-field +-30 % window edges, closed form (roots of f = 1.3 K and f = 0.7 K)."""
    s13, s07 = math.sqrt(1.69 - 16 * 1.3 * G0 ** 2), math.sqrt(0.49 - 16 * 0.7 * G0 ** 2)
    return [(1.3 - s13) / (2.6 * G0), (0.7 - s07) / (1.4 * G0), (0.7 + s07) / (1.4 * G0), (1.3 + s13) / (2.6 * G0)]


def test_f_interpolation_error_is_zero_at_the_points_and_of_the_size_of_the_true_error_between():
    K = np.round(np.arange(0.0, 4.51, 0.3), 10)
    c = _mf_calibration(K, err=1e-4)
    stat, interp = c.f_errors(K)
    np.testing.assert_allclose(interp, 0.0, atol=1e-12)                       # both interpolants pass the points
    np.testing.assert_allclose(stat, 1e-4 * th.mean_field_beta_scaled(K), rtol=1e-12)
    Km = K[:-1] + 0.15                                                          # midway: where f is interpolated
    f, e = c.f(Km, err=True)
    stat, interp = c.f_errors(Km)
    np.testing.assert_allclose(e, np.hypot(stat, interp), rtol=1e-12)
    true = np.abs(f - th.mean_field_beta_scaled(Km))
    big = true > 1e-4 * f                 # where it matters beside 1e-4 errors (towards mean field's threshold)
    assert big.sum() >= 3
    ratio = interp[big] / true[big]
    assert np.all((ratio > 1 / 3) & (ratio < 3)), ratio
    with pytest.raises(ValueError, match="calibrated range"):
        c.f_errors([5.0])


def test_rule_windows_of_a_mean_field_calibration_are_mean_fields_within_their_errors():
    c = _mf_calibration(np.round(np.arange(0.0, 4.51, 0.3), 10), err=1e-4)
    ws = wb.rule_windows(c)
    assert len(ws) == 2 and not any(w["lo_open"] or w["hi_open"] for w in ws)
    got = [ws[0]["lo"], ws[0]["hi"], ws[1]["lo"], ws[1]["hi"]]
    err = [ws[0]["lo_err"], ws[0]["hi_err"], ws[1]["lo_err"], ws[1]["hi_err"]]
    exact = _mf_edges()
    assert all(abs(g - x) <= 3 * e for g, x, e in zip(got, exact, err)), (np.subtract(got, exact), err)
    # linear interpolation of beta T / K misses the lower edge, where beta T / K curves like 1/K, by far more
    assert abs(ws[0]["lo_linear"] - exact[0]) > 100 * abs(ws[0]["lo"] - exact[0])
    # the statistical part: f's error over the slope of f/K at the edge (f = 1.3 K there: 1.3e-4 K / K / |slope|)
    K1 = exact[0]
    r = lambda k: th.mean_field_beta_scaled(k) / k                             # noqa: E731
    slope = (r(K1 + 1e-6) - r(K1 - 1e-6)) / 2e-6
    assert ws[0]["lo_err_stat"] == pytest.approx(1.3e-4 / abs(slope), rel=0.02)
    # a window that reaches the end of the calibrated range is open there, with no error
    w2 = wb.rule_windows(_mf_calibration(np.round(np.arange(0.0, 3.61, 0.3), 10)))
    assert w2[-1]["hi_open"] and w2[-1]["hi"] == pytest.approx(3.6) and w2[-1]["hi_err"] == 0
    with pytest.raises(TypeError, match="cal"):
        wb.rule_windows({"K": [0.0]})


def test_rule_fraction_adds_lengths_and_errors():
    ws = [{"lo": 1.0, "lo_err": 0.03, "hi": 2.0, "hi_err": 0.04}, {"lo": 3.0, "lo_err": 0.0, "hi": 3.5, "hi_err": 0.0}]
    frac, err = wb.rule_fraction(ws, 5.0, K_max_err=0.1)
    assert frac == pytest.approx(0.3) and err == pytest.approx(math.hypot(0.05 / 5, 0.3 * 0.1 / 5))
    with pytest.raises(ValueError, match="K_max"):
        wb.rule_fraction(ws, 0.0)


def test_sign_pattern_of_a_mean_field_calibration_and_an_insignificant_point():
    K = np.round(np.arange(0.0, 4.51, 0.3), 10)
    c = _mf_calibration(K, err=1e-4)
    p = wb.rule_sign_pattern(c)
    lo, hi = th.mean_field_rule_roots()
    assert p["pattern"] == (1, -1, 1) and p["significant"]
    (s1, a1, b1, _), (s2, a2, b2, _), (s3, a3, b3, _) = p["runs"]
    assert b1 < lo < a2 and b2 < hi < a3 and a1 == 0.0 and b3 == 4.5          # the runs bracket the roots
    np.testing.assert_allclose(p["z"], (th.mean_field_beta_scaled(K) - K) / (1e-4 * th.mean_field_beta_scaled(K)))
    # a calibration point with beta T = K within its errors has no significant sign
    c2 = _mf_calibration(K, err=1e-4)
    i = 5
    c2.beta_T[i], c2.beta_T_err[i] = K[i] * (1 + 1e-5), 0.01
    p2 = wb.rule_sign_pattern(c2)
    assert not p2["significant"] and p2["sign"][i] == 0 and p2["pattern"] == (1, -1, 0, -1, 1)


def test_missing_fails_wraps_a_criterion():
    import utacbook.claims as uc
    c = wb.MissingFails(uc.Agreement(0.0, k=2), missing="no solution")
    assert c.test(uc.Measurement(0.1, 0.1))[0] and not c.test(uc.Measurement(0.5, 0.1))[0]
    assert c.test(uc.Measurement(False)) == (False, "no solution")
    with pytest.raises(TypeError):
        c.test(uc.Measurement(True))
    claim = uc.Claim("demo.missing", source="ours", section="", text="t", quantity="q", criterion=c)
    j = claim.judge([uc.Measurement(0.0, 0.1, condition="a"), uc.Measurement(False, condition="b")])
    assert j.caveat == "holds at a; fails at b"
    with pytest.raises(TypeError, match="criterion"):
        wb.MissingFails(uc.Ordering())
    with pytest.raises(ValueError, match="missing"):
        wb.MissingFails(uc.Sign(+1), missing=" ")


def test_exact_uncoupled_values():
    ex = wb.exact_uncoupled()
    m1 = quad(lambda z: expit(z) * norm.pdf(z), -np.inf, np.inf)[0]
    m2 = quad(lambda z: expit(z) ** 2 * norm.pdf(z), -np.inf, np.inf)[0]
    assert m1 == pytest.approx(0.5, abs=1e-12)
    assert ex["N_var"] == pytest.approx(m2 - 0.25, rel=1e-10)
    # g'(0) = E[sigmoid'(xi)], and the shape factor 4 g'(0) * 2 g^-1(3/4) with g(x) = E sigmoid(x + xi)
    gp = quad(lambda z: expit(z) * (1 - expit(z)) * norm.pdf(z), -np.inf, np.inf)[0]
    assert ex["beta_T"] == pytest.approx(4 * gp, rel=1e-10)
    xq = brentq(lambda x: quad(lambda z: expit(x + z) * norm.pdf(z), -np.inf, np.inf)[0] - 0.75, 0, 5, xtol=1e-14)
    assert ex["shape"] == pytest.approx(8 * gp * xq, rel=1e-8)


def test_logistic_fit_beta_T_is_the_guide_fit_times_T():
    from utacbook.models import microscopic_to_beta_map, scan_field
    from utacbook.stats import extract_emergent_beta
    r = wb.logistic_fit_beta_T(["Climate AMOC", "Quantum Vacuum"], lattice_size=12, n_steps=30, n_replicas=3, seed=4)
    d = microscopic_to_beta_map()["Quantum Vacuum"]
    h = np.linspace(-2, 2, 25)
    sig = scan_field(d["J"], d["T"], h, lattice_size=12, n_steps=30, n_replicas=3, seed=5)["sigma"]   # seed + 1
    bt = np.array([extract_emergent_beta(h, sig[k])[0] for k in range(3)]) * d["T"]
    x = r["Quantum Vacuum"]
    assert x["beta_T"] == pytest.approx(bt.mean(), rel=1e-12)
    assert x["beta_T_err"] == pytest.approx(bt.std(ddof=1) / math.sqrt(3), rel=1e-10)
    assert x["K"] == pytest.approx(d["J"] / d["T"])
    with pytest.raises(ValueError, match="names"):
        wb.logistic_fit_beta_T(["Nowhere"])


def test_guide_table_with_the_logistic_column():
    guide = {round(0.8 / 0.19, 10), 4.0, round(0.7 / 0.17, 10), round(0.15 / 0.11, 10)}
    K = np.array(sorted({round(d, 10) for d in np.arange(0.0, 4.7, 0.1)} | guide))
    c = _mf_calibration(K)
    c.K = np.append(c.K, [0.88 / 0.08, 0.98 / 0.053])
    for name in ("beta_T", "beta_T_err", "long_change", "long_change_err"):
        setattr(c, name, np.append(getattr(c, name), [20.0, 10.0]))
    c.stationary = np.append(c.stationary, [False, False])
    lg = {"Quantum Vacuum": {"beta_T": 1.1, "beta_T_err": 0.01, "r2": 0.99, "K": 0.15 / 0.11}}
    t = wb.guide_systems_table(c, logistic=lg, display=False).splitlines()
    assert "logistic fit" in t[0] and len(t) == 8
    qv = next(x for x in t if x.startswith("| Quantum Vacuum"))
    assert "1.100 ± 0.010" in qv and wb.pct_pm(1.1 / (0.15 / 0.11) - 1, 0.01 / (0.15 / 0.11)) in qv
    assert next(x for x in t if x.startswith("| LLM")).count("—") == 2
    assert "with 4× longer runs" in next(x for x in t if x.startswith("| Urban"))


def test_rule_table_columns_and_signs():
    c = _mf_calibration([0.0, 0.5, 2.0, 4.0])
    t = wb.rule_table(c)
    assert math.isinf(t["dev"][0]) and t["dev"][1] > 0 and t["dev"][2] < 0 and t["dev"][3] > 0
    np.testing.assert_allclose(t["dev"][1:], t["mf_dev"][1:], rtol=1e-12)
    assert list(t["within_tol"]) == [False, False, True, True]
    with pytest.raises(ValueError, match="tol"):
        wb.rule_table(c, tol=0.0)


def test_pins_with_a_mean_field_calibration_recover_the_system():
    K = np.arange(0.0, 4.71, 0.01)
    c = _mf_calibration(K, err=0.0)
    J, T = 0.45, 0.15                                   # K = 3
    beta = th.mean_field_beta(J, T)
    p = wb.lattice_pin(beta, -J / 2, c, beta_err=0.01 * beta, theta_err=1e-4)
    q = th.pin_couplings(beta, -J / 2, beta_err=0.01 * beta, theta_err=1e-4)
    assert p.J == pytest.approx(J, rel=1e-12) and p.T == pytest.approx(T, rel=1e-4)
    assert p.T_err == pytest.approx(q.T_err, rel=1e-4) and p.source == "lattice"   # PCHIP: G' to ~1e-5
    # by a K-only observable: chi(K) = 0.04 exp(0.3 K + 0.05 K^2) (errors 1 %; its log is a quadratic) at K = 3
    fit = c.observable_fit("chi_time")
    chi3 = 0.04 * math.exp(0.9 + 0.45)
    assert fit.degree == 1 or fit.chi2 / fit.dof < 2
    r = wb.pin_by_ratio_observable(beta, chi3, c, beta_err=0.0, obs_err=0.0)
    assert r.ratio == pytest.approx(3.0, abs=1e-9) and r.by == "fluctuations"
    assert r.T == pytest.approx(T, rel=1e-6) and r.J == pytest.approx(J, rel=1e-6)
    # error: K_err = hypot(obs_err, fit err) / chi'(K), chi'(3) = chi(3) (0.3 + 0.1 x 3)
    r = wb.pin_by_ratio_observable(beta, chi3, c, obs_err=0.03 * chi3)
    fit_err = float(fit(3.0, err=True)[1])
    assert r.ratio_err == pytest.approx(math.hypot(0.03 * chi3, fit_err) / (0.6 * chi3), rel=1e-6)
    dfdK = 4 * G0 ** 2 / (1 - 3 * G0) ** 2
    assert r.T_err == pytest.approx(dfdK / beta * r.ratio_err, rel=1e-4)
    with pytest.raises(ValueError, match="outside"):
        wb.pin_by_ratio_observable(beta, 5.0, c)
    bad = _mf_calibration(K, chi=0.5 - 0.01 * K)
    with pytest.raises(ValueError, match="does not increase"):
        wb.pin_by_ratio_observable(beta, 0.4, bad)
    # the width: the quartile shape beta w of mean field, read at K = 3 (calibrated up to K = 4: near the
    # mean-field threshold the shape diverges, which a polynomial in log cannot follow)
    w = T * th.mean_field_quartile_width(3.0)
    r = wb.pin_by_ratio_observable(beta, beta * w, _mf_calibration(np.arange(0.0, 4.01, 0.05)), which="shape")
    assert r.by == "width" and r.ratio == pytest.approx(3.0, abs=1e-3)
    with pytest.raises(TypeError, match="cal"):
        wb.lattice_pin(beta, -0.2, {"K": [1]})


def test_systems_with_equal_beta_lie_on_the_compatible_curve():
    c = _mf_calibration(np.arange(0.0, 4.71, 0.01), err=0.0)
    sys_ = wb.systems_with_equal_beta(20.0, [1.0, 3.0], c)
    for J, T in sys_:
        assert th.mean_field_beta(J, T) == pytest.approx(20.0, rel=1e-4)
    s = wb.lattice_compatible_couplings(20.0, 1.0, c, n=50)
    np.testing.assert_allclose(s.T, th.mean_field_beta_scaled(s.ratio) / 20.0, rtol=1e-4)
    assert s.source == "lattice"


def test_identifiability_on_simulated_data_small_lattice(small_cal):
    """Hidden (J, T) at L = 16: the pair inferred through Theta lies within 3 standard errors."""
    c = wb.Calibration(small_cal)
    J, T = 0.25, 0.2                                      # K = 1.25, between calibration points
    rows = wb.identifiability_test([(J, T)], c, seed=11, lattice_size=16, n_replicas=16, time_replicas=8,
                                   time_sweeps=400)
    row = rows[0]
    assert abs(row["theta"] + J / 2) <= 4 * row["theta_err"] + 1e-12       # the exact midpoint, found
    zJ, zT, _ = row["z_theta"]
    assert abs(zJ) <= 3 and abs(zT) <= 3
    assert row["by_chi"] is None or abs(row["z_chi"][1]) <= 3


def test_plots_draw_what_they_say():
    c = _mf_calibration(np.arange(0.0, 4.75, 0.25))
    axes = wb.plot_rule(c, roots=wb.lattice_roots(c))
    labels = [t.get_text() for t in axes[0].get_legend().get_texts()]
    assert any("mean-field roots" in t for t in labels) and any("lattice roots" in t for t in labels)
    s = th.mean_field_compatible_couplings(20.0, 1.0)
    p = th.pin_couplings(20.0, -0.3, beta_err=1.0, theta_err=0.001)
    ax = wb.plot_compatible([s], pinned=[(p, "pinned")], truth=[((0.6, 0.2), "truth")], J_max=1.0)
    assert ax.get_xlim() == (0.0, 1.0) and len(ax.patches) == 1                 # one error ellipse
    assert ax.get_xlabel() == "coupling $J$ (field units)"
    rows = [{"J": 0.3, "T": 0.1, "z_theta": (-3.5, 1.0, 0.0), "z_chi": None}]
    az = wb.plot_pin_z(rows, k=2.5)
    assert [t.get_text() for t in az.get_xticklabels()] == ["3"] and az.get_ylim()[0] < -3.5 - 2
    plt.close("all")


@pytest.mark.parametrize("kw, name", [
    (dict(K_values=[-1.0]), "K_values"), (dict(n_replicas=1), "n_replicas"), (dict(chi_replicas=2), "chi_replicas"),
    (dict(check_steps=1), "check_steps"), (dict(seed=-1), "seed"),
])
def test_calibration_bad_input(kw, name):
    args = dict(K_values=[0.0], lattice_size=8)
    args.update(kw)
    with pytest.raises((ValueError, TypeError), match=name):
        wb.lattice_calibration(**args)


def test_scaling_check_bad_input():
    with pytest.raises(ValueError, match="factors"):
        wb.scaling_identity_check(0.5, 0.2, [0.0], factors=(0.0,))
    with pytest.raises(ValueError, match="T"):
        wb.scaling_identity_check(0.5, 0.0, [0.0])


# --------------------------------------------------------------------------- the inverse explorer


def test_inverse_problem_of_the_explorer_pins_what_theory_pins():
    from utacbook.viz import _widgets as uw
    c = _mf_calibration(np.arange(0.0, 4.01, 0.05), err=1e-3)
    beta, theta = 20.0, -0.3
    sets, pinned, notes, J_show = uw._inverse_problem(beta, 2.0, theta, 0.12, True, True, c)
    assert [s.source for s in sets] == ["mean field", "lattice"] and not notes
    by = {lab.split(":")[0]: p for p, lab in pinned}
    ref = th.pin_couplings(beta, theta, beta_err=0.4, theta_err=3e-4)
    p = by["pinned by Θ (mean field)"]
    assert (p.J, p.T, p.T_err) == (ref.J, ref.T, ref.T_err)
    assert p.T == pytest.approx(G0 * (-2 * theta + 4 / beta), rel=1e-12)         # on the mean-field line
    # the lattice calibration here is mean field itself: the same pair, to interpolation accuracy
    assert by["pinned by Θ (lattice)"].T == pytest.approx(ref.T, rel=1e-5)
    w = by["pinned by the width (mean field)"]
    assert w.ratio == pytest.approx(th.pin_couplings_by_width(beta, 0.12).ratio)
    # the lattice route reads K off a polynomial fit of log(beta w): that fit follows mean field's shape (with
    # the nominal errors of 1e-6 here, its degree is the maximum, 7) to a few 1e-3 in K
    assert by["pinned by the width (lattice)"].ratio == pytest.approx(w.ratio, abs=1e-2)
    assert J_show >= -3 * theta
    # a width narrower than any coupling allows (beta w below its K = 0 value) is reported, not drawn
    _, pinned2, notes2, _ = uw._inverse_problem(beta, 2.0, theta, 0.05, False, True, None)
    assert pinned2 == [] and len(notes2) == 1 and "below" in notes2[0]
    with pytest.raises(TypeError, match="calibration"):
        uw._inverse_problem(beta, 2.0, theta, 0.1, True, False, {"K": [0.0]})
    # Theta's error is theta_err_pct per cent of |Theta|: J = -2 Theta carries it alone
    _, pinned3, _, _ = uw._inverse_problem(beta, 2.0, theta, 0.1, True, False, None, theta_err_pct=0.5)
    assert pinned3[0][0].J_err == pytest.approx(2 * 0.005 * abs(theta), rel=1e-12)


def test_explorer_static_player_and_live_controls():
    import ipywidgets as w
    from utacbook.viz import explore_compatible_couplings
    c = _mf_calibration(np.arange(0.0, 4.01, 0.1), err=1e-3)
    ex = explore_compatible_couplings(beta=20.0, theta=-0.3, calibration=c, static_values=(10.0, 40.0))
    p = ex.player
    assert p.param == "beta" and p.values == [10.0, 20.0, 40.0] and p.default_index == 1
    assert len(set(p.frames)) == 3                                   # beta changes the figure
    boxes = [ch for ch in ex.box.children if isinstance(ch, w.HBox)]
    ctrl = {c_.description: c_ for b in boxes for c_ in b.children}
    ctrl["use width"].value = True                                  # re-draws through the width branch
    ctrl["Θ"].value = -1.0
    assert "text/html" in ex._repr_mimebundle_()
    with pytest.raises(ValueError, match="theta_err_pct"):
        explore_compatible_couplings(beta=20.0, theta=-0.3, theta_err_pct=0.0, static_values=(10.0,))
    plt.close("all")


# --------------------------------------------------------------------------- the stored hidden systems
def test_hidden_measurements_and_identifiability_from_them():
    cal = wb.Calibration(__import__("utacbook").stored.load(wb.STORED_NAME).values)
    kw = dict(lattice_size=8, n_steps=20, n_replicas=4, time_replicas=3, time_burn=5, time_sweeps=20)
    systems = [(0.6, 0.2), (0.3, 0.25)]
    h = wb.hidden_measurements(systems, seed=11, **kw)
    for i, (J, T) in enumerate(systems):
        assert h["measurements"][i] == wb.measure_system(J, T, seed=11 + 2 * i, **kw)
        runs = np.asarray(h["chi_time_runs"][i])
        assert runs.mean() == h["measurements"][i]["chi_time"]
    live = wb.identifiability_test(systems, cal, seed=11, **kw)
    again = wb.identifiability_test(systems, cal, seed=11, measurements=h["measurements"])
    assert wb.hidden_table(live, display=False) == wb.hidden_table(again, display=False)
    for a, b in zip(live, again):
        assert {k: a[k] for k in h["measurements"][0]} == {k: b[k] for k in h["measurements"][0]}
        assert (a["z_theta"] == b["z_theta"]) and (a["z_chi"] == b["z_chi"])
    with pytest.raises(ValueError):
        wb.identifiability_test(systems[::-1], cal, seed=11, measurements=h["measurements"])
    chk = wb.spot_check_hidden(h, index=1)
    assert chk["identical"] and chk["max_rel_diff"] == 0.0


def test_stored_hidden_systems_are_the_chapters_and_reproduce():
    import utacbook as ub
    rec = ub.stored.load("rg_what_beta_hidden")
    kc = ub.stored.load("rg_critical_coupling")
    cal = wb.Calibration(ub.stored.load(wb.STORED_NAME).values, K_c=kc["K_c"])
    S = cal.settings
    llm = ub.microscopic_to_beta_map()["LLM Training"]
    beta_llm = float(cal.f(llm["J"] / llm["T"], err=True)[0]) / llm["T"]
    hidden = wb.systems_with_equal_beta(beta_llm, (0.45, 2.25, 3.45, 4.65), cal) + [(llm["J"], llm["T"])]
    assert rec.provenance["params"] == dict(systems=[[J, T] for J, T in hidden], seed=3101,
                                            **{k: S[k] for k in ("lattice_size", "n_steps", "n_replicas",
                                                                 "time_replicas", "time_burn", "time_sweeps")})
    # one cheap part: the first two stationary-variance runs of the last system, bit for bit
    m = rec["measurements"][-1]
    _, _, runs = wb._time_variance(m["J"], m["T"], m["theta"], lattice_size=S["lattice_size"], n_replicas=2,
                                   burn=S["time_burn"], sweeps=S["time_sweeps"], seed=m["seed"] + 1)
    np.testing.assert_array_equal(runs, np.asarray(rec["chi_time_runs"][-1][:2]))


def test_stored_logistic_fits_are_the_chapters_and_reproduce():
    import utacbook as ub
    rec = ub.stored.load("rg_what_beta_logistic")
    K_c = ub.stored.load("rg_critical_coupling")["K_c"]
    below = [n for n, d in ub.microscopic_to_beta_map().items() if d["J"] / d["T"] < K_c]
    assert rec.provenance["params"] == dict(names=below, seed=2025)
    assert rec.provenance["function"] == "utacbook.studies.rg.what_beta_measures:logistic_fit_beta_T"
    first = below[0]                     # system i has the seed 2025 + i: a one-system call reproduces the first
    assert wb.logistic_fit_beta_T([first], seed=2025)[first] == rec[first]
