"""Pieces of the checker that need no child process: names, frames, comparison, reconciliation, output."""

import json
import sys
from types import SimpleNamespace

import pytest
import torch
import torch.nn.functional as F

from readkit.check import compare, reconcile
from readkit.check.frames import TORCH, TRANSPARENT, USER, FrameClassifier
from readkit.results.check import AnnotationVerdict, CheckResult, LineObservation, Problem, TargetFailure
from readkit.check.names import cached_role, qualname_of_callable
from readkit.check.runner import OUTPUT_TAIL_BYTES, _Tail
from readkit.render import check as render


@pytest.mark.parametrize("func, qualname, role", [
    (torch._C.TensorBase.view, "torch.Tensor.view", "tensor"),
    (torch.Tensor.grad.__get__, "torch.Tensor.grad", "autograd"),
    (F.linear, "torch.nn.functional.linear", "nn"),
    (F.relu, "torch.nn.functional.relu", "nn"),
    (torch.Tensor.backward, "torch.Tensor.backward", "autograd"),
    (torch.randn, "torch.randn", "tensor"),
])
def test_runtime_callables_get_the_annotators_names_and_roles(func, qualname, role):
    assert qualname_of_callable(func) == qualname
    assert cached_role(qualname) == role


def test_frames_are_classified_by_file(tmp_path):
    classifier = FrameClassifier((str(tmp_path),))
    user_code = compile("pass", str(tmp_path / "train.py"), "exec")
    assert classifier.kind(user_code) == USER
    assert classifier.kind(torch.nn.Module.__call__.__code__) == TORCH
    assert classifier.kind(json.dumps.__code__) == TRANSPARENT
    assert classifier.kind(compile("pass", "<string>", "exec")) == TRANSPARENT
    assert classifier.innermost_user_frame(sys._getframe()) is not None  # this test file is nobody's library


def test_variants_change_the_branch_and_the_batch():
    names = [name for name, _ in compare.variants((torch.ones(4, 2),), shapes=True)]
    assert names == ["the example input negated", "a batch of 5 instead of 4", "a batch of 3 instead of 4"]
    assert compare.variants((torch.ones(4, dtype=torch.long),), shapes=False) == []


def test_compare_finds_a_frozen_branch_and_accepts_a_faithful_copy():
    def eager(x):
        return x * 2 if x.sum() > 0 else x - 10

    frozen = lambda x: x * 2  # noqa: E731  (what tracing on a positive input records)
    found = compare.compare(eager, frozen, (torch.ones(3),), shapes=True)
    assert found[0][0] == "the example input negated" and "differ by up to 9" in found[0][1]
    assert compare.compare(eager, eager, (torch.ones(3),), shapes=True) == []


def test_compare_restores_batch_norm_statistics():
    bn = torch.nn.BatchNorm1d(3)
    before = bn.running_mean.clone()
    compare.compare(bn, bn, (torch.randn(4, 3) + 5,), shapes=True)
    assert torch.equal(bn.running_mean, before)


def _annotation(line, role, end_line=None, symbol=None):
    return SimpleNamespace(line=line, end_line=end_line or line, role=role, evidence="inferred", symbol=symbol)


