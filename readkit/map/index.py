"""The repository as the map reads it: each file's calls (where they sit, from `outline`)
joined with what they call (from the annotator's facts), and the user classes by key."""

from __future__ import annotations

import ast
from dataclasses import dataclass, field
from pathlib import Path

from readkit.annotate.facts import CallFact, ClassFact, FileFacts, ValueFact
from readkit.results.map import FileProblem, Location
from readkit.map.outline import CallSite, Outline, outline

MODULE_PREFIX = "torch.nn."


@dataclass
class FileView:
    display: str  # the path as shown to the reader
    facts: FileFacts
    outline: Outline
    sites: list[Site] = field(default_factory=list)
    _annotations: dict[tuple[int, int], list[tuple[str, str]]] | None = field(default=None, repr=False)

    def annotations_at(self, line: int, column: int) -> list[tuple[str, str]]:
        """(symbol, evidence) of the annotations that start at a 1-based line and column."""
        if self._annotations is None:
            self._annotations = {}
            for a in self.facts.result.annotations:
                self._annotations.setdefault((a.line, a.column), []).append((a.symbol or "", a.evidence))
        return self._annotations.get((line, column), [])

    def location(self, line: int) -> Location:
        cells = self.facts.result.cells
        if cells is not None and 0 < line <= len(cells):
            cell, cell_line = cells[line - 1]
            return Location(self.display, line, cell, cell_line)
        return Location(self.display, line)

    def at(self, node: ast.AST) -> Location:
        return self.location(getattr(node, "lineno", 1))


@dataclass
class Site:
    """One call: where it sits and what it calls."""

    file: FileView
    call: CallSite
    fact: CallFact | None

    @property
    def callee(self) -> ValueFact | None:
        return self.fact.callee if self.fact is not None else None

    @property
    def receiver(self) -> ValueFact | None:
        return self.fact.receiver if self.fact is not None else None

    @property
    def line(self) -> int:
        return self.call.key[0]

    def where(self) -> Location:
        return self.file.location(self.line)

    def text(self) -> str:
        return self.file.outline.line_text(self.line)

    def target(self) -> str | None:
        """The name the call's value is assigned to (`opt = optim.SGD(...)` -> "opt")."""
        statement = self.call.context.statement
        if isinstance(statement, (ast.Assign, ast.AnnAssign)) and statement.value is self.call.node:
            targets = statement.targets if isinstance(statement, ast.Assign) else [statement.target]
            return ast.get_source_segment(self.file.outline.source, targets[-1])
        return None


@dataclass
class ClassEntry:
    file: FileView
    fact: ClassFact
    node: ast.ClassDef


@dataclass
class Repo:
    root: Path | None
    files: list[FileView]
    classes: dict[str, ClassEntry]
    problems: list[FileProblem]

    def sites(self) -> list[Site]:
        return [s for f in self.files for s in f.sites]

    def class_name(self, key: str | None) -> str | None:
        if key is None:
            return None
        entry = self.classes.get(key)
        return entry.fact.name if entry is not None else key.rpartition(":")[2]


def build(facts: list[FileFacts], roots: list[Path]) -> Repo:
    files, problems = [], []
    for found in facts:
        if found.result.error is not None:
            problems.append(FileProblem(found.path, _error_text(found)))
            continue
        try:
            view = FileView(display_path(found.path, roots), found, outline(found.path, found.source))
        except (SyntaxError, ValueError) as error:  # libcst parsed it, CPython did not: say so, go on
            problems.append(FileProblem(found.path, f"cannot parse: {error}"))
            continue
        by_span = {(c.span[0], c.span[1], c.span[2], c.span[3]): c for c in found.calls}
        view.sites = [Site(view, call, by_span.get(call.key)) for call in view.outline.calls]
        files.append(view)
    root = roots[0].resolve() if len(roots) == 1 and roots[0].is_dir() else None
    return Repo(root, files, _classes(files), problems)


def _classes(files: list[FileView]) -> dict[str, ClassEntry]:
    found = {}
    for view in files:
        nodes = sorted((n for n, _ in view.outline.classes), key=lambda n: (n.lineno, n.col_offset))
        by_name: dict[str, list[ast.ClassDef]] = {}
        for node in nodes:
            by_name.setdefault(node.name, []).append(node)
        seen: dict[str, int] = {}
        for fact in view.facts.classes:  # both in source order: the k-th class of a name is the k-th
            index = seen.get(fact.name, 0)
            seen[fact.name] = index + 1
            candidates = by_name.get(fact.name, [])
            if index < len(candidates) and fact.key not in found:
                found[fact.key] = ClassEntry(view, fact, candidates[index])
    return found


def display_path(path: str, roots: list[Path]) -> str:
    """A file as the map names it: relative to the directory given, else as given."""
    resolved = Path(path).resolve()
    for root in roots:
        base = root.resolve() if root.is_dir() else None
        if base is not None and resolved.is_relative_to(base):
            return str(resolved.relative_to(base))
    return path


def _error_text(found: FileFacts) -> str:
    error = found.result.error
    assert error is not None
    where = f" (line {error.line})" if error.line else ""
    return f"{error.message}{where}"
