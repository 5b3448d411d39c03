"""Muon: momentum whose update matrix is orthogonalised by Newton–Schulz."""

from __future__ import annotations

import math
import numbers
from typing import NamedTuple

import numpy as np

from ._base import (
    LearningRate,
    Optimizer,
    as_schedule,
    check_choice,
    check_nonneg,
    check_unit_interval,
    is_list,
    per_array,
    zeros_like,
)

#: Keller Jordan's quintic (a, b, c), torch.optim.Muon's default.
NS_COEFFICIENTS = (3.4445, -4.7750, 2.0315)


class MuonState(NamedTuple):
    """``m``: the momentum of the gradient matrices (torch ``momentum_buffer``)."""

    t: int
    m: np.ndarray | list[np.ndarray]


def _check_coefficients(ns_coefficients) -> tuple[float, float, float]:
    ok = isinstance(ns_coefficients, (tuple, list)) and len(ns_coefficients) == 3
    if ok:
        ok = all(
            isinstance(c, numbers.Real) and not isinstance(c, bool) and math.isfinite(c)
            for c in ns_coefficients
        )
    if not ok:
        raise ValueError(
            f"ns_coefficients must be three finite numbers (a, b, c), "
            f"got {ns_coefficients!r}"
        )
    return tuple(float(c) for c in ns_coefficients)


def _check_steps(ns_steps) -> int:
    if isinstance(ns_steps, bool) or not isinstance(ns_steps, (int, np.integer)) or \
            not 0 <= ns_steps < 100:
        raise ValueError(f"ns_steps must be an integer in [0, 100), got {ns_steps!r}")
    return int(ns_steps)


def newton_schulz(
    G: np.ndarray,
    ns_coefficients: tuple[float, float, float] = NS_COEFFICIENTS,
    ns_steps: int = 5,
    eps: float = 1e-7,
) -> np.ndarray:
    r"""Nearly orthogonalise a matrix: :math:`U S V^\top \mapsto U p^k(S) V^\top`.

    Divide :math:`G` by its Frobenius norm (at least ε), so that every singular
    value is at most 1, then apply :math:`k` = ``ns_steps`` times the odd
    matrix polynomial

    .. math::

        X \leftarrow aX + (bA + cA^2)X, \qquad A = XX^\top,

    which acts on each singular value alone as the scalar map
    :math:`p(\sigma) = a\sigma + b\sigma^3 + c\sigma^5` and leaves the singular
    vectors as they are. The default coefficients push every singular value
    above about :math:`2 \cdot 10^{-3}` into a band around 1 in five steps (see
    :func:`newton_schulz_band`), so the result is close to :math:`UV^\top`,
    the orthogonal matrix nearest to :math:`G`. A tall matrix is transposed
    first, so that :math:`A` is the smaller Gram matrix.

    Examples
    --------
    Singular values 3 and 0.3, ten times apart, come out nearly equal:

    >>> out = newton_schulz(np.diag([3.0, 0.3]))
    >>> print(np.round(np.diag(out), 3))
    [0.702 0.709]
    """
    G = np.asarray(G)
    if G.ndim != 2:
        raise ValueError(
            f"newton_schulz needs a 2-D matrix, got an array of shape {G.shape}"
        )
    a, b, c = _check_coefficients(ns_coefficients)
    steps = _check_steps(ns_steps)
    tall = G.shape[0] > G.shape[1]
    X = G.T if tall else G
    X = X / max(float(np.linalg.norm(X)), eps)
    for _ in range(steps):
        A = X @ X.T
        X = a * X + (b * A + c * (A @ A)) @ X
    return X.T if tall else X


def newton_schulz_map(
    sigma, ns_coefficients=NS_COEFFICIENTS, ns_steps: int = 5
) -> np.ndarray:
    r"""The scalar map :math:`p^k(\sigma)` that :func:`newton_schulz` applies to
    each singular value (after dividing by the Frobenius norm)."""
    a, b, c = _check_coefficients(ns_coefficients)
    s = np.asarray(sigma, dtype=float)
    for _ in range(_check_steps(ns_steps)):
        s = a * s + b * s**3 + c * s**5
    return s


