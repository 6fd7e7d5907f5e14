"""Benchmark: utacbook's Ising engine against vectorised NumPy/SciPy peers (issue 3, "Speed").

Three tasks, each timed against a peer from ``reference_numpy_ising.py``
written as a careful NumPy author would write it:

1. **Lattice Metropolis and heat-bath**, L = 1024 at T = T_c (Onsager):
   ``utacbook.models.simulate_lattice`` (checkerboard, rows of one colour in
   parallel) on all Numba threads and on one, against the NumPy checkerboard
   peer (four contiguous sublattices, flip table, PCG64 uniforms per
   colour).  Throughput in spin-update attempts per ns
   (sweeps * L^2 / seconds).  Targets: >= 0.3 per ns on 2 cores and >= 5x
   the NumPy peer.
2. **Wolff** at L = 64 and 256 at T_c: ns per flipped spin
   (seconds / sum of cluster sizes) and mean cluster size / N, against
   Metropolis ns per spin update at the same L on one thread, and the
   plain-Python Wolff peer (a few steps).
3. **Graph engine**: a Barabási–Albert graph (10^6 nodes, m = 3, fixed
   seed; its creation is timed and printed), ``utacbook.models.simulate_graph``
   Metropolis and heat-bath on a prepared ``IsingGraph`` (``prepare_graph``
   timed separately), against the SciPy colour-class peer (greedy colouring,
   one sparse mat-vec per class).  Spin updates per second
   (sweeps * N / seconds).  Target: >= 2e7 per second.

Every timed call includes what a user's call includes: for utacbook the
stream set-up and random initial state inside ``simulate_*``; for the peers
the construction of the simulator (random initial state) and the run.
Colouring/relabelling of graphs is timed separately for both.  Every row
is the median over ``--repeats`` rounds with the min-max range; the rounds
interleave utacbook and the peer so that both see the same machine state,
and each section reports how many cores other processes used meanwhile.

After the timings (which are the most sensitive to other load, so they come
first), the peers are checked against exact results
(``utacbook.exact``): mean energy at T = 2, L = 32 against Kaufman's exact
finite-lattice value, a small weighted graph against full enumeration, the
Python Wolff at L = 16 against Kaufman; and utacbook's graph engine against
the graph peer on a small BA graph (both must agree within 4 combined
standard errors).  The script exits with status 1 if any check fails.

Usage::

    python benchmarks/bench_ising.py            # full (about 2-3 minutes on an idle machine)
    python benchmarks/bench_ising.py --quick    # smaller sizes, about 20 s
    python benchmarks/bench_ising.py --json benchmarks/results/ising.json

Set ``NUMBA_CACHE_DIR`` as everywhere in the project (the Makefile does).
"""

from __future__ import annotations

import argparse
import json
import math
import statistics
import sys
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import networkx as nx  # noqa: E402
import numba  # noqa: E402
import scipy  # noqa: E402

import reference_numpy_ising as R  # noqa: E402
from bench_emergent_beta import (  # noqa: E402  (shared helpers)
    CpuWatch, heading, load_str, wait_quiet)
from bench_emergent_beta import machine_info as _machine_info  # noqa: E402
from utacbook.theory import _exact as exact  # noqa: E402
from utacbook.models import _ising as ising  # noqa: E402
from utacbook.stats import _mcstats as mcstats  # noqa: E402

TC = exact.onsager_tc()
TARGET_LATTICE_PER_NS = 0.3
TARGET_LATTICE_VS_NUMPY = 5.0
TARGET_GRAPH_PER_S = 2e7

# --------------------------------------------------------------------------- helpers


def med_range(x):
    """(median, min, max) of a list."""
    return float(statistics.median(x)), float(min(x)), float(max(x))


def fmt_mr(x, f="{:.3f}"):
    m, lo, hi = med_range(x)
    return f"{f.format(m)} [{f.format(lo)}-{f.format(hi)}]"


