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
    ``utacbook._kernels.ising``).
``"metropolis_msc"``
    The same checkerboard Metropolis chain, multi-spin coded: 64 spins of the
    lattice share one 64-bit word (the lattice is cut into 64 strips of
    L/64 rows; bit b of a word holds a site of strip b), neighbour tests are
    bitwise, and each of the 64 lanes gets its own acceptance decision (a
    53-bit uniform compared with the acceptance probability bit by bit).
    h = 0, J > 0 and L a multiple of 128 only.  The samples follow the same
    Markov chain law as ``"metropolis"``, not the same random numbers.
``"wolff"``
    Single-cluster algorithm (h = 0 and J >= 0 only).  **One "sweep" is one
    cluster flip**; the per-step cluster sizes are returned
    (``IsingResult.cluster_sizes``) so that costs can be compared per
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
``utacbook._kernels.graph``).  :func:`prepare_graph` does this once for
repeated runs.

Field ramps
-----------
A field array with one value per recorded sweep (``h=np.linspace(-1, 1,
sweeps)``) drives the state along; ``h=values, sweeps_per_field=k`` holds each
value for ``k`` sweeps and is the very same run as ``h=np.repeat(values, k)``
(``sweeps`` is then ``len(values) * k``).  The equilibrium estimators of a
result (means, susceptibility, specific heat, Binder cumulant, τ_int) assume
a stationary series and raise ``ValueError`` on a ramp run (a field that
changes from sweep to sweep); the raw series ``energy``, ``magnetization`` and
``h`` stay available.  A warning would let a meaningless number into a table.

Results
-------
:class:`IsingResult`, :class:`GraphResult` (and the Potts result) print as one
short line (parameters, seed, main estimates), export to xarray
(``to_xarray()``: dimension ``sweep``, plus ``row``/``col`` or ``node``;
parameters and ``repr(seed)`` in ``attrs``) and pandas (``to_dataframe()``:
the per-sweep series), and ``save(path)`` writes a netCDF-3 file (xarray,
``engine="scipy"``: one portable file, no extra dependency) that
``IsingResult.load(path)`` (``GraphResult.load``) reads back exactly: every
series, the final state, the parameters, the seed (stored as its ``repr``,
as fresh-entropy seeds exceed 64 bits) and, for graphs, the prepared graph.

