"""What a sweep says: the best rate, its spread over seeds, the width of the good range.

Definitions used by the book:

* A run's **accuracy** is the fraction of correct answers after the last step. A
  run that diverged (non-finite loss, gradient or parameters) counts as guessing:
  accuracy 1/K for K classes.
* The **sensitivity curve** of an optimizer is the mean validation accuracy over
  the seeds at each rate of its grid.
* The **chosen rate** is the rate of the grid with the highest mean validation
  accuracy (ties: the lower mean validation loss). The test set is looked at
  only there.
* The **good range** is the interval of rates around the chosen one where the
  sensitivity curve stays within ``delta`` (default :data:`DELTA`, two
  percentage points) of its best value; its ends are interpolated linearly in
  log10(rate) between the last grid point inside and the first outside. Its
  **width** is log10(high / low), in decades. When the curve is still inside at
  an end of the grid, that end is open and the width is a lower bound.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any, NamedTuple

import numpy as np

#: The good range: mean validation accuracy within this of the best.
DELTA = 0.02


class Sensitivity(NamedTuple):
    """Validation accuracy against the rate, over the seeds (arrays over the grid)."""

    lrs: np.ndarray
    mean: np.ndarray
    std: np.ndarray  # sample standard deviation over seeds (ddof = 1)
    low: np.ndarray  # worst seed
    high: np.ndarray  # best seed
    diverged: np.ndarray  # number of seeds that diverged
    val_loss: np.ndarray  # mean final validation loss (inf if any seed diverged)
    seeds: int


class GoodRange(NamedTuple):
    """The good range of rates: see the module's definitions."""

    low: float
    high: float
    width: float  # decades
    open_low: bool  # still good at the smallest rate of the grid
    open_high: bool  # still good at the largest rate of the grid


class Row(NamedTuple):
    """One optimizer under one schedule: the line of the results table."""

    name: str
    label: str
    schedule: str
    best_lr: float
    best_index: int
    at_edge: bool  # the chosen rate is the first or last of the grid
    val_mean: float
    val_std: float
    test_mean: float
    test_std: float
    good: GoodRange
    centre_lr: float
    centre_val: float  # mean validation accuracy at the usual rate (no tuning)
    step_us: float | None
    update_us: float | None
    state_bytes: int
    param_bytes: int


def _candidate(results: dict[str, Any], name: str) -> dict[str, Any]:
    for c in results["candidates"]:
        if c["name"] == name:
            return c
    names = [c["name"] for c in results["candidates"]]
    raise ValueError(f"optimizer must be one of {names}, got {name!r}")


def _runs(results: dict[str, Any], name: str, schedule: str) -> list[dict]:
    runs = [r for r in results["runs"]
            if r["optimizer"] == name and r["schedule"] == schedule]
    if not runs:
        raise ValueError(f"no runs of {name!r} with schedule {schedule!r}")
    return runs


def accuracy(run: dict[str, Any], part: str, results: dict[str, Any]) -> float:
    """A run's final accuracy on ``part`` ("val" or "test"); 1/K if it diverged."""
    size = results["data"]["sizes"][part]
    correct = run[f"{part}_correct"]
    return 1 / results["data"]["n_classes"] if correct is None else correct / size


def sensitivity(results: dict[str, Any], name: str, schedule: str) -> Sensitivity:
    """The sensitivity curve of optimizer ``name`` under ``schedule``."""
    lrs = np.array(_candidate(results, name)["lrs"])
    runs = _runs(results, name, schedule)
    seeds = sorted({r["seed"] for r in runs})
    acc = np.full((len(lrs), len(seeds)), np.nan)
    loss = np.full((len(lrs), len(seeds)), np.inf)
    div = np.zeros(len(lrs), dtype=int)
    for r in runs:
        i = int(np.argmin(np.abs(np.log(lrs / r["lr"]))))
        j = seeds.index(r["seed"])
        acc[i, j] = accuracy(r, "val", results)
        if r["val_loss"] is not None:
            loss[i, j] = r["val_loss"]
        div[i] += r["diverged_at"] is not None
    done = ~np.isnan(acc).any(axis=1)  # a reduced sweep may skip some rates
    lrs, acc, loss, div = lrs[done], acc[done], loss[done], div[done]
    std = acc.std(axis=1, ddof=1) if len(seeds) > 1 else np.zeros(len(lrs))
    return Sensitivity(lrs, acc.mean(axis=1), std, acc.min(axis=1), acc.max(axis=1),
                       div, loss.mean(axis=1), len(seeds))


def best_index(curve: Sensitivity) -> int:
    """The chosen rate's position: highest mean accuracy, then lowest mean loss."""
    order = sorted(range(len(curve.lrs)),
                   key=lambda i: (-round(curve.mean[i], 12), curve.val_loss[i], i))
    return order[0]


