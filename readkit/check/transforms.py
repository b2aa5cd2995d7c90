"""torch's program transformations, run exactly as the program runs them: with readkit hidden.

`torch.jit.trace` records every op it sees, `check_trace` re-traces and
compares graphs, `torch.jit.script` and `torch.fx` read the program, dynamo
(`torch.compile`, `torch.export`) traces bytecode and guards on global state:
any op, hook or wrapper of readkit's seen while they work would change their
result (a `TracingCheckError` on a correct script, a warning about global hooks,
a different graph). So each is wrapped: the call is recorded on the target's
line, then runs under `readkit.check.instrument.hidden()` (every hook, wrapper,
the mode and line tracing taken out), and what it produced is announced to the
checks afterwards (`on_traced`, `on_compiled_call`), which compare it with
eager, also hidden.

What runs inside a transformation is not attributed to lines: a line that ran
only while torch traced it counts as not reached.
"""

from __future__ import annotations

import functools
import weakref
from typing import Any, Callable

import torch
import torch.export
import torch.fx

from readkit.check.instrument import Observer, hidden

Patcher = Callable[[Any, str, Any], None]


def install_transforms(observer: Observer, patch: Patcher) -> None:
    patch(torch.jit, "trace", _wrap_trace(torch.jit.trace, observer))
    for name in ("trace_module", "script"):
        patch(torch.jit, name, _hidden(getattr(torch.jit, name), f"torch.jit.{name}", observer))
    patch(torch.export, "export", _wrap_export(torch.export.export, observer))
    patch(torch.fx.Tracer, "trace", _hidden(torch.fx.Tracer.trace, "torch.fx.Tracer.trace", observer, method=True))
    patch(torch, "compile", _wrap_compile(torch.compile, observer, patch))


def _hidden(original: Callable[..., Any], qualname: str, observer: Observer,
            method: bool = False) -> Callable[..., Any]:
    """`original`, recorded on the calling line (not for methods: fx's tracer calls them itself), run hidden."""

    @functools.wraps(original)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if not method:
            observer.api_use(qualname)
        with hidden():
            return original(*args, **kwargs)

    return wrapper


def as_args(example: Any) -> tuple[Any, ...]:
    return example if isinstance(example, tuple) else (example,)


def _wrap_trace(original: Callable[..., Any], observer: Observer) -> Callable[..., Any]:
    @functools.wraps(original)
    def trace(func: Any, example_inputs: Any = None, *args: Any, **kwargs: Any) -> Any:
        observer.api_use("torch.jit.trace")
        line = observer.user_line()
        with hidden():
            traced = original(func, example_inputs, *args, **kwargs)
        if example_inputs is not None:
            observer.traced("torch.jit.trace", func, traced, as_args(example_inputs), line)
        return traced

    return trace


def _wrap_export(original: Callable[..., Any], observer: Observer) -> Callable[..., Any]:
    """torch.export.export: the exported program's module() is compared with eager."""

    @functools.wraps(original)
    def export(mod: Any, args: Any = (), *rest: Any, **kwargs: Any) -> Any:
        observer.api_use("torch.export.export")
        line = observer.user_line()
        with hidden():
            program = original(mod, args, *rest, **kwargs)
            exported = _module_of(program) if isinstance(args, tuple) and args and not kwargs.get("kwargs") else None
        if exported is not None:
            observer.traced("torch.export.export", mod, exported, args, line)
        return program

    return export


def _module_of(program: Any) -> Any:
    try:
        return program.module()
    except Exception:
        return None


# ----------------------------------------------------------------------------
# torch.compile: compiling is lazy; the calls of what it returns run hidden (dynamo traces them),
# and the first call is compared with eager.


def _wrap_compile(original: Callable[..., Any], observer: Observer, patch: Patcher) -> Callable[..., Any]:
    first_calls: weakref.WeakKeyDictionary[Any, tuple[Any, Any]] = weakref.WeakKeyDictionary()

    @functools.wraps(original)
    def compile_(model: Any = None, **kwargs: Any) -> Any:
        if model is None:
            return lambda actual: compile_(actual, **kwargs)
        observer.api_use("torch.compile")
        line = observer.user_line()
        with hidden():
            compiled = original(model, **kwargs)
        if isinstance(compiled, torch.nn.Module):
            _hide_calls_of(type(compiled), observer, first_calls, patch)
            first_calls[compiled] = (model, line)
            return compiled
        return _hidden_function(compiled, model, line, observer)

    return compile_


def _hidden_function(compiled: Callable[..., Any], eager: Any, line: Any, observer: Observer) -> Callable[..., Any]:
    first = [True]

    @functools.wraps(compiled)
    def call(*args: Any, **kwargs: Any) -> Any:
        with hidden():
            result = compiled(*args, **kwargs)
        if first[0] and not kwargs:
            first[0] = False
            observer.compiled_call(eager, compiled, args, line)
        return result

    return call


def _hide_calls_of(cls: type, observer: Observer, first_calls: weakref.WeakKeyDictionary[Any, tuple[Any, Any]],
                   patch: Patcher) -> None:
    """Compiled modules (OptimizedModule) are called hidden: dynamo must trace the target's code, not
    readkit's mode and hooks (it warns about global hooks otherwise). Patched once per class."""
    if getattr(cls.__call__, "_readkit_hidden", False):
        return
    original: Callable[..., Any] = cls.__call__

    @functools.wraps(original)
    def __call__(self: Any, *args: Any, **kwargs: Any) -> Any:
        with hidden():
            result = original(self, *args, **kwargs)
        pending = first_calls.pop(self, None)
        if pending is not None and not kwargs:
            observer.compiled_call(pending[0], self, args, pending[1])
        return result

    setattr(__call__, "_readkit_hidden", True)
    patch(cls, "__call__", __call__)
