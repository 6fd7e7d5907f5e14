"""Tests of utacbook.studies.multiscale.interacting (chapter book/multiscale/04_interacting.ipynb)."""

import numpy as np
import pytest

import utacbook.claims as uc
from utacbook.models import CoupledGovernmentModel
from utacbook.studies.multiscale import interacting as it

SMALL = dict(n_agents=1500, n_communities=8, checkpoints=(20, 40), window=10)


@pytest.fixture(scope="module")
def ds():
    return it.run_study(n_replicas=3, seed=5, progress=False, **SMALL)


def test_study_layout_and_bookkeeping(ds):
    assert ds["between_share"].dims == ("replica", "variant", "step")
    assert ds.variant.values.tolist() == list(it.VARIANTS)
    assert ds.step.values.tolist() == [20, 40]
    assert bool(ds.task_done.all())
    # shares and Gini coefficients are fractions; sizes sum to N so their CV is finite
    for k in ("between_share", "resource_gini", "approval", "compliance"):
        v = ds[k].values
        assert np.all((v >= 0) & (v <= 1)), k
    # the uncoupled model never moves anybody and keeps every community's size
    assert np.all(ds["moves"].sel(variant="uncoupled").values == 0)
    assert np.all(ds["moves"].sel(variant="fiscal_null_no_migration").values == 0)
    n = ds["effective_communities"].values
    assert np.all((n >= 1) & (n <= SMALL["n_communities"] + 1e-9))
    assert np.all(ds["size_cv"].sel(variant="no_migration").values
                  == ds["size_cv"].sel(variant="uncoupled").values)
    # the fiscal null's compliance is the coupled run's mean over the last window (to rounding:
    # the recorded value is a size-weighted mean of the constant)
    np.testing.assert_allclose(ds["compliance"].sel(variant="fiscal_null", step=40).values,
                               ds["compliance"].sel(variant="coupled", step=40).values, rtol=1e-14)


def test_replica_task_is_the_sweep_task_with_its_seed(ds):
    s = int(ds.task_seed.values[1])
    one = it.replica_task(seed=s, **SMALL)
    np.testing.assert_array_equal(one["between_share"], ds["between_share"].isel(replica=1).values)


def test_coupled_variant_is_a_plain_model_run(ds):
    s = int(ds.task_seed.values[0])
    h = CoupledGovernmentModel(SMALL["n_agents"], SMALL["n_communities"], seed=s).run(40, quantiles=False)
    want = np.mean([r["macro"]["approval"] for r in h[30:40]])
    assert ds["approval"].sel(variant="coupled", step=40).values[0] == pytest.approx(want, abs=1e-15)


def test_paired_effects_and_effect_change_by_hand(ds):
    df = it.paired_effects(ds, "size_cv", against="migration_null")
    assert df.columns.tolist()[:3] == ["step", "base", "base_err"]
    a = ds["size_cv"].sel(variant="coupled").values
    b = ds["size_cv"].sel(variant="migration_null").values
    d = a - b
    np.testing.assert_allclose(df["effect"], d.mean(axis=0), rtol=1e-12)
    np.testing.assert_allclose(df["effect_err"], d.std(axis=0, ddof=1) / np.sqrt(3), rtol=1e-12)
    ch, err = it.effect_change(ds, "size_cv", against="migration_null")
    dd = d[:, 1] - d[:, 0]
    assert ch == pytest.approx(dd.mean(), rel=1e-12)
    assert err == pytest.approx(dd.std(ddof=1) / np.sqrt(3), rel=1e-12)
    with pytest.raises(ValueError, match="against"):
        it.paired_effects(ds, "size_cv", against="coupled")
    # the fiscal null without migration is compared with the run without migration
    df2 = it.paired_effects(ds, "between_share", against="fiscal_null_no_migration")
    x = ds["between_share"]
    d2 = (x.sel(variant="no_migration") - x.sel(variant="fiscal_null_no_migration")).values
    np.testing.assert_allclose(df2["effect"], d2.mean(axis=0), rtol=1e-12)