def test_verdicts_and_missed_uses():
    observed = {3: {"nn"}, 4: {"tensor", "autograd"}}
    covered = {1, 3, 4}
    assert reconcile.verdict("t.py", _annotation(3, "nn"), observed, covered).verdict == "confirmed"
    assert reconcile.verdict("t.py", _annotation(3, "optim"), observed, covered).verdict == "refuted"
    assert reconcile.verdict("t.py", _annotation(9, "nn"), observed, covered).verdict == "not-reached"
    assert reconcile.verdict("t.py", _annotation(2, "nn", end_line=3), observed, covered).verdict == "confirmed"
    # a class used as a base or a dtype: the line ran, no call can show it
    assert reconcile.verdict("t.py", _annotation(1, "nn", symbol="torch.nn.Module"), observed, covered).verdict \
        == "unobservable"
    assert reconcile.verdict("t.py", _annotation(1, "tensor", symbol="torch.float32"), observed, covered).verdict \
        == "unobservable"
    assert reconcile.verdict("t.py", _annotation(1, "tensor", symbol="torch.randn"), observed, covered).verdict \
        == "refuted"
    # an optimizer's data attribute: no hook sees the read; a tensor's attribute is observed
    assert reconcile.verdict("t.py", _annotation(1, "optim", symbol="torch.optim.SGD.param_groups"), observed,
                             covered).verdict == "unobservable"
    assert reconcile.verdict("t.py", _annotation(1, "autograd", symbol="torch.Tensor.grad"), observed,
                             covered).verdict == "refuted"
    resolved = SimpleNamespace(line=1, end_line=1, role="nn", evidence="resolved", symbol="torch.nn.functional.relu")
    assert reconcile.verdict("t.py", resolved, observed, covered).verdict == "unobservable"  # relu = F.relu
    assert reconcile.verdict("t.py", _annotation(3, "nn", symbol="torch.nn.Module"), observed, covered).verdict \
        == "confirmed"  # observed wins
    missed = reconcile.find_missed("t.py", [_annotation(4, "tensor")], observed)
    assert [(m.line, m.role) for m in missed] == [(3, "nn"), (4, "autograd")]


def _result():
    return CheckResult(
        target="train.py", status="failed", exit_code=1, seconds=2.5,
        problems=(Problem("non-finite-loss", "/p/train.py", 7, "the loss is NaN"),),
        lines=(LineObservation("/p/train.py", 7, ("autograd",), 3, ("float32[] cpu",), ("torch.Tensor.backward",)),),
        annotations=(AnnotationVerdict("/p/train.py", 7, "autograd", "heuristic", "confirmed"),
                     AnnotationVerdict("/p/train.py", 9, "optim", "inferred", "not-reached")),
        failure=TargetFailure("exception", "IndexError: invalid index", "/p/train.py", 8), losses=(1.0, float("nan")))


def test_json_has_exactly_the_documented_keys():
    document = json.loads(render.to_json(_result()))
    assert list(document)[:9] == ["target", "status", "exit_code", "seconds", "problems", "lines", "annotations",
                                  "missed", "failure"]
    assert document["lines"] == [{"path": "/p/train.py", "line": 7, "roles": ["autograd"], "calls": 3,
                                  "shapes": ["float32[] cpu"]}]
    assert document["problems"][0]["check"] == "non-finite-loss"
    assert document["confirmation"]["autograd"] == {"confirmed": 1, "refuted": 0, "unobservable": 0, "not-reached": 0,
                                                    "rate": 1.0}
    assert document["confirmation"]["optim"]["rate"] is None


def test_text_puts_status_and_problems_first():
    text = render.to_text(_result())
    lines = text.splitlines()
    assert lines[0].startswith("readkit check train.py: failed (exit 1, 2.5 s)")
    assert "IndexError: invalid index at /p/train.py:8" in text
    assert text.index("non-finite-loss") < text.index("[autograd]✓")


def test_output_tail_is_capped():
    tail = _Tail()
    import io

    tail.drain(io.BufferedReader(io.BytesIO(b"x" * (OUTPUT_TAIL_BYTES * 4) + b"END")))
    text = tail.text()
    assert text.endswith("END") and "left out" in text
    assert len(text) < OUTPUT_TAIL_BYTES * 2


def test_the_childs_table_of_torch_names_answers_without_torch(tmp_path):
    from readkit.check.torchnames import CLASS, DATA, MISSING, NameKinds, describe_names

    source = tmp_path / "train.py"
    source.write_text("import torch.nn as nn\nclass Net(nn.Module): pass\nopt.param_groups\ntorch.float32\n"
                      "torch.optim.SGD\n")
    table = describe_names([str(source)])
    assert table["kinds"]["torch.nn.Module"] == CLASS and table["kinds"]["torch.float32"] == DATA
    names = NameKinds(json.loads(json.dumps(table)))
    assert names.kind("torch.optim.SGD.param_groups") == MISSING and not names.imported_torch
    annotation = _annotation(3, "optim", symbol="torch.optim.SGD.param_groups")
    assert reconcile.verdict("t.py", annotation, {}, {3}, names).verdict == "unobservable"
    assert not names.imported_torch
    assert names.kind("torch.linalg.norm") != MISSING and names.imported_torch  # outside the walk: asks torch
