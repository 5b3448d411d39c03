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
  initialisation) whose parameters are a list ``[W1, b1, W2, b2, ...]`` that every
  :mod:`descent.optim` optimizer steps directly;
* :class:`LinearRNN`, the scalar RNN :math:`h_t = w h_{t-1} + x_t`, whose gradient
  through ``T`` steps is exactly :math:`w^T`;
* :class:`TanhRNN`, a small tanh RNN trained by backpropagation through time;
* :class:`BatchLoss`, a model on a fixed batch as a function θ ↦ L(θ) of one flat
  vector, which :func:`descent.run.run` can drive like a landscape;
* :func:`train`, which runs an optimizer on a model and returns plain data.

Conventions: a batch is stored row-wise (``X`` has shape ``(n, features)``); a weight
matrix has shape ``(fan_out, fan_in)`` as in the formulas (and in ``torch.nn``), so a
layer computes ``z = a @ W.T + b``. Everything runs in the parameters' dtype: float64
by default, float32 stays float32.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np

from .optim import clip_by_global_norm, global_norm

__all__ = [
    "ACTIVATIONS",
    "INITS",
    "LOSSES",
    "MLP",
    "Backprop",
    "BatchLoss",
    "LinearRNN",
    "TanhRNN",
    "ThroughTime",
    "TrainResult",
    "sigmoid",
    "train",
    "two_spirals",
]


# --------------------------------------------------------------------------- data


def two_spirals(n: int, noise: float, rng: np.random.Generator, dtype=np.float64):
    """Two interleaved spirals in the plane: a small problem a linear model cannot fit.

    Args:
        n: number of points (≥ 2); the classes alternate, so they differ in size
            by at most one.
        noise: standard deviation of the Gaussian noise added to each coordinate (≥ 0).
        rng: the random generator (the dataset is a function of its state).
        dtype: floating dtype of ``X``.

    Returns:
        ``X`` of shape ``(n, 2)`` inside roughly ``[-1, 1]²`` and ``y`` of shape
        ``(n,)`` with labels 0 and 1 (int64).
    """
    if not isinstance(n, (int, np.integer)) or n < 2:
        raise ValueError(f"n must be an integer >= 2, got {n!r}")
    if not noise >= 0:
        raise ValueError(f"noise must be >= 0, got {noise!r}")
    _check_dtype(dtype)
    turns = 1.5
    y = np.arange(n) % 2
    radius = np.sqrt(rng.uniform(size=n))  # uniform density along the spiral arm
    angle = 2 * np.pi * turns * radius + np.pi * y
    X = radius[:, None] * np.stack([np.cos(angle), np.sin(angle)], axis=1)
    X = X + noise * rng.standard_normal((n, 2))
    return X.astype(dtype), y


# ----------------------------------------------------------- activations, losses


def sigmoid(z):
    """The logistic function 1 / (1 + e^{-z}), written with tanh: it never overflows."""
    return 0.5 * (1 + np.tanh(0.5 * z))


# Each activation a = σ(z) with its derivative σ'(z) written through a, so the
# backward pass needs only the stored activations.
ACTIVATIONS: dict[str, tuple[Callable, Callable]] = {
    "sigmoid": (sigmoid, lambda a: a * (1 - a)),  # σ' = σ(1 − σ) ≤ 1/4
    "tanh": (np.tanh, lambda a: 1 - a * a),  # tanh' = 1 − tanh² ≤ 1
    "relu": (lambda z: np.maximum(z, 0), lambda a: a > 0),  # relu' ∈ {0, 1}
}

INITS = ("normal", "xavier", "he")


def _bce(z, y):
    """Mean binary cross-entropy of logits z against labels y, and ∂L/∂z."""
    loss = np.mean(np.logaddexp(0, z) - y * z)  # = −y log σ(z) − (1−y) log(1−σ(z))
    return loss, (sigmoid(z) - y) / z.size


def _mse(z, y):
    """Mean squared error of outputs z against targets y, and ∂L/∂z."""
    r = z - y
    return np.mean(r * r), 2 * r / z.size


LOSSES: dict[str, Callable] = {"bce": _bce, "mse": _mse}


# ------------------------------------------------------------------------- checks


