"""Tests of the XY engine (utacbook.models.simulate_xy, simulate_xy_graph) against exact results.

Tolerances are error bars (τ_int / binning) times a fixed factor; bounds on series remainders
(spin-wave and high-temperature expansions) are stated from the theory, not from a run.
"""

import math

import networkx as nx
import numpy as np
import pytest
from scipy.special import i0, i1, ive

import utacbook as ub
from utacbook.models import XYResult, simulate_xy, simulate_xy_graph

Z = 4.0   # tolerance in standard errors for a single comparison


def ring_energy(N, K, J=1.0):
    """Energy per spin of the periodic XY ring: Z = (2π)^N Σ_n I_n(K)^N, e = -(J/N) ∂ln Z/∂K."""
    n = np.arange(-80, 81)
    I = ive(n, K)                                   # the factor e^-K cancels in the ratio
    dI = 0.5 * (ive(n - 1, K) + ive(n + 1, K))      # I_n'(K)
    return -J * float(np.sum(I ** (N - 1) * dI) / np.sum(I ** N))


def torus2_quadrature(T, J=1.0, h=0.0, n=32):
    """⟨e⟩, ⟨m_x⟩ and ⟨|m|²⟩ of the 2 x 2 torus (8 bonds: each pair of neighbours twice) by quadrature.

    Sites a = (0,0), b = (0,1), c = (1,0), d = (1,1); the periodic trapezoidal rule on an n^4
    grid (n^3 with a = 0 at h = 0) is spectrally accurate for these smooth periodic integrands.
    """
    g = np.linspace(0, 2 * np.pi, n, endpoint=False)
    if h == 0.0:
        a = np.zeros(1)
    else:
        a = g
    A, B, C, D = np.meshgrid(a, g, g, g, indexing="ij", sparse=True)
    bonds = 2 * (np.cos(A - B) + np.cos(C - D) + np.cos(A - C) + np.cos(B - D))
    cx = np.cos(A) + np.cos(B) + np.cos(C) + np.cos(D)
    sy = np.sin(A) + np.sin(B) + np.sin(C) + np.sin(D)
    E = -J * bonds - h * cx
    w = np.exp(-(E - E.min()) / T)
    Zs = w.sum()
    return {"energy": float((w * E).sum() / Zs / 4), "mx": float((w * cx).sum() / Zs / 4),
            "m2": float((w * (cx ** 2 + sy ** 2)).sum() / Zs / 16)}


def _z(est, exact):
    value, err = est
    return (value - exact) / err


# --------------------------------------------------------------------------
# exact results on graphs and on the 2 x 2 torus
# --------------------------------------------------------------------------

def test_ring_energy_formula_limits():
    # K -> 0: e = -J K/2 (one bond per spin, <cos> = K/2); large N: the chain value I1/I0
    assert ring_energy(10, 1e-4) == pytest.approx(-0.5e-4, rel=1e-3)
    assert ring_energy(200, 1.0) == pytest.approx(-i1(1.0) / i0(1.0), rel=1e-10)
    # the 2 x 2 torus is the 4-ring with coupling 2J
    assert torus2_quadrature(1.0)["energy"] == pytest.approx(ring_energy(4, 2.0, J=2.0), rel=1e-9)


@pytest.mark.parametrize("algorithm", ["metropolis", "wolff"])
@pytest.mark.parametrize("T", [0.3, 1.0, 3.0])
def test_open_chain_bond_energy(algorithm, T):
    # h = 0 open chain: the N - 1 bonds are independent, <cos> = I1(K)/I0(K) each
    N = 40
    r = simulate_xy_graph(nx.path_graph(N), T, sweeps=4000, burn_in=200, algorithm=algorithm, seed=1)
    exact = -(N - 1) / N * i1(1 / T) / i0(1 / T)
    assert abs(_z(r.mean_energy, exact)) < Z


