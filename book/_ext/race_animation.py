"""Sphinx extension: draw the landing page's optimizer race when the book is built.

The landing page (``book/intro.md``) is not a notebook and is never executed, yet
it shows an animation of the optimizers racing on a landscape. This extension
makes that picture from :mod:`descent` at build time: on ``builder-inited`` it
runs :func:`descent.run.race` and writes :func:`descent.plots.race_svg`'s animated
SVG to ``book/_generated/race.svg``, which the page includes as a figure. Nothing
produced by running code is committed: the folder is ignored by git, and the file
is rewritten only when its content changes (so an unchanged book is not re-read).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

#: Where the picture goes, relative to the book's source folder.
TARGET = Path("book", "_generated", "race.svg")

#: The race: landscape, number of steps, and each optimizer's hyperparameters.
#: The learning rates are typical settings that keep every run stable on this
#: landscape; momentum uses the book's EMA form with β = 0.9.
LANDSCAPE = "rosenbrock"
STEPS = 500
OPTIMIZERS: dict[str, dict[str, float]] = {
    "sgd": {"lr": 0.003},
    "momentum": {"lr": 0.02, "beta": 0.9},
    "adagrad": {"lr": 0.5},
    "rmsprop": {"lr": 0.01},
    "adam": {"lr": 0.1},
}


def race_svg_text() -> str:
    """Run the race and return the animated SVG (deterministic text)."""
    from descent import optim, plots
    from descent.landscapes import LANDSCAPES
    from descent.run import race

    landscape = LANDSCAPES[LANDSCAPE]
    opts = {name: optim.OPTIMIZERS[name](**h) for name, h in OPTIMIZERS.items()}
    trajs = race(opts, landscape, steps=STEPS)
    labels = {name: f"{name}  (lr {h['lr']:g})" for name, h in OPTIMIZERS.items()}
    start = ", ".join(f"{v:g}" for v in landscape.start)
    title = f"{landscape.title}: {STEPS} steps from ({start})"
    return plots.race_svg(landscape, trajs, labels=labels, title=title)


def write_race(app: Any) -> None:
    """Write the SVG into the source tree, unless it is already up to date."""
    target = Path(app.srcdir) / TARGET
    text = race_svg_text()
    if target.is_file() and target.read_text(encoding="utf-8") == text:
        return
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(text, encoding="utf-8")


def setup(app: Any) -> dict[str, Any]:
    app.connect("builder-inited", write_race)
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
