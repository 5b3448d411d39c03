"""``optim.momentum(..., form="heavy_ball", dampening=τ)`` against torch.

It takes the steps of ``torch.optim.SGD(momentum=β, dampening=τ)`` (CPU,
float64, 500 steps, 1e-10); with τ = β it is the EMA started from m_0 = g_1,
not the EMA of the seed.
"""

from __future__ import annotations

import re

import numpy as np
import pytest
import torch
from numpy.testing import assert_allclose, assert_array_equal

from descent import optim

STEPS = 500
ATOL = 1e-10
CJK = re.compile(r"[\u2e80-\u9fff\uac00-\ud7af\uff00-\uffef]")


# --- dampening, against torch -----------------------------------------------------


def noisy_quadratic(seed: int, dim: int = 8, steps: int = STEPS):
    """A random quadratic (curvatures 0.1 … 10) observed through noisy gradients."""
    rng = np.random.default_rng(seed)
    q, _ = np.linalg.qr(rng.standard_normal((dim, dim)))
    a = q @ np.diag(np.geomspace(0.1, 10.0, dim)) @ q.T
    target = rng.standard_normal(dim)
    noise = 0.1 * rng.standard_normal((steps, dim))

    def grad(theta, step):
        return a @ (theta - target) + noise[step]

    return rng.standard_normal(dim), grad


def run_against_torch(kwargs, torch_kwargs, seed=5, as_list=False):
    """Largest |θ_ours − θ_torch| and buffer error over STEPS steps (closed loop)."""
    theta0, grad = noisy_quadratic(seed)
    split = [3, 5] if as_list else None

    def layout(flat):
        return list(np.split(flat, split[:-1])) if as_list else flat

    def flat(x):
        return np.concatenate(x) if isinstance(x, list) else x

    opt = optim.momentum(**kwargs)
    params = layout(theta0.copy())
    state = opt.init(params)
    tensors = [torch.tensor(a, dtype=torch.float64, requires_grad=True)
               for a in (params if as_list else [params])]
    torch_opt = torch.optim.SGD(tensors, **torch_kwargs)
    param_err = buffer_err = 0.0
    for step in range(STEPS):
        params, state = opt.step(params, layout(grad(flat(params), step)), state)
        theirs = np.concatenate([t.detach().numpy() for t in tensors])
        pieces = np.split(grad(theirs, step), split[:-1]) if as_list else [
            grad(theirs, step)]
        for t, g in zip(tensors, pieces, strict=True):
            t.grad = torch.from_numpy(g.copy())
        torch_opt.step()
        theirs = np.concatenate([t.detach().numpy() for t in tensors])
        buffer = np.concatenate(
            [torch_opt.state[t]["momentum_buffer"].numpy() for t in tensors])
        param_err = max(param_err, float(np.max(np.abs(flat(params) - theirs))))
        buffer_err = max(buffer_err, float(np.max(np.abs(flat(state.m) - buffer))))
    return param_err, buffer_err


DAMPED = [
    pytest.param(0.9, 0.9, 0.0, id="dampening=beta=0.9"),
    pytest.param(0.9, 0.5, 0.0, id="beta=0.9,dampening=0.5"),
    pytest.param(0.5, 0.1, 0.0, id="beta=0.5,dampening=0.1"),
    pytest.param(0.99, 0.99, 0.0, id="dampening=beta=0.99"),
    pytest.param(0.9, 0.9, 0.1, id="dampening=beta=0.9,weight_decay"),
]


@pytest.mark.parametrize(("beta", "dampening", "weight_decay"), DAMPED)
def test_heavy_ball_with_dampening_matches_torch_sgd(beta, dampening, weight_decay):
    lr = 0.02
    errors = run_against_torch(
        dict(lr=lr, beta=beta, form="heavy_ball", dampening=dampening,
             weight_decay=weight_decay),
        dict(lr=lr, momentum=beta, dampening=dampening, weight_decay=weight_decay),
    )
    assert errors[0] <= ATOL
    assert errors[1] <= ATOL


def test_heavy_ball_with_dampening_matches_torch_on_a_list_of_arrays():
    errors = run_against_torch(
        dict(lr=0.02, beta=0.9, form="heavy_ball", dampening=0.9),
        dict(lr=0.02, momentum=0.9, dampening=0.9),
        as_list=True,
    )
    assert errors[0] <= ATOL
    assert errors[1] <= ATOL


