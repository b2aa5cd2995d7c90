"""Facts for tools built on the annotator (`readkit map`): what each call calls, and which
classes derive from torch, from the same walk that labels the file.

    facts_for_paths(["repo/"]) -> [FileFacts(path, result, source, calls, classes, class_refs), ...]

`result` is the file's `FileResult`, as `annotate_paths` gives it (legacy-idiom rules are not
run here: a map does not need them). The extra facts are plain data, so they cross process
boundaries. User classes are named by one key everywhere, `"<absolute path>:<ClassName>"`,
whether the class is defined in the file itself or imported from another file of the repo.

What this module leaves out: anything about statements (loops, blocks, entry points); a tool
reads those from the source itself and joins the facts by a call's span.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Callable, Iterable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, replace
from pathlib import Path

import libcst as cst

from readkit.annotate import files
from readkit.annotate.declare import Declarer
from readkit.annotate.engine import _annotations, _future_annotations, _Locator
from readkit.annotate.repo_types import ModuleInfo
from readkit.annotate.evaluate import Evaluator
from readkit.annotate.parse import parse_module
from readkit.results.annotate import FileError, FileResult
from readkit.annotate.positions import Span
from readkit.annotate.repo import RepoIndex
from readkit.annotate.rules.async_argument import rewrite_async_keywords
from readkit.annotate.scopes import ClassInfo
from readkit.annotate.values import Kind, Value
from readkit.annotate.walk import TreeWalker
from readkit.annotate.walker import Walker


@dataclass(frozen=True)
class ValueFact:
    """What the annotator knows an expression's value is (a plain copy of `values.Value`)."""

    kind: str  # "ref" (a torch name), "obj" (an object torch made), "class" (a user class), "func", ...
    qualname: str  # the torch name or torch type: "torch.optim.Adam", "torch.nn.Module"
    evidence: str  # "resolved" | "inferred" | "heuristic"
    user_class: str | None = None  # "<absolute path>:<ClassName>" of a user class, when known


@dataclass(frozen=True)
class CallFact:
    span: Span  # the call: line, column, end line, end column (1-based lines, 0-based columns, characters)
    callee: ValueFact | None  # what is called
    receiver: ValueFact | None  # in `a.m(...)`, what `a` is


@dataclass(frozen=True)
class ClassFact:
    name: str
    key: str  # "<absolute path>:<ClassName>"
    torch_base: str | None  # the torch class it derives from, through user classes too
    user_bases: tuple[str, ...]  # keys of the user classes it derives from


@dataclass(frozen=True)
class ClassRef:
    """A user class named as a value in a dict display (`MODELS = {"mlp": MLP}`): a registry."""

    span: Span
    key: str


@dataclass(frozen=True)
class FileFacts:
    path: str
    result: FileResult
    source: str = ""  # the analyzed text (a notebook's code cells joined as one program)
    calls: tuple[CallFact, ...] = ()
    classes: tuple[ClassFact, ...] = ()  # in source order
    class_refs: tuple[ClassRef, ...] = ()


# ---------------------------------------------------------------------- one file


def facts_for_source(source: str, path: str, module_info: ModuleInfo | None = None) -> FileFacts:
    """One file's facts. Raises libcst.ParserSyntaxError when it does not parse."""
    info = module_info or ModuleInfo()
    parsable, _ = rewrite_async_keywords(source)
    module = parse_module(parsable)
    declarer = Declarer(info.name, info.is_package, path)
    module_scope = declarer.declare(module)
    evaluator = Evaluator(declarer, info.repo)
    recorder = _Recorder(str(Path(path).resolve()), declarer)
    walker = TreeWalker(evaluator, declarer.scopes, {cst.Call: [lambda n: recorder.call(walker, n)],
                                                 cst.Dict: [lambda n: recorder.dict(walker, n)]})
    locator = _Locator(module, parsable, walker.parents)
    walker.scope = module_scope
    walker.lazy_annotations = _future_annotations(module)
    walker.in_scope(module_scope, lambda: walker.walk(module))
    nodes = [u.node for u in walker.uses] + [c[0] for c in recorder.calls] + [r[0] for r in recorder.refs]
    spans = locator.spans(nodes)
    result = FileResult(path=path, annotations=_annotations(walker.uses, spans))
    calls = tuple(CallFact(spans[n], callee, receiver) for n, callee, receiver in recorder.calls)
    refs = tuple(ClassRef(spans[n], key) for n, key in recorder.refs)
    return FileFacts(path, result, source, calls, recorder.class_facts(module, evaluator), refs)


