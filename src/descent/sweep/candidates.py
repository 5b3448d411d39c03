"""Which optimizers a sweep compares, each with its learning-rate grid and schedule.

Every optimizer registered in :data:`descent.optim.OPTIMIZERS` when the sweep
runs is a candidate, so an optimizer joins the comparison by being registered.
Nesterov momentum, a keyword of :func:`~descent.optim.momentum`, is added right
after momentum. :data:`USUAL_LR` holds the usual learning rate of the optimizers
whose factory gives none (or whose default is not the scale people use); any
other optimizer is centred on its factory's default ``lr``.

Fair tuning (Schmidt, Schneider & Hennig 2021): only the learning rate is
tuned, every other hyperparameter keeps its factory default (the torch
defaults, unless :data:`FIXED` says otherwise), and every optimizer gets the same
grid: :data:`GRID_POINTS` rates, ``POINTS_PER_DECADE`` per decade, centred on its
usual rate.
"""

from __future__ import annotations

import inspect
import math
import numbers
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .. import optim, schedules

#: The rate each grid is centred on, where the factory's default is missing or
#: is not the usual scale: 0.1, the usual start of plain SGD; heavy-ball momentum
#: with β = 0.9 takes steps 1/(1 − β) = 10 times longer on a steady gradient,
#: hence 0.01; Adagrad's 1e-2 is torch's default; RMSprop's 1e-3 is the rate
#: Ruder's overview suggests (torch's default is 1e-2); Muon's 0.02 is the
#: default of Jordan et al.'s reference code (torch's default is 1e-3).
USUAL_LR: dict[str, float] = {
    "sgd": 0.1,
    "momentum": 0.01,
    "nesterov": 0.01,
    "adagrad": 1e-2,
    "rmsprop": 1e-3,
    "muon": 0.02,
}

#: Hyperparameters other than lr that differ from the factory's defaults: both
#: momentum entries use torch's heavy-ball form (the rate people type into
#: ``torch.optim.SGD(..., momentum=0.9)``).
FIXED: dict[str, dict[str, Any]] = {
    "momentum": {"form": "heavy_ball", "beta": 0.9},
    "nesterov": {"form": "heavy_ball", "beta": 0.9, "nesterov": True},
}

#: Variants that are keywords of a registered factory: name → (factory, after).
VARIANTS: dict[str, tuple[str, str]] = {"nesterov": ("momentum", "momentum")}

#: Names shown in tables and figures.
LABELS: dict[str, str] = {
    "sgd": "SGD",
    "momentum": "Momentum",
    "nesterov": "Nesterov",
    "adagrad": "Adagrad",
    "rmsprop": "RMSprop",
    "adam": "Adam",
    "adamw": "AdamW",
    "rprop": "Rprop",
    "adadelta": "Adadelta",
    "adamax": "Adamax",
    "nadam": "NAdam",
    "radam": "RAdam",
    "lion": "Lion",
    "adafactor": "Adafactor",
    "muon": "Muon",
    "schedule_free_sgd": "SF-SGD",
    "schedule_free_adamw": "SF-AdamW",
}

GRID_POINTS = 9  # four decades around the usual rate
POINTS_PER_DECADE = 2
#: The rate given to AdamW for the arrays an optimizer does not take (Muon takes
#: only the weight matrices of hidden layers): AdamW's default.
PARTNER_LR = 1e-3

SCHEDULES = ("constant", "warmup_cosine")
WARMUP_FRACTION = 0.05


def lr_grid(centre: float, points: int = GRID_POINTS,
            per_decade: int = POINTS_PER_DECADE) -> np.ndarray:
    """``points`` rates spaced ``1/per_decade`` decades apart, centred on ``centre``.

    >>> lr_grid(1e-3, 5).tolist()
    [0.0001, 0.00031622776601683794, 0.001, 0.0031622776601683794, 0.01]
    """
    if not (isinstance(centre, numbers.Real) and 0 < centre < math.inf):
        raise ValueError(f"centre must be a finite number > 0, got {centre!r}")
    if not isinstance(points, int) or points < 1 or points % 2 == 0:
        raise ValueError(f"points must be an odd integer >= 1, got {points!r}")
    if not isinstance(per_decade, int) or per_decade < 1:
        raise ValueError(f"per_decade must be an integer >= 1, got {per_decade!r}")
    half = points // 2
    exponents = np.arange(-half, half + 1) / per_decade
    return np.array([_round_lr(centre * 10.0**e) for e in exponents])


def _round_lr(x: float) -> float:
    """A rate with 12 significant digits, so grids read the same everywhere."""
    return float(f"{x:.12g}")


