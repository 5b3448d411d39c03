"""Build the whole book as one PDF: ``make pdf``.

Route: Sphinx's LaTeX builder (through Jupyter Book's configuration) and
``latexmk -xelatex``, with xeCJK and the Noto CJK fonts. The LaTeX route gives a
real book: a table of contents with page numbers, numbered chapters, figures
and equations, cross-references that name the page, and the bibliography.

Steps, each skipped when its result is newer than its inputs:

1. **Print figures.** Every chapter is executed once more into
   ``_build/pdf/executed/`` with the inline backend writing vector PDF instead of
   PNG (a cell timeout as in ``make execute``). The book build then takes the
   *stored* notebook, which nbval verified, and swaps in only the vector version
   of each figure (``book/_ext/pdf_book.py``). ``--stored-figures`` skips this and
   prints the stored 100 dpi PNGs (quick drafts).
2. **LaTeX.** The Sphinx ``latex`` builder with the book's ``_config.yml`` plus
   the print settings of :data:`LATEX` and the extension ``pdf_book`` (explorers
   at their default frame, solutions collected at the chapter's end, the landing
   page's animation as a still), warnings as errors.
3. **PDF.** ``latexmk -xelatex`` in ``_build/pdf/latex``; the result is copied to
   ``_build/pdf/optimizers.pdf`` and, when the site is built, to
   ``_build/html/_downloads/optimizers.pdf`` (the landing page links there).

Usage::

    python scripts/pdf.py [--stored-figures] [--jobs N] [--timeout S]
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from pathlib import Path

import nbformat

sys.path.insert(0, str(Path(__file__).resolve().parent))
import nbtools  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "_build" / "pdf"
EXECUTED = OUT / "executed"
LATEX_DIR = OUT / "latex"
PDF_NAME = "optimizers.pdf"
SITE_COPY = ROOT / "_build" / "html" / "_downloads" / PDF_NAME

#: Kernel options of the print execution: figures as vector PDF.
KERNEL_ARGS = ["--InlineBackend.figure_formats=pdf"]


def _newest_mtime(paths: list[Path]) -> float:
    return max((p.stat().st_mtime for p in paths if p.exists()), default=0.0)


def chapter_notebooks() -> list[Path]:
    """The notebooks the table of contents lists, in reading order."""
    import yaml

    toc = yaml.safe_load((ROOT / "_toc.yml").read_text(encoding="utf-8"))
    files: list[str] = []

    def walk(entries: list[dict]) -> None:
        for entry in entries or []:
            if "file" in entry:
                files.append(entry["file"])
            for key in ("sections", "chapters", "parts"):
                walk(entry.get(key, []))

    walk(toc.get("parts", []))
    walk(toc.get("chapters", []))
    paths = [ROOT / f"{f.removesuffix('.ipynb')}.ipynb" for f in files]
    return [p for p in paths if p.is_file()]


def execute_for_print(path: Path, timeout: int) -> nbformat.NotebookNode:
    """Execute ``path`` (cwd: its folder) with figures written as vector PDF."""
    nbtools._prefer_this_environment()
    from nbclient import NotebookClient

    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(
        nb,
        timeout=timeout,
        startup_timeout=120,
        kernel_name=nb.metadata.get("kernelspec", {}).get("name", "python3"),
        resources={"metadata": {"path": str(path.resolve().parent)}},
        record_timing=False,
        store_widget_state=False,
        coalesce_streams=True,
        extra_arguments=KERNEL_ARGS,
    )
    client.execute()
    return nb


def _execute_one(path: Path, dest: Path, timeout: int) -> float:
    start = time.perf_counter()
    nb = execute_for_print(path, timeout)
    tmp = dest.with_suffix(".tmp")
    nbformat.write(nb, str(tmp))
    tmp.replace(dest)
    return time.perf_counter() - start


def print_figures(notebooks: list[Path], timeout: int, jobs: int) -> None:
    """Step 1: refresh the print executions that are older than their inputs."""
    code_mtime = _newest_mtime(list((ROOT / "src" / "descent").rglob("*.py")))
    EXECUTED.mkdir(parents=True, exist_ok=True)
    todo = []
    for path in notebooks:
        dest = EXECUTED / path.name
        if not dest.exists() or dest.stat().st_mtime < max(
                path.stat().st_mtime, code_mtime):
            todo.append((path, dest))
    with ProcessPoolExecutor(max_workers=max(1, jobs)) as pool:
        futures = {pool.submit(_execute_one, path, dest, timeout): path
                   for path, dest in todo}
        for future in as_completed(futures):
            print(f"pdf: executed {futures[future].relative_to(ROOT)} for print "
                  f"figures in {future.result():.0f} s", flush=True)


def sphinx_latex(stored_figures: bool) -> None:
    """Step 2: the LaTeX sources, from the book's configuration plus ``pdf_book``."""
    from jupyter_book.config import get_final_config
    from jupyter_book.sphinx import build_sphinx

    config_path = ROOT / "_config.yml"
    overrides = {"external_toc_path": str(ROOT / "_toc.yml"),
                 "latex_individualpages": False}
    final, _ = get_final_config(user_yaml=config_path, cli_config=dict(overrides),
                                sourcedir=ROOT, use_external_toc=True)
    overrides.update({
        "extensions": [*final["extensions"], "pdf_book"],
        "pdf_book_executed": "" if stored_figures else str(EXECUTED),
        # The vendored front-end assets concern the site only.
        "html_static_path": [],
        "suppress_warnings": [*final.get("suppress_warnings", []), "book_assets"],
    })
    result = build_sphinx(
        ROOT, LATEX_DIR, use_external_toc=True, noconfig=True,
        path_config=str(config_path), confoverrides=overrides,
        doctreedir=OUT / ".doctrees", builder="latex", freshenv=True,
        warningiserror=True, keep_going=True, quiet=True)
    if result:
        raise SystemExit(f"pdf: the LaTeX build failed ({result})")


