"""Loss × k, for every optimizer: the exact identities of ``descent.amp``.

Multiplying the loss by k > 0 multiplies every gradient by k. For each optimizer
``descent.amp.loss_scale_equivalent(opt, k)`` names the optimizer that takes, on
the unscaled loss, exactly the steps ``opt`` takes on k·L (SGD and momentum:
lr × k and weight_decay ÷ k; Adagrad: eps ÷ k and initial_accumulator ÷ k²;
RMSprop: eps ÷ k, or ÷ k² inside the root; Adam: eps ÷ k, L2 weight_decay ÷ k;
AdamW: eps ÷ k, decoupled decay untouched; clipping: threshold ÷ k).

``ROWS`` is the table the tests run over: one row per optimizer setting. A new
optimizer adds a row (``test_every_optimizer_has_a_row`` fails until it does) and
its rule to ``descent.amp.LOSS_SCALE_RULES``. Each row is checked

* bit for bit when k is a power of two (then every product by k is exact),
  in closed loop on the least-squares line fit of chapter 1 (full batch and
  minibatches) and in open loop on a fixed sequence of gradients;
* to 1e-12 for other k (0.001, 0.1, 3, 10, 100), in open loop.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import pytest
from numpy.testing import assert_array_equal

from descent.amp import LOSS_SCALE_RULES, loss_scale_equivalent, loss_scale_rule
from descent.optim import (
    OPTIMIZERS,
    adadelta,
    adagrad,
    adam,
    adamax,
    adamw,
    clip_by_global_norm,
    clip_by_value,
    momentum,
    nadam,
    radam,
    rmsprop,
    rprop,
    sgd,
)
from descent.regression import line_fit
from descent.run import run


class Row(NamedTuple):
    id: str
    opt: object  # a descent.optim Optimizer
    rule: str  # what loss × k equals, as the closing table states it


ROWS = [
    Row("sgd", sgd(0.002), "lr × k"),
    Row("sgd+wd", sgd(0.002, weight_decay=0.05), "lr × k, weight_decay ÷ k"),
    Row("heavy_ball", momentum(0.002, 0.9, form="heavy_ball"), "lr × k"),
    Row("heavy_ball+nesterov+wd",
        momentum(0.002, 0.9, form="heavy_ball", nesterov=True, weight_decay=0.05),
        "lr × k, weight_decay ÷ k"),
    Row("heavy_ball+dampening",
        momentum(0.002, 0.9, form="heavy_ball", dampening=0.5), "lr × k"),
    Row("ema", momentum(0.01, 0.9), "lr × k"),
    Row("ema+nesterov+wd", momentum(0.01, 0.9, nesterov=True, weight_decay=0.1),
        "lr × k, weight_decay ÷ k"),
    Row("adagrad", adagrad(0.1, eps=1e-3, initial_accumulator=0.1),
        "eps ÷ k, initial_accumulator ÷ k²"),
    Row("adagrad+lr_decay+wd",
        adagrad(0.1, eps=1e-3, lr_decay=0.01, weight_decay=0.05),
        "eps ÷ k, weight_decay ÷ k"),
    Row("rmsprop", rmsprop(0.01, eps=1e-3), "eps ÷ k"),
    Row("rmsprop+eps_inside", rmsprop(0.01, eps=1e-6, eps_inside_sqrt=True),
        "eps ÷ k²"),
    Row("rmsprop+centered+momentum+wd",
        rmsprop(0.003, eps=1e-3, centered=True, momentum=0.5, weight_decay=0.05),
        "eps ÷ k, weight_decay ÷ k"),
    Row("adam", adam(0.05, eps=1e-3), "eps ÷ k"),
    Row("adam+amsgrad+wd", adam(0.05, eps=1e-3, amsgrad=True, weight_decay=0.05),
        "eps ÷ k, weight_decay ÷ k"),
    Row("adamw", adamw(0.05, eps=1e-3, weight_decay=0.1), "eps ÷ k"),
    Row("sgd+clip_norm", clip_by_global_norm(sgd(0.002), 0.5), "lr × k, max_norm ÷ k"),
    Row("adam+clip_value", clip_by_value(adam(0.05, eps=1e-3), 0.3),
        "eps ÷ k, max_value ÷ k"),
    # Adam's relatives: Rprop sees only signs; Adadelta's steps carry the units
    # of its past steps (lr × k, eps ÷ k² in both roots); RAdam's equivalent also
    # has lr × k for its first steps (ρ_t ≤ 5), which are momentum SGD
    Row("rprop", rprop(0.01), ""),
    Row("rprop+etas+step_sizes", rprop(0.01, etas=(0.3, 1.5), step_sizes=(1e-4, 1.0)),
        ""),
    Row("adadelta", adadelta(), "lr × k, eps ÷ k²"),
    Row("adadelta+wd", adadelta(0.5, rho=0.95, eps=1e-4, weight_decay=0.05),
        "lr × k, eps ÷ k², weight_decay ÷ k"),
    Row("adamax", adamax(0.05, eps=1e-3), "eps ÷ k"),
    Row("adamax+wd", adamax(0.05, eps=1e-3, weight_decay=0.05),
        "eps ÷ k, weight_decay ÷ k"),
    Row("nadam", nadam(0.05, eps=1e-3), "eps ÷ k"),
    Row("nadam+wd", nadam(0.05, eps=1e-3, weight_decay=0.05),
        "eps ÷ k, weight_decay ÷ k"),
    Row("nadam+decoupled_wd",
        nadam(0.05, eps=1e-3, weight_decay=0.1, decoupled_weight_decay=True),
        "eps ÷ k"),
    Row("radam", radam(0.05, eps=1e-3), "eps ÷ k"),
    Row("radam+wd", radam(0.05, eps=1e-3, weight_decay=0.05),
        "eps ÷ k, weight_decay ÷ k"),
]
IDS = [r.id for r in ROWS]
POWERS_OF_TWO = [2.0**-10, 0.125, 2.0, 2.0**7]
OTHER_K = [1e-3, 0.1, 3.0, 10.0, 100.0]
STEPS = 300

FIT = line_fit(rng=np.random.default_rng(8))


def open_loop(opt, grads, start):
    """Iterates of ``opt`` fed the fixed gradient sequence ``grads``."""
    params, state, out = start, opt.init(start), [start]
    for g in grads:
        params, state = opt.step(params, g, state)
        out.append(params)
    return np.array(out)


def gradient_sequence(seed: int = 5) -> np.ndarray:
    """STEPS gradients in 3 coordinates whose sizes span six orders of magnitude."""
    rng = np.random.default_rng(seed)
    size = 10.0 ** rng.uniform(-4, 2, size=(STEPS, 1))
    return size * rng.standard_normal((STEPS, 3))


def _rule_text(rule: dict[str, int]) -> str:
    words = {1: "× k", -1: "÷ k", -2: "÷ k²"}
    return ", ".join(f"{name} {words[p]}" for name, p in rule.items())


def test_every_optimizer_has_a_row():
    families = {r.opt.name.split("+")[0] for r in ROWS}
    assert set(OPTIMIZERS) <= families
    assert set(OPTIMIZERS) <= set(LOSS_SCALE_RULES)


@pytest.mark.parametrize("row", ROWS, ids=IDS)
def test_each_row_states_the_rule_of_the_library(row):
    # the hyperparameters that are set (non-zero) are the ones the rule moves
    rule = loss_scale_rule(row.opt)
    used = {k: p for k, p in rule.items() if row.opt.hyper.get(k)}
    assert row.rule == _rule_text(used)


@pytest.mark.parametrize("k", POWERS_OF_TWO)
@pytest.mark.parametrize("row", ROWS, ids=IDS)
def test_loss_times_k_is_bit_exact_for_powers_of_two_in_closed_loop(row, k):
    scaled = run(row.opt, FIT.scaled(k), steps=STEPS, bound=np.inf)
    same = run(loss_scale_equivalent(row.opt, k), FIT, steps=STEPS, bound=np.inf)
    assert not scaled.diverged
    assert np.abs(scaled.params[-1] - scaled.params[0]).max() > 1e-3  # it moved
    assert_array_equal(scaled.params, same.params)


@pytest.mark.parametrize("k", [2.0**-3, 2.0**5])
@pytest.mark.parametrize("row", ROWS, ids=IDS)
def test_loss_times_k_is_bit_exact_on_minibatches(row, k):
    # the same seed draws the same samples: the sum-vs-mean question with k = B
    scaled = run(row.opt, FIT.scaled(k).minibatch(4, np.random.default_rng(3)),
                 steps=STEPS, bound=np.inf)
    same = run(loss_scale_equivalent(row.opt, k),
               FIT.minibatch(4, np.random.default_rng(3)), steps=STEPS, bound=np.inf)
    assert_array_equal(scaled.params, same.params)


@pytest.mark.parametrize("k", POWERS_OF_TWO)
@pytest.mark.parametrize("row", ROWS, ids=IDS)
def test_loss_times_k_is_bit_exact_for_powers_of_two_in_open_loop(row, k):
    grads = gradient_sequence()
    start = np.array([1.0, -2.0, 0.5])
    assert_array_equal(open_loop(row.opt, k * grads, start),
                       open_loop(loss_scale_equivalent(row.opt, k), grads, start))


@pytest.mark.parametrize("k", OTHER_K)
@pytest.mark.parametrize("row", ROWS, ids=IDS)
def test_loss_times_k_holds_to_1e_12_for_any_k(row, k):
    grads = gradient_sequence()
    start = np.array([1.0, -2.0, 0.5])
    scaled = open_loop(row.opt, k * grads, start)
    same = open_loop(loss_scale_equivalent(row.opt, k), grads, start)
    assert np.abs(scaled - start).max() > 1e-3
    assert np.abs(scaled - same).max() <= 1e-12


def _with_lr(opt, lr):
    """``opt`` rebuilt with another learning rate (clipping kept)."""
    base, *wrappers = opt.name.split("+")
    hyper = {n: v for n, v in opt.hyper.items() if n not in ("max_norm", "max_value")}
    out = OPTIMIZERS[base](**{**hyper, "lr": lr})
    for w in wrappers:
        out = (clip_by_global_norm(out, opt.hyper["max_norm"]) if w == "clip_norm"
               else clip_by_value(out, opt.hyper["max_value"]))
    return out


ADAPTIVE = [r for r in ROWS if "lr" not in loss_scale_rule(r.opt)]


@pytest.mark.parametrize("row", ADAPTIVE, ids=[r.id for r in ADAPTIVE])
def test_for_adaptive_methods_loss_times_k_is_not_lr_times_k(row):
    k = 0.125
    grads = gradient_sequence()
    start = np.array([1.0, -2.0, 0.5])
    scaled = open_loop(row.opt, k * grads, start)
    naive = open_loop(_with_lr(row.opt, row.opt.hyper["lr"] * k), grads, start)
    assert np.abs(scaled - naive).max() > 1e-2


def test_rules_by_hand():
    eq = loss_scale_equivalent(adagrad(0.1, eps=1e-3, initial_accumulator=0.1), 2.0)
    assert eq.hyper["eps"] == 5e-4 and eq.hyper["initial_accumulator"] == 0.025
    eq = loss_scale_equivalent(rmsprop(0.01, eps=1e-6, eps_inside_sqrt=True), 10.0)
    assert eq.hyper["eps"] == pytest.approx(1e-8, rel=1e-15)
    eq = loss_scale_equivalent(adamw(0.05, eps=1e-8, weight_decay=0.1), 0.1)
    assert eq.hyper["weight_decay"] == 0.1 and eq.hyper["lr"] == 0.05
    eq = loss_scale_equivalent(sgd(0.1, weight_decay=0.05), 0.1)
    assert eq.hyper["lr"] == pytest.approx(0.01) and eq.hyper["weight_decay"] == 0.5
    eq = loss_scale_equivalent(clip_by_global_norm(adam(0.1), 1.0), 2.0**16)
    assert eq.name == "adam+clip_norm" and eq.hyper["max_norm"] == 2.0**-16


def test_a_schedule_for_lr_is_scaled_too():
    eq = loss_scale_equivalent(sgd(0.1), 4.0)
    assert eq.hyper["lr"] == 0.4
    from descent.amp import _times_power

    schedule = _times_power(lambda t: 0.1 / t, 4.0, 1)
    assert schedule(2) == 0.2


@pytest.mark.parametrize("k", [0.0, -1.0, float("inf"), float("nan"), "2", True])
def test_bad_k_raises_naming_it(k):
    with pytest.raises(ValueError, match="k must be"):
        loss_scale_equivalent(sgd(0.1), k)


def test_an_optimizer_without_a_rule_is_refused():
    opt = sgd(0.1)
    stranger = type(opt)("lion", opt.init, opt.step, {"lr": 0.1})
    with pytest.raises(ValueError, match="LOSS_SCALE_RULES"):
        loss_scale_equivalent(stranger, 2.0)


def test_radams_first_steps_need_lr_times_k():
    # ρ_t ≤ 5 for t ≤ 5 (β2 = 0.999): those steps of the equivalent use k·lr
    eq = loss_scale_equivalent(radam(0.05, eps=1e-3), 4.0)
    assert [eq.hyper["lr"](t) for t in range(7)] == [0.2] * 5 + [0.05] * 2
    assert eq.hyper["eps"] == 2.5e-4


def test_radam_with_decoupled_weight_decay_has_no_equivalent():
    opt = radam(0.05, weight_decay=0.1, decoupled_weight_decay=True)
    with pytest.raises(ValueError, match="radam with decoupled weight decay"):
        loss_scale_equivalent(opt, 2.0)
    assert loss_scale_equivalent(opt, 1.0).hyper["weight_decay"] == 0.1
