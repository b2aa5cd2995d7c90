"""The checker's own ground truth beside the oracle's: readkit.check.check_target on each entry
(CheckResult.lines as per-line roles, .annotations verdicts, .missed). Where the two disagree, one of
them is wrong; eval_annotate.py prints where.
"""

from __future__ import annotations

import inspect
import tempfile
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import _eval_core as core
from _eval_core import Entry, SourceMap, Triple, rel

@dataclass
class CheckerView:
    triples: set[Triple]
    verdicts: Counter[str]
    missed: int
    status: str
    refuted: set[Triple] = field(default_factory=set)  # annotations the checker says the line did not do


def run_checker(entry: Entry, maps: dict[str, SourceMap]) -> CheckerView | str:
    try:
        from readkit.check import check_target
    except ImportError as exc:
        return f"readkit.check.check_target unavailable ({exc})"
    parameters = inspect.signature(check_target).parameters
    with tempfile.TemporaryDirectory(prefix="readkit-eval-check-") as scratch:
        # a package must be importable from its cwd; a script runs in a scratch folder (what it writes goes there)
        kwargs: dict[str, Any] = {"cwd": str(core.CORPUS) if entry.module else scratch, "quiet": True}
        kwargs = {key: value for key, value in kwargs.items() if key in parameters}
        try:
            if entry.module:
                result = check_target(None, module=entry.target, **kwargs)
            else:
                result = check_target(entry.target, **kwargs)
        except Exception as exc:  # the checker's failure is reported, not fatal to the evaluation
            return f"check_target raised {type(exc).__name__}: {exc}"
    return checker_view(result, maps)


def checker_view(result: Any, maps: dict[str, SourceMap]) -> CheckerView:
    triples: set[Triple] = set()
    for obs in result.lines:
        name = rel(obs.path)
        if name in maps and maps[name].unit_of(obs.line) not in maps[name].imports:
            triples.update((name, maps[name].unit_of(obs.line), role) for role in obs.roles)
    verdicts = Counter(v.verdict for v in result.annotations if rel(v.path) in maps)
    missed = sum(1 for m in result.missed if rel(m.path) in maps)
    refuted = {(rel(v.path), maps[rel(v.path)].unit_of(v.line), v.role) for v in result.annotations
               if v.verdict == "refuted" and rel(v.path) in maps}
    return CheckerView(triples, verdicts, missed, result.status, refuted)
