"""Put the observation points in place inside the child, and take them out at the end."""

from __future__ import annotations

import functools
import sys
from dataclasses import dataclass
from typing import Any, Callable

import torch
import torch.export  # noqa: F401  (a submodule: loaded so that it can be wrapped)
import torch.optim.optimizer as optimizer_module
from torch.nn.modules import module as module_module

from readkit.check import compare, instrument
from readkit.check.frames import FrameClassifier
from readkit.check.instrument import ObserveMode, Observer
from readkit.check.recorder import Recorder
from readkit.check.tracer import Tracer
from readkit.check.workflow import Workflow


@dataclass
class Instruments:
    observer: Observer
    tracer: Tracer
    mode: ObserveMode
    undo: list[Callable[[], None]]

    def stop(self) -> None:
        self.tracer.stop()
        for action in reversed(self.undo):
            try:
                action()
            except Exception:
                pass
        self.undo.clear()


def _patch(owner: Any, name: str, replacement: Callable[..., Any], undo: list[Callable[[], None]]) -> None:
    original = getattr(owner, name)
    setattr(owner, name, replacement)
    undo.append(lambda: setattr(owner, name, original))


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


def _wrap_override(cls: type, name: str, wrap: Callable[[Callable[..., Any]], Callable[..., Any]],
                   undo: list[Callable[[], None]]) -> None:
    """Wrap `cls.name` when cls defines it itself (once): overrides bypass the base class's wrapper."""
    if name in vars(cls) and not getattr(vars(cls)[name], "_readkit_wrapped", False):
        wrapped = wrap(vars(cls)[name])
        setattr(wrapped, "_readkit_wrapped", True)
        _patch(cls, name, wrapped, undo)


def _announced(original: Callable[..., Any], qualname: str, observer: Observer) -> Callable[..., Any]:
    """`original`, with its call recorded on the calling user line."""

    @functools.wraps(original)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        observer.api_use(qualname)
        return original(*args, **kwargs)

    return wrapper


def _observed_backward(original: Callable[..., Any]) -> Callable[..., Any]:
    """A custom autograd.Function's backward runs inside `loss.backward()`, while the mode is popped
    (it is handling that call): push it again so that the target's backward code is observed."""

    @functools.wraps(original)
    def apply(self: Any, *args: Any) -> Any:
        mode = instrument._ACTIVE["mode"]
        current = torch.overrides._get_current_function_mode()
        if mode is None or instrument.Guard.busy or current is mode:
            return original(self, *args)
        with mode:
            return original(self, *args)

    return apply


def install(recorder: Recorder, user_roots: tuple[str, ...]) -> Instruments:
    classifier = FrameClassifier(user_roots)
    workflow = Workflow(recorder)
    observer = Observer(classifier, recorder, workflow)
    undo: list[Callable[[], None]] = []
    _install_hooks(observer, undo)
    _install_wrappers(observer, recorder, undo)
    mode = ObserveMode(observer)
    mode.__enter__()  # type: ignore[no-untyped-call]
    instrument._ACTIVE["mode"] = mode
    undo.append(lambda: mode.__exit__(None, None, None))  # type: ignore[no-untyped-call]
    tracer = Tracer(classifier, recorder)
    tracer.start()
    return Instruments(observer, tracer, mode, undo)


def _install_hooks(observer: Observer, undo: list[Callable[[], None]]) -> None:
    handles = [
        module_module.register_module_forward_pre_hook(lambda module, args: observer.forward_pre(module)),
        module_module.register_module_forward_hook(
            lambda module, args, output: observer.forward_post(), always_call=True),
        optimizer_module.register_optimizer_step_pre_hook(
            lambda opt, args, kwargs: observer.step(opt, args, kwargs, False)),
        optimizer_module.register_optimizer_step_post_hook(
            lambda opt, args, kwargs: observer.step(opt, args, kwargs, True)),
    ]
    undo.extend(handle.remove for handle in handles)


def _install_wrappers(observer: Observer, recorder: Recorder, undo: list[Callable[[], None]]) -> None:
    optimizer = torch.optim.Optimizer
    clear_after = functools.partial(_after, then=observer.zero_grad)

    def created(instance: Any) -> None:
        observer.optimizer_created(instance)
        _wrap_override(type(instance), "zero_grad", clear_after, undo)  # a subclass's own zero_grad

    _patch(optimizer, "__init__", _after(optimizer.__init__, created), undo)
    _patch(optimizer, "zero_grad", clear_after(optimizer.zero_grad), undo)
    module = torch.nn.Module
    _patch(module, "zero_grad", _after(module.zero_grad, observer.zero_grad), undo)

    for name in _MODULE_GENERATORS:
        _patch(module, name, _announced(getattr(module, name), f"torch.nn.Module.{name}", observer), undo)

    def line_of() -> Any:
        return observer.line_of(sys._getframe(2))

    backward_node = torch.autograd.function.BackwardCFunction
    _patch(backward_node, "apply", _observed_backward(backward_node.apply), undo)
    _patch(torch.jit, "trace", compare.wrap_trace(torch.jit.trace, recorder, line_of), undo)
    _patch(torch.export, "export", compare.wrap_export(torch.export.export, recorder, line_of), undo)
    _patch(torch, "compile", compare.wrap_compile(torch.compile, recorder, line_of), undo)
