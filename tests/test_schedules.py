"""Learning-rate schedules: the same rates as torch.optim.lr_scheduler, and
optimizers driven by them take the same steps as torch's optimizer + scheduler.

A schedule is a function of t = 0, 1, 2…, the number of optimizer steps already
taken; torch's rate after t calls of ``scheduler.step()`` (each after an
``optimizer.step()``) must equal ``schedule(t)`` to 1e-12 for at least 1000 steps,
with every torch scheduler left at its defaults (``last_epoch=-1``).
``benchmarks/bench_schedules.py`` prints the measured errors of this table.
"""

from __future__ import annotations

import math
import re
import warnings
from collections.abc import Callable
from typing import Any, NamedTuple

import numpy as np
import pytest
import torch
from numpy.testing import assert_allclose, assert_array_equal
from test_parity import make_problem

from descent import schedules as S
from descent.optim import (
    OPTIMIZERS,
    adadelta,
    adagrad,
    adam,
    adamax,
    adamw,
    momentum,
    radam,
    rmsprop,
    rprop,
    sgd,
)

LRS = torch.optim.lr_scheduler
RATE_STEPS = 1200
RATE_ATOL = 1e-12
TRAJ_STEPS = 500
TRAJ_ATOL = 1e-10
SEED = 1951


class RateCase(NamedTuple):
    id: str
    ours: S.Schedule
    lr: float  # the torch optimizer's lr
    torch: Callable[[torch.optim.Optimizer], Any]
    steps: int = RATE_STEPS


def _warm(W):  # a linear warm-up of W steps: step s + 1 uses lr (s + 1) / W
    return lambda o: LRS.LinearLR(o, start_factor=1 / W, end_factor=1.0,
                                  total_iters=W - 1)


