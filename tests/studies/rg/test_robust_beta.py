"""Tests of utacbook.studies.rg.robust_beta: the guide's fit on several grids against the midpoint slope.

Exact references: the guide's simulator (the same runs with the same seed), the mean-field
response fitted on the same grids (deterministic), independent agents (J = 0: slope 4 g'(0)/T
exactly).  Statistical tolerances are the error bars of the measurement.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

import utacbook.claims as uc
from utacbook.models import ABMParams, EmergentBetaSimulator
from utacbook.stats import extract_emergent_beta, midpoint_beta
from utacbook.studies.rg import robust_beta as rb
from utacbook.theory import GPRIME0, mean_field_beta, mean_field_emergent_beta, mean_field_response
from _identity import assert_identical


# ------------------------------------------------------------------ grids


@pytest.mark.parametrize("theta", [-0.35, -0.3, -0.4, 0.0, -0.49])
@pytest.mark.parametrize("phase", [0.0, 0.25, 0.5, 0.9])
def test_phase_grid_puts_theta_where_asked(theta, phase):
    R = rb.phase_grid(theta, phase)
    assert R.size == 25
    np.testing.assert_allclose(np.diff(R), rb.GUIDE_SPACING, rtol=1e-12)
    got = rb.grid_phase(theta, R)
    assert min(abs(got - phase), 1 - abs(got - phase)) < 1e-9
    assert abs(R.mean()) <= rb.GUIDE_SPACING / 2 + 1e-12        # as centred on 0 as the spacing allows


def test_grid_phase_of_the_guides_systems():
    R = rb.grid(*rb.GUIDE_GRID)
    # Theta = -J/2 on the guide's grid -2 + k/6: Bees -0.35 is 0.1 spacing below -1/3, AMOC -0.3 0.2 above it
    assert rb.grid_phase(-0.35, R) == pytest.approx(0.9)
    assert rb.grid_phase(-0.30, R) == pytest.approx(0.2)
    assert rb.grid_phase(-1.0, R) == pytest.approx(0.0, abs=1e-12)


def test_mean_field_fit_depends_on_the_alignment():
    # deterministic: the guide's fit of the exact mean-field response on grids of one spacing is
    # steeper with Theta halfway between two points than with Theta on a point
    for J, T in ((0.7, 0.17), (0.6, 0.15), (0.8, 0.19)):
        b = [extract_emergent_beta(R, mean_field_response(R, J, T))[0]
             for R in (rb.phase_grid(-J / 2, 0.0), rb.phase_grid(-J / 2, 0.5))]
        assert b[1] > 1.2 * b[0]
        # and both lie far below the midpoint slope of the same curve
        assert max(b) < 0.7 * mean_field_beta(J, T)


# ------------------------------------------------------------------ the guide's fit


def test_single_grid_is_the_guides_simulator():
    # same runs as EmergentBetaSimulator.compute_emergent_beta_replicas with the same seed
    p = ABMParams(J=0.8, T=0.19, lattice_size=16, seed=21)
    ref = EmergentBetaSimulator(p).compute_emergent_beta_replicas(n_replicas=3, n_points=25, n_steps=30)
    f = rb.guide_fits(0.8, 0.19, {"g": rb.GUIDE_GRID}, n_replicas=3, seed=21, lattice_size=16, n_steps=30)
    np.testing.assert_array_equal(f["betas"]["g"], ref["betas"])
    np.testing.assert_array_equal(f["sigma"], ref["sigma"])


def test_shared_fields_are_shared_runs():
    f = rb.guide_fits(0.8, 0.19, rb.ISSUE_GRIDS, n_replicas=2, seed=3, lattice_size=8, n_steps=10)
    # 25 + 25 + 15 fields, of which 9 (multiples of 1/2 in [-2, 2]) and 3 (-2, 0, 2) are shared
    assert len(f["h"]) == 53
    for name, g in rb.ISSUE_GRIDS.items():
        R = rb.grid(*g)
        assert np.isin(np.round(R, 12), np.round(f["h"], 12)).all()
        assert f.lookup(*g) == name
    # the mean-field column is theory.mean_field_emergent_beta on the same grid
    for name, (a, b, n) in rb.ISSUE_GRIDS.items():
        assert f["beta_mf"][name] == pytest.approx(mean_field_emergent_beta(0.8, 0.19, R_min=a, R_max=b,
                                                                            n_points=n)[0], rel=1e-12)
    d, e = f.difference("±2, 15 points", rb.BASE)
    assert d == pytest.approx(np.mean(f["betas"]["±2, 15 points"] - f["betas"][rb.BASE]))
    df = f.to_dataframe(base=rb.BASE)
    assert list(df["grid"]) == list(rb.ISSUE_GRIDS)
    assert df.loc[0, "rel_change"] == 0.0


def test_the_guides_fit_moves_with_the_grid_like_mean_field():
    # the issue's grid change (15 points instead of 25) lowers the LLM fit by far more than its error,
    # and by about what the same fit of the mean-field curve predicts
    f = rb.guide_fits(0.8, 0.19, rb.ISSUE_GRIDS, n_replicas=4, seed=5, lattice_size=32)
    s = f.summary("±2, 15 points", base=rb.BASE)
    assert s["rel_change"] < -5 * s["rel_change_err"]
    mf = f["beta_mf"]["±2, 15 points"] / f["beta_mf"][rb.BASE] - 1
    assert abs(s["rel_change"] - mf) < 0.05


# ------------------------------------------------------------------ midpoint slope helpers


def test_fixed_delta_study_is_exact_at_J0():
    # independent agents: sigma(h) = g(h/T), so 4 D(delta) = 4 [g(d/T) - g(-d/T)] / (2 d) exactly
    from utacbook.theory import logistic_normal_mean as g
    T, d = 0.3, 0.05
    rows = rb.fixed_delta_study(0.0, T, delta=d, conditions=[(16, 100), (32, 100)], n_replicas=8, seed=2)
    exact = 4 * (g(d / T) - g(-d / T)) / (2 * d)
    for r in rows:
        assert abs(r["beta"] - exact) <= 3 * r["beta_err"]
        assert r["slopes"].shape == (8,)
    assert exact == pytest.approx(4 * GPRIME0 / T, rel=0.01)
    assert [(r["L"], r["n_steps"]) for r in rows] == [(16, 100), (32, 100)]


def test_crn_gain_grows_as_delta_shrinks():
    rows = rb.crn_gain(0.8, 0.19, theta=-0.4, deltas=[0.002, 0.03], n_replicas=8, seed=4, lattice_size=16)
    assert rows[0]["gain"] > 3 and rows[0]["gain"] > rows[1]["gain"]
    # both estimate the same slope
    for r in rows:
        assert abs(r["crn"][0] - r["indep"][0]) <= 3 * math.hypot(r["crn"][1], r["indep"][1])


def test_slope_at_interpolates_the_differences():
    from scipy.special import expit

    def scan(J, T, h, *, lattice_size, n_steps, n_replicas, seed):
        return {"sigma": np.tile(expit(4.0 * np.asarray(h)), (n_replicas, 1))}
    r = midpoint_beta(0.0, 1.0, scan=scan, theta=0.0, n_replicas=2, seed=0)
    for d in (0.0, r.deltas.min(), 0.5 * (r.deltas.min() + r.deltas.max())):
        x = 4.0 * d / 2
        exact = 4.0 if d == 0 else 4.0 * math.tanh(x) / x
        assert rb.slope_at(r, d) == pytest.approx(exact, rel=1e-4)
    with pytest.raises(ValueError, match="delta"):
        rb.slope_at(r, 10.0)


# ------------------------------------------------------------------ claims and judgement


@pytest.fixture(scope="module")
def small_study():
    """The chapter's whole pipeline on small lattices (L = 16, 32): cheap, same code paths."""
    sy = rb.systems()
    K_c = 5.54
    below = [n for n, d in sy.items() if d["K"] < K_c]
    fits = {}
    for name, d in sy.items():
        if name == "LLM Training":
            grids = rb.spacing_grids()
        elif d["K"] < K_c:
            grids = dict(rb.ISSUE_GRIDS)
        else:
            grids = {rb.BASE: rb.GUIDE_GRID}
        if name in ("Honeybees", "Climate AMOC"):
            grids[rb.HALFWAY] = rb.phase_grid(-d["J"] / 2, 0.5)
        fits[name] = rb.guide_fits(d["J"], d["T"], grids, n_replicas=3, seed=8, lattice_size=16)
    examples = {k: rb.examples_fits(k, n_replicas=3, seed=8, lattice_size=16) for k in rb.EXAMPLES_CONDITIONS}
    robust = rb.robust_table(n_replicas=6, seed=8, lattice_size=32, check_steps=2)
    r = robust["LLM Training"]
    settings = {"find": midpoint_beta(0.8, 0.19, theta="find", bracket=(-3.0, 3.0), n_replicas=6, seed=8,
                                      lattice_size=32),
                "halved": midpoint_beta(0.8, 0.19, theta="symmetric", deltas=r.deltas / 2, n_replicas=6, seed=8,
                                        lattice_size=32)}
    exact = {T: midpoint_beta(0.0, T, theta="symmetric", n_replicas=6, seed=8, lattice_size=16) for T in (0.19, 0.5)}
    crn = rb.crn_gain(0.8, 0.19, theta=-0.4, deltas=[r.deltas.min(), r.deltas.max()], n_replicas=6, seed=8,
                      lattice_size=32)
    u = sy["Urban Heat (mod)"]
    above = {"L": rb.fixed_delta_study(u["J"], u["T"], delta=0.002, conditions=[(16, 100), (32, 100)],
                                       n_replicas=6, seed=8),
             "t": rb.fixed_delta_study(u["J"], u["T"], delta=0.002, conditions=[(32, 100), (32, 400)],
                                       n_replicas=6, seed=8)}
    claims = {c.id: c for c in rb.claims(seed=8, n_grid=3, n_mid=6, K_c=K_c, grid_systems=below,
                                         above_name="Urban Heat (mod)", conditions_above={"L": "L", "t": "t"})}
    judged = rb.judge(claims, fits=fits, examples=examples, robust=robust, settings=settings, exact=exact,
                      crn=crn, above=above, K_c=K_c, below=below)
    return dict(claims=claims, judged={j.claim.id: j for j in judged}, robust=robust, fits=fits, examples=examples,
                settings=settings, crn=crn, below=below)


