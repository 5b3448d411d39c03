"""plots.plot_family_tree: one box per optimizer, one line per parent link."""

import re

import pytest
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from descent import plots

CJK = re.compile(r"[\u2e80-\u9fff\uac00-\ud7af\uff00-\uffef]")

MEMBERS = {
    "sgd": {"xy": (0, 0), "year": 1951},
    "rprop": {"xy": (1, 1), "year": 1993, "parents": ("sgd",), "note": "sign only"},
    "rmsprop": {"xy": (2, 0), "parents": ("rprop", "sgd"), "note": "EMA of g^2"},
}


def draw(members):
    fig = Figure(figsize=(6, 3))
    FigureCanvasAgg(fig)
    ax = fig.subplots()
    out = plots.plot_family_tree(ax, members)
    fig.canvas.draw()
    return ax, out


def test_one_box_per_member_with_name_year_and_note():
    ax, out = draw(MEMBERS)
    texts = {name: box.get_text() for name, box in out["boxes"].items()}
    assert texts == {"sgd": "sgd (1951)", "rprop": "rprop (1993)\nsign only",
                     "rmsprop": "rmsprop\nEMA of g^2"}
    for name, box in out["boxes"].items():
        assert box.get_bbox_patch().get_edgecolor()[:3] == pytest.approx(
            tuple(int(plots.color_for(name)[i:i + 2], 16) / 255 for i in (1, 3, 5)))
    assert not ax.axison


def test_one_line_per_parent_link_and_english_only_text():
    ax, out = draw(MEMBERS)
    assert set(out["links"]) == {("sgd", "rprop"), ("rprop", "rmsprop"),
                                  ("sgd", "rmsprop")}
    assert not any(CJK.search(t.get_text()) for t in ax.texts)


def test_an_unknown_parent_is_refused():
    with pytest.raises(ValueError, match="parent 'adagrad' of 'rmsprop' is not a "):
        draw({**MEMBERS, "rmsprop": {"xy": (2, 0), "parents": ("adagrad",)}})
