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
``i * L + j`` of the graph handed to :func:`utacbook.ising.simulate_graph`.
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

import numpy as np

from . import _validate as v

__all__ = ["pm_j_couplings", "lattice_adjacency", "frustrated_plaquettes",
           "frustration_fraction", "energy_per_spin", "unsatisfied_fraction",
           "ground_state_bound", "gauge_transform", "checkerboard_gauge",
           "enumerate_ground_state", "anneal", "annealing_study", "temperature_chain",
           "overlap_study", "overlap_histogram", "triangular_antiferromagnet",
           "plot_sample", "explore", "HARTMANN_YOUNG_E0"]

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
    """Fraction of the 2N bonds with J_ij s_i s_j < 0 (per copy)."""
    Jh, Jv = _check_couplings(Jh, Jv)
    s = _check_spins(spins, Jh)
    bad = ((Jh * s * np.roll(s, -1, axis=-1) < 0).sum(axis=(-2, -1))
           + (Jv * s * np.roll(s, -1, axis=-2) < 0).sum(axis=(-2, -1)))
    return bad / (2.0 * s.shape[-1] * s.shape[-2])


def ground_state_bound(Jh, Jv):
    """Lower bound e_0 >= -2 + f on the ground-state energy per spin (|J_ij| = 1).

    Each frustrated plaquette contains an odd number (>= 1) of unsatisfied
    bonds in any configuration and each bond lies on two plaquettes, so
    N_unsat >= N_f / 2 and E = -2N + 2 N_unsat >= -2N + N_f.
    """
    Jh, Jv = _check_couplings(Jh, Jv)
    if not (np.all(np.abs(Jh) == 1) and np.all(np.abs(Jv) == 1)):
        raise ValueError("ground_state_bound needs couplings of modulus 1 (±J model)")
    return -2.0 + frustration_fraction(Jh, Jv)


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
# annealing
# --------------------------------------------------------------------------

def _graph(Jh, Jv, scale):
    from .ising import prepare_graph
    return prepare_graph(lattice_adjacency(Jh, Jv, scale=scale), weight=None)


def temperature_chain(Jh, Jv, temps, *, sweeps_per_temp=100, n_snapshots=1, init="random",
                      algorithm="metropolis", seed=None):
    """Run all copies of a coupling stack through a chain of temperatures.

    One engine call (:func:`utacbook.ising.simulate_graph`) simulates all
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
        Temperatures in order (units of |J|, k_B = 1).
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
    from .ising import simulate_graph
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
                    n_restarts=3, p=0.5, seed=0):
    """Ground-state energy per spin of the ±J model by annealing, per size and speed.

    For each size, ``n_samples`` disorder samples are annealed ``n_restarts``
    times each (independent Monte Carlo seeds); a sample's estimate is its
    lowest final energy over restarts (an upper bound on its ground state).
    All samples and restarts of one size run as copies in one graph.

    Returns
    -------
    list of dict
        One per (size, total_sweeps) with ``L``, ``total_sweeps``,
        ``e_samples`` (n_samples,), ``e_mean``, ``e_err`` (s.e.m. over
        samples), ``bound_samples`` (-2 + f per sample), ``bound_mean``,
        ``bound_err``, ``f_mean``, ``frac_restarts_at_best`` (fraction of
        restarts that reached the sample's best energy).
    """
    n_samples = v.integer("n_samples", n_samples, low=2)
    n_restarts = v.integer("n_restarts", n_restarts, low=1)
    ss = np.random.SeedSequence(v.integer("seed", seed, low=0))
    out = []
    for L, child in zip(sizes, ss.spawn(len(sizes))):
        dis_seq, mc_seq = child.spawn(2)
        Jh, Jv = pm_j_couplings(L, p=p, n_copies=n_samples, seed=np.random.default_rng(dis_seq))
        Jh_all = np.repeat(Jh, n_restarts, axis=0)
        Jv_all = np.repeat(Jv, n_restarts, axis=0)
        bound = ground_state_bound(Jh, Jv)
        f = frustration_fraction(Jh, Jv)
        for ts, sub in zip(total_sweeps, mc_seq.spawn(len(total_sweeps))):
            e, _ = anneal(Jh_all, Jv_all, total_sweeps=int(ts), seed=np.random.default_rng(sub))
            e = e.reshape(n_samples, n_restarts)
            best = e.min(axis=1)
            out.append({
                "L": int(L), "total_sweeps": int(ts), "e_samples": best,
                "e_mean": float(best.mean()),
                "e_err": float(best.std(ddof=1) / np.sqrt(n_samples)),
                "bound_samples": bound, "bound_mean": float(bound.mean()),
                "bound_err": float(bound.std(ddof=1) / np.sqrt(n_samples)),
                "f_mean": float(f.mean()), "f_err": float(f.std(ddof=1) / np.sqrt(n_samples)),
                "frac_restarts_at_best": float(np.mean(np.isclose(e, best[:, None]))),
            })
    return out


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
    from .ising import simulate_graph
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


# --------------------------------------------------------------------------
# a frustrated lattice without disorder
# --------------------------------------------------------------------------

def triangular_antiferromagnet(m=12, n=12, *, T=0.2, sweeps=400, n_snapshots=20, burn_in=400,
                               seed=0):
    """Unsatisfied-bond fraction of the antiferromagnet on the periodic triangular lattice.

    Every triangle is frustrated; in a ground state exactly one bond of each
    triangle is unsatisfied, so 1/3 of all bonds are unsatisfied and
    e_0 = -1 per spin with |J| = 1 (Wannier 1950).

    Returns
    -------
    dict with ``unsat`` (mean), ``unsat_err`` (τ_int-corrected error over
    snapshots), ``energy``, ``energy_err`` per spin, ``N``.
    """
    import networkx as nx

    from . import mcstats
    from .ising import prepare_graph, simulate_graph
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


def explore(T=0.5, p=0.5, *, L=16, seed=1):
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