def test_special_case_is_bit_identical():
    assert it.special_case_identical(n_agents=600, n_communities=6, n_steps=30, seed=4)


def test_claims_judge_from_the_measurements(ds):
    cl = {c.id: c for c in it.claims(n_replicas=3, checkpoints=(20, 40))}
    M = it.measurements({"a": ds}, special_case=True)
    assert set(M) == set(cl)
    for k, ms in M.items():
        j = cl[k].judge(ms)
        assert j.verdict in uc.VERDICTS
    assert cl["ms.coupled.special_case"].judge(M["ms.coupled.special_case"]).verdict == uc.HELD
    assert cl["ms.coupled.special_case"].judge(uc.Measurement(False)).verdict == uc.NOT_REPRODUCED
    assert [m.condition for m in M["ms.coupled.fiscal"]] == [
        f"a, {mig}, {w}, {t} steps" for w in ("weighted", "unweighted") for mig in ("migration", "no migration")
        for t in (20, 40)]
    # the measurements are the paired effects, e.g. the fiscal loop without migration, unweighted
    df = it.paired_effects(ds, "community_spread", against="fiscal_null_no_migration")
    assert M["ms.coupled.fiscal"][7].value == df["effect"].iloc[1]
    assert M["ms.coupled.fiscal"][7].err == df["effect_err"].iloc[1]
    j = cl["ms.coupled.fiscal"].judge(M["ms.coupled.fiscal"])
    assert it.short_caveat(j).startswith(("met in all 8", "fails in"))
    one = cl["ms.coupled.special_case"].judge(M["ms.coupled.special_case"])
    assert it.short_caveat(one) == "met"


def test_subset_of_variants_and_pairing():
    sub = it.run_study(n_replicas=2, seed=5, progress=False, variants=("coupled", "migration_null"), **SMALL)
    full = it.run_study(n_replicas=2, seed=5, progress=False, **SMALL)
    assert sub.variant.values.tolist() == ["coupled", "migration_null"]
    # a variant's numbers do not depend on which other variants ran
    np.testing.assert_array_equal(sub["between_share"].sel(variant="migration_null").values,
                                  full["between_share"].sel(variant="migration_null").values)
    with pytest.raises(ValueError, match="fiscal_null needs coupled"):
        it.replica_task(seed=0, variants=("fiscal_null",), **SMALL)
    with pytest.raises(ValueError, match="variants"):
        it.replica_task(seed=0, variants=("migration_null", "coupled"), **SMALL)
    with pytest.raises(ValueError, match="has no variant"):
        it.paired_effects(sub, "between_share", against="fiscal_null")


def test_linear_gains_against_a_hand_computation():
    m = CoupledGovernmentModel(3000, 12, seed=2)
    m.run(30, quantiles=False)
    g = it.linear_gains(m)
    # chi0 by Monte Carlo over the noise instead of quadrature
    rng = np.random.default_rng(0)
    T = m.effective_temperature
    x = (m._community_term()[m.agents["community"]] + m._u) / T
    xi = rng.standard_normal((x.size, 400))
    sig = 1 / (1 + np.exp(-(x[:, None] + xi)))
    chi0_mc = float(np.mean(sig * (1 - sig))) / T
    assert g["chi0"] == pytest.approx(chi0_mc, rel=5e-3)
    w = m.size / m.n_agents
    p = m.params
    assert g["cohesion"] == pytest.approx(2 * p["coupling"] * np.dot(w, m.cohesion) * g["chi0"], rel=1e-12)
    # the ring's slowest non-uniform mode has eigenvalue cos(2 pi / C)
    assert g["spillover"] == pytest.approx(2 * p["spillover"] * np.cos(2 * np.pi / 12) * g["chi0"], rel=1e-9)
    qbar = np.dot(w, m.compliance)
    assert g["fiscal"] == pytest.approx(p["public_goods"] * p["compliance_sensitivity"] * g["chi0"] / (2 * qbar),
                                        rel=1e-12)
    assert g["total"] == pytest.approx(g["cohesion"] + g["spillover"] + g["fiscal"])
    with pytest.raises(TypeError, match="model"):
        it.linear_gains("not a model")
    # the loop cut: no fiscal gain; negative spillover amplifies the alternating pattern (eigenvalue -1 at even C)
    null = CoupledGovernmentModel(3000, 12, seed=2, fixed_compliance=0.7, spillover=-0.3)
    null.run(5, quantiles=False)
    gn = it.linear_gains(null)
    assert gn["fiscal"] == 0.0 and gn["fiscal_per_psi"] == 0.0
    assert gn["spillover"] == pytest.approx(2 * -0.3 * -1.0 * gn["chi0"], rel=1e-9)
    # around the homogeneous state every citizen sees the national mean community term
    h = it.linear_gains(m, homogeneous=True)
    assert h["cohesion"] / h["chi0"] == pytest.approx(g["cohesion"] / g["chi0"], rel=1e-12)


