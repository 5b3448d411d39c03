"""``explore.depth_init_explorer``: per-layer gradients of fresh deep nets."""

import numpy as np
import pytest

from descent import explore, nets


@pytest.fixture(scope="module")
def spirals():
    return nets.two_spirals(64, 0.05, np.random.default_rng(0))


# ----------------------------------------------------------------------- explore


def test_depth_init_explorer_has_one_frame_per_depth_and_gain(spirals):
    X, y = spirals
    ex = explore.depth_init_explorer(
        X, y, np.random.default_rng(8), depths=(3, 6), gains={"1": 1.0, "2": 2.0},
        width=8, figsize=(4, 2), dpi=50)
    assert len(ex.frames) == 4
    assert [f.alt for f in ex.frames][:2] == ["depth = 3, init gain = 1",
                                             "depth = 3, init gain = 2"]
    assert "relu d1/dL" in ex.summary_text
    assert ex.summary_text.count("depth = 6, init gain = 2") == 1


def test_depth_init_explorer_is_a_function_of_the_generator_state(spirals):
    X, y = spirals
    texts = [explore.depth_init_explorer(
        X, y, np.random.default_rng(9), depths=(4,), gains=[1.0, 2.0], width=8,
        figsize=(4, 2), dpi=50).summary_text for _ in range(2)]
    assert texts[0] == texts[1]


def test_depth_init_explorer_rejects_bad_arguments(spirals):
    X, y = spirals
    rng = np.random.default_rng(0)
    with pytest.raises(ValueError, match="rng must be a numpy Generator"):
        explore.depth_init_explorer(X, y, 0)
    with pytest.raises(ValueError, match="depths must be integers >= 2"):
        explore.depth_init_explorer(X, y, rng, depths=(1,))
    with pytest.raises(ValueError, match="gains must be > 0"):
        explore.depth_init_explorer(X, y, rng, gains=[0.0])
    with pytest.raises(ValueError, match="activations must be among"):
        explore.depth_init_explorer(X, y, rng, activations=("gelu",))


def test_depth_init_explorer_returns_the_grid_of_first_to_last_ratios(spirals):
    X, y = spirals
    ex = explore.depth_init_explorer(
        X, y, np.random.default_rng(10), depths=(3, 6), gains={"1": 1.0, "10": 10.0},
        width=8, figsize=(4, 2), dpi=50)
    assert set(ex.first_to_last) == {(3, 1.0), (3, 10.0), (6, 1.0), (6, 10.0)}
    ratio = ex.first_to_last[6, 10.0]["sigmoid"]
    assert set(ex.first_to_last[6, 10.0]) == {"sigmoid", "tanh", "relu"}
    assert f"{ratio:.3g}" in ex.summary_text


def test_default_gains_reach_the_sigmoids_balance_near_ten():
    assert max(explore.INIT_GAINS.values()) >= 10
