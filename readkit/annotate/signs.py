"""Signs in how a name is used that say what it holds, when its origin does not.

- `output.backward()`: only a tensor has autograd's `backward`, so a name of unknown origin
  that the same function calls `.backward()` on holds one (evidence "heuristic": the sign is
  a method name, and a user object could define `backward` too).
- `random.random() < teacher_forcing_ratio` in a module's `forward`: a parameter used only
  as a Python number (compared or combined with what `random`, `math` or numpy return, or
  given to `range`) is not one of the tensors `forward` receives by default.

Left out: signs from other files, and any sign that needs a run (readkit.check observes those).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import libcst as cst

from readkit.annotate import values
from readkit.annotate.evaluator_state import EvaluatorState
from readkit.annotate.origins import PLAIN_MODULE
from readkit.annotate.scopes import Scope
from readkit.annotate.values import Value


class UsageSigns(EvaluatorState):
    """Mixed into evaluate.Evaluator."""

    _backward_names: dict[Scope, frozenset[str]] | None = None
    _plain_params: dict[tuple[int, str], bool] | None = None

    if TYPE_CHECKING:
        def value(self, expr: cst.BaseExpression, scope: Scope, flow: bool = True) -> Value | None: ...

    def backward_target(self, name: str, scope: Scope) -> Value | None:
        """A tensor when `name.backward()` is called in the function (or module) that `scope` is in."""
        if self._backward_names is None:
            self._backward_names = _names_backward_is_called_on(self.declarer.calls.get(".backward", []))
        current: Scope | None = scope
        while current is not None:
            if name in self._backward_names.get(current, frozenset()):
                return values.tensor("heuristic")
            if current.kind in ("function", "module"):
                return None
            current = current.parent
        return None

    def plain_in_forward(self, function: cst.FunctionDef | cst.Lambda, name: str, scope: Scope) -> bool:
        """Is parameter `name` of a module's `forward` used only as a Python number in its body?"""
        if self._plain_params is None:
            self._plain_params = {}
        key = (id(function), name)
        if key not in self._plain_params:
            self._plain_params[key] = False  # while deciding (a use that needs this very answer): not plain
            finder = _ParamUses(name)
            function.body.visit(finder)
            self._plain_params[key] = bool(finder.plain_uses) and not finder.other_uses and all(
                self._from_plain_library(other, scope) for other in finder.plain_uses)
        return self._plain_params[key]

    def _from_plain_library(self, expr: cst.BaseExpression | None, scope: Scope) -> bool:
        """`random.random()`, `np.random.rand()`, `math.pi`: a value reached through numpy & co
        (None stands for `range(name)`, which takes Python integers only)."""
        if expr is None:
            return True
        root = expr
        while isinstance(root, (cst.Call, cst.Attribute)):
            root = root.func if isinstance(root, cst.Call) else root.value
        return root is not expr and isinstance(root, cst.Name) and self.value(root, scope, flow=False) == PLAIN_MODULE


def _names_backward_is_called_on(calls: list[tuple[cst.Call, Scope]]) -> dict[Scope, frozenset[str]]:
    """{scope: names `x` of the `x.backward()` calls made there}."""
    found: dict[Scope, set[str]] = {}
    for call, scope in calls:
        receiver = call.func.value if isinstance(call.func, cst.Attribute) else None
        if isinstance(receiver, cst.Name):
            found.setdefault(scope, set()).add(receiver.value)
    return {scope: frozenset(names) for scope, names in found.items()}


class _ParamUses(cst.CSTVisitor):
    """The uses of one name in a function body: as a Python number (with the other operand of
    the comparison or arithmetic, None for `range(name)`), or otherwise."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.plain_uses: list[cst.BaseExpression | None] = []
        self.other_uses = 0
        self.claimed: set[int] = set()  # ids of Name nodes already classified

    def _mine(self, node: cst.BaseExpression) -> bool:
        return isinstance(node, cst.Name) and node.value == self.name

    def visit_Comparison(self, node: cst.Comparison) -> None:
        operands = [node.left, *(c.comparator for c in node.comparisons)]
        if len(operands) == 2:
            self._pair(operands[0], operands[1])

    def visit_BinaryOperation(self, node: cst.BinaryOperation) -> None:
        self._pair(node.left, node.right)

    def _pair(self, left: cst.BaseExpression, right: cst.BaseExpression) -> None:
        for mine, other in ((left, right), (right, left)):
            if self._mine(mine) and not self._mine(other):
                self.claimed.add(id(mine))
                self.plain_uses.append(other)

    def visit_Call(self, node: cst.Call) -> None:
        if isinstance(node.func, cst.Name) and node.func.value == "range":
            for arg in node.args:
                if self._mine(arg.value):
                    self.claimed.add(id(arg.value))
                    self.plain_uses.append(None)

    def visit_Name(self, node: cst.Name) -> None:
        if node.value == self.name and id(node) not in self.claimed:
            self.other_uses += 1

    def visit_Attribute(self, node: cst.Attribute) -> bool:
        node.value.visit(self)  # `x.name` is not a use of `name`
        return False
