"""The glossary (book/glossary.md) and the search dictionary derived from it.

``book/_ext/glossary_terms.py`` reads the term names of the glossary's
``{glossary}`` blocks and writes them as jieba's user dictionary when the book
is built. These tests need no build: they check that the parser finds every
term the book's vocabulary names, that the dictionary it writes holds every
glossary term, and that jieba keeps each of them in one piece.
"""

from __future__ import annotations

import importlib.util
import logging
from pathlib import Path
from types import SimpleNamespace

import pytest

ROOT = Path(__file__).resolve().parents[1]
GLOSSARY = ROOT / "book" / "glossary.md"

#: The terms every chapter links with {term} (the book's vocabulary rule).
REQUIRED_TERMS = (
    "梯度下降", "随机梯度下降", "小批量", "学习率", "损失函数", "梯度", "轮次",
    "超额损失", "噪声地板", "条件数", "黑塞矩阵", "动量", "重球法", "指数移动平均",
    "Nesterov 加速梯度", "自适应学习率", "累加器", "一阶矩", "二阶矩", "偏差修正",
    "权重衰减", "梯度裁剪", "梯度消失", "梯度爆炸", "平台", "悬崖", "鞍点", "遗憾界",
    "发散", "精度", "交互实验", "初始化",
)


def _load_extension():
    path = ROOT / "book" / "_ext" / "glossary_terms.py"
    spec = importlib.util.spec_from_file_location("glossary_terms", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


glossary_terms = _load_extension()


@pytest.fixture(scope="module")
def terms() -> list[str]:
    return glossary_terms.parse_terms(GLOSSARY.read_text(encoding="utf-8"))


def test_the_parser_finds_every_required_term(terms: list[str]) -> None:
    missing = [t for t in REQUIRED_TERMS if t not in terms]
    assert missing == [], f"book/glossary.md lacks the terms {missing}"


def test_every_term_is_defined_once(terms: list[str]) -> None:
    text = GLOSSARY.read_text(encoding="utf-8")
    lines = [line.rstrip() for line in text.splitlines()]
    twice = [t for t in terms if lines.count(t) > 1]
    assert twice == [], f"terms defined more than once: {twice}"


def test_every_entry_gives_the_english_name(terms: list[str]) -> None:
    # The first line of each definition starts with 中文（English…）.
    text = GLOSSARY.read_text(encoding="utf-8").splitlines()
    lacking = []
    for term in terms:
        start = text.index(term)
        if not text[start + 1].strip().startswith(f"{term}（"):
            lacking.append(term)
    assert lacking == [], f"entries without 中文（English）: {lacking}"


def test_parser_reads_blocks_options_definitions_and_classifiers() -> None:
    text = "\n".join([
        "# Page",
        "",
        "学习率 is not a term outside a glossary block",
        "",
        "```{glossary}",
        ":sorted:",
        "",
        "学习率",
        "  learning rate; a definition",
        "",
        "  second paragraph",
        "Nesterov 加速梯度 : classifier",
        "  the look-ahead",
        "```",
        "",
        ":::{glossary}",
        "交互实验",
        "  explorer",
        ":::",
        "after the block",
    ])
    terms = glossary_terms.parse_terms(text)
    assert terms == ["学习率", "Nesterov 加速梯度", "交互实验"]


def test_search_words_keep_the_chinese_part_of_mixed_terms() -> None:
    terms = ["学习率", "Nesterov 加速梯度", "SGD", "学习率"]
    words = glossary_terms.search_words(terms)
    assert words == ["学习率", "加速梯度"]


def test_the_dictionary_written_holds_every_glossary_term(
    tmp_path: Path, terms: list[str]
) -> None:
    config = SimpleNamespace(html_search_options={"other": "kept"})
    app = SimpleNamespace(srcdir=str(ROOT), outdir=str(tmp_path / "_build" / "html"))
    glossary_terms.write_dictionary(app, config)

    path = Path(config.html_search_options["dict"])
    assert path == (tmp_path / "_build" / glossary_terms.DICTIONARY).resolve()
    assert config.html_search_options["other"] == "kept"
    written = [line.split()[0] for line in path.read_text("utf-8").splitlines()]
    expected = glossary_terms.search_words(terms)
    assert written == expected
    for term in terms:
        chinese = glossary_terms.search_words([term])
        assert chinese and set(chinese) <= set(written), term
    assert app.glossary_dictionary_changed is True

    glossary_terms.write_dictionary(app, config)
    assert app.glossary_dictionary_changed is False, "unchanged content was rewritten"


def test_jieba_keeps_every_term_in_one_piece(tmp_path: Path, terms: list[str]) -> None:
    jieba = pytest.importorskip("jieba")
    jieba.setLogLevel(logging.WARNING)
    path = tmp_path / "search_terms.txt"
    words = glossary_terms.search_words(terms)
    path.write_text(glossary_terms.dictionary_text(words), encoding="utf-8")
    tokenizer = jieba.Tokenizer()
    tokenizer.load_userdict(str(path))
    split = {w: tokenizer.lcut(w) for w in words if tokenizer.lcut(w) != [w]}
    assert split == {}, f"jieba cuts these terms apart: {split}"
    # In running text too: 随机梯度下降 stays one word, 学习率 is found inside it.
    assert "随机梯度下降" in tokenizer.lcut("用随机梯度下降训练")
    assert "学习率" in tokenizer.lcut_for_search("有效学习率一直下降")
