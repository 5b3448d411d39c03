"""Schedule-free optimizers are evaluated at their average x: run and train say so."""

from __future__ import annotations

import numpy as np
from numpy.testing import assert_allclose, assert_array_equal

from descent import landscapes, optim
from descent.nets import MLP, train, two_spirals
from descent.run import run


def test_other_optimizers_are_evaluated_at_their_parameters():
    opt = optim.adam()
    params = np.ones(2)
    assert optim.evaluation_point(opt, params, opt.init(params)) is params


def test_run_records_the_average_and_steps_with_the_gradient_at_y():
    bowl = landscapes.quadratic(condition=10)
    opt = optim.schedule_free_sgd(lr=0.05)
    traj = run(opt, bowl, steps=50)
    # the same loop by hand: the gradient at y, the record at x
    y, state = np.array(bowl.start, dtype=float), opt.init(bowl.start)
    xs = [y]
    for _ in range(50):
        y, state = opt.step(y, bowl.grad(y), state)
        xs.append(state.x)
    assert_array_equal(traj.params, np.array(xs))
    assert_allclose(traj.loss, [bowl.value(x) for x in xs])
    assert_allclose(traj.grad_norm, [np.linalg.norm(bowl.grad(x)) for x in xs])
    assert not np.allclose(xs[-1], y)  # x and y differ, so the test means something


def test_run_reports_a_divergence_at_y():
    opt = optim.schedule_free_sgd(lr=10.0)  # far too large for this bowl
    traj = run(opt, landscapes.quadratic(condition=10), steps=200)
    assert traj.diverged and np.isfinite(traj.params).all()


def test_train_records_the_average_and_returns_it():
    model = MLP((2, 6, 1))
    X, y = two_spirals(32, 0.1, np.random.default_rng(0))
    params = model.init_params(np.random.default_rng(1))
    opt = optim.schedule_free_adamw(lr=0.01)
    result = train(model, params, opt, X, y, steps=20)
    # by hand
    p, state = params, opt.init(params)
    losses = [model.loss_and_grads(p, X, y)[0]]
    for _ in range(20):
        _, grads = model.loss_and_grads(p, X, y)
        p, state = opt.step(p, grads, state)
        losses.append(model.loss_and_grads(state.x, X, y)[0])
    assert_allclose(result.loss, losses, rtol=1e-12)
    for a, b in zip(result.params, state.x, strict=True):
        assert_array_equal(a, b)


def test_clipping_keeps_the_evaluation_point():
    opt = optim.clip_by_global_norm(optim.schedule_free_sgd(lr=0.1), max_norm=1.0)
    y, state = np.ones(2), opt.init(np.ones(2))
    y, state = opt.step(y, np.array([3.0, 4.0]), state)
    y, state = opt.step(y, np.array([3.0, 4.0]), state)
    assert_array_equal(optim.evaluation_point(opt, y, state), state.x)
    assert not np.allclose(state.x, y)
