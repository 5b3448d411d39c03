"""The teaching guide (book/teaching-guide.md) agrees with the chapters it plans.

No build is needed: the guide and the notebooks are read as text. For every
chapter in a numbered part of ``_toc.yml`` (chapters not yet in the toc are
ignored, so the guide may plan them before they land), the guide has a section
``## 第 N 章 <the notebook's title>`` in which

* every section named as §「…」 is a heading of that notebook, and the sections
  named with a title ending in （选读） are exactly the notebook's （选读）
  headings;
* every exercise label it cites (``ex-…``, as a ``{ref}`` or in a code span)
  is an exercise of that notebook;
* the slides link is ``../slides/NN-topic.html``, the deck the build writes for
  the chapter, relative to the guide's page.

Every lecture plan (a table whose first column is 分钟) takes 90 minutes. The
course plans cover every chapter in the toc, name only real sections, set
homework from their own chapters, and group the chapters into lectures exactly
as the preface's reading paths do.
"""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
GUIDE = ROOT / "book" / "teaching-guide.md"
PREFACE = ROOT / "book" / "preface.md"
TOC = ROOT / "_toc.yml"

OPTIONAL = "（选读）"
LECTURE_MINUTES = 90
# The course plans, each under a ``###`` heading of the guide's 课程安排 and under a
# ``####`` heading of the preface's reading paths; both name lectures by chapter.
PLANS = ("每章一次课", "4 周的模块", "两次课的短课程")

_FENCE = re.compile(r"^\s*(`{3,}|:{3,})")
_HEADING = re.compile(r"^(#{1,6})\s+(.+?)\s*#*\s*$")
_CHAPTER_HEADING = re.compile(r"^## 第 (\d+) 章 (.+?)\s*$", re.M)
_EXERCISE = re.compile(r"(?<![\w-])(ex-[a-z0-9]+(?:-[a-z0-9]+)+)(?![\w-])")
_SLIDES = re.compile(r"""href=["']([^"']*slides/[^"']*)["']""")
_LABEL = re.compile(r"^:label:\s*(ex-\S+)\s*$", re.M)
_NOTEBOOK = re.compile(r"notebooks/((\d\d)-[\w-]+?)(?:\.ipynb)?")
_CHAPTERS = re.compile(r"第\s*(\d+(?:\s*[、，,–-]\s*\d+)*)\s*章")


# --- reading the toc, the notebooks and the guide ----------------------------------

def toc_chapters(toc_path: Path = TOC) -> dict[int, str]:
    """``{number: stem}`` of the notebooks ``notebooks/NN-topic`` in numbered parts."""
    toc = yaml.safe_load(toc_path.read_text(encoding="utf-8"))
    chapters: dict[int, str] = {}

    def walk(entries: list[dict]) -> None:
        for entry in entries or []:
            m = _NOTEBOOK.fullmatch(entry.get("file", ""))
            if m:
                chapters[int(m.group(2))] = m.group(1)
            walk(entry.get("sections", []))

    for part in toc.get("parts", []):
        if part.get("numbered"):
            walk(part.get("chapters", []))
    return chapters


def markdown_headings(markdown: str) -> list[tuple[int, str]]:
    """``(level, text)`` of the ATX headings of ``markdown``, outside fenced blocks."""
    headings, fence = [], None
    for line in markdown.splitlines():
        m = _FENCE.match(line)
        if m:
            mark = m.group(1)
            if fence is None:
                fence = mark
            elif mark[0] == fence[0] and len(mark) >= len(fence) \
                    and line.strip() == mark:
                fence = None
            continue
        if fence is None and (h := _HEADING.match(line)):
            headings.append((len(h.group(1)), h.group(2)))
    return headings


def notebook_markdown(stem: str) -> list[str]:
    nb = nbformat.read(ROOT / "notebooks" / f"{stem}.ipynb", as_version=4)
    return [c.source for c in nb.cells if c.cell_type == "markdown"]


def notebook_headings(stem: str) -> list[tuple[int, str]]:
    return [h for src in notebook_markdown(stem) for h in markdown_headings(src)]


def notebook_title(stem: str) -> str:
    return next(text for level, text in notebook_headings(stem) if level == 1)


def notebook_exercises(stem: str) -> set[str]:
    return {m for src in notebook_markdown(stem) for m in _LABEL.findall(src)}


