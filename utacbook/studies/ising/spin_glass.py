"""Spin glasses and frustration: the ±J model on the periodic square lattice.

Study module of the chapter "Spin glasses and frustration" (book/ising/04_spin_glass).

Model
-----
Spins :math:`s_i = \\pm 1` on the periodic :math:`L \\times L` lattice
(:math:`N = L^2`, :math:`2N` bonds), with

.. math:: H = -\\sum_{\\langle ij \\rangle} J_{ij} s_i s_j ,
          \\qquad J_{ij} = \\pm 1 ,

each bond counted once.  In the ±J model every bond is antiferromagnetic
(:math:`J_{ij} = -1`) with probability ``p`` and ferromagnetic otherwise,
independently; ``p = 1/2`` is the symmetric spin glass of Edwards & Anderson.

Couplings are stored as two ``(L, L)`` arrays: ``Jh[i, j]`` couples site
``(i, j)`` to its right neighbour ``(i, j+1)`` and ``Jv[i, j]`` couples it to
the site below, ``(i+1, j)`` (indices mod L).  Site ``(i, j)`` is node
``i * L + j`` of the graph handed to :func:`utacbook.models.simulate_graph`.
A leading batch axis (``(C, L, L)``) stacks C independent copies (disorder
samples, replicas, temperatures) into one disconnected graph that is
simulated in one engine call: copy ``c`` may carry its own coupling scale,
which is how one call simulates several temperatures at once
(:math:`J_{ij}/T_c` at call temperature 1 is temperature :math:`T_c`).

Frustration
-----------
The plaquette with upper-left corner ``(i, j)`` is *frustrated* when the
product of its four couplings is -1: then no assignment of the four spins
satisfies all four bonds (an odd number of them is always unsatisfied).
Every bond belongs to exactly two plaquettes, so with :math:`N_f` frustrated
plaquettes at least :math:`N_f/2` bonds are unsatisfied in any
configuration, and since :math:`E = -2N + 2 N_{\\rm unsat}` for
:math:`|J_{ij}| = 1`,

.. math:: e_0 = E_0/N \\ge -2 + f, \\qquad f = N_f/N .

Gauge symmetry: for any :math:`\\tau_i = \\pm 1` the map
:math:`J_{ij} \\to \\tau_i J_{ij} \\tau_j`, :math:`s_i \\to \\tau_i s_i`
leaves every energy and every plaquette product unchanged.  The pure
antiferromagnet on the (bipartite) square lattice is the ferromagnet in the
gauge :math:`\\tau_i = (-1)^{i+j}`: it is not frustrated.
"""

from __future__ import annotations

import numba
import numpy as np

from utacbook import _validate as v

__all__ = ["pm_j_couplings", "lattice_adjacency", "frustrated_plaquettes",
           "frustration_fraction", "energy_per_spin", "unsatisfied_fraction",
           "ground_state_bound", "gauge_transform", "checkerboard_gauge",
           "enumerate_ground_state", "open_lattice", "sample_couplings", "ground_state_open",
           "matching_unsat_unpruned",
           "ground_state_study", "open_energies", "extrapolate_ground_state", "anneal",
           "annealing_study", "annealing_studies", "load_annealing_studies",
           "spot_check_annealing_studies", "temperature_chain", "overlap_study", "overlap_histogram",
           "overlap_weight", "overlap_size_excess", "mattis_couplings", "claims",
           "triangular_antiferromagnet",
           "plot_sample", "explore_spin_glass", "HARTMANN_YOUNG_E0"]

#: ground-state energy per spin of the 2D ±J model, L -> infinity
#: (Hartmann & Young 2001, Phys. Rev. B 64, 180404): value, error
HARTMANN_YOUNG_E0 = (-1.4015, 0.0003)


# --------------------------------------------------------------------------
# couplings, graph, energies
# --------------------------------------------------------------------------

def _rng(seed):
    if isinstance(seed, np.random.Generator):
        return seed
    if seed is not None:
        v.integer("seed", seed, low=0)
    return np.random.default_rng(seed)


def pm_j_couplings(L, *, p=0.5, n_copies=None, seed=None):
    """Random ±J couplings on the periodic L×L lattice.

    Parameters
    ----------
    L : int, 3 <= L <= 4096
        Linear size (L >= 3 so that no two bonds join the same pair of sites).
    p : float in [0, 1], default 0.5
        Probability that a bond is antiferromagnetic (J_ij = -1); p = 0 is the
        ferromagnet, p = 1 the pure antiferromagnet.
    n_copies : int >= 1 or None
        None: one sample, arrays of shape (L, L); else a stack of independent
        samples, shape (n_copies, L, L).
    seed : int >= 0, numpy Generator or None

    Returns
    -------
    Jh, Jv : ndarray of float, values +-1
        Horizontal (right) and vertical (down) bonds of every site.
    """
    L = v.integer("L", L, low=3, high=4096)
    p = v.real("p", p, low=0.0, high=1.0)
    shape = (L, L) if n_copies is None else (v.integer("n_copies", n_copies, low=1), L, L)
    rng = _rng(seed)
    Jh = np.where(rng.random(shape) < p, -1.0, 1.0)
    Jv = np.where(rng.random(shape) < p, -1.0, 1.0)
    return Jh, Jv


def _check_couplings(Jh, Jv):
    Jh = np.asarray(Jh, dtype=float)
    Jv = np.asarray(Jv, dtype=float)
    if Jh.shape != Jv.shape or Jh.ndim < 2 or Jh.shape[-1] != Jh.shape[-2]:
        raise ValueError(f"Jh and Jv must have the same shape (..., L, L), got "
                         f"{Jh.shape} and {Jv.shape}")
    if Jh.shape[-1] < 3:
        raise ValueError(f"Jh, Jv: L must be >= 3, got {Jh.shape[-1]}")
    if not (np.all(np.isfinite(Jh)) and np.all(np.isfinite(Jv))):
        raise ValueError("Jh and Jv must be finite")
    return Jh, Jv


def lattice_adjacency(Jh, Jv, *, scale=None):
    """Sparse symmetric coupling matrix of one lattice or of a stack of copies.

    Parameters
    ----------
    Jh, Jv : array (L, L) or (C, L, L)
        Couplings (see the module docstring).
    scale : array of shape (C,) or None
        Factor multiplying all couplings of copy c (e.g. ``1/T_c`` to
        simulate copy c at temperature T_c in an engine call at T = 1).

    Returns
    -------
    scipy.sparse.csr_array, shape (C L², C L²)
        Block-diagonal; copy c, site (i, j) is node ``c L² + i L + j``.
    """
    import scipy.sparse as sp
    Jh, Jv = _check_couplings(Jh, Jv)
    if Jh.ndim == 2:
        Jh, Jv = Jh[None], Jv[None]
    if Jh.ndim != 3:
        raise ValueError(f"Jh, Jv must have shape (L, L) or (C, L, L), got {Jh.shape}")
    C, L, _ = Jh.shape
    if scale is not None:
        scale = v.real_array("scale", scale, ndim=1)
        if scale.shape[0] != C:
            raise ValueError(f"scale must have one entry per copy ({C}), got {scale.shape[0]}")
        Jh = Jh * scale[:, None, None]
        Jv = Jv * scale[:, None, None]
    idx = np.arange(C * L * L).reshape(C, L, L)
    right = np.roll(idx, -1, axis=2)
    down = np.roll(idx, -1, axis=1)
    r = np.concatenate([idx.ravel(), idx.ravel()])
    c = np.concatenate([right.ravel(), down.ravel()])
    w = np.concatenate([Jh.ravel(), Jv.ravel()])
    n = C * L * L
    A = sp.coo_array((np.concatenate([w, w]), (np.concatenate([r, c]), np.concatenate([c, r]))),
                     shape=(n, n)).tocsr()
    A.sort_indices()
    return A


