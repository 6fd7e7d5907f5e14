"""Fast tests of utacbook.ms_studies_model (the multiscale model chapter's study module)."""

import math

import numpy as np
import pytest

import utacbook.claims as uc
from utacbook.studies.multiscale import model as ms
from utacbook.models import GovernmentMultiscaleModel, MultiscaleModel


def test_run_replicas_matches_direct_model_run():
    r = ms.run_replicas(n_agents=300, n_communities=5, n_steps=12, n_seeds=3, seed=7)
    s = ms.replica_seeds(7, 3)[1]
    m = GovernmentMultiscaleModel(300, 5, seed=s)
    h = m.run(12, quantiles=False)
    np.testing.assert_array_equal(r["avg_satisfaction"][1],
                                  [x["micro_metrics"]["avg_satisfaction"] for x in h])
    np.testing.assert_array_equal(r["trust"][1], [x["macro"]["trust"] for x in h])
    # final between fraction equals the direct decomposition
    x = m.get_agent_variable("satisfaction")
    comm = m.agents["community"]
    mc = np.array([x[comm == c].mean() for c in range(5)])
    n = np.bincount(comm)
    between = np.dot(n, (mc - x.mean()) ** 2) / x.size
    assert r["between_fraction"][1] == pytest.approx(between / x.var(), rel=1e-10)


def test_mean_preservation_is_exact():
    m = GovernmentMultiscaleModel(500, 7, seed=3)
    m.run(20, quantiles=False)
    d = ms.mean_preservation(m)
    assert d["up_error"] < 1e-12
    assert d["down_error"] < 1e-12
    assert d["meso_roundtrip_error"] < 1e-12
    assert d["micro_mean"] == pytest.approx(m.get_agent_variable("satisfaction").mean(), abs=1e-14)


def test_same_schedule_gives_zero_paired_difference():
    c = ms.timescale_comparison(meso_interval=1, macro_interval=1, n_agents=200,
                                n_communities=4, n_steps=10, n_seeds=3, seed=1)
    for k, d in c["diff"].items():
        assert np.all(d == 0.0), k


def test_slow_schedule_changes_cohesion_beyond_errors():
    c = ms.timescale_comparison(meso_interval=5, macro_interval=10, n_agents=400,
                                n_communities=4, n_steps=20, n_seeds=6, seed=2)
    m, e = c["max_abs"]["avg_cohesion"]
    assert m > 4 * e and m > 0
    # steps 1..4 have no meso update in the slow schedule: cohesion stays at its initial value
    assert np.all(c["slow"]["avg_cohesion"][:, :4] == 0.5)


def test_mean_field_threshold_limits():
    # no wealth term: E[sigma'(xi)] for xi ~ N(0,1), computed by a fine Riemann sum
    x = np.linspace(-10, 10, 200001)
    p = np.exp(-x * x / 2) / math.sqrt(2 * math.pi)
    s = 1 / (1 + np.exp(-x))
    slope = float(np.sum(p * s * (1 - s)) * (x[1] - x[0]))
    d = ms.mean_field_coupling_threshold(noise=0.3, trust=1.0, wealth_weight=0.0, cohesion=0.5)
    assert d["T_eff"] == pytest.approx(0.3)
    assert d["slope"] == pytest.approx(slope, rel=1e-8)
    assert d["J_c"] == pytest.approx(0.3 / (2 * 0.5 * slope), rel=1e-8)


def test_coupling_separates_communities_beyond_errors():
    sc = ms.coupling_scan([0.0, 3.0], n_agents=500, n_communities=10, n_steps=60, n_seeds=6,
                          seed=0)
    lo, hi = sc["between_fraction"]
    err = math.hypot(*sc["between_fraction_err"])
    assert hi - lo > 4 * err
    assert hi > 0.9


def test_memory_is_linear_in_n():
    mm = ms.memory_per_citizen(N_values=(20_000, 40_000, 80_000))
    # the model documents 48 bytes per citizen (six float/int64 arrays)
    assert mm["slope"] == pytest.approx(48.0, rel=0.05)


def test_bad_input():
    with pytest.raises(ValueError, match="n_seeds"):
        ms.replica_seeds(0, 0)
    with pytest.raises(ValueError, match="seed"):
        ms.replica_seeds(-1, 2)
    with pytest.raises(TypeError, match="model_cls"):
        ms.run_replicas(model_cls=dict)
    with pytest.raises(ValueError, match="noise"):
        ms.mean_field_coupling_threshold(noise=0.0)
    with pytest.raises(ValueError, match="trusts"):
        ms.downward_causation(trusts=[0.5])
    with pytest.raises(TypeError, match="model"):
        ms.mean_preservation("model")


