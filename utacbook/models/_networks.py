"""Network builders and measures shared by the social chapters of the Ising essay.

Thin, validated wrappers around networkx: the stochastic block model (SBM),
Erdős–Rényi, random-regular and Barabási–Albert graphs, the periodic square
lattice as a graph, Newman's modularity and the degree moments that enter the
mean-field and Bethe estimates of T_c (:func:`utacbook.theory.mean_field_tc`,
:func:`utacbook.theory.bethe_tc`).

Every builder returns a :class:`networkx.Graph` with integer nodes
``0 .. N-1`` (so node order = array order for
:func:`utacbook.models.simulate_graph`) and, where the model has groups, the
node attribute ``"block"``.
"""

from __future__ import annotations

import numpy as np

import math

from utacbook import _validate as v
from utacbook.models import _ising as ising

__all__ = ["sbm", "sbm_probabilities", "erdos_renyi", "random_regular", "barabasi_albert",
           "lattice_graph", "block_labels", "modularity", "degree_moments", "adjacency",
           "ba_moment_scan"]


def _seed_or_none(seed):
    if seed is None:
        return None
    return v.integer("seed", seed, low=0)


def sbm_probabilities(*, block_size=500, k_in=7.0, k_out=1.0):
    """Edge probabilities of an SBM with given expected intra/inter degrees.

    A node has on average ``k_in = p_in (n - 1)`` neighbours in its own block
    and ``k_out = p_out n`` in each other block (blocks of ``n`` nodes).

    Parameters
    ----------
    block_size : int >= 2
        Nodes per block, n.
    k_in, k_out : float >= 0
        Expected neighbours inside the own block and in one other block.

    Returns
    -------
    (p_in, p_out) : tuple of float in [0, 1]

    Examples
    --------
    >>> from utacbook.models import sbm_probabilities
    >>> p_in, p_out = sbm_probabilities(block_size=101, k_in=5.0, k_out=1.0)
    >>> round(p_in * 100, 12), round(p_out * 101, 12)    # k_in = p_in (n - 1), k_out = p_out n
    (5.0, 1.0)
    """
    n = v.integer("block_size", block_size, low=2)
    k_in = v.real("k_in", k_in, nonnegative=True)
    k_out = v.real("k_out", k_out, nonnegative=True)
    p_in, p_out = k_in / (n - 1), k_out / n
    if p_in > 1:
        raise ValueError(f"k_in must be <= block_size - 1 = {n - 1}, got {k_in}")
    if p_out > 1:
        raise ValueError(f"k_out must be <= block_size = {n}, got {k_out}")
    return p_in, p_out


def sbm(*, n_blocks=2, block_size=500, p_in=0.014, p_out=0.002, seed=0):
    """Stochastic block model with equal blocks (networkx ``stochastic_block_model``).

    Parameters
    ----------
    n_blocks : int >= 1
        Number of communities.
    block_size : int >= 2
        Nodes per community.
    p_in, p_out : float in [0, 1]
        Edge probability inside a block and between two blocks.
    seed : int >= 0 or None

    Returns
    -------
    networkx.Graph
        Nodes ``0..n_blocks*block_size-1``, block ``b`` holds nodes
        ``b*block_size .. (b+1)*block_size-1``; node attribute ``"block"``.

    Examples
    --------
    Four disconnected complete blocks (p_in = 1, p_out = 0): the modularity of
    the blocks is exactly 1 - 1/4.

    >>> from utacbook.models import modularity, sbm
    >>> G = sbm(n_blocks=4, block_size=5, p_in=1.0, p_out=0.0, seed=1)
    >>> G.number_of_nodes(), G.number_of_edges(), G.nodes[7]["block"]
    (20, 40, 1)
    >>> round(modularity(G), 12)
    0.75
    """
    import networkx as nx
    n_blocks = v.integer("n_blocks", n_blocks, low=1)
    n = v.integer("block_size", block_size, low=2)
    p_in = v.real("p_in", p_in, low=0.0, high=1.0)
    p_out = v.real("p_out", p_out, low=0.0, high=1.0)
    P = np.full((n_blocks, n_blocks), p_out)
    np.fill_diagonal(P, p_in)
    G = nx.stochastic_block_model([n] * n_blocks, P.tolist(), seed=_seed_or_none(seed))
    G.graph.clear()
    return nx.Graph(G)


