"""Sphinx extension: the Chinese search dictionary is derived from the glossary.

Sphinx's Chinese search splits text with jieba, which cuts compound terms such
as 梯度下降 or 学习率 into pieces unless it is given a user dictionary that
names them. The book's glossary (``book/glossary.md``, the ``{glossary}``
blocks) is the one list of its terms, so the dictionary is made from it: on
``config-inited`` this extension reads the glossary's term names, writes them
as a jieba user dictionary into the build folder
(``<builddir>/.jieba/search_terms.txt``, next to ``html/``) and points
``html_search_options["dict"]`` at that file. Nothing generated is committed.

A term that mixes Latin and Chinese (``Nesterov 加速梯度``) contributes its
Chinese runs (``加速梯度``): jieba cuts Latin words on its own and cannot match
a dictionary word that holds a space.

When the dictionary changes (a term was added or renamed), every page is read
again, so that the search index of pages that did not change is rebuilt with
the new words too.

The functions :func:`parse_terms`, :func:`search_words` and
:func:`glossary_words` need neither Sphinx nor jieba; the tests use them.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any

#: The glossary page, relative to the book's source folder (the repository root).
GLOSSARY = Path("book", "glossary.md")
#: The dictionary, relative to the build folder (the parent of ``_build/html``).
DICTIONARY = Path(".jieba", "search_terms.txt")
#: jieba word frequency given to every term: high enough that a term wins over
#: the pieces jieba's own dictionary would cut it into.
FREQUENCY = 2000

_OPENING = re.compile(r"^(?P<fence>`{3,}|:{3,})\{glossary\}\s*$")
_CJK_RUN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+")


def parse_terms(text: str) -> list[str]:
    """The term names of every ``{glossary}`` block of a MyST page, in order.

    In a glossary block, a term is a line that is not indented; the indented
    lines below it are its definition, and lines starting with ``:`` right after
    the opening fence are the directive's options. A term line may carry a
    classifier (``term : classifier``), which is not part of the name.
    """
    terms: list[str] = []
    fence: str | None = None
    in_options = False
    for line in text.splitlines():
        stripped = line.strip()
        if fence is None:
            match = _OPENING.match(stripped)
            if match:
                fence, in_options = match.group("fence"), True
            continue
        if stripped and set(stripped) == {fence[0]} and len(stripped) >= len(fence):
            fence = None
            continue
        if not stripped:
            in_options = False
            continue
        if in_options and stripped.startswith(":"):
            continue
        in_options = False
        if line[0] in " \t":
            continue
        name = stripped.split(" : ")[0].strip()
        if name and name not in terms:
            terms.append(name)
    return terms


def search_words(terms: Iterable[str]) -> list[str]:
    """The dictionary words of ``terms``: each term's runs of two or more CJK
    characters (the whole term when it is all Chinese), without repeats."""
    words: list[str] = []
    for term in terms:
        for run in _CJK_RUN.findall(term):
            if len(run) >= 2 and run not in words:
                words.append(run)
    return words


def glossary_words(root: str | Path) -> list[str]:
    """The search dictionary's words for the book whose source folder is ``root``."""
    text = (Path(root) / GLOSSARY).read_text(encoding="utf-8")
    return search_words(parse_terms(text))


def dictionary_text(words: Iterable[str]) -> str:
    """A jieba user dictionary: one ``word frequency`` line per word."""
    return "".join(f"{word} {FREQUENCY}\n" for word in words)


def write_dictionary(app: Any, config: Any) -> None:
    """Write the dictionary from the glossary and point the search options at it."""
    from sphinx.util import logging

    logger = logging.getLogger(__name__)
    source = Path(app.srcdir) / GLOSSARY
    if not source.is_file():
        logger.warning("glossary %s not found: Chinese search gets no dictionary",
                       source, type="glossary_terms")
        return
    words = glossary_words(app.srcdir)
    if not words:
        logger.warning("no {glossary} terms found in %s", source,
                       type="glossary_terms")
        return
    target = Path(app.outdir).parent / DICTIONARY
    text = dictionary_text(words)
    changed = not target.is_file() or target.read_text(encoding="utf-8") != text
    if changed:
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
    app.glossary_dictionary_changed = changed
    options = dict(config.html_search_options or {})
    options["dict"] = str(target.resolve())
    config.html_search_options = options


def reread_all_when_changed(
    app: Any, env: Any, added: set[str], changed: set[str], removed: set[str]
) -> list[str]:
    """Read every page again when the dictionary changed (re-index them all)."""
    if getattr(app, "glossary_dictionary_changed", False):
        return sorted(env.found_docs)
    return []


def setup(app: Any) -> dict[str, Any]:
    # Before book_assets (priority 500), which checks the dictionary's path.
    app.connect("config-inited", write_dictionary, priority=400)
    app.connect("env-get-outdated", reread_all_when_changed)
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
