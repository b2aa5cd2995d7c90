"""Reading a 0.3-era `Variable(tensor, requires_grad=..., volatile=...)` call (variable-wrapper
and volatile-flag both take it apart)."""

from __future__ import annotations

import libcst as cst

from readkit.annotate.rules._context import symbol_in
from readkit.annotate.rules._helpers import keyword, positional
from readkit.annotate.rules.base import RuleContext

VARIABLE = ("torch.autograd.Variable", "torch.autograd.variable.Variable")


def variable_parts(call: cst.Call, ctx: RuleContext) -> tuple[cst.BaseExpression, cst.Arg | None] | None:
    """(wrapped tensor, requires_grad argument) of a `Variable(...)` call, or None when it is not one
    we can read (no tensor argument, `*args`, keywords other than requires_grad/volatile)."""
    if symbol_in(ctx, call.func, VARIABLE) is None:
        return None
    args = positional(call)
    known = {"requires_grad", "volatile"}
    if len(args) != 1 or any(a.keyword is not None and a.keyword.value not in known for a in call.args):
        return None
    if len(call.args) != len(args) + sum(a.keyword is not None for a in call.args):
        return None  # *args / **kwargs
    return args[0].value, keyword(call, "requires_grad")
