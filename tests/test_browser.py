"""The published book in headless Chromium: offline, error-free, rendered, interactive.

Every page of ``_build/html`` (``make book``) is served on 127.0.0.1 and opened in
Debian's Chromium through Playwright, with every request to any other host
aborted and recorded. Each page must make no such request, log no console error,
render its formulas with MathJax and its widgets with the vendored widget
manager. Every explorer (a widget box with the DOM class ``descent-explorer``)
must follow its sliders: after a key press on a slider, the visible frame is
the one whose ``alt`` text names the values the sliders show; ``Play`` advances
the frames. The search page finds the book's terms.

Skipped only when no Chromium is installed (``make test`` installs it).
"""

from __future__ import annotations

import functools
import http.server
import os
import re
import shutil
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote, urlsplit

import pytest
import yaml

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[1]
SITE = Path(os.environ.get("BOOK_HTML", ROOT / "_build" / "html"))
LOCAL_HOSTS = {"127.0.0.1", "localhost", "::1"}
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SEARCH_TERMS = ("梯度下降", "学习率", "优化器", "动量", "自适应")
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
EXPLORER_CLASS = "descent-explorer"
KEYS = ("Home", "ArrowRight", "ArrowRight", "End", "ArrowLeft", "Home")
TIMEOUT_MS = 20_000


def chromium_executable() -> str | None:
    return (
        os.environ.get("CHROMIUM")
        or shutil.which("chromium")
        or shutil.which("chromium-browser")
    )


def toc_pages() -> list[str]:
    """The pages of the table of contents, root first."""
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text(encoding="utf-8"))
    files = [toc["root"]]

    def walk(entries: list[dict]) -> None:
        for entry in entries or []:
            if "file" in entry:
                files.append(entry["file"])
            for key in ("parts", "chapters", "sections"):
                walk(entry.get(key, []))

    walk(toc.get("parts", []))
    walk(toc.get("chapters", []))
    return [re.sub(r"\.(md|ipynb)$", "", f) + ".html" for f in files]


def built_pages() -> list[str]:
    """Every page the book publishes: its toc pages, the index, search, genindex.

    Taken from the toc rather than from the folder, so a stale page of an
    earlier build is not mistaken for part of the book.
    """
    if not SITE.is_dir():
        return []
    pages = [*toc_pages(), "index.html", "search.html", "genindex.html"]
    return [p for p in pages if (SITE / p).is_file()]


def pages_with(marker: str) -> list[str]:
    return [p for p in built_pages() if marker in (SITE / p).read_text("utf-8")]


PAGES = built_pages()
EXPLORER_PAGES = pages_with(EXPLORER_CLASS)
PLAY_PAGES = pages_with('"PlayModel"')


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        pass


@pytest.fixture(scope="module")
def site_url() -> Iterator[str]:
    if not (SITE / "index.html").is_file():
        pytest.fail(f"no built book in {SITE}: run `make book` first")
    handler = functools.partial(_QuietHandler, directory=str(SITE))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    executable = chromium_executable()
    if executable is None:
        pytest.skip(
            "Debian chromium is not installed (apt-get install -y chromium); "
            "`make test` installs it"
        )
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(
            executable_path=executable, headless=True, args=CHROMIUM_ARGS
        )
        try:
            yield instance
        finally:
            instance.close()


@dataclass
class Visit:
    """A page opened with every non-local request blocked, and what it logged."""

    page: object
    blocked: list[str] = field(default_factory=list)
    console_errors: list[str] = field(default_factory=list)
    http_errors: list[str] = field(default_factory=list)
    render_errors: list[str] = field(default_factory=list)

    def problems(self) -> list[str]:
        return (
            self.render_errors
            + [f"blocked request to {u}" for u in self.blocked]
            + [f"console error: {m}" for m in self.console_errors]
            + [f"HTTP error: {m}" for m in self.http_errors]
        )


def open_page(browser: object, url: str) -> Visit:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    visit = Visit(page)

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
        lambda msg: visit.console_errors.append(msg.text)
        if msg.type == "error"
        else None,
    )
    page.on("pageerror", lambda exc: visit.console_errors.append(f"uncaught {exc}"))
    page.on(
        "response",
        lambda r: visit.http_errors.append(f"{r.status} {r.url}")
        if r.status >= 400
        else None,
    )
    page.goto(url, wait_until="load", timeout=TIMEOUT_MS)
    visit.render_errors.extend(wait_until_rendered(page))
    return visit


