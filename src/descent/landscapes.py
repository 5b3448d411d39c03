"""Two-dimensional objectives with analytic gradients and known minima.

Each landscape is a :class:`Landscape`: a value function ``f``, its gradient, the
points where ``f`` is minimal, a plot box and a default start. Every ``value`` and
``grad`` accepts one point of shape ``(2,)`` or a whole grid of shape ``(..., 2)``;
``grad`` returns an array of the same shape as its input, so the same function draws
a contour plot and drives an optimizer.

The landscapes and what they show:

=============  ==============================================================
``quadratic``  ill-conditioned bowl: zig-zag of plain gradient descent
``rosenbrock`` curved narrow valley: slow progress along the valley floor
``beale``      steep walls and flat floor in one picture
``saddle``     a saddle point next to two minima: slow escape along ``y``
``plateau``    an almost flat outer region: the vanishing-gradient case
``cliff``      a gentle slope ending at a steep wall: the exploding case
``two_wells``  a shallow local minimum and a deeper global one
=============  ==============================================================

A point is ``p = (x, y)`` throughout; for a single point, ``value`` returns a float
and ``grad`` an array of shape ``(2,)``.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

__all__ = [
    "LANDSCAPES",
    "Landscape",
    "beale",
    "cliff",
    "plateau",
    "quadratic",
    "rosenbrock",
    "saddle",
    "two_wells",
]

Domain = tuple[tuple[float, float], tuple[float, float]]
_FLOAT64 = np.dtype(np.float64)


@dataclass(frozen=True, eq=False)
class Landscape:
    """A 2-D objective f(x, y) with its gradient, minima, plot box and start.

    Attributes:
        name: key in :data:`LANDSCAPES`, e.g. ``"rosenbrock"``.
        title: English title for figures, e.g. ``"Rosenbrock"``.
        formula: the definition of f in LaTeX (without dollar signs).
        value: ``value(p)``, f at ``p`` of shape ``(2,)`` (a float) or ``(..., 2)``.
        grad: ``grad(p)``, the analytic gradient, same shape as ``p``.
        minima: known minimisers, shape ``(k, 2)``; the first is a global one.
        domain: plot box ``((xmin, xmax), (ymin, ymax))``.
        start: default starting point, shape ``(2,)``.
        hyper: the factory's arguments, e.g. ``{"condition": 10.0, "angle": 0.0}``.
    """

    name: str
    title: str
    formula: str
    value: Callable = field(repr=False)
    grad: Callable = field(repr=False)
    minima: np.ndarray = field(repr=False)
    domain: Domain
    start: np.ndarray = field(repr=False)
    hyper: dict = field(default_factory=dict)

    @property
    def min_value(self) -> float:
        """f* = the smallest value of f over the listed minima."""
        return float(np.min(self.value(self.minima)))

    def nearest_minimum(self, p) -> np.ndarray:
        """The listed minimum closest (Euclidean) to ``p``, shape ``(2,)``."""
        p = np.asarray(p, dtype=float)
        distances = np.linalg.norm(self.minima - p, axis=1)
        return self.minima[int(np.argmin(distances))]

    def grid(self, n: int = 201, domain: Domain | None = None):
        """Return ``X, Y, Z``, each of shape ``(n, n)``, for a contour plot.

        ``Z[i, j] = f(X[i, j], Y[i, j])`` over ``domain`` (default: the landscape's).
        """
        if not isinstance(n, (int, np.integer)) or n < 2:
            raise ValueError(f"n must be an integer >= 2, got {n!r}")
        (xmin, xmax), (ymin, ymax) = self.domain if domain is None else domain
        X, Y = np.meshgrid(np.linspace(xmin, xmax, n), np.linspace(ymin, ymax, n))
        Z = self.value(np.stack([X, Y], axis=-1))
        return X, Y, Z


# --- helpers shared by all landscapes ----------------------------------------------


def _split(p):
    """Return ``(x, y)``: two floats for one point, two arrays for a grid.

    Single points take the float path because an optimizer run evaluates the
    gradient once per step, and scalar arithmetic is several times faster than
    arithmetic on arrays of two elements.
    """
    if type(p) is np.ndarray and p.dtype is _FLOAT64 and p.shape == (2,):
        x, y = p.tolist()
        return x, y
    p = np.asarray(p, dtype=float)
    if p.ndim == 0 or p.shape[-1] != 2:
        raise ValueError(f"p must have shape (2,) or (..., 2), got shape {p.shape}")
    if p.shape == (2,):
        return float(p[0]), float(p[1])
    return p[..., 0], p[..., 1]


def _join(gx, gy) -> np.ndarray:
    """Stack the two partial derivatives back into the shape of the input point."""
    if isinstance(gx, float):
        return np.array([gx, gy])
    return np.stack(np.broadcast_arrays(gx, gy), axis=-1)


def _scalar(v):
    """Return a Python float for one point, the array unchanged for a grid."""
    return float(v) if np.ndim(v) == 0 else v


def _check_number(name: str, value, above: float | None = None,
                  at_least: float | None = None) -> float:
    """Return ``value`` as a float, or raise naming ``name`` and the allowed range."""
    allowed = "a finite number"
    if above is not None:
        allowed += f" > {above:g}"
    if at_least is not None:
        allowed += f" >= {at_least:g}"
    try:
        x = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be {allowed}, got {value!r}") from None
    ok = math.isfinite(x)
    ok = ok and (above is None or x > above) and (at_least is None or x >= at_least)
    if isinstance(value, bool) or not ok:
        raise ValueError(f"{name} must be {allowed}, got {value!r}")
    return x


def _frozen(a) -> np.ndarray:
    a = np.array(a, dtype=float)
    a.setflags(write=False)
    return a


# --- the landscapes ----------------------------------------------------------------


def quadratic(condition: float = 10.0, angle: float = 0.0) -> Landscape:
    r"""An ill-conditioned bowl: f = ½ pᵀ A p with eigenvalues 1 and ``condition``.

    .. math::

        f(p) = \tfrac12\, p^\top A\, p, \qquad
        A = R_\alpha \begin{pmatrix} 1 & 0 \\ 0 & \kappa \end{pmatrix} R_\alpha^\top

    where κ = ``condition`` ≥ 1 and R_α rotates by α = ``angle`` degrees
    (counter-clockwise), so the steep direction is the y-axis turned by α.
    The only minimum is the origin, with f* = 0. With κ = 1 the bowl is round and
    the negative gradient points straight at the minimum from everywhere.
    """
    kappa = _check_number("condition", condition, at_least=1.0)
    alpha = _check_number("angle", angle)
    c, s = math.cos(math.radians(alpha)), math.sin(math.radians(alpha))
    # A = R diag(1, κ) Rᵀ written out entry by entry.
    a11 = c * c + kappa * s * s
    a12 = (1.0 - kappa) * c * s
    a22 = s * s + kappa * c * c

    def value(p):
        x, y = _split(p)
        return 0.5 * (a11 * x * x + 2.0 * a12 * x * y + a22 * y * y)

    def grad(p):
        x, y = _split(p)
        return _join(a11 * x + a12 * y, a12 * x + a22 * y)

    title = f"Quadratic (κ = {kappa:g})"
    if alpha != 0:
        title = f"Quadratic (κ = {kappa:g}, rotated {alpha:g}°)"
    return Landscape(
        name="quadratic",
        title=title,
        formula=r"f(p) = \tfrac12\, p^\top A\, p,\quad "
        rf"\operatorname{{eig}}(A) = \{{1, {kappa:g}\}}",
        value=value,
        grad=grad,
        minima=_frozen([[0.0, 0.0]]),
        domain=((-2.0, 2.0), (-2.0, 2.0)),
        start=_frozen([-1.5, 1.0]),
        hyper={"condition": kappa, "angle": alpha},
    )


def rosenbrock(a: float = 1.0, b: float = 100.0) -> Landscape:
    r"""Rosenbrock's banana valley: f = (a − x)² + b (y − x²)².

    .. math:: f(x, y) = (a - x)^2 + b\,(y - x^2)^2

    The minimum is (a, a²) with f* = 0. The floor of the curved valley y = x² is
    almost flat while its walls are steep (for b = 100 the Hessian at the minimum
    has condition number about 2500). The start (−1.2, 1) is the classical one
    (Rosenbrock 1960).
    """
    a = _check_number("a", a)
    b = _check_number("b", b, above=0.0)

    def value(p):
        x, y = _split(p)
        return (a - x) ** 2 + b * (y - x * x) ** 2

    def grad(p):
        x, y = _split(p)
        valley = y - x * x
        return _join(-2.0 * (a - x) - 4.0 * b * x * valley, 2.0 * b * valley)

    half = max(2.0, abs(a) + 1.0)
    return Landscape(
        name="rosenbrock",
        title="Rosenbrock",
        formula=rf"f(x, y) = ({a:g} - x)^2 + {b:g}\,(y - x^2)^2",
        value=value,
        grad=grad,
        minima=_frozen([[a, a * a]]),
        domain=((-half, half), (-1.0, max(3.0, a * a + 1.0))),
        start=_frozen([-1.2, 1.0]),
        hyper={"a": a, "b": b},
    )


def beale() -> Landscape:
    r"""Beale's function: three squared residuals with the minimum at (3, ½).

    .. math::

        f(x, y) = (1.5 - x + xy)^2 + (2.25 - x + xy^2)^2 + (2.625 - x + xy^3)^2

    f* = 0 at (3, 0.5). Steep walls at large |y| and a long, nearly flat floor
    near y = 1 make it a standard picture for comparing optimizers.
    """

    def value(p):
        x, y = _split(p)
        return (
            (1.5 - x + x * y) ** 2
            + (2.25 - x + x * y * y) ** 2
            + (2.625 - x + x * y * y * y) ** 2
        )

    def grad(p):
        x, y = _split(p)
        r1 = 1.5 - x + x * y
        r2 = 2.25 - x + x * y * y
        r3 = 2.625 - x + x * y * y * y
        gx = 2.0 * (r1 * (y - 1.0) + r2 * (y * y - 1.0) + r3 * (y * y * y - 1.0))
        gy = 2.0 * x * (r1 + 2.0 * r2 * y + 3.0 * r3 * y * y)
        return _join(gx, gy)

    return Landscape(
        name="beale",
        title="Beale",
        formula=r"f(x, y) = (1.5 - x + xy)^2 + (2.25 - x + xy^2)^2"
        r" + (2.625 - x + xy^3)^2",
        value=value,
        grad=grad,
        minima=_frozen([[3.0, 0.5]]),
        domain=((-4.5, 4.5), (-4.5, 4.5)),
        start=_frozen([1.0, 1.5]),
        hyper={},
    )


def saddle() -> Landscape:
    r"""A saddle point between two minima: f = ½x² − ½y² + ¼y⁴.

    .. math:: f(x, y) = \tfrac12 x^2 - \tfrac12 y^2 + \tfrac14 y^4

    The origin is a saddle point (curvature +1 along x, −1 along y); the minima are
    (0, ±1) with f* = −¼. Unlike x² − y², f is bounded below, so "the nearest
    minimum" is defined. The start (−1.5, 0.001) lies almost on the ridge y = 0:
    gradient descent first runs into the saddle, where the gradient nearly vanishes
    (with η = 0.1 it passes within 0.05 of the origin), and only slowly leaves it
    along y, where |y| grows by a factor of about 1 + η per step.
    """

    def value(p):
        x, y = _split(p)
        y2 = y * y
        return 0.5 * x * x - 0.5 * y2 + 0.25 * y2 * y2

    def grad(p):
        x, y = _split(p)
        return _join(x, y * y * y - y)

    return Landscape(
        name="saddle",
        title="Saddle",
        formula=r"f(x, y) = \tfrac12 x^2 - \tfrac12 y^2 + \tfrac14 y^4",
        value=value,
        grad=grad,
        minima=_frozen([[0.0, 1.0], [0.0, -1.0]]),
        domain=((-2.0, 2.0), (-2.0, 2.0)),
        start=_frozen([-1.5, 0.001]),
        hyper={},
    )


def plateau(width: float = 1.0) -> Landscape:
    r"""A Gaussian basin in a flat plain: f = 1 − exp(−(x² + y²)/w²).

    .. math:: f(x, y) = 1 - \exp\!\left(-\frac{x^2 + y^2}{w^2}\right)

    The minimum is the origin, f* = 0. With r = √(x² + y²), the gradient norm is
    (2r/w²) exp(−r²/w²): largest at r = w/√2 (about 0.86/w) and vanishing
    fast outside the basin; for w = 1 it is below 7.5·10⁻⁴ for r ≥ 3 and below
    10⁻⁶ for r ≥ 4. The start (−2.4w, 1.8w), at r = 3w, lies on that plateau:
    the vanishing-gradient case, where plain gradient descent barely moves.
    """
    w = _check_number("width", width, above=0.0)
    inv_w2 = 1.0 / (w * w)

    def value(p):
        x, y = _split(p)
        return _scalar(1.0 - np.exp(-(x * x + y * y) * inv_w2))

    def grad(p):
        x, y = _split(p)
        slope = _scalar(2.0 * inv_w2 * np.exp(-(x * x + y * y) * inv_w2))
        return _join(slope * x, slope * y)

    return Landscape(
        name="plateau",
        title="Plateau",
        formula=r"f(x, y) = 1 - \exp\!\left(-(x^2 + y^2)/w^2\right),"
        rf"\quad w = {w:g}",
        value=value,
        grad=grad,
        minima=_frozen([[0.0, 0.0]]),
        domain=((-4.0 * w, 4.0 * w), (-4.0 * w, 4.0 * w)),
        start=_frozen([-2.4 * w, 1.8 * w]),
        hyper={"width": w},
    )


def cliff(height: float = 100.0, sharpness: float = 100.0) -> Landscape:
    r"""A gentle slope that ends at a steep wall (Pascanu, Mikolov & Bengio 2013).

    .. math::

        f(x, y) = -x + \frac{h}{k}\,\operatorname{softplus}\big(k (x - 1)\big)
                  + \tfrac12 y^2,
        \qquad \operatorname{softplus}(z) = \log(1 + e^z)

    with h = ``height`` (the slope of the wall) and k = ``sharpness`` (how abruptly
    the wall rises). Left of x = 1 the floor falls gently (∂f/∂x ≈ −1); right of it
    the wall rises with slope h − 1. Setting ∂f/∂x = −1 + h σ(k(x − 1)) to zero
    gives the minimum at the foot of the wall,

    .. math:: x^* = 1 - \tfrac1k \log(h - 1), \qquad y^* = 0,

    where the curvature along x is k (1 − 1/h), 99 for the defaults.

    A gradient step of size η that lands on the wall is thrown back by about
    η (h − 1): the exploding-gradient case. From the default start (−2, 1),
    plain gradient descent with η = 0.1 walks down the floor, reaches the wall
    after about 30 steps and is thrown several units back; it can settle at the
    foot only when η < 2 / (k (1 − 1/h)), about 0.02 for the defaults.
    """
    h = _check_number("height", height, above=1.0)
    k = _check_number("sharpness", sharpness, above=0.0)

    def value(p):
        x, y = _split(p)
        # logaddexp(0, z) = log(1 + e^z) without overflow for large z.
        return _scalar(-x + (h / k) * np.logaddexp(0.0, k * (x - 1.0)) + 0.5 * y * y)

    def grad(p):
        x, y = _split(p)
        # σ(z) = (1 + tanh(z/2)) / 2, which never overflows.
        sigmoid = 0.5 * (1.0 + np.tanh(0.5 * k * (x - 1.0)))
        return _join(_scalar(-1.0 + h * sigmoid), y)

    x_star = 1.0 - math.log(h - 1.0) / k
    return Landscape(
        name="cliff",
        title="Cliff",
        formula=r"f(x, y) = -x + \tfrac{h}{k} \log\left(1 + e^{k (x - 1)}\right)"
        rf" + \tfrac12 y^2,\quad h = {h:g},\ k = {k:g}",
        value=value,
        grad=grad,
        minima=_frozen([[x_star, 0.0]]),
        domain=((-3.0, 2.0), (-2.0, 2.0)),
        start=_frozen([-2.0, 1.0]),
        hyper={"height": h, "sharpness": k},
    )


def two_wells() -> Landscape:
    r"""A shallow local minimum and a deeper global one, split by a saddle.

    .. math:: f(x, y) = \tfrac14 x^4 - \tfrac13 x^3 - x^2 + \tfrac12 y^2

    ∂f/∂x = x³ − x² − 2x = x (x + 1)(x − 2), so along y = 0 there are minima at
    x = 2 (global, f* = −8/3) and x = −1 (local, f = −5/12), and a saddle point at
    the origin (f = 0). The start (−2, 1) is on the far side of the shallow well:
    plain gradient descent stops there, while enough momentum carries the iterate
    over the saddle into the deep well; started high on the right, too much
    momentum carries it out of the deep well instead.
    """

    def value(p):
        x, y = _split(p)
        x2 = x * x
        return 0.25 * x2 * x2 - x2 * x / 3.0 - x2 + 0.5 * y * y

    def grad(p):
        x, y = _split(p)
        return _join(x * (x + 1.0) * (x - 2.0), y)

    return Landscape(
        name="two_wells",
        title="Two wells",
        formula=r"f(x, y) = \tfrac14 x^4 - \tfrac13 x^3 - x^2 + \tfrac12 y^2",
        value=value,
        grad=grad,
        minima=_frozen([[2.0, 0.0], [-1.0, 0.0]]),
        domain=((-2.5, 3.5), (-2.0, 2.0)),
        start=_frozen([-2.0, 1.0]),
        hyper={},
    )


LANDSCAPES: dict[str, Landscape] = {
    "quadratic": quadratic(),
    "rosenbrock": rosenbrock(),
    "beale": beale(),
    "saddle": saddle(),
    "plateau": plateau(),
    "cliff": cliff(),
    "two_wells": two_wells(),
}
"""Every landscape at its default settings, by name."""
