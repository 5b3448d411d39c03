"""Slider latency of the explorers in the built book, in headless Chromium.

For one explorer (the first on the first page that has one, or ``--page``), press
the arrow keys on its first slider 20 times and measure, in the page, the time
from the key event to (a) the visible frame changing in the DOM and (b) the next
animation frame after it, i.e. the frame being painted. Prints the median and
the spread; asserts nothing. Goal (issue 4): median key press -> new frame
visible <= 50 ms.

With ``--weights``, also print for every page what a reader's first visit costs:
the bytes fetched (the HTML and everything it loads until it is rendered) raw
and gzip-compressed as a static host sends them, the same with the lazily
loaded figures the reader fetches by scrolling, the number of requests, the
load event and the moment every widget view is rendered (seconds after
navigation start, median of ``--repeat`` visits with a cold cache).

Usage: python benchmarks/bench_browser.py [--site _build/html] [--page P]
       [--moves N] [--weights] [--repeat N]
"""

from __future__ import annotations

import argparse
import functools
import gzip
import http.server
import statistics
import sys
import threading
from pathlib import Path
from urllib.parse import unquote, urlsplit

ROOT = Path(__file__).resolve().parents[1]
# The browser tests own how Chromium is found, launched and fed the site.
sys.path.insert(0, str(ROOT / "tests"))

from test_browser import (  # noqa: E402
    CHROMIUM_ARGS,
    WIDGET_VIEW,
    WIDGETS_RENDERED_IN,
    _QuietHandler,
    chromium_executable,
    redirect_target,
    wait_until_rendered,
)

INSTALL_PROBE = """(explorer) => {
  const visibleAlt = () => {
    const shown = [...explorer.querySelectorAll('img[alt]')]
      .filter((img) => img.checkVisibility());
    return shown.length === 1 ? shown[0].alt : null;
  };
  window.__latency = [];
  const handle = explorer.querySelector('.widget-slider .noUi-handle');
  handle.addEventListener('keydown', (event) => {
    const start = event.timeStamp;
    const before = visibleAlt();
    const observer = new MutationObserver(() => {
      const now = visibleAlt();
      if (now !== null && now !== before) {
        observer.disconnect();
        const swapped = performance.now();
        requestAnimationFrame(() => window.__latency.push(
          {swap: swapped - start, paint: performance.now() - start}));
      }
    });
    observer.observe(explorer, {subtree: true, attributes: true, childList: true});
    setTimeout(() => observer.disconnect(), 5000);
  }, {capture: true});
  handle.focus();
  return visibleAlt();
}"""


def explorer_pages(site: Path) -> list[str]:
    return sorted(
        p.relative_to(site).as_posix()
        for p in site.rglob("*.html")
        if "descent-explorer" in p.read_text(encoding="utf-8")
    )


def site_pages(site: Path) -> list[str]:
    """The site's pages, without its redirect pages (index.html)."""
    pages = []
    for path in sorted(site.rglob("*.html")):
        name = path.relative_to(site).as_posix()
        if name.split("/")[0] in ("_static", "_sources"):
            continue
        if redirect_target(name, site) is None:
            pages.append(name)
    return pages


def summarize(name: str, values: list[float]) -> str:
    values = sorted(values)
    p90 = values[min(len(values) - 1, int(round(0.9 * (len(values) - 1))))]
    return (
        f"{name:<28} median {statistics.median(values):6.1f} ms   "
        f"p90 {p90:6.1f} ms   min {values[0]:6.1f} ms   max {values[-1]:6.1f} ms"
    )


# Extensions a static host (GitHub Pages, nginx's gzip_types…) compresses; fonts in
# WOFF/WOFF2 and images are already compressed and are sent as they are.
COMPRESSED_BY_HOST = {
    ".html", ".js", ".css", ".json", ".svg", ".txt", ".xml", ".map", ".ttf",
    ".eot", ".otf", ".ico",
}

