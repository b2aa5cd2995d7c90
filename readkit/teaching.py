"""readkit in teaching material: assertions for course tests, and reference values.

Course authors use these through readkit's pytest plugin (fixtures `readkit_check`
and `readkit_reference`), or import them directly:

    from readkit.teaching import assert_no_workflow_problems, assert_line_role

    result = readkit.check_target("student/train.py", quiet=True)
    assert_no_workflow_problems(result)
    assert_line_role(result, "student/train.py", "out = model(x)", "nn", shape=("B", 10))

A line is named by its number or by a piece of its text (the first line that
contains it), so a test survives a student adding a blank line. In a shape, an
int must match exactly and anything else (`"B"`, `None`) matches any size.

Imports neither torch nor libcst at import time: every pytest session loads the plugin.
"""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from readkit.results.check import CheckResult, LineObservation
    from readkit.results.reference import StepResult

Dim = int | str | None


@dataclass(frozen=True)
class Produced:
    """One "float32[64, 10] cpu" of a LineObservation, parsed."""

    dtype: str
    shape: tuple[int, ...]
    device: str


_PRODUCED = re.compile(r"^\s*(\w+)\[([^\]]*)\]\s*(\S*)")


def parse_produced(text: str) -> Produced | None:
    match = _PRODUCED.match(text)
    if match is None:
        return None
    dims = tuple(int(d) for d in match.group(2).replace(" ", "").split(",") if d)
    return Produced(match.group(1), dims, match.group(3))


# ----------------------------------------------------------------------------
# Assertions


def assert_ran(result: CheckResult) -> None:
    """The target finished without an exception, a timeout or a kill."""
    if result.status != "ok":
        raise AssertionError(f"{result.target} did not finish: {result.status}{_failure_text(result)}")


def assert_no_workflow_problems(result: CheckResult) -> None:
    """The target ran to the end and readkit found no problem in its training workflow."""
    assert_ran(result)
    if result.problems:
        listed = "\n".join(f"  {_short(p.path)}:{p.line}: [{p.check}] {p.message}" for p in result.problems)
        raise AssertionError(f"{len(result.problems)} workflow problem(s) in {result.target}:\n{listed}")


def assert_workflow_problem(result: CheckResult, check: str, line: int | str | None = None,
                            path: str | Path | None = None) -> None:
    """readkit found the workflow problem `check` (e.g. "gradients-accumulate"), at `line` when given."""
    found = [p for p in result.problems if p.check == check]
    if line is not None:
        number = resolve_line(result, path, line)
        found = [p for p in found if p.line == number and _same_file(p.path, path or result.target)]
    if not found:
        seen = ", ".join(f"{p.check} at {_short(p.path)}:{p.line}" for p in result.problems) or "none"
        where = f" at line {line!r}" if line is not None else ""
        raise AssertionError(f"expected workflow problem {check!r}{where}; found: {seen}{_failure_text(result)}")


def assert_line_role(result: CheckResult, path: str | Path | None, line: int | str, role: str, *,
                     shape: Sequence[Dim] | None = None, dtype: str | None = None,
                     device: str | None = None) -> LineObservation:
    """The line ran, used `role` directly, and (when given) produced a tensor of that shape/dtype/device.

    `path` None means the target itself. Returns the line's observation.
    """
    number = resolve_line(result, path, line)
    observation = observed_line(result, path, number)
    label = f"{_short(str(path or result.target))}:{number}" + (f" ({line!r})" if isinstance(line, str) else "")
    if observation is None:
        raise AssertionError(f"{label} made no torch call in the run{_failure_text(result)}")
    if role not in observation.roles:
        raise AssertionError(f"{label} used {', '.join(observation.roles) or 'no role'}, not {role!r}")
    if shape is not None or dtype is not None or device is not None:
        _assert_produced(label, observation, shape, dtype, device)
    return observation


def _assert_produced(label: str, observation: LineObservation, shape: Sequence[Dim] | None,
                     dtype: str | None, device: str | None) -> None:
    produced = [p for p in map(parse_produced, observation.shapes) if p is not None]
    if not any(_matches(p, shape, dtype, device) for p in produced):
        wanted = " ".join(filter(None, [dtype, f"shape {tuple(shape)}" if shape is not None else None, device]))
        raise AssertionError(f"{label} produced {', '.join(observation.shapes) or 'no tensor'}; expected {wanted}")


def _matches(p: Produced, shape: Sequence[Dim] | None, dtype: str | None, device: str | None) -> bool:
    if dtype is not None and p.dtype != dtype.removeprefix("torch."):
        return False
    if device is not None and p.device.split(":")[0] != device.split(":")[0]:
        return False
    if shape is None:
        return True
    return len(p.shape) == len(shape) and all(not isinstance(w, int) or w == d for w, d in zip(shape, p.shape))


# ----------------------------------------------------------------------------
# Finding lines


def resolve_line(result: CheckResult, path: str | Path | None, line: int | str) -> int:
    """A line number, or the first line of the file whose text contains `line`."""
    if isinstance(line, int):
        return line
    file = locate(result, path)
    try:
        lines = file.read_text(encoding="utf-8").splitlines()
    except OSError as error:
        raise AssertionError(f"cannot read {file} to find {line!r}: {error.strerror}") from None
    for number, text in enumerate(lines, start=1):
        if line in text:
            return number
    raise AssertionError(f"no line of {file} contains {line!r}")


def locate(result: CheckResult, path: str | Path | None) -> Path:
    """The file a test names: the target when None; a bare name is looked up beside the target."""
    if path is None:
        return Path(result.target)
    given = Path(path)
    if given.exists() or len(given.parts) > 1:
        return given
    beside = Path(result.target).parent / given
    seen = [Path(o.path) for o in result.lines if Path(o.path).name == given.name]
    return beside if beside.exists() or not seen else seen[0]


def observed_line(result: CheckResult, path: str | Path | None, line: int) -> LineObservation | None:
    for observation in result.lines:
        if observation.line == line and _same_file(observation.path, path or result.target):
            return observation
    return None


def _same_file(seen: str, wanted: str | Path) -> bool:
    wanted = str(wanted)
    if os.path.realpath(seen) == os.path.realpath(wanted):
        return True
    return os.sep not in wanted and Path(seen).name == wanted  # a bare file name matches in any folder


def _short(path: str) -> str:
    return Path(path).name


def _failure_text(result: CheckResult) -> str:
    failure = result.failure
    if failure is None:
        return ""
    where = f" at {_short(failure.path)}:{failure.line}" if failure.path and failure.line else ""
    return f" ({failure.kind}{where}: {failure.message})"


# ----------------------------------------------------------------------------
# Reference values


def reference_step(step_id: str, **options: Any) -> StepResult:
    """Run one reference step (`"optim.train_logistic_regression"`) and return its result.

    Its `.values` are what the step computed and `.checks` its expected values, so a
    course test can compare a student's numbers with the reference's.
    """
    import importlib

    section, _, name = step_id.partition(".")
    try:
        module = importlib.import_module(f"readkit.reference.{section}")
        step = getattr(module, name)
    except (ImportError, AttributeError):
        raise LookupError(f"no reference step {step_id!r} (see `readkit run-reference --help`)") from None
    result: StepResult = step(**options)
    return result
