"""Plot helpers, so that chapters show the idea and not the boilerplate.

Claims tables are made by :mod:`utacbook.claims` (verdicts computed from
criteria), numbers for the prose by :mod:`utacbook.report`.

Every function draws on a given (or new) matplotlib axis and returns it;
none calls ``plt.show``.  Colours follow one palette across the book.
"""

from __future__ import annotations

import numpy as np




__all__ = ["style", "plot_scan", "plot_lattices", "log_size_axes", "PALETTE"]

#: colours used across the book
PALETTE = {"sim": "#1f77b4", "fit": "#d62728", "mf": "#2ca02c", "guide": "#7f7f7f",
           "alt": "#ff7f0e", "extra": "#9467bd"}


def style():
    """Apply the book's matplotlib style (call once in a chapter's imports cell).

    It updates ``matplotlib.rcParams``: figure size 6.4 x 4 inches, a light
    grid, no top and right spines, 10-point text, legends without a frame.

    Examples
    --------
    A chapter calls ``style()`` once; here it is applied inside
    ``rc_context``, which restores the previous settings afterwards:

    >>> import matplotlib as mpl
    >>> from utacbook.viz import style
    >>> with mpl.rc_context():
    ...     style()
    ...     print(mpl.rcParams["figure.figsize"], mpl.rcParams["axes.grid"],
    ...           mpl.rcParams["axes.spines.top"], mpl.rcParams["legend.frameon"])
    [6.4, 4.0] True False False
    """
    import matplotlib as mpl
    mpl.rcParams.update({
        "figure.figsize": (6.4, 4.0), "figure.dpi": 100, "savefig.dpi": 150,
        "axes.grid": True, "grid.alpha": 0.3, "axes.spines.top": False,
        "axes.spines.right": False, "font.size": 10, "legend.frameon": False,
    })


def _ax(ax, **kw):
    if ax is None:
        import matplotlib.pyplot as plt
        _, ax = plt.subplots(**kw)
    return ax


def plot_scan(R, sigma, *, sigma_err=None, beta=None, theta=None, mean_field=None,
              label="simulation", ax=None, color=None, fit_label=None):
    r"""Plot a scanned response sigma(R), optionally with its logistic fit and mean field.

    Parameters
    ----------
    R, sigma : array_like
        Scan grid and mean activations.
    sigma_err : array_like, optional
        Error bars on ``sigma``.
    beta, theta : float, optional
        Fitted logistic to overlay (skipped if beta is nan).
    mean_field : tuple (R_mf, sigma_mf), optional
        A mean-field curve to overlay.
    label : str, default "simulation"
        Legend label of the data.
    ax : matplotlib.axes.Axes, optional
        Where to draw (default: a new figure).
    color : str, optional
        Colour of the data (default the palette's ``"sim"``).
    fit_label : str, optional
        Legend label of the fit (default shows the fitted beta).

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    A made-up scan that is an exact logistic (beta = 4, theta = -0.4), with
    that logistic and the mean-field curve at J = 0.8, T = 0.19 overlaid; the
    drawn fit passes through 1/2 at theta:

    >>> import numpy as np
    >>> import matplotlib.pyplot as plt
    >>> from utacbook.stats import logistic
    >>> from utacbook.theory import mean_field_response
    >>> from utacbook.viz import plot_scan
    >>> R = np.linspace(-2.0, 2.0, 9)
    >>> ax = plot_scan(R, logistic(R, 4.0, -0.4), beta=4.0, theta=-0.4,
    ...                mean_field=(R, mean_field_response(R, J=0.8, T=0.19)))
    >>> [line.get_label() for line in ax.lines]
    ['simulation', 'logistic fit, $\\beta$=4', 'mean field']
    >>> x_fit, y_fit = ax.lines[1].get_data()
    >>> round(float(np.interp(-0.4, x_fit, y_fit)), 4)
    0.5
    >>> plt.close(ax.figure)
    """
    from utacbook.stats._fitting import logistic
    ax = _ax(ax)
    color = color or PALETTE["sim"]
    R = np.asarray(R)
    if sigma_err is None:
        ax.plot(R, sigma, "o", ms=4, color=color, label=label)
    else:
        ax.errorbar(R, sigma, yerr=sigma_err, fmt="o", ms=4, capsize=2, color=color,
                    label=label)
    Rf = np.linspace(R.min(), R.max(), 400)
    if beta is not None and np.isfinite(beta):
        ax.plot(Rf, logistic(Rf, beta, theta), "-", color=PALETTE["fit"], lw=1.5,
                label=fit_label or fr"logistic fit, $\beta$={beta:.3g}")
    if mean_field is not None:
        ax.plot(mean_field[0], mean_field[1], "--", color=PALETTE["mf"], lw=1.5,
                label="mean field")
    ax.set_xlabel("field $h$ (the guide's $R$)")
    ax.set_ylabel(r"mean activation $\bar\sigma$")
    ax.set_ylim(-0.03, 1.03)
    ax.legend(loc="upper left")
    return ax


