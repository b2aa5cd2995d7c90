"""The value of an operation (`a + b`, `-a`, `a < b`): a tensor when any operand is one.

A chain nested on its left (`x + 1 + 1 + ...`, thousands of terms in generated code) is
evaluated from its innermost operation outwards, in the order the recursion would take but
without its depth, and each level is remembered (flows.py) for the walk's own questions.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import libcst as cst

from readkit.annotate import values
from readkit.annotate.flows import MemoKey
from readkit.annotate.origins import PLAIN, is_tensor, tensor_operands
from readkit.annotate.scopes import Scope
from readkit.annotate.values import Value

_OPERATIONS = (cst.BinaryOperation, cst.Comparison, cst.UnaryOperation)


class OperationOrigins:
    """Mixed into evaluate.Evaluator."""

    if TYPE_CHECKING:
        def value(self, expr: cst.BaseExpression, scope: Scope, flow: bool = True) -> Value | None: ...
        def memoized(self, key: MemoKey) -> bool: ...
        def remember(self, key: MemoKey, value: Value | None) -> None: ...

    def operation(self, expr: cst.BaseExpression, scope: Scope, flow: bool) -> Value | None:
        spine = [expr]  # expr, its first operand, that one's first operand, ... while operations
        while True:
            operands = tensor_operands(spine[-1])
            inner = operands[0] if operands else None
            if not isinstance(inner, _OPERATIONS) or self.memoized((inner, scope, flow)):
                break
            spine.append(inner)
        below: Value | None = None
        for depth, node in enumerate(reversed(spine)):
            operands = tensor_operands(node)
            rest = operands if depth == 0 else operands[1:]
            found = ([] if depth == 0 else [below]) + [self.value(o, scope, flow) for o in rest]
            below = _combined(found)
            if node is not expr:
                self.remember((node, scope, flow), below)
        return below


def _combined(operands: list[Value | None]) -> Value | None:
    """The value of an operation from its operands' values."""
    if any(is_tensor(v) for v in operands):
        return values.tensor("inferred")
    if operands and all(v is not None and v.qualname == values.PLAIN_OBJECT for v in operands):
        return PLAIN  # arithmetic on numbers or on the user's own objects
    return None