def _check_choice(name: str, value, allowed) -> None:
    if value not in allowed:
        raise ValueError(f"{name} must be one of {sorted(allowed)}, got {value!r}")


def _check_positive_int(name: str, value) -> None:
    if not isinstance(value, (int, np.integer)) or value < 1:
        raise ValueError(f"{name} must be an integer >= 1, got {value!r}")


def _check_dtype(dtype) -> None:
    if not np.issubdtype(np.dtype(dtype), np.floating):
        raise ValueError(
            f"dtype must be a floating dtype (float32, float64), got {dtype}"
        )


def _check_params(params, shapes: list[tuple[int, ...]]) -> None:
    """Raise unless params is a list of arrays with exactly the given shapes."""
    ok = isinstance(params, Sequence) and all(isinstance(p, np.ndarray) for p in params)
    got = [p.shape for p in params] if ok else type(params).__name__
    if got != shapes:
        raise ValueError(
            f"params must be a list of arrays of shapes {shapes}, got {got}"
        )


def _check_xy(X, y, n_in: int, n_out: int, dtype, sequence: bool = False):
    """Validate a batch; return X as (n, n_in) or (n, T, n_in) and y as (n, n_out).

    Both are converted to ``dtype`` (the parameters' dtype); ``y=None`` skips y.
    """
    X = np.asarray(X, dtype=dtype)
    if sequence:
        if X.ndim == 2 and n_in == 1:
            X = X[:, :, None]
        want = f"(n, T, {n_in})" + (" or (n, T)" if n_in == 1 else "")
        if X.ndim != 3 or X.shape[2] != n_in or X.shape[1] < 1:
            raise ValueError(f"X must have shape {want} with T >= 1, got {X.shape}")
    elif X.ndim != 2 or X.shape[1] != n_in:
        raise ValueError(f"X must have shape (n, {n_in}), got {X.shape}")
    n = X.shape[0]
    if n < 1:
        raise ValueError("X must hold at least one sample, got n = 0")
    if y is None:
        return X, None
    Y = np.asarray(y, dtype=dtype)
    if Y.ndim == 1 and n_out == 1:
        Y = Y[:, None]
    if Y.shape != (n, n_out):
        want = f"({n},) or ({n}, 1)" if n_out == 1 else f"({n}, {n_out})"
        raise ValueError(f"y must have shape {want} to match X, got {np.shape(y)}")
    return X, Y


def _finite(*arrays) -> bool:
    return all(np.all(np.isfinite(a)) for a in arrays)


@dataclass(frozen=True)
class Backprop:
    """What backpropagation found: loss, gradients and every δ_l = ∂L/∂z_l."""

    loss: float
    grads: list[np.ndarray]
    deltas: list[np.ndarray] = field(repr=False)  # δ_1 … δ_L, each (n, sizes[l])

    @property
    def delta_norms(self) -> np.ndarray:
        """‖δ_l‖ over the batch for l = 1..L: the signal travelling backwards."""
        return np.array([np.linalg.norm(d) for d in self.deltas])


# ---------------------------------------------------------------------------- MLP


