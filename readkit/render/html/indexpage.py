"""The report's index: totals, the run's outcome, and a paginated table of files."""

from __future__ import annotations

from collections import Counter
from html import escape

from readkit.results.annotate import AnnotateResult, FileResult
from readkit.results.check import CheckResult
from readkit.render.html.runinfo import RunIndex, confirmation_rate
from readkit.render.html.shell import counts_text, legend, page
from readkit.roles import CORE_ROLE_NAMES

FILES_PER_PAGE = 200


def index_page_name(number: int, name: str = "index") -> str:
    return f"{name}.html" if number == 1 else f"{name}-{number}.html"


def index_pages(result: AnnotateResult, links: dict[str, str], run: RunIndex | None, *,
                name: str = "index", home: str | None = None) -> dict[str, str]:
    """{file name: html} for every index page; `links` maps a file's path to its page.
    `name` names the pages (`files.html`, `files-2.html` in a map report, whose front page `home` is)."""
    files = sorted(result.files, key=lambda f: f.path)
    chunks = [files[i:i + FILES_PER_PAGE] for i in range(0, len(files), FILES_PER_PAGE)] or [[]]
    header = _header(result, run, home)
    return {
        index_page_name(n, name): page("readkit report", header, _pager(n, len(chunks), name)
                                       + _table(chunk, links, run) + _pager(n, len(chunks), name), root="")
        for n, chunk in enumerate(chunks, start=1)
    }


def _header(result: AnnotateResult, run: RunIndex | None, home: str | None) -> str:
    counts = result.role_counts()
    idioms = result.idiom_counts()
    failed = len(result.failed_files)
    summary = f"{len(result.files)} files, {sum(counts.values())} PyTorch uses: {counts_text(counts)}"
    if idioms:
        summary += f" — {sum(idioms.values())} legacy idioms ({_idioms_text(idioms)})"
    if failed:
        summary += f" — {failed} could not be analyzed"
    run_html = _run_summary(run.result) if run is not None else ""
    back = f'<a href="{home}">← map</a>\n' if home else ""
    return (f'{back}<h1>readkit report</h1>\n<p class="summary">{escape(summary)}</p>\n'
            f"{legend(counts, interactive=False)}\n{run_html}")


def _idioms_text(idioms: Counter[str]) -> str:
    return ", ".join(f"{name} {count}" for name, count in idioms.most_common())


def _run_summary(result: CheckResult) -> str:
    status = f"Run of <code>{escape(result.target)}</code>: {escape(result.status)}"
    status += f" in {result.seconds:.1f} s, exit code {result.exit_code}" if result.exit_code is not None else ""
    lines = [status]
    if result.failure is not None:
        where = f" at {escape(result.failure.path or '')}:{result.failure.line}" if result.failure.line else ""
        lines.append(f"failed ({escape(result.failure.kind)}){where}: {escape(result.failure.message)}")
    if result.problems:
        lines.append(f"{len(result.problems)} workflow problem{'s' if len(result.problems) != 1 else ''}: "
                     + ", ".join(sorted({escape(p.check) for p in result.problems})))
    elif result.workflow == "not-checked":
        lines.append(f"workflow not checked: {escape(result.workflow_reason or '')}")
    else:
        lines.append("no workflow problem found")
    css = "run failed" if result.status != "ok" or result.problems else "run"
    return f'<div class="{css}">{"<br>".join(lines)}</div>'


def _pager(number: int, total: int, name: str) -> str:
    if total == 1:
        return ""
    links = [f"<span aria-current=\"page\">page {n}</span>" if n == number
             else f'<a href="{index_page_name(n, name)}">page {n}</a>' for n in range(1, total + 1)]
    return f'<nav class="pager" aria-label="Pages">{"".join(links)}</nav>'


def _table(files: list[FileResult], links: dict[str, str], run: RunIndex | None) -> str:
    head = "".join(f'<th scope="col">{name}</th>' for name in CORE_ROLE_NAMES)
    rows = "\n".join(_row(f, links.get(f.path), run) for f in files)
    return (f'<table class="files"><thead><tr><th scope="col">file</th>{head}<th scope="col">other</th>'
            f'<th scope="col">legacy</th><th scope="col">status</th></tr></thead>\n<tbody>\n{rows}\n</tbody></table>')


def _row(result: FileResult, link: str | None, run: RunIndex | None) -> str:
    counts = result.role_counts()
    core = [counts.get(name, 0) for name in CORE_ROLE_NAMES]
    other = sum(counts.values()) - sum(core)
    cells = "".join(_count_cell(n) for n in core + [other, len(result.legacy)])
    name = f'<a href="{link}">{escape(result.path)}</a>' if link else escape(result.path)
    return f'<tr><td>{name}</td>{cells}<td>{escape(_status(result, run))}</td></tr>'


def _count_cell(count: int) -> str:
    return f'<td class="zero">0</td>' if count == 0 else f"<td>{count}</td>"


def _status(result: FileResult, run: RunIndex | None) -> str:
    if result.error is not None:
        return f"not analyzed: {result.error.kind}"
    file_run = run.for_path(result.path) if run is not None else None
    rate = confirmation_rate(file_run)
    if rate is not None:
        return f"{rate[0]}/{rate[1]} confirmed ({100 * rate[0] // rate[1]}%)"
    if file_run is not None and file_run.problems:
        return f"{len(file_run.problems)} problems"
    return "analyzed" if run is None else "not reached by the run"
