"""The text a file page shows: a script's source, or a notebook's program and markdown cells."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from html import escape
from typing import Any

from readkit.results.annotate import FileResult


@dataclass(frozen=True)
class SourceDoc:
    lines: tuple[str, ...]  # the analyzed program, line by line
    cells: tuple[tuple[int, int], ...] | None = None  # notebooks: program line -> (cell, line in cell)
    markdown: tuple[tuple[int, str], ...] = ()
    problem: str | None = None  # why the source could not be shown
    ignored: dict[int, str] = field(default_factory=dict)  # notebooks: program line -> the IPython line it replaces

    @property
    def text(self) -> str:
        return "\n".join(self.lines)


def load_source(result: FileResult) -> SourceDoc:
    """What the page shows for `result`: the source its result carries (render reads no files)."""
    if result.error is not None and result.error.kind == "binary":
        return SourceDoc((), problem="a binary file: nothing to show")
    if result.source is None:
        reason = result.error.message if result.error is not None else "no source was kept"
        return SourceDoc((), problem=f"cannot show {result.path}: {reason}")
    return SourceDoc(tuple(_split(result.source)), result.cells, result.markdown,
                     ignored=dict(result.replaced_lines))


def _split(text: str) -> list[str]:
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    if lines and lines[-1] == "":
        lines.pop()  # the newline that ends the last line does not start another
    return lines


# ----------------------------------------------------------------------------
# Markdown cells: CommonMark (plus tables and strikethrough) by markdown-it-py. Raw HTML
# in a notebook is shown as text, never run (`html: False`); links with unsafe schemes
# stay text (markdown-it's own check). Math is left as the author typed it, `$...$` and
# `$$...$$` included, in a span the page styles: readable without a math renderer, and
# never mangled into emphasis by the `_` and `*` it holds.


def markdown_html(text: str) -> str:
    return str(_markdown().render(text))


@lru_cache(maxsize=1)
def _markdown() -> Any:
    from markdown_it import MarkdownIt
    from mdit_py_plugins.dollarmath import dollarmath_plugin

    parser = MarkdownIt("commonmark", {"html": False}).enable(["table", "strikethrough"])
    return parser.use(dollarmath_plugin, renderer=_math_html, allow_digits=False)


def _math_html(content: str, options: dict[str, Any]) -> str:
    """Inside the plugin's `span.math.inline` / `div.math.block`: the TeX as typed, delimiters included."""
    fence = "$$" if options.get("display_mode") else "$"
    return f"{fence}{escape(content, quote=False)}{fence}"
