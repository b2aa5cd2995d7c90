"""Put the observation points in place inside the child, hide them on demand, take them out at the end.

Everything installed is registered in one `Installed` object, so that
`readkit.check.instrument.hidden()` can take it all out while torch transforms
the program (trace, script, export, compile, fx) and put it back afterwards:
patched attributes get their originals back, global hooks leave torch's hook
tables, the TorchFunctionMode leaves the mode stack.
"""

from __future__ import annotations

import functools
import sys
from dataclasses import dataclass, field
from typing import Any, Callable

import torch
import torch.optim.optimizer as optimizer_module
from torch.utils.hooks import RemovableHandle

from readkit.check import instrument
from readkit.check.checks import watchers
from readkit.check.frames import FrameClassifier
from readkit.check.impersonate import Trampolines
from readkit.check.instrument import ObserveMode, Observer
from readkit.check.recorder import Recorder
from readkit.check.torchnames import describe_names
from readkit.check.tracer import Tracer
from readkit.check.training import Training
from readkit.check.transforms import install_transforms

_ABSENT = object()


@dataclass
class Patch:
    owner: Any
    name: str
    original: Any  # _ABSENT: the owner inherited it (hiding deletes the replacement)
    replacement: Any

    def hide(self) -> None:
        if self.original is _ABSENT:
            delattr(self.owner, self.name)
        else:
            setattr(self.owner, self.name, self.original)

    def show(self) -> None:
        setattr(self.owner, self.name, self.replacement)


@dataclass
class Installed:
    """What readkit put into torch, and how to hide and restore it (instrument.Hideable)."""

    patches: list[Patch] = field(default_factory=list)
    hooks: list[RemovableHandle] = field(default_factory=list)
    mode: ObserveMode | None = None
    _detached: list[tuple[dict[Any, Any], Any, Any]] = field(default_factory=list)
    _above: list[Any] | None = None  # modes pushed above ours, while ours is out of the stack

    def patch(self, owner: Any, name: str, replacement: Any) -> None:
        original = vars(owner).get(name, _ABSENT) if isinstance(owner, type) else getattr(owner, name)
        self.patches.append(Patch(owner, name, original, replacement))
        setattr(owner, name, replacement)

    def hide(self) -> None:
        for patch in reversed(self.patches):
            patch.hide()
        for handle in self.hooks:
            for ref in (handle.hooks_dict_ref, *handle.extra_dict_ref):
                table = ref()
                if table is not None and handle.id in table:
                    self._detached.append((table, handle.id, table.pop(handle.id)))
        self._above = _pop_mode(self.mode)

    def show(self) -> None:
        if self._above is not None:
            _push_mode(self.mode, self._above)
            self._above = None
        for table, key, value in self._detached:
            table[key] = value
        self._detached.clear()
        for patch in self.patches:
            patch.show()

    def remove(self) -> None:
        self.hide()
        self._above = None
        self._detached.clear()
        self.patches.clear()
        for handle in self.hooks:
            handle.remove()


def _pop_mode(mode: Any) -> list[Any] | None:
    """Take `mode` out of the function-mode stack, keeping the modes above it; None: it was not there."""
    stack = torch.overrides._get_current_function_mode_stack()
    if mode is None or not any(m is mode for m in stack):
        return None
    above: list[Any] = []
    while True:
        top = torch._C._pop_torch_function_stack()
        if top is mode:
            break
        above.append(top)
    for other in reversed(above):
        torch._C._push_on_torch_function_stack(other)
    return above


def _push_mode(mode: Any, above: list[Any]) -> None:
    for _ in above:
        torch._C._pop_torch_function_stack()
    torch._C._push_on_torch_function_stack(mode)
    for other in reversed(above):
        torch._C._push_on_torch_function_stack(other)


@dataclass
class Instruments:
    observer: Observer
    tracer: Tracer
    installed: Installed

    def stop(self) -> None:
        self.tracer.stop()
        instrument.unregister(self.installed)
        try:
            self.installed.remove()
        except Exception as error:
            self.observer.recorder.instrumentation_error("install.stop", error)

    def finish(self, completed: bool) -> None:
        """The target ended: the checks' last look (after `stop`: nothing of theirs is observed)."""
        with torch._C.DisableTorchFunction():
            recorder = self.observer.recorder
            try:
                self.observer.modules.finish()
            except Exception as error:  # the counts are extra: the checks' summary still runs
                recorder.instrumentation_error("modules.finish", error)
            self.observer.training.finish(completed)
            recorder.torch_names = describe_names(recorder.covered_files())


def _after(original: Callable[..., Any], then: Callable[[Any], None]) -> Callable[..., Any]:
    """`original`, then `then(self)`."""

    @functools.wraps(original)
    def wrapper(self: Any, *args: Any, **kwargs: Any) -> Any:
        result = original(self, *args, **kwargs)
        then(self)
        return result

    return wrapper


# Generator methods: calling one runs no torch frame until it is iterated (inside torch, often).
_MODULE_GENERATORS = ("parameters", "named_parameters", "buffers", "named_buffers", "children",
                      "named_children", "modules", "named_modules")


