"""Specification of descent.run: what a run records, when it stops, how it reads."""

import math
import re
import warnings

import numpy as np
import pytest

from descent.landscapes import LANDSCAPES, cliff, quadratic, two_wells
from descent.optim import adam, clip_by_global_norm, momentum, sgd
from descent.run import Trajectory, race, run, settles_at, summarise, summary


class Bowl:
    """A duck-typed objective in three dimensions: f = ½‖θ − c‖², no minima listed."""

    centre = np.array([1.0, -2.0, 0.5])

    def value(self, theta):
        d = theta - self.centre
        return 0.5 * float(d @ d)

    def grad(self, theta):
        return theta - self.centre


def all_finite(traj: Trajectory) -> bool:
    arrays = [traj.params, traj.loss, traj.grad_norm, traj.step_length]
    arrays += [a for a in (traj.angle, traj.distance) if a is not None]
    return all(np.isfinite(a).all() for a in arrays)


def test_trajectory_arrays_have_one_row_per_iterate_and_one_per_update():
    landscape = LANDSCAPES["rosenbrock"]
    traj = run(sgd(lr=1e-3), landscape, steps=50)
    assert traj.name == "sgd"
    assert traj.steps == 50
    assert traj.params.shape == (51, 2)
    assert traj.loss.shape == traj.grad_norm.shape == traj.distance.shape == (51,)
    assert traj.step_length.shape == traj.angle.shape == (50,)
    assert traj.diverged_at is None and traj.reason is None and not traj.diverged


def test_trajectory_records_what_gradient_descent_does_on_the_landscape():
    landscape = LANDSCAPES["rosenbrock"]
    traj = run(sgd(lr=1e-3), landscape, steps=20)
    np.testing.assert_array_equal(traj.params[0], landscape.start)
    for k in range(20):
        theta = traj.params[k]
        g = landscape.grad(theta)
        np.testing.assert_allclose(traj.params[k + 1], theta - 1e-3 * g, rtol=1e-15)
        assert traj.loss[k] == landscape.value(theta)
        assert traj.grad_norm[k] == pytest.approx(np.linalg.norm(g), rel=1e-14)
        assert traj.step_length[k] == pytest.approx(1e-3 * np.linalg.norm(g))
        assert traj.distance[k] == pytest.approx(np.linalg.norm(theta - [1.0, 1.0]))
    assert traj.final_loss == traj.loss[-1]
    np.testing.assert_array_equal(traj.final_params, traj.params[-1])


def test_angle_is_the_angle_between_the_update_and_the_way_to_the_minimum():
    landscape = quadratic(condition=10.0, angle=20.0)
    traj = run(sgd(lr=0.05), landscape, steps=30)
    for k in range(30):
        update = traj.params[k + 1] - traj.params[k]
        to_min = -traj.params[k]  # the only minimum is the origin
        cos = update @ to_min / (np.linalg.norm(update) * np.linalg.norm(to_min))
        assert traj.angle[k] == pytest.approx(np.degrees(np.arccos(cos)), abs=1e-6)
    assert traj.angle.max() > 10  # ill-conditioned: gradient descent cuts corners


def test_angle_is_zero_for_gradient_descent_on_a_round_bowl():
    # With condition 1 the negative gradient −θ points straight at the minimum.
    traj = run(sgd(lr=0.1), quadratic(condition=1.0), steps=100)
    np.testing.assert_allclose(traj.angle, 0.0, atol=1e-9)


def test_angle_is_180_degrees_when_moving_straight_away_from_the_minimum():
    class Away:  # a "gradient" pointing at the minimum sends gradient descent away
        minima = np.array([[0.0, 0.0]])

        def value(self, theta):
            return 0.0

        def grad(self, theta):
            return -theta

    traj = run(sgd(lr=0.1), Away(), start=[3.0, -4.0], steps=5)
    np.testing.assert_allclose(traj.angle, 180.0, atol=1e-9)


def test_angle_and_step_length_are_zero_when_starting_at_the_minimum():
    traj = run(adam(lr=0.1), quadratic(), start=[0.0, 0.0], steps=10)
    np.testing.assert_array_equal(traj.step_length, 0.0)
    np.testing.assert_array_equal(traj.angle, 0.0)
    np.testing.assert_array_equal(traj.distance, 0.0)


def test_angle_is_measured_to_the_nearest_of_several_minima():
    landscape = two_wells()
    start = np.array([-1.5, 0.5])  # nearer (−1, 0) than (2, 0)
    traj = run(sgd(lr=0.01), landscape, start=start, steps=1)
    update = traj.params[1] - start
    to_min = np.array([-1.0, 0.0]) - start
    cos = update @ to_min / (np.linalg.norm(update) * np.linalg.norm(to_min))
    assert traj.angle[0] == pytest.approx(np.degrees(np.arccos(cos)), abs=1e-6)
    assert traj.distance[0] == pytest.approx(np.linalg.norm(to_min))


