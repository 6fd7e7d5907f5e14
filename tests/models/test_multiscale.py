"""Tests of utacbook.multiscale: exact identities, hand computations, mean field, seeds."""

import math

import numpy as np
import pytest

from utacbook._kernels import multiscale as K
from utacbook.models import Policy
from utacbook.models import (GovernmentMultiscaleModel, MultiscaleModel, ScaleLevel, ScaleState,
                             analyze_scale_separation, gini)


def _sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def _history_arrays(model, n_steps):
    """Everything that evolves, stacked per step (for exact comparisons)."""
    out = []
    for _rec in model.run(n_steps, quantiles=False):
        out.append(np.concatenate([model.agents["satisfaction"], model.cohesion,
                                   model.mean_satisfaction,
                                   [model.approval, model.trust]]))
    return np.array(out)


# ---------------------------------------------------------------- structure

def test_balanced_communities_and_wealth_normalisation():
    m = MultiscaleModel(1003, 7, seed=3)
    assert m.size.sum() == 1003 and m.size.max() - m.size.min() <= 1 and m.size.min() > 0
    np.testing.assert_allclose(m.agents["wealth"].mean(), 1.0, rtol=1e-12)
    s = m.agents["satisfaction"]
    assert s.min() >= 0.4 and s.max() <= 0.6
    # resources = mean wealth per community, inequality = size-weighted Gini of them
    w, c = m.agents["wealth"], m.agents["community"]
    R = np.array([w[c == k].mean() for k in range(7)])
    np.testing.assert_allclose(m.resources, R, rtol=1e-12)
    assert m.resource_inequality == pytest.approx(gini(R, m.size), abs=1e-15)


def test_scale_state_get_variable():
    st = ScaleState(ScaleLevel.MACRO, {"a": 1.0}, 3)
    assert st.get_variable("a") == 1.0 and st.get_variable("b", 7) == 7
    m = MultiscaleModel(50, 5, seed=0)
    m.run(2)
    assert m.micro_state.timestamp == 2 and m.micro_state.level is ScaleLevel.MICRO
    assert m.meso_state.get_variable("cohesion") is m.cohesion
    assert m.macro_state.get_variable("trust") == m.trust


# --------------------------------------------------------- exact identities

def test_variance_identity_exact():
    m = GovernmentMultiscaleModel(1003, 7, seed=11)
    m.run(10)
    r = analyze_scale_separation(m)
    s = m.agents["satisfaction"]
    assert r["total_variance"] == pytest.approx(np.var(s), rel=1e-12)
    assert abs(r["total_variance"] - r["within_group_variance"]
               - r["between_group_variance"]) < 1e-12
    assert r["between_group_variance"] > 0 and r["within_group_variance"] > 0
    assert r["variance_ratio"] == pytest.approx(r["between_group_variance"]
                                                / r["within_group_variance"])
    # a constant variable has no variance at all
    m.set_agent_variable("const", np.full(1003, 2.5))
    r0 = analyze_scale_separation(m, "const")
    assert r0["total_variance"] == 0 and math.isnan(r0["variance_ratio"])


def test_upscale_after_downscale_preserves_means():
    m = MultiscaleModel(1003, 7, seed=5)
    m.run(5)
    s = m.agents["satisfaction"]
    d = m.downscale(ScaleLevel.MESO, ScaleLevel.MICRO)
    np.testing.assert_array_equal(d["satisfaction"], m.mean_satisfaction[m.agents["community"]])
    up = m.upscale(ScaleLevel.MICRO, ScaleLevel.MESO, variables=d)
    np.testing.assert_allclose(up["satisfaction"], m.mean_satisfaction, rtol=1e-13)
    np.testing.assert_allclose(up["satisfaction_std"], 0.0, atol=1e-13)
    top = m.upscale(ScaleLevel.MICRO, ScaleLevel.MACRO, variables=d)
    assert top["satisfaction"] == pytest.approx(s.mean(), rel=1e-12)
    assert m.upscale(ScaleLevel.MESO, ScaleLevel.MACRO)["satisfaction"] == pytest.approx(
        s.mean(), rel=1e-12)
    dm = m.downscale(ScaleLevel.MACRO, ScaleLevel.MESO)
    assert m.upscale(ScaleLevel.MESO, ScaleLevel.MACRO, variables=dm)["approval"] == \
        pytest.approx(m.approval, rel=1e-13)
    # meso upscale of the agents equals direct group means and std
    u = m.upscale(ScaleLevel.MICRO, ScaleLevel.MESO)
    c = m.agents["community"]
    np.testing.assert_allclose(u["satisfaction_std"], [s[c == k].std() for k in range(7)],
                               rtol=1e-10)
    with pytest.raises(ValueError, match="to_level"):
        m.upscale(ScaleLevel.MACRO, ScaleLevel.MICRO)
    with pytest.raises(ValueError, match="to_level"):
        m.downscale(ScaleLevel.MICRO, ScaleLevel.MESO)
    with pytest.raises(TypeError, match="from_level"):
        m.upscale("micro", ScaleLevel.MESO)