# Records, in the page, when every widget view has been rendered (the same
# condition the browser tests wait for), as milliseconds since navigation start.
WIDGET_CLOCK = """(() => {
  const check = () => {
    const views = document.querySelectorAll('script[type="__VIEW__"]');
    if (!views.length || !(__RENDERED__)(document)) return false;
    window.__widgetsRendered = performance.now();
    return true;
  };
  // From the first parsed node on: the page may render its widgets before
  // DOMContentLoaded.
  const observer = new MutationObserver(() => { if (check()) observer.disconnect(); });
  observer.observe(document, {childList: true, subtree: true});
})();""".replace("__VIEW__", WIDGET_VIEW).replace("__RENDERED__", WIDGETS_RENDERED_IN)


@functools.cache
def sent_bytes(file: Path) -> tuple[int, int]:
    """(raw, as sent by a static host that gzips text) bytes of one file."""
    data = file.read_bytes()
    if file.suffix.lower() in COMPRESSED_BY_HOST:
        return len(data), len(gzip.compress(data, compresslevel=6, mtime=0))
    return len(data), len(data)


def visit_once(browser: object, base_url: str, site: Path, name: str) -> dict:
    """Open a page in a fresh context (cold cache); return what it fetched and when."""
    from playwright.sync_api import Error as PlaywrightError

    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.route(
        "**/*",
        lambda route: route.continue_()
        if urlsplit(route.request.url).hostname in ("127.0.0.1", "localhost")
        else route.abort(),
    )
    context.add_init_script(WIDGET_CLOCK)
    page = context.new_page()
    responses: list = []
    page.on("response", lambda response: responses.append(response))
    page.goto(base_url + name, wait_until="load", timeout=120_000)
    rendered = wait_until_rendered(page, timeout_ms=120_000)
    # Everything the page asks for while loading, fonts fetched late included.
    try:
        page.wait_for_load_state("networkidle", timeout=10_000)
    except PlaywrightError:
        pass  # a page that keeps fetching: count what it fetched so far
    timing = page.evaluate(
        """() => ({
          load: performance.getEntriesByType('navigation')[0].loadEventEnd,
          widgets: window.__widgetsRendered ?? null,
        })"""
    )
    fetched = set()
    raw = sent = 0
    for response in responses:
        path = urlsplit(response.url).path.lstrip("/") or "index.html"
        file = site / unquote(path)
        if response.status < 300 and file.is_file():
            fetched.add(file)
            r, s = sent_bytes(file)
            raw, sent = raw + r, sent + s
    # What the reader fetches later by scrolling through the page: the lazy
    # images not fetched yet.
    later = 0
    for url in page.evaluate(
        "() => [...document.querySelectorAll('img[loading=lazy]')].map((i) => i.src)"
    ):
        file = site / unquote(urlsplit(url).path.lstrip("/"))
        if file.is_file() and file not in fetched:
            fetched.add(file)
            later += sent_bytes(file)[1]
    context.close()
    return {
        "raw": raw,
        "gzip": sent,
        "gzip_all": sent + later,
        "requests": len(responses),
        "load": timing["load"] / 1000,
        "widgets": None if timing["widgets"] is None else timing["widgets"] / 1000,
        "problems": rendered,
    }


