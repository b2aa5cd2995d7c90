"""`readkit annotate --format json`: the stable JSON shape documented in docs/annotate-json.md.

Written file by file (one file object per line) so thousands of files never
become one giant string in memory.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator
from typing import Any

from readkit.version import __version__
from readkit.results.annotate import AnnotateResult, Annotation, FileError, FileResult, LegacyFinding
from readkit.results.check import LineObservation
from readkit.render.run_index import RunIndex
from readkit.roles import role_names

JsonObject = dict[str, Any]


def to_json(result: AnnotateResult, run: RunIndex | None = None) -> str:
    """The whole JSON document as one string (tests, small results)."""
    return "".join(iter_json(result, run))


def iter_json(result: AnnotateResult, run: RunIndex | None = None) -> Iterator[str]:
    """The JSON document in chunks: header, one chunk per file, summary."""
    yield '{"readkit_version": ' + json.dumps(__version__)
    if run is not None:
        yield ', "run": ' + json.dumps(run_json(run))
    yield ', "files": ['
    for index, file in enumerate(result.files):
        yield ("\n  " if index == 0 else ",\n  ") + json.dumps(file_json(file, run))
    yield '\n], "summary": ' + json.dumps(summary_json(result, run)) + "}\n"


def file_json(file: FileResult, run: RunIndex | None = None) -> JsonObject:
    out: JsonObject = {
        "path": file.path,
        "annotations": [_with_cell(annotation_json(a, file.path, run), file, a.line) for a in file.annotations],
        "legacy": [_with_cell(legacy_json(f), file, f.line) for f in file.legacy],
        "error": error_json(file.error),
    }
    if run is not None:
        out["observed"] = [_with_cell(observed_json(o), file, o.line) for o in run.observed_in(file.path)]
        out["missed"] = [_with_cell({"line": m.line, "role": m.role}, file, m.line) for m in run.missed_in(file.path)]
    return out


def annotation_json(a: Annotation, path: str = "", run: RunIndex | None = None) -> JsonObject:
    out: JsonObject = {
        "line": a.line, "column": a.column, "end_line": a.end_line, "end_column": a.end_column,
        "role": a.role, "evidence": a.evidence, "symbol": a.symbol, "rule": a.rule, "message": a.message,
    }
    if run is not None:
        out["verdict"] = run.verdict(path, a.line, a.role)
    return out


def legacy_json(f: LegacyFinding) -> JsonObject:
    return {"line": f.line, "column": f.column, "idiom": f.idiom, "message": f.message,
            "replacement": f.replacement, "modern": f.modern}


def error_json(error: FileError | None) -> JsonObject | None:
    if error is None:
        return None
    return {"kind": error.kind, "message": error.message, "line": error.line, "column": error.column}


def observed_json(o: LineObservation) -> JsonObject:
    return {"line": o.line, "roles": list(o.roles), "calls": o.calls, "shapes": list(o.shapes)}


def run_json(run: RunIndex) -> JsonObject:
    check, failure = run.check, run.check.failure
    return {"target": check.target, "status": check.status, "exit_code": check.exit_code,
            "seconds": check.seconds,
            "failure": None if failure is None else {"kind": failure.kind, "message": failure.message,
                                                     "path": failure.path, "line": failure.line}}


def _with_cell(item: JsonObject, file: FileResult, line: int) -> JsonObject:
    """Notebooks: add `"cell": N, "cell_line": M` (the cell a reader sees, 1-based; as `readkit check` does)."""
    if file.cells is not None and 1 <= line <= len(file.cells):
        number, cell_line = file.cells[line - 1]
        item["cell"], item["cell_line"] = number, cell_line
    return item


def summary_json(result: AnnotateResult, run: RunIndex | None = None) -> JsonObject:
    failed = len(result.failed_files)
    evidence: Counter[str] = Counter(a.evidence for f in result.files for a in f.annotations)
    out: JsonObject = {
        "files": len(result.files),
        "analyzed": len(result.files) - failed,
        "failed": failed,
        "annotations": sum(len(f.annotations) for f in result.files),
        "legacy": sum(len(f.legacy) for f in result.files),
        "roles": ordered_roles(result.role_counts()),
        "evidence": dict(sorted(evidence.items())),
        "idioms": dict(sorted(result.idiom_counts().items())),
    }
    if run is not None:
        out["verdicts"] = dict(sorted(verdict_counts(result, run).items()))
    out["suppressed"] = [{"path": f.path, "line": item.line, "id": item.id} for f in result.files for item in f.suppressed]
    return out


def ordered_roles(counts: Counter[str]) -> dict[str, int]:
    """Role counts in the role table's order (core roles first), then any unknown ones."""
    known = [name for name in role_names() if counts.get(name)]
    return {name: counts[name] for name in known + sorted(set(counts) - set(known))}


def verdict_counts(result: AnnotateResult, run: RunIndex) -> Counter[str]:
    counts: Counter[str] = Counter()
    for file in result.files:
        for a in file.annotations:
            counts[run.verdict(file.path, a.line, a.role) or "not-judged"] += 1
    return counts
