"""Drawing frames on one persistent Agg figure, blitted when it is a Scene.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from numbers import Integral
from typing import Any, Protocol, runtime_checkable

import matplotlib as mpl
import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.text import Text

from descent import plots


@runtime_checkable
class Scene(Protocol):
    """A drawing that keeps its figure: static parts once, then only data moves.

    ``setup(fig)`` draws what never changes and creates the changing artists with
    ``animated=True``; ``update(**values)`` moves new data into them and returns the
    artists it changed. Explorers and :func:`live` blit those artists onto a cached
    background, which is several times faster than drawing the figure again.
    """

    def setup(self, fig: Figure) -> None: ...

    def update(self, **values: Any) -> Sequence[Any]: ...


def _make_axes(fig: Figure, subplots: Any) -> Any:
    if subplots is None:
        return fig
    if isinstance(subplots, Integral):
        if int(subplots) != 1:
            raise ValueError(
                f"subplots must be 1, None or (rows, cols), got {subplots!r}")
        return fig.add_subplot()
    rows, cols = subplots
    return fig.subplots(int(rows), int(cols))


def _empty(artist: Any) -> bool:
    """True for a line without points or a text without characters."""
    if isinstance(artist, Line2D):
        return len(artist.get_xdata(orig=False)) == 0
    if isinstance(artist, Text):
        return artist.get_text() == ""
    return False


class _Renderer:
    """Draws frames on one persistent Agg figure (never through pyplot)."""

    def __init__(
        self,
        draw: Callable[..., Any] | Scene,
        *,
        figsize: tuple[float, float],
        dpi: float,
        subplots: Any,
    ) -> None:
        self.draw = draw
        self.subplots = subplots
        self.figure = Figure(figsize=figsize, dpi=dpi, layout="constrained")
        FigureCanvasAgg(self.figure)
        self._background = None
        #: RGBA pixels of the static part of a Scene (None for a plain function).
        self.base: np.ndarray | None = None
        if isinstance(draw, Scene):
            with mpl.rc_context(plots.BOOK_RC):
                draw.setup(self.figure)
                self._settle()

    @property
    def blits(self) -> bool:
        return isinstance(self.draw, Scene)

    def _settle(self) -> None:
        canvas = self.figure.canvas
        canvas.draw()
        # Freeze the layout so that blitted frames keep the background's geometry.
        self.figure.set_layout_engine("none")
        self._background = canvas.copy_from_bbox(self.figure.bbox)
        self.base = np.asarray(canvas.buffer_rgba()).copy()

    def render(self, values: Mapping[str, Any]) -> np.ndarray:
        """Draw the frame for ``values`` and return its RGBA pixels (a view)."""
        canvas = self.figure.canvas
        with mpl.rc_context(plots.BOOK_RC):
            if self.blits:
                canvas.restore_region(self._background)
                for artist in self.draw.update(**values):
                    if artist is not None and artist.get_visible() and not _empty(
                            artist):
                        self.figure.draw_artist(artist)
            else:
                self.figure.clear()
                self.draw(_make_axes(self.figure, self.subplots), **values)
                canvas.draw()
        return np.asarray(canvas.buffer_rgba())

    def redraw_background(self) -> None:
        """Redraw the static part (after a scene changed its axes)."""
        with mpl.rc_context(plots.BOOK_RC):
            self._settle()


@dataclass
class _SceneAdapter:
    """A :class:`Scene` from a plots scene and ``frame(**values) -> (data, title)``."""

    scene: Any
    frame: Callable[..., tuple[Any, str]]

    def setup(self, fig: Figure) -> None:
        self.scene.setup(fig)

    def update(self, **values: Any) -> Sequence[Any]:
        data, title = self.frame(**values)
        return self.scene.draw(data, title=title)