@pytest.mark.parametrize("algorithm", ["metropolis", "wolff"])
@pytest.mark.parametrize("N, T", [(5, 0.5), (6, 1.0), (7, 2.0)])
def test_periodic_ring_energy(algorithm, N, T):
    r = simulate_xy_graph(nx.cycle_graph(N), T, sweeps=20000, burn_in=200, algorithm=algorithm, seed=2)
    assert abs(_z(r.mean_energy, ring_energy(N, 1 / T))) < Z


@pytest.mark.parametrize("h, T", [(0.5, 1.0), (2.0, 0.5), (1.0, 3.0)])
def test_single_spins_in_a_field(h, T):
    # J = 0: N independent spins, <cos θ> = I1(h/T)/I0(h/T), <sin θ> = 0
    r = simulate_xy_graph(nx.empty_graph(500), T, J=0.0, h=h, sweeps=400, burn_in=50, seed=3)
    assert abs(_z(r.estimate("mx"), i1(h / T) / i0(h / T))) < Z
    assert abs(_z(r.estimate("my"), 0.0)) < Z
    assert abs(_z(r.mean_energy, -h * i1(h / T) / i0(h / T))) < Z


@pytest.mark.parametrize("algorithm", ["metropolis", "wolff"])
@pytest.mark.parametrize("T", [0.5, 1.0, 2.0])
def test_lattice_kernel_on_the_2x2_torus(algorithm, T):
    ex = torus2_quadrature(T)
    r = simulate_xy(2, T, sweeps=40000, burn_in=200, algorithm=algorithm, seed=4)
    assert abs(_z(r.mean_energy, ex["energy"])) < Z
    assert abs(_z(r.estimate("m2"), ex["m2"])) < Z
    # on L = 2 every S_a vanishes (each pair is joined by two opposite bonds): Υ_t = -e_t/2
    np.testing.assert_allclose(r.helicity, -r.energy / 2, atol=1e-12)


@pytest.mark.parametrize("T", [1.0, 2.0])
def test_lattice_kernel_in_a_field_on_the_2x2_torus(T):
    h = 0.5
    ex = torus2_quadrature(T, h=h, n=24)
    r = simulate_xy(2, T, h=h, sweeps=40000, burn_in=200, seed=5)
    assert abs(_z(r.mean_energy, ex["energy"])) < Z
    assert abs(_z(r.estimate("mx"), ex["mx"])) < Z


# --------------------------------------------------------------------------
# expansions and the two algorithms
# --------------------------------------------------------------------------

@pytest.mark.parametrize("T", [0.05, 0.1])
def test_low_temperature_spin_waves(T):
    # e = -2J + T/2 + O(T^2) (equipartition), Υ = J - T/4 + O(T^2): bound the remainder by T^2/2
    r = simulate_xy(8, T, sweeps=4000, burn_in=500, init="ordered", seed=6)
    e, de = r.mean_energy
    u, du = r.helicity_modulus
    assert abs(e - (-2.0 + T / 2)) < Z * de + T ** 2 / 2
    assert abs(u - (1.0 - T / 4)) < Z * du + T ** 2 / 2
    assert T ** 2 / 2 < 0.25 * (T / 4)      # the bound is far tighter than the first-order terms


@pytest.mark.parametrize("T", [5.0, 10.0])
def test_high_temperature_expansion(T):
    # e = -J (J/T) + O((J/T)^3): bound the remainder by (J/T)^3
    r = simulate_xy(8, T, sweeps=4000, burn_in=200, seed=7)
    e, de = r.mean_energy
    assert abs(e + 1.0 / T) < Z * de + (1.0 / T) ** 3


@pytest.mark.parametrize("T", [0.7, 0.9, 1.2])
def test_metropolis_and_wolff_agree(T):
    a = simulate_xy(8, T, sweeps=20000, burn_in=1000, seed=8)
    b = simulate_xy(8, T, sweeps=20000, burn_in=1000, algorithm="wolff", seed=9)
    for name in ("energy", "helicity", "abs_m"):
        (x, dx), (y, dy) = a.estimate(name), b.estimate(name)
        assert abs(x - y) < Z * math.hypot(dx, dy), name


