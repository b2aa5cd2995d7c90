"""A course notebook with indented cells, magics and shell escapes annotates, checks and migrates like a script.

fixtures/notebook/course_lesson.ipynb: cell 2 `%matplotlib inline` + imports; cell 3 `!echo`, `files = !ls`;
cell 5 indented as a whole, `nn.init.xavier_uniform`, `model?`; cell 6 a `%%time` training loop with
`Variable`; cell 7 indented, `%time model(Variable(X)).shape`.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import nbformat
import pytest

from readkit.annotate import annotate_paths
from readkit.migrate.api import migrate_paths
from readkit.migrate.codemod import migrate_source
from readkit.migrate.notebooks import cell_sources
from readkit.notebook import load_notebook, program_from_cells

LESSON = Path(__file__).resolve().parents[2] / "fixtures" / "notebook" / "course_lesson.ipynb"


def _at(file_result, cell: int, line: int) -> set[str]:
    """Roles and legacy idioms found at (cell, line)."""
    cells = file_result.cells
    found = {a.role for a in file_result.annotations if cells[a.line - 1] == (cell, line)}
    return found | {f"legacy:{f.idiom}" for f in file_result.legacy if cells[f.line - 1] == (cell, line)}


def test_every_cell_is_annotated_indented_and_magic_ones_included() -> None:
    (result,) = annotate_paths([LESSON]).files
    assert result.error is None
    assert _at(result, 5, 1) >= {"nn"}  # model = nn.Sequential(...), in a cell indented as a whole
    assert "legacy:renamed-function" in _at(result, 5, 2)  # nn.init.xavier_uniform
    assert "autograd" in _at(result, 6, 7)  # loss.backward() inside the %%time cell
    assert {"nn", "legacy:variable-wrapper"} <= _at(result, 7, 2)  # %time model(Variable(X)).shape
    assert _at(result, 3, 1) == set() and _at(result, 5, 4) == set()  # !echo and model? are no PyTorch use


def test_the_program_keeps_each_cell_line_in_place() -> None:
    program = load_notebook(LESSON)
    line_of = {where: number for number, where in enumerate(program.cells, start=1)}
    code = program.source.splitlines()
    assert code[line_of[(5, 1)] - 1].startswith("model = nn.Sequential(")
    assert code[line_of[(7, 2)] - 1] == "model(Variable(X)).shape"
    assert program.originals[line_of[(7, 2)] - 1] == "  %time model(Variable(X)).shape"


@pytest.fixture
def lesson_copy(tmp_path: Path) -> Path:
    return Path(shutil.copy(LESSON, tmp_path / LESSON.name))


def test_migrate_rewrites_code_cells_in_place_and_keeps_the_rest(lesson_copy: Path) -> None:
    before = nbformat.read(str(lesson_copy), as_version=4)
    result = migrate_paths([lesson_copy], write=True)
    (report,) = result.files
    assert report.error is None and report.written == str(lesson_copy)
    after = nbformat.read(str(lesson_copy), as_version=4)
    nbformat.validate(after)
    assert [c.get("id") for c in after.cells] == [c.get("id") for c in before.cells]
    assert [c.get("outputs") for c in after.cells] == [c.get("outputs") for c in before.cells]
    assert [c.metadata for c in after.cells] == [c.metadata for c in before.cells]
    assert after.cells[4].source.splitlines() == [
        "    model = nn.Sequential(nn.Linear(4, 8), nn.Tanh(), nn.Linear(8, 2))",
        "    nn.init.xavier_uniform_(model[0].weight)",
        "    optimizer = torch.optim.SGD(model.parameters(), lr=0.5)",
        "    model?",
    ]
    assert after.cells[5].source.splitlines()[0] == "%%time"
    assert "    out = model(X)" in after.cells[5].source.splitlines()
    assert after.cells[6].source == "  print('final loss', losses[-1])\n  %time model(X).shape"
    assert "from torch.autograd import Variable" not in after.cells[1].source
    assert after.cells[2].source == before.cells[2].source  # untouched cells byte for byte


def test_migrate_diff_is_per_cell_and_json_locates_changes_in_cells(lesson_copy: Path) -> None:
    from readkit.render.migrate import to_json

    (report,) = migrate_paths([lesson_copy]).files
    headers = [line for line in report.diff.splitlines() if line.startswith("+++")]
    assert [h.rsplit(" ", 2)[-2:] for h in headers] == [["(cell", "2)"], ["(cell", "5)"], ["(cell", "6)"], ["(cell", "7)"]]
    assert "-    nn.init.xavier_uniform(model[0].weight)" in report.diff.splitlines()
    changes = json.loads(to_json(migrate_paths([lesson_copy])))["files"][0]["changes"]
    assert {(c["cell"], c["cell_line"], c["idiom"]) for c in changes} >= {(5, 2, "renamed-function"),
                                                                        (7, 2, "variable-wrapper")}


def test_migrate_verify_runs_the_notebook_before_and_after(lesson_copy: Path) -> None:
    result = migrate_paths([lesson_copy], verify_script=lesson_copy, timeout=300)
    verification = result.verification
    assert verification is not None and verification.verdict == "agrees", verification
    assert len(verification.original.losses) == 5 and verification.losses_compared == 5


def test_a_fix_that_opens_a_with_block_stays_inside_its_cell() -> None:
    program = program_from_cells("n.ipynb", [
        ("code", "import torch\nfrom torch.autograd import Variable\nnet = torch.nn.Linear(2, 2)"),
        ("code", "x = Variable(torch.ones(1, 2), volatile=True)\ny = net(x)"),
        ("code", "z = net(y)\nprint(z)"),
    ])
    migrated = migrate_source(program.analyzable_source(), "n.ipynb",
                              cell_starts=frozenset(first for _, first, _ in program.spans))
    assert cell_sources(program, migrated.code) == {
        1: "import torch\nnet = torch.nn.Linear(2, 2)",
        2: "with torch.no_grad():\n    x = torch.ones(1, 2)\n    y = net(x)",
    }


def test_a_notebook_that_is_not_a_notebook_is_a_per_file_error(tmp_path: Path) -> None:
    bad = tmp_path / "bad.ipynb"
    bad.write_text('{"cells": [', encoding="utf-8")
    (report,) = migrate_paths([bad]).files
    assert report.error is not None and "not a notebook" in report.error.message


def test_check_runs_the_cells_and_shows_each_lines_text() -> None:
    from readkit.check import check_target
    from readkit.render.check import to_text

    result = check_target(LESSON, quiet=True, timeout=300)
    assert result.status == "ok", result.output
    assert len(result.losses) == 5
    text = to_text(result)
    backward = next(line for line in text.splitlines() if "cell 6, line 7" in line)
    assert backward.rstrip().endswith("loss.backward()") and "[autograd]✓" in backward
    assert any(line.rstrip().endswith("%time model(Variable(X)).shape") for line in text.splitlines())
    assert "cell 3, line 1: !echo fetching the toy data" in " ".join(result.extra["notes"])


def test_check_fails_at_the_broken_cell_after_running_the_ones_above(tmp_path: Path) -> None:
    from readkit.check import check_target

    node = nbformat.v4.new_notebook()
    node.cells = [nbformat.v4.new_code_cell("import torch\nprint('first cell ran')"),
                  nbformat.v4.new_code_cell("    a = torch.ones(2)\nb = a + 1")]
    path = tmp_path / "broken.ipynb"
    nbformat.write(node, str(path))
    result = check_target(path, quiet=True, timeout=120)
    assert result.status == "failed" and result.failure is not None
    assert result.failure.message.startswith("IndentationError")
    assert (result.failure.path, result.failure.line) == (str(path), 3)  # program line 3 = cell 2, line 1
    assert "first cell ran" in result.output
    assert '"cells"' not in result.output  # the traceback shows the cell's line, not the file's JSON
    assert "    a = torch.ones(2)" in result.output
