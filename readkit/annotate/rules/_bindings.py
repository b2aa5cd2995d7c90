"""Where a local name gets its values and how it is read, for rules that must know every
value a name can hold (`correct = pred.eq(y).sum()` -> `correct.data[0]` reads a 0-dim tensor;
`total_loss = 0; total_loss += loss.data` -> `total_loss[0]`).

The scope is the innermost function that binds the name, else the module; nested
definitions inside it count too (conservative: more uses, fewer fixes).

Every name of a scope is indexed in one pass over it, the first time a rule asks about any
name there, and kept for the rest of the file (`ctx.per_file`): asking about a name is then a
dictionary lookup, not a visit of its scope, so a file costs one pass per scope whatever
the number of questions.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import libcst as cst

from readkit.annotate.nodes import is_node
from readkit.annotate.rules._context import ancestors
from readkit.annotate.rules.base import RuleContext


@dataclass(frozen=True)
class NameUses:
    """Every occurrence of one name in its scope, by how it occurs."""

    scope: cst.CSTNode
    assigned: tuple[cst.BaseExpression, ...]  # values of `name = value`
    augmented: tuple[cst.AugAssign, ...]  # `name += value`
    indexed: tuple[cst.Subscript, ...]  # `name[...]` read
    read: int  # other plain reads: `name / n`, `f(name)`
    attributes: int  # `name.attr` reads
    other: int  # anything else: `name[0] = ...`, `for name in`, `global name` ...


def name_uses(ctx: RuleContext, node: cst.CSTNode, name: str) -> NameUses:
    """The uses of `name` in the scope that `node` (an occurrence of it) sees."""
    scope = _scope(ctx, node, name)
    found = _index(ctx, scope, "whole").get(name) or _Uses()
    return NameUses(scope, tuple(found.assigned), tuple(found.augmented), tuple(found.indexed),
                    found.read, found.attributes, found.other)


def _scope(ctx: RuleContext, node: cst.CSTNode, name: str) -> cst.CSTNode:
    last: cst.CSTNode = node
    for parent in ancestors(ctx, node):
        if isinstance(parent, cst.FunctionDef) and _binds(ctx, parent, name):
            return parent
        last = parent
    return last  # the module


def _binds(ctx: RuleContext, function: cst.FunctionDef, name: str) -> bool:
    found = _index(ctx, function, "body").get(name)
    if found is not None and (found.assigned or found.augmented or found.other):
        return True
    return name in ctx.per_file(("parameter names", function), lambda: _parameter_names(function))


def _parameter_names(function: cst.FunctionDef) -> frozenset[str]:
    return frozenset(p.name.value for p in (*function.params.params, *function.params.kwonly_params))


def _index(ctx: RuleContext, scope: cst.CSTNode, part: str) -> dict[str, _Uses]:
    """Every name's uses in `scope` (part "whole"), or in a function's body only (part "body")."""
    root = scope.body if part == "body" and isinstance(scope, cst.FunctionDef) else scope
    return ctx.per_file(("name uses", part, scope), lambda: _Indexer().run(root))


# ---------------------------------------------------------------------- the one pass


@dataclass
class _Uses:
    assigned: list[cst.BaseExpression] = field(default_factory=list)
    augmented: list[cst.AugAssign] = field(default_factory=list)
    indexed: list[cst.Subscript] = field(default_factory=list)
    read: int = 0
    attributes: int = 0
    other: int = 0


Handler = Callable[["_Indexer", Any, list[cst.CSTNode]], None]


class _Indexer:
    """Classifies every `Name` under a root, for all names at once, in source order.

    A node that claims a name (`x = ...` claims `x`) is always an ancestor of it, so claims
    are made before the name itself is met (pre-order). The node kinds below keep libcst
    visitor semantics: `Attribute` does not count its `attr`, `Arg` not its keyword, and a
    `Param` counts its name as a binding and nothing inside it."""

    def __init__(self) -> None:
        self.uses: dict[str, _Uses] = {}
        self.seen: set[int] = set()  # ids of Name nodes already classified (the tree is alive)

    def of(self, name: cst.Name) -> _Uses:
        found = self.uses.get(name.value)
        if found is None:
            found = self.uses[name.value] = _Uses()
        return found

    def run(self, root: cst.CSTNode) -> dict[str, _Uses]:
        stack: list[cst.CSTNode] = [root]
        while stack:
            node = stack.pop()
            handler = _HANDLERS.get(type(node))
            if handler is None:
                stack.extend(_children_reversed(node))
                continue
            handler(self, node, stack)
        return self.uses

    # ------------------------------------------------------------------ node kinds

    def assign(self, node: cst.Assign, stack: list[cst.CSTNode]) -> None:
        single = len(node.targets) == 1
        for target in node.targets:
            if isinstance(target.target, cst.Name):
                self.seen.add(id(target.target))
                if single:
                    self.of(target.target).assigned.append(node.value)
                else:
                    self.of(target.target).other += 1
        stack.extend(_children_reversed(node))

    def aug_assign(self, node: cst.AugAssign, stack: list[cst.CSTNode]) -> None:
        if isinstance(node.target, cst.Name):
            self.seen.add(id(node.target))
            self.of(node.target).augmented.append(node)
        stack.extend(_children_reversed(node))

    def subscript(self, node: cst.Subscript, stack: list[cst.CSTNode]) -> None:
        if isinstance(node.value, cst.Name):
            self.seen.add(id(node.value))
            self.of(node.value).indexed.append(node)
        stack.extend(_children_reversed(node))

    def assign_target(self, node: cst.AssignTarget, stack: list[cst.CSTNode]) -> None:
        target = node.target
        if isinstance(target, cst.Subscript) and isinstance(target.value, cst.Name):
            self.of(target.value).other += 1  # `name[0] = v` writes
        elif isinstance(target, (cst.Tuple, cst.List)):
            self.claim(target)  # `name, x = ...` unpacks
        stack.extend(_children_reversed(node))

    def claim(self, target: cst.CSTNode) -> None:
        """Count a binding other than `name = v` / `name += v` once, for each of its names."""
        for name in _names(target):
            self.seen.add(id(name))
            self.of(name).other += 1

    def attribute(self, node: cst.Attribute, stack: list[cst.CSTNode]) -> None:
        if isinstance(node.value, cst.Name):
            self.seen.add(id(node.value))
            self.of(node.value).attributes += 1
        stack.append(node.value)

    def arg(self, node: cst.Arg, stack: list[cst.CSTNode]) -> None:
        stack.append(node.value)

    def param(self, node: cst.Param, stack: list[cst.CSTNode]) -> None:
        self.of(node.name).other += 1

    def name(self, node: cst.Name, stack: list[cst.CSTNode]) -> None:
        if id(node) not in self.seen:
            self.seen.add(id(node))
            self.of(node).read += 1

    def global_names(self, node: cst.Global | cst.Nonlocal, stack: list[cst.CSTNode]) -> None:
        for name in {item.name.value for item in node.names}:
            self.uses.setdefault(name, _Uses()).other += 1
        stack.extend(_children_reversed(node))


def _claimer(part: str) -> Handler:
    """A node that binds the names under its `part` (loop targets, `as` names, del, walrus)."""
    def visit(indexer: _Indexer, node: Any, stack: list[cst.CSTNode]) -> None:
        indexer.claim(getattr(node, part))
        stack.extend(_children_reversed(node))
    return visit


_HANDLERS: dict[type, Handler] = {
    cst.Assign: _Indexer.assign, cst.AugAssign: _Indexer.aug_assign, cst.Subscript: _Indexer.subscript,
    cst.AssignTarget: _Indexer.assign_target, cst.For: _claimer("target"), cst.CompFor: _claimer("target"),
    cst.AsName: _claimer("name"), cst.Del: _claimer("target"), cst.NamedExpr: _claimer("target"),
    cst.Attribute: _Indexer.attribute, cst.Arg: _Indexer.arg, cst.Param: _Indexer.param, cst.Name: _Indexer.name,
    cst.Global: _Indexer.global_names, cst.Nonlocal: _Indexer.global_names,
}


def _names(node: cst.CSTNode) -> Iterator[cst.Name]:
    """Every Name under `node` (attribute and keyword names included), in source order."""
    stack = [node]
    while stack:
        current = stack.pop()
        if type(current) is cst.Name:
            yield current
        stack.extend(_children_reversed(current))


# ---------------------------------------------------------------------- children in source order

# Node types whose dataclass fields are not in source order.
_SOURCE_ORDER: dict[type, tuple[str, ...]] = {
    cst.FunctionDef: ("decorators", "name", "type_parameters", "params", "returns", "body"),
    cst.ClassDef: ("decorators", "name", "type_parameters", "bases", "keywords", "body"),
    cst.IfExp: ("body", "test", "orelse"),
    cst.ExceptHandler: ("type", "name", "body"), cst.ExceptStarHandler: ("type", "name", "body"),
    cst.MatchCase: ("pattern", "guard", "body"),
    cst.Parameters: ("posonly_params", "posonly_ind", "params", "star_arg", "kwonly_params", "star_kwarg"),
}
# Fields that hold only whitespace and punctuation (never a Name).
_TRIVIA = ("whitespace", "lpar", "rpar", "comma", "semicolon", "leading_lines", "lines_after", "header",
           "footer", "trailing_whitespace", "newline", "lbracket", "rbracket", "lbrace", "rbrace", "colon",
           "equal", "dot", "asynchronous", "first_line", "empty_lines", "indent", "last_line")


@functools.cache
def _fields(node_type: type) -> tuple[str, ...]:
    if node_type in _SOURCE_ORDER:
        return _SOURCE_ORDER[node_type]
    names = [f.name for f in dataclasses.fields(node_type)]
    return tuple(n for n in names if not n.startswith(_TRIVIA) and n not in ("star", "encoding"))


def _children_reversed(node: cst.CSTNode) -> list[cst.CSTNode]:
    """The child nodes of `node` worth looking into, last first (for a stack)."""
    found: list[cst.CSTNode] = []
    for name in _fields(type(node)):
        value: object = getattr(node, name, None)
        if isinstance(value, (list, tuple)):
            found.extend(item for item in value if is_node(type(item)))
        elif is_node(type(value)):
            found.append(value)  # type: ignore[arg-type]  # a CSTNode: is_node said so
    found.reverse()
    return found
