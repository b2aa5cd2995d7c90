"""Static annotations vs what ran: confirmed, refuted, not reached; and uses nobody annotated.

For the target's own files (the script or notebook, and modules of its project
that it imported and ran), the annotator's claims are compared line by line
with the roles the child observed there:

- `confirmed`: a line of the annotation's span ran and that role ran there; or
  the annotation names a torch object that no call can show (a class used as a
  base or in isinstance, a dtype, a module) and the line ran;
- `refuted`: the line ran and that role did not;
- `not-reached`: no line of the span ran.

`missed`: a role observed on a line where no annotation of that role sits.
"""

from __future__ import annotations

import dataclasses
from collections import defaultdict
from functools import lru_cache
from pathlib import Path
from typing import Any, Iterable

from readkit.check.model import AnnotationVerdict, CheckResult, MissedUse
from readkit.check.target import Target


def reconcile_result(result: CheckResult, target: Target) -> CheckResult:
    files = _files_to_annotate(result, target)
    try:
        from readkit.annotate import annotate_paths
    except ImportError:
        return _with_note(result, "annotations not reconciled: the annotator is not available")
    annotated = annotate_paths([Path(f) for f in files])
    observed = _observed_roles(result)
    covered = _covered(result)
    verdicts: list[AnnotationVerdict] = []
    missed: list[MissedUse] = []
    for file_result in annotated.files:
        path = _match(file_result.path, files)
        annotations = list(file_result.annotations)
        verdicts += [verdict(path, a, observed[path], covered[path]) for a in annotations]
        missed += find_missed(path, annotations, observed[path])
    return dataclasses.replace(result, annotations=tuple(verdicts), missed=tuple(missed))


def _files_to_annotate(result: CheckResult, target: Target) -> list[str]:
    files = [target.name] if target.kind != "module" else []
    covered = result.extra.get("covered", {})
    assert isinstance(covered, dict)
    files += sorted(p for p in covered if p not in files and p.endswith(".py") and Path(p).is_file())
    return files


def _match(path: str, files: list[str]) -> str:
    resolved = str(Path(path).resolve())
    return next((f for f in files if str(Path(f).resolve()) == resolved), path)


def _observed_roles(result: CheckResult) -> defaultdict[str, dict[int, set[str]]]:
    observed: defaultdict[str, dict[int, set[str]]] = defaultdict(dict)
    for line in result.lines:
        observed[line.path].setdefault(line.line, set()).update(line.roles)
    return observed


def _covered(result: CheckResult) -> defaultdict[str, set[int]]:
    covered: defaultdict[str, set[int]] = defaultdict(set)
    raw = result.extra.get("covered", {})
    assert isinstance(raw, dict)
    for path, numbers in raw.items():
        covered[path].update(numbers)
    for line in result.lines:
        covered[line.path].add(line.line)
    return covered


def _span(annotation: Any) -> range:
    return range(annotation.line, max(annotation.line, annotation.end_line) + 1)


def verdict(path: str, annotation: Any, observed: dict[int, set[str]], covered: set[int]) -> AnnotationVerdict:
    span = _span(annotation)
    ran = any(n in covered for n in span)
    roles: set[str] = set().union(*(observed.get(n, set()) for n in span))
    if not ran:
        kind = "not-reached"
    elif annotation.role in roles or is_reference_only(annotation.symbol):
        kind = "confirmed"
    else:
        kind = "refuted"
    return AnnotationVerdict(path, annotation.line, annotation.role, annotation.evidence, kind)


def find_missed(path: str, annotations: Iterable[Any], observed: dict[int, set[str]]) -> list[MissedUse]:
    claimed: defaultdict[int, set[str]] = defaultdict(set)
    for annotation in annotations:
        for number in _span(annotation):
            claimed[number].add(annotation.role)
    return [MissedUse(path, number, role) for number, roles in sorted(observed.items())
            for role in sorted(roles - claimed[number])]


@lru_cache(maxsize=4096)
def is_reference_only(symbol: str | None) -> bool:
    """True for torch objects whose use no call can show: classes, modules, dtypes, constants."""
    if not symbol or not symbol.startswith("torch"):
        return False
    import torch  # readkit's own lookup of a torch name; no target code runs here

    value: Any = torch
    for part in symbol.split(".")[1:]:
        try:
            value = getattr(value, part)
        except AttributeError:
            return False
    if isinstance(value, type) or type(value).__name__ == "module":
        return True
    descriptor = type(value).__name__ in ("getset_descriptor", "property", "member_descriptor")
    return not callable(value) and not descriptor


def _with_note(result: CheckResult, note: str) -> CheckResult:
    extra = dict(result.extra)
    extra["notes"] = [*list(extra.get("notes", []) or []), note]  # type: ignore[call-overload]
    return dataclasses.replace(result, extra=extra)
