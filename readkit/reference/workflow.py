"""Which steps exist, in tutorial order, and running a selection of them.

Steps are discovered, never listed by hand: every `@step` function defined in
a section module, in the order the module defines it.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

import torch

from readkit.reference.compare import compare_devices
from readkit.reference.harness import Step
from readkit.results.reference import Progress, ReferenceRun, StepResult

SECTIONS = ("tensors", "autograd", "nn", "optim", "jit", "classic", "polynomial")  # tutorial order

StepFunction = Step


class ReferenceUsageError(ValueError):
    """A bad selection or an unavailable device: the message says what and what exists."""


def section_steps(section: str) -> tuple[StepFunction, ...]:
    module = importlib.import_module(f"readkit.reference.{section}")
    return tuple(fn for fn in vars(module).values()
                 if isinstance(fn, Step) and fn.info.section == section)


def all_steps() -> tuple[StepFunction, ...]:
    return tuple(fn for section in SECTIONS for fn in section_steps(section))


def step_id(fn: StepFunction) -> str:
    info = fn.info
    return f"{info.section}.{info.name}"


def get_step(name: str) -> StepFunction:
    """A step by `section.step` or by its bare name."""
    for fn in all_steps():
        if name in (step_id(fn), fn.info.name):
            return fn
    raise ReferenceUsageError(f"unknown step {name!r}; known steps: {', '.join(map(step_id, all_steps()))}")


# ----------------------------------------------------------------------------
# Planning


@dataclass(frozen=True)
class Plan:
    device: str  # "cpu", "cuda", or "cpu+cuda" when comparing
    steps: tuple[StepFunction, ...]
    compare_devices: bool = False
    seed: int = 0

    @property
    def step_ids(self) -> tuple[str, ...]:
        return tuple(map(step_id, self.steps))


def _resolve_device(device: str, compare: bool) -> str:
    if device not in ("auto", "cpu", "cuda"):
        raise ReferenceUsageError(f"unknown device {device!r}; choose auto, cpu or cuda")
    wants_cuda = compare or device == "cuda"
    if wants_cuda and not torch.cuda.is_available():
        why = "this torch build has no CUDA" if not torch.backends.cuda.is_built() else "no CUDA device was found"
        option, instead = (("--compare-devices", "run without it") if compare
                           else ("--device cuda", "use --device cpu or --device auto"))
        raise ReferenceUsageError(f"{option} needs a CUDA device, but {why} (torch {torch.__version__}); {instead}")
    if compare:
        return "cpu+cuda"
    return "cuda" if device == "auto" and torch.cuda.is_available() else device.replace("auto", "cpu")


def _select(sections: Iterable[str], steps: Iterable[str], include_slow: bool) -> tuple[StepFunction, ...]:
    """Named steps always run (even slow ones); a named section runs its steps;
    nothing named runs everything. Slow steps only with include_slow."""
    sections, steps = tuple(sections), tuple(steps)
    unknown = [s for s in sections if s not in SECTIONS]
    if unknown:
        raise ReferenceUsageError(f"unknown section {unknown[0]!r}; known sections: {', '.join(SECTIONS)}")
    named = {step_id(get_step(name)) for name in steps}
    wanted_sections = sections if (sections or steps) else SECTIONS

    def chosen(fn: StepFunction) -> bool:
        info = fn.info
        return step_id(fn) in named or (info.section in wanted_sections and (include_slow or not info.slow))

    return tuple(fn for fn in all_steps() if chosen(fn))


def plan_run(device: str = "auto", sections: Iterable[str] = (), steps: Iterable[str] = (),
             include_slow: bool = False, compare_devices: bool = False, seed: int = 0) -> Plan:
    """Check the selection and the device before anything runs."""
    return Plan(_resolve_device(device, compare_devices), _select(sections, steps, include_slow),
                compare_devices, seed)


# ----------------------------------------------------------------------------
# Running


ProgressCallback = Callable[[Progress], Any]


def _run_one(fn: StepFunction, plan: Plan) -> StepResult:
    if plan.compare_devices:
        return compare_devices(fn, fn.info.compare, plan.seed)
    return fn(device=plan.device, seed=plan.seed)


def execute(plan: Plan, progress: ProgressCallback | None = None) -> ReferenceRun:
    results = []
    for index, fn in enumerate(plan.steps, start=1):
        slow = fn.info.takes_seconds or fn.info.slow
        if progress:
            progress(Progress(step_id(fn), index, len(plan.steps), slow))
        results.append(_run_one(fn, plan))
        if progress:
            progress(Progress(step_id(fn), index, len(plan.steps), slow, results[-1]))
    return ReferenceRun(plan.device, torch.__version__, tuple(results))


def run_reference(**plan_kwargs: Any) -> ReferenceRun:
    """Plan and run in one call: `run_reference(sections=["autograd"])`."""
    progress = plan_kwargs.pop("progress", None)
    return execute(plan_run(**plan_kwargs), progress=progress)
