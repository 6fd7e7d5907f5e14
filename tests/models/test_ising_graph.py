"""Tests of the graph Ising engine (utacbook.models.simulate_graph).

Statistical comparisons use 4 sigma, sigma from the run itself
(tau_int-corrected errors of means, jackknife for C and chi), against
exact results: the Curie-Weiss model on the complete graph, the transfer-matrix
ring, Kaufman's finite torus, and brute-force enumeration of small graphs with
random couplings of both signs and random per-node fields.  Index bookkeeping
(relabelling, field layouts, burn-in) is tested by exact identities.
"""

import math

import networkx as nx
import numpy as np
import pytest
import scipy.sparse as sp

from utacbook._kernels import graph as GK
from utacbook.theory import _exact as exact
from utacbook.models import prepare_graph, simulate_graph, simulate_lattice

ALGS = ("metropolis", "heatbath")
NSIG = 4.0


def check(name, measured, exact_value):
    val, err = measured
    assert err > 0, f"{name}: zero error bar"
    assert abs(val - exact_value) <= NSIG * err, (
        f"{name}: {val:.6f} +- {err:.2g} vs exact {exact_value:.6f} "
        f"({abs(val - exact_value) / err:.1f} sigma)")


@pytest.mark.parametrize("alg", ALGS)
@pytest.mark.parametrize("T", [0.8, 1.3])
def test_complete_graph_matches_exact_curie_weiss(alg, T):
    N = 64
    r = simulate_graph(nx.complete_graph(N), T, J=1.0 / N, sweeps=40000, burn_in=2000,
                       algorithm=alg, seed=11)
    ex = exact.curie_weiss(N, T)
    check("e", r.mean_energy, ex["energy"])
    check("|m|", r.abs_magnetization, ex["abs_magnetization"])
    check("C", r.specific_heat, ex["specific_heat"])
    check("chi", r.susceptibility, ex["susceptibility"])
    check("U", r.binder, ex["binder"])


@pytest.mark.parametrize("alg", ALGS)
@pytest.mark.parametrize("J,h", [(1.0, 0.1), (-1.0, 0.3)])
def test_ring_matches_transfer_matrix(alg, J, h):
    N, T = 50, 1.5
    r = simulate_graph(nx.cycle_graph(N), T, J=J, h=h, sweeps=30000, burn_in=1000,
                       algorithm=alg, seed=5)
    ex = exact.ring(N, T, J=J, h=h)
    check("e", r.mean_energy, ex["energy"])
    check("m", r.mean_magnetization, ex["magnetization"])
    check("C", r.specific_heat, ex["specific_heat"])


def random_weighted_graph(N, p, seed):
    """Erdos-Renyi graph with N(0,1) couplings (both signs) and labels in shuffled order."""
    rng = np.random.default_rng(seed)
    G0 = nx.gnp_random_graph(N, p, seed=seed)
    for a, b in G0.edges:
        G0[a][b]["weight"] = rng.normal()
    labels = rng.permutation(N)
    G = nx.relabel_nodes(G0, {i: f"n{labels[i]}" for i in range(N)})
    return G, rng.normal(0.0, 0.5, N)


@pytest.mark.parametrize("alg", ALGS)
def test_weighted_graph_with_node_fields_matches_enumeration(alg):
    G, hv = random_weighted_graph(12, 0.4, seed=3)
    T = 0.9
    r = simulate_graph(G, T, h=hv, sweeps=40000, burn_in=1000, algorithm=alg, seed=7)
    ex = exact.enumerate_graph(G, T, h=hv)
    check("e", r.mean_energy, ex["energy"])
    check("m", r.mean_magnetization, ex["magnetization"])
    check("|m|", r.abs_magnetization, ex["abs_magnetization"])
    check("C", r.specific_heat, ex["specific_heat"])


