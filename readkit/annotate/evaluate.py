"""Object origins: the abstract value of an expression (see values.py), following names
through imports, assignments, unpacking, loops, `self.` attributes, parameters, class bases
and the return values of producers.

Two modes: *flow* (the walk in uses.py: the latest assignment seen so far in the current
function wins) and *summary* (every binding of a name must agree; used for names of
enclosing scopes and for names not yet assigned in source order).
"""

from __future__ import annotations

import builtins
from dataclasses import replace

import libcst as cst

from readkit.annotate import containers, heuristics, values
from readkit.annotate.classes import ClassOrigins
from readkit.annotate.declare import Declarer
from readkit.annotate.flows import FlowState
from readkit.annotate.operations import OperationOrigins
from readkit.annotate.origins import (PLAIN, PLAIN_LITERALS, PLAIN_MODULE, agree, binds_none, element_of, int_index,
                                      tensor_operands, unpack)
from readkit.annotate.params import ParameterOrigins
from readkit.annotate.signs import UsageSigns
from readkit.annotate.summaries import SummaryOrigins
from readkit.annotate.repo_types import ExternalClass
from readkit.annotate.scopes import Assigned, Binding, ClassInfo, FunctionInfo, Imported, Param, Scope
from readkit.annotate.values import Kind, Value

_BUILTINS = frozenset(dir(builtins))  # never looked up in a star import (it would import torch for `len`)
REPO_MODULE = "repo:"  # a REF to a module of the analyzed repository (not torch: role_for gives None)

__all__ = ["Evaluator", "ExternalClass", "element_of", "tensor_operands", "unpack"]