# fmt: off
RATE_CASES = [
    RateCase("constant-default", S.constant_lr(0.1), 0.1, lambda o: LRS.ConstantLR(o)),
    RateCase("constant-0.5-100", S.constant_lr(1.0, factor=0.5, total_iters=100), 1.0,
             lambda o: LRS.ConstantLR(o, factor=0.5, total_iters=100)),
    RateCase("constant-0.1-1", S.constant_lr(0.3, factor=0.1, total_iters=1), 0.3,
             lambda o: LRS.ConstantLR(o, factor=0.1, total_iters=1)),
    RateCase("linear-default", S.linear_lr(0.1), 0.1, lambda o: LRS.LinearLR(o)),
    RateCase("linear-warmup-500", S.linear_lr(1.0, 0.01, 1.0, 500), 1.0,
             lambda o: LRS.LinearLR(o, 0.01, 1.0, 500)),
    RateCase("linear-decay-to-0", S.linear_lr(0.5, 1.0, 0.0, 1000), 0.5,
             lambda o: LRS.LinearLR(o, 1.0, 0.0, 1000)),
    RateCase("linear-0.5-0.1-300", S.linear_lr(1.0, 0.5, 0.1, 300), 1.0,
             lambda o: LRS.LinearLR(o, 0.5, 0.1, 300)),
    RateCase("step-30-0.1", S.step_lr(1.0, 30), 1.0, lambda o: LRS.StepLR(o, 30)),
    RateCase("step-250-0.5", S.step_lr(0.1, 250, 0.5), 0.1,
             lambda o: LRS.StepLR(o, 250, 0.5)),
    RateCase("step-1-0.995", S.step_lr(1.0, 1, 0.995), 1.0,
             lambda o: LRS.StepLR(o, 1, 0.995)),
    RateCase("multistep-300-600-900", S.multi_step_lr(1.0, [300, 600, 900]), 1.0,
             lambda o: LRS.MultiStepLR(o, [300, 600, 900])),
    RateCase("multistep-0-10", S.multi_step_lr(0.2, [0, 10], 0.5), 0.2,
             lambda o: LRS.MultiStepLR(o, [0, 10], 0.5)),
    RateCase("multistep-1-2-3-500", S.multi_step_lr(1.0, [1, 2, 3, 500], 0.9), 1.0,
             lambda o: LRS.MultiStepLR(o, [1, 2, 3, 500], 0.9)),
    RateCase("exponential-0.99", S.exponential_lr(1.0, 0.99), 1.0,
             lambda o: LRS.ExponentialLR(o, 0.99)),
    RateCase("exponential-0.999", S.exponential_lr(0.1, 0.999), 0.1,
             lambda o: LRS.ExponentialLR(o, 0.999)),
    RateCase("exponential-range-test", S.exponential_lr(1e-6, 1.012), 1e-6,
             lambda o: LRS.ExponentialLR(o, 1.012)),
    RateCase("polynomial-default", S.polynomial_lr(0.1), 0.1,
             lambda o: LRS.PolynomialLR(o)),
    RateCase("polynomial-1000-2", S.polynomial_lr(1.0, 1000, 2.0), 1.0,
             lambda o: LRS.PolynomialLR(o, 1000, 2.0)),
    RateCase("polynomial-500-0.5", S.polynomial_lr(1.0, 500, 0.5), 1.0,
             lambda o: LRS.PolynomialLR(o, 500, 0.5)),
    RateCase("cosine-1000", S.cosine_annealing_lr(1.0, 1000), 1.0,
             lambda o: LRS.CosineAnnealingLR(o, 1000)),
    RateCase("cosine-100-eta-min", S.cosine_annealing_lr(1.0, 100, 0.01), 1.0,
             lambda o: LRS.CosineAnnealingLR(o, 100, 0.01)),
    RateCase("cosine-333-eta-min", S.cosine_annealing_lr(0.1, 333, 1e-3), 0.1,
             lambda o: LRS.CosineAnnealingLR(o, 333, 1e-3)),
    RateCase("cosine-7", S.cosine_annealing_lr(0.5, 7), 0.5,
             lambda o: LRS.CosineAnnealingLR(o, 7)),
    RateCase("lambda-1/t", S.lambda_lr(1.0, lambda t: 100 / (100 + t)), 1.0,
             lambda o: LRS.LambdaLR(o, lambda t: 100 / (100 + t))),
    RateCase("restarts-100", S.cosine_annealing_warm_restarts(1.0, 100), 1.0,
             lambda o: LRS.CosineAnnealingWarmRestarts(o, 100)),
    RateCase("restarts-10-x2-eta-min",
             S.cosine_annealing_warm_restarts(1.0, 10, 2, 1e-3), 1.0,
             lambda o: LRS.CosineAnnealingWarmRestarts(o, 10, 2, 1e-3)),
    RateCase("restarts-50-x3-eta-min",
             S.cosine_annealing_warm_restarts(0.1, 50, 3, 0.01), 0.1,
             lambda o: LRS.CosineAnnealingWarmRestarts(o, 50, 3, 0.01)),
    RateCase("restarts-1-x2", S.cosine_annealing_warm_restarts(1.0, 1, 2), 1.0,
             lambda o: LRS.CosineAnnealingWarmRestarts(o, 1, 2)),
    RateCase("one-cycle-default", S.one_cycle_lr(1.0, 1200), 0.1,
             lambda o: LRS.OneCycleLR(o, 1.0, 1200, cycle_momentum=False), 1201),
    RateCase("one-cycle-linear", S.one_cycle_lr(0.5, 1100, anneal_strategy="linear"),
             0.1, lambda o: LRS.OneCycleLR(o, 0.5, 1100, anneal_strategy="linear",
                                            cycle_momentum=False), 1100),
    RateCase("one-cycle-three-phase", S.one_cycle_lr(1.0, 1000, three_phase=True),
             0.1, lambda o: LRS.OneCycleLR(o, 1.0, 1000, three_phase=True,
                                            cycle_momentum=False), 1001),
    RateCase("one-cycle-three-phase-linear",
             S.one_cycle_lr(1.0, 1000, pct_start=0.25, anneal_strategy="linear",
                            three_phase=True), 0.1,
             lambda o: LRS.OneCycleLR(o, 1.0, 1000, pct_start=0.25,
                                      anneal_strategy="linear", three_phase=True,
                                      cycle_momentum=False), 1000),
    RateCase("one-cycle-epochs-divs",
             S.one_cycle_lr(1.0, epochs=10, steps_per_epoch=120, pct_start=0.1,
                            div_factor=10.0, final_div_factor=100.0), 0.1,
             lambda o: LRS.OneCycleLR(o, 1.0, epochs=10, steps_per_epoch=120,
                                      pct_start=0.1, div_factor=10.0,
                                      final_div_factor=100.0, cycle_momentum=False),
             1201),
    RateCase("sequential-warmup-cosine",
             S.sequential_lr([S.linear_lr(1.0, 0.01, 1.0, 99),
                              S.cosine_annealing_lr(1.0, 1100)], [100]), 1.0,
             lambda o: LRS.SequentialLR(o, [LRS.LinearLR(o, 0.01, 1.0, 99),
                                            LRS.CosineAnnealingLR(o, 1100)], [100])),
    RateCase("sequential-three",
             S.sequential_lr([S.constant_lr(0.1, 0.1, 50), S.exponential_lr(0.1, 0.995),
                              S.step_lr(0.1, 100, 0.5)], [50, 400]), 0.1,
             lambda o: LRS.SequentialLR(o, [LRS.ConstantLR(o, 0.1, 50),
                                            LRS.ExponentialLR(o, 0.995),
                                            LRS.StepLR(o, 100, 0.5)], [50, 400])),
    RateCase("sequential-restarts-polynomial",
             S.sequential_lr([S.cosine_annealing_warm_restarts(1.0, 60, 2),
                              S.polynomial_lr(1.0, 700, 2.0)], [420]), 1.0,
             lambda o: LRS.SequentialLR(
                 o, [LRS.CosineAnnealingWarmRestarts(o, 60, 2),
                     LRS.PolynomialLR(o, 700, 2.0)], [420])),
    RateCase("chained-constant-exponential",
             S.chained_scheduler([S.constant_lr(1.0, 0.1, 50),
                                  S.exponential_lr(1.0, 0.999)]), 1.0,
             lambda o: LRS.ChainedScheduler([LRS.ConstantLR(o, 0.1, 50),
                                             LRS.ExponentialLR(o, 0.999)])),
    RateCase("chained-linear-step-multistep",
             S.chained_scheduler([S.linear_lr(0.5, 0.1, 1.0, 100),
                                  S.step_lr(0.5, 200, 0.5),
                                  S.multi_step_lr(0.5, [300, 700], 0.3)]), 0.5,
             lambda o: LRS.ChainedScheduler([LRS.LinearLR(o, 0.1, 1.0, 100),
                                             LRS.StepLR(o, 200, 0.5),
                                             LRS.MultiStepLR(o, [300, 700], 0.3)])),
    RateCase("wsd-linear",
             S.warmup_stable_decay(1.0, 1200, warmup_steps=100, decay_steps=240), 1.0,
             lambda o: LRS.SequentialLR(o, [_warm(100)(o), LRS.ConstantLR(o, 1.0),
                                            LRS.LinearLR(o, 1.0, 0.0, 240)],
                                        [100, 960])),
    RateCase("wsd-cosine-min-lr",
             S.warmup_stable_decay(0.1, 1200, 50, 300, min_lr=1e-3, decay="cosine"),
             0.1, lambda o: LRS.SequentialLR(
                 o, [_warm(50)(o), LRS.ConstantLR(o, 1.0),
                     LRS.CosineAnnealingLR(o, 300, 1e-3)], [50, 900])),
    RateCase("wsd-no-warmup",
             S.warmup_stable_decay(1.0, 1200, 0, 120, min_lr=0.1), 1.0,
             lambda o: LRS.SequentialLR(o, [LRS.ConstantLR(o, 1.0),
                                            LRS.LinearLR(o, 1.0, 0.1, 120)], [1080])),
    RateCase("wsd-1-sqrt",
             S.warmup_stable_decay(1.0, 1200, 100, 400, decay="1-sqrt"), 1.0,
             lambda o: LRS.LambdaLR(
                 o, lambda t: (t + 1) / 100 if t < 100 else 1.0 if t < 800
                 else 1 - math.sqrt(min(t - 800, 400) / 400))),
]
# fmt: on


