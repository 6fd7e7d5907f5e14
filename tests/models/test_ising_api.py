"""The Ising and Potts engines as a library: reprs, exports, field ramps, guards, bad input.

Bad inputs are listed in tables (``LATTICE_BAD``, ``GRAPH_BAD``, ``PREPARE_BAD``,
``POTTS_BAD``, ``POTTS_WOLFF_BAD``, ``MEMORY_BAD``, ``MUTATED_BAD``,
``RAMP_ESTIMATORS``, ``FILE_BAD``); each case asserts the exception type and that
the message names the parameter.  ``test_bad_input_count`` counts them.
"""

import ast
import math

import networkx as nx
import numpy as np
import pytest
import scipy.sparse as sp

from utacbook.models import GraphResult, IsingResult, PottsResult, prepare_graph, simulate_graph, simulate_lattice
from utacbook.models._potts import simulate_potts, simulate_potts_wolff

LIMIT = "UTACBOOK_MEMORY_LIMIT"


def lattice(**kw):
    args = dict(L=8, T=2.0, sweeps=10, burn_in=2, seed=1)
    args.update(kw)
    return simulate_lattice(args.pop("L"), args.pop("T"), **args)


def graph_run(**kw):
    args = dict(graph=nx.cycle_graph(10), T=1.0, sweeps=20, burn_in=2, seed=1)
    args.update(kw)
    return simulate_graph(args.pop("graph"), args.pop("T"), **args)


def potts(**kw):
    args = dict(L=8, T=1.0, q=3, sweeps=10, burn_in=2, seed=1)
    args.update(kw)
    return simulate_potts(args.pop("L"), args.pop("T"), **args)


def potts_wolff(**kw):
    args = dict(L=8, T=1.0, q=3, sweeps=10, burn_in=2, seed=1)
    args.update(kw)
    return simulate_potts_wolff(args.pop("L"), args.pop("T"), **args)


def sym(a):
    a = np.asarray(a)
    return a + a.T


# --------------------------------------------------------------------------
# bad input tables: (keyword arguments, exception, regex the message must match)
# --------------------------------------------------------------------------

NAN, INF = float("nan"), float("inf")

LATTICE_BAD = [
    (dict(L=0), ValueError, "L"),
    (dict(L=-4), ValueError, "L"),
    (dict(L=1), ValueError, "L"),
    (dict(L=7), ValueError, "L must be even"),
    (dict(L=9, algorithm="heatbath"), ValueError, "L must be even"),
    (dict(L=8.0), TypeError, "L"),
    (dict(L="8"), TypeError, "L"),
    (dict(L=True), TypeError, "L"),
    (dict(L=None), TypeError, "L"),
    (dict(L=70000), ValueError, "L"),
    (dict(L=64, algorithm="metropolis_msc"), ValueError, "L must be a multiple of 128"),
    (dict(T=0.0), ValueError, "T"),
    (dict(T=-1.0), ValueError, "T"),
    (dict(T=NAN), ValueError, "T"),
    (dict(T=INF), ValueError, "T"),
    (dict(T="2"), TypeError, "T"),
    (dict(T=1j), TypeError, "T"),
    (dict(T=5e-324), ValueError, "1/T overflows"),
    (dict(J=NAN), ValueError, "J"),
    (dict(J=INF), ValueError, "J"),
    (dict(J=-1e308), ValueError, "J is too large"),
    (dict(J=1e300), ValueError, "J is too large"),
    (dict(J="1"), TypeError, "J"),
    (dict(J=-1.0, algorithm="wolff"), ValueError, "J must be >= 0"),
    (dict(L=128, J=0.0, algorithm="metropolis_msc"), ValueError, "J must be > 0"),
    (dict(h=NAN), ValueError, "h"),
    (dict(h=INF), ValueError, "h"),
    (dict(h=1e308), ValueError, "h is too large"),
    (dict(h=-1e299), ValueError, "h is too large"),
    (dict(h=np.zeros(9)), ValueError, "h must be a scalar or have length sweeps"),
    (dict(h=np.zeros((10, 1))), ValueError, "h must be 1-dimensional"),
    (dict(h=[0.0] * 9 + [NAN]), ValueError, "h must contain only finite"),
    (dict(h=np.full(10, 1e308)), ValueError, "h is too large"),
    (dict(h=np.zeros(10, dtype=complex)), TypeError, "h must be real"),
    (dict(h=1 + 0j), TypeError, "h"),
    (dict(h="0.1"), TypeError, "h"),
    (dict(h=[[0.0, 1.0], [2.0]]), TypeError, "h"),
    (dict(h=None), TypeError, "h"),
    (dict(h=0.5, algorithm="wolff"), ValueError, "h must be 0"),
    (dict(L=128, h=0.1, algorithm="metropolis_msc"), ValueError, "h must be 0"),
    (dict(h=[]), ValueError, "h must be a scalar or have length sweeps"),
    (dict(sweeps=0), ValueError, "sweeps"),
    (dict(sweeps=-5), ValueError, "sweeps"),
    (dict(sweeps=2.5), TypeError, "sweeps"),
    (dict(burn_in=-1), ValueError, "burn_in"),
    (dict(burn_in=1.0), TypeError, "burn_in"),
    (dict(algorithm="Metropolis"), ValueError, "algorithm"),
    (dict(algorithm="swendsen_wang"), ValueError, "algorithm"),
    (dict(algorithm=None), ValueError, "algorithm"),
    (dict(algorithm=1), ValueError, "algorithm"),
    (dict(init="sideways"), ValueError, "init"),
    (dict(init=np.zeros((8, 8))), ValueError, "init"),
    (dict(init=np.ones((4, 4))), ValueError, "init"),
    (dict(init=np.ones((8, 8), dtype=complex)), ValueError, "init"),
    (dict(seed=-1), ValueError, "seed"),
    (dict(seed=1.5), TypeError, "seed"),
    (dict(seed="x"), TypeError, "seed"),
    (dict(seed=(1, (-1,))), ValueError, "seed"),
    (dict(zero_cost_accept=0.0), ValueError, "zero_cost_accept"),
    (dict(zero_cost_accept=1.5), ValueError, "zero_cost_accept"),
    (dict(zero_cost_accept=NAN), ValueError, "zero_cost_accept"),
    (dict(h=np.zeros(5), sweeps=None, sweeps_per_field=0), ValueError, "sweeps_per_field"),
    (dict(h=np.zeros(5), sweeps=None, sweeps_per_field=2.0), TypeError, "sweeps_per_field"),
    (dict(h=0.3, sweeps=None, sweeps_per_field=2), ValueError, "sweeps_per_field"),
    (dict(h=np.zeros(5), sweeps=11, sweeps_per_field=2), ValueError, "sweeps_per_field"),
    (dict(h=np.zeros((5, 2)), sweeps=None, sweeps_per_field=2), ValueError, "h must be 1-dimensional"),
    (dict(h=[], sweeps=None, sweeps_per_field=2), ValueError, "h must hold one value"),
    (dict(h=[0.0, NAN], sweeps=None, sweeps_per_field=2), ValueError, "h must contain only finite"),
]


