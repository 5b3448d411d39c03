"""Adam and AdamW: momentum divided by a running RMS, both bias-corrected."""

from __future__ import annotations

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


class AdamState(NamedTuple):
    """``m``, ``v``: moving averages of g and g² (torch ``exp_avg``,
    ``exp_avg_sq``); ``v_max``: running maximum of ``v``, only with amsgrad
    (torch ``max_exp_avg_sq``), else None."""

    t: int
    m: np.ndarray | list[np.ndarray]
    v: np.ndarray | list[np.ndarray]
    v_max: np.ndarray | list[np.ndarray] | None


def adam(
    lr: LearningRate = 1e-3,
    beta1: float = 0.9,
    beta2: float = 0.999,
    eps: float = 1e-8,
    amsgrad: bool = False,
    weight_decay: float = 0.0,
) -> Optimizer:
    r"""Adam: momentum divided by a running RMS of the gradient, both bias-corrected.

    Momentum (:math:`m_t`) and RMSprop (:math:`v_t`) together, each divided by
    :math:`1 - \beta^t` to undo the pull towards the zero start. From
    :math:`m_0 = v_0 = 0`:

    .. math::

        m_t &\leftarrow \beta_1 m_{t-1} + (1-\beta_1)\, g_t \\
        v_t &\leftarrow \beta_2 v_{t-1} + (1-\beta_2)\, g_t^2 \\
        \hat m_t &\leftarrow \frac{m_t}{1-\beta_1^t}, \qquad
        \hat v_t \leftarrow \frac{v_t}{1-\beta_2^t} \\
        \theta_{t+1} &\leftarrow \theta_t
            - \eta\, \frac{\hat m_t}{\sqrt{\hat v_t} + \varepsilon}

    ε sits outside the square root, after the bias correction. Scaling all
    gradients by :math:`c > 0` scales :math:`\hat m_t` by :math:`c` and
    :math:`\sqrt{\hat v_t}` by :math:`c`, so the step changes only through ε:
    Adam is almost invariant to the scale of the loss.

    ``amsgrad=True`` divides by the largest :math:`v` so far instead:
    :math:`v^{\max}_t \leftarrow \max(v^{\max}_{t-1}, v_t)`,
    :math:`\hat v_t \leftarrow v^{\max}_t / (1-\beta_2^t)` (as torch). Reddi et
    al.'s algorithm has no bias correction; with it, the effective rate
    :math:`\eta/\sqrt{\hat v_t}` can still rise, up to :math:`1/\sqrt{1-\beta_2}`
    times its first value, even though :math:`v^{\max}_t` never falls.
    ``weight_decay`` :math:`\lambda_{\mathrm{wd}} > 0` adds an L2 penalty to the loss,
    :math:`g_t \leftarrow g_t + \lambda_{\mathrm{wd}}\theta_t`, which then also gets
    divided by :math:`\sqrt{\hat v_t}`; :func:`adamw` decouples it. With a
    schedule for ``lr``, step t uses :math:`\eta_t` = ``lr(t - 1)`` in place of
    :math:`\eta`.

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
    amsgrad : bool
        Use the running maximum of :math:`v_t`.
    weight_decay : float
        L2 coefficient :math:`\lambda_{\mathrm{wd}} \ge 0`.

    Returns
    -------
    Optimizer
        ``init(params)`` gives ``AdamState(t=0, m=0, v=0, v_max=0 or None)``.

    Notes
    -----
    Same iterates as ``torch.optim.Adam(params, lr=lr, betas=(beta1, beta2),
    eps=eps, weight_decay=weight_decay, amsgrad=amsgrad)``.

    Examples
    --------
    The first step moves every coordinate by about ``lr``, against its gradient's
    sign (:math:`\hat m_1 = g_1`, :math:`\sqrt{\hat v_1} = |g_1|`):

    >>> import numpy as np
    >>> opt = adam(lr=0.1)
    >>> params = np.array([1.0, 1.0])
    >>> state = opt.init(params)
    >>> params, state = opt.step(params, np.array([100.0, -0.01]), state)
    >>> print(params.round(6))
    [0.9 1.1]

    References
    ----------
    Kingma, D. P., & Ba, J. (2015). Adam: A method for stochastic optimization.
    *ICLR*. arXiv:1412.6980.

    Reddi, S. J., Kale, S., & Kumar, S. (2018). On the convergence of Adam and
    beyond. *ICLR*.
    """
    return _adam("adam", lr, beta1, beta2, eps, amsgrad, weight_decay, False)


