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

from readkit.results.check import AnnotationVerdict, CheckResult, MissedUse
from readkit.check.target import Target


def reconcile_result(result: CheckResult, target: Target) -> CheckResult:
    files = _files_to_annotate(result, target)
    from readkit.annotate import annotate_paths

    from readkit.check.facts import line_facts

    facts = {str(path): lines for path, lines in line_facts(result).items()}  # what ran informs the annotator
    annotated = annotate_paths([Path(f) for f in files], observations=facts)
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
    elif annotation.role in roles or unobservable(annotation):
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


def unobservable(annotation: Any) -> bool:
    """An annotation that a line's running confirms by itself, because no call could show more:

    - evidence `resolved`: the name is bound to that torch object through imports, so a line that
      ran used it (a call of it is recorded anyway; `relu = F.relu` or `torch.from_numpy`, which
      no hook sees, are uses too);
    - a class, module, dtype or constant (`class Net(nn.Module)`, `isinstance(m, nn.Conv2d)`,
      `dtype=torch.float32`);
    - a data attribute of a torch object that is not a tensor (`opt.param_groups`,
      `ctx.needs_input_grad`): plain attribute reads that no hook sees. Tensor attributes
      (`.grad`, `.shape`) are observed, so those can be refuted.
    """
    if annotation.evidence == "resolved":
        return _resolve(annotation.symbol) is not _MISSING
    return is_reference_only(annotation.symbol)


_MISSING = object()


def _resolve(symbol: str | None) -> Any:
    """The torch object a qualified name denotes, _MISSING when it does not resolve."""
    if not symbol or (symbol != "torch" and not symbol.startswith("torch.")):
        return _MISSING
    import torch  # readkit's own lookup of a torch name; no target code runs here

    value: Any = torch
    for part in symbol.split(".")[1:]:
        value = getattr(value, part, _MISSING)
        if value is _MISSING:
            return _MISSING
    return value


@lru_cache(maxsize=4096)
def is_reference_only(symbol: str | None) -> bool:
    """True for torch names whose use no call can show (see `unobservable`)."""
    if not symbol:
        return False
    value = _resolve(symbol)
    if value is _MISSING:
        owner = _resolve(symbol.rpartition(".")[0])  # an instance attribute of a torch class
        return isinstance(owner, type) and not _is_tensor_class(owner)
    if isinstance(value, type) or type(value).__name__ == "module":
        return True
    if type(value).__name__ in ("getset_descriptor", "property", "member_descriptor"):
        return not symbol.startswith("torch.Tensor.")
    return not callable(value)


def _is_tensor_class(cls: type) -> bool:
    import torch

    return issubclass(cls, torch.Tensor) or cls is torch._C.TensorBase

