"""Checks of the built book that need no browser: glue, the intro's claims, run times.

* Every glued number rendered: no page shows ``{glue`` source text.
* The intro's claims tables cannot disagree with the chapters: every cell of a
  verdict is pasted from the chapter that computed it (cross-document glue),
  every claim of a source text that a chapter judges appears in the intro
  exactly once, and the intro names no claim that no chapter judges.
* Every chapter ran, succeeded and took under a minute (the execution table of
  ``book/build_report.md``).

Run after ``make book`` (``UTACBOOK_HTML_DIR`` names another build).
"""

from __future__ import annotations

import json
import os
import re
from collections import Counter
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
HTML_DIR = Path(os.environ.get("UTACBOOK_HTML_DIR", REPO / "_build" / "html")).resolve()
BUILD_DIR = HTML_DIR.parent
EXEC_DIR = BUILD_DIR / "jupyter_execute"
CHAPTERS = sorted(str(p.relative_to(REPO / "book").with_suffix("")) for p in (REPO / "book").rglob("*.ipynb")
                  if ".ipynb_checkpoints" not in p.parts)
MAX_SECONDS = 60.0
NO_BOOK = f"no built book at {HTML_DIR}: run `make book` first (or set UTACBOOK_HTML_DIR)"

INTRO_REF = re.compile(r"\{glue:text\}`([^`:]+)::claim\.([a-z0-9_.\-]+)\."
                       r"(claim|verdict|finding|measured|source)(?::s)?`")


def _text(plain: str) -> str:
    """text/plain of a glued value: strings glued with quotes lose them."""
    import ast
    try:
        v = ast.literal_eval(plain)
        return v if isinstance(v, str) else plain
    except (ValueError, SyntaxError):
        return plain


def glued_claims(exec_dir: Path) -> dict[str, dict[str, dict[str, str]]]:
    """``chapter -> claim id -> {field: text}`` from the glue caches of a build."""
    out: dict[str, dict[str, dict[str, str]]] = {}
    for path in sorted(exec_dir.rglob("*.glue.json")):
        chapter = str(path.relative_to(exec_dir).as_posix()).removesuffix(".glue.json").removeprefix("book/")
        data = json.loads(path.read_text(encoding="utf-8"))
        for key, value in data.items():
            m = re.match(r"^claim\.(.+)\.(claim|verdict|finding|measured|source)$", key)
            if m:
                plain = value.get("data", {}).get("text/plain", "")
                out.setdefault(chapter, {}).setdefault(m.group(1), {})[m.group(2)] = _text(plain)
    return out


def intro_references(intro_md: str) -> list[tuple[str, str, str]]:
    """``(chapter, claim id, field)`` for every claim cell pasted into the intro."""
    out = []
    for doc, cid, field in INTRO_REF.findall(intro_md):
        chapter = str(Path("book", doc).with_suffix("").as_posix()).removeprefix("book/")
        out.append((chapter, cid, field))
    return out


def intro_problems(glued, refs) -> list[str]:
    """Why the intro's claims tables could disagree with the chapters."""
    problems = []
    for chapter, cid, field in refs:
        if field not in glued.get(chapter, {}).get(cid, {}):
            problems.append(f"the intro pastes claim.{cid}.{field} from {chapter}, which does not glue it")
    verdict_refs = Counter((ch, cid) for ch, cid, f in refs if f == "verdict")
    for chapter, claims in glued.items():
        for cid, fields in claims.items():
            if fields.get("source") == "ours":
                continue
            n = verdict_refs.get((chapter, cid), 0)
            if n != 1:
                problems.append(f"claim {cid} ({chapter}, source {fields.get('source')}) has its verdict "
                                f"in the intro {n} times, not once")
    return problems


def test_intro_checks_catch_problems():
    glued = {"rg/01_quickstart": {"rg.qs.beta": {"verdict": "held", "source": "guide", "claim": "x"},
                                  "rg.qs.ours": {"verdict": "held", "source": "ours"}}}
    md = ("| {glue:text}`rg/01_quickstart.ipynb::claim.rg.qs.beta.claim` | "
          "{glue:text}`rg/01_quickstart.ipynb::claim.rg.qs.beta.verdict` |")
    assert intro_problems(glued, intro_references(md)) == []
    assert len(intro_problems(glued, intro_references(md + md))) == 1            # twice
    assert len(intro_problems(glued, intro_references(md.replace("beta.verdict", "beta.finding")))) == 2
    assert len(intro_problems(glued, intro_references(md.replace("qs.beta", "qs.gone")))) == 3


