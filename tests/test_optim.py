"""Specification of the reference optimizers in ``descent.optim``.

First steps computed by hand, identities that hold exactly, Adam's near
invariance to the gradient scale, convergence, bad input, purity, lists of
arrays, and the documentation the book renders. Parity with torch.optim over
long runs is in ``test_parity.py``.
"""

from __future__ import annotations

import copy
import doctest
import importlib
import inspect
import math
import re
import textwrap

import numpy as np
import pytest
import torch
from numpy.testing import assert_allclose, assert_array_equal

from descent.optim import (
    OPTIMIZERS,
    Optimizer,
    adadelta,
    adagrad,
    adam,
    adamax,
    adamw,
    clip_by_global_norm,
    clip_by_value,
    clip_grads_by_global_norm,
    clip_grads_by_value,
    global_norm,
    momentum,
    nadam,
    radam,
    rmsprop,
    rprop,
    sgd,
)
from descent.schedules import exponential_lr

# -- small objectives with analytic gradients (local to these tests) ---------------

_c, _s = math.cos(math.pi / 6), math.sin(math.pi / 6)
_R = np.array([[_c, -_s], [_s, _c]])
QUAD_A = _R @ np.diag([1.0, 50.0]) @ _R.T  # condition number 50, axes turned 30°


def quadratic(theta):
    """f(θ) = ½ θᵀAθ; minimum at 0."""
    return 0.5 * theta @ QUAD_A @ theta


def quadratic_grad(theta):
    return QUAD_A @ theta


def rosenbrock(theta):
    """f(x, y) = (1 - x)² + 100 (y - x²)²; minimum at (1, 1)."""
    x, y = theta
    return (1 - x) ** 2 + 100 * (y - x**2) ** 2


def rosenbrock_grad(theta):
    x, y = theta
    return np.array([-2 * (1 - x) - 400 * x * (y - x**2), 200 * (y - x**2)])


PROBLEMS = {  # name: (f, grad, start, minimiser)
    "quadratic": (quadratic, quadratic_grad, np.array([3.0, 2.0]), np.zeros(2)),
    "rosenbrock": (rosenbrock, rosenbrock_grad, np.array([-1.2, 1.0]), np.ones(2)),
}


@pytest.mark.parametrize("name", PROBLEMS)
def test_local_objective_gradients_match_finite_differences(name):
    f, grad, _, minimiser = PROBLEMS[name]
    rng = np.random.default_rng(0)
    h = 1e-6
    for theta in rng.uniform(-2, 2, size=(20, 2)):
        numeric = [(f(theta + h * e) - f(theta - h * e)) / (2 * h) for e in np.eye(2)]
        assert_allclose(grad(theta), numeric, rtol=1e-6, atol=1e-6)
    assert_array_equal(grad(minimiser), np.zeros(2))


# -- the optimizers under test --------------------------------------------------

VARIANTS = {
    "sgd": sgd(lr=0.1),
    "sgd-wd": sgd(lr=0.1, weight_decay=0.1),
    "momentum-ema": momentum(lr=0.1),
    "momentum-heavy-ball": momentum(lr=0.1, form="heavy_ball"),
    "nesterov-ema": momentum(lr=0.1, nesterov=True),
    "nesterov-heavy-ball-wd": momentum(
        lr=0.1, form="heavy_ball", nesterov=True, weight_decay=0.1
    ),
    "adagrad": adagrad(lr=0.1),
    "adagrad-all": adagrad(
        lr=0.1, initial_accumulator=0.1, lr_decay=0.01, weight_decay=0.1
    ),
    "rmsprop": rmsprop(lr=0.01),
    "rmsprop-eps-inside": rmsprop(lr=0.01, eps_inside_sqrt=True),
    "rmsprop-centered-momentum-wd": rmsprop(
        lr=0.01, momentum=0.9, centered=True, weight_decay=0.1
    ),
    "adam": adam(),
    "adam-amsgrad-wd": adam(amsgrad=True, weight_decay=0.1),
    "adamw": adamw(),
    "adamw-amsgrad": adamw(amsgrad=True),
    "rprop": rprop(lr=0.1),
    "rprop-etas-step-sizes": rprop(lr=0.1, etas=(0.3, 1.5), step_sizes=(0.01, 0.2)),
    "adadelta": adadelta(),
    "adadelta-lr-wd": adadelta(lr=0.5, rho=0.95, eps=1e-4, weight_decay=0.1),
    "adamax": adamax(),
    "adamax-wd": adamax(beta1=0.5, eps=0.1, weight_decay=0.1),
    "nadam": nadam(),
    "nadam-decoupled-wd": nadam(weight_decay=0.1, decoupled_weight_decay=True),
    "nadam-l2-momentum-decay": nadam(weight_decay=0.1, momentum_decay=0.1),
    "radam": radam(),
    "radam-decoupled-wd": radam(weight_decay=0.1, decoupled_weight_decay=True),
    "radam-l2": radam(beta2=0.9, weight_decay=0.1),
}
WRAPPED = {
    "adam-clip-norm": clip_by_global_norm(adam(), max_norm=1.0),
    "momentum-clip-value": clip_by_value(momentum(lr=0.1), max_value=0.5),
}
EVERY = {**VARIANTS, **WRAPPED}


# -- first two steps by hand --------------------------------------------------------
# θ0 = (1, -2); the gradient is g1 = (0.5, -1) at the first step and
# g2 = (2, 0.25) at the second, whatever the parameters.

THETA0 = np.array([1.0, -2.0])
G1 = np.array([0.5, -1.0])
G2 = np.array([2.0, 0.25])


def two_steps(opt):
    state = opt.init(THETA0)
    theta1, state = opt.step(THETA0, G1, state)
    theta2, state = opt.step(theta1, G2, state)
    assert state.t == 2
    return theta1, theta2, state


