"""The memory of an optimizer's state (``state_bytes``) against hand counts."""

from __future__ import annotations

import numpy as np
import pytest

from descent import optim
from descent.optim import param_bytes, state_bytes

W, B = (4, 3), (4,)  # a weight matrix and its bias: 12 + 4 = 16 numbers
N = 16

# name: (optimizer, numbers of state per parameter list [W, b], counted by hand)
HAND_COUNTS = {
    "sgd": (optim.sgd(0.1), 0),
    "momentum": (optim.momentum(0.1), N),  # m
    "adagrad": (optim.adagrad(0.1), N),  # v
    "rmsprop": (optim.rmsprop(0.1), N),  # v
    "rmsprop-centered-momentum": (optim.rmsprop(0.1, momentum=0.9, centered=True),
                                  3 * N),  # v, g_bar, m
    "adam": (optim.adam(), 2 * N),  # m, v
    "adam-amsgrad": (optim.adam(amsgrad=True), 3 * N),  # m, v, v_max
    "adamw": (optim.adamw(), 2 * N),
    "rprop": (optim.rprop(), 2 * N),  # g_prev, delta
    "adadelta": (optim.adadelta(), 2 * N),  # v, s
    "adamax": (optim.adamax(), 2 * N),  # m, u
    "nadam": (optim.nadam(), 2 * N),  # m, v (+ mu_product, EXTRA_BYTES)
    "radam": (optim.radam(), 2 * N),  # m, v
    "lion": (optim.lion(), N),  # m
    "adafactor": (optim.adafactor(), 4 + 3 + 4),  # W: a row of 4, a column of 3; b: 4
    "schedule_free_sgd": (optim.schedule_free_sgd(), 2 * N),  # z, x
    "schedule_free_adamw": (optim.schedule_free_adamw(), 3 * N),  # z, x, v
    "muon+adamw": (
        optim.partition({"muon": optim.muon(), "adamw": optim.adamw()},
                        ["muon", "adamw"]),
        12 + 2 * 4,  # W: m; b: m, v
    ),
}


#: State kept in float64 whatever the parameters' dtype: NAdam's mu_product, one
#: number per array (two arrays here).
EXTRA_BYTES = {"nadam": 2 * 8}


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("name", HAND_COUNTS)
def test_state_bytes_match_the_hand_count(name, dtype):
    opt, numbers = HAND_COUNTS[name]
    params = [np.zeros(W, dtype), np.zeros(B, dtype)]
    assert state_bytes(opt, params) == (numbers * np.dtype(dtype).itemsize
                                        + EXTRA_BYTES.get(name, 0))
    assert param_bytes(params) == N * np.dtype(dtype).itemsize


def test_every_optimizer_has_a_hand_count():
    assert set(optim.OPTIMIZERS) - {"muon"} <= set(HAND_COUNTS)


def test_muon_keeps_one_matrix_and_adafactor_a_row_and_a_column():
    big = np.zeros((300, 200), dtype=np.float32)
    assert state_bytes(optim.muon(), big) == big.nbytes
    assert state_bytes(optim.adafactor(), big) == (300 + 200) * 4
    assert state_bytes(optim.adam(), big) == 2 * big.nbytes
    stacked = np.zeros((5, 30, 20))  # factored over the last two axes
    assert state_bytes(optim.adafactor(), stacked) == 5 * (30 + 20) * 8
