"""Benchmark: utacbook's emergent-beta computation against two pure-Python references.

The task is the guide's Quick Start (RG Phase 2 guide): J = 0.8, T = 0.19,
L = 64, 25 field values on [-2, 2], each a fresh random lattice run for 100
sweeps of L^2 random sequential updates, then a logistic fit.  That is
25 * 100 * 64^2 = 1.024e7 single-agent updates per task.

Three implementations do the same work:

(a) ``utacbook.EmergentBetaSimulator(...).compute_emergent_beta(n_points=25)``
    (Numba kernels, scan points in parallel over the Numba threads);
(b) ``reference_guide.py``: the guide's API written as the guide describes it
    (NumPy lattice, per-update method calls, ``numpy.random.Generator``);
(c) ``reference_purepython.py``: the same dynamics as fast as plain Python
    reasonably goes (flat list, ``random.Random``, ``math.exp``).

The script prints, in one run (short, load-sensitive measurements first):

1. the machine (CPU model, cores, Numba threads and threading layer, load);
2. utacbook on the full task: the first call in the process (Numba cache
   load or compile), then after a warm-up the best and median of
   ``--repeats`` runs with the default number of Numba threads and with one;
3. a throughput table of utacbook's kernels (ns per update) for the
   sequential and checkerboard update rules at L = 64, 256, 1024;
4. a statistical check that the three implementations compute the same
   thing: the mean activation at h = -0.2 and h = -0.6 over several seeds,
   mean +- s.e.m., and the pairwise differences in units of their combined
   standard error;
5. the two references on the full task (one run each, or with ``--quick`` a
   run with fewer sweeps scaled to 100 sweeps by the measured per-update
   rate -- the output says so), plus their best short run, the speed-ups,
   and a breakdown of the cost of one guide-style update;
6. the cold compile time of utacbook (fresh subprocess, empty Numba cache);
7. Markdown tables ready to paste into benchmarks/README.md.

Usage::

    python benchmarks/bench_emergent_beta.py            # full task (2-3 minutes)
    python benchmarks/bench_emergent_beta.py --quick    # under a minute

Set ``NUMBA_CACHE_DIR`` as everywhere in the project (the Makefile does).
The machine should be otherwise idle.  Every timed section reports how many
cores other processes kept busy meanwhile, so that a disturbed measurement
can be seen; ``--wait-quiet SECONDS`` waits for an idle machine first.
"""

from __future__ import annotations

import argparse
import datetime as _dt
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import numba  # noqa: E402

import reference_guide as G  # noqa: E402
import reference_purepython as P  # noqa: E402
import utacbook as ub  # noqa: E402

# The task (the guide's Quick Start)
J, T, L = 0.8, 0.19, 64
N_POINTS, N_SWEEPS = 25, 100
R_MIN, R_MAX = -2.0, 2.0
SEED = 1


def n_updates(n_sweeps=N_SWEEPS, n_points=N_POINTS, lattice=L):
    """Single-agent updates in a scan of ``n_points`` points of ``n_sweeps`` sweeps."""
    return n_points * n_sweeps * lattice * lattice


# --------------------------------------------------------------------------- helpers


def load():
    """1-, 5- and 15-minute load averages."""
    return os.getloadavg()


def load_str(la=None):
    la = load() if la is None else la
    return f"{la[0]:.2f} {la[1]:.2f} {la[2]:.2f}"


_CLK = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def _proc_stat():
    """(busy, steal) CPU seconds summed over all CPUs since boot, or None."""
    try:
        with open("/proc/stat") as f:
            v = [int(x) for x in f.readline().split()[1:]]
    except (OSError, ValueError):
        return None
    user, nice, system, idle, iowait, irq, softirq = v[:7]
    steal = v[7] if len(v) > 7 else 0
    return (user + nice + system + irq + softirq) / _CLK, steal / _CLK


