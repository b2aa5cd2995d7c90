"""`readkit run-reference` as a user meets it: JSON shape, text, exit codes, progress."""

from __future__ import annotations

import json

import pytest
import torch
from click.testing import CliRunner

from readkit.cli import cli

NO_CUDA = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")


def invoke(*args: str):
    return CliRunner().invoke(cli, ["run-reference", *args])


def test_json_has_exactly_the_documented_shape():
    result = invoke("--section", "tensors", "--format", "json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert list(data) == ["device", "torch_version", "steps", "passed", "failed"]
    assert (data["device"], data["torch_version"]) == ("cpu", torch.__version__)
    assert (data["passed"], data["failed"]) == (6, 0)
    for step in data["steps"]:
        assert list(step) == ["section", "name", "passed", "values", "checks", "seconds"]
        assert step["section"] == "tensors" and step["passed"] is True and isinstance(step["seconds"], float)
        for check in step["checks"]:
            assert list(check) == ["name", "expected", "actual", "passed"]
    add = next(s for s in data["steps"] if s["name"] == "add_slices")
    assert add["values"] == {"d[0] + d[1]": [[8.0, 10.0, 12.0], [15.0, 17.0, 19.0]]}


def test_text_shows_sections_values_and_summary():
    result = invoke("--section", "autograd", "--step", "tensors.add_slices", "--no-color")
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert out.index("\ntensors\n") < out.index("\nautograd\n")
    assert "d[0] + d[1] = [[8, 10, 12], [15, 17, 19]]" in out
    assert "x.grad = [[[2, 2, 2], [2, 2, 2]], [[2, 2, 2], [2, 2, 2]]]" in out
    assert "PASS backward_of_sum" in out and "s = 174" in out
    assert out.rstrip().splitlines()[-1].startswith("7 passed, 0 failed in ")
    assert "\x1b[" not in out


def test_color_only_when_asked():
    assert "\x1b[" in invoke("--step", "add_slices", "--color").stdout


def test_progress_for_multi_second_steps_goes_to_stderr():
    result = invoke("--step", "polynomial.autograd_polynomial_fit", "--no-color")
    assert result.exit_code == 0
    assert "[1/1] polynomial.autograd_polynomial_fit ... " in result.stderr
    assert "[1/1]" not in result.stdout
    assert "[1/1]" not in invoke("--step", "polynomial.autograd_polynomial_fit", "--format", "json").stderr


@pytest.mark.parametrize("args, message", [
    (["--step", "no_such_step"], "unknown step 'no_such_step'; known steps: tensors.make_tensor_from_nested_list"),
    (["--section", "nope"], "unknown section 'nope'; known sections: tensors, autograd, nn"),
    (["--device", "tpu"], "Invalid value for '--device'"),
])
def test_bad_usage_exits_2_with_a_clear_message(args, message):
    result = invoke(*args)
    assert result.exit_code == 2 and message in result.output
    assert "Traceback" not in result.output


@pytest.mark.skipif(torch.cuda.is_available(), reason="checks the message where CUDA is missing")
@pytest.mark.parametrize("args", [["--device", "cuda"], ["--compare-devices"]])
def test_cuda_where_unavailable_exits_2_without_traceback(args):
    result = invoke(*args, "--step", "add_slices")
    assert result.exit_code == 2
    assert f"{' '.join(args)} needs a CUDA device" in result.output and "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)


@pytest.mark.slow
def test_include_slow_runs_and_passes_compile():
    result = invoke("--section", "jit", "--include-slow", "--format", "json")
    data = json.loads(result.stdout)
    assert result.exit_code == 0, [s for s in data["steps"] if not s["passed"]]
    compiled = next(s for s in data["steps"] if s["name"] == "compile_matches_eager")
    assert compiled["passed"] and compiled["values"]["backend"] in ("inductor", "aot_eager")


@pytest.mark.cuda
@NO_CUDA
def test_device_cuda_runs_every_default_step():
    result = invoke("--device", "cuda", "--format", "json")
    data = json.loads(result.stdout)
    assert data["device"] == "cuda"
    assert result.exit_code == 0, [(s["name"], [c for c in s["checks"] if not c["passed"]])
                                   for s in data["steps"] if not s["passed"]]


@pytest.mark.cuda
@NO_CUDA
def test_compare_devices_passes():
    result = invoke("--compare-devices", "--format", "json")
    data = json.loads(result.stdout)
    assert data["device"] == "cpu+cuda"
    assert result.exit_code == 0, [(s["name"], [c for c in s["checks"] if not c["passed"]])
                                   for s in data["steps"] if not s["passed"]]
    backward = next(s for s in data["steps"] if s["name"] == "backward_of_sum")
    assert any(c["name"].startswith("cpu vs cuda: x.grad") for c in backward["checks"])


@pytest.mark.slow
def test_compile_without_a_cxx_compiler_says_so_and_still_checks(monkeypatch):
    from readkit.reference import jit

    monkeypatch.setattr(jit, "find_cxx_compiler", lambda: None)
    result = jit.compile_matches_eager()
    assert result.passed, result.checks
    assert result.values["backend"] == "aot_eager"
    assert result.values["compiler"].startswith("none found ($CXX or g++)")
