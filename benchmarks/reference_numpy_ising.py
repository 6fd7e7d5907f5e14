"""NumPy/SciPy peers of utacbook's Ising engine, for ``bench_ising.py``.

Each peer computes the same physics as :mod:`utacbook.models`, with
:math:`H = -J\\sum_{\\langle ij\\rangle} s_i s_j - h\\sum_i s_i` (each bond
once), temperature in units of J/k_B, and records the energy and
magnetisation per spin after every sweep, as utacbook does.  They are written
as a careful NumPy author would write them, to be fast rather than to be
beaten:

``CheckerboardIsing``
    Metropolis and heat-bath checkerboard sweeps on the periodic L x L
    lattice (L even).  The int8 lattice is stored as its four L/2 x L/2
    sublattices (even/odd rows x even/odd columns), each contiguous, so one
    colour is two whole arrays and every neighbour sum is four array
    additions (two of them shifted by one with wrap-around, written as slice
    additions into preallocated buffers; no ``np.roll`` copies).  Flip
    probabilities come from a precomputed table indexed by (neighbour sum,
    spin).  One ``numpy.random.Generator(PCG64)`` draws the uniforms of one
    colour at a time into a preallocated buffer (float32 by default: 24-bit
    resolution, a bias of at most 6e-8 in a flip probability, far below any
    statistical error here; ``dtype=np.float64`` is available).  The bond sum
    B = sum_<ij> s_i s_j is read off the neighbour sums that the next sweep
    computes anyway (the lattice is bipartite: B = sum over the even colour
    of s_i n_i), so the per-sweep energy costs one product and one sum.

``GraphColourIsing``
    Metropolis and heat-bath on a graph given as a symmetric scipy.sparse
    adjacency (weights J_ij / J).  A greedy colouring splits the nodes into
    classes without internal edges; each class keeps its own CSR block of
    rows, so the local fields of one class are one sparse mat-vec.  The
    class's spins are then updated with vectorised NumPy and the bond sum is
    carried along incrementally (dB = -2 sum_flipped s_i f_i).

``wolff_python``
    A plain-Python Wolff single-cluster algorithm (flat list lattice,
    precomputed neighbour table, ``random.Random``), for scale only.

Self-checks against exact results (:mod:`utacbook.theory`) are provided as
``check_*`` functions; each returns a dict with the measured value, its
error, the exact value and z = (value - exact) / error.
"""

from __future__ import annotations

import math
import random

import numpy as np
import scipy.sparse as sp

from utacbook.theory import _exact as exact
from utacbook.stats import _mcstats as mcstats

__all__ = ["CheckerboardIsing", "GraphColourIsing", "greedy_colour_classes", "wolff_python",
           "check_lattice", "check_graph", "check_wolff", "small_test_graph"]

# sublattices of CheckerboardIsing: A = (even row, even col), B = (even, odd),
# C = (odd, even), D = (odd, odd).  Colour 0 (i + j even) = col[0] = (A, D);
# colour 1 = col[1] = (B, C).


def _flip_table(kind, beta, J, h, dtype):
    """Flip probability, index n + 4 + (s == -1): n = neighbour sum -4..4 (even), s = spin."""
    tab = np.zeros(10, dtype=np.float64)
    for n in range(-4, 5, 2):
        for s in (-1, 1):
            dE = 2.0 * s * (J * n + h)
            if kind == "metropolis":
                p = 1.0 if dE <= 0 else math.exp(-beta * dE)
            else:
                p = 1.0 / (1.0 + math.exp(beta * dE))
            # p = 1 must always flip: u < 1 holds for u in [0, 1)
            tab[n + 4 + (s == -1)] = p
    return tab.astype(dtype)


