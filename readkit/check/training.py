"""The training as the child sees it: optimizers and their steps, backward, gradient clearing, modules.

This module keeps the state every check shares and hands each event to the
checks' watchers (readkit.check.watcher); the checks in readkit/check/checks/
decide what is a problem and declare the facts they record. The
instrumentation points (readkit.check.instrument) call the methods here with
the line of user code responsible.

Cost: full bookkeeping for the first FULL_STEPS steps of each optimizer, then
every SAMPLE_EVERY-th step (a step and the one after it, so that "between two
steps" stays observable); watchers see `before_step`/`after_step` on those
sampled steps only.
"""

from __future__ import annotations

import weakref
from types import FrameType
from typing import Any, Callable, Iterator

import torch

from readkit.check.workflow_facts import Fact, Line
from readkit.check.recorder import Recorder
from readkit.check.watcher import EVENTS, OptimizerState, Watcher, overridden

FULL_STEPS = 50
SAMPLE_EVERY = 25
_MODE_SENSITIVE = (torch.nn.modules.dropout._DropoutNd, torch.nn.modules.batchnorm._BatchNorm)
_UPDATES = frozenset({"torch.Tensor.sub_", "torch.Tensor.add_", "torch.Tensor.__isub__", "torch.Tensor.__iadd__",
                      "torch.Tensor.addcmul_", "torch.Tensor.addcdiv_"})
_ZEROING = frozenset({"torch.Tensor.zero_", "torch.Tensor.fill_", "torch.Tensor.mul_"})

CallHandler = Callable[[str, tuple[Any, ...], "FrameType | None"], None]


def sampled(step: int) -> bool:
    return step <= FULL_STEPS or step % SAMPLE_EVERY in (0, 1)


