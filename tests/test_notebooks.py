"""The chapters in notebooks/: listed in the toc, clean, and free of copied formulas.

* Every notebook is in ``_toc.yml`` and every toc entry exists.
* Hygiene: stored executed (outputs present, execution counts 1, 2, 3, … in
  order), no error output, no volatile metadata (timings, random widget model
  ids: the notebook equals its canonical form, see ``scripts/nbtools.py``),
  at most 3 MB.
* One source of truth: no code cell retypes an optimizer's update rule; the
  rules live in ``src/descent`` and chapters call them. A cell tagged
  ``exercise-solution`` (a reader's own implementation, compared against
  ``descent``) is exempt.
* Re-executing a notebook (``make execute``) reproduces it byte for byte
  (marked ``reexec``: it runs every notebook; nbval checks the outputs too).
"""

from __future__ import annotations

import ast
import difflib
import importlib.util
import json
import os
import re
from dataclasses import dataclass
from pathlib import Path

import nbformat
import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK_DIR = ROOT / "notebooks"
NOTEBOOKS = sorted(NOTEBOOK_DIR.glob("*.ipynb"))
MAX_BYTES = 3 * 1024 * 1024
CELL_TIMEOUT = int(os.environ.get("NB_CELL_TIMEOUT", "600"))
EXEMPT_TAG = "exercise-solution"


def _load_nbtools():
    path = ROOT / "scripts" / "nbtools.py"
    spec = importlib.util.spec_from_file_location("nbtools", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


nbtools = _load_nbtools()


def notebook_id(path: Path) -> str:
    return path.name


def read(path: Path) -> nbformat.NotebookNode:
    return nbformat.read(path, as_version=4)


def code_cells(nb: nbformat.NotebookNode) -> list[nbformat.NotebookNode]:
    return [c for c in nb.cells if c.cell_type == "code"]


# --- table of contents -----------------------------------------------------------


def toc_entries() -> list[str]:
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text(encoding="utf-8"))
    found = [toc["root"]]

    def walk(entries: list[dict]) -> None:
        for entry in entries or []:
            if "file" in entry:
                found.append(entry["file"])
            for key in ("parts", "chapters", "sections"):
                walk(entry.get(key, []))

    walk(toc.get("parts", []))
    walk(toc.get("chapters", []))
    return found


def resolve(entry: str) -> Path | None:
    for suffix in ("", ".md", ".ipynb"):
        path = ROOT / f"{entry}{suffix}"
        if path.is_file() and path.suffix in (".md", ".ipynb"):
            return path
    return None


def test_every_toc_entry_is_an_existing_page() -> None:
    missing = [e for e in toc_entries() if resolve(e) is None]
    assert missing == [], f"_toc.yml lists pages that do not exist: {missing}"


def test_every_notebook_is_in_the_toc() -> None:
    listed = {resolve(e) for e in toc_entries()}
    absent = [p.name for p in NOTEBOOKS if p not in listed]
    assert absent == [], f"notebooks missing from _toc.yml: {absent}"


def test_toc_parts_are_never_empty() -> None:
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text(encoding="utf-8"))
    empty = [p.get("caption") for p in toc.get("parts", []) if not p.get("chapters")]
    assert empty == [], f"parts without pages: {empty}"


# --- hygiene -----------------------------------------------------------------------


@pytest.mark.parametrize("path", NOTEBOOKS, ids=notebook_id)
def test_notebook_is_at_most_3_mb(path: Path) -> None:
    size = path.stat().st_size
    assert size <= MAX_BYTES, f"{path.name} is {size / 1e6:.2f} MB (budget 3 MB)"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=notebook_id)
def test_notebook_is_valid_and_stored_executed_in_order(path: Path) -> None:
    nb = read(path)
    nbformat.validate(nb)
    cells = [c for c in code_cells(nb) if c.source.strip()]
    counts = [c.execution_count for c in cells]
    assert None not in counts, f"{path.name}: unexecuted code cells; run make execute"
    assert counts == list(range(1, len(cells) + 1)), (
        f"{path.name}: execution counts {counts} are not 1, 2, 3, ... in order"
    )
    assert any(c.outputs for c in cells), f"{path.name}: no stored outputs"
    ids = [c.get("id") for c in nb.cells]
    assert len(set(ids)) == len(ids), f"{path.name}: duplicate cell ids"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=notebook_id)
def test_notebook_outputs_show_no_error_or_warning(path: Path) -> None:
    nb = read(path)
    bad = []
    for i, cell in enumerate(nb.cells):
        for out in cell.get("outputs", []):
            if out.output_type == "error":
                bad.append(f"cell {i}: {out.ename}: {out.evalue}")
            elif out.output_type == "stream" and out.name == "stderr":
                bad.append(f"cell {i}: stderr: {out.text[:200]!r}")
    assert bad == [], f"{path.name}:\n" + "\n".join(bad)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=notebook_id)
