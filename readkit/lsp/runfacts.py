"""What a `readkit check --format json` run saw, indexed by file and line, for the editor.

The server finds the results file by an explicit path (`readkit lsp --check-results
PATH`, or the client's initializationOptions `{"checkResults": PATH}`), else as
`.readkit/check.json` in the document's folder or the nearest folder above it.
A file that is missing or not a check result is no facts, never an error: the
editor works without a run.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

RESULTS_FILE = Path(".readkit") / "check.json"


@dataclass(frozen=True)
class LineFacts:
    """One line as the run saw it."""

    calls: int = 0
    shapes: tuple[str, ...] = ()
    verdicts: tuple[tuple[str, str], ...] = ()  # (role, verdict)


@dataclass(frozen=True)
class Problem:
    check: str
    line: int
    message: str


@dataclass(frozen=True)
class RunFacts:
    """The facts of one run about one file."""

    source: Path  # the results file
    modified: float  # its mtime (seconds since the epoch)
    target: str
    lines: dict[int, LineFacts] = field(default_factory=dict)
    problems: tuple[Problem, ...] = ()

    def stale_for(self, path: Path) -> bool:
        """The file was changed on disk after the run."""
        try:
            return path.stat().st_mtime > self.modified
        except OSError:
            return False


def find_results(document: Path, explicit: Path | None) -> Path | None:
    """The results file that speaks for `document` (see the module docstring)."""
    if explicit is not None:
        return explicit if explicit.is_file() else None
    for folder in [document.parent, *document.parent.parents]:
        candidate = folder / RESULTS_FILE
        if candidate.is_file():
            return candidate
    return None


def facts_for(results: Path, document: Path) -> RunFacts | None:
    """What the run in `results` saw of `document`, or None (no such run, or not a check result)."""
    try:
        data = json.loads(results.read_text(encoding="utf-8"))
        modified = results.stat().st_mtime
    except (OSError, UnicodeDecodeError, json.JSONDecodeError):
        return None
    if not isinstance(data, dict) or not isinstance(data.get("lines"), list):
        return None
    wanted = _key(str(document))
    mine = [e for e in _entries(data, "lines", "annotations") if _key(str(e.get("path", ""))) == wanted]
    problems = tuple(Problem(str(p.get("check", "")), int(p["line"]), str(p.get("message", "")))
                     for p in _entries(data, "problems") if _key(str(p.get("path", ""))) == wanted
                     and isinstance(p.get("line"), int))
    return RunFacts(results, modified, str(data.get("target", "")), _lines(mine), problems)


def _entries(data: dict[str, Any], *keys: str) -> list[dict[str, Any]]:
    return [entry for key in keys for entry in data.get(key) or [] if isinstance(entry, dict)]


def _lines(entries: list[dict[str, Any]]) -> dict[int, LineFacts]:
    found: dict[int, LineFacts] = {}
    for entry in entries:
        line = entry.get("line")
        if not isinstance(line, int):
            continue
        now = found.get(line, LineFacts())
        if "verdict" in entry:
            now = LineFacts(now.calls, now.shapes, (*now.verdicts, (str(entry["role"]), str(entry["verdict"]))))
        else:
            now = LineFacts(int(entry.get("calls", 0)), tuple(entry.get("shapes", ())), now.verdicts)
        found[line] = now
    return found


def _key(path: str) -> str:
    return os.path.normcase(os.path.realpath(path)) if path else ""
