"""The Jupyter view of a `readkit check` result (`CheckResult._repr_html_`)."""

from __future__ import annotations

from collections import Counter
from html import escape
from pathlib import Path

from readkit.results.check import CheckResult, LineObservation
from readkit.render.html.fragment import fragment_style

MAX_LINES = 40


def check_fragment_html(result: CheckResult) -> str:
    """Outcome, workflow problems, verdict counts, and the lines that ran with their shapes."""
    parts = [f"<div><strong>readkit check {escape(result.target)}</strong>: {escape(_outcome(result))}</div>"]
    if result.failure is not None:
        where = f" at {Path(result.failure.path).name}:{result.failure.line}" if result.failure.path else ""
        parts.append(f"<p>failed ({escape(result.failure.kind)}){escape(where)}: {escape(result.failure.message)}</p>")
    problems = "".join(f"<li>{escape(Path(p.path).name)}:{p.line} <strong>{escape(p.check)}</strong> — "
                       f"{escape(p.message)}</li>" for p in result.problems)
    if result.workflow == "not-checked":
        parts.append(f"<p>workflow not checked: {escape(result.workflow_reason or '')}</p>")
    else:
        parts.append(f"<ul>{problems}</ul>" if problems else "<p>no workflow problem found</p>")
    verdicts = Counter(v.verdict for v in result.annotations)
    if verdicts:
        parts.append("<p>annotations: " + escape(", ".join(f"{n} {v}" for v, n in sorted(verdicts.items()))) + "</p>")
    if result.lines:
        rows = "".join(_line_row(o) for o in result.lines[:MAX_LINES])
        more = len(result.lines) - MAX_LINES
        tail = f"<p>… {more} more lines (readkit check --html)</p>" if more > 0 else ""
        parts.append(f"<table><tr><th>line</th><th>roles</th><th>calls</th><th>produced</th></tr>{rows}</table>{tail}")
    return f'<div class="rk-frag">{fragment_style()}{"".join(parts)}</div>'


def _outcome(result: CheckResult) -> str:
    exit_code = f", exit code {result.exit_code}" if result.exit_code is not None else ""
    return f"{result.status} in {result.seconds:.1f} s{exit_code}"


def _line_row(o: LineObservation) -> str:
    tags = "".join(f'<span class="tag r-{r}">{escape(r)}</span>' for r in o.roles)
    return (f"<tr><td>{escape(Path(o.path).name)}:{o.line}</td><td>{tags}</td><td>{o.calls}</td>"
            f"<td>{escape(', '.join(o.shapes))}</td></tr>")
