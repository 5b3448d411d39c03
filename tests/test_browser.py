"""The published book in headless Chromium: offline, error-free, rendered, interactive.

Every page of ``_build/html`` (``make book``) is served on 127.0.0.1 and opened in
Debian's Chromium through Playwright, with every request to any other host
aborted and recorded. Each page must make no such request, log no console error,
render its formulas with MathJax and its widgets with the vendored widget
manager. Every explorer (a widget box with the DOM class ``descent-explorer``)
must follow its sliders: after a key press on a slider, the visible frame is
the one whose ``alt`` text names the values the sliders show; ``Play`` advances
the frames. The search page finds the book's terms.

The tests wait on the conditions they check, never on idle time: the load
event, MathJax's typesetting promise, every widget view rendered, the page's
fonts loaded, the visible frame agreeing with the sliders after a key press.
Each page is closed as soon as its checks are done, so a slow machine makes
the suite slower but not red; ``SAFETY_TIMEOUT_MS`` only stops a page that
never gets there.

Skipped only when no Chromium is installed (``make test`` installs it).
"""

from __future__ import annotations

import http.server
import os
import re
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote, urljoin, urlsplit

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
# A safety net for a page that never renders, not a time the tests depend on:
# every wait below ends as soon as its condition holds.
SAFETY_TIMEOUT_MS = int(os.environ.get("BROWSER_TIMEOUT_MS", 180_000))

# True when every widget view of ``root`` has been rendered by the widget
# manager: the view's <script> is preceded by a widget subarea holding a widget.
WIDGETS_RENDERED_IN = """(root) => [...root.querySelectorAll(
      'script[type="application/vnd.jupyter.widget-view+json"]')]
    .every((s) => {
      const area = s.previousElementSibling;
      return area !== null && area.classList.contains('widget-subarea')
        && area.querySelector('.jupyter-widgets') !== null;
    })"""

# Resolves when MathJax has typeset the page and every formula queued after it
# (widget labels are chained onto ``MathJax.startup.promise`` by the page).
MATHJAX_DONE = """async () => {
  let promise;
  do {
    promise = MathJax.startup.promise;
    await promise;
  } while (promise !== MathJax.startup.promise);
}"""


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


def redirect_target(page: str, site: Path = SITE) -> str | None:
    """Where a redirect page of the site (the book's index.html) leads, else None."""
    match = re.match(
        r'\s*<meta http-equiv="Refresh" content="\d+;\s*url=([^"]+)"',
        (site / page).read_text(encoding="utf-8"),
        flags=re.IGNORECASE,
    )
    return match.group(1) if match else None


