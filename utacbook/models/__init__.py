"""Models and simulation engines.

The agent model of the RG-Phase-2 guide (``ABMParams``, ``MicroscopicABM``,
``EmergentBetaSimulator``, field scans; ``scan_field_extended`` for its long-range
and disordered variants), the Ising engine on the square
lattice and on any graph, the q-state Potts model, the XY model (continuous spins), the graph generators and
network scans of the social chapters, and the multiscale government models
of the multiscale text (``GovernmentMultiscaleModel``,
``GovernmentSimulation``, ``IntegratedGovernmentModel``) and the model whose scales
interact (``CoupledGovernmentModel``).

Every stochastic entry point takes keyword parameters and a ``seed``; the
Numba kernels behind them live in the private ``utacbook._kernels`` package.
"""
from ._abm import (
    EMERGENT_BETA_KEYS, MAX_FIELD_OVER_T, ABMParams, AdaptiveScanResult, EmergentBetaResult, EmergentBetaSimulator,
    HysteresisResult, MicroscopicABM, ScanResult, UPDATE_RULES, adaptive_scan, hysteresis_loop,
    microscopic_to_beta_map, scan_field,
)
from ._abm_variants import quenched_samples, scan_field_extended
from ._coupled import COUPLED_DEFAULTS, UNCOUPLED, CoupledGovernmentModel, community_graph_csr
from ._government import (
    GovernmentSimulation, POLICY_SCALES, Policy, create_example_policies,
)
from ._integrated import (
    COMMUNITY_VARIANCE_THRESHOLD, HEADLINE, HETEROGENEITY_SE, IntegratedGovernmentModel,
    compare_single_vs_multiscale, cross_scale_statistics, scale_transitions,
)
from ._ising import (
    GRAPH_ALGORITHMS, GraphResult, IsingGraph, IsingResult, LATTICE_ALGORITHMS, prepare_graph,
    simulate_graph, simulate_lattice,
)
from ._multiscale import (
    AgentRecord, AgentView, History, GovernmentMultiscaleModel, MultiscaleModel, ScaleLevel, ScaleState,
    analyze_scale_separation, gini,
)
from ._networks import (
    adjacency, ba_moment_scan, barabasi_albert, block_labels, degree_moments, erdos_renyi,
    lattice_graph, modularity, network_tc_scan, random_regular, sbm, sbm_probabilities,
)
from ._potts import (
    PottsResult, Q_MAX, enumerate_potts, latent_heat, potts_tc, simulate_potts,
    simulate_potts_wolff, transition_energies,
)
from ._xy import T_KT_XY, XY_ALGORITHMS, XYResult, simulate_xy, simulate_xy_graph

__all__ = [
    'ABMParams', 'AdaptiveScanResult', 'AgentRecord', 'AgentView', 'COMMUNITY_VARIANCE_THRESHOLD', 'COUPLED_DEFAULTS',
    'CoupledGovernmentModel', 'EMERGENT_BETA_KEYS',
    'EmergentBetaResult', 'EmergentBetaSimulator', 'GRAPH_ALGORITHMS', 'GovernmentMultiscaleModel',
    'GovernmentSimulation', 'GraphResult', 'HEADLINE', 'HETEROGENEITY_SE', 'History', 'HysteresisResult',
    'IntegratedGovernmentModel', 'IsingGraph', 'IsingResult', 'LATTICE_ALGORITHMS', 'MAX_FIELD_OVER_T',
    'MicroscopicABM', 'MultiscaleModel', 'POLICY_SCALES', 'Policy', 'PottsResult', 'Q_MAX', 'ScaleLevel',
    'ScaleState', 'ScanResult', 'UNCOUPLED', 'UPDATE_RULES', 'adaptive_scan', 'adjacency', 'analyze_scale_separation',
    'ba_moment_scan', 'barabasi_albert', 'block_labels', 'compare_single_vs_multiscale',
    'community_graph_csr', 'create_example_policies', 'cross_scale_statistics', 'degree_moments', 'enumerate_potts',
    'erdos_renyi', 'gini', 'hysteresis_loop', 'latent_heat', 'lattice_graph', 'microscopic_to_beta_map', 'modularity',
    'network_tc_scan', 'potts_tc', 'prepare_graph', 'random_regular', 'sbm', 'sbm_probabilities',
    'quenched_samples', 'scale_transitions', 'scan_field',
    'scan_field_extended', 'simulate_graph', 'simulate_lattice', 'simulate_potts',
    'simulate_potts_wolff', 'transition_energies',
    'T_KT_XY', 'XYResult', 'XY_ALGORITHMS', 'simulate_xy', 'simulate_xy_graph',
]
