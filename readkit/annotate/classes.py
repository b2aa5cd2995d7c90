"""User classes and functions: torch bases through user chains (and other files of the
repo), what a class defines itself, `self.x` attributes, `super()`, functions' return values."""

from __future__ import annotations

import libcst as cst

from readkit.annotate import values
from readkit.annotate.origins import agree, binds_none, is_none
from readkit.annotate.repo_types import ExternalClass
from readkit.annotate.scopes import ClassInfo, FunctionInfo, Scope
from readkit.annotate.evaluator_state import EvaluatorState
from readkit.annotate.values import Kind, Value



class ClassOrigins(EvaluatorState):
    """Mixed into evaluate.Evaluator."""

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
        if isinstance(info, ExternalClass):
            producer = dict(info.attrs).get(name)
            return values.call_result(producer, "inferred") if producer else None
        if not isinstance(info, ClassInfo) or depth > 20:
            return None
        if name in info.attrs:
            guard = ("attr", key, name)
            if guard in self._busy:  # self.x = self.x[1:]: the value is what it was
                return None
            self._busy.add(guard)
            found = [self.assigned(binding, scope, flow=False) for binding, scope in info.attrs[name]
                     if not binds_none(binding)]
            self._busy.discard(guard)
            return agree(found)
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
        if self._scripted(info):  # @torch.jit.script def f(...): calling f runs TorchScript
            return Value(Kind.OBJ, values.SCRIPT_FUNCTION, "inferred")
        key = f"f{id(info)}"
        self.functions[key] = info
        return Value(Kind.FUNC, info.name, "inferred", user_class=key)

    def _scripted(self, info: FunctionInfo) -> bool:
        if not isinstance(info.node, cst.FunctionDef) or not info.node.decorators:
            return False
        outer = info.scope.parent or info.scope
        found = [self.value(d.decorator, outer, flow=False) for d in info.node.decorators]
        return any(v is not None and v.kind is Kind.REF and v.qualname == "torch.jit.script" for v in found)

    def function_result(self, key: str | None) -> Value | None:
        if key in self._results:
            return self._results[key]
        result = self._function_result(key)
        if key is not None:
            self._results[key] = result
        return result

    def _function_result(self, key: str | None) -> Value | None:
        info = self.functions.get(key) if key else None
        if info is None or (key, "returns") in self._busy:
            return None
        self._busy.add((key, "returns"))
        found = [self.value(r, info.scope, flow=False) for r in info.returns if not is_none(r)]
        self._busy.discard((key, "returns"))
        result = agree(found)
        return result.weaker("inferred") if result is not None else None

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
