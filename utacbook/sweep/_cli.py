"""Command line: ``python -m utacbook.sweep SPEC [options]``.

Runs the sweep a TOML/YAML spec describes (:mod:`utacbook.sweep._spec`) into its
zarr store.  Interrupt it (Ctrl-C, a kill, a crash) and run the same command
again: it resumes, skipping the completed tasks.

Where the tasks run:

* default: a local Dask cluster on 127.0.0.1 with one single-threaded worker
  per usable CPU (``--workers N`` to choose; ``--workers 0`` runs in this
  process, one task after the other);
* ``--scheduler ADDRESS``: an existing Dask scheduler.  A scheduler runs any
  code its clients send, so an address that is not on this machine
  (loopback) must use ``tls://`` with ``--tls-ca-file``, ``--tls-cert`` and
  ``--tls-key``, or be allowed explicitly with ``--insecure``.

``--status`` prints what is done and an estimate of what is left, and runs nothing.
"""

from __future__ import annotations

import argparse
import json
import sys
import time

import numpy as np


def _parser():
    p = argparse.ArgumentParser(prog="python -m utacbook.sweep", description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter,
                                epilog="Example spec:\n" + _example())
    p.add_argument("spec", help="sweep specification (.toml, .yaml or .yml)")
    where = p.add_mutually_exclusive_group()
    where.add_argument("--workers", type=int, default=None,
                       help="local single-threaded worker processes (default: usable CPUs; 0: in this process)")
    where.add_argument("--scheduler", metavar="ADDRESS", help="address of a running Dask scheduler")
    p.add_argument("--insecure", action="store_true",
                   help="allow an unencrypted scheduler address that is not on this machine")
    p.add_argument("--tls-ca-file", help="CA certificate (tls:// schedulers)")
    p.add_argument("--tls-cert", help="client certificate (tls:// schedulers)")
    p.add_argument("--tls-key", help="client key (tls:// schedulers)")
    p.add_argument("--status", action="store_true", help="print progress and a cost estimate; run nothing")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    return p


def _example():
    from . import _spec
    doc = _spec.__doc__
    return doc[doc.index("::") + 3:]


def status(spec):
    """Text: tasks done, their measured wall times and the estimated time left."""
    from ._engine import open_sweep

    n = int(np.prod([len(v) for v in spec["grid"].values()]))
    try:
        ds = open_sweep(spec["store"])
    except FileNotFoundError:
        return f"{spec['store']}: not started (0 of {n} tasks done)"
    done = np.asarray(ds.task_done.values, dtype=bool)
    wall = np.asarray(ds.task_wall_time.values)[done]
    lines = [f"{spec['store']}: {int(done.sum())} of {done.size} tasks done"]
    if wall.size:
        left = (done.size - done.sum()) * float(wall.mean())
        lines.append(f"measured task wall time: mean {wall.mean():.3g} s, max {wall.max():.3g} s, "
                     f"total {wall.sum():.4g} s; left: about {left:.4g} CPU-seconds "
                     f"({left / 3600:.3g} CPU-hours)")
    runs = ds.attrs["utacbook_sweep"].get("runs", [])
    for r in runs:
        end = r.get("finished", "(running, or killed)")
        lines.append(f"run {r.get('started')} .. {end}: {r.get('tasks_run', '?')} tasks, {r.get('where', '?')}")
    return "\n".join(lines)


def main(argv=None):
    args = _parser().parse_args(argv)
    from ._engine import check_address, local_client, run
    from ._spec import load_spec

    try:
        spec = load_spec(args.spec)
    except (OSError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if args.status:
        print(status(spec))
        return 0

    client, own = None, None
    try:
        if args.scheduler:
            from distributed import Client, Security
            security = None
            if args.tls_ca_file or args.tls_cert or args.tls_key:
                security = Security(tls_ca_file=args.tls_ca_file, tls_client_cert=args.tls_cert,
                                    tls_client_key=args.tls_key, require_encryption=True)
            try:
                address = check_address(args.scheduler, security=security, insecure=args.insecure)
            except ValueError as exc:
                print(f"error: {exc}", file=sys.stderr)
                return 2
            client = own = Client(address, security=security, timeout="30s")
        elif args.workers is None or args.workers > 0:
            from .._threads import usable_cpus
            n = args.workers if args.workers is not None else usable_cpus()
            if n > 1 or args.workers is not None:
                client = own = local_client(n)
        where = "in this process" if client is None else f"on {client.scheduler.address}"
        n_tasks = int(np.prod([len(v) for v in spec["grid"].values()]))
        print(f"sweep {spec['function']} over {n_tasks} tasks {where}; store {spec['store']}", flush=True)
        t0 = time.perf_counter()
        try:
            ds = run(spec["function"], spec["grid"], seed=spec["seed"], params=spec["params"],
                     dims=spec["dims"], store=spec["store"], client=client,
                     progress=False if args.no_progress else None)
        except KeyboardInterrupt:
            print("\ninterrupted: run the same command again to resume", file=sys.stderr)
            return 130
        except (ValueError, TypeError, RuntimeError) as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 1
        last = ds.attrs["utacbook_sweep"]["runs"][-1]
        print(json.dumps({"tasks": n_tasks, "already_done": last["tasks_before"], "run_now": last["tasks_run"],
                          "seconds": round(time.perf_counter() - t0, 2), "store": str(spec["store"])}))
        return 0
    finally:
        if own is not None:
            cluster = getattr(own, "cluster", None)
            own.close()
            if cluster is not None:
                cluster.close()