def latexmk() -> Path:
    """Step 3: xelatex until the cross-references settle."""
    cmd = ["latexmk", "-xelatex", "-interaction=nonstopmode", "-halt-on-error",
           "-file-line-error", "-silent", "optimizers.tex"]
    done = subprocess.run(cmd, cwd=LATEX_DIR, capture_output=True, text=True)
    if done.returncode:
        log = LATEX_DIR / "optimizers.log"
        tail = log.read_text(errors="replace")[-3000:] if log.exists() else done.stdout
        raise SystemExit(f"pdf: latexmk failed\n{tail}")
    log = (LATEX_DIR / "optimizers.log").read_text(errors="replace")
    unresolved = [ln for ln in log.splitlines()
                  if re.search(r"(Reference|Citation) .* undefined|undefined references"
                               r"|Label\(s\) may have changed", ln)]
    if unresolved:
        raise SystemExit("pdf: unresolved references in the PDF:\n"
                         + "\n".join(unresolved[:20]))
    return LATEX_DIR / "optimizers.pdf"


def page_count(pdf: Path) -> int:
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True)
    found = [ln.split()[-1] for ln in info.stdout.splitlines()
             if ln.startswith("Pages:")]
    return int(found[0]) if found else 0


def pin_dates() -> None:
    """Date the PDF by the last commit, so an unchanged book gives the same file.

    Sphinx (the title page's date), XeTeX and xdvipdfmx read SOURCE_DATE_EPOCH.
    """
    if "SOURCE_DATE_EPOCH" not in os.environ:
        done = subprocess.run(["git", "log", "-1", "--format=%ct"], cwd=ROOT,
                              capture_output=True, text=True)
        if done.returncode == 0 and done.stdout.strip().isdigit():
            os.environ["SOURCE_DATE_EPOCH"] = done.stdout.strip()
    if "SOURCE_DATE_EPOCH" in os.environ:
        os.environ.setdefault("FORCE_SOURCE_DATE", "1")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stored-figures", action="store_true",
                        help="print the stored PNG figures (no execution)")
    parser.add_argument("--jobs", type=int, default=2,
                        help="notebooks executed at once (default %(default)s)")
    parser.add_argument("--timeout", type=int, default=nbtools.DEFAULT_TIMEOUT,
                        help="seconds allowed per cell (default %(default)s)")
    args = parser.parse_args(argv)
    for tool in ("latexmk", "xelatex", "rsvg-convert"):
        if shutil.which(tool) is None:
            raise SystemExit(f"pdf: {tool} not found; `make pdf` installs it")
    os.environ.setdefault("PYTHONPATH", str(ROOT / "src"))
    pin_dates()
    start = time.perf_counter()
    if not args.stored_figures:
        print_figures(chapter_notebooks(), args.timeout, args.jobs)
    t_exec = time.perf_counter()
    sphinx_latex(args.stored_figures)
    t_sphinx = time.perf_counter()
    pdf = latexmk()
    t_tex = time.perf_counter()
    shutil.copyfile(pdf, OUT / PDF_NAME)
    if SITE_COPY.parent.parent.is_dir():
        SITE_COPY.parent.mkdir(exist_ok=True)
        shutil.copyfile(pdf, SITE_COPY)
    size = pdf.stat().st_size / 1e6
    print(f"pdf: {OUT.relative_to(ROOT) / PDF_NAME}: {page_count(pdf)} pages, "
          f"{size:.1f} MB (print figures {t_exec - start:.0f} s, "
          f"sphinx {t_sphinx - t_exec:.0f} s, xelatex {t_tex - t_sphinx:.0f} s)")
    if SITE_COPY.is_file():
        print(f"pdf: published as {SITE_COPY.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
