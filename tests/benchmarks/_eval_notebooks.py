"""Notebook entries for the evaluation: a notebook runs as the program of its code cells, joined in
order, with IPython-only lines blanked so that every program line still maps to (cell, line).

Written apart from readkit.notebook on purpose: the evaluation must not trust the code it measures.
Cells are numbered 1-based among ALL cells (markdown too), lines 1-based within a cell.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

# Cell magics whose body is still Python; any other cell magic (%%bash, %%html, ...) blanks its cell.
PYTHON_BODY_MAGICS = frozenset({"time", "timeit", "capture", "prun"})
IPYTHON_LINE = re.compile(r"^\s*([%!]|get_ipython\(\)|\S+\?\s*$|\?)|^\s*\w+\s*=\s*[%!]")


@dataclass(frozen=True)
class NotebookProgram:
    text: str
    where: tuple[tuple[int, int], ...]  # program line - 1 -> (cell, line in cell)


def cell_lines(cell: dict[str, object]) -> list[str]:
    source = cell.get("source", "")
    text = "".join(source) if isinstance(source, list) else str(source)
    return text.splitlines()


def python_lines(lines: list[str]) -> list[str]:
    """The cell's lines with IPython-only ones blanked (the numbering stays)."""
    if lines and lines[0].lstrip().startswith("%%"):
        magic = lines[0].lstrip()[2:].split(maxsplit=1)[0] if lines[0].strip() != "%%" else ""
        if magic not in PYTHON_BODY_MAGICS:
            return [""] * len(lines)
        return [""] + lines[1:]
    return ["" if IPYTHON_LINE.match(line) else line for line in lines]


def join_cells(path: Path) -> NotebookProgram:
    notebook = json.loads(path.read_text(encoding="utf-8"))
    lines: list[str] = []
    where: list[tuple[int, int]] = []
    for number, cell in enumerate(notebook.get("cells", []), start=1):
        if cell.get("cell_type") == "code":
            code = python_lines(cell_lines(cell))
            lines.extend(code)
            where.extend((number, i) for i in range(1, len(code) + 1))
    return NotebookProgram("\n".join(lines) + "\n", tuple(where))
