"""The observation points inside the child, torch's own extension points first.

- a TorchFunctionMode: every torch function, Tensor method and Tensor
  attribute access (`x.view`, `torch.randn`, `.grad`) made directly by a user
  line is that line's use; `backward`, and the calls the checks' watchers ask
  for, feed the training state (readkit.check.training);
- `Module._call_impl`, wrapped: which modules run, in which mode, called from
  which line (not global forward hooks: torch and dynamo read those tables, and
  they send every module call down torch's slow path);
- global optimizer step pre/post hooks: the workflow around `step`;
- light wrapping where torch has no hook: `Optimizer.__init__`,
  `Optimizer.zero_grad`, `Module.zero_grad`, `Module.__init__` (the target's own
  modules and their parameter counts: readkit.check.modules), and torch's program transformations
  (readkit.check.transforms), which run with all of this hidden.

Every instrumentation point guards itself (`Guard.busy`) so that readkit's own
torch calls are never observed, and catches its own errors: a bug here must
never change what the target computes or make it fail. The errors are kept,
counted, and reported with the result (`instrumentation_errors`).
"""

from __future__ import annotations

import contextlib
import functools
import sys
from types import FrameType
from typing import Any, Callable, Iterator, Protocol

import torch
from torch.overrides import TorchFunctionMode

from readkit.check.workflow_facts import Line
from readkit.check.frames import TORCH, FrameClassifier, self_of
from readkit.check.impersonate import Trampolines, dispatching_caller
from readkit.check.modules import BuiltModules
from readkit.check.names import cached_role, qualname_of_callable
from readkit.check.recorder import Recorder
from readkit.check.training import Training

_BACKWARD = frozenset({"torch.Tensor.backward", "torch.autograd.backward"})
_OVERRIDES = "torch/overrides.py"
_GRADIENTS = "torch.autograd.grad"  # a backward pass too, but its outputs are not the training loss


class Guard:
    busy = False


def guarded(method: Callable[..., None]) -> Callable[..., None]:
    """Run an observation with readkit's own torch calls hidden (from readkit's mode, and from any mode
    or tensor subclass of the target's: `DisableTorchFunction`); never raise into the target."""
    return _observing(method, torch._C.DisableTorchFunction)


def announcing(method: Callable[..., None]) -> Callable[..., None]:
    """`guarded` for events whose watchers run the target's own code again (traced vs eager): torch
    functions stay enabled for it, as the target has them; readkit hides itself (`hidden`)."""
    return _observing(method, contextlib.nullcontext)


def _observing(method: Callable[..., None],
               context: Callable[[], contextlib.AbstractContextManager[Any]]) -> Callable[..., None]:
    """One observation at a time (an observation's own torch calls are not observed again); a failed
    one is recorded as an instrumentation error, never raised into the target."""

    @functools.wraps(method)
    def run(self: Observer, *args: Any, **kwargs: Any) -> None:
        if Guard.busy:
            return
        Guard.busy = True
        try:
            with context():
                method(self, *args, **kwargs)
        except Exception as error:  # an observation failed: the target must not notice; the report will
            self.recorder.instrumentation_error(f"instrument.{method.__name__}", error)
        finally:
            Guard.busy = False

    return run


class Observer:
    def __init__(self, classifier: FrameClassifier, recorder: Recorder, training: Training) -> None:
        self.classifier = classifier
        self.recorder = recorder
        self.training = training
        self.tracer: Any = None  # readkit.check.tracer.Tracer, once started
        self._names: dict[Any, tuple[str, str | None]] = {}
        self.module_stack: list[tuple[torch.nn.Module, Line | None]] = []  # (top module, its line) per call
        self.modules = BuiltModules(classifier, recorder)  # the target's own modules, built and counted

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

    @property
    def tracing_calls(self) -> bool:
        """The line tracer is on, and records Python-level torch calls itself."""
        return self.tracer is not None and bool(self.tracer.active)

    def wanted_nested(self, func: Any) -> bool:
        """A torch function the checks need even when torch's own code calls it (a loss inside a
        loss module's forward, backward)."""
        qualname = self.name(func)[0]
        return qualname in _BACKWARD or qualname == _GRADIENTS or qualname in self.training.call_handlers

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
        if not args:
            return
        if qualname in _BACKWARD or qualname == _GRADIENTS:
            self.training.backward(args[0], self.line_of(frame), loss=qualname != _GRADIENTS)
            return
        handlers = self.training.call_handlers.get(qualname)
        if handlers is not None:
            for handle in handlers:
                handle(qualname, args, frame)
        if user is not None:
            for handle in self.training.direct_call_handlers.get(qualname, ()):
                handle(qualname, args, frame)

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
        if self.module_stack:
            top, line = self.module_stack[0]
        else:
            top, line = self._outermost(module)
        self.module_stack.append((top, line))
        self.training.forward(module, top, line)

    def _outermost(self, module: torch.nn.Module) -> tuple[torch.nn.Module, Line | None]:
        """The module the target called, and the line that called it. Usually `module` itself; but a
        model whose forward (or another method) the target called directly (`model.forward(x)`, the
        0.3-era idiom) passes no hook: the model is then the `self` of the user frame running."""
        frame = self.classifier.innermost_user_frame(sys._getframe(2))
        owner = self_of(frame)
        if not isinstance(owner, torch.nn.Module) or owner is module:
            return module, self._line(frame)
        while frame is not None and self_of(frame) is owner:
            frame = self.classifier.innermost_user_frame(frame.f_back)
        return owner, self._line(frame)

    @guarded
    def module_built(self, module: torch.nn.Module) -> None:
        self.modules.built(module, sys._getframe())

    @guarded
    def module_called(self, module: torch.nn.Module) -> None:
        self.modules.called(module)

    @staticmethod
    def _line(frame: FrameType | None) -> Line | None:
        return (frame.f_code.co_filename, frame.f_lineno) if frame is not None else None

    # -- optimizers -------------------------------------------------------------------

    @guarded
    def optimizer_created(self, optimizer: Any) -> None:
        self.training.optimizer_created(optimizer, self.line_of(sys._getframe()))

    @guarded
    def step(self, optimizer: Any, args: tuple[Any, ...], kwargs: dict[str, Any], after: bool) -> None:
        line = self.line_of(sys._getframe())
        if after:
            self.training.after_step(optimizer, line)
        else:
            rest = args[1:] if args and args[0] is optimizer else args  # torch passes (self, *args)
            closure = (bool(rest) and rest[0] is not None) or kwargs.get("closure") is not None
            self.training.before_step(optimizer, line, closure)

    @guarded
    def zero_grad(self, owner: Any) -> None:
        if isinstance(owner, torch.nn.Module):
            self.training.cleared(list(owner.parameters()))
        else:
            self.training.cleared([p for group in owner.param_groups for p in group["params"]])

    # -- program transformations (readkit.check.transforms) -------------------------------

    @announcing
    def traced(self, api: str, eager: Any, traced: Any, args: tuple[Any, ...], line: Line | None) -> None:
        self.training.traced(api, eager, traced, args, line)

    @announcing
    def compiled_call(self, eager: Any, compiled: Any, args: tuple[Any, ...], line: Line | None) -> None:
        self.training.compiled_call(eager, compiled, args, line)

    def user_line(self) -> Line | None:
        """The target's line that called the readkit wrapper this is called from."""
        return self.line_of(sys._getframe(1))