def section_refs(text: str) -> list[str]:
    """The titles named as §「…」 in ``text`` (nested 「」 kept; ``\\|`` read as ``|``,
    the escaped pipe of a table cell)."""
    refs, start = [], 0
    while (i := text.find("§「", start)) >= 0:
        depth, j = 1, i + 2
        while j < len(text) and depth:
            depth += {"「": 1, "」": -1}.get(text[j], 0)
            j += 1
        if depth:
            raise ValueError(f"unclosed §「 at {text[i:i + 40]!r}")
        refs.append(text[i + 2:j - 1].replace("\\|", "|"))
        start = j
    return refs


def cited_exercises(text: str) -> set[str]:
    return set(_EXERCISE.findall(text))


def slides_links(text: str) -> list[str]:
    return _SLIDES.findall(text)


def split_sections(markdown: str, level: int) -> dict[str, str]:
    """``{heading text: body}`` for the headings of ``level`` (a body ends at the next
    heading of the same or a higher level)."""
    sections: dict[str, str] = {}
    title, body, fence = None, [], None
    for line in markdown.splitlines():
        m = _FENCE.match(line)
        if m:
            fence = m.group(1) if fence is None else (
                None if line.strip() == fence else fence)
        h = _HEADING.match(line) if fence is None and not m else None
        if h and len(h.group(1)) <= level:
            if title is not None:
                sections[title] = "\n".join(body)
            title, body = (h.group(2), []) if len(h.group(1)) == level else (None, [])
            continue
        body.append(line)
    if title is not None:
        sections[title] = "\n".join(body)
    return sections


def chapter_sections(markdown: str) -> dict[int, tuple[str, str]]:
    """``{N: (title, body)}`` of the guide's ``## 第 N 章 title`` sections."""
    found = {}
    for heading, body in split_sections(markdown, 2).items():
        m = re.fullmatch(r"第 (\d+) 章 (.+)", heading)
        if m:
            found[int(m.group(1))] = (m.group(2).strip(), body)
    return found


def table_rows(markdown: str) -> list[list[list[str]]]:
    """Every pipe table of ``markdown`` as rows of cells (header first, no rule)."""
    tables, rows = [], []
    for line in markdown.splitlines() + [""]:
        if line.lstrip().startswith("|"):
            cells = re.split(r"(?<!\\)\|", line.strip().strip("|"))
            cells = [c.strip() for c in cells]
            if not all(re.fullmatch(r":?-{3,}:?", c) for c in cells):
                rows.append(cells)
        elif rows:
            tables.append(rows)
            rows = []
    return tables


def minute_tables(markdown: str) -> list[list[list[str]]]:
    """The lecture plans: tables whose first header cell is 分钟."""
    return [t for t in table_rows(markdown) if t and t[0][0] == "分钟"]


def chapter_numbers(text: str) -> list[int]:
    """The chapter numbers of 「第 3、4 章」「第 7–8 章」… in ``text``, in order."""
    numbers = []
    for m in _CHAPTERS.finditer(text):
        parts = [int(n) for n in re.findall(r"\d+", m.group(1))]
        if re.search(r"[–-]", m.group(1)) and len(parts) == 2:
            parts = list(range(parts[0], parts[1] + 1))
        numbers += parts
    return numbers


def lecture_groups(markdown: str) -> list[tuple[int, ...]]:
    """The chapters of each lecture of a course plan: one per row of its first table
    that has a 章 column."""
    for table in table_rows(markdown):
        header = table[0]
        if "章" in header:
            col = header.index("章")
            return [tuple(chapter_numbers(row[col])) for row in table[1:]]
    return []


def plan_sections(markdown: str, level: int) -> dict[str, str]:
    return {name: body for name, body in split_sections(markdown, level).items()
            if name in PLANS}


# --- the guide against the toc and the chapters ------------------------------------

CHAPTERS = toc_chapters()
GUIDE_TEXT = GUIDE.read_text(encoding="utf-8")
GUIDE_CHAPTERS = chapter_sections(GUIDE_TEXT)
PARAMS = [pytest.param(n, stem, id=stem) for n, stem in sorted(CHAPTERS.items())]


def _section(number: int) -> str:
    assert number in GUIDE_CHAPTERS, (
        f"the teaching guide has no section '## 第 {number} 章 …' for "
        f"{CHAPTERS[number]}: add one (objectives, prerequisites, the 90-minute plan, "
        "the explorer to demo, exercises, 选读, difficulties, slides)")
    return GUIDE_CHAPTERS[number][1]


