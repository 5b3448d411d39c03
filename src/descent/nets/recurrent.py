"""Recurrent networks: the scalar linear RNN and a small tanh RNN (BPTT)."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .common import (
    LOSSES,
    _check_choice,
    _check_dtype,
    _check_params,
    _check_positive_int,
    _check_xy,
)

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

    def _states(self, w, X) -> list[np.ndarray]:
        """h_0 .. h_T, each of shape (n, 1), for X of shape (n, T, 1)."""
        h = [np.full((X.shape[0], 1), self.h0, dtype=X.dtype)]
        for t in range(1, X.shape[1] + 1):
            h.append(w * h[-1] + X[:, t - 1])
        return h

    def forward(self, params, X) -> np.ndarray:
        """The states ``h_0, ..., h_T`` of every sequence, shape ``(T+1, n)``.

        ``forward(params, X)[-1]`` is the output h_T: targets made with it give a
        loss of exactly 0 at the same w (the same operations in the same order).
        """
        _check_params(params, [(1,)])
        dtype = params[0].dtype
        X = np.atleast_2d(np.asarray(X, dtype=dtype))  # one sequence is a batch of 1
        X, _ = _check_xy(X, None, 1, 1, dtype, sequence=True)
        return np.stack(self._states(params[0][0], X))[:, :, 0]

    def bptt(self, params, X, y) -> ThroughTime:
        """Loss, ``[∂L/∂w]`` and every ``∂L/∂h_t``, by backpropagation through time."""
        _check_params(params, [(1,)])
        w, dtype = params[0][0], params[0].dtype
        X = np.atleast_2d(np.asarray(X, dtype=dtype))  # one sequence is a batch of 1
        X, y = _check_xy(X, np.ravel(y), 1, 1, dtype, sequence=True)
        T = X.shape[1]
        h = self._states(w, X)  # h_0 = h0, h_t = w h_{t-1} + x_t for t = 1..T
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


