"""Checks on the repository itself: chapters, table of contents, environments, config.

Each check is a small function that returns a list of problems; every test
applies it to the real repository *and* to a deliberately bad input, so that a
check that has silently stopped working fails too.
"""

from __future__ import annotations

import ast
import json
import re
from pathlib import Path

import pytest
import yaml

try:  # Python >= 3.11
    import tomllib
except ModuleNotFoundError:  # pragma: no cover - Python 3.10
    tomllib = pytest.importorskip("tomli")

REPO = Path(__file__).resolve().parents[1]
BOOK = REPO / "book"

# Packages whose conda-forge name differs from the PyPI name (PyPI -> conda).
CONDA_NAMES: dict[str, str] = {}
# Entries of environment.yml that are not project requirements.
ENV_IGNORED = {"python", "pip"}


# --------------------------------------------------------------------------- helpers


def book_files(suffixes=(".ipynb", ".md")) -> list[Path]:
    """Source files under book/, without Jupyter checkpoints."""
    return sorted(
        p
        for p in BOOK.rglob("*")
        if p.suffix in suffixes and p.is_file() and ".ipynb_checkpoints" not in p.parts
    )


def notebook_problems(nb: dict) -> list[str]:
    """Why a notebook dict is not clean enough to commit (empty list if it is)."""
    problems = []
    if "widgets" in nb.get("metadata", {}):
        problems.append("notebook metadata holds widget state ('widgets')")
    for i, cell in enumerate(nb.get("cells", [])):
        if "widgets" in cell.get("metadata", {}):
            problems.append(f"cell {i}: widget state in cell metadata")
        if cell.get("cell_type") != "code":
            continue
        if cell.get("outputs"):
            problems.append(f"cell {i}: has {len(cell['outputs'])} output(s)")
        if cell.get("execution_count") is not None:
            problems.append(f"cell {i}: execution_count is {cell['execution_count']}")
    return problems


def toc_entries(toc: dict) -> list[str]:
    """Every `file:` entry of a jb-book/jb-article table of contents, root first."""
    entries = [toc["root"]]

    def walk(items):
        for item in items or []:
            if "file" in item:
                entries.append(item["file"])
            for key in ("parts", "chapters", "sections"):
                walk(item.get(key))

    for key in ("parts", "chapters", "sections"):
        walk(toc.get(key))
    return entries


def toc_problems(entries: list[str], files: list[str]) -> list[str]:
    """Compare toc entries (no suffix) with files on disk (repo-relative, with suffix)."""
    problems = []
    stems = {str(Path(f).with_suffix("")): f for f in files}
    for entry in entries:
        stem = str(Path(entry).with_suffix("")) if Path(entry).suffix in (".md", ".ipynb") else entry
        if stem not in stems:
            problems.append(f"toc entry {entry!r} has no .md/.ipynb file")
    listed = {str(Path(e).with_suffix("")) if Path(e).suffix in (".md", ".ipynb") else e for e in entries}
    for stem, f in stems.items():
        if stem not in listed:
            problems.append(f"{f} is not listed in _toc.yml")
    dupes = {e for e in entries if entries.count(e) > 1}
    problems += [f"toc entry {e!r} is listed more than once" for e in sorted(dupes)]
    return problems


def normalise(requirement: str) -> str:
    """Bare, normalised distribution name of a requirement string."""
    name = re.split(r"[\s\[<>=!~;@]", requirement.strip(), maxsplit=1)[0]
    return re.sub(r"[-_.]+", "-", name).lower()


def pyproject_packages(project: dict) -> set[str]:
    """Runtime dependencies plus every extra, without self-references."""
    reqs = list(project.get("dependencies", []))
    for extra in project.get("optional-dependencies", {}).values():
        reqs += extra
    names = {normalise(r) for r in reqs}
    names.discard(normalise(project["name"]))
    return {CONDA_NAMES.get(n, n) for n in names}


def environment_packages(env: dict) -> set[str]:
    """Conda and pip packages of an environment.yml, without python, pip and `-e .`."""
    names = set()
    for dep in env.get("dependencies", []):
        if isinstance(dep, dict):
            for req in dep.get("pip", []):
                if req.startswith(("-e", "--editable", ".")):
                    continue
                names.add(normalise(req))
        else:
            names.add(normalise(dep))
    return names - ENV_IGNORED


