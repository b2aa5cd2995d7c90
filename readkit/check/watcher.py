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

from typing import TYPE_CHECKING, Any, ClassVar

if TYPE_CHECKING:
    from types import FrameType

    import torch

    from readkit.check.facts import Line
    from readkit.check.training import OptimizerState, Training

EVENTS = ("on_call", "on_forward", "on_backward", "before_step", "after_step", "on_manual_step", "on_traced",
          "on_compiled_call", "on_finish")


class Watcher:
    calls: ClassVar[frozenset[str]] = frozenset()  # torch functions (qualified names) whose calls on_call sees

    def on_call(self, run: Training, qualname: str, args: tuple[Any, ...], frame: FrameType | None) -> None:
        """A call of one of `calls` (args non-empty); `run.line_of(frame)` names its user line."""

    def on_forward(self, run: Training, module: torch.nn.Module, top: torch.nn.Module, top_line: Line | None) -> None:
        """A module's forward is about to run; `top` is the outermost module of this call (itself when
        called from the target's code directly) and `top_line` the target's line that called it."""

    def on_backward(self, run: Training, loss: Any, value: float | None, line: Line | None) -> None:
        """A backward pass: `backward()` on `loss` (its scalar value when it has one), or
        `torch.autograd.grad` (loss and value None); counts are already updated."""

    def before_step(self, run: Training, optimizer: Any, state: OptimizerState, line: Line | None) -> None:
        """A sampled `optimizer.step()` without a closure, before it runs."""

    def after_step(self, run: Training, optimizer: Any, state: OptimizerState, line: Line | None) -> None:
        """The same step, after it ran."""

    def on_manual_step(self, run: Training, param: torch.Tensor, line: Line | None) -> None:
        """An in-place update of a leaf with a gradient under no_grad (`w -= lr * w.grad`)."""

    def on_traced(self, run: Training, api: str, eager: Any, traced: Any, args: tuple[Any, ...],
                  line: Line | None) -> None:
        """`torch.jit.trace` / `torch.export.export` returned `traced` for `eager` on example `args`."""

    def on_compiled_call(self, run: Training, eager: Any, compiled: Any, args: tuple[Any, ...],
                         line: Line | None) -> None:
        """The first call of a `torch.compile` result, made with `args`, has just returned."""

    def on_finish(self, run: Training) -> None:
        """The target ended (`run.completed`: normally, exit status 0)."""


def overridden(watcher: Watcher, event: str) -> bool:
    return getattr(type(watcher), event) is not getattr(Watcher, event)