def frustrated_plaquettes(Jh, Jv):
    """Boolean map of frustrated plaquettes (product of the four couplings < 0).

    Plaquette ``(i, j)`` has corners (i, j), (i, j+1), (i+1, j), (i+1, j+1)
    and bonds ``Jh[i, j]``, ``Jv[i, j+1]``, ``Jh[i+1, j]``, ``Jv[i, j]``.
    Works on (L, L) or (C, L, L) stacks.
    """
    Jh, Jv = _check_couplings(Jh, Jv)
    prod = Jh * np.roll(Jv, -1, axis=-1) * np.roll(Jh, -1, axis=-2) * Jv
    return prod < 0


def frustration_fraction(Jh, Jv):
    """Fraction f = N_f / N of frustrated plaquettes (per copy for a stack)."""
    fr = frustrated_plaquettes(Jh, Jv)
    return fr.mean(axis=(-2, -1))


def _check_spins(spins, Jh):
    s = np.asarray(spins)
    if s.shape[-2:] != Jh.shape[-2:]:
        raise ValueError(f"spins must have shape (..., L, L) matching the couplings "
                         f"{Jh.shape[-2:]}, got {s.shape}")
    if not np.all(np.isin(s, (-1, 1))):
        raise ValueError("spins must be +-1")
    return s.astype(np.int64)


def energy_per_spin(spins, Jh, Jv):
    """e = -(1/N) Σ_<ij> J_ij s_i s_j for spins of shape (..., L, L) (broadcast over copies)."""
    Jh, Jv = _check_couplings(Jh, Jv)
    s = _check_spins(spins, Jh)
    bonds = Jh * s * np.roll(s, -1, axis=-1) + Jv * s * np.roll(s, -1, axis=-2)
    return -bonds.sum(axis=(-2, -1)) / (s.shape[-1] * s.shape[-2])


def unsatisfied_fraction(spins, Jh, Jv):
    """Fraction of the bonds with J_ij s_i s_j < 0 (per copy).

    The denominator counts the nonzero bonds: 2N on the torus, 2L(L-1) on
    the open lattice (:func:`open_lattice`).
    """
    Jh, Jv = _check_couplings(Jh, Jv)
    s = _check_spins(spins, Jh)
    bad = ((Jh * s * np.roll(s, -1, axis=-1) < 0).sum(axis=(-2, -1))
           + (Jv * s * np.roll(s, -1, axis=-2) < 0).sum(axis=(-2, -1)))
    n_bonds = (Jh != 0).sum(axis=(-2, -1)) + (Jv != 0).sum(axis=(-2, -1))
    return bad / n_bonds


def ground_state_bound(Jh, Jv):
    """Lower bound on the ground-state energy per spin from frustration (``|J_ij| = 1``).

    Each frustrated plaquette contains an odd number (>= 1) of unsatisfied
    bonds in any configuration and each bond lies on at most two plaquettes,
    so N_unsat >= N_f / 2 and E = -N_b + 2 N_unsat >= -N_b + N_f.  On the
    torus (N_b = 2N) this is e_0 >= -2 + f; on the open lattice
    (:func:`open_lattice`, N_b = 2L(L-1)) it is e_0 >= (-N_b + N_f)/N.
    """
    Jh, Jv = _check_couplings(Jh, Jv)
    if _is_open(Jh, Jv):
        ok = np.all(np.abs(Jh[..., :, :-1]) == 1) and np.all(np.abs(Jv[..., :-1, :]) == 1)
    else:
        ok = np.all(np.abs(Jh) == 1) and np.all(np.abs(Jv) == 1)
    if not ok:
        raise ValueError("ground_state_bound needs couplings of modulus 1 (±J model) on every "
                         "bond of the torus or of the open lattice")
    N = Jh.shape[-1] * Jh.shape[-2]
    n_bonds = (Jh != 0).sum(axis=(-2, -1)) + (Jv != 0).sum(axis=(-2, -1))
    n_f = frustrated_plaquettes(Jh, Jv).sum(axis=(-2, -1))
    return (-n_bonds + n_f) / N


def gauge_transform(Jh, Jv, spins, tau):
    """Apply the gauge τ: J_ij -> τ_i J_ij τ_j, s_i -> τ_i s_i.

    Returns
    -------
    Jh', Jv', spins' : arrays of the input shapes
        Energies, unsatisfied-bond counts and frustrated plaquettes are unchanged.
    """
    Jh, Jv = _check_couplings(Jh, Jv)
    t = _check_spins(tau, Jh)
    s = _check_spins(spins, Jh)
    return (Jh * t * np.roll(t, -1, axis=-1), Jv * t * np.roll(t, -1, axis=-2), s * t)


def checkerboard_gauge(L):
    """τ_ij = (-1)^(i+j) (L even): maps the antiferromagnet onto the ferromagnet."""
    L = v.integer("L", L, low=4)
    if L % 2:
        raise ValueError(f"L must be even for the checkerboard gauge (bipartite torus), got {L}")
    i, j = np.indices((L, L))
    return np.where((i + j) % 2 == 0, 1, -1)


def enumerate_ground_state(Jh, Jv):
    """Exact ground-state energy per spin by enumerating all 2^N states (N <= 20).

    Returns
    -------
    e0 : float
    n_ground : int
        Number of ground states (including the global flip partner).
    """
    Jh, Jv = _check_couplings(Jh, Jv)
    if Jh.ndim != 2:
        raise ValueError("enumerate_ground_state takes one sample, shape (L, L)")
    L = Jh.shape[0]
    N = L * L
    if N > 20:
        raise ValueError(f"enumerate_ground_state: N = L^2 must be <= 20, got {N}")
    codes = np.arange(2 ** N, dtype=np.int64)
    s = (1 - 2 * ((codes[:, None] >> np.arange(N)) & 1)).reshape(-1, L, L)
    e = energy_per_spin(s, Jh, Jv)
    e0 = e.min()
    return float(e0), int(np.sum(np.isclose(e, e0)))


# --------------------------------------------------------------------------
# exact ground states of the open (planar) lattice by matching
# --------------------------------------------------------------------------

def open_lattice(Jh, Jv):
    """Copies of the couplings with the wrap-around bonds removed (free boundaries).

    ``Jh[..., :, L-1]`` (site (i, L-1) to (i, 0)) and ``Jv[..., L-1, :]``
    (site (L-1, j) to (0, j)) are set to 0: the open L×L lattice has
    2L(L-1) bonds and is planar.  Every other function of this module
    accepts such couplings (a zero bond is never satisfied or unsatisfied);
    energies stay per spin, E/L².
    """
    Jh, Jv = _check_couplings(Jh, Jv)
    Jh = Jh.copy()
    Jv = Jv.copy()
    Jh[..., :, -1] = 0.0
    Jv[..., -1, :] = 0.0
    return Jh, Jv


def sample_couplings(L, *, p=0.5, seed=0, index=0, boundary="open"):
    """Couplings of disorder sample ``index`` of a numbered family.

    Sample ``index`` of size L draws its bonds from the stream
    ``SeedSequence(seed, spawn_key=(L, index))``, so any one sample can be
    regenerated on its own (a stored study can be spot-checked sample by
    sample).

    Returns
    -------
    Jh, Jv : ndarray (L, L)
        ±J bonds (wrap-around bonds 0 if ``boundary="open"``).
    """
    L = v.integer("L", L, low=3, high=4096)
    index = v.integer("index", index, low=0)
    v.choice("boundary", boundary, {"open", "periodic"})
    ss = np.random.SeedSequence(v.integer("seed", seed, low=0), spawn_key=(L, index))
    Jh, Jv = pm_j_couplings(L, p=p, seed=np.random.default_rng(ss))
    return open_lattice(Jh, Jv) if boundary == "open" else (Jh, Jv)


def _is_open(Jh, Jv):
    return bool(np.all(Jh[..., :, -1] == 0) and np.all(Jv[..., -1, :] == 0))


