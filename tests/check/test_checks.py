"""The checks as pure functions over facts, and their discovery, docs and fixtures."""

import pytest

from readkit.check.checks import all_checks
from tests.check.conftest import FIXTURES

EXPECTED_IDS = {
    "gradients-accumulate", "step-without-gradients", "parameters-not-updated",
    "parameters-outside-optimizer", "backward-in-eval-mode", "softmax-into-cross-entropy",
    "non-finite-loss", "traced-differs-from-eager", "compiled-differs-from-eager",
}
CHECKS = {check.id: check for check in all_checks()}


def test_every_check_is_discovered_once():
    assert set(CHECKS) == EXPECTED_IDS
    assert len(all_checks()) == len(EXPECTED_IDS)


@pytest.mark.parametrize("check_id", sorted(EXPECTED_IDS))
def test_every_check_has_docs_and_a_bad_and_a_good_fixture(check_id):
    check = CHECKS[check_id]
    assert len(check.summary.split()) >= 4 and "reference workflow" in check.instead.lower() or "eager" in check.instead
    assert "What it does" in check.docs
    assert (FIXTURES / f"{check_id}__bad.py").is_file()
    assert (FIXTURES / f"{check_id}__good.py").is_file()


def _fact(**data):
    return {"path": "train.py", "line": 12, **data}


def test_parameters_not_updated_needs_every_sampled_step_frozen():
    still = [_fact(optimizer=0, step=s, checked=4, unchanged=4, lrs=[0.0], optimizer_line=["train.py", 3])
             for s in (1, 2, 3)]
    assert [f.line for f in CHECKS["parameters-not-updated"].find({"unchanged": still})] == [12]
    warmup = [dict(still[0])] + [dict(s, unchanged=0) for s in still[1:]]
    assert CHECKS["parameters-not-updated"].find({"unchanged": warmup}) == []
    partly = [dict(s, unchanged=1) for s in still]  # a bias before batch norm: rounding, not a bug
    assert CHECKS["parameters-not-updated"].find({"unchanged": partly}) == []
    assert CHECKS["parameters-not-updated"].find({"unchanged": still[:1]}) == []


def test_messages_name_what_happened_and_what_the_reference_does():
    check = CHECKS["gradients-accumulate"]
    [found] = check.find({"accumulated": [_fact(params=3, total=4, optimizer_line=["train.py", 5])]})
    message = check.message(found)
    assert "3 of 4 parameters" in message and "line 5" in message and "zero_grad()" in message


def test_facts_without_a_line_are_not_reported():
    assert CHECKS["non-finite-loss"].find({"non-finite": [{"path": None, "line": None, "value": "nan"}]}) == []
    assert len(CHECKS["non-finite-loss"].find({"non-finite": [_fact(value="nan")]})) == 1


def test_both_eval_mode_directions_report_under_one_id():
    facts = {"eval-backward": [_fact(module_line=["train.py", 10])], "train-inference": [_fact(line=20)]}
    found = CHECKS["backward-in-eval-mode"].find(facts)
    assert [f.line for f in found] == [12, 20]
    assert "eval mode" in found[0].detail and "train mode" in found[1].detail


def test_docs_carry_the_generated_checks_section():
    from readkit.check.checks import markdown

    docs = (FIXTURES.parents[1] / "docs" / "check.md").read_text(encoding="utf-8")
    assert markdown() in docs, "regenerate the checks section of docs/check.md from readkit.check.checks.markdown()"


def test_variants_of_one_trace_are_one_problem():
    facts = {"traced-differs": [_fact(variant="a batch of 4 instead of 3", difference="fails", api="torch.export.export"),
                                _fact(variant="a batch of 2 instead of 3", difference="fails", api="torch.export.export")]}
    [found] = CHECKS["traced-differs-from-eager"].find(facts)
    assert found.detail.count("torch.export.export") == 2 and "batch of 2" in found.detail
