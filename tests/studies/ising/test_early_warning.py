"""Tests of utacbook.ews: early-warning indicators against exact AR(1) results,
Kendall's τ identities, the ROC bookkeeping, and the Bethe metastable branch.

Statistical comparisons use 4 sigma, sigma from independent replica series.
"""

import numpy as np
import pytest

from utacbook.studies.ising import early_warning as ews

NSIG = 4.0


def test_ar1_stationary_variance_and_autocorrelation_match_exact():
    phi, sigma = 0.8, 0.5
    x = ews.ar1(4000, phi=phi, sigma=sigma, n_series=200, seed=1)
    var = ews.rolling_variance(x, window=4000)[:, 0]
    ac = ews.rolling_autocorrelation(x, window=4000)[:, 0]
    exact_var = ews.ar1_variance(phi, sigma)
    err_v = var.std(ddof=1) / np.sqrt(var.size)
    err_a = ac.std(ddof=1) / np.sqrt(ac.size)
    # finite-window bias of the lag-1 estimate is about -(1+3 phi)/n = -8.5e-4
    assert abs(var.mean() - exact_var) <= NSIG * err_v
    assert abs(ac.mean() - phi) <= NSIG * err_a + (1 + 3 * phi) / 4000


def test_ar1_ramp_tracks_instantaneous_exact_values():
    n = 3000
    phis = np.linspace(0.2, 0.9, n)
    x = ews.ar1(n, phi=phis, n_series=400, seed=2)
    # ensemble variance at the end: the process relaxes in ~1/(1-phi) = 10 steps,
    # much faster than phi changes, so it follows sigma^2/(1-phi^2) quasi-statically
    v_end = x[:, -1].var(ddof=1)
    err = v_end * np.sqrt(2.0 / (x.shape[0] - 1))
    assert abs(v_end - ews.ar1_variance(0.9)) <= NSIG * err
    # and the rolling indicators trend upward in every one of several series
    for k in range(5):
        res = ews.indicators(x[k], window=500, detrend_method="none")
        assert res["tau_variance"] > 0.5 and res["tau_ac1"] > 0.5


def test_kendall_tau_of_monotone_series():
    assert ews.kendall_trend(np.arange(50.0) ** 2)[0] == pytest.approx(1.0)
    assert ews.kendall_trend(-np.exp(np.arange(30.0) / 7))[0] == pytest.approx(-1.0)


def test_rolling_windows_match_direct_computation():
    rng = np.random.default_rng(3)
    x = rng.standard_normal(120) + 5.0
    w = 25
    var = ews.rolling_variance(x, window=w)
    ac = ews.rolling_autocorrelation(x, window=w)
    assert var.shape == (120 - w + 1,)
    for k in (0, 40, 95):
        seg = x[k:k + w]
        assert var[k] == pytest.approx(seg.var(ddof=1), rel=1e-10)
        assert ac[k] == pytest.approx(np.corrcoef(seg[:-1], seg[1:])[0, 1], rel=1e-10)


def test_detrend_removes_line_and_keeps_noise():
    rng = np.random.default_rng(4)
    t = np.arange(2000)
    noise = rng.standard_normal(2000)
    r = ews.detrend(3.0 + 0.01 * t + noise, method="linear")
    assert abs(np.polyfit(t, r, 1)[0]) < 1e-12 + 5 * np.sqrt(12 / 2000 ** 3)
    g = ews.detrend(np.sin(t / 300.0) * 10 + noise, method="gaussian", bandwidth=20)
    # a slow sine is removed; white noise variance survives up to the kernel's share
    assert abs(g.var() - 1.0) < 0.15


def test_roc_extremes_and_auc():
    r = ews.roc([2.0, 3.0, 4.0], [0.0, 1.0], n_boot=50, seed=0)
    assert r["auc"] == 1.0
    assert r["tpr"][0] == 0 and r["fpr"][-1] == 1 and r["tpr"][-1] == 1
    r2 = ews.roc([0.0, 1.0], [0.0, 1.0], n_boot=0)
    assert r2["auc"] == pytest.approx(0.5)


def test_flip_index():
    m = np.array([[0.9, 0.8, -0.1, 0.5], [0.9, 0.9, 0.9, 0.9]])
    assert list(ews.flip_index(m)) == [2, -1]


def test_bethe_branch_zero_field_is_spontaneous_magnetisation_and_spinodal():
    # at h = 0 the cavity equation gives the Bethe spontaneous magnetisation;
    # for k -> large the branch ends where chi diverges (spinodal)
    k, T = 4, 2.0
    hs = ews.bethe_spinodal(k=k, T=T)
    m, chi = ews.bethe_metastable(np.array([hs * 0.5, hs * 0.999, hs * 1.01]), k=k, T=T)
    assert np.isfinite(m[0]) and np.isfinite(m[1]) and np.isnan(m[2])
    assert chi[1] > 10 * chi[0]
    # implicit derivative agrees with a finite difference
    h0, d = -0.1, 1e-6
    mp, _ = ews.bethe_metastable(np.array([h0 + d, h0 - d]), k=k, T=T)
    assert ews.bethe_metastable(h0, k=k, T=T)[1][0] == pytest.approx((mp[0] - mp[1]) / (2 * d),
                                                                     rel=1e-5)
    # above the Bethe T_c = 1/artanh(1/3) = 2.885 there is no spontaneous order
    assert ews.bethe_metastable(1e-9, k=k, T=3.2)[0][0] < 1e-6