def test_falling_communities_by_hand():
    tr = {"satisfaction": np.array([[0.5, 0.5, 0.5, 0.5]] * 4 + [[0.5, 0.5, 0.2, 0.45]] * 4),
          "size": np.array([[5, 5, 5, 5]] * 4 + [[6, 6, 2, 6]] * 4),
          "resources": np.ones((8, 4))}
    f = it.falling_communities(tr, below=0.1, last=4)
    assert f["community"].tolist() == [2]
    assert f["size_start"].tolist() == [5] and f["size_mid"].tolist() == [2] and f["size_end"].tolist() == [2]
    assert f["relative_resources"].tolist() == [pytest.approx(1.0)]


@pytest.mark.parametrize("kw, name", [(dict(checkpoints=(40, 20)), "checkpoints"),
                                      (dict(checkpoints=(5, 40)), "checkpoints"),
                                      (dict(window=0), "window")])
def test_bad_input(kw, name):
    args = {**SMALL, **kw}
    with pytest.raises(ValueError, match=name):
        it.replica_task(seed=0, **args)


def test_gain_and_frozen_variance_metrics(ds):
    s = int(ds.task_seed.values[2])
    m = CoupledGovernmentModel(SMALL["n_agents"], SMALL["n_communities"], seed=s, migration_rate=0.0)
    m.run(20, quantiles=False)
    m.run(20, quantiles=False)    # the task runs in pieces up to each checkpoint
    assert ds["gain"].sel(variant="no_migration", step=40).values[2] == it.linear_gains(m)["total"]
    # the variance of window-averaged means never exceeds the window average of the variances (Jensen),
    # up to the sizes changing within the window (snapshot weights): checked without migration
    for v in ("no_migration", "fiscal_null_no_migration", "uncoupled"):
        fz = ds["frozen_variance"].sel(variant=v).values
        bv = ds["between_variance"].sel(variant=v).values
        assert np.all(fz <= bv * (1 + 1e-12))


def test_stored_studies_are_run_study_results():
    """The chapter's stored sweeps: run_study's tasks, coordinates and parameters; one replica re-runs bit for bit."""
    from utacbook import sweep

    ds, spec = it.load("alt")
    p = spec["params"]
    assert spec["function"] == "utacbook.studies.multiscale.interacting:replica_task"
    assert ds.variant.values.tolist() == list(p["variants"]) and ds.step.values.tolist() == list(p["checkpoints"])
    assert set(ds.data_vars) >= set(it.METRICS) and all(ds[k].dims == ("replica", "variant", "step")
                                                        for k in it.METRICS)
    rep = sweep.reproduce(ds, n=1, max_seconds=1e9, seed=3)
    assert rep["identical"].all()
    main, main_spec = it.load("main")
    assert main.variant.values.tolist() == list(it.VARIANTS) and bool(main.task_done.all())
    assert main_spec["seed"] == spec["seed"] and main.sizes["replica"] == ds.sizes["replica"]
    with pytest.raises(ValueError, match="which"):
        it.load("other")
