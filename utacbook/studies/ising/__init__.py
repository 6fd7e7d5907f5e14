"""Study modules of Part II, the Ising lens (the Ising essay).

One per chapter, in the order of the chapters:

* :mod:`utacbook.studies.ising.engine` -- "The engine and its checks"
  (``book/ising/01_engine.ipynb``);
* :mod:`utacbook.studies.ising.phases` -- "Phase states on the lattice"
  (``book/ising/02_phases.ipynb``);
* :mod:`utacbook.studies.ising.coarse_graining` -- "Coarse-graining: from spins to dials"
  (``book/ising/03_coarse_graining.ipynb``);
* :mod:`utacbook.studies.ising.spin_glass` -- "Spin glasses and frustration"
  (``book/ising/04_spin_glass.ipynb``);
* :mod:`utacbook.studies.ising.echo_chambers` -- "Echo chambers on networks"
  (``book/ising/05_echo_chambers.ipynb``);
* :mod:`utacbook.studies.ising.hysteresis` -- "Hysteresis in polarisation"
  (``book/ising/06_hysteresis.ipynb``);
* :mod:`utacbook.studies.ising.hub_targeting` -- "Hub-targeted fields"
  (``book/ising/07_hub_targeting.ipynb``);
* :mod:`utacbook.studies.ising.early_warning` -- "Early-warning signals before a flip"
  (``book/ising/08_early_warning.ipynb``);
* :mod:`utacbook.studies.ising.learning` -- "Learning systems as Ising engines"
  (``book/ising/09_learning.ipynb``);
* :mod:`utacbook.studies.ising.limits` -- "Limits of the lens: Potts spins"
  (``book/ising/10_limits.ipynb``);
* :mod:`utacbook.studies.ising.large_lattices` -- "Exponents beyond L = 128: a stored sweep"
  (``book/ising/11_large_lattices.ipynb``);
* :mod:`utacbook.studies.ising.levers` -- "Levers against echo chambers"
  (``book/ising/12_levers.ipynb``);
* :mod:`utacbook.studies.ising.closed_loop` -- "The closed loop: calibrate, forecast, intervene"
  (``book/ising/13_closed_loop.ipynb``);
* :mod:`utacbook.studies.ising.xy` -- "Continuous spins: the XY model and the Kosterlitz–Thouless transition"
  (``book/ising/14_xy.ipynb``);
* :mod:`utacbook.studies.ising.sgd` -- "SGD as thermodynamics"
  (``book/ising/15_sgd.ipynb``);
* :mod:`utacbook.studies.ising.river_valley` -- "River valleys and dominoes"
  (``book/ising/16_river_valley.ipynb``);
* :mod:`utacbook.studies.ising.representations` -- "Representations: do different models converge, and on what?"
  (``book/ising/17_representations.ipynb``).
"""


def __getattr__(name):
    """Import a study module on first attribute access (``utacbook.studies.ising.<name>``)."""
    import importlib
    import pkgutil
    if name in {m.name for m in pkgutil.iter_modules(__path__)}:
        return importlib.import_module(f"{__name__}.{name}")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
