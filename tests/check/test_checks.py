"""The checks as pure functions over typed facts, and their discovery, docs, facts and fixtures."""

import dataclasses
import json

import pytest

from readkit.check.checks import all_checks, fact_kinds, judge
from readkit.check.checks.backward_in_eval_mode import BackwardInEvalMode
from readkit.check.checks.evaluation_in_train_mode import EvaluatedInTrainMode
from readkit.check.checks.gradients_accumulate import Accumulated
from readkit.check.checks.non_finite_loss import NonFiniteLoss
from readkit.check.checks.parameters_not_updated import UnchangedAfterStep
from readkit.check.checks.traced_differs_from_eager import TracedDiffers
from readkit.check.workflow_facts import Fact, Facts, encode
from tests.check.conftest import FIXTURES

EXPECTED_IDS = {
    "gradients-accumulate", "step-without-gradients", "parameters-not-updated",
    "parameters-outside-optimizer", "backward-in-eval-mode", "evaluation-in-train-mode",
    "softmax-into-cross-entropy", "non-finite-loss", "traced-differs-from-eager", "compiled-differs-from-eager",
}
CHECKS = {check.id: check for check in all_checks()}


def test_every_check_is_discovered_once():
    assert set(CHECKS) == EXPECTED_IDS
    assert len(all_checks()) == len(EXPECTED_IDS)


@pytest.mark.parametrize("check_id", sorted(EXPECTED_IDS))
def test_every_check_has_docs_facts_and_a_bad_and_a_good_fixture(check_id):
    check = CHECKS[check_id]
    assert len(check.summary.split()) >= 4 and "reference workflow" in check.instead.lower() or "eager" in check.instead
    assert "What it does" in check.docs
    assert check.facts and all(issubclass(cls, Fact) and cls.__doc__ for cls in check.facts)
    assert check.watcher is not None  # every check today measures something in the child
    assert (FIXTURES / f"{check_id}__bad.py").is_file()
    assert (FIXTURES / f"{check_id}__good.py").is_file()


def test_fact_kinds_are_unique_and_the_parent_needs_no_torch():
    kinds = fact_kinds()
    assert len(kinds) == sum(len(c.facts) for c in all_checks())
    import subprocess
    import sys

    probe = "import sys, readkit.check.checks as c; c.all_checks(); print('torch' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True).stdout.strip() == "False"


def _found(check_id, *facts):
    return CHECKS[check_id].find(Facts(facts))


def _unchanged(step, unchanged):
    return UnchangedAfterStep(path="train.py", line=12, optimizer=0, step=step, checked=4, unchanged=unchanged,
                              lrs=(0.0,), optimizer_line=("train.py", 3))


def test_parameters_not_updated_needs_every_sampled_step_frozen():
    still = [_unchanged(s, 4) for s in (1, 2, 3)]
    assert [f.line for f in _found("parameters-not-updated", *still)] == [12]
    warmup = [still[0], _unchanged(2, 0), _unchanged(3, 0)]
    assert _found("parameters-not-updated", *warmup) == []
    partly = [_unchanged(s, 1) for s in (1, 2, 3)]  # a bias before batch norm: rounding, not a bug
    assert _found("parameters-not-updated", *partly) == []
    assert _found("parameters-not-updated", still[0]) == []


def test_messages_name_what_happened_and_what_the_reference_does():
    check = CHECKS["gradients-accumulate"]
    [found] = check.find(Facts([Accumulated(path="train.py", line=12, params=3, total=4,
                                            optimizer_line=("train.py", 5))]))
    message = check.message(found)
    assert "3 of 4 parameters" in message and "line 5" in message and "zero_grad()" in message


def test_facts_cross_the_process_boundary_as_json_and_come_back_typed():
    facts = [Accumulated(path="t.py", line=3, params=1, total=2, optimizer_line=("t.py", 1)),
             _unchanged(1, 4), NonFiniteLoss(path="t.py", line=9, value="nan"),
             EvaluatedInTrainMode(path="t.py", line=7, form="no_grad", model="Net", layers=("Dropout",))]
    raw = json.loads(json.dumps({f.kind: [encode(f)] for f in facts}))
    back, errors = Facts.decode(raw, fact_kinds())
    assert errors == []
    assert back.of(Accumulated) == [facts[0]] and back.of(Accumulated)[0].optimizer_line == ("t.py", 1)
    assert back.of(UnchangedAfterStep)[0].lrs == (0.0,) and back.of(EvaluatedInTrainMode) == [facts[3]]


def test_a_fact_that_does_not_match_its_declaration_spoils_the_results():
    from readkit.check.workflow_facts import FactError

    for raw in ({"non-finite": [{"path": "t.py", "line": 2}]}, {"no-such-kind": [{}]},
                {"non-finite": [{"path": ["t.py"], "line": 2, "value": "nan"}]},
                {"non-finite": [{"path": "t.py", "line": True, "value": "nan"}]}):
        with pytest.raises(FactError):
            judge(raw)
    problems, errors = judge({"non-finite": [encode(NonFiniteLoss(path="t.py", line=2, value="inf"))]})
    assert [p.check for p in problems] == ["non-finite-loss"] and errors == []


def test_a_fact_is_frozen_and_needs_a_kind():
    fact = NonFiniteLoss(path="t.py", line=2, value="nan")
    with pytest.raises(dataclasses.FrozenInstanceError):
        fact.value = "inf"  # type: ignore[misc]
    with pytest.raises(TypeError, match="kind"):
        type("Nameless", (Fact,), {})


def test_the_eval_mode_directions_are_two_checks():
    [backward] = _found("backward-in-eval-mode", BackwardInEvalMode(path="train.py", line=12,
                                                                    module_line=("train.py", 10)))
    assert "eval mode" in backward.detail and "line 10" in backward.detail
    legacy = EvaluatedInTrainMode(path="train.py", line=20, form="no-backward", model="Classifier",
                                  layers=("Dropout", "BatchNorm1d"))
    [inference] = _found("evaluation-in-train-mode", legacy)
    assert "Classifier" in inference.detail and "no backward()" in inference.detail
    assert "Dropout, BatchNorm1d" in inference.detail and "train mode" in inference.detail
    assert _found("backward-in-eval-mode", legacy) == []


def test_docs_carry_the_generated_checks_section():
    from readkit.check.checks import markdown

    docs = (FIXTURES.parents[1] / "docs" / "check.md").read_text(encoding="utf-8")
    assert markdown() in docs, "regenerate the checks section of docs/check.md from readkit.check.checks.markdown()"


def test_variants_of_one_trace_are_one_problem():
    variants = [TracedDiffers(path="train.py", line=12, api="torch.export.export", variant=f"a batch of {n} instead of 3",
                              difference="fails") for n in (4, 2)]
    [found] = _found("traced-differs-from-eager", *variants)
    assert found.detail.count("torch.export.export") == 2 and "batch of 2" in found.detail
