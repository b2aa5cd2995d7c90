"""The order and number of script runs (the checker faked: no child process), and what gets written."""

from pathlib import Path

import pytest

from readkit.results.check import CheckResult, LineObservation, TargetFailure
from readkit.migrate import migrate_paths, scratch

LEGACY = "import torch\nloss = f()\nprint(loss.data[0])\n"


@pytest.fixture
def runs(monkeypatch):
    """Fake `verify.run_in`: a copy still holding `.data[0]` fails with IndexError after one loss;
    a migrated copy runs with two losses (or `losses_after` when a test sets it)."""
    calls: list[str] = []
    state = {"losses_after": (1.0, 0.5)}

    def fake_run_in(copy, root, script, args, cwd, timeout):
        twin = copy / script.relative_to(root)
        text = twin.read_text()
        calls.append("original" if ".data[0]" in text else "migrated")
        lines = (LineObservation(str(twin), 3, ("tensor",), 1, ("float32[4, 3] cpu",)),)
        if ".data[0]" in text:
            failure = TargetFailure("exception", "IndexError: invalid index", str(twin), 3)
            return CheckResult(str(twin), "failed", 1, 0.1, lines=lines, failure=failure, losses=(1.0,))
        return CheckResult(str(twin), "ok", 0, 0.1, lines=lines, losses=state["losses_after"])

    monkeypatch.setattr(scratch, "run_in", fake_run_in)
    return calls, state


def test_verify_runs_the_original_and_the_migrated_copy_once_each(tmp_path, stub_codemod, runs):
    calls, _ = runs
    (tmp_path / "main.py").write_text(LEGACY)
    result = migrate_paths([tmp_path], verify_script=tmp_path / "main.py")
    assert sorted(calls) == ["migrated", "original"]
    assert result.verification.verdict == "fixed" and result.exit_code == 1


def test_run_and_verify_of_one_script_share_the_original_run(tmp_path, stub_codemod, runs):
    calls, _ = runs
    (tmp_path / "main.py").write_text(LEGACY)
    migrate_paths([tmp_path], run_script=tmp_path / "main.py", verify_script=tmp_path / "main.py")
    assert calls == ["original", "migrated"]


def test_an_early_failure_with_open_notes_gets_a_second_look_reused_by_verify(tmp_path, stub_codemod, runs):
    calls, _ = runs
    (tmp_path / "main.py").write_text(LEGACY + "p = F.softmax(loss)\n")  # the stub leaves a note here
    result = migrate_paths([tmp_path], run_script=tmp_path / "main.py", verify_script=tmp_path / "main.py")
    assert calls == ["original", "migrated"]  # the observing run of the migrated code serves verify too
    assert result.observed_rerun.ok and result.verification.verdict == "fixed"


def test_a_regression_is_not_written(tmp_path, stub_codemod, runs):
    _, state = runs
    state["losses_after"] = (1.5, 0.5)  # the first loss moved
    (tmp_path / "main.py").write_text(LEGACY)
    result = migrate_paths([tmp_path], write=True, verify_script=tmp_path / "main.py")
    assert result.verification.verdict == "regression" and result.write_refused
    assert (tmp_path / "main.py").read_text() == LEGACY
    assert result.exit_code == 2


def test_a_fixed_migration_is_written(tmp_path, stub_codemod, runs):
    (tmp_path / "main.py").write_text(LEGACY)
    result = migrate_paths([tmp_path], write=True, verify_script=tmp_path / "main.py")
    assert not result.write_refused and "loss.item()" in (tmp_path / "main.py").read_text()
    assert Path(result.files[0].written) == tmp_path / "main.py"


def test_the_regression_is_rendered_with_both_numbers(tmp_path, stub_codemod, runs):
    from readkit.render.migrate import to_text

    _, state = runs
    state["losses_after"] = (1.5, 0.5)
    (tmp_path / "main.py").write_text(LEGACY)
    text = to_text(migrate_paths([tmp_path], out_dir=tmp_path / "out", verify_script=tmp_path / "main.py"))
    assert "regression: loss 1 differs: 1.0 before, 1.5 after" in text
    assert text.endswith("NOT written: the migration regressed (see verify)\n")
    assert not (tmp_path / "out").exists()


def test_json_spells_a_nan_loss_as_a_string(tmp_path, stub_codemod, runs):
    import json

    from readkit.render.migrate import to_json

    _, state = runs
    state["losses_after"] = (1.0, float("nan"))
    (tmp_path / "main.py").write_text(LEGACY)
    data = json.loads(to_json(migrate_paths([tmp_path], verify_script=tmp_path / "main.py")))
    assert data["verification"]["migrated"]["losses"] == [1.0, "nan"]
    assert data["verification"]["verdict"] == "fixed" and data["exit_code"] == 1


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs /proc (Linux)")
def test_ctrl_c_ends_the_runs_the_worker_threads_wait_on():
    import subprocess
    import sys

    from readkit.migrate.runs import _end_child_process_groups

    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"], start_new_session=True)
    try:
        _end_child_process_groups()
        assert child.wait(timeout=10) == -15  # SIGTERM to its group
    finally:
        child.kill()
