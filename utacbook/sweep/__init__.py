"""Sweeps over grids of independent tasks: in-process or on Dask, into a resumable zarr store.

:func:`run` calls an importable function on every point of a grid (the
Cartesian product of named axes; replicas are an axis), gives each task a seed
derived from the sweep's seed and the task's coordinates (:func:`task_seed`),
and collects the results into an :class:`xarray.Dataset`.  With ``store=`` every
result is written to a zarr store the moment its task completes, and the same
call resumes an interrupted sweep.  With ``client=`` the tasks run on a Dask
cluster (:func:`local_client` for this machine's cores).  Because seeds do not
depend on who runs a task or when, the Dataset is bit-identical in all cases.

``python -m utacbook.sweep SPEC`` runs a sweep described in a TOML or YAML
file from the command line (``python -m utacbook.sweep --help``).

Examples
--------
>>> from utacbook import sweep
>>> ds = sweep.run("utacbook.sweep.demo:noisy_mean", {"mu": [0.0, 0.5]}, params={"n": 50},
...                seed=7, progress=False)
>>> ds["mean"].dims
('mu',)
"""

from . import demo  # noqa: F401
from ._engine import (REPLICA, RESERVED_NAMES, SweepStoreError, check_address, local_client, open_sweep, run,
                      task_seed, task_seeds)
from ._check import estimate_cost, reproduce, spec_toml
from ._spec import load_spec, load_stored, run_spec, stored_spec_path

__all__ = ["run", "open_sweep", "task_seed", "task_seeds", "local_client", "check_address",
           "load_spec", "run_spec", "load_stored", "stored_spec_path", "reproduce", "estimate_cost",
           "spec_toml", "SweepStoreError", "RESERVED_NAMES", "REPLICA"]
