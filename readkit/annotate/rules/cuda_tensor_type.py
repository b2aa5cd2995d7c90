"""cuda-tensor-type: `torch.cuda.FloatTensor(...)`, `x.type(torch.cuda.FloatTensor)`,
`dtype = torch.cuda.FloatTensor` — the device was part of the type before torch 0.4."""

from __future__ import annotations

import libcst as cst

from readkit.annotate.rules._context import assigned_once, is_torch_value, module_of
from readkit.annotate.rules._cuda_guard import movable_arguments
from readkit.annotate.rules._helpers import dotted, method_call
from readkit.annotate.rules._tensor_types import (
    CPU_TYPES,
    CUDA_TYPES,
    constructor_choices,
    constructor_replacement,
    dtype_node,
    to_call,
    type_call,
    type_of,
)
from readkit.annotate.rules._type_switch import (
    SwitchUses,
    binds_device,
    code_of,
    device_condition,
    is_type_switch,
    switch_uses,
)
from readkit.annotate.rules.base import LegacyRule, RuleContext

SWITCH_NOTE = (
    "a type that carries the device: keep `dtype = torch.float32`, make "
    "`device = torch.device('cuda' if ... else 'cpu')` and move tensors with .to(device, dtype)"
)

SWITCH_USE_NOTE = (
    "the name is also used where a torch.dtype would not do (called with data-or-size arguments, passed on): "
    "write torch.tensor(data, dtype=..., device=device) / torch.empty(size, ...) there, then split the switch"
)