class CheckerboardIsing:
    """Checkerboard Metropolis / heat-bath Ising model on the periodic L x L lattice.

    Parameters
    ----------
    L : int, even, >= 4
        Linear size (N = L^2 spins).
    T : float > 0
        Temperature (units of J/k_B).
    J, h : float
        Coupling and uniform field.
    algorithm : {"metropolis", "heatbath"}
    init : {"random", "up", "down"} or (L, L) array of +-1
    seed : int or None
        Seed of the ``numpy.random.Generator(PCG64)``.
    dtype : numpy float dtype, default float32
        Precision of the uniforms and of the flip table.
    """

    def __init__(self, L, T, *, J=1.0, h=0.0, algorithm="metropolis", init="random", seed=None,
                 dtype=np.float32):
        if L % 2 or not 4 <= L <= 32768:
            raise ValueError(f"L must be even and 4 <= L <= 32768, got {L}")
        if algorithm not in ("metropolis", "heatbath"):
            raise ValueError(f"algorithm must be 'metropolis' or 'heatbath', got {algorithm!r}")
        self.L, self.T, self.J, self.h = L, float(T), float(J), float(h)
        self.N = L * L
        self.rng = np.random.Generator(np.random.PCG64(seed))
        if isinstance(init, str):
            if init == "random":
                full = np.where(self.rng.random((L, L)) < 0.5, 1, -1).astype(np.int8)
            else:
                full = np.full((L, L), 1 if init == "up" else -1, dtype=np.int8)
        else:
            full = np.asarray(init, dtype=np.int8)
        H = L // 2
        # colour 0 = (A, D), colour 1 = (B, C), each a (2, H, H) contiguous block
        self.col = [np.empty((2, H, H), np.int8), np.empty((2, H, H), np.int8)]
        self.set_spins(full)
        self.table = _flip_table(algorithm, 1.0 / self.T, self.J, self.h, dtype)
        self.n = np.empty((2, H, H), np.int8)      # neighbour sums of one colour
        self.k = np.empty((2, H, H), np.int8)      # table index
        self.tmp = np.empty((2, H, H), np.int8)
        self.p = np.empty((2, H, H), dtype)        # flip probabilities
        self.u = np.empty((2, H, H), dtype)        # uniforms
        self.flip = np.empty((2, H, H), bool)

    # -- layout ------------------------------------------------------------------------
    def set_spins(self, full):
        c0, c1 = self.col
        c0[0], c0[1] = full[0::2, 0::2], full[1::2, 1::2]   # A, D
        c1[0], c1[1] = full[0::2, 1::2], full[1::2, 0::2]   # B, C

    @property
    def spins(self):
        """The (L, L) int8 lattice (a copy)."""
        L = self.L
        full = np.empty((L, L), np.int8)
        (A, D), (B, C) = self.col
        full[0::2, 0::2], full[1::2, 1::2], full[0::2, 1::2], full[1::2, 0::2] = A, D, B, C
        return full

    # -- kernels -----------------------------------------------------------------------
    def _neighbour_sums(self, colour):
        """Neighbour sums of the sites of ``colour`` into self.n (int8, -4..4)."""
        n = self.n
        if colour == 0:
            B, C = self.col[1]
            # A[i, j] = (2i, 2j): up C[i-1, j], down C[i, j], left B[i, j-1], right B[i, j]
            # D[i, j] = (2i+1, 2j+1): up B[i, j], down B[i+1, j], left C[i, j], right C[i, j+1]
            np.add(B, C, out=n[0])
            n[1] = n[0]
            nA, nD = n[0], n[1]
            nA[1:] += C[:-1]
            nA[0] += C[-1]
            nA[:, 1:] += B[:, :-1]
            nA[:, 0] += B[:, -1]
            nD[:-1] += B[1:]
            nD[-1] += B[0]
            nD[:, :-1] += C[:, 1:]
            nD[:, -1] += C[:, 0]
        else:
            A, D = self.col[0]
            # B[i, j] = (2i, 2j+1): up D[i-1, j], down D[i, j], left A[i, j], right A[i, j+1]
            # C[i, j] = (2i+1, 2j): up A[i, j], down A[i+1, j], left D[i, j-1], right D[i, j]
            np.add(A, D, out=n[0])
            n[1] = n[0]
            nB, nC = n[0], n[1]
            nB[1:] += D[:-1]
            nB[0] += D[-1]
            nB[:, :-1] += A[:, 1:]
            nB[:, -1] += A[:, 0]
            nC[:-1] += A[1:]
            nC[-1] += A[0]
            nC[:, 1:] += D[:, :-1]
            nC[:, 0] += D[:, -1]
        return n

    def _update_colour(self, colour):
        s = self.col[colour]
        n = self.n
        # table index n + 4 + (s == -1) = n + 4 - (s >> 1)   (s >> 1 is -1 for s = -1, 0 for +1)
        np.right_shift(s, 1, out=self.tmp)
        np.subtract(n, self.tmp, out=self.k)
        self.k += 4
        # mode="clip" skips the bounds check (k is 0..9 by construction): 2x faster than "raise"
        np.take(self.table, self.k, out=self.p, mode="clip")
        self.rng.random(out=self.u, dtype=self.u.dtype)
        np.less(self.u, self.p, out=self.flip)
        # s *= 1 - 2 f on int8 (np.negative(..., where=flip) and s[flip] *= -1 are ~50x slower)
        t = self.tmp
        np.multiply(self.flip.view(np.int8), np.int8(-2), out=t)
        t += 1
        s *= t

    def _bond_sum(self):
        """B = sum_<ij> s_i s_j from the current self.n of colour 0 (bipartite lattice)."""
        np.multiply(self.col[0], self.n, out=self.tmp)
        return int(self.tmp.sum(dtype=np.int32))   # |B| <= 2N < 2**31 (L <= 32768)

    def run(self, sweeps, *, burn_in=0, measure=True):
        """Run ``burn_in`` + ``sweeps`` sweeps; return (energy, magnetisation) per spin and sweep.

        With ``measure=False`` nothing is recorded (returns None): the update cost alone.
        """
        e = np.empty(sweeps) if measure else None
        m = np.empty(sweeps) if measure else None
        N, J, h = self.N, self.J, self.h
        for t in range(burn_in + sweeps):
            self._neighbour_sums(0)
            if measure and t > burn_in:
                # self.n holds colour-0 neighbour sums of the state after sweep t - 1
                self._record(e, m, t - 1 - burn_in, self._bond_sum(), N, J, h)
            self._update_colour(0)
            self._neighbour_sums(1)
            self._update_colour(1)
        if measure:
            self._neighbour_sums(0)
            self._record(e, m, sweeps - 1, self._bond_sum(), N, J, h)
        return (e, m) if measure else None

    def _record(self, e, m, idx, B, N, J, h):
        # int32 accumulators: 2x faster than int64 on int8 data, exact for N < 2**30
        M = int(self.col[0].sum(dtype=np.int32)) + int(self.col[1].sum(dtype=np.int32))
        e[idx] = (-J * B - h * M) / N
        m[idx] = M / N


