"""Figures of an optimizer comparison (``plots.comparison``) and its explorer."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from descent import explore, plots, sweep  # noqa: E402


@pytest.fixture(scope="module")
def results():
    return sweep.load()


def finite_lines(ax):
    return all(np.all(np.isfinite(np.asarray(line.get_xydata(), dtype=float)))
               for line in ax.get_lines())


def test_sensitivity_is_drawn_against_the_rate_or_the_rate_over_the_chosen(results):
    curves = {n: sweep.sensitivity(results, n, "constant") for n in ("sgd", "adam")}
    best = {r.name: r.best_lr for r in sweep.summary_rows(results, "constant")}
    fig, (a, b) = plt.subplots(1, 2)
    lines = plots.plot_lr_sensitivity(a, curves, chance=0.1)
    plots.plot_lr_sensitivity(b, curves, best=best, relative=True)
    assert set(lines) == {"sgd", "adam"}
    assert a.get_xscale() == "log" and finite_lines(a) and finite_lines(b)
    xs = lines["adam"].get_xdata()
    np.testing.assert_allclose(xs, curves["adam"].lrs)
    # relative: the chosen rate sits at 1
    marked = [ln for ln in b.get_lines() if ln.get_label() == "_best"]
    assert all(np.isclose(ln.get_xdata()[0], 1.0) for ln in marked)
    assert "eta" in b.get_xlabel()
    plt.close(fig)


def test_seed_spread_bars_and_training_curves_draw_only_finite_points(results):
    fig, axes = plt.subplots(2, 2)
    plots.plot_seed_spread(axes[0, 0], {"adam": {"val": [0.9, 0.95, np.nan],
                                                 "test": [0.92, 0.93, 0.94]}})
    plots.plot_bars(axes[0, 1], {"sgd": 10.0, "adam": 30.0, "new": None})
    curve = sweep.analysis.curves(results, "sgd", "constant", 10.0)  # diverges
    assert any(d is not None for d in curve["diverged"])
    plots.plot_training_curves(axes[1, 0], axes[1, 1], {"sgd": curve})
    for ax in axes.flat:
        assert finite_lines(ax)
    assert [t.get_text() for t in axes[0, 1].get_yticklabels()] == ["sgd", "adam",
                                                                     "new"]
    plt.close(fig)


def test_comparison_explorer_has_a_frame_per_optimizer_and_rate(results):
    ex = explore.comparison_explorer(results, names=["sgd", "adam"],
                                     positions=[3, 4, 5],
                                     initial={"optimizer": "adam"})
    assert len(ex.frames) == 2 * 3
    assert ex.options[1] == [("usual / 3.162", 3), ("usual", 4),
                             ("usual × 3.162", 5)]
    assert ex.frame(optimizer="Adam", position="usual").alt == (
        "optimizer = Adam, learning rate = usual")
    assert "shown first: optimizer = Adam" in ex.summary_text
    assert "mean final validation accuracy, warm-up + cosine" in ex.summary_text
    with pytest.raises(ValueError, match="names must be optimizers"):
        explore.comparison_explorer(results, names=["nope"])
    with pytest.raises(ValueError, match="positions must be grid positions"):
        explore.comparison_explorer(results, positions=[9])


def test_training_curves_scene_moves_data_and_colour_into_its_artists(results):
    from matplotlib.figure import Figure

    scene = plots.TrainingCurvesScene(["constant", "cosine"], seeds=5, steps=500,
                                      loss_range=(1e-3, 10.0), chance=0.1)
    with pytest.raises(RuntimeError, match="setup"):
        scene.draw({}, color="red")
    fig = Figure()
    scene.setup(fig)
    ok = sweep.analysis.curves(results, "adam", "constant", 1e-3)
    bad = sweep.analysis.curves(results, "sgd", "constant", 10.0)
    changed = scene.draw({"constant": ok, "cosine": bad}, color="#123456",
                         title="a frame")
    assert scene.title.get_text() == "a frame" and scene.title in changed
    lines = [a for a in changed if hasattr(a, "get_xydata")]
    assert all(line.get_color() == "#123456" for line in lines)
    assert all(np.all(np.isfinite(line.get_xydata())) for line in lines)
    marks = scene.artists["cosine"]["val_x"].get_xdata()
    assert len(marks) == sum(d is not None for d in bad["diverged"]) > 0
    with pytest.raises(ValueError, match="loss_range"):
        plots.TrainingCurvesScene(["a"], seeds=1, steps=1, loss_range=(0, 1))
