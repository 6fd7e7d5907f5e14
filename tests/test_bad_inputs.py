"""No silent garbage (issue 12): bad inputs to the public API of utacbook.theory, utacbook.stats
and the network, multiscale, government and integrated models.

Every row of :data:`BAD` is ``(callable, kwargs, exception, match)``: calling
``callable(**kwargs)`` must raise ``exception`` with a message matching
``match`` (the name of the offending parameter or attribute).  Rows that need
positional arguments or an object wrap the call in a small function.  The
agent model and the Ising/Potts engines have their own tables elsewhere.

:data:`DEGENERATE` holds degenerate inputs with a well-defined answer (stated
in the docstring of the function), checked against that answer.
"""

import itertools
import math

import networkx as nx
import numpy as np
import pytest

from utacbook import models as md
from utacbook import stats as st
from utacbook import theory as th
from utacbook.models import ScaleLevel

NAN, INF = float("nan"), float("inf")
X100 = np.sin(np.arange(100) * 0.3)          # a harmless time series


# --------------------------------------------------------------------------- fixtures

def _path(n=3):
    return nx.path_graph(n)


def _digraph():
    return nx.DiGraph([(0, 1), (1, 2), (2, 0)])


def _selfloop():
    g = nx.cycle_graph(4)
    g.add_edge(0, 0)
    return g


def _ms(n=50, c=5, **kw):
    return md.GovernmentMultiscaleModel(n, c, seed=0, **kw)


def _base(n=50, c=5):
    return md.MultiscaleModel(n, c, seed=0)


def _pol(name="p", scale="national", **effects):
    return md.Policy(name, scale, cost=0.5, effects=effects or {"satisfaction": 0.1})


def _stored():
    """A minimal stand-in for the stored long Binder run."""
    K = [5.3, 5.4, 5.5]
    return {"K": K, "K_fss": 5.4, "lattice_sizes": [8, 16], "n_replicas": 2, "T": 0.2,
            "n_sweeps": [40, 40], "n_burn": [8, 8], "update": "sequential", "seed": 1,
            "chi_exponent": [1.0, 1.5, 1.8], "chi_exponent_err": [0.1, 0.1, 0.1],
            "m2_rep": [np.ones((2, 3)), np.ones((2, 3))], "m4_rep": [np.ones((2, 3))] * 2,
            "burnin_z": [[0.0] * 3, [0.0] * 3]}


def method(factory, name):
    """``f(**kw)`` = ``getattr(factory(), name)(**kw)`` (a fresh object per call)."""
    def call(**kw):
        return getattr(factory(), name)(**kw)
    call.__name__ = f"{getattr(factory, '__name__', 'obj')}().{name}"
    return call


def positional(fn, *args):
    """``f(**kw)`` = ``fn(*args, **kw)``."""
    def call(**kw):
        return fn(*args, **kw)
    call.__name__ = fn.__name__
    return call


def mutated(factory, mutate, then="step"):
    """Build an object, corrupt it with ``mutate(obj)``, then call ``obj.<then>()``."""
    def call(**kw):
        obj = factory()
        mutate(obj)
        return getattr(obj, then)(**kw)
    call.__name__ = f"mutated-{then}"
    return call


def _set(attr, value):
    def mutate(obj):
        setattr(obj, attr, value)
    return mutate


def _setitem(attr, key, value):
    def mutate(obj):
        getattr(obj, attr)[key] = value
    return mutate


def _fill_satisfaction(value):
    def mutate(obj):
        obj.agents["satisfaction"][3] = value
    return mutate


def _run_then(fn):
    """A fresh integrated model after a 5-step run, then ``fn(model, **kw)``."""
    def call(**kw):
        m = md.IntegratedGovernmentModel(60, 4, 5, seed=0)
        m.run()
        return fn(m, **kw)
    call.__name__ = fn.__name__
    return call


def _apply_then_mutate(**kw):
    m = _ms()
    p = _pol("first")
    m.apply_policy(p)
    p.effects["satisfaction"] = NAN          # corrupted after it was validated
    return m.apply_policy(_pol("second"), **kw)


def _mutated_policy_cost(**kw):
    p = _pol()
    p.cost = -1.0
    return _ms().apply_policy(p, **kw)


def _mutated_policy_scale(**kw):
    p = _pol()
    p.scale = "galactic"
    return _ms().apply_policy(p, **kw)


def _twice(**kw):
    m = _ms()
    m.apply_policy(_pol())
    return m.apply_policy(_pol(), **kw)


def _huge_history(**kw):
    return md.IntegratedGovernmentModel(50, 5, 10 ** 13, seed=0).run(**kw)


def _jack(func, *series, **kw):
    return st.jackknife(func, *series, **kw)


R5 = np.linspace(-1.0, 1.0, 5)
S5 = np.array([0.05, 0.2, 0.5, 0.8, 0.95])


_COUNT = itertools.count()


def P(fn, exc, match, **kwargs):
    """One bad input: ``fn(**kwargs)`` raises ``exc`` matching ``match``."""
    name = getattr(fn, "__name__", "call")
    return pytest.param(fn, kwargs, exc, match, id=f"{next(_COUNT):03d}-{name}-{match}")


def _rows(*rows):
    return list(rows)


BAD = []
_add = BAD.extend

