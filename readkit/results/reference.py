"""Results of the reference: what each step computed and which expectations it met.

A step's `values` and each expectation's `expected`/`actual` are JSON-safe
(tensors arrive as nested lists): this module imports no torch.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from readkit.results import display


@dataclass(frozen=True)
class Expectation:
    """One expected result of a reference step, and whether the step met it."""

    name: str  # what is checked, e.g. "s"
    expected: Any  # JSON-safe; bounds read as strings like "<= 1e-09"
    actual: Any  # JSON-safe
    passed: bool


@dataclass(frozen=True)
class StepResult:
    section: str  # "autograd"
    name: str  # "backward_of_sum"
    values: dict[str, Any]  # JSON-safe: what the step computed
    checks: tuple[Expectation, ...]
    seconds: float
    summary: str = ""  # one line: what the step shows

    @property
    def id(self) -> str:
        return f"{self.section}.{self.name}"

    @property
    def passed(self) -> bool:
        return bool(self.checks) and all(c.passed for c in self.checks)

    def _repr_markdown_(self) -> str | None:
        return display.show(self, "markdown")


@dataclass(frozen=True)
class ReferenceRun:
    device: str
    torch_version: str
    steps: tuple[StepResult, ...]

    @property
    def passed(self) -> int:
        return sum(1 for s in self.steps if s.passed)

    @property
    def failed(self) -> int:
        return len(self.steps) - self.passed

    def _repr_markdown_(self) -> str | None:
        return display.show(self, "markdown")


@dataclass(frozen=True)
class Progress:
    """A step about to run (result None) or just run: what a progress display shows."""

    step_id: str
    index: int  # 1-based
    total: int
    takes_seconds: bool  # worth telling the user about
    result: StepResult | None = None  # None before the step runs
