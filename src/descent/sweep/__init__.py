"""Choosing an optimizer on real data: a fair learning-rate sweep and its analysis.

Every optimizer registered in :data:`descent.optim.OPTIMIZERS` (plus Nesterov
momentum) trains the same small network on the handwritten digits
(:func:`descent.data.digits`) for the same number of steps, at every rate of
its own grid (same width and density for all, centred on its usual rate), with
a constant rate and with warm-up + cosine, from several seeds. The sweep takes
minutes, so ``make sweep`` runs it once and writes :data:`RESULTS`, a JSON file
committed with the code; the book loads it and :mod:`.analysis` turns it into
tables and curves.

Modules: :mod:`.candidates` (which optimizers, their grids and schedules),
:mod:`.runner` (one run, the sweep, the results file), :mod:`.analysis` (best
rate, spread over seeds, width of the good range, cost).
"""

from .analysis import (
    DELTA,
    Row,
    accuracies,
    best_runs,
    curves,
    good_range,
    sensitivity,
    summary_rows,
)
from .candidates import (
    FIXED,
    GRID_POINTS,
    LABELS,
    POINTS_PER_DECADE,
    SCHEDULES,
    USUAL_LR,
    VARIANTS,
    WARMUP_FRACTION,
    Candidate,
    candidates,
    lr_grid,
    schedule_for,
)
from .runner import (
    RESULTS,
    Run,
    SweepConfig,
    Task,
    evaluation_point,
    load,
    run_one,
    save,
    sweep,
)

__all__ = [
    "DELTA",
    "FIXED",
    "GRID_POINTS",
    "LABELS",
    "POINTS_PER_DECADE",
    "RESULTS",
    "SCHEDULES",
    "USUAL_LR",
    "VARIANTS",
    "WARMUP_FRACTION",
    "Candidate",
    "Row",
    "Run",
    "SweepConfig",
    "Task",
    "accuracies",
    "best_runs",
    "candidates",
    "curves",
    "evaluation_point",
    "good_range",
    "load",
    "lr_grid",
    "run_one",
    "save",
    "schedule_for",
    "sensitivity",
    "summary_rows",
    "sweep",
]
