"""The engine: parse once, declare, one batched walk (uses + legacy rules), positions at the end.

`analyze_source` is pure (source in, `Analysis` out) so that files can be analyzed in
parallel and cached. The parsed module is kept with node identity preserved
(`unsafe_skip_copy`), so the migrator can apply `Analysis.fixes` by node.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Callable, Hashable, Mapping
from dataclasses import dataclass
from typing import TypeVar

import libcst as cst
from libcst.metadata import MetadataWrapper, PositionProvider

from readkit.annotate import messages
from readkit.annotate.declare import Declarer
from readkit.annotate.evaluate import Evaluator
from readkit.annotate.gc_pause import cyclic_gc_paused
from readkit.annotate.parse import parse_module
from readkit.results.annotate import Annotation, FileResult, LegacyFinding, Suppressed
from readkit.annotate.positions import AstPositions, Mismatch, Span
from readkit.annotate.repo_types import ModuleInfo
from readkit.annotate.rules.async_argument import AsyncArgument, rewrite_async_keywords
from readkit.annotate.rules.base import LegacyRule, Replacement, all_rules
from readkit.annotate.suggest import Suggestion, suggestion
from readkit.annotate.uses import Use
from readkit.annotate.walk import TreeWalker
from readkit.annotate.walker import Walker
from readkit.annotate.values import Kind, family
from readkit.results.check import LineObservation
from readkit.suppressions import Suppressions, read_suppressions


T = TypeVar("T")


@dataclass(frozen=True)
class Fix:
    """A legacy rule's replacement for one node (applied by the migrator by node identity)."""

    node: cst.CSTNode
    replacement: Replacement | None
    idiom: str
    message: str
    note: str | None


@dataclass(frozen=True)
class Analysis:
    result: FileResult
    module: cst.Module  # parsed from the source with `async=` keywords already renamed
    fixes: tuple[Fix, ...]
    async_lines: tuple[int, ...] = ()  # lines whose `async=` keywords were renamed `non_blocking=` before parsing


@dataclass(frozen=True)
class _Report:
    node: cst.CSTNode
    rule: type[LegacyRule]
    message: str
    replacement: Replacement | None
    note: str | None
    modern: Suggestion | None


class _Context:
    """The engine's answers to a legacy rule (implements rules.base.RuleContext)."""

    def __init__(self, module: cst.Module, walker: Walker, observations: Mapping[int, LineObservation] | None,
                 line_of: Callable[[cst.CSTNode], int]) -> None:
        self.module = module
        self.walker = walker
        self.observations = observations
        self.line_of = line_of
        self.rule: type[LegacyRule] | None = None
        self.reports: list[_Report] = []
        self._per_file: dict[Hashable, object] = {}

    def symbol(self, node: cst.CSTNode) -> str | None:
        if not isinstance(node, cst.BaseExpression):
            return None
        found = self.walker.value(node)
        return found.qualname if found is not None and found.kind is Kind.REF else None

    def origin(self, node: cst.CSTNode) -> str | None:
        if not isinstance(node, cst.BaseExpression):
            return None
        found = self.walker.value(node)
        if found is None or found.kind is not Kind.OBJ:
            return None
        return "torch.Tensor" if family(found.qualname) == "tensor" else found.qualname

    def parent(self, node: cst.CSTNode) -> cst.CSTNode | None:
        return self.walker.parents.get(node)

    def code(self, node: cst.CSTNode) -> str:
        return self.module.code_for_node(node)

    def observed(self, node: cst.CSTNode) -> LineObservation | None:
        if not self.observations:
            return None
        return self.observations.get(self.line_of(node))

    def per_file(self, key: Hashable, make: Callable[[], T]) -> T:
        if key not in self._per_file:
            self._per_file[key] = make()
        return self._per_file[key]  # type: ignore[return-value]  # `key` was made by `make`

    def report(self, node: cst.CSTNode, *, message: str | None = None, replacement: Replacement | None = None,
               note: str | None = None, modern: Suggestion | None = None) -> None:
        assert self.rule is not None
        self.reports.append(_Report(node, self.rule, message or self.rule.message, replacement, note, modern))