class CpuWatch:
    """How many cores *other* processes kept busy while a block ran.

    Whole-machine busy time from /proc/stat minus this process's CPU time
    (all its threads), divided by the wall time: 0 on an idle machine, up to
    the number of cores.  Resolution is one clock tick (10 ms) per CPU, so it
    is only meaningful for blocks of a second or more.
    """

    def __enter__(self):
        self.t0, self.s0, self.c0 = time.perf_counter(), _proc_stat(), time.process_time()
        return self

    def __exit__(self, *exc):
        self.wall = time.perf_counter() - self.t0
        s1, c1 = _proc_stat(), time.process_time()
        if self.s0 is None or s1 is None or self.wall <= 0:
            self.others = self.steal = float("nan")
        else:
            self.others = max(0.0, (s1[0] - self.s0[0] - (c1 - self.c0)) / self.wall)
            self.steal = (s1[1] - self.s0[1]) / self.wall
        return False

    def __str__(self):
        return f"other processes used {self.others:.2f} cores (steal {self.steal:.2f})"


def wait_quiet(max_wait, threshold=0.15, window=5.0):
    """Wait until other processes use < ``threshold`` cores over ``window`` seconds."""
    t_end = time.perf_counter() + max_wait
    while True:
        with CpuWatch() as w:
            time.sleep(window)
        print(f"  waiting for a quiet machine: {w}; load {load_str()}", flush=True)
        if w.others < threshold:
            return True
        if time.perf_counter() > t_end:
            print(f"  gave up waiting after {max_wait:.0f} s: measuring on a busy machine")
            return False


def cpu_model():
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.lower().startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def timed(fn, *args, **kw):
    t0 = time.perf_counter()
    out = fn(*args, **kw)
    return time.perf_counter() - t0, out


def best_median(fn, repeats):
    times = []
    out = None
    for _ in range(repeats):
        dt, out = timed(fn)
        times.append(dt)
    return min(times), statistics.median(times), times, out


def heading(text):
    print()
    print(text)
    print("-" * len(text))


def fmt_rate(n, dt):
    return f"{n / dt:.3g}"


def mean_sem(x):
    x = np.asarray(x, dtype=float)
    return float(x.mean()), float(x.std(ddof=1) / np.sqrt(x.size))


# --------------------------------------------------------------------------- the three tasks


def task_utacbook(n_sweeps=N_SWEEPS, seed=SEED):
    sim = ub.EmergentBetaSimulator(ub.ABMParams(J=J, T=T, lattice_size=L, seed=seed))
    return sim.compute_emergent_beta(R_MIN, R_MAX, n_points=N_POINTS, n_steps=n_sweeps)


def task_guide(n_sweeps=N_SWEEPS, seed=SEED):
    sim = G.EmergentBetaSimulator(G.ABMParams(J=J, T=T, lattice_size=L, seed=seed))
    return sim.compute_emergent_beta(R_MIN, R_MAX, n_points=N_POINTS, n_steps=n_sweeps)


def task_purepython(n_sweeps=N_SWEEPS, seed=SEED):
    return P.compute_emergent_beta(J, T, lattice_size=L, R_min=R_MIN, R_max=R_MAX,
                                   n_points=N_POINTS, n_steps=n_sweeps, seed=seed)


# --------------------------------------------------------------------------- sections


def machine_info(extra=None):
    heading("Machine")
    info = {
        "date": _dt.datetime.now().astimezone().isoformat(timespec="seconds"),
        "cpu": cpu_model(),
        "logical_cpus": os.cpu_count(),
        "usable_cpus": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None,
        "numba_threads": numba.get_num_threads(),
        "numba_config_threads": numba.config.NUMBA_NUM_THREADS,
        "python": platform.python_version(),
        "numpy": np.__version__,
        "numba": numba.__version__,
        "utacbook": ub.__version__,
        "numba_cache_dir": os.environ.get("NUMBA_CACHE_DIR", "(unset: next to the sources)"),
        "load_start": load(),
    }
    info.update(extra or {})  # more versions / facts from other benchmark scripts
    for k, v in info.items():
        print(f"  {k:22s} {v}")
    return info


