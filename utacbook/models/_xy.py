r"""The XY (plane-rotator) model: continuous spins on the square lattice and on graphs.

Model and conventions
---------------------
Angles :math:`\theta_i \in [0, 2\pi)`, spins :math:`s_i = (\cos\theta_i, \sin\theta_i)`,

.. math:: H = -J \sum_{\langle ij \rangle} \cos(\theta_i - \theta_j) - h \sum_i \cos\theta_i ,

each bond counted once (2N bonds on the periodic L x L lattice).  Temperature
in units of J/k_B (k_B = 1); energies, the field and the helicity modulus in
units of energy (J = 1 by default).  There is no spontaneous magnetisation in
two dimensions (Mermin--Wagner): ⟨``|m|``⟩ decays with L as
:math:`L^{-\eta/2}` below the Kosterlitz--Thouless temperature (η = T/(2πJ)
in spin-wave theory), and the helicity modulus Υ jumps from
:math:`2T_{KT}/\pi` to 0 at :math:`T_{KT} \approx 0.8929\,J` (Nelson &
Kosterlitz 1977; Hasenbusch 2005 for the value).

Algorithms
----------
``"metropolis"``
    Checkerboard sweeps (even L): the proposal θ' = θ + δ U(-1, 1) is accepted
    with probability min(1, exp(-ΔE/T)).  With ``delta=None`` the step starts
    at min(π, 2 sqrt(T/``|J|``)) and is adapted during burn-in only, every 10
    sweeps, toward an acceptance rate of 1/2 (δ ≤ π, where the proposal is
    uniform); the recorded sweeps use the final δ (``XYResult.delta``), so the
    recorded chain satisfies detailed balance.  A number fixes δ.  Random
    numbers come from the counter-based Philox4x32-10 generator per
    (sweep, colour, row): a seed gives the same run at any thread count.
``"wolff"``
    Wolff's single-cluster algorithm (Wolff 1989, PRL 62, 361): reflection of
    a cluster about the line perpendicular to a random unit vector; h = 0 and
    J >= 0 only; one sequential random stream.  **One "sweep" is one cluster
    step**, as in :func:`utacbook.models.simulate_lattice`; the mean cluster
    size per sample is returned (``XYResult.cluster_sizes``).

Measurements
------------
After every ``measure_every``-th post-burn-in sweep: energy per spin, the
magnetisation vector (m_x, m_y) per spin and, on the lattice, the
helicity-modulus estimator (the response to a twist, averaged over the x and
y directions)

.. math:: \Upsilon_t = \frac{J}{2N}(C_x + C_y) - \frac{J^2}{2NT}(S_x^2 + S_y^2),
   \quad C_a = \sum_{\langle ij\rangle_a} \cos(\theta_i - \theta_j),\;
   S_a = \sum_{\langle ij\rangle_a} \sin(\theta_i - \theta_j)

(so that ⟨Υ_t⟩ = Υ; spin waves give Υ ≈ J - T/4 at low T) and the vortex
density (plaquettes of nonzero winding per site).  Estimates carry errors
from the autocorrelation time and from binning (the larger of the two, see
:meth:`XYResult.estimate`).  Near T_KT on larger lattices Metropolis has slow
modes (vortex pairs, winding) that one run of 2·10⁴ sweeps does not resolve:
at L = 32, T = 0.925 the spread of Υ over 8 independent runs was 1.6 times
the single-run error (Wolff: 1.4, within the noise of 8 runs).  Take error
bars there from independent replicas (seeds), and prefer Wolff.

:func:`simulate_xy_graph` runs the same kernels on any undirected graph
(prepared by :func:`utacbook.models.prepare_graph`: greedy colouring, CSR,
couplings J w_ij); there, helicity and vortices are not defined (NaN).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from utacbook import _validate as v
from utacbook._kernels import xy as K
from utacbook._kernels.rng import make_streams, philox_key, resolve_seed
from utacbook._memory import check_memory
from utacbook.models._ising import (_attr_float, _attr_int, _check_beta, _check_energy_scale,
                                    _check_not_complex, _check_ising_graph, _Exports, _num, _seed_from_attr,
                                    _seed_repr, prepare_graph)
from utacbook.stats import _mcstats as mcstats

__all__ = ["simulate_xy", "simulate_xy_graph", "XYResult", "XY_ALGORITHMS", "T_KT_XY"]

XY_ALGORITHMS = ("metropolis", "wolff")
#: Kosterlitz-Thouless temperature of the square-lattice XY model, in units of J
#: (literature value: Hasenbusch 2005, J. Phys. A 38, 5869)
T_KT_XY = 0.8929

#: lattices with at least this many sites use the parallel Metropolis driver (same run)
_PARALLEL_MIN_N = 64 * 64
_SERIES = ("energy", "mx", "my", "helicity", "vortex_density")


def _estimate(x):
    """(mean, error): the larger of the τ_int and the binning error."""
    x = np.asarray(x, dtype=float)
    if x.size < 2:
        raise ValueError("an estimate needs at least 2 samples (raise sweeps or lower measure_every)")
    mean, err, _ = mcstats.mean_with_error(x)
    if x.size >= 64:
        err = max(err, float(mcstats.binning_error(x).error))
    return float(mean), float(err)


@dataclass(eq=False, repr=False)
class XYResult(_Exports):
    """An XY run: per-sample series, final state, parameters and estimators.

    Attributes
    ----------
    energy : ndarray, shape (n_samples,)
        Energy per spin (units of energy) of each sample.
    mx, my : ndarray, shape (n_samples,)
        Magnetisation vector per spin.
    helicity : ndarray, shape (n_samples,)
        Helicity-modulus estimator Υ_t (lattice; NaN on a graph), units of energy.
    vortex_density : ndarray, shape (n_samples,)
        Plaquettes with nonzero winding per site (lattice; NaN on a graph).
    theta : ndarray of float
        Final angles in [0, 2π): shape (L, L) on the lattice, (N,) in node order on a graph.
    acceptance : ndarray or None
        Metropolis: acceptance rate of the sweeps since the previous sample.
    cluster_sizes : ndarray or None
        Wolff: mean cluster size (spins) of the steps since the previous sample.
    delta : float or None
        Metropolis step δ (radians) of the recorded sweeps.
    L : int or None
        Lattice size (None for a graph run); ``N`` is the number of spins.
    T, J, h, sweeps, burn_in, algorithm, init, measure_every, seed : parameters as given.

    Estimators (``mean_energy``, ``abs_magnetization``, ``helicity_modulus``,
    ``mean_vortex_density``, ``susceptibility``, ``specific_heat``) return
    ``(value, error)``.

    Examples
    --------
    >>> from utacbook.models import XYResult, simulate_xy
    >>> r = simulate_xy(8, 0.5, sweeps=400, burn_in=100, seed=1)
    >>> r                                                  # doctest: +ELLIPSIS
    XYResult(L=8, T=0.5, J=1, h=0, algorithm='metropolis', sweeps=400, burn_in=100, seed=1; <e>=...)
    >>> r.to_dataframe().columns.tolist()
    ['energy', 'mx', 'my', 'helicity', 'vortex_density', 'acceptance']
    >>> ups, err = r.helicity_modulus               # spin waves: about J - T/4 = 0.875
    >>> bool(0.75 < ups < 0.95), bool(0 < err < 0.05)
    (True, True)
    """

    L: object
    N: int
    T: float
    J: float
    h: float
    sweeps: int
    burn_in: int
    algorithm: str
    init: str
    measure_every: int
    seed: object
    energy: np.ndarray
    mx: np.ndarray
    my: np.ndarray
    helicity: np.ndarray
    vortex_density: np.ndarray
    theta: np.ndarray
    acceptance: np.ndarray | None = None
    cluster_sizes: np.ndarray | None = None
    delta: float | None = None
    _cache: dict = field(default_factory=dict, repr=False, compare=False)

    def __setattr__(self, name, value):
        cache = self.__dict__.get("_cache")
        if cache and name != "_cache":
            cache.clear()
        object.__setattr__(self, name, value)

    @property
    def n_samples(self):
        """Number of recorded samples."""
        return int(np.asarray(self.energy).shape[0])

    @property
    def abs_m(self):
        """The series ``|m|`` = sqrt(m_x² + m_y²)."""
        return np.hypot(self.mx, self.my)

    def estimate(self, name):
        """Mean of a series with its error: ``(value, error)``.

        ``name`` is one of ``"energy"``, ``"mx"``, ``"my"``, ``"abs_m"``,
        ``"m2"`` (``|m|²``), ``"helicity"``, ``"vortex_density"``.  The error
        is the larger of sqrt(2 τ_int Var/n) (:func:`utacbook.stats.mean_with_error`)
        and the binning error (:func:`utacbook.stats.binning_error`, with 64
        samples or more).
        """
        series = {"abs_m": lambda: self.abs_m, "m2": lambda: self.mx ** 2 + self.my ** 2}
        if name not in series and name not in _SERIES:
            raise ValueError(f"name must be one of {sorted(set(series) | set(_SERIES))}, got {name!r}")
        if name not in self._cache:
            x = series[name]() if name in series else getattr(self, name)
            if name in ("helicity", "vortex_density") and self.L is None:
                raise ValueError(f"{name} is defined on the square lattice only (this is a graph run)")
            self._cache[name] = _estimate(x)
        return self._cache[name]

    @property
    def mean_energy(self):
        """⟨e⟩ per spin, with error."""
        return self.estimate("energy")

    @property
    def abs_magnetization(self):
        """⟨``|m|``⟩, with error."""
        return self.estimate("abs_m")

    @property
    def helicity_modulus(self):
        """Υ (units of energy), with error; lattice only."""
        return self.estimate("helicity")

    @property
    def mean_vortex_density(self):
        """Vortices plus antivortices per site, with error; lattice only."""
        return self.estimate("vortex_density")

    @property
    def susceptibility(self):
        """χ = N⟨m_x² + m_y²⟩/T (no subtraction: ⟨m⟩ = 0 in 2D), with error."""
        m2, err = self.estimate("m2")
        return self.N * m2 / self.T, self.N * err / self.T

    @property
    def specific_heat(self):
        """C = N(⟨e²⟩ − ⟨e⟩²)/T² per spin, with jackknife error."""
        if "C" not in self._cache:
            self._cache["C"] = mcstats.specific_heat(self.energy, self.T, self.N)
        return self._cache["C"]

    @property
    def nelson_kosterlitz_ratio(self):
        """Υπ/(2T) with error: 1 at the Kosterlitz-Thouless point in the L → ∞ limit."""
        ups, err = self.helicity_modulus
        f = math.pi / (2.0 * self.T)
        return ups * f, err * f

    @property
    def tau_int(self):
        """Integrated autocorrelation times (in samples) of e, ``|m|`` and (lattice) Υ_t: dict."""
        out = {"energy": mcstats.integrated_autocorrelation_time(self.energy),
               "abs_m": mcstats.integrated_autocorrelation_time(self.abs_m)}
        if self.L is not None:
            out["helicity"] = mcstats.integrated_autocorrelation_time(self.helicity)
        return out

    def __repr__(self):
        where = f"L={self.L!r}" if self.L is not None else f"graph N={self.N!r}"
        head = (f"XYResult({where}, T={_num(self.T)}, J={_num(self.J)}, h={_num(self.h)}, "
                f"algorithm={self.algorithm!r}, sweeps={self.sweeps!r}, burn_in={self.burn_in!r}, "
                f"seed={_seed_repr(self.seed)}")
        try:
            e, de = self.mean_energy
            m, dm = self.abs_magnetization
            est = f"<e>={e:.6g} ± {de:.2g}, <|m|>={m:.6g} ± {dm:.2g}"
            if self.L is not None:
                u, du = self.helicity_modulus
                est += f", Υ={u:.6g} ± {du:.2g}"
        except Exception as exc:  # a repr must not raise
            est = f"(estimates unavailable: {type(exc).__name__})"
        return f"{head}; {est})"

    def to_xarray(self):
        """The run as an :class:`xarray.Dataset`.

        Data variables ``energy``, ``mx``, ``my``, ``helicity``,
        ``vortex_density`` and ``acceptance`` (Metropolis) or
        ``cluster_sizes`` (Wolff), with dimension ``sweep`` (the post-burn-in
        sweep after which the sample was taken, 1-based), and the final
        ``theta`` (``row``, ``col`` or ``node``); ``attrs`` hold the
        parameters and ``seed`` (its ``repr``).
        """
        return self._dataset()

    def _dataset(self, *, for_file=False):
        import xarray as xr
        long = {"energy": ("energy per spin E/N", "J"), "mx": ("magnetisation per spin, x", "1"),
                "my": ("magnetisation per spin, y", "1"),
                "helicity": ("helicity-modulus estimator", "J"),
                "vortex_density": ("vortices + antivortices per site", "1")}
        data = {k: ("sweep", np.asarray(getattr(self, k), dtype=float).copy(),
                    {"long_name": long[k][0], "units": long[k][1]}) for k in _SERIES}
        if self.acceptance is not None:
            data["acceptance"] = ("sweep", np.asarray(self.acceptance, dtype=float).copy(),
                                  {"long_name": "Metropolis acceptance rate since the previous sample"})
        if self.cluster_sizes is not None:
            data["cluster_sizes"] = ("sweep", np.asarray(self.cluster_sizes, dtype=float).copy(),
                                     {"long_name": "mean Wolff cluster size since the previous sample"})
        dims = ("row", "col") if self.L is not None else ("node",)
        data["theta"] = (dims, np.asarray(self.theta, dtype=float).copy(),
                         {"long_name": "final angles", "units": "rad"})
        attrs = {"result_type": "XYResult", "model": "XY", "N": int(self.N), "T": float(self.T),
                 "J": float(self.J), "h": float(self.h), "sweeps": int(self.sweeps), "burn_in": int(self.burn_in),
                 "algorithm": str(self.algorithm), "init": str(self.init), "measure_every": int(self.measure_every),
                 "seed": repr(self.seed)}
        if self.L is not None:
            attrs["L"] = int(self.L)
        if self.delta is not None:
            attrs["delta"] = float(self.delta)
        coords = {"sweep": self.measure_every * np.arange(1, self.n_samples + 1)}
        return xr.Dataset(data, coords=coords, attrs=attrs)

    @classmethod
    def _from_dataset(cls, ds):
        get = (lambda k: ds[k].values.astype(np.float64) if k in ds.data_vars else None)
        return cls(L=_attr_int(ds, "L") if "L" in ds.attrs else None, N=_attr_int(ds, "N"),
                   T=_attr_float(ds, "T"), J=_attr_float(ds, "J"), h=_attr_float(ds, "h"),
                   sweeps=_attr_int(ds, "sweeps"), burn_in=_attr_int(ds, "burn_in"),
                   algorithm=str(ds.attrs["algorithm"]), init=str(ds.attrs["init"]),
                   measure_every=_attr_int(ds, "measure_every"), seed=_seed_from_attr(ds),
                   energy=get("energy"), mx=get("mx"), my=get("my"), helicity=get("helicity"),
                   vortex_density=get("vortex_density"), theta=get("theta"), acceptance=get("acceptance"),
                   cluster_sizes=get("cluster_sizes"),
                   delta=_attr_float(ds, "delta") if "delta" in ds.attrs else None)


# --------------------------------------------------------------------------
# Geometry
# --------------------------------------------------------------------------

def _lattice_structure(L):
    """CSR arrays of the L x L torus in checkerboard order (even L) and the site map ``pos``.

    Even L: position of site (i, j) = c N/2 + i L/2 + j // 2 with c = (i + j) mod 2,
    so each chunk is one row of one colour.  Odd L (Wolff only): row-major, one chunk.
    """
    N = L * L
    i, j = np.meshgrid(np.arange(L), np.arange(L), indexing="ij")
    if L % 2 == 0:
        c = (i + j) & 1
        pos = c * (N // 2) + i * (L // 2) + j // 2
        chunk_bounds = np.arange(0, N + 1, L // 2, dtype=np.int64)
        colour_chunks = np.array([0, L, 2 * L], dtype=np.int64)
    else:
        pos = i * L + j
        chunk_bounds = np.array([0, N], dtype=np.int64)
        colour_chunks = np.array([0, 1], dtype=np.int64)
    pos = pos.astype(np.int64)
    nbrs = np.stack([pos[(i + 1) % L, j], pos[(i - 1) % L, j], pos[i, (j + 1) % L], pos[i, (j - 1) % L]], axis=-1)
    indices = np.empty((N, 4), dtype=np.int64)
    indices[pos.ravel()] = nbrs.reshape(N, 4)
    indptr = np.arange(0, 4 * N + 1, 4, dtype=np.int64)
    return indptr, indices.ravel(), np.ones(4 * N), chunk_bounds, colour_chunks, pos


def _check_common(T, J, h, sweeps, burn_in, algorithm, seed, measure_every, delta):
    T = v.real("T", T, positive=True)
    _check_beta(T)
    J = v.real("J", J)
    _check_not_complex("h", h)
    h = v.real("h", h)
    sweeps = v.integer("sweeps", sweeps, low=1)
    burn_in = v.integer("burn_in", burn_in, low=0)
    measure_every = v.integer("measure_every", measure_every, low=1)
    if sweeps // measure_every < 2:
        raise ValueError(f"sweeps // measure_every must be >= 2 (samples for estimates), got sweeps={sweeps}, "
                         f"measure_every={measure_every}")
    if not isinstance(algorithm, str) or algorithm not in XY_ALGORITHMS:
        raise ValueError(f"algorithm must be one of {list(XY_ALGORITHMS)}, got {algorithm!r}")
    if algorithm == "wolff":
        if h != 0.0:
            raise ValueError(f"h must be 0 for algorithm='wolff' (the cluster algorithm has no field), got {h}")
        if J < 0:
            raise ValueError(f"J must be >= 0 for algorithm='wolff', got {J}")
        if delta is not None:
            raise ValueError("delta is a Metropolis parameter; leave it None for algorithm='wolff'")
    elif delta is not None:
        delta = v.real("delta", delta, positive=True)
        if delta > math.pi:
            raise ValueError(f"delta must be in (0, π] (radians; π proposes a uniform angle), got {delta}")
    return T, J, h, sweeps, burn_in, measure_every, delta


def _init_angles(init, shape, st, perm=None):
    """Initial angles in the caller's order (``shape``) and the name of the start."""
    n = int(np.prod(shape))
    if isinstance(init, str):
        v.choice("init", init, {"random", "ordered"})
        if init == "random":
            return K.random_angles(n, st).reshape(shape), init
        return np.zeros(shape), init
    _check_not_complex("init", init)
    try:
        arr = np.asarray(init, dtype=float)
    except (TypeError, ValueError):
        raise TypeError("init must be 'random', 'ordered' or an array of angles (radians)") from None
    if arr.shape != tuple(shape) or not np.all(np.isfinite(arr)):
        raise ValueError(f"init must be 'random', 'ordered' or a finite array of angles of shape {tuple(shape)}, "
                         f"got shape {arr.shape}")
    return np.mod(arr, 2 * np.pi).copy(), "array"


