"""Running readkit as a user without privileges, for tests of unreadable and unwritable files.

Root ignores file permissions, so as root the command runs under `setpriv` as `nobody`
(uid/gid 65534, no supplementary groups); as any other user it runs as that user. Where
neither can work (no setpriv, a checkout nobody may read), the test is skipped.
"""

from __future__ import annotations

import functools
import os
import shutil
import site
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

NOBODY = 65534


def as_unprivileged(command: list[str]) -> list[str]:
    if os.geteuid() != 0:
        return command
    return ["setpriv", f"--reuid={NOBODY}", f"--regid={NOBODY}", "--clear-groups", *command]


_REPO = str(Path(__file__).resolve().parents[1])


def _interpreters() -> list[tuple[str, dict[str, str]]]:
    """This interpreter; else the system's of the same version, given this one's packages (a
    virtual environment whose base interpreter sits in a private home, /root/.pyenv, is not
    runnable by nobody)."""
    version = f"python{sys.version_info.major}.{sys.version_info.minor}"
    same = [found for found in (shutil.which(version, path="/usr/bin:/usr/local/bin"),) if found]
    packages = os.pathsep.join([_REPO, *site.getsitepackages()])
    return [(sys.executable, {}), *((python, {"PYTHONPATH": packages}) for python in same)]


@functools.cache
def _interpreter() -> tuple[str, dict[str, str]] | str:
    """(python, extra environment) an unprivileged user can run readkit with, or why there is none."""
    if os.geteuid() == 0 and shutil.which("setpriv") is None:
        return "running as root without setpriv: cannot drop privileges"
    why = "no interpreter"
    for python, extra in _interpreters():
        probe = subprocess.run(as_unprivileged([python, "-c", "import readkit.cli, libcst"]), capture_output=True,
                               cwd="/", env={**_env("/"), **extra})
        if probe.returncode == 0:
            return python, extra
        why = probe.stderr.decode()[-300:]
    return f"an unprivileged user cannot run readkit here: {why}"


def _env(home: str) -> dict[str, str]:
    # the suite's cache folder is root's: the unprivileged run keeps its own beside its files
    return {**os.environ, "HOME": home, "PYTHONDONTWRITEBYTECODE": "1",
            "READKIT_CACHE_DIR": os.path.join(home, ".readkit-cache")}


def python_command(args: list[str]) -> tuple[list[str], dict[str, str]]:
    """`python ARGS` as an unprivileged user: (command, extra environment); skips the test where impossible."""
    found = _interpreter()
    if isinstance(found, str):
        pytest.skip(found)
    python, extra = found
    return as_unprivileged([python, *args]), extra


def run_readkit(args: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    """`python -m readkit ARGS` without privileges, in `cwd`."""
    command, extra = python_command(["-m", "readkit", *args])
    return subprocess.run(command, cwd=cwd, env={**_env(str(cwd)), **extra}, capture_output=True, text=True,
                          timeout=300)


@pytest.fixture
def open_dir() -> Iterator[Path]:
    """A folder every user may enter and write (pytest's own tmp_path is private to its user)."""
    path = Path(tempfile.mkdtemp(prefix="readkit-test-"))
    path.chmod(0o777)
    yield path
    for folder, dirs, _ in os.walk(path):
        for name in dirs:
            os.chmod(os.path.join(folder, name), 0o755)
    shutil.rmtree(path, ignore_errors=True)
