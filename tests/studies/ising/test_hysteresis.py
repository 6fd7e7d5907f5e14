"""Tests of utacbook.studies.ising.hysteresis: field loops, remanence and antagonism loops.

Stochastic checks use tolerances of 4 standard errors from the runs themselves.
"""

import math

import numpy as np
import pytest

from utacbook.studies.ising import hysteresis as hyst
from utacbook.theory import _exact as exact
from utacbook.theory import _two_community as two_community


def test_antagonism_threshold_is_where_polarisation_loses_stability():
    T, k_in, k_out = 3.0, 6.0, 2.0
    w = hyst.antagonism_threshold(T, k_in=k_in, k_out=k_out)
    assert 0 < w < k_in / k_out
    assert two_community.polarised_stability(T, k_in=k_in, k_out=(w - 1e-6) * k_out)["stable"]
    assert not two_community.polarised_stability(T, k_in=k_in, k_out=(w + 1e-6) * k_out)["stable"]
    assert math.isnan(hyst.antagonism_threshold(7.0, k_in=k_in, k_out=k_out))


def test_fit_power_law_recovers_exponent():
    x = np.geomspace(0.01, 1, 7)
    y = 3.0 * x ** 0.7
    f = hyst.fit_power_law(x, y, 0.02 * y)
    assert f["b"] == pytest.approx(0.7, abs=1e-10)
    assert f["a"] == pytest.approx(3.0, rel=1e-10)
    # noisy data: the exponent lies within 4 of its own error bars
    rng = np.random.default_rng(1)
    yn = y * (1 + 0.02 * rng.standard_normal(x.size))
    g = hyst.fit_power_law(x, yn, 0.02 * y)
    assert abs(g["b"] - 0.7) < 4 * g["b_err"]


def test_hysteresis_loop_chains_branches_and_closes():
    r = hyst.network_hysteresis_loop(16, 1.5, h_max=2.0, sweeps_per_branch=60, seed=3)
    assert r["h_up"][0] == -2.0 and r["h_down"][0] == 2.0
    assert r["m_up"][0] < -0.9 and r["m_up"][-1] > 0.9 and r["m_down"][-1] < -0.9
    assert r["area"] > 0
    # reproducible
    assert hyst.network_hysteresis_loop(16, 1.5, h_max=2.0, sweeps_per_branch=60, seed=3)["area"] == r["area"]


def test_remanence_below_tc_equals_yang_and_vanishes_above():
    res = hyst.remanence(32, temperatures=(1.8, 3.5), ramp_sweeps=50, hold_sweeps=300, n_seeds=4, seed=7)
    m0 = exact.yang_magnetization(1.8)
    assert abs(res["m_rem"][0] - m0) < 4 * res["m_rem_err"][0] + 1e-3
    # above T_c the field-induced order relaxes away: zero within 4 s.e.m.
    assert abs(res["m_rem"][1]) < 4 * res["m_rem_err"][1]
    assert res["m_field"][1] > 0.2  # while the field was on, it was magnetised


# ------------------------------------------------------------------ antagonism window and rate exponents

def test_antagonism_window_interpolates_both_branches():
    w = np.linspace(-1, 1, 5)                       # -1, -0.5, 0, 0.5, 1
    up = np.array([1.0, 1.0, 0.9, 0.1, 0.0])         # crosses 1/2 going up in w at w = 0.25
    down = np.array([1.0, 0.7, 0.3, 0.0, 0.0])       # crosses 1/2 coming down in w at w = -0.25
    loop = {"w": w, "P_all": np.stack([np.stack([up, up]), np.stack([down, down])])}
    win = hyst.antagonism_window(loop)
    assert win["w_lost"] == pytest.approx(0.25) and win["w_regained"] == pytest.approx(-0.25)
    assert win["half_width"] == pytest.approx(0.25) and win["n"] == 2


def test_antagonism_loop_reports_per_seed_branches():
    al = hyst.antagonism_loop(block_size=60, k_in=5.0, k_out=1.0, T=1.5, n_w=5, sweeps_per_step=10,
                            n_seeds=2, seed=3)
    assert al["P_all"].shape == (2, 2, 5)
    assert np.allclose(al["P_all"][0].mean(axis=0), al["P_up"])
    assert al["areas"].shape == (2,) and al["area"] == pytest.approx(al["areas"].mean())


def test_rate_exponent_is_exact_for_a_power_law():
    b, e = hyst.rate_exponent(2.0, 0.02, 2.0 * 4 ** -0.3, 0.01, 4.0)
    assert b == pytest.approx(0.3, abs=1e-12)
    assert e == pytest.approx(math.hypot(0.01, 0.01 / (2.0 * 4 ** -0.3)) / math.log(4))
    with pytest.raises(ValueError):
        hyst.rate_exponent(1.0, 0.1, -0.1, 0.1, 4.0)