def _run(theta_pos, geometry, beta, J, h, algorithm, delta, burn_in, sweeps, measure_every, seq, measure, L, pos):
    """Run the kernel; returns (samples, acceptance or None, cluster sizes or None, delta or None)."""
    indptr, indices, weights, chunk_bounds, colour_chunks = geometry
    theta = np.ascontiguousarray(theta_pos, dtype=np.float64)
    cs = np.cos(theta)
    sn = np.sin(theta)
    n_samples = sweeps // measure_every
    samples = np.empty((n_samples, K.N_OBS))
    if algorithm == "metropolis":
        adapt = delta is None
        if adapt:
            delta = math.pi if J == 0 else min(math.pi, 2.0 * math.sqrt(1.0 / (beta * abs(J))))
        acc = np.empty(n_samples)
        run = K.run_metropolis_parallel if theta.shape[0] >= _PARALLEL_MIN_N else K.run_metropolis_serial
        delta = run(theta, cs, sn, indptr, indices, weights, chunk_bounds, colour_chunks, beta, J, h,
                    float(delta), adapt, burn_in, sweeps, measure_every, philox_key(seq), samples, acc,
                    measure, L, pos)
        return theta, samples, acc, None, float(delta)
    st = make_streams(seq, 1)[0]
    sizes = np.empty(n_samples)
    K.run_wolff(theta, cs, sn, indptr, indices, weights, beta, J, burn_in, sweeps, measure_every, st[0],
                samples, sizes, measure, L, pos)
    return theta, samples, None, sizes, None


