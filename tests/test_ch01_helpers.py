"""Specification of what the SGD chapter and the landing page add to descent.

descent.regression (a line fitted by least squares, and its minibatches), the
figure builders plot_line_fit, plot_gradient_cloud, plot_batch_variance,
plot_loss_vs_epochs and race_svg, the explorer minibatch_explorer, and the
Sphinx extension that draws the landing page's race.
"""

from __future__ import annotations

import importlib.util
import itertools
import math
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import matplotlib
import numpy as np
import pytest

matplotlib.use("Agg")

from matplotlib.figure import Figure  # noqa: E402

from descent import explore, plots  # noqa: E402
from descent.landscapes import LANDSCAPES  # noqa: E402
from descent.optim import OPTIMIZERS, adam, sgd  # noqa: E402
from descent.regression import LineFit, Minibatch, line_fit  # noqa: E402
from descent.run import race, run  # noqa: E402

SVG = "{http://www.w3.org/2000/svg}"
ROOT = Path(__file__).resolve().parents[1]


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


# --- figure builders --------------------------------------------------------------


def test_chapter_figure_builders_draw_on_the_axes_they_are_given(fit):
    fig = Figure()
    ax1, ax2, ax3, ax4 = fig.subplots(1, 4)
    out = plots.plot_line_fit(ax1, fit, {"start": fit.start})
    assert set(out) == {"points", "least squares", "start"}
    clouds = {f"B = {b}": fit.minibatch_grads(fit.start, b, 50,
                                              np.random.default_rng(b))
              for b in (1, 8)}
    out = plots.plot_gradient_cloud(ax2, clouds, fit.grad(fit.start))
    assert set(out) == {"B = 1", "B = 8", "full"}
    out = plots.plot_batch_variance(ax3, [1, 2, 4], [4.1, 2.0, 0.9], [4.0, 2.0, 1.0])
    assert ax3.get_xscale() == "log" and ax3.get_yscale() == "log"
    trajs = {"GD": run(sgd(0.3), fit, steps=5),
             "SGD": run(sgd(0.05), fit.minibatch(1, np.random.default_rng(0)),
                        steps=300)}
    out = plots.plot_loss_vs_epochs(ax4, trajs, {"GD": fit.n, "SGD": 1}, fit.n,
                                    min_value=fit.min_value)
    gd_epochs = out["GD"].get_xdata()
    sgd_epochs = out["SGD"].get_xdata()
    assert gd_epochs[-1] == pytest.approx(5.0)
    assert sgd_epochs[-1] == pytest.approx(300 / fit.n)
    assert np.all(out["SGD"].get_ydata() > 0)


def test_chapter_figure_builders_reject_what_they_cannot_draw(fit):
    ax = Figure().subplots()
    with pytest.raises(ValueError, match="finite"):
        plots.plot_line_fit(ax, fit, {"bad": [np.nan, 1.0]})
    with pytest.raises(ValueError, match="shape"):
        plots.plot_gradient_cloud(ax, {"B = 1": np.ones((3, 3))}, [0.0, 0.0])
    with pytest.raises(ValueError, match="same length"):
        plots.plot_batch_variance(ax, [1, 2], [1.0], [1.0, 0.5])
    with pytest.raises(ValueError, match="batch_sizes"):
        plots.plot_loss_vs_epochs(ax, {"GD": run(sgd(0.1), fit, steps=2)}, {}, fit.n)


# --- race_svg ---------------------------------------------------------------------


def numbers(text: str) -> list[float]:
    return [float(v) for v in re.findall(r"-?\d+(?:\.\d+)?(?:e[-+]?\d+)?", text)]


def animated_paths(root: ET.Element) -> list[ET.Element]:
    return [p for p in root.iter(f"{SVG}path") if p.find(f"{SVG}animate") is not None
            and p.get("data-name") is not None]


def check_race_svg(text: str, names: list[str]) -> ET.Element:
    """Well-formed SVG, one animated path per run, every coordinate finite."""
    root = ET.fromstring(text)
    assert root.tag == f"{SVG}svg"
    paths = animated_paths(root)
    assert [p.get("data-name") for p in paths] == names
    for p in paths:
        coords = numbers(p.get("d"))
        assert coords and all(math.isfinite(v) for v in coords)
        anim = p.find(f"{SVG}animate")
        assert anim.get("attributeName") == "stroke-dashoffset"
        assert anim.get("repeatCount") == "indefinite"
        offsets = numbers(anim.get("values"))
        times = numbers(anim.get("keyTimes"))
        assert len(offsets) == len(times) and times[0] == 0 and times[-1] == 1
        assert all(math.isfinite(v) for v in offsets) and offsets[-1] == 0
        assert offsets == sorted(offsets, reverse=True)  # the path only grows
    for element in root.iter():
        for attr in ("cx", "cy", "x", "y", "width", "height", "values"):
            if element.get(attr) is not None:
                assert all(math.isfinite(v) for v in numbers(element.get(attr)))
    return root


