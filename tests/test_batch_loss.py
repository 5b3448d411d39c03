"""``nets.BatchLoss``: a model on a fixed batch as a function of one flat vector."""

import numpy as np
import pytest

from descent import nets, optim, run


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
