"""Matplotlib figure builders: every figure of the book is drawn here.

Each builder has the shape ``plot_*(ax, data, ...)``: it draws on the axes it is
given and returns the artists it made, so a chapter passes data and a caption and
nothing else. Figure text is English words and math only. Colours are fixed per
optimizer name (:data:`OPTIMIZER_COLORS`), so "adam" has the same colour in every
chapter. Nothing here plots a non-finite number: trajectories that diverged are drawn
up to their last finite point and marked with an ``x`` and "diverged at step k".

The module only uses the object-oriented matplotlib API and works under the ``Agg``
backend (no display needed).
"""

from __future__ import annotations

import zlib
from collections.abc import Mapping, Sequence
from typing import Any

import matplotlib as mpl
import numpy as np
from matplotlib.axes import Axes
from matplotlib.colors import BoundaryNorm, LinearSegmentedColormap
from matplotlib.ticker import MaxNLocator

__all__ = [
    "ACTIVATION_COLORS",
    "BASIN_COLORS",
    "BOOK_RC",
    "LossCurveScene",
    "OPTIMIZER_COLORS",
    "ProfileScene",
    "TrajectoryScene",
    "color_for",
    "finite_points",
    "landscape_grid",
    "plot_angles",
    "plot_basins",
    "plot_batch_variance",
    "plot_curves",
    "plot_ema_weights",
    "plot_grad_norms",
    "plot_gradient_cloud",
    "plot_landscape",
    "plot_line_fit",
    "plot_loss_curve",
    "plot_loss_vs_epochs",
    "plot_losses",
    "plot_rate_map",
    "plot_step_lengths",
    "plot_trajectories",
    "race_svg",
    "use_book_style",
]

#: One colour per optimizer family, used by every chapter (Okabe-Ito based, so the
#: lines stay distinguishable for colour-blind readers).
OPTIMIZER_COLORS: dict[str, str] = {
    "sgd": "#0072B2",
    "momentum": "#E69F00",
    "heavy_ball": "#B8860B",
    "nesterov": "#8C564B",
    "adagrad": "#009E73",
    "rmsprop": "#CC79A7",
    "adam": "#D55E00",
    "adamw": "#7B3294",
    "amsgrad": "#56B4E9",
}

#: Colours of the activation functions in the figures of deep nets.
ACTIVATION_COLORS: dict[str, str] = {
    "sigmoid": "#E15759",
    "tanh": "#4E79A7",
    "relu": "#59A14F",
}

# Names that are not optimizer families (activations, initialisations, variants)
# get a colour from this palette, chosen by a stable checksum of the name.
_EXTRA_COLORS = (
    "#4E79A7",
    "#F28E2B",
    "#59A14F",
    "#E15759",
    "#76B7B2",
    "#EDC948",
    "#B07AA1",
    "#9C755F",
    "#FF9DA7",
    "#BAB0AC",
)

#: The book's matplotlib settings: small, sharp, English text only.
BOOK_RC: dict[str, Any] = {
    "figure.figsize": (6.4, 3.4),
    "figure.dpi": 100,
    "savefig.dpi": 144,
    "figure.facecolor": "white",
    "savefig.facecolor": "white",
    "font.family": "DejaVu Sans",
    "font.size": 9,
    "axes.titlesize": 10,
    "axes.labelsize": 9,
    "legend.fontsize": 8,
    "legend.frameon": False,
    "xtick.labelsize": 8,
    "ytick.labelsize": 8,
    "lines.linewidth": 1.4,
    "lines.markersize": 4,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": False,
    "grid.alpha": 0.3,
    "grid.linewidth": 0.6,
    "axes.unicode_minus": True,
    "axes.prop_cycle": mpl.cycler(color=list(OPTIMIZER_COLORS.values())),
    "image.cmap": "viridis",
    "mathtext.fontset": "dejavusans",
}

# The landscape is drawn in light greys so that coloured paths stand out on it.
_LANDSCAPE_CMAP = LinearSegmentedColormap.from_list(
    "descent_landscape", ["#8a8f99", "#c9ccd3", "#eef0f3", "#ffffff"]
)


def use_book_style() -> None:
    """Apply the book's matplotlib style (:data:`BOOK_RC`) globally."""
    mpl.rcParams.update(BOOK_RC)


def color_for(name: str) -> str:
    """The colour of optimizer ``name``, the same in every figure of the book.

    ``"Adam"``, ``"adam"`` and ``"adam (lr=0.1)"`` share Adam's colour: the name is
    lower-cased and matched against :data:`OPTIMIZER_COLORS`, first exactly, then by
    its longest key that starts the name. Other names get a stable colour of their
    own.
    """
    key = str(name).strip().lower().replace("-", "_")
    if key in OPTIMIZER_COLORS:
        return OPTIMIZER_COLORS[key]
    prefixes = [k for k in OPTIMIZER_COLORS if key.startswith(k)]
    if prefixes:
        return OPTIMIZER_COLORS[max(prefixes, key=len)]
    return _EXTRA_COLORS[zlib.crc32(key.encode()) % len(_EXTRA_COLORS)]


def finite_points(xy: Any) -> np.ndarray:
    """The leading rows of ``xy`` (shape ``(n, 2)`` or ``(n,)``) that are finite.

    Arrays from :func:`descent.run.run` are already cut at divergence; this is the
    last guard before matplotlib, so that a NaN or an infinity is never drawn.
    """
    arr = np.asarray(xy, dtype=float)
    ok = np.isfinite(arr) if arr.ndim == 1 else np.isfinite(arr).all(axis=-1)
    bad = np.flatnonzero(~ok)
    return arr if bad.size == 0 else arr[: bad[0]]


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
    ax.set_xlabel(r"$\theta_1$")
    ax.set_ylabel(r"$\theta_2$")
    title = getattr(landscape, "title", None) or getattr(landscape, "name", None)
    if title:
        ax.set_title(str(title))
    return out


def _trajs(trajs: Mapping[str, Any] | Sequence[Any]) -> list[tuple[str, Any]]:
    if isinstance(trajs, Mapping):
        return [(str(k), v) for k, v in trajs.items()]
    return [(str(getattr(t, "name", f"run {i}")), t) for i, t in enumerate(trajs)]


