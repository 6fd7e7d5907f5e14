"""Execute the book's chapters in parallel into the build's execution cache.

``make book`` and ``make test`` run this before ``jupyter-book build``.  The build
executes chapters one at a time (MyST-NB's ``execute_notebooks: cache``); on a
machine with several cores most of them would sit idle.  This script executes every
chapter that has no match in the jupyter-cache at ``--cache`` (the build's own
cache, ``_build/.jupyter_cache``), ``--jobs`` at a time, exactly as MyST-NB would:
the same ``single_nb_execution`` call (working directory = the chapter's folder,
the ``_config.yml`` timeout, errors not allowed), stored the same way (the executed
notebook with ``data={"execution_seconds": ...}``).  The build then finds every
chapter in the cache and executes nothing; its execution table (the book's page
"How this book was built") shows the run times measured here.

Each worker runs its kernels with ``NUMBA_NUM_THREADS = usable CPUs // jobs``, so
parallel chapters do not oversubscribe the cores.  Results do not depend on the
thread count (every kernel's random streams belong to chunks of work, not threads).

The kernels talk to this script over Unix domain sockets (jupyter_client's ``ipc``
transport, a fresh folder per kernel) instead of TCP ports on localhost: the manager picks
free ports that the kernel binds only later, so two kernels starting at once can collide
(seen once here: a kernel failed to bind its heartbeat port, "Address already in use").

(A chapter that stalled ~300 s between two cells, in 4 of 7 runs, was another thing: the
explorer's figure displayed inside ``with out:``, which nbclient answers on the shell
channel while it waits there for the cell's reply; ``utacbook.viz._widgets._show_png``.)

After the last cell the kernel is killed at once (``shutdown_kernel="immediate"``; every
output has arrived by then) instead of asked to shut down, which took about 1 s per chapter.

For each chapter the script prints where its time went: kernel start, the code cells,
the longest gap between two cells, shutdown, and the three slowest cells (from
nbclient's ``record_timing`` stamps, removed again before caching).

Chapters start longest first (the run times of the last recorded run, in
``tests/chapter_seconds.json``; a chapter not in it starts before all others), so the
pool does not end with one long chapter running alone on a core while the other idles.
``--record`` rewrites that file from this run's times.

A chapter that fails is reported with its traceback and the script exits with
status 1 (the build would fail on it too); the others are still cached.

Usage::

    python tests/execute_chapters.py [--cache _build/.jupyter_cache] [--jobs N] [--toc _toc.yml] [--record]
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
#: Run time (s) of each chapter in the last recorded run: the schedule's order.
SECONDS_FILE = Path(__file__).resolve().parent / "chapter_seconds.json"


def chapters(toc_path):
    """The notebooks listed in the table of contents, in its order (absolute paths)."""
    import yaml

    toc = yaml.safe_load(Path(toc_path).read_text(encoding="utf-8"))
    files = []

    def walk(node):
        if isinstance(node, dict):
            for key in ("root", "file"):
                if key in node:
                    files.append(node[key])
            for val in node.values():
                walk(val)
        elif isinstance(node, list):
            for val in node:
                walk(val)

    walk(toc)
    base = Path(toc_path).resolve().parent
    return [base / f"{f}.ipynb" for f in files if (base / f"{f}.ipynb").is_file()]


def longest_first(paths, seconds):
    """``paths`` ordered by recorded run time, longest first; unrecorded chapters first of all.

    ``seconds`` maps a chapter's path relative to the repository (``book/rg/01_quickstart.ipynb``)
    to its last run time.  Ties keep the table-of-contents order.
    """
    def key(item):
        i, path = item
        t = seconds.get(Path(os.path.relpath(path, ROOT)).as_posix())
        return (t is not None, -(t or 0.0), i)

    return [p for _, p in sorted(enumerate(paths), key=key)]


def _load_seconds():
    import json

    try:
        return {str(k): float(v) for k, v in json.loads(SECONDS_FILE.read_text(encoding="utf-8")).items()}
    except (OSError, ValueError, AttributeError):
        return {}


def _config():
    """timeout and allow_errors from _config.yml (the values MyST-NB uses)."""
    import yaml

    cfg = yaml.safe_load((ROOT / "_config.yml").read_text(encoding="utf-8")).get("execute", {})
    return int(cfg.get("timeout", 30)), bool(cfg.get("allow_errors", False))


def _init_worker(threads):
    os.environ["NUMBA_NUM_THREADS"] = str(threads)


def _execute(path, timeout, allow_errors):
    """Run one chapter as MyST-NB's cache mode does; return (path, notebook, seconds, error text)."""
    import nbformat
    from jupyter_cache.executors.utils import single_nb_execution

    nb = nbformat.read(str(path), as_version=4)
    with tempfile.TemporaryDirectory(prefix="utacbook-kernel-") as sockets:
        t0 = time.time()
        result = single_nb_execution(nb, cwd=str(Path(path).parent), timeout=timeout, allow_errors=allow_errors,
                                     meta_override=True, record_timing=True, config=_kernel_config(sockets),
                                     shutdown_kernel="immediate")
        t1 = time.time()
    err = None if result.err is None else (result.exc_string or repr(result.err))
    return str(path), nb, result.time, err, _timings(nb, t0, t1)


