"""Plain (stochastic) gradient descent."""

from __future__ import annotations

from typing import NamedTuple

from ._base import LearningRate, Optimizer, as_schedule, check_nonneg, per_array


class SGDState(NamedTuple):
    """SGD keeps no memory; ``t`` counts the steps taken."""

    t: int


def sgd(lr: LearningRate, weight_decay: float = 0.0) -> Optimizer:
    r"""Gradient descent: step against the gradient, scaled by the learning rate.

    .. math::

        \theta_{t+1} \leftarrow \theta_t - \eta\, g_t

    where :math:`g_t = \nabla L(\theta_t)` is the gradient at the current
    parameters; every optimizer of the book counts steps this way, from
    :math:`t = 1` (see the notation page).

    With ``weight_decay`` :math:`\lambda_{\mathrm{wd}} > 0` an L2 penalty
    :math:`\tfrac{\lambda_{\mathrm{wd}}}{2}\lVert\theta\rVert^2` is added to the
    loss, that is
    :math:`g_t \leftarrow g_t + \lambda_{\mathrm{wd}}\,\theta_t` before the step.

    With a schedule for ``lr`` (:mod:`descent.schedules`, or any function of the
    step count), step t uses :math:`\eta_t` = ``lr(t - 1)``: the schedule's
    argument is the number of steps already taken (``state.t``), as torch's
    ``last_epoch`` after that many ``scheduler.step()`` calls.

    Parameters
    ----------
    lr : float or callable
        Learning rate :math:`\eta > 0`, or a schedule (a function of the step
        count).
    weight_decay : float
        L2 coefficient :math:`\lambda_{\mathrm{wd}} \ge 0`.

    Returns
    -------
    Optimizer
        ``init(params)`` gives ``SGDState(t=0)``.

    Notes
    -----
    ``torch.optim.SGD(params, lr=lr, weight_decay=weight_decay)`` (momentum 0)
    gives the same iterates; a schedule here is torch's optimizer driven by the
    matching ``torch.optim.lr_scheduler``, stepped after each optimizer step.
    There is no ε.

    Examples
    --------
    >>> import numpy as np
    >>> opt = sgd(lr=0.1)
    >>> params = np.array([1.0, -2.0])
    >>> state = opt.init(params)
    >>> params, state = opt.step(params, np.array([0.5, -1.0]), state)
    >>> print(params, state.t)
    [ 0.95 -1.9 ] 1

    References
    ----------
    Robbins, H., & Monro, S. (1951). A stochastic approximation method.
    *The Annals of Mathematical Statistics*, 22(3), 400–407.
    """
    lr_at = as_schedule(lr)
    check_nonneg("weight_decay", weight_decay)

    def init(params):
        return SGDState(t=0)

    def step(params, grads, state):
        lr = lr_at(state.t)
        if weight_decay:
            grads = grads + weight_decay * params
        params = params - lr * grads
        return params, SGDState(t=state.t + 1)

    hyper = {"lr": lr, "weight_decay": weight_decay}
    return Optimizer("sgd", init, per_array(step), hyper)
