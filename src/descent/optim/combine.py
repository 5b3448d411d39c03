"""Optimizers built from others: one per group of arrays, or on a flat vector.

:func:`partition` gives each array of a network to the optimizer its label
names, the way Muon is used in practice (Muon for the hidden weight matrices,
AdamW for the rest). :func:`reshaped` lets an optimizer that needs the shapes
of the arrays (Muon, Adafactor) step a flat parameter vector, such as the θ
that :func:`descent.run.run` drives.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any, NamedTuple

import numpy as np

from ._base import Optimizer, check_same_shape, is_list


class PartitionState(NamedTuple):
    """``inner``: the state of each optimizer of the partition, in their order
    (None for an optimizer that got no array)."""

    t: int
    inner: tuple


def partition(
    opts: Mapping[str, Optimizer],
    labels: Sequence[str] | Callable[[list], Sequence[str]],
) -> Optimizer:
    """Step each array of a list with the optimizer named by its label.

    ``labels`` holds one name of ``opts`` per array (or is a function of the
    list of arrays that returns them). Each optimizer steps its own sub-list
    with its own state; the arrays come back in their original order.

    >>> import numpy as np
    >>> from descent.optim import adamw, muon
    >>> opt = partition({"muon": muon(lr=0.02), "adamw": adamw(lr=1e-3)},
    ...                 labels=["muon", "adamw"])
    >>> params = [np.ones((3, 2)), np.ones(3)]   # a weight matrix and a bias
    >>> state = opt.init(params)
    >>> params, state = opt.step(params, [np.ones((3, 2)), np.ones(3)], state)
    >>> opt.name, [p.shape for p in params], state.t
    ('muon+adamw', [(3, 2), (3,)], 1)
    """
    if not isinstance(opts, Mapping) or not opts:
        raise ValueError("opts must be a non-empty mapping name -> optimizer")
    names = list(opts)

    def groups(params) -> list[list[int]]:
        if not is_list(params):
            raise ValueError("partition steps a list of arrays, got a single array")
        given = list(labels(params) if callable(labels) else labels)
        if len(given) != len(params):
            raise ValueError(
                f"labels must name one optimizer per array: got {len(given)} "
                f"labels for {len(params)} arrays"
            )
        unknown = sorted({str(x) for x in given} - set(names))
        if unknown:
            raise ValueError(
                f"labels name unknown optimizers {unknown}; known: {names}"
            )
        return [[i for i, x in enumerate(given) if x == n] for n in names]

    def init(params):
        return PartitionState(
            t=0,
            inner=tuple(
                opts[n].init([params[i] for i in idx]) if idx else None
                for n, idx in zip(names, groups(params), strict=True)
            ),
        )

    def step(params, grads, state):
        check_same_shape(params, grads)
        new, inner = list(params), []
        for n, idx, s in zip(names, groups(params), state.inner, strict=True):
            if idx:
                out, s = opts[n].step([params[i] for i in idx],
                                      [grads[i] for i in idx], s)
                for i, p in zip(idx, out, strict=True):
                    new[i] = p
            inner.append(s)
        return new, PartitionState(t=state.t + 1, inner=tuple(inner))

    def eval_params(params, state):
        out = list(params)
        for n, idx, s in zip(names, groups(params), state.inner, strict=True):
            if idx and opts[n].eval_params is not None:
                points = opts[n].eval_params([params[i] for i in idx], s)
                for i, p in zip(idx, points, strict=True):
                    out[i] = p
        return out

    any_eval = any(o.eval_params is not None for o in opts.values())
    hyper = {"opts": dict(opts), "labels": labels}
    return Optimizer("+".join(names), init, step, hyper,
                     eval_params if any_eval else None)


def reshaped(opt: Optimizer, shapes: Sequence[Sequence[int]]) -> Optimizer:
    """Let ``opt`` step a flat vector as the list of arrays of ``shapes``.

    The vector is cut in order into arrays of these shapes (as
    :class:`descent.nets.BatchLoss` does), ``opt`` steps the list, and the
    result is flattened again. So ``run`` can drive Muon, which needs
    matrices, on a flat θ.

    >>> import numpy as np
    >>> from descent.optim import muon
    >>> opt = reshaped(muon(lr=0.1, weight_decay=0.0), [(2, 2)])
    >>> theta = np.zeros(4)
    >>> theta, state = opt.step(theta, np.array([1.0, 0, 0, 1]), opt.init(theta))
    >>> theta.shape
    (4,)
    """
    shapes = [tuple(int(n) for n in s) for s in shapes]
    if not shapes:
        raise ValueError("shapes must list at least one shape")
    sizes = [int(np.prod(s)) for s in shapes]
    total = sum(sizes)
    offsets = np.cumsum([0, *sizes])

    def split(flat: Any) -> list[np.ndarray]:
        flat = np.asarray(flat)
        if flat.shape != (total,):
            raise ValueError(
                f"params must be a flat vector of {total} entries (shapes {shapes}), "
                f"got shape {flat.shape}"
            )
        return [flat[a:b].reshape(s) for a, b, s in
                zip(offsets[:-1], offsets[1:], shapes, strict=True)]

    def join(arrays: list[np.ndarray]) -> np.ndarray:
        return np.concatenate([np.ravel(a) for a in arrays])

    def init(flat):
        return opt.init(split(flat))

    def step(flat, grads, state):
        params, state = opt.step(split(flat), split(grads), state)
        return join(params), state

    def eval_params(flat, state):
        return join(opt.eval_params(split(flat), state))

    return Optimizer(opt.name, init, step, dict(opt.hyper),
                     None if opt.eval_params is None else eval_params)
