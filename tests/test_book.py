"""The built book (``make book``): complete, warning-free, offline, searchable.

These tests read ``_build/html`` and the build log ``_build/build.log`` that
``make book`` writes; they do not build the book themselves.
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import yaml

pytestmark = pytest.mark.book

ROOT = Path(__file__).resolve().parents[1]
SITE = Path(os.environ.get("BOOK_HTML", ROOT / "_build" / "html"))
BUILD_LOG = SITE.parent / "build.log"


def _glossary_words() -> list[str]:
    """The search dictionary's words: the glossary's terms (book/glossary.md)."""
    path = ROOT / "book" / "_ext" / "glossary_terms.py"
    spec = importlib.util.spec_from_file_location("glossary_terms", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.glossary_words(ROOT)


SEARCH_TERMS = tuple(_glossary_words())
ANSI = re.compile(r"\x1b\[[0-9;]*m")
LOCAL_HOSTS = {"127.0.0.1", "localhost", "::1"}


def toc_files(toc_path: Path = ROOT / "_toc.yml") -> list[str]:
    """Every document the table of contents lists, root first, in order."""
    toc = yaml.safe_load(toc_path.read_text(encoding="utf-8"))
    files = [toc["root"]]

    def walk(entries: list[dict]) -> None:
        for entry in entries or []:
            if "file" in entry:
                files.append(entry["file"])
            for key in ("sections", "chapters", "parts"):
                walk(entry.get(key, []))

    walk(toc.get("parts", []))
    walk(toc.get("chapters", []))
    return [re.sub(r"\.(md|ipynb)$", "", f) for f in files]


@pytest.fixture(scope="module")
def site() -> Path:
    if not (SITE / "index.html").is_file():
        pytest.fail(f"no built book in {SITE}: run `make book` first")
    return SITE


class _ArticleText(HTMLParser):
    """Collect the text of ``<article class="bd-article">``, without scripts."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.depth = 0
        self.skip = 0
        self.parts: list[str] = []

    VOID = {
        "area", "base", "br", "col", "embed", "hr", "img", "input", "link",
        "meta", "param", "source", "track", "wbr",
    }

    def handle_starttag(self, tag: str, attrs: list) -> None:
        classes = (dict(attrs).get("class") or "").split()
        if self.depth:
            if tag not in self.VOID:
                self.depth += 1
        elif tag == "article" and "bd-article" in classes:
            self.depth = 1
        if self.depth and tag in ("script", "style"):
            self.skip += 1

    def handle_startendtag(self, tag: str, attrs: list) -> None:
        pass  # <br/>, <img .../>: no content, no depth

    def handle_endtag(self, tag: str) -> None:
        if tag in self.VOID:
            return
        if self.depth and tag in ("script", "style"):
            self.skip -= 1
        if self.depth:
            self.depth -= 1

    def handle_data(self, data: str) -> None:
        if self.depth and not self.skip:
            self.parts.append(data)


def article_text(page: Path) -> str:
    parser = _ArticleText()
    parser.feed(page.read_text(encoding="utf-8"))
    return "".join(parser.parts)


