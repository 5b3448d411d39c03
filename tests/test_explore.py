"""descent.explore: precomputed frames linked to sliders in the browser."""

import base64
import io
import itertools
import re

import ipywidgets as widgets
import matplotlib.pyplot as plt
import numpy as np
import pytest
from ipywidgets.widgets.widget_link import Link
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from PIL import Image

from descent import explore, landscapes, optim, plots, run

LRS = [0.01, 0.1, 1.0]
BETAS = [0.0, 0.5, 0.9, 0.99]


def draw_line(ax, lr, beta=0.0):
    x = np.linspace(0, 1, 50)
    ax.plot(x, lr * x + beta, color="C0")
    ax.set_ylim(0, 3)
    ax.set_xlim(0, 1)


def small(draw=draw_line, grids=None, **kw):
    kw.setdefault("figsize", (2.0, 1.5))
    kw.setdefault("dpi", 50)
    return explore.explorer(draw, grids or {"lr": LRS}, **kw)


def links(ex):
    """Each jslink as ((source widget, trait), (target widget, trait))."""
    return [(tuple(ln.source), tuple(ln.target)) for ln in ex.links]


def by_identity(pairs):
    return sorted((id(s), st, id(t), tt) for (s, st), (t, tt) in pairs)


def alt_of(frame_widget):
    return re.search(r'alt="([^"]*)"', frame_widget.value).group(1)


def frame_pixels(ex, frame):
    """What the browser shows for a frame: the base image under the frame's."""
    base = re.search(r'base64,([^"]+)', ex.base_style).group(1)
    over = re.search(r'base64,([^"]+)', frame.html).group(1)
    base = Image.open(io.BytesIO(base64.b64decode(base))).convert("RGBA")
    over = Image.open(io.BytesIO(base64.b64decode(over))).convert("RGBA")
    return np.asarray(Image.alpha_composite(base, over).convert("RGB"))


# --- one slider -------------------------------------------------------------------


def test_one_slider_explorer_has_a_frame_per_grid_value():
    ex = small()
    assert isinstance(ex, widgets.VBox)
    assert ex._dom_classes == ("descent-explorer",)
    (slider,) = ex.sliders
    assert isinstance(slider, widgets.SelectionSlider)
    assert slider.options == (("0.01", 0.01), ("0.1", 0.1), ("1", 1.0))
    assert slider.label == "0.01" and slider.value == 0.01
    assert len(ex.frames) == len(ex.stack.children) == 3
    assert [f.values for f in ex.frames] == [{"lr": v} for v in LRS]
    assert slider in ex.children and ex.stack in ex.children


def test_one_slider_index_is_jslinked_to_the_stacks_selected_index():
    ex = small()
    assert links(ex) == [((ex.sliders[0], "index"), (ex.stack, "selected_index"))]
    assert all(type(ln) is Link for ln in ex.links)


def test_frames_alt_texts_name_the_values_in_slider_order():
    ex = small(labels={"lr": "η"})
    assert ex.sliders[0].description == "η"
    assert [alt_of(w) for w in ex.stack.children] == ["η = 0.01", "η = 0.1", "η = 1"]


def test_a_grid_can_be_a_mapping_from_label_to_value():
    calls = []
    ex = small(lambda ax, lr: calls.append(lr), {"lr": {"small": 1e-3, "big": 1.0}})
    assert [label for label, _ in ex.sliders[0].options] == ["small", "big"]
    assert calls == [1e-3, 1.0]
    assert ex.frame(lr="big").alt == "lr = big"


def test_initial_value_selects_the_first_frame_shown():
    ex = small(initial={"lr": 0.1})
    assert ex.sliders[0].index == 1
    assert ex.stack.selected_index == 1


def test_each_frame_shows_exactly_what_draw_drew():
    ex = small(colors=None)
    fig = Figure(figsize=(2.0, 1.5), dpi=50, layout="constrained")
    FigureCanvasAgg(fig)
    for frame in ex.frames:
        fig.clear()
        with plt.rc_context(plots.BOOK_RC):
            draw_line(fig.add_subplot(), **frame.values)
            fig.canvas.draw()
        expected = np.asarray(fig.canvas.buffer_rgba())[..., :3]
        np.testing.assert_array_equal(frame_pixels(ex, frame), expected)


