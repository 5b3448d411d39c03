"""The chapter decks (book/_ext/slides.py): conversion rules, the built decks, Chromium.

* Unit (no marker): a tiny book with one synthetic notebook is built with Sphinx
  and the slides extension; its deck must follow every rule of the extension
  (title slide, a group per ``##``, a slide per ``###``, first paragraphs as
  notes, tags, figures and explorers alone, the 「试一试」 box with its explorer,
  long sections split, 选读 sections and solutions left out).
* ``book``: every chapter of ``_toc.yml`` has a deck in ``_build/html/slides``
  and its page links it (「幻灯片」).
* ``browser``: each deck in headless Chromium with non-local requests blocked:
  no third-party request, no console error, at least 8 slides, formulas
  rendered, the next key changes the slide, and every explorer on a slide
  shows the frame of the values its sliders are moved to.
"""

from __future__ import annotations

import base64
import html
import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import pytest

ROOT = Path(__file__).resolve().parents[1]
EXT = ROOT / "book" / "_ext"
SITE = Path(os.environ.get("BOOK_HTML", ROOT / "_build" / "html"))
sys.path.insert(0, str(EXT))

from slides_plan import DECK_DIR, SLIDE_BUDGET, deck_name, toc_chapters  # noqa: E402

LOCAL_HOSTS = {"127.0.0.1", "localhost", "::1"}
TIMEOUT_MS = 30_000
BUILD_TIMEOUT_S = 600  # a bound against a hung build, not a speed requirement
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
# A 1x1 PNG: the synthetic notebook's "figure".
PIXEL = base64.b64encode(
    bytes.fromhex(
        "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
        "1f15c4890000000d49444154789c6360f8cfc0f01f0005000201e2a0"
        "1d0b0000000049454e44ae426082"
    )
).decode()


def chapter_decks() -> list[str]:
    chapters = toc_chapters(ROOT / "_toc.yml")
    chapters = [c for c in chapters if (ROOT / f"{c}.ipynb").is_file()]
    return [f"{DECK_DIR}/{deck_name(c)}.html" for c in chapters]


DECKS = chapter_decks()


# --- the rules, on a synthetic notebook ----------------------------------------------


def md(source: str, *tags: str) -> dict:
    return {"cell_type": "markdown", "metadata": {"tags": list(tags)}, "source": source}


def code(source: str, outputs: list[dict], *tags: str) -> dict:
    return {
        "cell_type": "code",
        "execution_count": 1,
        "metadata": {"tags": list(tags)},
        "outputs": outputs,
        "source": source,
    }


def stream(text: str) -> dict:
    return {"output_type": "stream", "name": "stdout", "text": text}


def display(data: dict) -> dict:
    return {"output_type": "display_data", "data": data, "metadata": {}}


LONG = "长段落的文字，用来把一张幻灯片填满。" * 8  # about 150 characters


def synthetic_notebook() -> dict:
    view = {"model_id": "m0", "version_major": 2, "version_minor": 0}
    cells = [
        md("# Tiny chapter\n\nLEAD-INTRO paragraph.\n\n- point one\n- point two"),
        md("## Section A\n\nLEAD-A paragraph.\n\nSHOWN-A paragraph.\n\n"
           "$$\nx^2 + y^2\n$$"),
        code("print('HIDDEN-CODE')", [stream("PRINTED-TEXT\n")]),
        code("shown = 'SHOWN-CODE'", [], "slides-code"),
        md("NOTES-CELL: say this aloud.", "notes"),
        md("SKIPPED-MD paragraph.", "slides-skip"),
        code("print('SKIPPED-CODE')", [stream("SKIPPED-OUTPUT\n")], "slides-skip"),
        md("### Sub section\n\nLEAD-SUB paragraph.\n\nSUB-CONTENT paragraph."),
        md("## Figures\n\nLEAD-FIG paragraph.\n\nBEFORE-FIG paragraph."),
        code(
            "plot()",
            [
                display({"image/png": PIXEL, "text/plain": "<Figure>"}),
                stream("FIG-SUMMARY\n"),
            ],
            "hide-input",
        ),
        md("AFTER-FIG paragraph."),
        code(
            "explorer()",
            [
                display({WIDGET_VIEW: view, "text/plain": "Explorer"}),
                stream("EXPLORER-TABLE\n"),
            ],
        ),
        md(":::{admonition} 试一试\n:class: tip\n- **操作**：TRY-IT\n:::"),
        md("AFTER-EXPLORER paragraph."),
        md("## Long section\n\nLEAD-LONG paragraph.\n\n"
           + "\n\n".join(f"LONG-{i} {LONG}" for i in range(1, 7))),
        md("## Break\n\nLEAD-BREAK paragraph.\n\nSHORT-1 paragraph."),
        md("SHORT-2 paragraph.", "slides-break"),
        md("## 推导细节（选读）\n\nOPTIONAL-CONTENT paragraph.\n\n"
           "### Deeper\n\nOPTIONAL-DEEP."),
        md(
            "## 练习\n\n```{exercise} 一道题\n:label: ex-tiny\n\nEXERCISE-TEXT\n```\n\n"
            "```{solution} ex-tiny\n:class: dropdown\n\nSOLUTION-TEXT\n```"
        ),
    ]
    for i, cell in enumerate(cells):
        cell["id"] = f"cell-{i}"
    return {
        "cells": cells,
        "metadata": {
            "kernelspec": {"name": "python3", "display_name": "Python 3"},
            "language_info": {"name": "python"},
        },
        "nbformat": 4,
        "nbformat_minor": 5,
    }