def _announced(original: Callable[..., Any], qualname: str, observer: Observer,
               trampolines: Trampolines | None = None) -> Callable[..., Any]:
    """`original`, with its call recorded on the calling user line (and, for a C function that may
    warn, called as from that line: readkit.check.impersonate)."""

    @functools.wraps(original)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        observer.api_use(qualname)
        if trampolines is not None:
            return trampolines.call_as(sys._getframe(1), original, args, kwargs)
        return original(*args, **kwargs)

    return wrapper


def _observed_backward(original: Callable[..., Any], installed: Installed) -> Callable[..., Any]:
    """A custom autograd.Function's backward runs inside `loss.backward()`, while the mode is popped
    (it is handling that call): push it again so that the target's backward code is observed."""

    @functools.wraps(original)
    def apply(self: Any, *args: Any) -> Any:
        mode = installed.mode
        current = torch.overrides._get_current_function_mode()
        if mode is None or instrument.Guard.busy or current is mode:
            return original(self, *args)
        with mode:
            return original(self, *args)

    return apply


def install(recorder: Recorder, user_roots: tuple[str, ...]) -> Instruments:
    classifier = FrameClassifier(user_roots)
    observer_box: list[Observer] = []
    training = Training(recorder, watchers(), lambda frame: observer_box[0].line_of(frame))
    observer = Observer(classifier, recorder, training)
    observer_box.append(observer)
    installed = Installed()
    _install_hooks(observer, installed)
    _install_wrappers(observer, installed)
    install_transforms(observer, installed.patch)
    mode = ObserveMode(observer)
    mode.__enter__()  # type: ignore[no-untyped-call]  # our TorchFunctionMode subclass inherits an untyped __enter__
    installed.mode = mode
    instrument.register(installed)
    tracer = Tracer(classifier, recorder)
    tracer.start()
    observer.tracer = mode.tracer = tracer
    return Instruments(observer, tracer, installed)


def _observed_call(original: Callable[..., Any], observer: Observer) -> Callable[..., Any]:
    """Module._call_impl, seen: which module runs, from which line. Not a global forward hook: those
    live in tables the program (and dynamo) can read, and send every call down torch's slow path."""
    stack = observer.module_stack
    uncounted = observer.modules.pending  # the target's own modules not counted yet (readkit.check.modules)

    @functools.wraps(original)
    def _call_impl(self: Any, *args: Any, **kwargs: Any) -> Any:
        if instrument.Guard.busy:
            return original(self, *args, **kwargs)
        depth = len(stack)
        observer.forward_pre(self)
        try:
            result = original(self, *args, **kwargs)
        finally:
            del stack[depth:]
        if id(self) in uncounted:
            observer.module_called(self)
        return result

    return _call_impl


def _install_constructors(observer: Observer, installed: Installed) -> None:
    """Tensor makers written in C that neither the mode nor the line tracer sees: `torch.from_numpy(a)`
    (wrapped), and `Variable(x)` (its Python metaclass gets a `__call__`: isinstance stays as it was).
    The legacy typed constructors (`torch.FloatTensor(2, 3)`) are C types whose metatype cannot be
    patched: not observed."""
    trampolines = Trampolines(observer.classifier.mark_transparent)
    installed.patch(torch, "from_numpy", _announced(torch.from_numpy, "torch.from_numpy", observer, trampolines))
    from torch.autograd.variable import VariableMeta

    def variable_call(cls: Any, *args: Any, **kwargs: Any) -> Any:
        observer.api_use("torch.autograd.Variable")
        return trampolines.call_as(sys._getframe(1), type.__call__, (cls, *args), kwargs)

    installed.patch(VariableMeta, "__call__", variable_call)


def _install_hooks(observer: Observer, installed: Installed) -> None:
    installed.patch(torch.nn.Module, "_call_impl", _observed_call(torch.nn.Module._call_impl, observer))
    installed.hooks += [
        optimizer_module.register_optimizer_step_pre_hook(
            lambda opt, args, kwargs: observer.step(opt, args, kwargs, False)),
        optimizer_module.register_optimizer_step_post_hook(
            lambda opt, args, kwargs: observer.step(opt, args, kwargs, True)),
    ]


def _install_wrappers(observer: Observer, installed: Installed) -> None:
    optimizer = torch.optim.Optimizer
    clear_after = functools.partial(_after, then=observer.zero_grad)

    def created(instance: Any) -> None:
        observer.optimizer_created(instance)
        cls = type(instance)  # a subclass's own zero_grad bypasses the base class's wrapper
        if "zero_grad" in vars(cls) and not getattr(vars(cls)["zero_grad"], "_readkit_wrapped", False):
            wrapped = clear_after(vars(cls)["zero_grad"])
            setattr(wrapped, "_readkit_wrapped", True)
            installed.patch(cls, "zero_grad", wrapped)

    installed.patch(optimizer, "__init__", _after(optimizer.__init__, created))
    installed.patch(optimizer, "zero_grad", clear_after(optimizer.zero_grad))
    module = torch.nn.Module
    installed.patch(module, "zero_grad", _after(module.zero_grad, observer.zero_grad))
    installed.patch(module, "__init__", _after(module.__init__, observer.module_built))
    for name in _MODULE_GENERATORS:
        installed.patch(module, name, _announced(getattr(module, name), f"torch.nn.Module.{name}", observer))
    _install_constructors(observer, installed)
    backward_node = torch.autograd.function.BackwardCFunction
    installed.patch(backward_node, "apply", _observed_backward(backward_node.apply, installed))