@numba.njit(cache=True)
def _open_pairs(T, fi, fj, b):
    """Pairs (a, c, saving) of frustrated plaquettes of the open lattice worth matching."""
    # For each frustrated plaquette a, scan the four quadrants around it
    # for frustrated plaquettes c that a monotone (hence shortest) dual
    # path reaches without passing through another frustrated plaquette.
    P = T.shape[0]
    n = fi.size
    cap = 64 * max(n, 1)
    out = np.empty((cap, 3), dtype=np.int64)
    m = 0
    reach = np.zeros((P, P), dtype=np.bool_)
    for a in range(n):
        ia = fi[a]
        ja = fj[a]
        for si in (-1, 1):
            for sj in (-1, 1):
                X = ia + 1 if si < 0 else P - ia
                Y = ja + 1 if sj < 0 else P - ja
                for x in range(X):
                    for y in range(Y):
                        i = ia + si * x
                        j = ja + sj * y
                        if x == 0 and y == 0:
                            reach[i, j] = True
                            continue
                        r = False
                        if x > 0:
                            pi = i - si
                            if reach[pi, j] and (T[pi, j] < 0 or (x == 1 and y == 0)):
                                r = True
                        if not r and y > 0:
                            pj = j - sj
                            if reach[i, pj] and (T[i, pj] < 0 or (x == 0 and y == 1)):
                                r = True
                        reach[i, j] = r
                        c = T[i, j]
                        # a pair on a shared row or column is met in two quadrants:
                        # keep it once (from the quadrant with sj = +1, or si = +1)
                        if r and c > a and not (y == 0 and sj < 0) and not (x == 0 and si < 0):
                            gain = b[a] + b[c] - (x + y)
                            if gain > 0:
                                if m == cap:
                                    new = np.empty((2 * cap, 3), dtype=np.int64)
                                    new[:m] = out[:m]
                                    out = new
                                    cap *= 2
                                out[m, 0] = a
                                out[m, 1] = c
                                out[m, 2] = gain
                                m += 1
                for x in range(X):
                    for y in range(Y):
                        reach[ia + si * x, ja + sj * y] = False
    return out[:m]



def ground_state_open(Jh, Jv):
    """Exact ground state of the ±J model on the open L×L lattice, by matching.

    The unsatisfied bonds of any configuration, drawn as dual segments,
    form strings that end on the frustrated plaquettes or on the outer
    boundary; conversely any such set of strings is the set of unsatisfied
    bonds of exactly two (globally flipped) configurations, because the
    open lattice is planar.  With ``|J_ij| = 1`` the energy is
    E = -N_b + 2 N_unsat (N_b = 2L(L-1) bonds), so the ground state joins
    the frustrated plaquettes in pairs, or to the boundary, by strings of
    least total length: a minimum-weight perfect matching (Bieche et al.
    1980; Barahona 1982).  Plaquette a reaches the boundary in b_a steps and
    a partner c in ``|Δi| + |Δj|`` steps; we maximise the saving
    ``b_a + b_c - |Δi| - |Δj|`` over matchings (networkx's blossom algorithm,
    exact for integer weights).

    To keep the graph sparse, a pair (a, c) is offered to the matching only
    if some shortest (monotone) dual path from a to c meets no third
    frustrated plaquette.  The exchange behind this: if every shortest a-c
    path passes a frustrated d, matched to e (or to the boundary), then
    ``|ac| = |ad| + |dc|``, and by the triangle inequality the pairs (a, d),
    (c, e) cost no more than (a, c), (d, e).  That such exchanges always end
    in a matching made of offered pairs alone is not proved here; it is
    checked instead: the tests compare the pruned optimum with
    :func:`matching_unsat_unpruned` (the matching on the complete graph) on
    random samples and on random sets of frustrated plaquettes, and with
    complete enumeration at L = 4.  Pruning could only make the energy too
    high, never too low: the configuration is rebuilt from the strings and
    its energy recomputed from the couplings; the two must agree (checked).

    Parameters
    ----------
    Jh, Jv : array (L, L)
        Couplings ±1 with the wrap-around bonds 0 (:func:`open_lattice`).

    Returns
    -------
    dict
        ``e0`` ground-state energy per spin E_0/L², ``n_unsat`` unsatisfied
        bonds, ``n_bonds``, ``n_frustrated`` frustrated plaquettes,
        ``spins`` (L, L) int8, one of the two ground states.
    """
    import networkx as nx
    Jh, Jv = _check_couplings(Jh, Jv)
    if Jh.ndim != 2:
        raise ValueError("ground_state_open takes one sample, shape (L, L)")
    if not _is_open(Jh, Jv):
        raise ValueError("ground_state_open needs open couplings: the wrap-around bonds "
                         "Jh[:, -1] and Jv[-1, :] must be 0 (use open_lattice)")
    L = Jh.shape[0]
    inner_h, inner_v = Jh[:, :-1], Jv[:-1, :]
    if not (np.all(np.abs(inner_h) == 1) and np.all(np.abs(inner_v) == 1)):
        raise ValueError("ground_state_open needs ±1 couplings on every bond of the open lattice")
    prod = Jh[:-1, :-1] * Jv[:-1, 1:] * Jh[1:, :-1] * Jv[:-1, :-1]
    fi, fj = np.nonzero(prod < 0)
    n = fi.size
    b = np.minimum.reduce([fi + 1, fj + 1, L - 1 - fi, L - 1 - fj]).astype(np.int64)
    T = -np.ones((L - 1, L - 1), dtype=np.int64)
    T[fi, fj] = np.arange(n)
    pairs = _open_pairs(T, fi.astype(np.int64), fj.astype(np.int64), b)
    G = nx.Graph()
    G.add_nodes_from(range(n))
    G.add_weighted_edges_from((int(a), int(c), int(w)) for a, c, w in pairs)
    M = nx.max_weight_matching(G, maxcardinality=False)
    matched = np.zeros(n, dtype=bool)
    # strings: flip[h/v] marks the bonds they cross (symmetric difference)
    cross_h = np.zeros((L, L), dtype=bool)   # bond (i, j)-(i, j+1), j < L-1
    cross_v = np.zeros((L, L), dtype=bool)   # bond (i, j)-(i+1, j), i < L-1
    length = 0
    for a, c in M:
        matched[a] = matched[c] = True
        i0, j0, i1, j1 = fi[a], fj[a], fi[c], fj[c]
        # vertical leg in column j0 from row i0 to i1 (crosses horizontal bonds Jh[k, j0])
        lo, hi = min(i0, i1), max(i0, i1)
        cross_h[lo + 1:hi + 1, j0] ^= True
        # horizontal leg in row i1 from column j0 to j1 (crosses vertical bonds Jv[i1, k])
        lo, hi = min(j0, j1), max(j0, j1)
        cross_v[i1, lo + 1:hi + 1] ^= True
        length += abs(i0 - i1) + abs(j0 - j1)
    for a in np.nonzero(~matched)[0]:
        i, j = fi[a], fj[a]
        k = int(np.argmin([i + 1, j + 1, L - 1 - i, L - 1 - j]))
        if k == 0:
            cross_h[:i + 1, j] ^= True
        elif k == 1:
            cross_v[i, :j + 1] ^= True
        elif k == 2:
            cross_h[i + 1:, j] ^= True
        else:
            cross_v[i, j + 1:] ^= True
        length += b[a]
    cross_h[:, -1] = False
    cross_v[-1, :] = False
    # spins: bond satisfied unless crossed by a string
    s = np.empty((L, L), dtype=np.int64)
    s[0, 0] = 1
    sign_h = Jh * np.where(cross_h, -1, 1)
    sign_v = Jv * np.where(cross_v, -1, 1)
    for i in range(L):
        if i > 0:
            s[i, 0] = s[i - 1, 0] * sign_v[i - 1, 0]
        for j in range(1, L):
            s[i, j] = s[i, j - 1] * sign_h[i, j - 1]
    n_bonds = 2 * L * (L - 1)
    n_unsat = int(cross_h.sum() + cross_v.sum())
    e0 = energy_per_spin(s, Jh, Jv)
    if n_unsat != length or not np.isclose(e0 * L * L, -n_bonds + 2 * n_unsat):
        raise RuntimeError("ground_state_open: the rebuilt configuration does not have the "
                           "matching's energy (inconsistent strings)")
    return {"e0": float(e0), "n_unsat": n_unsat, "n_bonds": n_bonds, "n_frustrated": int(n),
            "spins": s.astype(np.int8)}