@pytest.mark.parametrize("T", [2.0, 2.5])
def test_periodic_lattice_graph_matches_kaufman_and_lattice_engine(T):
    L = 16
    G = nx.grid_2d_graph(L, L, periodic=True)
    r = simulate_graph(G, T, sweeps=30000, burn_in=1000, seed=21)
    k = exact.kaufman(L, T)
    check("e vs Kaufman", r.mean_energy, k["energy"])
    check("C vs Kaufman", r.specific_heat, k["specific_heat"])
    rl = simulate_lattice(L, T, sweeps=30000, burn_in=1000, seed=22)
    for name, a, b in (("e", r.mean_energy, rl.mean_energy),
                       ("|m|", r.abs_magnetization, rl.abs_magnetization),
                       ("chi", r.susceptibility, rl.susceptibility)):
        diff, err = a[0] - b[0], math.hypot(a[1], b[1])
        assert abs(diff) <= NSIG * err, f"{name}: graph {a} vs lattice {b}"
    assert r.graph.n_colours == 2  # the greedy colouring finds the checkerboard


def test_sparse_and_dense_inputs_give_the_same_run():
    G, _ = random_weighted_graph(30, 0.2, seed=4)
    A = nx.to_scipy_sparse_array(G, weight="weight", format="csr")
    runs = [simulate_graph(x, 1.2, sweeps=50, burn_in=5, seed=9)
            for x in (G, A, sp.csr_matrix(A), A.toarray(), prepare_graph(G))]
    for r in runs[1:]:
        np.testing.assert_array_equal(r.energy, runs[0].energy)
        np.testing.assert_array_equal(r.spins, runs[0].spins)


def test_node_order_of_spins_and_init():
    """Two disconnected ferromagnetic cliques with interleaved labels, one up and one down:
    a ground state with an energy gap, which must survive a cold run node for node."""
    G = nx.Graph()
    a_nodes = [2 * i for i in range(6)]
    b_nodes = [2 * i + 1 for i in range(6)]
    G.add_nodes_from(range(12))
    G.add_edges_from((u, w) for grp in (a_nodes, b_nodes) for u in grp for w in grp if u < w)
    G = nx.relabel_nodes(G, {i: (i * 5) % 12 for i in range(12)})  # scramble labels again
    nodes = list(G)
    pattern = np.array([1 if n in {(i * 5) % 12 for i in a_nodes} else -1 for n in nodes])
    r = simulate_graph(G, 0.05, init=pattern, sweeps=20, burn_in=0, seed=1)
    np.testing.assert_array_equal(r.spins, pattern)
    assert r.energy[0] == pytest.approx(-2 * 15 / 12, abs=1e-14)  # two K6: 15 bonds each
    assert r.graph.nodes == nodes


def test_node_fields_are_applied_to_the_right_nodes():
    G, _ = random_weighted_graph(40, 0.1, seed=8)
    rng = np.random.default_rng(0)
    hv = rng.choice([-1.0, 1.0], size=40) * 20.0  # fields far stronger than any coupling sum
    r = simulate_graph(G, 0.1, h=hv, sweeps=5, burn_in=0, algorithm="heatbath", seed=2)
    np.testing.assert_array_equal(r.spins, np.sign(hv).astype(np.int8))