def _clip_to_box(p: np.ndarray, box: tuple[tuple[float, float], ...]) -> np.ndarray:
    (x0, x1), (y0, y1) = box
    return np.array([np.clip(p[0], x0, x1), np.clip(p[1], y0, y1)])


def _divergence_step(traj: Any) -> int | None:
    k = getattr(traj, "diverged_at", None)
    return None if k is None else int(k)


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


def _yscale(ax: Axes, arrays: Sequence[np.ndarray], log: bool) -> None:
    if not log:
        return
    values = np.concatenate([a for a in arrays if a.size] or [np.ones(1)])
    if np.all(values > 0):
        ax.set_yscale("log")
    else:
        scale = float(np.max(np.abs(values))) or 1.0
        ax.set_yscale("symlog", linthresh=max(scale * 1e-3, 1e-12))


def _plot_series(
    ax: Axes,
    trajs: Mapping[str, Any] | Sequence[Any],
    field: str,
    first_step: int,
    log: bool,
    upto: int | None,
) -> dict[str, Any]:
    out: dict[str, Any] = {}
    drawn = []
    for name, traj in _trajs(trajs):
        y = finite_points(getattr(traj, field))
        if upto is not None:
            y = y[: int(upto) + 1 - first_step]
        x = np.arange(first_step, first_step + len(y))
        color = color_for(name)
        (line,) = ax.plot(x, y, color=color, label=name)
        mark = None
        k = _divergence_step(traj)
        if k is not None and len(y) and (upto is None or k <= int(upto)):
            (mark,) = ax.plot(x[-1], y[-1], marker="x", color=color, markersize=7,
                              markeredgewidth=2, linestyle="none", label="_diverged")
        drawn.append(y)
        out[name] = {"line": line, "end": mark}
    _yscale(ax, drawn, log)
    ax.set_xlabel("step $t$")
    return out


def plot_losses(
    ax: Axes,
    trajs: Mapping[str, Any] | Sequence[Any],
    *,
    log: bool = True,
    upto: int | None = None,
    legend: bool = True,
) -> dict[str, Any]:
    """Loss against step for each run; a diverged run ends with an ``x``.

    With ``log=True`` the y axis is logarithmic when every loss is positive and
    symmetric-logarithmic otherwise (e.g. on the saddle). Returns
    ``{name: {"line", "end"}}``.
    """
    out = _plot_series(ax, trajs, "loss", 0, log, upto)
    ax.set_ylabel(r"loss $f(\theta_t)$")
    if legend and out:
        ax.legend(loc="best", fontsize=7)
    return out


def plot_step_lengths(
    ax: Axes,
    trajs: Mapping[str, Any] | Sequence[Any],
    *,
    log: bool = True,
    upto: int | None = None,
    legend: bool = True,
) -> dict[str, Any]:
    """Length of each update ``|θ_t − θ_{t−1}|`` against step."""
    out = _plot_series(ax, trajs, "step_length", 1, log, upto)
    ax.set_ylabel(r"step length $\|\theta_t-\theta_{t-1}\|$")
    if legend and out:
        ax.legend(loc="best", fontsize=7)
    return out


def plot_angles(
    ax: Axes,
    trajs: Mapping[str, Any] | Sequence[Any],
    *,
    upto: int | None = None,
    legend: bool = True,
) -> dict[str, Any]:
    """Angle (degrees) between each update and the direction to the nearest minimum.

    0° means heading straight for the minimum, 90° sideways, 180° away from it.
    """
    out = _plot_series(ax, trajs, "angle", 1, False, upto)
    ax.set_ylim(0, 180)
    ax.set_yticks([0, 45, 90, 135, 180])
    ax.set_ylabel("angle to minimum (deg)")
    if legend and out:
        ax.legend(loc="best", fontsize=7)
    return out


def plot_grad_norms(
    ax: Axes,
    norms: Any,
    *,
    labels: Sequence[str] | None = None,
    log: bool = True,
    legend: bool = True,
) -> Any:
    """Gradient norm per layer: bars for one array, one line per series otherwise.

    ``norms`` is a 1-D array (one norm per layer, drawn as bars), a 2-D array
    ``(series, layers)`` with optional ``labels``, or a mapping name → 1-D array
    (e.g. one per optimizer or activation, drawn as lines). Layers are numbered
    from 1 (the input side). On a log axis zero norms are left out; a non-finite
    norm raises ``ValueError``.
    """
    if isinstance(norms, Mapping):
        series = [(str(k), np.asarray(v, dtype=float)) for k, v in norms.items()]
    else:
        arr = np.asarray(norms, dtype=float)
        if arr.ndim == 1:
            series = [(None, arr)]
        elif arr.ndim == 2:
            names = list(labels) if labels is not None else [
                f"series {i + 1}" for i in range(arr.shape[0])]
            if len(names) != arr.shape[0]:
                raise ValueError(
                    f"labels must have one entry per row of norms ({arr.shape[0]}), "
                    f"got {len(names)}")
            series = list(zip(names, arr, strict=True))
        else:
            raise ValueError(
                f"norms must be 1-D or 2-D (series, layers), got shape {arr.shape}")
    for name, y in series:
        if y.ndim != 1:
            raise ValueError(f"norms of {name!r} must be 1-D, got shape {y.shape}")
        if not np.all(np.isfinite(y)):
            raise ValueError(
                f"norms of {name or 'the layers'} contain non-finite values at "
                f"layers {(np.flatnonzero(~np.isfinite(y)) + 1).tolist()}; "
                "stop the run at divergence before plotting")
    keep = (lambda y: y > 0) if log else (lambda y: np.ones(y.shape, bool))
    if len(series) == 1 and series[0][0] is None:
        y = series[0][1]
        layers = np.arange(1, len(y) + 1)
        ok = keep(y)
        artists = ax.bar(layers[ok], y[ok], color="#4E79A7", width=0.8)
    else:
        artists = {}
        for name, y in series:
            layers = np.arange(1, len(y) + 1)
            ok = keep(y)
            (artists[name],) = ax.plot(layers[ok], y[ok], marker="o", markersize=3,
                                       color=color_for(name), label=name)
        if legend:
            ax.legend(loc="best", fontsize=7)
    if log:
        ax.set_yscale("log")
    ax.set_xlabel("layer")
    ax.set_ylabel("gradient norm")
    return artists


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
        ax_loss.set_xlabel("step $t$")
        ax_loss.set_ylabel(r"loss $f(\theta_t)$")
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