Guards
------
Couplings and fields so large that an energy would overflow (``|J|`` times the
number of bonds -- on a graph, times the sum of ``|w_ij|`` -- or max ``|h|`` times N,
above 5e299), temperatures so small that 1/T overflows, complex inputs and runs that do not fit in memory
(``utacbook._memory.check_memory``, before anything is allocated) are
refused up front with an error naming the parameter.  A whole run is one
kernel call, so there is no progress bar.
"""

from __future__ import annotations

import ast
import math
import numbers
import os
import warnings
from dataclasses import dataclass, field

import numpy as np

from utacbook._kernels import ising as K
from utacbook import _validate as v
from utacbook._memory import check_memory
from utacbook.stats import _mcstats as mcstats
from utacbook._kernels.rng import make_streams, philox_key, resolve_seed

__all__ = ["simulate_lattice", "IsingResult", "LATTICE_ALGORITHMS", "simulate_graph",
           "prepare_graph", "IsingGraph", "GraphResult", "GRAPH_ALGORITHMS"]

LATTICE_ALGORITHMS = ("metropolis", "heatbath", "wolff", "metropolis_msc")

#: lattices at least this large use the parallel checkerboard driver (the serial one
#: gives the identical run).  Measured on 2 cores, 2 threads (ns per spin update,
#: serial / parallel): L = 64: 1.8 / 3.4, L = 128: 1.3 / 1.5, L = 256: 1.1 / 0.8,
#: L = 512: 1.0 / 0.5 -- two barriers per sweep cost more than they save below 256.
_PARALLEL_MIN_L = 256
#: the same for the multi-spin-coded kernel (L/64 word-rows are shared out):
#: L = 128: 0.79 / 0.67, L = 256: 0.80 / 0.48, L = 512: 0.81 / 0.43 ns per spin
_PARALLEL_MIN_L_MSC = 256


#: energies are refused when ``|J|`` x (number of bonds) or ``|h|`` x N exceeds this
#: (their sum then stays below 1e300, far from float overflow at 1.8e308)
_ENERGY_LIMIT = 5e299
#: sweeps up to which a result's repr shows error bars (τ_int costs an FFT)
_REPR_ERRORS_MAX = 1_000_000


def _check_beta(T, name="T"):
    """Refuse a temperature so small (subnormal) that 1/T overflows to inf."""
    if not math.isfinite(1.0 / T):
        raise ValueError(f"{name} is so small that 1/{name} overflows (got {name}={T!r}); "
                         f"use {name} >= 1e-300")


def _check_energy_scale(name, magnitude, count, what):
    """Refuse ``magnitude * count`` (``|J|`` x bonds, ``|h|`` x spins) beyond :data:`_ENERGY_LIMIT`."""
    scale = float(magnitude) * float(count)
    if not scale <= _ENERGY_LIMIT:
        raise ValueError(f"{name} is too large in magnitude ({magnitude:.3g}): {what} would reach "
                         f"{scale:.3g} and the energies overflow; |{name}| x {count} must stay below "
                         f"{_ENERGY_LIMIT:.0e} (rescale {name} and T together)")


def _check_not_complex(name, value):
    """Refuse complex input before a float conversion silently drops its imaginary part."""
    if np.iscomplexobj(value):
        raise TypeError(f"{name} must be real, got complex values (the imaginary part would be dropped)")


def _ndim(value, name="h"):
    """``np.ndim`` of an argument, or TypeError naming it (ragged lists, odd objects)."""
    try:
        return np.ndim(value)
    except Exception as exc:
        raise TypeError(f"{name} must be a number or a rectangular array of numbers ({exc})") from None


def _field_array(value, name="h"):
    """A per-sweep/per-node field array as finite float64, refusing complex input."""
    _check_not_complex(name, value)
    return v.real_array(name, value)


def _sweeps_and_ramp(h, sweeps, sweeps_per_field):
    """Resolve ``sweeps`` (None: 1000) and expand ``h=values, sweeps_per_field=k``.

    Returns ``(h, sweeps)`` where ``h`` is ``np.repeat(values, k, axis=0)`` when
    ``sweeps_per_field`` is given (``sweeps`` must then be None or
    ``len(values) * k``), else ``h`` unchanged.
    """
    if sweeps_per_field is None:
        return h, (1000 if sweeps is None else v.integer("sweeps", sweeps, low=1))
    k = v.integer("sweeps_per_field", sweeps_per_field, low=1)
    if _ndim(h) == 0:
        raise ValueError("sweeps_per_field needs h as an array of field values (one per step of the "
                         f"ramp, each held for sweeps_per_field={k} sweeps), got the scalar h={h!r}")
    values = _field_array(h)
    if values.ndim not in (1, 2) or values.shape[0] < 1:
        raise ValueError(f"with sweeps_per_field, h must hold one value (or row) per ramp step, "
                         f"got shape {values.shape}")
    n = values.shape[0] * k
    if sweeps is not None:
        sweeps = v.integer("sweeps", sweeps, low=1)
        if sweeps != n:
            raise ValueError(f"sweeps_per_field={k} with {values.shape[0]} field values gives "
                             f"{n} recorded sweeps, but sweeps={sweeps}; leave sweeps out")
    return values, n


def _seed_repr(seed, limit=80):
    s = repr(seed)
    return s if len(s) <= limit else s[:limit - 3] + "..."


def _num(x):
    """A parameter for a repr: short, exact for small integers."""
    if isinstance(x, numbers.Real) and not isinstance(x, bool):
        return f"{float(x):.6g}"
    return repr(x)


def _est(pair):
    """'value ± error' of an estimator pair."""
    val, err = pair
    return f"{val:.6g} ± {err:.2g}"


class _Estimators:
    """Equilibrium estimators shared by lattice and graph results.

    Needs the attributes ``energy``, ``magnetization`` (per-sweep series, per
    spin), ``T``, ``N`` and ``_cache``.  Every estimator returns
    ``(value, error)``; errors account for autocorrelation (τ_int for means,
    jackknife over bins much longer than τ_int for nonlinear quantities, see
    :mod:`utacbook.stats`).  With a field ramp these equilibrium estimators
    are not meaningful, and they raise ``ValueError`` (see :meth:`is_ramp`).

    The result is a plain mutable object: setting an attribute clears the
    cached estimates, and an estimator first checks that the series, ``T`` and
    ``sweeps`` still describe one run (``ValueError`` naming the attribute).
    """

    def __setattr__(self, name, value):
        cache = self.__dict__.get("_cache")
        if cache and name != "_cache":
            cache.clear()
        object.__setattr__(self, name, value)

    # -- consistency of a (possibly mutated) result -------------------------

    def _check_state(self):
        """Raise ValueError/TypeError naming the attribute if the result is inconsistent."""
        cls = type(self).__name__
        v.real(f"{cls}.T", self.T, positive=True)
        sweeps = v.integer(f"{cls}.sweeps", self.sweeps, low=1)
        for name in ("energy", "magnetization"):
            x = getattr(self, name)
            if not isinstance(x, np.ndarray) or x.dtype.kind != "f" or x.ndim != 1:
                raise TypeError(f"{cls}.{name} must be a 1-D float array (the per-sweep series), "
                                f"got {type(x).__name__} {getattr(x, 'dtype', '')}".rstrip())
            if x.shape[0] != sweeps:
                raise ValueError(f"{cls}.{name} has {x.shape[0]} entries but {cls}.sweeps = {sweeps}")
            if not np.all(np.isfinite(x)):
                raise ValueError(f"{cls}.{name} contains NaN or inf")
        N = self.N
        if isinstance(N, bool) or not isinstance(N, numbers.Integral) or N < 1:
            raise ValueError(f"{cls}.N (number of spins) must be a positive integer, got {N!r}")

    def is_ramp(self):
        """True if the field changes from sweep to sweep (a ramp run): no equilibrium estimates."""
        return False

    def _refuse_ramp(self, what):
        if self.is_ramp():
            raise ValueError(
                f"{what} is an equilibrium estimate and meaningless for a field ramp: this run's "
                "field h changes from sweep to sweep; use the series (energy, magnetization, h) "
                "directly, or run at fixed h")

    def _memo(self, key, fn, what):
        if key not in self._cache:
            self._check_state()
            self._refuse_ramp(what)
            self._cache[key] = fn()
        return self._cache[key]

    @property
    def mean_energy(self):
        """⟨e⟩ per spin, with error (τ_int-corrected)."""
        return self._memo("e", lambda: mcstats.mean_with_error(self.energy)[:2], "mean_energy")

    @property
    def mean_magnetization(self):
        """⟨m⟩ per spin (signed), with error."""
        return self._memo("m", lambda: mcstats.mean_with_error(self.magnetization)[:2],
                          "mean_magnetization")

    @property
    def abs_magnetization(self):
        """⟨``|m|``⟩, with error (τ_int-corrected)."""
        return self._memo("am", lambda: mcstats.mean_with_error(np.abs(self.magnetization))[:2],
                          "abs_magnetization")

    @property
    def susceptibility(self):
        """χ = N(⟨m²⟩ − ⟨``|m|``⟩²)/T, with jackknife error."""
        return self._memo("chi", lambda: mcstats.susceptibility(self.magnetization, self.T, self.N),
                          "susceptibility")

    @property
    def specific_heat(self):
        """C = N(⟨e²⟩ − ⟨e⟩²)/T² per spin, with jackknife error."""
        return self._memo("C", lambda: mcstats.specific_heat(self.energy, self.T, self.N),
                          "specific_heat")

    @property
    def binder(self):
        """Binder cumulant U = 1 − ⟨m⁴⟩/(3⟨m²⟩²), with jackknife error."""
        return self._memo("U", lambda: mcstats.binder_cumulant(self.magnetization), "binder")

    @property
    def tau_int(self):
        """Integrated autocorrelation times (in sweeps) of e and ``|m|``: dict."""
        return self._memo("tau", lambda: {
            "energy": mcstats.integrated_autocorrelation_time(self.energy),
            "abs_magnetization": mcstats.integrated_autocorrelation_time(
                np.abs(self.magnetization)),
        }, "tau_int")

    # -- short repr ----------------------------------------------------------

    def _repr_estimates(self, m_name="<|m|>", m_attr="abs_magnetization"):
        """'<e>=..., <``|m|``>=...' (with errors when cheap), or the last values of a ramp."""
        try:
            self._check_state()
            if self.is_ramp():
                return (f"e[-1]={float(self.energy[-1]):.6g}, "
                        f"m[-1]={float(self.magnetization[-1]):.6g}")
            if 2 <= self.sweeps <= _REPR_ERRORS_MAX:
                return f"<e>={_est(self.mean_energy)}, {m_name}={_est(getattr(self, m_attr))}"
            m = self.magnetization if m_attr == "mean_magnetization" else np.abs(self.magnetization)
            return f"<e>={float(np.mean(self.energy)):.6g}, {m_name}={float(np.mean(m)):.6g}"
        except Exception as exc:  # a repr must not raise, even for a mutated result
            return f"(estimates unavailable: {type(exc).__name__})"


class _Exports:
    """``to_xarray``, ``to_dataframe``, ``save`` and ``load`` shared by the result classes.

    Subclasses provide ``_dataset(for_file=...)`` (an :class:`xarray.Dataset`
    with ``attrs["result_type"]`` = the class name) and ``_from_dataset(ds)``.
    Files are netCDF-3 (64-bit offsets) written and read by xarray's
    ``engine="scipy"``: one portable file, no extra dependency.  netCDF-3
    has no 64-bit integers, so integer arrays are stored as int32 and cast
    back on loading (exact: they are small indices and counts).
    """

    def to_dataframe(self):
        """The per-sweep series as a :class:`pandas.DataFrame` (index ``sweep``; parameters in ``attrs``)."""
        import pandas as pd
        ds = self.to_xarray()
        cols = {k: ds[k].values for k in ds.data_vars if ds[k].dims == ("sweep",)}
        df = pd.DataFrame(cols, index=pd.Index(ds["sweep"].values, name="sweep"))
        df.attrs.update(ds.attrs)
        return df

    def save(self, path):
        """Write the result to the netCDF file ``path`` (read it back with ``load``).

        Parameters
        ----------
        path : str or os.PathLike
            File to write (overwritten).  The format is netCDF-3 via xarray's
            ``engine="scipy"``; ``load`` restores the result exactly.
        """
        path = _check_path(path)
        ds = self._dataset(for_file=True)
        # netCDF-3 attributes hold 32-bit integers: larger ones (N of a huge lattice) go as text
        ds.attrs = {k: (str(a) if isinstance(a, int) and not -2 ** 31 <= a < 2 ** 31 else a)
                    for k, a in ds.attrs.items()}
        ds.to_netcdf(path, engine="scipy", format="NETCDF3_64BIT")

    @classmethod
    def load(cls, path):
        """Read a result written by ``save``; the same series, state, parameters and seed.

        Raises ``ValueError`` naming ``path`` if the file holds no saved result of this class.
        """
        import xarray as xr
        path = _check_path(path)
        try:
            ds = xr.load_dataset(path, engine="scipy")
        except (OSError, TypeError, ValueError) as exc:
            if isinstance(exc, FileNotFoundError):
                raise
            raise ValueError(f"path {os.fspath(path)!r} is not a netCDF file written by "
                             f"{cls.__name__}.save ({exc})") from None
        kind = ds.attrs.get("result_type")
        if kind != cls.__name__:
            raise ValueError(f"path {os.fspath(path)!r} contains "
                             f"{'a saved ' + str(kind) if kind else 'no saved utacbook result'}, "
                             f"not a saved {cls.__name__}")
        return cls._from_dataset(ds)


def _check_path(path):
    if not isinstance(path, (str, os.PathLike)):
        raise TypeError(f"path must be a str or os.PathLike, got {type(path).__name__} {path!r}")
    return path


def _attr_int(ds, name):
    return int(ds.attrs[name])


def _attr_float(ds, name):
    return float(ds.attrs[name])


def _seed_from_attr(ds):
    return ast.literal_eval(str(ds.attrs["seed"]))


def _h_summary(h, kind):
    """Short text for a field: the value, or the range of a per-node field or ramp."""
    if np.ndim(h) == 0:
        return _num(h)
    a = np.asarray(h)
    if a.size == 0 or a.dtype.kind not in "biuf":
        return f"array{a.shape}"
    lo, hi = float(np.min(a)), float(np.max(a))
    if kind == "ramp":
        first = a.reshape(a.shape[0], -1)[0].mean()
        last = a.reshape(a.shape[0], -1)[-1].mean()
        return f"ramp({first:.4g} → {last:.4g}, range [{lo:.4g}, {hi:.4g}])"
    if lo == hi:
        return _num(lo)
    return f"{kind}[{lo:.4g}, {hi:.4g}]"


@dataclass(eq=False, repr=False)
class IsingResult(_Estimators, _Exports):
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
    With a field ramp these equilibrium estimators are not meaningful and
    raise ``ValueError`` (:meth:`is_ramp`).

    ``repr`` is one short line; ``to_xarray()``, ``to_dataframe()``,
    ``save(path)`` and ``IsingResult.load(path)`` export and store the run
    (see the module docstring).

    Examples
    --------
    On the 4 x 4 torus the estimates agree with exact enumeration
    (:func:`utacbook.theory.enumerate_lattice`, 2**16 states) within their
    errors:

    >>> from utacbook.models import IsingResult, simulate_lattice
    >>> from utacbook.theory import enumerate_lattice
    >>> r = simulate_lattice(4, 2.5, sweeps=4000, burn_in=100, seed=1)
    >>> r                                                  # doctest: +ELLIPSIS
    IsingResult(L=4, T=2.5, J=1, h=0, algorithm='metropolis', sweeps=4000, burn_in=100, seed=1; <e>=...)
    >>> exact = enumerate_lattice(4, 2.5)
    >>> e, de = r.mean_energy
    >>> m, dm = r.abs_magnetization
    >>> bool(abs(e - exact["energy"]) < 3 * de), bool(abs(m - exact["abs_magnetization"]) < 3 * dm)
    (True, True)
    >>> r.to_dataframe().shape, r.to_dataframe().columns.tolist()
    ((4000, 2), ['energy', 'magnetization'])
    >>> import os, tempfile
    >>> with tempfile.TemporaryDirectory() as d:           # exact round trip through a file
    ...     r.save(os.path.join(d, "run.nc"))
    ...     back = IsingResult.load(os.path.join(d, "run.nc"))
    >>> back.mean_energy == r.mean_energy, back.seed
    (True, 1)
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

    def is_ramp(self):
        """True if ``h`` is a per-sweep array that is not constant (a field ramp)."""
        h = self.h
        if _ndim(h, "IsingResult.h") == 0:
            return False
        a = np.asarray(h)
        return bool(a.size > 1 and np.any(a != a.reshape(-1)[0]))

    def _check_state(self):
        v.integer("IsingResult.L", self.L, low=2)
        super()._check_state()

    def __repr__(self):
        try:
            kind = "ramp" if self.is_ramp() else "h"
            head = (f"IsingResult(L={self.L!r}, T={_num(self.T)}, J={_num(self.J)}, "
                    f"h={_h_summary(self.h, kind)}, algorithm={self.algorithm!r}, "
                    f"sweeps={self.sweeps!r}, burn_in={self.burn_in!r}, seed={_seed_repr(self.seed)}")
        except Exception as exc:  # pragma: no cover (a repr must not raise)
            return f"IsingResult(<inconsistent: {type(exc).__name__}>)"
        extra = ""
        if self.cluster_sizes is not None:
            try:
                extra = f", <cluster>={float(np.mean(self.cluster_sizes)):.4g}"
            except Exception:
                extra = ""
        return f"{head}; {self._repr_estimates()}{extra})"

    def to_xarray(self):
        """The run as an :class:`xarray.Dataset`.

        Data variables ``energy`` and ``magnetization`` (dimension ``sweep``,
        recorded sweeps 0..sweeps-1 after the burn-in), ``spins`` (``row``,
        ``col``), ``cluster_sizes`` (Wolff) and ``h`` (``sweep``, for an array
        field); ``attrs`` hold ``L``, ``N``, ``T``, ``J``, ``h`` (scalar
        field), ``sweeps``, ``burn_in``, ``algorithm``, ``init`` and
        ``seed`` (its ``repr``: pass ``ast.literal_eval(attrs["seed"])`` as
        ``seed`` to repeat the run).  Arrays are copies.
        """
        return self._dataset()

    def _dataset(self, *, for_file=False):
        import xarray as xr
        self._check_state()
        L = self.L
        spins = np.asarray(self.spins)
        if spins.shape != (L, L):
            raise ValueError(f"IsingResult.spins must have shape (L, L) = ({L}, {L}), got {spins.shape}")
        data = {
            "energy": ("sweep", self.energy.copy(), {"long_name": "energy per spin E/N", "units": "J"}),
            "magnetization": ("sweep", self.magnetization.copy(), {"long_name": "magnetisation per spin M/N"}),
            "spins": (("row", "col"), spins.astype(np.int8), {"long_name": "final configuration (+-1)"}),
        }
        if self.cluster_sizes is not None:
            data["cluster_sizes"] = ("sweep", np.asarray(self.cluster_sizes, dtype=np.int64).copy(),
                                     {"long_name": "spins in the flipped Wolff cluster"})
        attrs = {"result_type": "IsingResult", "model": "Ising, periodic square lattice", "L": L,
                 "N": L * L, "T": float(self.T), "J": float(self.J), "sweeps": int(self.sweeps),
                 "burn_in": int(self.burn_in), "algorithm": str(self.algorithm), "init": str(self.init),
                 "seed": repr(self.seed)}
        if np.ndim(self.h) == 0:
            attrs["h"] = float(self.h)
        else:
            h = np.asarray(self.h, dtype=float)
            if h.shape != (self.sweeps,):
                raise ValueError(f"IsingResult.h must be a scalar or have shape (sweeps,) = "
                                 f"({self.sweeps},), got {h.shape}")
            data["h"] = ("sweep", h.copy(), {"long_name": "field of each recorded sweep", "units": "J"})
        return xr.Dataset(data, coords={"sweep": np.arange(self.sweeps)}, attrs=attrs)

    @classmethod
    def _from_dataset(cls, ds):
        h = ds["h"].values.astype(np.float64) if "h" in ds.data_vars else _attr_float(ds, "h")
        sizes = ds["cluster_sizes"].values.astype(np.int64) if "cluster_sizes" in ds.data_vars else None
        return cls(L=_attr_int(ds, "L"), T=_attr_float(ds, "T"), J=_attr_float(ds, "J"), h=h,
                   sweeps=_attr_int(ds, "sweeps"), burn_in=_attr_int(ds, "burn_in"),
                   algorithm=str(ds.attrs["algorithm"]), init=str(ds.attrs["init"]),
                   seed=_seed_from_attr(ds), energy=ds["energy"].values.astype(np.float64),
                   magnetization=ds["magnetization"].values.astype(np.float64),
                   spins=np.ascontiguousarray(ds["spins"].values, dtype=np.int8), cluster_sizes=sizes)


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


def simulate_lattice(L, T, *, J=1.0, h=0.0, sweeps=None, burn_in=100, algorithm="metropolis",
                     init="random", seed=None, zero_cost_accept=K.ZERO_COST_ACCEPT,
                     sweeps_per_field=None):
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
        External field (``|h|`` N below 5e299).  An array gives one value per
        recorded sweep (a field ramp; the state is carried along); the burn-in
        sweeps use ``h[0]``.  With ``sweeps_per_field`` the array holds one
        value per step of the ramp.  Wolff requires h = 0.
    sweeps : int >= 1, default 1000
        Recorded sweeps (Wolff: recorded cluster steps).  With
        ``sweeps_per_field`` it defaults to ``len(h) * sweeps_per_field`` (and
        must equal it if given).
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
    sweeps_per_field : int >= 1 or None, default None
        Hold each value of the array ``h`` for this many recorded sweeps:
        ``h=values, sweeps_per_field=k`` is exactly the run
        ``h=np.repeat(values, k)`` (``result.h`` is that repeated array).

    Returns
    -------
    IsingResult
        Series, final state, parameters, seed and estimators; the
        equilibrium estimators raise ``ValueError`` for a field ramp.

    Raises
    ------
    ValueError, TypeError
        For a bad argument, naming it (also for J or h so large that the
        energies would overflow, and T so small that 1/T overflows).
    MemoryError
        If the lattice and the series would not fit in memory (checked
        before anything is allocated).

    Examples
    --------
    >>> from utacbook.models import simulate_lattice
    >>> r = simulate_lattice(16, 2.0, sweeps=200, burn_in=100, seed=1)
    >>> r.energy.shape, r.spins.shape
    ((200,), (16, 16))
    >>> e, de = r.mean_energy
    >>> bool(-2.0 < e < -1.5), bool(0 < de < 0.05)
    (True, True)
    >>> len(repr(r)) < 400
    True

    A field ramp of five values held for ten sweeps each:

    >>> ramp = simulate_lattice(16, 2.0, h=[-1.0, -0.5, 0.0, 0.5, 1.0], sweeps_per_field=10,
    ...                         burn_in=20, algorithm="heatbath", init="down", seed=2)
    >>> ramp.sweeps, bool(ramp.magnetization[0] < -0.5 < 0.5 < ramp.magnetization[-1])
    (50, True)
    >>> ramp.is_ramp()
    True
    """
    L = v.integer("L", L, low=2, high=65536)
    T = v.real("T", T, positive=True)
    _check_beta(T)
    J = v.real("J", J)
    zero_cost_accept = v.real("zero_cost_accept", zero_cost_accept)
    if not 0.0 < zero_cost_accept <= 1.0:
        raise ValueError(f"zero_cost_accept must be in (0, 1], got {zero_cost_accept}")
    h, sweeps = _sweeps_and_ramp(h, sweeps, sweeps_per_field)
    burn_in = v.integer("burn_in", burn_in, low=0)
    if not isinstance(algorithm, str):
        raise ValueError(f"algorithm must be one of {sorted(LATTICE_ALGORITHMS)}, got {algorithm!r}")
    v.choice("algorithm", algorithm, set(LATTICE_ALGORITHMS))
    N = L * L
    _check_energy_scale("J", abs(J), 2 * N, "|J| x (2N bonds)")
    coef = {"wolff": 26, "metropolis_msc": 3}.get(algorithm, 10)
    check_memory(coef * N + 160 * L + 8 * (burn_in + sweeps) + 32 * sweeps,
                 what=f"simulate_lattice(L={L}, sweeps={sweeps}, burn_in={burn_in}, algorithm={algorithm!r})")
    if _ndim(h) == 0:
        h_val = v.real("h", h)
        _check_energy_scale("h", abs(h_val), N, "|h| x N")
        h_seq = np.full(burn_in + sweeps, h_val)
        h_out = h_val
    else:
        h_arr = _field_array(h)
        if h_arr.ndim != 1:
            raise ValueError(f"h must be 1-dimensional (one value per sweep), got shape {h_arr.shape}")
        if sweeps_per_field is not None:
            h_arr = np.repeat(h_arr, sweeps_per_field)
        if h_arr.shape[0] != sweeps:
            raise ValueError(f"h must be a scalar or have length sweeps={sweeps}, "
                             f"got length {h_arr.shape[0]}")
        _check_energy_scale("h", float(np.max(np.abs(h_arr))), N, "max |h| x N")
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

    Examples
    --------
    The periodic 4 x 4 lattice is bipartite: two colours, every degree 4.

    >>> import numpy as np
    >>> from utacbook.models import lattice_graph, prepare_graph
    >>> g = prepare_graph(lattice_graph(4))
    >>> g
    IsingGraph(N=16, n_edges=32, n_colours=2, mean_degree=4)
    >>> g.degree.tolist() == [4] * 16, g.perm[:4].tolist()        # internal order: colour by colour
    (True, [0, 2, 5, 7])
    >>> x = np.arange(16.0)
    >>> bool((g.to_nodes(g.to_internal(x)) == x).all())
    True
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


