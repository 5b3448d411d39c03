"""What every optimizer shares: the ``Optimizer`` record, checks, and list mapping.

Each optimizer writes its update rule for ONE ndarray, as in the book's formulas.
:func:`per_array` turns that rule into a ``step`` that also accepts a list of
ndarrays (the parameters of a network): the rule runs once per array on that
array's share of the state, and the results are gathered into lists again. The
state of a list of arrays is the same named tuple, its array fields being lists
and its step counter ``t`` (and any other plain number in it) shared.
"""

from __future__ import annotations

import functools
import math
import numbers
from collections.abc import Callable
from typing import Any, NamedTuple, TypeVar

import numpy as np

Params = np.ndarray | list[np.ndarray]
#: What every factory's ``lr`` accepts: a number, or a schedule t ↦ η_t.
LearningRate = float | Callable[[int], float]
State = TypeVar("State", bound=tuple)


class Optimizer(NamedTuple):
    """An optimizer: a name, a pure ``init``/``step`` pair and its hyperparameters.

    ``state = init(params)`` builds the starting state; ``params, state =
    step(params, grads, state)`` returns new parameters and a new state and
    modifies nothing in place. ``hyper`` holds the factory's arguments, so that
    ``OPTIMIZERS[opt.name](**opt.hyper)`` builds the same optimizer again.

    ``eval_params(params, state)``, when not ``None``, gives the point at which
    the model is to be evaluated and used: schedule-free optimizers take their
    gradients at one sequence and return another (see :func:`evaluation_point`).
    """

    name: str
    init: Callable[[Params], Any]
    step: Callable[[Params, Params, Any], tuple[Params, Any]]
    hyper: dict[str, Any]
    eval_params: Callable[[Params, Any], Params] | None = None


def evaluation_point(opt: Optimizer, params: Params, state: Any) -> Params:
    """Where to evaluate the model that ``opt`` is training: usually ``params``.

    For most optimizers the parameters a step returns are the model. A
    schedule-free optimizer returns the point where it wants its next gradient
    (y) and keeps the point to evaluate (x) in its state; this returns x then.
    """
    return params if opt.eval_params is None else opt.eval_params(params, state)


# -- checks of hyperparameters ----------------------------------------------------