@pytest.mark.parametrize("alg", ALGS)
def test_field_layouts_and_burn_in_are_consistent(alg):
    G, _ = random_weighted_graph(25, 0.2, seed=12)
    N, S, b = 25, 40, 7
    ramp = np.linspace(-1.0, 1.0, S)
    base = simulate_graph(G, 1.0, h=0.3, sweeps=S, burn_in=b, algorithm=alg, seed=4)
    for h in (np.full(S, 0.3), np.full(N, 0.3), np.full((S, N), 0.3), np.full((1, N), 0.3),
              np.full((S, 1), 0.3)):
        r = simulate_graph(G, 1.0, h=h, sweeps=S, burn_in=b, algorithm=alg, seed=4)
        np.testing.assert_array_equal(r.energy, base.energy)
        np.testing.assert_array_equal(r.spins, base.spins)
    r1 = simulate_graph(G, 1.0, h=ramp, sweeps=S, burn_in=b, algorithm=alg, seed=4)
    r2 = simulate_graph(G, 1.0, h=np.repeat(ramp[:, None], N, axis=1), sweeps=S, burn_in=b,
                        algorithm=alg, seed=4)
    np.testing.assert_array_equal(r1.energy, r2.energy)
    # burn-in = extra sweeps at the first field value
    r3 = simulate_graph(G, 1.0, h=np.concatenate([np.full(b, ramp[0]), ramp]), sweeps=S + b,
                        burn_in=0, algorithm=alg, seed=4)
    np.testing.assert_array_equal(r3.energy[b:], r1.energy)
    np.testing.assert_array_equal(r3.magnetization[b:], r1.magnetization)
    # the recorded energy includes the field of that sweep
    assert r1.energy[-1] == pytest.approx(r1.energy_of(), abs=1e-12)


def test_field_ramp_drives_the_magnetisation_through_a_hysteresis_branch():
    N, S = 400, 200
    G = nx.random_regular_graph(4, N, seed=1)
    up = np.linspace(-1.5, 1.5, S)
    r = simulate_graph(G, 1.0, h=up, sweeps=S, burn_in=50, init="down", seed=3)
    assert r.magnetization[0] < -0.9 and r.magnetization[-1] > 0.9
    # on the way up the state lags: m is still negative at h = +0.1 (ordered, T < T_c)
    assert r.magnetization[np.searchsorted(up, 0.1)] < 0


def test_incremental_energy_matches_recomputation_after_a_long_run():
    G, hv = random_weighted_graph(300, 0.03, seed=6)
    r = simulate_graph(G, 0.7, h=hv, sweeps=3000, burn_in=0, seed=1)
    assert r.energy[-1] == pytest.approx(r.energy_of(), abs=1e-10)


def test_serial_and_parallel_drivers_and_thread_counts_give_identical_runs(at_1_and_2_threads):
    g = prepare_graph(nx.barabasi_albert_graph(3 * GK.CHUNK, 2, seed=1))
    assert int(np.max(np.diff(g.colour_chunks))) >= 2  # the parallel driver is used
    out = []
    for driver in (GK.run_serial, GK.run_parallel):
        from utacbook._kernels.rng import make_streams
        states, _ = make_streams(5, g.chunk_bounds.shape[0])
        spins = np.ones(g.N, dtype=np.int8)
        e, m = np.empty(30), np.empty(30)
        driver(spins, g.indptr, g.indices, g.weights, g.chunk_bounds, g.colour_chunks,
               GK.KIND_METROPOLIS, 1 / 2.5, np.zeros((1, 1)), 0, 0, 3, states, e, m)
        out.append((e, m, spins))
    for a, b in zip(out[0], out[1]):
        np.testing.assert_array_equal(a, b)
    runs = at_1_and_2_threads(lambda: simulate_graph(g, 2.5, sweeps=30, burn_in=3,
                                                     algorithm="heatbath", seed=8))
    np.testing.assert_array_equal(runs[0].energy, runs[1].energy)
    np.testing.assert_array_equal(runs[0].spins, runs[1].spins)


def test_greedy_colouring_is_proper():
    G = nx.barabasi_albert_graph(2000, 3, seed=2)
    g = prepare_graph(G)
    colour = np.empty(g.N, dtype=np.int64)
    for k in range(g.n_colours):
        a = g.chunk_bounds[g.colour_chunks[k]]
        b = g.chunk_bounds[g.colour_chunks[k + 1]]
        colour[a:b] = k
    for i in range(g.N):
        nb = g.indices[g.indptr[i]:g.indptr[i + 1]]
        assert np.all(colour[nb] != colour[i])
    assert g.n_edges == G.number_of_edges()
    np.testing.assert_array_equal(g.degree, [d for _, d in G.degree()])


