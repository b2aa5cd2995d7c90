"""The declaration pass: statements only, into `Scope` bindings (see scopes.py).

Cheap by design: it visits statement nodes and import/assignment targets, never the
expressions inside them; values are evaluated later, lazily, by evaluate.py.
"""

from __future__ import annotations

from collections.abc import Sequence

import libcst as cst

from readkit.annotate.scopes import Assigned, ClassInfo, FunctionInfo, Imported, Param, Scope


def dotted_name(node: cst.BaseExpression | None) -> str | None:
    """`torch.nn.functional` for an Attribute/Name chain, else None."""
    if isinstance(node, cst.Name):
        return node.value
    if isinstance(node, cst.Attribute):
        base = dotted_name(node.value)
        return f"{base}.{node.attr.value}" if base is not None else None
    return None


def package_of(module_name: str, is_package: bool) -> str:
    if is_package:
        return module_name
    return module_name.rpartition(".")[0]


def absolute_from(module_name: str, is_package: bool, dots: int, target: str | None) -> str:
    """The absolute dotted name of `from .{dots}target import ...` inside `module_name`."""
    if dots == 0:
        return target or ""
    parts = package_of(module_name, is_package).split(".") if module_name else []
    parts = parts[: max(len(parts) - (dots - 1), 0)]
    if target:
        parts.append(target)
    return ".".join(p for p in parts if p)


DYNAMIC_ATTRIBUTE = "__readkit_dynamic__"  # attributes set under names computed at run time


