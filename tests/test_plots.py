"""descent.plots: fixed colours, English-only figures, nothing non-finite drawn."""

import importlib
import re

import matplotlib as mpl
import numpy as np
import pytest
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.collections import PathCollection
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.text import Text

from descent import landscapes, optim, plots, run

CJK = re.compile(r"[\u2e80-\u9fff\uac00-\ud7af\uff00-\uffef]")


def new_axes(ncols=1):
    fig = Figure(figsize=(6, 3))
    FigureCanvasAgg(fig)
    axes = fig.subplots(1, ncols)
    return fig, axes


@pytest.fixture(scope="module")
def rosen():
    return landscapes.LANDSCAPES["rosenbrock"]


@pytest.fixture(scope="module")
def race_with_divergence(rosen):
    trajs = run.race(
        {"sgd": optim.sgd(0.05), "adam": optim.adam(0.05),
         "momentum": optim.momentum(0.001, beta=0.9)},
        rosen, steps=100)
    # Precondition of the tests below: one run blows up, the others do not.
    assert trajs["sgd"].diverged_at is not None
    assert trajs["adam"].diverged_at is None
    return trajs


def all_line_data(ax):
    for line in ax.get_lines():
        yield line, np.asarray(line.get_xdata(), float), np.asarray(
            line.get_ydata(), float)


def test_the_package_re_exports_every_public_name_from_its_subject_module():
    for name in plots.__all__:
        obj = getattr(plots, name)
        home = getattr(obj, "__module__", None)
        if home is not None and callable(obj):
            assert home.startswith("descent.plots."), (name, home)
            assert getattr(importlib.import_module(home), name) is obj


def test_color_for_is_the_same_for_every_spelling_of_a_name():
    assert plots.color_for("adam") == plots.OPTIMIZER_COLORS["adam"]
    assert plots.color_for("Adam") == plots.color_for("adam")
    assert plots.color_for("adam (lr=0.1)") == plots.color_for("adam")
    assert plots.color_for("AdamW") == plots.OPTIMIZER_COLORS["adamw"]
    assert plots.color_for("adamw") != plots.color_for("adam")


def test_every_optimizer_family_has_its_own_colour():
    colours = list(plots.OPTIMIZER_COLORS.values())
    assert len(set(colours)) == len(colours)
    for name in optim.OPTIMIZERS:
        assert name in plots.OPTIMIZER_COLORS


def test_unknown_names_get_a_stable_colour_from_the_extra_palette():
    first = plots.color_for("sigmoid")
    assert first == plots.color_for("sigmoid")
    assert mpl.colors.is_color_like(first)
    assert first not in plots.OPTIMIZER_COLORS.values()


def test_use_book_style_sets_small_english_fonts():
    with mpl.rc_context():
        plots.use_book_style()
        assert mpl.rcParams["font.size"] == plots.BOOK_RC["font.size"]
        assert mpl.rcParams["font.family"] == ["DejaVu Sans"]
        assert mpl.rcParams["savefig.dpi"] == plots.BOOK_RC["savefig.dpi"]


def test_plot_landscape_covers_the_domain_and_marks_the_minima(rosen):
    fig, ax = new_axes()
    out = plots.plot_landscape(ax, rosen)
    (x0, x1), (y0, y1) = rosen.domain
    assert ax.get_xlim() == (x0, x1)
    assert ax.get_ylim() == (y0, y1)
    np.testing.assert_array_equal(
        np.column_stack(out["minima"].get_data()), np.asarray(rosen.minima))
    levels = out["lines"].levels
    assert np.all(np.diff(levels) > 0)


def test_plot_landscape_with_log_levels_works_below_zero():
    saddle = landscapes.LANDSCAPES["saddle"]
    fig, ax = new_axes()
    out = plots.plot_landscape(ax, saddle, log=True)
    X, Y, Z = plots.landscape_grid(saddle)
    assert Z.min() < 0  # precondition: the saddle goes below zero
    assert out["lines"].levels[0] == pytest.approx(Z.min())


def test_plot_landscape_rejects_too_few_levels(rosen):
    fig, ax = new_axes()
    with pytest.raises(ValueError, match="levels"):
        plots.plot_landscape(ax, rosen, levels=2)


def test_plot_trajectories_never_draws_a_non_finite_point(rosen, race_with_divergence):
    fig, ax = new_axes()
    plots.plot_trajectories(ax, rosen, race_with_divergence)
    fig.canvas.draw()
    for line, x, y in all_line_data(ax):
        assert np.all(np.isfinite(x)) and np.all(np.isfinite(y)), line.get_label()


def test_a_diverged_run_ends_with_an_x_and_says_at_which_step(
        rosen, race_with_divergence):
    fig, ax = new_axes()
    out = plots.plot_trajectories(ax, rosen, race_with_divergence)
    k = race_with_divergence["sgd"].diverged_at
    assert out["sgd"]["end"].get_marker() == "x"
    assert out["sgd"]["text"].get_text() == f"diverged at step {k}"
    # The x stays inside the plot box even when the run left it.
    (x0, x1), (y0, y1) = rosen.domain
    ex, ey = out["sgd"]["end"].get_data()
    assert x0 <= ex[0] <= x1 and y0 <= ey[0] <= y1
    assert out["adam"]["text"] is None
    assert out["adam"]["end"].get_marker() == "o"


