"""Explorations that are live in a kernel and precomputed in the static book.

:func:`live_explorer` is the one helper every exploration in the book goes
through.  A single call displays a single output whose MIME bundle carries two
views of the same exploration:

* ``application/vnd.jupyter.widget-view+json``: the live controls and an
  output area that re-runs the computation whenever a control is released.
  JupyterLab (with a running kernel) shows this view.
* ``text/html``: a player over figures precomputed at build time, one per
  value of a single parameter on a small grid, every other control at its
  default.  The player is matplotlib's ``Animation.to_jshtml()``; its slider
  and buttons switch between the precomputed frames, each labelled with the
  parameter value.  The HTML book shows this view, once MyST-NB is told to
  prefer ``text/html`` for the html builder (``nb_mime_priority_overrides``
  in ``_config.yml``), so the built book has no dead sliders.

The bundle also carries ``image/png`` (the figure at the default values) for
builders without HTML (LaTeX/PDF) and ``text/plain``.
"""

from __future__ import annotations

import base64
import io
import math
import numbers
import re
import traceback

__all__ = ["live_explorer", "static_player", "Explorer", "StaticPlayer",
           "explore_emergent_beta", "explore_compatible_couplings"]

#: Number of grid points of the default static grid of a numeric control.
DEFAULT_N_STATIC = 5
#: Height of the label strip above each precomputed frame (pixels; scaled up with the
#: frame width beyond 650 px, as is the label's font size).
_LABEL_PX = 28
_WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
#: Largest number of precomputed frames accepted.
MAX_N_STATIC = 40


# --------------------------------------------------------------------------- controls


def _check_controls(controls):
    if not isinstance(controls, dict) or not controls:
        raise TypeError(f"controls must be a non-empty dict name -> ipywidgets value widget, "
                        f"got {type(controls).__name__} {controls!r}")
    for k, c in controls.items():
        if not isinstance(k, str):
            raise TypeError(f"controls keys must be keyword names (str), got {k!r}")
        if not hasattr(c, "value"):
            raise TypeError(f"controls[{k!r}] must be an ipywidgets value widget, "
                            f"got {type(c).__name__}")


def _kind(c):
    """'options', 'bool', 'log', 'int', 'float' or 'other' (no default grid)."""
    if hasattr(c, "_options_values"):
        return "options"
    if isinstance(c.value, bool):
        return "bool"
    if not (hasattr(c, "min") and hasattr(c, "max")):
        return "other"
    if hasattr(c, "base"):
        return "log"
    if isinstance(c.value, numbers.Integral):
        return "int"
    if isinstance(c.value, numbers.Real):
        return "float"
    return "other"


def _label(c, name):
    d = getattr(c, "description", "") or ""
    return d if d else name


def _fmt(x):
    if isinstance(x, bool) or not isinstance(x, numbers.Real):
        return str(x)
    if isinstance(x, numbers.Integral):
        return str(int(x))
    return f"{float(x):.4g}"


def _same(a, b):
    if isinstance(a, numbers.Real) and isinstance(b, numbers.Real) \
            and not isinstance(a, bool) and not isinstance(b, bool):
        return math.isclose(float(a), float(b), rel_tol=1e-9, abs_tol=1e-12)
    return a == b


def _snap(x, lo, step):
    if not step or step <= 0:
        return x
    return round(lo + round((x - lo) / step) * step, 12)


def _default_grid(name, c, n):
    """About ``n`` values spanning the control, always holding its current value."""
    import numpy as np
    kind = _kind(c)
    if kind == "options":
        return list(c._options_values)
    if kind == "bool":
        return [False, True]
    if kind == "other":
        raise ValueError(f"static_values is needed for static_param {name!r}: no default grid "
                         f"for a {type(c).__name__} (value {c.value!r})")
    step = getattr(c, "step", None) or 0
    if kind == "log":
        lo, hi = float(c.min), float(c.max)
        exps = [_snap(e, lo, step) for e in np.linspace(lo, hi, n)]
        grid = [float(c.base) ** e for e in exps]
    else:
        lo, hi = float(c.min), float(c.max)
        grid = [min(max(_snap(float(x), lo, step), lo), hi) for x in np.linspace(lo, hi, n)]
        if kind == "int":
            grid = [int(round(x)) for x in grid]
    out = []
    for x in grid:
        if not any(_same(x, y) for y in out):
            out.append(x)
    d = c.value
    if not any(_same(d, y) for y in out):
        # replace the interior point nearest to the default (keeps the ends)
        interior = range(1, len(out) - 1) if len(out) > 2 else range(len(out))
        i = min(interior, key=lambda j: abs(float(out[j]) - float(d)))
        out[i] = d
        out.sort()
    return out


