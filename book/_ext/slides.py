"""Sphinx extension: a reveal.js deck for every chapter, made from its notebook.

Every notebook listed under a numbered part of ``_toc.yml`` gets a deck,
``_build/html/slides/<name>.html``, written while the book is built (so ``make
book`` makes the decks too), and its chapter page gets a 「幻灯片」 link under
the title. The deck is cut from the chapter's *resolved* doctree, so formulas,
glued numbers, cross-references, figures and explorers look exactly as in the
book, and it loads the same vendored MathJax and widget manager as the page
(plus reveal.js, vendored by ``scripts/vendor_assets.py``): it works offline.

The rules (a new chapter gets a deck with no extra work):

* The chapter title (``#``) opens the title slide; each ``##`` section opens a
  group of slides (reveal's vertical stack; ``navigationMode: "linear"`` so the
  arrow keys walk every slide), and each ``###`` opens a slide in its group.
* The first paragraph of each section becomes the speaker notes of the
  section's first slide (what the lecturer says), unless it is the section's
  only content.
* Content flows onto the section's slides in order; a slide holds at most
  ``SLIDE_BUDGET`` units (a CJK character is 1, a Latin one 0.5, a formula or
  an output line more), and the next block opens a continuation slide.
* A figure, an explorer, a rendered HTML output (a source listing) and an
  exercise each get a slide of their own; the 「试一试」 box after an explorer
  joins the explorer's slide. The text a figure or explorer cell prints (its
  numeric summary, the per-frame table) goes to the notes; a cell that only
  prints shows its text on the slide. Code is hidden unless tagged.
* Exercise solutions are left out; a section whose heading ends with
  ``（选读）`` becomes one slide that links to the section in the book.

A lecturer refines a deck with cell tags only:

``slides-skip``   leave the cell out of the deck;
``notes``         put the cell into the speaker notes of the current slide;
``slides-break``  start a new slide at this cell;
``slides-code``   show the code of a code cell (hidden by default).

Markdown cells keep no metadata in myst-nb's doctree, so this extension makes
myst-nb put an invisible marker node (``slide_cell``, never rendered) with the
cell's tags before each Markdown cell's content.
"""

from __future__ import annotations

import html
import json
import re
from pathlib import Path
from typing import Any

from docutils import nodes
from docutils.utils import new_document
from slides_plan import (
    ALONE,
    DECK_DIR,
    WIDGET_STATE,
    Item,
    Slide,
    chapter_docs,
    deck_name,
    patch_myst_nb,
    plan,
    slide_cell,
)
from sphinx.application import Sphinx
from sphinx.util import logging as sphinx_logging
from sphinx.util.osutil import relative_uri

logger = sphinx_logging.getLogger(__name__)

REVEAL = "_static/reveal.js"
LINK_CLASS = "descent-slides-link"


def _skip(self: Any, node: nodes.Node) -> None:
    raise nodes.SkipNode


# --- rendering ------------------------------------------------------------------------

