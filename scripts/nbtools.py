"""Execute the book's notebooks and store them in a canonical, byte-stable form.

Re-executing an unchanged notebook must leave ``git status`` clean. Out of the
box it does not: execution records timing metadata in every cell, and every
widget model gets a random id (and, since notebooks are written with sorted
keys, the random ids also reorder the stored widget state). ``canonicalize``
removes both sources of change:

* it drops execution-timing metadata and the Python patch version;
* it renames widget model ids deterministically: walking the widget-view
  outputs in cell order, each model and then every model it references through
  ``IPY_MODEL_<id>`` (keys sorted, lists in order) gets the next id; models no
  view reaches (the links between sliders and stacks) follow, ordered by their
  content with references already renamed.

Usage::

    python scripts/nbtools.py execute [--timeout S] [--output-dir DIR] NB...
    python scripts/nbtools.py canonicalize NB...
    python scripts/nbtools.py check NB...      # exit 1 if a notebook is not canonical
"""

from __future__ import annotations

import argparse
import copy
import hashlib
import json
import os
import re
import sys
import time
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import nbformat

WIDGET_STATE = "application/vnd.jupyter.widget-state+json"
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
MODEL_REF = re.compile(r"IPY_MODEL_([0-9A-Za-z_-]+)")
# Cell metadata written by executors and front ends that changes on every run.
VOLATILE_CELL_METADATA = ("execution", "ExecuteTime")
CANONICAL_KERNELSPEC = {
    "display_name": "Python 3 (ipykernel)",
    "language": "python",
    "name": "python3",
}
DEFAULT_TIMEOUT = 600


def canonical_model_id(index: int) -> str:
    """The id of the ``index``-th model in walk order (32 hex digits)."""
    return hashlib.sha1(f"descent-widget-{index}".encode()).hexdigest()[:32]


def _references(value: Any) -> Iterator[str]:
    """Model ids referenced by a widget state value, in a deterministic order."""
    if isinstance(value, str):
        yield from MODEL_REF.findall(value)
    elif isinstance(value, list):
        for item in value:
            yield from _references(item)
    elif isinstance(value, dict):
        for key in sorted(value):
            yield from _references(value[key])


def _rename(value: Any, mapping: dict[str, str], missing: str | None = None) -> Any:
    """Replace ``IPY_MODEL_<old>`` references by their new ids.

    A reference not in ``mapping`` is left alone, or replaced by ``missing``.
    """
    if isinstance(value, str):

        def repl(match: re.Match) -> str:
            new = mapping.get(match.group(1))
            if new is None:
                return match.group(0) if missing is None else f"IPY_MODEL_{missing}"
            return f"IPY_MODEL_{new}"

        return MODEL_REF.sub(repl, value)
    if isinstance(value, list):
        return [_rename(v, mapping, missing) for v in value]
    if isinstance(value, dict):
        return {k: _rename(v, mapping, missing) for k, v in value.items()}
    return value


def _view_model_ids(nb: Any) -> Iterator[str]:
    for cell in nb.get("cells", []):
        for output in cell.get("outputs", []) or []:
            view = (output.get("data") or {}).get(WIDGET_VIEW)
            if view and "model_id" in view:
                yield view["model_id"]


def widget_id_mapping(nb: Any) -> dict[str, str]:
    """Map each stored widget model id to its canonical id."""
    state = (nb.get("metadata", {}).get("widgets") or {}).get(WIDGET_STATE, {})
    models: dict[str, Any] = state.get("state", {}) or {}
    mapping: dict[str, str] = {}

    def visit(root: str) -> None:
        stack = [root]
        while stack:
            model_id = stack.pop()
            if model_id in mapping or model_id not in models:
                continue
            mapping[model_id] = canonical_model_id(len(mapping))
            children = list(_references(models[model_id].get("state", {})))
            stack.extend(reversed(children))

    for model_id in _view_model_ids(nb):
        visit(model_id)
    while len(mapping) < len(models):
        remaining = [m for m in models if m not in mapping]
        keyed = sorted(
            remaining,
            key=lambda m: json.dumps(
                _rename(models[m], mapping, missing="?"), sort_keys=True
            ),
        )
        visit(keyed[0])
    return mapping


