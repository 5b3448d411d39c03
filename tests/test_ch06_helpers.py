"""What the vanishing/exploding-gradient chapter adds to descent.

nets: ``MLP.backprop`` (every δ_l = ∂L/∂z_l) and ``BatchLoss`` (a model on a fixed
batch as a function of one flat vector); plots: ``plot_loss_curve``,
``ProfileScene``, ``LossCurveScene``; explore: ``depth_init_explorer`` and
``clip_explorer``.
"""

import numpy as np
import pytest
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from descent import explore, nets, optim, plots, run


@pytest.fixture(scope="module")
def spirals():
    return nets.two_spirals(64, 0.05, np.random.default_rng(0))


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


# ------------------------------------------------------------------ MLP.backprop


@pytest.mark.parametrize("activation", ["sigmoid", "tanh", "relu"])
def test_backprop_gives_the_same_loss_and_gradients_as_loss_and_grads(
        activation, spirals):
    X, y = spirals
    model = nets.MLP.deep(5, 8, activation=activation, init="xavier")
    params = model.init_params(np.random.default_rng(2))
    loss, grads = model.loss_and_grads(params, X, y)
    r = model.backprop(params, X, y)
    assert r.loss == loss
    for a, b in zip(r.grads, grads, strict=True):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("activation", ["sigmoid", "tanh", "relu"])
def test_deltas_of_one_example_are_its_bias_gradients(activation, spirals):
    # For a batch of one, ∂L/∂b_l = δ_l exactly (the bias enters z_l with weight 1).
    X, y = spirals
    model = nets.MLP.deep(4, 6, activation=activation, init="he")
    params = model.init_params(np.random.default_rng(3))
    r = model.backprop(params, X[:1], y[:1])
    assert len(r.deltas) == model.depth
    for layer, delta in enumerate(r.deltas):
        assert delta.shape == (1, model.sizes[layer + 1])
        np.testing.assert_array_equal(delta[0], r.grads[2 * layer + 1])


def test_weight_gradient_is_delta_times_previous_activation(spirals):
    X, y = spirals
    model = nets.MLP.deep(3, 5, activation="tanh", init="xavier")
    params = model.init_params(np.random.default_rng(4))
    r = model.backprop(params, X, y)
    acts = model.forward(params, X)
    for layer in range(model.depth):
        np.testing.assert_allclose(r.grads[2 * layer], r.deltas[layer].T @ acts[layer],
                                   rtol=1e-12)


def test_sigmoid_deltas_shrink_at_least_by_the_quarter_bound(spirals):
    # ‖δ_l‖ ≤ ‖W_{l+1}‖₂ · max σ' · ‖δ_{l+1}‖ with max σ' = 1/4 (the chapter's bound).
    X, y = spirals
    model = nets.MLP.deep(8, 16, activation="sigmoid", init="normal", std=0.5)
    params = model.init_params(np.random.default_rng(5))
    r = model.backprop(params, X, y)
    for layer in range(model.depth - 1):
        spectral = np.linalg.norm(params[2 * (layer + 1)], 2)
        bound = spectral / 4 * np.linalg.norm(r.deltas[layer + 1])
        assert np.linalg.norm(r.deltas[layer]) <= bound * (1 + 1e-12)


def test_delta_norms_are_the_norms_of_the_deltas_first_layer_first(spirals):
    X, y = spirals
    model = nets.MLP.deep(4, 6, activation="relu", init="he")
    r = model.backprop(model.init_params(np.random.default_rng(6)), X, y)
    expected = [np.linalg.norm(d) for d in r.deltas]
    np.testing.assert_array_equal(r.delta_norms, expected)


def test_he_init_balances_relu_deltas_better_than_xavier(spirals):
    X, y = spirals
    ratios = {}
    for init in ("xavier", "he"):
        model = nets.MLP.deep(16, 32, activation="relu", init=init)
        logs = [np.log(d[0] / d[-1]) for d in (
            model.backprop(model.init_params(np.random.default_rng(k)), X, y)
            .delta_norms for k in range(4))]
        ratios[init] = abs(np.mean(logs))
    assert ratios["he"] < ratios["xavier"] / 2


# --------------------------------------------------------------------- BatchLoss


def test_batch_loss_value_and_grad_are_the_models(spirals):
    X, y = spirals
    model = nets.MLP.deep(3, 4, activation="tanh", init="xavier")
    params = model.init_params(np.random.default_rng(7))
    f = nets.BatchLoss(model, X, y, params)
    theta = np.concatenate([p.ravel() for p in params])
    loss, grads = model.loss_and_grads(params, X, y)
    assert f.size == theta.size
    assert f.value(theta) == loss
    np.testing.assert_array_equal(f.grad(theta),
                                  np.concatenate([g.ravel() for g in grads]))
    for a, b in zip(f.params(theta), params, strict=True):
        np.testing.assert_array_equal(a, b)


