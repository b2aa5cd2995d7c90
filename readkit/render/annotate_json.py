"""`readkit annotate --format json`: the stable JSON shape documented in docs/annotate-json.md.

Written file by file as results arrive (one file object per line): a run over
thousands of files keeps running totals, never the files. With several roots
(`readkit annotate a/ b/`), `"roots"` gives each root's summary.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Iterator
from typing import Any

from readkit.version import __version__
from readkit.results.annotate import AnnotateResult, Annotation, FileError, FileResult, LegacyFinding, Tally
from readkit.results.check import LineObservation
from readkit.render.run_index import RunIndex
from readkit.roles import role_names

JsonObject = dict[str, Any]


def to_json(result: AnnotateResult, run: RunIndex | None = None) -> str:
    """The whole JSON document as one string (tests, small results)."""
    return "".join(iter_json(result, run))


def iter_json(result: AnnotateResult, run: RunIndex | None = None) -> Iterator[str]:
    """The JSON document in chunks: header, one chunk per file, summary."""
    return JsonWriter(run).document(result.files)


class JsonWriter:
    """The document written as files arrive: only running totals are kept, never the files."""

    def __init__(self, run: RunIndex | None = None, roots: tuple[str, ...] = ()) -> None:
        self.run, self.roots = run, roots
        self.tallies = [Tally() for _ in roots] or [Tally()]
        self.verdicts: Counter[str] = Counter()

    def document(self, files: Iterable[FileResult], root_of: Iterable[int] | None = None) -> Iterator[str]:
        yield '{"readkit_version": ' + json.dumps(__version__)
        if self.run is not None:
            yield ', "run": ' + json.dumps(run_json(self.run))
        yield ', "files": ['
        for index, (file, root) in enumerate(with_roots(files, root_of)):
            self.tallies[root].add(file)
            if self.run is not None:
                self.verdicts.update(file_verdicts(file, self.run))
            yield ("\n  " if index == 0 else ",\n  ") + json.dumps(file_json(file, self.run))
        yield '\n], "summary": ' + json.dumps(self.summary())
        if len(self.roots) > 1:
            yield ', "roots": ' + json.dumps(self.root_summaries())
        yield "}\n"

    def root_summaries(self) -> list[JsonObject]:
        return [{"path": root, "summary": summary_json(tally)} for root, tally in zip(self.roots, self.tallies)]

    def total(self) -> Tally:
        total = Tally()
        for tally in self.tallies:
            merge(total, tally)
        return total

    def summary(self) -> JsonObject:
        return summary_json(self.total(), self.verdicts if self.run is not None else None)


class JsonLinesWriter(JsonWriter):
    """`--format jsonl`: one JSON object per line, for consumers that read as the run goes:
    `{"readkit_version": ...}` (and `"run"` with --run), then `{"file": FILE}` per file, then
    `{"summary": ...}` (and `"roots"` with several PATHS): the objects of `--format json`."""

    def document(self, files: Iterable[FileResult], root_of: Iterable[int] | None = None) -> Iterator[str]:
        header: JsonObject = {"readkit_version": __version__}
        if self.run is not None:
            header["run"] = run_json(self.run)
        yield json.dumps(header) + "\n"
        for file, root in with_roots(files, root_of):
            self.tallies[root].add(file)
            if self.run is not None:
                self.verdicts.update(file_verdicts(file, self.run))
            yield json.dumps({"file": file_json(file, self.run)}) + "\n"
        last: JsonObject = {"summary": self.summary()}
        if len(self.roots) > 1:
            last["roots"] = self.root_summaries()
        yield json.dumps(last) + "\n"


def with_roots(files: Iterable[FileResult], root_of: Iterable[int] | None) -> Iterator[tuple[FileResult, int]]:
    """Each file with the index of its root (0 when no roots were given)."""
    roots = iter(root_of if root_of is not None else ())
    for file in files:
        yield file, next(roots, 0)


def merge(total: Tally, part: Tally) -> None:
    total.files += part.files
    total.failed += part.failed
    total.annotations += part.annotations
    total.legacy += part.legacy
    total.roles.update(part.roles)
    total.evidence.update(part.evidence)
    total.idioms.update(part.idioms)
    total.suppressed.extend(part.suppressed)


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


def summary_json(tally: Tally, verdicts: Counter[str] | None = None) -> JsonObject:
    out: JsonObject = {
        "files": tally.files,
        "analyzed": tally.files - tally.failed,
        "failed": tally.failed,
        "annotations": tally.annotations,
        "legacy": tally.legacy,
        "roles": ordered_roles(tally.roles),
        "evidence": dict(sorted(tally.evidence.items())),
        "idioms": dict(sorted(tally.idioms.items())),
    }
    if verdicts is not None:
        out["verdicts"] = dict(sorted(verdicts.items()))
    out["suppressed"] = [{"path": path, "line": item.line, "id": item.id} for path, item in tally.suppressed]
    return out


def ordered_roles(counts: Counter[str]) -> dict[str, int]:
    """Role counts in the role table's order (core roles first), then any unknown ones."""
    known = [name for name in role_names() if counts.get(name)]
    return {name: counts[name] for name in known + sorted(set(counts) - set(known))}


def file_verdicts(file: FileResult, run: RunIndex) -> Counter[str]:
    return Counter(run.verdict(file.path, a.line, a.role) or "not-judged" for a in file.annotations)