def torch_rates(case: RateCase) -> np.ndarray:
    """torch's rate before each of ``case.steps`` optimizer steps."""
    param = torch.zeros(1, dtype=torch.float64, requires_grad=True)
    opt = torch.optim.SGD([param], lr=case.lr)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # torch's notes on scheduler usage
        scheduler = case.torch(opt)
        rates = []
        for t in range(case.steps):
            rates.append(float(opt.param_groups[0]["lr"]))
            if t < case.steps - 1:
                opt.step()
                scheduler.step()
    return np.array(rates)


def rate_error(case: RateCase) -> float:
    ours = S.lr_curve(case.ours, case.steps)
    return float(np.max(np.abs(ours - torch_rates(case))))


@pytest.mark.parametrize("case", RATE_CASES, ids=[c.id for c in RATE_CASES])
def test_schedule_matches_torch_scheduler(case):
    assert case.steps >= 1000
    assert rate_error(case) <= RATE_ATOL


def test_every_schedule_is_compared_with_torch_in_several_settings():
    names = [c.ours.name for c in RATE_CASES]
    for name in S.SCHEDULES:
        assert names.count(name) >= (1 if name == "lambda_lr" else 2), name


# -- whole trajectories: optimizer + schedule against torch ---------------------


class TrajCase(NamedTuple):
    id: str
    ours: Any  # an Optimizer
    torch_class: type
    torch_kwargs: dict[str, Any]
    torch_scheduler: Callable[[torch.optim.Optimizer], Any]


def _cos(o):
    return LRS.CosineAnnealingLR(o, 400, 1e-4)


SGD, Adam, AdamW = torch.optim.SGD, torch.optim.Adam, torch.optim.AdamW
HB = "heavy_ball"
WARM_COS = S.sequential_lr([S.linear_lr(0.05, 0.02, 1.0, 49),
                            S.cosine_annealing_lr(0.05, 450)], [50])

