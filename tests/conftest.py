"""Fixtures shared by the tests that drive Chromium against the built book
(tests/test_browser.py, tests/test_slides.py)."""

from __future__ import annotations

import functools
import http.server
import threading
from collections.abc import Iterator

import pytest
from test_browser import CHROMIUM_ARGS, SITE, _QuietHandler, chromium_executable


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
