"""descent.show: the page shows the real source, numbered, mapped to formulas."""

import inspect
import textwrap

import numpy as np
import pytest

from descent import optim, show
from descent.show import format_figure, glue


def factory(scale):
    def rule(x):
        y = scale * x
        return y + 1

    return rule


def real_lines(fn):
    return textwrap.dedent(inspect.getsource(fn)).rstrip("\n").split("\n")


def test_show_source_of_an_optimizer_is_its_update_rule():
    opt = optim.adam(lr=0.1)
    src = show.show_source(opt)
    assert list(src.lines) == real_lines(inspect.unwrap(opt.step))
    assert src.name == "_adam.<locals>.step"
    assert src.location == "descent/optim/adam.py"


@pytest.mark.parametrize("name", sorted(optim.OPTIMIZERS))
def test_every_optimizers_rule_can_be_shown(name):
    opt = optim.OPTIMIZERS[name](lr=0.1)
    src = show.show_source(opt)
    assert src.lines[0].lstrip().startswith("def ")
    assert "params" in src.code


def test_functions_defined_inside_a_factory_are_shown():
    src = show.show_source(factory(2.0))
    assert list(src.lines) == ["def rule(x):", "    y = scale * x", "    return y + 1"]
    assert src.location == "test_show.py"


def test_text_output_numbers_the_lines_and_marks_highlights():
    src = show.show_source(factory(2.0), highlight=[2])
    text = repr(src)
    assert "1  def rule(x):" in text
    assert "2>     y = scale * x" in text


def test_html_output_holds_the_source_tokens_and_line_numbers():
    src = show.show_source(factory(2.0), highlight=[3])
    out = src._repr_html_()
    assert "rule" in out and "scale" in out and "return" in out
    assert "background-color: #fff3b0" in out
    assert "descent-source" in out


def test_docstrings_are_left_out_unless_asked_for():
    without = show.show_source(optim.adam)
    with_doc = show.show_source(optim.adam, docstring=True)
    assert "Adam: momentum divided by" not in without.code
    assert "Adam: momentum divided by" in with_doc.code
    assert list(with_doc.lines) == real_lines(optim.adam)
    assert len(without.lines) < len(with_doc.lines)


def test_lines_shows_a_part_and_keeps_its_numbers():
    src = show.show_source(factory(2.0), lines=(2, 3))
    assert src.first == 2
    assert list(src.numbers) == [2, 3]
    assert src.lines == ("    y = scale * x", "    return y + 1")


def test_mapping_pairs_each_formula_with_its_code_line():
    opt = optim.adam(lr=0.1)
    src = show.show_source(opt, mapping={
        r"m_t = \beta_1 m_{t-1} + (1-\beta_1) g_t": "m = beta1 * state.m",
        r"\hat m_t = m_t / (1-\beta_1^t)": "m_hat = m /",
    })
    lines = list(src.lines)
    (f1, n1, code1), (f2, n2, code2) = src.mapping
    assert lines[n1 - 1].strip() == code1 and code1.startswith("m = beta1 * state.m")
    assert lines[n2 - 1].strip() == code2 and code2.startswith("m_hat = m /")
    assert n1 in src.highlight and n2 in src.highlight
    html = src._repr_html_()
    assert r'<span class="math notranslate nohighlight">\(m_t = ' in html
    assert f"line {n1}: {code1}" in repr(src)


def test_mapping_ignores_spacing_differences():
    src = show.show_source(factory(2.0), mapping={"y = s x": "y=scale*x"})
    assert src.mapping == (("y = s x", 2, "y = scale * x"),)


def test_mapping_to_missing_code_raises():
    with pytest.raises(ValueError, match="mapping: code 'z = 0'"):
        show.show_source(factory(2.0), mapping={"z = 0": "z = 0"})


def test_bad_lines_and_highlights_raise():
    with pytest.raises(ValueError, match="lines must satisfy 1 <= first <= last <= 3"):
        show.show_source(factory(2.0), lines=(2, 9))
    with pytest.raises(ValueError, match="highlight must lie in the shown lines"):
        show.show_source(factory(2.0), lines=(1, 2), highlight=[3])


def test_objects_without_source_are_refused():
    with pytest.raises(TypeError, match="obj must be a function"):
        show.show_source(len)


# --- glued figures ------------------------------------------------------------------

@pytest.mark.parametrize("value, fmt, text", [
    (0.0094, "×1", "9.4×10⁻³"),
    (-1.234e5, "×2", "-1.23×10⁵"),
    (0.0, "×1", "0.0"),
    (41.3, ".0f", "41"),
    (np.float64(0.15537), None, "0.155"),
    (np.int64(614), None, "614"),
    (0.0454, ".1%", "4.5%"),
    ("41°", None, "41°"),
])
def test_format_figure(value, fmt, text) -> None:
    assert format_figure(value, fmt) == text


@pytest.mark.parametrize("value, fmt", [
    (float("nan"), "×1"), (True, None), ("text", ".2f"), (1.0, ".2q")])
def test_format_figure_rejects_bad_input(value, fmt) -> None:
    with pytest.raises(ValueError, match="value|fmt"):
        format_figure(value, fmt)


def test_glue_stores_plain_text_that_myst_nb_reads(monkeypatch) -> None:
    shown = []
    monkeypatch.setattr("IPython.display.display",
                        lambda data, **kw: shown.append((data, kw)))
    assert glue("sgd_floor", 0.0094, "×1") is None
    (data, kw), = shown
    assert kw["metadata"]["scrapbook"]["name"] == "sgd_floor"
    prefix = kw["metadata"]["scrapbook"]["mime_prefix"]
    assert prefix == "application/papermill.record/"
    # myst-nb's {glue:text} literal-evaluates text/plain: the quotes disappear.
    from myst_nb.core.variables import format_plain_text
    assert format_plain_text(data[prefix + "text/plain"], "") == "9.4×10⁻³"
    with pytest.raises(ValueError, match="name"):
        glue("not a name", 1.0)