# fmt: off
TRAJ_CASES = [
    TrajCase("sgd-exponential", sgd(S.exponential_lr(0.1, 0.995)), SGD, dict(lr=0.1),
             lambda o: LRS.ExponentialLR(o, 0.995)),
    TrajCase("heavy-ball-cosine",
             momentum(S.cosine_annealing_lr(0.02, 400, 1e-4), 0.9, form=HB),
             SGD, dict(lr=0.02, momentum=0.9), _cos),
    TrajCase("heavy-ball-step-wd",
             momentum(S.step_lr(0.02, 100, 0.3), 0.9, form=HB, weight_decay=0.01),
             SGD, dict(lr=0.02, momentum=0.9, weight_decay=0.01),
             lambda o: LRS.StepLR(o, 100, 0.3)),
    TrajCase("nesterov-one-cycle",
             momentum(S.one_cycle_lr(0.05, 500), 0.9, form=HB, nesterov=True),
             SGD, dict(lr=0.05, momentum=0.9, nesterov=True),
             lambda o: LRS.OneCycleLR(o, 0.05, 500, cycle_momentum=False)),
    TrajCase("adagrad-restarts", adagrad(S.cosine_annealing_warm_restarts(0.5, 50, 2)),
             torch.optim.Adagrad, dict(lr=0.5),
             lambda o: LRS.CosineAnnealingWarmRestarts(o, 50, 2)),
    TrajCase("rmsprop-multistep", rmsprop(S.multi_step_lr(0.01, [150, 300])),
             torch.optim.RMSprop, dict(lr=0.01, alpha=0.9),
             lambda o: LRS.MultiStepLR(o, [150, 300])),
    TrajCase("adam-warmup-cosine", adam(WARM_COS), Adam, dict(lr=0.05),
             lambda o: LRS.SequentialLR(o, [LRS.LinearLR(o, 0.02, 1.0, 49),
                                            LRS.CosineAnnealingLR(o, 450)], [50])),
    TrajCase("adam-wsd-amsgrad",
             adam(S.warmup_stable_decay(0.03, 500, 50, 100), amsgrad=True),
             Adam, dict(lr=0.03, amsgrad=True),
             lambda o: LRS.SequentialLR(o, [_warm(50)(o), LRS.ConstantLR(o, 1.0),
                                            LRS.LinearLR(o, 1.0, 0.0, 100)],
                                        [50, 400])),
    TrajCase("adamw-cosine-wd",
             adamw(S.cosine_annealing_lr(0.02, 500), weight_decay=0.5),
             AdamW, dict(lr=0.02, weight_decay=0.5),
             lambda o: LRS.CosineAnnealingLR(o, 500)),
    TrajCase("adamw-one-cycle", adamw(S.one_cycle_lr(0.05, 500, three_phase=True),
                                      weight_decay=0.1),
             AdamW, dict(lr=0.05, weight_decay=0.1),
             lambda o: LRS.OneCycleLR(o, 0.05, 500, three_phase=True,
                                      cycle_momentum=False)),
    # Rprop reads lr only when its state is created: later rates change nothing
    TrajCase("rprop-cosine", rprop(S.cosine_annealing_lr(0.05, 500)),
             torch.optim.Rprop, dict(lr=0.05), lambda o: LRS.CosineAnnealingLR(o, 500)),
    TrajCase("adadelta-step", adadelta(S.step_lr(1.0, 100, 0.3)),
             torch.optim.Adadelta, dict(lr=1.0), lambda o: LRS.StepLR(o, 100, 0.3)),
    TrajCase("adamax-exponential", adamax(S.exponential_lr(0.02, 0.995)),
             torch.optim.Adamax, dict(lr=0.02), lambda o: LRS.ExponentialLR(o, 0.995)),
    TrajCase("radam-decoupled-cosine",
             radam(S.cosine_annealing_lr(0.02, 500), weight_decay=0.5,
                   decoupled_weight_decay=True),
             torch.optim.RAdam, dict(lr=0.02, weight_decay=0.5,
                                     decoupled_weight_decay=True),
             lambda o: LRS.CosineAnnealingLR(o, 500)),
]
# fmt: on


def run_trajectory(case: TrajCase, steps: int = TRAJ_STEPS) -> float:
    """Ours and torch's side by side on the noisy quadratic of test_parity; the
    largest |θ_ours − θ_torch| over all steps."""
    problem = make_problem(np.random.default_rng(SEED), steps)
    tensor = torch.tensor(problem.theta0, dtype=torch.float64, requires_grad=True)
    opt_t = case.torch_class([tensor], **case.torch_kwargs)
    theta, state = problem.theta0.copy(), case.ours.init(problem.theta0)
    err = 0.0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        scheduler = case.torch_scheduler(opt_t)
        for step in range(steps):
            theta, state = case.ours.step(theta, problem.grad(theta, step), state)
            g = problem.grad(tensor.detach().numpy(), step)
            tensor.grad = torch.from_numpy(g.copy())
            opt_t.step()
            scheduler.step()
            err = max(err, float(np.max(np.abs(theta - tensor.detach().numpy()))))
    return err


