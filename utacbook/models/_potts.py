"""The q-state Potts model on the periodic square lattice: heat-bath and Wolff engines.

:func:`simulate_potts` (checkerboard heat-bath), :func:`simulate_potts_wolff`
(Wolff clusters) and their result :class:`PottsResult`; the exact transition
temperature :func:`potts_tc`, latent heat :func:`latent_heat`, the energies at
T_c :func:`transition_energies` (Baxter 1973) and exact enumeration of small
lattices :func:`enumerate_potts`.  The chapter's study of first-order versus
continuous transitions is :mod:`utacbook.studies.ising.limits`.

A :class:`PottsResult` prints as one short line, exports with
``to_xarray()``/``to_dataframe()`` and round-trips exactly through
``save(path)``/``PottsResult.load(path)`` (netCDF-3 via xarray's
``engine="scipy"``, as the Ising results).  Temperatures at which the
heat-bath weights exp(4|J|/T) overflow, couplings whose energies overflow and
lattices that do not fit in memory are refused before the run, naming the
parameter.  A run is one kernel call, so there is no progress bar.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from numba import njit

from utacbook._kernels import potts as K
from utacbook import _validate as v
from utacbook._kernels.rng import make_streams, next_double
from utacbook._memory import check_memory
from utacbook.models._ising import (_attr_float, _attr_int, _check_beta, _check_energy_scale, _Estimators,
                                    _Exports, _num, _seed_from_attr, _seed_repr)

__all__ = ['simulate_potts', 'PottsResult', 'potts_tc', 'latent_heat', 'transition_energies',
           'enumerate_potts', 'simulate_potts_wolff']

#: lattices at least this large use the parallel checkerboard driver (same run)
_PARALLEL_MIN_L = 32
#: largest q accepted (states are int8)
Q_MAX = 64
#: largest 4|J|/T: the heat-bath weights exp(beta J c), c = 0..4, stay finite and nonzero
_MAX_BETA_J4 = 700.0


def _check_weights(T, J):
    """Refuse T so small against ``|J|`` that the heat-bath weights exp(4J/T) overflow or vanish."""
    x = 4.0 * abs(J) / T
    if not x <= _MAX_BETA_J4:
        raise ValueError(f"T = {T!r} is too small for J = {J!r}: the heat-bath weights exp(4J/T) "
                         f"{'overflow' if J > 0 else 'underflow to 0'} (4|J|/T = {x:.3g} must stay "
                         f"below {_MAX_BETA_J4:g}); raise T or lower |J|")


@dataclass(eq=False, repr=False)
class PottsResult(_Estimators, _Exports):
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
    algorithm : str
        ``"heatbath"`` (:func:`simulate_potts`) or ``"wolff"``
        (:func:`simulate_potts_wolff`).

    Estimators return ``(value, error)``: ``mean_energy``, ``mean_order``,
    ``specific_heat`` (per spin), ``susceptibility`` N(⟨m²⟩ − ⟨m⟩²)/T,
    ``binder``, ``tau_int``.  ``repr`` is one short line; ``to_xarray()``,
    ``to_dataframe()``, ``save(path)`` and ``PottsResult.load(path)`` export
    and store the run.

    Examples
    --------
    >>> from utacbook.models import PottsResult, simulate_potts
    >>> r = simulate_potts(8, 0.5, q=3, sweeps=100, burn_in=50, init="ordered", seed=1)
    >>> type(r).__name__, r.N, r.algorithm, r.spins.dtype
    ('PottsResult', 64, 'heatbath', dtype('int8'))
    >>> r                                                  # doctest: +ELLIPSIS
    PottsResult(L=8, q=3, T=0.5, J=1, algorithm='heatbath', sweeps=100, burn_in=50, seed=1; <e>=...)
    >>> r.order is r.magnetization, r.mean_order == r.mean_magnetization
    (True, True)
    >>> r.to_dataframe().shape, r.to_dataframe().columns.tolist()
    ((100, 2), ['energy', 'magnetization'])
    >>> import os, tempfile
    >>> with tempfile.TemporaryDirectory() as d:           # exact round trip through a file
    ...     r.save(os.path.join(d, "run.nc"))
    ...     back = PottsResult.load(os.path.join(d, "run.nc"))
    >>> bool((back.energy == r.energy).all() and (back.spins == r.spins).all()), back.seed
    (True, 1)
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
    algorithm: str = "heatbath"

    @property
    def N(self):
        """Number of spins L²."""
        return self.L * self.L

    def _check_state(self):
        v.integer("PottsResult.L", self.L, low=2)
        v.integer("PottsResult.q", self.q, low=2, high=Q_MAX)
        super()._check_state()

    def __repr__(self):
        try:
            head = (f"PottsResult(L={self.L!r}, q={self.q!r}, T={_num(self.T)}, J={_num(self.J)}, "
                    f"algorithm={self.algorithm!r}, sweeps={self.sweeps!r}, burn_in={self.burn_in!r}, "
                    f"seed={_seed_repr(self.seed)}")
        except Exception as exc:  # pragma: no cover (a repr must not raise)
            return f"PottsResult(<inconsistent: {type(exc).__name__}>)"
        return f"{head}; {self._repr_estimates('<m>', 'mean_magnetization')})"

    def to_xarray(self):
        """The run as an :class:`xarray.Dataset`.

        Data variables ``energy`` and ``magnetization`` (the order parameter;
        dimension ``sweep``) and ``spins`` (``row``, ``col``, states 0..q-1);
        ``attrs`` hold ``L``, ``N``, ``q``, ``T``, ``J``, ``sweeps``,
        ``burn_in``, ``algorithm``, ``init`` and ``seed`` (its ``repr``).
        Arrays are copies.
        """
        return self._dataset()

    def _dataset(self, *, for_file=False):
        import xarray as xr
        self._check_state()
        L = self.L
        spins = np.asarray(self.spins)
        if spins.shape != (L, L):
            raise ValueError(f"PottsResult.spins must have shape (L, L) = ({L}, {L}), got {spins.shape}")
        data = {
            "energy": ("sweep", self.energy.copy(), {"long_name": "energy per spin -J B/N", "units": "J"}),
            "magnetization": ("sweep", self.magnetization.copy(),
                              {"long_name": "order parameter (q max_k n_k/N - 1)/(q - 1)"}),
            "spins": (("row", "col"), spins.astype(np.int8), {"long_name": "final configuration (0..q-1)"}),
        }
        attrs = {"result_type": "PottsResult", "model": "q-state Potts, periodic square lattice", "L": L,
                 "N": L * L, "q": int(self.q), "T": float(self.T), "J": float(self.J),
                 "sweeps": int(self.sweeps), "burn_in": int(self.burn_in), "algorithm": str(self.algorithm),
                 "init": str(self.init), "seed": repr(self.seed)}
        return xr.Dataset(data, coords={"sweep": np.arange(self.sweeps)}, attrs=attrs)

    @classmethod
    def _from_dataset(cls, ds):
        return cls(L=_attr_int(ds, "L"), T=_attr_float(ds, "T"), q=_attr_int(ds, "q"), J=_attr_float(ds, "J"),
                   sweeps=_attr_int(ds, "sweeps"), burn_in=_attr_int(ds, "burn_in"),
                   init=str(ds.attrs["init"]), seed=_seed_from_attr(ds),
                   energy=ds["energy"].values.astype(np.float64),
                   magnetization=ds["magnetization"].values.astype(np.float64),
                   spins=np.ascontiguousarray(ds["spins"].values, dtype=np.int8),
                   algorithm=str(ds.attrs["algorithm"]))

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

    Raises
    ------
    ValueError, TypeError
        For a bad argument, naming it; also for T so small against ``|J|`` that
        the heat-bath weights exp(4J/T) overflow (4|J|/T > 700) and for ``|J|``
        so large that the energies overflow.
    MemoryError
        If the lattice and the series would not fit in memory.

    Examples
    --------
    >>> from utacbook.models._potts import potts_tc, simulate_potts
    >>> r = simulate_potts(16, 0.8 * potts_tc(3), q=3, sweeps=200, burn_in=100, seed=1)
    >>> r.energy.shape, int(r.spins.max()) <= 2
    ((200,), True)
    >>> m, dm = r.mean_order
    >>> bool(m > 0.8)
    True
    >>> len(repr(r)) < 400
    True
    """
    L = v.integer("L", L, low=2, high=65536)
    if L % 2:
        raise ValueError(f"L must be even (checkerboard), got {L}")
    T = v.real("T", T, positive=True)
    _check_beta(T)
    q = v.integer("q", q, low=2, high=Q_MAX)
    J = v.real("J", J)
    _check_energy_scale("J", abs(J), 2 * L * L, "|J| x (2N bonds)")
    _check_weights(T, J)
    sweeps = v.integer("sweeps", sweeps, low=1)
    burn_in = v.integer("burn_in", burn_in, low=0)
    check_memory(2 * L * L + 16 * L * q + 160 * L + 16 * sweeps,
                 what=f"simulate_potts(L={L}, q={q}, sweeps={sweeps})")
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
    """Critical temperature J / ln(1 + √q) of the square-lattice Potts model (q >= 1).

    Examples
    --------
    At q = 2 the Potts model with coupling J is the Ising model with coupling
    J/2 (δ(s, s') = (1 + s s')/2), so its T_c is half Onsager's:

    >>> from utacbook.models import potts_tc
    >>> from utacbook.theory import onsager_tc
    >>> round(float(potts_tc(2)), 6), round(onsager_tc() / 2, 6)
    (1.134593, 1.134593)
    >>> round(float(potts_tc(3)), 6), round(float(potts_tc(4, J=2.0)), 6)  # 1/ln(1+√3); 2/ln 3
    (0.994973, 1.820478)
    """
    q = v.real("q", q, low=1.0)
    J = v.real("J", J, positive=True)
    return float(J / np.log1p(np.sqrt(q)))


