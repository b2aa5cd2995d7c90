"""The annotator's library entry: files in, `AnnotateResult` out.

Per-file work is pure (`analyze_file`: a path and where it sits in its repo in, a
`FileResult` out), so files are analyzed in a process pool (`jobs`, default all cores).
"""

from __future__ import annotations

import contextlib
import itertools
import os
import sys
import warnings
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from readkit import roles
from readkit.annotate import files, pool
from readkit.annotate.cache import AnnotateCache, Digests, entry_key
from readkit.results.annotate import AnnotateResult, FileError, FileResult
from readkit.annotate.pool import FileTask, Outcome
from readkit.annotate.repo import RepoIndex
from readkit.annotate.repo_types import ModuleInfo
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
                   observations: dict[str, dict[int, LineObservation]] | None = None,
                   cache: AnnotateCache | None = None, scheduler: str | None = None) -> AnnotateResult:
    """Annotate every Python file and notebook under `paths` (all results in memory: for a
    whole framework, stream them with `plan_paths` + `iter_annotate`)."""
    results = iter_annotate(plan_paths(paths), jobs=jobs, roles=roles, rules=rules, observations=observations,
                            cache=cache, scheduler=scheduler)
    from readkit.annotate.rules.base import rule_catalogue

    return AnnotateResult(files=tuple(results), rules=rule_catalogue())


def _observed(path: Path, observations: dict[str, dict[int, LineObservation]]) -> dict[int, LineObservation] | None:
    """A file's observations, keyed by the path as found or as resolved (a run reports resolved paths)."""
    if not observations:
        return None
    return observations.get(str(path)) or observations.get(str(path.resolve()))


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
    import libcst as cst  # here, not at the top: a re-run served from the cache never needs the parser

    from readkit.annotate.engine import analyze_source

    rejected = files.check_analyzable(source)  # libcst crashes on some of what CPython rejects
    if rejected is not None:
        return FileResult(path=path, error=rejected)
    try:
        with warnings.catch_warnings(), _deep_recursion():
            warnings.simplefilter("ignore")
            return analyze_source(source, path, observations=observations, module_info=info).result
    except cst.ParserSyntaxError as error:  # CPython's parser places the error more precisely
        return FileResult(path=path, error=files.parse_error(source, error))
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
    analyzed = notebook.analyzable_source()
    result = _analyze_text(analyzed, path, info, observations)
    if result.error is None and notebook.broken:  # the other cells were analyzed; the first bad one is the error
        bad = notebook.broken[0]
        others = f" ({len(notebook.broken) - 1} more such cells)" if len(notebook.broken) > 1 else ""
        message = f"cell {bad.cell} is not valid Python even in Jupyter ({bad.message}){others}; the other cells were analyzed"
        result = replace(result, error=FileError("syntax", message, bad.first + bad.line - 1))
    where = {cell_line: number for number, cell_line in enumerate(notebook.cells, start=1)}
    replaced = tuple((where[(n.cell, n.line)], n.text) for n in notebook.notes if (n.cell, n.line) in where)
    return replace(result, source=notebook.source, cells=tuple(notebook.cells), markdown=notebook.markdown,
                   replaced_lines=replaced)


# ---------------------------------------------------------------------- running many files


@dataclass(frozen=True)
class Plan:
    """The files a run will analyze, each with the root (a PATH given) it was found under."""

    roots: tuple[Path, ...]
    files: tuple[Path, ...]
    root_of: tuple[int, ...]  # files[i] was found under roots[root_of[i]]
    # files[i] that could not be walked or looked at (an unreadable folder, a symlink loop): never analyzed
    problems: Mapping[int, FileError] = field(default_factory=dict)
    resolved: tuple[str, ...] = ()  # the real path of files[i] (symlinks resolved), when known

    def real_path(self, number: int) -> Path:
        return Path(self.resolved[number]) if self.resolved else self.files[number].resolve()


def plan_paths(paths: Iterable[str | os.PathLike[str]]) -> Plan:
    """Every Python file and notebook under `paths`, once each (the first root that holds it wins)."""
    roots = tuple(Path(p) for p in paths)
    seen: set[str] = set()
    found: list[Path] = []
    root_of: list[int] = []
    resolved: list[str] = []
    problems: dict[int, FileError] = {}
    for number, root in enumerate(roots):
        for entry in files.find_sources([root]):
            key = os.path.realpath(entry.path)
            if key not in seen:
                seen.add(key)
                if entry.problem is not None:
                    problems[len(found)] = entry.problem
                found.append(entry.path)
                root_of.append(number)
                resolved.append(key)
    return Plan(roots, tuple(found), tuple(root_of), problems, tuple(resolved))


