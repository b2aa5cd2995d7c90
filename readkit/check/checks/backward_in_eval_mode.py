"""backward-in-eval-mode: training with dropout/batch norm in eval mode."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from readkit.check.checks import Found, WorkflowCheck, where
from readkit.check.workflow_facts import Fact, Facts, Line
from readkit.check.watcher import Run, Watcher

if TYPE_CHECKING:
    import torch


@dataclass(frozen=True, kw_only=True)
class BackwardInEvalMode(Fact):
    """backward() (at its line) on a loss for which every dropout/batch-norm layer ran in eval mode."""

    kind = "eval-backward"
    module_line: Line | None  # where the model was called


class Watch(Watcher):
    def __init__(self) -> None:
        self.train = 0  # forwards of dropout/batch norm with grad enabled since the last backward, in train mode
        self.evaluated = 0  # ... and in eval mode
        self.first_eval_line: Line | None = None

    def on_forward(self, run: Run, module: torch.nn.Module, top: torch.nn.Module, top_line: Line | None) -> None:
        if not run.grad_enabled() or not run.mode_sensitive(module):
            return
        if module.training:
            self.train += 1
        else:
            self.evaluated += 1
            if self.first_eval_line is None:
                self.first_eval_line = top_line

    def on_backward(self, run: Run, loss: Any, value: float | None, line: Line | None) -> None:
        if self.evaluated and not self.train and line is not None:
            run.report(BackwardInEvalMode(path=line[0], line=line[1], module_line=self.first_eval_line))
        self.train = self.evaluated = 0
        self.first_eval_line = None


def find(facts: Facts) -> list[Found]:
    return [Found(f.path, f.line, "backward() ran on a loss computed while the model's dropout/batch-norm layers "
                                  f"were in eval mode (model called on {where(f.module_line)})")
            for f in facts.of(BackwardInEvalMode)]


CHECK = WorkflowCheck(
    id="backward-in-eval-mode",
    summary="the model trains with dropout/batch norm in eval mode",
    instead="The reference workflow calls model.train() before its training loop and model.eval() "
            "(with torch.no_grad()) before evaluating, and switches back with model.train().",
    docs="""What it does: at each `backward()`, fires when every dropout/batch-norm layer that ran for
that loss was in eval mode (a `model.eval()` never undone). The opposite mistake, predictions
in train mode, is `evaluation-in-train-mode`.

Why it matters: dropout is off and batch norm uses (and never updates) its running statistics:
the model trains as a different network than the one it was designed to be.

Not a problem: freezing some batch-norm layers in eval mode while the rest trains.""",
    facts=(BackwardInEvalMode,),
    find=find,
    watcher=Watch,
)
