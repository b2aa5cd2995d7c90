"""Small helpers for the annotator's before/after tests."""

from __future__ import annotations

import textwrap

from readkit.annotate import annotate_source


def uses(code: str) -> set[tuple[int, str, str, str | None]]:
    """(line, role, evidence, symbol) of every annotation of the dedented code."""
    result = annotate_source(textwrap.dedent(code))
    assert result.error is None, result.error
    return {(a.line, a.role, a.evidence, a.symbol) for a in result.annotations}


def roles_by_line(code: str) -> dict[int, set[str]]:
    found: dict[int, set[str]] = {}
    for line, role, _, _ in uses(code):
        found.setdefault(line, set()).add(role)
    return found