class _ResourceURLs(HTMLParser):
    """URLs a browser would fetch while loading the page (not plain links)."""

    FETCHED = {
        "script": ("src",),
        "img": ("src", "srcset"),
        "iframe": ("src",),
        "source": ("src", "srcset"),
        "video": ("src", "poster"),
        "audio": ("src",),
        "embed": ("src",),
        "object": ("data",),
    }
    FETCHED_LINKS = {"stylesheet", "preload", "modulepreload", "icon", "prefetch"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.urls: list[str] = []

    def handle_starttag(self, tag: str, attrs: list) -> None:
        values = dict(attrs)
        for name in self.FETCHED.get(tag, ()):
            if values.get(name):
                self.urls.extend(u.split()[0] for u in values[name].split(","))
        if tag == "link" and values.get("href"):
            rel = set((values.get("rel") or "").lower().split())
            if rel & self.FETCHED_LINKS:
                self.urls.append(values["href"])
        style = values.get("style") or ""
        self.urls.extend(re.findall(r"url\(\s*['\"]?([^'\")]+)", style))


def is_remote(url: str) -> bool:
    parts = urlsplit(url.strip())
    if url.strip().startswith("//"):
        return True
    return parts.scheme in ("http", "https") and parts.hostname not in LOCAL_HOSTS


def built_pages(site: Path) -> list[Path]:
    skip = ("_static", "_sources", "_images")
    return sorted(
        p for p in site.rglob("*.html") if p.relative_to(site).parts[0] not in skip
    )


def test_every_toc_entry_produced_a_page(site: Path) -> None:
    missing = [f for f in toc_files() if not (site / f"{f}.html").is_file()]
    assert missing == [], f"no HTML page for toc entries {missing}"


def test_teaching_guide_links_the_deck_of_every_chapter(site: Path) -> None:
    """The guide's slides links (raw HTML, so Sphinx does not check them) resolve."""
    page = site / "book" / "teaching-guide.html"
    hrefs = re.findall(r'href="(\.\./slides/[^"]+)"', page.read_text(encoding="utf-8"))
    linked = {(page.parent / h).resolve() for h in hrefs}
    for doc in toc_files():
        if doc.startswith("notebooks/"):
            deck = site / "slides" / f"{Path(doc).name}.html"
            assert deck.is_file(), f"no deck {deck}"
            assert deck.resolve() in linked, f"the guide does not link {deck.name}"


def test_the_build_log_has_no_warning_or_error() -> None:
    assert BUILD_LOG.is_file(), f"{BUILD_LOG} missing: `make book` writes it"
    log = ANSI.sub("", BUILD_LOG.read_text(encoding="utf-8", errors="replace"))
    problems = [
        line
        for line in log.splitlines()
        if re.search(r"\b(WARNING|ERROR|CRITICAL|SEVERE)\b\s*:", line)
        or re.search(r"\bTraceback\b", line)
    ]
    assert problems == [], "the build reported:\n" + "\n".join(problems)
    assert "build succeeded." in log, "the build did not finish cleanly"
    assert not re.search(r"build succeeded, \d+ warning", log)


def test_pages_reference_no_third_party_resource(site: Path) -> None:
    remote = {}
    for page in built_pages(site):
        parser = _ResourceURLs()
        parser.feed(page.read_text(encoding="utf-8"))
        found = [u for u in parser.urls if is_remote(u)]
        if found:
            remote[page.relative_to(site).as_posix()] = found
    assert remote == {}, f"pages load third-party resources: {remote}"


def test_front_end_assets_are_served_from_the_site(site: Path) -> None:
    static = site / "_static"
    for asset in (
        "html-manager/embed.js",
        "mathjax/tex-mml-chtml.js",
        "mathjax/output/chtml/fonts/woff-v2/MathJax_Main-Regular.woff",
    ):
        assert (static / asset).is_file(), f"{asset} is not in the built site"
    pins = json.loads((ROOT / "package.json").read_text("utf-8"))["dependencies"]
    shipped = json.loads((static / "VERSIONS.json").read_text("utf-8"))
    assert shipped == pins, "the site ships other asset versions than package.json"
    # The widget manager's icon fonts, which its CSS loads relative to itself.
    fonts = list((static / "html-manager").glob("*.woff2"))
    assert fonts, "the widget icon fonts are missing"


def test_widget_pages_load_the_vendored_widget_manager(site: Path) -> None:
    widget_pages = 0
    for page in built_pages(site):
        html = page.read_text(encoding="utf-8")
        if "application/vnd.jupyter.widget-view+json" not in html:
            continue
        widget_pages += 1
        assert "_static/html-manager/embed.js" in html, page
        assert html.count("THEBE_JS_URL =") <= 1, f"{page}: thebe config twice"
    assert widget_pages, "no page has a widget view; the check would be empty"


def scripts_loaded(html: str) -> list[str]:
    """The paths (without query) of the external scripts a page loads."""
    parser = _ResourceURLs()
    parser.feed(html)
    return [u.split("?")[0] for u in parser.urls if u.split("?")[0].endswith(".js")]


def test_pages_load_only_the_scripts_they_use(site: Path) -> None:
    """The heavy scripts go only where they are needed (issue: lighter pages).

    The widget manager only on pages with widget views, MathJax only on pages
    with math, the search index only on the search page, never the theme's
    FontAwesome script (its stylesheet draws the icons) nor require.js.
    """
    wrong = []
    for page in built_pages(site):
        name = page.relative_to(site).as_posix()
        html = page.read_text(encoding="utf-8")
        scripts = scripts_loaded(html)

        def loads(suffix: str, scripts: list[str] = scripts) -> bool:
            return any(s.endswith(suffix) for s in scripts)

        has_widgets = "application/vnd.jupyter.widget-view+json" in html
        has_math = 'class="math' in html
        if loads("html-manager/embed.js") != has_widgets:
            wrong.append(f"{name}: widget manager loaded = {not has_widgets}")
        if loads("mathjax/tex-mml-chtml.js") and not has_math:
            wrong.append(f"{name}: MathJax without math")
        if loads("searchindex.js") != (name == "search.html"):
            wrong.append(f"{name}: search index loaded = {name != 'search.html'}")
        for unused in ("scripts/fontawesome.js", "require.js", "embed-amd.js"):
            if loads(unused):
                wrong.append(f"{name}: loads {unused}")
    assert wrong == [], "\n".join(wrong)


def test_notebook_figures_are_lossless_webp_loaded_lazily(site: Path) -> None:
    figures = []
    for page in built_pages(site):
        html = page.read_text(encoding="utf-8")
        figures += re.findall(r"<img\b[^>]*\bsrc=\"[^\"]*_images/[^\"]+\"[^>]*>", html)
    assert figures, "no figure in the book; the check would be empty"
    # A figure stays PNG only where WebP is not smaller (book/_ext/web_figures.py);
    # for matplotlib figures that is the rare exception.
    png = [f for f in figures if ".png" in f]
    assert len(png) <= len(figures) // 10, f"figures still PNG: {png[:3]}"
    eager = [f for f in figures if re.search(r"\.(png|webp)", f) and "lazy" not in f]
    assert eager == [], f"figures loaded before the reader gets near them: {eager}"


def search_index(site: Path) -> dict:
    text = (site / "searchindex.js").read_text(encoding="utf-8")
    match = re.fullmatch(r"\s*Search\.setIndex\((.*)\)\s*", text, flags=re.S)
    assert match, "searchindex.js has an unexpected format"
    return json.loads(match.group(1))


def _docs(entry: int | list[int] | None) -> set[int]:
    if entry is None:
        return set()
    return {entry} if isinstance(entry, int) else set(entry)


@pytest.mark.parametrize("term", SEARCH_TERMS)
def test_search_finds_every_page_that_uses_a_term(site: Path, term: str) -> None:
    index = search_index(site)
    docnames = index["docnames"]
    found = _docs(index["terms"].get(term)) | _docs(index["titleterms"].get(term))
    found_names = {docnames[i] for i in found}
    using = {
        doc
        for doc in docnames
        if (site / f"{doc}.html").is_file()
        and term in article_text(site / f"{doc}.html")
    }
    assert using, f"no page uses {term!r}; the search check would be empty"
    assert using <= found_names, (
        f"searching {term!r} misses pages that use it: {sorted(using - found_names)}"
    )


def test_toc_reader_walks_parts_chapters_and_sections(tmp_path: Path) -> None:
    toc = tmp_path / "_toc.yml"
    toc.write_text(
        "format: jb-book\nroot: a\nparts:\n"
        "  - caption: P\n    chapters:\n      - file: b.md\n"
        "        sections:\n          - file: c\n",
        encoding="utf-8",
    )
    assert toc_files(toc) == ["a", "b", "c"]
