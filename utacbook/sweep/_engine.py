"""The sweep engine: a grid of independent tasks, in-process or on Dask, into a resumable zarr store."""

from __future__ import annotations

import datetime as _dt
import hashlib
import importlib
import ipaddress
import json
import math
import numbers
import os
import platform
import sys
import time
import uuid
from collections.abc import Mapping
from pathlib import Path
from urllib.parse import urlsplit

import numpy as np

__all__ = ["run", "open_sweep", "task_seed", "task_seeds", "check_address", "local_client",
           "SweepStoreError", "RESERVED_NAMES", "REPLICA"]

#: names of the provenance variables every sweep Dataset carries (not usable as grid axes or outputs)
RESERVED_NAMES = ("task_seed", "task_done", "task_wall_time", "task_finished")
#: a grid axis of this name is not passed to ``func``: it only gives each replica its own seed
REPLICA = "replica"
#: the attribute of a store (and of the returned Dataset) that identifies the sweep
ATTR = "utacbook_sweep"
#: store layout version
FORMAT = 1
#: completed tasks are written to the store at once if the last write was this many seconds ago,
#: else with the next write (so short tasks are written in batches; a kill loses at most this much)
FLUSH_SECONDS = 1.0
#: at most this many elements per zarr chunk of an output (each completed task rewrites one chunk)
CHUNK_ELEMENTS = 4096


class SweepStoreError(ValueError):
    """A store that belongs to another sweep, or is not a sweep store at all (left untouched)."""


# --------------------------------------------------------------------------
# arguments
# --------------------------------------------------------------------------

def _resolve(ref):
    mod, _, qual = ref.partition(":")
    obj = importlib.import_module(mod)
    for part in qual.split("."):
        obj = getattr(obj, part)
    return obj


def _function_ref(func):
    """``'module:qualname'`` of an importable callable (workers import it by that name)."""
    if isinstance(func, str):
        if func.count(":") != 1 or not all(func.split(":")):
            raise ValueError(f"func as a string must be 'module:qualname', got {func!r}")
        try:
            obj = _resolve(func)
        except (ImportError, AttributeError) as exc:
            raise ValueError(f"func {func!r} cannot be imported: {exc}") from exc
        if not callable(obj):
            raise TypeError(f"func {func!r} is a {type(obj).__name__}, not a callable")
        return func
    if not callable(func):
        raise TypeError(f"func must be an importable callable or a 'module:qualname' string, "
                        f"got {type(func).__name__}")
    mod, qual = getattr(func, "__module__", None), getattr(func, "__qualname__", None)
    if not mod or not qual or "<" in qual or mod == "__main__":
        raise TypeError(f"func must be importable by name (a function defined at the top level of a "
                        f"module, not a lambda, a closure or a function defined in a notebook or script), "
                        f"got {getattr(func, '__qualname__', func)!r} in module {mod!r}: workers import it "
                        f"by that name")
    ref = f"{mod}:{qual}"
    try:
        obj = _resolve(ref)
    except (ImportError, AttributeError) as exc:
        raise TypeError(f"func {ref!r} cannot be imported by name: {exc}") from exc
    if obj is not func and getattr(obj, "__wrapped__", None) is not func:
        raise TypeError(f"func: importing {ref!r} does not give the function passed")
    return ref


def _seed(seed):
    if isinstance(seed, bool) or not isinstance(seed, numbers.Integral) or seed < 0:
        raise ValueError(f"seed must be an integer >= 0, got {seed!r}")
    return int(seed)


def _scalar(x, where):
    if isinstance(x, np.generic):
        x = x.item()
    if isinstance(x, bool) or x is None:
        raise TypeError(f"{where} must be a number or a string, got {x!r}")
    if isinstance(x, numbers.Integral):
        return int(x)
    if isinstance(x, numbers.Real):
        x = float(x)
        if not math.isfinite(x):
            raise ValueError(f"{where} must be finite, got {x!r}")
        return x
    if isinstance(x, str):
        return x
    raise TypeError(f"{where} must be a number or a string, got {type(x).__name__}")


