"""Tests of utacbook.social: two-block mean field, loop areas, budgets and physics checks.

Exact references: the two-block mean-field equations solved by direct
iteration, finite differences of an independently written free energy, the
Bethe T_c of utacbook.exact, shoelace areas of constructed loops, the exact
ring (transfer matrix) and Yang's spontaneous magnetisation.  Stochastic
checks use tolerances of 4 standard errors from the runs themselves.
"""

import math

import numpy as np
import pytest

from utacbook.stats import _curves as curves


def _free_energy(ma, mb, T, k_in, k_out):
    def s(x):
        p, q = (1 + x) / 2, (1 - x) / 2
        return -(p * math.log(p) + q * math.log(q))
    return -(k_in * (ma ** 2 + mb ** 2) + 2 * k_out * ma * mb) / 4 - T * (s(ma) + s(mb)) / 2


def _fake_lifetimes(T, tau, cps=None):
    cps = np.arange(1, 10001) if cps is None else np.asarray(cps)
    return {"temperatures": [np.asarray(T, float)], "tau": [np.asarray(tau, float)],
            "checkpoints": cps, "max_sweeps": int(cps[-1])}


# ------------------------------------------------------------------ loops and fits

def test_loop_area_of_rectangle_is_exact():
    # up branch along m = -1 from h = -1 to 1, down branch along m = +1 back: area 2 * 2 = 4
    h_up = np.linspace(-1, 1, 50)
    h = np.concatenate([h_up, h_up[::-1]])
    m = np.concatenate([-np.ones(50), np.ones(50)])
    assert curves.loop_area(h, m) == pytest.approx(4.0, abs=1e-12)
    # traversed the other way round the sign flips; a retraced path has no area
    assert curves.loop_area(h[::-1], m[::-1]) == pytest.approx(-4.0, abs=1e-12)
    assert curves.loop_area(h, np.tanh(3 * h)) == pytest.approx(0.0, abs=1e-12)
    assert curves.loop_area([0, 2, 2, 0], [0, 0, 3, 3]) == pytest.approx(6.0)
    with pytest.raises(ValueError, match="entries along its last axis"):
        curves.loop_area([0, 1, 2], [0, 1, 2, 3])