# --------------------------------------------------------------------------- theory: exact
_add(_rows(
    P(th.onsager_tc, TypeError, "J", J="1"),
    P(th.onsager_tc, TypeError, "J", J=None),
    P(th.onsager_tc, TypeError, "J", J=1 + 2j),
    P(th.onsager_tc, TypeError, "J", J=[1.0]),
    P(th.onsager_tc, ValueError, "J", J=0.0),
    P(th.onsager_tc, ValueError, "J", J=-1.0),
    P(th.onsager_tc, ValueError, "J", J=NAN),
    P(th.yang_magnetization, ValueError, "T", T=0.0),
    P(th.yang_magnetization, ValueError, "T", T=-1.0),
    P(th.yang_magnetization, ValueError, "T", T=NAN),
    P(th.yang_magnetization, ValueError, "T", T=[]),
    P(th.yang_magnetization, ValueError, "T", T=[1.0, INF]),
    P(th.yang_magnetization, ValueError, "T", T=[1.0, -1.0]),
    P(th.yang_magnetization, TypeError, "T", T="a"),
    P(th.yang_magnetization, TypeError, "T", T=1 + 1j),
    P(th.yang_magnetization, TypeError, "T", T=[[1, "a"]]),
    P(th.yang_magnetization, ValueError, "J", T=1.0, J=INF),
    P(th.infinite_lattice_energy, TypeError, "T", T=None),
    P(th.infinite_lattice_energy, ValueError, "J", T=2.0, J=0),
    P(th.infinite_lattice_specific_heat, ValueError, "T", T=np.array([1.0, NAN])),
    P(th.infinite_lattice_specific_heat, ValueError, "T", T=-2.0),
    P(th.kaufman, ValueError, "L", L=1, T=2.0),
    P(th.kaufman, TypeError, "L", L=2.5, T=2.0),
    P(th.kaufman, TypeError, "L", L="4", T=2.0),
    P(th.kaufman, TypeError, "L", L=True, T=2.0),
    P(th.kaufman, ValueError, "T", L=4, T=0.0),
    P(th.kaufman, ValueError, "M", L=4, T=2.0, M=1),
    P(th.kaufman, ValueError, "J", L=4, T=2.0, J=-1.0),
    P(th.kaufman, MemoryError, "L", L=10 ** 15, T=2.0),
    P(th.kaufman_log_z, ValueError, "T", L=4, T=NAN),
    P(th.kaufman_energy, ValueError, "L", L=-4, T=2.0),
    P(th.kaufman_specific_heat, TypeError, "M", L=4, T=2.0, M=0.5),
    P(th.enumerate_graph, ValueError, "adjacency", adjacency=np.zeros((0, 0)), T=1.0),
    P(th.enumerate_graph, ValueError, "adjacency", adjacency=np.ones((2, 3)), T=1.0),
    P(th.enumerate_graph, ValueError, "adjacency", adjacency=[[0, 1], [2, 0]], T=1.0),
    P(th.enumerate_graph, ValueError, "adjacency", adjacency=[[1, 1], [1, 0]], T=1.0),
    P(th.enumerate_graph, ValueError, "adjacency", adjacency=_digraph(), T=1.0),
    P(th.enumerate_graph, ValueError, "adjacency", adjacency=_selfloop(), T=1.0),
    P(th.enumerate_graph, ValueError, "adjacency", adjacency=nx.Graph(), T=1.0),
    P(th.enumerate_graph, ValueError, "adjacency", adjacency=np.zeros((21, 21)), T=1.0),
    P(th.enumerate_graph, ValueError, "adjacency", adjacency=[[0, NAN], [NAN, 0]], T=1.0),
    P(th.enumerate_graph, ValueError, "adjacency", adjacency=np.zeros(3), T=1.0),
    P(th.enumerate_graph, TypeError, "adjacency", adjacency="abc", T=1.0),
    P(th.enumerate_graph, ValueError, "adjacency", adjacency=None, T=1.0),
    P(th.enumerate_graph, ValueError, "h", adjacency=_path(), T=1.0, h=[1.0, 2.0]),
    P(th.enumerate_graph, ValueError, "h", adjacency=_path(), T=1.0, h=NAN),
    P(th.enumerate_graph, ValueError, "T", adjacency=_path(), T=[]),
    P(th.square_lattice_couplings, ValueError, "L", L=1),
    P(th.square_lattice_couplings, ValueError, "J", L=3, J=NAN),
    P(th.enumerate_lattice, ValueError, "L", L=5, T=1.0),
    P(th.enumerate_lattice, TypeError, "L", L=3.0, T=1.0),
    P(th.enumerate_lattice, TypeError, "h", L=3, T=1.0, h="a"),
    P(th.curie_weiss, ValueError, "N", N=0, T=1.0),
    P(th.curie_weiss, ValueError, "N", N=np.int64(-3), T=1.0),
    P(th.curie_weiss, ValueError, "T", N=10, T=0.0),
    P(th.curie_weiss, ValueError, "J", N=10, T=1.0, J=INF),
    P(th.curie_weiss, TypeError, "h", N=10, T=1.0, h=None),
    P(th.curie_weiss, MemoryError, "N", N=10 ** 16, T=1.0),
    P(th.ring, ValueError, "N", N=1, T=1.0),
    P(th.ring, TypeError, "N", N="5", T=1.0),
    P(th.ring, ValueError, "T", N=10, T=-1.0),
    P(th.ring, ValueError, "T", N=10, T=1e-3),
    P(th.ring, ValueError, "J", N=10, T=1.0, J=NAN),
    P(th.mean_field_tc, ValueError, "degrees_or_graph", degrees_or_graph=[]),
    P(th.mean_field_tc, ValueError, "degrees_or_graph", degrees_or_graph=[0, 0, 0]),
    P(th.mean_field_tc, ValueError, "degrees_or_graph", degrees_or_graph=[-1, 2]),
    P(th.mean_field_tc, TypeError, "degrees_or_graph", degrees_or_graph=5),
    P(th.mean_field_tc, TypeError, "degrees_or_graph", degrees_or_graph=["a", "b"]),
    P(th.mean_field_tc, ValueError, "degrees_or_graph", degrees_or_graph=_digraph()),
    P(th.mean_field_tc, ValueError, "degrees_or_graph", degrees_or_graph=nx.Graph()),
    P(th.mean_field_tc, ValueError, "degrees_or_graph", degrees_or_graph=nx.empty_graph(5)),
    P(th.mean_field_tc, ValueError, "J", degrees_or_graph=_path(), J=0.0),
    P(th.bethe_tc, ValueError, "degrees_or_graph", degrees_or_graph=[[3, 3], [3, 3]]),
    P(th.bethe_tc, TypeError, "degrees_or_graph", degrees_or_graph=None),
    P(th.bethe_tc, ValueError, "degrees_or_graph", degrees_or_graph=[NAN, 3]),
    P(th.bethe_tc, ValueError, "degrees_or_graph", degrees_or_graph=_selfloop()),
))

# --------------------------------------------------------------------------- theory: mean field
_add(_rows(
    P(th.logistic_normal_mean, ValueError, "x", x=NAN),
    P(th.logistic_normal_mean, ValueError, "x", x=[1.0, INF]),
    P(th.logistic_normal_mean, TypeError, "x", x="a"),
    P(th.logistic_normal_slope, ValueError, "x", x=None),
    P(th.logistic_normal_slope, ValueError, "x", x=[NAN]),
    P(th.single_site_response, ValueError, "T", h=1.0, T=0.0),
    P(th.single_site_response, TypeError, "h", h="a", T=1.0),
    P(th.single_site_response, ValueError, "h", h=[NAN], T=1.0),
    P(th.mean_field_midpoint, TypeError, "J", J=None),
    P(th.mean_field_beta, ValueError, "T", J=1.0, T=0.0),
    P(th.mean_field_beta, ValueError, "J", J=NAN, T=1.0),
    P(th.mean_field_beta, TypeError, "T", J=1.0, T="1"),
    P(th.mean_field_fixed_points, ValueError, "grid", J=1.0, h=0.0, T=1.0, grid=1),
    P(th.mean_field_fixed_points, TypeError, "grid", J=1.0, h=0.0, T=1.0, grid=2.5),
    P(th.mean_field_fixed_points, ValueError, "h", J=1.0, h=INF, T=1.0),
    P(th.mean_field_response, ValueError, "h_values", h_values=[0.0, NAN], J=1.0, T=1.0),
    P(th.mean_field_response, ValueError, "h_values", h_values=[[0.0]], J=1.0, T=1.0),
    P(th.mean_field_response, ValueError, "m0", h_values=[0.0], J=1.0, T=1.0, m0=1.5),
    P(th.mean_field_response, ValueError, "branch", h_values=[0.0], J=1.0, T=1.0, branch="middle"),
    P(th.mean_field_response, ValueError, "branch", h_values=[0.0], J=1.0, T=1.0, branch=None),
    P(th.mean_field_spinodals, ValueError, "T", J=1.0, T=-1.0),
    P(th.mean_field_emergent_beta, ValueError, "R_min", J=1.0, T=1.0, R_min=1.0, R_max=1.0),
    P(th.mean_field_emergent_beta, ValueError, "n_points", J=1.0, T=1.0, n_points=2),
    P(th.mean_field_emergent_beta, ValueError, "R_min", J=1.0, T=1.0, R_min=NAN),
    P(th.probit_approximation, TypeError, "x", x="a"),
    P(th.probit_approximation, ValueError, "x", x=NAN),
    P(th.mean_field_beta_scaled, ValueError, "ratio", ratio=NAN),
    P(th.mean_field_beta_scaled, TypeError, "ratio", ratio="a"),
    P(th.mean_field_scan_response, ValueError, "J", h_values=0.0, J=-1.0, T=1.0),
    P(th.mean_field_scan_response, ValueError, "T", h_values=0.0, J=1.0, T=0.0),
    P(th.mean_field_scan_response, ValueError, "h_values", h_values=[0.0, 1.0], J=[1.0, 2.0, 3.0], T=1.0),
    P(th.mean_field_scan_response, ValueError, "n_iter", h_values=0.0, J=1.0, T=1.0, n_iter=0),
    P(th.mean_field_s_curve, ValueError, "x_max", J=1.0, T=1.0, x_max=0.0),
    P(th.mean_field_s_curve, ValueError, "x_max", J=1.0, T=1.0, x_max=INF),
    P(th.mean_field_s_curve, ValueError, "n", J=1.0, T=1.0, n=1),
))

