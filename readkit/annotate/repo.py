"""The analyzed repository as a whole: module names of files (for relative imports) and
the torch-derived classes other files import (`class Deep(Net)` where `Net` lives in
`models.py`, `from .models import Net`).

Classes of other files are summarized on demand with Python's `ast` (fast, C), memoized
per process: only modules that are actually imported are read, and each once.

Every answer remembers the facts of the file system it rests on (`Fact`: a file's content
hash, whether a path exists, what a root directory lists). `record()` collects the facts
one file's analysis used, so the cache (cache.py) knows exactly when that analysis is stale:
when any of those facts changed, and only then.
"""

from __future__ import annotations

import ast
import contextlib
import hashlib
import os
import re
import stat
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

from readkit.annotate.repo_types import ExternalClass, ModuleInfo

T = TypeVar("T")
K = TypeVar("K")

# A fact of the file system an answer rests on: ("file", path, sha256 or None when unreadable),
# ("exists", path, "file" / "dir" / ""), ("listing", directory, sha256 of the module names in it).
Fact = tuple[str, str, str | None]

_IMPORT_LINE = re.compile(r"^[ \t]*(?:from[ \t]+(\.+|[A-Za-z_]\w*)|import[ \t]+([A-Za-z_]\w*))", re.M)


@dataclass(frozen=True)
class _ClassSummary:
    """What other files need of a class: plain values, not its syntax tree (a worker meets
    thousands of files; holding their class trees grew it by hundreds of MB over a run)."""

    name: str
    bases: tuple[str | None, ...]  # each base as an absolute dotted name, None when not a plain name
    methods: frozenset[str]
    returns_tuple: bool  # its forward returns a tuple
    attrs: tuple[tuple[str, str], ...]  # self.X = torch.producer(...) in its methods


@dataclass
class _Summary:
    imports: dict[str, str]  # local name -> absolute dotted name
    classes: dict[str, _ClassSummary]
    module: str
    digest: str  # sha256 of the file's bytes