def newton_schulz_band(ns_coefficients=NS_COEFFICIENTS) -> tuple[float, float]:
    r"""The band :math:`[\sigma_-, \sigma_+]` of singular values the iteration keeps.

    With :math:`p(\sigma) = a\sigma + b\sigma^3 + c\sigma^5`, start from
    :math:`[p(1), \sigma_+]` where :math:`\sigma_+` is the largest value of
    :math:`p` on :math:`[0, 1]`, and widen the interval by the range of
    :math:`p` on it until it maps into itself (the extremes of :math:`p` sit at
    the ends or where :math:`p'(\sigma) = a + 3b\sigma^2 + 5c\sigma^4 = 0`,
    so each range is exact). A singular value that has reached the band stays
    in it at every later step. For the default coefficients the band is about
    [0.68, 1.20]: the result is not exactly orthogonal, but all its singular
    values are within a factor of two of each other.

    >>> lo, hi = newton_schulz_band()
    >>> print(round(lo, 3), round(hi, 3))
    0.682 1.202
    """
    a, b, c = _check_coefficients(ns_coefficients)
    roots = np.roots([5 * c, 3 * b, a]) if c else np.roots([3 * b, a])
    critical = [math.sqrt(r.real) for r in np.atleast_1d(roots)
                if abs(r.imag) < 1e-12 and r.real > 0]

    def p_range(lo: float, hi: float) -> tuple[float, float]:
        points = [lo, hi] + [s for s in critical if lo < s < hi]
        values = newton_schulz_map(np.array(points), ns_coefficients, 1)
        return float(values.min()), float(values.max())

    top = p_range(0.0, 1.0)[1]
    lo, hi = min(float(newton_schulz_map(1.0, ns_coefficients, 1)), top), top
    for _ in range(100):
        low, high = p_range(lo, hi)
        if low >= lo and high <= hi:
            break
        lo, hi = min(lo, low), max(hi, high)
    return lo, hi


def _lr_ratio(adjust_lr_fn: str | None, shape: tuple[int, ...]) -> float:
    rows, cols = shape[:2]
    if adjust_lr_fn == "match_rms_adamw":
        return 0.2 * math.sqrt(max(rows, cols))
    return math.sqrt(max(1.0, rows / cols))  # "original" (Keller Jordan's)


