"""What a `readkit check` run saw, indexed for the annotate renderers (`annotate --run`).

The checker reports observations and verdicts by (path, line[, role]); the
annotator reports files by the path it was given. Both are compared by their
real path, so `./train.py` and `/abs/train.py` meet.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from functools import lru_cache

from readkit.results.check import CheckResult, LineObservation, MissedUse


@lru_cache(maxsize=4096)
def same_file_key(path: str) -> str:
    """The key two spellings of one file share."""
    return os.path.realpath(path)


@dataclass(frozen=True)
class RunIndex:
    check: CheckResult
    _lines: dict[tuple[str, int], LineObservation] = field(default_factory=dict, repr=False)
    _verdicts: dict[tuple[str, int, str], str] = field(default_factory=dict, repr=False)
    _by_file: dict[str, tuple[LineObservation, ...]] = field(default_factory=dict, repr=False)
    _missed: dict[str, tuple[MissedUse, ...]] = field(default_factory=dict, repr=False)

    @classmethod
    def from_check(cls, check: CheckResult) -> RunIndex:
        lines = {(same_file_key(o.path), o.line): o for o in check.lines}
        verdicts = {(same_file_key(v.path), v.line, v.role): v.verdict for v in check.annotations}
        by_file: dict[str, list[LineObservation]] = {}
        for (key, _), observation in sorted(lines.items()):
            by_file.setdefault(key, []).append(observation)
        for key, _, _ in verdicts:
            by_file.setdefault(key, [])
        missed: dict[str, list[MissedUse]] = {}
        for use in sorted(check.missed, key=lambda m: (m.line, m.role)):
            missed.setdefault(same_file_key(use.path), []).append(use)
        return cls(check, lines, verdicts, {key: tuple(obs) for key, obs in by_file.items()},
                   {key: tuple(uses) for key, uses in missed.items()})

    def observed(self, path: str, line: int) -> LineObservation | None:
        """What ran on this line, or None when it did not run (or was not watched)."""
        return self._lines.get((same_file_key(path), line))

    def verdict(self, path: str, line: int, role: str) -> str | None:
        """confirmed / refuted / not-reached, or None when the run did not judge this annotation."""
        return self._verdicts.get((same_file_key(path), line, role))

    def covers(self, path: str) -> bool:
        """Whether the run judged any annotation of this file."""
        return same_file_key(path) in self._by_file

    def observed_in(self, path: str) -> tuple[LineObservation, ...]:
        """Every line of this file that ran torch, in line order."""
        return self._by_file.get(same_file_key(path), ())

    def missed_in(self, path: str) -> tuple[MissedUse, ...]:
        """Roles that ran on lines of this file where nothing was annotated with them, in line order."""
        return self._missed.get(same_file_key(path), ())
