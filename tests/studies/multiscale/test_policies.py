"""Fast tests of utacbook.ms_studies_policy (chapter "Policies across scales")."""

import copy
import math

import numpy as np
import pytest

from utacbook.studies.multiscale import policies as S
from utacbook.models import IntegratedGovernmentModel, Policy, create_example_policies, scale_transitions


def test_sem_known_values():
    m, e = S.finite_mean_sem([1.0, 2.0, 3.0, 4.0, np.nan])
    assert m == 2.5
    assert e == pytest.approx(np.std([1, 2, 3, 4], ddof=1) / 2.0, rel=1e-12)
    assert math.isnan(S.finite_mean_sem([1.0])[1])
    assert all(math.isnan(v) for v in S.finite_mean_sem([np.nan]))


def test_between_variance_exact():
    # two equal communities with means 0.2 and 0.8: variance of means = 0.3^2
    s = np.array([0.1, 0.3, 0.7, 0.9])
    c = np.array([0, 0, 1, 1])
    assert S.between_variance(s, c, 2) == pytest.approx(0.09, abs=1e-15)
    # unequal sizes: weights 3/4, 1/4 of means 0 and 1 -> 3/16
    assert S.between_variance(np.array([0.0, 0, 0, 1]), np.array([0, 0, 0, 1]), 2) == \
        pytest.approx(3 / 16, abs=1e-15)
    with pytest.raises(ValueError, match="community"):
        S.between_variance(s, np.array([0, 0, 1, 2]), 2)


def test_null_policy_has_exactly_zero_effect():
    # common random numbers: a policy with no field, no cost, no transfer changes nothing
    null = Policy("null", "community", cost=0.0, effects={"satisfaction": 0.0})
    r = S.gap_experiment(null, population_size=300, n_communities=6, warmup=5, n_steps=5,
                         n_seeds=2, seed=3)
    assert np.all(r["d_approval"] == 0.0)
    assert np.all(r["d_between_var"] == 0.0)
    assert r["both"] == 0.0


def test_national_policy_raises_approval_beyond_error():
    pol = Policy("nat", "national", cost=0.0, effects={"satisfaction": 0.3})
    r = S.gap_experiment(pol, population_size=500, n_communities=5, warmup=5, n_steps=10,
                         n_seeds=4, seed=1)
    m, e = S.finite_mean_sem(r["d_approval"])
    assert m > 4 * e > 0


def test_policy_impacts_identities():
    imp = S.policy_impacts(population_size=400, n_communities=8, warmup=5, n_steps=20,
                           n_seeds=2, seed=2)
    # national_infrastructure (+0.2 - 0.1*1.5) and public_health (+0.1 - 0.1*0.5) have the
    # same net field +0.05, but public health also transfers wealth to everyone: it compresses
    # the community resources (lower Gini), infrastructure leaves them alone
    a, b = imp["national_infrastructure"], imp["public_health"]
    assert not np.allclose(a["micro_mean"], b["micro_mean"], rtol=0, atol=1e-9)
    assert np.all(a["meso_inequality"] == 0.0) and np.all(b["meso_inequality"] < 0.0)
    # a national policy with net positive field makes everyone better off
    assert np.all(a["micro_better_off"] == 1.0)
    # micro mean and macro approval are the same quantity (approval = mean satisfaction)
    np.testing.assert_allclose(imp["community_grants"]["micro_mean"],
                               imp["community_grants"]["macro_approval"], atol=1e-12)


def test_no_policy_run_has_no_macro_transitions_and_is_reproducible():
    kw = dict(scenario="none", population_size=300, n_communities=5, time_steps=40,
              n_seeds=2, burn_in=5, switch_step=10, seed=4)
    r1 = S.transition_counts(**kw)
    r2 = S.transition_counts(**kw)
    assert np.all(r1["counts"]["macro"] == 0)   # policy_effectiveness is identically 0
    assert np.all(r1["macro_zero_diffs"] == r1["n_steps"])   # ... so every difference is 0
    # switched on after step 10: effectiveness is 0 at steps 6..10 (4 zero differences), then not
    mid = S.transition_counts(**(kw | {"scenario": "midrun"}))
    assert np.all(mid["macro_zero_diffs"] == 10 - 5 - 1)
    for k in S.TYPES:
        np.testing.assert_array_equal(r1["counts"][k], r2["counts"][k])
    assert not r1["cascade_at_switch"].any()


