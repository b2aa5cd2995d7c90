"""compiled-differs-from-eager: a torch.compile result that is not the eager model."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from readkit.check.checks import Found, WorkflowCheck, grouped
from readkit.check.workflow_facts import Fact, Facts, Line
from readkit.check.watcher import Run, Watcher


@dataclass(frozen=True, kw_only=True)
class CompiledDiffers(Fact):
    """At a torch.compile (its line), the compiled version and eager disagreed on one variant of the input."""

    kind = "compiled-differs"
    variant: str
    difference: str


class Watch(Watcher):
    def on_compiled_call(self, run: Run, eager: Any, compiled: Any, args: tuple[Any, ...],
                         line: Line | None) -> None:
        from readkit.check.compare import compare_paused

        if line is None:
            return
        for variant, how in compare_paused(eager, compiled, args, shapes=False):
            run.record(CompiledDiffers(path=line[0], line=line[1], variant=variant, difference=how))


def find(facts: Facts) -> list[Found]:
    return grouped(facts.of(CompiledDiffers), lambda f: f"torch.compile on {f.variant}: {f.difference}")


CHECK = WorkflowCheck(
    id="compiled-differs-from-eager",
    summary="the compiled module differs from eager",
    instead="torch.compile must compute what eager computes; the reference workflow checks compiled against "
            "eager with torch.testing.assert_close before relying on it.",
    docs="""What it does: at the first call of a `torch.compile`d module or function, runs it and the
eager original on the input negated (another branch; same shape, so no recompilation for shape)
and fires when they disagree or only the compiled one fails.""",
    facts=(CompiledDiffers,),
    find=find,
    watcher=Watch,
)