def test_gini_known_vectors():
    assert gini([3.0, 3.0, 3.0]) == 0.0
    assert gini([5.0]) == 0.0
    assert gini([0, 0, 0, 1.0]) == pytest.approx(0.75, abs=1e-15)
    assert gini([1.0, 2.0, 3.0]) == pytest.approx(2.0 / 9.0, abs=1e-15)
    # integer weights = repetition
    assert gini([1.0, 2.0], [2, 1]) == pytest.approx(gini([1.0, 1.0, 2.0]), abs=1e-15)
    rng = np.random.default_rng(0)
    R, w = rng.random(30), rng.random(30)
    brute = (w[:, None] * w[None, :] * np.abs(R[:, None] - R[None, :])).sum() / (
        2 * w.sum() ** 2 * np.dot(w, R) / w.sum())
    assert gini(R, w) == pytest.approx(brute, rel=1e-12)
    with pytest.raises(ValueError, match="values"):
        gini([-1.0, 1.0])


# --------------------------------------------------------------- dynamics

def test_deterministic_limit_by_hand():
    """noise -> 0 and inertia = 1: s_i = step(J k_c (2 sbar_c - 1) + h_i + b (ln w_i - <ln w>))."""
    m = MultiscaleModel(6, 2, seed=0, noise=1e-9, inertia=1.0, coupling=1.0, wealth_weight=0.2)
    m.set_agent_variable("community", np.array([0, 0, 0, 1, 1, 1]))
    m.set_agent_variable("wealth", np.array([1.0, 2.0, 0.5, 1.0, 3.0, 0.25]))
    m.set_agent_variable("satisfaction", np.array([0.9, 0.6, 0.6, 0.3, 0.45, 0.45]))
    m.set_agent_variable("field", np.array([0.0, -0.5, 0.1, 0.0, 0.1, 0.6]))
    # by hand: sbar = (0.7, 0.4); kappa = 0.5 -> community terms (+0.2, -0.1)
    lnw = np.log([1.0, 2.0, 0.5, 1.0, 3.0, 0.25])
    arg = np.array([0.2, 0.2, 0.2, -0.1, -0.1, -0.1]) + np.array([0.0, -0.5, 0.1, 0.0, 0.1, 0.6]) \
        + 0.2 * (lnw - lnw.mean())
    assert np.all(np.abs(arg) > 1e-3)
    m.step()
    np.testing.assert_array_equal(m.agents["satisfaction"], (arg > 0).astype(float))


@pytest.mark.parametrize("C", [3, 5000])  # per-chunk partial sums / serial community sums
def test_one_step_equals_numpy_formula(C):
    """With the kernel's own normals, one step equals the formula evaluated in NumPy."""
    m = MultiscaleModel(10000, C, seed=8, inertia=0.3, trust_noise=0.7)
    m.run(2)
    s0 = m.agents["satisfaction"].copy()
    c = m.agents["community"]
    xi = K.chunk_normals(m._states.copy(), m.n_agents)
    p = m.params
    T = p["noise"] * (1 + p["trust_noise"] * (1 - m.trust))
    lnw = np.log(m.agents["wealth"])
    arg = p["coupling"] * m.cohesion[c] * (2 * m.mean_satisfaction[c] - 1) \
        + p["wealth_weight"] * (lnw - lnw.mean())
    expect = 0.7 * s0 + 0.3 * _sigmoid(arg / T + xi)
    coh = m.cohesion.copy()
    m.step()
    np.testing.assert_allclose(m.agents["satisfaction"], expect, rtol=0, atol=1e-14)
    means = np.bincount(c, weights=expect, minlength=C) / m.size
    stds = np.sqrt(np.bincount(c, weights=(expect - means[c]) ** 2, minlength=C) / m.size)
    np.testing.assert_allclose(m.mean_satisfaction, means, atol=1e-12)
    np.testing.assert_allclose(m.std_satisfaction, stds, atol=1e-6)
    np.testing.assert_allclose(m.cohesion, 0.8 * coh + 0.2 * np.clip(1 - 2 * stds, 0, 1),
                               atol=1e-6)


