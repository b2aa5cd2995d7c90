"""traced-differs-from-eager: a torch.jit.trace result that is not the eager model on another input."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from readkit.check.checks import Found, WorkflowCheck, grouped
from readkit.check.workflow_facts import Fact, Facts, Line
from readkit.check.watcher import Run, Watcher


@dataclass(frozen=True, kw_only=True)
class TracedDiffers(Fact):
    """At a trace or export (its line), the traced version and eager disagreed on one variant of the input."""

    kind = "traced-differs"
    api: str  # "torch.jit.trace", "torch.export.export"
    variant: str  # "the example input negated", "a batch of 4 instead of 3"
    difference: str  # how they differ, in words


class Watch(Watcher):
    def on_traced(self, run: Run, api: str, eager: Any, traced: Any, args: tuple[Any, ...],
                  line: Line | None) -> None:
        from readkit.check.compare import compare_paused

        if line is None:
            return
        for variant, how in compare_paused(eager, traced, args, shapes=True):
            run.record(TracedDiffers(path=line[0], line=line[1], api=api, variant=variant, difference=how))


def find(facts: Facts) -> list[Found]:
    return grouped(facts.of(TracedDiffers), lambda f: f"{f.api} on {f.variant}: {f.difference}")


CHECK = WorkflowCheck(
    id="traced-differs-from-eager",
    summary="the traced or exported module differs from eager on an input of another shape or branch",
    instead="Tracing records the one path the example input took and freezes shapes and branches; "
            "the reference workflow uses torch.export with a dynamic Dim (and torch.cond for branches), "
            "or torch.compile, and compares with eager on more than the traced input.",
    docs="""What it does: right after `torch.jit.trace(f, example)` or `torch.export.export(m, args)`,
runs eager and the traced version (the exported program's `.module()`) on the example negated and on
a batch one larger and one smaller (restoring random state and batch-norm statistics afterwards) and
fires when they disagree or only the traced one fails — an export without a dynamic `Dim` refuses
other batch sizes, which is worth knowing before serving it.

Not a problem: a module without data-dependent branches and without sizes baked into it.""",
    facts=(TracedDiffers,),
    find=find,
    watcher=Watch,
)