def timed(fn):
    t0 = time.perf_counter()
    out = fn()
    return time.perf_counter() - t0, out


def verdict(ok):
    return "MET" if ok else "MISSED"


def machine_info():
    # the threading layer is known only after a parallel kernel ran
    ising.simulate_lattice(32, TC, sweeps=1, burn_in=0, seed=1)
    try:
        layer = numba.threading_layer()
    except ValueError:  # pragma: no cover
        layer = None
    return _machine_info({"scipy": scipy.__version__, "networkx": nx.__version__,
                          "numba_threading_layer": layer})


# --------------------------------------------------------------------------- self-checks


def self_checks(quick):
    """Peers against exact results, utacbook's graph engine against the graph peer."""
    heading("Self-checks: the peers compute the same physics (|z| < 4 required)")
    rows = []
    sweeps = 2000 if quick else 4000
    for alg in ("metropolis", "heatbath"):
        r = R.check_lattice(algorithm=alg, sweeps=sweeps, seed=11)
        rows.append({"what": f"NumPy checkerboard {alg}, <e> at L=32, T=2 vs Kaufman", **r})
    for alg in ("metropolis", "heatbath"):
        r = R.check_graph(algorithm=alg, sweeps=sweeps * 3, seed=12)
        rows.append({"what": f"SciPy colour-class {alg}, <e> and <m> on a weighted 10-node "
                             f"graph, T=2, h=0.1 vs enumeration", **r})
    r = R.check_wolff(steps=1000 if quick else 3000, seed=13)
    rows.append({"what": "plain-Python Wolff, <e> at L=16, T=T_c vs Kaufman", **r})
    if hasattr(ising, "simulate_graph"):
        rows.append(graph_agreement(2000 if quick else 4000))
    ok = True
    for row in rows:
        zs = row["z"] if isinstance(row["z"], list) else [row["z"]]
        good = all(abs(z) < 4 for z in zs)
        ok &= good
        print(f"  {'ok ' if good else 'BAD'} {row['what']}: {row['detail']}")
    if not ok:
        raise SystemExit("a self-check failed: the timings would not compare equal work")
    return rows


def graph_agreement(sweeps, n=2000, T=8.0):
    """utacbook.simulate_graph vs the colour-class peer on a small BA graph (no exact result)."""
    G = nx.barabasi_albert_graph(n, 3, seed=5)
    out = {"z": [], "detail": ""}
    parts = []
    for alg in ("metropolis", "heatbath"):
        u = ising.simulate_graph(G, T, sweeps=sweeps, burn_in=200, algorithm=alg, seed=21)
        sim = R.GraphColourIsing(G, T, algorithm=alg, seed=22)
        e, m = sim.run(sweeps, burn_in=200)
        ue, uee = u.mean_energy
        pe, pee, _ = mcstats.mean_with_error(e)
        ua, uae = u.abs_magnetization
        pa, pae, _ = mcstats.mean_with_error(np.abs(m))
        ze = (ue - pe) / math.hypot(uee, pee)
        za = (ua - pa) / math.hypot(uae, pae)
        out["z"] += [ze, za]
        parts.append(f"{alg}: <e> {ue:.4f}+-{uee:.4f} vs {pe:.4f}+-{pee:.4f} (z={ze:+.2f}), "
                     f"<|m|> {ua:.4f}+-{uae:.4f} vs {pa:.4f}+-{pae:.4f} (z={za:+.2f})")
    out["what"] = (f"utacbook.simulate_graph vs SciPy peer, BA(n={n}, m=3), T={T}, "
                   f"{sweeps} sweeps")
    out["detail"] = "; ".join(parts)
    return out


# --------------------------------------------------------------------------- 1. lattice