def test_sgd_first_two_steps_by_hand():
    theta1, theta2, _ = two_steps(sgd(lr=0.1))
    assert_allclose(theta1, [1 - 0.1 * 0.5, -2 - 0.1 * -1.0])  # (0.95, -1.9)
    assert_allclose(theta2, [0.95 - 0.1 * 2, -1.9 - 0.1 * 0.25])  # (0.75, -1.925)


def test_sgd_with_weight_decay_first_two_steps_by_hand():
    theta1, theta2, _ = two_steps(sgd(lr=0.1, weight_decay=0.5))
    # g1 + 0.5 θ0 = (0.5 + 0.5, -1 - 1) = (1, -2)
    assert_allclose(theta1, [0.9, -1.8])
    # g2 + 0.5 θ1 = (2 + 0.45, 0.25 - 0.9) = (2.45, -0.65)
    assert_allclose(theta2, [0.9 - 0.245, -1.8 + 0.065])


def test_ema_momentum_first_two_steps_by_hand():
    theta1, theta2, state = two_steps(momentum(lr=0.1, beta=0.9))
    # m1 = 0.1 g1 = (0.05, -0.1)
    assert_allclose(theta1, [1 - 0.005, -2 + 0.01])
    # m2 = 0.9 m1 + 0.1 g2 = (0.045 + 0.2, -0.09 + 0.025) = (0.245, -0.065)
    assert_allclose(state.m, [0.245, -0.065])
    assert_allclose(theta2, [0.995 - 0.0245, -1.99 + 0.0065])


def test_heavy_ball_first_two_steps_by_hand():
    theta1, theta2, state = two_steps(momentum(lr=0.1, beta=0.9, form="heavy_ball"))
    # m1 = g1
    assert_allclose(theta1, [1 - 0.05, -2 + 0.1])
    # m2 = 0.9 g1 + g2 = (0.45 + 2, -0.9 + 0.25) = (2.45, -0.65)
    assert_allclose(state.m, [2.45, -0.65])
    assert_allclose(theta2, [0.95 - 0.245, -1.9 + 0.065])


def test_heavy_ball_nesterov_first_two_steps_by_hand():
    opt = momentum(lr=0.1, beta=0.9, form="heavy_ball", nesterov=True)
    theta1, theta2, _ = two_steps(opt)
    # m1 = g1; step along 0.9 m1 + g1 = 1.9 g1 = (0.95, -1.9)
    assert_allclose(theta1, [1 - 0.095, -2 + 0.19])
    # m2 = (2.45, -0.65); step along 0.9 m2 + g2 = (2.205 + 2, -0.585 + 0.25)
    assert_allclose(theta2, [0.905 - 0.4205, -1.81 + 0.0335])


def test_ema_nesterov_first_two_steps_by_hand():
    theta1, theta2, _ = two_steps(momentum(lr=0.1, beta=0.9, nesterov=True))
    # m1 = 0.1 g1; step along 0.9 m1 + 0.1 g1 = 0.19 g1 = (0.095, -0.19)
    assert_allclose(theta1, [1 - 0.0095, -2 + 0.019])
    # m2 = (0.245, -0.065); step along 0.9 m2 + 0.1 g2 = (0.2205 + 0.2, -0.0585 + 0.025)
    assert_allclose(theta2, [0.9905 - 0.04205, -1.981 + 0.00335])


def test_adagrad_first_two_steps_by_hand():
    theta1, theta2, state = two_steps(adagrad(lr=0.1, eps=0.0))
    # v1 = g1² = (0.25, 1): the first step is 0.1 sign(g1)
    assert_allclose(theta1, [0.9, -1.9])
    # v2 = (0.25 + 4, 1 + 0.0625)
    assert_allclose(state.v, [4.25, 1.0625])
    assert_allclose(
        theta2, [0.9 - 0.1 * 2 / math.sqrt(4.25), -1.9 - 0.1 * 0.25 / math.sqrt(1.0625)]
    )


def test_adagrad_with_accumulator_decay_and_eps_first_two_steps_by_hand():
    opt = adagrad(lr=0.1, eps=0.5, initial_accumulator=1.0, lr_decay=1.0)
    theta1, theta2, _ = two_steps(opt)
    # v1 = 1 + g1² = (1.25, 2); lr1 = 0.1
    assert_allclose(
        theta1,
        [1 - 0.1 * 0.5 / (math.sqrt(1.25) + 0.5), -2 + 0.1 / (math.sqrt(2) + 0.5)],
    )
    # v2 = (1.25 + 4, 2 + 0.0625); lr2 = 0.1 / (1 + 1 * 1.0) = 0.05
    step2 = [
        0.05 * 2 / (math.sqrt(5.25) + 0.5),
        0.05 * 0.25 / (math.sqrt(2.0625) + 0.5),
    ]
    assert_allclose(theta2, theta1 - step2)


def test_rmsprop_first_two_steps_by_hand():
    theta1, theta2, state = two_steps(rmsprop(lr=0.01, gamma=0.9, eps=0.0))
    # v1 = 0.1 g1² = (0.025, 0.1) = 0.1 g1²: the step is 0.01 sign(g1) / sqrt(0.1)
    assert_allclose(theta1, THETA0 - 0.01 * np.array([1, -1]) / math.sqrt(0.1))
    # v2 = 0.9 v1 + 0.1 g2² = (0.0225 + 0.4, 0.09 + 0.00625); sqrt(0.4225) = 0.65
    assert_allclose(state.v, [0.4225, 0.09625])
    assert_allclose(
        theta2, theta1 - 0.01 * np.array([2 / 0.65, 0.25 / math.sqrt(0.09625)])
    )


def test_rmsprop_with_eps_inside_the_sqrt_first_two_steps_by_hand():
    opt = rmsprop(lr=0.01, gamma=0.9, eps=0.01, eps_inside_sqrt=True)
    theta1, theta2, _ = two_steps(opt)
    # sqrt(v1 + eps) = sqrt((0.025, 0.1) + 0.01)
    assert_allclose(theta1, [1 - 0.005 / math.sqrt(0.035), -2 + 0.01 / math.sqrt(0.11)])
    # sqrt(v2 + eps) = sqrt((0.4225, 0.09625) + 0.01)
    step2 = [0.02 / math.sqrt(0.4325), 0.0025 / math.sqrt(0.10625)]
    assert_allclose(theta2, theta1 - step2)


