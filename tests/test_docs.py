"""Docs are generated from the data and must stay current: every role and rule documented,
docs/roles.md and docs/rules/ regenerated, every CLI command and flag in docs/cli.md."""

from __future__ import annotations

from pathlib import Path

import pytest

from readkit import docs
from readkit.annotate.rules.base import all_rules
from readkit.cli import cli
from readkit.roles import CORE_ROLE_NAMES, ROLES

DOCS = Path(__file__).resolve().parents[1] / "docs"
RULES = all_rules()
REGENERATE = "run `python -m readkit.docs --write docs` and commit the result"


@pytest.mark.parametrize("rule", RULES, ids=[r.id for r in RULES])
def test_every_rule_carries_its_documentation(rule):
    for field in ("message", "why", "modern"):
        assert getattr(rule, field, "").strip(), f"rule {rule.id} lacks `{field}` (its docs are built from it)"
    assert rule.MARKED, f"rule {rule.id} has no MARKED example for its docs"


@pytest.mark.parametrize("name", list(ROLES))
def test_every_role_carries_its_documentation(name):
    role = ROLES[name]
    assert role.title.strip() and role.covers.strip()
    if name in CORE_ROLE_NAMES:
        assert role.reference_step, f"core role {name} names no reference step"


def test_generated_docs_are_current():
    stale = docs.stale_docs(DOCS)
    assert not stale, f"stale generated docs: {', '.join(stale)}; {REGENERATE}"


def test_every_rule_and_role_has_a_generated_page():
    pages = docs.generated_docs()
    assert {f"rules/{r.id}.md" for r in RULES} <= pages.keys()
    assert all(f"`{name}`" in pages["roles.md"] for name in ROLES)


def test_explain_knows_every_role_rule_and_check_and_nothing_else():
    checks = {c.id for c in docs._checks()}
    annotation_rules = set(docs._annotation_rules())
    assert set(docs.known_ids()) == set(ROLES) | {r.id for r in RULES} | checks | annotation_rules
    assert len(docs.known_ids()) == len(ROLES) + len(RULES) + len(checks) + len(annotation_rules)  # no id twice
    assert docs.explain("no-such-thing") is None


def test_explain_a_workflow_check():
    checks = docs._checks()
    assert len(checks) >= 9  # SPEC §3's checks
    page = docs.explain(checks[0].id)
    assert page is not None and page.startswith(f"# `{checks[0].id}`: {checks[0].summary}")
    assert checks[0].instead in page


def test_role_page_says_what_it_covers_evidence_and_the_reference_step():
    page = docs.explain("autograd")
    assert page is not None
    assert page.startswith("# `autograd`: the graph and its gradients")
    assert "`.grad_fn`" in page and "`torch.no_grad`" in page  # from the role table, not typed here
    assert all(f"`{kind}`" in page for kind in ("resolved", "inferred", "heuristic"))
    assert "readkit run-reference --step autograd.backward_of_sum" in page


@pytest.mark.parametrize("rule", RULES, ids=[r.id for r in RULES])
def test_rule_page_has_rufs_sections(rule):
    page = docs.explain(rule.id)
    assert page is not None
    headings = [line for line in page.splitlines() if line.startswith("## ")]
    assert headings[:4] == ["## What it does", "## Why is this bad", "## Example", "## Use instead"]
    assert rule.MARKED[0].strip().splitlines()[0] in page
    step = rule.reference_step
    assert (f"readkit run-reference --step {step}" if step else "No reference step") in page


def test_check_and_write_round_trip(tmp_path):
    assert docs.main(["--check", str(tmp_path)]) == 1
    assert docs.main(["--write", str(tmp_path)]) == 0
    assert docs.main(["--check", str(tmp_path)]) == 0
    (tmp_path / "rules" / "gone-rule.md").write_text("a rule that no longer exists")
    (tmp_path / "roles.md").write_text("edited by hand")
    assert docs.stale_docs(tmp_path) == ["roles.md", "rules/gone-rule.md"]
    docs.write_docs(tmp_path)
    assert docs.stale_docs(tmp_path) == [] and not (tmp_path / "rules" / "gone-rule.md").exists()


def test_usage_error_of_the_generator():
    assert docs.main([]) == 2


CLI_DOC = DOCS / "cli.md"


@pytest.mark.parametrize("name", sorted(cli.commands))
def test_every_command_and_flag_is_in_cli_md(name):
    text = CLI_DOC.read_text(encoding="utf-8")
    assert f"readkit {name}" in text, f"docs/cli.md does not document `readkit {name}`"
    section = text.split(f"## `readkit {name}", 1)[-1].split("\n## ", 1)[0]
    for param in cli.commands[name].params:
        for opt in getattr(param, "opts", []):
            if opt.startswith("-") and not getattr(param, "hidden", False):
                assert f"`{opt}" in section, f"docs/cli.md: `readkit {name}` does not document {opt}"


def test_every_named_reference_step_exists():
    from readkit import reference

    steps = {r.reference_step for r in ROLES.values()} | {r.reference_step for r in RULES}
    for step in sorted(s for s in steps if s):
        plan = reference.plan_run(device="cpu", steps=(step,))  # ReferenceUsageError for an unknown step
        assert plan.step_ids == (step,)


def test_explain_an_annotation_rule():
    rule_id, meaning = next(iter(docs._annotation_rules().items()))
    page = docs.explain(rule_id)
    assert page is not None and meaning in page and f"--rule {rule_id}" in page
