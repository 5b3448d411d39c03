"""Explorers of matrix optimizers: Newton–Schulz steps, and a family on a factorisation.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np

from descent import plots

from .encoding import EXPLORER_BUDGET_BYTES, FRAME_BUDGET_BYTES
from .summary import _format_table, format_number, format_value
from .widget import Explorer, explorer


def newton_schulz_explorer(
    G: Any,
    coefficients: Mapping[str, Sequence[float]],
    *,
    steps: Sequence[int] = tuple(range(9)),
    initial: Mapping[str, Any] | None = None,
    figsize: tuple[float, float] = (7.2, 2.9),
    dpi: float = 100,
    colors: int | None = 64,
    title: str | None = None,
    max_frame_bytes: int = FRAME_BUDGET_BYTES,
    max_total_bytes: int = EXPLORER_BUDGET_BYTES,
) -> Explorer:
    """Newton–Schulz on the matrix ``G``: the scalar map and the singular values.

    Sliders: the coefficient set (a name of ``coefficients``, each (a, b, c))
    and the number of steps k. Left, the map p^k on the normalised singular
    values σ/‖G‖_F, with those of ``G`` marked; right, the singular values of
    the result, which would all be 1 for an exact orthogonalisation. The band
    of the chosen coefficients is shaded in both. The printed table gives, for
    every frame, how many singular values of the result are at least 1/2.
    """
    from descent.optim.muon import newton_schulz, newton_schulz_band

    G = np.asarray(G, dtype=float)
    if G.ndim != 2:
        raise ValueError(f"G must be a 2-D matrix, got shape {G.shape}")
    if not coefficients:
        raise ValueError("coefficients must name at least one (a, b, c)")
    steps = [int(k) for k in steps]
    if not steps or min(steps) < 0:
        raise ValueError(f"steps must be integers >= 0, got {steps}")
    names = list(coefficients)
    bands = {n: newton_schulz_band(tuple(coefficients[n])) for n in names}
    s_in = np.linalg.svd(G, compute_uv=False) / np.linalg.norm(G)
    s_out = {(n, k): np.linalg.svd(newton_schulz(G, tuple(coefficients[n]), k),
                                   compute_uv=False)
             for n in names for k in steps}
    sigma = np.geomspace(max(float(s_in.min()), 1e-12) / 2, 1.0, 400)
    top = max(1.3, max(float(s.max()) for s in s_out.values()) * 1.05)

    def draw(axes, coeffs: str, k: int) -> None:
        left, right = axes
        color = plots.color_for("muon")
        plots.plot_newton_schulz(left, {coeffs: coefficients[coeffs]}, k,
                                 band=bands[coeffs], sigma=sigma, points=s_in,
                                 colors={coeffs: color})
        left.set_ylim(0, top)
        out = s_out[coeffs, k]
        right.axhspan(*bands[coeffs], color="0.85", zorder=0)
        right.axhline(1.0, color="0.4", linestyle=":", linewidth=1)
        right.bar(np.arange(1, out.size + 1), out, color=color, width=0.7)
        right.set_ylim(0, top)
        right.set_xlabel("index of the singular value")
        right.set_ylabel("singular value of the result")
        right.set_title(f"{coeffs}, k = {k}", fontsize=9)

    def lifted(coeffs: str, k: int) -> int:  # singular values of the result >= 1/2
        return int(np.sum(s_out[coeffs, k] >= 0.5))

    rows = [(n, {f"k={k}": f"{lifted(n, k)}/{s_in.size}" for k in steps})
            for n in names]

    def summary(coeffs: str, k: int) -> str:
        lo, hi = bands[coeffs]
        out = s_out[coeffs, k]
        return (f"input: {s_in.size} singular values, sigma / ||G||_F from "
                f"{format_number(s_in.min())} to {format_number(s_in.max())}\n"
                f"{coeffs}: band [{format_number(lo)}, {format_number(hi)}]; after "
                f"k = {k}: {lifted(coeffs, k)} singular values >= 1/2, the largest "
                f"{format_number(out.max())}")

    ex = explorer(draw, {"coeffs": names, "k": steps}, subplots=(1, 2),
                  labels={"coeffs": "coefficients", "k": "steps k"},
                  initial=initial, figsize=figsize, dpi=dpi, colors=colors,
                  title=title, summary=summary, max_frame_bytes=max_frame_bytes,
                  max_total_bytes=max_total_bytes)
    ex.summary_text += ("\n\nsingular values of the result >= 1/2\n"
                        + _format_table(rows))
    return ex


def update_spectrum(traj: Any, shape: tuple[int, int], step: int) -> np.ndarray:
    """Singular values of the update of the first matrix of θ at ``step``.

    The update is ``params[step] - params[step - 1]`` of a run, its first
    ``n·m`` entries reshaped to ``shape`` (the first factor U of a
    :class:`~descent.matrices.Factorization`).
    """
    n, m = shape
    step = min(int(step), traj.steps)
    delta = traj.params[step] - traj.params[step - 1]
    return np.linalg.svd(delta[: n * m].reshape(n, m), compute_uv=False)


def matrix_family_explorer(
    objective: Any,
    optimizers: Mapping[str, Callable[[float], Any]],
    *,
    factors: Sequence[float],
    steps: int,
    show_steps: Sequence[int],
    spectra: Sequence[str],
    initial: Mapping[str, Any] | None = None,
    figsize: tuple[float, float] = (7.6, 3.0),
    dpi: float = 100,
    colors: int | None = 64,
    title: str | None = None,
    max_frame_bytes: int = FRAME_BUDGET_BYTES,
    max_total_bytes: int = EXPLORER_BUDGET_BYTES,
) -> Explorer:
    """Several optimizers on a :class:`~descent.matrices.Factorization` × learning rate.

    ``optimizers`` maps a name to a function of the rate factor f that builds
    the optimizer for the flat θ (each has its own base rate, so f = 1 is
    every optimizer at a sensible rate and f = 4 every one at four times it).
    Sliders: f in ``factors`` and the step t in ``show_steps``. Left, the excess
    loss of every run over ``steps`` steps, a dotted line at t; right, the
    singular values of the update of U at step t for the runs named in
    ``spectra``, each divided by its largest: an orthogonalised update is flat.
    The printed table gives every run's final excess loss for every f, and for
    the shown frame the median singular value of each update over its largest
    (1 for an orthogonal update).
    """
    from descent import run

    factors = [float(f) for f in factors]
    show_steps = [int(t) for t in show_steps]
    if not factors or min(factors) <= 0:
        raise ValueError(f"factors must be non-empty and > 0, got {factors}")
    if not show_steps or min(show_steps) < 1 or max(show_steps) > int(steps):
        raise ValueError(f"show_steps must lie in [1, {steps}], got {show_steps}")
    unknown = sorted(set(spectra) - set(optimizers))
    if unknown:
        raise ValueError(f"spectra names unknown optimizers {unknown}")
    shape = objective.shapes[0]
    runs = {(name, f): run.run(make(f), objective, steps=int(steps), name=name,
                               bound=1e3)
            for f in factors for name, make in optimizers.items()}
    gaps = np.concatenate([t.gap for t in runs.values()])
    gaps = gaps[np.isfinite(gaps) & (gaps > 0)]
    ylim = (max(float(gaps.min()), float(gaps.max()) * 1e-14) / 2,
            float(gaps.max()) * 2)

    def spectrum(name: str, f: float, t: int) -> np.ndarray:
        return update_spectrum(runs[name, f], shape, t)

    def draw(axes, factor: float, t: int) -> None:
        left, right = axes
        plots.plot_curves(left, {n: runs[n, factor].gap for n in optimizers},
                          log=True, xlabel="steps taken",
                          ylabel=r"$L(\theta) - L^*$", legend=False)
        left.set_ylim(*ylim)
        left.axvline(t, color="0.5", linestyle=":", linewidth=1)
        left.set_title(f"lr = {format_value(factor)} x base", fontsize=9)
        plots.plot_spectra(right, {n: spectrum(n, factor, t) for n in spectra},
                           ylim=(1e-4, 2.0))
        right.set_title(f"update of U at step {t}", fontsize=9)
        handles, labels = left.get_legend_handles_labels()
        right.legend(handles, labels, loc="lower left", fontsize=6.5, ncol=2)

    def summary(factor: float, t: int) -> str:
        lines = [run.summary(runs[n, factor]) for n in optimizers]
        ratios = "  ".join(
            f"{n} {format_number(float(np.median(s)) / s.max())}"
            for n in spectra for s in [spectrum(n, factor, t)])
        return ("\n".join(lines)
                + f"\nupdate of U at step {t}, median sigma / largest: {ratios}")

    def final(traj: Any) -> Any:
        return f"div@{traj.diverged_at}" if traj.diverged else float(traj.gap[-1])

    rows = [(f"lr x {format_value(f)}", {n: final(runs[n, f]) for n in optimizers})
            for f in factors]
    ex = explorer(draw, {"factor": factors, "t": show_steps}, subplots=(1, 2),
                  labels={"factor": "lr factor", "t": "step t"}, initial=initial,
                  figsize=figsize, dpi=dpi, colors=colors, title=title,
                  summary=summary, max_frame_bytes=max_frame_bytes,
                  max_total_bytes=max_total_bytes)
    ex.summary_text += (f"\n\nexcess loss after {steps} steps\n" + _format_table(rows))
    ex.runs = runs
    return ex
