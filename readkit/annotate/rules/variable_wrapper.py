"""variable-wrapper: `Variable(t)` — since 0.4 every tensor is a Variable."""

from __future__ import annotations

import libcst as cst

from readkit.annotate.rules._context import symbol_in
from readkit.annotate.rules._helpers import (
    bool_literal,
    dotted,
    free_value,
    keyword,
    make_keyword,
    method_call,
    positional,
    with_args,
)
from readkit.annotate.rules._variable import VARIABLE, variable_parts
from readkit.annotate.rules.base import LegacyRule, RuleContext

# torch factories that take `requires_grad=` themselves: `torch.randn(3, requires_grad=True)`
FACTORIES = frozenset(
    f"torch.{name}"
    for name in "tensor randn rand zeros ones empty full eye arange linspace logspace randint "
    "randn_like rand_like zeros_like ones_like empty_like full_like".split()
)


def requiring_grad(tensor: cst.BaseExpression, flag: cst.BaseExpression, ctx: RuleContext) -> cst.BaseExpression:
    """`tensor` made a leaf that requires grad: `torch.randn(3, requires_grad=True)` or `t.requires_grad_()`."""
    factory = isinstance(tensor, cst.Call) and symbol_in(ctx, tensor.func, FACTORIES) is not None
    if isinstance(tensor, cst.Call) and factory and keyword(tensor, "requires_grad") is None:
        return with_args(tensor, [*tensor.args, make_keyword("requires_grad", flag)])
    args = [] if bool_literal(flag) is True else [cst.Arg(value=flag)]
    return method_call(tensor, "requires_grad_", args)


