"""`readkit migrate` output.

    --- a/train.py                      the unified diff of every changed file
    +++ b/train.py                      (left out when the files were written)
    @@ -40,1 +40,1 @@
    ...
    train.py:57: left unchanged [implicit-softmax-dim]: softmax's dim depends on ...
    train.py:60: changed despite `# readkit: ignore` [async-argument]: `async` is a keyword ...
    lib/old.py: error: python2: ... hint
    verify: train.py --epochs 1
      original: IndexError at train.py:55
      migrated: ok (40 losses)
      fixed: was: IndexError at train.py:55; now runs, 3 losses of the original agree
    2 files to change (9 changes), 1 note, 1 error; nothing written

Colour only when asked (`color=True`); otherwise plain text, no ANSI codes.
"""

from __future__ import annotations

import json
import math
from collections import Counter
from dataclasses import asdict
from typing import Any

from readkit.notebook import describe_location
from readkit.results.migrate import FileMigration, MigrationResult, RunOutcome, Verification, describe_run, display_path
from readkit.render.style import ERROR_COLOR, dim, paint

_VERDICT_COLORS = {"regression": "red", "still-fails": "yellow", "fixed": "green", "agrees": "green"}


def to_text(result: MigrationResult, *, color: bool = False) -> str:
    """The whole report as one string, ending in a newline."""
    return "".join(text for text, _ in _parts(result, color=color))


def to_bytes(result: MigrationResult, *, color: bool = False) -> bytes:
    """The report as bytes for stdout: UTF-8, except each diff's lines, which are in their file's
    own encoding (a latin-1 file's diff applies with `git apply` only so)."""
    return b"".join(_diff_bytes(text, encoding) if encoding else text.encode("utf-8", "surrogateescape")
                    for text, encoding in _parts(result, color=color))


def _parts(result: MigrationResult, *, color: bool) -> list[tuple[str, str | None]]:
    """(text, the encoding of a diff, or None) in the order shown."""
    parts: list[tuple[str, str | None]] = []
    written = any(f.written for f in result.files)
    if not written:
        parts.extend((_diff(f.diff, color=color), f.encoding) for f in result.changed_files)
    parts.extend((_file_lines(f, result.writes, color=color), None) for f in result.files)
    parts.extend((f"removed {path}: a temporary file left by a readkit run that was killed while writing\n", None)
                 for path in result.stale_temps_removed)
    if result.observed_run is not None:
        parts.append((f"observed run (--run): {describe_run(result.observed_run)}\n", None))
    if result.observed_rerun is not None:
        parts.append((f"observed run of the partly migrated code: {describe_run(result.observed_rerun)}\n", None))
    if result.verification is not None:
        parts.append((_verification(result.verification, color=color), None))
    parts.append((_summary(result, color=color), None))
    return [(text, encoding) for text, encoding in parts if text]


def _diff_bytes(diff: str, encoding: str) -> bytes:
    """The `---`/`+++` header lines name paths (UTF-8, as the file system gives them); the rest is the file's text."""
    lines = diff.split("\n")
    out = []
    for number, line in enumerate(lines):
        end = "\n" if number < len(lines) - 1 else ""
        header = number < 2
        out.append((line + end).encode("utf-8" if header else encoding, "surrogateescape" if header else "replace"))
    return b"".join(out)


def to_json(result: MigrationResult) -> str:
    """The result as JSON (the dataclasses' fields, plus exit_code); a NaN loss becomes "nan"."""
    data: dict[str, Any] = asdict(result)
    data["exit_code"] = result.exit_code
    for file in data["files"]:
        _locate_in_cells(file)
    return json.dumps(_finite(data), indent=2)


def _locate_in_cells(file: dict[str, Any]) -> None:
    """Notebooks: each change and note gets `cell` and `cell_line` (the mapping itself is not output)."""
    cells = file.pop("cells", None)
    if cells is None:
        return
    for entry in [*file["changes"], *file["notes"], *file["overridden"]]:
        if 1 <= entry["line"] <= len(cells):
            entry["cell"], entry["cell_line"] = cells[entry["line"] - 1]


