"""Finding the files to analyze and reading them: walking, skipping, decoding, and the
errors a file can have (what cannot be read or parsed becomes a `FileError`).
"""

from __future__ import annotations

import ast
import errno
import io
import os
import re
import subprocess
import sys
import tokenize
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from readkit.results.annotate import FileError

if TYPE_CHECKING:
    import libcst as cst

SKIPPED_DIRS = frozenset({".git", ".hg", ".svn", ".venv", "venv", "env", "site-packages", "build", "dist",
                          "__pycache__", "node_modules", ".tox", ".nox", ".mypy_cache", ".pytest_cache",
                          ".ipynb_checkpoints", ".eggs"})
SOURCE_SUFFIXES = (".py", ".ipynb")


@dataclass(frozen=True)
class Found:
    """A path the walk found: a source file to analyze, or one it could not enter (`problem`)."""

    path: Path
    problem: FileError | None = None


def discover(paths: Iterable[Path]) -> list[Path]:
    """Every .py/.ipynb file under `paths`, in a stable order (explicit files always kept)."""
    return [f.path for f in find_sources(paths) if f.problem is None]


def find_sources(paths: Iterable[Path]) -> list[Found]:
    """Like `discover`, with what could not be walked (an unreadable folder, a symlink loop,
    an explicit path that cannot be looked at) as `Found` entries carrying their problem."""
    found: list[Found] = []
    for path in paths:
        problem = _stat_problem(path)
        if problem is not None:
            found.append(Found(path, problem))
        elif path.is_dir():
            found.extend(_not_ignored(path, sorted(_walk(path, set()), key=lambda f: f.path)))
        else:
            found.append(Found(path))
    return found


def _walk(root: Path, seen: set[tuple[int, int]]) -> Iterator[Found]:
    stat = root.stat()
    if (stat.st_dev, stat.st_ino) in seen:  # a symlink loop
        return
    seen.add((stat.st_dev, stat.st_ino))
    try:
        entries = sorted(os.scandir(root), key=lambda e: e.name)
    except OSError as error:
        yield Found(root, FileError("unreadable", f"cannot list this folder: {_reason(error)}"))
        return
    for entry in entries:
        yield from _entry(entry, seen)


def _entry(entry: os.DirEntry[str], seen: set[tuple[int, int]]) -> Iterator[Found]:
    path = Path(entry.path)
    problem = _stat_problem(path) if entry.is_symlink() else None
    if problem is not None:  # a link to itself or to a place it may not look
        if entry.name.endswith(SOURCE_SUFFIXES) or problem.message.startswith(_LOOP):
            yield Found(path, problem)
    elif entry.is_dir():
        if not _skipped_dir(entry):
            yield from _walk(path, seen)
    elif entry.name.endswith(SOURCE_SUFFIXES) and entry.is_file():
        yield Found(path)


_LOOP = "a symlink loop"


def _stat_problem(path: Path) -> FileError | None:
    """Why `path` cannot be looked at (followed through its symlinks), or None."""
    try:
        os.stat(path)
    except OSError as error:
        if error.errno == errno.ELOOP:
            return FileError("unreadable", f"{_LOOP}: it leads back to itself ({_reason(error)})")
        if error.errno == errno.ENOENT and os.path.islink(path):
            return FileError("unreadable", "a symlink to nothing (its target does not exist)")
        return FileError("unreadable", f"cannot read: {_reason(error)}")
    return None


def _reason(error: OSError) -> str:
    return error.strerror or str(error)


def _skipped_dir(entry: os.DirEntry[str]) -> bool:
    name = entry.name
    if name in SKIPPED_DIRS or name.endswith(".egg-info"):
        return True
    return os.path.exists(os.path.join(entry.path, "pyvenv.cfg"))


def _not_ignored(root: Path, files: list[Found]) -> list[Found]:
    """Drop what git ignores, when `root` is inside a git work tree (no git: keep all). A root
    that git itself ignores (a download inside an ignored folder) was asked for explicitly:
    its files are all kept."""
    if not files or _git_ignored(root, [root]):
        return files
    ignored = _git_ignored(root, [f.path for f in files])
    return [f for f in files if str(f.path) not in ignored]


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


@dataclass(frozen=True)
class SourceText:
    text: str  # decoded, newlines as they are in the file, no BOM
    encoding: str  # as tokenize.detect_encoding names it ("utf-8-sig" for a UTF-8 BOM)


def read_source(path: Path) -> str:
    """The text of a Python file in its declared encoding (PEP 263), or SourceError."""
    return read_text(path).text


def read_text(path: Path) -> SourceText:
    """The one reader of Python sources, for `annotate` and `migrate` alike: the text in its
    declared encoding (PEP 263 cookie or BOM), newlines untranslated, or SourceError with the
    reason and, for a NUL byte or an undecodable byte, its true line and column."""
    try:
        data = path.read_bytes()
    except OSError as error:
        raise SourceError(FileError("unreadable", f"cannot read: {_reason(error)}")) from None
    return decode_text(data)


def decode_text(data: bytes) -> SourceText:
    """A Python file's bytes as text, as `read_text` reads them, or SourceError."""
    nul = data.find(b"\0")
    if nul >= 0:
        line, column = _position(data[:nul], _encoding_or_utf8(data))
        raise SourceError(FileError("binary", f"binary content (a NUL byte at line {line}, column {column}), "
                                              "not Python source", line, column))
    try:
        encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
        return SourceText(data.decode(encoding), encoding)
    except (SyntaxError, LookupError) as error:
        raise SourceError(FileError("encoding", f"cannot decode: {error}")) from None
    except UnicodeDecodeError as error:
        line, column = _position(data[: error.start], encoding)
        raise SourceError(FileError("encoding", f"cannot decode: {error}", line, column)) from None