def agreement(seeds, lattice, sweeps, h_values=(-0.2, -0.6)):
    """sigma-bar at a few fields from all three implementations, over independent seeds."""
    heading(f"Agreement: sigma-bar at J={J}, T={T}, L={lattice}, {sweeps} sweeps, "
            f"{seeds} seeds each")
    h_values = list(h_values)
    res = {"guide": {}}
    with CpuWatch() as watch:
        t0 = time.perf_counter()
        out = ub.scan_field(J, T, h_values, lattice_size=lattice, n_steps=sweeps,
                            n_replicas=seeds, seed=2025)["sigma"]
        res["utacbook"] = {h: out[:, k].tolist() for k, h in enumerate(h_values)}
        t1 = time.perf_counter()
        res["purepython"] = {h: [P.run_point(J, h, T, lattice, sweeps, s)
                                 for s in P.point_seeds(3025 + k, seeds)]
                             for k, h in enumerate(h_values)}
        t2 = time.perf_counter()
        for k, h in enumerate(h_values):
            vals = []
            for child in np.random.SeedSequence(4025 + k).spawn(seeds):
                abm = G.MicroscopicABM(G.ABMParams(J=J, h=h, T=T, lattice_size=lattice),
                                       rng=np.random.default_rng(child))
                abm.equilibrate(n_steps=sweeps)
                vals.append(abm.mean_activation())
            res["guide"][h] = vals
        t3 = time.perf_counter()
    print(f"  (run times: utacbook {t1 - t0:.2f} s, pure Python {t2 - t1:.1f} s, "
          f"guide-style {t3 - t2:.1f} s; {watch})")
    names = ["utacbook", "purepython", "guide"]
    rows = []
    print(f"  {'h':>6s}  " + "  ".join(f"{n:>20s}" for n in names)
          + "   z(pp-ub)  z(guide-ub)  z(guide-pp)")
    worst = 0.0
    for h in h_values:
        ms = {n: mean_sem(res[n][h]) for n in names}

        def z(a, b, ms=ms):
            (ma, sa), (mb, sb) = ms[a], ms[b]
            return (ma - mb) / np.hypot(sa, sb)

        zs = (z("purepython", "utacbook"), z("guide", "utacbook"), z("guide", "purepython"))
        worst = max(worst, *map(abs, zs))
        print(f"  {h:6.2f}  " + "  ".join(f"{ms[n][0]:.4f} +- {ms[n][1]:.4f}".rjust(20)
                                           for n in names)
              + f"   {zs[0]:+8.2f}  {zs[1]:+10.2f}  {zs[2]:+10.2f}")
        rows.append({"h": h, **{n: ms[n] for n in names}, "z": zs})
    verdict = "agree" if worst < 4 else "DISAGREE"
    print(f"  largest |z| = {worst:.2f}: the three implementations {verdict} "
          f"(criterion |z| < 4; z = difference / combined s.e.m.)")
    return {"seeds": seeds, "lattice": lattice, "sweeps": sweeps, "rows": rows,
            "raw": {n: {str(h): v for h, v in res[n].items()} for n in names},
            "max_abs_z": worst, "verdict": verdict}


def cold_compile():
    """Import + first call in a fresh process with an empty Numba cache."""
    heading("utacbook: Numba compile time")
    code = (
        "import time; t0=time.perf_counter(); import utacbook as ub; t1=time.perf_counter();"
        f"s=ub.EmergentBetaSimulator(ub.ABMParams(J={J}, T={T}, lattice_size={L}, seed={SEED}));"
        f"s.compute_emergent_beta(n_points={N_POINTS}); t2=time.perf_counter();"
        f"s.compute_emergent_beta(n_points={N_POINTS}); t3=time.perf_counter();"
        "print(t1-t0, t2-t1, t3-t2)"
    )
    with tempfile.TemporaryDirectory(prefix="numba_cold_") as d:
        env = dict(os.environ, NUMBA_CACHE_DIR=d)
        out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True,
                             text=True, check=True, cwd=tempfile.gettempdir())
    t_import, t_first, t_second = map(float, out.stdout.split()[-3:])
    print(f"  fresh process, empty Numba cache: import {t_import:.2f} s, first call "
          f"{t_first:.2f} s, second call {t_second:.3f} s -> compile time "
          f"{t_first - t_second:.2f} s")
    return {"import": t_import, "first_call": t_first, "second_call": t_second,
            "compile": t_first - t_second}


