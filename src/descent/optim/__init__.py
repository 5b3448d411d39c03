"""Optimizers as pure ``init``/``step`` pairs, numpy only.

Each factory (``sgd``, ``momentum``, ``adagrad``, ``rmsprop``, ``adam``,
``adamw``, and Adam's relatives ``rprop``, ``adadelta``, ``adamax``, ``nadam``,
``radam``) returns an :class:`Optimizer`::

    opt = adam(lr=1e-3)
    state = opt.init(params)                          # ndarray or list of ndarrays
    params, state = opt.step(params, grads, state)    # nothing modified in place

``OPTIMIZERS`` maps each optimizer's name to its factory, so that
``OPTIMIZERS[opt.name](**opt.hyper)`` rebuilds ``opt``.
"""

from ._base import Optimizer, evaluation_point
from .adadelta import AdadeltaState, adadelta
from .adagrad import AdagradState, adagrad
from .adam import AdamState, adam, adamw
from .adamax import AdamaxState, adamax
from .clip import (
    clip_by_global_norm,
    clip_by_value,
    clip_grads_by_global_norm,
    clip_grads_by_value,
    global_norm,
)
from .memory import param_bytes, state_bytes
from .momentum import MomentumState, momentum
from .nadam import NAdamState, nadam
from .radam import RAdamState, radam
from .rmsprop import RMSpropState, rmsprop
from .rprop import RpropState, rprop
from .sgd import SGDState, sgd

# isort: split
# beyond Adam (chapter 10)
from .adafactor import AdafactorState, adafactor
from .combine import PartitionState, partition, reshaped
from .lion import LionState, lion
from .muon import MuonState, muon, newton_schulz
from .schedule_free import ScheduleFreeState, schedule_free_adamw, schedule_free_sgd

OPTIMIZERS = {
    "sgd": sgd,
    "momentum": momentum,
    "adagrad": adagrad,
    "rmsprop": rmsprop,
    "adam": adam,
    "adamw": adamw,
    "rprop": rprop,
    "adadelta": adadelta,
    "adamax": adamax,
    "nadam": nadam,
    "radam": radam,
}
OPTIMIZERS.update(
    lion=lion,
    adafactor=adafactor,
    muon=muon,
    schedule_free_sgd=schedule_free_sgd,
    schedule_free_adamw=schedule_free_adamw,
)

__all__ = [
    "OPTIMIZERS",
    "AdagradState",
    "AdamState",
    "MomentumState",
    "Optimizer",
    "RMSpropState",
    "SGDState",
    "adagrad",
    "adam",
    "adamw",
    "clip_by_global_norm",
    "clip_by_value",
    "clip_grads_by_global_norm",
    "clip_grads_by_value",
    "global_norm",
    "momentum",
    "rmsprop",
    "sgd",
    "AdadeltaState",
    "AdamaxState",
    "NAdamState",
    "RAdamState",
    "RpropState",
    "adadelta",
    "adamax",
    "nadam",
    "radam",
    "rprop",
]
__all__ += [
    "AdafactorState",
    "LionState",
    "MuonState",
    "PartitionState",
    "ScheduleFreeState",
    "adafactor",
    "evaluation_point",
    "lion",
    "muon",
    "newton_schulz",
    "param_bytes",
    "partition",
    "reshaped",
    "schedule_free_adamw",
    "schedule_free_sgd",
    "state_bytes",
]
