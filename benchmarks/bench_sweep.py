"""Benchmark: what the sweep engine (``utacbook.sweep``) costs per task, in-process and on local Dask clusters.

Two grids of the CPU-bound demo task ``utacbook.sweep.demo:spin`` (it computes
until ``seconds`` of wall time have passed, then returns one seeded number):

* **short tasks**: ``seconds = 0.002``, 20 values of ``x`` times 20 replicas
  (400 tasks; 200 with ``--quick``);
* **long tasks**: ``seconds = 0.5``, 4 values of ``x`` times 4 replicas
  (16 tasks; ``--quick``: 0.25 s, 8 tasks).

Each grid runs in five ways, interleaved round by round so that all see the
same machine state:

1. the reference: a serial Python loop calling ``spin`` directly with the
   task seeds (computed beforehand, outside the timing);
2. ``sweep.run`` in-process, results in memory;
3. ``sweep.run`` in-process into a zarr store (a new one in a temporary
   folder every round);
4. ``sweep.run`` on ``sweep.local_client(1)``;
5. ``sweep.run`` on ``sweep.local_client(2)``.

For each it reports the best and median wall time over the rounds, the
per-task overhead ``(wall - serial) / n_tasks`` (best against best), the
worker-time overhead ``(workers * wall - serial) / n_tasks`` (what each
task costs in worker-seconds beyond its own work; the same for one worker),
the throughput (tasks/s) and the speed-up over the serial loop.  The two
clusters are started once, before the rounds; their start-up (the
``local_client`` call), their first sweep (one tiny task per worker: the
workers import ``utacbook``) and their shutdown are timed separately.

Every Dataset is checked against the in-process one (outputs, ``task_seed``
and ``task_done`` identical; provenance, wall and finish times differ by
design), and the outputs against the serial loop's, bit for bit.  The script
exits with status 1 if any differs.

Because ``spin`` runs for a fixed *wall* time, the serial loop takes the same
time on a busy machine, and two workers can run two tasks at once even when
another process holds a core: the numbers measure the engine's overhead, not
the CPU the tasks get.  The overhead itself (Python, Dask's scheduler, zarr
writes) does need CPU, and grows when the machine is shared: each grid prints
how many cores other processes used meanwhile.

Usage::

    python benchmarks/bench_sweep.py           # about 2 minutes
    python benchmarks/bench_sweep.py --quick   # under a minute
    python benchmarks/bench_sweep.py --json /tmp/sweep.json

The last block of the output is Markdown for ``benchmarks/README.md``.
"""

from __future__ import annotations

# Keep the module level light: Dask's worker processes re-import this file
# (multiprocessing "spawn") and the cluster start-up is part of what is timed.
import argparse
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
import warnings
from pathlib import Path

HERE = Path(__file__).resolve().parent
FUNC = "utacbook.sweep.demo:spin"
SEED = 2026
MODES = ("serial loop", "run, in-process", "run, in-process, zarr store", "run, local_client(1)",
         "run, local_client(2)")
WORKERS = {"serial loop": 1, "run, in-process": 1, "run, in-process, zarr store": 1,
           "run, local_client(1)": 1, "run, local_client(2)": 2}


def grids(quick):
    """(name, grid, params) of the two benchmark grids: short tasks, then long ones."""
    import numpy as np

    n_short = 10 if quick else 20
    short = {"x": [float(v) for v in np.linspace(0.0, 1.0, n_short)], "replica": list(range(20))}
    long_ = {"x": [0.0, 1.0] if quick else [0.0, 1.0, 2.0, 3.0], "replica": list(range(4))}
    return [("short", short, {"seconds": 0.002}), ("long", long_, {"seconds": 0.25 if quick else 0.5})]


