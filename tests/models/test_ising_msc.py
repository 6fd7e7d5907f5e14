"""Tests of the multi-spin-coded Metropolis kernel (algorithm="metropolis_msc").

The lane-wise Bernoulli decisions are tested against binomial statistics
(frequency and independence of lanes), the packing against the scalar
counters, and the chain against Kaufman's exact finite-torus energy and
specific heat (4 sigma from the run's own error bars).
"""

import numpy as np
import pytest

from utacbook._kernels import ising as K
from utacbook.theory import _exact as exact
from utacbook._kernels.rng import make_streams
from utacbook.models import simulate_lattice

TC = exact.onsager_tc()


def bits(masks):
    return np.unpackbits(masks.view(np.uint8), bitorder="little").reshape(-1, 64)


@pytest.mark.parametrize("p", [0.0, 1e-3, 0.0183156388887342, 0.5, 0.7, 1 - 2 ** -20])
def test_bernoulli_masks_have_the_right_frequency_and_independent_lanes(p):
    st, _ = make_streams(3, 1)
    n = 20000
    b = bits(K.bernoulli_masks(st[0], np.uint64(int(p * 2 ** 53)), n)).astype(float)
    sd = np.sqrt(p * (1 - p) / b.size)
    assert abs(b.mean() - p) <= 4 * sd + 1e-15
    if 0 < p < 1:
        per_lane = b.mean(axis=0)  # every lane has the same p
        chi2 = np.sum((per_lane - p) ** 2) / (p * (1 - p) / n)
        assert chi2 < 64 + 4 * np.sqrt(2 * 64)
        both = (b[:, 0] * b[:, 1]).mean()  # lanes 0 and 1 independent
        assert abs(both - p * p) <= 4 * np.sqrt(p * p * (1 - p * p) / n)
        succ = (b[1:, 5] * b[:-1, 5]).mean()  # successive masks independent
        assert abs(succ - p * p) <= 4 * np.sqrt(p * p * (1 - p * p) / n)


def test_pack_unpack_and_counters_agree_with_the_scalar_lattice():
    rng = np.random.default_rng(0)
    for L in (128, 256):
        s = np.where(rng.random((L, L)) < 0.3, 1, -1).astype(np.int8)
        W = K.msc_pack(s)
        np.testing.assert_array_equal(K.msc_unpack(W), s)
        assert K.msc_counters(W) == K.counters(s)


@pytest.mark.parametrize("T,init", [(2.0, "up"), (TC, "random"), (2.5, "stripes")])
def test_msc_matches_kaufman(T, init):
    L = 128
    if init == "stripes":  # a state where every flip costs 0: must not cycle
        init = np.where(np.indices((L, L))[0] % 2, 1, -1).astype(np.int8)
    r = simulate_lattice(L, T, sweeps=20000, burn_in=2000, algorithm="metropolis_msc",
                         init=init, seed=3)
    k = exact.kaufman(L, T)
    for name, (val, err), ex in (("e", r.mean_energy, k["energy"]),
                                 ("C", r.specific_heat, k["specific_heat"])):
        assert abs(val - ex) <= 4 * err, (name, val, err, ex)


def test_msc_agrees_with_scalar_metropolis_on_abs_magnetisation():
    L, T = 128, 2.2
    a = simulate_lattice(L, T, sweeps=5000, burn_in=1000, algorithm="metropolis_msc",
                         init="up", seed=1)
    b = simulate_lattice(L, T, sweeps=5000, burn_in=1000, algorithm="metropolis",
                         init="up", seed=2)
    (x, dx), (y, dy) = a.abs_magnetization, b.abs_magnetization
    assert abs(x - y) <= 4 * np.hypot(dx, dy)


def test_msc_serial_parallel_and_thread_counts_identical(at_1_and_2_threads):
    L = 512
    s = np.where(np.random.default_rng(1).random((L, L)) < 0.5, 1, -1).astype(np.int8)
    out = []
    for run in (K.run_msc_serial, K.run_msc_parallel):
        states, _ = make_streams(4, L + 1)
        W = K.msc_pack(s)
        e, m = np.empty(5), np.empty(5)
        run(W, 1 / TC, 1.0, 2, states, e, m)
        out.append((W, e, m))
    for a, b in zip(*out):
        np.testing.assert_array_equal(a, b)
    runs = at_1_and_2_threads(lambda: simulate_lattice(L, TC, sweeps=5, burn_in=1,
                                                       algorithm="metropolis_msc", seed=9))
    np.testing.assert_array_equal(runs[0].spins, runs[1].spins)
    np.testing.assert_array_equal(runs[0].energy, runs[1].energy)


@pytest.mark.parametrize("kw,match", [
    (dict(L=64), "multiple of 128"), (dict(L=192), "multiple of 128"),
    (dict(h=0.1), "h"), (dict(h=np.linspace(0, 1, 10)), "h"),
    (dict(J=-1.0), "J"), (dict(J=0.0), "J"),
])
def test_msc_bad_input(kw, match):
    args = dict(L=128, T=2.0, sweeps=10, algorithm="metropolis_msc")
    args.update(kw)
    with pytest.raises(ValueError, match=match):
        simulate_lattice(args.pop("L"), args.pop("T"), **args)