# --------------------------------------------------------------------------- theory: two communities
_add(_rows(
    P(th.two_block_solution, ValueError, "T", T=0.0),
    P(th.two_block_solution, ValueError, "k_in", T=1.0, k_in=0.0),
    P(th.two_block_solution, ValueError, "k_out", T=1.0, k_out=NAN),
    P(th.two_block_solution, ValueError, "J", T=1.0, J=-1.0),
    P(th.two_block_solution, ValueError, "kind", T=1.0, kind="both"),
    P(th.two_block_solution, ValueError, "method", T=1.0, method="exact"),
    P(th.two_block_fixed_point, ValueError, "m0", T=1.0, m0=(2.0, 0.0)),
    P(th.two_block_fixed_point, ValueError, "m0", T=1.0, m0=(1.0, 0.0, 0.0)),
    P(th.two_block_fixed_point, TypeError, "m0", T=1.0, m0="ab"),
    P(th.two_block_fixed_point, ValueError, "damping", T=1.0, damping=0.0),
    P(th.two_block_fixed_point, ValueError, "damping", T=1.0, damping=1.5),
    P(th.two_block_fixed_point, ValueError, "tol", T=1.0, tol=-1.0),
    P(th.two_block_fixed_point, ValueError, "max_iter", T=1.0, max_iter=0),
    P(th.two_block_hessian, ValueError, "m_a", m_a=1.0, m_b=0.0, T=1.0),
    P(th.two_block_hessian, ValueError, "m_b", m_a=0.0, m_b=2.0, T=1.0),
    P(th.two_block_hessian, ValueError, "m_a", m_a=NAN, m_b=0.0, T=1.0),
    P(th.polarised_stability, ValueError, "T", T=-1.0),
    P(th.polarised_stability, ValueError, "method", T=1.0, method="x"),
    P(th.polarised_stability, TypeError, "k_in", T=1.0, k_in="7"),
))

# --------------------------------------------------------------------------- stats: Monte Carlo errors
_add(_rows(
    P(st.autocorrelation, ValueError, "x", x=[]),
    P(st.autocorrelation, ValueError, "x", x=[1.0]),
    P(st.autocorrelation, ValueError, "x", x=[[1.0, 2.0], [3.0, 4.0]]),
    P(st.autocorrelation, ValueError, "x", x=[1.0, NAN, 2.0]),
    P(st.autocorrelation, TypeError, "x", x="abc"),
    P(st.autocorrelation, ValueError, "x", x=None),
    P(st.integrated_autocorrelation_time, ValueError, "c", x=X100, c=0.0),
    P(st.integrated_autocorrelation_time, ValueError, "c", x=X100, c=NAN),
    P(st.integrated_autocorrelation_time, ValueError, "x", x=[INF, 1.0, 2.0]),
    P(st.binning_error, ValueError, "x", x=[1.0]),
    P(st.binning_error, ValueError, "min_blocks", x=X100, min_blocks=1),
    P(st.binning_error, TypeError, "min_blocks", x=X100, min_blocks=2.0),
    P(st.mean_with_error, ValueError, "x", x=[1.0, 2.0, NAN]),
    P(st.mean_with_error, ValueError, "c", x=X100, c=-1.0),
    P(positional(_jack, None, X100), TypeError, "func"),
    P(positional(_jack, np.mean), ValueError, "series"),
    P(positional(_jack, np.add, X100, X100[:50]), ValueError, "series"),
    P(positional(_jack, np.mean, X100), ValueError, "n_bins", n_bins=1),
    P(positional(_jack, np.mean, X100), ValueError, "n_bins", n_bins=1000),
    P(positional(_jack, np.mean, [1.0, NAN, 2.0]), ValueError, r"series\[0\]"),
    P(st.susceptibility, ValueError, "T", m=X100, T=0.0, N=10),
    P(st.susceptibility, ValueError, "N", m=X100, T=1.0, N=0),
    P(st.susceptibility, TypeError, "N", m=X100, T=1.0, N=10.5),
    P(st.specific_heat, ValueError, "e", e=[NAN] * 10, T=1.0, N=10),
    P(st.specific_heat, ValueError, "T", e=X100, T=INF, N=10),
    P(st.binder_cumulant, ValueError, "m", m=[1.0]),
    P(st.fraction_error, ValueError, "k", k=-1, n=10),
    P(st.fraction_error, ValueError, "k", k=11, n=10),
    P(st.fraction_error, ValueError, "n", k=1, n=NAN),
    P(st.fraction_error, TypeError, "k", k="a", n=10),
))

