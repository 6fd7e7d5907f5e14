"""Study modules of Part I, the microscopic derivation of beta (the RG-Phase-2 guide).

One per chapter, in the order of the chapters:

* :mod:`utacbook.studies.rg.quickstart` -- "The model and the quick start"
  (``book/rg/01_quickstart.ipynb``);
* :mod:`utacbook.studies.rg.mean_field` -- "Mean-field theory of the emergent β"
  (``book/rg/02_mean_field.ipynb``);
* :mod:`utacbook.studies.rg.coarse_graining` -- "Coarse-graining"
  (``book/rg/03_coarse_graining.ipynb``);
* :mod:`utacbook.studies.rg.validation` -- "The six-system validation table"
  (``book/rg/04_validation.ipynb``);
* :mod:`utacbook.studies.rg.examples` -- "The guide's examples and troubleshooting advice"
  (``book/rg/05_examples.ipynb``);
* :mod:`utacbook.studies.rg.beyond` -- "Beyond the guide" (``book/rg/06_beyond.ipynb``);
* :mod:`utacbook.studies.rg.universality` -- "Universality: is the guide's model an Ising model?"
  (``book/rg/07_universality.ipynb``);
* :mod:`utacbook.studies.rg.equilibration` -- "Equilibration map: where are 100 sweeps enough?"
  (``book/rg/08_equilibration.ipynb``);
* :mod:`utacbook.studies.rg.what_beta_measures` -- "What the emergent β measures"
  (``book/rg/09_what_beta_measures.ipynb``);
* :mod:`utacbook.studies.rg.robust_beta` -- "A grid-independent emergent β"
  (``book/rg/10_robust_beta.ipynb``);
* :mod:`utacbook.studies.rg.long_range` -- "Long-range coupling: where mean field becomes exact"
  (``book/rg/11_long_range.ipynb``);
* :mod:`utacbook.studies.rg.disorder` -- "Heterogeneous agents: when disorder rounds the jump"
  (``book/rg/12_disorder.ipynb``).
"""


def __getattr__(name):
    """Import a study module on first attribute access (``utacbook.studies.rg.<name>``)."""
    import importlib
    import pkgutil
    if name in {m.name for m in pkgutil.iter_modules(__path__)}:
        return importlib.import_module(f"{__name__}.{name}")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
