"""data-index-zero with a run (issue 11 §2): a `[0]` / `.data[0]` on a value the run saw as a
0-dim tensor is flagged and fixed to `.item()` whatever it is called; one the run saw on a
tensor with dimensions never is. The facts are `LineObservation`s as check.facts makes them."""

from __future__ import annotations

from readkit.check.facts import line_facts
from readkit.results.check import CheckResult, LineObservation, TargetFailure
from readkit.migrate.codemod import migrate_source

ZERO_DIM = "IndexError: invalid index of a 0-dim tensor. Use `tensor.item()` in Python"


def _seen(line: int, *shapes: str, raised: str = "") -> dict[int, LineObservation]:
    return {line: LineObservation("m.py", line, ("tensor",), 1, shapes, raised=raised)}


def _migrated(code: str, seen: dict[int, LineObservation] | None) -> str:
    return migrate_source(code, "m.py", observations=seen).code


STEP = "def step(model, f, x):\n    value = f(model(x))\n    return value.data[0]\n"  # nothing says scalar


def test_without_a_run_an_unknown_value_is_left_alone() -> None:
    assert _migrated(STEP, None) == STEP


def test_data_zero_on_a_value_seen_as_0_dim_is_fixed() -> None:
    assert _migrated(STEP, _seen(3, "float32[] cpu")).endswith("    return value.item()\n")


def test_data_zero_on_a_value_seen_with_dimensions_is_never_fixed() -> None:
    assert _migrated(STEP, _seen(3, "float32[64, 10] cpu", "float32[10] cpu")) == STEP
    loss_named = "import torch.nn.functional as F\nloss = F.mse_loss(a, b, reduction='none')\nprint(loss.data[0])\n"
    assert _migrated(loss_named.replace(", reduction='none'", ""), _seen(3, "float32[8] cpu", "float32[] cpu")) \
        .endswith("print(loss.item())\n")  # the 1-D .data, then its 0-dim element: static decides
    assert _migrated("loss = f()\nprint(loss.data[0])\n", _seen(2, "float32[4] cpu")) == "loss = f()\nprint(loss.data[0])\n"


def test_a_plain_zero_index_that_raised_the_0_dim_error_is_fixed() -> None:
    code = "def step(model, f, x):\n    out = f(model(x))\n    return out[0]\n"
    assert _migrated(code, None) == code
    assert _migrated(code, _seen(3, raised=ZERO_DIM)).endswith("    return out.item()\n")


def test_the_error_decides_only_when_one_zero_index_on_the_line_can_have_raised_it() -> None:
    code = "def step(names, out):\n    print(names[0], out[0])\n"
    assert _migrated(code, _seen(2, raised=ZERO_DIM)) == code


def test_another_error_on_the_line_is_no_fact() -> None:
    code = "def step(out):\n    return out[0]\n"
    assert _migrated(code, _seen(2, raised="IndexError: index 0 is out of bounds for dimension 0 with size 0")) == code


def test_a_name_assigned_on_lines_seen_making_only_0_dim_tensors_is_a_scalar() -> None:
    code = "def step(f, x):\n    stat = f(x)\n    log(stat)\n    return stat[0]\n"
    assert _migrated(code, _seen(2, "float32[] cpu")).endswith("    return stat.item()\n")
    assert _migrated(code, _seen(2, "float32[3] cpu")) == code


def test_a_write_is_never_turned_into_item() -> None:
    code = "def step(w):\n    w.data[0] = 1.0\n"
    assert _migrated(code, _seen(2, "float32[] cpu", raised=ZERO_DIM)) == code


def test_line_facts_put_the_stopping_exception_on_its_line(tmp_path) -> None:
    script = str(tmp_path / "main.py")
    seen = LineObservation(script, 7, ("tensor",), 2, ("float32[] cpu",))
    failure = TargetFailure("exception", ZERO_DIM, script, 7)
    facts = line_facts(CheckResult(script, "failed", 1, 0.1, lines=(seen,), failure=failure))
    observed = facts[tmp_path.resolve() / "main.py"][7]
    assert observed.raised == ZERO_DIM and observed.shapes == ("float32[] cpu",)
    unobserved = line_facts(CheckResult(script, "failed", 1, 0.1, failure=TargetFailure("exception", ZERO_DIM, script, 9)))
    assert unobserved[tmp_path.resolve() / "main.py"][9].raised == ZERO_DIM