def lattice_section(L, sweeps, repeats):
    heading(f"1. Lattice Metropolis / heat-bath, L={L}, T=T_c={TC:.4f}, {sweeps} sweeps per "
            f"call, {repeats} interleaved rounds (spin-update attempts per ns)")
    n_thr = numba.get_num_threads()
    thread_counts = sorted({n_thr, 1}, reverse=True)
    N = L * L
    res = {"L": L, "sweeps": sweeps, "repeats": repeats, "T": TC, "rows": {}}
    cpu_wall = []   # the NumPy peer's main-thread CPU time / wall time: 1 = never descheduled
    with CpuWatch() as watch:
        try:
            for alg in ("metropolis", "heatbath", "metropolis_msc"):
                # the multi-spin-coded kernel runs the Metropolis chain: its peer is Metropolis
                peer_alg = "metropolis" if alg == "metropolis_msc" else alg
                # warm-up (compilation / cache load excluded)
                for thr in thread_counts:
                    numba.set_num_threads(thr)
                    ising.simulate_lattice(L, TC, sweeps=2, burn_in=0, algorithm=alg, seed=1)
                R.CheckerboardIsing(L, TC, algorithm=peer_alg, seed=1).run(2)
                rates = {f"utacbook_{t}": [] for t in thread_counts}
                rates["numpy"] = []
                for r in range(repeats):
                    for thr in thread_counts:
                        numba.set_num_threads(thr)
                        dt, _ = timed(lambda alg=alg, r=r: ising.simulate_lattice(
                            L, TC, sweeps=sweeps, burn_in=0, algorithm=alg, seed=100 + r))
                        rates[f"utacbook_{thr}"].append(sweeps * N / dt / 1e9)
                    c0 = time.thread_time()
                    dt, _ = timed(lambda peer_alg=peer_alg, r=r: R.CheckerboardIsing(
                        L, TC, algorithm=peer_alg, seed=100 + r).run(sweeps))
                    cpu_wall.append((time.thread_time() - c0) / dt)
                    rates["numpy"].append(sweeps * N / dt / 1e9)
                res["rows"][alg] = rates
        finally:
            numba.set_num_threads(n_thr)
        # fixed cost of one call (streams + random initial state + one sweep)
        dt1 = min(timed(lambda: ising.simulate_lattice(L, TC, sweeps=1, burn_in=0,
                                                       seed=1))[0] for _ in range(3))
    res["one_sweep_call_s"] = dt1
    res["numpy_cpu_over_wall"] = cpu_wall
    res["others_cores"] = watch.others
    print(f"  {'algorithm':11s} {'implementation':24s} {'flips/ns: median [min-max]':>30s} "
          f"{'utacbook / NumPy':>18s}")
    for alg, rates in res["rows"].items():
        np_med = statistics.median(rates["numpy"])
        for key, v in rates.items():
            label = ("NumPy peer (1 core)" if key == "numpy"
                     else f"utacbook, {key.split('_')[1]} thread(s)")
            ratio = "" if key == "numpy" else f"{statistics.median(v) / np_med:.2f}x"
            print(f"  {alg:11s} {label:24s} {fmt_mr(v):>30s} {ratio:>18s}")
    print(f"  one simulate_lattice call with sweeps=1 (streams + initial state + 1 sweep): "
          f"{dt1 * 1e3:.1f} ms")
    print(f"  NumPy peer main-thread CPU time / wall time: {fmt_mr(cpu_wall, '{:.2f}')} "
          f"(1 = it had a core to itself)")
    print(f"  during the table: {watch}")
    print("  targets:")
    for alg, rates in res["rows"].items():
        u = statistics.median(rates[f"utacbook_{n_thr}"])
        ratio = u / statistics.median(rates["numpy"])
        print(f"    {alg:11s} >= {TARGET_LATTICE_PER_NS} flips/ns on {n_thr} threads: "
              f"{u:.3f} -> {verdict(u >= TARGET_LATTICE_PER_NS)};  >= "
              f"{TARGET_LATTICE_VS_NUMPY:.0f}x NumPy: {ratio:.2f}x -> "
              f"{verdict(ratio >= TARGET_LATTICE_VS_NUMPY)}")
    return res


