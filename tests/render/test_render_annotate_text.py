"""The terminal view of `readkit annotate`, exactly."""

from __future__ import annotations

import io
from dataclasses import replace

from readkit.results.annotate import AnnotateResult, FileError, FileResult
from readkit.results.check import TargetFailure
from readkit.render.annotate import emit, to_text
from readkit.render.run_index import RunIndex

from render_helpers import ann


def test_file_view_lists_each_annotated_line_with_tags_and_modern_form(train_file):
    assert to_text(train_file) == (
        f"{train_file.path}\n"
        "    2  opt = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.1)\n"
        "       [optim] create an optimizer (torch.optim.SGD; resolved)\n"
        "    4  print(loss.data[0])\n"
        "       [autograd] read the tensor behind autograd (torch.Tensor.data; heuristic)\n"
        "       [legacy data-index-zero] `.data[0]` of a 0-dim tensor raises IndexError -> loss.item()\n"
        "    5  opt.step()\n"
        "       [optim] update parameters from their .grad (torch.optim.SGD.step; inferred)\n"
        "  = 3 uses: autograd 1, optim 2; legacy: data-index-zero 1\n"
    )


def test_summary_counts_files_roles_evidence_and_idioms(result):
    text = to_text(result)
    assert text.endswith(
        "Summary: 3 files, 2 analyzed, 1 failed\n"
        "  roles     [autograd] 1  [optim] 2\n"
        "  evidence  heuristic 1, inferred 1, resolved 1\n"
        "  legacy    data-index-zero 1\n"
        "  see autograd  readkit run-reference --step autograd.backward_of_sum\n"
        "  see optim     readkit run-reference --step optim.train_logistic_regression\n"
    )


def test_unparseable_file_shows_path_line_reason_and_python2_hint(result):
    assert (
        "old/py2.py\n"
        "  error (python2) at line 3, column 7: Missing parentheses in call to 'print'\n"
        "  hint: this is Python 2 code; readkit reads Python 3 (convert it with `2to3`, or read it as text)\n"
    ) in to_text(result)


def test_files_with_nothing_to_show_are_only_counted(result):
    assert "quiet.py" not in to_text(result)


def test_no_ansi_codes_without_colour_and_role_colours_with_it(result):
    assert "\x1b[" not in to_text(result, color=False)
    coloured = to_text(result, color=True)
    assert "\x1b[33m\x1b[1m[optim]" in coloured  # optim is yellow in readkit.roles
    assert "\x1b[31m\x1b[1m[legacy data-index-zero]" in coloured


def test_notebook_lines_show_as_cell_and_line(tmp_path):
    notebook = tmp_path / "nb.ipynb"
    notebook.write_text("not read: the source line is simply left blank")
    file = FileResult(str(notebook), annotations=(ann(3, "tensor", "resolved", "torch.randn", "random tensor"),),
                      cells=((1, 1), (1, 2), (4, 1)))
    lines = to_text(file).splitlines()
    assert lines[1] == "    cell 4, line 1"
    assert lines[2] == "                    [tensor] random tensor (torch.randn; resolved)"


def test_notebook_error_location_is_a_cell(tmp_path):
    file = FileResult("nb.ipynb", error=FileError("syntax", "invalid syntax", 2, 1), cells=((2, 1), (2, 2)))
    assert "error (syntax) at cell 2, line 2, column 1: invalid syntax" in to_text(file)


def test_run_adds_verdicts_and_what_ran(train_file, check_of):
    text = to_text(AnnotateResult((train_file,)), run=RunIndex.from_check(check_of))
    assert "[optim] create an optimizer (torch.optim.SGD; resolved) {confirmed}\n" \
           "       ran 2x: float32[1] cpu\n" in text
    assert "(torch.Tensor.data; heuristic) {not-reached}\n" in text
    assert "  = ran but not annotated: 2 tensor\n" in text
    assert text.endswith(f"  run       {check_of.target}: ok (exit 0, 0.2 s)\n"
                         "  verdicts  confirmed 2, not-reached 1\n")


def test_long_source_lines_are_cut(tmp_path):
    code = "x = torch.zeros(" + "1, " * 60 + "1)\n"
    file = FileResult(str(tmp_path / "long.py"), annotations=(ann(1, "tensor", "resolved", "torch.zeros", "zeros"),),
                      source=code)
    row = to_text(file).splitlines()[1]
    assert row.endswith("...") and len(row.strip()) == len("1  ") + 100


def test_emit_writes_the_chosen_format(result):
    for fmt, start in (("text", result.files[0].path), ("json", '{"readkit_version"'), ("sarif", "{\n")):
        stream = io.StringIO()
        emit(result, fmt=fmt, color=False, stream=stream)
        assert stream.getvalue().startswith(start)


def test_a_failed_run_says_why_and_where(train_file, check_of):
    failed = replace(check_of, status="failed", exit_code=1,
                     failure=TargetFailure("exception", "IndexError: invalid index of a 0-dim tensor",
                                           train_file.path, 4))
    text = to_text(AnnotateResult((train_file,)), run=RunIndex.from_check(failed))
    assert f"            exception: IndexError: invalid index of a 0-dim tensor at {train_file.path}:4\n" in text


def test_the_source_shown_is_the_one_the_result_carries(tmp_path):
    on_disk = tmp_path / "train.py"
    on_disk.write_text("y = torch.zeros(3)\n")  # render never reads it
    file = FileResult(str(on_disk), annotations=(ann(1, "tensor", "resolved", "torch.ones", "ones"),),
                      source="x = torch.ones(2)\n")
    assert to_text(file).splitlines()[1] == "    1  x = torch.ones(2)"
    assert to_text(replace(file, source=None)).splitlines()[1] == "    1"


def test_no_hint_when_the_message_already_gives_that_advice():
    file = FileResult("p.py", error=FileError("python2", "Python 2 syntax: run 2to3 first", 1, 1))
    assert "hint:" not in to_text(file)


def test_a_file_with_only_missed_uses_is_shown_with_a_run(check_of):
    quiet = FileResult(check_of.target)
    text = to_text(AnnotateResult((quiet,)), run=RunIndex.from_check(check_of))
    assert text.startswith(f"{check_of.target}\n  = 0 uses\n  = ran but not annotated: 2 tensor\n")
    assert to_text(AnnotateResult((quiet,))).startswith("Summary")
