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


# ---------------------------------------------------------------------- a real course notebook, through the CLI

LESSON = Path(__file__).resolve().parents[2] / "fixtures" / "notebook" / "course_lesson.ipynb"


def _annotate_out(source: Path, out: Path) -> nbformat.NotebookNode:
    from click.testing import CliRunner

    from readkit.cli import cli

    done = CliRunner().invoke(cli, ["annotate", "--no-color", "--no-cache", str(source), "--out", str(out)])
    assert done.exit_code == 0, done.output
    return nbformat.read(str(out / source.name), as_version=4)


def _without_readkit(line: str) -> str:
    return line.split("  # [")[0]


def test_indented_magic_and_shell_cells_keep_their_own_text_with_comments_at_their_indentation(tmp_path: Path) -> None:
    original = nbformat.read(str(LESSON), as_version=4)
    written = _annotate_out(LESSON, tmp_path / "out")
    for before, after in zip(original.cells, written.cells):
        assert [_without_readkit(line) for line in after.source.splitlines()] == before.source.splitlines()
    indented = written.cells[4].source.splitlines()  # cell 5, indented as a whole (was written back dedented)
    assert indented[0].startswith("    model = nn.Sequential(") and "  # [nn] " in indented[0]
    assert indented[1].startswith("    nn.init.xavier_uniform(model[0].weight)  # [nn] ")
    assert indented[3] == "    model?"
    timed = written.cells[6].source.splitlines()  # cell 7: `  %time model(Variable(X)).shape`, indented
    assert timed[0] == "  print('final loss', losses[-1])"
    assert timed[1].startswith("  %time model(Variable(X)).shape  # [nn] ")  # was: its comment dropped
    assert "[legacy variable-wrapper" in timed[1]
    shell = written.cells[2].source.splitlines()  # cell 3: shell escapes stay exactly as written
    assert shell[:2] == ["!echo fetching the toy data", "files = !ls"]
    assert written.cells[1].source.splitlines()[0] == "%matplotlib inline"


def test_the_annotated_course_notebook_reads_as_the_same_program_and_annotates_to_itself(tmp_path: Path) -> None:
    once = _annotate_out(LESSON, tmp_path / "once")
    twice = _annotate_out(tmp_path / "once" / LESSON.name, tmp_path / "twice")
    assert once == twice
    before, after = load_notebook(LESSON), load_notebook(tmp_path / "once" / LESSON.name)
    assert after.cells == before.cells and not after.broken
    assert [_without_readkit(line) for line in after.source.splitlines()] == before.source.splitlines()
