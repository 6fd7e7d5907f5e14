"""Tests of utacbook.studies.rg.disorder (chapter book/rg/12_disorder.ipynb)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from numpy.polynomial.hermite_e import hermegauss
from scipy import integrate
from scipy.special import expit

import utacbook.claims as uc
from utacbook.models import quenched_samples, scan_field_extended
from utacbook.studies.rg import disorder as dis
from utacbook.theory import GPRIME0, logistic_normal_mean, mean_field_beta

_Z, _W = hermegauss(200)
_W = _W / _W.sum()


# ------------------------------------------------------------------ exact one-site and mean-field theory


@pytest.mark.parametrize("delta", [0.3, 1.0, 2.5])
def test_field_average_is_a_wider_noise(delta):
    # E_b[g(x + Δ b)] = E[sigmoid(x + sqrt(1 + Δ²) ζ)]: two independent normals add
    h = np.array([-2.0, -0.4, 0.0, 0.9, 3.0])
    exact = expit(h[:, None] + np.sqrt(1 + delta ** 2) * _Z) @ _W
    np.testing.assert_allclose(dis.single_site_response(h, field_disorder=delta), exact, atol=1e-9)


def test_single_site_limits_and_noise_disorder():
    h = np.linspace(-3, 3, 7)
    np.testing.assert_allclose(dis.single_site_response(h, T=0.7), logistic_normal_mean(h / 0.7), atol=1e-15)
    s = 0.6
    for hj in (-1.3, 0.4, 2.2):
        # E_c[g(h / e^{s c})] by adaptive quadrature over the normal density of c
        val, _ = integrate.quad(lambda c, hj=hj: logistic_normal_mean(hj * np.exp(-s * c)) * np.exp(-c * c / 2)
                                / np.sqrt(2 * np.pi), -12, 12, epsabs=1e-13)
        assert dis.single_site_response(hj, noise_disorder=s) == pytest.approx(val, abs=1e-10)


@pytest.mark.parametrize("kw", [{}, {"field_disorder": 1.2}, {"noise_disorder": 0.5},
                                {"field_disorder": 0.8, "noise_disorder": 0.3}])
def test_single_site_beta_is_the_midpoint_slope(kw):
    eps = 1e-5
    slope = (dis.single_site_response(eps, **kw) - dis.single_site_response(-eps, **kw)) / (2 * eps)
    assert dis.single_site_beta(**kw) == pytest.approx(4 * slope, rel=1e-7)
    assert dis.single_site_response(0.0, **kw) == pytest.approx(0.5, abs=1e-14)


def test_mean_field_limits_and_identities():
    for K in (0.0, 1.0, 3.0, 4.5):
        assert dis.mean_field_disorder_beta(K) == pytest.approx(mean_field_beta(K, 1.0), rel=1e-10)
    # J = 0: mean field is the one-site answer
    assert dis.mean_field_disorder_beta(0.0, field_disorder=1.3) == pytest.approx(
        dis.single_site_beta(field_disorder=1.3), rel=1e-9)
    # noise disorder: F_m = K g'(0) E[1/T_k] = K g'(0) exp(s²/2) exactly
    Fh, Fm = dis.mean_field_disorder_slopes(3.0, noise_disorder=0.7)
    assert Fm == pytest.approx(3.0 * GPRIME0 * np.exp(0.7 ** 2 / 2), rel=1e-9)
    # a random coupling Δ_J acts at the midpoint as a random field Δ_J/2 (the odd part averages out)
    for K, dJ in ((3.0, 1.0), (6.0, 4.0), (11.0, 3.0)):
        assert dis.mean_field_disorder_beta(K, coupling_disorder=dJ) == pytest.approx(
            dis.mean_field_disorder_beta(K, field_disorder=dJ / 2), rel=1e-8)


def test_mean_field_beta_is_the_slope_of_the_self_consistent_solution():
    K, d, eps = 3.0, 1.0, 1e-4
    m = []
    for h in (-K / 2 - eps, -K / 2 + eps):
        roots, stable = dis.mean_field_disorder_fixed_points(K, h, field_disorder=d)
        assert len(roots) == 1 and stable.all()
        m.append(roots[0])
    assert dis.mean_field_disorder_beta(K, field_disorder=d) == pytest.approx(4 * (m[1] - m[0]) / (2 * eps),
                                                                              rel=1e-5)


def test_critical_disorder():
    for K in (6.0, 11.0):
        dc = dis.mean_field_critical_disorder(K)
        assert dis.mean_field_disorder_slopes(K, field_disorder=dc)[1] == pytest.approx(1.0, abs=1e-9)
        assert np.isinf(dis.mean_field_disorder_beta(K, field_disorder=0.98 * dc))
        assert np.isfinite(dis.mean_field_disorder_beta(K, field_disorder=1.02 * dc))
        assert len(dis.mean_field_disorder_fixed_points(K, -K / 2, field_disorder=0.9 * dc)[0]) == 3
        assert dis.mean_field_critical_disorder(K, kind="coupling") == pytest.approx(2 * dc, rel=1e-5)  # quadrature
    assert dis.mean_field_critical_disorder(4.0) == 0.0


# ------------------------------------------------------------------ the simulation against exact results


def test_j0_simulation_matches_the_one_site_average():
    df = dis.j0_check(lattice_size=32, n_replicas=16, seed=11)
    k = uc.familywise_k(len(df))
    assert np.all(np.abs(df["z"]) < k), df


def test_j0_per_sample_conditional_mean():
    # given replica r's quenched fields b_k, E[σ̄ | b] = mean_k g((h + Δ b_k)/T): the kernel uses each agent's b_k
    L, R, d, h = 32, 8, 3.0, np.array([-1.0, 0.5])
    res = scan_field_extended(0.0, 1.0, h, lattice_size=L, n_steps=20, n_replicas=R, field_disorder=d, seed=5,
                              progress=False)
    diffs = []
    for r in range(R):
        _, _, b, _ = quenched_samples(res["seed"], r, L * L)
        cond = logistic_normal_mean((h[:, None] + d * b[None, :])).mean(axis=1)
        diffs.append(res["sigma"][r] - cond)
    diffs = np.array(diffs)
    sem = diffs.std(axis=0, ddof=1) / np.sqrt(R)
    assert np.all(np.abs(diffs.mean(axis=0)) < 4 * sem)
    # the test has power: paired with another replica's sample, the differences are far larger
    conds = np.array([logistic_normal_mean(0.5 + d * quenched_samples(res["seed"], r, L * L)[2]).mean()
                      for r in range(R)])
    wrong = res["sigma"][:, 1] - np.roll(conds, 1)
    assert np.mean(wrong ** 2) > 4 * np.mean(diffs[:, 1] ** 2)


def test_zero_disorder_is_the_guide_model():
    assert dis.clean_limit_check(K=6.0, seed=3)


def test_all_to_all_agrees_with_mean_field_with_disorder():
    r = dis.disorder_beta(3.0, strength=1.0, coupling="all-to-all", lattice_size=32, n_steps=60, n_replicas=8,
                          check_steps=2, seed=7)
    b = dis.mean_field_disorder_beta(3.0, field_disorder=1.0)
    assert abs(r["beta"] - b) <= 0.03 * b + 3 * r["beta_err"]
    assert r["theta"] == -1.5 and r["gap"] == pytest.approx(0.0, abs=1e-9)   # the two starts merge


def test_disorder_lowers_beta_below_kc_on_the_lattice():
    a = dis.disorder_beta(3.0, strength=0.0, lattice_size=24, n_steps=60, n_replicas=8, check_steps=2, seed=2)
    b = dis.disorder_beta(3.0, strength=1.5, lattice_size=24, n_steps=60, n_replicas=8, check_steps=2, seed=2)
    assert b["beta"] + 3 * b["beta_err"] < a["beta"] - 3 * a["beta_err"]
    # the random field makes the curve flatter than without coupling, but steeper than the J = 0 answer
    assert b["beta"] > dis.single_site_beta(field_disorder=1.5)


# ------------------------------------------------------------------ the study machinery


@pytest.fixture(scope="module")
def tiny():
    return dis.rounding_study(design="test", n_replicas=4, check_steps=2, seed=9)


def test_study_is_reproducible_and_spot_check_detects_changes(tiny):
    again = dis.disorder_beta(6.0, strength=2.0, lattice_size=8, n_steps=20, n_replicas=4, check_steps=2, seed=9)
    t = tiny["tasks"][1]
    assert t["strength"] == 2.0
    np.testing.assert_array_equal(again["replica_slopes"], t["replica_slopes"])
    assert again["beta"] == t["beta"] and again["gap"] == t["gap"]
    sc = dis.spot_check(tiny, which=[0, 1])
    assert sc["identical"].all() and (sc["max_abs_diff"] == 0).all()
    bad = {"tasks": [dict(t, replica_gaps=np.asarray(t["replica_gaps"]) + 1e-9)]}
    assert not dis.spot_check(bad, which=[0])["identical"].iloc[0]


def test_condition_seed_does_not_depend_on_the_design(tiny):
    # a condition's streams come from (seed, its own key): the same alone or inside a design
    alone = dis.disorder_beta(6.0, strength=0.0, lattice_size=8, n_steps=20, n_replicas=4, check_steps=2, seed=9)
    np.testing.assert_array_equal(alone["replica_gaps"], tiny["tasks"][0]["replica_gaps"])
    other = dis.disorder_beta(6.0, strength=0.0, lattice_size=8, n_steps=20, n_replicas=4, check_steps=2, seed=10)
    assert not np.array_equal(other["replica_gaps"], alone["replica_gaps"])


def test_study_frame_json_roundtrip(tiny, tmp_path):
    import utacbook.stored as st
    import json
    f = dis.study_frame(tiny)
    assert len(f) == 2 and set(f["kind"]) == {"field"}
    # a stored result must be JSON with finite numbers: NaN fields are stored as None and read back as NaN
    t = dict(tiny["tasks"][0], growth=None)
    p = tmp_path / "x.json"
    p.write_text(json.dumps(st._jsonable({"tasks": [t]})))
    g = dis.study_frame(json.loads(p.read_text()))
    assert np.isnan(g["growth"].iloc[0]) and not g["resolved"].iloc[0]


@pytest.mark.parametrize("kw, match", [
    (dict(kind="temperature"), "kind"), (dict(strength=-0.1), "strength"), (dict(coupling="ring"), "coupling"),
    (dict(n_replicas=1), "n_replicas"), (dict(lattice_size=2), "lattice_size"), (dict(seed=-1), "seed"),
    (dict(check_steps=1), "check_steps"), (dict(kind="noise", strength=6.0), "strength"),
])
def test_disorder_beta_bad_input(kw, match):
    args = dict(strength=0.0, lattice_size=8, n_steps=5, n_replicas=2)
    args.update(kw)
    with pytest.raises((ValueError, TypeError), match=match):
        dis.disorder_beta(6.0, **args)


@pytest.mark.parametrize("fn, kw, match", [
    (dis.single_site_response, dict(h=0.0, T=0.0), "T"),
    (dis.single_site_response, dict(h=0.0, field_disorder=-1.0), "field_disorder"),
    (dis.mean_field_disorder_beta, dict(J=3.0, noise_disorder=9.0), "noise_disorder"),
    (dis.mean_field_critical_disorder, dict(J=6.0, kind="noise"), "kind"),
])
def test_theory_bad_input(fn, kw, match):
    with pytest.raises((ValueError, TypeError), match=match):
        fn(**kw)


# ------------------------------------------------------------------ the criterion and the claims (synthetic data)


def _synthetic_task(K, kind, strength, coupling, L, n_steps, *, rounded):
    beta = 6.0 if rounded else 30.0 * (L / 32) ** 0.5
    return {"K": K, "kind": kind, "strength": strength, "coupling": coupling, "L": L, "n_steps": n_steps,
            "beta": beta, "beta_err": 0.1, "theta": -K / 2, "theta_method": "symmetric", "sigma_at_theta": 0.5,
            "sigma_at_theta_err": 0.01, "converged": rounded, "stationary": rounded,
            "long_change": 0.01 if rounded else 1.5, "long_change_err": 0.02,
            "growth": 1.03 if rounded else 3.0, "growth_err": 0.02, "beta_secant": beta,
            "gap": 0.0 if rounded else 0.7, "gap_err": 0.001, "diagnosis": ""}


def _synthetic(design, rule):
    return {"tasks": [_synthetic_task(**t, rounded=rule(t)) for t in dis.design_tasks(design)]}


def test_rounding_table_classifies():
    def rule(t):
        return t["kind"] != "noise" and t["strength"] >= (1.0 if t["kind"] == "coupling" else 0.5)
    f = dis.study_frame(_synthetic("above", rule))
    rt = dis.rounding_table(f)
    row = rt[(rt["K"] == 6.0) & (rt["kind"] == "field") & (rt["strength"] == 1.0) & (rt["coupling"] == "lattice")]
    assert row["rounding"].iloc[0] == "rounded" and row["L_max"].iloc[0] == 128
    row = rt[(rt["K"] == 6.0) & (rt["kind"] == "field") & (rt["strength"] == 0.25) & (rt["coupling"] == "lattice")]
    assert row["rounding"].iloc[0] == "jump" and "run length" in row["why"].iloc[0]
    # a noisy condition is undecided, not rounded
    f2 = f.copy()
    sel = (f2["kind"] == "field") & (f2["strength"] == 1.0) & (f2["coupling"] == "lattice")
    f2.loc[sel, "growth_err"] = 0.2
    f2 = dis.study_frame({"tasks": f2.to_dict("records")})
    rt2 = dis.rounding_table(f2)
    assert rt2[(rt2["kind"] == "field") & (rt2["strength"] == 1.0)
               & (rt2["coupling"] == "lattice")]["rounding"].iloc[0] == "undecided"
    # beta growing with L beyond the tolerance makes a jump even if each size looks resolved
    f3 = f.copy()
    f3.loc[sel & (f3["L"] == 128), "beta"] = 8.0
    assert dis.rounding_table(f3).loc[lambda d: (d["kind"] == "field") & (d["strength"] == 1.0)
                                      & (d["coupling"] == "lattice"), "rounding"].iloc[0] == "jump"


def test_claims_are_judged_from_the_data():
    def rule(t):
        if t["coupling"] == "all-to-all":
            return t["strength"] >= 2.0 or t["K"] == 3.0
        return t["kind"] != "noise" and t["strength"] >= (1.0 if t["kind"] == "coupling" else 0.5)
    above = dis.study_frame(_synthetic("above", rule))
    below = _synthetic("below", lambda t: True)
    for t in below["tasks"]:
        t["beta"] = (dis.mean_field_disorder_beta(3.0, field_disorder=t["strength"]) if t["coupling"] == "all-to-all"
                     else 2.0 - 0.5 * t["strength"])
        t["beta_err"] = 0.01
    below = dis.study_frame(below)
    sel = (above["coupling"] == "all-to-all") & (above["strength"] == 2.0) & (above["K"] == 6.0)
    above.loc[sel, "beta"] = dis.mean_field_disorder_beta(6.0, field_disorder=2.0)
    j0 = pd.DataFrame({"field_disorder": [1.0, 0.0], "noise_disorder": [0.0, 0.7], "h": [0.0, 1.0],
                       "sim": [0.5, 0.6], "sim_err": [0.01, 0.01], "exact": [0.5, 0.6], "z": [0.0, 0.0]})
    cl = dis.claims(n_j0=2)
    assert len({c.id for c in cl}) == len(cl) and all(c.source == "ours" for c in cl)
    js = {j.claim.id: j for j in dis.judge(cl, above=above, below=below, j0=j0, clean=True)}
    assert js["rg.disorder.j0"].verdict == uc.HELD
    assert js["rg.disorder.clean"].verdict == uc.HELD
    assert js["rg.disorder.mean_field"].verdict == uc.HELD
    assert js["rg.disorder.mf_jump"].verdict == uc.HELD
    assert js["rg.disorder.below"].verdict == uc.HELD
    fr = js["rg.disorder.field_rounds"]
    assert fr.verdict == uc.CAVEATS and "fails at K = 6, Δ_h = 0.25" in fr.caveat
    assert js["rg.disorder.coupling_as_field"].verdict == uc.HELD     # synthetic: equal β where both are rounded
    assert js["rg.disorder.no_field_no_rounding"].verdict == uc.HELD
    assert js["rg.disorder.noise_jump"].verdict == uc.HELD
    assert js["rg.disorder.bistability"].verdict == uc.HELD
    # the verdicts follow the data: make the clean model stationary and the claim fails there
    above.loc[(above["kind"] == "field") & (above["strength"] == 0.0) & (above["coupling"] == "lattice"),
              "long_change"] = 0.0
    js = {j.claim.id: j for j in dis.judge(cl, above=above, below=below, j0=j0, clean=False)}
    assert js["rg.disorder.no_field_no_rounding"].verdict == uc.CAVEATS
    assert js["rg.disorder.clean"].verdict == uc.NOT_REPRODUCED
