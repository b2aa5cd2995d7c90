"""`readkit check` output: the run's status, problems first, then the per-line view; or JSON.

JSON shape (docs/check.md): target, status, exit_code, seconds, problems, lines,
annotations, missed; plus the documented extras failure, losses, confirmation,
notes, output_left_out, suppressed, instrumentation_errors, workflow and, for notebooks,
cell/cell_line on each located entry.
"""

from __future__ import annotations

import json
import linecache
from collections import Counter, defaultdict
from dataclasses import asdict
from typing import Any

import click

from readkit.results.check import CheckResult
from readkit.notebook import describe_location
from readkit.render.style import dim, paint, role_tag

MARKS = {"confirmed": "✓", "refuted": "✗", "unobservable": "○", "not-reached": "·"}
STATUS_COLORS = {"ok": "green", "failed": "red", "timeout": "red", "killed": "red"}


# ----------------------------------------------------------------------------
# JSON


def to_json(result: CheckResult) -> str:
    cells = _cells(result)
    document: dict[str, Any] = {
        "target": result.target, "status": result.status, "exit_code": result.exit_code, "seconds": result.seconds,
        "problems": [_located(asdict(p), cells) for p in result.problems],
        "lines": [_located({"path": o.path, "line": o.line, "roles": list(o.roles), "calls": o.calls,
                            "shapes": list(o.shapes)}, cells) for o in result.lines],
        "annotations": [_located(asdict(a), cells) for a in result.annotations],
        "missed": [_located(asdict(m), cells) for m in result.missed],
        "failure": asdict(result.failure) if result.failure else None,
        "losses": list(result.losses),
        "confirmation": confirmation(result),
        "notes": _notes(result),
        "output_left_out": _output_left_out(result),
        "suppressed": [_located(asdict(p), cells) for p in result.suppressed],
        "instrumentation_errors": list(result.instrumentation_errors),
        "workflow": {"status": result.workflow, "reason": result.workflow_reason},
        "modules": [_located({"class": m.cls, "class_path": m.class_path, "path": m.path, "line": m.line,
                              "instances": m.instances, "parameters": m.parameters, "trainable": m.trainable}, cells)
                    for m in result.modules],
    }
    return json.dumps(document, indent=2)


def _output_left_out(result: CheckResult) -> int | None:
    """Bytes of the target's output --quiet did not keep; None when the output was not captured."""
    value = result.extra.get("output_left_out")
    return value if isinstance(value, int) else None


def _cells(result: CheckResult) -> dict[str, tuple[tuple[int, int], ...]]:
    raw = result.extra.get("cells", {}) or {}
    assert isinstance(raw, dict)
    return {str(path): tuple((int(c[0]), int(c[1])) for c in mapping) for path, mapping in raw.items()}


def _located(entry: dict[str, Any], cells: dict[str, tuple[tuple[int, int], ...]]) -> dict[str, Any]:
    mapping = cells.get(entry.get("path") or "")
    line = entry.get("line")
    if mapping is not None and isinstance(line, int) and 1 <= line <= len(mapping):
        entry["cell"], entry["cell_line"] = mapping[line - 1]
    return entry


def confirmation(result: CheckResult) -> dict[str, dict[str, Any]]:
    """Per role: confirmed / refuted / unobservable / not-reached counts and the rate of confirmation
    among the observable annotations that ran (confirmed + refuted)."""
    counts: defaultdict[str, Counter[str]] = defaultdict(Counter)
    for annotation in result.annotations:
        counts[annotation.role][annotation.verdict] += 1
    rates = {}
    for role, verdicts in sorted(counts.items()):
        ran = verdicts["confirmed"] + verdicts["refuted"]
        rates[role] = {"confirmed": verdicts["confirmed"], "refuted": verdicts["refuted"],
                       "unobservable": verdicts["unobservable"], "not-reached": verdicts["not-reached"],
                       "rate": round(verdicts["confirmed"] / ran, 4) if ran else None}
    return rates


# ----------------------------------------------------------------------------
# Text


def to_text(result: CheckResult, *, color: bool = False) -> str:
    cells = _cells(result)
    parts = [_status_line(result, cells, color), *_problem_lines(result, cells, color),
             *_per_line_view(result, cells, color), *_summary(result, color)]
    return "\n".join(parts)


def _where(path: str | None, line: int | None, cells: dict[str, tuple[tuple[int, int], ...]]) -> str:
    if path is None or line is None:
        return path or "?"
    return f"{path}, {describe_location(cells.get(path), line)}" if path in cells else f"{path}:{line}"


def _status_line(result: CheckResult, cells: dict[str, Any], color: bool) -> str:
    status = paint(result.status, STATUS_COLORS.get(result.status), color=color, bold=True)
    exit_text = "no exit code" if result.exit_code is None else f"exit {result.exit_code}"
    text = f"readkit check {result.target}: {status} ({exit_text}, {result.seconds:.1f} s)"
    if result.failure is not None:
        failure = result.failure
        at = f" at {_where(failure.path, failure.line, cells)}" if failure.path else ""
        text += f"\n  {failure.kind}: {failure.message}{at}"
        text += "\n  (what was observed up to that point follows)"
    if result.output and result.status != "ok":
        tail = result.output.strip().splitlines()[-5:]
        text += "\n  last output:\n" + "\n".join(f"    {line}" for line in tail)
    return text


