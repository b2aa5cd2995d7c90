"""Line numbers between a user's file and its migrated copy, through the diff of the two.

The user never sees the migrated copy of an unwritten migration, so whatever a run
of it reports (a failure's line, what was observed where) is told on the user's own
lines: `TypeError at main.py:48` names line 48 of the file the user gave, and the
text the migration put there is shown beside it.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping, Sequence
from dataclasses import replace
from pathlib import Path

from readkit.results.migrate import RunOutcome


def original_text(path: Path, encoding: str) -> str:
    return path.read_bytes().decode(encoding, errors="replace")


def exact_original_lines(before: str, after: str) -> dict[int, int]:
    """{migrated line: original line} for the lines the migration kept or rewrote one for one."""
    mapping: dict[int, int] = {}
    for tag, i1, i2, j1, j2 in _opcodes(before, after):
        if tag == "equal" or (tag == "replace" and i2 - i1 == j2 - j1):
            mapping.update({j + 1: i + 1 for i, j in zip(range(i1, i2), range(j1, j2))})
    return mapping


def original_line(before: str, after: str, line: int) -> int:
    """The user's line a migrated line stands for: its counterpart; in a block rewritten into
    fewer or more lines, the most similar line of the block it replaced; for a line the
    migration added, the original line it was added after."""
    old, new = before.splitlines(), after.splitlines()
    for tag, i1, i2, j1, j2 in _opcodes(before, after):
        if not j1 < line <= j2:
            continue
        if tag == "equal" or (tag == "replace" and i2 - i1 == j2 - j1):
            return i1 + (line - 1 - j1) + 1
        if tag == "replace":
            text = new[line - 1].strip()
            return 1 + max(range(i1, i2), key=lambda i: (_similarity(old[i].strip(), text), -i))
        return max(i1, 1)
    return line


def _similarity(a: str, b: str) -> float:
    return difflib.SequenceMatcher(None, a, b, autojunk=False).ratio()


def on_original_lines(run: RunOutcome, texts: Mapping[Path, tuple[str, str]]) -> RunOutcome:
    """A run of the migrated copy whose failure lies in a migrated file, told on the user's line,
    with the migrated line's text (`failure_source`)."""
    failure = run.failure
    if failure is None or failure.path is None or failure.line is None:
        return run
    path = Path(failure.path).resolve()
    if path not in texts:
        return run
    after, encoding = texts[path]
    migrated_lines = after.splitlines()
    source = migrated_lines[failure.line - 1].strip() if 0 < failure.line <= len(migrated_lines) else ""
    line = original_line(original_text(path, encoding), after, failure.line)
    return replace(run, failure=replace(failure, line=line), failure_source=source)


def _opcodes(before: str, after: str) -> Sequence[tuple[str, int, int, int, int]]:
    # line by line, like the unified diff the user reads (no autojunk: a long file's repeated lines still match)
    matcher = difflib.SequenceMatcher(None, before.splitlines(), after.splitlines(), autojunk=False)
    return matcher.get_opcodes()
