"""Newton–Schulz orthogonalisation: float64 properties and torch's bfloat16.

In float64, ``newton_schulz`` must be exactly what it claims: the quintic acts on
each singular value alone (U and V untouched), the values that reach the band
of ``newton_schulz_band`` stay in it, and an orthogonal input comes back as a
multiple of itself with the multiple in the band.

torch.optim.Muon runs the same iteration in bfloat16 (8 significant bits, unit
roundoff u = 2⁻⁸). The tolerance for its result is derived from a rounding
model rather than guessed: every operation torch rounds to bfloat16 (the cast
of the input, the norm, the division, A = XXᵀ, B = bA + cA², X = aX + BX) gets
an independent relative error drawn uniformly from [-u, u] on every entry,
applied to our float64 iteration. Over 32 seeded draws this gives the spread of
results that bfloat16 rounding alone can produce for that very matrix; the
tolerance is twice the largest relative (Frobenius) error of those draws.
torch's result must lie within it for the matrices a real run produces, and
the whole torch step (momentum, decay, rate adjustment in float64 around the
bfloat16 update) must lie within the same tolerance of ours.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch.optim._muon import _zeropower_via_newtonschulz as torch_ns

from descent.optim import muon, newton_schulz
from descent.optim.muon import NS_COEFFICIENTS, newton_schulz_band, newton_schulz_map

U_BF16 = 2.0**-8  # unit roundoff of bfloat16: 8 significant bits
DRAWS = 32
SAFETY = 2.0
LO, HI = newton_schulz_band()
REACH = 2e-3  # normalised singular values from here on reach the band in 5 steps


def random_matrices(rng, shapes=((4, 4), (5, 3), (3, 7), (16, 16), (32, 8))):
    """Gaussian matrices and ill-conditioned ones (singular values 1 … 1e-2)."""
    out = []
    for shape in shapes:
        out.append(rng.standard_normal(shape))
        k = min(shape)
        U, _ = np.linalg.qr(rng.standard_normal((shape[0], k)))
        V, _ = np.linalg.qr(rng.standard_normal((shape[1], k)))
        out.append(U @ np.diag(np.geomspace(1.0, 1e-2, k)) @ V.T)
    return out


# -- float64 --------------------------------------------------------------------


@pytest.mark.parametrize("index", range(10))
def test_the_quintic_acts_on_each_singular_value_alone(index):
    G = random_matrices(np.random.default_rng(3))[index]
    U, s, Vt = np.linalg.svd(G, full_matrices=False)
    expected = U @ np.diag(newton_schulz_map(s / np.linalg.norm(G))) @ Vt
    np.testing.assert_allclose(newton_schulz(G), expected, rtol=0, atol=1e-12)


def test_the_band_maps_into_itself_and_is_where_the_default_coefficients_end():
    grid = np.linspace(LO, HI, 200_001)
    image = newton_schulz_map(grid, ns_steps=1)
    assert image.min() >= LO - 1e-12 and image.max() <= HI + 1e-12
    assert (round(LO, 3), round(HI, 3)) == (0.682, 1.202)
    # every normalised singular value in [REACH, 1]: in the band after 5 steps
    sigma = np.geomspace(REACH, 1.0, 100_001)
    out = newton_schulz_map(sigma, ns_steps=5)
    assert out.min() >= LO - 1e-12 and out.max() <= HI + 1e-12
    # ... but not a smaller one: 5 steps grow it by at most a^5 ≈ 485
    assert newton_schulz_map(1e-3, ns_steps=5) < LO


@pytest.mark.parametrize("index", range(10))
def test_singular_values_that_reach_the_band_end_in_it(index):
    G = random_matrices(np.random.default_rng(4))[index]
    s_in = np.linalg.svd(G, compute_uv=False) / np.linalg.norm(G)
    s_out = np.linalg.svd(newton_schulz(G), compute_uv=False)
    reached = s_in >= REACH  # all of them, for these matrices
    assert reached.all()
    assert s_out.min() >= LO - 1e-12 and s_out.max() <= HI + 1e-12


@pytest.mark.parametrize("shape", [(1, 1), (4, 4), (16, 16), (64, 64), (8, 3), (3, 8)])
def test_an_orthogonal_input_is_a_fixed_point_up_to_the_band(shape):
    rng = np.random.default_rng(5)
    Q, _ = np.linalg.qr(rng.standard_normal((max(shape), min(shape))))
    Q = Q if shape[0] >= shape[1] else Q.T  # orthonormal columns or rows
    out = newton_schulz(Q)
    # every singular value is 1/sqrt(k) after the division by ‖Q‖_F = sqrt(k)
    scale = float(newton_schulz_map(1 / np.sqrt(min(shape))))
    np.testing.assert_allclose(out, scale * Q, rtol=0, atol=1e-12)
    assert LO <= scale <= HI


def test_newton_schulz_refuses_what_is_not_a_matrix():
    with pytest.raises(ValueError, match=r"2-D matrix, got an array of shape \(3,\)"):
        newton_schulz(np.ones(3))


# -- bfloat16: a tolerance from the rounding model --------------------------------


def newton_schulz_rounded(G, rng, u=U_BF16, coefficients=NS_COEFFICIENTS, steps=5,
                          eps=1e-7):
    """Our iteration with a random relative error of at most u at each of the
    roundings torch's bfloat16 iteration makes (a model of its arithmetic)."""

    def rounded(x):
        return x * (1 + u * rng.uniform(-1.0, 1.0, np.shape(x)))

    a, b, c = coefficients
    tall = G.shape[0] > G.shape[1]
    X = rounded(G.T if tall else G)
    X = rounded(X / rounded(max(np.linalg.norm(X), eps)))
    for _ in range(steps):
        A = rounded(X @ X.T)
        B = rounded(b * A + c * (A @ A))
        X = rounded(a * X + B @ X)
    return X.T if tall else X