def _problem_lines(result: CheckResult, cells: dict[str, Any], color: bool) -> list[str]:
    silenced = _silenced_line(result, cells)
    if result.workflow == "not-checked":
        return [paint(f"workflow not checked: {result.workflow_reason}", "yellow", color=color), *silenced]
    if not result.problems:
        return ["no workflow problem found", *silenced]
    lines = [paint(f"{len(result.problems)} workflow problem(s):", "red", color=color, bold=True)]
    for problem in result.problems:
        lines.append(f"  {_where(problem.path, problem.line, cells)}  {paint(problem.check, 'red', color=color)}")
        lines.append(f"      {problem.message}")
    return lines + silenced


def _silenced_line(result: CheckResult, cells: dict[str, Any]) -> list[str]:
    """`suppressed 1 by # readkit: ignore: gradients-accumulate (train.py:12)`."""
    if not result.suppressed:
        return []
    where = ", ".join(f"{p.check} ({_where(p.path, p.line, cells)})" for p in result.suppressed)
    return [f"suppressed {len(result.suppressed)} by `# readkit: ignore`: {where}"]


def _per_line_view(result: CheckResult, cells: dict[str, Any], color: bool) -> list[str]:
    verdicts: defaultdict[tuple[str, int], list[tuple[str, str]]] = defaultdict(list)
    for annotation in result.annotations:
        verdicts[(annotation.path, annotation.line)].append((annotation.role, annotation.verdict))
    observed = {(o.path, o.line): o for o in result.lines}
    sources = _sources(result)
    out: list[str] = []
    current = None
    for key in sorted(set(verdicts) | set(observed)):
        path, number = key
        if path != current:
            out.append(paint(path, None, color=color, bold=True))
            current = path
        out.append(_line_entry(path, number, verdicts.get(key, []), observed.get(key), cells, color, sources))
    return out


def _line_entry(path: str, number: int, verdicts: list[tuple[str, str]], observed: Any,
                cells: dict[str, Any], color: bool, sources: dict[str, list[str]]) -> str:
    where = describe_location(cells.get(path), number) if path in cells else f"{number:>5}"
    marks = " ".join(f"{role_tag(role, color=color)}{MARKS[verdict]}" for role, verdict in sorted(set(verdicts)))
    if observed is not None:
        unclaimed = [r for r in observed.roles if r not in {role for role, _ in verdicts}]
        marks = " ".join(filter(None, [marks, *(f"{role_tag(r, color=color)}+" for r in unclaimed)]))
        ran = f"×{observed.calls} " + ", ".join(observed.shapes)
    else:
        ran = ""
    if path in sources:  # a notebook: the line as its cell shows it (the file on disk is JSON)
        source = sources[path][number - 1].strip() if 1 <= number <= len(sources[path]) else ""
    else:
        source = linecache.getline(path, number).strip()
    return f"  {where}  {_pad(marks, 24)} {_pad(dim(ran.strip(), color=color), 30)}  {source}".rstrip()


def _sources(result: CheckResult) -> dict[str, list[str]]:
    raw = result.extra.get("sources", {}) or {}
    assert isinstance(raw, dict)
    return {str(path): [str(line) for line in lines] for path, lines in raw.items()}


def _pad(text: str, width: int) -> str:
    """Left-justify by the visible width (colour codes take no room on screen)."""
    return text + " " * max(0, width - len(click.unstyle(text)))


def _summary(result: CheckResult, color: bool) -> list[str]:
    lines = [dim("marks: ✓ confirmed by the run, ✗ refuted (the line ran, that role did not), "
                 "○ unobservable (the line ran; no hook can see this kind of use), · not reached, "
                 "+ ran here but not annotated", color=color)]
    rates = confirmation(result)
    if rates:
        parts = [f"{role} {r['confirmed']}/{r['confirmed'] + r['refuted']}" for role, r in rates.items()]
        lines.append("confirmed on lines that ran (observable uses): " + ", ".join(parts))
    if result.missed:
        lines.append(f"{len(result.missed)} use(s) ran where no annotation of that role sits (marked +)")
    for note in _notes(result):
        lines.append(dim(f"note: {note}", color=color))
    if result.instrumentation_errors:
        lines.append(paint(f"readkit's own instrumentation failed {len(result.instrumentation_errors)} way(s) "
                           "(the target was not affected; what those points observe may be missing):",
                           "yellow", color=color))
        lines += [f"  {error}" for error in result.instrumentation_errors]
    return lines


def _notes(result: CheckResult) -> list[str]:
    notes = result.extra.get("notes", [])
    return [str(n) for n in notes] if isinstance(notes, list) else []
