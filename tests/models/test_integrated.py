"""Tests for utacbook.integrated: cross-scale statistics, transitions, policy impact, comparison."""

import math
import warnings

import numpy as np
import pytest

from utacbook.models import Policy, create_example_policies
from utacbook.models import (COMMUNITY_VARIANCE_THRESHOLD, IntegratedGovernmentModel, compare_single_vs_multiscale,
                             cross_scale_statistics, scale_transitions)

N_SERIES = 61


def _background(n=N_SERIES, amp=0.01, phase=0.0, slope=0.001):
    """Smooth deterministic series: its differences never exceed ~1 robust s.d."""
    t = np.arange(n)
    return 0.5 + slope * t + amp * np.sin(0.7 * t + phase)


def _robust_z(x, k):
    """Independent re-implementation: size of the jump d[k-1] in robust s.d."""
    d = np.diff(x)
    med = np.median(d)
    sigma = 1.4826 * np.median(np.abs(d - med))
    return abs(d[k - 1] - med) / sigma


# ------------------------------------------------------- cross-scale statistics
def test_correlations_known_values():
    t = np.arange(40, dtype=float)
    micro = 0.3 + 0.01 * t
    meso = 2.0 * micro + 1.0          # exact positive linear relation
    macro = -3.0 * micro              # exact negative linear relation
    out = cross_scale_statistics(micro, meso, macro)
    assert out["correlations"]["micro_meso"] == pytest.approx(1.0, abs=1e-12)
    assert out["correlations"]["meso_macro"] == pytest.approx(-1.0, abs=1e-12)
    assert out["correlations"]["micro_macro"] == pytest.approx(-1.0, abs=1e-12)
    # sin and cos over whole periods are exactly uncorrelated
    phi = 2 * np.pi * np.arange(64) / 16
    out = cross_scale_statistics(np.sin(phi), np.cos(phi), np.sin(phi))
    assert out["correlations"]["micro_meso"] == pytest.approx(0.0, abs=1e-12)
    assert out["correlations"]["micro_macro"] == pytest.approx(1.0, abs=1e-12)


def test_correlations_match_numpy_on_random_series():
    rng = np.random.default_rng(5)
    x, y, z = rng.normal(size=(3, 200))
    out = cross_scale_statistics(x, y + 0.5 * x, z)
    assert out["correlations"]["micro_meso"] == pytest.approx(
        np.corrcoef(x, y + 0.5 * x)[0, 1], abs=1e-12)
    assert out["difference_correlations"]["meso_macro"] == pytest.approx(
        np.corrcoef(np.diff(y + 0.5 * x), np.diff(z))[0, 1], abs=1e-12)


def test_volatility_known_values():
    a = 0.07
    micro = np.cumsum(np.r_[0.0, np.tile([a, -a], 20)])   # differences +-a: std a
    meso = 0.1 + 0.02 * np.arange(micro.size)               # constant differences: 0
    macro = np.cumsum(np.r_[0.0, np.tile([0.0, 0.0, 3 * a], 13) , 0.0])[:micro.size]
    out = cross_scale_statistics(micro, meso, macro)
    assert out["volatility"]["micro"] == pytest.approx(a, rel=1e-12)
    assert out["volatility"]["meso"] == pytest.approx(0.0, abs=1e-15)
    d = np.diff(macro)
    assert out["volatility"]["macro"] == pytest.approx(np.sqrt(np.mean((d - d.mean()) ** 2)),
                                                       rel=1e-12)


def test_lagged_correlation_finds_injected_lag():
    rng = np.random.default_rng(11)
    x = rng.normal(size=102)
    micro, macro = x[2:], x[:-2]          # macro[t + 2] = micro[t]
    meso = rng.normal(size=100)
    out = cross_scale_statistics(micro, meso, macro, max_lag=5)
    assert out["best_lag"]["micro_macro"] == 2
    assert out["lagged_correlations"]["micro_macro"][2] == pytest.approx(1.0, abs=1e-12)


