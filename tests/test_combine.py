"""Optimizers built from others: ``partition`` and ``reshaped``."""

from __future__ import annotations

import re

import numpy as np
import pytest
from numpy.testing import assert_array_equal

from descent import optim
from descent.run import run


def network(rng):
    return [rng.standard_normal((4, 3)), rng.standard_normal(4),
            rng.standard_normal((2, 4)), rng.standard_normal(2)]


LABELS = ["muon", "adamw", "adamw", "adamw"]  # hidden weights: Muon; the rest AdamW


def test_partition_steps_each_group_as_its_optimizer_alone():
    rng = np.random.default_rng(0)
    hidden, others = optim.muon(lr=0.02), optim.adamw(lr=1e-3)
    opt = optim.partition({"muon": hidden, "adamw": others}, LABELS)
    params = network(rng)
    state = opt.init(params)
    alone_h = [params[0]], hidden.init([params[0]])
    alone_o = params[1:], others.init(params[1:])
    for _ in range(5):
        grads = network(rng)
        params, state = opt.step(params, grads, state)
        alone_h = hidden.step(*alone_h[:1], [grads[0]], alone_h[1])
        alone_o = others.step(alone_o[0], grads[1:], alone_o[1])
        assert_array_equal(params[0], alone_h[0][0])
        for p, q in zip(params[1:], alone_o[0], strict=True):
            assert_array_equal(p, q)
    assert state.t == 5 and opt.name == "muon+adamw"


def test_partition_labels_may_be_a_function_and_groups_may_be_empty():
    rng = np.random.default_rng(1)

    def by_ndim(params):
        return ["muon" if p.ndim == 2 else "adamw" for p in params]

    opt = optim.partition({"muon": optim.muon(), "adamw": optim.adamw()}, by_ndim)
    params = [rng.standard_normal((3, 3))]
    state = opt.init(params)
    assert state.inner[1] is None
    new, state = opt.step(params, [np.ones((3, 3))], state)
    assert new[0].shape == (3, 3)


@pytest.mark.parametrize(
    "labels, message",
    [
        (["muon", "adamw"], "labels must name one optimizer per array: got 2 labels"),
        (["muon", "adam", "adamw", "adamw"], "labels name unknown optimizers ['adam']"),
    ],
)
def test_partition_refuses_bad_labels(labels, message):
    opt = optim.partition({"muon": optim.muon(), "adamw": optim.adamw()}, labels)
    with pytest.raises(ValueError, match=re.escape(message)):
        opt.init(network(np.random.default_rng(2)))


def test_partition_evaluates_schedule_free_groups_at_their_average():
    rng = np.random.default_rng(3)
    sf = optim.schedule_free_adamw(lr=0.01)
    opt = optim.partition({"muon": optim.muon(), "sf": sf},
                          ["muon", "sf", "sf", "sf"])
    params = network(rng)
    state = opt.init(params)
    for _ in range(3):
        params, state = opt.step(params, network(rng), state)
    point = optim.evaluation_point(opt, params, state)
    assert_array_equal(point[0], params[0])  # Muon: the parameters themselves
    for p, x in zip(point[1:], state.inner[1].x, strict=True):
        assert_array_equal(p, x)


def test_reshaped_steps_a_flat_vector_as_the_list_of_arrays():
    rng = np.random.default_rng(4)
    shapes = [(4, 3), (2, 4)]
    inner = optim.muon(lr=0.05)
    opt = optim.reshaped(inner, shapes)
    flat = rng.standard_normal(20)
    arrays = [flat[:12].reshape(4, 3), flat[12:].reshape(2, 4)]
    state, alone = opt.init(flat), inner.init(arrays)
    for _ in range(4):
        g = rng.standard_normal(20)
        flat, state = opt.step(flat, g, state)
        arrays, alone = inner.step(arrays, [g[:12].reshape(4, 3),
                                            g[12:].reshape(2, 4)], alone)
        assert_array_equal(flat, np.concatenate([a.ravel() for a in arrays]))
    assert opt.name == "muon"
    with pytest.raises(ValueError, match=r"flat vector of 20 entries"):
        opt.init(np.zeros(19))


def test_run_drives_muon_on_a_matrix_through_reshaped():
    # f(W) = ½‖W - I‖², a 2 × 2 matrix seen by run as a flat θ
    class Bowl:
        minima = np.eye(2).reshape(1, 4)
        start = np.zeros(4)

        @staticmethod
        def value(theta):
            return 0.5 * float(np.sum((theta - np.eye(2).ravel()) ** 2))

        @staticmethod
        def grad(theta):
            return theta - np.eye(2).ravel()

    traj = run(optim.reshaped(optim.muon(lr=0.05, weight_decay=0.0), [(2, 2)]),
               Bowl(), steps=100)
    assert traj.name == "muon" and not traj.diverged
    assert traj.distance[-1] < 0.1 < traj.distance[0]


def every_optimizer(lr):
    """Every optimizer of the book on a 2-D θ; Muon sees it as a 1 x 2 matrix."""
    out = {}
    for name, factory in optim.OPTIMIZERS.items():
        opt = factory(lr=lr)
        out[name] = optim.reshaped(opt, [(1, 2)]) if name == "muon" else opt
    return out


def test_race_and_the_trajectory_explorer_accept_every_optimizer():
    from descent import explore, landscapes
    from descent.run import race

    bowl = landscapes.quadratic(condition=10)
    trajs = race(every_optimizer(0.01), bowl, steps=30)
    assert set(trajs) == set(optim.OPTIMIZERS)
    assert all(np.isfinite(t.loss).all() and t.steps == 30 for t in trajs.values())
    ex = explore.trajectory_explorer(bowl, every_optimizer, {"lr": [0.01]}, steps=10,
                                     figsize=(4, 2), dpi=40)
    assert len(ex.frames) == 1
    for name in optim.OPTIMIZERS:
        assert name in ex.summary_text
