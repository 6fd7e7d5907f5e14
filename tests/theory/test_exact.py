"""Tests of utacbook.exact: the exact references of the Ising engine.

Every closed form is checked against an independent route: Kaufman's finite
torus against brute-force enumeration (and, at large L, against Onsager's
infinite lattice and the Ferdinand-Fisher ln L growth of the specific-heat
peak), Curie-Weiss and the transfer-matrix ring against enumeration of the
same graphs, Onsager's closed-form specific heat against a numerical
derivative of his energy.
"""

import math

import networkx as nx
import numpy as np
import pytest
import scipy.sparse as sp
from scipy.optimize import minimize_scalar

from utacbook.theory import _exact as ex

TC = 2.0 / math.log1p(math.sqrt(2.0))
OBS = ["log_z", "energy", "magnetization", "abs_magnetization", "m2", "m4",
       "specific_heat", "susceptibility", "susceptibility_h0",
       "susceptibility_connected", "binder"]


def torus_couplings(L, M, J=1.0):
    """L (columns) x M (rows) periodic square lattice, built independently of the module."""
    G = nx.MultiGraph()
    G.add_nodes_from(range(L * M))
    for r in range(M):
        for c in range(L):
            i = r * L + c
            G.add_edge(i, r * L + (c + 1) % L)
            G.add_edge(i, ((r + 1) % M) * L + c)
    A = np.zeros((L * M, L * M))
    for a, b in G.edges():
        A[a, b] += J
        A[b, a] += J
    return A


def close(a, b, rel):
    return abs(a - b) <= rel * max(abs(a), abs(b), 1e-300)


# --------------------------------------------------------------------------
# Onsager, Yang
# --------------------------------------------------------------------------


def test_onsager_tc_value():
    assert ex.onsager_tc() == pytest.approx(2.269185314213022, rel=1e-14)
    assert ex.onsager_tc(J=2.5) == pytest.approx(2.5 * 2.269185314213022, rel=1e-14)
    # sinh(2 J / T_c) = 1 is the self-dual point
    assert math.sinh(2.0 / ex.onsager_tc()) == pytest.approx(1.0, rel=1e-14)


def test_yang_limits_and_exponent():
    assert ex.yang_magnetization(0.05) == pytest.approx(1.0, abs=1e-12)
    assert ex.yang_magnetization(TC) == 0.0
    assert ex.yang_magnetization(TC * (1 - 1e-12)) < 0.05
    assert np.all(ex.yang_magnetization([TC * 1.0001, 3.0, 10.0]) == 0.0)
    m = ex.yang_magnetization(np.array([1.0, 2.0, 2.2]))
    assert np.all(np.diff(m) < 0) and np.all((m > 0) & (m < 1))
    # beta = 1/8 from the log-log slope close to T_c
    t = np.array([1e-7, 1e-6, 1e-5])
    slope = np.polyfit(np.log(t), np.log(ex.yang_magnetization(TC * (1 - t))), 1)[0]
    assert slope == pytest.approx(0.125, abs=2e-4)
    # J scales temperatures
    assert ex.yang_magnetization(4.0, J=2.0) == pytest.approx(ex.yang_magnetization(2.0), rel=1e-14)


def test_infinite_lattice_energy_known_values():
    assert ex.infinite_lattice_energy(TC) == pytest.approx(-math.sqrt(2.0), rel=1e-12)
    assert ex.infinite_lattice_energy(0.1) == pytest.approx(-2.0, rel=1e-12)
    # high-temperature series u = -2 tanh K (1 + O(K^4 ...)) -> -2K at small K
    assert ex.infinite_lattice_energy(1000.0) == pytest.approx(-2e-3, rel=1e-5)
    # continuous across T_c
    assert ex.infinite_lattice_energy(TC * (1 + 1e-9)) == pytest.approx(-math.sqrt(2), abs=1e-6)