class Declarer:
    """Builds the scopes of one module."""

    def __init__(self, module_name: str, is_package: bool, path: str) -> None:
        self.module_name = module_name
        self.is_package = is_package
        self.path = path
        self.scopes: dict[cst.CSTNode, Scope] = {}
        self.classes: dict[str, ClassInfo] = {}
        self.functions: dict[str, FunctionInfo] = {}
        # direct calls of plain names (`train(model, opt, loader)`): parameters learn from their arguments
        self.calls: dict[str, list[tuple[cst.Call, Scope]]] = {}
        self.stores: dict[str, list[tuple[cst.BaseExpression, Scope]]] = {}  # name[key] = value

    def declare(self, module: cst.Module) -> Scope:
        scope = Scope("module", None)
        self.scopes[module] = scope
        self.statements(module.body, scope, None)
        return scope

    # ------------------------------------------------------------------ statements

    def statements(self, body: Sequence[cst.CSTNode], scope: Scope, func: FunctionInfo | None) -> None:
        for statement in body:
            self.statement(statement, scope, func)

    def statement(self, node: cst.CSTNode, scope: Scope, func: FunctionInfo | None) -> None:
        if isinstance(node, cst.SimpleStatementLine):
            for small in node.body:
                self.small_statement(small, scope, func)
        elif isinstance(node, cst.FunctionDef):
            self.function(node, scope)
        elif isinstance(node, cst.ClassDef):
            self.class_(node, scope)
        else:
            self.compound(node, scope, func)

    def compound(self, node: cst.CSTNode, scope: Scope, func: FunctionInfo | None) -> None:
        if isinstance(node, cst.For):
            self.bind_target(node.target, Assigned(node.iter, iterated=True), scope, func)
        elif isinstance(node, cst.With):
            for item in node.items:
                if item.asname is not None:
                    self.bind_target(item.asname.name, None, scope, func)
        elif isinstance(node, cst.ExceptHandler) and node.name is not None:
            self.bind_target(node.name.name, None, scope, func)
        for child in _blocks(node):
            if isinstance(child, cst.BaseSuite):
                self.suite(child, scope, func)
            else:
                self.compound(child, scope, func)

    def suite(self, suite: cst.BaseSuite, scope: Scope, func: FunctionInfo | None) -> None:
        if isinstance(suite, cst.IndentedBlock):
            self.statements(suite.body, scope, func)
        elif isinstance(suite, cst.SimpleStatementSuite):
            for small in suite.body:
                self.small_statement(small, scope, func)

    def small_statement(self, node: cst.CSTNode, scope: Scope, func: FunctionInfo | None) -> None:
        if isinstance(node, cst.Import):
            self.import_(node, scope)
        elif isinstance(node, cst.ImportFrom):
            self.import_from(node, scope)
        elif isinstance(node, cst.Assign):
            for target in node.targets:
                self.bind_target(target.target, Assigned(node.value), scope, func)
                self.record_store(target.target, node.value, scope)
        elif isinstance(node, cst.AnnAssign):
            value = node.value
            binding = Assigned(value, annotation=node.annotation.annotation) if value is not None else None
            self.bind_target(node.target, binding, scope, func)
        elif isinstance(node, cst.Return) and func is not None and node.value is not None:
            func.returns.append(node.value)
        value = getattr(node, "value", None)
        if isinstance(value, cst.BaseExpression):
            self.record_calls(value, scope, 0)
        if isinstance(node, cst.Expr) and isinstance(value, cst.Call):
            self.registered_attribute(value, scope, func)

    def registered_attribute(self, call: cst.Call, scope: Scope, func: FunctionInfo | None) -> None:
        """`self.register_buffer("count", t)`, `self.add_module("norm", m)`, `setattr(self, "fc", m)`:
        attributes as surely as `self.count = t`."""
        callee, args = call.func, [a.value for a in call.args]
        if isinstance(callee, cst.Attribute) and callee.attr.value in _REGISTERING and len(args) >= 2:
            owner, name, value = callee.value, args[0], args[1]
        elif isinstance(callee, cst.Name) and callee.value == "setattr" and len(args) == 3:
            owner, name, value = args
        else:
            return
        if isinstance(owner, cst.Name):  # setattr(self, "layer%d" % i, m): a name chosen at run time
            literal = name.evaluated_value if isinstance(name, cst.SimpleString) else DYNAMIC_ATTRIBUTE
            target = cst.Attribute(value=owner, attr=cst.Name(literal if isinstance(literal, str) else "_"))
            self.bind_self_attribute(target, Assigned(value), scope, func)

    def record_store(self, target: cst.BaseExpression, value: cst.BaseExpression, scope: Scope) -> None:
        """`features[name] = out`: what a dict built empty comes to hold."""
        if isinstance(target, cst.Subscript) and isinstance(target.value, cst.Name):
            self.stores.setdefault(target.value.value, []).append((value, scope))

    def record_calls(self, expr: cst.BaseExpression, scope: Scope, depth: int) -> None:
        """Calls of plain names and of `self.` methods, in a statement's value and the arguments,
        operands and displays around them (a bounded look, not a walk of every expression)."""
        if depth > 4:
            return
        if isinstance(expr, cst.Call):
            func = expr.func
            if isinstance(func, cst.Name):
                self.calls.setdefault(func.value, []).append((expr, scope))
            elif isinstance(func, cst.Attribute) and isinstance(func.value, cst.Name) and func.value.value == "self":
                self.calls.setdefault(f"self.{func.attr.value}", []).append((expr, scope))
            elif isinstance(func, cst.Attribute):  # meter.update(loss, n): a method called on an object
                self.calls.setdefault(f".{func.attr.value}", []).append((expr, scope))
            inner = [arg.value for arg in expr.args]
            if isinstance(func, cst.Attribute):
                inner.append(func.value)  # square(t).tolist(): the receiver of a method chain
        elif isinstance(expr, cst.BinaryOperation):
            inner = [expr.left, expr.right]
        elif isinstance(expr, (cst.Tuple, cst.List)):
            inner = [element.value for element in expr.elements]
        elif isinstance(expr, (cst.ListComp, cst.GeneratorExp, cst.SetComp)):
            inner = [expr.elt]  # [run(cfg, x) for cfg in grid]
        else:
            return
        for item in inner:
            self.record_calls(item, scope, depth + 1)

    # ------------------------------------------------------------------ bindings

    def bind_target(self, target: cst.BaseExpression, binding: Assigned | None, scope: Scope,
                    func: FunctionInfo | None) -> None:
        if isinstance(target, cst.Name):
            scope.bind(target.value, binding)
        elif isinstance(target, (cst.Tuple, cst.List)):
            for index, element in enumerate(target.elements):
                inner = element.value
                if isinstance(element, cst.StarredElement) or binding is None:
                    self.bind_target(inner, None, scope, func)
                else:
                    path = binding.path + (index,)
                    self.bind_target(inner, Assigned(binding.expr, path, binding.iterated), scope, func)
        elif isinstance(target, cst.Attribute) and binding is not None:
            self.bind_self_attribute(target, binding, scope, func)

    def bind_self_attribute(self, target: cst.Attribute, binding: Assigned, scope: Scope,
                            func: FunctionInfo | None) -> None:
        if func is None or func.cls is None or not isinstance(target.value, cst.Name):
            return
        params = func.node.params.params if isinstance(func.node, cst.FunctionDef) else ()
        if params and params[0].name.value == target.value.value and not func.is_static:
            func.cls.attrs.setdefault(target.attr.value, []).append((binding, scope))

    def import_(self, node: cst.Import, scope: Scope) -> None:
        for alias in node.names:
            full = dotted_name(alias.name) or ""
            if alias.asname is not None and isinstance(alias.asname.name, cst.Name):
                scope.bind(alias.asname.name.value, Imported(full, module=True))
            else:
                first = full.split(".")[0]
                scope.bind(first, Imported(first, module=True))

    def import_from(self, node: cst.ImportFrom, scope: Scope) -> None:
        base = absolute_from(self.module_name, self.is_package, len(node.relative), dotted_name(node.module))
        if isinstance(node.names, cst.ImportStar):
            scope.star_imports.append(base)
            return
        for alias in node.names:
            name = dotted_name(alias.name) or ""
            local = alias.asname.name.value if alias.asname and isinstance(alias.asname.name, cst.Name) else name
            scope.bind(local, Imported(f"{base}.{name}" if base else name))

    # ------------------------------------------------------------------ definitions

    def function(self, node: cst.FunctionDef, scope: Scope) -> None:
        cls = scope.owner if scope.kind == "class" and isinstance(scope.owner, ClassInfo) else None
        own = Scope("function", scope)
        info = FunctionInfo(node.name.value, node, own, cls, is_static=_is_static(node))
        own.owner = info
        self.scopes[node] = own
        scope.bind(node.name.value, info)
        if cls is not None:
            cls.methods[node.name.value] = info
        self.params(node.params, info)
        self.suite(node.body, own, info)

    def params(self, params: cst.Parameters, info: FunctionInfo) -> None:
        every = [*params.posonly_params, *params.params, *params.kwonly_params]
        for index, param in enumerate(every):
            info.scope.bind(param.name.value, Param(param, info, index))
        for star in (params.star_arg, params.star_kwarg):
            if isinstance(star, cst.Param):
                info.scope.bind(star.name.value, None)

    def class_(self, node: cst.ClassDef, scope: Scope) -> None:
        key = f"{self.module_name or self.path}:{node.name.value}:{len(self.classes)}"
        info = ClassInfo(node.name.value, node, scope, key)
        body = Scope("class", scope, info)
        info.body = body
        self.classes[key] = info
        self.scopes[node] = body
        scope.bind(node.name.value, info)
        self.suite(node.body, body, None)


_REGISTERING = frozenset({"register_buffer", "register_parameter", "add_module", "register_module"})


def _is_static(node: cst.FunctionDef) -> bool:
    return any(dotted_name(d.decorator) in ("staticmethod", "classmethod") for d in node.decorators)


def _blocks(node: cst.CSTNode) -> list[cst.CSTNode]:
    """The suites and clause nodes of a compound statement, in source order."""
    found: list[cst.CSTNode] = []
    for name in ("body", "orelse", "handlers", "finalbody", "cases"):
        value = getattr(node, name, None)
        if isinstance(value, (list, tuple)):
            found.extend(value)
        elif isinstance(value, cst.CSTNode):
            found.append(value)
    return found
