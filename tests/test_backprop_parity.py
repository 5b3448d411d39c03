"""``nets.MLP``'s hand-written forward and backward passes against torch autograd.

The same weights (float64) go into the numpy network and into an equivalent torch
module; outputs, losses and every gradient must agree to 1e-10. The main case is
the network and data of the optimizer comparison (the digits, softmax
cross-entropy), the others cover every activation and loss.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

from descent import nets
from descent.sweep import Task

ATOL = 1e-10


def torch_forward(model: nets.MLP, params, X):
    """The MLP written with torch operations on leaf tensors of ``params``."""
    act = {"relu": torch.relu, "tanh": torch.tanh, "sigmoid": torch.sigmoid}
    leaves = [torch.tensor(p, dtype=torch.float64, requires_grad=True) for p in params]
    a = torch.tensor(X, dtype=torch.float64)
    for i in range(model.depth):
        z = a @ leaves[2 * i].T + leaves[2 * i + 1]
        a = z if i == model.depth - 1 else act[model.activation](z)
    return leaves, a


def torch_loss(model: nets.MLP, z, y):
    F = torch.nn.functional
    y = torch.tensor(y)
    if model.loss == "ce":
        return F.cross_entropy(z, y.long() if y.ndim == 1 else y.double())
    y = y.double().reshape(z.shape)
    if model.loss == "bce":
        return F.binary_cross_entropy_with_logits(z, y)
    return F.mse_loss(z, y)


def assert_same_as_torch(model, params, X, y):
    leaves, z = torch_forward(model, params, X)
    loss = torch_loss(model, z, y)
    loss.backward()
    np.testing.assert_allclose(model.forward(params, X)[-1], z.detach().numpy(),
                               rtol=0, atol=ATOL)
    ours, grads = model.loss_and_grads(params, X, y)
    assert abs(ours - loss.item()) <= ATOL
    assert abs(model.loss_at(params, X, y) - loss.item()) <= ATOL
    for i, (g, leaf) in enumerate(zip(grads, leaves, strict=True)):
        np.testing.assert_allclose(g, leaf.grad.numpy(), rtol=0, atol=ATOL,
                                   err_msg=f"params[{i}]")


def test_the_comparison_network_on_the_digits_matches_torch():
    task = Task()
    split = task.split
    model = task.model
    rng = np.random.default_rng(11)
    params = [p + 0.05 * rng.standard_normal(p.shape)  # nonzero biases too
              for p in model.init_params(rng)]
    assert model.sizes == (64, 64, 64, 10) and model.loss == "ce"
    assert_same_as_torch(model, params, split.X_train[:128], split.y_train[:128])
    # one-hot rows and soft targets give torch's probability-target loss
    soft = rng.dirichlet(np.ones(10), size=32)
    assert_same_as_torch(model, params, split.X_val[:32], soft)
    assert_same_as_torch(model, params, split.X_val[:32],
                         nets.one_hot(split.y_val[:32], 10))


@pytest.mark.parametrize("loss", ["bce", "ce", "mse"])
@pytest.mark.parametrize("activation", ["sigmoid", "tanh", "relu"])
def test_every_activation_and_loss_matches_torch(activation, loss):
    rng = np.random.default_rng(12)
    n_out = 1 if loss == "bce" else 3
    model = nets.MLP((5, 7, 6, n_out), activation=activation, init="xavier",
                     loss=loss)
    params = [p + 0.1 * rng.standard_normal(p.shape) for p in model.init_params(rng)]
    X = rng.standard_normal((20, 5))
    y = {"bce": rng.integers(0, 2, 20), "ce": rng.integers(0, 3, 20),
         "mse": rng.standard_normal((20, 3))}[loss]
    assert_same_as_torch(model, params, X, y)

