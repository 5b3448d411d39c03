"""Slider latency of the explorers in the built book, in headless Chromium.

For one explorer (the first on the first page that has one, or ``--page``), press
the arrow keys on its first slider 20 times and measure, in the page, the time
from the key event to (a) the visible frame changing in the DOM and (b) the next
animation frame after it, i.e. the frame being painted. Prints the median and
the spread; asserts nothing. Goal (issue 4): median key press -> new frame
visible <= 50 ms.

With ``--weights``, also print the weight of every page: the bytes of the HTML
plus everything the browser fetched while loading it.

Usage: python benchmarks/bench_browser.py [--site _build/html] [--page P]
       [--moves N] [--weights]
"""

from __future__ import annotations

import argparse
import functools
import http.server
import statistics
import sys
import threading
from pathlib import Path
from urllib.parse import unquote, urlsplit

ROOT = Path(__file__).resolve().parents[1]
# The browser tests own how Chromium is found, launched and fed the site.
sys.path.insert(0, str(ROOT / "tests"))

from test_browser import CHROMIUM_ARGS, _QuietHandler, chromium_executable  # noqa: E402

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


def summarize(name: str, values: list[float]) -> str:
    values = sorted(values)
    p90 = values[min(len(values) - 1, int(round(0.9 * (len(values) - 1))))]
    return (
        f"{name:<28} median {statistics.median(values):6.1f} ms   "
        f"p90 {p90:6.1f} ms   min {values[0]:6.1f} ms   max {values[-1]:6.1f} ms"
    )


def page_weights(
    browser: object, base_url: str, site: Path, pages: list[str]
) -> None:
    """Print the bytes each page fetches (HTML + scripts, styles, fonts, images)."""
    rows = []
    for name in pages:
        context = browser.new_context()
        page = context.new_page()
        responses = []
        page.on("response", lambda response, seen=responses: seen.append(response))
        page.goto(base_url + name, wait_until="load")
        page.wait_for_load_state("networkidle")
        # The local server sends files as they are: a response weighs its file.
        total = 0
        for response in responses:
            path = urlsplit(response.url).path.lstrip("/") or "index.html"
            file = site / unquote(path)
            if response.status < 300 and file.is_file():
                total += file.stat().st_size
        rows.append((total, len(responses), name))
        context.close()
    print(f"{'page':<44} {'requests':>8} {'weight':>10}")
    for total, count, name in sorted(rows, reverse=True):
        print(f"{name:<44} {count:>8} {total / 1e6:>8.2f} MB")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--site", type=Path, default=ROOT / "_build" / "html")
    parser.add_argument("--page", default=None, help="page relative to the site")
    parser.add_argument("--moves", type=int, default=20)
    parser.add_argument("--weights", action="store_true", help="print page weights")
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
            if args.weights:
                all_pages = sorted(
                    p.relative_to(args.site).as_posix()
                    for p in args.site.rglob("*.html")
                    if p.relative_to(args.site).parts[0] not in ("_static", "_sources")
                )
                page_weights(browser, base_url, args.site, all_pages)
            browser.close()
    finally:
        server.shutdown()

    print(f"page: {page_name}   moves: {len(samples)}   chromium: {chromium}")
    print(summarize("key -> frame swapped (DOM)", [s["swap"] for s in samples]))
    print(summarize("key -> next frame painted", [s["paint"] for s in samples]))
    print("goal: median key press -> new frame visible <= 50 ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