def matching_unsat_unpruned(Jh, Jv):
    """Unsatisfied bonds of the open-lattice ground state from the matching on the complete graph.

    The reference for :func:`ground_state_open`: the same minimum-weight
    matching of frustrated plaquettes (pairs at Manhattan distance, or each
    plaquette to its nearest edge), with every pair offered, none pruned.
    The graph is dense, so this is slow beyond L of about 24; it returns the
    optimum's number of unsatisfied bonds only (E = -N_b + 2 n_unsat).

    Parameters
    ----------
    Jh, Jv : array (L, L)
        Couplings ±1 with the wrap-around bonds 0 (:func:`open_lattice`).

    Returns
    -------
    int
    """
    import networkx as nx
    Jh, Jv = _check_couplings(Jh, Jv)
    if Jh.ndim != 2 or not _is_open(Jh, Jv):
        raise ValueError("matching_unsat_unpruned takes one open sample (use open_lattice)")
    L = Jh.shape[0]
    prod = Jh[:-1, :-1] * Jv[:-1, 1:] * Jh[1:, :-1] * Jv[:-1, :-1]
    fi, fj = np.nonzero(prod < 0)
    b = np.minimum.reduce([fi + 1, fj + 1, L - 1 - fi, L - 1 - fj]).astype(np.int64)
    d = np.abs(fi[:, None] - fi[None, :]) + np.abs(fj[:, None] - fj[None, :])
    w = b[:, None] + b[None, :] - d
    G = nx.Graph()
    G.add_nodes_from(range(fi.size))
    a, c = np.nonzero(np.triu(w > 0, 1))
    G.add_weighted_edges_from((int(x), int(y), int(w[x, y])) for x, y in zip(a, c))
    M = nx.max_weight_matching(G, maxcardinality=False)
    return int(b.sum() - sum(int(w[x, y]) for x, y in M))


def ground_state_study(sizes=(8, 12, 16, 24, 32, 48, 64),
                       n_samples=(2000, 2000, 1000, 600, 400, 120, 60), *, p=0.5, seed=0):
    """Exact ground-state energies of many open ±J samples per size (for a stored result).

    Sample ``k`` of size L is :func:`sample_couplings` ``(L, p=p, seed=seed,
    index=k)`` and is solved exactly by :func:`ground_state_open`.

    Returns
    -------
    dict
        ``sizes``, ``n_samples``, ``p``; per size the lists ``n_unsat``
        (unsatisfied bonds of the ground state of every sample; the energy
        per spin is (2 n_unsat - 2L(L-1))/L²) and ``n_frustrated``, and the
        disorder averages ``e0_mean``, ``e0_err`` (s.e.m. over samples).
    """
    sizes = [v.integer("L", L, low=3) for L in sizes]
    n_samples = [v.integer("n_samples", n, low=2) for n in n_samples]
    if len(n_samples) != len(sizes):
        raise ValueError("n_samples needs one entry per size")
    out = {"sizes": sizes, "n_samples": n_samples, "p": float(p), "n_unsat": [],
           "n_frustrated": [], "e0_mean": [], "e0_err": []}
    for L, n in zip(sizes, n_samples):
        nu, nf = [], []
        for k in range(n):
            r = ground_state_open(*sample_couplings(L, p=p, seed=seed, index=k))
            nu.append(r["n_unsat"])
            nf.append(r["n_frustrated"])
        e = (2.0 * np.array(nu) - 2 * L * (L - 1)) / (L * L)
        out["n_unsat"].append(nu)
        out["n_frustrated"].append(nf)
        out["e0_mean"].append(float(e.mean()))
        out["e0_err"].append(float(e.std(ddof=1) / np.sqrt(n)))
    return out


def open_energies(L, n_unsat):
    """Energy per spin (2 n_unsat - 2L(L-1))/L² of open L×L ±J states with n_unsat unsatisfied bonds."""
    L = v.integer("L", L, low=2)
    return (2.0 * np.asarray(n_unsat, dtype=float) - 2 * L * (L - 1)) / (L * L)


def extrapolate_ground_state(sizes, e_mean, e_err, *, L_min=None):
    """Bulk ground-state energy from open lattices: weighted fit of e(L) = e_inf + a/L + b/L².

    On the open lattice the energy per spin has an edge term ∝ 1/L and a
    corner term ∝ 1/L² besides the bulk value (the form used by Campbell,
    Hartmann & Katzgraber 2004 for free boundaries).

    Parameters
    ----------
    sizes, e_mean, e_err : 1-D arrays
        Disorder-averaged energy per spin and its standard error per size.
    L_min : int, optional
        Fit only sizes >= L_min (at least 4 sizes).

    Returns
    -------
    dict
        ``e_inf``, ``e_inf_err`` (from the fit covariance, not scaled by χ²),
        ``a``, ``b``, ``chi2``, ``dof``, ``sizes`` used.
    """
    L = v.real_array("sizes", sizes, ndim=1)
    y = v.real_array("e_mean", e_mean, ndim=1)
    s = v.real_array("e_err", e_err, ndim=1)
    if not (L.size == y.size == s.size):
        raise ValueError("sizes, e_mean and e_err must have the same length")
    keep = L >= (L_min if L_min is not None else 0)
    L, y, s = L[keep], y[keep], s[keep]
    if L.size < 4:
        raise ValueError(f"need at least 4 sizes to fit 3 parameters with a check, got {L.size}")
    if np.any(s <= 0):
        raise ValueError("e_err must be > 0")
    X = np.stack([np.ones_like(L), 1.0 / L, 1.0 / L ** 2], axis=1)
    W = 1.0 / s
    coef, *_ = np.linalg.lstsq(X * W[:, None], y * W, rcond=None)
    cov = np.linalg.inv((X * W[:, None] ** 2).T @ X)
    chi2 = float(np.sum(((X @ coef - y) * W) ** 2))
    return {"e_inf": float(coef[0]), "e_inf_err": float(np.sqrt(cov[0, 0])), "a": float(coef[1]),
            "b": float(coef[2]), "chi2": chi2, "dof": int(L.size - 3), "sizes": L.astype(int).tolist()}


# --------------------------------------------------------------------------
# annealing
# --------------------------------------------------------------------------

def _graph(Jh, Jv, scale):
    from utacbook.models._ising import prepare_graph
    return prepare_graph(lattice_adjacency(Jh, Jv, scale=scale), weight=None)