def test_infinite_lattice_specific_heat_vs_derivative_of_energy():
    T = np.array([0.8, 1.5, 2.0, 2.2, 2.26, 2.28, 2.4, 3.0, 6.0])
    d = 1e-5 * T
    num = (ex.infinite_lattice_energy(T + d) - ex.infinite_lattice_energy(T - d)) / (2 * d)
    c = ex.infinite_lattice_specific_heat(T)
    np.testing.assert_allclose(c, num, rtol=1e-6)
    # logarithmic divergence, amplitude (8/pi) K_c^2 on both sides
    amp = 8.0 / math.pi * (0.5 * math.log1p(math.sqrt(2))) ** 2
    for sgn in (-1, 1):
        c1, c2 = ex.infinite_lattice_specific_heat(TC * (1 + sgn * np.array([1e-4, 1e-8])))
        assert (c2 - c1) / math.log(1e4) == pytest.approx(amp, rel=1e-3)
    assert ex.infinite_lattice_specific_heat(TC) > 15


# --------------------------------------------------------------------------
# Kaufman
# --------------------------------------------------------------------------


@pytest.mark.parametrize("L", [2, 3, 4])
def test_kaufman_vs_enumeration_square(L):
    T = np.array([0.7, 1.5, 2.0, TC, 2.5, 3.5, 10.0])
    k = ex.kaufman(L, T)
    e = ex.enumerate_lattice(L, T)
    for key in ("log_z", "energy", "specific_heat"):
        for a, b in zip(k[key], e[key]):
            assert close(a, b, 1e-10), (L, key, a, b)


@pytest.mark.parametrize("L,M", [(3, 4), (4, 3), (2, 5), (5, 3)])
def test_kaufman_vs_enumeration_rectangles(L, M):
    A = torus_couplings(L, M)
    for T in (1.2, TC, 3.0):
        k = ex.kaufman(L, T, M=M)
        e = ex.enumerate_graph(A, T)
        for key in ("log_z", "energy", "specific_heat"):
            assert close(k[key], e[key], 1e-10), (L, M, T, key, k[key], e[key])


def test_kaufman_j_scaling_and_wrappers():
    a = ex.kaufman(8, 3.0, J=1.5)
    b = ex.kaufman(8, 2.0)
    assert a["energy"] == pytest.approx(1.5 * b["energy"], rel=1e-13)
    assert a["specific_heat"] == pytest.approx(b["specific_heat"], rel=1e-13)
    assert ex.kaufman_log_z(8, 2.0) == b["log_z"]
    assert ex.kaufman_energy(8, 2.0) == b["energy"]
    assert ex.kaufman_specific_heat(8, 2.0) == b["specific_heat"]


def test_kaufman_large_L_approaches_onsager():
    """Away from T_c the finite torus converges exponentially fast (e^{-L/xi})."""
    for T in (1.5, 2.0, 2.6, 3.5):
        u_inf = ex.infinite_lattice_energy(T)
        dev = [abs(ex.kaufman_energy(L, T) - u_inf) for L in (8, 16, 256)]
        assert dev[2] < 1e-11, (T, dev)
        assert dev[1] < dev[0], (T, dev)
        # specific heat converges too
        assert ex.kaufman_specific_heat(256, T) == pytest.approx(
            ex.infinite_lattice_specific_heat(T), rel=1e-9)
    # at T_c the correction is a power of 1/L, not exponential: still visible at L = 256
    d256 = ex.kaufman_energy(256, TC) + math.sqrt(2)
    assert 1e-5 < abs(d256) < 1e-2


def test_kaufman_specific_heat_peak_grows_like_ln_L():
    """Ferdinand & Fisher: C_max(L) ~ (8/pi) K_c^2 ln L, K_c = ln(1+sqrt2)/2."""
    Ls = np.array([32, 64, 128, 256])
    cmax, tmax = [], []
    for L in Ls:
        r = minimize_scalar(lambda T, L=L: -ex.kaufman_specific_heat(int(L), T),
                            bounds=(2.2, 2.4), method="bounded", options={"xatol": 1e-8})
        cmax.append(-r.fun)
        tmax.append(r.x)
    slope = np.polyfit(np.log(Ls), cmax, 1)[0]
    theory = 8.0 / math.pi * (0.5 * math.log1p(math.sqrt(2))) ** 2  # 0.4945
    assert slope == pytest.approx(theory, rel=0.10)
    # the peak sits above T_c and approaches it
    assert np.all(np.array(tmax) > TC) and np.all(np.diff(tmax) < 0)