class VariableWrapper(LegacyRule):
    id = "variable-wrapper"
    message = "Variable(t) is a no-op wrapper since torch 0.4: tensors carry autograd themselves"
    modern = (
        "t; `h.detach()` for `Variable(h.data)`  (and `t.requires_grad_()` or `torch.randn(..., requires_grad=True)` for leaves that need gradients; "
        "`isinstance(h, torch.Tensor)` for type tests)"
    )
    why = (
        "torch 2.13 returns a plain Tensor from Variable(...), silently; the wrapper only hides what the code does, "
        "and `type(h) == Variable` is now False for every tensor."
    )
    reference_step = "autograd.legacy_variable"
    replaces_call = True
    MARKED = (
        """
        from torch.autograd import Variable
        x = Variable(torch.randn(3, 4))
        """,
        """
        import torch
        from torch.autograd import Variable
        w = Variable(torch.randn(5, 1), requires_grad=True)
        """,
        """
        import torch.autograd as ag
        def step(batch):
            return ag.Variable(batch.cuda())
        """,
        """
        from torch import autograd
        inputs, labels = autograd.Variable(inputs), autograd.Variable(labels)
        """,
        """
        from torch.autograd import Variable
        def repackage(h):
            return h.detach() if type(h) == Variable else tuple(h)
        """,
        """
        from torch.autograd import Variable
        ok = isinstance(x, Variable)
        """,
    )
    UNMARKED = (
        """
        import torch
        x = torch.randn(3, 4, requires_grad=True)
        """,
        """
        from tkinter import Variable
        v = Variable(master)
        """,
        """
        class Variable:
            pass
        v = Variable(3)
        """,
        """
        from torch.autograd import Variable
        x = Variable(data, volatile=True)
        """,  # volatile-flag's finding
        """
        import torch
        ok = type(h) == torch.Tensor or isinstance(h, tuple)
        """,
    )
    FIXES = (
        (
            """
            import torch
            from torch.autograd import Variable
            x = Variable(torch.randn(3, 4))
            y = Variable(x.data).sum()
            """,
            """
            import torch
            x = torch.randn(3, 4)
            y = x.detach().sum()
            """,
        ),
        (
            """
            import torch
            from torch.autograd import Variable
            w = Variable(torch.randn(5, 1), requires_grad=True)
            """,
            """
            import torch
            w = torch.randn(5, 1, requires_grad=True)
            """,
        ),
        (
            """
            import torch
            from torch.autograd import Variable
            w = Variable(a + b, requires_grad=True)
            v = Variable(a + b).double()
            """,
            """
            import torch
            w = (a + b).requires_grad_()
            v = (a + b).double()
            """,
        ),
        (  # the word-language-model helper: type(h) == Variable is never true today
            """
            from torch.autograd import Variable

            def repackage_hidden(h):
                if type(h) == Variable:
                    return Variable(h.data)
                else:
                    return tuple(repackage_hidden(v) for v in h)
            """,
            """
            import torch

            def repackage_hidden(h):
                if isinstance(h, torch.Tensor):
                    return h.detach()
                else:
                    return tuple(repackage_hidden(v) for v in h)
            """,
        ),
        (
            """
            import torch
            from torch.autograd import Variable, Function
            x = Variable(t, requires_grad=flag)
            """,
            """
            import torch
            from torch.autograd import Function
            x = t.requires_grad_(flag)
            """,
        ),
    )

    def visit_Comparison(self, node: cst.Comparison, ctx: RuleContext) -> None:
        """`type(h) == Variable` is False for every tensor today: `isinstance(h, torch.Tensor)`."""
        value = _type_call_argument(node.left)
        if value is None or len(node.comparisons) != 1:
            return
        target = node.comparisons[0]
        if not isinstance(target.operator, TYPE_TESTS) or symbol_in(ctx, target.comparator, VARIABLE) is None:
            return
        args = [cst.Arg(value, comma=_COMMA), cst.Arg(dotted("torch.Tensor"))]
        test: cst.BaseExpression = cst.Call(dotted("isinstance"), args)
        if isinstance(target.operator, (cst.NotEqual, cst.IsNot)):
            test = cst.UnaryOperation(cst.Not(), test)
        ctx.report(node, replacement=test.with_changes(lpar=node.lpar, rpar=node.rpar))

    def visit_Call(self, node: cst.Call, ctx: RuleContext) -> None:
        if _isinstance_of_variable(node, ctx):
            second = node.args[1]
            ctx.report(second.value, replacement=dotted("torch.Tensor"))
            return
        if symbol_in(ctx, node.func, VARIABLE) is None or keyword(node, "volatile") is not None:
            return
        parts = variable_parts(node, ctx)
        if parts is None:
            ctx.report(node, note="unusual Variable(...) arguments: rewrite by hand")
            return
        tensor, requires_grad = parts
        if isinstance(tensor, cst.Attribute) and tensor.attr.value == "data":
            tensor = method_call(tensor.value, "detach")  # `Variable(h.data)`: a new leaf sharing h's storage
        flag = requires_grad.value if requires_grad is not None else None
        if flag is None or bool_literal(flag) is False:
            ctx.report(node, replacement=free_value(tensor, ctx.parent(node)))
        else:
            ctx.report(node, replacement=free_value(requiring_grad(tensor, flag, ctx), ctx.parent(node)))


TYPE_TESTS = (cst.Equal, cst.NotEqual, cst.Is, cst.IsNot)
_COMMA = cst.Comma(whitespace_after=cst.SimpleWhitespace(" "))


def _type_call_argument(expr: cst.BaseExpression) -> cst.BaseExpression | None:
    """`h` of `type(h)`."""
    if isinstance(expr, cst.Call) and isinstance(expr.func, cst.Name) and expr.func.value == "type":
        args = positional(expr)
        return args[0].value if len(args) == 1 and len(expr.args) == 1 else None
    return None


def _isinstance_of_variable(call: cst.Call, ctx: RuleContext) -> bool:
    if not (isinstance(call.func, cst.Name) and call.func.value == "isinstance" and len(call.args) == 2):
        return False
    return symbol_in(ctx, call.args[1].value, VARIABLE) is not None
