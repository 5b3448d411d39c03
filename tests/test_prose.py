"""The book speaks with one voice: figures come from code, one vocabulary, explorers
say what to try.

Three rules over the prose (Markdown cells of the notebooks and the pages in book/):

1. **Glued figures.** A measured figure stated in prose must be glued from the cell
   that computes it (``descent.show.glue`` + ``{glue:text}`name```), so prose and
   output cannot drift. A *figure* is a decimal with at least three significant
   digits (``0.155``, ``0.0454``, ``12.5``) or a number in scientific notation whose
   mantissa is not exactly 1 (``9.4e-3``, ``7.4 \\times 10^{-4}``, ``1.2×10⁻⁵``).
   Integers, pure powers of ten (``1e-8``, ``10^{-6}``: orders of magnitude,
   tolerances, defaults), display math (derivations), code and roles are not
   figures; ``ALLOWED_FIGURES`` lists hyperparameter defaults quoted as such and
   a few constants (√2, √10, ln 2…).
2. **One vocabulary.** ``REJECTED`` lists the variants the book does not use, with
   the term it uses instead (book/glossary.md defines them).
3. **Every explorer says what to try.** The cell right after an explorer (a code
   cell whose output holds a widget view) is a 「试一试」 box with three labelled
   items: 操作 (what to move), 观察 (what to look for), 回答 (the question answered).

4. **Terms are linked where a chapter first uses them.** In every chapter, the
   first use of a glossary term (longest terms matched first, so 梯度 inside
   梯度下降 does not count; headings do not count) is a ``{term}`` link, in that
   cell or an earlier one.

Pages still being revised are listed per rule in ``PENDING`` and expected to fail
(strict): a revised page must leave the list.
"""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
PAGES = sorted((ROOT / "book").glob("*.md"))
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"

# Pages whose prose has not yet been brought under a rule (strict xfail): a page
# leaves a rule's set when it is revised.
_CHAPTERS: set[str] = set()
PENDING = {
    "figures": _CHAPTERS,
    "vocabulary": _CHAPTERS,
    "try": _CHAPTERS,
    "terms": _CHAPTERS,
}

# Hyperparameter defaults quoted as such, and constants: √2, √10, 1/√2, ln 2, π, e.
ALLOWED_FIGURES = {"0.999", "0.9999", "1.41", "1.414", "3.16", "3.162", "0.707",
                   "0.693", "3.14", "3.1416", "2.718"}

# Fixed compounds that contain a glossary term but are not a use of it.
NOT_TERMS = ["浮点精度", "混合精度", "单精度", "双精度", "半精度"]

# rejected variant (regex) -> what the book says instead
REJECTED = {
    r"震荡": "振荡",
    r"滑动平均": "移动平均",
    r"探索器": "交互实验",
    r"习题": "练习",
    r"\\epsilon(?![a-zA-Z])": r"\varepsilon",
    r"海森": "黑塞矩阵",
    r"(?<!黑塞矩阵（)Hessian": "黑塞矩阵 (English at first use only)",
    r"权值衰减|权重衰退": "权重衰减",
    r"累积器|累计器": "累加器",
    r"准确度": "准确率",
    r"门控循环单元（LSTM": "门控循环网络",
    r"有病": "病态 (ill-conditioned) or another word",
}

# Directives whose body is prose (kept); every other fenced block is dropped.
PROSE_DIRECTIVES = {
    "exercise", "solution", "solution-start", "admonition", "note", "tip",
    "warning", "important", "hint", "seealso", "dropdown", "glossary", "figure",
    "epigraph", "margin", "sidebar", "caution", "attention",
}

_FENCE = re.compile(r"^\s*(`{3,}|:{3,})\s*(\{([\w:-]+)\})?")
_ROLE = re.compile(r"\{[\w:+-]+\}`[^`]*`")
_TERM = re.compile(r"\{term\}`([^`<]*?)\s*(?:<[^>]*>)?`")
_TERM_ROLE = re.compile(r"\{term\}`([^`<]*?)\s*(?:<([^>]*)>)?`")
_CODE_SPAN = re.compile(r"(`+)(?:(?!\1).)+?\1", re.S)
_DISPLAY_MATH = re.compile(r"\$\$.*?\$\$", re.S)
_URL = re.compile(r"\]\([^)]*\)|<[^>]+>|https?://\S+")
_VERSION = re.compile(
    r"(?:torch|PyTorch|Python|numpy|NumPy|Sphinx|MathJax|版本)\s*[≥>=]*\s*\d+(?:\.\d+)+"
    r"|\d+\.\d+\.\d+")
