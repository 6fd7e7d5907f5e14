"""Tests of the report helpers in utacbook.plotting."""

import numpy as np

from utacbook.plotting import claims_table, verdict


def test_claims_table_escapes_pipes_so_rows_keep_five_cells():
    text = claims_table([{"quantity": "alignment", "claim": "strong", "measured": "|m| = 0.965 ± 0.003",
                          "verdict": "held", "note": "a ⟨|m|⟩ note\nover two lines"}], display=False)
    row = text.splitlines()[2]
    cells = [c for c in row.split(" | ")]
    # unescaped pipes separate exactly five cells
    unescaped = row.replace("\\|", "")
    assert unescaped.count("|") == 6
    assert "\\|m\\| = 0.965" in row and "\n" not in row and cells[-2] == "held"


def test_verdict_uses_three_sigma_or_the_texts_tolerance():
    assert verdict(1.0, 1.2, 0.1) == "holds"
    assert verdict(1.0, 1.4, 0.1) == "not reproduced"
    assert verdict(1.0, 1.25, None, rel_tol=0.3) == "holds"
    assert verdict(1.0, float("nan"), 0.1) == "not reproduced"
    assert verdict(1.0, np.inf) == "not reproduced"
