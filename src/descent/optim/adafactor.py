"""Adafactor: RMSprop with a factored second moment and steps relative to |θ|."""

from __future__ import annotations

import math
import numbers
from typing import NamedTuple

import numpy as np

from ._base import (
    LearningRate,
    Optimizer,
    as_schedule,
    check_nonneg,
    init_per_array,
    per_array,
)


class AdafactorState(NamedTuple):
    """The second moment, factored for every array of two or more dimensions.

    ``row``, ``col``: moving averages of the row and column means of g² (torch
    ``row_var``, ``col_var``, without their singleton axis), for arrays with
    ``ndim >= 2`` (the last two axes are factored), else None. ``v``: the
    moving average of g² for vectors and scalars (torch ``variance``), else None.
    """

    t: int
    row: np.ndarray | list | None
    col: np.ndarray | list | None
    v: np.ndarray | list | None


def rms(x: np.ndarray) -> float:
    """The root mean square of the entries of ``x``."""
    return math.sqrt(float(np.mean(np.square(x))))


def factored_second_moment(row: np.ndarray, col: np.ndarray, eps1: float) -> np.ndarray:
    r"""The rank-1 estimate :math:`\hat V = R C / \max(\bar R, \varepsilon_1)` of g².

    ``row`` holds the row means of g² (shape ``(..., n)``), ``col`` the column
    means (``(..., m)``); the result has shape ``(..., n, m)``. For a positive
    matrix whose rows are all proportional (rank 1) it is exact: entry (i, j)
    is row mean i times column mean j over the mean of all entries.

    >>> g2 = np.outer([1.0, 4.0], [1.0, 9.0])
    >>> factored_second_moment(g2.mean(axis=1), g2.mean(axis=0), 0.0)
    array([[ 1.,  9.],
           [ 4., 36.]])
    """
    scale = np.maximum(row.mean(axis=-1), eps1)[..., None, None]
    return row[..., :, None] * col[..., None, :] / scale


