"""Explorers: experiments that stay interactive without a kernel.

A published page has no Python kernel, so an ipywidgets callback never runs there.
An :func:`explorer` therefore draws every frame when the notebook executes, over a
grid of slider values, and links each slider to a ``Stack`` of frames in the browser
(``jslink``): moving a slider swaps the visible frame with no kernel, in JupyterLab,
in VS Code and in the static HTML alike. Two sliders give nested Stacks, the inner
ones linked to the second slider. A ``Play`` button can step a slider through time.

Each frame is a palette PNG inside an HTML widget (``<img alt="lr = 0.1" ...>``), so
the visible image says which values it shows; frames are kept small by a size budget
that raises :class:`ValueError` when exceeded. Displaying an explorer also prints a
rounded numeric summary of its default frame (and, if asked, of the whole grid), which
nbval compares and which readers without JavaScript can read.

:func:`live` is the other mode, for readers with a kernel: continuous sliders that
recompute on every move and redraw a persistent figure. It never replaces an
explorer in a stored notebook.

This is the only module of :mod:`descent` that imports ipywidgets.
"""

from __future__ import annotations

import base64
import hashlib
import html
import io
import itertools
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from numbers import Integral, Real
from typing import Any, Protocol, runtime_checkable

import ipywidgets as widgets
import matplotlib as mpl
import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.text import Text
from PIL import Image

from descent import plots

__all__ = [
    "CLIP_RUN_COLORS",
    "EXPLORER_BUDGET_BYTES",
    "FRAME_BUDGET_BYTES",
    "INIT_GAINS",
    "Explorer",
    "Frame",
    "Live",
    "Scene",
    "clip_explorer",
    "depth_init_explorer",
    "explorer",
    "format_value",
    "live",
    "minibatch_explorer",
    "race_grid",
    "trajectory_explorer",
    "trajectory_live",
]

#: Average size budget of one frame as embedded in the page (base64 data URI).
FRAME_BUDGET_BYTES = 25_000
#: Size budget of all frames of one explorer as embedded in the page.
EXPLORER_BUDGET_BYTES = 1_500_000


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


@dataclass(frozen=True)
class Frame:
    """One precomputed frame: the slider values it shows and its embedded image."""

    values: dict[str, Any]
    alt: str
    html: str
    width: int
    height: int

    @property
    def nbytes(self) -> int:
        """Size of the frame as embedded in the page, in bytes."""
        return len(self.html.encode())


def format_value(value: Any) -> str:
    """Label of a grid value as the slider shows it: ``0.1``, ``1e-05``, ``20``."""
    if isinstance(value, bool | np.bool_):
        return str(bool(value))
    if isinstance(value, Integral):
        return str(int(value))
    if isinstance(value, Real):
        v = float(value)
        return "0" if v == 0 else f"{v:.4g}"
    return str(value)


def _grid_options(key: str, grid: Any) -> list[tuple[str, Any]]:
    if isinstance(grid, Mapping):
        options = [(str(label), value) for label, value in grid.items()]
    elif isinstance(grid, str | bytes) or not isinstance(grid, Sequence | np.ndarray):
        raise ValueError(
            f"grid {key!r} must be a sequence of values or a mapping label -> value, "
            f"got {type(grid).__name__}")
    else:
        values = grid.tolist() if isinstance(grid, np.ndarray) else list(grid)
        options = [(format_value(v), v) for v in values]
    if not options:
        raise ValueError(f"grid {key!r} must hold at least one value, got none")
    labels = [label for label, _ in options]
    if len(set(labels)) != len(labels):
        dup = sorted({lb for lb in labels if labels.count(lb) > 1})
        raise ValueError(
            f"grid {key!r} has values that share a label {dup}; give a mapping "
            "label -> value with distinct labels")
    return options


def _alt(names: Sequence[str], labels: Sequence[str]) -> str:
    return ", ".join(f"{n} = {lb}" for n, lb in zip(names, labels, strict=True))


def _quantized(rgb: np.ndarray, colors: int) -> Image.Image:
    # Max-coverage keeps the few pixels of thin coloured lines distinct, where
    # median cut spends the palette on the large grey areas.
    return Image.fromarray(rgb).quantize(colors=colors,
                                         method=Image.Quantize.MAXCOVERAGE,
                                         dither=Image.Dither.NONE)


def _encode_png(rgba: np.ndarray, colors: int | None) -> bytes:
    """A PNG of ``rgba`` (opaque): a palette of ``colors`` entries, or full colour."""
    rgb = rgba[..., :3]
    buf = io.BytesIO()
    if colors:
        _quantized(np.ascontiguousarray(rgb), colors).save(buf, format="PNG",
                                                           optimize=True)
    else:
        Image.fromarray(np.ascontiguousarray(rgb)).save(buf, format="PNG",
                                                        compress_level=1)
    return buf.getvalue()


def _differs(rgba: np.ndarray, base: np.ndarray) -> np.ndarray:
    """Mask of the pixels where two RGBA images differ (compared as 32-bit words)."""
    a = np.ascontiguousarray(rgba).view(np.uint32)[..., 0]
    b = np.ascontiguousarray(base).view(np.uint32)[..., 0]
    return a != b


def _encode_overlay(rgba: np.ndarray, base: np.ndarray, colors: int | None) -> bytes:
    """A PNG holding only the pixels of ``rgba`` that differ from ``base``.

    All other pixels are transparent, so the frame shows ``base`` through them:
    a frame costs only what changes from one slider value to the next.
    """
    mask = _differs(rgba, base)
    rgb = rgba[..., :3]
    pixels = rgb[mask]
    index = np.zeros(mask.shape, dtype=np.uint8)
    if pixels.shape[0] == 0:
        palette = [0, 0, 0]
    elif colors:
        strip = _quantized(np.ascontiguousarray(pixels[None]), colors - 1)
        index[mask] = np.asarray(strip)[0]
        palette = strip.getpalette()[: 3 * (int(index.max()) + 1)]
    else:
        found, inverse = np.unique(pixels, axis=0, return_inverse=True)
        if len(found) > 255:
            return _encode_overlay_rgba(rgb, mask)
        index[mask] = inverse.reshape(-1)
        palette = found.reshape(-1).tolist()
    transparent = len(palette) // 3
    index[~mask] = transparent
    image = Image.fromarray(index, mode="P")
    image.putpalette(palette + [255, 255, 255])
    buf = io.BytesIO()
    image.save(buf, format="PNG", optimize=True, transparency=transparent)
    return buf.getvalue()


def _encode_overlay_rgba(rgb: np.ndarray, mask: np.ndarray) -> bytes:
    rgba = np.dstack([rgb, np.where(mask, 255, 0).astype(np.uint8)])
    buf = io.BytesIO()
    Image.fromarray(rgba, mode="RGBA").save(buf, format="PNG", optimize=True)
    return buf.getvalue()


