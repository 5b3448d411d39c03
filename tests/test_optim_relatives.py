"""Adam's relatives: Rprop, Adadelta, Adamax, NAdam and RAdam.

First steps computed by hand, and the identities that tie each one to the
optimizers it descends from, stated precisely: Rprop and RMSprop share the sign
direction; Adadelta's update has the units of θ; Adamax is Adam with the
∞-norm; NAdam steps along Nesterov's look-ahead; RAdam is momentum SGD until
ρ_t > 5 and then Adam times r_t. Parity with torch.optim is in
``test_parity.py``, the shared tables (convergence, bad input, purity) in
``test_optim.py``.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from test_optim import (
    ADAM_M2,
    ADAM_V2,
    G1,
    G2,
    PROBLEMS,
    THETA0,
    run_closed_loop,
    run_open_loop,
    two_steps,
)

from descent.optim import (
    AdamState,
    adadelta,
    adam,
    adamax,
    momentum,
    nadam,
    radam,
    rmsprop,
    rprop,
    sgd,
)
from descent.optim.radam import rectification

# θ0 = (1, -2), g1 = (0.5, -1), g2 = (2, 0.25): the second coordinate's gradient
# changes sign between the two steps, the first's does not.

# -- first two steps by hand --------------------------------------------------------


def test_rprop_first_two_steps_by_hand():
    theta1, theta2, state = two_steps(rprop(lr=0.1))
    # Δ_1 = η = 0.1 (no previous sign yet): a step of 0.1 against sign(g1)
    assert_allclose(theta1, [0.9, -1.9])
    # g2 g1 = (1, -0.25): the first step size grows to 0.12, the second halves to
    # 0.05 and its coordinate stays where it is; its gradient is forgotten
    assert_allclose(state.delta, [0.12, 0.05])
    assert_array_equal(state.g_prev, [2.0, 0.0])
    assert_allclose(theta2, [0.9 - 0.12, -1.9])


def test_rprop_step_sizes_are_clipped_to_their_range():
    opt = rprop(lr=0.3, etas=(0.5, 2.0), step_sizes=(0.2, 0.5))
    theta, state = np.zeros(1), opt.init(np.zeros(1))
    deltas = []
    for g in (1.0, 1.0, 1.0, -1.0, 1.0, -1.0, 1.0, 1.0, -1.0):
        theta, state = opt.step(theta, np.array([g]), state)
        deltas.append(float(state.delta[0]))
    # 0.3, then x2 capped at 0.5; a flip halves (0.25), the next step keeps it
    # (no previous sign), the next flip halves again but not below 0.2
    assert_allclose(deltas, [0.3, 0.5, 0.5, 0.25, 0.25, 0.2, 0.2, 0.4, 0.2])


def test_adadelta_first_two_steps_by_hand():
    rho, eps = 0.5, 0.25
    theta1, theta2, state = two_steps(adadelta(lr=1.0, rho=rho, eps=eps))
    v1 = 0.5 * G1**2  # (0.125, 0.5)
    delta1 = math.sqrt(eps) / np.sqrt(v1 + eps) * G1  # s_0 = 0: numerator √ε
    assert_allclose(theta1, THETA0 - delta1)
    s1 = 0.5 * delta1**2
    v2 = 0.5 * v1 + 0.5 * G2**2  # (2.0625, 0.28125)
    delta2 = np.sqrt(s1 + eps) / np.sqrt(v2 + eps) * G2
    assert_allclose(state.v, [2.0625, 0.28125])
    assert_allclose(state.s, 0.5 * s1 + 0.5 * delta2**2)
    assert_allclose(theta2, theta1 - delta2)


def test_adadelta_lr_scales_the_step_but_not_the_average_of_updates():
    # torch's lr multiplies the update; s_t still averages the unscaled Δ_t, so
    # lr = 2 takes exactly twice the first step of lr = 1 with the same state
    start = np.array([1.0, -1.0])
    one, s_one = adadelta(lr=1.0).step(start, G1, adadelta().init(start))
    two, s_two = adadelta(lr=2.0).step(start, G1, adadelta().init(start))
    assert_allclose(start - two, 2 * (start - one), rtol=1e-13)
    assert_array_equal(s_one.s, s_two.s)


def test_adamax_first_two_steps_by_hand():
    theta1, theta2, state = two_steps(adamax(lr=0.1, eps=0.0))
    # m1 = 0.1 g1, u1 = |g1|, bias correction 0.1: a step of 0.1 sign(g1)
    assert_allclose(theta1, [0.9, -1.9])
    # u2 = max(0.999 |g1|, |g2|) = (2, 0.999); m2 as for Adam
    assert_allclose(state.u, [2.0, 0.999])
    assert_allclose(state.m, ADAM_M2)
    assert_allclose(theta2, theta1 - 0.1 / 0.19 * ADAM_M2 / np.array([2.0, 0.999]))


def _mu(t, beta1=0.9, psi=4e-3):
    return beta1 * (1 - 0.5 * 0.96 ** (t * psi))


def test_nadam_first_two_steps_by_hand():
    theta1, theta2, state = two_steps(nadam(lr=0.1, eps=0.0))
    mu1, mu2, mu3 = _mu(1), _mu(2), _mu(3)
    # step 1: sqrt(v1 / 0.001) = |g1|; weights (1 - mu1)/(1 - mu1) on g1 and
    # mu2/(1 - mu1 mu2) on m1 = 0.1 g1
    step1 = (G1 + mu2 / (1 - mu1 * mu2) * 0.1 * G1) / np.abs(G1)
    assert_allclose(theta1, THETA0 - 0.1 * step1)
    assert_allclose(state.mu_product, mu1 * mu2)
    step2 = (
        (1 - mu2) / (1 - mu1 * mu2) * G2 + mu3 / (1 - mu1 * mu2 * mu3) * ADAM_M2
    ) / np.sqrt(ADAM_V2 / 0.001999)
    assert_allclose(theta2, theta1 - 0.1 * step2)


def test_nadam_decoupled_weight_decay_shrinks_first():
    lr, wd = 0.1, 0.5
    plain, _ = nadam(lr=lr).step(THETA0, G1, nadam().init(THETA0))
    decayed, _ = nadam(lr=lr, weight_decay=wd, decoupled_weight_decay=True).step(
        THETA0, G1, nadam().init(THETA0)
    )
    # the gradient part is the same; the parameters were multiplied by 0.95 first
    assert_allclose(decayed, plain - lr * wd * THETA0, rtol=1e-15)


def test_radam_first_two_steps_by_hand():
    theta1, theta2, state = two_steps(radam(lr=0.1))
    # rho_1 = 1 and rho_2 < 2: no adaptive step yet, θ ← θ - η m̂
    assert_allclose(theta1, THETA0 - 0.1 * G1)  # m̂1 = g1
    assert_allclose(theta2, theta1 - 0.1 * ADAM_M2 / 0.19)
    assert_allclose(state.v, ADAM_V2)


def test_radam_rectification_by_hand():
    beta2 = 0.999
    rho_inf = 2 / (1 - beta2) - 1  # 1999
    for t in (1, 5, 6, 100):
        rho_t = rho_inf - 2 * t * beta2**t / (1 - beta2**t)
        rho, r = rectification(t, beta2)
        assert rho == pytest.approx(rho_t, rel=1e-14)
        if rho_t > 5:
            want = (rho_t - 4) * (rho_t - 2) * rho_inf / (
                (rho_inf - 4) * (rho_inf - 2) * rho_t
            )
            assert r == pytest.approx(math.sqrt(want), rel=1e-14)
        else:
            assert r == 0.0
    # rho_t is about t - 1 while t(1 - β2) is small: the switch comes at t = 6
    assert [rectification(t, beta2)[1] > 0 for t in range(1, 8)] == [
        False, False, False, False, False, True, True,
    ]


# -- identities ------------------------------------------------------------------


def test_rmsprop_without_memory_and_rprop_with_pinned_steps_are_sign_descent():
    # RMSprop with γ = 0, ε = 0: sqrt(g²) = |g| (exactly, in binary floating
    # point), so each step is η sign(g_t) up to the rounding of η g / |g|:
    # Rprop's direction with a fixed step size. Rprop with Δ_min = Δ_max = η is
    # the same sign descent, bit for bit, except that a coordinate whose sign
    # just flipped skips its step.
    lr = 0.01
    grads = np.random.default_rng(12).standard_normal((300, 4))
    grads[:, 0] = np.abs(grads[:, 0]) + 0.1  # one coordinate that never flips
    start = np.zeros(4)
    rms, _ = run_open_loop(rmsprop(lr=lr, gamma=0.0, eps=0.0), grads, start)
    signs, _ = run_open_loop(sgd(lr=lr), np.sign(grads), start)
    assert_allclose(rms, signs, rtol=0, atol=1e-15)
    flipped = np.zeros_like(grads, dtype=bool)
    prev = np.zeros(4)
    for t, g in enumerate(grads):
        flipped[t] = g * prev < 0
        prev = np.where(flipped[t], 0.0, g)
    pinned, _ = run_open_loop(rprop(lr=lr, step_sizes=(lr, lr)), grads, start)
    skipping, _ = run_open_loop(sgd(lr=lr), np.sign(grads) * ~flipped, start)
    assert_array_equal(pinned, skipping)
    assert_array_equal(pinned[:, 0], signs[:, 0])  # no flips: plain sign descent
    assert not flipped[:, 0].any() and flipped.mean() > 0.2


def test_rprop_is_invariant_to_the_gradient_scale():
    # only signs enter Rprop: c g gives the same iterates, for any c > 0
    grads = np.random.default_rng(3).standard_normal((300, 3))
    ours, _ = run_open_loop(rprop(lr=0.05), grads, np.zeros(3))
    for c in (1e-6, 3.0, 1e6):
        scaled, _ = run_open_loop(rprop(lr=0.05), c * grads, np.zeros(3))
        assert_array_equal(scaled, ours)


def test_rprop_with_the_default_floor_stalls_in_the_rosenbrock_valley():
    # With Δ_min = 1e-6 both step sizes reach the floor in the curved valley and
    # the iterates settle into a cycle of period 4, 1.24e-3 from the minimum;
    # Δ_min = 0 (allowed by torch too) lets Rprop go on towards the minimum.
    _, grad, start, minimiser = PROBLEMS["rosenbrock"]
    thetas, state = run_closed_loop(rprop(), grad, start, 8000)
    assert_array_equal(state.delta, [1e-6, 1e-6])
    assert_array_equal(thetas[-4:], thetas[-8:-4])  # a 4-cycle, exactly
    assert not np.array_equal(thetas[-3], thetas[-1])  # two points, each twice
    distance = np.linalg.norm(thetas[-4:] - minimiser, axis=1)
    assert np.all((distance > 1.2e-3) & (distance < 1.3e-3))
    free, _ = run_closed_loop(rprop(step_sizes=(0.0, 50.0)), grad, start, 8000)
    assert np.linalg.norm(free[-1] - minimiser) < 1e-5  # and still closing in


def test_adadelta_update_has_the_units_of_theta():
    # Zeiler's units argument, exact with ε = 0: measure θ in units c times
    # smaller (θ' = cθ, so g' = g/c, v' = v/c², and the squared updates s' =
    # c² s). Then every Δ' = c Δ. With c a power of two every product is exact,
    # so the iterates agree bit for bit. (ε = 0 from s_0 = 0 would never move:
    # start from a state with s ≠ 0.) SGD's step would scale by 1/c instead.
    c = 8.0
    rng = np.random.default_rng(21)
    grads = rng.standard_normal((200, 3))
    v0, s0 = rng.uniform(0.5, 2, 3), rng.uniform(0.5, 2, 3) * 1e-4
    opt = adadelta(lr=1.0, rho=0.9, eps=0.0)
    theta, theta_c = np.zeros(3), np.zeros(3)
    state = opt.init(theta)._replace(v=v0, s=s0)
    state_c = opt.init(theta)._replace(v=v0 / c**2, s=s0 * c**2)
    for g in grads:
        theta, state = opt.step(theta, g, state)
        theta_c, state_c = opt.step(theta_c, g / c, state_c)
        assert_array_equal(theta_c, c * theta)
    assert np.abs(theta).max() > 1e-3  # it went somewhere


def test_adadelta_first_step_is_set_by_eps_not_by_the_gradient():
    # From s_0 = 0: |Δ_1| = √ε |g| / sqrt((1 - ρ) g² + ε) → sqrt(ε / (1 - ρ))
    # for |g|² ≫ ε / (1 - ρ)
    rho, eps = 0.9, 1e-6
    g = np.array([1e-2, 1.0, 1e2, 1e4])
    theta, _ = adadelta(rho=rho, eps=eps).step(np.zeros(4), g, adadelta().init(g))
    assert_allclose(-theta, math.sqrt(eps) * g / np.sqrt((1 - rho) * g**2 + eps))
    assert_allclose(-theta[1:], math.sqrt(eps / (1 - rho)), rtol=1e-5)


def test_adamax_u_is_the_decaying_maximum_of_past_gradients():
    # With ε = 0: u_t = max_k β2^(t-k) |g_k|, the limit p → ∞ of the weighted
    # L^p average ((1 - β2^p) Σ_k β2^(p(t-k)) |g_k|^p)^(1/p) that replaces
    # Adam's L² average. For finite p that average lies between
    # (1 - β2^p)^(1/p) u_t and t^(1/p) u_t.
    beta2, T = 0.9, 40
    grads = np.random.default_rng(8).standard_normal((T, 5)) * 10.0 ** np.arange(5)
    _, states = run_open_loop(adamax(beta2=beta2, eps=0.0), grads, np.zeros(5))
    k = np.arange(1, T + 1)
    for t in (1, 7, T):
        weights = beta2 ** (t - k[:t])[:, None]
        u_t = np.max(weights * np.abs(grads[:t]), axis=0)
        assert_allclose(states[t].u, u_t, rtol=1e-14)
        for p in (2.0, 8.0, 32.0):
            scale = u_t  # divide out u_t so that |g|^p cannot overflow
            terms = ((weights * np.abs(grads[:t])) / scale) ** p
            lp = (1 - beta2**p) ** (1 / p) * scale * np.sum(terms, axis=0) ** (1 / p)
            assert np.all(lp >= (1 - beta2**p) ** (1 / p) * u_t * (1 - 1e-12))
            assert np.all(lp <= t ** (1 / p) * u_t * (1 + 1e-12))


def test_adamax_steps_are_bounded_and_the_bound_is_approached():
    # For β1 < β2 (any ε ≥ 0): |Δθ_t| ≤ η (1 - β1) β2 / (β2 - β1), 1.009 η for
    # the defaults. Gradients that shrink by the factor β2 each step approach
    # it: then every β2^(t-k) |g_k| equals u_t.
    beta1, beta2, lr = 0.9, 0.999, 1.0
    bound = lr * (1 - beta1) * beta2 / (beta2 - beta1)
    rng = np.random.default_rng(5)
    noisy = rng.standard_normal((2000, 3)) * np.exp(rng.uniform(-3, 3, (2000, 3)))
    shrinking = beta2 ** np.arange(2000.0)[:, None] * np.ones((1, 3))
    for grads in (noisy, shrinking):
        thetas, _ = run_open_loop(adamax(lr=lr, eps=0.0), grads, np.zeros(3))
        steps = np.abs(np.diff(thetas, axis=0))
        assert steps.max() <= bound * (1 + 1e-12)
    assert steps[-1].min() > 0.999 * bound  # the shrinking gradients
    assert bound > lr  # the paper's |Δθ| ≤ η is not quite a bound


def test_nadam_with_constant_mu_steps_along_the_nesterov_look_ahead():
    # With momentum_decay = 1e5, 0.96**(t ψ) underflows to 0, so μ_t = β1
    # exactly. NAdam's step times (sqrt(v̂_t) + ε)/η is then the bias-corrected
    # look-ahead β1 m_t / (1 - β1^(t+1)) + (1 - β1) g_t / (1 - β1^t), with m_t
    # = (1 - β1) b_t for the heavy-ball buffer b_t of torch-style Nesterov
    # momentum, whose step with lr = 1 - β1 is (1 - β1)(β1 b_t + g_t) =
    # β1 m_t + (1 - β1) g_t: the same look-ahead without bias correction.
    beta1, beta2, lr, eps = 0.9, 0.999, 0.01, 1e-8
    grads = np.random.default_rng(2).standard_normal((300, 4))
    opt = nadam(lr=lr, beta1=beta1, beta2=beta2, eps=eps, momentum_decay=1e5)
    thetas, states = run_open_loop(opt, grads, np.zeros(4))
    hb = momentum(lr=1 - beta1, beta=beta1, form="heavy_ball", nesterov=True)
    hb_thetas, hb_states = run_open_loop(hb, grads, np.zeros(4))
    for t in range(1, 301):
        s, g = states[t], grads[t - 1]
        assert abs(s.mu_product / beta1**t - 1) < 1e-13
        direction = (thetas[t - 1] - thetas[t]) / lr * (
            np.sqrt(s.v / (1 - beta2**t)) + eps)
        m_t = (1 - beta1) * hb_states[t].m
        look_ahead = beta1 * m_t / (1 - beta1 ** (t + 1)) + (1 - beta1) * g / (
            1 - beta1**t)
        assert_allclose(direction, look_ahead, rtol=1e-9, atol=1e-12)
        assert_allclose(m_t, s.m, rtol=1e-11, atol=1e-13)
    nesterov_step = hb_thetas[-2] - hb_thetas[-1]  # bias corrections ≈ 1 by now
    assert_allclose(direction, nesterov_step, rtol=1e-9, atol=1e-12)


def test_nadam_momentum_decay_zero_uses_half_of_beta1():
    # μ_t = β1 (1 - 0.96^0 / 2) = β1 / 2 for every t: ψ = 0 is NOT plain β1
    _, _, state = two_steps(nadam(momentum_decay=0.0))
    assert state.mu_product == pytest.approx(0.45**2, rel=1e-15)


def test_radam_is_bias_corrected_momentum_until_rho_exceeds_5():
    # β2 = 0.999: ρ_t ≤ 5 for t ≤ 5. Those steps are η m̂_t = η m_t / (1 - β1^t),
    # the EMA momentum step divided by 1 - β1^t, whatever the gradient's scale.
    lr, beta1 = 0.1, 0.9
    grads = np.random.default_rng(4).standard_normal((5, 3))
    for c in (1.0, 1e3):
        ours, _ = run_open_loop(radam(lr=lr, beta1=beta1), c * grads, np.zeros(3))
        ema, _ = run_open_loop(momentum(lr=lr, beta=beta1), c * grads, np.zeros(3))
        t = np.arange(1, 6)[:, None]
        assert_allclose(np.diff(ours, axis=0), np.diff(ema, axis=0) / (1 - beta1**t),
                        rtol=1e-13)


def test_radam_never_rectifies_when_beta2_is_at_most_two_thirds():
    # ρ_∞ = 2/(1 - β2) - 1 ≤ 5 ⇔ β2 ≤ 2/3: RAdam is then bias-corrected momentum
    # for ever (its v_t is kept but never used)
    grads = np.random.default_rng(6).standard_normal((400, 2))
    ours, _ = run_open_loop(radam(lr=0.01, beta2=0.6), grads, np.zeros(2))
    ema, _ = run_open_loop(momentum(lr=0.01, beta=0.9), grads, np.zeros(2))
    t = np.arange(1, 401)[:, None]
    assert_allclose(np.diff(ours, axis=0), np.diff(ema, axis=0) / (1 - 0.9**t),
                    rtol=1e-12, atol=1e-17)
    assert all(rectification(t, 2 / 3)[1] == 0 for t in range(1, 10_000, 7))


def test_radam_after_the_switch_is_adam_times_r_t():
    # With ε = 0, from the same state: RAdam's step = r_t × Adam's step, since
    # sqrt(1 - β2^t) / sqrt(v_t) = 1 / sqrt(v̂_t). r_t rises towards 1.
    beta1, beta2 = 0.9, 0.999
    grads = np.random.default_rng(9).standard_normal((3000, 3))
    ours, r_states = run_open_loop(radam(lr=0.01, eps=0.0), grads, np.zeros(3))
    adams = adam(lr=0.01, beta1=beta1, beta2=beta2, eps=0.0)
    ratios = []
    for t in range(6, 3001, 97):
        prev = r_states[t - 1]  # RAdam's m, v are Adam's: same recursions
        as_adam = AdamState(t=prev.t, m=prev.m, v=prev.v, v_max=None)
        theta_adam, _ = adams.step(ours[t - 1], grads[t - 1], as_adam)
        r_t = rectification(t, beta2)[1]
        assert_allclose(ours[t - 1] - ours[t], r_t * (ours[t - 1] - theta_adam),
                        rtol=1e-12)
        ratios.append(r_t)
    assert 0 < ratios[0] < 0.03 and ratios[-1] > 0.9
    assert all(a < b for a, b in zip(ratios, ratios[1:], strict=False))


@pytest.mark.parametrize(
    "factory",
    [adamax, nadam, radam],
    ids=["adamax", "nadam", "radam"],
)
def test_scaling_gradients_and_eps_together_changes_nothing(factory):
    # As for Adam: g → c g scales m by c and u (or sqrt(v)) by c, so with ε → c ε
    # the update is unchanged; c a power of two keeps it bit for bit. RAdam's
    # first five steps are momentum SGD and scale with c.
    c = 2.0**10
    grads = np.random.default_rng(3).standard_normal((200, 4))
    ours, _ = run_open_loop(factory(lr=0.01, eps=1e-3), grads, np.zeros(4))
    scaled, _ = run_open_loop(factory(lr=0.01, eps=1e-3 * c), c * grads, np.zeros(4))
    if factory is adamax or factory is nadam:
        assert_array_equal(scaled, ours)
    else:
        assert_allclose(scaled[:6], c * ours[:6], rtol=1e-12)  # momentum steps
        assert_allclose(np.diff(scaled[5:], axis=0), np.diff(ours[5:], axis=0),
                        rtol=1e-12, atol=1e-13)


def test_run_race_and_basins_accept_the_relatives():
    from descent import landscapes, run

    rosen = landscapes.rosenbrock()
    opts = {"rprop": rprop(), "adadelta": adadelta(), "adamax": adamax(0.01),
            "nadam": nadam(0.01), "radam": radam(0.001)}
    trajs = run.race(opts, rosen, steps=50)
    assert list(trajs) == list(opts)
    for t in trajs.values():
        assert t.steps == 50 and not t.diverged and t.loss[-1] < t.loss[0]
    starts = np.stack(np.meshgrid([-1.0, 0.5], [0.5, 1.5]), axis=-1)  # (2, 2, 2)
    for opt in opts.values():  # element-wise rules: a stack of starts at once
        assert run.basins(opt, rosen, starts, steps=5).shape == (2, 2)
