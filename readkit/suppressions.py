"""Suppression comments, as linters have them, read with `tokenize` (no parser needed):

    loss.data[0]  # readkit: ignore[data-index-zero]
    x = model(x)  # readkit: ignore[tensor, nn]     (several ids, comma-separated)
    y = f(x)      # readkit: ignore                 (every id on this line)
    # readkit: ignore-file[cuda-only-call]          (the whole file; in its first FILE_LINES lines)

A line comment covers every line of the statement it ends (a call spread over lines is
one statement). Ids are legacy rule ids (annotate, migrate), role names (annotate's
annotations) and workflow check ids (check). annotate, check and migrate all read their
comments here; what each does with them is in docs/cli.md ("Suppression comments").
"""

from __future__ import annotations

import io
import re
import tokenize
from collections.abc import Iterator
from dataclasses import dataclass, field

FILE_LINES = 10  # `# readkit: ignore-file[...]` counts only in the file's first lines, as a header
ALL = frozenset({"*"})  # a bare `# readkit: ignore`: every id
_COMMENT = re.compile(r"#\s*readkit:\s*(ignore-file|ignore)\b(?:\[([^\]]*)\])?")


@dataclass(frozen=True)
class Suppressions:
    """The suppression comments of one file: ids by line, and ids for the whole file."""

    lines: dict[int, frozenset[str]] = field(default_factory=dict)
    whole_file: frozenset[str] = frozenset()

    def covers(self, line: int, id_: str) -> bool:
        """Is `id_` suppressed at `line` (1-based)?"""
        return _matches(self.whole_file, id_) or _matches(self.lines.get(line, frozenset()), id_)

    def __bool__(self) -> bool:
        return bool(self.lines or self.whole_file)


NONE = Suppressions()


def read_suppressions(source: str) -> Suppressions:
    """The suppression comments in `source`; none when it has none (or cannot be tokenized)."""
    if "readkit:" not in source:
        return NONE
    lines: dict[int, frozenset[str]] = {}
    whole: frozenset[str] = frozenset()
    try:
        for first, last, kind, ids in _comments(source):
            if kind == "ignore-file" and first <= FILE_LINES:
                whole |= ids
            elif kind == "ignore":
                for line in range(first, last + 1):
                    lines[line] = lines.get(line, frozenset()) | ids
    except (tokenize.TokenError, SyntaxError):
        return NONE
    return Suppressions(lines, whole)


def _comments(source: str) -> Iterator[tuple[int, int, str, frozenset[str]]]:
    """(first line, last line of the statement it belongs to, kind, ids) of each readkit comment."""
    start: int | None = None  # first line of the statement being read
    pending: list[tuple[str, frozenset[str]]] = []
    for token in tokenize.generate_tokens(io.StringIO(source).readline):
        row = token.start[0]
        if token.type == tokenize.COMMENT:
            found = _COMMENT.search(token.string)
            if found is not None:
                pending.append((found.group(1), _ids(found.group(2))))
        elif token.type in (tokenize.NEWLINE, tokenize.NL) and (token.type == tokenize.NEWLINE or start is None):
            for kind, ids in pending:
                yield (start if start is not None else row), row, kind, ids
            pending, start = [], None
        elif token.type not in (tokenize.INDENT, tokenize.DEDENT, tokenize.ENCODING, tokenize.ENDMARKER):
            start = row if start is None else start


def _ids(text: str | None) -> frozenset[str]:
    if text is None:
        return ALL
    return frozenset(part.strip() for part in text.split(",") if part.strip()) or ALL


def _matches(ids: frozenset[str], id_: str) -> bool:
    return "*" in ids or id_ in ids