def _grid(grid, params):
    """Validated grid: ``{name: list of Python scalars}`` in the given axis order."""
    if not isinstance(grid, Mapping):
        raise TypeError(f"grid must be a mapping of axis name -> 1-D sequence, got {type(grid).__name__}")
    if not grid:
        raise ValueError("grid is empty: give at least one axis, e.g. grid={'replica': range(8)}")
    out = {}
    for name, values in grid.items():
        if not isinstance(name, str) or not name.isidentifier():
            raise ValueError(f"grid axis names must be Python identifiers (they become keyword "
                             f"arguments), got {name!r}")
        if name == "seed" or name in RESERVED_NAMES:
            raise ValueError(f"grid axis {name!r} is reserved: every task gets its own seed, derived "
                             f"from the sweep's seed and the task's coordinates")
        if name in params:
            raise ValueError(f"grid axis {name!r} is also in params")
        if isinstance(values, (str, bytes)) or np.ndim(values) != 1:
            raise ValueError(f"grid axis {name!r} must be a 1-D sequence, got {values!r}")
        vals = [_scalar(x, f"grid axis {name!r} value") for x in values]
        if not vals:
            raise ValueError(f"grid axis {name!r} is empty")
        kinds = {type(x) for x in vals}
        if str in kinds and len(kinds) > 1:
            raise TypeError(f"grid axis {name!r} mixes strings and numbers")
        if kinds == {int, float}:
            vals = [float(x) for x in vals]
        if len({_value_key(x) for x in vals}) != len(vals):
            raise ValueError(f"grid axis {name!r} has repeated values: {vals}")
        out[name] = vals
    return out


def _params(params):
    if params is None:
        return {}
    if not isinstance(params, Mapping):
        raise TypeError(f"params must be a mapping of keyword -> value, got {type(params).__name__}")
    out = {}
    for k, x in params.items():
        if not isinstance(k, str) or not k.isidentifier() or k == "seed" or k in RESERVED_NAMES:
            raise ValueError(f"params key {k!r} must be an identifier other than 'seed' and {RESERVED_NAMES}")
        try:
            out[k] = json.loads(json.dumps(x.tolist() if isinstance(x, (np.ndarray, np.generic)) else x))
        except (TypeError, ValueError) as exc:
            raise TypeError(f"params[{k!r}] must be JSON (numbers, strings, booleans, lists, dicts): "
                            f"it is recorded in the store's provenance ({exc})") from exc
    return out


def _dims(dims):
    if dims is None:
        return {}
    if not isinstance(dims, Mapping):
        raise TypeError(f"dims must map output name -> tuple of dimension names, got {type(dims).__name__}")
    out = {}
    for k, d in dims.items():
        d = (d,) if isinstance(d, str) else tuple(d)
        if not all(isinstance(x, str) and x.isidentifier() for x in d):
            raise ValueError(f"dims[{k!r}] must be a tuple of identifiers, got {d!r}")
        out[str(k)] = list(d)
    return out


# --------------------------------------------------------------------------
# seeds
# --------------------------------------------------------------------------

def _value_key(x):
    return f"s:{x}" if isinstance(x, str) else repr(x)


def _word(name, value):
    h = hashlib.blake2b(f"{name}={_value_key(value)}".encode(), digest_size=4).digest()
    return int.from_bytes(h, "little")


def task_seed(seed, point):
    """The seed a sweep gives the task at ``point`` (a mapping axis name -> value).

    It is ``numpy.random.SeedSequence(seed, spawn_key=k)`` reduced to a 63-bit
    integer, where ``k`` holds one 32-bit hash of ``name=value`` per axis, in the
    grid's axis order.  It depends on the sweep's seed, the axis names and the
    task's coordinate *values* only: not on the task's position in the grid, the
    other values of an axis, the order of execution or the machine that runs it.
    Integers and floats are different values (``1`` is not ``1.0``).

    Examples
    --------
    >>> from utacbook.sweep import task_seed
    >>> task_seed(0, {"L": 16, "replica": 0}) == task_seed(0, {"L": 16, "replica": 0})
    True
    >>> task_seed(0, {"L": 16, "replica": 0}) != task_seed(0, {"L": 16, "replica": 1})
    True
    """
    seed = _seed(seed)
    key = tuple(_word(n, _scalar(v, f"point[{n!r}]")) for n, v in point.items())
    state = np.random.SeedSequence(seed, spawn_key=key).generate_state(2, dtype=np.uint32)
    return int(((int(state[1]) << 32) | int(state[0])) & (2**63 - 1))


def task_seeds(seed, grid):
    """Array of :func:`task_seed` over the grid's Cartesian product (shape: one axis per grid axis).

    These are the seeds :func:`run` gives the tasks (its ``task_seed``
    variable), known before anything runs.

    Examples
    --------
    >>> from utacbook import sweep
    >>> grid = {"mu": [0.0, 0.5], "replica": range(3)}
    >>> seeds = sweep.task_seeds(7, grid)
    >>> seeds.shape, seeds.dtype.name
    ((2, 3), 'int64')
    >>> int(seeds[1, 2]) == sweep.task_seed(7, {"mu": 0.5, "replica": 2})
    True
    >>> len(set(seeds.ravel().tolist()))                 # every task its own seed
    6
    >>> ds = sweep.run("utacbook.sweep.demo:noisy_mean", grid, seed=7, progress=False)
    >>> bool((ds["task_seed"].values == seeds).all())
    True
    """
    grid = _grid(grid, {})
    names = list(grid)
    shape = tuple(len(v) for v in grid.values())
    out = np.empty(shape, dtype=np.int64)
    for idx in np.ndindex(*shape):
        out[idx] = task_seed(seed, {n: grid[n][i] for n, i in zip(names, idx)})
    return out