def test_bad_input():
    with pytest.raises(ValueError, match="scenario"):
        S.transition_counts(scenario="later", n_seeds=1, population_size=50, time_steps=10,
                            burn_in=0, switch_step=2, control_offset=2)
    with pytest.raises(TypeError, match="policy"):
        S.gap_experiment("grants", n_seeds=1)
    with pytest.raises(ValueError, match="n_communities"):
        S.cross_scale_replicas(population_size=10, n_communities=20, n_seeds=1)
    with pytest.raises(TypeError, match="strength"):
        S.community_policy("big")
    assert isinstance(create_example_policies()[1], Policy)


# ------------------------------------------------------- claims and their nulls


def test_claims_are_the_texts_with_criteria():
    cl = S.claims(n_seeds=16)
    ids = [c.id for c in cl]
    assert len(ids) == len(set(ids)) and all(i.startswith("ms.policies.") for i in ids)
    assert all(c.source in ("multiscale", "ours") and c.criterion is not None for c in cl)
    assert [c.id for c in cl if c.source == "ours"] == ["ms.policies.default_cohesion",
                                                        "ms.policies.dynamic_cohesion"]
    # the three steps of research application 3 share a criterion: 3 standard errors, two-sided
    steps = [c for c in cl if c.id in ("ms.policies.design", "ms.policies.default_cohesion",
                                       "ms.policies.dynamic_cohesion")]
    assert len(steps) == 3 and all(isinstance(c.criterion, S.ThreeSigma) for c in steps)
    assert "250 citizens per community" in next(c.scope for c in steps if c.id == "ms.policies.design")


def test_three_sigma_decides_as_effect_and_says_so():
    import utacbook.claims as uc
    crit, eff = S.ThreeSigma(), uc.Effect(alpha=S.ALPHA_3SIGMA)
    assert crit.describe() == "an effect of 3 standard errors, two-sided (p < 0.0027, normal approximation)"
    for z in (-3.1, -2.9, 2.9, 3.1):
        m = uc.Measurement(z, 1.0, condition="x")
        assert crit.test(m) == eff.test(m)
        assert crit.test(m)[0] == (abs(z) > 3)


def test_bound_rounds_towards_the_bound_and_error_digits():
    assert S.bound(0.9856, "lower") == "0.98" and S.bound(0.9856, "upper") == "0.99"
    assert S.bound(0.4734, "upper") == "0.48" and S.bound(0.3512, "lower") == "0.35"
    assert S.bound(1.32e-3, "upper") == "0.0014" and S.bound(5.26e-4, "lower") == "0.00052"
    assert S.bound(8.66, "lower", digits=1) == "8"
    assert float(S.bound(0.123456, "lower", digits=3)) <= 0.123456 <= float(S.bound(0.123456, "upper", digits=3))
    with pytest.raises(ValueError, match="side"):
        S.bound(1.0, "nearest")
    assert [S.error_digits(e) for e in (0.00053, 0.00014, 0.0023, 0.009, 0.0)] == [1, 2, 2, 1, 1]


def test_count_cascades_matches_scale_transitions():
    rng = np.random.default_rng(5)
    x = np.cumsum(rng.normal(size=(3, 60)), axis=1)
    ev = scale_transitions(x[0], x[1], x[2], threshold=1.5, window=2)
    micro = [e["step"] for e in ev if e["type"] == "micro"]
    foll = sorted({e["step"] for e in ev if e["type"] in ("meso", "macro")})
    n = sum(e["type"] == "cross_scale" for e in ev)
    assert n > 0
    assert S.count_cascades(micro, foll, 2) == n
    assert S.count_cascades([10], [10, 13], 2) == 0     # simultaneous or too late
    assert S.count_cascades([10], [12], 2) == 1


