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


def test_the_targets_objects_outlive_its_run_for_the_summary_at_exit(tmp_path):
    """The exit summary (e.g. an optimizer whose step() never ran) reads objects the target
    held in its globals; they must not be freed by the garbage collector when the script ends."""
    import builtins
    import gc

    from readkit.check.bootstrap import _execute

    script = tmp_path / "target.py"
    script.write_text("import builtins, weakref\nclass Box: pass\nbox = Box()\nbox.me = box  # a cycle\n"
                      "builtins._readkit_probe = weakref.ref(box)\n")
    try:
        _execute({"kind": "script", "target": str(script)})
        gc.collect()
        assert builtins._readkit_probe() is not None
    finally:
        del builtins._readkit_probe
