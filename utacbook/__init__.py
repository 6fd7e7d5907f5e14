"""utacbook: kernels, models and fits for the utacbook research book.

The package is organised like the book:

* :mod:`utacbook.abm` -- the RG Phase 2 agent model (``ABMParams``,
  ``MicroscopicABM``, ``EmergentBetaSimulator``, ...), faithful to the guide;
* :mod:`utacbook.theory` -- its mean-field theory;
* :mod:`utacbook.fitting` -- the logistic "emergent beta" fit;
* :mod:`utacbook.coarse` -- block-average coarse-graining;
* :mod:`utacbook.ising` -- the Ising engine on the square lattice
  (Metropolis, heat-bath, Wolff) and on any graph (``simulate_graph``:
  weighted couplings of either sign, per-node fields, field ramps), with :mod:`utacbook.mcstats` for
  autocorrelation-aware error bars;
* :mod:`utacbook.exact` -- exact Ising results (Onsager, Yang, Kaufman's finite
  torus, enumeration, Curie-Weiss, the ring, network T_c estimates);
* :mod:`utacbook.claims` -- the texts' claims with criteria fixed before the
  measurement and computed verdicts; :mod:`utacbook.report` -- numbers for the
  prose (``glue``, ``value ± err``); :mod:`utacbook.stored` -- results too slow
  for a chapter, stored in ``book/data`` with their provenance;
* :mod:`utacbook.plotting`, :mod:`utacbook.widgets` -- figures and live
  explorations for the chapters;
* one study module per chapter that needs one: :mod:`utacbook.beta_grid`
  (mean field against simulation), :mod:`utacbook.criticality` (Binder
  crossings), :mod:`utacbook.validation` (the six-system table),
  :mod:`utacbook.troubleshooting` (the guide's advice), :mod:`utacbook.studies`
  (finite size, update order, hysteresis);
* Part II (the Ising essay): :mod:`utacbook.engine_checks` (the engine
  against exact results), :mod:`utacbook.phases` (phases, critical
  slowing down, finite-size scaling), :mod:`utacbook.blockspin`
  (majority-rule renormalisation, domains), :mod:`utacbook.spinglass`
  (±J model, frustration, annealing, overlaps), :mod:`utacbook.networks`
  and :mod:`utacbook.social` (echo chambers, hysteresis, hub targeting),
  :mod:`utacbook.ews` (early-warning indicators), :mod:`utacbook.learning`
  (SGD as thermodynamics, Hopfield networks), :mod:`utacbook.potts`
  (the q-state Potts model);
* Part III (the multiscale text): :mod:`utacbook.multiscale` (micro/meso/macro
  model, scale coupling, scale separation) and :mod:`utacbook.government`
  (policies and the single-scale simulation), :mod:`utacbook.integrated`
  (cross-scale analysis, scale transitions, policy impact across scales,
  single- versus multiscale comparison).

Set ``NUMBA_CACHE_DIR`` before importing to choose where compiled kernels
are cached.
"""

from .abm import (ABMParams, EmergentBetaSimulator, MicroscopicABM, adaptive_scan, hysteresis_loop,
                  microscopic_to_beta_map, scan_field)
from .coarse import (block_variance_profile, coarse_grain, multi_scale_coarsening,
                     variance_decomposition)
from .fitting import extract_emergent_beta, logistic
from .theory import (mean_field_beta, mean_field_emergent_beta, mean_field_fixed_points,
                     mean_field_midpoint, mean_field_response, mean_field_spinodals,
                     single_site_response)

# submodules, so that ``import utacbook as ub`` gives ub.plotting, ub.validation, ...
from . import (abm, beta_grid, claims, coarse, criticality, exact, fitting, ising, mcstats,  # noqa: F401
               plotting, report, stored, studies, theory, troubleshooting, validation, widgets)
# Part II study modules (the Ising essay)
from . import (blockspin, engine_checks, ews, learning, networks, phases, potts,  # noqa: F401
               social, spinglass)
# Part III: the multiscale government simulation
from . import government, integrated, ms_studies_model, ms_studies_policy, multiscale  # noqa: F401

__version__ = "0.1.0"

__all__ = [
    "ABMParams", "MicroscopicABM", "EmergentBetaSimulator", "scan_field", "hysteresis_loop",
    "adaptive_scan",
    "microscopic_to_beta_map", "coarse_grain", "multi_scale_coarsening",
    "variance_decomposition", "block_variance_profile", "extract_emergent_beta", "logistic",
    "mean_field_beta", "mean_field_emergent_beta", "mean_field_fixed_points",
    "mean_field_midpoint", "mean_field_response", "mean_field_spinodals",
    "single_site_response",
]
