"""Checks that keep the book's judgments honest and its numbers fresh.

Used by ``tests/test_book_prose.py`` (on the sources) and by
``tests/browser/test_built_book.py`` (on the built book).  Run on one chapter
while writing it::

    python tests/bookchecks.py book/ising/04_spin_glass.ipynb

and, after a book build, rewrite the intro's claims tables from the chapters' glue::

    python tests/bookchecks.py --intro --write

Two rules:

* **No typed verdicts.**  A claims table's verdict is computed by
  :mod:`utacbook.claims`; a chapter's code (or a study module) must not hold
  a verdict word as a string literal, a ``"verdict": ...`` entry or a
  ``verdict=...`` keyword, and its Markdown must not hold a table with a
  "verdict" column.
* **Numbers in prose come from the run.**  Every decimal number in a
  chapter's Markdown is either glued (``{glue:text}`key```), quoted from a
  source text (inside double quotes, "…" or “…”), code (inside backticks), or
  listed with its reason in the chapter's allow-list: notebook metadata
  ``{"utacbook": {"prose_numbers": {"2.269": "Onsager's exact T_c"}}}``, or
  for a Markdown page a front-matter key ``utacbook: {prose_numbers: {...}}``.
  Figure captions (cell metadata) are not prose and are not checked.
"""

from __future__ import annotations

import ast
import json
import re
import sys
from pathlib import Path

import yaml

#: verdict words that must not be typed (the verdict is computed)
VERDICT_RE = re.compile(
    r"^\s*\**\s*(held|holds|not reproduced|not tested|untested|not shown|code ≠ text|wording)\b",
    re.IGNORECASE)

DECIMAL_RE = re.compile(r"(?<![\w.{])\d+\.\d+")
# prose that is not a measured number of ours
_STRIP = [
    re.compile(r"^```.*?^```", re.DOTALL | re.MULTILINE),          # fenced code / directives
    re.compile(r"^:::.*?^:::", re.DOTALL | re.MULTILINE),          # colon fences
    re.compile(r"\{glue(?::\w+)?\}`[^`]*`"),                       # glued numbers
    re.compile(r"\{(?:cite|cite:p|cite:t|ref|numref|doc|eq|download|term)\}`[^`]*`"),
    re.compile(r"`[^`\n]*`"),                                      # inline code
    re.compile(r"\"[^\"\n]*\""),                                   # quoted "…"
    re.compile(r"“[^”]*”"),                                        # quoted “…”
    re.compile(r"\]\([^)]*\)"),                                    # link targets
    re.compile(r"https?://\S+"),
    re.compile(r"^\([\w\-]+\)=\s*$", re.MULTILINE),                # labels
]


def strip_prose(md: str) -> str:
    """Markdown with glued, quoted, cited and code spans removed."""
    for rx in _STRIP:
        md = rx.sub(" ", md)
    return md


def prose_numbers(md: str) -> list[str]:
    """Decimal numbers left in Markdown after :func:`strip_prose`."""
    return DECIMAL_RE.findall(strip_prose(md))


def prose_number_problems(md: str, allowed: dict | None) -> list[str]:
    """Decimal numbers that are neither glued, quoted nor allowed with a reason."""
    allowed = allowed or {}
    problems = []
    for num, reason in allowed.items():
        if not isinstance(reason, str) or not reason.strip():
            problems.append(f"allow-list entry {num!r} has no reason")
    found = prose_numbers(md)
    for num in sorted(set(found), key=found.index):
        if num not in allowed:
            problems.append(f"{num} ({found.count(num)}×) is typed in the prose: "
                            "glue it, quote it, or allow it with a reason")
    for num in allowed:
        if num not in found:
            problems.append(f"allow-list entry {num!r} does not occur in the prose (remove it)")
    return problems


