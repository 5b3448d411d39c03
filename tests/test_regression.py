"""descent.regression: a line fitted by least squares, and its minibatches.

The fit's minimum, value, gradient and curvatures; minibatch gradients and
their exact covariance; and what a loss scaled by 1/10 does to SGD and Adam.
"""

from __future__ import annotations

import itertools

import matplotlib
import numpy as np
import pytest

matplotlib.use("Agg")

from descent import plots  # noqa: E402
from descent.optim import adam, sgd  # noqa: E402
from descent.regression import LineFit, Minibatch, line_fit  # noqa: E402
from descent.run import run  # noqa: E402


@pytest.fixture
def fit() -> LineFit:
    return line_fit(n=60, rng=np.random.default_rng(1951))


def small_fit() -> LineFit:
    x = np.array([-1.0, 0.0, 0.5, 1.0, 2.0, 3.0])
    y = np.array([-2.5, -1.2, 0.3, 1.1, 2.7, 5.2])
    return LineFit(x, y)


# --- descent.regression ---------------------------------------------------------


def test_line_fit_minimum_is_the_least_squares_solution(fit):
    Z = np.stack([fit.x, np.ones(fit.n)], axis=1)
    theta = np.linalg.solve(Z.T @ Z, Z.T @ fit.y)
    np.testing.assert_allclose(fit.minima[0], theta, rtol=1e-12)
    np.testing.assert_allclose(fit.grad(fit.minima[0]), 0.0, atol=1e-12)
    residual = Z @ theta - fit.y
    assert fit.min_value == pytest.approx(0.5 * np.mean(residual**2), rel=1e-12)


def test_line_fit_value_is_the_mean_squared_residual_over_two(fit):
    rng = np.random.default_rng(0)
    for theta in rng.normal(0.0, 3.0, size=(20, 2)):
        expected = 0.5 * np.mean((theta[0] * fit.x + theta[1] - fit.y) ** 2)
        assert fit.value(theta) == pytest.approx(expected, rel=1e-10)


def test_line_fit_gradient_is_the_mean_of_the_sample_gradients(fit):
    rng = np.random.default_rng(1)
    for theta in rng.normal(0.0, 3.0, size=(20, 2)):
        np.testing.assert_allclose(
            fit.sample_grads(theta).mean(axis=0), fit.grad(theta), atol=1e-12
        )
        np.testing.assert_allclose(
            fit.batch_grad(theta, np.arange(fit.n)), fit.grad(theta), atol=1e-12
        )


def test_line_fit_gradient_matches_central_differences(fit):
    rng = np.random.default_rng(2)
    h = 1e-6
    for theta in rng.normal(0.0, 3.0, size=(10, 2)):
        numeric = [
            (fit.value(theta + h * e) - fit.value(theta - h * e)) / (2 * h)
            for e in np.eye(2)
        ]
        np.testing.assert_allclose(fit.grad(theta), numeric, rtol=1e-6, atol=1e-8)


def test_line_fit_value_and_grad_are_vectorised_over_grids(fit):
    X, Y, Z = plots.landscape_grid(fit, resolution=7)
    grid = np.stack([X, Y], axis=-1)
    G = fit.grad(grid)
    assert Z.shape == (7, 7) and G.shape == (7, 7, 2)
    assert Z[3, 4] == pytest.approx(fit.value(grid[3, 4]), rel=1e-12)
    np.testing.assert_allclose(G[3, 4], fit.grad(grid[3, 4]), atol=1e-12)


def test_line_fit_hessian_eigenvalues_are_the_curvatures(fit):
    Z = np.stack([fit.x, np.ones(fit.n)], axis=1)
    lam = np.linalg.eigvalsh(Z.T @ Z / fit.n)
    np.testing.assert_allclose(fit.curvatures, lam, rtol=1e-12)
    assert fit.curvatures[0] < fit.curvatures[1]


def test_minibatch_gradient_averaged_over_all_batches_is_the_full_gradient():
    fit = small_fit()
    theta = np.array([0.3, -0.7])
    for b in range(1, fit.n + 1):
        batches = list(itertools.combinations(range(fit.n), b))
        mean = np.mean([fit.batch_grad(theta, list(i)) for i in batches], axis=0)
        np.testing.assert_allclose(mean, fit.grad(theta), atol=1e-12)


def test_gradient_covariance_is_the_exact_covariance_over_all_batches():
    fit = small_fit()
    theta = np.array([0.3, -0.7])
    for b in range(1, fit.n + 1):
        grads = np.array(
            [fit.batch_grad(theta, list(i))
             for i in itertools.combinations(range(fit.n), b)]
        )
        dev = grads - grads.mean(axis=0)
        exact = dev.T @ dev / len(grads)
        np.testing.assert_allclose(
            fit.gradient_covariance(theta, b), exact, atol=1e-12
        )
    np.testing.assert_allclose(fit.gradient_covariance(theta, fit.n), 0.0, atol=1e-12)


