"""`--out DIR`: end-of-line comments, formatting untouched, idempotent on tricky layouts."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from readkit.results.annotate import AnnotateResult, FileError, FileResult, LegacyFinding
from readkit.render.annotated_copy import annotate_text, legacy_comment, line_comments
from readkit.render.annotated_files import OutOverwritesSourceError, annotate_bytes, write_annotated_copies
from readkit.render.run_index import RunIndex

from render_helpers import ann


def code(text: str) -> str:
    return textwrap.dedent(text)


def twice(source: str, comments: dict[int, str]) -> str:
    """Annotate, then annotate the output again: the second pass must change nothing."""
    once = annotate_text(source, comments)
    assert annotate_text(once, comments) == once
    return once


def test_comment_text_in_the_tutorials_spirit(train_file):
    assert line_comments(train_file) == {
        2: "[optim] create an optimizer (torch.optim.SGD)",
        4: "[autograd] read the tensor behind autograd (torch.Tensor.data, heuristic); "
           "[legacy data-index-zero → loss.item()]",
        5: "[optim] update parameters from their .grad (torch.optim.SGD.step)",
    }


def test_run_adds_verdicts_and_what_ran(train_file, check_of):
    comments = line_comments(train_file, RunIndex.from_check(check_of))
    assert comments[2] == "[optim] create an optimizer (torch.optim.SGD) {confirmed}; [ran 2x: float32[1] cpu]"
    assert comments[5].endswith("{confirmed}; [ran 1x]")


def test_legacy_without_replacement_names_the_rules_modern_form():
    finding = LegacyFinding(1, 1, 1, 5, "variable-wrapper", "m", None, modern="t  (no wrapper)")
    assert legacy_comment(finding) == "[legacy variable-wrapper → t (no wrapper)]"
    assert legacy_comment(LegacyFinding(1, 1, 1, 5, "unknown-idiom", "m", None)) == "[legacy unknown-idiom]"


def test_same_line_comment_and_untouched_neighbours():
    source = "import torch  \nopt.step()\nx = 1   \n"
    assert twice(source, {2: "[optim] step"}) == "import torch  \nopt.step()  # [optim] step\nx = 1   \n"


def test_multi_line_call_gets_its_comment_on_the_last_line():
    source = code("""\
        x = torch.tensor([1,
                          2],
                         dtype=torch.float32)
        y = x
        """)
    out = twice(source, {1: "[tensor] a", 3: "[tensor] b"})
    assert out.splitlines()[2] == "                 dtype=torch.float32)  # [tensor] a; [tensor] b"
    assert out.splitlines()[:2] == source.splitlines()[:2]


def test_backslash_continuation_gets_its_comment_on_the_last_line():
    source = "y = x + \\\n    torch.ones(2)\n"
    assert twice(source, {1: "[tensor] add"}) == "y = x + \\\n    torch.ones(2)  # [tensor] add\n"


def test_never_inside_a_multi_line_string():
    source = code('''\
        doc = """torch.randn(3)  # [nn] inside a string
        more"""
        ''')
    out = twice(source, {1: "[tensor] t", 2: "[tensor] u"})
    assert out == 'doc = """torch.randn(3)  # [nn] inside a string\nmore"""  # [tensor] t; [tensor] u\n'


def test_hash_inside_strings_and_existing_comments_are_kept():
    source = 'print("# [nn] not a comment", x)  # keep me\n'
    out = twice(source, {1: "[tensor] x"})
    assert out == 'print("# [nn] not a comment", x)  # keep me  # [tensor] x\n'


def test_old_readkit_comments_are_replaced_not_stacked():
    source = "opt.step()  # mine  # [optim] an old text; [legacy data-update → x]\n"
    assert twice(source, {1: "[optim] new"}) == "opt.step()  # mine  # [optim] new\n"
    assert annotate_text(source, {}) == "opt.step()  # mine\n"


def test_a_users_own_standalone_bracket_comment_is_left_alone():
    source = "# [nn] section: layers\nx = 1\n"
    assert twice(source, {2: "[tensor] x"}) == "# [nn] section: layers\nx = 1  # [tensor] x\n"


def test_crlf_and_tabs_are_kept():
    source = "if True:\r\n\tz = torch.zeros(2)\r\n\tw = 3\r\n"
    assert twice(source, {2: "[tensor] z"}) == "if True:\r\n\tz = torch.zeros(2)  # [tensor] z\r\n\tw = 3\r\n"


def test_semicolons_share_one_comment():
    assert twice("a = torch.ones(1); b = a + 1\n", {1: "[tensor] ones; [tensor] add"}) == \
        "a = torch.ones(1); b = a + 1  # [tensor] ones; [tensor] add\n"