# --------------------------------------------------------------------------- stats: fits
_add(_rows(
    P(st.logistic, ValueError, "beta", R=[0.0, 1.0], beta=NAN, theta=0.0),
    P(st.logistic, TypeError, "R", R="a", beta=1.0, theta=0.0),
    P(st.logistic, ValueError, "R", R=[0.0, INF], beta=1.0, theta=0.0),
    P(st.logistic, TypeError, "theta", R=0.0, beta=1.0, theta=None),
    P(st.r_squared, ValueError, "y_model", y=[1.0, 2.0, 3.0], y_model=[1.0, 2.0]),
    P(st.r_squared, ValueError, "y", y=[1.0, NAN, 3.0], y_model=[1.0, 2.0, 3.0]),
    P(st.r_squared, ValueError, "y", y=[], y_model=[]),
    P(st.extract_emergent_beta, ValueError, "R_values", R_values=[0.0, 1.0], sigma_values=[0.0, 1.0]),
    P(st.extract_emergent_beta, ValueError, "sigma_values", R_values=[0.0, 1.0, 2.0], sigma_values=[0.0, 1.0]),
    P(st.extract_emergent_beta, ValueError, "R_values", R_values=[1.0, 1.0, 1.0], sigma_values=[0.0, 0.5, 1.0]),
    P(st.extract_emergent_beta, ValueError, "R_values", R_values=[[0.0, 1.0, 2.0]], sigma_values=[[0, 0.5, 1]]),
    P(st.extract_emergent_beta, ValueError, "sigma_values", R_values=R5, sigma_values=[0.1, NAN, 0.5, 0.7, 0.9]),
    P(st.extract_emergent_beta, ValueError, "theta", R_values=R5, sigma_values=S5, theta=NAN),
    P(st.extract_emergent_beta, ValueError, "beta_max", R_values=R5, sigma_values=S5, beta_max=0.0),
    P(st.extract_emergent_beta, ValueError, "sigma_err", R_values=R5, sigma_values=S5, sigma_err=[0, .1, .1, .1, .1]),
    P(st.extract_emergent_beta, ValueError, "sigma_err", R_values=R5, sigma_values=S5, sigma_err=[0.1, 0.1]),
    P(st.extract_emergent_beta, TypeError, "flat_tol", R_values=R5, sigma_values=S5, flat_tol="a"),
    P(st.extract_emergent_beta, ValueError, "flat_tol", R_values=R5, sigma_values=S5, flat_tol=-1.0),
    P(st.power_law_fit, ValueError, "x", x=[1.0], y=[1.0], yerr=[1.0]),
    P(st.power_law_fit, ValueError, "y", x=[1.0, 2.0], y=[1.0, -2.0], yerr=[1.0, 1.0]),
    P(st.power_law_fit, ValueError, "x", x=[0.0, 2.0], y=[1.0, 2.0], yerr=[1.0, 1.0]),
    P(st.power_law_fit, ValueError, "yerr", x=[1.0, 2.0], y=[1.0, 2.0], yerr=[0.0, 1.0]),
    P(st.power_law_fit, ValueError, "x, y and yerr", x=[1.0, 2.0, 3.0], y=[1.0, 2.0], yerr=[1.0, 1.0]),
    P(st.power_law_fit, ValueError, "x", x=[1.0, 1.0], y=[1.0, 2.0], yerr=[1.0, 1.0]),
))

# --------------------------------------------------------------------------- stats: coarse-graining
O44 = np.ones((4, 4))
_add(_rows(
    P(st.coarse_grain, ValueError, "block_size", lattice=O44, block_size=3),
    P(st.coarse_grain, ValueError, "block_size", lattice=O44, block_size=0),
    P(st.coarse_grain, TypeError, "block_size", lattice=O44, block_size=2.0),
    P(st.coarse_grain, ValueError, "lattice", lattice=np.ones(4)),
    P(st.coarse_grain, ValueError, "lattice", lattice=np.ones((0, 4))),
    P(st.coarse_grain, ValueError, "lattice", lattice=[[1.0, NAN], [1.0, 1.0]], block_size=1),
    P(st.coarse_grain, TypeError, "lattice", lattice="abc"),
    P(st.multi_scale_coarsening, ValueError, "n_scales", lattice=np.ones((8, 8)), n_scales=-1),
    P(st.multi_scale_coarsening, ValueError, "n_scales", lattice=np.ones((8, 8)), n_scales=4),
    P(st.variance_decomposition, ValueError, "block_size", lattice=O44, block_size=5),
    P(st.variance_decomposition, TypeError, "block_size", lattice=O44, block_size=None),
    P(st.block_variance_profile, ValueError, "block_size", lattice=O44, block_sizes=[2, 3]),
    P(st.block_variance_profile, TypeError, "block_sizes", lattice=O44, block_sizes=2),
    P(st.block_variance_profile, ValueError, "block_sizes", lattice=O44, block_sizes=[0]),
    P(st.block_moment_profile, ValueError, "center", lattice=O44, center=NAN),
    P(st.block_moment_profile, TypeError, "center", lattice=O44, center="a"),
))

# --------------------------------------------------------------------------- stats: criticality
K3 = [1.0, 2.0, 3.0]
_add(_rows(
    P(st.binder_from_moments, ValueError, "m2", m2=-1.0, m4=1.0),
    P(st.binder_from_moments, ValueError, "m2", m2=[1.0, 2.0], m4=[1.0, 2.0, 3.0]),
    P(st.binder_from_moments, ValueError, "m2", m2=NAN, m4=1.0),
    P(st.binder_from_samples, ValueError, "m", m=5.0),
    P(st.binder_from_samples, ValueError, "m", m=[]),
    P(st.binder_from_samples, ValueError, "axis", m=[[1.0, 2.0]], axis=2),
    P(st.binder_from_samples, TypeError, "axis", m=[1.0, 2.0], axis="a"),
    P(st.order_parameter_moments, ValueError, "T", J=1.0, T=0.0),
    P(st.order_parameter_moments, ValueError, "lattice_size", J=1.0, lattice_size=1),
    P(st.order_parameter_moments, ValueError, "n_sweeps", J=1.0, n_sweeps=3),
    P(st.order_parameter_moments, ValueError, "n_burn", J=1.0, n_burn=-1),
    P(st.order_parameter_moments, ValueError, "n_burn", J=1.0, n_sweeps=10, n_burn=7),
    P(st.order_parameter_moments, ValueError, "n_replicas", J=1.0, n_replicas=1),
    P(st.order_parameter_moments, ValueError, "update", J=1.0, update="random"),
    P(st.order_parameter_moments, ValueError, "J", J=NAN),
    P(st.order_parameter_moments, ValueError, "J", J=[]),
    P(st.order_parameter_moments, ValueError, "J", J=[1.0, 2.0], T=[1.0, 2.0, 3.0]),
    P(st.order_parameter_moments, ValueError, "seed", J=1.0, lattice_size=4, n_sweeps=8, n_burn=0, seed=-1),
    P(st.order_parameter_moments, TypeError, "seed", J=1.0, lattice_size=4, n_sweeps=8, n_burn=0, seed=1.5),
    P(st.order_parameter_moments, TypeError, "seed", J=1.0, lattice_size=4, n_sweeps=8, n_burn=0, seed="a"),
    P(st.binder_scan, ValueError, "K_values", K_values=[5.0]),
    P(st.binder_scan, ValueError, "lattice_sizes", K_values=[5.0, 6.0], lattice_sizes=[]),
    P(st.binder_scan, TypeError, "lattice_sizes", K_values=[5.0, 6.0], lattice_sizes=8),
    P(st.binder_scan, ValueError, "n_sweeps", K_values=[5.0, 6.0], lattice_sizes=(8, 16), n_sweeps=[100]),
    P(st.binder_scan, ValueError, "T", K_values=[5.0, 6.0], T=0.0),
    P(st.binder_scan, ValueError, "n_replicas", K_values=[5.0, 6.0], n_replicas=1),
    P(st.binder_scan, ValueError, "seed", K_values=[5.0, 6.0], seed=-1),
    P(st.binder_crossing, ValueError, "U_large", K=K3, U_small=K3, U_large=[1.0, 2.0]),
    P(st.binder_crossing, ValueError, "K", K=[1.0, 1.0, 2.0], U_small=K3, U_large=K3),
    P(st.binder_crossing, ValueError, "U_window", K=K3, U_small=K3, U_large=K3, U_window=(0.6, 0.1)),
    P(st.binder_crossing, ValueError, "U_window", K=K3, U_small=K3, U_large=K3, U_window=(0.1,)),
    P(st.binder_crossing, TypeError, "U_window", K=K3, U_small=K3, U_large=K3, U_window=0.5),
    P(st.binder_crossing, ValueError, "U_small", K=[1.0, 2.0], U_small=[NAN, 1.0], U_large=[1.0, 1.0]),
    P(st.critical_coupling, TypeError, "scan", scan=None),
    P(st.critical_coupling, ValueError, "scan", scan={}),
    P(st.critical_coupling, ValueError, "scan", scan={"lattice_sizes": [8], "K": K3, "results": [{}]}),
    P(st.critical_coupling_study, TypeError, "K_values", K_values="abc"),
    P(st.critical_coupling_study, ValueError, "n_replicas", n_replicas=1),
    P(st.spot_check_critical_coupling, ValueError, "values", values={}),
    P(st.spot_check_critical_coupling, ValueError, "size_index", values=_stored(), size_index=5),
    P(st.spot_check_critical_coupling, ValueError, "n_replicas", values=_stored(), n_replicas=1),
    P(st.susceptibility_by_size, ValueError, "K", K=NAN),
    P(st.susceptibility_by_size, ValueError, "T", K=5.0, T=0.0),
    P(st.susceptibility_by_size, TypeError, "T", K=5.0, T="a"),
    P(st.susceptibility_by_size, ValueError, "lattice_sizes", K=5.0, lattice_sizes=[1]),
    P(st.susceptibility_by_size, ValueError, "lattice_sizes", K=5.0, lattice_sizes=[]),
    P(st.susceptibility_by_size, TypeError, "lattice_sizes", K=5.0, lattice_sizes=8),
    P(st.susceptibility_by_size, ValueError, "n_replicas", K=5.0, n_replicas=1),
    P(st.chi_exponent_at, ValueError, "K", values=_stored(), K=100.0),
    P(st.chi_exponent_at, ValueError, "K_err", values=_stored(), K=5.4, K_err=-1.0),
    P(st.chi_exponent_at, ValueError, "K", values=_stored(), K=NAN),
    P(st.chi_exponent_at, TypeError, "values", values=None, K=5.4),
    P(st.stored_susceptibility, ValueError, "K", values=_stored(), K=5.33),
    P(st.stored_susceptibility, TypeError, "K", values=_stored(), K="a"),
))

