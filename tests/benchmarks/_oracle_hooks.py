"""Recording for the oracle (tests/benchmarks/_oracle.py): the trace function, the TorchFunctionMode
and the light wrappers that see what neither of them sees. Events become roles through
readkit.roles.role_for, the one role table.
"""

from __future__ import annotations

import inspect
import sys
import types
from typing import Any, Callable

import torch
from torch.overrides import TorchFunctionMode

from _oracle_names import (
    GENERATOR_FLAGS, IGNORED_DUNDERS, IGNORED_TORCH_FILES, SOFT_MODULE_DUNDERS, FrameKinds, canonical,
    function_qualname, is_private, module_of_file, shared_with_functional, torch_function_qualname, unwrap_torch_wrapper,
)
from readkit.roles import role_for

# ----------------------------------------------------------------------------
# Recording


class Recorder:
    """Collects (file, line, qualname, soft) events and the executed lines of user files."""

    def __init__(self, kinds: FrameKinds) -> None:
        self.kinds = kinds
        self.events: set[tuple[str, int, str, bool]] = set()
        self.lines: dict[str, set[int]] = {}
        self.torch_bases: dict[type, str | None] = {}
        self.mode: TorchFunctionMode | None = None
        self.pushed: set[types.FrameType] = set()

    def record(self, frame: types.FrameType, qualname: str, soft: bool = False) -> None:
        self.events.add((frame.f_code.co_filename, frame.f_lineno, qualname, soft))

    def record_from(self, frame: types.FrameType | None, qualname: str) -> None:
        caller = self.kinds.user_caller(frame)
        if caller is not None:
            self.record(caller, qualname)

    # sys.settrace: called for every new frame; only user frames get line tracing.
    def global_trace(self, frame: types.FrameType, event: str, arg: Any) -> Any:
        kind = self.kinds.kind(frame.f_code.co_filename)
        if kind == "user":
            if frame.f_code.co_name == "__init__":
                self.on_user_init(frame)
            self.restore_mode(frame)
            return self.line_trace
        if kind == "torch":
            self.on_torch_call(frame)
        return None

    def restore_mode(self, frame: types.FrameType) -> None:
        """User code called back from inside a torch function the mode handled (a custom Function's
        backward under `loss.backward()`) runs with the mode popped: push it again for this frame."""
        if self.mode is not None and torch._C._len_torch_function_stack() == 0:
            torch._C._push_on_torch_function_stack(self.mode)
            self.pushed.add(frame)

    def line_trace(self, frame: types.FrameType, event: str, arg: Any) -> Any:
        if event == "return" and frame in self.pushed:
            self.pushed.discard(frame)
            torch._C._pop_torch_function_stack()
        elif event == "line":
            filename = frame.f_code.co_filename
            lines = self.lines.get(filename)
            if lines is None:
                lines = self.lines[filename] = set()
            lines.add(frame.f_lineno)
        return self.line_trace

    def on_torch_call(self, frame: types.FrameType) -> None:
        caller = self.kinds.user_caller(frame.f_back)
        code = frame.f_code
        if caller is None or code.co_name in IGNORED_DUNDERS or code.co_flags & GENERATOR_FLAGS:
            return
        if code.co_filename.endswith(IGNORED_TORCH_FILES):
            return
        wrapped = unwrap_torch_wrapper(frame)
        if wrapped is not None:
            found = function_qualname(wrapped)
            if found is not None and not is_private(*found):  # else: a user function under a torch decorator
                self.record(caller, canonical(found[0]))
            return
        module = module_of_file(code.co_filename)
        raw = f"{module}.{code.co_qualname}"
        if is_private(raw, module):
            return
        qualname = canonical(raw)
        if code.co_name in SOFT_MODULE_DUNDERS:
            if code.co_name == "__getattr__" or isinstance(frame.f_locals.get("value"), (torch.nn.Module, torch.Tensor)):
                self.record(caller, qualname, soft=True)
            return
        self.record(caller, qualname)

    def on_user_init(self, frame: types.FrameType) -> None:
        """`model = Net()` where Net subclasses a torch class: the construction line creates a torch object."""
        code = frame.f_code
        if code.co_argcount == 0:
            return
        obj = frame.f_locals.get(code.co_varnames[0])
        base = self.torch_base(type(obj))
        caller = self.kinds.user_caller(frame.f_back)
        if base is None or caller is None or self.is_super_init(caller, obj):
            return
        self.record(caller, base)

    @staticmethod
    def is_super_init(frame: types.FrameType, obj: object) -> bool:
        code = frame.f_code
        return code.co_name == "__init__" and code.co_argcount > 0 and frame.f_locals.get(code.co_varnames[0]) is obj

    def torch_base(self, cls: type) -> str | None:
        if cls not in self.torch_bases:
            self.torch_bases[cls] = next(
                (canonical(f"{k.__module__}.{k.__qualname__}") for k in cls.__mro__ if str(k.__module__).startswith("torch")),
                None,
            )
        return self.torch_bases[cls]

    def as_json(self) -> tuple[list[list[object]], dict[str, list[int]]]:
        events: list[list[object]] = []
        for path, line, qualname, soft in sorted(self.events):
            role = role_for(qualname)
            if role is not None and self.kinds.kind(path) == "user":
                events.append([path, line, qualname, role, soft])
        return events, {path: sorted(lines) for path, lines in self.lines.items()}