def test_custom_subclass_runs_through_run_replicas():
    class Fixed(MultiscaleModel):
        def _update_meso(self):
            self.cohesion = np.full(self.n_communities, 0.25)

    r = ms.run_replicas(n_agents=200, n_communities=4, n_steps=5, n_seeds=2, model_cls=Fixed)
    assert np.all(r["avg_cohesion"] == 0.25)


def test_plot_three_scales_draws_replica_means():
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    r = ms.run_replicas(n_agents=200, n_communities=4, n_steps=6, n_seeds=3, seed=5)
    fig, axes = ms.plot_three_scales(r)
    assert len(axes) == 4
    np.testing.assert_allclose(axes[0].lines[0].get_ydata(), r["avg_satisfaction"].mean(axis=0))
    np.testing.assert_allclose(axes[3].lines[1].get_ydata(), r["trust"].mean(axis=0))
    plt.close(fig)


# ------------------------------------------------------- claims and their measurements


def test_claims_are_the_texts_with_criteria():
    cl = ms.claims(n_seeds=12)
    ids = [c.id for c in cl]
    assert len(ids) == len(set(ids)) and all(i.startswith("ms.model.") for i in ids)
    assert all(c.source == "multiscale" and c.criterion is not None for c in cl)
    ts = {c.id: c for c in cl}["ms.model.timescales"].criterion
    assert ts.upper == pytest.approx(1 / math.sqrt(12)) and ts.lower == -ts.upper


def test_emergence_measurements_are_paired_differences():
    scan = {"J": np.array([0.0, 1.0, 2.0]),
            "between_fraction_seeds": np.array([[0.1, 0.2, 0.3], [0.2, 0.4, 0.3], [0.9, 0.9, 0.9]])}
    m = ms.emergence_measurements(scan)
    assert [x.condition for x in m] == ["J = 1", "J = 2"]
    d = np.array([0.1, 0.2, 0.0])
    assert m[0].value == pytest.approx(d.mean())
    assert m[0].err == pytest.approx(d.std(ddof=1) / math.sqrt(3))
    assert m[1].value == pytest.approx(0.7)
    with pytest.raises(ValueError, match="reference"):
        ms.emergence_measurements(scan, reference=0.5)


def test_coupling_scan_keeps_replica_values():
    sc = ms.coupling_scan([0.0, 1.0], n_agents=200, n_communities=4, n_steps=5, n_seeds=3, seed=2)
    assert sc["between_fraction_seeds"].shape == (2, 3)
    np.testing.assert_allclose(sc["between_fraction_seeds"].mean(axis=1), sc["between_fraction"])


def test_timescale_validity_same_schedule_has_no_bias():
    v = ms.timescale_validity((1.0,), steps=(5,), meso_interval=1, macro_interval=1,
                              n_agents=200, n_communities=4, n_seeds=4, seed=3)
    assert v["tolerance"] == pytest.approx(0.5)
    for name, (d, e) in v["d"][(1.0, 5)].items():
        assert d == 0.0 and e == 0.0, name
    (m,) = ms.timescale_measurements(v)
    assert m.condition == "J = 1, 5 steps" and m.value == 0.0
    crit = {c.id: c for c in ms.claims(n_seeds=4)}["ms.model.timescales"].criterion
    assert crit.test(m)[0]


def test_timescale_slow_schedule_shows_the_cohesion_lag():
    v = ms.timescale_validity((1.0,), steps=(10,), n_agents=300, n_communities=5, n_seeds=4,
                              seed=1)
    d, e = v["d"][(1.0, 10)]["avg_cohesion"]
    assert d < 0 and abs(d) > 4 * e           # cohesion relaxes five times more slowly per step
    (m,) = ms.timescale_measurements(v)
    assert "cohesion" in m.text