def time_utacbook(repeats):
    heading(f"utacbook: compute_emergent_beta(n_points={N_POINTS}) at J={J}, T={T}, L={L}, "
            f"{N_SWEEPS} sweeps ({n_updates():.4g} updates)")
    res = {}
    t_first, first = timed(task_utacbook)
    res["first_call_in_process"] = t_first
    print(f"  first call in this process (JIT compile or Numba cache load): {t_first:.3f} s")
    n_thr = numba.get_num_threads()
    by_threads = {}
    for thr in sorted({n_thr, 1}, reverse=True):
        numba.set_num_threads(thr)
        task_utacbook()  # warm-up at this thread count
        with CpuWatch() as w:
            b, m, ts, out = best_median(task_utacbook, repeats)
        by_threads[thr] = {"best": b, "median": m, "times": ts,
                           "beta": out["beta_emergent"], "r2": out["r_squared"],
                           "sigma": out["sigma_values"], "others_cores": w.others,
                           "steal": w.steal}
        print(f"  {thr} thread(s): best {b:.4f} s, median {m:.4f} s of {repeats} "
              f"({fmt_rate(n_updates(), b)} updates/s, {b / n_updates() * 1e9:.2f} ns/update "
              f"wall); beta = {out['beta_emergent']:.3f}, R^2 = {out['r_squared']:.4f}\n"
              f"      all times {', '.join(f'{t:.4f}' for t in ts)}; {w}")
    numba.set_num_threads(n_thr)
    res["threads_default"] = n_thr
    res["by_threads"] = by_threads
    res["threading_layer"] = numba.threading_layer()
    if 1 in by_threads and n_thr != 1:
        sp = by_threads[1]["best"] / by_threads[n_thr]["best"]
        res["thread_speedup"] = sp
        print(f"  {n_thr} threads vs 1 thread: x{sp:.2f} faster (best vs best; threading layer "
              f"{res['threading_layer']})")
    if any(d["sigma"] != first["sigma_values"] for d in by_threads.values()):
        raise RuntimeError("utacbook gave different results for the same seed")
    print("  results identical across calls and thread counts (same seed)")
    return res


def _chunk_guide(sweeps):
    params = G.ABMParams(J=J, h=-0.4, T=T, lattice_size=L)
    abm = G.MicroscopicABM(params, rng=np.random.default_rng(7))
    abm.equilibrate(n_steps=sweeps)
    return abm.mean_activation()


def _chunk_purepython(sweeps):
    return P.run_point(J, -0.4, T, L, sweeps, 7)


