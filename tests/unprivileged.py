"""Running readkit as a user without privileges, for tests of unreadable and unwritable files.

Root ignores file permissions, so as root the command runs under `setpriv` as `nobody`
(uid/gid 65534, no supplementary groups); as any other user it runs as that user. Where
neither can work (no setpriv, a checkout nobody may read), the test is skipped.
"""

from __future__ import annotations

import functools
import os
import shutil
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


@functools.cache
def _why_not() -> str | None:
    if os.geteuid() == 0 and shutil.which("setpriv") is None:
        return "running as root without setpriv: cannot drop privileges"
    probe = subprocess.run(as_unprivileged([sys.executable, "-c", "import readkit.cli"]), capture_output=True,
                           cwd="/", env=_env("/"))
    if probe.returncode != 0:
        return f"an unprivileged user cannot run readkit here: {probe.stderr.decode()[-300:]}"
    return None


def _env(home: str) -> dict[str, str]:
    # the suite's cache folder is root's: the unprivileged run keeps its own beside its files
    return {**os.environ, "HOME": home, "PYTHONDONTWRITEBYTECODE": "1",
            "READKIT_CACHE_DIR": os.path.join(home, ".readkit-cache")}


def run_readkit(args: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    """`python -m readkit ARGS` without privileges, in `cwd`; skips the test where impossible."""
    why = _why_not()
    if why is not None:
        pytest.skip(why)
    return subprocess.run(as_unprivileged([sys.executable, "-m", "readkit", *args]), cwd=cwd, env=_env(str(cwd)),
                          capture_output=True, text=True, timeout=300)


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