def test_last_line_without_newline():
    assert twice("opt.step()", {1: "[optim] step"}) == "opt.step()  # [optim] step"


def test_untokenizable_source_comes_back_unchanged():
    source = 'x = """never closed\n'
    assert annotate_text(source, {1: "[tensor] x"}) == source


def test_declared_encoding_is_kept_and_the_arrow_falls_back_when_it_cannot_be_encoded():
    data = "# -*- coding: latin-1 -*-\nx = Variable(t)  # é\n".encode("latin-1")
    out = annotate_bytes(data, {2: "[legacy variable-wrapper → t]"})
    assert out == "# -*- coding: latin-1 -*-\nx = Variable(t)  # é  # [legacy variable-wrapper -> t]\n".encode("latin-1")
    assert annotate_bytes(out, {2: "[legacy variable-wrapper → t]"}) == out


def test_utf8_bom_is_kept():
    data = b"\xef\xbb\xbfx = torch.ones(1)\n"
    assert annotate_bytes(data, {1: "[tensor] ones"}) == b"\xef\xbb\xbfx = torch.ones(1)  # [tensor] ones\n"


def test_copies_keep_the_layout_under_the_given_root(tmp_path, train_file):
    repo = tmp_path / "repo"
    (repo / "pkg").mkdir(parents=True)
    moved = repo / "pkg" / "train.py"
    moved.write_text(Path(train_file.path).read_text())
    broken = repo / "py2.py"
    broken.write_bytes(b"print 'hi'\r\n")
    result = AnnotateResult((FileResult(str(moved), train_file.annotations, train_file.legacy),
                             FileResult(str(broken), error=FileError("python2", "print statement", 1, 1))))
    out = tmp_path / "out"
    written = write_annotated_copies(result, out, roots=[repo])
    assert written == [out / "pkg" / "train.py", out / "py2.py"]
    assert (out / "py2.py").read_bytes() == b"print 'hi'\r\n"
    copy = (out / "pkg" / "train.py").read_text().splitlines()
    assert copy[4] == "opt.step()  # [optim] update parameters from their .grad (torch.optim.SGD.step)"
    again = write_annotated_copies(AnnotateResult((FileResult(str(out / "pkg" / "train.py"), train_file.annotations,
                                                              train_file.legacy),)), tmp_path / "out2", roots=[out])
    assert again[0].read_bytes() == (out / "pkg" / "train.py").read_bytes()


def test_refuses_to_write_over_the_analyzed_files(tmp_path):
    source = tmp_path / "a.py"
    source.write_text("x = 1\n")
    result = AnnotateResult((FileResult(str(source), (ann(1, "tensor", "resolved", None, "m"),)),))
    with pytest.raises(OutOverwritesSourceError, match="would overwrite"):
        write_annotated_copies(result, tmp_path, roots=[tmp_path])
    assert source.read_text() == "x = 1\n"


def test_copies_from_an_earlier_run_inside_the_out_dir_are_not_copied_again(tmp_path):
    (tmp_path / "a.py").write_text("x = 1\n")
    (tmp_path / "annotated").mkdir()
    (tmp_path / "annotated" / "a.py").write_text("x = 1  # [tensor] m\n")
    files = tuple(FileResult(str(p), (ann(1, "tensor", "resolved", None, "m"),))
                  for p in (tmp_path / "a.py", tmp_path / "annotated" / "a.py"))
    written = write_annotated_copies(AnnotateResult(files), tmp_path / "annotated", roots=[tmp_path])
    assert written == [tmp_path / "annotated" / "a.py"]
    assert not (tmp_path / "annotated" / "annotated").exists()


def test_comments_carried_by_a_replacement_do_not_leak_into_the_next_comment():
    fix = "with torch.no_grad():\n    w -= 0.1 * w.grad  # note  # [autograd] the raw tensor (torch.Tensor.data)\n"
    finding = LegacyFinding(3, 1, 3, 28, "data-update", "m", fix)
    assert legacy_comment(finding) == "[legacy data-update → with torch.no_grad(): w -= 0.1 * w.grad]"


def test_one_part_per_role_on_a_line_with_the_other_symbols_after_also():
    file = FileResult("m.py", annotations=(
        ann(1, "tensor", "inferred", "torch.Tensor.sum", "reduce", column=20),
        ann(1, "nn", "inferred", "torch.nn.Module.__call__", "run the module", column=7),
        ann(1, "tensor", "heuristic", "torch.Tensor.exp", "exponential", column=14),
        ann(1, "tensor", "inferred", "torch.Tensor.sum", "reduce", column=30),
    ))
    assert line_comments(file) == {1: "[nn] run the module (torch.nn.Module.__call__); "
                                      "[tensor] exponential (torch.Tensor.exp, heuristic; also torch.Tensor.sum)"}