def wait_until_rendered(page: object) -> list[str]:
    """Wait for MathJax's first typesetting pass and for every widget view.

    Returns what did not happen in time.
    """
    from playwright.sync_api import Error as PlaywrightError

    problems = []
    if page.locator(".math").count():
        try:
            page.wait_for_function(
                "() => window.MathJax && MathJax.startup && MathJax.startup.promise",
                timeout=TIMEOUT_MS,
            )
            page.evaluate("async () => { await MathJax.startup.promise; }")
        except PlaywrightError as exc:
            problems.append(f"the page has formulas but MathJax did not run: {exc}")
    if page.locator(f'script[type="{WIDGET_VIEW}"]').count():
        try:
            page.wait_for_function(
                """(mime) => [...document.querySelectorAll(`script[type="${mime}"]`)]
                    .every((s) => {
                      const area = s.previousElementSibling;
                      return area && area.classList.contains('widget-subarea')
                        && area.querySelector('.jupyter-widgets');
                    })""",
                arg=WIDGET_VIEW,
                timeout=TIMEOUT_MS,
            )
        except PlaywrightError as exc:
            problems.append(f"widget views were not rendered: {exc}")
    # Let late requests (fonts, lazily loaded MathJax parts) start and finish.
    page.wait_for_load_state("networkidle", timeout=TIMEOUT_MS)
    return problems


@pytest.fixture(scope="module")
def visits(browser: object, site_url: str) -> Iterator[dict[str, Visit]]:
    """Each page opened once, on first use, and shared by the page tests."""

    class Lazy(dict):
        def __missing__(self, page: str) -> Visit:
            self[page] = open_page(browser, site_url + page)
            return self[page]

    opened = Lazy()
    yield opened
    for visit in opened.values():
        visit.page.context.close()


def test_the_book_is_built() -> None:
    assert (SITE / "index.html").is_file(), f"run `make book` first ({SITE})"
    assert PAGES, f"no pages in {SITE}"


@pytest.mark.parametrize("page", PAGES)
def test_page_loads_only_local_resources_and_logs_no_error(
    visits: dict[str, Visit], page: str
) -> None:
    visit = visits[page]
    assert visit.problems() == [], f"{page}:\n" + "\n".join(visit.problems())


@pytest.mark.parametrize("page", PAGES)
def test_every_formula_is_rendered_by_mathjax(
    visits: dict[str, Visit], page: str
) -> None:
    p = visits[page].page
    n_math = p.locator(".math").count()
    if n_math == 0:
        return
    unrendered = p.evaluate(
        """() => [...document.querySelectorAll('.math')]
             .filter((e) => !e.querySelector('mjx-container'))
             .map((e) => e.textContent.slice(0, 80))"""
    )
    assert unrendered == [], f"{page}: formulas left as TeX: {unrendered}"
    errors = p.evaluate(
        """() => [...document.querySelectorAll('mjx-merror')]
             .map((e) => e.getAttribute('data-mjx-error') || e.textContent)"""
    )
    assert errors == [], f"{page}: MathJax errors: {errors}"
    assert "Math input error" not in p.inner_text("body")


@pytest.mark.parametrize("page", PAGES)
def test_every_widget_view_is_rendered(visits: dict[str, Visit], page: str) -> None:
    p = visits[page].page
    views = p.locator(f'script[type="{WIDGET_VIEW}"]').count()
    if views == 0:
        return
    rendered = p.locator(".widget-subarea > .jupyter-widgets").count()
    assert rendered >= views, f"{page}: {rendered} of {views} widget views rendered"
    broken = p.locator(".jupyter-widgets.jupyter-widgets-error-widget").count()
    assert broken == 0, f"{page}: {broken} widgets failed to render"
    # The theme's FontAwesome must nest its SVGs inside the widgets' <i> icons
    # rather than replace them (autoReplaceSvg: "nest").
    icons = p.locator(".widget-play button").count()
    if icons:
        assert p.locator(".widget-play button i").count() == icons


# --- explorers -----------------------------------------------------------------

VISIBLE_ALTS = """(root) => [...root.querySelectorAll('img[alt]')]
    .filter((img) => img.checkVisibility())
    .map((img) => img.alt)"""

SLIDER_STATE = """(root) => [...root.querySelectorAll('.widget-slider')]
    .filter((s) => s.checkVisibility())
    .map((s) => ({
      name: (s.querySelector('.widget-label')?.textContent || '').trim(),
      value: (s.querySelector('.widget-readout')?.textContent || '').trim(),
    }))"""


def parse_alt(alt: str) -> list[tuple[str, str]]:
    """``"lr = 0.1, beta = 0.9"`` -> ``[("lr", "0.1"), ("beta", "0.9")]``."""
    pairs = []
    for part in alt.split(","):
        name, sep, value = part.partition("=")
        if not sep:
            raise AssertionError(f"frame alt text {alt!r} is not 'name = value, ...'")
        pairs.append((name.strip(), value.strip()))
    return pairs


def frame_matches_sliders(alt: str, sliders: list[dict[str, str]]) -> bool:
    """The frame's alt names the value each slider shows (by name, else by order)."""
    pairs = parse_alt(alt)
    named = dict(pairs)
    for position, slider in enumerate(sliders):
        name = re.sub(r"[:：]\s*$", "", slider["name"])
        if name in named:
            expected = named[name]
        elif position < len(pairs):
            expected = pairs[position][1]
        else:
            return False
        if expected != slider["value"]:
            return False
    return True


