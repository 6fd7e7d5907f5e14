"""Tests of utacbook.studies.rg.universality (chapter book/rg/07_universality.ipynb)."""

from __future__ import annotations

import numpy as np
import pytest
import xarray as xr

import utacbook as ub
import utacbook.claims as uc
from utacbook.studies.rg import universality as un


def test_agent_point_is_the_guide_model_at_the_symmetric_field():
    r = un.agent_point(L=8, y=0.3, K0=5.5, T=0.2, sweeps_at_16=800, burn_fraction=0.5, n_blocks=5, seed=9)
    K = 5.5 * (1 + 0.3 / 8)
    n = un.sweeps_for(8, 800)
    assert r["K"] == K and r["n_sweeps"] == n == 200
    direct = ub.scan_field(K * 0.2, 0.2, [-0.5 * K * 0.2], lattice_size=8, n_steps=100 + n, n_replicas=1,
                           seed=9, return_traces=True, progress=False)
    m = np.asarray(direct["traces"]).reshape(-1)[100:] - 0.5
    np.testing.assert_array_equal(r["m2"], (m * m).reshape(5, -1).mean(axis=1))
    np.testing.assert_array_equal(r["abs_m"], np.abs(m).reshape(5, -1).mean(axis=1))
    assert r["tau_abs_m"] >= 0.5


def test_agent_point_seeded():
    a = un.agent_point(L=8, y=0.0, sweeps_at_16=400, n_blocks=4, seed=2)
    b = un.agent_point(L=8, y=0.0, sweeps_at_16=400, n_blocks=4, seed=2)
    c = un.agent_point(L=8, y=0.0, sweeps_at_16=400, n_blocks=4, seed=3)
    for k in un.MOMENTS:
        np.testing.assert_array_equal(a[k], b[k])
    assert not np.array_equal(a["m2"], c["m2"])


@pytest.mark.parametrize("kw, match", [
    (dict(L=3), "L"), (dict(y=9.0), "y"), (dict(K0=0.0), "K0"), (dict(T=-1.0), "T"),
    (dict(n_blocks=1), "n_blocks"), (dict(sweeps_at_16=0), "sweeps_at_16"),
    (dict(sweeps_at_16=8, n_blocks=4), "fewer than n_blocks"), (dict(burn_fraction=-0.1), "burn_fraction"),
])
def test_agent_point_bad_input(kw, match):
    args = dict(L=8, y=0.0, sweeps_at_16=400, n_blocks=4, seed=1)
    args.update(kw)
    with pytest.raises((ValueError, TypeError), match=match):
        un.agent_point(**args)