def time_reference(name, task, ref_sweeps, chunk_sweeps=10, chunk_repeats=5):
    """Time a reference on the task; also its best rate over a few short runs."""
    full = ref_sweeps == N_SWEEPS
    label = {"guide": "guide-style reference (reference_guide.py)",
             "purepython": "pure-Python peer (reference_purepython.py)"}[name]
    heading(f"{label}: {N_POINTS} points, {ref_sweeps} sweeps"
            + ("" if full else f" (QUICK: scaled to {N_SWEEPS} sweeps)"))
    with CpuWatch() as w:
        dt, out = timed(task, n_sweeps=ref_sweeps)
    nu = n_updates(ref_sweeps)
    per = dt / nu
    est = per * n_updates()
    print(f"  measured {dt:.2f} s for {nu:.4g} updates: {per * 1e9:.0f} ns/update, "
          f"{1 / per:.3g} updates/s; beta = {out['beta_emergent']:.3f}, "
          f"R^2 = {out['r_squared']:.4f}\n      {w}; load {load_str()}")
    if not full:
        print(f"  QUICK MODE: full-task time estimated as {per * 1e9:.0f} ns/update x "
              f"{n_updates():.4g} updates = {est:.1f} s (not measured)")
    # Interleaved pairs: a short reference run (one point, chunk_sweeps sweeps, scaled to
    # the task), then one utacbook task, repeated.  Both sides of a pair see the same
    # machine state, so the ratio is robust to the slow drifts of a shared machine.
    chunk = {"guide": _chunk_guide, "purepython": _chunk_purepython}[name]
    cu = chunk_sweeps * L * L
    ref_t, ut_t = [], []
    with CpuWatch() as wc:
        for _ in range(chunk_repeats):
            ref_t.append(timed(chunk, chunk_sweeps)[0] / cu * n_updates())
            ut_t.append(timed(task_utacbook)[0])
    ratios = sorted(r / u for r, u in zip(ref_t, ut_t))
    cb = min(ref_t) / n_updates() * cu
    cm = statistics.median(ref_t) / n_updates() * cu
    print(f"  interleaved with utacbook ({numba.get_num_threads()} threads), {chunk_repeats} "
          f"pairs of [one point, {chunk_sweeps} sweeps, h = -0.4, {cu} updates, scaled to "
          f"the task] and [utacbook task]:\n"
          f"      reference {cb / cu * 1e9:.0f} ns/update best, {cm / cu * 1e9:.0f} median; "
          f"utacbook {min(ut_t):.4f} s best, {statistics.median(ut_t):.4f} s median;\n"
          f"      ratio per pair: median x{statistics.median(ratios):.0f} "
          f"(range x{ratios[0]:.0f} - x{ratios[-1]:.0f}); {wc}")
    return {"measured_s": dt, "sweeps": ref_sweeps, "updates": nu, "ns_per_update": per * 1e9,
            "full_task_s": est, "estimated": not full, "beta": out["beta_emergent"],
            "r2": out["r_squared"], "sigma": out["sigma_values"],
            "others_cores": w.others, "steal": w.steal,
            "chunk_best_ns": cb / cu * 1e9, "chunk_median_ns": cm / cu * 1e9,
            "chunk_full_task_s": min(ref_t), "pair_ref_s": ref_t, "pair_utacbook_s": ut_t,
            "pair_ratio_median": statistics.median(ratios), "pair_ratio_min": ratios[0],
            "pair_ratio_max": ratios[-1], "chunk_others_cores": wc.others}


def guide_breakdown(repeats, number=20000):
    """Cost of each operation of one guide-style update (timeit, best of ``repeats``)."""
    import timeit
    heading("Where the guide-style update spends its time (ns per call, best of "
            f"{repeats} x {number} calls)")
    abm = G.MicroscopicABM(G.ABMParams(J=J, h=-0.4, T=T, lattice_size=L),
                           rng=np.random.default_rng(3))
    i, j = abm.random_position()
    x = abm.local_field(i, j) / T
    env = {"abm": abm, "i": i, "j": j, "x": x, "G": G}
    ops = [("random_position()  [2 x rng.integers(N)]", "abm.random_position()"),
           ("local_field(i, j)", "abm.local_field(i, j)"),
           ("2 x int(rng.random() * N)  [cheaper, less idiomatic; not used]",
            "(int(abm.rng.random() * abm.N), int(abm.rng.random() * abm.N))"),
           ("rng.standard_normal()", "abm.rng.standard_normal()"),
           ("sigmoid(x)  [1 / (1 + np.exp(-x))]", "G.sigmoid(x)"),
           ("update_agent(i, j)  [local_field + noise + sigmoid + store]",
            "abm.update_agent(i, j)")]
    out = {}
    for label, stmt in ops:
        t = min(timeit.repeat(stmt, globals=env, number=number, repeat=repeats)) / number
        out[label] = t * 1e9
        print(f"  {label:62s} {t * 1e9:7.0f}")
    n = 4 * L * L
    t = min(timeit.repeat(lambda: abm.step(n), number=1, repeat=repeats)) / n
    label = "step(4 L^2) per update  [the whole loop: position + update]"
    out[label] = t * 1e9
    print(f"  {label:62s} {t * 1e9:7.0f}")
    return out


