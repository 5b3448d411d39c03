"""``optim.state_bytes``: the memory an optimizer keeps, counted from its state."""

from __future__ import annotations

import numpy as np
import pytest

from descent import optim

PARAMS = [np.zeros((3, 4)), np.zeros(5)]  # 17 numbers, 136 bytes in float64


@pytest.mark.parametrize(("opt", "copies"), [
    (optim.sgd(0.1), 0),
    (optim.momentum(0.1), 1),
    (optim.adagrad(0.1), 1),
    (optim.rmsprop(0.1), 1),
    (optim.adam(), 2),
    (optim.adamw(), 2),
    (optim.adam(amsgrad=True), 3),
])
def test_state_bytes_counts_each_copy_of_the_parameters(opt, copies):
    assert optim.param_bytes(PARAMS) == 136
    assert optim.state_bytes(opt, PARAMS) == copies * 136


def test_state_bytes_follow_the_dtype_and_ignore_the_step_counter():
    small = [p.astype(np.float32) for p in PARAMS]
    assert optim.state_bytes(optim.adam(), small) == 2 * 68
    assert optim.state_bytes(optim.sgd(0.1), np.zeros(3)) == 0
    assert optim.param_bytes(np.zeros(3)) == 24