def _data_uri(png: bytes) -> str:
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")


def _img_html(
    png: bytes, alt: str, width: int, height: int, css_width: int, base_class: str
) -> str:
    css_height = round(height * css_width / width)
    return (
        f'<img class="{base_class}" alt="{html.escape(alt, quote=True)}" '
        f'width="{css_width}" height="{css_height}" '
        f'style="max-width:100%;height:auto" src="{_data_uri(png)}">'
    )


def _base_style(png: bytes, base_class: str) -> str:
    """CSS that paints the shared base image behind every frame of an explorer."""
    return (
        f"<style>.{base_class}{{background-image:url(\"{_data_uri(png)}\");"
        "background-size:100% 100%;background-repeat:no-repeat}</style>"
    )


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


class Explorer(widgets.VBox):
    """Sliders over precomputed frames, linked in the browser (no kernel needed).

    Built by :func:`explorer`. Displaying it shows the widget and then prints
    :attr:`summary_text`, the numeric summary that nbval compares.
    """

    def __init__(
        self,
        children: Sequence[widgets.Widget],
        *,
        keys: Sequence[str],
        names: Sequence[str],
        options: Sequence[Sequence[tuple[str, Any]]],
        frames: Sequence[Frame],
        sliders: Sequence[widgets.SelectionSlider],
        stack: widgets.Stack,
        links: Sequence[widgets.Link],
        play: widgets.Play | None,
        summary_text: str,
        base_style: str,
    ) -> None:
        super().__init__(children=list(children))
        self._dom_classes = ("descent-explorer",)
        self.base_style = base_style
        self.keys = list(keys)
        self.names = list(names)
        self.options = [list(o) for o in options]
        self.frames = list(frames)
        self.sliders = list(sliders)
        self.stack = stack
        self.links = list(links)
        self.play = play
        self.summary_text = summary_text

    @property
    def nbytes(self) -> int:
        """Size of all images (base and frames) as embedded in the page, in bytes."""
        return len(self.base_style.encode()) + sum(f.nbytes for f in self.frames)

    def frame(self, **values: Any) -> Frame:
        """The frame for the given slider values (by value, or by label)."""
        if set(values) != set(self.keys):
            raise ValueError(
                f"give one value for each slider {self.keys}, got {sorted(values)}")
        index = 0
        for key, opts in zip(self.keys, self.options, strict=True):
            wanted = values[key]
            pos = [i for i, (label, v) in enumerate(opts)
                   if label == wanted or _same(v, wanted)]
            if not pos:
                raise ValueError(
                    f"{key} must be one of {[lb for lb, _ in opts]}, got {wanted!r}")
            index = index * len(opts) + pos[0]
        return self.frames[index]

    def __repr__(self) -> str:
        sizes = " × ".join(f"{n} ({len(o)})" for n, o in
                           zip(self.names, self.options, strict=True))
        return f"Explorer: {sizes}, {len(self.frames)} frames"

    def _ipython_display_(self) -> None:
        from IPython.display import display

        display(self._repr_mimebundle_(), raw=True)
        if self.summary_text:
            print(self.summary_text)


def _same(a: Any, b: Any) -> bool:
    try:
        return bool(a == b)
    except (TypeError, ValueError):
        return False


def _format_table(rows: list[tuple[str, Mapping[str, Any]]]) -> str:
    columns: list[str] = []
    for _, row in rows:
        columns += [c for c in row if c not in columns]
    cells = [[label] + [_cell(row.get(c, "")) for c in columns] for label, row in rows]
    head = [""] + columns
    widths = [max(len(r[i]) for r in [head, *cells]) for i in range(len(head))]

    def line(r: list[str]) -> str:
        return "  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip()

    return "\n".join([line(head)] + [line(r) for r in cells])


def _cell(value: Any) -> str:
    if isinstance(value, str):
        return value
    return format_number(value)


def format_number(value: Any, digits: int = 3) -> str:
    """Round a number for printed summaries: 3 significant digits, tiny → ``<1e-12``.

    Values that only differ in their last bits print the same, so summaries are
    byte-identical from one execution to the next.
    """
    if isinstance(value, bool | np.bool_) or not isinstance(value, Real):
        return str(value)
    v = float(value)
    if not np.isfinite(v):
        return str(v)
    if abs(v) < 1e-12:
        return "0" if v == 0 else ("<1e-12" if v > 0 else ">-1e-12")
    out = f"{v:.{digits}g}"
    return "0" if out in ("-0", "0") else out


