"""Hand-built annotate results: the renderers are tested on these, not on the annotator."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
from render_helpers import ann

from readkit.results.annotate import AnnotateResult, Annotation, FileError, FileResult, LegacyFinding
from readkit.results.check import AnnotationVerdict, CheckResult, LineObservation, MissedUse

TRAIN = textwrap.dedent(
    """\
    import torch
    opt = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.1)
    loss = (torch.ones(1) * 2).sum()
    print(loss.data[0])
    opt.step()
    """
)


@pytest.fixture
def train_file(tmp_path: Path) -> FileResult:
    path = tmp_path / "train.py"
    path.write_text(TRAIN)
    return FileResult(
        str(path),
        source=TRAIN,
        annotations=(
            ann(2, "optim", "resolved", "torch.optim.SGD", "create an optimizer", column=7),
            ann(4, "autograd", "heuristic", "torch.Tensor.data", "read the tensor behind autograd", column=7),
            ann(5, "optim", "inferred", "torch.optim.SGD.step", "update parameters from their .grad"),
        ),
        legacy=(LegacyFinding(4, 7, 4, 19, "data-index-zero", "`.data[0]` of a 0-dim tensor raises IndexError",
                              "loss.item()"),),
    )


@pytest.fixture
def python2_file() -> FileResult:
    return FileResult("old/py2.py", error=FileError("python2", "Missing parentheses in call to 'print'", 3, 7))


@pytest.fixture
def result(train_file: FileResult, python2_file: FileResult) -> AnnotateResult:
    return AnnotateResult((train_file, python2_file, FileResult("quiet.py")))


@pytest.fixture
def check_of(train_file: FileResult) -> CheckResult:
    path = train_file.path
    return CheckResult(
        target=path, status="ok", exit_code=0, seconds=0.25,
        lines=(LineObservation(path, 2, ("optim", "tensor"), 2, ("float32[1] cpu",)),
               LineObservation(path, 5, ("optim",), 1)),
        annotations=(AnnotationVerdict(path, 2, "optim", "resolved", "confirmed"),
                     AnnotationVerdict(path, 4, "autograd", "heuristic", "not-reached"),
                     AnnotationVerdict(path, 5, "optim", "inferred", "confirmed")),
        missed=(MissedUse(path, 2, "tensor"),),
    )
