"""Sphinx extension for the PDF of the book (``make pdf``, ``scripts/pdf.py``).

Loaded only by the LaTeX build of ``scripts/pdf.py``; the HTML build never sees
it. It turns what the site shows interactively into what paper can show, without
touching the notebooks (chapter sources stay the single copy):

* **Print figures.** When ``pdf_book_executed`` names a folder of print
  executions (same notebooks, figures as vector PDF), each stored PNG figure is
  swapped for the vector figure at the same cell and output position; all text
  stays as stored (what nbval verified). A cell whose outputs do not line up
  keeps its PNG, with a warning.
* **Explorers.** A widget view becomes a still: the frame the explorer shows
  first (each Stack at its ``selected_index``), painted over the explorer's base
  image as the page's CSS does, followed by a note that the interactive version
  is on the site. The printed summary below it stays as it is.
* **Code a reader cannot fold.** Cells tagged ``hide-input`` (plotting code)
  print their output only, as the site shows them folded.
* **Solutions** (sphinx-exercise) move out of the exercise list into a section
  「练习解答」 at the end of their chapter, in exercise order; each exercise
  ends with a pointer to the page of its solution. Printed inline, a solution
  would sit right under its question; a dropdown cannot fold on paper.
* **Math in BibTeX titles** (``$O(1/k^2)$``) is typeset.
* **SVG** images (the landing page's race) are converted to PDF with
  ``rsvg-convert``, which draws the finished race (the SVG's static state).
* **Book structure.** Front matter (landing page, 前言) and back matter (附录)
  are unnumbered, so chapter numbers match the site's (第 1 章 is SGD); the
  part pages of unnumbered parts are dropped.
* **LaTeX settings** (``config-inited``): xelatex with xeCJK and the Noto CJK
  fonts, A4, the style file ``pdf_book.sty``, no index, page numbers in
  cross-references.
"""

from __future__ import annotations

import base64
import html
import io
import json
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

from docutils import nodes
from sphinx.application import Sphinx
from sphinx.config import Config
from sphinx.transforms.post_transforms import SphinxPostTransform
from sphinx.transforms.post_transforms.images import ImageConverter
from sphinx.util import logging

logger = logging.getLogger(__name__)

HERE = Path(__file__).resolve().parent
STYLE = HERE / "pdf_book.sty"
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
WIDGET_STATE = "application/vnd.jupyter.widget-state+json"
BOX_MODELS = {"VBoxModel", "HBoxModel", "BoxModel", "GridBoxModel"}
SELECTION_MODELS = {"StackModel", "TabModel", "AccordionModel"}
IMG_TAG = re.compile(r"<img\b[^>]*>", re.I)
ATTR = re.compile(r'([a-zA-Z_:-]+)\s*=\s*"([^"]*)"')
BASE_RULE = re.compile(
    r"\.(descent-base-[0-9a-f]+)\s*\{[^}]*background-image\s*:\s*url\(\"?"
    r"data:image/png;base64,([A-Za-z0-9+/=]+)\"?\)")
INLINE_MATH = re.compile(r"(?<!\\)\$([^$]+?)\$")

#: Fonts: Noto CJK (Debian fonts-noto-cjk) for Chinese, FreeFont for Latin and
#: Greek text, DejaVu Sans Mono for code (clearer than FreeMono at small sizes).
FONTPKG = r"""
\setmainfont{FreeSerif}[Extension=.otf, UprightFont=*, ItalicFont=*Italic,
  BoldFont=*Bold, BoldItalicFont=*BoldItalic]
\setsansfont{FreeSans}[Extension=.otf, UprightFont=*, ItalicFont=*Oblique,
  BoldFont=*Bold, BoldItalicFont=*BoldOblique]
\setmonofont{DejaVu Sans Mono}[Scale=0.88]
\setCJKmainfont{Noto Serif CJK SC}[BoldFont={Noto Serif CJK SC Bold},
  ItalicFont={Noto Serif CJK SC}, ItalicFeatures={FakeSlant=0.15}]
\setCJKsansfont{Noto Sans CJK SC}[BoldFont={Noto Sans CJK SC Bold}]
\setCJKmonofont{Noto Sans Mono CJK SC}[Scale=0.88]
"""

