"""The reference optimizers take the same steps as torch.optim (CPU, float64).

Each case runs our optimizer and its torch counterpart side by side for 500
steps on a seeded noisy quadratic: each side computes its own gradient at its
own parameters (same noise), so any difference in a step carries over to the
following ones. Parameters must agree to 1e-10 at every step; the optimizer
states (moment estimates, buffers) are compared too.

``benchmarks/parity_table.py`` prints the measured errors of this table.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from typing import Any, NamedTuple

import numpy as np
import pytest
import torch

from descent.optim import (
    adadelta,
    adagrad,
    adam,
    adamax,
    adamw,
    momentum,
    nadam,
    radam,
    rmsprop,
    rprop,
    sgd,
)

STEPS = 500
ATOL = 1e-10
STATE_TOL = 1e-10  # on |ours - torch| / (1 + |torch|)
SEED = 1951
DIM = 12
LIST_SHAPES = [(3, 2), (4,), (2,)]  # a small "network" of DIM parameters


class Case(NamedTuple):
    id: str
    factory: Callable
    kwargs: dict[str, Any]
    torch_class: type
    torch_kwargs: dict[str, Any]


SGD, Adagrad, RMSprop = torch.optim.SGD, torch.optim.Adagrad, torch.optim.RMSprop
Adam, AdamW = torch.optim.Adam, torch.optim.AdamW
Rprop, Adadelta, Adamax = torch.optim.Rprop, torch.optim.Adadelta, torch.optim.Adamax
NAdam, RAdam = torch.optim.NAdam, torch.optim.RAdam
HB = "heavy_ball"

# fmt: off
CASES = [
    Case("sgd", sgd, dict(lr=0.05), SGD, dict(lr=0.05)),
    Case("sgd-wd", sgd, dict(lr=0.05, weight_decay=0.1),
         SGD, dict(lr=0.05, weight_decay=0.1)),
    Case("heavy-ball-0.5", momentum, dict(lr=0.05, beta=0.5, form=HB),
         SGD, dict(lr=0.05, momentum=0.5)),
    Case("heavy-ball-0.9", momentum, dict(lr=0.02, beta=0.9, form=HB),
         SGD, dict(lr=0.02, momentum=0.9)),
    Case("heavy-ball-0.99", momentum, dict(lr=0.002, beta=0.99, form=HB),
         SGD, dict(lr=0.002, momentum=0.99)),
    Case("heavy-ball-wd", momentum, dict(lr=0.02, beta=0.9, form=HB, weight_decay=0.1),
         SGD, dict(lr=0.02, momentum=0.9, weight_decay=0.1)),
    Case("nesterov-0.9", momentum, dict(lr=0.02, beta=0.9, form=HB, nesterov=True),
         SGD, dict(lr=0.02, momentum=0.9, nesterov=True)),
    Case("nesterov-wd", momentum,
         dict(lr=0.02, beta=0.7, form=HB, nesterov=True, weight_decay=0.05),
         SGD, dict(lr=0.02, momentum=0.7, nesterov=True, weight_decay=0.05)),
    Case("adagrad", adagrad, dict(lr=0.5), Adagrad, dict(lr=0.5)),
    Case("adagrad-lr-decay", adagrad, dict(lr=0.5, lr_decay=0.01),
         Adagrad, dict(lr=0.5, lr_decay=0.01)),
    Case("adagrad-init-acc", adagrad, dict(lr=0.5, initial_accumulator=0.3),
         Adagrad, dict(lr=0.5, initial_accumulator_value=0.3)),
    Case("adagrad-eps", adagrad, dict(lr=0.5, eps=0.1), Adagrad, dict(lr=0.5, eps=0.1)),
    Case("adagrad-all", adagrad,
         dict(lr=0.3, eps=1e-3, initial_accumulator=1.0, lr_decay=0.002,
              weight_decay=0.05),
         Adagrad, dict(lr=0.3, eps=1e-3, initial_accumulator_value=1.0,
                       lr_decay=0.002, weight_decay=0.05)),
    Case("rmsprop", rmsprop, dict(lr=0.01), RMSprop, dict(lr=0.01, alpha=0.9)),
    Case("rmsprop-gamma-0.99", rmsprop, dict(lr=0.01, gamma=0.99),
         RMSprop, dict(lr=0.01, alpha=0.99)),
    Case("rmsprop-eps", rmsprop, dict(lr=0.01, eps=0.1),
         RMSprop, dict(lr=0.01, alpha=0.9, eps=0.1)),
    Case("rmsprop-momentum", rmsprop, dict(lr=0.002, momentum=0.9),
         RMSprop, dict(lr=0.002, alpha=0.9, momentum=0.9)),
    Case("rmsprop-centered", rmsprop, dict(lr=0.01, centered=True),
         RMSprop, dict(lr=0.01, alpha=0.9, centered=True)),
    Case("rmsprop-centered-momentum", rmsprop,
         dict(lr=0.002, gamma=0.95, momentum=0.8, centered=True),
         RMSprop, dict(lr=0.002, alpha=0.95, momentum=0.8, centered=True)),
    Case("rmsprop-wd", rmsprop, dict(lr=0.01, weight_decay=0.1),
         RMSprop, dict(lr=0.01, alpha=0.9, weight_decay=0.1)),
    Case("adam", adam, dict(lr=0.01), Adam, dict(lr=0.01)),
    Case("adam-betas", adam, dict(lr=0.01, beta1=0.5, beta2=0.9),
         Adam, dict(lr=0.01, betas=(0.5, 0.9))),
    Case("adam-eps", adam, dict(lr=0.01, eps=0.1), Adam, dict(lr=0.01, eps=0.1)),
    Case("adam-amsgrad", adam, dict(lr=0.01, amsgrad=True),
         Adam, dict(lr=0.01, amsgrad=True)),
    Case("adam-wd", adam, dict(lr=0.01, weight_decay=0.1),
         Adam, dict(lr=0.01, weight_decay=0.1)),
    Case("adam-amsgrad-wd", adam, dict(lr=0.01, amsgrad=True, weight_decay=0.1),
         Adam, dict(lr=0.01, amsgrad=True, weight_decay=0.1)),
    Case("adamw", adamw, dict(lr=0.01), AdamW, dict(lr=0.01)),
    Case("adamw-wd-0.5", adamw, dict(lr=0.01, weight_decay=0.5),
         AdamW, dict(lr=0.01, weight_decay=0.5)),
    Case("adamw-amsgrad", adamw, dict(lr=0.01, beta2=0.99, amsgrad=True),
         AdamW, dict(lr=0.01, betas=(0.9, 0.99), amsgrad=True)),
    # Adam's relatives (chapter 9)
    Case("rprop", rprop, dict(), Rprop, dict()),
    Case("rprop-lr-0.1", rprop, dict(lr=0.1), Rprop, dict(lr=0.1)),
    Case("rprop-etas", rprop, dict(lr=0.05, etas=(0.3, 1.5)),
         Rprop, dict(lr=0.05, etas=(0.3, 1.5))),
    Case("rprop-step-sizes", rprop, dict(lr=0.05, step_sizes=(1e-3, 0.08)),
         Rprop, dict(lr=0.05, step_sizes=(1e-3, 0.08))),
    Case("adadelta", adadelta, dict(), Adadelta, dict()),
    Case("adadelta-rho-0.95", adadelta, dict(rho=0.95), Adadelta, dict(rho=0.95)),
    Case("adadelta-eps", adadelta, dict(eps=1e-3), Adadelta, dict(eps=1e-3)),
    Case("adadelta-lr-0.5", adadelta, dict(lr=0.5), Adadelta, dict(lr=0.5)),
    Case("adadelta-lr-5-wd", adadelta, dict(lr=5.0, rho=0.99, weight_decay=0.1),
         Adadelta, dict(lr=5.0, rho=0.99, weight_decay=0.1)),
    Case("adamax", adamax, dict(lr=0.01), Adamax, dict(lr=0.01)),
    Case("adamax-betas", adamax, dict(lr=0.01, beta1=0.5, beta2=0.9),
         Adamax, dict(lr=0.01, betas=(0.5, 0.9))),
    Case("adamax-eps", adamax, dict(lr=0.01, eps=0.1), Adamax, dict(lr=0.01, eps=0.1)),
    Case("adamax-wd", adamax, dict(lr=0.01, weight_decay=0.1),
         Adamax, dict(lr=0.01, weight_decay=0.1)),
    Case("nadam", nadam, dict(lr=0.01), NAdam, dict(lr=0.01)),
    Case("nadam-momentum-decay", nadam, dict(lr=0.01, momentum_decay=0.05),
         NAdam, dict(lr=0.01, momentum_decay=0.05)),
    Case("nadam-betas-eps", nadam, dict(lr=0.01, beta1=0.8, beta2=0.99, eps=1e-3),
         NAdam, dict(lr=0.01, betas=(0.8, 0.99), eps=1e-3)),
    Case("nadam-wd", nadam, dict(lr=0.01, weight_decay=0.1),
         NAdam, dict(lr=0.01, weight_decay=0.1)),
    Case("nadam-decoupled-wd", nadam,
         dict(lr=0.01, weight_decay=0.5, decoupled_weight_decay=True),
         NAdam, dict(lr=0.01, weight_decay=0.5, decoupled_weight_decay=True)),
    Case("radam", radam, dict(lr=0.01), RAdam, dict(lr=0.01)),
    Case("radam-beta2-0.9", radam, dict(lr=0.01, beta2=0.9),
         RAdam, dict(lr=0.01, betas=(0.9, 0.9))),
    Case("radam-never-rectified", radam, dict(lr=0.01, beta2=0.6),
         RAdam, dict(lr=0.01, betas=(0.9, 0.6))),
    Case("radam-eps-wd", radam, dict(lr=0.01, eps=0.1, weight_decay=0.1),
         RAdam, dict(lr=0.01, eps=0.1, weight_decay=0.1)),
    Case("radam-decoupled-wd", radam,
         dict(lr=0.01, weight_decay=0.5, decoupled_weight_decay=True),
         RAdam, dict(lr=0.01, weight_decay=0.5, decoupled_weight_decay=True)),
]
# fmt: on

# our state field -> torch's state key, for the fields both sides keep
STATE_KEYS = {
    SGD: {"m": "momentum_buffer"},
    Adagrad: {"v": "sum"},
    RMSprop: {"v": "square_avg", "g_bar": "grad_avg", "m": "momentum_buffer"},
    Adam: {"m": "exp_avg", "v": "exp_avg_sq", "v_max": "max_exp_avg_sq"},
    AdamW: {"m": "exp_avg", "v": "exp_avg_sq", "v_max": "max_exp_avg_sq"},
    Rprop: {"g_prev": "prev", "delta": "step_size"},
    Adadelta: {"v": "square_avg", "s": "acc_delta"},
    Adamax: {"m": "exp_avg", "u": "exp_inf"},
    NAdam: {"m": "exp_avg", "v": "exp_avg_sq", "mu_product": "mu_product"},
    RAdam: {"m": "exp_avg", "v": "exp_avg_sq"},
}


class Problem(NamedTuple):
    """f(θ) = ½ (θ - θ*)ᵀ A (θ - θ*), observed through noisy gradients."""

    A: np.ndarray
    theta_star: np.ndarray
    theta0: np.ndarray
    noise: np.ndarray  # (STEPS, DIM), added to the gradient at each step

    def grad(self, theta: np.ndarray, step: int) -> np.ndarray:
        return self.A @ (theta - self.theta_star) + self.noise[step]


def make_problem(rng: np.random.Generator, steps: int = STEPS) -> Problem:
    """A random quadratic with curvatures from 0.1 to 10 and per-step noise."""
    Q, _ = np.linalg.qr(rng.standard_normal((DIM, DIM)))
    A = Q @ np.diag(np.geomspace(0.1, 10.0, DIM)) @ Q.T
    return Problem(
        A=A,
        theta_star=rng.standard_normal(DIM),
        theta0=rng.standard_normal(DIM),
        noise=0.1 * rng.standard_normal((steps, DIM)),
    )


def _split(flat: np.ndarray) -> list[np.ndarray]:
    sizes = [int(np.prod(s)) for s in LIST_SHAPES]
    parts = np.split(flat, np.cumsum(sizes)[:-1])
    return [part.reshape(shape) for part, shape in zip(parts, LIST_SHAPES, strict=True)]


def _flat(arrays: list[np.ndarray]) -> np.ndarray:
    return np.concatenate([np.ravel(a) for a in arrays])


@contextlib.contextmanager
def torch_float64() -> Iterator[None]:
    """torch's default dtype set to float64 for the duration.

    torch keeps an optimizer's scalar state (``step``, NAdam's ``mu_product``)
    in its default dtype; in float32, NAdam's product of momentum coefficients
    alone puts torch about 2e-10 away from the float64 iterates.
    """
    previous = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)
    try:
        yield
    finally:
        torch.set_default_dtype(previous)


def run_case(
    case: Case, as_list: bool = False, foreach: bool = False, steps: int = STEPS
) -> dict[str, float]:
    """Run ours and torch's side by side; return the largest errors over all steps.

    ``param_err`` is max |θ_ours - θ_torch|; ``state_err`` is the largest
    |ours - torch| / (1 + |torch|) over the state fields both sides keep.
    With ``as_list`` the parameters are a list of arrays of ``LIST_SHAPES``.
    torch runs in float64 throughout, its scalar state included.
    """
    with torch_float64():
        return _run_case(case, as_list, foreach, steps)


def _run_case(case: Case, as_list: bool, foreach: bool, steps: int) -> dict[str, float]:
    problem = make_problem(np.random.default_rng(SEED), steps)
    arrays = _split(problem.theta0) if as_list else [problem.theta0.copy()]
    tensors = [torch.tensor(a, dtype=torch.float64, requires_grad=True) for a in arrays]
    torch_opt = case.torch_class(tensors, foreach=foreach, **case.torch_kwargs)
    opt = case.factory(**case.kwargs)
    params = arrays if as_list else arrays[0]
    state = opt.init(params)

    def as_flat(x):  # ours (an array or a list) or torch's (a list) -> one vector
        return _flat(x) if isinstance(x, list) else x

    def as_arrays(flat):  # one vector -> the layout of the parameters
        return _split(flat) if as_list else [flat]

    param_err = state_err = 0.0
    for step in range(steps):
        grads = as_arrays(problem.grad(as_flat(params), step))
        params, state = opt.step(params, grads if as_list else grads[0], state)

        theirs = as_flat([t.detach().numpy() for t in tensors])
        for t, g in zip(tensors, as_arrays(problem.grad(theirs, step)), strict=True):
            t.grad = torch.from_numpy(g.copy())
        torch_opt.step()

        theirs = as_flat([t.detach().numpy() for t in tensors])
        param_err = max(param_err, float(np.max(np.abs(as_flat(params) - theirs))))
        for field, key in STATE_KEYS[case.torch_class].items():
            if getattr(state, field, None) is None:
                continue
            theirs = as_flat([torch_opt.state[t][key].numpy() for t in tensors])
            rel = np.abs(as_flat(getattr(state, field)) - theirs) / (1 + np.abs(theirs))
            state_err = max(state_err, float(np.max(rel)))
    return {"param_err": param_err, "state_err": state_err}


@pytest.mark.parametrize("foreach", [False, True], ids=["for-loop", "foreach"])
@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_matches_torch_on_one_array(case, foreach):
    errors = run_case(case, as_list=False, foreach=foreach)
    assert errors["param_err"] <= ATOL
    assert errors["state_err"] <= STATE_TOL


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_matches_torch_on_a_list_of_arrays(case):
    errors = run_case(case, as_list=True)
    assert errors["param_err"] <= ATOL
    assert errors["state_err"] <= STATE_TOL


def test_every_torch_state_key_is_compared():
    # guards the table above: a misspelt field name would silently skip a check
    for torch_class, keys in STATE_KEYS.items():
        cases = [c for c in CASES if c.torch_class is torch_class]
        compared = set()
        for case in cases:
            state = case.factory(**case.kwargs).init(np.zeros(DIM))
            compared |= {f for f in keys if getattr(state, f, None) is not None}
        assert compared == set(keys), torch_class


def test_the_problem_moves_the_parameters():
    # a parity test on parameters that barely move would prove little
    problem = make_problem(np.random.default_rng(SEED))
    assert np.linalg.norm(problem.theta0 - problem.theta_star) > 1.0
    assert np.linalg.norm(problem.A, 2) == pytest.approx(10.0)


def test_the_radam_cases_cross_the_rectification_threshold():
    # RAdam is momentum SGD while ρ_t ≤ 5: the parity runs must cover the switch
    # (and one setting, β2 ≤ 2/3, in which it never comes)
    from descent.optim.radam import rectification

    for case in (c for c in CASES if c.torch_class is RAdam):
        beta2 = case.kwargs.get("beta2", 0.999)
        switched = [t for t in range(1, STEPS + 1) if rectification(t, beta2)[1] > 0]
        if "never" in case.id:
            assert switched == [], case.id
        else:
            assert 1 < switched[0] < STEPS // 10, case.id


def test_the_rprop_step_size_range_is_reached():
    # a parity test whose step sizes never meet their bounds would not test them
    case = next(c for c in CASES if c.id == "rprop-step-sizes")
    problem = make_problem(np.random.default_rng(SEED))
    opt = case.factory(**case.kwargs)
    theta, state = problem.theta0.copy(), opt.init(problem.theta0)
    seen = set()
    for step in range(STEPS):
        theta, state = opt.step(theta, problem.grad(theta, step), state)
        seen |= set(np.unique(state.delta).tolist())
    assert {1e-3, 0.08} <= seen
