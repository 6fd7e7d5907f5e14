"""How many threads the parallel kernels may use (private).

Numba starts as many threads as ``os.cpu_count()`` reports: every CPU of the
host, even when the process may only use some of them (a CPU affinity mask,
or a container's CPU quota).  The sublattice-parallel kernels meet at a
barrier twice per sweep, so more threads than usable CPUs makes each barrier
wait for the scheduler: on a 2-CPU machine, a 64 x 64 Metropolis run with
4 threads took 10 times, with 16 threads 25 times as long as with 2.

:func:`limit_numba_threads` is called when :mod:`utacbook` is imported.  If the
user has not set ``NUMBA_NUM_THREADS``, it lowers Numba's thread count to
:func:`usable_cpus`; it never raises it.  Results do not depend on the thread
count (every kernel draws its random numbers from per-site or per-chunk
streams), only the wall time does.
"""

from __future__ import annotations

import math
import os
import sys

__all__ = ["usable_cpus", "limit_numba_threads"]


def _cgroup_cpu_limit(root="/sys/fs/cgroup"):
    """CPUs allowed by the cgroup CPU quota (v2 ``cpu.max`` or v1 CFS quota), or None."""
    try:
        with open(os.path.join(root, "cpu.max")) as f:
            quota, period = f.read().split()[:2]
        if quota != "max":
            return float(quota) / float(period)
        return None
    except (OSError, ValueError):
        pass
    try:
        with open(os.path.join(root, "cpu", "cpu.cfs_quota_us")) as f:
            quota = float(f.read())
        with open(os.path.join(root, "cpu", "cpu.cfs_period_us")) as f:
            period = float(f.read())
        if quota > 0 and period > 0:
            return quota / period
    except (OSError, ValueError):
        pass
    return None


def usable_cpus(*, cgroup_root="/sys/fs/cgroup"):
    """CPUs this process can actually use: the affinity mask, capped by a cgroup quota.

    ``os.cpu_count()`` counts every CPU of the host; a container limited to two CPUs
    on a 64-CPU host would otherwise start 64 threads.  A fractional quota is
    rounded up (1.5 CPUs -> 2 threads).  Always at least 1.
    """
    try:
        n = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):  # pragma: no cover (macOS, Windows)
        n = os.cpu_count() or 1
    quota = _cgroup_cpu_limit(cgroup_root)
    if quota is not None and quota > 0:
        n = min(n, math.ceil(quota - 1e-9))
    return max(1, n)


def limit_numba_threads():
    """Lower Numba's thread count to :func:`usable_cpus` unless ``NUMBA_NUM_THREADS`` is set.

    Before Numba is imported this sets ``NUMBA_NUM_THREADS`` (so that threads
    and processes started later, e.g. Dask workers, inherit it); afterwards it
    calls ``numba.set_num_threads`` for the calling thread.  Returns the thread
    count in effect.
    """
    if "NUMBA_NUM_THREADS" in os.environ:
        return int(os.environ["NUMBA_NUM_THREADS"])
    n = usable_cpus()
    if "numba" not in sys.modules:
        if n < (os.cpu_count() or n):
            os.environ["NUMBA_NUM_THREADS"] = str(n)
        return n
    import numba

    n = min(n, numba.config.NUMBA_NUM_THREADS)
    if n < numba.get_num_threads():
        numba.set_num_threads(n)
    return numba.get_num_threads()