#: What the PDF build sets on top of the book's configuration.
LATEX_ELEMENTS = {
    "papersize": "a4paper",
    "pointsize": "10pt",
    "fontpkg": FONTPKG,
    "fncychap": "",
    "babel": "",
    "passoptionstopackages": r"\PassOptionsToPackage{svgnames}{xcolor}",
    "sphinxsetup": "hmargin={2.4cm,2.4cm}, vmargin={2.6cm,2.8cm}, "
                   "TitleColor={rgb}{0.10,0.20,0.40}, "
                   "InnerLinkColor={rgb}{0.10,0.30,0.60}, "
                   "OuterLinkColor={rgb}{0.10,0.30,0.60}",
    "preamble": r"\usepackage{pdf_book}",
    "printindex": "",
    "extraclassoptions": "openany",
}


def configure_latex(app: Sphinx, config: Config) -> None:
    """Print settings; runs after sphinx-jupyterbook-latex's (priority 900)."""
    config["latex_engine"] = "xelatex"
    # The jupyterBook class needs bbm (texlive-fonts-extra, > 500 MB) and loads
    # pgfplots; Sphinx's own manual class does what the book needs.
    config["latex_theme"] = "manual"
    config["latex_elements"] = dict(LATEX_ELEMENTS)
    config["latex_additional_files"] = [str(STYLE)]
    config["latex_show_pagerefs"] = True
    config["latex_show_urls"] = "no"
    config["latex_use_xindy"] = False
    config["latex_domain_indices"] = False
    title = str(config["html_title"] or config["project"])
    author = str(config["author"] or "")
    config["latex_documents"] = [
        (config["root_doc"], "optimizers.tex", title, author, "manual")]


# --- notebooks -------------------------------------------------------------------


def _text(value: Any) -> str:
    return "".join(value) if isinstance(value, list) else str(value)


def swap_print_figures(nb: dict, printed: dict, docname: str) -> int:
    """Replace each PNG output by the vector figure of the print execution."""
    swapped = 0
    cells, pcells = nb.get("cells", []), printed.get("cells", [])
    if len(cells) != len(pcells):
        logger.warning("print execution of %s has %d cells, the notebook %d; "
                       "keeping the stored PNG figures", docname, len(pcells),
                       len(cells), type="pdf_book")
        return 0
    for i, (cell, pcell) in enumerate(zip(cells, pcells, strict=True)):
        outs, pouts = cell.get("outputs", []), pcell.get("outputs", [])
        if not any("image/png" in o.get("data", {}) for o in outs):
            continue
        if _text(cell["source"]) != _text(pcell["source"]) or len(outs) != len(pouts):
            logger.warning("%s: cell %d changed since its print execution; "
                           "keeping its PNG figure", docname, i, type="pdf_book")
            continue
        for out, pout in zip(outs, pouts, strict=True):
            vector = pout.get("data", {}).get("application/pdf")
            if "image/png" in out.get("data", {}) and vector:
                out["data"] = {"application/pdf": vector,
                               "text/plain": out["data"].get("text/plain", "")}
                swapped += 1
    return swapped


def _widget_state(nb: dict) -> dict:
    widgets = nb.get("metadata", {}).get("widgets", {})
    return widgets.get(WIDGET_STATE, {}).get("state", {})


def _ref(value: str) -> str:
    return value.removeprefix("IPY_MODEL_")


