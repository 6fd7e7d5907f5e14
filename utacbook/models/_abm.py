"""The RG Phase 2 microscopic agent model, as the guide describes it.

Model
-----
A periodic :math:`L \\times L` lattice of agents with activations
:math:`\\sigma_{ij} \\in [0, 1]`, drawn uniformly at random at the start.  An
update of agent :math:`(i, j)` sets

.. math:: h^{\\text{loc}}_{ij} = J\\,\\frac{1}{4}\\sum_{\\langle kl \\rangle \\sim ij}\\sigma_{kl} + h,
          \\qquad
          \\sigma_{ij} \\leftarrow \\mathrm{sigmoid}\\!\\left(\\frac{h^{\\text{loc}}_{ij}}{T} + \\xi\\right),
          \\quad \\xi \\sim N(0, 1),

and one sweep is :math:`L^2` uniformly random site picks (random sequential
updates).  The guide's emergent-beta protocol scans the field :math:`h`
(the "R-proxy") over a grid; each point starts from a fresh random lattice,
runs ``n_steps`` sweeps (default 100) and records the mean activation; a
logistic :math:`1/(1 + e^{-\\beta(R - \\Theta)})` fitted to the curve gives
the emergent :math:`\\beta`.

All heavy work happens in the Numba kernels of ``utacbook._kernels.abm``,
with one explicit xoshiro256** stream per scan point, so a seed reproduces a
result exactly whatever the thread count.

As a library: every entry point validates its arguments (``ValueError`` /
``TypeError`` naming the parameter, including fields whose ratio to T would
overflow the update, see :data:`MAX_FIELD_OVER_T`), estimates the memory it
needs before allocating (``MemoryError`` stating the estimate; env
``UTACBOOK_MEMORY_LIMIT`` sets the limit), takes ``progress=`` where a call can
be long, and returns a ``dict`` subclass (:class:`ScanResult`,
:class:`HysteresisResult`, :class:`AdaptiveScanResult`,
:class:`EmergentBetaResult`) with ``to_xarray()``, ``to_dataframe()`` and a
short repr.
"""

from __future__ import annotations

import dataclasses
import math
import numbers
import warnings
from dataclasses import dataclass

import numba
import numpy as np

from utacbook._kernels import abm as K
from utacbook import _validate as v
from utacbook._kernels.rng import STREAM_STRIDE, make_streams, resolve_seed
from utacbook._memory import check_memory
from utacbook._progress import progress as _progress_bar, progress_enabled
from utacbook.stats._coarse import coarse_grain, multi_scale_coarsening  # noqa: F401  (guide's API)
from utacbook.stats._fitting import extract_emergent_beta  # noqa: F401  (guide's API)
from utacbook.theory._mean_field import mean_field_beta

__all__ = [
    "ABMParams", "MicroscopicABM", "EmergentBetaSimulator", "coarse_grain",
    "multi_scale_coarsening", "extract_emergent_beta", "microscopic_to_beta_map",
    "scan_field", "hysteresis_loop", "adaptive_scan", "UPDATE_RULES",
    "ScanResult", "HysteresisResult", "AdaptiveScanResult", "EmergentBetaResult",
    "EMERGENT_BETA_KEYS", "MAX_FIELD_OVER_T",
]

#: update orders: the guide's random sequential order, and a checkerboard option
UPDATE_RULES = {"sequential": K.RULE_SEQUENTIAL, "checkerboard": K.RULE_CHECKERBOARD}

#: largest accepted ``|J|`` / T and ``|h|`` / T (and 1 / T): an update computes (J * mean + h) / T + xi in
#: float64, and beyond this the arithmetic overflows (1 / T = inf turns a zero field into NaN)
MAX_FIELD_OVER_T = 1e300

#: bytes per random stream: its padded state row plus the SeedSequence child spawned for it
_STREAM_BYTES = STREAM_STRIDE * 8 + 512
#: with ``progress=None`` a call with fewer single-site updates than this (a second or two) shows no bar
_BAR_MIN_UPDATES = 5e8


# --------------------------------------------------------------------------
# argument checks, memory estimates, progress batches (private)
# --------------------------------------------------------------------------


def _check_overflow(T, **fields):
    """Refuse T, and fields (J, h, ...), whose ratio to T overflows the update's arithmetic.

    Conservative: compares the largest ``|field|`` with the smallest T.
    """
    Tmin = float(np.min(T))
    if Tmin < 1.0 / MAX_FIELD_OVER_T:
        raise ValueError(f"T must be >= {1.0 / MAX_FIELD_OVER_T:g} (1/T overflows the update's float "
                         f"arithmetic below it), got T={Tmin!r}")
    for name, val in fields.items():
        big = float(np.max(np.abs(val)))
        with np.errstate(over="ignore"):
            ratio = big / Tmin
        if not ratio <= MAX_FIELD_OVER_T:
            raise ValueError(f"{name} is too large: |{name}| / T must be <= {MAX_FIELD_OVER_T:g} (larger "
                             f"values overflow the update's float arithmetic), got |{name}|={big!r}, "
                             f"T={Tmin!r}")


def _check_seed(seed):
    """Validate a seed without drawing entropy (None stays None)."""
    if seed is not None:
        resolve_seed(seed)
    return seed


def _check_flag(name, value):
    """A boolean argument: True/False (numpy's too, and the integers 0 and 1)."""
    if not (isinstance(value, (bool, np.bool_)) or (isinstance(value, numbers.Integral) and value in (0, 1))):
        raise TypeError(f"{name} must be True or False, got {type(value).__name__} {value!r}")
    return bool(value)


def _check_progress(progress):
    if progress is not None and not isinstance(progress, (bool, np.bool_)):
        raise TypeError(f"progress must be True, False or None, got {type(progress).__name__} {progress!r}")
    return progress


def _check_memory(nbytes, what):
    """``utacbook._memory.check_memory``, skipped for allocations under 1 MiB (it reads
    /proc, ~40 us, which would double the cost of short calls made in a loop)."""
    if nbytes >= 2**20:
        check_memory(nbytes, what=what)


def _threads():
    return max(1, int(numba.get_num_threads()))


def _scan_nbytes(n_jobs, L, n_steps):
    """Peak bytes of a scan of ``n_jobs`` independent runs (Python ints: no overflow).

    Per run: tiled J/h/T and their broadcast copies, the output, the stream and the
    trace (always kept by the kernel); plus one L x L lattice per thread at a time.
    """
    return n_jobs * (8 * 6 + _STREAM_BYTES + 8 * n_steps) + min(n_jobs, _threads()) * 8 * L * L


def _hysteresis_nbytes(n_rep, n_h, L, n_steps):
    """Peak bytes of :func:`hysteresis_loop`: the returned lattices and sigma, streams, and one
    working lattice and trace per thread."""
    return n_rep * (8 * L * L + 8 * n_h + _STREAM_BYTES) + min(n_rep, _threads()) * 8 * (L * L + n_steps)


def _batches(n, progress, work, desc):
    """Index ranges [a, b) over ``n`` independent jobs: one range, or many behind a progress bar.

    Splitting changes no result: every job has its own stream and output row.  A bar is
    shown when ``progress`` is True, or when it is None, the call is long (``work``
    single-site updates) and env UTACBOOK_PROGRESS does not turn bars off.
    """
    show = progress_enabled(progress) if (progress is not None or work >= _BAR_MIN_UPDATES) else False
    if not show or n <= 1:
        return [(0, n)]
    nt = _threads()
    size = nt * max(1, math.ceil(n / (50 * nt)))
    starts = range(0, n, size)
    return ((a, min(a + size, n)) for a in _progress_bar(starts, total=len(starts), desc=desc,
                                                          enabled=True, unit="batch"))


