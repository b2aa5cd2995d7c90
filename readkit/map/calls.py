"""Whether a call calls a given function of the repository: resolved by the annotator, or by
the name it is imported under. A name alone (`step`, `train`) is never enough: `opt.step()`
does not call a user function named `step`."""

from __future__ import annotations

import ast
from pathlib import Path

from readkit.map.index import FileView, Repo, Site
from readkit.map.outline import Context, Function


def calls_function(repo: Repo, site: Site, view: FileView, function: Function, context: Context) -> bool:
    name = function.name
    if site.call.name != name:
        return False
    callee = site.callee
    func = site.call.node.func
    if isinstance(func, ast.Name):
        if site.file is view:
            return context.cls is None and (callee is None or callee.kind == "func")
        return _imports(site.file, name, view)
    if not isinstance(func, ast.Attribute):
        return False
    receiver = site.receiver
    if context.cls is not None and receiver is not None and receiver.user_class:
        entry = repo.classes.get(receiver.user_class)
        return entry is not None and entry.node is context.cls
    if context.cls is not None and isinstance(func.value, ast.Name) and func.value.id == "self":
        return site.call.context.cls is context.cls
    return context.cls is None and isinstance(func.value, ast.Name) and func.value.id == Path(view.display).stem


def _imports(caller: FileView, name: str, view: FileView) -> bool:
    """`from <...>.<stem of view> import name` in the caller's file."""
    stem = Path(view.display).stem
    for node in ast.walk(caller.outline.tree):
        if isinstance(node, ast.ImportFrom) and (node.module or "").rpartition(".")[2] == stem and \
                any(alias.name == name and alias.asname is None for alias in node.names):
            return True
    return False
