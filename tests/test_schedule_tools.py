"""What the chapter on schedules builds on: dead ReLU units, the learning-rate range
test, the figures of rates and losses, and the two explorers."""

from __future__ import annotations

import re

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pytest  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from numpy.testing import assert_allclose, assert_array_equal  # noqa: E402

from descent import explore, landscapes, nets, optim, plots, regression, run  # noqa: E402
from descent import schedules as S  # noqa: E402

# -- dead units --------------------------------------------------------------------


def test_dead_units_counts_hidden_relus_that_are_off_on_every_row():
    model = nets.MLP((2, 3, 3, 1), activation="relu", init="he")
    params = model.init_params(np.random.default_rng(0))
    X = np.random.default_rng(1).uniform(0, 1, (20, 2))
    alive = model.dead_units(params, X)
    params[1] = params[1].copy()
    params[1][0] = -100.0  # first unit of layer 1: off for inputs in [0, 1]²
    params[3] = params[3].copy()
    params[3][2] = -100.0
    assert model.dead_units(params, X) >= alive + 2 - (alive > 0)
    params[1][:] = -100.0  # layer 1 all dead: layer 2 sees zeros and its biases
    count = model.dead_units(params, X)
    assert count >= 4


def test_dead_units_needs_relu():
    model = nets.MLP((2, 3, 1), activation="tanh")
    with pytest.raises(ValueError, match="dead_units needs activation='relu'"):
        model.dead_units(model.init_params(np.random.default_rng(0)), np.zeros((4, 2)))


# -- the learning-rate range test ------------------------------------------------------


def test_range_test_rates_grow_geometrically_and_the_loss_is_recorded():
    bowl = landscapes.quadratic(condition=10)  # curvatures 1 and 10: diverges at 0.2
    r = run.lr_range_test(optim.sgd, bowl, 1e-4, 10.0, steps=150)
    ratios = r.lrs[1:] / r.lrs[:-1]
    assert_allclose(ratios, ratios[0], rtol=1e-12)
    assert r.lrs[0] == pytest.approx(1e-4)
    assert len(r.loss) == len(r.lrs) == len(r.smooth)
    assert r.stopped_at is not None and r.stopped_at <= 150
    # the loss blows up only beyond the stability limit 2/λ_max = 0.2
    assert 0.2 < r.minimum < 10.0
    assert r.steepest <= r.minimum
    assert r.suggestion == pytest.approx(r.minimum / 10)


def test_range_test_smoothing_is_a_bias_corrected_moving_average():
    bowl = landscapes.quadratic(condition=2)
    r = run.lr_range_test(optim.sgd, bowl, 1e-3, 1e-2, steps=10, beta=0.5)
    ema, acc = [], 0.0
    for k, value in enumerate(r.loss):
        acc = 0.5 * acc + 0.5 * value
        ema.append(acc / (1 - 0.5 ** (k + 1)))
    assert_allclose(r.smooth, ema, rtol=1e-14)
    assert r.stopped_at is None  # a gentle ramp never blows up


@pytest.mark.parametrize(
    "kwargs, message",
    [
        (dict(lr_min=0.1, lr_max=0.01), "lr_min and lr_max must satisfy 0 < lr_min"),
        (dict(lr_min=0.0, lr_max=1.0), "lr_min and lr_max must satisfy"),
        (dict(steps=2), "steps must be an integer >= 3, got 2"),
        (dict(beta=1.0), "beta must be in [0, 1), got 1.0"),
        (dict(stop=1.0), "stop must be > 1, got 1.0"),
    ],
)
def test_range_test_bad_arguments_raise(kwargs, message):
    args = dict(lr_min=1e-3, lr_max=1.0) | kwargs
    with pytest.raises(ValueError, match=re.escape(message)):
        run.lr_range_test(optim.sgd, landscapes.quadratic(), **args)


# -- figures ------------------------------------------------------------------------


