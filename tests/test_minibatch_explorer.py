"""explore.minibatch_explorer: one optimizer on full and on minibatch gradients."""

from __future__ import annotations

import matplotlib
import numpy as np
import pytest

matplotlib.use("Agg")

from descent import explore  # noqa: E402
from descent.landscapes import LANDSCAPES  # noqa: E402
from descent.optim import sgd  # noqa: E402
from descent.regression import LineFit, line_fit  # noqa: E402


@pytest.fixture
def fit() -> LineFit:
    return line_fit(n=60, rng=np.random.default_rng(1951))


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
