"""Tests of utacbook.networks: builders, modularity and degree moments against exact values."""

import math

import networkx as nx
import numpy as np
import pytest

from utacbook.models import _networks as nw


def test_modularity_of_disjoint_equal_cliques_is_one_minus_one_over_c():
    for c in (2, 3, 4):
        G = nx.disjoint_union_all([nx.complete_graph(5) for _ in range(c)])
        labels = np.repeat(np.arange(c), 5)
        assert nw.modularity(G, labels) == pytest.approx(1 - 1 / c, abs=1e-12)
        sets = [set(range(5 * i, 5 * i + 5)) for i in range(c)]
        assert nw.modularity(G, sets) == pytest.approx(1 - 1 / c, abs=1e-12)


def test_modularity_two_cliques_joined_by_one_edge():
    # two K_4 (6 edges each) plus one bridge: m = 13, each side L_c = 6, d_c = 13
    G = nx.disjoint_union(nx.complete_graph(4), nx.complete_graph(4))
    G.add_edge(0, 4)
    exact = 2 * (6 / 13 - (13 / 26) ** 2)
    assert nw.modularity(G, [0] * 4 + [1] * 4) == pytest.approx(exact, abs=1e-12)
    # spins +-1 as labels give the same value; one community gives Q = 0
    assert nw.modularity(G, np.array([1] * 4 + [-1] * 4)) == pytest.approx(exact, abs=1e-12)
    assert nw.modularity(G, np.zeros(8)) == pytest.approx(0.0, abs=1e-12)


def test_modularity_uses_block_attribute_and_validates():
    G = nw.sbm(n_blocks=2, block_size=30, p_in=0.3, p_out=0.0, seed=1)
    lab = nw.block_labels(G)
    assert nw.modularity(G) == pytest.approx(nw.modularity(G, lab))
    with pytest.raises(ValueError, match="partition"):
        nw.modularity(G, [0, 1])
    with pytest.raises(ValueError, match="attr"):
        nw.block_labels(nx.path_graph(3))


def test_sbm_blocks_and_degrees_within_error():
    n, k_in, k_out = 400, 6.0, 1.5
    p_in, p_out = nw.sbm_probabilities(block_size=n, k_in=k_in, k_out=k_out)
    G = nw.sbm(n_blocks=2, block_size=n, p_in=p_in, p_out=p_out, seed=3)
    lab = nw.block_labels(G)
    assert G.number_of_nodes() == 2 * n
    assert np.array_equal(lab, np.repeat([0, 1], n))
    intra = sum(1 for a, b in G.edges if lab[a] == lab[b])
    inter = G.number_of_edges() - intra
    # intra edges ~ Bin(2 * n(n-1)/2, p_in), inter ~ Bin(n^2, p_out)
    M_in, M_out = n * (n - 1), n * n
    assert abs(intra - M_in * p_in) < 4 * math.sqrt(M_in * p_in * (1 - p_in))
    assert abs(inter - M_out * p_out) < 4 * math.sqrt(M_out * p_out * (1 - p_out))
    # same seed, same graph
    G2 = nw.sbm(n_blocks=2, block_size=n, p_in=p_in, p_out=p_out, seed=3)
    assert set(G.edges) == set(G2.edges)


def test_sbm_probabilities_validate():
    with pytest.raises(ValueError, match="k_in"):
        nw.sbm_probabilities(block_size=5, k_in=10, k_out=1)
    with pytest.raises(ValueError, match="k_out"):
        nw.sbm_probabilities(block_size=5, k_in=1, k_out=-1)
    with pytest.raises(TypeError, match="block_size"):
        nw.sbm(block_size=2.5)


def test_lattice_graph_is_the_periodic_square_lattice():
    L = 5
    G = nw.lattice_graph(L)
    assert G.number_of_nodes() == L * L and G.number_of_edges() == 2 * L * L
    assert all(d == 4 for _, d in G.degree())
    assert G.has_edge(0, 1) and G.has_edge(0, L - 1) and G.has_edge(0, L) and G.has_edge(0, L * (L - 1))
    Gopen = nw.lattice_graph(L, periodic=False)
    assert Gopen.number_of_edges() == 2 * L * (L - 1)
    with pytest.raises(ValueError, match="L"):
        nw.lattice_graph(2)


def test_degree_moments_exact():
    n = 11
    k1, k2 = nw.degree_moments(nx.star_graph(n - 1))
    assert k1 == pytest.approx(2 * (n - 1) / n)
    assert k2 == pytest.approx(((n - 1) ** 2 + (n - 1)) / n)
    assert nw.degree_moments(nw.lattice_graph(4)) == (4.0, 16.0)
    with pytest.raises(ValueError):
        nw.degree_moments(nx.empty_graph(3))


def test_barabasi_albert_edge_count_and_er_mean_degree():
    n, m = 500, 3
    G = nw.barabasi_albert(n=n, m=m, seed=2)
    assert G.number_of_edges() == m * (n - m)
    H = nw.erdos_renyi(n=2000, k_mean=6.0, seed=4)
    M = 2000 * 1999 / 2
    p = 6.0 / 1999
    assert abs(H.number_of_edges() - M * p) < 4 * math.sqrt(M * p * (1 - p))
    R = nw.random_regular(n=100, k=4, seed=1)
    assert all(d == 4 for _, d in R.degree())
    with pytest.raises(ValueError, match="even"):
        nw.random_regular(n=101, k=3)


def test_adjacency_matches_node_order():
    G = nw.sbm(n_blocks=2, block_size=10, p_in=0.5, p_out=0.1, seed=5)
    A = nw.adjacency(G)
    assert A.shape == (20, 20)
    assert np.allclose(np.asarray(A.sum(axis=1)).ravel(), [d for _, d in G.degree()])
    assert (A != A.T).nnz == 0


def test_ba_moment_scan_mean_degree_is_exact_and_second_moment_grows():
    res = nw.ba_moment_scan((100, 6400), m=2, n_graphs=3, seed=4)
    # networkx BA: a star on m + 1 nodes, then m edges per new node: m (n - m) edges
    for n, k1 in zip((100, 6400), res["k1"]):
        assert k1 == pytest.approx(2 * 2 * (n - 2) / n, abs=1e-12)
    # <k^2>/<k> grows like ln N (a factor 64 in N adds several units here)
    assert res["kappa"][1] - res["kappa"][0] > 4 * math.hypot(*res["kappa_err"]) and \
        res["kappa"][1] - res["kappa"][0] > 1.0
    # the estimates are those of utacbook.exact for each graph, averaged
    from utacbook.theory import _exact as exact
    Gs = [nw.barabasi_albert(n=100, m=2, seed=4 + 1000 * g + 100) for g in range(3)]
    assert res["T_bethe"][0] == pytest.approx(np.mean([exact.bethe_tc(G) for G in Gs]))
    assert res["T_mf"][0] == pytest.approx(np.mean([exact.mean_field_tc(G) for G in Gs]))
    # two sizes: the slope is the difference over ln 16
    assert res["slope_kappa"] == pytest.approx((res["kappa"][1] - res["kappa"][0]) / math.log(64))
    with pytest.raises(ValueError, match="exceed m"):
        nw.ba_moment_scan((2,), m=3)
