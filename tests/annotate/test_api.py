"""The API contract others build on: filters, errors, the engine's Analysis, parallel runs."""

from __future__ import annotations

from pathlib import Path

import libcst as cst
import pytest

from readkit.annotate import UnknownFilterError, annotate_paths, annotate_source
from readkit.annotate.engine import Fix, analyze_source

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "annotate"
CODE = "import torch\nfrom torch.autograd import Variable\nx = Variable(torch.randn(2))\nx.backward()\n"


def test_annotation_fields_positions_and_messages() -> None:
    result = annotate_source(CODE, "demo.py")
    first = result.annotations[0]
    assert (first.line, first.column, first.end_line, first.end_column) == (3, 5, 3, 29)
    assert first.role == "autograd" and first.rule == "import-resolution" and first.symbol == "torch.autograd.Variable"
    assert all(a.message and "\n" not in a.message for a in result.annotations)
    # the step that demonstrates a role is named once (summary, `explain`, HTML), not on every row
    from readkit.docs import explain

    assert "run-reference --step autograd.backward_of_sum" in explain("autograd")
    assert "run-reference" not in next(a for a in result.annotations if a.role == "autograd").message


def test_syntax_error_in_source_becomes_the_results_error() -> None:
    result = annotate_source("def f(:\n")
    assert result.error is not None and result.error.kind == "syntax" and result.error.line == 1


def test_analysis_keeps_node_identity_for_fixes() -> None:
    analysis = analyze_source(CODE, "demo.py")
    assert isinstance(analysis.module, cst.Module)
    assert analysis.fixes and all(isinstance(f, Fix) for f in analysis.fixes)
    fix = analysis.fixes[0]
    assert fix.idiom == "variable-wrapper"
    nodes = set()

    class Collect(cst.CSTVisitor):
        def on_visit(self, node: cst.CSTNode) -> bool:
            nodes.add(id(node))
            return True

    analysis.module.visit(Collect())
    assert id(fix.node) in nodes
    assert analysis.result.legacy[0].line == 3


def test_filters_by_role_and_rule(tmp_path: Path) -> None:
    (tmp_path / "a.py").write_text(CODE)
    only_tensor = annotate_paths([tmp_path], roles=["tensor"], jobs=1)
    assert {a.role for a in only_tensor.files[0].annotations} == {"tensor"}
    only_rule = annotate_paths([tmp_path], rules=["variable-wrapper"], jobs=1)
    assert not only_rule.files[0].annotations and [f.idiom for f in only_rule.files[0].legacy] == ["variable-wrapper"]
    by_evidence_rule = annotate_paths([tmp_path], rules=["object-origin"], jobs=1)
    assert {a.rule for a in by_evidence_rule.files[0].annotations} == {"object-origin"}


def test_unknown_filters_list_the_known_ones(tmp_path: Path) -> None:
    with pytest.raises(UnknownFilterError, match="known roles: tensor, autograd, nn"):
        annotate_paths([tmp_path], roles=["tensors"])
    with pytest.raises(UnknownFilterError, match="variable-wrapper"):
        annotate_paths([tmp_path], rules=["no-such-rule"])
    assert issubclass(UnknownFilterError, ValueError)


def test_parallel_run_equals_serial_run() -> None:
    serial = annotate_paths([FIXTURES], jobs=1)
    parallel = annotate_paths([FIXTURES], jobs=2)
    assert serial == parallel and len(serial.files) >= 10