def explorer(
    draw: Callable[..., Any] | Scene,
    grids: Mapping[str, Any],
    *,
    labels: Mapping[str, str] | None = None,
    initial: Mapping[str, Any] | None = None,
    figsize: tuple[float, float] = (6.4, 3.4),
    dpi: float = 120,
    colors: int | None = 64,
    subplots: Any = 1,
    title: str | None = None,
    play: str | None = None,
    interval: int = 300,
    summary: Callable[..., str] | None = None,
    table: Callable[..., Mapping[str, Any]] | None = None,
    max_frame_bytes: int = FRAME_BUDGET_BYTES,
    max_total_bytes: int = EXPLORER_BUDGET_BYTES,
) -> Explorer:
    """Precompute a frame for every point of ``grids`` and link sliders to them.

    Parameters
    ----------
    draw:
        ``draw(ax, **values)`` draws one frame (``ax`` is one Axes by default; see
        ``subplots``), or a :class:`Scene` whose frames are blitted.
    grids:
        Slider name → values (a sequence, labelled by :func:`format_value`, or a
        mapping label → value). One or two sliders in practice; each extra slider
        multiplies the number of frames.
    labels:
        Slider name → text shown beside the slider and in the frames' alt text
        (``"lr = 0.1, beta = 0.9"``). Defaults to the grid's name.
    initial:
        Slider name → value shown first (default: each grid's first value).
    figsize, dpi, colors:
        Frame size in inches, pixel density, and palette size of the PNG
        (``None`` keeps full colour). Frames are shown at 96 CSS pixels per inch,
        so ``dpi=120`` is 1.25 image pixels per CSS pixel.
    subplots:
        What ``draw`` receives: ``1`` one Axes, ``(rows, cols)`` an array of Axes,
        ``None`` the Figure.
    title:
        Text above the sliders.
    play:
        Name of a slider to step through with a ``Play`` button (time, iterations).
    interval:
        Milliseconds between two ``Play`` steps.
    summary:
        ``summary(**values) -> str``: printed for the initial frame when the
        explorer is displayed.
    table:
        ``table(**values) -> {column: number}``: printed as one row per frame.
    max_frame_bytes, max_total_bytes:
        Size budget in bytes as embedded in the page: a frame's image on average,
        and everything (frames and the base image shared by all frames).

    Raises
    ------
    ValueError
        On a bad grid or option, or when the frames exceed the size budget.
    """
    if not isinstance(grids, Mapping) or not grids:
        raise ValueError("grids must be a non-empty mapping slider name -> values")
    keys = [str(k) for k in grids]
    labels = dict(labels or {})
    unknown = sorted(set(labels) - set(keys))
    if unknown:
        raise ValueError(f"labels names unknown sliders {unknown}; sliders: {keys}")
    names = [str(labels.get(k, k)) for k in keys]
    options = [_grid_options(k, grids[k]) for k in keys]
    if play is not None and play not in keys:
        raise ValueError(f"play must name one of the sliders {keys}, got {play!r}")
    if colors is not None and not 2 <= int(colors) <= 256:
        raise ValueError(f"colors must be None or an integer in [2, 256], got {colors}")
    if dpi <= 0 or min(figsize) <= 0:
        raise ValueError(f"dpi and figsize must be positive, got {dpi}, {figsize}")
    if int(interval) < 10:
        raise ValueError(f"interval must be >= 10 ms, got {interval}")

    start = []
    initial = dict(initial or {})
    for key, opts in zip(keys, options, strict=True):
        if key not in initial:
            start.append(0)
            continue
        pos = [i for i, (lb, v) in enumerate(opts)
               if _same(v, initial[key]) or lb == initial[key]]
        if not pos:
            raise ValueError(f"initial {key} must be one of "
                             f"{[lb for lb, _ in opts]}, got {initial[key]!r}")
        start.append(pos[0])
    extra = sorted(set(initial) - set(keys))
    if extra:
        raise ValueError(f"initial names unknown sliders {extra}; sliders: {keys}")

    renderer = _Renderer(draw, figsize=figsize, dpi=dpi, subplots=subplots)
    css_width = round(figsize[0] * 96)
    # Every frame is stored as its difference from one base image (a Scene's
    # static background, else the first frame), painted behind it by CSS.
    base = renderer.base
    base_style = base_class = ""
    frames: list[Frame] = []
    for combo in itertools.product(*options):
        values = {k: v for k, (_, v) in zip(keys, combo, strict=True)}
        alt = _alt(names, [lb for lb, _ in combo])
        rgba = renderer.render(values)
        if base is None:
            base = rgba.copy()
        if not base_style:
            png = _encode_png(base, colors)
            base_class = "descent-base-" + hashlib.sha1(png).hexdigest()[:12]
            base_style = _base_style(png, base_class)
        h, w = rgba.shape[:2]
        png = _encode_overlay(rgba, base, colors)
        frames.append(Frame(values=values, alt=alt, width=w, height=h,
                            html=_img_html(png, alt, w, h, css_width, base_class)))
    _check_budget(frames, base_style, max_frame_bytes, max_total_bytes,
                  dpi=dpi, figsize=figsize, colors=colors)

    frame_widgets = [widgets.HTML(value=f.html, _dom_classes=("descent-frame",))
                     for f in frames]
    sliders = [
        widgets.SelectionSlider(
            options=opts, index=i0, description=name, readout=True,
            continuous_update=True, style={"description_width": "initial"},
            layout=widgets.Layout(width="min(420px, 100%)"))
        for opts, i0, name in zip(options, start, names, strict=True)
    ]
    stack, links = _nest(frame_widgets, sliders, [len(o) for o in options], start)
    controls: list[widgets.Widget] = []
    play_widget = None
    for key, slider, opts, i0 in zip(keys, sliders, options, start, strict=True):
        if key == play:
            play_widget = widgets.Play(value=i0, min=0, max=len(opts) - 1, step=1,
                                       interval=int(interval), repeat=False,
                                       description=f"play {slider.description}")
            links.append(widgets.jslink((play_widget, "value"), (slider, "index")))
            controls.append(widgets.HBox([play_widget, slider]))
        else:
            controls.append(slider)
    head = f"<b>{html.escape(title)}</b>" if title else ""
    children: list[widgets.Widget] = [
        widgets.HTML(value=base_style + head, _dom_classes=("descent-base",))]
    children += controls + [stack]

    default_values = {k: opts[i][1] for k, opts, i in
                      zip(keys, options, start, strict=True)}
    default_alt = _alt(names, [opts[i][0] for opts, i in zip(options, start,
                                                              strict=True)])
    text = _summary_text(summary, table, default_values, default_alt, frames)
    return Explorer(children, keys=keys, names=names, options=options, frames=frames,
                    sliders=sliders, stack=stack, links=links, play=play_widget,
                    summary_text=text, base_style=base_style)


def _nest(
    frames: list[widgets.Widget],
    sliders: list[widgets.SelectionSlider],
    sizes: list[int],
    start: list[int],
) -> tuple[widgets.Stack, list[widgets.Link]]:
    """Nest Stacks: level d holds ``sizes[d]`` children and follows slider d."""
    links: list[widgets.Link] = []

    def build(level: int, items: list[widgets.Widget]) -> widgets.Stack:
        if level == len(sizes) - 1:
            children = items
        else:
            size = len(items) // sizes[level]
            children = [build(level + 1, items[i * size:(i + 1) * size])
                        for i in range(sizes[level])]
        stack = widgets.Stack(children=children, selected_index=start[level])
        links.append(widgets.jslink((sliders[level], "index"),
                                    (stack, "selected_index")))
        return stack

    return build(0, frames), links


def _check_budget(
    frames: Sequence[Frame],
    base_style: str,
    max_frame_bytes: int,
    max_total_bytes: int,
    **settings: Any,
) -> None:
    # A frame costs its own image; the base image, drawn once under all frames,
    # counts in the explorer's total.
    base = len(base_style.encode())
    mean = sum(f.nbytes for f in frames) / len(frames)
    total = base + sum(f.nbytes for f in frames)
    if mean <= max_frame_bytes and total <= max_total_bytes:
        return
    tune = ", ".join(f"{k}={v!r}" for k, v in settings.items())
    raise ValueError(
        f"explorer frames exceed the size budget: {mean / 1000:.1f} KB a frame on "
        f"average (budget max_frame_bytes={max_frame_bytes / 1000:.1f} KB) and "
        f"{total / 1000:.0f} KB in all for {len(frames)} frames and a base image of "
        f"{base / 1000:.0f} KB (budget max_total_bytes={max_total_bytes / 1000:.0f} "
        f"KB); lower {tune} or use fewer grid points")


def _summary_text(
    summary: Callable[..., str] | None,
    table: Callable[..., Mapping[str, Any]] | None,
    default_values: Mapping[str, Any],
    default_alt: str,
    frames: Sequence[Frame],
) -> str:
    parts = []
    if summary is not None:
        text = str(summary(**default_values)).rstrip()
        parts.append(f"shown first: {default_alt}\n{text}")
    if table is not None:
        rows = [(f.alt, table(**f.values)) for f in frames]
        parts.append(_format_table(rows))
    return "\n\n".join(parts)


# ---------------------------------------------------------------------------------
# Live mode


