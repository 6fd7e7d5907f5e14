"""Tests of the NumPy/SciPy peers in benchmarks/reference_numpy_ising.py.

The benchmark's speed ratios only mean something if the peers compute the
same physics as utacbook.  Each peer is compared with exact results
(utacbook.exact): full enumeration of the 4 x 4 torus and of a small
weighted graph, with a tolerance of 4 sigma from the run's own
tau_int-corrected error (utacbook.stats.mean_with_error).  The
bookkeeping (sublattice layout, incremental energies, colouring) is checked
exactly.
"""

import importlib.util
from pathlib import Path

import networkx as nx
import numpy as np
import pytest

from utacbook.theory import _exact as exact
from utacbook.stats import _mcstats as mcstats

_PATH = Path(__file__).resolve().parents[1] / "benchmarks" / "reference_numpy_ising.py"
_spec = importlib.util.spec_from_file_location("reference_numpy_ising", _PATH)
R = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(R)

TC = exact.onsager_tc()


def bond_sum(full):
    f = full.astype(np.int64)
    return int((f * (np.roll(f, 1, 0) + np.roll(f, 1, 1))).sum())


def within(series, ref, k=4.0):
    val, err, _ = mcstats.mean_with_error(series)
    assert err > 0
    return abs(val - ref) < k * err, (val, err, ref)


def test_sublattice_layout_and_neighbour_sums():
    L = 8
    rng = np.random.default_rng(0)
    full = np.where(rng.random((L, L)) < 0.5, 1, -1).astype(np.int8)
    sim = R.CheckerboardIsing(L, 2.0, init=full, seed=1)
    assert np.array_equal(sim.spins, full)
    nfull = (np.roll(full, 1, 0) + np.roll(full, -1, 0) + np.roll(full, 1, 1)
             + np.roll(full, -1, 1))
    n = sim._neighbour_sums(1).copy()
    assert np.array_equal(n[0], nfull[0::2, 1::2]) and np.array_equal(n[1], nfull[1::2, 0::2])
    n = sim._neighbour_sums(0).copy()
    assert np.array_equal(n[0], nfull[0::2, 0::2]) and np.array_equal(n[1], nfull[1::2, 1::2])
    assert sim._bond_sum() == bond_sum(full)


@pytest.mark.parametrize("alg", ["metropolis", "heatbath"])
def test_checkerboard_records_the_energy_of_the_state(alg):
    sim = R.CheckerboardIsing(16, 2.5, h=0.2, algorithm=alg, seed=3)
    e, m = sim.run(50, burn_in=5)
    f = sim.spins
    assert e[-1] == pytest.approx((-bond_sum(f) - 0.2 * f.sum()) / f.size, abs=1e-12)
    assert m[-1] == pytest.approx(f.mean(), abs=1e-12)


@pytest.mark.parametrize("alg,T,h", [("metropolis", 2.27, 0.0), ("heatbath", 2.27, 0.0),
                                     ("metropolis", 3.5, -0.5), ("heatbath", 1.8, 0.3)])
def test_checkerboard_L4_against_enumeration(alg, T, h):
    ex = exact.enumerate_lattice(4, T, h=h)
    e, m = R.CheckerboardIsing(4, T, h=h, algorithm=alg, seed=5).run(20000, burn_in=500)
    ok, info = within(e, ex["energy"])
    assert ok, ("energy", info)
    ok, info = within(np.abs(m), ex["abs_magnetization"])
    assert ok, ("|m|", info)


def test_checkerboard_rejects_bad_sizes():
    with pytest.raises(ValueError, match="L"):
        R.CheckerboardIsing(5, 2.0)
    with pytest.raises(ValueError, match="algorithm"):
        R.CheckerboardIsing(4, 2.0, algorithm="wolff")


def test_greedy_colouring_is_proper():
    G = nx.barabasi_albert_graph(500, 3, seed=2)
    A = nx.to_scipy_sparse_array(G, format="csr")
    classes = R.greedy_colour_classes(A)
    assert np.array_equal(np.sort(np.concatenate(classes)), np.arange(500))
    for idx in classes:
        assert A[idx][:, idx].nnz == 0     # no edge inside a class


@pytest.mark.parametrize("alg", ["metropolis", "heatbath"])
def test_graph_peer_against_enumeration(alg):
    G = R.small_test_graph()
    T, h = 1.5, 0.2
    ex = exact.enumerate_graph(G, T, h=h)
    sim = R.GraphColourIsing(G, T, h=h, algorithm=alg, seed=6)
    e, m = sim.run(15000, burn_in=500)
    for name, series, ref in (("energy", e, ex["energy"]), ("m", m, ex["magnetization"])):
        ok, info = within(series, ref)
        assert ok, (name, info)
    # the incrementally carried energy equals the energy of the final state
    s = sim.spins.astype(float)
    Jm = nx.to_numpy_array(G, weight="weight")
    assert e[-1] == pytest.approx((-0.5 * s @ Jm @ s - h * s.sum()) / s.size, abs=1e-9)


def test_wolff_python_against_enumeration():
    ex = exact.enumerate_lattice(4, TC)
    _, e, m, sizes = R.wolff_python(4, TC, 20000, seed=8)
    ok, info = within(e[200:], ex["energy"])
    assert ok, ("energy", info)
    ok, info = within(np.abs(m[200:]), ex["abs_magnetization"])
    assert ok, ("|m|", info)
    assert sizes.min() >= 1 and sizes.max() <= 16