def _synthetic(Ls, ys, U_of, K0=5.5, G=6, m2=0.04):
    """A Dataset whose moments give U = U_of(L, K) exactly (m2 fixed, m4 = 3 m2^2 (1 - U))."""
    K = np.array([[K0 * (1 + y / L) for y in ys] for L in Ls])
    U = np.array([[U_of(L, k) for k in row] for L, row in zip(Ls, K)])
    shape = (len(Ls), len(ys), 2, G // 2)
    m2a = np.full(shape, m2)
    m4a = np.broadcast_to((3 * m2 ** 2 * (1 - U))[..., None, None], shape).copy()
    absm = np.full(shape, 0.15)
    dims = ("L", "y", "replica", "block")
    ds = xr.Dataset({"m2": (dims, m2a), "m4": (dims, m4a), "abs_m": (dims, absm), "m": (dims, np.zeros(shape))},
                    coords={"L": list(Ls), "y": list(ys), "replica": [0, 1]})
    ds["K"] = (dims[:3], np.repeat(K[..., None], 2, axis=-1))
    ds["tau_abs_m"] = (dims[:3], np.ones(shape[:3]))
    ds["n_sweeps"] = (dims[:3], np.ones(shape[:3], dtype=int))
    return ds


def test_crossings_and_slopes_on_constructed_curves():
    Kx = 5.53
    ds = _synthetic([16, 32, 64], np.linspace(-0.6, 0.6, 7), lambda L, K: 0.6 + 0.02 * L * (K - Kx))
    cr = un.crossings(ds)
    assert cr["pairs"] == [(16, 32), (32, 64)]
    np.testing.assert_allclose(cr["K_cross"], Kx, atol=1e-9)
    np.testing.assert_allclose(cr["U_cross"], 0.6, atol=1e-9)
    at = un.at_coupling(ds, Kx)
    np.testing.assert_allclose(at["dU_dK"][:, 0], 0.02 * np.array([16, 32, 64]), rtol=1e-8)
    np.testing.assert_allclose(at["U"][:, 0], 0.6, atol=1e-9)
    np.testing.assert_allclose(at["chi"][:, 0], 0.04 * np.array([16, 32, 64]) ** 2, rtol=1e-9)
    fits = un.exponent_fits({k: (np.c_[v[:, 0], np.full(3, 1e-3) * v[:, 0]] if k != "L" else v)
                             for k, v in at.items()}, L_min=16)
    assert fits["inv_nu"]["value"] == pytest.approx(1.0, abs=1e-6)
    assert fits["gamma_nu"]["value"] == pytest.approx(2.0, abs=1e-6)


def test_observables_formulae():
    ds = _synthetic([16, 32], [-0.2, 0.0, 0.2], lambda L, K: 0.5)
    obs = un.observables(ds)
    np.testing.assert_allclose(obs["U"][0], 0.5)
    np.testing.assert_allclose(obs["chi"][0][1], 32 ** 2 * 0.04)
    np.testing.assert_allclose(obs["chi_conn"][0][0], 16 ** 2 * (0.04 - 0.15 ** 2))


def _judgement(name, value, err, target):
    c = uc.Claim(f"rg.universality.{name}", source="ours", section="", text="t", quantity="q",
                 criterion=uc.Agreement(target, k=2), scope="s")
    return c.judge(uc.Measurement(value, err))


def _judged_at_three(name, values, target, err=0.01):
    c = uc.Claim(f"rg.universality.{name}", source="ours", section="", text="t", quantity="q",
                 criterion=uc.Agreement(target, k=2), scope="s")
    return c.judge([uc.Measurement(v, err, condition=lab) for v, lab in zip(values, ("K*-s", "K*", "K*+s"))])


def test_answer_is_computed_from_the_verdicts():
    ok = [_judged_at_three("inv-nu", (1, 1, 1), 1), _judged_at_three("gamma-over-nu", (1.75,) * 3, 1.75),
          _judged_at_three("beta-over-nu", (0.125,) * 3, 0.125), _judgement("u-star", 0.61, 0.01, 0.61)]
    assert un.answer(ok).endswith("behaves as a 2D Ising model, within the stated errors.")
    mixed = [ok[0], _judged_at_three("gamma-over-nu", (1.70, 1.71, 1.75), 1.75), ok[2], ok[3]]
    text = un.answer(mixed, u_cross=([0.58, 0.59], [0.01, 0.01]))
    assert text.startswith("The fits agree with the 2D Ising values for 1/ν and β/ν wherever")
    assert "For γ/ν they agree or not depending on where" in text
    assert "All 2 Binder crossings lie below U* (by 2.1 to 3.1 standard errors" in text
    assert text.endswith("These sizes do not decide the Ising hypothesis.")
    failed = [_judged_at_three(n, (t + 1,) * 3, t) for n, t in (("inv-nu", 1), ("gamma-over-nu", 1.75))]
    assert un.answer(failed).endswith("At these sizes the data disagree with the 2D Ising values.")


def test_claims():
    cl = un.claims()
    assert [c.id for c in cl] == ["rg.universality.inv-nu", "rg.universality.gamma-over-nu",
                                  "rg.universality.beta-over-nu", "rg.universality.u-star"]
    assert all(c.source == "ours" for c in cl)


def test_committed_store_is_complete_and_reproduces():
    ds, spec = un.load()
    assert bool(ds.task_done.all())
    rep = ub.sweep.reproduce(ds, n=2, max_seconds=0.5, seed=1)
    assert bool(rep["identical"].all())
