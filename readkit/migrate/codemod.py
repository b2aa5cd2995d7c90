"""Apply the legacy rules' fixes to one source file: old idioms in, modern code out.

The rules (readkit/annotate/rules/) decide *what* to replace; the engine reports each
fix with the node it replaces. This module only applies them, by node identity, in
one libcst transform: formatting and comments outside a changed span stay as written,
and already-modern code comes back byte-identical. Afterwards rules/_names.py makes
the names the fixes introduced resolvable (`import torch`, a module-level `device`).

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
from readkit.annotate.rules._names import drop_unused_variable_import, ensure_names
from readkit.annotate.rules.base import all_rules
from readkit.results.check import LineObservation

Change = tuple[int, str, str, str]  # (line, idiom, before, after)
Note = tuple[int, str, str]  # (line, idiom, why it was left as it is)

ABSORBED = cst.RemovalSentinel.REMOVE  # a statement moved into a fix's `with` block


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
    module: cst.Module = analysis.module
    lines = _lines(module, [fix.node for fix in analysis.fixes]) if analysis.fixes else {}
    notes = tuple((lines[id(f.node)], f.idiom, f.note) for f in analysis.fixes if f.note)
    code, changes = _apply(module, _usable_fixes(analysis.fixes), lines)
    return MigratedSource(path, code, _async_changes(async_lines) + changes, notes)


def _apply(module: cst.Module, fixes: Sequence[Any], lines: dict[int, int]) -> tuple[str, tuple[Change, ...]]:
    """The module's code with `fixes` applied, and the changes made (line, idiom, before, after)."""
    if not fixes:
        return module.code, ()
    applier = _ApplyFixes(_with_absorbed_blocks(module, fixes), module)
    migrated = ensure_names(drop_unused_variable_import(module.visit(applier)), applier.applied)
    changes = tuple(
        (lines[id(fix.node)], fix.idiom, module.code_for_node(fix.node).strip(), _code(fix.replacement))
        for fix in fixes
        if id(fix.node) in applier.applied_ids
    )
    return migrated.code, changes


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


def _statements(module: cst.Module) -> list[cst.BaseStatement]:
    return [statement for body in _blocks(module) for statement in body]


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
    def __init__(self, replacements: dict[int, cst.CSTNode | cst.RemovalSentinel], module: cst.Module) -> None:
        super().__init__()
        self.written = {id(node) for node in _statements(module)}
        self.replacements = replacements
        self.applied: list[cst.CSTNode] = []
        self.applied_ids: set[int] = set()
        self.created_withs: set[int] = set()
        self.no_ops: set[int] = set()  # `x = x` left by fixes (`x = Variable(x)`)
        self._active: set[int] = set()

    def on_leave(self, original_node: cst.CSTNode, updated_node: cst.CSTNode) -> Any:
        if isinstance(updated_node, cst.SimpleStatementLine) and _self_assignment(updated_node):
            if not (id(original_node) in self.written and _self_assignment(original_node)):
                self.no_ops.add(id(updated_node))  # made by a fix, not written so by the user
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
        """Adjacent `with torch.no_grad():` blocks made by fixes become one; `x = x` goes."""
        if not isinstance(node, (cst.Module, cst.IndentedBlock)):
            return node
        merged: list[cst.BaseStatement] = []
        for statement in _without_no_ops(node.body, self.no_ops):
            previous = merged[-1] if merged else None
            if previous is not None and {id(previous), id(statement)} <= self.created_withs:
                assert isinstance(previous, cst.With) and isinstance(statement, cst.With)
                body = previous.body.with_changes(body=[*previous.body.body, *_with_comments(statement)])
                merged[-1] = previous.with_changes(body=body)
                self.created_withs.add(id(merged[-1]))
            else:
                merged.append(statement)
        return node.with_changes(body=merged) if merged != list(node.body) else node


def _self_assignment(node: cst.CSTNode) -> bool:
    """`x = x` or `a, b = a, b`: names only, each assigned to itself."""
    if not isinstance(node, cst.SimpleStatementLine) or len(node.body) != 1:
        return False
    assign = node.body[0]
    if not isinstance(assign, cst.Assign) or len(assign.targets) != 1:
        return False
    return _names(assign.targets[0].target) == _names(assign.value) != []


def _names(expr: cst.BaseExpression) -> list[str]:
    if isinstance(expr, cst.Name):
        return [expr.value]
    if isinstance(expr, cst.Tuple) and all(isinstance(e.value, cst.Name) for e in expr.elements):
        return [e.value.value for e in expr.elements if isinstance(e.value, cst.Name)]
    return []


def _without_no_ops(body: Sequence[cst.BaseStatement], no_ops: set[int]) -> list[cst.BaseStatement]:
    """`body` less the no-op statements (their comments move down), never emptied."""
    kept: list[cst.BaseStatement] = []
    comments: list[cst.EmptyLine] = []
    for statement in body:
        if id(statement) in no_ops and isinstance(statement, cst.SimpleStatementLine):
            comments.extend(statement.leading_lines)
            trailing = statement.trailing_whitespace.comment
            comments.extend([cst.EmptyLine(comment=trailing)] if trailing else [])
            continue
        if comments and isinstance(statement, (cst.SimpleStatementLine, cst.BaseCompoundStatement)):
            statement = statement.with_changes(leading_lines=[*comments, *statement.leading_lines])
            comments = []
        kept.append(statement)
    return kept if kept and not comments else list(body)


def _with_comments(statement: cst.With) -> list[cst.BaseStatement]:
    """The body of a `with` being merged upwards, its own comments moved onto its first statement."""
    first, *rest = statement.body.body
    if statement.leading_lines and hasattr(first, "leading_lines"):
        first = first.with_changes(leading_lines=[*statement.leading_lines, *first.leading_lines])
    return [first, *rest]
