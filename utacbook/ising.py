"""The Ising model on the periodic square lattice: Metropolis, heat-bath and Wolff.

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
    parallel with one xoshiro256** stream per row, so a seed gives identical
    runs at any thread count.
``"wolff"``
    Single-cluster algorithm (h = 0 and J >= 0 only).  **One "sweep" is one
    cluster flip**; the per-step cluster sizes are returned
    (:attr:`IsingResult.cluster_sizes`) so that costs can be compared per
    flipped spin (on average ``mean(cluster_sizes)/N`` sweeps' worth of flips
    per step).  Autocorrelation times of Wolff runs are therefore in cluster
    steps.

Measurements are taken after every sweep following ``burn_in`` sweeps.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from . import _ising_kernels as K
from . import _validate as v
from . import mcstats
from ._rng import make_streams

__all__ = ["simulate_lattice", "IsingResult", "LATTICE_ALGORITHMS"]

LATTICE_ALGORITHMS = ("metropolis", "heatbath", "wolff")

#: lattices at least this large use the parallel checkerboard driver (the
#: serial one gives the identical run and avoids thread start-up on tiny lattices)
_PARALLEL_MIN_L = 32


@dataclass(eq=False)
class IsingResult:
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

    All estimators return ``(value, error)``; errors account for
    autocorrelation (τ_int for means, jackknife over bins much longer than
    τ_int for nonlinear quantities, see :mod:`utacbook.mcstats`).  With a
    field ramp these equilibrium estimators are not meaningful.
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
                     init="random", seed=None):
    """Simulate the Ising model on the periodic L×L square lattice.

    Parameters
    ----------
    L : int, 2 <= L <= 65536
        Linear size; must be even for "metropolis" and "heatbath" (checkerboard),
        and >= 4 for "metropolis" (the 2 x 2 checkerboard Metropolis chain is
        not ergodic: stripe states cycle deterministically, every flip costing 0).
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
    algorithm : {"metropolis", "heatbath", "wolff"}
    init : {"random", "up", "down"} or array (L, L) of +-1, default "random"
    seed : int >= 0, SeedSequence or None
        Root seed; None draws fresh entropy (reported in the result).

    Returns
    -------
    IsingResult
    """
    L = v.integer("L", L, low=2, high=65536)
    T = v.real("T", T, positive=True)
    J = v.real("J", J)
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
    elif L % 2:
        raise ValueError(f"L must be even for algorithm={algorithm!r} (checkerboard), got {L}")
    elif L == 2 and algorithm == "metropolis":
        raise ValueError("L must be >= 4 for algorithm='metropolis': on the 2x2 torus the "
                         "checkerboard Metropolis chain is not ergodic (a stripe state, with "
                         "every flip at zero energy cost, maps deterministically onto itself); "
                         "use 'heatbath' or 'wolff'")

    states, seed_used = make_streams(seed, L + 1)
    spins, init_name = _init_spins(init, L, states[L])
    beta = 1.0 / T
    e = np.empty(sweeps)
    m = np.empty(sweeps)
    sizes = None
    if algorithm == "wolff":
        sizes = np.empty(sweeps, dtype=np.int64)
        K.run_wolff(spins, beta, J, burn_in, states[L], e, m, sizes)
    else:
        kind = K.KIND_METROPOLIS if algorithm == "metropolis" else K.KIND_HEATBATH
        run = K.run_checkerboard_parallel if L >= _PARALLEL_MIN_L else K.run_checkerboard_serial
        run(spins, kind, beta, J, h_seq, burn_in, states, e, m)
    return IsingResult(L=L, T=T, J=J, h=h_out, sweeps=sweeps, burn_in=burn_in,
                       algorithm=algorithm, init=init_name, seed=seed_used, energy=e,
                       magnetization=m, spins=spins, cluster_sizes=sizes)
