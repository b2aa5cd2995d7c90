"""Hand-built annotate and check results over a small training script (the renderers' unit tests
do not depend on the annotator or the checker being finished). Shared as fixtures by
tests/html, tests/browser and tests/notebook through their conftest files."""

from __future__ import annotations

from pathlib import Path

import pytest

from readkit.results.annotate import AnnotateResult, Annotation, FileError, FileResult, LegacyFinding
from readkit.results.check import AnnotationVerdict, CheckResult, LineObservation, Problem

TRAIN = '''\
import torch
import torch.nn as nn
from torch.autograd import Variable

model = nn.Linear(5, 3)
opt = torch.optim.SGD(model.parameters(), lr=0.01)
for step in range(3):
    x = Variable(torch.randn(4, 5))
    loss = model(x).sum()
    loss.backward()
    opt.step()
    print(loss.data[0])  # <old> & "quoted"
'''


def ann(line: int, col: int, end_col: int, role: str, evidence: str, symbol: str | None, message: str,
        end_line: int | None = None) -> Annotation:
    return Annotation(line, col, end_line or line, end_col, role, evidence, symbol, "test-rule", message)


@pytest.fixture
def train_script(tmp_path: Path) -> Path:
    path = tmp_path / "train.py"
    path.write_text(TRAIN, encoding="utf-8")
    return path


@pytest.fixture
def train_result(train_script: Path) -> FileResult:
    return FileResult(
        path=str(train_script),
        source=TRAIN,
        annotations=(
            ann(5, 9, 24, "nn", "resolved", "torch.nn.Linear", "a fully connected layer"),
            ann(6, 7, 51, "optim", "resolved", "torch.optim.SGD", "stochastic gradient descent"),
            ann(6, 23, 41, "nn", "inferred", "torch.nn.Module.parameters", "the model's parameters"),
            ann(8, 9, 37, "autograd", "resolved", "torch.autograd.Variable", "legacy wrapper: returns a tensor"),
            ann(8, 18, 36, "tensor", "resolved", "torch.randn", "random normal tensor"),
            ann(9, 12, 20, "nn", "inferred", None, "calls the module's forward"),
            ann(10, 5, 20, "autograd", "heuristic", "torch.Tensor.backward", "compute gradients of loss"),
            ann(11, 5, 15, "optim", "inferred", "torch.optim.SGD.step", "update parameters from their .grad"),
        ),
        legacy=(
            LegacyFinding(8, 9, 8, 37, "variable-wrapper", "Variable is a no-op", "torch.randn(4, 5)"),
            LegacyFinding(12, 11, 12, 22, "data-index-zero", "`.data[0]` of a 0-dim tensor fails", "loss.item()"),
        ),
    )


@pytest.fixture
def train_annotated(train_result: FileResult, tmp_path: Path) -> AnnotateResult:
    broken = FileResult(str(tmp_path / "py2.py"), error=FileError("python2", "print x", 1, 1))
    return AnnotateResult((train_result, broken))


@pytest.fixture
def train_run(train_script: Path) -> CheckResult:
    path = str(train_script)
    return CheckResult(
        target=path, status="ok", exit_code=0, seconds=1.25,
        problems=(Problem("gradients-accumulate", path, 10, "zero_grad is never called between steps"),),
        lines=(LineObservation(path, 9, ("nn", "tensor"), 3, ("float32[4, 3] cpu", "float32[] cpu"),
                               ("torch.nn.Linear.forward",)),
               LineObservation(path, 5, ("nn",), 1, (), ("torch.nn.Linear",))),
        annotations=(AnnotationVerdict(path, 5, "nn", "resolved", "confirmed"),
                     AnnotationVerdict(path, 9, "nn", "inferred", "confirmed"),
                     AnnotationVerdict(path, 10, "autograd", "heuristic", "refuted")),
    )
