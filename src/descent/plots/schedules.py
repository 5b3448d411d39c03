"""Learning-rate schedules: the rate against the step, next to the loss it gives.

A schedule's rate η_t is drawn against the step number t = 1, 2, … (step t goes
from θ_t to θ_{t+1}); a run's loss against the number of steps taken
(0 = the start). Each schedule shape has a fixed colour
(:data:`SCHEDULE_COLORS`); the constant rate, the reference of every comparison,
is grey.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from matplotlib.axes import Axes

from descent.plots.common import finite_points
from descent.plots.curves import _yscale
from descent.plots.style import color_for

#: The colour of each schedule shape in every figure of the book.
SCHEDULE_COLORS: dict[str, str] = {
    "constant": "#6b7079",
    "step": "#0072B2",
    "exponential": "#009E73",
    "1/t": "#CC79A7",
    "cosine": "#D55E00",
    "wsd": "#7B3294",
    "1cycle": "#E69F00",
    "restarts": "#56B4E9",
    "warm-up": "#B8860B",
}


def schedule_color(label: str) -> str:
    """The colour of a schedule shape: the longest key of :data:`SCHEDULE_COLORS`
    that starts the lower-cased label (``"cosine, η = 0.1"`` is cosine's), else
    :func:`~descent.plots.color_for` of the label."""
    key = str(label).strip().lower()
    keys = [k for k in SCHEDULE_COLORS if key.startswith(k)]
    return SCHEDULE_COLORS[max(keys, key=len)] if keys else color_for(label)


def moving_average(y: Any, window: int) -> np.ndarray:
    """The mean of each ``window`` consecutive values (trailing), shape
    ``(len(y) - window + 1,)``; ``window=1`` returns the values themselves."""
    y = np.asarray(y, dtype=float).reshape(-1)
    window = int(window)
    if window < 1:
        raise ValueError(f"window must be an integer >= 1, got {window}")
    if y.size < window:
        return np.zeros(0)
    c = np.cumsum(np.concatenate([[0.0], y]))
    return (c[window:] - c[:-window]) / window


def plot_rates(
    ax: Axes,
    rates: Mapping[str, Any],
    *,
    log: bool = True,
    colors: Mapping[str, str] | None = None,
    styles: Mapping[str, str] | None = None,
    legend: bool = True,
    ylabel: str = r"learning rate $\eta_t$",
) -> dict[str, Any]:
    """Each schedule's rate η_t against the step t = 1 … n.

    ``rates`` maps a label to the rates of steps 1 … n (``schedules.lr_curve``).
    Colours follow :func:`schedule_color` unless ``colors`` names one; ``styles``
    maps labels to line styles. With ``log=True`` the rate axis is logarithmic
    (symmetric-logarithmic if a rate is 0). Returns ``{label: line}``.
    """
    colors = dict(colors or {})
    styles = dict(styles or {})
    out: dict[str, Any] = {}
    drawn = []
    for label, y in rates.items():
        y = finite_points(np.asarray(y, dtype=float).reshape(-1))
        x = np.arange(1, len(y) + 1)
        (out[label],) = ax.plot(x, y, color=colors.get(label, schedule_color(label)),
                                ls=styles.get(label, "-"), label=str(label))
        drawn.append(y)
    _yscale(ax, drawn, log)
    ax.set_xlabel("step $t$")
    ax.set_ylabel(ylabel)
    if legend and out:
        ax.legend(loc="best", fontsize=7)
    return out


def plot_schedule_losses(
    ax: Axes,
    losses: Mapping[str, Any],
    *,
    window: int = 1,
    floor: float | None = None,
    colors: Mapping[str, str] | None = None,
    styles: Mapping[str, str] | None = None,
    legend: bool = True,
    ylabel: str = r"excess loss $L(\theta_t) - L^*$",
) -> dict[str, Any]:
    """Loss curves against the number of steps taken, on a logarithmic axis.

    ``losses`` maps a label to the losses after 0 … n steps (e.g.
    ``Trajectory.gap``). With ``window > 1`` each curve is its trailing moving
    average over that many steps, drawn at the last step of the window (noisy
    runs become readable). ``floor`` draws a dotted horizontal line (a predicted
    noise floor). Non-positive values are not drawn. Returns ``{label: line}``,
    the floor under ``"_floor"``.
    """
    colors = dict(colors or {})
    styles = dict(styles or {})
    out: dict[str, Any] = {}
    for label, y in losses.items():
        y = finite_points(np.asarray(y, dtype=float).reshape(-1))
        smooth = moving_average(y, window)
        x = np.arange(window - 1, window - 1 + len(smooth))
        keep = smooth > 0
        (out[label],) = ax.plot(x[keep], smooth[keep],
                                color=colors.get(label, schedule_color(label)),
                                ls=styles.get(label, "-"), label=str(label))
    if floor is not None and floor > 0:
        out["_floor"] = ax.axhline(floor, color="0.35", ls=":", lw=1,
                                   label="noise floor, constant rate")
    ax.set_yscale("log")
    ax.set_xlabel("steps taken")
    ax.set_ylabel(ylabel if window == 1 else f"{ylabel}\n(mean of {window} steps)")
    if legend and out:
        ax.legend(loc="best", fontsize=7)
    return out


class RateLossScene:
    """A persistent two-panel figure: rates (left) and losses (right) against steps.

    Both axes are logarithmic with fixed ranges, so :meth:`draw` only moves data
    into existing lines and frames can be blitted. Used by the explorers of
    :mod:`descent.explore` on schedules.

    Args:
        steps: the last step shown on both x axes.
        rate_range, loss_range: ``(low, high)`` of the log axes, 0 < low < high.
        n_rates, n_losses: how many lines each panel can hold.
        loss_ylabel: the label of the loss axis.
    """

    def __init__(
        self,
        *,
        steps: int,
        rate_range: tuple[float, float],
        loss_range: tuple[float, float],
        n_rates: int = 2,
        n_losses: int = 2,
        loss_ylabel: str = r"excess loss $L(\theta_t) - L^*$",
    ) -> None:
        if int(steps) < 1:
            raise ValueError(f"steps must be an integer >= 1, got {steps!r}")
        for name, (lo, hi) in (("rate_range", rate_range),
                               ("loss_range", loss_range)):
            if not (np.isfinite(lo) and np.isfinite(hi) and 0 < lo < hi):
                raise ValueError(f"{name} must satisfy 0 < low < high, got "
                                 f"{(lo, hi)!r}")
        self.steps = int(steps)
        self.rate_range = (float(rate_range[0]), float(rate_range[1]))
        self.loss_range = (float(loss_range[0]), float(loss_range[1]))
        self.n_rates, self.n_losses = int(n_rates), int(n_losses)
        self.loss_ylabel = loss_ylabel
        self.rate_lines: list[Any] = []
        self.loss_lines: list[Any] = []
        self.floor = None
        self.titles: list[Any] = []

    def setup(self, fig: Any) -> None:
        """Draw the axes on ``fig``; create the (empty) lines and titles."""
        ax_rate, ax_loss = fig.subplots(1, 2)
        for ax, lim, label in ((ax_rate, self.rate_range, r"learning rate $\eta_t$"),
                               (ax_loss, self.loss_range, self.loss_ylabel)):
            ax.set_yscale("log")
            ax.set_ylim(*lim)
            ax.set_xlim(0, self.steps)
            ax.set_ylabel(label)
            ax.grid(True, which="major", axis="y")
        ax_rate.set_xlabel("step $t$")
        ax_loss.set_xlabel("steps taken")
        self.rate_lines = [ax_rate.plot([], [], animated=True)[0]
                           for _ in range(self.n_rates)]
        self.loss_lines = [ax_loss.plot([], [], animated=True)[0]
                           for _ in range(self.n_losses)]
        self.floor = ax_loss.plot([], [], color="0.35", ls=":", lw=1,
                                  animated=True)[0]
        # A placeholder text makes the layout keep room for the titles; being
        # animated, it is never drawn into the static background.
        self.titles = [ax.text(0.5, 1.02, "Title", transform=ax.transAxes,
                               ha="center", va="bottom", fontsize=9, animated=True)
                       for ax in (ax_rate, ax_loss)]

    def draw(
        self,
        rates: Sequence[Mapping[str, Any]] = (),
        losses: Sequence[Mapping[str, Any]] = (),
        *,
        floor: float | None = None,
        titles: tuple[str, str] = ("", ""),
    ) -> list[Any]:
        """Move data into the lines and return the changed artists.

        ``rates`` and ``losses`` are lists of ``{"y": values, "color": …, "ls":
        …, "lw": …, "x": steps}`` (``x`` defaults to 1 … n for rates and 0 … n−1
        for losses); lines not given are emptied. Values that are zero or not
        finite are not drawn. ``floor`` draws a dotted horizontal line.
        """
        if self.floor is None:
            raise RuntimeError("call setup(fig) before draw()")
        if len(rates) > self.n_rates or len(losses) > self.n_losses:
            raise ValueError(f"at most {self.n_rates} rates and {self.n_losses} "
                             f"losses, got {len(rates)} and {len(losses)}")
        changed: list[Any] = []
        for lines, items, first in ((self.rate_lines, rates, 1),
                                    (self.loss_lines, losses, 0)):
            for i, line in enumerate(lines):
                if i < len(items):
                    item = items[i]
                    y = np.asarray(item["y"], dtype=float).reshape(-1)
                    x = np.asarray(item.get("x", np.arange(first, first + len(y))),
                                   dtype=float)
                    ok = np.isfinite(y) & (y > 0)
                    line.set_data(x[ok], y[ok])
                    line.set_color(item.get("color", "k"))
                    line.set_linestyle(item.get("ls", "-"))
                    line.set_linewidth(item.get("lw", 1.4))
                else:
                    line.set_data([], [])
                changed.append(line)
        if floor is not None and floor > 0:
            self.floor.set_data([0, self.steps], [floor, floor])
        else:
            self.floor.set_data([], [])
        changed.append(self.floor)
        for text, value in zip(self.titles, titles, strict=True):
            text.set_text(value)
            changed.append(text)
        return changed
