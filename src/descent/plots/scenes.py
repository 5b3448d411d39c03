"""Scenes: persistent figures whose frames only move data, so they can be blitted.

:class:`ProfileScene` shows per-layer profiles (one panel per quantity),
:class:`LossCurveScene` runs on a 1-D loss curve beside their losses. Each has
``setup(fig)``, which draws what never changes, and ``draw(...)``, which moves data
into existing artists and returns them. The scene of paths on a landscape,
:class:`~descent.plots.landscape.TrajectoryScene`, lives with the landscapes.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from matplotlib.ticker import MaxNLocator

from descent.plots.common import _divergence_step, finite_points
from descent.plots.curves import plot_loss_curve
from descent.plots.style import color_for


class ProfileScene:
    """A persistent figure of per-layer profiles: one panel per quantity.

    Each panel shows one line per name (an activation, an optimizer…) against the
    layer 1 … ``n_layers``, on a fixed logarithmic axis ``ylim``; :meth:`draw` only
    moves data into the lines, so frames can be blitted. Used by
    :func:`descent.explore.depth_init_explorer`.

    Args:
        names: the series, coloured by :func:`color_for`.
        panels: ``(ylabel, (ymin, ymax))`` for each panel, left to right.
        n_layers: the largest layer number shown.
        colors: name → colour, for names that should not use :func:`color_for`.
    """

    def __init__(
        self,
        names: Sequence[str],
        panels: Sequence[tuple[str, tuple[float, float]]],
        *,
        n_layers: int,
        xlabel: str = "layer $l$",
        colors: Mapping[str, str] | None = None,
    ) -> None:
        if int(n_layers) < 1:
            raise ValueError(f"n_layers must be an integer >= 1, got {n_layers!r}")
        for ylabel, (lo, hi) in panels:
            if not (np.isfinite(lo) and np.isfinite(hi) and 0 < lo < hi):
                raise ValueError(f"ylim of panel {ylabel!r} must satisfy "
                                 f"0 < ymin < ymax, got {(lo, hi)}")
        if not names or not panels:
            raise ValueError("names and panels must not be empty")
        self.names = [str(n) for n in names]
        self.panels = [(str(label), (float(lo), float(hi)))
                       for label, (lo, hi) in panels]
        self.n_layers = int(n_layers)
        self.xlabel = xlabel
        self.colors = {n: (colors or {}).get(n, color_for(n)) for n in self.names}
        self.lines: list[dict[str, Any]] = []
        self.title = None

    def setup(self, fig: Any) -> None:
        """Draw the axes, grid and legend on ``fig``; create the (empty) lines."""
        axes = np.atleast_1d(fig.subplots(1, len(self.panels)))
        for i, (ax, (ylabel, ylim)) in enumerate(zip(axes, self.panels, strict=True)):
            ax.set_yscale("log")
            ax.set_ylim(*ylim)
            ax.set_xlim(0.5, self.n_layers + 0.5)
            ax.xaxis.set_major_locator(MaxNLocator(integer=True))
            ax.set_xlabel(self.xlabel)
            ax.set_ylabel(ylabel)
            ax.grid(True, which="major", axis="y")
            self.lines.append({
                name: ax.plot([], [], marker="o", markersize=3,
                              color=self.colors[name], label=name, animated=True)[0]
                for name in self.names})
            if i == 0:
                ax.legend(loc="lower right", fontsize=7)
        self.title = fig.suptitle("depth", fontsize=10, animated=True)

    def draw(
        self, profiles: Sequence[Mapping[str, Any]], *, title: str = ""
    ) -> list[Any]:
        """Move one mapping name → per-layer values per panel into the lines.

        Values that are zero or not finite are left out (a log axis cannot show
        them). Returns the changed artists.
        """
        if self.title is None:
            raise RuntimeError("call setup(fig) before draw()")
        if len(profiles) != len(self.panels):
            raise ValueError(f"profiles must hold one mapping per panel "
                             f"({len(self.panels)}), got {len(profiles)}")
        changed: list[Any] = []
        for lines, values in zip(self.lines, profiles, strict=True):
            for name, line in lines.items():
                y = np.asarray(values.get(name, []), dtype=float)
                layers = np.arange(1, len(y) + 1)
                ok = np.isfinite(y) & (y > 0)
                line.set_data(layers[ok], y[ok])
                changed.append(line)
        self.title.set_text(title)
        changed.append(self.title)
        return changed


class LossCurveScene:
    """A persistent two-panel figure: runs on a 1-D loss curve, and their losses.

    Left, the loss against one parameter (the curve ``xs``, ``fs`` drawn once,
    by :func:`plot_loss_curve`) with each run's iterates on it; right, each run's
    loss against the step on the fixed axis ``loss_range``. A run that leaves the
    curve's range or diverges says so at the top left. :meth:`draw` only moves
    data, so frames can be blitted. Used by :func:`descent.explore.clip_explorer`.
    """

    def __init__(
        self,
        xs: Any,
        fs: Any,
        names: Sequence[str],
        *,
        steps: int,
        loss_range: tuple[float, float],
        colors: Mapping[str, str] | None = None,
        xlabel: str = r"$\theta$",
    ) -> None:
        if int(steps) < 1:
            raise ValueError(f"steps must be an integer >= 1, got {steps!r}")
        lo, hi = (float(v) for v in loss_range)
        if not (np.isfinite(lo) and np.isfinite(hi) and 0 < lo < hi):
            raise ValueError(f"loss_range must satisfy 0 < low < high, got "
                             f"{loss_range!r}")
        self.xs = np.asarray(xs, dtype=float)
        self.fs = np.asarray(fs, dtype=float)
        self.names = [str(n) for n in names]
        self.steps = int(steps)
        self.loss_range = (lo, hi)
        self.colors = {n: (colors or {}).get(n, color_for(n)) for n in self.names}
        self.xlabel = xlabel
        self.artists: dict[str, dict[str, Any]] = {}
        self.title = None

    def setup(self, fig: Any) -> None:
        """Draw the curve and the axes on ``fig``; create the (empty) run artists."""
        ax_curve, ax_loss = fig.subplots(1, 2)
        plot_loss_curve(ax_curve, self.xs, self.fs, xlabel=self.xlabel, ylabel="loss")
        ax_curve.grid(True, which="major", axis="y")
        ax_loss.set_yscale("log")
        ax_loss.set_ylim(*self.loss_range)
        ax_loss.set_xlim(0, self.steps)
        ax_loss.set_xlabel("steps taken")
        ax_loss.set_ylabel("loss")
        ax_loss.grid(True, which="major", axis="y")
        for i, name in enumerate(self.names):
            color = self.colors[name]
            self.artists[name] = {
                "path": ax_curve.plot([], [], color=color, lw=0.8, marker="o",
                                      markersize=3, alpha=0.9, zorder=4,
                                      animated=True)[0],
                "note": ax_curve.text(0.02, 0.97 - 0.08 * i, "", fontsize=7,
                                      transform=ax_curve.transAxes, va="top",
                                      color=color, zorder=8, animated=True),
                "loss": ax_loss.plot([], [], color=color, label=name,
                                     animated=True)[0],
            }
        ax_loss.legend(loc="upper right", fontsize=7)
        self.title = fig.suptitle("lr", fontsize=10, animated=True)

    def draw(self, trajs: Mapping[str, Any], *, title: str = "") -> list[Any]:
        """Move the runs (name → :class:`descent.run.Trajectory`) into the artists."""
        if self.title is None:
            raise RuntimeError("call setup(fig) before draw()")
        lo, hi = float(self.xs.min()), float(self.xs.max())
        changed: list[Any] = []
        slot = 0
        for name in self.names:
            a = self.artists[name]
            traj = trajs.get(name)
            if traj is None:
                w = f = np.empty(0)
                k = None
            else:
                f = finite_points(traj.loss)
                w = finite_points(np.asarray(traj.params, dtype=float)[:, 0])
                n = min(len(w), len(f))
                w, f = w[:n], f[:n]
                k = _divergence_step(traj)
            inside = (w >= lo) & (w <= hi)
            left = None if inside.all() else int(np.argmin(inside))
            keep = slice(None) if left is None else slice(0, left)
            a["path"].set_data(w[keep], f[keep])
            a["loss"].set_data(np.arange(len(f)), f)
            parts = [] if left is None else [f"left the plot at step {left}"]
            parts += [] if k is None else [f"diverged at step {k}"]
            a["note"].set_text(f"{name}: " + ", ".join(parts) if parts else "")
            a["note"].set_y(0.97 - 0.08 * slot)
            slot += bool(parts)
            changed.extend(a.values())
        self.title.set_text(title)
        changed.append(self.title)
        return changed
