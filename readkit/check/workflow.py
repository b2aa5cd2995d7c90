"""The training workflow as the child sees it: backward, step, zero_grad, modes.

This module measures; the checks in readkit/check/checks/ judge. Each method is
called by an instrumentation point (readkit.check.instrument) with the line of
user code responsible, and records *facts* for the checks:

- `accumulated`: a step whose parameters still carry the previous step's
  gradient plus new ones (same .grad tensor, changed in place, never cleared);
- `step-no-grad`: a step while every parameter's .grad is None, or with no
  backward since this optimizer's previous step and gradients left untouched;
- `unchanged`: sampled steps after which parameters with non-zero gradients kept
  their values;
- `outside`: parameters of called modules that received gradients but belong
  to no optimizer;
- `eval-backward` / `train-inference`: dropout/batch-norm modes at backward and
  under no_grad;
- `softmax-ce`, `non-finite`: what the loss was made of and its value.

Cost: full bookkeeping for the first FULL_STEPS steps of each optimizer, then
every SAMPLE_EVERY-th step (a step and the one after it, so that "between two
steps" stays observable).
"""

from __future__ import annotations

import math
import weakref
from dataclasses import dataclass, field
from typing import Any

import torch

from readkit.check.recorder import Recorder

FULL_STEPS = 50
SAMPLE_EVERY = 25
VALUE_CHECK_STEPS = (1, 2, 3, 10, 50)  # steps whose parameter values are compared before/after
OUTSIDE_CHECK_STEPS = (1, 2, 3, 10, 50)  # and every 100th: a model re-created mid-run shows later
_MODE_SENSITIVE = (torch.nn.modules.dropout._DropoutNd, torch.nn.modules.batchnorm._BatchNorm)

Line = tuple[str, int]


@dataclass
class OptimizerState:
    index: int
    line: Line | None
    steps: int = 0
    last_step_event: int = -1
    backward_at_last_step: int = -1
    snapshot: dict[int, tuple[int, int]] = field(default_factory=dict)  # id(param) -> (id(grad), version)
    before: list[tuple[torch.Tensor, torch.Tensor]] = field(default_factory=list)


def sampled(step: int) -> bool:
    return step <= FULL_STEPS or step % SAMPLE_EVERY in (0, 1)


def params_of(optimizer: torch.optim.Optimizer) -> list[torch.Tensor]:
    return [p for group in optimizer.param_groups for p in group["params"]]


