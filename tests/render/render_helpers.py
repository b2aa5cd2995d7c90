"""Hand-built model objects for the renderer tests (a module name no other test folder uses)."""

from __future__ import annotations

from readkit.results.annotate import Annotation


def ann(line: int, role: str, evidence: str, symbol: str | None, message: str, column: int = 1) -> Annotation:
    return Annotation(line, column, line, column + 5, role, evidence, symbol, "test-rule", message)
