"""Drive an optimizer over an objective and record what happened, step by step.

:func:`run` takes an optimizer from :mod:`descent.optim` and an objective (any
object with ``value(θ)`` and ``grad(θ)``, such as a
:class:`~descent.landscapes.Landscape`) and returns a :class:`Trajectory`: plain
arrays of the iterates, losses, gradient norms, step lengths and the angle between
each update and the direction to the nearest minimum. :func:`race` runs several
optimizers from the same start; :func:`summary` and :func:`summarise` turn results
into short, rounded lines of text to print next to a figure.

A run stops at divergence: when the parameters leave the box |θ|∞ ≤ ``bound`` or
the loss or gradient stops being finite. The record then ends at the last good
iterate and says at which step and why, so no array ever holds NaN or ±inf.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import numpy as np

__all__ = [
    "RangeTest",
    "Trajectory",
    "basins",
    "lr_range_test",
    "race",
    "run",
    "settles_at",
    "summarise",
    "summary",
]


@dataclass(frozen=True, eq=False)
class Trajectory:
    """The record of one run: every iterate and what was measured at each of them.

    The arrays are indexed by k, the number of steps taken: ``params[k]`` is the
    iterate after k steps, which the book writes θ_{k+1} (it starts at θ₁, and step
    t uses g_t = ∇L(θ_t)). Below, θₖ means ``params[k]``. With n recorded updates
    (n < ``steps`` only after a divergence):

    Attributes:
        name: the optimizer's name (or the key given to :func:`race`).
        params: iterates ``params[0]`` (the start) … ``params[n]``, shape
            ``(n + 1, d)``; ``d = 2`` on a landscape.
        loss: f(θₖ), shape ``(n + 1,)``.
        grad_norm: ‖∇f(θₖ)‖, shape ``(n + 1,)``.
        step_length: ‖θₖ₊₁ − θₖ‖, shape ``(n,)``.
        angle: in degrees, the angle between the update Δθₖ = θₖ₊₁ − θₖ and the
            direction from θₖ to the known minimum nearest to θₖ, shape ``(n,)``:
            0° heads straight at it, 90° goes sideways, 180° goes away. It is 0
            when θₖ already is that minimum or when the update is zero. ``None``
            when the objective lists no minima.
        distance: ‖θₖ − nearest known minimum‖, shape ``(n + 1,)``, or ``None``.
        diverged_at: the step k whose result θₖ was rejected (the arrays stop at
            θₖ₋₁), or ``None`` if the run did not diverge.
        reason: why it was rejected, e.g. ``"non-finite loss"``, or ``None``.
        min_value: f*, the least value of f over the known minima, or ``None``.
    """

    name: str
    params: np.ndarray
    loss: np.ndarray
    grad_norm: np.ndarray
    step_length: np.ndarray
    angle: np.ndarray | None
    distance: np.ndarray | None
    diverged_at: int | None
    reason: str | None
    min_value: float | None

    @property
    def steps(self) -> int:
        """The number of recorded updates n."""
        return len(self.loss) - 1

    @property
    def final_params(self) -> np.ndarray:
        """The last recorded iterate θₙ."""
        return self.params[-1]

    @property
    def final_loss(self) -> float:
        """f(θₙ), the loss at the last recorded iterate."""
        return float(self.loss[-1])

    @property
    def diverged(self) -> bool:
        """True if the run stopped at divergence."""
        return self.diverged_at is not None

    @property
    def gap(self) -> np.ndarray:
        """f(θₖ) − f*, the excess loss (the loss itself when f* is unknown)."""
        return self.loss - (0.0 if self.min_value is None else self.min_value)

    def steps_to(self, tol: float) -> int | None:
        """Steps to ``tol``: the first k after which f(θₖ) − f* < ``tol`` to the end.

        The book's one definition of "steps to tol": the loss is below ``tol``
        at iterate k and at every later iterate of the run (not merely the first
        time it dips below, which a run that oscillates may undo). ``None`` when
        the last recorded loss is not below ``tol`` or the run diverged (it did
        not stay anywhere). When the objective lists no minima, f* is taken as 0
        (a loss that cannot go below zero). See :func:`settles_at`.
        """
        _check_tol(tol)
        return None if self.diverged else settles_at(self.gap, tol)

    def converged(self, tol: float = 1e-6) -> bool:
        """True if the run did not diverge and ends with f(θₙ) − f* < ``tol``."""
        _check_tol(tol)
        return not self.diverged and bool(self.gap[-1] < tol)


def settles_at(values, tol: float) -> int | None:
    """The first index k with ``values[j] < tol`` for every j ≥ k, else ``None``.

    The rule behind "steps to tol" (:meth:`Trajectory.steps_to`), for any
    series: a loss gap, a distance, the size of one coordinate. A series that
    dips below ``tol`` and climbs back counts from its last crossing; one whose
    last value is not below ``tol`` (NaN included) never settles.

    >>> settles_at([5.0, 0.5, 2.0, 0.5, 0.1], tol=1.0)
    3
    """
    _check_tol(tol)
    values = np.asarray(values, dtype=float)
    if values.ndim != 1:
        raise ValueError(f"values must be a 1-D series, got shape {values.shape}")
    above = np.flatnonzero(~(values < tol))  # NaN counts as not below
    if above.size == 0:
        return 0 if values.size else None
    last = int(above[-1])
    return None if last == values.size - 1 else last + 1


def run(
    opt,
    objective,
    start=None,
    steps: int = 300,
    bound: float = 1e6,
    name: str | None = None,
) -> Trajectory:
    """Run ``opt`` on ``objective`` for ``steps`` updates and record each iterate.

    Args:
        opt: an optimizer from :mod:`descent.optim` (``name``, ``init``, ``step``).
        objective: any object with ``value(θ) -> float`` and ``grad(θ) -> array``
            for a 1-D ``θ``, both pure (``grad`` returns a new array each call);
            optional ``minima`` (shape ``(k, d)``), ``min_value`` and ``start``
            are used when present, as on a :class:`~descent.landscapes.Landscape`.
        start: the starting point (the book's θ₁), a 1-D array; defaults to
            ``objective.start``.
        steps: number of updates, an integer ≥ 0.
        bound: the run diverges when |θ|∞ > ``bound`` (> 0; ``math.inf`` allowed).
        name: the trajectory's name; defaults to ``opt.name``.

    Returns:
        A :class:`Trajectory`. Each step k = 1 … ``steps`` computes
        θₖ = step(θₖ₋₁, ∇f(θₖ₋₁)) and then, in this order, rejects θₖ if it is not
        finite or leaves the bound, if f(θₖ) is not finite, or if ∇f(θₖ) is not
        finite; the first rejection ends the run at θₖ₋₁. A start with a
        non-finite loss or gradient raises ``ValueError``.
    """
    if start is None:
        start = getattr(objective, "start", None)
        if start is None:
            raise ValueError("start is required: the objective has no default start")
    theta = np.array(start, dtype=float)
    if theta.ndim != 1 or theta.size == 0:
        raise ValueError(
            f"start must be a non-empty 1-D array, got shape {theta.shape}"
        )
    if isinstance(steps, bool) or not isinstance(steps, (int, np.integer)) or steps < 0:
        raise ValueError(f"steps must be an integer >= 0, got {steps!r}")
    if not (isinstance(bound, (int, float, np.floating)) and bound > 0):
        raise ValueError(f"bound must be a number > 0 (inf allowed), got {bound!r}")
    if not np.all(np.abs(theta) <= bound):
        raise ValueError(f"start must be finite and within |θ|∞ <= {bound:g}")

    value, grad, step = objective.value, objective.grad, opt.step
    bound2 = bound * bound
    reason = None
    # Overflow is how divergence shows itself; it is detected below, not warned.
    with np.errstate(all="ignore"):
        f, g = _evaluate(value, grad, theta)
        if not (math.isfinite(f) and np.isfinite(g).all()):
            raise ValueError("start must have a finite loss and gradient")
        state = opt.init(theta)
        # Appending to lists is the cheapest way to keep each iterate; it relies on
        # step and grad returning new arrays, as pure functions do.
        thetas, losses, grads = [theta], [f], [g]
        for _ in range(steps):
            theta, state = step(theta, g, state)
            # ‖θ‖₂ ≤ bound implies |θ|∞ ≤ bound: one cheap test covers most steps.
            squared = float(theta.dot(theta))
            if not squared <= bound2 or squared == math.inf:
                largest = float(np.max(np.abs(theta)))
                if not math.isfinite(largest):
                    reason = "non-finite parameters"
                    break
                if largest > bound:
                    reason = f"left the bound |θ|∞ > {bound:g}"
                    break
            f, g = _evaluate(value, grad, theta)
            if not math.isfinite(f):
                reason = "non-finite loss"
                break
            thetas.append(theta)
            losses.append(f)
            grads.append(g)

        # A non-finite gradient is found here rather than in the loop, which is
        # cheaper per step and gives the same record: the run is cut at the first
        # such iterate, and nothing computed after it is kept.
        grads = np.array(grads)
        finite = np.isfinite(grads).all(axis=1)
        if not finite.all():
            first = int(np.argmin(finite))
            thetas, losses, grads = thetas[:first], losses[:first], grads[:first]
            reason = "non-finite gradient"

    k = len(losses) - 1
    params = np.array(thetas)
    loss = np.array(losses)
    grad_norm = _norms(grads)
    update = np.diff(params, axis=0)
    minima = getattr(objective, "minima", None)
    if minima is not None and len(minima) == 0:
        minima = None
    angle = distance = None
    if minima is not None:
        minima = np.asarray(minima, dtype=float).reshape(-1, theta.size)
        offsets = minima[None, :, :] - params[:, None, :]
        nearest = np.argmin(np.einsum("nkd,nkd->nk", offsets, offsets), axis=1)
        to_min = offsets[np.arange(len(params)), nearest]
        distance = _norms(to_min)
        angle = _angles(update, to_min[:-1])
    step_length = _norms(update)
    for a in (params, loss, grad_norm, step_length, angle, distance):
        if a is not None:
            a.setflags(write=False)
    return Trajectory(
        name=opt.name if name is None else name,
        params=params,
        loss=loss,
        grad_norm=grad_norm,
        step_length=step_length,
        angle=angle,
        distance=distance,
        diverged_at=None if reason is None else k + 1,
        reason=reason,
        min_value=_min_value(objective, minima),
    )


def race(opts, objective, start=None, steps: int = 300, bound: float = 1e6):
    """Run several optimizers from the same start; return ``{name: Trajectory}``.

    ``opts`` is a dict ``{name: optimizer}`` (the keys name the trajectories, so
    two settings of one optimizer can race) or a list of optimizers with distinct
    names. ``start`` defaults to ``objective.start``; the other arguments are
    those of :func:`run`.
    """
    if isinstance(opts, Mapping):
        named = list(opts.items())
    else:
        named = [(opt.name, opt) for opt in opts]
        names = [n for n, _ in named]
        for n in names:
            if names.count(n) > 1:
                raise ValueError(
                    f"opts holds two optimizers named {n!r}; pass a dict to name them"
                )
    if start is None:
        start = getattr(objective, "start", None)
    return {
        n: run(opt, objective, start=start, steps=steps, bound=bound, name=n)
        for n, opt in named
    }


def summary(traj: Trajectory, tol: float | None = None, width: int = 12) -> str:
    """One line of rounded numbers about a run, the same on every execution.

    Example: ``adam        steps=300  final loss=1.234e-05  dist to min=0.0031
    diverged: no``. Losses have 4 significant digits, distances 4 significant
    digits; with ``tol``, ``steps to tol`` is added: the first step after which
    the loss stays below ``tol`` to the end of the run (:meth:`Trajectory.steps_to`),
    ``never`` if it does not.
    """
    parts = [
        f"{traj.name:<{width}}",
        f"steps={traj.steps:<4d}",
        f"final loss={_round(traj.final_loss, '.3e')}",
    ]
    if traj.distance is not None:
        parts.append(f"dist to min={_round(float(traj.distance[-1]), '.4g')}")
    if tol is not None:
        k = traj.steps_to(tol)
        parts.append(f"steps to {tol:g}: {'never' if k is None else k}")
    if traj.diverged:
        parts.append(f"diverged: at step {traj.diverged_at} ({traj.reason})")
    else:
        parts.append("diverged: no")
    return "  ".join(parts)


def summarise(trajs, tol: float | None = None) -> str:
    """:func:`summary` lines for several runs (a dict from :func:`race`, or a list).

    Names are padded to a common width so the columns line up.
    """
    if isinstance(trajs, Mapping):
        trajs = trajs.values()
    trajs = list(trajs) if isinstance(trajs, Iterable) else [trajs]
    width = max((len(t.name) for t in trajs), default=0) + 2
    return "\n".join(summary(t, tol=tol, width=width) for t in trajs)


def basins(opt, objective, starts, steps: int = 1000, tol: float = 1e-3) -> np.ndarray:
    """Which known minimum ``opt`` reaches from each of many starts, all at once.

    Runs ``opt`` for ``steps`` updates from every point of ``starts`` (shape
    ``(..., d)``, e.g. a grid of starting points) together, as one array: the
    optimizers of :mod:`descent.optim` act element by element, so this is the
    same as one :func:`run` per start (except ``clip_by_global_norm``, whose norm
    would mix the starts; it is refused). ``objective.grad`` must accept the
    whole stack of points, as a :class:`~descent.landscapes.Landscape` does.

    Returns an integer array of shape ``starts.shape[:-1]``: the index into
    ``objective.minima`` of the minimum within ``tol`` (Euclidean distance) of the
    final iterate, or ``-1`` when no minimum is that close (still moving, stopped
    elsewhere, or diverged).
    """
    if "max_norm" in getattr(opt, "hyper", {}):
        raise ValueError("opt must act element by element; clip_by_global_norm "
                         "mixes the starts through its global norm")
    theta = np.array(starts, dtype=float)
    if theta.ndim < 2 or theta.shape[-1] < 1:
        raise ValueError(
            f"starts must have shape (..., d) with at least one start, got "
            f"{theta.shape}")
    if isinstance(steps, bool) or not isinstance(steps, (int, np.integer)) or steps < 0:
        raise ValueError(f"steps must be an integer >= 0, got {steps!r}")
    _check_tol(tol)
    minima = getattr(objective, "minima", None)
    if minima is None or len(minima) == 0:
        raise ValueError("objective must list its minima (objective.minima)")
    minima = np.asarray(minima, dtype=float).reshape(-1, theta.shape[-1])
    with np.errstate(all="ignore"):  # diverging starts overflow; they end as -1
        state = opt.init(theta)
        for _ in range(steps):
            theta, state = opt.step(theta, objective.grad(theta), state)
        offsets = theta[..., None, :] - minima
        distance = np.sqrt(np.sum(offsets * offsets, axis=-1))
    nearest = np.argmin(np.where(np.isfinite(distance), distance, np.inf), axis=-1)
    reached = np.take_along_axis(distance, nearest[..., None], axis=-1)[..., 0] < tol
    return np.where(reached, nearest, -1)

@dataclass(frozen=True, eq=False)
class RangeTest:
    """The record of a learning-rate range test (:func:`lr_range_test`).

    Attributes:
        lrs: the rate of each step k = 1 … n, growing geometrically.
        loss: the loss after each step, f(θ_{k+1}).
        smooth: its bias-corrected exponential moving average, the curve to read.
        minimum: the rate of the step with the least smoothed loss.
        steepest: the rate where the smoothed loss falls fastest per decade of
            rate, at or before ``minimum``.
        stopped_at: the step after which the run was cut (the smoothed loss rose
            above ``stop`` times its best, or the run diverged), or ``None``.
    """

    lrs: np.ndarray
    loss: np.ndarray
    smooth: np.ndarray
    minimum: float
    steepest: float
    stopped_at: int | None

    @property
    def suggestion(self) -> float:
        """A peak rate to start from: one tenth of the rate at the minimum."""
        return self.minimum / 10


def lr_range_test(
    factory,
    objective,
    lr_min: float,
    lr_max: float,
    steps: int = 200,
    start=None,
    beta: float = 0.9,
    stop: float = 4.0,
) -> RangeTest:
    """Run one short training whose rate grows from ``lr_min`` to ``lr_max``.

    Smith's learning-rate range test: the loss hardly moves while the rate is
    too small, falls once it is large enough, and blows up when it is too large.
    The rate of step k is ``lr_min · γ^(k-1)`` with γ chosen so that the last
    step uses ``lr_max`` (``schedules.exponential_lr``, equal time per decade;
    Smith's paper grows it linearly). The run is cut when the smoothed loss
    exceeds ``stop`` times its best so far, or when it diverges.

    Args:
        factory: the optimizer's factory, called with the rate schedule as ``lr``
            (``optim.sgd``, ``lambda lr: optim.momentum(lr, 0.9)``…).
        objective: as for :func:`run` (a minibatch objective makes it realistic).
        lr_min, lr_max: the first and last rates, 0 < lr_min < lr_max.
        steps: the number of steps (>= 3).
        start: θ₀ (default ``objective.start``).
        beta: the smoothing of the loss, in [0, 1).
        stop: the rise over the best smoothed loss that ends the test (> 1).

    Returns:
        A :class:`RangeTest`.
    """
    from .schedules import exponential_lr

    if not 0 < lr_min < lr_max < math.inf:
        raise ValueError(f"lr_min and lr_max must satisfy 0 < lr_min < lr_max, got "
                         f"{lr_min!r} and {lr_max!r}")
    if isinstance(steps, bool) or not isinstance(steps, (int, np.integer)) or steps < 3:
        raise ValueError(f"steps must be an integer >= 3, got {steps!r}")
    if not 0 <= beta < 1:
        raise ValueError(f"beta must be in [0, 1), got {beta!r}")
    if not stop > 1:
        raise ValueError(f"stop must be > 1, got {stop!r}")
    schedule = exponential_lr(lr_min, (lr_max / lr_min) ** (1 / (steps - 1)))
    traj = run(factory(schedule), objective, start=start, steps=int(steps))
    loss = traj.loss[1:]
    if loss.size == 0:
        raise ValueError("the first step already diverged: lower lr_min")
    lrs = np.array([schedule(k) for k in range(loss.size)])
    weights = beta ** np.arange(loss.size)
    ema = np.zeros(loss.size)
    acc = 0.0
    for k, value in enumerate(loss):
        acc = beta * acc + (1 - beta) * value
        ema[k] = acc / (1 - beta * weights[k])
    best = np.minimum.accumulate(ema)
    over = np.flatnonzero(ema > stop * best)
    stopped_at = int(over[0]) + 1 if over.size else traj.diverged_at
    if over.size:
        lrs, loss, ema = lrs[: over[0] + 1], loss[: over[0] + 1], ema[: over[0] + 1]
    k_min = int(np.argmin(ema))
    slope = np.gradient(ema, np.log(lrs)) if ema.size > 1 else np.zeros(1)
    k_steep = int(np.argmin(slope[: k_min + 1]))
    for a in (lrs, loss, ema):
        a.setflags(write=False)
    return RangeTest(lrs=lrs, loss=loss, smooth=ema, minimum=float(lrs[k_min]),
                     steepest=float(lrs[k_steep]), stopped_at=stopped_at)


# --- helpers -----------------------------------------------------------------------


def _evaluate(value, grad, theta):
    """f(θ) as a float and ∇f(θ) as a float array; overflow gives inf."""
    try:
        f = float(value(theta))
    except OverflowError:
        return math.inf, theta
    try:
        return f, np.asarray(grad(theta), dtype=float)
    except OverflowError:
        return f, np.full_like(theta, math.inf)


def _norms(rows: np.ndarray) -> np.ndarray:
    """Euclidean norm of each row, scaled so that large entries do not overflow."""
    if rows.shape[0] == 0:
        return np.zeros(0)
    scale = np.max(np.abs(rows), axis=1)
    safe = np.where(scale > 0, scale, 1.0)
    return scale * np.sqrt(np.sum((rows / safe[:, None]) ** 2, axis=1))


def _angles(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Angle in degrees between rows of ``a`` and ``b``; 0 where either is zero.

    Uses 2·atan2(‖u − v‖, ‖u + v‖) for the unit vectors u, v (Kahan), which stays
    accurate for nearly parallel vectors, where arccos of a dot product does not.
    """
    na, nb = _norms(a), _norms(b)
    nonzero = (na > 0) & (nb > 0)
    u = a / np.where(nonzero, na, 1.0)[:, None]
    v = b / np.where(nonzero, nb, 1.0)[:, None]
    angle = np.degrees(2.0 * np.arctan2(_norms(u - v), _norms(u + v)))
    return np.where(nonzero, angle, 0.0)


def _min_value(objective, minima) -> float | None:
    known = getattr(objective, "min_value", None)
    if known is not None:
        return float(known)
    if minima is None or len(minima) == 0:
        return None
    return min(float(objective.value(m)) for m in minima)


def _round(x: float, spec: str) -> str:
    # Adding 0.0 turns -0.0 into 0.0, so a sign never flips the printed text.
    return format(x + 0.0, spec)


def _check_tol(tol: float) -> None:
    if not tol > 0:
        raise ValueError(f"tol must be > 0, got {tol!r}")