@pytest.mark.parametrize("kw,exc,match", LATTICE_BAD)
def test_simulate_lattice_refuses_bad_input_naming_the_parameter(kw, exc, match):
    with pytest.raises(exc, match=match):
        lattice(**kw)


def _cycle_with_self_loop():
    G = nx.cycle_graph(4)
    G.add_edge(0, 0)
    return G


GRAPH_BAD = [
    (dict(graph=nx.Graph()), ValueError, "graph must have at least one node"),
    (dict(graph=nx.DiGraph([(0, 1)])), ValueError, "graph must be undirected"),
    (dict(graph=nx.MultiDiGraph([(0, 1), (1, 0)])), ValueError, "graph must be undirected"),
    (dict(graph=_cycle_with_self_loop()), ValueError, "graph must have no self-loops"),
    (dict(graph=np.zeros((0, 0))), ValueError, "graph must have at least one node"),
    (dict(graph=np.ones((3, 4))), ValueError, "graph adjacency must be square"),
    (dict(graph=np.zeros(5)), ValueError, "graph adjacency must be square"),
    (dict(graph=np.array([[0, 1j], [1j, 0]])), TypeError, "graph must be real"),
    (dict(graph=sp.csr_array(np.array([[0, 1 + 0j], [1 + 0j, 0]]))), TypeError, "graph must be real"),
    (dict(graph=sym([[0, 1e308, 1e308], [0, 0, 1e308], [0, 0, 0]]) / 2), ValueError, "graph edge weights"),
    (dict(graph=np.array([[0.0, 1.0], [2.0, 0.0]])), ValueError, "graph adjacency must be symmetric"),
    (dict(graph=sp.csr_array(np.ones((2, 3)))), ValueError, "graph adjacency must be square"),
    (dict(graph=[[0, 1], [1, 0]]), TypeError, "graph"),
    (dict(graph="cycle"), TypeError, "graph"),
    (dict(graph=None), TypeError, "graph"),
    (dict(T=0.0), ValueError, "T"),
    (dict(T=-1.0), ValueError, "T"),
    (dict(T=NAN), ValueError, "T"),
    (dict(T=5e-324), ValueError, "1/T overflows"),
    (dict(J=INF), ValueError, "J"),
    (dict(J=1e308), ValueError, "J is too large"),
    (dict(J=-1e299), ValueError, "J is too large"),
    (dict(J=None), TypeError, "J"),
    (dict(h=NAN), ValueError, "h"),
    (dict(h=1e308), ValueError, "h is too large"),
    (dict(h=np.full(10, -1e300)), ValueError, "h is too large"),
    (dict(h=np.ones(7)), ValueError, "h must be a scalar"),
    (dict(h=np.ones((20, 3))), ValueError, "h must be a scalar"),
    (dict(h=np.ones((3, 20, 1))), ValueError, "h must be a scalar"),
    (dict(h=np.zeros(10, dtype=complex)), TypeError, "h must be real"),
    (dict(h=np.zeros(10), sweeps=10), ValueError, "h of length 10 is ambiguous"),
    (dict(sweeps=0), ValueError, "sweeps"),
    (dict(burn_in=-1), ValueError, "burn_in"),
    (dict(sweeps="10"), TypeError, "sweeps"),
    (dict(algorithm="wolff"), ValueError, "algorithm"),
    (dict(algorithm="heat-bath"), ValueError, "algorithm"),
    (dict(init="sideways"), ValueError, "init"),
    (dict(init=np.ones(9)), ValueError, "init"),
    (dict(init=np.zeros(10)), ValueError, "init"),
    (dict(seed=-1), ValueError, "seed"),
    (dict(seed=1.5), TypeError, "seed"),
    (dict(seed="x"), TypeError, "seed"),
    (dict(h=np.zeros(4), sweeps=None, sweeps_per_field=0), ValueError, "sweeps_per_field"),
    (dict(h=0.2, sweeps=None, sweeps_per_field=3), ValueError, "sweeps_per_field"),
    (dict(h=np.zeros((3, 7)), sweeps=None, sweeps_per_field=3), ValueError, "h rows must have length"),
    (dict(h=np.zeros(4), sweeps=20, sweeps_per_field=3), ValueError, "sweeps_per_field"),
    (dict(h=np.zeros((2, 2, 2)), sweeps=None, sweeps_per_field=3), ValueError, "h must hold one value"),
]


