"""Byte fidelity (issue 9 §3): the printed diff applies with `git apply` whatever the file's
encoding and line endings, `--write` changes only the migrated spans, and a file with
nothing to migrate is never touched. These use the real codemod."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner

from readkit.cli import cli

FIX = ("loss.backward(retain_variables=True)", "loss.backward(retain_graph=True)")

CASES = {
    "bom": b"\xef\xbb\xbfimport torch\nloss.backward(retain_variables=True)\n",
    "latin1": "# -*- coding: latin-1 -*-\n# café\nname = 'é'\nloss.backward(retain_variables=True)  # é\n"
              .encode("latin-1"),
    "cr": b"import torch\rx = 1\rloss.backward(retain_variables=True)\r",
    "crlf": b"import torch\r\nloss.backward(retain_variables=True)\r\n",
    "form_feed": b"import torch\n\x0c\nloss.backward(retain_variables=True)\nx = 1\x0c\n",
    "no_newline": b"import torch\nloss.backward(retain_variables=True)",
    "blank_tail": b"import torch\nloss.backward(retain_variables=True)\n\n  ",
}


def expected(data: bytes) -> bytes:
    return data.replace(FIX[0].encode(), FIX[1].encode())


def migrate(*args: str):
    return CliRunner().invoke(cli, ["migrate", "--no-color", *args])


@pytest.fixture
def repo(tmp_path, monkeypatch):
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.mark.parametrize("name", sorted(CASES))
def test_the_printed_diff_applies_with_git_apply(repo, name):
    path = repo / f"{name}.py"
    path.write_bytes(CASES[name])
    result = migrate(path.name)
    assert result.exit_code == 1, result.output
    patch = result.stdout_bytes.split(b"1 file to change")[0]
    (repo / "fix.patch").write_bytes(patch)
    check = subprocess.run(["git", "apply", "--check", "fix.patch"], cwd=repo, capture_output=True)
    assert check.returncode == 0, check.stderr.decode() + patch.decode("utf-8", "replace")
    subprocess.run(["git", "apply", "fix.patch"], cwd=repo, check=True, capture_output=True)
    assert path.read_bytes() == expected(CASES[name])


@pytest.mark.parametrize("name", sorted(CASES))
def test_write_changes_only_the_migrated_span(tmp_path, name):
    path = tmp_path / f"{name}.py"
    path.write_bytes(CASES[name])
    assert migrate("--write", str(path)).exit_code == 1
    assert path.read_bytes() == expected(CASES[name])


@pytest.mark.parametrize("data", [b"import torch\nx = 1\n\n  ", b"import torch\rx = 1\r", b"x = 1\n\t \x0c",
                                  b"\xef\xbb\xbfx = 1\r\n"])
def test_a_file_with_nothing_to_migrate_is_never_touched(tmp_path, data):
    path = tmp_path / "modern.py"
    path.write_bytes(data)
    os.utime(path, (1_000_000_000, 1_000_000_000))
    shown = migrate(str(path))
    assert shown.exit_code == 0 and "nothing to change" in shown.output
    written = migrate("--write", str(path))
    assert written.exit_code == 0 and "modern.py: unchanged" in written.output
    assert path.read_bytes() == data and path.stat().st_mtime == 1_000_000_000