def test_constant_series_give_nan_with_reason_and_no_warning():
    micro = _background()
    macro = np.zeros(N_SERIES)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        out = cross_scale_statistics(micro, micro ** 2, macro)
    assert math.isnan(out["correlations"]["micro_macro"])
    assert math.isnan(out["correlations"]["meso_macro"])
    assert not math.isnan(out["correlations"]["micro_meso"])
    assert "macro series is constant" in out["notes"]["correlations.micro_macro"]
    assert out["volatility"]["macro"] == 0.0
    # a constant with a non-representable value is still recognised as constant
    out = cross_scale_statistics(micro, micro, np.full(N_SERIES, 0.1))
    assert math.isnan(out["correlations"]["micro_macro"])


# ------------------------------------------------------------- transitions
def _jumps(micro_at=None, meso_at=None, macro_at=None, size=1.0):
    series = [_background(phase=p) for p in (0.0, 1.0, 2.0)]
    for x, k in zip(series, (micro_at, meso_at, macro_at)):
        if k is not None:
            x[k:] += size
    return series


def test_transitions_exactly_at_injected_jumps():
    mi, me, ma = _jumps(micro_at=30, macro_at=31)
    ev = scale_transitions(mi, me, ma, threshold=2.0)
    got = [(e["step"], e["type"]) for e in ev]
    assert got == [(30, "micro"), (30, "cross_scale"), (31, "macro")]
    micro_ev = ev[0]
    assert micro_ev["robust_sd"] == pytest.approx(_robust_z(mi, 30), rel=1e-12)
    assert micro_ev["change"] == pytest.approx(mi[30] - mi[29], rel=1e-12)
    assert micro_ev["description"].startswith(
        f"avg_satisfaction rose by {mi[30] - mi[29]:.3g} (")
    assert f"({_robust_z(mi, 30):.1f} robust s.d.)" in micro_ev["description"]
    assert ev[1]["lag"] == 1 and ev[1]["scales"] == ["micro", "macro"]


def test_no_transitions_in_smooth_series_and_falling_jump():
    mi, me, ma = _jumps()
    assert scale_transitions(mi, me, ma) == []
    mi, me, ma = _jumps(meso_at=12, size=-0.5)
    ev = scale_transitions(mi, me, ma)
    assert [(e["step"], e["type"]) for e in ev] == [(12, "meso")]
    assert "avg_cohesion fell by 0.5" in ev[0]["description"]


def test_cross_scale_requires_micro_first_within_window():
    # macro first: no cascade
    ev = scale_transitions(*_jumps(micro_at=31, macro_at=30))
    assert not any(e["type"] == "cross_scale" for e in ev)
    # simultaneous: no cascade (order unknown)
    ev = scale_transitions(*_jumps(micro_at=30, macro_at=30))
    assert not any(e["type"] == "cross_scale" for e in ev)
    # micro first but 3 steps apart: outside window 2, inside window 3
    mi, me, ma = _jumps(micro_at=30, macro_at=33)
    assert not any(e["type"] == "cross_scale" for e in scale_transitions(mi, me, ma, window=2))
    cs = [e for e in scale_transitions(mi, me, ma, window=3) if e["type"] == "cross_scale"]
    assert len(cs) == 1 and cs[0]["step"] == 30 and cs[0]["lag"] == 3


def test_transition_step_labels_and_mad_fallback():
    mi, me, ma = _jumps(micro_at=30, meso_at=32)
    ev = scale_transitions(mi, me, ma, steps=np.arange(1, N_SERIES + 1))
    assert [(e["step"], e["type"]) for e in ev] == [(31, "micro"), (31, "cross_scale"),
                                                    (33, "meso")]
    # piecewise-constant series: MAD is 0, the std fallback still finds the jump only
    step = np.r_[np.zeros(20), np.ones(20)]
    flat = np.zeros(40)
    ev = scale_transitions(step, flat, flat)
    assert [(e["step"], e["type"]) for e in ev] == [(20, "micro")]