class _Locator:
    """Spans of nodes: from CPython's ast when it agrees with libcst (fast), else from libcst's
    PositionProvider (a whole-module codegen, computed once and only then)."""

    def __init__(self, module: cst.Module, source: str | None, parents: Mapping[cst.CSTNode, cst.CSTNode]) -> None:
        self.module = module
        self.fast = AstPositions(module, source if source is not None else module.code, parents)
        self.slow: Mapping[cst.CSTNode, object] | None = None

    def spans(self, nodes: list[cst.CSTNode]) -> Mapping[cst.CSTNode, Span]:
        if self.slow is None:
            try:
                return self.fast.spans(nodes)
            except Mismatch:
                wrapper = MetadataWrapper(self.module, unsafe_skip_copy=True)
                self.slow = PositionProvider()._gen(wrapper)  # no batched visit: positions only
        return {node: _from_range(self.slow[node]) for node in nodes}

    def line_of(self, node: cst.CSTNode) -> int:
        return self.spans([node])[node][0]


def _from_range(found: object) -> Span:
    start, end = found.start, found.end  # type: ignore[attr-defined]  # a libcst CodeRange, typed object where it is looked up
    return (start.line, start.column, end.line, end.column)


def analyze_source(source: str, path: str, *, observations: Mapping[int, LineObservation] | None = None,
                   module_info: ModuleInfo | None = None) -> Analysis:
    """Analyze one file's source. Raises libcst.ParserSyntaxError when it does not parse.

    0.3-era `x.cuda(async=True)` is a syntax error since Python 3.7, so those keywords are
    renamed `non_blocking=` on tokens first (the async-argument rule's one pre-parse fix) and
    reported on their lines; the rest of the file is then analyzed as usual."""
    parsable, async_lines = rewrite_async_keywords(source)
    with cyclic_gc_paused():
        module = parse_module(parsable)
        analysis = analyze_module(module, path, observations=observations, module_info=module_info, source=parsable)
    if not async_lines:
        return analysis
    silenced = read_suppressions(source)
    found = _async_findings(source, async_lines)
    quiet = tuple(Suppressed(f.line, f.idiom) for f in found if silenced.covers(f.line, f.idiom))
    legacy = tuple(sorted(analysis.result.legacy + tuple(f for f in found if not silenced.covers(f.line, f.idiom)),
                          key=lambda f: (f.line, f.column, f.idiom)))
    suppressed = tuple(sorted(set(analysis.result.suppressed + quiet), key=lambda item: (item.line, item.id)))
    result = dataclasses.replace(analysis.result, legacy=legacy, suppressed=suppressed)
    return dataclasses.replace(analysis, result=result, async_lines=async_lines)


def _async_findings(source: str, lines: tuple[int, ...]) -> tuple[LegacyFinding, ...]:
    text = source.splitlines()
    found = []
    for line in lines:
        column = text[line - 1].find("async") + 1
        found.append(LegacyFinding(line, column, line, column + len("async"), AsyncArgument.id,
                                   AsyncArgument.message, "non_blocking", "non_blocking=",
                                   AsyncArgument.reference_step))
    return tuple(found)


def analyze_module(module: cst.Module, path: str, *, observations: Mapping[int, LineObservation] | None = None,
                   module_info: ModuleInfo | None = None, source: str | None = None) -> Analysis:
    info = module_info or ModuleInfo()
    declarer = Declarer(info.name, info.is_package, path)
    module_scope = declarer.declare(module)
    evaluator = Evaluator(declarer, info.repo)
    visitors: dict[type, list[Callable[[cst.CSTNode], None]]] = {}
    walker = TreeWalker(evaluator, declarer.scopes, visitors)
    locator = _Locator(module, source, walker.parents)
    context = _Context(module, walker, observations, locator.line_of)
    _register_rules(visitors, context)
    walker.scope = module_scope
    walker.lazy_annotations = _future_annotations(module)
    walker.in_scope(module_scope, lambda: walker.walk(module))
    reports = _without_shadowed(context.reports)
    positions = locator.spans([u.node for u in walker.uses] + [r.node for r in reports])
    annotations = _annotations(walker.uses, positions)
    silenced = read_suppressions(source if source is not None else module.code)
    if silenced:
        annotations, reports, suppressed = _unsuppressed(annotations, reports, positions, silenced)
    result = FileResult(path=path, annotations=annotations, legacy=_findings(reports, positions, module),
                        suppressed=suppressed if silenced else ())
    fixes = tuple(Fix(r.node, r.replacement, r.rule.id, r.message, r.note) for r in reports)
    return Analysis(result=result, module=module, fixes=fixes)


