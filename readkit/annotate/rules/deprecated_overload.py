"""deprecated-overload: `p.add_(-lr, d_p)`, `addcmul_(value, t1, t2)` — the scalar-first call
forms of the 0.x API; the scalar is a keyword (`alpha=`, `value=`) today."""

from __future__ import annotations

import libcst as cst

from readkit.annotate.rules._context import is_tensor
from readkit.annotate.rules._gradient_step import is_gradient_step
from readkit.annotate.rules._helpers import make_keyword, positional, with_args
from readkit.annotate.rules.base import LegacyRule, RuleContext

# method -> (positional arity of the old form, keyword the leading scalar becomes)
OVERLOADS = {
    "add": (2, "alpha"),
    "add_": (2, "alpha"),
    "sub": (2, "alpha"),
    "sub_": (2, "alpha"),
    "addcmul": (3, "value"),
    "addcmul_": (3, "value"),
    "addcdiv": (3, "value"),
    "addcdiv_": (3, "value"),
}


class DeprecatedOverload(LegacyRule):
    id = "deprecated-overload"
    message = "scalar-first overload (0.x API): the scalar is a keyword argument now"
    modern = "p.add_(d_p, alpha=-lr), exp_avg_sq.addcmul_(grad, grad, value=1 - beta2)"
    why = "torch 2.13 warns 'This overload of add_ is deprecated: add_(Number alpha, Tensor other)'."
    reference_step = "optim.train_logistic_regression"
    MARKED = (
        """
        for p in group['params']:
            d_p = p.grad.data
            p.data.add_(-group['lr'], d_p)
        """,
        """
        import torch
        buf = torch.zeros(3)
        buf.mul_(momentum).add_(1 - dampening, d_p)
        """,
        """
        exp_avg_sq.mul_(beta2).addcmul_(1 - beta2, grad.data, grad.data)
        """,
    )
    UNMARKED = (
        """
        p.data.add_(d_p, alpha=-group['lr'])
        """,
        """
        import torch
        x = torch.ones(2)
        y = x.add(1)
        """,
        """
        parser.add(name, value)
        items.add(x)
        """,
        """
        for p in model.parameters():
            p.data.add_(-lr, p.grad.data)
        """,  # data-update's finding
        """
        import torch.ao.nn.quantized as nnq
        f = nnq.FloatFunctional()
        y = f.add(a, b)
        """,  # two tensors
        """
        import torch
        exp_avg_sq.addcmul_(grad, grad, value=1 - beta2)
        """,
    )
    FIXES = (
        (
            """
            for p in group['params']:
                d_p = p.grad.data
                p.data.add_(-group['lr'], d_p)
            """,
            """
            for p in group['params']:
                d_p = p.grad.data
                p.data.add_(d_p, alpha=-group['lr'])
            """,
        ),
        (
            """
            exp_avg_sq.mul_(beta2).addcmul_(1 - beta2, grad.data, grad.data)  # 2nd moment
            """,
            """
            exp_avg_sq.mul_(beta2).addcmul_(grad.data, grad.data, value=1 - beta2)  # 2nd moment
            """,
        ),
        (
            """
            import torch
            buf = torch.zeros(3)
            buf.mul_(momentum).add_(1 - dampening, d_p)
            """,
            """
            import torch
            buf = torch.zeros(3)
            buf.mul_(momentum).add_(d_p, alpha=1 - dampening)
            """,
        ),
    )

    def visit_Call(self, node: cst.Call, ctx: RuleContext) -> None:
        func = node.func
        if not isinstance(func, cst.Attribute) or func.attr.value not in OVERLOADS:
            return
        arity, keyword = OVERLOADS[func.attr.value]
        args = positional(node)
        if len(args) != arity or len(node.args) != arity or not _on_tensor(func.value, ctx):
            return  # the modern form takes one positional fewer; anything else is not this overload
        statement = ctx.parent(node)
        if isinstance(statement, cst.Expr) and is_gradient_step(statement):
            return  # data-update rewrites the whole step, this overload included
        scalar, *tensors = args
        ctx.report(node, replacement=with_args(node, [*tensors, make_keyword(keyword, scalar.value)]))


def _on_tensor(receiver: cst.BaseExpression, ctx: RuleContext) -> bool:
    """A tensor: known from its origin, or read through `.data`/`.grad`, or an in-place chain on one."""
    if is_tensor(ctx, receiver):
        return True
    if isinstance(receiver, cst.Attribute):
        return receiver.attr.value in ("data", "grad")
    if isinstance(receiver, cst.Call) and isinstance(receiver.func, cst.Attribute):
        method = receiver.func.attr.value
        return method in ("mul_", "div_", "add_", "sub_") or _on_tensor(receiver.func.value, ctx)
    return False