def test_rmsprop_centered_with_momentum_first_two_steps_by_hand():
    opt = rmsprop(lr=0.1, gamma=0.5, eps=0.0, momentum=0.5, centered=True)
    theta1, theta2, state = two_steps(opt)
    # v1 = 0.5 g1² = (0.125, 0.5); g_bar1 = 0.5 g1 = (0.25, -0.5)
    # v1 - g_bar1² = (0.0625, 0.25), sqrt = (0.25, 0.5); m1 = g1 / sqrt = (2, -2)
    assert_allclose(theta1, [1 - 0.2, -2 + 0.2])
    # v2 = 0.5 v1 + 0.5 g2² = (2.0625, 0.28125); g_bar2 = (1.125, -0.125)
    # v2 - g_bar2² = (2.0625 - 1.265625, 0.28125 - 0.015625) = (0.796875, 0.265625)
    assert_allclose(state.g_bar, [1.125, -0.125])
    m2 = [1 + 2 / math.sqrt(0.796875), -1 + 0.25 / math.sqrt(0.265625)]
    assert_allclose(state.m, m2)
    assert_allclose(theta2, theta1 - 0.1 * np.array(m2))


# Adam's second moment after (g1, g2) with β2 = 0.999:
# v2 = 0.999 * 0.001 g1² + 0.001 g2² = (0.00024975 + 0.004, 0.000999 + 0.0000625)
ADAM_M2 = np.array([0.245, -0.065])  # 0.9 * 0.1 g1 + 0.1 g2, as for momentum
ADAM_V2 = np.array([0.00424975, 0.0010615])


def test_adam_first_two_steps_by_hand():
    theta1, theta2, state = two_steps(adam(lr=0.1, eps=0.0))
    # m̂1 = g1, v̂1 = g1²: the first step is 0.1 sign(g1)
    assert_allclose(theta1, [0.9, -1.9])
    assert_allclose(state.m, ADAM_M2)
    assert_allclose(state.v, ADAM_V2)
    # bias corrections 1 - 0.9² = 0.19 and 1 - 0.999² = 0.001999
    step2 = 0.1 * (ADAM_M2 / 0.19) / np.sqrt(ADAM_V2 / 0.001999)
    assert_allclose(theta2, theta1 - step2)


def test_amsgrad_first_two_steps_by_hand():
    theta1, theta2, state = two_steps(adam(lr=0.1, beta2=0.5, eps=0.0, amsgrad=True))
    assert_allclose(theta1, [0.9, -1.9])
    # v1 = 0.5 g1² = (0.125, 0.5); v2 = 0.5 v1 + 0.5 g2² = (2.0625, 0.28125)
    # v_max2 = max(v1, v2) = (2.0625, 0.5): the second coordinate keeps v1
    assert_allclose(state.v, [2.0625, 0.28125])
    assert_allclose(state.v_max, [2.0625, 0.5])
    step2 = 0.1 * (ADAM_M2 / 0.19) / np.sqrt(np.array([2.0625, 0.5]) / 0.75)
    assert_allclose(theta2, theta1 - step2)


def test_adam_with_weight_decay_first_two_steps_by_hand():
    theta1, theta2, _ = two_steps(adam(lr=0.1, eps=0.0, weight_decay=0.5))
    # g1 + 0.5 θ0 = (1, -2): the first step is still 0.1 sign
    assert_allclose(theta1, [0.9, -1.9])
    # g2 + 0.5 θ1 = (2.45, -0.7); m2 = 0.09 (1, -2) + 0.1 (2.45, -0.7)
    m2 = np.array([0.09 + 0.245, -0.18 - 0.07])
    # v2 = 0.000999 (1, 4) + 0.001 (6.0025, 0.49)
    v2 = np.array([0.000999 + 0.0060025, 0.003996 + 0.00049])
    assert_allclose(theta2, theta1 - 0.1 * (m2 / 0.19) / np.sqrt(v2 / 0.001999))


def test_adamw_first_two_steps_by_hand():
    theta1, theta2, _ = two_steps(adamw(lr=0.1, eps=0.0, weight_decay=0.5))
    # shrink by 1 - 0.1 * 0.5 = 0.95, then the Adam step 0.1 sign(g1)
    assert_allclose(theta1, [0.95 - 0.1, -1.9 + 0.1])
    step2 = 0.1 * (ADAM_M2 / 0.19) / np.sqrt(ADAM_V2 / 0.001999)
    assert_allclose(theta2, 0.95 * theta1 - step2)


# -- identities ------------------------------------------------------------------


def run_closed_loop(opt, grad, start, steps, state=None):
    """Iterates θ_0..θ_steps and the final state; the gradient is taken at θ."""
    theta = np.array(start, dtype=float)
    state = opt.init(theta) if state is None else state
    thetas = [theta]
    for _ in range(steps):
        theta, state = opt.step(theta, grad(theta), state)
        thetas.append(theta)
    return np.array(thetas), state


def run_open_loop(opt, grads, start):
    """Iterates under a fixed gradient sequence (independent of θ) and the states."""
    theta = np.array(start, dtype=float)
    state = opt.init(theta)
    thetas, states = [theta], [state]
    for g in grads:
        theta, state = opt.step(theta, g, state)
        thetas.append(theta)
        states.append(state)
    return np.array(thetas), states


