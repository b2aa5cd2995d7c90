"""legacy-function: an `autograd.Function` with instance `forward(self, ...)`, called as `MyFn()(x)`."""

from __future__ import annotations

import libcst as cst

from readkit.annotate.rules._context import ancestors
from readkit.annotate.rules._helpers import rewrite
from readkit.annotate.rules.base import LegacyRule, RuleContext

FUNCTION_BASES = ("torch.autograd.Function", "torch.autograd.function.Function")
STATIC_METHODS = ("forward", "backward")


class LegacyFunction(LegacyRule):
    id = "legacy-function"
    message = "autograd.Function in the pre-0.4 style: instance forward/backward, MyFn()(x), saved_variables"
    modern = "@staticmethod def forward(ctx, x): ...; @staticmethod def backward(ctx, g): ...; y = MyFn.apply(x)"
    why = (
        "torch 2.13 raises RuntimeError 'Legacy autograd function with non-static forward method is deprecated' "
        "when it is called as MyFn()(x)."
    )
    reference_step = "autograd.custom_relu_function"
    replaces_call = True
    MARKED = (
        """
        import torch
        class MyReLU(torch.autograd.Function):
            def forward(self, x):
                self.save_for_backward(x)
                return x.clamp(min=0)
        """,
        """
        from torch.autograd import Function
        class Sq(Function):
            def forward(self, x):
                return x * x
        """,
        """
        from torch import autograd
        class Id(autograd.Function):
            def __init__(self, k):
                super().__init__()
                self.k = k
            def forward(self, x):
                return x * self.k
        """,
        """
        import torch
        class Double(torch.autograd.Function):
            @staticmethod
            def backward(ctx, g):
                x, = ctx.saved_variables
                return 2 * g
        """,
    )
    UNMARKED = (
        """
        import torch
        class MyReLU(torch.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                ctx.save_for_backward(x)
                return x.clamp(min=0)
        """,
        """
        class Cache:
            def load(self):
                return self.saved_variables
        """,
        """
        import torch.nn as nn
        class Net(nn.Module):
            def forward(self, x):
                return x
        """,
        """
        class Function:
            pass
        class F(Function):
            def forward(self, x):
                return x
        """,
    )
    FIXES = (
        (
            """
            import torch

            class MyReLU(torch.autograd.Function):
                def forward(self, input):
                    self.save_for_backward(input)  # keep it
                    return input.clamp(min=0)

                def backward(self, grad_output):
                    input, = self.saved_variables
                    grad_input = grad_output.clone()
                    grad_input[input < 0] = 0
                    return grad_input

            y = MyReLU()(x)
            """,
            """
            import torch

            class MyReLU(torch.autograd.Function):
                @staticmethod
                def forward(ctx, input):
                    ctx.save_for_backward(input)  # keep it
                    return input.clamp(min=0)

                @staticmethod
                def backward(ctx, grad_output):
                    input, = ctx.saved_tensors
                    grad_input = grad_output.clone()
                    grad_input[input < 0] = 0
                    return grad_input

            y = MyReLU.apply(x)
            """,
        ),
        (
            """
            import torch
            class Double(torch.autograd.Function):
                @staticmethod
                def backward(ctx, g):
                    x, = ctx.saved_variables  # 0.3 name
                    return 2 * g
            """,
            """
            import torch
            class Double(torch.autograd.Function):
                @staticmethod
                def backward(ctx, g):
                    x, = ctx.saved_tensors  # 0.3 name
                    return 2 * g
            """,
        ),
        (
            """
            from torch.autograd import Function
            class Sq(Function):
                def forward(self, x):
                    return x * x
            square = Sq()
            y = square(x)
            """,
            """
            from torch.autograd import Function
            class Sq(Function):
                @staticmethod
                def forward(ctx, x):
                    return x * x
            square = Sq.apply
            y = square(x)
            """,
        ),
    )
    NOTED = (
        # constructor arguments must become forward arguments
        """
        from torch import autograd
        class Id(autograd.Function):
            def __init__(self, k):
                self.k = k
            def forward(self, x):
                return x * self.k
        y = Id(2)(x)
        """,
    )

    def __init__(self) -> None:
        self.fixed_classes: set[str] = set()  # legacy Functions rewritten in this file
        self.rewritten: cst.ClassDef | None = None  # the last legacy Function class rewritten

    def visit_ClassDef(self, node: cst.ClassDef, ctx: RuleContext) -> None:
        if not _is_function_class(node, ctx):
            return
        methods = _instance_methods(node)
        if not methods:
            return
        if _defines(node, "__init__"):
            note = "constructor arguments must become extra forward() arguments (and None gradients in backward)"
            ctx.report(node, note=note)
            return
        self.fixed_classes.add(node.name.value)
        self.rewritten = node  # rewritten whole: its saved_variables go with it
        ctx.report(node, replacement=_static_class(node, methods))

    def visit_Attribute(self, node: cst.Attribute, ctx: RuleContext) -> None:
        """`ctx.saved_variables` (0.3 name) inside a Function: `ctx.saved_tensors`."""
        if node.attr.value != "saved_variables":
            return
        owner = next((p for p in ancestors(ctx, node) if isinstance(p, cst.ClassDef)), None)
        if owner is not None and owner is not self.rewritten and _is_function_class(owner, ctx):
            ctx.report(node, replacement=node.with_changes(attr=cst.Name("saved_tensors")))

    def visit_Call(self, node: cst.Call, ctx: RuleContext) -> None:
        """`MyFn()` -> `MyFn.apply`, so `MyFn()(x)` becomes `MyFn.apply(x)`."""
        func = node.func
        if isinstance(func, cst.Name) and func.value in self.fixed_classes and not node.args:
            ctx.report(node, replacement=cst.Attribute(value=func, attr=cst.Name("apply")))


