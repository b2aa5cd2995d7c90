"""The observation points inside the child, torch's own extension points first.

- a TorchFunctionMode: every torch function, Tensor method and Tensor
  attribute access (`x.view`, `torch.randn`, `.grad`) made directly by a user
  line is that line's use; `backward`, `cross_entropy` and in-place zeroing of
  gradients feed the workflow;
- global module forward pre/post hooks: which modules run, in which mode,
  called from which line;
- global optimizer step pre/post hooks: the workflow around `step`;
- light wrapping where torch has no hook: `Optimizer.__init__`,
  `Optimizer.zero_grad`, `Module.zero_grad`, `torch.jit.trace`, `torch.compile`.

Every instrumentation point guards itself (`Guard.busy`) so that readkit's own
torch calls are never observed, and swallows its own errors: a bug here must
never change what the target computes or make it fail.
"""

from __future__ import annotations

import contextlib
import functools
import sys
from types import FrameType
from typing import Any, Callable, Iterator

import torch
from torch.overrides import TorchFunctionMode

from readkit.check.frames import TORCH, FrameClassifier
from readkit.check.names import cached_role, qualname_of_callable
from readkit.check.recorder import Recorder
from readkit.check.workflow import Line, Workflow, is_mode_sensitive

_BACKWARD = {"torch.Tensor.backward", "torch.autograd.backward"}
_LOSSES_OF_SCORES = {"torch.nn.functional.cross_entropy": "cross_entropy", "torch.nn.functional.nll_loss": "nll_loss"}
_UPDATES = {"torch.Tensor.sub_", "torch.Tensor.add_", "torch.Tensor.__isub__", "torch.Tensor.__iadd__",
            "torch.Tensor.addcmul_", "torch.Tensor.addcdiv_"}
_ZEROING = {"torch.Tensor.zero_", "torch.Tensor.fill_", "torch.Tensor.mul_"}


class Guard:
    busy = False
    errors = 0


def guarded(method: Callable[..., None]) -> Callable[..., None]:
    """Run an observation with readkit's own torch calls hidden; never raise into the target."""

    @functools.wraps(method)
    def run(*args: Any, **kwargs: Any) -> None:
        if Guard.busy:
            return
        Guard.busy = True
        try:
            method(*args, **kwargs)
        except Exception:  # an observation failed: the target must not notice
            Guard.errors += 1
        finally:
            Guard.busy = False

    return run