def latent_heat(q, J=1.0, *, n_terms=200):
    """Latent heat per spin at T_c (Baxter 1973), 0 for q <= 4.

    ℓ/J = 2 (1 + 1/√q) tanh(θ/2) Π_{n>=1} tanh²(nθ), with 2 cosh θ = √q.

    Examples
    --------
    Continuous transitions (q <= 4) have none; q = 5 a very weak first-order
    transition, q = 10 a strong one (Baxter's values 0.0529 and 0.696):

    >>> from utacbook.models import latent_heat
    >>> latent_heat(4), round(latent_heat(5), 4), round(latent_heat(10), 4)
    (0.0, 0.0529, 0.696)
    >>> round(latent_heat(10, J=2.0) / latent_heat(10), 12)  # proportional to J
    2.0
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

    Examples
    --------
    >>> import math
    >>> from utacbook.models import latent_heat, transition_energies
    >>> e_ord, e_dis = map(float, transition_energies(10))
    >>> round(e_ord, 4), round(e_dis, 4)
    (-1.6643, -0.9682)
    >>> round(e_dis - e_ord, 6), round(latent_heat(10), 6)   # the gap is the latent heat
    (0.696049, 0.696049)
    >>> round((e_ord + e_dis) / 2, 6), round(-(1 + 1 / math.sqrt(10)), 6)   # self-dual mean
    (-1.316228, -1.316228)
    >>> e_ord, e_dis = map(float, transition_energies(2))    # continuous: one energy, -(1 + 1/√2)
    >>> round(e_ord, 6), round(e_dis, 6)
    (-1.707107, -1.707107)
    """
    mid = -J * (1.0 + 1.0 / np.sqrt(v.real("q", q, low=1.0)))
    ell = latent_heat(q, J)
    return float(mid - ell / 2.0), float(mid + ell / 2.0)


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

    Examples
    --------
    At q = 2 and J = 2 the Potts model is the Ising model with J = 1 up to a
    constant: e_Potts = e_Ising - 2, and the order parameter is ``|m|``.  On the
    3 x 3 torus (2**9 states) both enumerations agree:

    >>> from utacbook.models import enumerate_potts
    >>> from utacbook.theory import enumerate_lattice
    >>> p = enumerate_potts(3, 2.0, q=2, J=2.0)
    >>> i = enumerate_lattice(3, 2.0)
    >>> round(p["energy"] + 2.0, 6), round(i["energy"], 6)
    (-1.767678, -1.767678)
    >>> round(p["order"], 6), round(i["abs_magnetization"], 6)
    (0.925985, 0.925985)
    >>> round(p["specific_heat"], 6), round(i["specific_heat"], 6)
    (0.519663, 0.519663)
    >>> enumerate_potts(2, [0.5, 1.0], q=3)["energy"].shape  # an array of T gives arrays
    (2,)
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

    Examples
    --------
    At T_c on the 4 x 4 torus the mean energy agrees with exact enumeration
    (2**16 states) within its error:

    >>> from utacbook.models import enumerate_potts, potts_tc, simulate_potts_wolff
    >>> T = potts_tc(2)
    >>> r = simulate_potts_wolff(4, T, q=2, sweeps=4000, burn_in=100, seed=1)
    >>> r.algorithm, r.energy.shape
    ('wolff', (4000,))
    >>> e, de = r.mean_energy
    >>> exact = enumerate_potts(4, T, q=2)["energy"]
    >>> bool(abs(e - exact) < 3 * de), bool(de < 0.02)
    (True, True)
    """
    L = v.integer("L", L, low=2, high=65536)
    T = v.real("T", T, positive=True)
    _check_beta(T)
    q = v.integer("q", q, low=2, high=Q_MAX)
    sweeps = v.integer("sweeps", sweeps, low=2)
    burn_in = v.integer("burn_in", burn_in, low=1)
    check_memory(10 * L * L + 16 * sweeps, what=f"simulate_potts_wolff(L={L}, q={q}, sweeps={sweeps})")
    states, seed_used = make_streams(seed, 2)
    spins = K.random_states(L, q, states[1])
    flat = spins.reshape(-1)
    e = np.empty(sweeps)
    m = np.empty(sweeps)
    _wolff_run(flat, q, 1.0 - np.exp(-1.0 / T), burn_in, states[0], e, m)
    return PottsResult(L=L, T=T, q=q, J=1.0, sweeps=sweeps, burn_in=burn_in, init="random",
                       seed=seed_used, energy=e, magnetization=m, spins=flat.reshape(L, L),
                       algorithm="wolff")
