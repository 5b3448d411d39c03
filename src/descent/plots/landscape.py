"""Landscapes and trajectories: contours of a 2-D objective, optimizers' paths on it.

:func:`plot_landscape` draws the contours, :func:`plot_trajectories` the paths of
several runs over them; :class:`TrajectoryScene` is the same figure (paths and
losses side by side) kept alive between frames, for the explorers. A run that
diverged is drawn up to its last finite point and marked with an ``x`` and
"diverged at step k".
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from matplotlib.axes import Axes
from matplotlib.colors import BoundaryNorm

from descent.plots.common import _divergence_step, _trajs, finite_points
from descent.plots.style import _LANDSCAPE_CMAP, color_for


def _domain(landscape: Any) -> tuple[tuple[float, float], tuple[float, float]]:
    (x0, x1), (y0, y1) = landscape.domain
    return (float(x0), float(x1)), (float(y0), float(y1))


def landscape_grid(
    landscape: Any, resolution: int = 160
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Evaluate ``landscape.value`` on a ``resolution`` × ``resolution`` grid.

    Returns ``(X, Y, Z)`` as for :meth:`matplotlib.axes.Axes.contour`.
    """
    if int(resolution) < 2:
        raise ValueError(f"resolution must be an integer >= 2, got {resolution!r}")
    (x0, x1), (y0, y1) = _domain(landscape)
    xs = np.linspace(x0, x1, int(resolution))
    ys = np.linspace(y0, y1, int(resolution))
    X, Y = np.meshgrid(xs, ys)
    Z = np.asarray(landscape.value(np.stack([X, Y], axis=-1)), dtype=float)
    return X, Y, Z


def _contour_levels(Z: np.ndarray, levels: int, log: bool) -> np.ndarray:
    finite = Z[np.isfinite(Z)]
    if finite.size == 0:
        raise ValueError("landscape has no finite value on its domain")
    lo, hi = float(finite.min()), float(finite.max())
    if hi <= lo:
        hi = lo + 1.0
    if not log:
        return np.linspace(lo, hi, levels)
    # Geometric spacing of f - min(f): dense near the minimum, where paths end.
    span = hi - lo
    floor = max(float(np.quantile(finite - lo, 0.002)), span * 1e-6)
    return lo + np.concatenate([[0.0], np.geomspace(floor, span, levels - 1)])


def plot_landscape(
    ax: Axes,
    landscape: Any,
    *,
    levels: int = 24,
    log: bool = True,
    resolution: int = 160,
    filled: bool = True,
    minima: bool = True,
    cmap: Any = None,
) -> dict[str, Any]:
    """Draw the contours of a 2-D landscape on ``ax`` over its domain.

    ``log=True`` spaces the levels geometrically above the minimum value, which shows
    both the steep walls and the flat valley of e.g. Rosenbrock. Known minima are
    marked with a star. Returns ``{"filled", "lines", "minima"}`` artists.
    """
    if int(levels) < 3:
        raise ValueError(f"levels must be an integer >= 3, got {levels!r}")
    X, Y, Z = landscape_grid(landscape, resolution)
    lv = _contour_levels(Z, int(levels), log)
    cmap = _LANDSCAPE_CMAP if cmap is None else cmap
    out: dict[str, Any] = {"filled": None, "lines": None, "minima": None}
    Zc = np.where(np.isfinite(Z), Z, lv[-1])
    if filled:
        norm = BoundaryNorm(lv, ncolors=256, extend="max")
        out["filled"] = ax.contourf(X, Y, Zc, levels=lv, cmap=cmap, norm=norm,
                                    extend="max")
    out["lines"] = ax.contour(X, Y, Zc, levels=lv, colors="#6b7079",
                              linewidths=0.4, alpha=0.8)
    mins = np.asarray(getattr(landscape, "minima", np.empty((0, 2))), dtype=float)
    mins = mins.reshape(-1, 2)
    if minima and mins.size:
        (mk,) = ax.plot(mins[:, 0], mins[:, 1], linestyle="none", marker="*",
                        markersize=9, color="black", markeredgecolor="white",
                        markeredgewidth=0.6, zorder=4, label="_minimum")
        out["minima"] = mk
    (x0, x1), (y0, y1) = _domain(landscape)
    ax.set_xlim(x0, x1)
    ax.set_ylim(y0, y1)
    ax.set_xlabel("$x$")
    ax.set_ylabel("$y$")
    title = getattr(landscape, "title", None) or getattr(landscape, "name", None)
    if title:
        ax.set_title(str(title))
    return out


