"""Lion, Adafactor, Muon and Schedule-Free against their reference implementations.

Adafactor and Muon are in ``torch.optim`` (2.13); Lion and Schedule-Free are not,
so their reference is the authors' package: ``lion-pytorch`` (0.2.5) and
``schedulefree`` (1.4.1, the ``*Reference`` classes), pinned as test-only
dependencies. As in ``test_parity.py``, each case runs ours and the reference
side by side for 500 steps (float64) on a seeded noisy quadratic, each side
taking its gradient at its own parameters; parameters must agree to 1e-10 at
every step and the states are compared too. The parameters are a list of
matrices and vectors, so Adafactor's factored and unfactored moments and
Muon's tall and wide matrices are all exercised.

Muon is the exception: torch runs Newton–Schulz in bfloat16. Its parts outside
Newton–Schulz (momentum, Nesterov mix, decay, rate adjustment) are tested
exactly by giving torch our float64 Newton–Schulz; the orthogonalised update in
bfloat16 is tested in ``test_newton_schulz.py``.
"""

from __future__ import annotations

import contextlib
import io
from collections.abc import Callable
from typing import Any, NamedTuple

import lion_pytorch
import numpy as np
import pytest
import schedulefree
import torch
import torch.optim._muon as torch_muon

from descent.optim import (
    adafactor,
    evaluation_point,
    lion,
    muon,
    newton_schulz,
    schedule_free_adamw,
    schedule_free_sgd,
)
from descent.schedules import cosine_annealing_lr

STEPS = 500
ATOL = 1e-10
STATE_TOL = 1e-10  # on |ours - reference| / (1 + |reference|)
SEED = 2024
MIXED = [(5, 3), (3, 4), (4,), (2, 3, 2)]  # tall, wide, a vector, a stack of 3 x 2
MATRICES = [(5, 3), (3, 4), (4, 4)]


class Case(NamedTuple):
    id: str
    ours: Callable[[], Any]  # builds our optimizer
    theirs: Callable[[list], Any]  # builds the reference on a list of tensors
    states: dict[str, str]  # our state field -> the reference's state key
    shapes: list = MIXED


class Problem(NamedTuple):
    """f(θ) = ½ (θ - θ*)ᵀ A (θ - θ*) on the flat θ, observed with noise."""

    A: np.ndarray
    theta_star: np.ndarray
    theta0: np.ndarray
    noise: np.ndarray

    def grad(self, theta: np.ndarray, step: int) -> np.ndarray:
        return self.A @ (theta - self.theta_star) + self.noise[step]


def make_problem(dim: int, steps: int = STEPS) -> Problem:
    rng = np.random.default_rng(SEED)
    Q, _ = np.linalg.qr(rng.standard_normal((dim, dim)))
    return Problem(
        A=Q @ np.diag(np.geomspace(0.1, 10.0, dim)) @ Q.T,
        theta_star=rng.standard_normal(dim),
        theta0=rng.standard_normal(dim),
        noise=0.1 * rng.standard_normal((steps, dim)),
    )


def split(flat: np.ndarray, shapes) -> list[np.ndarray]:
    sizes = [int(np.prod(s)) for s in shapes]
    parts = np.split(flat, np.cumsum(sizes)[:-1])
    return [p.reshape(s) for p, s in zip(parts, shapes, strict=True)]


def flat(arrays) -> np.ndarray:
    return np.concatenate([np.ravel(a) for a in arrays])


def run_case(case: Case, steps: int = STEPS) -> dict[str, float]:
    """Largest parameter and state errors over all steps, and at the end the
    error of the point to evaluate (schedule-free: x, after ``eval()``)."""
    dim = sum(int(np.prod(s)) for s in case.shapes)
    problem = make_problem(dim, steps)
    params = split(problem.theta0.copy(), case.shapes)
    tensors = [torch.tensor(a, dtype=torch.float64, requires_grad=True) for a in params]
    theirs = case.theirs(tensors)
    quiet = contextlib.redirect_stdout(io.StringIO())  # schedulefree prints modes
    if hasattr(theirs, "train"):
        with quiet:
            theirs.train()
    opt = case.ours()
    state = opt.init(params)

    param_err = state_err = 0.0
    for step in range(steps):
        grads = split(problem.grad(flat(params), step), case.shapes)
        params, state = opt.step(params, grads, state)

        now = flat([t.detach().numpy() for t in tensors])
        for t, g in zip(tensors, split(problem.grad(now, step), case.shapes),
                        strict=True):
            t.grad = torch.from_numpy(g.copy())
        theirs.step()

        now = flat([t.detach().numpy() for t in tensors])
        param_err = max(param_err, float(np.max(np.abs(flat(params) - now))))
        for field, key in case.states.items():
            ours = getattr(state, field)
            for i, t in enumerate(tensors):
                if key not in theirs.state[t]:
                    assert ours[i] is None, (field, i)
                    continue
                ref = theirs.state[t][key].numpy().ravel()
                rel = np.abs(np.ravel(ours[i]) - ref) / (1 + np.abs(ref))
                state_err = max(state_err, float(np.max(rel)))
    if hasattr(theirs, "eval"):
        with quiet:
            theirs.eval()  # the reference swaps x into the parameters
    evaluated = flat(evaluation_point(opt, params, state))
    eval_err = float(np.max(np.abs(evaluated - flat([t.detach().numpy()
                                                       for t in tensors]))))
    return {"param_err": param_err, "state_err": state_err, "eval_err": eval_err}