def temperature_chain(Jh, Jv, temps, *, sweeps_per_temp=100, n_snapshots=1, init="random",
                      algorithm="metropolis", seed=None):
    """Run all copies of a coupling stack through a chain of temperatures.

    One engine call (:func:`utacbook.models.simulate_graph`) simulates all
    copies at once; each temperature starts from the previous temperature's
    final spins (an annealing schedule when ``temps`` decreases).  At each
    temperature the ``sweeps_per_temp`` sweeps are cut into ``n_snapshots``
    equal parts and the energy per spin and fraction of unsatisfied bonds of
    every copy are measured after each part.

    Parameters
    ----------
    Jh, Jv : array (C, L, L)
        Couplings of the C copies.
    temps : 1-D array of float > 0
        Temperatures in order (units of ``|J|``, k_B = 1).
    sweeps_per_temp : int >= 1
    n_snapshots : int, 1 <= n_snapshots <= sweeps_per_temp
    init : "random" or array (C, L, L) of +-1
    algorithm : {"metropolis", "heatbath"}
    seed : int >= 0 or None

    Returns
    -------
    dict
        ``energy`` and ``unsat`` of shape (n_T, n_snapshots, C), ``spins``
        (C, L, L) final, ``temps``.
    """
    from utacbook.models._ising import simulate_graph
    Jh, Jv = _check_couplings(Jh, Jv)
    if Jh.ndim == 2:
        Jh, Jv = Jh[None], Jv[None]
    if Jh.ndim != 3:
        raise ValueError(f"Jh, Jv must have shape (L, L) or (C, L, L), got {Jh.shape}")
    temps = v.real_array("temps", temps, ndim=1, min_len=1)
    if np.any(temps <= 0):
        raise ValueError("temps must all be > 0")
    sweeps_per_temp = v.integer("sweeps_per_temp", sweeps_per_temp, low=1)
    n_snapshots = v.integer("n_snapshots", n_snapshots, low=1, high=sweeps_per_temp)
    C, L, _ = Jh.shape
    g = _graph(Jh, Jv, None)
    rng = _rng(seed)
    if isinstance(init, str):
        v.choice("init", init, {"random"})
        s = np.where(rng.random(C * L * L) < 0.5, 1, -1).astype(np.int8)
    else:
        s = _check_spins(init, Jh).reshape(-1).astype(np.int8)
        if s.size != C * L * L:
            raise ValueError(f"init must have shape ({C}, {L}, {L})")
    per = sweeps_per_temp // n_snapshots
    E = np.empty((temps.size, n_snapshots, C))
    U = np.empty_like(E)
    for k, T in enumerate(temps):
        for n in range(n_snapshots):
            sw = per if n < n_snapshots - 1 else sweeps_per_temp - per * (n_snapshots - 1)
            r = simulate_graph(g, float(T), sweeps=sw, burn_in=0, algorithm=algorithm, init=s,
                               seed=int(rng.integers(2 ** 62)))
            s = r.spins
            sl = s.reshape(C, L, L)
            E[k, n] = energy_per_spin(sl, Jh, Jv)
            U[k, n] = unsatisfied_fraction(sl, Jh, Jv)
    return {"energy": E, "unsat": U, "spins": s.reshape(C, L, L).copy(), "temps": temps}


