"""step-without-gradients: `step` with every .grad None, or with no backward since the last step."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from readkit.check.checks import Found, WorkflowCheck
from readkit.check.workflow_facts import Fact, Facts, Line
from readkit.check.watcher import OptimizerState, Run, Watcher

if TYPE_CHECKING:
    import torch

_REASONS = {
    "none": "every parameter's .grad was None at this step",
    "no-backward": "no backward() ran since this optimizer's previous step, so the gradients were stale or zero",
    "cleared": "the gradients were cleared (zero_grad) after the last backward() and before this step",
}


@dataclass(frozen=True, kw_only=True)
class StepWithoutGradients(Fact):
    """A step found no fresh gradient to follow (at the step's line)."""

    kind = "step-no-grad"
    reason: str  # one of _REASONS
    optimizer_line: Line | None


class Watch(Watcher):
    def before_step(self, run: Run, optimizer: Any, state: OptimizerState, line: Line | None) -> None:
        if line is None:
            return
        params = [p for p in run.params_of(optimizer) if p.requires_grad]
        with_grad = [p for p in params if p.grad is not None]
        reason = _reason(run, state, params, with_grad)
        if reason is not None:
            run.report(StepWithoutGradients(path=line[0], line=line[1], reason=reason, optimizer_line=state.line))


def _reason(run: Run, state: OptimizerState, params: list[torch.Tensor],
            with_grad: list[torch.Tensor]) -> str | None:
    if params and not with_grad:
        return "none"
    grads = [p.grad for p in with_grad if p.grad is not None]
    if grads and all(run.last_clear.get(id(p), -1) > run.last_backward_event for p in with_grad) \
            and all(not _any(g) for g in grads):  # zeroed, not assigned (autograd.grad)
        return "cleared"
    if state.last_step_event < 0 or run.backwards > state.backward_at_last_step:
        return None
    untouched = all(state.snapshot.get(id(p)) == (id(p.grad), p.grad._version) for p in with_grad
                    if p.grad is not None)
    if untouched or all(not _any(g) for g in grads):
        return "no-backward"
    return None


def _any(grad: torch.Tensor) -> bool:
    return bool((grad.coalesce().values() if grad.is_sparse else grad).any())


def find(facts: Facts) -> list[Found]:
    return [Found(f.path, f.line, _REASONS.get(f.reason, "no gradient to follow"))
            for f in facts.of(StepWithoutGradients)]


CHECK = WorkflowCheck(
    id="step-without-gradients",
    summary="optimizer.step() ran without fresh gradients",
    instead="The reference workflow computes the loss and calls loss.backward() before every "
            "optimizer.step(): step only follows the gradients that backward() stored in .grad.",
    docs="""What it does: at each `step`, fires when every trainable parameter of the optimizer has
`.grad` None, when no `backward()` ran since this optimizer's previous `step` and the gradients
were left untouched (or are all zero), or when `zero_grad()` ran between the last `backward()` and
the `step`.

Why it matters: the step does nothing (or repeats an old update); the model does not learn.

Not a problem: LBFGS-style `step(closure)` (the closure runs backward inside step), gradients
assigned by hand (`p.grad = ...`) or computed by `torch.autograd.grad` and stored, frozen layers.""",
    facts=(StepWithoutGradients,),
    find=find,
    watcher=Watch,
)
