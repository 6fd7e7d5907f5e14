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

def kernel_sources():
    """The files whose contents key the Numba cache (the Makefile lists the same)."""
    pkg = REPO_ROOT / "utacbook"
    files = set(pkg.glob("_kernels/*.py"))
    files |= {p for p in pkg.rglob("*.py") if "numba" in p.read_text()}
    return sorted(files, key=lambda p: p.relative_to(REPO_ROOT).as_posix())


def _kernel_hash():
    """Hash of the kernel sources; keys the cache folder as the Makefile does.

    Numba only checks the timestamp of the module that defines a cached kernel,
    not of the modules it inlines from (utacbook/_kernels/rng.py), so a stale
    kernel could otherwise survive an edit.  The sources are every module of
    utacbook/_kernels/ and every other module that mentions numba (the study
    modules with kernels of their own), in sorted order.
    """
    h = hashlib.sha1()
    for path in kernel_sources():
        h.update(path.read_bytes())
    return h.hexdigest()[:12]


os.environ.setdefault("NUMBA_CACHE_DIR", str(REPO_ROOT / ".numba_cache" / _kernel_hash()))
os.environ.setdefault("MPLBACKEND", "Agg")


import pytest  # noqa: E402  (after the environment is set)


@pytest.fixture
def at_1_and_2_threads():
    """Return ``run(fn)``: ``[fn() at 1 Numba thread, fn() at 2 threads]``.

    Skips the test when Numba has fewer than 2 threads; restores the thread count.
    """
    import numba

    def run(fn):
        if numba.config.NUMBA_NUM_THREADS < 2:
            pytest.skip("numba has fewer than 2 threads available")
        n0 = numba.get_num_threads()
        out = []
        try:
            for nt in (1, 2):
                numba.set_num_threads(nt)
                out.append(fn())
        finally:
            numba.set_num_threads(n0)
        return out

    return run


@pytest.fixture(scope="session")
def small_kc_study(tmp_path_factory):
    """A small stored critical-coupling study (3 couplings, L = 8 and 16), computed once per session.

    Shared by the tests of :mod:`utacbook.stats` and of the coarse-graining chapter's study module.
    """
    import utacbook.stored as s
    d = tmp_path_factory.mktemp("data")
    s.compute("small_kc", "utacbook.stats:critical_coupling_study", data_dir=d,
              K_values=[5.3, 5.5, 5.7], lattice_sizes=[8, 16], n_sweeps=[400, 600],
              n_burn=[100, 150], n_replicas=4, seed=5)
    return s.load("small_kc", data_dir=d)
