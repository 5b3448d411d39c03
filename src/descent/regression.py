r"""Fitting a line by least squares: a 2-D objective made of data, and its minibatches.

The chapter on stochastic gradient descent needs an objective that is an *average
over training samples*, so that a gradient can be computed from all of them (batch
gradient descent), from one (SGD) or from a few (minibatch SGD). A line
:math:`y \approx w x + b` has two parameters, :math:`\theta = (w, b)`, so the loss
is a 2-D landscape that can be drawn like those of :mod:`descent.landscapes`:

.. math::

    L(\theta) = \frac1N \sum_{i=1}^N \ell_i(\theta), \qquad
    \ell_i(\theta) = \tfrac12\,(w x_i + b - y_i)^2, \qquad
    \nabla \ell_i(\theta) = (w x_i + b - y_i)\begin{pmatrix} x_i \\ 1 \end{pmatrix}.

:class:`LineFit` is that objective (``value``, ``grad``, ``minima``, ``domain``,
``start``, as a landscape), with the per-sample gradients and the exact covariance
of a minibatch gradient. :class:`Minibatch` wraps it so that every call of
``grad`` draws a fresh minibatch: :func:`descent.run.run` then runs SGD on it while
recording the full loss.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

__all__ = ["Accumulated", "LineFit", "Minibatch", "line_fit"]


def _check_rng(rng) -> None:
    if not isinstance(rng, np.random.Generator):
        raise ValueError(f"rng must be a numpy Generator, got {type(rng).__name__}")


def _frozen(a) -> np.ndarray:
    a = np.array(a, dtype=float)
    a.setflags(write=False)
    return a


@dataclass(frozen=True, eq=False)
class LineFit:
    r"""The least-squares loss of a line through data: a 2-D objective over (w, b).

    ``value`` and ``grad`` accept one point ``θ = (w, b)`` of shape ``(2,)`` or a
    grid of shape ``(..., 2)``, like a :class:`~descent.landscapes.Landscape`.
    ``scale`` multiplies the loss (and so every gradient): ``scaled(0.1)`` is
    "the loss divided by 10".

    Attributes:
        x, y: the N training samples, shape ``(N,)`` each.
        scale: the factor c > 0 in front of the loss.
        hessian: :math:`H = \frac{c}{N}\sum_i z_i z_i^\top` with
            :math:`z_i = (x_i, 1)`; the loss is exactly quadratic with this Hessian.
        minima: the least-squares solution θ*, shape ``(1, 2)``.
        min_value: L(θ*).
        domain, start: plot box and default starting point.
    """

    x: np.ndarray = field(repr=False)
    y: np.ndarray = field(repr=False)
    scale: float = 1.0
    name: str = "line_fit"
    hessian: np.ndarray = field(init=False, repr=False)
    minima: np.ndarray = field(init=False, repr=False)
    min_value: float = field(init=False)
    domain: tuple = field(init=False)
    start: np.ndarray = field(init=False, repr=False)

    def __post_init__(self):
        x = np.asarray(self.x, dtype=float)
        y = np.asarray(self.y, dtype=float)
        if x.ndim != 1 or x.shape != y.shape or x.size < 2:
            raise ValueError(
                "x and y must be 1-D arrays of the same length >= 2, got shapes "
                f"{x.shape} and {y.shape}"
            )
        if not (np.isfinite(x).all() and np.isfinite(y).all()):
            raise ValueError("x and y must be finite")
        if np.ptp(x) == 0:
            raise ValueError("x must hold at least two different values")
        c = float(self.scale)
        if not (math.isfinite(c) and c > 0):
            raise ValueError(f"scale must be a finite number > 0, got {self.scale!r}")
        Z = np.stack([x, np.ones_like(x)], axis=1)
        theta = np.linalg.lstsq(Z, y, rcond=None)[0]
        residual = Z @ theta - y
        set_ = object.__setattr__
        set_(self, "x", _frozen(x))
        set_(self, "y", _frozen(y))
        set_(self, "scale", c)
        set_(self, "hessian", _frozen(c * (Z.T @ Z) / x.size))
        set_(self, "minima", _frozen(theta[None, :]))
        set_(self, "min_value", c * 0.5 * float(np.mean(residual**2)))
        w, b = float(theta[0]), float(theta[1])
        set_(self, "domain", ((w - 4.0, w + 4.0), (b - 4.0, b + 4.0)))
        set_(self, "start", _frozen([w - 3.5, b + 3.5]))

    # --- the objective -------------------------------------------------------

    @property
    def n(self) -> int:
        """The number of training samples N."""
        return int(self.x.size)

    @property
    def title(self) -> str:
        """English title for figures."""
        if self.scale == 1.0:
            return f"Least squares, N = {self.n}"
        return f"Least squares × {self.scale:g}, N = {self.n}"

    @property
    def curvatures(self) -> np.ndarray:
        """The eigenvalues of the Hessian, ascending: (λ_min, λ_max)."""
        return np.linalg.eigvalsh(self.hessian)

    def value(self, p):
        r"""L(θ) = L(θ*) + ½ (θ − θ*)ᵀ H (θ − θ*), exact for least squares.

        Written around θ* so that the excess loss L − L* near the minimum keeps
        its digits.
        """
        d = np.asarray(p, dtype=float) - self.minima[0]
        q = 0.5 * np.einsum("...i,ij,...j->...", d, self.hessian, d)
        return self.min_value + (float(q) if np.ndim(q) == 0 else q)

    def grad(self, p):
        r"""∇L(θ) = (1/N) Σᵢ ∇ℓᵢ(θ) = H (θ − θ*), the full-batch gradient."""
        d = np.asarray(p, dtype=float) - self.minima[0]
        return d @ self.hessian

    def residuals(self, p) -> np.ndarray:
        """w xᵢ + b − yᵢ for every sample, shape ``(N,)``, at one point θ."""
        w, b = self._point(p)
        return w * self.x + b - self.y

    def sample_grads(self, p) -> np.ndarray:
        """The gradient of each scaled sample loss c·ℓᵢ at θ, shape ``(N, 2)``.

        Their mean is :meth:`grad` (up to rounding).
        """
        r = self.scale * self.residuals(p)
        return np.stack([r * self.x, r], axis=1)

    def batch_grad(self, p, idx) -> np.ndarray:
        """The mean gradient of the samples ``idx`` at θ, shape ``(2,)``."""
        idx = np.asarray(idx)
        if idx.ndim != 1 or idx.size == 0:
            raise ValueError(f"idx must be a non-empty 1-D index array, got {idx!r}")
        w, b = self._point(p)
        x, y = self.x[idx], self.y[idx]
        r = self.scale * (w * x + b - y)
        return np.array([float(np.mean(r * x)), float(np.mean(r))])

    def minibatch_grads(
        self, p, batch_size: int, count: int, rng: np.random.Generator
    ) -> np.ndarray:
        """``count`` independent minibatch gradients at θ, shape ``(count, 2)``.

        Each row averages ``batch_size`` distinct samples drawn uniformly with
        ``rng``, exactly as one step of :class:`Minibatch` does.
        """
        b = self._check_batch(batch_size)
        if isinstance(count, bool) or not isinstance(count, (int, np.integer)) or (
            count < 1
        ):
            raise ValueError(f"count must be an integer >= 1, got {count!r}")
        _check_rng(rng)
        g = self.sample_grads(p)
        rows = [g[rng.choice(self.n, size=b, replace=False)].mean(axis=0)
                for _ in range(int(count))]
        return np.array(rows)

    def gradient_covariance(self, p, batch_size: int) -> np.ndarray:
        r"""The exact covariance of a minibatch gradient at θ, shape ``(2, 2)``.

        For a batch of B distinct samples drawn uniformly (as :class:`Minibatch`
        does), with S the covariance of the N per-sample gradients,

        .. math:: \operatorname{Cov}[g_B] = \frac{S}{B}\cdot\frac{N - B}{N - 1},

        which is S for B = 1 and 0 for the full batch B = N.
        """
        b = self._check_batch(batch_size)
        g = self.sample_grads(p)
        dev = g - g.mean(axis=0)
        s = dev.T @ dev / self.n
        return s / b * (self.n - b) / (self.n - 1)

    def expected_excess(
        self, lr, steps: int, batch_size: int = 1, start=None
    ) -> np.ndarray:
        r"""The mean excess loss of minibatch SGD, step by step, without simulating.

        In the linear model of the noise floor (the gradient noise has the
        covariance :math:`C_B` it has at θ*, whatever θ), the second moment
        :math:`M_t = \mathbb E[(\theta_t - \theta^*)(\theta_t - \theta^*)^\top]`
        obeys exactly

        .. math::

            M_{t+1} = (I - \eta_t H)\, M_t\, (I - \eta_t H) + \eta_t^2 C_B,
            \qquad \mathbb E[L(\theta_t)] - L^* = \tfrac12 \operatorname{tr}(H M_t),

        from :math:`M_1 = (\theta_1 - \theta^*)(\theta_1 - \theta^*)^\top`. For
        a constant η it settles at the noise floor, about
        :math:`\frac{\eta}{4}\operatorname{tr} C_B`. Far from θ* the true noise
        of a minibatch is larger (it grows with the residuals), so the prediction
        is a lower bound there and exact near θ*.

        Args:
            lr: a rate, or a schedule (any function of the number of steps taken).
            steps: the number of steps (>= 0).
            batch_size: B, as for :meth:`minibatch`.
            start: θ₁ (default ``self.start``).

        Returns:
            The predicted excess loss after 0 … ``steps`` steps, shape
            ``(steps + 1,)``.
        """
        if isinstance(steps, bool) or not isinstance(steps, (int, np.integer)) or (
            steps < 0
        ):
            raise ValueError(f"steps must be an integer >= 0, got {steps!r}")
        rate = lr if callable(lr) else (lambda t: lr)
        if not callable(lr) and not (math.isfinite(lr) and lr > 0):
            raise ValueError(
                f"lr must be a finite number > 0 or a schedule, got {lr!r}")
        C = self.gradient_covariance(self.minima[0], batch_size)
        H = self.hessian
        d = np.asarray(self.start if start is None else start, dtype=float)
        d = d - self.minima[0]
        M = np.outer(d, d)
        out = [0.5 * float(np.trace(H @ M))]
        eye = np.eye(2)
        for t in range(int(steps)):
            eta = float(rate(t))
            A = eye - eta * H
            M = A @ M @ A.T + eta * eta * C
            out.append(0.5 * float(np.trace(H @ M)))
        return np.array(out)

    def scaled(self, factor: float) -> LineFit:
        """The same data with the loss multiplied by ``factor`` (> 0)."""
        return LineFit(self.x, self.y, scale=self.scale * float(factor), name=self.name)

    def minibatch(self, batch_size: int, rng: np.random.Generator) -> Minibatch:
        """This objective with a gradient drawn from ``batch_size`` samples per call."""
        return Minibatch(self, batch_size, rng)

    def accumulated(
        self,
        batch_size: int,
        micro_batches: int,
        rng: np.random.Generator,
        divide: bool = True,
    ) -> Accumulated:
        """Gradient accumulation over ``micro_batches`` parts of each batch.

        See :class:`Accumulated`; with ``divide=True`` it is :meth:`minibatch`
        (up to rounding), with ``divide=False`` its gradients are
        ``micro_batches`` times larger: the classic bug.
        """
        return Accumulated(self, batch_size, micro_batches, rng, divide)

    # --- helpers -------------------------------------------------------------

    def _point(self, p) -> tuple[float, float]:
        p = np.asarray(p, dtype=float)
        if p.shape != (2,):
            raise ValueError(f"p must have shape (2,), got shape {p.shape}")
        return float(p[0]), float(p[1])

    def _check_batch(self, batch_size) -> int:
        if (
            isinstance(batch_size, bool)
            or not isinstance(batch_size, (int, np.integer))
            or not 1 <= batch_size <= self.n
        ):
            raise ValueError(
                f"batch_size must be an integer in [1, {self.n}], got {batch_size!r}"
            )
        return int(batch_size)


class Minibatch:
    """A :class:`LineFit` whose ``grad`` averages a fresh random minibatch.

    Each call of ``grad(θ)`` draws ``batch_size`` distinct sample indices uniformly
    with ``rng`` and returns their mean gradient, an unbiased estimate of the full
    gradient. ``value(θ)`` stays the full loss, so a run records the true loss.
    ``batch_size = N`` is batch gradient descent (every sample, in some order).
    Everything else (``minima``, ``domain``, ``start``, ``title``…) is the
    underlying fit's.
    """

    def __init__(self, fit: LineFit, batch_size: int, rng: np.random.Generator):
        _check_rng(rng)
        self.fit = fit
        self.batch_size = fit._check_batch(batch_size)
        self.rng = rng

    def __getattr__(self, attr):
        # Only reached for attributes not set in __init__: delegate to the fit.
        if attr == "fit":
            raise AttributeError(attr)
        return getattr(self.fit, attr)

    def value(self, p):
        """The full loss L(θ)."""
        return self.fit.value(p)

    def grad(self, p) -> np.ndarray:
        """The mean gradient of a fresh minibatch at θ."""
        idx = self.rng.choice(self.fit.n, size=self.batch_size, replace=False)
        return self.fit.batch_grad(p, idx)


class Accumulated(Minibatch):
    r"""A :class:`Minibatch` whose gradient is accumulated over A micro-batches.

    Each call of ``grad(θ)`` draws ``batch_size`` sample indices exactly as
    :class:`Minibatch` does (the same ``rng`` gives the same samples), splits them
    into A = ``micro_batches`` equal micro-batches, computes the mean gradient of
    each (what one backward pass of a mean-reduced loss gives) and adds them up,
    as frameworks do when ``backward()`` is called A times before one step:

    .. math::

        g = \frac{1}{A}\sum_{a=1}^{A} \frac{1}{B/A}\sum_{i\in\mathcal{B}_a}
            \nabla\ell_i \quad (\texttt{divide=True}), \qquad
        g = \sum_{a=1}^{A} \frac{1}{B/A}\sum_{i\in\mathcal{B}_a} \nabla\ell_i
            \quad (\texttt{divide=False}).

    With ``divide=True`` (each micro-batch loss divided by A) this is the mean
    over the whole batch, the gradient of one big batch; without it, the
    gradient is A times too large.
    """

    def __init__(
        self,
        fit: LineFit,
        batch_size: int,
        micro_batches: int,
        rng: np.random.Generator,
        divide: bool = True,
    ):
        super().__init__(fit, batch_size, rng)
        a = micro_batches
        if isinstance(a, bool) or not isinstance(a, (int, np.integer)) or a < 1 or (
            self.batch_size % a
        ):
            raise ValueError(
                f"micro_batches must be an integer >= 1 that divides batch_size = "
                f"{self.batch_size}, got {micro_batches!r}"
            )
        self.micro_batches = int(a)
        self.divide = bool(divide)

    def grad(self, p) -> np.ndarray:
        """The accumulated gradient of a fresh batch at θ."""
        idx = self.rng.choice(self.fit.n, size=self.batch_size, replace=False)
        total = np.zeros(2)
        for part in np.split(idx, self.micro_batches):
            total = total + self.fit.batch_grad(p, part)
        return total / self.micro_batches if self.divide else total


def line_fit(
    n: int = 200,
    slope: float = 2.0,
    intercept: float = -1.0,
    noise: float = 0.5,
    *,
    rng: np.random.Generator,
) -> LineFit:
    """Noisy samples of a line and their least-squares loss.

    ``x`` is drawn from N(1, 1) and ``y = slope·x + intercept + noise·ε`` with
    standard normal ε, all with ``rng``.
    """
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 2:
        raise ValueError(f"n must be an integer >= 2, got {n!r}")
    if not (math.isfinite(noise) and noise >= 0):
        raise ValueError(f"noise must be a finite number >= 0, got {noise!r}")
    _check_rng(rng)
    x = rng.normal(1.0, 1.0, size=int(n))
    y = slope * x + intercept + noise * rng.standard_normal(int(n))
    return LineFit(x, y)
