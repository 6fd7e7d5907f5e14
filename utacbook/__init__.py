"""utacbook: models, theory and statistics for the utacbook research book.

The package is organised by role, like QuantEcon.py or TeNPy:

* :mod:`utacbook.models` -- the RG-Phase-2 agent model (``ABMParams``,
  ``MicroscopicABM``, ``EmergentBetaSimulator``, field scans), the Ising
  engine on the square lattice and on any graph (``simulate_lattice``,
  ``simulate_graph``), the q-state Potts model, graph generators, and the
  multiscale government models (``GovernmentMultiscaleModel``,
  ``GovernmentSimulation``, ``IntegratedGovernmentModel``);
* :mod:`utacbook.theory` -- exact results (Onsager, Yang, Kaufman,
  enumeration, Curie-Weiss, the ring, network T_c) and mean-field theory;
* :mod:`utacbook.stats` -- Monte Carlo statistics, fits, coarse-graining,
  Binder crossings and significance tests;
* :mod:`utacbook.viz` -- the book's plot style, common figures and widgets;
* :mod:`utacbook.claims` -- the texts' claims with criteria fixed before the
  measurement and computed verdicts; :mod:`utacbook.report` -- numbers for
  the prose; :mod:`utacbook.stored` -- results too slow for a chapter;
* :mod:`utacbook.studies` -- one study module per chapter,
  ``book/<part>/NN_<name>.ipynb`` <-> ``utacbook.studies.<part>.<name>``,
  imported on demand.

The public names of :mod:`~utacbook.models`, :mod:`~utacbook.theory` and
:mod:`~utacbook.stats` are also available here, e.g. ``utacbook.simulate_lattice``
or ``utacbook.onsager_tc``.  Set ``NUMBA_CACHE_DIR`` before importing to choose
where compiled kernels are cached, and ``NUMBA_NUM_THREADS`` to choose the number of
threads of the parallel kernels (by default the CPUs this process may use: the affinity
mask and a container's CPU quota, which ``os.cpu_count()`` ignores).

Examples
--------
>>> import utacbook as ub
>>> round(ub.onsager_tc(), 6)
2.269185
"""

from ._threads import limit_numba_threads as _limit_numba_threads

_limit_numba_threads()  # no more Numba threads than usable CPUs (see utacbook._threads)

from . import claims, models, report, stats, stored, studies, theory, viz  # noqa: E402,F401
from .models import *  # noqa: E402,F401,F403
from .models import __all__ as _models_all  # noqa: E402
from .stats import *  # noqa: E402,F401,F403
from .stats import __all__ as _stats_all  # noqa: E402
from .theory import *  # noqa: E402,F401,F403
from .theory import __all__ as _theory_all  # noqa: E402

__version__ = "0.1.0"

__all__ = sorted(set(_models_all) | set(_theory_all) | set(_stats_all))
