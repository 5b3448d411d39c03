"""The package's layering (DESIGN §3): imports go bottom to top only.

``optim`` is the bottom layer and ``show`` the top; a module may import only
from layers below it. The layer of a file is its first path component under
``descent/`` (``explore/widget.py`` is in ``explore``). ``explore`` is the only
package that imports ipywidgets, torch never appears on the book's import path, and
no module outgrows one sitting (about 600 lines).
"""

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src" / "descent"
LAYERS = [
    "optim",
    "schedules",
    "amp",
    "landscapes",
    "regression",
    "matrices",
    "data",
    "nets",
    "run",
    "sweep",
    "plots",
    "explore",
    "show",
]


def _layer_of(path: Path) -> str:
    rel = path.relative_to(SRC)
    return rel.parts[0] if len(rel.parts) > 1 else rel.stem


def _package_of(path: Path) -> str:
    """The dotted package a file sits in: ``descent`` or ``descent.explore``…"""
    return ".".join(("descent",) + path.relative_to(SRC).parts[:-1])


def _imports_of(source: str, package: str) -> set[str]:
    """Modules imported anywhere in ``source``; relative ones resolved against
    ``package``, the package the source sits in (``from .x`` in descent/explore/
    is descent.explore.x)."""
    names = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                parts = package.split(".")
                base = ".".join(parts[: len(parts) - (node.level - 1)])
                module = f"{base}.{node.module}" if node.module else base
            else:
                module = node.module or ""
            names.add(module)
            if module == "descent" or (
                module.startswith("descent.") and module.count(".") == 1
            ):
                names.update(f"{module}.{a.name}" for a in node.names)
    return names


def _imports(path: Path) -> set[str]:
    return _imports_of(path.read_text(encoding="utf-8"), _package_of(path))


def _descent_layers(names: set[str]) -> set[str]:
    return {n.split(".")[1] for n in names if n.startswith("descent.")}


MODULES = sorted(
    p for p in SRC.rglob("*.py") if p.name != "__init__.py" or p.parent != SRC
)


def test_every_module_belongs_to_a_layer():
    assert {_layer_of(p) for p in MODULES} <= set(LAYERS)


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(SRC)))
def test_modules_import_only_lower_layers(path):
    own = LAYERS.index(_layer_of(path))
    used = _descent_layers(_imports(path)) - {_layer_of(path)}
    upward = sorted(u for u in used if LAYERS.index(u) > own)
    assert not upward, f"{path.name} imports from higher layers: {upward}"


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(SRC)))
def test_only_explore_imports_ipywidgets_and_nothing_imports_torch(path):
    roots = {n.split(".")[0] for n in _imports(path)}
    assert "torch" not in roots
    if _layer_of(path) != "explore":
        assert "ipywidgets" not in roots


def test_the_checker_resolves_absolute_and_relative_imports():
    def layers(source: str, package: str) -> set[str]:
        return _descent_layers(_imports_of(source, package))

    assert layers("from descent import plots", "descent.optim") == {"plots"}
    assert layers("from .sgd import sgd", "descent.optim") == {"optim"}
    assert layers("from .optim import adam", "descent") == {"optim"}
    assert layers("import descent.explore", "descent") == {"explore"}
    assert layers("from .widget import explorer", "descent.explore") == {"explore"}
    assert layers("from ..run import run", "descent.explore") == {"run"}
    assert _package_of(SRC / "explore" / "widget.py") == "descent.explore"
    assert _package_of(SRC / "run.py") == "descent"


MAX_LINES = 600
@pytest.mark.parametrize(
    "path", sorted(SRC.rglob("*.py")), ids=lambda p: str(p.relative_to(SRC)))
def test_no_module_outgrows_one_sitting(path):
    n = len(path.read_text(encoding="utf-8").splitlines())
    assert n <= MAX_LINES, f"{path.relative_to(SRC)} has {n} lines (> {MAX_LINES})"
