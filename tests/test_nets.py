"""Specification of descent.nets: hand-written backprop, vanishing and exploding
gradients, training records, and the errors bad input gets."""

from __future__ import annotations

import numpy as np
import pytest

from descent.nets import (
    ACTIVATIONS,
    INITS,
    LOSSES,
    MLP,
    LinearRNN,
    ResidualMLP,
    TanhRNN,
    one_hot,
    train,
    two_spirals,
)
from descent.optim import OPTIMIZERS, adam, clip_by_global_norm, partition, sgd

# ------------------------------------------------------------------------ helpers


def numerical_grads(f, params, eps=1e-5):
    """Central finite differences of the scalar function f at every entry of params."""
    grads = []
    for i, p in enumerate(params):
        g = np.zeros_like(p)
        for j in np.ndindex(p.shape):
            shifted = [q.copy() for q in params]
            shifted[i][j] = p[j] + eps
            up = f(shifted)
            shifted[i][j] = p[j] - eps
            down = f(shifted)
            g[j] = (up - down) / (2 * eps)
        grads.append(g)
    return grads


def relative_error(a, b):
    return np.linalg.norm(a - b) / max(np.linalg.norm(a) + np.linalg.norm(b), 1e-300)


def assert_grads_match(loss_fn, grads, params, tol=1e-6):
    numeric = numerical_grads(loss_fn, params)
    for i, (g, n) in enumerate(zip(grads, numeric, strict=True)):
        assert g.shape == n.shape
        assert relative_error(g, n) <= tol, f"params[{i}]"


def spirals(n=8, seed=0):
    return two_spirals(n, 0.1, np.random.default_rng(seed))


def small_mlp(activation="tanh", init="xavier", loss="bce", sizes=(2, 5, 4, 1)):
    std = 0.5 if init == "normal" else None
    return MLP(sizes, activation=activation, init=init, std=std, loss=loss)


def with_random_biases(params, rng):
    """Nonzero biases, so that their gradients and the kinks of ReLU are exercised."""
    return [p if p.ndim == 2 else 0.1 * rng.standard_normal(p.shape) for p in params]


#: Losses defined for a net with one output (softmax needs two classes or more).
ONE_OUTPUT_LOSSES = sorted(set(LOSSES) - {"ce"})


# --------------------------------------------------------------------------- data


def test_two_spirals_has_balanced_labels_and_requested_shape_and_dtype():
    X, y = two_spirals(101, 0.05, np.random.default_rng(0), dtype=np.float32)
    assert X.shape == (101, 2) and X.dtype == np.float32
    assert y.shape == (101,) and set(np.unique(y)) == {0, 1}
    assert abs(np.sum(y == 0) - np.sum(y == 1)) <= 1


def test_two_spirals_is_a_function_of_the_generator_state():
    a = two_spirals(50, 0.1, np.random.default_rng(7))
    b = two_spirals(50, 0.1, np.random.default_rng(7))
    c = two_spirals(50, 0.1, np.random.default_rng(8))
    np.testing.assert_array_equal(a[0], b[0])
    assert not np.array_equal(a[0], c[0])


def test_two_spirals_classes_are_point_reflections_of_each_other_without_noise():
    X, y = two_spirals(40, 0.0, np.random.default_rng(0))
    radius = np.linalg.norm(X, axis=1)
    angle = np.arctan2(X[:, 1], X[:, 0])
    # a point of class 1 sits at the angle of class 0 plus π for the same radius
    expected = 2 * np.pi * 1.5 * radius + np.pi * y
    np.testing.assert_allclose(np.cos(angle), np.cos(expected), atol=1e-12)
    np.testing.assert_allclose(np.sin(angle), np.sin(expected), atol=1e-12)


# ------------------------------------------------------------ backprop is correct


@pytest.mark.parametrize("loss", ONE_OUTPUT_LOSSES)
@pytest.mark.parametrize("init", INITS)
@pytest.mark.parametrize("activation", sorted(ACTIVATIONS))
def test_mlp_backprop_matches_finite_differences(activation, init, loss):
    rng = np.random.default_rng(1)
    model = small_mlp(activation, init, loss)
    params = with_random_biases(model.init_params(rng), rng)
    X, y = spirals()
    _, grads = model.loss_and_grads(params, X, y)
    assert_grads_match(lambda p: model.loss_and_grads(p, X, y)[0], grads, params)