def _throughput_row(rule, size, target, repeats, thread_counts, n_jobs):
    """ns per update for one rule and lattice size, for each thread count."""
    N = size * size
    row = {"rule": rule, "L": size}
    # one lattice: MicroscopicABM.equilibrate
    sw = max(1, round(target / N))
    for thr in thread_counts:
        numba.set_num_threads(thr)
        abm = ub.MicroscopicABM(ub.ABMParams(J=J, h=-0.4, T=T, lattice_size=size, seed=1,
                                             update=rule))
        abm.equilibrate(1)  # warm-up
        b, *_ = best_median(lambda: abm.equilibrate(sw), repeats)  # noqa: B023
        row[f"one_{thr}"] = b / (sw * N) * 1e9
    # independent lattices: scan_field with n_jobs runs
    sws = max(1, round(target / (n_jobs * N)))
    h = np.full(n_jobs, -0.4)
    for thr in thread_counts:
        numba.set_num_threads(thr)
        ub.scan_field(J, T, h, lattice_size=size, n_steps=1, update=rule, seed=1)  # warm-up
        b, *_ = best_median(lambda: ub.scan_field(J, T, h, lattice_size=size, n_steps=sws,
                                                  update=rule, seed=1), repeats)
        row[f"scan_{thr}"] = b / (sws * N * n_jobs) * 1e9
    return row


def throughput(sizes, target, repeats, n_jobs=4):
    """ns per update of utacbook's kernels, per rule, size and thread count."""
    heading("utacbook kernel throughput (ns per single-agent update, wall clock; best of "
            f"{repeats})")
    n_thr = numba.get_num_threads()
    thread_counts = sorted({1, n_thr})
    rows = []
    with CpuWatch() as watch:
        try:
            for rule in ("sequential", "checkerboard"):
                for size in sizes:
                    row = _throughput_row(rule, size, target, repeats, thread_counts, n_jobs)
                    rows.append(row)
                    cells = "  ".join(f"{k}={v:6.2f}" for k, v in row.items()
                                      if k not in ("rule", "L"))
                    print(f"  {rule:12s} L={size:5d}  {cells}", flush=True)
        finally:
            numba.set_num_threads(n_thr)
    print(f"  one_k: one lattice, MicroscopicABM.equilibrate, k Numba threads (the sequential "
          f"rule is serial; checkerboard parallelises rows)\n"
          f"  scan_k: scan_field with {n_jobs} independent lattices, k Numba threads "
          f"(aggregate: wall time / all updates)\n  during the table: {watch}")
    return {"rows": rows, "thread_counts": thread_counts, "n_jobs": n_jobs,
            "others_cores": watch.others}