# ------------------------------------------------------------------------------ graphs


def greedy_colour_classes(adj):
    """Greedy colouring of a symmetric CSR adjacency (largest degree first).

    Plain Python over the CSR arrays (about 1 s per 10^6 edges).  Returns a
    list of int64 index arrays, one per colour, each sorted.
    """
    adj = sp.csr_array(adj)
    n = adj.shape[0]
    indptr = adj.indptr.tolist()
    indices = adj.indices.tolist()
    deg = np.diff(adj.indptr)
    order = np.argsort(-deg, kind="stable").tolist()
    colour = [-1] * n
    stamp = [-1] * (int(deg.max(initial=0)) + 2)
    for k, i in enumerate(order):
        for p in range(indptr[i], indptr[i + 1]):
            c = colour[indices[p]]
            if c >= 0:
                stamp[c] = k
        c = 0
        while stamp[c] == k:
            c += 1
        colour[i] = c
    colour = np.asarray(colour, dtype=np.int64)
    return [np.flatnonzero(colour == c) for c in range(int(colour.max(initial=-1)) + 1)]


def _adjacency(graph):
    try:
        import networkx as nx
        if isinstance(graph, nx.Graph):
            return nx.to_scipy_sparse_array(graph, weight="weight", format="csr", dtype=np.float64)
    except ImportError:  # pragma: no cover
        pass
    return sp.csr_array(graph, dtype=np.float64)