def _check_value(name, c, x, what):
    """Raise ValueError (naming ``what``) if control ``name`` cannot take value ``x``."""
    kind = _kind(c)
    if kind == "options":
        if not any(_same(x, y) for y in c._options_values):
            raise ValueError(f"{what}: {x!r} is not an option of control {name!r} "
                             f"(options {list(c._options_values)!r})")
    elif kind == "bool":
        if not isinstance(x, bool):
            raise ValueError(f"{what}: control {name!r} takes True/False, got {x!r}")
    elif kind in ("int", "float", "log"):
        if isinstance(x, bool) or not isinstance(x, numbers.Real) or not math.isfinite(float(x)):
            raise ValueError(f"{what}: control {name!r} takes finite numbers, got {x!r}")
        if kind == "int" and float(x) != int(x):
            raise ValueError(f"{what}: control {name!r} takes integers, got {x!r}")
        lo, hi = float(c.min), float(c.max)
        if kind == "log":
            lo, hi = float(c.base) ** lo, float(c.base) ** hi
        tol = 1e-9 * max(1.0, abs(lo), abs(hi))
        if not lo - tol <= float(x) <= hi + tol:
            raise ValueError(f"{what}: {x!r} is outside the range [{_fmt(lo)}, {_fmt(hi)}] "
                             f"of control {name!r}")


def _static_grid(controls, static_param, static_values, static_overrides):
    """Validate the static settings; return (param, values, default_index, overrides)."""
    names = list(controls)
    if static_param is None:
        static_param = names[0]
    if not isinstance(static_param, str) or static_param not in controls:
        raise ValueError(f"static_param must be one of the control names {names}, "
                         f"got {static_param!r}")
    c = controls[static_param]
    if static_values is None:
        values = _default_grid(static_param, c, DEFAULT_N_STATIC)
    else:
        if isinstance(static_values, (str, bytes)) or not hasattr(static_values, "__iter__"):
            raise ValueError(f"static_values must be a sequence of values of control "
                             f"{static_param!r}, got {static_values!r}")
        values = list(static_values)
        if not values:
            raise ValueError(f"static_values must hold at least one value of control "
                             f"{static_param!r}, got an empty sequence")
        for x in values:
            _check_value(static_param, c, x, "static_values")
        for i, x in enumerate(values):
            if any(_same(x, y) for y in values[:i]):
                raise ValueError(f"static_values holds {x!r} twice (control {static_param!r})")
        if not any(_same(c.value, y) for y in values):
            values.insert(0, c.value)        # the player always starts on the default
        if _kind(c) in ("int", "float", "log"):
            values.sort(key=float)
    if len(values) > MAX_N_STATIC:
        raise ValueError(f"static_values: at most {MAX_N_STATIC} frames, got {len(values)} "
                         f"for control {static_param!r}")
    default_index = next(i for i, y in enumerate(values) if _same(c.value, y))
    values[default_index] = c.value
    overrides = dict(static_overrides or {})
    for k, x in overrides.items():
        if k not in controls:
            raise ValueError(f"static_overrides: {k!r} is not a control name {names}")
        if k == static_param:
            raise ValueError(f"static_overrides must not set static_param {k!r}")
        _check_value(k, controls[k], x, "static_overrides")
    return static_param, values, default_index, overrides


# --------------------------------------------------------------------------- static player


class StaticPlayer:
    """Precomputed frames over one parameter and their HTML player.

    Attributes
    ----------
    param : str
        The swept control.
    values : list
        The swept values, in frame order.
    labels : list of str
        The label drawn above each frame.
    default_index : int
        Frame of the control's default value (the player starts on it).
    overrides : dict
        Other controls set away from their defaults for every frame.
    frames : list of bytes
        The PNG of each figure as ``plot_fn`` drew it.
    html : str
        The player (``matplotlib.animation.Animation.to_jshtml``) with a short
        note above it.
    seconds : float
        Wall time spent computing and rendering the frames.

    Examples
    --------
    Made by :func:`static_player` (and by :func:`live_explorer`, as its
    ``player``):

    >>> import ipywidgets as w
    >>> import matplotlib.pyplot as plt
    >>> from utacbook.viz import static_player
    >>> def draw(a):
    ...     fig, ax = plt.subplots(figsize=(2.0, 1.5))
    ...     ax.plot([0.0, 1.0], [0.0, a])
    ...     return fig
    >>> player = static_player(draw, {"a": w.FloatSlider(value=0.5, min=0.0, max=1.0, description="slope")},
    ...                        static_values=[0.0, 1.0])
    >>> player.param, player.values, player.default_index
    ('a', [0.0, 0.5, 1.0], 1)
    >>> len(player.frames), player.labels[1]
    (3, 'slope = 0.5  (precomputed frame)')
    >>> player.html.startswith('<div class="utacbook-explorer">')
    True
    """

    def __init__(self, param, values, labels, default_index, overrides, frames, html,
                 seconds):
        self.param = param
        self.values = values
        self.labels = labels
        self.default_index = default_index
        self.overrides = overrides
        self.frames = frames
        self.html = html
        self.seconds = seconds

    def _repr_html_(self):
        return self.html

    def __repr__(self):
        return (f"StaticPlayer({self.param!r}: {len(self.values)} frames, "
                f"{len(self.html) / 1e3:.0f} kB)")