# --------------------------------------------------------------------------
# results: dicts with a tidy export
# --------------------------------------------------------------------------


def _short(x):
    """One value for a one-line repr: a number as %.4g, an array as its range and size."""
    try:
        a = None if isinstance(x, (str, tuple)) else np.asarray(x)
    except ValueError:
        a = None
    if a is None or a.dtype.kind not in "biuf":
        r = repr(x)
        return r if len(r) <= 48 else r[:45] + "..."
    if a.size == 0:
        return "[]"
    fin = a[np.isfinite(a)] if a.dtype.kind == "f" else a
    if a.size == 1 or fin.size == 0:
        return f"{a.ravel()[0]:.4g}"
    lo, hi = fin.min(), fin.max()
    if lo == hi and fin.size == a.size:
        return f"{lo:.4g}"
    if a.size <= 3:
        return "[" + ", ".join(f"{t:.4g}" for t in a.ravel()) + "]"
    return f"[{lo:.4g}..{hi:.4g}] ({a.size})"


def _seed_attr(seed):
    """The seed as an attribute value: an int if it fits int64, else its str."""
    if isinstance(seed, int) and -2**63 <= seed < 2**63:
        return seed
    return str(seed)


class _Result(dict):
    """Base of this module's results: a plain ``dict`` (every key as before) with exports.

    ``meta`` holds the call's parameters (J, T, lattice_size, n_steps, n_replicas, update,
    seed, function); :meth:`to_xarray` puts the scalar ones in the dataset's ``attrs`` (the
    seed as an int, or as its str when it does not fit int64, e.g. fresh 128-bit entropy).
    ``repr`` is one line under 300 characters: shapes, parameters, seed and the main
    estimates, never whole arrays.
    """

    def __init__(self, data, *, meta=None):
        super().__init__(data)
        self.meta = dict(meta or {})

    def _attrs(self):
        out = {}
        for k, val in self.meta.items():
            if k == "seed":
                out[k] = _seed_attr(val)
            elif isinstance(val, (bool, np.bool_)):
                out[k] = int(val)
            elif isinstance(val, (int, float, str, np.integer, np.floating)):
                out[k] = val
        return out

    def _repr_fields(self):
        f = []
        for k in ("J", "T", "lattice_size", "n_steps", "n_replicas", "update"):
            if k in self.meta:
                f.append(f"{'L' if k == 'lattice_size' else k}={_short(self.meta[k])}")
        seed = repr(self.get("seed", self.meta.get("seed")))   # exact: it reproduces the result
        f.append(f"seed={seed if len(seed) <= 48 else seed[:45] + '...'}")
        return f

    def __repr__(self):
        r = f"{type(self).__name__}({', '.join(self._repr_fields())})"
        return r if len(r) < 300 else r[:295] + "...)"

    def _repr_pretty_(self, p, cycle):  # IPython / Jupyter
        p.text(repr(self))

    def to_dataframe(self):
        """The result as a tidy :class:`pandas.DataFrame`: one row per (replica, point).

        Columns: the dimensions, the coordinates (J, T, h, ...) and the per-point values
        (``sigma``, ...).  Whole-lattice and per-sweep arrays are left out (use
        :meth:`to_xarray`).
        """
        ds = self.to_xarray()
        names = [n for n in self._table_vars if n in ds.data_vars]
        return ds[names].to_dataframe().reset_index()

    _table_vars = ("sigma",)


class ScanResult(_Result):
    """What :func:`scan_field` returns: a ``dict`` with ``sigma``, ``seed`` (and ``traces``).

    ``ScanResult`` is a ``dict`` subclass, so ``res["sigma"]`` works as always.  It adds
    :meth:`to_xarray`, :meth:`to_dataframe` and a short repr.  The broadcast scan shape S
    of (J, T, h_values) is flattened to one dimension ``point`` in the exports
    (``attrs["point_shape"]`` is S).

    Examples
    --------
    >>> from utacbook.models import scan_field
    >>> r = scan_field(0.5, 0.2, [0.0, 0.1], lattice_size=8, n_steps=5, n_replicas=2, seed=3)
    >>> r.to_xarray().sigma.dims
    ('replica', 'point')
    >>> list(r.to_dataframe().columns)
    ['replica', 'point', 'sigma', 'J', 'T', 'h']
    """

    def _repr_fields(self):
        sig = np.asarray(self["sigma"])
        f = [f"sigma{sig.shape}", f"mean sigma={_short(float(sig.mean()))}"]
        if "traces" in self:
            f.append(f"traces{np.shape(self['traces'])}")
        f.append(f"h={_short(self.meta.get('h', []))}")
        return f + super()._repr_fields()

    def to_xarray(self):
        """The scan as an :class:`xarray.Dataset`.

        Returns
        -------
        xarray.Dataset
            ``sigma`` (dims ``replica``, ``point``), ``traces`` (``replica``, ``point``,
            ``step``; if the scan kept them: the mean after sweep ``step`` = 1..n_steps);
            coordinates ``J``, ``T``, ``h`` on ``point``; ``attrs`` with the seed,
            lattice_size, n_steps, n_replicas, update and ``point_shape``.
        """
        import xarray as xr

        sig = np.asarray(self["sigma"])
        n_rep = sig.shape[0]
        S = tuple(self.meta.get("point_shape", sig.shape[1:]))
        n_pt = int(np.prod(S, dtype=np.int64))
        data = {"sigma": (("replica", "point"), sig.reshape(n_rep, n_pt))}
        coords = {"replica": np.arange(n_rep), "point": np.arange(n_pt)}
        if "traces" in self:
            tr = np.asarray(self["traces"])
            data["traces"] = (("replica", "point", "step"), tr.reshape(n_rep, n_pt, tr.shape[-1]))
            coords["step"] = np.arange(1, tr.shape[-1] + 1)
        for c in ("J", "T", "h"):
            if c in self.meta:
                coords[c] = ("point", np.broadcast_to(self.meta[c], S).reshape(n_pt))
        attrs = self._attrs()
        attrs["point_shape"] = list(S)
        attrs.setdefault("function", "scan_field")
        return xr.Dataset(data, coords=coords, attrs=attrs)


class HysteresisResult(_Result):
    """What :func:`hysteresis_loop` returns: a ``dict`` with ``h``, ``sigma``, ``lattices``, ``seed``.

    A ``dict`` subclass with :meth:`to_xarray`, :meth:`to_dataframe` and a short repr.

    Examples
    --------
    >>> from utacbook.models import hysteresis_loop
    >>> r = hysteresis_loop(1.0, 0.1, [-1.0, 0.0, 1.0, 0.0, -1.0], lattice_size=8, n_steps=5,
    ...                     n_replicas=2, seed=4)
    >>> r                                                  # doctest: +NORMALIZE_WHITESPACE
    HysteresisResult(sigma(2, 5), h=[-1..1] (5), lattices(2, 8, 8), J=1, T=0.1, L=8, n_steps=5,
    n_replicas=2, update='sequential', seed=4)
    >>> sorted(r), r["sigma"].shape, r["lattices"].shape
    (['h', 'lattices', 'seed', 'sigma'], (2, 5), (2, 8, 8))
    >>> r.to_xarray().sigma.dims, r.to_dataframe().shape    # one row per (replica, point)
    (('replica', 'point'), (10, 4))
    """

    def _repr_fields(self):
        sig = np.asarray(self["sigma"])
        return [f"sigma{sig.shape}", f"h={_short(self['h'])}",
                f"lattices{np.shape(self['lattices'])}"] + super()._repr_fields()

    def to_xarray(self):
        """The loop as an :class:`xarray.Dataset`.

        Returns
        -------
        xarray.Dataset
            ``sigma`` (dims ``replica``, ``point``: the step along the path, coordinate
            ``h``), ``lattices`` (``replica``, ``i``, ``j``: the final lattices); ``attrs``
            with J, T, seed, lattice_size, n_steps, n_replicas, update.
        """
        import xarray as xr

        sig = np.asarray(self["sigma"])
        lat = np.asarray(self["lattices"])
        coords = {"replica": np.arange(sig.shape[0]), "point": np.arange(sig.shape[1]),
                  "h": ("point", np.asarray(self["h"])), "i": np.arange(lat.shape[1]),
                  "j": np.arange(lat.shape[2])}
        attrs = self._attrs()
        attrs.setdefault("function", "hysteresis_loop")
        return xr.Dataset({"sigma": (("replica", "point"), sig),
                           "lattices": (("replica", "i", "j"), lat)}, coords=coords, attrs=attrs)


