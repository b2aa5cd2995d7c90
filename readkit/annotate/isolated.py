"""Per-file work in worker processes, where a crashed worker costs one file, not the run
(for `migrate`; `annotate`'s streaming pool, pool.py, uses `alone` for its suspects; small
runs of both, and the language server, use `one_by_one`).

A worker that dies (a segfault in a C extension, the out-of-memory killer) breaks a
`ProcessPoolExecutor`: every unfinished task then fails with BrokenProcessPool.
`map_isolated` keeps what finished, runs each task that was in flight again in a process
of its own (the one that dies again is the culprit, and becomes `crashed(task, why)`),
and runs the rest in a fresh pool. Each worker notes the task it is working on in a
file of its own (named by its pid), which is how the tasks in flight are known.

`one_by_one` is for runs too small for a pool (one file, `--jobs 1`): the tasks run in
order in a single child forked from this process, so it starts with everything this
process imported (libcst, the rules) in a few milliseconds, where a spawned one would
import them again (~0.3 s); results stream back through a pipe. The task the child was
on when it died is known without a retry (it is the one after the last result), and a
new child goes on with the rest.

Left out: retries of a task that failed by raising (the work function reports its own
errors; an exception here is a bug and propagates).
"""

from __future__ import annotations

import multiprocessing
import os
import pickle
import shutil
import signal
import tempfile
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any, TypeVar

T = TypeVar("T")
R = TypeVar("R")
Init = Callable[..., object] | None


def map_isolated(work: Callable[[T], R], tasks: Sequence[T], *, workers: int, crashed: Callable[[T, str], R],
                 initializer: Init = None, initargs: tuple[Any, ...] = ()) -> list[R]:
    """`[work(t) for t in tasks]` in `workers` processes; a task whose process dies gives `crashed(task, why)`."""
    results: dict[int, R] = {}
    marks = Path(tempfile.mkdtemp(prefix="readkit-workers-"))
    try:
        while len(results) < len(tasks):
            left = [i for i in range(len(tasks)) if i not in results]
            for i in _pool_round(work, tasks, left, results, workers, marks, (initializer, initargs)):
                results[i] = alone(work, tasks[i], crashed, initializer, initargs)
    finally:
        shutil.rmtree(marks, ignore_errors=True)
    return [results[i] for i in range(len(tasks))]


def _pool_round(work: Callable[[T], R], tasks: Sequence[T], left: list[int], results: dict[int, R], workers: int,
                marks: Path, init: tuple[Init, tuple[Any, ...]]) -> list[int]:
    """Run `left` in a pool, filling `results`; when a worker died, the tasks that were in flight."""
    for old in marks.iterdir():
        old.unlink()
    broken = False
    with ProcessPoolExecutor(max_workers=min(workers, len(left)), initializer=_init_worker,
                             initargs=(marks, *init)) as pool:
        futures = [(i, pool.submit(_tracked, work, i, tasks[i])) for i in left]
        for i, future in futures:
            try:
                results[i] = future.result()
            except BrokenProcessPool:
                broken = True
    if not broken:
        return []
    unfinished = [i for i in left if i not in results]
    in_flight = sorted(set(_in_flight(marks)) & set(unfinished))
    return in_flight or unfinished[:1]  # a worker that died outside any task: try the next task alone


# ---------------------------------------------------------------------- in the workers

_MARKS: Path | None = None


def _init_worker(marks: Path, initializer: Init, initargs: tuple[Any, ...]) -> None:
    global _MARKS
    _MARKS = marks
    if initializer is not None:
        initializer(*initargs)


def _tracked(work: Callable[[T], R], index: int, task: T) -> R:
    _mark(str(index))
    result = work(task)
    _mark("")
    return result


def _mark(text: str) -> None:
    assert _MARKS is not None
    (_MARKS / str(os.getpid())).write_text(text)


def _in_flight(marks: Path) -> list[int]:
    found = []
    for mark in marks.iterdir():
        text = mark.read_text()
        if text.isdigit():
            found.append(int(text))
    return found