# --------------------------------------------------------------------------- stats: significance, curves
_add(_rows(
    P(st.sidak_k, ValueError, "n", n=0),
    P(st.sidak_k, TypeError, "n", n=2.5),
    P(st.sidak_k, ValueError, "alpha", n=3, alpha=1.0),
    P(st.sidak_k, ValueError, "alpha", n=3, alpha=0.0),
    P(st.sidak_k, ValueError, "alpha", n=3, alpha=NAN),
    P(st.z_stats, ValueError, "zs", zs=[]),
    P(st.z_stats, ValueError, "zs", zs=[NAN, INF]),
    P(st.z_stats, TypeError, "zs", zs="abc"),
    P(st.z_measurements, ValueError, "zs", zs=[]),
    P(st.consistency_stats, ValueError, "values", values=[1.0], errors=[1.0]),
    P(st.consistency_stats, ValueError, "errors", values=[1.0, 2.0], errors=[1.0, 0.0]),
    P(st.consistency_stats, ValueError, "errors", values=[1.0, 2.0], errors=[1.0]),
    P(st.consistency_stats, ValueError, "values", values=[1.0, NAN], errors=[1.0, 1.0]),
    P(st.loop_area, ValueError, "h_path", h_path=[0.0, 1.0], sigma=[0.0, 1.0]),
    P(st.loop_area, ValueError, "sigma", h_path=[0.0, 1.0, 2.0], sigma=[0.0, 1.0]),
    P(st.loop_area, TypeError, "sigma", h_path=[0.0, 1.0, 2.0], sigma="abc"),
    P(st.loop_area, ValueError, "h_path", h_path=[0.0, 1.0, NAN], sigma=[0.0, 1.0, 2.0]),
    P(st.loop_area, ValueError, "sigma", h_path=[0.0, 1.0, 2.0], sigma=[0.0, 1.0, NAN]),
    P(st.loop_area, ValueError, "sigma", h_path=[0.0, 1.0, 2.0], sigma=5.0),
))

# --------------------------------------------------------------------------- models: networks
_add(_rows(
    P(md.sbm_probabilities, ValueError, "block_size", block_size=1),
    P(md.sbm_probabilities, ValueError, "k_in", k_in=-1.0),
    P(md.sbm_probabilities, ValueError, "k_in", block_size=10, k_in=20.0),
    P(md.sbm_probabilities, ValueError, "k_out", block_size=10, k_out=11.0),
    P(md.sbm_probabilities, ValueError, "k_in", k_in=NAN),
    P(md.sbm, ValueError, "n_blocks", n_blocks=0),
    P(md.sbm, TypeError, "n_blocks", n_blocks=2.0),
    P(md.sbm, ValueError, "block_size", block_size=1),
    P(md.sbm, ValueError, "p_in", p_in=1.5),
    P(md.sbm, ValueError, "p_out", p_out=-0.1),
    P(md.sbm, ValueError, "seed", seed=-1),
    P(md.sbm, TypeError, "seed", seed=1.5),
    P(md.sbm, TypeError, "seed", seed="a"),
    P(md.erdos_renyi, ValueError, "n", n=1),
    P(md.erdos_renyi, ValueError, "k_mean", n=10, k_mean=10.0),
    P(md.erdos_renyi, ValueError, "k_mean", n=10, k_mean=NAN),
    P(md.erdos_renyi, ValueError, "seed", seed=-1),
    P(md.random_regular, ValueError, "n", n=5, k=3),
    P(md.random_regular, ValueError, "k", n=5, k=5),
    P(md.random_regular, ValueError, "k", n=5, k=-1),
    P(md.barabasi_albert, ValueError, "n", n=3, m=3),
    P(md.barabasi_albert, ValueError, "m", m=0),
    P(md.barabasi_albert, TypeError, "seed", n=10, m=2, seed=True),
    P(md.lattice_graph, ValueError, "L", L=2),
    P(md.lattice_graph, TypeError, "periodic", L=4, periodic="yes"),
    P(md.block_labels, ValueError, "attr", graph=_path()),
    P(md.block_labels, TypeError, "graph", graph="abc"),
    P(md.modularity, ValueError, "graph", graph=nx.empty_graph(3)),
    P(md.modularity, ValueError, "partition", graph=_path(), partition=[0, 1]),
    P(md.modularity, TypeError, "graph", graph="x"),
    P(md.degree_moments, TypeError, "graph", graph=5),
    P(md.degree_moments, ValueError, "graph", graph=nx.empty_graph(3)),
    P(md.degree_moments, ValueError, "graph", graph=_digraph()),
    P(md.adjacency, TypeError, "graph", graph=None),
    P(md.ba_moment_scan, ValueError, "sizes", sizes=[]),
    P(md.ba_moment_scan, TypeError, "sizes", sizes=100),
    P(md.ba_moment_scan, ValueError, "sizes", sizes=[3], m=3),
    P(md.ba_moment_scan, ValueError, "n_graphs", n_graphs=1),
    P(md.ba_moment_scan, ValueError, "seed", seed=-1),
    P(md.network_tc_scan, ValueError, "temperatures", graph=_path(), temperatures=[1.0, 2.0]),
    P(md.network_tc_scan, ValueError, "temperatures", graph=_path(), temperatures=[1.0, 3.0, 2.0]),
    P(md.network_tc_scan, ValueError, "temperatures", graph=_path(), temperatures=[0.0, 1.0, 2.0]),
    P(md.network_tc_scan, ValueError, "temperatures", graph=_path(), temperatures=[1.0, 2.0, NAN]),
    P(md.network_tc_scan, ValueError, "n_seeds", graph=_path(), n_seeds=1),
    P(md.network_tc_scan, ValueError, "seed", graph=_path(), seed=-1),
    P(md.network_tc_scan, TypeError, "seed", graph=_path(), seed=None),
    P(md.network_tc_scan, ValueError, "J", graph=_path(), J=0.0),
    P(md.network_tc_scan, ValueError, "sweeps", graph=_path(), sweeps=0),
    P(md.network_tc_scan, ValueError, "burn_in", graph=_path(), burn_in=-1),
    P(md.network_tc_scan, ValueError, "algorithm", graph=_path(), algorithm="wolff"),
    P(md.network_tc_scan, ValueError, "graph", graph=nx.Graph()),
    P(md.network_tc_scan, ValueError, "graph", graph=nx.empty_graph(5)),
    P(md.network_tc_scan, ValueError, "graph", graph=_digraph()),
    P(md.network_tc_scan, ValueError, "graph", graph=_selfloop()),
    P(md.network_tc_scan, TypeError, "graph", graph="abc"),
))

