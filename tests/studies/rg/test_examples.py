"""Tests of utacbook.troubleshooting: the settings comparison and the equilibration study.

Statistical tolerances come from the replica standard errors of the quantity
tested (4 s.e.m.), never from values the code happened to print.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

import utacbook as ub
from utacbook.theory import _mean_field as theory
from utacbook.studies.rg import examples

# small, fast settings shared by the tests
SMALL = dict(R_min=-2.0, R_max=2.0, n_points=9, n_steps=10, n_replicas=3, seed=11)


def small_base(**kw):
    return ub.ABMParams(J=kw.pop("J", 0.8), T=kw.pop("T", 0.3), lattice_size=kw.pop("L", 8), **kw)


# --------------------------------------------------------------------------- compare_settings


def test_variant_equal_to_base_gives_identical_numbers():
    rows = examples.compare_settings(small_base(), {"empty": {}, "explicit": {"J": 0.8, "n_steps": 10,
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
    rows = examples.compare_settings(small_base(), {"T=0.5": {"T": 0.5, "n_points": 7}}, **SMALL)
    direct = ub.EmergentBetaSimulator(ub.ABMParams(J=0.8, T=0.5, lattice_size=8, seed=11))
    ref = direct.compute_emergent_beta_replicas(3, -2.0, 2.0, 7, n_steps=10)
    np.testing.assert_array_equal(rows[1]["betas"], ref["betas"])
    np.testing.assert_array_equal(rows[1]["sigma_mean"], ref["sigma_mean"])
    other = examples.compare_settings(small_base(), {}, **{**SMALL, "seed": 12})
    assert not np.array_equal(other[0]["betas"], rows[0]["betas"])


def test_rows_have_the_documented_keys_counts_and_costs():
    rows = examples.compare_settings(small_base(), {"wide": {"R_min": -3, "R_max": 3},
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
    no_base = examples.compare_settings(small_base(), {"a": {}}, include_base=False, **SMALL)
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
        examples.compare_settings(small_base(), variants, **{**SMALL, **kw})


def test_bad_types_raise_type_error():
    with pytest.raises(TypeError, match="base_params"):
        examples.compare_settings({"J": 0.8}, {}, **SMALL)
    with pytest.raises(TypeError, match="variants"):
        examples.compare_settings(small_base(), [("x", {})], **SMALL)
    with pytest.raises(TypeError, match="variants\\['x'\\]"):
        examples.compare_settings(small_base(), {"x": 0.5}, **SMALL)


def test_beta_at_zero_coupling_equals_the_exact_single_site_response():
    """At J = 0 the agents are independent and mean field is exact: the mean
    activation is g(h/T) on average, so the fitted beta must equal the same fit
    applied to g(h/T) on the same grid, within 4 replica standard errors."""
    T = 0.3
    rows = examples.compare_settings(ub.ABMParams(J=0.0, T=T, lattice_size=32), {"T/2": {"T": T / 2}},
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
    rows = examples.compare_settings(small_base(), {"wide": {"R_min": -3, "R_max": 3}}, **SMALL)
    text = examples.settings_table(rows, display=False)
    lines = text.splitlines()
    assert len(lines) == 2 + len(rows)
    assert lines[2].startswith("| **base** |") and "0 (base)" in lines[2]
    assert f"{rows[1]['beta_mean']:.3g} ± {rows[1]['beta_std']:.2g}" in lines[3]
    assert "R_min=-3" in lines[3]
    short = examples.settings_table(rows, runtime=False, mean_field=False, display=False)
    assert short.splitlines()[0].count("|") == 6
    with pytest.raises(ValueError, match="rows"):
        examples.settings_table([], display=False)


def test_plot_settings_draws_one_point_per_row():
    import matplotlib.pyplot as plt
    rows = examples.compare_settings(small_base(), {"wide": {"R_min": -3, "R_max": 3}}, **SMALL)
    fig, axes = examples.plot_settings(rows, reference=[1.0, 2.0], reference_label="J/T")
    labels = [t.get_text() for t in axes[0].get_yticklabels()]
    assert sorted(labels) == ["base", "wide"]
    assert axes[0].get_legend() is not None
    plt.close(fig)


# --------------------------------------------------------------------------- guide_api_tour


def test_guide_api_tour_covers_every_entry_and_every_check_passes():
    tab = examples.guide_api_tour(lattice_size=8, seed=3)
    assert list(tab["entry"]) == [e for e, _ in examples.GUIDE_API]
    for name in ("local_field", "update_agent", "step", "equilibrate", "snapshot", "scan_resource_range",
                 "coarse_grain"):                        # the calls issue 15 names
        assert tab["entry"].str.contains(name).any()
    assert tab["ok"].all()


@pytest.mark.parametrize("method, broken", [
    ("local_field", lambda self, i, j: 0.0),                       # a wrong field
    ("snapshot", lambda self: self.lattice),                       # the live array, not a copy
])
def test_guide_api_tour_detects_a_broken_method(monkeypatch, method, broken):
    monkeypatch.setattr(ub.MicroscopicABM, method, broken)
    tab = examples.guide_api_tour(lattice_size=8, seed=3)
    assert not tab["ok"].all()


def test_guide_api_tour_refuses_odd_lattice():
    with pytest.raises(ValueError, match="lattice_size"):
        examples.guide_api_tour(lattice_size=9)


# ----------------------------------------------------------------- stored runs of the chapter


def test_compare_settings_on_stored_scans_is_the_direct_call(tmp_path):
    """Every number of compare_settings on the stored scans equals the direct call's (wall time aside)."""
    import utacbook.stored as st
    from utacbook import ABMParams
    variants = {"J halved": dict(J=0.4), "T doubled": dict(T=0.38), "J = 0": dict(J=0.0), "pts": dict(n_points=9)}
    base = ABMParams(J=0.8, T=0.19, lattice_size=8)
    kw = dict(n_points=7, n_steps=5, n_replicas=3, seed=2025)
    direct = examples.compare_settings(base, variants, **kw)
    st.compute("ex", "utacbook.studies.rg.examples:settings_responses", data_dir=tmp_path, J=0.8, T=0.19,
               lattice_size=8, variants=variants, **kw)
    rows, rec, chk = examples.stored_settings("ex", base, variants, data_dir=tmp_path, **kw)
    assert chk["identical"] and chk["n_runs"] == 7
    for a, b in zip(direct, rows):
        assert a.keys() == b.keys()
        for k in a:
            if k == "runtime_s":
                assert b[k] == rec["runtime_s"][rows.index(b)]
            elif isinstance(a[k], np.ndarray):
                np.testing.assert_array_equal(a[k], b[k])
            elif isinstance(a[k], float) and np.isnan(a[k]):
                assert np.isnan(b[k])
            else:
                assert a[k] == b[k], k
    assert examples.spot_check_settings(rec, row=4, n_replicas=2)["identical"]
    # other settings than the stored ones, or a changed stored scan, are refused
    with pytest.raises(ValueError, match="was made with"):
        examples.stored_settings("ex", base, variants, data_dir=tmp_path, **{**kw, "seed": 2026})
    rec.values["sigma"][0][0][0] += 1e-12
    assert not examples.spot_check_settings(rec)["identical"]


@pytest.mark.parametrize("name", ["rg_examples_low_r2", "rg_examples_near_steps", "rg_examples_jt_variants",
                                  "rg_examples_near_sizes"])
def test_book_runs_are_stored_with_the_chapter_seed_and_reproduce(name):
    """book/data/rg_examples_*.json: seed 2025, 5 replicas; replica 1 of the base setting re-runs bit for bit."""
    import utacbook.stored as st
    rec = st.load(name)
    p = rec.provenance["params"]
    assert p["seed"] == 2025 and p["n_replicas"] == 5
    assert len(rec["sigma"]) == len(p["variants"]) + 1 == len(rec["runtime_s"])
    if p["lattice_size"] <= 64:                      # the L = 128 base costs more than a unit test should
        assert examples.spot_check_settings(rec)["identical"]