class OracleMode(TorchFunctionMode):
    """Torch functions, Tensor methods/operators and Tensor attribute access made directly by user lines."""

    def __init__(self, recorder: Recorder) -> None:
        super().__init__()
        self.recorder = recorder
        self.ambiguous = shared_with_functional()

    def __torch_function__(self, func: Any, types: Any, args: Any = (), kwargs: Any = None) -> Any:
        if id(func) not in self.ambiguous:
            self.recorder.record_from(sys._getframe(1), torch_function_qualname(func))
        return func(*args, **(kwargs or {}))


# ----------------------------------------------------------------------------
# Light wrapping where neither the mode nor the trace sees the use


def install_module_attribute_tracking(recorder: Recorder) -> None:
    kinds = recorder.kinds

    class TrackedModule(types.ModuleType):
        def __getattribute__(self, name: str) -> Any:
            value = types.ModuleType.__getattribute__(self, name)
            # A submodule on the way (`torch.utils` in torch.utils.data.DataLoader) is no use of its own.
            if name[:2] != "__" and not isinstance(value, types.ModuleType):
                frame = sys._getframe(1)
                if kinds.kind(frame.f_code.co_filename) != "torch":
                    recorder.record_from(frame, canonical(f"{self.__name__}.{name}"))
            return value

    for name, module in list(sys.modules.items()):
        if (name == "torch" or name.startswith("torch.")) and type(module) is types.ModuleType:
            module.__class__ = TrackedModule


def recording(recorder: Recorder, original: Callable[..., Any], qualname: str) -> Callable[..., Any]:
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        recorder.record_from(sys._getframe(1), qualname)
        return original(*args, **kwargs)

    wrapper.__name__ = getattr(original, "__name__", "wrapper")
    wrapper.__doc__ = getattr(original, "__doc__", None)
    return wrapper


def install_wrappers(recorder: Recorder) -> None:
    module_cls = torch.nn.Module
    for name, value in list(vars(module_cls).items()):  # generators: calling them runs no torch code
        if not name.startswith("_") and inspect.isgeneratorfunction(value):
            setattr(module_cls, name, recording(recorder, value, f"torch.nn.Module.{name}"))
    variable_meta = type(torch.autograd.Variable)

    def variable_call(cls: type, *args: Any, **kwargs: Any) -> Any:
        recorder.record_from(sys._getframe(1), "torch.autograd.Variable")
        return type.__call__(cls, *args, **kwargs)

    variable_meta.__call__ = variable_call  # type: ignore[method-assign]
    backward_cls = torch.autograd.function.BackwardCFunction
    for name in ("saved_tensors", "needs_input_grad"):
        setattr(backward_cls, name, ctx_property(recorder, name))
    install_optimizer_members(recorder)


def ctx_property(recorder: Recorder, name: str) -> property:
    descriptor = vars(torch._C._FunctionBase)[name]

    def get(self: Any) -> Any:
        recorder.record_from(sys._getframe(1), f"torch.autograd.function.FunctionCtx.{name}")
        return descriptor.__get__(self, type(self))

    return property(get)


def install_optimizer_members(recorder: Recorder) -> None:
    watched = frozenset({"param_groups", "state", "defaults"})

    def getattribute(self: Any, name: str) -> Any:
        if name in watched:
            recorder.record_from(sys._getframe(1), f"torch.optim.Optimizer.{name}")
        return object.__getattribute__(self, name)

    torch.optim.Optimizer.__getattribute__ = getattribute  # type: ignore[method-assign]
