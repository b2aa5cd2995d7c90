"""One `readkit check` run, start to finish: resolve, spawn, collect, judge, reconcile."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from readkit.check.checks import judge, workflow_status
from readkit.results.check import CheckResult, LineObservation, TargetFailure
from readkit.check.runner import ChildRun, run_child
from readkit.check.sandbox import SandboxError, no_network_prefix
from readkit.check.target import Target, TargetError, resolve


def run_session(target: str | Path | None, *, module: str | None, args: tuple[str, ...], cwd: str | Path | None,
                timeout: float, max_memory_mb: int | None, quiet: bool, no_network: bool, reconcile: bool,
                output_to_stderr: bool) -> CheckResult:
    workdir_cwd = Path(cwd).resolve() if cwd is not None else None
    if workdir_cwd is not None and not workdir_cwd.is_dir():
        raise TargetError(f"{cwd}: not a directory")
    resolved = resolve(target, module, workdir_cwd)
    prefix = _network_prefix(no_network)
    with tempfile.TemporaryDirectory(prefix="readkit-check-") as temp:
        workdir = Path(temp)
        scratch = workdir / "cwd"
        scratch.mkdir()
        run_cwd = workdir_cwd or (Path.cwd() if resolved.kind == "module" else scratch)
        spec = _spec(resolved, args, workdir, run_cwd)
        child = run_child(spec, workdir, run_cwd, timeout, max_memory_mb, quiet, prefix, output_to_stderr)
    result = build_result(resolved, child)
    if reconcile:
        from readkit.check.reconcile import reconcile_result

        result = reconcile_result(result, resolved)
    return result


def _network_prefix(no_network: bool) -> tuple[str, ...]:
    if not no_network:
        return ()
    try:
        return no_network_prefix()
    except SandboxError as error:
        raise TargetError(str(error)) from None


def _spec(target: Target, args: tuple[str, ...], workdir: Path, run_cwd: Path) -> dict[str, Any]:
    sys_path0 = str(run_cwd) if target.kind == "module" else str(target.project)
    return {"kind": target.kind, "target": target.name, "source": target.source, "args": list(args),
            "argv0": target.name, "sys_path0": sys_path0, "user_roots": [str(target.project)],
            "results": str(workdir / "results.json")}


# ----------------------------------------------------------------------------
# The child's report -> CheckResult


def build_result(target: Target, child: ChildRun) -> CheckResult:
    observed = child.observed
    project = str(target.project)
    lines = tuple(sorted((_line(entry) for entry in observed.get("lines", [])
                          if str(entry.get("path", "")).startswith(project)),
                         key=lambda o: (o.path, o.line)))
    status, failure = _status(child, observed)
    extra: dict[str, Any] = {"covered": {p: n for p, n in observed.get("covered", {}).items() if p.startswith(project)},
                             "notes": observed.get("notes", []), "fact_counts": observed.get("fact_counts", {}),
                             "torch_names": observed.get("torch_names", {})}  # for reconciliation, which drops it
    if target.cells is not None:
        extra["cells"] = {target.name: [list(c) for c in target.cells]}
    if not observed:
        extra["notes"] = ["the child wrote no observations (it ended before instrumentation started)"]
    problems, unreadable = judge(observed.get("facts", {}))
    errors = tuple(str(e) for e in observed.get("instrumentation_errors", [])) + tuple(unreadable)
    not_checked = workflow_status(observed.get("training"), problems, failure.message if failure else None)
    return CheckResult(target=target.display, status=status, exit_code=child.returncode, seconds=round(child.seconds, 3),
                       problems=problems, lines=lines, failure=failure,
                       workflow="not-checked" if not_checked else "checked", workflow_reason=not_checked,
                       losses=tuple(float(v) for v in observed.get("losses", [])), output=child.output, extra=extra,
                       instrumentation_errors=errors)


def _line(entry: dict[str, Any]) -> LineObservation:
    return LineObservation(path=entry["path"], line=int(entry["line"]), roles=tuple(sorted(entry["roles"])),
                           calls=int(entry["calls"]), shapes=tuple(entry["shapes"]), symbols=tuple(entry["symbols"]))


def _status(child: ChildRun, observed: dict[str, Any]) -> tuple[str, TargetFailure | None]:
    reported = observed.get("failure")
    if child.timed_out:
        return "timeout", TargetFailure("timeout", f"no result after {child.seconds:.1f} s: the run was stopped")
    if child.signal is not None:
        return "killed", TargetFailure("killed", _signal_text(child.signal))
    if reported:
        return "failed", TargetFailure(reported["kind"], reported["message"], reported.get("path"), reported.get("line"))
    if child.returncode not in (0, None):
        if child.returncode in (137, 143) and observed.get("exit_code") is None:
            return "killed", TargetFailure("killed", f"ended by signal {child.returncode - 128}")
        return "failed", TargetFailure("exit", f"exited with code {child.returncode}")
    return "ok", None


def _signal_text(number: int) -> str:
    import signal

    try:
        name = signal.Signals(number).name
    except ValueError:
        name = f"signal {number}"
    hint = " (out of memory?)" if name == "SIGKILL" else ""
    return f"killed by {name}{hint}"
