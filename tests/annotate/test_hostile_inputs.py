"""Hostile inputs (issue 9 §2): each is reported with its path, reason and true line:column;
every other file is still analyzed; the exit code is docs/cli.md's; no traceback."""

from __future__ import annotations

import faulthandler
import os
import signal
import time
from concurrent import futures
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import pytest
from click.testing import CliRunner

from readkit.annotate import annotate_paths, api, pool
from readkit.annotate.files import MAX_CHAIN, find_sources
from readkit.cli import cli
from readkit.migrate import migrate_paths
from readkit.results.annotate import FileError
from tests.unprivileged import open_dir, run_readkit  # noqa: F401  (open_dir is a fixture)

GOOD = "import torch\nx = torch.zeros(2)\n"


def nested(depth: int) -> str:
    return "import torch\ny = " + "[" * depth + "0" + "]" * depth + "\n"


def by_name(root: Path, **options: object) -> dict[str, object]:
    return {Path(f.path).name: f for f in annotate_paths([root], **options).files}  # type: ignore[arg-type]


# ---------------------------------------------------------------------- deep nesting


@pytest.mark.parametrize("depth", [201, 1000, 2000])
def test_more_brackets_than_python_accepts_is_a_syntax_error_at_cpythons_position(tmp_path, depth):
    (tmp_path / "deep.py").write_text(nested(depth))
    start = time.perf_counter()
    error = annotate_paths([tmp_path / "deep.py"], jobs=1).files[0].error
    assert time.perf_counter() - start < 5  # was 23 s and 3.4 GB at 1,000 levels; a segfault at 2,000
    assert error is not None and error.kind == "syntax" and "too many nested parentheses" in error.message
    assert (error.line, error.column) == (2, len("y = ") + 201)  # the 201st bracket


def test_200_brackets_are_still_analyzed(tmp_path):
    (tmp_path / "ok.py").write_text("import torch\ny = " + "(" * 199 + "torch.ones(1)" + ")" * 199 + "\n")
    result = annotate_paths([tmp_path / "ok.py"], jobs=1).files[0]
    assert result.error is None and [a.symbol for a in result.annotations] == ["torch.ones"]


def test_a_chain_deeper_than_readkits_limit_is_reported_not_parsed(tmp_path):
    # Python accepts ~3,000 chained subscripts; libcst takes seconds per thousand and crashes near 2,500
    (tmp_path / "chain.py").write_text("import torch\n\nx = torch.ones(1)" + "[0]" * (MAX_CHAIN + 50) + "\n")
    start = time.perf_counter()
    error = annotate_paths([tmp_path / "chain.py"], jobs=1).files[0].error
    assert time.perf_counter() - start < 5
    assert error is not None and error.kind == "too-deep" and error.line == 3 and error.column == 5
    assert "a chain of more than 1000 subscripts" in error.message


def test_migrate_reports_deep_nesting_like_annotate(tmp_path):
    (tmp_path / "deep.py").write_text(nested(2000))
    (tmp_path / "ok.py").write_text("import torch\nloss.backward(retain_variables=True)\n")
    files = {Path(f.path).name: f for f in migrate_paths([tmp_path]).files}
    error = files["deep.py"].error
    assert error is not None and (error.kind, error.line, error.column) == ("syntax", 2, 205)
    assert files["ok.py"].changed


def test_cli_on_a_2000_deep_file_reports_it_and_analyzes_the_others(tmp_path):
    (tmp_path / "deep.py").write_text(nested(2000))
    for i in range(4):
        (tmp_path / f"good{i}.py").write_text(GOOD)
    result = CliRunner().invoke(cli, ["annotate", "--no-color", "-j", "2", str(tmp_path)])
    assert result.exit_code == 1, result.output
    assert "error (syntax) at line 2, column 205: syntax error: too many nested parentheses" in result.output
    assert "Summary: 5 files, 4 analyzed, 1 failed" in result.output and "Traceback" not in result.output


# ---------------------------------------------------------------------- a crashing worker


_ANALYZE = api.analyze_file


def crash_on_marked_files(path, info, observations):
    """analyze_file, except that a file named crash* kills its worker process (module level: picklable)."""
    if "crash" in Path(path).name:
        faulthandler.disable()  # pytest's would print the dying worker's stack
        os.kill(os.getpid(), signal.SIGSEGV)
    return _ANALYZE(path, info, observations)


def test_a_worker_that_crashes_costs_one_file_not_the_run(tmp_path, monkeypatch):
    for i in range(7):
        (tmp_path / f"good{i}.py").write_text(GOOD)
    (tmp_path / "crash_me.py").write_text(GOOD)
    monkeypatch.setattr(api, "analyze_file", crash_on_marked_files)
    files = by_name(tmp_path, jobs=2)
    crashed = files.pop("crash_me.py")
    assert crashed.error is not None and crashed.error.kind == "crashed"  # type: ignore[attr-defined]
    assert crashed.error.message == "analysis crashed (signal 11, SIGSEGV)"  # type: ignore[attr-defined]
    assert len(files) == 7 and all(f.error is None and f.annotations for f in files.values())  # type: ignore[attr-defined]


