"""Rprop: per-parameter step sizes adapted from the signs of successive gradients."""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from ._base import (
    LearningRate,
    Optimizer,
    _real,
    as_schedule,
    per_array,
    zeros_like,
)


class RpropState(NamedTuple):
    """``g_prev``: the last gradient used, 0 where its sign had flipped (torch
    ``prev``); ``delta``: the step size of each coordinate (torch ``step_size``),
    0 before the first step, which sets it to η."""

    t: int
    g_prev: np.ndarray | list[np.ndarray]
    delta: np.ndarray | list[np.ndarray]


def rprop(
    lr: LearningRate = 1e-2,
    etas: tuple[float, float] = (0.5, 1.2),
    step_sizes: tuple[float, float] = (1e-6, 50.0),
) -> Optimizer:
    r"""Rprop: move each coordinate by its own step size, against the gradient's sign.

    Only the sign of the gradient is used. Each coordinate keeps a step size
    :math:`\Delta_{t,i}`, multiplied by :math:`\eta^+ > 1` while the gradient
    keeps its sign and by :math:`\eta^- < 1` when it flips, and clipped to
    :math:`[\Delta_{\min}, \Delta_{\max}]`. From :math:`\Delta_0 = \eta`,
    :math:`\tilde g_0 = 0`, with :math:`s_t = \operatorname{sign}(g_t\,
    \tilde g_{t-1})`:

    .. math::

        \Delta_t &\leftarrow \operatorname{clip}\big(
            \Delta_{t-1} \cdot \{\eta^+ \text{ if } s_t > 0,\
            \eta^- \text{ if } s_t < 0,\ 1 \text{ if } s_t = 0\},\
            \Delta_{\min}, \Delta_{\max}\big) \\
        \tilde g_t &\leftarrow \{0 \text{ if } s_t < 0,\ g_t \text{ else}\} \\
        \theta_{t+1} &\leftarrow \theta_t
            - \Delta_t \operatorname{sign}(\tilde g_t)

    After a sign flip the coordinate does not move, and since
    :math:`\tilde g_t = 0` its next step keeps :math:`\Delta_t` whatever the
    next sign: this is Igel & Hüsken's iRprop⁻, the rule of ``torch.optim.Rprop``.
    Riedmiller & Braun's original Rprop instead undoes the previous step after a
    flip (weight backtracking); it is not implemented here. There is no ε and
    no division: the step never depends on the size of the gradient.

    η only sets the starting step sizes :math:`\Delta_0`. With a schedule for
    ``lr``, the first step uses ``lr(0)`` and later rates are ignored, as
    ``torch.optim.Rprop`` ignores a scheduler's changes of ``lr`` once its state
    exists.

    Parameters
    ----------
    lr : float or callable
        Starting step size :math:`\Delta_0 = \eta > 0`, or a schedule (only its
        value at 0 is used).
    etas : tuple of float
        :math:`(\eta^-, \eta^+)` with :math:`0 < \eta^- < 1 < \eta^+`.
    step_sizes : tuple of float
        :math:`(\Delta_{\min}, \Delta_{\max})` with
        :math:`0 \le \Delta_{\min} \le \Delta_{\max}`.

    Returns
    -------
    Optimizer
        ``init(params)`` gives ``RpropState(t=0, g_prev=0, delta=0)``.

    Notes
    -----
    Same iterates as ``torch.optim.Rprop(params, lr=lr, etas=etas,
    step_sizes=step_sizes)``. With ``step_sizes=(lr, lr)`` every
    :math:`\Delta_t = \eta`: sign descent that skips the step after each flip.

    Examples
    --------
    The first step is ``lr`` against the sign; the sign holds, so the second is
    1.2 times longer; after a flip the coordinate stays and its step halves:

    >>> import numpy as np
    >>> opt = rprop(lr=0.1)
    >>> params, state = np.array([1.0]), opt.init(np.zeros(1))
    >>> for g in (5.0, 0.01, -3.0):
    ...     params, state = opt.step(params, np.array([g]), state)
    ...     print(params.round(6), state.delta.round(6))
    [0.9] [0.1]
    [0.78] [0.12]
    [0.78] [0.06]

    References
    ----------
    Riedmiller, M., & Braun, H. (1993). A direct adaptive method for faster
    backpropagation learning: The RPROP algorithm. *IEEE International
    Conference on Neural Networks*, 586–591.

    Igel, C., & Hüsken, M. (2003). Empirical evaluation of the improved Rprop
    learning algorithms. *Neurocomputing*, 50, 105–123.
    """
    lr_at = as_schedule(lr)
    eta_minus, eta_plus = _pair("etas", etas)
    if not 0 < eta_minus < 1 < eta_plus:
        raise ValueError(
            f"etas must be (eta_minus, eta_plus) with 0 < eta_minus < 1 < eta_plus, "
            f"got {etas!r}"
        )
    delta_min, delta_max = _pair("step_sizes", step_sizes)
    if not 0 <= delta_min <= delta_max:
        raise ValueError(
            "step_sizes must be (min, max) with 0 <= min <= max, "
            f"got {step_sizes!r}"
        )

    def init(params):
        return RpropState(t=0, g_prev=zeros_like(params), delta=zeros_like(params))

    def step(params, grads, state):
        lr = lr_at(state.t)
        delta = state.delta if state.t else np.full_like(state.delta, lr)  # Δ_0 = η
        s = np.sign(grads * state.g_prev)  # has the sign flipped since last time?
        factor = np.where(s > 0, eta_plus, np.where(s < 0, eta_minus, 1.0))
        delta = np.clip(delta * factor, delta_min, delta_max)
        grads = np.where(s < 0, 0.0, grads)  # after a flip: no step, no memory
        params = params - np.sign(grads) * delta
        return params, RpropState(t=state.t + 1, g_prev=grads, delta=delta)

    hyper = {"lr": lr, "etas": tuple(etas), "step_sizes": tuple(step_sizes)}
    return Optimizer("rprop", init, per_array(step), hyper)


def _pair(name, value):
    """``value`` as two floats, or a ValueError naming ``name``."""
    if not isinstance(value, (tuple, list)) or len(value) != 2:
        raise ValueError(f"{name} must be a pair of numbers, got {value!r}")
    return _real(name, value[0]), _real(name, value[1])
