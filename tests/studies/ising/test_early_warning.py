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
    assert "(no overlap)" in m.text and m.text.endswith("p < 10⁻¹⁰")        # not a spuriously exact tiny p


def test_format_p_floors_tiny_p_values_and_rejects_bad_input():
    assert ews.format_p(0.064) == "0.064" and ews.format_p(1e-3) == "0.001"
    assert ews.format_p(7.9e-65) == "< 10⁻¹⁰" and ews.format_p(1.8e-21) == "< 10⁻¹⁰"
    assert ews.format_p(2e-10) != "< 10⁻¹⁰"                                # the floor itself is exclusive
    with pytest.raises(ValueError, match="p"):
        ews.format_p(-0.1)


def test_response_ratios_and_ratio_to_exact():
    pulse = {"response": np.array([2.0, 4.0]), "response_err": np.array([0.2, 0.4])}
    r, e = ews.response_ratios(pulse)
    assert r[0] == 1 and e[0] == 0 and r[1] == pytest.approx(2.0)
    assert e[1] == pytest.approx(2.0 * np.hypot(0.1, 0.1))
    m = ews.ratio_to_exact(3.0, 0.3, 2.0, "c")
    assert m.value == pytest.approx(1.5) and m.err == pytest.approx(0.15)


# ---------------------------------------------------------------- issue 16: skewness, spatial, nulls

def test_rolling_skewness_is_adjusted_fisher_pearson_and_matches_known_distributions():
    from scipy import stats
    rng = np.random.default_rng(11)
    x = rng.standard_normal(300) * 2.0 + 7.0
    sk = ews.rolling_skewness(x, window=60)
    for k in (0, 100, 240):
        assert sk[k] == pytest.approx(stats.skew(x[k:k + 60], bias=False), rel=1e-9, abs=1e-12)
    # exponential law: skewness exactly 2; Gaussian AR(1): exactly 0
    n, w = 400, 2000
    e = ews.rolling_skewness(rng.exponential(size=(n, w)), window=w)[:, 0]
    assert abs(e.mean() - 2.0) <= NSIG * e.std(ddof=1) / np.sqrt(n) + 0.05   # + O(1/sqrt(w)) estimator bias
    a = ews.rolling_skewness(ews.ar1(w, phi=0.7, n_series=n, seed=12), window=w)[:, 0]
    assert abs(a.mean()) <= NSIG * a.std(ddof=1) / np.sqrt(n)
    assert ews.rolling_skewness(np.ones(10), window=5)[0] == 0.0


def test_indicators_agree_with_ewstools_on_the_same_series():
    """Same residuals, rolling variance, lag-1 AC, skewness and Kendall τ as ewstools 2.1.

    Conventions matched: ewstools' Gaussian bandwidth b puts the kernel quartiles at
    ±b/4, i.e. σ = 0.25 b / 0.675 (ours is σ); it continues the series by reflection
    (ours: edge="reflect"); both truncate the kernel at 4σ; a window given as a number
    of points (> 1) is that many points, and values sit at the window's last point.
    """
    import ewstools
    rng = np.random.default_rng(21)
    n = 600
    x = ews.ar1(n, phi=np.linspace(0.2, 0.9, n), seed=22)[0] + np.linspace(0.0, 3.0, n) \
        + 0.3 * rng.standard_normal(n)
    sigma, window = 30.0, 250
    ts = ewstools.TimeSeries(x)
    ts.detrend(method="Gaussian", bandwidth=sigma * 0.675 / 0.25)
    ts.compute_var(rolling_window=window)
    ts.compute_auto(rolling_window=window, lag=1)
    ts.compute_skew(rolling_window=window)
    ts.compute_ktau()
    r = ews.detrend(x, bandwidth=sigma, edge="reflect")
    np.testing.assert_allclose(ts.state["residuals"].to_numpy(), r, rtol=0, atol=1e-12)
    ours = {"variance": ews.rolling_variance(r, window=window),
            "ac1": ews.rolling_autocorrelation(r, window=window),
            "skew": ews.rolling_skewness(r, window=window)}
    for key, val in ours.items():
        theirs = ts.ews[key].to_numpy()
        assert np.all(np.isnan(theirs[:window - 1]))
        np.testing.assert_allclose(theirs[window - 1:], val, rtol=1e-8, atol=1e-10)
        assert ts.ktau[key] == pytest.approx(ews.kendall_trend(val)[0], abs=1e-12)