@pytest.mark.parametrize("loss", sorted(LOSSES))
def test_mlp_backprop_with_several_outputs_matches_finite_differences(loss):
    rng = np.random.default_rng(2)
    model = small_mlp("sigmoid", "he", loss, sizes=(3, 4, 3))
    params = with_random_biases(model.init_params(rng), rng)
    X = rng.standard_normal((6, 3))
    y = rng.uniform(size=(6, 3))
    _, grads = model.loss_and_grads(params, X, y)
    assert_grads_match(lambda p: model.loss_and_grads(p, X, y)[0], grads, params)


def test_mlp_with_one_layer_is_logistic_regression():
    rng = np.random.default_rng(3)
    model = MLP((2, 1), activation="relu", init="normal", std=1.0)
    params = with_random_biases(model.init_params(rng), rng)
    X, y = spirals(20)
    W, b = params
    p = 1 / (1 + np.exp(-(X @ W[0] + b[0])))
    loss, grads = model.loss_and_grads(params, X, y)
    assert loss == pytest.approx(-np.mean(y * np.log(p) + (1 - y) * np.log(1 - p)))
    np.testing.assert_allclose(grads[0][0], (p - y) @ X / len(y), rtol=1e-12)
    np.testing.assert_allclose(grads[1][0], np.mean(p - y), rtol=1e-12)


def test_softmax_cross_entropy_of_labels_matches_finite_differences():
    rng = np.random.default_rng(6)
    model = small_mlp("relu", "he", "ce", sizes=(3, 5, 4))
    params = with_random_biases(model.init_params(rng), rng)
    X = rng.standard_normal((7, 3))
    labels = rng.integers(0, 4, size=7)
    _, grads = model.loss_and_grads(params, X, labels)
    assert_grads_match(lambda p: model.loss_and_grads(p, X, labels)[0], grads, params)


def test_softmax_cross_entropy_of_labels_is_that_of_their_one_hot_rows():
    rng = np.random.default_rng(7)
    model = small_mlp("tanh", "xavier", "ce", sizes=(3, 4, 5))
    params = with_random_biases(model.init_params(rng), rng)
    X = rng.standard_normal((6, 3))
    labels = np.array([0, 4, 2, 2, 1, 3])
    a = model.loss_and_grads(params, X, labels)
    b = model.loss_and_grads(params, X, one_hot(labels, 5))
    assert a[0] == b[0]
    for ga, gb in zip(a[1], b[1], strict=True):
        np.testing.assert_array_equal(ga, gb)


def test_softmax_cross_entropy_is_log_k_for_equal_logits_and_its_formula_else():
    model = MLP((2, 3), activation="relu", init="normal", std=1.0, loss="ce")
    params = [np.zeros((3, 2)), np.zeros(3)]
    X = np.array([[1.0, 2.0], [-1.0, 0.5]])
    loss, grads = model.loss_and_grads(params, X, np.array([0, 2]))
    assert loss == pytest.approx(np.log(3), rel=1e-15)
    # ∂L/∂b = mean over the batch of (softmax − one-hot) = (1/3 − y) averaged
    np.testing.assert_allclose(grads[1], [1 / 3 - 1 / 2, 1 / 3, 1 / 3 - 1 / 2])
    b = np.array([1.0, 0.0, -1.0])  # large shifts must not overflow
    loss, _ = model.loss_and_grads([params[0], b + 1000.0], X, np.array([0, 0]))
    p0 = np.exp(1.0) / (np.exp(1.0) + 1.0 + np.exp(-1.0))
    assert loss == pytest.approx(-np.log(p0), rel=1e-12)


