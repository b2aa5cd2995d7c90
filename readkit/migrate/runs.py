"""The script runs of one migration: the untouched copy, the migrated copy, and their order.

`--run SCRIPT` must run before migrating (its observations decide fixes), so the
migrated run waits for it. With `--verify` alone its run of the original is the
facts too, but the migration without facts usually comes out the same: its run
starts at the same time as the original's (`start`), each in its own child
process, and serves the verification when the facts change no text: the wall
time of one run, not two (except on a machine with a GPU, where two runs at once
could run out of device memory, so they queue).
"""

from __future__ import annotations

import os
import signal
from collections.abc import Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import ExitStack
from dataclasses import replace
from pathlib import Path
from types import TracebackType

from readkit.check.facts import line_facts
from readkit.migrate import lines, scratch, verify
from readkit.results.check import CheckResult, LineObservation
from readkit.results.migrate import RunOutcome, Verification, display_path

Texts = Mapping[Path, tuple[str, str]]  # resolved original path -> (migrated text, encoding)
Observed = dict[Path, dict[int, LineObservation]]  # resolved original path -> line -> what ran there


class ScriptRuns:
    def __init__(self, root: Path, args: tuple[str, ...], timeout: float) -> None:
        self.root, self.args, self.timeout = root, args, timeout
        self.cwd = Path.cwd().resolve()
        self._stack = ExitStack()
        self.parallel = not _has_gpu()
        self._pool = ThreadPoolExecutor(max_workers=2 if self.parallel else 1)
        self._original_copy: Path | None = None
        self._results: dict[Path, Future[CheckResult]] = {}
        self._migrated: dict[tuple[Path, frozenset[tuple[Path, str]]], tuple[Future[CheckResult], Path]] = {}

    def __enter__(self) -> ScriptRuns:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        if isinstance(error, KeyboardInterrupt):
            _end_child_process_groups()
        self._pool.shutdown(wait=True, cancel_futures=True)  # a run no longer needed ends before its copy goes
        self._stack.close()  # the scratch copies go

    def start(self, script: Path, texts: Texts) -> None:
        """Start the original's run and (where two runs fit side by side) the run of a copy with
        `texts`, without waiting for either."""
        self._original_future(script)
        if texts and self.parallel:
            self._migrated_future(script, texts)

    def original(self, script: Path) -> CheckResult:
        """The script's run on the untouched copy (each script runs once)."""
        return _wait(self._original_future(script))

    def original_outcome(self, script: Path) -> RunOutcome:
        return scratch.outcome(self.original(script), self._copy_of_original(), self.root, script)

    def observations(self, script: Path) -> Observed:
        """What the original run saw (and the line it stopped on), keyed by the user's file (resolved) and line."""
        return _by_user_file(self.original(script), self._copy_of_original(), self.root)

    def observations_after(self, script: Path, texts: Texts) -> tuple[Observed, RunOutcome]:
        """What a run of the migrated-so-far project saw, in the *original* files' line numbers.

        An original that fails early (`loss.data[0]` at the first step) observes
        almost nothing; its partly migrated version gets further and shows the
        ranks and shapes the remaining fixes need."""
        result, copy = self.migrated(script, texts)
        seen = {path: _to_original_lines(lines_seen, texts[path], path) if path in texts else lines_seen
                for path, lines_seen in _by_user_file(result, copy, self.root).items()}
        return seen, scratch.outcome(result, copy, self.root, script)

    def verify(self, script: Path, texts: Texts) -> Verification:
        """Run the script on a migrated copy and compare with the original run.

        A failure of the migrated script is placed on the user's own line (the migrated
        line's number mapped back through the diff) with the migrated line's text."""
        shown = display_path(str(script))
        if not texts:
            return verify.compare(shown, self.args, self.original_outcome(script), None)
        self.start(script, texts)  # already started or done when --run or start() ran them
        migrated = lines.on_original_lines(scratch.outcome(*self.migrated(script, texts), self.root, script), texts)
        return verify.compare(shown, self.args, self.original_outcome(script), migrated)

    def migrated(self, script: Path, texts: Texts) -> tuple[CheckResult, Path]:
        """The script's run on a copy with `texts` in place, and that copy (each version runs once)."""
        future, copy = self._migrated_future(script, texts)
        return _wait(future), copy

    def _original_future(self, script: Path) -> Future[CheckResult]:
        if script not in self._results:
            copy = self._copy_of_original()
            self._results[script] = self._pool.submit(scratch.run_in, copy, self.root, script, self.args, self.cwd,
                                                      self.timeout)
        return self._results[script]

    def _migrated_future(self, script: Path, texts: Texts) -> tuple[Future[CheckResult], Path]:
        key = (script, frozenset((path, text) for path, (text, _) in texts.items()))
        if key not in self._migrated:
            copy = self._stack.enter_context(scratch.scratch_copy(self.root))
            scratch.overlay(copy, self.root, texts)
            future = self._pool.submit(scratch.run_in, copy, self.root, script, self.args, self.cwd, self.timeout)
            self._migrated[key] = (future, copy)
        return self._migrated[key]

    def _copy_of_original(self) -> Path:
        if self._original_copy is None:
            self._original_copy = self._stack.enter_context(scratch.scratch_copy(self.root))
        return self._original_copy


def _wait(future: Future[CheckResult]) -> CheckResult:
    try:
        return future.result()
    except KeyboardInterrupt:  # Ctrl-C reaches this thread only: end the runs the workers wait on
        _end_child_process_groups()
        raise


def _end_child_process_groups() -> None:
    """SIGTERM to the process group of each child of this process (each checker run leads one)."""
    for pid in _child_pids():
        try:
            os.killpg(pid, signal.SIGTERM)
        except (ProcessLookupError, PermissionError):
            pass


def _child_pids() -> list[int]:
    """Direct children, from /proc (Linux); elsewhere none are found and the runs end at their timeout."""
    me, found = str(os.getpid()), []
    for entry in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = entry.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if fields[1] == me:  # fields: state, ppid, ...
            found.append(int(entry.parent.name))
    return found


def _has_gpu() -> bool:
    """Two training runs at once could exhaust a GPU's memory and fail for that alone: with a GPU
    device present the runs go one after the other (checked by device node, without importing torch)."""
    return any(Path(node).exists() for node in ("/dev/nvidiactl", "/dev/kfd"))


def _by_user_file(result: CheckResult, copy: Path, root: Path) -> Observed:
    """The run's facts (check.facts: every line's observation, and the exception on the line
    it stopped on) with the copy's paths mapped to the user's tree."""
    found: Observed = {}
    for path, seen in line_facts(result).items():
        found[root / path.relative_to(copy) if path.is_relative_to(copy) else path] = seen
    return found


def _to_original_lines(seen: dict[int, LineObservation], migrated: tuple[str, str],
                       original: Path) -> dict[int, LineObservation]:
    """Observations on lines of a migrated file, moved to the original's line numbers.

    Lines the migration kept, or rewrote one for one, map; lines it added do not."""
    to_original = lines.exact_original_lines(lines.original_text(original, migrated[1]), migrated[0])
    return {to_original[line]: replace(obs, line=to_original[line]) for line, obs in seen.items() if line in to_original}