def test_minibatch_grads_scatter_around_the_full_gradient_with_that_covariance(fit):
    theta = fit.start
    g = fit.minibatch_grads(theta, 4, 4000, np.random.default_rng(3))
    cov = fit.gradient_covariance(theta, 4)
    assert g.shape == (4000, 2)
    # The sample mean is within 4 standard errors of the full gradient.
    se = np.sqrt(np.diag(cov) / len(g))
    assert np.all(np.abs(g.mean(axis=0) - fit.grad(theta)) < 4 * se)
    ratio = np.trace(np.cov(g.T, bias=True)) / np.trace(cov)
    assert 0.9 < ratio < 1.1


def test_minibatch_objective_draws_a_fresh_batch_per_gradient(fit):
    noisy = fit.minibatch(3, np.random.default_rng(4))
    assert isinstance(noisy, Minibatch)
    theta = fit.start
    g1, g2 = noisy.grad(theta), noisy.grad(theta)
    assert not np.allclose(g1, g2)
    assert noisy.value(theta) == fit.value(theta)
    assert noisy.minima is fit.minima and noisy.min_value == fit.min_value
    assert noisy.title == fit.title


def test_minibatch_of_the_whole_dataset_runs_batch_gradient_descent(fit):
    full = run(sgd(lr=0.3), fit, steps=40)
    noisy = run(sgd(lr=0.3), fit.minibatch(fit.n, np.random.default_rng(5)), steps=40)
    np.testing.assert_allclose(noisy.params, full.params, atol=1e-12)


def test_sgd_on_the_loss_divided_by_ten_is_sgd_with_the_lr_divided_by_ten(fit):
    lr, steps = 0.3, 200
    loss_div_10 = fit.scaled(0.1).minibatch(2, np.random.default_rng(6))
    a = run(sgd(lr), loss_div_10, steps=steps)
    b = run(sgd(lr / 10), fit.minibatch(2, np.random.default_rng(6)), steps=steps)
    np.testing.assert_allclose(a.params, b.params, rtol=0, atol=1e-12)
    np.testing.assert_allclose(a.loss, 0.1 * b.loss, rtol=1e-12)


def test_adam_is_nearly_blind_to_the_loss_scale_unlike_its_lr(fit):
    steps = 100
    base = run(adam(lr=0.05), fit, steps=steps)
    scaled_loss = run(adam(lr=0.05), fit.scaled(0.1), steps=steps)
    scaled_lr = run(adam(lr=0.005), fit, steps=steps)
    same = np.max(np.abs(scaled_loss.params - base.params))
    different = np.max(np.abs(scaled_lr.params - base.params))
    assert same < 1e-5 < 0.1 < different


def test_line_fit_is_reproducible_from_its_seed():
    a = line_fit(rng=np.random.default_rng(7))
    b = line_fit(rng=np.random.default_rng(7))
    np.testing.assert_array_equal(a.x, b.x)
    np.testing.assert_array_equal(a.y, b.y)


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda f: f.minibatch(0, np.random.default_rng()), "batch_size"),
        (lambda f: f.minibatch(61, np.random.default_rng()), r"\[1, 60\]"),
        (lambda f: f.minibatch(2.5, np.random.default_rng()), "batch_size"),
        (lambda f: f.minibatch(2, 42), "rng"),
        (lambda f: f.scaled(0.0), "scale"),
        (lambda f: f.scaled(-1.0), "scale"),
        (lambda f: f.gradient_covariance(f.start, 0), "batch_size"),
        (lambda f: f.minibatch_grads(f.start, 2, 0, np.random.default_rng()), "count"),
        (lambda f: f.batch_grad(f.start, []), "idx"),
        (lambda f: f.residuals(np.zeros(3)), "shape"),
        (lambda f: line_fit(n=1, rng=np.random.default_rng()), "n must"),
        (lambda f: line_fit(noise=-1.0, rng=np.random.default_rng()), "noise"),
        (lambda f: LineFit(np.ones(5), np.arange(5.0)), "two different"),
        (lambda f: LineFit(np.arange(5.0), np.arange(4.0)), "same length"),
    ],
)
def test_bad_input_raises_a_value_error_naming_the_parameter(fit, call, message):
    with pytest.raises(ValueError, match=message):
        call(fit)


# -- gradient accumulation ------------------------------------------------------------


def test_accumulation_divided_by_a_is_one_big_batch_and_undivided_is_a_times_it():
    fit = line_fit(n=64, rng=np.random.default_rng(2))
    theta = np.array([0.3, -0.7])
    big = fit.minibatch(16, np.random.default_rng(9))
    fixed = fit.accumulated(16, 4, np.random.default_rng(9))
    buggy = fit.accumulated(16, 4, np.random.default_rng(9), divide=False)
    for _ in range(5):
        g = big.grad(theta)
        np.testing.assert_allclose(fixed.grad(theta), g, rtol=1e-14, atol=1e-15)
        np.testing.assert_allclose(buggy.grad(theta), 4 * g, rtol=1e-14, atol=1e-15)
    assert fixed.value(theta) == fit.value(theta)


@pytest.mark.parametrize("micro", [0, 3, 2.0, True])
def test_accumulation_needs_micro_batches_that_divide_the_batch(micro):
    fit = line_fit(n=64, rng=np.random.default_rng(2))
    with pytest.raises(ValueError, match="micro_batches must be an integer >= 1"):
        fit.accumulated(16, micro, np.random.default_rng(0))
