"""What a run saw, as facts for the annotator and the migrator: per file and line, the
observation of that line, and on the line the run stopped on, the exception it raised there.

`return output.data[0]` that stopped the run with "invalid index of a 0-dim tensor" is a
fact about that line even when nothing was produced on it: the annotator's rules read it
through `LineObservation.raised`.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from readkit.results.check import CheckResult, LineObservation

LineFacts = dict[Path, dict[int, LineObservation]]  # resolved path -> line -> what the run saw there


def line_facts(result: CheckResult) -> LineFacts:
    """Every observed line by resolved path, with the stopping exception on its line."""
    found: LineFacts = {}
    for seen in result.lines:
        found.setdefault(Path(seen.path).resolve(), {})[seen.line] = seen
    failure = result.failure
    if failure is not None and failure.kind == "exception" and failure.path and failure.line:
        lines = found.setdefault(Path(failure.path).resolve(), {})
        seen = lines.get(failure.line) or LineObservation(failure.path, failure.line, (), 0)
        lines[failure.line] = replace(seen, raised=failure.message)
    return found
