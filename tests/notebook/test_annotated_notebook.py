"""write_annotated_notebook: readkit's comments in code cells; outputs, markdown and magics untouched; idempotent."""

from __future__ import annotations

from pathlib import Path

import nbformat

from readkit.results.annotate import Annotation, FileResult, LegacyFinding
from readkit.notebook import load_notebook
from readkit.render.annotated_notebook import write_annotated_notebook


def lesson(path: Path) -> Path:
    node = nbformat.v4.new_notebook()
    code1 = nbformat.v4.new_code_cell("%matplotlib inline\nimport torch\nmodel = torch.nn.Linear(5, 3)")
    code1.outputs = [nbformat.v4.new_output("stream", name="stdout", text="hello\n")]
    code1.execution_count = 4
    node.cells = [nbformat.v4.new_markdown_cell("# Lesson"), code1,
                  nbformat.v4.new_code_cell("loss = model(torch.ones(1, 5)).sum()\nprint(loss.data[0])\n")]
    nbformat.write(node, str(path))
    return path


def result_for(path: Path) -> FileResult:
    # program lines: 1 pass, 2 import torch, 3 model = ..., 4 loss = ..., 5 print(...)
    return FileResult(
        str(path),
        annotations=(
            Annotation(3, 9, 3, 30, "nn", "resolved", "torch.nn.Linear", "test", "a fully connected layer"),
            Annotation(4, 8, 4, 31, "nn", "inferred", None, "test", "calls the module's forward"),
        ),
        legacy=(LegacyFinding(5, 7, 5, 19, "data-index-zero", "`.data[0]` of a 0-dim tensor", "loss.item()"),),
        cells=load_notebook(path).cells,
    )


def test_comments_land_in_their_cells_and_outputs_stay(tmp_path: Path) -> None:
    source = lesson(tmp_path / "lesson.ipynb")
    out = tmp_path / "out" / "lesson.ipynb"
    write_annotated_notebook(source, result_for(source), out)
    node = nbformat.read(str(out), as_version=4)
    first, second = node.cells[1], node.cells[2]
    assert first.source.splitlines() == [
        "%matplotlib inline",
        "import torch",
        "model = torch.nn.Linear(5, 3)  # [nn] a fully connected layer (torch.nn.Linear)",
    ]
    assert second.source.splitlines()[0] == "loss = model(torch.ones(1, 5)).sum()  # [nn] calls the module's forward"
    assert second.source.splitlines()[1].startswith("print(loss.data[0])  # [legacy data-index-zero → loss.item()]")
    assert second.source.endswith("\n")  # a cell's final newline is kept, as is its absence in the first cell
    assert first.outputs[0]["text"] == "hello\n" and first.execution_count == 4
    assert node.cells[0].source == "# Lesson"


def test_annotating_its_own_output_changes_nothing(tmp_path: Path) -> None:
    source = lesson(tmp_path / "lesson.ipynb")
    once, twice = tmp_path / "once.ipynb", tmp_path / "twice.ipynb"
    write_annotated_notebook(source, result_for(source), once)
    write_annotated_notebook(once, result_for(once), twice)
    assert once.read_text(encoding="utf-8") == twice.read_text(encoding="utf-8")


def test_the_annotated_notebook_still_loads_as_the_same_program(tmp_path: Path) -> None:
    source = lesson(tmp_path / "lesson.ipynb")
    out = tmp_path / "annotated.ipynb"
    write_annotated_notebook(source, result_for(source), out)
    before, after = load_notebook(source), load_notebook(out)
    assert after.cells == before.cells and after.notes == before.notes
    assert [line.split("  #")[0] for line in after.source.splitlines()] == before.source.splitlines()
