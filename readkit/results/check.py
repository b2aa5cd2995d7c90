"""Results of `readkit check`: what ran, line by line, and what it means.

The JSON shape in docs/check.md is rendered from these; the migrator and the
HTML report read them too.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from readkit.results import display

STATUSES = ("ok", "failed", "timeout", "killed")
WORKFLOW_STATUSES = ("checked", "not-checked")
VERDICTS = ("confirmed", "refuted", "unobservable", "not-reached")


@dataclass(frozen=True)
class LineObservation:
    """Everything torch did on one line of the target's own code."""

    path: str
    line: int
    roles: tuple[str, ...]  # roles used directly by this line, sorted
    calls: int  # torch calls made directly by this line
    shapes: tuple[str, ...] = ()  # first few distinct "float32[64, 10] cpu" of tensors produced here
    symbols: tuple[str, ...] = ()  # qualified torch names called here, first few
    # the exception the run stopped with when this is the line it stopped on ("IndexError: invalid
    # index of a 0-dim tensor ..."), "" otherwise; set by check.facts, not by the instrumentation
    raised: str = ""


@dataclass(frozen=True)
class BuiltModule:
    """Instances of one of the target's own nn.Module classes, built at one place during the run."""

    cls: str  # the class's qualified name in its file ("Net", "Outer.Block")
    class_path: str  # the file that defines the class
    path: str  # where they were built (`model = Net()`, or `self.block = Block()` in another module)
    line: int
    instances: int  # how many were built there
    parameters: int | None = None  # of the first one, when its first call returned (or at exit); None: never counted
    trainable: int | None = None  # of those, the ones with requires_grad


@dataclass(frozen=True)
class Problem:
    check: str  # id, e.g. "gradients-accumulate"
    path: str
    line: int
    message: str


@dataclass(frozen=True)
class AnnotationVerdict:
    path: str
    line: int
    role: str
    evidence: str
    verdict: str  # one of VERDICTS


@dataclass(frozen=True)
class MissedUse:
    path: str
    line: int
    role: str


@dataclass(frozen=True)
class TargetFailure:
    """Why the target did not finish cleanly."""

    kind: str  # "exception", "exit", "timeout", "killed", "memory"
    message: str  # e.g. "IndexError: invalid index of a 0-dim tensor"
    path: str | None = None
    line: int | None = None


@dataclass(frozen=True)
class CheckResult:
    target: str
    status: str  # one of STATUSES
    exit_code: int | None
    seconds: float
    problems: tuple[Problem, ...] = ()
    lines: tuple[LineObservation, ...] = ()
    annotations: tuple[AnnotationVerdict, ...] = ()
    missed: tuple[MissedUse, ...] = ()
    failure: TargetFailure | None = None
    losses: tuple[float, ...] = ()  # scalar losses seen at backward(), in order (the migrator compares these)
    output: str = ""  # captured stdout+stderr tail (with --quiet)
    extra: dict[str, object] = field(default_factory=dict)
    suppressed: tuple[Problem, ...] = ()  # problems silenced by `# readkit: ignore[check-id]` on their line
    instrumentation_errors: tuple[str, ...] = ()  # readkit's own observation failures ("where: Type: message")
    workflow: str = "checked"  # one of WORKFLOW_STATUSES: did the checks have a training to look at
    workflow_reason: str | None = None  # why not, when "not-checked"
    modules: tuple[BuiltModule, ...] = ()  # the target's own nn.Modules built, with their parameter counts

    def files_named(self) -> tuple[str, ...]:
        """Every file of the target the run says something about, as the checker named them."""
        named = [o.path for o in self.lines] + [v.path for v in self.annotations]
        named += [p.path for p in self.problems] + [m.path for m in self.missed]
        return tuple(dict.fromkeys(p for p in named if not p.startswith("<")))

    # Views for notebooks and terminals: formatters registered by readkit.render (results/display.py).
    def _repr_html_(self) -> str | None:
        return display.show(self, "html")

    def __str__(self) -> str:
        return display.show(self, "text") or repr(self)
