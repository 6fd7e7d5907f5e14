"""Test-session set-up shared by every test module.

Environment variables are set here, at import time, before any test module
imports numba or matplotlib, so that `pytest` run by hand behaves like
`make test`: Numba caches compiled kernels in <repo>/.numba_cache (ignored by
git) and matplotlib draws off-screen.
"""

import hashlib
import os
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]

def _kernel_hash():
    """Hash of the kernel sources; keys the cache folder as the Makefile does.

    Numba only checks the timestamp of the module that defines a cached kernel,
    not of the modules it inlines from (utacbook/_rng.py), so a stale kernel
    could otherwise survive an edit.
    """
    h = hashlib.sha1()
    for path in sorted((REPO_ROOT / "utacbook").glob("_*.py")):
        h.update(path.read_bytes())
    return h.hexdigest()[:12]


os.environ.setdefault("NUMBA_CACHE_DIR", str(REPO_ROOT / ".numba_cache" / _kernel_hash()))
os.environ.setdefault("MPLBACKEND", "Agg")
