r"""Half precision and dynamic loss scaling, with ``torch.amp.GradScaler``'s semantics.

Mixed-precision training runs the forward and backward passes in a 16-bit format
and keeps the master weights in float32. float16 has 5 exponent bits: its finite
values reach 65504, its smallest normal number is :math:`2^{-14} \approx 6.1\times
10^{-5}` and its smallest subnormal :math:`2^{-24} \approx 6\times 10^{-8}`; a
gradient below half of that rounds to exactly zero (**underflow**), one above 65504
becomes ``inf`` (**overflow**). bfloat16 (``ml_dtypes.bfloat16``) keeps float32's 8
exponent bits, so it has float32's range, with 8 significant bits instead of 11.

**Loss scaling** multiplies the loss by :math:`S` before backpropagation, so every
gradient is :math:`S` times larger while it lives in float16, and divides the
gradients by :math:`S` (in float32) before the optimizer sees them:

.. math::

    \hat g_t = \operatorname{fl16}\big(S_t\, \nabla L(\theta_t)\big), \qquad
    g_t = \hat g_t / S_t .

**Dynamic** loss scaling (:func:`loss_scaler`) chooses :math:`S_t` on the fly:
when a scaled gradient is not finite, the step is skipped and
:math:`S \leftarrow \beta_{\downarrow} S`; after ``growth_interval`` finite steps
in a row, :math:`S \leftarrow \beta_{\uparrow} S`. The optimizer sees the same
:math:`g_t` whatever :math:`S_t` is (up to rounding), so the scale never changes the
effective learning rate: it only decides which steps are skipped.

The same question without float16 (the book's seed: "is dividing the loss by 10
the same as dividing the learning rate by 10?") has an exact answer for every
optimizer: :func:`loss_scale_equivalent` gives, for an optimizer and a factor
k > 0, the optimizer that takes on the loss L exactly the steps the first one
takes on k·L (:data:`LOSS_SCALE_RULES`).

What is here:

* :data:`LOSS_SCALE_RULES`, :func:`loss_scale_rule`, :func:`loss_scale_equivalent`;
* :data:`FLOAT16`, :data:`BFLOAT16` and :func:`limits` (range of a float format);
* :func:`to_format` (round values to a format) and :func:`range_report` (which
  values underflow, turn subnormal or overflow in it);
* :func:`loss_scaler` (``init``/``update``, GradScaler's update rule), with
  :func:`unscale`, :func:`all_finite` and :func:`scaled_step` for a training loop.

numpy only (plus ``ml_dtypes`` for bfloat16); the float16 training path of a
network is :mod:`descent.nets.half`.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable
from typing import Any, NamedTuple

import ml_dtypes
import numpy as np

from .optim import OPTIMIZERS, Optimizer, clip_by_global_norm, clip_by_value

__all__ = [
    "BFLOAT16",
    "FLOAT16",
    "LOSS_SCALE_RULES",
    "FormatLimits",
    "LossScaler",
    "RangeReport",
    "ScalerState",
    "all_finite",
    "limits",
    "loss_scale_equivalent",
    "loss_scale_rule",
    "loss_scaler",
    "range_report",
    "scaled_step",
    "to_format",
    "unscale",
]

FLOAT16 = np.dtype(np.float16)
BFLOAT16 = np.dtype(ml_dtypes.bfloat16)


# ------------------------------------------------- loss × k, for every optimizer

#: What multiplying the loss by k > 0 does to each optimizer of
#: :data:`descent.optim.OPTIMIZERS`, written as the hyperparameters that give the
#: same steps on the unscaled loss: ``{name: {hyperparameter: p}}`` means
#: "multiply that hyperparameter by k**p". Every gradient becomes k·g; SGD and
#: momentum are linear in g (so lr × k), but their L2 term λθ is not scaled (so
#: λ ÷ k); Adagrad, RMSprop and Adam divide k·g by √(k²v), so only ε moves (and
#: Adagrad's starting sum, which sits beside k²g²). AdamW's decoupled decay
#: ηλθ does not touch the gradient and stays. RMSprop with ``eps_inside_sqrt``
#: has √(k²v + ε): ε ÷ k² (see :func:`loss_scale_rule`).
LOSS_SCALE_RULES: dict[str, dict[str, int]] = {
    "sgd": {"lr": 1, "weight_decay": -1},
    "momentum": {"lr": 1, "weight_decay": -1},
    "adagrad": {"eps": -1, "initial_accumulator": -2, "weight_decay": -1},
    "rmsprop": {"eps": -1, "weight_decay": -1},
    "adam": {"eps": -1, "weight_decay": -1},
    "adamw": {"eps": -1},
}
#: Adam's relatives (chapter 9). Rprop sees only signs: nothing moves. Adadelta
#: scales v by k² and, through its units, its steps: lr × k, ε ÷ k² (both roots),
#: L2 term ÷ k. Adamax: ε ÷ k (u is a max of |g| + ε). NAdam as Adam (its
#: decoupled decay stays, as AdamW's). RAdam as Adam once ρ_t > 5; its first
#: steps are momentum SGD, so :func:`loss_scale_equivalent` also multiplies lr by
#: k for exactly those steps (and refuses decoupled decay, see there).
LOSS_SCALE_RULES.update({
    "rprop": {},
    "adadelta": {"lr": 1, "eps": -2, "weight_decay": -1},
    "adamax": {"eps": -1, "weight_decay": -1},
    "nadam": {"eps": -1, "weight_decay": -1},
    "radam": {"eps": -1, "weight_decay": -1},
})

#: Gradient clipping wraps an optimizer (``name+clip_norm``): clip(k·g, c) =
#: k·clip(g, c/k), so its threshold moves as ÷ k.
_CLIP_RULES = {"clip_norm": ("max_norm", clip_by_global_norm),
               "clip_value": ("max_value", clip_by_value)}


def _split_name(opt: Optimizer) -> tuple[str, list[str]]:
    base, *wrappers = str(opt.name).split("+")
    if base not in LOSS_SCALE_RULES or base not in OPTIMIZERS:
        known = ", ".join(sorted(LOSS_SCALE_RULES))
        raise ValueError(
            f"opt must be one of the optimizers with a loss-scale rule ({known}), "
            f"optionally clipped; got {opt.name!r}: add its rule to LOSS_SCALE_RULES"
        )
    for w in wrappers:
        if w not in _CLIP_RULES:
            raise ValueError(f"opt's wrapper {w!r} has no loss-scale rule "
                             f"(known: {', '.join(_CLIP_RULES)})")
    return base, wrappers


def loss_scale_rule(opt: Optimizer) -> dict[str, int]:
    """The powers of k for ``opt``'s hyperparameters: the rule for this setting.

    As :data:`LOSS_SCALE_RULES`, with ε ÷ k² for RMSprop with ``eps_inside_sqrt``
    and the clipping threshold (``max_norm`` or ``max_value``) ÷ k for a clipped
    optimizer.

    >>> from descent.optim import adagrad
    >>> loss_scale_rule(adagrad(lr=0.1))
    {'eps': -1, 'initial_accumulator': -2, 'weight_decay': -1}
    """
    base, wrappers = _split_name(opt)
    rule = dict(LOSS_SCALE_RULES[base])
    if base == "rmsprop" and opt.hyper.get("eps_inside_sqrt"):
        rule["eps"] = -2
    if base in ("nadam", "radam") and opt.hyper.get("decoupled_weight_decay"):
        del rule["weight_decay"]  # the decay ηλθ does not touch the gradient
    for w in wrappers:
        rule[_CLIP_RULES[w][0]] = -1
    return rule


def _times_power(value: Any, k: float, p: int) -> Any:
    if callable(value):  # a schedule: scale what it returns
        return lambda *args, _f=value, **kw: _times_power(_f(*args, **kw), k, p)
    return value * k**p if p > 0 else value / k ** (-p)


def loss_scale_equivalent(opt: Optimizer, k: float) -> Optimizer:
    r"""The optimizer that takes on the loss L exactly the steps ``opt`` takes on k·L.

    Every gradient of k·L is k·g. Rebuilding ``opt`` with its hyperparameters
    multiplied by the powers of k in :func:`loss_scale_rule` absorbs the factor:

    .. math::

        \text{SGD, momentum: } \eta \to k\eta,\ \lambda \to \lambda/k; \quad
        \text{Adagrad: } \varepsilon \to \varepsilon/k,\ v_0 \to v_0/k^2; \quad
        \text{RMSprop, Adam: } \varepsilon \to \varepsilon/k; \quad
        \text{clipping: } c \to c/k .

    The equality is exact in real arithmetic; in floating point it is bit-exact
    when k is a power of two (``tests/test_loss_scale.py``).

    RAdam's steps with :math:`\rho_t \le 5` are momentum SGD: for them (and only
    them) its equivalent also has :math:`\eta \to k\eta`, as a schedule. With
    decoupled weight decay those steps would need :math:`\eta \to k\eta` and an
    unchanged :math:`\eta\lambda` at once, which no setting gives: that case
    raises ``ValueError``.

    >>> from descent.optim import adam
    >>> loss_scale_equivalent(adam(lr=0.01, eps=1e-8), k=0.5).hyper["eps"]
    2e-08
    """
    k = _positive_finite("k", k)
    base, wrappers = _split_name(opt)
    rule = loss_scale_rule(opt)
    hyper = dict(opt.hyper)
    clips = {_CLIP_RULES[w][0]: hyper.pop(_CLIP_RULES[w][0]) for w in wrappers}
    for name, p in rule.items():
        if name in hyper:
            hyper[name] = _times_power(hyper[name], k, p)
    if base == "radam":
        hyper["lr"] = _radam_lr(hyper, k)
    out = OPTIMIZERS[base](**hyper)
    for w in wrappers:  # innermost wrapper first, as the name lists them
        param, wrap = _CLIP_RULES[w]
        out = wrap(out, _times_power(clips[param], k, -1))
    return out


def _radam_lr(hyper: dict[str, Any], k: float) -> Callable[[int], float]:
    """RAdam's lr times k for the steps that are momentum SGD (ρ_t ≤ 5)."""
    # imported here, not at the top, so that the lines chapter 8 shows stay put
    from .optim.radam import rectification

    if hyper["weight_decay"] and hyper["decoupled_weight_decay"] and k != 1:
        raise ValueError(
            "opt is radam with decoupled weight decay: loss × k has no equivalent "
            "setting (its first steps need lr × k, its decay an unchanged lr)"
        )
    lr, beta2 = hyper["lr"], hyper["beta2"]
    lr_at = lr if callable(lr) else (lambda t: lr)
    # step t + 1 (0-based t steps taken) is momentum SGD when its r is 0
    return lambda t: _times_power(lr_at(t), k, 1 if not rectification(t + 1, beta2)[1]
                                  else 0)