class Live(widgets.VBox):
    """Continuous sliders that recompute and redraw one persistent figure.

    Built by :func:`live`; needs a running kernel. :meth:`set` moves the sliders
    from code (as a reader would), :attr:`figure` is the one figure it ever uses.
    """

    def __init__(
        self,
        renderer: _Renderer,
        sliders: Mapping[str, widgets.Widget],
        summary: Callable[..., str] | None,
        title: str | None,
    ) -> None:
        self._renderer = renderer
        self.sliders = dict(sliders)
        self._summary = summary
        fig = renderer.figure
        self.image = widgets.Image(format="png",
                                   layout=widgets.Layout(max_width="100%"))
        self.image.width = str(round(fig.get_figwidth() * 96))
        self.text = widgets.HTML()
        self.summary_text = ""
        children: list[widgets.Widget] = []
        if title:
            children.append(widgets.HTML(value=f"<b>{html.escape(title)}</b>"))
        children += list(self.sliders.values()) + [self.image, self.text]
        super().__init__(children=children)
        self._dom_classes = ("descent-live",)
        for slider in self.sliders.values():
            slider.observe(self._on_change, names="value")
        self.refresh()

    @property
    def figure(self) -> Figure:
        """The persistent figure every update draws on."""
        return self._renderer.figure

    @property
    def values(self) -> dict[str, Any]:
        """The current slider values."""
        return {k: s.value for k, s in self.sliders.items()}

    def set(self, **values: Any) -> None:
        """Move sliders to ``values`` and redraw once."""
        unknown = sorted(set(values) - set(self.sliders))
        if unknown:
            raise ValueError(
                f"unknown sliders {unknown}; sliders: {list(self.sliders)}")
        for slider in self.sliders.values():
            slider.unobserve(self._on_change, names="value")
        try:
            for k, v in values.items():
                self.sliders[k].value = v
        finally:
            for slider in self.sliders.values():
                slider.observe(self._on_change, names="value")
        self.refresh()

    def _on_change(self, change: Mapping[str, Any]) -> None:
        self.refresh()

    def refresh(self) -> None:
        """Recompute and redraw for the current slider values."""
        values = self.values
        rgba = self._renderer.render(values)
        self.image.value = _encode_png(rgba, None)
        if self._summary is not None:
            self.summary_text = str(self._summary(**values)).rstrip()
            self.text.value = f"<pre>{html.escape(self.summary_text)}</pre>"

    def __repr__(self) -> str:
        return f"Live: {', '.join(self.sliders)}"

    def _ipython_display_(self) -> None:
        from IPython.display import display

        display(self._repr_mimebundle_(), raw=True)


def _live_slider(
    key: str, spec: Any, value: Any, label: str, log: bool, continuous: bool
) -> widgets.Widget:
    try:
        lo, hi, *rest = (float(x) for x in spec)
    except (TypeError, ValueError):
        raise ValueError(
            f"range of {key!r} must be (min, max) or (min, max, step), got {spec!r}"
        ) from None
    if len(rest) > 1 or not hi > lo:
        raise ValueError(
            f"range of {key!r} must be (min, max) or (min, max, step) with min < max,"
            f" got {spec!r}")
    common = dict(description=label, continuous_update=continuous, readout=True,
                  style={"description_width": "initial"},
                  layout=widgets.Layout(width="min(420px, 100%)"))
    if log:
        if lo <= 0:
            raise ValueError(f"log range of {key!r} must be positive, got {spec!r}")
        emin, emax = np.log10(lo), np.log10(hi)
        step = rest[0] if rest else (emax - emin) / 200
        v = float(value) if value is not None else 10 ** ((emin + emax) / 2)
        return widgets.FloatLogSlider(value=v, base=10, min=emin, max=emax,
                                      step=step, readout_format=".3g", **common)
    step = rest[0] if rest else (hi - lo) / 200
    v = float(value) if value is not None else (lo + hi) / 2
    return widgets.FloatSlider(value=v, min=lo, max=hi, step=step,
                               readout_format=".3g", **common)


def live(
    draw: Callable[..., Any] | Scene,
    ranges: Mapping[str, Sequence[float]],
    *,
    values: Mapping[str, float] | None = None,
    labels: Mapping[str, str] | None = None,
    log: Sequence[str] = (),
    figsize: tuple[float, float] = (6.4, 3.4),
    dpi: float = 96,
    subplots: Any = 1,
    title: str | None = None,
    summary: Callable[..., str] | None = None,
    continuous_update: bool = True,
) -> Live:
    """Continuous sliders that recompute the drawing on every move (needs a kernel).

    The same ``draw`` as for :func:`explorer`. A :class:`Scene` is updated in place
    and blitted on a cached background; a plain function redraws the persistent
    figure. ``ranges`` maps a slider name to ``(min, max)`` or ``(min, max, step)``;
    names in ``log`` get a logarithmic slider (e.g. a learning rate).
    """
    if not isinstance(ranges, Mapping) or not ranges:
        raise ValueError("ranges must be a non-empty mapping name -> (min, max)")
    labels = dict(labels or {})
    values = dict(values or {})
    bad = sorted((set(labels) | set(values) | set(log)) - set(ranges))
    if bad:
        raise ValueError(f"labels, values and log name unknown sliders {bad}; "
                         f"sliders: {list(ranges)}")
    sliders = {
        k: _live_slider(k, spec, values.get(k), str(labels.get(k, k)), k in log,
                        continuous_update)
        for k, spec in ranges.items()
    }
    renderer = _Renderer(draw, figsize=figsize, dpi=dpi, subplots=subplots)
    return Live(renderer, sliders, summary, title)


# ---------------------------------------------------------------------------------
# Trajectory explorers: optimizers racing on a landscape


@dataclass
class _RaceScene:
    """A :class:`Scene` that runs (and caches) a race for each slider setting."""

    landscape: Any
    make_opts: Callable[..., Mapping[str, Any]]
    steps: int
    start: Any
    time_key: str | None
    names: list[str]
    loss_range: tuple[float, float] | None
    labels: Mapping[str, str]
    cache: dict[tuple, dict[str, Any]] = field(default_factory=dict)
    scene: plots.TrajectoryScene | None = None

    def race(self, **values: Any) -> dict[str, Any]:
        from descent import run

        params = {k: v for k, v in values.items() if k != self.time_key}
        key = tuple(sorted((k, _hashable(v)) for k, v in params.items()))
        if key not in self.cache:
            opts = dict(self.make_opts(**params))
            self.cache[key] = run.race(opts, self.landscape, self.start, self.steps)
        return self.cache[key]

    def setup(self, fig: Figure) -> None:
        self.scene = plots.TrajectoryScene(self.landscape, self.names,
                                           steps=self.steps,
                                           loss_range=self.loss_range)
        self.scene.setup(fig)
        self.scene.title.set_text(_title(self.landscape, self.labels, {}))

    def update(self, **values: Any) -> list[Any]:
        trajs = self.race(**values)
        upto = None if self.time_key is None else int(values[self.time_key])
        return self.scene.draw(trajs, upto=upto,
                               title=_title(self.landscape, self.labels, values))


