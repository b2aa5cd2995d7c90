"""Uses through Python's protocols: what `len(x)`, `float(loss)`, `print(x)`, `f"{loss:.3f}"`,
`if x:`, `np.asarray(t)` or `copy.deepcopy(state)` run on a tensor (its dunder methods)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import libcst as cst

from readkit.annotate import heuristics, values
from readkit.annotate.scopes import Scope
from readkit.annotate.values import Kind, Value

if TYPE_CHECKING:
    from readkit.annotate.evaluate import Evaluator

# Builtins that call a Python protocol method of their argument (a torch method when it is a tensor).
BUILTIN_PROTOCOLS: dict[str, str] = {
    "len": "__len__", "int": "__int__", "float": "__float__", "bool": "__bool__", "str": "__repr__",
    "repr": "__repr__", "print": "__repr__", "format": "__format__", "abs": "__abs__", "round": "__round__",
    "complex": "__complex__",
}


class ProtocolUses:
    """Mixed into uses.UseRecorder."""

    ev: Evaluator
    scope: Scope

    if TYPE_CHECKING:
        def value(self, expr: cst.BaseExpression) -> Value | None: ...
        def add(self, node: cst.CSTNode, symbol: str, evidence: str, rule: str) -> None: ...

    def builtin(self, node: cst.Call, name: str) -> None:
        """`len(loader)`, `float(loss)`, `print(x)`: Python protocols that run torch code."""
        for arg in node.args:
            found = self.value(arg.value)
            if found is None or found.kind is not Kind.OBJ:
                continue
            fam = values.family(found.qualname)
            if fam == "tensor":
                self.add(node, f"torch.Tensor.{BUILTIN_PROTOCOLS[name]}", derived(found), rule_of(found))
            elif name == "len" and found.user_class is None and found.qualname != "torch.utils.data.Dataset" and (
                    found.qualname.startswith("torch.utils.data") or
                    found.qualname.rsplit(".", 1)[-1] in heuristics.INDEXABLE_MODULES):
                # (a loader's .dataset of unknown class may be the user's own with its own __len__)
                self.add(node, f"{found.qualname}.__len__", derived(found), rule_of(found))

    def foreign(self, node: cst.Call) -> None:
        """`np.asarray(t)`, `math.sqrt(loss)`, `copy.deepcopy(model.state_dict())`: another library
        handed a tensor calls its protocols (__array__, __float__, __deepcopy__)."""
        copying = self.ev.imported_name(node.func, self.scope) in ("copy.deepcopy", "copy.copy")
        for arg in node.args:
            found = self.value(arg.value)
            if found is None:
                continue
            fam = values.family(found.qualname)
            if found.kind is Kind.OBJ and fam == "tensor":
                self.add(node, "torch.Tensor.__array__" if not copying else "torch.Tensor.__deepcopy__",
                         derived(found), rule_of(found))
            elif copying and found.kind is Kind.BATCH and found.items[1:2] and found.items[1] is not None:
                self.add(node, "torch.Tensor.__deepcopy__", derived(found), rule_of(found))  # a state_dict
            elif copying and found.kind is Kind.OBJ and fam == "module":
                self.add(node, "torch.nn.Parameter.__deepcopy__", derived(found), rule_of(found))

    def on_formatted(self, node: cst.FormattedStringExpression) -> None:
        found = self.value(node.expression)
        if found is not None and found.kind is Kind.OBJ and values.family(found.qualname) == "tensor":
            self.add(node.expression, "torch.Tensor.__format__", derived(found), rule_of(found))

    def formatting(self, node: cst.Call | cst.BinaryOperation, args: list[cst.BaseExpression]) -> None:
        """`"{}".format(loss)` and `"%f" % (loss,)` format tensors."""
        for arg in args:
            found = self.value(arg)
            if found is not None and found.kind is Kind.TUPLE:
                self.formatting(node, [e.value for e in arg.elements] if isinstance(arg, cst.Tuple) else [])
            elif found is not None and found.kind is Kind.OBJ and values.family(found.qualname) == "tensor":
                self.add(node, "torch.Tensor.__format__", derived(found), rule_of(found))
                return

    def truth_test(self, test: cst.BaseExpression) -> None:
        """`if x:`, `not x`, `x and y`, `assert x` on a tensor call Tensor.__bool__."""
        found = self.value(test)
        if found is not None and found.kind is Kind.OBJ and values.family(found.qualname) == "tensor":
            self.add(test, "torch.Tensor.__bool__", derived(found), rule_of(found))

    def on_test(self, node: cst.If | cst.While | cst.Assert | cst.IfExp) -> None:
        self.truth_test(node.test)

    def on_boolean(self, node: cst.BooleanOperation) -> None:
        self.truth_test(node.left)

def derived(value: Value) -> str:
    return "inferred" if value.evidence == "resolved" else value.evidence


def rule_of(value: Value) -> str:
    return "variable-name" if value.evidence == "heuristic" else "object-origin"