# --------------------------------------------------------------- float formats


class FormatLimits(NamedTuple):
    """The range of a floating-point format (all as Python floats).

    ``smallest_subnormal``: the least positive value; ``smallest_normal``: below it
    values keep fewer significant bits; ``max``: the largest finite value;
    ``eps``: the gap between 1 and the next value (relative precision);
    ``bits``: significant bits, counting the implicit one.
    """

    name: str
    smallest_subnormal: float
    smallest_normal: float
    max: float
    eps: float
    bits: int


def _float_format(dtype: Any) -> np.dtype:
    try:
        dt = np.dtype(dtype)
    except TypeError:
        dt = None
    if dt is None or not (np.issubdtype(dt, np.floating) or dt == BFLOAT16):
        raise ValueError(
            "dtype must be a floating format (float16, bfloat16, float32, float64), "
            f"got {dtype!r}"
        )
    return dt


def limits(dtype: Any = FLOAT16) -> FormatLimits:
    """The range and precision of ``dtype`` (float16, bfloat16, float32, float64).

    >>> lim = limits(np.float16)
    >>> lim.max, lim.smallest_normal == 2.0**-14, lim.smallest_subnormal == 2.0**-24
    (65504.0, True, True)
    """
    dt = _float_format(dtype)
    info = ml_dtypes.finfo(dt) if dt == BFLOAT16 else np.finfo(dt)
    return FormatLimits(
        name=str(dt),
        smallest_subnormal=float(info.smallest_subnormal),
        smallest_normal=float(info.smallest_normal),
        max=float(info.max),
        eps=float(info.eps),
        bits=int(info.nmant) + 1,
    )


