"""utacbook.widgets: one call gives live controls and a precomputed HTML player."""

import base64
import io
import re

import ipywidgets as w
import matplotlib.pyplot as plt
import numpy as np
import pytest
from matplotlib.image import imread

from utacbook.viz import _widgets as uw
from utacbook.studies.rg import beyond

WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"


def _controls():
    return {
        "a": w.FloatSlider(value=0.3, min=0.0, max=1.0, step=0.05, description="amp"),
        "b": w.IntSlider(value=2, min=1, max=4, description="power"),
        "kind": w.Dropdown(options=["line", "dots"], value="line", description="kind"),
    }


def _plot(a, b, kind, calls=None):
    if calls is not None:
        calls.append({"a": a, "b": b, "kind": kind})
    fig, ax = plt.subplots(figsize=(3.0, 2.2))
    x = np.linspace(0.0, 1.0, 40)
    ax.plot(x, a * x ** b, "-" if kind == "line" else "o")
    ax.set_ylim(0.0, 1.0)
    return fig


def _recorder():
    calls = []

    def plot(a, b, kind):
        return _plot(a, b, kind, calls)
    return plot, calls


def _html_frames(html):
    """The PNG frames embedded in a jshtml player, decoded to RGBA arrays."""
    found = re.findall(r'frames\[(\d+)\] = "data:image/png;base64,(.*?)"', html, flags=re.S)
    assert [int(i) for i, _ in found] == list(range(len(found)))
    return [imread(io.BytesIO(base64.b64decode(d.replace("\\\n", ""))), format="png")
            for _, d in found]


def test_bundle_carries_widget_view_and_player_html():
    plt.close("all")   # figures of earlier tests are not this test's business
    plot, _ = _recorder()
    ex = uw.live_explorer(plot, _controls())
    data = ex._repr_mimebundle_()
    assert data[WIDGET_VIEW]["model_id"] == ex.box.model_id
    assert isinstance(ex.box.children[0], w.Output)          # figure first, controls below
    assert data["text/html"] == ex.player.html
    assert 'class="animation"' in data["text/html"]
    png = base64.b64decode(data["image/png"])
    assert png == ex.player.frames[ex.player.default_index]
    assert "text/plain" in data
    assert not plt.get_fignums(), "figures left open would be shown again by the inline backend"


def test_default_grid_spans_slider_and_holds_default():
    plot, calls = _recorder()
    c = _controls()
    p = uw.static_player(plot, c)
    assert p.param == "a"                                    # first control by default
    assert p.values[0] == 0.0 and p.values[-1] == 1.0
    assert len(p.values) == uw.DEFAULT_N_STATIC
    assert p.values == sorted(p.values)
    assert p.values[p.default_index] == 0.3
    assert [cl["a"] for cl in calls] == p.values
    assert all(cl["b"] == 2 and cl["kind"] == "line" for cl in calls)   # others at defaults
    assert f".set_frame({p.default_index});" in p.html        # player starts on the default


def test_player_holds_one_frame_per_value_and_labels():
    plot, _ = _recorder()
    p = uw.static_player(plot, _controls(), static_param="b")
    assert p.values == [1, 2, 3, 4]
    assert len(_html_frames(p.html)) == len(p.values) == len(p.frames)
    assert f"new Array({len(p.values)})" in p.html
    assert p.labels == [f"power = {v}  (precomputed frame)" for v in p.values]
    assert "power over 4 values (1, 2, 3, 4)" in p.html
    # the book loads offline: no external resources in the player (matplotlib links a CDN)
    assert "https://" not in p.html and "http://" not in p.html


def test_frames_differ_only_when_the_parameter_matters():
    c = _controls()
    varied = _html_frames(uw.static_player(_plot, c, static_param="a",
                                           static_values=[0.3, 0.9]).html)

    def ignores_a(a, b, kind):
        return _plot(0.5, b, kind)
    same = _html_frames(uw.static_player(ignores_a, c, static_param="a",
                                         static_values=[0.3, 0.9]).html)
    strip = uw._LABEL_PX + 2

    def n_changed(f0, f1):
        """Pixels that differ by more than the 256-colour palette error."""
        return int(np.sum(np.abs(f0 - f1).max(axis=-1) > 0.1))
    assert varied[0].shape == varied[1].shape
    assert n_changed(varied[0][strip:], varied[1][strip:]) > 50
    assert n_changed(same[0][strip:], same[1][strip:]) == 0
    # the label strip is drawn and differs between frames (it carries the value)
    assert n_changed(same[0][:strip], same[1][:strip]) > 5


