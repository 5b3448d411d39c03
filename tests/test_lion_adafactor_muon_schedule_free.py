"""Lion, Adafactor, Muon and Schedule-Free: first steps by hand and identities.

Long runs against the reference implementations are in
``test_reference_parity.py``; Newton–Schulz alone in ``test_newton_schulz.py``;
convergence, bad hyperparameters, purity and lists in ``test_optim.py``.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal

from descent.optim import (
    adafactor,
    evaluation_point,
    lion,
    muon,
    newton_schulz,
    schedule_free_adamw,
    schedule_free_sgd,
)
from descent.optim.adafactor import factored_second_moment
from descent.optim.muon import newton_schulz_map

THETA0 = np.array([1.0, -2.0])
G1 = np.array([0.5, -1.0])
G2 = np.array([2.0, 0.25])


def two_steps(opt, theta0=THETA0, g1=G1, g2=G2):
    state = opt.init(theta0)
    theta1, state = opt.step(theta0, g1, state)
    theta2, state = opt.step(theta1, g2, state)
    assert state.t == 2
    return theta1, theta2, state


def open_loop(opt, grads, start):
    theta, state = np.array(start, dtype=float), opt.init(np.array(start, dtype=float))
    thetas = [theta]
    for g in grads:
        theta, state = opt.step(theta, g, state)
        thetas.append(theta)
    return np.array(thetas), state


# -- Lion --------------------------------------------------------------------------


def test_lion_first_two_steps_by_hand():
    theta1, theta2, state = two_steps(lion(lr=0.1, weight_decay=0.5))
    # shrink by 1 - 0.1 * 0.5 = 0.95, then sign(0.1 g1) = (1, -1)
    assert_allclose(theta1, [0.95 - 0.1, -1.9 + 0.1])
    # m1 = 0.01 g1 = (0.005, -0.01); direction 0.9 m1 + 0.1 g2 = (0.2045, 0.016):
    # the second coordinate steps down although m1 points the other way
    assert_allclose(theta2, [0.95 * 0.85 - 0.1, 0.95 * -1.8 - 0.1])
    # m2 = 0.99 m1 + 0.01 g2
    assert_allclose(state.m, [0.00495 + 0.02, -0.0099 + 0.0025])


def test_lion_with_both_betas_zero_is_sign_descent():
    grads = np.random.default_rng(0).standard_normal((50, 3))
    ours, _ = open_loop(lion(lr=0.01, beta1=0.0, beta2=0.0), grads, np.zeros(3))
    assert_allclose(ours[1:], -0.01 * np.cumsum(np.sign(grads), axis=0), atol=1e-15)


def test_lion_ignores_the_scale_of_the_gradient():
    # sign(β1 m + (1 - β1) c g) = sign(c (β1 m + (1 - β1) g)) for c > 0
    grads = np.random.default_rng(1).standard_normal((200, 4))
    ours, _ = open_loop(lion(lr=1e-3), grads, np.ones(4))
    scaled, _ = open_loop(lion(lr=1e-3), 1e-6 * grads, np.ones(4))
    assert_array_equal(scaled, ours)


# -- Adafactor ---------------------------------------------------------------------


def test_adafactor_on_a_vector_first_two_steps_by_hand():
    theta1, theta2, state = two_steps(adafactor(lr=0.01))
    # t = 1: 1 - β̂ = 1, so v1 = g1² and U = sign(g1), RMS(U) = 1 (no clipping);
    # α1 = RMS(θ0) · min(0.01, 1) with RMS(θ0) = sqrt((1 + 4) / 2)
    alpha1 = math.sqrt(2.5) * 0.01
    assert_allclose(theta1, THETA0 - alpha1 * np.sign(G1))
    # t = 2: 1 - β̂ = 2^-0.8
    w = 2**-0.8
    v2 = (1 - w) * G1**2 + w * G2**2
    assert_allclose(state.v, v2)
    u = G2 / np.sqrt(v2)
    u = u / max(1.0, math.sqrt(np.mean(u**2)))
    alpha2 = math.sqrt(np.mean(theta1**2)) * 0.01
    assert_allclose(theta2, theta1 - alpha2 * u)


def test_adafactor_on_a_matrix_first_step_by_hand():
    g = np.array([[1.0, 2.0], [3.0, 4.0]])
    # g² = [[1, 4], [9, 16]]: row means (2.5, 12.5), column means (5, 10),
    # mean 7.5, so V̂ = [[2.5·5, 2.5·10], [12.5·5, 12.5·10]] / 7.5
    v_hat = np.array([[12.5, 25.0], [62.5, 125.0]]) / 7.5
    u = g / np.sqrt(v_hat)
    assert math.sqrt(np.mean(u**2)) == pytest.approx(math.sqrt(0.96))  # < d = 1
    opt = adafactor(lr=0.01)
    theta0 = np.full((2, 2), 2.0)
    theta1, state = opt.step(theta0, g, opt.init(theta0))
    assert_allclose(state.row, [2.5, 12.5])
    assert_allclose(state.col, [5.0, 10.0])
    assert_allclose(theta1, theta0 - 2.0 * 0.01 * u)  # α1 = RMS(θ0) · 0.01 = 0.02


def test_the_factored_estimate_keeps_the_row_and_column_means():
    # with mean(r) = mean(c) (both average the same g² entries), V̂'s row means
    # are r and its column means are c; it is exact when g² has rank 1
    rng = np.random.default_rng(2)
    g2 = rng.standard_normal((5, 7)) ** 2
    row, col = g2.mean(axis=1), g2.mean(axis=0)
    v_hat = factored_second_moment(row, col, 0.0)
    assert_allclose(v_hat.mean(axis=1), row)
    assert_allclose(v_hat.mean(axis=0), col)
    rank1 = np.outer(rng.uniform(1, 2, 5), rng.uniform(1, 2, 7))
    assert_allclose(factored_second_moment(rank1.mean(1), rank1.mean(0), 0.0), rank1)


def test_adafactor_clips_the_update_and_floors_the_step_size():
    # ε2 floors α when the parameters are near zero
    opt = adafactor(lr=0.01, d=1.0, eps=(None, 1e-3))
    zero = np.zeros(4)
    theta1, _ = opt.step(zero, np.array([1.0, -1.0, 2.0, 0.5]), opt.init(zero))
    assert_allclose(theta1, -1e-3 * 0.01 * np.array([1.0, -1.0, 1.0, 1.0]))
    # a large gradient after small ones: U = g / sqrt(v) ≈ 3^0.4 > d = 1 at
    # t = 3, so the update is clipped to RMS d, here to sign(g)
    theta, state = np.ones(1), opt.init(np.ones(1))
    for g in (1e-3, 0.0):
        theta, state = opt.step(theta, np.array([g]), state)
    w = 3**-0.8
    assert 1 / math.sqrt((1 - w) * state.v[0] + w) > 1.5
    theta3, _ = opt.step(theta, np.array([1.0]), state)
    assert_allclose(theta - theta3, max(1e-3, abs(theta[0])) * 0.01)


# -- Muon --------------------------------------------------------------------------


@pytest.mark.parametrize("nesterov", [False, True])
def test_muon_first_step_by_hand(nesterov):
    g1 = np.diag([2.0, 0.5])
    m1 = 0.5 * g1  # β = 0.5
    b1 = 0.5 * g1 + 0.5 * m1 if nesterov else m1
    s = np.diag(b1) / np.linalg.norm(b1)  # the normalised singular values
    ortho = np.diag(newton_schulz_map(s))  # diagonal in, diagonal out
    opt = muon(lr=0.1, weight_decay=0.2, beta=0.5, nesterov=nesterov)
    theta1, state = opt.step(np.eye(2), g1, opt.init(np.eye(2)))
    assert_allclose(state.m, m1)
    assert_allclose(theta1, (1 - 0.1 * 0.2) * np.eye(2) - 0.1 * ortho)


def test_muon_scales_tall_matrices_by_the_square_root_of_their_aspect():
    # "original": s = sqrt(max(1, n/m)); "match_rms_adamw": 0.2 sqrt(max(n, m))
    g = np.random.default_rng(3).standard_normal((8, 2))
    ortho = newton_schulz(g)
    for fn, s in ((None, 2.0), ("match_rms_adamw", 0.2 * math.sqrt(8))):
        opt = muon(lr=0.1, weight_decay=0.0, beta=0.0, adjust_lr_fn=fn)
        theta, _ = opt.step(np.zeros((8, 2)), g, opt.init(np.zeros((8, 2))))
        assert_allclose(theta, -0.1 * s * ortho)
    opt = muon(lr=0.1, weight_decay=0.0, beta=0.0)
    wide, _ = opt.step(np.zeros((2, 8)), g.T, opt.init(np.zeros((2, 8))))
    assert_allclose(wide, -0.1 * ortho.T)  # a wide matrix is not scaled


def test_muon_ignores_the_gradient_scale_and_turns_with_the_gradient():
    rng = np.random.default_rng(4)
    grads = rng.standard_normal((20, 4, 3))
    opt = muon(lr=0.01)
    start = rng.standard_normal((4, 3))
    ours, _ = open_loop(opt, grads, start)
    scaled, _ = open_loop(opt, 1e3 * grads, start)
    assert_allclose(scaled, ours, rtol=0, atol=1e-14)
    # rotating the gradients (and the start) rotates the whole run
    Q, _ = np.linalg.qr(rng.standard_normal((4, 4)))
    R, _ = np.linalg.qr(rng.standard_normal((3, 3)))
    turned, _ = open_loop(opt, Q @ grads @ R, Q @ start @ R)
    assert_allclose(turned, Q @ ours @ R, rtol=0, atol=1e-13)


def test_muon_with_no_newton_schulz_steps_is_normalised_momentum():
    g = np.random.default_rng(5).standard_normal((3, 3))
    opt = muon(lr=0.1, weight_decay=0.0, beta=0.0, ns_steps=0)
    theta, _ = opt.step(np.zeros((3, 3)), g, opt.init(np.zeros((3, 3))))
    assert_allclose(theta, -0.1 * g / np.linalg.norm(g))


def test_muon_refuses_vectors_at_init_and_step():
    with pytest.raises(ValueError, match=r"params has shape \(3,\); give it to adamw"):
        muon().init(np.zeros(3))
    opt = muon()
    state = opt.init(np.zeros((2, 2)))._replace(m=np.zeros(3))
    with pytest.raises(ValueError, match="2-D matrix"):
        opt.step(np.zeros(3), np.ones(3), state)


# -- Schedule-Free -----------------------------------------------------------------


def test_schedule_free_sgd_first_two_steps_by_hand():
    opt = schedule_free_sgd(lr=0.1, beta=0.9)
    y1, y2, state = two_steps(opt)
    # z1 = x1 = θ0 - 0.1 g1 (c = 1), so y1 = z1 too
    z1 = THETA0 - 0.1 * G1
    assert_allclose(y1, z1)
    # z2 = z1 - 0.1 g2; c2 = 1/2: x2 = (z1 + z2)/2; y2 = 0.9 x2 + 0.1 z2
    z2 = z1 - 0.1 * G2
    assert_allclose(state.z, z2)
    assert_allclose(state.x, (z1 + z2) / 2)
    assert_allclose(y2, 0.9 * (z1 + z2) / 2 + 0.1 * z2)
    assert_array_equal(evaluation_point(opt, y2, state), state.x)


def test_schedule_free_x_is_the_weighted_average_of_z():
    # with warm-up the rate rises as η (k+1)/T and each z is weighted by
    # (max rate so far)^p; after it, the weights are equal: x is the average
    lr, warm, p = 0.05, 10, 2.0
    opt = schedule_free_sgd(lr=lr, warmup_steps=warm, weight_lr_power=p)
    grads = np.random.default_rng(6).standard_normal((40, 3))
    y, state = np.zeros(3), opt.init(np.zeros(3))
    zs, weights = [], []
    for k, g in enumerate(grads):
        y, state = opt.step(y, g, state)
        zs.append(state.z)
        weights.append((lr * min(1.0, (k + 1) / warm)) ** p)
        expected = np.average(zs, axis=0, weights=weights)
        assert_allclose(state.x, expected, rtol=0, atol=1e-14)
        assert_allclose(y, 0.9 * state.x + 0.1 * state.z, rtol=0, atol=1e-15)


def test_schedule_free_adamw_first_step_is_adams_on_z():
    # v1 = (1 - β2) g1², bias-corrected to g1²: z1 = θ0 - η sign(g1) (ε aside);
    # with c1 = 1 all three sequences agree after the first step
    opt = schedule_free_adamw(lr=0.1, eps=0.0, weight_decay=0.5)
    y1, y2, state = two_steps(opt)
    z1 = THETA0 - 0.1 * 0.5 * THETA0 - 0.1 * np.sign(G1)
    assert_allclose(y1, z1)
    v2 = 0.999 * 0.001 * G1**2 + 0.001 * G2**2
    z2 = z1 - 0.1 * 0.5 * y1 - 0.1 * G2 / np.sqrt(v2 / (1 - 0.999**2))
    assert_allclose(state.z, z2)
    assert_allclose(state.x, (z1 + z2) / 2)
    assert_allclose(y2, 0.9 * (z1 + z2) / 2 + 0.1 * z2)
