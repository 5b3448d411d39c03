"""Copy the book's front-end assets from node_modules into book/vendor/.

The published site must load nothing from third parties, so the Jupyter widget
HTML manager (its self-contained embedder and icon fonts), MathJax 3 and reveal.js
(for the slides) are
installed from the npm registry (exact versions in package.json and
package-lock.json) and served from the site itself. Sphinx copies book/vendor/
into ``_build/html/_static/`` through ``html_static_path``.

Only the files a page can load are copied: no source maps, no SVG output of
MathJax, no duplicate bundles. The widget manager is ``embed.js``, which holds
the built-in widgets and needs no module loader (1.9 MB, 0.46 MB gzip);
``embed-amd.js`` would need require.js and repeats the widget packages once
more as AMD modules for third-party widgets, which the book does not use
(3.6 MB, 0.92 MB gzip). Both bundles and MathJax's are minified already.

Usage: python scripts/vendor_assets.py [--node-modules DIR] [--dest DIR]
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# What to copy from each package: (package, [(glob relative to package, dest)]).
# Globs are matched with Path.glob; dest is a folder below book/vendor/.
WIDGET_EMBEDDER = "embed.js"
HTML_MANAGER_FONTS = ("*.woff2", "*.woff", "*.ttf", "*.eot", "*.svg")
MATHJAX_COMPONENT = "tex-mml-chtml.js"
MATHJAX_DIRS = (
    "input/tex/extensions",
    "input/mml",
    "output/chtml/fonts/woff-v2",
    "ui",
    "a11y",
    "sre",
    "adaptors",
)
# reveal.js for the slides (book/_ext/slides.py): the core and the notes plugin;
# no theme (its embedded web fonts): the decks bring their own small stylesheet.
REVEAL_FILES = ("reveal.js", "reveal.css", "plugin/notes.js")


def read_pins(package_json: Path) -> dict[str, str]:
    """Return the exact versions the book pins in package.json."""
    deps = json.loads(package_json.read_text(encoding="utf-8"))["dependencies"]
    for name, version in deps.items():
        if not version[:1].isdigit():
            raise ValueError(
                f"package.json pins {name} as {version!r}; "
                "use an exact version such as '1.2.3'"
            )
    return deps


def installed_version(node_modules: Path, name: str) -> str:
    meta = node_modules / name / "package.json"
    if not meta.is_file():
        raise FileNotFoundError(f"{meta} is missing; run `npm ci` first")
    return json.loads(meta.read_text(encoding="utf-8"))["version"]


def copy_file(src: Path, dest: Path) -> int:
    dest.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(src, dest)
    return src.stat().st_size


def vendor(node_modules: Path, dest: Path, pins: dict[str, str]) -> dict[str, str]:
    """Copy the assets; return {package: version} of what was copied."""
    for name, version in pins.items():
        found = installed_version(node_modules, name)
        if found != version:
            raise RuntimeError(
                f"node_modules holds {name}@{found} but package.json pins "
                f"{version}; run `npm ci`"
            )
    if dest.exists():
        shutil.rmtree(dest)
    dest.mkdir(parents=True)
    total = 0

    # The widget HTML manager: one self-contained bundle plus the icon fonts
    # that its CSS refers to relative to the bundle's own URL.
    dist = node_modules / "@jupyter-widgets/html-manager/dist"
    total += copy_file(dist / WIDGET_EMBEDDER, dest / "html-manager" / WIDGET_EMBEDDER)
    for pattern in HTML_MANAGER_FONTS:
        for font in sorted(dist.glob(pattern)):
            total += copy_file(font, dest / "html-manager" / font.name)

    # MathJax 3: the combined TeX + CHTML component and what it loads lazily.
    es5 = node_modules / "mathjax/es5"
    total += copy_file(es5 / MATHJAX_COMPONENT, dest / "mathjax" / MATHJAX_COMPONENT)
    for sub in MATHJAX_DIRS:
        for path in sorted((es5 / sub).rglob("*")):
            if path.is_file() and not path.name.endswith(".map"):
                rel = path.relative_to(es5)
                total += copy_file(path, dest / "mathjax" / rel)

    reveal = node_modules / "reveal.js/dist"
    for name in REVEAL_FILES:
        total += copy_file(reveal / name, dest / "reveal.js" / name)

    manifest = {name: pins[name] for name in sorted(pins)}
    (dest / "VERSIONS.json").write_text(
        json.dumps(manifest, indent=2) + "\n", encoding="utf-8"
    )
    print(f"vendored {', '.join(f'{k}@{v}' for k, v in manifest.items())}")
    print(f"  into {dest} ({total / 1e6:.1f} MB)")
    return manifest


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--node-modules", type=Path, default=ROOT / "node_modules")
    parser.add_argument("--dest", type=Path, default=ROOT / "book/vendor")
    args = parser.parse_args(argv)
    pins = read_pins(ROOT / "package.json")
    vendor(args.node_modules, args.dest, pins)
    return 0


if __name__ == "__main__":
    sys.exit(main())
