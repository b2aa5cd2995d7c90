"""Parse a plan's pieces with libcst and put them together into the tree one parse would give.

Each piece is parsed in a small module that gives libcst the state it would have at that place in the
whole file: the file's default newline and indentation (they decide which `Newline` and
`IndentedBlock.indent` values are left as None), and for an expression the indentation of its block
(it decides `ParenthesizedWhitespace.indent`). A group of top-level statements after the first comes
after a dummy `if 1:` block, so that the comments before its first statement are that statement's
`leading_lines`, as in the whole file, not the module's header. Holes are parsed as names and
replaced by the expressions built from their own pieces.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import TypeVar, cast

import libcst as cst

from readkit.annotate.nodes import is_node
from readkit.annotate.parse.plan import HOLE, Big, Piece, Plan

T = TypeVar("T")
C = TypeVar("C", bound=cst.CSTNode)
_CLOSERS = {"Dict": (cst.Dict, "rbrace"), "Set": (cst.Set, "rbrace"), "List": (cst.List, "rbracket")}


class Unstitched(Exception):
    """A piece did not come out as planned: the caller parses the whole source instead."""


class Stitcher:
    def __init__(self, source: str, plan: Plan) -> None:
        self.source = source
        self.plan = plan
        self.newline = plan.newline
        self.indent = "    "  # replaced by the first group's, which holds the first indented block
        self.named = 0

    def module(self) -> cst.Module:
        first, *rest = self.plan.groups
        text, names = self._text(first)
        module = cst.parse_module(text)
        self.indent = module.default_indent
        body = self._filled(module.body, names)
        end = module
        for group in rest:
            if end.footer or not end.has_trailing_newline:
                raise Unstitched("a group that does not end at a statement")
            end = self._group(group)
            body.extend(end.body[1:])
        return module.with_changes(body=body, footer=end.footer, has_trailing_newline=end.has_trailing_newline)

    # ------------------------------------------------------------------ pieces

    def _group(self, group: Piece) -> cst.Module:
        """Top-level statements after a dummy block that sets the first group's default indentation."""
        text, names = self._text(group)
        prefix = f"if 1:{self.newline}{self.indent}pass{self.newline}" if self.plan.indented else f"pass{self.newline}"
        module = cst.parse_module(prefix + text)
        if module.default_indent != self.indent or module.default_newline != self.newline or len(module.body) < 2:
            raise Unstitched("a group parsed with another default indentation or newline")
        return module.with_changes(body=[module.body[0], *self._filled(module.body[1:], names)])

    def _expression(self, big: Big, piece: Piece) -> cst.BaseExpression:
        """One piece of a big expression, as an expression statement in a block indented like its own."""
        text, names = self._text(piece)
        if "\f" in big.indent:
            raise Unstitched("a form feed in the indentation")
        if big.indent:
            module = cst.parse_module(f"if 1:{self.newline}{big.indent}{text}{self.newline}")
            block = _one(module.body, cst.If).body
            statement = _one(block.body, cst.SimpleStatementLine)
        else:
            module = cst.parse_module(f"pass{self.newline}{text}{self.newline}")
            statement = _one(module.body[1:], cst.SimpleStatementLine)
        return self._filled([_one(statement.body, cst.Expr).value], names)[0]

    def _text(self, piece: Piece) -> tuple[str, dict[str, Big]]:
        """The piece's text with each hole's span replaced by a fresh name."""
        parts, names, at = [piece.before], {}, piece.start
        for hole in sorted(piece.holes, key=lambda h: h.start):
            name = f"{HOLE}{self.named}"
            self.named += 1
            parts += [self.source[at:hole.start], name]
            names[name] = hole
            at = hole.end
        parts += [self.source[at:piece.end], piece.after]
        return "".join(parts), names

    # ------------------------------------------------------------------ holes

    def _filled(self, nodes: Sequence[C], names: dict[str, Big]) -> list[C]:
        """`nodes` with their holes filled (a filled node has its own type: a hole is an expression)."""
        if not names:
            return list(nodes)
        built = {name: self._build(big) for name, big in names.items()}
        filled = [cast(C, _replace(node, built)) for node in nodes]
        if built:
            raise Unstitched("a hole not found in its piece")
        return filled

    def _build(self, big: Big) -> cst.BaseExpression:
        runs = [self._expression(big, piece) for piece in big.pieces]
        return _join_chain(runs, big) if big.kind == "chain" else _join_display(runs, big)


