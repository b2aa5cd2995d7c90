"""gradients-accumulate: `step` after `step` with no `zero_grad` in between."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from readkit.check.checks import Found, WorkflowCheck, where
from readkit.check.workflow_facts import Fact, Facts, Line
from readkit.check.watcher import OptimizerState, Run, Watcher

if TYPE_CHECKING:
    import torch


@dataclass(frozen=True, kw_only=True)
class Accumulated(Fact):
    """At a step (or a manual update), parameters still held the previous step's gradient plus new ones."""

    kind = "accumulated"
    params: int  # parameters whose .grad was added to in place since the previous step, never cleared
    total: int  # parameters with a gradient at this step
    optimizer_line: Line | None  # where the optimizer was built; None: a manual update under no_grad


class Watch(Watcher):
    def __init__(self) -> None:
        self.manual: dict[int, tuple[int, int, int]] = {}  # id(leaf) -> (id(grad), version, event) at its update

    def before_step(self, run: Run, optimizer: Any, state: OptimizerState, line: Line | None) -> None:
        if not state.snapshot or line is None:
            return
        with_grad = [p for p in run.params_of(optimizer) if p.requires_grad and p.grad is not None]
        accumulated = sum(1 for p in with_grad if _added_to(run, state, p))
        if accumulated:
            run.report(Accumulated(path=line[0], line=line[1], params=accumulated, total=len(with_grad),
                                   optimizer_line=state.line))

    def on_manual_step(self, run: Run, param: torch.Tensor, line: Line | None) -> None:
        grad = param.grad
        assert grad is not None
        key = id(param)
        before = self.manual.get(key)
        if before is not None and line is not None and before[0] == id(grad) and grad._version != before[1] \
                and run.last_clear.get(key, -1) < before[2]:
            run.report(Accumulated(path=line[0], line=line[1], params=1, total=1, optimizer_line=None))
        self.manual[key] = (id(grad), grad._version, run.tick())


def _added_to(run: Run, state: OptimizerState, param: torch.Tensor) -> bool:
    """The same .grad tensor as after the previous step, changed in place, and not cleared since."""
    before = state.snapshot.get(id(param))
    grad = param.grad
    cleared = run.last_clear.get(id(param), -1) > state.last_step_event
    return before is not None and grad is not None and not cleared and before[0] == id(grad) \
        and grad._version != before[1]


def find(facts: Facts) -> list[Found]:
    return [Found(f.path, f.line, f"{f.params} of {f.total} parameters still held the previous step's gradient "
                  + (f"(optimizer from {where(f.optimizer_line)})" if f.optimizer_line is not None
                     else "(a manual update under no_grad, without w.grad.zero_() in between)"))
            for f in facts.of(Accumulated)]


CHECK = WorkflowCheck(
    id="gradients-accumulate",
    summary="gradients accumulate from one step to the next",
    instead="The reference workflow calls optimizer.zero_grad() in every iteration before backward(), "
            "because backward() adds to .grad rather than replacing it.",
    docs="""What it does: compares each parameter's `.grad` at a `step` with the one left by the previous
step; it fires when the same gradient tensor was added to in place and never cleared in between
(`optimizer.zero_grad()`, `model.zero_grad()`, `p.grad = None`, `p.grad.zero_()`). Manual updates
without an optimizer (`w -= lr * w.grad` under `no_grad`) are checked the same way, update to update.

Why it matters: each step then follows the sum of all past gradients, not the current one.

Not a problem (does not fire): accumulating on purpose (several `backward()` per `step`, then
`zero_grad()`), `zero_grad(set_to_none=True)` after `step`, `model.zero_grad()`, two optimizers in a
GAN each zeroing its own parameters, LBFGS closures.""",
    facts=(Accumulated,),
    find=find,
    watcher=Watch,
)
