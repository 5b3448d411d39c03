"""Curves and series: quantities against the step, the layer or one parameter.

Per-run series (loss, step length, angle to the minimum), gradient norms per
layer, weights of a moving average, any labelled series (:func:`plot_curves`), and
a 1-D loss curve with the iterates of several runs on it (:func:`plot_loss_curve`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from matplotlib.axes import Axes

from descent.plots.common import _divergence_step, _trajs, finite_points
from descent.plots.style import _sequential_colors, color_for


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
    ax.set_xlabel("steps taken")
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
    ax.set_ylabel("loss")
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
    ax.set_ylabel(r"step length $\|\theta_{t+1}-\theta_t\|$")
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