def test_softmax_predictions_are_probabilities_and_accuracy_takes_the_argmax():
    rng = np.random.default_rng(8)
    model = small_mlp("relu", "he", "ce", sizes=(3, 6, 4))
    params = model.init_params(rng)
    X = rng.standard_normal((20, 3))
    p = model.predict(params, X)
    assert p.shape == (20, 4)
    np.testing.assert_allclose(p.sum(axis=1), 1.0, rtol=1e-14)
    labels = p.argmax(axis=1)
    assert model.accuracy(params, X, labels) == 1.0
    assert model.accuracy(params, X, one_hot(labels, 4)) == 1.0
    assert model.accuracy(params, X, (labels + 1) % 4) == 0.0


def test_bad_class_labels_raise_naming_the_allowed_range():
    model = small_mlp("relu", "he", "ce", sizes=(2, 3, 3))
    params = model.init_params(np.random.default_rng(0))
    X = np.zeros((2, 2))
    with pytest.raises(ValueError, match=r"labels must lie in \[0, 2\]"):
        model.loss_and_grads(params, X, np.array([0, 3]))
    with pytest.raises(ValueError, match="labels must be a 1-D array of integers"):
        model.loss_and_grads(params, X, np.array([0.0, 1.0]))
    with pytest.raises(ValueError, match=r"loss='ce' needs sizes\[-1\] >= 2"):
        MLP((2, 1), loss="ce")


@pytest.mark.parametrize("loss", sorted(LOSSES))
@pytest.mark.parametrize(("n_in", "n_out"), [(1, 1), (3, 2)])
def test_tanh_rnn_bptt_matches_finite_differences(loss, n_in, n_out):
    rng = np.random.default_rng(4)
    model = TanhRNN(hidden=4, n_in=n_in, n_out=n_out, loss=loss, gain=1.5)
    params = with_random_biases(model.init_params(rng), rng)
    X = rng.standard_normal((5, 6, n_in))
    y = rng.uniform(size=(5, n_out))
    _, grads = model.loss_and_grads(params, X, y)
    assert_grads_match(lambda p: model.loss_and_grads(p, X, y)[0], grads, params)


def test_linear_rnn_bptt_matches_finite_differences_in_w_h0_and_every_input():
    rng = np.random.default_rng(5)
    model = LinearRNN(h0=0.7)
    params = model.init_params(0.9)
    X, y = rng.standard_normal((3, 8)), rng.standard_normal(3)
    r = model.bptt(params, X, y)
    assert_grads_match(lambda p: model.loss_and_grads(p, X, y)[0], r.grads, params)
    eps = 1e-6

    def loss_at_h0(h0):
        return LinearRNN(h0=h0).loss_and_grads(params, X, y)[0]

    grad_h0 = (loss_at_h0(0.7 + eps) - loss_at_h0(0.7 - eps)) / (2 * eps)
    assert relative_error(r.grad_h[0].sum(), grad_h0) <= 1e-6
    # h_t = w h_{t-1} + x_t, so ∂L/∂x_t = ∂L/∂h_t for t = 1..T
    grad_x = numerical_grads(lambda p: model.loss_and_grads(params, p[0], y)[0], [X])
    assert relative_error(r.grad_h[1:, :, 0].T, grad_x[0]) <= 1e-6


# --------------------------------------------------------------- skip connections


@pytest.mark.parametrize("loss", ONE_OUTPUT_LOSSES)
@pytest.mark.parametrize("activation", sorted(ACTIVATIONS))
def test_residual_mlp_backprop_matches_finite_differences(activation, loss):
    rng = np.random.default_rng(11)
    model = ResidualMLP((2, 5, 5, 5, 1), activation=activation, loss=loss)
    params = with_random_biases(model.init_params(rng), rng)
    X, y = spirals()
    _, grads = model.loss_and_grads(params, X, y)
    assert_grads_match(lambda p: model.loss_and_grads(p, X, y)[0], grads, params)


def test_residual_mlp_with_softmax_cross_entropy_matches_finite_differences():
    rng = np.random.default_rng(13)
    model = ResidualMLP((3, 5, 5, 4), activation="relu", loss="ce")
    params = with_random_biases(model.init_params(rng), rng)
    X = rng.standard_normal((6, 3))
    labels = rng.integers(0, 4, size=6)
    _, grads = model.loss_and_grads(params, X, labels)
    assert_grads_match(lambda p: model.loss_and_grads(p, X, labels)[0], grads, params)