_POWER = r"(?:\^\s*\{?\s*[-−]?\s*\d+\s*\}?|[⁻⁰¹²³⁴⁵⁶⁷⁸⁹]+)"
_SCIENTIFIC = re.compile(
    r"(?<![\w.])(\d(?:\.\d+)?)\s*"
    r"(?:[eE][-+−]?\d+|(?:×|\\times|\\cdot)\s*10\s*" + _POWER + ")")
_DECIMAL = re.compile(r"(?<![\w.])\d+\.\d+(?![\w.])")


def prose_line_items(markdown: str) -> list[tuple[int, str]]:
    """``(line number, text)`` of the lines of ``markdown`` that are prose: code
    blocks, math blocks, directive options and label lines removed; directive
    bodies such as exercises kept (and the titles of some directives)."""
    kept, stack = [], []  # stack of (fence, keep body?)
    for n, line in enumerate(markdown.splitlines()):
        m = _FENCE.match(line)
        if m and stack and line.strip() == stack[-1][0]:
            stack.pop()
            continue
        if m and m.group(1)[0] == (stack[-1][0][0] if stack else m.group(1)[0]) \
                and (not stack or stack[-1][1]):
            name = m.group(3)
            stack.append((m.group(1), name in PROSE_DIRECTIVES))
            if name in ("admonition", "exercise", "figure", "dropdown"):
                kept.append((n, line[m.end():]))  # the title is prose too
            continue
        if stack and not stack[-1][1]:
            continue
        if re.match(r"^\s*:[\w-]+:", line) or re.match(r"^\s*\([\w-]+\)=\s*$", line):
            continue
        kept.append((n, line))
    return kept


def prose_lines(markdown: str) -> list[str]:
    """The text of :func:`prose_line_items`."""
    return [text for _, text in prose_line_items(markdown)]


def prose_text(markdown: str) -> str:
    """The prose of ``markdown`` with display math, roles, code and links removed."""
    text = "\n".join(prose_lines(markdown))
    text = _DISPLAY_MATH.sub(" ", text)
    text = _ROLE.sub(" ", text)
    text = _CODE_SPAN.sub(" ", text)
    return _URL.sub(" ", text)


def significant_digits(number: str) -> int:
    return len(number.replace(".", "").lstrip("0"))


def unglued_figures(markdown: str) -> list[str]:
    """The measured figures stated in ``markdown`` (rule 1)."""
    text = _VERSION.sub(" ", prose_text(markdown))
    found = []
    for m in _SCIENTIFIC.finditer(text):
        if float(m.group(1)) != 1.0:
            found.append(m.group(0))
    text = _SCIENTIFIC.sub(" ", text)
    for m in _DECIMAL.finditer(text):
        if significant_digits(m.group(0)) >= 3 and m.group(0) not in ALLOWED_FIGURES:
            found.append(m.group(0))
    return found


def rejected_terms(markdown: str) -> list[str]:
    """``variant -> term`` for every rejected variant in ``markdown`` (rule 2).

    Math is checked too (``\\epsilon``); code, links and roles are not."""
    text = "\n".join(prose_lines(markdown))
    text = _TERM.sub(lambda m: m.group(1), text)  # {term}`黑塞矩阵` reads 黑塞矩阵
    text = _CODE_SPAN.sub(" ", _ROLE.sub(" ", text))
    text = _URL.sub(" ", text)
    found = []
    for pattern, use in REJECTED.items():
        found += [f"{m.group(0)!r} -> {use}" for m in re.finditer(pattern, text)]
    return found


_TRY_BOX = re.compile(r"^:::\{admonition\}\s*试一试\s*\n(.*?)\n:::\s*$", re.S | re.M)


def missing_try_boxes(nb: nbformat.NotebookNode) -> list[str]:
    """Explorers not followed by a complete 「试一试」 box (rule 3)."""
    problems = []
    for i, cell in enumerate(nb.cells):
        if cell.cell_type != "code" or not any(
                WIDGET_VIEW in out.get("data", {}) for out in cell.get("outputs", [])):
            continue
        nxt = nb.cells[i + 1] if i + 1 < len(nb.cells) else None
        box = _TRY_BOX.match(nxt.source.strip()) if nxt is not None and \
            nxt.cell_type == "markdown" else None
        if box is None:
            problems.append(f"cell {i}: explorer not followed by a 试一试 box")
            continue
        for label in ("操作", "观察", "回答"):
            if not re.search(rf"^\s*[-*]\s*\*\*{label}\*\*[:：]\s*\S", box.group(1),
                             re.M):
                problems.append(f"cell {i + 1}: 试一试 box lacks **{label}**：…")
    return problems