class Watch:
    """Cores other processes kept busy while a block ran (not this process, not its cluster workers)."""

    def __init__(self, stat):
        self.stat = stat

    @staticmethod
    def _ours():
        import psutil

        total = 0.0
        for p in [psutil.Process()] + psutil.Process().children(recursive=True):
            try:
                t = p.cpu_times()
                total += t.user + t.system
            except psutil.Error:
                pass
        return total

    def __enter__(self):
        self.t0, self.s0, self.c0 = time.perf_counter(), self.stat(), self._ours()
        return self

    def __exit__(self, *exc):
        self.wall = time.perf_counter() - self.t0
        s1, c1 = self.stat(), self._ours()
        if self.s0 is None or s1 is None or self.wall <= 0:
            self.others = float("nan")
        else:
            self.others = max(0.0, (s1[0] - self.s0[0] - (c1 - self.c0)) / self.wall)
        return False


def timed(fn, *args):
    t0 = time.perf_counter()
    out = fn(*args)
    return time.perf_counter() - t0, out


def serial_loop(grid, params, seeds):
    """The reference: call the function directly on every task, in the grid's order."""
    import numpy as np

    from utacbook.sweep.demo import spin

    out = np.empty(seeds.shape)
    for idx in np.ndindex(*seeds.shape):
        out[idx] = spin(x=grid["x"][idx[0]], **params, seed=int(seeds[idx]))["y"]
    return out


def comparable(ds):
    """The part of a sweep Dataset that must not depend on how it ran."""
    return ds[["y", "task_seed", "task_done"]].drop_attrs(deep=True)


def call_mode(mode, grid, params, clients, store):
    """One ``sweep.run`` call the way ``mode`` says."""
    from utacbook import sweep

    kw = {"store": store} if mode.endswith("zarr store") else {}
    if "local_client(" in mode:
        kw["client"] = clients[int(mode[-2])]
    return sweep.run(FUNC, grid, seed=SEED, params=params, progress=False, **kw)


def fixed_costs(clients, tmp, repeats=5):
    """Wall time of a sweep of one task of 0 s: what a call costs besides its tasks."""
    print("\nfixed cost of a call: a sweep of one task of 0 s, best and median of", repeats, flush=True)
    out = {}
    for mode in MODES[1:]:
        times = [timed(call_mode, mode, {"x": [0.0]}, {"seconds": 0.0}, clients,
                       tmp / f"fixed-{len(out)}-{k}.zarr")[0] for k in range(repeats)]
        out[mode] = {"best": min(times), "median": statistics.median(times), "times": times}
        print(f"  {mode:28s} best {1e3 * min(times):7.1f} ms  median {1e3 * statistics.median(times):7.1f} ms")
    return out


def run_grid(name, grid, params, rounds, clients, tmp):
    """Time the five modes over ``rounds`` interleaved rounds; check every Dataset."""
    import numpy as np
    import xarray as xr

    from bench_emergent_beta import _proc_stat, load_str
    from utacbook import sweep

    n = int(np.prod([len(v) for v in grid.values()]))
    seeds = sweep.task_seeds(SEED, grid)
    print(f"\n{name} tasks: {FUNC} with {params}, grid {list(grid)} = {n} tasks, {rounds} round(s); "
          f"load {load_str()}", flush=True)
    times = {m: [] for m in MODES}
    problems = []
    reference = None
    y_serial = None
    with Watch(_proc_stat) as watch:
        for r in range(rounds):
            for mode in MODES:
                if mode == "serial loop":
                    dt, out = timed(serial_loop, grid, params, seeds)
                else:
                    dt, out = timed(call_mode, mode, grid, params, clients, tmp / f"{name}-{r}.zarr")
                times[mode].append(dt)
                if mode == "serial loop":
                    y_serial = out
                    continue
                if reference is None:
                    reference = comparable(out)
                try:
                    xr.testing.assert_identical(comparable(out), reference)
                except AssertionError as exc:
                    problems.append(f"{name}, {mode}, round {r + 1}: Dataset differs from the in-process one: "
                                    f"{str(exc)[:300]}")
                if not np.array_equal(out["y"].values, y_serial):
                    problems.append(f"{name}, {mode}, round {r + 1}: outputs differ from the serial loop's")
            print(f"  round {r + 1}: " + ", ".join(f"{m} {times[m][-1]:.3f} s" for m in MODES), flush=True)
    print(f"  other processes used {watch.others:.2f} cores meanwhile (not counting this process and its "
          f"cluster workers); load {load_str()}")
    serial = min(times["serial loop"])
    rows = []
    for mode in MODES:
        best, med = min(times[mode]), statistics.median(times[mode])
        w = WORKERS[mode]
        rows.append({"grid": name, "mode": mode, "tasks": n, "task_seconds": params["seconds"], "workers": w,
                     "rounds": rounds, "wall_best": best, "wall_median": med, "times": times[mode],
                     "overhead_ms": 1e3 * (best - serial) / n,
                     "overhead_median_ms": 1e3 * (med - statistics.median(times["serial loop"])) / n,
                     "worker_overhead_ms": 1e3 * (w * best - serial) / n,
                     "tasks_per_s": n / best, "speedup": serial / best})
    for row in rows:
        print(f"  {row['mode']:28s} best {row['wall_best']:7.3f} s  median {row['wall_median']:7.3f} s  "
              f"overhead {row['overhead_ms']:8.3f} ms/task (median {row['overhead_median_ms']:.3f})  "
              f"worker-time {row['worker_overhead_ms']:8.3f} ms/task  {row['tasks_per_s']:8.1f} tasks/s  "
              f"speed-up {row['speedup']:.2f}")
    return rows, problems, watch.others