class Workflow:
    def __init__(self, recorder: Recorder) -> None:
        self.recorder = recorder
        self.events = 0
        self.backwards = 0
        self.last_backward_event = -1
        self.optimizers: weakref.WeakKeyDictionary[Any, OptimizerState] = weakref.WeakKeyDictionary()
        self.last_clear: dict[int, int] = {}  # id(param) -> event number of its last clearing
        self.grad_owner: dict[int, int] = {}  # grad data_ptr -> id(param)
        self.modes_since_backward = [0, 0]  # [train, eval] forwards of dropout/BN with grad enabled
        self.first_eval_line: Line | None = None
        self.pending_inference: dict[int, Line] = {}  # id(top module) -> no_grad train-mode call line
        self.top_modules: weakref.WeakValueDictionary[int, torch.nn.Module] = weakref.WeakValueDictionary()
        self.module_lines: dict[int, Line] = {}
        self.reported: set[tuple[str, Line]] = set()
        self.manual: dict[int, tuple[int, int, int]] = {}  # id(leaf) -> (id(grad), version, event)

    def _tick(self) -> int:
        self.events += 1
        return self.events

    def _once(self, kind: str, line: Line | None, **data: Any) -> None:
        if line is None or (kind, line) in self.reported:
            return
        self.reported.add((kind, line))
        self.recorder.fact(kind, path=line[0], line=line[1], **data)

    # -- optimizers -------------------------------------------------------------

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
        if not sampled(state.steps) or closure:
            state.snapshot.clear()
            return
        params = [p for p in params_of(optimizer) if p.requires_grad]
        with_grad = [p for p in params if p.grad is not None]
        self._check_no_grad(state, params, with_grad, line)
        self._check_accumulated(state, with_grad, line)
        if state.steps in VALUE_CHECK_STEPS:
            state.before = [(p, p.detach().clone()) for p in with_grad if _grad(p).ne(0).any()]

    def _check_no_grad(self, state: OptimizerState, params: list[torch.Tensor], with_grad: list[torch.Tensor],
                       line: Line | None) -> None:
        if params and not with_grad:
            self._once("step-no-grad", line, reason="none", optimizer_line=state.line)
            return
        if with_grad and all(self.last_clear.get(id(p), -1) > self.last_backward_event for p in with_grad) \
                and all(not _grad(p).any() for p in with_grad):  # zeroed, not assigned (autograd.grad)
            self._once("step-no-grad", line, reason="cleared", optimizer_line=state.line)
            return
        if state.last_step_event < 0 or self.backwards > state.backward_at_last_step:
            return
        untouched = all(state.snapshot.get(id(p)) == (id(p.grad), _grad(p)._version) for p in with_grad)
        if untouched or all(not _grad(p).any() for p in with_grad):
            self._once("step-no-grad", line, reason="no-backward", optimizer_line=state.line)

    def _check_accumulated(self, state: OptimizerState, with_grad: list[torch.Tensor], line: Line | None) -> None:
        if not state.snapshot:
            return
        accumulated = 0
        for p in with_grad:
            before = state.snapshot.get(id(p))
            cleared = self.last_clear.get(id(p), -1) > state.last_step_event
            if before is not None and not cleared and before[0] == id(p.grad) \
                    and _grad(p)._version != before[1]:
                accumulated += 1
        if accumulated:
            self._once("accumulated", line, params=accumulated, total=len(with_grad), optimizer_line=state.line)

    def after_step(self, optimizer: Any, line: Line | None, closure: bool) -> None:
        state = self.state_of(optimizer)
        state.last_step_event = self._tick()
        state.backward_at_last_step = self.backwards
        if closure or not sampled(state.steps + 1):
            state.snapshot.clear()
            state.before = []
            return
        params = params_of(optimizer)
        with_grad = [p for p in params if p.grad is not None]
        state.snapshot = {id(p): (id(p.grad), _grad(p)._version) for p in with_grad}
        for p in with_grad:
            self.grad_owner[_grad(p).data_ptr()] = id(p)
        self._compare_values(state, line)
        if state.steps in OUTSIDE_CHECK_STEPS or state.steps % 100 == 0:
            self._check_outside(line)

    def _compare_values(self, state: OptimizerState, line: Line | None) -> None:
        if not state.before:
            return
        unchanged = [p for p, value in state.before if torch.equal(p.detach(), value)]
        self.recorder.fact("unchanged", path=line[0] if line else None, line=line[1] if line else None,
                           optimizer=state.index, step=state.steps, checked=len(state.before),
                           unchanged=len(unchanged), shapes=[list(p.shape) for p in unchanged[:4]],
                           lrs=sorted({float(g.get("lr", 0.0)) for g in self._groups(state)}),
                           optimizer_line=state.line)
        state.before = []

    def _groups(self, state: OptimizerState) -> list[dict[str, Any]]:
        for optimizer, candidate in self.optimizers.items():
            if candidate is state:
                return list(optimizer.param_groups)
        return []

    # -- gradients cleared -------------------------------------------------------

    def cleared(self, params: list[torch.Tensor]) -> None:
        event = self._tick()
        for p in params:
            self.last_clear[id(p)] = event

    def grad_zeroed(self, tensor: torch.Tensor) -> None:
        owner = self.grad_owner.get(tensor.data_ptr())
        if owner is not None:
            self.last_clear[owner] = self._tick()

    def manual_update(self, tensor: torch.Tensor, line: Line | None) -> None:
        """`w -= lr * w.grad` under no_grad: a step without an optimizer, checked like one."""
        grad = tensor.grad
        if grad is None or not tensor.is_leaf or not tensor.requires_grad or torch.is_grad_enabled():
            return
        key = id(tensor)
        before = self.manual.get(key)
        if before is not None and before[0] == id(grad) and grad._version != before[1] \
                and self.last_clear.get(key, -1) < before[2]:
            self._once("accumulated", line, params=1, total=1, optimizer_line=None)
        self.manual[key] = (id(grad), grad._version, self._tick())
        self.grad_owner[grad.data_ptr()] = key

    # -- backward and losses -------------------------------------------------------

    def backward(self, loss: Any, line: Line | None) -> None:
        self.backwards += 1
        self.last_backward_event = self._tick()
        self.pending_inference.clear()
        value = _scalar(loss)
        if value is not None:
            self.recorder.loss(value)
            if not math.isfinite(value):
                self._once("non-finite", line, value=repr(value))
        train, evaluated = self.modes_since_backward
        if evaluated and not train:
            self._once("eval-backward", line, module_line=self.first_eval_line)
        self.modes_since_backward = [0, 0]
        self.first_eval_line = None

    def loss_input(self, loss_name: str, logits: Any, line: Line | None) -> None:
        grad_fn = getattr(logits, "grad_fn", None)
        if grad_fn is not None and type(grad_fn).__name__.startswith("SoftmaxBackward"):
            self._once("softmax-ce", line, loss=loss_name)

    # -- modules --------------------------------------------------------------------

    def top_module_called(self, module: torch.nn.Module, line: Line | None) -> None:
        key = id(module)
        self.top_modules[key] = module
        if line is not None:
            self.module_lines.setdefault(key, line)
        if torch.is_grad_enabled() and key in self.pending_inference:
            self._once("train-inference", self.pending_inference.pop(key))

    def mode_sensitive_forward(self, module: torch.nn.Module, top: torch.nn.Module | None,
                               top_line: Line | None) -> None:
        if isinstance(module, torch.nn.modules.dropout._DropoutNd) and getattr(module, "p", 1.0) == 0:
            return
        if not module.training and _frozen(module):
            return  # batch norm frozen on purpose (eval mode, no trainable affine parameters)
        if torch.is_grad_enabled():
            self.modes_since_backward[0 if module.training else 1] += 1
            if not module.training and self.first_eval_line is None:
                self.first_eval_line = top_line
        elif module.training and top is not None and top_line is not None:
            self.pending_inference.setdefault(id(top), top_line)

    def _check_outside(self, line: Line | None) -> None:
        owned = {id(p) for optimizer in list(self.optimizers) for p in params_of(optimizer)}
        for key, module in list(self.top_modules.items()):
            stray = [p for p in module.parameters() if p.grad is not None and id(p) not in owned]
            if stray:
                where = self.module_lines.get(key)
                self._once("outside", where, params=len(stray), module=type(module).__name__,
                           step_line=line, ids=[id(p) for p in stray])

    def finish(self) -> None:
        """At exit: inference still pending, and outside-optimizer facts re-checked against all optimizers."""
        for line in list(self.pending_inference.values()):
            self._once("train-inference", line)
        owned = {id(p) for optimizer in list(self.optimizers) for p in params_of(optimizer)}
        facts = self.recorder.facts.get("outside", [])
        facts[:] = [f for f in facts if any(i not in owned for i in f.get("ids", []))]
        for optimizer, state in list(self.optimizers.items()):
            with_grad = [p for p in params_of(optimizer) if p.grad is not None]
            if state.steps == 0 and self.backwards >= 2 and with_grad:
                self._once("never-stepped", state.line, backwards=self.backwards)


def _frozen(module: torch.nn.Module) -> bool:
    params = list(module.parameters(recurse=False))
    return bool(params) and not any(p.requires_grad for p in params)


def _grad(param: torch.Tensor) -> torch.Tensor:
    """.grad of a parameter already known to have one."""
    grad = param.grad
    assert grad is not None
    return grad


def _scalar(loss: Any) -> float | None:
    if isinstance(loss, torch.Tensor) and loss.numel() == 1:
        return float(loss.detach().reshape(()).item())
    return None


def is_mode_sensitive(module: torch.nn.Module) -> bool:
    return isinstance(module, _MODE_SENSITIVE)