def test_the_parity_problem_moves_the_parameters():
    # a parity check on parameters that barely move would prove little
    theta0, grad = noisy_quadratic(5)
    opt = optim.momentum(0.02, 0.9, form="heavy_ball", dampening=0.9)
    theta, state = theta0, opt.init(theta0)
    for step in range(STEPS):
        theta, state = opt.step(theta, grad(theta, step), state)
    assert np.linalg.norm(theta - theta0) > 1.0


def test_dampening_beta_is_the_ema_started_from_the_first_gradient():
    # b_t = m_t + β^t g_1 for the same gradients: the EMA from m_0 = g_1.
    beta = 0.9
    grads = np.random.default_rng(3).standard_normal((40, 3))
    damped = optim.momentum(0.1, beta, form="heavy_ball", dampening=beta)
    ema = optim.momentum(0.1, beta)
    theta = np.zeros(3)
    s_d, s_e = damped.init(theta), ema.init(theta)
    s_g1 = ema.init(theta)._replace(m=grads[0])
    for t, g in enumerate(grads, start=1):
        _, s_d = damped.step(theta, g, s_d)
        _, s_e = ema.step(theta, g, s_e)
        _, s_g1 = ema.step(theta, g, s_g1)
        assert_allclose(s_d.m, s_e.m + beta**t * grads[0], rtol=0, atol=1e-14)
        assert_allclose(s_d.m, s_g1.m, rtol=0, atol=1e-14)


def test_dampening_beta_first_step_is_one_over_one_minus_beta_times_the_emas():
    beta, g1, theta = 0.8, np.array([2.0, -1.0]), np.array([1.0, 1.0])
    damped = optim.momentum(0.1, beta, form="heavy_ball", dampening=beta)
    ema = optim.momentum(0.1, beta)
    after_damped, _ = damped.step(theta, g1, damped.init(theta))
    after_ema, _ = ema.step(theta, g1, ema.init(theta))
    assert_allclose(theta - after_damped, 0.1 * g1)
    assert_allclose(theta - after_ema, 0.1 * (1 - beta) * g1)


def test_zero_dampening_is_the_plain_heavy_ball_bit_for_bit():
    grads = np.random.default_rng(4).standard_normal((20, 4))
    plain = optim.momentum(0.05, 0.9, form="heavy_ball")
    zero = optim.momentum(0.05, 0.9, form="heavy_ball", dampening=0.0)
    a = b = np.ones(4)
    sa, sb = plain.init(a), zero.init(b)
    for g in grads:
        a, sa = plain.step(a, g, sa)
        b, sb = zero.step(b, g, sb)
    assert_array_equal(a, b)
    assert_array_equal(sa.m, sb.m)


def test_the_first_damped_buffer_is_a_copy_not_the_callers_gradient():
    opt = optim.momentum(0.1, 0.9, form="heavy_ball", dampening=0.5)
    g = np.array([1.0, 2.0])
    _, state = opt.step(np.zeros(2), g, opt.init(np.zeros(2)))
    g[:] = 0.0  # the caller reuses its gradient buffer
    assert_array_equal(state.m, [1.0, 2.0])


def test_dampening_is_rebuilt_from_hyper():
    opt = optim.momentum(0.1, 0.9, form="heavy_ball", dampening=0.9)
    assert opt.hyper["dampening"] == 0.9
    again = optim.OPTIMIZERS[opt.name](**opt.hyper)
    g = np.array([1.0, -3.0])
    assert_array_equal(opt.step(np.zeros(2), g, opt.init(np.zeros(2)))[0],
                       again.step(np.zeros(2), g, again.init(np.zeros(2)))[0])


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        (dict(dampening=0.5), "dampening must be 0 for form='ema'"),
        (dict(form="heavy_ball", nesterov=True, dampening=0.5),
         "dampening must be 0 with nesterov=True, got 0.5"),
        (dict(form="heavy_ball", dampening=1.0),
         "dampening must be in [0, 1), got 1.0"),
        (dict(form="heavy_ball", dampening=-0.1),
         "dampening must be in [0, 1), got -0.1"),
    ],
)
def test_bad_dampening_raises_naming_it_and_its_range(kwargs, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        optim.momentum(lr=0.1, **kwargs)