class AdaptiveScanResult(_Result):
    """What :func:`adaptive_scan` returns: a ``dict`` with ``R``, ``sigma``, ``round``, ``seed``.

    A ``dict`` subclass with :meth:`to_xarray`, :meth:`to_dataframe` and a short repr.

    Examples
    --------
    >>> from utacbook.models import adaptive_scan
    >>> r = adaptive_scan(0.8, 0.3, n_initial=5, n_total=7, batch=2, lattice_size=8, n_steps=10,
    ...                   seed=1)
    >>> r
    AdaptiveScanResult(7 points, R=[-2..2] (7), rounds=1, J=0.8, T=0.3, L=8, n_steps=10, update='sequential', seed=1)
    >>> r.to_dataframe().columns.tolist(), r.to_dataframe().shape
    (['point', 'sigma', 'h', 'round'], (7, 4))
    """

    def _repr_fields(self):
        return [f"{len(self['R'])} points", f"R={_short(self['R'])}",
                f"rounds={int(np.max(self['round'])) if len(self['round']) else 0}"] + super()._repr_fields()

    def to_xarray(self):
        """The scan as an :class:`xarray.Dataset`.

        Returns
        -------
        xarray.Dataset
            ``sigma`` (dim ``point``, sorted by the field) with coordinates ``h`` (= ``R``)
            and ``round``; ``attrs`` with J, T, seed, lattice_size, n_steps, update.
        """
        import xarray as xr

        R = np.asarray(self["R"])
        attrs = self._attrs()
        attrs.setdefault("function", "adaptive_scan")
        return xr.Dataset({"sigma": (("point",), np.asarray(self["sigma"]))},
                          coords={"point": np.arange(R.shape[0]), "h": ("point", R),
                                  "round": ("point", np.asarray(self["round"]))}, attrs=attrs)


#: keys of every emergent-beta result, :meth:`EmergentBetaSimulator.compute_emergent_beta` and
#: :meth:`EmergentBetaSimulator.compute_emergent_beta_replicas` alike (``fit_info`` is only in
#: the first).  For one scan, ``betas``/``thetas``/``sigma`` have one replica and ``beta_mean``
#: is ``beta_emergent``; for replicas, ``beta_emergent`` is ``beta_mean`` and ``sigma_values``
#: is ``sigma_mean``.  Types kept from before: ``r_squared`` is a float for one scan and an
#: array (one per replica) for replicas; ``R_values`` a list and an array.
EMERGENT_BETA_KEYS = ("beta_emergent", "betas", "beta_mean", "beta_std", "beta_sem", "n_ok", "reasons",
                      "r_squared", "thetas", "R_values", "sigma_values", "sigma", "sigma_mean", "sigma_sem",
                      "params", "n_steps", "n_replicas", "seed")


class EmergentBetaResult(_Result):
    """What the emergent-beta methods of :class:`EmergentBetaSimulator` return.

    A ``dict`` with the keys :data:`EMERGENT_BETA_KEYS` (plus ``fit_info`` for one scan),
    :meth:`to_xarray`, :meth:`to_dataframe` and a short repr.

    Examples
    --------
    Three replicas; replica 0 is the single scan with the same seed:

    >>> from utacbook.models import EMERGENT_BETA_KEYS, ABMParams, EmergentBetaSimulator
    >>> sim = EmergentBetaSimulator(ABMParams(J=0.8, T=0.3, lattice_size=16, seed=17))
    >>> res = sim.compute_emergent_beta_replicas(n_replicas=3, n_points=9, n_steps=20)
    >>> res                                                # doctest: +NORMALIZE_WHITESPACE
    EmergentBetaResult(beta_mean=4.938, beta_std=0.1198, n_ok=3/3, 9 points over R=[-2, 2], J=0.8, T=0.3,
    L=16, n_steps=20, n_replicas=3, update='sequential', seed=17)
    >>> one = sim.compute_emergent_beta(n_points=9, n_steps=20)
    >>> bool(res["betas"][0] == one["beta_emergent"]), set(EMERGENT_BETA_KEYS) <= set(res)
    (True, True)
    >>> res.to_dataframe().shape, res.to_dataframe().columns.tolist()   # one row per (replica, point)
    ((27, 7), ['replica', 'point', 'sigma', 'beta', 'r_squared', 'theta', 'h'])
    """

    _table_vars = ("sigma", "beta", "r_squared", "theta")

    def _repr_fields(self):
        sig = np.asarray(self["sigma"])
        n_rep = sig.shape[0]
        if n_rep == 1:
            f = [f"beta_emergent={_short(self['beta_emergent'])}",
                 f"r_squared={_short(np.ravel(self['r_squared'])[0])}"]
        else:
            f = [f"beta_mean={_short(self['beta_mean'])}", f"beta_std={_short(self['beta_std'])}",
                 f"n_ok={self['n_ok']}/{n_rep}"]
        f.append(f"{sig.shape[1]} points over R=[{_short(self['R_values'][0])}, {_short(self['R_values'][-1])}]")
        return f + super()._repr_fields()

    def to_xarray(self):
        """The measurement as an :class:`xarray.Dataset`.

        Returns
        -------
        xarray.Dataset
            ``sigma`` (dims ``replica``, ``point``) with coordinate ``h`` (= ``R_values``);
            per replica ``beta``, ``r_squared``, ``theta``; ``attrs`` with J, T,
            lattice_size, n_steps, n_replicas, update, seed, ``beta_emergent``,
            ``beta_mean``, ``beta_std``, ``n_ok``.
        """
        import xarray as xr

        sig = np.asarray(self["sigma"])
        n_rep, n_pt = sig.shape
        attrs = self._attrs()
        for k in ("beta_emergent", "beta_mean", "beta_std", "beta_sem", "n_ok"):
            attrs[k] = self[k]
        attrs.setdefault("function", "EmergentBetaSimulator")
        return xr.Dataset(
            {"sigma": (("replica", "point"), sig),
             "beta": (("replica",), np.asarray(self["betas"], dtype=float)),
             "r_squared": (("replica",), np.atleast_1d(np.asarray(self["r_squared"], dtype=float))),
             "theta": (("replica",), np.asarray(self["thetas"], dtype=float))},
            coords={"replica": np.arange(n_rep), "point": np.arange(n_pt),
                    "h": ("point", np.asarray(self["R_values"], dtype=float))},
            attrs=attrs)