# --------------------------------------------------------------------------- models: multiscale
_add(_rows(
    P(md.gini, ValueError, "values", values=[]),
    P(md.gini, ValueError, "values", values=[-1.0, 2.0]),
    P(md.gini, ValueError, "values", values=[1.0, NAN]),
    P(md.gini, TypeError, "values", values="ab"),
    P(md.gini, ValueError, "weights", values=[1.0, 2.0], weights=[1.0]),
    P(md.gini, ValueError, "weights", values=[1.0, 2.0], weights=[0.0, 0.0]),
    P(md.gini, ValueError, "weights", values=[1.0, 2.0], weights=[-1.0, 2.0]),
    P(md.MultiscaleModel, ValueError, "n_agents", n_agents=0, n_communities=1),
    P(md.MultiscaleModel, TypeError, "n_agents", n_agents=10.0, n_communities=2),
    P(md.MultiscaleModel, ValueError, "n_communities", n_agents=10, n_communities=11),
    P(md.MultiscaleModel, ValueError, "n_communities", n_agents=10, n_communities=0),
    P(md.MultiscaleModel, MemoryError, "n_agents", n_agents=10 ** 15, n_communities=10),
    P(md.MultiscaleModel, ValueError, "seed", n_agents=10, n_communities=2, seed=-1),
    P(md.MultiscaleModel, TypeError, "seed", n_agents=10, n_communities=2, seed=1.5),
    P(md.MultiscaleModel, TypeError, "seed", n_agents=10, n_communities=2, seed="a"),
    P(md.MultiscaleModel, ValueError, "meso_interval", n_agents=10, n_communities=2, meso_interval=0),
    P(md.MultiscaleModel, ValueError, "macro_interval", n_agents=10, n_communities=2, macro_interval=-1),
    P(md.MultiscaleModel, ValueError, "noise", n_agents=10, n_communities=2, noise=0.0),
    P(md.MultiscaleModel, ValueError, "noise", n_agents=10, n_communities=2, noise=NAN),
    P(md.MultiscaleModel, ValueError, "inertia", n_agents=10, n_communities=2, inertia=1.5),
    P(md.MultiscaleModel, ValueError, "wealth_alpha", n_agents=10, n_communities=2, wealth_alpha=1.0),
    P(md.MultiscaleModel, ValueError, "coupling", n_agents=10, n_communities=2, coupling=INF),
    P(md.MultiscaleModel, TypeError, "coupling", n_agents=10, n_communities=2, coupling="1"),
    P(md.MultiscaleModel, ValueError, "trust_noise", n_agents=10, n_communities=2, trust_noise=-1.0),
    P(md.MultiscaleModel, ValueError, "meso_rate", n_agents=10, n_communities=2, meso_rate=2.0),
    P(md.MultiscaleModel, ValueError, "trust_rate", n_agents=10, n_communities=2, trust_rate=-0.1),
    P(md.MultiscaleModel, ValueError, "cost_weight", n_agents=10, n_communities=2, cost_weight=-1.0),
    P(md.MultiscaleModel, ValueError, "initial_cohesion", n_agents=10, n_communities=2, initial_cohesion=1.1),
    P(md.MultiscaleModel, ValueError, "initial_trust", n_agents=10, n_communities=2, initial_trust=NAN),
    P(md.MultiscaleModel, TypeError, "bogus", n_agents=10, n_communities=2, bogus=1.0),
    P(md.GovernmentMultiscaleModel, ValueError, "n_agents", n_agents=-5),
    P(method(_ms, "run"), ValueError, "n_steps", n_steps=-1),
    P(method(_ms, "run"), TypeError, "n_steps", n_steps=2.5),
    P(method(_ms, "run"), MemoryError, "n_steps", n_steps=10 ** 13),
    P(method(_ms, "get_agent_variable"), ValueError, "name", name="bogus"),
    P(method(_ms, "set_agent_variable"), ValueError, "satisfaction", name="satisfaction", values=[2.0] * 50),
    P(method(_ms, "set_agent_variable"), ValueError, "values", name="satisfaction", values=[0.5] * 49),
    P(method(_ms, "set_agent_variable"), ValueError, "wealth", name="wealth", values=np.zeros(50)),
    P(method(_ms, "set_agent_variable"), ValueError, "values", name="wealth", values=[NAN] * 50),
    P(method(_ms, "set_agent_variable"), ValueError, "community", name="community", values=np.zeros(50)),
    P(method(_ms, "set_agent_variable"), ValueError, "community", name="community",
      values=np.zeros(50, dtype=int)),
    P(method(_ms, "set_agent_variable"), ValueError, "community", name="community",
      values=np.full(50, -1)),
    P(method(_ms, "set_agent_variable"), ValueError, "community", name="community",
      values=np.zeros((50, 1), dtype=int)),
    P(method(_ms, "set_agent_variable"), TypeError, "name", name=5, values=np.zeros(50)),
    P(method(_ms, "set_agent_variable"), ValueError, "values", name="field", values=[NAN] * 50),
    P(method(_ms, "upscale"), TypeError, "from_level", from_level="micro", to_level=ScaleLevel.MESO),
    P(method(_ms, "upscale"), ValueError, "to_level", from_level=ScaleLevel.MESO, to_level=ScaleLevel.MICRO),
    P(method(_ms, "upscale"), ValueError, "variables", from_level=ScaleLevel.MICRO,
      to_level=ScaleLevel.MESO, variables={"x": [1.0, 2.0]}),
    P(method(_ms, "upscale"), ValueError, "variables", from_level=ScaleLevel.MICRO,
      to_level=ScaleLevel.MESO, variables={"x": [NAN] * 50}),
    P(method(_ms, "downscale"), ValueError, "to_level", from_level=ScaleLevel.MICRO, to_level=ScaleLevel.MACRO),
    P(method(_ms, "downscale"), ValueError, "variables", from_level=ScaleLevel.MACRO,
      to_level=ScaleLevel.MESO, variables={"a": NAN}),
    P(method(_ms, "downscale"), ValueError, "variables", from_level=ScaleLevel.MESO,
      to_level=ScaleLevel.MICRO, variables={"a": [1.0]}),
    P(md.analyze_scale_separation, TypeError, "model", model=None),
    P(positional(md.analyze_scale_separation, _base()), ValueError, "variable", variable="bogus"),
    # state corrupted after construction, then stepped
    P(mutated(_ms, _setitem("params", "noise", NAN)), ValueError, "noise"),
    P(mutated(_ms, _setitem("params", "inertia", 2.0)), ValueError, "inertia"),
    P(mutated(_ms, _setitem("params", "coupling", "a")), TypeError, "coupling"),
    P(mutated(_ms, _setitem("params", "bogus", 1.0)), TypeError, "bogus"),
    P(mutated(_ms, _set("params", {"noise": 1.0})), ValueError, "params"),
    P(mutated(_ms, _set("trust", NAN)), ValueError, "trust"),
    P(mutated(_ms, _set("trust", 5.0)), ValueError, "trust"),
    P(mutated(_ms, _set("trust", "high")), TypeError, "trust"),
    P(mutated(_ms, _set("meso_interval", 0)), ValueError, "meso_interval"),
    P(mutated(_ms, _set("macro_interval", 1.5)), TypeError, "macro_interval"),
    P(mutated(_ms, _set("current_step", "a")), TypeError, "current_step"),
    P(mutated(_ms, _set("cohesion", np.full(5, NAN))), ValueError, "cohesion"),
    P(mutated(_ms, _set("cohesion", np.ones(3))), ValueError, "cohesion"),
    P(mutated(_ms, _set("cohesion", [0.5] * 5)), TypeError, "cohesion"),
    P(mutated(_ms, _set("mean_satisfaction", np.ones(7))), ValueError, "mean_satisfaction"),
    P(mutated(_ms, _fill_satisfaction(NAN)), ValueError, "satisfaction"),
    P(mutated(_ms, _fill_satisfaction(INF), then="run"), ValueError, "satisfaction", n_steps=3),
    P(mutated(_base, _fill_satisfaction(NAN)), ValueError, "satisfaction"),
    P(mutated(_ms, _set("n_agents", 7)), AttributeError, "n_agents"),
    P(mutated(_ms, _set("n_communities", 2)), AttributeError, "n_communities"),
))

