"""One CPU run of every default step, shared by the whole directory (it takes seconds)."""

from __future__ import annotations

import pytest

from readkit.reference import ReferenceRun, StepResult, run_reference


@pytest.fixture(scope="session")
def cpu_run() -> ReferenceRun:
    return run_reference(device="cpu")


@pytest.fixture(scope="session")
def results(cpu_run: ReferenceRun) -> dict[str, StepResult]:
    return {step.id: step for step in cpu_run.steps}
