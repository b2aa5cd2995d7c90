"""Runtime ground truth for the annotator evaluation: which torch roles each line of a target USED DIRECTLY.

Run in a child process (never in the harness's own):
    python tests/benchmarks/_oracle.py --root DIR --out FILE.json -- script.py [ARGS]
    python tests/benchmarks/_oracle.py --root DIR --out FILE.json -m package [ARGS]
    python tests/benchmarks/_oracle.py --root DIR --batch SPEC.json [--jobs N]   (one torch import, a fork per target)

An event is one use of a torch API. It belongs to the innermost frame that is neither torch, the
standard library, nor this oracle -- and only when torch was entered directly from that frame (what
torch runs inside its own code, e.g. the tensor ops inside `opt.step()` or inside `nn.Linear.forward`,
belongs to nobody's line). Events inside a user-defined forward() belong to the user's lines there.

Sources of events, independent of readkit's annotator and checker:
  * a TorchFunctionMode: torch functions, Tensor methods and operators, Tensor attribute get/set;
  * sys.settrace 'call' events: any Python function of torch's files entered directly from user code
    (module calls, optimizer step/zero_grad, DataLoader iteration, no_grad, distributions, ...),
    decorator wrappers resolved to the function they wrap;
  * construction of instances of user classes that subclass a torch class (`model = Net()`);
  * attribute reads on torch modules (`torch.float32`, `nn.Linear` in isinstance, `torch.cuda`);
  * light wrapping where nothing above sees the use: Module's generator methods (`parameters()`),
    `Variable(...)`, `ctx.saved_tensors`, `optimizer.param_groups`.
Qualified names get their role from readkit.roles.role_for, the one role table.

"Soft" events (accessing a registered submodule/parameter through nn.Module.__getattr__, assigning a
Module/Parameter through __setattr__) are recorded apart: the harness reports them but does not count
them as ground truth.

Output JSON: {"events": [[path, line, qualname, role, soft]], "lines": {path: [executed lines]},
"error": str|null, "seconds": float}.
"""

from __future__ import annotations

import argparse
import inspect
import io
import json
import os
import runpy
import sys
import sysconfig
import time
import types
import warnings
from contextlib import redirect_stderr, redirect_stdout
from typing import Any, Callable

import torch
import torch.nn.functional  # noqa: F401  (loaded before the module-attribute tracking is installed)
import torch.optim.lr_scheduler  # noqa: F401
import torch.utils.data  # noqa: F401
import torch.distributions  # noqa: F401
import torch.autograd.function
import torch._dynamo  # noqa: F401  (optimizers import it lazily: not under the trace)
from torch.overrides import TorchFunctionMode

from readkit.roles import role_for

TORCH_DIR = os.path.dirname(torch.__file__) + os.sep
STDLIB_DIR = sysconfig.get_paths()["stdlib"] + os.sep
ORACLE_FILE = os.path.abspath(__file__)

# C modules and private Python modules whose names users never write: the public name they stand for.
CANONICAL_PREFIXES = {
    "torch._tensor.Tensor": "torch.Tensor",
    "torch._C.TensorBase": "torch.Tensor",
    "torch._C._TensorBase": "torch.Tensor",
    "torch._C._VariableFunctions": "torch",
    "torch._C._nn": "torch.nn.functional",
    "torch._C._linalg": "torch.linalg",
    "torch._C._fft": "torch.fft",
    "torch._C._special": "torch.special",
    "torch._C._FunctionBase": "torch.autograd.Function",
    "torch._VF": "torch",
}
# Private torch modules that still carry a public role (the role table lists them).
PRIVATE_ALLOWED = ("torch._dynamo",)
# Module plumbing that is plain Python attribute handling unless it (un)registers a submodule.
SOFT_MODULE_DUNDERS = frozenset({"__getattr__", "__setattr__"})
IGNORED_DUNDERS = frozenset({"__delattr__", "__getattribute__", "__dir__", "__init_subclass__", "__del__",
                             # torch's own modes and subclasses handling an op the user's line made
                             # (torch.export runs forward() under them): the op is the use, not its handler
                             "__torch_function__", "__torch_dispatch__"})
# Callbacks the interpreter runs wherever it happens to be (weakref finalizers during GC).
IGNORED_TORCH_FILES = ("utils/weak.py", "_weakrefs.py")
# A generator frame is entered each time it is resumed, wherever the iteration happens: its creation
# (`model.parameters()`) is the use, recorded by a wrapper; resuming it elsewhere is not.
GENERATOR_FLAGS = inspect.CO_GENERATOR | inspect.CO_ASYNC_GENERATOR | inspect.CO_ITERABLE_COROUTINE


