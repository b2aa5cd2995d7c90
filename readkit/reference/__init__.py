"""The checked reference: a modern "PyTorch in 10 minutes", one module per section.

    from readkit.reference import autograd
    r = autograd.backward_of_sum()      # values + checks (expected vs actual)
    run = run_reference(sections=["nn"])

Sections, in tutorial order: tensors, autograd, nn, optim, jit, classic,
polynomial. Each step takes `device` and `seed` (as keywords, with defaults) and never prints.
"""

from __future__ import annotations

from readkit.results.reference import Expectation, Progress, ReferenceRun, StepResult
from readkit.reference.workflow import (
    SECTIONS,
    Plan,
    ReferenceUsageError,
    all_steps,
    execute,
    get_step,
    plan_run,
    run_reference,
)

# `Check` is the name this class had before workflow checks took the word; kept so teaching
# material that imports it still works. New code says Expectation.
Check = Expectation

__all__ = [
    "SECTIONS",
    "Check",
    "Expectation",
    "Plan",
    "Progress",
    "ReferenceRun",
    "ReferenceUsageError",
    "StepResult",
    "all_steps",
    "execute",
    "get_step",
    "plan_run",
    "run_reference",
]