def test_residual_mlp_adds_each_hidden_layers_input_pre_activation():
    rng = np.random.default_rng(12)
    model = ResidualMLP.deep(4, 6, activation="tanh")
    W1, b1, W2, b2, W3, b3, W4, b4 = with_random_biases(model.init_params(rng), rng)
    X, _ = spirals(7)
    z1 = X @ W1.T + b1
    z2 = z1 + np.tanh(z1) @ W2.T + b2
    z3 = z2 + np.tanh(z2) @ W3.T + b3
    out = np.tanh(z3) @ W4.T + b4
    acts = model.forward([W1, b1, W2, b2, W3, b3, W4, b4], X)
    for a, b in zip(acts, [X, np.tanh(z1), np.tanh(z2), np.tanh(z3), out], strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-13, atol=1e-15)


def test_residual_mlp_shares_the_mlps_parameters_and_equals_it_without_hidden_skips():
    rng = np.random.default_rng(13)
    X, y = spirals(16)
    deep_plain, deep_res = MLP.deep(6, 8), ResidualMLP.deep(6, 8)
    params = deep_plain.init_params(rng)
    assert [p.shape for p in deep_res.init_params(rng)] == [p.shape for p in params]
    assert deep_res.loss_and_grads(params, X, y)[0] != deep_plain.loss_and_grads(
        params, X, y)[0]
    shallow = MLP.deep(2, 8).init_params(rng)  # two layers: nothing to skip
    a = MLP.deep(2, 8).loss_and_grads(shallow, X, y)
    b = ResidualMLP.deep(2, 8).loss_and_grads(shallow, X, y)
    assert a[0] == b[0]
    for ga, gb in zip(a[1], b[1], strict=True):
        np.testing.assert_array_equal(ga, gb)


def test_skip_connections_keep_the_backward_signal_of_a_deep_sigmoid_net():
    # Same parameters: the plain net's signal vanishes, the residual net's does not.
    X, y = spirals(256)
    plain = MLP.deep(20, 32, activation="sigmoid", init="xavier")
    residual = ResidualMLP.deep(20, 32, activation="sigmoid", init="xavier")
    for seed in range(3):
        params = plain.init_params(np.random.default_rng(seed))
        d_plain = plain.backprop(params, X, y).delta_norms
        d_res = residual.backprop(params, X, y).delta_norms
        assert d_plain[0] < 1e-8 * d_plain[-1]
        assert d_res[0] > 1e-2 * d_res[-1]


def test_residual_mlp_rejects_hidden_layers_of_different_widths():
    with pytest.raises(ValueError, match=r"sizes must give every hidden layer"):
        ResidualMLP((2, 8, 4, 1))
    ResidualMLP((3, 8, 8, 2))  # the input and output widths may differ


def test_linear_rnn_forward_gives_targets_with_exactly_zero_loss_and_gradient():
    rng = np.random.default_rng(14)
    model = LinearRNN(h0=1.0)
    X = 0.1 * rng.standard_normal((16, 30))
    teacher = model.init_params(0.9)
    states = model.forward(teacher, X)
    assert states.shape == (31, 16)
    assert np.all(states[0] == 1.0)
    np.testing.assert_allclose(states[1:], 0.9 * states[:-1] + X.T, rtol=1e-15)
    r = model.bptt(teacher, X, states[-1])
    assert r.loss == 0.0 and r.grads[0][0] == 0.0


# ----------------------------------------------------------- vanishing, exploding


def grad_norms(model, seed=0, n=256):
    X, y = spirals(n)
    params = model.init_params(np.random.default_rng(seed))
    return model.layer_grad_norms(model.loss_and_grads(params, X, y)[1])


def test_deep_sigmoid_net_with_small_normal_init_has_vanishing_early_gradients():
    norms = grad_norms(MLP.deep(10, 64, activation="sigmoid", init="normal", std=0.1))
    assert norms[0] < 1e-4 * norms[-1]
    assert np.all(np.diff(norms[1:]) > 0)  # growing from the input to the output


