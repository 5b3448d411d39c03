"""Singular values: of an update matrix, and through the Newton–Schulz map.

:func:`plot_spectra` draws the sorted singular values of several matrices (the
update of one weight matrix under different optimizers, say), each divided by
its largest so that only the shape of the spectrum shows. :func:`plot_newton_schulz`
draws the scalar map p^k that Newton–Schulz applies to every singular value,
with the band it ends in.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from matplotlib.axes import Axes

from descent.plots.common import finite_points
from descent.plots.style import color_for


def plot_spectra(
    ax: Axes,
    spectra: Mapping[str, Any],
    *,
    normalize: bool = True,
    colors: Mapping[str, str] | None = None,
    ylim: tuple[float, float] | None = None,
) -> dict[str, Any]:
    """Sorted singular values of each named matrix, largest first, on a log axis.

    ``spectra`` maps a name to singular values (any order; a matrix is reduced
    to its singular values). With ``normalize`` each is divided by its largest
    value, so a flat line at 1 is an orthogonal update and a falling line one
    dominated by a few directions. Values that are not finite and > 0 are not
    drawn. Returns the line of each name.
    """
    colors = dict(colors or {})
    out: dict[str, Any] = {}
    for name, values in spectra.items():
        s = np.asarray(values, dtype=float)
        if s.ndim == 2:
            s = np.linalg.svd(s, compute_uv=False)
        s = np.sort(finite_points(s.ravel()))[::-1]
        s = s[s > 0]
        if normalize and s.size:
            s = s / s[0]
        (line,) = ax.plot(np.arange(1, s.size + 1), s, marker="o", markersize=3,
                          color=colors.get(name, color_for(name)), label=name)
        out[name] = line
    ax.set_yscale("log")
    if ylim is not None:
        ax.set_ylim(*ylim)
    ax.set_xlabel("index of the singular value")
    ax.set_ylabel(r"$\sigma_i / \sigma_1$" if normalize else r"$\sigma_i$")
    return out


def plot_newton_schulz(
    ax: Axes,
    coefficients: Mapping[str, Sequence[float]],
    steps: int,
    *,
    band: tuple[float, float] | None = None,
    sigma: Any = None,
    points: Any = None,
    colors: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    r"""The map :math:`\sigma \mapsto p^k(\sigma)` of each coefficient set, log σ axis.

    ``coefficients`` maps a name to (a, b, c) of
    :math:`p(\sigma) = a\sigma + b\sigma^3 + c\sigma^5`; ``steps`` is k. The
    dotted line is 1 (exact orthogonalisation), the shaded ``band`` where the
    singular values end. ``points`` (normalised singular values of a matrix) are
    marked on the first map. Returns the line of each name.
    """
    from descent.optim.muon import newton_schulz_map

    sigma = np.geomspace(1e-4, 1.0, 400) if sigma is None else np.asarray(sigma)
    colors = dict(colors or {})
    if band is not None:
        ax.axhspan(band[0], band[1], color="0.85", zorder=0, label="band")
    ax.axhline(1.0, color="0.4", linestyle=":", linewidth=1)
    out: dict[str, Any] = {}
    for i, (name, abc) in enumerate(coefficients.items()):
        y = finite_points(newton_schulz_map(sigma, tuple(abc), int(steps)))
        color = colors.get(name, color_for(name))
        (out[name],) = ax.plot(sigma[: y.size], y, color=color, label=name)
        if i == 0 and points is not None:
            p = np.asarray(points, dtype=float)
            ax.plot(p, newton_schulz_map(p, tuple(abc), int(steps)), "o",
                    color=color, markersize=4, label="_points")
    ax.set_xscale("log")
    ax.set_xlabel(r"$\sigma$ (after dividing by $\|B\|_F$)")
    ax.set_ylabel(rf"$p^{{{int(steps)}}}(\sigma)$")
    return out
