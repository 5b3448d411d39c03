"""Explorers of learning-rate schedules: shape × base rate, warm-up × peak rate.

Both draw the rate η_t (left) beside the loss it produces (right), so a reader sees
the cause and the effect in one frame, and both print the numbers of every frame.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np

from descent import plots

from .encoding import EXPLORER_BUDGET_BYTES, FRAME_BUDGET_BYTES
from .summary import _format_table, format_number, format_value
from .widget import Explorer, explorer


class _Frames:
    """A :class:`~descent.explore.Scene` from a RateLossScene and a frame function."""

    def __init__(self, scene: Any, frame: Callable[..., dict[str, Any]]) -> None:
        self.scene, self.frame = scene, frame

    def setup(self, fig: Any) -> None:
        self.scene.setup(fig)

    def update(self, **values: Any) -> list[Any]:
        return self.scene.draw(**self.frame(**values))


def _check_grid(name: str, values: Sequence[Any], positive: bool = True) -> list:
    values = list(values)
    if not values:
        raise ValueError(f"{name} must hold at least one value")
    if positive and min(values) <= 0:
        raise ValueError(f"{name} must be > 0, got {values}")
    return values


def _log_limits(arrays: Sequence[np.ndarray], pad: float = 1.6,
                span: float = 1e6) -> tuple[float, float]:
    """A log axis holding every positive value, at most ``span`` decades tall
    (the lowest values are cut)."""
    values = np.concatenate([a[np.isfinite(a) & (a > 0)] for a in arrays] or [[1.0]])
    if values.size == 0:
        return 0.1, 10.0
    top = float(values.max())
    return max(float(values.min()), top / span) / pad, top * pad


def schedule_explorer(
    noisy: Callable[[np.random.Generator], Any],
    factory: Callable[[Any], Any],
    shapes: Mapping[str, Callable[[float], Any]],
    lrs: Sequence[float],
    *,
    steps: int = 2000,
    seed: int = 0,
    floor: Callable[[float], float] | None = None,
    window: int = 25,
    tail: int = 100,
    initial: Mapping[str, Any] | None = None,
    figsize: tuple[float, float] = (7.6, 2.9),
    dpi: float = 100,
    colors: int | None = 64,
    title: str | None = None,
    max_frame_bytes: int = FRAME_BUDGET_BYTES,
    max_total_bytes: int = EXPLORER_BUDGET_BYTES,
) -> Explorer:
    """Schedule shape × base rate on a noisy problem: the rate and the loss together.

    For every shape (a label and a function base rate η → schedule, or → η itself
    for a constant rate) and every η in ``lrs``, the optimizer ``factory(schedule)``
    runs ``steps`` steps on ``noisy(np.random.default_rng(seed))``: every run sees
    the same sequence of minibatches, so the frames differ only by the schedule.
    ``shapes`` must contain ``"constant"``, the reference drawn in grey in every
    frame. Left: η_t of the shape and of the constant rate. Right: the excess loss
    (moving average of ``window`` steps) of both runs, with ``floor(η)`` (a
    predicted noise floor of the constant rate) as a dotted line if given.

    The printed summary gives, for every shape and rate, the mean excess loss of
    the last ``tail`` steps (``div@k`` when the run diverged at step k).
    """
    from descent import run, schedules

    if "constant" not in shapes:
        raise ValueError("shapes must contain 'constant', the reference rate")
    lrs = [float(v) for v in _check_grid("lrs", lrs)]
    steps = int(steps)
    if steps < max(window, tail, 2):
        raise ValueError(f"steps must be >= window and tail, got {steps}")

    def schedule_of(shape: str, lr: float):
        return shapes[shape](lr)

    def rates_of(shape: str, lr: float) -> np.ndarray:
        s = schedule_of(shape, lr)
        return (schedules.lr_curve(s, steps) if callable(s)
                else np.full(steps, float(s)))

    runs = {(shape, lr): run.run(factory(schedule_of(shape, lr)),
                                 noisy(np.random.default_rng(seed)), steps=steps,
                                 name=shape)
            for shape in shapes for lr in lrs}
    rates = {key: rates_of(*key) for key in runs}
    rate_lim = _log_limits(list(rates.values()), span=1e4)
    gaps = [plots.moving_average(t.gap, window) for t in runs.values()]
    loss_lim = _log_limits(gaps + ([np.array([floor(lr) for lr in lrs])]
                                   if floor else []))

    def tail_mean(t) -> Any:
        if t.diverged:
            return f"div@{t.diverged_at}"
        return float(np.mean(t.gap[-tail:]))

    grey = plots.SCHEDULE_COLORS["constant"]

    def frame(shape: str, lr: float) -> dict[str, Any]:
        names = ["constant"] if shape == "constant" else ["constant", shape]
        rate_items, loss_items = [], []
        for name in names:
            color = grey if name == "constant" else plots.schedule_color(name)
            ls = "--" if name == "constant" else "-"
            rate_items.append({"y": rates[(name, lr)], "color": color, "ls": ls})
            gap = plots.moving_average(runs[(name, lr)].gap, window)
            loss_items.append({"y": gap, "x": np.arange(window - 1,
                                                        window - 1 + len(gap)),
                               "color": color, "ls": ls})
        value = tail_mean(runs[(shape, lr)])
        text = value if isinstance(value, str) else format_number(value)
        return {"rates": rate_items, "losses": loss_items,
                "floor": floor(lr) if floor else None,
                "titles": (f"{shape} (grey: constant), η = {format_value(lr)}",
                           f"mean of the last {tail} steps: {text}")}

    scene = _Frames(plots.RateLossScene(
        steps=steps, rate_range=rate_lim, loss_range=loss_lim,
        loss_ylabel=f"excess loss (mean of {window} steps)"), frame)

    def summary(shape: str, lr: float) -> str:
        lines = []
        for name in dict.fromkeys(["constant", shape]):
            t = runs[(name, lr)]
            value = tail_mean(t)
            text = value if isinstance(value, str) else format_number(value)
            lines.append(f"{name:<12} excess loss, mean of the last {tail} steps: "
                         f"{text}")
        if floor:
            lines.append(f"predicted noise floor of the constant rate: "
                         f"{format_number(floor(lr))}")
        return "\n".join(lines)

    rows = [(f"η = {format_value(lr)}",
             {shape: tail_mean(runs[(shape, lr)]) for shape in shapes})
            for lr in lrs]
    ex = explorer(scene, {"shape": list(shapes), "lr": lrs},
                  labels={"shape": "schedule", "lr": "base rate η"},
                  initial=initial, figsize=figsize, dpi=dpi, colors=colors,
                  title=title, summary=summary,
                  max_frame_bytes=max_frame_bytes, max_total_bytes=max_total_bytes)
    ex.summary_text = (ex.summary_text + f"\n\nexcess loss, mean of the last {tail} "
                       f"of {steps} steps, over the grid\n" + _format_table(rows))
    return ex


def warmup_explorer(
    model: Any,
    X: np.ndarray,
    y: np.ndarray,
    *,
    lrs: Sequence[float],
    warmups: Sequence[int],
    steps: int = 500,
    decay_steps: int = 100,
    seeds: Sequence[int] = (0, 1),
    factory: Callable[[Any], Any] | None = None,
    initial: Mapping[str, Any] | None = None,
    figsize: tuple[float, float] = (7.6, 2.9),
    dpi: float = 100,
    colors: int | None = 64,
    title: str | None = None,
    max_frame_bytes: int = FRAME_BUDGET_BYTES,
    max_total_bytes: int = EXPLORER_BUDGET_BYTES,
) -> Explorer:
    """Warm-up length × peak rate for an optimizer (Adam by default) on a network.

    For every warm-up length W in ``warmups``, peak rate η in ``lrs`` and seed,
    ``model`` (an :class:`~descent.nets.MLP`) starts from
    ``model.init_params(np.random.default_rng(seed))`` and trains on the full
    batch (X, y) for ``steps`` steps with ``factory(warmup_stable_decay(η, steps,
    W, decay_steps))``. Left: η_t for W and for no warm-up (grey, dashed).
    Right: the loss of every seed, no warm-up in grey. For a ReLU network the
    frame and the summary also give the hidden units that ended dead
    (:meth:`~descent.nets.MLP.dead_units`).

    The printed summary gives, for every η and W, the final loss (mean over the
    seeds) and, for ReLU, the dead units of each seed.
    """
    from descent import nets, optim, schedules

    factory = optim.adam if factory is None else factory
    lrs = [float(v) for v in _check_grid("lrs", lrs)]
    warmups = [int(w) for w in _check_grid("warmups", warmups, positive=False)]
    if min(warmups) < 0:
        raise ValueError(f"warmups must be integers >= 0, got {warmups}")
    seeds = [int(s) for s in _check_grid("seeds", seeds, positive=False)]
    relu = getattr(model, "activation", None) == "relu"
    hidden = sum(model.sizes[1:-1]) if relu else 0

    results = {}
    for w in warmups:
        for lr in lrs:
            sched = schedules.warmup_stable_decay(lr, steps, w, decay_steps)
            for seed in seeds:
                params = model.init_params(np.random.default_rng(seed))
                r = nets.train(model, params, factory(sched), X, y, steps)
                dead = model.dead_units(r.params, X) if relu else None
                results[(w, lr, seed)] = (r, dead)
    rates = {(w, lr): schedules.lr_curve(
        schedules.warmup_stable_decay(lr, steps, w, decay_steps), steps)
        for w in warmups for lr in lrs}
    rate_lim = _log_limits(list(rates.values()), span=1e4)
    loss_lim = _log_limits([r.loss for r, _ in results.values()])
    base = warmups[0]
    warm_color = plots.SCHEDULE_COLORS["warm-up"]

    def final(w: int, lr: float) -> Any:
        rs = [results[(w, lr, s)][0] for s in seeds]
        if any(r.diverged_at is not None for r in rs):
            k = min(r.diverged_at for r in rs if r.diverged_at is not None)
            return f"div@{k}"
        return float(np.mean([r.final_loss for r in rs]))

    def dead_text(w: int, lr: float) -> str:
        return ", ".join(str(results[(w, lr, s)][1]) for s in seeds)

    grey = plots.SCHEDULE_COLORS["constant"]

    def frame(warmup: int, lr: float) -> dict[str, Any]:
        rate_items = [{"y": rates[(base, lr)], "color": grey, "ls": "--"}]
        loss_items = []
        if warmup != base:
            rate_items.append({"y": rates[(warmup, lr)], "color": warm_color})
            loss_items += [{"y": results[(base, lr, s)][0].loss, "color": grey,
                            "ls": "--", "lw": 1.0} for s in seeds]
        loss_items += [{"y": results[(warmup, lr, s)][0].loss, "color": warm_color,
                        "lw": 1.2} for s in seeds]
        right = (f"dead units at the end: {dead_text(warmup, lr)} of {hidden}"
                 if relu else "")
        return {"rates": rate_items, "losses": loss_items,
                "titles": (f"warm-up W = {warmup} (grey: W = {base}), "
                           f"peak η = {format_value(lr)}", right)}

    scene = _Frames(plots.RateLossScene(
        steps=steps, rate_range=rate_lim, loss_range=loss_lim, n_rates=2,
        n_losses=2 * len(seeds), loss_ylabel="training loss"), frame)

    def summary(warmup: int, lr: float) -> str:
        lines = []
        for w in dict.fromkeys([base, warmup]):
            value = final(w, lr)
            text = value if isinstance(value, str) else format_number(value)
            extra = (f", dead units per seed: {dead_text(w, lr)} of {hidden}"
                     if relu else "")
            lines.append(f"W = {w:<5} final loss (mean of {len(seeds)} seeds): "
                         f"{text}{extra}")
        return "\n".join(lines)

    rows = [(f"η = {format_value(lr)}", {f"W = {w}": final(w, lr) for w in warmups})
            for lr in lrs]
    ex = explorer(scene, {"warmup": warmups, "lr": lrs},
                  labels={"warmup": "warm-up steps W", "lr": "peak rate η"},
                  initial=initial, figsize=figsize, dpi=dpi, colors=colors,
                  title=title, summary=summary,
                  max_frame_bytes=max_frame_bytes, max_total_bytes=max_total_bytes)
    text = (f"\n\nfinal loss after {steps} steps (mean of {len(seeds)} seeds) over "
            "the grid\n" + _format_table(rows))
    if relu:
        dead_rows = [(f"η = {format_value(lr)}",
                      {f"W = {w}": dead_text(w, lr) for w in warmups}) for lr in lrs]
        text += (f"\n\ndead units at the end (of {hidden}), one number per seed\n"
                 + _format_table(dead_rows))
    ex.summary_text = ex.summary_text + text
    return ex
