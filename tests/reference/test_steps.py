"""Every step passes on CPU, and the values it reports agree with an independent oracle
(numpy, float64, or the closed form), so a step that computed the wrong thing fails here
even if its own check were wrong too."""

from __future__ import annotations

import math

import numpy as np
import pytest

from readkit.annotate.rules.base import all_rules
from readkit.reference import all_steps, get_step
from readkit.reference.tensors import NESTED
from readkit.roles import ROLES

# Named by the role table, the legacy rules and the docs: these ids must exist.
CONTRACT_STEPS = """
tensors.make_tensor_from_nested_list tensors.add_slices tensors.view_shares_storage tensors.int_tensor_pitfall
tensors.numpy_round_trip tensors.legacy_cuda_tensor_type autograd.backward_of_sum
autograd.second_backward_needs_retain_graph autograd.no_grad_and_inference_mode autograd.legacy_variable
autograd.gradient_of_polynomial autograd.custom_relu_function nn.linear_layer nn.relu_and_softmax nn.mse_loss
nn.logistic_regression_classifier optim.sgd_optimizer optim.train_logistic_regression jit.trace_matches_eager
jit.trace_freezes_branch jit.trace_freezes_loop jit.script_keeps_control_flow jit.export_program
jit.compile_matches_eager classic.numpy_two_layer_net classic.tensor_two_layer_net_by_hand
classic.autograd_two_layer_net classic.custom_function_two_layer_net classic.nn_sequential_sgd classic.nn_adam
classic.custom_module_net classic.dynamic_net polynomial.least_squares_optimum polynomial.autograd_polynomial_fit
""".split()

DEFAULT_STEPS = [f"{fn.info.section}.{fn.info.name}" for fn in all_steps() if not fn.info.slow]


def test_contract_step_ids_exist_in_tutorial_order():
    ids = [f"{fn.info.section}.{fn.info.name}" for fn in all_steps()]
    assert set(CONTRACT_STEPS) <= set(ids) and len(ids) == len(set(ids))
    assert [i for i in ids if i in CONTRACT_STEPS] == CONTRACT_STEPS  # the tutorial's order


def test_steps_named_by_roles_and_rules_exist():
    named = {r.reference_step for r in ROLES.values()} | {r.reference_step for r in all_rules()}
    for step_id in named - {None}:
        assert get_step(step_id), step_id


@pytest.mark.parametrize("step_id", DEFAULT_STEPS)
def test_every_default_step_passes_on_cpu(results, step_id):
    step = results[step_id]
    failed = [(c.name, c.expected, c.actual) for c in step.checks if not c.passed]
    assert step.checks and not failed, failed


def test_only_the_compile_step_is_left_out_by_default(cpu_run):
    assert {s.id for s in cpu_run.steps} == set(CONTRACT_STEPS) - {"jit.compile_matches_eager"}
    assert cpu_run.device == "cpu" and cpu_run.failed == 0 and cpu_run.passed == len(cpu_run.steps)


# ----------------------------------------------------------------------------
# Values against independent oracles


def test_add_slices_against_numpy(results):
    d = np.array(NESTED, dtype=np.float32)
    assert results["tensors.add_slices"].values["d[0] + d[1]"] == (d[0] + d[1]).tolist()


def test_backward_of_sum_against_closed_form(results):
    values = results["autograd.backward_of_sum"].values
    assert values["s"] == float(np.sum(2 * np.array(NESTED) + 1)) == 174.0
    assert np.all(np.array(values["x.grad"]) == 2) and np.array(values["x.grad"]).shape == (2, 2, 3)
    assert values["s.creator"].startswith("AttributeError")


def test_polynomial_gradient_against_closed_form(results):
    values = results["autograd.gradient_of_polynomial"].values
    a, b = np.array([2.0, 3.0]), np.array([6.0, 4.0])
    assert values["a.grad"] == (9 * a**2).tolist() and values["b.grad"] == (-2 * b).tolist()


def test_least_squares_optimum_against_numpy(results):
    x = np.linspace(-math.pi, math.pi, 2000)
    design = np.stack([np.ones_like(x), x, x**2, x**3], axis=1)
    coeffs, residual, *_ = np.linalg.lstsq(design, np.sin(x), rcond=None)
    values = results["polynomial.least_squares_optimum"].values
    assert values["b"] == pytest.approx(coeffs[1], abs=1e-9)
    assert values["d"] == pytest.approx(coeffs[3], abs=1e-9)
    assert values["SSE"] == pytest.approx(residual[0], rel=1e-9)


def test_legacy_idioms_show_what_torch_does_today(results):
    assert results["nn.relu_and_softmax"].values["implicit dim"] == {"1-D": 0, "2-D": 1, "3-D": 0}
    assert results["optim.train_logistic_regression"].values["loss.data[0]"].startswith("IndexError")
    assert "TypeError" in results["autograd.second_backward_needs_retain_graph"].values["retain_variables=True"]
    assert results["autograd.no_grad_and_inference_mode"].values["volatile=True"].startswith("UserWarning")
    assert results["nn.mse_loss"].values["size_average=False"].startswith("UserWarning")


def test_trace_freezes_branch_values(results):
    values = results["jit.trace_freezes_branch"].values
    assert values["traced(-1)"] == [-2.0] and values["eager(-1)"] == [-11.0]


def test_training_losses_fall(results):
    losses = results["optim.train_logistic_regression"].values["epoch losses (first seed)"]
    assert len(losses) == 11 and all(b < a for a, b in zip(losses, losses[1:]))
    for step_id in ("classic.nn_sequential_sgd", "classic.nn_adam", "classic.custom_module_net"):
        assert 500 <= results[step_id].values["initial loss"] <= 800


def test_every_step_is_in_the_walkthrough():
    from pathlib import Path

    walkthrough = (Path(__file__).resolve().parents[2] / "docs" / "reference.md").read_text()
    missing = [fn.info.name for fn in all_steps() if f"`{fn.info.name}`" not in walkthrough]
    assert not missing, f"docs/reference.md lacks {missing}"


def test_classic_versions_start_from_the_same_draws(results):
    numpy64 = results["classic.numpy_two_layer_net"].values["initial loss"]
    for step_id in ("classic.tensor_two_layer_net_by_hand", "classic.autograd_two_layer_net",
                    "classic.custom_function_two_layer_net"):
        assert results[step_id].values["initial loss"] == pytest.approx(numpy64, rel=1e-6)
