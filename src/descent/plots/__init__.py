"""Matplotlib figure builders: every figure of the book is drawn here.

Each builder has the shape ``plot_*(ax, data, ...)``: it draws on the axes it is
given and returns the artists it made, so a chapter passes data and a caption and
nothing else. Figure text is English words and math only. Colours are fixed per
optimizer name (:data:`OPTIMIZER_COLORS`), so "adam" has the same colour in every
chapter. Nothing here plots a non-finite number: trajectories that diverged are drawn
up to their last finite point and marked with an ``x`` and "diverged at step k".

The package only uses the object-oriented matplotlib API and works under the ``Agg``
backend (no display needed). Chapters use the names below (``plots.plot_landscape``);
each lives in the module of its subject:

``style``       the book's rc settings and colours: :func:`use_book_style`,
                :func:`color_for`, the palettes
``common``      what every figure shares: :func:`finite_points`
``landscape``   contours of a 2-D landscape and paths on it, :class:`TrajectoryScene`
``curves``      series against the step or the layer: losses, step lengths, angles,
                gradient norms, moving-average weights, a 1-D loss curve
``maps``        grids of settings: convergence-rate map, basins of attraction
``precision``   float formats: where gradients land in float16's range
``regression``  a line fit and its minibatches: samples, gradient clouds, variance
                against the batch size, loss against epochs
``comparison``  an optimizer comparison: accuracy against the learning rate,
                spread over seeds, training curves, bars of costs
``scenes``      persistent per-layer and loss-curve figures for the explorers
``schedules``   learning-rate schedules: the rate against the step, beside the loss
``race``        the animated SVG race over a landscape
``family``      a family tree of optimizers
``spectra``     singular values of update matrices, the Newton–Schulz map
"""

from descent.plots.common import finite_points
from descent.plots.comparison import (
    TrainingCurvesScene,
    plot_bars,
    plot_lr_sensitivity,
    plot_seed_spread,
    plot_training_curves,
)
from descent.plots.curves import (
    plot_angles,
    plot_curves,
    plot_ema_weights,
    plot_grad_norms,
    plot_loss_curve,
    plot_losses,
    plot_step_lengths,
)
from descent.plots.family import plot_family_tree
from descent.plots.landscape import (
    TrajectoryScene,
    landscape_grid,
    plot_landscape,
    plot_trajectories,
)
from descent.plots.maps import plot_basins, plot_rate_map
from descent.plots.precision import RANGE_COLORS, FloatRangeScene, plot_float_range
from descent.plots.race import race_svg
from descent.plots.regression import (
    plot_batch_variance,
    plot_gradient_cloud,
    plot_line_fit,
    plot_loss_vs_epochs,
)
from descent.plots.scenes import LossCurveScene, ProfileScene
from descent.plots.schedules import (
    SCHEDULE_COLORS,
    RateLossScene,
    moving_average,
    plot_rates,
    plot_schedule_losses,
    schedule_color,
)
from descent.plots.spectra import plot_newton_schulz, plot_spectra
from descent.plots.style import (
    ACTIVATION_COLORS,
    BASIN_COLORS,
    BOOK_RC,
    OPTIMIZER_COLORS,
    color_for,
    use_book_style,
)

__all__ = [
    "ACTIVATION_COLORS",
    "BASIN_COLORS",
    "BOOK_RC",
    "FloatRangeScene",
    "LossCurveScene",
    "OPTIMIZER_COLORS",
    "RANGE_COLORS",
    "SCHEDULE_COLORS",
    "ProfileScene",
    "RateLossScene",
    "TrainingCurvesScene",
    "TrajectoryScene",
    "color_for",
    "finite_points",
    "landscape_grid",
    "moving_average",
    "plot_angles",
    "plot_bars",
    "plot_basins",
    "plot_batch_variance",
    "plot_curves",
    "plot_ema_weights",
    "plot_family_tree",
    "plot_float_range",
    "plot_grad_norms",
    "plot_gradient_cloud",
    "plot_landscape",
    "plot_line_fit",
    "plot_loss_curve",
    "plot_loss_vs_epochs",
    "plot_losses",
    "plot_lr_sensitivity",
    "plot_newton_schulz",
    "plot_rate_map",
    "plot_rates",
    "plot_schedule_losses",
    "plot_seed_spread",
    "plot_spectra",
    "plot_step_lengths",
    "plot_trajectories",
    "plot_training_curves",
    "race_svg",
    "schedule_color",
    "use_book_style",
]