def test_spin_modularity_is_newman_modularity_and_half_neighbour_correlation_on_regular_graphs():
    import networkx as nx
    rng = np.random.default_rng(31)
    g = nx.barabasi_albert_graph(80, 2, seed=3)
    s = rng.choice([-1, 1], size=(3, 80))
    for row in s:
        parts = [{i for i in g if row[i] > 0}, {i for i in g if row[i] < 0}]
        assert ews.spin_modularity(row, g) == pytest.approx(nx.community.modularity(g, parts), abs=1e-12)
    r = nx.random_regular_graph(4, 60, seed=4)
    s = rng.choice([-1, 1], size=(5, 60))
    np.testing.assert_allclose(ews.spin_modularity(s, r), 0.5 * ews.neighbour_correlation(s, r),
                               rtol=0, atol=1e-14)


def test_neighbour_correlation_of_independent_spins_has_exact_mean():
    import networkx as nx
    g = nx.random_regular_graph(3, 50, seed=5)
    rng = np.random.default_rng(32)
    m0, n = 0.4, 20000
    s = np.where(rng.random((n, 50)) < (1 + m0) / 2, 1, -1)
    c = ews.neighbour_correlation(s, g)
    assert abs(c.mean() - (-(1 - m0 ** 2) / 50)) <= NSIG * c.std(ddof=1) / np.sqrt(n)


def _gaussian_field(L, n, spectrum, rng):
    """Gaussian fields on an L×L torus with E|FT|²/N = spectrum(q) (mean zero)."""
    q = 2 * np.pi * np.fft.fftfreq(L)
    q2 = 4 * np.sin(q[:, None] / 2) ** 2 + 4 * np.sin(q[None, :] / 2) ** 2
    w = rng.standard_normal((n, L, L))
    return np.fft.ifft2(np.fft.fft2(w) * np.sqrt(spectrum(q2))).real


def test_second_moment_xi_of_white_noise_and_of_an_ornstein_zernike_field():
    rng = np.random.default_rng(33)
    L, n, nb = 24, 4000, 20

    def xi2_batches(phi):
        s0 = phi.sum(axis=(1, 2)) ** 2 / L ** 2
        s1 = ews.structure_factor(phi)
        x = [ews.second_moment_xi(a.mean(), b.mean(), L, signed=True)
             for a, b in zip(np.split(s0, nb), np.split(s1, nb))]
        return np.mean(x), np.std(x, ddof=1) / np.sqrt(nb)

    m, e = xi2_batches(rng.standard_normal((n, L, L)))          # uncorrelated: ξ = 0
    assert abs(m) <= NSIG * e
    xi = 3.0
    m, e = xi2_batches(_gaussian_field(L, n, lambda q2: 1.0 / (xi ** -2 + q2), rng))
    assert abs(m - xi ** 2) <= NSIG * e + 0.02 * xi ** 2           # ratio-of-means bias O(1/batch)
    assert ews.second_moment_xi(1.0, 2.0, L) == 0.0
    with pytest.raises(ValueError, match="spins"):
        ews.structure_factor(np.zeros((3, 4)))


def test_record_run_snapshots_match_the_magnetisation_series():
    r = ews.record_run(8, T=np.linspace(1.5, 2.0, 6), h=np.linspace(0, -0.3, 30), sweeps=30, every=5,
                       burn_in=10, seed=3)
    np.testing.assert_allclose(r["m"][4::5], r["spins"].mean(axis=(1, 2)), rtol=0, atol=1e-15)
    r2 = ews.record_run(8, T=np.linspace(1.5, 2.0, 6), h=np.linspace(0, -0.3, 30), sweeps=30, every=5,
                        burn_in=10, seed=3)
    assert np.array_equal(r["m"], r2["m"])                          # a seed fixes the run
    with pytest.raises(ValueError, match="every"):
        ews.record_run(8, sweeps=31, every=5)