# --- stochastic gradients on data (chapter SGD) --------------------------------------


def plot_line_fit(
    ax: Axes,
    fit: Any,
    lines: Mapping[str, Any] | None = None,
    *,
    max_points: int = 200,
    legend: bool = True,
) -> dict[str, Any]:
    """Scatter the samples ``(x_i, y_i)`` of ``fit`` and draw lines y = w x + b.

    ``fit`` has arrays ``x`` and ``y`` and ``minima`` (the least-squares θ*, drawn
    in black as "least squares"); ``lines`` maps a label to θ = (w, b), each drawn
    in the colour :func:`color_for` gives its label. At most ``max_points``
    samples are drawn (the first ones). Returns ``{"points", label: line, ...}``.
    """
    x = np.asarray(fit.x, dtype=float)
    y = np.asarray(fit.y, dtype=float)
    out: dict[str, Any] = {}
    out["points"] = ax.scatter(x[:max_points], y[:max_points], s=9, color="#8a8f99",
                               alpha=0.7, linewidths=0, label="samples")
    xs = np.linspace(float(x.min()), float(x.max()), 2)
    items = [("least squares", np.asarray(fit.minima, dtype=float).reshape(-1, 2)[0])]
    items += [(str(k), np.asarray(v, dtype=float)) for k, v in (lines or {}).items()]
    for i, (label, theta) in enumerate(items):
        if theta.shape != (2,) or not np.all(np.isfinite(theta)):
            raise ValueError(f"line {label!r} must be a finite (w, b), got {theta!r}")
        color = "black" if i == 0 else color_for(label)
        (out[label],) = ax.plot(xs, theta[0] * xs + theta[1], color=color,
                                lw=1.8 if i == 0 else 1.3,
                                ls="-" if i == 0 else "--", label=label)
    ax.set_xlabel("$x$")
    ax.set_ylabel("$y$")
    if legend:
        ax.legend(loc="upper left", fontsize=7)
    return out


def plot_gradient_cloud(
    ax: Axes,
    samples: Mapping[str, Any],
    full: Any,
    *,
    max_points: int = 400,
    legend: bool = True,
) -> dict[str, Any]:
    """Minibatch gradients as point clouds around the full gradient.

    ``samples`` maps a label (e.g. ``"B = 1"``) to an array of sampled gradients,
    shape ``(k, 2)``; ``full`` is the full-batch gradient, drawn as a black cross
    with the means of the clouds as white-edged dots. The first ``max_points`` of
    each cloud are drawn. Returns ``{label: {"cloud", "mean"}, "full": artist}``.
    """
    full = np.asarray(full, dtype=float)
    if full.shape != (2,) or not np.all(np.isfinite(full)):
        raise ValueError(f"full must be a finite array of shape (2,), got {full!r}")
    out: dict[str, Any] = {}
    for i, (label, pts) in enumerate(samples.items()):
        pts = np.asarray(pts, dtype=float)
        if pts.ndim != 2 or pts.shape[1] != 2 or not np.all(np.isfinite(pts)):
            raise ValueError(
                f"samples[{label!r}] must be a finite array of shape (k, 2), "
                f"got shape {pts.shape}")
        color = _EXTRA_COLORS[i % len(_EXTRA_COLORS)]
        cloud = ax.scatter(pts[:max_points, 0], pts[:max_points, 1], s=5,
                           color=color, alpha=0.35, linewidths=0, label=str(label),
                           zorder=2 + i)
        mean = pts.mean(axis=0)
        (m,) = ax.plot(mean[0], mean[1], marker="o", markersize=6, color=color,
                       markeredgecolor="white", markeredgewidth=1.0,
                       linestyle="none", zorder=10, label="_mean")
        out[str(label)] = {"cloud": cloud, "mean": m}
    (out["full"],) = ax.plot(full[0], full[1], marker="+", markersize=12,
                             markeredgewidth=2, color="black", linestyle="none",
                             zorder=11, label=r"full gradient $\nabla L$")
    ax.set_xlabel(r"$g_1 = \partial L / \partial \theta_1$")
    ax.set_ylabel(r"$g_2 = \partial L / \partial \theta_2$")
    if legend:
        ax.legend(loc="best", fontsize=7, markerscale=2)
    return out


def plot_batch_variance(
    ax: Axes,
    batch_sizes: Sequence[int],
    measured: Sequence[float],
    predicted: Sequence[float],
    *,
    legend: bool = True,
) -> dict[str, Any]:
    """Total variance of the minibatch gradient against the batch size B (log-log).

    ``measured`` are the sampled variances, ``predicted`` the formula's; drawn as
    dots and a line. Returns ``{"measured", "predicted"}``.
    """
    b = np.asarray(batch_sizes, dtype=float)
    m = np.asarray(measured, dtype=float)
    p = np.asarray(predicted, dtype=float)
    if not (b.shape == m.shape == p.shape and b.ndim == 1 and b.size >= 1):
        raise ValueError(
            "batch_sizes, measured and predicted must be 1-D of the same length, "
            f"got shapes {b.shape}, {m.shape}, {p.shape}")
    if not (np.all(b > 0) and np.all(np.isfinite(m)) and np.all(p > 0)):
        raise ValueError("batch sizes and predicted variances must be > 0 and "
                         "measured variances finite")
    (line,) = ax.plot(b, p, color="black", lw=1.2, label="formula", zorder=2)
    keep = m > 0
    (dots,) = ax.plot(b[keep], m[keep], marker="o", linestyle="none",
                      color=OPTIMIZER_COLORS["sgd"], label="sampled", zorder=3)
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("batch size $B$")
    ax.set_ylabel(r"$\mathrm{tr}\,\mathrm{Cov}[g_B]$")
    if legend:
        ax.legend(loc="best", fontsize=7)
    return {"measured": dots, "predicted": line}