def test_threshold_controls_detection():
    mi, me, ma = _jumps(micro_at=30, size=0.05)
    z = _robust_z(mi, 30)
    assert len(scale_transitions(mi, me, ma, threshold=0.9 * z)) == 1
    assert scale_transitions(mi, me, ma, threshold=1.1 * z) == []


# ------------------------------------------------------------------- model
def _hist_arrays(hist):
    return np.array([[h["micro_metrics"]["avg_satisfaction"], h["meso_metrics"]["avg_cohesion"],
                      h["meso_metrics"]["resource_inequality"],
                      h["macro_metrics"]["policy_effectiveness"], h["macro_metrics"]["approval"],
                      h["macro_metrics"]["trust"]] for h in hist])


def test_run_history_keys_and_reproducibility():
    pols = create_example_policies()
    h1 = IntegratedGovernmentModel(600, 6, 25, seed=4).run(pols)
    h2 = IntegratedGovernmentModel(600, 6, 25, seed=4).run(create_example_policies())
    h3 = IntegratedGovernmentModel(600, 6, 25, seed=5).run(create_example_policies())
    assert len(h1) == 25 and [h["step"] for h in h1] == list(range(1, 26))
    assert h1[0]["active_policies"] == [p.name for p in pols]
    np.testing.assert_array_equal(_hist_arrays(h1), _hist_arrays(h2))
    np.testing.assert_array_equal(h1[-1]["meso"]["cohesion"], h2[-1]["meso"]["cohesion"])
    assert not np.array_equal(_hist_arrays(h1), _hist_arrays(h3))
    # approval is the mean satisfaction (macro = upscaled micro)
    assert h1[-1]["macro_metrics"]["approval"] == pytest.approx(
        h1[-1]["micro_metrics"]["avg_satisfaction"], abs=1e-15)


def test_policy_schedule():
    p = Policy("boost", "national", cost=0.0, effects={"satisfaction": 0.5})
    a = IntegratedGovernmentModel(300, 3, 12, seed=2).run({0: [p]})
    b = IntegratedGovernmentModel(300, 3, 12, seed=2).run([p])
    np.testing.assert_array_equal(_hist_arrays(a), _hist_arrays(b))
    c = IntegratedGovernmentModel(300, 3, 12, seed=2).run(
        {5: [Policy("boost", "national", effects={"satisfaction": 0.5})]})
    ref = IntegratedGovernmentModel(300, 3, 12, seed=2).run()
    assert [h["active_policies"] for h in c[:5]] == [[]] * 5
    assert c[5]["active_policies"] == ["boost"]
    np.testing.assert_array_equal(_hist_arrays(c)[:5], _hist_arrays(ref)[:5])
    assert not np.array_equal(_hist_arrays(c)[5:], _hist_arrays(ref)[5:])


def test_analysis_methods_use_the_history():
    m = IntegratedGovernmentModel(400, 4, 30, seed=8)
    m.run(create_example_policies())
    a = m.analyze_cross_scale_dynamics()
    mi = np.array([h["micro_metrics"]["avg_satisfaction"] for h in m.history])
    ma = np.array([h["macro_metrics"]["policy_effectiveness"] for h in m.history])
    assert a["correlations"]["micro_macro"] == pytest.approx(np.corrcoef(mi, ma)[0, 1],
                                                            abs=1e-12)
    assert a["volatility"]["micro"] == pytest.approx(np.std(np.diff(mi)), rel=1e-12)
    tr = m.identify_scale_transitions(threshold=2.0, burn_in=5)
    assert all(e["step"] > 6 for e in tr)
    # no policies: the macro series is constant 0, correlations with it are nan
    m0 = IntegratedGovernmentModel(400, 4, 30, seed=8)
    m0.run()
    a0 = m0.analyze_cross_scale_dynamics()
    assert math.isnan(a0["correlations"]["micro_macro"])
    assert "macro" in a0["notes"]["correlations.micro_macro"]


