"""Check and list the chapter decks of a built book (``make slides``).

The decks are written by the book build itself (``book/_ext/slides.py``): one
``slides/<name>.html`` per notebook under a numbered part of ``_toc.yml``.
This script reports each deck with its slide count and size and exits 1 when a
chapter has no deck (rebuild with ``make clean book``).

Usage: python scripts/slides.py [--site _build/html]
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "book" / "_ext"))

from slides_plan import DECK_DIR, deck_name, toc_chapters  # noqa: E402

SLIDE = re.compile(r'<section class="deck-slide\b')


def decks(site: Path, toc: Path = ROOT / "_toc.yml") -> list[tuple[str, Path]]:
    """(chapter, deck path) for every notebook chapter of the toc."""
    chapters = [
        c for c in toc_chapters(toc) if (ROOT / f"{c}.ipynb").is_file()
    ]
    return [(c, site / DECK_DIR / f"{deck_name(c)}.html") for c in chapters]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--site", type=Path, default=ROOT / "_build" / "html")
    args = parser.parse_args(argv)
    missing = []
    for chapter, deck in decks(args.site):
        if not deck.is_file():
            missing.append(chapter)
            continue
        text = deck.read_text(encoding="utf-8")
        size = deck.stat().st_size / 1e6
        print(f"{deck.relative_to(args.site)}: {len(SLIDE.findall(text))} slides, "
              f"{size:.2f} MB")
    if missing:
        print(f"no deck for {', '.join(missing)}: run `make clean book`")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