@pytest.mark.parametrize("kw,exc,match", GRAPH_BAD)
def test_simulate_graph_refuses_bad_input_naming_the_parameter(kw, exc, match):
    with pytest.raises(exc, match=match):
        graph_run(**kw)


def _weighted(name="W", value=1.0, only=None):
    G = nx.cycle_graph(6)
    for k, (a, b) in enumerate(G.edges()):
        if only is None or k < only:
            G[a][b][name] = value
    return G


PREPARE_BAD = [
    (dict(graph=nx.cycle_graph(5), weight=3), TypeError, "weight must be the name"),
    (dict(graph=nx.cycle_graph(5), weight=("a",)), TypeError, "weight must be the name"),
    (dict(graph=np.zeros((2, 2)), weight=1.5), TypeError, "weight must be the name"),
    (dict(graph=nx.cycle_graph(5), weight="W"), ValueError, "weight='W': no edge"),
    (dict(graph=_weighted(only=2), weight="W"), ValueError, "weight='W': only 2 of the 6 edges"),
    (dict(graph=_weighted("weight", only=5)), ValueError, "weight='weight': only 5 of the 6 edges"),
    (dict(graph=_weighted(value="strong"), weight="W"), TypeError, "weight: the edge attribute 'W'"),
    (dict(graph=_weighted(value=1 + 2j), weight="W"), TypeError, "weight: the edge attribute 'W'"),
    (dict(graph=_weighted(value=None), weight="W"), TypeError, "weight: the edge attribute 'W'"),
    (dict(graph=_weighted(value=NAN), weight="W"), ValueError, "edge weights"),
    (dict(graph=_weighted(value=1e308), weight="W"), ValueError, "graph edge weights are too large"),
    (dict(graph=nx.DiGraph([(0, 1), (1, 0)])), ValueError, "graph must be undirected"),
    (dict(graph=object()), TypeError, "graph"),
]


@pytest.mark.parametrize("kw,exc,match", PREPARE_BAD)
def test_prepare_graph_refuses_bad_input_naming_the_parameter(kw, exc, match):
    with pytest.raises(exc, match=match):
        prepare_graph(kw.pop("graph"), **kw)


POTTS_BAD = [
    (dict(q=1), ValueError, "q"),
    (dict(q=65), ValueError, "q"),
    (dict(q=0), ValueError, "q"),
    (dict(q=-3), ValueError, "q"),
    (dict(q=2.5), TypeError, "q"),
    (dict(q="3"), TypeError, "q"),
    (dict(q=None), TypeError, "q"),
    (dict(L=7), ValueError, "L must be even"),
    (dict(L=0), ValueError, "L"),
    (dict(L=8.0), TypeError, "L"),
    (dict(T=0.0), ValueError, "T"),
    (dict(T=NAN), ValueError, "T"),
    (dict(T=5e-324), ValueError, "1/T overflows"),
    (dict(T=0.001), ValueError, "T = 0.001 is too small for J"),
    (dict(T=1.0, J=-1000.0), ValueError, "too small for J = -1000"),
    (dict(J=1e308, T=1e308), ValueError, "J is too large"),
    (dict(J=NAN), ValueError, "J"),
    (dict(J=INF), ValueError, "J"),
    (dict(init="up"), ValueError, "init"),
    (dict(init=np.full((8, 8), 3)), ValueError, "init"),
    (dict(init=np.full((8, 8), -1)), ValueError, "init"),
    (dict(init=np.zeros((8, 8), dtype=float)), ValueError, "init"),
    (dict(init=np.zeros((4, 4), dtype=int)), ValueError, "init"),
    (dict(sweeps=0), ValueError, "sweeps"),
    (dict(burn_in=-1), ValueError, "burn_in"),
    (dict(seed=-1), ValueError, "seed"),
    (dict(seed=1.5), TypeError, "seed"),
    (dict(seed="x"), TypeError, "seed"),
]