def erdos_renyi(*, n=1000, k_mean=8.0, seed=0):
    """Erdős–Rényi graph G(n, p) with p = k_mean / (n - 1).

    Parameters
    ----------
    n : int >= 2
    k_mean : float in [0, n - 1]
        Expected mean degree.
    seed : int >= 0 or None

    Examples
    --------
    >>> from utacbook.models import degree_moments, erdos_renyi
    >>> G = erdos_renyi(n=2000, k_mean=6.0, seed=1)
    >>> k1, k2 = degree_moments(G)
    >>> round(k1, 1), round(k2 / (k1 * k1 + k1), 1)     # Poisson degrees: <k^2> = <k>^2 + <k>
    (6.0, 1.0)
    """
    import networkx as nx
    n = v.integer("n", n, low=2)
    k_mean = v.real("k_mean", k_mean, low=0.0, high=n - 1)
    return nx.gnp_random_graph(n, k_mean / (n - 1), seed=_seed_or_none(seed))


def random_regular(*, n=1000, k=4, seed=0):
    """Random k-regular graph (n * k must be even).

    Examples
    --------
    >>> from utacbook.models import random_regular
    >>> G = random_regular(n=50, k=4, seed=1)
    >>> sorted({d for _, d in G.degree()}), G.number_of_edges()    # every degree is k; n k / 2 edges
    ([4], 100)
    """
    import networkx as nx
    n = v.integer("n", n, low=2)
    k = v.integer("k", k, low=0, high=n - 1)
    if (n * k) % 2:
        raise ValueError(f"n * k must be even, got n={n}, k={k}")
    return nx.random_regular_graph(k, n, seed=_seed_or_none(seed))


def barabasi_albert(*, n=1000, m=3, seed=0):
    """Barabási–Albert preferential-attachment graph (networkx).

    Parameters
    ----------
    n : int > m
        Number of nodes.
    m : int >= 1
        Edges attached by each new node (mean degree ≈ 2m).
    seed : int >= 0 or None

    Examples
    --------
    networkx starts from a star of m + 1 nodes (m edges); each of the other
    n - m - 1 nodes brings m edges, so there are exactly m (n - m) edges:

    >>> from utacbook.models import barabasi_albert
    >>> G = barabasi_albert(n=200, m=2, seed=1)
    >>> G.number_of_edges() == 2 * (200 - 2)
    True
    >>> max(d for _, d in G.degree()) > 10                  # hubs
    True
    """
    import networkx as nx
    m = v.integer("m", m, low=1)
    n = v.integer("n", n, low=m + 1)
    return nx.barabasi_albert_graph(n, m, seed=_seed_or_none(seed))


def lattice_graph(L=16, *, periodic=True):
    """Square L x L lattice as a graph, node ``i*L + j`` = site (i, j).

    Parameters
    ----------
    L : int >= 3
        Linear size (L >= 3 so that periodic bonds are not doubled).
    periodic : bool, default True
        Periodic boundaries (torus, every node has degree 4).

    Examples
    --------
    >>> from utacbook.models import lattice_graph
    >>> G = lattice_graph(4)
    >>> G.number_of_nodes(), G.number_of_edges(), sorted({d for _, d in G.degree()})
    (16, 32, [4])
    >>> G.has_edge(1 * 4 + 3, 1 * 4 + 0)                  # site (1, 3) wraps to (1, 0)
    True
    >>> lattice_graph(4, periodic=False).number_of_edges()  # 2 L (L - 1) open bonds
    24
    """
    import networkx as nx
    L = v.integer("L", L, low=3)
    if not isinstance(periodic, bool):
        raise TypeError(f"periodic must be bool, got {type(periodic).__name__}")
    G = nx.grid_2d_graph(L, L, periodic=periodic)
    return nx.convert_node_labels_to_integers(G, ordering="sorted")


def _graph(graph):
    """``graph`` if it is a networkx graph, else TypeError naming it."""
    import networkx as nx
    if not isinstance(graph, nx.Graph):
        raise TypeError(f"graph must be a networkx graph, got {type(graph).__name__}")
    return graph


def block_labels(graph, *, attr="block"):
    """Integer group label of every node, in node order (array of int).

    Examples
    --------
    >>> import numpy as np
    >>> from utacbook.models import block_labels, sbm
    >>> G = sbm(n_blocks=3, block_size=4, p_in=0.5, p_out=0.1, seed=0)
    >>> block_labels(G).tolist()
    [0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2]
    >>> np.bincount(block_labels(G)).tolist()
    [4, 4, 4]
    """
    _graph(graph)
    try:
        return np.array([graph.nodes[u][attr] for u in graph.nodes], dtype=int)
    except KeyError:
        raise ValueError(f"graph nodes lack the attribute attr={attr!r}") from None


