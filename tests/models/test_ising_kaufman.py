"""The lattice engine against Kaufman's exact finite-torus results (L = 16, 32).

Energy and specific heat per spin at T = 2.0, T_c and 2.5 for every algorithm must
agree with `utacbook.theory.kaufman` within 4 standard errors, the errors coming from
the run itself (binning / jackknife with the integrated autocorrelation time).  With
36 such comparisons, a correct engine fails one by chance with probability ~0.2 %;
the seeds are fixed, so the outcome is reproducible.
"""

import pytest

from utacbook.theory import _exact as exact
from utacbook.models import simulate_lattice

TC = exact.onsager_tc()
# local algorithms decorrelate slowly near T_c (tau_int(e) ~ 40 sweeps at L = 32)
SWEEPS = {"wolff": 20000, "metropolis": 60000, "heatbath": 60000}


@pytest.mark.parametrize("algorithm", ["wolff", "metropolis", "heatbath"])
@pytest.mark.parametrize("L", [16, 32])
@pytest.mark.parametrize("T", [2.0, TC, 2.5])
def test_energy_and_specific_heat_match_kaufman(algorithm, L, T):
    r = simulate_lattice(L, T, sweeps=SWEEPS[algorithm], burn_in=1000, algorithm=algorithm,
                         seed=11)
    k = exact.kaufman(L, T)
    e, de = r.mean_energy
    c, dc = r.specific_heat
    # the error bars must be small enough for the comparison to mean something
    assert 0 < de < 0.01 and 0 < dc < 0.05 * k["specific_heat"], (de, dc)
    assert abs(e - k["energy"]) < 4 * de, (e, de, k["energy"])
    assert abs(c - k["specific_heat"]) < 4 * dc, (c, dc, k["specific_heat"])


def test_kaufman_comparison_can_fail():
    # the same comparison detects a 2 % error in the temperature
    r = simulate_lattice(16, 2.5 * 1.02, sweeps=20000, burn_in=1000, algorithm="wolff", seed=11)
    e, de = r.mean_energy
    assert abs(e - exact.kaufman(16, 2.5)["energy"]) > 4 * de
