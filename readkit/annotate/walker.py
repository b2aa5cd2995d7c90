"""The walker's state: scopes, flows, parents, and the moves a statement handler makes.

walk.py adds the dispatch over node types (TreeWalker); statements.py handles the
statements that bind names. Both depend on this module, not on each other.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Callable

import libcst as cst

from readkit.annotate.nodes import is_node
from readkit.annotate.evaluate import Evaluator, unpack
from readkit.annotate.scopes import Scope
from readkit.annotate.uses import UseRecorder
from readkit.annotate.values import Value


class Walker(UseRecorder):
    """The walk's state and the moves statement handlers make (readkit.annotate.statements);
    the dispatch over node types is TreeWalker's (walk.py)."""

    def __init__(self, evaluator: Evaluator, scopes: dict[cst.CSTNode, Scope],
                 visitors: dict[type, list[Callable[[cst.CSTNode], None]]]) -> None:
        super().__init__(evaluator)
        self.scopes = scopes
        self.visitors = visitors

    # ------------------------------------------------------------------ traversal

    def walk(self, node: cst.CSTNode) -> None:
        raise NotImplementedError

    def children(self, node: cst.CSTNode, skip: tuple[str, ...] = ()) -> None:
        for name in _fields(type(node)):
            if name in skip:
                continue
            self.child(node, getattr(node, name))

    def child(self, parent: cst.CSTNode, value: object) -> None:
        kind = type(value)
        if kind is list or kind is tuple:
            for item in value:  # type: ignore[attr-defined]  # value's type was checked above: a list or tuple
                if is_node(type(item)):
                    self.parents[item] = parent
                    self.walk(item)
        elif is_node(kind):
            self.parents[value] = parent  # type: ignore[index]  # value's type was checked above: a CSTNode
            self.walk(value)  # type: ignore[arg-type]  # value's type was checked above: a CSTNode

    def in_scope(self, scope: Scope, body: Callable[[], None]) -> None:
        outer = self.scope
        self.scope = scope
        self.ev.open_flow(scope)
        try:
            body()
        finally:
            self.ev.close_flow(scope)
            self.scope = outer

    def bind(self, target: cst.BaseExpression, value: Value | None) -> None:
        if isinstance(target, cst.Name):
            self.ev.set_flow(self.scope, target.value, value)
        elif isinstance(target, (cst.Tuple, cst.List)):
            for index, element in enumerate(target.elements):
                inner = None if isinstance(element, cst.StarredElement) else unpack(value, index)
                self.bind(element.value, inner)


_TRIVIA_PREFIXES = ("whitespace", "lpar", "rpar", "comma", "semicolon", "leading_lines", "lines_after",
                    "header", "footer", "trailing_whitespace", "newline", "lbracket", "rbracket", "lbrace",
                    "rbrace", "colon", "equal", "dot", "star", "asynchronous", "first_line", "empty_lines",
                    "indent", "last_line")


@functools.cache
def _fields(node_type: type) -> tuple[str, ...]:
    """The fields of a node type that hold child nodes worth walking (no whitespace, no punctuation)."""
    names = [f.name for f in dataclasses.fields(node_type)]
    return tuple(n for n in names if not n.startswith(_TRIVIA_PREFIXES))