def test_notebook_has_no_volatile_metadata(path: Path) -> None:
    nb = read(path)
    timed = [
        i
        for i, c in enumerate(nb.cells)
        if any(k in c.metadata for k in nbtools.VOLATILE_CELL_METADATA)
    ]
    assert timed == [], f"{path.name}: execution timing metadata in cells {timed}"
    assert "version" not in nb.metadata.get("language_info", {}), (
        f"{path.name}: language_info.version depends on the machine"
    )
    assert nbtools.is_canonical(nb), (
        f"{path.name} is not in canonical form (widget model ids or metadata); "
        f"run `python scripts/nbtools.py canonicalize {path.relative_to(ROOT)}`"
    )


# --- one source of truth -------------------------------------------------------------

OPTIMIZER_FUNCTION = re.compile(
    r"^_*(sgd|momentum|nesterov|heavy_?ball|adagrad|adadelta|rmsprop|adam|adamw|"
    r"adamax|nadam|amsgrad|lion|optimi[sz]er|step|update|init|"
    r"\w+_(step|update)|(step|update)_\w+)$",
    re.IGNORECASE,
)
LEARNING_RATE = re.compile(r"^(lr|eta|η|alpha|learning_rate|step_?size)(_\w+)?$", re.I)
GRADIENT = re.compile(
    r"^(g|gt|g_t|grad|grads|gradient|gradients|d[a-z]|dtheta|dparams|dw\d*|db\d*)$"
    r"|^grad_|_grads?$",
    re.IGNORECASE,
)
DECAY = re.compile(r"^(beta\d?|b\d|gamma|rho|mu|decay|momentum|β\d?|γ|ρ|μ)$", re.I)
MATH_ROOTS = {"np", "numpy", "math", "torch"}
INPLACE_TENSOR_UPDATES = {"add_", "sub_", "mul_", "div_", "addcmul_", "addcdiv_"}


@dataclass(frozen=True)
class Finding:
    line: int
    message: str


def _root_name(node: ast.AST) -> str | None:
    while isinstance(node, (ast.Attribute, ast.Subscript)):
        node = node.value
    return node.id if isinstance(node, ast.Name) else None


def _names(node: ast.AST) -> set[str]:
    """Names and attribute names used in an expression."""
    found = set()
    for sub in ast.walk(node):
        if isinstance(sub, ast.Name):
            found.add(sub.id)
        elif isinstance(sub, ast.Attribute):
            found.add(sub.attr)
    return found


def _is_arithmetic(node: ast.AST) -> bool:
    if isinstance(node, (ast.BinOp, ast.UnaryOp)):
        return True
    if isinstance(node, ast.Call) and _root_name(node.func) in MATH_ROOTS:
        return any(_is_arithmetic(arg) for arg in node.args)
    return False


def _update_ingredients(node: ast.AST) -> list[str]:
    names = _names(node)
    found = []
    if any(LEARNING_RATE.match(n) for n in names):
        found.append("a learning rate")
    if any(GRADIENT.match(n) for n in names):
        found.append("a gradient")
    if any(DECAY.match(n) for n in names):
        found.append("a decay rate")
    if "sqrt" in names:
        found.append("a square root")
    return found


def find_update_rules(source: str) -> list[Finding]:
    """Where ``source`` (a code cell) writes an optimizer update of its own.

    Flags: functions (or lambdas) named like an optimizer or its step/update;
    a variable updated from itself with a learning rate, a gradient, a decay
    rate or a square root (``params = params - lr * grads``, ``x -= eta * g``,
    ``m = beta * m + (1 - beta) * g``, ``v += g ** 2``); in-place tensor updates
    (``p.add_(...)``). Allowed: calling ``descent``, and one-off computations
    that name each step anew (``theta1 = theta0 - lr * g0``).
    """
    from IPython.core.inputtransformer2 import TransformerManager

    code = TransformerManager().transform_cell(source)
    try:
        tree = ast.parse(code)
    except SyntaxError as exc:
        return [Finding(exc.lineno or 0, f"cannot parse the cell: {exc.msg}")]
    findings = []
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            if OPTIMIZER_FUNCTION.match(node.name):
                findings.append(
                    Finding(node.lineno, f"defines `{node.name}`, an update rule")
                )
        elif isinstance(node, ast.Assign):
            targets = [t for t in node.targets]
            if isinstance(node.value, ast.Lambda):
                for t in targets:
                    if isinstance(t, ast.Name) and OPTIMIZER_FUNCTION.match(t.id):
                        findings.append(
                            Finding(node.lineno, f"defines `{t.id}` as a lambda")
                        )
            if _is_arithmetic(node.value):
                used = _names(node.value)
                for t in targets:
                    name = _root_name(t)
                    ingredients = _update_ingredients(node.value)
                    if name and name in used and ingredients:
                        findings.append(
                            Finding(
                                node.lineno,
                                f"updates `{name}` from itself with "
                                + " and ".join(ingredients),
                            )
                        )
        elif isinstance(node, ast.AugAssign):
            name = _root_name(node.target)
            ingredients = _update_ingredients(node.value)
            if name and ingredients:
                findings.append(
                    Finding(
                        node.lineno,
                        f"updates `{name}` in place with " + " and ".join(ingredients),
                    )
                )
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            if node.func.attr in INPLACE_TENSOR_UPDATES:
                message = f"updates a tensor in place (`{node.func.attr}`)"
                findings.append(Finding(node.lineno, message))
    return sorted(set(findings), key=lambda f: f.line)