def markdown(info, agree, ut, refs, tp):
    heading("Markdown for benchmarks/README.md")
    n_thr = ut["threads_default"]
    lines = []
    la = info["load_start"]
    lines.append(f"Measured {info['date'][:10]} on {info['cpu']}, {info['usable_cpus']} cores, "
                 f"Numba {info['numba']} ({ut['threading_layer']} threading layer, "
                 f"{n_thr} threads), Python {info['python']}, NumPy {info['numpy']}; "
                 f"load average at start {la[0]:.2f} / {la[1]:.2f} / {la[2]:.2f} "
                 f"(1 / 5 / 15 min).")
    lines.append("")
    lines.append("| implementation | full task (s) | ns / update | utacbook faster by "
                 "(full task) | utacbook faster by (interleaved pairs: median [range]) | "
                 "other processes (cores) | β (seed 1) |")
    lines.append("|---|---:|---:|---:|---:|---:|---:|")
    ut_med = ut["by_threads"][n_thr]["median"]
    for thr in sorted(ut["by_threads"], reverse=True):
        d = ut["by_threads"][thr]
        rel = ("1" if thr == n_thr else
               f"{d['median'] / ut_med:.2f}× slower than {n_thr} threads")
        lines.append(f"| utacbook, Numba, {thr} thread{'s' if thr > 1 else ''} (median of "
                     f"{len(d['times'])}; best {d['best']:.3f} s) | {d['median']:.3f} | "
                     f"{d['median'] / n_updates() * 1e9:.1f} | {rel} | | "
                     f"{d['others_cores']:.2f} | {d['beta']:.2f} |")
    names = {"purepython": "pure-Python peer (`reference_purepython.py`)",
             "guide": "guide-style NumPy/Python (`reference_guide.py`)"}
    for key in ("purepython", "guide"):
        if key not in refs:
            continue
        r = refs[key]
        est = f" — estimated from {r['sweeps']} sweeps" if r["estimated"] else ""
        lines.append(f"| {names[key]}{est} | {r['full_task_s']:.1f} | "
                     f"{r['ns_per_update']:.0f} | {r['full_task_s'] / ut_med:.0f}× | "
                     f"{r['pair_ratio_median']:.0f}× [{r['pair_ratio_min']:.0f}–"
                     f"{r['pair_ratio_max']:.0f}] | {r['others_cores']:.2f} | "
                     f"{'—' if r['estimated'] else format(r['beta'], '.2f')} |")
    if "guide_breakdown_ns" in refs:
        lines.append("")
        lines.append("| guide-style operation | ns per call |")
        lines.append("|---|---:|")
        for label, v in refs["guide_breakdown_ns"].items():
            lines.append(f"| `{label.split('  ')[0]}` | {v:.0f} |")
    if "cold" in ut:
        c = ut["cold"]
        lines.append("")
        lines.append(f"Numba compile time (fresh process, empty cache): {c['compile']:.1f} s "
                     f"(import {c['import']:.1f} s); first call with a warm cache: "
                     f"{ut['first_call_in_process']:.2f} s.")
    if agree is not None:
        lines.append("")
        lines.append("| h | utacbook σ̄ | pure-Python σ̄ | guide-style σ̄ "
                     "| largest \\|z\\| |")
        lines.append("|---:|---:|---:|---:|---:|")
        for row in agree["rows"]:
            lines.append(f"| {row['h']:.2f} | " + " | ".join(
                f"{row[n][0]:.4f} ± {row[n][1]:.4f}" for n in ("utacbook", "purepython", "guide"))
                + f" | {max(map(abs, row['z'])):.2f} |")
        lines.append("")
        lines.append(f"(J = {J}, T = {T}, L = {agree['lattice']}, {agree['sweeps']} sweeps, "
                     f"mean ± s.e.m. over {agree['seeds']} seeds each.)")
    if tp is not None:
        tc = tp["thread_counts"]
        lines.append("")
        head = ["rule", "L"] + [f"one lattice, {k} thr" for k in tc] + \
               [f"{tp['n_jobs']} lattices (scan_field), {k} thr" for k in tc]
        lines.append("| " + " | ".join(head) + " |")
        lines.append("|---|---:|" + "---:|" * (2 * len(tc)))
        for row in tp["rows"]:
            vals = [row[f"one_{k}"] for k in tc] + [row[f"scan_{k}"] for k in tc]
            lines.append(f"| {row['rule']} | {row['L']} | " + " | ".join(f"{v:.1f}" for v in vals)
                         + " |")
        lines.append("")
        lines.append(f"(ns per single-agent update, wall clock, best of the repeats; other "
                     f"processes used {tp['others_cores']:.2f} cores meanwhile.)")
    print("\n".join(lines))
    return lines


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true",
                    help="run the references on 10 sweeps and scale (see --ref-sweeps), a "
                         "smaller agreement check and throughput table")
    ap.add_argument("--ref-sweeps", type=int, default=None,
                    help="sweeps per point for the references (default 100, quick 10)")
    ap.add_argument("--repeats", type=int, default=5,
                    help="repeats of the utacbook timings and of the short reference runs")
    ap.add_argument("--wait-quiet", type=float, default=0.0, metavar="SECONDS",
                    help="first wait (at most this long) until other processes use < 0.15 "
                         "cores; useful on a shared machine")
    ap.add_argument("--seeds", type=int, default=None,
                    help="seeds per field in the agreement check (default 5, quick 4)")
    ap.add_argument("--no-cold", action="store_true",
                    help="skip the cold-compile measurement in a subprocess")
    ap.add_argument("--no-agreement", action="store_true")
    ap.add_argument("--no-throughput", action="store_true")
    ap.add_argument("--no-references", action="store_true",
                    help="time utacbook only")
    ap.add_argument("--json", type=Path, default=None, help="also write all results here")
    a = ap.parse_args(argv)
    ref_sweeps = a.ref_sweeps or (10 if a.quick else N_SWEEPS)
    seeds = a.seeds or (4 if a.quick else 5)

    if a.wait_quiet > 0:
        wait_quiet(a.wait_quiet)
    t_start = time.perf_counter()
    info = machine_info()
    # the short, parallel measurements first: they are the most sensitive to load
    ut = time_utacbook(a.repeats)
    tp = None
    if not a.no_throughput:
        tp = throughput((64, 256, 1024), 2e6 if a.quick else 8e6, a.repeats)
    agree = None
    if not a.no_agreement:
        agree = agreement(seeds, 32 if a.quick else L, N_SWEEPS)
    refs = {}
    if not a.no_references:
        refs["purepython"] = time_reference("purepython", task_purepython, ref_sweeps,
                                            chunk_repeats=a.repeats)
        refs["guide"] = time_reference("guide", task_guide, ref_sweeps,
                                       chunk_repeats=a.repeats)
        heading("Speed-ups (reference time / utacbook time)")
        n_thr = ut["threads_default"]
        print("  'full task': the reference's full-task time (one run"
              + (", ESTIMATED from fewer sweeps" if ref_sweeps != N_SWEEPS else "")
              + f") / utacbook's median of {a.repeats}\n  'pairs': median [range] over the "
              f"interleaved pairs of short runs ({n_thr} threads)")
        for thr, d in sorted(ut["by_threads"].items(), reverse=True):
            for key, lab in (("guide", "guide-style"), ("purepython", "pure Python")):
                r = refs[key]
                line = (f"  utacbook {thr} thread(s) vs {lab:11s}: full task "
                        f"x{r['full_task_s'] / d['median']:.0f} ({r['full_task_s']:.1f} s / "
                        f"{d['median']:.4f} s)")
                if thr == n_thr:
                    line += (f"; pairs x{r['pair_ratio_median']:.0f} "
                             f"[x{r['pair_ratio_min']:.0f} - x{r['pair_ratio_max']:.0f}]")
                print(line)
        if not refs["guide"]["estimated"]:
            s_u = np.array(ut["by_threads"][n_thr]["sigma"])
            for key in ("purepython", "guide"):
                s_r = np.array(refs[key]["sigma"])
                print(f"  sigma-bar curves, {key} vs utacbook: max |difference| over the 25 "
                      f"points = {np.max(np.abs(s_r - s_u)):.4f} (single runs, different "
                      f"random streams)")
    if not a.no_references:
        refs["guide_breakdown_ns"] = guide_breakdown(a.repeats)
    if not a.no_cold:
        ut["cold"] = cold_compile()
    lines = markdown(info, agree, ut, refs, tp)
    print(f"\nTotal benchmark time {time.perf_counter() - t_start:.0f} s; load at end "
          f"{load_str()}")
    if a.json:
        a.json.parent.mkdir(parents=True, exist_ok=True)
        a.json.write_text(json.dumps({"machine": info, "utacbook": ut, "references": refs,
                                      "agreement": agree, "throughput": tp,
                                      "markdown": lines, "quick": a.quick}, indent=1,
                                     default=float))
        print(f"results written to {a.json}")


if __name__ == "__main__":
    main()
