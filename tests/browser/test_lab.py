"""The live side of an exploration, in a real JupyterLab driven by headless Chromium.

:func:`utacbook.viz.live_explorer` displays one output with two views: the live
ipywidgets view and a precomputed player (text/html).  The HTML book shows the player
(tested in ``test_pages.py``); JupyterLab must show the live controls instead, and moving
one must recompute the figure through the kernel.  This test starts JupyterLab from the
project's environment on a scratch notebook, runs its one cell, checks that the live
slider (and no player) is shown, moves the slider with the keyboard and waits for the
figure to change.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

TOKEN = "utacbook-browser-test"
SHOT = Path(os.environ.get("UTACBOOK_SCREENSHOT_DIR",
                          Path(__file__).resolve().parents[2] / "_build" / "screenshots")
            ) / "jupyterlab_live_explorer.png"

CELL = """\
import ipywidgets as w
import matplotlib.pyplot as plt
from utacbook.viz import live_explorer

def plot(a):
    fig, ax = plt.subplots(figsize=(3, 2))
    ax.plot([0, 1], [0, a])
    ax.set_ylim(0, 5)
    ax.set_title(f"a = {a}")
    return fig

live_explorer(plot, {"a": w.IntSlider(value=1, min=0, max=5, description="a")},
              static_values=[0, 1, 5]);
"""


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    """A JupyterLab server on a scratch folder holding one notebook; yields its URL."""
    root = tmp_path_factory.mktemp("lab")
    nb = {"cells": [{"cell_type": "code", "execution_count": None, "id": "c1", "metadata": {},
                     "outputs": [], "source": CELL}],
          "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3",
                                      "language": "python"}},
          "nbformat": 4, "nbformat_minor": 5}
    (root / "explore.ipynb").write_text(json.dumps(nb), encoding="utf-8")
    port = _free_port()
    env = dict(os.environ, JUPYTER_PREFER_ENV_PATH="1")
    env.pop("MPLBACKEND", None)   # tests/conftest.py sets Agg; `make lab` does not
    cmd = [sys.executable, "-m", "jupyterlab", "--no-browser", f"--port={port}",
           "--ServerApp.ip=127.0.0.1", f"--IdentityProvider.token={TOKEN}",
           f"--ServerApp.root_dir={root}", "--LabApp.news_url=None"]
    if hasattr(os, "getuid") and os.getuid() == 0:
        cmd.append("--allow-root")          # Jupyter refuses root without it (CI machines)
    log = open(root / "lab.log", "w")
    proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, env=env)
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(120):
            if proc.poll() is not None:
                break
            try:
                urllib.request.urlopen(f"{url}/api/status?token={TOKEN}", timeout=2)
                break
            except OSError:
                time.sleep(0.5)
        else:
            pytest.fail("JupyterLab did not start within 60 s")
        if proc.poll() is not None:
            pytest.fail("JupyterLab exited:\n" + (root / "lab.log").read_text()[-2000:])
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


def test_jupyterlab_shows_live_slider_that_recomputes(lab, browser):
    context = browser.new_context(viewport={"width": 1300, "height": 900})
    page = context.new_page()
    try:
        page.goto(f"{lab}/lab/tree/explore.ipynb?token={TOKEN}")
        page.wait_for_selector(".jp-Notebook .jp-Cell", timeout=90_000)
        # the status bar reads "Python 3 (ipykernel) | Idle" once the kernel is up
        page.wait_for_selector("text=/\\| Idle/", timeout=120_000)
        page.click(".jp-Cell .cm-content")
        page.keyboard.press("Shift+Enter")
        slider = page.wait_for_selector(".widget-hslider", timeout=120_000)
        page.wait_for_selector(".widget-output img", timeout=60_000)
        assert page.eval_on_selector_all("div.animation", "els => els.length") == 0, \
            "JupyterLab shows the precomputed player; it should show the live widget"
        before = page.eval_on_selector(".widget-output img", "e => e.src")
        handle = slider.query_selector("[role=slider], .noUi-handle, .ui-slider-handle")
        assert handle is not None, "no slider handle in the live widget"
        handle.focus()
        for _ in range(2):
            page.keyboard.press("ArrowRight")
        page.wait_for_function(
            "() => document.querySelector('.widget-hslider .widget-readout').textContent.trim() === '3'",
            timeout=30_000)
        try:
            page.wait_for_function(
                "(before) => { const i = document.querySelector('.widget-output img');"
                " return i !== null && i.src !== before; }", arg=before, timeout=60_000)
        except Exception:
            page.screenshot(path=str(SHOT))
            raise AssertionError(f"the figure did not change after moving the slider to 3 "
                                 f"(screenshot: {SHOT})") from None
    finally:
        context.close()