# --------------------------------------------------------------------------
# results
# --------------------------------------------------------------------------

def _as_output(value, name, where):
    a = np.asarray(value)
    if a.dtype.kind == "b":
        return a.astype(bool)
    if a.dtype.kind in "iu":
        if a.dtype.kind == "u" and a.size and int(a.max()) > np.iinfo(np.int64).max:
            raise ValueError(f"output {name!r} of task {where} does not fit in int64")
        return a.astype(np.int64)
    if a.dtype.kind == "f":
        return a.astype(np.float64)
    raise TypeError(f"output {name!r} of task {where} is {a.dtype} ({type(value).__name__}); outputs must "
                    f"be numbers, booleans or fixed-shape numeric arrays")


def _schema_from(result, dims, where):
    if not isinstance(result, Mapping) or not result:
        raise TypeError(f"func returned {type(result).__name__} for task {where}; it must return a non-empty "
                        f"dict of numbers or fixed-shape arrays")
    schema = {}
    for name, value in result.items():
        if not isinstance(name, str) or not name.isidentifier() or name in RESERVED_NAMES:
            raise ValueError(f"output names must be identifiers other than {RESERVED_NAMES}, got {name!r}")
        a = _as_output(value, name, where)
        d = dims.get(name, [f"{name}_dim{k}" for k in range(a.ndim)])
        if len(d) != a.ndim:
            raise ValueError(f"dims[{name!r}] = {d} names {len(d)} dimensions, but output {name!r} has shape "
                             f"{a.shape}")
        schema[name] = {"shape": list(a.shape), "dims": list(d), "dtype": str(a.dtype)}
    sizes = {}
    for name, s in schema.items():
        for d, n in zip(s["dims"], s["shape"]):
            if sizes.setdefault(d, n) != n:
                raise ValueError(f"dimension {d!r} has length {sizes[d]} in one output and {n} in {name!r}")
    return schema


def _check_result(result, schema, where):
    if not isinstance(result, Mapping):
        raise TypeError(f"func returned {type(result).__name__} for task {where}; it must return a dict")
    if set(result) != set(schema):
        raise ValueError(f"task {where} returned the outputs {sorted(result)}, the sweep's other tasks "
                         f"{sorted(schema)}: every task must return the same keys")
    out = {}
    for name, s in schema.items():
        a = _as_output(result[name], name, where)
        if list(a.shape) != s["shape"]:
            raise ValueError(f"output {name!r} of task {where} has shape {a.shape}, other tasks "
                             f"{tuple(s['shape'])}: array outputs must have a fixed shape")
        if str(a.dtype) != s["dtype"]:
            if s["dtype"] == "float64" and a.dtype.kind in "iub":
                a = a.astype(np.float64)
            else:
                raise ValueError(f"output {name!r} of task {where} is {a.dtype}, other tasks {s['dtype']}")
        out[name] = a
    return out


def _fill(dtype):
    return {"float64": np.nan, "int64": 0, "bool": False}[dtype]


# --------------------------------------------------------------------------
# the task as a worker runs it
# --------------------------------------------------------------------------

def _call(ref, point, params, seed, single_thread):
    """Run one task; returns (result, wall seconds, finished at [unix s])."""
    if single_thread:
        try:
            import numba
            if numba.get_num_threads() != 1:
                numba.set_num_threads(1)
        except ImportError:  # pragma: no cover
            pass
    func = _resolve(ref)
    t0 = time.perf_counter()
    result = func(**point, **params, seed=seed)
    return result, time.perf_counter() - t0, time.time()


# --------------------------------------------------------------------------
# where results go: memory or a zarr store
# --------------------------------------------------------------------------