def config_problems(config: dict, repo: Path) -> list[str]:
    problems = []
    execute = config.get("execute") or {}
    # "cache": a chapter re-executes when its code changed; the Makefile empties the cache
    # whenever the package sources change (a stamp holds their hash).
    if execute.get("execute_notebooks") != "cache":
        problems.append(f"execute.execute_notebooks is {execute.get('execute_notebooks')!r}, not 'cache'")
    if config.get("only_build_toc_files") is not True:
        problems.append("only_build_toc_files is not true")
    bibfiles = config.get("bibtex_bibfiles") or []
    if not bibfiles:
        problems.append("no bibtex_bibfiles")
    for bib in bibfiles:
        if not (repo / bib).is_file():
            problems.append(f"bibtex file {bib} does not exist")
    return problems


def gitignore_patterns(text: str) -> set[str]:
    return {
        line.strip().strip("/")
        for line in text.splitlines()
        if line.strip() and not line.lstrip().startswith(("#", "!"))
    }


def makefile_numba_cache_dir(text: str) -> str:
    """The repo-relative folder that the Makefile exports as NUMBA_CACHE_DIR."""
    m = re.search(r"^\s*(?:export\s+)?NUMBA_CACHE_DIR\s*[:?]?=\s*(\S+)", text, re.MULTILINE)
    if not m:
        raise AssertionError("Makefile does not set NUMBA_CACHE_DIR")
    value = re.sub(r"^\$[({]CURDIR[)}]/", "", m.group(1)).strip("/")
    return value.split("/")[0]  # the cache root; below it a folder per kernel-source hash


# --------------------------------------------------------------------------- tests


def test_notebooks_have_no_outputs_or_widget_state():
    bad = {
        "metadata": {"widgets": {"application/vnd.jupyter.widget-state+json": {}}},
        "cells": [
            {"cell_type": "markdown", "metadata": {}, "source": "# t"},
            {"cell_type": "code", "metadata": {}, "execution_count": 3,
             "outputs": [{"output_type": "stream", "name": "stdout", "text": "1"}], "source": "1"},
        ],
    }
    assert len(notebook_problems(bad)) == 3
    assert notebook_problems({"metadata": {}, "cells": [
        {"cell_type": "code", "metadata": {}, "execution_count": None, "outputs": [], "source": ""}]}) == []

    notebooks = book_files((".ipynb",))
    assert notebooks, "no notebooks under book/"
    problems = {}
    for path in notebooks:
        nb = json.loads(path.read_text(encoding="utf-8"))
        if found := notebook_problems(nb):
            problems[str(path.relative_to(REPO))] = found
    assert not problems, (
        "commit notebooks without outputs (e.g. `jupyter nbconvert --clear-output --inplace`, "
        f"and no saved widget state): {problems}"
    )


def test_toc_and_book_files_match():
    assert toc_problems(["book/intro", "book/missing"], ["book/intro.md", "book/orphan.ipynb"]) == [
        "toc entry 'book/missing' has no .md/.ipynb file",
        "book/orphan.ipynb is not listed in _toc.yml",
    ]

    toc = yaml.safe_load((REPO / "_toc.yml").read_text(encoding="utf-8"))
    entries = toc_entries(toc)
    assert entries[0] == "book/intro"
    files = [str(p.relative_to(REPO)) for p in book_files()]
    assert toc_problems(entries, files) == []


def test_environment_yml_matches_pyproject():
    project = {"name": "demo", "dependencies": ["numpy>=2", "Foo_Bar[x]==1 ; python_version<'4'"],
               "optional-dependencies": {"dev": ["demo[test]"], "test": ["pytest"]}}
    env = {"dependencies": ["python=3.11", "pip", "numpy>=2", "foo-bar",
                            {"pip": ["-e .", "pytest"]}]}
    assert pyproject_packages(project) == {"numpy", "foo-bar", "pytest"}
    assert environment_packages(env) == pyproject_packages(project)
    env["dependencies"].remove("foo-bar")
    assert environment_packages(env) != pyproject_packages(project)

    project = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    env = yaml.safe_load((REPO / "environment.yml").read_text(encoding="utf-8"))
    assert any(isinstance(d, dict) and "-e ." in d.get("pip", []) for d in env["dependencies"]), (
        "environment.yml must install the package itself with `-e .` under pip:"
    )
    want, have = pyproject_packages(project), environment_packages(env)
    assert want == have, (f"only in pyproject.toml: {sorted(want - have)}; "
                          f"only in environment.yml: {sorted(have - want)}")


