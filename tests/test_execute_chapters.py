"""tests/execute_chapters.py: chapters executed in parallel into the build's jupyter-cache."""

from __future__ import annotations

import importlib
import json
import os
import re
import sys
from pathlib import Path

import nbformat
import pytest

REPO = Path(__file__).resolve().parents[1]


def _script():
    # imported by name from tests/ (not by path): the spawned workers unpickle its functions by name
    if str(REPO / "tests") not in sys.path:
        sys.path.insert(0, str(REPO / "tests"))
    return importlib.import_module("execute_chapters")


def _notebook(path, code):
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.cells = [nbformat.v4.new_markdown_cell("# A chapter")] + [nbformat.v4.new_code_cell(c) for c in code]
    nbformat.write(nb, str(path))


def test_chapters_run_in_parallel_into_the_cache(tmp_path, capsys, monkeypatch):
    """Two chapters run over IPC sockets, land in the cache as MyST-NB would find them, without timing stamps."""
    from jupyter_cache import get_cache

    monkeypatch.setenv("JUPYTER_PREFER_ENV_PATH", "1")      # the venv's python3 kernel, as make does

    (tmp_path / "part").mkdir()
    _notebook(tmp_path / "intro.ipynb", ["import os", "print(os.getcwd())"])
    _notebook(tmp_path / "part" / "01_a.ipynb", ["x = 6 * 7", "print(x)"])
    (tmp_path / "_toc.yml").write_text("format: jb-book\nroot: intro\nchapters:\n- file: part/01_a\n")
    cache_dir = tmp_path / "cache"

    mod = _script()
    seconds_file = tmp_path / "chapter_seconds.json"
    monkeypatch.setattr(mod, "SECONDS_FILE", seconds_file)
    assert mod.chapters(tmp_path / "_toc.yml") == [tmp_path / "intro.ipynb", tmp_path / "part" / "01_a.ipynb"]
    assert mod.main(["--cache", str(cache_dir), "--toc", str(tmp_path / "_toc.yml"), "--jobs", "2",
                     "--record"]) == 0
    out = capsys.readouterr().out
    assert "2 executed, 0 failed" in out
    recorded = json.loads(seconds_file.read_text())       # --record: this run's times, by path from the repository
    assert set(recorded) == {Path(os.path.relpath(p, mod.ROOT)).as_posix()
                             for p in (tmp_path / "intro.ipynb", tmp_path / "part" / "01_a.ipynb")}
    assert all(t > 0 for t in recorded.values())
    assert "startup" in out and "longest gap between cells" in out

    cache = get_cache(str(cache_dir))
    for path, expected in [(tmp_path / "intro.ipynb", str(tmp_path)), (tmp_path / "part" / "01_a.ipynb", "42")]:
        record = cache.match_cache_notebook(nbformat.read(str(path), as_version=4))   # KeyError if missing
        cached = cache.get_cache_bundle(record.pk).nb
        text = "".join(o.get("text", "") for c in cached.cells if c.cell_type == "code" for o in c.outputs)
        assert expected in text, text                     # run in the chapter's own folder
        assert all("execution" not in c.metadata for c in cached.cells)
        assert record.data["execution_seconds"] > 0
    # nothing left to do on a second call
    assert mod.main(["--cache", str(cache_dir), "--toc", str(tmp_path / "_toc.yml")]) == 0
    assert "every chapter is in the cache" in capsys.readouterr().out


def test_longest_first_order():
    """Recorded chapters by decreasing time, unrecorded ones before them (in table-of-contents order)."""
    mod = _script()
    paths = [mod.ROOT / "book" / f"{name}.ipynb" for name in ("a", "b", "c", "d", "e")]
    seconds = {"book/a.ipynb": 5.0, "book/b.ipynb": 30.0, "book/d.ipynb": 5.0}
    order = [p.stem for p in mod.longest_first(paths, seconds)]
    assert order == ["c", "e", "b", "a", "d"]
    assert mod.longest_first(paths, {}) == paths


def test_recorded_times_name_chapters_of_the_book():
    """The committed schedule file is valid and every entry is a chapter of the table of contents."""
    mod = _script()
    recorded = json.loads(mod.SECONDS_FILE.read_text(encoding="utf-8"))
    toc = {Path(os.path.relpath(p, mod.ROOT)).as_posix() for p in mod.chapters(REPO / "_toc.yml")}
    assert recorded and set(recorded) <= toc, set(recorded) - toc
    assert all(isinstance(t, (int, float)) and t > 0 for t in recorded.values())


def test_a_failing_chapter_fails_the_script(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("JUPYTER_PREFER_ENV_PATH", "1")
    _notebook(tmp_path / "intro.ipynb", ["raise ValueError('boom')"])
    (tmp_path / "_toc.yml").write_text("format: jb-book\nroot: intro\n")
    mod = _script()
    assert mod.main(["--cache", str(tmp_path / "cache"), "--toc", str(tmp_path / "_toc.yml"), "--jobs", "1"]) == 1
    out = re.sub(r"\x1b\[[0-9;]*m", "", capsys.readouterr().out)      # the traceback is coloured
    assert "intro.ipynb FAILED" in out and "ValueError: boom" in out
    assert "0 executed, 1 failed" in out


def test_kernel_config_uses_unix_sockets(tmp_path):
    cfg = _script()._kernel_config(str(tmp_path))
    assert cfg.KernelManager.transport == "ipc"
    assert cfg.KernelManager.ip.startswith(str(tmp_path))


@pytest.mark.parametrize("missing", ["shell.execute_reply"])
def test_timings_tolerate_missing_stamps(missing):
    nb = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell("1")
    cell.metadata["execution"] = {"iopub.execute_input": "2026-12-06T10:00:00.000000Z"}
    nb.cells = [cell]
    out = _script()._timings(nb, 0.0, 1.0)
    assert out["cells"] == [] and "execution" not in nb.cells[0].metadata