def test_vanishing_gets_geometrically_worse_with_depth():
    def first_to_last(depth):
        model = MLP.deep(depth, 64, activation="sigmoid", init="normal", std=0.1)
        norms = grad_norms(model)
        return norms[0] / norms[-1]

    ratios = [first_to_last(depth) for depth in (2, 4, 8, 16)]
    assert all(b < 0.1 * a for a, b in zip(ratios, ratios[1:], strict=False))


@pytest.mark.parametrize(("activation", "init"), [("relu", "he"), ("tanh", "xavier")])
def test_matched_init_keeps_hidden_layer_gradients_within_a_factor_of_ten(
    activation, init
):
    # Layers 2..L; layer 1 sees the 2-D input, whose scale is the data's, not the net's.
    for seed in range(3):
        model = MLP.deep(20, 64, activation=activation, init=init)
        norms = grad_norms(model, seed)[1:]
        assert norms.max() / norms.min() < 10


def test_same_depth_sigmoid_net_spreads_gradients_over_many_orders_of_magnitude():
    norms = grad_norms(MLP.deep(20, 64, activation="sigmoid", init="xavier"))
    assert norms.max() / norms.min() > 1e6


@pytest.mark.parametrize("w", [0.5, -0.5, 2.0, -2.0])
def test_linear_rnn_gradient_through_t_steps_is_exactly_w_to_the_t(w):
    T = 20
    r = LinearRNN(h0=1.0).bptt([np.array([w])], np.ones((1, T)), [3.0])
    # powers of 2 are exact in floating point, so this holds without tolerance
    assert r.grad_h[0, 0, 0] == w**T * r.grad_h[T, 0, 0]
    for t in range(T + 1):
        assert r.grad_h[t, 0, 0] == w ** (T - t) * r.grad_h[T, 0, 0]


@pytest.mark.parametrize("w", [0.9, 1.1])
def test_linear_rnn_gradient_norms_through_time_are_geometric(w):
    T = 50
    rng = np.random.default_rng(6)
    r = LinearRNN().bptt([np.array([w])], rng.standard_normal((4, T)), np.zeros(4))
    norms = r.grad_h_norms
    np.testing.assert_allclose(
        norms, abs(w) ** np.arange(T, -1, -1) * norms[-1], rtol=1e-12
    )


def test_tanh_rnn_gradient_through_time_vanishes_for_small_gain_not_for_large():
    def first_to_last(gain):
        model = TanhRNN(hidden=16, gain=gain)
        params = model.init_params(np.random.default_rng(1))
        rng = np.random.default_rng(2)
        X, y = rng.standard_normal((32, 30)), rng.standard_normal(32)
        norms = model.bptt(params, X, y).grad_h_norms
        assert norms.shape == (31,)
        return norms[0] / norms[-1]

    ratios = [first_to_last(g) for g in (0.5, 1.0, 2.0, 4.0)]
    assert ratios[0] < 1e-10
    assert all(a < b for a, b in zip(ratios, ratios[1:], strict=False))
    assert ratios[-1] > 1


# ---------------------------------------------------------------- shapes, dtypes


def test_forward_returns_every_activation_and_the_output_logit():
    model = MLP.deep(4, 8)
    params = model.init_params(np.random.default_rng(0))
    X, _ = spirals(10)
    acts = model.forward(params, X)
    assert [a.shape for a in acts] == [(10, 2), (10, 8), (10, 8), (10, 8), (10, 1)]
    np.testing.assert_allclose(
        model.predict(params, X), 1 / (1 + np.exp(-acts[-1][:, 0]))
    )


def test_deep_builds_depth_weight_layers_of_the_given_width():
    model = MLP.deep(depth=5, width=7, n_in=3, n_out=2)
    assert model.sizes == (3, 7, 7, 7, 7, 2) and model.depth == 5
    params = model.init_params(np.random.default_rng(0))
    assert [p.shape for p in params[:4]] == [(7, 3), (7,), (7, 7), (7,)]