def _replace(node: cst.CSTNode, built: dict[str, cst.BaseExpression]) -> cst.CSTNode:
    """`node` with each placeholder name in `built` replaced (and taken out of `built`); its
    parentheses stay: they were the expression's own."""
    if isinstance(node, cst.Name) and node.value in built:
        return built.pop(node.value).with_changes(lpar=node.lpar, rpar=node.rpar)
    changes: dict[str, object] = {}
    for name in _node_fields(type(node)):
        value = getattr(node, name)
        if isinstance(value, (list, tuple)):
            items = [_replace(v, built) if built and is_node(type(v)) else v for v in value]
            if any(a is not b for a, b in zip(items, value)):
                changes[name] = items
        elif built and is_node(type(value)):
            new_value = _replace(value, built)
            if new_value is not value:
                changes[name] = new_value
        if not built:
            break
    return node.with_changes(**changes) if changes else node


_FIELDS: dict[type, tuple[str, ...]] = {}


def _node_fields(kind: type) -> tuple[str, ...]:
    found = _FIELDS.get(kind)
    if found is None:
        found = _FIELDS[kind] = tuple(f.name for f in dataclasses.fields(kind))
    return found


def _one(items: Sequence[object], kind: type[T]) -> T:
    if len(items) != 1 or not isinstance(items[0], kind):
        raise Unstitched(f"expected one {kind.__name__}")
    return items[0]


# ---------------------------------------------------------------------- joining runs


def _join_chain(runs: list[cst.BaseExpression], big: Big) -> cst.BaseExpression:
    """Each run after the first starts with the term the one before ended with: that term is
    replaced by everything before it, operation by operation up the run's left spine."""
    whole: cst.BaseExpression | None = None
    for run, piece in zip(runs, big.pieces):
        spine = _spine(run, piece.count, inner_parens=whole is None)
        if whole is None:
            whole = run.with_changes(lpar=(), rpar=())
            continue
        for operation in reversed(spine):
            whole = operation.with_changes(left=whole)
        whole = whole.with_changes(lpar=(), rpar=())
    if whole is None or sum(p.count for p in big.pieces) != big.size:
        raise Unstitched("a chain of another length")
    return whole


def _spine(run: cst.BaseExpression, count: int, *, inner_parens: bool) -> list[cst.BinaryOperation]:
    """The run's `count` operations down its left side, top first, checked."""
    if len(run.lpar) != 1 or len(run.rpar) != 1:
        raise Unstitched("a run with parentheses of its own")
    spine: list[cst.BinaryOperation] = []
    node = run
    for _ in range(count):
        if not isinstance(node, cst.BinaryOperation) or (spine and node.lpar and not inner_parens):
            raise Unstitched("a run that is not a left-associative chain")
        spine.append(node)
        node = node.left
    return spine


def _join_display(runs: list[cst.BaseExpression], big: Big) -> cst.BaseExpression:
    """The runs' elements in one display. A run's last comma was followed by its closing bracket,
    which took the whitespace after it: in the whole display that whitespace is the comma's."""
    kind, closer = _CLOSERS[big.kind]
    elements: list[cst.CSTNode] = []
    for number, run in enumerate(runs):
        if type(run) is not kind or run.lpar:
            raise Unstitched(f"a run that is not a {big.kind}")
        items = list(run.elements)
        if len(items) != big.pieces[number].count:
            raise Unstitched("a run of another length")
        if number < len(runs) - 1:
            items[-1] = _comma_takes(items[-1], getattr(run, closer).whitespace_before)
        elements.extend(items)
    return runs[0].with_changes(elements=elements, **{closer: getattr(runs[-1], closer)})


def _comma_takes(element: cst.CSTNode, whitespace: cst.BaseParenthesizableWhitespace) -> cst.CSTNode:
    comma = getattr(element, "comma", None)
    after = getattr(comma, "whitespace_after", None)
    if not isinstance(comma, cst.Comma) or not isinstance(after, cst.SimpleWhitespace) or after.value:
        raise Unstitched("a run that does not end with a comma")
    return element.with_changes(comma=comma.with_changes(whitespace_after=whitespace))