def _hashable(v: Any) -> Any:
    try:
        hash(v)
        return v
    except TypeError:
        return repr(v)


def _title(landscape: Any, labels: Mapping[str, str], values: Mapping[str, Any]) -> str:
    name = str(getattr(landscape, "title", "") or getattr(landscape, "name", ""))
    shown = ", ".join(f"{labels.get(k, k)} = {format_value(v)}"
                      for k, v in values.items())
    return f"{name}: {shown}" if shown else name


def race_grid(
    landscape: Any,
    make_opts: Callable[..., Mapping[str, Any]],
    grids: Mapping[str, Sequence[Any]],
    *,
    steps: int,
    start: Any = None,
) -> dict[tuple, dict[str, Any]]:
    """Run :func:`descent.run.race` for every point of ``grids``.

    ``make_opts(**values)`` returns ``{name: optimizer}``. Returns
    ``{(value, ...): {name: Trajectory}}`` in grid order.
    """
    from descent import run

    keys = list(grids)
    start = landscape.start if start is None else start
    out = {}
    for combo in itertools.product(*(list(grids[k]) for k in keys)):
        values = dict(zip(keys, combo, strict=True))
        out[combo] = run.race(dict(make_opts(**values)), landscape, start, steps)
    return out


def _loss_range(trajs: Sequence[Any]) -> tuple[float, float]:
    """A loss axis for all frames: from the least loss up to 100× the start loss.

    Losses of runs that blow up leave the top of the axis rather than squash every
    other curve to the bottom.
    """
    arrays = [plots.finite_points(t.loss) for t in trajs]
    arrays = [a for a in arrays if a.size]
    if not arrays:
        return 1e-3, 1.0
    values = np.concatenate(arrays)
    cap = 100 * max(abs(float(a[0])) for a in arrays)
    hi = min(float(values.max()), cap) if cap > 0 else float(values.max())
    lo = float(values.min())
    if lo > 0:
        lo = max(lo, hi * 1e-12)
    if hi <= lo:
        hi = lo + 1.0
    return lo, hi


def _race_summary(landscape: Any, trajs: Mapping[str, Any], start: Any,
                  upto: int | None = None) -> str:
    rows = []
    minima = np.asarray(getattr(landscape, "minima", np.empty((0, 2))), float)
    minima = minima.reshape(-1, 2)
    for name, t in trajs.items():
        params = plots.finite_points(t.params)
        loss = plots.finite_points(t.loss)
        k = t.diverged_at
        if upto is not None:
            params, loss = params[: upto + 1], loss[: upto + 1]
            k = k if k is not None and k <= upto else None
        row: dict[str, Any] = {"final loss": float(loss[-1])}
        if minima.size:
            row["dist to min"] = float(np.min(np.linalg.norm(minima - params[-1],
                                                             axis=1)))
        row["diverged at"] = "-" if k is None else f"step {k}"
        rows.append((name, row))
    s = ", ".join(format_number(x) for x in np.asarray(start, float))
    head = f"{getattr(landscape, 'name', 'landscape')} from ({s})"
    return head + "\n" + _format_table(rows)


def trajectory_explorer(
    landscape: Any,
    make_opts: Callable[..., Mapping[str, Any]],
    grids: Mapping[str, Sequence[Any]],
    *,
    steps: int = 200,
    start: Any = None,
    labels: Mapping[str, str] | None = None,
    initial: Mapping[str, Any] | None = None,
    time_key: str = "step",
    play: str | None = None,
    grid_table: bool = True,
    figsize: tuple[float, float] = (7.2, 3.2),
    dpi: float = 144,
    colors: int | None = 64,
    title: str | None = None,
    interval: int = 300,
    max_frame_bytes: int = FRAME_BUDGET_BYTES,
    max_total_bytes: int = EXPLORER_BUDGET_BYTES,
) -> Explorer:
    """Optimizers racing on ``landscape``, one frame per point of ``grids``.

    ``make_opts(**values)`` returns ``{name: optimizer}`` for one setting of the
    sliders (every setting should give the same names). Each frame shows the paths
    on the contours and the losses; the loss axis is the same in every frame. A grid
    named ``time_key`` (default ``"step"``) is time: the race runs once for the other
    sliders and the frames show its first ``step`` steps; ``play`` defaults to it.

    The printed summary gives the shown frame's final loss, distance to the nearest
    minimum and divergence per optimizer, and (``grid_table=True``) the final loss of
    each optimizer at each grid point (``div@k`` when it diverged at step k). With
    time as the only slider it also gives the numbers after all ``steps`` steps.
    """
    if int(steps) < 1:
        raise ValueError(f"steps must be an integer >= 1, got {steps!r}")
    steps = int(steps)
    start = np.asarray(landscape.start if start is None else start, float)
    keys = list(grids)
    tkey = time_key if time_key in grids else None
    if tkey is not None:
        times = [int(t) for t in grids[tkey]]
        if min(times) < 0 or max(times) > steps:
            raise ValueError(f"grid {tkey!r} must lie in [0, steps={steps}], "
                             f"got {min(times)}..{max(times)}")
        if play is None:
            play = tkey
    labels = dict(labels or {})
    param_keys = [k for k in keys if k != tkey]
    scene = _RaceScene(landscape, make_opts, steps, start, tkey, [], None, labels)
    for combo in itertools.product(*(list(grids[k]) for k in param_keys)):
        scene.race(**dict(zip(param_keys, combo, strict=True)))
    names: list[str] = []
    for trajs in scene.cache.values():
        names += [n for n in trajs if n not in names]
    scene.names = names
    scene.loss_range = _loss_range([t for tr in scene.cache.values()
                                    for t in tr.values()])

    def summary(**values: Any) -> str:
        upto = None if tkey is None else int(values[tkey])
        return _race_summary(landscape, scene.race(**values), start, upto)

    table = None
    if grid_table and param_keys:
        def final_losses(**values: Any) -> dict[str, Any]:
            trajs = scene.race(**values)
            return {n: (f"div@{t.diverged_at}" if t.diverged_at is not None
                        else float(plots.finite_points(t.loss)[-1]))
                    for n, t in trajs.items()}

        table = _grid_table(final_losses, param_keys, grids, labels)

    ex = explorer(scene, grids, labels=labels, initial=initial, figsize=figsize,
                  dpi=dpi, colors=colors, title=title, play=play, interval=interval,
                  summary=summary, max_frame_bytes=max_frame_bytes,
                  max_total_bytes=max_total_bytes)
    if table is not None:
        ex.summary_text = ex.summary_text + "\n\nfinal loss over the grid\n" + table
    elif tkey is not None and not param_keys:
        # Play starts from the first frame; also say how the race ends.
        end = _race_summary(landscape, scene.race(), start).split("\n", 1)[1]
        ex.summary_text = ex.summary_text + f"\n\nafter all {steps} steps\n" + end
    return ex


