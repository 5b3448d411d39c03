"""Explorers of deep networks at initialisation: per-layer gradients.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from descent import plots

from .encoding import EXPLORER_BUDGET_BYTES, FRAME_BUDGET_BYTES
from .render import _SceneAdapter
from .summary import _format_table, format_value
from .widget import Explorer, explorer

#: Init scales of :func:`depth_init_explorer`: weights N(0, gain²/fan_in). For the
#: square hidden layers, gain 1 is Xavier's std and gain √2 is He's; near gain 10 a
#: sigmoid net's backward signal neither vanishes nor explodes (its units saturate).
INIT_GAINS: dict[str, float] = {
    "0.5": 0.5,
    "1 (Xavier)": 1.0,
    "1.41 (He)": float(np.sqrt(2.0)),
    "2": 2.0,
    "4": 4.0,
    "10": 10.0,
}


def depth_init_explorer(
    X: Any,
    y: Any,
    rng: np.random.Generator,
    *,
    depths: Sequence[int] = (5, 10, 15, 20),
    gains: Mapping[str, float] | Sequence[float] | None = None,
    activations: Sequence[str] = ("sigmoid", "tanh", "relu"),
    width: int = 32,
    initial: Mapping[str, Any] | None = None,
    figsize: tuple[float, float] = (7.2, 3.0),
    dpi: float = 110,
    colors: int | None = 64,
    title: str | None = None,
    max_frame_bytes: int = FRAME_BUDGET_BYTES,
    max_total_bytes: int = EXPLORER_BUDGET_BYTES,
) -> Explorer:
    """Per-layer gradients of fresh deep nets over depth × init scale.

    For each depth and gain, nets of ``depth`` layers and hidden ``width``, one per
    activation, start with the weights of a layer with ``fan_in`` inputs drawn
    from N(0, gain²/fan_in) and zero biases (gain 1 is Xavier's std for square
    layers, gain √2 is He's; the default gains are :data:`INIT_GAINS`). The unit
    normal draws come from ``rng`` once per depth and are shared by every gain and
    activation, so two frames of one depth differ only by the scale. Each frame
    shows, per layer l, the backward signal ‖δ_l‖/‖δ_L‖ (the product of the
    Jacobians from the output down to layer l) and the weight gradient ‖∂ℒ/∂W_l‖,
    on the batch ``X``, ``y`` (binary cross-entropy); the axes are the same in
    every frame.

    The printed summary gives the shown frame's numbers for the first, middle and
    last layer, then ‖δ_1‖/‖δ_L‖ for every frame and activation; the returned
    explorer's ``first_to_last`` holds the same ratios as data, keyed by
    ``(depth, gain)`` and then by activation.
    """
    from descent import nets

    if not isinstance(rng, np.random.Generator):
        raise ValueError(f"rng must be a numpy Generator, got {type(rng).__name__}")
    depths = [int(d) for d in depths]
    if not depths or min(depths) < 2:
        raise ValueError(f"depths must be integers >= 2, got {depths}")
    gains = INIT_GAINS if gains is None else gains
    gain_values = list(gains.values()) if isinstance(gains, Mapping) else list(gains)
    if not gain_values or not all(float(g) > 0 for g in gain_values):
        raise ValueError(f"gains must be > 0, got {gain_values}")
    for act in activations:
        if act not in nets.ACTIVATIONS:
            raise ValueError(f"activations must be among {sorted(nets.ACTIVATIONS)}, "
                             f"got {act!r}")
    X = np.asarray(X, dtype=float)
    units = {}
    for depth in depths:
        model = nets.MLP.deep(depth, width, n_in=X.shape[1], init="normal", std=1.0)
        units[depth] = model.init_params(rng)

    data: dict[tuple[int, float], dict[str, tuple[np.ndarray, np.ndarray]]] = {}
    for depth in depths:
        for gain in gain_values:
            params = [p * (float(gain) / np.sqrt(p.shape[1])) if p.ndim == 2 else p
                      for p in units[depth]]
            row = {}
            for act in activations:
                model = nets.MLP.deep(depth, width, n_in=X.shape[1],
                                      activation=act, init="normal", std=1.0)
                r = model.backprop(params, X, y)
                delta = r.delta_norms
                row[act] = (delta / delta[-1], model.layer_grad_norms(r.grads))
            data[depth, float(gain)] = row

    def limits(i: int) -> tuple[float, float]:
        v = np.concatenate([s[i] for row in data.values() for s in row.values()])
        v = v[np.isfinite(v) & (v > 0)]
        return 10.0 ** np.floor(np.log10(v.min())), 10.0 ** np.ceil(np.log10(v.max()))

    def frame(depth: int, gain: float) -> tuple[list[dict[str, Any]], str]:
        row = data[int(depth), float(gain)]
        title = (rf"depth {int(depth)}, width {width}, init std = "
                 rf"${format_value(float(gain))}/\sqrt{{\mathrm{{fan\_in}}}}$")
        return [{a: s[i] for a, s in row.items()} for i in (0, 1)], title

    scene = _SceneAdapter(plots.ProfileScene(
        list(activations),
        [(r"backward signal $\|\delta_l\| / \|\delta_L\|$", limits(0)),
         (r"weight gradient $\|\partial \mathcal{L}/\partial W_l\|$", limits(1))],
        n_layers=max(depths), colors=plots.ACTIVATION_COLORS), frame)

    def summary(depth: int, gain: float) -> str:
        row = data[int(depth), float(gain)]
        layers = sorted({1, (int(depth) + 1) // 2, int(depth)})
        rows = []
        for act, (delta, grad) in row.items():
            cells: dict[str, Any] = {}
            for layer in layers:
                cells[f"d{layer}/dL"] = float(delta[layer - 1])
            for layer in layers:
                cells[f"|dL/dW{layer}|"] = float(grad[layer - 1])
            rows.append((act, cells))
        return _format_table(rows)

    def table(depth: int, gain: float) -> dict[str, Any]:
        return {f"{act} d1/dL": float(s[0][0])
                for act, s in data[int(depth), float(gain)].items()}

    gain_grid = dict(gains) if isinstance(gains, Mapping) else gain_values
    ex = explorer(scene, {"depth": depths, "gain": gain_grid},
                  labels={"depth": "depth", "gain": "init gain"},
                  initial=initial, figsize=figsize, dpi=dpi, colors=colors,
                  title=title, summary=summary,
                  max_frame_bytes=max_frame_bytes, max_total_bytes=max_total_bytes)
    grid_rows = [(f.alt, table(**f.values)) for f in ex.frames]
    ex.summary_text = (ex.summary_text + "\n\nbackward signal of the first layer "
                       "|delta_1| / |delta_L| over the grid\n"
                       + _format_table(grid_rows))
    ex.first_to_last = {key: {act: float(s[0][0]) for act, s in row.items()}
                        for key, row in data.items()}
    return ex
