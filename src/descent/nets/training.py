"""A network on a fixed batch as an objective, and a training loop."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from ..optim import clip_by_global_norm, global_norm
from .common import _finite

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
        parameter and says so, so its arrays are always finite. For a
        schedule-free optimizer (one with ``eval_params``) the record and the
        returned ``params`` belong to the point to evaluate, its average x, on
        the same batch as the gradient it steps with (taken at y).
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
    eval_at = getattr(opt, "eval_params", None)

    def batch():
        if batch_size is None:
            return X, y
        idx = rng.choice(n, size=batch_size, replace=False)
        return X[idx], y[idx]

    def evaluate(params, data):
        """Loss, gradients, their norms, and what (if anything) is non-finite."""
        loss, grads = loss_and_grads(params, *data)
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
        loss, grads, norm, reason = evaluate(params, batch())
        point = params  # what is recorded: the parameters, or schedule-free's x
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
            data = batch()
            loss, grads, norm, reason = evaluate(new, data)
            new_point = new
            if reason is None and eval_at is not None:
                new_point = eval_at(new, state)  # record x; step on with y's grads
                loss, _, norm, reason = evaluate(new_point, data)
            if reason is None:
                diff = [a - b for a, b in zip(new_point, point, strict=True)]
                snorms.append(global_norm(diff))
                params, point = new, new_point
    return TrainResult(
        name=getattr(opt, "name", type(opt).__name__),
        loss=np.array(losses),
        grad_norms=np.array(norms).reshape(len(losses), -1),
        grad_norm=np.array(gnorms),
        step_norm=np.array(snorms),
        params=list(point),
        diverged_at=None if reason is None else k,
        reason=reason,
    )
