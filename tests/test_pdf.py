"""The book as one PDF (``make pdf``): complete, Chinese, typeset, published.

These tests read ``_build/pdf/optimizers.pdf`` (written by ``make pdf``, which
``make test`` runs before the book tests) with poppler's ``pdftotext`` and
``pdffonts``; they do not build the PDF themselves.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from test_book import toc_files

pytestmark = pytest.mark.book

ROOT = Path(__file__).resolve().parents[1]
PDF = Path(os.environ.get("BOOK_PDF", ROOT / "_build" / "pdf" / "optimizers.pdf"))
SITE = Path(os.environ.get("BOOK_HTML", ROOT / "_build" / "html"))
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
SPACE = re.compile(r"\s+")


def _run(*cmd: str) -> str:
    if shutil.which(cmd[0]) is None:
        pytest.fail(f"{cmd[0]} not found: `make pdf` installs poppler-utils")
    return subprocess.run(cmd, check=True, capture_output=True, text=True).stdout


@pytest.fixture(scope="module")
def pdf() -> Path:
    if not PDF.is_file():
        pytest.fail(f"no PDF at {PDF}: run `make pdf` first")
    return PDF


@pytest.fixture(scope="module")
def pages(pdf: Path) -> list[str]:
    """The text of each page (pdftotext, reading order)."""
    return _run("pdftotext", "-enc", "UTF-8", str(pdf), "-").split("\f")[:-1]


@pytest.fixture(scope="module")
def layout_pages(pdf: Path) -> list[str]:
    """The text of each page as laid out (the footer is the last line)."""
    text = _run("pdftotext", "-layout", "-enc", "UTF-8", str(pdf), "-")
    return text.split("\f")[:-1]


@pytest.fixture(scope="module")
def flat(pages: list[str]) -> str:
    """The whole text without white space (CJK lines break anywhere)."""
    return SPACE.sub("", "".join(pages))


def _source(doc: str) -> Path:
    for suffix in (".ipynb", ".md"):
        if (ROOT / f"{doc}{suffix}").is_file():
            return ROOT / f"{doc}{suffix}"
    raise FileNotFoundError(doc)


def _markdown(path: Path) -> str:
    if path.suffix == ".md":
        return path.read_text(encoding="utf-8")
    nb = json.loads(path.read_text(encoding="utf-8"))
    return "\n".join("".join(c["source"]) for c in nb["cells"]
                     if c["cell_type"] == "markdown")


def _title(doc: str) -> str:
    match = re.search(r"^# (.+)$", _markdown(_source(doc)), re.M)
    assert match, f"{doc} has no '# ' title"
    return match.group(1).strip()


def _chapter_notebooks() -> list[Path]:
    return [p for p in map(_source, toc_files()) if p.suffix == ".ipynb"]


def test_the_page_count_is_printed(pages: list[str], pdf: Path, capsys) -> None:
    with capsys.disabled():
        print(f"\n{pdf.relative_to(ROOT) if pdf.is_relative_to(ROOT) else pdf}: "
              f"{len(pages)} pages, {pdf.stat().st_size / 1e6:.1f} MB")
    assert len(pages) > 2 * len(toc_files())


@pytest.mark.parametrize("doc", toc_files())
def test_every_toc_title_is_in_the_text(doc: str, flat: str) -> None:
    title = _title(doc)
    # Math and code in a title are typeset: look for the plain words around them.
    words = [SPACE.sub("", w) for w in re.split(r"\$[^$]*\$|`", title)]
    missing = [w for w in words if w and w not in flat]
    assert not missing, f"title of {doc!r} ({title}) not found in the PDF: {missing}"


def test_gradient_descent_is_in_the_text(flat: str) -> None:
    assert "梯度下降" in flat


def test_a_cjk_font_is_embedded(pdf: Path) -> None:
    rows = _run("pdffonts", str(pdf)).splitlines()[2:]
    cjk = [r for r in rows if "CJK" in r.split()[0]]
    assert cjk, "no CJK font in the PDF"
    # Columns: name type... encoding emb sub uni object ID; "emb" is 5th from the end.
    assert all(r.split()[-5] == "yes" for r in cjk), f"CJK font not embedded: {cjk}"


def test_no_unresolved_reference(pages: list[str]) -> None:
    bad = [i + 1 for i, text in enumerate(pages) if "??" in text]
    assert not bad, f"unresolved references ('??') on pages {bad}"


def test_no_raw_markup_is_left(flat: str) -> None:
    """Math is typeset and MyST roles are resolved, not printed as source."""
    for raw in ("$$", "{glue", "{term}", "{cite", "{ref}", "{numref}", ":::"):
        assert raw not in flat, f"raw {raw!r} printed in the PDF"


def _footer(text: str) -> str:
    lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
    return lines[-1] if lines else ""


def test_pages_are_numbered(layout_pages: list[str]) -> None:
    """The footer of every page but the title page carries its number."""
    numbers = [re.search(r"(^|\s)(\d+|[ivxl]+)$|^(\d+|[ivxl]+)\s", _footer(t))
               for t in layout_pages[1:]]
    unnumbered = [i + 2 for i, m in enumerate(numbers) if not m]
    assert not unnumbered, f"pages without a number: {unnumbered}"


def test_contents_list_every_chapter(layout_pages: list[str]) -> None:
    """The contents (目录) pages, numbered i, ii…, name every page of the toc."""
    start = next(i for i, text in enumerate(layout_pages) if "目录" in text)
    contents = ""
    for text in layout_pages[start:]:
        if not re.search(r"(^|\s)[ivxl]+$", _footer(text)):
            break
        contents += SPACE.sub("", text)
    for doc in toc_files()[1:]:
        title = SPACE.sub("", re.split(r"\$|`", _title(doc))[0])
        assert title in contents, f"{doc} ({title}) missing from the contents"


def test_every_explorer_is_printed_with_a_note(flat: str) -> None:
    views = 0
    for path in _chapter_notebooks():
        nb = json.loads(path.read_text(encoding="utf-8"))
        views += sum(WIDGET_VIEW in o.get("data", {})
                     for c in nb["cells"] for o in c.get("outputs", []))
    notes = flat.count("交互实验（印刷版）")
    assert notes == views, f"{views} explorers in the chapters, {notes} printed notes"


def test_solutions_are_collected_after_their_exercises(flat: str) -> None:
    solutions = sum(len(re.findall(r"^\s*(`{3,}|:{3,})\{solution(-start)?\}",
                                   _markdown(p), re.M))
                    for p in _chapter_notebooks())
    assert flat.count("解答见第") == solutions
    chapters_with_solutions = sum(
        bool(re.search(r"\{solution(-start)?\}", _markdown(p)))
        for p in _chapter_notebooks())
    assert flat.count("练习解答") >= chapters_with_solutions


def test_the_pdf_is_published_with_the_site(pdf: Path) -> None:
    if not (SITE / "index.html").is_file():
        pytest.skip("no built site (make book)")
    published = SITE / "_downloads" / pdf.name
    assert published.is_file(), f"{published} missing: run `make pdf` after `make book`"
    assert published.read_bytes() == pdf.read_bytes()
    landing = (SITE / f"{toc_files()[0]}.html").read_text(encoding="utf-8")
    assert f'href="../_downloads/{pdf.name}"' in landing
