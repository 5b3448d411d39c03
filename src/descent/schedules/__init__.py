"""Learning-rate schedules: the rate as a function of the step count.

Every factory returns a :class:`Schedule`, a function ``schedule(t)`` of the number
t = 0, 1, 2… of optimizer steps already taken: the rate of the next step (step
t + 1 in the book's numbering). That is torch's learning rate after t calls of
``scheduler.step()``, each after an ``optimizer.step()``. Every optimizer of
:mod:`descent.optim` accepts a schedule (or any function of t) for ``lr``::

    from descent import optim, schedules
    opt = optim.adam(lr=schedules.cosine_annealing_lr(1e-3, T_max=500))

Names are torch's scheduler classes in snake_case, with torch's argument names and
``lr`` (the base rate, the optimizer's ``lr`` in torch) in place of the optimizer:

decay (torch's chainable schedulers)
    ``constant_lr``, ``linear_lr``, ``step_lr``, ``multi_step_lr``,
    ``exponential_lr``, ``polynomial_lr``, ``cosine_annealing_lr``, ``lambda_lr``
cycles
    ``cosine_annealing_warm_restarts``, ``one_cycle_lr`` (rate only), and
    ``warmup_stable_decay`` (not in torch: a constant rate with warm-up and a
    cool-down, Hu et al. 2024; Hägele et al. 2024)
combinations
    ``sequential_lr`` (one after another), ``chained_scheduler`` (a product)

A schedule is a pure function of t, so torch's ``last_epoch`` (resuming) has no
counterpart: resuming at step k is evaluating the schedule from t = k. Schedules
that need the loss (``ReduceLROnPlateau``) are not schedules in this sense.
``SCHEDULES[s.name](**s.hyper)`` builds a schedule ``s`` again; :func:`lr_curve`
tabulates one for a plot.
"""

from ._base import Schedule, lr_curve
from .combine import CHAINABLE, chained_scheduler, sequential_lr
from .cycles import (
    WSD_DECAYS,
    cosine_annealing_warm_restarts,
    one_cycle_lr,
    warmup_stable_decay,
)
from .decay import (
    constant_lr,
    cosine_annealing_lr,
    exponential_lr,
    lambda_lr,
    linear_lr,
    multi_step_lr,
    polynomial_lr,
    step_lr,
)

SCHEDULES = {
    "constant_lr": constant_lr,
    "linear_lr": linear_lr,
    "step_lr": step_lr,
    "multi_step_lr": multi_step_lr,
    "exponential_lr": exponential_lr,
    "polynomial_lr": polynomial_lr,
    "cosine_annealing_lr": cosine_annealing_lr,
    "lambda_lr": lambda_lr,
    "cosine_annealing_warm_restarts": cosine_annealing_warm_restarts,
    "one_cycle_lr": one_cycle_lr,
    "warmup_stable_decay": warmup_stable_decay,
    "sequential_lr": sequential_lr,
    "chained_scheduler": chained_scheduler,
}

__all__ = [
    "CHAINABLE",
    "SCHEDULES",
    "WSD_DECAYS",
    "Schedule",
    "chained_scheduler",
    "constant_lr",
    "cosine_annealing_lr",
    "cosine_annealing_warm_restarts",
    "exponential_lr",
    "lambda_lr",
    "linear_lr",
    "lr_curve",
    "multi_step_lr",
    "one_cycle_lr",
    "polynomial_lr",
    "sequential_lr",
    "step_lr",
    "warmup_stable_decay",
]
