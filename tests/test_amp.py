"""Float formats and dynamic loss scaling (``descent.amp``), against torch's GradScaler.

The parity tests drive ``torch.amp.GradScaler("cpu")`` and ``descent.amp`` with the
same pattern of finite and non-finite steps (``PATTERNS``) and require the same
scale after every step, bit for bit, and the same skip decisions. The patterns:
all finite (growth up to float32's ceiling), all non-finite (back-off down to
float32's subnormals and 0), alternating, bursts of overflows, random patterns
with overflow rates from 1 % to 90 %, sparse overflows with torch's defaults,
NaN, +inf and -inf mixed, overflow in one array of several, factors that are not
powers of two (init 1000.7, growth 3, back-off 0.3), and growth_interval 1.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from numpy.testing import assert_allclose, assert_array_equal

from descent.amp import (
    BFLOAT16,
    FLOAT16,
    ScalerState,
    all_finite,
    limits,
    loss_scaler,
    range_report,
    scaled_step,
    to_format,
    unscale,
)
from descent.optim import adam, sgd

# -- float formats -------------------------------------------------------------


def test_float16_limits_are_the_documented_facts():
    lim = limits(np.float16)
    assert lim.max == 65504.0
    assert lim.smallest_normal == 2.0**-14  # ≈ 6.1e-5
    assert lim.smallest_subnormal == 2.0**-24  # ≈ 6e-8
    assert 5.9e-8 < lim.smallest_subnormal < 6.0e-8
    assert lim.eps == 2.0**-10 and lim.bits == 11


def test_bfloat16_has_float32s_range_and_8_bits():
    b, f = limits(BFLOAT16), limits(np.float32)
    assert b.smallest_normal == f.smallest_normal == 2.0**-126
    assert b.max == pytest.approx(f.max, rel=1e-2)
    assert b.bits == 8 and b.eps == 2.0**-7


def test_float16_underflows_and_overflows_where_the_limits_say():
    sub = 2.0**-24
    x = np.array([sub * 0.49, sub * 0.51, sub, 2.0**-14, 65504.0, 65520.0, 7e4])
    y = to_format(x, FLOAT16)
    assert y.dtype == np.float16
    assert y[0] == 0  # below half the smallest subnormal: exactly zero
    assert y[1] == sub and y[2] == sub
    assert y[3] == 2.0**-14 and y[4] == 65504
    assert np.isinf(y[5]) and np.isinf(y[6])  # 65520 rounds up past the largest
    # the same values in bfloat16: nothing underflows or overflows
    z = to_format(x, BFLOAT16).astype(np.float64)
    assert np.all(z > 0) and np.all(np.isfinite(z))


def test_subnormals_keep_fewer_bits():
    x = 3 * 2.0**-24 + 2.0**-26  # needs bits below the smallest subnormal
    assert float(to_format(x, FLOAT16)) == 3 * 2.0**-24


def test_range_report_counts_each_fate():
    r = range_report([1e-9, -1e-6, 1.0, 1e5, 0.0, np.nan])
    assert r == (0.25, 0.25, 0.25, 0.25, 4)
    # a loss scale moves values out of the underflow region
    r = range_report([1e-9, 1e-6], scale=2.0**10)
    assert r.underflow == 0 and r.subnormal == 0.5 and r.normal == 0.5
    assert range_report([0.0]).count == 0
    assert range_report([1e-30], BFLOAT16).normal == 1.0


@pytest.mark.parametrize("dtype", [np.int32, "complex128", "not a dtype"])
def test_a_non_float_format_is_refused(dtype):
    with pytest.raises(ValueError, match="dtype must be a floating format"):
        limits(dtype)


# -- the scaler's rule, by hand ------------------------------------------------


def test_scaler_grows_after_interval_and_backs_off_on_overflow():
    sc = loss_scaler(init_scale=8.0, growth_interval=3)
    s = sc.init()
    assert s == ScalerState(8.0, 0)
    seen = []
    for bad in (False, False, False, False, True, False):
        s = sc.update(s, bad)
        seen.append((s.scale, s.growth_tracker))
    assert seen == [(8.0, 1), (8.0, 2), (16.0, 0), (16.0, 1), (8.0, 0), (8.0, 1)]


def test_scaler_never_grows_to_infinity():
    sc = loss_scaler(init_scale=2.0**127, growth_interval=1)
    s = sc.update(sc.init(), False)
    assert s.scale == 2.0**127 and s.growth_tracker == 0


def test_scale_is_a_float32_value():
    s = loss_scaler(init_scale=0.1).init()
    assert s.scale == float(np.float32(0.1)) != 0.1


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"init_scale": 0.0}, "init_scale must be > 0"),
        ({"init_scale": -1.0}, "init_scale must be > 0"),
        ({"init_scale": math.inf}, "init_scale must be > 0 and finite"),
        ({"init_scale": 1e39}, "init_scale must lie within float32"),
        ({"init_scale": 1e-50}, "init_scale must lie within float32"),
        ({"init_scale": "1"}, "init_scale must be a real number"),
        ({"growth_factor": 1.0}, "growth_factor must be > 1"),
        ({"growth_factor": 0.5}, "growth_factor must be > 1"),
        ({"growth_factor": math.nan}, "growth_factor must be > 0"),
        ({"backoff_factor": 1.0}, r"backoff_factor must be in \(0, 1\)"),
        ({"backoff_factor": 0.0}, r"backoff_factor must be in \(0, 1\)"),
        ({"backoff_factor": -0.5}, r"backoff_factor must be in \(0, 1\)"),
        ({"backoff_factor": None}, "backoff_factor must be a real number"),
        ({"growth_interval": 0}, "growth_interval must be an integer >= 1"),
        ({"growth_interval": 2.5}, "growth_interval must be an integer >= 1"),
        ({"growth_interval": True}, "growth_interval must be an integer >= 1"),
    ],
)
def test_bad_scaler_settings_raise_naming_the_parameter(kwargs, message):
    with pytest.raises(ValueError, match=message):
        loss_scaler(**kwargs)


# -- unscale, finite check, skipped steps ----------------------------------------


def test_unscale_divides_in_float32_and_reports_non_finite():
    g16 = np.array([2.0**10, -3.0 * 2.0**8], dtype=np.float16)
    grads, found_inf = unscale(g16, 2.0**16)
    assert grads.dtype == np.float32 and not found_inf
    assert_array_equal(grads, [2.0**-6, -3.0 * 2.0**-8])
    grads, found_inf = unscale([g16, np.array([np.inf], np.float16)], 4.0)
    assert found_inf and grads[0].dtype == np.float32
    assert unscale(np.array([np.nan]), 1.0)[1]
    assert unscale(np.ones(2), 1.0)[0].dtype == np.float64  # float64 stays


def test_all_finite_on_arrays_and_lists():
    assert all_finite([np.ones(2), np.zeros((2, 2))])
    assert not all_finite([np.ones(2), np.array([1.0, -np.inf])])
    assert not all_finite(np.array([np.nan]))


@pytest.mark.parametrize("scale", [0.0, -2.0, math.inf])
def test_unscale_refuses_a_bad_scale(scale):
    with pytest.raises(ValueError, match="scale must be > 0"):
        unscale(np.ones(2), scale)


def test_a_skipped_step_leaves_params_and_optimizer_state_alone():
    opt, sc = adam(0.1), loss_scaler(init_scale=4.0, growth_interval=2)
    params = np.array([1.0, 2.0], dtype=np.float32)
    state, s = opt.init(params), sc.init()
    new, state2, s2, skipped = scaled_step(
        opt, sc, params, np.array([np.inf, 1.0], np.float16), state, s)
    assert skipped and new is params and state2 is state and s2.scale == 2.0
    new, state3, s3, skipped = scaled_step(
        opt, sc, params, np.array([2.0, -2.0], np.float16), state, s2)
    assert not skipped and state3.t == 1 and s3 == ScalerState(2.0, 1)
    assert new.dtype == np.float32  # the master weights stay float32
    assert_allclose(new, [0.9, 2.1], rtol=1e-6)


def test_the_optimizer_sees_the_same_gradient_whatever_the_scale():
    # with a power-of-two scale and no underflow, unscaling is exact: GradScaler
    # does not change the effective learning rate
    g = np.array([3e-3, -7e-2, 0.25])
    steps = []
    for scale in (2.0**4, 2.0**10, 2.0**16):
        scaled = to_format(g * scale, FLOAT16)
        grads, _ = unscale(scaled, scale)
        opt = sgd(0.1)
        params = np.zeros(3, np.float32)
        steps.append(opt.step(params, grads, opt.init(params))[0])
    assert_array_equal(steps[0], steps[1])
    assert_array_equal(steps[1], steps[2])


# -- parity with torch.amp.GradScaler ------------------------------------------------

BAD = {"inf": math.inf, "-inf": -math.inf, "nan": math.nan}


def _pattern(kind: str, n: int, seed: int = 0, p: float = 0.0) -> list[str | None]:
    """A list of per-step outcomes: None (finite) or the kind of non-finite value."""
    rng = np.random.default_rng(seed)
    if kind == "finite":
        return [None] * n
    if kind == "overflow":
        return ["inf"] * n
    if kind == "alternate":
        return ["inf" if i % 2 else None for i in range(n)]
    if kind == "bursts":
        out = []
        while len(out) < n:
            out += ["inf"] * int(rng.integers(1, 6)) + [None] * int(rng.integers(1, 40))
        return out[:n]
    if kind == "random":
        return ["inf" if u < p else None for u in rng.uniform(size=n)]
    if kind == "mixed":
        return [None if u < 0.6 else str(rng.choice(list(BAD)))
                for u in rng.uniform(size=n)]
    raise ValueError(kind)


PATTERNS = {  # id: (outcomes, scaler settings)
    "all finite, growth to float32's ceiling": (
        _pattern("finite", 400), dict(init_scale=2.0**16, growth_interval=3)),
    "all overflow, back-off to 0": (
        _pattern("overflow", 200), dict(init_scale=2.0**16)),
    "alternating": (_pattern("alternate", 300), dict(growth_interval=1)),
    "bursts": (_pattern("bursts", 1500, seed=1), dict(growth_interval=10)),
    "random 1%": (_pattern("random", 3000, seed=2, p=0.01),
                  dict(growth_interval=100)),
    "random 10%": (_pattern("random", 2000, seed=3, p=0.1), dict(growth_interval=7)),
    "random 50%": (_pattern("random", 1000, seed=4, p=0.5), dict(growth_interval=1)),
    "random 90%": (_pattern("random", 200, seed=5, p=0.9),
                   dict(init_scale=2.0**100, growth_interval=1)),
    "defaults, sparse overflow": (
        _pattern("random", 5000, seed=6, p=0.0008), dict()),
    "nan, +inf, -inf mixed": (_pattern("mixed", 800, seed=7),
                              dict(growth_interval=2)),
    "factors not powers of two": (
        _pattern("random", 1500, seed=8, p=0.2),
        dict(init_scale=1000.7, growth_factor=3.0, backoff_factor=0.3,
             growth_interval=3)),
    "growth_interval 1, odd factors": (
        _pattern("random", 800, seed=9, p=0.3),
        dict(init_scale=3.3, growth_factor=1.7, backoff_factor=0.61,
             growth_interval=1)),
}


class _CountingSGD(torch.optim.SGD):
    """torch's SGD, counting the steps GradScaler lets through."""

    calls = 0

    def step(self, closure=None):
        self.calls += 1
        return super().step(closure)