@dataclass
class ABMParams:
    """Microscopic parameters of the agent model (the guide's ``ABMParams``).

    Parameters
    ----------
    J : float, default 0.8
        Coupling to the mean of the four nearest neighbours (units of the
        field; the guide quotes [0, 1], any finite value with
        ``|J| / T <= 1e300`` is accepted).
    h : float, default 0.5
        External field, the guide's "R-proxy" (finite, ``|h| / T <= 1e300``).
        **Used only by** :class:`MicroscopicABM`.  :class:`EmergentBetaSimulator`
        ignores it, because it scans the field itself: give its range as
        ``R_min``/``R_max`` to ``compute_emergent_beta``.  Building an
        ``EmergentBetaSimulator`` from params with any other h than the default
        0.5 or the guide's placeholder 0.0 ("will be scanned") warns
        (``UserWarning``).  For a fixed field use :class:`MicroscopicABM` or
        ``scan_field(J, T, h_values=[h])``.
    T : float, default 0.2
        Noise temperature, > 0 (and >= 1e-300): the local field is divided by
        T before the unit-variance Gaussian noise is added.
    lattice_size : int, default 128
        Linear size 2 <= L <= 65536 (L * L agents, periodic boundaries; a
        lattice needs 8 L^2 bytes).
    seed : int or None, default None
        Root seed (>= 0) of all random streams; None draws fresh entropy (the
        seed actually used is reported with every result).
    update : {"sequential", "checkerboard"}, default "sequential"
        Update order.  "sequential" is the guide's; "checkerboard" (even L
        only) updates the two sublattices alternately and can run in parallel.

    Notes
    -----
    The fields are checked when the params are built and again whenever a
    model uses them, so a field set to a bad value later (``p.T = 0``) raises
    at the next use, naming the field.

    Examples
    --------
    >>> from utacbook.models import ABMParams
    >>> p = ABMParams(J=0.8, T=0.2, lattice_size=16, seed=1)
    >>> p.h        # the default field: used by MicroscopicABM, ignored by EmergentBetaSimulator
    0.5
    >>> p.to_dict()["lattice_size"]
    16
    >>> ABMParams(T=0.0)
    Traceback (most recent call last):
    ...
    ValueError: T must be > 0, got 0.0
    """

    J: float = 0.8
    h: float = 0.5
    T: float = 0.2
    lattice_size: int = 128
    seed: int | None = None
    update: str = "sequential"

    def __post_init__(self):
        self.validate()

    def validate(self):
        """Check every field; raise ``ValueError``/``TypeError`` naming the bad one."""
        J = v.real("J", self.J)
        h = v.real("h", self.h)
        T = v.real("T", self.T, positive=True)
        _check_overflow(T, J=J, h=h)
        L = v.integer("lattice_size", self.lattice_size, low=2, high=65536)
        if self.seed is not None:
            resolve_seed(self.seed)
        v.choice("update", self.update, set(UPDATE_RULES))
        if self.update == "checkerboard" and L % 2:
            raise ValueError(f"lattice_size must be even for update='checkerboard', got {L}")
        return self

    def to_dict(self):
        """The parameters as a plain dict."""
        return dataclasses.asdict(self)


_H_DEFAULT = ABMParams.__dataclass_fields__["h"].default


def _params(params):
    if not isinstance(params, ABMParams):
        raise TypeError(f"params must be an ABMParams, got {type(params).__name__}")
    return dataclasses.replace(params).validate()


