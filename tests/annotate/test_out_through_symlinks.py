"""`annotate --out` never writes into the analyzed files, whatever symlinks lead there (issue 9 §3):
every destination is resolved before the first write; a refusal exits 2 and writes nothing."""

from __future__ import annotations

import os
from pathlib import Path

from click.testing import CliRunner

from readkit.cli import cli

SOURCE = "import torch\nx = torch.zeros(2)\n"


def project(tmp_path: Path) -> Path:
    src = tmp_path / "src"
    (src / "pkg").mkdir(parents=True)
    (src / "a.py").write_text(SOURCE)
    (src / "pkg" / "b.py").write_text(SOURCE)
    return src


def annotate(*args: str):
    return CliRunner().invoke(cli, ["annotate", "--no-color", *args])


def untouched(src: Path) -> bool:
    return all(p.read_text() == SOURCE for p in src.rglob("*.py"))


def test_out_that_is_a_symlink_to_the_sources_is_refused(tmp_path):
    src = project(tmp_path)
    os.symlink(src, tmp_path / "out_link")
    result = annotate(str(src), "--out", str(tmp_path / "out_link"))
    assert result.exit_code == 2, result.output
    assert "would overwrite the analyzed file" in result.output and "through a symlink" in result.output
    assert untouched(src) and "Traceback" not in result.output


def test_a_symlink_inside_out_to_a_source_file_is_refused_before_any_write(tmp_path):
    src = project(tmp_path)
    out = tmp_path / "out"
    (out / "pkg").mkdir(parents=True)
    os.symlink(src / "pkg" / "b.py", out / "pkg" / "b.py")  # a.py's copy would come first and is harmless
    result = annotate(str(src), "--out", str(out))
    assert result.exit_code == 2 and "pkg/b.py" in result.output
    assert untouched(src) and not (out / "a.py").exists()  # nothing written, not even the harmless copy


def test_a_symlinked_folder_inside_out_leading_into_the_tree_is_refused(tmp_path):
    src = project(tmp_path)
    (src / "other").mkdir()
    out = tmp_path / "out"
    out.mkdir()
    os.symlink(src / "other", out / "pkg")  # out/pkg/b.py would be a new file inside src/other
    result = annotate(str(src), "--out", str(out))
    assert result.exit_code == 2 and "leads into the analyzed folder" in result.output
    assert list((src / "other").iterdir()) == []


def test_a_plain_out_folder_inside_the_tree_still_works(tmp_path):
    src = project(tmp_path)
    result = annotate(str(src), "--out", str(src / "annotated"))
    assert result.exit_code == 0, result.output
    assert "# [tensor]" in (src / "annotated" / "a.py").read_text() and untouched(src / "pkg")
    assert (src / "a.py").read_text() == SOURCE


def test_out_through_a_symlink_to_a_folder_elsewhere_is_fine(tmp_path):
    src = project(tmp_path)
    (tmp_path / "elsewhere").mkdir()
    os.symlink(tmp_path / "elsewhere", tmp_path / "out_link")
    result = annotate(str(src), "--out", str(tmp_path / "out_link"))
    assert result.exit_code == 0, result.output
    assert "# [tensor]" in (tmp_path / "elsewhere" / "pkg" / "b.py").read_text() and untouched(src)


def test_unreadable_entries_are_reported_not_copied(tmp_path):
    src = project(tmp_path)
    os.symlink("loop", src / "loop")
    result = annotate(str(src), "--out", str(tmp_path / "out"))
    assert result.exit_code == 1 and "symlink loop" in result.output and "Traceback" not in result.output
    assert sorted(p.name for p in (tmp_path / "out").rglob("*")) == ["a.py", "b.py", "pkg"]