def test_cascade_permutation_test_on_runs():
    tr = S.transition_counts(scenario="start", population_size=300, n_communities=5,
                             time_steps=40, n_seeds=3, burn_in=5, switch_step=10, seed=2)
    for f, k in zip(tr["flags"], tr["counts"]["cross_scale"]):
        assert S.count_cascades(f["micro"], f["followers"], tr["window"]) == k
    pt = S.cascade_permutation_test(tr, n_perm=50, seed=0)
    assert pt["observed"] == tr["counts"]["cross_scale"].sum()
    assert 1 / 51 <= pt["p_value"] <= 1
    # no micro jumps at all: every permutation gives the observed 0, p = 1
    empty = {"window": 2, "flags": [{"micro": [], "followers": [5, 6], "first": 1, "last": 20}]}
    assert S.cascade_permutation_test(empty, n_perm=10)["p_value"] == 1.0


def test_emergence_correlation_is_the_texts_statistic():
    em = S.emergence_correlation(population_size=300, n_communities=5, time_steps=20,
                                 n_seeds=2, burn_in=5, seed=4)
    m = IntegratedGovernmentModel(300, 5, 20, seed=5)
    h = m.run(create_example_policies())
    ms_ = [x["micro_metrics"]["avg_satisfaction"] for x in h]
    me = [x["macro_metrics"]["policy_effectiveness"] for x in h]
    assert em["full"][1] == pytest.approx(np.corrcoef(ms_, me)[0, 1], abs=1e-12)
    # the surrogate of seed 4 pairs its micro series with the macro series of seed 5
    m4 = IntegratedGovernmentModel(300, 5, 20, seed=4)
    h4 = m4.run(create_example_policies())
    ms4 = [x["micro_metrics"]["avg_satisfaction"] for x in h4]
    assert em["surrogate"]["full"][0] == pytest.approx(np.corrcoef(ms4, me)[0, 1], abs=1e-12)
    ms_list = S.emergence_measurements(em)
    assert len(ms_list) == len(S.EMERGENCE_KINDS)


def test_composition_null_is_exact_without_interaction_and_amplified_with_it():
    grants = create_example_policies()[1]
    r = S.composition_null(grants, couplings=(0.0, 1.0), population_size=2000, n_communities=10,
                           warmup=5, n_steps=10, n_seeds=3, seed=1)
    a0, a1 = r["A"]
    # no interaction: composition explains the community effects (up to the wealth mix of
    # the targets, a bias well below 1 %)
    assert np.all(np.abs(a0 - 1) < 0.01)
    d = a1 - a0
    assert d.mean() > 4 * d.std(ddof=1) / np.sqrt(d.size) > 0
    assert np.all(r["corr"] > 0.99)
    ms_list = S.composition_measurements({"grants": r})
    assert [m.condition for m in ms_list] == ["grants, J = 1"]
    with pytest.raises(ValueError, match="national"):
        S.composition_null(create_example_policies()[2], n_seeds=1)
    with pytest.raises(ValueError, match="reference"):
        S.composition_measurements({"grants": r}, reference=0.5)


def test_insight_null_scan_counts_and_tests():
    ins = S.insight_null_scan(n_communities_list=(4,), population_size=200, time_steps=10,
                              n_seeds=2, seed=0)
    assert not any(p.scale == "community" for p in S.null_policies())
    for k in S.INSIGHTS:
        c = ins["count"][k]
        assert c["example"].shape == (1,) and 0 <= c["null"][0] <= 2
        assert 0 <= ins["p_value"][k][0] <= 1
    # the levels rule only reads the policy list: it fires in every seed of both sets
    assert ins["count"]["multiple levels of intervention"]["null"][0] == 2
    back = S.as_arrays({"a": [1, 2], "b": {"c": [[1.0]]}, "d": 3})
    assert isinstance(back["a"], np.ndarray) and back["b"]["c"].shape == (1, 1) and back["d"] == 3


# ------------------------------------------- single vs multiscale, through the sweep


def test_cross_scale_replicas_are_the_sweep_tasks():
    from utacbook import sweep
    kw = dict(population_size=300, n_communities=5, time_steps=20)
    cs = S.cross_scale_replicas(n_seeds=2, burn_ins=(0, 5), seed=3, **kw)
    for r in range(2):
        s = sweep.task_seed(3, {"replica": r})
        assert cs["seeds"][r] == s
        m = IntegratedGovernmentModel(300, 5, 20, seed=s)
        m.run(create_example_policies())
        a = m.analyze_cross_scale_dynamics(burn_in=5)
        for p in S.PAIRS:
            assert cs["level"][5][p][r] == pytest.approx(a["correlations"][p], abs=1e-15)
            assert cs["diff"][5][p][r] == pytest.approx(a["difference_correlations"][p], abs=1e-15)
        assert cs["volatility"][5]["meso"][r] == pytest.approx(a["volatility"]["meso"], abs=1e-15)


