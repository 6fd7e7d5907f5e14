"""Study modules of Part II, the Ising lens (the Ising essay).

One per chapter: :mod:`utacbook.studies.ising.coarse_graining`, :mod:`utacbook.studies.ising.early_warning`, :mod:`utacbook.studies.ising.echo_chambers`, :mod:`utacbook.studies.ising.engine`, :mod:`utacbook.studies.ising.hub_targeting`, :mod:`utacbook.studies.ising.hysteresis`, :mod:`utacbook.studies.ising.learning`, :mod:`utacbook.studies.ising.limits`, :mod:`utacbook.studies.ising.phases`, :mod:`utacbook.studies.ising.spin_glass`.
"""