def test_meso_and_macro_schedule_and_trust_formula():
    m = MultiscaleModel(500, 4, seed=2, meso_interval=3, macro_interval=2)
    k0, t0 = m.cohesion.copy(), m.trust
    m.step()
    np.testing.assert_array_equal(m.cohesion, k0)
    assert m.trust == t0
    m.step()  # step 2: macro
    assert m.trust == pytest.approx(0.9 * t0 + 0.1 * m.agents["satisfaction"].mean(), rel=1e-12)
    np.testing.assert_array_equal(m.cohesion, k0)
    m.step()  # step 3: meso
    assert not np.array_equal(m.cohesion, k0)


def test_same_seed_same_history_different_seed_differs():
    a = _history_arrays(GovernmentMultiscaleModel(5000, 6, seed=42), 8)
    b = _history_arrays(GovernmentMultiscaleModel(5000, 6, seed=42), 8)
    c = _history_arrays(GovernmentMultiscaleModel(5000, 6, seed=43), 8)
    np.testing.assert_array_equal(a, b)
    assert not np.allclose(a, c)


def test_zero_policy_changes_nothing():
    a = GovernmentMultiscaleModel(3000, 5, seed=9)
    b = GovernmentMultiscaleModel(3000, 5, seed=9)
    b.apply_policy(Policy("nothing", "individual", cost=0.0,
                          effects={"satisfaction": 0.0, "resources": 0.0}))
    np.testing.assert_array_equal(_history_arrays(a, 6), _history_arrays(b, 6))
    # and a real policy does change the history
    c = GovernmentMultiscaleModel(3000, 5, seed=9)
    c.apply_policy(Policy("p", "national", cost=0.0, effects={"satisfaction": 0.3}))
    assert not np.allclose(_history_arrays(c, 6), _history_arrays(
        GovernmentMultiscaleModel(3000, 5, seed=9), 6))


def test_policy_fields_targets_and_removal():
    m = GovernmentMultiscaleModel(1000, 10, seed=4, cost_weight=0.1)
    w0 = m.agents["wealth"].copy()
    u0 = m._u.copy()
    mask = m.apply_policy(Policy("w", "individual", cost=2.0,
                                 effects={"satisfaction": 0.5, "resources": 0.25,
                                          "target_quantile": 0.2}))
    assert mask.sum() == 200 and np.all(w0[mask] < w0[~mask].min())
    np.testing.assert_allclose(m.agents["field"], np.where(mask, 0.5, 0.0) - 0.2)
    np.testing.assert_allclose(m.agents["wealth"], w0 + 0.25 * mask)
    cm = m.apply_policy(Policy("g", "community",
                               effects={"resources": 1.0, "target_quantile": 0.3}))
    R0 = np.bincount(m.agents["community"], weights=m.agents["wealth"]) / m.size
    targeted = np.unique(m.agents["community"][cm])
    assert len(targeted) == 3
    np.testing.assert_allclose(m.resources, R0 + np.isin(np.arange(10), targeted), rtol=1e-12)
    with pytest.raises(ValueError, match="already active"):
        m.apply_policy(Policy("g", "national"))
    m.remove_policy("w")
    m.remove_policy("g")
    np.testing.assert_array_equal(m.agents["wealth"], w0)
    np.testing.assert_array_equal(m._u, u0)
    with pytest.raises(ValueError, match="name"):
        m.remove_policy("w")