def explorer_state(explorer: object) -> tuple[list[str], list[dict[str, str]]]:
    return explorer.evaluate(VISIBLE_ALTS), explorer.evaluate(SLIDER_STATE)


def wait_for_consistent_frame(explorer: object, timeout_s: float = 5.0) -> tuple:
    """Poll until exactly one frame is visible and it matches the sliders."""
    deadline = time.monotonic() + timeout_s
    while True:
        alts, sliders = explorer_state(explorer)
        if len(alts) == 1 and frame_matches_sliders(alts[0], sliders):
            return alts[0], sliders
        if time.monotonic() > deadline:
            raise AssertionError(
                f"visible frames {alts} do not match the sliders {sliders}"
            )
        time.sleep(0.02)


def test_frame_alt_text_parser_reads_names_and_values() -> None:
    assert parse_alt("lr = 0.1, beta = 0.9") == [("lr", "0.1"), ("beta", "0.9")]
    sliders = [{"name": "lr", "value": "0.1"}, {"name": "beta", "value": "0.9"}]
    assert frame_matches_sliders("lr = 0.1, beta = 0.9", sliders)
    assert not frame_matches_sliders("lr = 0.1, beta = 0.5", sliders)
    assert frame_matches_sliders("η = 0.1, β = 0.9", sliders)  # matched by order
    with pytest.raises(AssertionError):
        parse_alt("a frame")


@pytest.mark.parametrize("page", EXPLORER_PAGES)
def test_explorer_sliders_move_with_the_keyboard_and_swap_frames(
    browser: object, site_url: str, page: str
) -> None:
    visit = open_page(browser, site_url + page)
    try:
        explorers = visit.page.locator(f".{EXPLORER_CLASS}")
        assert explorers.count() > 0, f"{page}: no rendered explorer"
        for i in range(explorers.count()):
            explorer = explorers.nth(i)
            explorer.scroll_into_view_if_needed()
            wait_for_consistent_frame(explorer)
            handles = explorer.locator(".widget-slider .noUi-handle")
            assert handles.count() > 0, f"{page}: explorer {i} has no slider"
            for h in range(handles.count()):
                handle = handles.nth(h)
                if not handle.is_visible():
                    continue
                handle.focus()
                seen_values = set()
                seen_frames = set()
                for key in KEYS:
                    handle.press(key)
                    alt, sliders = wait_for_consistent_frame(explorer)
                    seen_frames.add(alt)
                    seen_values.add(tuple(s["value"] for s in sliders))
                assert len(seen_values) >= 2, (
                    f"{page}: explorer {i}, slider {h} did not move with {KEYS}"
                )
                assert len(seen_frames) >= 2, (
                    f"{page}: explorer {i}, slider {h} never changed the frame"
                )
        assert visit.problems() == [], "\n".join(visit.problems())
    finally:
        visit.page.context.close()


@pytest.mark.parametrize("page", PLAY_PAGES)
def test_play_advances_the_frames(browser: object, site_url: str, page: str) -> None:
    visit = open_page(browser, site_url + page)
    try:
        players = visit.page.locator(f".{EXPLORER_CLASS}:has(.widget-play)")
        assert players.count() > 0, f"{page}: no rendered explorer with Play"
        for i in range(players.count()):
            explorer = players.nth(i)
            explorer.scroll_into_view_if_needed()
            first, _ = wait_for_consistent_frame(explorer)
            explorer.locator(".widget-play button").first.click()
            deadline = time.monotonic() + 10
            while True:
                alt, _ = wait_for_consistent_frame(explorer)
                if alt != first:
                    break
                assert time.monotonic() < deadline, (
                    f"{page}: Play did not advance explorer {i} from {first!r}"
                )
                time.sleep(0.05)
        assert visit.problems() == [], "\n".join(visit.problems())
    finally:
        visit.page.context.close()


# --- search ----------------------------------------------------------------------


@pytest.mark.parametrize("term", SEARCH_TERMS)
def test_search_page_finds_the_books_terms(
    browser: object, site_url: str, term: str
) -> None:
    visit = open_page(browser, f"{site_url}search.html?q={quote(term)}")
    try:
        p = visit.page
        # searchtools.js fills the summary only when the search has finished.
        p.wait_for_function(
            """() => {
              const summary = document.querySelector('#search-results .search-summary');
              return summary && summary.textContent.trim().length > 0;
            }""",
            timeout=TIMEOUT_MS,
        )
        links = p.eval_on_selector_all(
            "#search-results ul.search li a", "els => els.map((a) => a.href)"
        )
        assert links, f"searching {term!r} found no page"
        assert visit.problems() == [], "\n".join(visit.problems())
    finally:
        p.context.close()
