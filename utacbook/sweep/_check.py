"""What a chapter does with a stored sweep: re-run a few tasks, estimate the cost of a bigger one."""

from __future__ import annotations

import math

import numpy as np

__all__ = ["reproduce", "estimate_cost", "spec_toml"]


def _identity(ds):
    ident = ds.attrs.get("utacbook_sweep")
    if not isinstance(ident, dict):
        raise ValueError("ds is not a sweep Dataset (no attrs['utacbook_sweep']): open it with "
                         "utacbook.sweep.open_sweep")
    return ident


def reproduce(ds, *, n=3, max_seconds=5.0, seed=0):
    """Re-run ``n`` randomly chosen completed tasks in this process and compare them bit for bit.

    Parameters
    ----------
    ds : xarray.Dataset
        A sweep (from :func:`utacbook.sweep.run` or :func:`utacbook.sweep.open_sweep`).
    n : int >= 1
        Number of tasks to re-run.
    max_seconds : float > 0
        Only tasks whose stored wall time is at most this are drawn (a chapter
        has a time budget); the choice is uniform among them.
    seed : int >= 0
        Seed of the random choice of tasks.

    Returns
    -------
    pandas.DataFrame
        One row per re-run task: its coordinates, ``task_seed``, the stored and
        the new wall time (s), and ``identical`` (every output equal, bit for
        bit, NaN equal to NaN).

    Examples
    --------
    >>> from utacbook import sweep
    >>> ds = sweep.run("utacbook.sweep.demo:noisy_mean", {"mu": [0.0, 1.0, 2.0]}, progress=False)
    >>> bool(sweep.reproduce(ds, n=2)["identical"].all())
    True
    """
    import pandas as pd

    from ._engine import REPLICA, _call

    ident = _identity(ds)
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
        raise ValueError(f"n must be an integer >= 1, got {n!r}")
    if not (isinstance(max_seconds, (int, float)) and max_seconds > 0):
        raise ValueError(f"max_seconds must be > 0, got {max_seconds!r}")
    grid = ident["grid"]
    names = list(grid)
    done = np.asarray(ds["task_done"].values, dtype=bool)
    wall = np.asarray(ds["task_wall_time"].values)
    ok = done & (wall <= max_seconds)
    cand = np.argwhere(ok)
    if len(cand) == 0:
        raise ValueError(f"no completed task ran in at most max_seconds = {max_seconds} s")
    pick = np.random.default_rng(seed).choice(len(cand), size=min(n, len(cand)), replace=False)
    outputs = list(ident["schema"])
    rows = []
    for j in sorted(pick):
        idx = tuple(int(i) for i in cand[j])
        point = {k: grid[k][i] for k, i in zip(names, idx)}
        s = int(ds["task_seed"].values[idx])
        result, seconds, _ = _call(ident["function"], {k: x for k, x in point.items() if k != REPLICA},
                                   ident["params"], s, False)
        same = all(np.array_equal(np.asarray(ds[o].values[idx]), np.asarray(result[o]), equal_nan=True)
                   for o in outputs)
        rows.append({**point, "task_seed": s, "stored_seconds": float(wall[idx]),
                     "rerun_seconds": float(seconds), "identical": bool(same)})
    return pd.DataFrame(rows)


