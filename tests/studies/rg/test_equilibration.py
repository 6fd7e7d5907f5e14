"""Tests of utacbook.studies.rg.equilibration (chapter book/rg/08_equilibration.ipynb)."""

from __future__ import annotations

import numpy as np
import pytest
import xarray as xr

import utacbook as ub
from utacbook.studies.rg import equilibration as eq


def test_relaxation_point_reads_the_guide_models_trace():
    r = eq.relaxation_point(L=8, K=3.0, delta=0.5, T=0.19, n_sweeps=400, seed=4)
    J = 3.0 * 0.19
    direct = ub.scan_field(J, 0.19, [-J / 2 + 0.5 * 0.19], lattice_size=8, n_steps=400, n_replicas=1, seed=4,
                           return_traces=True, progress=False)
    s = np.asarray(direct["traces"]).reshape(-1)
    np.testing.assert_array_equal(r["sigma_at"], s[[24, 49, 99, 199]])
    np.testing.assert_array_equal(r["abs_m_at"], np.abs(s[[24, 49, 99, 199]] - 0.5))
    half = s[200:]
    assert r["stat_mean"] == half.mean() and r["stat_abs_m"] == np.abs(half - 0.5).mean()
    assert r["drift"] == pytest.approx(half[:100].mean() - half[100:].mean(), abs=1e-15)
    assert r["h"] == pytest.approx(-J / 2 + 0.5 * 0.19) and r["J"] == pytest.approx(J)


@pytest.mark.parametrize("kw, match", [
    (dict(L=2), "L"), (dict(K=0.0), "K"), (dict(delta=float("inf")), "delta"), (dict(T=0.0), "T"),
    (dict(n_sweeps=399), "n_sweeps"),
])
def test_relaxation_point_bad_input(kw, match):
    args = dict(L=8, K=3.0, delta=0.0, n_sweeps=400, seed=1)
    args.update(kw)
    with pytest.raises((ValueError, TypeError), match=match):
        eq.relaxation_point(**args)


def _synthetic(at, stat, stat_std, tau):
    """A 1 x 1 x 1 grid with 4 replicas: abs_m_at (4, 4), stat_abs_m (4,), stat_abs_m_std (4,), tau (4,)."""
    dims = ("K", "delta", "L", "replica")
    ds = xr.Dataset({"abs_m_at": (dims + ("checkpoint",), np.asarray(at)[None, None, None]),
                     "stat_abs_m": (dims, np.asarray(stat)[None, None, None]),
                     "stat_abs_m_std": (dims, np.asarray(stat_std)[None, None, None]),
                     "tau_int": (dims, np.asarray(tau)[None, None, None])},
                    coords={"K": [4.0], "delta": [0.0], "L": [16], "replica": range(4),
                            "checkpoint": list(eq.CHECKPOINTS)})
    ds.attrs["utacbook_sweep"] = {"params": {"n_sweeps": 20000}}
    return ds


def test_deviation_and_its_error():
    at = np.array([[0.30, 0.20, 0.12, 0.10]] * 4)
    stat = np.array([0.1000, 0.1004, 0.0997, 0.1001])        # replicas agree within 0.02 sqrt(2 * 5 / 10000)
    ds = _synthetic(at, stat, np.full(4, 0.02), np.full(4, 5.0))
    dev = eq.deviations(ds)
    d = dev.sel(K=4.0, delta=0.0, L=16)
    np.testing.assert_allclose(d["deviation"].values, at[0] - stat.mean(), atol=1e-15)
    err = np.sqrt(0.02 ** 2 / 4 + stat.var(ddof=1) / 4)
    np.testing.assert_allclose(d["err"].values, err)
    assert bool(d["reliable"])
    ok = eq.enough(dev).sel(K=4.0, delta=0.0, L=16).values
    np.testing.assert_array_equal(ok, np.abs(at[0] - stat.mean()) <= 0.01 + 2 * err)
    m = eq.measurements(dev, checkpoint=100)
    assert len(m) == 1 and m[0].condition == "K = 4, δ = 0, L = 16"


def test_replicas_that_disagree_make_a_point_unreliable():
    stat = np.array([0.43, 0.43, 0.43, 0.06])                 # one run trapped away from the others
    ds = _synthetic(np.zeros((4, 4)), stat, np.full(4, 0.01), np.full(4, 5.0))
    d = eq.deviations(ds).sel(K=4.0, delta=0.0, L=16)
    assert bool(d["long_enough"]) and not bool(d["replicas_agree"]) and not bool(d["reliable"])


def test_unreliable_points_are_left_out():
    ds = _synthetic(np.zeros((4, 4)), np.zeros(4), np.full(4, 0.01), np.array([5.0, 5.0, 5.0, 300.0]))
    dev = eq.deviations(ds)
    assert not bool(dev["reliable"].sel(K=4.0, delta=0.0, L=16))     # 10000 / 300 < 50
    assert eq.measurements(dev) == []


def test_claims():
    (c,) = eq.claims(n_points=7)
    assert c.id == "rg.equilibration.map" and c.source == "ours" and "7 points" in c.scope


def test_committed_store_is_complete_and_reproduces():
    ds, spec = eq.load()
    assert bool(ds.task_done.all())
    rep = ub.sweep.reproduce(ds, n=2, max_seconds=0.5, seed=1)
    assert bool(rep["identical"].all())
