"""Adadelta: RMSprop whose step is scaled by a running RMS of past steps."""

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


class AdadeltaState(NamedTuple):
    """``v``: moving average of g² (torch ``square_avg``); ``s``: moving average
    of the squared updates Δ² (torch ``acc_delta``)."""

    t: int
    v: np.ndarray | list[np.ndarray]
    s: np.ndarray | list[np.ndarray]


def adadelta(
    lr: LearningRate = 1.0,
    rho: float = 0.9,
    eps: float = 1e-6,
    weight_decay: float = 0.0,
) -> Optimizer:
    r"""Adadelta: divide by the gradient's RMS, multiply by the RMS of past updates.

    Like RMSprop it divides each coordinate by a running RMS of its gradient;
    the learning rate is replaced by a running RMS of the coordinate's own past
    updates, so that the update has the units of θ (Zeiler's "units"
    argument). From :math:`v_0 = s_0 = 0`:

    .. math::

        v_t &\leftarrow \rho\, v_{t-1} + (1-\rho)\, g_t^2 \\
        \Delta_t &\leftarrow \frac{\sqrt{s_{t-1} + \varepsilon}}
            {\sqrt{v_t + \varepsilon}}\, g_t \\
        s_t &\leftarrow \rho\, s_{t-1} + (1-\rho)\, \Delta_t^2 \\
        \theta_{t+1} &\leftarrow \theta_t - \eta\, \Delta_t

    ε sits inside both square roots. It does more than prevent a division by
    zero: from :math:`s_0 = 0` the numerator is :math:`\sqrt\varepsilon`, so the
    first step is about :math:`\eta\sqrt{\varepsilon/(1-\rho)}` per coordinate
    whatever the gradient, and the steps then grow from there. Zeiler's
    method has no learning rate (:math:`\eta = 1`, the default); torch's ``lr``
    multiplies the update but :math:`s_t` still averages the unscaled
    :math:`\Delta_t`. With ``weight_decay`` :math:`\lambda > 0`:
    :math:`g_t \leftarrow g_t + \lambda\theta_t` first. With a schedule for
    ``lr``, step t uses :math:`\eta_t` = ``lr(t - 1)``.

    Parameters
    ----------
    lr : float or callable
        Factor :math:`\eta > 0` of the update, or a schedule (a function of the
        step count).
    rho : float
        Decay rate :math:`\rho \in [0, 1)` of both averages.
    eps : float
        :math:`\varepsilon \ge 0`, inside both square roots.
    weight_decay : float
        L2 coefficient :math:`\lambda \ge 0`.

    Returns
    -------
    Optimizer
        ``init(params)`` gives ``AdadeltaState(t=0, v=0, s=0)``.

    Notes
    -----
    Same iterates as ``torch.optim.Adadelta(params, lr=lr, rho=rho, eps=eps,
    weight_decay=weight_decay)``. Zeiler's experiments used ρ = 0.95; torch's
    default is 0.9.

    Examples
    --------
    The first step is about :math:`\sqrt{\varepsilon/(1-\rho)}`, for a large or
    a small gradient alike:

    >>> import numpy as np
    >>> opt = adadelta(rho=0.9, eps=1e-6)
    >>> params = np.array([1.0, 1.0])
    >>> params, state = opt.step(params, np.array([100.0, 0.1]), opt.init(params))
    >>> print((1 - params).round(5), np.sqrt(1e-6 / 0.1).round(5))
    [0.00316 0.00316] 0.00316

    References
    ----------
    Zeiler, M. D. (2012). ADADELTA: An adaptive learning rate method.
    arXiv:1212.5701.
    """
    lr_at = as_schedule(lr)
    check_unit_interval("rho", rho)
    check_nonneg("eps", eps)
    check_nonneg("weight_decay", weight_decay)

    def init(params):
        return AdadeltaState(t=0, v=zeros_like(params), s=zeros_like(params))

    def step(params, grads, state):
        lr = lr_at(state.t)
        if weight_decay:
            grads = grads + weight_decay * params
        v = rho * state.v + (1 - rho) * grads**2
        delta = np.sqrt(state.s + eps) / np.sqrt(v + eps) * grads
        s = rho * state.s + (1 - rho) * delta**2
        params = params - lr * delta
        return params, AdadeltaState(t=state.t + 1, v=v, s=s)

    hyper = {"lr": lr, "rho": rho, "eps": eps, "weight_decay": weight_decay}
    return Optimizer("adadelta", init, per_array(step), hyper)