def plot_loss_vs_epochs(
    ax: Axes,
    trajs: Mapping[str, Any],
    batch_sizes: Mapping[str, int],
    n: int,
    *,
    min_value: float = 0.0,
    legend: bool = True,
) -> dict[str, Any]:
    """Excess loss L(θ) − L* against epochs (samples seen ÷ N), log scale.

    ``trajs`` maps a name to a :class:`descent.run.Trajectory`, ``batch_sizes``
    the same names to the batch size B of that run: step t has used t·B samples,
    t·B/N epochs. Colours follow :func:`color_for`, as in
    :func:`plot_trajectories`. A diverged run ends with an ``x``. Excess losses below
    ``1e-12`` (rounding level) are drawn at ``1e-12``. Returns ``{name: line}``.
    """
    if int(n) < 1:
        raise ValueError(f"n must be an integer >= 1, got {n!r}")
    out: dict[str, Any] = {}
    for name, traj in trajs.items():
        if name not in batch_sizes:
            raise ValueError(f"batch_sizes has no entry for {name!r}")
        gap = finite_points(np.asarray(traj.loss, dtype=float) - min_value)
        epochs = np.arange(len(gap)) * int(batch_sizes[name]) / int(n)
        color = color_for(name)
        (out[name],) = ax.plot(epochs, np.maximum(gap, 1e-12), color=color,
                               lw=1.2, label=name, drawstyle="steps-post"
                               if len(gap) <= 30 else "default")
        if _divergence_step(traj) is not None and len(gap):
            ax.plot(epochs[-1], max(gap[-1], 1e-12), marker="x", color=color,
                    markersize=7, markeredgewidth=2, linestyle="none",
                    label="_diverged")
    ax.set_yscale("log")
    ax.set_xlabel("epochs (samples seen / $N$)")
    ax.set_ylabel(r"$L(\theta_t) - L^*$")
    if legend:
        ax.legend(loc="best", fontsize=7)
    return out


# --- animated race as a standalone SVG -------------------------------------------


def _svg_num(v: float, decimals: int = 1) -> str:
    """A short, stable decimal: no exponent, no trailing zeros, never ``-0``."""
    text = f"{round(float(v), decimals) + 0.0:.{decimals}f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def _svg_escape(text: str) -> str:
    return (
        str(text)
        .replace("&", "&amp;")
        .replace("<", "&lt;")
        .replace(">", "&gt;")
        .replace('"', "&quot;")
    )


def _thin(points: np.ndarray, min_dist: float) -> np.ndarray:
    """Drop points closer than ``min_dist`` to the last kept one (keep both ends)."""
    if len(points) <= 2:
        return points
    keep = [0]
    last = points[0]
    for i in range(1, len(points) - 1):
        if np.hypot(*(points[i] - last)) >= min_dist:
            keep.append(i)
            last = points[i]
    keep.append(len(points) - 1)
    return points[keep]


def _svg_polyline(points: np.ndarray) -> str:
    """A compact SVG path through ``points``: ``M x y`` then relative ``l dx dy``.

    Points are rounded to 0.1 first and the moves taken between rounded points,
    so rounding never accumulates; moves of length zero are left out.
    """
    pts = np.round(np.asarray(points, dtype=float) * 10).astype(np.int64)
    parts = [f"M{_svg_num(pts[0, 0] / 10)} {_svg_num(pts[0, 1] / 10)}"]
    for dx, dy in np.diff(pts, axis=0):
        if dx or dy:
            parts.append(f"l{_svg_num(dx / 10)} {_svg_num(dy / 10)}")
    return "".join(parts).replace(" -", "-")


