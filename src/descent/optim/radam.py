"""RAdam: Adam whose adaptive rate is switched on, and scaled, by its variance."""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np

from ._base import (
    LearningRate,
    Optimizer,
    as_schedule,
    check_nonneg,
    check_unit_interval,
    per_array,
    zeros_like,
)


class RAdamState(NamedTuple):
    """``m``, ``v``: moving averages of g and g² (torch ``exp_avg``,
    ``exp_avg_sq``)."""

    t: int
    m: np.ndarray | list[np.ndarray]
    v: np.ndarray | list[np.ndarray]


#: torch's threshold on ρ_t (Liu et al.'s Algorithm 2 writes ρ_t > 4).
RHO_THRESHOLD = 5.0


def rectification(t: int, beta2: float) -> tuple[float, float]:
    r"""``(rho_t, r_t)``: RAdam's length of the approximate SMA and its factor.

    :math:`\rho_\infty = 2/(1-\beta_2) - 1`, :math:`\rho_t = \rho_\infty -
    2t\beta_2^t/(1-\beta_2^t)` and, where :math:`\rho_t > 5`,
    :math:`r_t = \sqrt{(\rho_t-4)(\rho_t-2)\rho_\infty /
    ((\rho_\infty-4)(\rho_\infty-2)\rho_t)}`; ``r_t`` is 0 where
    :math:`\rho_t \le 5` (no adaptive step).

    >>> rho, r = rectification(1000, 0.999)
    >>> print(round(rho, 2), round(r, 4))
    835.97 0.6453
    """
    rho_inf = 2 / (1 - beta2) - 1
    rho_t = rho_inf - 2 * t * beta2**t / (1 - beta2**t)
    if rho_t <= RHO_THRESHOLD:
        return rho_t, 0.0
    ratio = (rho_t - 4) * (rho_t - 2) * rho_inf / (
        (rho_inf - 4) * (rho_inf - 2) * rho_t)
    return rho_t, math.sqrt(ratio)