@pytest.mark.parametrize(
    ("init", "expected"),
    [("xavier", np.sqrt(2 / (300 + 200))), ("he", np.sqrt(2 / 300)), ("normal", 0.3)],
)
def test_init_draws_weights_with_the_documented_standard_deviation(init, expected):
    model = MLP((300, 200), init=init, std=0.3 if init == "normal" else None)
    W, b = model.init_params(np.random.default_rng(0))
    assert model.init_std(300, 200) == pytest.approx(expected)
    assert W.std() == pytest.approx(expected, rel=0.01)
    assert np.all(b == 0)


@pytest.mark.parametrize(
    "model",
    [MLP.deep(3, 5, activation="relu"), TanhRNN(3), LinearRNN()],
    ids=["mlp", "tanh_rnn", "linear_rnn"],
)
def test_float32_parameters_give_float32_gradients(model):
    rng = np.random.default_rng(0)
    if isinstance(model, LinearRNN):
        params = model.init_params(0.9, dtype=np.float32)
        X = rng.standard_normal((4, 5))  # float64 inputs are cast to the params' dtype
    elif isinstance(model, TanhRNN):
        params = model.init_params(rng, dtype=np.float32)
        X = rng.standard_normal((4, 5))
    else:
        params = model.init_params(rng, dtype=np.float32)
        X = rng.standard_normal((4, 2))
    loss, grads = model.loss_and_grads(params, X, np.ones(4))
    assert isinstance(loss, float)
    assert [g.dtype for g in grads] == [np.float32] * len(params)


@pytest.mark.parametrize("name", sorted(OPTIMIZERS))
def test_every_optimizer_steps_the_parameter_list_directly(name):
    model = MLP.deep(3, 5)
    params = model.init_params(np.random.default_rng(0))
    X, y = spirals()
    opt = OPTIMIZERS[name](lr=0.01)
    if name == "muon":  # matrices only (torch raises too): the biases go to AdamW
        labels = ["muon" if p.ndim == 2 else "adamw" for p in params]
        opt = partition({"muon": opt, "adamw": OPTIMIZERS["adamw"](lr=0.01)}, labels)
    _, grads = model.loss_and_grads(params, X, y)
    new, _ = opt.step(params, grads, opt.init(params))
    assert [p.shape for p in new] == [p.shape for p in params]
    model.loss_and_grads(new, X, y)  # the result is again valid parameters


def test_nothing_is_modified_in_place():
    model = MLP.deep(3, 5)
    params = model.init_params(np.random.default_rng(0))
    X, y = spirals()
    copies = [a.copy() for a in (*params, X, y)]
    model.loss_and_grads(params, X, y)
    model.forward(params, X)
    train(model, params, adam(lr=0.1), X, y, steps=3)
    rnn = TanhRNN(3)
    rnn_params = rnn.init_params(np.random.default_rng(0))
    rnn_copies = [p.copy() for p in rnn_params]
    rnn.loss_and_grads(rnn_params, X, y)
    for a, b in zip((*params, X, y, *rnn_params), copies + rnn_copies, strict=True):
        np.testing.assert_array_equal(a, b)


# -------------------------------------------------------------------------- train


def test_training_a_tanh_net_with_adam_fits_the_spirals():
    X, y = spirals(128)
    model = MLP.deep(4, 32, activation="tanh")
    params = model.init_params(np.random.default_rng(0))
    r = train(model, params, adam(lr=0.01), X, y, steps=300)
    assert r.diverged_at is None and r.reason is None and r.steps == 300
    assert r.loss.shape == (301,) and r.grad_norms.shape == (301, 4)
    assert r.grad_norm.shape == (301,) and r.step_norm.shape == (300,)
    assert r.final_loss < 0.25 * r.loss[0]
    assert model.accuracy(r.params, X, y) > 0.9
    assert r.name == "adam"


def test_train_records_the_loss_of_the_returned_parameters():
    X, y = spirals(32)
    model = MLP.deep(3, 8)
    r = train(model, model.init_params(np.random.default_rng(0)), sgd(lr=0.5), X, y, 5)
    assert r.final_loss == model.loss_and_grads(r.params, X, y)[0]
    np.testing.assert_allclose(
        r.grad_norms[-1],
        model.layer_grad_norms(model.loss_and_grads(r.params, X, y)[1]),
    )