def anneal(Jh, Jv, *, T_start=3.0, T_end=0.1, n_temps=30, total_sweeps=3000, T_quench=0.02,
           quench_sweeps=50, seed=None):
    """Simulated annealing (Kirkpatrick et al. 1983) of every copy of a coupling stack.

    A geometric schedule of ``n_temps`` temperatures from ``T_start`` down to
    ``T_end`` shares ``total_sweeps`` Metropolis sweeps equally; a final
    ``quench_sweeps`` at ``T_quench`` removes the last thermal excitations.

    Returns
    -------
    e : ndarray, shape (C,)
        Final energy per spin of each copy (an upper bound on its ground-state energy).
    spins : ndarray (C, L, L)
    """
    T_start = v.real("T_start", T_start, positive=True)
    T_end = v.real("T_end", T_end, positive=True)
    if not T_end < T_start:
        raise ValueError(f"T_end must be < T_start, got T_end={T_end}, T_start={T_start}")
    n_temps = v.integer("n_temps", n_temps, low=2)
    total_sweeps = v.integer("total_sweeps", total_sweeps, low=n_temps)
    T_quench = v.real("T_quench", T_quench, positive=True)
    quench_sweeps = v.integer("quench_sweeps", quench_sweeps, low=1)
    temps = np.geomspace(T_start, T_end, n_temps)
    rng = _rng(seed)
    r = temperature_chain(Jh, Jv, temps, sweeps_per_temp=total_sweeps // n_temps, seed=rng)
    r = temperature_chain(Jh, Jv, [T_quench], sweeps_per_temp=quench_sweeps, init=r["spins"],
                          seed=rng)
    return r["energy"][-1, -1], r["spins"]


def annealing_study(sizes=(8, 16, 32), *, total_sweeps=(300, 3000), n_samples=6,
                    n_restarts=3, p=0.5, boundary="periodic", seed=0):
    """Ground-state energy per spin of the ±J model by annealing, per size and speed.

    For each size, ``n_samples`` disorder samples are annealed ``n_restarts``
    times each (independent Monte Carlo seeds) with the schedule of
    :func:`anneal`; a sample's estimate is its lowest final energy over
    restarts (an upper bound on its ground state).  All samples and restarts
    of one size run as copies in one graph.  With ``boundary="open"`` the
    samples are open lattices (:func:`open_lattice`) and every sample's exact
    ground state is computed as well (:func:`ground_state_open`).

    ``total_sweeps`` is one sequence for all sizes, or a dict ``{L: sequence}``.

    Returns
    -------
    list of dict
        One per (size, total_sweeps) with ``L``, ``total_sweeps``,
        ``n_samples``, ``n_restarts``, ``e_samples`` (n_samples,), ``e_mean``,
        ``e_err`` (s.e.m. over samples), ``bound_samples`` (frustration bound
        per sample), ``bound_mean``, ``bound_err``, ``f_mean``, ``f_err``,
        ``frac_restarts_at_best`` (fraction of restarts that reached the
        sample's best energy).  Open lattices add ``e0_samples`` (exact),
        ``excess_samples`` (best annealed minus exact, per sample),
        ``n_at_ground`` (samples whose best restart reached the exact
        ground-state energy) and ``min_excess``.
    """
    n_samples = v.integer("n_samples", n_samples, low=2)
    n_restarts = v.integer("n_restarts", n_restarts, low=1)
    v.choice("boundary", boundary, {"periodic", "open"})
    ss = np.random.SeedSequence(v.integer("seed", seed, low=0))
    out = []
    for L, child in zip(sizes, ss.spawn(len(sizes))):
        sweeps_L = total_sweeps[L] if isinstance(total_sweeps, dict) else total_sweeps
        dis_seq, mc_seq = child.spawn(2)
        Jh, Jv = pm_j_couplings(L, p=p, n_copies=n_samples, seed=np.random.default_rng(dis_seq))
        if boundary == "open":
            Jh, Jv = open_lattice(Jh, Jv)
            e0 = np.array([ground_state_open(Jh[k], Jv[k])["e0"] for k in range(n_samples)])
        Jh_all = np.repeat(Jh, n_restarts, axis=0)
        Jv_all = np.repeat(Jv, n_restarts, axis=0)
        bound = ground_state_bound(Jh, Jv)
        f = frustration_fraction(Jh, Jv)
        for ts, sub in zip(sweeps_L, mc_seq.spawn(len(sweeps_L))):
            e, _ = anneal(Jh_all, Jv_all, total_sweeps=int(ts), seed=np.random.default_rng(sub))
            e = e.reshape(n_samples, n_restarts)
            best = e.min(axis=1)
            row = {
                "L": int(L), "total_sweeps": int(ts), "n_samples": n_samples,
                "n_restarts": n_restarts, "boundary": boundary, "e_samples": best,
                "e_mean": float(best.mean()),
                "e_err": float(best.std(ddof=1) / np.sqrt(n_samples)),
                "bound_samples": bound, "bound_mean": float(bound.mean()),
                "bound_err": float(bound.std(ddof=1) / np.sqrt(n_samples)),
                "f_mean": float(f.mean()), "f_err": float(f.std(ddof=1) / np.sqrt(n_samples)),
                "frac_restarts_at_best": float(np.mean(np.isclose(e, best[:, None]))),
            }
            if boundary == "open":
                exc = best - e0
                row.update({"e0_samples": e0, "e0_mean": float(e0.mean()),
                            "e0_err": float(e0.std(ddof=1) / np.sqrt(n_samples)),
                            "excess_samples": exc,
                            "n_at_ground": int(np.sum(np.isclose(exc, 0.0, atol=1e-9))),
                            "min_excess": float(exc.min())})
            out.append(row)
    return out


#: the keys of an :func:`annealing_study` row that hold one value per sample (arrays)
_ANNEAL_ARRAYS = ("e_samples", "bound_samples", "e0_samples", "excess_samples")


def annealing_studies(*, sizes=(8, 16), sizes_large=(32,), total_sweeps=(300, 3000), n_samples=8,
                      n_samples_large=6, n_restarts=3, n_restarts_large=2, p=0.5, boundary="open",
                      seed=31, seed_large=32):
    """The chapter's two :func:`annealing_study` calls, for a stored result.

    ``annealing_study(sizes, seed=seed, n_samples, n_restarts)`` followed by
    ``annealing_study(sizes_large, seed=seed_large, n_samples_large,
    n_restarts_large)``, with the same ``total_sweeps``, ``p`` and
    ``boundary``; the rows are concatenated.  :func:`load_annealing_studies`
    turns the stored rows back into what the two calls return.

    Returns
    -------
    dict
        ``rows``: the list of rows (see :func:`annealing_study`).
    """
    rows = annealing_study(sizes=tuple(sizes), total_sweeps=tuple(total_sweeps), n_samples=n_samples,
                           n_restarts=n_restarts, p=p, boundary=boundary, seed=seed)
    rows += annealing_study(sizes=tuple(sizes_large), total_sweeps=tuple(total_sweeps),
                            n_samples=n_samples_large, n_restarts=n_restarts_large, p=p,
                            boundary=boundary, seed=seed_large)
    return {"rows": rows}


def load_annealing_studies(rec):
    """The rows of a stored :func:`annealing_studies` result, as :func:`annealing_study` returns them.

    The per-sample entries become float arrays again; JSON keeps every float
    exactly, so the rows equal those of the direct calls.

    Parameters
    ----------
    rec : utacbook.stored.StoredResult or dict with ``rows``

    Returns
    -------
    list of dict
    """
    return [{k: (np.asarray(x, dtype=float) if k in _ANNEAL_ARRAYS else x) for k, x in r.items()}
            for r in rec["rows"]]


def spot_check_annealing_studies(rows, params):
    """Re-run the first size of a stored :func:`annealing_studies` and compare, bit for bit.

    :func:`annealing_study` gives size number k the k-th child of its seed, so
    a call with the first size alone reproduces that size's rows exactly.

    Parameters
    ----------
    rows : list of dict
        From :func:`load_annealing_studies`.
    params : dict
        The stored call's parameters (``rec.provenance["params"]``).

    Returns
    -------
    dict
        ``L`` (the size re-run), ``n_rows`` (rows compared), ``identical`` (bool).
    """
    L0 = params["sizes"][0]
    again = annealing_study(sizes=(L0,), total_sweeps=tuple(params["total_sweeps"]),
                            n_samples=params["n_samples"], n_restarts=params["n_restarts"],
                            p=params["p"], boundary=params["boundary"], seed=params["seed"])
    mine = [r for r in rows if r["L"] == L0][:len(again)]

    def same(a, b):
        if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
            return np.array_equal(np.asarray(a), np.asarray(b))
        return a == b
    ok = len(mine) == len(again) and all(
        r.keys() == q.keys() and all(same(r[k], q[k]) for k in r) for r, q in zip(mine, again))
    return {"L": int(L0), "n_rows": len(again), "identical": bool(ok)}


# --------------------------------------------------------------------------
# replica overlap with parallel tempering
# --------------------------------------------------------------------------

def overlap_study(L, temps, *, p=0.5, n_samples=8, rounds=1500, burn_in_rounds=300,
                  sweeps_per_round=2, seed=0):
    """Replica overlaps q = (1/N) Σ s_i^a s_i^b with parallel tempering.

    For each of ``n_samples`` disorder samples, two independent replicas
    (a, b) are simulated at every temperature of ``temps``; all
    ``n_samples × 2 × n_T`` copies form one disconnected graph, copy at
    temperature T_k carrying couplings J_ij / T_k in an engine call at T = 1.
    After each round of ``sweeps_per_round`` Metropolis sweeps, neighbouring
    temperatures of each replica exchange configurations with the
    parallel-tempering probability min(1, exp[(1/T_k - 1/T_k+1)(E_k - E_k+1)])
    (Hukushima & Nemoto 1996), alternating even and odd pairs, and q is
    recorded.

    Parameters
    ----------
    L : int >= 4, even
    temps : 1-D array, increasing, > 0
    p : float in [0, 1]
        Fraction of antiferromagnetic bonds (0: ferromagnet).
    n_samples : int >= 2
    rounds, burn_in_rounds, sweeps_per_round : int
    seed : int >= 0

    Returns
    -------
    dict
        ``q`` (n_samples, n_T, rounds) overlaps, ``temps``, ``q2_mean``,
        ``q2_err`` (n_T,): disorder average of ⟨q²⟩ with s.e.m. over samples,
        ``q2_first_half``/``q2_second_half`` (equilibration check), ``m2``
        (n_T,) mean ⟨m²⟩ over samples and replicas, ``energy`` (n_T,) mean
        energy per spin, ``swap_rate`` (n_T - 1,).
    """
    from utacbook.models._ising import simulate_graph
    L = v.integer("L", L, low=4)
    temps = v.real_array("temps", temps, ndim=1, min_len=2)
    if np.any(temps <= 0) or np.any(np.diff(temps) <= 0):
        raise ValueError("temps must be positive and increasing")
    n_samples = v.integer("n_samples", n_samples, low=2)
    rounds = v.integer("rounds", rounds, low=2)
    burn_in_rounds = v.integer("burn_in_rounds", burn_in_rounds, low=0)
    sweeps_per_round = v.integer("sweeps_per_round", sweeps_per_round, low=1)
    ss = np.random.SeedSequence(v.integer("seed", seed, low=0))
    dis_seq, mc_seq = ss.spawn(2)
    rng = np.random.default_rng(mc_seq)
    nT = temps.size
    Jh, Jv = pm_j_couplings(L, p=p, n_copies=n_samples, seed=np.random.default_rng(dis_seq))
    # copy index (sample, replica, slot k) -> slot k sits at temperature temps[k]
    shape = (n_samples, 2, nT)
    C = n_samples * 2 * nT
    Jh_c = np.broadcast_to(Jh[:, None, None], shape + (L, L)).reshape(C, L, L)
    Jv_c = np.broadcast_to(Jv[:, None, None], shape + (L, L)).reshape(C, L, L)
    scale = np.broadcast_to(1.0 / temps, shape).reshape(C)
    g = _graph(Jh_c, Jv_c, scale)
    s = np.where(rng.random((C, L, L)) < 0.5, 1, -1).astype(np.int8)
    beta = 1.0 / temps
    q = np.empty((n_samples, nT, rounds))
    m2 = np.zeros(nT)
    en = np.zeros(nT)
    acc = np.zeros(nT - 1)
    tries = np.zeros(nT - 1)
    N = L * L
    for t in range(burn_in_rounds + rounds):
        r = simulate_graph(g, 1.0, sweeps=sweeps_per_round, burn_in=0, init=s.reshape(-1),
                           seed=int(rng.integers(2 ** 62)))
        s = r.spins.reshape(shape + (L, L))
        E = energy_per_spin(s, Jh[:, None, None], Jv[:, None, None]) * N  # (S, 2, nT)
        start = t % 2
        for k in range(start, nT - 1, 2):
            d = (beta[k] - beta[k + 1]) * (E[:, :, k] - E[:, :, k + 1])
            ok = rng.random(d.shape) < np.exp(np.minimum(d, 0.0))
            if np.any(ok):
                a = s[:, :, k][ok].copy()
                s[:, :, k][ok] = s[:, :, k + 1][ok]
                s[:, :, k + 1][ok] = a
                ea = E[:, :, k][ok].copy()
                E[:, :, k][ok] = E[:, :, k + 1][ok]
                E[:, :, k + 1][ok] = ea
            acc[k] += ok.sum()
            tries[k] += ok.size
        if t >= burn_in_rounds:
            i = t - burn_in_rounds
            sa = s[:, 0].astype(np.int64)
            sb = s[:, 1].astype(np.int64)
            q[:, :, i] = (sa * sb).mean(axis=(-2, -1))
            m = s.mean(axis=(-2, -1))
            m2 += (m ** 2).mean(axis=(0, 1))
            en += E.mean(axis=(0, 1)) / N
        s = s.reshape(C, L, L)
    q2 = (q ** 2).mean(axis=2)  # (S, nT)
    half = rounds // 2
    return {
        "L": L, "p": p, "temps": temps, "q": q,
        "q2_mean": q2.mean(axis=0), "q2_err": q2.std(axis=0, ddof=1) / np.sqrt(n_samples),
        "q2_first_half": (q[:, :, :half] ** 2).mean(axis=(0, 2)),
        "q2_second_half": (q[:, :, half:] ** 2).mean(axis=(0, 2)),
        "m2": m2 / rounds, "energy": en / rounds,
        "swap_rate": acc / np.maximum(tries, 1),
    }


def overlap_histogram(q, *, L, bins=None):
    """Disorder-averaged P(q) from overlaps of shape (n_samples, n_meas) at one T.

    The default bins are ``min(N/2, 41)`` equal bins on [-1, 1] (q takes
    values on a grid of step 2/N).

    Returns
    -------
    centres, density, density_err : ndarrays
        ``density_err`` is the s.e.m. over disorder samples.
    """
    q = np.asarray(q, dtype=float)
    N = L * L
    if bins is None:
        bins = np.linspace(-1 - 1.0 / N, 1 + 1.0 / N, min(N // 2, 41) + 1)
    per = np.array([np.histogram(qs, bins=bins, density=True)[0] for qs in q])
    centres = 0.5 * (bins[1:] + bins[:-1])
    return centres, per.mean(axis=0), per.std(axis=0, ddof=1) / np.sqrt(per.shape[0])


def overlap_weight(q, *, q_max=0.5):
    """Weight of P(q) at ``|q| < q_max``, disorder-averaged, with its s.e.m. over samples.

    ``q`` has shape (n_samples, n_meas) (one temperature of
    :func:`overlap_study`).  A ferromagnet below T_c puts almost no weight
    there (two sharp peaks at ±m²), a paramagnet almost all; a broad P(q)
    puts a finite share.
    """
    q = np.asarray(q, dtype=float)
    if q.ndim != 2 or q.shape[0] < 2:
        raise ValueError(f"q must have shape (n_samples >= 2, n_meas), got {q.shape}")
    w = (np.abs(q) < q_max).mean(axis=1)
    return float(w.mean()), float(w.std(ddof=1) / np.sqrt(w.size))


def overlap_size_excess(small, large):
    """⟨q²⟩ of the larger lattice minus a paramagnet's 1/N decay from the smaller one.

    A paramagnet (correlation length ≪ L) has ⟨q²⟩ = χ_SG/N, so going from
    L_s to L_l it falls by the factor (L_s/L_l)².  The excess
    ⟨q²⟩_l - (L_s/L_l)² ⟨q²⟩_s is zero there and positive when the replicas
    are correlated across the whole lattice (frozen on these sizes).

    Parameters
    ----------
    small, large : dict
        Results of :func:`overlap_study` at the same temperatures.

    Returns
    -------
    excess, err : ndarrays (n_T,)
        Errors combine the two independent s.e.m. over samples.
    """
    if not np.allclose(small["temps"], large["temps"]):
        raise ValueError("the two overlap studies must use the same temperatures")
    r = (small["L"] / large["L"]) ** 2
    exc = large["q2_mean"] - r * small["q2_mean"]
    err = np.hypot(large["q2_err"], r * small["q2_err"])
    return exc, err


def mattis_couplings(L, *, n_copies=1, seed=None):
    """Mattis couplings J_ij = ξ_i ξ_j with random ξ_i = ±1 on the L×L torus (Mattis 1976).

    Half of the bonds are negative on average, yet no plaquette is
    frustrated: the gauge τ = ξ maps the model onto the ferromagnet.

    Returns
    -------
    Jh, Jv : ndarray (n_copies, L, L)
    xi : ndarray (n_copies, L, L) of ±1 (a ground state: every bond satisfied)
    """
    L = v.integer("L", L, low=3, high=4096)
    n_copies = v.integer("n_copies", n_copies, low=1)
    xi = np.where(_rng(seed).random((n_copies, L, L)) < 0.5, -1, 1)
    Jh = (xi * np.roll(xi, -1, axis=-1)).astype(float)
    Jv = (xi * np.roll(xi, -1, axis=-2)).astype(float)
    return Jh, Jv, xi


def claims():
    """The claims the chapter judges, with their criteria (fixed before the measurement)."""
    from utacbook import claims as uc
    e_hy, e_hy_err = HARTMANN_YOUNG_E0
    return [
        uc.Claim("ising.spinglass.seams", source="essay", section="ii",
                 text="J_ij<0 (antiferromagnetic): antagonism; factional seams",
                 quantity="fraction u of unsatisfied bonds (seams) after slow annealing to T = 0.2",
                 criterion=uc.Sign(+1, k=3),
                 scope="16×16 torus, 4 copies per model, annealed from T = 3 to 0.2 "
                       "(14 temperatures × 300 sweeps): all bonds antagonistic (p = 1) and "
                       "mixed signs (±J, p = 1/2)",
                 note="a bipartite antiferromagnet is the ferromagnet in another gauge: "
                      "antagonism alone orders into two factions without seams"),
        uc.Claim("ising.spinglass.frustration", source="essay", section="ii",
                 text="Spin-glass variants (mixed signs) model frustration: no configuration "
                      "satisfies all pairwise demands",
                 quantity="whether every sample has a frustrated plaquette (an odd number of "
                          "negative bonds around a square), which proves that no configuration "
                          "satisfies all its bonds",
                 criterion=uc.Holds("every sample with mixed signs is frustrated"),
                 scope="32×32 torus: random ±J with p = 1/2 (200 samples), p = 0.1 and "
                       "p = 0.25 (100 each); Mattis couplings J_ij = ξ_iξ_j, half of them "
                       "negative (100 samples)",
                 note="mixed signs are not enough: the sign pattern must contain odd loops"),
        uc.Claim("ising.spinglass.exactly", source="essay", section="ii",
                 text="no configuration satisfies all pairwise demands—exactly like conflicted "
                      "networks",
                 quantity="frustration (odd cycles of antagonism) of real social networks",
                 criterion=None,
                 needs="signed social-network data (who is friend or foe of whom) to count "
                       "frustrated cycles"),
        uc.Claim("ising.spinglass.freezing", source="essay", section="iii (title)",
                 text="the spin glass of the social network",
                 quantity="glassy freezing: ⟨q²⟩ at L = 12 minus the paramagnet's 1/N decay from "
                          "L = 8 (> 0: replicas correlated across the lattice)",
                 criterion=uc.Sign(+1, k=3),
                 scope="±J, p = 1/2, L = 8 and 12 (16 and 12 samples), parallel tempering, "
                       "at T = 0.40, 0.82 and 2.00",
                 note="finite-size freezing only: in 2D the ±J model has no spin-glass phase "
                      "at T > 0 (T_sg = 0), so at every T > 0 ⟨q²⟩ must eventually fall "
                      "with L; these sizes cannot show that at low T"),
        uc.Claim("ising.spinglass.fraction", source="ours", section="",
                 text="each plaquette is frustrated with probability [1 − (1 − 2p)⁴]/2",
                 quantity="measured minus exact fraction of frustrated plaquettes",
                 criterion=uc.Agreement(0.0, k=2),
                 scope="32×32 torus, p = 1/2 (200 samples), 0.1, 0.25 (100 samples)"),
        uc.Claim("ising.spinglass.e0_literature", source="ours", section="",
                 text=f"ground-state energy per spin of the 2D ±J model, L → ∞: "
                      f"{e_hy} ± {e_hy_err} (Hartmann & Young 2001)",
                 quantity="e_∞ from exact ground states of open L×L lattices, fit "
                          "e(L) = e_∞ + a/L + b/L²",
                 criterion=uc.Agreement(e_hy, target_err=e_hy_err, k=2),
                 scope="exact ground states (matching), L = 8–64, 60–2000 samples per size "
                       "(stored result); fits over all sizes and over L ≥ 16"),
        uc.Claim("ising.spinglass.anneal_bound", source="ours", section="",
                 text="an annealed energy is an upper bound on the sample's ground-state energy",
                 quantity="annealed energy ≥ exact ground-state energy, sample by sample",
                 criterion=uc.Holds("in every sample and schedule"),
                 scope="open L×L lattices, L = 8, 16 (8 samples) and 32 (6 samples), "
                       "300 and 3000 sweeps"),
        uc.Claim("ising.spinglass.anneal_reach", source="ours", section="",
                 text="simulated annealing finds the ground state",
                 quantity="samples whose best annealing restart reaches the exact ground-state "
                          "energy",
                 criterion=uc.Holds("in every sample"),
                 scope="3000 sweeps (30 temperatures from T = 3 to 0.1, quench at 0.02), best "
                       "of 3 restarts (2 at L = 32); open L = 8, 16, 32"),
        uc.Claim("ising.spinglass.anneal_speed", source="ours", section="",
                 text="faster annealing ends higher in energy",
                 quantity="paired difference e(300 sweeps) − e(3000 sweeps) over the same samples",
                 criterion=uc.Sign(+1, k=3),
                 scope="open L = 8, 16 (8 samples), 32 (6 samples)"),
    ]


# --------------------------------------------------------------------------
# a frustrated lattice without disorder
# --------------------------------------------------------------------------

def triangular_antiferromagnet(m=12, n=12, *, T=0.2, sweeps=400, n_snapshots=20, burn_in=400,
                               seed=0):
    """Unsatisfied-bond fraction of the antiferromagnet on the periodic triangular lattice.

    Every triangle is frustrated; in a ground state exactly one bond of each
    triangle is unsatisfied, so 1/3 of all bonds are unsatisfied and
    e_0 = -1 per spin with ``|J| = 1`` (Wannier 1950).

    Returns
    -------
    dict
        With ``unsat`` (mean), ``unsat_err`` (τ_int-corrected error over
        snapshots), ``energy``, ``energy_err`` per spin, ``N``.
    """
    import networkx as nx

    from utacbook.stats import _mcstats as mcstats
    from utacbook.models._ising import prepare_graph, simulate_graph
    m = v.integer("m", m, low=4)
    n = v.integer("n", n, low=6)
    if n % 2 or m % 3 or n % 3:
        raise ValueError(f"need n even and m, n multiples of 3 for a 3-colourable periodic "
                         f"triangular lattice, got m={m}, n={n}")
    G = nx.triangular_lattice_graph(m, n, periodic=True)
    nx.set_edge_attributes(G, -1.0, "weight")
    g = prepare_graph(G)
    r = simulate_graph(g, T, sweeps=sweeps, burn_in=burn_in, seed=seed)
    n_bonds = g.n_edges
    # E = -Σ J s s = Σ s s with J = -1; unsatisfied bonds: s s = +1
    E = r.energy * g.N
    unsat = (n_bonds + E) / (2.0 * n_bonds)
    mu, err, _ = mcstats.mean_with_error(unsat)
    em, ee, _ = mcstats.mean_with_error(r.energy)
    return {"unsat": mu, "unsat_err": err, "energy": em, "energy_err": ee, "N": g.N,
            "n_bonds": n_bonds}


# --------------------------------------------------------------------------
# plots
# --------------------------------------------------------------------------

def plot_sample(Jh, Jv, spins, *, ax=None, title=None):
    """Draw spins (dark/light squares), frustrated plaquettes (red dots) and seams.

    Each unsatisfied bond (J_ij s_i s_j < 0) is drawn as the dual segment that
    crosses it, joining the centres of the two plaquettes it borders; these
    segments form strings that end on frustrated plaquettes: the "seams".
    Returns the axis.
    """
    import matplotlib.pyplot as plt
    from matplotlib.collections import LineCollection
    Jh, Jv = _check_couplings(Jh, Jv)
    s = _check_spins(spins, Jh)
    L = s.shape[0]
    if ax is None:
        _, ax = plt.subplots(figsize=(4, 4))
    ax.imshow(s, cmap="Greys", vmin=-3, vmax=1.5, interpolation="nearest")
    fr = frustrated_plaquettes(Jh, Jv)
    fi, fj = np.nonzero(fr)
    ax.plot(fj + 0.5, fi + 0.5, "o", ms=3, color="#d62728", label="frustrated plaquette")
    segs = []
    bad_h = Jh * s * np.roll(s, -1, axis=1) < 0   # bond (i, j)-(i, j+1): dual is vertical
    bad_v = Jv * s * np.roll(s, -1, axis=0) < 0   # bond (i, j)-(i+1, j): dual is horizontal
    for i, j in zip(*np.nonzero(bad_h)):
        segs.append([(j + 0.5, i - 0.5), (j + 0.5, i + 0.5)])
    for i, j in zip(*np.nonzero(bad_v)):
        segs.append([(j - 0.5, i + 0.5), (j + 0.5, i + 0.5)])
    ax.add_collection(LineCollection(segs, colors="#1f77b4", linewidths=2.0,
                                  label="seam (crosses an unsatisfied bond)"))
    ax.set_xlim(-0.5, L - 0.5)
    ax.set_ylim(L - 0.5, -0.5)
    ax.set_xticks([])
    ax.set_yticks([])
    ax.grid(False)
    if title:
        ax.set_title(title, fontsize=9)
    return ax


def explore_spin_glass(T=0.5, p=0.5, *, L=16, seed=1):
    """Widget body: anneal one sample with antiferromagnetic fraction p down to T and draw it.

    A schedule of 12 temperatures from 3 down to T (100 sweeps each) is run on
    one disorder sample; the figure shows the final state with its frustrated
    plaquettes and unsatisfied bonds, and the title the fractions measured.
    """
    import matplotlib.pyplot as plt
    T = v.real("T", T, positive=True)
    ss = np.random.SeedSequence(v.integer("seed", seed, low=0))
    d, m = ss.spawn(2)
    Jh, Jv = pm_j_couplings(L, p=p, seed=np.random.default_rng(d))
    temps = np.geomspace(max(3.0, T), T, 12)
    r = temperature_chain(Jh, Jv, temps, sweeps_per_temp=100, seed=np.random.default_rng(m))
    s = r["spins"][0]
    fig, ax = plt.subplots(figsize=(4.6, 4.6))
    f = float(frustration_fraction(Jh, Jv))
    u = float(unsatisfied_fraction(s, Jh, Jv))
    plot_sample(Jh, Jv, s, ax=ax,
                title=f"L={L}, p={p:.2f}, T={T:.2f}: frustrated plaquettes f={f:.3f},\n"
                      f"unsatisfied bonds u={u:.3f} (bound f/4={f / 4:.3f}), "
                      f"e={float(energy_per_spin(s, Jh, Jv)):.3f}")
    return fig
