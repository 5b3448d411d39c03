"""Explorers: experiments that stay interactive without a kernel.

A published page has no Python kernel, so an ipywidgets callback never runs there.
An :func:`explorer` therefore draws every frame when the notebook executes, over a
grid of slider values, and links each slider to a ``Stack`` of frames in the browser
(``jslink``): moving a slider swaps the visible frame with no kernel, in JupyterLab,
in VS Code and in the static HTML alike. Two sliders give nested Stacks, the inner
ones linked to the second slider. A ``Play`` button can step a slider through time.

Each frame is a palette PNG inside an HTML widget (``<img alt="lr = 0.1" ...>``), so
the visible image says which values it shows; frames are kept small by a size budget
that raises :class:`ValueError` when exceeded. Displaying an explorer also prints a
rounded numeric summary of its default frame (and, if asked, of the whole grid), which
nbval compares and which readers without JavaScript can read.

:func:`live` is the other mode, for readers with a kernel: continuous sliders that
recompute on every move and redraw a persistent figure. It never replaces an
explorer in a stored notebook.

This is the only package of :mod:`descent` that imports ipywidgets. Its modules:

the mechanism
    ``summary`` (value labels, rounded numbers, printed tables), ``encoding``
    (frames, PNG encoding, size budget), ``render`` (the persistent figure and
    :class:`Scene`), ``widget`` (:class:`Explorer` and :func:`explorer`)
kernel mode
    ``kernel`` (:class:`Live`, :func:`live`, :func:`trajectory_live`)
concrete explorers, by what they explore
    ``trajectories`` (optimizers racing on a landscape), ``minibatch`` (full
    against minibatch gradients), ``networks`` (deep nets at initialisation),
    ``clipping`` (gradient clipping), ``loss_scale`` (loss × k for each
    optimizer; float16 with a loss scale), ``schedules`` (learning-rate schedules
    and warm-up), ``matrices`` (Newton–Schulz, matrix optimizers on a
    factorisation), ``comparison`` (training curves of an optimizer comparison
    over optimizer × learning rate)
"""

from .clipping import CLIP_RUN_COLORS, clip_explorer
from .comparison import comparison_explorer
from .encoding import EXPLORER_BUDGET_BYTES, FRAME_BUDGET_BYTES, Frame
from .kernel import Live, live, trajectory_live
from .loss_scale import SCALE_RUNS, float16_explorer, loss_scale_explorer
from .matrices import matrix_family_explorer, newton_schulz_explorer, update_spectrum
from .minibatch import minibatch_explorer
from .networks import INIT_GAINS, depth_init_explorer
from .render import Scene
from .schedules import schedule_explorer, warmup_explorer
from .summary import format_number, format_value
from .trajectories import race_grid, trajectory_explorer
from .widget import Explorer, explorer

__all__ = [
    "CLIP_RUN_COLORS",
    "EXPLORER_BUDGET_BYTES",
    "FRAME_BUDGET_BYTES",
    "INIT_GAINS",
    "SCALE_RUNS",
    "Explorer",
    "Frame",
    "Live",
    "Scene",
    "clip_explorer",
    "comparison_explorer",
    "depth_init_explorer",
    "explorer",
    "float16_explorer",
    "format_number",
    "format_value",
    "live",
    "loss_scale_explorer",
    "matrix_family_explorer",
    "minibatch_explorer",
    "newton_schulz_explorer",
    "race_grid",
    "schedule_explorer",
    "trajectory_explorer",
    "trajectory_live",
    "update_spectrum",
    "warmup_explorer",
]
