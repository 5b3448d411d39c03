"""The race: an animated SVG of optimizers racing over a landscape's contours.

:func:`race_svg` writes plain, deterministic SVG text animated with SMIL, which a
browser plays in an ``<img>`` with no script; the rest of the module are its
helpers (short numbers, compact paths, contour lines, markers).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from descent.plots.common import _divergence_step, _trajs, finite_points
from descent.plots.landscape import _contour_levels, _domain, landscape_grid
from descent.plots.style import color_for


def _svg_num(v: float, decimals: int = 1) -> str:
    """A short, stable decimal: no exponent, no trailing zeros, never ``-0``."""
    text = f"{round(float(v), decimals) + 0.0:.{decimals}f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def _svg_escape(text: str) -> str:
    return (
        str(text)
        .replace("&", "&amp;")
        .replace("<", "&lt;")
        .replace(">", "&gt;")
        .replace('"', "&quot;")
    )


def _thin(points: np.ndarray, min_dist: float) -> np.ndarray:
    """Drop points closer than ``min_dist`` to the last kept one (keep both ends)."""
    if len(points) <= 2:
        return points
    keep = [0]
    last = points[0]
    for i in range(1, len(points) - 1):
        if np.hypot(*(points[i] - last)) >= min_dist:
            keep.append(i)
            last = points[i]
    keep.append(len(points) - 1)
    return points[keep]


def _svg_polyline(points: np.ndarray) -> str:
    """A compact SVG path through ``points``: ``M x y`` then relative ``l dx dy``.

    Points are rounded to 0.1 first and the moves taken between rounded points,
    so rounding never accumulates; moves of length zero are left out.
    """
    pts = np.round(np.asarray(points, dtype=float) * 10).astype(np.int64)
    parts = [f"M{_svg_num(pts[0, 0] / 10)} {_svg_num(pts[0, 1] / 10)}"]
    for dx, dy in np.diff(pts, axis=0):
        if dx or dy:
            parts.append(f"l{_svg_num(dx / 10)} {_svg_num(dy / 10)}")
    return "".join(parts).replace(" -", "-")


def race_svg(
    landscape: Any,
    trajs: Mapping[str, Any],
    *,
    labels: Mapping[str, str] | None = None,
    title: str | None = None,
    domain: tuple[tuple[float, float], tuple[float, float]] | None = None,
    width: int = 720,
    height: int = 440,
    draw_seconds: float = 9.0,
    hold_seconds: float = 3.0,
    frames: int = 90,
    levels: int = 12,
    resolution: int = 160,
) -> str:
    """An animated SVG of optimizers racing over the contours of a 2-D landscape.

    Each trajectory's path is drawn progressively, step by step, with a dot at its
    head; all runs advance one step per frame together, so a run that moves faster
    per step pulls ahead. The animation is SMIL (``<animate>``), which browsers play
    in an ``<img>`` with no script, loops forever, and holds the finished race for
    ``hold_seconds`` before starting again. A viewer that does not animate shows the
    finished race. A run that diverged ends with an ``x`` and its legend entry says
    at which step. Text is English; the result is plain, deterministic SVG text.

    Args:
        landscape: anything with ``value`` (vectorised over ``(..., 2)``), ``domain``
            and optionally ``minima``, ``title``.
        trajs: name → :class:`descent.run.Trajectory` (``params``, ``diverged_at``),
            as returned by :func:`descent.run.race`; colours follow :func:`color_for`.
        labels: optional name → legend text (default: the name).
        title: the heading (default: the landscape's title).
        domain: the plot box ``((xmin, xmax), (ymin, ymax))`` (default: the
            landscape's), e.g. to zoom in on where the runs go.
        width, height: size of the picture in SVG units (it scales to its box).
        draw_seconds, hold_seconds: duration of the race and of the pause after it.
        frames: number of key frames of the animation (≥ 2).
        levels: number of contour lines (≥ 3).
        resolution: grid size of the contour computation.

    Returns:
        The SVG document as a string (UTF-8 text, starting with ``<svg``).
    """
    import contourpy  # a dependency of matplotlib; needed only here

    items = _trajs(trajs)
    if not items:
        raise ValueError("trajs must hold at least one trajectory")
    if int(frames) < 2:
        raise ValueError(f"frames must be an integer >= 2, got {frames!r}")
    if not (draw_seconds > 0 and hold_seconds >= 0):
        raise ValueError(
            "draw_seconds must be > 0 and hold_seconds >= 0, got "
            f"{draw_seconds!r} and {hold_seconds!r}"
        )
    if int(width) < 200 or int(height) < 150:
        raise ValueError(
            f"width must be >= 200 and height >= 150, got {width} and {height}"
        )
    labels = dict(labels or {})
    frames = int(frames)
    box = _domain(landscape) if domain is None else _domain(_Box(domain))
    (x0, x1), (y0, y1) = box
    if not (x1 > x0 and y1 > y0):
        raise ValueError(f"domain must have xmin < xmax and ymin < ymax, got {box}")

    # Layout: plot box on the left keeping the domain's aspect, legend on the right.
    legend_w, top, pad, bottom = 200.0, 30.0, 10.0, 34.0
    avail_w, avail_h = width - legend_w - 2 * pad, height - top - bottom
    scale = min(avail_w / (x1 - x0), avail_h / (y1 - y0))
    pw, ph = scale * (x1 - x0), scale * (y1 - y0)
    px0, py0 = pad + (avail_w - pw) / 2.0, top + (avail_h - ph) / 2.0

    def to_px(p: np.ndarray) -> np.ndarray:
        p = np.asarray(p, dtype=float).reshape(-1, 2)
        u = px0 + (p[:, 0] - x0) * scale
        v = py0 + (y1 - p[:, 1]) * scale
        # Far-away points are pulled in (outside the clip box, so never seen) to
        # keep the numbers short.
        u = np.clip(u, -width, 2 * width)
        v = np.clip(v, -height, 2 * height)
        return np.stack([u, v], axis=1)

    out: list[str] = []
    w_, h_ = int(width), int(height)
    out.append(
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {w_} {h_}" '
        f'width="{w_}" height="{h_}" font-family="DejaVu Sans, Arial, sans-serif">'
    )
    heading = title if title is not None else getattr(landscape, "title", "") or ""
    names = ", ".join(labels.get(n, n) for n, _ in items)
    out.append(f"<title>{_svg_escape(heading)}: {_svg_escape(names)}</title>")
    out.append(
        f'<clipPath id="plot-box"><rect x="{_svg_num(px0)}" y="{_svg_num(py0)}" '
        f'width="{_svg_num(pw)}" height="{_svg_num(ph)}"/></clipPath>'
    )
    out.append(f'<rect width="{w_}" height="{h_}" fill="#ffffff"/>')
    out.append(
        f'<rect x="{_svg_num(px0)}" y="{_svg_num(py0)}" width="{_svg_num(pw)}" '
        f'height="{_svg_num(ph)}" fill="#f4f5f7" stroke="#9aa0aa" stroke-width="0.8"/>'
    )

    # Contours, darker towards the minimum.
    X, Y, Z = landscape_grid(_Box(box, landscape.value), int(resolution))
    lv = _contour_levels(Z, int(levels), log=True)[1:]
    Zc = np.where(np.isfinite(Z), Z, lv[-1] * 2 if lv[-1] > 0 else lv[-1] + 1)
    gen = contourpy.contour_generator(X, Y, Zc, line_type="Separate")
    out.append('<g clip-path="url(#plot-box)" fill="none" stroke-width="0.7">')
    for i, level in enumerate(lv):
        shade = 0.45 + 0.4 * i / max(len(lv) - 1, 1)
        grey = "#" + f"{int(255 * shade):02x}" * 3
        segs = [_thin(to_px(seg), 2.5) for seg in gen.lines(float(level))]
        # Loops smaller than a few pixels are grid artefacts, not contours.
        segs = [s for s in segs if len(s) >= 2 and np.ptp(s, axis=0).max() >= 4.0]
        d = "".join(_svg_polyline(s) for s in segs)
        if d:
            out.append(f'<path d="{d}" stroke="{grey}"/>')
    out.append("</g>")

    mins = np.asarray(getattr(landscape, "minima", np.empty((0, 2))), dtype=float)
    for mx, my in to_px(mins.reshape(-1, 2)):
        out.append(
            f'<path d="{_star_path(mx, my, 7.0)}" fill="#000000" stroke="#ffffff" '
            'stroke-width="0.8"/>'
        )

    # Frame k shows steps 0 … s_k of every run.
    n_max = max(len(finite_points(t.params)) - 1 for _, t in items)
    n_max = max(n_max, 1)
    frame_steps = np.round(np.linspace(0, n_max, frames)).astype(int)
    total = draw_seconds + hold_seconds
    key_times = [k / (frames - 1) * draw_seconds / total for k in range(frames)]
    times = ";".join(_svg_num(t, 4) for t in key_times)
    if hold_seconds > 0:
        times += ";1"
    anim = f'dur="{_svg_num(total, 2)}s" repeatCount="indefinite" keyTimes="{times}"'

    def values(seq: Sequence[float]) -> str:
        seq = list(seq)
        if hold_seconds > 0:
            seq.append(seq[-1])
        return ";".join(_svg_num(v) for v in seq)

    start = None
    out.append('<g clip-path="url(#plot-box)" fill="none" stroke-linecap="round" '
               'stroke-linejoin="round">')
    legend_rows: list[tuple[str, str, str]] = []
    for name, traj in items:
        color = color_for(name)
        # Rounded as written, so that the lengths below are those of the path.
        pts_all = np.round(to_px(finite_points(traj.params)), 1)
        if start is None and len(pts_all):
            start = pts_all[0]
        n = len(pts_all) - 1
        seg = np.hypot(*np.diff(pts_all, axis=0).T) if n > 0 else np.zeros(0)
        cum = np.concatenate([[0.0], np.cumsum(seg)])
        length = float(cum[-1])
        idx = np.minimum(frame_steps, n)
        drawn = cum[idx]
        label = labels.get(name, name)
        k = _divergence_step(traj)
        legend_rows.append((color, label, _race_result(traj, k)))
        total_len = _svg_num(length + 1.0)
        out.append(
            f'<path d="{_svg_polyline(pts_all)}" stroke="{color}" stroke-width="2" '
            f'stroke-dasharray="{total_len} {total_len}" stroke-dashoffset="0" '
            f'data-name="{_svg_escape(name)}">'
            f'<animate attributeName="stroke-dashoffset" '
            f'values="{values(length - drawn)}" {anim}/></path>'
        )
        hx, hy = pts_all[idx, 0], pts_all[idx, 1]
        fx, fy = pts_all[-1]
        out.append(
            f'<circle cx="{_svg_num(fx)}" cy="{_svg_num(fy)}" r="4" fill="{color}" '
            'stroke="#ffffff" stroke-width="1">'
            f'<animate attributeName="cx" values="{values(hx)}" {anim}/>'
            f'<animate attributeName="cy" values="{values(hy)}" {anim}/></circle>'
        )
        if k is not None:
            shown = [0 if s < n else 1 for s in frame_steps]
            cross = _cross_path(fx, fy, 6.0)
            out.append(
                f'<path d="{cross}" stroke="{color}" stroke-width="2.5" opacity="1">'
                f'<animate attributeName="opacity" values="{values(shown)}" {anim} '
                'calcMode="discrete"/></path>'
            )
    out.append("</g>")
    if start is not None:
        out.append(
            f'<circle cx="{_svg_num(start[0])}" cy="{_svg_num(start[1])}" r="4.5" '
            'fill="#000000"/>'
        )

    # Heading, legend and a progress bar counting the steps.
    out.append(
        f'<text x="{_svg_num(px0)}" y="20" font-size="14" fill="#222222">'
        f"{_svg_escape(heading)}</text>"
    )
    lx = width - legend_w + 4
    for i, (color, label, result) in enumerate(legend_rows):
        y = top + 14 + 36 * i
        out.append(
            f'<line x1="{_svg_num(lx)}" y1="{_svg_num(y - 4)}" '
            f'x2="{_svg_num(lx + 22)}" y2="{_svg_num(y - 4)}" stroke="{color}" '
            'stroke-width="3"/>'
            f'<text x="{_svg_num(lx + 30)}" y="{_svg_num(y)}" font-size="12" '
            f'fill="#222222">{_svg_escape(label)}</text>'
            f'<text x="{_svg_num(lx + 30)}" y="{_svg_num(y + 14)}" font-size="10" '
            f'fill="#555555">{_svg_escape(result)}</text>'
        )
    bar_y = height - 18
    bar_w = pw
    out.append(
        f'<rect x="{_svg_num(px0)}" y="{_svg_num(bar_y)}" width="{_svg_num(bar_w)}" '
        'height="4" fill="#e3e5e9"/>'
        f'<rect x="{_svg_num(px0)}" y="{_svg_num(bar_y)}" width="{_svg_num(bar_w)}" '
        'height="4" fill="#6b7079">'
        f'<animate attributeName="width" '
        f'values="{values(bar_w * frame_steps / n_max)}" {anim}/></rect>'
        f'<text x="{_svg_num(px0 + bar_w + 6)}" y="{_svg_num(bar_y + 5)}" '
        f'font-size="10" fill="#555555">{n_max} steps</text>'
    )
    out.append("</svg>")
    return "\n".join(out) + "\n"


class _Box:
    """A plot box (and optionally a value function) in the shape of a landscape."""

    def __init__(self, domain: Any, value: Any = None) -> None:
        self.domain = domain
        self.value = value


def _race_result(traj: Any, k: int | None) -> str:
    if k is not None:
        return f"diverged at step {k}"
    dist = getattr(traj, "distance", None)
    if dist is not None and len(dist):
        return f"{len(traj.params) - 1} steps, dist to min {float(dist[-1]):.2g}"
    return f"{len(traj.params) - 1} steps, loss {float(traj.loss[-1]):.3g}"


def _star_path(cx: float, cy: float, r: float) -> str:
    angles = np.pi / 2 + np.arange(10) * np.pi / 5
    radii = np.where(np.arange(10) % 2 == 0, r, r * 0.45)
    pts = np.stack([cx + radii * np.cos(angles), cy - radii * np.sin(angles)], axis=1)
    return _svg_polyline(pts) + " Z"


def _cross_path(cx: float, cy: float, r: float) -> str:
    a, b = _svg_num(cx - r), _svg_num(cx + r)
    c, d = _svg_num(cy - r), _svg_num(cy + r)
    return f"M{a} {c} L{b} {d} M{a} {d} L{b} {c}"
