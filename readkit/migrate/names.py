"""Names the rules' replacements introduce, made resolvable in the migrated module.

Replacements may mention `torch` (`torch.no_grad()`, `torch.float32`) and `device`
(cuda-tensor-type's device-agnostic fixes). After the fixes are applied, the migrator
adds `import torch` and a module-level `device = torch.device(...)` where the module
does not bind them, and drops `from torch.autograd import Variable` once unused.
"""

from __future__ import annotations

from collections.abc import Sequence

import libcst as cst

DEVICE_LINE = 'device = torch.device("cuda" if torch.cuda.is_available() else "cpu")'


def ensure_names(module: cst.Module, introduced: Sequence[cst.CSTNode]) -> cst.Module:
    """`module` with `torch` imported and `device` defined where `introduced` nodes use them."""
    needed = set().union(*(_root_names(node) for node in introduced)) if introduced else set()
    bound = _module_bindings(module)
    if "device" in needed and "device" not in bound:
        device_line = cst.parse_statement(DEVICE_LINE + "\n").with_changes(leading_lines=[cst.EmptyLine()])
        module = _insert_after_imports(module, device_line)
        needed.add("torch")
    if "torch" in needed and "torch" not in bound:
        module = _insert_import(module, cst.parse_statement("import torch\n"))
    return module


def _root_names(node: cst.CSTNode) -> set[str]:
    """`torch`/`device` where used as values: not `x.device` (an attribute) or `f(device=0)` (a keyword)."""
    roots: set[str] = set()

    class _Roots(cst.CSTVisitor):
        def visit_Attribute(self, attribute: cst.Attribute) -> bool:
            attribute.value.visit(self)
            return False

        def visit_Arg(self, arg: cst.Arg) -> bool:
            arg.value.visit(self)
            return False

        def visit_Name(self, name: cst.Name) -> None:
            roots.add(name.value)

    node.visit(_Roots())
    return roots & {"torch", "device"}


def _module_bindings(module: cst.Module) -> set[str]:
    """Names bound at module level by imports and simple assignments."""
    bound: set[str] = set()
    for statement in module.body:
        if not isinstance(statement, cst.SimpleStatementLine):
            continue
        for small in statement.body:
            bound |= _bound_by(small)
    return bound


def _bound_by(small: cst.BaseSmallStatement) -> set[str]:
    if isinstance(small, cst.Import):
        return {_alias_or_head(a) for a in small.names}
    if isinstance(small, cst.ImportFrom) and not isinstance(small.names, cst.ImportStar):
        return {_alias_name(a) for a in small.names}
    if isinstance(small, cst.Assign):
        return {t.target.value for t in small.targets if isinstance(t.target, cst.Name)}
    return set()


def _alias_or_head(alias: cst.ImportAlias) -> str:
    """The name `import a.b as c` (c) or `import a.b` (a) binds."""
    if alias.asname is not None and isinstance(alias.asname.name, cst.Name):
        return alias.asname.name.value
    return _head(alias.name)


def _is_plain_variable(alias: cst.ImportAlias) -> bool:
    return isinstance(alias.name, cst.Name) and alias.name.value == "Variable" and alias.asname is None


def _head(name: cst.BaseExpression) -> str:
    while isinstance(name, cst.Attribute):
        name = name.value
    return name.value if isinstance(name, cst.Name) else ""


def _alias_name(alias: cst.ImportAlias) -> str:
    if alias.asname is not None and isinstance(alias.asname.name, cst.Name):
        return alias.asname.name.value
    return _head(alias.name) if isinstance(alias.name, cst.Name) else alias.name.attr.value


def _import_index(module: cst.Module) -> int:
    """Index after the docstring and `from __future__` imports."""
    index = 0
    for index, statement in enumerate(module.body):
        first = statement.body[0] if isinstance(statement, cst.SimpleStatementLine) else None
        is_doc = isinstance(first, cst.Expr) and isinstance(first.value, cst.SimpleString) and index == 0
        is_future = isinstance(first, cst.ImportFrom) and _head(first.module or cst.Name("")) == "__future__"
        if not (is_doc or is_future):
            return index
    return len(module.body)


def _insert_import(module: cst.Module, statement: cst.BaseStatement) -> cst.Module:
    index = _import_index(module)
    return module.with_changes(body=[*module.body[:index], statement, *module.body[index:]])


def _insert_after_imports(module: cst.Module, statement: cst.BaseStatement) -> cst.Module:
    index = _import_index(module)
    while index < len(module.body) and _is_import_line(module.body[index]):
        index += 1
    return module.with_changes(body=[*module.body[:index], statement, *module.body[index:]])


def _is_import_line(statement: cst.BaseStatement) -> bool:
    return isinstance(statement, cst.SimpleStatementLine) and all(
        isinstance(small, (cst.Import, cst.ImportFrom)) for small in statement.body
    )


def drop_unused_variable_import(module: cst.Module) -> cst.Module:
    """Remove `Variable` from `from torch.autograd import Variable` when nothing uses it any more."""
    if _uses_name(module, "Variable"):
        return module
    return module.visit(_DropVariableImport())


def _uses_name(module: cst.Module, name: str) -> bool:
    found = False

    class _Uses(cst.CSTVisitor):
        def visit_ImportFrom(self, node: cst.ImportFrom) -> bool:
            return False

        def visit_Name(self, node: cst.Name) -> None:
            nonlocal found
            found = found or node.value == name

    module.visit(_Uses())
    return found


class _DropVariableImport(cst.CSTTransformer):
    MODULES = ("torch.autograd", "torch.autograd.variable")

    def leave_ImportFrom(
        self, original_node: cst.ImportFrom, updated_node: cst.ImportFrom
    ) -> cst.ImportFrom | cst.RemovalSentinel:
        module = updated_node.module
        if module is None or updated_node.relative or isinstance(updated_node.names, cst.ImportStar):
            return updated_node
        if cst.Module(body=[]).code_for_node(module) not in self.MODULES:
            return updated_node
        kept = [a for a in updated_node.names if not _is_plain_variable(a)]
        if len(kept) == len(updated_node.names):
            return updated_node
        if not kept:
            return cst.RemovalSentinel.REMOVE
        kept[-1] = kept[-1].with_changes(comma=cst.MaybeSentinel.DEFAULT)
        return updated_node.with_changes(names=kept)
