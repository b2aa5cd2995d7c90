"""The checks are real: a wrong expectation turns a step red, with expected vs actual,
in the result, in the text, in JSON and in the exit code."""

from __future__ import annotations

import json

import pytest
import torch
from click.testing import CliRunner

from readkit.cli import cli
from readkit.reference import autograd, execute, plan_run, tensors
from readkit.reference.capture import attempt
from readkit.reference.harness import Expectations, jsonable, step
from readkit.render.reference import to_text


def test_wrong_expected_value_fails_with_expected_and_actual():
    result = autograd.backward_of_sum(expected={"s": 175.0})
    assert not result.passed
    (failed,) = [c for c in result.checks if not c.passed]
    assert (failed.name, failed.expected, failed.actual) == ("s", 175.0, 174.0)


def test_wrong_expected_tensor_fails():
    result = tensors.add_slices(expected={"d[0] + d[1]": [[8, 10, 12], [14, 16, 18]]})
    assert not result.passed
    assert result.checks[0].actual == [[8.0, 10.0, 12.0], [15.0, 17.0, 19.0]]


def test_wrong_bound_fails():
    result = autograd.custom_relu_function(expected={"instance-style Function called": "TypeError"})
    assert not result.passed


def test_each_check_kind_can_fail():
    check = Expectations()
    assert not check.equal("e", 1, 2)
    assert not check.close("c", [1.0], [1.1])
    assert not check.close("shape", [1.0], [1.0, 1.0])
    assert not check.at_most("m", 1.0, 2.0)
    assert not check.at_least("l", 1.0, 0.5)
    assert not check.between("b", 0, 1, 2)
    assert not check.true("t", False)
    assert not check.raises("r", TypeError, attempt(lambda: 1))
    assert not check.warns("w", UserWarning, attempt(lambda: 1))
    assert not check.matches("cpu exact", [1.0], [1.0 + 1e-7], torch.device("cpu"))
    assert [c.passed for c in check.items] == [False] * 10


def test_a_step_that_crashes_is_a_failed_step_not_a_crashed_run():
    @step("always breaks")
    def broken(device, seed, check):
        raise ZeroDivisionError("boom")

    result = broken()
    assert not result.passed and result.checks[0].actual == "ZeroDivisionError: boom"


def test_text_shows_fail_with_expected_and_actual():
    result = autograd.backward_of_sum(expected={"s": 175.0})
    run = execute(plan_run(device="cpu", steps=["autograd.legacy_variable"]))
    run = type(run)(run.device, run.torch_version, run.steps + (result,))
    text = to_text(run)
    assert "FAIL backward_of_sum" in text and "x s: expected 175, actual 174" in text
    assert text.splitlines()[-1] == f"1 passed, 1 failed in {sum(s.seconds for s in run.steps):.1f} s"


def test_cli_exits_1_and_prints_expected_and_actual(monkeypatch):
    monkeypatch.setattr("readkit.reference.polynomial.B_STAR", 0.9)
    result = CliRunner().invoke(cli, ["run-reference", "--step", "least_squares_optimum", "--no-color"])
    assert result.exit_code == 1, result.output
    assert "FAIL least_squares_optimum" in result.output
    assert "expected 0.9, actual 0.856741" in result.output
    assert "0 passed, 1 failed" in result.output


def test_cli_json_reports_the_failure(monkeypatch):
    monkeypatch.setattr("readkit.reference.polynomial.B_STAR", 0.9)
    result = CliRunner().invoke(cli, ["run-reference", "--step", "least_squares_optimum", "--format", "json"])
    data = json.loads(result.stdout)
    assert result.exit_code == 1 and (data["passed"], data["failed"]) == (0, 1)
    (failed,) = [c for c in data["steps"][0]["checks"] if not c["passed"]]
    assert failed["expected"] == 0.9 and failed["actual"] == pytest.approx(0.856741, abs=5e-7)


@pytest.mark.parametrize("value, safe", [
    (torch.tensor([[1, 2]]), [[1, 2]]), (torch.Size([2, 3]), [2, 3]), (float("nan"), "nan"),
    (torch.float32, "torch.float32"), (ValueError("x"), "ValueError: x"), ((1, None), [1, None]),
])
def test_values_are_json_safe(value, safe):
    assert jsonable(value) == safe
    json.dumps(jsonable(value))


def test_a_step_is_given_only_the_parameters_it_declares() -> None:
    @step("takes only check")
    def only_check(check):  # no device, no seed: the lesson does not use them
        check.equal("one", 1, 1)
        return {}

    assert only_check(device="cpu", seed=5).passed
    with pytest.raises(TypeError, match="steps take only"):
        step("a learning rate is not a step parameter")(lambda device, lr: {})


def test_no_reference_step_declares_a_parameter_it_does_not_use() -> None:
    import ast
    from pathlib import Path

    import readkit.reference as reference

    unused = []
    for module in Path(reference.__file__).parent.glob("*.py"):
        for node in ast.parse(module.read_text(encoding="utf-8")).body:
            if isinstance(node, ast.FunctionDef) and any(
                    isinstance(d, ast.Call) and getattr(d.func, "id", "") == "step" for d in node.decorator_list):
                used = {n.id for n in ast.walk(node) if isinstance(n, ast.Name)}
                unused += [f"{node.name}({a.arg})" for a in node.args.args if a.arg not in used]
    assert unused == []
