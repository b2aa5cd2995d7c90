"""The annotator's library entry: files in, `AnnotateResult` out.

Per-file work is pure (`analyze_file`: a path and where it sits in its repo in, a
`FileResult` out), so files are analyzed in a process pool (`jobs`, default all cores).
"""

from __future__ import annotations

import contextlib
import os
import sys
import warnings
from collections.abc import Iterable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import replace
from pathlib import Path

import libcst as cst

from readkit import roles
from readkit.annotate import files
from readkit.annotate.engine import ModuleInfo, analyze_source
from readkit.results.annotate import AnnotateResult, FileError, FileResult
from readkit.annotate.repo import RepoIndex
from readkit.annotate.rules.base import rule_catalogue
from readkit.results.check import LineObservation


class UnknownFilterError(ValueError):
    """A --role or --rule filter names no role, annotation rule or legacy idiom."""


ANNOTATION_RULES: dict[str, str] = {
    "import-resolution": "the name resolves through imports to a torch name",
    "object-origin": "the object's origin is followed to a torch producer",
    "method-name": "only the method or attribute name suggests the role",
    "variable-name": "only the variable's name suggests what it holds (model, optimizer, loader)",
}


def annotate_source(code: str, path: str = "<string>") -> FileResult:
    """Annotate one piece of source code (a syntax error becomes the result's `error`)."""
    return _analyze_text(code, path, None, None)


def annotate_paths(paths: Iterable[str | os.PathLike[str]], *, jobs: int | None = None,
                   roles: Sequence[str] = (), rules: Sequence[str] = (),
                   observations: dict[str, dict[int, LineObservation]] | None = None) -> AnnotateResult:
    """Annotate every Python file and notebook under `paths`."""
    _check_filters(roles, rules)
    found = files.discover([Path(p) for p in paths])
    index = RepoIndex.for_paths([Path(p) for p in paths])
    tasks = [(str(p), index.module_info(p), (observations or {}).get(str(p))) for p in found]
    results = _run(tasks, index, jobs)
    return AnnotateResult(files=tuple(_filtered(r, roles, rules) for r in results), rules=rule_catalogue())


def analyze_file(path: str, info: ModuleInfo, observations: dict[int, LineObservation] | None) -> FileResult:
    """One file, start to end: read, parse, analyze. Never raises for bad input."""
    if path.endswith(".ipynb"):
        return _analyze_notebook(path, info, observations)
    try:
        source = files.read_source(Path(path))
    except files.SourceError as error:
        return FileResult(path=path, error=error.error)
    repo = info.repo if isinstance(info.repo, RepoIndex) else None
    if not files.mentions_torch(source) and not (repo is not None and repo.may_use_repo(source, Path(path))):
        return FileResult(path=path, error=files.quick_syntax_check(source), source=source)
    return _analyze_text(source, path, info, observations)


def _analyze_text(source: str, path: str, info: ModuleInfo | None,
                  observations: dict[int, LineObservation] | None) -> FileResult:
    """The file's result, carrying its source (render shows code without reading files)."""
    return replace(_analyze(source, path, info, observations), source=source)


def _analyze(source: str, path: str, info: ModuleInfo | None,
             observations: dict[int, LineObservation] | None) -> FileResult:
    try:
        with warnings.catch_warnings(), _deep_recursion():
            warnings.simplefilter("ignore")
            return analyze_source(source, path, observations=observations, module_info=info).result
    except cst.ParserSyntaxError as error:  # CPython's parser places the error more precisely
        return FileResult(path=path, error=files.quick_syntax_check(source) or files.parse_error(source, error))
    except RecursionError:
        return FileResult(path=path, error=FileError("syntax", "too deeply nested to analyze"))
    except Exception as error:  # a bug in readkit must not cost the other files their results
        return FileResult(path=path, error=FileError("internal", f"readkit could not analyze this file "
                                                                 f"({type(error).__name__}: {error}); please report it"))


@contextlib.contextmanager
def _deep_recursion(limit: int = 20_000) -> Iterator[None]:
    """Generated code nests deeply (`a + b + ... ` 1,000 terms); Python 3.11 frames of pure
    Python recursion cost no C stack, so a higher limit is safe for the walk."""
    old = sys.getrecursionlimit()
    sys.setrecursionlimit(max(old, limit))
    try:
        yield
    finally:
        sys.setrecursionlimit(old)


def _analyze_notebook(path: str, info: ModuleInfo, observations: dict[int, LineObservation] | None) -> FileResult:
    from readkit.notebook import load_notebook

    try:
        notebook = load_notebook(path)
    except Exception as error:  # nbformat's errors are many; each becomes a clear per-file error
        return FileResult(path=path, error=FileError("unreadable", f"not a readable notebook: {error}"))
    result = _analyze_text(notebook.source, path, info, observations)
    where = {cell_line: number for number, cell_line in enumerate(notebook.cells, start=1)}
    replaced = tuple((where[(n.cell, n.line)], n.text) for n in notebook.notes if (n.cell, n.line) in where)
    return replace(result, cells=tuple(notebook.cells), markdown=notebook.markdown, replaced_lines=replaced)


# ---------------------------------------------------------------------- running many files

_INDEX: RepoIndex | None = None


def _init_worker(index: RepoIndex) -> None:
    global _INDEX
    _INDEX = index


def _work(task: tuple[str, ModuleInfo, dict[int, LineObservation] | None]) -> FileResult:
    path, info, observations = task
    return analyze_file(path, replace(info, repo=_INDEX), observations)


def _run(tasks: list[tuple[str, ModuleInfo, dict[int, LineObservation] | None]], index: RepoIndex,
         jobs: int | None) -> list[FileResult]:
    workers = min(jobs or os.cpu_count() or 1, max(len(tasks), 1))
    if workers <= 1 or len(tasks) < 4:
        return [analyze_file(p, replace(i, repo=index), o) for p, i, o in tasks]
    chunk = max(1, min(16, len(tasks) // (workers * 4)))
    light = [(p, replace(i, repo=None), o) for p, i, o in tasks]
    with ProcessPoolExecutor(max_workers=workers, initializer=_init_worker, initargs=(index,)) as pool:
        return list(pool.map(_work, light, chunksize=chunk))


# ---------------------------------------------------------------------- filters


def known_rule_ids() -> list[str]:
    from readkit.annotate.rules.base import all_rules

    return sorted(set(ANNOTATION_RULES) | {rule.id for rule in all_rules()})


def _check_filters(role_names: Sequence[str], rule_ids: Sequence[str]) -> None:
    unknown_roles = [r for r in role_names if r not in roles.ROLES]
    if unknown_roles:
        raise UnknownFilterError(f"unknown role {', '.join(map(repr, unknown_roles))}; "
                                 f"known roles: {', '.join(roles.role_names())}")
    known = known_rule_ids()
    unknown_rules = [r for r in rule_ids if r not in known]
    if unknown_rules:
        raise UnknownFilterError(f"unknown rule {', '.join(map(repr, unknown_rules))}; known rules: {', '.join(known)}")


def _filtered(result: FileResult, role_names: Sequence[str], rule_ids: Sequence[str]) -> FileResult:
    if not role_names and not rule_ids:
        return result
    annotations = tuple(a for a in result.annotations
                        if (not role_names or a.role in role_names) and (not rule_ids or a.rule in rule_ids))
    legacy = result.legacy if not rule_ids else tuple(f for f in result.legacy if f.idiom in rule_ids)
    if role_names and not rule_ids:
        legacy = result.legacy
    return replace(result, annotations=annotations, legacy=legacy)
