"""Questions the legacy rules ask about a node through the engine's context: is it torch,
is it a tensor, what encloses it, is a name assigned once, how to spell a torch name."""

from __future__ import annotations

from collections.abc import Iterable

import libcst as cst

from readkit.annotate.rules._helpers import dotted
from readkit.annotate.rules.base import RuleContext


def symbol_in(ctx: RuleContext, node: cst.CSTNode, names: Iterable[str]) -> str | None:
    """The torch symbol `node` names when it is one of `names`."""
    found = ctx.symbol(node)
    return found if found is not None and found in set(names) else None


def is_torch_value(ctx: RuleContext, node: cst.CSTNode) -> bool:
    """Does the value of `node` come from torch (a tensor, a module, a torch call)?"""
    origin = ctx.origin(node)
    return origin is not None and (origin == "torch" or origin.startswith("torch."))


def is_tensor(ctx: RuleContext, node: cst.CSTNode) -> bool:
    """Is the value of `node` a tensor (not a module, optimizer or other torch object)?"""
    origin = ctx.origin(node)
    return origin is not None and (origin == "torch.Tensor" or origin.startswith("torch.Tensor."))


def ancestors(ctx: RuleContext, node: cst.CSTNode) -> Iterable[cst.CSTNode]:
    parent = ctx.parent(node)
    while parent is not None:
        yield parent
        parent = ctx.parent(parent)


def enclosing(ctx: RuleContext, node: cst.CSTNode, kinds: tuple[type[cst.CSTNode], ...]) -> cst.CSTNode | None:
    return next((p for p in ancestors(ctx, node) if isinstance(p, kinds)), None)


def module_of(ctx: RuleContext, node: cst.CSTNode) -> cst.Module | None:
    found = enclosing(ctx, node, (cst.Module,))
    return found if isinstance(found, cst.Module) else None


def assigned_once(ctx: RuleContext, node: cst.CSTNode, name: str) -> bool:
    """Is `name` bound by exactly one assignment statement in the file (so a fix there decides its value)?"""
    module = module_of(ctx, node)
    count = 0

    class _Assignments(cst.CSTVisitor):
        def visit_AssignTarget(self, target: cst.AssignTarget) -> None:
            nonlocal count
            count += name in _names_in(target.target)

        def visit_AnnAssign(self, assign: cst.AnnAssign) -> None:
            nonlocal count
            count += name in _names_in(assign.target)

        def visit_AugAssign(self, assign: cst.AugAssign) -> None:
            nonlocal count
            count += name in _names_in(assign.target)

    if module is not None:
        module.visit(_Assignments())
    return count == 1


def _names_in(target: cst.BaseExpression) -> set[str]:
    if isinstance(target, cst.Name):
        return {target.value}
    if isinstance(target, (cst.Tuple, cst.List)):
        return set().union(*(_names_in(e.value) for e in target.elements)) if target.elements else set()
    return set()


def inside_no_grad(ctx: RuleContext, node: cst.CSTNode) -> bool:
    """Is `node` already under `with torch.no_grad():` (or inference_mode)?"""
    for parent in ancestors(ctx, node):
        if isinstance(parent, cst.With) and any(_is_no_grad(ctx, item.item) for item in parent.items):
            return True
    return False


def _is_no_grad(ctx: RuleContext, expr: cst.BaseExpression) -> bool:
    target = expr.func if isinstance(expr, cst.Call) else expr
    return ctx.symbol(target) in ("torch.no_grad", "torch.inference_mode", "torch.autograd.no_grad")


def spell(func: cst.BaseExpression, new: str, ctx: RuleContext) -> cst.BaseExpression:
    """`new` (a qualified torch name) spelled through the way `func` reached torch:
    `th.matrix_rank` -> `th.linalg.matrix_rank`, `F.upsample` -> `F.interpolate`;
    in full (`torch.sigmoid`) when no part of `func` leads there."""
    base = func.value if isinstance(func, cst.Attribute) else None
    while base is not None:
        prefix = ctx.symbol(base)
        if prefix is not None and new.startswith(prefix + "."):
            node: cst.BaseExpression = base
            for part in new[len(prefix) + 1 :].split("."):
                node = cst.Attribute(value=node, attr=cst.Name(part))
            return node
        base = base.value if isinstance(base, cst.Attribute) else None
    return dotted(new)
