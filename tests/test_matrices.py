"""``descent.matrices``: the factorisation ½‖U Vᵀ − M‖² over a flat θ."""

from __future__ import annotations

import numpy as np
import pytest
from numpy.testing import assert_allclose

from descent import matrices


@pytest.fixture
def problem():
    return matrices.factorization([2.0, 0.5, 0.1], n=5, m=4, rank=3,
                                  rng=np.random.default_rng(0))


def test_the_gradient_matches_finite_differences(problem):
    theta = np.random.default_rng(1).standard_normal(problem.start.size)
    h = 1e-6
    numeric = [(problem.value(theta + h * e) - problem.value(theta - h * e)) / (2 * h)
               for e in np.eye(theta.size)]
    assert_allclose(problem.grad(theta), numeric, rtol=1e-6, atol=1e-8)


def test_the_target_has_the_singular_values_and_the_factors_their_shapes(problem):
    s = np.linalg.svd(problem.target, compute_uv=False)
    assert_allclose(s[:3], [2.0, 0.5, 0.1])
    assert s[3] < 1e-12
    assert problem.shapes == [(5, 3), (4, 3)]
    U, V = problem.factors(problem.start)
    assert U.shape == (5, 3) and V.shape == (4, 3)
    assert_allclose(problem.product(problem.start), U @ V.T)
    assert np.std(problem.start) < 0.05  # a small start, as the chapter needs


def test_the_least_loss_is_what_the_rank_leaves_out():
    rng = np.random.default_rng(2)
    full = matrices.factorization([3.0, 1.0, 0.5], 4, 4, rank=3, rng=rng)
    low = matrices.Factorization(full.target, rank=1, start=np.zeros(8))
    assert full.min_value == pytest.approx(0.0, abs=1e-24)
    assert low.min_value == pytest.approx(0.5 * (1.0**2 + 0.5**2))
    # the best rank-1 factors (from the SVD) reach it
    P, s, Qt = np.linalg.svd(full.target)
    best = np.concatenate([P[:, 0] * np.sqrt(s[0]), Qt[0] * np.sqrt(s[0])])
    assert low.value(best) == pytest.approx(low.min_value)
    assert np.allclose(low.grad(best), 0.0)


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda: matrices.factorization([1.0], 2, 2, 1, rng=0), "rng must be"),
        (lambda: matrices.factorization([1.0, 2.0, 3.0], 2, 4, 1,
                                        rng=np.random.default_rng(0)),
         "singular_values must be 1 to min"),
        (lambda: matrices.factorization([1.0], 2, 2, 1, rng=np.random.default_rng(0),
                                        init_scale=0.0), "init_scale must be > 0"),
        (lambda: matrices.Factorization(np.ones(3), 1, np.zeros(3)),
         "target must be a finite 2-D array"),
        (lambda: matrices.Factorization(np.ones((2, 2)), 0, np.zeros(0)),
         "rank must be an integer >= 1"),
        (lambda: matrices.Factorization(np.ones((2, 2)), 1, np.zeros(3)),
         r"start must have shape \(4,\)"),
    ],
)
def test_bad_arguments_raise(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def test_theta_of_the_wrong_length_is_refused(problem):
    with pytest.raises(ValueError, match=r"theta must have shape \(27,\)"):
        problem.value(np.zeros(5))
