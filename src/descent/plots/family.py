"""A family tree of optimizers: who descends from whom, and what changed."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from matplotlib.axes import Axes

from descent.plots.style import color_for


def plot_family_tree(
    ax: Axes,
    members: Mapping[str, Mapping[str, Any]],
    *,
    fontsize: float = 7.5,
) -> dict[str, Any]:
    """Draw optimizers as labelled boxes at given places, with arrows from parents.

    ``members`` maps a name (``"adam"``) to ``{"xy": (x, y), "year": 2015,
    "parents": ("momentum", "rmsprop"), "note": "bias correction"}``; ``year``,
    ``parents`` and ``note`` are optional. Each box shows the name and year on
    its first line and the note (what changed against the parents, in English)
    on the second; its edge has the optimizer's colour (:func:`color_for`). A
    grey line joins every parent to its child, behind the boxes (place children
    to the right of their parents and the lines read left to right). Axes are
    hidden.

    Returns ``{"boxes": {name: Text}, "links": {(parent, child): Line2D}}``;
    raises ``ValueError`` for a parent that is not a member.
    """
    boxes, links = {}, {}
    for name, m in members.items():
        for parent in m.get("parents", ()):
            if parent not in members:
                raise ValueError(
                    f"parent {parent!r} of {name!r} is not a member; members: "
                    f"{sorted(members)}")
    for name, m in members.items():
        x, y = m["xy"]
        head = name if m.get("year") is None else f"{name} ({m['year']})"
        text = head if not m.get("note") else f"{head}\n{m['note']}"
        boxes[name] = ax.text(
            x, y, text, ha="center", va="center", fontsize=fontsize, zorder=3,
            bbox={"boxstyle": "round,pad=0.35", "facecolor": "white",
                  "edgecolor": color_for(name), "linewidth": 1.6},
        )
    for name, m in members.items():
        for parent in m.get("parents", ()):
            (x0, y0), (x1, y1) = members[parent]["xy"], m["xy"]
            (links[parent, name],) = ax.plot([x0, x1], [y0, y1], color="0.6",
                                             lw=0.9, zorder=1)
    xs = [m["xy"][0] for m in members.values()]
    ys = [m["xy"][1] for m in members.values()]
    ax.set_xlim(min(xs) - 0.7, max(xs) + 0.7)
    ax.set_ylim(min(ys) - 0.6, max(ys) + 0.6)
    ax.set_axis_off()
    return {"boxes": boxes, "links": links}
