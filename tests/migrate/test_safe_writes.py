"""`migrate --write` never damages the user's files (issue 9 §3): owner, group, setuid bit and
hard links are kept (or the bit dropped), a folder it cannot write costs only its files,
signals never leave a temporary file or half a file, and a SIGKILL's leftovers are removed
by the next run."""

from __future__ import annotations

import os
import signal
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from readkit.migrate import migrate_paths
from readkit.migrate.source import write_file
from tests.unprivileged import NOBODY, open_dir, python_command, run_readkit  # noqa: F401  (open_dir: a fixture)

OLD = "import torch\nloss.backward(retain_variables=True)\n"
NEW = "import torch\nloss.backward(retain_graph=True)\n"
root_only = pytest.mark.skipif(os.geteuid() != 0, reason="only root can give a file to another owner")


def temp_files(folder: Path) -> list[Path]:
    return [p for p in folder.rglob("*") if p.name.endswith(".readkit-tmp")]


# ---------------------------------------------------------------------- owner, mode, links


@root_only
def test_owner_group_and_setuid_bit_are_kept(tmp_path):
    path = tmp_path / "tool.py"
    path.write_text(OLD)
    os.chown(path, NOBODY, NOBODY)
    path.chmod(0o4755)
    assert migrate_paths([path], write=True).files[0].write_note is None
    after = path.stat()
    assert (after.st_uid, after.st_gid, stat.S_IMODE(after.st_mode)) == (NOBODY, NOBODY, 0o4755)
    assert path.read_text() == NEW


@root_only
def test_setuid_is_dropped_when_the_owner_cannot_be_kept(open_dir):
    path = open_dir / "tool.py"
    path.write_text(OLD)
    path.chmod(0o4777)  # root's, setuid; the folder lets nobody replace it
    code = f"from pathlib import Path; from readkit.migrate.source import write_file; " \
           f"print(write_file(Path({str(path)!r}), {NEW!r}, 'utf-8'))"
    command, extra = python_command(["-c", code])
    done = subprocess.run(command, capture_output=True, text=True, env={**os.environ, **extra})
    assert done.returncode == 0, done.stderr
    assert "owner and group could not be kept (setuid bit dropped)" in done.stdout
    after = path.stat()
    assert after.st_uid == NOBODY and stat.S_IMODE(after.st_mode) == 0o777 and path.read_text() == NEW


def test_hard_links_keep_sharing_the_migrated_text(tmp_path, stub_codemod):
    path = tmp_path / "train.py"
    path.write_text("print(loss.data[0])\n")
    os.link(path, tmp_path / "train_link.py")
    inode = path.stat().st_ino
    report = migrate_paths([path], write=True).files[0]
    assert report.write_note == "rewritten in place, keeping its 2 hard links (not atomic)"
    assert (tmp_path / "train_link.py").read_text() == "print(loss.item())\n" and path.stat().st_ino == inode
    assert temp_files(tmp_path) == []


def test_a_symlinked_file_is_written_through_its_link(tmp_path, stub_codemod):
    (tmp_path / "real.py").write_text("print(loss.data[0])\n")
    os.symlink("real.py", tmp_path / "link.py")
    migrate_paths([tmp_path / "link.py"], write=True)
    assert (tmp_path / "link.py").is_symlink() and (tmp_path / "real.py").read_text() == "print(loss.item())\n"


# ---------------------------------------------------------------------- folders it cannot write


def test_a_folder_it_cannot_write_costs_only_its_files(open_dir):
    for folder, mode in (("open", 0o777), ("locked", 0o555)):  # no one but root may add a file to `locked`
        (open_dir / folder).mkdir()
        (open_dir / folder / "old.py").write_text(OLD)
        (open_dir / folder / "old.py").chmod(0o666)
        (open_dir / folder).chmod(mode)
    (open_dir / "open" / "modern.py").write_text("import torch\n")
    done = run_readkit(["migrate", "--no-color", "--write", "."], cwd=open_dir)
    assert done.returncode == 2, done.stdout + done.stderr
    lines = done.stdout.splitlines()
    given_away = "; its owner and group could not be kept" if os.geteuid() == 0 else ""  # root's file, nobody's run
    assert f"open/old.py: written in place (1 change){given_away}" in lines
    assert "open/modern.py: unchanged" in lines
    assert any(line.startswith("locked/old.py: error: unwritable: could not write") and
               line.endswith("Permission denied; it is unchanged") for line in lines), done.stdout
    assert (open_dir / "open" / "old.py").read_text() == NEW and (open_dir / "locked" / "old.py").read_text() == OLD
    assert "Traceback" not in done.stderr and temp_files(open_dir) == []


# ---------------------------------------------------------------------- signals


RUNNER = """\
import os, sys, time
from readkit.cli import main
real_fsync = os.fsync
def slow_fsync(fd):  # the moment a temporary file holds the new text, not yet renamed
    real_fsync(fd)
    print("fsync", flush=True)
    time.sleep(0.3)
os.fsync = slow_fsync
sys.argv = ["readkit", "migrate", "--write", "--no-color", sys.argv[1]]
main()
"""


def interrupted_write(tmp_path: Path, sig: signal.Signals) -> tuple[Path, subprocess.Popen[str]]:
    tree = tmp_path / "tree"
    tree.mkdir()
    for i in range(5):
        (tree / f"m{i}.py").write_text(OLD)
    (tmp_path / "runner.py").write_text(RUNNER)
    child = subprocess.Popen([sys.executable, str(tmp_path / "runner.py"), str(tree)], stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True)
    assert child.stdout is not None
    assert child.stdout.readline() == "fsync\n"  # inside the first write
    child.send_signal(sig)
    child.wait(timeout=60)
    return tree, child


def assert_each_file_whole(tree: Path) -> list[str]:
    texts = [p.read_text() for p in sorted(tree.glob("*.py"))]
    assert len(texts) == 5 and all(text in (OLD, NEW) for text in texts)
    return texts


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_sigterm_and_sigint_leave_no_temporary_file(tmp_path, sig):
    tree, child = interrupted_write(tmp_path, sig)
    assert child.returncode != 0 and temp_files(tree) == []
    texts = assert_each_file_whole(tree)
    assert texts[0] == NEW and texts[-1] == OLD  # the write under way finished; the run stopped there


def test_kill_9_leaves_no_half_file_and_the_next_run_removes_its_temporary_file(tmp_path):
    tree, child = interrupted_write(tmp_path, signal.SIGKILL)
    assert child.returncode == -signal.SIGKILL
    assert_each_file_whole(tree)
    left = temp_files(tree)
    assert len(left) == 1 and left[0].name.startswith(f".m0.py.{child.pid}.")
    mine_alive = tree / f".m1.py.{os.getpid()}.abcdefgh.readkit-tmp"  # a live process's: never touched
    mine_alive.write_text("in use")
    someone = tree / ".notes.txt.readkit-tmp"  # not our pattern: never touched
    someone.write_text("x")
    result = migrate_paths([tree])
    assert result.stale_temps_removed == (str(left[0]),)
    assert not left[0].exists() and mine_alive.exists() and someone.exists()
    from readkit.render.migrate import to_text

    assert f"removed {left[0]}: a temporary file left by a readkit run that was killed while writing" in to_text(result)


# ---------------------------------------------------------------------- direct writes


def test_a_new_file_gets_the_usual_mode(tmp_path):
    path = tmp_path / "new.py"
    assert write_file(path, "x = 1\n", "utf-8") is None
    assert path.read_text() == "x = 1\n" and stat.S_IMODE(path.stat().st_mode) == 0o666 & ~_umask()


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask
