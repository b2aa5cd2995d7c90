"""load_notebook: code cells joined as one program, each read as the Jupyter kernel reads it, lines mapped to cells."""

from __future__ import annotations

import json
from pathlib import Path

import nbformat
import pytest

from readkit.kernel_cells import read_cell
from readkit.notebook import NotebookError, describe_location, load_notebook, program_from_cells


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
        "get_ipython().run_line_magic('matplotlib', 'inline')", "import torch", "import torch.nn as nn",
        "model = nn.Linear(5, 3)", "get_ipython().system('pip install tqdm')", "out = model(torch.randn(2, 5))",
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
    ("for i in range(3):\n    %time f(i)", ["for i in range(3):", "    f(i)"]),
    ("for i in range(3):\n    %matplotlib inline", ["for i in range(3):", "    get_ipython().run_line_magic('matplotlib', 'inline')"]),
    ("files = !ls\nprint(files)", ["files = get_ipython().getoutput('ls')", "print(files)"]),
    ("torch.randn?\n??torch.zeros", ["get_ipython().run_line_magic('pinfo', 'torch.randn')",
                                     "get_ipython().run_line_magic('pinfo2', 'torch.zeros')"]),
    ('doc = """\n%d items\n!not shell\n"""', ['doc = """', "%d items", "!not shell", '"""']),
    ("y = f(1,\n      2)\nz = 10 % 3", ["y = f(1,", "      2)", "z = 10 % 3"]),
    ("%timeit -n 10 -r 3 model(x)", ["model(x)"]),
])
def test_cells_read_as_the_kernel_reads_them_line_for_line(cell: str, expected: list[str]) -> None:
    assert list(read_cell(cell).lines) == expected


def test_a_cell_indented_as_a_whole_is_dedented_as_ipython_does() -> None:
    cell = read_cell("\n    import torch\n    for x in range(2):\n        y = torch.ones(x)\n")
    assert cell.lines == ("", "import torch", "for x in range(2):", "    y = torch.ones(x)")
    assert cell.error is None and cell.ipython == ()


def test_a_shell_command_continued_over_lines_keeps_the_numbering() -> None:
    cell = read_cell("!pip install \\\n    tqdm\nx = 1")
    assert cell.lines == ("get_ipython().system('pip install      tqdm')", "", "x = 1")
    assert [line for line, _ in cell.ipython] == [1, 2]


def test_pasted_prompts_are_stripped() -> None:
    assert read_cell(">>> x = 1\n>>> y = x + 1").lines == ("x = 1", "y = x + 1")


def test_cell_magic_with_python_body_keeps_the_body_and_line_numbers() -> None:
    cell = read_cell("%%time\nx = 1\n%timeit x\n")
    assert cell.lines == ("", "x = 1", "x")
    assert cell.ipython == ((1, "%%time"), (3, "%timeit x"))


def test_cell_magic_with_foreign_body_blanks_the_whole_cell() -> None:
    cell = read_cell("%%bash\nls -l\necho import torch")
    assert cell.lines == ("", "", "")
    assert cell.ipython == ((1, "%%bash"),)


def test_a_cell_the_kernel_cannot_run_is_broken_and_left_out_of_the_analysis_only() -> None:
    program = program_from_cells("nb.ipynb", [
        ("code", "import torch"), ("markdown", "text"), ("code", "    x = 1\ny = 2"), ("code", "z = torch.ones(1)"),
    ])
    assert [(b.cell, b.line, b.message, b.first, b.last) for b in program.broken] == [
        (3, 1, "IndentationError: unexpected indent", 2, 3)]
    assert program.source.splitlines()[1:3] == ["    x = 1", "y = 2"]  # what check runs, and fails on
    assert program.analyzable_source().splitlines() == ["import torch", "", "", "z = torch.ones(1)"]
    assert program.spans == ((1, 1, 1), (3, 2, 3), (4, 4, 4))
    assert program.originals == ("import torch", "    x = 1", "y = 2", "z = torch.ones(1)")


def test_when_every_cell_is_broken_the_program_is_analyzed_as_it_is() -> None:
    program = program_from_cells("py2.ipynb", [("code", "print 'hello'")])
    assert program.analyzable_source() == program.source == "print 'hello'\n"


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


# ----------------------------------------------------------------------------
# Markdown cells in the HTML report


def test_markdown_cells_render_as_commonmark_with_math_left_as_typed() -> None:
    from readkit.render.html.source import markdown_html

    html = markdown_html("# Lesson\nWe minimise $a_1 * b_2$ with *SGD*.\n\n$$\\theta_{t+1} = \\theta_t$$\n\n"
                         "| a | b |\n|---|---|\n| 1 | 2 |")
    assert "<h1>Lesson</h1>" in html and "<em>SGD</em>" in html
    assert '<span class="math inline">$a_1 * b_2$</span>' in html  # no <em> made of the math's `*`
    assert "$$\\theta_{t+1} = \\theta_t$$" in html and '<div class="math block">' in html
    assert "<td>1</td>" in html


def test_markdown_cells_never_pass_html_or_unsafe_links_through() -> None:
    from readkit.render.html.source import markdown_html

    html = markdown_html("<script>alert(1)</script> [x](javascript:alert(1)) [docs](https://pytorch.org)")
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert 'href="javascript' not in html and '<a href="https://pytorch.org">docs</a>' in html