def adafactor(
    lr: LearningRate = 1e-2,
    beta2_decay: float = -0.8,
    eps: tuple[float | None, float] = (None, 1e-3),
    d: float = 1.0,
    weight_decay: float = 0.0,
) -> Optimizer:
    r"""Adafactor: RMSprop with a matrix's second moment kept as a row and a column.

    For an :math:`n \times m` matrix, Adam's :math:`v_t` needs :math:`nm` numbers.
    Adafactor keeps only the moving averages :math:`r_t` of the row means and
    :math:`c_t` of the column means of :math:`g_t^2` (:math:`n + m` numbers) and
    rebuilds a rank-1 estimate :math:`\hat V_t` from them. There is no first
    moment. With :math:`g_t = \nabla L(\theta_t)`, from :math:`r_0 = c_0 = 0`:

    .. math::

        \hat\beta_{2,t} &\leftarrow 1 - t^{\tau}, \qquad
        \rho_t \leftarrow \min(\eta, 1/\sqrt t), \qquad
        \alpha_t \leftarrow \max(\varepsilon_2, \operatorname{RMS}(\theta_t))
            \, \rho_t \\
        \theta_t &\leftarrow (1 - \eta\lambda_{\mathrm{wd}})\, \theta_t \\
        r_t &\leftarrow \hat\beta_{2,t}\, r_{t-1}
            + (1-\hat\beta_{2,t})\, \operatorname{mean}_j\, g_{t,ij}^2, \qquad
        c_t \leftarrow \hat\beta_{2,t}\, c_{t-1}
            + (1-\hat\beta_{2,t})\, \operatorname{mean}_i\, g_{t,ij}^2 \\
        \hat V_t &\leftarrow \frac{r_t c_t^{\top}}{\max(\operatorname{mean}(r_t),
            \varepsilon_1)} \\
        U_t &\leftarrow \frac{g_t}{\sqrt{\max(\hat V_t, \varepsilon_1^2)}}, \qquad
        \hat U_t \leftarrow \frac{U_t}{\max(1, \operatorname{RMS}(U_t)/d)} \\
        \theta_{t+1} &\leftarrow \theta_t - \alpha_t\, \hat U_t

    Vectors (and scalars) keep a full :math:`v_t` with the same moving average,
    :math:`\hat V_t = v_t`. Arrays with more than two axes are factored over
    their last two. :math:`\hat\beta_{2,t} = 1 - t^{-0.8}` grows towards 1, so
    the average forgets fast at first and slowly later; at :math:`t = 1` it is
    0 and :math:`\hat V_1 = g_1^2` (no bias correction is needed). The step
    :math:`\alpha_t` is relative: a fraction :math:`\rho_t` of the RMS of the
    parameters (at least :math:`\varepsilon_2`), and update clipping caps the
    RMS of the update at :math:`d`. ε: :math:`\varepsilon_1` is a floor under
    :math:`\sqrt{\hat V_t}` (and under the mean of :math:`r_t`), so it sits
    inside the square root as :math:`\varepsilon_1^2`; ``None`` means the
    machine epsilon of the parameters' dtype. With a schedule for ``lr``, step
    t uses :math:`\eta_t` = ``lr(t - 1)`` in :math:`\rho_t` and in the decay.

    Parameters
    ----------
    lr : float or callable
        :math:`\eta > 0`, the largest relative step :math:`\rho_t` (the paper
        uses 0.01), or a schedule (a function of the step count).
    beta2_decay : float
        :math:`\tau \le 0`: :math:`1 - \hat\beta_{2,t} = t^{\tau}`.
    eps : tuple
        :math:`(\varepsilon_1, \varepsilon_2)`: :math:`\varepsilon_1 \ge 0` or
        ``None``, :math:`\varepsilon_2 \ge 0`.
    d : float
        The clipping threshold :math:`d \ge 1` on :math:`\operatorname{RMS}(U_t)`.
    weight_decay : float
        Decoupled decay :math:`\lambda_{\mathrm{wd}} \ge 0` (per unit of
        :math:`\eta`, as in AdamW).

    Returns
    -------
    Optimizer
        ``init(params)`` gives ``AdafactorState(t=0, row, col, v)``: zeros of
        shapes ``(..., n)`` and ``(..., m)`` for an array of shape
        ``(..., n, m)``, or ``v`` = 0 shaped like a vector.

    Notes
    -----
    The same iterates as ``torch.optim.Adafactor(params, lr=lr,
    beta2_decay=beta2_decay, eps=eps, d=d, weight_decay=weight_decay)``
    (torch 2.13), which differs from the paper in two ways its documentation
    states: the paper has no ``lr`` (:math:`\rho_t = \min(10^{-2}, 1/\sqrt t)`)
    and adds :math:`\varepsilon_1` (default :math:`10^{-30}`) to
    :math:`g_t^2` before averaging rather than flooring the estimate; and the
    paper defines :math:`r_t, c_t` with sums instead of means (the same
    :math:`\hat V_t`). The paper's optional first moment
    (:math:`\beta_1 > 0`) is not in torch, nor here.

    Examples
    --------
    A 2 × 3 matrix keeps 2 + 3 numbers of second moment. When g² has rank 1
    the estimate is exact, and the first step moves every entry by
    :math:`\alpha_1 = \operatorname{RMS}(\theta_1)\cdot 0.01` against the sign of
    its gradient:

    >>> import numpy as np
    >>> opt = adafactor(lr=0.01)
    >>> params = np.ones((2, 3))
    >>> state = opt.init(params)
    >>> state.row.shape, state.col.shape, state.v
    ((2,), (3,), None)
    >>> g = np.outer([1.0, 2.0], [1.0, -3.0, 2.0])
    >>> params, state = opt.step(params, g, state)
    >>> print(params)
    [[0.99 1.01 0.99]
     [0.99 1.01 0.99]]

    References
    ----------
    Shazeer, N., & Stern, M. (2018). Adafactor: Adaptive learning rates with
    sublinear memory cost. *ICML*. arXiv:1804.04235.
    """
    lr_at = as_schedule(lr)
    if isinstance(beta2_decay, bool) or not isinstance(beta2_decay, numbers.Real) or \
            not -math.inf < beta2_decay <= 0:
        raise ValueError(f"beta2_decay must be a number <= 0, got {beta2_decay!r}")
    if not (isinstance(eps, (tuple, list)) and len(eps) == 2):
        raise ValueError(f"eps must be a pair (eps1 or None, eps2), got {eps!r}")
    eps1 = None if eps[0] is None else check_nonneg("eps[0]", eps[0])
    eps2 = check_nonneg("eps[1]", eps[1])
    if isinstance(d, bool) or not isinstance(d, numbers.Real) or not 1 <= d < math.inf:
        raise ValueError(f"d must be a finite number >= 1, got {d!r}")
    check_nonneg("weight_decay", weight_decay)

    def init(params):
        params = np.asarray(params)
        dtype = params.dtype if np.issubdtype(params.dtype, np.floating) else float
        if params.ndim < 2:
            return AdafactorState(0, None, None, np.zeros(params.shape, dtype))
        shape = params.shape
        row, col = np.zeros(shape[:-1], dtype), np.zeros(shape[:-2] + shape[-1:], dtype)
        return AdafactorState(t=0, row=row, col=col, v=None)

    def step(params, grads, state):
        lr, t = lr_at(state.t), state.t + 1
        e1 = np.finfo(params.dtype).eps if eps1 is None else eps1
        rho = min(lr, 1 / math.sqrt(t))  # the relative step size
        alpha = max(eps2, rms(params)) * rho
        if weight_decay:  # decoupled, as AdamW
            params = params * (1 - lr * weight_decay)
        beta2 = 1 - t**beta2_decay
        g2 = grads**2
        if state.v is None:  # a matrix: average the row and column means of g²
            row = beta2 * state.row + (1 - beta2) * g2.mean(axis=-1)
            col = beta2 * state.col + (1 - beta2) * g2.mean(axis=-2)
            v, v_hat = None, factored_second_moment(row, col, e1)
        else:  # a vector: RMSprop's average of g²
            row = col = None
            v = v_hat = beta2 * state.v + (1 - beta2) * g2
        u = grads / np.sqrt(np.maximum(v_hat, e1**2))
        u = u / max(1.0, rms(u) / d)  # update clipping
        return params - alpha * u, AdafactorState(t=t, row=row, col=col, v=v)

    hyper = {
        "lr": lr,
        "beta2_decay": beta2_decay,
        "eps": eps,
        "d": d,
        "weight_decay": weight_decay,
    }
    return Optimizer("adafactor", init_per_array(init), per_array(step), hyper)