def adamw(
    lr: LearningRate = 1e-3,
    beta1: float = 0.9,
    beta2: float = 0.999,
    eps: float = 1e-8,
    weight_decay: float = 1e-2,
    amsgrad: bool = False,
) -> Optimizer:
    r"""AdamW: Adam with weight decay applied to the parameters, not to the gradient.

    First shrink the parameters, then take the Adam step with the raw gradient:

    .. math::

        \theta_t &\leftarrow (1 - \eta\lambda_{\mathrm{wd}})\, \theta_t \\
        m_t &\leftarrow \beta_1 m_{t-1} + (1-\beta_1)\, g_t \\
        v_t &\leftarrow \beta_2 v_{t-1} + (1-\beta_2)\, g_t^2 \\
        \theta_{t+1} &\leftarrow \theta_t - \eta\,
            \frac{m_t / (1-\beta_1^t)}{\sqrt{v_t / (1-\beta_2^t)} + \varepsilon}

    Unlike Adam's L2 term, the decay :math:`\eta\lambda_{\mathrm{wd}}\theta` is the
    same for every coordinate: it is not divided by :math:`\sqrt{\hat v_t}`. ε sits
    outside the square root; ``amsgrad`` as in :func:`adam`.

    Parameters
    ----------
    lr : float or callable
        Learning rate :math:`\eta > 0`, or a schedule (a function of the step
        count).
    beta1, beta2 : float
        Decay rates :math:`\beta_1, \beta_2 \in [0, 1)`.
    eps : float
        :math:`\varepsilon \ge 0`.
    weight_decay : float
        Decoupled decay :math:`\lambda_{\mathrm{wd}} \ge 0` (per unit of learning
        rate).
    amsgrad : bool
        Use the running maximum of :math:`v_t`.

    Returns
    -------
    Optimizer
        ``init(params)`` gives ``AdamState(t=0, m=0, v=0, v_max=0 or None)``.

    Notes
    -----
    Same iterates as ``torch.optim.AdamW(params, lr=lr, betas=(beta1, beta2),
    eps=eps, weight_decay=weight_decay, amsgrad=amsgrad)``. The decay is
    :math:`\eta\lambda_{\mathrm{wd}}` per step, so it changes with the learning
    rate: with a schedule, step t shrinks by :math:`1 - \eta_t\lambda_{\mathrm{wd}}`,
    as torch's AdamW under a scheduler does. Loshchilov & Hutter multiply their
    decay coefficient by the schedule multiplier only, not by the base learning
    rate :math:`\alpha`: ``weight_decay`` here (and in torch) is their coefficient
    divided by :math:`\alpha`.

    Examples
    --------
    With a zero gradient only the decay acts: :math:`1 - 0.1 \cdot 0.5 = 0.95`.

    >>> import numpy as np
    >>> opt = adamw(lr=0.1, weight_decay=0.5)
    >>> params = np.array([2.0])
    >>> state = opt.init(params)
    >>> params, state = opt.step(params, np.array([0.0]), state)
    >>> print(params)
    [1.9]

    References
    ----------
    Loshchilov, I., & Hutter, F. (2019). Decoupled weight decay regularization.
    *ICLR*. arXiv:1711.05101.

    Kingma, D. P., & Ba, J. (2015). Adam: A method for stochastic optimization.
    *ICLR*. arXiv:1412.6980.
    """
    return _adam("adamw", lr, beta1, beta2, eps, amsgrad, weight_decay, True)


def _adam(name, lr, beta1, beta2, eps, amsgrad, weight_decay, decoupled):
    lr_at = as_schedule(lr)
    check_unit_interval("beta1", beta1)
    check_unit_interval("beta2", beta2)
    check_nonneg("eps", eps)
    check_nonneg("weight_decay", weight_decay)

    def init(params):
        v_max = zeros_like(params) if amsgrad else None
        return AdamState(t=0, m=zeros_like(params), v=zeros_like(params), v_max=v_max)

    def step(params, grads, state):
        lr = lr_at(state.t)
        t = state.t + 1
        if weight_decay and decoupled:  # AdamW: shrink the parameters
            params = params * (1 - lr * weight_decay)
        elif weight_decay:  # Adam: L2 penalty added to the gradient
            grads = grads + weight_decay * params
        m = beta1 * state.m + (1 - beta1) * grads
        v = beta2 * state.v + (1 - beta2) * grads**2
        v_max = np.maximum(state.v_max, v) if amsgrad else None
        m_hat = m / (1 - beta1**t)
        v_hat = (v_max if amsgrad else v) / (1 - beta2**t)
        params = params - lr * m_hat / (np.sqrt(v_hat) + eps)
        return params, AdamState(t=t, m=m, v=v, v_max=v_max)

    hyper = {
        "lr": lr,
        "beta1": beta1,
        "beta2": beta2,
        "eps": eps,
        "amsgrad": amsgrad,
        "weight_decay": weight_decay,
    }
    return Optimizer(name, init, per_array(step), hyper)