def test_race_svg_draws_one_animated_path_per_optimizer():
    landscape = LANDSCAPES["rosenbrock"]
    names = ["sgd", "momentum", "adam"]
    opts = {"sgd": sgd(1e-3), "momentum": OPTIMIZERS["momentum"](lr=0.01),
            "adam": adam(lr=0.05)}
    trajs = race(opts, landscape, steps=120)
    text = plots.race_svg(landscape, trajs, frames=40)
    root = check_race_svg(text, names)
    heads = [c for c in root.iter(f"{SVG}circle")
             if c.find(f"{SVG}animate") is not None]
    assert len(heads) == len(names)
    legend = " ".join(t.text or "" for t in root.iter(f"{SVG}text"))
    for name in names:
        assert name in legend
    assert plots.race_svg(landscape, trajs, frames=40) == text  # deterministic
    assert len(text.encode()) < 80_000


def test_race_svg_marks_a_diverged_run_and_keeps_its_coordinates_finite():
    landscape = LANDSCAPES["cliff"]
    trajs = race({"sgd": sgd(5.0), "adam": adam(0.1)}, landscape, steps=200,
                 bound=1e4)
    assert trajs["sgd"].diverged
    text = plots.race_svg(landscape, trajs, frames=20)
    root = check_race_svg(text, ["sgd", "adam"])
    legend = " ".join(t.text or "" for t in root.iter(f"{SVG}text"))
    assert f"diverged at step {trajs['sgd'].diverged_at}" in legend


def test_race_svg_rejects_bad_settings():
    landscape = LANDSCAPES["quadratic"]
    trajs = race({"sgd": sgd(0.1)}, landscape, steps=5)
    with pytest.raises(ValueError, match="trajs"):
        plots.race_svg(landscape, {})
    with pytest.raises(ValueError, match="frames"):
        plots.race_svg(landscape, trajs, frames=1)
    with pytest.raises(ValueError, match="domain"):
        plots.race_svg(landscape, trajs, domain=((1.0, 0.0), (0.0, 1.0)))


def load_race_extension():
    path = ROOT / "book" / "_ext" / "race_animation.py"
    spec = importlib.util.spec_from_file_location("race_animation", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_landing_page_race_is_well_formed_with_every_optimizer():
    ext = load_race_extension()
    text = ext.race_svg_text()
    check_race_svg(text, list(ext.OPTIMIZERS))
    assert len(text.encode()) < 80_000


def test_landing_page_race_is_written_only_when_it_changes(tmp_path):
    ext = load_race_extension()

    class App:
        srcdir = str(tmp_path)

    ext.write_race(App())
    target = tmp_path / ext.TARGET
    first = target.stat().st_mtime_ns
    ext.write_race(App())
    assert target.stat().st_mtime_ns == first
    check_race_svg(target.read_text(encoding="utf-8"), list(ext.OPTIMIZERS))


# --- minibatch_explorer -----------------------------------------------------------


def test_minibatch_explorer_has_a_frame_per_grid_point_and_a_table_per_lr(fit):
    ex = explore.minibatch_explorer(
        fit, lambda lr: sgd(lr), {"lr": [0.05, 0.2], "batch_size": [1, fit.n]},
        rng=np.random.default_rng(8), steps=30, figsize=(4, 2), dpi=60,
    )
    assert len(ex.frames) == 4
    assert [f.alt for f in ex.frames] == [
        "lr = 0.05, batch_size = 1", "lr = 0.05, batch_size = 60",
        "lr = 0.2, batch_size = 1", "lr = 0.2, batch_size = 60",
    ]
    lines = ex.summary_text.splitlines()
    header = next(i for i, s in enumerate(lines) if s.startswith("excess loss"))
    assert lines[header + 1].split() == ["full", "batch", "B", "=", "1", "B", "=", "60"]
    assert [s.split()[:3] for s in lines[header + 2:]] == [
        ["lr", "=", "0.05"], ["lr", "=", "0.2"]]


def test_minibatch_explorer_with_the_whole_dataset_matches_the_full_batch(fit):
    ex = explore.minibatch_explorer(
        fit, lambda lr: sgd(lr), {"lr": [0.2], "batch_size": [fit.n]},
        rng=np.random.default_rng(9), steps=30, figsize=(4, 2), dpi=60,
    )
    row = ex.summary_text.splitlines()[-1].split()
    assert row[-2] == row[-1]  # full batch and B = N end at the same loss


def test_minibatch_explorer_needs_a_batch_slider_and_a_minibatch_objective(fit):
    with pytest.raises(ValueError, match="batch size slider"):
        explore.minibatch_explorer(fit, lambda lr: sgd(lr), {"lr": [0.1]},
                                   rng=np.random.default_rng())
    with pytest.raises(ValueError, match="minibatch"):
        explore.minibatch_explorer(LANDSCAPES["quadratic"], lambda lr: sgd(lr),
                                   {"lr": [0.1], "batch_size": [1]},
                                   rng=np.random.default_rng())
    with pytest.raises(ValueError, match="rng"):
        explore.minibatch_explorer(fit, lambda lr: sgd(lr),
                                   {"lr": [0.1], "batch_size": [1]}, rng=3)
