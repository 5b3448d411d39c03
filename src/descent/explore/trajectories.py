"""Explorers of optimizers racing on a 2-D landscape.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from matplotlib.figure import Figure

from descent import plots

from .encoding import EXPLORER_BUDGET_BYTES, FRAME_BUDGET_BYTES
from .summary import _alt, _format_table, format_number, format_value
from .widget import Explorer, explorer


@dataclass
class _RaceScene:
    """A :class:`Scene` that runs (and caches) a race for each slider setting."""

    landscape: Any
    make_opts: Callable[..., Mapping[str, Any]]
    steps: int
    start: Any
    time_key: str | None
    names: list[str]
    loss_range: tuple[float, float] | None
    labels: Mapping[str, str]
    cache: dict[tuple, dict[str, Any]] = field(default_factory=dict)
    scene: plots.TrajectoryScene | None = None

    def race(self, **values: Any) -> dict[str, Any]:
        from descent import run

        params = {k: v for k, v in values.items() if k != self.time_key}
        key = tuple(sorted((k, _hashable(v)) for k, v in params.items()))
        if key not in self.cache:
            opts = dict(self.make_opts(**params))
            self.cache[key] = run.race(opts, self.landscape, self.start, self.steps)
        return self.cache[key]

    def setup(self, fig: Figure) -> None:
        self.scene = plots.TrajectoryScene(self.landscape, self.names,
                                           steps=self.steps,
                                           loss_range=self.loss_range)
        self.scene.setup(fig)
        self.scene.title.set_text(_title(self.landscape, self.labels, {}))

    def update(self, **values: Any) -> list[Any]:
        trajs = self.race(**values)
        upto = None if self.time_key is None else int(values[self.time_key])
        return self.scene.draw(trajs, upto=upto,
                               title=_title(self.landscape, self.labels, values))


def _hashable(v: Any) -> Any:
    try:
        hash(v)
        return v
    except TypeError:
        return repr(v)


def _title(landscape: Any, labels: Mapping[str, str], values: Mapping[str, Any]) -> str:
    name = str(getattr(landscape, "title", "") or getattr(landscape, "name", ""))
    shown = ", ".join(f"{labels.get(k, k)} = {format_value(v)}"
                      for k, v in values.items())
    return f"{name}: {shown}" if shown else name


def race_grid(
    landscape: Any,
    make_opts: Callable[..., Mapping[str, Any]],
    grids: Mapping[str, Sequence[Any]],
    *,
    steps: int,
    start: Any = None,
) -> dict[tuple, dict[str, Any]]:
    """Run :func:`descent.run.race` for every point of ``grids``.

    ``make_opts(**values)`` returns ``{name: optimizer}``. Returns
    ``{(value, ...): {name: Trajectory}}`` in grid order.
    """
    from descent import run

    keys = list(grids)
    start = landscape.start if start is None else start
    out = {}
    for combo in itertools.product(*(list(grids[k]) for k in keys)):
        values = dict(zip(keys, combo, strict=True))
        out[combo] = run.race(dict(make_opts(**values)), landscape, start, steps)
    return out


def _loss_range(trajs: Sequence[Any]) -> tuple[float, float]:
    """A loss axis for all frames: from the least loss up to 100× the start loss.

    Losses of runs that blow up leave the top of the axis rather than squash every
    other curve to the bottom.
    """
    arrays = [plots.finite_points(t.loss) for t in trajs]
    arrays = [a for a in arrays if a.size]
    if not arrays:
        return 1e-3, 1.0
    values = np.concatenate(arrays)
    cap = 100 * max(abs(float(a[0])) for a in arrays)
    hi = min(float(values.max()), cap) if cap > 0 else float(values.max())
    lo = float(values.min())
    if lo > 0:
        lo = max(lo, hi * 1e-12)
    if hi <= lo:
        hi = lo + 1.0
    return lo, hi


def _race_summary(landscape: Any, trajs: Mapping[str, Any], start: Any,
                  upto: int | None = None) -> str:
    rows = []
    minima = np.asarray(getattr(landscape, "minima", np.empty((0, 2))), float)
    minima = minima.reshape(-1, 2)
    for name, t in trajs.items():
        params = plots.finite_points(t.params)
        loss = plots.finite_points(t.loss)
        k = t.diverged_at
        if upto is not None:
            params, loss = params[: upto + 1], loss[: upto + 1]
            k = k if k is not None and k <= upto else None
        row: dict[str, Any] = {"final loss": float(loss[-1])}
        if minima.size:
            row["dist to min"] = float(np.min(np.linalg.norm(minima - params[-1],
                                                             axis=1)))
        row["diverged at"] = "-" if k is None else f"step {k}"
        rows.append((name, row))
    s = ", ".join(format_number(x) for x in np.asarray(start, float))
    head = f"{getattr(landscape, 'name', 'landscape')} from ({s})"
    return head + "\n" + _format_table(rows)


def trajectory_explorer(
    landscape: Any,
    make_opts: Callable[..., Mapping[str, Any]],
    grids: Mapping[str, Sequence[Any]],
    *,
    steps: int = 200,
    start: Any = None,
    labels: Mapping[str, str] | None = None,
    initial: Mapping[str, Any] | None = None,
    time_key: str = "step",
    play: str | None = None,
    grid_table: bool = True,
    figsize: tuple[float, float] = (7.2, 3.2),
    dpi: float = 144,
    colors: int | None = 64,
    title: str | None = None,
    interval: int = 300,
    max_frame_bytes: int = FRAME_BUDGET_BYTES,
    max_total_bytes: int = EXPLORER_BUDGET_BYTES,
) -> Explorer:
    """Optimizers racing on ``landscape``, one frame per point of ``grids``.

    ``make_opts(**values)`` returns ``{name: optimizer}`` for one setting of the
    sliders (every setting should give the same names). Each frame shows the paths
    on the contours and the losses; the loss axis is the same in every frame. A grid
    named ``time_key`` (default ``"step"``) is time: the race runs once for the other
    sliders and the frames show its first ``step`` steps; ``play`` defaults to it.

    The printed summary gives the shown frame's final loss, distance to the nearest
    minimum and divergence per optimizer, and (``grid_table=True``) the final loss of
    each optimizer at each grid point (``div@k`` when it diverged at step k). With
    time as the only slider it also gives the numbers after all ``steps`` steps.
    """
    if int(steps) < 1:
        raise ValueError(f"steps must be an integer >= 1, got {steps!r}")
    steps = int(steps)
    start = np.asarray(landscape.start if start is None else start, float)
    keys = list(grids)
    tkey = time_key if time_key in grids else None
    if tkey is not None:
        times = [int(t) for t in grids[tkey]]
        if min(times) < 0 or max(times) > steps:
            raise ValueError(f"grid {tkey!r} must lie in [0, steps={steps}], "
                             f"got {min(times)}..{max(times)}")
        if play is None:
            play = tkey
    labels = dict(labels or {})
    param_keys = [k for k in keys if k != tkey]
    scene = _RaceScene(landscape, make_opts, steps, start, tkey, [], None, labels)
    for combo in itertools.product(*(list(grids[k]) for k in param_keys)):
        scene.race(**dict(zip(param_keys, combo, strict=True)))
    names: list[str] = []
    for trajs in scene.cache.values():
        names += [n for n in trajs if n not in names]
    scene.names = names
    scene.loss_range = _loss_range([t for tr in scene.cache.values()
                                    for t in tr.values()])

    def summary(**values: Any) -> str:
        upto = None if tkey is None else int(values[tkey])
        return _race_summary(landscape, scene.race(**values), start, upto)

    table = None
    if grid_table and param_keys:
        def final_losses(**values: Any) -> dict[str, Any]:
            trajs = scene.race(**values)
            return {n: (f"div@{t.diverged_at}" if t.diverged_at is not None
                        else float(plots.finite_points(t.loss)[-1]))
                    for n, t in trajs.items()}

        table = _grid_table(final_losses, param_keys, grids, labels)

    ex = explorer(scene, grids, labels=labels, initial=initial, figsize=figsize,
                  dpi=dpi, colors=colors, title=title, play=play, interval=interval,
                  summary=summary, max_frame_bytes=max_frame_bytes,
                  max_total_bytes=max_total_bytes)
    if table is not None:
        ex.summary_text = ex.summary_text + "\n\nfinal loss over the grid\n" + table
    elif tkey is not None and not param_keys:
        # Play starts from the first frame; also say how the race ends.
        end = _race_summary(landscape, scene.race(), start).split("\n", 1)[1]
        ex.summary_text = ex.summary_text + f"\n\nafter all {steps} steps\n" + end
    return ex


def _grid_table(
    row: Callable[..., Mapping[str, Any]],
    keys: Sequence[str],
    grids: Mapping[str, Sequence[Any]],
    labels: Mapping[str, str],
) -> str:
    rows = []
    for combo in itertools.product(*(list(grids[k]) for k in keys)):
        values = dict(zip(keys, combo, strict=True))
        label = _alt([labels.get(k, k) for k in keys], [format_value(v)
                                                       for v in combo])
        rows.append((label, row(**values)))
    return _format_table(rows)
