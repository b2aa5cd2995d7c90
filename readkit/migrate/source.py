"""Reading a file to migrate, and writing it back byte-faithfully.

A file is decoded in its declared encoding (PEP 263, BOM included) without
newline translation, so that writing the migrated text back with the same
encoding changes only the migrated spans. (The annotator's reader,
readkit.annotate.files.read_source, drops the encoding, which a writer needs.)
"""

from __future__ import annotations

import io
import os
import tempfile
import tokenize
from dataclasses import dataclass
from pathlib import Path

from readkit.results.annotate import FileError

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