def canonical(qualname: str) -> str:
    for prefix, public in CANONICAL_PREFIXES.items():
        if qualname == prefix or qualname.startswith(prefix + "."):
            return public + qualname[len(prefix):]
    return qualname


def is_private(qualname: str, module: str) -> bool:
    """A torch module users never name (torch.utils._contextlib, torch._compile): plumbing, not a use.

    `qualname` is the raw name, before `canonical` (torch._tensor.Tensor.backward is public)."""
    if module.startswith(PRIVATE_ALLOWED) or canonical(qualname) != qualname:
        return False
    return any(part.startswith("_") and not part.startswith("__") for part in module.split(".")[1:])


# ----------------------------------------------------------------------------
# Frames


class FrameKinds:
    """Classifies a code file once: user (under --root), torch, transparent (stdlib, generated), other."""

    def __init__(self, root: str) -> None:
        self.root = os.path.abspath(root) + os.sep
        self.cache: dict[str, str] = {}

    def kind(self, filename: str) -> str:
        found = self.cache.get(filename)
        if found is None:
            found = self.cache[filename] = self._classify(filename)
        return found

    def _classify(self, filename: str) -> str:
        path = os.path.abspath(filename) if not filename.startswith("<") else filename
        if path == ORACLE_FILE:
            return "oracle"
        if path.startswith(self.root):
            return "user"
        if path.startswith(TORCH_DIR):
            return "torch"
        if filename.startswith("<") or (path.startswith(STDLIB_DIR) and "-packages" not in path):
            return "transparent"
        return "other"

    def user_caller(self, frame: types.FrameType | None) -> types.FrameType | None:
        """The frame torch was entered from, when it is user code (standard library frames in between are see-through)."""
        while frame is not None:
            kind = self.kind(frame.f_code.co_filename)
            if kind == "user":
                return frame
            if kind != "transparent":
                return None
            frame = frame.f_back
        return None


def module_of_file(filename: str) -> str:
    rel = os.path.relpath(filename, os.path.dirname(TORCH_DIR.rstrip(os.sep)))
    rel = rel[:-3] if rel.endswith(".py") else rel
    parts = rel.split(os.sep)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


# ----------------------------------------------------------------------------
# Qualified names of what was called


def function_qualname(fn: Callable[..., Any]) -> tuple[str, str] | None:
    """(qualname, module) of a Python or builtin function, or None when it is not torch's."""
    module = getattr(fn, "__module__", None) or ""
    name = getattr(fn, "__qualname__", None) or getattr(fn, "__name__", "?")
    if not (module == "torch" or module.startswith("torch.")):
        return None
    if "." in name and module == "torch" and name.startswith("_VariableFunctionsClass."):
        name = name.split(".", 1)[1]
    return f"{module}.{name}", module


def torch_function_qualname(func: Any) -> str:
    """The public name of what a TorchFunctionMode saw: torch.randn, torch.Tensor.view, torch.Tensor.grad."""
    owner_self = getattr(func, "__self__", None)
    if type(func).__name__ == "method-wrapper" and owner_self is not None:  # getset __get__/__set__
        return f"torch.Tensor.{getattr(owner_self, '__name__', '?')}"
    if isinstance(owner_self, property) and owner_self.fget is not None:
        found = function_qualname(owner_self.fget)
        return canonical(found[0]) if found else "torch.Tensor.?"
    if getattr(func, "__objclass__", None) is not None:
        return f"torch.Tensor.{func.__name__}"
    found = function_qualname(func)
    if found is not None:
        return canonical(found[0])
    return f"torch.{getattr(func, '__name__', '?')}"


def unwrap_torch_wrapper(frame: types.FrameType) -> Callable[..., Any] | None:
    """The function a torch decorator's wrapper frame wraps (`_disable_dynamo.<locals>.inner` -> zero_grad)."""
    code = frame.f_code
    if not code.co_freevars or "<locals>" not in code.co_qualname:
        return None
    for name in ("fn", "func", "f", "orig_func", "wrapped", *code.co_freevars):
        value = frame.f_locals.get(name)
        if isinstance(value, types.MethodType):
            value = value.__func__
        if isinstance(value, types.FunctionType):
            return inspect.unwrap(value)
    return None


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

    def __torch_function__(self, func: Any, types: Any, args: Any = (), kwargs: Any = None) -> Any:
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


# ----------------------------------------------------------------------------
# Running the target


