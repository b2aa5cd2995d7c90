"""A file whose migration kills its worker process costs only that file (issue 9 §2)."""

from __future__ import annotations

import faulthandler
import os
import signal
from pathlib import Path

from readkit.migrate import api, migrate_paths
from tests.migrate.conftest import _item_codemod


def crash_on_marked_files(source: str, path: str = "<string>", observations=None, portable=False):
    if "crash" in Path(path).name:
        faulthandler.disable()  # pytest's would print the dying worker's stack
        os.kill(os.getpid(), signal.SIGSEGV)
    return _item_codemod(source, path, observations, portable)


def test_a_crashing_file_is_reported_and_every_other_file_migrated(tmp_path, monkeypatch):
    monkeypatch.setattr(api, "_codemod", crash_on_marked_files)
    monkeypatch.setattr(api.os, "cpu_count", lambda: 2)  # a pool of 2 workers, whatever the machine
    for i in range(17):
        (tmp_path / f"m{i:02}.py").write_text("print(loss.data[0])\n")
    (tmp_path / "crash_me.py").write_text("print(loss.data[0])\n")
    result = migrate_paths([tmp_path], write=True)
    by_name = {Path(f.path).name: f for f in result.files}
    crashed = by_name.pop("crash_me.py")
    assert crashed.error is not None and crashed.error.kind == "crashed"
    assert crashed.error.message == "migration crashed (signal 11, SIGSEGV); the file was left unchanged"
    assert (tmp_path / "crash_me.py").read_text() == "print(loss.data[0])\n"
    assert len(by_name) == 17 and all(f.written and f.error is None for f in by_name.values())
    assert result.exit_code == 2


def test_in_a_small_run_too_the_crashing_file_is_reported_and_the_others_migrated(tmp_path, monkeypatch):
    monkeypatch.setattr(api, "_codemod", crash_on_marked_files)
    for name in ("a.py", "b_crash.py", "c.py"):  # too few files for a pool: one by one, in a forked child
        (tmp_path / name).write_text("print(loss.data[0])\n")
    result = migrate_paths([tmp_path], write=True)
    by_name = {Path(f.path).name: f for f in result.files}
    assert list(by_name) == ["a.py", "b_crash.py", "c.py"]
    crashed = by_name.pop("b_crash.py")
    assert crashed.error is not None and crashed.error.kind == "crashed"
    assert crashed.error.message == "migration crashed (signal 11, SIGSEGV); the file was left unchanged"
    assert (tmp_path / "b_crash.py").read_text() == "print(loss.data[0])\n"
    assert all(f.written and (tmp_path / name).read_text() == "print(loss.item())\n" for name, f in by_name.items())
    assert result.exit_code == 2
