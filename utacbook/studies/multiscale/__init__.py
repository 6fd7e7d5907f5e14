"""Study modules of Part III, micro, meso and macro (the multiscale text).

One per chapter, in the order of the chapters:

* :mod:`utacbook.studies.multiscale.model` -- "A micro, meso and macro model of a population"
  (``book/multiscale/01_model.ipynb``);
* :mod:`utacbook.studies.multiscale.policies` -- "Policies across scales"
  (``book/multiscale/02_policies.ipynb``);
* :mod:`utacbook.studies.multiscale.as_written` -- "The text's examples as written"
  (``book/multiscale/03_as_written.ipynb``);
* :mod:`utacbook.studies.multiscale.interacting` -- "Scales that interact"
  (``book/multiscale/04_interacting.ipynb``).
"""


def __getattr__(name):
    """Import a study module on first attribute access (``utacbook.studies.multiscale.<name>``)."""
    import importlib
    import pkgutil
    if name in {m.name for m in pkgutil.iter_modules(__path__)}:
        return importlib.import_module(f"{__name__}.{name}")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