def simulate_xy(L, T, *, J=1.0, h=0.0, sweeps=10000, burn_in=1000, algorithm="metropolis", init="random",
                seed=None, measure_every=1, delta=None):
    r"""Simulate the XY model on the periodic L×L square lattice.

    Parameters
    ----------
    L : int, 2 <= L <= 16384
        Linear size; even for ``"metropolis"`` (checkerboard).
    T : float > 0
        Temperature in units of J/k_B (T_KT ≈ 0.8929 for J = 1).
    J : float, default 1
        Coupling (energy); any sign for Metropolis, J >= 0 for Wolff.
    h : float, default 0
        Field along x (energy); 0 for Wolff.
    sweeps : int >= 2, default 10000
        Recorded sweeps after the burn-in (Wolff: cluster steps).
    burn_in : int >= 0, default 1000
        Sweeps (Wolff: cluster steps) discarded first; Metropolis adapts δ
        during them when ``delta`` is None.
    algorithm : {"metropolis", "wolff"}
    init : {"random", "ordered"} or array (L, L) of angles, default "random"
        "ordered" starts with every θ = 0.
    seed : int >= 0, SeedSequence or None
        Root seed; None draws fresh entropy (reported in the result).
    measure_every : int >= 1, default 1
        Take a sample after every ``measure_every``-th recorded sweep
        (``sweeps // measure_every`` samples, at least 2).
    delta : float in (0, π] or None, default None
        Metropolis step (radians); None adapts it during burn-in (module docstring).

    Returns
    -------
    XYResult

    Raises
    ------
    ValueError, TypeError
        For a bad argument, naming it.
    MemoryError
        If the lattice and the series would not fit in memory.

    Examples
    --------
    At low T the energy per spin follows spin-wave theory, -2J + T/2 + O(T²):

    >>> from utacbook.models import simulate_xy
    >>> r = simulate_xy(16, 0.3, sweeps=300, burn_in=100, algorithm="wolff", init="ordered", seed=2)
    >>> e, de = r.mean_energy                      # spin waves: -2J + T/2 = -1.85
    >>> bool(abs(e + 1.85) < 0.02), r.cluster_sizes.shape
    (True, (300,))
    """
    L = v.integer("L", L, low=2, high=16384)
    T, J, h, sweeps, burn_in, measure_every, delta = _check_common(T, J, h, sweeps, burn_in, algorithm, seed,
                                                                   measure_every, delta)
    if algorithm == "metropolis" and L % 2:
        raise ValueError(f"L must be even for algorithm='metropolis' (checkerboard), got {L}")
    N = L * L
    _check_energy_scale("J", abs(J), 2 * N, "|J| x (2N bonds)")
    _check_energy_scale("h", abs(h), N, "|h| x N")
    n_samples = sweeps // measure_every
    check_memory(160 * N + 48 * n_samples + 64 * N,
                 what=f"simulate_xy(L={L}, sweeps={sweeps}, measure_every={measure_every})")
    seq, seed_used = resolve_seed(seed)
    init_seq, run_seq = seq.spawn(2)
    st = make_streams(init_seq, 1)[0]
    theta0, init_name = _init_angles(init, (L, L), st[0])
    indptr, indices, weights, cb, cc, pos = _lattice_structure(L)
    theta_pos = np.empty(N)
    theta_pos[pos.ravel()] = theta0.ravel()
    theta, samples, acc, sizes, delta = _run(theta_pos, (indptr, indices, weights, cb, cc), 1.0 / T, J, h,
                                             algorithm, delta, burn_in, sweeps, measure_every, run_seq, 1, L, pos)
    return XYResult(L=L, N=N, T=T, J=J, h=h, sweeps=sweeps, burn_in=burn_in, algorithm=algorithm,
                    init=init_name, measure_every=measure_every, seed=seed_used,
                    energy=samples[:, 0].copy(), mx=samples[:, 1].copy(), my=samples[:, 2].copy(),
                    helicity=samples[:, 3].copy(), vortex_density=samples[:, 4].copy(),
                    theta=theta[pos], acceptance=acc, cluster_sizes=sizes, delta=delta)


