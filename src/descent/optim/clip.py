"""Gradient clipping: bound the gradient before any optimizer sees it."""

from __future__ import annotations

import math

import numpy as np

from ._base import Optimizer, Params, check_lr, check_same_shape, is_list


def global_norm(grads: Params) -> float:
    r"""The L2 norm of all gradients together, :math:`\sqrt{\sum_i g_i^2}`."""
    if is_list(grads):
        return math.sqrt(sum(float(np.sum(np.square(g))) for g in grads))
    return math.sqrt(float(np.sum(np.square(grads))))


def clip_grads_by_global_norm(grads: Params, max_norm: float) -> Params:
    r"""Scale all gradients by one factor so that their joint norm is at most max_norm.

    .. math::

        g \leftarrow g \cdot \min\!\Big(1, \frac{c}{\lVert g \rVert}\Big)

    with :math:`c` = ``max_norm`` and :math:`\lVert g\rVert` the norm over every
    array together. The direction is kept; only the length shrinks. Gradients
    with a norm of at most ``max_norm`` (or a non-finite norm) are returned
    unchanged, so divergence stays visible.

    Parameters
    ----------
    grads : ndarray or list of ndarray
        The gradients; not modified.
    max_norm : float
        :math:`c > 0`.

    Notes
    -----
    ``torch.nn.utils.clip_grad_norm_(params, max_norm)`` does the same but
    divides by :math:`\lVert g\rVert + 10^{-6}`, and works in place.

    Examples
    --------
    >>> import numpy as np
    >>> print(clip_grads_by_global_norm(np.array([3.0, 4.0]), max_norm=1.0))
    [0.6 0.8]

    References
    ----------
    Pascanu, R., Mikolov, T., & Bengio, Y. (2013). On the difficulty of training
    recurrent neural networks. *ICML*.
    """
    check_lr(max_norm, "max_norm")
    norm = global_norm(grads)
    if not (math.isfinite(norm) and norm > max_norm):
        return grads
    scale = max_norm / norm
    if is_list(grads):
        return [g * scale for g in grads]
    return grads * scale


def clip_grads_by_value(grads: Params, max_value: float) -> Params:
    r"""Clip every gradient coordinate to the interval [-max_value, max_value].

    .. math::

        g \leftarrow \min(\max(g, -c), c)

    with :math:`c` = ``max_value``. Unlike :func:`clip_grads_by_global_norm`
    this can change the direction of the gradient.

    Parameters
    ----------
    grads : ndarray or list of ndarray
        The gradients; not modified.
    max_value : float
        :math:`c > 0`.

    Notes
    -----
    As ``torch.nn.utils.clip_grad_value_(params, clip_value=max_value)``.

    Examples
    --------
    >>> import numpy as np
    >>> print(clip_grads_by_value(np.array([3.0, -0.5, -4.0]), max_value=1.0))
    [ 1.  -0.5 -1. ]
    """
    check_lr(max_value, "max_value")
    if is_list(grads):
        return [np.clip(g, -max_value, max_value) for g in grads]
    return np.clip(grads, -max_value, max_value)


def clip_by_global_norm(opt: Optimizer, max_norm: float) -> Optimizer:
    """An optimizer that clips the gradients' global norm to max_norm, then steps.

    Examples
    --------
    >>> import numpy as np
    >>> from descent.optim import sgd
    >>> opt = clip_by_global_norm(sgd(lr=1.0), max_norm=1.0)
    >>> params, state = opt.step(np.zeros(2), np.array([30.0, 40.0]), opt.init(None))
    >>> print(params)
    [-0.6 -0.8]
    """
    check_lr(max_norm, "max_norm")

    def step(params, grads, state):
        check_same_shape(params, grads)
        return opt.step(params, clip_grads_by_global_norm(grads, max_norm), state)

    hyper = {**opt.hyper, "max_norm": max_norm}
    return Optimizer(f"{opt.name}+clip_norm", opt.init, step, hyper, opt.eval_params)


def clip_by_value(opt: Optimizer, max_value: float) -> Optimizer:
    """An optimizer that clips every gradient coordinate to ±max_value, then steps.

    Examples
    --------
    >>> import numpy as np
    >>> from descent.optim import sgd
    >>> opt = clip_by_value(sgd(lr=1.0), max_value=1.0)
    >>> params, state = opt.step(np.zeros(2), np.array([30.0, -0.5]), opt.init(None))
    >>> print(params)
    [-1.   0.5]
    """
    check_lr(max_value, "max_value")

    def step(params, grads, state):
        check_same_shape(params, grads)
        return opt.step(params, clip_grads_by_value(grads, max_value), state)

    hyper = {**opt.hyper, "max_value": max_value}
    return Optimizer(f"{opt.name}+clip_value", opt.init, step, hyper, opt.eval_params)
