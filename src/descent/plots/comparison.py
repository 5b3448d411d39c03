"""Figures of an optimizer comparison: accuracy against the learning rate, the
spread over seeds, training curves, and the cost of a step.

The data are plain: per optimizer name, arrays of rates and accuracies (e.g. the
:class:`descent.sweep.analysis.Sensitivity` of a sweep), or one number each.
Nothing non-finite is drawn.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from matplotlib.axes import Axes

from descent.plots.style import color_for

#: Markers that tell optimizers apart where colours are close.
_MARKERS = ("o", "s", "^", "D", "v", "P", "X", "<", ">", "h", "*", "p", "d", "H")


def _label(name: str, labels: Mapping[str, str] | None) -> str:
    return (labels or {}).get(name, name)


def plot_lr_sensitivity(
    ax: Axes,
    curves: Mapping[str, Any],
    *,
    labels: Mapping[str, str] | None = None,
    best: Mapping[str, float] | None = None,
    relative: bool = False,
    chance: float | None = None,
    band: bool = True,
    legend: bool = True,
) -> dict[str, Any]:
    """Mean accuracy over seeds against the learning rate, one line per optimizer.

    ``curves`` maps each optimizer name to an object with arrays ``lrs``, ``mean``
    and (for the band from the worst to the best seed) ``low`` and ``high``.
    ``best`` maps names to their chosen rate, marked with a filled marker; with
    ``relative=True`` the x axis is the rate divided by the chosen one, so the
    widths of the curves compare directly. ``chance`` draws the accuracy of
    guessing as a dotted line. Returns ``{name: line}``.
    """
    out = {}
    best = dict(best or {})
    for k, (name, c) in enumerate(curves.items()):
        lrs = np.asarray(c.lrs, dtype=float)
        mean = np.asarray(c.mean, dtype=float)
        ok = np.isfinite(mean) & (lrs > 0)
        scale = best.get(name, 1.0) if relative else 1.0
        x = lrs[ok] / scale
        color = color_for(name)
        marker = _MARKERS[k % len(_MARKERS)]
        (line,) = ax.plot(x, mean[ok], color=color, marker=marker, markersize=3.5,
                          label=_label(name, labels))
        if band and hasattr(c, "low") and hasattr(c, "high"):
            low = np.asarray(c.low, dtype=float)[ok]
            high = np.asarray(c.high, dtype=float)[ok]
            ax.fill_between(x, low, high, color=color, alpha=0.12, linewidth=0)
        if name in best:
            i = int(np.argmin(np.abs(np.log(lrs / best[name]))))
            if ok[i]:
                ax.plot(lrs[i] / scale, mean[i], marker=marker, markersize=7,
                        color=color, markeredgecolor="black", markeredgewidth=0.6,
                        linestyle="none", label="_best")
        out[name] = line
    if chance is not None:
        ax.axhline(chance, color="0.5", linestyle=":", linewidth=1, label="_chance")
    ax.set_xscale("log")
    ax.set_xlabel(r"$\eta\,/\,\eta^*$ (chosen rate)" if relative
                  else r"learning rate $\eta$")
    ax.set_ylabel("validation accuracy")
    ax.set_ylim(0, 1.0)
    if legend and out:
        ax.legend(loc="lower center", fontsize=7, ncol=2)
    return out


def plot_seed_spread(
    ax: Axes,
    results: Mapping[str, Mapping[str, Sequence[float]]],
    *,
    labels: Mapping[str, str] | None = None,
    markers: Sequence[str] = ("o", "x", "s", "^"),
    xlabel: str | None = None,
) -> dict[str, Any]:
    """Accuracy of every seed, one row per optimizer, one marker per kind of run.

    ``results`` maps names to ``{kind: accuracies per seed}`` (e.g. ``"val"`` and
    ``"test"`` at the chosen rate, or two schedules); every name has the same
    kinds. Each optimizer gets a row: one point per seed, kinds side by side
    with their own marker, and a bar at each mean. Returns ``{name: artists per
    kind}``.
    """
    out = {}
    names = list(results)
    kinds = list(results[names[0]]) if names else []
    offsets = np.linspace(0.15, -0.15, len(kinds)) if len(kinds) > 1 else [0.0]
    for row, name in enumerate(names):
        color = color_for(name)
        drawn = []
        for kind, marker, dy in zip(kinds, markers, offsets, strict=False):
            acc = np.asarray(results[name][kind], dtype=float)
            acc = acc[np.isfinite(acc)]
            y = np.full(acc.shape, row + dy)
            pts = ax.plot(acc, y, marker=marker, linestyle="none", color=color,
                          markersize=4, alpha=0.8)
            if acc.size:
                pts += ax.plot([acc.mean()] * 2, [row + dy - 0.1, row + dy + 0.1],
                               color=color, linewidth=2)
            drawn.append(pts)
        out[name] = tuple(drawn)
    ax.set_yticks(range(len(names)), [_label(n, labels) for n in names])
    ax.set_ylim(len(names) - 0.5, -0.5)
    legend = ", ".join(f"{m} {k}" for k, m in zip(kinds, markers, strict=False))
    ax.set_xlabel(xlabel or f"accuracy of each seed ({legend}; bar = mean)")
    ax.grid(axis="x")
    return out


def plot_bars(
    ax: Axes,
    values: Mapping[str, float | None],
    *,
    labels: Mapping[str, str] | None = None,
    xlabel: str = "",
    fmt: str = "{:.0f}",
) -> dict[str, Any]:
    """One horizontal bar per optimizer, its value written beside it.

    Missing values (None or non-finite) get no bar and the text "n/a".
    """
    out = {}
    names = list(values)
    finite = [v for v in values.values() if v is not None and np.isfinite(v)]
    top = max(finite) if finite else 1.0
    for row, name in enumerate(names):
        v = values[name]
        if v is None or not np.isfinite(v):
            ax.text(0, row, " n/a", va="center", fontsize=7)
            continue
        (bar,) = ax.barh(row, v, color=color_for(name), height=0.6)
        ax.text(v + 0.01 * top, row, fmt.format(v), va="center", fontsize=7)
        out[name] = bar
    ax.set_yticks(range(len(names)), [_label(n, labels) for n in names])
    ax.set_ylim(len(names) - 0.5, -0.5)
    ax.set_xlim(0, 1.18 * top)
    ax.set_xlabel(xlabel)
    return out


def plot_training_curves(
    ax_loss: Axes,
    ax_acc: Axes,
    runs: Mapping[str, Mapping[str, Any]],
    *,
    colors: Mapping[str, str] | None = None,
    styles: Mapping[str, str] | None = None,
    loss_range: tuple[float, float] | None = None,
    acc_range: tuple[float, float] = (0.0, 1.0),
) -> dict[str, Any]:
    """Training loss and validation accuracy against the step, every seed.

    ``runs`` maps a label to ``{"steps", "loss": (seeds, points), "val": (seeds,
    points), "diverged": [...]}`` (:func:`descent.sweep.analysis.curves`): one
    thin line per seed and a thick one for the mean over the seeds still
    running. A seed that diverged ends with an ``x``. ``colors`` and ``styles``
    (line styles) per label; the loss axis is logarithmic.
    """
    out = {}
    for name, r in runs.items():
        color = (colors or {}).get(name) or color_for(name)
        style = (styles or {}).get(name, "-")
        steps = np.asarray(r["steps"], dtype=float)
        drawn = []
        for ax, key in ((ax_loss, "loss"), (ax_acc, "val")):
            ys = np.atleast_2d(np.asarray(r[key], dtype=float))
            for y, div in zip(ys, r.get("diverged", [None] * len(ys)), strict=True):
                ok = np.isfinite(y) & (y > 0 if key == "loss" else True)
                if not ok.any():
                    continue
                ax.plot(steps[ok], y[ok], color=color, linestyle=style, linewidth=0.6,
                        alpha=0.45)
                if div is not None:
                    last = np.flatnonzero(ok)[-1]
                    ax.plot(steps[last], y[last], marker="x", color=color,
                            markersize=6, markeredgewidth=1.5, linestyle="none")
            alive = np.isfinite(ys).all(axis=0)
            if alive.any():
                (line,) = ax.plot(steps[alive], ys[:, alive].mean(axis=0), color=color,
                                  linestyle=style, linewidth=1.8, label=name)
                drawn.append(line)
        out[name] = drawn
    ax_loss.set_yscale("log")
    if loss_range is not None:
        ax_loss.set_ylim(*loss_range)
    ax_loss.set_xlabel("steps taken")
    ax_loss.set_ylabel("training loss")
    ax_acc.set_ylim(*acc_range)
    ax_acc.set_xlabel("steps taken")
    ax_acc.set_ylabel("validation accuracy")
    return out


class TrainingCurvesScene:
    """A persistent two-panel figure of training runs, for explorers (blitted).

    Left, the training loss (logarithmic, fixed ``loss_range``); right, the
    validation accuracy (fixed ``acc_range``), both against the step. For each
    kind of run (e.g. a schedule, drawn in its line style) there are ``seeds``
    thin lines and one thick line for their mean over the seeds still running;
    an ``x`` marks where a seed diverged. :meth:`draw` only moves data and
    colours into these artists. Used by
    :func:`descent.explore.comparison_explorer`.
    """

    def __init__(
        self,
        kinds: Sequence[str],
        *,
        seeds: int,
        steps: int,
        loss_range: tuple[float, float],
        styles: Mapping[str, str] | None = None,
        chance: float | None = None,
        acc_range: tuple[float, float] = (0.0, 1.0),
    ) -> None:
        lo, hi = (float(v) for v in loss_range)
        if not (np.isfinite(lo) and np.isfinite(hi) and 0 < lo < hi):
            raise ValueError(f"loss_range must satisfy 0 < low < high, got "
                             f"{loss_range!r}")
        if int(seeds) < 1 or int(steps) < 1 or not kinds:
            raise ValueError("kinds must not be empty; seeds and steps must be >= 1")
        self.kinds = [str(k) for k in kinds]
        self.seeds = int(seeds)
        self.steps = int(steps)
        self.loss_range = (lo, hi)
        self.acc_range = tuple(float(v) for v in acc_range)
        self.styles = {k: (styles or {}).get(k, "-") for k in self.kinds}
        self.chance = chance
        self.artists: dict[str, dict[str, Any]] = {}
        self.title = None

    def setup(self, fig: Any) -> None:
        """Draw the axes, the legend and the guessing line; create empty lines."""
        from matplotlib.lines import Line2D

        ax_loss, ax_acc = fig.subplots(1, 2)
        ax_loss.set_yscale("log")
        ax_loss.set_ylim(*self.loss_range)
        ax_loss.set_ylabel("training loss")
        ax_acc.set_ylim(*self.acc_range)
        ax_acc.set_ylabel("validation accuracy")
        for ax in (ax_loss, ax_acc):
            ax.set_xlim(-0.02 * self.steps, 1.02 * self.steps)
            ax.set_xlabel("steps taken")
        if self.chance is not None:
            ax_acc.axhline(self.chance, color="0.5", linestyle=":", linewidth=1)
        for kind in self.kinds:
            style = self.styles[kind]
            made: dict[str, Any] = {}
            for key, ax in (("loss", ax_loss), ("val", ax_acc)):
                made[key] = [ax.plot([], [], linestyle=style, linewidth=0.6, alpha=0.45,
                                     animated=True)[0] for _ in range(self.seeds)]
                made[key + "_mean"] = ax.plot([], [], linestyle=style, linewidth=1.8,
                                              animated=True)[0]
                made[key + "_x"] = ax.plot([], [], marker="x", markersize=6,
                                           markeredgewidth=1.5, linestyle="none",
                                           animated=True)[0]
            self.artists[kind] = made
        proxies = [Line2D([], [], color="0.3", linestyle=self.styles[k], label=k)
                   for k in self.kinds]
        ax_acc.legend(handles=proxies, loc="lower right", fontsize=7)
        self.title = fig.suptitle(" ", fontsize=9, animated=True)

    def draw(self, runs: Mapping[str, Mapping[str, Any]], *, color: str,
             title: str = "") -> list[Any]:
        """Show ``runs`` (kind → :func:`descent.sweep.analysis.curves` data) in
        ``color``; returns the changed artists."""
        if self.title is None:
            raise RuntimeError("call setup(fig) before draw()")
        changed: list[Any] = []
        for kind, made in self.artists.items():
            r = runs.get(kind)
            for key in ("loss", "val"):
                ys = (np.zeros((0, 0)) if r is None
                      else np.atleast_2d(np.asarray(r[key], dtype=float)))
                steps = (np.zeros(0) if r is None
                         else np.asarray(r["steps"], dtype=float))
                marks_x, marks_y = [], []
                diverged = [None] * len(ys) if r is None else r.get(
                    "diverged", [None] * len(ys))
                for i, line in enumerate(made[key]):
                    y = ys[i] if i < len(ys) else np.zeros(0)
                    ok = np.isfinite(y) & ((y > 0) if key == "loss" else True)
                    line.set_data(steps[ok] if len(y) else [], y[ok] if len(y) else [])
                    line.set_color(color)
                    changed.append(line)
                    if len(y) and ok.any() and i < len(diverged) and \
                            diverged[i] is not None:
                        last = np.flatnonzero(ok)[-1]
                        marks_x.append(steps[last])
                        marks_y.append(y[last])
                alive = np.isfinite(ys).all(axis=0) if ys.size else np.zeros(0, bool)
                mean = made[key + "_mean"]
                if alive.any():
                    mean.set_data(steps[alive], ys[:, alive].mean(axis=0))
                else:
                    mean.set_data([], [])
                mean.set_color(color)
                made[key + "_x"].set_data(marks_x, marks_y)
                made[key + "_x"].set_color(color)
                changed += [mean, made[key + "_x"]]
        self.title.set_text(title)
        changed.append(self.title)
        return changed