def test_moving_average_and_schedule_colours():
    assert_allclose(plots.moving_average([1, 2, 3, 4], 2), [1.5, 2.5, 3.5])
    assert_array_equal(plots.moving_average([1.0, 2.0], 1), [1.0, 2.0])
    assert plots.moving_average([1.0], 3).size == 0
    with pytest.raises(ValueError, match="window must be an integer >= 1"):
        plots.moving_average([1.0], 0)
    assert plots.schedule_color("cosine, η = 0.1") == plots.SCHEDULE_COLORS["cosine"]
    assert plots.schedule_color("adam") == plots.color_for("adam")


def _english(fig):
    texts = [t.get_text() for t in fig.findobj(matplotlib.text.Text)]
    assert not any(re.search(r"[\u4e00-\u9fff]", t) for t in texts)


def test_plot_rates_and_losses_draw_what_they_are_given():
    fig = Figure()
    ax_rate, ax_loss = fig.subplots(1, 2)
    rates = {"constant": np.full(5, 0.1), "cosine": S.lr_curve(S.cosine_annealing_lr(
        0.1, 5), 5)}
    lines = plots.plot_rates(ax_rate, rates)
    assert_array_equal(lines["cosine"].get_xdata(), np.arange(1, 6))
    assert_allclose(lines["cosine"].get_ydata(), rates["cosine"])
    assert lines["cosine"].get_color() == plots.SCHEDULE_COLORS["cosine"]
    gaps = {"constant": np.array([4.0, 2.0, 1.0, np.inf, 0.5])}
    out = plots.plot_schedule_losses(ax_loss, gaps, window=2, floor=0.3)
    assert_allclose(out["constant"].get_ydata(), [3.0, 1.5])  # stops at the inf
    assert out["_floor"].get_ydata()[0] == 0.3
    _english(fig)


def test_rate_loss_scene_moves_data_and_empties_unused_lines():
    scene = plots.RateLossScene(steps=10, rate_range=(1e-3, 1.0),
                                loss_range=(1e-4, 10.0), n_rates=2, n_losses=3)
    with pytest.raises(RuntimeError, match="call setup"):
        scene.draw()
    fig = Figure()
    scene.setup(fig)
    changed = scene.draw(rates=[{"y": np.full(10, 0.1), "color": "red"}],
                         losses=[{"y": np.array([1.0, 0.0, 0.5])}], floor=0.01,
                         titles=("left", "right"))
    assert_array_equal(scene.rate_lines[0].get_xdata(), np.arange(1, 11))
    assert len(scene.rate_lines[1].get_xdata()) == 0
    assert_array_equal(scene.loss_lines[0].get_ydata(), [1.0, 0.5])  # 0 left out
    assert scene.titles[1].get_text() == "right"
    assert scene.floor in changed
    with pytest.raises(ValueError, match="at most 2 rates and 3 losses"):
        scene.draw(rates=[{"y": [1.0]}] * 3)
    with pytest.raises(ValueError, match="rate_range must satisfy"):
        plots.RateLossScene(steps=5, rate_range=(0.0, 1.0), loss_range=(1, 2))
    _english(fig)


# -- explorers ----------------------------------------------------------------------


@pytest.fixture(scope="module")
def fit():
    return regression.line_fit(n=50, rng=np.random.default_rng(4))


def test_schedule_explorer_has_a_frame_per_shape_and_rate(fit):
    shapes = {"constant": lambda lr: lr,
              "cosine": lambda lr: S.cosine_annealing_lr(lr, 60)}
    ex = explore.schedule_explorer(lambda rng: fit.minibatch(1, rng), optim.sgd,
                                   shapes, [0.05, 0.2], steps=60, window=5, tail=10,
                                   floor=lambda lr: lr / 10, figsize=(5, 2), dpi=50)
    assert len(ex.frames) == 4
    alt = ex.frame(shape="cosine", lr=0.2).alt
    assert alt == "schedule = cosine, base rate η = 0.2"
    assert "excess loss, mean of the last 10 of 60 steps, over the grid" in \
        ex.summary_text
    assert "predicted noise floor of the constant rate: 0.005" in ex.summary_text
    table = ex.summary_text.split("over the grid\n")[1].splitlines()
    assert table[0].split() == ["constant", "cosine"]
    assert table[1].startswith("η = 0.05")


