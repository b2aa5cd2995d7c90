"""What to run: a script, `-m module` or a notebook, resolved and validated before anything starts."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path


class TargetError(ValueError):
    """Bad usage: a missing script, an unreadable notebook, isolation the machine cannot give."""


@dataclass(frozen=True)
class Target:
    kind: str  # "script", "module", "notebook"
    name: str  # absolute path, or the module name
    display: str  # as the user wrote it
    project: Path  # the directory whose files are the target's own
    source: str | None = None  # a notebook's code cells as one program
    cells: tuple[tuple[int, int], ...] | None = None  # notebook: program line -> (cell, line)


def resolve(target: str | Path | None, module: str | None, cwd: Path | None) -> Target:
    if (target is None) == (module is None):
        raise TargetError("give either a script path or -m MODULE")
    if module is not None:
        if not module.replace(".", "").replace("_", "").isalnum():
            raise TargetError(f"{module!r} is not a module name")
        return Target("module", module, f"-m {module}", (cwd or Path.cwd()).resolve())
    path = Path(str(target)).expanduser()
    if not path.exists():
        raise TargetError(f"{path}: no such file")
    if path.is_dir():
        raise TargetError(f"{path}: is a directory; give a script, a notebook, or -m MODULE")
    if not os.access(path, os.R_OK):
        raise TargetError(f"{path}: not readable")
    path = path.resolve()
    if path.suffix == ".ipynb":
        return _notebook(path, str(target))
    return Target("script", str(path), str(target), path.parent)


def _notebook(path: Path, display: str) -> Target:
    from readkit.notebook import NotebookError, load_notebook

    try:
        program = load_notebook(path)
    except NotebookError as error:
        raise TargetError(str(error)) from None
    return Target("notebook", str(path), display, path.parent, program.source, program.cells)
