"""parameters-outside-optimizer: parameters that receive gradients but no optimizer updates."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from readkit.check.checks import Found, WorkflowCheck, where
from readkit.check.workflow_facts import Fact, Facts, Line
from readkit.check.watcher import OptimizerState, Run, Watcher

CHECK_AT_STEPS = (1, 2, 3, 10, 50)  # and every 100th: a model re-created mid-run shows later


@dataclass(frozen=True, kw_only=True)
class OutsideOptimizer(Fact):
    """Parameters of a module (at the line that first called it) with gradients that no optimizer holds."""

    kind = "outside"
    params: int
    module: str  # the module's class name
    step_line: Line | None  # the step at which it was seen


class Watch(Watcher):
    def __init__(self) -> None:
        self.stray: list[tuple[OutsideOptimizer, set[int]]] = []  # each fact with the ids of its parameters

    def after_step(self, run: Run, optimizer: Any, state: OptimizerState, line: Line | None) -> None:
        if state.steps not in CHECK_AT_STEPS and state.steps % 100 != 0:
            return
        owned = run.owned()
        for key, module in list(run.top_modules.items()):
            stray = {id(p) for p in module.parameters() if p.grad is not None and id(p) not in owned}
            at = run.module_lines.get(key)
            if stray and at is not None:
                fact = OutsideOptimizer(path=at[0], line=at[1], params=len(stray), module=type(module).__name__,
                                        step_line=line)
                if all(known.where != fact.where for known, _ in self.stray):
                    run.report(fact)
                    self.stray.append((fact, stray))

    def on_finish(self, run: Run) -> None:
        """A second optimizer built later (a GAN's) may own them after all."""
        owned = run.owned()
        for fact, ids in self.stray:
            if ids <= owned:
                run.withdraw(fact)


def find(facts: Facts) -> list[Found]:
    return [Found(f.path, f.line, f"{f.params} parameters of this {f.module} received gradients but belong to no "
                                  f"optimizer (seen at the step on {where(f.step_line)})")
            for f in facts.of(OutsideOptimizer)]


CHECK = WorkflowCheck(
    id="parameters-outside-optimizer",
    summary="parameters receive gradients but belong to no optimizer",
    instead="The reference workflow passes all the model's parameters to the optimizer "
            "(optim.SGD(model.parameters(), ...)), and freezes the ones it does not train "
            "with requires_grad_(False) so that no gradient is computed for them.",
    docs="""What it does: at the first steps, looks at the parameters of every module called from the
target's code; fires when some have a `.grad` but no optimizer holds them (checked again at exit
against all optimizers, so a GAN's second optimizer counts).

Why it matters: those parameters never learn, and computing their gradients is wasted.

Not a problem: frozen layers (`requires_grad=False`), modules only run under `no_grad`, manual
updates without any optimizer.""",
    facts=(OutsideOptimizer,),
    find=find,
    watcher=Watch,
)
