"""Schedule-Free SGD and AdamW: average the iterates instead of decaying the rate."""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from ._base import (
    LearningRate,
    Optimizer,
    as_schedule,
    check_nonneg,
    check_unit_interval,
    is_list,
    per_array,
    zeros_like,
)


class ScheduleFreeState(NamedTuple):
    """The two other sequences, and the running weights of the average.

    The parameters a step returns are y, where the next gradient is taken.
    ``z``: the base sequence that takes the gradient steps. ``x``: the weighted
    average of z, the point to evaluate and deploy (schedulefree's ``eval()``
    swaps it in). ``v``: AdamW's second moment (``exp_avg_sq``), None for SGD.
    ``weight_sum`` and ``lr_max`` are numbers shared by all arrays.
    """

    t: int
    z: np.ndarray | list[np.ndarray]
    x: np.ndarray | list[np.ndarray]
    v: np.ndarray | list[np.ndarray] | None
    weight_sum: float
    lr_max: float


def _copy(params):
    if is_list(params):
        return [_copy(p) for p in params]
    return np.array(params, dtype=zeros_like(params).dtype)


def _average_weight(lr, k, state, r, weight_lr_power):
    """c_{k+1}: the weight of the new z in the average x, and the new sums."""
    lr_max = max(lr, state.lr_max)
    weight = (k + 1) ** r * lr_max**weight_lr_power
    weight_sum = state.weight_sum + weight
    c = weight / weight_sum if weight_sum > 0 else 0.0
    return c, weight_sum, lr_max


def _warmup_factor(k: int, warmup_steps: int) -> float:
    return (k + 1) / warmup_steps if k < warmup_steps else 1.0


def _check_common(warmup_steps, r, weight_lr_power):
    if isinstance(warmup_steps, bool) or not isinstance(
        warmup_steps, (int, np.integer)
    ) or warmup_steps < 0:
        raise ValueError(f"warmup_steps must be an integer >= 0, got {warmup_steps!r}")
    check_nonneg("r", r)
    check_nonneg("weight_lr_power", weight_lr_power)


def _check_beta(name, beta):
    x = check_unit_interval(name, beta)
    if x == 0:
        raise ValueError(f"{name} must be in (0, 1), got {beta}")


def _eval_params(params, state):
    return state.x