def _clip_to_box(p: np.ndarray, box: tuple[tuple[float, float], ...]) -> np.ndarray:
    (x0, x1), (y0, y1) = box
    return np.array([np.clip(p[0], x0, x1), np.clip(p[1], y0, y1)])


def plot_trajectories(
    ax: Axes,
    landscape: Any,
    trajs: Mapping[str, Any] | Sequence[Any],
    *,
    contour: bool = True,
    upto: int | None = None,
    legend: bool = True,
    markers: bool | None = None,
    **contour_kw: Any,
) -> dict[str, Any]:
    """Draw the paths of several optimizers over the contours of ``landscape``.

    ``trajs`` maps a name to a :class:`descent.run.Trajectory` (anything with a
    ``params`` array of shape ``(n+1, 2)`` and ``diverged_at``). ``upto`` draws only
    the first ``upto`` steps (for animations). A run that diverged ends with an ``x``
    at its last finite point (held inside the plot box) and the text
    "diverged at step k". Returns ``{name: {"path", "end", "text"}}``; the
    landscape's artists are under the key ``"_landscape"``.
    """
    out: dict[str, Any] = {}
    if contour and landscape is not None:
        out["_landscape"] = plot_landscape(ax, landscape, **contour_kw)
    box = _domain(landscape) if landscape is not None else None
    items = _trajs(trajs)
    start_drawn = False
    n_div = 0
    for name, traj in items:
        pts = finite_points(traj.params)
        k = _divergence_step(traj)
        if upto is not None:
            pts = pts[: int(upto) + 1]
            if k is not None and k > int(upto):
                k = None
        color = color_for(name)
        show_markers = markers if markers is not None else len(pts) <= 60
        (path,) = ax.plot(pts[:, 0], pts[:, 1], color=color, lw=1.3,
                          marker="o" if show_markers else None, markersize=2.5,
                          label=name, zorder=5)
        if not start_drawn and len(pts):
            ax.plot(pts[0, 0], pts[0, 1], marker="o", color="black", markersize=5,
                    linestyle="none", zorder=6, label="_start")
            start_drawn = True
        end = text = None
        if len(pts):
            last = pts[-1] if box is None else _clip_to_box(pts[-1], box)
            if k is not None:
                (end,) = ax.plot(last[0], last[1], marker="x", color=color,
                                 markersize=8, markeredgewidth=2.2, linestyle="none",
                                 zorder=7, label="_diverged")
                text = ax.annotate(f"diverged at step {k}", xy=(last[0], last[1]),
                                   xytext=(6, -10 - 10 * n_div),
                                   textcoords="offset points", fontsize=7,
                                   color=color, zorder=8, clip_on=True)
                n_div += 1
            else:
                (end,) = ax.plot(last[0], last[1], marker="o", color=color,
                                 markersize=4.5, markeredgecolor="white",
                                 markeredgewidth=0.6, linestyle="none", zorder=7,
                                 label="_end")
        out[name] = {"path": path, "end": end, "text": text}
    if box is not None:
        ax.set_xlim(*box[0])
        ax.set_ylim(*box[1])
    if legend and items:
        ax.legend(loc="best", fontsize=7, handlelength=1.5)
    return out


