"""What a `readkit check` run saw, regrouped per file for the report.

The checker reports paths as the child process saw them; the annotator as the
user gave them. Both are matched by readkit.render.run_index.same_file_key, as
the other annotate renderers match them; this module only regroups per file
(problems and missed uses too) for pages that show one file at a time.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from readkit.results.check import CheckResult, LineObservation, MissedUse, Problem
from readkit.render.run_index import same_file_key


def path_key(path: str) -> str:
    """The key that makes the checker's and the annotator's paths meet (`<string>` stays itself)."""
    return path if path.startswith("<") else same_file_key(path)


@dataclass(frozen=True)
class FileRun:
    """The run's findings on one file."""

    observations: dict[int, LineObservation] = field(default_factory=dict)
    verdicts: dict[tuple[int, str], str] = field(default_factory=dict)  # (line, role) -> verdict
    problems: tuple[Problem, ...] = ()
    missed: tuple[MissedUse, ...] = ()

    def verdict_counts(self) -> Counter[str]:
        return Counter(self.verdicts.values())


@dataclass(frozen=True)
class RunIndex:
    result: CheckResult
    files: dict[str, FileRun]  # path_key -> what the run saw there

    def for_path(self, path: str) -> FileRun | None:
        return self.files.get(path_key(path))

    def paths(self) -> tuple[str, ...]:
        """Every file of the target the run says something about, as the checker named them."""
        return self.result.files_named()


def index_run(result: CheckResult) -> RunIndex:
    observations: dict[str, dict[int, LineObservation]] = {}
    verdicts: dict[str, dict[tuple[int, str], str]] = {}
    problems: dict[str, list[Problem]] = {}
    missed: dict[str, list[MissedUse]] = {}
    for obs in result.lines:
        observations.setdefault(path_key(obs.path), {})[obs.line] = obs
    for verdict in result.annotations:
        verdicts.setdefault(path_key(verdict.path), {})[(verdict.line, verdict.role)] = verdict.verdict
    for problem in result.problems:
        problems.setdefault(path_key(problem.path), []).append(problem)
    for use in result.missed:
        missed.setdefault(path_key(use.path), []).append(use)
    keys = set(observations) | set(verdicts) | set(problems) | set(missed)
    files = {
        key: FileRun(observations.get(key, {}), verdicts.get(key, {}),
                     tuple(problems.get(key, ())), tuple(missed.get(key, ())))
        for key in keys
    }
    return RunIndex(result, files)


def confirmation_rate(run: FileRun | None) -> tuple[int, int] | None:
    """(confirmed, reached) annotations of a file; None when the run reached none of it."""
    if run is None:
        return None
    counts = run.verdict_counts()
    reached = counts["confirmed"] + counts["refuted"]
    return (counts["confirmed"], reached) if reached else None