def test_two_crashing_files_in_one_run_are_each_reported(tmp_path, monkeypatch):
    for i in range(6):
        (tmp_path / f"good{i}.py").write_text(GOOD)
    (tmp_path / "crash_a.py").write_text(GOOD)
    (tmp_path / "crash_b.py").write_text(GOOD)
    monkeypatch.setattr(api, "analyze_file", crash_on_marked_files)
    result = annotate_paths([tmp_path], jobs=2)
    assert sorted(Path(f.path).name for f in result.failed_files) == ["crash_a.py", "crash_b.py"]
    assert len(result.files) == 8


class BrokenBeforeTheSecondSubmit(ProcessPoolExecutor):
    """A pool whose first task kills its worker before the next task is handed out (a race)."""

    def submit(self, fn, /, *args, **kwargs):
        first = getattr(self, "first", None)
        if first is not None:
            futures.wait([first])  # the worker is dead, and the pool knows it
        future = super().submit(fn, *args, **kwargs)
        self.first = first or future
        return future


def test_a_worker_that_dies_while_tasks_are_handed_out_costs_one_file(tmp_path, monkeypatch):
    (tmp_path / "a_crash.py").write_text(GOOD)
    for i in range(5):
        (tmp_path / f"good{i}.py").write_text(GOOD)
    monkeypatch.setattr(api, "analyze_file", crash_on_marked_files)
    monkeypatch.setattr(pool, "ProcessPoolExecutor", BrokenBeforeTheSecondSubmit)
    files = by_name(tmp_path, jobs=2)  # was: BrokenProcessPool raised out of the run
    assert files.pop("a_crash.py").error == FileError("crashed", "analysis crashed (signal 11, SIGSEGV)")  # type: ignore[attr-defined]
    assert len(files) == 5 and all(f.error is None for f in files.values())  # type: ignore[attr-defined]


def abort_on_marked_files(path, info, observations):
    if "crash" in Path(path).name:
        faulthandler.disable()
        os.abort()
    return _ANALYZE(path, info, observations)


@pytest.mark.parametrize("crash, signal_name", [(crash_on_marked_files, "signal 11, SIGSEGV"),
                                                (abort_on_marked_files, "signal 6, SIGABRT")])
def test_with_jobs_1_a_crash_costs_one_file_and_the_files_after_it_are_still_analyzed(tmp_path, monkeypatch,
                                                                                      crash, signal_name):
    for name in ("a_good.py", "b_crash.py", "c_good.py", "d_good.py", "e_crash.py", "f_good.py"):
        (tmp_path / name).write_text(GOOD)
    monkeypatch.setattr(api, "analyze_file", crash)
    files = by_name(tmp_path, jobs=1)
    assert list(files) == ["a_good.py", "b_crash.py", "c_good.py", "d_good.py", "e_crash.py", "f_good.py"]
    for name in ("b_crash.py", "e_crash.py"):
        assert files.pop(name).error == FileError("crashed", f"analysis crashed ({signal_name})")  # type: ignore[attr-defined]
    assert all(f.error is None and [a.symbol for a in f.annotations] == ["torch.zeros"]  # type: ignore[attr-defined]
               for f in files.values())


def test_a_single_crashing_file_is_reported_by_the_cli_with_its_signal(tmp_path, monkeypatch):
    (tmp_path / "crash_me.py").write_text(GOOD)
    monkeypatch.setattr(api, "analyze_file", crash_on_marked_files)
    result = CliRunner().invoke(cli, ["annotate", "--no-color", "--no-cache", str(tmp_path / "crash_me.py")])
    assert result.exit_code == 1, result.output  # docs/cli.md: a file that could not be analyzed
    assert "error (crashed): analysis crashed (signal 11, SIGSEGV)" in result.output
    assert "Summary: 1 files, 0 analyzed, 1 failed" in result.output and "Traceback" not in result.output


def test_a_bug_in_a_small_run_is_that_files_internal_error(tmp_path, monkeypatch):
    def broken(path, info, observations):
        raise KeyError("no such rule")

    (tmp_path / "one.py").write_text(GOOD)
    monkeypatch.setattr(api, "analyze_file", broken)
    error = annotate_paths([tmp_path / "one.py"], jobs=1).files[0].error
    assert error == FileError("internal", "readkit could not analyze this file (KeyError: 'no such rule'); "
                                          "please report it")


# ---------------------------------------------------------------------- symlinks


def test_a_symlink_to_itself_is_reported_and_the_rest_analyzed(tmp_path):
    (tmp_path / "good.py").write_text(GOOD)
    os.symlink("self", tmp_path / "self")
    os.symlink("loop.py", tmp_path / "loop.py")
    files = by_name(tmp_path, jobs=1)
    assert files["good.py"].error is None  # type: ignore[attr-defined]
    for name in ("self", "loop.py"):
        error = files[name].error  # type: ignore[attr-defined]
        assert error.kind == "unreadable" and error.message.startswith("a symlink loop")


