"""Running a notebook in the checker's child process, cell after cell, as "Run All" does.

Each code cell is compiled on its own (so a cell that is not Python fails when
its turn comes, after the cells above it ran, as in Jupyter) at its program line
numbers (so every frame, traceback and observation points at the joined program,
which readkit maps to cells). The cells see the names a kernel gives them:
`get_ipython()` and `display`.

`get_ipython()` is a stand-in, not a kernel: shell commands (`!pip install`) and
magics do not run (the parent lists them as notes), except the magics whose
argument is Python: readkit.kernel_cells already made `%time f()` the line
`f()`, and a `%timeit`-like call that remains (`t = %timeit -o f()`) runs its
statement once, at its own line.
"""

from __future__ import annotations

import linecache
import sys
from typing import Any

from readkit.kernel_cells import MAGIC_OPTIONS, PYTHON_BODY_MAGICS


def run_notebook(path: str, source: str, spans: list[list[int]]) -> dict[str, Any]:
    """Run the program's cells in order in a fresh `__main__`; its namespace is returned."""
    lines = source.splitlines(keepends=True)
    linecache.cache[path] = (len(source), None, lines, path)
    module = type(sys)("__main__")
    module.__file__ = path
    sys.modules["__main__"] = module
    namespace = module.__dict__
    namespace["get_ipython"] = _shell_for(namespace, path)
    namespace["display"] = _display()
    for _cell, first, last in spans:
        code = "\n" * (first - 1) + "".join(lines[first - 1 : last])
        exec(_compiled(code, path, lines), namespace)
    return namespace


def _compiled(code: str, path: str, lines: list[str]) -> Any:
    try:
        return compile(code, path, "exec", dont_inherit=True)
    except SyntaxError as error:
        # CPython fills an IndentationError's text from the file on disk: a notebook's raw JSON
        if error.filename == path and error.lineno and 1 <= error.lineno <= len(lines):
            error.text = lines[error.lineno - 1]
        raise


def _shell_for(namespace: dict[str, Any], path: str) -> Any:
    shell = NotebookShell(namespace, path)
    return lambda: shell


def _display() -> Any:
    try:
        from IPython.display import display  # without a kernel it prints the object's repr
    except ImportError:
        return print
    return display


class NotebookShell:
    """What `get_ipython()` returns under readkit check (see the module docstring)."""

    def __init__(self, namespace: dict[str, Any], path: str) -> None:
        self.user_ns = namespace
        self.path = path

    def run_line_magic(self, name: str, line: str, _stack_depth: int = 1) -> Any:
        if name in PYTHON_BODY_MAGICS:
            self._run_here(MAGIC_OPTIONS.sub("", line, count=1), sys._getframe(1).f_lineno)
        return None

    def run_cell_magic(self, name: str, line: str, cell: str) -> Any:
        return None  # readkit keeps a Python cell magic's body as code; other cell magics are not Python

    def system(self, command: str) -> None:
        return None

    def getoutput(self, command: str, split: bool = True) -> list[str]:
        return []

    def __getattr__(self, name: str) -> Any:
        return lambda *args, **kwargs: None  # any other shell method a cell calls: nothing happens

    def _run_here(self, statement: str, line: int) -> None:
        """The statement a `%time` line holds, compiled at that line of the notebook."""
        code = compile("\n" * (line - 1) + statement, self.path, "exec", dont_inherit=True)
        exec(code, self.user_ns)