# --------------------------------------------------------------------------- 2. Wolff


def wolff_section(sizes, target_flips, repeats, py_flips):
    heading(f"2. Wolff at T=T_c, ns per flipped spin (target ~{target_flips:.0e} flipped spins "
            f"per call, {repeats} rounds), vs Metropolis on 1 thread")
    n_thr = numba.get_num_threads()
    rows = []
    with CpuWatch() as watch:
        try:
            numba.set_num_threads(1)
            for L in sizes:
                N = L * L
                # equilibrate once (>= 20 N flipped spins from an ordered start: from a
                # random start the first clusters are tiny); every timed call starts here
                spins, flipped, k = "up", 0, 0
                while flipped < 20 * N and k < 100:
                    eq = ising.simulate_lattice(L, TC, sweeps=100, burn_in=0,
                                                algorithm="wolff", init=spins, seed=7 + k)
                    spins, flipped, k = eq.spins, flipped + eq.cluster_sizes.sum(), k + 1
                steps = max(10, int(target_flips / eq.mean_cluster_size))
                ising.simulate_lattice(L, TC, sweeps=2, burn_in=0, algorithm="wolff",
                                       init=spins, seed=1)
                met_sweeps = max(2, int(target_flips / N))
                ising.simulate_lattice(L, TC, sweeps=2, burn_in=0, init=spins, seed=1)
                w_ns, w_frac, m_ns = [], [], []
                for r in range(repeats):
                    dt, res = timed(lambda L=L, steps=steps, spins=spins, r=r: ising.simulate_lattice(
                        L, TC, sweeps=steps, burn_in=0, algorithm="wolff", init=spins,
                        seed=200 + r))
                    w_ns.append(dt / res.cluster_sizes.sum() * 1e9)
                    w_frac.append(res.mean_cluster_size / N)
                    dt, _ = timed(lambda L=L, met_sweeps=met_sweeps, spins=spins, r=r: ising.simulate_lattice(
                        L, TC, sweeps=met_sweeps, burn_in=0, init=spins, seed=300 + r))
                    m_ns.append(dt / (met_sweeps * N) * 1e9)
                row = {"L": L, "steps": steps, "metropolis_sweeps": met_sweeps,
                       "wolff_ns_per_flip": w_ns, "mean_cluster_over_N": w_frac,
                       "metropolis_ns_per_update": m_ns}
                # plain-Python peer: a few steps from the same state
                py_steps = max(5, int(py_flips / eq.mean_cluster_size))
                dt, (_, _, _, sizes_py) = timed(lambda L=L, py_steps=py_steps, spins=spins: R.wolff_python(
                    L, TC, py_steps, seed=9, spins=spins))
                row["python_ns_per_flip"] = dt / sizes_py.sum() * 1e9
                row["python_steps"] = py_steps
                row["python_mean_cluster_over_N"] = float(sizes_py.mean() / N)
                rows.append(row)
        finally:
            numba.set_num_threads(n_thr)
    print(f"  {'L':>5s} {'Wolff ns/flipped spin':>24s} {'<cluster>/N':>20s} "
          f"{'Metropolis ns/update':>24s} {'Wolff/Metro':>12s} {'Python Wolff ns/flip':>22s}")
    for row in rows:
        wm = statistics.median(row["wolff_ns_per_flip"])
        mm = statistics.median(row["metropolis_ns_per_update"])
        print(f"  {row['L']:5d} {fmt_mr(row['wolff_ns_per_flip'], '{:.2f}'):>24s} "
              f"{fmt_mr(row['mean_cluster_over_N'], '{:.3f}'):>20s} "
              f"{fmt_mr(row['metropolis_ns_per_update'], '{:.2f}'):>24s} {wm / mm:11.2f}x "
              f"{row['python_ns_per_flip']:14.0f} ({row['python_steps']} steps)")
    print(f"  Wolff: {rows[0]['steps']}/{rows[-1]['steps']} cluster steps per call from an "
          f"equilibrated state; Metropolis: 1 Numba thread; plain Python: one call, "
          f"<cluster>/N = " + ", ".join(f"{r['python_mean_cluster_over_N']:.3f}" for r in rows))
    print(f"  during the table: {watch}")
    return {"rows": rows, "others_cores": watch.others, "T": TC}


