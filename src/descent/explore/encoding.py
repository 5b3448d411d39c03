"""Frames as embedded in the page: palette PNGs over a shared base image.

Each frame stores only the pixels that differ from the explorer's base image
(painted behind every frame by CSS), and a size budget raises
:class:`ValueError` when the frames grow too large for a page.
"""

from __future__ import annotations

import base64
import html
import io
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from PIL import Image

#: Average size budget of one frame as embedded in the page (base64 data URI).
FRAME_BUDGET_BYTES = 25_000
#: Size budget of all frames of one explorer as embedded in the page.
EXPLORER_BUDGET_BYTES = 1_500_000


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