@pytest.mark.parametrize("case", TRAJ_CASES, ids=[c.id for c in TRAJ_CASES])
def test_scheduled_optimizer_matches_torch_optimizer_and_scheduler(case):
    assert run_trajectory(case) <= TRAJ_ATOL


def test_the_schedules_move_the_rate_in_the_trajectory_tests():
    # a parity test with a schedule that barely changes the rate would prove little
    for case in TRAJ_CASES:
        rates = S.lr_curve(case.ours.hyper["lr"], TRAJ_STEPS)
        assert rates.max() >= 3 * rates.min(), case.id


def test_adamw_decay_uses_the_scheduled_rate():
    # zero gradients: only the decay acts, θ ← (1 − η_t λ) θ with η_t the schedule's
    sched = S.step_lr(0.1, 1, 0.5)  # 0.1, 0.05, 0.025
    opt = adamw(sched, weight_decay=2.0)
    theta, state = np.array([1.0]), opt.init(np.zeros(1))
    for _ in range(3):
        theta, state = opt.step(theta, np.zeros(1), state)
    assert_allclose(theta, [(1 - 0.2) * (1 - 0.1) * (1 - 0.05)], rtol=1e-15)


# -- every optimizer accepts a schedule --------------------------------------------


@pytest.mark.parametrize("name", OPTIMIZERS)
def test_a_constant_schedule_steps_exactly_like_the_number(name):
    rng = np.random.default_rng(3)
    by_number = OPTIMIZERS[name](lr=0.05)
    by_schedule = OPTIMIZERS[name](lr=lambda t: 0.05)
    a = b = rng.standard_normal(4)
    sa, sb = by_number.init(a), by_schedule.init(b)
    for _ in range(20):
        g = rng.standard_normal(4)
        a, sa = by_number.step(a, g, sa)
        b, sb = by_schedule.step(b, g, sb)
    assert_array_equal(a, b)


@pytest.mark.parametrize("name", OPTIMIZERS)
def test_step_t_uses_the_rate_after_t_minus_one_steps(name):
    # a rate of 0 at one step freezes SGD-like optimizers exactly there
    seen = []

    def rate(t):
        seen.append(t)
        return 0.1

    opt = OPTIMIZERS[name](lr=rate)
    theta, state = np.ones(3), opt.init(np.ones(3))
    seen.clear()
    for _ in range(4):
        theta, state = opt.step(theta, np.ones(3), state)
    assert seen == [0, 1, 2, 3]


@pytest.mark.parametrize("name", OPTIMIZERS)
def test_hyper_rebuilds_an_optimizer_with_a_schedule(name):
    opt = OPTIMIZERS[name](lr=S.cosine_annealing_lr(0.1, T_max=10))
    again = OPTIMIZERS[opt.name](**opt.hyper)
    rng = np.random.default_rng(2)
    a = b = rng.standard_normal(3)
    sa, sb = opt.init(a), again.init(b)
    for _ in range(12):
        g = rng.standard_normal(3)
        a, sa = opt.step(a, g, sa)
        b, sb = again.step(b, g, sb)
    assert_array_equal(a, b)


