"""Exact results and mean-field theory.

Exact Ising results (Onsager, Yang, Kaufman's finite torus, enumeration,
Curie-Weiss, the ring, network transition temperatures), the mean-field
theory of the guide's agent model, and the two-community (Weiss and Bethe)
theory of a polarised network.
"""
from ._exact import (
    MAX_ENUMERATION_L, MAX_ENUMERATION_SPINS, bethe_tc, curie_weiss, enumerate_graph,
    enumerate_lattice, infinite_lattice_energy, infinite_lattice_specific_heat, kaufman,
    kaufman_energy, kaufman_log_z, kaufman_specific_heat, mean_field_tc, onsager_tc, ring,
    square_lattice_couplings, yang_magnetization,
)
from ._mean_field import (
    GPRIME0, critical_coupling_ratio, logistic_normal_mean, logistic_normal_slope, mean_field_beta,
    mean_field_beta_scaled, mean_field_emergent_beta, mean_field_fixed_points, mean_field_midpoint,
    mean_field_response, mean_field_s_curve, mean_field_scan_response, mean_field_spinodals,
    probit_approximation, single_site_response,
)
from ._mean_field import (  # the chapter rg-what-beta-measures
    CompatibleSet, PinnedCouplings, compatible_couplings, mean_field_compatible_couplings,
    mean_field_quartile_width, mean_field_rule_error, mean_field_rule_roots, pin_couplings,
    pin_couplings_by_width,
)
from ._two_community import (
    polarised_stability, two_block_fixed_point, two_block_hessian, two_block_solution,
)

__all__ = [
    'GPRIME0', 'MAX_ENUMERATION_L', 'MAX_ENUMERATION_SPINS', 'bethe_tc', 'critical_coupling_ratio',
    'curie_weiss', 'enumerate_graph', 'enumerate_lattice', 'infinite_lattice_energy',
    'infinite_lattice_specific_heat', 'kaufman', 'kaufman_energy', 'kaufman_log_z',
    'kaufman_specific_heat', 'logistic_normal_mean', 'logistic_normal_slope', 'mean_field_beta',
    'mean_field_beta_scaled', 'mean_field_emergent_beta', 'mean_field_fixed_points',
    'mean_field_midpoint', 'mean_field_response', 'mean_field_s_curve', 'mean_field_scan_response',
    'mean_field_spinodals', 'mean_field_tc', 'onsager_tc', 'polarised_stability',
    'probit_approximation', 'ring', 'single_site_response', 'square_lattice_couplings',
    'two_block_fixed_point', 'two_block_hessian', 'two_block_solution', 'yang_magnetization',
    'CompatibleSet', 'PinnedCouplings', 'compatible_couplings', 'mean_field_compatible_couplings',
    'mean_field_quartile_width', 'mean_field_rule_error', 'mean_field_rule_roots', 'pin_couplings',
    'pin_couplings_by_width',
]
