"""``jupyter-book build`` with Sphinx reading and writing on every usable core.

    python tests/build_book.py [jupyter-book build arguments]

Jupyter Book 1's command line has no ``-j``; its ``build_sphinx`` takes ``jobs``
(default 1). This script calls the same command with ``jobs`` set to the usable CPUs
(``UTACBOOK_BUILD_JOBS`` overrides it), so the ~50 pages are read and written on two
processes on the project's 2-core machine. Every extension the book loads is parallel
safe (``book/api/_ext/utacbook_api.py`` declares the two that do not say so).
"""
from __future__ import annotations

import functools
import os
import sys


def _interleaved_chunks(arguments, nproc, maxbatch=10):
    """Sphinx's work split for ``nproc`` processes, round-robin instead of in runs.

    ``sphinx.util.parallel.make_chunks`` cuts the sorted document list into runs of
    consecutive names; the API pages (``book/api/*``, which autodoc makes the slowest to read
    and write) then all land in the first run and one process reads them while the other
    has finished. Dealt round-robin into ``4 * nproc`` chunks, they spread over the processes.
    """
    n = max(1, min(len(arguments), 4 * nproc))
    return [arguments[i::n] for i in range(n)]


def main(argv=None):
    import jupyter_book.sphinx as jb_sphinx
    import sphinx.builders
    from jupyter_book.cli.main import main as jb_main

    from utacbook._threads import usable_cpus

    jobs = int(os.environ.get("UTACBOOK_BUILD_JOBS") or max(1, usable_cpus()))
    # jupyter_book.cli.main imports build_sphinx from this module when the build starts
    jb_sphinx.build_sphinx = functools.partial(jb_sphinx.build_sphinx, jobs=jobs)
    sphinx.builders.make_chunks = _interleaved_chunks   # the name the builder calls
    print(f"build_book: Sphinx on {jobs} process(es)", flush=True)
    return jb_main(args=list(sys.argv[1:] if argv is None else argv), standalone_mode=True)


if __name__ == "__main__":
    sys.exit(main())