def modularity(graph, partition=None, *, attr="block"):
    """Newman's modularity Q of a partition (networkx.algorithms.community).

    .. math:: Q = \\sum_c \\left[\\frac{L_c}{m} - \\left(\\frac{d_c}{2m}\\right)^2\\right]

    with L_c the edges inside group c, d_c its total degree and m the number
    of edges.  For c disconnected groups of equal size and equal edge count
    Q = 1 - 1/c.

    Parameters
    ----------
    graph : networkx.Graph
    partition : array_like of labels (node order), list of sets, or None
        None uses the node attribute ``attr``.  An array of spins (±1) gives
        the modularity of the two opinion camps.
    attr : str
        Node attribute holding the label when ``partition`` is None.

    Returns
    -------
    float in [-1/2, 1)

    Examples
    --------
    Two disjoint triangles: Q = 1 - 1/2 for the triangles, 0 for everything
    in one group, and the same value for a list of sets or for labels ±1:

    >>> import networkx as nx
    >>> from utacbook.models import modularity
    >>> G = nx.disjoint_union(nx.complete_graph(3), nx.complete_graph(3))
    >>> round(modularity(G, [{0, 1, 2}, {3, 4, 5}]), 12)
    0.5
    >>> round(modularity(G, [1, 1, 1, -1, -1, -1]), 12)
    0.5
    >>> round(modularity(G, [0] * 6), 12)
    0.0
    """
    from networkx.algorithms import community
    _graph(graph)
    if graph.number_of_edges() == 0:
        raise ValueError("graph must have at least one edge")
    if partition is None:
        partition = block_labels(graph, attr=attr)
    if isinstance(partition, (list, tuple)) and partition and isinstance(partition[0], (set, frozenset)):
        sets = [set(s) for s in partition]
    else:
        lab = np.asarray(partition)
        if lab.shape != (graph.number_of_nodes(),):
            raise ValueError(f"partition must have one label per node "
                             f"({graph.number_of_nodes()}), got shape {lab.shape}")
        nodes = list(graph.nodes)
        sets = [{nodes[i] for i in np.flatnonzero(lab == c)} for c in np.unique(lab)]
    return float(community.modularity(graph, sets))


def degree_moments(graph):
    """Mean degree ⟨k⟩ and second moment ⟨k²⟩ of a graph (or degree sequence).

    Parameters
    ----------
    graph : networkx.Graph or array_like
        An undirected graph without self-loops and with at least one edge,
        or a degree sequence (non-negative, positive mean).

    Returns
    -------
    (k1, k2) : tuple of float

    Examples
    --------
    >>> from utacbook.models import degree_moments, lattice_graph
    >>> degree_moments(lattice_graph(4))                    # every degree 4
    (4.0, 16.0)
    >>> k1, k2 = degree_moments([1, 2, 3])                  # a degree sequence
    >>> k1, round(k2, 6)
    (2.0, 4.666667)
    """
    from utacbook.theory._exact import _degree_moments
    k1, k2 = _degree_moments(graph, name="graph")
    return float(k1), float(k2)


def adjacency(graph, *, weight=None):
    """Sparse adjacency matrix (CSR, float) in node order.

    Examples
    --------
    >>> from utacbook.models import adjacency, lattice_graph
    >>> A = adjacency(lattice_graph(4))
    >>> A.shape, A.nnz, A.format                            # 2 x 32 edges stored
    ((16, 16), 64, 'csr')
    >>> (A != A.T).nnz, A.sum(axis=1).tolist()[:4]          # symmetric; row sums = degrees
    (0, [4.0, 4.0, 4.0, 4.0])
    """
    import networkx as nx
    _graph(graph)
    return nx.to_scipy_sparse_array(graph, nodelist=list(graph.nodes), weight=weight,
                                    dtype=float, format="csr")