def muon(
    lr: LearningRate = 1e-3,
    weight_decay: float = 0.1,
    beta: float = 0.95,
    nesterov: bool = True,
    ns_coefficients: tuple[float, float, float] = NS_COEFFICIENTS,
    eps: float = 1e-7,
    ns_steps: int = 5,
    adjust_lr_fn: str | None = None,
) -> Optimizer:
    r"""Muon: momentum SGD whose update of each weight matrix is orthogonalised.

    A matrix update :math:`M = U S V^\top` moves the few directions with large
    singular values much more than the rest. Muon replaces it by (nearly)
    :math:`U V^\top`: every singular direction moves by the same amount. For a
    weight matrix :math:`\theta_t` (:math:`n \times m`) with gradient
    :math:`g_t = \nabla L(\theta_t)`, from :math:`m_0 = 0`:

    .. math::

        m_t &\leftarrow \beta m_{t-1} + (1-\beta)\, g_t \\
        b_t &\leftarrow (1-\beta)\, g_t + \beta m_t
            \quad \text{(Nesterov; else } b_t = m_t\text{)} \\
        o_t &\leftarrow \mathrm{NS}_k(b_t) \approx U V^\top
            \quad \text{for } b_t = U S V^\top \\
        \theta_t &\leftarrow (1 - \eta\lambda_{\mathrm{wd}})\, \theta_t \\
        \theta_{t+1} &\leftarrow \theta_t - \eta\, s\, o_t, \qquad
            s = \sqrt{\max(1, n/m)}

    :func:`newton_schulz` is the orthogonalisation :math:`\mathrm{NS}_k` (ε
    guards the division by :math:`\lVert b_t\rVert_F`); its result has
    singular values in a band around 1, not exactly 1
    (:func:`newton_schulz_band`). The momentum is the
    book's EMA form. ``adjust_lr_fn="match_rms_adamw"`` uses
    :math:`s = 0.2\sqrt{\max(n, m)}` instead (Liu et al. 2025), which gives
    the update the RMS of a typical AdamW update, so that AdamW's η and
    :math:`\lambda_{\mathrm{wd}}` can be reused. Muon is for the 2-D weight
    matrices of hidden layers only: biases, gains, embeddings and the output
    layer go to AdamW (:func:`~descent.optim.partition` builds the pair);
    ``init`` raises for any array that is not 2-D, as torch does. With a
    schedule for ``lr``, step t uses :math:`\eta_t` = ``lr(t - 1)``.

    Parameters
    ----------
    lr : float or callable
        Learning rate :math:`\eta > 0`, or a schedule (a function of the step
        count).
    weight_decay : float
        Decoupled decay :math:`\lambda_{\mathrm{wd}} \ge 0` (torch's default 0.1).
    beta : float
        Momentum :math:`\beta \in [0, 1)` (torch ``momentum``).
    nesterov : bool
        Orthogonalise the Nesterov mix :math:`b_t` instead of :math:`m_t`.
    ns_coefficients : tuple
        :math:`(a, b, c)` of the Newton–Schulz polynomial.
    eps : float
        ε ≥ 0, the floor under :math:`\lVert b_t\rVert_F`.
    ns_steps : int
        :math:`k`, Newton–Schulz steps in [0, 100).
    adjust_lr_fn : str or None
        ``None`` or ``"original"`` (:math:`s = \sqrt{\max(1, n/m)}`), or
        ``"match_rms_adamw"``.

    Returns
    -------
    Optimizer
        ``init(params)`` gives ``MuonState(t=0, m=0)``.

    Notes
    -----
    The same arithmetic as ``torch.optim.Muon(params, lr=lr,
    weight_decay=weight_decay, momentum=beta, nesterov=nesterov,
    ns_coefficients=ns_coefficients, eps=eps, ns_steps=ns_steps,
    adjust_lr_fn=adjust_lr_fn)`` (torch 2.13), except that torch runs
    Newton–Schulz in bfloat16 and this code in the parameters' dtype; the
    tests bound the difference. (torch's docstring writes the buffer as
    :math:`\mu B_{t-1} + G_t`, but its code takes the EMA above.) Keller
    Jordan's original code has the same EMA momentum and Nesterov mix.

    Examples
    --------
    The gradient's singular values span a factor 100; the step's are all
    about 0.7 η:

    >>> import numpy as np
    >>> opt = muon(lr=0.1, weight_decay=0.0, beta=0.0)
    >>> g = np.diag([10.0, 1.0, 0.1])
    >>> params, state = opt.step(np.zeros((3, 3)), g, opt.init(np.zeros((3, 3))))
    >>> print(np.round(np.linalg.svd(-params, compute_uv=False), 3))
    [0.071 0.07  0.07 ]

    References
    ----------
    Jordan, K., Jin, Y., Boza, V., You, J., Cesista, F., Newhouse, L., &
    Bernstein, J. (2024). Muon: An optimizer for hidden layers in neural
    networks. Blog post, https://kellerjordan.github.io/posts/muon/.

    Liu, J., Su, J., Yao, X., Jiang, Z., Lai, G., Du, Y., et al. (2025). Muon is
    scalable for LLM training. arXiv:2502.16982.
    """
    lr_at = as_schedule(lr)
    check_nonneg("weight_decay", weight_decay)
    check_unit_interval("beta", beta)
    _check_coefficients(ns_coefficients)
    check_nonneg("eps", eps)
    _check_steps(ns_steps)
    check_choice("adjust_lr_fn", adjust_lr_fn, (None, "original", "match_rms_adamw"))

    def init(params):
        arrays = params if is_list(params) else [params]
        for i, p in enumerate(arrays):
            if np.ndim(p) != 2:
                where = f"params[{i}]" if is_list(params) else "params"
                raise ValueError(
                    f"muon only supports 2-D parameters (matrices), but {where} has "
                    f"shape {np.shape(p)}; give it to adamw (see optim.partition)"
                )
        return MuonState(t=0, m=zeros_like(params))

    def step(params, grads, state):
        lr = lr_at(state.t)
        m = beta * state.m + (1 - beta) * grads
        update = (1 - beta) * grads + beta * m if nesterov else m
        ortho = newton_schulz(update, ns_coefficients, ns_steps, eps)
        params = params * (1 - lr * weight_decay)  # decoupled, as AdamW
        params = params - lr * _lr_ratio(adjust_lr_fn, params.shape) * ortho
        return params, MuonState(t=state.t + 1, m=m)

    hyper = {
        "lr": lr,
        "weight_decay": weight_decay,
        "beta": beta,
        "nesterov": nesterov,
        "ns_coefficients": ns_coefficients,
        "eps": eps,
        "ns_steps": ns_steps,
        "adjust_lr_fn": adjust_lr_fn,
    }
    return Optimizer("muon", init, per_array(step), hyper)
