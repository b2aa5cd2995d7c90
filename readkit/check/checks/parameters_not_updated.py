"""parameters-not-updated: parameters with non-zero gradients that a step left unchanged."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from readkit.check.checks import Found, WorkflowCheck, where
from readkit.check.workflow_facts import Fact, Facts, Line
from readkit.check.watcher import OptimizerState, Run, Watcher

if TYPE_CHECKING:
    import torch

VALUE_CHECK_STEPS = (1, 2, 3, 10, 50)  # steps whose parameter values are compared before/after
MIN_SAMPLES = 2


@dataclass(frozen=True, kw_only=True)
class UnchangedAfterStep(Fact):
    """One sampled step: how many parameters with non-zero gradients it left as they were."""

    kind = "unchanged"
    optimizer: int  # the optimizer's creation order
    step: int
    checked: int  # parameters with a non-zero gradient before the step
    unchanged: int  # of those, the ones equal after it
    lrs: tuple[float, ...]  # the optimizer's learning rates
    optimizer_line: Line | None


@dataclass(frozen=True, kw_only=True)
class NeverStepped(Fact):
    """At exit: an optimizer (at its construction line) whose parameters got gradients but that never stepped."""

    kind = "never-stepped"
    backwards: int


class Watch(Watcher):
    def __init__(self) -> None:
        self.before: dict[int, list[tuple[torch.Tensor, torch.Tensor]]] = {}  # optimizer index -> (param, value)

    def before_step(self, run: Run, optimizer: Any, state: OptimizerState, line: Line | None) -> None:
        if state.steps in VALUE_CHECK_STEPS:
            self.before[state.index] = [(p, p.detach().clone()) for p in run.params_of(optimizer)
                                        if p.requires_grad and p.grad is not None and _nonzero(p.grad)]

    def after_step(self, run: Run, optimizer: Any, state: OptimizerState, line: Line | None) -> None:
        before = self.before.pop(state.index, [])
        if not before or line is None:
            return
        unchanged = sum(1 for p, value in before if p.detach().equal(value))
        lrs = tuple(sorted({float(group.get("lr", 0.0)) for group in optimizer.param_groups}))
        run.record(UnchangedAfterStep(path=line[0], line=line[1], optimizer=state.index, step=state.steps,
                                      checked=len(before), unchanged=unchanged, lrs=lrs, optimizer_line=state.line))

    def on_finish(self, run: Run) -> None:
        for optimizer, state in run.optimizer_states():
            stepped = any(p.grad is not None for p in run.params_of(optimizer))
            if state.steps == 0 and run.backwards >= 2 and stepped and state.line is not None:
                run.report(NeverStepped(path=state.line[0], line=state.line[1], backwards=run.backwards))


def _nonzero(grad: torch.Tensor) -> bool:
    values = grad.coalesce().values() if grad.is_sparse else grad  # embeddings with sparse=True
    return bool(values.ne(0).any())


def find(facts: Facts) -> list[Found]:
    by_optimizer: dict[int, list[UnchangedAfterStep]] = {}
    for fact in facts.of(UnchangedAfterStep):
        by_optimizer.setdefault(fact.optimizer, []).append(fact)
    found = []
    for samples in by_optimizer.values():
        # All of them, not some: a bias in front of batch norm has a gradient of ~1e-9 whose
        # update rounds away in float32, and that is not a bug.
        if len(samples) >= MIN_SAMPLES and all(0 < s.unchanged == s.checked for s in samples):
            last = samples[-1]
            found.append(Found(last.path, last.line,
                               f"{last.unchanged} of {last.checked} parameters with non-zero gradients "
                               f"kept their values over {len(samples)} sampled steps (learning rates "
                               f"{list(last.lrs)}; optimizer from {where(last.optimizer_line)})"))
    found += [Found(f.path, f.line, f"backward() ran {f.backwards} times but this optimizer's step() never did")
              for f in facts.of(NeverStepped)]
    return found


CHECK = WorkflowCheck(
    id="parameters-not-updated",
    summary="optimizer.step() did not change parameters that have gradients",
    instead="The reference workflow builds the optimizer from model.parameters() with a learning rate "
            "above zero (optim.SGD(model.parameters(), lr=1e-2)), so that each step moves every "
            "parameter against its gradient.",
    docs="""What it does: on a few sampled steps (the 1st, 2nd, 3rd, 10th, 50th), compares parameters
with non-zero gradients before and after `step`; fires when none of them moved in any sample
(learning rate 0, parameters replaced after the optimizer was built, a step that skips them). It
also fires, at the optimizer's construction, when `backward()` ran at least twice and gradients
reached the optimizer's parameters but its `step()` never ran.

Not a problem: a learning-rate warm-up that starts at 0 (later samples move), frozen parameters
(no gradient), parameters whose gradient is zero.""",
    facts=(UnchangedAfterStep, NeverStepped),
    find=find,
    watcher=Watch,
)
