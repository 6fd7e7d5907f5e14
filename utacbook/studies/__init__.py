"""One study module per chapter.

``book/<part>/NN_<name>.ipynb`` runs ``utacbook.studies.<part>.<name>``,
tested by ``tests/studies/<part>/test_<name>.py``.  The study modules hold
the chapter's measurements, claims and figures; what several chapters share
lives in the core subpackages (:mod:`utacbook.models`,
:mod:`utacbook.theory`, :mod:`utacbook.stats`, :mod:`utacbook.viz`).
Study modules are imported on demand, e.g.
``from utacbook.studies.ising import hysteresis``.
"""

from . import ising, multiscale, rg  # noqa: F401  (light: study modules load on first use)
