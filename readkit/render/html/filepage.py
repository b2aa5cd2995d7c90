"""One report page per analyzed file: highlighted source, role spans, line tags, details data.

Every annotation, legacy finding and check problem gets a row in the page's
data block (strings interned); the page's spans and tags point at those rows,
and report.js shows a row on hover, focus or click.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from html import escape

from readkit.results.annotate import Annotation, FileResult
from readkit.notebook import describe_location
from readkit.render.html import highlight
from readkit.render.html.runinfo import FileRun, confirmation_rate
from readkit.render.html.shell import StringTable, counts_text, legend, page, roles_data
from readkit.render.html.source import SourceDoc, load_source, markdown_html
from readkit.roles import ROLES

CHUNK_LINES = 200  # lines per lazily rendered block (CSS content-visibility)


@dataclass
class LineTags:
    roles: dict[str, int] = field(default_factory=dict)  # role -> first annotation index on the line
    html: list[str] = field(default_factory=list)  # legacy / problem / run tags


def file_page(result: FileResult, run: FileRun | None, *, root: str, index_href: str,
              home_href: str | None = None) -> str:
    """`index_href`: the table of files; `home_href`: the report's front page when it is another (the map)."""
    doc = load_source(result)
    strings = StringTable()
    data = _page_data(result, run, doc, strings)
    pieces, tags = _spans_and_tags(result, run, doc, data)
    header = _header(result, run, index_href, home_href)
    body = _findings(result, run, doc) + _code(doc, pieces, tags)
    data["strings"] = strings.strings
    return page(f"{result.path} — readkit", header, body, root=root, data=data)


# ----------------------------------------------------------------------------
# The data block


def _page_data(result: FileResult, run: FileRun | None, doc: SourceDoc, s: StringTable) -> dict[str, object]:
    verdicts = run.verdicts if run is not None else {}
    annotations = [
        [a.line, s(a.role), s(a.evidence), s(a.symbol), s(a.message), s(a.rule),
         s(_reference_step(a)), s(verdicts.get((a.line, a.role)))]
        for a in result.annotations
    ]
    legacy = [
        [f.line, s(f.idiom), s(f.message), s(f.replacement), s(f.modern), s(f.reference_step)]
        for f in result.legacy
    ]
    problems = [[p.line, s(p.check), s(p.message)] for p in (run.problems if run else ())]
    observations = {
        str(line): [o.calls, list(o.roles), list(o.shapes), list(o.symbols)]
        for line, o in (run.observations.items() if run else ())
    }
    return {"ann": annotations, "legacy": legacy, "problems": problems, "obs": observations, "roles": roles_data(),
            "cells": [list(c) for c in doc.cells] if doc.cells else None}


def _reference_step(annotation: Annotation) -> str | None:
    role = ROLES.get(annotation.role)
    return role.reference_step if role is not None else None


# ----------------------------------------------------------------------------
# Spans and per-line tags


def _spans_and_tags(result: FileResult, run: FileRun | None, doc: SourceDoc,
                    data: dict[str, object]) -> tuple[dict[int, list[highlight.Piece]], dict[int, LineTags]]:
    verdicts = run.verdicts if run is not None else {}
    triples = [(i, a, _verdict_class(verdicts.get((a.line, a.role)))) for i, a in enumerate(result.annotations)]
    pieces = highlight.pieces_by_line(triples, list(doc.lines))
    tags: dict[int, LineTags] = {}
    for i, a in enumerate(result.annotations):
        tags.setdefault(a.line, LineTags()).roles.setdefault(a.role, i)
    for i, f in enumerate(result.legacy):
        tags.setdefault(f.line, LineTags()).html.append(
            f'<span class="tag legacy" data-l="{i}" tabindex="0">legacy: {escape(f.idiom)}</span>')
    for i, p in enumerate(run.problems if run else ()):
        tags.setdefault(p.line, LineTags()).html.append(
            f'<span class="tag problem" data-p="{i}" tabindex="0">problem: {escape(p.check)}</span>')
    for line, obs in (run.observations.items() if run else ()):
        shape = f" · {escape(obs.shapes[0])}" if obs.shapes else ""
        tags.setdefault(line, LineTags()).html.append(f'<span class="tag obs">ran {obs.calls}×{shape}</span>')
    return pieces, tags


def _verdict_class(verdict: str | None) -> str:
    return f"v-{verdict}" if verdict else ""


def _tags_html(tags: LineTags | None, pieces: list[highlight.Piece]) -> str:
    """Role tags in text (readable without colour); focusable when the span itself could not be shown."""
    if tags is None:
        return ""
    shown = {p.index for p in pieces}
    focus = ' tabindex="0"'
    role_tags = [
        f'<b class="tag r-{role}" data-a={i}{"" if i in shown else focus}>{role}</b>'
        for role, i in tags.roles.items()
    ]
    return f'<span class="t">{"".join(role_tags + tags.html)}</span>'