@pytest.mark.parametrize("kw,exc,match", POTTS_BAD)
def test_simulate_potts_refuses_bad_input_naming_the_parameter(kw, exc, match):
    with pytest.raises(exc, match=match):
        potts(**kw)


POTTS_WOLFF_BAD = [
    (dict(sweeps=1), ValueError, "sweeps"),
    (dict(burn_in=0), ValueError, "burn_in"),
    (dict(q=100), ValueError, "q"),
    (dict(q=1), ValueError, "q"),
    (dict(T=-1.0), ValueError, "T"),
    (dict(T=5e-324), ValueError, "1/T overflows"),
    (dict(L=1), ValueError, "L"),
    (dict(seed="x"), TypeError, "seed"),
]


@pytest.mark.parametrize("kw,exc,match", POTTS_WOLFF_BAD)
def test_simulate_potts_wolff_refuses_bad_input_naming_the_parameter(kw, exc, match):
    with pytest.raises(exc, match=match):
        potts_wolff(**kw)


# --------------------------------------------------------------------------
# memory: estimated before allocating, refused with MemoryError naming the sizes
# --------------------------------------------------------------------------

MEMORY_BAD = [
    ("1e6", lambda: lattice(L=4096), r"simulate_lattice\(L=4096"),
    ("1e9", lambda: lattice(sweeps=10 ** 12), r"sweeps=1000000000000"),
    ("1e9", lambda: lattice(burn_in=10 ** 11), r"burn_in=100000000000"),
    ("5e7", lambda: lattice(L=2048, algorithm="wolff"), r"L=2048.*wolff"),
    ("1e9", lambda: lattice(h=np.zeros(4), sweeps=None, sweeps_per_field=10 ** 11), "sweeps=400000000000"),
    ("1e6", lambda: graph_run(sweeps=10 ** 6), r"simulate_graph\(N=10, sweeps=1000000"),
    ("1e6", lambda: graph_run(h=np.zeros((2, 10)), sweeps=None, sweeps_per_field=10 ** 5), "h with 2000000 values"),
    ("1e5", lambda: prepare_graph(nx.path_graph(2000)), r"prepare_graph\(graph with N=2000 nodes"),
    ("1e5", lambda: prepare_graph(sp.eye(2000, k=1, format="csr") + sp.eye(2000, k=-1, format="csr")),
     r"prepare_graph\(sparse graph with N=2000"),
    ("1e5", lambda: prepare_graph(np.zeros((200, 200))), r"prepare_graph\(dense graph with N=200"),
    ("1e6", lambda: potts(L=4096), r"simulate_potts\(L=4096"),
    ("1e6", lambda: potts_wolff(L=1024), r"simulate_potts_wolff\(L=1024"),
]


@pytest.mark.parametrize("limit,call,match", MEMORY_BAD)
def test_runs_that_do_not_fit_are_refused_before_allocating(monkeypatch, limit, call, match):
    monkeypatch.setenv(LIMIT, limit)
    with pytest.raises(MemoryError, match=match):
        call()


def test_memory_limit_lets_small_runs_through(monkeypatch):
    monkeypatch.setenv(LIMIT, "1e6")
    assert lattice(L=16).energy.shape == (10,)
    assert graph_run().energy.shape == (20,)
    assert potts(L=16).energy.shape == (10,)


# --------------------------------------------------------------------------
# mutated results: estimators and exports check the object first
# --------------------------------------------------------------------------

def _set(obj, **kw):
    for k, val in kw.items():
        setattr(obj, k, val)
    return obj


