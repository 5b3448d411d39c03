r"""Schedules that only decay (or hold) the rate: torch's chainable schedulers.

Each factory returns a :class:`~descent.schedules.Schedule`; ``schedule(s)`` is
the rate :math:`\eta(s)` after s steps (the rate of step s + 1). The formulas are
the closed forms of torch's schedulers; torch computes most of them recursively
(multiplying the current rate by a ratio each step), which agrees with the
closed form to rounding.
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Callable, Sequence

from ._base import (
    Schedule,
    check_eta_min,
    check_int,
    check_milestones,
    check_positive,
    check_range,
    check_schedule,
)


def constant_lr(lr: float, factor: float = 1.0 / 3, total_iters: int = 5) -> Schedule:
    r"""A lower rate for the first ``total_iters`` steps, then the base rate.

    .. math::

        \eta(s) = \begin{cases} \eta\,f & s < T \\ \eta & s \ge T \end{cases}

    with :math:`f` = ``factor`` and :math:`T` = ``total_iters``: the crudest
    warm-up.

    Parameters
    ----------
    lr : float
        The base rate :math:`\eta > 0`.
    factor : float
        :math:`f \in [0, 1]`.
    total_iters : int
        :math:`T \ge 1`.

    Notes
    -----
    ``torch.optim.lr_scheduler.ConstantLR(opt, factor, total_iters)`` with the
    optimizer's ``lr`` as :math:`\eta`.

    Examples
    --------
    >>> s = constant_lr(0.3, factor=0.5, total_iters=2)
    >>> [s(t) for t in range(4)]
    [0.15, 0.15, 0.3, 0.3]
    """
    lr = check_positive("lr", lr)
    factor = check_range("factor", factor, 0.0, 1.0)
    total_iters = check_int("total_iters", total_iters, 1)

    def lr_at(t):
        return lr * factor if t < total_iters else lr

    hyper = {"lr": lr, "factor": factor, "total_iters": total_iters}
    return Schedule("constant_lr", lr_at, hyper)


def linear_lr(
    lr: float,
    start_factor: float = 1.0 / 3,
    end_factor: float = 1.0,
    total_iters: int = 5,
) -> Schedule:
    r"""A rate that moves linearly from ``start_factor``·η to ``end_factor``·η.

    .. math::

        \eta(s) = \eta\,\Bigl(a + (b - a)\,\frac{\min(s, T)}{T}\Bigr)

    with :math:`a` = ``start_factor``, :math:`b` = ``end_factor`` and
    :math:`T` = ``total_iters``. :math:`a < b = 1` is a linear warm-up
    (:math:`a = 1/W`, :math:`T = W - 1` gives :math:`\eta(s) = \eta\,(s+1)/W`
    for the first W steps); :math:`a = 1 > b` a linear decay.

    Parameters
    ----------
    lr : float
        The base rate :math:`\eta > 0`.
    start_factor : float
        :math:`a \in (0, 1]`.
    end_factor : float
        :math:`b \in [0, 1]`.
    total_iters : int
        :math:`T \ge 1`.

    Notes
    -----
    ``torch.optim.lr_scheduler.LinearLR(opt, start_factor, end_factor,
    total_iters)``, with torch's ranges for the factors.

    Examples
    --------
    >>> s = linear_lr(1.0, start_factor=0.25, end_factor=1.0, total_iters=3)
    >>> [s(t) for t in range(5)]
    [0.25, 0.5, 0.75, 1.0, 1.0]
    """
    lr = check_positive("lr", lr)
    start_factor = check_range("start_factor", start_factor, 0.0, 1.0, low_open=True)
    end_factor = check_range("end_factor", end_factor, 0.0, 1.0)
    total_iters = check_int("total_iters", total_iters, 1)
    delta = end_factor - start_factor

    def lr_at(t):
        return lr * (start_factor + delta * min(total_iters, t) / total_iters)

    hyper = {"lr": lr, "start_factor": start_factor, "end_factor": end_factor,
             "total_iters": total_iters}
    return Schedule("linear_lr", lr_at, hyper)


def step_lr(lr: float, step_size: int, gamma: float = 0.1) -> Schedule:
    r"""Step decay: multiply the rate by γ every ``step_size`` steps.

    .. math::

        \eta(s) = \eta\, \gamma^{\lfloor s / P \rfloor}

    with :math:`P` = ``step_size``.

    Parameters
    ----------
    lr : float
        The base rate :math:`\eta > 0`.
    step_size : int
        The period :math:`P \ge 1`.
    gamma : float
        The factor :math:`\gamma > 0` (below 1 to decay).

    Notes
    -----
    ``torch.optim.lr_scheduler.StepLR(opt, step_size, gamma)``.

    Examples
    --------
    >>> s = step_lr(1.0, step_size=2, gamma=0.5)
    >>> [s(t) for t in range(5)]
    [1.0, 1.0, 0.5, 0.5, 0.25]
    """
    lr = check_positive("lr", lr)
    step_size = check_int("step_size", step_size, 1)
    gamma = check_positive("gamma", gamma)

    def lr_at(t):
        return lr * gamma ** (t // step_size)

    return Schedule("step_lr", lr_at,
                    {"lr": lr, "step_size": step_size, "gamma": gamma})


def multi_step_lr(lr: float, milestones: Sequence[int], gamma: float = 0.1) -> Schedule:
    r"""Multiply the rate by γ at each milestone.

    .. math::

        \eta(s) = \eta\, \gamma^{\#\{i \,:\, m_i \le s\}}

    with milestones :math:`m_1 < m_2 < \dots`: the classic schedule of image
    classification (e.g. ÷10 at 50 % and 75 % of training).

    Parameters
    ----------
    lr : float
        The base rate :math:`\eta > 0`.
    milestones : sequence of int
        Strictly increasing step counts :math:`m_i \ge 0`.
    gamma : float
        The factor :math:`\gamma > 0`.

    Notes
    -----
    ``torch.optim.lr_scheduler.MultiStepLR(opt, milestones, gamma)`` (torch also
    accepts repeated milestones, each multiplying once more; here they must
    increase).

    Examples
    --------
    >>> s = multi_step_lr(1.0, milestones=[1, 3], gamma=0.5)
    >>> [s(t) for t in range(5)]
    [1.0, 0.5, 0.5, 0.25, 0.25]
    """
    lr = check_positive("lr", lr)
    milestones = check_milestones("milestones", milestones, 0)
    gamma = check_positive("gamma", gamma)

    def lr_at(t):
        return lr * gamma ** bisect.bisect_right(milestones, t)

    return Schedule("multi_step_lr", lr_at,
                    {"lr": lr, "milestones": milestones, "gamma": gamma})


def exponential_lr(lr: float, gamma: float) -> Schedule:
    r"""Exponential decay: multiply the rate by γ after every step.

    .. math::

        \eta(s) = \eta\, \gamma^{s}

    Parameters
    ----------
    lr : float
        The base rate :math:`\eta > 0`.
    gamma : float
        The factor :math:`\gamma > 0` per step (below 1 to decay; above 1 it
        grows, as in the learning-rate range test).

    Notes
    -----
    ``torch.optim.lr_scheduler.ExponentialLR(opt, gamma)``.

    Examples
    --------
    >>> s = exponential_lr(1.0, gamma=0.5)
    >>> [s(t) for t in range(4)]
    [1.0, 0.5, 0.25, 0.125]
    """
    lr = check_positive("lr", lr)
    gamma = check_positive("gamma", gamma)

    def lr_at(t):
        return lr * gamma**t

    return Schedule("exponential_lr", lr_at, {"lr": lr, "gamma": gamma})


def polynomial_lr(lr: float, total_iters: int = 5, power: float = 1.0) -> Schedule:
    r"""Polynomial decay to zero in ``total_iters`` steps.

    .. math::

        \eta(s) = \eta\,\Bigl(1 - \frac{\min(s, T)}{T}\Bigr)^{p}

    with :math:`T` = ``total_iters`` and :math:`p` = ``power``; :math:`p = 1` is
    a linear decay to 0 (the rate of step T + 1 and later is 0).

    Parameters
    ----------
    lr : float
        The base rate :math:`\eta > 0`.
    total_iters : int
        :math:`T \ge 1`.
    power : float
        :math:`p \ge 0`.

    Notes
    -----
    ``torch.optim.lr_scheduler.PolynomialLR(opt, total_iters, power)``.

    Examples
    --------
    >>> s = polynomial_lr(1.0, total_iters=4, power=2.0)
    >>> [s(t) for t in range(6)]
    [1.0, 0.5625, 0.25, 0.0625, 0.0, 0.0]
    """
    lr = check_positive("lr", lr)
    total_iters = check_int("total_iters", total_iters, 1)
    power = check_eta_min(power, "power")

    def lr_at(t):
        return lr * (1.0 - min(total_iters, t) / total_iters) ** power

    return Schedule("polynomial_lr", lr_at,
                    {"lr": lr, "total_iters": total_iters, "power": power})


def cosine_annealing_lr(lr: float, T_max: int, eta_min: float = 0.0) -> Schedule:
    r"""Cosine annealing: half a cosine from η down to η_min in ``T_max`` steps.

    .. math::

        \eta(s) = \eta_{\min} + \tfrac12\,(\eta - \eta_{\min})
        \Bigl(1 + \cos\frac{\pi s}{T_{\max}}\Bigr)

    (Loshchilov & Hutter's SGDR without the restarts). The rate leaves η slowly,
    falls fastest half way, and lands softly on :math:`\eta_{\min}` at
    :math:`s = T_{\max}`. Beyond :math:`T_{\max}` the cosine rises again, as
    torch's does: give the number of steps of the run as ``T_max``.

    Parameters
    ----------
    lr : float
        The base (largest) rate :math:`\eta > 0`.
    T_max : int
        Half period :math:`T_{\max} \ge 1`, in steps.
    eta_min : float
        The lowest rate :math:`\eta_{\min} \ge 0`.

    Notes
    -----
    ``torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max, eta_min)``. torch
    updates the rate recursively, which agrees with this closed form to rounding
    (the difference grows slowly with the number of steps: below 1e-12 over 2000
    steps for η ≤ 1).

    Examples
    --------
    >>> s = cosine_annealing_lr(1.0, T_max=4)
    >>> [round(s(t), 6) for t in range(5)]
    [1.0, 0.853553, 0.5, 0.146447, 0.0]

    References
    ----------
    Loshchilov, I., & Hutter, F. (2017). SGDR: Stochastic gradient descent with
    warm restarts. *ICLR*. arXiv:1608.03983.
    """
    lr = check_positive("lr", lr)
    T_max = check_int("T_max", T_max, 1)
    eta_min = check_eta_min(eta_min)

    def lr_at(t):
        return eta_min + (lr - eta_min) * (1 + math.cos(math.pi * t / T_max)) / 2

    return Schedule("cosine_annealing_lr", lr_at,
                    {"lr": lr, "T_max": T_max, "eta_min": eta_min})


def lambda_lr(lr: float, lr_lambda: Callable[[int], float]) -> Schedule:
    r"""Any shape: the base rate times a function of the step count.

    .. math::

        \eta(s) = \eta\, \lambda(s)

    e.g. the Robbins–Monro decay :math:`\lambda(s) = \tau / (\tau + s)`.

    Parameters
    ----------
    lr : float
        The base rate :math:`\eta > 0`.
    lr_lambda : callable
        :math:`\lambda`, a function of the integer s >= 0 returning a finite
        number >= 0 (a Python float).

    Notes
    -----
    ``torch.optim.lr_scheduler.LambdaLR(opt, lr_lambda)``.

    Examples
    --------
    >>> s = lambda_lr(0.5, lambda t: 10 / (10 + t))
    >>> [s(t) for t in (0, 10, 30)]
    [0.5, 0.25, 0.125]
    """
    lr = check_positive("lr", lr)
    check_schedule("lr_lambda", lr_lambda)

    def lr_at(t):
        return lr * lr_lambda(t)

    return Schedule("lambda_lr", lr_at, {"lr": lr, "lr_lambda": lr_lambda})