@dataclass(frozen=True)
class MLP:
    r"""A fully connected network: hidden layers σ(W a + b), a linear output layer.

    The forward pass is :math:`a_0 = x`, :math:`z_l = W_l a_{l-1} + b_l`,
    :math:`a_l = \sigma(z_l)` for the hidden layers, and the output is
    :math:`z_L` (a logit for ``"bce"``). The parameters are the list
    ``[W1, b1, ..., WL, bL]`` with ``W_l`` of shape ``(sizes[l], sizes[l-1])``.

    Args:
        sizes: layer widths ``(n_in, hidden..., n_out)``, at least two entries.
        activation: ``"sigmoid"``, ``"tanh"`` or ``"relu"`` (hidden layers).
        init: weight initialisation, each weight drawn from N(0, s²) with
            ``"normal"``: s = ``std``; ``"xavier"`` (Glorot & Bengio 2010, normal
            variant): s = sqrt(2 / (fan_in + fan_out)); ``"he"`` (He et al. 2015):
            s = sqrt(2 / fan_in). Biases start at zero.
        std: the standard deviation for ``init="normal"`` (> 0); only for that init.
        loss: ``"bce"`` (binary cross-entropy on the logits; labels in {0, 1}) or
            ``"mse"`` (mean squared error of the outputs).

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

    def loss_and_grads(self, params, X, y) -> tuple[float, list[np.ndarray]]:
        """The loss and its gradient for every parameter, by backpropagation."""
        r = self.backprop(params, X, y)
        return r.loss, r.grads

    def layer_grad_norms(self, grads) -> np.ndarray:
        """The norm ‖∂L/∂W_l‖ of every layer's weight gradient, first layer first."""
        return np.array([np.linalg.norm(g) for g in grads[::2]])

    def predict(self, params, X) -> np.ndarray:
        """The output for every row of X: a probability for "bce", a value for "mse".

        Shape ``(n,)`` for one output, ``(n, n_out)`` otherwise.
        """
        z = self.forward(params, X)[-1]
        out = sigmoid(z) if self.loss == "bce" else z
        return out[:, 0] if self.sizes[-1] == 1 else out

    def accuracy(self, params, X, y) -> float:
        """The fraction of points whose predicted class (probability > 1/2) equals y."""
        if self.loss != "bce" or self.sizes[-1] != 1:
            raise ValueError("accuracy needs loss='bce' and one output")
        _, Y = self._check(params, X, y)
        return float(np.mean((self.predict(params, X) > 0.5) == (Y[:, 0] > 0.5)))


# ---------------------------------------------------------------------- recurrent


@dataclass(frozen=True)
class ThroughTime:
    """What backpropagation through time found: loss, gradients and every ∂L/∂h_t."""

    loss: float
    grads: list[np.ndarray]
    grad_h: np.ndarray = field(repr=False)  # (T+1, n, H): ∂L/∂h_t for t = 0..T

    @property
    def grad_h_norms(self) -> np.ndarray:
        """‖∂L/∂h_t‖ for t = 0..T (over the batch): the gradient going back in time."""
        return np.linalg.norm(self.grad_h.reshape(len(self.grad_h), -1), axis=1)


@dataclass(frozen=True)
class LinearRNN:
    r"""The scalar linear RNN :math:`h_t = w\,h_{t-1} + x_t`, read out at the end.

    The loss is :math:`L = \tfrac12 \operatorname{mean}_n (h_T - y)^2`. Since
    :math:`\partial h_t / \partial h_{t-1} = w`, the gradient reaching step ``t``
    is :math:`\partial L/\partial h_t = w^{T-t}\,\partial L/\partial h_T`: it
    vanishes for :math:`|w| < 1` and explodes for :math:`|w| > 1`
    (Pascanu, Mikolov & Bengio 2013).

    The parameters are ``[w]`` with ``w`` of shape ``(1,)``; the inputs ``X`` have
    shape ``(n, T)`` (or ``(T,)`` for one sequence) and the targets ``y`` shape
    ``(n,)``; every sequence starts from ``h0``.
    """

    h0: float = 1.0

    def init_params(self, w: float, dtype=np.float64) -> list[np.ndarray]:
        """Parameters ``[w]`` with the given recurrent weight."""
        _check_dtype(dtype)
        return [np.array([w], dtype=dtype)]

    def bptt(self, params, X, y) -> ThroughTime:
        """Loss, ``[∂L/∂w]`` and every ``∂L/∂h_t``, by backpropagation through time."""
        _check_params(params, [(1,)])
        w, dtype = params[0][0], params[0].dtype
        X = np.atleast_2d(np.asarray(X, dtype=dtype))  # one sequence is a batch of 1
        X, y = _check_xy(X, np.ravel(y), 1, 1, dtype, sequence=True)
        T = X.shape[1]
        h = [np.full_like(y, self.h0)]
        for t in range(1, T + 1):
            h.append(w * h[-1] + X[:, t - 1])
        loss = 0.5 * np.mean((h[T] - y) ** 2)
        grad_h = [None] * (T + 1)
        grad_h[T] = (h[T] - y) / len(y)
        for t in range(T, 0, -1):
            grad_h[t - 1] = w * grad_h[t]  # the factor through time: ∂h_t/∂h_{t-1} = w
        grad_w = sum(np.sum(grad_h[t] * h[t - 1]) for t in range(1, T + 1))
        grads = [np.array([grad_w], dtype=dtype)]
        return ThroughTime(float(loss), grads, np.stack(grad_h))

    def loss_and_grads(self, params, X, y) -> tuple[float, list[np.ndarray]]:
        """The loss and ``[∂L/∂w]``."""
        r = self.bptt(params, X, y)
        return r.loss, r.grads


