"""Adagrad: per-parameter learning rates from the sum of squared gradients."""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from ._base import (
    LearningRate,
    Optimizer,
    as_schedule,
    check_nonneg,
    full_like,
    per_array,
)


class AdagradState(NamedTuple):
    """``v`` is the running sum of squared gradients (torch: ``sum``)."""

    t: int
    v: np.ndarray | list[np.ndarray]


def adagrad(
    lr: LearningRate,
    eps: float = 1e-10,
    initial_accumulator: float = 0.0,
    lr_decay: float = 0.0,
    weight_decay: float = 0.0,
) -> Optimizer:
    r"""Adagrad: each coordinate's step is divided by the root of its summed g².

    Every coordinate gets its own effective learning rate
    :math:`\eta / (\sqrt{v_t} + \varepsilon)`, which only shrinks as squared
    gradients pile up in the sum :math:`v_t`. From :math:`v_0` =
    ``initial_accumulator``:

    .. math::

        v_t &\leftarrow v_{t-1} + g_t^2 \\
        \eta_t &\leftarrow \frac{\eta}{1 + (t-1)\,\delta} \\
        \theta_{t+1} &\leftarrow
            \theta_t - \eta_t\, \frac{g_t}{\sqrt{v_t} + \varepsilon}

    where :math:`\delta` is ``lr_decay`` (0 by default, so :math:`\eta_t = \eta`).
    ε sits outside the square root. With ``weight_decay``
    :math:`\lambda_{\mathrm{wd}} > 0`:
    :math:`g_t \leftarrow g_t + \lambda_{\mathrm{wd}}\theta_t` first (L2 penalty).
    With a
    schedule for ``lr``, :math:`\eta` in :math:`\eta_t` is the schedule's rate
    ``lr(t - 1)`` of step t (as torch's ``group["lr"]`` under a scheduler).

    Parameters
    ----------
    lr : float or callable
        Learning rate :math:`\eta > 0`, or a schedule (a function of the step
        count).
    eps : float
        :math:`\varepsilon \ge 0`, added to :math:`\sqrt{v_t}`.
    initial_accumulator : float
        Starting value :math:`v_0 \ge 0` of the sum.
    lr_decay : float
        :math:`\delta \ge 0` in :math:`\eta_t = \eta / (1 + (t-1)\delta)`.
    weight_decay : float
        L2 coefficient :math:`\lambda_{\mathrm{wd}} \ge 0`.

    Returns
    -------
    Optimizer
        ``init(params)`` gives ``AdagradState(t=0, v=initial_accumulator)``.

    Notes
    -----
    Same iterates as ``torch.optim.Adagrad(params, lr=lr, lr_decay=lr_decay,
    weight_decay=weight_decay, initial_accumulator_value=initial_accumulator,
    eps=eps)``.

    Examples
    --------
    The first step moves every coordinate by about ``lr``, whatever its gradient:

    >>> import numpy as np
    >>> opt = adagrad(lr=0.1)
    >>> params = np.array([1.0, 1.0])
    >>> state = opt.init(params)
    >>> params, state = opt.step(params, np.array([100.0, 0.01]), state)
    >>> print(params.round(6))
    [0.9 0.9]

    References
    ----------
    Duchi, J., Hazan, E., & Singer, Y. (2011). Adaptive subgradient methods for
    online learning and stochastic optimization. *Journal of Machine Learning
    Research*, 12, 2121–2159.
    """
    lr_at = as_schedule(lr)
    check_nonneg("eps", eps)
    check_nonneg("initial_accumulator", initial_accumulator)
    check_nonneg("lr_decay", lr_decay)
    check_nonneg("weight_decay", weight_decay)

    def init(params):
        return AdagradState(t=0, v=full_like(params, initial_accumulator))

    def step(params, grads, state):
        lr = lr_at(state.t)
        t = state.t + 1
        if weight_decay:
            grads = grads + weight_decay * params
        v = state.v + grads**2
        lr_t = lr / (1 + (t - 1) * lr_decay)
        params = params - lr_t * grads / (np.sqrt(v) + eps)
        return params, AdagradState(t=t, v=v)

    hyper = {
        "lr": lr,
        "eps": eps,
        "initial_accumulator": initial_accumulator,
        "lr_decay": lr_decay,
        "weight_decay": weight_decay,
    }
    return Optimizer("adagrad", init, per_array(step), hyper)
