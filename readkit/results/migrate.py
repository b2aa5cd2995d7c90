"""Results of `readkit migrate`: frozen dataclasses, the only shapes that leave the migrator.

readkit/render/migrate.py turns these into text; nothing else formats them.
Lines are 1-based, as in the source the user gave.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from readkit.results.annotate import FileError, Suppressed
from readkit.results.check import TargetFailure


# Verdicts of a verification, worst first (render/migrate.py explains each).
VERDICTS = ("regression", "still-fails", "fixed", "agrees")


@dataclass(frozen=True)
class Change:
    """One rewritten span."""

    line: int
    idiom: str  # legacy rule id (docs/rules/), e.g. "data-index-zero"
    before: str
    after: str


@dataclass(frozen=True)
class Note:
    """A legacy finding left unchanged, and why (e.g. softmax dim needs a run)."""

    line: int
    idiom: str
    note: str


@dataclass(frozen=True)
class FileMigration:
    """One file: what changes, what was left and why, or why it could not be read."""

    path: str  # as given or found by the walker
    diff: str = ""  # unified diff original -> migrated; "" when nothing changes
    changes: tuple[Change, ...] = ()
    notes: tuple[Note, ...] = ()
    error: FileError | None = None  # why it could not be read, parsed, migrated or written
    written: str | None = None  # where the migrated file was written (--write or --out)
    write_note: str | None = None  # what the write could not keep ("its owner could not be kept (setuid bit dropped)")
    encoding: str = "utf-8"  # the file's encoding, in which its diff's lines are printed
    cells: tuple[tuple[int, int], ...] | None = None  # notebooks: program line -> (cell, line in cell)
    suppressed: tuple[Suppressed, ...] = ()  # findings left as written by `# readkit: ignore[...]` comments
    # changed although such a comment covers them, and why (`async=`: the file would not parse as written)
    overridden: tuple[Note, ...] = ()

    @property
    def changed(self) -> bool:
        return bool(self.diff)


@dataclass(frozen=True)
class RunOutcome:
    """How one run of the verification script ended."""

    status: str  # a readkit.results.check.STATUSES value
    exit_code: int | None
    failure: TargetFailure | None
    losses: tuple[float, ...]
    seconds: float
    output: str = ""  # tail of the script's stdout+stderr
    cuda: bool = False  # tensors were seen on a CUDA device (losses then drift run to run)
    # a migrated run's failure in a migrated file: the text of the failing line in the migrated copy
    # (the failure's line number is the user's own line that this one stands for)
    failure_source: str = ""

    @property
    def ok(self) -> bool:
        return self.status == "ok"


@dataclass(frozen=True)
class Verification:
    """The script run before and after migration, and what the comparison says."""

    script: str
    args: tuple[str, ...]
    original: RunOutcome
    migrated: RunOutcome | None  # None when nothing changed, so nothing was rerun
    verdict: str  # one of VERDICTS
    message: str  # one line: why this verdict
    losses_compared: int = 0
    max_relative_difference: float | None = None

    @property
    def regression(self) -> bool:
        return self.verdict == "regression"


@dataclass(frozen=True)
class MigrationResult:
    files: tuple[FileMigration, ...] = ()
    verification: Verification | None = None
    write_refused: bool = False  # --write/--out was asked for but a regression blocked it
    observed_run: RunOutcome | None = None  # the --run script's run, whose observations informed the fixes
    # the --run script run again on the partly migrated code, when the original stopped early
    observed_rerun: RunOutcome | None = None
    writes: bool = False  # --write or --out was asked for: each file is reported written, unchanged or failed
    # temporary files of an earlier readkit run killed while writing (SIGKILL), removed by this one
    stale_temps_removed: tuple[str, ...] = ()

    @property
    def suppressed(self) -> tuple[tuple[str, Suppressed], ...]:
        """(path, what was silenced) for every file."""
        return tuple((f.path, item) for f in self.files for item in f.suppressed)

    @property
    def changed_files(self) -> tuple[FileMigration, ...]:
        return tuple(f for f in self.files if f.changed)

    @property
    def failed_files(self) -> tuple[FileMigration, ...]:
        return tuple(f for f in self.files if f.error is not None)

    @property
    def exit_code(self) -> int:
        """0 nothing to change, 1 changes proposed or made, 2 errors (a file that could not be read,
        parsed or written, a folder that could not be walked, a regression)."""
        if self.failed_files or (self.verification is not None and self.verification.regression):
            return 2
        return 1 if self.changed_files else 0


# ----------------------------------------------------------------------------
# One-line descriptions, shared by the verdict messages (readkit.migrate) and the renderer


def describe_run(run: RunOutcome) -> str:
    """`IndexError at main.py:55`, `ok (40 losses)`, `timeout after 600 s`; a migrated run's
    failure in a migrated file: ``TypeError at main.py:48 (migrated: `x = f(a, dim=1)`)``."""
    if run.ok:
        return f"ok ({count_losses(len(run.losses))})"
    failure = run.failure
    if failure is None:
        return f"{run.status} (exit code {run.exit_code})"
    what = failure.message.split(":", 1)[0] if failure.kind == "exception" else failure.message
    where = f" at {display_path(failure.path)}:{failure.line}" if failure.path and failure.line else ""
    migrated = f" (migrated: `{run.failure_source}`)" if run.failure_source else ""
    return f"{what}{where}{migrated}"


def count_losses(count: int) -> str:
    return "1 loss" if count == 1 else f"{count} losses"


def display_path(path: str) -> str:
    """A path relative to the working directory when it lies below it."""
    relative = os.path.relpath(path)
    return path if relative.startswith("..") else relative