Lion = lion_pytorch.Lion
SGDSF = schedulefree.SGDScheduleFreeReference
AdamWSF = schedulefree.AdamWScheduleFreeReference
Adafactor, Muon = torch.optim.Adafactor, torch.optim.Muon
SF_STATE = {"z": "z", "x": "x"}
ADAFACTOR_STATE = {"row": "row_var", "col": "col_var", "v": "variance"}

# fmt: off
CASES = [
    Case("lion", lambda: lion(lr=1e-3), lambda p: Lion(p, lr=1e-3), {"m": "exp_avg"}),
    Case("lion-betas-wd", lambda: lion(lr=3e-3, beta1=0.95, beta2=0.98,
                                       weight_decay=0.5),
         lambda p: Lion(p, lr=3e-3, betas=(0.95, 0.98), weight_decay=0.5),
         {"m": "exp_avg"}),
    Case("adafactor", lambda: adafactor(lr=0.05),
         lambda p: Adafactor(p, lr=0.05), ADAFACTOR_STATE),
    Case("adafactor-foreach", lambda: adafactor(lr=0.05),
         lambda p: Adafactor(p, lr=0.05, foreach=True), ADAFACTOR_STATE),
    Case("adafactor-wd", lambda: adafactor(lr=0.05, weight_decay=0.2),
         lambda p: Adafactor(p, lr=0.05, weight_decay=0.2), ADAFACTOR_STATE),
    Case("adafactor-all", lambda: adafactor(lr=0.03, beta2_decay=-0.5,
                                            eps=(1e-3, 1e-2), d=2.0, weight_decay=0.1),
         lambda p: Adafactor(p, lr=0.03, beta2_decay=-0.5, eps=(1e-3, 1e-2), d=2.0,
                             weight_decay=0.1), ADAFACTOR_STATE),
    Case("adafactor-default-lr", lambda: adafactor(), lambda p: Adafactor(p),
         ADAFACTOR_STATE),
    Case("schedule-free-sgd", lambda: schedule_free_sgd(lr=0.1),
         lambda p: SGDSF(p, lr=0.1), SF_STATE),
    Case("schedule-free-sgd-all", lambda: schedule_free_sgd(
             lr=0.2, beta=0.8, weight_decay=0.05, warmup_steps=50, r=1.0,
             weight_lr_power=1.0),
         lambda p: SGDSF(p, lr=0.2, momentum=0.8, weight_decay=0.05, warmup_steps=50,
                         r=1.0, weight_lr_power=1.0), SF_STATE),
    Case("schedule-free-adamw", lambda: schedule_free_adamw(lr=0.01),
         lambda p: AdamWSF(p, lr=0.01), {**SF_STATE, "v": "exp_avg_sq"}),
    Case("schedule-free-adamw-all", lambda: schedule_free_adamw(
             lr=0.02, beta1=0.95, beta2=0.99, eps=1e-3, weight_decay=0.1,
             warmup_steps=100, r=0.5, weight_lr_power=0.0),
         lambda p: AdamWSF(p, lr=0.02, betas=(0.95, 0.99), eps=1e-3, weight_decay=0.1,
                           warmup_steps=100, r=0.5, weight_lr_power=0.0),
         {**SF_STATE, "v": "exp_avg_sq"}),
    # Muon: torch's Newton–Schulz replaced by ours (float64) in the test below.
    # Rates small enough that 500 steps stay in the approach: once Muon's
    # fixed-length steps hover around the minimum, the iterates are chaotic
    # (at lr = 0.02 a 1e-16 difference reaches 1e-2 by step 500).
    Case("muon", lambda: muon(lr=0.005), lambda p: Muon(p, lr=0.005),
         {"m": "momentum_buffer"}, MATRICES),
    Case("muon-plain-momentum", lambda: muon(lr=0.005, beta=0.9, nesterov=False),
         lambda p: Muon(p, lr=0.005, momentum=0.9, nesterov=False),
         {"m": "momentum_buffer"}, MATRICES),
    Case("muon-match-rms-adamw", lambda: muon(lr=0.01, weight_decay=0.3,
                                              adjust_lr_fn="match_rms_adamw"),
         lambda p: Muon(p, lr=0.01, weight_decay=0.3, adjust_lr_fn="match_rms_adamw"),
         {"m": "momentum_buffer"}, MATRICES),
    Case("muon-ns-options", lambda: muon(lr=0.005, weight_decay=0.0, eps=1e-3,
                                         ns_steps=3, ns_coefficients=(2.0, -1.5, 0.5)),
         lambda p: Muon(p, lr=0.005, weight_decay=0.0, eps=1e-3, ns_steps=3,
                        ns_coefficients=(2.0, -1.5, 0.5)),
         {"m": "momentum_buffer"}, MATRICES),
]
# fmt: on