class _Sink:
    """Results in memory (``store=None``)."""

    def __init__(self, identity, shape):
        self.identity, self.shape = identity, shape
        self.schema = identity.get("schema")
        self.data = {}
        self.done = np.zeros(shape, dtype=bool)
        self.wall = np.full(shape, np.nan)
        self.finished = np.full(shape, np.nan)

    def set_schema(self, schema):
        self.schema = schema
        self.identity["schema"] = schema
        for name, s in schema.items():
            self.data[name] = np.full(self.shape + tuple(s["shape"]), _fill(s["dtype"]),
                                      dtype=s["dtype"])

    def write(self, idx, result, wall, finished):
        for name, a in result.items():
            self.data[name][idx] = a
        self.wall[idx], self.finished[idx] = wall, finished
        self.done[idx] = True

    def flush(self):
        pass

    def dataset(self, seeds):
        import xarray as xr
        grid = self.identity["grid"]
        names = list(grid)
        coords = {n: np.asarray(v) for n, v in grid.items()}
        data = {name: (names + s["dims"], self.data[name]) for name, s in self.schema.items()}
        data.update(task_seed=(names, seeds), task_done=(names, self.done),
                    task_wall_time=(names, self.wall), task_finished=(names, self.finished))
        ds = xr.Dataset(data, coords=coords)
        _annotate(ds)
        return ds


def _annotate(ds):
    ds["task_seed"].attrs.update(long_name="seed passed to func (derived from the sweep's seed and the "
                                           "task's coordinates)")
    ds["task_done"].attrs.update(long_name="task completed")
    ds["task_wall_time"].attrs.update(long_name="wall time of the task", units="s")
    ds["task_finished"].attrs.update(long_name="when the task finished (Unix time: seconds since 1970-01-01 UTC)",
                                     units="s")


