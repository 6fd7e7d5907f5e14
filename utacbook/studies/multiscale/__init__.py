"""Study modules of Part III, micro, meso and macro (the multiscale text).

One per chapter: :mod:`utacbook.studies.multiscale.model`, :mod:`utacbook.studies.multiscale.policies`.
"""
