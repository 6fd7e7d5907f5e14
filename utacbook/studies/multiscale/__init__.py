"""Study modules of Part III, micro, meso and macro (the multiscale text).

One per chapter, in the order of the chapters:

* :mod:`utacbook.studies.multiscale.model` -- "A micro, meso and macro model of a population"
  (``book/multiscale/01_model.ipynb``);
* :mod:`utacbook.studies.multiscale.policies` -- "Policies across scales"
  (``book/multiscale/02_policies.ipynb``).
"""
