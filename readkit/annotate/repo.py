"""The analyzed repository as a whole: module names of files (for relative imports) and
the torch-derived classes other files import (`class Deep(Net)` where `Net` lives in
`models.py`, `from .models import Net`).

Classes of other files are summarized on demand with Python's `ast` (fast, C), memoized
per process: only modules that are actually imported are read, and each once.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass, field
from pathlib import Path

from readkit.annotate.engine import ModuleInfo
from readkit.annotate.scopes import ExternalClass

_IMPORT_LINE = re.compile(r"^[ \t]*(?:from[ \t]+(\.+|[A-Za-z_]\w*)|import[ \t]+([A-Za-z_]\w*))", re.M)


@dataclass
class _Summary:
    imports: dict[str, str]  # local name -> absolute dotted name
    classes: dict[str, ast.ClassDef]
    module: str


@dataclass
class RepoIndex:
    roots: tuple[Path, ...] = ()
    _summaries: dict[Path, _Summary | None] = field(default_factory=dict, repr=False)
    _local_names: frozenset[str] | None = field(default=None, repr=False)
    _lookups: dict[tuple[str, str, int], ExternalClass | None] = field(default_factory=dict, repr=False)
    _files: dict[tuple[str, str], list[Path]] = field(default_factory=dict, repr=False)

    @classmethod
    def for_paths(cls, paths: list[Path]) -> RepoIndex:
        roots = {(p if p.is_dir() else p.parent).resolve() for p in paths if p.exists()}
        return cls(tuple(sorted(roots)))

    def __getstate__(self) -> dict[str, object]:
        return {"roots": self.roots}

    def __setstate__(self, state: dict[str, object]) -> None:
        self.roots = state["roots"]  # type: ignore[assignment]
        self._summaries = {}
        self._local_names = None
        self._lookups = {}
        self._files = {}

    # ------------------------------------------------------------------ module names

    def module_info(self, path: Path) -> ModuleInfo:
        """The dotted module name of `path`: up through the directories holding __init__.py."""
        resolved = path.resolve()
        parts = [] if resolved.name == "__init__.py" else [resolved.stem]
        directory = resolved.parent
        while (directory / "__init__.py").exists() and directory != directory.parent:
            parts.insert(0, directory.name)
            directory = directory.parent
        return ModuleInfo(".".join(parts), resolved.name == "__init__.py", self)

    def may_use_repo(self, source: str, path: Path | None = None) -> bool:
        """Cheaply: does the file import one of the repo's own modules (relatively, by a top-level
        name, or a sibling module of its own directory, script style)?"""
        names = self._names()
        for match in _IMPORT_LINE.finditer(source):
            first = match.group(1) or match.group(2)
            if first.startswith(".") or first in names:
                return True
            if path is not None and ((path.parent / f"{first}.py").exists() or (path.parent / first).is_dir()):
                return True
        return False

    def _names(self) -> frozenset[str]:
        if self._local_names is None:
            found = set()
            for root in self.roots:
                for entry in root.iterdir():
                    if entry.suffix == ".py" or (entry / "__init__.py").exists():
                        found.add(entry.stem)
            self._local_names = frozenset(found)
        return self._local_names

    # ------------------------------------------------------------------ classes of other files

    def lookup(self, dotted: str, from_path: str, depth: int = 0) -> ExternalClass | None:
        """The repo class a dotted import name refers to, when it derives from torch (memoized)."""
        path = Path(from_path)  # relative imports differ between a package's __init__ and its modules
        key = (dotted, f"{path.parent}:{path.name == '__init__.py'}", depth)
        if key not in self._lookups:
            self._lookups[key] = None  # an import cycle resolves to nothing
            self._lookups[key] = self._lookup(dotted, from_path, depth)
        return self._lookups[key]

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
        if key not in self._files:
            self._files[key] = self._find(module, from_path)
        return self._files[key]

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
                if candidate.is_file():
                    found.append(candidate)
        return found

    def _summary(self, file: Path) -> _Summary | None:
        if file not in self._summaries:
            self._summaries[file] = _summarize(file, self.module_info(file))
        return self._summaries[file]

    def _external(self, summary: _Summary, node: ast.ClassDef, file: Path, depth: int) -> ExternalClass | None:
        methods = frozenset(n.name for n in node.body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef)))
        returns_tuple = _forward_returns_tuple(node)
        attrs = _torch_attributes(node, summary.imports)
        for base in node.bases:
            dotted = _dotted(base, summary.imports)
            if dotted is None:
                continue
            if dotted == "torch" or dotted.startswith("torch."):
                return ExternalClass(f"{file}:{node.name}", dotted, methods, returns_tuple, attrs)
            if dotted.rpartition(".")[2] in summary.classes and "." not in dotted:
                parent = self._external(summary, summary.classes[dotted], file, depth + 1)
            else:
                parent = self.lookup(dotted, str(file), depth + 1)
            if parent is not None:
                return ExternalClass(f"{file}:{node.name}", parent.torch_base, methods | parent.methods,
                                     returns_tuple or parent.returns_tuple, parent.attrs + attrs)
        return None


def _summarize(file: Path, info: ModuleInfo) -> _Summary | None:
    try:
        tree = ast.parse(file.read_bytes())
    except (OSError, SyntaxError, ValueError):
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
    return _Summary(imports, classes, info.name)


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
