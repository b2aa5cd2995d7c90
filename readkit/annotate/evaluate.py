"""Object origins: the abstract value of an expression (see values.py), following names
through imports, assignments, unpacking, loops, `self.` attributes, parameters, class bases
and the return values of producers.

Two modes: *flow* (the walk in uses.py: the latest assignment seen so far in the current
function wins) and *summary* (every binding of a name must agree; used for names of
enclosing scopes and for names not yet assigned in source order).
"""

from __future__ import annotations

from dataclasses import dataclass

import libcst as cst

from readkit.annotate import heuristics, values
from readkit.annotate.declare import Declarer, dotted_name
from readkit.annotate.scopes import Assigned, Binding, ClassInfo, FunctionInfo, Imported, Param, Scope
from readkit.annotate.values import Kind, Value


@dataclass(frozen=True)
class ExternalClass:
    """A class defined in another file of the analyzed repository (see repo.py)."""

    key: str
    torch_base: str | None
    methods: frozenset[str]
    returns_tuple: bool = False


class Evaluator:
    def __init__(self, declarer: Declarer, external: object | None = None) -> None:
        self.declarer = declarer
        self.external = external  # repo.RepoIndex: resolves imports of the repo's own modules
        self.classes: dict[str, ClassInfo | ExternalClass] = dict(declarer.classes)
        self.functions: dict[str, FunctionInfo] = {}
        self.flows: dict[Scope, dict[str, Value | None]] = {}
        self.walking: list[Scope] = []
        self._summaries: dict[tuple[int, str], Value | None] = {}
        self._busy: set[object] = set()
        self._bases: dict[str, str | None] = {}

    # ------------------------------------------------------------------ names

    def lookup(self, name: str, scope: Scope, flow: bool = True) -> Value | None:
        current: Scope | None = scope
        while current is not None:
            if flow and name in self.flows.get(current, {}):
                return self.flows[current][name]
            if name in current.bindings:
                return self.summary(current, name)
            if current.star_imports:
                star = self.star_import(name, current.star_imports)
                if star is not None:
                    return star
            if current.kind in ("function", "module"):
                flow = False  # enclosing scopes run earlier or later: use their summaries
            current = current.enclosing()
        return None

    def summary(self, scope: Scope, name: str) -> Value | None:
        key = (id(scope), name)
        if key in self._summaries:
            return self._summaries[key]
        if key in self._busy:
            return None
        self._busy.add(key)
        found = [self.binding_value(b, scope) for b in scope.bindings[name] if not _binds_none(b)]
        self._busy.discard(key)
        result = _agree(found)
        self._summaries[key] = result
        return result

    def binding_value(self, binding: Binding, scope: Scope) -> Value | None:
        if isinstance(binding, Imported):
            return self.imported(binding.dotted)
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
            found = self.external.lookup(dotted, self.declarer.path)  # type: ignore[attr-defined]
            if isinstance(found, ExternalClass):
                self.classes[found.key] = found
                return self.class_value(found.key)
        return None

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

    # ------------------------------------------------------------------ parameters

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
            return _forward_param(node)
        if base is not None and base.startswith("torch.autograd.Function") and function.is_static:
            if param.index == 0:
                return Value(Kind.OBJ, "torch.autograd.function.FunctionCtx", "inferred")
            return values.tensor("inferred")
        from_calls = self.from_call_sites(param) if cls is None else None
        return from_calls if from_calls is not None else heuristics.value_from_name(node.name.value)

    def from_call_sites(self, param: Param) -> Value | None:
        """`def train(model, loader)` called as `train(net, train_loader)`: the arguments' values."""
        function = param.function
        sites = self.declarer.calls.get(function.name, [])
        if not sites or ("sites", id(param.node)) in self._busy:
            return None
        self._busy.add(("sites", id(param.node)))
        found = [self._argument(call, scope, param) for call, scope in sites
                 if self.lookup(function.name, scope, flow=False) == self.function_value(function)]
        self._busy.discard(("sites", id(param.node)))
        agreed = _agree(found)
        return agreed.weaker("inferred") if agreed is not None and agreed.kind is not Kind.FUNC else None

    def _argument(self, call: cst.Call, scope: Scope, param: Param) -> Value | None:
        name = param.node.name.value
        for arg in call.args:
            if arg.keyword is not None and arg.keyword.value == name:
                return self.value(arg.value, scope, flow=False)
        positional = [a for a in call.args if a.keyword is None]
        if any(a.star for a in call.args):
            return None
        if param.index >= len(positional):  # not passed: the default
            default = param.node.default
            outer = param.function.scope.parent or param.function.scope
            return self.value(default, outer, flow=False) if default is not None else None
        return self.value(positional[param.index].value, scope, flow=False)

    def from_annotation(self, annotation: cst.BaseExpression, scope: Scope) -> Value | None:
        inner = _strip_optional(annotation)
        hinted = self.value(inner, scope, flow=False) if inner is not None else None
        if hinted is None:
            return None
        if hinted.kind is Kind.REF and hinted.qualname.rsplit(".", 1)[-1][:1].isupper():
            return Value(Kind.OBJ, hinted.qualname, "inferred")
        if hinted.kind is Kind.CLASS:
            return Value(Kind.OBJ, hinted.qualname, "inferred", user_class=hinted.user_class)
        return None

    # ------------------------------------------------------------------ classes and functions

    def class_value(self, key: str) -> Value:
        """A user class: torch-derived, or a plain class (whose objects are known not to be torch)."""
        base = self.torch_base(key)
        return Value(Kind.CLASS, base or values.PLAIN_OBJECT, "inferred", user_class=key)

    def torch_base(self, key: str) -> str | None:
        """The torch class a user class derives from (through user classes too), else None."""
        if key in self._bases:
            return self._bases[key]
        self._bases[key] = None  # a cycle resolves to nothing
        info = self.classes.get(key)
        if isinstance(info, ExternalClass):
            base = info.torch_base
        else:
            base = self._first_torch_base(info) if info is not None else None
        self._bases[key] = base
        return base

    def _first_torch_base(self, info: ClassInfo) -> str | None:
        assert info.node is not None
        for arg in info.node.bases:
            value = self.value(arg.value, info.scope, flow=False)
            if value is not None and value.kind is Kind.REF:
                return value.qualname
            if value is not None and value.kind is Kind.CLASS and value.qualname != values.PLAIN_OBJECT:
                return value.qualname
        return None

    def user_bases(self, key: str) -> list[str]:
        info = self.classes.get(key)
        if not isinstance(info, ClassInfo) or info.node is None:
            return []
        keys = []
        for arg in info.node.bases:
            value = self.value(arg.value, info.scope, flow=False)
            if value is not None and value.kind is Kind.CLASS and value.user_class:
                keys.append(value.user_class)
        return keys

    def defines(self, key: str | None, member: str, depth: int = 0) -> bool:
        """Whether user code (the class or a user base) defines `member`."""
        if key is None or depth > 20:
            return False
        info = self.classes.get(key)
        if isinstance(info, ExternalClass):
            return member in info.methods
        if info is None:
            return False
        if member in info.methods or (info.body is not None and member in info.body.bindings):
            return True
        return any(self.defines(base, member, depth + 1) for base in self.user_bases(key))

    def self_attribute(self, key: str, name: str, depth: int = 0) -> Value | None:
        info = self.classes.get(key)
        if not isinstance(info, ClassInfo) or depth > 20:
            return None
        if name in info.attrs:
            guard = ("attr", key, name)
            if guard in self._busy:  # self.x = self.x[1:]: the value is what it was
                return None
            self._busy.add(guard)
            found = [self.assigned(binding, scope, flow=False) for binding, scope in info.attrs[name]
                     if not _binds_none(binding)]
            self._busy.discard(guard)
            return _agree(found)
        for base in self.user_bases(key):
            inherited = self.self_attribute(base, name, depth + 1)
            if inherited is not None:
                return inherited
        return None

    def returns_tuple(self, key: str | None) -> bool:
        info = self.classes.get(key) if key else None
        if isinstance(info, ExternalClass):
            return info.returns_tuple
        forward = info.methods.get("forward") if isinstance(info, ClassInfo) else None
        return forward is not None and any(isinstance(r, cst.Tuple) for r in forward.returns)

    def function_value(self, info: FunctionInfo) -> Value:
        key = f"f{id(info)}"
        self.functions[key] = info
        return Value(Kind.FUNC, info.name, "inferred", user_class=key)

    def function_result(self, key: str | None) -> Value | None:
        info = self.functions.get(key) if key else None
        if info is None or (key, "returns") in self._busy:
            return None
        self._busy.add((key, "returns"))
        found = [self.value(r, info.scope, flow=False) for r in info.returns if not _is_none(r)]
        self._busy.discard((key, "returns"))
        result = _agree(found)
        return result.weaker("inferred") if result is not None else None

    # ------------------------------------------------------------------ expressions

    def value(self, expr: cst.BaseExpression, scope: Scope, flow: bool = True) -> Value | None:
        if isinstance(expr, cst.Name):
            return self.lookup(expr.value, scope, flow)
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
            return _agree([self.value(expr.body, scope, flow), self.value(expr.orelse, scope, flow)])
        if isinstance(expr, (cst.NamedExpr, cst.Await)):
            return self.value(expr.value, scope, flow)
        if isinstance(expr, _PLAIN_LITERALS):
            return _PLAIN
        return None

    def operation(self, expr: cst.BaseExpression, scope: Scope, flow: bool) -> Value | None:
        operands = tensor_operands(expr)
        found = [self.value(o, scope, flow) for o in operands]
        if any(_is_tensor(v) for v in found):
            return values.tensor("inferred")
        if found and all(v is not None and v.qualname == values.PLAIN_OBJECT for v in found):
            return _PLAIN  # arithmetic on numbers or on the user's own objects
        return None

    def attribute(self, base: Value | None, name: str) -> Value | None:
        if base is None:
            return None
        if base.kind is Kind.REF:
            return Value(Kind.REF, f"{base.qualname}.{name}", base.evidence)
        if base.kind is Kind.CLASS:
            if self.defines(base.user_class, name):
                return None
            return Value(Kind.REF, f"{base.qualname}.{name}", "inferred")
        if base.kind is not Kind.OBJ:
            return None
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
            index = _int_index(node)
            return base.items[index] if index is not None and -len(base.items) <= index < len(base.items) else None
        if base.kind is Kind.BATCH:
            return element_of(base)
        if base.kind is Kind.OBJ and values.family(base.qualname) == "tensor":
            return values.tensor("inferred")
        if base.kind is Kind.OBJ and base.qualname.rsplit(".", 1)[-1] in heuristics.INDEXABLE_MODULES:
            return Value(Kind.OBJ, values.MODULE, "inferred")
        return None

    def call(self, node: cst.Call, scope: Scope, flow: bool) -> Value | None:
        func = node.func
        if isinstance(func, cst.Name) and func.value == "super":
            return self.super_value(scope)
        if self.imported_name(func, scope) in ("functools.partial", "partial") and node.args:
            partial_of = self.value(node.args[0].value, scope, flow)
            return partial_of if partial_of is not None and partial_of.kind is Kind.REF else None
        if isinstance(func, cst.Attribute):
            receiver = self.value(func.value, scope, flow)
            return self.method_call(receiver, func.attr.value, node)
        return self.call_value(self.value(func, scope, flow))

    def call_value(self, callee: Value | None) -> Value | None:
        result = self._call_value(callee)
        if result is not None and callee is not None and callee.evidence == "heuristic":
            return result.weaker("heuristic")
        return result

    def _call_value(self, callee: Value | None) -> Value | None:
        if callee is None:
            return None
        if callee.kind is Kind.REF:
            if callee.qualname.endswith(".apply") and callee.qualname.startswith("torch.autograd"):
                return values.tensor("inferred")
            return values.call_result(callee.qualname, "inferred")
        if callee.kind is Kind.CLASS:
            return Value(Kind.OBJ, callee.qualname, "inferred", user_class=callee.user_class)
        if callee.kind is Kind.FUNC:
            return self.function_result(callee.user_class)
        if callee.kind is Kind.OBJ and values.family(callee.qualname) == "module":
            if callee.user_class is not None:
                kind = Kind.BATCH if self.returns_tuple(callee.user_class) else Kind.OBJ
                return Value(kind, values.TENSOR, "inferred")
            return values.call_of_instance(callee)
        return None

    def method_call(self, receiver: Value | None, name: str, node: cst.Call) -> Value | None:
        if receiver is None:
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
        if receiver.kind is Kind.BATCH and name in heuristics.TENSOR_LIKE_METHODS:
            return values.tensor("heuristic")
        return self.call_value(self.attribute(receiver, name))

    def _method(self, key: str, name: str) -> FunctionInfo | None:
        info = self.classes.get(key)
        if isinstance(info, ClassInfo):
            if name in info.methods:
                return info.methods[name]
            for base in self.user_bases(key):
                found = self._method(base, name)
                if found is not None:
                    return found
        return None

    def super_value(self, scope: Scope) -> Value | None:
        function = scope.owner if isinstance(scope.owner, FunctionInfo) else None
        cls = function.cls if function is not None else None
        base = self.torch_base(cls.key) if cls is not None else None
        if cls is None or base is None:
            return None
        bases = self.user_bases(cls.key)
        return Value(Kind.OBJ, base, "inferred", user_class=bases[0] if bases else None)


