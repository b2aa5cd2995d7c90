"""cuda-tensor-type: `torch.cuda.FloatTensor(...)`, `x.type(torch.cuda.FloatTensor)`,
`dtype = torch.cuda.FloatTensor` — the device was part of the type before torch 0.4."""

from __future__ import annotations

import libcst as cst

from readkit.annotate.rules._context import assigned_once, is_torch_value, module_of
from readkit.annotate.rules._helpers import dotted, method_call
from readkit.annotate.rules._tensor_types import (
    CPU_TYPES,
    CUDA_TYPES,
    constructor_replacement,
    dtype_node,
    to_call,
    type_call,
    type_of,
)
from readkit.annotate.rules.base import LegacyRule, RuleContext

SWITCH_NOTE = (
    "a type that carries the device: keep `dtype = torch.float32`, make "
    "`device = torch.device('cuda' if ... else 'cpu')` and move tensors with .to(device, dtype)"
)


class CudaTensorType(LegacyRule):
    id = "cuda-tensor-type"
    message = "CUDA tensor type (torch.cuda.FloatTensor): device and dtype are separate since torch 0.4"
    modern = (
        "device = torch.device('cuda' if torch.cuda.is_available() else 'cpu'); "
        "x.to(device), torch.zeros(..., device=device)"
    )
    why = "torch 2.13 raises TypeError 'type torch.cuda.FloatTensor not available' on a machine without CUDA."
    reference_step = "tensors.legacy_cuda_tensor_type"
    MARKED = (
        "import torch\nx = torch.cuda.FloatTensor(64, 10)\n",
        "import torch\nx = x.type(torch.cuda.LongTensor)\n",
        "import torch\ndtype = torch.cuda.FloatTensor\n",
        "import torch\nuse_cuda = torch.cuda.is_available()\ndtype = torch.cuda.FloatTensor if use_cuda else torch.FloatTensor\n",
    )
    UNMARKED = (
        "import torch\nx = torch.zeros(64, 10, device='cuda')\n",
        "import torch\nok = isinstance(x, torch.cuda.FloatTensor)\n",
        "import torch\nx = x.type(torch.FloatTensor)\n",
        "import cupy\nx = cupy.cuda.FloatTensor(3)\n",
    )
    FIXES = (
        (
            "import torch\nx = x.type(torch.cuda.FloatTensor)\n",
            "import torch\n\n"
            'device = torch.device("cuda" if torch.cuda.is_available() else "cpu")\n'
            "x = x.to(device, torch.float32)\n",
        ),
        (
            '"""Data."""\nimport torch\nfrom torch import cuda\nlabels = cuda.LongTensor([0, 1])\nbuf = cuda.FloatTensor(N, D)\nw = torch.randn(D).cuda()\n',
            '"""Data."""\nimport torch\nfrom torch import cuda\n\n'
            'device = torch.device("cuda" if torch.cuda.is_available() else "cpu")\n'
            "labels = torch.tensor([0, 1], dtype=torch.int64, device=device)\n"
            "buf = torch.empty(N, D, dtype=torch.float32, device=device)\nw = torch.randn(D).to(device)\n",
        ),
        (
            "import torch\n\n# pick the GPU when asked\ndtype = torch.cuda.FloatTensor if args.cuda else torch.FloatTensor\n"
            "x = torch.randn(2).type(dtype)\n",
            "import torch\n\n# pick the GPU when asked\ndevice = torch.device(\"cuda\" if args.cuda else \"cpu\")\ndtype = torch.float32\n"
            "x = torch.randn(2).to(device, dtype)\n",
        ),
        (
            "import torch\ndevice = torch.device('cuda:1')\ndef f(x):\n    return x.type(torch.cuda.DoubleTensor)\n",
            "import torch\ndevice = torch.device('cuda:1')\ndef f(x):\n    return x.to(device, torch.float64)\n",
        ),
    )

    def __init__(self) -> None:
        self.uses_device = False  # a fix in this file already moved code onto `device`
        self.switches: set[str] = set()  # names of type switches split into device + dtype

    def visit_Call(self, node: cst.Call, ctx: RuleContext) -> None:
        switch = _switch_argument(node, self.switches)
        if switch is not None:
            moved = [cst.Arg(cst.Name("device")), cst.Arg(node.args[0].value)]
            ctx.report(node, replacement=method_call(switch, "to", moved))
        elif type_call(node, ctx, CUDA_TYPES) is not None:
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
            ctx.report(node, note=f"data or size? use {use}")
            return
        self.uses_device = True
        ctx.report(node, replacement=replacement)

    def _cuda_call(self, node: cst.Call, ctx: RuleContext) -> None:
        """Once the file moved onto `device`, a bare `x.cuda()` follows: `x.to(device)`
        (the same on a GPU, and no longer a failure on a CPU-only machine)."""
        func = node.func
        if not (self.uses_device and not node.args and isinstance(func, cst.Attribute) and func.attr.value == "cuda"):
            return
        if is_torch_value(ctx, func.value):
            ctx.report(node, replacement=method_call(func.value, "to", [cst.Arg(cst.Name("device"))]))

    def visit_Assign(self, node: cst.Assign, ctx: RuleContext) -> None:
        value = node.value
        if type_of(value, ctx, CUDA_TYPES) is not None:
            ctx.report(value, note=SWITCH_NOTE)
        elif _is_type_switch(value, ctx):
            self._split_switch(node, ctx)

    def _split_switch(self, node: cst.Assign, ctx: RuleContext) -> None:
        """`dtype = torch.cuda.FloatTensor if c else torch.FloatTensor` ->
        `device = torch.device("cuda" if c else "cpu")` and `dtype = torch.float32`;
        later `.type(dtype)` becomes `.to(device, dtype)`."""
        statement = ctx.parent(node)
        switch = node.value
        assert isinstance(switch, cst.IfExp)
        dtypes = {type_of(side, ctx, {**CUDA_TYPES, **CPU_TYPES}) for side in (switch.body, switch.orelse)}
        single = isinstance(statement, cst.SimpleStatementLine) and len(statement.body) == 1 and len(node.targets) == 1
        target = node.targets[0].target if single else None
        once = isinstance(target, cst.Name) and assigned_once(ctx, node, target.value)
        if len(dtypes) != 1 or not once or _binds_device(ctx, node):
            ctx.report(switch, note=SWITCH_NOTE)
            return
        assert isinstance(statement, cst.SimpleStatementLine)
        cuda_first = type_of(switch.body, ctx, CUDA_TYPES) is not None
        names = (cst.SimpleString('"cuda"'), cst.SimpleString('"cpu"'))  # as in the migrator's device line
        where = switch.with_changes(body=names[not cuda_first], orelse=names[cuda_first])
        device_of = cst.Call(dotted("torch.device"), [cst.Arg(where)])
        device = statement.with_changes(body=[cst.Assign([cst.AssignTarget(cst.Name("device"))], device_of)])
        dtype = statement.with_changes(body=[node.with_changes(value=dtype_node(dtypes.pop() or ""))], leading_lines=[])
        assert isinstance(target, cst.Name)
        self.switches.add(target.value)
        ctx.report(statement, replacement=cst.FlattenSentinel([device, dtype]))