def test_schedule_explorer_runs_see_the_same_minibatches(fit):
    # with equal rates, two shapes give identical runs: the noise is shared
    shapes = {"constant": lambda lr: lr, "same": lambda lr: S.constant_lr(lr, 1.0)}
    ex = explore.schedule_explorer(lambda rng: fit.minibatch(1, rng), optim.sgd,
                                   shapes, [0.1], steps=30, window=3, tail=5,
                                   figsize=(4, 2), dpi=40)
    row = ex.summary_text.splitlines()[-1].split()
    assert row[-1] == row[-2]


def test_schedule_explorer_needs_the_constant_reference(fit):
    with pytest.raises(ValueError, match="shapes must contain 'constant'"):
        explore.schedule_explorer(lambda rng: fit.minibatch(1, rng), optim.sgd,
                                  {"cosine": lambda lr: lr}, [0.1], steps=20)


def test_warmup_explorer_reports_final_losses_and_dead_units():
    rng = np.random.default_rng(0)
    X = rng.uniform(0, 1, (16, 4))
    y = X.sum(axis=1) - 1.0
    model = nets.MLP((4, 6, 1), activation="relu", init="he", loss="mse")
    ex = explore.warmup_explorer(model, X, y, lrs=[0.01, 0.1], warmups=[0, 5],
                                 steps=30, decay_steps=10, seeds=(0, 1),
                                 figsize=(4, 2), dpi=40)
    assert len(ex.frames) == 4
    text = ex.summary_text
    assert "final loss after 30 steps (mean of 2 seeds) over the grid" in text
    assert "dead units at the end (of 6), one number per seed" in text
    assert re.search(r"η = 0.1\s+\S+\s+\S+", text)
    with pytest.raises(ValueError, match="warmups must be integers >= 0"):
        explore.warmup_explorer(model, X, y, lrs=[0.1], warmups=[-1], steps=20,
                                decay_steps=5)


# -- the expected excess loss of SGD under a schedule ------------------------------


def test_expected_excess_settles_on_the_noise_floor_for_a_constant_rate(fit):
    lr, b = 0.02, 1
    curve = fit.expected_excess(lr, 3000, batch_size=b)
    C = fit.gradient_covariance(fit.minima[0], b)
    H = fit.hessian
    # the fixed point M = A M Aᵀ + η² C, solved as a linear system
    A = np.eye(2) - lr * H
    M = np.linalg.solve(np.eye(4) - np.kron(A, A), lr**2 * C.ravel()).reshape(2, 2)
    assert curve[-1] == pytest.approx(0.5 * np.trace(H @ M), rel=1e-9)
    assert curve[-1] == pytest.approx(lr * np.trace(C) / 4, rel=0.05)
    assert curve[0] == pytest.approx(fit.value(fit.start) - fit.min_value, rel=1e-12)


def test_expected_excess_takes_a_schedule_and_decays_below_the_floor(fit):
    n = 3000
    constant = fit.expected_excess(0.05, n)
    cosine = fit.expected_excess(S.cosine_annealing_lr(0.05, n), n)
    assert cosine[-1] < constant[-1] / 10
    same = fit.expected_excess(lambda t: 0.05, n)
    assert_array_equal(same, constant)
    with pytest.raises(ValueError, match="lr must be a finite number > 0"):
        fit.expected_excess(0.0, 10)
    with pytest.raises(ValueError, match="steps must be an integer >= 0"):
        fit.expected_excess(0.1, -1)
