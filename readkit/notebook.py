"""Jupyter notebooks as programs: read the code cells in order as one program.

`load_notebook(path)` joins a notebook's code cells into ONE Python program
(names defined in an earlier cell resolve in a later one, as they do in a
kernel). Each cell is read as the kernel reads it (readkit.kernel_cells:
IPython's own input transformer, so indented cells, magics, shell escapes and
help queries mean what they mean in Jupyter), line for line, and every program
line maps back to the cell a reader sees.

Cell numbers: the 1-based position of the cell among ALL cells of the notebook
(markdown cells count too), which is what a reader counts top to bottom and what
VS Code shows as "Cell N". Execution counts (`In [7]`) are not used: they are
missing in unexecuted notebooks and stale in edited ones.

A cell that is not valid Python even to the kernel (a stray indentation, Python
2) is kept in `source` (the kernel would fail on it, and `readkit check` does
too, at that cell) and listed in `broken`; `analyzable_source()` leaves such
cells blank so that one bad cell does not hide the others from the analysis.

What this module leaves out: analysing the program (readkit.annotate), running
it (readkit.check), and writing annotated notebooks (readkit.render.annotated_notebook).
"""

from __future__ import annotations

import json
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple


class NotebookError(ValueError):
    """A file that is not a readable notebook; the message names the path and the reason."""


class Note(NamedTuple):
    """A line IPython rewrites (a magic, a shell escape, a help query): not Python as written."""

    cell: int  # cell number (1-based among all cells)
    line: int  # line in that cell (1-based)
    text: str  # the original line


class BrokenCell(NamedTuple):
    """A code cell that is not valid Python even as the kernel reads it."""

    cell: int  # cell number
    line: int  # the line of the error, in the cell
    message: str  # e.g. "IndentationError: unexpected indent"
    first: int  # the cell's first program line
    last: int  # its last program line


@dataclass(frozen=True)
class NotebookProgram:
    path: str
    source: str  # the code cells joined as one program, each as the kernel reads it
    cells: tuple[tuple[int, int], ...]  # program line i (1-based) -> cells[i - 1] = (cell, line in cell)
    notes: tuple[Note, ...] = ()
    markdown: tuple[tuple[int, str], ...] = ()  # (cell number, markdown text), in notebook order
    code_cells: tuple[int, ...] = ()  # the numbers of the code cells, in order
    originals: tuple[str, ...] = ()  # program line i -> originals[i - 1], the line as the cell shows it
    broken: tuple[BrokenCell, ...] = ()
    spans: tuple[tuple[int, int, int], ...] = ()  # (cell, first program line, last) per non-empty code cell

    def location(self, line: int) -> tuple[int, int] | None:
        """(cell, line in cell) of a program line, None when out of range."""
        return cell_location(self.cells, line)

    def analyzable_source(self) -> str:
        """`source` with the broken cells blank, unless every cell is broken (then the error is the news)."""
        if not self.broken or len(self.broken) == len(self.spans):
            return self.source
        lines = self.source.split("\n")
        for cell in self.broken:
            lines[cell.first - 1 : cell.last] = [""] * (cell.last - cell.first + 1)
        return "\n".join(lines)


def cell_location(cells: tuple[tuple[int, int], ...], line: int) -> tuple[int, int] | None:
    """(cell, line in cell) for a 1-based program line of a notebook mapping."""
    if 1 <= line <= len(cells):
        return cells[line - 1]
    return None


def describe_location(cells: tuple[tuple[int, int], ...] | None, line: int) -> str:
    """How a reader finds a line: `cell 3, line 2` in a notebook, `line 17` elsewhere."""
    where = cell_location(cells, line) if cells is not None else None
    if where is None:
        return f"line {line}"
    return f"cell {where[0]}, line {where[1]}"


# ----------------------------------------------------------------------------
# Reading


def read_notebook_node(path: str | Path) -> Any:
    """The nbformat v4 node of a notebook (v3 converted), or NotebookError."""
    import nbformat

    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise NotebookError(f"{path}: cannot read notebook: {error}") from None
    try:
        json.loads(text)
    except json.JSONDecodeError as error:
        raise NotebookError(f"{path}: not a notebook (invalid JSON at line {error.lineno}: {error.msg})") from None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # missing cell ids and the like: nbformat fixes them in memory
        try:
            return nbformat.reads(text, as_version=4)  # type: ignore[no-untyped-call]  # nbformat is untyped
        except Exception as error:  # nbformat raises several unrelated types for bad structure
            raise NotebookError(f"{path}: not a notebook ({type(error).__name__}: {error})") from None


def load_notebook(path: str | Path) -> NotebookProgram:
    """Read a notebook and join its code cells into one program (see the module docstring)."""
    node = read_notebook_node(path)
    return program_from_cells(str(path), [(c.cell_type, cell_text(c)) for c in node.cells])


def program_from_cells(path: str, cells: list[tuple[str, str]]) -> NotebookProgram:
    """Join (cell_type, source) pairs into a NotebookProgram; cells are numbered from 1."""
    from readkit.kernel_cells import read_cell

    lines: list[str] = []
    where: list[tuple[int, int]] = []
    originals: list[str] = []
    notes: list[Note] = []
    broken: list[BrokenCell] = []
    spans: list[tuple[int, int, int]] = []
    markdown: list[tuple[int, str]] = []
    code_cells: list[int] = []
    for number, (kind, text) in enumerate(cells, start=1):
        if kind == "markdown":
            markdown.append((number, text))
        if kind != "code":
            continue
        code_cells.append(number)
        cell = read_cell(text)
        first = len(lines) + 1
        lines.extend(cell.lines)
        where.extend((number, i) for i in range(1, len(cell.lines) + 1))
        shown = text.splitlines()
        originals.extend(shown[i] if i < len(shown) else "" for i in range(len(cell.lines)))
        notes.extend(Note(number, line, original) for line, original in cell.ipython)
        if cell.lines:
            spans.append((number, first, len(lines)))
        if cell.error is not None:
            broken.append(BrokenCell(number, cell.error[0], cell.error[1], first, len(lines)))
    source = "\n".join(lines) + ("\n" if lines else "")
    return NotebookProgram(path, source, tuple(where), tuple(notes), tuple(markdown), tuple(code_cells),
                           tuple(originals), tuple(broken), tuple(spans))


def cell_text(cell: Any) -> str:
    source = cell.get("source", "")
    return "".join(source) if isinstance(source, list) else str(source)
