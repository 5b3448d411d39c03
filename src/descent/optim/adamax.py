"""Adamax: Adam with the running RMS replaced by a decaying running maximum."""

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


class AdamaxState(NamedTuple):
    """``m``: moving average of g (torch ``exp_avg``); ``u``: decaying maximum
    of |g| (torch ``exp_inf``)."""

    t: int
    m: np.ndarray | list[np.ndarray]
    u: np.ndarray | list[np.ndarray]


def adamax(
    lr: LearningRate = 2e-3,
    beta1: float = 0.9,
    beta2: float = 0.999,
    eps: float = 1e-8,
    weight_decay: float = 0.0,
) -> Optimizer:
    r"""Adamax: Adam's momentum divided by a decaying maximum of past |g|.

    Adam divides by an exponentially weighted L² norm of past gradients; Kingma
    & Ba's §7 lets the norm's order p grow to infinity. The weighted
    :math:`L^p` average :math:`\big((1-\beta_2^p) \sum_k \beta_2^{p(t-k)}
    |g_k|^p\big)^{1/p}` then tends to :math:`\max_k \beta_2^{t-k} |g_k|`, which
    is computed by a simple recursion and needs no bias correction. From
    :math:`m_0 = u_0 = 0`:

    .. math::

        m_t &\leftarrow \beta_1 m_{t-1} + (1-\beta_1)\, g_t \\
        u_t &\leftarrow \max\big(\beta_2\, u_{t-1},\ |g_t| + \varepsilon\big) \\
        \theta_{t+1} &\leftarrow \theta_t
            - \frac{\eta}{1-\beta_1^t}\, \frac{m_t}{u_t}

    ε sits inside the maximum, added to :math:`|g_t|` (as torch; the paper has
    no ε). With ε = 0, :math:`u_t = \max_{k \le t} \beta_2^{t-k} |g_k|`
    exactly. Then, for :math:`\beta_1 < \beta_2`, every :math:`|g_k| \le
    \beta_2^{k-t} u_t` gives :math:`|m_t| \le u_t (1-\beta_1) \sum_{j<t}
    (\beta_1/\beta_2)^j`, so no step is longer than
    :math:`\eta\,(1-\beta_1)\beta_2/(\beta_2-\beta_1)` (1.009η for the
    defaults, approached by gradients that shrink by the factor
    :math:`\beta_2` per step);
    the paper states the simpler
    :math:`|\Delta\theta_t| \le \eta`. With ``weight_decay`` :math:`\lambda > 0`:
    :math:`g_t \leftarrow g_t + \lambda\theta_t` first. With a schedule for
    ``lr``, step t uses :math:`\eta_t` = ``lr(t - 1)``.

    Parameters
    ----------
    lr : float or callable
        Learning rate :math:`\eta > 0`, or a schedule (a function of the step
        count).
    beta1 : float
        Decay rate :math:`\beta_1 \in [0, 1)` of the average of :math:`g`.
    beta2 : float
        Decay rate :math:`\beta_2 \in [0, 1)` of the running maximum.
    eps : float
        :math:`\varepsilon \ge 0`, added to :math:`|g_t|` inside the maximum.
    weight_decay : float
        L2 coefficient :math:`\lambda \ge 0`.

    Returns
    -------
    Optimizer
        ``init(params)`` gives ``AdamaxState(t=0, m=0, u=0)``.

    Notes
    -----
    Same iterates as ``torch.optim.Adamax(params, lr=lr, betas=(beta1, beta2),
    eps=eps, weight_decay=weight_decay)``.

    Examples
    --------
    After a gradient of 100, a gradient of 1 moves the coordinate by much less
    than ``lr``: the maximum remembers the 100.

    >>> import numpy as np
    >>> opt = adamax(lr=0.1, eps=0.0)
    >>> params, state = np.array([0.0]), opt.init(np.zeros(1))
    >>> for g in (100.0, 1.0):
    ...     new, state = opt.step(params, np.array([g]), state)
    ...     print((params - new).round(6), state.u)
    ...     params = new
    [0.1] [100.]
    [0.047943] [99.9]

    References
    ----------
    Kingma, D. P., & Ba, J. (2015). Adam: A method for stochastic optimization.
    *ICLR*, §7.1 (AdaMax). arXiv:1412.6980.
    """
    lr_at = as_schedule(lr)
    check_unit_interval("beta1", beta1)
    check_unit_interval("beta2", beta2)
    check_nonneg("eps", eps)
    check_nonneg("weight_decay", weight_decay)

    def init(params):
        return AdamaxState(t=0, m=zeros_like(params), u=zeros_like(params))

    def step(params, grads, state):
        lr = lr_at(state.t)
        t = state.t + 1
        if weight_decay:
            grads = grads + weight_decay * params
        m = beta1 * state.m + (1 - beta1) * grads
        u = np.maximum(beta2 * state.u, np.abs(grads) + eps)
        params = params - lr / (1 - beta1**t) * m / u
        return params, AdamaxState(t=t, m=m, u=u)

    hyper = {
        "lr": lr,
        "beta1": beta1,
        "beta2": beta2,
        "eps": eps,
        "weight_decay": weight_decay,
    }
    return Optimizer("adamax", init, per_array(step), hyper)
