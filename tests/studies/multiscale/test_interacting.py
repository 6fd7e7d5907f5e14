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


def test_special_case_is_bit_identical():
    assert it.special_case_identical(n_agents=600, n_communities=6, n_steps=30, seed=4)


def test_claims_judge_from_the_measurements(ds):
    cl = {c.id: c for c in it.claims(n_replicas=3, checkpoints=(20, 40))}
    M = it.measurements(ds, special_case=True)
    assert set(M) == set(cl)
    for k, ms in M.items():
        j = cl[k].judge(ms)
        assert j.verdict in uc.VERDICTS
    assert cl["ms.coupled.special_case"].judge(M["ms.coupled.special_case"]).verdict == uc.HELD
    assert cl["ms.coupled.special_case"].judge(uc.Measurement(False)).verdict == uc.NOT_REPRODUCED
    assert [m.condition for m in M["ms.coupled.fiscal"]] == ["20 steps", "40 steps"]


@pytest.mark.parametrize("kw, name", [(dict(checkpoints=(40, 20)), "checkpoints"),
                                      (dict(checkpoints=(5, 40)), "checkpoints"),
                                      (dict(window=0), "window")])
def test_bad_input(kw, name):
    args = {**SMALL, **kw}
    with pytest.raises(ValueError, match=name):
        it.replica_task(seed=0, **args)