def race_svg(
    landscape: Any,
    trajs: Mapping[str, Any],
    *,
    labels: Mapping[str, str] | None = None,
    title: str | None = None,
    domain: tuple[tuple[float, float], tuple[float, float]] | None = None,
    width: int = 720,
    height: int = 440,
    draw_seconds: float = 9.0,
    hold_seconds: float = 3.0,
    frames: int = 90,
    levels: int = 12,
    resolution: int = 160,
) -> str:
    """An animated SVG of optimizers racing over the contours of a 2-D landscape.

    Each trajectory's path is drawn progressively, step by step, with a dot at its
    head; all runs advance one step per frame together, so a run that moves faster
    per step pulls ahead. The animation is SMIL (``<animate>``), which browsers play
    in an ``<img>`` with no script, loops forever, and holds the finished race for
    ``hold_seconds`` before starting again. A viewer that does not animate shows the
    finished race. A run that diverged ends with an ``x`` and its legend entry says
    at which step. Text is English; the result is plain, deterministic SVG text.

    Args:
        landscape: anything with ``value`` (vectorised over ``(..., 2)``), ``domain``
            and optionally ``minima``, ``title``.
        trajs: name → :class:`descent.run.Trajectory` (``params``, ``diverged_at``),
            as returned by :func:`descent.run.race`; colours follow :func:`color_for`.
        labels: optional name → legend text (default: the name).
        title: the heading (default: the landscape's title).
        domain: the plot box ``((xmin, xmax), (ymin, ymax))`` (default: the
            landscape's), e.g. to zoom in on where the runs go.
        width, height: size of the picture in SVG units (it scales to its box).
        draw_seconds, hold_seconds: duration of the race and of the pause after it.
        frames: number of key frames of the animation (≥ 2).
        levels: number of contour lines (≥ 3).
        resolution: grid size of the contour computation.

    Returns:
        The SVG document as a string (UTF-8 text, starting with ``<svg``).
    """
    import contourpy  # a dependency of matplotlib; needed only here

    items = _trajs(trajs)
    if not items:
        raise ValueError("trajs must hold at least one trajectory")
    if int(frames) < 2:
        raise ValueError(f"frames must be an integer >= 2, got {frames!r}")
    if not (draw_seconds > 0 and hold_seconds >= 0):
        raise ValueError(
            "draw_seconds must be > 0 and hold_seconds >= 0, got "
            f"{draw_seconds!r} and {hold_seconds!r}"
        )
    if int(width) < 200 or int(height) < 150:
        raise ValueError(
            f"width must be >= 200 and height >= 150, got {width} and {height}"
        )
    labels = dict(labels or {})
    frames = int(frames)
    box = _domain(landscape) if domain is None else _domain(_Box(domain))
    (x0, x1), (y0, y1) = box
    if not (x1 > x0 and y1 > y0):
        raise ValueError(f"domain must have xmin < xmax and ymin < ymax, got {box}")

    # Layout: plot box on the left keeping the domain's aspect, legend on the right.
    legend_w, top, pad, bottom = 200.0, 30.0, 10.0, 34.0
    avail_w, avail_h = width - legend_w - 2 * pad, height - top - bottom
    scale = min(avail_w / (x1 - x0), avail_h / (y1 - y0))
    pw, ph = scale * (x1 - x0), scale * (y1 - y0)
    px0, py0 = pad + (avail_w - pw) / 2.0, top + (avail_h - ph) / 2.0

    def to_px(p: np.ndarray) -> np.ndarray:
        p = np.asarray(p, dtype=float).reshape(-1, 2)
        u = px0 + (p[:, 0] - x0) * scale
        v = py0 + (y1 - p[:, 1]) * scale
        # Far-away points are pulled in (outside the clip box, so never seen) to
        # keep the numbers short.
        u = np.clip(u, -width, 2 * width)
        v = np.clip(v, -height, 2 * height)
        return np.stack([u, v], axis=1)

    out: list[str] = []
    w_, h_ = int(width), int(height)
    out.append(
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {w_} {h_}" '
        f'width="{w_}" height="{h_}" font-family="DejaVu Sans, Arial, sans-serif">'
    )
    heading = title if title is not None else getattr(landscape, "title", "") or ""
    names = ", ".join(labels.get(n, n) for n, _ in items)
    out.append(f"<title>{_svg_escape(heading)}: {_svg_escape(names)}</title>")
    out.append(
        f'<clipPath id="plot-box"><rect x="{_svg_num(px0)}" y="{_svg_num(py0)}" '
        f'width="{_svg_num(pw)}" height="{_svg_num(ph)}"/></clipPath>'
    )
    out.append(f'<rect width="{w_}" height="{h_}" fill="#ffffff"/>')
    out.append(
        f'<rect x="{_svg_num(px0)}" y="{_svg_num(py0)}" width="{_svg_num(pw)}" '
        f'height="{_svg_num(ph)}" fill="#f4f5f7" stroke="#9aa0aa" stroke-width="0.8"/>'
    )

    # Contours, darker towards the minimum.
    X, Y, Z = landscape_grid(_Box(box, landscape.value), int(resolution))
    lv = _contour_levels(Z, int(levels), log=True)[1:]
    Zc = np.where(np.isfinite(Z), Z, lv[-1] * 2 if lv[-1] > 0 else lv[-1] + 1)
    gen = contourpy.contour_generator(X, Y, Zc, line_type="Separate")
    out.append('<g clip-path="url(#plot-box)" fill="none" stroke-width="0.7">')
    for i, level in enumerate(lv):
        shade = 0.45 + 0.4 * i / max(len(lv) - 1, 1)
        grey = "#" + f"{int(255 * shade):02x}" * 3
        segs = [_thin(to_px(seg), 2.5) for seg in gen.lines(float(level))]
        # Loops smaller than a few pixels are grid artefacts, not contours.
        segs = [s for s in segs if len(s) >= 2 and np.ptp(s, axis=0).max() >= 4.0]
        d = "".join(_svg_polyline(s) for s in segs)
        if d:
            out.append(f'<path d="{d}" stroke="{grey}"/>')
    out.append("</g>")

    mins = np.asarray(getattr(landscape, "minima", np.empty((0, 2))), dtype=float)
    for mx, my in to_px(mins.reshape(-1, 2)):
        out.append(
            f'<path d="{_star_path(mx, my, 7.0)}" fill="#000000" stroke="#ffffff" '
            'stroke-width="0.8"/>'
        )

    # Frame k shows steps 0 … s_k of every run.
    n_max = max(len(finite_points(t.params)) - 1 for _, t in items)
    n_max = max(n_max, 1)
    frame_steps = np.round(np.linspace(0, n_max, frames)).astype(int)
    total = draw_seconds + hold_seconds
    key_times = [k / (frames - 1) * draw_seconds / total for k in range(frames)]
    times = ";".join(_svg_num(t, 4) for t in key_times)
    if hold_seconds > 0:
        times += ";1"
    anim = f'dur="{_svg_num(total, 2)}s" repeatCount="indefinite" keyTimes="{times}"'

    def values(seq: Sequence[float]) -> str:
        seq = list(seq)
        if hold_seconds > 0:
            seq.append(seq[-1])
        return ";".join(_svg_num(v) for v in seq)

    start = None
    out.append('<g clip-path="url(#plot-box)" fill="none" stroke-linecap="round" '
               'stroke-linejoin="round">')
    legend_rows: list[tuple[str, str, str]] = []
    for name, traj in items:
        color = color_for(name)
        # Rounded as written, so that the lengths below are those of the path.
        pts_all = np.round(to_px(finite_points(traj.params)), 1)
        if start is None and len(pts_all):
            start = pts_all[0]
        n = len(pts_all) - 1
        seg = np.hypot(*np.diff(pts_all, axis=0).T) if n > 0 else np.zeros(0)
        cum = np.concatenate([[0.0], np.cumsum(seg)])
        length = float(cum[-1])
        idx = np.minimum(frame_steps, n)
        drawn = cum[idx]
        label = labels.get(name, name)
        k = _divergence_step(traj)
        legend_rows.append((color, label, _race_result(traj, k)))
        total_len = _svg_num(length + 1.0)
        out.append(
            f'<path d="{_svg_polyline(pts_all)}" stroke="{color}" stroke-width="2" '
            f'stroke-dasharray="{total_len} {total_len}" stroke-dashoffset="0" '
            f'data-name="{_svg_escape(name)}">'
            f'<animate attributeName="stroke-dashoffset" '
            f'values="{values(length - drawn)}" {anim}/></path>'
        )
        hx, hy = pts_all[idx, 0], pts_all[idx, 1]
        fx, fy = pts_all[-1]
        out.append(
            f'<circle cx="{_svg_num(fx)}" cy="{_svg_num(fy)}" r="4" fill="{color}" '
            'stroke="#ffffff" stroke-width="1">'
            f'<animate attributeName="cx" values="{values(hx)}" {anim}/>'
            f'<animate attributeName="cy" values="{values(hy)}" {anim}/></circle>'
        )
        if k is not None:
            shown = [0 if s < n else 1 for s in frame_steps]
            cross = _cross_path(fx, fy, 6.0)
            out.append(
                f'<path d="{cross}" stroke="{color}" stroke-width="2.5" opacity="1">'
                f'<animate attributeName="opacity" values="{values(shown)}" {anim} '
                'calcMode="discrete"/></path>'
            )
    out.append("</g>")
    if start is not None:
        out.append(
            f'<circle cx="{_svg_num(start[0])}" cy="{_svg_num(start[1])}" r="4.5" '
            'fill="#000000"/>'
        )

    # Heading, legend and a progress bar counting the steps.
    out.append(
        f'<text x="{_svg_num(px0)}" y="20" font-size="14" fill="#222222">'
        f"{_svg_escape(heading)}</text>"
    )
    lx = width - legend_w + 4
    for i, (color, label, result) in enumerate(legend_rows):
        y = top + 14 + 36 * i
        out.append(
            f'<line x1="{_svg_num(lx)}" y1="{_svg_num(y - 4)}" '
            f'x2="{_svg_num(lx + 22)}" y2="{_svg_num(y - 4)}" stroke="{color}" '
            'stroke-width="3"/>'
            f'<text x="{_svg_num(lx + 30)}" y="{_svg_num(y)}" font-size="12" '
            f'fill="#222222">{_svg_escape(label)}</text>'
            f'<text x="{_svg_num(lx + 30)}" y="{_svg_num(y + 14)}" font-size="10" '
            f'fill="#555555">{_svg_escape(result)}</text>'
        )
    bar_y = height - 18
    bar_w = pw
    out.append(
        f'<rect x="{_svg_num(px0)}" y="{_svg_num(bar_y)}" width="{_svg_num(bar_w)}" '
        'height="4" fill="#e3e5e9"/>'
        f'<rect x="{_svg_num(px0)}" y="{_svg_num(bar_y)}" width="{_svg_num(bar_w)}" '
        'height="4" fill="#6b7079">'
        f'<animate attributeName="width" '
        f'values="{values(bar_w * frame_steps / n_max)}" {anim}/></rect>'
        f'<text x="{_svg_num(px0 + bar_w + 6)}" y="{_svg_num(bar_y + 5)}" '
        f'font-size="10" fill="#555555">{n_max} steps</text>'
    )
    out.append("</svg>")
    return "\n".join(out) + "\n"