def test_batch_loss_gradient_matches_central_differences(rnn_loss):
    for w in (0.5, 0.8, 1.05):
        theta, h = np.array([w]), 1e-6
        numeric = (rnn_loss.value(theta + h) - rnn_loss.value(theta - h)) / (2 * h)
        assert rnn_loss.grad(theta)[0] == pytest.approx(numeric, rel=1e-6, abs=1e-12)


def test_batch_loss_of_the_teacher_rnn_is_zero_at_the_teachers_weight(rnn_loss):
    assert rnn_loss.value(np.array([0.9])) == pytest.approx(0.0, abs=1e-25)
    assert rnn_loss.value(np.array([1.1])) > 1.0


def test_run_drives_a_batch_loss_and_records_every_iterate(rnn_loss):
    t = run.run(optim.clip_by_global_norm(optim.sgd(0.01), 1.0), rnn_loss, steps=50)
    assert t.params.shape == (51, 1)
    assert t.diverged_at is None
    # Clipped at norm 1, no step is longer than lr · 1.
    assert t.step_length.max() <= 0.01 + 1e-15


def test_plain_sgd_on_the_rnn_wall_diverges_and_the_run_says_so(rnn_loss):
    t = run.run(optim.sgd(0.01), rnn_loss, steps=50)
    assert t.diverged_at is not None
    assert np.all(np.isfinite(t.loss))


def test_batch_loss_rejects_bad_arguments(rnn_loss):
    with pytest.raises(ValueError, match=r"theta must have shape \(1,\)"):
        rnn_loss.value(np.array([1.0, 2.0]))
    with pytest.raises(ValueError, match="model must have loss_and_grads"):
        nets.BatchLoss(object(), rnn_loss.X, rnn_loss.y, rnn_loss.like)
    with pytest.raises(ValueError, match="like must be a non-empty list of arrays"):
        nets.BatchLoss(rnn_loss.model, rnn_loss.X, rnn_loss.y, [])


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


# ----------------------------------------------------------------------- explore


def test_depth_init_explorer_has_one_frame_per_depth_and_gain(spirals):
    X, y = spirals
    ex = explore.depth_init_explorer(
        X, y, np.random.default_rng(8), depths=(3, 6), gains={"1": 1.0, "2": 2.0},
        width=8, figsize=(4, 2), dpi=50)
    assert len(ex.frames) == 4
    assert [f.alt for f in ex.frames][:2] == ["depth = 3, init gain = 1",
                                             "depth = 3, init gain = 2"]
    assert "relu d1/dL" in ex.summary_text
    assert ex.summary_text.count("depth = 6, init gain = 2") == 1


def test_depth_init_explorer_is_a_function_of_the_generator_state(spirals):
    X, y = spirals
    texts = [explore.depth_init_explorer(
        X, y, np.random.default_rng(9), depths=(4,), gains=[1.0, 2.0], width=8,
        figsize=(4, 2), dpi=50).summary_text for _ in range(2)]
    assert texts[0] == texts[1]


def test_depth_init_explorer_rejects_bad_arguments(spirals):
    X, y = spirals
    rng = np.random.default_rng(0)
    with pytest.raises(ValueError, match="rng must be a numpy Generator"):
        explore.depth_init_explorer(X, y, 0)
    with pytest.raises(ValueError, match="depths must be integers >= 2"):
        explore.depth_init_explorer(X, y, rng, depths=(1,))
    with pytest.raises(ValueError, match="gains must be > 0"):
        explore.depth_init_explorer(X, y, rng, gains=[0.0])
    with pytest.raises(ValueError, match="activations must be among"):
        explore.depth_init_explorer(X, y, rng, activations=("gelu",))


def test_clip_explorer_shows_sgd_diverging_and_clipped_sgd_converging(rnn_loss):
    ex = explore.clip_explorer(rnn_loss, lrs=[0.01], max_norms=[1.0, 10.0], steps=60,
                               span=(0.5, 1.2), figsize=(4, 2), dpi=50)
    assert len(ex.frames) == 2
    assert "final loss after 60 steps over the grid" in ex.summary_text
    grid_row = ex.summary_text.splitlines()[-1]
    assert grid_row.startswith("lr = 0.01") and "div@" in grid_row
    clipped = run.run(optim.clip_by_global_norm(optim.sgd(0.01), 1.0), rnn_loss,
                      steps=60)
    assert clipped.final_loss < 1e-3


def test_clip_explorer_rejects_bad_arguments(rnn_loss):
    with pytest.raises(ValueError, match="lrs and max_norms must be non-empty"):
        explore.clip_explorer(rnn_loss, lrs=[], max_norms=[1.0])
    with pytest.raises(ValueError, match="start must hold one parameter"):
        explore.clip_explorer(rnn_loss, lrs=[0.1], max_norms=[1.0],
                              start=np.zeros(2))
    with pytest.raises(ValueError, match="steps must be an integer >= 1"):
        explore.clip_explorer(rnn_loss, lrs=[0.1], max_norms=[1.0], steps=0)
