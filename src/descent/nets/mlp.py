"""A deep perceptron with hand-written backpropagation."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .common import (
    ACTIVATIONS,
    INITS,
    LOSSES,
    Backprop,
    _check_choice,
    _check_dtype,
    _check_params,
    _check_positive_int,
    _check_xy,
    one_hot,
    sigmoid,
    softmax,
)

# ---------------------------------------------------------------------------- MLP


@dataclass(frozen=True)
class MLP:
    r"""A fully connected network: hidden layers σ(W a + b), a linear output layer.

    The forward pass is :math:`a_0 = x`, :math:`z_l = W_l a_{l-1} + b_l`,
    :math:`a_l = \sigma(z_l)` for the hidden layers, and the output is
    :math:`z_L` (a logit for ``"bce"``, one logit per class for ``"ce"``). The
    parameters are the list
    ``[W1, b1, ..., WL, bL]`` with ``W_l`` of shape ``(sizes[l], sizes[l-1])``.

    Args:
        sizes: layer widths ``(n_in, hidden..., n_out)``, at least two entries.
        activation: ``"sigmoid"``, ``"tanh"`` or ``"relu"`` (hidden layers).
        init: weight initialisation, each weight drawn from N(0, s²) with
            ``"normal"``: s = ``std``; ``"xavier"`` (Glorot & Bengio 2010, normal
            variant): s = sqrt(2 / (fan_in + fan_out)); ``"he"`` (He et al. 2015):
            s = sqrt(2 / fan_in). Biases start at zero.
        std: the standard deviation for ``init="normal"`` (> 0); only for that init.
        loss: ``"bce"`` (binary cross-entropy on the logits; labels in {0, 1}),
            ``"ce"`` (softmax cross-entropy over ``sizes[-1]`` classes; labels
            0 … K−1 of shape (n,), or one-hot / probability rows of shape (n, K))
            or ``"mse"`` (mean squared error of the outputs).

    Example:
        >>> model = MLP.deep(depth=10, width=32, activation="relu", init="he")
        >>> params = model.init_params(np.random.default_rng(0))
        >>> X, y = two_spirals(64, 0.1, np.random.default_rng(1))
        >>> loss, grads = model.loss_and_grads(params, X, y)
        >>> model.layer_grad_norms(grads).shape
        (10,)
    """

    sizes: tuple[int, ...]
    activation: str = "tanh"
    init: str = "xavier"
    std: float | None = None
    loss: str = "bce"

    def __post_init__(self):
        object.__setattr__(self, "sizes", tuple(self.sizes))
        if len(self.sizes) < 2:
            raise ValueError(f"sizes must have at least 2 entries, got {self.sizes}")
        for s in self.sizes:
            _check_positive_int("every entry of sizes", s)
        _check_choice("activation", self.activation, ACTIVATIONS)
        _check_choice("init", self.init, INITS)
        _check_choice("loss", self.loss, LOSSES)
        if self.loss == "ce" and self.sizes[-1] < 2:
            raise ValueError(
                f"loss='ce' needs sizes[-1] >= 2 classes, got {self.sizes[-1]}; "
                "use loss='bce' for one output"
            )
        if self.init == "normal" and not (self.std is not None and self.std > 0):
            raise ValueError(f"std must be > 0 for init='normal', got {self.std!r}")
        if self.init != "normal" and self.std is not None:
            raise ValueError(f"std applies only to init='normal', not {self.init!r}")

    @classmethod
    def deep(cls, depth: int, width: int, n_in: int = 2, n_out: int = 1, **config):
        """A net of ``depth`` layers (weight matrices), hidden ones ``width`` wide."""
        _check_positive_int("depth", depth)
        _check_positive_int("width", width)
        return cls((n_in, *[width] * (depth - 1), n_out), **config)

    @property
    def depth(self) -> int:
        """The number of layers (weight matrices)."""
        return len(self.sizes) - 1

    def init_std(self, fan_in: int, fan_out: int) -> float:
        """The standard deviation of the weights of a (fan_out × fan_in) layer."""
        if self.init == "xavier":
            return float(np.sqrt(2 / (fan_in + fan_out)))
        if self.init == "he":
            return float(np.sqrt(2 / fan_in))
        return self.std

    def init_params(self, rng: np.random.Generator, dtype=np.float64) -> list:
        """Fresh parameters ``[W1, b1, ..., WL, bL]`` drawn with ``rng``."""
        _check_dtype(dtype)
        params = []
        for fan_in, fan_out in zip(self.sizes[:-1], self.sizes[1:], strict=True):
            std = self.init_std(fan_in, fan_out)
            params.append((std * rng.standard_normal((fan_out, fan_in))).astype(dtype))
            params.append(np.zeros(fan_out, dtype=dtype))
        return params

    def _check(self, params, X, y=None):
        pairs = zip(self.sizes[:-1], self.sizes[1:], strict=True)
        _check_params(params, [s for m, n in pairs for s in ((n, m), (n,))])
        if self.loss == "ce" and y is not None and np.ndim(y) == 1:
            y = one_hot(y, self.sizes[-1], params[0].dtype)  # class labels 0 … K−1
        return _check_xy(X, y, self.sizes[0], self.sizes[-1], params[0].dtype)

    def _forward(self, params, X) -> list[np.ndarray]:
        sigma, _ = ACTIVATIONS[self.activation]
        acts = [X]
        for i in range(self.depth):
            W, b = params[2 * i], params[2 * i + 1]
            z = acts[-1] @ W.T + b
            acts.append(z if i == self.depth - 1 else sigma(z))
        return acts

    def forward(self, params, X) -> list[np.ndarray]:
        """The activations ``[a_0 = X, a_1, ..., a_{L-1}, z_L]``; z_L is the output."""
        X, _ = self._check(params, X)
        return self._forward(params, X)

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
                # one Jacobian per layer: δ_{l-1} = (W_lᵀ δ_l) ⊙ σ'(z_{l-1})
                delta = (delta @ params[2 * i]) * dsigma(acts[i])
        return Backprop(float(loss), grads, deltas)

    def loss_at(self, params, X, y) -> float:
        """The loss alone: a forward pass, no backpropagation."""
        X, y = self._check(params, X, y)
        return float(LOSSES[self.loss](self._forward(params, X)[-1], y)[0])

    def loss_and_grads(self, params, X, y) -> tuple[float, list[np.ndarray]]:
        """The loss and its gradient for every parameter, by backpropagation."""
        r = self.backprop(params, X, y)
        return r.loss, r.grads

    def layer_grad_norms(self, grads) -> np.ndarray:
        """The norm ‖∂L/∂W_l‖ of every layer's weight gradient, first layer first."""
        return np.array([np.linalg.norm(g) for g in grads[::2]])

    def dead_units(self, params, X) -> int:
        """The number of hidden ReLU units that output 0 on every row of X.

        Such a unit passes no gradient back (relu' = 0 wherever it is off), so
        neither its incoming weights nor its bias change again: once dead on the
        whole data set, it stays dead. Counted over all hidden layers; only for
        ``activation="relu"``.
        """
        if self.activation != "relu":
            raise ValueError(
                f"dead_units needs activation='relu', got {self.activation!r}")
        acts = self.forward(params, X)[1:-1]
        return int(sum(np.sum(np.all(a <= 0, axis=0)) for a in acts))

    def predict(self, params, X) -> np.ndarray:
        """The output for every row of X: a probability for "bce", the class
        probabilities (softmax) for "ce", a value for "mse".

        Shape ``(n,)`` for one output, ``(n, n_out)`` otherwise.
        """
        z = self.forward(params, X)[-1]
        out = {"bce": sigmoid, "ce": softmax}.get(self.loss, lambda a: a)(z)
        return out[:, 0] if self.sizes[-1] == 1 else out

    def accuracy(self, params, X, y) -> float:
        """The fraction of points whose predicted class equals y.

        The predicted class is probability > 1/2 for "bce" with one output, the
        largest logit for "ce" (labels as integers or one-hot rows).
        """
        if self.loss == "ce":
            _, Y = self._check(params, X, y)
            z = self._forward(params, np.asarray(X, dtype=params[0].dtype))[-1]
            return float(np.mean(z.argmax(axis=1) == Y.argmax(axis=1)))
        if self.loss != "bce" or self.sizes[-1] != 1:
            raise ValueError("accuracy needs loss='ce', or loss='bce' and one output")
        _, Y = self._check(params, X, y)
        return float(np.mean((self.predict(params, X) > 0.5) == (Y[:, 0] > 0.5)))


