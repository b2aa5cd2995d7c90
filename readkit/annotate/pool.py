"""Where per-file analyses run: a local process pool, or an existing Dask cluster.

Each task is one file (`FileTask`, small and picklable); each outcome is the file's result
and the facts of the repository its analysis used (repo.py), which the cache keeps. Both
runners yield `(task index, outcome)` as analyses complete; api.py puts them back in order.

A worker that dies (a segmentation fault in a parser, the OOM killer) costs one file, not
the run: the local runner starts a new pool and retries the files that were in flight one
at a time, and the one that kills its worker again is reported as crashed. A run too small
for a pool runs its files one by one in a single forked child (isolated.one_by_one): the
file it dies on is reported as crashed and a new child goes on with the rest.
"""

from __future__ import annotations

import ctypes
import functools
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from pathlib import Path

from readkit.annotate import isolated
from readkit.annotate.repo_types import ModuleInfo
from readkit.annotate.repo import Fact, RepoIndex
from readkit.results.annotate import FileError, FileResult
from readkit.results.check import LineObservation

Outcome = tuple[FileResult, tuple[Fact, ...]]
Analyze = Callable[[str, ModuleInfo, "dict[int, LineObservation] | None"], FileResult]



@dataclass(frozen=True)
class FileTask:
    path: str
    module: str  # dotted module name in its repository
    is_package: bool
    roots: tuple[str, ...]  # the analyzed roots, which decide the repository index
    observations: dict[int, LineObservation] | None = None


# ---------------------------------------------------------------------- in the worker

_INDEXES: dict[tuple[str, ...], RepoIndex] = {}  # one per set of roots, per worker process


def run_task(analyze: Analyze, task: FileTask) -> Outcome:
    """Analyze one file, collecting the repository facts the analysis used."""
    index = _INDEXES.get(task.roots)
    if index is None:
        index = _INDEXES[task.roots] = RepoIndex(tuple(Path(r) for r in task.roots))
    with index.record() as facts:
        result = analyze(task.path, ModuleInfo(task.module, task.is_package, index), task.observations)
    if len(result.source or "") > _TRIM_AFTER:
        _release_freed_memory()
    return result, tuple(sorted(facts, key=lambda f: (f[0], f[1], f[2] or "")))


_TRIM_AFTER = 100_000  # characters of source: a file parsed in pieces (annotate/parse) leaves tens of MB freed


@functools.cache
def _malloc_trim() -> Callable[[int], int] | None:
    """glibc's malloc_trim, or None (another C library, another system)."""
    try:
        return ctypes.CDLL("libc.so.6").malloc_trim
    except (OSError, AttributeError):
        return None


def _release_freed_memory() -> None:
    """Hand the memory a large file's parse and tree used back to the system (3-4 ms): glibc keeps
    freed memory in its heaps, so a worker would otherwise hold its largest file's peak for the
    rest of the run (after torch's _triton_ops_meta.py: 327 MB held, 269 MB after the trim). The
    tree itself is already collected by then; a full `gc.collect()` would only cost time
    (0.1-0.3 s in a process that has imported torch)."""
    trim = _malloc_trim()
    if trim is not None:
        trim(0)


def failed(task: FileTask, message: str) -> Outcome:
    return FileResult(task.path, error=FileError("internal", message)), ()


# ---------------------------------------------------------------------- here


def run_serial(tasks: Sequence[FileTask], analyze: Analyze) -> Iterator[tuple[int, Outcome]]:
    """In order, in one child process forked from this one (in milliseconds: see load_analyzer)."""
    if tasks:
        load_analyzer(notebooks=any(task.path.endswith(".ipynb") for task in tasks))
    return isolated.one_by_one(functools.partial(_reported, analyze), tasks, _crashed)


@functools.cache
def load_analyzer(notebooks: bool = False) -> None:
    """Import the parser and the rules (and IPython's cell reader, for notebooks) in this process,
    before it forks: each child starts with them (a child after a crash, the next run of a process
    that runs many, the language server's child per analysis), not importing them again."""
    from readkit.annotate.rules.base import all_rules

    import readkit.annotate.engine  # noqa: F401  (libcst and the analysis)

    all_rules()
    if notebooks:
        from readkit.kernel_cells import load_ipython

        load_ipython()


