"""An annotated copy of a notebook: readkit's end-of-line comments in its code cells.

The comments' text comes from readkit.render.annotated_copy; reading the notebook and
mapping program lines to cells, from readkit.notebook. Like every `--out` copy, this
reads the original it copies (outputs, metadata and markdown stay untouched).
"""

from __future__ import annotations

import warnings
from pathlib import Path

from readkit.notebook import NotebookProgram, cell_text, program_from_cells, read_notebook_node
from readkit.render import annotated_copy
from readkit.results.annotate import FileResult


def write_annotated_notebook(path: str | Path, file_result: FileResult, out_path: str | Path) -> None:
    """Write `path` to `out_path` with readkit's end-of-line comments in its code cells.

    Running it on its own output changes nothing (the comment writer recognises and
    replaces its own comments).
    """
    import nbformat

    node = read_notebook_node(path)
    program = program_from_cells(str(path), [(c.cell_type, cell_text(c)) for c in node.cells])
    commented = _commented_program_lines(program, file_result)
    for number, cell_lines in _lines_per_cell(program, commented).items():
        cell = node.cells[number - 1]
        original = cell_text(cell)
        cell.source = "\n".join(cell_lines) + ("\n" if original.endswith("\n") else "")
    Path(out_path).parent.mkdir(parents=True, exist_ok=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        nbformat.write(node, str(out_path))  # type: ignore[no-untyped-call]  # nbformat is untyped


def _commented_program_lines(program: NotebookProgram, file_result: FileResult) -> list[str]:
    """Each cell line as the cell shows it, with the comment its program line got."""
    comments = annotated_copy.line_comments(file_result)
    plain = program.source.splitlines()
    commented = annotated_copy.annotate_text(program.source, comments).splitlines()
    return [_as_in_cell(shown, code, new) for shown, code, new in zip(program.originals, plain, commented)]


def _as_in_cell(shown: str, code: str, commented: str) -> str:
    """The kernel reads a cell without its common indentation, its `>>> ` prompts, and `%time`
    before a statement: when the cell's line ends with the program's (`    x = f()`, `%time f()`),
    what stands before it is put back in front of the commented line. A line IPython rewrote
    into a call (`!ls`, `%matplotlib inline`) stays as written, without a comment."""
    if commented == code or not shown.endswith(code):
        return shown
    return shown[: len(shown) - len(code)] + commented


def _lines_per_cell(program: NotebookProgram, lines: list[str]) -> dict[int, list[str]]:
    per_cell: dict[int, list[str]] = {number: [] for number in program.code_cells}
    for (cell, _), text in zip(program.cells, lines):
        per_cell[cell].append(text)
    return {number: texts for number, texts in per_cell.items() if texts}