# ---------------------------------------------------------------------- one task alone


def alone(work: Callable[[T], R], task: T, crashed: Callable[[T, str], R], initializer: Init = None,
          initargs: tuple[Any, ...] = ()) -> R:
    """`work(task)` in a process of its own; `crashed(task, why)` when that process dies."""
    context = multiprocessing.get_context()
    receive, send = context.Pipe(duplex=False)
    process = context.Process(target=_run_alone, args=(send, work, task, initializer, initargs))
    process.start()
    send.close()
    try:
        result: R = receive.recv()
    except EOFError:
        process.join()
        return crashed(task, _death(process.exitcode))
    finally:
        receive.close()
    process.join()
    return result


def _run_alone(send: Connection, work: Callable[[T], R], task: T, initializer: Init,
               initargs: tuple[Any, ...]) -> None:
    if initializer is not None:
        initializer(*initargs)
    send.send(work(task))
    send.close()


def _death(exitcode: int | None) -> str:
    """How a process ended, as "signal 11, SIGSEGV" or "exit status 1"."""
    if exitcode is not None and exitcode < 0:
        try:
            return f"signal {-exitcode}, {signal.Signals(-exitcode).name}"
        except ValueError:
            return f"signal {-exitcode}"
    return f"exit status {exitcode}"


# ---------------------------------------------------------------------- in order, in one forked child


def one_by_one(work: Callable[[T], R], tasks: Sequence[T], crashed: Callable[[T, str], R]) -> Iterator[tuple[int, R]]:
    """`(i, work(tasks[i]))` in order, from a forked child; a task whose child dies gives `crashed(task, why)`.

    `work` reports its own errors (an exception in it ends the child: `crashed(task, "exit status 1")`).
    Where there is no fork (Windows), the tasks run in this process, as before."""
    if not hasattr(os, "fork"):
        yield from ((i, work(task)) for i, task in enumerate(tasks))
        return
    start = 0
    while start < len(tasks):
        child = _Child(work, tasks, start)
        try:
            for i, result in child.results():
                yield i, result
                start = i + 1
        finally:
            why = child.end()
        if start < len(tasks) and why is not None:  # died on tasks[start]; a new child goes on after it
            yield start, crashed(tasks[start], why)
            start += 1


class _Child:
    """A forked process that runs tasks[start:] in order and pickles `(i, result)` to a pipe after each."""

    def __init__(self, work: Callable[[T], R], tasks: Sequence[T], start: int) -> None:
        read, write = os.pipe()
        self.pid = os.fork()
        if self.pid == 0:  # the child: never returns
            os.close(read)
            _serve(work, tasks, start, write)
        os.close(write)
        self.pipe = os.fdopen(read, "rb")
        self.read_all = False

    def results(self) -> Iterator[tuple[int, Any]]:
        while True:
            try:
                yield pickle.load(self.pipe)
            except (EOFError, pickle.UnpicklingError):  # done, or died (mid-result, perhaps)
                self.read_all = True
                return

    def end(self) -> str | None:
        """Wait for the child; how it died, or None when it exited 0 or the reader stopped early
        (an exception here, a consumer that stopped: the child is killed, nothing is reported)."""
        self.pipe.close()
        if not self.read_all:
            os.kill(self.pid, signal.SIGKILL)
        _, status = os.waitpid(self.pid, 0)
        code = os.waitstatus_to_exitcode(status)
        return _death(code) if code != 0 and self.read_all else None


def _serve(work: Callable[[T], R], tasks: Sequence[T], start: int, write: int) -> None:
    """In the child: run the tasks, send each result, and leave without running the parent's exit
    handlers or flushing its buffers (os._exit: the parent's unwritten output is the parent's)."""
    code = 1
    try:
        with os.fdopen(write, "wb") as pipe:
            for i in range(start, len(tasks)):
                pickle.dump((i, work(tasks[i])), pipe, protocol=pickle.HIGHEST_PROTOCOL)
                pipe.flush()
        code = 0
    finally:
        os._exit(code)