# --------------------------------------------------------------------------
# physics: no spontaneous magnetisation, helicity modulus
# --------------------------------------------------------------------------

def test_magnetisation_decays_with_L_as_spin_waves_say():
    # <|m|> ~ L^(-η/2), η = T/(2π Υ) with J - T/4 <= Υ <= J at low T: η_sw <= η <= 1.14 η_sw at T = 0.5;
    # the bound allows up to 1.5 η_sw for finite-size corrections
    T = 0.5
    m = {L: simulate_xy(L, T, sweeps=2000, burn_in=200, algorithm="wolff", init="ordered", seed=10 + L)
         .abs_magnetization for L in (8, 16, 32)}
    assert m[16][0] < m[8][0] and m[32][0] < m[16][0]
    x = math.log(m[8][0] / m[32][0]) / math.log(4)
    dx = math.hypot(m[8][1] / m[8][0], m[32][1] / m[32][0]) / math.log(4)
    eta_sw = T / (2 * math.pi)
    assert x > 3 * dx                                   # a significant decay: no long-range order
    assert eta_sw / 2 - Z * dx < x < 1.5 * eta_sw / 2 + Z * dx


def test_helicity_modulus_vanishes_at_high_temperature():
    # T = 1.5 > T_KT: Υ -> 0 with L; at L = 16 it must be far below both its spin-wave value
    # J - T/4 and the Nelson-Kosterlitz threshold 2T/π = 0.95 J: bound |Υ| < 0.05 J
    r = simulate_xy(16, 1.5, sweeps=4000, burn_in=200, seed=11)
    u, du = r.helicity_modulus
    assert abs(u) < 0.05 + Z * du
    assert ub.T_KT_XY == 0.8929


def test_helicity_falls_and_vortices_unbind_as_T_rises():
    runs = [simulate_xy(8, T, sweeps=4000, burn_in=500, algorithm="wolff", seed=12) for T in (0.5, 0.9, 1.3)]
    for a, b in zip(runs, runs[1:]):
        (u1, du1), (u2, du2) = a.helicity_modulus, b.helicity_modulus
        assert u1 - u2 > Z * math.hypot(du1, du2)
        (v1, dv1), (v2, dv2) = a.mean_vortex_density, b.mean_vortex_density
        assert v2 - v1 > Z * math.hypot(dv1, dv2)


# --------------------------------------------------------------------------
# API: result object, exports, bad inputs
# --------------------------------------------------------------------------

def test_result_api_and_exports(tmp_path):
    r = simulate_xy(4, 0.8, sweeps=100, burn_in=10, measure_every=5, seed=13)
    assert isinstance(r, XYResult) and r.n_samples == 20 and r.theta.shape == (4, 4)
    assert len(repr(r)) < 300 and "seed=13" in repr(r)
    ds = r.to_xarray()
    assert ds.attrs["seed"] == "13" and ds.attrs["delta"] == r.delta
    assert ds["sweep"].values.tolist() == list(range(5, 101, 5))
    df = r.to_dataframe()
    assert df.shape == (20, 6) and df.attrs["T"] == 0.8
    r.save(tmp_path / "xy.nc")
    back = XYResult.load(tmp_path / "xy.nc")
    assert np.array_equal(back.energy, r.energy) and np.array_equal(back.theta, r.theta)
    assert back.seed == 13 and back.mean_energy == r.mean_energy
    again = simulate_xy(4, 0.8, sweeps=100, burn_in=10, measure_every=5, seed=back.seed)
    assert np.array_equal(again.energy, r.energy)
    c, dc = r.specific_heat
    assert c > 0 and dc > 0
    chi, dchi = r.susceptibility
    assert chi == pytest.approx(r.N * r.estimate("m2")[0] / r.T)
    ratio, dratio = r.nelson_kosterlitz_ratio
    assert ratio == pytest.approx(r.helicity_modulus[0] * math.pi / 1.6)
    assert set(r.tau_int) == {"energy", "abs_m", "helicity"}


