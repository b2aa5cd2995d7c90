"""non-finite-loss: backward() on a NaN or infinite loss."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from readkit.check.checks import Found, WorkflowCheck
from readkit.check.workflow_facts import Fact, Facts, Line
from readkit.check.watcher import Run, Watcher


@dataclass(frozen=True, kw_only=True)
class NonFiniteLoss(Fact):
    """backward() ran on a loss whose value was NaN or infinite (at the backward's line)."""

    kind = "non-finite"
    value: str  # repr of the value: "nan", "inf"


class Watch(Watcher):
    def on_backward(self, run: Run, loss: Any, value: float | None, line: Line | None) -> None:
        if value is not None and line is not None and not math.isfinite(value):
            run.report(NonFiniteLoss(path=line[0], line=line[1], value=repr(value)))


def find(facts: Facts) -> list[Found]:
    return [Found(f.path, f.line, f"the loss was {f.value} at backward()") for f in facts.of(NonFiniteLoss)]


CHECK = WorkflowCheck(
    id="non-finite-loss",
    summary="the loss is NaN or infinite",
    instead="The reference workflow's loss stays finite and decreases: lower the learning rate, check the "
            "inputs for NaN, use log_softmax/cross_entropy rather than log(softmax(x)).",
    docs="""What it does: reads the scalar loss at every `backward()`; fires at the first NaN or infinity.

Why it matters: one non-finite loss turns every parameter it reaches into NaN.""",
    facts=(NonFiniteLoss,),
    find=find,
    watcher=Watch,
)
