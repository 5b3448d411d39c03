"""Explorers of the loss scale: loss × k for each optimizer, and float16 with a
loss scale S.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from descent import plots

from .encoding import EXPLORER_BUDGET_BYTES, FRAME_BUDGET_BYTES
from .render import _SceneAdapter
from .summary import _format_table, format_number, format_value
from .widget import Explorer, explorer

#: The three runs of every frame of :func:`loss_scale_explorer`.
SCALE_RUNS = ("k = 1", "loss × k", "lr × k")


class _ScaledLoss:
    """``objective`` with every gradient multiplied by k; ``value`` stays L."""

    def __init__(self, objective: Any, k: float):
        self.objective, self.k = objective, float(k)

    def value(self, p):
        return self.objective.value(p)

    def grad(self, p):
        return self.k * self.objective.grad(p)

    def __getattr__(self, name: str) -> Any:
        if name == "objective":
            raise AttributeError(name)
        return getattr(self.objective, name)


def _excess(traj: Any) -> Any:
    """The trajectory with its loss replaced by the excess loss (floored > 0)."""
    return dataclasses.replace(traj, loss=np.maximum(traj.gap, 1e-16))


def loss_scale_explorer(
    objective: Any,
    opts: Mapping[str, Any],
    ks: Sequence[float],
    *,
    steps: int = 200,
    start: Any = None,
    axis_labels: tuple[str, str] | None = None,
    initial: Mapping[str, Any] | None = None,
    figsize: tuple[float, float] = (7.2, 3.2),
    dpi: float = 110,
    colors: int | None = 64,
    title: str | None = None,
    max_frame_bytes: int = FRAME_BUDGET_BYTES,
    max_total_bytes: int = EXPLORER_BUDGET_BYTES,
) -> Explorer:
    """Loss × k against lr × k, for each optimizer in ``opts`` and each k in ``ks``.

    ``objective`` has ``value``, ``grad``, ``minima`` and ``start`` (a landscape or
    :class:`descent.regression.LineFit`); ``opts`` maps a name to an optimizer of
    :mod:`descent.optim` (not clipped). Every frame runs ``steps`` steps from
    ``start``: "k = 1" (the optimizer on L), "loss × k" (the same optimizer on
    k·L: every gradient times k) and "lr × k" (the optimizer with its learning
    rate times k, on L). The paths are drawn on the contours of L and the excess
    loss L − L* of all three against the step; ``axis_labels`` names the two
    parameters (e.g. ``("$w$", "$b$")``).

    The printed table gives, per frame, the largest parameter difference between
    "loss × k" and "lr × k", and between "loss × k" and "k = 1" (``div`` if one of
    them diverged), and the final excess loss of "loss × k".
    """
    from descent import optim, run

    steps = int(steps)
    if steps < 1:
        raise ValueError(f"steps must be an integer >= 1, got {steps!r}")
    if not opts:
        raise ValueError("opts must name at least one optimizer")
    for name, opt in opts.items():
        if str(getattr(opt, "name", "")) not in optim.OPTIMIZERS:
            raise ValueError(f"opts[{name!r}] must be a descent.optim optimizer "
                             f"(not clipped), got {getattr(opt, 'name', opt)!r}")
    ks = [float(k) for k in ks]
    if not ks or min(ks) <= 0 or not np.all(np.isfinite(ks)):
        raise ValueError(f"ks must be non-empty, finite and > 0, got {ks}")
    start = np.asarray(objective.start if start is None else start, float)
    cache: dict[tuple[str, float], dict[str, Any]] = {}

    def runs(name: str, k: float) -> dict[str, Any]:
        key = (name, float(k))
        if key not in cache:
            opt = opts[name]
            base = cache.get((name, 1.0), {}).get("k = 1")
            if base is None:
                base = run.run(opt, objective, start, steps, name="k = 1")
            lr_k = optim.OPTIMIZERS[opt.name](**{**opt.hyper,
                                                 "lr": opt.hyper["lr"] * k})
            cache[key] = {
                "k = 1": base,
                "loss × k": run.run(opt, _ScaledLoss(objective, k), start, steps,
                                    name="loss × k"),
                "lr × k": run.run(lr_k, objective, start, steps, name="lr × k"),
            }
        return cache[key]

    for name in opts:
        for k in ks:
            runs(name, k)
    gaps = np.concatenate([np.maximum(t.gap, 1e-16) for r in cache.values()
                           for t in r.values()])
    hi = min(float(gaps.max()), 100 * float(np.max(np.maximum(
        [r["k = 1"].gap[0] for r in cache.values()], 1e-16))))
    lo = max(float(gaps.min()), hi * 1e-14)
    scene = plots.TrajectoryScene(objective, list(SCALE_RUNS), steps=steps,
                                  loss_range=(lo / 2, hi * 2))

    def frame(optimizer: str, k: float) -> tuple[dict[str, Any], str]:
        trajs = {n: _excess(t) for n, t in runs(optimizer, k).items()}
        return trajs, f"{optimizer}: loss × k vs lr × k, k = {format_value(k)}"

    adapter = _SceneAdapter(scene, frame)
    setup = adapter.setup

    def setup_dashed(fig: Any) -> None:
        setup(fig)
        for part in ("path", "loss"):
            scene.artists["lr × k"][part].set_linestyle((0, (3, 2)))
            scene.artists["k = 1"][part].set_color("#9a9a9a")
        scene.ax_loss.set_ylabel(r"excess loss $L(\theta_t) - L^*$")
        if axis_labels is not None:
            scene.ax_path.set_xlabel(axis_labels[0])
            scene.ax_path.set_ylabel(axis_labels[1])
        scene.ax_loss.legend(loc="upper right", fontsize=7, handlelength=2)

    adapter.setup = setup_dashed

    def gap(a: Any, b: Any) -> Any:
        if a.diverged or b.diverged:
            return "div"
        return float(np.max(np.abs(a.params - b.params)))

    def table(optimizer: str, k: float) -> dict[str, Any]:
        r = runs(optimizer, k)
        scaled = r["loss × k"]
        return {
            "|loss×k − lr×k|": gap(scaled, r["lr × k"]),
            "|loss×k − k=1|": gap(scaled, r["k = 1"]),
            "excess loss": (f"div@{scaled.diverged_at}" if scaled.diverged
                            else float(scaled.gap[-1])),
        }

    def summary(optimizer: str, k: float) -> str:
        rows = [(n, {"final excess loss": (f"div@{t.diverged_at}" if t.diverged
                                           else float(t.gap[-1])),
                     "dist to min": float(t.distance[-1])})
                for n, t in runs(optimizer, k).items()]
        return (f"{optimizer}, k = {format_value(k)}, {steps} steps\n"
                + _format_table(rows))

    return explorer(
        adapter, {"optimizer": list(opts), "k": ks},
        labels={"optimizer": "optimizer", "k": "loss scale k"}, initial=initial,
        figsize=figsize, dpi=dpi, colors=colors, title=title, summary=summary,
        table=table, max_frame_bytes=max_frame_bytes, max_total_bytes=max_total_bytes)


def float16_explorer(
    model: Any,
    params: Sequence[np.ndarray],
    X: Any,
    y: Any,
    scales: Mapping[str, float] | Sequence[float],
    weights: Sequence[float],
    *,
    dtype: Any = None,
    initial: Mapping[str, Any] | None = None,
    xlim: tuple[float, float] = (-14.0, 4.0),
    bins: int = 54,
    figsize: tuple[float, float] = (6.4, 2.9),
    dpi: float = 110,
    colors: int | None = 64,
    title: str | None = None,
    max_frame_bytes: int = FRAME_BUDGET_BYTES,
    max_total_bytes: int = EXPLORER_BUDGET_BYTES,
) -> Explorer:
    """Loss scale S × gradient size c: what float16 backpropagation keeps.

    For every loss scale S in ``scales`` and loss weight c in ``weights`` (the
    objective is c·L, so every gradient is c times that of L), one float16
    backward pass of ``model`` (:func:`descent.nets.half_backprop` of the loss
    S·c·L) is compared with float64 backpropagation. Each frame shows
    the histogram of the exact gradient entries |c·g| and, shaded, what float16
    does to them once multiplied by S (:func:`descent.plots.plot_float_range`),
    with the shares measured in the float16 pass: entries lost to underflow (0
    where float64 has a non-zero value), subnormal entries, non-finite entries;
    any non-finite entry skips the step.
    """
    from descent import amp, nets

    dt = amp.FLOAT16 if dtype is None else amp._float_format(dtype)
    options = list(scales.items()) if isinstance(scales, Mapping) else [
        (format_value(s), s) for s in scales]
    scale_values = [float(v) for _, v in options]
    weights = [float(c) for c in weights]
    if not options or not weights or min(scale_values + weights) <= 0:
        raise ValueError(f"scales and weights must be non-empty and > 0, got "
                         f"{scale_values}, {weights}")
    params64 = [np.asarray(p, dtype=np.float64) for p in params]
    ref = model.backprop(params64, X, y).grads
    ref_all = np.concatenate([g.ravel() for g in ref])
    nonzero = ref_all != 0
    lim = amp.limits(dt)
    measured: dict[tuple[float, float], tuple[Any, bool]] = {}

    def measure(scale: float, c: float) -> tuple[Any, bool]:
        key = (float(scale), float(c))
        if key not in measured:
            half = nets.half_backprop(model, params64, X, y, scale=scale, dtype=dt,
                                      loss_weight=c)
            g = np.concatenate([h.astype(np.float64).ravel() for h in half.grads])
            n = max(int(np.count_nonzero(nonzero)), 1)
            finite = np.isfinite(g)
            lost = np.count_nonzero((g == 0) & nonzero) / n
            bad = np.count_nonzero(~finite & nonzero) / n
            sub = np.count_nonzero(finite & (g != 0)
                                   & (np.abs(g) < lim.smallest_normal)) / n
            report = amp.RangeReport(lost, sub, 1 - lost - bad - sub, bad, n)
            measured[key] = (report, bool(bad > 0 or not finite.all()))
        return measured[key]

    for s in scale_values:
        for c in weights:
            measure(s, c)

    edges = np.linspace(float(xlim[0]), float(xlim[1]), int(bins) + 1)
    counts, _ = np.histogram(np.log10(np.abs(ref_all[nonzero])), bins=edges)
    scene = plots.FloatRangeScene(dt, xlim=xlim, bins=bins,
                                  ymax=1.15 * float(counts.max()) / len(ref_all))

    def frame(scale: float, c: float) -> tuple[Any, str]:
        report, skip = measure(scale, c)
        return (c * ref_all, scale, report), (
            f"loss x c, c = {format_value(c)}; S = {format_value(scale)}: "
            + ("step skipped" if skip else "step taken"))

    def table(scale: float, c: float) -> dict[str, Any]:
        report, skip = measure(scale, c)
        return {"lost": report.underflow, "subnormal": report.subnormal,
                "non-finite": report.overflow, "step": "skipped" if skip else "taken"}

    def summary(scale: float, c: float) -> str:
        report, skip = measure(scale, c)
        return (f"{lim.name} backward pass, loss x c with c = {format_value(c)}, "
                f"S = {format_value(scale)}: lost {format_number(report.underflow)}, "
                f"subnormal {format_number(report.subnormal)}, non-finite "
                f"{format_number(report.overflow)}; step "
                + ("skipped" if skip else "taken"))

    return explorer(
        _SceneAdapter(scene, frame), {"scale": dict(options), "c": weights},
        labels={"scale": "loss scale S", "c": "gradient size c"}, initial=initial,
        figsize=figsize, dpi=dpi, colors=colors, title=title, summary=summary,
        table=table, max_frame_bytes=max_frame_bytes, max_total_bytes=max_total_bytes)
