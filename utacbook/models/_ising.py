"""The Ising model on the periodic square lattice (Metropolis, heat-bath, Wolff) and on graphs.

Model and conventions
---------------------
Spins :math:`s_i = \\pm 1` (stored as ``int8``) on a periodic :math:`L \\times L`
lattice (:math:`N = L^2`), with

.. math:: H = -J \\sum_{\\langle ij \\rangle} s_i s_j - h \\sum_i s_i ,

each nearest-neighbour bond counted once (2N bonds).  Temperature ``T`` is in
units of J/k_B with k_B = 1 (Onsager's :math:`T_c = 2/\\ln(1+\\sqrt2) \\approx 2.269`
for J = 1).  Energies ``e = E/N`` and magnetisations ``m = M/N`` are per spin.

Algorithms
----------
``"metropolis"``, ``"heatbath"``
    Checkerboard sweeps (even L): all sites with i + j even, then all odd
    ones.  One sweep = one update attempt per spin.  Rows of one colour run in
    parallel.  The random numbers come from the counter-based generator
    Philox4x32-10 keyed by the seed: the word used at site k of row i in
    half-sweep (t, colour) is a fixed function of (key, t, colour, i, k), so a
    seed gives identical runs at any thread count.  A flip is accepted when a
    32-bit uniform word is below floor(p 2^32), i.e. with probability p to
    within 2^-32.  Metropolis accepts a flip with probability
    min(1, exp(-ΔE/T)), except that zero-cost flips (ΔE = 0) are accepted with
    probability 63/64: with probability 1, sublattice-parallel Metropolis is not
    ergodic (states in which every spin has zero local field, such as stripes,
    flip back and forth forever); 63/64 breaks the cycle and, unlike 1/2,
    leaves the autocorrelation time at T_c almost unchanged (see
    :mod:`utacbook._kernels.ising`).
``"metropolis_msc"``
    The same checkerboard Metropolis chain, multi-spin coded: 64 spins of the
    lattice share one 64-bit word (the lattice is cut into 64 strips of
    L/64 rows; bit b of a word holds a site of strip b), neighbour tests are
    bitwise, and each of the 64 lanes gets its own acceptance decision (a
    53-bit uniform compared with the acceptance probability bit by bit).  h = 0, J > 0 and L a multiple of 128 only.  The
    samples follow the same Markov chain law as ``"metropolis"``, not the
    same random numbers.
``"wolff"``
    Single-cluster algorithm (h = 0 and J >= 0 only).  **One "sweep" is one
    cluster flip**; the per-step cluster sizes are returned
    (:attr:`IsingResult.cluster_sizes`) so that costs can be compared per
    flipped spin (on average ``mean(cluster_sizes)/N`` sweeps' worth of flips
    per step).  Autocorrelation times of Wolff runs are therefore in cluster
    steps.

Measurements are taken after every sweep following ``burn_in`` sweeps.

Graphs
------
:func:`simulate_graph` runs Metropolis or heat-bath on any undirected graph
(networkx, scipy.sparse or a dense matrix) with couplings
:math:`J_{ij} = J w_{ij}` of either sign and fields that may vary per node and
per sweep.  The graph is coloured greedily and relabelled so that each colour
class is contiguous (CSR arrays); classes are updated one after another, each
in parallel over fixed chunks with one stream per chunk (see
:mod:`utacbook._kernels.graph`).  :func:`prepare_graph` does this once for
repeated runs.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from utacbook._kernels import ising as K
from utacbook import _validate as v
from utacbook.stats import _mcstats as mcstats
from utacbook._kernels.rng import make_streams, philox_key, resolve_seed

__all__ = ["simulate_lattice", "IsingResult", "LATTICE_ALGORITHMS", "simulate_graph",
           "prepare_graph", "IsingGraph", "GraphResult", "GRAPH_ALGORITHMS"]

LATTICE_ALGORITHMS = ("metropolis", "heatbath", "wolff", "metropolis_msc")

#: lattices at least this large use the parallel checkerboard driver (the
#: serial one gives the identical run and avoids thread start-up on tiny lattices)
_PARALLEL_MIN_L = 32
#: the same for the multi-spin-coded kernel (L/64 word-rows are shared out)
_PARALLEL_MIN_L_MSC = 512


class _Estimators:
    """Equilibrium estimators shared by lattice and graph results.

    Needs the attributes ``energy``, ``magnetization`` (per-sweep series, per
    spin), ``T``, ``N`` and ``_cache``.  Every estimator returns
    ``(value, error)``; errors account for autocorrelation (τ_int for means,
    jackknife over bins much longer than τ_int for nonlinear quantities, see
    :mod:`utacbook.stats`).  With a field ramp these equilibrium estimators
    are not meaningful.
    """

    def _memo(self, key, fn):
        if key not in self._cache:
            self._cache[key] = fn()
        return self._cache[key]

    @property
    def mean_energy(self):
        """⟨e⟩ per spin, with error (τ_int-corrected)."""
        return self._memo("e", lambda: mcstats.mean_with_error(self.energy)[:2])

    @property
    def mean_magnetization(self):
        """⟨m⟩ per spin (signed), with error."""
        return self._memo("m", lambda: mcstats.mean_with_error(self.magnetization)[:2])

    @property
    def abs_magnetization(self):
        """⟨|m|⟩, with error (τ_int-corrected)."""
        return self._memo("am", lambda: mcstats.mean_with_error(np.abs(self.magnetization))[:2])

    @property
    def susceptibility(self):
        """χ = N(⟨m²⟩ − ⟨|m|⟩²)/T, with jackknife error."""
        return self._memo("chi", lambda: mcstats.susceptibility(self.magnetization, self.T, self.N))

    @property
    def specific_heat(self):
        """C = N(⟨e²⟩ − ⟨e⟩²)/T² per spin, with jackknife error."""
        return self._memo("C", lambda: mcstats.specific_heat(self.energy, self.T, self.N))

    @property
    def binder(self):
        """Binder cumulant U = 1 − ⟨m⁴⟩/(3⟨m²⟩²), with jackknife error."""
        return self._memo("U", lambda: mcstats.binder_cumulant(self.magnetization))

    @property
    def tau_int(self):
        """Integrated autocorrelation times (in sweeps) of e and |m|: dict."""
        return self._memo("tau", lambda: {
            "energy": mcstats.integrated_autocorrelation_time(self.energy),
            "abs_magnetization": mcstats.integrated_autocorrelation_time(
                np.abs(self.magnetization)),
        })


@dataclass(eq=False)
class IsingResult(_Estimators):
    """A lattice Ising run: time series, final state, parameters and estimators.

    Attributes
    ----------
    energy, magnetization : ndarray of float, shape (sweeps,)
        Energy and magnetisation per spin after each sweep (after burn-in).
    spins : ndarray of int8, shape (L, L)
        Final configuration.
    L, T, J, h, sweeps, burn_in, algorithm, init : parameters as given
        (``h`` is a float or the per-sweep array; ``init`` is a string or
        ``"array"``).
    seed : int or tuple
        The seed that reproduces this run.
    cluster_sizes : ndarray of int64 or None
        Wolff only: size of the cluster flipped at each recorded step.

    Estimators (``mean_energy``, ``abs_magnetization``, ``susceptibility``,
    ``specific_heat``, ``binder``, ...) return ``(value, error)``; errors
    account for autocorrelation (τ_int for means, jackknife over bins much
    longer than τ_int for nonlinear quantities, see :mod:`utacbook.stats`).
    With a field ramp these equilibrium estimators are not meaningful.
    """

    L: int
    T: float
    J: float
    h: object
    sweeps: int
    burn_in: int
    algorithm: str
    init: str
    seed: object
    energy: np.ndarray
    magnetization: np.ndarray
    spins: np.ndarray
    cluster_sizes: np.ndarray | None = None
    _cache: dict = field(default_factory=dict, repr=False, compare=False)

    @property
    def N(self):
        """Number of spins L²."""
        return self.L * self.L

    @property
    def mean_cluster_size(self):
        """Wolff only: mean flipped-cluster size (spins), else None."""
        if self.cluster_sizes is None:
            return None
        return float(np.mean(self.cluster_sizes))


def _init_spins(init, L, st):
    if isinstance(init, str):
        v.choice("init", init, {"random", "up", "down"})
        if init == "random":
            return K.random_spins(L, st), init
        return np.full((L, L), 1 if init == "up" else -1, dtype=np.int8), init
    try:
        arr = np.asarray(init)
    except Exception:  # pragma: no cover
        raise ValueError("init must be 'random', 'up', 'down' or an (L, L) array of +-1") from None
    if arr.shape != (L, L) or arr.dtype.kind not in "biuf" or not np.all(np.isin(arr, (-1, 1))):
        raise ValueError(f"init must be 'random', 'up', 'down' or an (L, L) = ({L}, {L}) "
                         f"array of +-1, got {arr.dtype} array of shape {arr.shape}")
    return np.ascontiguousarray(arr, dtype=np.int8).copy(), "array"


def simulate_lattice(L, T, *, J=1.0, h=0.0, sweeps=1000, burn_in=100, algorithm="metropolis",
                     init="random", seed=None, zero_cost_accept=K.ZERO_COST_ACCEPT):
    """Simulate the Ising model on the periodic L×L square lattice.

    Parameters
    ----------
    L : int, 2 <= L <= 65536
        Linear size; must be even for "metropolis" and "heatbath" (checkerboard).
    T : float > 0
        Temperature in units of J/k_B (T_c ≈ 2.269 for J = 1).
    J : float, default 1
        Coupling (any finite value for the checkerboard algorithms; J >= 0 for Wolff).
    h : float or array of shape (sweeps,), default 0
        External field.  An array gives one value per recorded sweep (a field
        ramp; the state is carried along); the burn-in sweeps use ``h[0]``.
        Wolff requires h = 0.
    sweeps : int >= 1, default 1000
        Recorded sweeps (Wolff: recorded cluster steps).
    burn_in : int >= 0, default 100
        Sweeps (Wolff: cluster steps) discarded before recording.
    algorithm : {"metropolis", "heatbath", "wolff", "metropolis_msc"}
        See the module docstring; "metropolis_msc" needs h = 0, J > 0 and
        L a multiple of 128.
    init : {"random", "up", "down"} or array (L, L) of +-1, default "random"
    seed : int >= 0, SeedSequence or None
        Root seed; None draws fresh entropy (reported in the result).
    zero_cost_accept : float in (0, 1], default 63/64
        Metropolis only: acceptance probability of a flip with ΔE = 0.  Any value
        keeps detailed balance; 1 (the textbook rule) makes the checkerboard chain
        non-ergodic from zero-field states such as stripes (see the module
        docstring), smaller values slow it down.  For studies of that choice.

    Returns
    -------
    IsingResult
    """
    L = v.integer("L", L, low=2, high=65536)
    T = v.real("T", T, positive=True)
    J = v.real("J", J)
    zero_cost_accept = v.real("zero_cost_accept", zero_cost_accept)
    if not 0.0 < zero_cost_accept <= 1.0:
        raise ValueError(f"zero_cost_accept must be in (0, 1], got {zero_cost_accept}")
    sweeps = v.integer("sweeps", sweeps, low=1)
    burn_in = v.integer("burn_in", burn_in, low=0)
    if not isinstance(algorithm, str):
        raise ValueError(f"algorithm must be one of {sorted(LATTICE_ALGORITHMS)}, got {algorithm!r}")
    v.choice("algorithm", algorithm, set(LATTICE_ALGORITHMS))
    if np.ndim(h) == 0:
        h_val = v.real("h", h)
        h_seq = np.full(burn_in + sweeps, h_val)
        h_out = h_val
    else:
        h_arr = v.real_array("h", h, ndim=1)
        if h_arr.shape[0] != sweeps:
            raise ValueError(f"h must be a scalar or have length sweeps={sweeps}, "
                             f"got length {h_arr.shape[0]}")
        h_seq = np.concatenate([np.full(burn_in, h_arr[0]), h_arr])
        h_out = h_arr.copy()
    if algorithm == "wolff":
        if np.any(h_seq != 0.0):
            raise ValueError("h must be 0 for algorithm='wolff' (the cluster algorithm has no field)")
        if J < 0:
            raise ValueError(f"J must be >= 0 for algorithm='wolff', got {J}")
    elif algorithm == "metropolis_msc":
        if L % 128:
            raise ValueError(f"L must be a multiple of 128 for algorithm='metropolis_msc' "
                             f"(64 strips of an even number of rows), got {L}")
        if np.any(h_seq != 0.0):
            raise ValueError("h must be 0 for algorithm='metropolis_msc'")
        if not J > 0:
            raise ValueError(f"J must be > 0 for algorithm='metropolis_msc', got {J}")
    elif L % 2:
        raise ValueError(f"L must be even for algorithm={algorithm!r} (checkerboard), got {L}")

    if algorithm in ("metropolis", "heatbath"):
        # one stream for the random start, a Philox key for the sweeps
        seq, seed_used = resolve_seed(seed)
        init_seq, key_seq = seq.spawn(2)
        states = make_streams(init_seq, 1)[0]
        key = philox_key(key_seq)
        spins, init_name = _init_spins(init, L, states[0])
    else:
        states, seed_used = make_streams(seed, L + 1)
        spins, init_name = _init_spins(init, L, states[L])
    beta = 1.0 / T
    e = np.empty(sweeps)
    m = np.empty(sweeps)
    sizes = None
    if algorithm == "wolff":
        sizes = np.empty(sweeps, dtype=np.int64)
        K.run_wolff(spins, beta, J, burn_in, states[L], e, m, sizes)
    elif algorithm == "metropolis_msc":
        W = K.msc_pack(spins)
        run = K.run_msc_parallel if L >= _PARALLEL_MIN_L_MSC else K.run_msc_serial
        run(W, beta, J, burn_in, states, e, m)
        spins = K.msc_unpack(W)
    else:
        kind = K.KIND_METROPOLIS if algorithm == "metropolis" else K.KIND_HEATBATH
        run = K.run_checkerboard_parallel if L >= _PARALLEL_MIN_L else K.run_checkerboard_serial
        run(spins, kind, beta, J, h_seq, burn_in, key, e, m, float(zero_cost_accept))
    return IsingResult(L=L, T=T, J=J, h=h_out, sweeps=sweeps, burn_in=burn_in,
                       algorithm=algorithm, init=init_name, seed=seed_used, energy=e,
                       magnetization=m, spins=spins, cluster_sizes=sizes)


# --------------------------------------------------------------------------
# Ising model on a graph
# --------------------------------------------------------------------------

GRAPH_ALGORITHMS = ("metropolis", "heatbath")

#: graphs whose largest colour class spans at least this many chunks use the
#: parallel driver (the serial one gives the identical run)
_PARALLEL_MIN_CHUNKS = 2


@dataclass(eq=False, repr=False)
class IsingGraph:
    """A graph prepared for :func:`simulate_graph`: checked, coloured, relabelled CSR.

    Build it with :func:`prepare_graph` and pass it to :func:`simulate_graph`
    in place of the graph to skip the conversion and the colouring on
    repeated runs (scans, sliders).

    Attributes
    ----------
    N : int
        Number of nodes.
    nodes : list or None
        The networkx node labels, in the order used for ``spins`` and per-node
        fields (``None`` for a matrix: node i is row i).
    n_edges : int
        Number of edges (nonzero couplings i < j).
    n_colours : int
        Colour classes of the greedy colouring (sites updated in parallel).
    degree : ndarray of int64, shape (N,)
        Number of neighbours of each node (node order).
    perm : ndarray of int64, shape (N,)
        ``perm[k]`` is the node stored at internal position ``k``.
    """

    N: int
    nodes: object
    n_edges: int
    n_colours: int
    degree: np.ndarray
    perm: np.ndarray
    indptr: np.ndarray
    indices: np.ndarray
    weights: np.ndarray
    chunk_bounds: np.ndarray
    colour_chunks: np.ndarray

    def __repr__(self):
        return (f"IsingGraph(N={self.N}, n_edges={self.n_edges}, n_colours={self.n_colours}, "
                f"mean_degree={self.degree.mean():.3g})")

    def to_internal(self, x):
        """Reorder a per-node array (node order, last axis) into the internal order."""
        return np.asarray(x)[..., self.perm]

    def to_nodes(self, x):
        """Reorder a per-node array from the internal order back into node order."""
        x = np.asarray(x)
        out = np.empty_like(x)
        out[..., self.perm] = x
        return out


def _adjacency_csr(graph, weight):
    """(CSR float64 adjacency, node list or None) from a networkx graph, sparse or dense matrix."""
    import scipy.sparse as sp
    try:
        import networkx as nx
    except ImportError:  # pragma: no cover
        nx = None
    if nx is not None and isinstance(graph, nx.Graph):
        if graph.is_directed():
            raise ValueError("graph must be undirected (got a directed networkx graph)")
        if graph.number_of_nodes() < 1:
            raise ValueError("graph must have at least one node")
        nodes = list(graph)
        A = nx.to_scipy_sparse_array(graph, nodelist=nodes, weight=weight, dtype=float,
                                     format="csr")
    elif sp.issparse(graph):
        nodes = None
        A = sp.csr_array(graph, dtype=float)
    elif isinstance(graph, np.ndarray):
        nodes = None
        A = sp.csr_array(v.real_array("graph", graph, ndim=2))
    else:
        raise TypeError("graph must be a networkx graph, a scipy.sparse adjacency matrix, a 2-D "
                        f"numpy array or an IsingGraph, got {type(graph).__name__}")
    if A.ndim != 2 or A.shape[0] != A.shape[1]:
        raise ValueError(f"graph adjacency must be square, got shape {A.shape}")
    if A.shape[0] < 1:
        raise ValueError("graph must have at least one node")
    A.sum_duplicates()
    if not np.all(np.isfinite(A.data)):
        raise ValueError("graph couplings (edge weights) must be finite (no NaN or inf)")
    A.eliminate_zeros()
    if A.diagonal().any():
        raise ValueError("graph must have no self-loops (nonzero diagonal couplings J_ii)")
    if A.nnz:
        D = (A - A.T).tocsr()
        D.eliminate_zeros()
        scale = np.max(np.abs(A.data))
        if D.nnz and np.max(np.abs(D.data)) > 1e-12 * scale:
            raise ValueError("graph adjacency must be symmetric (J_ij = J_ji); the largest "
                             f"asymmetry is {np.max(np.abs(D.data)):.3g}")
    A.sort_indices()
    return A, nodes


def prepare_graph(graph, *, weight="weight"):
    """Check, colour and relabel a graph once for :func:`simulate_graph`.

    Parameters
    ----------
    graph : networkx.Graph, scipy.sparse matrix/array or 2-D ndarray
        Undirected graph.  For networkx the edge attribute ``weight`` gives
        the coupling factor w_ij (1 where absent; parallel edges of a
        multigraph add up); a matrix is the symmetric w_ij with zero diagonal.
        Weights may be negative (antiferromagnetic bonds, spin glasses) but
        must be finite.  The couplings of the run are ``J_ij = J * w_ij``.
    weight : str or None, default "weight"
        networkx edge attribute holding w_ij (None: every edge has w = 1).

    Returns
    -------
    IsingGraph

    Notes
    -----
    Nodes are coloured greedily, largest degree first, so that no two
    neighbours share a colour; a sweep updates the colour classes one after
    another, each class in fixed chunks of nodes with one random stream per
    chunk.
    """
    from utacbook._kernels import graph as GK
    A, nodes = _adjacency_csr(graph, weight)
    N = A.shape[0]
    indptr = A.indptr.astype(np.int64)
    indices = A.indices.astype(np.int64)
    degree = np.diff(indptr)
    order = np.argsort(-degree, kind="stable").astype(np.int64)
    colours = GK.greedy_colouring(indptr, indices, order)
    perm = np.argsort(colours, kind="stable").astype(np.int64)
    B = A[perm][:, perm].tocsr()
    B.sort_indices()
    counts = np.bincount(colours)
    starts = np.concatenate([[0], np.cumsum(counts)])
    bounds = [0]
    colour_chunks = [0]
    for k in range(counts.size):
        a, b = int(starts[k]), int(starts[k + 1])
        bounds.extend(range(a + GK.CHUNK, b, GK.CHUNK))
        bounds.append(b)
        colour_chunks.append(len(bounds) - 1)
    idx_dtype = np.int32 if N < 2 ** 31 - 1 else np.int64
    return IsingGraph(N=N, nodes=nodes, n_edges=int(A.nnz // 2), n_colours=int(counts.size),
                      degree=degree, perm=perm, indptr=B.indptr.astype(np.int64),
                      indices=B.indices.astype(idx_dtype), weights=B.data.astype(np.float64),
                      chunk_bounds=np.asarray(bounds, dtype=np.int64),
                      colour_chunks=np.asarray(colour_chunks, dtype=np.int64))


@dataclass(eq=False)
class GraphResult(_Estimators):
    """A graph Ising run: time series, final state, parameters and estimators.

    Attributes
    ----------
    energy, magnetization : ndarray of float, shape (sweeps,)
        Energy (field term included) and magnetisation per spin after each
        sweep (after burn-in).
    spins : ndarray of int8, shape (N,)
        Final configuration in node order (``graph.nodes``).
    graph : IsingGraph
        The prepared graph (reuse it for further runs).
    N, T, J, h, sweeps, burn_in, algorithm, init : parameters as given
        (``h`` as given: float or array).
    seed : int or tuple
        The seed that reproduces this run.

    Estimators (``mean_energy``, ``abs_magnetization``, ``susceptibility``,
    ``specific_heat``, ``binder``, ``tau_int``) as for :class:`IsingResult`.
    """

    N: int
    T: float
    J: float
    h: object
    sweeps: int
    burn_in: int
    algorithm: str
    init: str
    seed: object
    energy: np.ndarray
    magnetization: np.ndarray
    spins: np.ndarray
    graph: IsingGraph
    _cache: dict = field(default_factory=dict, repr=False, compare=False)

    _h_last: object = field(default=0.0, repr=False, compare=False)

    def energy_of(self, spins=None):
        """Energy per spin of ``spins`` (node order; default the final state), from scratch.

        Uses the field of the last sweep.  For the final state this equals
        ``energy[-1]`` up to rounding (the run carries the energy along
        incrementally).
        """
        from utacbook._kernels import graph as GK
        g = self.graph
        s = self.spins if spins is None else np.asarray(spins)
        si = np.ascontiguousarray(g.to_internal(s), dtype=np.int8)
        b = GK.bond_sum(si, g.indptr, g.indices, self.J * g.weights)
        f = float(np.sum(np.broadcast_to(self._h_last, s.shape) * s))
        return (-b - f) / self.N


def _graph_fields(h, N, sweeps):
    """(hs 2-D array in node order, row step, col step, kind) for the graph kernels."""
    if np.ndim(h) == 0:
        return np.full((1, 1), v.real("h", h)), 0, 0, "scalar"
    arr = v.real_array("h", h)
    if arr.ndim == 1:
        n = arr.shape[0]
        if n == N and n == sweeps:
            raise ValueError(f"h of length {n} is ambiguous: the graph has N = {n} nodes and "
                             f"sweeps = {n}; pass h with shape (1, N) for per-node fields or "
                             f"(sweeps, 1) for a per-sweep ramp")
        if n == N:
            return arr[None, :], 0, 1, "node"
        if n == sweeps:
            return arr[:, None], 1, 0, "sweep"
        raise ValueError(f"h must be a scalar, one value per node (N = {N}), one value per "
                         f"sweep (sweeps = {sweeps}) or shape (sweeps, N); got length {n}")
    if arr.ndim == 2 and arr.shape[0] in (1, sweeps) and arr.shape[1] in (1, N):
        return arr, int(arr.shape[0] > 1), int(arr.shape[1] > 1), "array"
    raise ValueError(f"h must be a scalar, shape (N,) = ({N},), (sweeps,) = ({sweeps},), "
                     f"(1, N), (sweeps, 1) or (sweeps, N); got shape {arr.shape}")


def simulate_graph(graph, T, *, J=1.0, h=0.0, sweeps=1000, burn_in=100, algorithm="metropolis",
                   init="random", seed=None):
    """Simulate the Ising model on a graph (any couplings, any fields).

    .. math:: H = -\\sum_{i<j} J_{ij} s_i s_j - \\sum_i h_i s_i,
              \\qquad J_{ij} = J\\, w_{ij}.

    Parameters
    ----------
    graph : networkx.Graph, scipy.sparse matrix, 2-D ndarray or IsingGraph
        Undirected graph with coupling factors w_ij (edge attribute
        ``weight``, 1 where absent; any sign, finite); see
        :func:`prepare_graph`.  Pass an :class:`IsingGraph` to reuse a
        prepared graph.
    T : float > 0
        Temperature (energy units, k_B = 1).
    J : float, default 1
        Overall coupling scale (finite; J = 1/N on the complete graph gives
        the Curie-Weiss model with T_c = 1).
    h : float or array, default 0
        Field (energy units): a scalar; one value per node, shape (N,);
        one value per recorded sweep, shape (sweeps,) (a ramp, the state
        carried along; burn-in sweeps use the first row); or shape
        (sweeps, N).  Shapes (1, N) and (sweeps, 1) remove the ambiguity when
        N == sweeps.
    sweeps : int >= 1, default 1000
        Recorded sweeps; one sweep updates every node once.
    burn_in : int >= 0, default 100
        Sweeps discarded before recording.
    algorithm : {"metropolis", "heatbath"}
        Single-spin update.  Metropolis flips with probability
        min(1, exp(-ΔE/T)); heat-bath sets s_i = +1 with probability
        1/(1 + exp(-2 H_i/T)), H_i = sum_j J_ij s_j + h_i.
    init : {"random", "up", "down"} or array of shape (N,) of +-1
    seed : int >= 0, SeedSequence or None
        Root seed; None draws fresh entropy (reported in the result).

    Returns
    -------
    GraphResult

    Notes
    -----
    A sweep updates the colour classes of a greedy colouring one after the
    other (nodes of one class do not interact, so each class is updated
    simultaneously and in parallel).  Each single-site update satisfies
    detailed balance, so the sweep leaves the Boltzmann distribution
    invariant.  Metropolis accepts zero-cost flips with probability 63/64
    (with probability 1, states in which every node has zero local field,
    such as ++-- on a ring, would cycle forever).
    """
    from utacbook._kernels import graph as GK
    g = graph if isinstance(graph, IsingGraph) else prepare_graph(graph)
    T = v.real("T", T, positive=True)
    J = v.real("J", J)
    sweeps = v.integer("sweeps", sweeps, low=1)
    burn_in = v.integer("burn_in", burn_in, low=0)
    if not isinstance(algorithm, str):
        raise ValueError(f"algorithm must be one of {sorted(GRAPH_ALGORITHMS)}, got {algorithm!r}")
    v.choice("algorithm", algorithm, set(GRAPH_ALGORITHMS))
    N = g.N
    hs, hrow, hcol, h_kind = _graph_fields(h, N, sweeps)
    h_out = float(hs[0, 0]) if h_kind == "scalar" else np.array(h, dtype=float)
    if hcol:
        hs = g.to_internal(hs)
    hs = np.ascontiguousarray(hs)

    n_chunks = g.chunk_bounds.shape[0] - 1
    states, seed_used = make_streams(seed, n_chunks + 1)
    if isinstance(init, str):
        v.choice("init", init, {"random", "up", "down"})
        init_name = init
        if init == "random":
            spins = GK.random_spins(N, states[n_chunks])
        else:
            spins = np.full(N, 1 if init == "up" else -1, dtype=np.int8)
    else:
        arr = np.asarray(init)
        if arr.shape != (N,) or arr.dtype.kind not in "biuf" or not np.all(np.isin(arr, (-1, 1))):
            raise ValueError(f"init must be 'random', 'up', 'down' or an array of shape (N,) = "
                             f"({N},) of +-1, got {arr.dtype} array of shape {arr.shape}")
        spins = np.ascontiguousarray(g.to_internal(arr), dtype=np.int8)
        init_name = "array"

    weights = g.weights if J == 1.0 else J * g.weights
    kind = GK.KIND_METROPOLIS if algorithm == "metropolis" else GK.KIND_HEATBATH
    e = np.empty(sweeps)
    m = np.empty(sweeps)
    max_chunks = int(np.max(np.diff(g.colour_chunks)))
    run = GK.run_parallel if max_chunks >= _PARALLEL_MIN_CHUNKS else GK.run_serial
    run(spins, g.indptr, g.indices, weights, g.chunk_bounds, g.colour_chunks, kind, 1.0 / T,
        hs, hrow, hcol, burn_in, states, e, m)
    return GraphResult(N=N, T=T, J=J, h=h_out, sweeps=sweeps, burn_in=burn_in,
                       algorithm=algorithm, init=init_name, seed=seed_used, energy=e,
                       magnetization=m, spins=g.to_nodes(spins), graph=g,
                       _h_last=g.to_nodes(hs[-1]) if hcol else float(hs[-1, 0]))
