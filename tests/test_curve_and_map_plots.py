"""``plots.plot_ema_weights``, ``plot_curves``, ``plot_rate_map`` and
``plot_basins`` draw what they are given and refuse bad input.
"""

from __future__ import annotations

import re

import numpy as np
import pytest
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.text import Text
from numpy.testing import assert_allclose, assert_array_equal

from descent import landscapes, plots

STEPS = 500
ATOL = 1e-10
CJK = re.compile(r"[\u2e80-\u9fff\uac00-\ud7af\uff00-\uffef]")


@pytest.fixture(scope="module")
def wells():
    return landscapes.two_wells()


# --- figures ------------------------------------------------------------------------


def new_axes():
    fig = Figure(figsize=(6, 3))
    FigureCanvasAgg(fig)
    return fig, fig.add_subplot()


def all_text(fig):
    fig.canvas.draw()
    return [t.get_text() for t in fig.findobj(Text)]


def test_plot_ema_weights_draws_each_setting_and_its_window():
    fig, ax = new_axes()
    weights = {"beta = 0.5": 0.5 * 0.5 ** np.arange(40),
               "beta = 0.9": 0.1 * 0.9 ** np.arange(40)}
    out = plots.plot_ema_weights(ax, weights, windows={"beta = 0.9": 10.0})
    assert_allclose(out["beta = 0.9"]["line"].get_ydata(), weights["beta = 0.9"])
    assert out["beta = 0.5"]["window"] is None
    assert out["beta = 0.9"]["window"].get_xdata()[0] == 10.0
    colours = {label: out[label]["line"].get_color() for label in weights}
    assert colours["beta = 0.5"] != colours["beta = 0.9"]
    assert ax.get_yscale() == "log"
    assert not any(CJK.search(t) for t in all_text(fig))


def test_plot_ema_weights_leaves_zero_weights_out_of_a_log_axis():
    fig, ax = new_axes()
    out = plots.plot_ema_weights(ax, {"w": np.array([0.5, 0.25, 0.0, 0.125])})
    assert_array_equal(out["w"]["line"].get_xdata(), [0, 1, 3])


def test_plot_ema_weights_rejects_unknown_windows_and_non_finite_weights():
    fig, ax = new_axes()
    with pytest.raises(ValueError, match="windows names labels"):
        plots.plot_ema_weights(ax, {"a": np.ones(3)}, windows={"b": 2.0})
    with pytest.raises(ValueError, match="finite 1-D array"):
        plots.plot_ema_weights(ax, {"a": np.array([1.0, np.nan])})


def test_plot_curves_uses_the_optimizer_colours_and_stops_at_non_finite_values():
    fig, ax = new_axes()
    out = plots.plot_curves(
        ax, {"sgd": np.array([1.0, 0.5, np.inf, 0.1]), "other": np.ones(3)},
        colors={"other": "#123456"}, styles={"other": "--"}, first_step=1)
    assert out["sgd"].get_color() == plots.OPTIMIZER_COLORS["sgd"]
    assert_array_equal(out["sgd"].get_xdata(), [1, 2])
    assert out["other"].get_color() == "#123456"
    assert out["other"].get_linestyle() == "--"


def test_plot_rate_map_masks_non_converging_cells_and_marks_points():
    fig, ax = new_axes()
    lrs, betas = np.array([0.01, 0.02, 0.05]), np.array([0.0, 0.5])
    rates = np.array([[0.99, 0.98, 1.2], [0.95, 0.9, 0.97]])
    out = plots.plot_rate_map(ax, lrs, betas, rates, marks={"best": (0.02, 0.5)})
    shown = out["mesh"].get_array()
    assert np.ma.is_masked(shown)
    assert int(np.ma.count_masked(shown)) == 1  # only the cell with rate 1.2
    assert_array_equal(out["best"].get_xdata(), [0.02])
    assert not any(CJK.search(t) for t in all_text(fig))


def test_plot_rate_map_rejects_a_wrongly_shaped_grid():
    fig, ax = new_axes()
    message = "rates must have shape (len(betas), len(lrs))"
    with pytest.raises(ValueError, match=re.escape(message)):
        plots.plot_rate_map(ax, [0.1, 0.2], [0.0, 0.5], np.ones((2, 3)))


def test_plot_basins_colours_each_category_and_lists_none_only_when_present():
    fig, ax = new_axes()
    xs, ys = np.linspace(0, 1, 4), np.linspace(0, 1, 3)
    labels = np.array([[0, 0, 1, 1], [0, 1, 1, 1], [0, 0, 0, 1]])
    out = plots.plot_basins(ax, xs, ys, labels, names=["deep", "shallow"])
    assert [t.get_text() for t in out["legend"].get_texts()] == ["deep", "shallow"]
    assert_array_equal(np.asarray(out["image"].get_array()).reshape(3, 4), labels + 1)
    fig, ax = new_axes()
    labels[0, 0] = -1
    out = plots.plot_basins(ax, xs, ys, labels, names=["deep", "shallow"])
    assert [t.get_text() for t in out["legend"].get_texts()][-1] == "none"


def test_plot_basins_draws_the_landscape_when_given(wells):
    fig, ax = new_axes()
    xs, ys = np.linspace(-2, 3, 5), np.linspace(-1, 1, 3)
    out = plots.plot_basins(ax, xs, ys, np.zeros((3, 5), int), names=["x"],
                            landscape=wells)
    assert out["landscape"]["minima"] is not None


@pytest.mark.parametrize(
    ("labels", "message"),
    [
        (np.zeros((2, 2), int), "labels must have shape (len(ys), len(xs))"),
        (np.full((3, 2), 2), "labels must lie in -1..1"),
        (np.zeros((3, 2)), "labels must be integers"),
    ],
)
def test_plot_basins_rejects_bad_labels(labels, message):
    fig, ax = new_axes()
    with pytest.raises(ValueError, match=re.escape(message)):
        plots.plot_basins(ax, [0.0, 1.0], [0.0, 0.5, 1.0], labels, names=["a", "b"])