CONF = f"""
import sys
sys.path.insert(0, {str(EXT)!r})
extensions = ["myst_nb", "sphinx_external_toc", "sphinx_exercise", "slides"]
external_toc_path = "_toc.yml"
nb_execution_mode = "off"
myst_enable_extensions = ["dollarmath", "colon_fence"]
html_theme = "basic"
exclude_patterns = ["_build"]
"""

TOC = """
format: jb-book
root: intro
parts:
  - caption: Front
    chapters:
      - file: front
  - caption: Chapters
    numbered: true
    chapters:
      - file: nb/01-tiny
"""


@dataclass
class DeckSlide:
    classes: str
    shown: str
    notes: str
    html: str


def parse_deck(text: str) -> list[DeckSlide]:
    slides = []
    for classes, inner in re.findall(
        r'<section class="(deck-slide[^"]*)">(.*?)</section>', text, flags=re.S
    ):
        notes = "".join(re.findall(r'<aside class="notes">(.*?)</aside>', inner, re.S))
        shown = re.sub(r'<aside class="notes">.*?</aside>', "", inner, flags=re.S)
        slides.append(DeckSlide(classes, _text(shown), _text(notes), inner))
    return slides


def _text(fragment: str) -> str:
    fragment = re.sub(r"<script\b.*?</script>", "", fragment, flags=re.S)
    return html.unescape(re.sub(r"<[^>]+>", " ", fragment))


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tiny book built with the slides extension; returns its HTML folder."""
    src = tmp_path_factory.mktemp("tiny")
    (src / "conf.py").write_text(CONF, encoding="utf-8")
    (src / "_toc.yml").write_text(TOC, encoding="utf-8")
    (src / "intro.md").write_text("# Intro\n\nThe tiny book.\n", encoding="utf-8")
    (src / "front.md").write_text("# Front\n\nNot a chapter.\n", encoding="utf-8")
    (src / "nb").mkdir()
    notebook = json.dumps(synthetic_notebook(), ensure_ascii=False, indent=1)
    (src / "nb" / "01-tiny.ipynb").write_text(notebook, encoding="utf-8")
    out = src / "_build" / "html"
    result = subprocess.run(
        [sys.executable, "-m", "sphinx", "-b", "html", "-W", "--keep-going", "-q",
         str(src), str(out)],
        capture_output=True, text=True, timeout=BUILD_TIMEOUT_S,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    return out


@pytest.fixture(scope="module")
def tiny_deck(tiny: Path) -> list[DeckSlide]:
    return parse_deck((tiny / DECK_DIR / "01-tiny.html").read_text("utf-8"))


def slides_with(deck: list[DeckSlide], marker: str) -> list[DeckSlide]:
    return [s for s in deck if marker in s.shown]


def test_only_chapters_under_numbered_parts_get_a_deck(tiny: Path) -> None:
    assert sorted(p.name for p in (tiny / DECK_DIR).iterdir()) == ["01-tiny.html"]
    assert toc_chapters(tiny.parents[1] / "_toc.yml") == ["nb/01-tiny"]


def test_the_chapter_page_links_its_deck(tiny: Path) -> None:
    page = (tiny / "nb" / "01-tiny.html").read_text("utf-8")
    assert re.search(r'href="\.\./slides/01-tiny\.html">幻灯片</a>', page)
    # The book page is unchanged by the deck's tags and markers.
    assert "SKIPPED-MD" in page and "LEAD-A" in page and "slide_cell" not in page


def test_title_slide_shows_the_chapter_and_its_opening_list(tiny_deck) -> None:
    title = tiny_deck[0]
    assert "deck-title" in title.classes
    assert "Tiny chapter" in title.shown and "point one" in title.shown
    assert "LEAD-INTRO" in title.notes and "LEAD-INTRO" not in title.shown


def test_first_paragraph_of_each_section_goes_to_the_notes(tiny_deck) -> None:
    everything = " ".join(s.shown for s in tiny_deck)
    for lead in ("LEAD-A", "LEAD-SUB", "LEAD-FIG", "LEAD-LONG", "LEAD-BREAK"):
        assert lead not in everything, lead
        assert any(lead in s.notes for s in tiny_deck), lead
    assert slides_with(tiny_deck, "SHOWN-A")


def test_sections_open_groups_and_subsections_open_slides(
    tiny: Path, tiny_deck: list[DeckSlide]
) -> None:
    text = (tiny / DECK_DIR / "01-tiny.html").read_text("utf-8")
    groups = re.findall(r"<section>\n<section class=\"deck-slide", text)
    # title, Section A (with its ###), Figures, Long, Break, 选读, 练习
    assert len(groups) == 7
    (sub,) = [s for s in tiny_deck if "Sub section" in s.shown]
    assert "deck-kicker" in sub.html and "Section A" in sub.shown
    assert "SUB-CONTENT" in sub.shown
    assert "1.1" in tiny_deck[1].shown  # section numbers as in the book


def test_cell_tags_skip_notes_and_code(tiny_deck) -> None:
    everything = " ".join(s.shown + s.notes for s in tiny_deck)
    assert "SKIPPED" not in everything
    assert "NOTES-CELL" in everything and not slides_with(tiny_deck, "NOTES-CELL")
    assert "HIDDEN-CODE" not in everything  # code is hidden unless tagged
    assert slides_with(tiny_deck, "PRINTED-TEXT")  # a printing cell shows its text
    assert slides_with(tiny_deck, "SHOWN-CODE")


def test_slides_break_starts_a_new_slide(tiny_deck) -> None:
    (first,) = slides_with(tiny_deck, "SHORT-1")
    (second,) = slides_with(tiny_deck, "SHORT-2")
    assert first is not second
    # Without the tag, short blocks share a slide.
    assert slides_with(tiny_deck, "SHOWN-A") == slides_with(tiny_deck, "x^2")


def test_a_figure_gets_a_slide_with_its_summary_in_the_notes(tiny_deck) -> None:
    (figure,) = [s for s in tiny_deck if "deck-figure" in s.classes]
    assert "<img" in figure.html
    assert "BEFORE-FIG" not in figure.shown and "AFTER-FIG" not in figure.shown
    assert "FIG-SUMMARY" in figure.notes


def test_an_explorer_gets_a_slide_with_its_try_it_box(tiny_deck) -> None:
    (explorer,) = [s for s in tiny_deck if "deck-explorer" in s.classes]
    assert WIDGET_VIEW in explorer.html
    assert "TRY-IT" in explorer.shown and "试一试" in explorer.shown
    assert "EXPLORER-TABLE" in explorer.notes
    assert "AFTER-EXPLORER" not in explorer.shown


def test_a_long_section_is_split_within_the_budget(tiny_deck) -> None:
    long = [s for s in tiny_deck if "Long section" in s.shown]
    assert len(long) >= 3
    for i in range(1, 7):
        assert len(slides_with(long, f"LONG-{i} ")) == 1
    for slide in long:
        chars = sum(1 for ch in slide.shown if ord(ch) >= 0x2E80)
        assert chars <= SLIDE_BUDGET


def test_optional_sections_and_solutions_stay_out(tiny_deck) -> None:
    everything = " ".join(s.shown + s.notes for s in tiny_deck)
    (optional,) = [s for s in tiny_deck if "deck-optional" in s.classes]
    assert "推导细节" in optional.shown
    assert re.search(r'href="\.\./nb/01-tiny\.html#[^"]+"', optional.html)
    for hidden in ("OPTIONAL-CONTENT", "OPTIONAL-DEEP", "Deeper", "SOLUTION-TEXT"):
        assert hidden not in everything, hidden
    (exercise,) = [s for s in tiny_deck if "deck-exercise" in s.classes]
    assert "EXERCISE-TEXT" in exercise.shown
    assert "<section" not in exercise.html  # reveal.js would take it for a slide


def test_deck_loads_reveal_before_the_amd_loader_and_keeps_the_widget_state(
    tiny: Path,
) -> None:
    text = (tiny / DECK_DIR / "01-tiny.html").read_text("utf-8")
    assert text.index("reveal.js/reveal.js") < text.index("Reveal.initialize")
    assert 'rel="icon"' in text  # no favicon request
    assert "plugin/notes.js" in text and "RevealNotes" in text
    assert re.search(r"\\\[\s*x\^2 \+ y\^2", text)  # display math for MathJax


# --- the built book ------------------------------------------------------------------


@pytest.mark.book
def test_every_chapter_has_a_deck_and_a_link_to_it() -> None:
    if not (SITE / "index.html").is_file():
        pytest.fail(f"no built book in {SITE}: run `make book` first")
    assert DECKS, "no chapter in _toc.yml"
    missing = [d for d in DECKS if not (SITE / d).is_file()]
    assert missing == [], f"no deck {missing}: run `make slides`"
    for chapter in toc_chapters(ROOT / "_toc.yml"):
        page = (SITE / f"{chapter}.html").read_text("utf-8")
        link = f'href="../{DECK_DIR}/{deck_name(chapter)}.html">幻灯片</a>'
        assert link in page, f"{chapter}: no 「幻灯片」 link"


# --- the decks in Chromium -----------------------------------------------------------


@dataclass
class DeckVisit:
    page: object
    blocked: list[str] = field(default_factory=list)
    console_errors: list[str] = field(default_factory=list)
    http_errors: list[str] = field(default_factory=list)

    def problems(self) -> list[str]:
        return (
            [f"blocked request to {u}" for u in self.blocked]
            + [f"console error: {m}" for m in self.console_errors]
            + [f"HTTP error: {m}" for m in self.http_errors]
        )


RENDERED = """(mime) => window.Reveal && Reveal.isReady()
  && window.MathJax && MathJax.startup && MathJax.startup.promise
  && [...document.querySelectorAll(`script[type="${mime}"]`)].every((s) => {
       const area = s.previousElementSibling;
       return area && area.classList.contains('widget-subarea')
         && area.querySelector('.jupyter-widgets');
     })"""


def open_deck(browser: object, url: str) -> DeckVisit:
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    page = context.new_page()
    visit = DeckVisit(page)

    def route(route: object) -> None:
        target = urlsplit(route.request.url)
        if target.scheme in ("http", "https", "ws", "wss") and (
            target.hostname not in LOCAL_HOSTS
        ):
            visit.blocked.append(route.request.url)
            route.abort()
        else:
            route.continue_()

    context.route("**/*", route)
    page.on(
        "console",
        lambda m: visit.console_errors.append(m.text) if m.type == "error" else None,
    )
    page.on("pageerror", lambda exc: visit.console_errors.append(f"uncaught {exc}"))
    page.on(
        "response",
        lambda r: visit.http_errors.append(f"{r.status} {r.url}")
        if r.status >= 400
        else None,
    )
    page.goto(url, wait_until="load", timeout=TIMEOUT_MS)
    page.wait_for_function(RENDERED, arg=WIDGET_VIEW, timeout=TIMEOUT_MS)
    page.evaluate("async () => { await MathJax.startup.promise; }")
    page.wait_for_load_state("networkidle", timeout=TIMEOUT_MS)
    return visit


@pytest.fixture(scope="module", params=DECKS)
def deck(request: pytest.FixtureRequest, browser: object, site_url: str) -> Iterator:
    """One deck open at a time (pytest groups the tests by deck), closed after use."""
    visit = open_deck(browser, site_url + request.param)
    try:
        yield request.param, visit
    finally:
        visit.page.context.close()


@pytest.mark.browser
def test_deck_is_offline_error_free_and_long_enough(deck) -> None:
    name, visit = deck
    assert visit.problems() == [], f"{name}:\n" + "\n".join(visit.problems())
    total = visit.page.evaluate("Reveal.getTotalSlides()")
    assert total >= 8, f"{name}: only {total} slides"


@pytest.mark.browser
def test_deck_formulas_are_rendered(deck) -> None:
    name, visit = deck
    p = visit.page
    assert p.locator(".math").count() > 0, f"{name}: no formula"
    unrendered = p.evaluate(
        """() => [...document.querySelectorAll('.math')]
             .filter((e) => !e.querySelector('mjx-container'))
             .map((e) => e.textContent.slice(0, 80))"""
    )
    assert unrendered == [], f"{name}: formulas left as TeX: {unrendered}"
    assert p.locator("mjx-merror").count() == 0, f"{name}: MathJax errors"


@pytest.mark.browser
def test_next_key_moves_to_the_next_slide(deck) -> None:
    name, visit = deck
    p = visit.page
    p.evaluate("() => { document.activeElement?.blur(); Reveal.slide(0, 0); }")
    first = p.evaluate_handle("() => Reveal.getCurrentSlide()")
    p.keyboard.press("ArrowRight")
    p.wait_for_function(
        "(first) => Reveal.getCurrentSlide() !== first", arg=first, timeout=TIMEOUT_MS
    )
    assert p.evaluate("() => Reveal.getIndices()") != {"h": 0, "v": 0, "f": None}
    p.keyboard.press("ArrowLeft")
    p.wait_for_function(
        "(first) => Reveal.getCurrentSlide() === first", arg=first, timeout=TIMEOUT_MS
    )
    first.dispose()


# The explorer's visible frame and its sliders, as test_browser reads them.
EXPLORER_STATE = """(explorer) => {
  const alts = [...explorer.querySelectorAll('img[alt]')]
    .filter((img) => img.checkVisibility()).map((img) => img.alt);
  const sliders = [...explorer.querySelectorAll('.widget-slider')]
    .filter((s) => s.checkVisibility())
    .map((s) => ({
      name: (s.querySelector('.widget-label')?.textContent || '').trim(),
      value: (s.querySelector('.widget-readout')?.textContent || '').trim(),
    }));
  let consistent = alts.length === 1;
  if (consistent) {
    const pairs = alts[0].split(',').map((part) => {
      const i = part.indexOf('=');
      return [part.slice(0, i).trim(), part.slice(i + 1).trim()];
    });
    const named = Object.fromEntries(pairs);
    consistent = sliders.every((s, k) => {
      const name = s.name.replace(/[:：]\\s*$/, '');
      const expected = name in named ? named[name] : pairs[k]?.[1];
      return expected === s.value;
    });
  }
  return {alt: alts[0] || null, count: alts.length, sliders, consistent};
}"""


@pytest.mark.browser
def test_every_explorer_on_a_slide_follows_its_sliders(deck) -> None:
    name, visit = deck
    p = visit.page
    explorers = p.locator(".descent-explorer")
    if p.locator("section.deck-explorer").count():
        assert explorers.count() > 0, f"{name}: explorer slides show no explorer"
    for e in range(explorers.count()):
        explorer = explorers.nth(e)
        handle = explorer.element_handle()
        slide = handle.evaluate_handle("(x) => x.closest('section.deck-slide')")
        p.evaluate(
            """(s) => { document.activeElement?.blur();
                        const i = Reveal.getIndices(s); Reveal.slide(i.h, i.v); }""",
            slide,
        )
        p.wait_for_function(
            "(s) => Reveal.getCurrentSlide() === s", arg=slide, timeout=TIMEOUT_MS
        )
        explorer.wait_for(state="visible", timeout=TIMEOUT_MS)
        p.wait_for_function(
            f"(x) => ({EXPLORER_STATE})(x).consistent", arg=handle, timeout=TIMEOUT_MS
        )
        knobs = explorer.locator(".widget-slider .noUi-handle")
        assert knobs.count() > 0, f"{name}: explorer {e} has no slider"
        for k in range(knobs.count()):
            knob = knobs.nth(k)
            if not knob.is_visible():
                continue
            before = p.evaluate(EXPLORER_STATE, handle)
            at_max = knob.get_attribute("aria-valuenow") == knob.get_attribute(
                "aria-valuemax"
            )
            knob.focus()
            knob.press("Home" if at_max else "End")
            p.wait_for_function(
                f"""([x, before]) => {{
                  const now = ({EXPLORER_STATE})(x);
                  return now.consistent && now.alt !== before;
                }}""",
                arg=[handle, before["alt"]],
                timeout=TIMEOUT_MS,
            )
            # The key moved the slider, not the deck.
            still = p.evaluate("(s) => Reveal.getCurrentSlide() === s", slide)
            assert still, f"{name}: a key on explorer {e}'s slider changed the slide"
    assert visit.problems() == [], f"{name}:\n" + "\n".join(visit.problems())
