"""The Jupyter view of annotate results (`_repr_html_`): one self-contained HTML fragment.

Same colours, tags and explanations as the report, but no script: notebooks
may not run one (untrusted outputs), so each span explains itself through a
native tooltip (`title`), and every role is also written as a text tag.
"""

from __future__ import annotations

from html import escape

from readkit.results.annotate import AnnotateResult, Annotation, FileResult
from readkit.notebook import describe_location
from readkit.render.html import highlight
from readkit.render.html.assets import role_css
from readkit.render.html.shell import counts_text
from readkit.render.html.source import load_source
from readkit.roles import CORE_ROLE_NAMES, ROLES

MAX_LINES = 400  # a notebook output is not the place for a whole repository
MAX_FILES = 50

_CSS = """
.rk-frag{font:13px/1.45 system-ui,sans-serif}
.rk-frag .rk-code{font:12.5px/1.5 ui-monospace,Menlo,Consolas,monospace;border:1px solid #d0d7de;border-radius:6px;
 padding:4px 0;overflow-x:auto;background:#fff;color:#1f2328}
.rk-frag .rk-code i{font-style:normal}
.rk-frag .l{display:flex;white-space:pre}
.rk-frag .n{flex:none;width:4em;padding-right:8px;text-align:right;color:#8c959f;user-select:none}
.rk-frag .t{padding-left:14px;font-size:11px}
.rk-frag .tag{display:inline-block;border:1px solid #afb8c1;border-radius:9px;padding:0 6px;margin-right:3px}
.rk-frag .tag.legacy{border-color:#bf8700;color:#7d4e00;background:#fff8c5}
.rk-frag .a{border-radius:3px;border-bottom:2px solid transparent;cursor:help}
.rk-frag table{border-collapse:collapse}.rk-frag td,.rk-frag th{padding:2px 8px;text-align:right}
.rk-frag td:first-child,.rk-frag th:first-child{text-align:left}
"""


def fragment_style() -> str:
    from pygments.formatters import HtmlFormatter

    pygments_css = HtmlFormatter().get_style_defs(".rk-frag .rk-code")  # type: ignore[no-untyped-call]  # untyped in types-Pygments
    return f"<style>{_CSS}{role_css('.rk-frag')}\n{pygments_css}</style>"


def fragment_html(result: FileResult) -> str:
    """One file: highlighted source with coloured spans, text tags and tooltips, then legacy findings."""
    doc = load_source(result)
    titles = {i: annotation_title(a) for i, a in enumerate(result.annotations)}
    pieces = highlight.pieces_by_line([(i, a, "") for i, a in enumerate(result.annotations)], list(doc.lines), titles)
    tokens = highlight.token_lines(doc.text)
    rows = [_row(n, text, tokens[n - 1], pieces.get(n, []), result, doc.cells)
            for n, text in enumerate(doc.lines[:MAX_LINES], start=1)]
    more = len(doc.lines) - MAX_LINES
    if more > 0:
        rows.append(f'<div class="l"><span class="n"></span>… {more} more lines (readkit annotate --html)</div>')
    problem = _without_source(result) if doc.problem else ""
    return (f'<div class="rk-frag">{fragment_style()}<div><strong>{escape(result.path)}</strong>: '
            f'{escape(_summary(result))}</div>{problem}{_code_box(rows)}'
            f"{_legacy_list(result)}</div>")


def _code_box(rows: list[str]) -> str:
    return f'<div class="rk-code">{"".join(rows)}</div>' if rows else ""


def _without_source(result: FileResult) -> str:
    """The annotations as a list, when the source is not on disk (annotate_source of a string)."""
    items = "".join(
        f'<li>{describe_location(result.cells, a.line)}: <span class="a r-{a.role}" title="'
        f'{escape(annotation_title(a), quote=True)}">[{a.role}]</span> {escape(a.message)}'
        + (f" <code>{escape(a.symbol)}</code>" if a.symbol else "") + "</li>"
        for a in result.annotations)
    return f"<ul>{items}</ul>"


def annotation_title(a: Annotation) -> str:
    """The tooltip: role, message, evidence, symbol and the reference step."""
    role = ROLES.get(a.role)
    parts = [f"[{a.role}] {a.message}", f"evidence: {a.evidence}"]
    if a.symbol:
        parts.append(f"symbol: {a.symbol}")
    if role is not None and role.reference_step:
        parts.append(f"see it run: readkit run-reference --step {role.reference_step}")
    return "\n".join(parts)


def _row(number: int, text: str, tokens: list[highlight.Token], pieces: list[highlight.Piece],
         result: FileResult, cells: tuple[tuple[int, int], ...] | None) -> str:
    roles = dict.fromkeys(a.role for a in result.annotations if a.line == number)
    tags = [f'<span class="tag r-{r}">{r}</span>' for r in roles]
    tags += [f'<span class="tag legacy" title="{escape(f.message, quote=True)}">legacy: {escape(f.idiom)}</span>'
             for f in result.legacy if f.line == number]
    shown = cells[number - 1][1] if cells and number <= len(cells) else number
    return (f'<div class="l"><span class="n">{shown}</span><code>{highlight.line_html(text, tokens, pieces)}</code>'
            f'<span class="t">{"".join(tags)}</span></div>')


def _summary(result: FileResult) -> str:
    text = counts_text(result.role_counts())
    if result.legacy:
        text += f"; {len(result.legacy)} legacy idiom{'s' if len(result.legacy) != 1 else ''}"
    if result.error is not None:
        text += f"; not analyzed ({result.error.kind}): {result.error.message}"
    return text


def _legacy_list(result: FileResult) -> str:
    if not result.legacy:
        return ""
    items = "".join(
        f"<li>{describe_location(result.cells, f.line)}: <strong>{escape(f.idiom)}</strong> — {escape(f.message)}"
        + (f" → <code>{escape(f.replacement)}</code>" if f.replacement else "") + "</li>"
        for f in result.legacy)
    return f"<ul>{items}</ul>"


def result_fragment_html(result: AnnotateResult) -> str:
    """One file: its source view; several: the table."""
    return fragment_html(result.files[0]) if len(result.files) == 1 else summary_fragment_html(result)


def summary_fragment_html(result: AnnotateResult) -> str:
    """Many files: a table of role counts per file (open one file's result to see its source)."""
    head = "".join(f"<th>{name}</th>" for name in CORE_ROLE_NAMES)
    rows = []
    for f in result.files[:MAX_FILES]:
        counts = f.role_counts()
        core = [counts.get(name, 0) for name in CORE_ROLE_NAMES]
        cells = "".join(f"<td>{n}</td>" for n in core + [sum(counts.values()) - sum(core), len(f.legacy)])
        rows.append(f"<tr><td>{escape(f.path)}</td>{cells}</tr>")
    more = len(result.files) - MAX_FILES
    tail = f"<p>… {more} more files (readkit annotate --html)</p>" if more > 0 else ""
    total = counts_text(result.role_counts())
    return (f'<div class="rk-frag">{fragment_style()}<div><strong>{len(result.files)} files</strong>: {escape(total)}</div>'
            f"<table><tr><th>file</th>{head}<th>other</th><th>legacy</th></tr>{''.join(rows)}</table>{tail}</div>")