def bf16_tolerance(G, seed=0) -> float:
    """Twice the largest relative error of the rounding model over 32 draws."""
    rng = np.random.default_rng(seed)
    exact = newton_schulz(G)
    norm = np.linalg.norm(exact)
    worst = max(
        np.linalg.norm(newton_schulz_rounded(G, rng) - exact) / norm
        for _ in range(DRAWS)
    )
    return SAFETY * worst


def torch_bf16(G) -> np.ndarray:
    out = torch_ns(torch.tensor(G), NS_COEFFICIENTS, 5, 1e-7)
    assert out.dtype == torch.bfloat16  # the reason for a tolerance at all
    return out.double().numpy()


def relative_error(G) -> float:
    exact = newton_schulz(G)
    return float(np.linalg.norm(torch_bf16(G) - exact) / np.linalg.norm(exact))


def test_the_tolerance_is_tens_of_units_of_bfloat16_roundoff():
    # Not vacuous (well below the size of the update itself), far above
    # float64's roundoff. It is largest for ill-conditioned small matrices:
    # the small singular directions are multiplied by up to a ≈ 3.4 per step
    # before they reach the band, and their rounding errors with them.
    tols = [bf16_tolerance(G) for G in random_matrices(np.random.default_rng(6))]
    assert 5 * U_BF16 < min(tols) and max(tols) < 0.3


@pytest.mark.parametrize("index", range(10))
def test_torch_bfloat16_result_is_within_the_tolerance(index):
    G = random_matrices(np.random.default_rng(7))[index]
    assert relative_error(G) <= bf16_tolerance(G)


def test_torch_muon_steps_within_the_tolerance_along_its_own_run():
    # torch's real Muon (bfloat16 Newton–Schulz) for 200 steps on a noisy
    # quadratic in three matrices; at every 10th step, ours takes the same step
    # from torch's parameters and buffer. The parts outside Newton–Schulz are
    # float64 on both sides, so the two steps may differ only by the update:
    # |Δθ_torch - Δθ_ours| <= η s tol |O_ours|.
    rng = np.random.default_rng(8)
    shapes = [(6, 4), (4, 9), (5, 5)]
    targets = [rng.standard_normal(s) for s in shapes]
    tensors = [torch.tensor(rng.standard_normal(s), requires_grad=True)
               for s in shapes]
    lr, wd = 0.01, 0.1
    theirs = torch.optim.Muon(tensors, lr=lr, weight_decay=wd)
    ours = muon(lr=lr, weight_decay=wd)
    checked = 0
    for step in range(200):
        params = [t.detach().numpy().copy() for t in tensors]
        grads = [p - y + 0.1 * rng.standard_normal(p.shape)
                 for p, y in zip(params, targets, strict=True)]
        for t, g in zip(tensors, grads, strict=True):
            t.grad = torch.from_numpy(g.copy())
        if step % 10 == 9:
            buffers = [theirs.state[t]["momentum_buffer"].numpy().copy()
                       for t in tensors]
            state = ours.init(params)._replace(t=step, m=buffers)
            mine, state = ours.step(params, grads, state)
        theirs.step()
        if step % 10 != 9:
            continue
        for i, t in enumerate(tensors):
            mix = 0.05 * grads[i] + 0.95 * state.m[i]  # the Nesterov mix of ours
            n, m = shapes[i]
            scale = lr * np.sqrt(max(1.0, n / m)) * np.linalg.norm(newton_schulz(mix))
            gap = np.linalg.norm(t.detach().numpy() - mine[i])
            assert gap <= scale * bf16_tolerance(mix, seed=step)
            checked += 1
    assert checked == 60
