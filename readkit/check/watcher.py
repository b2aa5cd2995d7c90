"""What a workflow check watches inside the child: the training's events, one method each.

A check that needs the run's events defines a `Watcher` subclass next to its
facts and its judgement (readkit/check/checks/<id>.py) and overrides only the
events it needs; the child builds one instance per run and calls it with the
shared `Training` state (optimizers, backward count, gradient clearing, the
modules called) and the line of the target's code responsible. A watcher
records facts with `run.report(...)` (once per line) or `run.record(...)`.

Every event is observed with readkit's own torch calls hidden, and an error in a
watcher is caught and reported as an instrumentation error: the target never
notices. Watchers must not import torch at module level (the parent process
imports the checks to judge facts and never needs torch); the objects they are
given carry torch's methods.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar, Iterator, Mapping, Protocol

from readkit.check.workflow_facts import Fact, Line

if TYPE_CHECKING:
    from types import FrameType

    import torch

@dataclass
class OptimizerState:
    """What the child keeps about one optimizer (readkit.check.training maintains it)."""

    index: int  # creation order
    line: Line | None  # where it was built
    steps: int = 0
    watched: bool = False  # this step is sampled and has no closure: watchers see it
    updating: bool = False  # some step found gradients to follow: its parameters are being trained
    last_step_event: int = -1
    backward_at_last_step: int = -1
    snapshot: dict[int, tuple[int, int]] = field(default_factory=dict)  # id(param) -> (id(grad), version) after a step


class Run(Protocol):
    """The shared training state a watcher reads and records into (readkit.check.training.Training)."""

    backwards: int  # backward passes so far (backward() and autograd.grad)
    last_backward_event: int  # event number of the last one
    steps_taken: int  # optimizer steps with gradients to follow, and manual updates
    completed: bool  # at on_finish: the target exited with status 0
    last_clear: dict[int, int]  # id(param) -> event number of its gradient's last clearing
    module_lines: dict[int, Line]  # id(top module) -> the first line that called it

    @property
    def top_modules(self) -> Mapping[int, torch.nn.Module]: ...  # id -> the modules the target called

    def line_of(self, frame: FrameType | None) -> Line | None: ...

    def record(self, fact: Fact) -> None: ...

    def report(self, fact: Fact) -> None: ...

    def withdraw(self, fact: Fact) -> None: ...

    def tick(self) -> int: ...

    def params_of(self, optimizer: Any) -> list[torch.Tensor]: ...

    def owned(self) -> set[int]: ...

    def optimizer_states(self) -> Iterator[tuple[Any, OptimizerState]]: ...

    def trained(self, module: torch.nn.Module) -> bool: ...

    def grad_enabled(self) -> bool: ...

    def mode_sensitive(self, module: torch.nn.Module) -> bool: ...


EVENTS = ("on_call", "on_forward", "on_backward", "before_step", "after_step", "on_manual_step", "on_traced",
          "on_compiled_call", "on_finish")


class Watcher:
    calls: ClassVar[frozenset[str]] = frozenset()  # torch functions (qualified names) whose calls on_call sees

    def on_call(self, run: Run, qualname: str, args: tuple[Any, ...], frame: FrameType | None) -> None:
        """A call of one of `calls` (args non-empty); `run.line_of(frame)` names its user line."""

    def on_forward(self, run: Run, module: torch.nn.Module, top: torch.nn.Module, top_line: Line | None) -> None:
        """A module's forward is about to run; `top` is the outermost module of this call (itself when
        called from the target's code directly) and `top_line` the target's line that called it."""

    def on_backward(self, run: Run, loss: Any, value: float | None, line: Line | None) -> None:
        """A backward pass: `backward()` on `loss` (its scalar value when it has one), or
        `torch.autograd.grad` (loss and value None); counts are already updated."""

    def before_step(self, run: Run, optimizer: Any, state: OptimizerState, line: Line | None) -> None:
        """A sampled `optimizer.step()` without a closure, before it runs."""

    def after_step(self, run: Run, optimizer: Any, state: OptimizerState, line: Line | None) -> None:
        """The same step, after it ran."""

    def on_manual_step(self, run: Run, param: torch.Tensor, line: Line | None) -> None:
        """An in-place update of a leaf with a gradient under no_grad (`w -= lr * w.grad`)."""

    def on_traced(self, run: Run, api: str, eager: Any, traced: Any, args: tuple[Any, ...],
                  line: Line | None) -> None:
        """`torch.jit.trace` / `torch.export.export` returned `traced` for `eager` on example `args`."""

    def on_compiled_call(self, run: Run, eager: Any, compiled: Any, args: tuple[Any, ...],
                         line: Line | None) -> None:
        """The first call of a `torch.compile` result, made with `args`, has just returned."""

    def on_finish(self, run: Run) -> None:
        """The target ended (`run.completed`: normally, exit status 0)."""


def overridden(watcher: Watcher, event: str) -> bool:
    return getattr(type(watcher), event) is not getattr(Watcher, event)