def test_bad_input_names_parameter():
    with pytest.raises(ValueError, match="phi"):
        ews.ar1(10, phi=1.0)
    with pytest.raises(ValueError, match="window"):
        ews.rolling_variance(np.zeros(10), window=20)
    with pytest.raises(ValueError, match="method"):
        ews.detrend(np.zeros(10), method="loess")


def test_pulse_response_matches_bethe_susceptibility_on_random_regular_graph():
    import networkx as nx
    from utacbook.models import prepare_graph
    g = prepare_graph(nx.random_regular_graph(4, 1000, seed=1))
    h, dh, T = -0.1, -0.01, 2.0
    r = ews.pulse_response(g, [h], T=T, dh=dh, burn_in=200, sweeps=400, n_rep=12, seed=7)
    m0 = ews.bethe_metastable(h, T=T)[0][0]
    fd = (ews.bethe_metastable(h + dh, T=T)[0][0] - m0) / dh
    chi = ews.bethe_metastable(h, T=T)[1][0]
    assert r["n_ok"][0] == 12
    # finite-N (O(1/N)) corrections are far below these statistical errors
    assert abs(r["response"][0] - fd) <= NSIG * r["response_err"][0]
    assert abs(r["chi_fluct"][0] - chi) <= NSIG * r["chi_fluct_err"][0]
    assert abs(r["m"][0] - m0) < 0.005


def test_bethe_metastable_stable_at_low_temperature():
    """At T = 0.05 the up branch at h = 0 is fully ordered: m = 1 to machine precision
    (the artanh form of the cavity message overflowed to inf/nan here)."""
    m, chi = ews.bethe_metastable(0.0, k=4, T=0.05)
    assert np.isfinite(m[0]) and abs(m[0] - 1.0) < 1e-12
    assert np.isfinite(chi[0]) and chi[0] >= 0


def test_bethe_spinodal_is_the_saddle_node_of_the_cavity_equation():
    from utacbook.theory._two_community import _bethe_du, _bethe_u
    k, T = 4, 2.0
    hs = ews.bethe_spinodal(k=k, T=T)
    # the branch exists just above |h_sp| and not just beyond it (slow convergence at a saddle-node)
    m = ews.bethe_metastable([hs * (1 - 1e-6), hs * (1 + 1e-6)], k=k, T=T, n_iter=400000)[0]
    assert np.isfinite(m[0]) and np.isnan(m[1])
    # h_sp = -max_u [(k-1) f(u) - u]: no cavity field u gives a larger value
    u = np.linspace(0.0, 5.0, 200001)
    assert -np.max((k - 1) * _bethe_u(u, 1 / T, 1.0) - u) == pytest.approx(hs, abs=1e-9)
    # colder: a deeper spinodal; no ordered branch above the Bethe T_c = 1/artanh(1/3)
    assert ews.bethe_spinodal(k=k, T=1.0) < hs < ews.bethe_spinodal(k=k, T=2.5) < 0
    with pytest.raises(ValueError, match="T_c"):
        ews.bethe_spinodal(k=k, T=3.0)
    assert (k - 1) * _bethe_du(0.0, 1 / 2.885, 1.0) == pytest.approx(1.0, abs=2e-4)


def test_auc_p_value_is_the_mann_whitney_test():
    rng = np.random.default_rng(3)
    a, b = rng.standard_normal(40), rng.standard_normal(40)
    # same distribution: p-values spread over (0, 1); fully separated samples: tiny p
    p_same = [ews.auc_p_value(rng.standard_normal(30), rng.standard_normal(30)) for _ in range(200)]
    assert 0.4 < np.mean(p_same) < 0.6 and np.mean(np.array(p_same) < 0.05) < 0.1
    assert ews.auc_p_value(a + 10, b) < 1e-12
    assert ews.auc_p_value(a - 10, b) > 1 - 1e-12
    r = ews.roc(a + 10, b, n_boot=50)
    assert r["auc"] == 1.0 and r["auc_err"] == 0.0 and r["p_value"] < 1e-12  # the bootstrap error says nothing
    assert r["n_pos"] == 40 and r["n_neg"] == 40
    m = ews.auc_measurement(r, "x")
    assert m.p_value == r["p_value"] and m.condition == "x" and m.text.startswith("AUC 1.000")


def test_response_ratios_and_ratio_to_exact():
    pulse = {"response": np.array([2.0, 4.0]), "response_err": np.array([0.2, 0.4])}
    r, e = ews.response_ratios(pulse)
    assert r[0] == 1 and e[0] == 0 and r[1] == pytest.approx(2.0)
    assert e[1] == pytest.approx(2.0 * np.hypot(0.1, 0.1))
    m = ews.ratio_to_exact(3.0, 0.3, 2.0, "c")
    assert m.value == pytest.approx(1.5) and m.err == pytest.approx(0.15)
