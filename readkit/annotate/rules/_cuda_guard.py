"""Does a script choose between GPU and CPU anywhere? A script that never does
(`model.cuda()`, `x = x.cuda()` with no `if args.cuda:`, no `torch.cuda.is_available()`,
no `device`) was written for a GPU machine only and fails on any other: its `.cuda()`
calls can move to a `device` picked at run time without changing what happens on a GPU.
A script with any guard already runs on a CPU as its author intended, and is left alone.
"""

from __future__ import annotations

import libcst as cst

GUARD_WORDS = ("cuda", "gpu")


def has_cuda_guard(module: cst.Module) -> bool:
    """A condition mentioning cuda/gpu (`if args.cuda:`, `x.cuda() if use_gpu else x`),
    `torch.cuda.is_available`, or a `device` of the script's own anywhere."""
    finder = _Guards()
    module.visit(finder)
    return finder.found


def defines_cuda(module: cst.Module) -> bool:
    """Does the file define its own `cuda` function or method (then `x.cuda()` may be that)?"""
    found = False

    class _Defs(cst.CSTVisitor):
        def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
            nonlocal found
            found = found or node.name.value == "cuda"

    module.visit(_Defs())
    return found


class _Guards(cst.CSTVisitor):
    def __init__(self) -> None:
        self.found = False

    def visit_If(self, node: cst.If) -> None:
        self.found = self.found or _mentions_cuda(node.test)

    def visit_While(self, node: cst.While) -> None:
        self.found = self.found or _mentions_cuda(node.test)

    def visit_IfExp(self, node: cst.IfExp) -> None:
        self.found = self.found or _mentions_cuda(node.test)

    def visit_BooleanOperation(self, node: cst.BooleanOperation) -> None:
        self.found = self.found or _mentions_cuda(node)  # `use_cuda and x.cuda()`

    def visit_Attribute(self, node: cst.Attribute) -> None:
        self.found = self.found or node.attr.value in ("is_available", "device_count")

    def visit_Name(self, node: cst.Name) -> None:
        self.found = self.found or node.value == "device"


def _mentions_cuda(expr: cst.CSTNode) -> bool:
    found = False

    class _Words(cst.CSTVisitor):
        def visit_Name(self, node: cst.Name) -> None:
            nonlocal found
            found = found or any(word in node.value.lower() for word in GUARD_WORDS)

    expr.visit(_Words())
    return found
