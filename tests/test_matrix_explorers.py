"""Explorers of matrix optimizers: Newton–Schulz steps, a family on a factorisation."""

from __future__ import annotations

import numpy as np
import pytest

from descent import explore, matrices, optim, run
from descent.optim.muon import NS_COEFFICIENTS


def test_newton_schulz_explorer_has_a_frame_per_setting_and_counts_lifted_values():
    G = np.diag([1.0, 0.1, 1e-2, 1e-9])
    ex = explore.newton_schulz_explorer(
        G, {"cubic": (1.5, -0.5, 0.0), "quintic": NS_COEFFICIENTS}, steps=(0, 5),
        figsize=(4, 2), dpi=40)
    assert len(ex.frames) == 4
    table = ex.summary_text.splitlines()
    # after 5 quintic steps three of the four values reach 1/2; 1e-9 cannot
    assert table[-1].split() == ["quintic", "1/4", "3/4"]
    assert table[-2].split()[0] == "cubic"


def test_newton_schulz_explorer_refuses_what_is_not_a_matrix():
    with pytest.raises(ValueError, match="G must be a 2-D matrix"):
        explore.newton_schulz_explorer(np.ones(3), {"q": NS_COEFFICIENTS})


@pytest.fixture(scope="module")
def problem():
    return matrices.factorization([1.0, 0.1], 3, 3, rank=2,
                                  rng=np.random.default_rng(0))


def test_update_spectrum_is_the_singular_values_of_the_first_factors_step(problem):
    traj = run.run(optim.adam(lr=0.01), problem, steps=5)
    delta = (traj.params[3] - traj.params[2])[:6].reshape(3, 2)
    np.testing.assert_allclose(explore.update_spectrum(traj, (3, 2), 3),
                               np.linalg.svd(delta, compute_uv=False))


def test_matrix_family_explorer_runs_every_optimizer_at_every_factor(problem):
    family = {
        "adamw": lambda f: optim.adamw(lr=0.01 * f, weight_decay=0.0),
        "muon": lambda f: optim.reshaped(optim.muon(lr=0.02 * f, weight_decay=0.0),
                                         problem.shapes),
    }
    ex = explore.matrix_family_explorer(problem, family, factors=(1, 2), steps=20,
                                        show_steps=(5,), spectra=("adamw", "muon"),
                                        figsize=(4, 2), dpi=40)
    assert len(ex.frames) == 2 and len(ex.runs) == 4
    assert "excess loss after 20 steps" in ex.summary_text
    assert "median sigma / largest" in ex.summary_text
    assert ex.summary_text.splitlines()[-1].startswith("lr x 2")


@pytest.mark.parametrize(
    "kwargs, message",
    [
        (dict(factors=(), show_steps=(1,), spectra=()), "factors must be non-empty"),
        (dict(factors=(1,), show_steps=(30,), spectra=()), "show_steps must lie in"),
        (dict(factors=(1,), show_steps=(1,), spectra=("sgd",)),
         "spectra names unknown optimizers"),
    ],
)
def test_matrix_family_explorer_rejects_bad_arguments(problem, kwargs, message):
    with pytest.raises(ValueError, match=message):
        explore.matrix_family_explorer(
            problem, {"adamw": lambda f: optim.adamw(lr=0.01 * f)}, steps=20, **kwargs)