def start_clients():
    """local_client(1) and local_client(2): start-up, first sweep (workers import utacbook)."""
    from utacbook import sweep

    clients, startup = {}, {}
    for n in (1, 2):
        dt, client = timed(sweep.local_client, n)
        first, _ = timed(call_mode, f"run, local_client({n})", {"x": [float(i) for i in range(n)]},
                         {"seconds": 0.0}, {n: client}, None)
        clients[n] = client
        startup[n] = {"start": dt, "first_sweep": first}
        print(f"  local_client({n}): started in {dt:.2f} s; first sweep ({n} task(s) of 0 s) {first:.2f} s",
              flush=True)
    return clients, startup


def close_clients(clients, startup):
    for n, client in sorted(clients.items(), reverse=True):     # the last started first (log levels)
        cluster = client.cluster
        dt, _ = timed(lambda c=client, cl=cluster: (c.close(), cl.close()))
        startup[n]["close"] = dt
        print(f"  local_client({n}): closed in {dt:.2f} s")


def machine(quick):
    import dask
    import distributed
    import numpy as np
    import xarray as xr
    import zarr

    from bench_emergent_beta import cpu_model, load
    import utacbook
    from utacbook._threads import usable_cpus

    info = {"date": time.strftime("%Y-%m-%d %H:%M %Z"), "cpu": cpu_model(), "logical_cpus": os.cpu_count(),
            "usable_cpus": usable_cpus(), "load_start": [round(x, 2) for x in load()],
            "python": sys.version.split()[0], "numpy": np.__version__, "dask": dask.__version__,
            "distributed": distributed.__version__, "zarr": zarr.__version__, "xarray": xr.__version__,
            "utacbook": utacbook.__version__, "quick": quick,
            "NUMBA_NUM_THREADS": os.environ.get("NUMBA_NUM_THREADS", "(unset)")}
    print("Machine")
    for k, v in info.items():
        print(f"  {k:18s} {v}")
    return info


