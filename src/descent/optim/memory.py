"""How much memory an optimizer's state takes, measured from the state itself."""

from __future__ import annotations

from typing import Any

import numpy as np

from ._base import Optimizer, Params, is_list


def _array_bytes(x: Any) -> int:
    if isinstance(x, np.ndarray):
        return x.nbytes
    if isinstance(x, (tuple, list)):  # named tuples, lists of arrays, nested states
        return sum(_array_bytes(item) for item in x)
    return 0  # the step counter and other numbers: a few bytes whatever the model


def state_bytes(opt: Optimizer, params: Params) -> int:
    """Bytes of the arrays in ``opt.init(params)``: the optimizer's extra memory.

    Counts every array of the state (nested lists and named tuples included),
    not the parameters, the gradients or plain numbers such as the step
    counter. The arrays have the parameters' dtype, so float32 parameters
    halve the figure.

    >>> from descent.optim import adam, sgd
    >>> params = [np.zeros((3, 4)), np.zeros(5)]        # 17 float64 numbers
    >>> state_bytes(sgd(lr=0.1), params), state_bytes(adam(), params)
    (0, 272)
    """
    return _array_bytes(opt.init(params))


def param_bytes(params: Params) -> int:
    """Bytes of the parameters themselves (an array or a list of arrays)."""
    if is_list(params):
        return sum(np.asarray(p).nbytes for p in params)
    return np.asarray(params).nbytes
