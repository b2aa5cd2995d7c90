"""Reading a file to migrate, and writing it back byte-faithfully.

A file is decoded in its declared encoding (PEP 263, BOM included) without
newline translation, so that writing the migrated text back with the same
encoding changes only the migrated spans.
"""

from __future__ import annotations

import io
import os
import tempfile
import tokenize
from dataclasses import dataclass
from pathlib import Path

from readkit.annotate.model import FileError

PYTHON2_HINT = ("this looks like Python 2 code, which readkit cannot parse; convert it first "
                "(`2to3 -w FILE` or `python-modernize -w FILE`), then run readkit migrate again")


@dataclass(frozen=True)
class SourceFile:
    path: Path
    text: str
    encoding: str


def read_source(path: Path) -> SourceFile | FileError:
    """The decoded text of `path`, or a FileError saying why it cannot be read."""
    try:
        raw = path.read_bytes()
    except OSError as error:
        return FileError("unreadable", f"{path}: {error.strerror or error}")
    if b"\0" in raw:
        return FileError("binary", f"{path}: binary content (a NUL byte), not Python source")
    try:
        encoding, _ = tokenize.detect_encoding(io.BytesIO(raw).readline)
        return SourceFile(path, raw.decode(encoding), encoding)
    except (SyntaxError, LookupError, UnicodeDecodeError) as error:
        return FileError("encoding", f"{path}: cannot decode: {error}")


def parse_error(source: str, path: Path, parser_message: str) -> FileError:
    """Classify a source libcst could not parse: Python 2 (with a hint) or a plain syntax error.

    CPython's own compiler names the Python 2 forms precisely ("Missing parentheses
    in call to 'print'"), so its message decides, and gives the line.
    """
    try:
        compile(source, str(path), "exec", dont_inherit=True)
    except SyntaxError as error:
        text = error.msg or "invalid syntax"
        if _is_python2(text):
            return FileError("python2", f"{path}:{error.lineno}: {text}; {PYTHON2_HINT}", error.lineno, error.offset)
        return FileError("syntax", f"{path}:{error.lineno}: {text}", error.lineno, error.offset)
    except ValueError as error:  # e.g. NUL bytes slipped through
        return FileError("syntax", f"{path}: {error}")
    return FileError("syntax", f"{path}: libcst cannot parse this file: {parser_message.splitlines()[0]}")


_PYTHON2_MESSAGES = (
    "Missing parentheses in call to 'print'",
    "Missing parentheses in call to 'exec'",
    "multiple exception types must be parenthesized",
    "leading zeros in decimal integer literals",
)


def _is_python2(message: str) -> bool:
    return any(fragment in message for fragment in _PYTHON2_MESSAGES)


def write_atomically(path: Path, text: str, encoding: str) -> None:
    """Replace `path` with `text` so that an interruption never leaves half a file.

    The new content goes to a temporary file in the same directory (same file
    system, so os.replace is an atomic rename), gets the old file's mode, is
    flushed to disk, and only then replaces the old file.
    """
    data = text.encode(encoding)
    mode = path.stat().st_mode & 0o7777 if path.exists() else 0o644
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".readkit-tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
