"""readkit's pytest plugin for course authors (registered through the pytest11 entry point).

Fixtures:
- `readkit_check` runs a student's script, a piece of source code, or a training
  function under `readkit check` (an isolated child process, output captured) and
  returns the CheckResult:
      result = readkit_check("student/train.py")
      result = readkit_check(source="import torch\\n...")
      result = readkit_check.function(train, epochs=2)
- `readkit_reference` runs a reference step: `readkit_reference("optim.sgd_optimizer").values`.

Assertions (readkit.teaching, re-exported here): assert_ran, assert_no_workflow_problems,
assert_workflow_problem, assert_line_role. docs/teaching.md has a worked example.

Loaded by every pytest session where readkit is installed, so it imports neither
torch nor libcst at import time (the fixtures import them when used).
"""

from __future__ import annotations

import ast
import inspect
import textwrap
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from readkit.teaching import (
    assert_line_role,
    assert_no_workflow_problems,
    assert_ran,
    assert_workflow_problem,
    reference_step,
)

if TYPE_CHECKING:
    from readkit.results.check import CheckResult
    from readkit.results.reference import StepResult

__all__ = ["assert_line_role", "assert_no_workflow_problems", "assert_ran", "assert_workflow_problem"]

DEFAULT_TIMEOUT = 120.0


class CourseChecker:
    """What the `readkit_check` fixture returns: run code under `readkit check`."""

    def __init__(self, scratch: Path, timeout: float = DEFAULT_TIMEOUT) -> None:
        self.scratch = scratch
        self.timeout = timeout

    def __call__(self, target: str | Path | None = None, *, source: str | None = None,
                 args: tuple[str, ...] = (), timeout: float | None = None,
                 cwd: str | Path | None = None) -> CheckResult:
        """Run a script (`target`) or a piece of code (`source`, written to a scratch script).

        The working directory is `cwd`, else a scratch folder (files a script opens by a
        relative path need `cwd=` its folder).
        """
        if (target is None) == (source is None):
            raise TypeError("readkit_check: give a script path or source=..., not both")
        if source is not None:
            target = self._write("student_code.py", textwrap.dedent(source))
        return self._run(Path(str(target)), args, timeout, cwd)

    def function(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> CheckResult:
        """Run `fn(*args, **kwargs)` in a scratch script holding its module's imports and its source.

        The function must be self-contained apart from its module's imports; arguments
        must be literals (they are written into the script with repr). Lines in the
        result refer to the scratch script: name them by their text in assertions.
        """
        script = function_script(fn, args, kwargs)
        return self._run(self._write(f"{fn.__name__}_script.py", script), (), None, None)

    def _write(self, name: str, text: str) -> Path:
        path = self.scratch / name
        path.write_text(text, encoding="utf-8")
        return path

    def _run(self, script: Path, args: tuple[str, ...], timeout: float | None,
             cwd: str | Path | None) -> CheckResult:
        from readkit.check import check_target

        return check_target(script, args=args, cwd=cwd or self.scratch, timeout=timeout or self.timeout, quiet=True)


def function_script(fn: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any]) -> str:
    """The source of a script that defines `fn` (with its module's imports) and calls it."""
    for value in (*args, *kwargs.values()):
        if not _is_literal(value):
            raise TypeError(f"readkit_check.function: argument {value!r} is not a literal; pass numbers, "
                            "strings, tuples, lists or dicts")
    module = inspect.getmodule(fn)
    imports = _module_imports(inspect.getsource(module)) if module is not None else ""
    call_args = ", ".join([repr(a) for a in args] + [f"{k}={v!r}" for k, v in kwargs.items()])
    body = textwrap.dedent(inspect.getsource(fn))
    return f"{imports}\n\n{body}\n\n{fn.__name__}({call_args})\n"


def _is_literal(value: Any) -> bool:
    """Whether repr(value) reads back as an equal value (so it can be written into a script)."""
    try:
        return bool(ast.literal_eval(repr(value)) == value)
    except (ValueError, SyntaxError):
        return False


def _module_imports(source: str) -> str:
    """The top-level import statements of a module, as written."""
    tree = ast.parse(source)
    parts = [ast.get_source_segment(source, node) for node in tree.body if isinstance(node, ast.Import | ast.ImportFrom)]
    return "\n".join(p for p in parts if p and not p.startswith("from __future__"))


@pytest.fixture
def readkit_check(tmp_path: Path) -> CourseChecker:
    """Run a student's script, source or training function under `readkit check`; returns a CheckResult."""
    scratch = tmp_path / "readkit_check"
    scratch.mkdir(exist_ok=True)
    return CourseChecker(scratch)


@pytest.fixture
def readkit_reference() -> Callable[..., StepResult]:
    """Run one reference step by id (`"autograd.backward_of_sum"`) and return its StepResult."""
    return reference_step