def test_cli_reports_a_symlink_loop_as_a_failed_file_not_a_traceback(tmp_path):
    (tmp_path / "good.py").write_text(GOOD)
    os.symlink("self", tmp_path / "self")
    for command in (["annotate", "--no-color"], ["migrate", "--no-color"]):
        result = CliRunner().invoke(cli, [*command, str(tmp_path)])
        assert "self: " in result.output or "self\n" in result.output, result.output
        assert "symlink loop" in result.output and "Traceback" not in result.output
        assert result.exit_code == (1 if command[0] == "annotate" else 2)
    explicit = CliRunner().invoke(cli, ["annotate", "--no-color", str(tmp_path / "self"), str(tmp_path / "good.py")])
    assert explicit.exit_code == 1 and "symlink loop" in explicit.output and "2 files, 1 analyzed" in explicit.output


# ---------------------------------------------------------------------- NUL bytes


def test_a_nul_byte_after_8_kib_is_reported_at_its_true_position_by_both_commands(tmp_path):
    padding = "# " + "x" * 78 + "\n"
    path = tmp_path / "late_nul.py"
    path.write_bytes(b"import torch\n" + padding.encode() * 120 + "s = 'é\0'\n".encode())
    line, column = 122, len("s = 'é") + 1
    annotated = annotate_paths([path], jobs=1).files[0].error
    migrated = migrate_paths([path]).files[0].error
    assert annotated is not None and migrated is not None
    assert (annotated.kind, annotated.line, annotated.column) == ("binary", line, column)
    assert (migrated.kind, migrated.line, migrated.column) == ("binary", line, column)
    assert annotated.message == migrated.message


def test_an_undecodable_byte_has_its_line_and_column(tmp_path):
    path = tmp_path / "bad.py"
    path.write_bytes(b"import torch\r\nx = 1\r\ns = 'ab\xff'\r\n")
    for error in (annotate_paths([path], jobs=1).files[0].error, migrate_paths([path]).files[0].error):
        assert error is not None and (error.kind, error.line, error.column) == ("encoding", 3, 8)


# ---------------------------------------------------------------------- permissions (as a user without privileges)


def _tree_with_locked_parts(root: Path) -> None:
    (root / "ok").mkdir()
    (root / "ok" / "good.py").write_text(GOOD)
    (root / "locked").mkdir()
    (root / "locked" / "hidden.py").write_text(GOOD)
    (root / "secret.py").write_text(GOOD)
    (root / "secret.py").chmod(0o000)
    (root / "locked").chmod(0o000)


def test_unreadable_folders_and_files_are_reported_and_the_rest_analyzed(open_dir):
    _tree_with_locked_parts(open_dir)
    done = run_readkit(["annotate", "--no-color", "."], cwd=open_dir)
    assert done.returncode == 1, done.stdout + done.stderr
    assert "locked\n  error (unreadable): cannot list this folder: Permission denied" in done.stdout
    assert "secret.py\n  error (unreadable): cannot read: Permission denied" in done.stdout
    assert "ok/good.py\n" in done.stdout and "Summary: 3 files, 1 analyzed, 2 failed" in done.stdout
    assert "Traceback" not in done.stderr


def test_explicit_unreadable_paths_are_reported_like_any_unreadable_file(open_dir):
    _tree_with_locked_parts(open_dir)
    done = run_readkit(["annotate", "--no-color", "locked/hidden.py", "secret.py", "ok"], cwd=open_dir)
    assert done.returncode == 1, done.stdout + done.stderr
    assert "locked/hidden.py\n  error (unreadable): cannot read: Permission denied" in done.stdout
    assert "secret.py\n  error (unreadable): cannot read: Permission denied" in done.stdout
    assert "Summary: 3 files, 1 analyzed, 2 failed" in done.stdout and "Traceback" not in done.stderr


def test_migrate_reports_unreadable_folders_and_files_and_migrates_the_rest(open_dir):
    _tree_with_locked_parts(open_dir)
    (open_dir / "ok" / "old.py").write_text("import torch\nloss.backward(retain_variables=True)\n")
    done = run_readkit(["migrate", "--no-color", "."], cwd=open_dir)
    assert done.returncode == 2, done.stdout + done.stderr
    assert "locked: error: unreadable: cannot list this folder: Permission denied" in done.stdout
    assert "secret.py: error: unreadable: cannot read: Permission denied" in done.stdout
    assert "+loss.backward(retain_graph=True)" in done.stdout and "Traceback" not in done.stderr


def test_the_walk_lists_problems_in_order_with_the_files(tmp_path):
    (tmp_path / "a.py").write_text(GOOD)
    os.symlink("b", tmp_path / "b")
    (tmp_path / "c.py").write_text(GOOD)
    assert [(f.path.name, f.problem is not None) for f in find_sources([tmp_path])] == [
        ("a.py", False), ("b", True), ("c.py", False)]
