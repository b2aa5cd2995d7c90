"""Every legacy rule's own examples are its tests (Fixit style): MARKED code is flagged
with the rule's id, UNMARKED look-alikes are not, and FIXES give exactly their `after`
when migrated. All of it goes through the real engine (readkit.annotate.engine)."""

from __future__ import annotations

import libcst as cst
import pytest

from readkit.annotate.engine import analyze_source
from readkit.results.annotate import LegacyFinding
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
    migrated = migrate_source(before, portable=rule.portability)
    assert migrated.code == after
    assert migrate_source(migrated.code, portable=rule.portability).code == after  # idempotent
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


@pytest.mark.parametrize(
    ("rule", "before"),
    [pytest.param(r, b, id=f"{r.id}-{i}") for r in RULES if r.portability for i, (b, _) in enumerate(r.FIXES)],
)
def test_portability_fix_waits_for_portable(rule: type[LegacyRule], before: str) -> None:
    """CUDA-only code is current torch: migrate leaves it as written, with a note naming --portable."""
    migrated = migrate_source(before)
    assert migrated.code == before and not migrated.changes
    assert {note.idiom for note in migrated.notes} == {rule.id}
    assert all("--portable" in note.note for note in migrated.notes)


# ---- suggestions: built from the code found, on one line, the same function completed -----------


def _examples(rules: tuple[type[LegacyRule], ...]) -> list[pytest.param]:
    return [
        pytest.param(rule, code, id=f"{rule.id}-{i}")
        for rule in rules
        for i, code in enumerate((*rule.MARKED, *rule.NOTED, *(before for before, _ in rule.FIXES)))
    ]


def _own_findings(rule: type[LegacyRule], code: str) -> list[LegacyFinding]:
    found = [f for f in analyze_source(code, "<example>").result.legacy if f.idiom == rule.id]
    assert found, f"{rule.id} flags nothing in its own example"
    return found


def _span(code: str, finding: LegacyFinding) -> str:
    lines = code.splitlines(keepends=True)
    text = "".join(lines[finding.line - 1 : finding.end_line])
    start = finding.column - 1
    end = len(text) - len(lines[finding.end_line - 1]) + finding.end_column - 1
    return text[start:end]


def _call(text: str) -> cst.Call | None:
    try:
        expr = cst.parse_expression(text)
    except cst.ParserSyntaxError:
        return None
    return expr if isinstance(expr, cst.Call) else None


def _code(node: cst.CSTNode) -> str:
    return cst.Module(body=[]).code_for_node(node)


@pytest.mark.parametrize(("rule", "code"), _examples(RULES))
def test_every_finding_suggests_one_line(rule: type[LegacyRule], code: str) -> None:
    for finding in _own_findings(rule, code):
        assert finding.modern and "\n" not in finding.modern, finding
        assert "  " not in finding.modern.strip(), finding  # no line-continuation indent left in it


@pytest.mark.parametrize(("rule", "code"), _examples(tuple(r for r in RULES if not r.replaces_call)))
def test_suggestion_calls_what_the_original_called(rule: type[LegacyRule], code: str) -> None:
    """Keep the function and add what is missing: `F.log_softmax(x)` -> `F.log_softmax(x, dim=1)`,
    never another function (issue 11 §5). Arguments given by position stay in the call."""
    for finding in _own_findings(rule, code):
        original = _call(_span(code, finding))
        if original is None:
            continue  # a keyword, an attribute: no call to keep
        called = _calls(finding.modern or "")
        assert _name(original.func) in {_name(call.func) for call in called}, (finding.modern, _span(code, finding))
        same = [call for call in called if _code(call.func) == _code(original.func)]
        for call in same:  # the same call, completed: what was given by position is still there
            kept = {_code(arg.value) for arg in call.args}
            assert {_code(arg.value) for arg in original.args if arg.keyword is None} <= kept, finding.modern


def _calls(code: str) -> list[cst.Call]:
    """Every call in a suggestion (an expression or a one-line statement)."""
    found: list[cst.Call] = []

    class _Calls(cst.CSTVisitor):
        def visit_Call(self, node: cst.Call) -> None:
            found.append(node)

    cst.parse_module(code).visit(_Calls())
    return found


def _name(func: cst.BaseExpression) -> str:
    """`log_softmax` of `F.log_softmax`, `add_` of `p.data.add_`."""
    return func.attr.value if isinstance(func, cst.Attribute) else _code(func)


def test_softmax_suggestion_keeps_log_softmax_and_the_module() -> None:
    code = "import torch.nn as nn\nimport torch.nn.functional as F\ny = F.log_softmax(\n    x)\nm = nn.LogSoftmax()\n"
    assert [f.modern for f in analyze_source(code, "<example>").result.legacy] == [
        "F.log_softmax(x, dim=1)", "nn.LogSoftmax(dim=1)"]


def test_tensor_type_suggestion_uses_the_type_in_front_of_it() -> None:
    code = "import torch\nlabels = torch.LongTensor(n)\nhalf = x.type(dtype)\ndtype = torch.HalfTensor\n"
    found = {f.line: f.modern for f in analyze_source(code, "<example>").result.legacy}
    assert found[2] == "torch.tensor(n, dtype=torch.int64) or torch.empty(n, dtype=torch.int64)"
    assert "float32" not in found[2]


def test_multi_line_call_suggestion_is_one_line() -> None:
    code = ("import torch\nfrom torch.autograd import Variable\n"
            "w = Variable(\n    torch.randn(5,\n                1),  # weights\n    requires_grad=True,\n)\n")
    (finding,) = analyze_source(code, "<example>").result.legacy
    assert finding.modern == "torch.randn(5, 1, requires_grad=True)"