def test_the_base_image_is_painted_under_every_frame_by_one_style():
    ex = small()
    head = ex.children[0]
    assert isinstance(head, widgets.HTML) and head.value.startswith("<style>")
    base_class = re.search(r"\.(descent-base-[0-9a-f]+)\{", ex.base_style).group(1)
    assert all(f'class="{base_class}"' in f.html for f in ex.frames)


def test_frames_are_palette_pngs_sized_by_figsize_and_dpi():
    ex = small(colors=16)
    data = re.search(r'base64,([^"]+)', ex.frames[1].html).group(1)
    image = Image.open(io.BytesIO(base64.b64decode(data)))
    assert image.format == "PNG" and image.mode == "P"
    assert image.size == (100, 75)
    assert 'width="192"' in ex.frames[1].html  # 2 inches at 96 CSS pixels an inch


def test_explorer_never_opens_a_pyplot_figure():
    before = plt.get_fignums()
    small()
    assert plt.get_fignums() == before


# --- two sliders ------------------------------------------------------------------


def test_two_sliders_nest_one_stack_per_first_slider_value():
    ex = small(grids={"lr": LRS, "beta": BETAS})
    outer = ex.stack
    assert len(ex.frames) == len(LRS) * len(BETAS)
    assert len(outer.children) == len(LRS)
    for inner in outer.children:
        assert isinstance(inner, widgets.Stack)
        assert len(inner.children) == len(BETAS)
        assert all(isinstance(w, widgets.HTML) for w in inner.children)


def test_two_sliders_link_the_outer_stack_to_the_first_and_inner_ones_to_the_second():
    ex = small(grids={"lr": LRS, "beta": BETAS})
    s1, s2 = ex.sliders
    expected = [((s1, "index"), (ex.stack, "selected_index"))]
    expected += [((s2, "index"), (inner, "selected_index"))
                 for inner in ex.stack.children]
    assert by_identity(links(ex)) == by_identity(expected)
    assert len(ex.links) == 1 + len(LRS)


def test_nested_frames_sit_where_the_sliders_point():
    ex = small(grids={"lr": LRS, "beta": BETAS}, labels={"beta": "β"})
    for (i, lr), (j, beta) in itertools.product(enumerate(LRS), enumerate(BETAS)):
        shown = ex.stack.children[i].children[j]
        assert alt_of(shown) == (f"lr = {explore.format_value(lr)}, "
                                 f"β = {explore.format_value(beta)}")
        assert ex.frame(lr=lr, beta=beta).html == shown.value


def test_draw_gets_every_combination_of_values():
    calls = []
    small(lambda ax, lr, beta: calls.append((lr, beta)), {"lr": LRS, "beta": BETAS})
    assert calls == list(itertools.product(LRS, BETAS))


def test_draw_can_receive_the_figure_or_several_axes():
    seen = []
    small(lambda fig, lr: seen.append(type(fig).__name__), subplots=None)
    small(lambda axes, lr: seen.append(np.shape(axes)), subplots=(1, 2))
    assert seen[:3] == ["Figure"] * 3 and seen[3:] == [(2,)] * 3


# --- play -------------------------------------------------------------------------


def test_play_steps_the_named_slider_through_its_values():
    ex = small(lambda ax, lr, t: None, {"lr": LRS, "t": [0, 1, 2, 3, 4]}, play="t",
               interval=200)
    play = ex.play
    assert isinstance(play, widgets.Play)
    assert (play.min, play.max, play.step, play.interval) == (0, 4, 1, 200)
    assert ((play, "value"), (ex.sliders[1], "index")) in links(ex)


def test_play_must_name_a_slider():
    with pytest.raises(ValueError, match="play must name one of the sliders"):
        small(play="beta")


# --- size budget ------------------------------------------------------------------


def test_size_budget_per_frame_raises_a_clear_error():
    with pytest.raises(ValueError, match=r"size budget.*max_frame_bytes=0\.1 KB"):
        small(max_frame_bytes=100)


def test_size_budget_per_explorer_raises_a_clear_error():
    with pytest.raises(ValueError, match=r"max_total_bytes=1 KB.*lower dpi=50"):
        small(max_total_bytes=1000)