def first_step_beyond(bound, lr=1.0, condition=10.0, start=(-1.5, 1.0)):
    """The first k with |θₖ|∞ > bound for gradient descent on the diagonal quadratic."""
    theta = np.array(start)
    factors = np.array([1 - lr, 1 - lr * condition])  # θₖ₊₁ = (I − ηA) θₖ
    k = 0
    while np.max(np.abs(theta)) <= bound:
        theta = factors * theta
        k += 1
    return k


def test_a_diverging_run_stops_at_the_bound_and_reports_step_and_reason():
    # lr = 1 on eigenvalue 10: each step multiplies y by −9.
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        traj = run(sgd(lr=1.0), quadratic(condition=10.0), steps=100)
    k = first_step_beyond(1e6)
    assert traj.diverged and traj.diverged_at == k
    assert traj.reason == "left the bound |θ|∞ > 1e+06"
    assert traj.steps == k - 1 and len(traj.params) == k
    assert np.abs(traj.params).max() <= 1e6
    assert all_finite(traj)
    assert not traj.converged(1.0)


def test_bound_is_respected_whatever_its_value():
    traj = run(sgd(lr=1.0), quadratic(condition=10.0), steps=100, bound=10.0)
    assert traj.diverged_at == first_step_beyond(10.0)
    assert "bound" in traj.reason
    assert np.abs(traj.params).max() <= 10.0


def test_without_a_bound_the_run_stops_when_the_loss_overflows():
    landscape = quadratic(condition=10.0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        traj = run(sgd(lr=1.0), landscape, steps=1000, bound=math.inf)
    assert traj.reason == "non-finite loss"
    # The rejected iterate is finite, but its loss ½·10·y² overflows.
    rejected = (1 - np.array([1.0, 10.0])) * traj.params[-1]
    assert np.isfinite(rejected).all()
    assert landscape.value(rejected) == math.inf
    assert all_finite(traj)


def test_an_overflow_error_inside_the_objective_counts_as_a_non_finite_loss():
    # Rosenbrock evaluates (a − x) ** 2 on Python floats, which raises OverflowError.
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        traj = run(sgd(lr=1.0), LANDSCAPES["rosenbrock"], steps=100, bound=math.inf)
    assert traj.diverged and traj.reason == "non-finite loss"
    assert all_finite(traj)


def test_a_non_finite_gradient_stops_the_run_before_it_is_used():
    class Broken(Bowl):
        def grad(self, theta):
            g = theta - self.centre
            return g if theta[0] < 0.5 else np.full(3, np.nan)

    traj = run(sgd(lr=0.1), Broken(), start=np.zeros(3), steps=50)
    crossing = int(np.argmax(1.0 - 0.9 ** np.arange(50) >= 0.5))  # θ₀ = 1 − 0.9ᵏ
    assert traj.reason == "non-finite gradient"
    assert traj.diverged_at == crossing
    assert traj.params[-1, 0] < 0.5
    assert all_finite(traj)


def test_non_finite_parameters_are_reported_as_such():
    class Exploding:
        name = "exploding"

        def init(self, params):
            return None

        def step(self, params, grads, state):
            return params * np.array([1.0, np.inf]), state

    traj = run(Exploding(), quadratic(), steps=5, bound=math.inf)
    assert (traj.diverged_at, traj.reason) == (1, "non-finite parameters")
    assert traj.steps == 0 and all_finite(traj)


def test_steps_to_is_the_first_step_below_the_tolerance_when_the_loss_falls():
    # On the round bowl, gradient descent with η = 0.1 scales θ by 0.9 per step,
    # so f(θₖ) = f(θ₀)·0.81ᵏ.
    landscape = quadratic(condition=1.0)
    traj = run(sgd(lr=0.1), landscape, steps=200)
    f0 = landscape.value(landscape.start)
    for tol in (1e-2, 1e-6, 1e-12):
        expected = math.ceil(math.log(tol / f0) / math.log(0.81))
        # Rounding could only matter if f0·0.81ᵏ landed exactly on tol.
        assert traj.steps_to(tol) in (expected, expected + 1)
        assert traj.loss[traj.steps_to(tol)] < tol <= traj.loss[traj.steps_to(tol) - 1]
    assert traj.converged(1e-12)
    assert traj.steps_to(1e-300) is None
    assert not traj.converged(1e-300)


def test_steps_to_counts_from_the_last_time_the_loss_climbs_back_above_tol():
    # The heavy ball on a round bowl spirals in: the loss dips below 1e-2 at step 5,
    # climbs back well above it, and stays below only much later.
    traj = run(momentum(lr=0.1, beta=0.9, form="heavy_ball"),
               quadratic(condition=1.0), steps=200)
    first_dip = int(np.flatnonzero(traj.gap < 1e-2)[0])
    k = traj.steps_to(1e-2)
    assert first_dip == 5 and k > 30
    assert traj.gap[first_dip:k].max() > 0.5
    assert np.all(traj.gap[k:] < 1e-2) and traj.gap[k - 1] >= 1e-2
    assert f"steps to 0.01: {k} " in summary(traj, tol=1e-2)


def test_steps_to_is_none_when_the_run_ends_above_tol_or_diverges():
    traj = run(momentum(lr=0.1, beta=0.9, form="heavy_ball"),
               quadratic(condition=1.0), steps=20)
    assert traj.gap.min() < 1e-2 <= traj.gap[-1]  # below once, but not at the end
    assert traj.steps_to(1e-2) is None
    diverged = run(sgd(lr=1.0), quadratic(), steps=100)
    assert diverged.gap.min() < 1e3 and diverged.diverged
    assert diverged.steps_to(1e3) is None


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        ([5.0, 0.5, 2.0, 0.5, 0.1], 3),
        ([0.1, 0.2], 0),
        ([0.1, 2.0], None),
        ([0.5, 1.0, 0.5], 2),  # equal to tol is not below it
        ([0.5, np.nan, 0.5], 2),
        ([], None),
    ],
)
def test_settles_at_is_the_first_index_after_which_values_stay_below_tol(
        values, expected):
    assert settles_at(values, tol=1.0) == expected


