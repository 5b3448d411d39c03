"""The package's layering (DESIGN §3): imports go bottom to top only.

``optim`` is the bottom layer and ``show`` the top; a module may import only
from layers below it. ``explore`` is the only module that imports ipywidgets, and
torch never appears on the book's import path.
"""

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src" / "descent"
LAYERS = [
    "optim",
    "landscapes",
    "regression",
    "nets",
    "run",
    "plots",
    "explore",
    "show",
]


def _layer_of(path: Path) -> str:
    rel = path.relative_to(SRC)
    return rel.parts[0] if len(rel.parts) > 1 else rel.stem


def _imports_of(source: str, layer: str) -> set[str]:
    """Modules imported anywhere in ``source`` (relative ones as 'descent.x')."""
    names = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                # Inside descent/optim/ a single dot is descent.optim itself.
                base = (
                    "descent.optim"
                    if layer == "optim" and node.level == 1
                    else "descent"
                )
                module = f"{base}.{node.module}" if node.module else base
            else:
                module = node.module or ""
            names.add(module)
            if module in ("descent", "descent.optim"):
                names.update(f"{module}.{a.name}" for a in node.names)
    return names


def _imports(path: Path) -> set[str]:
    return _imports_of(path.read_text(encoding="utf-8"), _layer_of(path))


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
    assert _descent_layers(_imports_of("from descent import plots", "optim")) == {
        "plots"
    }
    assert _descent_layers(_imports_of("from .sgd import sgd", "optim")) == {"optim"}
    assert _descent_layers(_imports_of("from .optim import adam", "nets")) == {"optim"}
    assert _descent_layers(_imports_of("import descent.explore", "run")) == {"explore"}
