"""Choosing steps, and comparing devices by SPEC's rule (tested here with stand-in runs;
the real CPU-vs-CUDA run is in test_cli_reference.py and needs a GPU)."""

from __future__ import annotations

import warnings

import pytest
import torch

from readkit.reference import ReferenceUsageError, jit, nn, plan_run, run_reference
from readkit.reference.compare import compare_devices, norm_relative_error
from readkit.results.reference import Expectation, StepResult


def test_default_plan_leaves_out_slow_steps_only():
    ids = plan_run(device="cpu").step_ids
    assert "jit.compile_matches_eager" not in ids and "jit.export_program" in ids
    assert "jit.compile_matches_eager" in plan_run(device="cpu", include_slow=True).step_ids


def test_selection_by_section_and_by_bare_or_full_step_name():
    plan = plan_run(device="cpu", sections=["nn"], steps=["backward_of_sum", "jit.compile_matches_eager"])
    assert plan.step_ids == ("autograd.backward_of_sum", "nn.linear_layer", "nn.relu_and_softmax",
                             "nn.mse_loss", "nn.logistic_regression_classifier", "jit.compile_matches_eager")


def test_auto_device_is_cpu_without_cuda():
    assert plan_run().device == ("cuda" if torch.cuda.is_available() else "cpu")


@pytest.mark.skipif(torch.cuda.is_available(), reason="checks the error where CUDA is missing")
def test_cuda_requests_without_cuda_are_usage_errors():
    with pytest.raises(ReferenceUsageError, match="--device cuda needs a CUDA device"):
        plan_run(device="cuda")
    with pytest.raises(ReferenceUsageError, match="--compare-devices needs a CUDA device"):
        plan_run(compare_devices=True)


def test_run_reference_reports_progress_before_and_after():
    events = []
    run = run_reference(device="cpu", steps=["add_slices"], progress=events.append)
    assert [e.result is None for e in events] == [True, False] and events[1].result is run.steps[0]
    assert (run.passed, run.failed) == (1, 0)


def test_norm_relative_error():
    assert norm_relative_error([3.0, 4.0], [3.0, 4.0]) == 0.0
    assert norm_relative_error([3.0, 4.0], [3.0, 4.5]) == pytest.approx(0.1)
    assert norm_relative_error([0.0], [1e-6]) == pytest.approx(1e-6)  # zero reference: absolute


def _fake_step(cuda_value: float):
    def run(device: str, seed: int) -> StepResult:
        value = 1.0 if device == "cpu" else cuda_value
        return StepResult("demo", "fake", {"y": [value, 2.0]}, (Expectation("ok", True, True, True),), 0.5)
    return run


def test_compare_devices_passes_within_tolerance_and_fails_beyond():
    close = compare_devices(_fake_step(1.0 + 1e-6), ("y",), seed=0)
    assert close.passed and [c.name for c in close.checks] == [
        "cpu: ok", "cuda: ok", "cpu vs cuda: y (norm-relative error)"]
    assert close.values["cuda"] == {"y": [1.0 + 1e-6, 2.0]} and close.seconds == 1.0
    far = compare_devices(_fake_step(1.1), ("y",), seed=0)
    assert not far.passed and far.checks[-1].actual == pytest.approx(0.1 / 5**0.5)


def test_compare_devices_reports_a_missing_value():
    result = compare_devices(_fake_step(1.0), ("absent",), seed=0)
    assert not result.passed and "not comparable" in result.checks[-1].actual


def test_steps_render_in_notebooks():
    markdown = nn.linear_layer()._repr_markdown_()
    assert markdown.startswith("**nn.linear_layer**: PASS") and "| parameters | `18` | " in markdown
    assert "| check | expected | actual | |" in markdown
    assert "passed, 0 failed" in run_reference(device="cpu", steps=["add_slices"])._repr_markdown_()


def test_jit_steps_keep_their_deprecation_warnings_inside():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        result = jit.trace_matches_eager()
    assert result.passed and result.values["warnings"] == ["DeprecationWarning"]


def test_steps_leave_the_global_rng_and_thread_count_alone():
    torch.manual_seed(123)
    expected = torch.rand(3)
    threads = torch.get_num_threads()
    torch.manual_seed(123)
    nn.logistic_regression_classifier(seed=7)
    assert torch.equal(torch.rand(3), expected) and torch.get_num_threads() == threads


def test_seed_changes_the_draws_and_is_reproducible():
    a, b, c = (nn.linear_layer(seed=s).values["output"] for s in (0, 0, 1))
    assert a == b and a != c