def schedule_free_sgd(
    lr: LearningRate = 1.0,
    beta: float = 0.9,
    weight_decay: float = 0.0,
    warmup_steps: int = 0,
    r: float = 0.0,
    weight_lr_power: float = 2.0,
) -> Optimizer:
    r"""Schedule-Free SGD: gradient steps on z, evaluate the running average x of z.

    Three sequences start at :math:`\theta_1`: z takes plain gradient steps, x
    is a weighted average of the z's (what the learning-rate schedule would
    otherwise achieve), and the gradient is taken at y, between the two. With
    :math:`g_t = \nabla L(y_t)` and :math:`y_1 = z_1 = x_1 = \theta_1`:

    .. math::

        \eta_t &\leftarrow \eta\, \min(1, t / T_{\mathrm{warm}}), \qquad
        w_t \leftarrow t^{r}\, (\max_{s \le t} \eta_s)^{p}, \qquad
        c_{t+1} \leftarrow w_t / \textstyle\sum_{s \le t} w_s \\
        z_{t+1} &\leftarrow z_t - \eta_t\, (g_t + \lambda_{\mathrm{wd}}\, y_t) \\
        x_{t+1} &\leftarrow (1 - c_{t+1})\, x_t + c_{t+1}\, z_{t+1} \\
        y_{t+1} &\leftarrow (1-\beta)\, z_{t+1} + \beta\, x_{t+1}

    ``step`` returns :math:`y_{t+1}`, the point of the next gradient; **evaluate
    the model at** :math:`x_{t+1}` = ``state.x`` (``evaluation_point``). With
    :math:`r = 0` and no warm-up, :math:`c_{t+1} = 1/t` and x is the plain
    average of :math:`z_2 \dots z_{t+1}`. β = 0 evaluates the gradient at z
    (SGD with Polyak averaging), β → 1 at the average itself (primal
    averaging); the default 0.9 sits between and acts like momentum. There is
    no ε.

    Parameters
    ----------
    lr : float or callable
        :math:`\eta > 0` (the reference's default 1.0), or a schedule (a
        function of the step count) multiplied by the warm-up.
    beta : float
        :math:`\beta \in (0, 1)` (the reference's ``momentum``).
    weight_decay : float
        L2 coefficient :math:`\lambda_{\mathrm{wd}} \ge 0`, at y.
    warmup_steps : int
        :math:`T_{\mathrm{warm}} \ge 0`: linear warm-up of :math:`\eta_t`.
    r : float
        :math:`r \ge 0`: polynomial weights :math:`t^r` in the average.
    weight_lr_power : float
        :math:`p \ge 0`: during warm-up, weight each z by :math:`\eta^p`.

    Returns
    -------
    Optimizer
        ``init(params)`` gives ``ScheduleFreeState(t=0, z=θ₁, x=θ₁, v=None,
        weight_sum=0, lr_max=0)``; ``opt.eval_params(params, state)`` is x.

    Notes
    -----
    ``torch.optim`` has no schedule-free optimizer (torch 2.13). The same
    iterates as ``schedulefree.SGDScheduleFreeReference(params, lr=lr,
    momentum=beta, weight_decay=weight_decay, warmup_steps=warmup_steps, r=r,
    weight_lr_power=weight_lr_power)`` (schedulefree 1.4.1), whose ``eval()``
    copies x into the parameters and ``train()`` copies y back. Its memory-lean
    ``SGDScheduleFree`` stores only z next to the parameters and recovers
    :math:`x = (y - (1-\beta) z)/\beta`.

    Examples
    --------
    On f(θ) = θ²/2 from θ = 1 with η = 0.5 and β = 0.5:

    >>> import numpy as np
    >>> opt = schedule_free_sgd(lr=0.5, beta=0.5)
    >>> y = np.array([1.0])
    >>> state = opt.init(y)
    >>> y, state = opt.step(y, y, state)   # the gradient of θ²/2 is θ
    >>> print(state.z, state.x, y)         # z = 1 - 0.5, x = z, y = z
    [0.5] [0.5] [0.5]
    >>> y, state = opt.step(y, y, state)
    >>> print(state.z, state.x, y)         # z = 0.25, x = (0.5 + 0.25)/2
    [0.25] [0.375] [0.3125]

    References
    ----------
    Defazio, A., Yang, X. A., Mehta, H., Mishchenko, K., Khaled, A., & Cutkosky,
    A. (2024). The road less scheduled. *NeurIPS*. arXiv:2405.15682.
    """
    lr_at = as_schedule(lr)
    _check_beta("beta", beta)
    check_nonneg("weight_decay", weight_decay)
    _check_common(warmup_steps, r, weight_lr_power)

    def init(params):
        return ScheduleFreeState(0, _copy(params), _copy(params), None, 0.0, 0.0)

    def step(params, grads, state):
        k = state.t
        lr = lr_at(k) * _warmup_factor(k, warmup_steps)
        c, weight_sum, lr_max = _average_weight(lr, k, state, r, weight_lr_power)
        if weight_decay:  # L2, at y
            grads = grads + weight_decay * params
        z = state.z - lr * grads  # the gradient step, on z
        x = (1 - c) * state.x + c * z  # the average: evaluate here
        y = beta * x + (1 - beta) * z  # the next gradient is taken here
        return y, ScheduleFreeState(k + 1, z, x, None, weight_sum, lr_max)

    hyper = {
        "lr": lr,
        "beta": beta,
        "weight_decay": weight_decay,
        "warmup_steps": warmup_steps,
        "r": r,
        "weight_lr_power": weight_lr_power,
    }
    return Optimizer("schedule_free_sgd", init, per_array(step), hyper, _eval_params)