def _show_png(out, png):
    """Make one PNG the whole content of the ipywidgets ``Output`` ``out``.

    Through the widget's ``outputs`` state, never ``with out: display(...)``: inside that
    block the kernel routes displays through the widget's ``msg_id``, and a notebook
    executor (nbclient, which MyST-NB and the book build use) then answers every display
    with a ``comm_msg`` on the shell channel while it waits for the cell's reply on the same
    socket. That reply can then go unnoticed until the cell timeout: a chapter stalled
    ~300 s between two cells that way (nbclient issue 312). A state update needs no answer.
    """
    data = {"image/png": base64.b64encode(png).decode("ascii"), "text/plain": "<Figure>"}
    out.outputs = ({"output_type": "display_data", "data": data, "metadata": {}},)


def _show_text(out, text):
    """Make ``text`` the whole content of the ``Output`` ``out`` (see :func:`_show_png`)."""
    out.outputs = ({"output_type": "stream", "name": "stderr", "text": text},)


def _render_png(fig):
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=fig.dpi, bbox_inches="tight",
                facecolor=fig.get_facecolor())
    return buf.getvalue()


def _palette_frame(m):
    """Regex callback: re-encode one embedded PNG frame with a 256-colour palette."""
    from PIL import Image
    png = base64.b64decode(m.group(2).replace("\\\n", ""))
    im = Image.open(io.BytesIO(png)).convert("RGB")
    im = im.quantize(colors=256, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE)
    buf = io.BytesIO()
    im.save(buf, format="PNG", optimize=True)
    new = buf.getvalue()
    if len(new) >= len(png):
        return m.group(0)
    return f'{m.group(1)}"data:image/png;base64,{base64.b64encode(new).decode("ascii")}"'


def _player_html(frames, labels, default_index, *, interval):
    """Stack PNG frames (padded to one size, label strip on top) into a jshtml player."""
    import matplotlib as mpl
    from matplotlib.animation import ArtistAnimation
    from matplotlib.figure import Figure
    from matplotlib.image import imread

    imgs = [imread(io.BytesIO(p), format="png") for p in frames]
    W = max(im.shape[1] for im in imgs)
    H = max(im.shape[0] for im in imgs)
    W += W % 2
    H += H % 2
    dpi = 100
    scale = max(1.0, W / 650)        # wide frames are shrunk to the text column: larger label
    strip = int(round(_LABEL_PX * scale))
    strip += strip % 2
    Ht = H + strip
    fig = Figure(figsize=(W / dpi, Ht / dpi), dpi=dpi, facecolor="white")
    ax = fig.add_axes((0, 0, 1, H / Ht))
    ax.set_axis_off()
    ax.set_autoscale_on(False)
    ax.set_xlim(0, W)
    ax.set_ylim(H, 0)
    artists = []
    for im, lab in zip(imgs, labels):
        h, w = im.shape[:2]
        x0 = (W - w) // 2
        a = ax.imshow(im, extent=(x0, x0 + w, h, 0), interpolation="none", aspect="auto")
        t = fig.text(0.5, 1 - 0.5 * strip / Ht, lab, ha="center", va="center",
                     fontsize=11 * scale, color="#222222")
        artists.append([a, t])
    anim = ArtistAnimation(fig, artists, interval=interval, repeat=False, blit=False)
    total_mb = 1.5 * sum(len(p) for p in frames) / 2 ** 20 + 5
    with mpl.rc_context({"savefig.dpi": "figure", "savefig.facecolor": "white",
                         "animation.embed_limit": max(20.0, total_mb),
                         "animation.frame_format": "png"}):
        html = anim.to_jshtml(default_mode="once")
    del anim
    # shrink the embedded PNGs (adaptive 256-colour palette, no dithering: ~60 % smaller)
    html = re.sub(r'(frames\[\d+\] = )"data:image/png;base64,(.*?)"', _palette_frame, html,
                  flags=re.S)
    # The template links Font Awesome 4 from a CDN for its button icons.  The book's
    # theme already ships Font Awesome (whose "fa fa-play"-style names still work) and
    # must load offline, so the link goes.
    html = re.sub(r'<link rel="stylesheet"\s+href="https://[^"]*font-awesome[^"]*">\s*', "", html)
    # start on the default frame (the matplotlib template starts on frame 0)
    pat = re.compile(r"(anim\w+) = new Animation\(frames, img_id, slider_id, [^;]*?\);")
    html, n = pat.subn(lambda m: f"{m.group(0)}\n        {m.group(1)}.set_frame({default_index});",
                       html, count=1)
    if n != 1:
        import warnings
        warnings.warn("could not set the player's start frame (matplotlib's jshtml template "
                      "changed); it starts on the first frame", RuntimeWarning, stacklevel=3)
    return html