def _finite(value: Any) -> Any:
    """Strict JSON has no NaN or infinity: spell them as strings."""
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    if isinstance(value, dict):
        return {key: _finite(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_finite(item) for item in value]
    return value


def _diff(diff: str, *, color: bool) -> str:
    if not color:
        return diff
    return "".join(_diff_line(line) + "\n" for line in diff.split("\n")[:-1])  # lines end at \n only, as in git


def _diff_line(line: str) -> str:
    if line.startswith(("+++", "---")):
        return paint(line, None, color=True, bold=True)
    if line.startswith("@@"):
        return paint(line, "cyan", color=True)
    if line.startswith("+"):
        return paint(line, "green", color=True)
    if line.startswith("-"):
        return paint(line, "red", color=True)
    return line


def _file_lines(migration: FileMigration, writes: bool, *, color: bool) -> str:
    shown = display_path(migration.path)
    lines = []
    if migration.error is not None:
        lines.append(paint(f"{shown}: error: {migration.error.kind}: {migration.error.message}", ERROR_COLOR,
                           color=color))
    for note in migration.notes:
        lines.append(f"{shown}{_where(migration, note.line)}: left unchanged [{note.idiom}]: {note.note}")
    for note in migration.overridden:
        lines.append(f"{shown}{_where(migration, note.line)}: changed despite `# readkit: ignore` [{note.idiom}]: "
                     f"{note.note}")
    if migration.written:
        where = "in place" if migration.written == migration.path else f"to {display_path(migration.written)}"
        kept = f"; {migration.write_note}" if migration.write_note else ""
        lines.append(dim(f"{shown}: written {where} ({_count(len(migration.changes), 'change')}){kept}", color=color))
    elif writes and migration.error is None:
        lines.append(dim(f"{shown}: unchanged", color=color))
    return "".join(line + "\n" for line in lines)


def _where(migration: FileMigration, line: int) -> str:
    return f" ({describe_location(migration.cells, line)})" if migration.cells is not None else f":{line}"


def _verification(check: Verification, *, color: bool) -> str:
    command = " ".join([check.script, *check.args])
    lines = [f"verify: {command}", f"  original: {describe_run(check.original)}"]
    lines.append(f"  migrated: {describe_run(check.migrated)}" if check.migrated else "  migrated: not rerun")
    lines.append("  " + paint(f"{check.verdict}: {check.message}", _VERDICT_COLORS[check.verdict], color=color,
                              bold=True))
    failed = check.migrated if check.migrated is not None and not check.migrated.ok else None
    if check.regression and failed is not None and failed.output:
        lines.append("  the migrated script's output (line numbers of the migrated files):")
        lines.append(_indented_tail(failed))
    return "".join(line + "\n" for line in lines)


def _indented_tail(run: RunOutcome, count: int = 12) -> str:
    tail = run.output.rstrip("\n").splitlines()[-count:]
    return "\n".join("    | " + line for line in tail)


def _summary(result: MigrationResult, *, color: bool) -> str:
    changed = result.changed_files
    changes = sum(len(f.changes) for f in changed)
    notes = sum(len(f.notes) for f in result.files)
    errors = len(result.failed_files)
    counts = [f"{_count(len(changed), 'file')} to change ({_count(changes, 'change')})" if changed
              else "nothing to change", _count(notes, "note"), _count(errors, "error")]
    if result.suppressed:
        ids = Counter(item.id for _, item in result.suppressed)
        counts.append(f"{len(result.suppressed)} suppressed (" + ", ".join(f"{k} {n}" for k, n in sorted(ids.items())) + ")")
    overridden = sum(len(f.overridden) for f in result.files)
    if overridden:
        ids = Counter(note.idiom for f in result.files for note in f.overridden)
        counts.append(f"{overridden} suppression{'s' if overridden > 1 else ''} overridden ("
                      + ", ".join(f"{k} {n}" for k, n in sorted(ids.items())) + ")")
    text = ", ".join(counts) + "; " + _written_state(result)
    return paint(text, ERROR_COLOR if result.exit_code == 2 else None, color=color, bold=True) + "\n"


def _written_state(result: MigrationResult) -> str:
    if result.write_refused:
        return "NOT written: the migration regressed (see verify)"
    written = [f for f in result.files if f.written]
    return f"wrote {_count(len(written), 'file')}" if written else "nothing written"


def _count(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