def test_intro_claims_come_from_the_chapters():
    if not EXEC_DIR.is_dir():
        pytest.skip(NO_BOOK)
    glued = glued_claims(EXEC_DIR)
    assert glued, f"no claims glued in any chapter under {EXEC_DIR}"
    refs = intro_references((REPO / "book" / "intro.md").read_text(encoding="utf-8"))
    problems = intro_problems(glued, refs)
    assert not problems, ("the intro's claims tables are out of date; after `make book`, run "
                          "`python tests/bookchecks.py --intro --write`:\n" + "\n".join(problems))


def html_pages(html_dir: Path) -> list[Path]:
    """The book's pages: not Sphinx's own folders (_static, _modules with highlighted sources, ...)."""
    return sorted(p for p in html_dir.rglob("*.html")
                  if not any(part.startswith("_") for part in p.relative_to(html_dir).parts[:-1]))


def unrendered_glue(html: str) -> list[str]:
    """Glue roles left as source text in a page's prose (code samples that show the syntax are fine)."""
    if not any(mark in html for mark in ("{glue", "&#123;glue", "&lbrace;glue", "&#x7b;glue", "&#x7B;glue")):
        return []          # most pages: nothing to parse (parsing all ~60 MB of pages took ~20 s)
    from bs4 import BeautifulSoup
    soup = BeautifulSoup(html, "html.parser")
    for tag in soup(["script", "style", "pre", "code"]):
        tag.decompose()
    text = soup.get_text(" ")
    return re.findall(r"\{glue(?::\w+)?\}[^\s]{0,40}", text)


def test_unrendered_glue_is_found():
    assert unrendered_glue("<p>β = {glue:text}`beta:.2f`</p><script>'{glue}'</script>") == ["{glue:text}`beta:.2f`"]
    assert unrendered_glue('<p>β = <span class="pasted-text">3.2</span></p>') == []
    assert unrendered_glue("<p>write <code>{glue:text}`beta`</code> in prose</p>") == []
    assert unrendered_glue("<p>β = &#123;glue:text}`beta`</p>") == ["{glue:text}`beta`"]


def test_every_glued_number_renders():
    pages = html_pages(HTML_DIR)
    if not pages:
        pytest.skip(NO_BOOK)
    bad = {str(p.relative_to(HTML_DIR)): found for p in pages
           if (found := unrendered_glue(p.read_text(encoding="utf-8")))}
    assert not bad, f"glue source text on built pages: {bad}"


def execution_rows(html: str) -> dict[str, tuple[float, bool]]:
    """``document -> (run time in s, succeeded)`` from the execution table of a page."""
    from bs4 import BeautifulSoup
    soup = BeautifulSoup(html, "html.parser")
    out = {}
    for table in soup.find_all("table"):
        heads = [th.get_text(strip=True) for th in table.find_all("th")]
        if "Run Time (s)" not in heads:
            continue
        i_doc, i_rt, i_ok = heads.index("Document"), heads.index("Run Time (s)"), heads.index("Status")
        for tr in table.find("tbody").find_all("tr"):
            cells = tr.find_all("td")
            link = cells[i_doc].find("a")
            doc = link["href"].split("#")[0].removesuffix(".html") if link else cells[i_doc].get_text(strip=True)
            rt = cells[i_rt].get_text(strip=True)
            out[doc] = (float(rt) if rt not in ("", "-") else float("nan"), "✅" in cells[i_ok].get_text())
    return out


def test_every_chapter_ran_in_under_a_minute():
    page = HTML_DIR / "book" / "build_report.html"
    if not page.is_file():
        pytest.skip(NO_BOOK)
    rows = execution_rows(page.read_text(encoding="utf-8"))
    ran = {doc: v for doc, v in rows.items()}
    missing = [c for c in CHAPTERS if c not in ran]
    assert not missing, f"chapters missing from the execution table: {missing} (found {sorted(ran)})"
    failed = [c for c in CHAPTERS if not ran[c][1]]
    assert not failed, f"chapters that failed: {failed}"
    slow = {c: ran[c][0] for c in CHAPTERS if not ran[c][0] < MAX_SECONDS}
    if slow:
        from utacbook._threads import usable_cpus

        times = ", ".join(f"{c} {ran[c][0]:.0f} s" for c in CHAPTERS)
        pytest.fail(f"chapters over {MAX_SECONDS:.0f} s: {slow}\nall chapters: {times}\nmachine: "
                    f"os.cpu_count() = {os.cpu_count()}, usable CPUs = {usable_cpus()}, "
                    f"NUMBA_NUM_THREADS = {os.environ.get('NUMBA_NUM_THREADS', 'unset')}, "
                    f"load average {os.getloadavg()}")
