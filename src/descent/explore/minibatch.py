"""Explorers of minibatch noise: one optimizer on full and minibatch gradients.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from descent import plots

from .encoding import EXPLORER_BUDGET_BYTES, FRAME_BUDGET_BYTES
from .summary import _alt, _format_table, format_value
from .trajectories import _hashable, _loss_range, _race_summary, _RaceScene
from .widget import Explorer, explorer


@dataclass
class _MinibatchScene(_RaceScene):
    """Runs one optimizer on the full gradient and on minibatch gradients.

    ``landscape`` is an objective with ``minibatch(batch_size, rng)`` (such as
    :class:`descent.regression.LineFit`). Every setting draws its minibatches from
    a generator seeded with the same ``seed`` (common random numbers), so frames
    differ only by the slider values, not by luck.
    """

    seed: int = 0
    batch_key: str = "batch_size"
    bound: float = 1e3

    def race(self, **values: Any) -> dict[str, Any]:
        from descent import run

        params = {k: v for k, v in values.items() if k != self.time_key}
        key = tuple(sorted((k, _hashable(v)) for k, v in params.items()))
        if key not in self.cache:
            batch = int(params.pop(self.batch_key))
            opt = self.make_opts(**params)
            noisy = self.landscape.minibatch(batch, np.random.default_rng(self.seed))
            self.cache[key] = {
                "full batch": run.run(opt, self.landscape, self.start, self.steps,
                                      bound=self.bound, name="full batch"),
                "minibatch": run.run(opt, noisy, self.start, self.steps,
                                     bound=self.bound, name="minibatch"),
            }
        return self.cache[key]


def minibatch_explorer(
    objective: Any,
    make_opt: Callable[..., Any],
    grids: Mapping[str, Sequence[Any]],
    *,
    rng: np.random.Generator,
    steps: int = 150,
    batch_key: str = "batch_size",
    start: Any = None,
    labels: Mapping[str, str] | None = None,
    initial: Mapping[str, Any] | None = None,
    bound: float = 1e3,
    figsize: tuple[float, float] = (7.2, 3.2),
    dpi: float = 120,
    colors: int | None = 64,
    title: str | None = None,
    max_frame_bytes: int = FRAME_BUDGET_BYTES,
    max_total_bytes: int = EXPLORER_BUDGET_BYTES,
) -> Explorer:
    """Full-batch against minibatch descent, one frame per point of ``grids``.

    ``objective`` offers ``minibatch(batch_size, rng)`` (e.g.
    :class:`descent.regression.LineFit`); ``make_opt(**values)`` builds the
    optimizer from the slider values other than ``batch_key`` (e.g.
    ``lambda lr: sgd(lr)``). Each frame runs that optimizer for ``steps`` steps
    twice from the same start: on the full gradient ("full batch") and on
    minibatch gradients of the batch size shown ("minibatch"), and draws both
    paths and losses. Minibatches come from one seed drawn from ``rng``, the same
    for every frame. A run that leaves |θ|∞ ≤ ``bound`` stops there and says so.

    The printed summary gives the shown frame's final loss, distance to the
    minimum and divergence, then a table of the final excess loss L − L* over
    the grid: one row per value of the other sliders, one column for the full
    batch and one per batch size (``div@k`` when a run diverged at step k).
    """
    if batch_key not in grids:
        raise ValueError(f"grids must hold the batch size slider {batch_key!r}, "
                         f"got {list(grids)}")
    if not callable(getattr(objective, "minibatch", None)):
        raise ValueError("objective must offer minibatch(batch_size, rng)")
    if not isinstance(rng, np.random.Generator):
        raise ValueError(f"rng must be a numpy Generator, got {type(rng).__name__}")
    if int(steps) < 1:
        raise ValueError(f"steps must be an integer >= 1, got {steps!r}")
    steps = int(steps)
    start = np.asarray(objective.start if start is None else start, float)
    keys = list(grids)
    labels = dict(labels or {})
    scene = _MinibatchScene(objective, make_opt, steps, start, None,
                            ["full batch", "minibatch"], None, labels,
                            seed=int(rng.integers(2**31)), batch_key=batch_key,
                            bound=float(bound))
    for combo in itertools.product(*(list(grids[k]) for k in keys)):
        scene.race(**dict(zip(keys, combo, strict=True)))
    # The loss axis spans the runs that stayed in bounds, up to 10 × the start's
    # loss, so one diverging run does not squash the others.
    f0 = float(objective.value(start))
    kept = [t for tr in scene.cache.values() for t in tr.values()]
    lo, _ = _loss_range(kept)
    scene.loss_range = (lo, 10 * abs(f0) if f0 > lo else lo + 1.0)

    def summary(**values: Any) -> str:
        return _race_summary(objective, scene.race(**values), start)

    def excess(t: Any) -> Any:
        if t.diverged_at is not None:
            return f"div@{t.diverged_at}"
        return float(plots.finite_points(t.loss)[-1]) - (t.min_value or 0.0)

    # One row per setting of the other sliders; columns: full batch, then each B.
    other = [k for k in keys if k != batch_key]
    rows = []
    for combo in itertools.product(*(list(grids[k]) for k in other)):
        values = dict(zip(other, combo, strict=True))
        label = _alt([labels.get(k, k) for k in other],
                     [format_value(v) for v in combo]) or "all"
        row: dict[str, Any] = {}
        for b in grids[batch_key]:
            trajs = scene.race(**values, **{batch_key: b})
            row.setdefault("full batch", excess(trajs["full batch"]))
            row[f"B = {format_value(b)}"] = excess(trajs["minibatch"])
        rows.append((label, row))
    ex = explorer(scene, grids, labels=labels, initial=initial, figsize=figsize,
                  dpi=dpi, colors=colors, title=title, summary=summary,
                  max_frame_bytes=max_frame_bytes, max_total_bytes=max_total_bytes)
    ex.summary_text = (ex.summary_text + f"\n\nexcess loss L - L* after {steps} "
                       "steps over the grid\n" + _format_table(rows))
    return ex
