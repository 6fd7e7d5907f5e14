"""Figures and live explorations: the book's plot style and palette, common
plots, and the widgets that make a chapter's figures interactive.
"""
from ._plotting import (
    PALETTE, log_size_axes, plot_lattices, plot_scan, style,
)
from ._widgets import (
    DEFAULT_N_STATIC, Explorer, MAX_N_STATIC, StaticPlayer, explore_compatible_couplings, explore_emergent_beta,
    live_explorer, static_player,
)

__all__ = [
    'DEFAULT_N_STATIC', 'Explorer', 'MAX_N_STATIC', 'PALETTE', 'StaticPlayer', 'explore_compatible_couplings',
    'explore_emergent_beta', 'live_explorer', 'log_size_axes', 'plot_lattices', 'plot_scan', 'static_player', 'style',
]