def test_plot_trajectories_draws_each_path_in_its_optimizers_colour(
        rosen, race_with_divergence):
    fig, ax = new_axes()
    out = plots.plot_trajectories(ax, rosen, race_with_divergence)
    for name, traj in race_with_divergence.items():
        path = out[name]["path"]
        assert mpl.colors.same_color(path.get_color(), plots.color_for(name))
        np.testing.assert_array_equal(np.column_stack(path.get_data()), traj.params)


def test_plot_trajectories_upto_shows_only_the_first_steps(rosen, race_with_divergence):
    fig, ax = new_axes()
    out = plots.plot_trajectories(ax, rosen, race_with_divergence, upto=1)
    assert len(out["adam"]["path"].get_xdata()) == 2
    assert out["sgd"]["text"] is None  # it has not diverged yet at step 1


def test_plot_losses_marks_divergence_and_stays_finite(race_with_divergence):
    fig, ax = new_axes()
    out = plots.plot_losses(ax, race_with_divergence)
    for line, _, y in all_line_data(ax):
        assert np.all(np.isfinite(y)), line.get_label()
    sgd = race_with_divergence["sgd"]
    assert out["sgd"]["end"].get_marker() == "x"
    assert out["sgd"]["end"].get_xdata()[0] == sgd.steps
    assert out["adam"]["end"] is None
    assert ax.get_yscale() == "log"


def test_plot_losses_switches_to_symlog_for_negative_losses():
    saddle = landscapes.LANDSCAPES["saddle"]
    trajs = run.race({"sgd": optim.sgd(0.1)}, saddle, steps=200)
    assert trajs["sgd"].loss.min() < 0  # precondition
    fig, ax = new_axes()
    plots.plot_losses(ax, trajs)
    assert ax.get_yscale() == "symlog"


def test_plot_step_lengths_and_angles_start_at_step_one(race_with_divergence):
    fig, (a, b) = new_axes(2)
    lengths = plots.plot_step_lengths(a, race_with_divergence)
    angles = plots.plot_angles(b, race_with_divergence)
    adam = race_with_divergence["adam"]
    assert lengths["adam"]["line"].get_xdata()[0] == 1
    np.testing.assert_array_equal(lengths["adam"]["line"].get_ydata(),
                                  adam.step_length)
    np.testing.assert_array_equal(angles["adam"]["line"].get_ydata(), adam.angle)
    assert b.get_ylim() == (0, 180)


def test_plot_grad_norms_draws_one_bar_per_layer():
    fig, ax = new_axes()
    bars = plots.plot_grad_norms(ax, np.array([1e-6, 1e-4, 1e-2, 1.0]))
    assert len(bars) == 4
    assert [b.get_x() + b.get_width() / 2 for b in bars] == [1, 2, 3, 4]
    assert ax.get_yscale() == "log"


def test_plot_grad_norms_draws_one_line_per_series():
    fig, ax = new_axes()
    lines = plots.plot_grad_norms(ax, {"sgd": [1.0, 0.1, 0.01], "adam": [1, 1, 1]})
    assert set(lines) == {"sgd", "adam"}
    assert mpl.colors.same_color(lines["sgd"].get_color(), plots.color_for("sgd"))
    fig, ax = new_axes()
    lines = plots.plot_grad_norms(ax, np.ones((2, 5)), labels=["tanh", "relu"])
    assert len(lines["tanh"].get_xdata()) == 5


def test_plot_grad_norms_leaves_out_zeros_on_a_log_axis():
    fig, ax = new_axes()
    bars = plots.plot_grad_norms(ax, np.array([0.0, 1e-3, 1.0]))
    assert len(bars) == 2


def test_plot_grad_norms_refuses_non_finite_norms():
    fig, ax = new_axes()
    with pytest.raises(ValueError, match=r"non-finite values at layers \[2\]"):
        plots.plot_grad_norms(ax, np.array([1.0, np.inf, 1.0]))
    with pytest.raises(ValueError, match="labels"):
        plots.plot_grad_norms(ax, np.ones((2, 3)), labels=["one"])


def test_figures_hold_english_text_only(rosen, race_with_divergence):
    fig, (a, b) = new_axes(2)
    plots.plot_trajectories(a, rosen, race_with_divergence)
    plots.plot_losses(b, race_with_divergence)
    fig.canvas.draw()
    texts = [t.get_text() for t in fig.findobj(Text)]
    assert texts and not [t for t in texts if CJK.search(t)]


def test_trajectory_scene_moves_data_without_adding_artists(rosen,
                                                            race_with_divergence):
    fig = Figure(figsize=(7, 3))
    FigureCanvasAgg(fig)
    scene = plots.TrajectoryScene(rosen, list(race_with_divergence), steps=100,
                                  loss_range=(1e-3, 1e3))
    scene.setup(fig)
    fig.canvas.draw()
    count = len(fig.findobj(Line2D)) + len(fig.findobj(PathCollection))
    changed = scene.draw(race_with_divergence, title="lr = 0.05")
    assert scene.title.get_text() == "lr = 0.05"
    sgd = scene.artists["sgd"]
    assert sgd["text"].get_text().startswith("diverged at step")
    np.testing.assert_array_equal(np.column_stack(sgd["path"].get_data()),
                                  race_with_divergence["sgd"].params)
    scene.draw(race_with_divergence, upto=2)
    assert len(scene.artists["adam"]["path"].get_xdata()) == 3
    assert scene.artists["sgd"]["text"].get_text() == ""
    assert len(fig.findobj(Line2D)) + len(fig.findobj(PathCollection)) == count
    assert all(a.get_animated() for a in changed)