@pytest.fixture(scope="module")
def pred():
    return S.policy_predictions(population_size=400, n_communities=5, warmup=4, n_steps=6,
                                n_seeds=3, seed=2)


def test_policy_predictions_pairs_the_four_models(pred):
    from utacbook import sweep
    from utacbook.models import GovernmentSimulation
    names = [p.name for p in create_example_policies()]
    assert pred["policies"] == names
    assert pred["single_scale_policies"] == names and pred["counterparts"] == ["community_grants"]
    ms, ss, one = pred["multiscale"], pred["single"], pred["one_community"]
    np.testing.assert_array_equal(ss["task_seed"].values, ms["task_seed"].values)
    np.testing.assert_array_equal(one["task_seed"].values, ms["task_seed"].values)
    k = pred["cohesion"][0]
    np.testing.assert_allclose(ss["kappa"].values, [0.5, k, k - 0.02, k + 0.02], rtol=0, atol=1e-15)
    assert 0.5 < pred["cohesion"][0] < 1 and pred["cohesion"][1] > 0
    assert 0.5 < pred["cohesion_one_community"][0] < 1
    # replica 1 of (a) is the text's call on a GovernmentSimulation with that replica's seed
    s1 = sweep.task_seed(2, {"replica": 1})
    sim = GovernmentSimulation(400, seed=s1)
    sim.run(4)
    r = sim.implement_policy(create_example_policies()[2], n_steps=6)
    got = ss["satisfaction_change"].sel(policy="national_infrastructure").isel(kappa=0, replica=1)
    assert float(got) == r["satisfaction_change"]
    # and of (c) the text's multiscale call
    m = IntegratedGovernmentModel(400, 5, 4, seed=s1)
    m.run()
    rm = m.implement_policy_multiscale(create_example_policies()[1], n_steps=6)
    got = ms["between_community_sd"].sel(policy="community_grants").isel(replica=1)
    assert float(got) == rm["meso_impact"]["between_community_sd"]
    # (b') the text's multiscale call with one community
    m1 = IntegratedGovernmentModel(400, 1, 4, seed=s1)
    m1.run()
    r1 = m1.implement_policy_multiscale(create_example_policies()[3], n_steps=6)
    got = one["satisfaction_change"].sel(policy="public_health").isel(replica=1)
    assert float(got) == r1["micro_impact"]["mean"]
    # the grants in (b): their counterpart given to the citizens the 5-community model targets
    grants = create_example_policies()[1]
    sim = GovernmentSimulation(400, seed=s1, cohesion=float(ss["kappa"][1]))
    sim.run(4)
    rc = S.paired_change(sim.model, S.counterpart(grants), n_steps=6,
                         targets=S.counterpart_targets(grants, 400, 5, s1))
    got = ss["satisfaction_change"].sel(policy="community_grants").isel(kappa=1, replica=1)
    assert float(got) == rc["satisfaction_change"]


