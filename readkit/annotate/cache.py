"""A content-addressed cache of per-file annotations, so a re-run costs a hash per file.

Key: sha256 of (readkit's own annotator code, the file's resolved path, its module name,
its bytes). A hit also needs every *fact* the analysis used to still hold: the content of
each other file of the repository it looked into (a base class in `models.py`), which paths
existed, what a root directory listed (repo.py records them). So editing `models.py`
re-analyses exactly the files whose analysis read it.

The store is one SQLite database in the user's cache directory (platformdirs), in WAL mode,
so concurrent runs read and write safely; it is bounded in size (least recently used
entries go first) and never trusted blindly: an entry that does not decode is a miss, and a
database that cannot be opened turns the cache off for the run (`AnnotateCache.problem`
says why) rather than failing it. Results are stored as zlib-compressed JSON, never pickle,
and without the file's own text (a hit takes it from the bytes that made its key: decoding
the text from JSON was half the cost of a re-run).
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import json
import os
import sqlite3
import time
import zlib
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from readkit.annotate.gc_pause import cyclic_gc_paused
from readkit.annotate.repo import Fact, fact_holds, file_digest
from readkit.results.annotate import Annotation, FileError, FileResult, LegacyFinding, Suppressed

SCHEMA = 1
DEFAULT_MAX_MB = 512
_SCHEMA_SQL = """
CREATE TABLE IF NOT EXISTS entries (
    key TEXT PRIMARY KEY,
    facts TEXT NOT NULL,
    result BLOB NOT NULL,
    size INTEGER NOT NULL,
    used REAL NOT NULL
)"""


def default_path() -> Path:
    """$READKIT_CACHE_DIR/annotate.sqlite3, else the user's cache directory (platformdirs)."""
    override = os.environ.get("READKIT_CACHE_DIR")
    if override:
        return Path(override) / "annotate.sqlite3"
    import platformdirs

    return Path(platformdirs.user_cache_dir("readkit")) / "annotate.sqlite3"


@functools.cache
def code_fingerprint() -> str:
    """sha256 of readkit's own code: any change to it (the annotator, its rules, the results,
    the role table, how notebooks and suppression comments are read...) is a new cache
    generation. All of it, not a list of modules that could fall out of date."""
    package = Path(__file__).resolve().parents[1]
    digest = hashlib.sha256(f"schema {SCHEMA}".encode())
    for source in sorted(package.rglob("*.py")):
        digest.update(str(source.relative_to(package)).encode())
        digest.update(source.read_bytes())
    return digest.hexdigest()


def entry_key(resolved: Path, module: str, is_package: bool, content: str) -> str:
    """The key of a file (`resolved`: its real path) with these bytes (`content`: their sha256)."""
    parts = (code_fingerprint(), str(resolved), module, str(is_package), content)
    return hashlib.sha256("\0".join(parts).encode()).hexdigest()


class AnnotateCache:
    """One run's view of the store: look up, check facts, store; `close()` writes and prunes."""

    def __init__(self, path: Path | None = None, max_mb: float | None = None) -> None:
        self.path = path or default_path()
        self.max_bytes = int((max_mb if max_mb is not None else _env_max_mb()) * 1024 * 1024)
        self.hits = self.misses = self.stale = 0
        self.problem: str | None = None
        self._pending: list[tuple[str, str, bytes, float]] = []
        self._used: list[tuple[float, str]] = []
        self._verdicts: dict[Fact, bool] = {}
        self._db = self._open()

    # ------------------------------------------------------------------ reading

    def probe(self, key: str, digests: Callable[[Path], str | None]) -> bool:
        """Whether `key` has an entry whose facts all still hold (a hit: `load` reads it)."""
        row = self._query("SELECT facts FROM entries WHERE key = ?", (key,))
        if row is None:
            self.misses += 1
            return False
        try:
            facts: list[Fact] = [(str(k), str(p), None if v is None else str(v)) for k, p, v in json.loads(row[0])]
        except (ValueError, TypeError):
            self.misses += 1
            return False
        if not all(self._holds(f, digests) for f in facts):
            self.stale += 1
            return False
        self.hits += 1
        self._used.append((time.time(), key))
        return True

    def load(self, key: str, text: Callable[[], str | None] = lambda: None) -> FileResult | None:
        """The result `probe` found for `key` (`text`: the file's text, from the bytes that made
        `key`; results are stored without it). None, counted as a miss after all, when it no
        longer decodes, has gone from the store, or the text is not at hand."""
        row = self._query("SELECT result FROM entries WHERE key = ?", (key,))
        try:
            result = decode(zlib.decompress(row[0]), text) if row is not None else None
        except (ValueError, TypeError, KeyError, zlib.error):
            result = None
        if result is None:
            self.hits -= 1
            self.misses += 1
        return result

    def _holds(self, fact: Fact, digests: Callable[[Path], str | None]) -> bool:
        """fact_holds, each fact checked once per run: files share most of their facts."""
        verdict = self._verdicts.get(fact)
        if verdict is None:
            verdict = self._verdicts[fact] = fact_holds(fact, digests)
        return verdict

    # ------------------------------------------------------------------ writing

    def store(self, key: str, result: FileResult, facts: Iterable[Fact], text_is_file: bool = False) -> None:
        """Keep `result`; `text_is_file`: its source is the file's text (not stored, see `load`)."""
        blob = zlib.compress(encode(result, text_is_file), 1)
        self._pending.append((key, json.dumps(sorted(facts, key=_fact_order)), blob, time.time()))
        if len(self._pending) >= 256:
            self.flush()

    def flush(self) -> None:
        if self._db is None or not (self._pending or self._used):
            self._pending.clear()
            self._used.clear()
            return
        try:
            with self._db:
                self._db.executemany("INSERT OR REPLACE INTO entries VALUES (?, ?, ?, ?, ?)",
                                     [(k, f, b, len(b) + len(f), t) for k, f, b, t in self._pending])
                self._db.executemany("UPDATE entries SET used = ? WHERE key = ?", self._used)
        except sqlite3.Error as error:
            self._off(f"cannot write the cache at {self.path}: {error}")
        self._pending.clear()
        self._used.clear()

    def close(self) -> None:
        self.flush()
        if self._db is not None:
            self._prune()
            self._db.close()
            self._db = None

    def _prune(self) -> None:
        """Least recently used entries go until the store is under 80% of its bound."""
        assert self._db is not None
        try:
            total = self._db.execute("SELECT COALESCE(SUM(size), 0) FROM entries").fetchone()[0]
            if total <= self.max_bytes:
                return
            excess, freed, doomed = total - int(self.max_bytes * 0.8), 0, []
            for key, size in self._db.execute("SELECT key, size FROM entries ORDER BY used"):
                if freed >= excess:
                    break
                doomed.append((key,))
                freed += size
            with self._db:
                self._db.executemany("DELETE FROM entries WHERE key = ?", doomed)
        except sqlite3.Error as error:
            self._off(f"cannot prune the cache at {self.path}: {error}")

    # ------------------------------------------------------------------ the database

    def _open(self) -> sqlite3.Connection | None:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)  # what a user's code holds is theirs
            db = sqlite3.connect(self.path, timeout=30, isolation_level=None)
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=NORMAL")
            db.execute(_SCHEMA_SQL)
            db.isolation_level = "DEFERRED"
            return db
        except (OSError, sqlite3.Error) as error:
            self.problem = f"cache off: cannot open {self.path}: {error}"
            return None

    def _query(self, sql: str, args: tuple[Any, ...]) -> tuple[Any, ...] | None:
        if self._db is None:
            return None
        try:
            row: tuple[Any, ...] | None = self._db.execute(sql, args).fetchone()
            return row
        except sqlite3.Error as error:
            self._off(f"cannot read the cache at {self.path}: {error}")
            return None

    def _off(self, why: str) -> None:
        self.problem = f"cache off: {why}"
        if self._db is not None:
            self._db.close()
        self._db = None