def test_claims_are_stated_before_the_measurement(small_study):
    claims = small_study["claims"]
    assert len(claims) == 14
    assert all(c.source == "ours" for c in claims.values())
    # the two percentages are the examples chapter's, judged under its conditions
    assert claims["rg.robust_beta.range"].criterion.target == -0.17
    assert claims["rg.robust_beta.points"].criterion.target == -0.15
    for key in ("range", "points"):
        assert "rg-examples" in claims[f"rg.robust_beta.{key}"].note
        c = rb.EXAMPLES_CONDITIONS[key]
        assert f"L = {c['lattice_size']}, {c['n_steps']} sweeps" in claims[f"rg.robust_beta.{key}"].scope
    for key in ("bees_lower", "bees_grid"):
        assert "issue" in claims[f"rg.robust_beta.{key}"].note
    # the flags claim states the K it was tested at
    assert "4.21" in claims["rg.robust_beta.flags"].scope and "11.0" in claims["rg.robust_beta.flags"].scope
    # no text refers to people or documents the reader cannot see
    for c in claims.values():
        for field in (c.text, c.note, c.scope, c.quantity):
            assert "lead" not in field and "brief" not in field


def test_judgement_uses_the_measurements(small_study):
    j = small_study["judged"]
    assert set(j) == set(small_study["claims"])
    assert all(x.verdict in uc.VERDICTS for x in j.values())
    # exact results are reproduced by the estimator (fails if judge compares with the wrong reference)
    assert j["rg.robust_beta.exact"].verdict == uc.HELD
    assert j["rg.robust_beta.settings"].verdict == uc.HELD
    # the examples chapter's numbers: one condition each, the paired relative change under its conditions
    for key in ("range", "points"):
        res = j[f"rg.robust_beta.{key}"].results
        c = rb.EXAMPLES_CONDITIONS[key]
        assert len(res) == 1
        assert res[0].measurement.value == pytest.approx(
            small_study["examples"][key].summary(c["changed"], base=c["base"])["rel_change"])
    # differs: largest minus smallest shift across the systems below K_c, less 5 points
    f = small_study["fits"]
    res = j["rg.robust_beta.differs"].results
    assert len(res) == 3
    shifts = [f[n].summary("±3, 25 points", base=rb.BASE)["rel_change"] for n in small_study["below"]]
    assert res[0].measurement.value == pytest.approx(max(shifts) - min(shifts) - rb.DIFFERS_BY)
    # spacing: one condition per pair of grids of the same spacing and phase
    assert len(j["rg.robust_beta.spacing"].results) == len(rb.SAME_SPACING)
    # crn: judged at the smallest delta only, as the ratio less 5
    row = min(small_study["crn"], key=lambda x: x["delta"])
    assert j["rg.robust_beta.crn"].results[0].measurement.value == pytest.approx(row["gain"] - 5.0)
    # settings: the paired difference in units of the chapter's stated error
    sym = small_study["robust"]["LLM Training"]
    d = (small_study["settings"]["halved"].replica_betas - sym.replica_betas) / sym.beta_err
    assert j["rg.robust_beta.settings"].results[1].measurement.value == pytest.approx(d.mean())
    # flags: one condition per system, true when converged matches (K < K_c)
    flags = j["rg.robust_beta.flags"].results
    assert len(flags) == 6
    for c in flags:
        r = small_study["robust"][c.measurement.condition]
        assert c.measurement.value == (r.converged == (r.J / r.T < 5.54))