def _is_docstring(node, parents):
    p = parents.get(node)
    if not isinstance(p, ast.Expr):
        return False
    gp = parents.get(p)
    body = getattr(gp, "body", None)
    return isinstance(gp, (ast.Module, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) and body and body[0] is p


def typed_verdict_problems_code(source: str, where: str = "") -> list[str]:
    """Verdict words typed in Python source: literals, ``"verdict": ...``, ``verdict=...``."""
    # IPython magics and shell escapes are not Python
    lines = [("pass" if ln.lstrip().startswith(("%", "!")) else ln) for ln in source.splitlines()]
    try:
        tree = ast.parse("\n".join(lines))
    except SyntaxError as exc:
        return [f"{where}: does not parse ({exc})"]
    parents = {}
    for node in ast.walk(tree):
        for child in ast.iter_child_nodes(node):
            parents[child] = node
    problems = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Dict):
            for k in node.keys:
                if isinstance(k, ast.Constant) and k.value == "verdict":
                    problems.append(f"{where}line {node.lineno}: a 'verdict' entry typed in a dict")
        elif isinstance(node, ast.keyword) and node.arg == "verdict":
            problems.append(f"{where}line {node.value.lineno}: a verdict passed as verdict=...")
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            if _is_docstring(node, parents):
                continue
            if VERDICT_RE.match(node.value):
                problems.append(f"{where}line {node.lineno}: verdict word typed as a literal: {node.value[:40]!r}")
    return problems


_GLUED_CELL = re.compile(r"^\s*(\{glue(?::\w+)?\}`[^`]*`\s*)*$")


def _row(line):
    cells = re.split(r"(?<!\\)\|", line.strip())
    return [c.strip() for c in cells[1:-1]]


def typed_verdict_problems_markdown(md: str, where: str = "") -> list[str]:
    """A Markdown table whose "verdict" column holds anything but glued values is typed."""
    problems = []
    lines = md.splitlines()
    i = 0
    while i < len(lines):
        line = lines[i]
        if line.strip().startswith("|") and i + 1 < len(lines) and re.match(r"^\s*\|[\s:\-|]+\|\s*$", lines[i + 1]):
            header = [h.lower() for h in _row(line)]
            cols = [k for k, h in enumerate(header) if re.search(r"\bverdict", h)]
            i += 2
            while i < len(lines) and lines[i].strip().startswith("|"):
                row = _row(lines[i])
                for k in cols:
                    if k < len(row) and not _GLUED_CELL.match(row[k]):
                        problems.append(f"{where}a typed verdict in a Markdown table: {row[k][:40]!r}")
                i += 1
            continue
        i += 1
    return problems


def notebook_markdown(nb: dict) -> str:
    return "\n\n".join("".join(c["source"]) for c in nb["cells"] if c.get("cell_type") == "markdown")


def notebook_problems(path: Path) -> dict[str, list[str]]:
    """Both checks on one chapter notebook."""
    nb = json.loads(Path(path).read_text(encoding="utf-8"))
    allowed = nb.get("metadata", {}).get("utacbook", {}).get("prose_numbers", {})
    verdicts = []
    for i, c in enumerate(nb["cells"]):
        src = "".join(c["source"])
        if c.get("cell_type") == "code":
            verdicts += typed_verdict_problems_code(src, f"cell {i} ")
        elif c.get("cell_type") == "markdown":
            verdicts += typed_verdict_problems_markdown(src, f"cell {i} ")
    return {"typed verdicts": verdicts,
            "prose numbers": prose_number_problems(notebook_markdown(nb), allowed)}


def markdown_page_problems(path: Path) -> dict[str, list[str]]:
    """Both checks on a Markdown page (allow-list in its front matter)."""
    text = Path(path).read_text(encoding="utf-8")
    allowed = {}
    m = re.match(r"^---\n(.*?)\n---\n", text, re.DOTALL)
    if m:
        front = yaml.safe_load(m.group(1)) or {}
        allowed = (front.get("utacbook") or {}).get("prose_numbers", {}) or {}
        text = text[m.end():]
    return {"typed verdicts": typed_verdict_problems_markdown(text),
            "prose numbers": prose_number_problems(text, {str(k): v for k, v in allowed.items()})}


def page_problems(path: Path) -> dict[str, list[str]]:
    path = Path(path)
    return notebook_problems(path) if path.suffix == ".ipynb" else markdown_page_problems(path)