def _env_max_mb() -> float:
    try:
        return float(os.environ.get("READKIT_CACHE_MAX_MB", DEFAULT_MAX_MB))
    except ValueError:
        return DEFAULT_MAX_MB


def _fact_order(fact: Fact) -> tuple[str, str, str]:
    return fact[0], fact[1], fact[2] or ""


class Digests:
    """file_digest, each path hashed once per run; a file already read is hashed from its bytes."""

    def __init__(self) -> None:
        self._known: dict[Path, str | None] = {}

    def __call__(self, path: Path) -> str | None:
        if path not in self._known:
            self._known[path] = file_digest(path)
        return self._known[path]

    def of_bytes(self, path: Path, data: bytes) -> str:
        digest = self._known[path] = hashlib.sha256(data).hexdigest()
        return digest

    def unchanged(self, path: Path, data: bytes) -> bool:
        """Whether `data` are the bytes `path` had when it was hashed earlier in this run."""
        return path in self._known and hashlib.sha256(data).hexdigest() == self._known[path]


# ---------------------------------------------------------------------- the stored form


def encode(result: FileResult, text_is_file: bool = False) -> bytes:
    data = {
        "path": result.path,
        "annotations": [dataclasses.astuple(a) for a in result.annotations],
        "legacy": [dataclasses.astuple(f) for f in result.legacy],
        "error": dataclasses.astuple(result.error) if result.error is not None else None,
        "cells": result.cells,
        "source": None if text_is_file else result.source,
        "source_is_file": text_is_file and result.source is not None,
        "markdown": result.markdown,
        "replaced_lines": result.replaced_lines,
        "suppressed": [dataclasses.astuple(item) for item in result.suppressed],
    }
    return json.dumps(data, separators=(",", ":")).encode()


def decode(blob: bytes, text: Callable[[], str | None] = lambda: None) -> FileResult:
    with cyclic_gc_paused():  # thousands of small lists and dataclasses, no cycles (see gc_pause.py)
        return _decoded(json.loads(blob), text)


def _decoded(data: dict[str, Any], text: Callable[[], str | None]) -> FileResult:
    source = text() if data.get("source_is_file") else data["source"]
    if data.get("source_is_file") and source is None:
        raise ValueError("the file's text is not at hand")
    return FileResult(
        path=data["path"],
        annotations=tuple(Annotation(*row) for row in data["annotations"]),
        legacy=tuple(LegacyFinding(*row) for row in data["legacy"]),
        error=FileError(*data["error"]) if data["error"] is not None else None,
        cells=tuple((c, n) for c, n in data["cells"]) if data["cells"] is not None else None,
        source=source,
        markdown=tuple((n, t) for n, t in data["markdown"]),
        replaced_lines=tuple((n, t) for n, t in data["replaced_lines"]),
        suppressed=tuple(Suppressed(*row) for row in data.get("suppressed", ())),
    )