def test_policy_with_explicit_targets():
    m = GovernmentMultiscaleModel(500, 5, seed=6, cost_weight=0.1)
    w0 = m.agents["wealth"].copy()
    t = np.zeros(500, dtype=bool)
    t[::7] = True
    mask = m.apply_policy(Policy("r", "individual", cost=1.0,
                                 effects={"satisfaction": 0.3, "resources": 0.5}), targets=t)
    np.testing.assert_array_equal(mask, t)
    np.testing.assert_allclose(m.agents["field"], np.where(t, 0.3, 0.0) - 0.1)
    np.testing.assert_allclose(m.agents["wealth"], w0 + 0.5 * t)
    mask[:] = False                       # the returned mask is a copy
    np.testing.assert_allclose(m.agents["field"], np.where(t, 0.3, 0.0) - 0.1)
    with pytest.raises(ValueError, match="individual"):
        m.apply_policy(Policy("c", "community"), targets=t)
    with pytest.raises(ValueError, match="boolean"):
        m.apply_policy(Policy("i", "individual"), targets=t[:10])
    with pytest.raises(ValueError, match="boolean"):
        m.apply_policy(Policy("j", "individual"), targets=t.astype(int))


def test_policy_effectiveness_definition():
    m = GovernmentMultiscaleModel(2000, 8, seed=6)
    assert m.run(1)[0]["macro_metrics"]["policy_effectiveness"] == 0.0
    pi = Policy("w", "individual", effects={"satisfaction": 1.0})
    pn = Policy("n", "national", effects={"satisfaction": 0.2})
    mask = m.apply_policy(pi)
    m.apply_policy(pn)
    rec = m.run(3)[-1]
    s = m.agents["satisfaction"]
    expect = 0.5 * ((s[mask].mean() - s[~mask].mean()) + (s.mean() - 0.5))
    assert rec["macro_metrics"]["policy_effectiveness"] == pytest.approx(expect, rel=1e-10)
    assert rec["macro_metrics"]["approval"] == pytest.approx(s.mean(), rel=1e-12)


def test_mean_field_stationary_mean():
    """C = 1, J = 0, b = 0, eta = 0: stationary <s> = E[sigmoid(h/T + xi)] (Gauss-Hermite)."""
    h, T = 0.3, 0.5
    x, wq = np.polynomial.hermite_e.hermegauss(80)
    exact = float(np.dot(wq, _sigmoid(h / T + x)) / np.sqrt(2 * np.pi))
    reps = []
    for seed in range(10):
        m = GovernmentMultiscaleModel(20000, 1, seed=seed, coupling=0.0, wealth_weight=0.0,
                                      noise=T, trust_noise=0.0, inertia=0.5)
        m.apply_policy(Policy("field", "national", cost=0.0, effects={"satisfaction": h}))
        hist = m.run(60, quantiles=False)
        reps.append(np.mean([r["micro_metrics"]["avg_satisfaction"] for r in hist[30:]]))
    reps = np.array(reps)
    mean, err = reps.mean(), reps.std(ddof=1) / math.sqrt(len(reps))
    assert abs(mean - exact) < 4 * err
    # the test can discriminate: without the noise term the answer is far outside the error bar
    assert abs(_sigmoid(h / T) - exact) > 50 * err


def test_agents_struct_of_arrays():
    m = MultiscaleModel(100, 4, seed=1)
    assert set(m.agents) >= {"satisfaction", "wealth", "community", "field"}
    assert m.get_agent_variable("satisfaction") is m.agents["satisfaction"]
    m.set_agent_variable("opinion", np.linspace(0, 1, 100))
    np.testing.assert_array_equal(m.get_agent_variable("opinion"), np.linspace(0, 1, 100))
    with pytest.raises(ValueError, match="values"):
        m.set_agent_variable("satisfaction", np.full(100, 1.5))
    with pytest.raises(ValueError, match="values"):
        m.set_agent_variable("wealth", np.zeros(100))
    with pytest.raises(ValueError, match="values"):
        m.set_agent_variable("opinion", np.zeros(99))
    with pytest.raises(ValueError, match="community"):
        m.set_agent_variable("community", np.zeros(100, dtype=int))
    with pytest.raises(ValueError, match="name"):
        m.get_agent_variable("nope")