# --------------------------------------------------------------------------- 3. graph


def graph_section(n, sweeps, repeats, T=None):
    heading(f"3. Graph engine: Barabasi-Albert graph, n={n}, m=3 (spin updates per second)")
    if not hasattr(ising, "simulate_graph"):
        print("  utacbook.models.simulate_graph does not exist in this version: skipped")
        return None
    out = {"n": n, "m": 3, "sweeps": sweeps, "repeats": repeats}
    t_gen, G = timed(lambda: nx.barabasi_albert_graph(n, 3, seed=1))
    out["create_s"] = t_gen
    print(f"  networkx.barabasi_albert_graph(n={n}, m=3, seed=1): {t_gen:.1f} s; "
          f"{G.number_of_edges()} edges")
    if T is None:
        T = round(exact.bethe_tc(G), 1)
        t_note = "the graph's Bethe T_c, rounded"
    else:
        t_note = "given"
    out["T"] = T
    print(f"  T = {T} ({t_note}); mean-field T_c = {exact.mean_field_tc(G):.2f}, Bethe T_c = "
          f"{exact.bethe_tc(G):.2f} (J = 1)")
    t_prep, g = timed(lambda G=G: ising.prepare_graph(G))
    out["prepare_graph_s"] = t_prep
    out["n_colours"] = g.n_colours
    print(f"  utacbook.models.prepare_graph (networkx -> CSR, checks, colouring, relabel): "
          f"{t_prep:.2f} s; {g.n_colours} colours")
    t_csr, A = timed(lambda G=G: nx.to_scipy_sparse_array(G, format="csr", dtype=np.float64))
    t_col, classes = timed(lambda: R.greedy_colour_classes(A))
    t_build, sim_proto = timed(lambda: R.GraphColourIsing(A, T, classes=classes, seed=1))
    out.update(peer_csr_s=t_csr, peer_colour_s=t_col, peer_relabel_s=t_build,
               peer_n_colours=len(classes))
    print(f"  peer preparation: to_scipy_sparse_array {t_csr:.2f} s, greedy colouring (plain "
          f"Python) {t_col:.2f} s, relabelled class blocks {t_build:.2f} s; {len(classes)} "
          f"colours")
    del G
    n_thr = numba.get_num_threads()
    thread_counts = sorted({n_thr, 1}, reverse=True)
    rows = {}
    cpu_wall = []
    with CpuWatch() as watch:
        try:
            for alg in ("metropolis", "heatbath"):
                sim = R.GraphColourIsing(A, T, classes=classes, algorithm=alg, seed=1)
                for thr in thread_counts:
                    numba.set_num_threads(thr)
                    ising.simulate_graph(g, T, sweeps=2, burn_in=0, algorithm=alg, seed=1)
                sim.run(1)
                rates = {f"utacbook_{t}": [] for t in thread_counts}
                rates["scipy"] = []
                for r in range(repeats):
                    for thr in thread_counts:
                        numba.set_num_threads(thr)
                        dt, _ = timed(lambda alg=alg, r=r: ising.simulate_graph(
                            g, T, sweeps=sweeps, burn_in=0, algorithm=alg, seed=400 + r))
                        rates[f"utacbook_{thr}"].append(sweeps * n / dt)

                    def peer_call(r=r, sim=sim):
                        sim.reset(seed=500 + r)
                        return sim.run(sweeps)
                    c0 = time.thread_time()
                    dt, _ = timed(peer_call)
                    cpu_wall.append((time.thread_time() - c0) / dt)
                    rates["scipy"].append(sweeps * n / dt)
                rows[alg] = rates
        finally:
            numba.set_num_threads(n_thr)
    out["rows"] = rows
    out["others_cores"] = watch.others
    out["scipy_cpu_over_wall"] = cpu_wall
    print(f"  {sweeps} sweeps per call, {repeats} interleaved rounds; every call starts from a "
          f"fresh random state and records e, m per sweep")
    print(f"  {'algorithm':11s} {'implementation':26s} {'updates/s: median [min-max]':>34s} "
          f"{'utacbook / SciPy':>18s}")
    for alg, rates in rows.items():
        p_med = statistics.median(rates["scipy"])
        for key, v in rates.items():
            label = ("SciPy colour-class peer" if key == "scipy"
                     else f"utacbook, {key.split('_')[1]} thread(s)")
            ratio = "" if key == "scipy" else f"{statistics.median(v) / p_med:.2f}x"
            print(f"  {alg:11s} {label:26s} {fmt_mr(v, '{:.3g}'):>34s} {ratio:>18s}")
    print(f"  SciPy peer main-thread CPU time / wall time: {fmt_mr(cpu_wall, '{:.2f}')} "
          f"(1 = it had a core to itself)")
    print(f"  during the table: {watch}")
    print("  target:")
    for alg, rates in rows.items():
        u = statistics.median(rates[f"utacbook_{n_thr}"])
        print(f"    {alg:11s} >= {TARGET_GRAPH_PER_S:.0e} updates/s on {n_thr} threads: "
              f"{u:.3g} -> {verdict(u >= TARGET_GRAPH_PER_S)}")
    return out


