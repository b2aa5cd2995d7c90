"""Blocks that run without gradients (`with torch.no_grad():`, `@torch.no_grad()`), and whether
one updates parameters by hand (`w -= lr * w.grad`) rather than evaluating a model."""

from __future__ import annotations

import ast

from readkit.map import kinds
from readkit.map.index import Site

UPDATE_METHODS = frozenset({"copy_", "mul_", "add_", "sub_", "zero_", "lerp_", "fill_", "div_"})


def block_of(site: Site) -> list[ast.stmt] | None:
    """The statements a no_grad call governs: its `with` body or the function it decorates."""
    if not kinds.is_ref(site.callee, kinds.NO_GRAD):
        return None
    statement = site.call.context.statement
    if isinstance(statement, (ast.With, ast.AsyncWith)) and any(i.context_expr is site.call.node for i in statement.items):
        return statement.body
    if isinstance(statement, (ast.FunctionDef, ast.AsyncFunctionDef)) and any(
            d is site.call.node for d in statement.decorator_list):
        return statement.body
    return None


def sites_in(site: Site, block: list[ast.stmt]) -> list[Site]:
    nodes = {id(n) for b in block for n in ast.walk(b) if isinstance(n, ast.Call)}
    return [s for s in site.file.sites if id(s.call.node) in nodes]


def updates_parameters(block: list[ast.stmt], inner: list[Site]) -> bool:
    """`p -= lr * p.grad`, or in-place updates of tensors built from gradients or parameters."""
    for node in (n for b in block for n in ast.walk(b)):
        if isinstance(node, ast.AugAssign) and ".grad" in ast.unparse(node.value):
            return True
    return any(s.call.name in UPDATE_METHODS and ("grad" in ast.unparse(s.call.node) or "param" in s.call.func.lower())
               for s in inner)