class TrajectoryScene:
    """A persistent two-panel figure: paths on the landscape, and losses.

    The static part (contours, axes, legend) is drawn once by :meth:`setup`; each
    :meth:`draw` only moves data into existing artists (``set_data``), so a caller
    can blit it onto a cached background. Used by :mod:`descent.explore` both to
    precompute explorer frames and for the live mode.

    ``loss_range`` fixes the loss axis (it does not move between frames);
    ``steps`` fixes the step axis.
    """

    def __init__(
        self,
        landscape: Any,
        names: Sequence[str],
        *,
        steps: int,
        loss_range: tuple[float, float] | None = None,
        log_loss: bool = True,
        levels: int = 24,
        resolution: int = 160,
    ) -> None:
        if int(steps) < 1:
            raise ValueError(f"steps must be an integer >= 1, got {steps!r}")
        self.landscape = landscape
        self.names = [str(n) for n in names]
        self.steps = int(steps)
        self.loss_range = loss_range
        self.log_loss = log_loss
        self.levels = levels
        self.resolution = resolution
        self.artists: dict[str, dict[str, Any]] = {}
        self.title = None
        self.ax_path: Axes | None = None
        self.ax_loss: Axes | None = None

    def setup(self, fig: Any) -> None:
        """Draw everything that does not change between frames on ``fig``."""
        ax_path, ax_loss = fig.subplots(1, 2, width_ratios=[1.15, 1.0])
        self.ax_path, self.ax_loss = ax_path, ax_loss
        plot_landscape(ax_path, self.landscape, levels=self.levels,
                       resolution=self.resolution)
        ax_path.set_title("")
        start = getattr(self.landscape, "start", None)
        if start is not None:
            ax_path.plot(*np.asarray(start, float), marker="o", color="black",
                         markersize=5, zorder=6, linestyle="none")
        for name in self.names:
            color = color_for(name)
            a = {
                "path": ax_path.plot([], [], color=color, lw=1.3, label=name,
                                     zorder=5, animated=True)[0],
                "end": ax_path.plot([], [], marker="o", color=color, markersize=4.5,
                                    markeredgecolor="white", markeredgewidth=0.6,
                                    linestyle="none", zorder=7, animated=True)[0],
                "cross": ax_path.plot([], [], marker="x", color=color, markersize=8,
                                      markeredgewidth=2.2, linestyle="none",
                                      zorder=7, animated=True)[0],
                "text": ax_path.annotate("", xy=(0, 0), textcoords="offset points",
                                         xytext=(6, -10), fontsize=7, color=color,
                                         zorder=8, animated=True, clip_on=True),
                "loss": ax_loss.plot([], [], color=color, label=name,
                                     animated=True)[0],
                "loss_x": ax_loss.plot([], [], marker="x", color=color,
                                       markersize=7, markeredgewidth=2,
                                       linestyle="none", animated=True)[0],
            }
            self.artists[name] = a
        ax_loss.set_xlim(0, self.steps)
        ax_loss.set_xlabel("steps taken")
        ax_loss.set_ylabel("loss")
        lo, hi = self._loss_limits()
        if self.log_loss and lo > 0:
            ax_loss.set_yscale("log")
        elif self.log_loss:
            ax_loss.set_yscale("symlog", linthresh=max(abs(hi) * 1e-3, 1e-12))
        ax_loss.set_ylim(lo, hi)
        ax_loss.grid(True)
        ax_loss.legend(loc="upper right", fontsize=7, handlelength=1.5)
        self.title = fig.suptitle(str(getattr(self.landscape, "title", "") or ""),
                                  fontsize=10, animated=True)

    def _loss_limits(self) -> tuple[float, float]:
        if self.loss_range is not None:
            lo, hi = (float(v) for v in self.loss_range)
        else:
            start = getattr(self.landscape, "start", None)
            f0 = float(self.landscape.value(np.asarray(start, float))) if (
                start is not None) else 1.0
            lo, hi = abs(f0) * 1e-8, abs(f0) * 10 + 1e-12
        if not (np.isfinite(lo) and np.isfinite(hi)) or hi <= lo:
            raise ValueError(f"loss_range must be finite with low < high, got "
                             f"{self.loss_range!r}")
        if self.log_loss and lo > 0:
            return lo / 1.5, hi * 1.5
        pad = 0.05 * (hi - lo)
        return lo - pad, hi + pad

    def draw(
        self, trajs: Mapping[str, Any], *, upto: int | None = None, title: str = ""
    ) -> list[Any]:
        """Move the data of ``trajs`` into the artists; return the changed artists."""
        if self.ax_path is None:
            raise RuntimeError("call setup(fig) before draw()")
        box = _domain(self.landscape)
        changed: list[Any] = []
        n_div = 0
        for name in self.names:
            a = self.artists[name]
            traj = trajs.get(name)
            pts = np.empty((0, 2)) if traj is None else finite_points(traj.params)
            loss = np.empty(0) if traj is None else finite_points(traj.loss)
            k = None if traj is None else _divergence_step(traj)
            if upto is not None:
                pts, loss = pts[: int(upto) + 1], loss[: int(upto) + 1]
                if k is not None and k > int(upto):
                    k = None
            a["path"].set_data(pts[:, 0], pts[:, 1])
            a["loss"].set_data(np.arange(len(loss)), loss)
            last = _clip_to_box(pts[-1], box) if len(pts) else None
            if last is not None and k is not None:
                a["end"].set_data([], [])
                a["cross"].set_data([last[0]], [last[1]])
                a["text"].set_text(f"diverged at step {k}")
                a["text"].xy = (last[0], last[1])
                a["text"].set_position((6, -10 - 10 * n_div))
                lo, hi = self.ax_loss.get_ylim()
                a["loss_x"].set_data([len(loss) - 1], [np.clip(loss[-1], lo, hi)])
                n_div += 1
            else:
                a["cross"].set_data([], [])
                a["text"].set_text("")
                a["loss_x"].set_data([], [])
                if last is not None:
                    a["end"].set_data([last[0]], [last[1]])
                else:
                    a["end"].set_data([], [])
            changed.extend(a.values())
        self.title.set_text(title)
        changed.append(self.title)
        return changed
