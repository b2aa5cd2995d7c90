"""Migrating a Jupyter notebook: its code cells rewritten in place, everything else kept.

The code cells are migrated as the one program the kernel runs (readkit.notebook:
names from earlier cells resolve), with each cell a barrier no fix crosses. The
migrated program is then put back cell by cell: a line the migration kept gets
its original text back (magics, shell escapes and a cell's own indentation stay
as written), a new line gets the cell's indentation. Only the changed cells'
`source` is replaced in the notebook's JSON; outputs, metadata, cell ids, key
order and indentation stay byte for byte. Before anything is returned, the new
notebook must validate (nbformat) and read back as exactly the migrated program;
otherwise the notebook is reported and left unchanged.

Left out: nbformat 3 notebooks (convert them first), running (readkit.migrate.runs).
"""

from __future__ import annotations

import dataclasses
import difflib
import json
import re
import warnings
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from readkit.results.annotate import FileError, Suppressed
from readkit.results.check import LineObservation
from readkit.results.migrate import Change, Note, display_path
from readkit.notebook import NotebookError, NotebookProgram, program_from_cells, read_notebook_node


@dataclass(frozen=True)
class MigratedNotebook:
    text: str  # the notebook file as read
    new_text: str | None  # the migrated notebook file, None when nothing changed
    diff: str  # per changed cell
    changes: tuple[Change, ...]  # on program lines
    notes: tuple[Note, ...]  # on program lines
    cells: tuple[tuple[int, int], ...]  # program line -> (cell, line in cell)
    suppressed: tuple[Suppressed, ...] = ()  # on program lines
    overridden: tuple[Note, ...] = ()  # on program lines


def migrate_notebook(path: Path, observations: Mapping[int, LineObservation] | None,
                     portable: bool = False) -> MigratedNotebook | FileError:
    """The notebook at `path` migrated in memory, or why it cannot be (never raises for bad input)."""
    loaded = _load(path)
    if isinstance(loaded, FileError):
        return loaded
    text, document, program = loaded
    from readkit.migrate.codemod import migrate_source

    starts = frozenset(first for _, first, _ in program.spans)
    result = migrate_source(program.analyzable_source(), str(path), observations=observations, portable=portable,
                            cell_starts=starts)
    base = MigratedNotebook(text, None, "", result.changes, result.notes, program.cells, result.suppressed,
                            result.overridden)
    if not result.changes:
        return base
    originals = {n: _cell_text(document["cells"][n - 1]) for n in program.code_cells}
    sources = {n: _ended_like(src, originals[n]) for n, src in cell_sources(program, result.code).items()}
    new_text = _with_sources(text, document, sources)
    problem = _problem(new_text, result.code, path)
    if problem is not None:
        return FileError("internal", f"{path}: {problem}; the notebook was left unchanged — please report this")
    diff = cell_diff(path, originals, sources)
    return dataclasses.replace(base, new_text=new_text, diff=diff)


def _load(path: Path) -> tuple[str, dict[str, Any], NotebookProgram] | FileError:
    try:
        read_notebook_node(path)  # the same checks and messages as annotate and check
        text = path.read_text(encoding="utf-8")
    except NotebookError as error:
        return FileError("unreadable", str(error))
    except (OSError, UnicodeDecodeError) as error:
        return FileError("unreadable", f"{path}: {error}")
    document = json.loads(text)
    if not isinstance(document, dict) or document.get("nbformat", 0) < 4 or "cells" not in document:
        return FileError("unsupported", f"{path}: an nbformat 3 notebook; convert it first "
                                        "(`jupyter nbconvert --to notebook --nbformat 4`)")
    cells = [(str(c.get("cell_type", "")), _cell_text(c)) for c in document["cells"]]
    return text, document, program_from_cells(str(path), cells)


def _cell_text(cell: Mapping[str, Any]) -> str:
    source = cell.get("source", "")
    return "".join(source) if isinstance(source, list) else str(source)


# ----------------------------------------------------------------------------
# The migrated program, back into cells