# --------------------------------------------------------------------------- models: policies, government
_add(_rows(
    P(md.Policy, TypeError, "name", name="", scale="national"),
    P(md.Policy, TypeError, "name", name=5, scale="national"),
    P(md.Policy, ValueError, "scale", name="p", scale="global"),
    P(md.Policy, ValueError, "cost", name="p", scale="national", cost=-1.0),
    P(md.Policy, ValueError, "cost", name="p", scale="national", cost=NAN),
    P(md.Policy, TypeError, "cost", name="p", scale="national", cost="1"),
    P(md.Policy, TypeError, "cost", name="p", scale="national", cost=1 + 1j),
    P(md.Policy, TypeError, "effects", name="p", scale="national", effects=[("satisfaction", 1.0)]),
    P(md.Policy, ValueError, "effects", name="p", scale="national", effects={"bogus": 1.0}),
    P(md.Policy, ValueError, "satisfaction", name="p", scale="national", effects={"satisfaction": INF}),
    P(md.Policy, TypeError, "satisfaction", name="p", scale="national", effects={"satisfaction": None}),
    P(md.Policy, ValueError, "resources", name="p", scale="national", effects={"resources": -1.0}),
    P(md.Policy, ValueError, "target_quantile", name="p", scale="individual", effects={"target_quantile": 0.0}),
    P(md.Policy, ValueError, "target_quantile", name="p", scale="individual", effects={"target_quantile": 1.5}),
    P(md.Policy, ValueError, "target_quantile", name="p", scale="individual", effects={"target_quantile": NAN}),
    P(method(_ms, "apply_policy"), TypeError, "policy", policy="welfare"),
    P(_twice, ValueError, "policy"),
    P(method(_ms, "apply_policy"), ValueError, "targets", policy=_pol(), targets=np.ones(50, dtype=bool)),
    P(method(_ms, "apply_policy"), ValueError, "targets", policy=_pol(scale="individual"), targets=np.ones(50)),
    P(method(_ms, "apply_policy"), ValueError, "targets", policy=_pol(scale="individual"),
      targets=np.ones(49, dtype=bool)),
    P(method(_ms, "remove_policy"), ValueError, "name", name="none"),
    P(_apply_then_mutate, ValueError, "satisfaction"),
    P(_mutated_policy_cost, ValueError, "cost"),
    P(_mutated_policy_scale, ValueError, "scale"),
    P(md.GovernmentSimulation, ValueError, "population_size", population_size=0),
    P(md.GovernmentSimulation, TypeError, "population_size", population_size="a"),
    P(md.GovernmentSimulation, MemoryError, "population_size", population_size=10 ** 15),
    P(md.GovernmentSimulation, ValueError, "cohesion", cohesion=1.5),
    P(md.GovernmentSimulation, ValueError, "cohesion", cohesion=NAN),
    P(md.GovernmentSimulation, TypeError, "meso_rate", meso_rate=0.1),
    P(md.GovernmentSimulation, TypeError, "n_communities", n_communities=3),
    P(md.GovernmentSimulation, ValueError, "noise", noise=-1.0),
    P(md.GovernmentSimulation, ValueError, "seed", seed=-1),
    P(method(lambda: md.GovernmentSimulation(50, seed=0), "run"), ValueError, "n_steps", n_steps=-1),
    P(method(lambda: md.GovernmentSimulation(50, seed=0), "implement_policy"), TypeError, "policy",
      policy="x"),
    P(method(lambda: md.GovernmentSimulation(50, seed=0), "implement_policy"), ValueError, "n_steps",
      policy=_pol(), n_steps=1),
    P(method(lambda: md.GovernmentSimulation(50, seed=0), "remove_policy"), ValueError, "name", name="none"),
))

