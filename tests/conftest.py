"""Test-session set-up shared by every test module.

Environment variables are set here, at import time, before any test module
imports numba or matplotlib, so that `pytest` run by hand behaves like
`make test`: Numba caches compiled kernels in <repo>/.numba_cache (ignored by
git) and matplotlib draws off-screen.
"""

import os
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]

os.environ.setdefault("NUMBA_CACHE_DIR", str(REPO_ROOT / ".numba_cache"))
os.environ.setdefault("MPLBACKEND", "Agg")
