"""Fast tests of utacbook.ms_studies_policy (chapter "Policies across scales")."""

import math

import numpy as np
import pytest

import utacbook.ms_studies_policy as S
from utacbook.government import Policy, create_example_policies


def test_sem_known_values():
    m, e = S.sem([1.0, 2.0, 3.0, 4.0, np.nan])
    assert m == 2.5
    assert e == pytest.approx(np.std([1, 2, 3, 4], ddof=1) / 2.0, rel=1e-12)
    assert math.isnan(S.sem([1.0])[1])
    assert all(math.isnan(v) for v in S.sem([np.nan]))


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
    m, e = S.sem(r["d_approval"])
    assert m > 4 * e > 0


def test_policy_impacts_identities():
    imp = S.policy_impacts(population_size=400, n_communities=8, warmup=5, n_steps=20,
                           n_seeds=2, seed=2)
    # national_infrastructure (+0.2 - 0.1*1.5) and public_health (+0.1 - 0.1*0.5) have the
    # same net field +0.05, hence identical paired effects
    a, b = imp["national_infrastructure"], imp["public_health"]
    for k in a:
        np.testing.assert_allclose(a[k], b[k], rtol=0, atol=1e-12)
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
