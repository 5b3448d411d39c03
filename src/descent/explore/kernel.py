"""Kernel mode: continuous sliders that recompute on every move.

:func:`live` is for readers with a running kernel; it never replaces an
explorer in a stored notebook.
"""

from __future__ import annotations

import html
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import ipywidgets as widgets
import numpy as np
from matplotlib.figure import Figure

from .encoding import _encode_png
from .render import Scene, _Renderer
from .trajectories import _hashable, _race_summary, _RaceScene


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
