"""Sphinx extension: the notebooks' figures in the HTML book, lossless WebP, lazy.

The chapters' figures are matplotlib PNGs stored in the notebooks (RGBA, written
by Agg); they are the largest part of a chapter page after the scripts. The same
pixels in lossless WebP take about half the bytes (measured on the book's 41
figures: 2.40 MB as PNG, 1.10 MB as WebP), and every browser the book supports
shows WebP. Nothing is lost and nothing in the notebooks changes: for HTML
builders only, each PNG output of a notebook is encoded once more as WebP next
to the PNG that myst-nb wrote (in its output folder, named by content hash, so
an unchanged figure is encoded once) and the page points at the WebP file.
A figure that does not get smaller stays a PNG. Other builders (LaTeX for the
PDF) keep the PNGs.

The figures are also marked ``loading="lazy"``: the browser fetches a figure
when the reader scrolls near it, so the first screen and the explorers (which
the widget manager renders at the page's load event) do not wait for every
figure of a long chapter.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from docutils import nodes
from sphinx.application import Sphinx
from sphinx.transforms.post_transforms import SphinxPostTransform
from sphinx.util import logging as sphinx_logging

logger = sphinx_logging.getLogger(__name__)

#: Lossless WebP settings: ``method`` 4 with ``quality`` (effort) 80 gives 46 %
#: of the PNG bytes at about 50 ms per figure; higher efforts save < 2 % more.
WEBP_OPTIONS = {"lossless": True, "method": 4, "quality": 80, "exact": True}


def encode_webp(png: Path) -> Path | None:
    """Write ``png`` as lossless WebP beside it, unless it would not be smaller.

    Returns the WebP file, or None to keep the PNG.
    """
    webp = png.with_suffix(".webp")
    if webp.is_file() and webp.stat().st_mtime >= png.stat().st_mtime:
        return webp if webp.stat().st_size < png.stat().st_size else None
    from PIL import Image

    with Image.open(png) as image:
        image.save(webp, "WEBP", **WEBP_OPTIONS)
    return webp if webp.stat().st_size < png.stat().st_size else None


class WebFigures(SphinxPostTransform):
    """Point the notebooks' PNG outputs at lossless WebP copies, loaded lazily."""

    # Before myst-nb's SelectMimeType (4) unwraps the mime bundles, while an
    # output image still sits in the container that names its mime type.
    default_priority = 3
    formats = ("html",)

    def run(self, **kwargs: Any) -> None:
        srcdir = Path(self.app.srcdir)
        for image in self.document.findall(nodes.image):
            # myst-nb renders an image output as an image node inside a
            # container with the output's mime type.
            if image.parent.get("mime_type") != "image/png":
                continue
            uri = image["uri"]
            png = srcdir / uri
            if not uri.endswith(".png") or not png.is_file():
                continue
            try:
                webp = encode_webp(png)
            except (OSError, ValueError) as exc:
                logger.warning(
                    "could not encode %s as WebP: %s", uri, exc, type="web_figures"
                )
                continue
            image["loading"] = "lazy"
            if webp is None:
                continue
            webp_uri = uri[: -len(".png")] + ".webp"
            self.env.images.add_file(self.env.docname, webp_uri)
            image["uri"] = webp_uri
            image["candidates"] = {"*": webp_uri}


def setup(app: Sphinx) -> dict[str, Any]:
    app.add_post_transform(WebFigures)
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