def test_rates_at_threshold_against_a_known_binomial():
    from scipy import stats
    rng = np.random.default_rng(34)
    p_hit, p_fa = stats.norm.sf(1.0 - 1.5), stats.norm.sf(1.0)   # N(1.5, 1) and N(0, 1) above 1
    hits, fas = [], []
    for _ in range(200):
        r = ews.rates_at_threshold(rng.normal(1.5, 1, 60), rng.normal(0, 1, 60), threshold=1.0)
        hits.append(r["hit"]), fas.append(r["false_alarm"])
        se = np.sqrt(p_fa * (1 - p_fa) / 60)
    assert abs(np.mean(fas) - p_fa) <= NSIG * se / np.sqrt(200)
    assert abs(np.mean(hits) - p_hit) <= NSIG * np.sqrt(p_hit * (1 - p_hit) / 60) / np.sqrt(200)
    # the quoted binomial error is the spread of the rate over repetitions
    assert np.std(fas, ddof=1) == pytest.approx(se, rel=NSIG / np.sqrt(2 * 199))
    r = ews.rates_at_threshold([1.0, 2.0], [0.0, 0.1], threshold=0.5)
    assert r["hit"] == 1 and r["false_alarm"] == 0 and r["false_alarm_err"] == pytest.approx(0.5)


def test_temporal_scores_extend_ews_scores_and_mean_tau():
    m = ews.ar1(400, phi=np.linspace(0.1, 0.9, 400), n_series=4, seed=35)
    tv, ta = ews.ews_scores(m, 380)
    sc = ews.temporal_scores(m, 380)
    assert np.array_equal(tv, sc["variance"]) and np.array_equal(ta, sc["ac1"])
    assert np.all(np.abs(sc["skewness"]) <= 1)
    mt = ews.mean_tau([0.5, 0.6, 0.7, 0.4], "c")
    assert mt.value == pytest.approx(0.55) and mt.err == pytest.approx(np.std([0.5, 0.6, 0.7, 0.4], ddof=1) / 2)
    assert mt.p_value < 0.01
    t = ews.snapshot_trend(np.array([np.arange(10.0), -np.arange(10.0)]), [10, 3])
    assert t[0] == pytest.approx(1.0) and np.isnan(t[1])


def test_hard_null_table_on_synthetic_scores():
    rng = np.random.default_rng(36)
    fams = ("ramp", "null_const", "null_field", "null_temp")
    tau = {key: {f: rng.uniform(-1, 0, 30) for f in fams} for key in ("variance@0", "ac1@0", "skewness@0")}
    tau["modularity"] = {f: rng.uniform(-1, 0, 30) for f in fams}
    for key in ("variance@0", "ac1@0", "modularity"):
        tau[key]["ramp"] = rng.uniform(0.6, 1, 30)                # separated from every null
    tau["skewness@0"] = {f: -x for f, x in tau["variance@0"].items()}   # scored with the sign flipped
    rows = ews.hard_null_table({"tau": tau}, bandwidth_index=0, threshold=0.5, n_boot=20)
    assert len(rows) == 12
    for r in rows:
        assert r["auc"] == 1.0 and r["hit"] == 1.0 and r["false_alarm"] == 0.0 and r["p_value"] < 1e-9
        assert (r["n_hit"], r["n_pos"], r["n_false_alarm"], r["n_neg"]) == (30, 30, 0, 30)


