"""Jupyter notebooks as programs: read the code cells in order as one program.

`load_notebook(path)` joins a notebook's code cells into ONE Python program
(names defined in an earlier cell resolve in a later one, as they do in a
kernel), replaces IPython-only lines (magics, shell escapes, help queries) by
lines that keep the numbering aligned, and maps every program line back to the
cell a reader sees.

Cell numbers: the 1-based position of the cell among ALL cells of the notebook
(markdown cells count too), which is what a reader counts top to bottom and what
VS Code shows as "Cell N". Execution counts (`In [7]`) are not used: they are
missing in unexecuted notebooks and stale in edited ones.

What this module leaves out: analysing the program (readkit.annotate), running
it (readkit.check), and writing annotated notebooks (readkit.render.annotated_notebook).
"""

from __future__ import annotations

import json
import re
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple


class NotebookError(ValueError):
    """A file that is not a readable notebook; the message names the path and the reason."""


class Note(NamedTuple):
    """An IPython-only line that was left out of the program."""

    cell: int  # cell number (1-based among all cells)
    line: int  # line in that cell (1-based)
    text: str  # the original line


@dataclass(frozen=True)
class NotebookProgram:
    path: str
    source: str  # the code cells joined as one program, IPython-only lines neutralised
    cells: tuple[tuple[int, int], ...]  # program line i (1-based) -> cells[i - 1] = (cell, line in cell)
    notes: tuple[Note, ...] = ()
    markdown: tuple[tuple[int, str], ...] = ()  # (cell number, markdown text), in notebook order
    code_cells: tuple[int, ...] = ()  # the numbers of the code cells, in order

    def location(self, line: int) -> tuple[int, int] | None:
        """(cell, line in cell) of a program line, None when out of range."""
        return cell_location(self.cells, line)


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
            return nbformat.reads(text, as_version=4)  # type: ignore[no-untyped-call]
        except Exception as error:  # nbformat raises several unrelated types for bad structure
            raise NotebookError(f"{path}: not a notebook ({type(error).__name__}: {error})") from None


def load_notebook(path: str | Path) -> NotebookProgram:
    """Read a notebook and join its code cells into one program (see the module docstring)."""
    node = read_notebook_node(path)
    return program_from_cells(str(path), [(c.cell_type, cell_text(c)) for c in node.cells])


def program_from_cells(path: str, cells: list[tuple[str, str]]) -> NotebookProgram:
    """Join (cell_type, source) pairs into a NotebookProgram; cells are numbered from 1."""
    lines: list[str] = []
    where: list[tuple[int, int]] = []
    notes: list[Note] = []
    markdown: list[tuple[int, str]] = []
    code_cells: list[int] = []
    for number, (kind, text) in enumerate(cells, start=1):
        if kind == "markdown":
            markdown.append((number, text))
        elif kind == "code":
            code_cells.append(number)
            cleaned, ignored = neutralise_ipython(text)
            lines.extend(cleaned)
            where.extend((number, i) for i in range(1, len(cleaned) + 1))
            notes.extend(Note(number, i, original) for i, original in ignored)
    source = "\n".join(lines) + ("\n" if lines else "")
    return NotebookProgram(path, source, tuple(where), tuple(notes), tuple(markdown), tuple(code_cells))


def cell_text(cell: Any) -> str:
    source = cell.get("source", "")
    return "".join(source) if isinstance(source, list) else str(source)


# ----------------------------------------------------------------------------
# IPython-only syntax

# Cell magics whose body is Python (the magic line goes, the body stays).
PYTHON_BODY_CELL_MAGICS = frozenset({"time", "timeit", "capture", "prun", "debug", "profile", "memit"})

_ASSIGNED_MAGIC = re.compile(r"^(\s*)([A-Za-z_]\w*)\s*=\s*[%!]")
_HELP_QUERY = re.compile(r"^\s*(\?{1,2}\s*[\w.]+|[\w.\[\]()]+\s*\?{1,2})\s*$")
_IPYTHON_CALL = re.compile(r"^\s*get_ipython\(\)\s*\.")


def neutralise_ipython(text: str) -> tuple[list[str], list[tuple[int, str]]]:
    """The cell's lines with IPython-only lines replaced, and (line, original) for each replaced.

    A replaced line becomes `pass` at its own indentation (so a block it was the
    only statement of stays valid), or `name = None` for `name = !cmd` so later
    uses of the name still resolve. Lines inside strings or brackets are never touched.
    """
    lines = text.splitlines()
    if lines and lines[0].startswith("%%"):
        return _neutralise_cell_magic(lines)
    out: list[str] = []
    ignored: list[tuple[int, str]] = []
    state = _ScanState()
    for number, line in enumerate(lines, start=1):
        replacement = _replace_line(line) if state.at_statement_start() else None
        if replacement is not None:
            ignored.append((number, line))
            line = replacement
        state.feed(line)
        out.append(line)
    return out, ignored


def _neutralise_cell_magic(lines: list[str]) -> tuple[list[str], list[tuple[int, str]]]:
    name = lines[0][2:].split(maxsplit=1)[0] if lines[0][2:].strip() else ""
    if name in PYTHON_BODY_CELL_MAGICS:
        body, ignored = neutralise_ipython("\n".join(lines[1:]))
        body += [""] * (len(lines) - 1 - len(body))  # splitlines drops trailing blank lines
        return [""] + body, [(1, lines[0])] + [(n + 1, t) for n, t in ignored]
    # %%bash, %%writefile, %%html ...: the whole cell is not Python
    return [""] * len(lines), [(1, lines[0])]


def _replace_line(line: str) -> str | None:
    stripped = line.lstrip()
    indent = line[: len(line) - len(stripped)]
    if stripped.startswith(("%", "!")) or _HELP_QUERY.match(line) or _IPYTHON_CALL.match(line):
        return indent + "pass"
    assigned = _ASSIGNED_MAGIC.match(line)
    if assigned:
        return f"{assigned.group(1)}{assigned.group(2)} = None"
    return None


class _ScanState:
    """Just enough of Python's lexer to know whether a line starts a new statement."""

    def __init__(self) -> None:
        self.depth = 0  # open brackets
        self.quote: str | None = None  # the open triple quote, if any
        self.continued = False  # previous line ended with a backslash

    def at_statement_start(self) -> bool:
        return self.depth == 0 and self.quote is None and not self.continued

    def feed(self, line: str) -> None:
        i = 0
        while i < len(line):
            i = self._step(line, i)
        self.continued = self.quote is None and line.endswith("\\")

    def _step(self, line: str, i: int) -> int:
        if self.quote is not None:
            end = line.find(self.quote, i)
            if end < 0:
                return len(line)
            self.quote = None
            return end + 3
        char = line[i]
        if char == "#":
            return len(line)
        if char in "\"'":
            return self._skip_string(line, i)
        if char in "([{":
            self.depth += 1
        elif char in ")]}":
            self.depth = max(0, self.depth - 1)
        return i + 1

    def _skip_string(self, line: str, i: int) -> int:
        if line.startswith(line[i] * 3, i):
            self.quote = line[i] * 3
            return i + 3
        j = i + 1
        while j < len(line) and line[j] != line[i]:
            j += 2 if line[j] == "\\" else 1
        return j + 1
