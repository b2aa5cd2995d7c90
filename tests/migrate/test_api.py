"""migrate_paths on its own (the codemod stubbed): walking, diffs, notes, errors, writing, exit codes."""

import os
import textwrap
from pathlib import Path

import pytest

from readkit.migrate import MigrateUsageError, migrate_paths

LEGACY = "loss = compute()\nprint(loss.data[0])  # log it\n"
MODERN = "loss = compute()\nprint(loss.item())  # log it\n"
PYTHON2 = "print 'old', loss.data[0]\n"


def make_project(root: Path) -> Path:
    (root / "pkg").mkdir(parents=True)
    (root / "train.py").write_text(LEGACY)
    (root / "pkg" / "model.py").write_text("x = 1\n")
    (root / "pkg" / "old.py").write_text(PYTHON2)
    return root


def test_default_is_a_diff_and_touches_nothing(tmp_path, stub_codemod):
    project = make_project(tmp_path / "proj")
    result = migrate_paths([project])
    by_name = {Path(f.path).name: f for f in result.files}
    assert set(by_name) == {"train.py", "model.py", "old.py"}
    diff = by_name["train.py"].diff
    assert "-print(loss.data[0])  # log it\n+print(loss.item())  # log it\n" in diff
    assert diff.splitlines()[0].startswith("--- a/") and diff.splitlines()[0].endswith("train.py")
    assert [(c.line, c.idiom) for c in by_name["train.py"].changes] == [(2, "data-index-zero")]
    assert not by_name["model.py"].changed
    assert (project / "train.py").read_text() == LEGACY
    assert by_name["old.py"].error.kind == "python2" and (project / "pkg" / "old.py").read_text() == PYTHON2
    assert result.exit_code == 2  # a file could not be migrated


def test_exit_codes(tmp_path, stub_codemod):
    (tmp_path / "a.py").write_text(LEGACY)
    (tmp_path / "b.py").write_text(MODERN)
    assert migrate_paths([tmp_path / "a.py"]).exit_code == 1
    assert migrate_paths([tmp_path / "b.py"]).exit_code == 0


def test_write_replaces_in_place_and_reports_where(tmp_path, stub_codemod):
    project = make_project(tmp_path / "proj")
    result = migrate_paths([project], write=True)
    assert (project / "train.py").read_text() == MODERN
    assert (project / "pkg" / "old.py").read_text() == PYTHON2  # Python 2: never touched
    written = [Path(f.written).name for f in result.files if f.written]
    assert written == ["train.py"]
    assert not [p for p in project.rglob("*") if "readkit-tmp" in p.name]


def test_out_keeps_the_layout_and_the_original(tmp_path, stub_codemod):
    project = make_project(tmp_path / "proj")
    out = tmp_path / "out"
    migrate_paths([project], out_dir=out)
    assert sorted(p.relative_to(out).as_posix() for p in out.rglob("*.py")) == ["pkg/model.py", "train.py"]
    assert (out / "train.py").read_text() == MODERN
    assert (project / "train.py").read_text() == LEGACY


def test_out_for_a_single_file(tmp_path, stub_codemod):
    project = make_project(tmp_path / "proj")
    migrate_paths([project / "pkg" / "model.py", project / "train.py"], out_dir=tmp_path / "out")
    assert sorted(p.relative_to(tmp_path / "out").as_posix() for p in (tmp_path / "out").rglob("*.py")) == [
        "pkg/model.py", "train.py"]


def test_notes_and_encoding_survive(tmp_path, stub_codemod):
    path = tmp_path / "m.py"
    source = "# -*- coding: latin-1 -*-\r\n# Müller\r\ny = F.softmax(x)\r\nv = loss.data[0]\r\n"
    path.write_bytes(source.encode("latin-1"))
    result = migrate_paths([path], write=True)
    assert [(n.line, n.idiom) for n in result.files[0].notes] == [(3, "implicit-softmax-dim")]
    assert path.read_bytes() == source.replace("data[0]", "item()").encode("latin-1")


