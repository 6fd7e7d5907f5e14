"""Benchmark: the agent model's random-sequential kernel, now against the one shipped before issue 13.

Times ``utacbook._kernels.abm.run_sweeps`` (what ``MicroscopicABM.equilibrate``
and the batch runners ``scan_field``, ``hysteresis_loop`` and
``EmergentBetaSimulator`` call for ``update='sequential'``) against the frozen
copy of the old kernel in ``reference_abm_kernel.py``: ns per single-agent
update at the Quick Start point (J = 0.8, T = 0.19, h = 0), L = 64 and 256,
one thread.  Each round times both kernels from the same lattice and stream,
alternately, so both see the same machine; best and median over the rounds.

Before timing, the script checks that the two kernels give bit-identical
lattices, traces and stream states (and that the inlined exp returns
``np.exp``'s bits on 10^6 arguments); it exits with status 1 if not.

Usage::

    python benchmarks/bench_abm_kernel.py            # about 5 s once compiled
    python benchmarks/bench_abm_kernel.py --quick    # fewer updates per round, about 2 s
    python benchmarks/bench_abm_kernel.py --wait-quiet 60   # on a shared machine

Set ``NUMBA_CACHE_DIR`` as everywhere in the project (the Makefile does); the
first run compiles both kernels (about 10 s).
"""

from __future__ import annotations

import os

os.environ.setdefault("NUMBA_NUM_THREADS", "1")  # the kernel is serial; keep Numba's pool out of the way

import argparse  # noqa: E402
import datetime as _dt  # noqa: E402
import platform  # noqa: E402
import statistics  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import numba  # noqa: E402
import numpy as np  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
import reference_abm_kernel as R  # noqa: E402  (module name as in tests/kernels/test_abm_kernel.py)

from utacbook._kernels import abm as K  # noqa: E402
from utacbook._kernels.rng import make_streams  # noqa: E402

J, H, T = 0.8, 0.0, 0.19


def cpu_model():
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.lower().startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def busy_cpus():
    """Busy CPU seconds of the whole machine since boot (from /proc/stat), or None."""
    try:
        with open("/proc/stat") as f:
            v = [int(x) for x in f.readline().split()[1:8]]
    except (OSError, ValueError):
        return None
    return (v[0] + v[1] + v[2] + v[5] + v[6]) / os.sysconf("SC_CLK_TCK")


def others_busy(seconds):
    """Cores that other processes kept busy over the next ``seconds`` (this one sleeps meanwhile)."""
    b0 = busy_cpus()
    time.sleep(seconds)
    b1 = busy_cpus()
    return float("nan") if b0 is None or b1 is None else (b1 - b0) / seconds


def wait_quiet(max_wait, threshold=0.15, window=3.0):
    """Wait (at most ``max_wait`` s) until other processes use < ``threshold`` cores over ``window`` s."""
    t_end = time.perf_counter() + max_wait
    while True:
        busy = others_busy(window)
        print(f"  waiting for a quiet machine: other processes use {busy:.2f} cores", flush=True)
        if busy < threshold:
            return
        if time.perf_counter() > t_end:
            print(f"  gave up after {max_wait:.0f} s: measuring on a busy machine")
            return


def machine_info():
    info = {
        "date": _dt.datetime.now().astimezone().isoformat(timespec="seconds"),
        "cpu": cpu_model(),
        "logical_cpus": os.cpu_count(),
        "usable_cpus": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None,
        "numba_threads": numba.get_num_threads(),
        "python": platform.python_version(),
        "numpy": np.__version__,
        "numba": numba.__version__,
        "libc": " ".join(platform.libc_ver()),
        "load_average": " ".join(f"{x:.2f}" for x in os.getloadavg()),
        "numba_cache_dir": os.environ.get("NUMBA_CACHE_DIR", "(unset: next to the sources)"),
    }
    print("Machine")
    for k, v in info.items():
        print(f"  {k:16s} {v}")
    return info


def identical(L, n_sweeps=5, seed=1):
    """Both kernels from the same stream: same start lattice, trace, final lattice and stream state?"""
    st_r, _ = make_streams(seed, 1)
    st_n = st_r.copy()
    lat_r, lat_n = R.random_lattice(L, st_r[0]), K.random_lattice(L, st_n[0])
    tr_r, tr_n = np.empty(n_sweeps), np.empty(n_sweeps)
    R.run_sweeps(lat_r, J, H, T, n_sweeps, R.RULE_SEQUENTIAL, st_r[0], tr_r)
    K.run_sweeps(lat_n, J, H, T, n_sweeps, K.RULE_SEQUENTIAL, st_n[0], tr_n)
    return (np.array_equal(lat_r.view(np.uint64), lat_n.view(np.uint64))
            and np.array_equal(tr_r.view(np.uint64), tr_n.view(np.uint64)) and np.array_equal(st_r, st_n))


