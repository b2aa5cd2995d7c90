"""load_notebook: code cells joined as one program, IPython-only lines neutralised, lines mapped to cells."""

from __future__ import annotations

import json
from pathlib import Path

import nbformat
import pytest

from readkit.notebook import NotebookError, describe_location, load_notebook, neutralise_ipython


def write_notebook(path: Path, cells: list[tuple[str, str]]) -> Path:
    node = nbformat.v4.new_notebook()
    makers = {"code": nbformat.v4.new_code_cell, "markdown": nbformat.v4.new_markdown_cell}
    node.cells = [makers[kind](text) for kind, text in cells]
    nbformat.write(node, str(path))
    return path


@pytest.fixture
def course_notebook(tmp_path: Path) -> Path:
    return write_notebook(tmp_path / "lesson.ipynb", [
        ("markdown", "# Lesson 1\nA linear model."),
        ("code", "%matplotlib inline\nimport torch\nimport torch.nn as nn"),
        ("markdown", "Now the model:"),
        ("code", "model = nn.Linear(5, 3)\n!pip install tqdm\nout = model(torch.randn(2, 5))"),
    ])


def test_code_cells_are_joined_in_order_as_one_program(course_notebook: Path) -> None:
    program = load_notebook(course_notebook)
    assert program.source.splitlines() == [
        "pass", "import torch", "import torch.nn as nn",
        "model = nn.Linear(5, 3)", "pass", "out = model(torch.randn(2, 5))",
    ]
    compile(program.source, str(course_notebook), "exec")


def test_program_lines_map_to_cell_numbers_counting_markdown_cells(course_notebook: Path) -> None:
    program = load_notebook(course_notebook)
    assert program.cells == ((2, 1), (2, 2), (2, 3), (4, 1), (4, 2), (4, 3))
    assert program.location(6) == (4, 3)
    assert program.location(7) is None
    assert describe_location(program.cells, 4) == "cell 4, line 1"
    assert describe_location(None, 4) == "line 4"


def test_ignored_lines_are_noted_with_their_cell_and_text(course_notebook: Path) -> None:
    program = load_notebook(course_notebook)
    assert [tuple(n) for n in program.notes] == [(2, 1, "%matplotlib inline"), (4, 2, "!pip install tqdm")]
    assert program.markdown == ((1, "# Lesson 1\nA linear model."), (3, "Now the model:"))
    assert program.code_cells == (2, 4)


@pytest.mark.parametrize(("cell", "expected"), [
    ("for i in range(3):\n    %time f(i)", ["for i in range(3):", "    pass"]),
    ("files = !ls\nprint(files)", ["files = None", "print(files)"]),
    ("torch.randn?\n??torch.zeros", ["pass", "pass"]),
    ("get_ipython().system('ls')", ["pass"]),
    ('doc = """\n%d items\n!not shell\n"""', ['doc = """', "%d items", "!not shell", '"""']),
    ("y = f(1,\n      2)\nz = 10 % 3", ["y = f(1,", "      2)", "z = 10 % 3"]),
])
def test_ipython_lines_are_replaced_but_python_is_not(cell: str, expected: list[str]) -> None:
    assert neutralise_ipython(cell)[0] == expected


def test_cell_magic_with_python_body_keeps_the_body_and_line_numbers() -> None:
    lines, ignored = neutralise_ipython("%%time\nx = 1\n%timeit x\n")
    assert lines == ["", "x = 1", "pass"]
    assert ignored == [(1, "%%time"), (3, "%timeit x")]


def test_cell_magic_with_foreign_body_blanks_the_whole_cell() -> None:
    lines, ignored = neutralise_ipython("%%bash\nls -l\necho import torch")
    assert lines == ["", "", ""]
    assert ignored == [(1, "%%bash")]


def test_invalid_json_raises_a_clear_error_with_the_path(tmp_path: Path) -> None:
    broken = tmp_path / "broken.ipynb"
    broken.write_text('{"cells": [', encoding="utf-8")
    with pytest.raises(NotebookError, match=r"broken\.ipynb: not a notebook \(invalid JSON"):
        load_notebook(broken)


def test_json_that_is_not_a_notebook_is_an_error(tmp_path: Path) -> None:
    other = tmp_path / "data.ipynb"
    other.write_text(json.dumps({"hello": 1}), encoding="utf-8")
    with pytest.raises(NotebookError, match="data.ipynb: not a notebook"):
        load_notebook(other)


def test_version_3_notebooks_are_converted(tmp_path: Path) -> None:
    v3 = {"nbformat": 3, "nbformat_minor": 0, "metadata": {}, "worksheets": [{"cells": [
        {"cell_type": "markdown", "source": ["Intro"], "metadata": {}},
        {"cell_type": "code", "input": ["import torch\n", "x = torch.ones(2)"], "language": "python",
         "outputs": [], "metadata": {}},
    ], "metadata": {}}]}
    path = tmp_path / "old.ipynb"
    path.write_text(json.dumps(v3), encoding="utf-8")
    program = load_notebook(path)
    assert program.source == "import torch\nx = torch.ones(2)\n"
    assert program.cells == ((2, 1), (2, 2))
