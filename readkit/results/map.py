"""Results of `readkit map`: the map of a repository, as frozen dataclasses.

Every item says where it is (`Location`) and how sure readkit is: `sure` is False when
only a name or a shape of code suggests it, and `why` then says what it rests on (shown as
"probably ..."). `step` names the `readkit run-reference --step` that teaches the idea,
when one does. The JSON shape in docs/map.md is rendered from these.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Location:
    path: str  # as given on the command line, or relative to the mapped directory
    line: int  # 1-based; in a notebook, the line of its code cells joined as one program
    cell: int | None = None  # notebooks: the cell number (1-based among all cells)
    cell_line: int | None = None  # notebooks: the line in that cell


@dataclass(frozen=True)
class Submodule:
    name: str  # the attribute: "blocks", "fc1"
    builds: str  # what it is built from: "nn.Linear", "Block", "nn.ModuleList of Block"
    line: int


@dataclass(frozen=True)
class Model:
    """An nn.Module subclass (or an autograd.Function) defined in the repository."""

    name: str
    where: Location
    base: str  # the torch class it derives from: "torch.nn.Module"
    kind: str  # "model", "loss" or "autograd-function"
    use: str  # "top-level" (built outside any module), "submodule" (built only inside modules), "not-built"
    submodules: tuple[Submodule, ...] = ()
    built_at: tuple[Location, ...] = ()
    sure: bool = True
    why: str | None = None
    step: str | None = None
    parameters: int | None = None  # with --run: the run's count of its parameters (the first one built), when made
    trainable: int | None = None  # with --run: of those, the ones with requires_grad
    shapes: tuple[str, ...] = ()  # with --run: first tensors made on the lines that call it (its output among them)


@dataclass(frozen=True)
class Construction:
    """A loss, optimizer, scheduler, GradScaler or DataLoader built somewhere, with what it is given."""

    kind: str  # "loss", "optimizer", "scheduler", "grad-scaler", "loader"
    what: str  # "torch.optim.Adam", or a user class name
    where: Location
    variable: str | None = None  # the name it is assigned to
    given: tuple[str, ...] = ()  # "params: netD.parameters() (Discriminator)", "lr=0.0002", ...
    sure: bool = True
    why: str | None = None
    step: str | None = None


@dataclass(frozen=True)
class LoopStep:
    kind: str  # one of STEP_KINDS
    where: Location
    text: str  # the source line, stripped
    note: str | None = None


STEP_KINDS = ("zero_grad", "forward", "loss", "backward", "unscale", "clip", "step", "scaler-update",
              "scheduler-step", "lr-by-hand", "autocast", "accumulate")


@dataclass(frozen=True)
class TrainingLoop:
    where: Location  # the `for`/`while` line
    header: str  # that line, stripped
    function: str | None  # the function it is in; None at module level
    steps: tuple[LoopStep, ...]
    notes: tuple[str, ...] = ()  # gradient accumulation, AMP, several optimizers, ...
    sure: bool = True
    why: str | None = None
    step: str | None = None
    losses: tuple[float, ...] = ()  # with --run: the losses backward saw, in order


@dataclass(frozen=True)
class Use:
    """One place of a kind: a Dataset class, an evaluation block, a checkpoint, a compile, ..."""

    kind: str  # see USE_KINDS
    what: str  # "torch.save", "ToyDataset", "no_grad block"
    where: Location
    text: str  # the source line, stripped
    sure: bool = True
    why: str | None = None
    step: str | None = None


USE_KINDS = ("dataset", "evaluation", "no-grad-update", "checkpoint-save", "checkpoint-load", "state-dict",
             "compile", "distributed", "device")


@dataclass(frozen=True)
class EntryPoint:
    kind: str  # "main-guard", "package-main", "console-script", "script", "notebook"
    name: str  # the file, or the console script's name
    where: Location
    runs: tuple[str, ...] = ()  # the calls it makes first
    sure: bool = True
    why: str | None = None


@dataclass(frozen=True)
class ReadingStep:
    what: str
    where: Location
    why: str


@dataclass(frozen=True)
class FileProblem:
    path: str
    message: str


@dataclass(frozen=True)
class RunSummary:
    """What `--run SCRIPT` saw (through `readkit check`)."""

    script: str
    status: str  # the check status: "ok", "failed", "timeout", "killed"
    losses: tuple[float, ...] = ()
    message: str | None = None  # why it failed, when it did


@dataclass(frozen=True)
class RepoMap:
    root: str
    files: int  # files read
    entry_points: tuple[EntryPoint, ...] = ()
    reading_order: tuple[ReadingStep, ...] = ()
    models: tuple[Model, ...] = ()
    constructions: tuple[Construction, ...] = ()
    loops: tuple[TrainingLoop, ...] = ()
    uses: tuple[Use, ...] = ()
    problems: tuple[FileProblem, ...] = ()
    run: RunSummary | None = None
    notes: tuple[str, ...] = field(default_factory=tuple)  # what the map could not decide, repo-wide

    def of_kind(self, *kinds: str) -> tuple[Use, ...]:
        return tuple(u for u in self.uses if u.kind in kinds)

    def built(self, *kinds: str) -> tuple[Construction, ...]:
        return tuple(c for c in self.constructions if c.kind in kinds)
