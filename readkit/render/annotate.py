"""`readkit annotate` output: the terminal view, and `emit` choosing text / JSON / SARIF.

The terminal view, per file with something to say:

    examples/train.py
        12  opt.step()
              [optim] update parameters from their .grad (torch.optim.SGD; resolved)
        14  print(loss.data[0])
              [legacy data-index-zero] `.data[0]` of a 0-dim tensor -> loss.item()
      = 2 uses: optim 1, autograd 1; legacy: data-index-zero 1

then a total summary. Notebook lines show as `cell N, line M`. Output is written
file by file to the stream (thousands of files never build one big string).
Colour only when asked (`color=True`); otherwise plain text with no ANSI codes.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator
from typing import Any, Protocol, TextIO

from readkit.results.annotate import AnnotateResult, Annotation, FileError, FileResult, LegacyFinding, RuleInfo, Tally
from readkit.render import annotate_json, sarif
from readkit.render.annotated_copy import LINE_END, modern_text
from readkit.render.annotated_files import OutOverwritesSourceError, write_annotated_copies
from readkit.render.run_index import RunIndex
from readkit.render.style import ERROR_COLOR, LEGACY_COLOR, dim, paint, role_tag

__all__ = ["OutOverwritesSourceError", "emit", "emit_files", "file_lines", "to_text", "write_annotated_copies"]

MAX_SOURCE_WIDTH = 100  # longer source lines are cut with "..." in the terminal view
ERROR_HINTS = {
    "python2": "this is Python 2 code; readkit reads Python 3 (convert it with `2to3`, or read it as text)",
    "encoding": "save the file as UTF-8 or declare its encoding (`# -*- coding: latin-1 -*-`)",
    "binary": "not a text file; nothing to annotate",
    "syntax": "readkit reads files that parse as Python 3; check that this is not a template or a fragment",
    "unreadable": "check that the file exists and is readable",
    "unsupported": "readkit cannot read this kind of file yet",
    "too-deep": "generated code? readkit analyzes chains of up to 1,000 subscripts, attributes or calls",
    "crashed": "the parser (libcst) or the analysis died on this file (or ran out of memory); every other "
               "file was analyzed: please report this one",
}


def emit(result: AnnotateResult, *, fmt: str, color: bool, stream: TextIO, run: RunIndex | None = None) -> None:
    """Write `result` to `stream` as `fmt` ("text", "json", "jsonl" or "sarif")."""
    emit_files(result.files, fmt=fmt, color=color, stream=stream, run=run, rules=result.rules)


class Writable(Protocol):
    def write(self, text: str, /) -> int: ...

    def flush(self) -> None: ...


def emit_files(files: Iterable[FileResult], *, fmt: str, color: bool, stream: Writable, run: RunIndex | None = None,
               rules: tuple[RuleInfo, ...] = (), roots: tuple[str, ...] = (),
               root_of: Iterable[int] | None = None) -> Tally:
    """Write files to `stream` as they arrive, then the summary (one per root when there are several:
    `root_of` gives each file's root); return the totals. Only SARIF waits for all files."""
    writer = (TextWriter(color, run, roots) if fmt == "text" else
              annotate_json.JsonLinesWriter(run, roots) if fmt == "jsonl" else annotate_json.JsonWriter(run, roots))
    if fmt == "sarif":
        everything = AnnotateResult(tuple(files), rules)
        chunks: Iterable[str] = [sarif.to_sarif(everything)]
        writer.tallies[0] = Tally.of(everything.files)
    else:
        chunks = writer.document(files, root_of)
    for chunk in chunks:
        stream.write(chunk)
        stream.flush()
    return writer.total()


def to_text(result: AnnotateResult | FileResult, *, color: bool = False, run: RunIndex | None = None) -> str:
    """The terminal view as one string (notebook reprs, tests)."""
    if isinstance(result, FileResult):
        return "".join(file_lines(result, color=color, run=run))
    return "".join(iter_text(result, color=color, run=run))


def iter_text(result: AnnotateResult, *, color: bool, run: RunIndex | None = None) -> Iterator[str]:
    return TextWriter(color, run).document(result.files)


class TextWriter(annotate_json.JsonWriter):
    """The terminal view, file by file as results arrive; the totals it keeps are the JSON writer's."""

    def __init__(self, color: bool, run: RunIndex | None = None, roots: tuple[str, ...] = ()) -> None:
        super().__init__(run, roots)
        self.color = color

    def document(self, files: Iterable[FileResult], root_of: Iterable[int] | None = None) -> Iterator[str]:
        for file, root in annotate_json.with_roots(files, root_of):
            self.tallies[root].add(file)
            if self.run is not None:
                self.verdicts.update(annotate_json.file_verdicts(file, self.run))
            yield from file_lines(file, color=self.color, run=self.run)
        if len(self.roots) > 1:
            for name, tally in zip(self.roots, self.tallies):
                yield from root_summary_line(name, annotate_json.summary_json(tally), color=self.color)
        yield from summary_lines(self.summary(), color=self.color, run=self.run)


# ----------------------------------------------------------------------------
# One file


def file_lines(file: FileResult, *, color: bool, run: RunIndex | None = None) -> Iterator[str]:
    """The view of one file, line by line (nothing for a file with nothing to show)."""
    missed = run.missed_in(file.path) if run is not None else ()
    if not (file.annotations or file.legacy or file.error or missed):
        return
    yield paint(file.path, None, color=color, bold=True) + "\n"
    if file.error is not None:
        yield from error_lines(file.error, file.cells, color=color)
        if not (file.annotations or file.legacy):  # a notebook's broken cell leaves the others analyzed
            return
    by_line: dict[int, list[Annotation | LegacyFinding]] = defaultdict(list)
    items: list[Annotation | LegacyFinding] = [*file.annotations, *file.legacy]
    for item in sorted(items, key=_position):
        by_line[item.line].append(item)
    lines = LINE_END.split(file.source) if file.source is not None else []
    width = max((len(_where(file.cells, line)) for line in by_line), default=1)
    for line, line_items in by_line.items():
        yield _source_row(_where(file.cells, line).rjust(width), lines, line, color)
        yield from _line_details(file.path, line, line_items, " " * (width + 6), run, color)
    yield "  = " + _file_summary(file) + "\n"
    if missed:
        listed = ", ".join(f"{_where(file.cells, m.line)} {m.role}" for m in missed)
        yield "  = " + paint(f"ran but not annotated: {listed}", ERROR_COLOR, color=color) + "\n"


def _line_details(path: str, line: int, items: list[Annotation | LegacyFinding], indent: str,
                  run: RunIndex | None, color: bool) -> Iterator[str]:
    """One row per annotation and finding of a line, then what ran there (with --run)."""
    for item in items:
        yield indent + _item_text(item, path, run, color) + "\n"
    observed = run.observed(path, line) if run is not None else None
    if observed is not None:
        shapes = f": {', '.join(observed.shapes)}" if observed.shapes else ""
        yield indent + dim(f"ran {observed.calls}x{shapes}", color=color) + "\n"


def _position(item: Annotation | LegacyFinding) -> tuple[int, int, int]:
    return (item.line, item.column, isinstance(item, LegacyFinding))


def _where(cells: tuple[tuple[int, int], ...] | None, line: int) -> str:
    if cells is not None and 1 <= line <= len(cells):
        cell, cell_line = cells[line - 1]
        return f"cell {cell}, line {cell_line}"
    return str(line)


def _source_row(where: str, source: list[str], line: int, color: bool) -> str:
    text = source[line - 1].strip() if 1 <= line <= len(source) else ""
    if len(text) > MAX_SOURCE_WIDTH:
        text = text[: MAX_SOURCE_WIDTH - 3] + "..."
    return ("    " + dim(where, color=color) + "  " + text).rstrip() + "\n"


def _item_text(item: Annotation | LegacyFinding, path: str, run: RunIndex | None, color: bool) -> str:
    if isinstance(item, LegacyFinding):
        modern = modern_text(item)
        tail = f" -> {modern}" if modern else ""
        return paint(f"[legacy {item.idiom}]", LEGACY_COLOR, color=color, bold=True) + f" {item.message}{tail}"
    where = f"{item.symbol}; {item.evidence}" if item.symbol else item.evidence
    verdict = run.verdict(path, item.line, item.role) if run is not None else None
    return role_tag(item.role, color=color) + f" {item.message} ({where})" + (f" {{{verdict}}}" if verdict else "")


def _file_summary(file: FileResult) -> str:
    uses = annotate_json.ordered_roles(file.role_counts())
    text = f"{len(file.annotations)} uses" + (": " + _counts(uses) if uses else "")
    idioms = Counter(f.idiom for f in file.legacy)
    return text + ("; legacy: " + _counts(dict(sorted(idioms.items()))) if idioms else "")


def _counts(counts: dict[str, int]) -> str:
    return ", ".join(f"{name} {count}" for name, count in counts.items())


def error_lines(error: FileError, cells: tuple[tuple[int, int], ...] | None, *, color: bool) -> Iterator[str]:
    where = ""
    if error.line is not None:
        where = " at " + (f"line {_where(cells, error.line)}" if cells is None else _where(cells, error.line))
        where += f", column {error.column}" if error.column is not None else ""
    yield "  " + paint(f"error ({error.kind})", ERROR_COLOR, color=color, bold=True) + f"{where}: {error.message}\n"
    hint = ERROR_HINTS.get(error.kind)
    if hint and not _says_already(error.message, hint):
        yield "  " + dim("hint: " + hint, color=color) + "\n"


def _says_already(message: str, hint: str) -> bool:
    """Whether the annotator's message already gives the hint's advice (its first `command`)."""
    quoted = hint.split("`")
    return len(quoted) > 2 and quoted[1] in message


# ----------------------------------------------------------------------------
# The total


def _see_it_run(found: dict[str, int]) -> Iterator[str]:
    """Reading and running are one loop: the reference step that demonstrates each role found."""
    from readkit.roles import ROLES

    for name in found:
        step = ROLES[name].reference_step if name in ROLES else None
        if step:
            yield f"  see {name:<9} readkit run-reference --step {step}\n"


def root_summary_line(root: str, summary: dict[str, Any], *, color: bool) -> Iterator[str]:
    roles = ", ".join(f"{name} {n}" for name, n in summary["roles"].items())
    failed = f", {summary['failed']} failed" if summary["failed"] else ""
    yield (paint(root, None, color=color, bold=True) + f": {summary['files']} files{failed}; "
           f"{summary['annotations']} uses ({roles or 'none'}); {summary['legacy']} legacy\n")


def summary_lines(summary: dict[str, Any], *, color: bool, run: RunIndex | None = None) -> Iterator[str]:
    failed = paint(f"{summary['failed']} failed", ERROR_COLOR, color=color) if summary["failed"] else "0 failed"
    yield paint("Summary", None, color=color, bold=True)
    yield f": {summary['files']} files, {summary['analyzed']} analyzed, {failed}\n"
    roles = "  ".join(role_tag(name, color=color) + f" {n}" for name, n in summary["roles"].items())
    yield f"  roles     {roles or 'none'}\n"
    yield f"  evidence  {_counts(summary['evidence']) or 'none'}\n"
    yield f"  legacy    {_counts(summary['idioms']) or 'none'}\n"
    if summary["suppressed"]:
        counts = dict(sorted(Counter(item["id"] for item in summary["suppressed"]).items()))
        yield f"  suppressed {len(summary['suppressed'])} by `# readkit: ignore` ({_counts(counts)})\n"
    yield from _see_it_run(summary["roles"])
    if run is not None:
        check = run.check
        yield f"  run       {check.target}: {check.status} (exit {check.exit_code}, {check.seconds:.1f} s)\n"
        if check.failure is not None:
            where = f" at {check.failure.path}:{check.failure.line}" if check.failure.path else ""
            yield "            " + paint(f"{check.failure.kind}: {check.failure.message}{where}", ERROR_COLOR,
                                          color=color) + "\n"
        yield f"  verdicts  {_counts(summary['verdicts']) or 'none'}\n"
