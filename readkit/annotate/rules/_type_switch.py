"""The 0.3-era type switch `FloatTensor = torch.cuda.FloatTensor if use_cuda else torch.FloatTensor`
and every use of its name, for cuda-tensor-type's fix.

A switch name is used two ways: as a type to convert to (`x.type(FloatTensor)`, which
moves to the device too) and as a constructor (`FloatTensor(3, 4)`, `FloatTensor(np_array)`).
Once the switch is split into `device` and a torch.dtype, a conversion becomes
`x.to(device, FloatTensor)` and a constructor `torch.empty/tensor(..., dtype=, device=device)`;
a dtype is not callable, so the switch is split only when *every* use of the name is one
of these two and every constructor call says whether it got data or sizes.

The switch itself: `is_type_switch` recognises it, `device_condition` turns it into the
`"cuda" if c else "cpu"` of the `device` line, `binds_device` says when that name is taken.
"""

from __future__ import annotations

from dataclasses import dataclass

import libcst as cst

from readkit.annotate.rules._context import module_of
from readkit.annotate.rules._helpers import method_call
from readkit.annotate.rules._tensor_types import CPU_TYPES, CUDA_TYPES, constructor_replacement, type_of
from readkit.annotate.rules.base import RuleContext


@dataclass(frozen=True)
class SwitchUses:
    """The rewrites of every use of a switch name: (call, its replacement)."""

    conversions: tuple[tuple[cst.Call, cst.Call], ...]
    constructors: tuple[tuple[cst.Call, cst.Call], ...]


def switch_uses(module: cst.Module, name: str, dtype: str) -> SwitchUses | None:
    """How to rewrite each use of the switch `name`; None when one use cannot be rewritten
    (called with an argument that may be data or a size, passed on, compared ...)."""
    finder = _Uses(name, dtype)
    module.visit(finder)
    if finder.unknown != 1 or finder.unfixable:  # the one unaccounted name is the switch's own target
        return None
    return SwitchUses(tuple(finder.conversions), tuple(finder.constructors))


class _Uses(cst.CSTVisitor):
    def __init__(self, name: str, dtype: str) -> None:
        self.name, self.dtype = name, dtype
        self.conversions: list[tuple[cst.Call, cst.Call]] = []
        self.constructors: list[tuple[cst.Call, cst.Call]] = []
        self.accounted: set[int] = set()  # ids of Name nodes inside a rewritten use
        self.unknown = 0
        self.unfixable = False

    def visit_Call(self, call: cst.Call) -> None:
        if self._is_name(call.func):
            self.accounted.add(id(call.func))
            replacement = constructor_replacement(call, self.dtype, device=True)
            self.unfixable = self.unfixable or replacement is None
            if replacement is not None:
                self.constructors.append((call, replacement))
        elif _conversion_argument(call) is not None and self._is_name(_conversion_argument(call)):
            assert isinstance(call.func, cst.Attribute)
            self.accounted.add(id(call.args[0].value))
            moved = [cst.Arg(cst.Name("device")), cst.Arg(call.args[0].value)]
            self.conversions.append((call, method_call(call.func.value, "to", moved)))

    def visit_Attribute(self, node: cst.Attribute) -> bool:
        node.value.visit(self)  # `x.FloatTensor` is an attribute, not the name
        return False

    def visit_Arg(self, node: cst.Arg) -> bool:
        node.value.visit(self)  # `f(FloatTensor=...)` is a keyword, not the name
        return False

    def visit_Name(self, node: cst.Name) -> None:
        if node.value == self.name and id(node) not in self.accounted:
            self.unknown += 1

    def _is_name(self, expr: cst.BaseExpression | None) -> bool:
        return isinstance(expr, cst.Name) and expr.value == self.name


def _conversion_argument(call: cst.Call) -> cst.BaseExpression | None:
    """`T` of `x.type(T)`."""
    func = call.func
    if isinstance(func, cst.Attribute) and func.attr.value == "type" and len(call.args) == 1:
        arg = call.args[0]
        return arg.value if arg.keyword is None and not arg.star else None
    return None


# ---------------------------------------------------------------------- the switch itself


def code_of(node: cst.CSTNode) -> str:
    return cst.Module(body=[]).code_for_node(node)


def device_condition(switch: cst.IfExp, ctx: RuleContext) -> cst.IfExp:
    """`"cuda" if c else "cpu"` for the switch `torch.cuda.T if c else torch.T` (either way round)."""
    cuda_first = type_of(switch.body, ctx, CUDA_TYPES) is not None
    names = (cst.SimpleString('"cuda"'), cst.SimpleString('"cpu"'))  # as in the migrator's device line
    return switch.with_changes(body=names[not cuda_first], orelse=names[cuda_first], lpar=[], rpar=[])


def is_type_switch(value: cst.BaseExpression, ctx: RuleContext) -> bool:
    """`torch.cuda.FloatTensor if use_cuda else torch.FloatTensor` (either way round)."""
    if not isinstance(value, cst.IfExp):
        return False
    sides = (value.body, value.orelse)
    tables = (CUDA_TYPES, {**CUDA_TYPES, **CPU_TYPES})
    return any(type_of(side, ctx, CUDA_TYPES) is not None for side in sides) and all(
        type_of(side, ctx, tables[1]) is not None for side in sides
    )


def binds_device(ctx: RuleContext, node: cst.CSTNode) -> bool:
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
