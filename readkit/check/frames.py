"""Which code is the target's own: the rule that attributes every event to a line.

A frame is `user` (the target's own code: the script, its project's modules, a
notebook), `torch` (the installed torch package), or `transparent` (the standard
library, other installed packages, readkit itself, frozen/generated code). An
event is *direct* on a user line when, walking outward from where it was seen,
the first frame that is not transparent is that user line; when a torch frame
comes first, the event is nested inside a torch call (inside `Linear.forward`,
inside `F.mse_loss`) and is not that line's own use.

Classification is cached per code object, so the walk costs a dict lookup per frame.
"""

from __future__ import annotations

import os
import site
import sys
import sysconfig
from types import CodeType, FrameType
from typing import Any


USER, TORCH, TRANSPARENT, WRAPPER = 0, 1, 2, 3

# torch decorators that only forward a call (`@torch.no_grad()` on a function,
# `_disable_dynamo`): a call through them is still the caller's direct call of the
# function they wrap, but not of the helpers they call themselves.
_WRAPPER_FILES = ("torch/utils/_contextlib.py", "torch/_compile.py", "torch/_dynamo/eval_frame.py")
_WRAPPER_NAMES = frozenset({"inner", "_fn", "decorate_context"})
_WRAPPED_NAMES = ("fn", "func")


def _package_dir(name: str) -> str:
    module = sys.modules.get(name)
    path = getattr(module, "__file__", None) if module else None
    return os.path.dirname(os.path.abspath(path)) + os.sep if path else "\0"


class FrameClassifier:
    """Classifies code objects by their file, once per code object."""

    def __init__(self, user_roots: tuple[str, ...] = ()) -> None:
        import torch  # noqa: F401  (the torch directory is read from the loaded module)

        self.torch_dir = _package_dir("torch")
        self.readkit_dir = _package_dir("readkit")
        self.user_roots = tuple(os.path.abspath(r) + os.sep for r in user_roots)
        self.library_dirs = _library_dirs()
        # keyed by id: code objects compare equal across files when their bytecode is the same
        self.cache: dict[int, int] = {}
        self._alive: list[CodeType] = []  # keeps cached ids from being reused

    def kind(self, code: CodeType) -> int:
        kind = self.cache.get(id(code))
        if kind is None:
            kind = self._classify(code.co_filename)
            if kind == TORCH and code.co_name in _WRAPPER_NAMES and code.co_filename.endswith(_WRAPPER_FILES):
                kind = WRAPPER
            self.cache[id(code)] = kind
            self._alive.append(code)
        return kind

    def is_user_file(self, filename: str) -> bool:
        """Whether a file is the target's own (as `kind` decides for the code in it)."""
        return self._classify(filename) == USER

    def mark_transparent(self, code: CodeType) -> None:
        """readkit's own code under another file's name (readkit.check.impersonate)."""
        self.cache[id(code)] = TRANSPARENT
        self._alive.append(code)

    def _classify(self, filename: str) -> int:
        if filename.startswith("<") or not filename:
            return TRANSPARENT
        path = os.path.abspath(filename)
        if path.startswith(self.torch_dir):
            return TORCH
        if path.startswith(self.readkit_dir):
            return TRANSPARENT
        if any(path.startswith(root) for root in self.user_roots):
            return USER
        if any(path.startswith(d) for d in self.library_dirs):
            return TRANSPARENT
        return USER

    def first_owner(self, frame: FrameType | None, callee: CodeType | None = None) -> FrameType | None:
        """The first frame, walking outward, that is user or torch code (None: none).

        `callee` is the code whose caller is sought: decorators wrapping exactly that code are
        passed through; any other wrapper frame owns the call (a helper it runs itself)."""
        while frame is not None:
            kind = self.kind(frame.f_code)
            if kind == WRAPPER:
                if callee is None or not _wraps(frame, callee):
                    return frame
            elif kind != TRANSPARENT:
                return frame
            frame = frame.f_back
        return None

    def direct_user_frame(self, frame: FrameType | None, callee: CodeType | None = None) -> FrameType | None:
        """The user frame that made this event directly, or None when it is nested in torch."""
        owner = self.first_owner(frame, callee)
        if owner is not None and self.kind(owner.f_code) == USER:
            return owner
        return None

    def innermost_user_frame(self, frame: FrameType | None) -> FrameType | None:
        """The innermost user frame at all (names the line responsible for a workflow event)."""
        while frame is not None:
            if self.kind(frame.f_code) == USER:
                return frame
            frame = frame.f_back
        return None


def self_of(frame: FrameType | None) -> Any:
    """The `self` of a method's frame (None for functions and module-level code)."""
    if frame is None or not frame.f_code.co_argcount or frame.f_code.co_varnames[0] != "self":
        return None
    return frame.f_locals.get("self")


def _wraps(wrapper: FrameType, callee: CodeType) -> bool:
    for name in _WRAPPED_NAMES:
        wrapped = wrapper.f_locals.get(name)
        if getattr(wrapped, "__code__", None) is callee:
            return True
    return False


def _library_dirs() -> tuple[str, ...]:
    paths = sysconfig.get_paths()
    dirs = {paths.get("stdlib"), paths.get("platstdlib"), paths.get("purelib"), paths.get("platlib")}
    dirs.update(site.getsitepackages())
    user_site = site.getusersitepackages()
    if user_site:
        dirs.add(user_site)
    dirs.update(p for p in sys.path if p.endswith(("site-packages", "dist-packages")))
    return tuple(sorted(os.path.abspath(d) + os.sep for d in dirs if d))
