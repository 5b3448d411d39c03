"""Links to an exercise of another page resolve in the PDF (scripts/pdf.py)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
_spec = importlib.util.spec_from_file_location("pdf", ROOT / "scripts" / "pdf.py")
pdf = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(pdf)

TEX = r"""\phantomsection \label{exercise:ex-a}

\begin{sphinxadmonition}{note}{练习 1.3 (标题)}
x
\end{sphinxadmonition}
见 \hyperref[\detokenize{nb/x:ex-a}]{练习 \ref{\detokenize{nb/x:ex-a}}}；
和 \hyperref[\detokenize{nb/x:sec}]{练习 \ref{\detokenize{nb/x:sec}}}。
"""


def test_cross_page_exercise_links_point_at_the_exercise(tmp_path: Path) -> None:
    tex = tmp_path / "book.tex"
    tex.write_text(TEX, encoding="utf-8")
    assert pdf.link_exercises_across_chapters(tex) == 1
    text = tex.read_text(encoding="utf-8")
    assert r"见 \hyperref[exercise:ex-a]{练习 1.3}；" in text
    assert r"\ref{\detokenize{nb/x:sec}}" in text  # not an exercise: kept