def static_player(plot_fn, controls, *, static_param=None, static_values=None,
                  static_overrides=None, interval=800):
    """Precompute ``plot_fn`` over a grid of one control and build an HTML player.

    Parameters
    ----------
    plot_fn : callable
        ``plot_fn(**values)`` must create and return a matplotlib figure; it is
        closed after rendering.
    controls : dict
        Keyword name -> ipywidgets value widget; their current values are the
        defaults.
    static_param : str, optional
        The control to sweep; default the first one.
    static_values : sequence, optional
        The grid (values the control can take; at most ``MAX_N_STATIC``).  The
        default value is added if missing, numeric grids are sorted.  Default:
        every option of a dropdown, False/True for a checkbox, or
        ``DEFAULT_N_STATIC`` values evenly spanning a slider (in the exponent
        for a log slider, snapped to its step) with the interior point nearest
        to the default replaced by the default.
    static_overrides : dict, optional
        Other controls set to a cheaper value for every frame (the frame label
        states them), e.g. ``{"sweeps": 200}``.
    interval : int, default 800
        Milliseconds per frame when the player plays.

    Returns
    -------
    StaticPlayer

    Raises
    ------
    ValueError
        Unknown ``static_param``; ``static_values`` empty, repeated, outside the
        control's range/options or too many; bad ``static_overrides``.
    TypeError
        ``plot_fn`` does not return a figure, or ``controls`` is not a dict of
        value widgets.

    Examples
    --------
    A slider from 0 to 1 in steps of 0.25 gives the default grid of
    ``DEFAULT_N_STATIC`` = 5 frames, the other control at its default; a
    dropdown gives one frame per option:

    >>> import ipywidgets as w
    >>> import matplotlib.pyplot as plt
    >>> import numpy as np
    >>> from utacbook.viz import static_player
    >>> def draw(a, kind):
    ...     fig, ax = plt.subplots(figsize=(2.0, 1.5))
    ...     x = np.linspace(0.0, 1.0, 20)
    ...     ax.plot(x, a * x, "-" if kind == "line" else "o")
    ...     return fig
    >>> controls = {"a": w.FloatSlider(value=0.5, min=0.0, max=1.0, step=0.25, description="slope"),
    ...             "kind": w.Dropdown(options=["line", "dots"], value="line", description="kind")}
    >>> open_before = len(plt.get_fignums())
    >>> player = static_player(draw, controls)
    >>> player.param, player.values, player.default_index
    ('a', [0.0, 0.25, 0.5, 0.75, 1.0], 2)
    >>> all(png[1:4] == b"PNG" for png in player.frames)      # rendered ...
    True
    >>> len(plt.get_fignums()) == open_before                  # ... and closed
    True
    >>> player = static_player(draw, controls, static_param="kind", static_overrides={"a": 1.0})
    >>> player.labels
    ['kind = line, slope = 1  (precomputed frame)', 'kind = dots, slope = 1  (precomputed frame)']
    """
    import time

    import matplotlib.pyplot as plt
    from matplotlib.figure import Figure

    _check_controls(controls)
    if not callable(plot_fn):
        raise TypeError(f"plot_fn must be callable, got {type(plot_fn).__name__}")
    interval = int(interval)
    if interval < 1:
        raise ValueError(f"interval must be >= 1 ms, got {interval}")
    param, values, k0, overrides = _static_grid(controls, static_param, static_values,
                                                static_overrides)
    t0 = time.perf_counter()
    base = {k: c.value for k, c in controls.items()}
    base.update(overrides)
    desc = _label(controls[param], param)
    extra = "".join(f", {_label(controls[k], k)} = {_fmt(x)}" for k, x in overrides.items())
    frames, labels = [], []
    for x in values:
        fig = plot_fn(**{**base, param: x})
        if not isinstance(fig, Figure):
            raise TypeError(f"plot_fn must return a matplotlib Figure, got {type(fig).__name__}")
        try:
            frames.append(_render_png(fig))
        finally:
            plt.close(fig)
        labels.append(f"{desc} = {_fmt(x)}{extra}  (precomputed frame)")
    player = _player_html(frames, labels, k0, interval=interval)
    import html as _html
    others = [_label(controls[k], k) for k in controls if k != param and k not in overrides]
    note = (f"Precomputed when the book was built: {_html.escape(desc)} over "
            f"{len(values)} values ({_html.escape(', '.join(_fmt(x) for x in values))}), "
            f"starting at the default {_html.escape(_fmt(values[k0]))}")
    if overrides:
        note += f"; for these frames {_html.escape(extra[2:])}"
    if others:
        note += (f"; {_html.escape(', '.join(others))} at "
                 f"{'its default' if len(others) == 1 else 'their defaults'}")
    note += (". Run the notebook with a kernel (e.g. <code>make lab</code>) "
             "for live controls.")
    html = (f'<div class="utacbook-explorer">\n<p class="utacbook-explorer-note">'
            f'<small>{note}</small></p>\n{player}\n</div>')
    return StaticPlayer(param, values, labels, k0, overrides, frames, html,
                        time.perf_counter() - t0)


# --------------------------------------------------------------------------- explorer


