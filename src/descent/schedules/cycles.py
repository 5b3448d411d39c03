r"""Schedules that go up as well as down: restarts, 1cycle, warmup–stable–decay.

``schedule(s)`` is the rate :math:`\eta(s)` after s steps (the rate of step
s + 1), as everywhere in :mod:`descent.schedules`.
"""

from __future__ import annotations

import math

from ..optim._base import check_choice
from ._base import (
    Schedule,
    check_eta_min,
    check_int,
    check_positive,
    check_range,
)


def cosine_annealing_warm_restarts(
    lr: float, T_0: int, T_mult: int = 1, eta_min: float = 0.0
) -> Schedule:
    r"""SGDR: cosine annealing that restarts at η, each period T_mult times longer.

    The periods are :math:`T_0, T_0 m, T_0 m^2, \dots` (:math:`m` = ``T_mult``).
    With :math:`T_i` the current period and :math:`s_i` the steps since the
    last restart,

    .. math::

        \eta(s) = \eta_{\min} + \tfrac12\,(\eta - \eta_{\min})
        \Bigl(1 + \cos\frac{\pi s_i}{T_i}\Bigr).

    Each restart jumps back to η ("warm": the parameters are kept).

    Parameters
    ----------
    lr : float
        The rate :math:`\eta > 0` at every restart.
    T_0 : int
        The first period :math:`T_0 \ge 1`, in steps.
    T_mult : int
        The growth factor :math:`m \ge 1` of the periods.
    eta_min : float
        The lowest rate :math:`\eta_{\min} \ge 0`.

    Notes
    -----
    ``torch.optim.lr_scheduler.CosineAnnealingWarmRestarts(opt, T_0, T_mult,
    eta_min)``, stepped once per optimizer step.

    Examples
    --------
    >>> s = cosine_annealing_warm_restarts(1.0, T_0=2, T_mult=2)
    >>> [round(s(t), 3) for t in range(7)]
    [1.0, 0.5, 1.0, 0.854, 0.5, 0.146, 1.0]

    References
    ----------
    Loshchilov, I., & Hutter, F. (2017). SGDR: Stochastic gradient descent with
    warm restarts. *ICLR*. arXiv:1608.03983.
    """
    lr = check_positive("lr", lr)
    T_0 = check_int("T_0", T_0, 1)
    T_mult = check_int("T_mult", T_mult, 1)
    eta_min = check_eta_min(eta_min)

    def lr_at(t):
        T_i, T_cur = T_0, t
        if T_mult == 1:
            T_cur = t % T_0
        else:
            while T_cur >= T_i:
                T_cur -= T_i
                T_i *= T_mult
        return eta_min + (lr - eta_min) * (1 + math.cos(math.pi * T_cur / T_i)) / 2

    hyper = {"lr": lr, "T_0": T_0, "T_mult": T_mult, "eta_min": eta_min}
    return Schedule("cosine_annealing_warm_restarts", lr_at, hyper)