def cell_sources(program: NotebookProgram, migrated: str) -> dict[int, str]:
    """{cell number: new source} for each code cell whose code the migration changed."""
    before = program.analyzable_source().splitlines()
    after = migrated.splitlines()
    per_cell: dict[int, list[str]] = {}
    changed: set[int] = set()
    matcher = difflib.SequenceMatcher(None, before, after, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        for offset, j in enumerate(range(j1, j2)):
            i = min(i1 + offset, i2 - 1) if i2 > i1 else max(i1 - 1, 0)
            cell = _cell_of(program, i)
            kept = tag == "equal"
            per_cell.setdefault(cell, []).append(program.originals[i] if kept else _placed(program, i, i1, i2, after[j]))
            changed |= set() if kept else {cell}
        changed |= {_cell_of(program, i) for i in range(i1, i2)} if tag == "delete" else set()
    return {cell: "\n".join(per_cell.get(cell, [])) for cell in sorted(changed)}


def _cell_of(program: NotebookProgram, line_index: int) -> int:
    if not program.cells:
        return 0
    return program.cells[min(line_index, len(program.cells) - 1)][0]


def _placed(program: NotebookProgram, i: int, i1: int, i2: int, line: str) -> str:
    """A migrated line in its cell: the cell's indentation added; a magic the fix only moved
    (into a `with` block) gets its IPython text back."""
    if not line.strip():
        return ""
    kernel = program.source.split("\n")
    indent = line[: len(line) - len(line.lstrip())]
    wrapped = _magic_prefix(program.originals[i].strip(), kernel[i].strip()) if i < len(program.originals) else ""
    if wrapped and i2 - i1 == 1:  # `%time f(Variable(x))` -> `%time f(x)`: the magic stays
        return _cell_indent(program, i) + indent + wrapped + line.strip()
    for k in range(i1, i2):
        if kernel[k].strip() == line.strip() and k < len(program.originals):
            return _cell_indent(program, k) + indent + program.originals[k].strip()
    return _cell_indent(program, i) + line


def _magic_prefix(original: str, code: str) -> str:
    """`%time ` when the line is `%time CODE`, "" otherwise."""
    if code and original != code and original.endswith(code) and original.startswith("%"):
        return original[: len(original) - len(code)]
    return ""


def _cell_indent(program: NotebookProgram, line_index: int) -> str:
    """What IPython stripped from the cell of this program line (its common indentation)."""
    cell = _cell_of(program, line_index)
    kernel = program.source.split("\n")
    for i, (number, _) in enumerate(program.cells):
        original, code = program.originals[i], kernel[i]
        if number == cell and code.strip() and original.endswith(code):
            return original[: len(original) - len(code)]
    return ""


def _ended_like(source: str, original: str) -> str:
    """A cell ends with a newline when it did before (Jupyter writes none)."""
    return source + "\n" if original.endswith("\n") and not source.endswith("\n") else source


# ----------------------------------------------------------------------------
# The notebook file


def _with_sources(text: str, document: dict[str, Any], sources: Mapping[int, str]) -> str:
    """The notebook's JSON with only the given cells' `source` replaced, formatted as it was."""
    for number, source in sources.items():
        cell = document["cells"][number - 1]
        was_list = isinstance(cell.get("source"), list)
        cell["source"] = source.splitlines(keepends=True) if was_list else source
    indent = re.search(r"\n( +)\S", text)
    ascii_only = text.isascii() and "\\u" in text
    new = json.dumps(document, indent=len(indent[1]) if indent else 1, ensure_ascii=ascii_only)
    return new + "\n" if text.endswith("\n") else new


def _problem(new_text: str, migrated: str, path: Path) -> str | None:
    """Why the new notebook cannot be written: not valid nbformat, or it reads back differently."""
    import nbformat

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            nbformat.validate(nbformat.reads(new_text, as_version=4))  # type: ignore[no-untyped-call]  # nbformat is untyped
        except Exception as error:  # nbformat's validation errors are of several types
            return f"the migrated notebook would not be valid ({type(error).__name__}: {error})"
    document = json.loads(new_text)
    program = program_from_cells(str(path), [(str(c.get("cell_type", "")), _cell_text(c)) for c in document["cells"]])
    if _code_lines(program.analyzable_source()) != _code_lines(migrated):
        return "the migrated code could not be placed back into its cells"
    return None


def _code_lines(code: str) -> list[str]:
    return [line.rstrip() for line in code.split("\n") if line.strip()]


def cell_diff(path: Path, before: Mapping[int, str], after: Mapping[int, str]) -> str:
    """A unified diff per changed cell, each headed by the notebook and the cell number."""
    shown = Path(display_path(str(path))).as_posix()
    parts = []
    for number, new in after.items():
        lines = difflib.unified_diff(_ended(before[number]).splitlines(keepends=True), _ended(new).splitlines(keepends=True),
                                     fromfile=f"a/{shown} (cell {number})", tofile=f"b/{shown} (cell {number})")
        parts.append("".join(line if line.endswith("\n") else line + "\n" for line in lines))
    return "".join(parts)


def _ended(text: str) -> str:
    return text if text.endswith("\n") or not text else text + "\n"