def test_field_null_cannot_raise_the_bethe_susceptibility_above_its_zero_field_value():
    """The chapter's field-ramp null (h from |h_sp| to 0) never lifts chi above chi(h = 0) below T_c:
    on the up branch chi(h) falls with h >= 0, so its largest value is at h = 0.  Exact (cavity) values."""
    for T in (1.5, 2.0, 2.6):
        h = np.linspace(0.0, 1.0, 101)
        m, chi = ews.bethe_metastable(h, k=4, T=T)
        assert np.all(np.diff(chi) < 0) and np.all(np.diff(m) > 0)
    # the susceptibility identity chi = dm/dh holds on the branch (central difference, O(dh^2))
    dh = 1e-4
    mp, mm = ews.bethe_metastable(np.array([0.1 + dh, 0.1 - dh]), k=4, T=2.0)[0]
    assert ews.bethe_metastable(0.1, k=4, T=2.0)[1][0] == pytest.approx((mp - mm) / (2 * dh), rel=1e-6)


def test_stored_pulse_study_is_the_chapters_call_and_reproduces():
    """book/ising/08_early_warning loads its pulse-response study (early_warning_pulse)."""
    from utacbook import stored
    rec = stored.load("early_warning_pulse")
    assert rec.provenance["function"] == "utacbook.studies.ising.early_warning:pulse_study"
    assert rec.provenance["params"] == {"k": 4, "N": 1000, "graph_seed": 1,
                                        "h_values": [0.0, -0.05, -0.1, -0.15, -0.2, -0.25, -0.28], "T": 2.0,
                                        "dh": -0.01, "burn_in": 300, "sweeps": 600, "n_rep": 16, "seed": 3}
    pulse = ews.load_pulse_study(rec)
    assert pulse["n_ok"].dtype.kind == "i" and pulse["n_ok"].tolist() == [
        sum(x is not None for x in reps) for reps in rec["replicas"]]
    kept = [r for r, x in enumerate(rec["replicas"][-1]) if x is not None]
    chk = ews.spot_check_pulse_study(rec, tasks=((0, 0), (-1, kept[0])))      # rebuilds the graph
    assert chk == {"tasks": [(0, 0), (6, kept[0])], "identical": True}
    # pulse_study is pulse_response on the graph, plus the replicas the aggregates come from
    small = ews.pulse_study(k=3, N=60, graph_seed=2, h_values=(0.0, -0.1), T=1.5, dh=-0.02, burn_in=20,
                            sweeps=40, n_rep=3, seed=5)
    g = ews._pulse_graph(3, 60, 2)
    ref = ews.pulse_response(g, np.array([0.0, -0.1]), T=1.5, dh=-0.02, burn_in=20, sweeps=40, n_rep=3, seed=5)
    for key in ref:
        assert np.array_equal(ref[key], small[key], equal_nan=True)
    for i, reps in enumerate(small["replicas"]):
        ok = [x for x in reps if x is not None]
        if len(ok) >= 2:
            assert np.mean([x[0] for x in ok]) == small["response"][i]


def test_block_means_and_spatial_indicators_of_an_uncorrelated_field():
    rng = np.random.default_rng(41)
    s = np.where(rng.random((2000, 16, 16)) < 0.5, -1, 1)
    B = ews.block_means(s[:3], 4)
    np.testing.assert_allclose(B[1, 2, 3], s[1, 8:12, 12:16].mean(), rtol=0, atol=1e-15)
    # independent windows of 200 snapshots: ξ² of independent spins is 0 (the ratio-of-means bias,
    # about Var(S1)/S1² ≈ 1/400 of S0/S1, i.e. 0.016 in ξ² at L = 16, is far below the error)
    r = ews.spatial_indicators(s, b=4, window=200)
    x = r["xi2"][199::200]
    assert x.size == 10
    assert abs(x.mean()) <= NSIG * x.std(ddof=1) / np.sqrt(x.size)
    # spatial variance of 4×4 block means of independent ±1 spins: (1 - 1/16)/16 in expectation
    # (block variance 1/16, minus the variance of the lattice mean, 1/256)
    sv = r["svar"]
    assert abs(sv.mean() - (1 - 1 / 16) / 16) <= NSIG * sv.std(ddof=1) / np.sqrt(sv.size)
    sk = r["sskew"]                                                 # symmetric: skewness 0
    assert abs(sk.mean()) <= NSIG * sk.std(ddof=1) / np.sqrt(sk.size)
    with pytest.raises(ValueError, match="b must divide"):
        ews.block_means(s[:1], 3)