def estimate_cost(ds, grid, *, scale_axis, min_value=None):
    """CPU time a sweep on another grid would take, scaled from this sweep's measured task times.

    The wall time of a task is modelled as ``c * value**p`` of ``scale_axis``
    (e.g. the lattice size L), with ``c`` and ``p`` fitted (least squares in
    logs) to the mean measured time per value of that axis over all other
    axes; the other axes only multiply the number of tasks.  Changes of
    ``params`` (e.g. more steps) are *not* modelled: pass the same ones, or
    scale the result yourself.

    Parameters
    ----------
    ds : xarray.Dataset
        A completed or partial sweep.
    grid : mapping of str to sequence
        The grid of the sweep to estimate; it must have ``scale_axis``.
    scale_axis : str
        The axis the task time grows with.
    min_value : float, optional
        Fit only the measured values of ``scale_axis`` at or above this (small
        tasks are dominated by fixed costs such as starting a run).

    Returns
    -------
    dict
        ``cpu_seconds`` (total), ``tasks``, ``exponent`` p, ``per_value``
        (mapping value -> estimated seconds per task), ``fit_values`` (the
        measured values the fit used).

    Examples
    --------
    The stored Wolff sweep of the Ising part ran L = 16..512; what would
    L = 1024 cost, at one value of ``x`` and 8 replicas?  The time per task
    grows about as ``L**2`` (the number of sites), and the estimate is the fitted
    power law:

    >>> from utacbook import sweep
    >>> ds, spec = sweep.load_stored("ising_large_lattices")
    >>> cost = sweep.estimate_cost(ds, {"L": [512, 1024], "x": [0.0], "replica": range(8)},
    ...                            scale_axis="L", min_value=64)
    >>> cost["fit_values"], cost["tasks"], round(cost["exponent"], 1)
    ([64.0, 128.0, 256.0, 512.0], 16, 2.1)
    >>> per = cost["per_value"]
    >>> bool(abs(per[1024.0] / per[512.0] - 2 ** cost["exponent"]) < 1e-9)
    True
    >>> bool(abs(cost["cpu_seconds"] - 8 * (per[512.0] + per[1024.0])) < 1e-9)
    True
    """
    ident = _identity(ds)
    if scale_axis not in ident["grid"] or scale_axis not in grid:
        raise ValueError(f"scale_axis {scale_axis!r} must be an axis of both grids")
    done = np.asarray(ds["task_done"].values, dtype=bool)
    wall = np.where(done, np.asarray(ds["task_wall_time"].values), np.nan)
    ax = ds["task_wall_time"].dims.index(scale_axis)
    vals = np.asarray(ds[scale_axis].values, dtype=float)      # the Dataset's own axis (it may be a subset)
    other = tuple(i for i in range(wall.ndim) if i != ax)
    with np.errstate(invalid="ignore"):
        mean = np.nanmean(wall, axis=other) if other else wall
    good = np.isfinite(mean) & (mean > 0) & (vals > 0)
    if min_value is not None:
        good &= vals >= float(min_value)
    if good.sum() < 2:
        raise ValueError(f"need measured task times at two or more values of {scale_axis!r}")
    p, logc = np.polyfit(np.log(vals[good]), np.log(mean[good]), 1)
    new_vals = np.asarray(grid[scale_axis], dtype=float)
    per = {float(x): float(math.exp(logc) * x ** p) for x in new_vals}
    n_other = int(np.prod([len(v) for k, v in grid.items() if k != scale_axis]))
    total = n_other * sum(per.values())
    return {"cpu_seconds": total, "tasks": n_other * len(new_vals), "exponent": float(p),
            "per_value": per, "fit_values": vals[good].tolist()}


def _toml_value(x):
    if isinstance(x, bool):
        return "true" if x else "false"
    if isinstance(x, (int, np.integer)):
        return str(int(x))
    if isinstance(x, (float, np.floating)):
        return repr(float(x))
    if isinstance(x, str):
        return '"' + x.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(x, (list, tuple, range, np.ndarray)):
        return "[" + ", ".join(_toml_value(v) for v in x) + "]"
    raise TypeError(f"cannot write {type(x).__name__} to TOML")


def spec_toml(*, function, grid, seed=0, params=None, store, description=""):
    """A sweep specification as TOML text (what ``python -m utacbook.sweep`` reads).

    Examples
    --------
    >>> from utacbook.sweep import spec_toml
    >>> print(spec_toml(function="utacbook.sweep.demo:noisy_mean", grid={"mu": [0.0, 1.0]}, store="s.zarr"))
    function = "utacbook.sweep.demo:noisy_mean"
    seed = 0
    store = "s.zarr"
    <BLANKLINE>
    [grid]
    mu = [0.0, 1.0]
    <BLANKLINE>
    """
    lines = []
    if description:
        lines.append(f"description = {_toml_value(description)}")
    lines += [f"function = {_toml_value(function)}", f"seed = {int(seed)}", f"store = {_toml_value(str(store))}", ""]
    if params:
        lines.append("[params]")
        lines += [f"{k} = {_toml_value(v)}" for k, v in params.items()]
        lines.append("")
    lines.append("[grid]")
    for k, vals in grid.items():
        vals = list(vals)
        if vals == list(range(len(vals))) and len(vals) > 3 and all(isinstance(v, (int, np.integer)) for v in vals):
            lines.append(f"{k} = {{range = {len(vals)}}}")
        else:
            lines.append(f"{k} = {_toml_value(vals)}")
    lines.append("")
    return "\n".join(lines)
