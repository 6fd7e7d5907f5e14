"""Sweep specifications: a small TOML or YAML file naming the function, grid, seed and store.

Example (TOML)::

    function = "utacbook.sweep.demo:noisy_mean"   # module:qualname, importable by the workers
    seed = 2026
    store = "noisy_mean.zarr"                     # relative to this file's folder
    [params]                                      # passed unchanged to every task (optional)
    n = 1000
    [grid]                                        # the tasks are the Cartesian product
    mu = [0.0, 0.5, 1.0]
    replica = {range = 8}                         # 0, 1, ..., 7
    # x = {linspace = [0.0, 1.0, 11]}             # numpy.linspace(0, 1, 11)
    [dims]                                        # names of array outputs' extra dimensions (optional)
    # G = ["r"]
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

__all__ = ["load_spec", "run_spec", "stored_spec_path", "load_stored"]

_KEYS = {"function", "seed", "store", "grid", "params", "dims", "description"}


def _axis(name, values):
    if isinstance(values, dict):
        if set(values) == {"range"}:
            r = values["range"]
            r = [r] if isinstance(r, int) else list(r)
            if not 1 <= len(r) <= 3 or not all(isinstance(x, int) for x in r):
                raise ValueError(f"grid.{name}: range must be n or [start, stop(, step)] of integers, got {r!r}")
            return list(range(*r))
        if set(values) == {"linspace"}:
            a = values["linspace"]
            if not isinstance(a, list) or len(a) != 3:
                raise ValueError(f"grid.{name}: linspace must be [start, stop, num], got {a!r}")
            return [float(x) for x in np.linspace(float(a[0]), float(a[1]), int(a[2]))]
        raise ValueError(f"grid.{name}: a table must be {{range = ...}} or {{linspace = [start, stop, num]}}, "
                         f"got keys {sorted(values)}")
    if not isinstance(values, list):
        raise ValueError(f"grid.{name} must be a list of values, {{range = n}} or {{linspace = [...]}}, "
                         f"got {values!r}")
    return values


def load_spec(path):
    """Read a sweep specification (``.toml``, ``.yaml`` or ``.yml``).

    Returns a dict with ``function``, ``grid`` (axes expanded to lists),
    ``seed`` (default 0), ``params`` and ``dims`` (default empty), ``store``
    (an absolute path: a relative one is taken from the file's folder) and
    ``description`` (optional text).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from utacbook.sweep import load_spec
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "s.toml"
    >>> _ = p.write_text('function = "utacbook.sweep.demo:noisy_mean"\\nstore = "s.zarr"\\n'
    ...                  '[grid]\\nmu = [0.0, 1.0]\\nreplica = {range = 3}\\n')
    >>> spec = load_spec(p)
    >>> spec["grid"], spec["seed"], spec["store"].name
    ({'mu': [0.0, 1.0], 'replica': [0, 1, 2]}, 0, 's.zarr')
    """
    path = Path(path)
    text = path.read_text(encoding="utf-8")
    if path.suffix == ".toml":
        import tomllib
        try:
            raw = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            raise ValueError(f"{path}: not valid TOML: {exc}") from exc
    elif path.suffix in (".yaml", ".yml"):
        try:
            import yaml
        except ImportError as exc:  # pragma: no cover
            raise ImportError("YAML specs need PyYAML (pip install pyyaml); TOML needs nothing") from exc
        raw = yaml.safe_load(text)
    else:
        raise ValueError(f"spec must be a .toml, .yaml or .yml file, got {path.name!r}")
    if not isinstance(raw, dict):
        raise ValueError(f"{path}: the spec must be a table of keys")
    unknown = set(raw) - _KEYS
    if unknown:
        raise ValueError(f"{path}: unknown keys {sorted(unknown)}; allowed: {sorted(_KEYS)}")
    for key in ("function", "grid", "store"):
        if key not in raw:
            raise ValueError(f"{path}: the spec needs {key!r}")
    if not isinstance(raw["grid"], dict):
        raise ValueError(f"{path}: grid must be a table of axes")
    store = Path(raw["store"])
    if not store.is_absolute():
        store = (path.parent / store).resolve()
    return {"function": raw["function"], "grid": {k: _axis(k, v) for k, v in raw["grid"].items()},
            "seed": raw.get("seed", 0), "params": raw.get("params") or {}, "dims": raw.get("dims") or {},
            "store": store, "description": raw.get("description", "")}


def run_spec(spec, *, client=None, progress=None):
    """Run (or resume) the sweep a spec describes (a path or the dict :func:`load_spec` returns).

    What ``python -m utacbook.sweep SPEC`` does.

    Parameters
    ----------
    spec : str, path-like or dict
        A ``.toml``/``.yaml`` file, or what :func:`load_spec` returns.
    client : distributed.Client or str, optional
        Where the tasks run (see :func:`utacbook.sweep.run`); default in this
        process.
    progress : bool, optional
        A progress bar (default: on unless ``UTACBOOK_PROGRESS=0``).

    Returns
    -------
    xarray.Dataset
        As :func:`utacbook.sweep.run` returns it; the results are also in the
        spec's store.

    Examples
    --------
    A spec written to a temporary folder (:func:`utacbook.sweep.spec_toml`
    writes the TOML); the store is created beside it.  Running the spec again
    finds every task done and runs none: the same call resumes a killed sweep.

    >>> import tempfile, pathlib
    >>> from utacbook import sweep
    >>> tmp = tempfile.TemporaryDirectory()
    >>> path = pathlib.Path(tmp.name) / "demo.toml"
    >>> _ = path.write_text(sweep.spec_toml(function="utacbook.sweep.demo:noisy_mean", seed=5,
    ...                                     grid={"mu": [0.0, 1.0], "replica": range(2)},
    ...                                     params={"n": 100}, store="demo.zarr"))
    >>> ds = sweep.run_spec(path, progress=False)
    >>> ds["mean"].dims, int(ds["task_done"].sum())
    (('mu', 'replica'), 4)
    >>> again = sweep.run_spec(path, progress=False)
    >>> len(again.attrs["utacbook_sweep"]["runs"]), bool((again["mean"] == ds["mean"]).all())
    (1, True)
    >>> sorted(p.name for p in path.parent.iterdir())
    ['demo.toml', 'demo.zarr']
    >>> tmp.cleanup()
    """
    from ._engine import run

    if not isinstance(spec, dict):
        spec = load_spec(spec)
    return run(spec["function"], spec["grid"], seed=spec["seed"], params=spec["params"], dims=spec["dims"],
               store=spec["store"], client=client, progress=progress)


def stored_spec_path(name):
    """Path of a sweep specification committed with the book: ``book/data/sweeps/<name>.toml``.

    Examples
    --------
    >>> from utacbook.sweep import stored_spec_path
    >>> stored_spec_path("ising_large_lattices").name
    'ising_large_lattices.toml'
    """
    from ..stored import DATA_DIR
    if not isinstance(name, str) or not name or "/" in name or name.endswith(".toml"):
        raise ValueError(f"name must be a spec's name without folder or suffix, got {name!r}")
    return DATA_DIR / "sweeps" / f"{name}.toml"


def load_stored(name):
    """A sweep committed with the book, loaded into memory: ``(Dataset, spec)``.

    The chapters built on stored sweeps call this; see :func:`stored_spec_path`.

    Examples
    --------
    The universality sweep of the RG part (7 sizes x 7 couplings x 4
    replicas, 20 blocks per run), complete; its coordinates are the spec's
    grid, and each task ran at the spec's ``K = K0 (1 + y/L)``:

    >>> from utacbook import sweep
    >>> ds, spec = sweep.load_stored("rg_universality")
    >>> dict(ds.sizes)
    {'L': 7, 'y': 7, 'replica': 4, 'block': 20}
    >>> int(ds["task_done"].sum()), ds["L"].values.tolist() == spec["grid"]["L"]
    (196, True)
    >>> K0 = spec["params"]["K0"]
    >>> bool(abs(ds["K"] - K0 * (1 + ds["y"] / ds["L"])).max() < 1e-12)
    True
    """
    from ._engine import open_sweep
    spec = load_spec(stored_spec_path(name))
    return open_sweep(spec["store"]).load(), spec
