"""Where a target's failure is reported: the target's own file and line, never runpy's."""

from readkit.check.bootstrap import _describe


def test_a_syntax_error_is_located_in_the_file_that_failed_to_compile(tmp_path):
    broken = tmp_path / "helper.py"
    try:
        compile("x = (\n", str(broken), "exec")
    except SyntaxError as error:
        described = _describe(error, [str(tmp_path)])
    assert (described["path"], described["line"]) == (str(broken), 1)
    assert described["message"].startswith("SyntaxError:")


def test_frames_of_frozen_modules_are_not_the_targets(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # "<frozen runpy>" made absolute lands inside the target's root
    code = compile("raise ValueError('boom')", "<frozen runpy>", "exec")
    try:
        exec(code)
    except ValueError as error:
        described = _describe(error, [str(tmp_path)])
    assert described["path"] is None and described["line"] is None
