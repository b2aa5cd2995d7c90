"""retain-variables: `backward(retain_variables=True)` — renamed `retain_graph=` in 0.2."""

from __future__ import annotations

import libcst as cst

from readkit.annotate.rules._helpers import keyword, rename_keyword, with_args
from readkit.annotate.rules.base import LegacyRule, RuleContext

# Old keyword -> new keyword, per function (torch.autograd.backward took variables=/grad_variables=).
RENAMED_KEYWORDS = {"retain_variables": "retain_graph", "grad_variables": "grad_tensors", "variables": "tensors"}
BACKWARD_FUNCTIONS = ("torch.autograd.backward", "torch.autograd.grad")


class RetainVariables(LegacyRule):
    id = "retain-variables"
    message = "retain_variables= (and variables=/grad_variables=) were renamed in torch 0.2-0.4"
    modern = "loss.backward(retain_graph=True)  (only when you backpropagate through the same graph twice)"
    why = "torch 2.13 raises TypeError: backward() got an unexpected keyword argument 'retain_variables'."
    reference_step = "autograd.second_backward_needs_retain_graph"
    MARKED = (
        """
        errD.backward(retain_variables=True)
        """,
        """
        import torch
        loss = model(x).sum()
        loss.backward(retain_variables=True)
        """,
        """
        import torch
        torch.autograd.backward([loss], grad_variables=[g])
        """,
    )
    UNMARKED = (
        """
        loss.backward(retain_graph=True)
        """,
        """
        import torch
        torch.autograd.backward([loss], grad_tensors=[g])
        """,
        """
        import mylib
        mylib.backward(variables=v)
        """,
        """
        loss.backward()
        """,
    )
    FIXES = (
        (
            """
            errD.backward(retain_variables=True)
            """,
            """
            errD.backward(retain_graph=True)
            """,
        ),
        (
            """
            import torch
            torch.autograd.backward(variables=[y], grad_variables=[g], retain_variables=False)
            """,
            """
            import torch
            torch.autograd.backward(tensors=[y], grad_tensors=[g], retain_graph=False)
            """,
        ),
        (
            """
            loss.backward(
                retain_variables=True,  # D and G share it
            )
            """,
            """
            loss.backward(
                retain_graph=True,  # D and G share it
            )
            """,
        ),
    )

    def visit_Call(self, node: cst.Call, ctx: RuleContext) -> None:
        old = [name for name in RENAMED_KEYWORDS if keyword(node, name) is not None]
        if not old or not _is_backward(node, ctx, old):
            return
        args = [_renamed(a) for a in node.args]
        ctx.report(node, replacement=with_args(node, args))


def _renamed(arg: cst.Arg) -> cst.Arg:
    if arg.keyword is None or arg.keyword.value not in RENAMED_KEYWORDS:
        return arg
    return rename_keyword(arg, RENAMED_KEYWORDS[arg.keyword.value])


def _is_backward(call: cst.Call, ctx: RuleContext, old: list[str]) -> bool:
    """torch.autograd.backward/grad, or a `.backward(...)` method: `retain_variables=` is
    torch's own spelling, so a `.backward` whose receiver is unknown still counts for it."""
    if ctx.symbol(call.func) in BACKWARD_FUNCTIONS:
        return True
    if not (isinstance(call.func, cst.Attribute) and call.func.attr.value == "backward"):
        return False
    origin = ctx.origin(call.func.value)
    return (origin is not None and origin.startswith("torch")) or (origin is None and "retain_variables" in old)
