r"""A matrix problem for matrix optimizers: fit a target by a product of two factors.

Muon and Adafactor treat a weight matrix as a matrix, not as a list of numbers.
The smallest problem where that matters is a factorisation

.. math::

    L(U, V) = \tfrac12\,\lVert U V^\top - M \rVert_F^2, \qquad
    \nabla_U L = (UV^\top - M)\, V, \qquad \nabla_V L = (UV^\top - M)^\top U,

the loss of a linear network with one hidden layer on whitened inputs. Started
near zero, gradient descent learns the target's singular values one after the
other, the large ones first ("incremental learning"); the small ones wait until
the error in their direction has grown into the gradient. :class:`Factorization`
is this objective over a flat θ = (U, V), as :func:`descent.run.run` needs;
``shapes`` lists the two factors for :func:`descent.optim.reshaped`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

__all__ = ["Factorization", "factorization"]


@dataclass(frozen=True, eq=False)
class Factorization:
    """½‖U Vᵀ − M‖²_F over the flat vector θ = (U ravelled, V ravelled).

    Attributes:
        target: M, shape ``(n, m)``.
        rank: r, the number of columns of U (n × r) and V (m × r).
        start: a default θ (small random factors, see :func:`factorization`).
        shapes: ``[(n, r), (m, r)]``.
        min_value: the least loss, half the sum of the squared singular values
            of M beyond the first r (0 when r ≥ rank M).
        minima: ``None``: the minimisers are not isolated (U Q, V Q⁻ᵀ for any
            invertible Q give the same product).
    """

    target: np.ndarray = field(repr=False)
    rank: int
    start: np.ndarray = field(repr=False)
    shapes: list = field(init=False)
    min_value: float = field(init=False)
    minima: None = field(init=False, default=None)

    def __post_init__(self):
        M = np.array(self.target, dtype=float)
        if M.ndim != 2 or not np.isfinite(M).all():
            raise ValueError(f"target must be a finite 2-D array, got shape {M.shape}")
        r = self.rank
        if isinstance(r, bool) or not isinstance(r, (int, np.integer)) or r < 1:
            raise ValueError(f"rank must be an integer >= 1, got {r!r}")
        n, m = M.shape
        M.setflags(write=False)
        start = np.array(self.start, dtype=float)
        if start.shape != ((n + m) * r,):
            raise ValueError(f"start must have shape ({(n + m) * r},), got "
                             f"{start.shape}")
        start.setflags(write=False)
        s = np.linalg.svd(M, compute_uv=False)
        object.__setattr__(self, "target", M)
        object.__setattr__(self, "start", start)
        object.__setattr__(self, "shapes", [(n, int(r)), (m, int(r))])
        object.__setattr__(self, "min_value", 0.5 * float(np.sum(s[r:] ** 2)))

    def factors(self, theta) -> tuple[np.ndarray, np.ndarray]:
        """U and V from the flat θ."""
        theta = np.asarray(theta, dtype=float)
        (n, r), (m, _) = self.shapes
        if theta.shape != ((n + m) * r,):
            raise ValueError(f"theta must have shape ({(n + m) * r},), got "
                             f"{theta.shape}")
        return theta[: n * r].reshape(n, r), theta[n * r :].reshape(m, r)

    def product(self, theta) -> np.ndarray:
        """U Vᵀ, the matrix the factors represent."""
        U, V = self.factors(theta)
        return U @ V.T

    def value(self, theta) -> float:
        """L(θ) = ½‖U Vᵀ − M‖²_F."""
        return 0.5 * float(np.sum((self.product(theta) - self.target) ** 2))

    def grad(self, theta) -> np.ndarray:
        """∇L(θ) = ((UVᵀ − M) V, (UVᵀ − M)ᵀ U), flattened like θ."""
        U, V = self.factors(theta)
        R = U @ V.T - self.target
        return np.concatenate([(R @ V).ravel(), (R.T @ U).ravel()])


def factorization(
    singular_values,
    n: int,
    m: int,
    rank: int,
    rng: np.random.Generator,
    init_scale: float = 1e-2,
) -> Factorization:
    """A target with the given singular values in random directions, and a start.

    M = P diag(s) Qᵀ with P (n × k), Q (m × k) random orthonormal columns, k the
    number of singular values; the start draws every entry of U and V from
    N(0, ``init_scale``²).

    >>> f = factorization([1.0, 0.1], n=3, m=2, rank=2, rng=np.random.default_rng(0))
    >>> np.round(np.linalg.svd(f.target, compute_uv=False), 6), f.shapes
    (array([1. , 0.1]), [(3, 2), (2, 2)])
    """
    if not isinstance(rng, np.random.Generator):
        raise ValueError(f"rng must be a numpy Generator, got {type(rng).__name__}")
    s = np.asarray(singular_values, dtype=float)
    k = s.size
    if s.ndim != 1 or k < 1 or k > min(n, m) or (s < 0).any():
        raise ValueError(f"singular_values must be 1 to min(n, m) = {min(n, m)} "
                         f"numbers >= 0, got {singular_values!r}")
    if not init_scale > 0:
        raise ValueError(f"init_scale must be > 0, got {init_scale!r}")
    P, _ = np.linalg.qr(rng.standard_normal((n, k)))
    Q, _ = np.linalg.qr(rng.standard_normal((m, k)))
    start = init_scale * rng.standard_normal((n + m) * rank)
    return Factorization(target=P @ np.diag(s) @ Q.T, rank=rank, start=start)