def test_timescale_measurement_picks_the_observable_nearest_to_failing():
    res = {"couplings": [1.0], "steps": [50], "tolerance": 0.3,
           "d": {(1.0, 50): {"avg_satisfaction": (0.5, 0.01), "micro_std": (0.9, 0.5),
                             "between_fraction": (0.0, 0.0), "avg_cohesion": (0.1, 0.1),
                             "trust": (-0.2, 0.1)}}}
    (m,) = ms.timescale_measurements(res)
    # |d| - 2 err: 0.48, -0.1, 0, -0.1, 0.0 -> mean satisfaction
    assert m.value == 0.5 and m.err == 0.01 and m.text.startswith("mean satisfaction")


def test_scaling_benchmark_fit_range_and_slope_errors():
    b = ms.scaling_benchmark(N_values=(2000, 4000, 8000), C_values=(2, 4), N_fixed=4000,
                             n_steps=2, repeats=2, fit_from=4000, seed=0)
    assert np.isfinite(b["slope_N_err"]) and np.isfinite(b["slope_C_err"])
    # the fit uses only N >= fit_from: recompute it from the stored minima
    sel = b["N"] >= 4000
    slope = np.polyfit(np.log(b["N"][sel]), np.log(b["t_N"][sel]), 1)[0]
    assert b["slope_N"] == pytest.approx(slope)
    with pytest.raises(ValueError, match="fit_from"):
        ms.scaling_benchmark(N_values=(2000, 4000), C_values=(2, 4), N_fixed=2000, n_steps=1,
                             repeats=1, fit_from=5000)


def test_memory_exponent_is_one():
    mm = ms.memory_per_citizen(N_values=(20_000, 40_000, 80_000))
    assert mm["exponent"] == pytest.approx(1.0, abs=0.01)


def test_downward_causation_pairs_the_between_share():
    dc = ms.downward_causation(trusts=(0.2, 0.8), n_agents=200, n_communities=4, n_steps=5,
                               n_seeds=3, seed=1)
    m, e = dc["paired_between_diff"]
    assert np.isfinite(m) and e >= 0


def test_timescale_measurements_zero_tolerance_picks_largest_significance():
    res = {"couplings": [1.0], "steps": [50], "tolerance": 0.3,
           "d": {(1.0, 50): {"avg_satisfaction": (0.05, 0.01), "micro_std": (0.35, 0.5),
                             "between_fraction": (0.0, 0.0), "avg_cohesion": (0.1, 0.1),
                             "trust": (-0.2, 0.15)}}}
    (m,) = ms.timescale_measurements(res, tolerance=0.0)
    # |d| - 2 err: 0.03, -0.65, 0, -0.1, -0.1 -> mean satisfaction, which a zero-bias criterion rejects
    assert m.value == 0.05 and m.text.startswith("mean satisfaction")
    assert not uc.Agreement(0.0, k=2).test(m)[0]
    with pytest.raises(ValueError):
        ms.timescale_measurements(res, tolerance=-1.0)


def test_half_coupling_interpolates_and_bootstraps():
    scan = {"J": np.array([0.0, 1.0, 2.0]),
            "between_fraction_seeds": np.array([[0.0, 0.0, 0.0, 0.0],
                                                [0.2, 0.4, 0.2, 0.4],
                                                [0.8, 0.8, 0.8, 0.8]])}
    j, e = ms.half_coupling(scan, n_boot=200, seed=1)
    assert j == pytest.approx(1.0 + (0.5 - 0.3) / (0.8 - 0.3))
    assert 0 < e < 0.2
    # a curve that never reaches the level has no crossing
    flat = dict(scan, between_fraction_seeds=scan["between_fraction_seeds"] * 0.1)
    assert math.isnan(ms.half_coupling(flat, n_boot=10)[0])


def test_polarisation_measurements_subtract_the_level():
    scan = {"J": np.array([0.0, 1.5]), "between_fraction": np.array([0.01, 0.8]),
            "between_fraction_err": np.array([0.001, 0.05])}
    (m,) = ms.polarisation_measurements(scan)
    assert m.condition == "J = 1.5" and m.value == pytest.approx(0.3) and m.err == 0.05
    assert uc.Sign(+1, k=3).test(m)[0]


def test_scaling_benchmark_straight_line_fit():
    b = ms.scaling_benchmark(N_values=(2000, 4000, 8000), C_values=(2, 4), N_fixed=4000,
                             n_steps=2, repeats=2, seed=0)
    b1, b0 = np.polyfit(b["N"].astype(float), b["t_N"], 1)
    assert b["per_citizen"] == pytest.approx(b1) and b["fixed_N"] == pytest.approx(b0)
    assert b["per_citizen"] > 0