# ----------------------------------------------------------------------------
# Page sections


def _header(result: FileResult, run: FileRun | None, index_href: str, home_href: str | None) -> str:
    counts = result.role_counts()
    summary = counts_text(counts)
    if result.legacy:
        summary += f" — {len(result.legacy)} legacy idiom{'s' if len(result.legacy) != 1 else ''}"
    rate = confirmation_rate(run)
    if rate is not None:
        summary += f" — run: {rate[0]} of {rate[1]} reached annotations confirmed"
    back = f'<a href="{index_href}">← all files</a>'
    if home_href is not None:
        back = f'<a href="{home_href}">← map</a> · <a href="{index_href}">all files</a>'
    return (f'{back}\n<h1>{escape(result.path)}</h1>\n'
            f'<p class="summary">{escape(summary)}</p>\n{legend(counts, interactive=True)}')


def _findings(result: FileResult, run: FileRun | None, doc: SourceDoc) -> str:
    parts: list[str] = []
    if result.error is not None:
        where = f" ({describe_location(doc.cells, result.error.line)})" if result.error.line else ""
        parts.append(f'<p class="error">Could not analyze: {escape(result.error.kind)}{where}: '
                     f"{escape(result.error.message)}</p>")
    if doc.problem:
        parts.append(f'<p class="error">{escape(doc.problem)}</p>')
    if result.legacy:
        items = "".join(
            f'<li><a href="#L{f.line}">{describe_location(doc.cells, f.line)}</a>: <strong>{escape(f.idiom)}</strong>'
            f" — {escape(f.message)}{_modern(f.replacement)}</li>" for f in result.legacy)
        parts.append(f"<h2>Legacy idioms</h2><ul>{items}</ul>")
    if run is not None and (run.problems or run.missed):
        items = "".join(f'<li><a href="#L{p.line}">{describe_location(doc.cells, p.line)}</a>: '
                        f"<strong>{escape(p.check)}</strong> — {escape(p.message)}</li>" for p in run.problems)
        items += "".join(f'<li><a href="#L{m.line}">{describe_location(doc.cells, m.line)}</a>: '
                         f"ran a <strong>{escape(m.role)}</strong> use the annotations missed</li>" for m in run.missed)
        parts.append(f"<h2>From the run</h2><ul>{items}</ul>")
    return f'<section class="findings">{"".join(parts)}</section>\n' if parts else ""


def _modern(replacement: str | None) -> str:
    return f" → <code>{escape(replacement)}</code>" if replacement else ""


def _code(doc: SourceDoc, pieces: dict[int, list[highlight.Piece]], tags: dict[int, LineTags]) -> str:
    tokens = highlight.token_lines(doc.text)
    rows: list[str] = []
    for number, text in enumerate(doc.lines, start=1):
        here = pieces.get(number, [])
        body = highlight.line_html(text, tokens[number - 1] if number <= len(tokens) else [], here)
        if number in doc.ignored:  # show what the notebook says, not the get_ipython() call analyzed in its place
            body = f'<span class="ipy" title="IPython syntax, shown as written (readkit analyzes what the kernel runs)">{escape(doc.ignored[number])}</span>'
        rows.append(f'<div class="l" id="L{number}"><code>{body}</code>{_tags_html(tags.get(number), here)}</div>')
    return f'<div class="code" id="code">\n{_blocks(doc, rows)}\n</div>'


def _chunk(rows: list[str], first: int) -> str:
    """Rows the browser may lay out lazily. content-visibility scopes CSS counters to the
    chunk, so the line counter is reset inside it, to the number before its first line."""
    return f'<div class="chunk"><div style="counter-reset:line {first}">{"".join(rows)}</div></div>'


def _blocks(doc: SourceDoc, rows: list[str]) -> str:
    """Rows in lazily rendered chunks; notebooks: one block per cell, markdown cells between."""
    if doc.cells is None:
        return "\n".join(_chunk(rows[i:i + CHUNK_LINES], first=i) for i in range(0, len(rows), CHUNK_LINES))
    out: list[str] = []
    markdown = dict(doc.markdown)
    previous = 0
    for start, (cell, _) in enumerate(doc.cells):
        if start and doc.cells[start - 1][0] == cell:
            continue
        out += [f'<div class="md">{markdown_html(markdown[m])}</div>' for m in sorted(markdown) if previous < m < cell]
        end = next((i for i in range(start, len(doc.cells)) if doc.cells[i][0] != cell), len(doc.cells))
        out.append(f'<div class="cellhead">cell {cell}</div>'
                   + _chunk(rows[start:end], first=0))
        previous = cell
    out += [f'<div class="md">{markdown_html(markdown[m])}</div>' for m in sorted(markdown) if m > previous]
    return "\n".join(out)
