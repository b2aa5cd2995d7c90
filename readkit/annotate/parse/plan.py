"""Where to cut a source into pieces libcst parses quickly and in little memory (read from CPython's ast).

libcst's native parser holds 0.4-1.4 KB of working memory per character of the text it parses at once,
and its left-recursive rules copy an operator chain's whole left side at every operator (quadratic).
A plan cuts three things, each only where the cut cannot change what libcst would build:
- the module into groups of top-level statements, at line starts whose gap lines are empty or comments
  in column 0 (those go to the next statement's `leading_lines` whichever statement precedes them);
- a huge dict, list or set display into runs of elements, at a comma between two plain elements;
- a left-associative operator chain (`x + 1 + 1 ...`, any mix of operators but `**`) into runs of
  terms, overlapping by one term, at terms with no bracket beside them.
What a plan leaves out (tuples without brackets, f-strings, chains of `**`) is parsed whole.
"""

from __future__ import annotations

import ast
import itertools
import re
from dataclasses import dataclass, field

PIECE_CHARS = 25_000  # a piece's text at most (where cuts allow); libcst needs 0.4-1.4 KB per character
FILE_CHARS = 100_000  # in larger files, displays over PIECE_CHARS are parsed in runs...
GROUP_CHARS = 250_000  # ...and in still larger ones, top-level statements in groups
CHAIN_TERMS = 300  # longer left-associative chains are parsed in runs...
RUN_TERMS = 150  # ...of this many operators (a 150-term run parses in about 2 ms)
HOLE = "_readkit_hole_"  # placeholder names: HOLE + number, never found in a planned source
_OPERATOR_CHARS = "+-*/%@&|^<>"
_COMMENT = re.compile(r"#[^\r\n]*")
_COMMA_GAP = re.compile(r"[\s\\]*,[\s\\]*")
_OPENERS = {ast.Dict: ("{", "}"), ast.Set: ("{", "}"), ast.List: ("[", "]")}


@dataclass
class Piece:
    """A span of the source parsed at once, with `before`/`after` added and each hole's span named."""

    start: int
    end: int
    before: str = ""
    after: str = ""
    count: int = 0  # operators of a run of a chain, elements of a run of a display
    holes: list[Big] = field(default_factory=list)


@dataclass
class Big:
    """An expression parsed in pieces of its own (a hole in the piece around it)."""

    kind: str  # "chain", or the ast class name of a display: "Dict", "List", "Set"
    start: int
    end: int
    indent: str  # leading whitespace of the line of its statement: the block's indentation
    size: int  # operators of a chain, elements of a display
    pieces: list[Piece] = field(default_factory=list)


@dataclass(frozen=True)
class Plan:
    groups: list[Piece]  # top-level statements, in order, covering the source
    newline: str  # libcst's default_newline: the first newline of the source
    indented: bool  # has an indented block (the first group holds the first: libcst's default_indent)


def worth_planning(source: str) -> bool:
    """Cheap: could this source hold a piece too big for one parse (a large file, a long chain)?"""
    if len(source) > FILE_CHARS:
        return True
    return sum(source.count(c) for c in _OPERATOR_CHARS) >= CHAIN_TERMS


def make_plan(source: str, tree: ast.Module) -> Plan | None:
    """How to parse `source` in pieces, or None when one parse is as good (or the source is unusual)."""
    if HOLE in source or re.search("\r(?!\n)", source) or source.startswith("\ufeff"):
        return None
    text = _Source(source)
    bigs = _Finder(text, len(source) > FILE_CHARS).find(tree)
    indented = _first_indent(text, tree.body)
    groups = [Piece(0, len(source))]
    if len(source) > GROUP_CHARS:
        groups = _groups(text, tree.body, bigs, text.starts[indented - 1] if indented else 0)
    for big in bigs:
        next(g for g in groups if g.start <= big.start < g.end).holes.append(big)
    if len(groups) == 1 and not groups[0].holes:
        return None
    newline = re.search(r"\r\n|\n", source)
    return Plan(groups, newline.group(0) if newline else "\n", indented is not None)


# ---------------------------------------------------------------------- offsets


class _Source:
    """The source with CPython's line numbers and byte columns turned into string offsets."""

    def __init__(self, source: str) -> None:
        self.text = source
        self.starts = [0] + [m.end() for m in re.finditer("\n", source)]
        self.ascii = source.isascii()

    def line(self, number: int) -> str:
        begin = self.starts[number - 1]
        end = self.starts[number] if number < len(self.starts) else len(self.text)
        return self.text[begin:end]

    def at(self, line: int, column: int) -> int:
        begin = self.starts[line - 1]
        if self.ascii:
            return begin + column
        return begin + len(self.line(line).encode()[:column].decode(errors="replace"))

    def span(self, node: ast.AST) -> tuple[int, int]:
        return (self.at(node.lineno, node.col_offset),  # type: ignore[attr-defined]  # expressions have positions
                self.at(node.end_lineno, node.end_col_offset))  # type: ignore[attr-defined]

    def indent_of(self, line: int) -> str:
        text = self.line(line)
        return text[: len(text) - len(text.lstrip(" \t\f"))]


