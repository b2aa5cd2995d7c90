"""Runtime callables -> the qualified names the annotator uses.

`torch._C.TensorBase.view` becomes `torch.Tensor.view`, `torch._C._nn.linear`
becomes `torch.nn.functional.linear`, a frame of `Module._wrapped_call_impl`
becomes `torch.nn.Module.__call__`; the role then comes from
`readkit.roles.role_for`, the same table the annotator reads.
"""

from __future__ import annotations

from types import FrameType
from typing import Any

from readkit.roles import role_for

# C extension modules and private files -> the public namespace users call them by.
_MODULE_ALIASES: dict[str, str] = {
    "torch._C._nn": "torch.nn.functional",
    "torch._C._linalg": "torch.linalg",
    "torch._C._fft": "torch.fft",
    "torch._C._special": "torch.special",
    "torch._C._VariableFunctions": "torch",
    "torch._C": "torch",
    "torch._tensor": "torch",
    "torch.functional": "torch",
    "torch.random": "torch",
    "torch.serialization": "torch",
}
# Private files under a public package: `torch.optim.sgd.SGD` is `torch.optim.SGD`.
_PUBLIC_PACKAGES = ("torch.nn.modules", "torch.optim", "torch.utils.data", "torch.autograd.grad_mode",
                    "torch.nn.parameter", "torch.jit._trace", "torch.jit._script", "torch.export")
_PACKAGE_OF_PRIVATE = {"torch.nn.modules": "torch.nn", "torch.autograd.grad_mode": "torch.autograd",
                       "torch.nn.parameter": "torch.nn", "torch.jit._trace": "torch.jit",
                       "torch.jit._script": "torch.jit"}
_METHOD_ALIASES = {"_wrapped_call_impl": "__call__", "_call_impl": "__call__"}


def public_module(module: str) -> str:
    """`torch.nn.modules.linear` -> `torch.nn`; `torch.optim.sgd` -> `torch.optim`."""
    if module in _MODULE_ALIASES:
        return _MODULE_ALIASES[module]
    for package in _PUBLIC_PACKAGES:
        if module == package or module.startswith(package + "."):
            if module.startswith("torch.optim.lr_scheduler"):
                return "torch.optim.lr_scheduler"
            return _PACKAGE_OF_PRIVATE.get(package, package)
    return module


def qualname_of_callable(func: Any) -> str:
    """The public qualified name of a callable seen by a TorchFunctionMode."""
    owner = getattr(func, "__self__", None)
    if type(func).__name__ == "method-wrapper" and type(owner).__name__ == "getset_descriptor":
        return "torch.Tensor." + str(getattr(owner, "__name__", "?"))  # attribute access: x.grad, x.shape
    objclass = getattr(func, "__objclass__", None)
    if objclass is not None and objclass.__name__ in ("TensorBase", "Tensor"):
        return "torch.Tensor." + str(func.__name__)
    module = public_module(getattr(func, "__module__", None) or "torch")
    qualname = str(getattr(func, "__qualname__", None) or getattr(func, "__name__", "?"))
    if qualname.startswith("_VariableFunctionsClass.") or qualname.startswith("_TensorBase."):
        qualname = qualname.split(".", 1)[1]
    return f"{module}.{qualname}"


def qualname_of_frame(frame: FrameType) -> str:
    """The public qualified name of the torch function running in a frame."""
    code = frame.f_code
    module = public_module(str(frame.f_globals.get("__name__", "torch")))
    qualname = code.co_qualname
    if qualname.endswith("boolean_dispatch.<locals>.fn"):  # F.max_pool2d: named after its if_false
        plain = frame.f_locals.get("if_false")
        return f"{public_module(getattr(plain, '__module__', 'torch'))}.{getattr(plain, '__name__', 'fn').lstrip('_')}"
    if module == "torch.utils._contextlib":  # no_grad.__new__ and friends: name them by their class
        module, qualname = _context_manager_name(frame, module, qualname)
    if qualname.endswith("profile_hook_step.<locals>.wrapper"):
        return f"torch.optim.{_optimizer_name(frame)}.step"
    head, _, method = qualname.rpartition(".")
    method = _METHOD_ALIASES.get(method, method)
    return f"{module}.{head}.{method}" if head else f"{module}.{method}"


def _context_manager_name(frame: FrameType, module: str, qualname: str) -> tuple[str, str]:
    names = frame.f_code.co_varnames
    owner = frame.f_locals.get(names[0]) if names else None
    cls = owner if isinstance(owner, type) else type(owner)
    if (cls.__module__ or "").startswith("torch"):
        return public_module(cls.__module__), f"{cls.__qualname__}.{frame.f_code.co_name}"
    return module, qualname


def _optimizer_name(frame: FrameType) -> str:
    args = frame.f_locals.get("args")
    if isinstance(args, tuple) and args:
        return type(args[0]).__name__
    return "Optimizer"


_ROLE_CACHE: dict[str, str | None] = {}


def cached_role(qualname: str) -> str | None:
    """role_for, memoised: it runs once per distinct name, not once per event."""
    try:
        return _ROLE_CACHE[qualname]
    except KeyError:
        role = _ROLE_CACHE[qualname] = role_for(qualname)
        return role
