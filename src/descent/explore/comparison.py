"""The explorer of an optimizer comparison: training curves over optimizer × rate.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from descent import plots, sweep

from .encoding import EXPLORER_BUDGET_BYTES, FRAME_BUDGET_BYTES
from .summary import _format_table, format_number, format_value
from .widget import Explorer, explorer

#: Line style of each schedule in the frames.
SCHEDULE_STYLES: dict[str, str] = {"constant": "-", "warmup_cosine": "--"}
#: How the frames name the schedules.
SCHEDULE_NAMES: dict[str, str] = {"constant": "constant",
                                  "warmup_cosine": "warm-up + cosine"}


def _factor_label(exponent: float) -> str:
    """``usual``, ``usual × 3.16``, ``usual / 10``… for a grid offset in decades."""
    if exponent == 0:
        return "usual"
    factor = format_value(float(10 ** abs(exponent)))
    return f"usual {'×' if exponent > 0 else '/'} {factor}"


def comparison_explorer(
    results: Mapping[str, Any],
    *,
    names: Sequence[str] | None = None,
    positions: Sequence[int] | None = None,
    initial: Mapping[str, Any] | None = None,
    figsize: tuple[float, float] = (7.2, 2.7),
    dpi: float = 90,
    colors: int | None = 32,
    title: str | None = None,
    max_frame_bytes: int = FRAME_BUDGET_BYTES,
    max_total_bytes: int = EXPLORER_BUDGET_BYTES,
) -> Explorer:
    """Training curves of every optimizer at every rate of its grid, from a sweep.

    Two sliders: the optimizer (``names``, default every one in ``results``) and
    the position on its rate grid (``positions``, default all), labelled by the
    factor from the optimizer's usual rate (``usual × 3.16``): every grid has the
    same width and density, so one slider serves all. Each frame shows the
    training loss and the validation accuracy against the step, one thin line
    per seed and a thick one for their mean, with a constant rate (solid) and
    with warm-up + cosine (dashed); the axes are the same in every frame.

    The printed summary gives the shown frame's final accuracies, then the mean
    final validation accuracy of every optimizer at every position, per schedule.
    """
    cands = {c["name"]: c for c in results["candidates"] if not c.get("skipped")}
    names = list(cands if names is None else names)
    unknown = [n for n in names if n not in cands]
    if unknown:
        raise ValueError(f"names must be optimizers of the results {list(cands)}, "
                         f"got {unknown}")
    n_points = results["config"]["grid_points"]
    per_decade = results["config"]["points_per_decade"]
    positions = list(range(n_points) if positions is None else positions)
    if not positions or any(not 0 <= int(p) < n_points for p in positions):
        raise ValueError(f"positions must be grid positions in [0, {n_points - 1}], "
                         f"got {positions}")
    schedules = list(results["config"]["schedules"])
    half = n_points // 2
    pos_grid = {_factor_label((p - half) / per_decade): int(p) for p in positions}
    opt_grid = {cands[n]["label"]: n for n in names}

    def lr_of(name: str, position: int) -> float:
        return float(cands[name]["lrs"][position])

    cache: dict[tuple[str, str, int], dict[str, Any]] = {}

    def runs(name: str, schedule: str, position: int) -> dict[str, Any]:
        key = (name, schedule, position)
        if key not in cache:
            cache[key] = sweep.analysis.curves(results, name, schedule,
                                               lr_of(name, position))
        return cache[key]

    losses = [runs(n, s, p)["loss"] for n in names for s in schedules
              for p in positions]
    finite = np.concatenate([a[np.isfinite(a) & (a > 0)] for a in losses])
    loss_range = (max(float(finite.min()) / 2, 1e-4), min(float(finite.max()) * 2,
                                                           1e3))
    chance = 1 / results["data"]["n_classes"]

    kinds = [SCHEDULE_NAMES.get(s, s) for s in schedules]
    scene = plots.TrainingCurvesScene(
        kinds, seeds=len(results["config"]["seeds"]),
        steps=results["config"]["task"]["steps"], loss_range=loss_range,
        styles={SCHEDULE_NAMES.get(s, s): SCHEDULE_STYLES.get(s, "-")
                for s in schedules},
        chance=chance)

    def frame(optimizer: str, position: int) -> tuple[dict[str, Any], str]:
        data = {SCHEDULE_NAMES.get(s, s): runs(optimizer, s, position)
                for s in schedules}
        title = (f"{cands[optimizer]['label']}, learning rate "
                 f"{format_value(lr_of(optimizer, position))}: training loss (left), "
                 "validation accuracy (right; dotted: guessing)")
        return data, title

    class _Scene:
        def setup(self, fig):
            scene.setup(fig)

        def update(self, optimizer, position):
            data, title = frame(optimizer, position)
            return scene.draw(data, color=plots.color_for(optimizer), title=title)

    def final(name: str, schedule: str, position: int) -> str:
        r = runs(name, schedule, position)
        acc = r["val"][:, -1]
        diverged = sum(d is not None for d in r["diverged"])
        acc = np.where(np.isfinite(acc), acc, chance)
        text = f"{format_number(acc.mean())} ± {format_number(acc.std(ddof=1))}"
        return text + (f" ({diverged} diverged)" if diverged else "")

    def summary(optimizer: str, position: int) -> str:
        lines = [f"learning rate {format_value(lr_of(optimizer, position))}; final "
                 "validation accuracy, mean ± sd over seeds:"]
        lines += [f"  {SCHEDULE_NAMES.get(s, s)}: {final(optimizer, s, position)}"
                  for s in schedules]
        return "\n".join(lines)

    ex = explorer(_Scene(), {"optimizer": opt_grid, "position": pos_grid},
                  labels={"optimizer": "optimizer", "position": "learning rate"},
                  initial=initial, figsize=figsize, dpi=dpi, colors=colors,
                  title=title, summary=summary,
                  max_frame_bytes=max_frame_bytes, max_total_bytes=max_total_bytes)
    tables = []
    for s in schedules:
        rows = []
        for n in names:
            row = {}
            for label, p in pos_grid.items():
                acc = runs(n, s, p)["val"][:, -1]
                row[label.replace("usual ", "")] = float(
                    np.where(np.isfinite(acc), acc, chance).mean())
            rows.append((cands[n]["label"], row))
        tables.append(f"mean final validation accuracy, {SCHEDULE_NAMES.get(s, s)} "
                      f"(columns: rate / usual rate)\n{_format_table(rows)}")
    ex.summary_text = "\n\n".join([ex.summary_text, *tables])
    return ex