DECK_CSS = """
:root {
  --deck-font: system-ui, -apple-system, "PingFang SC", "Hiragino Sans GB",
    "Microsoft YaHei", "Noto Sans CJK SC", "Source Han Sans SC",
    "WenQuanYi Micro Hei", "Helvetica Neue", Arial, sans-serif;
  --deck-mono: ui-monospace, "SFMono-Regular", Menlo, Consolas,
    "Noto Sans Mono CJK SC", "DejaVu Sans Mono", monospace;
  --deck-accent: #1f5fa8;
}
html, body, .reveal-viewport { background: #fff; }
.reveal { font-family: var(--deck-font); font-size: 28px; color: #222; }
.reveal .slides { text-align: left; }
.reveal .slides section { line-height: 1.45; }
.reveal h1, .reveal h2, .reveal h3, .reveal h4 {
  font-family: var(--deck-font); color: #111; font-weight: 600;
  line-height: 1.25; margin: 0 0 0.6em; text-transform: none;
}
.reveal h1 { font-size: 2.2em; margin-top: 2.2em; }
.reveal h2 { font-size: 1.45em; border-bottom: 2px solid var(--deck-accent);
  padding-bottom: 0.2em; }
.reveal h4 { font-size: 1.05em; margin: 0.8em 0 0.3em; }
.reveal .deck-number { color: var(--deck-accent); margin-right: 0.4em; }
.reveal .deck-kicker { font-size: 0.7em; color: #666; margin: 0 0 0.2em; }
.reveal .deck-subtitle { font-size: 0.9em; color: #555; }
.reveal p, .reveal li { margin: 0.45em 0; }
.reveal ul, .reveal ol { margin: 0.3em 0 0.3em 1.3em; }
.reveal a { color: var(--deck-accent); text-decoration: none; }
.reveal code, .reveal pre { font-family: var(--deck-mono); }
.reveal code { font-size: 0.9em; }
.reveal pre { font-size: 0.62em; line-height: 1.35; margin: 0.5em 0;
  padding: 0.5em 0.8em; background: #f6f8fa; border-radius: 4px;
  max-height: 520px; overflow: auto; white-space: pre; }
.reveal .highlight pre { background: #f6f8fa; }
.reveal .deck-scroll { max-height: 640px; overflow: auto; font-size: 0.75em; }
.reveal .deck-scroll pre { font-size: 0.85em; max-height: none; }
.reveal table { border-collapse: collapse; margin: 0.5em 0; font-size: 0.8em; }
.reveal th, .reveal td { border-bottom: 1px solid #ccc; padding: 0.2em 0.6em; }
.reveal img { max-width: 100%; max-height: 560px; margin: 0.3em auto;
  display: block; }
.reveal figure, .reveal .figure { margin: 0; text-align: center; }
.reveal figcaption, .reveal .caption { font-size: 0.62em; color: #444;
  text-align: left; margin-top: 0.3em; }
.reveal .headerlink, .reveal .toggle-details { display: none; }
.reveal .math { overflow-x: auto; overflow-y: hidden; }
.reveal div.math { margin: 0.5em 0; font-size: 1.05em; }
.reveal .eqno { float: right; font-size: 0.8em; color: #666; }
.reveal .admonition { border-left: 5px solid var(--deck-accent); background: #f3f7fc;
  padding: 0.3em 0.8em; margin: 0.6em 0; font-size: 0.8em; }
.reveal .admonition.tip { border-color: #2e8540; background: #f1f8f3; }
.reveal .admonition-title { font-weight: 600; margin: 0.2em 0; }
.reveal .deck-explorer .admonition { font-size: 0.62em; }
.reveal .deck-explorer .jupyter-widgets { margin: 0 auto; }
.reveal .deck-explorer img { max-height: 470px; }
.reveal .deck-optional { color: #555; }
.reveal .output.stream, .reveal .output.text_plain { font-size: 0.9em; }
.reveal .cell_output .output { margin: 0.3em 0; }
.reveal .slide-number { font-size: 14px; }
"""

REVEAL_CONFIG = {
    "hash": True,
    "navigationMode": "linear",
    "transition": "none",
    "backgroundTransition": "none",
    "width": 1280,
    "height": 800,
    "margin": 0.04,
    "center": False,
    "slideNumber": "c/t",
}
# Keys pressed on a widget (a slider handle) move the widget, not the deck.
REVEAL_INIT = """Reveal.initialize(Object.assign(%s, {
  plugins: [RevealNotes],
  keyboardCondition: function (event) {
    var target = event.target;
    return !(target && target.closest && target.closest(".jupyter-widgets"));
  }
}));"""


def vendored_dirs(app: Sphinx) -> set[str]:
    """Top-level folders of html_static_path, e.g. mathjax, requirejs, html-manager."""
    names = set()
    for entry in app.config.html_static_path:
        folder = Path(app.confdir, entry)
        if folder.is_dir():
            names.update(p.name for p in folder.iterdir())
    return names