def radam(
    lr: LearningRate = 1e-3,
    beta1: float = 0.9,
    beta2: float = 0.999,
    eps: float = 1e-8,
    weight_decay: float = 0.0,
    decoupled_weight_decay: bool = False,
) -> Optimizer:
    r"""RAdam: momentum SGD until v_t is reliable, then Adam scaled by r_t < 1.

    In the first steps :math:`v_t` averages only a few squared gradients, so
    the adaptive rate :math:`1/\sqrt{\hat v_t}` has a large (for the very first
    steps, unbounded) variance. Liu et al. measure it by :math:`\rho_t`, the
    length of the simple moving average that :math:`v_t` resembles, and
    multiply the adaptive step by the factor :math:`r_t` that makes that
    variance equal to its limit. From :math:`m_0 = v_0 = 0`, with
    :math:`\rho_\infty = 2/(1-\beta_2) - 1`:

    .. math::

        m_t &\leftarrow \beta_1 m_{t-1} + (1-\beta_1)\, g_t, \qquad
        v_t \leftarrow \beta_2 v_{t-1} + (1-\beta_2)\, g_t^2,
        \qquad \hat m_t \leftarrow \frac{m_t}{1-\beta_1^t} \\
        \rho_t &\leftarrow \rho_\infty - \frac{2t\beta_2^t}{1-\beta_2^t},
        \qquad r_t \leftarrow \sqrt{\frac{(\rho_t-4)(\rho_t-2)\,\rho_\infty}
            {(\rho_\infty-4)(\rho_\infty-2)\,\rho_t}} \\
        \theta_{t+1} &\leftarrow \begin{cases}
            \theta_t - \eta\, r_t\, \hat m_t\,
                \dfrac{\sqrt{1-\beta_2^t}}{\sqrt{v_t} + \varepsilon},
                & \rho_t > 5,\\
            \theta_t - \eta\, \hat m_t, & \rho_t \le 5.
        \end{cases}

    While :math:`\rho_t \le 5` (the first 5 steps for :math:`\beta_2 = 0.999`)
    the step is momentum SGD with bias correction; after it, Adam's step times
    :math:`r_t`, which rises towards 1. ε sits outside the square root and
    before the bias correction, so it acts as Adam's ε divided by
    :math:`\sqrt{1-\beta_2^t}`. Liu et al.'s Algorithm 2 switches at
    :math:`\rho_t > 4`; torch (and this code) at :math:`\rho_t > 5`.
    ``weight_decay`` :math:`\lambda > 0` adds :math:`\lambda\theta_t` to the
    gradient, or with ``decoupled_weight_decay=True`` first shrinks
    :math:`\theta_t \leftarrow (1-\eta\lambda)\,\theta_t`. With a schedule for
    ``lr``, step t uses :math:`\eta_t` = ``lr(t - 1)``.

    Parameters
    ----------
    lr : float or callable
        Learning rate :math:`\eta > 0`, or a schedule (a function of the step
        count).
    beta1 : float
        Decay rate :math:`\beta_1 \in [0, 1)` of the average of :math:`g`.
    beta2 : float
        Decay rate :math:`\beta_2 \in [0, 1)` of the average of :math:`g^2`.
    eps : float
        :math:`\varepsilon \ge 0`.
    weight_decay : float
        Coefficient :math:`\lambda \ge 0` (L2, or decoupled).
    decoupled_weight_decay : bool
        Shrink the parameters (AdamW style) instead of adding an L2 gradient.

    Returns
    -------
    Optimizer
        ``init(params)`` gives ``RAdamState(t=0, m=0, v=0)``.

    Notes
    -----
    Same iterates as ``torch.optim.RAdam(params, lr=lr, betas=(beta1, beta2),
    eps=eps, weight_decay=weight_decay,
    decoupled_weight_decay=decoupled_weight_decay)``. The authors' code has a
    flag ``degenerated_to_sgd``; with it off (its default) the first steps do
    not move the parameters at all.

    Examples
    --------
    The first steps are momentum SGD (the step scales with the gradient); from
    step 6 the adaptive step, ``lr * r_t`` with a small :math:`r_t`, takes over:

    >>> import numpy as np
    >>> opt = radam(lr=0.1, eps=0.0)
    >>> params, state = np.array([0.0]), opt.init(np.zeros(1))
    >>> for t in range(1, 9):
    ...     new, state = opt.step(params, np.array([3.0]), state)
    ...     print(t, (params - new).round(4))
    ...     params = new
    1 [0.3]
    2 [0.3]
    3 [0.3]
    4 [0.3]
    5 [0.3]
    6 [0.0026]
    7 [0.0033]
    8 [0.0039]

    References
    ----------
    Liu, L., Jiang, H., He, P., Chen, W., Liu, X., Gao, J., & Han, J. (2020). On
    the variance of the adaptive learning rate and beyond. *ICLR*.
    arXiv:1908.03265.
    """
    lr_at = as_schedule(lr)
    check_unit_interval("beta1", beta1)
    check_unit_interval("beta2", beta2)
    check_nonneg("eps", eps)
    check_nonneg("weight_decay", weight_decay)

    def init(params):
        return RAdamState(t=0, m=zeros_like(params), v=zeros_like(params))

    def step(params, grads, state):
        lr = lr_at(state.t)
        t = state.t + 1
        if weight_decay and decoupled_weight_decay:  # shrink, as AdamW
            params = params * (1 - lr * weight_decay)
        elif weight_decay:  # L2 penalty added to the gradient
            grads = grads + weight_decay * params
        m = beta1 * state.m + (1 - beta1) * grads
        v = beta2 * state.v + (1 - beta2) * grads**2
        m_hat = m / (1 - beta1**t)
        _, r_t = rectification(t, beta2)
        if r_t:  # rho_t > 5: the adaptive step, rectified
            params = params - lr * r_t * m_hat * math.sqrt(1 - beta2**t) / (
                np.sqrt(v) + eps)
        else:  # v_t is still too noisy: momentum SGD with bias correction
            params = params - lr * m_hat
        return params, RAdamState(t=t, m=m, v=v)

    hyper = {
        "lr": lr,
        "beta1": beta1,
        "beta2": beta2,
        "eps": eps,
        "weight_decay": weight_decay,
        "decoupled_weight_decay": decoupled_weight_decay,
    }
    return Optimizer("radam", init, per_array(step), hyper)
