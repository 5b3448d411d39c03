r"""Tiny numpy networks with hand-written backpropagation.

Where vanishing and exploding gradients come from: backpropagation multiplies one
Jacobian per layer (or per time step),

.. math::

    \frac{\partial L}{\partial a_0}
    = J_1^\top J_2^\top \cdots J_L^\top \frac{\partial L}{\partial z_L},
    \qquad J_l = \operatorname{diag}\big(\sigma'(z_l)\big)\, W_l ,

so the gradient that reaches the first layer is a product of ``L`` factors: it
shrinks geometrically when they are small (sigmoid: :math:`\sigma' \le 1/4`) and
grows geometrically when they are large.

What is here:

* :func:`two_spirals`, a seeded two-class dataset;
* :class:`MLP`, a deep perceptron (sigmoid, tanh or ReLU; normal, Xavier or He
  initialisation; binary or softmax cross-entropy, or squared error) whose
  parameters are a list ``[W1, b1, W2, b2, ...]`` that every
  :mod:`descent.optim` optimizer steps directly;
* :class:`ResidualMLP`, the same perceptron (same parameters) with skip connections
  :math:`z_l = z_{l-1} + W_l \sigma(z_{l-1}) + b_l`, whose Jacobians are
  :math:`I + W_l \operatorname{diag}(\sigma')`;
* :class:`LinearRNN`, the scalar RNN :math:`h_t = w h_{t-1} + x_t`, whose gradient
  through ``T`` steps is exactly :math:`w^T`;
* :class:`TanhRNN`, a small tanh RNN trained by backpropagation through time;
* :class:`BatchLoss`, a model on a fixed batch as a function θ ↦ L(θ) of one flat
  vector, which :func:`descent.run.run` can drive like a landscape;
* :func:`train`, which runs an optimizer on a model and returns plain data;
* :func:`half_backprop` and :func:`train_mixed`: float16 (or bfloat16) passes with
  float32 master weights and loss scaling (:mod:`descent.amp`).

Conventions: a batch is stored row-wise (``X`` has shape ``(n, features)``); a weight
matrix has shape ``(fan_out, fan_in)`` as in the formulas (and in ``torch.nn``), so a
layer computes ``z = a @ W.T + b``. Everything runs in the parameters' dtype: float64
by default, float32 stays float32.

Modules: :mod:`~descent.nets.common` (data, activations, losses, input checks),
:mod:`~descent.nets.mlp`, :mod:`~descent.nets.residual`,
:mod:`~descent.nets.recurrent` and :mod:`~descent.nets.training` (objective on a
batch, training loop).
"""

from .common import (
    ACTIVATIONS,
    INITS,
    LOSSES,
    Backprop,
    one_hot,
    sigmoid,
    softmax,
    two_spirals,
)
from .half import HalfBackprop, MixedResult, half_backprop, train_mixed
from .mlp import MLP
from .recurrent import LinearRNN, TanhRNN, ThroughTime
from .residual import ResidualMLP
from .training import BatchLoss, TrainResult, train

__all__ = [
    "ACTIVATIONS",
    "INITS",
    "LOSSES",
    "MLP",
    "Backprop",
    "BatchLoss",
    "HalfBackprop",
    "LinearRNN",
    "MixedResult",
    "ResidualMLP",
    "TanhRNN",
    "ThroughTime",
    "TrainResult",
    "half_backprop",
    "one_hot",
    "sigmoid",
    "softmax",
    "train",
    "train_mixed",
    "two_spirals",
]
