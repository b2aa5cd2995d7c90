"""One `readkit check` run, start to finish: resolve, spawn, collect, judge, reconcile."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from readkit.check.checks import judge, workflow_status
from readkit.results.check import BuiltModule, CheckResult, LineObservation, TargetFailure
from readkit.check.runner import OUTPUT_TAIL_BYTES, ChildRun, run_child
from readkit.check.silenced import split_silenced
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
    with tempfile.TemporaryDirectory(prefix="readkit-check-", ignore_cleanup_errors=True) as temp:
        scratch = Path(temp) / "cwd"
        scratch.mkdir()
        run_cwd = workdir_cwd or (Path.cwd() if resolved.kind == "module" else scratch)
        child = run_child(_spec(resolved, args, run_cwd), run_cwd, timeout, max_memory_mb, quiet, prefix,
                          output_to_stderr)
    result = build_result(resolved, child)
    if Path(temp).exists():
        result.extra["notes"] = [*_notes(result), f"the scratch directory {temp} could not be removed"]
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


def _spec(target: Target, args: tuple[str, ...], run_cwd: Path) -> dict[str, Any]:
    """What the child runs; run_child adds the results descriptor."""
    sys_path0 = str(run_cwd) if target.kind == "module" else str(target.project)
    return {"kind": target.kind, "target": target.name, "source": target.source, "spans": list(target.spans),
            "args": list(args),
            "argv0": target.name, "sys_path0": sys_path0, "user_roots": [str(target.project)]}


def _notes(result: CheckResult) -> list[str]:
    notes = result.extra.get("notes", [])
    return [str(note) for note in notes] if isinstance(notes, list) else []


# ----------------------------------------------------------------------------
# The child's report -> CheckResult


def build_result(target: Target, child: ChildRun) -> CheckResult:
    observed, unreadable = child.observed, child.unreadable
    unread_facts: list[str] = []
    try:
        problems, unread_facts = judge(observed.get("facts", {}))
    except (KeyError, TypeError, ValueError, AttributeError, IndexError) as error:  # facts shaped by the target
        unreadable = f"a workflow fact is malformed ({type(error).__name__}: {error})"
    if unreadable is not None:
        observed, problems, unread_facts = {}, (), []
    project = str(target.project)
    lines = tuple(sorted((_line(entry) for entry in observed.get("lines", [])
                          if str(entry.get("path", "")).startswith(project)),
                         key=lambda o: (o.path, o.line)))
    status, failure = _status(child, observed)
    if unreadable is not None:
        status, failure = "failed", TargetFailure("results", f"the run's results could not be read: {unreadable}")
    problems, suppressed = split_silenced(problems)
    errors = tuple(str(e) for e in observed.get("instrumentation_errors", []) or []) + tuple(unread_facts)
    not_checked = workflow_status(observed.get("training"), problems + suppressed,
                                  failure.message if failure else None)
    return CheckResult(target=target.display, status=status, exit_code=child.returncode, seconds=round(child.seconds, 3),
                       problems=problems, lines=lines, failure=failure,
                       losses=tuple(float(v) for v in observed.get("losses", [])), output=child.output,
                       extra=_extra(target, child, observed, unreadable), suppressed=suppressed,
                       instrumentation_errors=errors, workflow="not-checked" if not_checked else "checked",
                       workflow_reason=not_checked,
                       modules=tuple(_module(e) for e in observed.get("modules", []) if e["class_path"].startswith(project)))


def _extra(target: Target, child: ChildRun, observed: dict[str, Any], unreadable: str | None) -> dict[str, Any]:
    project = str(target.project)
    extra: dict[str, Any] = {"covered": {p: n for p, n in observed.get("covered", {}).items() if p.startswith(project)},
                             "notes": observed.get("notes", []), "fact_counts": observed.get("fact_counts", {}),
                             "output_left_out": child.output_left_out,
                             "torch_names": observed.get("torch_names", {})}  # for reconciliation, which drops it
    if target.cells is not None:
        extra["cells"] = {target.name: [list(c) for c in target.cells]}
        extra["sources"] = {target.name: list(target.originals)}
        extra["notes"] = [*extra["notes"], *_ipython_notes(target)]
    if unreadable is not None:
        extra["notes"] = [f"the target's own run ended as: {_ending(child)}"]
    elif not observed:
        extra["notes"] = ["the child wrote no observations (it ended before instrumentation started)"]
    if child.output_left_out:
        extra["notes"] = [*extra["notes"], f"--quiet kept the last {OUTPUT_TAIL_BYTES} bytes of the target's "
                                           f"output: {child.output_left_out} bytes were left out"]
    return extra


def _ending(child: ChildRun) -> str:
    """The child's end from its exit status alone (its own report is what could not be read)."""
    status, failure = _status(child, {})
    return status if failure is None else f"{status} ({failure.message})"


def _ipython_notes(target: Target) -> list[str]:
    """IPython lines that the check did not run as the kernel would (docs/check.md, notebooks)."""
    if not target.not_run:
        return []
    shown = ", ".join(f"cell {cell}, line {line}: {text.strip()}" for cell, line, text in target.not_run[:5])
    more = f" and {len(target.not_run) - 5} more" if len(target.not_run) > 5 else ""
    return [f"IPython lines: shell commands and magics do not run under readkit check (the statement of "
            f"%time/%timeit/%%time/%%capture does): {shown}{more}"]


def _line(entry: dict[str, Any]) -> LineObservation:
    return LineObservation(path=entry["path"], line=int(entry["line"]), roles=tuple(sorted(entry["roles"])),
                           calls=int(entry["calls"]), shapes=tuple(entry.get("shapes", ())),
                           symbols=tuple(entry.get("symbols", ())))


def _module(entry: dict[str, Any]) -> BuiltModule:
    return BuiltModule(cls=entry["class"], class_path=entry["class_path"], path=entry["path"], line=int(entry["line"]),
                       instances=int(entry["instances"]), parameters=entry.get("parameters"),
                       trainable=entry.get("trainable"))


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
