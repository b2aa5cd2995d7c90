"""evaluation-in-train-mode: predictions from a trained model whose dropout/batch norm is still training."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from readkit.check.checks import Found, WorkflowCheck
from readkit.check.workflow_facts import Fact, Facts, Line
from readkit.check.watcher import Run, Watcher

if TYPE_CHECKING:
    import torch

NO_GRAD, NO_BACKWARD = "no_grad", "no-backward"


@dataclass(frozen=True, kw_only=True)
class EvaluatedInTrainMode(Fact):
    """A trained model (at the line that called it) ran with dropout/batch norm in train mode for predictions."""

    kind = "train-inference"
    form: str  # NO_GRAD: under torch.no_grad(); NO_BACKWARD: gradients on, but no backward() followed
    model: str  # the model's class name
    layers: tuple[str, ...]  # class names of its dropout/batch-norm layers that ran in train mode


@dataclass
class _Pending:
    line: Line
    model: Any  # the top module (kept only until the next backward)
    layers: list[str]


class Watch(Watcher):
    def __init__(self) -> None:
        self.pending: dict[tuple[str, int], _Pending] = {}  # (form, id(model)) -> the first such call

    def on_forward(self, run: Run, module: torch.nn.Module, top: torch.nn.Module, top_line: Line | None) -> None:
        grad = run.grad_enabled()
        if module is top and grad and (NO_GRAD, id(top)) in self.pending:
            self._report(run, NO_GRAD, self.pending.pop((NO_GRAD, id(top))))  # it trains again: that was inference
        if run.steps_taken == 0 or top_line is None or not module.training or not run.mode_sensitive(module):
            return
        pending = self.pending.setdefault((NO_BACKWARD if grad else NO_GRAD, id(top)), _Pending(top_line, top, []))
        name = type(module).__name__
        if name not in pending.layers:
            pending.layers.append(name)

    def on_backward(self, run: Run, loss: Any, value: float | None, line: Line | None) -> None:
        self.pending.clear()  # what ran since the last backward was training (GAN samples between steps too)

    def on_finish(self, run: Run) -> None:
        for (form, _), pending in list(self.pending.items()):
            if form == NO_GRAD or run.completed:  # a run cut short may have stopped between forward and backward
                self._report(run, form, pending)
        self.pending.clear()

    def _report(self, run: Run, form: str, pending: _Pending) -> None:
        if run.trained(pending.model):
            run.report(EvaluatedInTrainMode(path=pending.line[0], line=pending.line[1], form=form,
                                            model=type(pending.model).__name__, layers=tuple(pending.layers)))


_FORMS = {
    NO_GRAD: "under torch.no_grad()",
    NO_BACKWARD: "with gradients on, and no backward() followed (predictions, not training)",
}


def find(facts: Facts) -> list[Found]:
    return [Found(f.path, f.line, f"the trained {f.model} ran {_FORMS.get(f.form, f.form)} while its "
                                  f"{', '.join(f.layers)} layer(s) were in train mode")
            for f in facts.of(EvaluatedInTrainMode)]


CHECK = WorkflowCheck(
    id="evaluation-in-train-mode",
    summary="a trained model makes predictions with dropout/batch norm in train mode",
    instead="The reference workflow calls model.eval() before evaluating or predicting (and runs it "
            "under torch.no_grad()), then model.train() before training again.",
    docs="""What it does: after at least one optimizer step (or manual update), fires when a model whose
parameters were trained runs with a dropout or batch-norm layer in train mode, and that run is
not training: under `torch.no_grad()` with no `backward()` before the model is used again, or —
the 0.3-era form, a `predict()` that calls `model(x)` / `model.forward(x)` without `no_grad` and
without `model.eval()` — with gradients on but no `backward()` after it before the program ends.

Why it matters: dropout still zeroes random activations and batch norm normalises with the batch's
own statistics (and updates its running ones): predictions are noisy and depend on the batch.

Not a problem: generating GAN samples under `no_grad` in train mode between training steps (a
`backward()` follows), models without dropout or batch norm, a model that was never trained, a run
cut short between a forward and its backward (the second form is only judged when the target
exits normally).""",
    facts=(EvaluatedInTrainMode,),
    find=find,
    watcher=Watch,
)
