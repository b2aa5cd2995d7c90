"""Is a `.cuda()` call guarded by a GPU check? An unguarded `model.cuda()` / `x = x.cuda()`
was written for a GPU machine and fails on any other. Moving it to `.to(device)`, with
`device = torch.device("cuda" if torch.cuda.is_available() else "cpu")`, does the same on
every GPU machine (`"cuda"` is the current device, as for `.cuda()`) and runs on a CPU.
A guarded call (`if args.cuda: x = x.cuda()`, `x.cuda() if use_gpu else x`) already runs on
a CPU as its author meant, and is left alone; so is every call in a file with its own `device`.
"""

from __future__ import annotations

import libcst as cst

from readkit.annotate.rules._context import ancestors
from readkit.annotate.rules.base import RuleContext

GUARD_WORDS = ("cuda", "gpu", "cpu")


def under_cuda_guard(ctx: RuleContext, node: cst.CSTNode) -> bool:
    """Is `node` inside an `if`/`while`/conditional expression/`and`-`or` that tests for a GPU?"""
    for parent in ancestors(ctx, node):
        if isinstance(parent, (cst.If, cst.While, cst.IfExp)) and _mentions_cuda(parent.test):
            return True
        if isinstance(parent, cst.BooleanOperation) and _mentions_cuda(parent):
            return True  # `use_cuda and x.cuda()`
    return False


def binds_own_device_or_cuda(module: cst.Module) -> bool:
    """Does the file use a `device` name of its own, or define a `cuda` function (then
    `x.cuda()` may be that one)?"""
    found = False

    class _Finder(cst.CSTVisitor):
        def visit_Name(self, node: cst.Name) -> None:
            nonlocal found
            found = found or node.value == "device"

        def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
            nonlocal found
            found = found or node.name.value == "cuda"

    module.visit(_Finder())
    return found


def movable_arguments(call: cst.Call) -> bool:
    """`x.cuda()` or `x.cuda(non_blocking=True)`: nothing `.to(device, ...)` would not take as it is."""
    return all(arg.keyword is not None and arg.keyword.value == "non_blocking" for arg in call.args)


def _mentions_cuda(expr: cst.CSTNode) -> bool:
    found = False

    class _Words(cst.CSTVisitor):
        def visit_Name(self, node: cst.Name) -> None:
            nonlocal found
            found = found or any(word in node.value.lower() for word in GUARD_WORDS)

    expr.visit(_Words())
    return found


# `torch.cuda` calls that fail without a GPU, as statements of their own: run them only on one
GPU_ONLY_CALLS = ("torch.cuda.set_device", "torch.cuda.synchronize")


def gpu_only_statement(ctx: RuleContext, line: cst.SimpleStatementLine) -> bool:
    """`torch.cuda.set_device(args.gpu)` alone on its line, with no GPU check around it."""
    if len(line.body) != 1 or not isinstance(line.body[0], cst.Expr):
        return False
    call = line.body[0].value
    if not isinstance(call, cst.Call) or ctx.symbol(call.func) not in GPU_ONLY_CALLS:
        return False
    return not under_cuda_guard(ctx, line)


def guarded(line: cst.SimpleStatementLine) -> cst.If:
    """`if torch.cuda.is_available():` around `line` (its comments stay above the `if`)."""
    test = cst.Call(cst.Attribute(cst.Attribute(cst.Name("torch"), cst.Name("cuda")), cst.Name("is_available")))
    body = cst.IndentedBlock(body=[line.with_changes(leading_lines=[])])
    return cst.If(test=test, body=body, leading_lines=line.leading_lines)
