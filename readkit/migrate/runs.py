"""The script runs of one migration: the untouched copy, the migrated copy, and their order.

`--run SCRIPT` must run before migrating (its observations decide fixes), so the
migrated run waits for it. With `--verify` alone the migrated text does not
depend on any run, so the original and the migrated script run at the same
time, each in its own child process: the wall time of one run, not two.
"""

from __future__ import annotations

from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from pathlib import Path
from types import TracebackType

from readkit.check.model import CheckResult, LineObservation
from readkit.migrate import verify
from readkit.migrate.model import RunOutcome, Verification

Texts = Mapping[Path, tuple[str, str]]  # resolved original path -> (migrated text, encoding)


class ScriptRuns:
    def __init__(self, root: Path, args: tuple[str, ...], timeout: float) -> None:
        self.root, self.args, self.timeout = root, args, timeout
        self.cwd = Path.cwd().resolve()
        self._stack = ExitStack()
        self._original_copy: Path | None = None
        self._results: dict[Path, CheckResult] = {}

    def __enter__(self) -> ScriptRuns:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        self._stack.close()  # the scratch copies go

    def original(self, script: Path) -> CheckResult:
        """The script's run on the untouched copy (each script runs once)."""
        if script not in self._results:
            copy = self._copy_of_original()
            self._results[script] = verify.run_in(copy, self.root, script, self.args, self.cwd, self.timeout)
        return self._results[script]

    def original_outcome(self, script: Path) -> RunOutcome:
        return verify.outcome(self.original(script), self._copy_of_original(), self.root, script)

    def observations(self, script: Path) -> dict[Path, dict[int, LineObservation]]:
        """What the run saw, keyed by the user's file (resolved) and line."""
        copy = self._copy_of_original()
        found: dict[Path, dict[int, LineObservation]] = {}
        for seen in self.original(script).lines:
            path = Path(seen.path).resolve()
            if path.is_relative_to(copy):
                path = self.root / path.relative_to(copy)
            found.setdefault(path, {})[seen.line] = seen
        return found

    def verify(self, script: Path, texts: Texts) -> Verification:
        """Run the script on a migrated copy and compare with the original run."""
        shown = verify.shown(str(script))
        if not texts:
            return verify.compare(shown, self.args, self.original_outcome(script), None)
        copy = self._stack.enter_context(verify.scratch_copy(self.root))
        verify.overlay(copy, self.root, texts)
        with ThreadPoolExecutor(max_workers=2) as pool:
            before = pool.submit(self.original, script)  # already done when --run ran it
            after = pool.submit(verify.run_in, copy, self.root, script, self.args, self.cwd, self.timeout)
            before.result()
            migrated = verify.outcome(after.result(), copy, self.root, script)
        return verify.compare(shown, self.args, self.original_outcome(script), migrated)

    def _copy_of_original(self) -> Path:
        if self._original_copy is None:
            self._original_copy = self._stack.enter_context(verify.scratch_copy(self.root))
        return self._original_copy
