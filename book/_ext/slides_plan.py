"""Cut a chapter's resolved doctree into slides: the rules of book/_ext/slides.py.

Pure functions of the doctree (no rendering): ``plan(doctree)`` returns the
slides, each a heading, the blocks it shows and the blocks of its speaker notes.
``patch_myst_nb`` makes myst-nb mark where each Markdown cell starts (with its
tags), which the doctree would otherwise not tell.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from docutils import nodes

DECK_DIR = "slides"
SKIP_TAG = "slides-skip"
NOTES_TAG = "notes"
BREAK_TAG = "slides-break"
CODE_TAG = "slides-code"
OPTIONAL_SUFFIX = "（选读）"
TRY_IT_TITLE = "试一试"
SLIDE_BUDGET = 330
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
WIDGET_STATE = "application/vnd.jupyter.widget-state+json"
LISTS = (nodes.bullet_list, nodes.enumerated_list, nodes.definition_list)
# Kinds that take a slide of their own.
ALONE = frozenset({"figure", "explorer", "html", "exercise"})


class slide_cell(nodes.Element, nodes.Invisible):  # noqa: N801 (docutils style)
    """Marks where a Markdown cell starts; carries its tags. Never rendered."""


# --- markers for Markdown cells -----------------------------------------------------


def patch_myst_nb() -> None:
    """Make myst-nb put a ``slide_cell`` marker before each Markdown cell."""
    from myst_nb.core.render import MditRenderMixin

    original = MditRenderMixin.render_nb_cell_markdown
    if getattr(original, "_slides_marker", False):
        return

    def render_nb_cell_markdown(self: Any, token: Any) -> None:
        metadata = token.meta.get("metadata") or {}
        tags = list(metadata.get("tags", []))
        self.current_node.append(slide_cell(index=token.meta.get("index"), tags=tags))
        original(self, token)

    render_nb_cell_markdown._slides_marker = True
    MditRenderMixin.render_nb_cell_markdown = render_nb_cell_markdown


# --- which documents get a deck ------------------------------------------------------


def toc_chapters(toc_path: Path) -> list[str]:
    """The files listed under numbered parts of a jb-book ``_toc.yml``, in order."""
    toc = yaml.safe_load(toc_path.read_text(encoding="utf-8"))
    files: list[str] = []

    def walk(entries: list[dict]) -> None:
        for entry in entries or []:
            if "file" in entry:
                files.append(re.sub(r"\.(md|ipynb)$", "", entry["file"]))
            walk(entry.get("sections", []))

    for part in toc.get("parts", []) or []:
        if part.get("numbered"):
            walk(part.get("chapters", []))
    return files


def deck_name(docname: str) -> str:
    return posixpath.basename(docname)


def chapter_docs(app: Any) -> list[str]:
    """Docnames that get a deck: notebooks under numbered parts of the toc."""
    toc = Path(getattr(app.config, "external_toc_path", None) or "_toc.yml")
    if not toc.is_absolute():
        toc = Path(app.confdir, toc)
    docs = []
    for doc in toc_chapters(toc):
        if doc in app.env.found_docs and str(app.env.doc2path(doc)).endswith(".ipynb"):
            docs.append(doc)
    return docs


# --- the doctree as a stream of headings, markers and blocks ------------------------


@dataclass
class Event:
    kind: str  # "marker", "heading", "optional", "block"
    node: nodes.Node | None = None
    level: int = 0
    tags: tuple[str, ...] = ()


def events(
    node: nodes.Element, level: int = 0, optional: bool = False
) -> Iterator[Event]:
    for child in node.children:
        if isinstance(child, slide_cell):
            yield Event("marker", tags=tuple(child["tags"]))
        elif isinstance(child, nodes.section):
            title = child.next_node(nodes.title)
            is_optional = title is not None and title.astext().strip().endswith(
                OPTIONAL_SUFFIX
            )
            if not optional:
                kind = "optional" if is_optional else "heading"
                yield Event(kind, child, level + 1)
            yield from events(child, level + 1, optional or is_optional)
        elif optional or isinstance(child, nodes.title):
            continue
        else:
            yield Event("block", child)


# --- what a block is ------------------------------------------------------------------


def text_weight(text: str) -> float:
    return sum(1.0 if ord(ch) >= 0x2E80 else 0.5 for ch in text if not ch.isspace())


def cell_tags(node: nodes.Element) -> tuple[str, ...]:
    return tuple(c[4:] for c in node.get("classes", []) if c.startswith("tag_"))


@dataclass
class Item:
    """One thing a slide can show: a node, what it is, where it goes, its size."""

    kind: str
    node: nodes.Node
    weight: float
    target: str = "slide"  # or "notes"
    tags: tuple[str, ...] = ()
    cell: int = 0  # which notebook cell it comes from (counted in document order)


def is_try_it(node: nodes.Node) -> bool:
    if not isinstance(node, nodes.Admonition):
        return False
    title = node.next_node(nodes.title)
    return title is not None and title.astext().strip() == TRY_IT_TITLE


def classify(node: nodes.Node) -> str:
    name = type(node).__name__
    if isinstance(node, (nodes.target, nodes.comment, slide_cell)):
        return "skip"
    if isinstance(node, nodes.raw) and node.astext().lstrip().startswith("<script"):
        return "skip"  # page machinery (thebe's configuration), not content
    if name.startswith("solution"):
        return "skip"
    if name.startswith("exercise"):
        return "exercise"
    if isinstance(node, nodes.paragraph):
        return "paragraph"
    if isinstance(node, nodes.math_block):
        return "math"
    if isinstance(node, LISTS):
        return "list"
    if isinstance(node, (nodes.figure, nodes.image)):
        return "figure"
    if isinstance(node, nodes.Admonition):
        return "admonition"
    if isinstance(node, nodes.table):
        return "table"
    if isinstance(node, nodes.literal_block):
        return "code"
    return "other"


def weight(kind: str, node: nodes.Node) -> float:
    if kind == "math":
        return 80 + 45 * node.astext().count("\\\\")
    if kind in ("code", "text"):
        return 20 + 18 * min(node.astext().count("\n") + 1, 14)
    w = text_weight(node.astext())
    if kind == "list":
        w += 8 * len(node.children)
    elif kind == "table":
        w += 12 * len(list(node.findall(nodes.row)))
    elif kind == "admonition":
        w += 30
    return w


def output_kind(node: nodes.Node) -> str:
    """What one output of a code cell shows: figure, explorer, html or text."""
    if node.next_node(nodes.image, include_self=True) is not None:
        return "figure"
    raws = [r.astext() for r in node.findall(nodes.raw)]
    if any(WIDGET_VIEW in r for r in raws):
        return "explorer"
    if raws:
        return "html"
    return "text"


def is_code_cell(node: nodes.Node) -> bool:
    return isinstance(node, nodes.Element) and node.get("nb_element") == "cell_code"


def code_cell_items(cell: nodes.Element, number: int) -> list[Item]:
    tags = cell_tags(cell)
    items: list[Item] = []
    outputs: list[nodes.Node] = []
    for part in cell.children:
        if part.get("nb_element") == "cell_code_source":
            if CODE_TAG in tags:
                items.append(Item("code", part, weight("code", part), "slide", tags))
        elif part.get("nb_element") == "cell_code_output":
            outputs.extend(part.children)
    kinds = [output_kind(o) for o in outputs]
    visual = any(k in ("figure", "explorer") for k in kinds)
    for output, kind in zip(outputs, kinds, strict=True):
        target = "notes" if kind == "text" and visual else "slide"
        items.append(Item(kind, output, weight(kind, output), target, tags))
    for item in items:
        item.cell = number
    return items


# --- the plan: slides as lists of items -----------------------------------------------


@dataclass
class Slide:
    heading: nodes.section | None
    level: int
    kind: str = "content"  # "title", "content", "optional"
    items: list[Item] = field(default_factory=list)
    notes: list[Item] = field(default_factory=list)
    weight: float = 0.0
    closed: bool = False  # holds a figure/explorer/...: the next block moves on

    @property
    def last_kind(self) -> str:
        return self.items[-1].kind if self.items else ""


@dataclass
class Section:
    heading: nodes.section | None
    level: int
    kind: str
    items: list[Item] = field(default_factory=list)


def sections(doctree: nodes.Element) -> list[Section]:
    """Group the document's blocks by the heading they are under, with their tags."""
    result = [Section(None, 0, "content")]
    markdown_tags: tuple[str, ...] = ()
    cell = 0
    for ev in events(doctree):
        if ev.kind == "marker":
            markdown_tags = ev.tags
            cell += 1
        elif ev.kind in ("heading", "optional"):
            kind = "title" if ev.level == 1 else ev.kind
            if ev.level >= 4:  # deep headings stay in the flow of the slide
                title = ev.node.next_node(nodes.title)
                item = Item("subheading", title, 40, "slide", markdown_tags, cell)
                result[-1].items.append(item)
                continue
            result.append(Section(ev.node, ev.level, kind))
        elif is_code_cell(ev.node):
            cell += 1
            result[-1].items.extend(code_cell_items(ev.node, cell))
        else:
            kind = classify(ev.node)
            if kind != "skip":
                w = weight(kind, ev.node)
                item = Item(kind, ev.node, w, "slide", markdown_tags, cell)
                result[-1].items.append(item)
    return [s for s in result if s.heading is not None or s.items]