def to_format(values: Any, dtype: Any = FLOAT16) -> np.ndarray:
    """``values`` rounded to ``dtype`` (round to nearest, ties to even).

    Values too small for the format become 0, too large become ±inf; the result
    has dtype ``dtype``. bfloat16 is rounded from float32, as hardware does.
    """
    dt = _float_format(dtype)
    x = np.asarray(values)
    if dt == BFLOAT16 and x.dtype != np.float32:
        x = x.astype(np.float32)
    with np.errstate(over="ignore"):
        return x.astype(dt)


class RangeReport(NamedTuple):
    """Where the non-zero values of an array land in a float format (fractions).

    ``underflow``: rounded to exactly 0; ``subnormal``: non-zero but below the
    smallest normal number (fewer significant bits); ``overflow``: became ±inf;
    ``normal``: the rest. The four add up to 1. ``count`` is the number of
    non-zero finite values inspected (the fractions are 0 when it is 0).
    """

    underflow: float
    subnormal: float
    normal: float
    overflow: float
    count: int


def range_report(values: Any, dtype: Any = FLOAT16, scale: float = 1.0) -> RangeReport:
    """Round ``scale · values`` to ``dtype`` and report where the non-zero ones land.

    ``scale`` is the loss scale :math:`S`: the report answers "what happens to
    these gradients in float16 when the loss is multiplied by S?". Zeros and
    non-finite inputs are left out.

    >>> r = range_report([1e-9, 1e-6, 1.0, 1e5])
    >>> r.underflow, r.subnormal, r.normal, r.overflow
    (0.25, 0.25, 0.25, 0.25)
    """
    s = _positive_finite("scale", scale)
    x = np.asarray(values, dtype=np.float64).ravel()
    x = x[np.isfinite(x) & (x != 0)] * s
    n = x.size
    if n == 0:
        return RangeReport(0.0, 0.0, 0.0, 0.0, 0)
    y = np.abs(to_format(x, dtype).astype(np.float64))
    lim = limits(dtype)
    under = int(np.count_nonzero(y == 0))
    over = int(np.count_nonzero(np.isinf(y)))
    sub = int(np.count_nonzero((y > 0) & (y < lim.smallest_normal)))
    return RangeReport(under / n, sub / n, (n - under - over - sub) / n, over / n, n)


