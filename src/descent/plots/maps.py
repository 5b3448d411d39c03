"""Maps over a grid of settings: convergence rates and basins of attraction.

:func:`plot_rate_map` colours a grid of (learning rate, β) by the rate at which the
error shrinks per step; :func:`plot_basins` colours a grid of starts (or settings)
by where each run ended.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import matplotlib as mpl
import numpy as np
from matplotlib.axes import Axes

from descent.plots.landscape import plot_landscape
from descent.plots.style import BASIN_COLORS


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