# --------------------------------------------------------------------------- summary


def markdown(info, lat, wolff, graph):
    heading("Markdown summary")
    n_thr = info["numba_threads"]
    lines = [f"Measured {info['date'][:16]} on {info['cpu']}, {info['usable_cpus']} cores, "
             f"Numba {info['numba']} ({info['numba_threading_layer']}, {n_thr} threads), "
             f"Python {info['python']}, NumPy {info['numpy']}, SciPy {info['scipy']}; load "
             f"average at start {load_str(info['load_start'])}.", ""]
    if lat:
        lines += [f"| lattice L={lat['L']}, T_c | implementation | flips per ns, median "
                  f"[min–max] of {lat['repeats']} | ÷ NumPy |", "|---|---|---:|---:|"]
        for alg, rates in lat["rows"].items():
            npm = statistics.median(rates["numpy"])
            for key, v in rates.items():
                label = ("NumPy peer, 1 core" if key == "numpy"
                         else f"utacbook, {key.split('_')[1]} thr")
                ratio = "1" if key == "numpy" else f"{statistics.median(v) / npm:.2f}"
                lines.append(f"| {alg} | {label} | {fmt_mr(v)} | {ratio} |")
        lines += ["", f"(other processes: {lat['others_cores']:.2f} cores)", ""]
    if wolff:
        lines += ["| L | Wolff ns / flipped spin | ⟨cluster⟩/N | Metropolis ns / update "
                  "(1 thr) | plain-Python Wolff ns / flipped spin |", "|---:|---:|---:|---:|---:|"]
        for row in wolff["rows"]:
            lines.append(f"| {row['L']} | {fmt_mr(row['wolff_ns_per_flip'], '{:.2f}')} | "
                         f"{fmt_mr(row['mean_cluster_over_N'], '{:.3f}')} | "
                         f"{fmt_mr(row['metropolis_ns_per_update'], '{:.2f}')} | "
                         f"{row['python_ns_per_flip']:.0f} |")
        lines += ["", f"(other processes: {wolff['others_cores']:.2f} cores)", ""]
    if graph:
        lines += [f"BA graph n={graph['n']}, m=3: created in {graph['create_s']:.1f} s; "
                  f"prepare_graph {graph['prepare_graph_s']:.2f} s ({graph['n_colours']} "
                  f"colours); peer colouring {graph['peer_colour_s']:.2f} s; T = {graph['T']}.",
                  "", f"| graph | implementation | updates per s, median [min–max] of "
                      f"{graph['repeats']} | ÷ SciPy |", "|---|---|---:|---:|"]
        for alg, rates in graph["rows"].items():
            pm = statistics.median(rates["scipy"])
            for key, v in rates.items():
                label = ("SciPy peer, 1 core" if key == "scipy"
                         else f"utacbook, {key.split('_')[1]} thr")
                ratio = "1" if key == "scipy" else f"{statistics.median(v) / pm:.2f}"
                lines.append(f"| {alg} | {label} | {fmt_mr(v, '{:.3g}')} | {ratio} |")
        lines += ["", f"(other processes: {graph['others_cores']:.2f} cores)"]
    print("\n".join(lines))
    return lines


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true",
                    help="L=512, Wolff L=64/128, BA n=1e5, 3 rounds (under 2 minutes)")
    ap.add_argument("--repeats", type=int, default=None, help="rounds per row (default 5, quick 3)")
    ap.add_argument("--graph-n", type=int, default=None, help="BA nodes (default 1e6, quick 1e5)")
    ap.add_argument("--graph-T", type=float, default=None,
                    help="graph temperature (default: the graph's Bethe T_c, rounded)")
    ap.add_argument("--wait-quiet", type=float, default=0.0, metavar="SECONDS",
                    help="first wait (at most this long) until other processes use < 0.15 cores")
    ap.add_argument("--no-checks", action="store_true", help="skip the self-checks")
    ap.add_argument("--no-graph", action="store_true")
    ap.add_argument("--json", type=Path, default=None, help="also write all results here")
    a = ap.parse_args(argv)
    repeats = a.repeats or (3 if a.quick else 5)
    if a.wait_quiet > 0:
        wait_quiet(a.wait_quiet)
    t_start = time.perf_counter()
    info = machine_info()
    # the parallel, load-sensitive timings first
    t0 = time.perf_counter()
    lat = lattice_section(512 if a.quick else 1024, 20 if a.quick else 40, repeats)
    print(f"  (section time {time.perf_counter() - t0:.0f} s)")
    t0 = time.perf_counter()
    wolff = wolff_section((64, 128) if a.quick else (64, 256), 4e6 if a.quick else 2e7, repeats,
                          1e5 if a.quick else 4e5)
    print(f"  (section time {time.perf_counter() - t0:.0f} s)")
    graph = None
    if not a.no_graph:
        n = a.graph_n or (10 ** 5 if a.quick else 10 ** 6)
        t_gen_guess = n / 1e6 * 15
        if t_gen_guess > 60:
            print(f"  (n={n}: networkx would take about {t_gen_guess:.0f} s to build the graph)")
        t0 = time.perf_counter()
        graph = graph_section(n, 10 if a.quick else 20, repeats, a.graph_T)
        print(f"  (section time {time.perf_counter() - t0:.0f} s)")
    t0 = time.perf_counter()
    checks = None if a.no_checks else self_checks(a.quick)
    print(f"  (section time {time.perf_counter() - t0:.0f} s)")
    lines = markdown(info, lat, wolff, graph)
    print(f"\nTotal benchmark time {time.perf_counter() - t_start:.0f} s; load at end "
          f"{load_str()}")
    if a.json:
        a.json.parent.mkdir(parents=True, exist_ok=True)
        a.json.write_text(json.dumps({"machine": info, "lattice": lat, "wolff": wolff,
                                      "graph": graph, "checks": checks, "markdown": lines,
                                      "quick": a.quick}, indent=1, default=float))
        print(f"results written to {a.json}")


if __name__ == "__main__":
    main()