def _reported(analyze: Analyze, task: FileTask) -> Outcome:
    """run_task, with a bug in readkit reported as that file's failure (as the pool reports it)."""
    try:
        return run_task(analyze, task)
    except Exception as error:  # a bug in readkit must not cost the other files
        return _bug(task, error)


def _bug(task: FileTask, error: Exception) -> Outcome:
    return failed(task, f"readkit could not analyze this file ({type(error).__name__}: {error}); please report it")


def run_local(tasks: Sequence[FileTask], analyze: Analyze, workers: int) -> Iterator[tuple[int, Outcome]]:
    """In a process pool, at most a few tasks in flight per worker (results stream back)."""
    queue = deque(enumerate(tasks))
    suspects: list[tuple[int, FileTask]] = []
    while queue:
        yield from _pool_until_broken(queue, analyze, workers, suspects)
        for number, task in suspects:  # each alone: the one that breaks its pool again is the culprit
            yield number, _alone(task, analyze)
        suspects.clear()


def _pool_until_broken(queue: deque[tuple[int, FileTask]], analyze: Analyze, workers: int,
                       suspects: list[tuple[int, FileTask]]) -> Iterator[tuple[int, Outcome]]:
    with ProcessPoolExecutor(max_workers=workers) as pool:
        flight: dict[Future[Outcome], tuple[int, FileTask]] = {}
        while queue or flight:
            if not _submit_more(pool, flight, queue, analyze, workers) and not flight:
                return  # broken with none of these tasks in flight: a new pool takes the queue
            done, _ = wait(flight, return_when=FIRST_COMPLETED)
            for future in done:
                number, task = flight.pop(future)
                try:
                    yield number, future.result()
                except BrokenProcessPool:
                    suspects.append((number, task))
                except Exception as error:  # a bug in readkit must not cost the other files
                    yield number, _bug(task, error)
            if suspects:
                suspects.extend(flight.values())
                return


def _submit_more(pool: ProcessPoolExecutor, flight: dict[Future[Outcome], tuple[int, FileTask]],
                 queue: deque[tuple[int, FileTask]], analyze: Analyze, workers: int) -> bool:
    """Fill the flight up to a few tasks per worker; False when the pool broke meanwhile (a worker
    died between two submissions: the tasks in flight then fail with BrokenProcessPool)."""
    while queue and len(flight) < workers * 4:
        number, task = queue.popleft()
        try:
            flight[pool.submit(run_task, analyze, task)] = (number, task)
        except BrokenProcessPool:
            queue.appendleft((number, task))
            return False
    return True


def _alone(task: FileTask, analyze: Analyze) -> Outcome:
    """In a process of its own: the file whose process dies again is reported, with the signal."""
    return isolated.alone(functools.partial(run_task, analyze), task, _crashed)


def _crashed(task: FileTask, why: str) -> Outcome:
    return FileResult(task.path, error=FileError("crashed", f"analysis crashed ({why})")), ()


def run_dask(tasks: Sequence[FileTask], analyze: Analyze, address: str) -> Iterator[tuple[int, Outcome]]:
    """On the Dask cluster at `address` (results come back to this process, as they complete)."""
    from distributed import Client, as_completed

    with Client(address, set_as_default=False) as client:  # type: ignore[no-untyped-call]  # untyped library
        futures = {client.submit(run_task, analyze, task, pure=False): number for number, task in enumerate(tasks)}
        for future in as_completed(futures, loop=client.loop):  # type: ignore[no-untyped-call]  # untyped library
            number = futures[future]
            try:
                yield number, future.result()
            except Exception as error:  # a lost worker or a bug: this file fails, the run goes on
                yield number, failed(tasks[number], f"the analysis failed on the cluster "
                                                    f"({type(error).__name__}: {error})")
