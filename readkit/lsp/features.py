"""readkit's results as LSP values: diagnostics, hover text, code actions (no server here).

Positions: readkit's lines and columns are 1-based, in code points; LSP's are
0-based, in UTF-16 code units (the protocol's default encoding), converted here.
"""

from __future__ import annotations

import difflib
from collections.abc import Sequence
from pathlib import Path

from lsprotocol import types

from readkit.results.annotate import Annotation, FileResult, LegacyFinding
from readkit.lsp.runfacts import RunFacts
from readkit.render.annotated_copy import modern_text
from readkit.roles import ROLES

SOURCE = "readkit"
FIX_ALL = types.CodeActionKind.SourceFixAll
EVIDENCE = {
    "resolved": "resolved: the name resolves through imports to a torch name",
    "inferred": "inferred: followed from where the object was made",
    "heuristic": "heuristic: only the method or attribute name suggests it",
}
MARKS = {"confirmed": "✓ confirmed", "refuted": "✗ refuted", "not-reached": "· not reached"}


def position(lines: Sequence[str], line: int, column: int) -> types.Position:
    """readkit's (1-based line, 1-based code-point column) as an LSP position."""
    index = max(line - 1, 0)
    text = lines[index] if index < len(lines) else ""
    prefix = text[: max(column - 1, 0)]
    return types.Position(line=index, character=len(prefix.encode("utf-16-le")) // 2)


def span(lines: Sequence[str], item: Annotation | LegacyFinding) -> types.Range:
    return types.Range(start=position(lines, item.line, item.column),
                       end=position(lines, item.end_line, item.end_column))


def whole_line(lines: Sequence[str], line: int) -> types.Range:
    text = lines[line - 1] if 0 < line <= len(lines) else ""
    start = len(text) - len(text.lstrip()) + 1
    return types.Range(start=position(lines, line, start), end=position(lines, line, len(text.rstrip()) + 1))


# ----------------------------------------------------------------------------
# Diagnostics


def diagnostics(result: FileResult, facts: RunFacts | None, text: str, stale: bool = False) -> list[types.Diagnostic]:
    lines = text.splitlines()
    found = [_legacy_diagnostic(lines, finding) for finding in result.legacy]
    if result.error is not None:  # one without a line (a crash, a bug in readkit) is shown on the first
        found.append(types.Diagnostic(range=whole_line(lines, result.error.line or 1), message=result.error.message,
                                      severity=types.DiagnosticSeverity.Error, source=SOURCE, code=result.error.kind))
    if facts is not None:
        when = " (from a run of an older version of this file)" if stale else ""
        found += [types.Diagnostic(range=whole_line(lines, p.line), message=p.message + when,
                                   severity=types.DiagnosticSeverity.Error, source=f"{SOURCE} check", code=p.check)
                  for p in facts.problems if 0 < p.line <= len(lines)]
    return found


def _legacy_diagnostic(lines: Sequence[str], finding: LegacyFinding) -> types.Diagnostic:
    """The message ends in the one-line modern form the terminal and JSON show (`→ F.softmax(x, dim=1)`),
    never the fix's multi-line code: that is what the code action applies."""
    modern = _arrow(finding)
    return types.Diagnostic(range=span(lines, finding), message=finding.message + modern,
                            severity=types.DiagnosticSeverity.Warning, source=SOURCE, code=finding.idiom,
                            data={"idiom": finding.idiom, "line": finding.line})


# ----------------------------------------------------------------------------
# Hover


def hover(result: FileResult, facts: RunFacts | None, text: str, line: int, stale: bool = False) -> types.Hover | None:
    """What readkit knows about the (0-based) `line`, as Markdown; None when nothing."""
    number = line + 1
    annotations = sorted((a for a in result.annotations if a.line <= number <= a.end_line), key=lambda a: a.column)
    legacy = [f for f in result.legacy if f.line <= number <= f.end_line]
    seen = facts.lines.get(number) if facts is not None else None
    if not (annotations or legacy or seen):
        return None
    parts = [f"**readkit** · line {number}", *(_annotation_text(a) for a in annotations),
             *(_legacy_text(f) for f in legacy), *_steps(annotations)]
    if facts is not None and seen is not None:
        parts.append(_run_text(seen, facts, stale))
    lines = text.splitlines()
    return types.Hover(contents=types.MarkupContent(kind=types.MarkupKind.Markdown, value="\n\n".join(parts)),
                       range=whole_line(lines, number))


def _annotation_text(annotation: Annotation) -> str:
    symbol = f" — `{annotation.symbol}`" if annotation.symbol else ""
    return f"`[{annotation.role}]` {annotation.message}{symbol}  \n*{EVIDENCE.get(annotation.evidence, annotation.evidence)}*"


def _arrow(finding: LegacyFinding) -> str:
    modern = modern_text(finding)
    return f" → {modern}" if modern else ""


def _legacy_text(finding: LegacyFinding) -> str:
    one_line = modern_text(finding)
    modern = f"  \nmodern: `{one_line}`" if one_line else ""
    return f"**legacy `{finding.idiom}`**: {finding.message}{modern}  \n(`readkit explain {finding.idiom}`)"


def _steps(annotations: Sequence[Annotation]) -> list[str]:
    roles = sorted({a.role for a in annotations})
    steps = [(role, ROLES[role].reference_step) for role in roles if role in ROLES and ROLES[role].reference_step]
    return [f"see {role}: `readkit run-reference --step {step}`" for role, step in steps]


def _run_text(seen: object, facts: RunFacts, stale: bool) -> str:
    from readkit.lsp.runfacts import LineFacts

    assert isinstance(seen, LineFacts)
    ran = f"ran ×{seen.calls}" + (f": {', '.join(seen.shapes)}" if seen.shapes else "")
    verdicts = ", ".join(f"{role} {MARKS.get(verdict, verdict)}" for role, verdict in sorted(set(seen.verdicts)))
    old = "; the file changed since" if stale else ""
    return f"**readkit check** ({facts.target}{old}): {ran}" + (f"  \n{verdicts}" if verdicts else "")


# ----------------------------------------------------------------------------
# Code actions: the migrator's fix, hunk by hunk


def code_actions(text: str, path: str, uri: str, result: FileResult, wanted: types.Range,
                 context: Sequence[types.Diagnostic]) -> list[types.CodeAction]:
    """A quick fix per legacy finding in `wanted` (the migrator's change of its lines, plus any
    import the fix needs), and one action migrating the whole file."""
    fixable = [f for f in result.legacy if f.replacement is not None]
    if not fixable:
        return []
    hunks = _hunks(text, path)
    if not hunks:
        return []
    actions = []
    for finding in fixable:
        if finding.end_line - 1 < wanted.start.line or finding.line - 1 > wanted.end.line:
            continue
        edits = [h for h in hunks if _overlaps(h, finding) or _adds_imports(h)]
        if any(_overlaps(h, finding) for h in edits):
            actions.append(_action(f"readkit: {finding.idiom}{_arrow(finding)}", types.CodeActionKind.QuickFix,
                                   uri, text, edits, [d for d in context if d.code == finding.idiom]))
    actions.append(_action(f"readkit: migrate every legacy idiom in {Path(path).name}", FIX_ALL, uri, text, hunks, []))
    return actions


Hunk = tuple[int, int, str]  # (first original line index, end index, new text)


def _hunks(text: str, path: str) -> list[Hunk]:
    from readkit.migrate.codemod import migrate_source

    try:
        migrated = migrate_source(text, path).code
    except Exception:  # a file the migrator cannot parse offers no fix (the diagnostics say why)
        return []
    before, after = text.splitlines(keepends=True), migrated.splitlines(keepends=True)
    matcher = difflib.SequenceMatcher(None, before, after, autojunk=False)
    return [(i1, i2, "".join(after[j1:j2])) for tag, i1, i2, j1, j2 in matcher.get_opcodes() if tag != "equal"]


def _overlaps(hunk: Hunk, finding: LegacyFinding) -> bool:
    first, end, _ = hunk
    return first < finding.end_line and finding.line - 1 < max(end, first + 1)


def _adds_imports(hunk: Hunk) -> bool:
    first, end, new = hunk
    added = [line.strip() for line in new.splitlines() if line.strip()]
    return first == end and bool(added) and all(line.startswith(("import ", "from ")) for line in added)


def _action(title: str, kind: types.CodeActionKind, uri: str, text: str, hunks: Sequence[Hunk],
            fixes: list[types.Diagnostic]) -> types.CodeAction:
    lines = text.splitlines(keepends=True)
    edits = [types.TextEdit(range=types.Range(start=_line_start(lines, first), end=_line_start(lines, end)),
                            new_text=new) for first, end, new in hunks]
    return types.CodeAction(title=title, kind=kind, diagnostics=fixes or None,
                            edit=types.WorkspaceEdit(changes={uri: edits}))


def _line_start(lines: Sequence[str], index: int) -> types.Position:
    """The start of line `index`; past the last line, the end of the text."""
    if index < len(lines) or not lines or lines[-1].endswith(("\n", "\r")):
        return types.Position(line=index, character=0)
    last = lines[-1]
    return types.Position(line=len(lines) - 1, character=len(last.encode("utf-16-le")) // 2)