# ----------------------------------------------------------------------------
# Hiding: while torch traces, scripts, exports, compiles or symbolically traces, and while
# readkit runs its own comparisons, everything readkit installed is taken out (readkit.check.install
# registers how), so that torch sees the program exactly as `python script.py` would.


class Hideable(Protocol):
    def hide(self) -> None: ...

    def show(self) -> None: ...


_INSTALLED: list[Hideable] = []
_DEPTH = [0]


def register(installed: Hideable) -> None:
    _INSTALLED.append(installed)


def unregister(installed: Hideable) -> None:
    if installed in _INSTALLED:
        _INSTALLED.remove(installed)


@contextlib.contextmanager
def hidden() -> Iterator[None]:
    """Observation fully off, and every hook, wrapper and mode readkit installed taken out (re-entrant)."""
    _DEPTH[0] += 1
    outermost = _DEPTH[0] == 1
    was_busy, Guard.busy = Guard.busy, True
    trace = sys.gettrace()
    if outermost:
        sys.settrace(None)
        for installed in reversed(_INSTALLED):
            installed.hide()
    try:
        yield
    finally:
        if outermost:
            for installed in _INSTALLED:
                installed.show()
            sys.settrace(trace)
        Guard.busy = was_busy
        _DEPTH[0] -= 1


class _NoTracer:
    active = False


class ObserveMode(TorchFunctionMode):
    """Sees every torch call that reaches Python's torch-function layer, in any depth.

    A call made by torch's own code (an optimizer's update inside `step`, a layer's op inside its
    forward) is nobody's line: it passes straight through unless a check needs it, which keeps the
    cost of the forty-odd such calls a training step makes to a dict lookup each."""

    def __init__(self, observer: Observer) -> None:
        super().__init__()
        self.observer = observer
        self.kinds = observer.classifier.cache
        self.nested: dict[Any, bool] = {}  # torch function -> needed even when torch's code calls it
        self.tracer: Any = _NoTracer  # readkit.check.tracer.Tracer, once started
        self.trampolines = Trampolines(observer.classifier.mark_transparent)  # warnings land where they would

    def __torch_function__(self, func: Any, types: Any, args: tuple[Any, ...] = (),
                           kwargs: dict[str, Any] | None = None) -> Any:
        if Guard.busy:
            return func(*args, **(kwargs or {}))
        frame = sys._getframe(1)
        caller = dispatching_caller(frame, _OVERRIDES)
        if self.kinds.get(id(frame.f_code)) == TORCH and self.tracer.active:
            wanted = self.nested.get(func)
            if wanted is None:
                wanted = self._wanted_nested(func)
            if not wanted:
                return self.trampolines.call_as(caller, func, args, kwargs or {})
        where: list[Any] = []
        self.observer.before_call(func, args, frame, where)
        result = self.trampolines.call_as(caller, func, args, kwargs or {})
        if where:
            self.observer.after_call(where[0], result)
        return result

    def _wanted_nested(self, func: Any) -> bool:
        try:
            return self.nested[func]
        except KeyError:
            wanted = self.nested[func] = self.observer.wanted_nested(func)
            return wanted
        except TypeError:  # unhashable: decide each time
            return self.observer.wanted_nested(func)