# --------------------------------------------------------------------------- models: integrated
A3 = [0.1, 0.2, 0.3]
_add(_rows(
    P(md.IntegratedGovernmentModel, ValueError, "population_size", population_size=0),
    P(md.IntegratedGovernmentModel, ValueError, "n_communities", population_size=10, n_communities=11),
    P(md.IntegratedGovernmentModel, ValueError, "time_steps", time_steps=0),
    P(md.IntegratedGovernmentModel, TypeError, "time_steps", time_steps=2.5),
    P(md.IntegratedGovernmentModel, ValueError, "seed", seed=-1),
    P(md.IntegratedGovernmentModel, TypeError, "bogus", bogus=1.0),
    P(md.IntegratedGovernmentModel, MemoryError, "population_size", population_size=10 ** 15),
    P(_huge_history, MemoryError, "time_steps"),
    P(method(lambda: md.IntegratedGovernmentModel(60, 4, 5, seed=0), "run"), TypeError, "policies",
      policies=_pol()),
    P(method(lambda: md.IntegratedGovernmentModel(60, 4, 5, seed=0), "run"), TypeError, "policies",
      policies=["x"]),
    P(method(lambda: md.IntegratedGovernmentModel(60, 4, 5, seed=0), "run"), ValueError, "policies",
      policies={-1: [_pol()]}),
    P(method(lambda: md.IntegratedGovernmentModel(60, 4, 5, seed=0), "run"), ValueError, "policies",
      policies={100: [_pol()]}),
    P(method(lambda: md.IntegratedGovernmentModel(60, 4, 5, seed=0), "run"), TypeError, "policies",
      policies=5),
    P(method(lambda: md.IntegratedGovernmentModel(60, 4, 5, seed=0), "analyze_cross_scale_dynamics"),
      ValueError, "history"),
    P(_run_then(md.IntegratedGovernmentModel.analyze_cross_scale_dynamics), ValueError, "burn_in",
      burn_in=-1),
    P(_run_then(md.IntegratedGovernmentModel.analyze_cross_scale_dynamics), ValueError, "max_lag",
      max_lag=-1),
    P(_run_then(md.IntegratedGovernmentModel.identify_scale_transitions), ValueError, "threshold",
      threshold=0.0),
    P(_run_then(md.IntegratedGovernmentModel.identify_scale_transitions), ValueError, "window",
      window=0),
    P(_run_then(md.IntegratedGovernmentModel.implement_policy_multiscale), TypeError, "policy",
      policy="p"),
    P(_run_then(md.IntegratedGovernmentModel.implement_policy_multiscale), ValueError, "n_steps",
      policy=_pol(), n_steps=1),
    P(mutated(lambda: md.IntegratedGovernmentModel(60, 4, 5, seed=0), _set("time_steps", -1), then="run"),
      ValueError, "time_steps"),
    P(md.cross_scale_statistics, ValueError, "micro", micro=[1.0, 2.0], meso=[1.0, 2.0], macro=[1.0, 2.0]),
    P(md.cross_scale_statistics, ValueError, "macro", micro=A3, meso=A3, macro=[1.0, 2.0]),
    P(md.cross_scale_statistics, ValueError, "meso", micro=A3, meso=[0.1, NAN, 0.3], macro=A3),
    P(md.cross_scale_statistics, ValueError, "max_lag", micro=A3, meso=A3, macro=A3, max_lag=-1),
    P(md.scale_transitions, ValueError, "threshold", micro=A3, meso=A3, macro=A3, threshold=0.0),
    P(md.scale_transitions, ValueError, "window", micro=A3, meso=A3, macro=A3, window=0),
    P(md.scale_transitions, ValueError, "steps", micro=A3, meso=A3, macro=A3, steps=[0.5, 1.0, 2.0]),
    P(md.scale_transitions, TypeError, "names", micro=A3, meso=A3, macro=A3, names=("a", "b")),
    P(md.scale_transitions, TypeError, "names", micro=A3, meso=A3, macro=A3, names=5),
    P(md.compare_single_vs_multiscale, ValueError, "policies", policies=[]),
    P(md.compare_single_vs_multiscale, ValueError, "policies", policies=[_pol(), _pol()]),
    P(md.compare_single_vs_multiscale, TypeError, "policies", policies="x"),
    P(md.compare_single_vs_multiscale, ValueError, "time_steps", policies=[_pol()], time_steps=2),
    P(md.compare_single_vs_multiscale, ValueError, "n_communities", policies=[_pol()],
      population_size=5, n_communities=6),
    P(md.compare_single_vs_multiscale, ValueError, "seed", policies=[_pol()], population_size=20,
      time_steps=3, seed=-1),
))


def test_enough_bad_inputs():
    assert len(BAD) >= 150


@pytest.mark.filterwarnings("ignore:invalid value encountered:RuntimeWarning")  # inf - inf of a corrupted state
@pytest.mark.parametrize("fn, kwargs, exc, match", BAD)
def test_bad_input(fn, kwargs, exc, match):
    with pytest.raises(exc, match=match):
        fn(**kwargs)


# --------------------------------------------------------------------------- documented answers

def _enum_edgeless():
    r = th.enumerate_graph(nx.empty_graph(3), 2.0)
    return r["log_z"], r["energy"], r["m2"]


def _equal_gini():
    return md.gini([2.0, 2.0, 2.0]), md.gini([0.0, 0.0])


def _flat_fit():
    b, r2, info = st.extract_emergent_beta(R5, np.full(5, 0.3))
    return math.isnan(b) and math.isnan(r2) and not info["converged"] and "flat" in info["reason"]


def _model_run0():
    return _ms().run(0)


def _one_community():
    m = md.MultiscaleModel(20, 1, seed=0)
    m.run(2)
    r = md.analyze_scale_separation(m)
    return r["between_group_variance"], r["variance_ratio"]


DEGENERATE = [
    pytest.param(lambda: th.bethe_tc([2, 2, 2, 2]), 0.0, id="bethe_tc-kappa<=2"),
    pytest.param(lambda: th.bethe_tc(nx.cycle_graph(6)), 0.0, id="bethe_tc-ring"),
    pytest.param(_enum_edgeless, (3 * math.log(2.0), 0.0, 1.0 / 3.0), id="enumerate_graph-no-edges"),
    pytest.param(lambda: st.fraction_error(0, 0), 1.0 / math.sqrt(12.0), id="fraction_error-no-runs"),
    pytest.param(lambda: st.integrated_autocorrelation_time(np.ones(50)), 0.5, id="tau-constant"),
    pytest.param(lambda: list(st.autocorrelation(np.ones(4))), [1.0, 0.0, 0.0, 0.0], id="acf-constant"),
    pytest.param(_equal_gini, (0.0, 0.0), id="gini-equal-or-zero"),
    pytest.param(_flat_fit, True, id="extract_emergent_beta-flat"),
    pytest.param(lambda: math.isnan(st.r_squared([1.0, 1.0], [1.0, 2.0])), True, id="r_squared-constant"),
    pytest.param(lambda: math.isnan(st.binder_from_moments(0.0, 0.0)), True, id="binder-m2-zero"),
    pytest.param(lambda: all(map(math.isnan, st.binder_cumulant(np.zeros(100)))), True, id="binder-m-zero"),
    pytest.param(lambda: all(map(math.isnan, th.mean_field_spinodals(1.0, 1.0))), True,
                 id="spinodals-monostable"),
    pytest.param(lambda: st.loop_area([0.0, 1.0, 2.0, 1.0], [0.0, 0.5, 1.0, 0.5]), 0.0, id="loop_area-retrace"),
    pytest.param(_model_run0, [], id="run-zero-steps"),
    pytest.param(_one_community, (0.0, 0.0), id="scale-separation-one-community"),
    pytest.param(lambda: st.coarse_grain(O44, 1).tolist(), O44.tolist(), id="coarse_grain-b1"),
]


@pytest.mark.parametrize("fn, expected", DEGENERATE)
def test_degenerate_input_documented_result(fn, expected):
    got = fn()
    if isinstance(expected, tuple):
        assert got == pytest.approx(expected, abs=1e-12)
    else:
        assert got == pytest.approx(expected, abs=1e-12) if isinstance(expected, float) else got == expected