def _ns_float64(grad, ns_coefficients, ns_steps, eps):
    out = newton_schulz(grad.numpy(), ns_coefficients, ns_steps, eps)
    return torch.from_numpy(out)


@pytest.fixture
def float64_newton_schulz(monkeypatch):
    """torch's Muon with our float64 Newton–Schulz: everything else is torch's."""
    monkeypatch.setattr(torch_muon, "_zeropower_via_newtonschulz", _ns_float64)


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_matches_the_reference_for_500_steps(case, float64_newton_schulz):
    errors = run_case(case)
    assert errors["param_err"] <= ATOL
    assert errors["state_err"] <= STATE_TOL
    assert errors["eval_err"] <= ATOL


SCHEDULED = {  # name: (our factory, the reference's class, extra kwargs)
    "lion": (lion, Lion, dict(weight_decay=0.5)),
    "adafactor": (adafactor, Adafactor, dict(weight_decay=0.1)),
    "muon": (muon, Muon, dict(weight_decay=0.1)),
    "schedule-free-sgd": (schedule_free_sgd, SGDSF, dict(warmup_steps=20)),
    "schedule-free-adamw": (schedule_free_adamw, AdamWSF, dict(warmup_steps=20)),
}


@pytest.mark.parametrize("name", SCHEDULED)
def test_a_schedule_drives_the_optimizer_as_the_reference_under_a_scheduler(
        name, float64_newton_schulz):
    # a schedule for lr: the reference's group lr set before each of its steps
    factory, reference, kwargs = SCHEDULED[name]
    base = 0.005 if name == "muon" else 0.02
    schedule = cosine_annealing_lr(lr=base, T_max=STEPS)

    class Scheduled:
        def __init__(self, params):
            self.opt, self.t = reference(params, lr=base, **kwargs), 0
            self.state = self.opt.state
            if hasattr(self.opt, "train"):
                self.train = self.opt.train
                self.eval = self.opt.eval

        def step(self):
            self.opt.param_groups[0]["lr"] = schedule(self.t)
            self.opt.step()
            self.t += 1

    shapes = MATRICES if name == "muon" else MIXED
    case = Case(f"{name}-cosine", lambda: factory(lr=schedule, **kwargs), Scheduled,
                {}, shapes)
    errors = run_case(case)
    assert errors["param_err"] <= ATOL
    assert errors["eval_err"] <= ATOL


def test_the_schedule_free_evaluation_point_is_not_the_training_point():
    # the reference's eval() moves the parameters from y to x: they differ,
    # and ours keeps x in its state
    case = next(c for c in CASES if c.id == "schedule-free-adamw")
    opt = case.ours()
    params = [np.ones(3)]
    state = opt.init(params)
    for k in range(5):
        params, state = opt.step(params, [np.array([1.0, -2.0, 0.5]) * (k + 1)], state)
    x = evaluation_point(opt, params, state)
    assert np.max(np.abs(x[0] - params[0])) > 1e-3
    np.testing.assert_array_equal(x[0], state.x[0])


def test_every_case_moves_the_parameters():
    # a parity test on parameters that barely move would prove little
    for case in CASES:
        if case.id.startswith("muon"):
            continue  # needs the fixture; covered by its own run
        dim = sum(int(np.prod(s)) for s in case.shapes)
        problem = make_problem(dim, 50)
        opt = case.ours()
        params = split(problem.theta0.copy(), case.shapes)
        state = opt.init(params)
        for step in range(50):
            grads = split(problem.grad(flat(params), step), case.shapes)
            params, state = opt.step(params, grads, state)
        assert np.linalg.norm(flat(params) - problem.theta0) > 0.01, case.id


def test_torch_muon_refuses_what_ours_refuses():
    # both raise for a parameter that is not a matrix
    with pytest.raises(ValueError, match="2D parameters"):
        Muon([torch.zeros(3)])
    with pytest.raises(ValueError, match=r"muon only supports 2-D parameters .* "
                       r"params\[1\] has shape \(3,\)"):
        muon().init([np.zeros((2, 2)), np.zeros(3)])