def _walk_view(state: dict, model_id: str) -> tuple[list[str], list[str], int]:
    """HTML shown by a widget at its initial state, its titles, and its frames.

    Returns the ``<img>`` tags shown (Stacks at their selected child), every
    ``<style>`` text of the view, and the number of frames the view can show.
    """
    shown: list[str] = []
    styles: list[str] = []

    def leaves(mid: str) -> int:
        model = state.get(mid, {})
        name, s = model.get("model_name"), model.get("state", {})
        if name in BOX_MODELS or name in SELECTION_MODELS:
            kids = [_ref(c) for c in s.get("children", [])]
            counts = [leaves(k) for k in kids]
            return sum(counts) if name in SELECTION_MODELS else max(counts, default=0)
        return 1 if name == "HTMLModel" and IMG_TAG.search(s.get("value", "")) else 0

    def visit(mid: str) -> None:
        model = state.get(mid, {})
        name, s = model.get("model_name"), model.get("state", {})
        if name in BOX_MODELS:
            for child in s.get("children", []):
                visit(_ref(child))
        elif name in SELECTION_MODELS:
            kids = s.get("children", [])
            index = s.get("selected_index")
            if kids:
                visit(_ref(kids[index if isinstance(index, int) else 0]))
        elif name == "HTMLModel":
            value = s.get("value", "")
            styles.extend(re.findall(r"<style>(.*?)</style>", value, re.S))
            shown.extend(IMG_TAG.findall(value))

    visit(model_id)
    return shown, styles, leaves(model_id)


def _still_png(img_tag: str, styles: list[str]) -> tuple[bytes, str]:
    """The frame of ``img_tag`` over its base image, as the page paints it."""
    from PIL import Image

    attrs = dict(ATTR.findall(img_tag))
    src = attrs.get("src", "")
    if not src.startswith("data:image/png;base64,"):
        raise ValueError("explorer frame is not an embedded PNG")
    frame = Image.open(io.BytesIO(base64.b64decode(src.split(",", 1)[1])))
    frame = frame.convert("RGBA")
    bases = {m.group(1): m.group(2) for s in styles for m in BASE_RULE.finditer(s)}
    still = Image.new("RGBA", frame.size, "white")
    for cls in attrs.get("class", "").split():
        if cls in bases:
            base = Image.open(io.BytesIO(base64.b64decode(bases[cls]))).convert("RGBA")
            still.alpha_composite(base.resize(frame.size))
    still.alpha_composite(frame)
    buf = io.BytesIO()
    still.convert("RGB").save(buf, "PNG", optimize=True)
    return buf.getvalue(), html.unescape(attrs.get("alt", ""))


def _site_page(app: Sphinx, docname: str) -> str:
    base = str(app.config.html_baseurl or "").rstrip("/")
    page = f"{docname}.html"
    return f"{base}/{page}" if base else page


def explorers_to_stills(nb: dict, docname: str, site_page: str) -> int:
    """Replace every widget view by its default frame and a note about the site."""
    state = _widget_state(nb)
    count = 0
    for cell in nb.get("cells", []):
        new_outputs = []
        for out in cell.get("outputs", []):
            view = out.get("data", {}).get(WIDGET_VIEW)
            if not view:
                new_outputs.append(out)
                continue
            shown, styles, frames = _walk_view(state, view.get("model_id", ""))
            if not shown:
                logger.warning("%s: a widget view without a frame to print",
                               docname, type="pdf_book")
                continue
            alts = []
            for tag in shown:
                png, alt = _still_png(tag, styles)
                alts.append(alt)
                new_outputs.append({
                    "output_type": "display_data", "metadata": {},
                    "data": {"image/png": base64.b64encode(png).decode(),
                             "text/plain": alt}})
            shown_text = "；".join(a for a in alts if a)
            note = (f"**交互实验（印刷版）**：上图是默认的一帧"
                    f"（{shown_text}）。" if shown_text else
                    "**交互实验（印刷版）**：上图是默认的一帧。")
            if frames > 1:
                note += (f"在本书网站的这一页（`{site_page}`）拖动滑块，"
                         f"可以看到全部 {frames} 帧；"
                         "下面打印的表格列出了每一帧的数值。")
            else:
                note += f"交互版本见本书网站的这一页（`{site_page}`）。"
            new_outputs.append({"output_type": "display_data", "metadata": {},
                                "data": {"text/markdown": note}})
            count += 1
        if "outputs" in cell:
            cell["outputs"] = new_outputs
    if state:
        nb["metadata"].pop("widgets", None)
    return count


