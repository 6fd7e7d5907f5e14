"""Tests of utacbook.troubleshooting: the settings comparison and the equilibration study.

Statistical tolerances come from the replica standard errors of the quantity
tested (4 s.e.m.), never from values the code happened to print.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

import utacbook as ub
from utacbook import theory
from utacbook import troubleshooting as ts

# small, fast settings shared by the tests
SMALL = dict(R_min=-2.0, R_max=2.0, n_points=9, n_steps=10, n_replicas=3, seed=11)


def small_base(**kw):
    return ub.ABMParams(J=kw.pop("J", 0.8), T=kw.pop("T", 0.3), lattice_size=kw.pop("L", 8), **kw)


# --------------------------------------------------------------------------- compare_settings


def test_variant_equal_to_base_gives_identical_numbers():
    rows = ts.compare_settings(small_base(), {"empty": {}, "explicit": {"J": 0.8, "n_steps": 10,
                                                                        "lattice_size": 8}},
                               **SMALL)
    base = rows[0]
    for row in rows[1:]:
        np.testing.assert_array_equal(row["betas"], base["betas"])
        np.testing.assert_array_equal(row["r_squared"], base["r_squared"])
        np.testing.assert_array_equal(row["sigma_mean"], base["sigma_mean"])
        assert row["delta_beta"] == 0.0 and row["delta_r2"] == 0.0
        assert row["beta_ratio"] == 1.0 and row["speedup"] == 1.0


def test_rows_agree_with_the_guides_simulator_and_seed_matters():
    rows = ts.compare_settings(small_base(), {"T=0.5": {"T": 0.5, "n_points": 7}}, **SMALL)
    direct = ub.EmergentBetaSimulator(ub.ABMParams(J=0.8, T=0.5, lattice_size=8, seed=11))
    ref = direct.compute_emergent_beta_replicas(3, -2.0, 2.0, 7, n_steps=10)
    np.testing.assert_array_equal(rows[1]["betas"], ref["betas"])
    np.testing.assert_array_equal(rows[1]["sigma_mean"], ref["sigma_mean"])
    other = ts.compare_settings(small_base(), {}, **{**SMALL, "seed": 12})
    assert not np.array_equal(other[0]["betas"], rows[0]["betas"])


def test_rows_have_the_documented_keys_counts_and_costs():
    rows = ts.compare_settings(small_base(), {"wide": {"R_min": -3, "R_max": 3},
                                              "L16": {"lattice_size": 16, "n_steps": 5}},
                               **{**SMALL, "n_replicas": 4})
    assert [r["name"] for r in rows] == ["base", "wide", "L16"]
    keys = {"name", "changes", "settings", "J_over_T", "n_replicas", "n_ok", "reasons", "betas",
            "r_squared", "thetas", "beta_mean", "beta_std", "beta_sem", "r2_mean", "r2_std",
            "theta_mean", "theta_std", "n_grid_limited", "grid_spacing", "beta_mf", "updates",
            "runtime_s", "seed", "R_values", "sigma_mean", "sigma_sem", "delta_beta",
            "delta_beta_sem", "delta_r2", "delta_r2_sem", "beta_ratio", "speedup"}
    for r in rows:
        assert keys <= set(r)
        assert r["n_replicas"] == 4 and r["betas"].shape == (4,) and r["seed"] == 11
        s = r["settings"]
        assert r["updates"] == s["n_points"] * s["n_steps"] * s["lattice_size"] ** 2
        assert r["beta_sem"] == pytest.approx(r["beta_std"] / 2.0)
        assert len(r["R_values"]) == s["n_points"]
    assert rows[1]["settings"]["R_min"] == -3.0 and rows[1]["settings"]["lattice_size"] == 8
    assert rows[1]["grid_spacing"] == pytest.approx(6.0 / 8)
    assert rows[2]["settings"]["n_steps"] == 5 and rows[2]["settings"]["R_max"] == 2.0
    assert rows[2]["speedup"] == pytest.approx(0.5)   # 4x the sites, half the sweeps
    assert rows[0]["J_over_T"] == pytest.approx(0.8 / 0.3)
    no_base = ts.compare_settings(small_base(), {"a": {}}, include_base=False, **SMALL)
    assert [r["name"] for r in no_base] == ["a"] and "delta_beta" not in no_base[0]


@pytest.mark.parametrize("variants, kw, match", [
    ({"x": {"beta": 3}}, {}, "beta"),
    ({"x": {"T": -1.0}}, {}, "T must be > 0"),
    ({"x": {"lattice_size": 1}}, {}, "lattice_size"),
    ({"x": {"n_points": 2}}, {}, "n_points"),
    ({"x": {"R_min": 3.0}}, {}, "R_min"),
    ({"x": {"n_steps": 0}}, {}, "n_steps"),
    ({}, {"n_replicas": 1}, "n_replicas"),
    ({"base": {}}, {}, "base_name"),
])
def test_bad_input_raises_value_error_naming_the_parameter(variants, kw, match):
    with pytest.raises(ValueError, match=match):
        ts.compare_settings(small_base(), variants, **{**SMALL, **kw})


def test_bad_types_raise_type_error():
    with pytest.raises(TypeError, match="base_params"):
        ts.compare_settings({"J": 0.8}, {}, **SMALL)
    with pytest.raises(TypeError, match="variants"):
        ts.compare_settings(small_base(), [("x", {})], **SMALL)
    with pytest.raises(TypeError, match="variants\\['x'\\]"):
        ts.compare_settings(small_base(), {"x": 0.5}, **SMALL)


def test_beta_at_zero_coupling_equals_the_exact_single_site_response():
    """At J = 0 the agents are independent and mean field is exact: the mean
    activation is g(h/T) on average, so the fitted beta must equal the same fit
    applied to g(h/T) on the same grid, within 4 replica standard errors."""
    T = 0.3
    rows = ts.compare_settings(ub.ABMParams(J=0.0, T=T, lattice_size=32), {"T/2": {"T": T / 2}},
                               n_points=21, n_steps=20, n_replicas=6, seed=2025)
    for row in rows:
        t = row["settings"]["T"]
        exact = theory.mean_field_emergent_beta(0.0, t, n_points=21)[0]
        assert row["beta_mf"] == pytest.approx(exact)
        assert row["n_ok"] == 6 and row["beta_sem"] > 0
        assert abs(row["beta_mean"] - exact) < 4 * row["beta_sem"], (t, row["beta_mean"], exact)
        # and the midpoint is the exact Theta = -J/2 = 0 (grid symmetric about it)
        assert abs(row["theta_mean"]) < 4 * row["theta_std"] / math.sqrt(6) + 1e-12
    # beta is proportional to 1/T at J = 0 (g is fixed, the field is rescaled):
    # halving T doubles beta, up to the fit-on-grid effect that mean field also has
    ratio = rows[1]["beta_ratio"]
    ratio_mf = rows[1]["beta_mf"] / rows[0]["beta_mf"]
    err = ratio * math.hypot(rows[0]["beta_sem"] / rows[0]["beta_mean"],
                             rows[1]["beta_sem"] / rows[1]["beta_mean"])
    assert abs(ratio - ratio_mf) < 4 * err


# --------------------------------------------------------------------------- display helpers


def test_settings_table_has_one_line_per_row_with_the_numbers():
    rows = ts.compare_settings(small_base(), {"wide": {"R_min": -3, "R_max": 3}}, **SMALL)
    text = ts.settings_table(rows, display=False)
    lines = text.splitlines()
    assert len(lines) == 2 + len(rows)
    assert lines[2].startswith("| **base** |") and "0 (base)" in lines[2]
    assert f"{rows[1]['beta_mean']:.3g} ± {rows[1]['beta_std']:.2g}" in lines[3]
    assert "R_min=-3" in lines[3]
    short = ts.settings_table(rows, runtime=False, mean_field=False, display=False)
    assert short.splitlines()[0].count("|") == 6
    with pytest.raises(ValueError, match="rows"):
        ts.settings_table([], display=False)


def test_plot_settings_draws_one_point_per_row():
    import matplotlib.pyplot as plt
    rows = ts.compare_settings(small_base(), {"wide": {"R_min": -3, "R_max": 3}}, **SMALL)
    fig, axes = ts.plot_settings(rows, reference=[1.0, 2.0], reference_label="J/T")
    labels = [t.get_text() for t in axes[0].get_yticklabels()]
    assert sorted(labels) == ["base", "wide"]
    assert axes[0].get_legend() is not None
    plt.close(fig)


# --------------------------------------------------------------------------- equilibration


def test_convergence_sweep_on_known_traces():
    t = np.arange(1, 101)
    tau, A, tol = 7.0, 0.4, 1e-3
    trace = 0.25 + A * np.exp(-t / tau)
    expected = math.ceil(tau * math.log(A / tol))   # first t with A e^(-t/tau) <= tol
    assert ts.convergence_sweep(trace, 0.25, tol) == expected
    spike = np.full(100, 0.5)
    spike[40] += 0.1                                 # sweep 41 leaves the band
    assert ts.convergence_sweep(spike, 0.5, 0.01) == 42
    assert ts.convergence_sweep(spike, 0.5, 0.2) == 1
    assert ts.convergence_sweep(np.ones(10), 0.0, 0.5) == 11
    with pytest.raises(ValueError, match="tol"):
        ts.convergence_sweep(spike, 0.5, -1.0)


def test_equilibration_study_at_zero_coupling_settles_to_the_exact_mean():
    """At J = 0 a site forgets its start at its first update, so after ~ln(N)
    sweeps the mean is g(h/T); the final value must match it within 4 s.e.m."""
    h = np.array([-0.3, 0.0, 0.4])
    T, n_rep, tail = 0.25, 6, 30
    st = ts.equilibration_study(0.0, T, h, lattice_size=32, n_steps=60, n_replicas=n_rep,
                                seed=7, tail=tail)
    assert st["mean"].shape == (3, 60) and st["sem"].shape == (3, 60)
    assert list(st["sweeps"][:2]) == [1, 2] and st["seed"] == 7
    exact = theory.single_site_response(h, T)
    # error of the final value: the tail average of the replica-mean trace;
    # its s.e.m. is at most the per-sweep s.e.m. (tail averaging only helps)
    assert np.all(np.abs(st["final"] - exact) < 4 * st["sem"][:, -tail:].mean(axis=1))
    assert np.all(st["settled"]) and np.all(st["converged_at"] <= 20)
    # the h = 0 start (uniform, mean 1/2) is already the stationary mean
    assert st["converged_at"][1] <= 3


def test_equilibration_study_validates_its_arguments():
    with pytest.raises(ValueError, match="tail"):
        ts.equilibration_study(0.8, 0.2, [0.0], n_steps=10, tail=10)
    with pytest.raises(ValueError, match="T must be > 0"):
        ts.equilibration_study(0.8, 0.0, [0.0])
    with pytest.raises(ValueError, match="n_replicas"):
        ts.equilibration_study(0.8, 0.2, [0.0], n_replicas=1)
    with pytest.raises(ValueError, match="h_values"):
        ts.equilibration_study(0.8, 0.2, [np.nan])


# --------------------------------------------------------------------------- sweeps study (issue 11)


def test_scan_points_next_to_midpoint():
    np.testing.assert_allclose(ts.scan_points_next_to_midpoint(0.8), [-0.5, -1 / 3])
    np.testing.assert_allclose(ts.scan_points_next_to_midpoint(0.15), [-1 / 6, 0.0], atol=1e-12)
    np.testing.assert_allclose(ts.scan_points_next_to_midpoint(1.0), [-0.5])       # on the grid
    np.testing.assert_allclose(ts.scan_points_next_to_midpoint(5.0), [-2.0])       # off the grid
    with pytest.raises(ValueError, match="n_points"):
        ts.scan_points_next_to_midpoint(0.8, n_points=2)


def test_sweeps_study_at_zero_coupling_relaxes_to_the_exact_values():
    """At J = 0 the long-run replica mean of sigma-bar is g(h/T) exactly, and q has the
    exact mean (g - 1/2)^2 + Var(sigma)/N; both within 4 standard errors.  The spot check
    reproduces the stored traces exactly, and a condition near K_c is added on request."""
    from utacbook.criticality import single_site_variance
    T, L = 0.25, 16
    st = ts.sweeps_study(systems={"free": {"J": 0.0, "T": T}}, K_near=5.5, lattice_size=L,
                         n_sweeps=120, tail=60, n_replicas=8, check_sweeps=(5, 20, 50),
                         n_stored=30, seed=4)
    free, near = st["conditions"]
    assert near["K"] == pytest.approx(5.5) and near["h"].tolist() == [-0.5]
    assert free["h"].tolist() == [0.0]                         # J = 0: -J/2 = 0 is a grid point
    h = free["h"][0]
    g = float(theory.single_site_response(h, T))
    var = float(single_site_variance(h, T))
    r_sig, r_q = free["points"][0]["sigma"], free["points"][0]["q"]
    assert abs(r_sig["final"] - g) <= 4 * r_sig["final_err"]
    assert abs(r_q["final"] - ((g - 0.5) ** 2 + var / L ** 2)) <= 4 * r_q["final_err"]
    assert r_q["final_err"] > 0
    # independent agents forget the start after a few sweeps: within 4 s.e. from sweep 20 on
    assert np.all(np.abs(r_sig["z"][1:]) < 4) and np.all(np.abs(r_q["z"][1:]) < 4)
    assert ts.first_within(free, st["check_sweeps"], n_sigma=4) in (5, 20)
    assert r_sig["tau_int"] < 2
    w = ts.worst_deviation(free, st["check_sweeps"], 20)
    assert w["observable"] in ("sigma", "q") and abs(w["z"]) < 4
    with pytest.raises(ValueError, match="check sweeps"):
        ts.worst_deviation(free, st["check_sweeps"], 7)
    for c in (0, "K = 5.5 (near K_c)"):
        chk = ts.sweeps_spot_check(st, c, n_check=40)
        assert chk["max_abs_diff"] == 0.0 and chk["n_compared"] > 5
    with pytest.raises(ValueError, match="condition"):
        ts.sweeps_spot_check(st, "nope")


def test_first_within_and_worst_deviation_on_a_made_up_condition():
    checks = [10, 100, 1000]
    cond = {"points": [{"h": -0.5, "sigma": {"z": [5.0, 2.0, -3.5], "dev": [1, 2, 3], "dev_err": [1, 1, 1]},
                        "q": {"z": [-9.0, -1.0, 0.5], "dev": [4, 5, 6], "dev_err": [1, 1, 1]}}]}
    assert ts.first_within(cond, checks) == 100               # first entry, not "stays"
    assert ts.first_within(cond, checks, n_sigma=1.5) is None
    w = ts.worst_deviation(cond, checks, 10)
    assert (w["observable"], w["z"], w["dev"]) == ("q", -9.0, 4.0)


def test_worst_deviation_from_scans_the_stored_sweeps_in_range():
    """z = (mean - final) / sqrt(sem^2 + final_err^2) at every stored sweep in [start, stop];
    the largest |z| over points and observables is returned with where it occurred."""
    sweeps = [1, 10, 100, 1000, 5000]
    pt = {"h": -0.5,
          "sigma": {"mean": [0.9, 0.5, 0.56, 0.46, 0.5], "sem": [0.01, 0.01, 0.03, 0.03, 0.03],
                    "final": 0.5, "final_err": 0.04},
          "q": {"mean": [0.0, 0.0, 0.01, 0.01, 0.01], "sem": [0.0, 0.0, 0.0, 0.0, 0.0],
                "final": 0.01, "final_err": 0.002}}
    cond = {"points": [pt]}
    w = ts.worst_deviation_from(cond, sweeps, 1)                 # sweep 1: (0.9-0.5)/hypot(0.01, 0.04)
    assert (w["sweep"], w["observable"]) == (1, "sigma")
    assert w["z"] == pytest.approx(0.4 / math.hypot(0.01, 0.04))
    w = ts.worst_deviation_from(cond, sweeps, 100)               # 0.06/0.05 at 100 beats -0.04/0.05
    assert (w["sweep"], w["observable"], w["n_sweeps"]) == (100, "sigma", 3)
    assert w["z"] == pytest.approx(1.2) and w["dev_err"] == pytest.approx(0.05)
    w = ts.worst_deviation_from(cond, sweeps, 100, stop=100)
    assert w["n_sweeps"] == 1
    w = ts.worst_deviation_from(cond, sweeps, 2, stop=10)        # q at sweep 10: -0.01/0.002
    assert (w["sweep"], w["observable"]) == (10, "q") and w["z"] == pytest.approx(-5.0)
    with pytest.raises(ValueError, match="no stored sweep"):
        ts.worst_deviation_from(cond, sweeps, 6000)


def test_sweeps_study_validates_and_plots():
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    with pytest.raises(ValueError, match="check_sweeps"):
        ts.sweeps_study(systems={"a": {"J": 0.0, "T": 0.3}}, n_sweeps=50, tail=20, check_sweeps=(40,))
    with pytest.raises(ValueError, match="tail"):
        ts.sweeps_study(systems={"a": {"J": 0.0, "T": 0.3}}, n_sweeps=50, tail=50)
    st = ts.sweeps_study(systems={"a": {"J": 0.4, "T": 0.3}}, lattice_size=8, n_sweeps=40, tail=20,
                         n_replicas=3, check_sweeps=(5, 10), n_stored=10, seed=1)
    ax = ts.plot_sweeps_study(st)
    assert len(ax.get_lines()) >= 2
    plt.close(ax.figure)