def last_user_line(exc: BaseException, kinds: FrameKinds) -> str:
    tb, where = exc.__traceback__, ""
    while tb is not None:
        if kinds.kind(tb.tb_frame.f_code.co_filename) == "user":
            where = f" at {tb.tb_frame.f_code.co_filename}:{tb.tb_lineno}"
        tb = tb.tb_next
    return where


def run_target(recorder: Recorder, target: str, module: bool, args: list[str]) -> str | None:
    sys.argv = [target, *args]
    sys.path.insert(0, recorder.kinds.root if module else os.path.dirname(os.path.abspath(target)))
    recorder.mode = OracleMode(recorder)
    sys.settrace(recorder.global_trace)
    try:
        with recorder.mode:
            if module:
                runpy.run_module(target, run_name="__main__", alter_sys=True)
            else:
                runpy.run_path(target, run_name="__main__")
    except SystemExit as exc:
        return None if exc.code in (0, None) else f"exit {exc.code}"
    except BaseException as exc:  # the target's failure is data, not the oracle's
        return f"{type(exc).__name__}: {exc}{last_user_line(exc, recorder.kinds)}"
    finally:
        sys.settrace(None)
    return None


def run_one(root: str, target: str, module: bool, args: list[str], out: str) -> None:
    """Run one target under a fresh recorder and write its JSON result (in this process)."""
    target = target if module else os.path.abspath(target)
    recorder = Recorder(FrameKinds(root))
    install_module_attribute_tracking(recorder)
    install_wrappers(recorder)
    os.chdir(os.environ.get("ORACLE_CWD", os.path.abspath(root)))
    started = time.perf_counter()
    captured = io.StringIO()
    with redirect_stdout(captured), redirect_stderr(captured), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        error = run_target(recorder, target, module, args)
    events, lines = recorder.as_json()
    result = {"events": events, "lines": lines, "error": error, "seconds": time.perf_counter() - started}
    with open(out, "w", encoding="utf-8") as handle:
        json.dump(result, handle)


def run_batch(root: str, spec_path: str, jobs: int, timeout: float) -> None:
    """Many targets, one torch import: fork a child per target (the parent never runs target code).

    spec: a JSON list of [target, is_module, out_path]. A child that fails or runs out of time gets
    an error result instead."""
    with open(spec_path, encoding="utf-8") as handle:
        pending = [tuple(item) for item in json.load(handle)]
    running: dict[int, tuple[str, float]] = {}
    while pending or running:
        while pending and len(running) < jobs:
            target, module, out = pending.pop(0)
            pid = os.fork()
            if pid == 0:
                child(root, target, bool(module), out)
            running[pid] = (out, time.monotonic())
        reap(running, timeout)


def child(root: str, target: str, module: bool, out: str) -> None:
    code = 0
    try:
        run_one(root, target, module, [], out)
    except BaseException:  # noqa: BLE001  (a child must never return into the parent's loop)
        code = 1
    finally:
        os._exit(code)


def reap(running: dict[int, tuple[str, float]], timeout: float) -> None:
    time.sleep(0.02)
    for pid, (out, started) in list(running.items()):
        done, status = os.waitpid(pid, os.WNOHANG)
        if done == 0 and time.monotonic() - started > timeout:
            os.kill(pid, 9)
            os.waitpid(pid, 0)
            status = -9
        elif done == 0:
            continue
        del running[pid]
        if status != 0 or not os.path.exists(out):
            failure = {"events": [], "lines": {}, "error": f"oracle child ended with status {status}", "seconds": 0.0}
            with open(out, "w", encoding="utf-8") as handle:
                json.dump(failure, handle)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", required=True, help="directory whose files are the target's own code")
    parser.add_argument("--out", help="where to write the JSON result")
    parser.add_argument("--batch", help="JSON list of [target, is_module, out]: run each in a forked child")
    parser.add_argument("--jobs", type=int, default=2, help="children at once with --batch")
    parser.add_argument("--timeout", type=float, default=120.0, help="seconds per child with --batch")
    parser.add_argument("-m", dest="module", action="store_true", help="TARGET is a module name")
    parser.add_argument("target", nargs="?")
    parser.add_argument("args", nargs=argparse.REMAINDER)
    opts = parser.parse_args(argv)
    if opts.batch:
        run_batch(opts.root, opts.batch, opts.jobs, opts.timeout)
    elif opts.target and opts.out:
        run_one(opts.root, opts.target, opts.module, opts.args, opts.out)
    else:
        parser.error("give TARGET and --out, or --batch")
    return 0


if __name__ == "__main__":
    sys.exit(main())