def test_subclass_override_micro():
    class Frozen(MultiscaleModel):
        def _update_micro(self):
            self.agents["satisfaction"][:] = 0.25

    m = Frozen(200, 4, seed=0)
    rec = m.run(2)[-1]
    assert rec["micro_metrics"]["avg_satisfaction"] == pytest.approx(0.25, abs=1e-15)
    np.testing.assert_allclose(m.std_satisfaction, 0.0, atol=1e-7)
    # cohesion relaxes towards 1 when every community is uniform: 0.5 -> 0.6 -> 0.68
    np.testing.assert_allclose(m.cohesion, 0.68, atol=1e-6)


@pytest.mark.parametrize("kwargs, name", [
    (dict(n_agents=5, n_communities=6), "n_communities"),
    (dict(n_agents=0, n_communities=1), "n_agents"),
    (dict(n_agents=5, n_communities=0), "n_communities"),
    (dict(n_agents=5, n_communities=1, noise=float("nan")), "noise"),
    (dict(n_agents=5, n_communities=1, noise=0.0), "noise"),
    (dict(n_agents=5, n_communities=1, inertia=1.5), "inertia"),
    (dict(n_agents=5, n_communities=1, wealth_alpha=1.0), "wealth_alpha"),
    (dict(n_agents=5, n_communities=1, meso_interval=0), "meso_interval"),
    (dict(n_agents=5, n_communities=1, trust_rate=-0.1), "trust_rate"),
    (dict(n_agents=5, n_communities=1, coupling=float("inf")), "coupling"),
])
def test_bad_inputs_raise_naming_parameter(kwargs, name):
    with pytest.raises(ValueError, match=name):
        GovernmentMultiscaleModel(**kwargs)


def test_bad_types_raise():
    with pytest.raises(TypeError, match="unknown"):
        MultiscaleModel(10, 2, temperature=1.0)
    with pytest.raises(TypeError, match="n_agents"):
        MultiscaleModel(10.5, 2)
    with pytest.raises(TypeError, match="policy"):
        GovernmentMultiscaleModel(10, 2).apply_policy({"name": "x"})
    with pytest.raises(TypeError, match="model"):
        analyze_scale_separation(object())


def test_one_and_two_threads_identical(at_1_and_2_threads):
    def hist(C):
        return lambda: _history_arrays(GovernmentMultiscaleModel(20000, C, seed=77), 4)
    for C in (3, 10000):  # both reduction paths
        a, b = at_1_and_2_threads(hist(C))
        np.testing.assert_array_equal(a, b)


def test_downscale_macro_to_micro_and_back():
    m = GovernmentMultiscaleModel(600, 6, seed=12)
    m.run(3)
    d = m.downscale(ScaleLevel.MACRO, ScaleLevel.MICRO)
    assert set(d) == {"approval", "trust", "policy_effectiveness"}
    np.testing.assert_array_equal(d["trust"], np.full(600, m.trust))
    up = m.upscale(ScaleLevel.MICRO, ScaleLevel.MACRO, variables=d)
    assert up["trust"] == pytest.approx(m.trust, rel=1e-13) and up["trust_std"] < 1e-13
    with pytest.raises(ValueError, match="variables"):
        m.upscale(ScaleLevel.MESO, ScaleLevel.MACRO, variables={"x": np.ones(5)})


# ------------------------------------------------------ extension hooks (issue 14)

def test_agent_view_is_a_read_only_sequence_of_records_and_exposes_the_arrays():
    from collections.abc import Sequence

    from utacbook.models._multiscale import AgentRecord, AgentView
    m = GovernmentMultiscaleModel(300, 4, seed=2)
    view = m.micro_state.get_variable("agents", [])
    assert isinstance(view, AgentView) and isinstance(view, Sequence)
    assert len(view) == 300 and view.keys() == ("satisfaction", "wealth", "community", "field")
    assert "wealth" in view and "nope" not in view and view[5] in view
    # records: item and attribute access, Python scalars, live values
    r = view[-1]
    assert isinstance(r, AgentRecord) and r.index == 299
    assert r["wealth"] == r.wealth == m.agents["wealth"][299] and type(r.community) is int
    assert dict(r) == {k: m.agents[k][299].item() for k in m.agents}
    assert [x.index for x in view[10:13]] == [10, 11, 12]
    assert sum(x.satisfaction for x in view) == pytest.approx(m.agents["satisfaction"].sum(), rel=1e-12)
    m.run(2)
    assert r.satisfaction == m.agents["satisfaction"][299]          # a kept record shows the current state
    # arrays: the model's memory, not writeable through the view
    s = view["satisfaction"]
    assert np.shares_memory(s, m.agents["satisfaction"]) and not s.flags.writeable
    assert set(view.arrays) == set(m.agents) and not view.arrays["wealth"].flags.writeable
    with pytest.raises(ValueError):
        s[0] = 0.0
    for write in (lambda: r.__setitem__("satisfaction", 0.1), lambda: setattr(r, "wealth", 2.0),
                  lambda: view.__setitem__(0, None)):
        with pytest.raises(TypeError, match="read-only: change citizens with model.set_agent_variable"):
            write()
    with pytest.raises(IndexError):
        view[300]
    with pytest.raises(KeyError, match="the agent variables are"):
        view["state"]
    with pytest.raises(KeyError, match="agent record has the variables"):
        r["state"]
    with pytest.raises(TypeError, match="indexed by"):
        view[1.5]
    # a custom variable appears in the view; the micro state keeps the arrays beside the view
    m.set_agent_variable("opinion", np.linspace(0, 1, 300))
    assert view["opinion"][-1] == 1.0 and view[0].opinion == 0.0
    assert m.micro_state.get_variable("satisfaction") is m.agents["satisfaction"]