def schedule_for(kind: str, lr: float, steps: int) -> optim._base.LearningRate:
    """The learning rate (a number or a schedule) of a run with peak rate ``lr``.

    ``"constant"``: ``lr`` throughout. ``"warmup_cosine"``: a linear warm-up over
    the first ``WARMUP_FRACTION`` of the steps (from lr/W up to lr in W steps),
    then cosine annealing down to 0 at the last step (Goyal et al. 2017;
    Loshchilov & Hutter 2017).
    """
    if kind == "constant":
        return lr
    if kind != "warmup_cosine":
        raise ValueError(f"schedule must be one of {SCHEDULES}, got {kind!r}")
    warm = max(1, round(WARMUP_FRACTION * steps))
    if steps <= warm:
        raise ValueError(f"steps must be > {warm} for a warm-up, got {steps}")
    return schedules.sequential_lr(
        [schedules.linear_lr(lr, 1 / warm, 1.0, max(1, warm - 1)),
         schedules.cosine_annealing_lr(lr, steps - warm)],
        milestones=[warm],
    )


@dataclass(frozen=True)
class Candidate:
    """One optimizer of the comparison: how to build it for a rate and a schedule.

    ``factory`` is its key in :data:`descent.optim.OPTIMIZERS`; ``kwargs`` the
    hyperparameters that are fixed (not tuned); ``centre`` the usual rate the
    grid is centred on and ``source`` where it comes from.
    """

    name: str
    factory: str
    centre: float
    source: str
    kwargs: Mapping[str, Any] = field(default_factory=dict)

    @property
    def label(self) -> str:
        """The name shown in tables and figures."""
        return LABELS.get(self.name, self.name)

    def lrs(self, points: int = GRID_POINTS,
            per_decade: int = POINTS_PER_DECADE) -> np.ndarray:
        """The learning-rate grid of this optimizer."""
        return lr_grid(self.centre, points, per_decade)

    def build(self, lr: float, schedule: str = "constant", steps: int = 1000,
              params: list[np.ndarray] | None = None) -> optim.Optimizer:
        """The optimizer at peak rate ``lr`` under ``schedule`` for ``steps`` steps.

        With ``params`` (the network's list of arrays), an optimizer whose
        ``init`` rejects some of them (Muon takes 2-D weight matrices only) is
        paired with AdamW at :data:`PARTNER_LR` under the same schedule: it gets
        the weight matrices of the hidden layers, AdamW the biases and the output
        layer, the way Muon is used (Jordan et al. 2024), through
        ``optim.partition`` when that exists. Otherwise ``init``'s error is raised.
        """
        factory = optim.OPTIMIZERS[self.factory]
        opt = factory(lr=schedule_for(schedule, lr, steps), **self.kwargs)
        if params is None:
            return opt
        try:
            opt.init(params)
        except ValueError:
            partition = getattr(optim, "partition", None)
            if partition is None:
                raise
            last = max(i for i, p in enumerate(params) if np.ndim(p) == 2)
            labels = ["main" if np.ndim(p) == 2 and i != last else "partner"
                      for i, p in enumerate(params)]
            partner = optim.adamw(lr=schedule_for(schedule, PARTNER_LR, steps))
            opt = partition({"main": opt, "partner": partner}, labels)
            opt.init(params)
        return opt


def _default_lr(factory: Callable) -> float | None:
    try:
        default = inspect.signature(factory).parameters["lr"].default
    except (KeyError, TypeError, ValueError):
        return None
    ok = isinstance(default, numbers.Real) and not isinstance(default, bool)
    return float(default) if ok and default > 0 else None


def candidates(names: list[str] | None = None) -> list[Candidate]:
    """The optimizers of the comparison: every registered one, at run time.

    In the order of :data:`descent.optim.OPTIMIZERS`, each variant of
    :data:`VARIANTS` right after its base. ``names`` keeps only those (in the
    given order); an unknown name raises ``ValueError`` listing the known ones.
    """
    found: list[Candidate] = []
    for key in optim.OPTIMIZERS:
        variants = [v for v, (base, after) in VARIANTS.items() if after == key
                    and base in optim.OPTIMIZERS]
        for name in [key, *variants]:
            base = VARIANTS[name][0] if name in VARIANTS else name
            centre, source = USUAL_LR.get(name), "usual rate"
            if centre is None:
                centre, source = _default_lr(optim.OPTIMIZERS[base]), "factory default"
            if centre is None:
                centre, source = 1e-2, "no default: 1e-2"
            found.append(Candidate(name, base, centre, source, FIXED.get(name, {})))
    if names is None:
        return found
    by_name = {c.name: c for c in found}
    unknown = [n for n in names if n not in by_name]
    if unknown:
        raise ValueError(f"unknown optimizers {unknown}; registered: {list(by_name)}")
    return [by_name[n] for n in names]