def test_zero_policy_has_exactly_zero_impact():
    m = IntegratedGovernmentModel(500, 5, 10, seed=3)
    m.run()
    step_before = m.model.current_step
    null = Policy("null", "individual", cost=0.0, effects={"satisfaction": 0.0})
    r = m.implement_policy_multiscale(null, n_steps=15)
    mic, mes, mac = r["micro_impact"], r["meso_impact"], r["macro_impact"]
    assert np.all(mic["changes"] == 0.0)
    assert mic["mean"] == 0.0 and mic["std"] == 0.0 and mic["fraction_better_off"] == 0.0
    assert np.all(mes["community_change"] == 0.0) and mes["between_community_sd"] == 0.0
    for k in ("avg_cohesion_change", "resource_inequality_change"):
        assert mes[k] == 0.0
    for k in ("approval_change", "trust_change", "target_gap_change"):
        assert mac[k] == 0.0 and mac[k + "_error"] == 0.0
    assert m.model.current_step == step_before          # the model was not advanced
    assert [p.name for p in m.model.policies] == ["null"]  # but the policy is now active


def test_positive_policy_impact_is_consistent_across_scales():
    m = IntegratedGovernmentModel(800, 8, 10, seed=6)
    pol = Policy("grants", "community", cost=0.0,
                 effects={"satisfaction": 0.5, "target_quantile": 0.5})
    r = m.implement_policy_multiscale(pol, n_steps=40)
    mic, mes, mac = r["micro_impact"], r["meso_impact"], r["macro_impact"]
    # the population mean of per-citizen changes is the approval change (same numbers)
    assert mic["mean"] == pytest.approx(mac["approval_change"], abs=1e-12)
    w = m.model.size / m.model.n_agents
    assert np.dot(w, mes["community_change"]) == pytest.approx(mic["mean"], abs=1e-12)
    # a free positive field raises approval beyond 4 error bars, and targets gain most
    assert mac["approval_change"] > 4 * mac["approval_change_error"] > 0
    assert mic["targeted_mean"] > mic["untargeted_mean"]
    assert mac["target_gap_change"] > 4 * mac["target_gap_change_error"]
    assert mes["between_community_sd"] > 0


def test_insights_derived_from_runs():
    pols = create_example_policies()[:2]     # individual + community
    c10 = compare_single_vs_multiscale(pols, 300, 20, n_communities=6, seed=1)
    c1 = compare_single_vs_multiscale(pols, 300, 20, n_communities=1, seed=1)
    assert set(c10) == {"single_scale", "multiscale", "insights"}
    assert set(c10["single_scale"]["policy_results"]) == {p.name for p in pols}
    m10, m1 = c10["insights"]["measurements"], c1["insights"]["measurements"]
    u10, u1 = c10["insights"]["use_multiscale_when"], c1["insights"]["use_multiscale_when"]
    frac = m10["between_variance_fraction"]
    has_comm = any(s.startswith("community structure matters") for s in u10)
    assert has_comm == (frac > COMMUNITY_VARIANCE_THRESHOLD)
    if has_comm:
        assert f"{100 * frac:.1f}%" in next(s for s in u10 if s.startswith("community"))
    assert m1["between_variance_fraction"] < 1e-20
    assert not any(s.startswith("community structure matters") for s in u1)
    assert not any(s.startswith("effects vary") for s in u1)       # one community: no pairs
    assert math.isnan(m1["max_community_effect_z"])
    assert any(s.startswith("multiple levels of intervention: policies act at 2") for s in u1)
    one = compare_single_vs_multiscale(pols[:1], 300, 20, n_communities=6, seed=1)
    assert not any(s.startswith("multiple levels") for s in
                   one["insights"]["use_multiscale_when"])
    # national-only policies, same seed: each rule still follows its own measurement,
    # and the insights differ from those of the targeted policies
    nat = compare_single_vs_multiscale(create_example_policies()[2:], 300, 20,
                                       n_communities=6, seed=1)
    mn, un = nat["insights"]["measurements"], nat["insights"]["use_multiscale_when"]
    assert any(s.startswith("community structure") for s in un) == (
        mn["between_variance_fraction"] > COMMUNITY_VARIANCE_THRESHOLD)
    assert any(s.startswith("effects vary") for s in un) == (mn["max_community_effect_z"] > 2)
    assert un != u10


