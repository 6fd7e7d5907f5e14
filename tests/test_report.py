"""utacbook.report: numbers for the prose."""

import numpy as np
import pytest

from utacbook.report import Text, format_pm, format_value, glue, glue_table


@pytest.mark.parametrize("v, e, sig, want", [
    (0.90961, 0.00061, 2, "0.90961 ± 0.00061"),
    (41.3, 2.71, 1, "41 ± 3"),
    (41.3, 2.71, 2, "41.3 ± 2.7"),
    (-1.38962, 0.0037, 2, "−1.3896 ± 0.0037"),
    (1.23456, 0.0996, 2, "1.23 ± 0.10"),      # the error rounds up to 0.10: two decimals
    (1234.5, 56.0, 2, "1234 ± 56"),
    (2.5, 0.0, 2, "2.5"),                      # exact
])
def test_format_pm(v, e, sig, want):
    assert format_pm(v, e, sig=sig) == want


def test_format_pm_rejects_bad_input():
    for args in ((np.nan, 0.1), (1.0, -0.1), (1.0, np.inf)):
        with pytest.raises(ValueError):
            format_pm(*args)
    with pytest.raises(TypeError):
        format_pm("1", 0.1)
    assert format_pm(np.float64(1.0), np.float32(0.5), unicode_minus=False) == "1.00 ± 0.50"


def test_format_value():
    assert format_value(0.012345) == "0.0123"
    assert format_value(-2.5, decimals=2) == "−2.50"
    assert format_value(np.int64(7)) == "7"
    assert format_value(1.5e-7) == "1.5 × 10⁻⁷"
    with pytest.raises(ValueError):
        format_value(np.inf)


def test_glue_outside_a_kernel_returns_what_it_would_glue():
    assert glue("a", np.float64(0.25)) == 0.25 and type(glue("a", np.float64(0.25))) is float
    t = glue("b", 40.2, err=2.9, sig=1)
    assert isinstance(t, Text) and t == "40 ± 3" and repr(t) == "40 ± 3"
    assert glue("c", 0.1234, fmt=".0%") == "12%"
    assert glue("d", "a text") == "a text"
    with pytest.raises(ValueError, match="name"):
        glue("has:colon", 1.0)
    with pytest.raises(ValueError, match="finite"):
        glue("e", np.nan)
    with pytest.raises(ValueError):
        glue("f", "text", err=0.1)
    assert glue_table("p", {"x": (1.0, 0.1), "n": 3}) == {"x": "1.00 ± 0.10", "n": 3}