def iter_annotate(plan: Plan, *, jobs: int | None = None, roles: Sequence[str] = (), rules: Sequence[str] = (),
                  observations: dict[str, dict[int, LineObservation]] | None = None,
                  cache: AnnotateCache | None = None, scheduler: str | None = None,
                  made: Mapping[str, FileResult] | None = None) -> Iterator[FileResult]:
    """The result of every file of `plan`, in plan order, as the analyses complete.

    `cache`: reuse results whose file and facts are unchanged, store new ones. `scheduler`:
    the address of a Dask cluster to run the analyses on (`readkit[dask]`), else a local pool.
    `made`: results already made for some files (by real path), used as they are, not analyzed again.
    """
    _check_filters(roles, rules)
    index = RepoIndex.for_paths(list(plan.roots))
    digests = Digests()
    ready: dict[int, FileResult] = {}
    hits: dict[int, _Hit] = {}
    todo: list[tuple[int, FileTask, str | None]] = []
    for number, path in enumerate(plan.files):
        if number in plan.problems:
            ready[number] = FileResult(str(path), error=plan.problems[number])
            continue
        resolved = plan.real_path(number)
        if made and str(resolved) in made:
            ready[number] = replace(made[str(resolved)], path=str(path))
            continue
        seen = _observed(path, observations or {})
        info = index.module_info(path, resolved)
        task = FileTask(str(path), info.name, info.is_package, tuple(str(r) for r in index.roots), seen)
        key = _cache_key(resolved, info, digests) if cache is not None and seen is None else None
        if cache is not None and key is not None and cache.probe(key, digests):
            hits[number] = _Hit(key, resolved, task)
        else:
            todo.append((number, task, key))
    outcomes = _outcomes([task for _, task, _ in todo], jobs, scheduler)
    yield from _in_order(_Waiting(ready, hits, cache, digests), todo, outcomes, cache, roles, rules, len(plan.files))


def _cache_key(resolved: Path, info: ModuleInfo, digests: Digests) -> str | None:
    """The file's cache key, None when it cannot be read."""
    try:
        data = resolved.read_bytes()
    except OSError:
        return None
    return entry_key(resolved, info.name, info.is_package, digests.of_bytes(resolved, data))


@dataclass(frozen=True)
class _Hit:
    """A file whose cached result is read when its turn to be written comes (so a warm run holds
    one decoded result at a time, not all of them)."""

    key: str
    resolved: Path
    task: FileTask


@dataclass
class _Waiting:
    """The results not yet written: analyzed ones that arrived early, and cache hits."""

    ready: dict[int, FileResult]
    hits: dict[int, _Hit]
    cache: AnnotateCache | None
    digests: Digests

    def __contains__(self, number: int) -> bool:
        return number in self.ready or number in self.hits

    def pop(self, number: int) -> FileResult:
        if number in self.ready:
            return self.ready.pop(number)
        hit = self.hits.pop(number)
        assert self.cache is not None  # hits come from the cache
        loaded = self.cache.load(hit.key, lambda: _text_now(hit.resolved, self.digests))
        if loaded is not None:
            return replace(loaded, path=hit.task.path)
        # gone from the store (a concurrent run pruned it) or the file changed during this run
        return next(_outcomes([hit.task], 1, None))[1][0]


def _text_now(resolved: Path, digests: Digests) -> str | None:
    """The file's text if its bytes are still those its key was made from, else None."""
    try:
        data = resolved.read_bytes()
        return files.decode_text(data).text if digests.unchanged(resolved, data) else None
    except (OSError, files.SourceError):
        return None


def _outcomes(tasks: list[FileTask], jobs: int | None, scheduler: str | None) -> Iterator[tuple[int, Outcome]]:
    if scheduler is not None:
        return pool.run_dask(tasks, analyze_file, scheduler)
    workers = min(jobs or os.cpu_count() or 1, max(len(tasks), 1))
    if workers <= 1 or len(tasks) < 4:
        return pool.run_serial(tasks, analyze_file)
    return pool.run_local(tasks, analyze_file, workers)


def _in_order(waiting: _Waiting, todo: list[tuple[int, FileTask, str | None]],
              outcomes: Iterator[tuple[int, Outcome]], cache: AnnotateCache | None,
              roles: Sequence[str], rules: Sequence[str], total: int) -> Iterator[FileResult]:
    """Yield results in plan order while later ones are still being analyzed: whatever is waiting
    goes out before the first analysis ends, then after each one."""
    following = 0
    for arrived in itertools.chain([None], outcomes):
        if arrived is not None:
            task_number, (result, facts) = arrived
            number, _, key = todo[task_number]
            if cache is not None and key is not None and _cacheable(result):
                cache.store(key, result, facts, text_is_file=not result.path.endswith(".ipynb"))
            waiting.ready[number] = result
        while following in waiting:
            yield _filtered(waiting.pop(following), roles, rules)
            following += 1
    assert following == total, "every file of the plan is written once"


def _cacheable(result: FileResult) -> bool:
    """What the file's bytes decide is kept; a crash, or a file that could not be read, is not."""
    return result.error is None or result.error.kind not in ("internal", "unreadable", "crashed")


# ---------------------------------------------------------------------- filters


def known_rule_ids() -> list[str]:
    from readkit.annotate.rules.base import all_rules

    return sorted(set(ANNOTATION_RULES) | {rule.id for rule in all_rules()})


def _check_filters(role_names: Sequence[str], rule_ids: Sequence[str]) -> None:
    unknown_roles = [r for r in role_names if r not in roles.ROLES]
    if unknown_roles:
        raise UnknownFilterError(f"unknown role {', '.join(map(repr, unknown_roles))}; "
                                 f"known roles: {', '.join(roles.role_names())}")
    known = known_rule_ids() if rule_ids else []
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
