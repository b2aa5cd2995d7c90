"""Apply the legacy rules' fixes to one source file: old idioms in, modern code out.

The rules (readkit/annotate/rules/) decide *what* to replace; the engine reports each
fix with the node it replaces. This module only applies them, by node identity, in
one libcst transform: formatting and comments outside a changed span stay as written,
and already-modern code comes back byte-identical. Afterwards migrate/names.py makes
the names the fixes introduced resolvable (`import torch`, a module-level `device`).
The one fix made before parsing (`async=` -> `non_blocking=`, which Python 3.7+ cannot
parse) is the engine's: it reports the lines, this module lists them as changes. A
`# readkit: ignore` comment cannot keep it (the file would not parse otherwise): such a
line is listed as `overridden`, with why, never as silently suppressed.
Lines silenced by `# readkit: ignore[...]` get no fix (the engine drops them) and are listed.

What it leaves out: walking directories, diffs, writing files, running the code
(readkit.migrate's command layer and the checker do those).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import libcst as cst
from libcst.metadata import MetadataWrapper, PositionProvider

from readkit.annotate.engine import Fix, analyze_source
from readkit.annotate.rules.async_argument import AsyncArgument
from readkit.annotate.rules.base import all_rules
from readkit.migrate.names import drop_unused_variable_import, ensure_names
from readkit.results.annotate import Suppressed
from readkit.results.check import LineObservation
from readkit.results.migrate import Change, Note

ABSORBED = cst.RemovalSentinel.REMOVE  # a statement moved into a fix's `with` block


@dataclass(frozen=True)
class MigratedSource:
    path: str
    code: str
    changes: tuple[Change, ...] = ()
    notes: tuple[Note, ...] = ()
    suppressed: tuple[Suppressed, ...] = ()  # findings left as written by `# readkit: ignore[...]`
    overridden: tuple[Note, ...] = ()  # changed although a `# readkit: ignore[...]` covers them, and why

    @property
    def changed(self) -> bool:
        return bool(self.changes)


def migrate_source(
    source: str,
    path: str = "<string>",
    *,
    observations: Mapping[int, LineObservation] | None = None,
    portable: bool = False,
    cell_starts: frozenset[int] = frozenset(),
) -> MigratedSource:
    """Modern code for `source`, the changes made and the findings left alone (with why).

    Only what torch removed or deprecated is rewritten; portability notes (CUDA-only calls,
    rules with `portability`) are rewritten only when `portable` is given, else noted.
    `cell_starts`: for a notebook's program, the lines where a cell begins; a fix's
    `with` block never takes in statements of a later cell (each cell stays a cell).
    Raises libcst.ParserSyntaxError for code libcst cannot parse (Python 2)."""
    analysis = analyze_source(source, path, observations=observations)
    module: cst.Module = analysis.module
    fixes = analysis.fixes if portable else tuple(_unless_portability(analysis.fixes))
    lines = _lines(module, [fix.node for fix in fixes]) if fixes else {}
    notes = tuple(Note(lines[id(f.node)], f.idiom, f.note) for f in fixes if f.note)
    barriers = _cell_barriers(module, cell_starts) if cell_starts else frozenset()
    code, changes = _apply(module, _usable_fixes(fixes), lines, barriers)
    rule_ids = {rule.id for rule in all_rules()}
    suppressed = tuple(item for item in analysis.result.suppressed if item.id in rule_ids)
    overridden = tuple(Note(item.line, item.id, ASYNC_OVERRIDE) for item in suppressed if item.id == AsyncArgument.id)
    return MigratedSource(path, code, _async_changes(analysis.async_lines) + changes, notes,
                          tuple(item for item in suppressed if item.id != AsyncArgument.id), overridden)


ASYNC_OVERRIDE = ("`async` is a keyword since Python 3.7: the file does not parse with `async=` in it, "
                  "so it is renamed `non_blocking=` all the same")


PORTABLE_NOTE = "CUDA-only, as written (not a legacy idiom): `readkit migrate --portable` makes it run without a GPU"


def _unless_portability(fixes: Sequence[Fix]) -> Iterator[Fix]:
    """Portability fixes become notes: the code is current torch, and failing fast without a GPU may be meant."""
    portability = {rule.id for rule in all_rules() if rule.portability}
    for fix in fixes:
        if fix.idiom in portability and fix.replacement is not None:
            yield dataclasses.replace(fix, replacement=None, note=PORTABLE_NOTE)
        else:
            yield fix


def _apply(module: cst.Module, fixes: Sequence[Any], lines: dict[int, int],
           barriers: frozenset[int] = frozenset()) -> tuple[str, tuple[Change, ...]]:
    """The module's code with `fixes` applied, and the changes made (line, idiom, before, after)."""
    if not fixes:
        return module.code, ()
    applier = _ApplyFixes(_with_absorbed_blocks(module, fixes, barriers), module, barriers)
    migrated = ensure_names(drop_unused_variable_import(module.visit(applier)), applier.applied)
    changes = tuple(
        Change(lines[id(fix.node)], fix.idiom, module.code_for_node(fix.node).strip(), _code(fix.replacement))
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
    return tuple(Change(line, "async-argument", "async=", "non_blocking=") for line in lines)


# ----------------------------------------------------------------------------
# Blocks: a `with` replacing a statement takes the rest of its block along


def _cell_barriers(module: cst.Module, cell_starts: frozenset[int]) -> frozenset[int]:
    """ids of the top-level statements that open a notebook cell."""
    starts = _lines(module, list(module.body))
    return frozenset(id(s) for s in module.body if starts.get(id(s)) in cell_starts)


def _with_absorbed_blocks(module: cst.Module, fixes: Sequence[Any],
                          barriers: frozenset[int] = frozenset()) -> dict[int, cst.CSTNode | cst.RemovalSentinel]:
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
                rest = _until_barrier(list(body[index + 1 :]), barriers)
                inner = wrapper.body.with_changes(body=[*wrapper.body.body, *rest])
                replacements[id(statement)] = wrapper.with_changes(body=inner)
                replacements.update({id(s): ABSORBED for s in rest})
                break
    return replacements


def _until_barrier(rest: list[cst.BaseStatement], barriers: frozenset[int]) -> list[cst.BaseStatement]:
    """The statements up to (not including) the first that opens a new notebook cell."""
    stop = next((i for i, statement in enumerate(rest) if id(statement) in barriers), len(rest))
    return rest[:stop]


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
    def __init__(self, replacements: dict[int, cst.CSTNode | cst.RemovalSentinel], module: cst.Module,
                 barriers: frozenset[int] = frozenset()) -> None:
        super().__init__()
        self.barriers = barriers  # ids of statements opening a notebook cell
        self.barrier_results: set[int] = set()  # ids of what those statements became
        self.written = {id(node) for node in _statements(module)}
        self.replacements = replacements
        self.applied: list[cst.CSTNode] = []
        self.applied_ids: set[int] = set()
        self.created_withs: set[int] = set()
        self.no_ops: set[int] = set()  # `x = x` left by fixes (`x = Variable(x)`)
        # Nodes made during the transform whose ids are recorded above: kept alive, or a later
        # node could reuse a dead one's id (and be dropped as a no-op, or merged as a `with`).
        self._alive: list[cst.CSTNode] = []
        self._active: set[int] = set()

    def on_leave(self, original_node: cst.CSTNode, updated_node: cst.CSTNode) -> Any:
        result = self._leave(original_node, updated_node)
        if id(original_node) in self.barriers:
            self.barrier_results.add(id(result))
        return result

    def _leave(self, original_node: cst.CSTNode, updated_node: cst.CSTNode) -> Any:
        if isinstance(updated_node, cst.SimpleStatementLine) and _self_assignment(updated_node):
            if not (id(original_node) in self.written and _self_assignment(original_node)):
                self.no_ops.add(id(updated_node))  # made by a fix, not written so by the user
                self._alive.append(updated_node)
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
            self._alive.append(result)
        return result

    def _merge_withs(self, node: cst.CSTNode) -> cst.CSTNode:
        """Adjacent `with torch.no_grad():` blocks made by fixes become one; `x = x` goes."""
        if not isinstance(node, (cst.Module, cst.IndentedBlock)):
            return node
        merged: list[cst.BaseStatement] = []
        for statement in _without_no_ops(node.body, self.no_ops):
            previous = merged[-1] if merged else None
            merges = previous is not None and {id(previous), id(statement)} <= self.created_withs
            if merges and id(statement) not in self.barrier_results:
                assert isinstance(previous, cst.With) and isinstance(statement, cst.With)
                body = previous.body.with_changes(body=[*previous.body.body, *_with_comments(statement)])
                merged[-1] = previous.with_changes(body=body)
                self.created_withs.add(id(merged[-1]))
                self._alive.append(merged[-1])
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
