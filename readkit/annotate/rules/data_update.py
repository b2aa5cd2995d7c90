"""data-update: `w.data -= lr * w.grad.data` — a hand-written SGD step through `.data`."""

from __future__ import annotations

import libcst as cst

from readkit.annotate.rules._context import inside_no_grad
from readkit.annotate.rules._gradient_step import is_gradient_step, mentions_grad
from readkit.annotate.rules._helpers import make_keyword, method_call, no_grad_with, rewrite
from readkit.annotate.rules.base import LegacyRule, RuleContext

class DataUpdate(LegacyRule):
    id = "data-update"
    message = "parameter updated through .data: autograd cannot see (or check) the update"
    modern = "with torch.no_grad():\n    w -= lr * w.grad"
    why = "torch 2.13 runs it, but .data bypasses autograd's version checks, so a wrong gradient goes unnoticed."
    reference_step = "classic.autograd_two_layer_net"
    MARKED = (
        """
        w1.data -= learning_rate * w1.grad.data
        """,
        """
        for p in model.parameters():
            p.data.add_(-lr, p.grad.data)
        """,
        """
        import torch
        for f in net.parameters():
            f.data.sub_(f.grad.data * learning_rate)
        """,
        """
        p.data = p.data - lr * p.grad.data
        """,
    )
    UNMARKED = (
        """
        import torch
        with torch.no_grad():
            w1 -= learning_rate * w1.grad
        """,
        """
        m.weight.data.normal_(0.0, 0.02)
        """,
        """
        x.data = x.data.cuda()
        """,
    )
    FIXES = (
        (
            """
            import torch
            w1.data -= learning_rate * w1.grad.data  # SGD
            w2.data -= learning_rate * w2.grad.data
            """,
            """
            import torch
            with torch.no_grad():
                w1 -= learning_rate * w1.grad  # SGD
                w2 -= learning_rate * w2.grad
            """,
        ),
        (
            """
            for p in model.parameters():
                p.data.add_(-lr, p.grad.data)
            """,
            """
            import torch
            for p in model.parameters():
                with torch.no_grad():
                    p.add_(p.grad, alpha=-lr)
            """,
        ),
        (
            """
            for p in params:
                p.data = p.data - lr * p.grad.data
            """,
            """
            import torch
            for p in params:
                with torch.no_grad():
                    p.copy_(p - lr * p.grad)
            """,
        ),
        (
            """
            import torch
            with torch.no_grad():
                w.data.sub_(lr * w.grad.data)
            """,
            """
            import torch
            with torch.no_grad():
                w.sub_(lr * w.grad)
            """,
        ),
    )

    def visit_SimpleStatementLine(self, node: cst.SimpleStatementLine, ctx: RuleContext) -> None:
        if len(node.body) != 1 or not is_gradient_step(node.body[0]):
            return
        stripped = _as_copy(_without_data(node))
        ctx.report(node, replacement=stripped if inside_no_grad(ctx, node) else no_grad_with([stripped]))


def _without_data(statement: cst.SimpleStatementLine) -> cst.SimpleStatementLine:
    """Drop `.data` (safe under no_grad) and move add_(scalar, tensor)'s scalar to alpha=."""

    def leave(original: cst.CSTNode, updated: cst.CSTNode) -> cst.CSTNode:
        if isinstance(updated, cst.Attribute) and updated.attr.value == "data":
            inner = updated.value
            return inner if inner.lpar else inner.with_changes(lpar=updated.lpar, rpar=updated.rpar)
        if isinstance(updated, cst.Call):
            return _alpha_first_overload(updated)
        return updated

    return rewrite(statement, leave)  # type: ignore[return-value]  # rewrite gives back the kind of node it was given


def _as_copy(statement: cst.SimpleStatementLine) -> cst.SimpleStatementLine:
    """`w = w - lr * w.grad` (from `w.data = ...`) -> `w.copy_(w - lr * w.grad)`: in place, as .data was."""
    small = statement.body[0]
    if not isinstance(small, cst.Assign):
        return statement
    target = small.targets[0].target
    return statement.with_changes(body=[cst.Expr(method_call(target, "copy_", [cst.Arg(small.value)]))])


def _alpha_first_overload(call: cst.Call) -> cst.Call:
    """`p.add_(-lr, g)` (deprecated overload) -> `p.add_(g, alpha=-lr)`."""
    func = call.func
    if not (isinstance(func, cst.Attribute) and func.attr.value in ("add_", "sub_") and len(call.args) == 2):
        return call
    scalar, tensor = call.args
    if scalar.keyword is not None or tensor.keyword is not None or not _looks_scalar(scalar.value):
        return call
    alpha = make_keyword("alpha", scalar.value)
    return call.with_changes(args=[tensor.with_changes(comma=scalar.comma), alpha])


def _looks_scalar(expr: cst.BaseExpression) -> bool:
    """A number, a name like `lr`, or `-` of one: not an expression that mentions a gradient."""
    if isinstance(expr, cst.UnaryOperation):
        expr = expr.expression
    if isinstance(expr, cst.BinaryOperation):
        return not mentions_grad(expr)
    return isinstance(expr, (cst.Integer, cst.Float, cst.Name))
