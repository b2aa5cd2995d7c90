"""Reading a file to migrate, and writing it back byte-faithfully without damaging it.

Reading is the annotator's (readkit.annotate.files.read_text: declared encoding and BOM,
newlines untranslated, a NUL or undecodable byte at its true line:column), so that
`annotate` and `migrate` say the same of every file.

Writing (`write_file`) goes through symlinks to the file they name, and:
- a file with one name: the new text goes to a temporary file beside it
  (`.NAME.PID.XXXXXXXX.readkit-tmp`), which gets the old file's owner, group and mode, is
  flushed to disk and renamed over the old file (atomic): an interruption leaves the old
  file or the new one, never half a file. Where the owner or group cannot be kept (only
  root may give a file away), the setuid/setgid bit is dropped rather than kept on a
  file of another owner, and the returned note says so.
- a file with several names (hard links): a rename would give the new text to this name
  only, so the file is rewritten in place, through its inode (owner, mode and links
  stay). That write is not atomic: SIGINT/SIGTERM wait for it, a SIGKILL or a power
  loss in its few milliseconds can leave the file partly written.
SIGINT, SIGTERM and SIGHUP arriving during a write are held until it is done, so they
never leave a temporary file. A SIGKILL can; `remove_stale_temps` removes those (the
name pattern, our own uid, and a pid that is no longer running identify them).
"""

from __future__ import annotations

import os
import re
import signal
import stat
import tempfile
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from readkit.annotate.files import SourceError, read_text
from readkit.results.annotate import FileError

TEMP_SUFFIX = ".readkit-tmp"
_TEMP_NAME = re.compile(r"^\.(?P<name>.+)\.(?P<pid>\d+)\.[a-z0-9_]{8}" + re.escape(TEMP_SUFFIX) + "$")
_HELD = {signal.SIGINT, signal.SIGTERM, signal.SIGHUP}


@dataclass(frozen=True)
class SourceFile:
    path: Path
    text: str
    encoding: str


def read_source(path: Path) -> SourceFile | FileError:
    """The decoded text of `path`, or a FileError saying why it cannot be read."""
    try:
        read = read_text(path)
    except SourceError as error:
        return error.error
    return SourceFile(path, read.text, read.encoding)


def write_file(path: Path, text: str, encoding: str) -> str | None:
    """Replace the content of `path` (see the module docstring); returns a note on what
    could not be kept (owner, setuid bit) or on a non-atomic write, else None."""
    target = Path(os.path.realpath(path))
    data = text.encode(encoding)
    with _signals_held():
        try:
            old = target.stat()
        except FileNotFoundError:
            return _write_new(target, data)
        if old.st_nlink > 1:
            return _write_in_place(target, data, old.st_nlink)
        return _write_by_rename(target, data, old)


def write_atomically(path: Path, text: str, encoding: str) -> None:
    """Replace `path` with `text` so that an interruption never leaves half a file."""
    write_file(path, text, encoding)


@contextmanager
def _signals_held() -> Iterator[None]:
    """SIGINT/SIGTERM/SIGHUP wait until the block is done (then take effect as usual)."""
    old = signal.pthread_sigmask(signal.SIG_BLOCK, _HELD)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, old)


def _write_new(target: Path, data: bytes) -> str | None:
    def finish(fd: int) -> str | None:
        os.fchmod(fd, 0o666 & ~_umask())
        return None

    return _replace(target, data, finish)


def _write_by_rename(target: Path, data: bytes, old: os.stat_result) -> str | None:
    def finish(fd: int) -> str | None:
        mode, note = _keep_owner(fd, old)
        os.fchmod(fd, mode)
        return note

    return _replace(target, data, finish)


def _replace(target: Path, data: bytes, finish: Callable[[int], str | None]) -> str | None:
    """Write `data` to a temporary file beside `target`, `finish` it (owner, mode), rename it over `target`."""
    fd, tmp = _temp_beside(target)
    is_open = True
    try:
        _fill(fd, data)
        note = finish(fd)
        os.close(fd)
        is_open = False
        os.replace(tmp, target)
    except BaseException:
        if is_open:
            os.close(fd)
        Path(tmp).unlink(missing_ok=True)
        raise
    return note


def _write_in_place(target: Path, data: bytes, links: int) -> str:
    with open(target, "r+b") as handle:
        handle.write(data)
        handle.truncate()
        handle.flush()
        os.fsync(handle.fileno())
    return f"rewritten in place, keeping its {links} hard links (not atomic)"


def _temp_beside(target: Path) -> tuple[int, str]:
    return tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.{os.getpid()}.", suffix=TEMP_SUFFIX)


def _fill(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]
    os.fsync(fd)


def _keep_owner(fd: int, old: os.stat_result) -> tuple[int, str | None]:
    """Give the temporary file the old owner and group; the mode to set, and a note when a
    setuid/setgid bit had to be dropped because its owner or group could not be kept."""
    mode = stat.S_IMODE(old.st_mode)
    for uid, gid in ((old.st_uid, old.st_gid), (-1, old.st_gid)):
        try:
            os.fchown(fd, uid, gid)
            break
        except OSError:
            continue
    now = os.fstat(fd)
    dropped = []
    if now.st_uid != old.st_uid:
        dropped.append(("owner", stat.S_ISUID, "setuid"))
    if now.st_gid != old.st_gid:
        dropped.append(("group", stat.S_ISGID, "setgid"))
    if not dropped:
        return mode, None
    for _, bit, _ in dropped:
        mode &= ~bit
    lost = " and ".join(what for what, _, _ in dropped)
    bits = [name for _, bit, name in dropped if stat.S_IMODE(old.st_mode) & bit]
    return mode, f"its {lost} could not be kept" + (f" ({', '.join(bits)} bit dropped)" if bits else "")


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


# ---------------------------------------------------------------------- stale temporary files


def remove_stale_temps(folders: Iterable[Path]) -> list[Path]:
    """Remove the temporary files an earlier run left when it was killed (SIGKILL): readkit's
    name pattern, owned by us, made by a process that no longer runs. Returns what was removed."""
    removed = []
    for folder in folders:
        try:
            entries = list(os.scandir(folder))
        except OSError:
            continue
        for entry in entries:
            if _is_stale(entry):
                try:
                    os.unlink(entry.path)
                except OSError:
                    continue
                removed.append(Path(entry.path))
    return removed


def _is_stale(entry: os.DirEntry[str]) -> bool:
    found = _TEMP_NAME.match(entry.name)
    if found is None or int(found["pid"]) == os.getpid():
        return False
    try:
        info = entry.stat(follow_symlinks=False)
    except OSError:
        return False
    return stat.S_ISREG(info.st_mode) and info.st_uid == os.geteuid() and not _running(int(found["pid"]))


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # exists, someone else's
        return True
    return True