def test_train_stops_at_the_first_non_finite_iterate_and_keeps_finite_records():
    # least squares with a far too large step: every step multiplies the error
    X = np.linspace(-1, 1, 20)[:, None] * 10
    model = MLP((1, 1), loss="mse", init="normal", std=1.0)
    params = model.init_params(np.random.default_rng(0))
    r = train(model, params, sgd(lr=10.0), X, 3 * X[:, 0], steps=10_000)
    assert r.diverged_at is not None and r.diverged_at < 10_000
    assert r.reason.startswith("non-finite")
    assert len(r.loss) == r.diverged_at and len(r.step_norm) == r.diverged_at - 1
    for a in (r.loss, r.grad_norms, r.grad_norm, r.step_norm, *r.params):
        assert np.all(np.isfinite(a))
    assert np.all(np.diff(r.loss) > 0)


def exploding_rnn_problem():
    rng = np.random.default_rng(3)
    return (
        LinearRNN(h0=1.0),
        [np.array([1.5])],
        rng.standard_normal((8, 30)),
        np.zeros(8),
    )


def test_clipping_bounds_every_step_of_sgd_by_lr_times_the_threshold():
    model, params, X, y = exploding_rnn_problem()
    lr, max_norm = 1e-3, 1.0
    plain = train(model, params, sgd(lr=lr), X, y, steps=50)
    clipped = train(model, params, sgd(lr=lr), X, y, steps=50, clip=max_norm)
    assert plain.diverged_at == 1  # thrown away by the first step
    assert lr * plain.grad_norm[0] > 1e3 * lr * max_norm
    assert clipped.diverged_at is None and clipped.final_loss < clipped.loss[0]
    assert np.all(clipped.step_norm <= lr * max_norm * (1 + 1e-12))
    assert clipped.grad_norm[0] == plain.grad_norm[0]  # recorded norms are unclipped
    assert clipped.name == "sgd+clip_norm"


def test_clip_argument_is_the_same_as_wrapping_the_optimizer():
    model, params, X, y = exploding_rnn_problem()
    a = train(model, params, sgd(lr=1e-3), X, y, steps=20, clip=0.5)
    b = train(model, params, clip_by_global_norm(sgd(lr=1e-3), 0.5), X, y, steps=20)
    np.testing.assert_array_equal(a.loss, b.loss)
    np.testing.assert_array_equal(a.params[0], b.params[0])


def test_minibatches_are_drawn_from_the_given_generator():
    X, y = spirals(64)
    model = MLP.deep(3, 8)
    params = model.init_params(np.random.default_rng(0))

    def run(seed):
        rng = np.random.default_rng(seed)
        return train(model, params, sgd(lr=0.1), X, y, 5, batch_size=16, rng=rng)

    np.testing.assert_array_equal(run(1).loss, run(1).loss)
    assert not np.array_equal(run(1).loss, run(2).loss)


def test_train_accepts_a_plain_loss_and_grads_function():
    model, _, X, y = exploding_rnn_problem()
    r = train(model.loss_and_grads, [np.array([0.5])], sgd(lr=0.1), X, y, steps=3)
    assert r.grad_norms.shape == (4, 1)  # one norm per gradient array