MUTATED_BAD = [
    ("lattice", dict(T=-1.0), "susceptibility", ValueError, "IsingResult.T"),
    ("lattice", dict(T="hot"), "mean_energy", TypeError, "IsingResult.T"),
    ("lattice", dict(T=NAN), "specific_heat", ValueError, "IsingResult.T"),
    ("lattice", dict(energy=np.zeros(5)), "mean_energy", ValueError, "IsingResult.energy has 5 entries"),
    ("lattice", dict(energy=[0.0] * 40), "specific_heat", TypeError, "IsingResult.energy"),
    ("lattice", dict(magnetization=np.zeros(40, dtype=int)), "binder", TypeError, "IsingResult.magnetization"),
    ("lattice", dict(magnetization=np.full(40, NAN)), "abs_magnetization", ValueError,
     "IsingResult.magnetization contains NaN"),
    ("lattice", dict(sweeps=0), "tau_int", ValueError, "IsingResult.sweeps"),
    ("lattice", dict(sweeps=40.0), "tau_int", TypeError, "IsingResult.sweeps"),
    ("lattice", dict(L=3.5), "susceptibility", TypeError, "IsingResult.L"),
    ("lattice", dict(h=np.linspace(0, 1, 40)), "binder", ValueError, "field ramp"),
    ("lattice", dict(spins=np.zeros((3, 3))), "to_xarray", ValueError, "IsingResult.spins"),
    ("lattice", dict(h=np.zeros(3)), "to_xarray", ValueError, "IsingResult.h"),
    ("lattice", dict(energy=None), "to_dataframe", TypeError, "IsingResult.energy"),
    ("graph", dict(graph=None), "energy_of", TypeError, "GraphResult.graph"),
    ("graph", dict(N=11), "to_xarray", ValueError, "GraphResult.N"),
    ("graph", dict(h=np.ones((3, 4))), "to_xarray", ValueError, "GraphResult.h"),
    ("graph", dict(spins=np.ones(3, dtype=np.int8)), "energy_of", ValueError, "GraphResult.spins"),
    ("graph", dict(T=0.0), "mean_magnetization", ValueError, "GraphResult.T"),
    ("graph", dict(h=np.linspace(-1, 1, 40)), "specific_heat", ValueError, "field ramp"),
    ("potts", dict(q=1), "mean_energy", ValueError, "PottsResult.q"),
    ("potts", dict(L=-2), "mean_order", ValueError, "PottsResult.L"),
    ("potts", dict(spins=np.zeros(8)), "to_xarray", ValueError, "PottsResult.spins"),
]


def _result(kind):
    if kind == "lattice":
        return lattice(sweeps=40)
    if kind == "graph":
        return graph_run(sweeps=40)
    return potts(sweeps=40)


@pytest.mark.parametrize("kind,change,what,exc,match", MUTATED_BAD)
def test_mutated_results_are_refused_naming_the_attribute(kind, change, what, exc, match):
    r = _result(kind)
    r.mean_energy  # noqa: B018 (filled the cache: setting an attribute must clear it)
    _set(r, **change)
    with pytest.raises(exc, match=match):
        out = getattr(r, what)
        if callable(out):
            out()
    assert len(repr(r)) < 400  # repr never raises


def test_mutated_graph_is_refused_before_the_kernel_reads_it():
    g = prepare_graph(nx.cycle_graph(10))
    g.weights = g.weights[:-1]
    with pytest.raises(ValueError, match="graph"):
        simulate_graph(g, 1.0, sweeps=5)
    g = prepare_graph(nx.cycle_graph(10))
    g.indices = g.indices + 5
    with pytest.raises(ValueError, match="graph.indices"):
        simulate_graph(g, 1.0, sweeps=5)
    g = prepare_graph(nx.cycle_graph(10))
    g.weights = np.where(np.arange(g.weights.size) == 0, np.nan, g.weights)
    with pytest.raises(ValueError, match="graph.weights"):
        simulate_graph(g, 1.0, sweeps=5)


# --------------------------------------------------------------------------
# field ramps: sweeps_per_field, and estimators refuse them
# --------------------------------------------------------------------------

def _same_run(a, b):
    for k in ("energy", "magnetization", "spins"):
        x, y = getattr(a, k), getattr(b, k)
        assert x.dtype == y.dtype and np.array_equal(x, y), k
    assert np.array_equal(np.asarray(a.h), np.asarray(b.h)) and np.shape(a.h) == np.shape(b.h)
    assert a.sweeps == b.sweeps and a.seed == b.seed


@pytest.mark.parametrize("L,alg", [(8, "metropolis"), (8, "heatbath"), (32, "metropolis"), (32, "heatbath")])
def test_lattice_sweeps_per_field_is_exactly_the_repeated_ramp(L, alg):
    values = np.linspace(-1.0, 1.0, 7)
    a = simulate_lattice(L, 2.0, h=values, sweeps_per_field=4, burn_in=5, algorithm=alg, seed=3)
    b = simulate_lattice(L, 2.0, h=np.repeat(values, 4), sweeps=28, burn_in=5, algorithm=alg, seed=3)
    c = simulate_lattice(L, 2.0, h=list(values), sweeps_per_field=4, sweeps=28, burn_in=5, algorithm=alg,
                         seed=3)
    _same_run(a, b)
    _same_run(c, b)
    assert a.sweeps == 28 and a.is_ramp()


def test_lattice_sweeps_per_field_with_zero_field_works_for_wolff():
    a = simulate_lattice(8, 2.0, h=np.zeros(3), sweeps_per_field=5, algorithm="wolff", seed=2)
    b = simulate_lattice(8, 2.0, h=np.zeros(15), sweeps=15, algorithm="wolff", seed=2)
    _same_run(a, b)
    assert not a.is_ramp() and a.binder[1] >= 0