def page_scripts(app: Sphinx, context: dict[str, Any]) -> list[str]:
    """The page's MathJax and widget scripts as tags: what a deck needs of them."""
    vendored = vendored_dirs(app)
    tags = []
    scripts = sorted(context.get("script_files", []), key=lambda s: s.priority)
    for script in scripts:
        filename = str(getattr(script, "filename", script) or "")
        attributes = getattr(script, "attributes", {}) or {}
        if filename:
            parts = filename.split("/")
            keep = len(parts) > 2 and parts[0] == "_static" and parts[1] in vendored
        else:
            body = attributes.get("body", "") or ""
            keep = (
                attributes.get("type") == WIDGET_STATE
                or "MathJax" in body
                or "require.config" in body
            )
        if keep:
            tags.append(context["js_tag"](script))
    return tags


class DeckWriter:
    """Renders a chapter's planned slides with the HTML builder's own translator."""

    def __init__(self, app: Sphinx, docname: str, context: dict[str, Any]) -> None:
        self.app = app
        self.builder = app.builder
        self.docname = docname
        self.context = context
        self.deck_uri = f"{DECK_DIR}/{deck_name(docname)}.html"
        page = self.builder.get_target_uri(docname)
        self.page_uri = relative_uri(self.deck_uri, page)

    def render(self, node: nodes.Node) -> str:
        # Translate like the page itself (builder.write_doc): no docutils
        # transforms, which render_partial would apply (and which break on
        # sphinx-exercise's admonition subclasses).
        document = new_document("<slides>", self.builder.docsettings)
        document.append(node.deepcopy())
        translator = self.builder.create_translator(document, self.builder)
        document.walkabout(translator)
        fragment = "".join(translator.fragment)
        # reveal.js takes every <section> for a slide: nested ones (sphinx-exercise
        # wraps an exercise's content in one) become plain blocks.
        fragment = re.sub(r"<section\b", '<div data-section=""', fragment)
        fragment = fragment.replace("</section>", "</div>")
        # Links within the chapter lead to the chapter page.
        return fragment.replace('href="#', f'href="{self.page_uri}#')

    def render_inline(self, title: nodes.Node) -> str:
        para = nodes.paragraph("", "", *[c.deepcopy() for c in title.children])
        body = self.render(para).strip()
        return re.sub(r"^<p>(.*)</p>$", r"\1", body, flags=re.S)

    def number(self, section: nodes.section) -> str:
        ids = section.get("ids") or [""]
        numbers = self.builder.secnumbers.get("#" + ids[0])
        if numbers is None and section.parent is section.document:
            numbers = self.builder.secnumbers.get("")
        return ".".join(map(str, numbers)) if numbers else ""

    def heading(
        self, section: nodes.section | None, tag: str, numbered: bool = True
    ) -> str:
        if section is None:
            return ""
        title = section.next_node(nodes.title)
        number = self.number(section) if numbered else ""
        prefix = f'<span class="deck-number">{number}</span>' if number else ""
        return f"<{tag}>{prefix}{self.render_inline(title)}</{tag}>"

    def kicker(self, slide: Slide) -> str:
        parent = slide.heading.parent if slide.heading is not None else None
        if slide.level < 3 or not isinstance(parent, nodes.section):
            return ""
        title = parent.next_node(nodes.title)
        return f'<p class="deck-kicker">{html.escape(title.astext())}</p>'

    def item(self, item: Item) -> str:
        if item.kind == "subheading":
            return f"<h4>{self.render_inline(item.node)}</h4>"
        body = self.render(item.node)
        if item.kind == "html":
            return f'<div class="deck-scroll">{body}</div>'
        return body

    def slide(self, slide: Slide) -> str:
        parts = []
        if slide.kind == "title":
            chapter = self.number(slide.heading) if slide.heading is not None else ""
            where = f"《优化器》第 {chapter} 章 · " if chapter else "《优化器》 · "
            parts.append(self.heading(slide.heading, "h1", numbered=False))
            parts.append(
                f'<p class="deck-subtitle">{where}<a href="{self.page_uri}">'
                "在书中阅读本章</a> · 按 S 键打开演讲者备注</p>"
            )
        else:
            parts.append(self.kicker(slide))
            parts.append(self.heading(slide.heading, "h2"))
        if slide.kind == "optional":
            anchor = (slide.heading.get("ids") or [""])[0]
            parts.append(
                '<p class="deck-optional">选读：课堂上可以跳过。'
                f'<a href="{self.page_uri}#{anchor}">在书中阅读这一节</a>。</p>'
            )
        parts.extend(self.item(i) for i in slide.items)
        if slide.notes:
            notes = "\n".join(self.item(i) for i in slide.notes)
            parts.append(f'<aside class="notes">{notes}</aside>')
        kinds = sorted({i.kind for i in slide.items} & ALONE)
        classes = " ".join(
            ["deck-slide", f"deck-{slide.kind}", *(f"deck-{k}" for k in kinds)]
        )
        inner = "\n".join(p for p in parts if p)
        return f'<section class="{classes}">\n{inner}\n</section>'

    def deck(self, slides: list[Slide]) -> str:
        # A "#" or "##" heading opens a group (a vertical stack); its continuation
        # slides and its "###" slides stay in that group.
        groups: list[list[str]] = []
        previous = None
        for slide in slides:
            if not groups or (slide.level <= 2 and slide.heading is not previous):
                groups.append([])
            previous = slide.heading
            groups[-1].append(self.slide(slide))
        body = "\n".join(
            "<section>\n" + "\n".join(group) + "\n</section>" for group in groups
        )
        title = self.context.get("title", "")
        reveal = f"../{REVEAL}" if self.deck_uri.count("/") == 1 else REVEAL
        scripts = "\n".join(page_scripts(self.app, self.context))
        config = REVEAL_INIT % json.dumps(REVEAL_CONFIG)
        return f"""<!DOCTYPE html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="icon" href="data:,">
<title>{html.escape(_plain(title))} · 幻灯片 · 优化器</title>
<link rel="stylesheet" href="{reveal}/reveal.css">
<link rel="stylesheet" href="../_static/pygments.css">
<style>{DECK_CSS}</style>
<!-- reveal.js before require.js: it defines window.Reveal, not an AMD module -->
<script src="{reveal}/reveal.js"></script>
<script src="{reveal}/plugin/notes.js"></script>
{scripts}
</head>
<body>
<div class="reveal"><div class="slides tex2jax_ignore mathjax_ignore">
{body}
</div></div>
<script>{config}</script>
</body>
</html>
"""


