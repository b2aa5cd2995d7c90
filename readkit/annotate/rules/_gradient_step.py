"""A hand-written gradient step through `.data` (`w.data -= lr * w.grad.data`): data-update
rewrites it whole, and deprecated-overload leaves the overloads inside it to that fix."""

from __future__ import annotations

import libcst as cst

IN_PLACE = frozenset({"add_", "sub_", "mul_", "div_", "copy_", "addcdiv_", "addcmul_"})


def is_gradient_step(small: cst.BaseSmallStatement) -> bool:
    """`X.data op= ...grad...`, `X.data = ...grad...` or `X.data.add_(...grad...)`: X updated from a gradient."""
    if isinstance(small, cst.AugAssign) and _is_data(small.target):
        return mentions_grad(small.value)
    if isinstance(small, cst.Assign) and len(small.targets) == 1 and _is_data(small.targets[0].target):
        return mentions_grad(small.value)
    if isinstance(small, cst.Expr) and isinstance(small.value, cst.Call):
        func = small.value.func
        if isinstance(func, cst.Attribute) and func.attr.value in IN_PLACE and _is_data(func.value):
            return any(mentions_grad(a.value) for a in small.value.args)
    return False


def _is_data(expr: cst.BaseExpression) -> bool:
    return isinstance(expr, cst.Attribute) and expr.attr.value == "data"


def mentions_grad(expr: cst.CSTNode) -> bool:
    found = False

    class _Grad(cst.CSTVisitor):
        def visit_Attribute(self, node: cst.Attribute) -> None:
            nonlocal found
            found = found or node.attr.value == "grad"

    expr.visit(_Grad())
    return found