def test_guide_is_in_the_appendix_before_the_glossary() -> None:
    toc = yaml.safe_load(TOC.read_text(encoding="utf-8"))
    appendix = next(p for p in toc["parts"] if p.get("caption") == "附录")
    files = [c["file"] for c in appendix["chapters"]]
    assert "book/teaching-guide" in files
    assert files.index("book/teaching-guide") < files.index("book/glossary")


def test_toc_has_chapters() -> None:
    assert CHAPTERS, "no numbered chapter found in _toc.yml"
    assert all(re.fullmatch(r"\d\d-[\w-]+", s) for s in CHAPTERS.values())


@pytest.mark.parametrize("number, stem", PARAMS)
def test_guide_has_a_section_titled_like_the_chapter(number: int, stem: str) -> None:
    _section(number)
    assert GUIDE_CHAPTERS[number][0] == notebook_title(stem), (
        f"'## 第 {number} 章 …' should carry the chapter's title "
        f"{notebook_title(stem)!r}")


@pytest.mark.parametrize("number, stem", PARAMS)
def test_named_sections_are_headings_of_the_chapter(number: int, stem: str) -> None:
    headings = {text for _, text in notebook_headings(stem)}
    refs = section_refs(_section(number))
    assert refs, "the lecture plan names no section of the chapter"
    missing = [r for r in refs if r not in headings]
    assert not missing, (
        f"§「…」 names no heading of {stem}.ipynb (renamed?): {missing}")


@pytest.mark.parametrize("number, stem", PARAMS)
def test_optional_sections_are_exactly_the_chapters(number: int, stem: str) -> None:
    named = {r for r in section_refs(_section(number)) if r.endswith(OPTIONAL)}
    optional = {text for _, text in notebook_headings(stem) if text.endswith(OPTIONAL)}
    assert named == optional, (
        f"选读 sections of {stem}: the guide also names {sorted(named - optional)}, "
        f"and misses {sorted(optional - named)}")


@pytest.mark.parametrize("number, stem", PARAMS)
def test_cited_exercises_exist(number: int, stem: str) -> None:
    cited = cited_exercises(_section(number))
    assert cited, "the guide cites no exercise of the chapter"
    missing = cited - notebook_exercises(stem)
    assert not missing, f"no exercise with these labels in {stem}.ipynb: {missing}"


@pytest.mark.parametrize("number, stem", PARAMS)
def test_slides_link_is_the_chapters_deck(number: int, stem: str) -> None:
    assert slides_links(_section(number)) == [f"../slides/{stem}.html"]


def test_every_planned_chapter_links_its_own_deck() -> None:
    """Also the chapters not yet in the toc: NN-topic.html under ../slides/."""
    for number, (_, body) in GUIDE_CHAPTERS.items():
        links = slides_links(body)
        assert len(links) == 1, (number, links)
        assert re.fullmatch(rf"\.\./slides/{number:02d}-[\w-]+\.html", links[0]), links


def test_lecture_plans_take_90_minutes() -> None:
    tables = minute_tables(GUIDE_TEXT)
    assert len(tables) >= len(GUIDE_CHAPTERS)
    for table in tables:
        minutes = [int(row[0]) for row in table[1:]]
        assert sum(minutes) == LECTURE_MINUTES, (table[1][1], minutes)


# --- the course plans, in the guide and in the preface ------------------------------

def test_course_plan_sections_are_real() -> None:
    """In a course plan's lecture table, the 章 column says whose sections are named."""
    plans = split_sections(GUIDE_TEXT, 2).get("课程安排", "")
    checked = 0
    for table in minute_tables(plans):
        assert table[0][1] == "章", table[0]
        for row in table[1:]:
            (number,) = chapter_numbers(f"第 {row[1]} 章")
            if number in CHAPTERS:
                headings = {text for _, text in notebook_headings(CHAPTERS[number])}
                missing = [r for r in section_refs(row[2]) if r not in headings]
                assert not missing, (CHAPTERS[number], missing)
                checked += 1
    assert checked


