"""Showing a reference run: text (per section), JSON (the documented shape),
Markdown (notebooks), and a progress printer for the steps that take seconds."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any, TextIO

import click

from readkit.results.reference import Progress, ReferenceRun, StepResult

VALUE_WIDTH = 110  # long tensors are cut here in text; JSON keeps them whole


# ----------------------------------------------------------------------------
# Values as a learner would have printed them


def format_value(value: Any) -> str:
    """`[[8, 10, 12], [15, 17, 19]]`, not `[[8.0, 10.0, ...`: floats in 6 significant digits."""
    if isinstance(value, bool) or value is None:
        return str(value)
    if isinstance(value, float):
        return f"{value:.6g}"
    if isinstance(value, list):
        return "[" + ", ".join(format_value(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {format_value(v)}" for k, v in value.items()) + "}"
    return str(value)


def _cut(text: str, width: int = VALUE_WIDTH) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


# ----------------------------------------------------------------------------
# Text


def _style(text: str, color: bool, **style: Any) -> str:
    return click.style(text, **style) if color else text


def _verdict(passed: bool, color: bool) -> str:
    return _style("PASS", color, fg="green", bold=True) if passed else _style("FAIL", color, fg="red", bold=True)


def _step_lines(step: StepResult, color: bool) -> list[str]:
    lines = [f"  {_verdict(step.passed, color)} {step.name}  ({step.seconds:.2f} s)", f"       {step.summary}"]
    lines += [f"       {key} = {_cut(format_value(value))}" for key, value in step.values.items()]
    for check in step.checks:
        if not check.passed:
            lines.append(_style(f"       x {check.name}: expected {_cut(format_value(check.expected), 60)}, "
                                f"actual {_cut(format_value(check.actual), 60)}", color, fg="red"))
    return lines


def to_text(run: ReferenceRun, color: bool = False) -> str:
    lines = [f"readkit run-reference: torch {run.torch_version} on {run.device}"]
    section = None
    for step in run.steps:
        if step.section != section:
            section = step.section
            lines += ["", _style(section, color, bold=True)]
        lines += _step_lines(step, color)
    total = sum(s.seconds for s in run.steps)
    summary = f"{run.passed} passed, {run.failed} failed in {total:.1f} s"
    lines += ["", _style(summary, color, fg="green" if run.failed == 0 else "red", bold=True)]
    return "\n".join(lines)


# ----------------------------------------------------------------------------
# JSON: exactly the documented shape


def _check_json(check: Any) -> dict[str, Any]:
    return {"name": check.name, "expected": check.expected, "actual": check.actual, "passed": check.passed}


def _step_json(step: StepResult) -> dict[str, Any]:
    return {"section": step.section, "name": step.name, "passed": step.passed, "values": step.values,
            "checks": [_check_json(c) for c in step.checks], "seconds": step.seconds}


def run_dict(run: ReferenceRun) -> dict[str, Any]:
    return {"device": run.device, "torch_version": run.torch_version,
            "steps": [_step_json(s) for s in run.steps], "passed": run.passed, "failed": run.failed}


def to_json(run: ReferenceRun) -> str:
    return json.dumps(run_dict(run), indent=2)


# ----------------------------------------------------------------------------
# Markdown for notebooks (StepResult._repr_markdown_ and ReferenceRun._repr_markdown_)


def _cell(value: Any) -> str:
    return "`" + _cut(format_value(value), 80).replace("|", "\\|").replace("`", "'") + "`"


def step_markdown(step: StepResult) -> str:
    lines = [f"**{step.section}.{step.name}**: {'PASS' if step.passed else 'FAIL'}  ", step.summary, ""]
    if step.values:
        lines += ["| value | |", "|---|---|"] + [f"| {k} | {_cell(v)} |" for k, v in step.values.items()] + [""]
    lines += ["| check | expected | actual | |", "|---|---|---|---|"]
    lines += [f"| {c.name} | {_cell(c.expected)} | {_cell(c.actual)} | {'ok' if c.passed else 'FAIL'} |"
              for c in step.checks]
    return "\n".join(lines)


def run_markdown(run: ReferenceRun) -> str:
    rows = [f"| {s.section}.{s.name} | {'PASS' if s.passed else 'FAIL'} | {s.seconds:.2f} s |" for s in run.steps]
    head = [f"**readkit run-reference**: torch {run.torch_version} on {run.device}: "
            f"{run.passed} passed, {run.failed} failed", "", "| step | | time |", "|---|---|---|"]
    return "\n".join(head + rows)


# ----------------------------------------------------------------------------
# Progress


def progress_printer(stream: TextIO) -> Callable[[Progress], None]:
    """Tell the user (on stderr) which multi-second step is running, then its time."""

    def show(event: Progress) -> None:
        if not event.takes_seconds:
            return
        if event.result is None:
            stream.write(f"[{event.index}/{event.total}] {event.step_id} ... ")
        else:
            stream.write(f"{event.result.seconds:.1f} s\n")
        stream.flush()

    return show
