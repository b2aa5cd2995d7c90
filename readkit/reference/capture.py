"""Capturing what an old idiom does today: its value, error and warnings, never re-raised."""

from __future__ import annotations

import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Outcome:
    """What a block did: its value, the error it raised, the warnings it emitted."""

    value: Any = None
    error: BaseException | None = None
    warnings: list[warnings.WarningMessage] = field(default_factory=list)

    @property
    def error_name(self) -> str | None:
        return type(self.error).__name__ if self.error is not None else None

    def report(self) -> str:
        """One line for the values: the error, or the first warning, or 'works'."""
        if self.error is not None:
            return f"{type(self.error).__name__}: {str(self.error).splitlines()[0][:160]}"
        if self.warnings:
            first = self.warnings[0]
            return f"{first.category.__name__}: {str(first.message).splitlines()[0][:160]}"
        return "works, silently"


def attempt(block: Callable[[], Any]) -> Outcome:
    """Run `block`, capturing every warning and any Exception (never re-raised)."""
    outcome = Outcome()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            outcome.value = block()
        except Exception as error:  # the point: show what the old idiom does today
            outcome.error = error
    outcome.warnings = list(caught)
    return outcome


@contextmanager
def recorded_warnings() -> Iterator[list[warnings.WarningMessage]]:
    """Record every warning in the block instead of showing it (e.g. torch.jit's
    DeprecationWarning): a step reports them as values, they never leak to users."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        yield caught


def warning_names(caught: list[warnings.WarningMessage]) -> list[str]:
    return sorted({w.category.__name__ for w in caught})