@pytest.mark.parametrize("alg", ["metropolis", "heatbath"])
def test_graph_sweeps_per_field_is_exactly_the_repeated_ramp(alg):
    G = nx.barabasi_albert_graph(30, 2, seed=1)
    N = 30
    rng = np.random.default_rng(4)
    values = np.linspace(-1.0, 1.0, 6)
    rows = rng.normal(size=(6, N))
    cases = [
        (values, np.repeat(values, 4)),                             # per-sweep values
        (values[:, None], np.repeat(values[:, None], 4, axis=0)),   # shape (n, 1)
        (rows, np.repeat(rows, 4, axis=0)),                         # shape (n, N)
    ]
    for h, rep in cases:
        a = simulate_graph(G, 1.5, h=h, sweeps_per_field=4, burn_in=3, algorithm=alg, seed=5)
        b = simulate_graph(G, 1.5, h=rep, sweeps=24, burn_in=3, algorithm=alg, seed=5)
        _same_run(a, b)
        assert a.is_ramp()
    # sweeps == N: a repeated 1-D ramp is stored as (sweeps, 1), the unambiguous layout
    a = simulate_graph(G, 1.5, h=np.linspace(-1, 1, 10), sweeps_per_field=3, algorithm=alg, seed=5)
    b = simulate_graph(G, 1.5, h=np.repeat(np.linspace(-1, 1, 10), 3)[:, None], sweeps=30, algorithm=alg, seed=5)
    _same_run(a, b)
    assert a.h.shape == (30, 1) and a.is_ramp()


def test_sweeps_per_field_in_the_parallel_graph_driver():
    g = prepare_graph(nx.random_regular_graph(4, 3 * 4096, seed=2))
    values = np.linspace(-1, 1, 4)
    a = simulate_graph(g, 2.0, h=values, sweeps_per_field=2, burn_in=1, seed=7)
    b = simulate_graph(g, 2.0, h=np.repeat(values, 2), sweeps=8, burn_in=1, seed=7)
    _same_run(a, b)


ESTIMATORS = ("mean_energy", "mean_magnetization", "abs_magnetization", "susceptibility", "specific_heat",
              "binder", "tau_int")
RAMP_ESTIMATORS = [(kind, name) for kind in ("lattice", "graph", "graph_rows") for name in ESTIMATORS]


def _ramp_result(kind):
    if kind == "lattice":
        return lattice(h=np.linspace(-1, 1, 40), sweeps=40)
    if kind == "graph":
        return graph_run(h=np.linspace(-1, 1, 5), sweeps=None, sweeps_per_field=8)
    return graph_run(h=np.outer(np.linspace(-1, 1, 40), np.ones(10)), sweeps=40)


@pytest.mark.parametrize("kind,name", RAMP_ESTIMATORS)
def test_equilibrium_estimators_refuse_a_field_ramp(kind, name):
    r = _ramp_result(kind)
    with pytest.raises(ValueError, match=f"{name} is an equilibrium estimate and meaningless for a field ramp"):
        getattr(r, name)
    assert "ramp(" in repr(r) and "e[-1]=" in repr(r)


def test_constant_fields_are_not_ramps():
    a = lattice(h=np.full(40, 0.3), sweeps=40)
    b = lattice(h=0.3, sweeps=40)
    assert not a.is_ramp() and a.mean_energy == b.mean_energy
    rng = np.random.default_rng(0)
    for h in (rng.normal(size=10), np.full((40, 10), 0.2), np.full((40, 1), 0.2), rng.normal(size=(1, 10))):
        r = graph_run(h=h, sweeps=40)
        assert not r.is_ramp()
        assert all(np.isfinite(getattr(r, n)[1]) for n in ESTIMATORS[:-1])
    assert potts().is_ramp() is False


# --------------------------------------------------------------------------
# reprs
# --------------------------------------------------------------------------

def test_reprs_are_short_and_informative():
    r = simulate_lattice(16, 2.3, sweeps=1000, seed=1)
    s = repr(r)
    assert len(s) < 400 and "\n" not in s
    for part in ("IsingResult(L=16", "T=2.3", "J=1", "h=0", "algorithm='metropolis'", "sweeps=1000", "seed=1",
                 "<e>=", "<|m|>=", "±"):
        assert part in s, part
    w = simulate_lattice(16, 2.3, sweeps=200, algorithm="wolff")  # fresh entropy: a 128-bit seed
    assert "<cluster>=" in repr(w) and len(repr(w)) < 400 and repr(w.seed) in repr(w)
    g = graph_run(h=np.linspace(0, 1, 10), sweeps=40)
    assert repr(g).startswith("GraphResult(N=10, n_edges=10") and "h=per-node[0, 1]" in repr(g)
    p = potts(sweeps=50)
    assert repr(p).startswith("PottsResult(L=8, q=3") and "<m>=" in repr(p) and len(repr(p)) < 400
    pw = potts_wolff(sweeps=50)
    assert "algorithm='wolff'" in repr(pw)
    one = lattice(sweeps=1)  # too short for error bars
    assert "<e>=" in repr(one) and "±" not in repr(one)
    long_seed = lattice(seed=(12345, tuple(range(40))))
    assert len(repr(long_seed)) < 400 and "..." in repr(long_seed)
    # a 1,000-sweep result used to print tens of kB
    big = simulate_lattice(64, 2.3, sweeps=1000, burn_in=10, seed=2)
    assert len(repr(big)) < 400


