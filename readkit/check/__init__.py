"""`readkit check`: run a target in a child process under instrumentation.

    check_target("train.py") -> CheckResult

The target never runs in readkit's own process: readkit.check.runner spawns
`python -m readkit.check.bootstrap` in its own session with resource limits and
a timeout; readkit.check.instrument observes inside it; readkit.check.checks
judge the workflow; readkit.check.reconcile confirms or refutes the annotator.
This runs the code it is given: treat it like running it yourself.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Sequence

from readkit.results.check import CheckResult
from readkit.check.target import TargetError

if TYPE_CHECKING:
    from readkit.results.annotate import AnnotateResult

__all__ = ["check_target", "annotate_run_files", "CheckResult", "TargetError"]


def check_target(target: str | Path | None, *, module: str | None = None, args: Sequence[str] = (),
                 cwd: str | Path | None = None, timeout: float = 600.0, max_memory_mb: int | None = None,
                 quiet: bool = False, no_network: bool = False, reconcile: bool = True,
                 output_to_stderr: bool = False) -> CheckResult:
    """Run a script, `-m module` or notebook under instrumentation and report what ran.

    `output_to_stderr` sends the target's stdout to readkit's stderr (for JSON on stdout).
    Raises TargetError for bad usage (no such script, both or neither of target/module,
    --no-network where the machine cannot provide it).
    """
    from readkit.check.session import run_session

    if reconcile:
        from readkit.check.reconcile import warm_up

        warm_up()
    return run_session(target, module=module, args=tuple(args), cwd=cwd, timeout=timeout,
                       max_memory_mb=max_memory_mb, quiet=quiet, no_network=no_network,
                       reconcile=reconcile, output_to_stderr=output_to_stderr)


def annotate_run_files(result: CheckResult) -> AnnotateResult:
    """Annotate the files a run reports on (the target first), one result per file however the
    run spelled its path: what the HTML report of a check shows."""
    from readkit.annotate import annotate_paths
    from readkit.results.annotate import AnnotateResult

    by_file: dict[str, str] = {}
    for path in (result.target, *result.files_named()):
        by_file.setdefault(path if path.startswith("<") else os.path.realpath(path), path)
    paths = [Path(p) for p in by_file.values() if Path(p).is_file()]
    return annotate_paths(paths) if paths else AnnotateResult()
