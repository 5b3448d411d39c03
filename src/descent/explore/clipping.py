"""Explorers of gradient clipping: SGD with and without it, and Adam.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from descent import plots

from .encoding import EXPLORER_BUDGET_BYTES, FRAME_BUDGET_BYTES
from .render import _SceneAdapter
from .summary import _format_table, format_value
from .widget import Explorer, explorer

#: Colours of the runs of :func:`clip_explorer` ("clip by norm" is SGD with its
#: gradient clipped by norm), as :func:`descent.plots.color_for` gives them.
CLIP_RUN_COLORS: dict[str, str] = {
    name: plots.color_for(name) for name in ("sgd", "clip by norm", "adam")
}


def clip_explorer(
    objective: Any,
    *,
    lrs: Sequence[float],
    max_norms: Sequence[float],
    steps: int = 150,
    start: Any = None,
    span: tuple[float, float] | None = None,
    resolution: int = 400,
    xlabel: str = r"$w$",
    initial: Mapping[str, Any] | None = None,
    figsize: tuple[float, float] = (7.2, 3.0),
    dpi: float = 110,
    colors: int | None = 64,
    title: str | None = None,
    max_frame_bytes: int = FRAME_BUDGET_BYTES,
    max_total_bytes: int = EXPLORER_BUDGET_BYTES,
) -> Explorer:
    """SGD with and without gradient clipping, and Adam, on a loss of one parameter.

    ``objective`` has ``value(θ)`` and ``grad(θ)`` for θ of shape ``(1,)`` (e.g.
    :class:`descent.nets.BatchLoss` of the scalar :class:`~descent.nets.LinearRNN`).
    For every learning rate η in ``lrs`` and threshold c in ``max_norms`` three
    runs of ``steps`` steps start from ``start``: "sgd" (η), "clip by norm" (SGD
    with η on gradients clipped to norm c, so no step is longer than ηc) and
    "adam" (η). Each frame shows the loss curve over ``span`` with the iterates on
    it, and the loss against the step; the axes are the same in every frame. A run
    that diverges stops there and says so (:func:`descent.run.run`).

    The printed summary gives the shown frame's runs, then the final loss of every
    run over the grid (``div@k`` when it diverged at step k).
    """
    from descent import optim, run

    if int(steps) < 1:
        raise ValueError(f"steps must be an integer >= 1, got {steps!r}")
    steps = int(steps)
    start = np.asarray(getattr(objective, "start", None) if start is None else start,
                       dtype=float).reshape(-1)
    if start.shape != (1,):
        raise ValueError(f"start must hold one parameter, got shape {start.shape}")
    lrs = [float(v) for v in lrs]
    max_norms = [float(v) for v in max_norms]
    if not lrs or not max_norms or min(lrs + max_norms) <= 0:
        raise ValueError(f"lrs and max_norms must be non-empty and > 0, got "
                         f"{lrs}, {max_norms}")
    minima = getattr(objective, "minima", None)
    points = [start[0]] + ([] if minima is None else
                           [float(m) for m in np.asarray(minima).reshape(-1)])
    if span is None:
        lo, hi = min(points), max(points)
        pad = 0.5 * (hi - lo) or 0.5
        span = (lo - pad, hi + pad)
    xs = np.linspace(float(span[0]), float(span[1]), int(resolution))
    fs = np.array([objective.value(np.array([x])) for x in xs])

    cache: dict[tuple[str, float, float | None], Any] = {}

    def runs(lr: float, max_norm: float) -> dict[str, Any]:
        out = {}
        for name, c in (("sgd", None), ("clip by norm", max_norm), ("adam", None)):
            key = (name, lr, c)
            if key not in cache:
                opt = (optim.adam(lr) if name == "adam" else
                       optim.sgd(lr) if c is None else
                       optim.clip_by_global_norm(optim.sgd(lr), c))
                cache[key] = run.run(opt, objective, start, steps, name=name)
            out[name] = cache[key]
        return out

    for lr in lrs:
        for c in max_norms:
            runs(lr, c)
    f0 = float(objective.value(start))
    kept = np.concatenate([t.loss for t in cache.values()])
    kept = kept[kept > 0]
    floor = max(float(kept.min()) if kept.size else f0 * 1e-12, f0 * 1e-16)
    loss_lim = (floor / 3, f0 * 1e3)

    def frame(lr: float, max_norm: float) -> tuple[dict[str, Any], str]:
        title = (rf"$\eta$ = {format_value(float(lr))}, clip threshold "
                 rf"$c$ = {format_value(float(max_norm))} (max step $\eta c$ = "
                 rf"{format_value(float(lr) * float(max_norm))})")
        return runs(float(lr), float(max_norm)), title

    scene = _SceneAdapter(plots.LossCurveScene(
        xs, fs, list(CLIP_RUN_COLORS), steps=steps, loss_range=loss_lim,
        colors=CLIP_RUN_COLORS, xlabel=xlabel), frame)

    def summary(lr: float, max_norm: float) -> str:
        return run.summarise(runs(float(lr), float(max_norm)))

    def final(t: Any) -> Any:
        return f"div@{t.diverged_at}" if t.diverged_at is not None else t.final_loss

    rows = []
    for lr in lrs:
        row: dict[str, Any] = {"sgd": final(runs(lr, max_norms[0])["sgd"]),
                               "adam": final(runs(lr, max_norms[0])["adam"])}
        for c in max_norms:
            row[f"clip c={format_value(c)}"] = final(runs(lr, c)["clip by norm"])
        rows.append((f"lr = {format_value(lr)}", row))
    ex = explorer(scene, {"lr": lrs, "max_norm": max_norms},
                  labels={"lr": "learning rate", "max_norm": "clip threshold c"},
                  initial=initial, figsize=figsize, dpi=dpi, colors=colors,
                  title=title, summary=summary,
                  max_frame_bytes=max_frame_bytes, max_total_bytes=max_total_bytes)
    ex.summary_text = (ex.summary_text + f"\n\nfinal loss after {steps} steps over "
                       "the grid\n" + _format_table(rows))
    return ex