def test_course_plans_cover_the_book() -> None:
    plans = plan_sections(split_sections(GUIDE_TEXT, 2).get("课程安排", ""), 3)
    assert set(plans) == set(PLANS), sorted(plans)
    for name in ("每章一次课", "4 周的模块"):
        covered = {n for group in lecture_groups(plans[name]) for n in group}
        assert set(CHAPTERS) <= covered, (
            f"the guide's {name} leaves out chapters {sorted(set(CHAPTERS) - covered)}")
    short = {n for group in lecture_groups(plans["两次课的短课程"]) for n in group}
    assert short and short <= set(CHAPTERS) | set(GUIDE_CHAPTERS)


def test_course_plan_homework_belongs_to_its_lectures() -> None:
    """Each lecture of the 4-week module sets exercises of its own chapters."""
    plans = plan_sections(split_sections(GUIDE_TEXT, 2).get("课程安排", ""), 3)
    table = next(t for t in table_rows(plans["4 周的模块"]) if "章" in t[0])
    col = table[0].index("章")
    checked = 0
    for row in table[1:]:
        numbers = chapter_numbers(row[col])
        if numbers and all(n in CHAPTERS for n in numbers):
            own = set().union(*(notebook_exercises(CHAPTERS[n]) for n in numbers))
            cited = cited_exercises(" ".join(row))
            assert cited <= own, (row[col], sorted(cited - own))
            checked += 1
    assert checked


def test_preface_reading_paths_agree_with_the_guide() -> None:
    preface = PREFACE.read_text(encoding="utf-8")
    assert "teaching-guide.md" in preface, "the preface should link the teaching guide"
    guide = plan_sections(split_sections(GUIDE_TEXT, 2).get("课程安排", ""), 3)
    theirs = plan_sections(preface, 4)
    assert set(theirs) == set(PLANS), sorted(theirs)
    for name in PLANS:
        ours, preface_groups = lecture_groups(guide[name]), lecture_groups(theirs[name])
        assert preface_groups == ours, (
            f"{name}: the preface groups chapters into lectures as {preface_groups}, "
            f"the guide as {ours}")


# --- the checkers are not vacuous ---------------------------------------------------

def test_section_refs_keep_nested_quotes_and_pipes() -> None:
    text = "§「地板：「训练不稳定」从哪里来」、§「RNN 的墙：$\\|w\\| > 1$」与「别的」"
    assert section_refs(text) == ["地板：「训练不稳定」从哪里来", "RNN 的墙：$|w| > 1$"]
    with pytest.raises(ValueError):
        section_refs("§「没有结束")


def test_headings_skip_fenced_blocks() -> None:
    md = "# 标题\n\n```python\n# not a heading\n```\n\n### 小节（选读）\n"
    assert markdown_headings(md) == [(1, "标题"), (3, "小节（选读）")]


def test_chapter_numbers_and_exercises() -> None:
    assert chapter_numbers("第 3、4 章与第 7–8 章，第 11 章") == [3, 4, 7, 8, 11]
    assert cited_exercises("{ref}`ex-sgd-decay` 与 `ex-adam-sparse`，不是 ex-") == {
        "ex-sgd-decay", "ex-adam-sparse"}


def test_minute_tables_and_chapter_sections() -> None:
    md = ("## 第 2 章 动量\n\n| 分钟 | 小节 |\n| --- | --- |\n| 50 | §「a」 |\n"
          "| 40 | §「b｜c」 |\n\n## 课程安排\n\n### 4 周的模块\n\n"
          "| 周 | 章 |\n| --- | --- |\n| 1 | 第 1、2 章 |\n")
    assert list(chapter_sections(md)) == [2]
    assert [int(r[0]) for r in minute_tables(md)[0][1:]] == [50, 40]
    plans = plan_sections(split_sections(md, 2)["课程安排"], 3)
    assert lecture_groups(plans["4 周的模块"]) == [(1, 2)]


def test_toc_reader_takes_only_numbered_parts(tmp_path: Path) -> None:
    toc = tmp_path / "_toc.yml"
    toc.write_text(
        "format: jb-book\nroot: a\nparts:\n"
        "  - caption: P\n    chapters:\n      - file: book/preface\n"
        "  - caption: Q\n    numbered: true\n    chapters:\n"
        "      - file: notebooks/07-schedules\n"
        "      - file: notebooks/08-loss-scale.ipynb\n",
        encoding="utf-8")
    assert toc_chapters(toc) == {7: "07-schedules", 8: "08-loss-scale"}