def test_decomposition_table(pred):
    a_, b_, bp_, c_, ba_, st_, bpb_, cbp_ = S.MODELS
    t = S.decomposition(pred)
    assert list(t.columns) == ["policy", "model", "quantity", "estimate", "error", "n_seeds"]
    sat = t[t["quantity"] == "satisfaction_change"].set_index(["policy", "model"])
    # the steps are the differences of the predictions (paired means)
    for name in pred["single_scale_policies"]:
        e = sat.loc[name, "estimate"]
        assert e[ba_] == pytest.approx(e[b_] - e[a_], abs=1e-14)
        assert e[st_] + e[bpb_] == pytest.approx(e[bp_] - e[b_], abs=1e-14)
        assert e[cbp_] == pytest.approx(e[c_] - e[bp_], abs=1e-14)
        assert (sat.loc[name, "error"] > 0).all()
    # kappa* enters (b) through the local slope, replica by replica: the error of b is that of
    # b_r + slope (kappa_r - kappa*); (b') and c - b' do not depend on kappa*
    ss, one, ms = pred["single"], pred["one_community"], pred["multiscale"]
    q, name = "satisfaction_change", "public_health"
    b = ss[q].sel(policy=name).isel(kappa=1).values
    lo, hi = (ss[q].sel(policy=name).isel(kappa=i).values for i in (2, 3))
    slope = (hi.mean() - lo.mean()) / float(ss["kappa"][3] - ss["kappa"][2])
    kr = ms["cohesion"].values
    assert sat.loc[(name, b_), "error"] == pytest.approx(
        S.finite_mean_sem(b + slope * (kr - kr.mean()))[1], rel=1e-12)
    d = ms[q].sel(policy=name).values - one[q].sel(policy=name).values
    assert sat.loc[(name, cbp_), "error"] == pytest.approx(S.finite_mean_sem(d)[1], rel=1e-12)
    # the stationary cohesion of one community vs twenty: (b) moved along the slope from kappa_r to kappa1_r
    k1 = one["cohesion"].values
    assert sat.loc[(name, st_), "estimate"] == pytest.approx(slope * (k1.mean() - kr.mean()), rel=1e-12)
    assert sat.loc[(name, st_), "error"] == pytest.approx(S.finite_mean_sem(slope * (k1 - kr))[1], rel=1e-12)
    dyn = one[q].sel(policy=name).values - b - slope * (k1 - kr.mean())
    assert sat.loc[(name, bpb_), "error"] == pytest.approx(S.finite_mean_sem(dyn)[1], rel=1e-12)
    chk = S.kappa_error_check(pred).set_index(["policy", "step"])
    for step in (ba_, st_):
        assert chk.loc[(name, step), "error_correlated"] == pytest.approx(sat.loc[(name, step), "error"], rel=1e-12)
        assert chk.loc[(name, step), "error_independent"] > 0
    # the multiscale-only quantities appear for (c) only, but cohesion_change also for (b')
    only = t[t["quantity"].isin(S.MULTISCALE_ONLY)]
    assert set(only["model"]) == {c_, bp_}
    assert set(only[only["model"] == bp_]["quantity"]) == {"cohesion_change"}
    ms_ = S.decomposition_measurements(t)
    assert [m.condition for m in ms_] == pred["single_scale_policies"]
    assert "of the multiscale effect" in ms_[0].text
    with pytest.raises(ValueError, match="step"):
        S.decomposition_measurements(t, step=S.MODELS[0])
    kept = S.same_sign_cohesion(t)
    assert set(kept) <= set(pred["single_scale_policies"])
    assert [m.condition for m in S.decomposition_measurements(t, bpb_, policies=kept)] == kept
    coh = t[t["quantity"] == "cohesion_change"].set_index(["policy", "model"])["estimate"]
    for p in pred["single_scale_policies"]:
        assert (p in kept) == (np.sign(coh[(p, bp_)]) == np.sign(coh[(p, c_)]) != 0)
    fig = S.plot_decomposition(t)
    assert len(fig.axes) == 2


def test_without_counterparts_the_community_policy_has_only_the_multiscale_prediction():
    p = S.policy_predictions(population_size=200, n_communities=4, warmup=2, n_steps=3, n_seeds=2,
                             seed=1, counterparts=False)
    assert p["counterparts"] == [] and "community_grants" not in p["single_scale_policies"]
    sat = S.decomposition(p).query("quantity == 'satisfaction_change'").set_index(["policy", "model"])
    cg = sat.loc["community_grants"]
    assert cg.loc[S.MODELS[3], "n_seeds"] == 2 and np.isfinite(cg.loc[S.MODELS[3], "estimate"])
    for mdl in S.MODELS[:3] + S.MODELS[4:]:
        assert cg.loc[mdl, "n_seeds"] == 0 and np.isnan(cg.loc[mdl, "estimate"])