def test_lattice_spatial_study_without_a_ramp_scores_at_chance():
    """h_end = 0: the 'ramped' family is a second null at h = 0, so every AUC against it is 0.5 within error."""
    st = ews.lattice_spatial_study(L=8, T=1.8, h_end=0.0, sweeps=300, burn_in=50, n_runs=30, every=5, window=6,
                                   b=2, seed=4)
    assert np.all(st["flip"] == -1) and np.all(st["cut"] == 300)
    for row in ews.lattice_spatial_table(st, n_boot=300, seed=1):
        if row["null"] == "null_const":
            assert abs(row["auc"] - 0.5) <= NSIG * row["auc_err"], row
    again = ews.lattice_spatial_rerun(st, "null_temp", 3)           # a seed fixes a run
    assert all(again[k] == st["tau"][k]["null_temp"][3] for k in again)


def test_stored_lattice_spatial_study_is_the_chapters_call_and_reproduces():
    """book/ising/08_early_warning loads early_warning_xi_lattice and re-runs one ramped run."""
    from utacbook import stored
    rec = stored.load("early_warning_xi_lattice")
    assert rec.provenance["function"] == "utacbook.studies.ising.early_warning:lattice_spatial_study"
    assert rec.provenance["params"] == {"L": 32, "T": 1.5, "h_end": -0.5, "sweeps": 2000, "burn_in": 200,
                                        "n_runs": 40, "every": 10, "gap": 20, "T_null_end": 2.2, "b": 4,
                                        "window": 10, "seed": 31}
    again = ews.lattice_spatial_rerun(rec, "ramp", 0)
    assert all(again[k] == rec["tau"][k]["ramp"][0] for k in again)
    k = len(rec["before_flip"])                       # per-run ξ and the curves aligned on the cut
    for f in ews.LAT_FAMILIES:
        assert len(rec["xi_runs"][f]) == 40 and np.isclose(np.mean(rec["xi_runs"][f]), rec["xi"][f], rtol=1e-12)
        assert all(len(rec["curves_before"][f][key]) == k for key in ("xi2", "svar_err", "sskew", "m"))


def test_windowed_connected_xi_at_onsager_tc_is_nonzero_and_grows_with_L():
    """The path of spatial_indicators (connected S(0) = N Var(m) over a window of snapshots) recovers a
    nonzero ξ at T_c that grows with L: ξ/L at T_c tends to 0.9050 on the periodic square lattice
    (Salas and Sokal 2000), so ξ(16)/ξ(8) is about 2."""
    from utacbook.theory import onsager_tc
    n_runs, n_snap = 8, 400
    xi2 = {}
    for L in (8, 16):
        x = []
        for j in range(n_runs):
            r = ews.record_run(L, T=onsager_tc(), h=0.0, sweeps=20 * n_snap, every=20, burn_in=200,
                               seed=np.random.SeedSequence([77, L, j]))
            x.append(ews.spatial_indicators(r["spins"], b=4, window=n_snap)["xi2"][-1])
        xi2[L] = (np.mean(x), np.std(x, ddof=1) / np.sqrt(n_runs))
    for L, (m, e) in xi2.items():
        assert m > NSIG * e, (L, m, e)                               # nonzero
        # ξ/L within 15 % of 0.905 (finite-size corrections at L = 8) plus the error bar
        assert abs(np.sqrt(m) / L - 0.905) <= 0.15 * 0.905 + NSIG * e / (2 * np.sqrt(m) * L), (L, m, e)
    ratio = xi2[16][0] / xi2[8][0]
    err = ratio * np.hypot(xi2[16][1] / xi2[16][0], xi2[8][1] / xi2[8][0])
    assert ratio - 1 > NSIG * err, (ratio, err)                      # grows with L
