"""``explore.clip_explorer``: SGD with and without gradient clipping, and Adam."""

import numpy as np
import pytest

from descent import explore, nets, optim, run


@pytest.fixture(scope="module")
def rnn_loss():
    """The chapter's linear RNN problem: a teacher with w* = 0.9, T = 30 steps."""
    rnn = nets.LinearRNN()
    inputs = 0.1 * np.random.default_rng(1).standard_normal((8, 30))
    targets = 0.9**30 + inputs @ 0.9 ** np.arange(29, -1, -1)
    return nets.BatchLoss(rnn, inputs, targets, rnn.init_params(1.1),
                          minima=np.array([[0.9]]), start=np.array([1.1]))


def test_clip_explorer_shows_sgd_diverging_and_clipped_sgd_converging(rnn_loss):
    ex = explore.clip_explorer(rnn_loss, lrs=[0.01], max_norms=[1.0, 10.0], steps=60,
                               span=(0.5, 1.2), figsize=(4, 2), dpi=50)
    assert len(ex.frames) == 2
    assert "final loss after 60 steps over the grid" in ex.summary_text
    grid_row = ex.summary_text.splitlines()[-1]
    assert grid_row.startswith("lr = 0.01") and "div@" in grid_row
    clipped = run.run(optim.clip_by_global_norm(optim.sgd(0.01), 1.0), rnn_loss,
                      steps=60)
    assert clipped.final_loss < 1e-3


def test_clip_explorer_rejects_bad_arguments(rnn_loss):
    with pytest.raises(ValueError, match="lrs and max_norms must be non-empty"):
        explore.clip_explorer(rnn_loss, lrs=[], max_norms=[1.0])
    with pytest.raises(ValueError, match="start must hold one parameter"):
        explore.clip_explorer(rnn_loss, lrs=[0.1], max_norms=[1.0],
                              start=np.zeros(2))
    with pytest.raises(ValueError, match="steps must be an integer >= 1"):
        explore.clip_explorer(rnn_loss, lrs=[0.1], max_norms=[1.0], steps=0)