def test_book_config():
    assert len(config_problems({"execute": {"execute_notebooks": "auto"},
                                "bibtex_bibfiles": ["nope.bib"]}, REPO)) == 3

    config = yaml.safe_load((REPO / "_config.yml").read_text(encoding="utf-8"))
    assert config_problems(config, REPO) == []


def test_gitignore_ignores_numba_cache():
    assert makefile_numba_cache_dir("export NUMBA_CACHE_DIR := $(CURDIR)/.nc\n") == ".nc"
    assert makefile_numba_cache_dir("export NUMBA_CACHE_DIR := $(CURDIR)/.nc/$(HASH)\n") == ".nc"
    assert ".nc" not in gitignore_patterns("# .nc\n.venv/\n")

    folder = makefile_numba_cache_dir((REPO / "Makefile").read_text(encoding="utf-8"))
    assert folder in gitignore_patterns((REPO / ".gitignore").read_text(encoding="utf-8")), (
        f".gitignore does not ignore {folder}/ (the Makefile's NUMBA_CACHE_DIR)"
    )
    conftest = (REPO / "tests" / "conftest.py").read_text(encoding="utf-8")
    assert f'"{folder}"' in conftest, "tests/conftest.py uses a different NUMBA_CACHE_DIR"


# ---------------------------------------------------------------- the one-hop layout (issue 12)

CHAPTERS = sorted(p for p in BOOK.glob("*/[0-9][0-9]_*.ipynb"))
STUDIES = REPO / "utacbook" / "studies"


def _study_name(chapter):
    return chapter.stem.split("_", 1)[1]


@pytest.mark.parametrize("chapter", CHAPTERS, ids=[c.relative_to(BOOK).as_posix() for c in CHAPTERS])
def test_chapter_has_study_module_and_tests(chapter):
    """book/<part>/NN_<name>.ipynb <-> utacbook/studies/<part>/<name>.py <-> tests/studies/<part>/test_<name>.py."""
    part, name = chapter.parent.name, _study_name(chapter)
    module = STUDIES / part / f"{name}.py"
    test = REPO / "tests" / "studies" / part / f"test_{name}.py"
    assert module.is_file(), f"{chapter.name} has no study module {module.relative_to(REPO)}"
    assert test.is_file(), f"{chapter.name} has no tests {test.relative_to(REPO)}"
    src = "".join("".join(c["source"]) for c in json.loads(chapter.read_text())["cells"] if c["cell_type"] == "code")
    assert re.search(rf"from utacbook\.studies\.{part} import {name}\b", src), (
        f"{chapter.name} does not import its study module utacbook.studies.{part}.{name}")


def test_every_study_module_has_a_chapter():
    chapters = {(c.parent.name, _study_name(c)) for c in CHAPTERS}
    modules = {(p.parent.name, p.stem) for p in STUDIES.glob("*/*.py") if p.name != "__init__.py"}
    assert modules == chapters, f"study modules without a chapter: {sorted(modules - chapters)}"


@pytest.mark.parametrize("module", sorted(STUDIES.glob("*/*.py")), ids=lambda p: p.relative_to(STUDIES).as_posix())
def test_studies_do_not_import_each_other(module):
    """Shared code lives in the core subpackages, not in a sibling study."""
    tree = ast.parse(module.read_text())
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("utacbook.studies"):
            pytest.fail(f"{module.relative_to(REPO)} imports {node.module} (line {node.lineno})")
        if isinstance(node, ast.Import) and any(a.name.startswith("utacbook.studies") for a in node.names):
            pytest.fail(f"{module.relative_to(REPO)} imports a study module (line {node.lineno})")


def test_core_does_not_import_studies():
    for p in (REPO / "utacbook").rglob("*.py"):
        if STUDIES in p.parents:
            continue
        assert "utacbook.studies." not in "\n".join(
            line for line in p.read_text().splitlines() if line.lstrip().startswith(("from ", "import "))), p


