"""Line coverage of user code and direct calls into torch's Python-level API, via sys.settrace.

The global trace function sees every new Python frame. For a user frame it
returns a line tracer (coverage: which lines ran). For a torch frame called
directly by a user line (`model(x)`, `opt.step()`, `F.relu(h)`,
`loss.backward()`, `nn.Linear(3, 4)`, `for x, y in loader`) it records the use
on that line and, while the line still wants detail, traces the frame's return
to describe the tensor it produced. Other frames get no local tracer at all.

Cost control: a code object that has produced LINE_BUDGET line events stops
producing them (its later first-time lines are only known through torch events),
and after CALL_BUDGET frames the tracer turns itself off for good; the
TorchFunctionMode and the hooks keep observing.
"""

from __future__ import annotations

import builtins
import importlib.util
import inspect
import sys
import threading
from types import CodeType, FrameType
from typing import Any, Callable

from readkit.check.frames import TORCH, TRANSPARENT, USER, FrameClassifier
from readkit.check.instrument import Guard
from readkit.check.names import cached_role, qualname_of_frame
from readkit.check.recorder import Recorder

LINE_BUDGET = 50_000  # line events per code object
CALL_BUDGET = 5_000_000  # frames seen before the tracer switches itself off

_RESUMABLE = inspect.CO_GENERATOR | inspect.CO_COROUTINE | inspect.CO_ASYNC_GENERATOR

TraceFunction = Callable[[FrameType, str, Any], Any]

# Attribute protocol and pickling: not API calls a reader would annotate (`self.fc1` reaching a
# submodule through Module.__getattr__ is not a use; `self.fc1(x)` is). Formatting a tensor,
# `"{}".format(correct)`, is a tensor use: Tensor.__format__ stays.
_NOT_USES = frozenset({"__setattr__", "__getattr__", "__delattr__", "__hash__",
                       "__getstate__", "__setstate__", "__reduce_ex__", "__del__", "__instancecheck__",
                       "__subclasscheck__", "__dir__", "_is_protocol",
                       "__torch_function__", "_get_name", "__init_subclass__"})


