"""Sphinx extension for the book's API reference pages (``book/api/*.md``).

The directive ``api-module`` documents one public module::

    ```{eval-rst}
    .. api-module:: utacbook.models
    ```

It expands into reStructuredText for autodoc and autosummary (no stub pages):

* the module's docstring (``automodule``, which also makes the ``py:module``
  target that ``:mod:`` references point to);
* a summary table (``autosummary``) of its public names;
* one entry per public name: ``autofunction``, ``autoclass`` with the members
  that have docstrings, or ``py:data`` for a constant (described by its ``#:``
  comment in the source, its value shown when it is short).

The public names are those of ``__all__`` plus the public functions and
classes the module defines itself but leaves out of ``__all__`` (the chapters
call some of them), and its constants with a ``#:`` comment.  A package that
re-exports the names of private modules (``utacbook.models`` from
``_abm.py``, ``_ising.py``, ...) is shown one private module at a time: a
section per private module, titled with the first line of its docstring and
holding the rest of it, in the order the package imports them.  Its names are
documented under the package's name (``utacbook.models.simulate_lattice``),
which is how docstrings cross-reference them.  Within a module or section,
entries follow the source.  A class also shows the members it inherits from
private base classes (``IsingResult`` those of ``_Estimators``).

Option ``:exclude:`` takes space-separated names that are documented
elsewhere (a core function re-exported by a study module).

The role ``{api-source}`utacbook.studies.ising.hysteresis``` shows a module's
file, ``utacbook/studies/ising/hysteresis.py``, linked to its highlighted
source page (``_modules/...``, made by ``sphinx.ext.viewcode``).

The extension also turns the headings of module docstrings ("Examples",
"Model", ...) into rubrics, as numpydoc does in functions, so that the pages'
own headings make their structure.
"""

from __future__ import annotations

import ast
import importlib
import importlib.util
import inspect
import re
from pathlib import Path

from docutils import nodes
from docutils.parsers.rst import directives
from docutils.statemachine import StringList
from sphinx.pycode import ModuleAnalyzer
from sphinx.util.docutils import SphinxDirective
from sphinx.util.nodes import nested_parse_with_titles

#: longest repr of a constant shown as its value; longer ones are summarised
MAX_VALUE_REPR = 60

_UNDERLINE = re.compile(r"^\s*([-=~^])\1{2,}\s*$")


def headings_to_rubrics(lines: list[str]) -> list[str]:
    """``Title`` over ``-----`` becomes ``.. rubric:: Title``."""
    out: list[str] = []
    i = 0
    while i < len(lines):
        title = lines[i].strip()
        nxt = lines[i + 1] if i + 1 < len(lines) else ""
        if (title and _UNDERLINE.match(nxt) and len(nxt.strip()) >= len(title)
                and (not out or not out[-1].strip())):
            out += [f".. rubric:: {title}", ""]
            i += 2
            continue
        out.append(lines[i])
        i += 1
    return out


def _module_headings_to_rubrics(app, what, name, obj, options, lines):
    if what == "module":
        lines[:] = headings_to_rubrics(lines)