def _nx_weight(graph, weight):
    """Check the networkx edge attribute ``weight``; return the name to use, or None for w = 1.

    ``None`` means unit weights.  The default name ``"weight"`` on a graph
    none of whose edges carries it also means unit weights (an unweighted
    graph).  Otherwise every edge must carry the attribute, as a real number.
    """
    if weight is None:
        return None
    n_edges = 0
    n_with = 0
    for a, b, d in graph.edges(data=True):
        n_edges += 1
        if weight in d:
            n_with += 1
            w = d[weight]
            if not isinstance(w, (numbers.Real, np.bool_)):
                raise TypeError(f"weight: the edge attribute {weight!r} must be a real number on every "
                                f"edge, got {type(w).__name__} {w!r} on edge ({a!r}, {b!r})")
    if n_with == 0:
        if weight == "weight" or n_edges == 0:
            return None
        raise ValueError(f"weight={weight!r}: no edge of the graph carries this attribute; name the "
                         "attribute that holds the couplings, or pass weight=None for unit weights")
    if n_with < n_edges:
        raise ValueError(f"weight={weight!r}: only {n_with} of the {n_edges} edges carry this attribute; "
                         "give every edge a weight, or pass weight=None for unit weights")
    return weight


def _adjacency_csr(graph, weight):
    """(CSR float64 adjacency, node list or None) from a networkx graph, sparse or dense matrix."""
    import scipy.sparse as sp
    try:
        import networkx as nx
    except ImportError:  # pragma: no cover
        nx = None
    if weight is not None and not isinstance(weight, str):
        raise TypeError(f"weight must be the name (str) of an edge attribute or None, "
                        f"got {type(weight).__name__} {weight!r}")
    if nx is not None and isinstance(graph, nx.Graph):
        if graph.is_directed():
            raise ValueError("graph must be undirected (got a directed networkx graph)")
        if graph.number_of_nodes() < 1:
            raise ValueError("graph must have at least one node")
        N, E = graph.number_of_nodes(), graph.number_of_edges()
        check_memory(200 * E + 100 * N, what=f"prepare_graph(graph with N={N} nodes, {E} edges)")
        nodes = list(graph)
        wname = _nx_weight(graph, weight)
        A = nx.to_scipy_sparse_array(graph, nodelist=nodes, weight=wname, dtype=float,
                                     format="csr")
    elif sp.issparse(graph):
        nodes = None
        _check_not_complex("graph", graph)
        if graph.ndim != 2 or graph.shape[0] != graph.shape[1]:
            raise ValueError(f"graph adjacency must be square, got shape {graph.shape}")
        check_memory(200 * graph.nnz + 100 * graph.shape[0],
                     what=f"prepare_graph(sparse graph with N={graph.shape[0]} nodes, {graph.nnz} entries)")
        A = sp.csr_array(graph, dtype=float)
    elif isinstance(graph, np.ndarray):
        nodes = None
        _check_not_complex("graph", graph)
        if graph.ndim != 2 or graph.shape[0] != graph.shape[1]:
            raise ValueError(f"graph adjacency must be square, got shape {graph.shape}")
        check_memory(8 * graph.size + 200 * int(np.count_nonzero(graph)) + 100 * graph.shape[0],
                     what=f"prepare_graph(dense graph with N={graph.shape[0]} nodes)")
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
        with np.errstate(over="ignore"):
            total = float(np.sum(np.abs(A.data)))
        if not total <= _ENERGY_LIMIT:
            raise ValueError(f"graph edge weights are too large: their absolute sum ({total:.3g}) must "
                             f"stay below {_ENERGY_LIMIT:.0e}, or the energies overflow (rescale the "
                             "weights and use J)")
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
    graph : networkx.Graph, scipy.sparse matrix/array, 2-D ndarray or IsingGraph
        Undirected graph with at least one node.  For networkx the edge
        attribute ``weight`` gives the coupling factor w_ij (parallel edges
        of a multigraph add up); a matrix is the symmetric w_ij with zero
        diagonal (real, not complex).  Weights may be negative
        (antiferromagnetic bonds, spin glasses) but must be finite, with an
        absolute sum below 5e299.  The couplings of the run are
        ``J_ij = J * w_ij``.  An :class:`IsingGraph` is returned unchanged.
    weight : str or None, default "weight"
        networkx edge attribute holding w_ij; ignored for matrices.  None:
        every edge has w = 1.  Every edge must carry the named attribute
        (``ValueError`` naming ``weight`` and the count otherwise), except
        that a graph without any ``"weight"`` attribute under the default
        name is unweighted (w = 1).

    Returns
    -------
    IsingGraph

    Raises
    ------
    ValueError, TypeError
        For a directed, empty, asymmetric, complex or self-looped graph, a
        non-finite or missing weight, or a non-string ``weight``.
    MemoryError
        If the conversion would not fit in memory.

    Notes
    -----
    Nodes are coloured greedily, largest degree first, so that no two
    neighbours share a colour; a sweep updates the colour classes one after
    another, each class in fixed chunks of nodes with one random stream per
    chunk.  A graph without edges is allowed (independent spins in a field).

    Examples
    --------
    >>> import networkx as nx
    >>> from utacbook.models import prepare_graph
    >>> g = prepare_graph(nx.cycle_graph(10))
    >>> g
    IsingGraph(N=10, n_edges=10, n_colours=2, mean_degree=2)
    >>> G = nx.path_graph(3)
    >>> nx.set_edge_attributes(G, -1.0, "J")
    >>> prepare_graph(G, weight="J").weights
    array([-1., -1., -1., -1.])
    >>> prepare_graph(G, weight="K")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: weight='K': no edge of the graph carries this attribute; ...
    """
    from utacbook._kernels import graph as GK
    if isinstance(graph, IsingGraph):
        if weight is not None and not isinstance(weight, str):
            raise TypeError(f"weight must be the name (str) of an edge attribute or None, "
                            f"got {type(weight).__name__} {weight!r}")
        _check_ising_graph(graph)
        return graph
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


def _check_ising_graph(g, name="graph"):
    """Cheap consistency checks of a (possibly mutated) IsingGraph before a kernel reads it."""
    try:
        N = v.integer(f"{name}.N", g.N, low=1)
        arrays = {k: getattr(g, k) for k in ("degree", "perm", "indptr", "indices", "weights",
                                             "chunk_bounds", "colour_chunks")}
    except AttributeError as exc:
        raise TypeError(f"{name} must be a complete IsingGraph ({exc})") from None
    for k, a in arrays.items():
        if not isinstance(a, np.ndarray) or a.ndim != 1:
            raise ValueError(f"{name}.{k} must be a 1-D numpy array; prepare the graph again")
    ints = ("degree", "perm", "indptr", "chunk_bounds", "colour_chunks")
    if any(arrays[k].dtype != np.int64 for k in ints) or arrays["indices"].dtype not in (np.int32, np.int64) \
            or arrays["weights"].dtype != np.float64:
        raise ValueError(f"{name} arrays have the wrong dtypes; prepare the graph again")
    ip, cb, cc = arrays["indptr"], arrays["chunk_bounds"], arrays["colour_chunks"]
    nnz = arrays["indices"].shape[0]
    if (arrays["perm"].shape[0] != N or arrays["degree"].shape[0] != N or ip.shape[0] != N + 1
            or ip[0] != 0 or ip[-1] != nnz or arrays["weights"].shape[0] != nnz
            or np.any(np.diff(ip) < 0) or cb.shape[0] < 2 or cb[0] != 0 or cb[-1] != N
            or np.any(np.diff(cb) < 0) or cc.shape[0] < 2 or cc[0] != 0 or cc[-1] != cb.shape[0] - 1
            or np.any(np.diff(cc) < 0)):
        raise ValueError(f"{name} (an IsingGraph) is inconsistent: its array sizes do not match "
                         f"N = {N}; prepare the graph again")
    if nnz and (int(arrays["indices"].min()) < 0 or int(arrays["indices"].max()) >= N):
        raise ValueError(f"{name}.indices point outside 0..N-1; prepare the graph again")
    if not np.all(np.isfinite(arrays["weights"])):
        raise ValueError(f"{name}.weights must be finite; prepare the graph again")
    return N


def _graph_h_kind(h, N, sweeps):
    """'scalar', 'node' (constant in time), 'sweep' or 'sweep_node' for a field as stored in a result."""
    if _ndim(h, "GraphResult.h") == 0:
        return "scalar"
    a = np.asarray(h)
    if a.ndim == 1:
        return "node" if (a.shape[0] == N and a.shape[0] != sweeps) else "sweep"
    if a.ndim == 2 and a.shape[0] > 1:
        return "sweep_node" if a.shape[1] > 1 else "sweep"
    return "node"


@dataclass(eq=False, repr=False)
class GraphResult(_Estimators, _Exports):
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
    ``specific_heat``, ``binder``, ``tau_int``) as for :class:`IsingResult`;
    they raise ``ValueError`` on a field ramp (:meth:`is_ramp`; per-node
    fields constant in time are fine).  ``repr`` is one short line;
    ``to_xarray()``, ``to_dataframe()``, ``save(path)`` and
    ``GraphResult.load(path)`` (which restores the prepared graph too)
    export and store the run.

    Examples
    --------
    The periodic 3 x 3 lattice as a graph (an odd size, which the
    checkerboard lattice engine refuses): its estimates agree with the exact
    enumeration of the 3 x 3 torus within their errors.

    >>> from utacbook.models import lattice_graph, simulate_graph
    >>> from utacbook.theory import enumerate_lattice
    >>> r = simulate_graph(lattice_graph(3), 2.5, sweeps=4000, burn_in=100, seed=1)
    >>> r                                                  # doctest: +ELLIPSIS
    GraphResult(N=9, n_edges=18, T=2.5, J=1, h=0, algorithm='metropolis', sweeps=4000, burn_in=100, seed=1; ...)
    >>> exact = enumerate_lattice(3, 2.5)
    >>> e, de = r.mean_energy
    >>> m, dm = r.abs_magnetization
    >>> bool(abs(e - exact["energy"]) < 3 * de), bool(abs(m - exact["abs_magnetization"]) < 3 * dm)
    (True, True)
    >>> bool(abs(r.energy_of() - r.energy[-1]) < 1e-12), r.spins.shape   # the final state, recomputed
    (True, (9,))
    >>> r.to_dataframe().columns.tolist(), r.to_xarray().spins.dims
    (['energy', 'magnetization'], ('node',))
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
        if not isinstance(g, IsingGraph):
            raise TypeError(f"GraphResult.graph must be an IsingGraph, got {type(g).__name__}")
        N = _check_ising_graph(g, "GraphResult.graph")
        s = self.spins if spins is None else np.asarray(spins)
        name = "GraphResult.spins" if spins is None else "spins"
        if s.shape != (N,) or s.dtype.kind not in "biuf" or not np.all(np.isin(s, (-1, 1))):
            raise ValueError(f"{name} must be an array of shape (N,) = ({N},) of +-1, "
                             f"got {s.dtype} array of shape {s.shape}")
        si = np.ascontiguousarray(g.to_internal(s), dtype=np.int8)
        b = GK.bond_sum(si, g.indptr, g.indices, self.J * g.weights)
        f = float(np.sum(np.broadcast_to(self._h_last, s.shape) * s))
        return (-b - f) / self.N

    def is_ramp(self):
        """True if the field changes from sweep to sweep (per-node fields constant in time are not a ramp)."""
        kind = _graph_h_kind(self.h, self.N, self.sweeps)
        if kind in ("scalar", "node"):
            return False
        a = np.asarray(self.h)
        a = a.reshape(a.shape[0], -1)
        return bool(a.shape[0] > 1 and np.any(a != a[0]))

    def __repr__(self):
        try:
            kind = _graph_h_kind(self.h, self.N, self.sweeps)
            hk = "ramp" if self.is_ramp() else ("per-node" if kind != "scalar" else "h")
            g = self.graph
            edges = f", n_edges={g.n_edges!r}" if isinstance(g, IsingGraph) else ""
            head = (f"GraphResult(N={self.N!r}{edges}, T={_num(self.T)}, J={_num(self.J)}, "
                    f"h={_h_summary(self.h, hk)}, algorithm={self.algorithm!r}, sweeps={self.sweeps!r}, "
                    f"burn_in={self.burn_in!r}, seed={_seed_repr(self.seed)}")
        except Exception as exc:  # a repr must not raise
            return f"GraphResult(<inconsistent: {type(exc).__name__}>)"
        return f"{head}; {self._repr_estimates()})"

    def to_xarray(self, *, graph=False):
        """The run as an :class:`xarray.Dataset`.

        Data variables ``energy`` and ``magnetization`` (dimension ``sweep``),
        ``spins`` (``node``; coordinates ``node`` = 0..N-1, ``node_label`` =
        the networkx labels when there are any, and ``degree``), ``h`` for an
        array field (``sweep`` and/or ``node``); ``attrs`` hold ``N``,
        ``n_edges``, ``n_colours``, ``T``, ``J``, ``h`` (scalar field),
        ``sweeps``, ``burn_in``, ``algorithm``, ``init`` and ``seed`` (its
        ``repr``).  ``graph=True`` adds the prepared graph's CSR arrays
        (variables ``graph_*``), as :meth:`save` stores them.  Arrays are copies.
        """
        return self._dataset(graph=graph)

    def _dataset(self, *, for_file=False, graph=None):
        import xarray as xr
        self._check_state()
        g = self.graph
        if not isinstance(g, IsingGraph):
            raise TypeError(f"GraphResult.graph must be an IsingGraph, got {type(g).__name__}")
        N = _check_ising_graph(g, "GraphResult.graph")
        if self.N != N:
            raise ValueError(f"GraphResult.N = {self.N!r} but its graph has {N} nodes")
        spins = np.asarray(self.spins)
        if spins.shape != (N,):
            raise ValueError(f"GraphResult.spins must have shape (N,) = ({N},), got {spins.shape}")
        graph = for_file if graph is None else graph
        sweeps = int(self.sweeps)
        coords = {"sweep": np.arange(sweeps), "node": np.arange(N),
                  "degree": ("node", g.degree.copy(), {"long_name": "number of neighbours"})}
        if g.nodes is not None:
            labels = np.empty(N, dtype=object)
            if for_file:
                labels[:] = [_label_repr(x) for x in g.nodes]
            else:
                for i, x in enumerate(g.nodes):
                    labels[i] = x
            coords["node_label"] = ("node", labels, {"long_name": "networkx node label"})
        data = {
            "energy": ("sweep", self.energy.copy(), {"long_name": "energy per spin E/N", "units": "J"}),
            "magnetization": ("sweep", self.magnetization.copy(), {"long_name": "magnetisation per spin M/N"}),
            "spins": ("node", spins.astype(np.int8), {"long_name": "final configuration (+-1), node order"}),
        }
        attrs = {"result_type": "GraphResult", "model": "Ising, graph", "N": N, "n_edges": int(g.n_edges),
                 "n_colours": int(g.n_colours), "T": float(self.T), "J": float(self.J), "sweeps": sweeps,
                 "burn_in": int(self.burn_in), "algorithm": str(self.algorithm), "init": str(self.init),
                 "seed": repr(self.seed)}
        if _ndim(self.h, "GraphResult.h") == 0:
            attrs["h"] = float(self.h)
        else:
            h = np.asarray(self.h, dtype=float)
            if h.ndim == 1:
                dims = ("node",) if _graph_h_kind(h, N, sweeps) == "node" else ("sweep",)
                if h.shape[0] not in (N, sweeps):
                    raise ValueError(f"GraphResult.h has length {h.shape[0]}, neither N = {N} nor sweeps = {sweeps}")
            elif h.ndim == 2 and h.shape[0] in (1, sweeps) and h.shape[1] in (1, N):
                dims = ("sweep" if h.shape[0] == sweeps else "h_sweep", "node" if h.shape[1] == N else "h_node")
            else:
                raise ValueError(f"GraphResult.h has shape {h.shape}, not a field layout for N = {N}, "
                                 f"sweeps = {sweeps}")
            data["h"] = (dims, h.copy(), {"long_name": "field", "units": "J"})
        if for_file:
            if _ndim(self._h_last) == 0:
                attrs["h_last"] = float(self._h_last)
            else:
                data["h_last"] = ("node", np.asarray(self._h_last, dtype=float).copy())
        if graph:
            attrs["graph_indices_dtype"] = str(g.indices.dtype)
            attrs["graph_has_nodes"] = int(g.nodes is not None)
            data.update({
                "graph_perm": ("node", g.perm.copy()),
                "graph_indptr": ("graph_row", g.indptr.copy()),
                "graph_indices": ("graph_entry", g.indices.copy()),
                "graph_weights": ("graph_entry", g.weights.copy()),
                "graph_chunk_bounds": ("graph_chunk_bound", g.chunk_bounds.copy()),
                "graph_colour_chunks": ("graph_colour_bound", g.colour_chunks.copy()),
            })
        return xr.Dataset(data, coords=coords, attrs=attrs)

    @classmethod
    def _from_dataset(cls, ds):
        if "graph_indptr" not in ds.data_vars:
            raise ValueError("the dataset holds no prepared graph (save writes it; to_xarray() "
                             "without graph=True does not)")
        N = _attr_int(ds, "N")
        nodes = None
        if "node_label" in ds.coords:
            nodes = [_label_eval(x) for x in ds["node_label"].values]
        g = IsingGraph(N=N, nodes=nodes, n_edges=_attr_int(ds, "n_edges"),
                       n_colours=_attr_int(ds, "n_colours"),
                       degree=ds["degree"].values.astype(np.int64),
                       perm=ds["graph_perm"].values.astype(np.int64),
                       indptr=ds["graph_indptr"].values.astype(np.int64),
                       indices=ds["graph_indices"].values.astype(str(ds.attrs["graph_indices_dtype"])),
                       weights=ds["graph_weights"].values.astype(np.float64),
                       chunk_bounds=ds["graph_chunk_bounds"].values.astype(np.int64),
                       colour_chunks=ds["graph_colour_chunks"].values.astype(np.int64))
        h = ds["h"].values.astype(np.float64) if "h" in ds.data_vars else _attr_float(ds, "h")
        h_last = ds["h_last"].values.astype(np.float64) if "h_last" in ds.data_vars else _attr_float(ds, "h_last")
        return cls(N=N, T=_attr_float(ds, "T"), J=_attr_float(ds, "J"), h=h,
                   sweeps=_attr_int(ds, "sweeps"), burn_in=_attr_int(ds, "burn_in"),
                   algorithm=str(ds.attrs["algorithm"]), init=str(ds.attrs["init"]),
                   seed=_seed_from_attr(ds), energy=ds["energy"].values.astype(np.float64),
                   magnetization=ds["magnetization"].values.astype(np.float64),
                   spins=np.ascontiguousarray(ds["spins"].values, dtype=np.int8), graph=g, _h_last=h_last)


def _label_repr(x):
    """A node label as a string that ``ast.literal_eval`` turns back into it (numpy scalars as Python's)."""
    if isinstance(x, np.generic):
        x = x.item()
    s = repr(x)
    try:
        ok = ast.literal_eval(s) == x
    except Exception:
        ok = False
    if not ok:
        warnings.warn(f"node label {s[:60]} is saved as its string (it is not a Python literal)",
                      stacklevel=4)
        return repr(s)
    return s


def _label_eval(s):
    try:
        return ast.literal_eval(str(s))
    except Exception:  # pragma: no cover (written by _label_repr, always a literal)
        return str(s)


def _graph_fields(h, N, sweeps):
    """(hs 2-D array in node order, row step, col step, kind) for the graph kernels."""
    if _ndim(h) == 0:
        return np.full((1, 1), v.real("h", h)), 0, 0, "scalar"
    arr = _field_array(h)
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


def simulate_graph(graph, T, *, J=1.0, h=0.0, sweeps=None, burn_in=100, algorithm="metropolis",
                   init="random", seed=None, sweeps_per_field=None):
    """Simulate the Ising model on a graph (any couplings, any fields).

    .. math:: H = -\\sum_{i<j} J_{ij} s_i s_j - \\sum_i h_i s_i,
              \\qquad J_{ij} = J\\, w_{ij}.

    Parameters
    ----------
    graph : networkx.Graph, scipy.sparse matrix, 2-D ndarray or IsingGraph
        Undirected graph with coupling factors w_ij (edge attribute
        ``weight`` on every edge, or on none for an unweighted graph; any
        sign, finite); see :func:`prepare_graph`.  Pass an
        :class:`IsingGraph` to reuse a prepared graph (or one with another
        weight attribute).
    T : float > 0
        Temperature (energy units, k_B = 1).
    J : float, default 1
        Overall coupling scale (finite; J = 1/N on the complete graph gives
        the Curie-Weiss model with T_c = 1; ``|J|`` sum ``|w_ij|`` below 5e299).
    h : float or array, default 0
        Field (energy units, max ``|h|`` N below 5e299): a scalar; one value per
        node, shape (N,); one value per recorded sweep, shape (sweeps,) (a
        ramp, the state carried along; burn-in sweeps use the first row); or
        shape (sweeps, N).  Shapes (1, N) and (sweeps, 1) remove the
        ambiguity when N == sweeps.  With ``sweeps_per_field``: one value,
        shape (n,), or one row, shape (n, N) or (n, 1), per step of the ramp.
    sweeps : int >= 1, default 1000
        Recorded sweeps; one sweep updates every node once.  With
        ``sweeps_per_field`` it defaults to ``n * sweeps_per_field`` (and
        must equal it if given).
    burn_in : int >= 0, default 100
        Sweeps discarded before recording.
    algorithm : {"metropolis", "heatbath"}
        Single-spin update.  Metropolis flips with probability
        min(1, exp(-ΔE/T)); heat-bath sets s_i = +1 with probability
        1/(1 + exp(-2 H_i/T)), H_i = sum_j J_ij s_j + h_i.
    init : {"random", "up", "down"} or array of shape (N,) of +-1
    seed : int >= 0, SeedSequence or None
        Root seed; None draws fresh entropy (reported in the result).
    sweeps_per_field : int >= 1 or None, default None
        Hold each ramp step of ``h`` for this many recorded sweeps:
        ``h=values, sweeps_per_field=k`` is exactly the run
        ``h=np.repeat(values, k, axis=0)`` (``result.h`` is that array; a 1-D
        one of length N is stored as shape (sweeps, 1)).

    Returns
    -------
    GraphResult
        Series, final state, parameters, seed and estimators; the
        equilibrium estimators raise ``ValueError`` for a field ramp.

    Raises
    ------
    ValueError, TypeError
        For a bad argument or graph, naming it (also for J or h so large that
        the energies would overflow, and T so small that 1/T overflows).
    MemoryError
        If the run would not fit in memory (checked before allocating).

    Notes
    -----
    A sweep updates the colour classes of a greedy colouring one after the
    other (nodes of one class do not interact, so each class is updated
    simultaneously and in parallel).  Each single-site update satisfies
    detailed balance, so the sweep leaves the Boltzmann distribution
    invariant.  Metropolis accepts zero-cost flips with probability 63/64
    (with probability 1, states in which every node has zero local field,
    such as ++-- on a ring, would cycle forever).

    Examples
    --------
    >>> import networkx as nx
    >>> import numpy as np
    >>> from utacbook.models import prepare_graph, simulate_graph
    >>> g = prepare_graph(nx.random_regular_graph(4, 100, seed=1))
    >>> r = simulate_graph(g, 2.0, sweeps=200, burn_in=50, seed=1)
    >>> r.energy.shape, r.spins.shape
    ((200,), (100,))
    >>> bool(r.abs_magnetization[0] > 0.5)
    True

    A field ramp from -2 to 2 in 9 steps of 10 sweeps each (the same run as
    ``h=np.repeat(values, 10)``); equilibrium estimators refuse it:

    >>> ramp = simulate_graph(g, 2.0, h=np.linspace(-2, 2, 9), sweeps_per_field=10,
    ...                       init="down", seed=2)
    >>> ramp.sweeps, bool(ramp.magnetization[-1] > 0.9)
    (90, True)
    >>> ramp.susceptibility  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: susceptibility is an equilibrium estimate and meaningless for a field ramp: ...
    """
    from utacbook._kernels import graph as GK
    g = graph if isinstance(graph, IsingGraph) else prepare_graph(graph)
    N = _check_ising_graph(g)
    T = v.real("T", T, positive=True)
    _check_beta(T)
    J = v.real("J", J)
    h, sweeps = _sweeps_and_ramp(h, sweeps, sweeps_per_field)
    burn_in = v.integer("burn_in", burn_in, low=0)
    if not isinstance(algorithm, str):
        raise ValueError(f"algorithm must be one of {sorted(GRAPH_ALGORITHMS)}, got {algorithm!r}")
    v.choice("algorithm", algorithm, set(GRAPH_ALGORITHMS))
    with np.errstate(over="ignore"):
        w_total = float(np.sum(np.abs(g.weights)))
    _check_energy_scale("J", abs(J), w_total, "|J| x sum_ij |w_ij|")
    n_chunks = g.chunk_bounds.shape[0] - 1
    if sweeps_per_field is not None:
        if h.ndim == 2 and h.shape[1] not in (1, N):
            raise ValueError(f"h rows must have length 1 or N = {N} (one field per node), "
                             f"got shape {h.shape}")
        h_cells = sweeps * (h.shape[1] if h.ndim == 2 else 1)
    else:
        h_cells = int(np.size(h)) if _ndim(h) else 1
    check_memory(2 * N + 8 * g.weights.shape[0] + 16 * sweeps + 128 * (n_chunks + 1) + 24 * h_cells,
                 what=f"simulate_graph(N={N}, sweeps={sweeps}, h with {h_cells} values)")
    if sweeps_per_field is not None:
        h = np.repeat(h, sweeps_per_field, axis=0)
        if h.ndim == 1 and h.shape[0] == N:
            h = h[:, None]  # a ramp, not per-node fields (sweeps == N)
    hs, hrow, hcol, h_kind = _graph_fields(h, N, sweeps)
    _check_energy_scale("h", float(np.max(np.abs(hs))), N, "max |h| x N")
    h_out = float(hs[0, 0]) if h_kind == "scalar" else np.array(h, dtype=float)
    if hcol:
        hs = g.to_internal(hs)
    hs = np.ascontiguousarray(hs)

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