def markdown(info, rows, fixed, startup, others, total):
    la = info["load_start"]
    lines = [f"`python benchmarks/bench_sweep.py{' --quick' if info['quick'] else ''}`, {info['date']}, "
             f"{info['cpu']}, {info['logical_cpus']} logical CPUs ({info['usable_cpus']} usable), load average "
             f"{la[0]:.2f} / {la[1]:.2f} / {la[2]:.2f} at the start; other processes used "
             + ", ".join(f"{o:.2f} cores during the {g} grid" for g, o in others.items())
             + f". Python {info['python']}, dask/distributed {info['distributed']}, zarr {info['zarr']}, "
             f"xarray {info['xarray']}. Whole run {total:.0f} s.", ""]
    lines += ["| grid | mode | wall (s), best [median] | overhead per task (ms) | worker-time overhead per task (ms) "
              "| tasks/s | speed-up vs serial loop |", "|---|---|---:|---:|---:|---:|---:|"]
    for g in dict.fromkeys(r["grid"] for r in rows):
        first = True
        for r in (r for r in rows if r["grid"] == g):
            label = f"{g}: {r['tasks']} × {r['task_seconds'] * 1e3:g} ms, best of {r['rounds']}" if first else ""
            first = False
            ov = "(reference)" if r["mode"] == "serial loop" else f"{r['overhead_ms']:.2f}"
            wov = "(reference)" if r["mode"] == "serial loop" else f"{r['worker_overhead_ms']:.2f}"
            lines.append(f"| {label} | {r['mode']} | {r['wall_best']:.3f} [{r['wall_median']:.3f}] | {ov} | {wov} "
                         f"| {r['tasks_per_s']:.1f} | {r['speedup']:.2f} |")
    lines += ["", "| one task of 0 s | wall (ms), best [median] of " + str(len(next(iter(fixed.values()))["times"]))
              + " |", "|---|---:|"]
    for mode, f in fixed.items():
        lines.append(f"| {mode} | {1e3 * f['best']:.1f} [{1e3 * f['median']:.1f}] |")
    lines += ["", "| cluster | start-up (s) | first sweep, 1 task per worker (s) | close (s) |", "|---|---:|---:|---:|"]
    for n, s in startup.items():
        lines.append(f"| `local_client({n})` | {s['start']:.2f} | {s['first_sweep']:.2f} | {s.get('close', 0):.2f} |")
    return "\n".join(lines)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="200 short tasks, 8 long tasks of 0.25 s")
    ap.add_argument("--repeats", type=int, default=3, help="rounds of the short grid (default 3; best of them)")
    ap.add_argument("--long-repeats", type=int, default=None, help="rounds of the long grid (default 2, quick 1)")
    ap.add_argument("--json", type=Path, default=None, help="also write all results here")
    args = ap.parse_args(argv)
    if args.repeats < 1:
        ap.error("--repeats must be >= 1")
    long_repeats = args.long_repeats or (1 if args.quick else 2)

    t_start = time.perf_counter()
    sys.path.insert(0, str(HERE))
    os.environ.setdefault("NUMBA_NUM_THREADS", "1")
    # another Dask process on this machine (or the other cluster) may hold the scheduler's HTTP port: harmless
    warnings.filterwarnings("ignore", message="Port 8787 is already in use")
    info = machine(args.quick)
    tmp = Path(tempfile.mkdtemp(prefix="bench_sweep-"))
    rows, problems, others = [], [], {}
    print("\nClusters")
    clients, startup = start_clients()
    try:
        for (name, grid, params), rounds in zip(grids(args.quick), (args.repeats, long_repeats)):
            r, p, o = run_grid(name, grid, params, rounds, clients, tmp)
            rows += r
            problems += p
            others[name] = o
        fixed = fixed_costs(clients, tmp)
    finally:
        close_clients(clients, startup)
        shutil.rmtree(tmp, ignore_errors=True)
    total = time.perf_counter() - t_start

    print("\nAgreement")
    if problems:
        for p in problems:
            print(f"  FAILED: {p}")
    else:
        print("  every Dataset is identical to the in-process one (outputs, task_seed, task_done), and its "
              "outputs equal the serial loop's bit for bit")
    md = markdown(info, rows, fixed, startup, others, total)
    print("\nMarkdown\n--------\n" + md)
    if args.json:
        args.json.write_text(json.dumps({"machine": info, "rows": rows, "fixed": fixed, "clusters": startup,
                                         "others": others,
                                         "problems": problems, "seconds": total}, indent=1))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