@pytest.mark.parametrize("graph,match", [
    (np.ones((3, 4)), "square"),
    (np.array([[0.0, 1.0], [2.0, 0.0]]), "symmetric"),
    (np.array([[1.0, 1.0], [1.0, 0.0]]), "self-loops"),
    (np.array([[0.0, np.nan], [np.nan, 0.0]]), "graph"),
    (sp.csr_array(np.array([[0.0, np.inf], [np.inf, 0.0]])), "finite"),
    (nx.DiGraph([(0, 1)]), "undirected"),
    (nx.Graph(), "at least one node"),
])
def test_bad_graphs_raise_naming_the_graph(graph, match):
    with pytest.raises(ValueError, match=match):
        simulate_graph(graph, 1.0, sweeps=2)


def test_bad_graph_type_raises_type_error():
    with pytest.raises(TypeError, match="graph"):
        simulate_graph([[0, 1], [1, 0]], 1.0)


@pytest.mark.parametrize("kw,match", [
    ({"T": 0.0}, "T"), ({"T": -1.0}, "T"), ({"T": float("nan")}, "T"),
    ({"J": float("inf")}, "J"), ({"h": float("nan")}, "h"),
    ({"h": np.ones(7)}, "h"), ({"h": np.ones((10, 3))}, "h"), ({"h": [0.0, np.nan] * 5}, "h"),
    ({"sweeps": 0}, "sweeps"), ({"burn_in": -1}, "burn_in"),
    ({"algorithm": "wolff"}, "algorithm"), ({"algorithm": 3}, "algorithm"),
    ({"init": "sideways"}, "init"), ({"init": np.ones(9)}, "init"),
    ({"init": np.zeros(10)}, "init"),
])
def test_bad_arguments_raise_value_error_naming_the_parameter(kw, match):
    args = {"T": 1.0, "sweeps": 20}
    args.update(kw)
    with pytest.raises(ValueError, match=match):
        simulate_graph(nx.cycle_graph(10), args.pop("T"), **args)


def test_ambiguous_field_length_is_refused():
    with pytest.raises(ValueError, match="ambiguous"):
        simulate_graph(nx.cycle_graph(10), 1.0, h=np.zeros(10), sweeps=10)
    r = simulate_graph(nx.cycle_graph(10), 1.0, h=np.zeros((1, 10)), sweeps=10, seed=1)
    assert r.energy.shape == (10,)


def test_metropolis_escapes_zero_field_states_on_a_ring():
    """++-- on a ring of 4k nodes gives every node zero local field; with zero-cost flips
    always accepted the two colour classes flipped back and forth forever."""
    N, T = 8, 1.0
    init = np.array([1, 1, -1, -1] * (N // 4))
    r = simulate_graph(nx.cycle_graph(N), T, init=init, sweeps=40000, burn_in=100,
                       algorithm="metropolis", seed=1)
    check("e", r.mean_energy, exact.ring(N, T)["energy"])


@pytest.mark.parametrize("alg,e_sum,m_sum,n_up", [
    ("metropolis", -24.645999999999994, 12.059999999999999, 170),
    ("heatbath", -22.151, 10.909999999999998, 153),
])
def test_seeded_graph_runs_are_pinned(alg, e_sum, m_sum, n_up):
    """Golden values (see tests/test_ising_lattice.py::test_seeded_runs_are_pinned): update
    them only together with every number the chapters quote from graph runs."""
    G = nx.barabasi_albert_graph(200, 2, seed=1)
    r = simulate_graph(G, 3.0, h=0.1, sweeps=20, burn_in=3, algorithm=alg, seed=12345)
    assert float(r.energy.sum()) == pytest.approx(e_sum, rel=0, abs=1e-12)
    assert float(r.magnetization.sum()) == pytest.approx(m_sum, rel=0, abs=1e-12)
    assert int((r.spins == 1).sum()) == n_up