# --------------------------------------------------------------------------
# enumeration, Curie-Weiss, ring
# --------------------------------------------------------------------------


def test_enumeration_single_spin_and_dimer():
    # one spin in a field: <m> = tanh(h/T)
    r = ex.enumerate_graph(np.zeros((1, 1)), 1.3, h=0.4)
    assert r["magnetization"] == pytest.approx(math.tanh(0.4 / 1.3), rel=1e-14)
    assert r["log_z"] == pytest.approx(math.log(2 * math.cosh(0.4 / 1.3)), rel=1e-14)
    # antiferromagnetic dimer at h = 0: Z = 2e^{K} + 2e^{-K} with K = J/T, J < 0
    A = np.array([[0.0, -0.7], [-0.7, 0.0]])
    r = ex.enumerate_graph(sp.csr_matrix(A), 0.9)
    K = -0.7 / 0.9
    assert r["log_z"] == pytest.approx(math.log(2 * math.exp(K) + 2 * math.exp(-K)), rel=1e-14)
    assert r["energy"] == pytest.approx(0.7 * math.tanh(K) / 2, rel=1e-13)  # -J<s1 s2>/2


def test_enumeration_lattice_low_and_high_T():
    r = ex.enumerate_lattice(4, 0.2)
    assert r["energy"] == pytest.approx(-2.0, abs=1e-12)
    assert r["abs_magnetization"] == pytest.approx(1.0, abs=1e-12)
    assert r["binder"] == pytest.approx(2.0 / 3.0, abs=1e-12)
    r = ex.enumerate_lattice(4, 1e6)
    assert r["m2"] == pytest.approx(1.0 / 16, rel=1e-5)          # independent spins
    assert r["binder"] == pytest.approx(1 - (3 * 16**2 - 2 * 16) / 16**4 / (3 / 16**2), rel=1e-4)
    assert r["susceptibility_h0"] * 1e6 == pytest.approx(1.0, rel=1e-5)
    # at h = 0 the connected susceptibility is the zero-field one
    r = ex.enumerate_lattice(3, 2.0)
    assert r["susceptibility_connected"] == pytest.approx(r["susceptibility_h0"], rel=1e-12)
    assert r["susceptibility"] < r["susceptibility_h0"]


def test_enumeration_networkx_graph_and_per_node_field():
    G = nx.petersen_graph()
    for a, b in G.edges():
        G[a][b]["weight"] = -1.0 if (a + b) % 3 == 0 else 0.8
    h = np.linspace(-0.5, 0.5, 10)
    r1 = ex.enumerate_graph(G, 1.7, h=h)
    A = nx.to_numpy_array(G, weight="weight")
    r2 = ex.enumerate_graph(A, 1.7, h=h)
    assert r1 == r2
    # brute force by an independent plain loop over all 1024 states
    import itertools
    T, N = 1.7, 10
    Z = 0.0
    mom = np.zeros(7)  # E, E^2, m, |m|, m^2, m^4 weighted sums
    for s in itertools.product((-1, 1), repeat=N):
        s = np.array(s, float)
        E = -0.5 * s @ A @ s - h @ s
        m = s.mean()
        w = math.exp(-E / T)
        Z += w
        mom += w * np.array([E, E * E, m, abs(m), m * m, m ** 4, 0.0])
    E1, E2, m1, am, m2, m4, _ = mom / Z
    ref = {"log_z": math.log(Z), "energy": E1 / N, "magnetization": m1,
           "abs_magnetization": am, "m2": m2, "m4": m4,
           "specific_heat": (E2 - E1 ** 2) / N / T ** 2,
           "susceptibility": N * (m2 - am ** 2) / T, "susceptibility_h0": N * m2 / T,
           "susceptibility_connected": N * (m2 - m1 ** 2) / T,
           "binder": 1 - m4 / (3 * m2 ** 2)}
    for key in OBS:
        assert r1[key] == pytest.approx(ref[key], rel=1e-9), key