def test_graph_result_and_node_order():
    G = nx.Graph([("a", "b"), ("b", "c")])
    r = simulate_xy_graph(G, 1.0, sweeps=50, burn_in=0, init=[0.0, 1.0, 2.0], delta=1e-9, seed=1)
    # a tiny step keeps the state: theta is returned in node order (compared on the circle)
    np.testing.assert_allclose(np.angle(np.exp(1j * (r.theta - [0.0, 1.0, 2.0]))), 0.0, atol=1e-6)
    assert r.L is None and np.all(np.isnan(r.helicity))
    with pytest.raises(ValueError, match="helicity"):
        _ = r.helicity_modulus
    assert "graph N=3" in repr(r)


def test_ordered_start_and_angle_array():
    r = simulate_xy(4, 0.01, sweeps=10, burn_in=0, init="ordered", seed=1)
    assert r.energy[0] == pytest.approx(-2.0, abs=0.01)
    th = np.full((4, 4), 7.0)                     # reduced mod 2π
    r = simulate_xy(4, 0.01, sweeps=10, burn_in=0, init=th, delta=1e-9, seed=1)
    np.testing.assert_allclose(np.angle(np.exp(1j * (r.theta - (7.0 - 2 * np.pi)))), 0.0, atol=1e-6)
    assert np.all((r.theta >= 0) & (r.theta < 2 * np.pi))


@pytest.mark.parametrize("kwargs, exc, name", [
    (dict(L=3), ValueError, "L"),                      # odd L with Metropolis
    (dict(L=1), ValueError, "L"),
    (dict(L=4.0), TypeError, "L"),
    (dict(T=0.0), ValueError, "T"),
    (dict(T=float("nan")), ValueError, "T"),
    (dict(T=1e-320), ValueError, "T"),
    (dict(J="1"), TypeError, "J"),
    (dict(h=1j), TypeError, "h"),
    (dict(h=0.5, algorithm="wolff"), ValueError, "h"),
    (dict(J=-1.0, algorithm="wolff"), ValueError, "J"),
    (dict(J=1e300), ValueError, "J"),
    (dict(sweeps=0), ValueError, "sweeps"),
    (dict(sweeps=10, measure_every=6), ValueError, "measure_every"),
    (dict(burn_in=-1), ValueError, "burn_in"),
    (dict(measure_every=0), ValueError, "measure_every"),
    (dict(algorithm="heatbath"), ValueError, "algorithm"),
    (dict(algorithm=None), ValueError, "algorithm"),
    (dict(delta=4.0), ValueError, "delta"),
    (dict(delta=0.0), ValueError, "delta"),
    (dict(delta=0.5, algorithm="wolff"), ValueError, "delta"),
    (dict(init="up"), ValueError, "init"),
    (dict(init=np.zeros((3, 3))), ValueError, "init"),
    (dict(init=np.full((4, 4), np.nan)), ValueError, "init"),
    (dict(seed=-1), ValueError, "seed"),
])
def test_bad_inputs_name_the_parameter(kwargs, exc, name):
    args = dict(L=4, T=1.0, sweeps=10, burn_in=0)
    args.update(kwargs)
    L, T = args.pop("L"), args.pop("T")
    with pytest.raises(exc, match=name):
        simulate_xy(L, T, **args)


def test_bad_graph_inputs():
    with pytest.raises(TypeError, match="graph"):
        simulate_xy_graph("ring", 1.0, sweeps=10)
    G = nx.path_graph(3)
    nx.set_edge_attributes(G, -1.0, "w")
    with pytest.raises(ValueError, match="wolff"):
        simulate_xy_graph(G, 1.0, sweeps=10, algorithm="wolff", weight="w")
    with pytest.raises(ValueError, match="init"):
        simulate_xy_graph(G, 1.0, sweeps=10, init=[0.0, 1.0])


def test_memory_check(monkeypatch):
    monkeypatch.setenv("UTACBOOK_MEMORY_LIMIT", "1000000")
    with pytest.raises(MemoryError, match="simulate_xy"):
        simulate_xy(1024, 1.0, sweeps=10)
