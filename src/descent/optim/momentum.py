"""Momentum: gradient descent along a running sum of past gradients."""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from ._base import (
    LearningRate,
    Optimizer,
    as_schedule,
    check_choice,
    check_nonneg,
    check_unit_interval,
    per_array,
    zeros_like,
)


class MomentumState(NamedTuple):
    """``m`` is the momentum buffer (torch: ``momentum_buffer``); ``t`` counts steps."""

    t: int
    m: np.ndarray | list[np.ndarray]


def momentum(
    lr: LearningRate,
    beta: float = 0.9,
    form: str = "ema",
    nesterov: bool = False,
    weight_decay: float = 0.0,
    dampening: float = 0.0,
    lr_inside: bool = False,
) -> Optimizer:
    r"""Momentum: step along a decaying memory of past gradients, not the last one.

    ``form="ema"`` (the default, the book's formula) keeps an exponential moving
    average of the gradients; ``form="heavy_ball"`` keeps a decaying sum (Polyak's
    heavy ball, the form of ``torch.optim.SGD``). From :math:`m_0 = 0`:

    .. math::

        \text{ema:}\quad
        m_t \leftarrow \beta\, m_{t-1} + (1-\beta)\, g_t, \qquad
        \theta_{t+1} \leftarrow \theta_t - \eta\, m_t

        \text{heavy\_ball:}\quad
        m_t \leftarrow \beta\, m_{t-1} + g_t, \qquad
        \theta_{t+1} \leftarrow \theta_t - \eta\, m_t

    From zero buffers the two forms give the same trajectory when the heavy-ball
    learning rate is :math:`\eta(1-\beta)`: then :math:`m^{\text{ema}}_t =
    (1-\beta)\, m^{\text{hb}}_t` at every step.

    With ``nesterov=True`` the step uses the buffer updated once more with the
    same gradient (a look-ahead): :math:`\theta_{t+1} \leftarrow \theta_t -
    \eta\,(\beta m_t + (1-\beta) g_t)` for ema and :math:`\theta_{t+1} \leftarrow
    \theta_t - \eta\,(\beta m_t + g_t)` for heavy ball (torch's Nesterov),
    so the equivalence above holds with Nesterov too.

    With ``weight_decay`` :math:`\lambda_{\mathrm{wd}} > 0`: :math:`g_t \leftarrow g_t +
    \lambda_{\mathrm{wd}}\theta_t` first (L2 penalty).

    With ``dampening`` :math:`\tau > 0` (heavy ball only, as torch): the first
    buffer is :math:`m_1 = g_1` and then :math:`m_t \leftarrow \beta\, m_{t-1} +
    (1-\tau)\, g_t`. With :math:`\tau = \beta` this is the EMA started from
    :math:`m_0 = g_1` instead of 0: :math:`m_t = m^{\text{ema}}_t + \beta^t g_1`
    for the same gradients, so its first step is :math:`1/(1-\beta)` times the
    ema form's.

    With a schedule for ``lr``, step t uses :math:`\eta_t` = ``lr(t - 1)`` (the
    argument is ``state.t``, the steps already taken) and multiplies the whole
    buffer by it, as torch does. ``lr_inside=True`` puts the rate inside the buffer
    instead (Sutskever et al. 2013): :math:`m_t \leftarrow \beta\, m_{t-1} +
    \eta_t\, g_t`, :math:`\theta_{t+1} \leftarrow \theta_t - m_t` (heavy ball;
    the ema form scales :math:`(1-\beta)\, g_t` likewise), so the buffer holds
    steps, not gradients. For a constant η the two give the same iterates (up to
    rounding), with
    :math:`m^{\text{inside}}_t = \eta\, m_t`; when η changes, the inside form
    keeps moving with the old rates for about :math:`1/(1-\beta)` steps:

    .. math::

        \Delta\theta^{\text{inside}}_t - \Delta\theta_t
        = \sum_{k \le t} \beta^{t-k}\, (\eta_k - \eta_t)\, g_k
        \quad \text{(heavy ball, } \Delta\theta_t = \theta_t - \theta_{t+1}).

    Parameters
    ----------
    lr : float or callable
        Learning rate :math:`\eta > 0`, or a schedule (a function of the step
        count).
    beta : float
        Momentum coefficient :math:`\beta \in [0, 1)`; ``beta=0`` is plain SGD.
    form : {"ema", "heavy_ball"}
        Average (``"ema"``) or decaying sum (``"heavy_ball"``) of gradients.
    nesterov : bool
        Use Nesterov's look-ahead.
    weight_decay : float
        L2 coefficient :math:`\lambda_{\mathrm{wd}} \ge 0`.
    dampening : float
        torch's dampening :math:`\tau \in [0, 1)` of the heavy-ball form; must
        be 0 for ``form="ema"`` and with ``nesterov`` (as in torch).
    lr_inside : bool
        Keep the learning rate inside the buffer (Sutskever et al.), not
        outside (torch); the same iterates (up to rounding) unless the rate
        changes.

    Returns
    -------
    Optimizer
        ``init(params)`` gives ``MomentumState(t=0, m=0)``.

    Notes
    -----
    ``form="heavy_ball"`` is ``torch.optim.SGD(params, lr=lr, momentum=beta,
    nesterov=nesterov, weight_decay=weight_decay, dampening=dampening)``; torch's
    first buffer :math:`m_1 = g_1` equals :math:`\beta m_0 + g_1` with
    :math:`m_0 = 0` when ``dampening=0``. ``form="ema"`` is NOT torch's
    ``dampening=beta``: torch still starts with :math:`m_1 = g_1`, not
    :math:`(1-\beta) g_1`, so every step after differs (``form="heavy_ball",
    dampening=beta`` is torch's). There is no ε. Some texts write :math:`v` for
    the heavy-ball buffer; the book keeps :math:`v` for second moments.
    ``lr_inside=True`` has no torch flag; torch's documentation notes that its
    SGD differs from Sutskever et al.'s form in exactly this way.

    Examples
    --------
    >>> import numpy as np
    >>> opt = momentum(lr=0.1, beta=0.9)
    >>> params = np.array([1.0])
    >>> state = opt.init(params)
    >>> params, state = opt.step(params, np.array([1.0]), state)
    >>> print(params.round(12), state.m.round(12))
    [0.99] [0.1]

    References
    ----------
    Polyak, B. T. (1964). Some methods of speeding up the convergence of
    iteration methods. *USSR Computational Mathematics and Mathematical
    Physics*, 4(5), 1–17.

    Nesterov, Y. (1983). A method for solving the convex programming problem
    with convergence rate O(1/k²). *Soviet Mathematics Doklady*, 27, 372–376.

    Sutskever, I., Martens, J., Dahl, G., & Hinton, G. (2013). On the importance
    of initialization and momentum in deep learning. *ICML*.
    """
    lr_at = as_schedule(lr)
    check_unit_interval("beta", beta)
    check_choice("form", form, ("ema", "heavy_ball"))
    check_nonneg("weight_decay", weight_decay)
    check_unit_interval("dampening", dampening)
    if dampening and form == "ema":
        raise ValueError(
            f"dampening must be 0 for form='ema' (it is heavy_ball's), got {dampening}"
        )
    if dampening and nesterov:
        raise ValueError(f"dampening must be 0 with nesterov=True, got {dampening}")

    def init(params):
        return MomentumState(t=0, m=zeros_like(params))

    def accumulate(m, grads, first):
        if form == "ema":
            return beta * m + (1 - beta) * grads
        if first and dampening:  # torch's first buffer is g_1 itself, undamped
            return grads.copy()  # (without dampening, beta * 0 + g_1 is the same)
        return beta * m + (1 - dampening) * grads  # heavy ball

    def step(params, grads, state):
        lr = lr_at(state.t)
        if weight_decay:
            grads = grads + weight_decay * params
        if lr_inside:  # Sutskever et al.: the buffer sums steps, not gradients
            grads, lr = lr * grads, 1.0
        m = accumulate(state.m, grads, first=state.t == 0)
        if nesterov:  # look ahead: accumulate the same gradient once more
            params = params - lr * accumulate(m, grads, first=False)
        else:
            params = params - lr * m
        return params, MomentumState(t=state.t + 1, m=m)

    hyper = {
        "lr": lr,
        "beta": beta,
        "form": form,
        "nesterov": nesterov,
        "weight_decay": weight_decay,
        "dampening": dampening,
        "lr_inside": lr_inside,
    }
    return Optimizer("momentum", init, per_array(step), hyper)