@dataclass(frozen=True)
class TanhRNN:
    r"""A small RNN :math:`h_t = \tanh(W h_{t-1} + U x_t + b)`, read out at the end.

    The output :math:`z = V h_T + c` is scored with ``loss`` (as in :class:`MLP`);
    :math:`h_0 = 0`. Backpropagation through time multiplies, per step, the Jacobian
    :math:`\partial h_t/\partial h_{t-1} = \operatorname{diag}(1 - h_t^2)\,W`, so the
    gradient reaching early steps shrinks or grows with the size of ``W``.

    The parameters are ``[W, U, b, V, c]`` with shapes ``(H, H)``, ``(H, n_in)``,
    ``(H,)``, ``(n_out, H)``, ``(n_out,)``. Inputs ``X`` have shape ``(n, T, n_in)``
    (or ``(n, T)`` when ``n_in == 1``), targets ``(n,)`` or ``(n, n_out)``.

    Args:
        hidden: the state size H (≥ 1).
        n_in, n_out: input and output sizes (≥ 1).
        loss: ``"mse"`` or ``"bce"``.
        gain: the entries of ``W`` start as N(0, gain²/H), so its spectral radius is
            about ``gain``: below 1 gradients vanish in time, above 1 they can explode.
    """

    hidden: int
    n_in: int = 1
    n_out: int = 1
    loss: str = "mse"
    gain: float = 1.0

    def __post_init__(self):
        for name in ("hidden", "n_in", "n_out"):
            _check_positive_int(name, getattr(self, name))
        _check_choice("loss", self.loss, LOSSES)
        if not self.gain >= 0:
            raise ValueError(f"gain must be >= 0, got {self.gain!r}")

    def init_params(self, rng: np.random.Generator, dtype=np.float64) -> list:
        """Fresh parameters ``[W, U, b, V, c]`` drawn with ``rng``."""
        _check_dtype(dtype)
        H = self.hidden
        W = self.gain / np.sqrt(H) * rng.standard_normal((H, H))
        U = rng.standard_normal((H, self.n_in)) / np.sqrt(self.n_in)
        V = rng.standard_normal((self.n_out, H)) / np.sqrt(H)
        params = [W, U, np.zeros(H), V, np.zeros(self.n_out)]
        return [p.astype(dtype) for p in params]

    def _check(self, params, X, y):
        H, n_in, n_out = self.hidden, self.n_in, self.n_out
        _check_params(params, [(H, H), (H, n_in), (H,), (n_out, H), (n_out,)])
        return _check_xy(X, y, n_in, n_out, params[0].dtype, sequence=True)

    def bptt(self, params, X, y) -> ThroughTime:
        """Loss, gradients and every ``∂L/∂h_t``, by backpropagation through time."""
        X, y = self._check(params, X, y)
        W, U, b, V, c = params
        n, T, _ = X.shape
        h = [np.zeros((n, self.hidden), dtype=W.dtype)]
        for t in range(1, T + 1):
            h.append(np.tanh(h[-1] @ W.T + X[:, t - 1] @ U.T + b))
        loss, dz = LOSSES[self.loss](h[T] @ V.T + c, y)
        gW, gU, gb = np.zeros_like(W), np.zeros_like(U), np.zeros_like(b)
        grad_h = [None] * (T + 1)
        grad_h[T] = dz @ V
        for t in range(T, 0, -1):
            da = grad_h[t] * (1 - h[t] * h[t])  # ∂L/∂(W h_{t-1} + U x_t + b)
            gW += da.T @ h[t - 1]
            gU += da.T @ X[:, t - 1]
            gb += da.sum(axis=0)
            # the factor through time: ∂L/∂h_{t-1} = Wᵀ diag(1 − h_t²) ∂L/∂h_t
            grad_h[t - 1] = da @ W
        grads = [gW, gU, gb, dz.T @ h[T], dz.sum(axis=0)]
        return ThroughTime(float(loss), grads, np.stack(grad_h))

    def loss_and_grads(self, params, X, y) -> tuple[float, list[np.ndarray]]:
        """The loss and the gradients ``[∂L/∂W, ∂L/∂U, ∂L/∂b, ∂L/∂V, ∂L/∂c]``."""
        r = self.bptt(params, X, y)
        return r.loss, r.grads

    def layer_grad_norms(self, grads) -> np.ndarray:
        """The norms of the weight gradients ``(‖∂L/∂W‖, ‖∂L/∂U‖, ‖∂L/∂V‖)``."""
        return np.array([np.linalg.norm(grads[i]) for i in (0, 1, 3)])


