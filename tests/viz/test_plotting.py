"""Tests of the plot helpers in utacbook.plotting."""

import matplotlib
import numpy as np

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402

from utacbook.stats import logistic  # noqa: E402
from utacbook.viz import plot_scan  # noqa: E402


def test_plot_scan_draws_the_fit_only_when_there_is_one():
    R = np.linspace(-2, 2, 9)
    s = logistic(R, 3.0, 0.1)
    ax = plot_scan(R, s, beta=3.0, theta=0.1)
    fit = ax.get_lines()[-1]
    x, y = fit.get_data()
    np.testing.assert_allclose(y, logistic(x, 3.0, 0.1))      # the fitted curve itself
    ax2 = plot_scan(R, s, beta=float("nan"), theta=0.0)          # a failed fit draws no curve
    assert len(ax2.get_lines()) == 1
    plt.close(ax.figure)
    plt.close(ax2.figure)             # later tests check that no figure is left open
