"""Stored, reproducible results for numbers a chapter cannot compute in its time budget.

A chapter must run in under a minute.  A number that takes longer to measure
(a long Monte Carlo run, a large scan) is computed once by an importable
function of :mod:`utacbook`, stored as JSON in ``book/data/<name>.json``
together with its provenance, and loaded by the chapter, which prints the
provenance beside the number::

    res = ub.stored.load("rg_binder_kc")
    print(res.provenance_text())
    K_c, K_c_err = res["K_c"], res["K_c_err"]

The provenance is: the function (``module:qualname``), its keyword
arguments (seeds included), the package version, when it was computed, how
long it took, and on how many cores.  ``python -m utacbook.stored NAME``
recomputes an entry from that record and rewrites the file (``--check``
recomputes and compares without writing).

Results must be JSON: a dict of numbers, strings, booleans and (nested) lists
of them.  NumPy scalars and arrays are converted on the way in.
"""

from __future__ import annotations

import argparse
import datetime as _dt
import importlib
import json
import math
import os
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

__all__ = ["DATA_DIR", "StoredResult", "compute", "load", "recompute"]

#: where stored results live (committed with the book)
DATA_DIR = Path(__file__).resolve().parents[1] / "book" / "data"


def _jsonable(x, where="result"):
    if isinstance(x, np.ndarray):
        return [_jsonable(v, where) for v in x.tolist()]
    if isinstance(x, np.generic):
        x = x.item()
    if isinstance(x, dict):
        return {str(k): _jsonable(v, f"{where}[{k!r}]") for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [_jsonable(v, where) for v in x]
    if isinstance(x, float) and not math.isfinite(x):
        raise ValueError(f"{where} contains a non-finite number ({x!r}); store finite values only")
    if x is None or isinstance(x, (bool, int, float, str)):
        return x
    raise TypeError(f"{where} contains a {type(x).__name__}, which is not JSON")


def _resolve(function):
    if not isinstance(function, str) or ":" not in function:
        raise ValueError(f"function must be 'module:qualname', got {function!r}")
    mod, qual = function.split(":", 1)
    obj = importlib.import_module(mod)
    for part in qual.split("."):
        obj = getattr(obj, part)
    return obj


@dataclass(frozen=True)
class StoredResult:
    """A stored result and its provenance.  Index it like a dict.

    Made by :func:`load`, :func:`compute` and :func:`recompute`.

    Attributes
    ----------
    name : str
        The file stem (``book/data/<name>.json``).
    values : dict
        The result (JSON values).
    provenance : dict
        ``function`` (``module:qualname``), ``params`` (its keyword arguments,
        seed included), ``version`` (of utacbook), ``created`` (UTC),
        ``seconds``, ``cores`` and ``numba_threads``.

    Examples
    --------
    >>> from utacbook import stored
    >>> res = stored.load("ising_engine_zero_cost_tau")
    >>> res
    <StoredResult ising_engine_zero_cost_tau: sizes, accept, T, n_seeds, sweeps, burn_in>
    >>> res["sizes"], "tau" in res.keys()
    ([16, 32], True)
    >>> res.provenance["function"], res.provenance["params"]["seed"]
    ('utacbook.studies.ising.engine:zero_cost_tau_result', 910)
    """

    name: str
    values: dict
    provenance: dict

    def __getitem__(self, key):
        return self.values[key]

    def keys(self):
        return self.values.keys()

    def provenance_text(self):
        """One paragraph saying where the numbers come from and how to recompute them."""
        p = self.provenance
        args = ", ".join(f"{k}={v!r}" for k, v in p["params"].items())
        return (f"Stored result '{self.name}' (book/data/{self.name}.json): "
                f"{p['function']}({args}); utacbook {p['version']}, computed {p['created']} "
                f"in {p['seconds']:.0f} s on {p['cores']} cores. "
                f"Recompute with: python -m utacbook.stored {self.name}")

    def __repr__(self):
        return f"<StoredResult {self.name}: {', '.join(list(self.values)[:6])}>"


def compute(name, function, *, data_dir=None, **params):
    """Run ``function(**params)``, store its result with provenance, and return it.

    Parameters
    ----------
    name : str
        File stem (letters, digits, ``_``).
    function : str
        ``"module:qualname"`` of an importable function returning a dict.
    data_dir : path, optional
        Where to write (default :data:`DATA_DIR`).
    **params
        Keyword arguments of the function (include its ``seed``); JSON
        values only, so that the call can be repeated from the record.

    Returns
    -------
    StoredResult

    Examples
    --------
    Store a small seeded computation in a temporary folder (a chapter's
    entries go to :data:`DATA_DIR`, the default); the stored values are those
    of the direct call, and the record holds the call:

    >>> import tempfile
    >>> from utacbook import stored
    >>> from utacbook.sweep.demo import noisy_mean
    >>> tmp = tempfile.TemporaryDirectory()
    >>> folder = tmp.name
    >>> res = stored.compute("demo_mean", "utacbook.sweep.demo:noisy_mean", data_dir=folder,
    ...                      mu=1.0, n=1000, seed=3)
    >>> res
    <StoredResult demo_mean: mean, sem, n>
    >>> res.values == noisy_mean(mu=1.0, n=1000, seed=3)
    True
    >>> res.provenance["function"], res.provenance["params"]
    ('utacbook.sweep.demo:noisy_mean', {'mu': 1.0, 'n': 1000, 'seed': 3})
    >>> stored.load("demo_mean", data_dir=folder).values == res.values
    True
    >>> tmp.cleanup()
    """
    from utacbook import __version__
    if not name.replace("_", "").isalnum():
        raise ValueError(f"name must be letters, digits and '_', got {name!r}")
    func = _resolve(function)
    params = _jsonable(params, "params")
    t0 = time.perf_counter()
    values = func(**params)
    seconds = time.perf_counter() - t0
    if not isinstance(values, dict):
        raise TypeError(f"{function} must return a dict, got {type(values).__name__}")
    values = _jsonable(values)
    prov = {"function": function, "params": params, "version": __version__,
            "created": _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
            "seconds": round(seconds, 1), "cores": os.cpu_count(),
            "numba_threads": os.environ.get("NUMBA_NUM_THREADS", "default")}
    folder = Path(data_dir) if data_dir is not None else DATA_DIR
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.json"
    path.write_text(json.dumps({"provenance": prov, "values": values}, indent=1, ensure_ascii=False) + "\n",
                    encoding="utf-8")
    return StoredResult(name, values, prov)


def load(name, *, data_dir=None):
    """Load a stored result (see :func:`compute`).

    Parameters
    ----------
    name : str
        File stem: the result is ``<data_dir>/<name>.json``.
    data_dir : path, optional
        Where to look (default :data:`DATA_DIR`, ``book/data``).

    Returns
    -------
    StoredResult

    Raises
    ------
    FileNotFoundError
        If there is no such stored result; the message says how to make it.

    Examples
    --------
    A result stored with the book (``book/data/ising_engine_zero_cost_tau.json``)
    and its provenance; the study ran at Onsager's critical temperature:

    >>> from utacbook import stored
    >>> from utacbook.theory import onsager_tc
    >>> res = stored.load("ising_engine_zero_cost_tau")
    >>> sorted(res.provenance)
    ['cores', 'created', 'function', 'numba_threads', 'params', 'seconds', 'version']
    >>> res.provenance["params"]["seed"], res.provenance["params"]["sizes"]
    (910, [16, 32])
    >>> res["T"] == onsager_tc()
    True
    >>> print(res.provenance_text())  # doctest: +ELLIPSIS, +NORMALIZE_WHITESPACE
    Stored result 'ising_engine_zero_cost_tau' (book/data/ising_engine_zero_cost_tau.json):
    utacbook.studies.ising.engine:zero_cost_tau_result(seed=910, sizes=[16, 32], ...); utacbook ...
    Recompute with: python -m utacbook.stored ising_engine_zero_cost_tau
    >>> stored.load("no_such_result")
    Traceback (most recent call last):
    ...
    FileNotFoundError: no stored result 'no_such_result' at ...
    """
    folder = Path(data_dir) if data_dir is not None else DATA_DIR
    path = folder / f"{name}.json"
    if not path.is_file():
        raise FileNotFoundError(f"no stored result {name!r} at {path}; compute it with utacbook.stored.compute")
    d = json.loads(path.read_text(encoding="utf-8"))
    return StoredResult(name, d["values"], d["provenance"])


def recompute(name, *, data_dir=None, write=True):
    """Recompute a stored result from its provenance record.

    Parameters
    ----------
    name : str
        File stem of the stored result.
    data_dir : path, optional
        Where it is (default :data:`DATA_DIR`).
    write : bool, default True
        Write the new result over the file.

    Returns
    -------
    (old, new) : tuple of StoredResult
        ``new`` is written over the file only if ``write``.

    Examples
    --------
    A seeded computation recomputes bit for bit (here a small one stored in
    a temporary folder; ``python -m utacbook.stored --check NAME`` does this
    for the book's entries):

    >>> import tempfile
    >>> from utacbook import stored
    >>> tmp = tempfile.TemporaryDirectory()
    >>> folder = tmp.name
    >>> _ = stored.compute("demo_mean", "utacbook.sweep.demo:noisy_mean", data_dir=folder,
    ...                    mu=1.0, n=1000, seed=3)
    >>> old, new = stored.recompute("demo_mean", data_dir=folder, write=False)
    >>> new.values == old.values, new.provenance["params"] == old.provenance["params"]
    (True, True)
    >>> tmp.cleanup()
    """
    old = load(name, data_dir=data_dir)
    p = old.provenance
    if write:
        new = compute(name, p["function"], data_dir=data_dir, **p["params"])
    else:
        t0 = time.perf_counter()
        vals = _jsonable(_resolve(p["function"])(**p["params"]))
        new = StoredResult(name, vals, dict(p, seconds=round(time.perf_counter() - t0, 1)))
    return old, new


def main(argv=None):  # pragma: no cover - command line
    ap = argparse.ArgumentParser(prog="python -m utacbook.stored", description=__doc__.splitlines()[0])
    ap.add_argument("names", nargs="+", help="stored results to recompute (book/data/<name>.json)")
    ap.add_argument("--check", action="store_true", help="recompute and compare, do not write")
    args = ap.parse_args(argv)
    status = 0
    for name in args.names:
        old, new = recompute(name, write=not args.check)
        same = old.values == new.values
        print(f"{name}: recomputed in {new.provenance['seconds']:.0f} s; "
              f"{'identical to' if same else 'DIFFERS from'} the stored values")
        status |= (not same) and args.check
    return int(status)


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
