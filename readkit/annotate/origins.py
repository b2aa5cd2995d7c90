"""Small pure helpers over abstract values (values.py): unpacking, iteration, agreement."""

from __future__ import annotations

import libcst as cst

from readkit.annotate import heuristics, values
from readkit.annotate.declare import dotted_name
from readkit.annotate.scopes import Assigned, Binding
from readkit.annotate.values import Kind, Value

PLAIN = Value(Kind.OBJ, values.PLAIN_OBJECT, "inferred")
PLAIN_MODULE = Value(Kind.OBJ, "builtins.module", "inferred")  # numpy & co: what it gives is not torch
PLAIN_LITERALS = (cst.Integer, cst.Float, cst.Imaginary, cst.SimpleString, cst.ConcatenatedString,
                   cst.FormattedString, cst.Dict, cst.Set, cst.DictComp, cst.SetComp)


def element_of(value: Value | None) -> Value | None:
    """The value of an element when iterating `value`."""
    if value is None:
        return None
    if value.kind is Kind.BATCH:
        if value.items:
            return Value(Kind.TUPLE, "tuple", value.evidence, items=value.items)
        return Value(Kind.OBJ, value.qualname, value.evidence)
    if value.kind is Kind.OBJ:
        fam = values.family(value.qualname)
        if fam == "loader":
            return Value(Kind.BATCH, values.TENSOR, value.evidence if value.evidence == "heuristic" else "inferred")
        if fam == "tensor":
            return values.tensor(value.evidence)
        if value.qualname.rsplit(".", 1)[-1] in heuristics.INDEXABLE_MODULES:
            if value.items and value.items[0] is not None and not value.qualname.endswith("Dict"):
                return value.items[0]  # nn.ModuleList([Block() ...]): its elements are Blocks
            return Value(Kind.OBJ, values.MODULE, "inferred")
    if value.kind is Kind.TUPLE:
        return agree(list(value.items))
    return None


def unpack(value: Value | None, index: int) -> Value | None:
    if value is None:
        return None
    if value.kind is Kind.TUPLE:
        return value.items[index] if index < len(value.items) else None
    if value.kind is Kind.BATCH:
        return element_of(value)
    return None


def tensor_operands(expr: cst.BaseExpression) -> list[cst.BaseExpression]:
    if isinstance(expr, cst.BinaryOperation):
        return [expr.left, expr.right]
    if isinstance(expr, cst.UnaryOperation):
        return [] if isinstance(expr.operator, cst.Not) else [expr.expression]
    if isinstance(expr, cst.Comparison):
        if any(isinstance(c.operator, (cst.Is, cst.IsNot, cst.In, cst.NotIn)) for c in expr.comparisons):
            return []
        return [expr.left, *(c.comparator for c in expr.comparisons)]
    return []


def is_tensor(value: Value | None) -> bool:
    return value is not None and value.kind is Kind.OBJ and values.family(value.qualname) == "tensor"


def agree(found: list[Value | None]) -> Value | None:
    """One value when every candidate is the same kind of object, else None (unknown)."""
    if not found or any(v is None for v in found):
        return None
    first = found[0]
    assert first is not None
    for other in found[1:]:
        assert other is not None
        same = other.kind is first.kind and values.family(other.qualname) == values.family(first.qualname)
        if not same or (first.kind is Kind.REF and other.qualname != first.qualname):
            return None
        if other.kind is Kind.FUNC and other.user_class != first.user_class:
            return None
    weakest = max(found, key=lambda v: ("resolved", "inferred", "heuristic").index(v.evidence))  # type: ignore[union-attr]  # None entries were rejected above
    return first.weaker(weakest.evidence)  # type: ignore[union-attr]  # None entries were rejected above


def agree_or_tensor(found: list[Value | None]) -> Value | None:
    """The arguments a function's parameter gets at its call sites: one kind of value, or a tensor
    when any call passes one (`square(3)`, `square(t)`: the body does tensor operations when it runs
    with `t`)."""
    agreed = agree(found)
    if agreed is None and any(is_tensor(v) for v in found):
        return values.tensor("inferred")
    return agreed


def is_none(expr: cst.BaseExpression) -> bool:
    return isinstance(expr, cst.Name) and expr.value == "None"


def binds_none(binding: Binding) -> bool:
    return isinstance(binding, Assigned) and not binding.path and not binding.iterated and is_none(binding.expr)


def strip_optional(annotation: cst.BaseExpression) -> cst.BaseExpression | None:
    if isinstance(annotation, cst.BinaryOperation) and isinstance(annotation.operator, cst.BitOr):
        left, right = annotation.left, annotation.right
        if not (is_none(left) or is_none(right)):
            return None  # a real union (Tensor | tuple): not one kind of value
        return strip_optional(right if is_none(left) else left)
    if isinstance(annotation, cst.Subscript) and (dotted_name(annotation.value) or "").endswith("Optional"):
        first = annotation.slice[0].slice
        return first.value if isinstance(first, cst.Index) else None
    if isinstance(annotation, cst.SimpleString):
        return None
    return annotation


def forward_param(node: cst.Param) -> Value | None:
    default = node.default
    if default is None:
        return values.tensor("inferred")
    if is_none(default):
        return values.tensor("heuristic")
    return None


def int_index(node: cst.Subscript) -> int | None:
    if len(node.slice) != 1 or not isinstance(node.slice[0].slice, cst.Index):
        return None
    value = node.slice[0].slice.value
    if isinstance(value, cst.Integer):
        return int(value.value)
    if isinstance(value, cst.UnaryOperation) and isinstance(value.operator, cst.Minus) and isinstance(
            value.expression, cst.Integer):
        return -int(value.expression.value)
    return None