def _is_function_class(node: cst.ClassDef, ctx: RuleContext) -> bool:
    return any(ctx.symbol(base.value) in FUNCTION_BASES for base in node.bases)


def _instance_methods(node: cst.ClassDef) -> list[cst.FunctionDef]:
    return [
        item
        for item in node.body.body
        if isinstance(item, cst.FunctionDef)
        and item.name.value in STATIC_METHODS
        and not any(isinstance(d.decorator, cst.Name) and d.decorator.value == "staticmethod" for d in item.decorators)
        and item.params.params
    ]


def _defines(node: cst.ClassDef, name: str) -> bool:
    return any(isinstance(item, cst.FunctionDef) and item.name.value == name for item in node.body.body)


def _static_class(node: cst.ClassDef, methods: list[cst.FunctionDef]) -> cst.ClassDef:
    targets = {id(m) for m in methods}

    def leave(original: cst.CSTNode, updated: cst.CSTNode) -> cst.CSTNode:
        if isinstance(updated, cst.FunctionDef) and id(original) in targets:
            return _static_method(updated)
        return updated

    return rewrite(node, leave)  # type: ignore[return-value]  # rewrite gives back the kind of node it was given


def _static_method(method: cst.FunctionDef) -> cst.FunctionDef:
    """`def forward(self, x)` -> `@staticmethod def forward(ctx, x)`, `self.` -> `ctx.` inside."""
    first = method.params.params[0].name.value

    def leave(original: cst.CSTNode, updated: cst.CSTNode) -> cst.CSTNode:
        if isinstance(updated, cst.Name) and updated.value == first:
            return updated.with_changes(value="ctx")
        if isinstance(updated, cst.Attribute) and updated.attr.value == "saved_variables":
            return updated.with_changes(attr=cst.Name("saved_tensors"))
        return updated

    renamed: cst.FunctionDef = rewrite(method, leave)  # type: ignore[assignment]  # rewrite gives back the kind of node it was given
    decorator = cst.Decorator(decorator=cst.Name("staticmethod"))
    return renamed.with_changes(decorators=[decorator, *renamed.decorators])
