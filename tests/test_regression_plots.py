"""Figures of a line fit and its minibatch gradients: plot_line_fit,
plot_gradient_cloud, plot_batch_variance and plot_loss_vs_epochs.
"""

from __future__ import annotations

import matplotlib
import numpy as np
import pytest

matplotlib.use("Agg")

from matplotlib.figure import Figure  # noqa: E402

from descent import plots  # noqa: E402
from descent.optim import sgd  # noqa: E402
from descent.regression import LineFit, line_fit  # noqa: E402
from descent.run import run  # noqa: E402


@pytest.fixture
def fit() -> LineFit:
    return line_fit(n=60, rng=np.random.default_rng(1951))


# --- figure builders --------------------------------------------------------------


def test_chapter_figure_builders_draw_on_the_axes_they_are_given(fit):
    fig = Figure()
    ax1, ax2, ax3, ax4 = fig.subplots(1, 4)
    out = plots.plot_line_fit(ax1, fit, {"start": fit.start})
    assert set(out) == {"points", "least squares", "start"}
    clouds = {f"B = {b}": fit.minibatch_grads(fit.start, b, 50,
                                              np.random.default_rng(b))
              for b in (1, 8)}
    out = plots.plot_gradient_cloud(ax2, clouds, fit.grad(fit.start))
    assert set(out) == {"B = 1", "B = 8", "full"}
    out = plots.plot_batch_variance(ax3, [1, 2, 4], [4.1, 2.0, 0.9], [4.0, 2.0, 1.0])
    assert ax3.get_xscale() == "log" and ax3.get_yscale() == "log"
    trajs = {"GD": run(sgd(0.3), fit, steps=5),
             "SGD": run(sgd(0.05), fit.minibatch(1, np.random.default_rng(0)),
                        steps=300)}
    out = plots.plot_loss_vs_epochs(ax4, trajs, {"GD": fit.n, "SGD": 1}, fit.n,
                                    min_value=fit.min_value)
    gd_epochs = out["GD"].get_xdata()
    sgd_epochs = out["SGD"].get_xdata()
    assert gd_epochs[-1] == pytest.approx(5.0)
    assert sgd_epochs[-1] == pytest.approx(300 / fit.n)
    assert np.all(out["SGD"].get_ydata() > 0)


def test_chapter_figure_builders_reject_what_they_cannot_draw(fit):
    ax = Figure().subplots()
    with pytest.raises(ValueError, match="finite"):
        plots.plot_line_fit(ax, fit, {"bad": [np.nan, 1.0]})
    with pytest.raises(ValueError, match="shape"):
        plots.plot_gradient_cloud(ax, {"B = 1": np.ones((3, 3))}, [0.0, 0.0])
    with pytest.raises(ValueError, match="same length"):
        plots.plot_batch_variance(ax, [1, 2], [1.0], [1.0, 0.5])
    with pytest.raises(ValueError, match="batch_sizes"):
        plots.plot_loss_vs_epochs(ax, {"GD": run(sgd(0.1), fit, steps=2)}, {}, fit.n)
