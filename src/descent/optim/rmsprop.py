"""RMSprop: per-parameter learning rates from a moving average of squared gradients."""

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


class RMSpropState(NamedTuple):
    """``v``: average of g² (torch ``square_avg``); ``g_bar``: average of g, only
    if centered (torch ``grad_avg``); ``m``: momentum buffer, only if momentum > 0
    (torch ``momentum_buffer``). Unused fields are None."""

    t: int
    v: np.ndarray | list[np.ndarray]
    g_bar: np.ndarray | list[np.ndarray] | None
    m: np.ndarray | list[np.ndarray] | None


def rmsprop(
    lr: LearningRate,
    gamma: float = 0.9,
    eps: float = 1e-8,
    eps_inside_sqrt: bool = False,
    momentum: float = 0.0,
    centered: bool = False,
    weight_decay: float = 0.0,
) -> Optimizer:
    r"""RMSprop: divide each step by a running root mean square of recent gradients.

    Presented in Hinton's lecture 6e as a mini-batch version of Rprop: the
    gradient is divided by the root of an exponential moving average of its
    square, so neighbouring mini-batches are divided by similar numbers.
    Compared with Adagrad, the ever-growing sum becomes a moving average, so
    the effective learning rate :math:`\eta / \sqrt{v_t}` can grow again when
    gradients get small. From :math:`v_0 = 0`:

    .. math::

        v_t &\leftarrow \gamma\, v_{t-1} + (1-\gamma)\, g_t^2 \\
        \theta_{t+1} &\leftarrow \theta_t - \eta\, \frac{g_t}{\sqrt{v_t} + \varepsilon}

    ε sits outside the square root by default (as in torch);
    ``eps_inside_sqrt=True`` uses :math:`\sqrt{v_t + \varepsilon}` instead,
    TensorFlow's convention and the formula of the book's seed text (then ε
    should be about the square of the usual value to have a like effect).

    ``centered=True`` divides by an estimate of the standard deviation instead,
    :math:`\bar g_t \leftarrow \gamma \bar g_{t-1} + (1-\gamma) g_t` and
    :math:`\sqrt{v_t - \bar g_t^2} + \varepsilon` (Graves 2013).
    ``momentum`` :math:`\mu > 0` accumulates the scaled steps in a heavy-ball
    buffer: :math:`m_t \leftarrow \mu m_{t-1} + g_t / (\sqrt{v_t} + \varepsilon)`,
    :math:`\theta_{t+1} \leftarrow \theta_t - \eta\, m_t`. With ``weight_decay``
    :math:`\lambda_{\mathrm{wd}} > 0`:
    :math:`g_t \leftarrow g_t + \lambda_{\mathrm{wd}}\theta_t` first.
    With a schedule for ``lr``, step t uses :math:`\eta_t` = ``lr(t - 1)``.

    Parameters
    ----------
    lr : float or callable
        Learning rate :math:`\eta > 0`, or a schedule (a function of the step
        count).
    gamma : float
        Decay rate :math:`\gamma \in [0, 1)` of the average of :math:`g^2`.
    eps : float
        :math:`\varepsilon \ge 0`.
    eps_inside_sqrt : bool
        Put ε under the square root (TensorFlow's convention, the seed's formula).
    momentum : float
        Momentum coefficient :math:`\mu \in [0, 1)`.
    centered : bool
        Subtract the squared mean gradient from :math:`v_t`.
    weight_decay : float
        L2 coefficient :math:`\lambda_{\mathrm{wd}} \ge 0`.

    Returns
    -------
    Optimizer
        ``init(params)`` gives ``RMSpropState(t=0, v=0, g_bar=0 or None,
        m=0 or None)``.

    Notes
    -----
    With ``eps_inside_sqrt=False`` the iterates equal those of
    ``torch.optim.RMSprop(params, lr=lr, alpha=gamma, eps=eps,
    momentum=momentum, centered=centered, weight_decay=weight_decay)``
    (torch's ``alpha`` is the book's γ). There is no bias correction; Adam
    with ``beta1=0`` is RMSprop with one.

    Examples
    --------
    >>> import numpy as np
    >>> opt = rmsprop(lr=0.01, gamma=0.75)
    >>> params = np.array([1.0])
    >>> state = opt.init(params)
    >>> params, state = opt.step(params, np.array([2.0]), state)
    >>> print(state.v, params.round(6))
    [1.] [0.98]

    References
    ----------
    Hinton, G. (2012). *Neural Networks for Machine Learning* (Coursera),
    lecture 6e: rmsprop — divide the gradient by a running average of its
    recent magnitude. Slides by T. Tieleman and G. Hinton.

    Graves, A. (2013). Generating sequences with recurrent neural networks.
    arXiv:1308.0850.
    """
    lr_at = as_schedule(lr)
    check_unit_interval("gamma", gamma)
    check_nonneg("eps", eps)
    check_unit_interval("momentum", momentum)
    check_nonneg("weight_decay", weight_decay)

    def init(params):
        return RMSpropState(
            t=0,
            v=zeros_like(params),
            g_bar=zeros_like(params) if centered else None,
            m=zeros_like(params) if momentum else None,
        )

    def step(params, grads, state):
        lr = lr_at(state.t)
        if weight_decay:
            grads = grads + weight_decay * params
        v = gamma * state.v + (1 - gamma) * grads**2
        g_bar, mean_sq = None, v
        if centered:  # subtract the squared mean: a variance estimate
            g_bar = gamma * state.g_bar + (1 - gamma) * grads
            mean_sq = v - g_bar**2
        if eps_inside_sqrt:  # TensorFlow's convention (and the seed's)
            denom = np.sqrt(mean_sq + eps)
        else:
            denom = np.sqrt(mean_sq) + eps
        m = None
        if momentum:
            m = momentum * state.m + grads / denom
            params = params - lr * m
        else:
            params = params - lr * grads / denom
        return params, RMSpropState(t=state.t + 1, v=v, g_bar=g_bar, m=m)

    hyper = {
        "lr": lr,
        "gamma": gamma,
        "eps": eps,
        "eps_inside_sqrt": eps_inside_sqrt,
        "momentum": momentum,
        "centered": centered,
        "weight_decay": weight_decay,
    }
    return Optimizer("rmsprop", init, per_array(step), hyper)