class Tracer:
    def __init__(self, classifier: FrameClassifier, recorder: Recorder) -> None:
        self.classifier = classifier
        self.recorder = recorder
        self.line_events: dict[CodeType, int] = {}
        self.calls = 0
        self.active = False
        self.kinds = classifier.cache
        self._names: dict[CodeType, tuple[str, str | None] | None] = {}

    def start(self) -> None:
        self.active = True
        threading.settrace(self._on_call)
        sys.settrace(self._on_call)
        self._pause_during_library_imports()

    def _pause_during_library_imports(self) -> None:
        """Importing a library (torch._dynamo, torchvision, sympy...) runs millions of frames that
        are none of the target's lines: tracing pauses for those imports, not for the project's own."""
        original = builtins.__import__
        libraries: dict[str, bool] = {}
        paused = [False]  # nested imports inside a paused one leave tracing paused

        def is_library(name: str, level: int) -> bool:
            top = name.partition(".")[0]
            if level or not top:
                return False
            if top not in libraries:
                libraries[top] = self._is_library(top)
            return libraries[top]

        def traced_import(name: str, globals: Any = None, locals: Any = None, fromlist: Any = (),
                          level: int = 0) -> Any:
            if paused[0] or not self.active or (name in sys.modules and not fromlist) \
                    or not is_library(name, level):
                return original(name, globals, locals, fromlist, level)
            paused[0] = True
            sys.settrace(None)
            try:
                return original(name, globals, locals, fromlist, level)
            finally:
                paused[0] = False
                if self.active:
                    sys.settrace(self._on_call)

        builtins.__import__ = traced_import
        self._restore_import = lambda: setattr(builtins, "__import__", original)

    def _is_library(self, top: str) -> bool:
        module = sys.modules.get(top)
        origin = getattr(module, "__file__", None) if module is not None else None
        if module is None:
            try:
                spec = importlib.util.find_spec(top)
            except (ImportError, ValueError):
                return False
            origin = spec.origin if spec is not None else None
        if origin is None or origin in ("built-in", "frozen"):
            return True
        fake = compile("", origin, "exec")
        return self.classifier.kind(fake) != USER

    def stop(self) -> None:
        self.active = False
        restore = getattr(self, "_restore_import", None)
        if restore is not None:
            restore()
        sys.settrace(None)
        threading.settrace(None)

    # -- the global trace function ------------------------------------------------

    def _on_call(self, frame: FrameType, event: str, arg: Any) -> TraceFunction | None:
        kinds = self.kinds
        kind = kinds.get(id(frame.f_code))
        if kind is None:
            kind = self.classifier.kind(frame.f_code)
        elif kind == TRANSPARENT:
            return None  # the common case, kept as cheap as a dict lookup
        elif kind == TORCH:
            back = frame.f_back
            if back is not None and kinds.get(id(back.f_code)) == TORCH:
                return None  # torch calling itself: nobody's line, as cheap as two lookups
        self.calls += 1
        if Guard.busy:
            return None
        if self.calls > CALL_BUDGET:
            self.stop()
            self.recorder.notes.append(f"line tracing stopped after {CALL_BUDGET} calls into user or torch code")
            return None
        if kind == USER:
            return self._user_frame(frame)
        if kind == TORCH:
            return self._torch_frame(frame)
        return None

    def _user_frame(self, frame: FrameType) -> TraceFunction | None:
        self._maybe_constructor(frame)
        if self.line_events.get(frame.f_code, 0) > LINE_BUDGET:
            return None
        return self._on_line

    def _on_line(self, frame: FrameType, event: str, arg: Any) -> TraceFunction | None:
        if event == "line" and not Guard.busy:
            code = frame.f_code
            seen = self.line_events.get(code, 0) + 1
            self.line_events[code] = seen
            self.recorder.cover(code, frame.f_lineno)
            if seen > LINE_BUDGET:
                frame.f_trace_lines = False
        return self._on_line

    def _torch_frame(self, frame: FrameType) -> TraceFunction | None:
        if frame.f_code.co_flags & _RESUMABLE:
            return None  # a generator resumed by whoever iterates it: its creation was the use
        user = self.classifier.direct_user_frame(frame.f_back, frame.f_code)
        if user is None:
            return None
        name = self._name(frame)
        if name is None:
            return None
        qualname, role = name
        wants_detail = self.recorder.use(user.f_code, user.f_lineno, qualname, role)
        if not wants_detail:
            return None
        frame.f_trace_lines = False
        code, line = user.f_code, user.f_lineno

        def on_return(_frame: FrameType, event: str, value: Any) -> None:
            if event == "return" and value is not None:
                self.recorder.shape_at(code, line, value)

        return on_return

    def _name(self, frame: FrameType) -> tuple[str, str | None] | None:
        code = frame.f_code
        if code in self._names and not code.co_qualname.endswith("<locals>.wrapper"):
            return self._names[code]
        if code.co_name in _NOT_USES:
            name = None
        else:
            qualname = qualname_of_frame(frame)
            name = (qualname, cached_role(qualname))
        self._names[code] = name
        return name

    def _maybe_constructor(self, frame: FrameType) -> None:
        """`model = Net()`: a user __init__ of a torch subclass is that role's use on the calling line."""
        code = frame.f_code
        if code.co_name != "__init__" or not code.co_varnames:
            return
        caller = frame.f_back
        if caller is None or self.classifier.kind(caller.f_code) != USER or caller.f_code.co_name == "__init__":
            return
        instance = frame.f_locals.get(code.co_varnames[0])
        qualname = torch_base_qualname(type(instance))
        if qualname is not None:
            self.recorder.use(caller.f_code, caller.f_lineno, qualname + ".__init__", cached_role(qualname))


def torch_base_qualname(cls: type) -> str | None:
    """The public name of the first torch class in a class's MRO (`Net` -> `torch.nn.Module`)."""
    for base in cls.__mro__:
        module = getattr(base, "__module__", "") or ""
        if module == "torch" or module.startswith("torch."):
            from readkit.check.names import public_module

            return f"{public_module(module)}.{base.__qualname__}"
    return None
