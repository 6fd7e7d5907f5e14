"""Tests of utacbook.studies.ising.large_lattices (chapter book/ising/11_large_lattices.ipynb).

The analysis is checked against exact enumeration of the 4 x 4 torus (all 2^16 states): the
Binder cumulant, chi, <|m|> and the fluctuation-formula derivative dU/dbeta; the Wolff task
against the same exact averages within its error bars; crossings and the collapse on
constructed data with a known answer; and the committed store against a re-run.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest
import xarray as xr

import utacbook as ub
from utacbook.studies.ising import large_lattices as ll


def _exact_moments(L, T):
    """Exact <O> over all states of the L x L torus for the moments a task returns (per spin)."""
    N = L * L
    states = np.array(list(itertools.product((-1, 1), repeat=N)), dtype=np.int8).reshape(-1, L, L)
    s = states.astype(np.int64)
    E = -(s * np.roll(s, 1, 1) + s * np.roll(s, 1, 2)).sum(axis=(1, 2)) / N
    m = s.sum(axis=(1, 2)) / N
    w = np.exp(-(E - E.min()) * N / T)
    w /= w.sum()
    a = np.abs(m)
    series = {"abs_m": a, "m2": m ** 2, "m4": m ** 4, "e": E, "e2": E ** 2, "abs_m_e": a * E,
              "m2e": m ** 2 * E, "m4e": m ** 4 * E}
    return {k: float(np.dot(w, x)) for k, x in series.items()}


@pytest.fixture(scope="module")
def exact_dataset():
    """A Dataset laid out like the sweep, whose blocks all hold the exact L = 4 moments."""
    L, xs = 4, [-0.5, 0.0, 0.5]
    data = {k: np.empty((1, len(xs), 2, 3)) for k in ll.MOMENTS}
    T = np.empty((1, len(xs), 2))
    for j, x in enumerate(xs):
        t = ll.TC * (1 + x / L)
        mom = _exact_moments(L, t)
        for k in ll.MOMENTS:
            data[k][0, j] = mom[k]
        T[0, j] = t
    ds = xr.Dataset({k: (("L", "x", "replica", "block"), v) for k, v in data.items()},
                    coords={"L": [L], "x": xs, "replica": [0, 1]})
    ds["T"] = (("L", "x", "replica"), T)
    return ds


def test_observables_equal_exact_enumeration(exact_dataset):
    obs = ll.observables(exact_dataset)
    for j, x in enumerate(exact_dataset.x.values):
        T = ll.TC * (1 + x / 4)
        ex = ub.enumerate_lattice(4, T)
        assert obs["U"][0][0, j] == pytest.approx(ex["binder"], rel=1e-12)
        assert obs["chi"][0][0, j] == pytest.approx(ex["susceptibility_h0"], rel=1e-12)
        assert obs["abs_m"][0][0, j] == pytest.approx(ex["abs_magnetization"], rel=1e-12)
        # the fluctuation formula against a central difference of the exact U(beta)
        b, h = 1 / T, 1e-5
        dU = (ub.enumerate_lattice(4, 1 / (b + h))["binder"] - ub.enumerate_lattice(4, 1 / (b - h))["binder"]) / (2 * h)
        assert obs["dU_dbeta"][0][0, j] == pytest.approx(dU, rel=1e-6)
        assert obs["U"][1][0, j] == pytest.approx(0.0, abs=1e-12)       # identical groups: no spread


def test_wolff_point_agrees_with_exact_enumeration():
    r = ll.wolff_point(L=4, x=0.0, steps=40000, burn_in=500, n_blocks=40, seed=5)
    ex = _exact_moments(4, ll.TC)
    for k in ("abs_m", "m2", "m4", "e", "m2e"):
        b = r[k]
        z = (b.mean() - ex[k]) / (b.std(ddof=1) / np.sqrt(b.size))
        assert abs(z) < 4, (k, z)
    assert r["T"] == ll.TC and 0 < r["cluster_frac"] <= 1


def test_wolff_point_is_seeded_and_consistent():
    a = ll.wolff_point(L=8, x=0.5, steps=400, burn_in=20, n_blocks=4, seed=3)
    b = ll.wolff_point(L=8, x=0.5, steps=400, burn_in=20, n_blocks=4, seed=3)
    c = ll.wolff_point(L=8, x=0.5, steps=400, burn_in=20, n_blocks=4, seed=4)
    for k in ll.MOMENTS:
        np.testing.assert_array_equal(a[k], b[k])
    assert not np.array_equal(a["m2"], c["m2"])
    assert np.all(a["m2"] >= a["abs_m"] ** 2 - 1e-15) and np.all(a["m4"] >= a["m2"] ** 2 - 1e-15)
    assert a["T"] == pytest.approx(ll.TC * (1 + 0.5 / 8))


@pytest.mark.parametrize("kw, match", [
    (dict(L=2), "L"), (dict(L=8.5), "L"), (dict(x=8.0), "x"), (dict(x=float("nan")), "x"),
    (dict(steps=3, n_blocks=4), "steps"), (dict(n_blocks=1), "n_blocks"), (dict(burn_in=-1), "burn_in"),
])
def test_wolff_point_bad_input(kw, match):
    args = dict(L=8, x=0.0, steps=100, burn_in=0, n_blocks=4, seed=1)
    args.update(kw)
    with pytest.raises((ValueError, TypeError), match=match):
        ll.wolff_point(**args)


def test_jackknife_of_a_mean_is_the_standard_error():
    rng = np.random.default_rng(0)
    a = rng.normal(size=(2, 3, 50))
    val, err = ll._jack(lambda a: a, [a])
    np.testing.assert_allclose(val, a.mean(axis=-1))
    np.testing.assert_allclose(err, a.std(axis=-1, ddof=1) / np.sqrt(50))


def _synthetic(Ls, xs, U_of, G=10):
    """A Dataset whose m2 = 1 and m4 = 3 (1 - U) give the Binder cumulant U_of(L, T) exactly."""
    T = np.array([[ll.TC * (1 + x / L) for x in xs] for L in Ls])
    U = np.array([[U_of(L, t) for t in row] for L, row in zip(Ls, T)])
    m2 = np.ones((len(Ls), len(xs), 1, G))
    m4 = np.broadcast_to((3 * (1 - U))[..., None, None], m2.shape).copy()
    ds = xr.Dataset({"m2": (("L", "x", "replica", "block"), m2), "m4": (("L", "x", "replica", "block"), m4)},
                    coords={"L": list(Ls), "x": list(xs), "replica": [0]})
    ds["T"] = (("L", "x", "replica"), T[..., None])
    return ds


def test_crossings_of_constructed_curves():
    Tx = ll.TC + 0.001                                      # all curves cross here, at U = 0.6
    ds = _synthetic([16, 32, 64], np.linspace(-1.5, 1.5, 7), lambda L, t: 0.6 - 0.05 * L * (t - Tx))
    cr = ll.binder_crossings(ds)
    assert cr["pairs"] == [(16, 32), (32, 64)]
    np.testing.assert_allclose(cr["T_cross"], Tx, atol=1e-9)
    np.testing.assert_allclose(cr["U_cross"], 0.6, atol=1e-9)


def test_collapse_recovers_the_exponent():
    a_true = -0.2                                           # 1/nu - 1, nu = 1.25
    xs = np.linspace(-1.5, 1.5, 7)
    U_of = lambda L, t: 0.6 - 0.1 * ((t / ll.TC - 1) * L) * L ** a_true   # noqa: E731
    Ls = np.array([64, 128, 256])
    U = np.array([[U_of(L, ll.TC * (1 + x / L)) for x in xs] for L in Ls])
    obs = {"L": Ls, "x": xs, "U": (U, np.full_like(U, 1e-4))}
    col = ll.collapse(obs, L_min=64, deg=1)
    assert col["a"] == pytest.approx(a_true, abs=1e-6) and col["nu"] == pytest.approx(1.25, abs=1e-5)


def test_claims_are_ours_with_fixed_criteria():
    cl = ll.claims()
    assert len({c.id for c in cl}) == len(cl) == 6
    assert all(c.source == "ours" and c.id.startswith("ising.large.") for c in cl)


def test_committed_store_is_complete_and_reproduces():
    ds, spec = ll.load()
    assert bool(ds.task_done.all())
    assert ds.attrs["utacbook_sweep"]["function"] == spec["function"]
    rep = ub.sweep.reproduce(ds, n=2, max_seconds=0.5, seed=1)
    assert bool(rep["identical"].all())
