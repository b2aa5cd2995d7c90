"""Finding the files to analyze and reading them: walking, skipping, decoding, and the
errors a file can have (what cannot be read or parsed becomes a `FileError`).
"""

from __future__ import annotations

import ast
import io
import os
import subprocess
import tokenize
from collections.abc import Iterable, Iterator
from pathlib import Path

import libcst as cst

from readkit.results.annotate import FileError

SKIPPED_DIRS = frozenset({".git", ".hg", ".svn", ".venv", "venv", "env", "site-packages", "build", "dist",
                          "__pycache__", "node_modules", ".tox", ".nox", ".mypy_cache", ".pytest_cache",
                          ".ipynb_checkpoints", ".eggs"})
SOURCE_SUFFIXES = (".py", ".ipynb")


def discover(paths: Iterable[Path]) -> list[Path]:
    """Every .py/.ipynb file under `paths`, in a stable order (explicit files always kept)."""
    found: list[Path] = []
    for path in paths:
        if path.is_dir():
            found.extend(_not_ignored(path, sorted(_walk(path, set()))))
        else:
            found.append(path)
    return found


def _walk(root: Path, seen: set[tuple[int, int]]) -> Iterator[Path]:
    stat = root.stat()
    if (stat.st_dev, stat.st_ino) in seen:  # a symlink loop
        return
    seen.add((stat.st_dev, stat.st_ino))
    try:
        entries = sorted(os.scandir(root), key=lambda e: e.name)
    except OSError:
        return
    for entry in entries:
        if entry.is_dir():
            if not _skipped_dir(entry):
                yield from _walk(Path(entry.path), seen)
        elif entry.name.endswith(SOURCE_SUFFIXES) and entry.is_file():
            yield Path(entry.path)


def _skipped_dir(entry: os.DirEntry[str]) -> bool:
    name = entry.name
    if name in SKIPPED_DIRS or name.endswith(".egg-info"):
        return True
    return os.path.exists(os.path.join(entry.path, "pyvenv.cfg"))


def _not_ignored(root: Path, files: list[Path]) -> list[Path]:
    """Drop what git ignores, when `root` is inside a git work tree (no git: keep all). A root
    that git itself ignores (a download inside an ignored folder) was asked for explicitly:
    its files are all kept."""
    if not files or _git_ignored(root, [root]):
        return files
    ignored = _git_ignored(root, files)
    return [f for f in files if str(f) not in ignored]


def _git_ignored(root: Path, paths: list[Path]) -> set[str]:
    try:
        done = subprocess.run(["git", "-C", str(root), "check-ignore", "--stdin", "-z"],
                              input="\0".join(str(p) for p in paths).encode(), capture_output=True, timeout=30)
    except (OSError, subprocess.SubprocessError):
        return set()
    if done.returncode not in (0, 1):
        return set()
    return {p for p in done.stdout.decode(errors="replace").split("\0") if p}


# ---------------------------------------------------------------------- reading


class SourceError(Exception):
    def __init__(self, error: FileError) -> None:
        super().__init__(error.message)
        self.error = error


def read_source(path: Path) -> str:
    """The text of a Python file in its declared encoding (PEP 263), or SourceError."""
    try:
        data = path.read_bytes()
    except OSError as error:
        raise SourceError(FileError("unreadable", f"cannot read: {error.strerror or error}")) from None
    if b"\0" in data[:8192]:
        raise SourceError(FileError("binary", "binary content (a NUL byte), not Python source"))
    try:
        encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
        text = data.decode(encoding)
    except (SyntaxError, LookupError, UnicodeDecodeError) as error:
        raise SourceError(FileError("encoding", f"cannot decode: {error}", _bad_byte_line(data, error))) from None
    return text[1:] if text.startswith("\ufeff") else text


def _bad_byte_line(data: bytes, error: Exception) -> int | None:
    if isinstance(error, UnicodeDecodeError):
        return data[: error.start].count(b"\n") + 1
    return None


def parse_error(source: str, error: cst.ParserSyntaxError) -> FileError:
    """A syntax error, recognising Python 2 (print statements, `except X, e`, backticks)."""
    return _syntax_error(source, error.message, error.raw_line, error.raw_column + 1)


def quick_syntax_check(source: str) -> FileError | None:
    """For files skipped as torch-free: still report what does not parse (with the C parser, fast)."""
    try:
        ast.parse(source)
    except SyntaxError as error:
        return _syntax_error(source, error.msg, error.lineno or 1, error.offset or 1)
    except (ValueError, RecursionError, MemoryError) as error:
        return FileError("syntax", f"cannot parse: {error}")
    return None


def _syntax_error(source: str, message: str, line: int, column: int) -> FileError:
    lines = source.splitlines()
    text = lines[line - 1] if 0 < line <= len(lines) else ""
    if _looks_like_python2(text, source):
        return FileError("python2", f"Python 2 syntax ({text.strip()!r}): run 2to3 or python-modernize first, "
                                    "then `readkit migrate`", line, column)
    return FileError("syntax", f"syntax error: {message}", line, column)


def _looks_like_python2(text: str, source: str) -> bool:
    stripped = text.strip()
    if stripped.startswith("print ") and not stripped.startswith("print ("):
        return True
    if stripped.startswith("exec ") or "`" in stripped or stripped.startswith("raise ") and "," in stripped:
        return True
    return stripped.startswith("except ") and "," in stripped and " as " not in stripped or "ur'" in stripped


def mentions_torch(source: str) -> bool:
    """A cheap filter: a file that never says "torch" uses torch only through the repo's own
    modules (checked apart, repo.RepoIndex.may_use_repo) or through names alone (`.data[0]`)."""
    return "torch" in source or ".data" in source or "backward" in source