def test_dropdown_log_and_explicit_grids():
    c = _controls()
    assert uw._default_grid("kind", c["kind"], 5) == ["line", "dots"]
    H = w.FloatLogSlider(value=100.0, base=10, min=0, max=3.7, step=0.1)
    g = uw._default_grid("H", H, 5)
    assert g[0] == pytest.approx(1.0) and g[-1] == pytest.approx(10 ** 3.7) and 100.0 in g
    T = w.FloatSlider(value=5.0, min=1.0, max=20.0, step=0.5)
    assert uw._default_grid("T", T, 5) == [1.0, 5.0, 10.5, 15.0, 20.0]
    # explicit grid without the default: the default is added, numeric grids sorted
    plot, calls = _recorder()
    p = uw.static_player(plot, c, static_values=[0.9, 0.1])
    assert p.values == [0.1, 0.3, 0.9] and p.default_index == 1
    p = uw.static_player(plot, c, static_param="kind", static_values=["dots"])
    assert p.values == ["line", "dots"] and p.default_index == 0


def test_overrides_apply_to_every_frame_and_are_labelled():
    plot, calls = _recorder()
    c = _controls()
    p = uw.static_player(plot, c, static_values=[0.3, 0.6], static_overrides={"b": 1})
    assert [cl["b"] for cl in calls] == [1, 1]
    assert all("power = 1" in lab for lab in p.labels)
    assert "for these frames power = 1" in p.html
    calls.clear()
    ex = uw.live_explorer(plot, c, static_values=[0.3, 0.6], static_overrides={"b": 1})
    assert len(calls) == 3 and calls[-1]["b"] == 2        # live default drawn at b = 2
    assert base64.b64decode(ex._repr_mimebundle_()["image/png"]) != p.frames[0]


def test_no_extra_call_for_the_default_and_static_off():
    plot, calls = _recorder()
    uw.live_explorer(plot, _controls())
    assert len(calls) == uw.DEFAULT_N_STATIC            # the default frame is reused
    calls.clear()
    ex = uw.live_explorer(plot, _controls(), static=False)
    assert len(calls) == 1 and ex.player is None
    assert "text/html" not in ex._repr_mimebundle_()


@pytest.mark.parametrize("kw, name", [
    ({"static_param": "nope"}, "static_param"),
    ({"static_values": []}, "static_values"),
    ({"static_values": [0.2, 1.5]}, "static_values"),          # outside [0, 1]
    ({"static_values": [0.2, 0.2]}, "static_values"),          # repeated
    ({"static_values": "0.2"}, "static_values"),
    ({"static_param": "b", "static_values": [1.5]}, "static_values"),   # not an integer
    ({"static_param": "kind", "static_values": ["bars"]}, "static_values"),
    ({"static_values": list(np.linspace(0, 1, 60))}, "static_values"),  # too many frames
    ({"static_overrides": {"c": 1}}, "static_overrides"),
    ({"static_overrides": {"a": 0.5}}, "static_overrides"),
    ({"static_overrides": {"b": 9}}, "static_overrides"),
])
def test_bad_static_settings_raise_naming_the_parameter(kw, name):
    plot, calls = _recorder()
    with pytest.raises(ValueError, match=name):
        uw.live_explorer(plot, _controls(), **kw)
    assert not calls                                      # rejected before any computation


def test_range_slider_needs_explicit_values():
    c = {"R": w.FloatRangeSlider(value=(-1.0, 1.0), min=-5, max=5, step=0.5)}
    with pytest.raises(ValueError, match="static_values"):
        uw.static_player(lambda R: plt.figure(), c)


def test_bad_plot_fn_and_controls():
    with pytest.raises(TypeError, match="plot_fn"):
        uw.static_player(lambda a, b, kind: None, _controls())
    with pytest.raises(TypeError, match="controls"):
        uw.live_explorer(_plot, {})
    with pytest.raises(TypeError, match="controls"):
        uw.live_explorer(_plot, {"a": 0.3})


