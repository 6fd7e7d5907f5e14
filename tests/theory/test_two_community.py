"""Tests of the two-community mean-field and Bethe theory (utacbook.theory).

Stochastic checks use tolerances of 4 standard errors from the runs themselves.
"""

import math

import numpy as np
import pytest

from utacbook.theory import _two_community as two_community


def _free_energy(ma, mb, T, k_in, k_out):
    def s(x):
        p, q = (1 + x) / 2, (1 - x) / 2
        return -(p * math.log(p) + q * math.log(q))
    return -(k_in * (ma ** 2 + mb ** 2) + 2 * k_out * ma * mb) / 4 - T * (s(ma) + s(mb)) / 2


# ------------------------------------------------------------------ two-block mean field

@pytest.mark.parametrize("k_in,k_out,T", [(7.0, 1.0, 4.0), (6.0, 2.0, 2.5), (5.0, 0.0, 3.0),
                                          (6.0, -2.0, 6.0), (4.0, 1.0, 2.0)])
def test_two_block_solutions_match_direct_iteration(k_in, k_out, T):
    ma = two_community.two_block_solution(T, k_in=k_in, k_out=k_out, kind="antisymmetric")
    ms = two_community.two_block_solution(T, k_in=k_in, k_out=k_out, kind="symmetric")
    if k_out >= 0:
        # (with k_out < 0 the symmetric state is unstable against polarisation and
        # rounding alone drives the iteration away from m_A = m_B)
        fs = two_community.two_block_fixed_point(T, k_in=k_in, k_out=k_out, m0=(1.0, 1.0))
        assert fs == pytest.approx([ms, ms], abs=1e-9)
    fa = two_community.two_block_fixed_point(T, k_in=k_in, k_out=k_out, m0=(1.0, -1.0))
    assert fa == pytest.approx([ma, -ma], abs=1e-9)
    # both satisfy the equations
    assert ma == pytest.approx(math.tanh((k_in - k_out) * ma / T), abs=1e-12)
    assert ms == pytest.approx(math.tanh((k_in + k_out) * ms / T), abs=1e-12)


def test_polarised_solution_exists_only_below_T_exist():
    k_in, k_out = 6.0, 1.5
    T_ex = k_in - k_out
    assert two_community.two_block_solution(T_ex * 1.01, k_in=k_in, k_out=k_out) == 0.0
    assert two_community.two_block_solution(T_ex * 0.99, k_in=k_in, k_out=k_out) > 0.0


def test_hessian_equals_finite_differences_of_free_energy():
    T, k_in, k_out = 3.0, 6.0, 1.0
    ma, mb = 0.6, -0.45
    H = two_community.two_block_hessian(ma, mb, T, k_in=k_in, k_out=k_out)
    e = 1e-4
    f = lambda a, b: _free_energy(a, b, T, k_in, k_out)  # noqa: E731
    faa = (f(ma + e, mb) - 2 * f(ma, mb) + f(ma - e, mb)) / e ** 2
    fab = (f(ma + e, mb + e) - f(ma + e, mb - e) - f(ma - e, mb + e) + f(ma - e, mb - e)) / (4 * e * e)
    fbb = (f(ma, mb + e) - 2 * f(ma, mb) + f(ma, mb - e)) / e ** 2
    assert H == pytest.approx(np.array([[faa, fab], [fab, fbb]]), abs=1e-5)


def test_block_parameter_validation():
    with pytest.raises(ValueError, match="T"):
        two_community.two_block_solution(-1.0)
    with pytest.raises(ValueError, match="kind"):
        two_community.two_block_solution(1.0, kind="sideways")
    with pytest.raises(ValueError, match="m0"):
        two_community.two_block_fixed_point(1.0, m0=(2.0, 0.0))
