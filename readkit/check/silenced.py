"""Workflow problems silenced by `# readkit: ignore[check-id]` on their line (readkit/suppressions.py).

Read in the parent, after the run, from the target's own source files: the child never
sees the comments, so the program runs exactly as it would without them.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path

from readkit.results.check import Problem
from readkit.suppressions import NONE, Suppressions, read_suppressions


def split_silenced(problems: Sequence[Problem]) -> tuple[tuple[Problem, ...], tuple[Problem, ...]]:
    """(problems still reported, problems a suppression comment silenced)."""
    kept: list[Problem] = []
    silenced: list[Problem] = []
    for problem in problems:
        (silenced if _suppressions(problem.path).covers(problem.line, problem.check) else kept).append(problem)
    return tuple(kept), tuple(silenced)


@lru_cache(maxsize=256)
def _suppressions(path: str) -> Suppressions:
    if not path.endswith(".py"):
        return NONE  # a notebook's lines are its program's: its comments are not read here
    try:
        return read_suppressions(Path(path).read_text(encoding="utf-8", errors="replace"))
    except OSError:
        return NONE