class CudaTensorType(LegacyRule):
    id = "cuda-tensor-type"
    message = "CUDA tensor type (torch.cuda.FloatTensor): device and dtype are separate since torch 0.4"
    modern = "torch.empty(2, 3, dtype=torch.float32, device=device), x.to(device, torch.float32)"
    why = (
        "torch 2.13 raises TypeError 'type torch.cuda.FloatTensor not available' on a machine without CUDA. "
        "The fix keeps dtype and device apart: device = torch.device('cuda' if torch.cuda.is_available() else 'cpu') "
        "once, then torch.empty/torch.tensor(..., dtype=..., device=device) and x.to(device, dtype); the file's "
        "other `.cuda()` calls then move to `.to(device)` too."
    )
    reference_step = "tensors.legacy_cuda_tensor_type"
    replaces_call = True
    MARKED = (
        """
        import torch
        x = torch.cuda.FloatTensor(64, 10)
        """,
        """
        import torch
        x = x.type(torch.cuda.LongTensor)
        """,
        """
        import torch
        dtype = torch.cuda.FloatTensor
        """,
        """
        import torch
        use_cuda = torch.cuda.is_available()
        dtype = torch.cuda.FloatTensor if use_cuda else torch.FloatTensor
        """,
    )
    UNMARKED = (
        """
        import torch
        x = torch.zeros(64, 10, device='cuda')
        """,
        """
        import torch
        ok = isinstance(x, torch.cuda.FloatTensor)
        """,
        """
        import torch
        x = x.type(torch.FloatTensor)
        """,
        """
        import cupy
        x = cupy.cuda.FloatTensor(3)
        """,
    )
    FIXES = (
        (
            """
            import torch
            x = x.type(torch.cuda.FloatTensor)
            """,
            """
            import torch

            device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
            x = x.to(device, torch.float32)
            """,
        ),
        (
            '''
            """Data."""
            import torch
            from torch import cuda
            labels = cuda.LongTensor([0, 1])
            buf = cuda.FloatTensor(N, D)
            w = torch.randn(D).cuda()
            ''',
            '''
            """Data."""
            import torch
            from torch import cuda

            device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
            labels = torch.tensor([0, 1], dtype=torch.int64, device=device)
            buf = torch.empty(N, D, dtype=torch.float32, device=device)
            w = torch.randn(D).to(device)
            ''',
        ),
        (
            """
            import torch

            # pick the GPU when asked
            dtype = torch.cuda.FloatTensor if args.cuda else torch.FloatTensor
            x = torch.randn(2).type(dtype)
            """,
            """
            import torch

            # pick the GPU when asked
            device = torch.device("cuda" if args.cuda else "cpu")
            dtype = torch.float32
            x = torch.randn(2).to(device, dtype)
            """,
        ),
        (
            """
            import torch
            device = torch.device('cuda:1')
            def f(x):
                return x.type(torch.cuda.DoubleTensor)
            """,
            """
            import torch
            device = torch.device('cuda:1')
            def f(x):
                return x.to(device, torch.float64)
            """,
        ),
        (  # switch names used as constructors and as types; one `device` line for both switches
            """
            import numpy as np
            import torch
            use_cuda = torch.cuda.is_available()
            FloatTensor = torch.cuda.FloatTensor if use_cuda else torch.FloatTensor
            LongTensor = torch.cuda.LongTensor if use_cuda else torch.LongTensor
            w = FloatTensor(3, 4)
            x = FloatTensor(np.ones(3))
            y = torch.zeros(2).type(LongTensor)
            """,
            """
            import numpy as np
            import torch
            use_cuda = torch.cuda.is_available()
            device = torch.device("cuda" if use_cuda else "cpu")
            LongTensor = torch.int64
            w = torch.empty(3, 4, dtype=torch.float32, device=device)
            x = torch.tensor(np.ones(3), dtype=torch.float32, device=device)
            y = torch.zeros(2).to(device, LongTensor)
            """,
        ),
    )
    NOTED = (
        # `FloatTensor(state)`: data or a size? A torch.dtype in its place would not be callable
        """
        import torch
        use_cuda = torch.cuda.is_available()
        FloatTensor = torch.cuda.FloatTensor if use_cuda else torch.FloatTensor
        x = FloatTensor(state)
        """,
    )

    def __init__(self) -> None:
        self.uses_device = False  # a fix in this file already moved code onto `device`
        self.device_where: str | None = None  # `"cuda" if c else "cpu"` of the file's split switch

    def visit_Call(self, node: cst.Call, ctx: RuleContext) -> None:
        if type_call(node, ctx, CUDA_TYPES) is not None:
            self._conversion(node, ctx)
        elif type_of(node.func, ctx, CUDA_TYPES) is not None:
            self._constructor(node, ctx)
        else:
            self._cuda_call(node, ctx)

    def _conversion(self, node: cst.Call, ctx: RuleContext) -> None:
        """`x.type(torch.cuda.FloatTensor)` -> `x.to(device, torch.float32)`."""
        dtype = type_call(node, ctx, CUDA_TYPES)
        if dtype is None or isinstance(node.args[0].value, cst.Name):
            ctx.report(node, note=SWITCH_NOTE)  # an alias: its value may differ at run time
            return
        self.uses_device = True
        ctx.report(node, replacement=to_call(node, dtype, device=True))

    def _constructor(self, node: cst.Call, ctx: RuleContext) -> None:
        """`torch.cuda.FloatTensor(2, 3)` -> `torch.empty(2, 3, dtype=torch.float32, device=device)`."""
        dtype = type_of(node.func, ctx, CUDA_TYPES) or "float32"
        replacement = constructor_replacement(node, dtype, device=True)
        if replacement is None:
            use = f"torch.tensor(data, dtype=torch.{dtype}, device=device) or torch.empty(size, ...)"
            ctx.report(node, note=f"data or size? use {use}", modern=constructor_choices(node, dtype, device=True))
            return
        self.uses_device = True
        ctx.report(node, replacement=replacement)

    def _cuda_call(self, node: cst.Call, ctx: RuleContext) -> None:
        """`x.cuda()` -> `x.to(device)` once a fix moved the file onto `device` (an unguarded
        `.cuda()` in a file without one is cuda-only-call's portability note)."""
        func = node.func
        if not (isinstance(func, cst.Attribute) and func.attr.value == "cuda" and movable_arguments(node)):
            return
        if self.uses_device and is_torch_value(ctx, func.value):
            ctx.report(node, replacement=method_call(func.value, "to", [cst.Arg(cst.Name("device")), *node.args]))

    def visit_Assign(self, node: cst.Assign, ctx: RuleContext) -> None:
        value = node.value
        if type_of(value, ctx, CUDA_TYPES) is not None:
            ctx.report(value, note=SWITCH_NOTE)
        elif is_type_switch(value, ctx):
            self._split_switch(node, ctx)

    def _split_switch(self, node: cst.Assign, ctx: RuleContext) -> None:
        """`dtype = torch.cuda.FloatTensor if c else torch.FloatTensor` ->
        `device = torch.device("cuda" if c else "cpu")` (once per file) and `dtype = torch.float32`;
        `.type(dtype)` becomes `.to(device, dtype)`, `dtype(2, 3)` `torch.empty(2, 3, dtype=..., device=device)`."""
        statement, switch = ctx.parent(node), node.value
        assert isinstance(switch, cst.IfExp)
        dtypes = {type_of(side, ctx, {**CUDA_TYPES, **CPU_TYPES}) or "" for side in (switch.body, switch.orelse)}
        single = isinstance(statement, cst.SimpleStatementLine) and len(statement.body) == 1 and len(node.targets) == 1
        target = node.targets[0].target if single else None
        name = target.value if isinstance(target, cst.Name) and assigned_once(ctx, node, target.value) else None
        module = module_of(ctx, node)
        settled = name is not None and module is not None and len(dtypes) == 1
        uses = switch_uses(module, name, min(dtypes)) if settled and module and name else None
        where = device_condition(switch, ctx)
        if uses is None or self.device_where not in (None, code_of(where)) or self._device_taken(ctx, node):
            ctx.report(switch, note=SWITCH_USE_NOTE if settled and uses is None else SWITCH_NOTE)
            return
        assert isinstance(statement, cst.SimpleStatementLine)
        for call, replacement in (*uses.conversions, *uses.constructors):
            ctx.report(call, replacement=replacement)
        ctx.report(statement, replacement=self._device_and_dtype(statement, node, where, uses, dtypes.pop()))

    def _device_taken(self, ctx: RuleContext, node: cst.CSTNode) -> bool:
        """Does the file bind `device` itself (not by an earlier switch's split)?"""
        return self.device_where is None and binds_device(ctx, node)

    def _device_and_dtype(
        self, statement: cst.SimpleStatementLine, node: cst.Assign, where: cst.IfExp, uses: SwitchUses, dtype: str
    ) -> cst.FlattenSentinel[cst.BaseStatement] | cst.RemovalSentinel:
        """The statements replacing the switch: the `device` line (only the first switch of the
        file makes it) and the dtype line (only while a conversion still names it)."""
        lines: list[cst.BaseStatement] = []
        if self.device_where is None:
            device_of = cst.Call(dotted("torch.device"), [cst.Arg(where)])
            lines.append(statement.with_changes(body=[cst.Assign([cst.AssignTarget(cst.Name("device"))], device_of)]))
            self.device_where = code_of(where)
        if uses.conversions:
            dtype_line = statement.with_changes(body=[node.with_changes(value=dtype_node(dtype))])
            lines.append(dtype_line.with_changes(leading_lines=[]) if lines else dtype_line)
        return cst.FlattenSentinel(lines) if lines else cst.RemovalSentinel.REMOVE
