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
    MARKED = (
        "import torch\nclass MyReLU(torch.autograd.Function):\n    def forward(self, x):\n"
        "        self.save_for_backward(x)\n        return x.clamp(min=0)\n",
        "from torch.autograd import Function\nclass Sq(Function):\n    def forward(self, x):\n        return x * x\n",
        "from torch import autograd\nclass Id(autograd.Function):\n    def __init__(self, k):\n        super().__init__()\n"
        "        self.k = k\n    def forward(self, x):\n        return x * self.k\n",
        "import torch\nclass Double(torch.autograd.Function):\n    @staticmethod\n    def backward(ctx, g):\n"
        "        x, = ctx.saved_variables\n        return 2 * g\n",
    )
    UNMARKED = (
        "import torch\nclass MyReLU(torch.autograd.Function):\n    @staticmethod\n    def forward(ctx, x):\n"
        "        ctx.save_for_backward(x)\n        return x.clamp(min=0)\n",
        "class Cache:\n    def load(self):\n        return self.saved_variables\n",
        "import torch.nn as nn\nclass Net(nn.Module):\n    def forward(self, x):\n        return x\n",
        "class Function:\n    pass\nclass F(Function):\n    def forward(self, x):\n        return x\n",
    )
    FIXES = (
        (
            "import torch\n\nclass MyReLU(torch.autograd.Function):\n"
            "    def forward(self, input):\n        self.save_for_backward(input)  # keep it\n        return input.clamp(min=0)\n\n"
            "    def backward(self, grad_output):\n        input, = self.saved_variables\n"
            "        grad_input = grad_output.clone()\n        grad_input[input < 0] = 0\n        return grad_input\n\n"
            "y = MyReLU()(x)\n",
            "import torch\n\nclass MyReLU(torch.autograd.Function):\n"
            "    @staticmethod\n    def forward(ctx, input):\n        ctx.save_for_backward(input)  # keep it\n        return input.clamp(min=0)\n\n"
            "    @staticmethod\n    def backward(ctx, grad_output):\n        input, = ctx.saved_tensors\n"
            "        grad_input = grad_output.clone()\n        grad_input[input < 0] = 0\n        return grad_input\n\n"
            "y = MyReLU.apply(x)\n",
        ),
        (
            "import torch\nclass Double(torch.autograd.Function):\n    @staticmethod\n    def backward(ctx, g):\n"
            "        x, = ctx.saved_variables  # 0.3 name\n        return 2 * g\n",
            "import torch\nclass Double(torch.autograd.Function):\n    @staticmethod\n    def backward(ctx, g):\n"
            "        x, = ctx.saved_tensors  # 0.3 name\n        return 2 * g\n",
        ),
        (
            "from torch.autograd import Function\nclass Sq(Function):\n    def forward(self, x):\n        return x * x\n"
            "square = Sq()\ny = square(x)\n",
            "from torch.autograd import Function\nclass Sq(Function):\n    @staticmethod\n    def forward(ctx, x):\n        return x * x\n"
            "square = Sq.apply\ny = square(x)\n",
        ),
    )
    NOTED = (  # constructor arguments must become forward arguments
        "from torch import autograd\nclass Id(autograd.Function):\n    def __init__(self, k):\n        self.k = k\n"
        "    def forward(self, x):\n        return x * self.k\ny = Id(2)(x)\n",
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

    return rewrite(node, leave)  # type: ignore[return-value]


def _static_method(method: cst.FunctionDef) -> cst.FunctionDef:
    """`def forward(self, x)` -> `@staticmethod def forward(ctx, x)`, `self.` -> `ctx.` inside."""
    first = method.params.params[0].name.value

    def leave(original: cst.CSTNode, updated: cst.CSTNode) -> cst.CSTNode:
        if isinstance(updated, cst.Name) and updated.value == first:
            return updated.with_changes(value="ctx")
        if isinstance(updated, cst.Attribute) and updated.attr.value == "saved_variables":
            return updated.with_changes(attr=cst.Name("saved_tensors"))
        return updated

    renamed: cst.FunctionDef = rewrite(method, leave)  # type: ignore[assignment]
    decorator = cst.Decorator(decorator=cst.Name("staticmethod"))
    return renamed.with_changes(decorators=[decorator, *renamed.decorators])
