"""Tests of utacbook.government: policies and the single-scale simulation."""

import math

import numpy as np
import pytest

from utacbook.models import GovernmentMultiscaleModel, GovernmentSimulation, Policy, create_example_policies


def _sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def test_example_policies():
    pols = create_example_policies()
    assert [p.name for p in pols] == ["targeted_welfare", "community_grants",
                                      "national_infrastructure", "public_health"]
    assert [p.scale for p in pols] == ["individual", "community", "national", "national"]
    assert pols[3].cost < pols[2].cost and pols[3].effects["satisfaction"] < \
        pols[2].effects["satisfaction"]
    assert pols[0].target_quantile == 0.2 and pols[1].target_quantile == 0.3
    assert Policy("x", "individual").target_quantile == 0.2
    assert Policy("x", "community").target_quantile == 0.3


def _what_a_policy_does(policy, n=2000, C=5, seed=3):
    """Field, wealth and individual term u_i = h_i + b (ln w_i - <ln w>) after applying ``policy``."""
    m = GovernmentMultiscaleModel(n, C, seed=seed)
    m.apply_policy(policy)
    w = m.agents["wealth"]
    lw = np.log(w)
    b = m.params["wealth_weight"]
    return m.agents["field"].copy(), w.copy(), m.agents["field"] + b * (lw - lw.mean())


def test_no_two_example_policies_act_alike():
    """Each pair differs in the field or in the wealth it leaves, hence in what citizens feel."""
    pols = create_example_policies()
    done = {p.name: _what_a_policy_does(p) for p in pols}
    names = list(done)
    for i, a in enumerate(names):
        for c in names[i + 1:]:
            (fa, wa, ua), (fc, wc, uc) = done[a], done[c]
            same = np.array_equal(fa, fc) and np.array_equal(wa, wc)
            assert not same, (a, c)
            assert not np.allclose(ua, uc, rtol=0, atol=1e-3), (a, c)
    # the two national policies: the same net field on everyone, different wealth
    (f_ni, w_ni, u_ni), (f_ph, w_ph, u_ph) = done["national_infrastructure"], done["public_health"]
    np.testing.assert_allclose(f_ni, 0.05, atol=1e-12)
    np.testing.assert_allclose(f_ph, 0.05, atol=1e-12)
    np.testing.assert_allclose(w_ph - w_ni, 0.3, atol=1e-12)
    # the transfer in kind lifts the poor more than the rich (through b ln w)
    base = GovernmentMultiscaleModel(2000, 5, seed=3)
    w0 = base.agents["wealth"]
    lw0 = np.log(w0)
    u0 = base.params["wealth_weight"] * (lw0 - lw0.mean())
    du = u_ph - u0
    poor, rich = w0 < np.quantile(w0, 0.2), w0 > np.quantile(w0, 0.8)
    assert du[poor].mean() > 2 * du[rich].mean() > 0
    np.testing.assert_allclose(u_ni - u0, 0.05, atol=1e-12)    # infrastructure: uniform


def test_example_policies_differ_in_effect():
    """Paired runs (same seed, same random numbers) of the two national policies differ."""
    out = {}
    for p in create_example_policies()[2:]:
        sim = GovernmentSimulation(1000, seed=5)
        sim.run(5)
        out[p.name] = sim.implement_policy(p, n_steps=10)["satisfaction_change"]
    assert out["national_infrastructure"] != out["public_health"]


@pytest.mark.parametrize("kwargs, exc, name", [
    (dict(name="p", scale="global"), ValueError, "scale"),
    (dict(name="p", scale="national", cost=-1.0), ValueError, "cost"),
    (dict(name="p", scale="national", cost=float("nan")), ValueError, "cost"),
    (dict(name="p", scale="national", effects={"happiness": 1.0}), ValueError, "effects"),
    (dict(name="p", scale="national", effects={"resources": -1.0}), ValueError, "resources"),
    (dict(name="p", scale="individual", effects={"target_quantile": 0.0}), ValueError,
     "target_quantile"),
    (dict(name="p", scale="individual", effects={"target_quantile": 1.5}), ValueError,
     "target_quantile"),
    (dict(name="", scale="national"), TypeError, "name"),
])
def test_policy_validation(kwargs, exc, name):
    with pytest.raises(exc, match=name):
        Policy(**kwargs)


def test_simulation_is_single_scale_with_fixed_cohesion():
    sim = GovernmentSimulation(500, seed=1, cohesion=0.7)
    assert sim.model.n_communities == 1 and sim.population_size == 500
    hist = sim.run(5)
    assert [h["step"] for h in hist] == [1, 2, 3, 4, 5]
    np.testing.assert_array_equal(sim.model.cohesion, [0.7])
    assert hist[-1]["avg_satisfaction"] == pytest.approx(
        sim.model.agents["satisfaction"].mean(), rel=1e-12)
    with pytest.raises(TypeError, match="meso_rate"):
        GovernmentSimulation(10, meso_rate=0.5)
    with pytest.raises(ValueError, match="population_size"):
        GovernmentSimulation(0)
    with pytest.raises(ValueError, match="cohesion"):
        GovernmentSimulation(10, cohesion=2.0)


def test_same_seed_reproduces():
    a = [h["avg_satisfaction"] for h in GovernmentSimulation(800, seed=3).run(10)]
    b = [h["avg_satisfaction"] for h in GovernmentSimulation(800, seed=3).run(10)]
    c = [h["avg_satisfaction"] for h in GovernmentSimulation(800, seed=4).run(10)]
    assert a == b and a != c


def test_implement_zero_policy_is_exactly_neutral():
    sim = GovernmentSimulation(1000, seed=2)
    sim.run(3)
    r = sim.implement_policy(Policy("nothing", "national"), n_steps=10)
    assert r["satisfaction_change"] == 0.0 and r["satisfaction_change_error"] == 0.0
    assert r["avg_satisfaction_before"] == r["avg_satisfaction_after"]
    assert sim.model.current_step == 3  # the paired run does not advance the simulation
    assert [p.name for p in sim.policies] == ["nothing"]


def test_implement_policy_matches_mean_field():
    """J = 0, b = 0, eta = 0: the paired change equals the exact change of E[sigmoid(h/T + xi)].

    Starting from the stationary state without policy, the treated run relaxes
    to the new stationary mean with factor (1 - inertia) per step; with
    inertia = 1 it gets there in one step, so the average over the window is
    the stationary difference.  Expected value by Gauss-Hermite quadrature;
    tolerance 4 standard errors of the paired difference.
    """
    T, a = 0.5, 0.4
    x, w = np.polynomial.hermite_e.hermegauss(80)

    def e_sig(h):
        return float(np.dot(w, _sigmoid(h / T + x)) / math.sqrt(2 * math.pi))

    cost, cw = 1.0, 0.1
    sim = GovernmentSimulation(20000, seed=7, coupling=0.0, wealth_weight=0.0, noise=T,
                               trust_noise=0.0, inertia=1.0, cost_weight=cw)
    sim.run(2)
    r = sim.implement_policy(Policy("n", "national", cost=cost, effects={"satisfaction": a}),
                             n_steps=40)
    expect = e_sig(a - cw * cost) - e_sig(0.0)
    assert r["satisfaction_change_error"] > 0
    assert abs(r["satisfaction_change"] - expect) < 4 * r["satisfaction_change_error"]
    assert r["satisfaction_change"] > 10 * r["satisfaction_change_error"]
    assert r["policy_effectiveness"] == pytest.approx(r["avg_satisfaction_after"] - 0.5, rel=1e-9)
    sim.remove_policy("n")
    assert sim.policies == []