def _plain(text: str) -> str:
    return re.sub(r"<[^>]+>", "", text)


# --- Sphinx events --------------------------------------------------------------------


def write_deck(
    app: Sphinx, pagename: str, templatename: str, context: dict[str, Any], doctree: Any
) -> None:
    """On a chapter page: write its deck and link it under the chapter title."""
    if doctree is None or app.builder.name != "html":
        return
    if pagename not in app.env.slides_chapters:
        return
    if app.builder.get_target_uri(pagename).count("/") != 1:
        logger.warning(
            "no slides for %s: decks expect chapter pages one folder deep",
            pagename,
            type="slides",
        )
        return
    writer = DeckWriter(app, pagename, context)
    slides = plan(doctree)
    out = Path(app.outdir, writer.deck_uri)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(writer.deck(slides), encoding="utf-8")
    link = (
        f'<p class="{LINK_CLASS}"><a class="reference external" '
        f'href="{relative_uri(app.builder.get_target_uri(pagename), writer.deck_uri)}">'
        "幻灯片</a>：本章的 reveal.js 幻灯片（按 S 键打开演讲者备注）</p>"
    )
    body = context.get("body", "")
    end = body.find("</h1>")
    if end >= 0:
        end += len("</h1>")
        context["body"] = body[:end] + "\n" + link + body[end:]


def find_chapters(app: Sphinx, env: Any, docnames: list[str]) -> None:
    env.slides_chapters = set(chapter_docs(app))


def setup(app: Sphinx) -> dict[str, Any]:
    patch_myst_nb()
    skip = (_skip, None)
    app.add_node(slide_cell, html=skip, latex=skip, text=skip, man=skip, texinfo=skip)
    app.connect("env-before-read-docs", find_chapters)
    # After myst-nb (500) and book_assets (900) have settled the page's scripts.
    app.connect("html-page-context", write_deck, priority=950)
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
