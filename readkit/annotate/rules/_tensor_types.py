"""The legacy typed tensor classes and the dtype each one stands for (shared by
tensor-type-dtype and cuda-tensor-type), plus the rewrites both rules use."""

from __future__ import annotations

import libcst as cst

from readkit.annotate.rules._helpers import dotted, make_keyword, method_call, positional, with_args
from readkit.annotate.rules.base import RuleContext

DTYPES = {
    "FloatTensor": "float32",
    "DoubleTensor": "float64",
    "HalfTensor": "float16",
    "BFloat16Tensor": "bfloat16",
    "ByteTensor": "uint8",
    "CharTensor": "int8",
    "ShortTensor": "int16",
    "IntTensor": "int32",
    "LongTensor": "int64",
    "BoolTensor": "bool",
}
CPU_TYPES = {f"torch.{name}": dtype for name, dtype in DTYPES.items()}
CUDA_TYPES = {f"torch.cuda.{name}": dtype for name, dtype in DTYPES.items()}


def type_of(expr: cst.BaseExpression, ctx: RuleContext, table: dict[str, str]) -> str | None:
    """The dtype name when `expr` names a legacy tensor type of `table` (also as the string 'torch.FloatTensor')."""
    if isinstance(expr, cst.SimpleString):
        value = expr.evaluated_value
        return table.get(value) if isinstance(value, str) else None
    if not isinstance(expr, (cst.Name, cst.Attribute)):
        return None  # a call *of* a type is a constructor, not the type
    symbol = ctx.symbol(expr)
    return table.get(symbol) if symbol is not None else None


def dtype_node(dtype: str) -> cst.Attribute | cst.Name:
    return dotted(f"torch.{dtype}")


def constructor_replacement(call: cst.Call, dtype: str, device: bool) -> cst.Call | None:
    """`torch.FloatTensor([1, 2])` -> `torch.tensor([1, 2], dtype=torch.float32)`;
    `torch.FloatTensor(2, 3)` or `(N, D)` -> `torch.empty(N, D, dtype=torch.float32)`; None when the
    arguments do not say which of the two was meant (a variable may be data or a size)."""
    args = positional(call)
    if len(args) != len(call.args) or not args:
        return None
    extra = [make_keyword("dtype", dtype_node(dtype))]
    if device:
        extra.append(make_keyword("device", cst.Name("device")))
    if len(args) == 1 and _is_data(args[0].value):
        return with_args(cst.Call(func=dotted("torch.tensor")), [args[0], *extra])
    sizes = len(args) >= 2 and not any(isinstance(a.value, (cst.List, cst.Tuple)) for a in args)
    if sizes or all(isinstance(a.value, cst.Integer) for a in args):
        return with_args(cst.Call(func=dotted("torch.empty")), [*args, *extra])
    return None


def constructor_choices(call: cst.Call, dtype: str, device: bool) -> tuple[cst.Call, cst.Call]:
    """`torch.LongTensor(n)` when `n` may be data or a size: the two modern calls it may mean,
    `torch.tensor(n, dtype=torch.int64)` and `torch.empty(n, dtype=torch.int64)`."""
    extra = [make_keyword("dtype", dtype_node(dtype))]
    if device:
        extra.append(make_keyword("device", cst.Name("device")))
    args = list(call.args)
    return (with_args(cst.Call(func=dotted("torch.tensor")), [*args, *extra]),
            with_args(cst.Call(func=dotted("torch.empty")), [*args, *extra]))


def _is_data(expr: cst.BaseExpression) -> bool:
    """Is `expr` plainly data, not sizes: a literal list, a comprehension, a slice, a numpy array
    (`np.array(...)`, `x.astype(...)`)?"""
    if isinstance(expr, (cst.List, cst.Tuple, cst.ListComp)):
        return True
    if isinstance(expr, cst.Subscript):  # `images[i:i + n]`: a slice of data, never a size
        return any(isinstance(element.slice, cst.Slice) for element in expr.slice)
    if not isinstance(expr, cst.Call):
        return False
    func = expr.func
    if isinstance(func, cst.Attribute) and func.attr.value == "astype":
        return True
    if isinstance(func, cst.Attribute) and func.attr.value in NUMPY_SCALARS:
        return False
    while isinstance(func, cst.Attribute):
        func = func.value
    return isinstance(func, cst.Name) and func.value in NUMPY_NAMES


NUMPY_NAMES = ("np", "numpy")  # the names scripts give numpy: `np.array(x)` is data
NUMPY_SCALARS = frozenset("prod sum max min int int32 int64 size argmax".split())  # `np.prod(shape)` is a size


def type_call(call: cst.Call, ctx: RuleContext, table: dict[str, str]) -> str | None:
    """The dtype when `call` is `x.type(<legacy type of table>)`."""
    if not (isinstance(call.func, cst.Attribute) and call.func.attr.value == "type"):
        return None
    args = positional(call)
    if len(args) != 1 or len(call.args) != 1:
        return None
    return type_of(args[0].value, ctx, table)


def to_call(call: cst.Call, dtype: str, device: bool) -> cst.Call:
    """`x.type(T)` -> `x.to(torch.float32)` or `x.to(device, torch.float32)`."""
    assert isinstance(call.func, cst.Attribute)
    args = [cst.Arg(value=cst.Name("device"))] if device else []
    return method_call(call.func.value, "to", [*args, cst.Arg(value=dtype_node(dtype))])
