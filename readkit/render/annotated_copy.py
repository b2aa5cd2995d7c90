"""`readkit annotate --out DIR`: annotated copies with end-of-line comments.

    opt.step()  # [optim] update parameters from their .grad (torch.optim.SGD)

The copy keeps every byte of the original except the comments readkit adds at
the end of annotated statements: line endings (LF, CRLF, CR), tabs, the
declared encoding, existing comments. The number of lines never changes, which
is what lets the notebook writer (readkit.notebook) reuse `annotate_text` on a
notebook's program and put each line back into its cell.

Idempotent: readkit recognises its own comments (`# [<role>] ...`,
`# [legacy <id> ...`) and replaces them, so annotating a copy again gives the
same bytes. Writing the files (layout, encodings, notebooks) is
readkit.render.annotated_files. A comment goes on the line where the statement ends (after a
backslash continuation or a closing bracket), never inside a multi-line string.
"""

from __future__ import annotations

import io
import re
import tokenize
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache

from readkit.results.annotate import Annotation, FileResult, LegacyFinding
from readkit.render.run_index import RunIndex
from readkit.roles import ROLES

ARROW = "→"
LINE_END = re.compile(r"\r\n|\r|\n")  # as Python counts lines (str.splitlines also splits on \f)
_MAX_REPLACEMENT = 60  # a finding without a suggestion shows its fix only when this short


# ----------------------------------------------------------------------------
# The comment text of each line


def line_comments(file: FileResult, run: RunIndex | None = None) -> dict[int, str]:
    """Comment text (without the leading '# ') for each annotated program line of `file`:
    one part per role on the line (the checker judges (line, role) pairs), then legacy findings."""
    by_role: dict[int, dict[str, list[Annotation]]] = defaultdict(dict)
    for annotation in sorted(file.annotations, key=lambda a: (a.line, a.column, a.role)):
        by_role[annotation.line].setdefault(annotation.role, []).append(annotation)
    parts: dict[int, list[str]] = defaultdict(list)
    for line, roles in by_role.items():
        parts[line] = [role_comment(uses, file.path, run) for uses in roles.values()]
    for finding in sorted(file.legacy, key=lambda f: (f.line, f.column, f.idiom)):
        _add_once(parts[finding.line], legacy_comment(finding))
    if run is not None:
        for line, line_parts in parts.items():
            observed = run.observed(file.path, line)
            if observed is not None:
                line_parts.append(f"[ran {observed.calls}x{_shapes(observed.shapes)}]")
    return {line: "; ".join(line_parts) for line, line_parts in parts.items()}


def role_comment(uses: Sequence[Annotation], path: str = "", run: RunIndex | None = None) -> str:
    """`[optim] update parameters from their .grad (torch.optim.SGD)`: the first use's explanation;
    the other uses of the same role on the line add their symbols after `also`."""
    first = uses[0]
    where = ", ".join(([first.symbol] if first.symbol else []) + (["heuristic"] if first.evidence == "heuristic" else []))
    others = [u.symbol for u in uses[1:] if u.symbol and u.symbol != first.symbol]
    if others:
        where += ("; " if where else "") + "also " + ", ".join(dict.fromkeys(others))
    verdict = run.verdict(path, first.line, first.role) if run is not None else None
    return f"[{first.role}] {first.message}" + (f" ({where})" if where else "") + (f" {{{verdict}}}" if verdict else "")


def legacy_comment(finding: LegacyFinding) -> str:
    """`[legacy data-index-zero → loss.item()]` (the rule's modern form when no fix is known)."""
    modern = modern_text(finding)
    return f"[legacy {finding.idiom} {ARROW} {modern}]" if modern else f"[legacy {finding.idiom}]"


def modern_text(finding: LegacyFinding) -> str | None:
    """The modern form on one line: the finding's own suggestion (built from the code found,
    readkit.annotate.suggest), else its fix when short."""
    if finding.modern:
        return _one_line(finding.modern)
    modern = _one_line(_without_comments(finding.replacement)) if finding.replacement else None
    return modern if modern is not None and len(modern) <= _MAX_REPLACEMENT else None


