"""No typed verdicts, and no measured number typed into a chapter's prose.

Each check is also applied to deliberately bad input, so that a check that has
stopped working fails too.  The checks live in ``tests/bookchecks.py``
(``python tests/bookchecks.py book/<part>/<chapter>.ipynb`` runs them on one
chapter).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from bookchecks import (page_problems, prose_number_problems, prose_numbers,
                        typed_verdict_problems_code, typed_verdict_problems_markdown)

REPO = Path(__file__).resolve().parents[1]
PAGES = sorted(p for p in (REPO / "book").rglob("*") if p.suffix in (".ipynb", ".md")
               and ".ipynb_checkpoints" not in p.parts and p.name != "references.md")


def test_typed_verdicts_are_found():
    bad = ('rows = [{"quantity": "x", "verdict": "held"}]\nf(verdict="not reproduced")\ns = "held with caveats"\n'
           '%matplotlib inline')
    probs = typed_verdict_problems_code(bad)
    assert len(probs) == 5, probs          # dict entry, keyword, and the three literals
    good = ('"""held in a module docstring is fine"""\nimport utacbook.claims as uc\nj = claim.judge(m)\n'
            'print(j.verdict)')
    assert typed_verdict_problems_code(good) == []
    assert typed_verdict_problems_code("def f():\n    '''holds: a docstring'''\n    return 1") == []
    assert len(typed_verdict_problems_markdown(
        "| claim | verdict |\n|---|---|\n| a | held |\n| b | **not reproduced** |")) == 2
    assert typed_verdict_problems_markdown("| claim | value |\n|---|---|\n| a | held |") == []
    assert typed_verdict_problems_markdown(
        "| claim | verdict |\n|:--|:--|\n| a | {glue:text}`x.ipynb::claim.a.verdict` |") == []


def test_prose_numbers_are_found():
    md = ('We measure $\\beta =$ {glue:text}`beta:.2f`, the guide says "β = 3.25", '
          'code `n_steps=0.5` and {cite}`x2001`; but τ grows by 60.5 and 60.5 again, '
          'and $T_c = 2.269$.\n```python\nx = 1.5\n```\n')
    assert prose_numbers(md) == ["60.5", "60.5", "2.269"]
    probs = prose_number_problems(md, {"2.269": "Onsager's exact T_c", "9.9": "stale"})
    assert any(p.startswith("60.5 (2×)") for p in probs)
    assert any("'9.9' does not occur" in p for p in probs)
    assert not any(p.startswith("2.269") for p in probs)
    assert prose_number_problems("x = 0.5", {"0.5": ""}) == ["allow-list entry '0.5' has no reason"]


@pytest.mark.parametrize("page", PAGES, ids=[str(p.relative_to(REPO)) for p in PAGES])
def test_page_has_no_typed_verdicts(page):
    probs = page_problems(page)["typed verdicts"]
    assert not probs, "verdicts must be computed with utacbook.claims:\n" + "\n".join(probs)


@pytest.mark.parametrize("page", PAGES, ids=[str(p.relative_to(REPO)) for p in PAGES])
def test_page_prose_numbers_come_from_the_run(page):
    probs = page_problems(page)["prose numbers"]
    assert not probs, ("glue measured numbers (utacbook.report.glue + {glue:text}), quote the texts' "
                       "numbers, or allow-list constants with a reason:\n" + "\n".join(probs))


MODULES = sorted(p for p in (REPO / "utacbook").rglob("*.py") if p.name != "claims.py")
MODULE_IDS = [p.relative_to(REPO / "utacbook").as_posix() for p in MODULES]


@pytest.mark.parametrize("module", MODULES, ids=MODULE_IDS)
def test_study_modules_type_no_verdicts(module):
    rel = module.relative_to(REPO / "utacbook").as_posix()
    probs = typed_verdict_problems_code(module.read_text(encoding="utf-8"), f"{rel} ")
    assert not probs, "verdicts must be computed with utacbook.claims:\n" + "\n".join(probs)