def schedule_free_adamw(
    lr: LearningRate = 0.0025,
    beta1: float = 0.9,
    beta2: float = 0.999,
    eps: float = 1e-8,
    weight_decay: float = 0.0,
    warmup_steps: int = 0,
    r: float = 0.0,
    weight_lr_power: float = 2.0,
) -> Optimizer:
    r"""Schedule-Free AdamW: z steps divided by Adam's RMS; evaluate at the average x.

    As :func:`schedule_free_sgd`, with the step on z divided by the
    bias-corrected RMS of the gradient and the weight decay decoupled (applied
    at y). There is no first moment: :math:`\beta_1` is the interpolation of
    y, which plays its part. With :math:`g_t = \nabla L(y_t)` and
    :math:`v_0 = 0`, :math:`y_1 = z_1 = x_1 = \theta_1`:

    .. math::

        v_t &\leftarrow \beta_2 v_{t-1} + (1-\beta_2)\, g_t^2 \\
        z_{t+1} &\leftarrow z_t - \eta_t \lambda_{\mathrm{wd}}\, y_t
            - \eta_t\, \frac{g_t}{\sqrt{v_t/(1-\beta_2^t)} + \varepsilon} \\
        x_{t+1} &\leftarrow (1 - c_{t+1})\, x_t + c_{t+1}\, z_{t+1} \\
        y_{t+1} &\leftarrow (1-\beta_1)\, z_{t+1} + \beta_1\, x_{t+1}

    with :math:`\eta_t` (warm-up) and :math:`c_{t+1}` as in
    :func:`schedule_free_sgd`. ε sits outside the square root, after the bias
    correction, as in Adam. ``step`` returns :math:`y_{t+1}`; evaluate at
    :math:`x_{t+1}` = ``state.x``.

    Parameters
    ----------
    lr : float or callable
        :math:`\eta > 0`, or a schedule (a function of the step count)
        multiplied by the warm-up.
    beta1 : float
        :math:`\beta_1 \in (0, 1)`: the interpolation of y.
    beta2 : float
        :math:`\beta_2 \in [0, 1)`: decay rate of the average of :math:`g^2`.
    eps : float
        :math:`\varepsilon \ge 0`.
    weight_decay : float
        Decoupled decay :math:`\lambda_{\mathrm{wd}} \ge 0`, at y.
    warmup_steps, r, weight_lr_power
        As in :func:`schedule_free_sgd`.

    Returns
    -------
    Optimizer
        ``init(params)`` gives ``ScheduleFreeState(t=0, z=θ₁, x=θ₁, v=0,
        weight_sum=0, lr_max=0)``; ``opt.eval_params(params, state)`` is x.

    Notes
    -----
    ``torch.optim`` has no schedule-free optimizer (torch 2.13). The same
    iterates as ``schedulefree.AdamWScheduleFreeReference(params, lr=lr,
    betas=(beta1, beta2), eps=eps, weight_decay=weight_decay,
    warmup_steps=warmup_steps, r=r, weight_lr_power=weight_lr_power)``
    (schedulefree 1.4.1, ``decay_at_z=False``). Its memory-lean
    ``AdamWScheduleFree`` keeps z and v next to the parameters and recovers x.

    Examples
    --------
    The first step moves z by η against the sign of the gradient, as Adam's:

    >>> import numpy as np
    >>> opt = schedule_free_adamw(lr=0.1, beta1=0.9)
    >>> y = np.array([1.0, 1.0])
    >>> state = opt.init(y)
    >>> y, state = opt.step(y, np.array([3.0, -0.2]), state)
    >>> print(state.z.round(6), state.x.round(6), y.round(6))
    [0.9 1.1] [0.9 1.1] [0.9 1.1]

    References
    ----------
    Defazio, A., Yang, X. A., Mehta, H., Mishchenko, K., Khaled, A., & Cutkosky,
    A. (2024). The road less scheduled. *NeurIPS*. arXiv:2405.15682.
    """
    lr_at = as_schedule(lr)
    _check_beta("beta1", beta1)
    check_unit_interval("beta2", beta2)
    check_nonneg("eps", eps)
    check_nonneg("weight_decay", weight_decay)
    _check_common(warmup_steps, r, weight_lr_power)

    def init(params):
        z, x = _copy(params), _copy(params)
        return ScheduleFreeState(0, z, x, zeros_like(params), 0.0, 0.0)

    def step(params, grads, state):
        k = state.t
        lr = lr_at(k) * _warmup_factor(k, warmup_steps)
        c, weight_sum, lr_max = _average_weight(lr, k, state, r, weight_lr_power)
        v = beta2 * state.v + (1 - beta2) * grads**2
        denom = np.sqrt(v / (1 - beta2 ** (k + 1))) + eps
        z = state.z - lr * weight_decay * params - lr * grads / denom
        x = (1 - c) * state.x + c * z  # the average: evaluate here
        y = beta1 * x + (1 - beta1) * z  # the next gradient is taken here
        return y, ScheduleFreeState(k + 1, z, x, v, weight_sum, lr_max)

    hyper = {
        "lr": lr,
        "beta1": beta1,
        "beta2": beta2,
        "eps": eps,
        "weight_decay": weight_decay,
        "warmup_steps": warmup_steps,
        "r": r,
        "weight_lr_power": weight_lr_power,
    }
    return Optimizer(
        "schedule_free_adamw", init, per_array(step), hyper, _eval_params
    )