def _encoding_or_utf8(data: bytes) -> str:
    try:
        return tokenize.detect_encoding(io.BytesIO(data).readline)[0]
    except (SyntaxError, LookupError):
        return "utf-8"


def _position(before: bytes, encoding: str) -> tuple[int, int]:
    """1-based line and column just after `before` (lines end at \\n, \\r\\n or \\r, as Python's)."""
    lines = re.split(r"\r\n|\r|\n", before.decode(encoding, errors="replace"))
    return len(lines), len(lines[-1]) + 1


def parse_error(source: str, error: cst.ParserSyntaxError) -> FileError:
    """A syntax error, recognising Python 2 (print statements, `except X, e`, backticks)."""
    return _syntax_error(source, error.message, error.raw_line, error.raw_column + 1)


def quick_syntax_check(source: str) -> FileError | None:
    """For files skipped as torch-free: still report what does not parse (with the C parser, fast)."""
    return _cpython_rejects(source, _PARSE_RECURSION)[0]


# What libcst is not given. A chain of postfix operations (`x[0][0]...`, `a.b.b...`, `f()()...`)
# makes its parser take seconds per thousand links and crash the process near 2,500 (CPython
# accepts about 3,000). A left-associative operator chain (`x + 1 + ...`) is parsed in runs of
# 150 terms (annotate/parse), so its links are not nesting: it is bounded by CPython's parse alone.
MAX_CHAIN = 1000
MAX_DEPTH = 3100  # any other nesting; just above what CPython accepts (~3,000 at its default recursion limit)
_PARSE_RECURSION = 2500  # CPython's ast construction allows 3x this: room for a 7,400-term operator chain


def check_analyzable(source: str) -> FileError | None:
    """Why libcst must not see `source`, or None. What CPython's own parser rejects (more than 200
    nested brackets: "too many nested parentheses") is a syntax error at CPython's line:column;
    a postfix chain longer than MAX_CHAIN, or nesting deeper than MAX_DEPTH, is too deep to
    analyze. (0.3-era `async=` keywords are renamed first, as the engine does: they are a
    finding, not a syntax error.)"""
    from readkit.annotate import parse  # libcst: imported where a file is analyzed, not on a cache hit
    from readkit.annotate.rules.async_argument import rewrite_async_keywords

    parsable = rewrite_async_keywords(source)[0]
    rejected, tree = _cpython_rejects(parsable, _PARSE_RECURSION)
    if rejected is not None or tree is None:
        return rejected
    deep = _too_deep(tree)
    if deep is None:
        parse.remember_tree(parsable, tree)  # the engine's parse, next, cuts a large file where this tree says
        return None
    line, column = _node_position(source, deep[0])
    return FileError("too-deep", f"too deeply nested to analyze ({deep[1]}; readkit's limit)", line, column)


def _cpython_rejects(source: str, recursion: int = 0) -> tuple[FileError | None, ast.Module | None]:
    old = sys.getrecursionlimit()
    sys.setrecursionlimit(max(old, recursion))
    try:
        return None, ast.parse(source)
    except SyntaxError as error:
        return _syntax_error(source, error.msg, error.lineno or 1, error.offset or 1), None
    except (ValueError, RecursionError, MemoryError) as error:
        reason = "too deeply nested for Python's parser" if not isinstance(error, ValueError) else "cannot parse"
        return FileError("syntax", f"{reason} ({type(error).__name__}: {error})".replace(": )", ")")), None
    finally:
        sys.setrecursionlimit(old)


def _too_deep(tree: ast.AST) -> tuple[ast.AST, str] | None:
    """The first node found past MAX_CHAIN links of a postfix chain or MAX_DEPTH levels, and
    which (iteratively: no recursion limit)."""
    stack: list[tuple[ast.AST, int, int, ast.AST]] = [(tree, 0, 0, tree)]
    while stack:
        node, depth, chain, located = stack.pop()
        located = node if hasattr(node, "lineno") else located
        if chain > MAX_CHAIN:
            return located, f"a chain of more than {MAX_CHAIN} subscripts, attributes or calls"
        if depth > MAX_DEPTH:
            return located, f"more than {MAX_DEPTH} levels of nested expressions"
        link = _chained(node)
        flat = _continued_operation(node)
        stack.extend((child, depth if child is flat else depth + 1, chain + 1 if child is link else 0, located)
                     for child in ast.iter_child_nodes(node))
    return None


def _continued_operation(node: ast.AST) -> ast.AST | None:
    """The left operand of `a + b` when it continues a left-associative chain (`a` is `x + 1`):
    such a chain is cut into short runs for libcst (annotate/parse/plan.py), not nested."""
    if isinstance(node, ast.BinOp) and not isinstance(node.op, ast.Pow) and isinstance(node.left, ast.BinOp):
        return node.left if not isinstance(node.left.op, ast.Pow) else None
    return None


def _chained(node: ast.AST) -> ast.AST | None:
    """The operand a postfix operation continues (`x` of `x[0]`, `x.a`, `x()`)."""
    if isinstance(node, (ast.Subscript, ast.Attribute)):
        return node.value
    return node.func if isinstance(node, ast.Call) else None


def _node_position(source: str, node: ast.AST) -> tuple[int, int]:
    """1-based line and column (in characters) of an ast node (whose col_offset counts UTF-8 bytes)."""
    line = getattr(node, "lineno", 1)
    lines = source.splitlines()
    text = lines[line - 1] if 0 < line <= len(lines) else ""
    return line, len(text.encode()[: getattr(node, "col_offset", 0)].decode(errors="replace")) + 1


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
