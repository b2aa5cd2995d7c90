"""`readkit migrate` through click: exit codes, diff output, --write, --out, script args after `--`."""

from pathlib import Path

import pytest
from click.testing import CliRunner

from readkit.cli import cli
import readkit.migrate

LEGACY = "loss = compute()\nprint(loss.data[0])\n"


def invoke(*args):
    return CliRunner().invoke(cli, ["migrate", "--no-color", *map(str, args)])


def test_exit_0_when_nothing_changes(tmp_path, stub_codemod):
    (tmp_path / "ok.py").write_text("x = 1\n")
    result = invoke(tmp_path)
    assert result.exit_code == 0, result.output
    assert result.output == "nothing to change, 0 notes, 0 errors; nothing written\n"


def test_exit_1_and_a_diff_when_changes_are_proposed(tmp_path, stub_codemod):
    (tmp_path / "train.py").write_text(LEGACY)
    result = invoke(tmp_path / "train.py")
    assert result.exit_code == 1, result.output
    assert "-print(loss.data[0])\n+print(loss.item())\n" in result.output
    assert result.output.endswith("1 file to change (1 change), 0 notes, 0 errors; nothing written\n")
    assert (tmp_path / "train.py").read_text() == LEGACY


def test_exit_2_for_python2_with_path_and_hint(tmp_path, stub_codemod):
    (tmp_path / "old.py").write_text("print 'hello'\n")
    result = invoke(tmp_path)
    assert result.exit_code == 2
    assert "old.py: error: python2:" in result.output and "2to3" in result.output


@pytest.mark.parametrize("args, message", [
    (["missing_dir"], "no such file or directory: missing_dir"),
    ([".", "--write", "--out", "elsewhere"], "give --write or --out, not both"),
    ([".", "--out", "."], "is the project itself: use --write"),
])
def test_exit_2_for_bad_usage(tmp_path, monkeypatch, stub_codemod, args, message):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "train.py").write_text(LEGACY)
    result = invoke(*args)
    assert result.exit_code == 2 and message in result.output
    assert (tmp_path / "train.py").read_text() == LEGACY


def test_script_args_need_a_script(tmp_path, stub_codemod):
    result = invoke(tmp_path, "--", "--epochs", "1")
    assert result.exit_code == 2 and "need --run or --verify" in result.output


def test_write_is_atomic_and_complete(tmp_path, stub_codemod):
    (tmp_path / "train.py").write_text(LEGACY)
    result = invoke(tmp_path, "--write")
    assert result.exit_code == 1
    assert (tmp_path / "train.py").read_text() == "loss = compute()\nprint(loss.item())\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["train.py"]
    assert "wrote 1 file" in result.output and "---" not in result.output
    assert "train.py: written in place (1 change)\n" in result.output


def test_out_writes_copies_elsewhere(tmp_path, stub_codemod):
    (tmp_path / "src" / "sub").mkdir(parents=True)
    (tmp_path / "src" / "sub" / "train.py").write_text(LEGACY)
    result = invoke(tmp_path / "src", "--out", tmp_path / "out")
    assert result.exit_code == 1
    assert (tmp_path / "out" / "sub" / "train.py").read_text().endswith("print(loss.item())\n")
    assert f"written to {tmp_path / 'out' / 'sub' / 'train.py'} (1 change)" in result.output
    assert (tmp_path / "src" / "sub" / "train.py").read_text() == LEGACY


def test_arguments_after_double_dash_go_to_the_script_not_paths(tmp_path, monkeypatch):
    seen = {}

    def fake_migrate_paths(paths, **options):
        seen.update(options, paths=paths)
        from readkit.results.migrate import MigrationResult
        return MigrationResult()

    monkeypatch.setattr(readkit.migrate, "migrate_paths", fake_migrate_paths)
    (tmp_path / "train.py").write_text("x = 1\n")
    result = invoke(tmp_path, "--verify", tmp_path / "train.py", "--", "--epochs", "1", "data.csv")
    assert result.exit_code == 0, result.output
    assert seen["paths"] == (tmp_path,)
    assert seen["script_args"] == ("--epochs", "1", "data.csv")
    assert seen["verify_script"] == tmp_path / "train.py"


def test_json_output(tmp_path, stub_codemod):
    import json

    (tmp_path / "train.py").write_text(LEGACY)
    data = json.loads(invoke(tmp_path, "--format", "json").output)
    assert data["exit_code"] == 1
    assert data["files"][0]["changes"] == [
        {"line": 2, "idiom": "data-index-zero", "before": "print(loss.data[0])", "after": "print(loss.item())"}]


@pytest.mark.slow
def test_verify_end_to_end_on_a_fixture(tmp_path, monkeypatch):
    """Two backward() per GAN step: 40 steps give 80 losses, all compared."""
    import shutil

    from .conftest import FIXTURES

    project = shutil.copytree(FIXTURES / "gan_1d", tmp_path / "gan_1d")
    monkeypatch.chdir(tmp_path)
    result = invoke("gan_1d", "--verify", "gan_1d/main.py", "--write")
    assert result.exit_code == 1, result.output
    assert "  original: TypeError at gan_1d/main.py:55\n" in result.output
    assert "  migrated: ok (80 losses)\n" in result.output
    assert (project / "main.py").read_text() == (FIXTURES / "gan_1d" / "main.py.expected").read_text()


def test_the_diff_applies_with_git_apply(tmp_path, stub_codemod, monkeypatch):
    import shutil
    import subprocess

    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "train.py").write_text("# header\n" + LEGACY + "# footer, no newline")
    monkeypatch.chdir(tmp_path)
    diff = invoke("src").output.split("1 file to change")[0]
    (tmp_path / "fix.patch").write_text(diff)
    subprocess.run(["git", "apply", "-p1", "fix.patch"], cwd=tmp_path, check=True, capture_output=True)
    assert (tmp_path / "src" / "train.py").read_text() == (
        "# header\nloss = compute()\nprint(loss.item())\n# footer, no newline")
