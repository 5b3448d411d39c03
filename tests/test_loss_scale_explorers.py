"""Explorers and figures of the loss scale: ``explore.loss_scale_explorer`` (loss × k
against lr × k per optimizer), ``explore.float16_explorer`` (loss scale S × gradient
size c in float16) and ``plots.plot_float_range``."""

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pytest  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from descent import explore, nets, optim, plots  # noqa: E402
from descent.amp import BFLOAT16, RangeReport  # noqa: E402
from descent.regression import line_fit  # noqa: E402


@pytest.fixture(scope="module")
def fit():
    return line_fit(n=50, rng=np.random.default_rng(0))


@pytest.fixture(scope="module")
def net():
    X, y = nets.two_spirals(32, 0.05, np.random.default_rng(0))
    model = nets.MLP.deep(depth=3, width=6, activation="tanh", init="xavier")
    return model, model.init_params(np.random.default_rng(1)), X, y


def _rows(ex):
    return [line for line in ex.summary_text.splitlines() if line.startswith("opt")]


def test_loss_scale_explorer_sgd_equals_lr_times_k_and_adam_ignores_k(fit):
    ex = explore.loss_scale_explorer(
        fit, {"sgd": optim.sgd(0.1), "adam": optim.adam(0.05)}, [0.25, 1.0],
        steps=40, axis_labels=("$w$", "$b$"), figsize=(5, 2.4), dpi=50)
    assert len(ex.frames) == 4
    assert ex.frames[0].alt == "optimizer = sgd, loss scale k = 0.25"
    rows = {r.split("  ")[0]: r.split()[-3:] for r in _rows(ex)}
    sgd_row = rows["optimizer = sgd, loss scale k = 0.25"]
    assert sgd_row[0] == "0"  # loss × k is lr × k, bit for bit (k a power of two)
    adam_row = rows["optimizer = adam, loss scale k = 0.25"]
    assert float(adam_row[0]) > 0.1  # Adam's lr × k is another run ...
    assert float(adam_row[1]) < 1e-6  # ... its loss × k almost the same as k = 1
    assert rows["optimizer = adam, loss scale k = 1"][:2] == ["0", "0"]
    assert "loss × k" in ex.summary_text and "lr × k" in ex.summary_text


def test_loss_scale_explorer_marks_divergence(fit):
    ex = explore.loss_scale_explorer(fit, {"sgd": optim.sgd(0.5)}, [8.0], steps=30,
                                     figsize=(5, 2.4), dpi=50)
    assert "div" in _rows(ex)[0]


def test_loss_scale_explorer_rejects_bad_arguments(fit):
    with pytest.raises(ValueError, match="ks must be non-empty"):
        explore.loss_scale_explorer(fit, {"sgd": optim.sgd(0.1)}, [0.0])
    with pytest.raises(ValueError, match="opts must name at least one"):
        explore.loss_scale_explorer(fit, {}, [1.0])
    clipped = optim.clip_by_global_norm(optim.sgd(0.1), 1.0)
    with pytest.raises(ValueError, match="must be a descent.optim optimizer"):
        explore.loss_scale_explorer(fit, {"clip": clipped}, [1.0])
    with pytest.raises(ValueError, match="steps must be an integer >= 1"):
        explore.loss_scale_explorer(fit, {"sgd": optim.sgd(0.1)}, [1.0], steps=0)


def test_float16_explorer_shows_underflow_overflow_and_the_cure(net):
    model, params, X, y = net
    ex = explore.float16_explorer(model, params, X, y,
                                  {"1": 1.0, "2^16": 2.0**16, "2^26": 2.0**26},
                                  [1.0, 1e-7], figsize=(4, 2), dpi=50)
    assert len(ex.frames) == 6
    table = {r.split("  ")[0]: r.split()[-4:] for r in ex.summary_text.splitlines()
             if r.startswith("loss scale")}
    tiny = table["loss scale S = 1, gradient size c = 1e-07"]
    assert float(tiny[0]) > 0.9 and tiny[-1] == "taken"  # lost to underflow
    assert table["loss scale S = 2^16, gradient size c = 1e-07"][0] == "0"
    assert table["loss scale S = 2^26, gradient size c = 1"][-1] == "skipped"
    assert "float16 backward pass" in ex.summary_text


def test_float16_explorer_in_bfloat16_loses_nothing(net):
    model, params, X, y = net
    ex = explore.float16_explorer(model, params, X, y, [1.0], [1e-7],
                                  dtype=BFLOAT16, figsize=(4, 2), dpi=50)
    assert "bfloat16 backward pass" in ex.summary_text
    assert ex.summary_text.splitlines()[-1].split()[-4] == "0"


def test_float16_explorer_rejects_bad_arguments(net):
    model, params, X, y = net
    with pytest.raises(ValueError, match="scales and weights must be non-empty"):
        explore.float16_explorer(model, params, X, y, [0.0], [1.0])
    with pytest.raises(ValueError, match="dtype must be a floating format"):
        explore.float16_explorer(model, params, X, y, [1.0], [1.0], dtype=int)


def test_plot_float_range_shades_the_regions_through_the_scale():
    values = np.array([1e-9, 1e-6, 1e-3, 1.0, 1e6])
    fig = Figure()
    ax = fig.add_subplot()
    out = plots.plot_float_range(ax, values, scale=2.0**10)
    assert set(out["regions"]) == {"underflow", "subnormal", "normal", "overflow"}
    lo, hi = out["regions"]["normal"].get_x(), out["regions"]["normal"].get_x() + \
        out["regions"]["normal"].get_width()
    assert lo == pytest.approx(np.log10(2.0**-14 / 2**10))
    assert hi == pytest.approx(np.log10(65504 / 2**10))
    assert out["report"].overflow == 0.2 and out["report"].normal == 0.6
    text = out["text"].get_text() + ax.get_xlabel() + ax.get_ylabel()
    assert text.isascii() or all(ord(ch) < 0x2E80 for ch in text)  # no CJK
    given = RangeReport(0.5, 0.25, 0.25, 0.0, 4)
    out = plots.plot_float_range(ax, values, report=given)
    assert "lost (0): 50.0%" in out["text"].get_text()


def test_float_range_scene_moves_its_artists():
    scene = plots.FloatRangeScene(xlim=(-10, 5), bins=15, ymax=1.0)
    fig = Figure()
    with pytest.raises(RuntimeError, match="setup"):
        scene.draw((np.ones(3), 1.0, RangeReport(0, 0, 1, 0, 3)))
    scene.setup(fig)
    changed = scene.draw((np.array([1e-3, 1e-2]), 2.0**8, RangeReport(0, 0, 1, 0, 2)),
                         title="S = 256")
    assert scene.title.get_text() == "S = 256" and len(changed) == 7
    under = scene.artists["underflow"]
    assert under.get_x() == -10
    assert under.get_x() + under.get_width() == pytest.approx(
        np.log10(2.0**-25 / 2**8))