def _grid_table(
    row: Callable[..., Mapping[str, Any]],
    keys: Sequence[str],
    grids: Mapping[str, Sequence[Any]],
    labels: Mapping[str, str],
) -> str:
    rows = []
    for combo in itertools.product(*(list(grids[k]) for k in keys)):
        values = dict(zip(keys, combo, strict=True))
        label = _alt([labels.get(k, k) for k in keys], [format_value(v)
                                                       for v in combo])
        rows.append((label, row(**values)))
    return _format_table(rows)


class _LiveRaceScene(_RaceScene):
    """Live races keep only the latest setting: every move is a new one."""

    def race(self, **values: Any) -> dict[str, Any]:
        from descent import run

        params = {k: v for k, v in values.items() if k != self.time_key}
        key = tuple(sorted((k, _hashable(v)) for k, v in params.items()))
        if key not in self.cache:
            self.cache.clear()
            self.cache[key] = run.race(dict(self.make_opts(**params)),
                                       self.landscape, self.start, self.steps)
        return self.cache[key]


def trajectory_live(
    landscape: Any,
    make_opts: Callable[..., Mapping[str, Any]],
    ranges: Mapping[str, Sequence[float]],
    *,
    steps: int = 300,
    start: Any = None,
    values: Mapping[str, float] | None = None,
    labels: Mapping[str, str] | None = None,
    log: Sequence[str] = (),
    loss_range: tuple[float, float] | None = None,
    figsize: tuple[float, float] = (7.2, 3.2),
    dpi: float = 96,
    title: str | None = None,
    continuous_update: bool = True,
) -> Live:
    """The live counterpart of :func:`trajectory_explorer` (needs a kernel).

    Every slider move reruns the race and moves the new paths and losses into the
    persistent figure. ``loss_range`` fixes the loss axis (default: from the loss at
    the start down to 1e-8 of it).
    """
    start = np.asarray(landscape.start if start is None else start, float)
    labels = dict(labels or {})
    first = {k: (values or {}).get(k) for k in ranges}
    probe = {}
    for k, spec in ranges.items():
        lo, hi = float(spec[0]), float(spec[1])
        v = first[k]
        probe[k] = v if v is not None else (
            10 ** ((np.log10(lo) + np.log10(hi)) / 2) if k in log and lo > 0
            else (lo + hi) / 2)
    names = list(make_opts(**probe))
    scene = _LiveRaceScene(landscape, make_opts, int(steps), start, None, names,
                           loss_range, labels)

    def summary(**vals: Any) -> str:
        return _race_summary(landscape, scene.race(**vals), start)

    return live(scene, ranges, values=values, labels=labels, log=log,
                figsize=figsize, dpi=dpi, title=title, summary=summary,
                continuous_update=continuous_update)


# ---------------------------------------------------------------------------------
# Minibatch explorers: the same optimizer on full and on minibatch gradients


@dataclass
class _MinibatchScene(_RaceScene):
    """Runs one optimizer on the full gradient and on minibatch gradients.

    ``landscape`` is an objective with ``minibatch(batch_size, rng)`` (such as
    :class:`descent.regression.LineFit`). Every setting draws its minibatches from
    a generator seeded with the same ``seed`` (common random numbers), so frames
    differ only by the slider values, not by luck.
    """

    seed: int = 0
    batch_key: str = "batch_size"
    bound: float = 1e3

    def race(self, **values: Any) -> dict[str, Any]:
        from descent import run

        params = {k: v for k, v in values.items() if k != self.time_key}
        key = tuple(sorted((k, _hashable(v)) for k, v in params.items()))
        if key not in self.cache:
            batch = int(params.pop(self.batch_key))
            opt = self.make_opts(**params)
            noisy = self.landscape.minibatch(batch, np.random.default_rng(self.seed))
            self.cache[key] = {
                "full batch": run.run(opt, self.landscape, self.start, self.steps,
                                      bound=self.bound, name="full batch"),
                "minibatch": run.run(opt, noisy, self.start, self.steps,
                                     bound=self.bound, name="minibatch"),
            }
        return self.cache[key]


def minibatch_explorer(
    objective: Any,
    make_opt: Callable[..., Any],
    grids: Mapping[str, Sequence[Any]],
    *,
    rng: np.random.Generator,
    steps: int = 150,
    batch_key: str = "batch_size",
    start: Any = None,
    labels: Mapping[str, str] | None = None,
    initial: Mapping[str, Any] | None = None,
    bound: float = 1e3,
    figsize: tuple[float, float] = (7.2, 3.2),
    dpi: float = 120,
    colors: int | None = 64,
    title: str | None = None,
    max_frame_bytes: int = FRAME_BUDGET_BYTES,
    max_total_bytes: int = EXPLORER_BUDGET_BYTES,
) -> Explorer:
    """Full-batch against minibatch descent, one frame per point of ``grids``.

    ``objective`` offers ``minibatch(batch_size, rng)`` (e.g.
    :class:`descent.regression.LineFit`); ``make_opt(**values)`` builds the
    optimizer from the slider values other than ``batch_key`` (e.g.
    ``lambda lr: sgd(lr)``). Each frame runs that optimizer for ``steps`` steps
    twice from the same start: on the full gradient ("full batch") and on
    minibatch gradients of the batch size shown ("minibatch"), and draws both
    paths and losses. Minibatches come from one seed drawn from ``rng``, the same
    for every frame. A run that leaves |θ|∞ ≤ ``bound`` stops there and says so.

    The printed summary gives the shown frame's final loss, distance to the
    minimum and divergence, then a table of the final excess loss L − L* over
    the grid: one row per value of the other sliders, one column for the full
    batch and one per batch size (``div@k`` when a run diverged at step k).
    """
    if batch_key not in grids:
        raise ValueError(f"grids must hold the batch size slider {batch_key!r}, "
                         f"got {list(grids)}")
    if not callable(getattr(objective, "minibatch", None)):
        raise ValueError("objective must offer minibatch(batch_size, rng)")
    if not isinstance(rng, np.random.Generator):
        raise ValueError(f"rng must be a numpy Generator, got {type(rng).__name__}")
    if int(steps) < 1:
        raise ValueError(f"steps must be an integer >= 1, got {steps!r}")
    steps = int(steps)
    start = np.asarray(objective.start if start is None else start, float)
    keys = list(grids)
    labels = dict(labels or {})
    scene = _MinibatchScene(objective, make_opt, steps, start, None,
                            ["full batch", "minibatch"], None, labels,
                            seed=int(rng.integers(2**31)), batch_key=batch_key,
                            bound=float(bound))
    for combo in itertools.product(*(list(grids[k]) for k in keys)):
        scene.race(**dict(zip(keys, combo, strict=True)))
    # The loss axis spans the runs that stayed in bounds, up to 10 × the start's
    # loss, so one diverging run does not squash the others.
    f0 = float(objective.value(start))
    kept = [t for tr in scene.cache.values() for t in tr.values()]
    lo, _ = _loss_range(kept)
    scene.loss_range = (lo, 10 * abs(f0) if f0 > lo else lo + 1.0)

    def summary(**values: Any) -> str:
        return _race_summary(objective, scene.race(**values), start)

    def excess(t: Any) -> Any:
        if t.diverged_at is not None:
            return f"div@{t.diverged_at}"
        return float(plots.finite_points(t.loss)[-1]) - (t.min_value or 0.0)

    # One row per setting of the other sliders; columns: full batch, then each B.
    other = [k for k in keys if k != batch_key]
    rows = []
    for combo in itertools.product(*(list(grids[k]) for k in other)):
        values = dict(zip(other, combo, strict=True))
        label = _alt([labels.get(k, k) for k in other],
                     [format_value(v) for v in combo]) or "all"
        row: dict[str, Any] = {}
        for b in grids[batch_key]:
            trajs = scene.race(**values, **{batch_key: b})
            row.setdefault("full batch", excess(trajs["full batch"]))
            row[f"B = {format_value(b)}"] = excess(trajs["minibatch"])
        rows.append((label, row))
    ex = explorer(scene, grids, labels=labels, initial=initial, figsize=figsize,
                  dpi=dpi, colors=colors, title=title, summary=summary,
                  max_frame_bytes=max_frame_bytes, max_total_bytes=max_total_bytes)
    ex.summary_text = (ex.summary_text + f"\n\nexcess loss L - L* after {steps} "
                       "steps over the grid\n" + _format_table(rows))
    return ex


