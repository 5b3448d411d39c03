"""Link the first use of each glossary term in chapter notebooks with {term}`…`.

    .venv/bin/python scripts/link_terms.py notebooks/07-schedules.ipynb

Applies the rule that tests/test_prose.py checks (its functions are the single
definition of what counts as a use): for each term whose first use comes before
its first link, the first prose occurrence (not in a heading, code, math, a role
or a link) becomes a {term} link. Only Markdown changes; review the diff.
"""

import re
import sys
from pathlib import Path

import nbformat

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
import test_prose as t  # noqa: E402


def masked_spans(src):
    """Spans of src that are not prose: code fences, math, code, roles, headings…"""
    lines = src.splitlines(keepends=True)
    starts = [0]
    for line in lines:
        starts.append(starts[-1] + len(line))
    prose = {n for n, text in t.prose_line_items(src)
             if text == lines[n].rstrip("\n") and not text.lstrip().startswith("#")}
    spans = [(starts[n], starts[n + 1]) for n in range(len(lines)) if n not in prose]
    # Inline patterns run on the prose lines only (fence lines blanked), so a fence's
    # backticks never pair up with a code span's.
    visible = "".join(line if n in prose else re.sub(r"[^\n]", " ", line)
                      for n, line in enumerate(lines))
    for rx in (t._DISPLAY_MATH, t._TERM_ROLE, t._ROLE, t._CODE_SPAN, t._URL,
               re.compile(r"\$[^$\n]+\$"), re.compile(r"\[[^\]\n$]*\]\([^)\n]*\)")):
        spans += [m.span() for m in rx.finditer(visible)]
    return spans

def link_first(src, term, terms):
    spans = masked_spans(src)
    shadows = [x for x in t.NOT_TERMS if x not in terms]
    pattern = re.compile("|".join(re.escape(x) for x in shadows + terms))
    for m in pattern.finditer(src):
        if m.group(0) != term:
            continue
        if any(a <= m.start() < b for a, b in spans):
            continue
        return src[:m.start()] + "{term}`" + term + "`" + src[m.end():]
    return None


def main(paths: list[str]) -> None:
    terms = t.glossary_terms()
    for path in paths:
        link_notebook(path, terms)


def link_notebook(path: str, terms: list[str]) -> None:
    nb = nbformat.read(path, as_version=4)
    for _ in range(60):
        cells = [(i, c.source) for i, c in enumerate(nb.cells)
                 if c.cell_type == "markdown"]
        probs = t.unlinked_first_uses(cells, terms)
        if not probs:
            break
        term = probs[0].split(":")[0]
        i = int(re.search(r"used in cell (\d+)", probs[0]).group(1))
        new = link_first(nb.cells[i].source, term, terms)
        if new is None:
            print(path, "cannot link", probs[0])
            break
        nb.cells[i].source = new
        print(path, "linked", term, "in cell", i)
    nbformat.write(nb, path)


if __name__ == "__main__":
    main(sys.argv[1:])