# --------------------------------------------------------------------------
# exports: to_xarray, to_dataframe, save/load
# --------------------------------------------------------------------------

def test_lattice_to_xarray_and_dataframe():
    r = lattice(h=np.linspace(-1, 1, 30), sweeps=30, seed=(3, (1,)))
    ds = r.to_xarray()
    assert dict(ds.sizes) == {"sweep": 30, "row": 8, "col": 8}
    assert ds["energy"].dims == ("sweep",) and ds["spins"].dims == ("row", "col")
    assert np.array_equal(ds["h"].values, r.h) and "h" not in ds.attrs
    assert ds.attrs["L"] == 8 and ds.attrs["T"] == 2.0 and ds.attrs["algorithm"] == "metropolis"
    assert ast.literal_eval(ds.attrs["seed"]) == r.seed
    ds["energy"][0] = 99.0  # a copy
    assert r.energy[0] != 99.0
    df = r.to_dataframe()
    assert list(df.columns) == ["energy", "magnetization", "h"] and df.index.name == "sweep"
    assert np.array_equal(df["magnetization"].values, r.magnetization) and df.attrs["L"] == 8
    w = lattice(algorithm="wolff")
    assert list(w.to_dataframe().columns) == ["energy", "magnetization", "cluster_sizes"]
    assert w.to_xarray().attrs["h"] == 0.0


def test_graph_to_xarray_has_nodes_labels_and_degrees():
    G = nx.grid_2d_graph(3, 4)
    r = simulate_graph(G, 2.0, h=np.linspace(0, 1, 12), sweeps=30, seed=2)
    ds = r.to_xarray()
    assert dict(ds.sizes) == {"sweep": 30, "node": 12}
    assert list(ds["node_label"].values) == list(G.nodes)
    assert np.array_equal(ds["degree"].values, [d for _, d in G.degree()])
    assert ds["h"].dims == ("node",) and ds.attrs["n_edges"] == G.number_of_edges()
    assert not any(k.startswith("graph_") for k in ds.data_vars)
    assert any(k.startswith("graph_") for k in r.to_xarray(graph=True).data_vars)
    rows = graph_run(h=np.outer(np.linspace(-1, 1, 40), np.ones(10)), sweeps=40)
    assert rows.to_xarray()["h"].dims == ("sweep", "node")
    assert list(rows.to_dataframe().columns) == ["energy", "magnetization"]


def _equal_results(a, b):
    assert type(a) is type(b)
    fields = [f for f in a.__dataclass_fields__ if f != "_cache"]
    for f in fields:
        x, y = getattr(a, f), getattr(b, f)
        if f == "graph":
            for k in ("N", "nodes", "n_edges", "n_colours"):
                assert getattr(x, k) == getattr(y, k), k
            for k in ("degree", "perm", "indptr", "indices", "weights", "chunk_bounds", "colour_chunks"):
                assert getattr(x, k).dtype == getattr(y, k).dtype and np.array_equal(getattr(x, k), getattr(y, k)), k
        elif isinstance(x, np.ndarray) or isinstance(y, np.ndarray):
            assert isinstance(x, np.ndarray) and isinstance(y, np.ndarray), f
            assert x.dtype == y.dtype and x.shape == y.shape and np.array_equal(x, y), f
        else:
            assert type(x) is type(y) and x == y, (f, x, y)


def _saved_results():
    G = nx.Graph()
    G.add_edges_from([("a", 1), (1, (2, 3)), ((2, 3), 2.5), (2.5, "a")])
    weighted = nx.barabasi_albert_graph(40, 2, seed=3)
    nx.set_edge_attributes(weighted, {e: (-1.0) ** k * 0.5 for k, e in enumerate(weighted.edges())}, "J")
    return [
        lattice(sweeps=50),
        lattice(sweeps=50, seed=None),
        lattice(h=np.linspace(-1, 1, 5), sweeps=None, sweeps_per_field=4, seed=(7, (2, 5))),
        lattice(algorithm="wolff", sweeps=30),
        lattice(L=128, algorithm="metropolis_msc", sweeps=5),
        lattice(init=np.ones((8, 8), dtype=int), J=-0.5, h=0.25),
        graph_run(sweeps=30),
        graph_run(graph=G, h=np.array([0.1, -0.2, 0.3, 0.0]), sweeps=12),
        graph_run(graph=prepare_graph(weighted, weight="J"), h=np.linspace(-1, 1, 30), sweeps=30, J=0.7),
        graph_run(graph=sym(np.triu(np.ones((6, 6)), 1)), h=np.ones((25, 6)), sweeps=25, algorithm="heatbath"),
        graph_run(h=np.linspace(-1, 1, 5), sweeps=None, sweeps_per_field=2),
        potts(sweeps=40),
        potts_wolff(sweeps=40),
    ]