class Explorer:
    """One displayed exploration: live widget box plus precomputed player.

    Its MIME bundle holds the widget view (JupyterLab shows it with a kernel),
    ``text/html`` with the player (the HTML book shows it), ``image/png`` of
    the default figure (LaTeX/PDF) and ``text/plain``.

    Attributes
    ----------
    box : ipywidgets.VBox
        The live output area (starting with the default figure) and the controls below it.
    player : StaticPlayer or None
        None when built with ``static=False``.

    Examples
    --------
    Made by :func:`live_explorer`, which displays it (outside a notebook,
    ``display`` prints the explorer's text):

    >>> import ipywidgets as w
    >>> import matplotlib.pyplot as plt
    >>> from utacbook.viz import live_explorer
    >>> def draw(a):
    ...     fig, ax = plt.subplots(figsize=(2.0, 1.5))
    ...     ax.plot([0.0, 1.0], [0.0, a])
    ...     return fig
    >>> ex = live_explorer(draw, {"a": w.FloatSlider(value=0.5, min=0.0, max=1.0)}, static_values=[0.0, 1.0])
    Exploration of draw over a (static player: a, 3 frames)
    >>> sorted(ex._repr_mimebundle_())
    ['application/vnd.jupyter.widget-view+json', 'image/png', 'text/html', 'text/plain']
    >>> ex.default_png == ex.player.frames[ex.player.default_index]
    True
    """

    def __init__(self, box, player, default_png, text):
        self.box = box
        self.player = player
        self.default_png = default_png
        self.text = text

    def _repr_mimebundle_(self, include=None, exclude=None):
        data = {}
        view = self.box._repr_mimebundle_()
        if view and _WIDGET_VIEW in view:
            data[_WIDGET_VIEW] = view[_WIDGET_VIEW]
        if self.player is not None:
            data["text/html"] = self.player.html
        if self.default_png is not None:
            data["image/png"] = base64.b64encode(self.default_png).decode("ascii")
        data["text/plain"] = self.text
        return data

    def __repr__(self):
        return self.text


def live_explorer(plot_fn, controls, *, show_default=True, static=True, static_param=None,
                  static_values=None, static_overrides=None):
    """Live controls in a kernel, a precomputed player in the built book: one output.

    Parameters
    ----------
    plot_fn : callable
        ``plot_fn(**values)`` computes and draws; it must create and return a
        matplotlib figure.
    controls : dict
        Keyword name -> ipywidgets value widget (a slider, a dropdown, ...).
        Their current values are the defaults.
    show_default : bool, default True
        Start the live output area with the figure at the defaults (otherwise
        it stays empty until a control moves).  The static player is built
        either way.
    static : bool, default True
        Build the precomputed player (see :func:`static_player`).  Each frame
        costs one ``plot_fn`` call; keep the grid cheap (a chapter executes in
        under a minute).
    static_param, static_values, static_overrides
        The sweep of the player, see :func:`static_player`.

    Returns
    -------
    Explorer
        Already displayed; ``.box`` is the ipywidgets VBox, ``.player`` the
        :class:`StaticPlayer`.

    Notes
    -----
    The HTML book shows the player only if MyST-NB ranks ``text/html`` above
    the widget view for the html builder, in ``_config.yml``::

        sphinx:
          config:
            nb_mime_priority_overrides:
              - ["html", "text/html", 5]
            nb_ipywidgets_js: {}

    (the second line stops loading the ipywidgets JavaScript, which no page
    uses then).  LaTeX/PDF builders take the ``image/png``.

    Examples
    --------
    Two controls, a player over three values of the first; outside a
    notebook ``display`` prints the explorer's text. The figure is the
    ``Output`` widget's content, set through its state:

    >>> import ipywidgets as w
    >>> import matplotlib.pyplot as plt
    >>> import numpy as np
    >>> from utacbook.viz import live_explorer
    >>> def draw(a, kind):
    ...     fig, ax = plt.subplots(figsize=(2.0, 1.5))
    ...     x = np.linspace(0.0, 1.0, 20)
    ...     ax.plot(x, a * x, "-" if kind == "line" else "o")
    ...     return fig
    >>> controls = {"a": w.FloatSlider(value=0.5, min=0.0, max=1.0, description="slope"),
    ...             "kind": w.Dropdown(options=["line", "dots"], value="line", description="kind")}
    >>> ex = live_explorer(draw, controls, static_values=[0.0, 1.0])
    Exploration of draw over a, kind (static player: a, 3 frames)
    >>> [type(c).__name__ for c in ex.box.children]        # figure, controls, hint
    ['Output', 'HBox', 'HBox', 'HTML']
    >>> [(o["output_type"], sorted(o["data"])) for o in ex.box.children[0].outputs]
    [('display_data', ['image/png', 'text/plain'])]
    >>> import base64
    >>> def shown():
    ...     return base64.b64decode(ex.box.children[0].outputs[0]["data"]["image/png"])
    >>> shown() == ex.default_png
    True
    >>> controls["a"].value = 1.0                          # what a slider move does
    >>> shown() == ex.default_png, len(ex.box.children[0].outputs)
    (False, 1)
    >>> ex.player.values, len(ex.player.frames)
    ([0.0, 0.5, 1.0], 3)
    >>> controls["a"].continuous_update                   # recompute on release only
    False
    """
    import ipywidgets as w
    import matplotlib.pyplot as plt
    from IPython.display import display

    _check_controls(controls)
    player = None
    if static:
        player = static_player(plot_fn, controls, static_param=static_param,
                               static_values=static_values, static_overrides=static_overrides)

    def values():
        return {k: c.value for k, c in controls.items()}

    out = w.Output()
    default_png = None
    if show_default:
        if player is not None and not player.overrides:
            default_png = player.frames[player.default_index]
        else:
            fig = plot_fn(**values())
            try:
                default_png = _render_png(fig)
            finally:
                plt.close(fig)
        _show_png(out, default_png)
    elif player is not None:
        default_png = player.frames[player.default_index]

    def rerun(_change=None):
        # the new figure is shown as a PNG like the default one, not through plt.show(),
        # which draws nothing under a non-interactive backend (e.g. MPLBACKEND=Agg)
        try:
            f = plot_fn(**values())
            try:
                png = _render_png(f)
            finally:
                plt.close(f)
        except Exception:
            _show_text(out, traceback.format_exc())
            raise
        _show_png(out, png)

    for c in controls.values():
        if hasattr(c, "continuous_update"):
            c.continuous_update = False
        c.observe(rerun, names="value")
    hint = w.HTML("<small>Move a control to recompute (needs a running kernel, "
                  "e.g. <code>make lab</code>).</small>")
    # the figure first, the controls below it (as book/running_live.md describes)
    box = w.VBox([out, w.HBox(list(controls.values())[:3]), w.HBox(list(controls.values())[3:]),
                  hint])
    text = f"Exploration of {plot_fn.__name__ if hasattr(plot_fn, '__name__') else 'plot_fn'}" \
           f" over {', '.join(controls)}"
    if player is not None:
        text += f" (static player: {player.param}, {len(player.values)} frames)"
    ex = Explorer(box, player, default_png, text)
    display(ex)
    return ex


