"""`readkit check`: run a target in a child process under instrumentation.

    check_target("train.py") -> CheckResult

The target never runs in readkit's own process: readkit.check.runner spawns
`python -m readkit.check.bootstrap` in its own session with resource limits and
a timeout; readkit.check.instrument observes inside it; readkit.check.checks
judge the workflow; readkit.check.reconcile confirms or refutes the annotator.
This runs the code it is given: treat it like running it yourself.
"""

from __future__ import annotations

from pathlib import Path
from typing import Sequence

from readkit.check.model import CheckResult
from readkit.check.target import TargetError

__all__ = ["check_target", "CheckResult", "TargetError"]


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
