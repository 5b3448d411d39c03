"""``plots.plot_loss_curve``, ``ProfileScene`` and ``LossCurveScene``: a loss of
one parameter with the iterates on it, and per-layer gradient profiles.
"""

import numpy as np
import pytest
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from descent import nets, optim, plots, run


@pytest.fixture(scope="module")
def rnn_loss():
    """The chapter's linear RNN problem: a teacher with w* = 0.9, T = 30 steps."""
    rnn = nets.LinearRNN()
    inputs = 0.1 * np.random.default_rng(1).standard_normal((8, 30))
    targets = 0.9**30 + inputs @ 0.9 ** np.arange(29, -1, -1)
    return nets.BatchLoss(rnn, inputs, targets, rnn.init_params(1.1),
                          minima=np.array([[0.9]]), start=np.array([1.1]))


def new_figure():
    fig = Figure(figsize=(6, 3))
    FigureCanvasAgg(fig)
    return fig


# ------------------------------------------------------------------------- plots


def test_plot_loss_curve_hides_iterates_outside_the_curve_and_says_so(rnn_loss):
    xs = np.linspace(0.5, 1.2, 50)
    fs = np.array([rnn_loss.value(np.array([x])) for x in xs])
    runs = {"sgd": run.run(optim.sgd(0.01), rnn_loss, steps=20),
            "adam": run.run(optim.adam(0.01), rnn_loss, steps=20)}
    fig = new_figure()
    ax = fig.add_subplot()
    out = plots.plot_loss_curve(ax, xs, fs, runs)
    w = out["sgd"]["path"].get_xdata()
    assert np.all((w >= 0.5) & (w <= 1.2))
    assert "left the plot at step 1" in out["sgd"]["note"].get_text()
    assert "diverged at step" in out["sgd"]["note"].get_text()
    assert out["adam"]["note"] is None
    assert ax.get_yscale() == "log"
    fig.canvas.draw()


def test_plot_loss_curve_rejects_bad_curves():
    ax = new_figure().add_subplot()
    with pytest.raises(ValueError, match="same length"):
        plots.plot_loss_curve(ax, [0.0, 1.0], [1.0])
    with pytest.raises(ValueError, match="must be > 0"):
        plots.plot_loss_curve(ax, [0.0, 1.0], [1.0, 0.0])
    with pytest.raises(ValueError, match="finite"):
        plots.plot_loss_curve(ax, [0.0, 1.0], [1.0, np.inf])


def test_profile_scene_moves_positive_finite_values_into_its_lines():
    scene = plots.ProfileScene(["a", "b"], [("x", (1e-3, 10.0)), ("y", (1e-3, 10.0))],
                               n_layers=4, colors={"a": "#000000"})
    fig = new_figure()
    scene.setup(fig)
    changed = scene.draw([{"a": [1.0, 0.0, np.nan, 2.0], "b": [1, 2, 3]},
                          {"a": [1.0], "b": []}], title="t")
    xs, ys = scene.lines[0]["a"].get_data()
    np.testing.assert_array_equal(xs, [1, 4])
    np.testing.assert_array_equal(ys, [1.0, 2.0])
    assert scene.lines[0]["a"].get_color() == "#000000"
    assert scene.title.get_text() == "t"
    assert len(changed) == 5
    with pytest.raises(ValueError, match="one mapping per panel"):
        scene.draw([{}])


def test_profile_scene_rejects_bad_limits():
    with pytest.raises(ValueError, match="0 < ymin < ymax"):
        plots.ProfileScene(["a"], [("x", (0.0, 1.0))], n_layers=3)
    with pytest.raises(ValueError, match="n_layers"):
        plots.ProfileScene(["a"], [("x", (0.1, 1.0))], n_layers=0)


def test_loss_curve_scene_reports_divergence_and_never_draws_non_finite(rnn_loss):
    xs = np.linspace(0.5, 1.2, 30)
    fs = np.array([rnn_loss.value(np.array([x])) for x in xs])
    scene = plots.LossCurveScene(xs, fs, ["sgd", "adam"], steps=20,
                                 loss_range=(1e-12, 1e6))
    fig = new_figure()
    scene.setup(fig)
    runs = {"sgd": run.run(optim.sgd(0.01), rnn_loss, steps=20),
            "adam": run.run(optim.adam(0.01), rnn_loss, steps=20)}
    scene.draw(runs, title="lr 0.01")
    assert "diverged at step" in scene.artists["sgd"]["note"].get_text()
    assert scene.artists["adam"]["note"].get_text() == ""
    for a in scene.artists.values():
        for key in ("path", "loss"):
            assert np.all(np.isfinite(a[key].get_ydata()))
    with pytest.raises(ValueError, match="0 < low < high"):
        plots.LossCurveScene(xs, fs, ["sgd"], steps=5, loss_range=(1.0, 1.0))