# ---------------------------------------------------------------------- top-level groups


def _groups(text: _Source, body: list[ast.stmt], bigs: list[Big], keep: int) -> list[Piece]:
    """Statements gathered into groups of about PIECE_CHARS parsed characters (holes not counted);
    the first group reaches past offset `keep` (the first indented line: libcst's default_indent).
    One group when one statement is most of the file (cutting the rest would save nothing)."""
    groups, sizes = [Piece(0, len(text.text))], [0]
    for number, statement in enumerate(body):
        cut = _cut_before(text, body[number - 1], statement) if number else None
        if cut is not None and sizes[-1] >= PIECE_CHARS and cut > keep:
            groups[-1].end = cut
            groups.append(Piece(cut, len(text.text)))
            sizes.append(0)
        start, end = text.span(statement)
        sizes[-1] += end - start - sum(b.end - b.start for b in bigs if start <= b.start < end)
    return groups if max(sizes) < sum(sizes) / 2 else [Piece(0, len(text.text))]


def _cut_before(text: _Source, previous: ast.stmt, statement: ast.stmt) -> int | None:
    """The offset of the line after `previous` when every line up to `statement` is empty or a
    column-0 comment and `statement` starts in column 0, else None."""
    first = min([statement.lineno] + [d.lineno for d in getattr(statement, "decorator_list", [])])
    last = previous.end_lineno or previous.lineno
    if first <= last or _continued(text, last + 1) or text.line(first)[:1].strip() in ("", "#"):
        return None
    for number in range(last + 1, first):
        line = text.line(number)
        if line not in ("\n", "\r\n") and not line.startswith("#"):
            return None
    return text.starts[last]


def _first_indent(text: _Source, body: list[ast.stmt]) -> int | None:
    """The line of the first indented statement (or `case`): libcst's default_indent is its indentation."""
    for statement in body:
        found = _indented_in(text, statement)
        if found is not None:
            return found
    return None


def _indented_in(text: _Source, statement: ast.stmt) -> int | None:
    """The first line of `statement` that starts an indented block (a block whose first statement
    shares its header's line holds nothing indented; an `elif` is searched like an `if`)."""
    if isinstance(statement, ast.Match):
        line = statement.cases[0].pattern.lineno
        return line if text.line(line).lstrip().startswith("case") and not _continued(text, line) else None
    for block in _blocks(statement):
        first = block[0] if block else None
        if first is None:
            continue
        if _starts_line(text, first) and text.indent_of(first.lineno) and not _continued(text, first.lineno):
            return first.lineno
        if isinstance(first, ast.If) and text.line(first.lineno).lstrip().startswith("elif"):
            return _indented_in(text, first)
    return None


def _blocks(statement: ast.stmt) -> list[list[ast.stmt]]:
    """A compound statement's blocks in source order."""
    if isinstance(statement, (ast.Try, ast.TryStar)):
        return [statement.body, *(h.body for h in statement.handlers), statement.orelse, statement.finalbody]
    return [getattr(statement, "body", []), getattr(statement, "orelse", [])]


def _starts_line(text: _Source, statement: ast.stmt) -> bool:
    before = text.line(statement.lineno).encode()[: statement.col_offset]
    return not before.strip(b" \t\f")


def _continued(text: _Source, line: int) -> bool:
    """Does the line before `line` end with a backslash (so `line` continues it)?"""
    return line > 1 and text.line(line - 1).rstrip("\r\n").endswith("\\")


# ---------------------------------------------------------------------- big expressions


class _Finder:
    """The outermost big expressions, each with its pieces and the big ones inside them as holes.

    Only subtrees longer than the smallest big expression are entered, so an ordinary statement
    costs one span computation."""

    def __init__(self, text: _Source, displays: bool) -> None:
        self.text = text
        self.displays = displays
        self.smallest = min(PIECE_CHARS, 2 * CHAIN_TERMS)

    def find(self, tree: ast.Module) -> list[Big]:
        found: list[Big] = []
        for statement in tree.body:
            self._visit(statement, self.text.indent_of(statement.lineno), found)
        return found

    def _visit(self, node: ast.AST, indent: str, found: list[Big]) -> None:
        if isinstance(node, (ast.JoinedStr, ast.pattern)):
            return  # inside an f-string positions are CPython's guess; a pattern's `1 + 2j` is no expression
        if hasattr(node, "end_lineno"):
            start, end = self.text.span(node)
            if end - start < self.smallest:
                return
        if isinstance(node, ast.stmt):
            indent = self.text.indent_of(node.lineno)
        big = self._big(node, indent)
        if big is None:
            for child in _children(node):
                self._visit(child, indent, found)
            return
        inside: list[Big] = []
        for child in _children(node):
            self._visit(child, indent, inside)
        _cut(self.text, node, big)
        for hole in inside:
            holding = [p for p in big.pieces if p.start <= hole.start and hole.end <= p.end]
            if not holding:
                raise ValueError("a big expression across two pieces")  # cannot happen: pieces end between elements
            for piece in holding:
                piece.holes.append(hole)
        found.append(big)

    def _big(self, node: ast.AST, indent: str) -> Big | None:
        start, end = self.text.span(node) if hasattr(node, "end_lineno") else (0, 0)
        if isinstance(node, ast.BinOp) and not isinstance(node.op, ast.Pow):
            size = len(_spine(node))
            return Big("chain", start, end, indent, size) if size > CHAIN_TERMS and self._apart(start, end) else None
        if self.displays and type(node) in _OPENERS and end - start > PIECE_CHARS and self._apart(start, end):
            elements = node.keys if isinstance(node, ast.Dict) else node.elts  # type: ignore[attr-defined]
            return Big(type(node).__name__, start, end, indent, len(elements)) if len(elements) > 1 else None
        return None

    def _apart(self, start: int, end: int) -> bool:
        """A name put in its place would not run into a neighbouring word (`return[...]`)."""
        source = self.text.text
        return not (start and _wordy(source[start - 1]) or end < len(source) and _wordy(source[end]))