@pytest.mark.parametrize(
    "lr, message",
    [
        (lambda t: -0.1, "lr(0) must be a finite number >= 0, got -0.1"),
        (lambda t: float("nan"), "lr(0) must be a finite number >= 0, got nan"),
        (lambda t: "0.1", "lr(0) must be a finite number >= 0, got '0.1'"),
        (0.0, "lr must be > 0, got 0.0"),
    ],
    ids=["negative", "nan", "string", "zero-number"],
)
@pytest.mark.parametrize("name", OPTIMIZERS)
def test_a_bad_schedule_for_lr_raises(name, lr, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        OPTIMIZERS[name](lr=lr)


def test_a_list_of_arrays_is_stepped_with_one_rate_per_step():
    opt = adam(S.step_lr(0.1, 2, 0.5))
    params = [np.ones((2, 2)), np.ones(3)]
    state = opt.init(params)
    alone = [(p, opt.init(p)) for p in params]
    rng = np.random.default_rng(0)
    for _ in range(5):
        grads = [rng.standard_normal((2, 2)), rng.standard_normal(3)]
        params, state = opt.step(params, grads, state)
        alone = [opt.step(p, g, s) for (p, s), g in zip(alone, grads, strict=True)]
    for p, (q, _) in zip(params, alone, strict=True):
        assert_array_equal(p, q)


# -- η inside or outside the momentum buffer ------------------------------------------


def _displacements(opt, grads):
    """θ_t − θ_{t+1} for each step, with gradients that do not depend on θ."""
    theta, state = np.zeros_like(grads[0]), opt.init(np.zeros_like(grads[0]))
    out = []
    for g in grads:
        new, state = opt.step(theta, g, state)
        out.append(theta - new)
        theta = new
    return np.array(out)


def test_momentum_with_lr_inside_first_two_steps_by_hand():
    sched = S.step_lr(0.1, 1, 0.5)  # η_1 = 0.1, η_2 = 0.05
    grads = [np.array([1.0]), np.array([2.0])]
    inside = _displacements(momentum(sched, 0.9, form=HB, lr_inside=True), grads)
    outside = _displacements(momentum(sched, 0.9, form=HB), grads)
    assert_allclose(inside[:, 0], [0.1, 0.9 * 0.1 + 0.05 * 2.0], rtol=1e-15)
    assert_allclose(outside[:, 0], [0.1, 0.05 * (0.9 * 1.0 + 2.0)], rtol=1e-15)
    # the difference is β (η_1 − η_2) g_1: the inside form still carries η_1
    assert inside[1, 0] - outside[1, 0] == pytest.approx(0.9 * 0.05 * 1.0, rel=1e-14)


@pytest.mark.parametrize(
    "kwargs",
    [dict(form=HB), dict(form=HB, nesterov=True), dict(form="ema"),
     dict(form="ema", nesterov=True), dict(form=HB, dampening=0.5),
     dict(form=HB, weight_decay=0.05)],
    ids=["heavy-ball", "nesterov", "ema", "ema-nesterov", "dampening", "wd"],
)
def test_lr_inside_or_outside_coincide_for_a_constant_rate(kwargs):
    problem = make_problem(np.random.default_rng(SEED))
    inside = momentum(0.02, 0.9, lr_inside=True, **kwargs)
    outside = momentum(0.02, 0.9, **kwargs)
    a = b = problem.theta0
    sa, sb = inside.init(a), outside.init(b)
    for step in range(TRAJ_STEPS):
        a, sa = inside.step(a, problem.grad(a, step), sa)
        b, sb = outside.step(b, problem.grad(b, step), sb)
        assert np.max(np.abs(a - b)) <= 1e-12
        assert_allclose(sa.m, 0.02 * sb.m, rtol=1e-9, atol=1e-14)


@pytest.mark.parametrize(
    "sched",
    [S.step_lr(0.05, 40, 0.2), S.cosine_annealing_lr(0.05, 150),
     S.linear_lr(0.05, 0.1, 1.0, 60)],
    ids=["step", "cosine", "warmup"],
)
def test_lr_inside_differs_by_the_derived_sum_when_the_rate_changes(sched):
    # Δθ_inside_t − Δθ_outside_t = Σ_{k≤t} β^{t−k} (η_k − η_t) g_k  (heavy ball)
    beta, steps = 0.9, 200
    grads = list(np.random.default_rng(7).standard_normal((steps, 3)))
    inside = _displacements(momentum(sched, beta, form=HB, lr_inside=True), grads)
    outside = _displacements(momentum(sched, beta, form=HB), grads)
    eta = S.lr_curve(sched, steps)  # η_k of step k = 1 … steps is eta[k - 1]
    g = np.array(grads)
    predicted = np.array([
        sum(beta ** (t - k) * (eta[k] - eta[t]) * g[k] for k in range(t + 1))
        for t in range(steps)
    ])
    assert_allclose(inside - outside, predicted, atol=1e-13)
    assert np.max(np.abs(predicted)) > 1e-3  # the forms really differ


def test_after_one_drop_the_inside_form_travels_the_derived_extra_distance():
    # constant gradient g, rate η for steps 1 … s − 1, then γη from step s on:
    # extra = (1 − γ) η g · β (1 − β^{s−1}) / (1 − β) · (1 − β^{T−s+1}) / (1 − β)
    beta, eta, gamma, s, total, g = 0.9, 0.1, 0.1, 30, 120, 2.0
    sched = S.multi_step_lr(eta, [s - 1], gamma)
    grads = [np.array([g])] * total
    inside = _displacements(momentum(sched, beta, form=HB, lr_inside=True), grads)
    outside = _displacements(momentum(sched, beta, form=HB), grads)
    extra = float(np.sum(inside - outside))
    predicted = ((1 - gamma) * eta * g * beta * (1 - beta ** (s - 1)) / (1 - beta)
                 * (1 - beta ** (total - s + 1)) / (1 - beta))
    assert extra == pytest.approx(predicted, rel=1e-12)


# -- the schedules themselves ----------------------------------------------------------


def test_t_counts_steps_already_taken_and_is_checked():
    s = S.step_lr(1.0, 2, 0.5)
    assert [s(t) for t in range(4)] == [1.0, 1.0, 0.5, 0.5]
    assert s(np.int64(2)) == 0.5
    for bad in (-1, 1.5, True, "1"):
        with pytest.raises(ValueError, match=re.escape(f"t must be an integer >= 0, "
                                                       f"got {bad!r}")):
            s(bad)


def test_every_schedule_returns_python_floats():
    for case in RATE_CASES:
        assert all(type(case.ours(t)) is float for t in (0, 1, 17, 999)), case.id


def test_schedules_entry_rebuilds_the_same_schedule_and_repr_is_stable():
    for case in RATE_CASES:
        again = S.SCHEDULES[case.ours.name](**case.ours.hyper)
        assert_array_equal(S.lr_curve(again, 300), S.lr_curve(case.ours, 300))
        assert " at 0x" not in repr(case.ours)
    assert repr(S.step_lr(0.1, 30)) == "step_lr(lr=0.1, step_size=30, gamma=0.1)"
    assert repr(S.sequential_lr([S.constant_lr(0.1), S.exponential_lr(0.1, 0.9)],
                                [5])) == (
        "sequential_lr(schedules=[constant_lr(lr=0.1, factor=0.3333333333333333, "
        "total_iters=5), exponential_lr(lr=0.1, gamma=0.9)], milestones=[5])")


def test_lr_curve_tabulates_a_schedule_or_a_constant_rate():
    assert_array_equal(S.lr_curve(S.step_lr(1.0, 2, 0.5), 4), [1.0, 1.0, 0.5, 0.5])
    assert_array_equal(S.lr_curve(0.1, 3), [0.1, 0.1, 0.1])
    assert S.lr_curve(0.1, 0).shape == (0,)
    with pytest.raises(ValueError, match="schedule must be > 0, got -1"):
        S.lr_curve(-1, 3)
    with pytest.raises(ValueError, match="steps must be an integer >= 0, got -2"):
        S.lr_curve(0.1, -2)


def test_one_cycle_ends_after_total_steps():
    s = S.one_cycle_lr(1.0, 100)
    s(100)  # torch's extrapolated rate after the last step
    with pytest.raises(ValueError, match=re.escape("t must be <= total_steps = 100 "
                                                   "for one_cycle_lr, got 101")):
        s(101)


def test_warmup_stable_decay_has_its_three_phases():
    s = S.warmup_stable_decay(0.2, total_steps=100, warmup_steps=10, decay_steps=20,
                              min_lr=0.02)
    rates = S.lr_curve(s, 101)
    assert_allclose(rates[:10], 0.2 * np.arange(1, 11) / 10, rtol=1e-15)
    assert np.all(rates[10:80] == 0.2)
    assert np.all(np.diff(rates[80:]) < 0) and rates[100] == 0.02
    assert rates[99] == pytest.approx(0.02 + 0.18 / 20, rel=1e-14)


BAD_SCHEDULES = [
    (lambda: S.constant_lr(0.1, factor=1.5), "factor must be in [0, 1], got 1.5"),
    (lambda: S.constant_lr(0.1, total_iters=0),
     "total_iters must be an integer >= 1, got 0"),
    (lambda: S.constant_lr(-0.1), "lr must be > 0, got -0.1"),
    (lambda: S.linear_lr(0.1, start_factor=0), "start_factor must be in (0, 1], got 0"),
    (lambda: S.linear_lr(0.1, end_factor=2), "end_factor must be in [0, 1], got 2"),
    (lambda: S.step_lr(0.1, step_size=0), "step_size must be an integer >= 1, got 0"),
    (lambda: S.step_lr(0.1, step_size=2.5), "step_size must be an integer >= 1"),
    (lambda: S.step_lr(0.1, 10, gamma=0), "gamma must be > 0, got 0"),
    (lambda: S.step_lr(0.1, 10, gamma=-0.5), "gamma must be > 0, got -0.5"),
    (lambda: S.multi_step_lr(0.1, [30, 20]),
     "milestones must be a non-empty, strictly increasing sequence of integers >= 0"),
    (lambda: S.multi_step_lr(0.1, [10, 10]), "milestones must be a non-empty"),
    (lambda: S.multi_step_lr(0.1, []), "milestones must be a non-empty"),
    (lambda: S.multi_step_lr(0.1, [-1, 5]), "milestones must be a non-empty"),
    (lambda: S.exponential_lr(0.1, 0.0), "gamma must be > 0, got 0.0"),
    (lambda: S.polynomial_lr(0.1, power=-1), "power must be >= 0 and finite, got -1"),
    (lambda: S.polynomial_lr(0.1, total_iters=0),
     "total_iters must be an integer >= 1"),
    (lambda: S.cosine_annealing_lr(0.1, T_max=0),
     "T_max must be an integer >= 1, got 0"),
    (lambda: S.cosine_annealing_lr(0.1, 10, eta_min=-0.01),
     "eta_min must be >= 0 and finite, got -0.01"),
    (lambda: S.lambda_lr(0.1, 0.5), "lr_lambda must be a schedule (a function of t)"),
    (lambda: S.lambda_lr(0.1, lambda t: -1.0),
     "lr_lambda(0) must be a finite number >= 0, got -1.0"),
    (lambda: S.cosine_annealing_warm_restarts(0.1, T_0=0),
     "T_0 must be an integer >= 1, got 0"),
    (lambda: S.cosine_annealing_warm_restarts(0.1, 10, T_mult=0),
     "T_mult must be an integer >= 1, got 0"),
    (lambda: S.cosine_annealing_warm_restarts(0.1, 10, T_mult=1.5),
     "T_mult must be an integer >= 1, got 1.5"),
    (lambda: S.one_cycle_lr(0.1), "total_steps must be given"),
    (lambda: S.one_cycle_lr(0.1, 0), "total_steps must be an integer >= 1, got 0"),
    (lambda: S.one_cycle_lr(0.1, 100, pct_start=0.0), "pct_start must be in (0, 1]"),
    (lambda: S.one_cycle_lr(0.1, 100, pct_start=1.0), "pct_start must be in (0, 1)"),
    (lambda: S.one_cycle_lr(0.1, 100, pct_start=1.2), "pct_start must be in (0, 1]"),
    (lambda: S.one_cycle_lr(0.1, 100, pct_start=0.005),
     "pct_start must leave every phase at least one step"),
    (lambda: S.one_cycle_lr(0.1, 100, pct_start=0.6, three_phase=True),
     "pct_start must leave every phase at least one step"),
    (lambda: S.one_cycle_lr(0.1, 100, anneal_strategy="exp"),
     "anneal_strategy must be one of 'cos', 'linear', got 'exp'"),
    (lambda: S.one_cycle_lr(0.1, 100, div_factor=0), "div_factor must be > 0, got 0"),
    (lambda: S.one_cycle_lr(-1.0, 100), "max_lr must be > 0, got -1.0"),
    (lambda: S.warmup_stable_decay(0.1, 100, 60, 50),
     "warmup_steps + decay_steps must be <= total_steps = 100, got 60 + 50"),
    (lambda: S.warmup_stable_decay(0.1, 100, 10, 0),
     "decay_steps must be an integer >= 1, got 0"),
    (lambda: S.warmup_stable_decay(0.1, 100, -1, 10),
     "warmup_steps must be an integer >= 0, got -1"),
    (lambda: S.warmup_stable_decay(0.1, 100, 10, 10, min_lr=0.2),
     "min_lr must be in [0, 0.1], got 0.2"),
    (lambda: S.warmup_stable_decay(0.1, 100, 10, 10, decay="exp"),
     "decay must be one of 'linear', 'cosine', '1-sqrt', got 'exp'"),
    (lambda: S.sequential_lr([S.constant_lr(0.1)] * 2, [5, 10]),
     "milestones must hold len(schedules) - 1 = 1 step counts, got 2"),
    (lambda: S.sequential_lr([S.constant_lr(0.1)] * 3, [10, 5]),
     "milestones must be a non-empty, strictly increasing sequence of integers >= 1"),
    (lambda: S.sequential_lr([S.constant_lr(0.1)] * 2, [0]),
     "milestones must be a non-empty, strictly increasing sequence of integers >= 1"),
    (lambda: S.sequential_lr([], []), "schedules must be a non-empty sequence"),
    (lambda: S.sequential_lr([0.1, S.constant_lr(0.1)], [5]),
     "schedules[0] must be a schedule (a function of t), got float"),
    (lambda: S.chained_scheduler([S.constant_lr(0.1), S.cosine_annealing_lr(0.1, 9)]),
     "schedules[1] must be one of constant_lr, linear_lr"),
    (lambda: S.chained_scheduler([S.constant_lr(0.1), S.step_lr(0.2, 9)]),
     "schedules must share one lr (one optimizer), got 0.1 and 0.2"),
    (lambda: S.chained_scheduler([]), "schedules must be a non-empty sequence"),
]


@pytest.mark.parametrize("call, message", BAD_SCHEDULES,
                         ids=[str(i) for i in range(len(BAD_SCHEDULES))])
def test_bad_schedule_arguments_raise_naming_them(call, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        call()


@pytest.mark.parametrize("name", S.SCHEDULES)
def test_docstring_gives_formula_torch_name_and_example(name):
    import inspect

    doc = inspect.getdoc(S.SCHEDULES[name])
    first = doc.splitlines()[0]
    assert first.endswith(".") and len(first) <= 88
    for part in ("Parameters", "Notes", "Examples", ">>> "):
        assert part in doc, part
    assert ".. math::" in doc
    assert "torch.optim.lr_scheduler" in doc or "Not a torch class" in doc


@pytest.mark.parametrize("module", ["decay", "cycles", "combine"])
def test_schedule_docstring_examples_run(module):
    import doctest
    import importlib

    mod = importlib.import_module(f"descent.schedules.{module}")
    result = doctest.testmod(mod, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0 and result.attempted > 0