class _Box:
    """A plot box (and optionally a value function) in the shape of a landscape."""

    def __init__(self, domain: Any, value: Any = None) -> None:
        self.domain = domain
        self.value = value


def _race_result(traj: Any, k: int | None) -> str:
    if k is not None:
        return f"diverged at step {k}"
    dist = getattr(traj, "distance", None)
    if dist is not None and len(dist):
        return f"{len(traj.params) - 1} steps, dist to min {float(dist[-1]):.2g}"
    return f"{len(traj.params) - 1} steps, loss {float(traj.loss[-1]):.3g}"


def _star_path(cx: float, cy: float, r: float) -> str:
    angles = np.pi / 2 + np.arange(10) * np.pi / 5
    radii = np.where(np.arange(10) % 2 == 0, r, r * 0.45)
    pts = np.stack([cx + radii * np.cos(angles), cy - radii * np.sin(angles)], axis=1)
    return _svg_polyline(pts) + " Z"


def _cross_path(cx: float, cy: float, r: float) -> str:
    a, b = _svg_num(cx - r), _svg_num(cx + r)
    c, d = _svg_num(cy - r), _svg_num(cy + r)
    return f"M{a} {c} L{b} {d} M{a} {d} L{b} {c}"


# --- momentum: averages, coordinates, rates and basins (chapter Momentum) ----------


def _sequential_colors(n: int) -> list[str]:
    """``n`` colours from light to dark along one hue, for settings of one knob."""
    cmap = mpl.colormaps["viridis"]
    return [mpl.colors.to_hex(cmap(x)) for x in np.linspace(0.85, 0.1, max(n, 1))][:n]


def plot_ema_weights(
    ax: Axes,
    weights: Mapping[str, Any],
    *,
    windows: Mapping[str, float] | None = None,
    log: bool = True,
    legend: bool = True,
) -> dict[str, Any]:
    """Weight of the gradient k steps old in a moving average, one line per setting.

    ``weights`` maps a label (e.g. ``"beta = 0.9"``) to a 1-D array whose entry k
    is the weight of g_{t-k} (k = 0 is the newest gradient); ``windows`` maps the
    same labels to an effective window length, drawn as a dotted vertical line.
    Settings are coloured light to dark in the given order. With ``log=True`` the
    y axis is logarithmic, where geometric weights are straight lines; zero
    weights are left out. Returns ``{label: {"line", "window"}}``.
    """
    items = [(str(k), np.asarray(v, dtype=float)) for k, v in weights.items()]
    windows = {str(k): float(v) for k, v in (windows or {}).items()}
    unknown = sorted(set(windows) - {k for k, _ in items})
    if unknown:
        raise ValueError(f"windows names labels that have no weights: {unknown}")
    out: dict[str, Any] = {}
    for (label, w), color in zip(items, _sequential_colors(len(items)), strict=True):
        if w.ndim != 1 or not np.all(np.isfinite(w)):
            raise ValueError(
                f"weights[{label!r}] must be a finite 1-D array, got shape {w.shape}")
        age = np.arange(len(w))
        keep = w > 0 if log else np.ones(w.shape, bool)
        (line,) = ax.plot(age[keep], w[keep], color=color, label=label)
        window = None
        if label in windows:
            window = ax.axvline(windows[label], color=color, lw=1.0, ls=":",
                                label="_window")
        out[label] = {"line": line, "window": window}
    if log:
        ax.set_yscale("log")
    ax.set_xlabel("age $k$ of the gradient $g_{t-k}$")
    ax.set_ylabel("weight")
    if legend and items:
        ax.legend(loc="best", fontsize=7)
    return out