def explore_emergent_beta(J=0.8, T=0.19, lattice_size=64, R_min=-2.0, R_max=2.0,
                          n_points=25, n_steps=100, seed=1):
    """Sliders for J, T, L and the scan range that re-run the emergent-beta scan.

    The figure shows the scanned response, its logistic fit and the mean-field
    curve, with the fitted beta beside the guide's J/T and the mean-field beta.
    The static book shows J = 0, 0.2, 0.4, 0.8 (default), 1.2 precomputed, the
    other controls at their defaults.

    Parameters
    ----------
    J, T, lattice_size : float, float, int
        Defaults of the sliders (coupling, noise, L).
    R_min, R_max : float
        Default scan range.
    n_points, n_steps : int
        Points of the scan and sweeps per point (not controls).
    seed : int
        Seed of every scan.

    Returns
    -------
    Explorer

    Examples
    --------
    On a small lattice and a short scan (the five precomputed frames still
    take a few seconds to render):

    >>> from utacbook.viz import explore_emergent_beta
    >>> ex = explore_emergent_beta(lattice_size=16, n_points=5, n_steps=10, seed=1)
    Exploration of draw over J, T, lattice_size, R_range (static player: J, 5 frames)
    >>> ex.player.values, ex.player.default_index
    ([0.0, 0.2, 0.4, 0.8, 1.2], 3)
    >>> [c.description for c in ex.box.children[1].children + ex.box.children[2].children]
    ['J', 'T', 'L', 'R range']
    """
    import ipywidgets as w
    import matplotlib.pyplot as plt
    import numpy as np

    from utacbook.models._abm import ABMParams, EmergentBetaSimulator
    from utacbook.viz._plotting import plot_scan
    from utacbook.theory._mean_field import mean_field_beta, mean_field_response

    def draw(J, T, lattice_size, R_range):
        p = ABMParams(J=J, T=T, lattice_size=int(lattice_size), seed=seed)
        r = EmergentBetaSimulator(p).compute_emergent_beta(R_range[0], R_range[1], n_points,
                                                          n_steps=n_steps)
        Rf = np.linspace(R_range[0], R_range[1], 200)
        fig, ax = plt.subplots(figsize=(6.4, 3.8))
        plot_scan(r["R_values"], r["sigma_values"], beta=r["beta_emergent"],
                  theta=r["fit_info"]["theta"], mean_field=(Rf, mean_field_response(Rf, J, T)),
                  ax=ax, label=f"simulation, L={int(lattice_size)}")
        ax.set_title(fr"fitted $\beta$={r['beta_emergent']:.3g} (R²={r['r_squared']:.3f}); "
                     fr"guide's J/T={J / T:.3g}; mean-field $\beta$={mean_field_beta(J, T):.3g}",
                     fontsize=9)
        return fig

    controls = {
        "J": w.FloatSlider(value=J, min=0.0, max=1.5, step=0.01, description="J"),
        "T": w.FloatSlider(value=T, min=0.02, max=1.0, step=0.01, description="T"),
        "lattice_size": w.IntSlider(value=lattice_size, min=16, max=256, step=16,
                                    description="L"),
        "R_range": w.FloatRangeSlider(value=(R_min, R_max), min=-5.0, max=5.0, step=0.1,
                                      description="R range"),
    }
    return live_explorer(draw, controls, static_param="J",
                         static_values=(0.0, 0.2, 0.4, 0.8, 1.2))


