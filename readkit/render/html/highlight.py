"""Source lines as HTML: Pygments tokens with annotation spans woven in.

Pygments decides the syntax classes; each annotated span becomes an element
wrapping the tokens it covers, properly nested (spans from a syntax tree nest
or are disjoint; an improper overlap is clipped to its parent). A span that runs
over several lines is cut into one piece per line, all naming the same annotation.

Columns follow readkit.results.annotate: 1-based start, end exclusive.
What this module leaves out: what an annotation says (pages.py) and the page layout.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from html import escape

from pygments.lexers import PythonLexer
from pygments.styles import get_style_by_name
from pygments.token import STANDARD_TYPES, _TokenType

from readkit.results.annotate import Annotation


@dataclass(frozen=True)
class Piece:
    """The part of one annotation on one line (0-based, end exclusive)."""

    start: int
    end: int
    index: int  # the annotation's index in the file's data table
    role: str
    extra_class: str = ""  # e.g. the run's verdict
    title: str = ""  # a native tooltip, for views without report.js (Jupyter)


@dataclass
class _Node:
    piece: Piece | None
    children: list[_Node] = field(default_factory=list)


Token = tuple[int, int, str]  # (start, end, css class) within a line

PYGMENTS_STYLE = "default"


def _plain_classes() -> frozenset[str]:
    """Token classes the style leaves uncoloured: no span needed (pages stay small)."""
    style = get_style_by_name(PYGMENTS_STYLE)
    keys = ("color", "bold", "italic", "underline", "bgcolor", "border")
    return frozenset(css for ttype, css in STANDARD_TYPES.items()
                     if not any(value for key, value in style.style_for_token(ttype).items() if key in keys))


# Operators are left plain too: the default style only greys them, and they are
# the most frequent token (a 5,000-line page is hundreds of kB lighter without).
PLAIN = _plain_classes() | {"o"}


def token_lines(source: str) -> list[list[Token]]:
    """Per line of `source`, its Pygments tokens as (start, end, css class)."""
    lines: list[list[Token]] = [[]]
    column = 0
    lexer = PythonLexer(stripnl=False, ensurenl=False)
    for _, ttype, value in lexer.get_tokens_unprocessed(source):
        css = _css_class(ttype)
        for n, part in enumerate(value.split("\n")):
            if n:
                lines.append([])
                column = 0
            if part:
                _append_token(lines[-1], column, column + len(part), css)
                column += len(part)
    return lines


def _append_token(line: list[Token], start: int, end: int, css: str) -> None:
    """Adjacent tokens of one class become one (`torch.nn.functional` is one span, not five)."""
    if line and line[-1][2] == css and line[-1][1] == start:
        line[-1] = (line[-1][0], end, css)
    else:
        line.append((start, end, css))


def _css_class(ttype: _TokenType) -> str:
    while ttype not in STANDARD_TYPES and ttype.parent is not None:
        ttype = ttype.parent
    css = STANDARD_TYPES.get(ttype, "")
    return "" if css in PLAIN else css


def pieces_by_line(annotations: list[tuple[int, Annotation, str]], lines: list[str],
                   titles: dict[int, str] | None = None) -> dict[int, list[Piece]]:
    """{line number: pieces} for (index, annotation, extra class) triples; `titles` by index."""
    found: dict[int, list[Piece]] = {}
    for index, ann, extra in annotations:
        for number in range(ann.line, min(ann.end_line, len(lines)) + 1):
            text = lines[number - 1]
            start = ann.column - 1 if number == ann.line else len(text) - len(text.lstrip())
            end = ann.end_column - 1 if number == ann.end_line else len(text)
            start, end = max(0, min(start, len(text))), max(0, min(end, len(text)))
            if end > start:
                title = titles.get(index, "") if titles else ""
                found.setdefault(number, []).append(Piece(start, end, index, ann.role, extra, title))
    return found


def line_html(text: str, tokens: list[Token], pieces: list[Piece]) -> str:
    """One highlighted line with its annotation pieces as nested, focusable spans."""
    root = _Node(None)
    stack = [root]
    for piece in sorted(pieces, key=lambda p: (p.start, -p.end, p.index)):
        while stack[-1].piece is not None and piece.start >= stack[-1].piece.end:
            stack.pop()
        parent = stack[-1]
        if parent.piece is not None and piece.end > parent.piece.end:
            piece = replace(piece, end=parent.piece.end)
        node = _Node(piece)
        parent.children.append(node)
        stack.append(node)
    return _render(root, 0, len(text), text, tokens)


def _render(node: _Node, start: int, end: int, text: str, tokens: list[Token]) -> str:
    out: list[str] = []
    cursor = start
    for child in node.children:
        piece = child.piece
        assert piece is not None
        out.append(_tokens_html(text, tokens, cursor, piece.start))
        inner = _render(child, piece.start, piece.end, text, tokens)
        out.append(_open_span(piece) + inner + "</span>")
        cursor = piece.end
    out.append(_tokens_html(text, tokens, cursor, end))
    return "".join(out)


def _open_span(piece: Piece) -> str:
    classes = f"a r-{piece.role} {piece.extra_class}".strip()
    # focusable: report.js adds tabindex to every span (10,000 attributes fewer to download);
    # the Jupyter view runs no script and relies on its tooltips (title) instead
    title = f' title="{escape(piece.title, quote=True)}"' if piece.title else ""
    return f'<span class="{classes}" data-a={piece.index}{title}>'


def _tokens_html(text: str, tokens: list[Token], start: int, end: int) -> str:
    if end <= start:
        return ""
    out: list[str] = []
    covered = start
    for t_start, t_end, css in tokens:
        lo, hi = max(t_start, start), min(t_end, end)
        if hi <= lo:
            continue
        if lo > covered:  # text the lexer gave no token (should not happen; keep it anyway)
            out.append(escape(text[covered:lo]))
        chunk = escape(text[lo:hi])
        out.append(f"<i class={css}>{chunk}</i>" if css else chunk)  # Pygments classes are [a-z0-9]
        covered = hi
    if covered < end:
        out.append(escape(text[covered:end]))
    return "".join(out)