def _is_type_switch(value: cst.BaseExpression, ctx: RuleContext) -> bool:
    """`torch.cuda.FloatTensor if use_cuda else torch.FloatTensor` (either way round)."""
    if not isinstance(value, cst.IfExp):
        return False
    sides = (value.body, value.orelse)
    tables = (CUDA_TYPES, {**CUDA_TYPES, **CPU_TYPES})
    return any(type_of(side, ctx, CUDA_TYPES) is not None for side in sides) and all(
        type_of(side, ctx, tables[1]) is not None for side in sides
    )


def _switch_argument(call: cst.Call, switches: set[str]) -> cst.BaseExpression | None:
    """The receiver of `x.type(dtype)` when `dtype` is a split type switch."""
    func = call.func
    if not (switches and isinstance(func, cst.Attribute) and func.attr.value == "type" and len(call.args) == 1):
        return None
    arg = call.args[0].value
    return func.value if isinstance(arg, cst.Name) and arg.value in switches and call.args[0].keyword is None else None


def _binds_device(ctx: RuleContext, node: cst.CSTNode) -> bool:
    """Does the file already use the name `device`? Then a new one would clash."""
    module = module_of(ctx, node)
    found = False

    class _Device(cst.CSTVisitor):
        def visit_Name(self, name: cst.Name) -> None:
            nonlocal found
            found = found or name.value == "device"

    if module is not None:
        module.visit(_Device())
    return found
