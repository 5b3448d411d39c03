"""Display helpers for the chapters: the real source of the reference code.

:func:`show_source` renders the source of a function, class or optimizer exactly as
it is in ``src/descent`` (via :func:`inspect.getsource`), never retyped, so the page
cannot drift from the code the tests check. It can number and highlight lines and
print a table that pairs each formula line of a derivation with the code line that
computes it.

The result displays as highlighted HTML (in Jupyter, in VS Code and in the built
book, which renders stored outputs) and as numbered plain text, which nbval compares:
a change in the source shows up as a stale notebook output.

:func:`glue` stores a figure computed in a cell under a name, so the chapter's prose
quotes it with ``{glue:text}`name``` (myst-nb) instead of retyping it: prose and
output cannot drift apart. :func:`format_figure` is the formatting it applies.
"""

from __future__ import annotations

import ast
import html
import inspect
import os
import textwrap
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from pygments import highlight
from pygments.formatters import HtmlFormatter
from pygments.lexers import PythonLexer
from pygments.styles.default import DefaultStyle

__all__ = ["Source", "format_figure", "get_source", "glue", "show_source"]

_HL_COLOR = "#fff3b0"


class _BookStyle(DefaultStyle):
    """Pygments' default colours, grey line numbers, a soft line highlight."""

    line_number_color = "#9a9a9a"
    highlight_color = _HL_COLOR


@dataclass(frozen=True)
class Source:
    """Source lines of an object, ready to display.

    ``lines`` are the shown lines; ``first`` is the number of the first of them
    (line 1 is the object's first line, e.g. its ``def``). ``highlight`` and
    ``mapping`` use the same numbers.
    """

    name: str
    location: str
    lines: tuple[str, ...]
    first: int
    highlight: tuple[int, ...] = ()
    mapping: tuple[tuple[str, int, str], ...] = ()
    linenos: bool = True

    @property
    def code(self) -> str:
        """The shown source as one string."""
        return "\n".join(self.lines) + "\n"

    @property
    def numbers(self) -> range:
        """Line numbers of the shown lines."""
        return range(self.first, self.first + len(self.lines))

    def __repr__(self) -> str:
        width = len(str(self.numbers[-1])) if self.lines else 1
        out = [f"# {self.location}  ({self.name})"]
        for n, line in zip(self.numbers, self.lines, strict=True):
            mark = ">" if n in self.highlight else " "
            prefix = f"{n:>{width}}{mark} " if self.linenos else ""
            out.append(f"{prefix}{line}".rstrip())
        if self.mapping:
            out.append("")
            out.append("formula ↔ code")
            for formula, n, code in self.mapping:
                out.append(f"  {formula}  ↔  line {n}: {code}")
        return "\n".join(out)

    def _repr_html_(self) -> str:
        formatter = HtmlFormatter(
            noclasses=True,
            style=_BookStyle,
            linenos="inline" if self.linenos else False,
            linenostart=self.first,
            hl_lines=[n - self.first + 1 for n in self.highlight],
            cssclass="highlight descent-source",
            prestyles="margin:0;font-size:0.85em",
        )
        body = highlight(self.code, PythonLexer(), formatter)
        caption = (
            '<div style="font-size:0.8em;color:#555;margin:0 0 2px 0">'
            f"<code>{html.escape(self.location)}</code> · "
            f"<code>{html.escape(self.name)}</code></div>"
        )
        parts = [f'<div class="descent-source-block">{caption}{body}']
        if self.mapping:
            parts.append(_mapping_html(self.mapping))
        parts.append("</div>")
        return "".join(parts)


def _mapping_html(mapping: Sequence[tuple[str, int, str]]) -> str:
    rows = "".join(
        "<tr>"
        f'<td style="text-align:left"><span class="math notranslate nohighlight">'
        f"\\({html.escape(formula)}\\)</span></td>"
        f'<td style="text-align:right">{n}</td>'
        f'<td style="text-align:left"><code>{html.escape(code)}</code></td>'
        "</tr>"
        for formula, n, code in mapping
    )
    return (
        '<table class="descent-mapping" style="margin-top:6px;font-size:0.9em">'
        '<thead><tr><th style="text-align:left">formula</th>'
        '<th style="text-align:right">line</th>'
        '<th style="text-align:left">code</th></tr></thead>'
        f"<tbody>{rows}</tbody></table>"
    )


