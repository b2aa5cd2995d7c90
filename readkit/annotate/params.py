"""Where a parameter's value comes from: its type hint, its role in a method (`self`, the
tensors of `forward`, the `ctx` of an autograd.Function), the arguments of the file's direct
calls, and last its name (heuristics.py)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

import libcst as cst

from readkit.annotate import heuristics, values
from readkit.annotate.origins import agree_or_tensor, forward_param, strip_optional
from readkit.annotate.scopes import FunctionInfo, Param, Scope
from readkit.annotate.evaluator_state import EvaluatorState
from readkit.annotate.values import Kind, Value


class ParameterOrigins(EvaluatorState):
    """Mixed into evaluate.Evaluator."""

    if TYPE_CHECKING:
        def torch_base(self, key: str) -> str | None: ...
        def function_value(self, info: FunctionInfo) -> Value: ...
        def class_value(self, key: str) -> Value: ...
        def met_again(self, key: object) -> Value | None: ...
        def solve(self, key: object, candidates: Sequence[Callable[[], Value | None]],
                  combine: Callable[[list[Value | None]], Value | None]) -> Value | None: ...
        def plain_in_forward(self, function: cst.FunctionDef | cst.Lambda, name: str, scope: Scope) -> bool: ...

    def param(self, param: Param) -> Value | None:
        function, node = param.function, param.node
        if node.annotation is not None:
            hinted = self.from_annotation(node.annotation.annotation, function.scope.parent or function.scope)
            if hinted is not None:
                return hinted
        cls = function.cls
        base = self.torch_base(cls.key) if cls is not None else None
        if cls is not None and param.index == 0 and not function.is_static:
            return Value(Kind.OBJ, base or values.PLAIN_OBJECT, "inferred", user_class=cls.key)
        if base is not None and values.family(base) == "module" and function.name == "forward":
            if self.plain_in_forward(function.node, node.name.value, function.scope):
                return None  # `random.random() < teacher_forcing_ratio`: a Python number, not a tensor
            return forward_param(node)
        if base is not None and base.startswith("torch.autograd.Function") and function.is_static:
            if param.index == 0:
                return Value(Kind.OBJ, "torch.autograd.function.FunctionCtx", "inferred")
            return values.tensor("inferred")
        from_calls = self.from_call_sites(param)
        return from_calls if from_calls is not None else heuristics.value_from_name(node.name.value)

    def from_call_sites(self, param: Param) -> Value | None:
        """`def train(model, loader)` called as `train(net, train_loader)`: the arguments' values."""
        function = param.function
        method = function.cls is not None
        if method and (function.is_static or param.index == 0):
            return None
        key = ("sites", id(param.node))
        if key in self._busy:
            return self.met_again(key)
        self._busy.add(key)
        sites = self._call_sites(function)
        self._busy.discard(key)
        if not sites:
            return None
        agreed = self.solve(key, [lambda c=call, s=scope: self._argument(c, s, param, 1 if method else 0)  # type: ignore[misc]  # mypy cannot type a lambda's default arguments (they bind the loop variables)
                                  for call, scope in sites], agree_or_tensor)
        return agreed.weaker("inferred") if agreed is not None and agreed.kind is not Kind.FUNC else None

    def _call_sites(self, function: FunctionInfo) -> list[tuple[cst.Call, Scope]]:
        """The file's direct calls of a function: `train(...)`, `self.step(...)`, and `Net(...)` for
        `Net.__init__` (ResNet(BasicBlock, [2, 2]) tells `block` is a class)."""
        cls = function.cls
        if cls is not None and function.name == "__init__":
            return [(call, scope) for call, scope in self.declarer.calls.get(cls.name, [])
                    if self.lookup(cls.name, scope, flow=False) == self.class_value(cls.key)]
        if cls is not None:
            on_objects = [(call, scope) for call, scope in self.declarer.calls.get(f".{function.name}", [])
                          if self._instance_of(call, scope, cls.key)]
            return self.declarer.calls.get(f"self.{function.name}", []) + on_objects
        return [(call, scope) for call, scope in self.declarer.calls.get(function.name, [])
                if self.lookup(function.name, scope, flow=False) == self.function_value(function)]

    def _instance_of(self, call: cst.Call, scope: Scope, key: str) -> bool:
        assert isinstance(call.func, cst.Attribute)
        receiver = self.value(call.func.value, scope, flow=False)
        return receiver is not None and receiver.kind is Kind.OBJ and receiver.user_class == key

    def _argument(self, call: cst.Call, scope: Scope, param: Param, skipped: int) -> Value | None:
        name = param.node.name.value
        for arg in call.args:
            if arg.keyword is not None and arg.keyword.value == name:
                return self.value(arg.value, scope, flow=False)
        positional = [a for a in call.args if a.keyword is None]
        if any(a.star for a in call.args):
            return None
        index = param.index - skipped  # a method's `self` is not among the call's arguments
        if index >= len(positional):  # not passed: the default
            default = param.node.default
            outer = param.function.scope.parent or param.function.scope
            return self.value(default, outer, flow=False) if default is not None else None
        return self.value(positional[index].value, scope, flow=False)

    def from_annotation(self, annotation: cst.BaseExpression, scope: Scope) -> Value | None:
        inner = strip_optional(annotation)
        hinted = self.value(inner, scope, flow=False) if inner is not None else None
        if hinted is None:
            return None
        if hinted.kind is Kind.REF and hinted.qualname.rsplit(".", 1)[-1][:1].isupper():
            return Value(Kind.OBJ, hinted.qualname, "inferred")
        if hinted.kind is Kind.CLASS:
            return Value(Kind.OBJ, hinted.qualname, "inferred", user_class=hinted.user_class)
        return None