def test_below_kc_converged_above_not(small_study):
    # the estimator's own flags at L = 32: the four systems below K_c converge and are stationary;
    # the two above are not shown to be stationary
    for name, r in small_study["robust"].items():
        if r.J / r.T < 5.54:
            assert r.converged and r.stationary, (name, r.diagnosis)
            assert r.beta < mean_field_beta(r.J, r.T)          # fluctuations lower the slope
        else:
            assert not r.converged and r.stationary is False, name


def test_table_frame(small_study):
    df = rb.table_frame(small_study["fits"], small_study["robust"])
    assert len(df) == 6
    assert list(df.columns[:2]) == ["system", "K = J/T"]
    assert [c for c in df.columns if c.startswith("fit β")] == [f"fit β, {g}" for g in rb.ISSUE_GRIDS]
    assert set(df["converged"]) <= {"yes", "no"}
    # the systems above K_c ran the guide's grid only
    row = df.set_index("system").loc["Urban Heat (mod)"]
    assert row["fit β, ±3, 25 points"] == "not run" and row[f"fit β, {rb.BASE}"] != "not run"


def test_plots_draw(small_study):
    # the figures of the chapter draw from the study's results: check what they draw
    import matplotlib.pyplot as plt
    sy = rb.systems()
    llm = small_study["fits"]["LLM Training"]
    ax = rb.plot_spacing(llm, small_study["robust"]["LLM Training"], n_dense=5)
    # circles: the grids on ±2, at their spacing and fitted beta; squares: the other ranges
    circles, squares = ax.containers[0].lines[0], ax.containers[1].lines[0]
    on2 = [n for n in llm["names"] if np.isclose(llm["grids"][n][0], -2) and np.isclose(llm["grids"][n][-1], 2)]
    assert len(circles.get_xdata()) == len(on2) and len(squares.get_xdata()) == len(rb.SAME_SPACING)
    np.testing.assert_allclose(sorted(circles.get_ydata()), sorted(llm.summary(n)["beta_mean"] for n in on2))
    assert len(ax.texts) >= len(on2)                        # the phase labels
    plt.close("all")
    ax = rb.plot_alignment({"Honeybees": (sy["Honeybees"]["J"], sy["Honeybees"]["T"])},
                           {"Honeybees": {0.9: (13.8, 0.1), 0.5: (17.1, 0.1)}}, small_study["robust"],
                           {"Honeybees": 0.9})
    assert len(ax.containers[0].lines[0].get_xdata()) == 2
    plt.close("all")
    rows = [{"L": L, "n_steps": n, "beta": b, "beta_err": 1.0} for L, n, b in
            ((16, 100, 10.0), (32, 100, 11.0), (16, 400, 20.0))]
    axes = rb.plot_above_kc(rows)
    np.testing.assert_allclose(np.asarray(axes[0].containers[0].lines[0].get_ydata(), float), [10.0, 11.0])
    np.testing.assert_allclose(np.asarray(axes[1].containers[0].lines[0].get_ydata(), float), [10.0, 20.0])
    plt.close("all")