def _real(name: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise ValueError(f"{name} must be a real number, got {value!r}")
    return float(value)


def check_lr(value: Any, name: str = "lr") -> float:
    """Return ``value`` as a float if it is a finite number > 0, else raise."""
    x = _real(name, value)
    if not x > 0:
        raise ValueError(f"{name} must be > 0, got {value}")
    if not math.isfinite(x):
        raise ValueError(f"{name} must be finite, got {value}")
    return x


def as_schedule(lr: Any, name: str = "lr") -> Callable[[int], float]:
    """``lr`` as a function of the step count: t ↦ η_t, the rate of step t + 1.

    Every factory's ``lr`` is a number or a schedule, as in optax. A number is
    checked (finite, > 0) and becomes a constant function, so the common case
    costs one cheap call per step. A callable (a schedule of
    :mod:`descent.schedules`, or any function of the number t = 0, 1, 2… of
    completed steps that returns a Python float) is returned as it is, after
    checking that ``lr(0)`` is a finite number >= 0. This module never imports
    :mod:`descent.schedules`: a schedule is just a function of t.
    """
    if callable(lr):
        first = lr(0)
        if (
            isinstance(first, bool)
            or not isinstance(first, numbers.Real)
            or not 0 <= first < math.inf
        ):
            raise ValueError(f"{name}(0) must be a finite number >= 0, got {first!r}")
        return lr
    value = check_lr(lr, name)

    def constant(t: int) -> float:
        return value

    return constant


def check_unit_interval(name: str, value: Any) -> float:
    """Return ``value`` as a float if it lies in [0, 1), else raise."""
    x = _real(name, value)
    if not 0 <= x < 1:
        raise ValueError(f"{name} must be in [0, 1), got {value}")
    return x


def check_nonneg(name: str, value: Any) -> float:
    """Return ``value`` as a float if it is a finite number >= 0, else raise."""
    x = _real(name, value)
    if not 0 <= x < math.inf:
        raise ValueError(f"{name} must be >= 0 and finite, got {value}")
    return x


def check_choice(name: str, value: Any, choices: tuple[str, ...]) -> str:
    """Return ``value`` if it is one of ``choices``, else raise."""
    if value not in choices:
        allowed = ", ".join(repr(c) for c in choices)
        raise ValueError(f"{name} must be one of {allowed}, got {value!r}")
    return value


# -- arrays and lists of arrays -----------------------------------------------------


def is_list(params: Any) -> bool:
    """True for a list (or tuple) of arrays, False for a single array."""
    return isinstance(params, (list, tuple))


def _float_dtype(array: Any) -> np.dtype:
    dtype = np.asarray(array).dtype
    return dtype if np.issubdtype(dtype, np.floating) else np.dtype(np.float64)


def zeros_like(params: Params) -> Params:
    """Zeros shaped like ``params`` (an array, or a list of arrays), in float."""
    return full_like(params, 0.0)


def full_like(params: Params, value: float) -> Params:
    """``value`` everywhere, shaped like ``params`` (an array or a list), in float."""
    if is_list(params):
        return [full_like(p, value) for p in params]
    return np.full(np.shape(params), value, dtype=_float_dtype(params))


def check_same_shape(params: Params, grads: Params) -> None:
    """Raise ``ValueError`` (with both shapes) unless grads match params."""
    if is_list(params) != is_list(grads):
        raise ValueError(
            "params and grads must both be arrays or both be lists of arrays, got "
            f"{_describe(params)} and {_describe(grads)}"
        )
    if not is_list(params):
        if np.shape(params) != np.shape(grads):
            raise ValueError(
                "params and grads must have the same shape, got "
                f"{np.shape(params)} and {np.shape(grads)}"
            )
        return
    if len(params) != len(grads):
        raise ValueError(
            "params and grads must have the same length, got "
            f"{len(params)} and {len(grads)}"
        )
    if len(params) == 0:
        raise ValueError("params must hold at least one array, got an empty list")
    for i, (p, g) in enumerate(zip(params, grads, strict=True)):
        if np.shape(p) != np.shape(g):
            raise ValueError(
                f"params[{i}] and grads[{i}] must have the same shape, got "
                f"{np.shape(p)} and {np.shape(g)}"
            )


def _describe(params: Any) -> str:
    if is_list(params):
        n = len(params)
        return f"a list of {n} array{'' if n == 1 else 's'}"
    return f"an array of shape {np.shape(params)}"


def _array_fields(state: tuple) -> list[str]:
    """Names of the fields holding arrays (or lists of arrays).

    All but ``t``, ``None`` and plain numbers: a number in the state (a running
    sum of weights, say) is shared by all the arrays of a list, like ``t``.
    """
    return [
        k
        for k, v in state._asdict().items()
        if k != "t" and v is not None and not isinstance(v, numbers.Number)
    ]


def _check_state(params: Params, state: tuple) -> None:
    for name in _array_fields(state):
        if is_list(getattr(state, name)) != is_list(params):
            raise ValueError(
                f"state.{name} was made for {_describe(getattr(state, name))} but "
                f"params is {_describe(params)}; build the state with init(params)"
            )


def _gather(states: list) -> tuple:
    """One state for a list of arrays from the states of its arrays."""
    # a field may hold an array for some arrays only (Adafactor factors the
    # matrices of a list, not its vectors): gather every field any array uses
    fields = [k for k in states[0]._fields
              if any(k in _array_fields(s) for s in states)]
    return states[0]._replace(**{k: [getattr(s, k) for s in states] for k in fields})


def init_per_array(init: Callable[[np.ndarray], State]) -> Callable:
    """Let an ``init(params)`` written for one array build the state of a list too.

    For a list it builds each array's state and gathers them as
    :func:`per_array` does, so a field that only some arrays use holds ``None``
    for the others.
    """

    @functools.wraps(init)
    def init_any(params):
        if not is_list(params):
            return init(params)
        if len(params) == 0:
            raise ValueError("params must hold at least one array, got an empty list")
        return _gather([init(p) for p in params])

    return init_any


def per_array(rule: Callable[[Any, Any, State], tuple[Any, State]]) -> Callable:
    """Let a ``rule(params, grads, state)`` written for one array step lists too.

    The returned ``step`` checks that grads match params. For a single array it
    calls the rule once. For a list it calls the rule on each array with that
    array's share of the state (every array field indexed, ``t`` shared) and
    gathers the new arrays and states into lists. ``inspect.getsource(step)``
    shows the rule itself.
    """

    @functools.wraps(rule)
    def step(params, grads, state):
        if (
            type(params) is np.ndarray
            and type(grads) is np.ndarray
            and params.shape == grads.shape
            and not any(type(x) is list for x in state)
        ):
            return rule(params, grads, state)  # the common case, kept cheap
        check_same_shape(params, grads)
        _check_state(params, state)
        if not is_list(params):
            return rule(np.asarray(params), np.asarray(grads), state)
        fields = _array_fields(state)
        results = [
            rule(
                np.asarray(p),
                np.asarray(g),
                state._replace(**{k: getattr(state, k)[i] for k in fields}),
            )
            for i, (p, g) in enumerate(zip(params, grads, strict=True))
        ]
        return [p for p, _ in results], _gather([s for _, s in results])

    return step
