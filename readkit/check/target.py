"""What to run: a script, `-m module` or a notebook, resolved and validated before anything starts."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from readkit.notebook import NotebookProgram


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
    spans: tuple[tuple[int, int, int], ...] = ()  # notebook: (cell, first program line, last), run one by one
    originals: tuple[str, ...] = ()  # notebook: each program line as its cell shows it
    not_run: tuple[tuple[int, int, str], ...] = ()  # notebook: (cell, line, text) of IPython lines (see docs/check.md)


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
    return Target("notebook", str(path), display, path.parent, program.source, program.cells, program.spans,
                  program.originals, _not_run(program))


def _not_run(program: NotebookProgram) -> tuple[tuple[int, int, str], ...]:
    """The IPython lines whose code does not run here: all but those readkit made into their statement
    (`%time f()` is `f()`): a call left on get_ipython(), or a line left blank (a `%%bash` cell)."""
    kernel = program.source.split("\n")
    line_of = {where: number for number, where in enumerate(program.cells)}
    return tuple((n.cell, n.line, n.text) for n in program.notes
                 if "get_ipython()" in kernel[line_of[(n.cell, n.line)]] or not kernel[line_of[(n.cell, n.line)]].strip())