def test_same_spacing_and_phase_give_the_same_mean_field_fit():
    # deterministic: the tail fields of a wider grid carry no weight (relative tolerance: the fit's own
    # convergence tolerance), while a change of spacing (and phase) moves the fit by percent
    for J, T in ((0.8, 0.19), (0.7, 0.17), (0.6, 0.15)):
        for g, n in rb.SAME_SPACING.items():
            a = mean_field_emergent_beta(J, T, R_min=g[0], R_max=g[1], n_points=g[2])[0]
            b = mean_field_emergent_beta(J, T, R_min=-2.0, R_max=2.0, n_points=n)[0]
            assert a == pytest.approx(b, rel=1e-3)
        base = mean_field_emergent_beta(J, T)[0]
        assert abs(mean_field_emergent_beta(J, T, n_points=17)[0] / base - 1) > 0.05


def test_spacing_grids_and_names():
    g = rb.spacing_grids()
    assert set(rb.ISSUE_GRIDS) <= set(g)
    for (a, b, n), m in rb.SAME_SPACING.items():
        R, R2 = rb.grid(a, b, n), rb.grid(-2.0, 2.0, m)
        assert np.diff(R)[0] == pytest.approx(np.diff(R2)[0])
        # one grid's fields are among the other's: same spacing, same phase
        small, big = (R, R2) if R.size * np.diff(R)[0] < R2.size * np.diff(R2)[0] else (R2, R)
        assert np.isin(np.round(small, 12), np.round(big, 12)).all()
        assert rb.grid_name(a, b, n) in g
    assert rb.grid_name(*rb.GUIDE_GRID) == rb.BASE
    assert rb.grid_name(-1.0, 2.0, 5) == "[-1, 2], 5 points"


