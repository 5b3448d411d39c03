"""NAdam: Adam with Nesterov's look-ahead in place of plain momentum."""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from ._base import (
    LearningRate,
    Optimizer,
    as_schedule,
    check_nonneg,
    check_unit_interval,
    is_list,
    per_array,
    zeros_like,
)


class NAdamState(NamedTuple):
    """``m``, ``v``: moving averages of g and g² (torch ``exp_avg``,
    ``exp_avg_sq``); ``mu_product``: :math:`\\prod_{k \\le t} \\mu_k`, a 0-d
    array per parameter array (torch ``mu_product``)."""

    t: int
    m: np.ndarray | list[np.ndarray]
    v: np.ndarray | list[np.ndarray]
    mu_product: np.ndarray | list[np.ndarray]


def nadam(
    lr: LearningRate = 2e-3,
    beta1: float = 0.9,
    beta2: float = 0.999,
    eps: float = 1e-8,
    weight_decay: float = 0.0,
    momentum_decay: float = 4e-3,
    decoupled_weight_decay: bool = False,
) -> Optimizer:
    r"""NAdam: Adam whose momentum looks one step ahead, as Nesterov's does.

    Nesterov momentum steps along the buffer updated once more with the current
    gradient, :math:`\beta m_t + (1-\beta) g_t`, instead of :math:`m_t`. Dozat
    puts this look-ahead into Adam; as in torch (and earlier Keras), the momentum
    coefficient :math:`\mu_t` warms up from :math:`\beta_1/2` towards
    :math:`\beta_1`, and the bias correction uses the product of the
    :math:`\mu_k`. From :math:`m_0 = v_0 = 0`:

    .. math::

        \mu_t &\leftarrow \beta_1 \big(1 - \tfrac12\, 0.96^{t\psi}\big) \\
        m_t &\leftarrow \beta_1 m_{t-1} + (1-\beta_1)\, g_t, \qquad
        v_t \leftarrow \beta_2 v_{t-1} + (1-\beta_2)\, g_t^2 \\
        \theta_{t+1} &\leftarrow \theta_t - \eta\,
            \Big(\frac{(1-\mu_t)\, g_t}{1 - \prod_{k \le t} \mu_k}
            + \frac{\mu_{t+1}\, m_t}{1 - \prod_{k \le t+1} \mu_k}\Big)
            \Big/ \Big(\sqrt{v_t / (1-\beta_2^t)} + \varepsilon\Big)

    where ψ is ``momentum_decay``. The averages use the constant
    :math:`\beta_1`; only the weights of the step use :math:`\mu_t`. ε sits
    outside the square root, after the bias correction (as Adam). When
    :math:`\mu_t = \beta_1` for all t (the limit :math:`\psi \to \infty`) the
    bracket is the bias-corrected look-ahead :math:`\beta_1 m_t /
    (1-\beta_1^{t+1}) + (1-\beta_1)\, g_t / (1-\beta_1^t)`; ``momentum_decay=0``
    gives :math:`\mu_t = \beta_1/2`, not :math:`\beta_1`. ``weight_decay``
    :math:`\lambda > 0` adds :math:`\lambda\theta_t` to the gradient, or with
    ``decoupled_weight_decay=True`` first shrinks
    :math:`\theta_t \leftarrow (1-\eta\lambda)\,\theta_t` (as AdamW). With a
    schedule for ``lr``, step t uses :math:`\eta_t` = ``lr(t - 1)``.

    Parameters
    ----------
    lr : float or callable
        Learning rate :math:`\eta > 0`, or a schedule (a function of the step
        count).
    beta1 : float
        :math:`\beta_1 \in [0, 1)`: decay rate of the average of :math:`g` and
        the limit of :math:`\mu_t`.
    beta2 : float
        Decay rate :math:`\beta_2 \in [0, 1)` of the average of :math:`g^2`.
    eps : float
        :math:`\varepsilon \ge 0`.
    weight_decay : float
        Coefficient :math:`\lambda \ge 0` (L2, or decoupled).
    momentum_decay : float
        ψ ≥ 0 in :math:`\mu_t`; torch's default 0.004 = 1/250.
    decoupled_weight_decay : bool
        Shrink the parameters (AdamW style) instead of adding an L2 gradient.

    Returns
    -------
    Optimizer
        ``init(params)`` gives ``NAdamState(t=0, m=0, v=0, mu_product=1)``.

    Notes
    -----
    Same iterates as ``torch.optim.NAdam(params, lr=lr, betas=(beta1, beta2),
    eps=eps, weight_decay=weight_decay, momentum_decay=momentum_decay,
    decoupled_weight_decay=decoupled_weight_decay)``. torch keeps
    ``mu_product`` in its default dtype: float64 parity needs
    ``torch.set_default_dtype(torch.float64)``.

    Examples
    --------
    The first step moves every coordinate against its gradient's sign by the
    same distance, :math:`\eta\,(1 + \mu_2 (1-\beta_1)/(1-\mu_1\mu_2))`, a
    little more than Adam's :math:`\eta`:

    >>> import numpy as np
    >>> opt = nadam(lr=0.1, eps=0.0)
    >>> params = np.array([1.0, 1.0])
    >>> params, state = opt.step(params, np.array([100.0, -0.01]), opt.init(params))
    >>> print(params.round(6))
    [0.894355 1.105645]

    References
    ----------
    Dozat, T. (2016). Incorporating Nesterov momentum into Adam. *ICLR
    Workshop*.

    Nesterov, Y. (1983). A method for solving the convex programming problem
    with convergence rate O(1/k²). *Soviet Mathematics Doklady*, 27, 372–376.
    """
    lr_at = as_schedule(lr)
    check_unit_interval("beta1", beta1)
    check_unit_interval("beta2", beta2)
    check_nonneg("eps", eps)
    check_nonneg("weight_decay", weight_decay)
    check_nonneg("momentum_decay", momentum_decay)

    def mu(t):  # the momentum coefficient of step t, warming up to beta1
        return beta1 * (1.0 - 0.5 * 0.96 ** (t * momentum_decay))

    def init(params):
        one = [np.ones(()) for _ in params] if is_list(params) else np.ones(())
        return NAdamState(t=0, m=zeros_like(params), v=zeros_like(params),
                          mu_product=one)

    def step(params, grads, state):
        lr = lr_at(state.t)
        t = state.t + 1
        if weight_decay and decoupled_weight_decay:  # shrink, as AdamW
            params = params * (1 - lr * weight_decay)
        elif weight_decay:  # L2 penalty added to the gradient
            grads = grads + weight_decay * params
        mu_product = state.mu_product * mu(t)
        m = beta1 * state.m + (1 - beta1) * grads
        v = beta2 * state.v + (1 - beta2) * grads**2
        denom = np.sqrt(v / (1 - beta2**t)) + eps
        look_ahead = (1 - mu(t)) / (1 - mu_product) * grads + (
            mu(t + 1) / (1 - mu_product * mu(t + 1)) * m)
        params = params - lr * look_ahead / denom
        return params, NAdamState(t=t, m=m, v=v, mu_product=mu_product)

    hyper = {
        "lr": lr,
        "beta1": beta1,
        "beta2": beta2,
        "eps": eps,
        "weight_decay": weight_decay,
        "momentum_decay": momentum_decay,
        "decoupled_weight_decay": decoupled_weight_decay,
    }
    return Optimizer("nadam", init, per_array(step), hyper)