@pytest.mark.parametrize("form", ["ema", "heavy_ball"])
@pytest.mark.parametrize("nesterov", [False, True])
def test_momentum_with_beta_zero_is_sgd(form, nesterov):
    # β = 0 leaves m_t = g_t (ema: 0·m + 1·g; heavy ball: 0·m + g): bit for bit SGD
    opt = momentum(lr=1e-3, beta=0.0, form=form, nesterov=nesterov, weight_decay=0.1)
    start = PROBLEMS["rosenbrock"][2]
    ours, _ = run_closed_loop(opt, rosenbrock_grad, start, 200)
    plain, _ = run_closed_loop(
        sgd(lr=1e-3, weight_decay=0.1), rosenbrock_grad, start, 200
    )
    assert_array_equal(ours, plain)


@pytest.mark.parametrize("beta", [0.5, 0.9, 0.99])
@pytest.mark.parametrize("nesterov", [False, True])
def test_ema_momentum_is_heavy_ball_with_lr_times_one_minus_beta(beta, nesterov):
    # From m_0 = 0, induction gives m_t(ema) = (1 - β) m_t(heavy ball), so
    # η m_t(ema) = η(1 - β) m_t(heavy ball): the same step at every t, hence the
    # same iterates and gradients. With Nesterov the look-ahead scales alike.
    lr = 0.02
    ema = momentum(lr=lr, beta=beta, form="ema", nesterov=nesterov, weight_decay=0.01)
    heavy = momentum(
        lr=lr * (1 - beta),
        beta=beta,
        form="heavy_ball",
        nesterov=nesterov,
        weight_decay=0.01,
    )
    start = PROBLEMS["quadratic"][2]
    ours, ema_state = run_closed_loop(ema, quadratic_grad, start, 300)
    theirs, heavy_state = run_closed_loop(heavy, quadratic_grad, start, 300)
    assert_allclose(ours, theirs, rtol=0, atol=1e-12)
    assert_allclose(ema_state.m, (1 - beta) * heavy_state.m, rtol=0, atol=1e-12)
    assert np.linalg.norm(ours[-1] - ours[0]) > 1  # the runs went somewhere


def test_ema_and_heavy_ball_part_ways_from_equal_nonzero_buffers():
    # the identity needs m_0(ema) = (1 - β) m_0(heavy ball); equal nonzero
    # buffers break it at the first step
    beta, start = 0.9, np.array([1.0, 1.0])
    ema = momentum(lr=0.1, beta=beta, form="ema")
    heavy = momentum(lr=0.1 * (1 - beta), beta=beta, form="heavy_ball")
    m0 = np.array([1.0, -1.0])
    ours, _ = ema.step(start, G1, ema.init(start)._replace(m=m0))
    theirs, _ = heavy.step(start, G1, heavy.init(start)._replace(m=m0))
    # ema moves by 0.1 (0.9 m0 + 0.1 g1); heavy ball by 0.01 (0.9 m0 + g1)
    assert_allclose(start - ours, 0.1 * (0.9 * m0 + 0.1 * G1))
    assert_allclose(start - theirs, 0.01 * (0.9 * m0 + G1))
    assert not np.allclose(ours, theirs)


def test_torch_dampening_beta_is_not_the_ema_form():
    # torch.optim.SGD(momentum=β, dampening=β) updates b_t = β b_{t-1} + (1-β) g_t
    # like the EMA, but starts from b_1 = g_1 instead of (1-β) g_1. Both then
    # follow the same recursion, so b_t = m_t + β^t g_1: the first step is
    # 1/(1-β) times larger and the trajectories never meet again.
    beta, lr = 0.9, 0.1
    grads = np.random.default_rng(7).standard_normal((30, 3))
    ours, states = run_open_loop(momentum(lr=lr, beta=beta), grads, np.zeros(3))
    tensor = torch.zeros(3, dtype=torch.float64, requires_grad=True)
    torch_opt = torch.optim.SGD([tensor], lr=lr, momentum=beta, dampening=beta)
    for t, g in enumerate(grads, start=1):
        tensor.grad = torch.from_numpy(g.copy())
        torch_opt.step()
        buffer = torch_opt.state[tensor]["momentum_buffer"].numpy()
        assert_allclose(buffer, states[t].m + beta**t * grads[0], rtol=0, atol=1e-12)
        if t == 1:
            assert_allclose(tensor.detach().numpy(), -lr * grads[0])
            assert_allclose(ours[1], -lr * (1 - beta) * grads[0])
    # the positions differ by lr Σ_{t≤T} β^t g_1 (open loop, same gradients)
    gap = lr * sum(beta**t for t in range(1, 31)) * grads[0]
    assert_allclose(ours[-1] - tensor.detach().numpy(), gap, rtol=0, atol=1e-12)


def test_adam_with_beta1_zero_is_rmsprop_with_bias_correction():
    # With β1 = 0: m_t = g_t and m̂_t = g_t. With c_t = 1 - β2^t,
    #     g / (sqrt(v / c_t) + ε) = sqrt(c_t) g / (sqrt(v) + ε sqrt(c_t)),
    # so Adam's step t is an RMSprop step (γ = β2, ε outside the root) on the
    # same v with lr η sqrt(c_t) and eps ε sqrt(c_t). ε is large here so that
    # where it sits matters.
    lr, beta2, eps = 0.01, 0.99, 1e-2
    opt = adam(lr=lr, beta1=0.0, beta2=beta2, eps=eps)
    theta_adam = theta_rms = PROBLEMS["rosenbrock"][2]
    state_adam = opt.init(theta_adam)
    state_rms = rmsprop(lr=lr, gamma=beta2).init(theta_rms)
    for t in range(1, 301):
        theta_adam, state_adam = opt.step(
            theta_adam, rosenbrock_grad(theta_adam), state_adam
        )
        c = 1 - beta2**t
        corrected = rmsprop(lr=lr * math.sqrt(c), gamma=beta2, eps=eps * math.sqrt(c))
        theta_rms, state_rms = corrected.step(
            theta_rms, rosenbrock_grad(theta_rms), state_rms
        )
        assert_allclose(theta_adam, theta_rms, rtol=0, atol=1e-12)
        assert_allclose(state_adam.v, state_rms.v, rtol=1e-12)
    # without the correction RMSprop's first step is 1/sqrt(1 - β2) = 10x larger
    start = PROBLEMS["rosenbrock"][2]
    g = rosenbrock_grad(start)
    plain, _ = rmsprop(lr=lr, gamma=beta2, eps=0.0).step(start, g, opt.init(start))
    first, _ = adam(lr=lr, beta1=0.0, beta2=beta2, eps=0.0).step(
        start, g, opt.init(start)
    )
    assert_allclose(start - plain, 10 * (start - first))