#: the intro's generated tables sit between these MyST comment lines (``--intro --write``)
INTRO_MARKERS = ("% claims tables: generated by `python tests/bookchecks.py --intro --write` after a build; "
                 "do not edit",
                 "% end of the generated claims tables")

INTRO_SOURCES = {"guide": ("The RG Phase 2 user guide (Part I)", "the guide claims"),
                 "essay": ("The Ising enigma essay (Part II)", "the essay claims"),
                 "multiscale": ("The multiscale dynamics description (Part III)", "the text claims")}


def intro_tables(exec_dir: Path, toc_file: Path, labels: dict[str, str]) -> str:
    """The intro's claims tables, pasted from the chapters' glue (for ``book/intro.md``).

    Rows follow the table of contents and, within a chapter, the order of its claims
    table; every cell but the chapter link is a cross-document glue reference, so the
    intro cannot disagree with the chapters.  ``labels`` maps a chapter ("rg/01_quickstart")
    to its ``{ref}`` text and target.
    """
    import yaml as _yaml
    toc = _yaml.safe_load(toc_file.read_text(encoding="utf-8"))
    order = []

    def walk(items):
        for it in items or []:
            if "file" in it:
                order.append(it["file"].removeprefix("book/"))
            for k in ("parts", "chapters", "sections"):
                walk(it.get(k))
    walk(toc.get("parts"))
    rows = {k: [] for k in INTRO_SOURCES}
    for chapter in order:
        path = exec_dir / "book" / f"{chapter}.glue.json"
        if not path.is_file():
            continue
        data = json.loads(path.read_text(encoding="utf-8"))
        ids = []
        for key in data:
            m = re.match(r"^claim\.(.+)\.verdict$", key)
            if m:
                ids.append(m.group(1))
        for cid in ids:
            src = data.get(f"claim.{cid}.source", {}).get("data", {}).get("text/plain", "")
            src = src.strip("'\"")
            if src not in rows:
                continue
            ref = f"{{glue:text}}`{chapter}.ipynb::claim.{cid}"
            link = labels.get(chapter, f"{{doc}}`{chapter}`")
            # ":s" is needed: {glue:text} splits a format spec off at the last colon
            rows[src].append(f"| {ref}.claim:s` | {ref}.verdict:s` | {ref}.finding:s` | {link} |")
    out = []
    for src, (title, head) in INTRO_SOURCES.items():
        out += [f"### {title}", "", f"| {head} | verdict | what we find | chapter |", "|---|---|---|---|",
                *rows[src], ""]
    return "\n".join(out)


if __name__ == "__main__":  # pragma: no cover - a helper for chapter authors
    if sys.argv[1:2] == ["--intro"]:
        # the chapter links use the short names of the intro's own chapter map
        repo = Path(__file__).resolve().parents[1]
        intro = (repo / "book" / "intro.md").read_text(encoding="utf-8")
        names = dict((label, name) for name, label in re.findall(r"\{ref\}`([^<`]+?) <([\w\-]+)>`", intro))
        labels = {}
        for p in sorted((repo / "book").rglob("*.ipynb")):
            first = "".join(json.loads(p.read_text(encoding="utf-8"))["cells"][0]["source"])
            m = re.match(r"^\((\S+)\)=", first)
            if m:
                label = m.group(1)
                labels[str(p.relative_to(repo / "book").with_suffix(""))] = (
                    f"{{ref}}`{names[label]} <{label}>`" if label in names else f"{{ref}}`{label}`")
        tables = intro_tables(repo / "_build" / "jupyter_execute", repo / "_toc.yml", labels)
        if sys.argv[2:3] == ["--write"]:
            begin, end = INTRO_MARKERS
            i, j = intro.index(begin), intro.index(end)
            (repo / "book" / "intro.md").write_text(intro[:i + len(begin)] + "\n\n" + tables + "\n" + intro[j:],
                                                   encoding="utf-8")
        else:
            print(tables)
        sys.exit(0)
    status = 0
    for arg in sys.argv[1:]:
        for kind, probs in page_problems(Path(arg)).items():
            for p in probs:
                print(f"{arg}: {kind}: {p}")
                status = 1
    sys.exit(status)