def page_weights(
    browser: object, base_url: str, site: Path, pages: list[str], repeat: int
) -> None:
    """Print per page: bytes fetched (raw, gzip), requests, load and widget times.

    Each page is opened ``repeat`` times with a cold cache; times are medians.
    """
    print(
        f"{'page':<36} {'raw MB':>7} {'gzip MB':>8} {'+lazy MB':>8} {'requests':>8} "
        f"{'load s':>7} {'widgets s':>9}"
    )
    for name in pages:
        runs = [visit_once(browser, base_url, site, name) for _ in range(repeat)]
        last = runs[-1]
        load = statistics.median(r["load"] for r in runs)
        widget_times = [r["widgets"] for r in runs if r["widgets"] is not None]
        widgets = (
            f"{statistics.median(widget_times):9.2f}" if widget_times else f"{'-':>9}"
        )
        print(
            f"{name:<36} {last['raw'] / 1e6:7.2f} {last['gzip'] / 1e6:8.2f} "
            f"{last['gzip_all'] / 1e6:8.2f} {last['requests']:8d} {load:7.2f} {widgets}"
        )
        for problem in last["problems"]:
            print(f"  ! {problem}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--site", type=Path, default=ROOT / "_build" / "html")
    parser.add_argument("--page", default=None, help="page relative to the site")
    parser.add_argument("--moves", type=int, default=20)
    parser.add_argument("--weights", action="store_true", help="print page weights")
    parser.add_argument(
        "--repeat", type=int, default=3, help="visits per page for the times (median)"
    )
    args = parser.parse_args(argv)

    chromium = chromium_executable()
    if chromium is None:
        print("chromium not found (apt-get install -y chromium)")
        return 1
    pages = [args.page] if args.page else explorer_pages(args.site)
    if not pages:
        print(f"no page with an explorer in {args.site}; run `make book`")
        return 1
    page_name = pages[0]

    handler = functools.partial(_QuietHandler, directory=str(args.site))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base_url = f"http://127.0.0.1:{server.server_address[1]}/"
    url = base_url + page_name

    from playwright.sync_api import sync_playwright

    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=chromium, headless=True, args=CHROMIUM_ARGS
            )
            context = browser.new_context(viewport={"width": 1280, "height": 900})
            context.route(
                "**/*",
                lambda route: route.continue_()
                if urlsplit(route.request.url).hostname in ("127.0.0.1", "localhost")
                else route.abort(),
            )
            page = context.new_page()
            page.goto(url, wait_until="load")
            explorer = page.locator(".descent-explorer").first
            explorer.wait_for(timeout=30_000)
            explorer.scroll_into_view_if_needed()
            page.wait_for_function(
                "(e) => [...e.querySelectorAll('img[alt]')]"
                ".filter((i) => i.checkVisibility()).length === 1",
                arg=explorer.element_handle(),
                timeout=30_000,
            )
            explorer.evaluate(INSTALL_PROBE)
            handle = explorer.locator(".widget-slider .noUi-handle").first
            lowest = float(handle.get_attribute("aria-valuemin"))
            highest = float(handle.get_attribute("aria-valuemax"))
            key = "ArrowRight"
            for done in range(1, args.moves + 1):
                now = float(handle.get_attribute("aria-valuenow"))
                if now >= highest:
                    key = "ArrowLeft"
                elif now <= lowest:
                    key = "ArrowRight"
                handle.press(key)
                page.wait_for_function(
                    f"() => window.__latency.length >= {done}", timeout=10_000
                )
            samples = page.evaluate("() => window.__latency")
            context.close()
            print(f"page: {page_name}   moves: {len(samples)}   chromium: {chromium}")
            print(summarize("key -> frame swapped (DOM)", [s["swap"] for s in samples]))
            print(summarize("key -> next frame painted", [s["paint"] for s in samples]))
            print("goal: median key press -> new frame visible <= 50 ms")
            if args.weights:
                print()
                page_weights(
                    browser, base_url, args.site, site_pages(args.site), args.repeat
                )
                print(
                    "raw, gzip, requests: what the page fetched until rendered (gzip: "
                    "text files as a static host sends them, level 6); +lazy: gzip "
                    "with the lazily loaded figures a reader fetches by scrolling; "
                    f"times: median of {args.repeat} cold visits, seconds from "
                    "navigation start"
                )
                print(
                    "goals: heaviest chapter <= 2.0 MB gzip, text-only pages "
                    "<= 0.6 MB gzip"
                )
            browser.close()
    finally:
        server.shutdown()
    return 0


if __name__ == "__main__":
    sys.exit(main())