def test_adam_with_grads_and_eps_scaled_together_is_unchanged():
    # g -> c g scales m̂ by c and sqrt(v̂) by c: with ε -> c ε every step is the same
    c = 1e3
    grads = np.random.default_rng(3).standard_normal((200, 4))
    ours, _ = run_open_loop(adam(lr=0.01, eps=1e-3), grads, np.zeros(4))
    scaled, _ = run_open_loop(adam(lr=0.01, eps=1e-3 * c), c * grads, np.zeros(4))
    assert_allclose(scaled, ours, rtol=0, atol=1e-13)


def test_adam_is_nearly_invariant_to_the_gradient_scale_and_sgd_is_not():
    # Scaling g by c turns the update m̂ / (sqrt(v̂) + ε) into m̂ / (sqrt(v̂) + ε/c),
    # a change of at most ε |m̂| / v̂ per coordinate and step. Under a fixed
    # gradient sequence the trajectories therefore differ by at most
    # Σ_t η ε |m̂_t| / v̂_t, measured here from the unscaled run.
    c, lr, eps, beta1, beta2 = 1e3, 0.01, 1e-8, 0.9, 0.999
    grads = np.random.default_rng(4).standard_normal((500, 5))
    ours, states = run_open_loop(adam(lr=lr, eps=eps), grads, np.zeros(5))
    scaled, _ = run_open_loop(adam(lr=lr, eps=eps), c * grads, np.zeros(5))
    bound = sum(
        lr * eps * np.abs(s.m / (1 - beta1**s.t)) / (s.v / (1 - beta2**s.t))
        for s in states[1:]
    )
    gap = np.abs(scaled - ours).max(axis=0)
    assert np.all(gap <= bound)
    assert bound.max() < 1e-6  # ... while the parameters moved by O(1):
    assert np.abs(ours[-1]).max() > 0.1
    # SGD's steps grow by the factor c itself (the loss / 10 = lr / 10 question)
    sgd_ours, _ = run_open_loop(sgd(lr=lr), grads, np.zeros(5))
    sgd_scaled, _ = run_open_loop(sgd(lr=lr), c * grads, np.zeros(5))
    assert_allclose(sgd_scaled / c, sgd_ours, rtol=0, atol=1e-12)


def test_sgd_on_a_loss_divided_by_10_is_sgd_with_lr_divided_by_10():
    start = PROBLEMS["quadratic"][2]
    ours, _ = run_closed_loop(
        sgd(lr=0.02), lambda p: quadratic_grad(p) / 10, start, 300
    )
    theirs, _ = run_closed_loop(sgd(lr=0.002), quadratic_grad, start, 300)
    assert_allclose(ours, theirs, rtol=0, atol=1e-12)


# -- convergence -------------------------------------------------------------------
# Quadratic: condition number 50, from (3, 2). Rosenbrock: from (-1.2, 1).
# Each optimizer must bring θ within TOL of the minimiser and keep it there for
# the last 10% of the stated number of steps. Adaptive methods with a constant
# lr hover around the minimum at a distance that grows with lr, hence the small
# lr and β2 = 0.99 for Adam.

TOL = 1e-3
CONVERGENCE = [
    # id, optimizer, steps on the quadratic, steps on Rosenbrock
    ("sgd", sgd(lr=1.5e-3), 7_000, 15_000),
    ("momentum-ema", momentum(lr=0.02, beta=0.9), 500, 1_200),
    ("heavy-ball", momentum(lr=0.002, beta=0.9, form="heavy_ball"), 500, 1_200),
    ("nesterov-ema", momentum(lr=0.01, beta=0.9, nesterov=True), 1_000, 2_200),
    (
        "nesterov-heavy-ball",
        momentum(lr=0.001, beta=0.9, form="heavy_ball", nesterov=True),
        1_000,
        2_200,
    ),
    ("adagrad", adagrad(lr=0.5), 500, 12_000),
    ("rmsprop", rmsprop(lr=1e-3), 4_500, 13_000),
    ("rmsprop-eps-inside", rmsprop(lr=1e-3, eps_inside_sqrt=True), 4_500, 13_000),
    (
        "rmsprop-centered-momentum",
        rmsprop(lr=1e-3, momentum=0.9, centered=True),
        300,
        700,
    ),
    ("adam", adam(lr=3e-3, beta2=0.99), 2_600, 2_600),
    ("amsgrad", adam(lr=0.03, amsgrad=True), 500, 6_000),
    ("adamw", adamw(lr=3e-3, beta2=0.99, weight_decay=1e-3), 2_600, 2_600),
    ("momentum-clip-norm", clip_by_global_norm(momentum(lr=0.02), 10.0), 500, 1_200),
    # Rprop's default floor Δ_min = 1e-6 stalls it 1.2e-3 from Rosenbrock's minimum
    # (test_optim_relatives.py); with a constant lr, Adadelta's own rate grows as
    # the gradients shrink and it hovers instead of settling: hence the schedule
    ("rprop", rprop(step_sizes=(1e-12, 50.0)), 200, 4_500),
    ("adadelta", adadelta(lr=exponential_lr(1.0, 0.9995)), 4_500, 8_000),
    ("adamax", adamax(lr=3e-3, beta2=0.99), 1_500, 2_000),
    ("nadam", nadam(lr=3e-3, beta2=0.99), 2_800, 5_000),
    ("radam", radam(lr=3e-3, beta2=0.99), 2_200, 2_200),
]


