"""Every legacy rule's own examples are its tests (Fixit style): MARKED code is flagged
with the rule's id, UNMARKED look-alikes are not, and FIXES give exactly their `after`
when migrated. All of it goes through the real engine (readkit.annotate.engine)."""

from __future__ import annotations

import pytest

from readkit.annotate.engine import analyze_source
from readkit.annotate.rules.async_argument import rewrite_async_keywords
from readkit.annotate.rules.base import LegacyRule, all_rules
from readkit.migrate.codemod import migrate_source

RULES = all_rules()
SPEC_IDS = {
    "variable-wrapper", "volatile-flag", "data-index-zero", "retain-variables", "creator-attribute",
    "implicit-softmax-dim", "cuda-tensor-type", "tensor-type-dtype", "size-average", "elementwise-mean",
    "data-update", "legacy-function", "renamed-function", "removed-function", "torchscript",
}  # fmt: skip


def _cases(kind: str) -> list[pytest.param]:
    return [
        pytest.param(rule, code, id=f"{rule.id}-{i}")
        for rule in RULES
        for i, code in enumerate(getattr(rule, kind))
    ]


def _flagged(code: str) -> list[str]:
    return [f.idiom for f in analyze_source(code, "<example>").result.legacy]


def test_every_spec_idiom_has_a_rule() -> None:
    assert SPEC_IDS <= {rule.id for rule in RULES}


@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.id)
def test_rule_is_documented_with_examples(rule: type[LegacyRule]) -> None:
    assert len(rule.MARKED) >= 3 and len(rule.UNMARKED) >= 3
    assert rule.message and rule.modern and rule.why
    assert rule.id == rule.id.lower() and " " not in rule.id


@pytest.mark.parametrize("rule", [r for r in RULES if r.reference_step], ids=lambda r: r.id)
def test_reference_step_exists(rule: type[LegacyRule]) -> None:
    from readkit.reference import get_step

    assert callable(get_step(rule.reference_step or ""))


@pytest.mark.parametrize(("rule", "code"), _cases("MARKED"))
def test_marked_example_is_flagged(rule: type[LegacyRule], code: str) -> None:
    assert rule.id in _flagged(code)


@pytest.mark.parametrize(("rule", "code"), _cases("UNMARKED"))
def test_unmarked_example_is_not_flagged(rule: type[LegacyRule], code: str) -> None:
    assert rule.id not in _flagged(code)


@pytest.mark.parametrize(
    ("rule", "before", "after"),
    [pytest.param(r, b, a, id=f"{r.id}-{i}") for r in RULES for i, (b, a) in enumerate(r.FIXES)],
)
def test_fix_gives_exactly_after(rule: type[LegacyRule], before: str, after: str) -> None:
    migrated = migrate_source(before)
    assert migrated.code == after
    assert migrate_source(migrated.code).code == after  # idempotent
    assert _flagged(after) == []  # the fixed code is modern for every rule
    assert before != after, "an example the migrator leaves alone belongs in NOTED"
    assert rule.id in {change.idiom for change in migrated.changes}


@pytest.mark.parametrize(("rule", "code"), _cases("NOTED"))
def test_noted_example_is_flagged_left_unchanged_and_explained(rule: type[LegacyRule], code: str) -> None:
    assert rule.id in _flagged(code)
    migrated = migrate_source(code)
    assert migrated.code == code
    assert rule.id in {note.idiom for note in migrated.notes}


def test_look_alike_data_index_is_left_alone() -> None:
    code = "import torch\nw = torch.nn.Linear(3, 2).weight\nw.data[0].zero_()\nrow = batch.data[0]\n"
    assert "data-index-zero" not in _flagged(code)
    assert migrate_source(code).code == code


def test_softmax_rule_uses_the_symbol_not_the_text() -> None:
    assert "implicit-softmax-dim" in _flagged("from torch.nn import functional as Fn\np = Fn.softmax(x)\n")
    assert "implicit-softmax-dim" not in _flagged("import mylib as F\np = F.softmax(x)\n")


def test_async_keyword_rewrite_touches_only_keyword_arguments() -> None:
    code = "async def f(x):\n    await g(x, async_=1)\nx = x.cuda(async=True)\n"
    new, lines = rewrite_async_keywords(code)
    assert lines == (3,)
    assert new == "async def f(x):\n    await g(x, async_=1)\nx = x.cuda(non_blocking=True)\n"