def simulate_xy_graph(graph, T, *, J=1.0, h=0.0, sweeps=10000, burn_in=1000, algorithm="metropolis",
                      init="random", seed=None, measure_every=1, delta=None, weight="weight"):
    r"""Simulate the XY model on any undirected graph (couplings J w_ij).

    Parameters
    ----------
    graph : networkx.Graph, scipy.sparse matrix, 2-D ndarray or IsingGraph
        As for :func:`utacbook.models.prepare_graph` (which colours and
        relabels it; pass a prepared graph for repeated runs).  Weights w_ij
        may have either sign for Metropolis; Wolff needs J w_ij >= 0.
    T, J, h, sweeps, burn_in, algorithm, seed, measure_every, delta
        As for :func:`simulate_xy` (the field is uniform, along x).
    init : {"random", "ordered"} or array (N,) of angles in node order
    weight : str or None, default "weight"
        networkx edge attribute holding w_ij.

    Returns
    -------
    XYResult
        ``L`` is None, ``theta`` has shape (N,) in node order, and the
        lattice-only series ``helicity`` and ``vortex_density`` are NaN.

    Examples
    --------
    On an open chain the bonds are independent: the energy per bond is
    -J I₁(J/T)/I₀(J/T).

    >>> import networkx as nx
    >>> from scipy.special import i0, i1
    >>> from utacbook.models import simulate_xy_graph
    >>> r = simulate_xy_graph(nx.path_graph(50), 1.0, sweeps=2000, burn_in=200, seed=3)
    >>> e, de = r.mean_energy
    >>> exact = -(49 / 50) * i1(1.0) / i0(1.0)
    >>> bool(abs(e - exact) < 4 * de)
    True
    """
    T, J, h, sweeps, burn_in, measure_every, delta = _check_common(T, J, h, sweeps, burn_in, algorithm, seed,
                                                                   measure_every, delta)
    g = prepare_graph(graph, weight=weight)
    N = _check_ising_graph(g)
    w_abs = float(np.sum(np.abs(g.weights))) / 2.0
    _check_energy_scale("J", abs(J), max(w_abs, 1.0), "|J| x sum |w_ij|")
    _check_energy_scale("h", abs(h), N, "|h| x N")
    if algorithm == "wolff" and J * float(np.min(g.weights, initial=0.0)) < 0:
        raise ValueError("algorithm='wolff' needs J w_ij >= 0 on every edge (graph has weights of the other sign)")
    n_samples = sweeps // measure_every
    check_memory(64 * N + 48 * n_samples, what=f"simulate_xy_graph(N={N}, sweeps={sweeps})")
    seq, seed_used = resolve_seed(seed)
    init_seq, run_seq = seq.spawn(2)
    st = make_streams(init_seq, 1)[0]
    theta0, init_name = _init_angles(init, (N,), st[0])
    geometry = (g.indptr, g.indices, g.weights, g.chunk_bounds, g.colour_chunks)
    dummy_pos = np.zeros((1, 1), dtype=np.int64)
    theta, samples, acc, sizes, delta = _run(g.to_internal(theta0), geometry, 1.0 / T, J, h, algorithm, delta,
                                             burn_in, sweeps, measure_every, run_seq, 0, 0, dummy_pos)
    return XYResult(L=None, N=N, T=T, J=J, h=h, sweeps=sweeps, burn_in=burn_in, algorithm=algorithm,
                    init=init_name, measure_every=measure_every, seed=seed_used,
                    energy=samples[:, 0].copy(), mx=samples[:, 1].copy(), my=samples[:, 2].copy(),
                    helicity=samples[:, 3].copy(), vortex_density=samples[:, 4].copy(),
                    theta=g.to_nodes(theta), acceptance=acc, cluster_sizes=sizes, delta=delta)
