"""A deep perceptron with skip connections: the product of Jacobians contains I."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .common import ACTIVATIONS, LOSSES, Backprop
from .mlp import MLP


@dataclass(frozen=True)
class ResidualMLP(MLP):
    r"""An :class:`MLP` whose hidden layers add a skip connection (He et al. 2016).

    The only change to the :class:`MLP` is one term: every hidden layer but the
    first adds its input pre-activation,

    .. math::

        z_l = z_{l-1} + W_l\, \sigma(z_{l-1}) + b_l \qquad (l = 2, \dots, L-1),

    while :math:`z_1 = W_1 x + b_1` and the output :math:`z_L = W_L\,\sigma(z_{L-1})
    + b_L` change width and keep the plain form (this is the "pre-activation"
    residual block of He et al. 2016, with one layer in the branch). So the
    Jacobian of a hidden layer is :math:`\partial z_l / \partial z_{l-1}
    = I + W_l \operatorname{diag}(\sigma'(z_{l-1}))` and backpropagation gains
    one term,

    .. math::

        \delta_{l-1} = \delta_l + \big(W_l^\top \delta_l\big) \odot \sigma'(z_{l-1}) ,

    so the product of the Jacobians contains the identity: the gradient has a path
    that no small factor multiplies.

    Everything else is the :class:`MLP`'s: the arguments, the parameters
    ``[W1, b1, ..., WL, bL]`` with the same shapes and initialisations (one θ runs
    both nets, which then differ only by the skips), ``deep``, ``forward`` (its
    ``a_l`` are :math:`\sigma(z_l)`), ``predict``, ``accuracy``,
    ``layer_grad_norms``. The hidden layers must all have the same width; with
    ``depth <= 2`` there is nothing to skip and the net is the :class:`MLP`.

    Example:
        >>> model = ResidualMLP.deep(depth=20, width=32, activation="sigmoid")
        >>> params = model.init_params(np.random.default_rng(0))
        >>> X, y = two_spirals(64, 0.1, np.random.default_rng(1))
        >>> r = model.backprop(params, X, y)
        >>> bool(r.delta_norms[1] > 0.1 * r.delta_norms[-2])
        True
    """

    def __post_init__(self):
        super().__post_init__()
        if len(set(self.sizes[1:-1])) > 1:
            raise ValueError(
                "sizes must give every hidden layer the same width (a skip adds a "
                f"layer's input to its output), got {self.sizes}"
            )

    def _skips(self, i: int) -> bool:
        """Whether layer l = i + 1 adds its input (the hidden layers 2..L-1)."""
        return 0 < i < self.depth - 1

    def _forward(self, params, X) -> list[np.ndarray]:
        sigma, _ = ACTIVATIONS[self.activation]
        acts, z = [X], None
        for i in range(self.depth):
            W, b = params[2 * i], params[2 * i + 1]
            z = (z if self._skips(i) else 0) + acts[-1] @ W.T + b
            acts.append(z if i == self.depth - 1 else sigma(z))
        return acts

    def backprop(self, params, X, y) -> Backprop:
        """Loss, gradients and every δ_l = ∂L/∂z_l, by backpropagation."""
        X, y = self._check(params, X, y)
        _, dsigma = ACTIVATIONS[self.activation]
        acts = self._forward(params, X)
        loss, delta = LOSSES[self.loss](acts[-1], y)  # δ_L = ∂L/∂z_L
        grads = [None] * len(params)
        deltas = [None] * self.depth
        for i in reversed(range(self.depth)):  # layer l = i+1: W_l = params[2i]
            deltas[i] = delta
            grads[2 * i] = delta.T @ acts[i]  # ∂L/∂W_l = δ_l a_{l-1}ᵀ
            grads[2 * i + 1] = delta.sum(axis=0)  # ∂L/∂b_l = δ_l
            if i > 0:
                through = (delta @ params[2 * i]) * dsigma(acts[i])
                # the skip adds δ_l itself: δ_{l-1} = δ_l + (W_lᵀ δ_l) ⊙ σ'(z_{l-1})
                delta = delta + through if self._skips(i) else through
        return Backprop(float(loss), grads, deltas)