@dataclass
class RepoIndex:
    roots: tuple[Path, ...] = ()
    _summaries: dict[Path, _Summary | None] = field(default_factory=dict, repr=False)
    _local_names: frozenset[str] | None = field(default=None, repr=False)
    _listing_facts: frozenset[Fact] = field(default=frozenset(), repr=False)
    _lookups: dict[tuple[str, str, int], tuple[ExternalClass | None, frozenset[Fact]]] = field(
        default_factory=dict, repr=False)
    _files: dict[tuple[str, str], tuple[list[Path], frozenset[Fact]]] = field(default_factory=dict, repr=False)
    _packages: dict[Path, tuple[tuple[str, ...], frozenset[Fact]]] = field(default_factory=dict, repr=False)
    _frames: list[set[Fact]] = field(default_factory=list, repr=False)  # facts being collected, innermost last

    @classmethod
    def for_paths(cls, paths: list[Path]) -> RepoIndex:
        roots = {(p if _is_dir(p) else p.parent).resolve() for p in paths if _stat(p) is not None}
        return cls(tuple(sorted(roots)))

    def __getstate__(self) -> dict[str, object]:
        return {"roots": self.roots}

    def __setstate__(self, state: dict[str, object]) -> None:
        self.roots = state["roots"]  # type: ignore[assignment]  # pickled state is a dict of objects; roots was saved as a tuple of Paths
        self._summaries = {}
        self._local_names = None
        self._listing_facts = frozenset()
        self._lookups = {}
        self._files = {}
        self._packages = {}
        self._frames = []

    # ------------------------------------------------------------------ facts used

    @contextlib.contextmanager
    def record(self) -> Iterator[set[Fact]]:
        """Collect the facts every answer given inside the block rests on."""
        facts: set[Fact] = set()
        self._frames.append(facts)
        try:
            yield facts
        finally:
            self._frames.pop()  # frames nest: the innermost is this one

    def _note(self, facts: frozenset[Fact] | set[Fact]) -> None:
        for frame in self._frames:
            frame.update(facts)

    def _exists(self, path: Path) -> str:
        kind = _kind(path)
        self._note({("exists", str(path), kind)})
        return kind

    def _memo(self, table: dict[K, tuple[T, frozenset[Fact]]], key: K, compute: Callable[[], T],
              placeholder: T) -> T:
        """table[key], computed once; the facts it rests on are noted on every use."""
        if key not in table:
            table[key] = (placeholder, frozenset())  # a cycle (imports that import each other) sees this
            facts: set[Fact] = set()
            self._frames.append(facts)
            try:
                value = compute()
            finally:
                self._frames.pop()
            table[key] = (value, frozenset(facts))
        value, used = table[key]
        self._note(used)
        return value

    # ------------------------------------------------------------------ module names

    def module_info(self, path: Path, resolved: Path | None = None) -> ModuleInfo:
        """The dotted module name of `path` (`resolved`: its real path, when already known): up
        through the directories holding __init__.py."""
        resolved = resolved or path.resolve()
        package = self._package(resolved.parent)
        parts = package if resolved.name == "__init__.py" else (*package, resolved.stem)
        return ModuleInfo(".".join(parts), resolved.name == "__init__.py", self)

    def _package(self, directory: Path) -> tuple[str, ...]:
        """The dotted name of the package `directory` is (() when it holds no __init__.py),
        each directory looked at once per run."""
        def compute() -> tuple[str, ...]:
            if directory == directory.parent or not self._exists(directory / "__init__.py"):
                return ()
            return (*self._package(directory.parent), directory.name)

        return self._memo(self._packages, directory, compute, ())

    def may_use_repo(self, source: str, path: Path | None = None) -> bool:
        """Cheaply: does the file import one of the repo's own modules (relatively, by a top-level
        name, or a sibling module of its own directory, script style)?"""
        names = self._names()
        for match in _IMPORT_LINE.finditer(source):
            first = match.group(1) or match.group(2)
            if first.startswith(".") or first in names:
                return True
            if path is not None and (self._exists(path.parent / f"{first}.py") or
                                     self._exists(path.parent / first) == "dir"):
                return True
        return False

    def _names(self) -> frozenset[str]:
        if self._local_names is None:
            listings = {root: sorted(_module_names(root)) for root in self.roots}
            self._local_names = frozenset(name for names in listings.values() for name in names)
            self._listing_facts = frozenset(("listing", str(root), _digest(names)) for root, names in listings.items())
        self._note(self._listing_facts)
        return self._local_names

    # ------------------------------------------------------------------ classes of other files

    def lookup(self, dotted: str, from_path: str, depth: int = 0) -> ExternalClass | None:
        """The repo class a dotted import name refers to, when it derives from torch (memoized)."""
        path = Path(from_path)  # relative imports differ between a package's __init__ and its modules
        key = (dotted, f"{path.parent}:{path.name == '__init__.py'}", depth)
        return self._memo(self._lookups, key, lambda: self._lookup(dotted, from_path, depth), None)

    def _lookup(self, dotted: str, from_path: str, depth: int) -> ExternalClass | None:
        module, _, name = dotted.rpartition(".")
        if not module or depth > 8:
            return None
        for file in self._candidates(module, Path(from_path)):
            summary = self._summary(file)
            if summary is None:
                continue
            if name in summary.classes:
                return self._external(summary, summary.classes[name], file, depth)
            if name in summary.imports:
                return self.lookup(summary.imports[name], str(file), depth + 1)
        return None

    def module_exists(self, module: str, from_path: str) -> bool:
        """Whether `import module` names a file of the analyzed repository."""
        return bool(self._candidates(module, Path(from_path)))

    def _candidates(self, module: str, from_path: Path) -> list[Path]:
        key = (module, f"{from_path.parent}:{from_path.name == '__init__.py'}")
        return self._memo(self._files, key, lambda: self._find(module, from_path), [])

    def _find(self, module: str, from_path: Path) -> list[Path]:
        relative = Path(*module.split("."))
        bases = [from_path.resolve().parent, *self.roots]
        info = self.module_info(from_path)
        if info.name.count(".") or info.is_package:
            top = from_path.resolve().parent
            for _ in range(info.name.count(".") + (0 if info.is_package else 0)):
                top = top.parent
            bases.insert(0, top if not info.is_package else top.parent)
        found = []
        for base in dict.fromkeys(bases):
            for candidate in (base / relative.with_suffix(".py"), base / relative / "__init__.py"):
                if self._exists(candidate) == "file":
                    found.append(candidate)
        return found

    def _summary(self, file: Path) -> _Summary | None:
        if file not in self._summaries:
            self._summaries[file] = _summarize(file, self.module_info(file))
        summary = self._summaries[file]
        self._note({("file", str(file), summary.digest if summary is not None else None)})
        self.module_info(file)  # notes the facts its module name rests on
        return summary

    def _external(self, summary: _Summary, cls: _ClassSummary, file: Path, depth: int) -> ExternalClass | None:
        if depth > 8:
            return None
        for dotted in cls.bases:
            if dotted is None:
                continue
            if dotted == "torch" or dotted.startswith("torch."):
                return ExternalClass(f"{file}:{cls.name}", dotted, cls.methods, cls.returns_tuple, cls.attrs)
            if dotted.rpartition(".")[2] in summary.classes and "." not in dotted:
                parent = self._external(summary, summary.classes[dotted], file, depth + 1)
            else:
                parent = self.lookup(dotted, str(file), depth + 1)
            if parent is not None:
                return ExternalClass(f"{file}:{cls.name}", parent.torch_base, cls.methods | parent.methods,
                                     cls.returns_tuple or parent.returns_tuple, parent.attrs + cls.attrs)
        return None


