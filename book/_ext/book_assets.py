"""Sphinx extension: make every page of the book work offline and without errors.

The book is published as static HTML that loads nothing from third parties.
This extension does the parts of that which configuration alone cannot do:

* checks that the vendored front-end assets (``book/vendor``, filled by
  ``scripts/vendor_assets.py``) exist, so a build without them fails loudly
  instead of publishing pages whose widgets or formulas never render;
* bridges, on widget pages, the MathJax 2 call ipywidgets makes for widget
  labels to MathJax 3, and starts the widget manager as soon as the page is
  parsed rather than at the load event (after every figure, font and
  deferred script, MathJax included);
* keeps out of the pages what the book does not use (``templates/layout.html``):
  the theme's FontAwesome script (1.5 MB; the theme's stylesheet already draws
  its icons with the FontAwesome web font, and the script would replace the
  widgets' ``<i>`` icons by SVG), and, outside the search page, the search
  index and search scripts, which only the theme's search-as-you-type option
  (off) uses on other pages;
* removes duplicate ``<script>`` entries from each page: an inline script
  registered twice (once with filename ``None``, once with ``''``) declares
  ``const THEBE_JS_URL`` twice on widget pages, a console error;
* resolves the Chinese search dictionary (``html_search_options["dict"]``)
  against the book's source folder, so the build may run from anywhere, and
  quiets jieba's progress messages;
* indexes, for Chinese search, the dictionary words hidden inside longer words
  (梯度下降 inside 随机梯度下降), which jieba's search mode leaves out.
"""

from __future__ import annotations

import logging
import re
from pathlib import Path
from typing import Any

from markupsafe import Markup
from sphinx.application import Sphinx
from sphinx.config import Config
from sphinx.search.zh import SearchChinese
from sphinx.util import logging as sphinx_logging

logger = sphinx_logging.getLogger(__name__)

# Files below each html_static_path entry that the pages load.
REQUIRED_ASSETS = (
    "html-manager/embed.js",
    "mathjax/tex-mml-chtml.js",
)
# The self-contained widget manager (nb_ipywidgets_js in _config.yml). It finds
# its icon fonts relative to its own URL, so the vendored copies are used.
WIDGET_EMBEDDER = "html-manager/embed.js"
TEMPLATES = Path(__file__).parent / "templates"

# ipywidgets typesets widget labels through the MathJax 2 API
# (MathJax.Hub.Queue), which MathJax 3 does not have: without this bridge every
# widget description raises "Cannot read properties of undefined (reading
# 'Queue')". It keeps the page's MathJax configuration, forwards typeset
# requests to MathJax 3 and queues those made before MathJax has loaded.
MATHJAX2_BRIDGE = """(function () {
  var pending = [];
  function typeset(elements) {
    var mj = window.MathJax;
    if (mj && mj.typesetPromise && mj.startup && mj.startup.promise) {
      mj.startup.promise = mj.startup.promise
        .then(function () { return mj.typesetPromise(elements); })
        .catch(function (err) { console.warn("MathJax typeset failed", err); });
    } else {
      pending.push.apply(pending, elements);
    }
  }
  var hub = {Queue: function () {
    for (var i = 0; i < arguments.length; i++) {
      var job = arguments[i];
      if (Array.isArray(job) && job[0] === "Typeset" && job[2]) { typeset([job[2]]); }
    }
  }};
  var config = window.MathJax = window.MathJax || {};
  config.Hub = hub;
  var startup = config.startup = config.startup || {};
  var ready = startup.ready;
  startup.ready = function () {
    if (ready) { ready(); } else { window.MathJax.startup.defaultReady(); }
    window.MathJax.Hub = hub;
    if (pending.length) { typeset(pending.splice(0)); }
  };
})();"""


# The widget manager (embed.js) renders the widgets in a listener of the
# window's load event, i.e. after every figure, font and deferred script of
# the page (MathJax's typesetting included). The first script, placed before
# embed.js, holds back the load listeners registered while embed.js runs;
# the second, right after it, restores addEventListener and calls them as
# soon as the document is parsed (readyState "interactive", before the
# deferred scripts run). The widget views and their state are in the page by
# then, which is all the manager reads.
EARLY_WIDGETS_HOLD = """(function () {
  var add = window.addEventListener;
  var held = [];
  window.addEventListener = function (type, listener, options) {
    if (type !== "load") { return add.call(window, type, listener, options); }
    held.push(listener);
  };
  window.__bookStartWidgets = function () {
    window.addEventListener = add;
    function start() {
      held.splice(0).forEach(function (listener) {
        listener.call(window, new Event("load"));
      });
    }
    if (document.readyState === "loading") {
      document.addEventListener("readystatechange", start, {once: true});
    } else {
      start();
    }
  };
})();"""
EARLY_WIDGETS_START = "window.__bookStartWidgets();"


def _static_dirs(app: Sphinx) -> list[Path]:
    return [Path(app.confdir, p) for p in app.config.html_static_path]