class MicroscopicABM:
    """One lattice of agents, advanced with the guide's dynamics.

    Parameters
    ----------
    params : ABMParams
        Copied at construction: changing ``params`` afterwards does not change
        this model (the guide's Example 2 builds a new model after changing h).
        The model's own copy, ``model.params``, is live: ``model.params.h = 1.0``
        changes the field of the following updates (J, h, T and update may be
        changed; they are re-checked at the next update; lattice_size may not).

    Attributes
    ----------
    lattice : ndarray, shape (L, L)
        Current activations (the live array; use :meth:`snapshot` for a copy).
    seed : int
        The seed that reproduces this model's random stream.
    history : list of float
        Mean activation after every sweep run by :meth:`equilibrate`.

    Raises
    ------
    MemoryError
        If the lattice (8 L^2 bytes) and its streams do not fit in memory.

    Examples
    --------
    >>> from utacbook.models import ABMParams, MicroscopicABM
    >>> abm = MicroscopicABM(ABMParams(J=0.8, h=0.5, T=0.2, lattice_size=16, seed=1))
    >>> trace = abm.equilibrate(n_steps=10)    # 10 sweeps; the mean activation after each
    >>> trace.shape, round(abm.mean_activation(), 3)
    ((10,), 0.998)
    >>> round(float(abm.local_field(0, 0)), 3)  # J * (mean of the 4 neighbours) + h
    1.298
    >>> abm.params.h = -1.0                     # the model's params are live
    >>> round(float(abm.equilibrate(n_steps=10)[-1]), 3)
    0.012
    """

    def __init__(self, params):
        self.params = _params(params)
        L = self.params.lattice_size
        _check_memory(8 * L * L + (1 + L) * _STREAM_BYTES, what=f"MicroscopicABM(lattice_size={L})")
        self._states, self.seed = make_streams(self.params.seed, 1 + L)
        self._st = self._states[0]
        self.lattice = K.random_lattice(L, self._st)
        self.history = []
        self._checked = self._key(self.params)

    @staticmethod
    def _key(p):
        return (p.J, p.h, p.T, p.lattice_size, p.update)

    def _live(self):
        """``self.params``, re-validated if it was changed since the last check."""
        p = self.params
        if not isinstance(p, ABMParams):
            raise TypeError(f"params must be an ABMParams, got {type(p).__name__}")
        key = self._key(p)
        if key != self._checked:
            p.validate()
            if p.lattice_size != self.lattice.shape[0]:
                raise ValueError(f"lattice_size cannot change after the model is built (the lattice is "
                                 f"{self.lattice.shape[0]} x {self.lattice.shape[0]}), got {p.lattice_size}; "
                                 "build a new MicroscopicABM")
            self._checked = key
        return p

    @property
    def L(self):
        """Linear lattice size."""
        return self.lattice.shape[0]

    def _site(self, i, j):
        i = v.integer("i", i, low=0, high=self.L - 1)
        j = v.integer("j", j, low=0, high=self.L - 1)
        return i, j

    def local_field(self, i, j):
        """Local field h_loc = J * (mean of the 4 nearest neighbours) + h at site (i, j)."""
        i, j = self._site(i, j)
        p = self._live()
        L, lat = self.L, self.lattice
        nn = lat[(i + 1) % L, j] + lat[i - 1, j] + lat[i, (j + 1) % L] + lat[i, j - 1]
        return p.J * 0.25 * nn + p.h

    def update_agent(self, i, j):
        """Update agent (i, j): sigma <- sigmoid(h_loc / T + xi), xi ~ N(0, 1).

        Parameters
        ----------
        i, j : int
            Row and column, 0 <= i, j < L.

        Returns
        -------
        float
            The new activation, in [0, 1].
        """
        i, j = self._site(i, j)
        z = K.next_normal(self._st)
        x = self.local_field(i, j) / self.params.T + z
        self.lattice[i, j] = 1.0 / (1.0 + np.exp(-x))
        return float(self.lattice[i, j])

    def step(self, n_updates=1000):
        """Perform ``n_updates`` random single-agent updates (L*L is one sweep).

        Parameters
        ----------
        n_updates : int, default 1000
            Single-agent updates, >= 0.  With ``update='checkerboard'`` it must
            be a multiple of L*L and whole checkerboard sweeps are run.

        Returns
        -------
        MicroscopicABM
            The model itself (the lattice is updated in place).
        """
        n = v.integer("n_updates", n_updates, low=0, high=2**63 - 1)
        p = self._live()
        if p.update == "sequential":
            K.random_updates(self.lattice, p.J, p.h, p.T, n, self._st)
        else:
            N = self.L * self.L
            if n % N:
                raise ValueError(f"n_updates must be a multiple of L*L={N} for "
                                 f"update='checkerboard', got {n}")
            for _ in range(n // N):
                K.checkerboard_sweep_rows(self.lattice, p.J, p.h, p.T, self._states[1:])
        return self

    def equilibrate(self, n_steps=100):
        """Run ``n_steps`` sweeps (guide: n_steps >= 50); record the mean after each.

        Parameters
        ----------
        n_steps : int, default 100
            Sweeps (L*L updates each), >= 0.

        Returns
        -------
        ndarray
            Mean activation after each sweep (also appended to ``history``).

        Raises
        ------
        MemoryError
            If the trace and history (about 48 bytes per sweep) do not fit.
        """
        n = v.integer("n_steps", n_steps, low=0)
        p = self._live()
        _check_memory(48 * n, what=f"MicroscopicABM.equilibrate(n_steps={n})")
        trace = np.empty(n)
        if p.update == "sequential":
            K.run_sweeps(self.lattice, p.J, p.h, p.T, n, K.RULE_SEQUENTIAL, self._st, trace)
        else:
            for s in range(n):
                K.checkerboard_sweep_rows(self.lattice, p.J, p.h, p.T, self._states[1:])
                trace[s] = self.lattice.mean()
        self.history.extend(trace.tolist())
        return trace

    def snapshot(self):
        """A copy of the current lattice."""
        return self.lattice.copy()

    def mean_activation(self):
        """Mean activation sigma-bar in [0, 1]."""
        return float(self.lattice.mean())


def _run_args(lattice_size, n_steps, n_replicas, update):
    """Validate the arguments shared by the batch runners; return (L, n_steps, n_replicas)."""
    L = v.integer("lattice_size", lattice_size, low=2, high=65536)
    n_steps = v.integer("n_steps", n_steps, low=1)
    n_rep = v.integer("n_replicas", n_replicas, low=1)
    v.choice("update", update, set(UPDATE_RULES))
    if update == "checkerboard" and L % 2:
        raise ValueError(f"lattice_size must be even for update='checkerboard', got {L}")
    return L, n_steps, n_rep


def _scan_points(J, T, h_values):
    """Validate a scan's (J, T, h_values) and broadcast them: return (values, Jb, Tb, hb).

    ``values`` maps each name to its validated array (not broadcast: the overflow check
    uses the values themselves).
    """
    arrs = {name: v.real_array(name, val) for name, val in (("J", J), ("T", T), ("h_values", h_values))}
    for name, arr in arrs.items():
        if arr.size == 0:
            raise ValueError(f"{name} must not be empty")
    try:
        Jb, Tb, hb = np.broadcast_arrays(arrs["J"], arrs["T"], arrs["h_values"])
    except ValueError:
        raise ValueError("J, T and h_values must broadcast to one shape, got shapes "
                         f"{arrs['J'].shape}, {arrs['T'].shape}, {arrs['h_values'].shape}") from None
    if np.any(arrs["T"] <= 0):
        raise ValueError("T must be > 0 everywhere")
    _check_overflow(arrs["T"], J=arrs["J"], h_values=arrs["h_values"])   # the values, not their broadcast
    return arrs, Jb, Tb, hb


def scan_field(J, T, h_values, *, lattice_size=64, n_steps=100, n_replicas=1,
               update="sequential", seed=None, return_traces=False, progress=None):
    """Run the guide's scan protocol for any set of (J, T, h), in parallel.

    Every (replica, point) is an independent run from a fresh uniform random
    lattice with its own random stream, ``n_steps`` sweeps long.

    Parameters
    ----------
    J, T : float or array_like
        Coupling and noise (T > 0); broadcast against ``h_values``.  Finite,
        with ``|J| / T <= 1e300`` and ``T >= 1e-300``.
    h_values : array_like
        Fields (finite, ``|h| / T <= 1e300``, not empty).  ``J``, ``T`` and
        ``h_values`` are broadcast to one shape S.
    lattice_size : int, default 64
        Linear lattice size 2 <= L <= 65536 (even for the checkerboard rule).
    n_steps : int, default 100
        Sweeps per run, >= 1.
    n_replicas : int, default 1
        Independent replicas of the whole scan, >= 1.
    update : {"sequential", "checkerboard"}
    seed : int or None
        Root seed (>= 0).  Run k (in C order over (replica,) + S) uses stream k of
        ``SeedSequence(seed).spawn(n)``, so replica 0 of a scan is the same
        run as the scan with ``n_replicas=1``.
    return_traces : bool, default False
        Also return the mean activation after every sweep.
    progress : bool or None, default None
        Show a progress bar over the runs (True/False); None shows one for long
        scans unless env UTACBOOK_PROGRESS=0.  Results do not depend on it.

    Returns
    -------
    ScanResult
        A ``dict``: ``sigma`` (shape (n_replicas,) + S), ``seed`` (int), and
        ``traces`` (shape (n_replicas,) + S + (n_steps,)) if asked for; with
        ``to_xarray()``, ``to_dataframe()`` (see :class:`ScanResult`).

    Raises
    ------
    MemoryError
        Before anything is allocated, if the scan would not fit in memory
        (about 8 L^2 bytes per thread, plus 8 * n_steps bytes and a random
        stream per run; env UTACBOOK_MEMORY_LIMIT=<bytes> sets the limit).

    Examples
    --------
    >>> from utacbook.models import scan_field
    >>> r = scan_field(0.5, 0.2, [0.0, 0.1], lattice_size=16, n_steps=20, n_replicas=2, seed=3)
    >>> r["sigma"].shape                       # (n_replicas, points)
    (2, 2)
    >>> r["sigma"].round(3)
    array([[0.864, 0.923],
           [0.866, 0.918]])
    >>> r                                      # a dict with a short repr
    ScanResult(sigma(2, 2), mean sigma=0.8931, h=[0, 0.1], J=0.5, T=0.2, L=16, n_steps=20, n_replicas=2, \
update='sequential', seed=3)
    >>> r.to_xarray().sigma.dims
    ('replica', 'point')
    """
    arrs, Jb, Tb, hb = _scan_points(J, T, h_values)
    L, n_steps, n_rep = _run_args(lattice_size, n_steps, n_replicas, update)
    _check_seed(seed)
    return_traces = _check_flag("return_traces", return_traces)
    _check_progress(progress)
    shape = (n_rep,) + Jb.shape
    n_jobs = int(np.prod(shape))
    _check_memory(_scan_nbytes(n_jobs, L, n_steps),
                 what=f"scan_field(lattice_size={L}, n_steps={n_steps}, n_replicas={n_rep}, "
                      f"{n_jobs // n_rep} points)")
    states, entropy = make_streams(seed, n_jobs)
    tile = lambda a: np.broadcast_to(a, shape).ravel().copy()  # noqa: E731
    traces = np.empty((n_jobs, n_steps))
    Jt, ht, Tt, rule = tile(Jb), tile(hb), tile(Tb), UPDATE_RULES[update]
    batches = _batches(n_jobs, progress, n_jobs * n_steps * L * L, "scan_field")
    if isinstance(batches, list):
        sig = K.scan_jobs(Jt, ht, Tt, L, n_steps, rule, states, traces)
    else:
        sig = np.empty(n_jobs)
        for a, b in batches:
            sig[a:b] = K.scan_jobs(Jt[a:b], ht[a:b], Tt[a:b], L, n_steps, rule, states[a:b], traces[a:b])
    out = {"sigma": sig.reshape(shape), "seed": entropy}
    if return_traces:
        out["traces"] = traces.reshape(shape + (n_steps,))
    meta = {"J": np.array(Jb), "T": np.array(Tb), "h": np.array(hb), "point_shape": Jb.shape,
            "lattice_size": L, "n_steps": n_steps, "n_replicas": n_rep, "update": update, "seed": entropy,
            "function": "scan_field"}
    return ScanResult(out, meta=meta)


def hysteresis_loop(J, T, h_path, *, lattice_size=64, n_steps=100, n_replicas=1,
                    update="sequential", seed=None, progress=None):
    """Carry the lattice along a field path (for example up, then down).

    Unlike the guide's scan, the state is *not* reset between fields, which
    reveals bistability as a hysteresis loop.

    Parameters
    ----------
    J : float
        Coupling, finite, ``|J| / T <= 1e300``.
    T : float
        Noise, > 0 (and >= 1e-300).
    h_path : array_like, shape (m,)
        Successive field values (finite, ``|h| / T <= 1e300``, m >= 1).
    lattice_size, n_steps, n_replicas, update, seed
        As :func:`scan_field`; ``n_steps`` sweeps are run at every field.
    progress : bool or None, default None
        Progress bar over the replicas (as :func:`scan_field`); results do not
        depend on it.

    Returns
    -------
    HysteresisResult
        A ``dict``: ``h`` (the path), ``sigma`` (shape (n_replicas, m)),
        ``lattices`` (final lattices, shape (n_replicas, L, L)), ``seed``; with
        ``to_xarray()``, ``to_dataframe()``.

    Raises
    ------
    MemoryError
        Before anything is allocated, if the final lattices (8 L^2 bytes per
        replica) and the working ones would not fit in memory.

    Examples
    --------
    Up from h = -1 to 1, then back down.  Without coupling (J = 0) agents
    are independent, the two branches coincide and the loop has no area
    (within its error); a strong coupling at low noise gives a wide loop:

    >>> import numpy as np
    >>> from utacbook.models import hysteresis_loop
    >>> h = np.linspace(-1.0, 1.0, 9)
    >>> path = np.concatenate([h, h[::-1]])
    >>> def area(r):                                       # per replica: integral of (down - up) dh
    ...     up, down = r["sigma"][:, :9], r["sigma"][:, 9:][:, ::-1]
    ...     return np.trapezoid(down - up, h, axis=1)
    >>> free = hysteresis_loop(0.0, 0.5, path, lattice_size=16, n_steps=10, n_replicas=4, seed=1)
    >>> a = area(free)
    >>> bool(abs(a.mean()) < 3 * a.std(ddof=1) / 2)        # zero within 3 standard errors
    True
    >>> from utacbook.theory import single_site_response   # and the exact J = 0 response
    >>> bool(np.abs(free["sigma"][:, :9].mean(0) - single_site_response(h, 0.5)).max() < 0.02)
    True
    >>> bistable = hysteresis_loop(1.0, 0.05, path, lattice_size=16, n_steps=10, n_replicas=4, seed=1)
    >>> round(float(area(bistable).mean()), 2)
    0.74
    """
    J = v.real("J", J)
    T = v.real("T", T, positive=True)
    hp = v.real_array("h_path", h_path, ndim=1, min_len=1)
    _check_overflow(T, J=J, h_path=hp)
    L, n_steps, n_rep = _run_args(lattice_size, n_steps, n_replicas, update)
    _check_seed(seed)
    _check_progress(progress)
    _check_memory(_hysteresis_nbytes(n_rep, hp.shape[0], L, n_steps),
                 what=f"hysteresis_loop(lattice_size={L}, n_steps={n_steps}, n_replicas={n_rep}, "
                      f"{hp.shape[0]} fields)")
    states, entropy = make_streams(seed, n_rep)
    lattices = np.empty((n_rep, L, L))
    rule = UPDATE_RULES[update]
    batches = _batches(n_rep, progress, n_rep * hp.shape[0] * n_steps * L * L, "hysteresis_loop")
    if isinstance(batches, list):
        sig = K.field_sweep_jobs(J, T, hp, L, n_steps, rule, states, lattices)
    else:
        sig = np.empty((n_rep, hp.shape[0]))
        for a, b in batches:
            sig[a:b] = K.field_sweep_jobs(J, T, hp, L, n_steps, rule, states[a:b], lattices[a:b])
    meta = {"J": J, "T": T, "lattice_size": L, "n_steps": n_steps, "n_replicas": n_rep, "update": update,
            "seed": entropy, "function": "hysteresis_loop"}
    return HysteresisResult({"h": hp, "sigma": sig, "lattices": lattices, "seed": entropy}, meta=meta)


def adaptive_scan(J, T, *, R_min=-2.0, R_max=2.0, n_initial=9, n_total=25, batch=4,
                  lattice_size=64, n_steps=100, update="sequential", seed=None, progress=None):
    """A field scan that places its points where sigma changes.

    Starts from ``n_initial`` evenly spaced points, then repeatedly adds the
    midpoints of the ``batch`` intervals with the largest change of sigma,
    until ``n_total`` points have been run.  Every point is an independent run
    of the guide's protocol (fresh random lattice, ``n_steps`` sweeps).

    Parameters
    ----------
    J : float
        Coupling, finite, ``|J| / T <= 1e300``.
    T : float
        Noise, > 0 (and >= 1e-300).
    R_min, R_max : float
        Range of the field, R_min < R_max, ``|R| / T <= 1e300``.
    n_initial : int, default 9
        Points of the first, even grid (>= 3).
    n_total : int, default 25
        Total points (>= n_initial).
    batch : int, default 4
        Points added per refinement round (they run in parallel), >= 1.
    lattice_size, n_steps, update, seed
        As :func:`scan_field`.  Round k uses child k of ``SeedSequence(seed)``.
    progress : bool or None, default None
        Progress bar over the refinement rounds (as :func:`scan_field`);
        results do not depend on it.

    Returns
    -------
    AdaptiveScanResult
        A ``dict``: ``R`` (sorted), ``sigma``, ``round`` (refinement round of
        each point), ``seed``; with ``to_xarray()``, ``to_dataframe()``.

    Examples
    --------
    Nine even points on [-2, 2], then two rounds of two midpoints.  The added
    points gather around the steep part of the response, the midpoint
    Θ = -J/2 = -0.4 (:func:`utacbook.theory.mean_field_midpoint`):

    >>> from utacbook.models import adaptive_scan
    >>> r = adaptive_scan(0.8, 0.3, n_initial=9, n_total=13, batch=2, lattice_size=16, n_steps=20,
    ...                   seed=1)
    >>> len(r["R"]), int(r["round"].max())
    (13, 2)
    >>> r["R"][r["round"] > 0].tolist()
    [-0.75, -0.625, -0.375, -0.25]
    >>> bool((r["sigma"][1:] >= r["sigma"][:-1]).all())     # sorted by R, sigma rises
    True
    """
    n_initial = v.integer("n_initial", n_initial, low=3)
    n_total = v.integer("n_total", n_total, low=n_initial)
    batch = v.integer("batch", batch, low=1)
    Ja, Ta = v.real_array("J", J), v.real_array("T", T)
    if Ja.size == 0 or Ta.size == 0:
        raise ValueError(f"{'J' if Ja.size == 0 else 'T'} must not be empty")
    if np.any(Ta <= 0):
        raise ValueError("T must be > 0 everywhere")
    L, n_steps_, _ = _run_args(lattice_size, n_steps, 1, update)
    _check_seed(seed)
    _check_progress(progress)
    _check_memory(_scan_nbytes(max(n_initial, batch), L, n_steps_),
                 what=f"adaptive_scan(lattice_size={L}, n_steps={n_steps_}, n_initial={n_initial}, batch={batch})")
    R = v.field_grid(R_min, R_max, n_initial)
    _check_overflow(Ta, J=Ja, R_min=R[0], R_max=R[-1])
    seq, entropy = resolve_seed(seed)
    n_rounds = (n_total - R.shape[0] + batch - 1) // batch
    children = iter(seq.spawn(1 + n_rounds))
    kw = dict(lattice_size=lattice_size, n_steps=n_steps, update=update, progress=False)
    sig = scan_field(J, T, R, seed=next(children), **kw)["sigma"][0]
    rounds = np.zeros(R.shape[0], dtype=int)
    show = progress_enabled(progress) if (
        progress is not None or n_total * n_steps_ * L * L >= _BAR_MIN_UPDATES) else False
    for k in _progress_bar(range(1, n_rounds + 1), total=n_rounds, desc="adaptive_scan", enabled=show,
                           unit="round"):
        order = np.argsort(R)
        R, sig, rounds = R[order], sig[order], rounds[order]
        jumps = np.abs(np.diff(sig))
        m = min(batch, n_total - R.shape[0])
        idx = np.argsort(jumps)[::-1][:m]
        newR = 0.5 * (R[idx] + R[idx + 1])
        newS = scan_field(J, T, newR, seed=next(children), **kw)["sigma"][0]
        R = np.concatenate([R, newR])
        sig = np.concatenate([sig, newS])
        rounds = np.concatenate([rounds, np.full(m, k)])
    order = np.argsort(R)
    meta = {"J": J, "T": T, "lattice_size": L, "n_steps": n_steps_, "update": update, "seed": entropy,
            "function": "adaptive_scan"}
    return AdaptiveScanResult({"R": R[order], "sigma": sig[order], "round": rounds[order], "seed": entropy},
                              meta=meta)


class EmergentBetaSimulator:
    """The guide's high-level simulator: scan the field, fit a logistic.

    Parameters
    ----------
    params : ABMParams
        Microscopic parameters, copied.  ``params.seed`` seeds the scan.
        ``params.h`` is **ignored**: the simulator scans the field over
        [R_min, R_max] itself (the ``R_min``/``R_max`` arguments of its
        methods).  Any h other than the default 0.5 or the guide's placeholder
        0.0 warns (``UserWarning``), since it would otherwise be silently lost.

    Examples
    --------
    >>> from utacbook.models import ABMParams, EmergentBetaSimulator
    >>> sim = EmergentBetaSimulator(ABMParams(J=0.8, T=0.3, lattice_size=16, seed=17))
    >>> res = sim.compute_emergent_beta(n_points=9, n_steps=20)
    >>> round(res["beta_emergent"], 2), round(res["r_squared"], 4)
    (5.05, 0.9996)
    >>> res["n_replicas"], res["betas"].shape         # keys shared with compute_emergent_beta_replicas
    (1, (1,))
    >>> res                                          # a dict with a short repr
    EmergentBetaResult(beta_emergent=5.047, r_squared=0.9996, 9 points over R=[-2, 2], J=0.8, T=0.3, L=16, \
n_steps=20, n_replicas=1, update='sequential', seed=17)
    """

    def __init__(self, params):
        self.params = _params(params)
        h = self.params.h
        if h not in (_H_DEFAULT, 0.0):
            warnings.warn(f"ABMParams h={h!r} is ignored by EmergentBetaSimulator, which scans the field "
                          "itself: pass the range as R_min=/R_max= to compute_emergent_beta (or use "
                          "scan_field(J, T, h_values=[h]) or MicroscopicABM for a fixed h)",
                          UserWarning, stacklevel=2)

    def _grid(self, R_min, R_max, n_points, n_steps, n_replicas, method):
        """Validate a scan's arguments and its memory need, then build the field grid."""
        p = _params(self.params)
        n_points = v.integer("n_points", n_points, low=3)
        n_steps = v.integer("n_steps", n_steps, low=1)
        n_replicas = v.integer("n_replicas", n_replicas, low=1)
        _check_memory(_scan_nbytes(n_points * n_replicas, p.lattice_size, n_steps),
                     what=f"EmergentBetaSimulator.{method}(lattice_size={p.lattice_size}, n_points={n_points}, "
                          f"n_steps={n_steps}, n_replicas={n_replicas})")
        R = v.field_grid(R_min, R_max, n_points)
        _check_overflow(p.T, R_min=R[0], R_max=R[-1])
        return R

    def _scan(self, R, n_steps, n_replicas, progress, method):
        p = _params(self.params)
        return scan_field(p.J, p.T, R, lattice_size=p.lattice_size, n_steps=n_steps,
                          n_replicas=n_replicas, update=p.update, seed=p.seed, progress=progress)

    def _meta(self, res, n_steps, n_replicas):
        p = self.params
        return {"J": p.J, "T": p.T, "lattice_size": p.lattice_size, "n_steps": n_steps,
                "n_replicas": n_replicas, "update": p.update, "seed": res["seed"]}

    def scan_resource_range(self, R_min=-2.0, R_max=2.0, n_points=20, *, n_steps=100, progress=None):
        """Mean activation on an evenly spaced field grid (points run in parallel).

        Parameters
        ----------
        R_min, R_max : float
            Field range, R_min < R_max.
        n_points : int, default 20
            Grid points, >= 3.
        n_steps : int, default 100
            Sweeps per point (each from a fresh random lattice).
        progress : bool or None, default None
            Progress bar (as :func:`scan_field`); results do not depend on it.

        Returns
        -------
        R_values, sigma_values : ndarray
        """
        R = self._grid(R_min, R_max, n_points, n_steps, 1, "scan_resource_range")
        n_steps = v.integer("n_steps", n_steps, low=1)
        _check_progress(progress)
        res = self._scan(R, n_steps, 1, progress, "scan_resource_range")
        self.last_seed = res["seed"]
        return R, res["sigma"][0]

    def compute_emergent_beta(self, R_min=-2.0, R_max=2.0, n_points=25, *, n_steps=100,
                              theta=0.5, progress=None):
        """Scan the field and fit the logistic; the guide's result dict.

        Parameters
        ----------
        R_min, R_max : float
            Field range, R_min < R_max.
        n_points : int, default 25
            Grid points, >= 3.
        n_steps : int, default 100
            Sweeps per point.
        theta : float, default 0.5
            Starting guess for the fitted midpoint.
        progress : bool or None, default None
            Progress bar (as :func:`scan_field`); results do not depend on it.

        Returns
        -------
        EmergentBetaResult
            A ``dict``.  The guide's keys: ``beta_emergent``, ``r_squared``,
            ``fit_info`` (see :func:`utacbook.stats.extract_emergent_beta`; also
            holds ``theta``, ``n_steps`` and ``seed``), ``R_values`` (list),
            ``sigma_values`` (list), ``params`` (dict, with the seed used).  Plus
            the keys shared with :meth:`compute_emergent_beta_replicas` (see
            :data:`EMERGENT_BETA_KEYS`), for one replica: ``betas``, ``thetas``
            (arrays of length 1), ``beta_mean`` (= ``beta_emergent``, nan if the
            fit failed), ``beta_std``, ``beta_sem`` (nan), ``n_ok`` (0 or 1),
            ``reasons``, ``sigma`` (shape (1, n_points)), ``sigma_mean``,
            ``sigma_sem`` (nan), ``n_steps``, ``n_replicas`` (1), ``seed``.
        """
        R = self._grid(R_min, R_max, n_points, n_steps, 1, "compute_emergent_beta")
        n_steps = v.integer("n_steps", n_steps, low=1)
        v.real("theta", theta)
        _check_progress(progress)
        res = self._scan(R, n_steps, 1, progress, "compute_emergent_beta")
        sigma = res["sigma"][0]
        beta, r2, info = extract_emergent_beta(R, sigma, theta=theta)
        info.update({"n_steps": n_steps, "seed": res["seed"]})
        params = self.params.to_dict()
        params["seed"] = res["seed"]
        out = {"beta_emergent": beta, "r_squared": r2, "fit_info": info,
               "R_values": R.tolist(), "sigma_values": sigma.tolist(), "params": params}
        ok = bool(np.isfinite(beta))
        out.update({
            "betas": np.array([beta], dtype=float), "thetas": np.array([info["theta"]], dtype=float),
            "beta_mean": float(beta) if ok else float("nan"), "beta_std": float("nan"),
            "beta_sem": float("nan"), "n_ok": int(ok), "reasons": [info["reason"]] if info["reason"] else [],
            "sigma": res["sigma"], "sigma_mean": sigma, "sigma_sem": np.full(R.shape, np.nan),
            "n_steps": n_steps, "n_replicas": 1, "seed": res["seed"],
        })
        return EmergentBetaResult(out, meta=self._meta(res, n_steps, 1))

    def compute_emergent_beta_replicas(self, n_replicas=5, R_min=-2.0, R_max=2.0,
                                       n_points=25, *, n_steps=100, theta=0.5, progress=None):
        """Repeat the emergent-beta measurement over independent replicas.

        All replicas' scan points run in one parallel batch.  Replica 0 is
        identical to :meth:`compute_emergent_beta` with the same seed.

        Parameters
        ----------
        n_replicas : int, default 5
            Independent replicas, >= 1.
        R_min, R_max, n_points, n_steps, theta, progress
            As :meth:`compute_emergent_beta`.

        Returns
        -------
        EmergentBetaResult
            A ``dict``: ``betas``, ``r_squared``, ``thetas`` (one per replica, nan
            where a fit failed), ``beta_mean``, ``beta_std`` (sample std over
            replicas with a finite beta), ``beta_sem``, ``n_ok``, ``reasons`` (fit
            failure reasons), ``R_values``, ``sigma`` (n_replicas, n_points),
            ``sigma_mean``, ``sigma_sem``, ``params`` (with the seed used),
            ``n_steps``.  Plus the keys shared with :meth:`compute_emergent_beta`
            (see :data:`EMERGENT_BETA_KEYS`): ``beta_emergent`` (= ``beta_mean``),
            ``sigma_values`` (= ``sigma_mean``, as a list), ``n_replicas``, ``seed``.
        """
        R = self._grid(R_min, R_max, n_points, n_steps, n_replicas, "compute_emergent_beta_replicas")
        n_steps = v.integer("n_steps", n_steps, low=1)
        n_rep = v.integer("n_replicas", n_replicas, low=1)
        v.real("theta", theta)
        _check_progress(progress)
        res = self._scan(R, n_steps, n_rep, progress, "compute_emergent_beta_replicas")
        params = self.params.to_dict()
        params["seed"] = res["seed"]
        out = _replica_fits(R, res["sigma"], theta=theta, keep_sigma=True)
        out.update({"params": params, "n_steps": n_steps})
        out.update({"beta_emergent": out["beta_mean"], "sigma_values": out["sigma_mean"].tolist(),
                    "n_replicas": n_rep, "seed": res["seed"]})
        return EmergentBetaResult(out, meta=self._meta(res, n_steps, n_rep))


def _replica_fits(R, sigma, *, theta=0.5, keep_sigma=False):
    """The per-replica fits and their summary, as
    :meth:`EmergentBetaSimulator.compute_emergent_beta_replicas` reports them.

    ``R`` (n_points,) the field grid, ``sigma`` (n_replicas, n_points) the scans;
    each replica is fitted by :func:`utacbook.stats.extract_emergent_beta`. Returns the
    dict ``betas``, ``r_squared``, ``thetas``, ``beta_mean``, ``beta_std``, ``beta_sem``,
    ``n_ok``, ``reasons``, ``R_values`` (``sigma`` with ``keep_sigma``), ``sigma_mean``,
    ``sigma_sem``. (Used to refit stored scans exactly as the simulator fits fresh ones.)
    """
    sig = sigma
    n_rep = sig.shape[0]
    fits = [extract_emergent_beta(R, s, theta=theta) for s in sig]
    betas = np.array([f[0] for f in fits])
    ok = np.isfinite(betas)
    n_ok = int(ok.sum())
    out = {
        "betas": betas, "r_squared": np.array([f[1] for f in fits]),
        "thetas": np.array([f[2]["theta"] for f in fits]),
        "beta_mean": float(betas[ok].mean()) if n_ok else float("nan"),
        "beta_std": float(betas[ok].std(ddof=1)) if n_ok > 1 else float("nan"),
        "beta_sem": float(betas[ok].std(ddof=1) / np.sqrt(n_ok)) if n_ok > 1 else float("nan"),
        "n_ok": n_ok, "reasons": [f[2]["reason"] for f in fits if f[2]["reason"]],
        "R_values": R,
    }
    if keep_sigma:
        out["sigma"] = sig
    out["sigma_mean"] = sig.mean(axis=0)
    out["sigma_sem"] = (sig.std(axis=0, ddof=1) / np.sqrt(n_rep) if n_rep > 1 else np.full(R.shape, np.nan))
    return out


_GUIDE_TABLE = [
    # system, beta_empirical, J, T, beta_theory (J/T), beta_emergent claimed, deviation claimed
    ("LLM Training", 4.2, 0.80, 0.19, 4.21, 3.2, 0.24),
    ("Climate AMOC", 4.0, 0.60, 0.15, 4.00, 3.5, 0.13),
    ("Honeybees", 4.1, 0.70, 0.17, 4.12, 3.8, 0.07),
    ("Urban Heat (mod)", 11.0, 0.88, 0.08, 11.00, 9.5, 0.14),
    ("Quantum Vacuum", 1.4, 0.15, 0.11, 1.36, 1.2, 0.14),
    ("Systemic Debt", 18.5, 0.98, 0.053, 18.49, 16.5, 0.11),
]


def microscopic_to_beta_map():
    """The guide's six systems: (J, T) and the betas the guide reports.

    Returns
    -------
    dict
        System name -> dict with ``J``, ``T``, ``beta_empirical`` (the guide's
        target), ``beta_theory`` (the guide's J/T), ``beta_emergent_claimed``
        and ``deviation_claimed`` (as printed in the guide's table, which
        gives them with a "~"), and ``beta_mean_field`` (our mean-field
        prediction, :func:`utacbook.theory.mean_field_beta`).

    Examples
    --------
    >>> from utacbook.models import microscopic_to_beta_map
    >>> from utacbook.theory import mean_field_beta
    >>> table = microscopic_to_beta_map()
    >>> len(table), table["Climate AMOC"]["J"], table["Climate AMOC"]["T"]
    (6, 0.6, 0.15)
    >>> all(round(d["J"] / d["T"], 2) == d["beta_theory"] for d in table.values())  # the guide's J/T
    True
    >>> d = table["Honeybees"]
    >>> d["beta_mean_field"] == mean_field_beta(d["J"], d["T"])
    True
    """
    out = {}
    for name, be, J, T, bt, bc, dev in _GUIDE_TABLE:
        out[name] = {"J": J, "T": T, "beta_empirical": be, "beta_theory": bt,
                     "beta_emergent_claimed": bc, "deviation_claimed": dev,
                     "beta_mean_field": mean_field_beta(J, T)}
    return out