# ------------------------------------------------------------------- as objective


@dataclass(frozen=True, eq=False)
class BatchLoss:
    r"""A model's loss on a fixed batch, as a function of one flat vector θ.

    :func:`descent.run.run` drives any object with ``value(θ)`` and ``grad(θ)`` and
    records every iterate, so a model with a handful of parameters (the scalar
    :class:`LinearRNN`, whose only parameter is w) can be studied like a
    landscape: its loss drawn against θ, with each optimizer's path on it.

    Args:
        model: an object with ``loss_and_grads(params, X, y)``.
        X, y: the batch.
        like: a parameter list of the model; θ is its arrays flattened and
            concatenated (only the shapes and dtype of ``like`` are used).
        minima: known minimisers, one flat θ per row (optional).
        start: a default starting θ (optional).

    Example:
        >>> rnn = LinearRNN()
        >>> f = BatchLoss(rnn, np.zeros((1, 3)), np.array([8.0]), rnn.init_params(1.0))
        >>> float(f.value(np.array([2.0]))), f.grad(np.array([2.0]))
        (0.0, array([0.]))
    """

    model: object
    X: np.ndarray
    y: np.ndarray
    like: list
    minima: np.ndarray | None = None
    start: np.ndarray | None = None

    def __post_init__(self):
        if not callable(getattr(self.model, "loss_and_grads", None)):
            raise ValueError("model must have loss_and_grads(params, X, y)")
        ok = isinstance(self.like, Sequence) and len(self.like) > 0
        if not ok or not all(isinstance(p, np.ndarray) for p in self.like):
            raise ValueError("like must be a non-empty list of arrays (the params)")

    @property
    def size(self) -> int:
        """The length of θ: the number of scalar parameters."""
        return sum(p.size for p in self.like)

    def params(self, theta) -> list[np.ndarray]:
        """The parameter list of the model for the flat vector θ."""
        theta = np.asarray(theta, dtype=self.like[0].dtype)
        if theta.shape != (self.size,):
            raise ValueError(f"theta must have shape ({self.size},), got {theta.shape}")
        out, k = [], 0
        for p in self.like:
            out.append(theta[k : k + p.size].reshape(p.shape))
            k += p.size
        return out

    def value(self, theta) -> float:
        """L(θ) on the batch."""
        return self.model.loss_and_grads(self.params(theta), self.X, self.y)[0]

    def grad(self, theta) -> np.ndarray:
        """∇L(θ) on the batch, flattened like θ."""
        _, grads = self.model.loss_and_grads(self.params(theta), self.X, self.y)
        return np.concatenate([np.ravel(g) for g in grads])


# -------------------------------------------------------------------------- train


@dataclass(frozen=True)
class TrainResult:
    """The record of a training run; its arrays never contain NaN or inf.

    ``loss[k]`` and ``grad_norms[k]`` belong to the parameters after ``k`` steps
    (``k = 0`` is the start); ``step_norm[k]`` is ‖θ_{k+1} − θ_k‖. A run that
    diverged stops at the first non-finite iterate: ``diverged_at`` is its index and
    ``reason`` says what was non-finite; ``params`` are the last finite parameters.
    """

    name: str
    loss: np.ndarray  # (m+1,)
    grad_norms: np.ndarray  # (m+1, layers): per-layer weight-gradient norms
    grad_norm: np.ndarray  # (m+1,): global gradient norm
    step_norm: np.ndarray  # (m,)
    params: list[np.ndarray] = field(repr=False)
    diverged_at: int | None = None
    reason: str | None = None

    @property
    def steps(self) -> int:
        """The number of optimizer steps taken."""
        return len(self.step_norm)

    @property
    def final_loss(self) -> float:
        """The loss of the last finite parameters (NaN only if the start diverged)."""
        return float(self.loss[-1]) if len(self.loss) else float("nan")