def plot_curves(
    ax: Axes,
    curves: Mapping[str, Any],
    *,
    colors: Mapping[str, str] | None = None,
    styles: Mapping[str, str] | None = None,
    first_step: int = 0,
    log: bool = False,
    xlabel: str = "step $t$",
    ylabel: str = "",
    legend: bool = True,
) -> dict[str, Any]:
    """Several series against the step, e.g. one coordinate θ_i(t) per optimizer.

    ``curves`` maps a label to a 1-D array (entry k drawn at step
    ``first_step + k``). A label's colour is ``colors[label]`` if given, else
    :func:`color_for` of the label, so ``"sgd"`` keeps its colour; ``styles`` maps
    labels to matplotlib line styles (``"--"``). Non-finite entries end a series
    (nothing after the first one is drawn). With ``log=True`` the y axis is
    logarithmic (symmetric-logarithmic if a value is ≤ 0). Returns
    ``{label: line}``.
    """
    colors = dict(colors or {})
    styles = dict(styles or {})
    out: dict[str, Any] = {}
    drawn = []
    for label, y in curves.items():
        label = str(label)
        y = finite_points(np.asarray(y, dtype=float).reshape(-1))
        x = np.arange(first_step, first_step + len(y))
        (out[label],) = ax.plot(x, y, color=colors.get(label, color_for(label)),
                                ls=styles.get(label, "-"), label=label)
        drawn.append(y)
    _yscale(ax, drawn, log)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    if legend and out:
        ax.legend(loc="best", fontsize=7)
    return out


def plot_rate_map(
    ax: Axes,
    lrs: Any,
    betas: Any,
    rates: Any,
    *,
    marks: Mapping[str, tuple[float, float]] | None = None,
    levels: Sequence[float] = (0.8, 0.9, 0.95, 0.99),
    colorbar: bool = True,
) -> dict[str, Any]:
    """Convergence rate of an optimizer over a grid of learning rates and betas.

    ``rates[i, j]`` is the factor by which the error shrinks per step (the
    spectral radius of one step) at ``betas[i]``, ``lrs[j]``; smaller is faster.
    Cells with rate ≥ 1 (no convergence) are drawn grey and hatched. ``levels``
    are drawn as labelled contour lines. ``marks`` maps a label to a point
    ``(lr, beta)`` drawn as a star with its label. The lr axis is logarithmic when
    ``lrs`` spans more than a factor 20. Returns ``{"mesh", "contours",
    "diverge", "colorbar", label: marker}``.
    """
    lrs = np.asarray(lrs, dtype=float)
    betas = np.asarray(betas, dtype=float)
    rates = np.asarray(rates, dtype=float)
    if lrs.ndim != 1 or betas.ndim != 1 or rates.shape != (betas.size, lrs.size):
        raise ValueError(
            "rates must have shape (len(betas), len(lrs)), got "
            f"{rates.shape} for {betas.size} betas and {lrs.size} lrs")
    if not (np.all(lrs > 0) and np.all(np.isfinite(rates))):
        raise ValueError("lrs must be > 0 and rates finite")
    out: dict[str, Any] = {}
    converging = np.ma.masked_where(rates >= 1.0, rates)
    out["mesh"] = ax.pcolormesh(lrs, betas, converging, shading="nearest",
                                cmap="viridis", vmin=float(np.min(rates)), vmax=1.0)
    out["diverge"] = ax.contourf(lrs, betas, (rates >= 1.0).astype(float),
                                 levels=[0.5, 1.5], colors=["#d9d9d9"],
                                 hatches=["///"])
    inside = [lv for lv in levels if np.min(rates) < lv < np.max(rates)]
    out["contours"] = None
    if inside:
        cs = ax.contour(lrs, betas, rates, levels=sorted(inside), colors="white",
                        linewidths=0.7)
        ax.clabel(cs, fontsize=7, fmt="%g")
        out["contours"] = cs
    if lrs.max() / lrs.min() > 20:
        ax.set_xscale("log")
    for label, (lr, beta) in (marks or {}).items():
        (out[str(label)],) = ax.plot(lr, beta, marker="*", markersize=11,
                                     color="#D55E00", markeredgecolor="white",
                                     markeredgewidth=0.8, linestyle="none",
                                     zorder=5, label=str(label))
        ax.annotate(str(label), xy=(lr, beta), xytext=(6, 4),
                    textcoords="offset points", fontsize=7, color="black",
                    zorder=6)
    ax.set_xlabel(r"learning rate $\eta$")
    ax.set_ylabel(r"momentum $\beta$")
    out["colorbar"] = None
    if colorbar:
        cb = ax.figure.colorbar(out["mesh"], ax=ax)
        cb.set_label("rate per step (smaller is faster)")
        out["colorbar"] = cb
    return out


#: Colours of basin maps: one per listed minimum, grey for "no minimum reached".
BASIN_COLORS = ("#56B4E9", "#E69F00", "#009E73", "#CC79A7", "#F0E442")