def _torch_run(outcomes, settings, arrays=2):
    """Scales after every step and the skip decisions of torch's GradScaler."""
    params = [torch.nn.Parameter(torch.zeros(3)) for _ in range(arrays)]
    opt = _CountingSGD(params, lr=1.0)
    scaler = torch.amp.GradScaler("cpu", **settings)
    scales, skipped = [], []
    for i, bad in enumerate(outcomes):
        opt.zero_grad()
        scale = scaler.scale(torch.tensor(1.0)).item()  # the loss 1, scaled
        for p in params:
            p.grad = torch.full((3,), scale)  # finite: the unscaled gradient is 1
        if bad is not None:  # one entry of one array is not finite
            params[i % arrays].grad[i % 3] = BAD[bad]
        calls = opt.calls
        scaler.step(opt)
        scaler.update()
        skipped.append(opt.calls == calls)
        scales.append(scaler.get_scale())
    return scales, skipped


def _descent_run(outcomes, settings, arrays=2):
    scaler = loss_scaler(**settings)
    opt = sgd(1.0)
    params = [np.zeros(3, np.float32) for _ in range(arrays)]
    opt_state, state = opt.init(params), scaler.init()
    scales, skipped = [], []
    for i, bad in enumerate(outcomes):
        grads = [np.full(3, state.scale, np.float32) for _ in range(arrays)]
        if bad is not None:
            grads[i % arrays][i % 3] = BAD[bad]
        if state.scale > 0:
            params, opt_state, state, skip = scaled_step(
                opt, scaler, params, grads, opt_state, state)
        else:  # a scale of 0 (after 150+ overflows in a row) cannot unscale
            assert bad is not None, "the patterns keep the scale > 0 on finite steps"
            skip = True
            state = scaler.update(state, True)
        skipped.append(skip)
        scales.append(state.scale)
    return scales, skipped


@pytest.mark.parametrize("name", PATTERNS)
def test_same_scales_and_skips_as_torch_grad_scaler(name):
    outcomes, settings = PATTERNS[name]
    theirs, their_skips = _torch_run(outcomes, settings)
    ours, our_skips = _descent_run(outcomes, settings)
    assert ours == theirs  # bit for bit: both are float32 values
    assert our_skips == their_skips == [b is not None for b in outcomes]


def test_the_patterns_reach_the_edge_cases():
    theirs, _ = _torch_run(*PATTERNS["all overflow, back-off to 0"])
    assert theirs[-1] == 0.0 and 0 < min(s for s in theirs if s > 0) < 2.0**-126
    theirs, _ = _torch_run(*PATTERNS["all finite, growth to float32's ceiling"])
    assert theirs[-1] == 2.0**127
    ours, _ = _descent_run(*PATTERNS["factors not powers of two"])
    assert any(math.frexp(s)[0] != 0.5 for s in ours)  # not powers of two


def test_docstring_examples_run():
    import doctest

    import descent.amp

    result = doctest.testmod(descent.amp, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.attempted >= 5 and result.failed == 0