RETYPED_RULES = {
    "sgd": "params = params - lr * grads",
    "sgd_loop": "for t in range(10):\n    x -= eta * grad(x)",
    "ema": "m = beta * m + (1 - beta) * g\nv = beta2 * v + (1 - beta2) * g ** 2",
    "adam_denominator": "params = params - lr * m_hat / (np.sqrt(v_hat) + eps)",
    "adagrad_sum": "v += g ** 2",
    "step_function": "def adam_step(p, g, state):\n    return p",
    "lambda": "update = lambda p, g: p - 0.1 * g",
    "subscript": "theta[i] = theta[i] - lr * grads[i]",
    "wrapped": "x = np.clip(x - lr * g, -1.0, 1.0)",
    "torch_inplace": "p.data.add_(p.grad, alpha=-lr)",
    "torch_grad_attr": "with torch.no_grad():\n    w -= 0.1 * w.grad",
    "method": "class SGD:\n    def step(self):\n        pass",
}

ALLOWED_CODE = {
    "descent_loop": (
        "opt = descent.optim.adam(lr=1e-3)\nstate = opt.init(params)\n"
        "for _ in range(10):\n    params, state = opt.step(params, grads, state)"
    ),
    "grads_expression_in_call": "params, state = opt.step(params, grads * 2.0, state)",
    "hand_step": "theta1 = theta0 - 0.1 * g0  # one step by hand",
    "hand_ema": "m1 = beta * m0 + (1 - beta) * g1",
    "counters": "count = count + 1\ntotal += loss\nlosses = losses + [loss]",
    "run": "traj = run(opt, landscape, start, steps=100)\nprint(traj.final_loss)",
    "magic": "%matplotlib inline\nx = 1",
    "torch_reference": "opt = torch.optim.Adam([p], lr=1e-3)\nopt.step()",
}


@pytest.mark.parametrize("name", sorted(RETYPED_RULES))
def test_update_rule_checker_flags_a_retyped_rule(name: str) -> None:
    assert find_update_rules(RETYPED_RULES[name]) != []


@pytest.mark.parametrize("name", sorted(ALLOWED_CODE))
def test_update_rule_checker_allows_calling_descent(name: str) -> None:
    assert find_update_rules(ALLOWED_CODE[name]) == []


@pytest.mark.parametrize("path", NOTEBOOKS, ids=notebook_id)
def test_notebook_code_never_retypes_an_update_rule(path: Path) -> None:
    findings = []
    for i, cell in enumerate(read(path).cells):
        if cell.cell_type != "code" or EXEMPT_TAG in cell.metadata.get("tags", []):
            continue
        for f in find_update_rules(cell.source):
            findings.append(f"cell {i}, line {f.line}: {f.message}")
    assert findings == [], (
        f"{path.name} writes update rules of its own; import them from descent "
        f"(or tag a reader's-implementation cell `{EXEMPT_TAG}`):\n"
        + "\n".join(findings)
    )


# --- reproducibility ------------------------------------------------------------------


def _describe_difference(stored: str, fresh: str) -> str:
    old, new = json.loads(stored), json.loads(fresh)
    for i, (a, b) in enumerate(zip(old["cells"], new["cells"], strict=False)):
        if a != b:
            diff = difflib.unified_diff(
                json.dumps(a, indent=1, sort_keys=True).splitlines(),
                json.dumps(b, indent=1, sort_keys=True).splitlines(),
                "stored",
                "re-executed",
                lineterm="",
                n=1,
            )
            return f"first difference in cell {i}:\n" + "\n".join(list(diff)[:40])
    if old["metadata"] != new["metadata"]:
        return "the notebook metadata differs (widget state?)"
    return "the files differ"


@pytest.mark.reexec
@pytest.mark.parametrize("path", NOTEBOOKS, ids=notebook_id)
def test_reexecuting_an_unchanged_notebook_reproduces_it_byte_for_byte(
    path: Path, tmp_path: Path
) -> None:
    fresh_path = tmp_path / path.name
    nbtools.write(nbtools.execute(path, timeout=CELL_TIMEOUT), fresh_path)
    stored, fresh = path.read_bytes(), fresh_path.read_bytes()
    if stored != fresh:
        pytest.fail(
            f"make execute would change {path.name}: "
            + _describe_difference(stored.decode(), fresh.decode())
        )
