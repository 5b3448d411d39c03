"""Lion: the sign of an interpolated momentum, with decoupled weight decay."""

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


class LionState(NamedTuple):
    """``m``: the moving average of g that Lion keeps (lion-pytorch ``exp_avg``)."""

    t: int
    m: np.ndarray | list[np.ndarray]


def lion(
    lr: LearningRate = 1e-4,
    beta1: float = 0.9,
    beta2: float = 0.99,
    weight_decay: float = 0.0,
) -> Optimizer:
    r"""Lion: step by the sign of a blend of momentum and gradient, every coordinate ±η.

    Found by a program search (Chen et al. 2023): the direction mixes the
    momentum with the new gradient by :math:`\beta_1`, the momentum itself is
    then updated with the slower :math:`\beta_2`, and only the sign of the mix
    is used. From :math:`m_0 = 0`, with :math:`g_t = \nabla L(\theta_t)`:

    .. math::

        \theta_t &\leftarrow (1 - \eta\lambda_{\mathrm{wd}})\, \theta_t \\
        u_t &\leftarrow \operatorname{sign}\bigl(\beta_1 m_{t-1}
            + (1-\beta_1)\, g_t\bigr) \\
        m_t &\leftarrow \beta_2 m_{t-1} + (1-\beta_2)\, g_t \\
        \theta_{t+1} &\leftarrow \theta_t - \eta\, u_t

    Every coordinate moves by exactly :math:`\eta` (or 0 where the mix is 0),
    whatever the size of the gradient: Lion is invariant to the scale of the
    loss, like Adam without ε. There is no ε and no second moment; the state
    is one array shaped like the parameters (Adam keeps two). Because
    :math:`\lVert u_t\rVert` is as large as it can be, the paper uses a rate
    3–10 times smaller than AdamW's and a :math:`\lambda_{\mathrm{wd}}` 3–10
    times larger, so that :math:`\eta\lambda_{\mathrm{wd}}` stays the same.
    With a schedule for ``lr``, step t uses :math:`\eta_t` = ``lr(t - 1)`` for
    both the step and the decay.

    Parameters
    ----------
    lr : float or callable
        Learning rate :math:`\eta > 0`, or a schedule (a function of the step
        count).
    beta1 : float
        :math:`\beta_1 \in [0, 1)`: weight of the momentum in the direction.
    beta2 : float
        :math:`\beta_2 \in [0, 1)`: decay rate of the momentum.
    weight_decay : float
        Decoupled decay :math:`\lambda_{\mathrm{wd}} \ge 0` (per unit of
        learning rate, as in AdamW).

    Returns
    -------
    Optimizer
        ``init(params)`` gives ``LionState(t=0, m=0)``.

    Notes
    -----
    ``torch.optim`` has no Lion (torch 2.13). The same iterates as the
    reference package ``lion_pytorch.Lion(params, lr=lr, betas=(beta1, beta2),
    weight_decay=weight_decay)`` (lion-pytorch 0.2.5, whose
    ``decoupled_weight_decay=True`` divides the decay by the initial rate
    instead) and as Algorithm 2 of the paper, whose decay
    :math:`\eta_t\lambda\theta_t` is this one. The paper's defaults are
    :math:`\beta_1 = 0.9`, :math:`\beta_2 = 0.99`.

    Examples
    --------
    Each coordinate moves by ``lr`` against the sign of its gradient:

    >>> import numpy as np
    >>> opt = lion(lr=0.1)
    >>> params = np.array([1.0, 1.0, 1.0])
    >>> state = opt.init(params)
    >>> params, state = opt.step(params, np.array([100.0, -1e-6, 0.0]), state)
    >>> print(params)
    [0.9 1.1 1. ]

    References
    ----------
    Chen, X., Liang, C., Huang, D., Real, E., Wang, K., Pham, H., Dong, X.,
    Luong, T., Hsieh, C.-J., Lu, Y., & Le, Q. V. (2023). Symbolic discovery of
    optimization algorithms. *NeurIPS*. arXiv:2302.06675.
    """
    lr_at = as_schedule(lr)
    check_unit_interval("beta1", beta1)
    check_unit_interval("beta2", beta2)
    check_nonneg("weight_decay", weight_decay)

    def init(params):
        return LionState(t=0, m=zeros_like(params))

    def step(params, grads, state):
        lr = lr_at(state.t)
        if weight_decay:  # decoupled, as AdamW
            params = params * (1 - lr * weight_decay)
        update = np.sign(beta1 * state.m + (1 - beta1) * grads)
        m = beta2 * state.m + (1 - beta2) * grads
        params = params - lr * update
        return params, LionState(t=state.t + 1, m=m)

    hyper = {"lr": lr, "beta1": beta1, "beta2": beta2, "weight_decay": weight_decay}
    return Optimizer("lion", init, per_array(step), hyper)