@pytest.mark.parametrize("problem", ["quadratic", "rosenbrock"])
@pytest.mark.parametrize(
    "opt, quadratic_steps, rosenbrock_steps",
    [row[1:] for row in CONVERGENCE],
    ids=[row[0] for row in CONVERGENCE],
)
def test_converges_within_the_stated_steps(
    problem, opt, quadratic_steps, rosenbrock_steps
):
    _, grad, start, minimiser = PROBLEMS[problem]
    steps = quadratic_steps if problem == "quadratic" else rosenbrock_steps
    thetas, _ = run_closed_loop(opt, grad, start, steps)
    distance = np.linalg.norm(thetas - minimiser, axis=1)
    assert distance[0] > 1
    assert distance[-(steps // 10) :].max() <= TOL


def test_every_optimizer_is_in_the_convergence_table():
    names = {row[1].name for row in CONVERGENCE}
    assert set(OPTIMIZERS) <= names


# -- bad input ---------------------------------------------------------------------

BAD_HYPERPARAMETERS = [
    (sgd, dict(lr=0.0), "lr must be > 0, got 0.0"),
    (sgd, dict(lr=-1), "lr must be > 0, got -1"),
    (sgd, dict(lr=float("nan")), "lr must be > 0, got nan"),
    (sgd, dict(lr=float("inf")), "lr must be finite, got inf"),
    (sgd, dict(lr="0.1"), "lr must be a real number, got '0.1'"),
    (
        sgd,
        dict(lr=0.1, weight_decay=-0.1),
        "weight_decay must be >= 0 and finite, got -0.1",
    ),
    (momentum, dict(lr=-0.1), "lr must be > 0, got -0.1"),
    (momentum, dict(lr=0.1, beta=1.0), "beta must be in [0, 1), got 1.0"),
    (momentum, dict(lr=0.1, beta=-0.1), "beta must be in [0, 1), got -0.1"),
    (
        momentum,
        dict(lr=0.1, form="nesterov"),
        "form must be one of 'ema', 'heavy_ball', got 'nesterov'",
    ),
    (momentum, dict(lr=0.1, weight_decay=-1), "weight_decay must be >= 0 and finite"),
    (adagrad, dict(lr=0.0), "lr must be > 0, got 0.0"),
    (adagrad, dict(lr=0.1, eps=-1e-10), "eps must be >= 0 and finite, got -1e-10"),
    (
        adagrad,
        dict(lr=0.1, initial_accumulator=-1.0),
        "initial_accumulator must be >= 0 and finite, got -1.0",
    ),
    (
        adagrad,
        dict(lr=0.1, lr_decay=-0.5),
        "lr_decay must be >= 0 and finite, got -0.5",
    ),
    (adagrad, dict(lr=0.1, weight_decay=-1), "weight_decay must be >= 0 and finite"),
    (rmsprop, dict(lr=-1.0), "lr must be > 0, got -1.0"),
    (rmsprop, dict(lr=0.1, gamma=1.0), "gamma must be in [0, 1), got 1.0"),
    (rmsprop, dict(lr=0.1, gamma=-0.5), "gamma must be in [0, 1), got -0.5"),
    (rmsprop, dict(lr=0.1, eps=-1.0), "eps must be >= 0 and finite, got -1.0"),
    (rmsprop, dict(lr=0.1, momentum=1.0), "momentum must be in [0, 1), got 1.0"),
    (rmsprop, dict(lr=0.1, weight_decay=-1), "weight_decay must be >= 0 and finite"),
    (adam, dict(lr=0), "lr must be > 0, got 0"),
    (adam, dict(beta1=1.0), "beta1 must be in [0, 1), got 1.0"),
    (adam, dict(beta1=-0.1), "beta1 must be in [0, 1), got -0.1"),
    (adam, dict(beta2=1.0), "beta2 must be in [0, 1), got 1.0"),
    (adam, dict(eps=-1e-8), "eps must be >= 0 and finite, got -1e-08"),
    (adam, dict(weight_decay=-0.01), "weight_decay must be >= 0 and finite, got -0.01"),
    (adamw, dict(lr=-1e-3), "lr must be > 0, got -0.001"),
    (adamw, dict(beta1=1.5), "beta1 must be in [0, 1), got 1.5"),
    (adamw, dict(beta2=1.0), "beta2 must be in [0, 1), got 1.0"),
    (adamw, dict(eps=-1.0), "eps must be >= 0 and finite, got -1.0"),
    (
        adamw,
        dict(weight_decay=-0.01),
        "weight_decay must be >= 0 and finite, got -0.01",
    ),
    (rprop, dict(lr=0.0), "lr must be > 0, got 0.0"),
    (rprop, dict(etas=(0.5, 1.0)), "etas must be (eta_minus, eta_plus) with 0 < "),
    (rprop, dict(etas=(0.0, 1.2)), "eta_minus < 1 < eta_plus, got (0.0, 1.2)"),
    (rprop, dict(etas=0.5), "etas must be a pair of numbers, got 0.5"),
    (rprop, dict(etas=("a", 2)), "etas must be a real number, got 'a'"),
    (rprop, dict(step_sizes=(1.0, 0.1)), "step_sizes must be (min, max) with 0 <="),
    (rprop, dict(step_sizes=(-1, 1)), "min <= max, got (-1, 1)"),
    (rprop, dict(step_sizes=(1, 2, 3)), "step_sizes must be a pair of numbers"),
    (adadelta, dict(lr=-1.0), "lr must be > 0, got -1.0"),
    (adadelta, dict(rho=1.0), "rho must be in [0, 1), got 1.0"),
    (adadelta, dict(eps=-1e-6), "eps must be >= 0 and finite, got -1e-06"),
    (adadelta, dict(weight_decay=-1), "weight_decay must be >= 0 and finite"),
    (adamax, dict(lr=0), "lr must be > 0, got 0"),
    (adamax, dict(beta1=1.0), "beta1 must be in [0, 1), got 1.0"),
    (adamax, dict(beta2=-0.5), "beta2 must be in [0, 1), got -0.5"),
    (adamax, dict(eps=float("inf")), "eps must be >= 0 and finite, got inf"),
    (adamax, dict(weight_decay=-1), "weight_decay must be >= 0 and finite"),
    (nadam, dict(lr=-0.1), "lr must be > 0, got -0.1"),
    (nadam, dict(beta1=1.0), "beta1 must be in [0, 1), got 1.0"),
    (nadam, dict(beta2=1.5), "beta2 must be in [0, 1), got 1.5"),
    (nadam, dict(eps=-1.0), "eps must be >= 0 and finite, got -1.0"),
    (nadam, dict(weight_decay=-1), "weight_decay must be >= 0 and finite"),
    (
        nadam,
        dict(momentum_decay=-0.004),
        "momentum_decay must be >= 0 and finite, got -0.004",
    ),
    (radam, dict(lr=0.0), "lr must be > 0, got 0.0"),
    (radam, dict(beta1=-0.1), "beta1 must be in [0, 1), got -0.1"),
    (radam, dict(beta2=1.0), "beta2 must be in [0, 1), got 1.0"),
    (radam, dict(eps=-1e-8), "eps must be >= 0 and finite, got -1e-08"),
    (radam, dict(weight_decay=-1), "weight_decay must be >= 0 and finite"),
]


@pytest.mark.parametrize(
    "factory, kwargs, message",
    BAD_HYPERPARAMETERS,
    ids=[f"{f.__name__}-{kw}" for f, kw, _ in BAD_HYPERPARAMETERS],
)
def test_bad_hyperparameter_raises_naming_it_and_its_range(factory, kwargs, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        factory(**kwargs)


def test_every_factory_has_a_bad_lr_case():
    assert {f for f, kw, _ in BAD_HYPERPARAMETERS if "lr" in kw} == set(
        OPTIMIZERS.values()
    )


@pytest.mark.parametrize(
    "call, message",
    [
        (
            lambda: clip_by_global_norm(sgd(lr=0.1), 0.0),
            "max_norm must be > 0, got 0.0",
        ),
        (lambda: clip_by_value(sgd(lr=0.1), -1), "max_value must be > 0, got -1"),
        (lambda: clip_grads_by_global_norm(np.ones(2), -1), "max_norm must be > 0"),
        (lambda: clip_grads_by_value(np.ones(2), 0), "max_value must be > 0, got 0"),
    ],
    ids=["clip_by_global_norm", "clip_by_value", "grads_by_norm", "grads_by_value"],
)
def test_bad_clipping_threshold_raises(call, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        call()


SHAPE_MISMATCHES = {
    "shapes": (
        np.zeros(2),
        np.zeros(3),
        "params and grads must have the same shape, got (2,) and (3,)",
    ),
    "transposed": (
        np.zeros((2, 3)),
        np.zeros((3, 2)),
        "params and grads must have the same shape, got (2, 3) and (3, 2)",
    ),
    "lengths": (
        [np.zeros(2), np.zeros(3)],
        [np.zeros(2)],
        "params and grads must have the same length, got 2 and 1",
    ),
    "element": (
        [np.zeros(2), np.zeros(3)],
        [np.zeros(2), np.zeros(4)],
        "params[1] and grads[1] must have the same shape, got (3,) and (4,)",
    ),
    "list-vs-array": (
        [np.zeros(2)],
        np.zeros(2),
        "params and grads must both be arrays or both be lists of arrays, "
        "got a list of 1 array and an array of shape (2,)",
    ),
}


@pytest.mark.parametrize("case", SHAPE_MISMATCHES)
@pytest.mark.parametrize("name", EVERY)
def test_grads_not_matching_params_raise_with_both_shapes(name, case):
    opt = EVERY[name]
    params, grads, message = SHAPE_MISMATCHES[case]
    with pytest.raises(ValueError, match=re.escape(message)):
        opt.step(params, grads, opt.init(params))


def test_a_state_built_for_an_array_is_refused_for_a_list():
    opt = adam()
    message = (
        "state.m was made for an array of shape (2,) but params is a list of 1 array"
    )
    with pytest.raises(ValueError, match=re.escape(message)):
        opt.step([np.zeros(2)], [np.ones(2)], opt.init(np.zeros(2)))


def test_an_empty_list_of_params_is_refused():
    with pytest.raises(ValueError, match="at least one array"):
        sgd(lr=0.1).step([], [], sgd(lr=0.1).init([]))


# -- purity, lists of arrays, the record ----------------------------------------


def _leaves(x):
    """The arrays and numbers inside params, grads or a state, in order."""
    if x is None:
        return []
    if isinstance(x, (list, tuple)):
        return [leaf for item in x for leaf in _leaves(item)]
    return [x]


def _network(rng):
    return [rng.standard_normal((3, 2)), rng.standard_normal(2)]


@pytest.mark.parametrize("as_list", [False, True], ids=["array", "list"])
@pytest.mark.parametrize("name", EVERY)
def test_step_modifies_nothing_in_place(name, as_list):
    opt = EVERY[name]
    rng = np.random.default_rng(11)
    params = _network(rng) if as_list else rng.standard_normal(5)
    state = opt.init(params)
    for _ in range(3):
        grads = _network(rng) if as_list else rng.standard_normal(5)
        before = copy.deepcopy((params, grads, state))
        new_params, new_state = opt.step(params, grads, state)
        for old, now in zip(
            _leaves(before), _leaves((params, grads, state)), strict=True
        ):
            assert_array_equal(now, old)
        for new, old in zip(_leaves(new_params), _leaves(params), strict=True):
            assert new is not old
        params, state = new_params, new_state


@pytest.mark.parametrize("name", VARIANTS)
def test_a_list_of_arrays_steps_like_each_array_on_its_own(name):
    opt = VARIANTS[name]
    rng = np.random.default_rng(5)
    params = _network(rng)
    state = opt.init(params)
    alone = [(p, opt.init(p)) for p in params]
    for _ in range(4):
        grads = _network(rng)
        params, state = opt.step(params, grads, state)
        alone = [opt.step(p, g, s) for (p, s), g in zip(alone, grads, strict=True)]
        for p, (q, _) in zip(params, alone, strict=True):
            assert_array_equal(p, q)
    assert isinstance(params, list)
    assert type(state) is type(alone[0][1])
    assert state.t == 4 and isinstance(state.t, int)
    for field, value in state._asdict().items():
        if field != "t" and value is not None:
            assert isinstance(value, list) and len(value) == 2
            for v, (_, s) in zip(value, alone, strict=True):
                assert_array_equal(v, getattr(s, field))


def test_global_norm_clipping_couples_the_arrays_of_a_list():
    opt = clip_by_global_norm(sgd(lr=1.0), max_norm=5.0)
    params = [np.zeros(2), np.zeros(1)]
    grads = [np.array([6.0, 0.0]), np.array([8.0])]  # global norm 10
    new, _ = opt.step(params, grads, opt.init(params))
    assert_allclose(new[0], [-3.0, 0.0])
    assert_allclose(new[1], [-4.0])


@pytest.mark.parametrize("name", VARIANTS)
def test_optimizers_entry_rebuilds_the_same_optimizer(name):
    opt = VARIANTS[name]
    again = OPTIMIZERS[opt.name](**opt.hyper)
    rng = np.random.default_rng(2)
    theta, state = rng.standard_normal(3), opt.init(np.zeros(3))
    theta2, state2 = theta, again.init(np.zeros(3))
    for _ in range(5):
        g = rng.standard_normal(3)
        theta, state = opt.step(theta, g, state)
        theta2, state2 = again.step(theta2, g, state2)
    assert_array_equal(theta, theta2)


def test_optimizers_maps_every_factory_by_name():
    assert OPTIMIZERS == {
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
    for name, factory in OPTIMIZERS.items():
        opt = factory(lr=0.1)
        assert isinstance(opt, Optimizer) and opt.name == name


# -- clipping ----------------------------------------------------------------------


def test_global_norm_clipping_keeps_the_direction_and_caps_the_norm():
    grads = [np.array([3.0, -4.0]), np.array([[12.0]])]  # global norm 13
    clipped = clip_grads_by_global_norm(grads, max_norm=2.6)
    assert global_norm(clipped) == pytest.approx(2.6, rel=1e-15)
    for g, c in zip(grads, clipped, strict=True):
        assert_allclose(c, g * (2.6 / 13), rtol=1e-15)  # same direction, 1/5 length
    array = clip_grads_by_global_norm(np.array([3.0, 4.0]), max_norm=1.0)
    assert_allclose(array, [0.6, 0.8])


def test_global_norm_clipping_leaves_small_and_non_finite_gradients_alone():
    small = np.array([0.3, -0.4])
    assert_array_equal(clip_grads_by_global_norm(small, max_norm=0.5), small)
    wild = np.array([np.inf, 1.0])
    assert_array_equal(clip_grads_by_global_norm(wild, max_norm=1.0), wild)


def test_value_clipping_caps_every_coordinate():
    grads = [np.array([3.0, -0.5, -4.0]), np.array([0.25])]
    clipped = clip_grads_by_value(grads, max_value=1.0)
    assert_array_equal(clipped[0], [1.0, -0.5, -1.0])
    assert_array_equal(clipped[1], [0.25])


@pytest.mark.parametrize(
    "wrap, clip",
    [
        (
            lambda o: clip_by_global_norm(o, 1.0),
            lambda g: clip_grads_by_global_norm(g, 1.0),
        ),
        (lambda o: clip_by_value(o, 0.3), lambda g: clip_grads_by_value(g, 0.3)),
    ],
    ids=["norm", "value"],
)
def test_a_clipped_optimizer_steps_with_clipped_gradients(wrap, clip):
    rng = np.random.default_rng(9)
    inner = adam(lr=0.1)
    opt = wrap(inner)
    theta = theta2 = rng.standard_normal(4)
    state = state2 = opt.init(theta)
    for _ in range(5):
        g = 3 * rng.standard_normal(4)
        theta, state = opt.step(theta, g, state)
        theta2, state2 = inner.step(theta2, clip(g), state2)
    assert_array_equal(theta, theta2)
    assert opt.hyper.items() >= inner.hyper.items()


# -- what the book renders -------------------------------------------------------


@pytest.mark.parametrize("name", OPTIMIZERS)
def test_step_source_is_the_update_rule(name):
    # the chapters show inspect.getsource(opt.step): it must be the rule itself
    source = textwrap.dedent(inspect.getsource(OPTIMIZERS[name](lr=0.1).step))
    assert source.startswith("def step(params, grads, state):")
    assert len(source.splitlines()) <= 20


@pytest.mark.parametrize("name", OPTIMIZERS)
def test_docstring_gives_rule_torch_names_eps_example_and_references(name):
    doc = inspect.getdoc(OPTIMIZERS[name])
    first = doc.splitlines()[0]
    assert first.endswith(".") and len(first) <= 80
    for part in (".. math::", r"\leftarrow", "torch.optim", "ε", "Examples", ">>> "):
        assert part in doc, part
    assert re.search(r"References\n-+\n.*\(\d{4}\)", doc, flags=re.S)


MODULES = ["_base", "sgd", "momentum", "adagrad", "rmsprop", "adam", "clip"]
MODULES += ["rprop", "adadelta", "adamax", "nadam", "radam"]


@pytest.mark.parametrize("module", MODULES)
def test_docstring_examples_run(module):
    mod = importlib.import_module(f"descent.optim.{module}")
    result = doctest.testmod(mod, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0
    assert result.attempted > 0 or module == "_base"