def _without_comments(code: str) -> str:
    """The code of a replacement without its comments (a fix keeps the line's comments,
    readkit's own included: they must not leak into the next comment)."""
    lines = code.split("\n")
    try:
        for token in tokenize.generate_tokens(io.StringIO(code).readline):
            if token.type == tokenize.COMMENT:
                row, col = token.start
                lines[row - 1] = lines[row - 1][:col].rstrip()
    except (tokenize.TokenError, SyntaxError):
        lines = [_without_own_comment(line) for line in lines]
    return "\n".join(lines)


def _one_line(code: str) -> str:
    return " ".join(code.split())


def _shapes(shapes: Sequence[str]) -> str:
    return (": " + ", ".join(shapes)) if shapes else ""


def _add_once(parts: list[str], text: str) -> None:
    if text not in parts:
        parts.append(text)


# ----------------------------------------------------------------------------
# Placing comments in source text


@lru_cache(maxsize=1)
def _own_comment() -> re.Pattern[str]:
    names = "|".join(re.escape(name) for name in sorted(ROLES, key=len, reverse=True))
    return re.compile(rf"(?:(?<=\s)|^)#\s\[(?:{names}|legacy\s[\w-]+)[\]\s]")


@dataclass(frozen=True)
class _Layout:
    """Where each statement ends and where each trailing comment starts (0-based columns)."""

    statement_end: dict[int, int]
    comment_column: dict[int, int]


def annotate_text(source: str, comments: Mapping[int, str]) -> str:
    """`source` with readkit's old comments removed and `comments` (line -> text) added.

    A comment for a line inside a multi-line statement lands on the statement's
    last line; comments meeting on one line are joined with '; '. If the source
    cannot be tokenized it is returned unchanged.
    """
    layout = _layout(source)
    if layout is None:
        return source
    placed: dict[int, list[str]] = defaultdict(list)
    for line in sorted(comments):
        placed[layout.statement_end.get(line, line)].append(comments[line])
    lines = _split_keepends(source)
    for number in set(placed) | set(layout.comment_column):
        if 1 <= number <= len(lines):
            text = "; ".join(placed[number]) if number in placed else None
            lines[number - 1] = _rewrite_line(lines[number - 1], layout.comment_column.get(number), text)
    return "".join(lines)


def _rewrite_line(line: str, comment_column: int | None, comment: str | None) -> str:
    body = line.rstrip("\r\n")
    ending = line[len(body):]
    if comment_column is not None and body[:comment_column].strip():
        kept = _without_own_comment(body[comment_column:])
        body = body[:comment_column] + kept if kept else body[:comment_column]
    elif comment is None:
        return line  # a line readkit has nothing to say about stays byte-identical
    body = body.rstrip()
    return body + (f"  # {comment}" if comment else "") + ending


def _without_own_comment(comment: str) -> str:
    match = _own_comment().search(comment)
    return comment if match is None else comment[: match.start()].rstrip()


def _layout(source: str) -> _Layout | None:
    normalized = LINE_END.sub("\n", source)
    statement_end: dict[int, int] = {}
    comment_column: dict[int, int] = {}
    start: int | None = None
    try:
        for token in tokenize.generate_tokens(io.StringIO(normalized).readline):
            kind, row, col = token.type, token.start[0], token.start[1]
            if kind == tokenize.COMMENT:
                comment_column[row] = col
            elif kind == tokenize.NEWLINE:
                for line in range(start if start is not None else row, token.end[0] + 1):
                    statement_end[line] = row
                start = None
            elif start is None and kind not in _NON_CODE:
                start = row
    except (tokenize.TokenError, SyntaxError):
        return None
    return _Layout(statement_end, comment_column)


_NON_CODE = frozenset({tokenize.NL, tokenize.COMMENT, tokenize.INDENT, tokenize.DEDENT, tokenize.ENDMARKER})


def _split_keepends(text: str) -> list[str]:
    lines: list[str] = []
    start = 0
    for match in LINE_END.finditer(text):
        lines.append(text[start : match.end()])
        start = match.end()
    if start < len(text):
        lines.append(text[start:])
    return lines