def fold_hidden_inputs(nb: dict) -> None:
    """Cells the site shows folded (``hide-input``) print their output only."""
    for cell in nb.get("cells", []):
        tags = cell.get("metadata", {}).get("tags", [])
        if "hide-input" in tags:
            cell["metadata"]["tags"] = [t for t in tags if t != "hide-input"] + [
                "remove-input"]


def print_notebook(app: Sphinx, docname: str, source: list[str]) -> None:
    """``source-read``: rewrite a chapter notebook's JSON for print."""
    if app.builder.format != "latex":
        return
    path = Path(app.env.doc2path(docname))
    if path.suffix != ".ipynb":
        return
    nb = json.loads(source[0])
    executed = str(app.config.pdf_book_executed or "")
    printed = Path(executed, path.name) if executed else None
    if printed and printed.is_file():
        swap_print_figures(nb, json.loads(printed.read_text(encoding="utf-8")),
                           docname)
    explorers_to_stills(nb, docname, _site_page(app, docname))
    fold_hidden_inputs(nb)
    source[0] = json.dumps(nb, ensure_ascii=False)


# --- solutions -------------------------------------------------------------------


def collect_solutions(app: Sphinx, doctree: nodes.document) -> None:
    """``doctree-read``: move each solution into 「练习解答」 at the chapter's end."""
    if app.builder.format != "latex":
        return
    from sphinx_exercise.nodes import exercise_enumerable_node, solution_node

    solutions = list(doctree.findall(solution_node))
    if not solutions:
        return
    chapter = next(iter(doctree.findall(nodes.section)), None)
    if chapter is None:
        return
    docname = app.env.docname
    section_id = "pdf-solutions"
    section = nodes.section(ids=[section_id], names=[section_id])
    section += nodes.title("", "练习解答")
    section += nodes.paragraph("", "本章练习的解答。先独立做完，再来对照；"
                               "带代码的解答在网站上的笔记本里可以直接运行。")
    exercises = {ex.get("label"): ex
                 for ex in doctree.findall(exercise_enumerable_node)}
    for sol in solutions:
        sol.parent.remove(sol)
        section += sol
        exercise = exercises.get(sol.get("target_label"))
        sol_ids = sol.get("ids") or []
        if exercise is not None and sol_ids:
            target = f"{docname}:{sol_ids[0]}"
            ref = r"\detokenize{" + target + "}"
            latex = (r"\sphinxAtStartPar{\small\hyperref[" + ref + "]{解答}"
                     r"见第~\pageref{" + ref + "}~页。}")
            exercise += nodes.raw("", latex, format="latex")
    chapter += section


# --- math in the bibliography ------------------------------------------------


class BibliographyMath(SphinxPostTransform):
    """``$O(1/k^2)$`` in a BibTeX title becomes typeset math, not dollar signs."""

    default_priority = 100  # after sphinxcontrib-bibtex made the citations
    formats = ("latex",)

    def run(self, **kwargs: Any) -> None:
        for citation in list(self.document.findall(nodes.citation)):
            for text in list(citation.findall(nodes.Text)):
                pieces = INLINE_MATH.split(str(text))
                if len(pieces) == 1:
                    continue
                new: list[nodes.Node] = []
                for i, piece in enumerate(pieces):
                    if i % 2:
                        new.append(nodes.math(piece, piece))
                    elif piece:
                        new.append(nodes.Text(piece))
                text.parent.replace(text, new)


# --- images ----------------------------------------------------------------------


