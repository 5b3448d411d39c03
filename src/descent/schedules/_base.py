"""What every schedule shares: the ``Schedule`` record and the checks of arguments.

A schedule is a function of the step count ``t = 0, 1, 2…``, the number of
optimizer steps already taken: ``schedule(t)`` is the learning rate of the next
step (step t + 1 in the book's numbering, which goes from θ_{t+1} to θ_{t+2}).
That is torch's ``optimizer.param_groups[0]["lr"]`` after t calls of
``scheduler.step()``, and it is what every optimizer of :mod:`descent.optim`
reads as ``lr(state.t)``.
"""

from __future__ import annotations

import math
import numbers
import operator
from collections.abc import Callable, Sequence
from typing import Any, NamedTuple

import numpy as np

from ..optim._base import check_lr, check_nonneg


class Schedule(NamedTuple):
    """A learning-rate schedule: ``schedule(t)`` is the rate after t steps.

    ``name`` is the factory's name, ``lr_at`` the function of t, ``hyper`` the
    factory's arguments, so that ``SCHEDULES[s.name](**s.hyper)`` builds ``s``
    again. Calling the schedule checks that t is an integer >= 0 and returns a
    Python float.
    """

    name: str
    lr_at: Callable[[int], float]
    hyper: dict[str, Any]

    def __call__(self, t: int) -> float:
        if t.__class__ is not int or t < 0:  # the common case costs one test
            t = check_step(t)
        return self.lr_at(t)

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={_show(v)}" for k, v in self.hyper.items())
        return f"{self.name}({args})"


def _show(value: Any) -> str:
    """A stable text for a hyperparameter: no object addresses."""
    if isinstance(value, Schedule):
        return repr(value)
    if isinstance(value, (list, tuple)):
        inner = ", ".join(_show(v) for v in value)
        return f"[{inner}]" if isinstance(value, list) else f"({inner})"
    if callable(value):
        return getattr(value, "__qualname__", type(value).__name__)
    return repr(value)


def lr_curve(schedule: Callable[[int], float] | float, steps: int) -> np.ndarray:
    """The rates ``schedule(t)`` for t = 0 … steps − 1, as an array (for plots).

    A number (a constant rate, as an optimizer's ``lr`` may be) gives that number
    ``steps`` times.
    """
    steps = check_int("steps", steps, 0)
    if not callable(schedule):
        return np.full(steps, check_positive("schedule", schedule))
    return np.array([float(schedule(t)) for t in range(steps)])


# -- checks of arguments ------------------------------------------------------------


def check_step(t: Any) -> int:
    """Return ``t`` as an int if it is an integer >= 0, else raise."""
    try:
        if isinstance(t, bool):
            raise TypeError
        value = operator.index(t)
    except TypeError:
        raise ValueError(f"t must be an integer >= 0, got {t!r}") from None
    if value < 0:
        raise ValueError(f"t must be an integer >= 0, got {t!r}")
    return value


def check_int(name: str, value: Any, minimum: int) -> int:
    """Return ``value`` as an int if it is an integer >= ``minimum``, else raise."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise ValueError(f"{name} must be an integer >= {minimum}, got {value!r}")
    if value < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}, got {value!r}")
    return int(value)


def check_positive(name: str, value: Any) -> float:
    """Return ``value`` as a float if it is a finite number > 0, else raise."""
    return check_lr(value, name)


def check_range(name: str, value: Any, low: float, high: float,
                low_open: bool = False) -> float:
    """Return ``value`` as a float if it lies in [low, high] ((low, high] if
    ``low_open``), else raise."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise ValueError(f"{name} must be a real number, got {value!r}")
    x = float(value)
    inside = (low < x if low_open else low <= x) and x <= high
    if not inside:
        left = "(" if low_open else "["
        raise ValueError(f"{name} must be in {left}{low:g}, {high:g}], got {value}")
    return x


def check_eta_min(value: Any, name: str = "eta_min") -> float:
    """Return ``value`` as a float if it is a finite number >= 0, else raise."""
    return check_nonneg(name, value)


def check_milestones(name: str, milestones: Any, minimum: int) -> list[int]:
    """Return a non-empty, strictly increasing list of integers >= ``minimum``."""
    message = (f"{name} must be a non-empty, strictly increasing sequence of "
               f"integers >= {minimum}, got {milestones!r}")
    if isinstance(milestones, (str, bytes)) or not isinstance(
            milestones, (Sequence, np.ndarray)):
        raise ValueError(message)
    values = list(milestones)
    if not values or any(
        isinstance(m, bool) or not isinstance(m, (int, np.integer)) for m in values
    ):
        raise ValueError(message)
    values = [int(m) for m in values]
    pairs = zip(values, values[1:], strict=False)
    if values[0] < minimum or any(b <= a for a, b in pairs):
        raise ValueError(message)
    return values


def check_schedule(name: str, schedule: Any) -> Callable[[int], float]:
    """Return ``schedule`` if it is callable and ``schedule(0)`` is a finite
    number >= 0, else raise."""
    if not callable(schedule):
        raise ValueError(f"{name} must be a schedule (a function of t), got "
                         f"{type(schedule).__name__}")
    first = schedule(0)
    if (isinstance(first, bool) or not isinstance(first, numbers.Real)
            or not 0 <= first < math.inf):
        raise ValueError(f"{name}(0) must be a finite number >= 0, got {first!r}")
    return schedule