def test_paired_change_is_implement_policy():
    from utacbook.models import GovernmentSimulation
    sim = GovernmentSimulation(300, seed=3, cohesion=0.7)
    sim.run(3)
    for pol in create_example_policies()[::2]:
        r = S.paired_change(sim.model, pol, n_steps=5)
        ref = copy.deepcopy(sim).implement_policy(pol, n_steps=5)
        for k in ("satisfaction_change", "satisfaction_change_error", "trust_change"):
            assert r[k] == ref[k]
    assert sim.policies == []   # the model itself is left alone


def test_counterpart_gives_the_same_field_to_the_same_citizens():
    grants = create_example_policies()[1]
    cp = S.counterpart(grants)
    assert (cp.scale, cp.cost, cp.effects) == ("individual", grants.cost, {"satisfaction": 0.3})
    mask = S.counterpart_targets(grants, 500, 5, 7)
    # the targets depend on the initial state only: the same after a warm-up
    m = IntegratedGovernmentModel(500, 5, 6, seed=7)
    m.run()
    m1, m2 = copy.deepcopy(m.model), copy.deepcopy(m.model)
    np.testing.assert_array_equal(m1.apply_policy(grants), mask)
    m2.apply_policy(cp, targets=mask)
    np.testing.assert_array_equal(m1.agents["field"], m2.agents["field"])
    np.testing.assert_array_equal(m1.agents["wealth"], m2.agents["wealth"])
    assert np.all(m1.resources >= m2.resources) and np.any(m1.resources > m2.resources)   # only R_c differs
    # the same seed gives every citizen the same wealth whatever the number of communities
    w1 = IntegratedGovernmentModel(500, 1, 1, seed=7).model.agents["wealth"]
    np.testing.assert_array_equal(w1, m.model.agents["wealth"])
    with pytest.raises(ValueError, match="community"):
        S.counterpart(create_example_policies()[0])


def test_community_resources():
    grants = create_example_policies()[1]
    cr = S.community_resources(grants, population_size=600, n_communities=10, n_seeds=3, seed=2)
    assert cr["before"].shape == (3, 10) and cr["transfer"] == 0.3
    d = cr["after"] - cr["before"]
    np.testing.assert_allclose(d[cr["targeted"]], 0.3, rtol=0, atol=1e-12)
    assert np.all(d[~cr["targeted"]] == 0) and np.all(cr["targeted"].sum(axis=1) == 3)
    m = IntegratedGovernmentModel(600, 10, 1, seed=3).model
    w, c = m.agents["wealth"], m.agents["community"]
    np.testing.assert_allclose(cr["before"][1], np.bincount(c, weights=w) / np.bincount(c), rtol=1e-12)
    assert cr["gini_before"][1] == m.resource_inequality
    for r in range(3):
        a, t = cr["after"][r], cr["targeted"][r]
        assert cr["leapfrog"][r] == (a[t].min() > a[~t].max())


def test_single_scale_task_needs_the_communities_for_a_community_policy():
    grants = create_example_policies()[1]
    d = {"name": grants.name, "scale": grants.scale, "cost": grants.cost, "effects": grants.effects}
    with pytest.raises(ValueError, match="single-scale counterpart"):
        S.single_scale_policy_task(population_size=50, warmup=1, n_steps=2, cohesions=[0.5],
                                   policies=[d], seed=0)
    r = S.single_scale_policy_task(population_size=50, warmup=1, n_steps=2, cohesions=[0.5],
                                   policies=[d], seed=0, n_communities=5)
    assert r["satisfaction_change"].shape == (1, 1) and np.isfinite(r["satisfaction_change"]).all()
    with pytest.raises(ValueError, match="n_seeds"):
        S.policy_predictions(population_size=50, n_communities=2, n_seeds=1)
    with pytest.raises(ValueError, match="unique"):
        S.policy_predictions(population_size=50, n_communities=2, n_seeds=2,
                             policies=[grants, grants])


