"""``nets.MLP.backprop``: every δ_l = ∂L/∂z_l of a deep net, and what they say
about vanishing gradients.
"""

import numpy as np
import pytest

from descent import nets


@pytest.fixture(scope="module")
def spirals():
    return nets.two_spirals(64, 0.05, np.random.default_rng(0))


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