def test_settles_at_rejects_a_bad_tolerance_or_shape():
    with pytest.raises(ValueError, match="tol must be > 0"):
        settles_at([1.0], tol=0.0)
    with pytest.raises(ValueError, match="values must be a 1-D series"):
        settles_at([[1.0]], tol=1.0)


def test_steps_to_measures_the_loss_above_the_lowest_minimum():
    landscape = two_wells()  # f* = −8/3
    traj = run(sgd(lr=0.05), landscape, start=[3.0, 0.0], steps=300)
    assert traj.min_value == pytest.approx(-8 / 3)
    np.testing.assert_allclose(traj.gap, traj.loss + 8 / 3)
    assert traj.converged(1e-9)


def test_a_duck_typed_objective_in_three_dimensions_works():
    traj = run(sgd(lr=0.1), Bowl(), start=np.zeros(3), steps=100)
    assert traj.params.shape == (101, 3)
    assert traj.angle is None and traj.distance is None and traj.min_value is None
    np.testing.assert_allclose(traj.final_params, Bowl.centre, atol=1e-4)
    # Without known minima f* is taken as 0.
    assert traj.steps_to(1e-6) == int(np.argmax(traj.loss < 1e-6))
    assert "dist to min" not in summary(traj)


def test_an_empty_list_of_minima_counts_as_no_minima():
    class Unlisted(Bowl):
        minima = []

    traj = run(sgd(lr=0.1), Unlisted(), start=np.zeros(3), steps=3)
    assert traj.angle is None and traj.distance is None and traj.min_value is None


def test_a_duck_typed_objective_may_list_minima():
    class Listed(Bowl):
        minima = [Bowl.centre]

    traj = run(sgd(lr=0.1), Listed(), start=np.zeros(3), steps=10)
    assert traj.min_value == 0.0
    np.testing.assert_allclose(traj.angle, 0.0, atol=1e-9)


def test_cliff_throws_sgd_back_but_not_sgd_with_clipping():
    landscape = cliff()
    plain = run(sgd(lr=0.1), landscape, steps=300)
    clipped = run(clip_by_global_norm(sgd(lr=0.1), max_norm=1.0), landscape, steps=300)
    assert plain.step_length.max() > 3.0
    assert clipped.step_length.max() <= 0.1 + 1e-12
    assert clipped.distance[-1] < 0.1 < plain.distance[-1]


