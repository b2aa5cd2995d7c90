"""Call a function as if from another frame's line, so that a warning it raises lands where it would have.

A C function warns at the innermost Python frame (`stacklevel=1`), and Python code counts frames
outward from itself. When readkit's TorchFunctionMode (or a wrapper) calls a torch function, the
innermost frame is readkit's: the warning would name readkit's file and line, and its "once per
location" registry would be readkit's module's — a warning the program prints twice from two lines
would print once. So readkit calls through a one-line trampoline whose code object says the
impersonated frame's file and line, and whose globals are that frame's (the same `__name__`, the
same `__warningregistry__`): the warning reads, and is filtered, exactly as under plain python.
The trampoline frames are named TRAMPOLINE (tracebacks printed by the child leave them out) and
classified transparent (the tracer and the mode never take them for the target's code).
"""

from __future__ import annotations

import types
from types import CodeType, FrameType
from typing import Any, Callable

TRAMPOLINE = "_readkit_call"


def _template() -> CodeType:
    namespace: dict[str, Any] = {}
    exec(compile(f"def {TRAMPOLINE}(func, args, kwargs): return func(*args, **kwargs)\n", "<readkit>", "exec"),
         namespace)
    code: CodeType = namespace[TRAMPOLINE].__code__
    return code


_TEMPLATE = _template()


class Trampolines:
    """One trampoline per (code, line) impersonated, kept for the run."""

    def __init__(self, on_new_code: Callable[[CodeType], None]) -> None:
        self._by_site: dict[tuple[CodeType, int], Callable[..., Any]] = {}
        self._on_new_code = on_new_code  # e.g. classify the new code object as transparent

    def call_as(self, frame: FrameType | None, func: Callable[..., Any], args: tuple[Any, ...],
                kwargs: dict[str, Any]) -> Any:
        if frame is None:
            return func(*args, **kwargs)
        key = (frame.f_code, frame.f_lineno or frame.f_code.co_firstlineno)
        trampoline = self._by_site.get(key)
        if trampoline is None:
            trampoline = self._by_site[key] = self._make(frame, key[1])
        return trampoline(func, args, kwargs)

    def _make(self, frame: FrameType, line: int) -> Callable[..., Any]:
        code = _TEMPLATE.replace(co_filename=frame.f_code.co_filename, co_firstlineno=max(1, line))
        self._on_new_code(code)
        return types.FunctionType(code, frame.f_globals, TRAMPOLINE)


def dispatching_caller(frame: FrameType | None, overrides_file: str) -> FrameType | None:
    """The frame that called the torch function a TorchFunctionMode is handling, given the frame that
    called the mode: for a Python torch function (F.softmax, Tensor.backward) that is the caller of the
    function that dispatched through torch/overrides.py; for a C function, the frame itself."""
    if frame is not None and frame.f_code.co_filename.endswith(overrides_file):
        dispatcher = frame.f_back
        return dispatcher.f_back if dispatcher is not None else frame
    return frame