# ---------------------------------------------------------------------- helpers

_PLAIN = Value(Kind.OBJ, values.PLAIN_OBJECT, "inferred")
_PLAIN_LITERALS = (cst.Integer, cst.Float, cst.Imaginary, cst.SimpleString, cst.ConcatenatedString,
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
            return Value(Kind.OBJ, values.MODULE, "inferred")
    if value.kind is Kind.TUPLE:
        return _agree(list(value.items))
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


def _is_tensor(value: Value | None) -> bool:
    return value is not None and value.kind is Kind.OBJ and values.family(value.qualname) == "tensor"


def _agree(found: list[Value | None]) -> Value | None:
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
    weakest = max(found, key=lambda v: ("resolved", "inferred", "heuristic").index(v.evidence))  # type: ignore[union-attr]
    return first.weaker(weakest.evidence)  # type: ignore[union-attr]


def _is_none(expr: cst.BaseExpression) -> bool:
    return isinstance(expr, cst.Name) and expr.value == "None"


def _binds_none(binding: Binding) -> bool:
    return isinstance(binding, Assigned) and not binding.path and not binding.iterated and _is_none(binding.expr)


def _strip_optional(annotation: cst.BaseExpression) -> cst.BaseExpression | None:
    if isinstance(annotation, cst.BinaryOperation) and isinstance(annotation.operator, cst.BitOr):
        left, right = annotation.left, annotation.right
        if not (_is_none(left) or _is_none(right)):
            return None  # a real union (Tensor | tuple): not one kind of value
        return _strip_optional(right if _is_none(left) else left)
    if isinstance(annotation, cst.Subscript) and (dotted_name(annotation.value) or "").endswith("Optional"):
        first = annotation.slice[0].slice
        return first.value if isinstance(first, cst.Index) else None
    if isinstance(annotation, cst.SimpleString):
        return None
    return annotation


def _forward_param(node: cst.Param) -> Value | None:
    default = node.default
    if default is None:
        return values.tensor("inferred")
    if _is_none(default):
        return values.tensor("heuristic")
    return None


def _int_index(node: cst.Subscript) -> int | None:
    if len(node.slice) != 1 or not isinstance(node.slice[0].slice, cst.Index):
        return None
    value = node.slice[0].slice.value
    if isinstance(value, cst.Integer):
        return int(value.value)
    if isinstance(value, cst.UnaryOperation) and isinstance(value.operator, cst.Minus) and isinstance(
            value.expression, cst.Integer):
        return -int(value.expression.value)
    return None
