"""Where a local name gets its values and how it is read, for rules that must know every
value a name can hold (`correct = pred.eq(y).sum()` -> `correct.data[0]` reads a 0-dim tensor;
`total_loss = 0; total_loss += loss.data` -> `total_loss[0]`).

The scope is the innermost function that binds the name, else the module; nested
definitions inside it count too (conservative: more uses, fewer fixes).
"""

from __future__ import annotations

from dataclasses import dataclass

import libcst as cst

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
    finder = _Finder(name)
    scope.visit(finder)
    return NameUses(scope, tuple(finder.assigned), tuple(finder.augmented), tuple(finder.indexed),
                    finder.read, finder.attributes, finder.other)


def _scope(ctx: RuleContext, node: cst.CSTNode, name: str) -> cst.CSTNode:
    last: cst.CSTNode = node
    for parent in ancestors(ctx, node):
        if isinstance(parent, cst.FunctionDef) and _binds(parent, name):
            return parent
        last = parent
    return last  # the module


def _binds(function: cst.FunctionDef, name: str) -> bool:
    finder = _Finder(name)
    function.body.visit(finder)
    params = [p.name.value for p in (*function.params.params, *function.params.kwonly_params)]
    return bool(finder.assigned or finder.augmented or finder.other) or name in params


def _names(node: cst.CSTNode) -> list[cst.Name]:
    found: list[cst.Name] = []

    class _Names(cst.CSTVisitor):
        def visit_Name(self, name: cst.Name) -> None:
            found.append(name)

    node.visit(_Names())
    return found


class _Finder(cst.CSTVisitor):
    def __init__(self, name: str) -> None:
        self.name = name
        self.assigned: list[cst.BaseExpression] = []
        self.augmented: list[cst.AugAssign] = []
        self.indexed: list[cst.Subscript] = []
        self.read = 0
        self.attributes = 0
        self.other = 0
        self.seen: set[int] = set()  # Name nodes already classified

    def _mine(self, expr: cst.CSTNode) -> bool:
        return isinstance(expr, cst.Name) and expr.value == self.name

    def visit_Assign(self, node: cst.Assign) -> None:
        for target in node.targets:
            if self._mine(target.target):
                self.seen.add(id(target.target))
                single = len(node.targets) == 1
                self.assigned.append(node.value) if single else None
                self.other += not single

    def visit_AugAssign(self, node: cst.AugAssign) -> None:
        if self._mine(node.target):
            self.seen.add(id(node.target))
            self.augmented.append(node)

    def visit_Subscript(self, node: cst.Subscript) -> None:
        if self._mine(node.value):
            self.seen.add(id(node.value))
            self.indexed.append(node)

    def visit_AssignTarget(self, node: cst.AssignTarget) -> None:
        if isinstance(node.target, cst.Subscript) and self._mine(node.target.value):
            self.other += 1  # `name[0] = v` writes
        elif isinstance(node.target, (cst.Tuple, cst.List)):
            self._claim(node.target)  # `name, x = ...` unpacks

    def visit_For(self, node: cst.For) -> None:
        self._claim(node.target)

    def visit_CompFor(self, node: cst.CompFor) -> None:
        self._claim(node.target)

    def visit_AsName(self, node: cst.AsName) -> None:
        self._claim(node.name)

    def visit_Del(self, node: cst.Del) -> None:
        self._claim(node.target)

    def visit_NamedExpr(self, node: cst.NamedExpr) -> None:
        self._claim(node.target)

    def _claim(self, target: cst.CSTNode) -> None:
        """Count a binding other than `name = v` / `name += v` once, for each of its names."""
        found = [n for n in _names(target) if self._mine(n)]
        self.seen.update(id(n) for n in found)
        self.other += len(found)

    def visit_Attribute(self, node: cst.Attribute) -> bool:
        if self._mine(node.value):
            self.seen.add(id(node.value))
            self.attributes += 1
        node.value.visit(self)
        return False

    def visit_Arg(self, node: cst.Arg) -> bool:
        node.value.visit(self)
        return False

    def visit_Param(self, node: cst.Param) -> bool:
        self.other += self._mine(node.name)
        return False

    def visit_Name(self, node: cst.Name) -> None:
        if self._mine(node) and id(node) not in self.seen:
            self.seen.add(id(node))
            self.read += 1

    def visit_Global(self, node: cst.Global) -> None:
        self.other += any(n.name.value == self.name for n in node.names)

    def visit_Nonlocal(self, node: cst.Nonlocal) -> None:
        self.other += any(n.name.value == self.name for n in node.names)