def _wordy(char: str) -> bool:
    return char.isalnum() or char == "_" or not char.isascii()


def _children(node: ast.AST) -> list[ast.AST]:
    """A node's children; a chain's terms stand for its whole spine (no recursion down a long chain)."""
    if isinstance(node, ast.BinOp) and not isinstance(node.op, ast.Pow):
        spine = _spine(node)
        return [spine[-1].left, *(s.right for s in reversed(spine))]
    return list(ast.iter_child_nodes(node))


def _spine(node: ast.BinOp) -> list[ast.BinOp]:
    """The chain's operations from the top down (`(a + b) + c`: both)."""
    spine = [node]
    while isinstance(spine[-1].left, ast.BinOp) and not isinstance(spine[-1].left.op, ast.Pow):
        spine.append(spine[-1].left)
    return spine


# ---------------------------------------------------------------------- cutting one expression


def _cut(text: _Source, node: ast.AST, big: Big) -> None:
    if isinstance(node, ast.BinOp):
        _cut_chain(text, node, big)
    else:
        _cut_display(text, node, big)


def _cut_chain(text: _Source, node: ast.BinOp, big: Big) -> None:
    """Runs of at most RUN_TERMS operators; each run starts with the term the previous one ended with."""
    spine = _spine(node)
    terms = [text.span(spine[-1].left)] + [text.span(s.right) for s in reversed(spine)]
    gaps = [text.text[big.start:terms[0][0]]] + [text.text[a[1]:b[0]] for a, b in zip(terms, terms[1:])]
    usable, depth = [False], _depth(gaps[0])
    for number in range(1, len(terms)):
        depth += _depth(gaps[number])
        usable.append(depth == 0 and number < len(terms) - 1 and "(" not in gaps[number] and ")" not in gaps[number + 1])
    first = 0
    while first < len(terms) - 1:
        last = _next_cut(usable, first, RUN_TERMS)
        start = big.start if first == 0 else terms[first][0]
        end = big.end if last == len(terms) - 1 else terms[last][1]
        big.pieces.append(Piece(start, end, "(", ")", last - first))
        first = last


def _next_cut(usable: list[bool], first: int, step: int) -> int:
    """The usable index nearest `first + step` (below it first), else the last index."""
    target = min(first + step, len(usable) - 1)
    for index in itertools.chain(range(target, first, -1), range(target + 1, len(usable))):
        if usable[index]:
            return index
    return len(usable) - 1


def _depth(gap: str) -> int:
    """Parentheses opened minus closed between two terms (an operator, whitespace, comments and the
    parentheses of operations and terms: no string). A run must start and end at depth 0."""
    code = _COMMENT.sub("", gap)
    return code.count("(") - code.count(")")


def _cut_display(text: _Source, node: ast.AST, big: Big) -> None:
    """Runs of elements of about PIECE_CHARS characters, cut before an element after a plain comma."""
    opener, closer = _OPENERS[type(node)]
    if isinstance(node, ast.Dict):
        starts = [text.span(k)[0] if k is not None else None for k in node.keys]
        ends = [text.span(v)[1] for v in node.values]
    else:
        spans = [text.span(e) for e in node.elts]  # type: ignore[attr-defined]  # a List or Set
        starts, ends = [s for s, _ in spans], [e for _, e in spans]
    begin, first = big.start, 0
    for index in range(1, len(starts)):
        start = starts[index]
        if start is None or start - begin < PIECE_CHARS or not _comma_gap(text.text[ends[index - 1]:start]):
            continue
        big.pieces.append(Piece(begin, start, opener if first else "", closer, index - first))
        begin, first = start, index
    big.pieces.append(Piece(begin, big.end, opener if first else "", "", len(starts) - first))


def _comma_gap(gap: str) -> bool:
    return _COMMA_GAP.fullmatch(_COMMENT.sub("", gap)) is not None