def one_cycle_lr(
    max_lr: float,
    total_steps: int | None = None,
    epochs: int | None = None,
    steps_per_epoch: int | None = None,
    pct_start: float = 0.3,
    anneal_strategy: str = "cos",
    div_factor: float = 25.0,
    final_div_factor: float = 1e4,
    three_phase: bool = False,
) -> Schedule:
    r"""1cycle: up from η_max/d to η_max, then down far below the start.

    With :math:`N` = ``total_steps``, :math:`p` = ``pct_start``,
    :math:`\eta_0 = \eta_{\max}/d` (``div_factor``) and
    :math:`\eta_{\text{end}} = \eta_0 / d_f` (``final_div_factor``), the rate is
    annealed (cosine or linear) between the corners

    .. math::

        (0, \eta_0) \to (pN - 1, \eta_{\max}) \to (N - 1, \eta_{\text{end}})

    or, with ``three_phase``, :math:`(0, \eta_0) \to (pN - 1, \eta_{\max}) \to
    (2pN - 2, \eta_0) \to (N - 1, \eta_{\text{end}})` (Smith & Topin's
    original shape). A cosine piece from :math:`a` to :math:`b` over a fraction
    :math:`x \in [0, 1]` is :math:`b + \tfrac12 (a - b)(1 + \cos \pi x)`, a
    linear one :math:`a + (b - a)\,x`. Only the rate is scheduled: torch's
    momentum cycling (``cycle_momentum``) is out of scope here.

    The schedule is made for N steps (s = 0 … N − 1). Like torch's,
    ``schedule(N)`` extrapolates the last piece past its end (for ``"linear"``
    below zero) and ``schedule(s)`` for :math:`s > N` raises ``ValueError``.

    Parameters
    ----------
    max_lr : float
        The peak rate :math:`\eta_{\max} > 0` (torch ignores the optimizer's own
        ``lr``; so there is no ``lr`` here).
    total_steps : int, optional
        :math:`N \ge 1`; or give ``epochs`` and ``steps_per_epoch``.
    epochs, steps_per_epoch : int, optional
        :math:`N` = ``epochs * steps_per_epoch`` when ``total_steps`` is None.
    pct_start : float
        :math:`p \in (0, 1)`, the share of the steps spent going up; every phase
        must last at least one step (:math:`pN > 1`).
    anneal_strategy : {"cos", "linear"}
        The shape of each piece.
    div_factor : float
        :math:`d > 0`: the start is :math:`\eta_{\max}/d`.
    final_div_factor : float
        :math:`d_f > 0`: the end is :math:`\eta_{\max}/(d\, d_f)`.
    three_phase : bool
        Go back down to :math:`\eta_0` symmetrically, then anneal to the end.

    Notes
    -----
    ``torch.optim.lr_scheduler.OneCycleLR(opt, max_lr, total_steps, epochs,
    steps_per_epoch, pct_start, anneal_strategy, cycle_momentum=False,
    div_factor=div_factor, final_div_factor=final_div_factor,
    three_phase=three_phase)``.

    Examples
    --------
    >>> s = one_cycle_lr(1.0, total_steps=10, pct_start=0.3, div_factor=10.0,
    ...                  final_div_factor=10.0, anneal_strategy="linear")
    >>> [round(s(t), 4) for t in range(10)]
    [0.1, 0.55, 1.0, 0.8586, 0.7171, 0.5757, 0.4343, 0.2929, 0.1514, 0.01]

    References
    ----------
    Smith, L. N., & Topin, N. (2019). Super-convergence: Very fast training of
    neural networks using large learning rates. *Proc. SPIE 11006*.
    arXiv:1708.07120.
    """
    max_lr = check_positive("max_lr", max_lr)
    if total_steps is not None:
        total = check_int("total_steps", total_steps, 1)
    elif epochs is not None and steps_per_epoch is not None:
        total = (check_int("epochs", epochs, 1)
                 * check_int("steps_per_epoch", steps_per_epoch, 1))
    else:
        raise ValueError("total_steps must be given (or both epochs and "
                         "steps_per_epoch), got None")
    pct_start = check_range("pct_start", pct_start, 0.0, 1.0, low_open=True)
    if pct_start == 1.0:
        raise ValueError(f"pct_start must be in (0, 1), got {pct_start}")
    check_choice("anneal_strategy", anneal_strategy, ("cos", "linear"))
    div_factor = check_positive("div_factor", div_factor)
    final_div_factor = check_positive("final_div_factor", final_div_factor)
    initial = max_lr / div_factor
    final = initial / final_div_factor
    up = float(pct_start * total) - 1
    if three_phase:
        phases = [(up, initial, max_lr), (float(2 * pct_start * total) - 2, max_lr,
                                          initial), (total - 1, initial, final)]
    else:
        phases = [(up, initial, max_lr), (total - 1, max_lr, final)]
    ends = [0.0] + [end for end, _, _ in phases]
    if any(b <= a for a, b in zip(ends, ends[1:], strict=False)):
        raise ValueError(
            f"pct_start must leave every phase at least one step (pct_start * "
            f"total_steps > 1{', and pct_start <= 0.5' if three_phase else ''}), "
            f"got pct_start={pct_start} with total_steps={total}")
    cosine = anneal_strategy == "cos"

    def lr_at(t):
        if t > total:
            raise ValueError(f"t must be <= total_steps = {total} for one_cycle_lr, "
                             f"got {t}")
        start = 0.0
        for i, (end, a, b) in enumerate(phases):
            if t <= end or i == len(phases) - 1:
                x = (t - start) / (end - start)
                if cosine:
                    return b + (a - b) / 2.0 * (math.cos(math.pi * x) + 1)
                return (b - a) * x + a
            start = end

    hyper = {"max_lr": max_lr, "total_steps": total, "pct_start": pct_start,
             "anneal_strategy": anneal_strategy, "div_factor": div_factor,
             "final_div_factor": final_div_factor, "three_phase": three_phase}
    return Schedule("one_cycle_lr", lr_at, hyper)


WSD_DECAYS = ("linear", "cosine", "1-sqrt")