def test_reported_size_is_the_embedded_size():
    ex = small()
    assert ex.nbytes == len(ex.base_style) + sum(len(f.html) for f in ex.frames)
    assert sum(f.nbytes for f in ex.frames) / 3 <= explore.FRAME_BUDGET_BYTES


# --- summary ----------------------------------------------------------------------


def test_summary_is_printed_for_the_initial_frame(capsys):
    ex = small(initial={"lr": 1.0}, summary=lambda lr: f"slope {lr:.2f}")
    ex._ipython_display_()
    out = capsys.readouterr().out
    assert "shown first: lr = 1\nslope 1.00" in out
    assert "Explorer: lr (3), 3 frames" in out


def test_table_prints_one_row_per_frame():
    ex = small(grids={"lr": LRS, "beta": [0.0, 0.9]},
               table=lambda lr, beta: {"end": lr + beta, "note": "ok"})
    lines = ex.summary_text.splitlines()
    assert lines[0].split() == ["end", "note"]
    assert lines[1].split() == ["lr", "=", "0.01,", "beta", "=", "0", "0.01", "ok"]
    assert len(lines) == 1 + 6


def test_summary_and_repr_are_the_same_on_every_build():
    build = lambda: small(grids={"lr": LRS, "beta": BETAS},  # noqa: E731
                          summary=lambda lr, beta: f"{lr * beta:.3g}")
    a, b = build(), build()
    assert a.summary_text == b.summary_text
    assert repr(a) == repr(b) == "Explorer: lr (3) × beta (4), 12 frames"
    assert [f.html for f in a.frames] == [f.html for f in b.frames]


def test_format_number_rounds_and_never_prints_minus_zero():
    assert explore.format_number(1 / 3) == "0.333"
    assert explore.format_number(-0.0) == "0"
    assert explore.format_number(-1e-20) == ">-1e-12"
    assert explore.format_number(2.5e-13) == "<1e-12"
    assert explore.format_number(123456.0) == "1.23e+05"


# --- bad input --------------------------------------------------------------------


@pytest.mark.parametrize(
    "kw, message",
    [
        ({"grids": {}}, "grids must be a non-empty mapping"),
        ({"grids": {"lr": []}}, "grid 'lr' must hold at least one value"),
        ({"grids": {"lr": 0.1}}, "grid 'lr' must be a sequence"),
        ({"grids": {"lr": [0.1, 0.10000001]}}, "share a label"),
        ({"labels": {"beta": "β"}}, "labels names unknown sliders"),
        ({"initial": {"lr": 0.5}}, "initial lr must be one of"),
        ({"colors": 1}, r"colors must be None or an integer in \[2, 256\]"),
        ({"interval": 1}, "interval must be >= 10"),
    ],
)
def test_bad_arguments_raise_value_errors_naming_them(kw, message):
    grids = kw.pop("grids", {"lr": LRS})
    with pytest.raises(ValueError, match=message):
        explore.explorer(draw_line, grids, figsize=(2, 1.5), dpi=50, **kw)


# --- trajectory explorers ---------------------------------------------------------


def make_opts(lr, beta=0.9):
    return {"sgd": optim.sgd(lr), "momentum": optim.momentum(lr, beta=beta),
            "adam": optim.adam(lr)}


@pytest.fixture(scope="module")
def quad():
    return landscapes.quadratic(condition=10.0)


def test_trajectory_explorer_summary_comes_from_the_runs(quad):
    ex = explore.trajectory_explorer(quad, make_opts, {"lr": [0.01, 0.05, 0.25]},
                                     steps=40, figsize=(4, 2), dpi=50,
                                     initial={"lr": 0.05})
    trajs = run.race(make_opts(0.05), quad, steps=40)
    text = ex.summary_text
    assert text.startswith("shown first: lr = 0.05\n")
    for name, t in trajs.items():
        row = next(ln for ln in text.splitlines() if ln.startswith(name + " "))
        assert explore.format_number(t.final_loss) in row.split()
    grid = text.split("final loss over the grid\n")[1].splitlines()
    assert grid[0].split() == ["sgd", "momentum", "adam"]
    assert [ln.split(" ")[2] for ln in grid[1:]] == ["0.01", "0.05", "0.25"]