# ----------------------------------------------------------------- bad arguments


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"activation": "softplus"}, r"activation must be one of \['relu', 'sigmoid'"),
        ({"init": "orthogonal"}, r"init must be one of \['he', 'normal', 'xavier'\]"),
        ({"loss": "hinge"}, r"loss must be one of \['bce', 'ce', 'mse'\]"),
        ({"init": "normal"}, r"std must be > 0 for init='normal', got None"),
        ({"init": "normal", "std": -1.0}, r"std must be > 0"),
        ({"init": "he", "std": 0.1}, r"std applies only to init='normal'"),
    ],
)
def test_mlp_rejects_unknown_choices_with_the_allowed_values(kwargs, match):
    with pytest.raises(ValueError, match=match):
        MLP((2, 3, 1), **kwargs)


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda: MLP.deep(0, 8), r"depth must be an integer >= 1, got 0"),
        (lambda: MLP.deep(3, 0), r"width must be an integer >= 1, got 0"),
        (lambda: MLP((2,)), r"sizes must have at least 2 entries"),
        (lambda: MLP((2, 2.5, 1)), r"every entry of sizes must be an integer >= 1"),
        (lambda: TanhRNN(0), r"hidden must be an integer >= 1"),
        (lambda: TanhRNN(3, loss="l1"), r"loss must be one of"),
        (lambda: TanhRNN(3, gain=-1.0), r"gain must be >= 0"),
        (lambda: two_spirals(1, 0.1, np.random.default_rng()), r"n must be an integer"),
        (lambda: two_spirals(10, -0.1, np.random.default_rng()), r"noise must be >= 0"),
        (
            lambda: MLP.deep(2, 3).init_params(np.random.default_rng(), dtype=int),
            r"dtype must be a floating dtype",
        ),
    ],
)
def test_bad_configuration_raises_naming_the_parameter(call, match):
    with pytest.raises(ValueError, match=match):
        call()


def test_bad_data_shapes_raise_naming_the_argument_and_the_expected_shape():
    model = MLP.deep(2, 3)
    params = model.init_params(np.random.default_rng(0))
    X, y = spirals(5)
    with pytest.raises(ValueError, match=r"X must have shape \(n, 2\), got \(5, 3\)"):
        model.loss_and_grads(params, np.ones((5, 3)), y)
    with pytest.raises(ValueError, match=r"X must have shape \(n, 2\), got \(10,\)"):
        model.loss_and_grads(params, X.ravel(), y)
    with pytest.raises(ValueError, match=r"y must have shape \(5,\) or \(5, 1\)"):
        model.loss_and_grads(params, X, y[:4])
    with pytest.raises(ValueError, match=r"X must hold at least one sample"):
        model.loss_and_grads(params, X[:0], y[:0])
    rnn = TanhRNN(3, n_in=2)
    with pytest.raises(ValueError, match=r"X must have shape \(n, T, 2\)"):
        rnn.loss_and_grads(
            rnn.init_params(np.random.default_rng(0)), np.ones((4, 5)), y
        )


def test_params_of_the_wrong_structure_raise_with_the_expected_shapes():
    model = MLP.deep(2, 3)
    params = model.init_params(np.random.default_rng(0))
    X, y = spirals(5)
    expected = r"params must be a list of arrays of shapes \[\(3, 2\), \(3,\), \(1, 3\)"
    with pytest.raises(ValueError, match=expected):
        model.loss_and_grads(params[:2], X, y)
    with pytest.raises(ValueError, match=expected):
        model.loss_and_grads([p.T for p in params], X, y)
    with pytest.raises(ValueError, match=r"got ndarray"):
        model.loss_and_grads(params[0], X, y)
    with pytest.raises(ValueError, match=r"params must be a list of arrays of shapes"):
        LinearRNN().bptt([np.array([0.5, 0.5])], np.ones((1, 3)), [0.0])


def test_bad_training_arguments_raise_naming_the_parameter():
    model = MLP.deep(2, 3)
    params = model.init_params(np.random.default_rng(0))
    X, y = spirals(5)
    with pytest.raises(ValueError, match=r"steps must be an integer >= 0"):
        train(model, params, sgd(lr=0.1), X, y, steps=-1)
    with pytest.raises(ValueError, match=r"batch_size must be an integer in \[1, 5\]"):
        train(
            model,
            params,
            sgd(lr=0.1),
            X,
            y,
            3,
            batch_size=6,
            rng=np.random.default_rng(),
        )
    with pytest.raises(ValueError, match=r"rng must be a numpy Generator"):
        train(model, params, sgd(lr=0.1), X, y, 3, batch_size=2)
    with pytest.raises(ValueError, match=r"max_norm must be > 0"):
        train(model, params, sgd(lr=0.1), X, y, 3, clip=0.0)