# ----------------------------------------------------------- dynamic loss scaling


class ScalerState(NamedTuple):
    """The loss scaler's state: the scale :math:`S` and the clean-step count.

    ``scale`` is a float32 value held as a Python float (torch keeps it in a
    float32 tensor); ``growth_tracker`` counts the finite steps since the scale
    last changed (torch: ``_growth_tracker``).
    """

    scale: float
    growth_tracker: int


class LossScaler(NamedTuple):
    """A dynamic loss scaler: ``state = init()``, ``state = update(state, found_inf)``.

    ``hyper`` holds the factory's arguments.
    """

    init: Callable[[], ScalerState]
    update: Callable[[ScalerState, bool], ScalerState]
    hyper: dict[str, Any]


def _positive_finite(name: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise ValueError(f"{name} must be a real number, got {value!r}")
    x = float(value)
    if not (x > 0 and math.isfinite(x)):
        raise ValueError(f"{name} must be > 0 and finite, got {value!r}")
    return x


def _f32(x: float) -> float:
    """x rounded to float32 (as C++ stores a double into a float), as a float."""
    with np.errstate(over="ignore"):
        return float(np.float32(x))


def loss_scaler(
    init_scale: float = 2.0**16,
    growth_factor: float = 2.0,
    backoff_factor: float = 0.5,
    growth_interval: int = 2000,
) -> LossScaler:
    r"""Dynamic loss scaling with the update rule of ``torch.amp.GradScaler``.

    Start from :math:`S_1` = ``init_scale`` and a clean-step count :math:`c = 0`.
    After each step, with ``found_inf`` telling whether any scaled gradient was
    inf or NaN (that step is skipped):

    .. math::

        \text{found\_inf:}\quad
            S \leftarrow \beta_{\downarrow} S, \quad c \leftarrow 0 \\
        \text{else if } c + 1 = N:\quad
            S \leftarrow \beta_{\uparrow} S \ \text{(unless that overflows float32)},
            \quad c \leftarrow 0 \\
        \text{else:}\quad c \leftarrow c + 1

    with :math:`\beta_{\uparrow}` = ``growth_factor``, :math:`\beta_{\downarrow}` =
    ``backoff_factor`` and :math:`N` = ``growth_interval``. The scale is a float32
    number, each product rounded to float32 as torch does; a growth that would
    reach float32's ``inf`` leaves the scale unchanged (the count still restarts).

    Parameters
    ----------
    init_scale : float
        :math:`S_1 > 0`, within float32's range (torch's default :math:`2^{16}`).
    growth_factor : float
        :math:`\beta_{\uparrow} > 1`.
    backoff_factor : float
        :math:`\beta_{\downarrow} \in (0, 1)`.
    growth_interval : int
        :math:`N \ge 1` finite steps in a row before the scale grows.

    Returns
    -------
    LossScaler
        ``init()`` gives ``ScalerState(scale=init_scale, growth_tracker=0)``;
        ``update(state, found_inf)`` gives the next state.

    Notes
    -----
    ``torch.amp.GradScaler(device, init_scale, growth_factor, backoff_factor,
    growth_interval)``: its ``update()`` (``torch._amp_update_scale_``) gives the
    same scales, and ``step()`` skips the optimizer exactly when :func:`scaled_step`
    does. Proposed as "loss scaling" with a fixed scale and skipped overflowing
    steps by Micikevicius et al. (2018).

    Examples
    --------
    >>> scaler = loss_scaler(init_scale=8.0, growth_interval=2)
    >>> s = scaler.init()
    >>> for found_inf in (False, False, True, False):
    ...     s = scaler.update(s, found_inf)
    ...     print(s.scale, s.growth_tracker)
    8.0 1
    16.0 0
    8.0 0
    8.0 1

    References
    ----------
    Micikevicius, P., Narang, S., Alben, J., et al. (2018). Mixed precision
    training. *ICLR*. arXiv:1710.03740.
    """
    s1 = _positive_finite("init_scale", init_scale)
    if not (0 < _f32(s1) < math.inf):
        raise ValueError(
            f"init_scale must lie within float32's range (about 1.4e-45 to 3.4e38), "
            f"got {init_scale!r}"
        )
    up = _positive_finite("growth_factor", growth_factor)
    if not up > 1:
        raise ValueError(f"growth_factor must be > 1, got {growth_factor!r}")
    if isinstance(backoff_factor, bool) or not isinstance(backoff_factor, numbers.Real):
        raise ValueError(
            f"backoff_factor must be a real number, got {backoff_factor!r}")
    down = float(backoff_factor)
    if not 0 < down < 1:
        raise ValueError(f"backoff_factor must be in (0, 1), got {backoff_factor!r}")
    if (
        isinstance(growth_interval, bool)
        or not isinstance(growth_interval, (int, np.integer))
        or growth_interval < 1
    ):
        raise ValueError(
            f"growth_interval must be an integer >= 1, got {growth_interval!r}")
    interval = int(growth_interval)

    def init() -> ScalerState:
        return ScalerState(scale=_f32(s1), growth_tracker=0)

    def update(state: ScalerState, found_inf: bool) -> ScalerState:
        if found_inf:  # skipped step: back off, restart the count
            return ScalerState(scale=_f32(state.scale * down), growth_tracker=0)
        clean = state.growth_tracker + 1
        if clean == interval:  # N finite steps in a row: grow (within float32)
            grown = _f32(state.scale * up)
            scale = grown if math.isfinite(grown) else state.scale
            return ScalerState(scale=scale, growth_tracker=0)
        return ScalerState(scale=state.scale, growth_tracker=clean)

    hyper = {
        "init_scale": init_scale,
        "growth_factor": growth_factor,
        "backoff_factor": backoff_factor,
        "growth_interval": growth_interval,
    }
    return LossScaler(init, update, hyper)


def _is_list(x: Any) -> bool:
    return isinstance(x, (list, tuple))


def all_finite(grads: Any) -> bool:
    """True when every entry of ``grads`` (an array or a list of arrays) is finite."""
    if _is_list(grads):
        return all(bool(np.all(np.isfinite(g))) for g in grads)
    return bool(np.all(np.isfinite(grads)))


def unscale(scaled_grads: Any, scale: float) -> tuple[Any, bool]:
    r"""Divide scaled gradients by the scale, in float32; report non-finite ones.

    Returns ``(grads, found_inf)``: each array converted to float32 (float64 stays
    float64) and multiplied by :math:`1/S` rounded to float32, and whether any
    scaled gradient was inf or NaN. As GradScaler's ``unscale_``: the check is on
    the scaled values, and :math:`1/S` is computed in float64 then rounded.
    """
    s = _positive_finite("scale", scale)
    with np.errstate(over="ignore"):  # 1/S beyond float32 is inf, as in torch
        inv = np.float32(1.0 / s)

    def one(g):
        g = np.asarray(g)
        g = g.astype(np.result_type(g.dtype, np.float32), copy=False)
        return g if inv == 1 else g * inv.astype(g.dtype)

    found_inf = not all_finite(scaled_grads)
    with np.errstate(over="ignore", invalid="ignore"):
        if _is_list(scaled_grads):
            return [one(g) for g in scaled_grads], found_inf
        return one(scaled_grads), found_inf


def scaled_step(opt, scaler: LossScaler, params, scaled_grads, opt_state, scaler_state):
    """One optimizer step from scaled gradients, skipped when any is not finite.

    Unscales the gradients (:func:`unscale`); if all are finite, steps ``opt``
    (a :mod:`descent.optim` optimizer) on the master ``params``, else leaves params
    and optimizer state unchanged. Then updates the scale. Returns
    ``(params, opt_state, scaler_state, skipped)``, like GradScaler's
    ``step(optimizer)`` followed by ``update()``.
    """
    grads, found_inf = unscale(scaled_grads, scaler_state.scale)
    if not found_inf:
        params, opt_state = opt.step(params, grads, opt_state)
    return params, opt_state, scaler.update(scaler_state, found_inf), found_inf
