"""Specification of descent.landscapes: gradients, minima, shapes and arguments."""

import math

import numpy as np
import pytest

from descent.landscapes import (
    LANDSCAPES,
    Landscape,
    beale,
    cliff,
    plateau,
    quadratic,
    rosenbrock,
    saddle,
    two_wells,
)

# Every landscape at its defaults, plus non-default settings of each factory.
ALL = {
    **LANDSCAPES,
    "quadratic(100, 30)": quadratic(condition=100.0, angle=30.0),
    "quadratic(1, 0)": quadratic(condition=1.0),
    "quadratic(5, -120)": quadratic(condition=5.0, angle=-120.0),
    "rosenbrock(-0.5, 10)": rosenbrock(a=-0.5, b=10.0),
    "plateau(2)": plateau(width=2.0),
    "cliff(10, 5)": cliff(height=10.0, sharpness=5.0),
}
CASES = pytest.mark.parametrize("landscape", ALL.values(), ids=ALL.keys())

FD_STEP = 1e-6
# Relative error of the analytic gradient against central differences. A gradient
# smaller than GRAD_FLOOR is compared with GRAD_FLOOR instead: there (only on the
# plateau) f is within 1e-6 of 1, its rounding error of ~1e-16 divided by the
# step limits what a finite difference can resolve.
FD_RTOL = 1e-6
GRAD_FLOOR = 1e-3


def random_points(landscape, n, seed):
    """n points drawn uniformly from the landscape's plot box."""
    rng = np.random.default_rng(seed)
    (xmin, xmax), (ymin, ymax) = landscape.domain
    return np.column_stack([rng.uniform(xmin, xmax, n), rng.uniform(ymin, ymax, n)])


def central_difference(f, p, h=FD_STEP):
    return np.array([(f(p + h * e) - f(p - h * e)) / (2 * h) for e in np.eye(2)])


@CASES
def test_gradient_matches_central_differences(landscape):
    for p in random_points(landscape, 200, seed=20240501):
        g = landscape.grad(p)
        fd = central_difference(landscape.value, p)
        error = np.linalg.norm(g - fd) / max(np.linalg.norm(g), GRAD_FLOOR)
        assert error <= FD_RTOL, (p, g, fd)


@CASES
def test_every_listed_minimum_has_zero_gradient(landscape):
    for m in landscape.minima:
        assert np.linalg.norm(landscape.grad(m)) <= 1e-10


@CASES
def test_every_listed_minimum_is_a_strict_local_minimum(landscape):
    radius = 1e-3
    angles = np.linspace(0, 2 * np.pi, 16, endpoint=False)
    ring = radius * np.column_stack([np.cos(angles), np.sin(angles)])
    for m in landscape.minima:
        assert np.all(landscape.value(m + ring) > landscape.value(m))


@CASES
def test_the_first_minimum_is_the_lowest_point_of_the_plot_box(landscape):
    f_star = landscape.value(landscape.minima[0])
    assert landscape.min_value == f_star
    _, _, Z = landscape.grid(301)
    assert Z.min() >= f_star


@CASES
def test_grad_of_a_grid_equals_grad_of_each_point(landscape):
    points = random_points(landscape, 35, seed=7).reshape(5, 7, 2)
    values = landscape.value(points)
    grads = landscape.grad(points)
    assert values.shape == (5, 7)
    assert grads.shape == (5, 7, 2)
    for index in np.ndindex(5, 7):
        assert values[index] == landscape.value(points[index])
        np.testing.assert_array_equal(grads[index], landscape.grad(points[index]))


@CASES
def test_one_point_gives_a_float_and_a_gradient_of_shape_2(landscape):
    p = landscape.start
    assert isinstance(landscape.value(p), float)
    assert landscape.grad(p).shape == (2,)
    # A list, an integer array and a one-row grid are accepted too.
    assert landscape.value(list(p)) == landscape.value(p)
    assert landscape.grad(p[None, :]).shape == (1, 2)
    np.testing.assert_array_equal(
        landscape.grad(np.array([1, 2])), landscape.grad(np.array([1.0, 2.0]))
    )


@CASES
def test_start_lies_in_the_plot_box_away_from_every_minimum(landscape):
    (xmin, xmax), (ymin, ymax) = landscape.domain
    x, y = landscape.start
    assert xmin < x < xmax and ymin < y < ymax
    assert np.min(np.linalg.norm(landscape.minima - landscape.start, axis=1)) > 0.1