def test_numba_cache_key_covers_every_kernel_source():
    """Every module with a compiled kernel is hashed into the Numba cache folder's name."""
    import importlib.util
    spec = importlib.util.spec_from_file_location("_tests_conftest", REPO / "tests" / "conftest.py")
    conftest = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(conftest)     # by path: tests/browser has a conftest too
    keyed = set(conftest.kernel_sources())
    for p in (REPO / "utacbook").rglob("*.py"):
        if "njit" in p.read_text():
            assert p in keyed, f"{p.relative_to(REPO)} holds a kernel but does not key the Numba cache"
    make = (REPO / "Makefile").read_text()
    assert "utacbook/_kernels/*.py" in make and "grep -rl --include='*.py' 'numba' utacbook" in make


def test_public_names_are_unique_across_the_core():
    """No two public functions of the core share a name (the top level re-exports them all)."""
    import utacbook
    seen = {}
    for sub in ("models", "theory", "stats"):
        mod = getattr(utacbook, sub)
        for name in mod.__all__:
            assert name not in seen, f"{name} is public in both utacbook.{seen[name]} and utacbook.{sub}"
            seen[name] = sub
            assert getattr(utacbook, name) is getattr(mod, name)


def test_no_control_characters_in_docstrings():
    # "\b" in a non-raw docstring is a backspace: ":math:`\bar R`" then breaks MathJax in the API pages
    import importlib
    import inspect
    import pkgutil

    import utacbook
    bad = set()
    for mi in pkgutil.walk_packages(utacbook.__path__, "utacbook."):
        if mi.name.endswith("__main__"):
            continue
        mod = importlib.import_module(mi.name)
        for name, obj in [(mi.name, mod), *inspect.getmembers(mod)]:
            objs = [obj, *(v for _, v in inspect.getmembers(obj))] if inspect.isclass(obj) else [obj]
            for o in objs:
                doc = getattr(o, "__doc__", None)
                if isinstance(doc, str) and any(ch in doc for ch in "\x07\x08\x0b\x0c\r"):
                    bad.add(f"{mi.name}.{name}")
    assert not bad, f"control characters (a non-raw '\\b', '\\a', '\\f' ...) in docstrings of {sorted(bad)}"


PUBLIC_PACKAGES = ("utacbook", "utacbook.models", "utacbook.theory", "utacbook.stats", "utacbook.viz",
                   "utacbook.claims", "utacbook.report", "utacbook.stored", "utacbook.sweep")


def test_every_public_callable_has_an_examples_section():
    """Every public function and class of the core shows its use in a numpydoc Examples section.

    The examples run as doctests in ``make test`` (``pytest --doctest-modules utacbook``), so they
    stay true. Exceptions are exempt. (Issue 12: an API as easy to enter as QuantEcon.py's.)
    """
    import importlib
    import inspect
    import re

    missing = set()
    for pkg in PUBLIC_PACKAGES:
        mod = importlib.import_module(pkg)
        for name in getattr(mod, "__all__", []):
            obj = getattr(mod, name)
            if not callable(obj) or (inspect.isclass(obj) and issubclass(obj, BaseException)):
                continue
            doc = inspect.getdoc(obj) or ""
            if not re.search(r"^Examples\n-{8,}$", doc, flags=re.M) or ">>>" not in doc:
                missing.add(f"{obj.__module__}.{obj.__qualname__}")
    assert not missing, f"{len(missing)} public callables without an Examples section: {sorted(missing)}"


def test_every_notebook_cell_has_an_id():
    """nbformat 4.5 cell ids on every cell (nbformat warns on every read without them; a future version errors)."""
    missing = {}
    for path in book_files((".ipynb",)):
        nb = json.loads(path.read_text(encoding="utf-8"))
        ids = [c.get("id") for c in nb["cells"]]
        if None in ids or len(set(ids)) != len(ids) or (nb["nbformat"], nb["nbformat_minor"]) < (4, 5):
            missing[str(path.relative_to(REPO))] = [i for i, x in enumerate(ids) if x is None]
    assert not missing, f"cells without (unique) ids, or nbformat < 4.5: {missing}"