@pytest.mark.parametrize("N", [2, 5, 8, 12])
def test_curie_weiss_vs_enumeration(N):
    J = 1.3
    A = np.full((N, N), J / N)
    np.fill_diagonal(A, 0.0)
    for T, h in ((0.6, 0.0), (1.3, 0.0), (2.0, 0.25), (0.9, -0.1)):
        cw = ex.curie_weiss(N, T, J=J, h=h)
        en = ex.enumerate_graph(A, T, h=h)
        for key in OBS:
            assert close(cw[key], en[key], 1e-10) or abs(cw[key] - en[key]) < 1e-13, (N, T, h, key)


def test_curie_weiss_large_N_mean_field_limit():
    # N = 10^5 at T = 0.5 J: <|m|> -> the root of m = tanh(m/T)
    r = ex.curie_weiss(100_000, 0.5)
    m = 1.0
    for _ in range(200):
        m = math.tanh(m / 0.5)
    assert r["abs_magnetization"] == pytest.approx(m, abs=1e-4)
    assert np.isfinite(r["log_z"])


@pytest.mark.parametrize("N", [2, 3, 6, 11])
def test_ring_vs_enumeration(N):
    A = np.zeros((N, N))
    for i in range(N):
        A[i, (i + 1) % N] += 1.0
        A[(i + 1) % N, i] += 1.0
    for J, h, T in ((1.0, 0.0, 1.0), (1.0, 0.3, 0.7), (-0.8, 0.5, 1.1), (0.5, -1.2, 2.5), (2.0, 0.0, 0.3)):
        r = ex.ring(N, T, J=J, h=h)
        e = ex.enumerate_graph(J * A, T, h=h)
        for key in r:
            # second derivatives of ln Z carry an absolute error ~1e-13 (see ring's docstring)
            assert close(r[key], e[key], 1e-10) or abs(r[key] - e[key]) < 1e-12, (N, J, h, T, key, r[key], e[key])


def test_ring_large_N_thermodynamic_limit():
    T = 1.4
    r = ex.ring(10_000, T, J=1.0, h=0.0)
    assert r["energy"] == pytest.approx(-math.tanh(1.0 / T), rel=1e-10)
    assert r["susceptibility_connected"] == pytest.approx(math.exp(2.0 / T) / T, rel=1e-8)


# --------------------------------------------------------------------------
# network T_c estimates
# --------------------------------------------------------------------------


def test_network_tc_regular_and_sequence():
    G = nx.random_regular_graph(4, 30, seed=1)
    assert ex.mean_field_tc(G) == pytest.approx(4.0, rel=1e-14)
    assert ex.bethe_tc(G) == pytest.approx(2.0 / math.log(2.0), rel=1e-14)
    assert ex.bethe_tc(G) == pytest.approx(2.8853900817779268, rel=1e-14)
    assert ex.bethe_tc([3] * 10, J=2.0) == pytest.approx(4.0 / math.log(3.0), rel=1e-14)
    # degrees 1..4: <k> = 2.5, <k^2> = 7.5, kappa = 3
    assert ex.mean_field_tc([1, 2, 3, 4]) == pytest.approx(3.0, rel=1e-14)
    assert ex.bethe_tc(np.array([1, 2, 3, 4])) == pytest.approx(2.0 / math.log(3.0), rel=1e-14)
    # tanh(J/T_c) = 1/(kappa - 1) is the same statement
    assert math.tanh(1.0 / ex.bethe_tc([1, 2, 3, 4])) == pytest.approx(0.5, rel=1e-13)
    # a ring (kappa = 2) has no finite-temperature transition
    assert ex.bethe_tc(nx.cycle_graph(10)) == 0.0
    assert ex.bethe_tc([3] * 10) < ex.mean_field_tc([3] * 10)


# --------------------------------------------------------------------------
# bad input
# --------------------------------------------------------------------------