class GraphColourIsing:
    """Colour-class vectorised Metropolis / heat-bath on a graph (NumPy + scipy.sparse).

    The nodes are relabelled so that every colour class is a contiguous
    range; a class's spins are then a slice (a view, no fancy indexing) and
    its couplings a CSR block of rows, so one class update is one sparse
    mat-vec plus a few whole-array operations.

    Parameters
    ----------
    graph : networkx.Graph or scipy.sparse / dense symmetric array
        Couplings J_ij = J * weight_ij (weight 1 when absent).
    T : float > 0
    J, h : float
    algorithm : {"metropolis", "heatbath"}
    init : {"random", "up", "down"}
    seed : int or None
    classes : list of index arrays, optional
        A precomputed colouring (from :func:`greedy_colour_classes`), to
        reuse it across runs; the benchmark times the colouring separately.
    """

    def __init__(self, graph, T, *, J=1.0, h=0.0, algorithm="metropolis", init="random",
                 seed=None, classes=None):
        if algorithm not in ("metropolis", "heatbath"):
            raise ValueError(f"algorithm must be 'metropolis' or 'heatbath', got {algorithm!r}")
        adj = _adjacency(graph)
        self.N = adj.shape[0]
        self.T, self.J, self.h, self.algorithm = float(T), float(J), float(h), algorithm
        self.beta = 1.0 / self.T
        self.rng = np.random.Generator(np.random.PCG64(seed))
        classes = greedy_colour_classes(adj) if classes is None else classes
        self.perm = np.concatenate(classes)          # new label k = old node perm[k]
        bounds = np.cumsum([0] + [len(c) for c in classes])
        self.ranges = list(zip(bounds[:-1].tolist(), bounds[1:].tolist()))
        Jadj = (adj[self.perm][:, self.perm] * self.J).tocsr()
        Jadj.sort_indices()
        self._Jadj = Jadj
        self.blocks = [Jadj[a:b] for a, b in self.ranges]
        self.reset(seed=seed, init=init)

    def reset(self, *, seed=None, init="random"):
        """Fresh generator and initial state (the colouring and blocks are kept)."""
        self.rng = np.random.Generator(np.random.PCG64(seed))
        if init == "random":
            self.s = np.where(self.rng.random(self.N) < 0.5, 1.0, -1.0)
        else:
            self.s = np.full(self.N, 1.0 if init == "up" else -1.0)

    @property
    def spins(self):
        """int8 spins in the graph's original node order."""
        out = np.empty(self.N, np.int8)
        out[self.perm] = self.s
        return out

    def bond_sum(self):
        """sum_{i<j} J_ij s_i s_j (energy units, J included)."""
        return 0.5 * float((self.s * (self._Jadj @ self.s)).sum())

    def run(self, sweeps, *, burn_in=0, measure=True):
        """Run ``burn_in`` + ``sweeps`` sweeps; return (energy, magnetisation) per node and sweep.

        With ``measure=False`` nothing is recorded (returns None).
        """
        s, rng, beta, h = self.s, self.rng, self.beta, self.h
        e = np.empty(sweeps) if measure else None
        m = np.empty(sweeps) if measure else None
        W = self.bond_sum() if measure else 0.0
        M = float(s.sum()) if measure else 0.0
        metro = self.algorithm == "metropolis"
        with np.errstate(over="ignore", invalid="ignore"):
            for t in range(burn_in + sweeps):
                for (a, b), blk in zip(self.ranges, self.blocks):
                    loc = blk @ s                   # sum_j J_ij s_j over the class's rows
                    sc = s[a:b]                     # a view: updated in place
                    loc += h
                    x = sc * loc                    # energy change of a flip = 2 x
                    u = rng.random(b - a)
                    x *= -2.0 * beta
                    if metro:
                        # flip if u < exp(-2 beta x): exp(>= 0) >= 1 > u accepts downhill moves
                        flip = u < np.exp(x)
                    else:
                        # flip with 1 / (1 + exp(2 beta x)); exp overflow -> inf -> no flip
                        np.negative(x, out=x)
                        np.exp(x, out=x)
                        x += 1.0
                        flip = u * x < 1.0
                    fs = sc * flip                  # old spins of the flipped nodes, 0 elsewhere
                    if measure:
                        # (fs * loc).sum(), not fs @ loc: a BLAS dot may start OpenBLAS
                        # threads whose spin-waiting slows this single-core peer on a busy
                        # machine (measured: 2.5e7 -> 3e6 updates/s with one core taken)
                        sf = float(fs.sum())
                        W -= 2.0 * (float((fs * loc).sum()) - h * sf)
                        M -= 2.0 * sf
                    sc -= fs
                    sc -= fs
                if measure and t >= burn_in:
                    e[t - burn_in] = (-W - h * M) / self.N
                    m[t - burn_in] = M / self.N
        return (e, m) if measure else None


# ------------------------------------------------------------------------------ Wolff