def _target(obj: Any) -> Any:
    # An optimizer (name, init, step, hyper) is shown by its update rule.
    step = getattr(obj, "step", None)
    if callable(step) and callable(getattr(obj, "init", None)):
        return inspect.unwrap(step)
    return inspect.unwrap(obj) if callable(obj) else obj


def _location(obj: Any) -> str:
    path = inspect.getsourcefile(obj) or inspect.getfile(obj)
    parts = os.path.normpath(path).split(os.sep)
    # Show the path from the package root (``descent/...``), never a machine path.
    if "descent" in parts:
        parts = parts[len(parts) - 1 - parts[::-1].index("descent"):]
    else:
        parts = parts[-1:]
    return "/".join(parts)


def _strip_docstring(lines: list[str]) -> list[str]:
    try:
        tree = ast.parse("\n".join(lines))
    except SyntaxError:
        return lines
    node = tree.body[0] if tree.body else None
    body = getattr(node, "body", None)
    if not body or not isinstance(body[0], ast.Expr):
        return lines
    value = body[0].value
    if not (isinstance(value, ast.Constant) and isinstance(value.value, str)):
        return lines
    start, end = body[0].lineno - 1, body[0].end_lineno
    return lines[:start] + lines[end:]


def get_source(obj: Any, *, docstring: bool = True) -> tuple[str, str, list[str]]:
    """``(name, location, lines)`` of ``obj``'s source, dedented.

    ``obj`` is a function (also one defined inside a factory), a class, a method,
    a module, or an optimizer (then its update rule ``step`` is shown).
    """
    target = _target(obj)
    try:
        raw, _ = inspect.getsourcelines(target)
    except (OSError, TypeError) as err:
        raise TypeError(
            f"obj must be a function, class, module or optimizer defined in a source "
            f"file, got {type(obj).__name__}: {err}") from None
    lines = textwrap.dedent("".join(raw)).rstrip("\n").split("\n")
    if not docstring:
        lines = _strip_docstring(lines)
    name = getattr(target, "__qualname__", None) or getattr(target, "__name__", "")
    return str(name), _location(target), lines


def _find(snippet: str, lines: Sequence[str], first: int) -> int | None:
    wanted = "".join(snippet.split())
    for n, line in enumerate(lines, start=first):
        if wanted and wanted in "".join(line.split()):
            return n
    return None


def show_source(
    obj: Any,
    *,
    lines: tuple[int, int] | None = None,
    highlight: Sequence[int] = (),
    mapping: Mapping[str, str] | None = None,
    linenos: bool = True,
    docstring: bool = False,
) -> Source:
    """Show the real source of ``obj`` with line numbers, highlights and a mapping.

    Parameters
    ----------
    obj:
        A function (also one defined inside a factory, such as the update rule of
        an optimizer), a class, a module, or an optimizer (its ``step`` is shown).
    lines:
        ``(first, last)``, 1-based and inclusive, to show only part of the source;
        line 1 is the object's first line (after the docstring is removed).
    highlight:
        Line numbers to highlight.
    mapping:
        Formula (LaTeX, without dollars) → a piece of code. Each piece must occur
        in one of the shown lines (spaces do not matter); that line is highlighted,
        and a table formula ↔ line ↔ code is shown under the source.
    linenos:
        Number the lines.
    docstring:
        Keep the docstring (default: leave it out, the chapter explains instead).

    Returns
    -------
    Source
        Displays as highlighted HTML, with numbered plain text as fallback.

    Raises
    ------
    ValueError
        When ``lines`` or ``highlight`` fall outside the source, or a mapped piece
        of code is not found in it.
    """
    name, location, src = get_source(obj, docstring=docstring)
    first, last = 1, len(src)
    if lines is not None:
        a, b = (int(x) for x in lines)
        if not 1 <= a <= b <= len(src):
            raise ValueError(
                f"lines must satisfy 1 <= first <= last <= {len(src)} for {name}, "
                f"got {lines!r}")
        first, last = a, b
    shown = src[first - 1:last]
    marked = sorted({int(n) for n in highlight})
    outside = [n for n in marked if not first <= n <= last]
    if outside:
        raise ValueError(
            f"highlight must lie in the shown lines {first}..{last}, got {outside}")
    pairs = []
    for formula, snippet in (mapping or {}).items():
        n = _find(snippet, shown, first)
        if n is None:
            raise ValueError(
                f"mapping: code {snippet!r} for formula {formula!r} is not in lines "
                f"{first}..{last} of {name}")
        pairs.append((str(formula), n, shown[n - first].strip()))
        marked.append(n)
    return Source(name=name, location=location, lines=tuple(shown), first=first,
                  highlight=tuple(sorted(set(marked))), mapping=tuple(pairs),
                  linenos=linenos)