def ba_moment_scan(sizes=(500, 1000, 2000, 4000), *, m=3, n_graphs=4, seed=0):
    """Degree moments of Barabási–Albert graphs against their size, and the T_c estimates they give.

    For every size N, ``n_graphs`` independent graphs (seeds ``seed + 1000*g + N``)
    are drawn; ⟨k⟩, ⟨k²⟩, κ = ⟨k²⟩/⟨k⟩ and the annealed-network
    (:func:`utacbook.theory.mean_field_tc`) and Bethe (:func:`utacbook.theory.bethe_tc`)
    estimates of T_c are averaged over them (mean ± s.e.m.).  For the BA
    degree distribution P(k) ∝ k⁻³ with its natural cut-off k_max ∝ m√N,
    ⟨k²⟩ and therefore both estimates grow like ln N without bound
    (Dorogovtsev, Goltsev & Mendes 2008); ``slope_kappa`` is the fitted
    dκ/d ln N (unweighted least squares over the sizes).

    Returns
    -------
    dict
        ``sizes``, ``k1``, ``k2``, ``kappa``, ``kappa_err``, ``T_mf``,
        ``T_mf_err``, ``T_bethe``, ``T_bethe_err`` (arrays over sizes),
        ``slope_kappa``, ``slope_kappa_err``, ``slope_bethe``,
        ``slope_bethe_err``, ``m``, ``n_graphs``.

    Examples
    --------
    ⟨k⟩ = 2m(N - m)/N exactly (see :func:`utacbook.models.barabasi_albert`),
    while κ = ⟨k²⟩/⟨k⟩ grows with N:

    >>> from utacbook.models import ba_moment_scan
    >>> r = ba_moment_scan(sizes=(100, 400, 1600), m=2, n_graphs=2, seed=0)
    >>> r["k1"].round(6).tolist()
    [3.92, 3.98, 3.995]
    >>> bool(r["kappa"][0] < r["kappa"][-1]), bool(r["slope_kappa"] > 0)
    (True, True)
    >>> bool((r["T_bethe"] < r["T_mf"]).all())                # Bethe below mean field
    True
    """
    from utacbook.theory._exact import bethe_tc, mean_field_tc
    try:
        if isinstance(sizes, (str, bytes)):
            raise TypeError
        sizes = list(sizes)
    except TypeError:
        raise TypeError(f"sizes must be a sequence of int, got {sizes!r}") from None
    Ns = np.asarray([v.integer("sizes", n, low=2) for n in sizes])
    if Ns.size == 0:
        raise ValueError("sizes must not be empty")
    m = v.integer("m", m, low=1)
    if np.any(Ns <= m):
        raise ValueError(f"sizes must all exceed m = {m}, got {Ns.tolist()}")
    n_graphs = v.integer("n_graphs", n_graphs, low=2)
    seed = v.integer("seed", seed, low=0)
    rows = np.zeros((Ns.size, n_graphs, 5))
    for a, N in enumerate(Ns):
        for g in range(n_graphs):
            G = barabasi_albert(n=int(N), m=m, seed=seed + 1000 * g + int(N))
            k1, k2 = degree_moments(G)
            rows[a, g] = k1, k2, k2 / k1, mean_field_tc(G), bethe_tc(G)
    mean = rows.mean(axis=1)
    sem = rows.std(axis=1, ddof=1) / np.sqrt(n_graphs)
    x = np.log(Ns)

    def slope(y):
        if x.size < 2:
            return float("nan"), float("nan")
        p, cov = np.polyfit(x, y, 1, cov=True) if x.size > 2 else (np.polyfit(x, y, 1), None)
        return float(p[0]), float(np.sqrt(cov[0, 0])) if cov is not None else float("nan")

    sk, ske = slope(mean[:, 2])
    sb, sbe = slope(mean[:, 4])
    return {"sizes": Ns, "k1": mean[:, 0], "k2": mean[:, 1], "kappa": mean[:, 2], "kappa_err": sem[:, 2],
            "T_mf": mean[:, 3], "T_mf_err": sem[:, 3], "T_bethe": mean[:, 4], "T_bethe_err": sem[:, 4],
            "slope_kappa": sk, "slope_kappa_err": ske, "slope_bethe": sb, "slope_bethe_err": sbe,
            "m": m, "n_graphs": n_graphs}



def _ss(*keys):
    """A fresh SeedSequence for the run labelled by ``keys`` (non-negative ints)."""
    return np.random.SeedSequence([int(k) for k in keys])


def _seed(seed):
    """The seed as an int >= 0 (None refused); also used by the social-chapter studies."""
    return v.integer("seed", seed, low=0)


def _block_mags(spins, labels, n_blocks=2):
    s = np.asarray(spins, dtype=float)
    return np.array([s[labels == b].mean() for b in range(n_blocks)])