def _plot_compatible(sets, *, pinned=(), truth=(), ax=None, colors=None, J_max=None, T_max=None):
    """Draw compatible (J, T) sets, pinned pairs with 2-sigma ellipses and true pairs (see
    :func:`utacbook.studies.rg.what_beta_measures.plot_compatible`)."""
    import math

    import matplotlib.pyplot as plt
    import numpy as np
    from matplotlib.patches import Ellipse
    if ax is None:
        _, ax = plt.subplots(figsize=(6.5, 4.5))
    colors = colors or ["#2ca02c", "C0", "C4", "C5"]
    J_top = J_max if J_max is not None else max(float(np.nanmax(s.J[np.isfinite(s.J)])) for s in sets)
    tops = []
    for s, c in zip(sets, colors):
        fin = np.isfinite(s.T) & np.isfinite(s.T_hi) & (s.J <= 1.02 * J_top)
        tops.append(float(s.T_hi[fin].max()) if fin.any() else 0.0)
        ax.fill_between(s.J[fin], s.T_lo[fin], s.T_hi[fin], color=c, alpha=0.18, lw=0)
        ax.plot(s.J[fin], s.T[fin], "-", color=c, lw=1.6,
                label=f"{s.source}: β = {s.beta:.3g} ± {s.beta_err:.2g}")
    markers = "o^vsD"
    for n, (p, lab) in enumerate(pinned):
        ax.errorbar([p.J], [p.T], xerr=[p.J_err], yerr=[p.T_err], fmt=markers[n % 5], color="C3", ms=5,
                    capsize=2, label=lab)
        C = np.array([[p.J_err ** 2, p.cov_JT], [p.cov_JT, p.T_err ** 2]])
        w, V = np.linalg.eigh(C)
        if np.all(w > 0):
            ang = math.degrees(math.atan2(V[1, 1], V[0, 1]))
            ax.add_patch(Ellipse((p.J, p.T), 2 * 2 * math.sqrt(w[1]), 2 * 2 * math.sqrt(w[0]), angle=ang,
                                 fill=False, color="C3", lw=0.8))
    for (J, T), lab in truth:
        ax.plot([J], [T], "x", color="k", ms=8, mew=1.5, label=lab)
    tops += [p.T + 3 * p.T_err for p, _ in pinned] + [T for (_, T), _ in truth]
    ax.set_xlabel("coupling $J$ (field units)")
    ax.set_ylabel("noise $T$ (field units)")
    ax.set_xlim(0, J_top)
    ax.set_ylim(0, T_max if T_max is not None else 1.1 * max(tops))
    ax.legend(fontsize=8, loc="upper left")
    return ax


def _inverse_problem(beta, beta_err_pct, theta, width, use_theta, use_width, calibration=None, theta_err_pct=0.1):
    """The computation behind :func:`explore_compatible_couplings`: compatible sets, pinned pairs, notes.

    Theta's standard error is ``theta_err_pct`` per cent of ``|Theta|``.

    Returns
    -------
    sets : list of utacbook.theory.CompatibleSet
        Mean field, then the lattice's (with a calibration).
    pinned : list of (PinnedCouplings, str)
        The pairs pinned by Theta and/or the width, with their legend labels.
    notes : list of str
        Inversions that have no solution (e.g. a width narrower than any coupling allows).
    J_show : float
        The J range to draw.
    """
    import numpy as np

    from utacbook.theory import _mean_field as th
    lat = calibration
    if lat is not None and not all(hasattr(lat, m) for m in ("compatible_couplings", "pin", "pin_by")):
        raise TypeError(f"calibration must be a utacbook.studies.rg.what_beta_measures.Calibration (with "
                        f"compatible_couplings, pin and pin_by), got {type(lat).__name__}")
    be = beta * beta_err_pct / 100.0
    sets = [th.mean_field_compatible_couplings(beta, be)]
    if lat is not None:
        sets.append(lat.compatible_couplings(beta, be))
    pinned, notes = [], []
    J_show = 30.0 / beta
    sources = ("mean field",) + (("lattice",) if lat is not None else ())
    if use_theta:
        te = theta_err_pct / 100.0 * abs(theta)
        J_show = max(J_show, -3.0 * theta)
        for src in sources:
            try:
                p = (th.pin_couplings(beta, theta, beta_err=be, theta_err=te) if src == "mean field"
                     else lat.pin(beta, theta, beta_err=be, theta_err=te))
            except ValueError as exc:
                notes.append(f"Θ, {src}: {exc}")
                continue
            pinned.append((p, f"pinned by Θ ({src}): J = {p.J:.3g} ± {p.J_err:.1g}, T = {p.T:.3g} ± {p.T_err:.1g}"))
    if use_width:
        we = width * beta_err_pct / 100.0
        for src in sources:
            try:
                p = (th.pin_couplings_by_width(beta, width, beta_err=be, width_err=we) if src == "mean field"
                     else lat.pin_by(beta, beta * width, beta_err=be,
                                     obs_err=float(np.hypot(width * be, beta * we)), which="shape"))
            except ValueError as exc:
                notes.append(f"width, {src}: {exc}")
                continue
            J_show = max(J_show, 1.2 * p.J)
            pinned.append((p, f"pinned by the width ({src}): J = {p.J:.3g} ± {p.J_err:.1g}, "
                              f"T = {p.T:.3g} ± {p.T_err:.1g}"))
    return sets, pinned, notes, J_show


