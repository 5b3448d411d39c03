"""Printed summaries: value labels, rounded numbers and plain-text tables.

Everything an explorer prints goes through :func:`format_number`, so the
summaries that nbval compares are byte-identical from one execution to the
next.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from numbers import Integral, Real
from typing import Any

import numpy as np


def format_value(value: Any) -> str:
    """Label of a grid value as the slider shows it: ``0.1``, ``1e-05``, ``20``."""
    if isinstance(value, bool | np.bool_):
        return str(bool(value))
    if isinstance(value, Integral):
        return str(int(value))
    if isinstance(value, Real):
        v = float(value)
        return "0" if v == 0 else f"{v:.4g}"
    return str(value)


def _alt(names: Sequence[str], labels: Sequence[str]) -> str:
    return ", ".join(f"{n} = {lb}" for n, lb in zip(names, labels, strict=True))


def _format_table(rows: list[tuple[str, Mapping[str, Any]]]) -> str:
    columns: list[str] = []
    for _, row in rows:
        columns += [c for c in row if c not in columns]
    cells = [[label] + [_cell(row.get(c, "")) for c in columns] for label, row in rows]
    head = [""] + columns
    widths = [max(len(r[i]) for r in [head, *cells]) for i in range(len(head))]

    def line(r: list[str]) -> str:
        return "  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip()

    return "\n".join([line(head)] + [line(r) for r in cells])


def _cell(value: Any) -> str:
    if isinstance(value, str):
        return value
    return format_number(value)


def format_number(value: Any, digits: int = 3) -> str:
    """Round a number for printed summaries: 3 significant digits, tiny → ``<1e-12``.

    Values that only differ in their last bits print the same, so summaries are
    byte-identical from one execution to the next.
    """
    if isinstance(value, bool | np.bool_) or not isinstance(value, Real):
        return str(value)
    v = float(value)
    if not np.isfinite(v):
        return str(v)
    if abs(v) < 1e-12:
        return "0" if v == 0 else ("<1e-12" if v > 0 else ">-1e-12")
    out = f"{v:.{digits}g}"
    return "0" if out in ("-0", "0") else out