class Training:
    def __init__(self, recorder: Recorder, watchers: dict[str, Watcher],
                 line_of: Callable[[FrameType | None], Line | None]) -> None:
        self.recorder = recorder
        self.line_of = line_of
        self.events = 0
        self.backwards = 0
        self.last_backward_event = -1
        self.steps_taken = 0  # optimizer steps that had gradients to follow, and manual updates
        self.completed = False  # set at exit: the target ended with status 0
        self.optimizers: weakref.WeakKeyDictionary[Any, OptimizerState] = weakref.WeakKeyDictionary()
        self.last_clear: dict[int, int] = {}  # id(param) -> event number of its last clearing
        self.grad_owner: dict[int, int] = {}  # grad data_ptr -> id(param)
        self.manually_updated: set[int] = set()  # ids of leaves updated in place under no_grad
        self.top_modules: weakref.WeakValueDictionary[int, torch.nn.Module] = weakref.WeakValueDictionary()
        self.module_lines: dict[int, Line] = {}  # id(top module) -> the first line that called it
        self._reported: set[tuple[str, Line]] = set()
        self._handlers = _handlers(watchers)
        self.call_handlers = self._call_handlers(watchers)  # at any depth
        self.direct_call_handlers = self._direct_call_handlers()  # only when the target's line made the call

    # -- facts ----------------------------------------------------------------------

    def record(self, fact: Fact) -> None:
        self.recorder.fact(fact)

    def report(self, fact: Fact) -> None:
        """Record `fact` unless one of its kind was already recorded at its line."""
        key = (fact.kind, fact.where)
        if key not in self._reported:
            self._reported.add(key)
            self.recorder.fact(fact)

    def withdraw(self, fact: Fact) -> None:
        """Take back a fact that the end of the run disproved."""
        self.recorder.withdraw(fact)

    # -- what watchers read ------------------------------------------------------------

    def tick(self) -> int:
        self.events += 1
        return self.events

    def params_of(self, optimizer: Any) -> list[torch.Tensor]:
        return [p for group in optimizer.param_groups for p in group["params"]]

    def owned(self) -> set[int]:
        """ids of every parameter some optimizer holds."""
        return {id(p) for optimizer in list(self.optimizers) for p in self.params_of(optimizer)}

    def optimizer_states(self) -> Iterator[tuple[Any, OptimizerState]]:
        return iter(list(self.optimizers.items()))

    def trained(self, module: torch.nn.Module) -> bool:
        """Some parameter of `module` was updated: by an optimizer that stepped with gradients, or by hand."""
        stepped = set(self.manually_updated)
        for optimizer, state in self.optimizer_states():
            if state.updating:
                stepped.update(id(p) for p in self.params_of(optimizer))
        return any(id(p) in stepped for p in module.parameters())

    def grad_enabled(self) -> bool:
        return torch.is_grad_enabled()

    def mode_sensitive(self, module: torch.nn.Module) -> bool:
        """Dropout or batch norm whose mode changes what it computes (not p=0, not frozen in eval)."""
        if not isinstance(module, _MODE_SENSITIVE):
            return False
        if isinstance(module, torch.nn.modules.dropout._DropoutNd) and getattr(module, "p", 1.0) == 0:
            return False
        return module.training or not _frozen(module)  # batch norm frozen on purpose: no trainable affine

    # -- events -----------------------------------------------------------------------

    def _emit(self, event: str, *args: Any) -> None:
        for name, handler in self._handlers[event]:
            try:
                handler(self, *args)
            except Exception as error:  # a check's bug: reported, never raised into the target
                self.recorder.instrumentation_error(f"{name}.{event}", error)

    def optimizer_created(self, optimizer: Any, line: Line | None) -> None:
        self.optimizers[optimizer] = OptimizerState(len(self.optimizers), line)

    def state_of(self, optimizer: Any) -> OptimizerState:
        state = self.optimizers.get(optimizer)
        if state is None:
            state = self.optimizers[optimizer] = OptimizerState(len(self.optimizers), None)
        return state

    def before_step(self, optimizer: Any, line: Line | None, closure: bool) -> None:
        state = self.state_of(optimizer)
        state.steps += 1
        if not state.updating:
            state.updating = any(p.grad is not None for p in self.params_of(optimizer))
        state.watched = sampled(state.steps) and not closure
        if not state.watched:
            state.snapshot.clear()
            return
        self._emit("before_step", optimizer, state, line)

    def after_step(self, optimizer: Any, line: Line | None) -> None:
        state = self.state_of(optimizer)
        state.last_step_event = self.tick()
        state.backward_at_last_step = self.backwards
        self.steps_taken += state.updating
        self.recorder.training["steps"] += 1
        state.snapshot.clear()
        if not state.watched:
            return
        if sampled(state.steps + 1):
            for p in self.params_of(optimizer):
                grad = p.grad
                if grad is not None:
                    state.snapshot[id(p)] = (id(grad), grad._version)
                    if grad.layout == torch.strided:  # a sparse gradient has no storage to point at
                        self.grad_owner[grad.data_ptr()] = id(p)
        self._emit("after_step", optimizer, state, line)

    def cleared(self, params: list[torch.Tensor]) -> None:
        event = self.tick()
        for p in params:
            self.last_clear[id(p)] = event

    def backward(self, outputs: Any, line: Line | None, loss: bool = True) -> None:
        """A backward pass: `backward()` on a loss, or (`loss=False`) `torch.autograd.grad(outputs, ...)`,
        whose outputs are not the training loss (a gradient penalty's, a hand-made step's)."""
        self.backwards += 1
        self.recorder.training["backwards"] = self.backwards
        self.last_backward_event = self.tick()
        value = _scalar(outputs) if loss else None
        if value is not None:
            self.recorder.loss(value)
        self._emit("on_backward", outputs if loss else None, value, line)

    def forward(self, module: torch.nn.Module, top: torch.nn.Module, top_line: Line | None) -> None:
        key = id(top)
        if key not in self.top_modules:
            self.top_modules[key] = top
        if top_line is not None:
            self.module_lines.setdefault(key, top_line)
        self._emit("on_forward", module, top, top_line)

    def traced(self, api: str, eager: Any, traced: Any, args: tuple[Any, ...], line: Line | None) -> None:
        self._emit("on_traced", api, eager, traced, args, line)

    def compiled_call(self, eager: Any, compiled: Any, args: tuple[Any, ...], line: Line | None) -> None:
        self._emit("on_compiled_call", eager, compiled, args, line)

    def finish(self, completed: bool) -> None:
        self.completed = completed
        self._emit("on_finish")

    # -- torch calls: gradients zeroed by hand, manual updates, and the watchers' own ------------

    def _direct_call_handlers(self) -> dict[str, list[CallHandler]]:
        """Gradients zeroed and parameters updated by the target's own lines (inside torch, an
        optimizer's `step` and `zero_grad` are observed as such)."""
        table: dict[str, list[CallHandler]] = {}
        for qualname in _ZEROING | {"torch._foreach_zero_"}:
            table.setdefault(qualname, []).append(self._zeroed)
        for qualname in _UPDATES:
            table.setdefault(qualname, []).append(self._updated)
        return table

    def _call_handlers(self, watchers: dict[str, Watcher]) -> dict[str, list[CallHandler]]:
        table: dict[str, list[CallHandler]] = {}
        for name, watcher in watchers.items():
            for qualname in watcher.calls:
                table.setdefault(qualname, []).append(_call_handler(self, name, watcher))
        return table

    def _zeroed(self, qualname: str, args: tuple[Any, ...], frame: FrameType | None) -> None:
        if qualname == "torch._foreach_zero_":
            tensors = list(args[0]) if isinstance(args[0], (list, tuple)) else []
        elif qualname == "torch.Tensor.mul_" and not (len(args) > 1 and isinstance(args[1], (int, float))
                                                     and args[1] == 0):
            return
        else:
            tensors = [args[0]]
        for tensor in tensors:
            dense = isinstance(tensor, torch.Tensor) and tensor.layout == torch.strided
            owner = self.grad_owner.get(tensor.data_ptr()) if dense else None
            if owner is not None:
                self.last_clear[owner] = self.tick()

    def _updated(self, qualname: str, args: tuple[Any, ...], frame: FrameType | None) -> None:
        """`w -= lr * w.grad` under no_grad: a step without an optimizer."""
        param = args[0]
        if not isinstance(param, torch.Tensor) or torch.is_grad_enabled() or not param.is_leaf \
                or not param.requires_grad or param.grad is None:
            return
        self.steps_taken += 1
        self.recorder.training["steps"] += 1
        self.manually_updated.add(id(param))
        line = self.line_of(frame)
        self._emit("on_manual_step", param, line)
        if param.grad.layout == torch.strided:
            self.grad_owner[param.grad.data_ptr()] = id(param)


def _handlers(watchers: dict[str, Watcher]) -> dict[str, list[tuple[str, Callable[..., None]]]]:
    """For each event, the watchers that override it, as bound methods (called with the run first)."""
    return {event: [(name, getattr(watcher, event)) for name, watcher in watchers.items()
                    if overridden(watcher, event)] for event in EVENTS}


def _call_handler(run: Training, name: str, watcher: Watcher) -> CallHandler:
    def handle(qualname: str, args: tuple[Any, ...], frame: FrameType | None) -> None:
        try:
            watcher.on_call(run, qualname, args, frame)
        except Exception as error:
            run.recorder.instrumentation_error(f"{name}.on_call", error)

    return handle


def _frozen(module: torch.nn.Module) -> bool:
    params = list(module.parameters(recurse=False))
    return bool(params) and not any(p.requires_grad for p in params)


def _scalar(loss: Any) -> float | None:
    if isinstance(loss, torch.Tensor) and loss.numel() == 1:
        return float(loss.detach().reshape(()).item())
    return None