class _Returning(MultiscaleModel):
    """A _micro_to_meso override that returns whatever the class attribute ``groups`` gives."""

    groups = None

    def _micro_to_meso(self):
        g = type(self).groups
        return g(self) if callable(g) else g


def _returning(groups):
    return type("Returning", (_Returning,), {"groups": staticmethod(groups) if callable(groups) else groups})


def test_groups_returned_by_micro_to_meso_become_the_membership():
    N, C = 600, 6
    labels = np.arange(N) * C // N
    for groups in (labels, list(labels), [np.flatnonzero(labels == c) for c in range(C)]):
        m = _returning(groups)(N, C, seed=3)
        np.testing.assert_array_equal(m.agents["community"], labels)
        np.testing.assert_array_equal(m.size, np.full(C, N // C))
        m.run(5)
        # the means are computed for the new membership: same as setting it on the base model
        ref = MultiscaleModel(N, C, seed=3)
        ref.set_agent_variable("community", labels)
        ref.run(5)
        np.testing.assert_allclose(m.mean_satisfaction, ref.mean_satisfaction, rtol=1e-12)
        np.testing.assert_allclose(m.agents["satisfaction"], ref.agents["satisfaction"], rtol=1e-12)
        assert m.approval == pytest.approx(ref.approval, rel=1e-12) and 0.3 < m.approval < 0.7
    # groups that change every step are honoured every step
    moving = _returning(lambda self: np.roll(np.arange(N) % C, self.current_step))(N, C, seed=3)
    moving.run(3)
    np.testing.assert_array_equal(moving.agents["community"], np.roll(np.arange(N) % C, 3))
    s, c = moving.agents["satisfaction"], moving.agents["community"]
    np.testing.assert_allclose(moving.mean_satisfaction, [s[c == k].mean() for k in range(C)], rtol=1e-12)


@pytest.mark.parametrize("groups, exc, got", [
    (np.linspace(0, 5, 600), TypeError, "an array of shape (600,) and dtype float64"),
    (np.arange(300) % 6, ValueError, "300 labels"),
    ({"a": 1}, TypeError, "a dict"),
    ("groups", TypeError, "a str"),
    ([], ValueError, "an empty list"),
    ([np.arange(300), np.arange(300, 600)], ValueError, "2 index arrays"),
    ([np.arange(100 * k, 100 * k + 100) for k in range(5)] + [np.array([], dtype=int)], ValueError,
     "an empty group 5"),
    ([np.arange(100 * k, 100 * k + 100) for k in range(5)] + [np.arange(0, 100)], ValueError,
     "6 index arrays that do not hold every citizen 0..599 exactly once"),
    ([np.arange(100 * k, 100 * k + 100) * 1.0 for k in range(6)], TypeError, "group 0 of dtype float64"),
])
def test_micro_to_meso_returning_something_else_is_refused_saying_what_to_return(groups, exc, got):
    with pytest.raises(exc) as info:
        _returning(groups)(600, 6, seed=0)
    msg = str(info.value)
    assert f"Returning._micro_to_meso returned {got}" in msg
    assert ("return the groups: an integer array of 600 community labels in 0..5, or a sequence of 6 integer "
            "index arrays that partition 0..599") in msg


def test_groups_with_bad_labels_and_silent_overrides_are_refused():
    with pytest.raises(ValueError, match="the groups returned by Returning._micro_to_meso must lie in 0..5"):
        _returning(np.arange(600) % 7)(600, 6, seed=0)
    with pytest.raises(ValueError, match="the groups returned by Returning._micro_to_meso must leave no community"):
        _returning(np.arange(600) % 5)(600, 6, seed=0)

    class Silent(MultiscaleModel):          # neither returns groups nor sets the means
        def _micro_to_meso(self):
            self.agents["satisfaction"]

    with pytest.raises(TypeError, match="Silent._micro_to_meso left mean_satisfaction unset: it must return None"):
        Silent(100, 4, seed=0)

    class OwnMeans(MultiscaleModel):        # sets the means itself: accepted
        def _micro_to_meso(self):
            s, c = self.agents["satisfaction"], self.agents["community"]
            self.mean_satisfaction = np.bincount(c, weights=s) / self.size
            self.std_satisfaction = np.sqrt(np.bincount(c, weights=s * s) / self.size - self.mean_satisfaction ** 2)

    m = OwnMeans(100, 4, seed=0)
    ref = MultiscaleModel(100, 4, seed=0)
    np.testing.assert_allclose(m.mean_satisfaction, ref.mean_satisfaction, rtol=1e-12)


def test_base_aggregation_path_is_unchanged_by_the_hook():
    class Super(GovernmentMultiscaleModel):
        def _micro_to_meso(self):
            return super()._micro_to_meso()   # None: the base path

    for N, C in ((1000, 10), (20000, 10000)):   # both reduction paths of the kernel
        a = _history_arrays(GovernmentMultiscaleModel(N, C, seed=5), 4)
        b = _history_arrays(Super(N, C, seed=5), 4)
        np.testing.assert_array_equal(a, b)
    assert MultiscaleModel._micro_to_meso(MultiscaleModel(50, 5, seed=0)) is None


def test_community_policy_refused_with_one_community():
    from utacbook.models import GovernmentSimulation
    grants = Policy("grants", "community", cost=0.8, effects={"satisfaction": 0.3, "resources": 0.3})
    m = GovernmentMultiscaleModel(200, 1, seed=0)
    h0 = m.agents["field"].copy()
    with pytest.raises(ValueError, match="'community' policy, which needs n_communities >= 2: .* tax every citizen"):
        m.apply_policy(grants)
    assert m.policies == [] and np.array_equal(m.agents["field"], h0)
    # the single-scale simulation is one community: it refuses too, and stays as it was
    sim = GovernmentSimulation(200, seed=0)
    with pytest.raises(ValueError, match="single-scale GovernmentSimulation has one community"):
        sim.implement_policy(grants, n_steps=5)
    assert sim.policies == [] and sim.model.current_step == 0
    # with two communities it is applied as before
    assert GovernmentMultiscaleModel(200, 2, seed=0).apply_policy(grants).sum() > 0


def test_serial_and_parallel_micro_kernels_give_the_same_bits():
    # the dispatcher uses the serial kernel below PARALLEL_MIN_CHUNKS chunks; both must agree bit for bit
    from utacbook._kernels import multiscale as K
    from utacbook._kernels.rng import make_streams
    rng = np.random.default_rng(0)
    for n, C in ((3 * K.CHUNK + 17, 5), (K.CHUNK - 3, 3)):
        n_chunks = -(-n // K.CHUNK)
        comm = rng.integers(0, C, n).astype(np.int64)
        g, u = rng.normal(size=C), rng.normal(size=n)
        out = []
        for kernel in (K.micro_step_serial, K.micro_step_parallel):
            s = rng.random(n) if not out else out[0][3].copy()
            states, _ = make_streams(7, n_chunks)
            ps, pq = np.zeros((n_chunks, C)), np.zeros((n_chunks, C))
            s0 = s.copy()
            kernel(s, comm, g, u, 1 / 0.4, 0.5, states, ps, pq, True)
            out.append((s, ps, pq, s0))
        for a, b in zip(out[0][:3], out[1][:3]):
            np.testing.assert_array_equal(a, b)
