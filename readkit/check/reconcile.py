"""Static annotations vs what ran: confirmed, unobservable, refuted, not reached; and uses nobody annotated.

For the target's own files (the script or notebook, and modules of its project
that it imported and ran), the annotator's claims are compared line by line
with the roles the child observed there:

- `confirmed`: a line of the annotation's span ran and that role ran there;
- `unobservable`: a line of the span ran, the role did not show, and no hook
  could have shown it: the annotation names a torch object only referenced (a
  class used as a base or in isinstance, a dtype, a module, a data attribute
  such as `param_groups`);
- `refuted`: the line ran and that role did not, though it would have shown;
- `not-reached`: no line of the span ran.

Whether a torch name is a class, a module or a constant is read from the
table the child wrote (readkit.check.torchnames), so this process does not
import torch.

`missed`: a role observed on a line where no annotation of that role sits.
"""

from __future__ import annotations

import dataclasses
import threading
from collections import defaultdict
from pathlib import Path
from typing import Any, Iterable

from readkit.results.annotate import FileResult
from readkit.results.check import AnnotationVerdict, CheckResult, LineObservation, MissedUse
from readkit.check.target import Target
from readkit.check.torchnames import CLASS, DATA, DESCRIPTOR, MISSING, MODULE, TENSOR_CLASS, NameKinds


def warm_up() -> threading.Thread:
    """Import the annotator (libcst and readkit's analysis) in the background while the child runs:
    the reconciliation that follows the run then starts at once."""

    def load() -> None:
        import readkit.annotate  # noqa: F401

    thread = threading.Thread(target=load, name="readkit-warm-up", daemon=True)
    thread.start()
    return thread


def reconcile_result(result: CheckResult, target: Target) -> CheckResult:
    """Annotate the files the run judges (with what ran as facts) and judge their annotations."""
    files = files_to_judge(result, target.name if target.kind != "module" else None)
    from readkit.annotate import annotate_paths

    annotated = annotate_paths([Path(f) for f in files], observations=run_observations(result))
    return judged(result, files, annotated.files)


def run_observations(result: CheckResult) -> dict[str, dict[int, LineObservation]]:
    """What ran, per resolved file and line (with the line the run stopped on), for the annotator:
    a `.data[0]` the run saw on a 0-dim tensor is flagged whatever its variable is called."""
    from readkit.check.facts import line_facts

    return {str(path): lines for path, lines in line_facts(result).items()}


def judged(result: CheckResult, files: list[str], annotated: Iterable[FileResult]) -> CheckResult:
    """`result` with the verdicts on the annotations of `files` (`annotated`: their results, made by
    whoever annotated them with `run_observations(result)`) and the uses nobody annotated."""
    observed = _observed_roles(result)
    covered = _covered(result)
    extra = dict(result.extra)
    names = NameKinds(extra.pop("torch_names", None))
    verdicts: list[AnnotationVerdict] = []
    missed: list[MissedUse] = []
    for file_result in annotated:
        path = _match(file_result.path, files)
        annotations = list(file_result.annotations)
        verdicts += [verdict(path, a, observed[path], covered[path], names) for a in annotations]
        missed += find_missed(path, annotations, observed[path])
    return dataclasses.replace(result, annotations=tuple(verdicts), missed=tuple(missed), extra=extra)


def files_to_judge(result: CheckResult, script: str | None) -> list[str]:
    """The files whose annotations a run judges: the script (or notebook) run, then each of its
    project's Python files that ran."""
    files = [script] if script is not None else []
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


def verdict(path: str, annotation: Any, observed: dict[int, set[str]], covered: set[int],
            names: NameKinds | None = None) -> AnnotationVerdict:
    span = _span(annotation)
    ran = any(n in covered for n in span)
    roles: set[str] = set().union(*(observed.get(n, set()) for n in span))
    if not ran:
        kind = "not-reached"
    elif annotation.role in roles:
        kind = "confirmed"
    elif unobservable(annotation, names):
        kind = "unobservable"
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


def unobservable(annotation: Any, names: NameKinds | None = None) -> bool:
    """An annotation whose use no hook can observe, so a line's running neither confirms nor refutes it:

    - evidence `resolved`: the name is bound to that torch object through imports, and the run did
      not show it used (`relu = F.relu`: a reference, not a call);
    - a class, module, dtype or constant (`class Net(nn.Module)`, `isinstance(m, nn.Conv2d)`,
      `dtype=torch.float32`);
    - a data attribute of a torch object that is not a tensor (`opt.param_groups`,
      `ctx.needs_input_grad`): plain attribute reads that no hook sees. Tensor attributes
      (`.grad`, `.shape`) are observed, so those can be refuted.
    """
    names = names or NameKinds()
    symbol = annotation.symbol
    if not symbol or (symbol != "torch" and not symbol.startswith("torch.")):
        return False
    if annotation.evidence == "resolved":
        return names.kind(symbol) != MISSING
    return is_reference_only(symbol, names)


def is_reference_only(symbol: str, names: NameKinds) -> bool:
    """True for torch names whose use no call can show (see `unobservable`)."""
    kind = names.kind(symbol)
    if kind == MISSING:
        owner = symbol.rpartition(".")[0]  # an instance attribute of a torch class
        return names.kind(owner) == CLASS if owner.startswith("torch") else False
    if kind in (CLASS, TENSOR_CLASS, MODULE):
        return True
    if kind == DESCRIPTOR:
        return not symbol.startswith("torch.Tensor.")
    return kind == DATA