def _future_annotations(module: cst.Module) -> bool:
    for statement in module.body:
        if not isinstance(statement, cst.SimpleStatementLine):
            return False
        for small in statement.body:
            if isinstance(small, cst.ImportFrom) and isinstance(small.module, cst.Name) and \
                    small.module.value == "__future__" and not isinstance(small.names, cst.ImportStar) and \
                    any(isinstance(a.name, cst.Name) and a.name.value == "annotations" for a in small.names):
                return True
    return False


@functools.cache
def _rule_visits() -> tuple[tuple[type[LegacyRule], tuple[tuple[type, str], ...]], ...]:
    """Each rule class with its (node type, method name) pairs: discovered once per process."""
    found = []
    for rule_class in all_rules():
        methods = tuple((getattr(cst, attr[6:]), attr) for attr in dir(rule_class)
                        if attr.startswith("visit_") and isinstance(getattr(cst, attr[6:], None), type))
        found.append((rule_class, methods))
    return tuple(found)


def _register_rules(visitors: dict[type, list[Callable[[cst.CSTNode], None]]], context: _Context) -> None:
    for rule_class, methods in _rule_visits():
        rule = rule_class()  # a fresh instance per file: rules may keep per-file state
        for node_type, attr in methods:
            visitors.setdefault(node_type, []).append(_bound(rule, getattr(rule, attr), context))


def _bound(rule: LegacyRule, method: Callable[..., None], context: _Context) -> Callable[[cst.CSTNode], None]:
    def visit(node: cst.CSTNode) -> None:
        context.rule = type(rule)
        method(node, context)

    return visit


def _annotations(uses: list[Use], positions: Mapping[cst.CSTNode, Span]) -> tuple[Annotation, ...]:
    seen: set[tuple[int, int, str, str | None]] = set()
    found = []
    for use in uses:
        line, column, end_line, end_column = positions[use.node]
        key = (line, column, use.role, use.symbol)
        if key in seen:
            continue
        seen.add(key)
        found.append(Annotation(line, column + 1, end_line, end_column + 1, use.role, use.evidence, use.symbol,
                                use.rule, messages.message_for(use.role, use.symbol)))
    return tuple(sorted(found, key=lambda a: (a.line, a.column, a.role)))


def _unsuppressed(annotations: tuple[Annotation, ...], reports: list[_Report], positions: Mapping[cst.CSTNode, Span],
                  silenced: Suppressions) -> tuple[tuple[Annotation, ...], list[_Report], tuple[Suppressed, ...]]:
    """What `# readkit: ignore[...]` leaves: annotations by role, findings (and their fixes) by rule id."""
    quiet_reports = [silenced.covers(positions[r.node][0], r.rule.id) for r in reports]
    quiet_annotations = [silenced.covers(a.line, a.role) for a in annotations]
    gone = {Suppressed(positions[r.node][0], r.rule.id) for r, quiet in zip(reports, quiet_reports) if quiet}
    gone |= {Suppressed(a.line, a.role) for a, quiet in zip(annotations, quiet_annotations) if quiet}
    return (tuple(a for a, quiet in zip(annotations, quiet_annotations) if not quiet),
            [r for r, quiet in zip(reports, quiet_reports) if not quiet],
            tuple(sorted(gone, key=lambda item: (item.line, item.id))))


def _without_shadowed(reports: list[_Report]) -> list[_Report]:
    """A portability note on a node a legacy rule already fixes (`x.cuda()` once the file moved
    onto `device`) says nothing more: the legacy finding stands alone."""
    fixed = {id(r.node) for r in reports if not r.rule.portability and r.replacement is not None}
    return [r for r in reports if not (r.rule.portability and id(r.node) in fixed)]


def _findings(reports: list[_Report], positions: Mapping[cst.CSTNode, Span],
              module: cst.Module) -> tuple[LegacyFinding, ...]:
    found = []
    for report in reports:
        line, column, end_line, end_column = positions[report.node]
        code = replacement_code(report.replacement, module)
        modern = suggestion(report.rule, report.replacement, report.modern, module)
        found.append(LegacyFinding(line, column + 1, end_line, end_column + 1, report.rule.id, report.message, code,
                                   modern, report.rule.reference_step))
    return tuple(sorted(found, key=lambda f: (f.line, f.column, f.idiom)))


def replacement_code(replacement: Replacement | None, module: cst.Module) -> str | None:
    """The code of a fix as `module` writes it (several statements one after the other);
    None when there is no fix or the fix removes the span."""
    if isinstance(replacement, cst.FlattenSentinel):
        return "".join(module.code_for_node(node) for node in replacement.nodes)
    return module.code_for_node(replacement) if isinstance(replacement, cst.CSTNode) else None