@numba.njit
def _exp_mismatches(x):
    bad = 0
    for k in range(x.shape[0]):
        if K._bits(K._exp_glibc(x[k])) != K._bits(np.exp(x[k])):
            bad += 1
    return bad


def time_kernels(L, n_sweeps, repeats):
    """ns per update of the reference and the current run_sweeps: lists over ``repeats`` interleaved rounds."""
    st0, _ = make_streams(7, 1)
    lat0 = R.random_lattice(L, st0[0].copy())
    R.run_sweeps(lat0, J, H, T, 20 if L <= 64 else 2, R.RULE_SEQUENTIAL, st0[0], np.empty(20))  # equilibrated start
    out = {"reference": [], "now": []}
    mods = {"reference": R, "now": K}
    for _ in range(repeats):
        for name, mod in mods.items():
            lat, st, trace = lat0.copy(), st0.copy(), np.empty(n_sweeps)
            t0 = time.perf_counter_ns()
            mod.run_sweeps(lat, J, H, T, n_sweeps, mod.RULE_SEQUENTIAL, st[0], trace)
            out[name].append((time.perf_counter_ns() - t0) / (n_sweeps * L * L))
    return out


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="fewer updates per round (5 rounds)")
    ap.add_argument("--repeats", type=int, default=None, help="rounds (default 9, --quick 5)")
    ap.add_argument("--wait-quiet", type=float, default=0.0, metavar="SECONDS",
                    help="before timing, wait at most this long for other processes to use < 0.15 cores")
    args = ap.parse_args(argv)
    repeats = args.repeats or (5 if args.quick else 9)
    sizes = {64: 60, 256: 4} if args.quick else {64: 240, 256: 16}  # sweeps per round: ~1e6 updates

    info = machine_info()
    t0 = time.perf_counter()
    same = {L: identical(L) for L in (2, 3, 7, 64, 256)}
    x = np.random.default_rng(0).normal(0.0, 20.0, 1_000_000)
    exp_bad = _exp_mismatches(x)
    print(f"\nChecks (and compilation: {time.perf_counter() - t0:.1f} s)")
    print("  lattice, trace and stream identical to the reference: "
          + ", ".join(f"L={L} {'yes' if ok else 'NO'}" for L, ok in same.items()))
    print(f"  inlined exp vs np.exp on 1e6 arguments: {exp_bad} mismatches")

    if args.wait_quiet > 0:
        wait_quiet(args.wait_quiet)
    print(f"\nTiming: run_sweeps, J={J}, h={H}, T={T}, 1 thread, {repeats} rounds (ns per update)")
    rows = []
    b0, w0 = busy_cpus(), time.perf_counter()
    p0 = time.process_time()
    for L, n_sweeps in sizes.items():
        res = time_kernels(L, n_sweeps, repeats)
        r_best, r_med = min(res["reference"]), statistics.median(res["reference"])
        n_best, n_med = min(res["now"]), statistics.median(res["now"])
        rows.append((L, n_sweeps * L * L, r_best, r_med, n_best, n_med))
        print(f"  L={L:4d} ({n_sweeps} sweeps per round): reference best {r_best:6.2f} median {r_med:6.2f}   "
              f"now best {n_best:6.2f} median {n_med:6.2f}   now/reference {n_best / r_best:.3f} (best), "
              f"{n_med / r_med:.3f} (median)")
    b1, wall = busy_cpus(), time.perf_counter() - w0
    others = (b1 - b0 - (time.process_time() - p0)) / wall if b0 is not None and b1 is not None else float("nan")
    print(f"  other processes used {max(others, 0.0):.2f} cores meanwhile")

    print("\nMarkdown\n")
    print(f"Random-sequential kernel of the agent model (`run_sweeps`), J = {J}, h = {H}, T = {T}, one thread; "
          f"{info['cpu']}, {info['date'][:10]}; best (median) of {repeats} rounds.\n")
    print("| L | updates per round | before (reference) ns/update | now ns/update | now / before | same states |")
    print("|---:|---:|---:|---:|---:|:---:|")
    for L, n, r_best, r_med, n_best, n_med in rows:
        print(f"| {L} | {n:,} | {r_best:.2f} ({r_med:.2f}) | {n_best:.2f} ({n_med:.2f}) | "
              f"{n_best / r_best:.2f} ({n_med / r_med:.2f}) | {'yes' if same[L] else 'NO'} |")
    ok = all(same.values()) and exp_bad == 0
    if not ok:
        print("\nFAILED: the kernel no longer reproduces the reference bit for bit")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