def wolff_python(L, T, steps, *, J=1.0, seed=None, spins=None):
    """Plain-Python Wolff single-cluster updates at h = 0, J > 0 on the periodic L x L lattice.

    The same algorithm as utacbook's kernel: a uniformly random seed site,
    breadth-first growth over like neighbours with bond probability
    p = 1 - exp(-2J/T), flip, then the bond-sum change from the cluster's
    boundary.  Returns (final spins as an (L, L) int8 array, energies per
    spin, magnetisations per spin, cluster sizes), one entry per step.
    """
    N = L * L
    rnd = random.Random(seed)
    rand = rnd.random
    if spins is None:
        s = [1 if rand() < 0.5 else -1 for _ in range(N)]
    else:
        s = [int(x) for x in np.asarray(spins).ravel()]
    nbr = [((i + L) % N, (i - L) % N, (i // L) * L + (i + 1) % L, (i // L) * L + (i - 1) % L)
           for i in range(N)]
    p = 1.0 - math.exp(-2.0 * J / T)
    B = sum(s[i] * (s[nbr[i][0]] + s[nbr[i][2]]) for i in range(N))
    M = sum(s)
    mark = [-1] * N
    es, ms, sizes = [], [], []
    for t in range(steps):
        i0 = int(rand() * N)
        s0 = s[i0]
        snew = -s0
        s[i0] = snew
        mark[i0] = t
        members = [i0]
        append = members.append
        k = 0
        while k < len(members):
            i = members[k]
            k += 1
            for j in nbr[i]:
                if s[j] == s0 and rand() < p:
                    s[j] = snew
                    mark[j] = t
                    append(j)
        dB = 0
        for i in members:
            for j in nbr[i]:
                if mark[j] != t:
                    dB += s[j]
        B += 2 * snew * dB
        M += 2 * snew * len(members)
        es.append(-J * B / N)
        ms.append(M / N)
        sizes.append(len(members))
    return (np.asarray(s, dtype=np.int8).reshape(L, L), np.asarray(es), np.asarray(ms),
            np.asarray(sizes, dtype=np.int64))


# ------------------------------------------------------------------------------ self-checks


def _z(value, err, ref):
    return (value - ref) / err if err > 0 else math.inf


def check_lattice(*, algorithm="metropolis", L=32, T=2.0, sweeps=4000, burn_in=300, seed=11):
    """Mean energy of :class:`CheckerboardIsing` against Kaufman's exact L x L torus value.

    Returns dict(value, error, exact, z, tau, detail); |z| < 4 is expected.
    """
    e, _ = CheckerboardIsing(L, T, algorithm=algorithm, seed=seed).run(sweeps, burn_in=burn_in)
    val, err, tau = mcstats.mean_with_error(e)
    ref = float(exact.kaufman(L, T)["energy"])
    z = _z(val, err, ref)
    return {"value": val, "error": err, "exact": ref, "z": z, "tau": tau,
            "detail": f"{val:.5f} +- {err:.5f} vs {ref:.5f} (z = {z:+.2f}, tau_int = {tau:.1f})"}


def small_test_graph(n=10, m=20, seed=3):
    """A connected-ish random graph with weights in [0.2, 1.5] and one antiferromagnetic bond."""
    import networkx as nx
    G = nx.gnm_random_graph(n, m, seed=seed)
    rng = np.random.default_rng(seed)
    for k, (u, v) in enumerate(G.edges):
        G[u][v]["weight"] = -0.5 if k == 0 else float(rng.uniform(0.2, 1.5))
    return G


def check_graph(*, algorithm="metropolis", T=2.0, h=0.1, sweeps=12000, burn_in=500, seed=12):
    """<e> and <m> of :class:`GraphColourIsing` on :func:`small_test_graph` against enumeration.

    Returns dict(value, error, exact, z (list: energy, magnetisation), detail).
    """
    G = small_test_graph()
    e, m = GraphColourIsing(G, T, h=h, algorithm=algorithm, seed=seed).run(sweeps,
                                                                           burn_in=burn_in)
    ex = exact.enumerate_graph(G, T, h=h)
    ve, ee, _ = mcstats.mean_with_error(e)
    vm, em, _ = mcstats.mean_with_error(m)
    ze, zm = _z(ve, ee, ex["energy"]), _z(vm, em, ex["magnetization"])
    return {"value": [ve, vm], "error": [ee, em], "exact": [ex["energy"], ex["magnetization"]],
            "z": [ze, zm],
            "detail": f"<e> {ve:.4f} +- {ee:.4f} vs {ex['energy']:.4f} (z = {ze:+.2f}); "
                      f"<m> {vm:.4f} +- {em:.4f} vs {ex['magnetization']:.4f} (z = {zm:+.2f})"}


def check_wolff(*, L=16, T=None, steps=3000, burn_in=100, seed=13):
    """Mean energy of :func:`wolff_python` against Kaufman at L = 16, T = T_c by default."""
    T = exact.onsager_tc() if T is None else T
    _, e, _, _ = wolff_python(L, T, burn_in + steps, seed=seed)
    val, err, tau = mcstats.mean_with_error(e[burn_in:])
    ref = float(exact.kaufman(L, T)["energy"])
    z = _z(val, err, ref)
    return {"value": val, "error": err, "exact": ref, "z": z, "tau": tau,
            "detail": f"{val:.5f} +- {err:.5f} vs {ref:.5f} (z = {z:+.2f}, tau_int = {tau:.1f} "
                      f"steps)"}