@CASES
def test_grid_spans_the_plot_box(landscape):
    X, Y, Z = landscape.grid(11)
    assert X.shape == Y.shape == Z.shape == (11, 11)
    (xmin, xmax), (ymin, ymax) = landscape.domain
    assert (X[0, 0], X[0, -1], Y[0, 0], Y[-1, 0]) == (xmin, xmax, ymin, ymax)
    assert Z[3, 4] == landscape.value(np.array([X[3, 4], Y[3, 4]]))


def test_landscapes_are_registered_under_their_own_names():
    expected = {"quadratic", "rosenbrock", "beale", "saddle", "plateau", "cliff"}
    assert expected | {"two_wells"} == set(LANDSCAPES)
    for name, landscape in LANDSCAPES.items():
        assert isinstance(landscape, Landscape)
        assert landscape.name == name
        # Figure text is English and math only: no CJK characters in titles.
        assert landscape.title
        assert not any("\u4e00" <= ch <= "\u9fff" for ch in landscape.title)


def test_nearest_minimum_picks_the_closest_listed_minimum():
    assert tuple(saddle().nearest_minimum([0.3, 0.2])) == (0.0, 1.0)
    assert tuple(saddle().nearest_minimum([0.3, -0.2])) == (0.0, -1.0)
    assert tuple(two_wells().nearest_minimum([-0.4, 1.0])) == (-1.0, 0.0)


def hessian(landscape, p, h=1e-4):
    """Central differences of the analytic gradient, symmetrised."""
    columns = [
        (landscape.grad(p + h * e) - landscape.grad(p - h * e)) / (2 * h)
        for e in np.eye(2)
    ]
    H = np.column_stack(columns)
    return 0.5 * (H + H.T)


@pytest.mark.parametrize("condition", [1.0, 2.5, 10.0, 1000.0])
@pytest.mark.parametrize("angle", [0.0, 30.0, 90.0, -45.0, 400.0])
def test_quadratic_has_eigenvalues_1_and_condition_along_rotated_axes(
    condition, angle
):
    landscape = quadratic(condition=condition, angle=angle)
    H = hessian(landscape, np.array([0.3, -0.7]))
    eigenvalues, eigenvectors = np.linalg.eigh(H)
    np.testing.assert_allclose(eigenvalues, [1.0, condition], rtol=1e-9)
    if condition > 1:
        # The steep direction is the y-axis turned counter-clockwise by angle.
        a = math.radians(angle)
        steep = np.array([-math.sin(a), math.cos(a)])
        assert abs(eigenvectors[:, 1] @ steep) == pytest.approx(1.0, abs=1e-9)
    # f = ½ pᵀ H p exactly.
    p = np.array([1.3, 0.4])
    assert landscape.value(p) == pytest.approx(0.5 * p @ H @ p, rel=1e-9)


def test_rosenbrock_minimum_is_a_squared():
    landscape = rosenbrock(a=-0.5, b=10.0)
    np.testing.assert_array_equal(landscape.minima, [[-0.5, 0.25]])
    assert landscape.value([-0.5, 0.25]) == 0.0


def test_plateau_gradient_is_tiny_on_the_plateau_and_steep_in_the_basin():
    landscape = plateau()
    points = random_points(landscape, 4000, seed=3)
    r = np.linalg.norm(points, axis=1)
    norms = np.linalg.norm(landscape.grad(points), axis=1)
    # Bounds stated in the docstring: |∇f| < 7.5e-4 for r >= 3, < 1e-6 for r >= 4.
    assert r.max() > 5
    assert np.all(norms[r >= 3] < 7.5e-4)
    assert np.all(norms[r >= 4] < 1e-6)
    # The steepest point of the basin, r = 1/√2, is a thousand times steeper.
    steepest = np.linalg.norm(landscape.grad([1 / math.sqrt(2), 0.0]))
    assert steepest == pytest.approx(math.sqrt(2) * math.exp(-0.5))
    assert steepest > 1000 * np.linalg.norm(landscape.grad(landscape.start))


def test_cliff_gradient_on_the_wall_is_ninety_times_the_slope_of_the_floor():
    landscape = cliff()
    points = random_points(landscape, 4000, seed=4)
    norms = np.abs(landscape.grad(points)[:, 0])
    on_floor = points[:, 0] <= 0.8
    on_wall = points[:, 0] >= 1.05
    assert on_floor.sum() > 100 and on_wall.sum() > 100
    assert np.all(norms[on_floor] <= 1.0)
    assert np.all(norms[on_wall] >= 90.0)