# --------------------------------------------------------------- bad input
@pytest.mark.parametrize("kwargs, name", [
    (dict(population_size=0), "population_size"),
    (dict(population_size=10, n_communities=11), "n_communities"),
    (dict(n_communities=0), "n_communities"),
    (dict(time_steps=0), "time_steps"),
    (dict(noise=float("nan")), "noise"),
])
def test_bad_model_input(kwargs, name):
    with pytest.raises(ValueError, match=name):
        IntegratedGovernmentModel(**kwargs)


def test_bad_analysis_input():
    x = _background()
    with pytest.raises(ValueError, match="threshold"):
        scale_transitions(x, x, x, threshold=0.0)
    with pytest.raises(ValueError, match="threshold"):
        scale_transitions(x, x, x, threshold=float("nan"))
    with pytest.raises(ValueError, match="window"):
        scale_transitions(x, x, x, window=0)
    y = x.copy()
    y[3] = np.nan
    with pytest.raises(ValueError, match="meso"):
        cross_scale_statistics(x, y, x)
    with pytest.raises(ValueError, match="equal lengths"):
        cross_scale_statistics(x, x[:-1], x)
    with pytest.raises(ValueError, match="micro"):
        cross_scale_statistics(x[:2], x[:2], x[:2])
    m = IntegratedGovernmentModel(50, 2, 5, seed=0)
    with pytest.raises(ValueError, match="run"):
        m.analyze_cross_scale_dynamics()
    with pytest.raises(ValueError, match="policies step"):
        m.run({5: create_example_policies()[:1]})
    with pytest.raises(TypeError, match="Policy"):
        m.run(["not a policy"])
    m.run()
    with pytest.raises(ValueError, match="threshold"):
        m.identify_scale_transitions(threshold=-1.0)
    with pytest.raises(ValueError, match="n_steps"):
        m.implement_policy_multiscale(create_example_policies()[0], n_steps=1)
    with pytest.raises(ValueError, match="n_communities"):
        compare_single_vs_multiscale(create_example_policies(), 10, 5, n_communities=20)
    with pytest.raises(ValueError, match="policies"):
        compare_single_vs_multiscale([], 10, 5)


# ------------------------------------------- the text's calls on the integrated model (issue 14)