def open_page(browser: object, url: str, redirect: str | None = None) -> Visit:
    """Open ``url`` and wait until it is rendered (``redirect``: where it leads)."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.set_default_timeout(SAFETY_TIMEOUT_MS)
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
    try:
        if redirect is None:
            page.goto(url, wait_until="load")
        else:
            page.goto(url, wait_until="commit")
            page.wait_for_url(urljoin(url, redirect), wait_until="load")
        visit.render_errors.extend(wait_until_rendered(page))
    except BaseException:
        context.close()
        raise
    return visit


def wait_until_rendered(
    page: object, timeout_ms: int = SAFETY_TIMEOUT_MS
) -> list[str]:
    """Wait (after the load event) until the page shows what it is meant to show.

    That is: MathJax has typeset every formula (its startup promise, with the
    widget labels chained onto it), every widget view is rendered, and the
    fonts the rendered page uses are loaded. Returns what did not happen
    within the safety timeout.
    """
    from playwright.sync_api import Error as PlaywrightError

    problems = []
    if page.locator(f'script[type="{WIDGET_VIEW}"]').count():
        try:
            page.wait_for_function(
                f"() => ({WIDGETS_RENDERED_IN})(document)",
                polling=100,
                timeout=timeout_ms,
            )
        except PlaywrightError as exc:
            problems.append(f"widget views were not rendered: {exc}")
    if page.locator(".math").count():
        try:
            page.wait_for_function(
                "() => window.MathJax && MathJax.startup && MathJax.startup.promise",
                polling=100,
                timeout=timeout_ms,
            )
            page.evaluate(MATHJAX_DONE)
        except PlaywrightError as exc:
            problems.append(f"the page has formulas but MathJax did not run: {exc}")
    # Fonts the typeset formulas and widget icons asked for (loaded late).
    page.evaluate("async () => { await document.fonts.ready; }")
    return problems


@dataclass
class PageReport:
    """What a rendered page showed; the page itself is closed once it is taken."""

    problems: list[str]
    n_math: int
    unrendered_math: list[str]
    mathjax_errors: list[str]
    math_input_error: bool
    widget_views: int
    widgets_rendered: int
    widgets_broken: int
    play_buttons: int
    play_icons: int


def report(visit: Visit) -> PageReport:
    p = visit.page
    n_math = p.locator(".math").count()
    unrendered = errors = []
    if n_math:
        unrendered = p.evaluate(
            """() => [...document.querySelectorAll('.math')]
                 .filter((e) => !e.querySelector('mjx-container'))
                 .map((e) => e.textContent.slice(0, 80))"""
        )
        errors = p.evaluate(
            """() => [...document.querySelectorAll('mjx-merror')]
                 .map((e) => e.getAttribute('data-mjx-error') || e.textContent)"""
        )
    return PageReport(
        problems=visit.problems(),
        n_math=n_math,
        unrendered_math=unrendered,
        mathjax_errors=errors,
        math_input_error="Math input error" in p.inner_text("body"),
        widget_views=p.locator(f'script[type="{WIDGET_VIEW}"]').count(),
        widgets_rendered=p.locator(".widget-subarea > .jupyter-widgets").count(),
        widgets_broken=p.locator(
            ".jupyter-widgets.jupyter-widgets-error-widget"
        ).count(),
        play_buttons=p.locator(".widget-play button").count(),
        play_icons=p.locator(".widget-play button i").count(),
    )


@pytest.fixture(scope="module")
def reports(browser: object, site_url: str) -> dict[str, PageReport]:
    """Each page opened once, on first use: rendered, inspected, closed.

    Only the report is kept, so at most one page of these tests is open at a
    time and no finished page keeps the browser busy.
    """

    class Lazy(dict):
        def __missing__(self, page: str) -> PageReport:
            visit = open_page(browser, site_url + page, redirect_target(page))
            try:
                self[page] = report(visit)
            finally:
                visit.page.context.close()
            return self[page]

    return Lazy()


def test_the_book_is_built() -> None:
    assert (SITE / "index.html").is_file(), f"run `make book` first ({SITE})"
    assert PAGES, f"no pages in {SITE}"


@pytest.mark.parametrize("page", PAGES)
def test_page_loads_only_local_resources_and_logs_no_error(
    reports: dict[str, PageReport], page: str
) -> None:
    problems = reports[page].problems
    assert problems == [], f"{page}:\n" + "\n".join(problems)


@pytest.mark.parametrize("page", PAGES)
def test_every_formula_is_rendered_by_mathjax(
    reports: dict[str, PageReport], page: str
) -> None:
    r = reports[page]
    if r.n_math == 0:
        return
    assert r.unrendered_math == [], f"{page}: formulas left as TeX: {r.unrendered_math}"
    assert r.mathjax_errors == [], f"{page}: MathJax errors: {r.mathjax_errors}"
    assert not r.math_input_error, f"{page}: 'Math input error' in the page"


@pytest.mark.parametrize("page", PAGES)
def test_every_widget_view_is_rendered(
    reports: dict[str, PageReport], page: str
) -> None:
    r = reports[page]
    if r.widget_views == 0:
        return
    assert r.widgets_rendered >= r.widget_views, (
        f"{page}: {r.widgets_rendered} of {r.widget_views} widget views rendered"
    )
    assert r.widgets_broken == 0, f"{page}: {r.widgets_broken} widgets failed to render"
    # The Play buttons keep their <i> icons (no script may replace them, as the
    # theme's FontAwesome script, no longer loaded, did with SVGs).
    assert r.play_icons == r.play_buttons, (
        f"{page}: {r.play_buttons - r.play_icons} Play buttons lost their icon"
    )


# --- explorers -----------------------------------------------------------------

# How long a frame swap may take before the test gives up: a safety net only.
FRAME_TIMEOUT_MS = SAFETY_TIMEOUT_MS // 3

# The explorer's visible frames and sliders once its frame is consistent, else
# null. Consistent: exactly one frame is visible and its alt text names the
# values the visible sliders show (the rule of ``frame_matches_sliders``,
# which re-checks the result). Optional conditions: the readout of ``handle``
# no longer shows ``before`` (the key press has reached the widget), the
# frame is no longer ``notAlt`` (Play has advanced it).
EXPLORER_STATE = """(root) => ({
  alts: [...root.querySelectorAll('img[alt]')]
    .filter((img) => img.checkVisibility())
    .map((img) => img.alt),
  sliders: [...root.querySelectorAll('.widget-slider')]
    .filter((s) => s.checkVisibility())
    .map((s) => ({
      name: (s.querySelector('.widget-label')?.textContent || '').trim(),
      value: (s.querySelector('.widget-readout')?.textContent || '').trim(),
    })),
})"""

FRAME_STATE = r"""({root, handle, before, notAlt}) => {
  const state = (__STATE__)(root);
  const {alts, sliders} = state;
  if (handle) {
    const readout = handle.closest('.widget-slider').querySelector('.widget-readout');
    if ((readout?.textContent || '').trim() === before) return null;
  }
  if (alts.length !== 1 || alts[0] === notAlt) return null;
  const pairs = alts[0].split(',').map((part) => {
    const at = part.indexOf('=');
    return at < 0 ? null : [part.slice(0, at).trim(), part.slice(at + 1).trim()];
  });
  if (pairs.includes(null)) return state;  // parse_alt reports the bad alt text
  const named = new Map(pairs);
  const matches = sliders.every((s, i) => {
    const name = s.name.replace(/[:：]\s*$/, '');
    const expected = named.has(name) ? named.get(name) : pairs[i]?.[1];
    return expected === s.value;
  });
  return matches ? state : null;
}""".replace("__STATE__", EXPLORER_STATE)

READOUT = """(handle) => (handle.closest('.widget-slider')
    .querySelector('.widget-readout')?.textContent || '').trim()"""


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


def wait_for_consistent_frame(
    explorer: object,
    handle: object | None = None,
    before: str | None = None,
    not_alt: str | None = None,
) -> tuple[str, list[dict[str, str]]]:
    """Wait until the explorer shows one frame, the one its sliders name.

    With ``handle`` and ``before``: also until that slider's readout has left
    ``before``; with ``not_alt``: until the frame is another one.
    """
    from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

    arg = {
        "root": explorer.element_handle(),
        "handle": handle.element_handle() if handle is not None else None,
        "before": before,
        "notAlt": not_alt,
    }
    try:
        state = explorer.page.wait_for_function(
            FRAME_STATE, arg=arg, polling="raf", timeout=FRAME_TIMEOUT_MS
        ).json_value()
    except PlaywrightTimeoutError:
        now = explorer.evaluate(EXPLORER_STATE)
        raise AssertionError(
            f"after {FRAME_TIMEOUT_MS} ms the visible frames {now['alts']} do not "
            f"match the sliders {now['sliders']}"
            + (f" (the readout still shows {before!r})" if handle is not None else "")
            + (f" (still the frame {not_alt!r})" if not_alt is not None else "")
        ) from None
    alts, sliders = state["alts"], state["sliders"]
    assert len(alts) == 1 and frame_matches_sliders(alts[0], sliders), (
        f"visible frames {alts} do not match the sliders {sliders}"
    )
    return alts[0], sliders


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
                    position = handle.get_attribute("aria-valuenow")
                    readout = handle.evaluate(READOUT)
                    handle.press(key)
                    if handle.get_attribute("aria-valuenow") == position:
                        # The key did not move the handle (Home at the start).
                        alt, sliders = wait_for_consistent_frame(explorer)
                    else:
                        alt, sliders = wait_for_consistent_frame(
                            explorer, handle=handle, before=readout
                        )
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
            wait_for_consistent_frame(explorer, not_alt=first)
        assert visit.problems() == [], "\n".join(visit.problems())
    finally:
        visit.page.context.close()


# --- search ----------------------------------------------------------------------


@pytest.mark.parametrize("term", SEARCH_TERMS)
def test_search_page_finds_the_books_terms(
    browser: object, site_url: str, term: str
) -> None:
    visit = open_page(browser, f"{site_url}search.html?q={quote(term)}")
    p = visit.page
    try:
        # searchtools.js fills the summary only when the search has finished.
        p.wait_for_function(
            """() => {
              const summary = document.querySelector('#search-results .search-summary');
              return summary && summary.textContent.trim().length > 0;
            }""",
            polling=100,
        )
        links = p.eval_on_selector_all(
            "#search-results ul.search li a", "els => els.map((a) => a.href)"
        )
        assert links, f"searching {term!r} found no page"
        assert visit.problems() == [], "\n".join(visit.problems())
    finally:
        p.context.close()