def test_a_crash_in_the_codemod_loses_no_other_file(tmp_path, monkeypatch, stub_codemod):
    from readkit.migrate import api

    stub = api._codemod

    def flaky(source, path, observations=None, portable=False):
        if path.endswith("bad.py"):
            raise RecursionError("too deep")
        return stub(source, path, observations=observations)

    monkeypatch.setattr(api, "_codemod", flaky)
    (tmp_path / "bad.py").write_text(LEGACY)
    (tmp_path / "good.py").write_text(LEGACY)
    result = migrate_paths([tmp_path])
    kinds = {Path(f.path).name: (f.error.kind if f.error else None, f.changed) for f in result.files}
    assert kinds == {"bad.py": ("internal", False), "good.py": (None, True)}
    assert "RecursionError" in result.files[0].error.message


def test_write_and_out_together_is_a_usage_error(tmp_path):
    with pytest.raises(MigrateUsageError):
        migrate_paths([tmp_path], write=True, out_dir=tmp_path / "out")


def test_a_script_outside_any_common_project_is_refused(tmp_path, stub_codemod, monkeypatch):
    monkeypatch.setattr(Path, "home", lambda: tmp_path)
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / "run.py").write_text("x = 1\n")
    with pytest.raises(MigrateUsageError, match="share no project directory"):
        migrate_paths([tmp_path / "a"], verify_script=tmp_path / "b" / "run.py")


def test_scratch_copy_leaves_vcs_out_and_links_siblings(tmp_path):
    from readkit.migrate.scratch import scratch_copy

    (tmp_path / "proj" / ".git").mkdir(parents=True)
    (tmp_path / "proj" / "venv").mkdir()
    (tmp_path / "proj" / "venv" / "pyvenv.cfg").write_text("home = /usr\n")
    (tmp_path / "proj" / "env").mkdir()  # code, e.g. a reinforcement-learning environment: copied
    (tmp_path / "proj" / "main.py").write_text("print(1)\n")
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "x.csv").write_text("1,2\n")
    with scratch_copy(tmp_path / "proj") as copy:
        assert sorted(p.name for p in copy.iterdir()) == ["env", "main.py"]
        assert (copy.parent / "data" / "x.csv").read_text() == "1,2\n"  # ../data as in place
        kept = copy.parent
    assert not kept.exists() and (tmp_path / "data" / "x.csv").exists()


def test_a_notebook_given_explicitly_is_reported_not_parsed(tmp_path, stub_codemod):
    (tmp_path / "lesson.ipynb").write_text('{"cells": []}')
    (tmp_path / "train.py").write_text(LEGACY)
    result = migrate_paths([tmp_path / "lesson.ipynb", tmp_path])  # the walk itself skips notebooks
    assert [(Path(f.path).name, f.error.kind if f.error else None) for f in result.files] == [
        ("lesson.ipynb", "unsupported"), ("train.py", None)]
    assert "nbconvert" in result.files[0].error.message


def test_a_file_named_twice_is_migrated_once(tmp_path, stub_codemod, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "train.py").write_text(LEGACY)
    (tmp_path / "util.py").write_text("x = 1\n")
    result = migrate_paths([Path("train.py"), Path(".")])
    assert [f.path for f in result.files] == ["train.py", "util.py"]


def test_out_into_the_project_itself_is_refused(tmp_path, stub_codemod):
    (tmp_path / "train.py").write_text(LEGACY)
    with pytest.raises(MigrateUsageError, match="use --write"):
        migrate_paths([tmp_path], out_dir=tmp_path)
    assert (tmp_path / "train.py").read_text() == LEGACY


def test_a_large_tree_is_migrated_in_parallel_with_the_same_result(tmp_path, stub_codemod, monkeypatch):
    from readkit.migrate import api

    for index in range(6):
        (tmp_path / f"m{index}.py").write_text(LEGACY if index % 2 else MODERN)
    sequential = migrate_paths([tmp_path])
    monkeypatch.setattr(api, "FILES_PER_WORKER", 2)  # 6 files: 3 worker processes (forked: the stub goes along)
    parallel = migrate_paths([tmp_path])
    assert parallel == sequential and len(parallel.changed_files) == 3