def test_save_and_load_round_trip_exactly(tmp_path):
    for k, r in enumerate(_saved_results()):
        path = tmp_path / f"r{k}.nc"
        r.save(path)
        back = type(r).load(path)
        _equal_results(r, back)
        assert repr(back) == repr(r)
        if isinstance(r, GraphResult):
            assert back.energy_of() == r.energy_of()
            assert np.isclose(back.energy_of(), r.energy[-1], atol=1e-10)
        back2 = type(r).load(str(path))  # str paths too
        assert np.array_equal(back2.energy, r.energy)


def test_loaded_result_repeats_the_run(tmp_path):
    r = lattice(seed=None, sweeps=20)
    r.save(tmp_path / "r.nc")
    back = IsingResult.load(tmp_path / "r.nc")
    again = lattice(seed=back.seed, sweeps=20)
    assert np.array_equal(again.energy, r.energy)


def test_node_labels_that_are_not_literals_are_saved_as_strings(tmp_path):
    class Label:
        def __repr__(self):
            return "Label()"
    a, b = Label(), Label()
    r = graph_run(graph=nx.Graph([(a, b)]), sweeps=5)
    with pytest.warns(UserWarning, match="node label"):
        r.save(tmp_path / "g.nc")
    assert GraphResult.load(tmp_path / "g.nc").graph.nodes == ["Label()", "Label()"]


FILE_BAD = [
    (lambda p: lattice().save(123), TypeError, "path"),
    (lambda p: lattice().save(None), TypeError, "path"),
    (lambda p: IsingResult.load(3.5), TypeError, "path"),
    (lambda p: (graph_run().save(p / "g.nc"), IsingResult.load(p / "g.nc")), ValueError,
     "path .* contains a saved GraphResult, not a saved IsingResult"),
    (lambda p: (potts().save(p / "q.nc"), GraphResult.load(p / "q.nc")), ValueError, "path .*not a saved GraphResult"),
    (lambda p: ((p / "x.nc").write_text("not netcdf"), PottsResult.load(p / "x.nc")), ValueError,
     "path .* is not a netCDF file"),
    (lambda p: (graph_run().to_xarray().to_netcdf(p / "g2.nc", engine="scipy"), GraphResult.load(p / "g2.nc")),
     ValueError, "no prepared graph"),
    (lambda p: (lattice().to_xarray().drop_attrs().to_netcdf(p / "n.nc", engine="scipy"),
                IsingResult.load(p / "n.nc")), ValueError, "path .* contains no saved utacbook result"),
]


@pytest.mark.parametrize("call,exc,match", FILE_BAD)
def test_bad_files_and_paths_are_refused(tmp_path, call, exc, match):
    with pytest.raises(exc, match=match):
        call(tmp_path)


# --------------------------------------------------------------------------
# graphs: weights, edgeless and degenerate graphs
# --------------------------------------------------------------------------

def test_weight_attribute_rules():
    G = nx.cycle_graph(8)
    base = simulate_graph(G, 1.0, sweeps=30, seed=4)
    # an unweighted graph under the default name is a graph of unit weights, as before
    for w in (None, "weight"):
        r = simulate_graph(prepare_graph(G, weight=w), 1.0, sweeps=30, seed=4)
        assert np.array_equal(r.energy, base.energy)
    nx.set_edge_attributes(G, 1.0, "W")
    r = simulate_graph(prepare_graph(G, weight="W"), 1.0, sweeps=30, seed=4)
    assert np.array_equal(r.energy, base.energy)
    nx.set_edge_attributes(G, -1.0, "W")
    anti = prepare_graph(G, weight="W")
    assert np.all(anti.weights == -1.0)
    # a graph without edges: free spins in a field (<m> = tanh(h/T))
    free = simulate_graph(nx.empty_graph(500), 1.0, h=0.5, sweeps=400, burn_in=20, seed=1)
    m, dm = free.mean_magnetization
    assert abs(m - math.tanh(0.5)) < 5 * dm and prepare_graph(nx.empty_graph(3), weight="W").n_edges == 0
    # an IsingGraph passes through prepare_graph unchanged
    assert prepare_graph(anti) is anti
    with pytest.raises(TypeError, match="weight"):
        prepare_graph(anti, weight=3)


def test_bad_input_count():
    """Issue 12 asks for at least 80 bad inputs; each row above asserts its error and message."""
    n = (len(LATTICE_BAD) + len(GRAPH_BAD) + len(PREPARE_BAD) + len(POTTS_BAD) + len(POTTS_WOLFF_BAD)
         + len(MEMORY_BAD) + len(MUTATED_BAD) + len(RAMP_ESTIMATORS) + len(FILE_BAD))
    assert n >= 80, n
