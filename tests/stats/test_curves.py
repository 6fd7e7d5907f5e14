"""Tests of utacbook.stats.loop_area: shoelace areas of constructed loops.
"""

import numpy as np
import pytest

from utacbook.stats import _curves as curves


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
