"""The target's own nn.Modules, as the run builds them: per class and place built, how many
instances, and the parameter count (total and trainable) of the first one counted.

`Module.__init__` is wrapped (readkit.check.install): for an instance of a class defined in the
target's own files, the place it is built is the first user frame outside that instance's own
`__init__` chain (`model = Net()`, or `self.block = Block()` inside another module). The instance is
then held weakly until it is counted: when its first call returns (a lazy layer has its shapes by
then), or at the end of the run when it was never called. One collected before either keeps
`parameters` None.

The count reads the module's own `_parameters` and `_modules` tables from its `__dict__`: no method
of the target's class runs (not an overridden `parameters()`, not `__getattr__`), no hook fires; each
parameter counts once (tied weights, as `model.parameters()` counts them). The caller runs it with
the target's torch-function modes and tensor subclasses disabled (instrument.guarded).
"""

from __future__ import annotations

import functools
import sys
import weakref
from collections.abc import Iterator
from types import FrameType, FunctionType
from typing import Any

import torch
from torch.nn.parameter import UninitializedBuffer, UninitializedParameter

from readkit.check.frames import FrameClassifier, self_of
from readkit.check.recorder import BuiltSite, Recorder

MAX_PENDING = 10_000  # instances waiting to be counted


class BuiltModules:
    def __init__(self, classifier: FrameClassifier, recorder: Recorder) -> None:
        self.classifier, self.recorder = classifier, recorder
        self.pending: dict[int, tuple[weakref.ref[torch.nn.Module], BuiltSite]] = {}  # id -> instance, its site
        self._files: weakref.WeakKeyDictionary[type, str | None] = weakref.WeakKeyDictionary()

    def built(self, module: torch.nn.Module, frame: FrameType | None) -> None:
        """`Module.__init__` ran for `module`; `frame` is where readkit was called from."""
        cls = type(module)
        class_path = self._user_file(cls)
        if class_path is None:
            return
        builder = self._builder(module, frame)
        if builder is None:
            return
        site = self.recorder.built_site(cls.__qualname__, class_path, builder.f_code.co_filename, builder.f_lineno)
        waiting = self.pending.get(id(module))
        if site is None or (waiting is not None and waiting[0]() is module):  # __init__ run again on one instance
            return
        site.instances += 1
        if site.parameters is None and len(self.pending) < MAX_PENDING:
            key = id(module)
            self.pending[key] = (weakref.ref(module, functools.partial(self._collected, key)), site)

    def called(self, module: torch.nn.Module) -> None:
        """`module`'s call returned: count it, if it is waiting to be."""
        entry = self.pending.pop(id(module), None)
        if entry is not None and entry[0]() is module:
            _count(module, entry[1])

    def finish(self) -> None:
        """The run ended: count every instance still waiting and alive."""
        for ref, site in list(self.pending.values()):
            module = ref()
            if module is not None:
                _count(module, site)
        self.pending.clear()

    def _collected(self, key: int, ref: weakref.ref[torch.nn.Module]) -> None:
        entry = self.pending.get(key)
        if entry is not None and entry[0] is ref:
            del self.pending[key]

    def _user_file(self, cls: type) -> str | None:
        """The file that defines `cls` when it is one of the target's own, else None (cached per class)."""
        try:
            return self._files[cls]
        except KeyError:
            found = self._files[cls] = _defining_file(cls, self.classifier)
            return found

    def _builder(self, module: torch.nn.Module, frame: FrameType | None) -> FrameType | None:
        """The user frame that built `module`: outside the `__init__` methods running on it."""
        frame = self.classifier.innermost_user_frame(frame)
        while frame is not None and self_of(frame) is module:
            frame = self.classifier.innermost_user_frame(frame.f_back)
        return frame


def _defining_file(cls: type, classifier: FrameClassifier) -> str | None:
    """Read from the class's own functions (their code's file), else from its module's `__file__`."""
    for value in list(vars(cls).values()):
        if isinstance(value, FunctionType):
            code_file = value.__code__.co_filename
            return code_file if classifier.is_user_file(code_file) else None
    module = sys.modules.get(str(vars(cls).get("__module__") or ""))
    module_file = vars(module).get("__file__") if module is not None else None
    return module_file if isinstance(module_file, str) and classifier.is_user_file(module_file) else None


def _count(module: torch.nn.Module, site: BuiltSite) -> None:
    if site.parameters is None:
        counted = count_parameters(module)
        if counted is not None:
            site.parameters, site.trainable = counted


def count_parameters(module: torch.nn.Module) -> tuple[int, int] | None:
    """(total, trainable) over `module` and its submodules, each parameter once; None while one is
    not materialised (a lazy layer before its first call)."""
    seen: set[int] = set()
    total = trainable = 0
    for owner in _modules_of(module):
        for parameter in _table(owner, "_parameters").values():
            if not isinstance(parameter, torch.Tensor) or id(parameter) in seen:
                continue
            if isinstance(parameter, (UninitializedParameter, UninitializedBuffer)):
                return None
            seen.add(id(parameter))
            count = parameter.numel()
            total += count
            trainable += count if parameter.requires_grad else 0
    return total, trainable


def _modules_of(module: torch.nn.Module) -> Iterator[Any]:
    seen: set[int] = set()
    stack: list[Any] = [module]
    while stack:
        found = stack.pop()
        if id(found) not in seen:
            seen.add(id(found))
            yield found
            stack.extend(child for child in _table(found, "_modules").values() if child is not None)


def _table(module: Any, name: str) -> dict[str, Any]:
    """One of nn.Module's tables, read from the instance's `__dict__` (no attribute hook of the class runs)."""
    table = object.__getattribute__(module, "__dict__").get(name)
    return table if isinstance(table, dict) else {}
