"""``plots.plot_spectra`` and ``plots.plot_newton_schulz``."""

from __future__ import annotations

import re

import numpy as np
from matplotlib.figure import Figure
from matplotlib.text import Text

from descent import plots
from descent.optim.muon import NS_COEFFICIENTS, newton_schulz_map

CJK = re.compile(r"[\u3000-\u9fff\uff00-\uffef]")


def axes():
    fig = Figure(figsize=(4, 3))
    return fig, fig.add_subplot()


def test_plot_spectra_draws_sorted_normalised_positive_values():
    fig, ax = axes()
    matrix = np.diag([4.0, 2.0, 1.0])
    out = plots.plot_spectra(ax, {"muon": [0.5, 1.0, np.nan], "adam": matrix,
                                  "sgd": [1.0, 0.0, 0.25]})
    x, y = out["adam"].get_data()
    np.testing.assert_allclose(y, [1.0, 0.5, 0.25])
    assert list(x) == [1, 2, 3]
    assert list(out["muon"].get_ydata()) == [1.0, 0.5]  # sorted; the NaN is left out
    assert list(out["sgd"].get_ydata()) == [1.0, 0.25]  # zero left out on a log axis
    assert out["adam"].get_color() == plots.color_for("adam")
    assert ax.get_yscale() == "log"


def test_plot_newton_schulz_draws_the_map_and_the_band():
    fig, ax = axes()
    sigma = np.geomspace(1e-3, 1, 50)
    out = plots.plot_newton_schulz(ax, {"quintic": NS_COEFFICIENTS}, 5,
                                   band=(0.68, 1.2), sigma=sigma,
                                   points=np.array([0.01, 0.5]))
    np.testing.assert_allclose(out["quintic"].get_ydata(),
                               newton_schulz_map(sigma, NS_COEFFICIENTS, 5))
    assert ax.get_xscale() == "log"
    assert len(ax.patches) == 1  # the band
    fig.canvas.draw()
    texts = [t.get_text() for t in fig.findobj(Text)]
    assert texts and not [t for t in texts if CJK.search(t)]