def test_cliff_throws_gradient_descent_with_lr_0_1_back_from_the_wall():
    landscape = cliff()
    p = landscape.start.copy()
    xs = [p[0]]
    for _ in range(60):
        p = p - 0.1 * landscape.grad(p)
        xs.append(p[0])
    dx = np.diff(xs)
    first_throw = int(np.argmax(dx < -1.0))
    assert dx[first_throw] < -3.0  # thrown back by over 30 floor steps ...
    assert 25 <= first_throw <= 35  # ... after about 30 steps down the floor
    assert np.all(dx[:first_throw] > 0)


def test_cliff_gradient_descent_settles_at_the_foot_below_the_stated_lr():
    landscape = cliff()
    # Stated threshold: η < 2 / (k (1 − 1/h)) = 2/99 for the defaults.
    p = landscape.start.copy()
    for _ in range(2000):
        p = p - 0.02 * landscape.grad(p)
    np.testing.assert_allclose(p, landscape.minima[0], atol=1e-6)


def test_saddle_start_runs_into_the_saddle_then_leaves_along_y():
    landscape = saddle()
    p = landscape.start.copy()
    path = [p]
    for _ in range(200):
        p = p - 0.1 * landscape.grad(p)
        path.append(p)
    path = np.array(path)
    closest = int(np.argmin(np.linalg.norm(path, axis=1)))
    assert np.linalg.norm(path[closest]) < 0.05  # passes near the saddle (0, 0)
    # Near the ridge y grows by the factor 1 + η per step.
    assert path[1, 1] / path[0, 1] == pytest.approx(1.1, rel=1e-4)
    np.testing.assert_allclose(path[-1], [0.0, 1.0], atol=1e-6)


def test_two_wells_gradient_descent_from_the_start_stops_in_the_shallow_well():
    landscape = two_wells()
    p = landscape.start.copy()
    for _ in range(1000):
        p = p - 0.05 * landscape.grad(p)
    np.testing.assert_allclose(p, [-1.0, 0.0], atol=1e-8)
    assert landscape.value(p) > landscape.min_value + 2  # it is not the global one


def test_two_wells_values_at_the_stated_points():
    landscape = two_wells()
    assert landscape.value([2.0, 0.0]) == pytest.approx(-8 / 3)
    assert landscape.value([-1.0, 0.0]) == pytest.approx(-5 / 12)
    assert landscape.value([0.0, 0.0]) == 0.0
    assert np.all(landscape.grad(np.array([0.0, 0.0])) == 0.0)


def test_beale_minimum_has_zero_value():
    assert beale().value([3.0, 0.5]) == 0.0


@pytest.mark.parametrize(
    ("factory", "kwargs", "message"),
    [
        (quadratic, {"condition": 0.5}, "condition must be a finite number >= 1"),
        (quadratic, {"condition": math.inf}, "condition must be a finite number >= 1"),
        (quadratic, {"condition": "ten"}, "condition must be a finite number >= 1"),
        (quadratic, {"angle": math.nan}, "angle must be a finite number"),
        (rosenbrock, {"a": math.inf}, "a must be a finite number"),
        (rosenbrock, {"b": 0.0}, "b must be a finite number > 0"),
        (rosenbrock, {"b": -1.0}, "b must be a finite number > 0"),
        (plateau, {"width": 0.0}, "width must be a finite number > 0"),
        (cliff, {"height": 1.0}, "height must be a finite number > 1"),
        (cliff, {"sharpness": -2.0}, "sharpness must be a finite number > 0"),
    ],
)
def test_bad_arguments_raise_naming_the_parameter_and_range(factory, kwargs, message):
    with pytest.raises(ValueError, match=message):
        factory(**kwargs)


@pytest.mark.parametrize("shape", [(3,), (), (4, 3), (2, 1)])
def test_points_of_the_wrong_shape_are_rejected(shape):
    p = np.ones(shape)
    for method in (rosenbrock().value, rosenbrock().grad):
        with pytest.raises(ValueError, match=r"p must have shape \(2,\) or"):
            method(p)


def test_grid_needs_at_least_two_points_per_side():
    with pytest.raises(ValueError, match="n must be an integer >= 2"):
        rosenbrock().grid(1)


def test_minima_and_start_are_read_only():
    landscape = quadratic()
    with pytest.raises(ValueError):
        landscape.minima[0, 0] = 1.0
    with pytest.raises(ValueError):
        landscape.start[0] = 1.0