def plot_lattices(lattices, titles=None, *, axes=None, vmin=0.0, vmax=1.0, cmap="viridis",
                  colorbar=True):
    """Show a row of lattices (e.g. the scales of a multi-scale coarsening).

    Parameters
    ----------
    lattices : sequence of 2-D arrays
        One panel each.
    titles : sequence of str, optional
        Panel titles (default the shapes, ``"16x16"``).
    axes : sequence of matplotlib.axes.Axes, optional
        Where to draw (default: a new row of panels).
    vmin, vmax : float, default 0, 1
        Colour scale, shared by all panels.
    cmap : str, default "viridis"
    colorbar : bool, default True
        Add one colour bar for the row.

    Returns
    -------
    fig, axes

    Examples
    --------
    A random 16 x 16 lattice of 0/1 and two block-averaged scales of it:

    >>> import numpy as np
    >>> import matplotlib.pyplot as plt
    >>> from utacbook.stats import multi_scale_coarsening
    >>> from utacbook.viz import plot_lattices
    >>> lat = np.random.default_rng(0).integers(0, 2, (16, 16)).astype(float)
    >>> fig, axes = plot_lattices(multi_scale_coarsening(lat, n_scales=2))
    >>> [ax.get_title() for ax in axes], len(fig.axes)    # three panels and the colour bar
    (['16x16', '8x8', '4x4'], 4)
    >>> axes[2].images[0].get_array().shape
    (4, 4)
    >>> plt.close(fig)
    """
    import matplotlib.pyplot as plt
    n = len(lattices)
    if axes is None:
        fig, axes = plt.subplots(1, n, figsize=(2.6 * n + 0.6, 2.8), squeeze=False)
        axes = axes[0]
    else:
        fig = axes[0].figure
    im = None
    for k, (ax, lat) in enumerate(zip(axes, lattices)):
        im = ax.imshow(lat, cmap=cmap, vmin=vmin, vmax=vmax, interpolation="nearest")
        ax.set_title(titles[k] if titles else f"{lat.shape[0]}x{lat.shape[1]}", fontsize=9)
        ax.axis("off")
    if colorbar and im is not None:
        fig.colorbar(im, ax=list(axes), shrink=0.8, label=r"$\sigma$")
    return fig, axes



# =============================================================================
# Figures (each returns a matplotlib figure; the chapter calls plt.show())
# =============================================================================

def _plt():
    import matplotlib.pyplot as plt
    pass
    return plt, PALETTE



def log_size_axes(ax, sizes):
    """Log-log axes against lattice size with plain-number ticks at ``sizes`` (16, 32, ... not 2x10^1).

    Call it after plotting: the density of the y ticks follows the data's range.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import matplotlib.pyplot as plt
    >>> from utacbook.viz import log_size_axes
    >>> fig, ax = plt.subplots()
    >>> _ = ax.plot([16, 32, 64], [1, 3, 9])
    >>> log_size_axes(ax, [16, 32, 64])
    >>> [t.get_text() for t in ax.get_xticklabels()]
    ['16', '32', '64']
    >>> plt.close(fig)
    """
    from matplotlib.ticker import FixedLocator, FuncFormatter, LogLocator, NullFormatter, ScalarFormatter
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.xaxis.set_major_locator(FixedLocator([float(x) for x in sizes]))
    ax.xaxis.set_major_formatter(ScalarFormatter())
    ax.xaxis.set_minor_formatter(NullFormatter())
    lo, hi = ax.get_ylim()                                   # call after plotting: ticks follow the range
    decades = np.log10(hi / lo) if lo > 0 and hi > lo else 1.0
    subs = (1.0,) if decades > 2.5 else (1.0, 2.0, 5.0) if decades > 1.0 else (1.0, 1.5, 2.0, 3.0, 5.0, 7.0)
    ax.yaxis.set_major_locator(LogLocator(base=10.0, subs=subs))
    ax.yaxis.set_major_formatter(FuncFormatter(lambda y, _: f"{y:g}"))
    ax.yaxis.set_minor_formatter(NullFormatter())
