"""Benchmark: the multiscale government model (issue 5), 10^6 citizens x 100 steps.

Measures, in one run:

1. the machine (CPU, cores, Numba threads, load average);
2. ``GovernmentMultiscaleModel(n_agents=10**6, n_communities=100)``:
   construction time, then ``run(100, quantiles=False)`` (the dynamics and
   the per-step records) at 1 and 2 Numba threads, and ``run(100)`` with the
   per-step satisfaction quantiles (one O(N) partition per step) at the
   default thread count; each the median of ``--repeats`` fresh models;
3. a NumPy reference of the same step (same equations, vectorised:
   ``Generator.standard_normal``, ``np.exp``, ``np.bincount`` for the
   community sums), timed the same way, and the speed-up ratio;
4. a consistency check: the reference and utacbook start from the same
   initial state; after 100 steps their approval and mean cohesion must
   agree within 6 combined standard errors (error from ``--check-reps``
   independent seeds of each);
5. memory: bytes per citizen held by the model's arrays (exact, from
   ``nbytes``), and the peak of NumPy allocations (``tracemalloc``) while
   building a model and running 10 steps, at N = 10^5 and 10^6 (memory
   linear in N means equal bytes per citizen);
6. the coupled model (issue 14) beside the base model:
   ``CoupledGovernmentModel(n_agents=10**6, n_communities=100)`` with its
   defaults (public goods, fiscal loop, spillovers, migration on a ring),
   construction and ``run(100, quantiles=False)`` at 1 and 2 Numba threads,
   timed the same way (median of ``--repeats`` fresh models, each timing
   interleaved with the base model's at the same thread count), printed side
   by side with the bytes per citizen of both (every array the model holds).
   Target: <= 2 s on 2 threads.

Usage::

    NUMBA_CACHE_DIR=... python benchmarks/bench_multiscale.py [--quick] [--json out.json]

``--quick`` uses 10^5 citizens.  Exits with status 1 if the check fails.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
import tracemalloc

from pathlib import Path

import numba
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_emergent_beta import CpuWatch, cpu_model, wait_quiet  # noqa: E402  (shared helpers)
from utacbook.models import CoupledGovernmentModel, GovernmentMultiscaleModel  # noqa: E402

#: the coupled model's target: 10^6 citizens x 100 steps on 2 threads, seconds
COUPLED_TARGET_S = 2.0


def numpy_reference_run(model, n_steps, rng):
    """The model's dynamics in vectorised NumPy, starting from ``model``'s state (copied).

    Returns (approval, average cohesion) after ``n_steps`` steps.
    """
    p = model.params
    s = model.agents["satisfaction"].copy()
    comm = model.agents["community"]
    C = model.n_communities
    size = model.size.astype(float)
    lw = np.log(model.agents["wealth"])
    u = model.agents["field"] + p["wealth_weight"] * (lw - lw.mean())
    kappa = model.cohesion.copy()
    sbar = model.mean_satisfaction.copy()
    trust = model.trust
    lam = p["inertia"]
    for _ in range(n_steps):
        T = p["noise"] * (1.0 + p["trust_noise"] * (1.0 - trust))
        g = p["coupling"] * kappa * (2.0 * sbar - 1.0)
        x = (g[comm] + u) / T + rng.standard_normal(s.size)
        s = (1.0 - lam) * s + lam / (1.0 + np.exp(-x))
        tot = np.bincount(comm, weights=s, minlength=C)
        sq = np.bincount(comm, weights=s * s, minlength=C)
        sbar = tot / size
        std = np.sqrt(np.maximum(sq / size - sbar * sbar, 0.0))
        kappa = (1 - p["meso_rate"]) * kappa + p["meso_rate"] * np.clip(1 - 2 * std, 0, 1)
        A = tot.sum() / s.size
        trust = (1 - p["trust_rate"]) * trust + p["trust_rate"] * A
    return A, float(np.dot(size, kappa) / s.size)


def _timed(fn, repeats):
    """(median, min, max, last output, CpuWatch) of ``repeats`` calls of ``fn``."""
    ts = []
    out = None
    with CpuWatch() as watch:
        for _ in range(repeats):
            t0 = time.perf_counter()
            out = fn()
            ts.append(time.perf_counter() - t0)
    return statistics.median(ts), min(ts), max(ts), out, watch


def model_bytes(m):
    """Bytes held by the model's arrays (agents, caches, streams, per-community arrays)."""
    total = 0
    for v in list(m.agents.values()) + [m._u, m._base_wealth, m._states, m._part_sum,
                                        m._part_sq, m.cohesion, m.size, m.resources,
                                        m.mean_satisfaction, m.std_satisfaction,
                                        m.community_transfers]:
        total += v.nbytes
    return total


