"""Kernel tests of the XY engine (utacbook._kernels.xy): geometry, measurements, acceptance, threads."""

import math

import numpy as np
import pytest

from utacbook._kernels import xy as K
from utacbook.models import _xy as X
from utacbook.models import simulate_xy


def test_lattice_structure_is_the_torus_in_checkerboard_order():
    L = 6
    indptr, indices, weights, cb, cc, pos = X._lattice_structure(L)
    N = L * L
    assert sorted(pos.ravel().tolist()) == list(range(N))
    site = {int(pos[i, j]): (i, j) for i in range(L) for j in range(L)}
    for p in range(N):
        i, j = site[p]
        nb = {site[int(q)] for q in indices[indptr[p]:indptr[p + 1]]}
        assert nb == {((i + 1) % L, j), ((i - 1) % L, j), (i, (j + 1) % L), (i, (j - 1) % L)}
    # each chunk is one row of one colour; colours are the two checkerboard classes
    for k in range(2):
        for c in range(cc[k], cc[k + 1]):
            rows = {site[p][0] for p in range(cb[c], cb[c + 1])}
            colours = {sum(site[p]) % 2 for p in range(cb[c], cb[c + 1])}
            assert len(rows) == 1 and colours == {k}
    assert np.all(weights == 1.0)


def _measure(theta):
    L = theta.shape[0]
    *_, pos = X._lattice_structure(L)
    t = np.empty(L * L)
    t[pos.ravel()] = theta.ravel()
    out = np.empty(K.N_OBS)
    K.measure_lattice(t, np.cos(t), np.sin(t), L, pos, 1.0, 1.0, 0.0, out)
    return out


def test_measurements_of_known_states():
    L = 8
    e, mx, my, ups, nv = _measure(np.full((L, L), 0.3))
    assert e == pytest.approx(-2.0) and mx == pytest.approx(math.cos(0.3)) and my == pytest.approx(math.sin(0.3))
    assert ups == pytest.approx(1.0) and nv == 0.0          # Υ_t = J (C_x + C_y)/2N = J, S = 0
    # a uniform twist by 2π across the lattice along x: cos(2π/L) per x bond, S_x = N sin(2π/L)
    j = np.arange(L)
    theta = np.tile(2 * np.pi * j / L, (L, 1))
    e, mx, my, ups, nv = _measure(theta)
    c, s = math.cos(2 * np.pi / L), math.sin(2 * np.pi / L)
    N = L * L
    assert e == pytest.approx(-(c + 1))
    assert ups == pytest.approx((c + 1) / 2 - (N * s) ** 2 / (2 * N))
    assert abs(mx) < 1e-12 and nv == 0.0
    # one vortex-antivortex pair: the angle field of a vortex at one plaquette centre and an
    # antivortex at another has exactly two plaquettes with nonzero winding
    y, x = np.mgrid[0:L, 0:L].astype(float)
    theta = (np.arctan2(y - 1.5, x - 1.5) - np.arctan2(y - 5.5, x - 5.5)) % (2 * np.pi)
    assert _measure(theta)[4] * N == 2


def test_acceptance_of_independent_spins_matches_quadrature():
    # N free spins in a field h (J = 0), uniform proposals (δ = π): the acceptance rate is
    # (1/2π) ∫∫ p(θ) min(1, p(θ')/p(θ)) dθ dθ' with p ∝ exp(β h cos θ)
    T, h = 0.5, 1.0
    g = np.linspace(0, 2 * np.pi, 400, endpoint=False)
    p = np.exp(h / T * np.cos(g))
    p /= p.sum()
    # on the grid (p normalised to sum 1, dθ'/2π = 1/n): A = Σ_θ Σ_θ' min(p_θ, p_θ')/n
    exact = float(np.minimum(p[:, None], p[None, :]).sum() / len(g))
    import networkx as nx
    G = nx.empty_graph(2000)
    r = X.simulate_xy_graph(G, T, J=0.0, h=h, sweeps=200, burn_in=20, delta=math.pi, seed=4)
    acc = r.acceptance
    err = acc.std(ddof=1) / np.sqrt(acc.size)
    assert abs(acc.mean() - exact) < 4 * err
    assert r.delta == math.pi


def test_step_adaptation_reaches_the_target_rate():
    r = simulate_xy(16, 0.7, sweeps=200, burn_in=200, seed=5)
    assert 0 < r.delta < math.pi
    assert abs(r.acceptance.mean() - K.TARGET_ACCEPT) < 0.05       # adapted within a factor-2 clamp per step
    hot = simulate_xy(8, 50.0, sweeps=50, burn_in=50, seed=5)       # nearly free spins: uniform proposals
    assert hot.delta == math.pi and hot.acceptance.mean() > 0.9
    fixed = simulate_xy(8, 0.7, sweeps=50, burn_in=50, delta=0.4, seed=5)
    assert fixed.delta == 0.4


def test_serial_and_parallel_drivers_give_the_same_run():
    L = 8
    indptr, indices, weights, cb, cc, pos = X._lattice_structure(L)
    out = []
    for run in (K.run_metropolis_serial, K.run_metropolis_parallel):
        th = np.linspace(0, 6, L * L)
        cs, sn = np.cos(th), np.sin(th)
        samples = np.empty((30, K.N_OBS))
        acc = np.empty(30)
        d = run(th, cs, sn, indptr, indices, weights, cb, cc, 1.0, 1.0, 0.1, 1.0, True, 20, 30, 1,
                np.array([5, 7], dtype=np.uint64), samples, acc, 1, L, pos)
        out.append((th.copy(), samples.copy(), acc.copy(), d))
    assert np.array_equal(out[0][0], out[1][0]) and np.array_equal(out[0][1], out[1][1])
    assert np.array_equal(out[0][2], out[1][2]) and out[0][3] == out[1][3]


def test_bit_identical_at_1_and_2_threads(at_1_and_2_threads):
    # L = 64 uses the parallel driver (N >= _PARALLEL_MIN_N)
    assert 64 * 64 >= X._PARALLEL_MIN_N
    a, b = at_1_and_2_threads(lambda: simulate_xy(64, 0.9, sweeps=20, burn_in=20, seed=11))
    assert np.array_equal(a.theta, b.theta) and np.array_equal(a.energy, b.energy)
    assert np.array_equal(a.helicity, b.helicity) and a.delta == b.delta


def test_wolff_reflection_keeps_unit_vectors_and_angles_in_range():
    r = simulate_xy(8, 0.9, sweeps=200, burn_in=0, algorithm="wolff", seed=3)
    assert np.all((r.theta >= 0) & (r.theta < 2 * np.pi))
    # energy recomputed from the final angles equals the last sample
    e_last = _measure(r.theta)[0]
    assert e_last == pytest.approx(r.energy[-1], abs=1e-12)


def test_same_seed_same_run_different_seed_different_run():
    a = simulate_xy(8, 0.9, sweeps=20, burn_in=5, seed=1)
    b = simulate_xy(8, 0.9, sweeps=20, burn_in=5, seed=1)
    c = simulate_xy(8, 0.9, sweeps=20, burn_in=5, seed=2)
    assert np.array_equal(a.energy, b.energy) and not np.array_equal(a.energy, c.energy)
    w1 = simulate_xy(8, 0.9, sweeps=20, algorithm="wolff", seed=1)
    w2 = simulate_xy(8, 0.9, sweeps=20, algorithm="wolff", seed=1)
    assert np.array_equal(w1.theta, w2.theta)
