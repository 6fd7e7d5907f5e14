"""Study modules of Part I, the microscopic derivation of beta (the RG-Phase-2 guide).

One per chapter: :mod:`utacbook.studies.rg.beyond`, :mod:`utacbook.studies.rg.coarse_graining`, :mod:`utacbook.studies.rg.examples`, :mod:`utacbook.studies.rg.mean_field`, :mod:`utacbook.studies.rg.quickstart`, :mod:`utacbook.studies.rg.validation`.
"""
