"""Data, activations, losses, input checks and the backprop record shared by the
networks."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np

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


def softmax(z):
    """Row-wise softmax of logits z (n, K), computed without overflow."""
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def _ce(z, y):
    r"""Mean softmax cross-entropy of logits z (n, K) against targets y, and ∂L/∂z.

    y holds one row per example: one-hot for a class label, or class
    probabilities. :math:`L = -\frac1n \sum_i \sum_k y_{ik} \log p_{ik}` with
    :math:`p_i = \operatorname{softmax}(z_i)` (torch's ``F.cross_entropy``, mean
    reduction), so :math:`\partial L/\partial z_i = (p_i \sum_k y_{ik} - y_i)/n`,
    which is :math:`(p_i - y_i)/n` for one-hot rows.
    """
    shifted = z - z.max(axis=1, keepdims=True)
    log_p = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    n = z.shape[0]
    loss = -np.sum(y * log_p) / n
    return loss, (np.exp(log_p) * y.sum(axis=1, keepdims=True) - y) / n


LOSSES: dict[str, Callable] = {"bce": _bce, "ce": _ce, "mse": _mse}


def one_hot(labels, k: int, dtype=np.float64) -> np.ndarray:
    """Class labels 0 … k−1 of shape (n,) as one-hot rows of shape (n, k)."""
    labels = np.asarray(labels)
    if labels.ndim != 1 or not np.issubdtype(labels.dtype, np.integer):
        raise ValueError(
            f"labels must be a 1-D array of integers, got {labels.dtype} of shape "
            f"{labels.shape}"
        )
    if labels.size and not (labels.min() >= 0 and labels.max() < k):
        raise ValueError(f"labels must lie in [0, {k - 1}], got "
                         f"{labels.min()} … {labels.max()}")
    return np.eye(k, dtype=dtype)[labels]


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