def test_two_wells_momentum_escapes_the_shallow_well_and_overshoots_the_deep_one():
    landscape = two_wells()
    deep, shallow = landscape.minima
    steps = 500

    plain = run(sgd(lr=0.1), landscape, steps=steps)
    heavy = run(momentum(lr=0.1, beta=0.9), landscape, steps=steps)
    np.testing.assert_allclose(plain.final_params, shallow, atol=1e-6)
    np.testing.assert_allclose(heavy.final_params, deep, atol=1e-6)

    high = [3.4, 0.5]
    plain = run(sgd(lr=0.1), landscape, start=high, steps=steps)
    heavy = run(momentum(lr=0.1, beta=0.9), landscape, start=high, steps=steps)
    np.testing.assert_allclose(plain.final_params, deep, atol=1e-6)
    np.testing.assert_allclose(heavy.final_params, shallow, atol=1e-6)


def test_race_runs_every_optimizer_from_the_same_start():
    opts = {"sgd": sgd(lr=1e-3), "adam 0.01": adam(lr=0.01), "adam 0.1": adam(lr=0.1)}
    start = np.array([0.5, -0.5])
    results = race(opts, LANDSCAPES["beale"], start=start, steps=40)
    assert list(results) == list(opts)
    for name, traj in results.items():
        assert traj.name == name
        np.testing.assert_array_equal(traj.params[0], start)
        assert traj.steps == 40
    default = race([sgd(lr=1e-3), adam(lr=0.01)], LANDSCAPES["beale"], steps=3)
    assert list(default) == ["sgd", "adam"]
    for traj in default.values():
        np.testing.assert_array_equal(traj.params[0], LANDSCAPES["beale"].start)


def test_race_of_a_list_rejects_two_optimizers_with_the_same_name():
    with pytest.raises(ValueError, match="two optimizers named 'adam'; pass a dict"):
        race([adam(lr=0.1), adam(lr=0.01)], LANDSCAPES["beale"], steps=3)


def test_summary_is_rounded_and_the_same_on_every_run():
    landscape = LANDSCAPES["rosenbrock"]
    lines = [summary(run(adam(lr=0.02), landscape, steps=300)) for _ in range(2)]
    assert lines[0] == lines[1]
    traj = run(adam(lr=0.02), landscape, steps=300)
    expected = (
        f"adam          steps=300   final loss={traj.final_loss:.3e}  "
        f"dist to min={traj.distance[-1]:.4g}  diverged: no"
    )
    assert lines[0] == expected
    assert "0x" not in lines[0]


def test_summary_says_when_and_why_a_run_diverged():
    traj = run(sgd(lr=1.0), quadratic(), steps=100)
    line = summary(traj, tol=1e-3)
    k = first_step_beyond(1e6)
    assert line.endswith(f"diverged: at step {k} (left the bound |θ|∞ > 1e+06)")
    assert "steps to 0.001: never" in line


def test_summary_never_prints_a_negative_zero():
    class Flat(Bowl):
        def value(self, theta):
            return -0.0

    line = summary(run(sgd(lr=0.1), Flat(), start=np.zeros(3), steps=2))
    assert "final loss=0.000e+00" in line


def test_summarise_aligns_one_line_per_run():
    results = race(
        {"sgd": sgd(lr=1e-3), "momentum": momentum(lr=1e-3)},
        LANDSCAPES["rosenbrock"],
        steps=10,
    )
    text = summarise(results, tol=1e-3)
    lines = text.splitlines()
    assert lines == [summary(t, tol=1e-3, width=10) for t in results.values()]
    assert len({re.search("steps=", line).start() for line in lines}) == 1


def test_arrays_of_a_trajectory_are_read_only():
    traj = run(sgd(lr=1e-3), LANDSCAPES["rosenbrock"], steps=3)
    with pytest.raises(ValueError):
        traj.loss[0] = 0.0


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"steps": -1}, "steps must be an integer >= 0"),
        ({"steps": 2.5}, "steps must be an integer >= 0"),
        ({"bound": 0.0}, "bound must be a number > 0"),
        ({"start": [[0.0, 1.0]]}, "start must be a non-empty 1-D array"),
        ({"start": [2e6, 0.0]}, "start must be finite and within"),
        ({"start": [np.nan, 0.0]}, "start must be finite and within"),
    ],
)
def test_bad_arguments_raise_naming_the_parameter(kwargs, message):
    with pytest.raises(ValueError, match=message):
        run(sgd(lr=0.1), LANDSCAPES["quadratic"], **kwargs)


def test_an_objective_without_a_default_start_needs_one():
    with pytest.raises(ValueError, match="start is required"):
        run(sgd(lr=0.1), Bowl())


def test_tolerance_must_be_positive():
    traj = run(sgd(lr=0.1), quadratic(), steps=3)
    with pytest.raises(ValueError, match="tol must be > 0"):
        traj.steps_to(0.0)
    with pytest.raises(ValueError, match="tol must be > 0"):
        traj.converged(-1.0)
