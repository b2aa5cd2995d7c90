"""creator-attribute: `y.creator`, `.previous_functions` — renamed `grad_fn`/`next_functions` in 0.2."""

from __future__ import annotations

import libcst as cst

from readkit.annotate.rules._context import is_torch_value
from readkit.annotate.rules.base import LegacyRule, RuleContext

RENAMED = {"creator": "grad_fn", "previous_functions": "next_functions"}


class CreatorAttribute(LegacyRule):
    id = "creator-attribute"
    message = "`.creator` / `.previous_functions` are the pre-0.2 names of `.grad_fn` / `.next_functions`"
    modern = "y.grad_fn, y.grad_fn.next_functions"
    why = "torch 2.13 raises AttributeError: 'Tensor' object has no attribute 'creator'."
    reference_step = "autograd.backward_of_sum"
    MARKED = (
        """
        import torch
        x = torch.ones(2, 2, requires_grad=True)
        y = x + 2
        print(y.creator)
        """,
        """
        import torch
        s = torch.randn(3, requires_grad=True).sum()
        fn = s.creator.previous_functions[0]
        """,
        """
        import torch
        print(torch.ones(1, requires_grad=True).exp().creator)
        """,
    )
    UNMARKED = (
        """
        import torch
        y = torch.ones(2, requires_grad=True) * 2
        print(y.grad_fn.next_functions)
        """,
        """
        post = Post()
        print(post.creator)
        """,
        """
        class Doc:
            def __init__(self, creator):
                self.creator = creator
        """,
    )
    FIXES = (
        (
            """
            import torch
            x = torch.ones(2, 2, requires_grad=True)
            y = x + 2
            print(y.creator)  # AddBackward
            """,
            """
            import torch
            x = torch.ones(2, 2, requires_grad=True)
            y = x + 2
            print(y.grad_fn)  # AddBackward
            """,
        ),
        (
            """
            import torch
            s = torch.randn(3, requires_grad=True).sum()
            fn = s.creator.previous_functions[0]
            """,
            """
            import torch
            s = torch.randn(3, requires_grad=True).sum()
            fn = s.grad_fn.next_functions[0]
            """,
        ),
        (
            """
            import torch
            print(torch.ones(1, requires_grad=True).exp().creator)
            """,
            """
            import torch
            print(torch.ones(1, requires_grad=True).exp().grad_fn)
            """,
        ),
    )

    def visit_Attribute(self, node: cst.Attribute, ctx: RuleContext) -> None:
        new = RENAMED.get(node.attr.value)
        if new is None or not _on_graph_value(node.value, ctx):
            return
        ctx.report(node, replacement=node.with_changes(attr=node.attr.with_changes(value=new)))


def _on_graph_value(receiver: cst.BaseExpression, ctx: RuleContext) -> bool:
    """A tensor, or (for previous_functions) the creator/grad_fn of one."""
    if is_torch_value(ctx, receiver):
        return True
    if not (isinstance(receiver, cst.Attribute) and receiver.attr.value in ("creator", "grad_fn")):
        return False
    return _on_graph_value(receiver.value, ctx)