def test_explore_hopfield_static_grid_crosses_capacity_without_warnings():
    import warnings

    from utacbook.studies.ising import learning
    with warnings.catch_warnings():
        warnings.simplefilter("error")                    # e.g. an empty legend at α > α_c
        ex = learning.explore_hopfield(alpha=0.1, N=60, n_cues=4)
    p = ex.player
    assert p.values == [0.05, 0.1, 0.13, 0.15, 0.2, 0.3] and p.default_index == 1
    assert p.labels[-1].startswith("load α = 0.3")
    assert len(_html_frames(p.html)) == 6
    assert p.frames[0] != p.frames[-1]


def test_explore_hysteresis_adds_the_start_value_and_builds_the_player_without_default():
    ex = beyond.explore_hysteresis(J=0.88, T=0.08, n_steps=10, lattice_size=16, n_replicas=2,
                                    show_default=False)
    p = ex.player
    assert p.param == "n_steps" and p.values == [2, 5, 10, 20, 50, 100]
    assert p.default_index == 2 and ".set_frame(2);" in p.html
    assert "text/html" in ex._repr_mimebundle_()


def test_slider_move_replaces_the_figure_and_an_error_is_shown(monkeypatch):
    """A recompute replaces the Output's one PNG; an error in plot_fn shows its traceback there."""
    calls = []
    controls = _controls()
    ex = uw.live_explorer(lambda a, b, kind: _plot(a, b, kind, calls), controls, static=False)
    out = ex.box.children[0]
    first = base64.b64decode(out.outputs[0]["data"]["image/png"])
    assert first == ex.default_png and len(out.outputs) == 1
    controls["a"].value = 0.9
    assert calls[-1]["a"] == 0.9 and len(out.outputs) == 1
    assert base64.b64decode(out.outputs[0]["data"]["image/png"]) != first

    def broken(a, b, kind):
        if a > 0.5:
            raise ValueError("a is too large")
        return _plot(a, b, kind)

    controls = _controls()
    ex = uw.live_explorer(broken, controls, static=False)
    with pytest.raises(ValueError, match="too large"):
        controls["a"].value = 0.9
    shown = ex.box.children[0].outputs
    assert len(shown) == 1 and shown[0]["output_type"] == "stream" and "a is too large" in shown[0]["text"]


EXPLORER_CELL = """
import ipywidgets as w
import matplotlib.pyplot as plt
from utacbook.viz import live_explorer

def draw(a):
    fig, ax = plt.subplots(figsize=(2.0, 1.5))
    ax.plot([0.0, 1.0], [0.0, a])
    return fig

ex = live_explorer(draw, {"a": w.FloatSlider(value=0.5, min=0.0, max=1.0)}, static_values=[0.0, 1.0])
"""

# What live_explorer did before: displays inside `with out:` (the control case).
WITH_OUT_CELL = """
import ipywidgets as w
from IPython.display import display
out = w.Output()
display(out)
with out:
    display("a figure")
"""


@pytest.mark.parametrize("code,answers", [(EXPLORER_CELL, False), (WITH_OUT_CELL, True)], ids=["explorer", "with-out"])
def test_a_notebook_executor_never_has_to_answer_the_explorer(code, answers, monkeypatch):
    """nbclient (MyST-NB's executor) sends nothing on the shell channel for the explorer.

    Displays inside ``with out:`` make nbclient answer each one with a comm_msg on the shell
    channel while it waits there for the cell's reply, which can then go unnoticed until the
    cell timeout (nbclient issue 312; a chapter stalled ~300 s). The control case shows that
    the test sees such answers.
    """
    import nbformat
    from nbclient import NotebookClient
    from nbclient.output_widget import OutputWidget

    monkeypatch.setenv("JUPYTER_PREFER_ENV_PATH", "1")      # the venv's python3 kernel, as make does
    monkeypatch.setenv("MPLBACKEND", "Agg")
    sent = []
    monkeypatch.setattr(OutputWidget, "_publish_msg", lambda self, msg_type, *a, **k: sent.append(msg_type))
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.cells = [nbformat.v4.new_code_cell(code)]
    NotebookClient(nb, timeout=120, kernel_name="python3").execute()
    assert bool(sent) is answers, sent
    if not answers:
        state = nb.metadata["widgets"]["application/vnd.jupyter.widget-state+json"]["state"]
        outputs = [m["state"]["outputs"] for m in state.values() if m["model_name"] == "OutputModel"]
        assert len(outputs) == 1 and list(outputs[0][0]["data"]) == ["image/png", "text/plain"]
