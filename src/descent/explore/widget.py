"""The :class:`Explorer` widget: sliders linked to nested Stacks of frames.

:func:`explorer` draws every frame over a grid of slider values when the
notebook executes and links the sliders to the frames in the browser
(``jslink``), so moving a slider needs no kernel.
"""

from __future__ import annotations

import hashlib
import html
import itertools
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import ipywidgets as widgets
import numpy as np

from .encoding import (
    EXPLORER_BUDGET_BYTES,
    FRAME_BUDGET_BYTES,
    Frame,
    _base_style,
    _check_budget,
    _encode_overlay,
    _encode_png,
    _img_html,
)
from .render import Scene, _Renderer
from .summary import _alt, _format_table, format_value


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