# ------------------------------------------------------------ the stored predictions of the chapter
def test_load_policy_predictions_gives_exactly_policy_predictions(tmp_path):
    import pandas as pd
    import xarray as xr

    from utacbook import stored
    P = dict(population_size=300, n_communities=5, warmup=4, n_steps=5, n_seeds=3, seed=2)
    stored.compute("t_pred", "utacbook.studies.multiscale.policies:prediction_sweeps", data_dir=tmp_path, **P)
    pred, rec = S.load_policy_predictions("t_pred", data_dir=tmp_path)
    live = S.policy_predictions(**P)
    assert list(pred) == list(live)
    for k, a in live.items():
        b = pred[k]
        if isinstance(a, xr.Dataset):      # the sweeps' own timing and provenance differ between two runs
            strip = lambda x: x.drop_vars(["task_wall_time", "task_finished"]).drop_attrs()  # noqa: E731
            xr.testing.assert_identical(strip(a), strip(b))
        elif isinstance(a, np.ndarray):
            np.testing.assert_array_equal(a, b)
        else:
            assert a == b or (a != a and b != b), k
    pd.testing.assert_frame_equal(S.decomposition(live), S.decomposition(pred))
    pd.testing.assert_frame_equal(S.kappa_error_check(live), S.kappa_error_check(pred))
    chk = S.spot_check_predictions(pred, rec, replica=2)
    assert chk["identical"] and chk["max_abs_diff"] == 0.0


def test_stored_predictions_have_the_chapters_parameters():
    import json
    from pathlib import Path
    pred, rec = S.load_policy_predictions()
    nb = json.loads((Path(__file__).resolve().parents[3] / "book/multiscale/02_policies.ipynb").read_text())
    src = "".join("".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "code")
    assert "SEEDS = 16" in src and "msp.load_policy_predictions()" in src
    assert rec.provenance["params"] == dict(population_size=5000, n_communities=20, warmup=30, n_steps=50,
                                            n_seeds=16, seed=0)
    assert pred["n_seeds"] == 16 and pred["policies"] == [p.name for p in create_example_policies()]
    assert S.spot_check_predictions(pred, rec, replica=0)["identical"]      # one replica of each sweep, bit for bit


def test_load_chapter_experiments_gives_exactly_the_experiments(tmp_path):
    from utacbook import stored
    P = dict(population_size=300, n_communities=5, warmup=3, n_steps=4, n_seeds=3, seed=2)
    stored.compute("t_exp", "utacbook.studies.multiscale.policies:chapter_experiments", data_dir=tmp_path, **P)
    imp, gap, compo, rec = S.load_chapter_experiments("t_exp", data_dir=tmp_path)
    pol = {p.name: p for p in create_example_policies()}
    live = (S.policy_impacts(**P),
            {n: S.gap_experiment(pol[n], **P) for n in ("community_grants", "national_infrastructure",
                                                        "targeted_welfare")},
            {n: S.composition_null(pol[n], couplings=(0.0, 0.5, 1.0), **P)
             for n in ("community_grants", "targeted_welfare")})
    for a, b in zip(live, (imp, gap, compo)):
        assert list(a) == list(b)
        for n in a:
            assert list(a[n]) == list(b[n])
            for k, x in a[n].items():
                y = b[n][k]
                assert type(x) is type(y) and np.shape(x) == np.shape(y) and np.array_equal(x, y), (n, k)
                assert np.asarray(x).dtype == np.asarray(y).dtype
    chk = S.spot_check_experiments(rec)
    assert chk["identical"] and chk["max_abs_diff"] == 0.0


def test_stored_experiments_have_the_chapters_parameters_and_reproduce():
    import json
    from pathlib import Path
    imp, gap, compo, rec = S.load_chapter_experiments()
    nb = json.loads((Path(__file__).resolve().parents[3] / "book/multiscale/02_policies.ipynb").read_text())
    src = "".join("".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "code")
    assert "SEEDS = 16" in src and "msp.load_chapter_experiments()" in src
    assert rec.provenance["params"] == dict(
        population_size=5000, n_communities=20, warmup=30, n_steps=50, n_seeds=16, seed=0,
        gap_policies=["community_grants", "national_infrastructure", "targeted_welfare"],
        composition_policies=["community_grants", "targeted_welfare"], couplings=[0.0, 0.5, 1.0])
    # one cheap task: replica 0 of the gap experiment of the grants, bit for bit
    g = S.gap_experiment({p.name: p for p in create_example_policies()}["community_grants"], population_size=5000,
                         n_communities=20, warmup=30, n_steps=50, n_seeds=1, seed=0)
    for k in ("d_approval", "d_between_var", "base_between_var"):
        assert g[k][0] == gap["community_grants"][k][0]