class Observer:
    def __init__(self, classifier: FrameClassifier, recorder: Recorder, workflow: Workflow) -> None:
        self.classifier = classifier
        self.recorder = recorder
        self.workflow = workflow
        self.tracing_calls = True  # the tracer records Python-level torch calls itself
        self._names: dict[Any, tuple[str, str | None]] = {}
        self.module_stack: list[tuple[torch.nn.Module, Line | None]] = []

    def line_of(self, frame: FrameType | None) -> Line | None:
        user = self.classifier.innermost_user_frame(frame)
        return (user.f_code.co_filename, user.f_lineno) if user is not None else None

    def name(self, func: Any) -> tuple[str, str | None]:
        try:
            return self._names[func]
        except (KeyError, TypeError):
            qualname = qualname_of_callable(func)
            name = (qualname, cached_role(qualname))
            try:
                self._names[func] = name
            except TypeError:
                pass
            return name

    def direct_frame(self, frame: FrameType | None) -> FrameType | None:
        """The user frame that called this torch function directly, dispatch frames allowed
        when the tracer is off (F.relu -> handle_torch_function -> the mode)."""
        user = self.classifier.direct_user_frame(frame)
        if user is not None or self.tracing_calls:
            return user
        owner = self.classifier.first_owner(frame)
        if owner is not None and owner.f_code.co_filename.endswith("torch/overrides.py"):
            return self.classifier.direct_user_frame(owner.f_back and owner.f_back.f_back)
        return None

    # -- the mode ------------------------------------------------------------------

    @guarded
    def before_call(self, func: Any, args: tuple[Any, ...], frame: FrameType | None, out: list[Any]) -> None:
        qualname, role = self.name(func)
        user = self.direct_frame(frame)
        if user is not None:
            if self.recorder.use(user.f_code, user.f_lineno, qualname, role):
                out.append((user.f_code, user.f_lineno))
        if qualname in _BACKWARD and args:
            self.workflow.backward(args[0], self.line_of(frame))
        elif qualname in _LOSSES_OF_SCORES and args:
            self.workflow.loss_input(_LOSSES_OF_SCORES[qualname], args[0], self.line_of(frame))
        elif qualname in _UPDATES and args and isinstance(args[0], torch.Tensor) and not torch.is_grad_enabled():
            self.workflow.manual_update(args[0], self.line_of(frame))
        elif qualname == "torch._foreach_zero_" and args and isinstance(args[0], (list, tuple)):
            for tensor in args[0]:
                self.workflow.grad_zeroed(tensor)
        elif qualname in _ZEROING and args and isinstance(args[0], torch.Tensor):
            if qualname != "torch.Tensor.mul_" or (len(args) > 1 and args[1] == 0):
                self.workflow.grad_zeroed(args[0])

    @guarded
    def after_call(self, where: tuple[Any, int], result: Any) -> None:
        self.recorder.shape_at(where[0], where[1], result)

    @guarded
    def api_use(self, qualname: str) -> None:
        """A wrapped torch API (a generator method such as Module.parameters) called by user code."""
        user = self.classifier.direct_user_frame(sys._getframe())
        if user is not None:
            self.recorder.use(user.f_code, user.f_lineno, qualname, cached_role(qualname))

    # -- module hooks ----------------------------------------------------------------

    @guarded
    def forward_pre(self, module: torch.nn.Module) -> None:
        top = self.module_stack[0] if self.module_stack else None
        line = self.line_of(sys._getframe())
        if top is None:
            self.workflow.top_module_called(module, line)
        if is_mode_sensitive(module):
            self.workflow.mode_sensitive_forward(module, top[0] if top else module, top[1] if top else line)
        self.module_stack.append((module, line))

    @guarded
    def forward_post(self) -> None:
        if self.module_stack:
            self.module_stack.pop()

    # -- optimizers -------------------------------------------------------------------

    @guarded
    def optimizer_created(self, optimizer: Any) -> None:
        self.workflow.optimizer_created(optimizer, self.line_of(sys._getframe()))

    @guarded
    def step(self, optimizer: Any, args: tuple[Any, ...], kwargs: dict[str, Any], after: bool) -> None:
        rest = args[1:] if args and args[0] is optimizer else args  # torch passes (self, *args)
        closure = (bool(rest) and rest[0] is not None) or kwargs.get("closure") is not None
        line = self.line_of(sys._getframe())
        if after:
            self.workflow.after_step(optimizer, line, closure)
        else:
            self.workflow.before_step(optimizer, line, closure)

    @guarded
    def zero_grad(self, owner: Any) -> None:
        if isinstance(owner, torch.nn.Module):
            self.workflow.cleared(list(owner.parameters()))
        else:
            self.workflow.cleared([p for group in owner.param_groups for p in group["params"]])


_ACTIVE: dict[str, Any] = {"mode": None, "tracer": None}


@contextlib.contextmanager
def paused() -> Iterator[None]:
    """Observation fully off: for compiled code (dynamo must not trace readkit) and readkit's own runs."""
    was_busy, Guard.busy = Guard.busy, True
    trace = sys.gettrace()
    sys.settrace(None)
    mode = _ACTIVE["mode"]
    popped = mode is not None and torch.overrides._get_current_function_mode() is mode
    try:
        if popped:
            with torch.overrides._pop_mode_temporarily():
                yield
        else:
            yield
    finally:
        sys.settrace(trace)
        Guard.busy = was_busy


class ObserveMode(TorchFunctionMode):
    """Sees every torch call that reaches Python's torch-function layer, in any depth."""

    def __init__(self, observer: Observer) -> None:
        super().__init__()
        self.observer = observer

    def __torch_function__(self, func: Any, types: Any, args: tuple[Any, ...] = (),
                           kwargs: dict[str, Any] | None = None) -> Any:
        if Guard.busy:
            return func(*args, **(kwargs or {}))
        where: list[Any] = []
        self.observer.before_call(func, args, sys._getframe(1), where)
        result = func(*args, **(kwargs or {}))
        if where:
            self.observer.after_call(where[0], result)
        return result


def is_torch_frame(classifier: FrameClassifier, frame: FrameType) -> bool:
    return classifier.kind(frame.f_code) == TORCH
