"""The text a file page shows: a script's source, or a notebook's program and markdown cells."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from html import escape

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
# A small, safe subset of Markdown for notebook text cells (headings, paragraphs,
# lists, code blocks, inline code, bold, italic, links). Everything is escaped
# first, so no HTML from the notebook reaches the page.

_INLINE = (
    (re.compile(r"`([^`]+)`"), r"<code>\1</code>"),
    (re.compile(r"\*\*([^*]+)\*\*"), r"<strong>\1</strong>"),
    (re.compile(r"(?<![\w*])\*([^*\s][^*]*)\*"), r"<em>\1</em>"),
    (re.compile(r"\[([^\]]+)\]\((https?://[^)\s]+)\)"), r'<a href="\2">\1</a>'),
)


_BULLET = re.compile(r"^\s*([-*+]|\d+\.)\s+")


def markdown_html(text: str) -> str:
    blocks = re.split(r"\n\s*\n", text.strip())
    return "\n".join(_block_html(block) for block in blocks if block.strip())


def _block_html(block: str) -> str:
    if block.startswith("```"):
        body = block.strip("`").split("\n", 1)[-1]
        return f"<pre><code>{escape(body)}</code></pre>"
    heading = re.match(r"(#{1,6})\s+(.*)", block)
    if heading:
        level = min(len(heading.group(1)), 4)
        rest = block.split("\n", 1)[1] if "\n" in block else ""
        return f"<h{level}>{_inline(heading.group(2))}</h{level}>" + (_block_html(rest) if rest.strip() else "")
    lines = block.split("\n")
    if all(re.match(r"\s*([-*+]|\d+\.)\s", line) for line in lines):
        items = "".join(f"<li>{_inline(_BULLET.sub('', line))}</li>" for line in lines)
        return f"<ul>{items}</ul>"
    return f"<p>{_inline(' '.join(lines))}</p>"


def _inline(text: str) -> str:
    html = escape(text, quote=False)
    for pattern, replacement in _INLINE:
        html = pattern.sub(replacement, html)
    return html