class Evaluator(FlowState, OperationOrigins, SummaryOrigins, ParameterOrigins, ClassOrigins, UsageSigns):
    def __init__(self, declarer: Declarer, external: object | None = None) -> None:
        super().__init__()
        self.declarer = declarer
        self.external = external  # repo.RepoIndex: resolves imports of the repo's own modules
        self.classes: dict[str, ClassInfo | ExternalClass] = dict(declarer.classes)
        self.functions: dict[str, FunctionInfo] = {}
        self.walking: list[Scope] = []
        self._summaries: dict[tuple[int, str], Value | None] = {}
        self._reentered: set[object] = set()
        self._assumed: dict[object, Value] = {}
        self._cycles = 0
        self._busy: set[object] = set()
        self._bases: dict[str, str | None] = {}
        self._results: dict[str | None, Value | None] = {}  # user functions' return values

    # ------------------------------------------------------------------ names

    def lookup(self, name: str, scope: Scope, flow: bool = True) -> Value | None:
        current: Scope | None = scope
        while current is not None:
            if flow and name in self.flows.get(current, {}):
                return self.flows[current][name]
            if name in current.bindings:
                return self.summary(current, name)
            if current.star_imports and name not in _BUILTINS:
                star = self.star_import(name, current.star_imports)
                if star is not None:
                    return star
            if current.kind in ("function", "module"):
                flow = False  # enclosing scopes run earlier or later: use their summaries
            current = current.enclosing()
        return None

    def binding_value(self, binding: Binding, scope: Scope) -> Value | None:
        if isinstance(binding, Imported):
            found = self.imported(binding.dotted)
            if found is None and binding.module:
                return self.imported_module(binding.dotted)
            if found is None and self.external is not None and \
                    self.external.module_exists(binding.dotted, self.declarer.path):  # type: ignore[attr-defined]  # external is a RepoIndex, typed object so the evaluator does not import repo.py
                return Value(Kind.REF, f"{REPO_MODULE}{binding.dotted}", "inferred")  # from . import models
            return found
        if isinstance(binding, Assigned):
            return self.assigned(binding, scope, flow=False)
        if isinstance(binding, Param):
            return self.param(binding)
        if isinstance(binding, ClassInfo):
            return self.class_value(binding.key)
        if isinstance(binding, FunctionInfo):
            return self.function_value(binding)
        return None

    def imported(self, dotted: str) -> Value | None:
        if dotted == "torch" or dotted.startswith("torch."):
            return Value(Kind.REF, dotted, "resolved")
        if self.external is not None:
            found = self.external.lookup(dotted, self.declarer.path)  # type: ignore[attr-defined]  # external is a RepoIndex, typed object so the evaluator does not import repo.py
            if isinstance(found, ExternalClass):
                self.classes[found.key] = found
                return self.class_value(found.key)
        return None

    def imported_module(self, dotted: str) -> Value:
        """`import model` of the repo's own module: its classes resolve through it (`model.RNNModel`);
        `import math`: a module of another library is known not to be torch (`math.exp(x)`)."""
        if self.external is not None and self.external.module_exists(dotted, self.declarer.path):  # type: ignore[attr-defined]  # external is a RepoIndex, typed object so the evaluator does not import repo.py
            return Value(Kind.REF, f"{REPO_MODULE}{dotted}", "inferred")
        if dotted.split(".")[0] in heuristics.NON_TORCH_LIBRARIES:
            return PLAIN_MODULE  # numpy, math, PIL ...: everything reached through them is not torch
        return PLAIN

    def imported_name(self, expr: cst.BaseExpression, scope: Scope) -> str | None:
        """The absolute dotted name of a non-torch import (`functools.partial`), when that is what it is."""
        if isinstance(expr, cst.Attribute):
            base = self.imported_name(expr.value, scope)
            return f"{base}.{expr.attr.value}" if base else None
        if not isinstance(expr, cst.Name):
            return None
        current: Scope | None = scope
        while current is not None:
            bindings = current.bindings.get(expr.value)
            if bindings:
                only = bindings[0] if len(bindings) == 1 else None
                return only.dotted if isinstance(only, Imported) else None
            current = current.enclosing()
        return None

    def star_import(self, name: str, modules: list[str]) -> Value | None:
        from readkit.annotate.torchnames import exported

        for module in modules:
            if name in exported(module):
                return Value(Kind.REF, f"{module}.{name}", "resolved")
        return None

    def assigned(self, binding: Assigned, scope: Scope, flow: bool) -> Value | None:
        if binding.annotation is not None:
            hinted = self.from_annotation(binding.annotation, scope)
            if hinted is not None:
                return hinted
        value = self.value(binding.expr, scope, flow)
        if binding.iterated:
            value = element_of(value)
        for index in binding.path:
            value = unpack(value, index)
        return value

    # ------------------------------------------------------------------ expressions

    def value(self, expr: cst.BaseExpression, scope: Scope, flow: bool = True) -> Value | None:
        key = (expr, scope, flow)
        if self.memoized(key):
            return self._memo[key]
        found = self._value(expr, scope, flow)
        self.remember(key, found)
        return found

    def _value(self, expr: cst.BaseExpression, scope: Scope, flow: bool) -> Value | None:
        if isinstance(expr, cst.Name):
            found = self.lookup(expr.value, scope, flow)
            # `model = torchvision.models.resnet18()`: unknown origin, but the name says module;
            # `output.backward()` further on: a tensor
            if found is not None:
                return found
            return heuristics.value_from_name(expr.value) or self.backward_target(expr.value, scope)
        if isinstance(expr, cst.Attribute):
            return self.attribute(self.value(expr.value, scope, flow), expr.attr.value)
        if isinstance(expr, cst.Call):
            return self.call(expr, scope, flow)
        if isinstance(expr, cst.Subscript):
            return self.subscript(self.value(expr.value, scope, flow), expr)
        if isinstance(expr, (cst.BinaryOperation, cst.Comparison, cst.UnaryOperation)):
            return self.operation(expr, scope, flow)
        if isinstance(expr, (cst.Tuple, cst.List)):
            return Value(Kind.TUPLE, "tuple", "inferred", items=tuple(
                None if isinstance(e, cst.StarredElement) else self.value(e.value, scope, flow)
                for e in expr.elements))
        if isinstance(expr, cst.IfExp):
            return agree([self.value(expr.body, scope, flow), self.value(expr.orelse, scope, flow)])
        if isinstance(expr, (cst.NamedExpr, cst.Await)):
            return self.value(expr.value if isinstance(expr, cst.NamedExpr) else expr.expression, scope, flow)
        if isinstance(expr, cst.Dict):
            return containers.dict_display(expr, lambda e: self.value(e, scope, flow))
        if isinstance(expr, PLAIN_LITERALS):
            return PLAIN
        return None

    def attribute(self, base: Value | None, name: str) -> Value | None:
        if base is None:
            return None
        if base == PLAIN_MODULE:
            return PLAIN_MODULE  # np.linalg, np.random.randn, np.float32
        if base.kind is Kind.REF and base.qualname.startswith(REPO_MODULE):
            return self.imported(f"{base.qualname[len(REPO_MODULE):]}.{name}")
        if base.kind is Kind.REF:
            return Value(Kind.REF, f"{base.qualname}.{name}", base.evidence)
        if base.kind is Kind.CLASS:
            if self.defines(base.user_class, name):
                return None
            return Value(Kind.REF, f"{base.qualname}.{name}", "inferred")
        if base.kind is not Kind.OBJ:
            return values.batch_attribute(base, name)
        if base.user_class is not None:
            if self.defines(base.user_class, name):
                return None
            own = self.self_attribute(base.user_class, name)
            if own is not None:
                return own
            if base.qualname == values.PLAIN_OBJECT:  # self.model set from an untyped parameter, or elsewhere
                return heuristics.value_from_name(name)
        return values.attribute_value(base, name)

    def subscript(self, base: Value | None, node: cst.Subscript) -> Value | None:
        if base is None:
            return None
        if base.kind is Kind.TUPLE:
            index = int_index(node)
            return base.items[index] if index is not None and -len(base.items) <= index < len(base.items) else None
        if base.kind is Kind.BATCH:  # state["fc.weight"], MODELS[name]: a dict's values
            return base.items[-1] if base.qualname == "dict" and base.items else element_of(base)
        if base.kind is Kind.OBJ and values.family(base.qualname) == "tensor":
            return values.tensor("inferred")
        if base.kind is Kind.OBJ and base.qualname.rsplit(".", 1)[-1] in heuristics.INDEXABLE_MODULES:
            return base.items[0] if base.items and base.items[0] else Value(Kind.OBJ, values.MODULE, "inferred")
        return None

    def call(self, node: cst.Call, scope: Scope, flow: bool) -> Value | None:
        func = node.func
        if isinstance(func, cst.Name) and func.value == "super":
            return self.super_value(scope)
        if isinstance(func, cst.Name) and func.value == "getattr" and len(node.args) >= 2 and \
                self.lookup("getattr", scope, flow) is None:
            return containers.getattr_value(node, lambda e: self.value(e, scope, flow), self.self_attribute)
        imported = self.imported_name(func, scope)
        if imported in ("functools.partial", "partial", "copy.deepcopy", "copy.copy", "deepcopy") and node.args:
            first = self.value(node.args[0].value, scope, flow)  # a copy is what it copies: deepcopy(model).eval()
            return first if first is not None and (first.kind is Kind.REF or not str(imported).endswith("partial")) else None
        if isinstance(func, cst.Attribute):
            receiver = self.value(func.value, scope, flow)
            result = self.method_call(receiver, func.attr.value, node, scope, flow)
        else:
            result = self.call_value(self.value(func, scope, flow))
        return containers.refine(result, node, lambda e: self.value(e, scope, flow))

    def call_value(self, callee: Value | None) -> Value | None:
        result = self._call_value(callee)
        if result is not None and callee is not None and callee.evidence == "heuristic":
            return result.weaker("heuristic")
        return result

    def _call_value(self, callee: Value | None) -> Value | None:
        if callee is None:
            return None
        if callee == PLAIN_MODULE:
            return PLAIN  # np.zeros(3)
        if callee.kind is Kind.REF:
            if callee.qualname.endswith(".apply") and callee.qualname.startswith("torch.autograd"):
                return values.tensor("inferred")
            return values.call_result(callee.qualname, "inferred")
        if callee.kind is Kind.CLASS:
            return Value(Kind.OBJ, callee.qualname, "inferred", user_class=callee.user_class)
        if callee.kind is Kind.FUNC:
            return self.function_result(callee.user_class)
        if callee.kind is Kind.OBJ and values.is_jit(callee.qualname):
            return values.jit_call_result(callee)
        if callee.kind is Kind.OBJ and values.family(callee.qualname) == "module":
            if callee.user_class is not None:
                kind = Kind.BATCH if self.returns_tuple(callee.user_class) else Kind.OBJ
                return Value(kind, values.TENSOR, "inferred")
            return values.call_of_instance(callee)
        return None

    def non_torch_argument(self, call: cst.Call, scope: Scope, flow: bool = True) -> bool:
        """An argument reached through numpy & co (`np.uint32`): the call is that library's."""
        return any(isinstance(arg.value, cst.Attribute) and self.value(arg.value, scope, flow) == PLAIN_MODULE
                   for arg in call.args)

    def method_call(self, receiver: Value | None, name: str, node: cst.Call, scope: Scope,
                    flow: bool = True) -> Value | None:
        if receiver is None:
            if self.non_torch_argument(node, scope, flow):
                return None  # x.view(np.uint32): numpy's view, not torch's
            return heuristics.result_of_unknown_method(name)
        if receiver.kind is Kind.OBJ and receiver.user_class is not None and self.defines(receiver.user_class, name):
            method = self._method(receiver.user_class, name)
            return self.function_result(self.function_value(method).user_class) if method else None
        if receiver.kind is Kind.OBJ and receiver.user_class is not None:
            own = self.self_attribute(receiver.user_class, name)
            if own is not None:
                return self.call_value(own)
        if receiver.kind is Kind.OBJ:
            if values.family(receiver.qualname) == "module" and receiver.user_class and name in values.MODULE_SELF_METHODS:
                return receiver.weaker("inferred")
            return values.method_result(receiver, name, len(node.args))
        if receiver.kind is Kind.BATCH and name in ("items", "values"):  # a dict of tensors, or of what it holds
            held = receiver.items[-1] if receiver.qualname == "dict" and receiver.items else None
            held = held or Value(Kind.OBJ, values.TENSOR, receiver.evidence)
            return containers.held(held, receiver.evidence, name == "items")
        if receiver.kind is Kind.BATCH and name in heuristics.TENSOR_LIKE_METHODS:
            return values.tensor("heuristic")
        return self.call_value(self.attribute(receiver, name))

