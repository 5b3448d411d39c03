"""Sphinx extension: publish the ``descent`` wheel with the site.

A reader who downloads a chapter notebook (the page's download button) runs it
after ``pip install`` of the reference library. The HTML build therefore builds
the wheel from ``src/`` (``pip wheel --no-deps --no-build-isolation`` in a
temporary copy of the project, so nothing is written into the source tree and
nothing is downloaded) into ``_build/html/_downloads/``, unless the wheel there
is newer than every file it is made of.

The role ``{descent-wheel}`` links that file (its name is the link text), so a
page never spells the version in a link; the landing page uses it.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from docutils import nodes
from sphinx.application import Sphinx
from sphinx.util import logging as sphinx_logging
from sphinx.util.osutil import relative_uri

logger = sphinx_logging.getLogger(__name__)

DOWNLOADS = "_downloads"
SOURCES = ("pyproject.toml", "README.md", "src")


def project_version(root: Path) -> str:
    text = (root / "pyproject.toml").read_text(encoding="utf-8")
    match = re.search(r'^version\s*=\s*"([^"]+)"', text, flags=re.M)
    if match is None:
        raise ValueError("pyproject.toml has no version")
    return match.group(1)


def wheel_name(root: Path) -> str:
    return f"descent-{project_version(root)}-py3-none-any.whl"


def _ignored(part: str) -> bool:
    return part == "__pycache__" or part.endswith(".egg-info")


def _inputs(root: Path) -> list[Path]:
    files = []
    for name in SOURCES:
        path = root / name
        if path.is_dir():
            files.extend(
                p
                for p in path.rglob("*")
                if p.is_file() and not any(_ignored(part) for part in p.parts)
            )
        elif path.is_file():
            files.append(path)
    return files


def build_wheel(root: Path, dest: Path) -> Path:
    """Build ``descent`` from ``root`` into ``dest``; return the wheel's path."""
    wheel = dest / wheel_name(root)
    if wheel.is_file():
        newest = max(p.stat().st_mtime for p in _inputs(root))
        if wheel.stat().st_mtime >= newest:
            return wheel
    dest.mkdir(parents=True, exist_ok=True)
    for old in dest.glob("descent-*.whl"):
        old.unlink()
    with tempfile.TemporaryDirectory() as tmp:
        copy = Path(tmp, "project")
        copy.mkdir()
        for name in SOURCES:
            source = root / name
            if source.is_dir():
                shutil.copytree(
                    source,
                    copy / name,
                    ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"),
                )
            elif source.is_file():
                shutil.copy2(source, copy / name)
        subprocess.run(
            [
                sys.executable, "-m", "pip", "wheel", "--no-deps",
                "--no-build-isolation", "--no-index", "--quiet",
                "--disable-pip-version-check", "-w", str(dest), str(copy),
            ],
            check=True,
        )  # fmt: skip
    if not wheel.is_file():
        raise FileNotFoundError(f"pip wheel did not produce {wheel.name}")
    return wheel


def publish_wheel(app: Sphinx) -> None:
    if app.builder.format != "html":
        return
    try:
        wheel = build_wheel(Path(app.confdir), Path(app.outdir, DOWNLOADS))
    except (subprocess.CalledProcessError, OSError, ValueError) as exc:
        logger.warning("could not build the descent wheel: %s", exc, type="wheel")
        return
    logger.info("descent wheel: %s", wheel.relative_to(app.outdir))


def wheel_role(
    name: str,
    rawtext: str,
    text: str,
    lineno: int,
    inliner: Any,
    options: dict | None = None,
    content: list | None = None,
) -> tuple[list[nodes.Node], list]:
    """``{descent-wheel}`text``: a link to the published wheel (named by it)."""
    env = inliner.document.settings.env
    filename = wheel_name(Path(env.app.confdir))
    if env.app.builder.format != "html":
        return [nodes.literal(rawtext, filename)], []
    target = f"{DOWNLOADS}/{filename}"
    uri = relative_uri(env.app.builder.get_target_uri(env.docname), target)
    link = nodes.reference(rawtext, "", nodes.literal(filename, filename), refuri=uri)
    link["classes"].append("descent-wheel")
    return [link], []


def setup(app: Sphinx) -> dict[str, Any]:
    app.connect("builder-inited", publish_wheel)
    app.add_role("descent-wheel", wheel_role)
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
