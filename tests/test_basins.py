"""``run.basins`` runs many starts at once and says which minimum each reaches."""

from __future__ import annotations

import re

import numpy as np
import pytest
from numpy.testing import assert_array_equal

from descent import landscapes, optim, run

STEPS = 500
ATOL = 1e-10
CJK = re.compile(r"[\u2e80-\u9fff\uac00-\ud7af\uff00-\uffef]")


# --- run.basins ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def wells():
    return landscapes.two_wells()


def test_basins_agrees_with_one_run_per_start(wells):
    opt = optim.momentum(0.05, 0.9, form="heavy_ball")
    starts = np.array([[-2.0, 1.0], [3.1, 1.0], [0.5, -0.5], [-0.5, 0.3], [2.5, 0.0]])
    labels = run.basins(opt, wells, starts, steps=1500)
    for start, label in zip(starts, labels, strict=True):
        end = run.run(opt, wells, start=start, steps=1500).final_params
        distances = np.linalg.norm(wells.minima - end, axis=1)
        expected = int(np.argmin(distances)) if distances.min() < 1e-3 else -1
        assert label == expected
    # the starts are chosen so that both minima occur (the test means something)
    assert set(labels.tolist()) == {0, 1}


def test_basins_keeps_the_shape_of_the_grid_of_starts(wells):
    xs, ys = np.linspace(-2, 3, 7), np.linspace(-1, 1, 4)
    grid = np.stack(np.meshgrid(xs, ys), axis=-1)
    labels = run.basins(optim.sgd(0.05), wells, grid, steps=800)
    assert labels.shape == (4, 7)
    assert labels.dtype.kind == "i"
    # plain gradient descent never crosses the saddle at x = 0
    assert np.all(labels[:, xs < 0] == 1)
    assert np.all(labels[:, xs > 0] == 0)


def test_basins_says_minus_one_for_unfinished_and_diverged_runs(wells):
    starts = np.array([[-2.0, 1.0], [3.0, 0.0]])
    assert_array_equal(run.basins(optim.sgd(0.05), wells, starts, steps=0), [-1, -1])
    assert_array_equal(run.basins(optim.sgd(5.0), wells, starts, steps=50), [-1, -1])


def test_basins_refuses_global_norm_clipping(wells):
    opt = optim.clip_by_global_norm(optim.sgd(0.05), 1.0)
    with pytest.raises(ValueError, match="element by element"):
        run.basins(opt, wells, np.zeros((3, 2)))


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        (dict(starts=np.zeros(2)), "starts must have shape (..., d)"),
        (dict(steps=-1), "steps must be an integer >= 0, got -1"),
        (dict(tol=0.0), "tol must be > 0, got 0.0"),
    ],
)
def test_basins_bad_arguments_raise(wells, kwargs, message):
    args = dict(starts=np.zeros((2, 2)), steps=10, tol=1e-3) | kwargs
    with pytest.raises(ValueError, match=re.escape(message)):
        run.basins(optim.sgd(0.1), wells, **args)


def test_basins_needs_known_minima():
    class NoMinima:
        def grad(self, p):
            return 2 * np.asarray(p)

    with pytest.raises(ValueError, match="must list its minima"):
        run.basins(optim.sgd(0.1), NoMinima(), np.zeros((2, 2)))