def warmup_stable_decay(
    lr: float,
    total_steps: int,
    warmup_steps: int,
    decay_steps: int,
    min_lr: float = 0.0,
    decay: str = "linear",
) -> Schedule:
    r"""Warmup–stable–decay (WSD): ramp up, hold η for most of the run, cool down.

    With :math:`N` = ``total_steps``, :math:`W` = ``warmup_steps`` and
    :math:`D` = ``decay_steps``:

    .. math::

        \eta(s) = \begin{cases}
        \eta\, (s + 1)/W & s < W \quad\text{(warm-up: step } s+1
            \text{ uses } \eta\,(s+1)/W) \\
        \eta & W \le s < N - D \\
        \eta_{\min} + (\eta - \eta_{\min})\, d\bigl(\min(s - N + D, D)/D\bigr)
            & s \ge N - D
        \end{cases}

    with the cool-down shape :math:`d(x) = 1 - x` (``"linear"``),
    :math:`\tfrac12(1 + \cos\pi x)` (``"cosine"``) or :math:`1 - \sqrt x`
    (``"1-sqrt"``). The last step of the run uses
    :math:`\eta_{\min} + (\eta - \eta_{\min})\,d((D-1)/D)`; from :math:`s = N`
    on the rate is :math:`\eta_{\min}`.

    Where it comes from: Hu et al. (2024) named the schedule and trained the
    MiniCPM language models with it (an exponential-type decay over about 10 %
    of the tokens); Hägele et al. (2024) found that a constant rate with a short
    cool-down matches a cosine schedule of the same length, and that a
    :math:`1 - \sqrt x` cool-down beats a linear one. Its appeal: the
    stable phase does not depend on N, so a run can be extended, and a
    cool-down branched off any checkpoint.

    Parameters
    ----------
    lr : float
        The peak rate :math:`\eta > 0`.
    total_steps : int
        :math:`N \ge 1`, the length of the run.
    warmup_steps : int
        :math:`W \ge 0` (0: no warm-up).
    decay_steps : int
        :math:`D \ge 1`, with :math:`W + D \le N`.
    min_lr : float
        :math:`\eta_{\min} \in [0, \eta]`, the end of the cool-down.
    decay : {"linear", "cosine", "1-sqrt"}
        The shape :math:`d`.

    Notes
    -----
    Not a torch class. For ``"linear"`` and ``"cosine"`` it equals
    ``SequentialLR(opt, [LinearLR(opt, 1/W, 1.0, W - 1), ConstantLR(opt, 1.0),
    D_sched], milestones=[W, N - D])`` for the first N rates, with ``D_sched``
    ``LinearLR(opt, 1.0, min_lr/lr, D)`` or ``CosineAnnealingLR(opt, D,
    min_lr)``; ``"1-sqrt"`` is a ``LambdaLR``.

    Examples
    --------
    >>> s = warmup_stable_decay(1.0, total_steps=8, warmup_steps=2, decay_steps=4)
    >>> [s(t) for t in range(9)]
    [0.5, 1.0, 1.0, 1.0, 1.0, 0.75, 0.5, 0.25, 0.0]

    References
    ----------
    Hu, S., Tu, Y., Han, X., et al. (2024). MiniCPM: Unveiling the potential of
    small language models with scalable training strategies. arXiv:2404.06395.

    Hägele, A., Bakouch, E., Kosson, A., Ben Allal, L., Von Werra, L., & Jaggi,
    M. (2024). Scaling laws and compute-optimal training beyond fixed training
    durations. *NeurIPS*. arXiv:2405.18392.
    """
    lr = check_positive("lr", lr)
    total = check_int("total_steps", total_steps, 1)
    warm = check_int("warmup_steps", warmup_steps, 0)
    cool = check_int("decay_steps", decay_steps, 1)
    if warm + cool > total:
        raise ValueError(
            f"warmup_steps + decay_steps must be <= total_steps = {total}, got "
            f"{warm} + {cool}")
    min_lr = check_range("min_lr", min_lr, 0.0, lr)
    check_choice("decay", decay, WSD_DECAYS)
    start = total - cool
    shape = {"linear": lambda x: 1 - x,
             "cosine": lambda x: (1 + math.cos(math.pi * x)) / 2,
             "1-sqrt": lambda x: 1 - math.sqrt(x)}[decay]

    def lr_at(t):
        if t < warm:
            return lr * (t + 1) / warm
        if t < start:
            return lr
        return min_lr + (lr - min_lr) * shape(min(t - start, cool) / cool)

    hyper = {"lr": lr, "total_steps": total, "warmup_steps": warm,
             "decay_steps": cool, "min_lr": min_lr, "decay": decay}
    return Schedule("warmup_stable_decay", lr_at, hyper)
