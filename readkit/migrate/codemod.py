"""Apply the legacy rules' fixes to one source file: old idioms in, modern code out.

The rules (readkit/annotate/rules/) decide *what* to replace; the engine reports each
fix with the node it replaces. This module only applies them, by node identity, in
one libcst transform: formatting and comments outside a changed span stay as written,
and already-modern code comes back byte-identical. Afterwards it makes the names the
fixes introduced resolvable (`import torch`, a module-level `device`) and drops
`from torch.autograd import Variable` once no use is left.

What it leaves out: walking directories, diffs, writing files, running the code
(readkit.migrate's command layer and the checker do those).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import libcst as cst
from libcst.metadata import MetadataWrapper, PositionProvider

from readkit.annotate.rules.async_argument import rewrite_async_keywords
from readkit.annotate.rules.base import all_rules
from readkit.check.model import LineObservation

Change = tuple[int, str, str, str]  # (line, idiom, before, after)
Note = tuple[int, str, str]  # (line, idiom, why it was left as it is)

ABSORBED = cst.RemovalSentinel.REMOVE  # a statement moved into a fix's `with` block
DEVICE_LINE = 'device = torch.device("cuda" if torch.cuda.is_available() else "cpu")'


@dataclass(frozen=True)
class MigratedSource:
    path: str
    code: str
    changes: tuple[Change, ...] = ()
    notes: tuple[Note, ...] = ()

    @property
    def changed(self) -> bool:
        return bool(self.changes)


def migrate_source(
    source: str,
    path: str = "<string>",
    *,
    observations: Mapping[int, LineObservation] | None = None,
) -> MigratedSource:
    """Modern code for `source`, the changes made and the findings left alone (with why).

    Raises libcst.ParserSyntaxError for code libcst cannot parse (Python 2)."""
    from readkit.annotate.engine import analyze_source

    parsable, async_lines = rewrite_async_keywords(source)
    analysis = analyze_source(parsable, path, observations=observations)
    fixes = _usable_fixes(analysis.fixes)
    module: cst.Module = analysis.module
    if not fixes:
        code = parsable if async_lines else source
        return MigratedSource(path, code, _async_changes(async_lines), _notes(analysis, module))
    lines = _lines(module, [fix.node for fix in analysis.fixes])
    replacements = _with_absorbed_blocks(module, fixes)
    applier = _ApplyFixes(replacements)
    migrated = _ensure_names(_drop_unused_imports(module.visit(applier)), applier.applied, module)
    changes = tuple(
        (lines[id(fix.node)], fix.idiom, module.code_for_node(fix.node).strip(), _code(fix.replacement))
        for fix in fixes
        if id(fix.node) in applier.applied_ids
    )
    return MigratedSource(path, migrated.code, _async_changes(async_lines) + changes, _notes(analysis, module))


# ----------------------------------------------------------------------------
# Which fixes to apply


def _usable_fixes(fixes: Sequence[Any]) -> list[Any]:
    """Fixes with a replacement; when two rules replace the same node, the first one wins."""
    seen: set[int] = set()
    usable = []
    for fix in fixes:
        if fix.replacement is not None and id(fix.node) not in seen:
            seen.add(id(fix.node))
            usable.append(fix)
    return usable


def _notes(analysis: Any, module: cst.Module) -> tuple[Note, ...]:
    noted = [fix for fix in analysis.fixes if fix.note]
    if not noted:
        return ()
    lines = _lines(module, [fix.node for fix in noted])
    return tuple((lines[id(fix.node)], fix.idiom, fix.note) for fix in noted)


def _lines(module: cst.Module, nodes: Sequence[cst.CSTNode]) -> dict[int, int]:
    positions = MetadataWrapper(module, unsafe_skip_copy=True).resolve(PositionProvider)
    return {id(node): positions[node].start.line for node in nodes if node in positions}


def _code(node: cst.CSTNode | cst.RemovalSentinel | cst.FlattenSentinel[Any]) -> str:
    if isinstance(node, cst.FlattenSentinel):
        return "\n".join(_code(part) for part in node.nodes)
    if isinstance(node, cst.CSTNode):
        return cst.Module(body=[]).code_for_node(node).strip()
    return ""


def _async_changes(lines: Sequence[int]) -> tuple[Change, ...]:
    return tuple((line, "async-argument", "async=", "non_blocking=") for line in lines)


# ----------------------------------------------------------------------------
# Blocks: a `with` replacing a statement takes the rest of its block along


def _with_absorbed_blocks(module: cst.Module, fixes: Sequence[Any]) -> dict[int, cst.CSTNode | cst.RemovalSentinel]:
    absorbing = {rule.id for rule in all_rules() if rule.absorbs_rest_of_block}
    replacements: dict[int, cst.CSTNode | cst.RemovalSentinel] = {id(f.node): f.replacement for f in fixes}
    wanted = {id(f.node) for f in fixes if f.idiom in absorbing and isinstance(f.replacement, cst.With)}
    if not wanted:
        return replacements
    for body in _blocks(module):
        for index, statement in enumerate(body):
            if id(statement) in wanted:
                wrapper = replacements[id(statement)]
                assert isinstance(wrapper, cst.With)
                rest = list(body[index + 1 :])
                inner = wrapper.body.with_changes(body=[*wrapper.body.body, *rest])
                replacements[id(statement)] = wrapper.with_changes(body=inner)
                replacements.update({id(s): ABSORBED for s in rest})
                break
    return replacements


def _blocks(module: cst.Module) -> list[Sequence[cst.BaseStatement]]:
    found: list[Sequence[cst.BaseStatement]] = [module.body]

    class _Collect(cst.CSTVisitor):
        def visit_IndentedBlock(self, node: cst.IndentedBlock) -> None:
            found.append(node.body)

    module.visit(_Collect())
    return found


# ----------------------------------------------------------------------------
# The transform: replace by identity, fixes inside replacements included


def _visit_replacement(replacement: cst.CSTNode | cst.FlattenSentinel[Any], visitor: cst.CSTTransformer) -> Any:
    if isinstance(replacement, cst.FlattenSentinel):
        return cst.FlattenSentinel([node.visit(visitor) for node in replacement.nodes])
    return replacement.visit(visitor)


class _ApplyFixes(cst.CSTTransformer):
    def __init__(self, replacements: dict[int, cst.CSTNode | cst.RemovalSentinel]) -> None:
        super().__init__()
        self.replacements = replacements
        self.applied: list[cst.CSTNode] = []
        self.applied_ids: set[int] = set()
        self.created_withs: set[int] = set()
        self._active: set[int] = set()

    def on_leave(self, original_node: cst.CSTNode, updated_node: cst.CSTNode) -> Any:
        key = id(original_node)
        if key not in self.replacements or key in self._active:
            return self._merge_withs(updated_node)
        replacement = self.replacements[key]
        if replacement is ABSORBED and self._active:
            return self._merge_withs(updated_node)  # inside the `with` that absorbed it: keep
        self.applied_ids.add(key)
        if isinstance(replacement, cst.RemovalSentinel):
            return replacement
        self._active.add(key)
        result = _visit_replacement(replacement, self)  # fixes on original nodes inside it
        self._active.discard(key)
        self.applied.extend(replacement.nodes if isinstance(replacement, cst.FlattenSentinel) else [replacement])
        if isinstance(result, cst.With):
            self.created_withs.add(id(result))
        return result

    def _merge_withs(self, node: cst.CSTNode) -> cst.CSTNode:
        """Adjacent `with torch.no_grad():` blocks made by fixes become one."""
        if not isinstance(node, (cst.Module, cst.IndentedBlock)):
            return node
        merged: list[cst.BaseStatement] = []
        for statement in node.body:
            previous = merged[-1] if merged else None
            if previous is not None and {id(previous), id(statement)} <= self.created_withs:
                assert isinstance(previous, cst.With) and isinstance(statement, cst.With)
                body = previous.body.with_changes(body=[*previous.body.body, *_with_comments(statement)])
                merged[-1] = previous.with_changes(body=body)
                self.created_withs.add(id(merged[-1]))
            else:
                merged.append(statement)
        return node.with_changes(body=merged) if len(merged) != len(node.body) else node


def _with_comments(statement: cst.With) -> list[cst.BaseStatement]:
    """The body of a `with` being merged upwards, its own comments moved onto its first statement."""
    first, *rest = statement.body.body
    if statement.leading_lines and hasattr(first, "leading_lines"):
        first = first.with_changes(leading_lines=[*statement.leading_lines, *first.leading_lines])
    return [first, *rest]


# ----------------------------------------------------------------------------
# Names: import what fixes introduced, drop `Variable` once unused


def _ensure_names(module: cst.Module, introduced: Sequence[cst.CSTNode], original: cst.Module) -> cst.Module:
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
    roots: set[str] = set()

    class _Roots(cst.CSTVisitor):
        def visit_Attribute(self, attribute: cst.Attribute) -> bool:
            base: cst.BaseExpression = attribute
            while isinstance(base, cst.Attribute):
                base = base.value
            if isinstance(base, cst.Name):
                roots.add(base.value)
            return True

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
        return {(a.asname.name.value if a.asname and isinstance(a.asname.name, cst.Name) else _head(a.name)) for a in small.names}
    if isinstance(small, cst.ImportFrom) and not isinstance(small.names, cst.ImportStar):
        return {_alias_name(a) for a in small.names}
    if isinstance(small, cst.Assign):
        return {t.target.value for t in small.targets if isinstance(t.target, cst.Name)}
    return set()


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


def _drop_unused_imports(module: cst.Module) -> cst.Module:
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
        kept = [a for a in updated_node.names if not (isinstance(a.name, cst.Name) and a.name.value == "Variable" and a.asname is None)]
        if len(kept) == len(updated_node.names):
            return updated_node
        if not kept:
            return cst.RemovalSentinel.REMOVE
        kept[-1] = kept[-1].with_changes(comma=cst.MaybeSentinel.DEFAULT)
        return updated_node.with_changes(names=kept)