class _Recorder:
    """Collects, during the walk, what each call's callee and receiver evaluate to."""

    def __init__(self, path: str, declarer: Declarer) -> None:
        self.path = path
        self.local = {key: f"{path}:{info.name}" for key, info in declarer.classes.items()}
        self.declarer = declarer
        self.calls: list[tuple[cst.CSTNode, ValueFact | None, ValueFact | None]] = []
        self.refs: list[tuple[cst.CSTNode, str]] = []

    def call(self, walker: Walker, node: cst.CSTNode) -> None:
        assert isinstance(node, cst.Call)
        receiver = walker.value(node.func.value) if isinstance(node.func, cst.Attribute) else None
        self.calls.append((node, self.fact(walker.value(node.func)), self.fact(receiver)))

    def dict(self, walker: Walker, node: cst.CSTNode) -> None:
        assert isinstance(node, cst.Dict)
        for element in node.elements:
            if isinstance(element, cst.DictElement) and isinstance(element.value, (cst.Name, cst.Attribute)):
                found = self.fact(walker.value(element.value))
                if found is not None and found.kind == "class" and found.user_class:
                    self.refs.append((element.value, found.user_class))

    def fact(self, value: Value | None) -> ValueFact | None:
        if value is None:
            return None
        return ValueFact(value.kind.value, value.qualname, value.evidence, self.key(value))

    def key(self, value: Value) -> str | None:
        if value.user_class is None or value.kind not in (Kind.OBJ, Kind.CLASS):
            return None
        return self.local.get(value.user_class, value.user_class)

    def class_facts(self, module: cst.Module, evaluator: Evaluator) -> tuple[ClassFact, ...]:
        by_node = {info.node: key for key, info in self.declarer.classes.items() if isinstance(info, ClassInfo)}
        found = []
        for node in _class_defs(module):
            key = by_node.get(node)
            if key is None:
                continue
            bases = tuple(self.local.get(b, b) for b in evaluator.user_bases(key))
            found.append(ClassFact(node.name.value, self.local[key], evaluator.torch_base(key), bases))
        return tuple(found)


def _class_defs(module: cst.Module) -> list[cst.ClassDef]:
    """Every class statement, in source order (nested ones too)."""
    found: list[cst.ClassDef] = []

    class Visitor(cst.CSTVisitor):
        def visit_ClassDef(self, node: cst.ClassDef) -> None:
            found.append(node)

    module.visit(Visitor())
    return found


# ---------------------------------------------------------------------- many files


def facts_for_paths(paths: Iterable[str | os.PathLike[str]], *, jobs: int | None = None,
                    progress: Callable[[int, int], None] | None = None) -> list[FileFacts]:
    """Facts for every Python file and notebook under `paths` (a file that cannot be read or
    parsed gets a `result.error`, never an exception); `progress(done, total)` after each file."""
    roots = [Path(p) for p in paths]
    found = files.discover(roots)
    index = RepoIndex.for_paths(roots)
    tasks = [(str(p), index.module_info(p)) for p in found]
    workers = min(jobs or os.cpu_count() or 1, len(tasks))
    if workers <= 1 or len(tasks) < 4:
        return _told(len(tasks), (file_facts(p, replace(i, repo=index)) for p, i in tasks), progress)
    with ProcessPoolExecutor(max_workers=workers, initializer=_init_worker, initargs=(index,)) as pool:
        pooled = pool.map(_work, [(p, replace(i, repo=None)) for p, i in tasks], chunksize=4)
        return _told(len(tasks), pooled, progress)


def _told(total: int, found: Iterable[FileFacts], progress: Callable[[int, int], None] | None) -> list[FileFacts]:
    kept = []
    for fact in found:
        kept.append(fact)
        if progress is not None:
            progress(len(kept), total)
    return kept


_INDEX: RepoIndex | None = None


def _init_worker(index: RepoIndex) -> None:
    global _INDEX
    _INDEX = index


def _work(task: tuple[str, ModuleInfo]) -> FileFacts:
    return file_facts(task[0], replace(task[1], repo=_INDEX))


def file_facts(path: str, info: ModuleInfo) -> FileFacts:
    """One file on disk, start to end; never raises for bad input."""
    cells = None
    try:
        if path.endswith(".ipynb"):
            from readkit.notebook import load_notebook

            notebook = load_notebook(path)
            source, cells = notebook.source, tuple(notebook.cells)
        else:
            source = files.read_source(Path(path))
    except files.SourceError as error:
        return FileFacts(path, FileResult(path=path, error=error.error))
    except Exception as error:  # nbformat's errors are many; each becomes a clear per-file error
        return FileFacts(path, FileResult(path=path, error=FileError("unreadable", f"not a readable notebook: {error}")))
    found = _facts_or_error(source, path, info)
    return replace(found, result=replace(found.result, cells=cells)) if cells is not None else found


def _facts_or_error(source: str, path: str, info: ModuleInfo) -> FileFacts:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return facts_for_source(source, path, info)
    except cst.ParserSyntaxError as error:
        problem = files.quick_syntax_check(source) or files.parse_error(source, error)
        return FileFacts(path, FileResult(path=path, error=problem), source)
    except RecursionError:
        return FileFacts(path, FileResult(path=path, error=FileError("syntax", "too deeply nested to analyze")), source)
    except Exception as error:  # a bug in readkit must not cost the other files their results
        message = f"readkit could not analyze this file ({type(error).__name__}: {error}); please report it"
        return FileFacts(path, FileResult(path=path, error=FileError("internal", message)), source)