def test_examples_conditions_are_those_of_the_examples_chapter():
    c = rb.EXAMPLES_CONDITIONS
    assert (c["range"]["lattice_size"], c["range"]["n_steps"]) == (64, 50)
    assert c["range"]["grids"] == {"±2, 20 points": (-2.0, 2.0, 20), "±3, 20 points": (-3.0, 3.0, 20)}
    assert (c["points"]["lattice_size"], c["points"]["n_steps"]) == (128, 100)
    f = rb.examples_fits("points", n_replicas=2, seed=1, lattice_size=8)
    assert f["lattice_size"] == 8 and f["n_steps"] == 100 and len(f["h"]) == 37     # 25 + 15 - 3 shared
    with pytest.raises(ValueError, match="key"):
        rb.examples_fits("spacing")


def test_paired_ratio_and_slope_at_per_replica():
    rng = np.random.default_rng(0)
    b = 10 + rng.normal(size=8)
    a = 2 * b + 0.1 * rng.normal(size=8)
    r, e = rb.paired_ratio(a, b)
    assert r == pytest.approx(a.mean() / b.mean(), rel=1e-12)
    # with b fixed the delta-method error is the standard error of a over mean(b)
    r0, e0 = rb.paired_ratio(a, np.full(8, 10.0))
    assert e0 == pytest.approx(a.std(ddof=1) / np.sqrt(8) / 10.0, rel=1e-12)
    assert e < e0                                            # pairing removes the shared scatter
    res = midpoint_beta(0.8, 0.19, theta="symmetric", lattice_size=8, n_replicas=4, seed=3)
    per = rb.slope_at(res, 0.5 * res.deltas.max(), per_replica=True)
    assert per.shape == (4,)
    # the interpolation is linear in the slopes: its replica mean is the interpolation of the mean
    assert per.mean() == pytest.approx(rb.slope_at(res, 0.5 * res.deltas.max()), rel=1e-12)
    np.testing.assert_allclose(rb.slope_at(res, 0.0, per_replica=True), res.replica_betas, rtol=1e-9)


@pytest.mark.parametrize("call, exc, word", [
    (lambda: rb.robust_table(["Atlantis"]), ValueError, "names"),
    (lambda: rb.crn_gain(0.8, 0.19, theta=-0.4, deltas=[0.0]), ValueError, "deltas"),
    (lambda: rb.crn_gain(0.8, 0.0, theta=-0.4, deltas=[0.01]), ValueError, "T"),
    (lambda: rb.crn_gain(0.8, 0.19, theta=-0.4, deltas=[0.01], n_replicas=1), ValueError, "n_replicas"),
    (lambda: rb.fixed_delta_study(0.8, 0.19, delta=-1.0, conditions=[(8, 10)]), ValueError, "delta"),
    (lambda: rb.guide_fits(0.8, 0.19, {}), TypeError, "grids"),
    (lambda: rb.guide_fits(0.8, 0.19, {"g": (2.0, -2.0, 25)}), ValueError, "R_min"),
    (lambda: rb.guide_fits(0.8, 0.19, {"g": rb.GUIDE_GRID}, n_replicas=1), ValueError, "n_replicas"),
    (lambda: rb.phase_grid(-0.4, 1.5), ValueError, "phase"),
    (lambda: rb.paired_ratio([1.0, 2.0], [1.0, 2.0, 3.0]), ValueError, "length"),
    (lambda: rb.format_pct(float("nan")), ValueError, "value"),
])
def test_bad_input(call, exc, word):
    with pytest.raises(exc, match=word):
        call()