# Filesystem questions that never raise: an unreadable folder or a symlink loop in the
# analyzed tree is reported by the walk (files.find_sources), and here just answers "no".


def _stat(path: Path | str) -> os.stat_result | None:
    try:
        return os.stat(path)
    except (OSError, ValueError):
        return None


def _kind(path: Path | str) -> str:
    """"file", "dir", or "" (neither, or not there), with one stat."""
    found = _stat(path)
    if found is None:
        return ""
    return "file" if stat.S_ISREG(found.st_mode) else "dir" if stat.S_ISDIR(found.st_mode) else ""


def _is_dir(path: Path) -> bool:
    return _kind(path) == "dir"


def _summarize(file: Path, info: ModuleInfo) -> _Summary | None:
    try:
        data = file.read_bytes()
        tree = ast.parse(data)
    except (OSError, SyntaxError, ValueError, RecursionError, MemoryError):
        return None
    imports: dict[str, str] = {}
    classes: dict[str, ast.ClassDef] = {}
    for node in tree.body:
        if isinstance(node, ast.Import):
            for alias in node.names:
                imports[alias.asname or alias.name.split(".")[0]] = alias.name if alias.asname else alias.name.split(".")[0]
        elif isinstance(node, ast.ImportFrom):
            from readkit.annotate.declare import absolute_from

            base = absolute_from(info.name, info.is_package, node.level, node.module)
            for alias in node.names:
                imports[alias.asname or alias.name] = f"{base}.{alias.name}" if base else alias.name
        elif isinstance(node, ast.ClassDef):
            classes[node.name] = node
    summaries = {name: _class_summary(node, imports) for name, node in classes.items()}  # imports complete
    return _Summary(imports, summaries, info.name, hashlib.sha256(data).hexdigest())


def _class_summary(node: ast.ClassDef, imports: dict[str, str]) -> _ClassSummary:
    methods = frozenset(n.name for n in node.body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef)))
    return _ClassSummary(node.name, tuple(_dotted(base, imports) for base in node.bases), methods,
                         _forward_returns_tuple(node), _torch_attributes(node, imports))


def _dotted(node: ast.expr, imports: dict[str, str]) -> str | None:
    if isinstance(node, ast.Name):
        return imports.get(node.id, node.id)
    if isinstance(node, ast.Attribute):
        base = _dotted(node.value, imports)
        return f"{base}.{node.attr}" if base else None
    return None


def _torch_attributes(node: ast.ClassDef, imports: dict[str, str]) -> tuple[tuple[str, str], ...]:
    """`self.fc = nn.Linear(...)` in any method: ("fc", "torch.nn.Linear")."""
    found = []
    for item in ast.walk(node):
        if isinstance(item, ast.Assign) and len(item.targets) == 1 and isinstance(item.value, ast.Call):
            target = item.targets[0]
            producer = _dotted(item.value.func, imports)
            if isinstance(target, ast.Attribute) and isinstance(target.value, ast.Name) and \
                    target.value.id == "self" and producer and producer.startswith("torch."):
                found.append((target.attr, producer))
    return tuple(found)


def _forward_returns_tuple(node: ast.ClassDef) -> bool:
    for item in node.body:
        if isinstance(item, ast.FunctionDef) and item.name == "forward":
            return any(isinstance(r, ast.Return) and isinstance(r.value, ast.Tuple) for r in ast.walk(item))
    return False


# ---------------------------------------------------------------------- facts, checked again


def _module_names(root: Path | str) -> set[str]:
    """The importable names a directory holds: `x.py` files and packages."""
    try:
        with os.scandir(root) as entries:
            return {os.path.splitext(e.name)[0] for e in entries
                    if os.path.splitext(e.name)[1] == ".py" or _stat(os.path.join(e.path, "__init__.py")) is not None}
    except OSError:
        return set()


def _digest(items: list[str]) -> str:
    return hashlib.sha256("\0".join(items).encode()).hexdigest()


def file_digest(path: Path) -> str | None:
    """sha256 of a file's bytes, None when it cannot be read."""
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        return None


def fact_holds(fact: Fact, digests: Callable[[Path], str | None] = file_digest) -> bool:
    """Whether a recorded fact is still true of the file system (`digests`: a memoized file_digest)."""
    kind, where, value = fact
    if kind == "file":
        return digests(Path(where)) == value
    if kind == "exists":
        return _kind(where) == value
    if kind == "listing":
        return _digest(sorted(_module_names(where))) == value
    return False
