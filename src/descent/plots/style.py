"""The book's look: matplotlib settings and the colours of every figure.

Colours are fixed per optimizer name (:data:`OPTIMIZER_COLORS`, looked up by
:func:`color_for`), so "adam" has the same colour in every chapter. The other
palettes: activations (:data:`ACTIVATION_COLORS`), basin maps
(:data:`BASIN_COLORS`), a light grey map for landscapes, and light-to-dark colours
for the settings of one knob.
"""

from __future__ import annotations

import zlib
from typing import Any

import matplotlib as mpl
import numpy as np
from matplotlib.colors import LinearSegmentedColormap

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
    "rprop": "#999933",
    "adadelta": "#44AA99",
    "adamax": "#882255",
    "nadam": "#332288",
    "radam": "#D81B60",
}

#: Colours of the activation functions in the figures of deep nets.
ACTIVATION_COLORS: dict[str, str] = {
    "sigmoid": "#E15759",
    "tanh": "#4E79A7",
    "relu": "#59A14F",
}

#: Colours of basin maps: one per listed minimum, grey for "no minimum reached".
BASIN_COLORS = ("#56B4E9", "#E69F00", "#009E73", "#CC79A7", "#F0E442")

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


def _sequential_colors(n: int) -> list[str]:
    """``n`` colours from light to dark along one hue, for settings of one knob."""
    cmap = mpl.colormaps["viridis"]
    return [mpl.colors.to_hex(cmap(x)) for x in np.linspace(0.85, 0.1, max(n, 1))][:n]