def canonicalize(nb: Any) -> Any:
    """Return a copy of ``nb`` without volatile metadata and with canonical ids."""
    nb = copy.deepcopy(nb)
    for cell in nb.get("cells", []):
        for key in VOLATILE_CELL_METADATA:
            cell.get("metadata", {}).pop(key, None)
    metadata = nb.setdefault("metadata", nbformat.NotebookNode())
    language_info = metadata.get("language_info")
    if isinstance(language_info, dict):
        language_info.pop("version", None)
    if "kernelspec" in metadata:
        metadata["kernelspec"] = nbformat.from_dict(dict(CANONICAL_KERNELSPEC))

    mapping = widget_id_mapping(nb)
    if mapping:
        state = metadata["widgets"][WIDGET_STATE]
        old_models = state["state"]
        state["state"] = nbformat.from_dict(
            {
                mapping[old]: _rename(model, mapping)
                for old, model in sorted(
                    old_models.items(), key=lambda item: mapping[item[0]]
                )
            }
        )
        for cell in nb.get("cells", []):
            for output in cell.get("outputs", []) or []:
                view = (output.get("data") or {}).get(WIDGET_VIEW)
                if view and view.get("model_id") in mapping:
                    view["model_id"] = mapping[view["model_id"]]
    return nb


def is_canonical(nb: Any) -> bool:
    return canonicalize(nb) == nb


def _prefer_this_environment() -> None:
    """Make the kernel spec of this Python environment win over user-wide ones."""
    share = str(Path(sys.prefix, "share", "jupyter"))
    paths = [p for p in os.environ.get("JUPYTER_PATH", "").split(os.pathsep) if p]
    if share not in paths:
        os.environ["JUPYTER_PATH"] = os.pathsep.join([share, *paths])


def execute(path: Path, timeout: int = DEFAULT_TIMEOUT) -> Any:
    """Execute ``path`` (cwd: its folder) like ``jupyter execute`` and canonicalize.

    Widget state is stored in the notebook's metadata; timing is not recorded.
    Every cell gets at most ``timeout`` seconds.
    """
    _prefer_this_environment()
    from nbclient import NotebookClient

    path = Path(path)
    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(
        nb,
        timeout=timeout,
        startup_timeout=120,
        kernel_name=nb.metadata.get("kernelspec", {}).get("name", "python3"),
        resources={"metadata": {"path": str(path.resolve().parent)}},
        record_timing=False,
        store_widget_state=True,
        coalesce_streams=True,
    )
    client.execute()
    return canonicalize(nb)


def write(nb: Any, path: Path) -> None:
    nbformat.write(nb, str(path))


def _paths(args: Iterable[str]) -> list[Path]:
    paths = [Path(a) for a in args]
    for p in paths:
        if p.suffix != ".ipynb" or not p.is_file():
            raise SystemExit(f"not a notebook file: {p}")
    return paths


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("execute", help="execute in place (or into --output-dir)")
    run.add_argument("--timeout", type=int, default=DEFAULT_TIMEOUT,
                     help="seconds allowed per cell (default %(default)s)")
    run.add_argument("--output-dir", type=Path, default=None)
    run.add_argument("notebooks", nargs="*")
    canon = sub.add_parser("canonicalize", help="canonicalize in place")
    canon.add_argument("notebooks", nargs="*")
    check = sub.add_parser("check", help="fail if a notebook is not canonical")
    check.add_argument("notebooks", nargs="*")
    args = parser.parse_args(argv)

    paths = _paths(args.notebooks)
    if not paths:
        print("no notebooks given; nothing to do")
        return 0
    if args.command == "execute":
        for path in paths:
            start = time.perf_counter()
            nb = execute(path, timeout=args.timeout)
            dest = path if args.output_dir is None else args.output_dir / path.name
            if args.output_dir is not None:
                args.output_dir.mkdir(parents=True, exist_ok=True)
            write(nb, dest)
            print(f"executed {path} in {time.perf_counter() - start:.1f} s -> {dest}")
    elif args.command == "canonicalize":
        for path in paths:
            nb = nbformat.read(path, as_version=4)
            canon_nb = canonicalize(nb)
            if canon_nb != nb:
                write(canon_nb, path)
                print(f"canonicalized {path}")
    else:
        bad = [p for p in paths if not is_canonical(nbformat.read(p, as_version=4))]
        for p in bad:
            print(f"{p}: volatile metadata or non-canonical widget ids; "
                  f"run `python scripts/nbtools.py canonicalize {p}`")
        return 1 if bad else 0
    return 0


if __name__ == "__main__":
    sys.exit(main())