def _chunks(grid_shape, extra_shape):
    extra = int(np.prod(extra_shape, dtype=np.int64)) if extra_shape else 1
    chunks = [1] * len(grid_shape)
    total = extra
    for k in reversed(range(len(grid_shape))):
        c = max(1, min(grid_shape[k], CHUNK_ELEMENTS // total))
        chunks[k] = c
        total *= c
        if c < grid_shape[k]:
            break
    return tuple(chunks) + tuple(extra_shape)


class _ZarrSink(_Sink):
    """Results in a zarr store: each completed task is written at once; ``task_done`` last."""

    def __init__(self, path, identity, shape, seeds):
        import zarr

        self.path = Path(path)
        self.identity, self.shape = identity, shape
        existing = _read_identity(self.path)
        if existing is None:
            self._create(seeds)
        else:
            _compare_identity(self.path, existing, identity)
            identity["schema"] = existing.get("schema")
            identity["runs"] = existing.get("runs", [])
            identity["created"] = existing.get("created")
        self.group = zarr.open_group(str(self.path), mode="r+")
        self.schema = identity.get("schema")
        self.arrays = {name: self.group[name] for name in (self.schema or {})}
        self.done = np.asarray(self.group["task_done"][...], dtype=bool)
        self._meta = {k: self.group[k] for k in ("task_done", "task_wall_time", "task_finished")}
        self._buffer, self._last_flush = [], time.monotonic()

    def _create(self, seeds):
        import xarray as xr

        if self.path.exists() and any(self.path.iterdir()):
            raise SweepStoreError(f"store {str(self.path)!r} exists and is not a utacbook sweep store; "
                                  f"it was left untouched: choose another path")
        grid = self.identity["grid"]
        names = list(grid)
        ch = _chunks(self.shape, ())
        ds = xr.Dataset({"task_seed": (names, seeds),
                         "task_done": (names, np.zeros(self.shape, dtype=bool)),
                         "task_wall_time": (names, np.full(self.shape, np.nan)),
                         "task_finished": (names, np.full(self.shape, np.nan))},
                        coords={n: np.asarray(v) for n, v in grid.items()})
        _annotate(ds)
        enc = {k: {"chunks": ch} for k in ds.data_vars}
        ds.to_zarr(str(self.path), mode="w-", encoding=enc, consolidated=False)
        import zarr                                  # the identity last: a store that has it is complete
        zarr.open_group(str(self.path), mode="r+").attrs[ATTR] = json.dumps(self.identity)

    def set_schema(self, schema):
        import dask.array as da
        import xarray as xr

        self.schema = schema
        self.identity["schema"] = schema
        names = list(self.identity["grid"])
        data, enc = {}, {}
        for name, s in schema.items():
            ch = _chunks(self.shape, tuple(s["shape"]))
            data[name] = (names + s["dims"],
                          da.full(self.shape + tuple(s["shape"]), _fill(s["dtype"]), dtype=s["dtype"], chunks=ch))
            enc[name] = {"chunks": ch}
        ds = xr.Dataset(data)
        ds.to_zarr(str(self.path), mode="a", compute=False, encoding=enc, consolidated=False)
        self._write_identity()
        self.arrays = {name: self.group[name] for name in schema}

    def _write_identity(self):
        self.group.attrs[ATTR] = json.dumps(self.identity)

    def write(self, idx, result, wall, finished):
        self._buffer.append((idx, result, wall, finished))
        self.done[idx] = True
        if time.monotonic() - self._last_flush >= FLUSH_SECONDS:
            self.write_buffer()

    def write_buffer(self):
        """Write the buffered results chunk by chunk; ``task_done`` last."""
        items, self._buffer = self._buffer, []
        self._last_flush = time.monotonic()
        if not items:
            return
        columns = [(self.arrays[name], [(idx, res[name]) for idx, res, _, _ in items]) for name in self.schema]
        columns.append((self._meta["task_wall_time"], [(idx, w) for idx, _, w, _ in items]))
        columns.append((self._meta["task_finished"], [(idx, f) for idx, _, _, f in items]))
        columns.append((self._meta["task_done"], [(idx, True) for idx, _, _, _ in items]))
        for arr, values in columns:            # done last: a task counts once all its data are in
            chunks = arr.chunks[:len(self.shape)]
            groups = {}
            for idx, value in values:
                groups.setdefault(tuple(i // c for i, c in zip(idx, chunks)), []).append((idx, value))
            for key, vals in groups.items():
                region = tuple(slice(k * c, min((k + 1) * c, n)) for k, c, n in zip(key, chunks, self.shape))
                block = arr[region]
                for idx, value in vals:
                    block[tuple(i - r.start for i, r in zip(idx, region))] = value
                arr[region] = block
        self._write_identity()                      # the run record (tasks run so far) stays current

    def flush(self):
        self.write_buffer()
        self._write_identity()

    def dataset(self, seeds):
        return open_sweep(self.path).load()


def _read_identity(path):
    path = Path(path)
    if not (path / "zarr.json").is_file() and not (path / ".zattrs").is_file():
        return None
    import zarr
    try:
        attrs = dict(zarr.open_group(str(path), mode="r").attrs)
    except Exception as exc:  # noqa: BLE001 - any unreadable store is refused the same way
        raise SweepStoreError(f"store {str(path)!r} cannot be read as a zarr group ({exc}); it was left "
                              f"untouched") from exc
    if ATTR not in attrs:
        raise SweepStoreError(f"store {str(path)!r} is a zarr group but not a utacbook sweep store (or a sweep "
                              f"was killed while creating it); it was left untouched: choose another path, or "
                              f"delete it")
    ident = attrs[ATTR]
    return json.loads(ident) if isinstance(ident, str) else ident


def _compare_identity(path, old, new):
    diffs = []
    for key in ("function", "seed", "params"):
        if old.get(key) != new.get(key):
            diffs.append(f"{key}: store {old.get(key)!r}, this call {new.get(key)!r}")
    if list(old.get("grid", {})) != list(new["grid"]):
        diffs.append(f"grid axes: store {list(old.get('grid', {}))}, this call {list(new['grid'])}")
    else:
        for n, v in new["grid"].items():
            if [_value_key(x) for x in old["grid"][n]] != [_value_key(x) for x in v]:
                diffs.append(f"grid axis {n!r}: store {old['grid'][n]}, this call {v}")
    if old.get("dims") and new.get("dims") and old["dims"] != new["dims"]:
        diffs.append(f"dims: store {old['dims']}, this call {new['dims']}")
    if old.get("format") != FORMAT:
        diffs.append(f"store format {old.get('format')}, this version writes {FORMAT}")
    if diffs:
        raise SweepStoreError(f"store {str(path)!r} was written for another sweep and was left untouched ("
                              + "; ".join(diffs) + "). Use another store path, or delete this one to start over.")


def open_sweep(store):
    """Open a sweep store as a lazy :class:`xarray.Dataset` (complete or not).

    ``task_done`` marks the completed tasks; outputs of the others are NaN
    (0 or False for integer and boolean outputs).  The sweep's identity and
    provenance are in ``ds.attrs["utacbook_sweep"]`` (a dict).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from utacbook import sweep
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "demo.zarr"
    >>> _ = sweep.run("utacbook.sweep.demo:noisy_mean", {"mu": [0.0, 1.0]}, store=path, progress=False)
    >>> ds = sweep.open_sweep(path)
    >>> int(ds.task_done.sum()), ds.attrs["utacbook_sweep"]["function"]
    (2, 'utacbook.sweep.demo:noisy_mean')
    """
    import xarray as xr

    path = Path(store)
    ident = _read_identity(path)
    if ident is None:
        raise FileNotFoundError(f"no sweep store at {str(path)!r}")
    ds = xr.open_zarr(str(path), consolidated=False)
    missing = [k for k in RESERVED_NAMES if k not in ds.variables]
    if missing:
        raise SweepStoreError(f"store {str(path)!r} is incomplete (no {missing}): it is being created, or its "
                              f"creation was interrupted")
    ds.attrs[ATTR] = ident
    return ds


# --------------------------------------------------------------------------
# where the tasks run
# --------------------------------------------------------------------------

_LOOPBACK_NAMES = {"localhost", "ip6-localhost", "ip6-loopback"}


def check_address(address, *, security=None, insecure=False):
    """Refuse a non-loopback scheduler address without TLS (a scheduler runs any code its clients send).

    Returns the address.  ``tcp://127.0.0.1:8786`` and ``tcp://localhost:8786``
    are accepted; ``tcp://10.0.0.5:8786`` is refused unless ``insecure=True``;
    ``tls://host:port`` needs ``security`` (a :class:`distributed.Security` with
    certificates).

    Examples
    --------
    >>> from utacbook.sweep import check_address
    >>> check_address("tcp://127.0.0.1:8786")
    'tcp://127.0.0.1:8786'
    """
    if not isinstance(address, str) or not address:
        raise TypeError(f"scheduler address must be a string such as 'tcp://127.0.0.1:8786', got {address!r}")
    parts = urlsplit(address if "://" in address else f"tcp://{address}")
    scheme, host = parts.scheme, parts.hostname or ""
    if scheme == "inproc":
        return address
    loopback = host in _LOOPBACK_NAMES
    if not loopback:
        try:
            loopback = ipaddress.ip_address(host).is_loopback
        except ValueError:
            loopback = False
    if loopback:
        return address
    if scheme in ("tls", "wss"):
        if security is None or not getattr(security, "require_encryption", False):
            raise ValueError(f"scheduler address {address!r} uses TLS but no certificates were given: pass "
                             f"security=distributed.Security(tls_ca_file=..., tls_client_cert=..., "
                             f"tls_client_key=..., require_encryption=True) (command line: --tls-ca-file, "
                             f"--tls-cert, --tls-key)")
        return address
    if insecure:
        return address
    raise ValueError(f"refusing to use the scheduler at {address!r} over unencrypted {scheme}://: a Dask "
                     f"scheduler runs whatever code its clients send, so anyone who can reach "
                     f"{host} could run code on the workers (and read what they compute). Use tls:// "
                     f"with certificates (see the book's page 'Sweeps on a cluster'), or an SSH tunnel "
                     f"to 127.0.0.1; if the network is private and trusted, pass --insecure "
                     f"(insecure=True)")


def local_client(n_workers=None, **kwargs):
    """A :class:`distributed.Client` on a :class:`~distributed.LocalCluster` bound to 127.0.0.1.

    One single-threaded worker process per usable CPU (``n_workers``),
    ``NUMBA_NUM_THREADS=1`` in the workers, no dashboard, the scheduler's HTTP
    endpoint on a free loopback port: processes, not threads, share the cores.
    The scheduler's worker time-to-live is switched off: a Numba kernel holds
    the GIL, so a worker inside one long call cannot send heartbeats, and with
    Dask's default (5 minutes) a task longer than that would be restarted
    again and again.  ``client.close()`` (or leaving a ``with`` block) also
    closes the cluster.  A script that calls this must do so under
    ``if __name__ == "__main__":`` (the workers re-import the script).

    Parameters
    ----------
    n_workers : int >= 1, optional
        Default: the CPUs this process may use.
    **kwargs
        Passed on to :class:`distributed.LocalCluster`.

    Returns
    -------
    distributed.Client
        Pass it as ``client=`` to :func:`run`; close it when done.

    Examples
    --------
    One worker process (starting it takes a second or two), bound to the
    loopback interface, with Numba single-threaded; leaving the ``with``
    block closes the client, the cluster and the worker process:

    >>> import os
    >>> from utacbook import sweep
    >>> with sweep.local_client(n_workers=1) as client:
    ...     address = client.scheduler.address
    ...     n_workers = len(client.scheduler_info()["workers"])
    ...     numba_threads = list(client.run(os.getenv, "NUMBA_NUM_THREADS").values())
    ...     # ds = sweep.run(func, grid, seed=..., client=client) runs the tasks on it
    >>> address.startswith("tcp://127.0.0.1:"), n_workers, numba_threads
    (True, 1, ['1'])
    >>> client.status
    'closed'
    """
    import dask
    from distributed import Client

    from .._threads import usable_cpus

    if n_workers is None:
        n_workers = usable_cpus()
    if isinstance(n_workers, bool) or not isinstance(n_workers, numbers.Integral) or n_workers < 1:
        raise ValueError(f"n_workers must be an integer >= 1, got {n_workers!r}")
    opts = dict(n_workers=int(n_workers), threads_per_worker=1, processes=True, host="127.0.0.1",
                dashboard_address=None, scheduler_kwargs={"dashboard_address": "127.0.0.1:0"},
                env={"NUMBA_NUM_THREADS": "1"}, silence_logs=40)
    opts.update(kwargs)
    with dask.config.set({"distributed.scheduler.worker-ttl": None}):
        return Client(**opts)                 # a Client that made its cluster also closes it


def _describe_client(client):
    if client is None:
        return "in-process"
    try:
        info = client.scheduler_info()
        return f"dask {client.scheduler.address} with {len(info.get('workers', {}))} workers"
    except Exception:  # noqa: BLE001 - description only
        return "dask"


# --------------------------------------------------------------------------
# run
# --------------------------------------------------------------------------

def run(func, grid, *, seed=0, params=None, dims=None, store=None, client=None, progress=None):
    """Run ``func`` on every point of a grid, in-process or on Dask, into an :class:`xarray.Dataset`.

    Each task calls ``func(**point, **params, seed=s)``, where ``point`` holds
    one value per grid axis (but ``replica``) and ``s`` is the task's own seed (:func:`task_seed`):
    derived from ``seed`` and the task's coordinate values, never from the order
    of execution, so the result is bit-identical whoever runs it (in-process, a
    local cluster of any size, a remote cluster) and however often it was
    interrupted.

    Parameters
    ----------
    func : callable or str
        An importable function (defined at the top level of a module) or its
        ``'module:qualname'``; workers import it by that name.  It returns a
        dict of numbers, booleans or fixed-shape numeric arrays, the same keys
        and shapes for every task.
    grid : mapping of str to 1-D sequence
        Axis name -> values (numbers or strings); the tasks are the Cartesian
        product.  An axis called ``replica`` (e.g. ``replica=range(16)``) is not
        passed to ``func``: it only gives each replica its own seed.
    seed : int >= 0, default 0
        The sweep's seed.
    params : mapping, optional
        Keyword arguments passed unchanged to every task (JSON values:
        numbers, strings, booleans, lists), e.g. ``{"sweeps": 1000}``.
    dims : mapping of str to tuple of str, optional
        Names of the extra dimensions of array outputs, e.g. ``{"G": ("r",)}``;
        undeclared ones are called ``<output>_dim0``, ...
    store : str or path-like, optional
        A zarr store (directory).  A task's result is written when it completes
        (tasks that complete within a second of the last write are written
        together, at most a second later); calling ``run`` again with the same arguments and store skips
        the completed tasks (resume after a crash or a kill).  A store written
        for another function, grid, params or seed is refused
        (:class:`SweepStoreError`) and left untouched.  Default: results in memory.
    client : distributed.Client or str, optional
        ``None`` (default) runs the tasks one after the other in this process.
        A :class:`distributed.Client` (e.g. from :func:`local_client`) or a
        scheduler address such as ``"tcp://127.0.0.1:8786"`` runs them on its
        workers, single-threaded (``numba.set_num_threads(1)`` per task), with
        Dask re-running the tasks of a worker that dies.  Non-loopback
        addresses need TLS (:func:`check_address`); pass your own ``Client`` to
        decide otherwise.
    progress : bool, optional
        A tqdm bar of tasks done, rate and time left (default: on unless
        ``UTACBOOK_PROGRESS=0``).

    Returns
    -------
    xarray.Dataset
        One dimension per grid axis (coordinates: its values) plus the named
        extra dimensions of array outputs; one variable per output; and
        ``task_seed``, ``task_done``, ``task_wall_time`` (s) and
        ``task_finished`` (Unix time).  ``ds.attrs["utacbook_sweep"]`` holds the
        provenance: function, grid, params, seed, package and library versions,
        the store's creation time and each run (start, end, where, tasks run).

    Raises
    ------
    ValueError, TypeError
        Bad grid, seed, params or dims; a func that is not importable; a task
        whose outputs differ in keys or shape from the others'.
    SweepStoreError
        ``store`` belongs to another sweep or is not a sweep store.
    RuntimeError
        A task raised; the completed tasks are in the store.

    Examples
    --------
    >>> from utacbook import sweep
    >>> ds = sweep.run("utacbook.sweep.demo:noisy_mean", {"mu": [0.0, 1.0], "replica": range(3)},
    ...                params={"n": 100}, seed=1, progress=False)
    >>> ds["mean"].dims, ds["mean"].shape
    (('mu', 'replica'), (2, 3))
    >>> bool(ds.task_done.all())
    True
    """
    from .._progress import progress_enabled
    from .. import __version__

    ref = _function_ref(func)
    seed = _seed(seed)
    params = _params(params)
    grid = _grid(grid, params)
    dims = _dims(dims)
    if client is not None and not isinstance(client, str) and not hasattr(client, "submit"):
        raise TypeError(f"client must be None, a distributed.Client or a scheduler address, "
                        f"got {type(client).__name__}")
    names = list(grid)
    shape = tuple(len(v) for v in grid.values())
    n_tasks = int(np.prod(shape, dtype=np.int64))
    seeds = np.empty(shape, dtype=np.int64)
    for idx in np.ndindex(*shape):
        seeds[idx] = task_seed(seed, {n: grid[n][i] for n, i in zip(names, idx)})

    identity = {"format": FORMAT, "function": ref, "grid": grid, "params": params, "seed": seed,
                "dims": dims, "schema": None,
                "created": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"), "runs": []}
    if store is None:
        sink = _Sink(identity, shape)
    else:
        sink = _ZarrSink(store, identity, shape, seeds)
    todo = [idx for idx in np.ndindex(*shape) if not sink.done[idx]]
    this_run = {"started": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
                "utacbook": __version__, "numpy": np.__version__, "python": platform.python_version(),
                "host_cpus": os.cpu_count(), "tasks_before": n_tasks - len(todo), "tasks_run": 0}
    try:
        import numba
        this_run["numba"] = numba.__version__
    except ImportError:  # pragma: no cover
        pass
    if todo:                                          # a call that finds everything done is no run
        identity["runs"] = list(identity.get("runs") or []) + [this_run]
    if store is not None and todo:
        sink.flush()                                  # the run is on record even if it is killed

    bar = None
    if progress_enabled(progress) and todo:
        from tqdm.auto import tqdm
        bar = tqdm(total=n_tasks, initial=n_tasks - len(todo), desc=ref.split(":")[-1], unit="task",
                   leave=True)

    def point_of(idx):                               # the replica axis only changes the seed
        return {n: grid[n][i] for n, i in zip(names, idx) if n != REPLICA}

    def where(idx):
        return "(" + ", ".join(f"{n}={grid[n][i]!r}" for n, i in zip(names, idx)) + ")"

    def accept(idx, result, wall, finished):
        if sink.schema is None:
            sink.set_schema(_schema_from(result, dims, where(idx)))
        sink.write(idx, _check_result(result, sink.schema, where(idx)), wall, finished)
        this_run["tasks_run"] += 1
        if bar is not None:
            bar.update(1)

    own_client = None
    try:
        if client is None or not todo:
            this_run["where"] = "in-process"
            for idx in todo:
                try:
                    result, wall, finished = _call(ref, point_of(idx), params, int(seeds[idx]), False)
                except Exception as exc:
                    raise RuntimeError(f"task {where(idx)} of {ref} failed: {exc!r}") from exc
                accept(idx, result, wall, finished)
        else:
            if isinstance(client, str):
                from distributed import Client
                own_client = Client(check_address(client), timeout="20s")
                client = own_client
            this_run["where"] = _describe_client(client)
            _run_dask(client, ref, params, todo, seeds, point_of, where, accept)
    finally:
        if bar is not None:
            bar.close()
        if own_client is not None:
            own_client.close()
        this_run["finished"] = _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds")
        if store is not None and todo:
            sink.flush()
    ds = sink.dataset(seeds)
    ds.attrs[ATTR] = identity
    return ds


def _run_dask(client, ref, params, todo, seeds, point_of, where, accept):
    from distributed import as_completed

    token = uuid.uuid4().hex[:12]
    futures = {}
    for idx in todo:
        flat = "-".join(map(str, idx))
        fut = client.submit(_call, ref, point_of(idx), params, int(seeds[idx]), True,
                            key=f"utacbook-sweep-{token}-{flat}", pure=False)
        futures[fut.key] = (idx, fut)
    try:
        for fut in as_completed([f for _, f in futures.values()]):
            idx, _ = futures.pop(fut.key)
            try:
                result, wall, finished = fut.result()
            except Exception as exc:
                raise RuntimeError(f"task {where(idx)} of {ref} failed: {exc!r}") from exc
            accept(idx, result, wall, finished)
            fut.release()
    finally:
        if futures:
            client.cancel([f for _, f in futures.values()])


if __name__ == "__main__":  # pragma: no cover
    sys.exit("use: python -m utacbook.sweep SPEC")
