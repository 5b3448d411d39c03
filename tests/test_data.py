"""``descent.data``: the digits, a seeded stratified split, standardisation fitted
on the training part only."""

from __future__ import annotations

import numpy as np
import pytest

from descent import data


@pytest.fixture(scope="module")
def digits():
    return data.digits(np.random.default_rng(0))


def test_load_digits_gives_the_1797_images_of_8_by_8_grey_levels():
    X, y = data.load_digits()
    assert X.shape == (1797, 64) and X.dtype == np.float64
    assert y.shape == (1797,) and y.dtype == np.int64
    assert X.min() == 0 and X.max() == 16
    assert sorted(np.unique(y)) == list(range(10))


def test_split_is_disjoint_covers_everything_and_keeps_class_shares(digits):
    parts = [digits.index_train, digits.index_val, digits.index_test]
    everything = np.concatenate(parts)
    assert len(everything) == 1797 == len(np.unique(everything))
    _, y = data.load_digits()
    for part, share in zip(parts, (0.6, 0.2, 0.2), strict=True):
        counts = np.bincount(y[part], minlength=10)
        expected = share * np.bincount(y)
        assert np.all(np.abs(counts - expected) <= 2)  # rounding, per class
    assert digits.sizes == {"train": 1087, "val": 355, "test": 355}


def test_split_is_a_function_of_the_generator_state():
    y = np.repeat(np.arange(3), 20)
    a = data.split(y, np.random.default_rng(5))
    b = data.split(y, np.random.default_rng(5))
    c = data.split(y, np.random.default_rng(6))
    for u, v in zip(a, b, strict=True):
        np.testing.assert_array_equal(u, v)
    assert not np.array_equal(a[0], c[0])


def test_standardisation_is_fitted_on_the_training_part_only(digits):
    X, y = data.load_digits()
    raw = X[digits.index_train]
    np.testing.assert_allclose(digits.mean, raw.mean(axis=0))
    np.testing.assert_allclose(digits.X_train.mean(axis=0), 0, atol=1e-12)
    spread = digits.X_train.std(axis=0)
    constant = raw.std(axis=0) == 0  # blank pixels: scale 1, they stay 0
    assert constant.any()
    np.testing.assert_allclose(spread[~constant], 1)
    np.testing.assert_array_equal(digits.scale[constant], 1)
    np.testing.assert_allclose(
        digits.X_val, (X[digits.index_val] - digits.mean) / digits.scale)
    np.testing.assert_array_equal(digits.y_test, y[digits.index_test])


def test_standardise_applies_the_training_statistics_to_the_other_parts():
    train = np.array([[0.0, 1.0], [2.0, 1.0]])
    mean, scale, (a, b) = data.standardise(train, np.array([[4.0, 3.0]]))
    np.testing.assert_array_equal(mean, [1.0, 1.0])
    np.testing.assert_array_equal(scale, [1.0, 1.0])
    np.testing.assert_array_equal(a, [[-1.0, 0.0], [1.0, 0.0]])
    np.testing.assert_array_equal(b, [[3.0, 2.0]])


@pytest.mark.parametrize(("call", "match"), [
    (lambda: data.split(np.array([0.5, 1.0]), np.random.default_rng(0)),
     "y must be a 1-D array of integer labels"),
    (lambda: data.split(np.arange(4), np.random.default_rng(0), (0.5, 0.5)),
     "fractions must be three numbers > 0 summing to 1"),
    (lambda: data.split(np.arange(4), np.random.default_rng(0), (0.6, 0.4, 0.0)),
     "fractions must be three numbers > 0 summing to 1"),
    (lambda: data.standardise(np.zeros(3)), r"X_train must have shape \(n, features\)"),
    (lambda: data.standardise(np.zeros((3, 2)), np.zeros((2, 3))),
     r"others\[0\] must have shape \(n, 2\)"),
])
def test_bad_input_raises_naming_the_argument(call, match):
    with pytest.raises(ValueError, match=match):
        call()
