"""Moved from ``utacbook.potts``; TODO docstring."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from numba import njit

from utacbook._kernels import potts as K
from utacbook import _validate as v
from utacbook._kernels.rng import make_streams, next_double
from utacbook.models._ising import _Estimators

__all__ = ['simulate_potts', 'PottsResult', 'potts_tc', 'latent_heat', 'transition_energies', 'enumerate_potts', 'simulate_potts_wolff']

#: lattices at least this large use the parallel checkerboard driver (same run)
_PARALLEL_MIN_L = 32
#: largest q accepted (states are int8)
Q_MAX = 64


@dataclass(eq=False)
class PottsResult(_Estimators):
    """A Potts run: time series, final state, parameters and estimators.

    Attributes
    ----------
    energy : ndarray, shape (sweeps,)
        Energy per spin -J B/N after each recorded sweep.
    magnetization : ndarray, shape (sweeps,)
        Order parameter m = (q max_k n_k / N - 1)/(q - 1) after each sweep
        (named like the Ising series so that the shared estimators apply;
        ``order`` is an alias).
    spins : ndarray of int8, shape (L, L)
        Final configuration (states 0..q-1).
    L, T, q, J, sweeps, burn_in, init, seed : parameters as given.

    Estimators return ``(value, error)``: ``mean_energy``, ``mean_order``,
    ``specific_heat`` (per spin), ``susceptibility`` N(⟨m²⟩ − ⟨m⟩²)/T,
    ``binder``, ``tau_int``.
    """

    L: int
    T: float
    q: int
    J: float
    sweeps: int
    burn_in: int
    init: str
    seed: object
    energy: np.ndarray
    magnetization: np.ndarray
    spins: np.ndarray
    _cache: dict = field(default_factory=dict, repr=False, compare=False)

    @property
    def N(self):
        """Number of spins L²."""
        return self.L * self.L

    @property
    def order(self):
        """The order-parameter series (alias of ``magnetization``)."""
        return self.magnetization

    @property
    def mean_order(self):
        """⟨m⟩ of the Potts order parameter, with error (τ_int-corrected)."""
        return self.mean_magnetization


def _init_states(init, L, q, st):
    if isinstance(init, str):
        v.choice("init", init, {"random", "ordered"})
        if init == "random":
            return K.random_states(L, q, st), init
        return np.zeros((L, L), dtype=np.int8), init
    arr = np.asarray(init)
    if (arr.shape != (L, L) or arr.dtype.kind not in "iu"
            or np.any(arr < 0) or np.any(arr >= q)):
        raise ValueError(f"init must be 'random', 'ordered' or an (L, L) = ({L}, {L}) integer "
                         f"array with values 0..q-1 = 0..{q - 1}")
    return np.ascontiguousarray(arr, dtype=np.int8).copy(), "array"


def simulate_potts(L, T, *, q, J=1.0, sweeps=1000, burn_in=100, init="random", seed=None):
    """Simulate the q-state Potts model on the periodic L×L lattice (checkerboard heat-bath).

    Parameters
    ----------
    L : int, even, 2 <= L <= 65536
        Linear size (even: checkerboard).
    T : float > 0
        Temperature in units of J/k_B (T_c = J/ln(1+√q)).
    q : int, 2 <= q <= 64
        Number of states.
    J : float, default 1
        Coupling (J > 0 ferromagnetic; any finite value is simulated).
    sweeps : int >= 1, default 1000
        Recorded sweeps (one update per site each).
    burn_in : int >= 0, default 100
        Sweeps discarded before recording.
    init : {"random", "ordered"} or (L, L) int array of states 0..q-1
        "ordered" puts every site in state 0.
    seed : int >= 0, SeedSequence or None
        Root seed (row i uses stream i of ``make_streams(seed, L + 1)``, the
        initial state stream L); None draws fresh entropy (reported).

    Returns
    -------
    PottsResult
    """
    L = v.integer("L", L, low=2, high=65536)
    if L % 2:
        raise ValueError(f"L must be even (checkerboard), got {L}")
    T = v.real("T", T, positive=True)
    q = v.integer("q", q, low=2, high=Q_MAX)
    J = v.real("J", J)
    sweeps = v.integer("sweeps", sweeps, low=1)
    burn_in = v.integer("burn_in", burn_in, low=0)
    states, seed_used = make_streams(seed, L + 1)
    spins, init_name = _init_states(init, L, q, states[L])
    e = np.empty(sweeps)
    m = np.empty(sweeps)
    run = K.run_heatbath_parallel if L >= _PARALLEL_MIN_L else K.run_heatbath_serial
    run(spins, q, 1.0 / T, J, burn_in, states, e, m)
    return PottsResult(L=L, T=T, q=q, J=J, sweeps=sweeps, burn_in=burn_in, init=init_name,
                       seed=seed_used, energy=e, magnetization=m, spins=spins)


# --------------------------------------------------------------------------
# exact results
# --------------------------------------------------------------------------

def potts_tc(q, J=1.0):
    """Critical temperature J / ln(1 + √q) of the square-lattice Potts model (q >= 1)."""
    q = v.real("q", q, low=1.0)
    J = v.real("J", J, positive=True)
    return J / np.log1p(np.sqrt(q))


def latent_heat(q, J=1.0, *, n_terms=200):
    """Latent heat per spin at T_c (Baxter 1973), 0 for q <= 4.

    ℓ/J = 2 (1 + 1/√q) tanh(θ/2) Π_{n>=1} tanh²(nθ), with 2 cosh θ = √q.
    """
    q = v.real("q", q, low=1.0)
    J = v.real("J", J, positive=True)
    if q <= 4:
        return 0.0
    theta = np.arccosh(np.sqrt(q) / 2.0)
    n = np.arange(1, n_terms + 1)
    return float(J * 2.0 * (1.0 + 1.0 / np.sqrt(q)) * np.tanh(theta / 2.0)
                 * np.prod(np.tanh(n * theta) ** 2))


def transition_energies(q, J=1.0):
    """Energies per spin (e_ordered, e_disordered) at T_c in the infinite lattice.

    Their mean is -J(1 + 1/√q) (self-duality); they differ by the latent heat
    (equal for q <= 4).
    """
    mid = -J * (1.0 + 1.0 / np.sqrt(v.real("q", q, low=1.0)))
    ell = latent_heat(q, J)
    return mid - ell / 2.0, mid + ell / 2.0


def enumerate_potts(L, T, *, q, J=1.0):
    """Exact thermal averages on the periodic L×L lattice by listing all q^(L²) states.

    Uses the same bonds as the engine (site (i, j) to (i, j+1) and (i+1, j),
    indices mod L; at L = 2 each pair of neighbours is joined by two bonds).

    Parameters
    ----------
    L : int >= 2 with q^(L²) <= 2**22
    T : float or array of float > 0
    q : int >= 2
    J : float

    Returns
    -------
    dict of arrays (shape of T)
        ``energy`` ⟨e⟩, ``order`` ⟨m⟩, ``m2`` ⟨m²⟩, ``specific_heat``
        N(⟨e²⟩ − ⟨e⟩²)/T², ``susceptibility`` N(⟨m²⟩ − ⟨m⟩²)/T.
    """
    L = v.integer("L", L, low=2)
    q = v.integer("q", q, low=2, high=Q_MAX)
    J = v.real("J", J)
    N = L * L
    if q ** N > 2 ** 22:
        raise ValueError(f"q^(L^2) = {q}^{N} states is too many to enumerate (max 2^22)")
    Ts = np.atleast_1d(v.real_array("T", T))
    if np.any(Ts <= 0):
        raise ValueError("T must be > 0")
    codes = np.arange(q ** N, dtype=np.int64)
    s = np.empty((codes.size, N), dtype=np.int64)
    c = codes.copy()
    for k in range(N):
        s[:, k] = c % q
        c //= q
    s = s.reshape(-1, L, L)
    B = ((s == np.roll(s, -1, axis=2)).sum(axis=(1, 2))
         + (s == np.roll(s, -1, axis=1)).sum(axis=(1, 2)))
    nmax = np.max(np.stack([(s == k).sum(axis=(1, 2)) for k in range(q)]), axis=0)
    e = -J * B / N
    m = (q * nmax / N - 1.0) / (q - 1.0)
    out = {k: np.empty(Ts.size) for k in ("energy", "order", "m2", "specific_heat",
                                           "susceptibility")}
    for i, t in enumerate(Ts):
        a = -N * e / t
        w = np.exp(a - a.max())
        w /= w.sum()
        e1, e2 = np.sum(w * e), np.sum(w * e * e)
        m1, m2 = np.sum(w * m), np.sum(w * m * m)
        out["energy"][i], out["order"][i], out["m2"][i] = e1, m1, m2
        out["specific_heat"][i] = N * (e2 - e1 * e1) / t ** 2
        out["susceptibility"][i] = N * (m2 - m1 * m1) / t
    if np.ndim(T) == 0:
        return {k: float(x[0]) for k, x in out.items()}
    return out


# --------------------------------------------------------------------------
# Wolff cluster algorithm (for the universality-class study at T_c)
# --------------------------------------------------------------------------

@njit(cache=True)
def _wolff_run(s, q, p_add, burn_in, st, e_out, m_out):
    """Wolff single-cluster updates of the periodic Potts lattice ``s`` (int8, flattened L*L).

    One recorded step is a fixed number of clusters, ``n_clusters``: the
    burn-in builds clusters until N sites have been flipped per step, and
    ``n_clusters`` is set to N over the mean cluster size seen there (at
    least 1).  The number must not depend on the clusters of the recorded
    step itself: stopping once N sites have flipped would end each step on
    a size-biased (large) cluster and bias the measurements towards order.
    A cluster grows from a random
    site in state a; each bond to a neighbour still in state a is added with
    probability p_add = 1 - exp(-J/T), and the cluster is set to a random
    other state b (Wolff 1989; Swendsen & Wang 1987 for Potts).  Flipping on
    adding marks cluster sites (they are no longer in state a); at L = 2 the
    doubled bonds are tried twice, as the Hamiltonian counts them.
    """
    N = s.size
    L = np.int64(np.sqrt(N) + 0.5)
    stack = np.empty(N, dtype=np.int64)
    n_rec = e_out.size
    n_clusters = 0
    total = 0
    built = 0
    for step in range(burn_in + n_rec):
        if step == burn_in:
            n_clusters = max(1, np.int64(N * built / max(total, 1) + 0.5))
        flipped = 0
        count = 0
        while (step < burn_in and flipped < N) or (step >= burn_in and count < n_clusters):
            count += 1
            i0 = np.int64(next_double(st) * N)
            if i0 >= N:
                i0 = N - 1
            a = s[i0]
            b = np.int64(next_double(st) * (q - 1))
            if b >= q - 1:
                b = q - 2
            if b >= a:
                b += 1
            s[i0] = b
            stack[0] = i0
            top = 1
            size = 1
            while top > 0:
                top -= 1
                k = stack[top]
                x = k // L
                y = k - x * L
                for d in range(4):
                    if d == 0:
                        nb = x * L + (y + 1 if y + 1 < L else 0)
                    elif d == 1:
                        nb = x * L + (y - 1 if y > 0 else L - 1)
                    elif d == 2:
                        nb = (x + 1 if x + 1 < L else 0) * L + y
                    else:
                        nb = (x - 1 if x > 0 else L - 1) * L + y
                    if s[nb] == a and next_double(st) < p_add:
                        s[nb] = b
                        stack[top] = nb
                        top += 1
                        size += 1
            flipped += size
            if step < burn_in:
                total += size
                built += 1
        if step >= burn_in:
            B = 0
            occ = np.zeros(q, dtype=np.int64)
            for x in range(L):
                xp = x + 1 if x + 1 < L else 0
                for y in range(L):
                    yp = y + 1 if y + 1 < L else 0
                    v0 = s[x * L + y]
                    occ[v0] += 1
                    if s[x * L + yp] == v0:
                        B += 1
                    if s[xp * L + y] == v0:
                        B += 1
            e_out[step - burn_in] = -B / N
            m_out[step - burn_in] = (q * occ.max() / N - 1.0) / (q - 1.0)


def simulate_potts_wolff(L, T, *, q, sweeps=10_000, burn_in=500, seed=None):
    """Simulate the q-state Potts model (J = 1) with Wolff cluster updates.

    Near a continuous transition a cluster flips a correlated region at
    once, so successive measurements decorrelate within a few cluster
    sweeps even where the heat-bath slows down critically.

    Parameters
    ----------
    L : int >= 2
    T : float > 0
    q : int, 2 <= q <= 64
    sweeps : int >= 2
        Recorded steps of n_clusters clusters each (about N flipped sites per
        step: n_clusters is N over the mean cluster size of the burn-in).
    burn_in : int >= 1
        Steps of clusters until N sites have flipped; they set n_clusters.
    seed : int >= 0, SeedSequence or None

    Returns
    -------
    PottsResult
        As :func:`simulate_potts` (``J = 1``, ``init = "random"``); its
        estimators (``mean_energy``, ``specific_heat``, ...) apply unchanged,
        with errors from the time series as usual.
    """
    L = v.integer("L", L, low=2, high=65536)
    T = v.real("T", T, positive=True)
    q = v.integer("q", q, low=2, high=Q_MAX)
    sweeps = v.integer("sweeps", sweeps, low=2)
    burn_in = v.integer("burn_in", burn_in, low=1)
    states, seed_used = make_streams(seed, 2)
    spins = K.random_states(L, q, states[1])
    flat = spins.reshape(-1)
    e = np.empty(sweeps)
    m = np.empty(sweeps)
    _wolff_run(flat, q, 1.0 - np.exp(-1.0 / T), burn_in, states[0], e, m)
    return PottsResult(L=L, T=T, q=q, J=1.0, sweeps=sweeps, burn_in=burn_in, init="random",
                       seed=seed_used, energy=e, magnetization=m, spins=flat.reshape(L, L))