def test_trajectory_explorer_reports_divergence_in_both_summaries(quad):
    ex = explore.trajectory_explorer(quad, make_opts, {"lr": [0.01, 0.5]}, steps=30,
                                     figsize=(4, 2), dpi=50, initial={"lr": 0.5})
    k = run.run(optim.sgd(0.5), quad, steps=30).diverged_at
    assert k is not None  # precondition: this learning rate is too large for SGD
    assert f"step {k}" in ex.summary_text
    assert f"div@{k}" in ex.summary_text


def test_trajectory_explorer_steps_through_time_with_play(quad):
    ex = explore.trajectory_explorer(quad, lambda: make_opts(0.1),
                                     {"step": [0, 10, 20]}, steps=20, figsize=(4, 2),
                                     dpi=50)
    assert ex.play is not None
    assert ((ex.play, "value"), (ex.sliders[0], "index")) in links(ex)
    assert [f.alt for f in ex.frames] == ["step = 0", "step = 10", "step = 20"]
    # The first frame shows the start only: every loss is the starting loss.
    f0 = float(quad.value(quad.start))
    first, end = ex.summary_text.split("\n\nafter all 20 steps\n")
    assert first.count(explore.format_number(f0)) == 3
    final = run.run(optim.adam(0.1), quad, steps=20).final_loss
    adam_row = next(ln for ln in end.splitlines() if ln.startswith("adam "))
    assert explore.format_number(final) in adam_row.split()


def test_trajectory_explorer_rejects_times_beyond_steps(quad):
    with pytest.raises(ValueError, match=r"grid 'step' must lie in \[0, steps=20\]"):
        explore.trajectory_explorer(quad, make_opts, {"step": [0, 30]}, steps=20)


# --- live mode --------------------------------------------------------------------


def test_live_updates_the_same_figure_in_place(quad):
    before = plt.get_fignums()
    lv = explore.trajectory_live(quad, make_opts, {"lr": (1e-3, 0.3)}, log=["lr"],
                                 steps=50, values={"lr": 0.01}, dpi=40)
    fig = lv.figure
    paths = {n: a["path"] for n, a in lv._renderer.draw.scene.artists.items()}
    n_artists = len(fig.findobj())
    first_png = lv.image.value
    first_x = paths["adam"].get_xdata().copy()
    lv.set(lr=0.2)
    assert lv.figure is fig
    assert len(fig.findobj()) == n_artists
    assert paths["adam"] is lv._renderer.draw.scene.artists["adam"]["path"]
    assert not np.array_equal(paths["adam"].get_xdata(), first_x)
    expected = run.run(optim.adam(0.2), quad, steps=50).params
    np.testing.assert_array_equal(np.column_stack(paths["adam"].get_data()), expected)
    assert lv.image.value != first_png
    assert plt.get_fignums() == before


def test_live_slider_moves_trigger_a_redraw(quad):
    lv = explore.trajectory_live(quad, make_opts, {"lr": (0.01, 0.2)}, steps=20,
                                 dpi=40)
    text = lv.summary_text
    lv.sliders["lr"].value = 0.02
    assert lv.summary_text != text


def test_live_with_a_plain_draw_function_reuses_its_figure():
    lv = explore.live(draw_line, {"lr": (0.0, 2.0), "beta": (0.0, 1.0, 0.1)},
                      values={"lr": 0.5}, figsize=(2, 1.5), dpi=40,
                      summary=lambda lr, beta: f"{lr:.2f} {beta:.2f}")
    fig = lv.figure
    assert lv.summary_text == "0.50 0.50"
    lv.set(beta=0.2)
    assert lv.figure is fig and len(fig.axes) == 1
    assert lv.summary_text == "0.50 0.20"
    assert isinstance(lv.sliders["beta"], widgets.FloatSlider)


@pytest.mark.parametrize(
    "ranges, kw, message",
    [
        ({}, {}, "ranges must be a non-empty mapping"),
        ({"lr": (1.0, 0.5)}, {}, "min < max"),
        ({"lr": (0.0, 1.0)}, {"log": ["lr"]}, "log range of 'lr' must be positive"),
        ({"lr": (0.1, 1.0)}, {"labels": {"x": "x"}}, "unknown sliders"),
    ],
)
def test_live_rejects_bad_ranges(ranges, kw, message):
    with pytest.raises(ValueError, match=message):
        explore.live(draw_line, ranges, figsize=(2, 1.5), dpi=40, **kw)