def _kernel_config(folder):
    """Kernel manager settings: the kernel's five channels as Unix sockets in ``folder``.

    Over TCP (jupyter_client's default) each kernel's ports are picked free by the manager
    and bound later by the kernel, so two kernels starting at once can pick the same port
    (seen here as ``ZMQError: Address already in use`` in a kernel's heartbeat thread).
    IPC sockets in a folder of their own cannot collide.
    """
    from traitlets.config import Config

    return Config({"KernelManager": {"transport": "ipc", "ip": os.path.join(folder, "kernel")}})


def _timings(nb, t0, t1):
    """Where a chapter's time went: kernel start, each code cell, shutdown (seconds).

    nbclient's ``record_timing`` stamps every code cell (``metadata.execution``); the stamps
    are removed again so the cached notebook is what MyST-NB itself would store.
    """
    from datetime import datetime

    def stamp(text):
        return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()

    cells, first, last, gap, gap_cell = [], None, None, 0.0, None
    for i, cell in enumerate(nb.cells):
        meta = cell.get("metadata", {}).pop("execution", None)
        if cell.cell_type != "code" or not meta:
            continue
        try:
            start = stamp(meta.get("iopub.execute_input") or meta["shell.execute_reply.started"])
            end = stamp(meta["shell.execute_reply"])
        except (KeyError, ValueError):
            continue
        if last is not None and start - last > gap:
            gap, gap_cell = start - last, i
        first = start if first is None else first
        last = end
        cells.append((i, end - start))
    out = {"cells": cells, "sum_cells": sum(d for _, d in cells), "max_gap": gap, "gap_before": gap_cell}
    if first is not None:
        out["startup"] = first - t0
        out["shutdown"] = t1 - last
    return out


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cache", default=str(ROOT / "_build" / ".jupyter_cache"))
    parser.add_argument("--toc", default=str(ROOT / "_toc.yml"))
    parser.add_argument("--jobs", type=int, default=0, help="parallel chapters (default: usable CPUs)")
    parser.add_argument("--record", action="store_true",
                        help=f"write this run's chapter times to {SECONDS_FILE.name} (the next runs' order)")
    args = parser.parse_args(argv)

    import nbformat
    from jupyter_cache import get_cache
    from jupyter_cache.base import CacheBundleIn

    sys.path.insert(0, str(ROOT))
    from utacbook._threads import usable_cpus

    cpus = max(1, usable_cpus())
    jobs = args.jobs if args.jobs > 0 else cpus
    threads = max(1, cpus // jobs)
    cache = get_cache(args.cache)
    todo = []
    for path in chapters(args.toc):
        try:
            cache.match_cache_notebook(nbformat.read(str(path), as_version=4))
        except KeyError:
            todo.append(path)
    if not todo:
        print("execute_chapters: every chapter is in the cache")
        return 0
    todo = longest_first(todo, _load_seconds())
    timeout, allow_errors = _config()
    print(f"execute_chapters: {len(todo)} chapter(s) to execute, {jobs} at a time, "
          f"NUMBA_NUM_THREADS={threads} each", flush=True)
    t0 = time.perf_counter()
    failed, measured = [], {}
    ctx = mp.get_context("spawn")
    with ProcessPoolExecutor(max_workers=jobs, mp_context=ctx, initializer=_init_worker,
                             initargs=(threads,)) as pool:
        futures = [pool.submit(_execute, p, timeout, allow_errors) for p in todo]
        for fut in as_completed(futures):
            path, nb, seconds, err, timing = fut.result()
            rel = os.path.relpath(path, ROOT)
            slow = sorted(timing["cells"], key=lambda c: -c[1])[:3]
            print(f"execute_chapters: {rel} timing: startup {timing.get('startup', float('nan')):.1f} s, "
                  f"cells {timing.get('sum_cells', float('nan')):.1f} s, "
                  f"shutdown {timing.get('shutdown', float('nan')):.1f} s, "
                  f"longest gap between cells {timing['max_gap']:.1f} s (before #{timing['gap_before']}),"
                  f" slowest cells "
                  + ", ".join(f"#{i} {d:.1f} s" for i, d in slow), flush=True)
            if err is not None:
                failed.append(rel)
                print(f"execute_chapters: {rel} FAILED after {seconds:.1f} s\n{err}", flush=True)
                continue
            cache.cache_notebook_bundle(CacheBundleIn(nb, path, data={"execution_seconds": seconds}),
                                        check_validity=False, overwrite=True)
            measured[Path(rel).as_posix()] = round(seconds, 1)
            print(f"execute_chapters: {rel} executed in {seconds:.1f} s", flush=True)
    print(f"execute_chapters: {len(todo) - len(failed)} executed, {len(failed)} failed, "
          f"{time.perf_counter() - t0:.0f} s wall time", flush=True)
    if args.record and measured:
        import json

        recorded = {**_load_seconds(), **measured}
        SECONDS_FILE.write_text(json.dumps(dict(sorted(recorded.items())), indent=1) + "\n", encoding="utf-8")
        print(f"execute_chapters: chapter times written to {os.path.relpath(SECONDS_FILE, ROOT)}", flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
