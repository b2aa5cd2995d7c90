"""A small in-process notebook executor for docs/teaching.ipynb (no kernel, no nbclient).

Runs the code cells in order in one namespace, renders each cell's last
expression the way Jupyter does (`_repr_html_`, then `_repr_markdown_`, then
repr) and captures printed text. `python -m tests.notebook.executor --write
docs/teaching.ipynb` stores those outputs in the notebook for readers.
"""

from __future__ import annotations

import ast
import contextlib
import io
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import nbformat

SLOW_TAG = "readkit-slow"  # cells the default test run leaves out (they start a child process)


def rich_output(value: Any) -> dict[str, str]:
    """The mime bundle Jupyter would show for a value."""
    bundle = {"text/plain": repr(value)}
    for method, mime in (("_repr_html_", "text/html"), ("_repr_markdown_", "text/markdown")):
        render = getattr(value, method, None)
        if callable(render):
            bundle[mime] = render()
    return bundle


def run_cell(source: str, namespace: dict[str, Any], filename: str) -> tuple[str, dict[str, str] | None]:
    """(printed text, mime bundle of the last expression or None)."""
    tree = ast.parse(source, filename)
    last = tree.body.pop() if tree.body and isinstance(tree.body[-1], ast.Expr) else None
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        exec(compile(tree, filename, "exec"), namespace)
        value = eval(compile(ast.Expression(last.value), filename, "eval"), namespace) if last else None
    return printed.getvalue(), (rich_output(value) if value is not None else None)


def execute(path: Path, *, skip_tags: frozenset[str] = frozenset()) -> list[tuple[Any, str, dict[str, str] | None]]:
    """Run every code cell (except those tagged `skip_tags`); returns (cell, printed, bundle) per cell run."""
    return list(_run_cells(nbformat.read(str(path), as_version=4), path.name, skip_tags))


def _run_cells(node: Any, name: str, skip_tags: frozenset[str]) -> Iterator[tuple[Any, str, dict[str, str] | None]]:
    namespace: dict[str, Any] = {"__name__": "__main__"}
    for number, cell in enumerate(node.cells, start=1):
        if cell.cell_type != "code" or skip_tags & set(cell.metadata.get("tags", [])):
            continue
        printed, bundle = run_cell(cell.source, namespace, f"{name}, cell {number}")
        yield cell, printed, bundle


def write_outputs(path: Path) -> None:
    """Store each code cell's outputs in the notebook (what a reader sees on a forge)."""
    node = nbformat.read(str(path), as_version=4)
    for cell, printed, bundle in _run_cells(node, path.name, frozenset()):
        cell.outputs = [nbformat.v4.new_output("stream", name="stdout", text=printed)] if printed else []
        if bundle:
            cell.outputs.append(nbformat.v4.new_output("display_data", data=bundle))
    nbformat.write(node, str(path))


if __name__ == "__main__":
    if sys.argv[1:2] == ["--write"]:
        write_outputs(Path(sys.argv[2]))