def _definitions(modname: str) -> dict[str, int]:
    """Public top-level functions, classes and assigned names of a module's source -> line."""
    spec = importlib.util.find_spec(modname)
    if spec is None or not spec.origin or not spec.origin.endswith(".py"):
        return {}
    tree = ast.parse(Path(spec.origin).read_text(encoding="utf-8"))
    found: dict[str, int] = {}
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            found.setdefault(node.name, node.lineno)
        elif isinstance(node, (ast.Assign, ast.AnnAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for t in targets:
                if isinstance(t, ast.Name):
                    found.setdefault(t.id, node.lineno)
    return {n: line for n, line in found.items() if not n.startswith("_")}


def _comments(modname: str) -> dict[str, list[str]]:
    """``#:`` comments (and docstrings after assignments) of a module's top-level names."""
    try:
        docs = ModuleAnalyzer.for_module(modname).find_attr_docs()
    except Exception:                      # noqa: BLE001 - no source: no comments
        return {}
    return {name: [line for line in lines if line.strip()] for (scope, name), lines in docs.items()
            if scope == ""}


def _value(obj) -> str:
    text = repr(obj)
    if len(text) <= MAX_VALUE_REPR and "\n" not in text:
        return text
    try:
        return f"<{type(obj).__name__} of {len(obj)} items>"
    except TypeError:
        return f"<{type(obj).__name__}>"


def _is_constant(name: str, obj) -> bool:
    return name.isupper() and not (inspect.isclass(obj) or inspect.isroutine(obj) or inspect.ismodule(obj))


def _groups(module, exclude: set[str]) -> list[tuple[str | None, list[str]]]:
    """[(defining module or None, names in source order)] of a module's public names."""
    names = [n for n in getattr(module, "__all__", []) if n not in exclude]
    own = _definitions(module.__name__)
    if not hasattr(module, "__path__"):
        # a module: __all__ plus the functions and classes it defines itself, and its
        # constants that have a ``#:`` comment
        documented = _comments(module.__name__)
        for n in own:
            obj = getattr(module, n, None)
            if n not in names and n not in exclude and obj is not None and (
                    ((inspect.isfunction(obj) or inspect.isclass(obj))
                     and obj.__module__ == module.__name__)
                    or (_is_constant(n, obj) and n in documented)):
                names.append(n)
        order = {n: own.get(n, 10**9) for n in names}
        return [(None, sorted(names, key=lambda n: (order[n], names.index(n))))]
    # a package: group the re-exported names by the private module that defines them,
    # in the order of the package's ``from ._x import ...`` statements
    spec = importlib.util.find_spec(module.__name__)
    tree = ast.parse(Path(spec.origin).read_text(encoding="utf-8"))
    private = []
    for node in tree.body:
        if isinstance(node, ast.ImportFrom) and node.level == 1 and node.module and node.module.startswith("_"):
            name = f"{module.__name__}.{node.module}"
            if name not in private:
                private.append(name)
    defs = {p: _definitions(p) for p in private}
    groups: dict[str | None, list[str]] = {p: [] for p in private}
    groups[None] = []
    for n in names:
        home = next((p for p in private if n in defs[p]), None)
        groups[home].append(n)
    out = [(p, sorted(groups[p], key=lambda n: defs[p][n])) for p in private if groups[p]]
    if groups[None]:
        out.append((None, groups[None]))
    return out


def _entry(module, name: str, comments: dict[str, list[str]]) -> list[str]:
    obj = getattr(module, name)
    if inspect.isclass(obj):
        lines = [f".. autoclass:: {name}", "   :members:"]
        # members inherited from private base classes (IsingResult's estimators, from
        # _Estimators) are the class's own public API; those of public or outside
        # classes (dict, object, MultiscaleModel) are documented there, or not at all
        bases = inspect.getmro(obj)[1:]
        private = [b for b in bases if b.__module__.startswith("utacbook") and b.__name__.startswith("_")]
        if private:
            stop = ", ".join(dict.fromkeys(b.__name__ for b in bases if b not in private))
            lines.append(f"   :inherited-members: {stop}")
        return lines + [""]
    if inspect.isroutine(obj):
        return [f".. autofunction:: {name}", ""]
    lines = [f".. py:data:: {name}", f"   :value: {_value(obj)}", ""]
    lines += [f"   {line}" for line in comments.get(name, [])]
    return lines + [""]


def _summary(module, names: list[str], comments: dict[str, list[str]]) -> list[str]:
    """An autosummary table of the functions and classes, a list-table of the constants.

    (autosummary would describe a constant re-exported from a private module by the
    docstring of its type, "Built-in immutable sequence.")
    """
    constants = [n for n in names if _is_constant(n, getattr(module, n))]
    others = [n for n in names if n not in constants]
    lines = []
    if others:
        lines += [".. autosummary::", "   :nosignatures:", ""] + [f"   {n}" for n in others] + [""]
    if constants:
        lines += [".. list-table::", "   :class: autosummary", "   :widths: 30 70", ""]
        for n in constants:
            first = " ".join(line.strip() for line in comments.get(n, []))
            lines += [f"   * - :py:data:`{n}`", f"     - {first}"]
        lines += [""]
    return lines


def _module_docstring(modname: str) -> tuple[str, list[tuple[str, int]], str]:
    """(first line, [(line, line number in the file)] of the rest, file) of a module docstring.

    The rest is dedented and stripped of leading and trailing blank lines, with
    each line's position in the file kept, so that a warning about a private
    module's docstring names the file and line to fix.
    """
    origin = importlib.util.find_spec(modname).origin
    tree = ast.parse(Path(origin).read_text(encoding="utf-8"))
    node = tree.body[0] if tree.body else None
    if not (isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant)
            and isinstance(node.value.value, str)):
        return "", [], origin
    raw = node.value.value.split("\n")
    start = node.value.lineno          # the docstring's first line (after the quotes)
    rest = [(line, start + i) for i, line in enumerate(raw) if i > 0]
    indents = [len(t) - len(t.lstrip()) for t, _ in rest if t.strip()]
    cut = min(indents, default=0)
    rest = [(t[cut:].rstrip(), n) for t, n in rest]
    while rest and not rest[0][0]:
        rest.pop(0)
    while rest and not rest[-1][0]:
        rest.pop()
    return raw[0].strip(), rest, origin


def module_rst(modname: str, exclude: set[str]) -> StringList:
    """The reStructuredText the directive expands into, with each line's origin."""
    out = StringList()
    generated = f"<api-module {modname}>"

    def add(lines, source=generated):
        for line in lines:
            out.append(line, source, len(out))

    module = importlib.import_module(modname)
    add([f".. automodule:: {modname}", "", f".. currentmodule:: {modname}", ""])
    groups = _groups(module, exclude)
    if not any(names for _, names in groups):
        return out
    comments = _comments(modname)
    for home, _ in groups:
        if home:
            comments = {**_comments(home), **comments}
    if len(groups) == 1 and groups[0][0] is None:
        names = groups[0][1]
        add([".. rubric:: Summary", ""] + _summary(module, names, comments))
        for name in names:
            add(_entry(module, name, comments))
        return out
    # a package: a summary per private module, then a section per private module
    add([".. rubric:: Summary", ""])
    docs = {}
    for home, names in groups:
        first, rest, origin = _module_docstring(home) if home else ("", [], "")
        title = first.rstrip(".") or f"Other names of {modname}"
        docs[home] = (title, rest, origin)
        add([f"**{title}**", ""] + _summary(module, names, comments))
    for home, names in groups:
        title, rest, origin = docs[home]
        add([title, "-" * max(len(title), 3), ""])
        if home:
            # the private module's docstring, its headings as rubrics (same number of lines)
            converted = headings_to_rubrics([t for t, _ in rest])
            for text, (_, lineno) in zip(converted, rest):
                out.append(text, origin, lineno - 1)
            src = home.replace(".", "/") + ".py"
            add(["", f"Defined in ``{src}``.", ""])
        for name in names:
            add(_entry(module, name, comments))
    return out


class ApiModule(SphinxDirective):
    """``.. api-module:: <module>``: docstring, summary and entries of a public module."""

    required_arguments = 1
    option_spec = {"exclude": directives.unchanged}

    def run(self) -> list[nodes.Node]:
        modname = self.arguments[0]
        exclude = set(self.options.get("exclude", "").split())
        content = module_rst(modname, exclude)
        # rebuild the page when the module or one of its private modules changes
        module = importlib.import_module(modname)
        for sub in [module] + [v for k, v in vars(module).items() if inspect.ismodule(v) and k.startswith("_")]:
            if getattr(sub, "__file__", None):
                self.env.note_dependency(sub.__file__)
        node = nodes.container()
        nested_parse_with_titles(self.state, content, node)
        return node.children


def api_source_role(name, rawtext, text, lineno, inliner, options=None, content=None):
    """``{api-source}`utacbook.studies.ising.hysteresis``: the module's file, linked to its
    highlighted source page (made by ``sphinx.ext.viewcode`` for every documented module).
    """
    modname = text.strip()
    if importlib.util.find_spec(modname) is None:
        msg = inliner.reporter.error(f"api-source: no module {modname!r}", line=lineno)
        return [inliner.problematic(rawtext, rawtext, msg)], [msg]
    env = inliner.document.settings.env
    path = modname.replace(".", "/")
    uri = "../" * env.docname.count("/") + f"_modules/{path}.html"
    node = nodes.reference(rawtext, "", nodes.literal(text=f"{path}.py"), refuri=uri, internal=True)
    return [node], []


# Extensions that do not declare whether they are parallel safe, and why they are.
_PARALLEL_SAFE = {
    # loaded by sphinx-external-toc in any case; its setup patches
    # TocTreeCollector.assign_section_numbers (a class attribute, inherited by the forked
    # reader processes), its builder-inited handler runs once in the main process, and
    # section numbers are assigned in the main process after reading (the book numbers
    # no sections: _toc.yml has no `numbered: true`)
    "sphinx_multitoc_numbering",
    # only a build-finished handler that copies MathJax into _static (main process)
    "sphinx-mathjax-offline",
}


def _declare_parallel_safe(app):
    """Let Sphinx read the book on several processes (``-j``, ``tests/build_book.py``).

    Sphinx reads serially, with a warning (an error under ``-W``), if any extension
    leaves its parallel safety undeclared; the two in ``_PARALLEL_SAFE`` do, and are safe.
    """
    for name in _PARALLEL_SAFE:
        ext = app.extensions.get(name)
        if ext is not None and ext.parallel_read_safe is None:
            ext.parallel_read_safe = True


def _only_package_sources(app, env):
    """Source pages (``sphinx.ext.viewcode``) for the package's modules only.

    Read on several processes, viewcode also records a few standard-library modules
    (``re``, ``pathlib``) that a serial read leaves out, and would write their source
    pages; nothing links to them.
    """
    modules = getattr(env, "_viewcode_modules", None)
    if modules:
        for name in [m for m in modules if m.split(".")[0] != "utacbook"]:
            del modules[name]
    return []


def setup(app):
    app.connect("builder-inited", _declare_parallel_safe)
    app.connect("env-updated", _only_package_sources)
    app.add_directive("api-module", ApiModule)
    app.add_role("api-source", api_source_role)
    app.connect("autodoc-process-docstring", _module_headings_to_rubrics)
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
