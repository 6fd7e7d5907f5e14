"""Memory estimates before allocating (private).

``check_memory(nbytes, what=...)`` raises a ``MemoryError`` that states the
estimate when a call would need more memory than the process can get: the
smaller of the available physical memory (``MemAvailable``) and the address
space left under ``ulimit -v`` (``RLIMIT_AS``).  Called by every public entry
point that allocates in proportion to its arguments, *before* the allocation,
so that a parallel Numba kernel never runs on memory that could not be had
(which returns uninitialised values instead of raising).
"""

from __future__ import annotations

import os

__all__ = ["available_bytes", "check_memory", "format_bytes"]

#: fraction of the available memory one call may claim
SAFETY = 0.8
#: below this many bytes a call is not checked (reading /proc costs ~50 µs), unless
#: UTACBOOK_MEMORY_LIMIT is set
UNCHECKED_BYTES = 16 * 2**20


def format_bytes(n):
    """``n`` bytes as a short human-readable string (binary units)."""
    n = float(n)
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if abs(n) < 1024 or unit == "TiB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n:.1f} TiB"  # pragma: no cover


def _mem_available():
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    try:
        import psutil
        return int(psutil.virtual_memory().available)
    except Exception:  # pragma: no cover
        return None


def _address_space_left():
    try:
        import resource
    except ImportError:  # pragma: no cover (Windows)
        return None
    soft, _ = resource.getrlimit(resource.RLIMIT_AS)
    if soft in (resource.RLIM_INFINITY, -1):
        return None
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmSize:"):
                    used = int(line.split()[1]) * 1024
                    return max(soft - used, 0)
    except OSError:
        pass
    return soft


def available_bytes():
    """Bytes this process can still allocate (None if unknown)."""
    cands = [c for c in (_mem_available(), _address_space_left()) if c is not None]
    return min(cands) if cands else None


def check_memory(nbytes, *, what="this call"):
    """Raise ``MemoryError`` if ``nbytes`` exceeds what the process can allocate.

    Parameters
    ----------
    nbytes : int
        Estimated peak allocation of the call, in bytes.
    what : str
        What needs the memory, e.g. ``"scan_field(lattice_size=60000, n_replicas=4)"``;
        it starts the error message.

    Returns
    -------
    int
        ``nbytes`` (as an int), when it fits.
    """
    nbytes = int(nbytes)
    if nbytes < UNCHECKED_BYTES and not os.environ.get("UTACBOOK_MEMORY_LIMIT"):
        return nbytes
    if os.environ.get("UTACBOOK_MEMORY_LIMIT"):
        limit = int(float(os.environ["UTACBOOK_MEMORY_LIMIT"]))
    else:
        avail = available_bytes()
        limit = None if avail is None else int(SAFETY * avail)
    if limit is not None and nbytes > limit:
        raise MemoryError(f"{what} needs about {format_bytes(nbytes)}, but only {format_bytes(limit)} "
                          f"can be allocated ({int(SAFETY * 100)}% of the memory available to this process); "
                          "use a smaller size or fewer replicas")
    return nbytes
