"""tensor-type-dtype: `x.type(torch.FloatTensor)`, `dtype = torch.FloatTensor`, `torch.LongTensor([...])`
— tensor *types* from before torch 0.4 had dtypes (`torch.float32`) and `torch.tensor`."""

from __future__ import annotations

import libcst as cst

from readkit.annotate.rules._context import assigned_once, module_of
from readkit.annotate.rules._helpers import method_call
from readkit.annotate.rules._tensor_types import (
    CPU_TYPES,
    constructor_choices,
    constructor_replacement,
    dtype_node,
    to_call,
    type_call,
    type_of,
)
from readkit.annotate.rules.base import LegacyRule, RuleContext


ALIAS_NOTE = "the name may hold a CUDA type too: use .to(device, dtype) with a torch.dtype by hand"


class TensorTypeDtype(LegacyRule):
    id = "tensor-type-dtype"
    message = "legacy tensor type (torch.FloatTensor ...) used as a dtype or constructor"
    modern = "the dtype of the type named: x.to(torch.int64), dtype = torch.float32, torch.tensor([...], dtype=torch.int64)"
    why = (
        "torch 2.13 still accepts it, but types mix dtype with device "
        "and torch.FloatTensor(n) is uninitialized memory."
    )
    reference_step = "tensors.legacy_cuda_tensor_type"
    replaces_call = True
    MARKED = (
        """
        import torch
        x = torch.randn(3).type(torch.FloatTensor)
        """,
        """
        import torch
        dtype = torch.FloatTensor
        """,
        """
        import torch
        labels = torch.LongTensor([1, 0, 2])
        """,
        """
        import torch as th
        y = y.type(th.LongTensor)
        """,
    )
    UNMARKED = (
        """
        import torch
        x = torch.randn(3).to(torch.float32)
        """,
        """
        import torch
        ok = isinstance(x, torch.FloatTensor)
        """,
        """
        import numpy as np
        x = arr.type(np.float32)
        """,
        """
        import torch
        x = x.type(torch.cuda.FloatTensor)
        """,  # cuda-tensor-type's finding
    )
    FIXES = (
        (
            """
            import torch
            x = torch.randn(3).type(torch.FloatTensor)
            """,
            """
            import torch
            x = torch.randn(3).to(torch.float32)
            """,
        ),
        (
            """
            import torch
            dtype = torch.FloatTensor  # on CPU
            x = torch.randn(4, 2).type(dtype)
            """,
            """
            import torch
            dtype = torch.float32  # on CPU
            x = torch.randn(4, 2).to(dtype)
            """,
        ),
        (
            """
            import torch
            labels = torch.LongTensor([1, 0, 2])
            buf = torch.FloatTensor(2, 3)
            """,
            """
            import torch
            labels = torch.tensor([1, 0, 2], dtype=torch.int64)
            buf = torch.empty(2, 3, dtype=torch.float32)
            """,
        ),
        (  # the alias is also a constructor: both uses become modern
            """
            import torch
            dtype = torch.FloatTensor
            w = dtype(3, 4)
            """,
            """
            import torch
            dtype = torch.float32
            w = torch.empty(3, 4, dtype=torch.float32)
            """,
        ),
    )
    NOTED = (
        # two assignments: which type `dtype` holds is decided at run time
        """
        import torch
        dtype = torch.FloatTensor
        if gpu:
            dtype = torch.cuda.FloatTensor
        x = x.type(dtype)
        """,  # a constructor call that cannot be rewritten keeps the name a type
        """
        import torch
        dtype = torch.FloatTensor
        w = dtype(shape)
        """,
    )

    def __init__(self) -> None:
        self.retyped: set[str] = set()  # names whose `= torch.FloatTensor` became `= torch.float32`

    def visit_Call(self, node: cst.Call, ctx: RuleContext) -> None:
        dtype = type_call(node, ctx, CPU_TYPES)
        if dtype is not None:
            replacement = self._to(node, dtype)
            if replacement is None:
                ctx.report(node, note=ALIAS_NOTE, modern=to_call(node, dtype, device=False))
            else:
                ctx.report(node, replacement=replacement)
            return
        dtype = type_of(node.func, ctx, CPU_TYPES)
        if dtype is None:
            return
        replacement = constructor_replacement(node, dtype, device=False)
        if replacement is None:
            use = f"torch.tensor(data, dtype=torch.{dtype}) or torch.empty(size, ...)"
            ctx.report(node, note=f"data or size? use {use}", modern=constructor_choices(node, dtype, device=False))
        else:
            ctx.report(node, replacement=replacement)

    def visit_Assign(self, node: cst.Assign, ctx: RuleContext) -> None:
        dtype = type_of(node.value, ctx, CPU_TYPES)
        if dtype is None or isinstance(node.value, cst.SimpleString):
            return
        names = [t.target.value for t in node.targets if isinstance(t.target, cst.Name)]
        if len(names) != len(node.targets) or not all(assigned_once(ctx, node, name) for name in names):
            note = f"assigned more than once: use torch.{dtype} (and a device) by hand"
            ctx.report(node.value, note=note, modern=dtype_node(dtype))
            return
        if _called_unfixably(names, node, ctx, dtype):
            note = "this type is also called as a constructor: use torch.tensor/torch.empty there"
            ctx.report(node.value, note=note, modern=dtype_node(dtype))
            return
        self.retyped.update(names)
        ctx.report(node.value, replacement=dtype_node(dtype))

    def _to(self, call: cst.Call, dtype: str) -> cst.Call | None:
        """`x.type(dtype)` keeps the user's name once `dtype` is a torch.dtype: `x.to(dtype)`;
        None for a name whose value this file does not settle (it may be a CUDA type too)."""
        arg = call.args[0].value
        if not isinstance(arg, cst.Name):
            return to_call(call, dtype, device=False)
        if arg.value in self.retyped and isinstance(call.func, cst.Attribute):
            return method_call(call.func.value, "to", [cst.Arg(arg)])
        return None


def _called_unfixably(names: list[str], node: cst.CSTNode, ctx: RuleContext, dtype: str) -> bool:
    """Is one of `names` called as a constructor (`dtype(n)`) somewhere in the file in a
    way this rule does not rewrite too? Then the name must stay a type."""
    module = module_of(ctx, node)
    if module is None:
        return True
    found = False

    class _Calls(cst.CSTVisitor):
        def visit_Call(self, call: cst.Call) -> None:
            nonlocal found
            if isinstance(call.func, cst.Name) and call.func.value in names:
                fixed = type_of(call.func, ctx, CPU_TYPES) and constructor_replacement(call, dtype, device=False)
                found = found or not fixed

    module.visit(_Calls())
    return found
