"""Float formats: where gradients land in float16's range, with a loss scale.

:func:`plot_float_range` draws a histogram of the magnitudes of some values (the
entries of a gradient) on a log axis, and shades what a 16-bit format does to each
magnitude once the values are multiplied by the loss scale S: the window of normal
numbers, the subnormal strip (fewer significant bits), everything that rounds to
zero (underflow) and everything that becomes ``inf`` (overflow). The window is
drawn in units of the unscaled values, so changing S slides the window over the
same histogram.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from matplotlib.axes import Axes

from descent.amp import FLOAT16, limits, range_report

#: Colours of the fates of a value in a float format.
RANGE_COLORS: dict[str, str] = {
    "underflow": "#D55E00",
    "subnormal": "#E69F00",
    "normal": "#009E73",
    "overflow": "#CC79A7",
}


def plot_float_range(
    ax: Axes,
    values: Any,
    *,
    scale: float = 1.0,
    dtype: Any = FLOAT16,
    xlim: tuple[float, float] = (-14.0, 6.0),
    bins: int = 60,
    color: str = "#4d4d4d",
    report: Any = None,
) -> dict[str, Any]:
    """Histogram of log10 |values| over the regions of ``dtype`` seen through S.

    A value g is stored as fl(S·g): it underflows below half of the smallest
    subnormal divided by S, is subnormal up to the smallest normal number over S,
    and overflows above the largest finite value over S. Zeros and non-finite
    values are left out of the histogram. The axis limits (powers of ten) are
    fixed by ``xlim`` so that frames of an explorer line up.

    The text in the corner states the shares lost, subnormal and overflowing:
    those of ``report`` if given (e.g. measured in a float16 backward pass, where
    values also underflow on the way), else of
    :func:`descent.amp.range_report` (rounding the values themselves).

    Returns the artists (``{"bars", "regions", "text"}``) and the report shown
    (``"report"``).
    """
    lim = limits(dtype)
    s = float(scale)
    x = np.asarray(values, dtype=np.float64).ravel()
    x = np.abs(x[np.isfinite(x) & (x != 0)])
    lo, hi = float(xlim[0]), float(xlim[1])
    edges = np.linspace(lo, hi, int(bins) + 1)
    logs = np.clip(np.log10(x), lo, hi) if x.size else np.empty(0)
    counts, _ = np.histogram(logs, bins=edges)
    share = counts / max(x.size, 1)
    bars = ax.bar(edges[:-1], share, width=np.diff(edges), align="edge", color=color,
                  alpha=0.8, zorder=3)
    regions = {}
    for name, (a, b) in _regions(lim, s, lo, hi).items():
        if b > a:
            regions[name] = ax.axvspan(a, b, color=RANGE_COLORS[name], alpha=0.18,
                                       lw=0, zorder=1, label=name)
    if report is None:
        report = range_report(values, dtype, scale=s)
    text = ax.text(0.01, 0.97, _report_text(lim.name, s, report),
                   transform=ax.transAxes, va="top", ha="left", fontsize=7, zorder=4)
    ax.set_xlim(lo, hi)
    ax.set_ylim(0, max(float(share.max()) * 1.15, 0.05) if x.size else 1.0)
    ax.set_xlabel(r"$\log_{10}|g|$")
    ax.set_ylabel("share of entries")
    ax.legend(loc="upper right", fontsize=7)
    return {"bars": bars, "regions": regions, "text": text, "report": report}


def _regions(lim: Any, scale: float, lo: float, hi: float) -> dict[str, tuple]:
    """The (start, end) in log10 |g| of each fate in the format, through S."""
    s = float(scale)
    cut = [lo, np.log10(lim.smallest_subnormal / 2 / s),
           np.log10(lim.smallest_normal / s), np.log10(lim.max / s), hi]
    return {name: (max(min(a, hi), lo), max(min(b, hi), lo))
            for name, a, b in zip(RANGE_COLORS, cut[:-1], cut[1:], strict=True)}


def _report_text(name: str, scale: float, report: Any) -> str:
    return (f"{name}, S = {scale:g}\nlost (0): {report.underflow:.1%}\n"
            f"subnormal: {report.subnormal:.1%}\n"
            f"non-finite: {report.overflow:.1%}")


class FloatRangeScene:
    """A persistent :func:`plot_float_range`: histogram, regions and text move.

    ``draw((values, scale, report), title=...)`` moves the histogram of
    log10 |values|, the regions of the format seen through the scale S and the
    shares of ``report`` into existing artists, so an explorer can blit it.
    The y axis is fixed by ``ymax`` (a share of entries).
    """

    def __init__(self, dtype: Any = FLOAT16, *,
                 xlim: tuple[float, float] = (-14.0, 6.0), bins: int = 60,
                 ymax: float = 0.2, color: str = "#4d4d4d") -> None:
        self.lim = limits(dtype)
        self.xlim = (float(xlim[0]), float(xlim[1]))
        self.edges = np.linspace(self.xlim[0], self.xlim[1], int(bins) + 1)
        self.ymax = float(ymax)
        self.color = color
        self.ax: Axes | None = None
        self.artists: dict[str, Any] = {}

    def setup(self, fig: Any) -> None:
        """Axes, labels and legend; the moving artists start empty."""
        from matplotlib.patches import Patch

        ax = fig.add_subplot()
        self.ax = ax
        lo, hi = self.xlim
        for name, color in RANGE_COLORS.items():
            self.artists[name] = ax.axvspan(lo, lo, color=color, alpha=0.18, lw=0,
                                            zorder=1, animated=True)
        self.artists["bars"] = ax.stairs(np.zeros(len(self.edges) - 1), self.edges,
                                         fill=True, color=self.color, alpha=0.8,
                                         zorder=3, animated=True)
        self.artists["text"] = ax.text(0.01, 0.97, "", transform=ax.transAxes,
                                       va="top", ha="left", fontsize=7, zorder=4,
                                       animated=True)
        ax.set_xlim(lo, hi)
        ax.set_ylim(0, self.ymax)
        ax.set_xlabel(r"$\log_{10}|g|$")
        ax.set_ylabel("share of entries")
        ax.legend(handles=[Patch(color=c, alpha=0.35, label=n)
                           for n, c in RANGE_COLORS.items()],
                  loc="upper right", fontsize=7)
        self.title = ax.set_title(" ", animated=True)

    def draw(self, data: tuple[Any, float, Any], *, title: str = "") -> list[Any]:
        """Show ``(values, scale, report)``; return the changed artists."""
        if self.ax is None:
            raise RuntimeError("call setup(fig) before draw()")
        values, scale, report = data
        x = np.asarray(values, dtype=np.float64).ravel()
        x = np.abs(x[np.isfinite(x) & (x != 0)])
        lo, hi = self.xlim
        logs = np.clip(np.log10(x), lo, hi) if x.size else np.empty(0)
        counts, _ = np.histogram(logs, bins=self.edges)
        self.artists["bars"].set_data(np.minimum(counts / max(x.size, 1), self.ymax),
                                      self.edges)
        for name, (a, b) in _regions(self.lim, scale, lo, hi).items():
            rect = self.artists[name]
            rect.set_x(a)
            rect.set_width(b - a)
        self.artists["text"].set_text(_report_text(self.lim.name, scale, report))
        self.title.set_text(title)
        return [*(self.artists[n] for n in RANGE_COLORS), self.artists["bars"],
                self.artists["text"], self.title]