def glossary_terms() -> list[str]:
    """The term names of book/glossary.md, longest first."""
    text = (ROOT / "book" / "glossary.md").read_text(encoding="utf-8")
    terms, inside = [], False
    for line in text.splitlines():
        if re.match(r"^(`{3,}|:{3,})\{glossary\}", line):
            inside = True
        elif inside and re.match(r"^(`{3,}|:{3,})\s*$", line):
            inside = False
        elif inside and line.strip() and not line[0].isspace() \
                and not line.startswith(":"):
            terms.append(line.strip())
    return sorted(terms, key=len, reverse=True)


def unlinked_first_uses(cells: list[tuple[int, str]], terms: list[str]) -> list[str]:
    """Terms whose first use in ``cells`` comes before their first {term} link."""
    first_link: dict[str, int] = {}
    first_use: dict[str, int] = {}
    # Fixed compounds (浮点精度…) are not uses of the shorter term inside them.
    shadows = [x for x in NOT_TERMS if x not in terms]
    pattern = re.compile("|".join(re.escape(t) for t in shadows + terms))
    for i, src in cells:
        for m in _TERM_ROLE.finditer(src):
            first_link.setdefault(m.group(2) or m.group(1).strip(), i)
        text = "\n".join(line for line in prose_lines(src)
                         if not line.lstrip().startswith("#"))  # headings
        text = _TERM_ROLE.sub(" ", text)
        text = _DISPLAY_MATH.sub(" ", _CODE_SPAN.sub(" ", _ROLE.sub(" ", text)))
        text = re.sub(r"\$[^$\n]+\$", " ", text)  # inline math
        for m in pattern.finditer(_URL.sub(" ", text)):
            if m.group(0) not in shadows:
                first_use.setdefault(m.group(0), i)
    return [f"{t}: used in cell {first_use[t]}, first linked "
            + (f"in cell {first_link[t]}" if t in first_link else "nowhere")
            for t in terms if t in first_use
            and first_link.get(t, float("inf")) > first_use[t]]


def markdown_cells(path: Path) -> list[tuple[int, str]]:
    nb = nbformat.read(path, as_version=4)
    return [(i, c.source) for i, c in enumerate(nb.cells) if c.cell_type == "markdown"]


def _mark(rule: str, paths: list[Path]) -> list:
    return [pytest.param(p, id=p.stem, marks=pytest.mark.xfail(
        p.stem in PENDING[rule], reason="prose being revised", strict=True))
        for p in paths]


@pytest.mark.parametrize("path", _mark("figures", NOTEBOOKS + PAGES))
def test_measured_figures_in_prose_are_glued(path: Path) -> None:
    cells = markdown_cells(path) if path.suffix == ".ipynb" else \
        [(0, path.read_text(encoding="utf-8"))]
    problems = [f"cell {i}: {fig}" for i, src in cells for fig in unglued_figures(src)]
    assert not problems, "state these figures with {glue:text}:\n" + "\n".join(problems)


@pytest.mark.parametrize("path", _mark("vocabulary", NOTEBOOKS + PAGES))
def test_prose_uses_the_books_vocabulary(path: Path) -> None:
    cells = markdown_cells(path) if path.suffix == ".ipynb" else \
        [(0, path.read_text(encoding="utf-8"))]
    problems = [f"cell {i}: {hit}" for i, src in cells for hit in rejected_terms(src)]
    assert not problems, "rejected variants (-> use instead):\n" + "\n".join(problems)


@pytest.mark.parametrize("path", _mark("try", NOTEBOOKS))
def test_every_explorer_is_followed_by_a_try_box(path: Path) -> None:
    problems = missing_try_boxes(nbformat.read(path, as_version=4))
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("path", _mark("terms", [
    p for p in NOTEBOOKS if re.match(r"\d\d-", p.name)]))
def test_glossary_terms_are_linked_at_first_use(path: Path) -> None:
    problems = unlinked_first_uses(markdown_cells(path), glossary_terms())
    assert not problems, "link with {term}`…` at first use:\n" + "\n".join(problems)