def check_vendored_assets(app: Sphinx, config: Config) -> None:
    """Warn (an error under -W) when the vendored assets are missing."""
    for asset in REQUIRED_ASSETS:
        if not any((d / asset).is_file() for d in _static_dirs(app)):
            logger.warning(
                "vendored asset %s not found in html_static_path %s; "
                "run `make vendor` (npm ci + scripts/vendor_assets.py)",
                asset,
                list(config.html_static_path),
                type="book_assets",
            )


def resolve_search_dictionary(app: Sphinx, config: Config) -> None:
    """Make the jieba user dictionary path absolute (relative to the book)."""
    options = dict(config.html_search_options or {})
    path = options.get("dict")
    if not path:
        return
    resolved = Path(path)
    if not resolved.is_absolute():
        resolved = Path(app.confdir, path).resolve()
    if not resolved.is_file():
        logger.warning(
            "search dictionary %s not found (html_search_options['dict'])",
            resolved,
            type="book_assets",
        )
        return
    options["dict"] = str(resolved)
    config.html_search_options = options
    # jieba reports its progress on stderr through the root of its own logger.
    logging.getLogger("jieba").setLevel(logging.WARNING)
    try:
        import jieba

        jieba.setLogLevel(logging.WARNING)
    except ImportError:
        logger.warning(
            "jieba is not installed: Chinese search would index nothing",
            type="book_assets",
        )


def _script_key(script: Any) -> tuple:
    filename = getattr(script, "filename", script) or ""
    attributes = getattr(script, "attributes", {}) or {}
    return (str(filename), tuple(sorted((k, str(v)) for k, v in attributes.items())))


def _script_name(script: Any) -> str:
    return str(getattr(script, "filename", script) or "")


def _make_script(template: Any, filename: str, **attributes: str) -> Any:
    """Create a script entry of the same class as ``template``."""
    priority = getattr(template, "priority", 500)
    return type(template)(filename, priority=priority, **attributes)


def fix_page_scripts(
    app: Sphinx,
    pagename: str,
    templatename: str,
    context: dict[str, Any],
    doctree: Any,
) -> None:
    """De-duplicate the page's scripts; on widget pages, bridge MathJax 2 calls
    and start the widget manager early."""
    scripts = context.get("script_files")
    if not scripts:
        return
    unique: list[Any] = []
    seen: set[tuple] = set()
    for script in scripts:
        key = _script_key(script)
        if key in seen:
            continue
        seen.add(key)
        unique.append(script)

    with_bridge: list[Any] = []
    for script in unique:
        if _script_name(script).endswith(WIDGET_EMBEDDER):
            with_bridge.append(_make_script(script, "", body=MATHJAX2_BRIDGE))
            with_bridge.append(_make_script(script, "", body=EARLY_WIDGETS_HOLD))
            with_bridge.append(script)
            with_bridge.append(_make_script(script, "", body=EARLY_WIDGETS_START))
        else:
            with_bridge.append(script)
    context["script_files"] = with_bridge


# <script ... src="path?query" ...></script>, group 1: the path.
_SCRIPT_TAG = re.compile(
    r'<script\b[^>]*\bsrc="([^"?#]*)[^"]*"[^>]*>\s*</script>\s*'
)


def drop_scripts(html: str, *names: str) -> Markup:
    """Remove from ``html`` the ``<script src=...>`` tags whose path ends with a name.

    A Jinja filter for ``templates/layout.html``: the theme writes these tags
    in its templates, not through ``script_files``.
    """
    return Markup(
        _SCRIPT_TAG.sub(
            lambda m: "" if m.group(1).endswith(names) else m.group(0), str(html)
        )
    )


def add_templates(app: Sphinx, config: Config) -> None:
    """Put the book's layout (the theme's, minus unused assets) on the path."""
    config.templates_path = [*config.templates_path, str(TEMPLATES)]


def register_filters(app: Sphinx) -> None:
    templates = getattr(app.builder, "templates", None)
    environment = getattr(templates, "environment", None)
    if environment is not None:
        environment.filters["drop_scripts"] = drop_scripts


class SearchChineseCompounds(SearchChinese):
    """Chinese search terms: jieba's search mode plus words inside long words.

    ``jieba.cut_for_search`` adds the two- and three-character dictionary words
    found inside a longer word, but not longer ones: a page that only says
    随机梯度下降 would not be found by 梯度下降. This splitter also returns
    every dictionary word of four or more characters inside a longer word.
    """

    def split(self, input: str) -> list[str]:  # noqa: A002 (Sphinx's signature)
        words = super().split(input)
        try:
            import jieba
        except ImportError:
            return words
        frequencies = jieba.dt.FREQ
        inner = []
        for word in words:
            for size in range(4, len(word)):
                for start in range(len(word) - size + 1):
                    part = word[start : start + size]
                    if frequencies.get(part):
                        inner.append(part)
        return words + inner


def setup(app: Sphinx) -> dict[str, Any]:
    app.add_search_language(SearchChineseCompounds)
    app.connect("config-inited", check_vendored_assets)
    app.connect("config-inited", resolve_search_dictionary)
    app.connect("config-inited", add_templates)
    app.connect("builder-inited", register_filters)
    # Run after myst-nb has added the page's widget scripts (priority 500).
    app.connect("html-page-context", fix_page_scripts, priority=900)
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
