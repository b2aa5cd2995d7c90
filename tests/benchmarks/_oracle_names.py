"""Names for the oracle (tests/benchmarks/_oracle.py): which files are whose, and the public torch
name of what ran (a frame's code, a function a TorchFunctionMode saw, a decorator's wrapped function).

Leaves out recording and running: those are _oracle_hooks.py and _oracle.py.
"""

from __future__ import annotations

import inspect
import os
import sysconfig
import types
from typing import Any, Callable

import torch
import torch.nn.functional  # noqa: F401  (loaded before the module-attribute tracking is installed)
import torch.optim.lr_scheduler  # noqa: F401
import torch.utils.data  # noqa: F401
import torch.distributions  # noqa: F401
import torch.autograd.function
import torch._dynamo  # noqa: F401  (optimizers import it lazily: not under the trace)

TORCH_DIR = os.path.dirname(torch.__file__) + os.sep
STDLIB_DIR = sysconfig.get_paths()["stdlib"] + os.sep
ORACLE_DIR = os.path.dirname(os.path.abspath(__file__)) + os.sep

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


def shared_with_functional() -> frozenset[int]:
    """Builtins that are both torch.X and torch.nn.functional.X (F.conv2d is torch.conv2d): a call of one
    cannot say which name the line used, so the attribute read that named it decides the role."""
    functional = torch.nn.functional
    return frozenset(
        id(value) for name, value in vars(functional).items()
        if not name.startswith("_") and callable(value) and getattr(torch, name, None) is value
        and not isinstance(value, type)
    )


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
        if path.startswith(ORACLE_DIR) and os.path.basename(path).startswith("_oracle"):
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
