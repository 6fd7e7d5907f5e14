"""Statistics of Monte Carlo data and fits.

Autocorrelation-aware error bars (integrated autocorrelation time, binning,
jackknife), the logistic "emergent beta" fit and power-law fits,
block coarse-graining of lattices, Binder-cumulant crossings and the
agent model's critical coupling, finite-size scaling of grouped sweep data, significance tests for many comparisons,
the area of a hysteresis loop, the grid-free midpoint slope of a response curve, and the inverse Ising
problem (couplings and fields from samples by pseudolikelihood).
"""
from ._coarse import (
    block_moment_profile, block_variance_profile, coarse_grain, multi_scale_coarsening,
    variance_decomposition,
)
from ._criticality import (
    ISING_BINDER_CROSSING, ISING_ETA, LONG_RUN_K, binder_crossing, binder_from_samples,
    binder_from_moments, binder_scan, chi_exponent_at, critical_coupling, critical_coupling_study,
    order_parameter_moments, spot_check_critical_coupling, stored_susceptibility,
    susceptibility_by_size,
)
from ._curves import (
    loop_area,
)
from ._fitting import (
    extract_emergent_beta, logistic, power_law_fit, r_squared,
)
from ._fss import (
    group_jackknife, polynomial_crossing, scaling_collapse,
)
from ._inverse import (
    InverseIsingResult, L2Selection, fit_ising_plm, pseudo_loglikelihood, select_l2,
)
from ._mcstats import (
    BinningResult, autocorrelation, binder_cumulant, binning_error, fraction_error,
    integrated_autocorrelation_time, jackknife, mean_with_error, specific_heat, susceptibility,
)
from ._response import (
    MIDPOINT_RTOL, MidpointBetaResult, midpoint_beta,
)
from ._significance import (
    ALPHA_CHECK, ALPHA_TEST, consistency_stats, p_value_floor, sidak_k, z_measurements, z_stats,
)

__all__ = [
    'ALPHA_CHECK', 'ALPHA_TEST', 'BinningResult', 'ISING_BINDER_CROSSING', 'ISING_ETA',
    'LONG_RUN_K', 'MIDPOINT_RTOL', 'MidpointBetaResult', 'autocorrelation', 'binder_crossing', 'binder_cumulant',
    'binder_from_samples',
    'binder_from_moments', 'binder_scan', 'binning_error', 'block_moment_profile',
    'block_variance_profile', 'chi_exponent_at', 'coarse_grain', 'consistency_stats',
    'critical_coupling', 'critical_coupling_study', 'extract_emergent_beta', 'fit_ising_plm', 'fraction_error',
    'group_jackknife', 'InverseIsingResult', 'L2Selection', 'pseudo_loglikelihood', 'select_l2',
    'integrated_autocorrelation_time', 'jackknife', 'logistic', 'loop_area', 'mean_with_error', 'midpoint_beta',
    'multi_scale_coarsening', 'order_parameter_moments', 'p_value_floor', 'polynomial_crossing', 'power_law_fit',
    'r_squared', 'scaling_collapse', 'sidak_k', 'specific_heat', 'spot_check_critical_coupling',
    'stored_susceptibility', 'susceptibility', 'susceptibility_by_size', 'variance_decomposition',
    'z_measurements', 'z_stats',
]
