"""Figures of stochastic gradients on data: a line fit and its minibatches.

The samples and fitted lines, clouds of minibatch gradients around the full
gradient, their variance against the batch size, and the excess loss against
epochs for several batch sizes.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from matplotlib.axes import Axes

from descent.plots.common import _divergence_step, finite_points
from descent.plots.style import _EXTRA_COLORS, OPTIMIZER_COLORS, color_for


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