# --------------------------------------------------------------------------- the stored scans of the guide fits
def test_load_guide_scans_gives_exactly_the_guide_fits(tmp_path):
    from utacbook import stored
    stored.compute("t_gs", "utacbook.studies.rg.robust_beta:guide_scans", data_dir=tmp_path, K_c=5.5,
                   n_replicas=2, seed=3, lattice_size=8, n_steps=6, examples_lattice_size=8)
    fits, ex, rec = rb.load_guide_scans("t_gs", data_dir=tmp_path)
    sy = rb.systems()
    for n, g in rb.chapter_grids(5.5).items():
        live = rb.guide_fits(sy[n]["J"], sy[n]["T"], g, n_replicas=2, seed=3, lattice_size=8, n_steps=6)
        assert type(fits[n]) is rb.GridFits
        assert_identical(dict(live), dict(fits[n]), n)
    for k in rb.EXAMPLES_CONDITIONS:
        assert_identical(dict(rb.examples_fits(k, n_replicas=2, seed=3, lattice_size=8)), dict(ex[k]), k)
    chk = rb.spot_check_guide_scans(rec, names=("LLM Training", "Honeybees"), examples=("range", "points"))
    assert chk["identical"] and chk["max_abs_diff"] == 0.0


def test_stored_guide_scans_have_the_chapters_parameters_and_reproduce():
    import json
    from pathlib import Path

    import utacbook as ub
    rec = ub.stored.load(rb.GUIDE_SCANS_NAME)
    nb = json.loads((Path(__file__).resolve().parents[3] / "book/rg/10_robust_beta.ipynb").read_text())
    src = "".join("".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "code")
    for text in ("SEED = 2025", "N_GRID = 4", "rb.load_guide_scans()"):
        assert text in src, text
    assert rec.provenance["params"] == dict(K_c=ub.stored.load("rg_critical_coupling")["K_c"], n_replicas=4,
                                            seed=2025, lattice_size=64, n_steps=100, examples_lattice_size=None)
    # one cheap task: replica 0 of the LLM system's scan, bit for bit
    chk = rb.spot_check_guide_scans(rec, names=("LLM Training",), examples=())
    assert chk["identical"], chk


def test_midpoint_result_encoding_round_trip():
    import json
    r = midpoint_beta(0.8, 0.19, theta="find", bracket=(-3.0, 3.0), n_replicas=3, seed=5, lattice_size=8,
                      n_steps=10, check_steps=2)
    back = rb._decode_result(json.loads(json.dumps(rb._encode_result(r))))
    assert repr(back) == repr(r) and back.to_dataframe().equals(r.to_dataframe())
    for k in r.__dataclass_fields__:
        x, y = getattr(r, k), getattr(back, k)
        assert type(x) is type(y) and repr(x) == repr(y), k
        if isinstance(x, np.ndarray):
            assert x.dtype == y.dtype and np.array_equal(x, y, equal_nan=True), k


def test_stored_midpoint_studies_have_the_chapters_parameters_and_reproduce():
    import json
    from pathlib import Path
    robust, free, halved, exact, rec = rb.load_midpoint_studies()
    nb = json.loads((Path(__file__).resolve().parents[3] / "book/rg/10_robust_beta.ipynb").read_text())
    src = "".join("".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "code")
    assert "N_MID = 8" in src and "rb.load_midpoint_studies()" in src
    assert rec.provenance["params"] == dict(n_replicas=8, seed=2025, check_steps=2, exact_T=[0.19, 0.5])
    assert list(robust) == list(rb.systems()) and np.array_equal(halved.deltas, robust["LLM Training"].deltas / 2)
    assert rb.spot_check_midpoints(robust, rec, name="Quantum Vacuum")["identical"]     # one system, bit for bit