# ---------------------------------------------------------------------------------
# Vanishing and exploding gradients: deep nets at initialisation, and clipping

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


#: Init scales of :func:`depth_init_explorer`: weights N(0, gain²/fan_in). For the
#: square hidden layers, gain 1 is Xavier's std and gain √2 is He's.
INIT_GAINS: dict[str, float] = {
    "0.5": 0.5,
    "1 (Xavier)": 1.0,
    "1.41 (He)": float(np.sqrt(2.0)),
    "2": 2.0,
    "4": 4.0,
}


def depth_init_explorer(
    X: Any,
    y: Any,
    rng: np.random.Generator,
    *,
    depths: Sequence[int] = (5, 10, 15, 20),
    gains: Mapping[str, float] | Sequence[float] | None = None,
    activations: Sequence[str] = ("sigmoid", "tanh", "relu"),
    width: int = 32,
    initial: Mapping[str, Any] | None = None,
    figsize: tuple[float, float] = (7.2, 3.0),
    dpi: float = 110,
    colors: int | None = 64,
    title: str | None = None,
    max_frame_bytes: int = FRAME_BUDGET_BYTES,
    max_total_bytes: int = EXPLORER_BUDGET_BYTES,
) -> Explorer:
    """Per-layer gradients of fresh deep nets over depth × init scale.

    For each depth and gain, nets of ``depth`` layers and hidden ``width``, one per
    activation, start with the weights of a layer with ``fan_in`` inputs drawn
    from N(0, gain²/fan_in) and zero biases (gain 1 is Xavier's std for square
    layers, gain √2 is He's; the default gains are :data:`INIT_GAINS`). The unit
    normal draws come from ``rng`` once per depth and are shared by every gain and
    activation, so two frames of one depth differ only by the scale. Each frame
    shows, per layer l, the backward signal ‖δ_l‖/‖δ_L‖ (the product of the
    Jacobians from the output down to layer l) and the weight gradient ‖∂ℒ/∂W_l‖,
    on the batch ``X``, ``y`` (binary cross-entropy); the axes are the same in
    every frame.

    The printed summary gives the shown frame's numbers for the first, middle and
    last layer, then ‖δ_1‖/‖δ_L‖ for every frame and activation.
    """
    from descent import nets

    if not isinstance(rng, np.random.Generator):
        raise ValueError(f"rng must be a numpy Generator, got {type(rng).__name__}")
    depths = [int(d) for d in depths]
    if not depths or min(depths) < 2:
        raise ValueError(f"depths must be integers >= 2, got {depths}")
    gains = INIT_GAINS if gains is None else gains
    gain_values = list(gains.values()) if isinstance(gains, Mapping) else list(gains)
    if not gain_values or not all(float(g) > 0 for g in gain_values):
        raise ValueError(f"gains must be > 0, got {gain_values}")
    for act in activations:
        if act not in nets.ACTIVATIONS:
            raise ValueError(f"activations must be among {sorted(nets.ACTIVATIONS)}, "
                             f"got {act!r}")
    X = np.asarray(X, dtype=float)
    units = {}
    for depth in depths:
        model = nets.MLP.deep(depth, width, n_in=X.shape[1], init="normal", std=1.0)
        units[depth] = model.init_params(rng)

    data: dict[tuple[int, float], dict[str, tuple[np.ndarray, np.ndarray]]] = {}
    for depth in depths:
        for gain in gain_values:
            params = [p * (float(gain) / np.sqrt(p.shape[1])) if p.ndim == 2 else p
                      for p in units[depth]]
            row = {}
            for act in activations:
                model = nets.MLP.deep(depth, width, n_in=X.shape[1],
                                      activation=act, init="normal", std=1.0)
                r = model.backprop(params, X, y)
                delta = r.delta_norms
                row[act] = (delta / delta[-1], model.layer_grad_norms(r.grads))
            data[depth, float(gain)] = row

    def limits(i: int) -> tuple[float, float]:
        v = np.concatenate([s[i] for row in data.values() for s in row.values()])
        v = v[np.isfinite(v) & (v > 0)]
        return 10.0 ** np.floor(np.log10(v.min())), 10.0 ** np.ceil(np.log10(v.max()))

    def frame(depth: int, gain: float) -> tuple[list[dict[str, Any]], str]:
        row = data[int(depth), float(gain)]
        title = (rf"depth {int(depth)}, width {width}, init std = "
                 rf"${format_value(float(gain))}/\sqrt{{\mathrm{{fan\_in}}}}$")
        return [{a: s[i] for a, s in row.items()} for i in (0, 1)], title

    scene = _SceneAdapter(plots.ProfileScene(
        list(activations),
        [(r"backward signal $\|\delta_l\| / \|\delta_L\|$", limits(0)),
         (r"weight gradient $\|\partial \mathcal{L}/\partial W_l\|$", limits(1))],
        n_layers=max(depths), colors=plots.ACTIVATION_COLORS), frame)

    def summary(depth: int, gain: float) -> str:
        row = data[int(depth), float(gain)]
        layers = sorted({1, (int(depth) + 1) // 2, int(depth)})
        rows = []
        for act, (delta, grad) in row.items():
            cells: dict[str, Any] = {}
            for layer in layers:
                cells[f"d{layer}/dL"] = float(delta[layer - 1])
            for layer in layers:
                cells[f"|dL/dW{layer}|"] = float(grad[layer - 1])
            rows.append((act, cells))
        return _format_table(rows)

    def table(depth: int, gain: float) -> dict[str, Any]:
        return {f"{act} d1/dL": float(s[0][0])
                for act, s in data[int(depth), float(gain)].items()}

    gain_grid = dict(gains) if isinstance(gains, Mapping) else gain_values
    ex = explorer(scene, {"depth": depths, "gain": gain_grid},
                  labels={"depth": "depth", "gain": "init gain"},
                  initial=initial, figsize=figsize, dpi=dpi, colors=colors,
                  title=title, summary=summary,
                  max_frame_bytes=max_frame_bytes, max_total_bytes=max_total_bytes)
    grid_rows = [(f.alt, table(**f.values)) for f in ex.frames]
    ex.summary_text = (ex.summary_text + "\n\nbackward signal of the first layer "
                       "|delta_1| / |delta_L| over the grid\n"
                       + _format_table(grid_rows))
    return ex


#: Colours of the runs of :func:`clip_explorer` ("clip by norm" is SGD with its
#: gradient clipped by norm), as :func:`descent.plots.color_for` gives them.
CLIP_RUN_COLORS: dict[str, str] = {
    name: plots.color_for(name) for name in ("sgd", "clip by norm", "adam")
}


def clip_explorer(
    objective: Any,
    *,
    lrs: Sequence[float],
    max_norms: Sequence[float],
    steps: int = 150,
    start: Any = None,
    span: tuple[float, float] | None = None,
    resolution: int = 400,
    xlabel: str = r"$w$",
    initial: Mapping[str, Any] | None = None,
    figsize: tuple[float, float] = (7.2, 3.0),
    dpi: float = 110,
    colors: int | None = 64,
    title: str | None = None,
    max_frame_bytes: int = FRAME_BUDGET_BYTES,
    max_total_bytes: int = EXPLORER_BUDGET_BYTES,
) -> Explorer:
    """SGD with and without gradient clipping, and Adam, on a loss of one parameter.

    ``objective`` has ``value(θ)`` and ``grad(θ)`` for θ of shape ``(1,)`` (e.g.
    :class:`descent.nets.BatchLoss` of the scalar :class:`~descent.nets.LinearRNN`).
    For every learning rate η in ``lrs`` and threshold c in ``max_norms`` three
    runs of ``steps`` steps start from ``start``: "sgd" (η), "clip by norm" (SGD
    with η on gradients clipped to norm c, so no step is longer than ηc) and
    "adam" (η). Each frame shows the loss curve over ``span`` with the iterates on
    it, and the loss against the step; the axes are the same in every frame. A run
    that diverges stops there and says so (:func:`descent.run.run`).

    The printed summary gives the shown frame's runs, then the final loss of every
    run over the grid (``div@k`` when it diverged at step k).
    """
    from descent import optim, run

    if int(steps) < 1:
        raise ValueError(f"steps must be an integer >= 1, got {steps!r}")
    steps = int(steps)
    start = np.asarray(getattr(objective, "start", None) if start is None else start,
                       dtype=float).reshape(-1)
    if start.shape != (1,):
        raise ValueError(f"start must hold one parameter, got shape {start.shape}")
    lrs = [float(v) for v in lrs]
    max_norms = [float(v) for v in max_norms]
    if not lrs or not max_norms or min(lrs + max_norms) <= 0:
        raise ValueError(f"lrs and max_norms must be non-empty and > 0, got "
                         f"{lrs}, {max_norms}")
    minima = getattr(objective, "minima", None)
    points = [start[0]] + ([] if minima is None else
                           [float(m) for m in np.asarray(minima).reshape(-1)])
    if span is None:
        lo, hi = min(points), max(points)
        pad = 0.5 * (hi - lo) or 0.5
        span = (lo - pad, hi + pad)
    xs = np.linspace(float(span[0]), float(span[1]), int(resolution))
    fs = np.array([objective.value(np.array([x])) for x in xs])

    cache: dict[tuple[str, float, float | None], Any] = {}

    def runs(lr: float, max_norm: float) -> dict[str, Any]:
        out = {}
        for name, c in (("sgd", None), ("clip by norm", max_norm), ("adam", None)):
            key = (name, lr, c)
            if key not in cache:
                opt = (optim.adam(lr) if name == "adam" else
                       optim.sgd(lr) if c is None else
                       optim.clip_by_global_norm(optim.sgd(lr), c))
                cache[key] = run.run(opt, objective, start, steps, name=name)
            out[name] = cache[key]
        return out

    for lr in lrs:
        for c in max_norms:
            runs(lr, c)
    f0 = float(objective.value(start))
    kept = np.concatenate([t.loss for t in cache.values()])
    kept = kept[kept > 0]
    floor = max(float(kept.min()) if kept.size else f0 * 1e-12, f0 * 1e-16)
    loss_lim = (floor / 3, f0 * 1e3)

    def frame(lr: float, max_norm: float) -> tuple[dict[str, Any], str]:
        title = (rf"$\eta$ = {format_value(float(lr))}, clip threshold "
                 rf"$c$ = {format_value(float(max_norm))} (max step $\eta c$ = "
                 rf"{format_value(float(lr) * float(max_norm))})")
        return runs(float(lr), float(max_norm)), title

    scene = _SceneAdapter(plots.LossCurveScene(
        xs, fs, list(CLIP_RUN_COLORS), steps=steps, loss_range=loss_lim,
        colors=CLIP_RUN_COLORS, xlabel=xlabel), frame)

    def summary(lr: float, max_norm: float) -> str:
        return run.summarise(runs(float(lr), float(max_norm)))

    def final(t: Any) -> Any:
        return f"div@{t.diverged_at}" if t.diverged_at is not None else t.final_loss

    rows = []
    for lr in lrs:
        row: dict[str, Any] = {"sgd": final(runs(lr, max_norms[0])["sgd"]),
                               "adam": final(runs(lr, max_norms[0])["adam"])}
        for c in max_norms:
            row[f"clip c={format_value(c)}"] = final(runs(lr, c)["clip by norm"])
        rows.append((f"lr = {format_value(lr)}", row))
    ex = explorer(scene, {"lr": lrs, "max_norm": max_norms},
                  labels={"lr": "learning rate", "max_norm": "clip threshold c"},
                  initial=initial, figsize=figsize, dpi=dpi, colors=colors,
                  title=title, summary=summary,
                  max_frame_bytes=max_frame_bytes, max_total_bytes=max_total_bytes)
    ex.summary_text = (ex.summary_text + f"\n\nfinal loss after {steps} steps over "
                       "the grid\n" + _format_table(rows))
    return ex
