"""Mixed-precision training of an MLP (``descent.nets.half``): float16 passes with
float32 master weights, underflow of small gradients, and loss scaling."""

from __future__ import annotations

import numpy as np
import pytest
from numpy.testing import assert_allclose

from descent.amp import BFLOAT16, all_finite, loss_scaler
from descent.nets import MLP, half_backprop, train_mixed, two_spirals
from descent.optim import adam, sgd


@pytest.fixture(scope="module")
def batch():
    return two_spirals(64, 0.05, np.random.default_rng(0))


def _net(depth=3, activation="tanh"):
    model = MLP.deep(depth=depth, width=8, activation=activation, init="xavier")
    return model, model.init_params(np.random.default_rng(1))


@pytest.mark.parametrize("activation", ["tanh", "sigmoid", "relu"])
def test_in_float64_with_scale_one_it_is_backprop(batch, activation):
    model, params = _net(activation=activation)
    ref = model.backprop(params, *batch)
    half = half_backprop(model, params, *batch, dtype=np.float64)
    assert half.loss == pytest.approx(ref.loss, rel=1e-6)  # loss in float32
    for g, r in zip(half.grads, ref.grads, strict=True):
        assert g.dtype == np.float64
        assert_allclose(g, r, rtol=1e-5, atol=1e-9)  # δ_L computed in float32


def test_float16_gradients_are_float16_and_close_to_float64(batch):
    model, params = _net()
    ref = model.backprop(params, *batch)
    half = half_backprop(model, params, *batch, scale=2.0**10)
    assert all(g.dtype == np.float16 for g in half.grads + half.deltas)
    for g, r in zip(half.grads, ref.grads, strict=True):
        err = np.linalg.norm(g.astype(np.float64) / 2**10 - r) / np.linalg.norm(r)
        assert err < 2e-2  # float16 keeps about 3 decimal digits


def test_small_gradients_underflow_to_zero_and_a_loss_scale_saves_them(batch):
    model, params = _net(depth=12, activation="sigmoid")  # vanishing gradients
    first = model.backprop(params, *batch).grads[0]
    assert np.abs(first).max() < 2.0**-24  # below float16's smallest subnormal
    plain = half_backprop(model, params, *batch)
    assert np.all(plain.grads[0] == 0)  # every entry lost
    scaled = half_backprop(model, params, *batch, scale=2.0**16)
    assert np.count_nonzero(scaled.grads[0]) == first.size


def test_too_large_a_scale_overflows_to_inf(batch):
    model, params = _net()
    half = half_backprop(model, params, *batch, scale=2.0**24)
    assert not all_finite(half.grads)  # inf, and inf - inf = nan
    bf = half_backprop(model, params, *batch, scale=2.0**24, dtype=BFLOAT16)
    assert all(np.isfinite(g.astype(np.float32)).all() for g in bf.grads)


def test_train_mixed_records_scales_skips_and_losses(batch):
    model, params = _net()
    scaler = loss_scaler(init_scale=2.0**24, growth_interval=5)
    r = train_mixed(model, params, sgd(0.5), *batch, 30, scaler=scaler)
    assert r.steps == 30 and len(r.loss) == 31
    assert r.skipped[0] and r.scale[0] == 2.0**24  # overflow: skipped, backed off
    assert r.scale[1] == 2.0**23
    assert r.skipped_steps >= 1 and not r.skipped[-1]
    assert all(p.dtype == np.float32 for p in r.params)  # master weights
    assert r.final_loss < r.loss[0]
    # a skipped step leaves the loss unchanged
    k = int(np.flatnonzero(r.skipped)[0])
    assert r.loss[k + 1] == r.loss[k]


def test_without_a_loss_scale_a_tiny_loss_loses_its_gradients(batch):
    model, params = _net()
    c = 1e-6  # the objective is c·L: every gradient 10⁶ times smaller
    plain = train_mixed(model, params, adam(0.02), *batch, 20, loss_weight=c)
    scaled = train_mixed(model, params, adam(0.02), *batch, 20, loss_weight=c,
                         scaler=2.0**16)
    assert plain.lost.mean() > 0.3 and scaled.lost.max() == 0
    assert scaled.final_loss < plain.final_loss


def test_a_fixed_scale_is_the_same_for_the_optimizer(batch):
    # powers of two, no underflow, no overflow: unscaling is exact
    model, params = _net()
    a = train_mixed(model, params, sgd(0.5), *batch, 10, scaler=2.0**6)
    b = train_mixed(model, params, sgd(0.5), *batch, 10, scaler=2.0**12)
    for p, q in zip(a.params, b.params, strict=True):
        assert np.array_equal(p, q)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"scaler": 0.0}, "scaler must be > 0"),
        ({"scaler": "big"}, "scaler must be a real number"),
        ({"loss_weight": -1.0}, "loss_weight must be > 0"),
        ({"dtype": np.int16}, "dtype must be a floating format"),
        ({"steps": 0}, "steps must be an integer >= 1"),
    ],
)
def test_bad_arguments_raise(batch, kwargs, message):
    model, params = _net()
    args = {"steps": 3, **kwargs}
    steps = args.pop("steps")
    with pytest.raises(ValueError, match=message):
        train_mixed(model, params, sgd(0.1), *batch, steps, **args)


def test_only_an_mlp_is_accepted(batch):
    with pytest.raises(ValueError, match="model must be an MLP"):
        half_backprop(object(), [], *batch)
    model, params = _net()
    with pytest.raises(ValueError, match="scale must be > 0"):
        half_backprop(model, params, *batch, scale=0.0)