def test_pending_lists_only_existing_pages() -> None:
    stems = {p.stem for p in NOTEBOOKS + PAGES}
    for rule, pending in PENDING.items():
        assert pending <= stems, (rule, sorted(pending - stems))


# --- the rules fail on violations (the checkers are not vacuous) -------------------

@pytest.mark.parametrize("text, figures", [
    ("地板约为 9.4e-3，比 SGD 低。", ["9.4e-3"]),
    ("梯度约为 $7.4 \\times 10^{-4}$。", ["7.4 \\times 10^{-4}"]),
    ("降到 1.2×10⁻⁵ 以下", ["1.2×10⁻⁵"]),
    ("夹角的余弦是 0.7543，损失为 0.0454", ["0.7543", "0.0454"]),
    ("```{exercise} 标题\n:label: ex-x\n\n答案是 0.155。\n```", ["0.155"]),
    ("取 $\\eta = 0.1$、$\\beta_2 = 0.999$、$\\varepsilon = 10^{-8}$、1e-8、0.98 倍",
     []),
    ("$$\nq = 0.7543\n$$ (eq-x)\n\n用 torch 2.13.0 验证", []),
    ("地板是 {glue:text}`sgd_floor`，见 `f(0.155)`", []),
    ("```python\nx = 0.155\n```", []),
    ("需要 Python ≥ 3.10；$100 \\times 10^2$ 与 $\\sqrt{10} \\approx 3.16$", []),
])
def test_figure_rule(text: str, figures: list[str]) -> None:
    assert unglued_figures(text) == figures


@pytest.mark.parametrize("text, hits", [
    ("参数来回震荡", 1),
    ("用滑动平均代替累加", 1),
    ("$\\sqrt{v} + \\epsilon$", 1),
    ("Hessian 的特征值", 1),
    ("黑塞矩阵（Hessian）的特征值；$\\varepsilon$；振荡；移动平均；练习", 0),
    ("{term}`黑塞矩阵`（Hessian）与 {term}`习题 <练习>`", 1),
    ("`习题` 在代码里不算", 0),
])
def test_vocabulary_rule(text: str, hits: int) -> None:
    assert len(rejected_terms(text)) == hits


def _nb(*cells: nbformat.NotebookNode) -> nbformat.NotebookNode:
    nb = nbformat.v4.new_notebook()
    nb.cells = list(cells)
    return nb


def _explorer_cell() -> nbformat.NotebookNode:
    cell = nbformat.v4.new_code_cell("explore.explorer(...)")
    cell.outputs = [nbformat.v4.new_output(
        "display_data", data={WIDGET_VIEW: {"model_id": "x"}, "text/plain": "VBox()"})]
    return cell


GOOD_BOX = """:::{admonition} 试一试
:class: tip
- **操作**：把 η 从 0.01 拖到 0.9。
- **观察**：右图的损失何时开始上下跳。
- **回答**：噪声地板与 η 成正比吗？
:::"""


def test_term_rule() -> None:
    terms = ["梯度下降", "梯度", "学习率"]
    cells = [(0, "# 梯度\n{term}`梯度下降`与{term}`梯度`"), (1, "学习率")]
    assert unlinked_first_uses(cells, terms) == [
        "学习率: used in cell 1, first linked nowhere"]
    assert unlinked_first_uses([(0, "梯度下降很慢"), (1, "{term}`梯度下降`")], terms) \
        == ["梯度下降: used in cell 0, first linked in cell 1"]
    assert unlinked_first_uses([(0, "{term}`步长 <学习率>`；学习率")], terms) == []
    assert unlinked_first_uses([(0, "`学习率` 与 $学习率$ 不算")], terms) == []
    assert unlinked_first_uses([(0, "单精度浮点数")], ["精度"]) == []


def test_try_box_rule() -> None:
    md = nbformat.v4.new_markdown_cell
    assert missing_try_boxes(_nb(_explorer_cell(), md(GOOD_BOX))) == []
    assert len(missing_try_boxes(_nb(_explorer_cell()))) == 1
    assert len(missing_try_boxes(_nb(_explorer_cell(), md("可以试试拖动滑块。")))) == 1
    no_answer = GOOD_BOX.replace("- **回答**：噪声地板与 η 成正比吗？\n", "")
    assert missing_try_boxes(_nb(_explorer_cell(), md(no_answer))) == [
        "cell 1: 试一试 box lacks **回答**：…"]