def test_integrated_model_forwards_the_multiscale_api():
    from utacbook.models import ScaleLevel, analyze_scale_separation
    m = IntegratedGovernmentModel(400, 8, 10, seed=4)
    m.run(create_example_policies()[:1])
    inner = m.model
    assert m.n_agents == inner.n_agents == m.population_size == 400
    assert m.agents is inner.agents
    for name in ("micro_state", "meso_state", "macro_state"):
        a, b = getattr(m, name), getattr(inner, name)
        assert a.level is b.level and a.timestamp == b.timestamp == 10 and set(a.variables) == set(b.variables)
    assert len(m.micro_state.get_variable("agents")) == 400
    for lo, hi in ((ScaleLevel.MICRO, ScaleLevel.MESO), (ScaleLevel.MESO, ScaleLevel.MACRO),
                   (ScaleLevel.MICRO, ScaleLevel.MACRO)):
        up, ref = m.upscale(lo, hi), inner.upscale(lo, hi)
        assert set(up) == set(ref)
        for k in up:
            np.testing.assert_array_equal(up[k], ref[k])
        down, ref = m.downscale(hi, lo), inner.downscale(hi, lo)
        assert set(down) == set(ref) and all(np.array_equal(down[k], ref[k]) for k in down)
    custom = {"x": np.arange(400.0)}
    np.testing.assert_array_equal(m.upscale(ScaleLevel.MICRO, ScaleLevel.MESO, custom)["x"],
                                  inner.upscale(ScaleLevel.MICRO, ScaleLevel.MESO, custom)["x"])
    with pytest.raises(TypeError, match="from_level"):
        m.upscale("micro", ScaleLevel.MESO)
    # analyze_scale_separation takes the integrated model (its state)
    assert analyze_scale_separation(m) == analyze_scale_separation(inner)
    with pytest.raises(TypeError, match="MultiscaleModel or an IntegratedGovernmentModel"):
        analyze_scale_separation("model")


def test_run_refuses_a_community_policy_with_one_community_before_any_step():
    grants = create_example_policies()[1]
    for pols in ([grants], {3: [create_example_policies()[0]], 5: [grants]}):
        m = IntegratedGovernmentModel(100, 1, 10, seed=0)
        with pytest.raises(ValueError, match=r"\['community_grants'\] are 'community' policies, which need"):
            m.run(pols)
        assert m.model.current_step == 0 and m.model.policies == [] and len(m.history) == 0
    with pytest.raises(ValueError, match="needs n_communities >= 2"):
        IntegratedGovernmentModel(100, 1, 10, seed=0).implement_policy_multiscale(grants, n_steps=3)


def test_compare_does_not_apply_a_community_policy_where_it_targets_nobody():
    from utacbook.models import GovernmentSimulation
    pols = create_example_policies()
    c = compare_single_vs_multiscale(pols, 300, 10, n_communities=6, seed=2)
    single = c["single_scale"]["policy_results"]
    assert list(single) == [p.name for p in pols]           # every policy has its entry
    entry = single["community_grants"]
    assert entry["applicable"] is False and "one community" in entry["reason"] and "tax" in entry["reason"]
    assert all("satisfaction_change" in single[p.name] for p in pols if p.scale != "community")
    assert all("micro_impact" in r for r in c["multiscale"]["policy_results"].values())
    meas = c["insights"]["measurements"]
    assert math.isnan(meas["single_scale_satisfaction_change"]["community_grants"])
    assert meas["not_applicable"] == {"single_scale": ["community_grants"], "multiscale": []}
    # the single-scale side is the simulation without the community policy
    sim = GovernmentSimulation(300, seed=2)
    for p in pols:
        if p.scale != "community":
            assert sim.implement_policy(p, n_steps=10) == single[p.name]
    assert sim.run(10) == c["single_scale"]["history"]
    # one community: not applicable in the multiscale model either; the rest still works
    c1 = compare_single_vs_multiscale(pols[:2], 300, 10, n_communities=1, seed=2)
    assert c1["multiscale"]["policy_results"]["community_grants"]["applicable"] is False
    m1 = c1["insights"]["measurements"]
    assert m1["not_applicable"] == {"single_scale": ["community_grants"], "multiscale": ["community_grants"]}
    assert math.isnan(m1["max_community_effect_z"])
    levels = [s for s in c1["insights"]["use_multiscale_when"] if s.startswith("multiple levels")]
    assert levels and levels[0].endswith("not applicable to the multiscale model with one community: "
                                         "community_grants")
    only = compare_single_vs_multiscale(pols[1:2], 300, 10, n_communities=1, seed=2)
    assert only["insights"]["use_multiscale_when"] == []
    assert math.isnan(only["insights"]["measurements"]["community_effect_z"]["community_grants"])