def plan(doctree: nodes.Element, budget: float = SLIDE_BUDGET) -> list[Slide]:
    """Cut the document into slides by the rules of this module's docstring."""
    slides: list[Slide] = []
    for section in sections(doctree):
        items = [i for i in section.items if SKIP_TAG not in i.tags]
        for item in items:
            if NOTES_TAG in item.tags:
                item.target = "notes"
        if section.kind == "optional":
            slides.append(Slide(section.heading, section.level, "optional"))
            continue
        shown = [i for i in items if i.target == "slide"]
        if len(shown) > 1 and shown[0] is items[0] and items[0].kind == "paragraph":
            items[0].target = "notes"
        kind = "title" if section.kind == "title" else "content"
        slide = Slide(section.heading, section.level, kind)
        slide.weight = 60 if kind == "title" else 0
        slides.append(slide)
        previous_cell = None
        for item in items:
            first_of_cell, previous_cell = item.cell != previous_cell, item.cell
            if item.target == "notes":
                slide.notes.append(item)
                continue
            joins = is_try_it(item.node) and slide.last_kind == "explorer"
            full = (
                (BREAK_TAG in item.tags and first_of_cell)
                or item.kind in ALONE
                or (slide.closed and not joins)
                or (slide.weight + item.weight > budget and not joins)
            )
            if full and slide.items:
                slide = Slide(section.heading, section.level)
                slides.append(slide)
            slide.items.append(item)
            slide.weight += item.weight
            slide.closed = slide.closed or item.kind in ALONE
    return slides