@pytest.mark.parametrize("call,name", [
    (lambda: ex.yang_magnetization(0.0), "T"),
    (lambda: ex.yang_magnetization([1.0, -1.0]), "T"),
    (lambda: ex.infinite_lattice_energy(float("nan")), "T"),
    (lambda: ex.onsager_tc(J=-1.0), "J"),
    (lambda: ex.kaufman(1, 2.0), "L"),
    (lambda: ex.kaufman(4, 2.0, M=1), "M"),
    (lambda: ex.kaufman(4, -2.0), "T"),
    (lambda: ex.kaufman(4, [2.0, float("inf")]), "T"),
    (lambda: ex.kaufman(4, 2.0, J=0.0), "J"),
    (lambda: ex.enumerate_lattice(5, 2.0), "L"),
    (lambda: ex.enumerate_lattice(1, 2.0), "L"),
    (lambda: ex.enumerate_lattice(3, 0.0), "T"),
    (lambda: ex.enumerate_lattice(3, 1.0, h=float("nan")), "h"),
    (lambda: ex.enumerate_graph(np.array([[0, 1.0], [0.5, 0]]), 1.0), "adjacency"),
    (lambda: ex.enumerate_graph(np.ones((2, 3)), 1.0), "adjacency"),
    (lambda: ex.enumerate_graph(np.array([[1.0, 1.0], [1.0, 0]]), 1.0), "adjacency"),
    (lambda: ex.enumerate_graph(np.array([[0, np.nan], [np.nan, 0]]), 1.0), "adjacency"),
    (lambda: ex.enumerate_graph(np.zeros((21, 21)), 1.0), "adjacency"),
    (lambda: ex.enumerate_graph(np.zeros((3, 3)), 1.0, h=[0.1, 0.2]), "h"),
    (lambda: ex.enumerate_graph(np.zeros((3, 3)), 1.0, h=[0.1, np.nan, 0.2]), "h"),
    (lambda: ex.curie_weiss(0, 1.0), "N"),
    (lambda: ex.curie_weiss(5, float("nan")), "T"),
    (lambda: ex.ring(1, 1.0), "N"),
    (lambda: ex.ring(5, 1.0, h=float("inf")), "h"),
    (lambda: ex.mean_field_tc([0, 0, 0]), "degrees_or_graph"),
    (lambda: ex.bethe_tc([1, -2, 3]), "degrees_or_graph"),
    (lambda: ex.bethe_tc([2, 3], J=float("nan")), "J"),
])
def test_bad_input_names_parameter(call, name):
    with pytest.raises(ValueError, match=name):
        call()


def test_bad_types():
    with pytest.raises(TypeError, match="L"):
        ex.kaufman(4.0, 2.0)
    with pytest.raises(TypeError, match="T"):
        ex.enumerate_lattice(3, "hot")
    with pytest.raises(TypeError, match="N"):
        ex.curie_weiss(True, 1.0)


@pytest.mark.parametrize("L", [32, 48, 64, 128])
def test_kaufman_at_high_temperature_equals_the_infinite_lattice(L):
    """Regression: scipy 1.17's signed logsumexp returned nan when the largest of the four
    Kaufman terms had a negative weight, and kaufman() raised for L >= 32 above T ~ 3-5.
    Far above T_c the correlation length is ~1, so the torus energy equals Onsager's to
    ~exp(-L/xi); the specific heat likewise."""
    T = np.linspace(4.0, 12.0, 81)  # xi(T=4) ~ 1.1: finite-size terms ~exp(-L/xi) < 1e-12
    k = ex.kaufman(L, T)
    np.testing.assert_allclose(k["energy"], ex.infinite_lattice_energy(T), rtol=0, atol=1e-9)
    np.testing.assert_allclose(k["specific_heat"], ex.infinite_lattice_specific_heat(T),
                               rtol=0, atol=1e-7)


def test_onsager_low_temperature_limit_is_exact_not_nan():
    """Below T ~ 0.006 cosh^2 2K overflows; the ground state is then exact to double precision."""
    import warnings
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert ex.infinite_lattice_energy(0.005) == -2.0
        assert ex.infinite_lattice_specific_heat(0.005) == 0.0
        u = ex.infinite_lattice_energy(np.array([1.0, 0.005, 1e-6]))
    assert np.all(np.isfinite(u)) and u[1] == u[2] == -2.0 and u[0] > -2.0


def test_kaufman_refuses_temperatures_below_double_precision():
    with pytest.raises(ValueError, match=r"T = 0\.002 is too low"):
        ex.kaufman(16, 0.002)
