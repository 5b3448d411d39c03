r"""Schedules built from schedules: one after another, or multiplied together."""

from __future__ import annotations

import bisect
from collections.abc import Callable, Sequence

from ._base import Schedule, check_milestones, check_schedule


def sequential_lr(
    schedules: Sequence[Callable[[int], float]], milestones: Sequence[int]
) -> Schedule:
    r"""One schedule after another: each takes over at its milestone.

    Each schedule starts from its own step 0 at its milestone:

    .. math::

        \eta(s) = \eta^{(i)}(s - m_i) \quad \text{for } m_i \le s < m_{i+1},
        \qquad m_0 = 0,

    e.g. a linear warm-up of W steps followed by cosine annealing:
    ``sequential_lr([linear_lr(η, 1/W, 1.0, W - 1), cosine_annealing_lr(η, N - W)],
    milestones=[W])``.

    Parameters
    ----------
    schedules : sequence of schedules
        At least one; any functions of the step count.
    milestones : sequence of int
        ``len(schedules) - 1`` strictly increasing step counts >= 1.

    Notes
    -----
    ``torch.optim.lr_scheduler.SequentialLR(opt, schedulers, milestones)``. In
    torch all schedulers share the optimizer's base rate; here each schedule
    carries its own (give them the same ``lr`` for torch's behaviour).

    Examples
    --------
    >>> from descent.schedules import constant_lr, exponential_lr
    >>> s = sequential_lr([constant_lr(1.0, 0.1, 2), exponential_lr(1.0, 0.5)], [3])
    >>> [s(t) for t in range(6)]
    [0.1, 0.1, 1.0, 1.0, 0.5, 0.25]
    """
    if isinstance(schedules, (str, bytes)) or not isinstance(schedules, Sequence):
        raise ValueError(f"schedules must be a non-empty sequence of schedules, got "
                         f"{type(schedules).__name__}")
    schedules = [check_schedule(f"schedules[{i}]", s) for i, s in enumerate(schedules)]
    if not schedules:
        raise ValueError("schedules must be a non-empty sequence of schedules, got []")
    if len(schedules) == 1 and not milestones:
        milestones = []
    else:
        milestones = check_milestones("milestones", milestones, 1)
    if len(milestones) != len(schedules) - 1:
        raise ValueError(
            f"milestones must hold len(schedules) - 1 = {len(schedules) - 1} step "
            f"counts, got {len(milestones)}")
    starts = [0] + milestones

    def lr_at(t):
        i = bisect.bisect_right(milestones, t)
        return schedules[i](t - starts[i])

    return Schedule("sequential_lr", lr_at,
                    {"schedules": list(schedules), "milestones": milestones})


#: The schedules whose torch scheduler is chainable by a product: each step it
#: multiplies the current rate by a factor that depends on the step count only.
CHAINABLE = ("constant_lr", "linear_lr", "step_lr", "multi_step_lr",
             "exponential_lr", "polynomial_lr")


def chained_scheduler(schedules: Sequence[Schedule]) -> Schedule:
    r"""Apply several multiplicative schedules at once: the product of their factors.

    .. math::

        \eta(s) = \eta \prod_i \frac{\eta^{(i)}(s)}{\eta}

    for schedules that share the base rate :math:`\eta`, e.g. a ``constant_lr``
    warm-up times an ``exponential_lr`` decay.

    Parameters
    ----------
    schedules : sequence of Schedule
        At least one, each built by one of ``constant_lr``, ``linear_lr``,
        ``step_lr``, ``multi_step_lr``, ``exponential_lr`` or ``polynomial_lr``
        (the schedulers torch chains by multiplication), with the same ``lr``.

    Notes
    -----
    ``torch.optim.lr_scheduler.ChainedScheduler(schedulers)``.

    Examples
    --------
    >>> from descent.schedules import constant_lr, step_lr
    >>> s = chained_scheduler([constant_lr(1.0, 0.5, 2), step_lr(1.0, 3, 0.1)])
    >>> [round(s(t), 6) for t in range(5)]
    [0.5, 0.5, 1.0, 0.1, 0.1]
    """
    if isinstance(schedules, (str, bytes)) or not isinstance(schedules, Sequence) \
            or not schedules:
        raise ValueError("schedules must be a non-empty sequence of schedules")
    for i, s in enumerate(schedules):
        if not isinstance(s, Schedule) or s.name not in CHAINABLE:
            raise ValueError(
                f"schedules[{i}] must be one of {', '.join(CHAINABLE)} (torch "
                f"chains only these by a product), got {s!r}")
    lr = schedules[0].hyper["lr"]
    others = [s.hyper["lr"] for s in schedules if s.hyper["lr"] != lr]
    if others:
        raise ValueError(f"schedules must share one lr (one optimizer), got {lr} and "
                         f"{others[0]}")
    parts = list(schedules)

    def lr_at(t):
        rate = lr
        for s in parts:
            rate *= s.lr_at(t) / lr
        return rate

    return Schedule("chained_scheduler", lr_at, {"schedules": parts})
