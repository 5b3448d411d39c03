"""The bibliography parses, has each key once, and holds every key the book cites."""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
import pybtex.database
import pybtex.errors

ROOT = Path(__file__).resolve().parents[1]
BIB = ROOT / "book" / "references.bib"
_CITE = re.compile(r"\{cite(?::[a-z]+)?\}`([^`]+)`")


def _prose() -> list[tuple[str, str]]:
    texts = [(p.name, p.read_text(encoding="utf-8"))
             for p in (ROOT / "book").glob("*.md")]
    for path in sorted((ROOT / "notebooks").glob("*.ipynb")):
        nb = nbformat.read(path, as_version=4)
        texts += [(path.name, c.source) for c in nb.cells if c.cell_type == "markdown"]
    return texts


def test_bibliography_parses_with_unique_keys() -> None:
    pybtex.errors.set_strict_mode(True)  # a repeated key raises
    assert pybtex.database.parse_file(str(BIB)).entries


def test_every_cited_key_is_in_the_bibliography() -> None:
    keys = set(pybtex.database.parse_file(str(BIB)).entries)
    cited = {(name, key.strip()) for name, text in _prose()
             for group in _CITE.findall(text) for key in group.split(",")}
    missing = sorted(f"{name}: {key}" for name, key in cited if key not in keys)
    assert not missing, missing