class SvgToPdf(ImageConverter):
    """SVG → PDF with ``rsvg-convert`` (librsvg draws the SVG's static state)."""

    default_priority = 190
    conversion_rules = [("image/svg+xml", "application/pdf")]

    def is_available(self) -> bool:
        return shutil.which("rsvg-convert") is not None

    def convert(self, _from: str, _to: str) -> bool:
        subprocess.run(["rsvg-convert", "-f", "pdf", "-o", _to, _from], check=True)
        return True


# --- front and back matter ------------------------------------------------------


def _parts(app: Sphinx) -> list[tuple[str, bool]]:
    """(caption, numbered) of each part of the table of contents, in order."""
    sitemap = getattr(app.config, "external_site_map", None)
    if sitemap is None:
        return []
    return [(str(sub.caption or ""), bool(sub.numbered))
            for sub in sitemap.root.subtrees]


def arrange_matter(tex: str, parts: list[tuple[str, bool]], intro_title: str) -> str:
    r"""Unnumbered front and back matter around the numbered parts.

    The root page and the unnumbered parts before the first numbered one are front
    matter, those after the last numbered one back matter: their chapters get no
    number (``secnumdepth`` -1, still listed in the contents) and their part page
    is dropped. Chapter numbers then match the site's. The root page, which has
    no heading in LaTeX (its title is the book's), becomes the chapter
    ``intro_title``.
    """
    numbered = [i for i, (_, num) in enumerate(parts) if num]
    if not numbered:
        return tex
    first, last = numbered[0], numbered[-1]
    front = r"\pdfbookfrontmatter" + "\n" + "\\chapter{" + intro_title + "}\n"
    tex = tex.replace(r"\sphinxtableofcontents" + "\n",
                      r"\sphinxtableofcontents" + "\n" + front, 1)
    for i, (caption, _) in enumerate(parts):
        part = "\\part{" + caption + "}\n"
        if i < first:
            tex = tex.replace(part, "", 1)
        elif i == first:
            tex = tex.replace(part, "\\pdfbookmainmatter\n" + part, 1)
        elif i > last:
            tex = tex.replace(part, "\\pdfbookbackmatter\n" if i == last + 1 else "",
                              1)
    return tex


def finish_tex(app: Sphinx, exception: Exception | None) -> None:
    """``build-finished``: arrange front and back matter in the written .tex."""
    if exception is not None or app.builder.format != "latex":
        return
    for _, target, *_ in app.config.latex_documents:
        path = Path(app.outdir, target)
        if path.is_file():
            tex = path.read_text(encoding="utf-8")
            path.write_text(arrange_matter(
                tex, _parts(app), app.config.pdf_book_intro_title), encoding="utf-8")


def visit_root_header(self: Any, node: nodes.Element) -> None:
    """The landing page's headings as unnumbered sections (not bold lines)."""
    command = "section" if node.get("level", 2) <= 2 else "subsection"
    self.body.append("\n\\" + command + "*{")


def depart_root_header(self: Any, node: nodes.Element) -> None:
    self.body.append("}\n")


def number_by_chapter(app: Sphinx) -> None:
    """``builder-inited``: 练习 1.3, not 练习 1.13.3.

    Runs after sphinx-jupyterbook-latex, which sets 2 for a book with parts.
    """
    app.config["numfig_secnum_depth"] = 1


def setup(app: Sphinx) -> dict[str, Any]:
    app.add_config_value("pdf_book_executed", "", "env")
    app.add_config_value("pdf_book_intro_title", "引言", "env")
    app.connect("config-inited", configure_latex, priority=900)
    app.connect("builder-inited", number_by_chapter, priority=900)
    app.connect("source-read", print_notebook)
    app.connect("doctree-read", collect_solutions)
    app.connect("build-finished", finish_tex)
    app.add_post_transform(SvgToPdf)
    app.add_post_transform(BibliographyMath)
    from sphinx_jupyterbook_latex.nodes import RootHeader

    app.add_node(RootHeader, override=True,
                 latex=(visit_root_header, depart_root_header))
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