def plot_basins(
    ax: Axes,
    xs: Any,
    ys: Any,
    labels: Any,
    *,
    names: Sequence[str],
    colors: Sequence[str] | None = None,
    landscape: Any = None,
    legend: bool = True,
    legend_loc: str = "upper right",
) -> dict[str, Any]:
    """Colour a grid of settings by where a run ended: a basin-of-attraction map.

    ``labels[i, j]`` belongs to the setting ``(xs[j], ys[i])``, e.g. a start
    ``(x, y)`` or a pair (start, β). An integer ``k`` ≥ 0 is category ``names[k]``
    (e.g. the minimum reached) drawn in ``colors[k]`` (default
    :data:`BASIN_COLORS`); ``-1`` is "none" in light grey. When ``xs``, ``ys``
    are coordinates of ``landscape``, pass it to draw its contour lines and
    minima on top; ``legend_loc`` places the legend (a matplotlib location).
    Returns ``{"image", "landscape", "legend"}``.
    """
    xs = np.asarray(xs, dtype=float)
    ys = np.asarray(ys, dtype=float)
    labels = np.asarray(labels)
    if xs.ndim != 1 or ys.ndim != 1 or labels.shape != (ys.size, xs.size):
        raise ValueError(
            "labels must have shape (len(ys), len(xs)), got "
            f"{labels.shape} for {ys.size} ys and {xs.size} xs")
    if not np.issubdtype(labels.dtype, np.integer):
        raise ValueError(f"labels must be integers, got dtype {labels.dtype}")
    colors = list(BASIN_COLORS if colors is None else colors)
    if len(colors) < len(names):
        raise ValueError(f"need a colour for each of the {len(names)} names, got "
                         f"{len(colors)}")
    if labels.size and (labels.min() < -1 or labels.max() >= len(names)):
        raise ValueError(f"labels must lie in -1..{len(names) - 1}, got "
                         f"{labels.min()}..{labels.max()}")
    palette = ["#f2f2f2"] + colors[: len(names)]
    cmap = mpl.colors.ListedColormap(palette)
    out: dict[str, Any] = {}
    out["image"] = ax.pcolormesh(xs, ys, labels + 1, shading="nearest", cmap=cmap,
                                 vmin=-0.5, vmax=len(palette) - 0.5)
    out["landscape"] = None
    if landscape is not None:
        out["landscape"] = plot_landscape(ax, landscape, filled=False)
    ax.set_xlim(float(xs.min()), float(xs.max()))
    ax.set_ylim(float(ys.min()), float(ys.max()))
    out["legend"] = None
    if legend:
        handles = [mpl.patches.Patch(color=c, label=str(n))
                   for n, c in zip(names, colors, strict=False)]
        if np.any(labels == -1):
            handles.append(mpl.patches.Patch(color=palette[0], label="none"))
        out["legend"] = ax.legend(handles=handles, loc=legend_loc, fontsize=7,
                                  frameon=True)
    return out


def plot_loss_curve(
    ax: Axes,
    xs: Any,
    fs: Any,
    trajs: Mapping[str, Any] | Sequence[Any] = (),
    *,
    colors: Mapping[str, str] | None = None,
    upto: int | None = None,
    log: bool = True,
    xlabel: str = r"$\theta$",
    ylabel: str = r"loss $L(\theta)$",
    legend: bool = True,
) -> dict[str, Any]:
    """A loss against one parameter, with the iterates of several runs on it.

    ``xs``, ``fs``: the curve, the loss at each x (e.g. ``objective.value``).
    ``trajs`` maps a name to a run on that one parameter (a
    :class:`descent.run.Trajectory` whose ``params`` have shape ``(n+1, 1)``);
    ``upto`` keeps its first ``upto`` steps. Iterates outside the curve's x range
    are not drawn: the run is marked "left the plot at step k", or "diverged at
    step k" when it diverged there. Colours come from :func:`color_for` unless
    ``colors`` names one. The y axis is logarithmic (``log=True``) and spans the
    curve. Returns ``{name: {"path", "note"}}``, the curve under ``"_curve"``.
    """
    xs = np.asarray(xs, dtype=float).reshape(-1)
    fs = np.asarray(fs, dtype=float).reshape(-1)
    if xs.shape != fs.shape or xs.size < 2:
        raise ValueError(
            "xs and fs must be 1-D of the same length >= 2, "
            f"got {xs.shape}, {fs.shape}")
    if not np.all(np.isfinite(fs)):
        raise ValueError("fs must be finite on the whole curve")
    if log and not np.all(fs > 0):
        raise ValueError("fs must be > 0 for a logarithmic loss axis (log=True)")
    colors = dict(colors or {})
    out: dict[str, Any] = {}
    (out["_curve"],) = ax.plot(xs, fs, color="#6b7079", lw=1.2, zorder=2,
                               label="_curve")
    lo, hi = float(xs.min()), float(xs.max())
    floor = float(fs.min())
    notes = 0
    for name, traj in _trajs(trajs):
        w = finite_points(np.asarray(traj.params, dtype=float)[:, 0])
        f = finite_points(traj.loss)[: len(w)]
        w = w[: len(f)]
        k = _divergence_step(traj)
        if upto is not None:
            w, f = w[: int(upto) + 1], f[: int(upto) + 1]
            if k is not None and k > int(upto):
                k = None
        inside = (w >= lo) & (w <= hi)
        left = int(np.argmin(inside)) if not inside.all() else None
        keep = slice(None) if left is None else slice(0, left)
        color = colors.get(name, color_for(name))
        (path,) = ax.plot(w[keep], f[keep], color=color, lw=0.8, marker="o",
                          markersize=3, alpha=0.9, label=name, zorder=4)
        if f[keep].size and log:
            floor = min(floor, float(np.min(f[keep][f[keep] > 0], initial=floor)))
        parts = [] if left is None else [f"left the plot at step {left}"]
        parts += [] if k is None else [f"diverged at step {k}"]
        text = f"{name}: " + ", ".join(parts) if parts else None
        note = None
        if text is not None:
            note = ax.text(0.02, 0.97 - 0.08 * notes, text, transform=ax.transAxes,
                           fontsize=7, color=color, va="top", zorder=8)
            notes += 1
        out[name] = {"path": path, "note": note}
    ax.set_xlim(lo, hi)
    if log:
        ax.set_yscale("log")
        top = float(fs.max())
        ax.set_ylim(max(floor, top * 1e-14) / 3, top * 3)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    if legend and len(out) > 1:
        ax.legend(loc="lower right", fontsize=7)
    return out


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
        ax_loss.set_xlabel("step $t$")
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