def explore_compatible_couplings(beta=25.0, beta_err_pct=2.0, theta=-0.4, width=0.1, *, use_theta=True,
                                 use_width=False, calibration=None, theta_err_pct=0.1,
                                 static_values=(8.0, 15.0, 25.0, 40.0, 80.0)):
    """The inverse problem: which (J, T) are compatible with a measured midpoint slope beta?

    Controls: beta (1 / field units) and its relative error, and optionally the midpoint Theta
    and the quartile width w = h_3/4 - h_1/4 of the transition (field units).  The figure shows
    in the (J, T) plane the compatible set of beta alone, ``T = f(J/T)/beta`` (mean field: the
    straight line ``T = g'(0) (J + 4/beta)``; the lattice's curve if ``calibration`` is given),
    with its one-standard-error band, and, when Theta is used, the single pair it pins
    (``J = -2 Theta``, then ``K f(K) = beta J``, ``T = J/K``) with a 2-sigma error ellipse; when
    the width is used, the pair pinned by the shape ``beta w`` (mean field, and the lattice if
    calibrated).  Theta's error is ``theta_err_pct`` per cent of ``|Theta|`` (not a control), the
    width's relative error beta's (for the lattice the errors of beta and of the shape ``beta w``
    are propagated as independent, an approximation).

    Parameters
    ----------
    beta : float, default 25
        Midpoint slope (the guide's "LLM training" system has about 25 at L = 64).
    beta_err_pct : float, default 2
        Its relative standard error in per cent.
    theta : float, default -0.4
        The midpoint (< 0).
    width : float, default 0.1
        The quartile width.
    use_theta, use_width : bool
        Whether the second observables are used at the start.
    calibration : utacbook.studies.rg.what_beta_measures.Calibration, optional
        The lattice's f(K) (and shape factor); without it only mean field is drawn.
    theta_err_pct : float, default 0.1
        Theta's relative standard error in per cent (> 0).
    static_values : sequence of float
        The values of beta precomputed for the HTML book (other controls at their defaults).

    Returns
    -------
    Explorer

    Examples
    --------
    Mean field only (no calibration), with two precomputed values of beta:

    >>> from utacbook.viz import explore_compatible_couplings
    >>> ex = explore_compatible_couplings(beta=25.0, static_values=(15.0, 25.0))
    Exploration of draw over beta, beta_err_pct, theta, width, use_theta, use_width (static player: beta, 2 frames)
    >>> ex.player.values, ex.player.default_index
    ([15.0, 25.0], 1)
    >>> [c.description for c in ex.box.children[1].children + ex.box.children[2].children]
    ['β', 'error %', 'Θ', 'width w', 'use Θ', 'use width']
    """
    import ipywidgets as w
    import matplotlib.pyplot as plt

    if isinstance(theta_err_pct, bool) or not (isinstance(theta_err_pct, numbers.Real) and 0 < theta_err_pct < 100):
        raise ValueError(f"theta_err_pct must be a number in (0, 100), got {theta_err_pct!r}")
    _inverse_problem(beta, beta_err_pct, theta, width, use_theta, use_width, calibration,
                     theta_err_pct)   # checks the inputs

    def draw(beta, beta_err_pct, theta, width, use_theta, use_width):
        sets, pinned, notes, J_show = _inverse_problem(beta, beta_err_pct, theta, width, use_theta, use_width,
                                                       calibration, theta_err_pct)
        fig, ax = plt.subplots(figsize=(7.0, 4.6))
        _plot_compatible(sets, pinned=pinned, ax=ax, J_max=J_show)
        if use_theta:
            ax.axvline(-2 * theta, color="C3", ls=":", lw=1)
        be = beta * beta_err_pct / 100.0
        ax.set_title(fr"$\beta$ = {beta:.3g} ± {be:.2g}" + (f", Θ = {theta:.3g}" if use_theta else "")
                     + (f", w = {width:.3g}" if use_width else ""), fontsize=10)
        if notes:
            ax.text(0.99, 0.02, "\n".join(notes), transform=ax.transAxes, ha="right", va="bottom", fontsize=7,
                    color="C3", wrap=True)
        return fig

    controls = {
        "beta": w.FloatLogSlider(value=beta, base=10, min=0.0, max=2.5, step=0.01, description="β"),
        "beta_err_pct": w.FloatSlider(value=beta_err_pct, min=0.1, max=20.0, step=0.1, description="error %"),
        "theta": w.FloatSlider(value=theta, min=-2.0, max=-0.01, step=0.01, description="Θ"),
        "width": w.FloatLogSlider(value=width, base=10, min=-3.0, max=0.5, step=0.01, description="width w"),
        "use_theta": w.Checkbox(value=use_theta, description="use Θ"),
        "use_width": w.Checkbox(value=use_width, description="use width"),
    }
    return live_explorer(draw, controls, static_param="beta", static_values=static_values)