# --- glued figures ---------------------------------------------------------------

_GLUE_PREFIX = "application/papermill.record/"  # myst-nb's prefix for display=False
_SUPERSCRIPT = str.maketrans("-0123456789", "\u207b\u2070\u00b9\u00b2\u00b3"
                             "\u2074\u2075\u2076\u2077\u2078\u2079")


def format_figure(value: Any, fmt: str | None = None) -> str:
    """Format a computed figure for prose.

    ``fmt`` is a Python format spec (``".3f"``, ``".1%"``, ``"d"``…) or ``"×N"``:
    scientific notation with ``N`` decimals in the mantissa and a Unicode power of
    ten, e.g. ``format_figure(0.0094, "×1") == "9.4×10⁻³"``. Without ``fmt``, strings
    are kept, integers printed whole and other numbers with 3 significant digits.

    >>> format_figure(0.0094, "×1"), format_figure(41.3, ".0f"), format_figure(7)
    ('9.4×10⁻³', '41', '7')
    """
    if fmt is not None and fmt.startswith("×"):
        decimals = int(fmt[1:] or 0)
        x = float(value)
        if not np.isfinite(x):
            raise ValueError(f"value must be finite for fmt {fmt!r}, got {value!r}")
        if x == 0:
            return f"{0:.{decimals}f}"
        mantissa, exponent = f"{x:.{decimals}e}".split("e")
        return f"{mantissa}×10{str(int(exponent)).translate(_SUPERSCRIPT)}"
    if isinstance(value, str):
        if fmt:
            raise ValueError(f"fmt must be None for a string value, got {fmt!r}")
        return value
    if isinstance(value, (bool, np.bool_)):
        raise ValueError("value must be a number or a string, got a bool")
    if isinstance(value, (int, np.integer)) and fmt is None:
        return str(int(value))
    try:
        number = value.item() if isinstance(value, np.generic) else value
        return format(number, fmt if fmt is not None else ".3g")
    except (TypeError, ValueError) as exc:
        raise ValueError(f"fmt {fmt!r} cannot format {value!r}: {exc}") from None


def glue(name: str, value: Any, fmt: str | None = None) -> None:
    """Store ``value``, formatted by :func:`format_figure`, for ``{glue:text}`name```.

    Equivalent to ``myst_nb.glue(name, text, display=False)`` with ``text`` a plain
    string, so the page shows exactly the formatted text. Returns nothing, so a cell
    that ends with a ``glue`` call prints nothing.
    """
    if not isinstance(name, str) or not name.isidentifier():
        raise ValueError(f"name must be an identifier-like string, got {name!r}")
    text = format_figure(value, fmt)
    from IPython.display import display

    display({_GLUE_PREFIX + "text/plain": repr(text)}, raw=True,
            metadata={"scrapbook": {"name": name, "mime_prefix": _GLUE_PREFIX}})
