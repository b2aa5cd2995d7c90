"""readkit.teaching's assertions on hand-built check results: they pass and fail as documented."""

from __future__ import annotations

from pathlib import Path

import pytest

from readkit.results.check import CheckResult, LineObservation, Problem, TargetFailure
from readkit.pytest_plugin import function_script
from readkit.teaching import (
    assert_line_role,
    assert_no_workflow_problems,
    assert_ran,
    assert_workflow_problem,
    parse_produced,
    Produced,
)

SCRIPT = "import torch\nmodel = torch.nn.Linear(5, 10)\n\nout = model(torch.randn(64, 5))\n"


@pytest.fixture
def script(tmp_path: Path) -> Path:
    path = tmp_path / "student.py"
    path.write_text(SCRIPT, encoding="utf-8")
    return path


def run(script: Path, **changes: object) -> CheckResult:
    fields: dict[str, object] = dict(
        target=str(script), status="ok", exit_code=0, seconds=0.5,
        lines=(LineObservation(str(script), 4, ("nn", "tensor"), 2, ("float32[64, 5] cpu", "float32[64, 10] cpu")),))
    fields.update(changes)
    return CheckResult(**fields)  # type: ignore[arg-type]


def test_parse_produced_reads_dtype_shape_and_device() -> None:
    assert parse_produced("float32[64, 10] cuda:0") == Produced("float32", (64, 10), "cuda:0")
    assert parse_produced("int64[] cpu") == Produced("int64", (), "cpu")
    assert parse_produced("garbage") is None


def test_line_role_by_number_or_text_with_symbolic_batch(script: Path) -> None:
    result = run(script)
    assert assert_line_role(result, script, 4, "nn").calls == 2
    assert_line_role(result, None, "out = model(", "nn", shape=("B", 10), dtype="torch.float32", device="cpu")
    assert_line_role(result, "student.py", "out = model(", "tensor", shape=(64, None))


@pytest.mark.parametrize(("kwargs", "message"), [
    (dict(line="out = model(", role="optim"), r"used nn, tensor, not 'optim'"),
    (dict(line="out = model(", role="nn", shape=("B", 3)), r"produced .*; expected shape \('B', 3\)"),
    (dict(line="out = model(", role="nn", shape=(64, 10, 1)), r"expected shape"),
    (dict(line="out = model(", role="nn", dtype="float64"), r"expected float64"),
    (dict(line="model = torch", role="nn"), r"student.py:2 \('model = torch'\) made no torch call"),
    (dict(line="no such text", role="nn"), r"no line of .*student.py contains 'no such text'"),
])
def test_line_role_failures_say_what_was_seen(script: Path, kwargs: dict, message: str) -> None:
    with pytest.raises(AssertionError, match=message):
        assert_line_role(run(script), script, **kwargs)


def test_no_workflow_problems_fails_listing_each_problem(script: Path) -> None:
    assert_no_workflow_problems(run(script))
    bad = run(script, problems=(Problem("gradients-accumulate", str(script), 4, "zero_grad is never called"),))
    with pytest.raises(AssertionError, match=r"1 workflow problem\(s\).*\n  student.py:4: \[gradients-accumulate\]"):
        assert_no_workflow_problems(bad)


def test_a_failed_run_is_never_problem_free(script: Path) -> None:
    crashed = run(script, status="failed", exit_code=1,
                  failure=TargetFailure("exception", "IndexError: invalid index", str(script), 4))
    with pytest.raises(AssertionError, match=r"did not finish: failed \(exception at student.py:4: IndexError"):
        assert_no_workflow_problems(crashed)
    with pytest.raises(AssertionError):
        assert_ran(crashed)


def test_expected_workflow_problem_is_found_at_its_line(script: Path) -> None:
    bad = run(script, problems=(Problem("gradients-accumulate", str(script), 4, "zero_grad is never called"),))
    assert_workflow_problem(bad, "gradients-accumulate")
    assert_workflow_problem(bad, "gradients-accumulate", line="out = model(")
    with pytest.raises(AssertionError, match="expected workflow problem 'nan-loss'; found: gradients-accumulate"):
        assert_workflow_problem(bad, "nan-loss")
    with pytest.raises(AssertionError):
        assert_workflow_problem(bad, "gradients-accumulate", line=2)


def helper_training(epochs, lr=0.1):  # noqa: ANN001, ANN201 (a student's untyped function)
    model = Path("x")
    return model, epochs, lr


def test_function_script_holds_module_imports_source_and_call() -> None:
    script = function_script(helper_training, (3,), {"lr": 0.5})
    assert "from pathlib import Path" in script and "import pytest" in script
    assert "def helper_training(epochs, lr=0.1):" in script
    assert script.rstrip().endswith("helper_training(3, lr=0.5)")
    assert "__future__" not in script
    compile(script, "script", "exec")


def test_function_script_refuses_arguments_it_cannot_write() -> None:
    with pytest.raises(TypeError, match="not a literal"):
        function_script(helper_training, (object(),), {})