def _parabola_peak(x, y):
    """Vertex of the parabola through the maximum of y and its two neighbours."""
    i = int(np.argmax(y))
    i = min(max(i, 1), len(y) - 2)
    xs, ys = x[i - 1:i + 2], y[i - 1:i + 2]
    a, b, _ = np.polyfit(xs, ys, 2)
    if a >= 0:
        return float(xs[1])
    return float(np.clip(-b / (2 * a), xs[0], xs[2]))


_TC_SCAN_TEMPERATURES = np.linspace(4.0, 10.0, 13)


def network_tc_scan(graph, *, temperatures=_TC_SCAN_TEMPERATURES, J=1.0, sweeps=1500,
                    burn_in=300, n_seeds=4, algorithm="metropolis", seed=0):
    """Ordering temperature of a graph from the peak of the susceptibility.

    For every seed, χ(T) = N(⟨m²⟩ - ⟨``|m|``⟩²)/T is measured on the grid and
    its peak located by a parabola through the largest value and its two
    neighbours; T_peak is the mean over seeds ± s.e.m.  The finite-N peak
    sits near (usually a little above) the T_c of the infinite graph
    ensemble.

    Parameters
    ----------
    graph : networkx.Graph or IsingGraph
        Undirected, at least one edge (see :func:`utacbook.models.prepare_graph`).
    temperatures : 1-D array of float > 0, >= 3 values, increasing
        Default ``np.linspace(4.0, 10.0, 13)``.
    J : float > 0
    sweeps, burn_in : int
    n_seeds : int >= 2
    algorithm : {"metropolis", "heatbath"}
    seed : int >= 0

    Returns
    -------
    dict
        ``temperatures``, ``chi`` and ``chi_err`` (mean over seeds ± s.e.m.),
        ``abs_m``, ``abs_m_err``, ``binder``, ``T_peak``, ``T_peak_err``,
        ``T_peaks`` (per seed).

    Examples
    --------
    A random 4-regular graph of 64 nodes, whose infinite ensemble orders at the
    Bethe temperature 1/artanh(1/3) ≈ 2.885 (short runs, for speed):

    >>> import numpy as np
    >>> from utacbook.models import network_tc_scan, random_regular
    >>> from utacbook.theory import bethe_tc
    >>> G = random_regular(n=64, k=4, seed=1)
    >>> r = network_tc_scan(G, temperatures=np.linspace(1.5, 4.5, 7), sweeps=200, burn_in=50,
    ...                     n_seeds=2, seed=0)
    >>> r["chi"].shape, r["T_peaks"].shape, r["N"]
    ((7,), (2,), 64)
    >>> round(bethe_tc(G), 3), bool(abs(r["T_peak"] - bethe_tc(G)) < 0.5)
    (2.885, True)
    """
    temps = v.real_array("temperatures", temperatures, ndim=1, min_len=3)
    if np.any(temps <= 0) or np.any(np.diff(temps) <= 0):
        raise ValueError("temperatures must be positive and increasing")
    n_seeds = v.integer("n_seeds", n_seeds, low=2)
    seed = _seed(seed)
    v.real("J", J, positive=True)
    g = graph if isinstance(graph, ising.IsingGraph) else ising.prepare_graph(graph)
    if g.n_edges == 0:
        raise ValueError("graph must have at least one edge (free spins have no ordering temperature)")
    chi = np.zeros((n_seeds, temps.size))
    am = np.zeros_like(chi)
    U = np.zeros_like(chi)
    for s in range(n_seeds):
        for j, T in enumerate(temps):
            r = ising.simulate_graph(g, float(T), J=J, sweeps=sweeps, burn_in=burn_in,
                                     algorithm=algorithm, init="random", seed=_ss(seed, s, j))
            m = r.magnetization
            chi[s, j] = g.N * (np.mean(m * m) - np.mean(np.abs(m)) ** 2) / T
            am[s, j] = np.mean(np.abs(m))
            U[s, j] = 1 - np.mean(m ** 4) / (3 * np.mean(m * m) ** 2)
    peaks = np.array([_parabola_peak(temps, c) for c in chi])
    sq = math.sqrt(n_seeds)
    return {"temperatures": temps, "chi": chi.mean(0), "chi_err": chi.std(0, ddof=1) / sq,
            "abs_m": am.mean(0), "abs_m_err": am.std(0, ddof=1) / sq, "binder": U.mean(0),
            "binder_err": U.std(0, ddof=1) / sq, "T_peak": float(peaks.mean()),
            "T_peak_err": float(peaks.std(ddof=1) / sq), "T_peaks": peaks, "N": g.N}

