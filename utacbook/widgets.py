"""Live explorations with ipywidgets that still show a result in the static book.

:func:`live_explorer` first draws the default result as an ordinary figure
(so the HTML book, where no kernel runs, shows it), then shows sliders and
an output area that re-runs the computation whenever a slider is released
(in JupyterLab, with a kernel).
"""

from __future__ import annotations

__all__ = ["live_explorer", "explore_emergent_beta"]


def live_explorer(plot_fn, controls, *, show_default=True):
    """Show ``plot_fn(**defaults)`` as a static figure, then live controls.

    Parameters
    ----------
    plot_fn : callable
        ``plot_fn(**values)`` computes and draws; it must create and return a
        matplotlib figure.
    controls : dict
        Keyword name -> ipywidgets value widget (a slider, a dropdown, ...).
        Their current values are the defaults.
    show_default : bool, default True
        Draw the default result as a plain figure first.

    Returns
    -------
    ipywidgets.VBox
        The controls and the live output area (already displayed).
    """
    import ipywidgets as w
    import matplotlib.pyplot as plt
    from IPython.display import display

    def values():
        return {k: c.value for k, c in controls.items()}

    if show_default:
        fig = plot_fn(**values())
        plt.show()
        plt.close(fig)
    out = w.Output()

    def rerun(_change=None):
        with out:
            out.clear_output(wait=True)
            f = plot_fn(**values())
            plt.show()
            plt.close(f)

    for c in controls.values():
        if hasattr(c, "continuous_update"):
            c.continuous_update = False
        c.observe(rerun, names="value")
    hint = w.HTML("<small>Move a control to recompute (needs a running kernel, "
                  "e.g. <code>make lab</code>); the figure above shows the defaults.</small>")
    box = w.VBox([w.HBox(list(controls.values())[:3]), w.HBox(list(controls.values())[3:]),
                  hint, out])
    display(box)
    return box


def explore_emergent_beta(J=0.8, T=0.19, lattice_size=64, R_min=-2.0, R_max=2.0,
                          n_points=25, n_steps=100, seed=1):
    """Sliders for J, T, L and the scan range that re-run the emergent-beta scan.

    The figure shows the scanned response, its logistic fit and the mean-field
    curve, with the fitted beta beside the guide's J/T and the mean-field beta.
    """
    import ipywidgets as w
    import matplotlib.pyplot as plt
    import numpy as np

    from .abm import ABMParams, EmergentBetaSimulator
    from .plotting import plot_scan
    from .theory import mean_field_beta, mean_field_response

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
    return live_explorer(draw, controls)
