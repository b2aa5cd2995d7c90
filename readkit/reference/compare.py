"""--compare-devices: one step on CPU and on CUDA, judged by SPEC's rule.

One forward/backward (the values a step lists in `compare`; for a training
run, only its initial loss) must agree by norm-relative error <= 1e-5.
Training runs are otherwise judged by their loss bounds on each device, never
step by step: the two devices sum in different orders, so
trajectories drift apart while both still converge.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any

import torch

from readkit.results.reference import Expectation, StepResult

TOLERANCE = 1e-5


def norm_relative_error(reference: Any, other: Any) -> float:
    ref = torch.as_tensor(reference, dtype=torch.float64)
    oth = torch.as_tensor(other, dtype=torch.float64)
    scale = torch.linalg.vector_norm(ref).item() or 1.0  # an all-zero reference: absolute error
    return float(torch.linalg.vector_norm(oth - ref).item()) / scale


def _prefixed(device: str, checks: tuple[Expectation, ...]) -> list[Expectation]:
    return [replace(c, name=f"{device}: {c.name}") for c in checks]


def _agreement(key: str, cpu: StepResult, cuda: StepResult) -> Expectation:
    try:
        error = norm_relative_error(cpu.values[key], cuda.values[key])
    except (KeyError, ValueError, TypeError, RuntimeError) as problem:  # missing or ragged values
        return Expectation(f"cpu vs cuda: {key}", f"<= {TOLERANCE:g}", f"not comparable: {problem}", False)
    return Expectation(f"cpu vs cuda: {key} (norm-relative error)", f"<= {TOLERANCE:g}", error, error <= TOLERANCE)


def compare_devices(run: Callable[..., StepResult], keys: tuple[str, ...], seed: int) -> StepResult:
    """Run the step on both devices; both must pass, and the `keys` values must agree."""
    cpu, cuda = run(device="cpu", seed=seed), run(device="cuda", seed=seed)
    checks = _prefixed("cpu", cpu.checks) + _prefixed("cuda", cuda.checks)
    checks += [_agreement(key, cpu, cuda) for key in keys]
    values = {**cpu.values, "cuda": cuda.values}
    return replace(cpu, values=values, checks=tuple(checks), seconds=cpu.seconds + cuda.seconds)
