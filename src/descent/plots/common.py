"""What every figure shares: runs by name, their finite part, where they diverged.

Nothing in :mod:`descent.plots` plots a non-finite number: :func:`finite_points` is
the last guard before matplotlib.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np


def finite_points(xy: Any) -> np.ndarray:
    """The leading rows of ``xy`` (shape ``(n, 2)`` or ``(n,)``) that are finite.

    Arrays from :func:`descent.run.run` are already cut at divergence; this is the
    last guard before matplotlib, so that a NaN or an infinity is never drawn.
    """
    arr = np.asarray(xy, dtype=float)
    ok = np.isfinite(arr) if arr.ndim == 1 else np.isfinite(arr).all(axis=-1)
    bad = np.flatnonzero(~ok)
    return arr if bad.size == 0 else arr[: bad[0]]


def _trajs(trajs: Mapping[str, Any] | Sequence[Any]) -> list[tuple[str, Any]]:
    if isinstance(trajs, Mapping):
        return [(str(k), v) for k, v in trajs.items()]
    return [(str(getattr(t, "name", f"run {i}")), t) for i, t in enumerate(trajs)]


def _divergence_step(traj: Any) -> int | None:
    k = getattr(traj, "diverged_at", None)
    return None if k is None else int(k)