def good_range(lrs: Sequence[float], acc: Sequence[float], delta: float = DELTA,
               best: int | None = None) -> GoodRange:
    """The interval of rates around ``best`` where ``acc`` stays within ``delta``.

    ``lrs`` increase; ``best`` defaults to the position of the largest ``acc``.
    The ends are interpolated in log10(rate); an end of the grid that is still
    good is open (the true range may be wider).

    >>> r = good_range([0.01, 0.1, 1.0], [0.5, 0.9, 0.8], delta=0.2)
    >>> round(r.low, 4), r.high, r.width, r.open_low, r.open_high
    (0.0316, 1.0, 1.5, False, True)
    """
    x = np.log10(np.asarray(lrs, dtype=float))
    a = np.asarray(acc, dtype=float)
    if x.shape != a.shape or x.ndim != 1 or len(x) == 0:
        raise ValueError(f"lrs and acc must be 1-D of the same length, got "
                         f"{np.shape(lrs)} and {np.shape(acc)}")
    if not np.all(np.diff(x) > 0):
        raise ValueError("lrs must increase")
    if not delta >= 0:
        raise ValueError(f"delta must be >= 0, got {delta}")
    b = int(np.argmax(a)) if best is None else int(best)
    level = a[b] - delta

    def edge(step: int) -> tuple[float, bool]:
        i = b
        while 0 <= i + step < len(a) and a[i + step] >= level:
            i += step
        if not 0 <= i + step < len(a):
            return x[i], True
        j = i + step  # first point outside: interpolate the crossing
        f = (a[i] - level) / (a[i] - a[j])
        return x[i] + f * (x[j] - x[i]), False

    lo, open_lo = edge(-1)
    hi, open_hi = edge(+1)
    return GoodRange(float(10**lo), float(10**hi), float(round(hi - lo, 12)),
                     open_lo, open_hi)


def summary_rows(results: dict[str, Any], schedule: str,
                 delta: float = DELTA) -> list[Row]:
    """One :class:`Row` per optimizer that ran under ``schedule``, in sweep order."""
    rows = []
    for c in results["candidates"]:
        if c.get("skipped") or not any(
                r["optimizer"] == c["name"] and r["schedule"] == schedule
                for r in results["runs"]):
            continue
        curve = sensitivity(results, c["name"], schedule)
        b = best_index(curve)
        lr = float(curve.lrs[b])
        at_best = [r for r in _runs(results, c["name"], schedule)
                   if math.isclose(r["lr"], lr, rel_tol=1e-9)]
        test = np.array([accuracy(r, "test", results) for r in at_best])
        centre = int(np.argmin(np.abs(np.log(curve.lrs / c["centre_lr"]))))
        rows.append(Row(
            name=c["name"], label=c["label"], schedule=schedule, best_lr=lr,
            best_index=b, at_edge=b in (0, len(curve.lrs) - 1),
            val_mean=float(curve.mean[b]), val_std=float(curve.std[b]),
            test_mean=float(test.mean()),
            test_std=float(test.std(ddof=1)) if len(test) > 1 else 0.0,
            good=good_range(curve.lrs, curve.mean, delta, best=b),
            centre_lr=float(c["centre_lr"]), centre_val=float(curve.mean[centre]),
            step_us=c.get("step_us"), update_us=c.get("update_us"),
            state_bytes=int(c["state_bytes"]), param_bytes=int(c["param_bytes"])))
    return rows


def accuracies(results: dict[str, Any], name: str, schedule: str,
               lr: float) -> dict[str, np.ndarray]:
    """Final accuracy of every seed at one rate: ``{"val": (seeds,), "test": …}``.

    In the order of the seeds; a diverged run counts as guessing (1/K).
    """
    runs = sorted((r for r in _runs(results, name, schedule)
                   if math.isclose(r["lr"], lr, rel_tol=1e-9)),
                  key=lambda r: r["seed"])
    if not runs:
        raise ValueError(f"lr must be a rate of {name!r}'s grid, got {lr}")
    return {part: np.array([accuracy(r, part, results) for r in runs])
            for part in ("val", "test")}


def curves(results: dict[str, Any], name: str, schedule: str,
           lr: float) -> dict[str, Any]:
    """The training curves of every seed at one rate: loss and validation accuracy.

    Returns ``{"steps": checkpoints, "loss": (seeds, points), "val": (seeds,
    points), "diverged": [step or None per seed]}``; points after a divergence
    are NaN.
    """
    task = results["config"]["task"]
    steps = list(range(0, task["steps"] + 1, task["eval_every"]))
    if steps[-1] != task["steps"]:
        steps.append(task["steps"])
    runs = sorted((r for r in _runs(results, name, schedule)
                   if math.isclose(r["lr"], lr, rel_tol=1e-9)),
                  key=lambda r: r["seed"])
    if not runs:
        raise ValueError(f"lr must be a rate of {name!r}'s grid, got {lr}")
    size = results["data"]["sizes"]["val"]
    loss = np.full((len(runs), len(steps)), np.nan)
    val = np.full((len(runs), len(steps)), np.nan)
    for i, r in enumerate(runs):
        k = len(r["curve_loss"])
        loss[i, :k] = [np.nan if v is None else v for v in r["curve_loss"]]
        val[i, :k] = np.array(r["curve_val"]) / size
    return {"steps": np.array(steps), "loss": loss, "val": val,
            "diverged": [r["diverged_at"] for r in runs]}


def best_runs(results: dict[str, Any], schedule: str,
              delta: float = DELTA) -> dict[str, dict[str, Any]]:
    """The training curves of every optimizer at its chosen rate under ``schedule``."""
    return {row.name: curves(results, row.name, schedule, row.best_lr)
            for row in summary_rows(results, schedule, delta)}