def train(
    model,
    params,
    opt,
    X,
    y,
    steps: int,
    *,
    clip: float | None = None,
    batch_size: int | None = None,
    rng: np.random.Generator | None = None,
) -> TrainResult:
    """Run ``steps`` steps of the optimizer ``opt`` on ``model`` and record them.

    Args:
        model: an object with ``loss_and_grads(params, X, y) -> (loss, grads)``
            (:class:`MLP`, :class:`TanhRNN`, :class:`LinearRNN`), or that function
            itself. Per-layer norms come from ``model.layer_grad_norms(grads)`` when
            it exists, else one norm per gradient array.
        params: the starting parameters (list of arrays); not modified.
        opt: a :mod:`descent.optim` optimizer (``init``, ``step``).
        X, y: the training data.
        steps: the number of optimizer steps (≥ 0).
        clip: if given, gradients are clipped to this global norm before each step
            (``descent.optim.clip_by_global_norm``); recorded norms are unclipped.
        batch_size: if given, each step uses a minibatch of this size drawn without
            replacement with ``rng``; otherwise the full batch.
        rng: the random generator for minibatches.

    Returns:
        A :class:`TrainResult`; a run stops at the first non-finite loss, gradient or
        parameter and says so, so its arrays are always finite.
    """
    loss_and_grads = getattr(model, "loss_and_grads", model)
    layer_norms = getattr(
        model, "layer_grad_norms", lambda g: np.array([np.linalg.norm(a) for a in g])
    )
    if not callable(loss_and_grads):
        raise ValueError("model must have loss_and_grads(params, X, y) or be callable")
    if not isinstance(steps, (int, np.integer)) or steps < 0:
        raise ValueError(f"steps must be an integer >= 0, got {steps!r}")
    n = len(X)
    if batch_size is not None:
        if not isinstance(batch_size, (int, np.integer)) or not 1 <= batch_size <= n:
            raise ValueError(
                f"batch_size must be an integer in [1, {n}], got {batch_size!r}"
            )
        if rng is None:
            raise ValueError("rng must be a numpy Generator when batch_size is given")
    if clip is not None:
        opt = clip_by_global_norm(opt, clip)

    def batch():
        if batch_size is None:
            return X, y
        idx = rng.choice(n, size=batch_size, replace=False)
        return X[idx], y[idx]

    def evaluate(params):
        """Loss, gradients, their norms, and what (if anything) is non-finite."""
        loss, grads = loss_and_grads(params, *batch())
        norms = (layer_norms(grads), global_norm(grads))
        if not np.isfinite(loss):
            return loss, grads, norms, "non-finite loss"
        if not _finite(*norms):  # also catches norms overflowing for finite gradients
            return loss, grads, norms, "non-finite gradient"
        return loss, grads, norms, None

    losses, norms, gnorms, snorms = [], [], [], []
    state = opt.init(params)
    k = 0  # the index of the current iterate
    with np.errstate(over="ignore", invalid="ignore"):
        loss, grads, norm, reason = evaluate(params)
        while reason is None:
            losses.append(loss)
            norms.append(norm[0])
            gnorms.append(norm[1])
            if k == steps:
                break
            k += 1
            new, state = opt.step(params, grads, state)
            if not _finite(*new):
                reason = "non-finite parameters"
                break
            loss, grads, norm, reason = evaluate(new)
            if reason is None:
                diff = [a - b for a, b in zip(new, params, strict=True)]
                snorms.append(global_norm(diff))
                params = new
    return TrainResult(
        name=getattr(opt, "name", type(opt).__name__),
        loss=np.array(losses),
        grad_norms=np.array(norms).reshape(len(losses), -1),
        grad_norm=np.array(gnorms),
        step_norm=np.array(snorms),
        params=list(params),
        diverged_at=None if reason is None else k,
        reason=reason,
    )
