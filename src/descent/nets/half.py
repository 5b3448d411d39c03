r"""Mixed-precision training of an :class:`~descent.nets.MLP`: float16 passes, float32
master weights, loss scaling.

The recipe of Micikevicius et al. (2018), in numpy:

1. keep the **master weights** in float32; at every step round a copy to the low
   format (float16, or bfloat16 for contrast);
2. run the forward pass in the low format: each layer's matrix product is
   accumulated in high precision and rounded once to the low format (as GPU
   tensor cores do), the activations are computed in the low format;
3. compute the loss in float32 from the low-format output, multiply its gradient
   :math:`\delta_L` by the loss scale :math:`S` (in float32) and round it to the
   low format;
4. backpropagate in the low format: every :math:`\delta_l` and every gradient is a
   low-format array, where small values underflow to 0 and large ones overflow
   to ``inf``;
5. unscale in float32, skip the step if anything is not finite, else step the
   optimizer on the master weights (:func:`descent.amp.scaled_step`).

:func:`half_backprop` is steps 1–4 for one batch; :func:`train_mixed` runs the
whole loop with a fixed scale or a :func:`descent.amp.loss_scaler`, and measures
at every step how many gradient entries the low format lost to underflow
(compared with float64 backpropagation at the same master weights).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..amp import (
    FLOAT16,
    LossScaler,
    ScalerState,
    _float_format,
    _positive_finite,
    scaled_step,
    to_format,
)
from .common import ACTIVATIONS, LOSSES, _check_positive_int
from .mlp import MLP

__all__ = ["HalfBackprop", "MixedResult", "half_backprop", "train_mixed"]


@dataclass(frozen=True)
class HalfBackprop:
    """What a low-precision backward pass found.

    ``loss`` is the objective c·L (without the loss scale), computed in float32;
    ``grads`` and ``deltas`` (δ_1 … δ_L) belong to the *scaled* loss S·c·L and are
    arrays of the low format: divide by S (:func:`descent.amp.unscale`) before
    stepping.
    """

    loss: float
    grads: list[np.ndarray]
    deltas: list[np.ndarray] = field(repr=False)


def _matmul(a: np.ndarray, b: np.ndarray, dtype) -> np.ndarray:
    """a @ b for low-format a, b: exact products, float64 sum, one rounding."""
    return to_format(a.astype(np.float64) @ b.astype(np.float64), dtype)


def half_backprop(
    model: MLP, params, X, y, scale: float = 1.0, dtype=FLOAT16,
    loss_weight: float = 1.0,
) -> HalfBackprop:
    r"""Forward and backward pass of ``model`` in ``dtype``, for the loss S·c·L.

    ``params`` are the master weights (any float dtype); they are rounded to
    ``dtype`` first, like ``X``. The loss and :math:`\delta_L = S\,(c\,\partial
    L/\partial z_L)` are computed in float32 (c = ``loss_weight`` is part of the
    objective, S = ``scale`` the loss scale, applied last as frameworks do, so a
    power of two scales exactly), then :math:`\delta_L` is rounded to ``dtype``;
    from there on every δ and every gradient is a ``dtype`` array:

    .. math::

        \partial(SL)/\partial W_l = \operatorname{fl}(\delta_l a_{l-1}^\top), \quad
        \delta_{l-1} = \operatorname{fl}(\operatorname{fl}(W_l^\top \delta_l)
            \odot \sigma'(a_{l-1})).

    With ``dtype=np.float64`` and ``scale=1`` this is :meth:`MLP.backprop`
    (up to rounding).
    """
    if not isinstance(model, MLP):
        raise ValueError(f"model must be an MLP, got {type(model).__name__}")
    s = _positive_finite("scale", scale)
    c = _positive_finite("loss_weight", loss_weight)
    dt = _float_format(dtype)
    X64, Y64 = model._check([np.asarray(p, dtype=np.float64) for p in params], X, y)
    low = [to_format(p, dt) for p in params]
    sigma, dsigma = ACTIVATIONS[model.activation]
    acts = [to_format(X64, dt)]
    with np.errstate(over="ignore", invalid="ignore"):
        for i in range(model.depth):
            z = to_format(acts[-1].astype(np.float64) @ low[2 * i].T.astype(np.float64)
                          + low[2 * i + 1].astype(np.float64), dt)
            acts.append(z if i == model.depth - 1 else sigma(z).astype(dt))
        z32 = acts[-1].astype(np.float32)
        loss, delta = LOSSES[model.loss](z32, Y64.astype(np.float32))
        delta = delta * np.float32(c) if c != 1 else delta  # the objective c·L
        delta = to_format(delta * np.float32(s), dt)  # δ_L of S·c·L, in float32
        grads = [None] * len(low)
        deltas = [None] * model.depth
        for i in reversed(range(model.depth)):
            deltas[i] = delta
            grads[2 * i] = _matmul(delta.T, acts[i], dt)
            grads[2 * i + 1] = to_format(delta.astype(np.float64).sum(axis=0), dt)
            if i > 0:
                back = _matmul(delta, low[2 * i], dt)
                delta = (back * dsigma(acts[i]).astype(dt)).astype(dt)
    return HalfBackprop(float(c * loss), grads, deltas)


@dataclass(frozen=True)
class MixedResult:
    """The record of a mixed-precision run; ``k`` indexes steps 1 … ``steps``.

    ``loss[k]``: the float64 loss c·L of the master weights before step k+1
    (``loss[0]`` at the start, so ``steps + 1`` entries); ``scale[k]``: the
    loss scale used at step k+1; ``skipped[k]``: whether that step was skipped
    (a scaled gradient was not finite); ``lost[k]``: the fraction of gradient
    entries that float64 backpropagation finds non-zero but the low format
    returned as exactly 0 (lost to underflow); ``params``: the final master
    weights (float32).
    """

    loss: np.ndarray
    scale: np.ndarray
    skipped: np.ndarray
    lost: np.ndarray
    params: list[np.ndarray] = field(repr=False)

    @property
    def steps(self) -> int:
        """The number of steps run (taken or skipped)."""
        return len(self.scale)

    @property
    def skipped_steps(self) -> int:
        """How many steps were skipped."""
        return int(np.count_nonzero(self.skipped))

    @property
    def final_loss(self) -> float:
        """The loss of the final master weights."""
        return float(self.loss[-1])


def _lost_fraction(low_grads, ref_grads) -> float:
    nonzero = sum(int(np.count_nonzero(r)) for r in ref_grads)
    lost = sum(
        int(np.count_nonzero((g == 0) & (r != 0)))
        for g, r in zip(low_grads, ref_grads, strict=True)
    )
    return lost / nonzero if nonzero else 0.0


def _fixed(scale: float) -> LossScaler:
    def init() -> ScalerState:
        return ScalerState(scale=scale, growth_tracker=0)

    def update(state: ScalerState, found_inf: bool) -> ScalerState:
        return state

    return LossScaler(init, update, {"scale": scale})


def train_mixed(
    model: MLP,
    params,
    opt,
    X,
    y,
    steps: int,
    *,
    scaler: LossScaler | float = 1.0,
    dtype=FLOAT16,
    loss_weight: float = 1.0,
) -> MixedResult:
    """Train ``model`` with low-precision passes and float32 master weights.

    Args:
        model: an :class:`MLP`.
        params: the starting parameters (copied to float32 master weights).
        opt: a :mod:`descent.optim` optimizer; it steps the master weights.
        X, y: the training batch (full batch at every step).
        steps: the number of steps (≥ 1), taken or skipped.
        scaler: a :func:`descent.amp.loss_scaler` (dynamic scaling), or a number:
            a fixed scale S > 0 (1 = no loss scaling). Either way a step whose
            scaled gradients are not all finite is skipped.
        dtype: the low format, ``np.float16`` (default) or ``descent.amp.BFLOAT16``.
        loss_weight: a factor c > 0 in the objective itself: the run minimises
            c·L (c = 1e-4 makes every gradient 10⁴ times smaller). Unlike the loss
            scale, it is not undone before the step.

    Returns:
        A :class:`MixedResult`.
    """
    if not isinstance(model, MLP):
        raise ValueError(f"model must be an MLP, got {type(model).__name__}")
    _check_positive_int("steps", steps)
    if not isinstance(scaler, LossScaler):
        scaler = _fixed(_positive_finite("scaler", scaler))
    dt = _float_format(dtype)
    c = _positive_finite("loss_weight", loss_weight)
    master = [np.array(p, dtype=np.float32) for p in params]
    opt_state = opt.init(master)
    sc_state = scaler.init()
    losses, scales, skipped, lost = [], [], [], []
    for _ in range(int(steps)):
        ref = model.backprop([p.astype(np.float64) for p in master], X, y)
        losses.append(c * ref.loss)
        scales.append(sc_state.scale)
        half = half_backprop(model, master, X, y, scale=sc_state.scale, dtype=dt,
                             loss_weight=c)
        with np.errstate(invalid="ignore"):
            lost.append(_lost_fraction(half.grads, ref.grads))
        master, opt_state, sc_state, skip = scaled_step(
            opt, scaler, master, half.grads, opt_state, sc_state
        )
        skipped.append(skip)
    losses.append(c * model.backprop([p.astype(np.float64) for p in master], X, y).loss)
    return MixedResult(
        loss=np.array(losses),
        scale=np.array(scales),
        skipped=np.array(skipped, dtype=bool),
        lost=np.array(lost),
        params=master,
    )