def all_array_bytes(m):
    """Bytes of every ndarray the model holds (its attributes, through dicts, lists and tuples; each once).

    For the base model this equals :func:`model_bytes`; it also counts what a subclass adds.
    """
    seen, total, todo = set(), 0, list(vars(m).values())
    while todo:
        v = todo.pop()
        if id(v) in seen:
            continue
        seen.add(id(v))
        if isinstance(v, np.ndarray):
            total += v.nbytes
        elif isinstance(v, dict):
            todo.extend(v.values())
        elif isinstance(v, (list, tuple)):
            todo.extend(v)
    return total


def peak_numpy_bytes(N, C, cls=GovernmentMultiscaleModel):
    tracemalloc.start()
    m = cls(N, C, seed=0)
    m.run(10, quantiles=False)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return peak, model_bytes(m)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--n-agents", type=int, default=None)
    ap.add_argument("--communities", type=int, default=100)
    ap.add_argument("--steps", type=int, default=100)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--check-reps", type=int, default=4)
    ap.add_argument("--json", default=None)
    ap.add_argument("--wait-quiet", type=float, default=0.0,
                    help="wait up to this many seconds for an idle machine first")
    a = ap.parse_args(argv)
    N = a.n_agents or (10 ** 5 if a.quick else 10 ** 6)
    C, S = a.communities, a.steps
    res = {"n_agents": N, "n_communities": C, "steps": S}

    if a.wait_quiet > 0:
        wait_quiet(a.wait_quiet)
    # warm-up (loads or compiles the kernels; the threading layer is known only after a run)
    GovernmentMultiscaleModel(5000, 5, seed=0).run(2)
    CoupledGovernmentModel(5000, 5, seed=0).run(2)
    print(f"machine: {cpu_model()}, {os.cpu_count()} cores, numba threads available "
          f"{numba.config.NUMBA_NUM_THREADS}, threading layer {numba.threading_layer()}, "
          f"load {os.getloadavg()}")

    t0 = time.perf_counter()
    GovernmentMultiscaleModel(N, C, seed=1)
    res["construct_s"] = time.perf_counter() - t0
    print(f"construction N={N}, C={C}: {res['construct_s']:.3f} s")
    t0 = time.perf_counter()
    CoupledGovernmentModel(N, C, seed=1)
    res["coupled_construct_s"] = time.perf_counter() - t0
    print(f"construction of the coupled model N={N}, C={C}: {res['coupled_construct_s']:.3f} s")

    n0 = numba.get_num_threads()
    threads = [1] + ([2] if numba.config.NUMBA_NUM_THREADS >= 2 else [])
    for nt in threads:
        numba.set_num_threads(nt)
        models = iter([GovernmentMultiscaleModel(N, C, seed=r) for r in range(a.repeats)])
        med, lo, hi, _, watch = _timed(lambda models=models: next(models).run(S, quantiles=False), a.repeats)
        res[f"run_{nt}t_s"] = med
        print(f"utacbook run({S}, quantiles=False), {nt} thread(s): median {med:.3f} s "
              f"[{lo:.3f}, {hi:.3f}]  -> {N * S / med / 1e6:.1f} M citizen-updates/s; {watch}")
        res[f"run_{nt}t_min_s"], res[f"run_{nt}t_max_s"] = lo, hi
        models = iter([CoupledGovernmentModel(N, C, seed=r) for r in range(a.repeats)])
        med, lo, hi, _, watch = _timed(lambda models=models: next(models).run(S, quantiles=False), a.repeats)
        res[f"coupled_run_{nt}t_s"], res[f"coupled_run_{nt}t_min_s"], res[f"coupled_run_{nt}t_max_s"] = med, lo, hi
        print(f"coupled run({S}, quantiles=False), {nt} thread(s): median {med:.3f} s "
              f"[{lo:.3f}, {hi:.3f}]  -> {N * S / med / 1e6:.1f} M citizen-updates/s; {watch}")
    numba.set_num_threads(n0)
    print(f"\nside by side, N={N}, C={C}, run({S}, quantiles=False), median [min, max] of {a.repeats}:")
    print(f"{'threads':>7}  {'GovernmentMultiscaleModel':>28}  {'CoupledGovernmentModel':>28}  {'ratio':>5}")
    for nt in threads:
        b, c = (res[f"{k}run_{nt}t_s"] for k in ("", "coupled_"))
        cells = [f"{res[f'{k}run_{nt}t_s']:.3f} s [{res[f'{k}run_{nt}t_min_s']:.3f}, "
                 f"{res[f'{k}run_{nt}t_max_s']:.3f}]" for k in ("", "coupled_")]
        print(f"{nt:>7}  {cells[0]:>28}  {cells[1]:>28}  {c / b:>5.2f}")
    if N == 10 ** 6 and S == 100 and 2 in threads:
        res["coupled_target_met"] = bool(res["coupled_run_2t_s"] <= COUPLED_TARGET_S)
        print(f"target: coupled model, 10^6 citizens x 100 steps <= {COUPLED_TARGET_S:.0f} s on 2 threads: "
              f"{'met' if res['coupled_target_met'] else 'NOT met'} ({res['coupled_run_2t_s']:.3f} s)")
    print()
    models = iter([GovernmentMultiscaleModel(N, C, seed=r) for r in range(a.repeats)])
    med, lo, hi, _, watch = _timed(lambda: next(models).run(S), a.repeats)
    res["run_quantiles_s"] = med
    print(f"utacbook run({S}) with quantiles, {n0} thread(s): median {med:.3f} s "
          f"[{lo:.3f}, {hi:.3f}]; {watch}")

    models = iter([GovernmentMultiscaleModel(N, C, seed=r) for r in range(a.repeats)])
    med, lo, hi, _, watch = _timed(lambda: numpy_reference_run(next(models), S,
                                                        np.random.default_rng(5)), a.repeats)
    res["numpy_s"] = med
    best = min(res[f"run_{nt}t_s"] for nt in threads)
    print(f"NumPy reference, {S} steps: median {med:.3f} s [{lo:.3f}, {hi:.3f}]; "
          f"ratio NumPy/utacbook: {med / res['run_1t_s']:.1f}x (1 thread), "
          f"{med / best:.1f}x (best); "
          f"{watch}")
    res["ratio_1t"] = med / res["run_1t_s"]
    res["ratio_best"] = med / best

    # consistency: same initial state, independent noise, several seeds
    ua, uk, ra, rk = [], [], [], []
    n_chk = min(N, 10 ** 5)
    for r in range(a.check_reps):
        m = GovernmentMultiscaleModel(n_chk, C, seed=100 + r)
        A, K = numpy_reference_run(m, S, np.random.default_rng(200 + r))
        ra.append(A)
        rk.append(K)
        m.run(S, quantiles=False)
        ua.append(m.approval)
        uk.append(float(np.dot(m.size, m.cohesion) / m.n_agents))
    ok = True
    for name, x, y in (("approval", ua, ra), ("avg_cohesion", uk, rk)):
        x, y = np.array(x), np.array(y)
        se = np.sqrt(x.var(ddof=1) / x.size + y.var(ddof=1) / y.size)
        z = (x.mean() - y.mean()) / se if se > 0 else 0.0
        ok &= abs(z) < 6
        print(f"check {name} (N={n_chk}, {a.check_reps} seeds): utacbook {x.mean():.6f}, "
              f"NumPy {y.mean():.6f}, difference {z:+.2f} combined s.e.")
    res["check_ok"] = bool(ok)

    for n in sorted({10 ** 5, N}):
        peak, held = peak_numpy_bytes(n, C)
        res[f"bytes_per_agent_held_{n}"] = held / n
        res[f"bytes_per_agent_peak_{n}"] = peak / n
        print(f"memory N={n}: model arrays {held / n:.1f} B/citizen, peak NumPy allocations "
              f"(construction + 10 steps) {peak / n:.1f} B/citizen")
    for n in sorted({10 ** 5, N}):
        held = {}
        for name, cls in (("base", GovernmentMultiscaleModel), ("coupled", CoupledGovernmentModel)):
            if name == "base":   # measured above
                peak = res[f"bytes_per_agent_peak_{n}"] * n
            else:
                peak, _ = peak_numpy_bytes(n, C, cls)
            m = cls(n, C, seed=0)
            m.run(10, quantiles=False)
            held[name] = all_array_bytes(m)
            res[f"{name}_bytes_per_agent_all_{n}"] = held[name] / n
            res[f"{name}_bytes_per_agent_peak_{n}"] = peak / n
            print(f"memory N={n}, {cls.__name__}: every array held {held[name] / n:.2f} B/citizen "
                  f"({held[name]} B), peak NumPy allocations (construction + 10 steps) {peak / n:.1f} B/citizen")
        print(f"memory N={n}: the coupled model holds {held['coupled'] - held['base']} B more than the base "
              f"model ({(held['coupled'] - held['base']) / n:.4f} B/citizen; per-community arrays only)")

    if a.json:
        with open(a.json, "w") as fh:
            json.dump(res, fh, indent=1)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
