"""The small harness every reference step goes through: expectations, seeding, the @step runner.

A step is a short function `step_name(device, seed, check) -> values` (it declares
only the parameters it uses): it computes, records its expectations on `check`
(expected vs actual), and returns the values a learner would have printed. The `@step` decorator turns it into the public
`step_name(device="cpu", seed=0, expected=None) -> StepResult`: it seeds, times,
captures an unexpected error as a failed check, and makes values JSON-safe.

`expected` overrides expected values by check name, so a caller (or a test) can
prove the checks fail when the expectation is wrong.

What this module leaves out: the result types (readkit.results.reference), which
steps exist and in what order (workflow.py), and how results are shown
(readkit.render.reference).
"""

from __future__ import annotations

import functools
import inspect
import math
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import torch

from readkit.reference.capture import Outcome
from readkit.results.reference import Expectation, StepResult

# ----------------------------------------------------------------------------
# JSON-safe values


def jsonable(value: Any) -> Any:
    """Tensors -> nested lists, shapes -> lists, dtypes/devices/errors -> strings."""
    if isinstance(value, torch.Tensor):
        return jsonable(value.detach().cpu().tolist())
    if isinstance(value, (torch.Size, tuple, list)):
        return [jsonable(v) for v in value]
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, BaseException):
        return f"{type(value).__name__}: {value}"
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)  # JSON has no NaN/inf
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if hasattr(value, "tolist"):  # numpy arrays and scalars
        return jsonable(value.tolist())
    return str(value)  # dtypes, devices, types


# ----------------------------------------------------------------------------
# Recording checks


def _close(expected: Any, actual: Any, rtol: float, atol: float) -> bool:
    exp = torch.as_tensor(expected, dtype=torch.float64)
    act = torch.as_tensor(actual, dtype=torch.float64)
    return exp.shape == act.shape and torch.allclose(act, exp, rtol=rtol, atol=atol)


class Expectations:
    """Collects a step's checks. `overrides` replace expected values by check name."""

    def __init__(self, overrides: Mapping[str, Any] | None = None) -> None:
        self.overrides = dict(overrides or {})
        self.items: list[Expectation] = []

    def _expect(self, name: str, expected: Any) -> Any:
        return self.overrides.get(name, expected)

    def _add(self, name: str, expected: Any, actual: Any, passed: bool) -> bool:
        self.items.append(Expectation(name, jsonable(expected), jsonable(actual), bool(passed)))
        return bool(passed)

    def equal(self, name: str, expected: Any, actual: Any) -> bool:
        """Exact: compared as JSON-safe values (tensors as nested lists)."""
        expected = self._expect(name, expected)
        return self._add(name, expected, actual, jsonable(expected) == jsonable(actual))

    def close(self, name: str, expected: Any, actual: Any, rtol: float = 1e-5, atol: float = 1e-8) -> bool:
        """Within torch.allclose's tolerance (and the same shape)."""
        expected = self._expect(name, expected)
        return self._add(name, expected, actual, _close(expected, actual, rtol, atol))

    def matches(self, name: str, expected: Any, actual: Any, device: torch.device) -> bool:
        """Bitwise on CPU (SPEC: CPU results are exact); within 1e-5 elsewhere, whose
        kernels may sum in another order."""
        if device.type == "cpu":
            return self.equal(name, expected, actual)
        return self.close(name, expected, actual, rtol=1e-5, atol=1e-6)

    def true(self, name: str, actual: bool) -> bool:
        expected = self._expect(name, True)
        return self._add(name, expected, actual, actual == expected)

    def at_most(self, name: str, bound: float, actual: float) -> bool:
        bound = self._expect(name, bound)
        return self._add(name, f"<= {bound:g}", actual, actual <= bound)

    def at_least(self, name: str, bound: float, actual: float) -> bool:
        bound = self._expect(name, bound)
        return self._add(name, f">= {bound:g}", actual, actual >= bound)

    def between(self, name: str, low: float, high: float, actual: float) -> bool:
        low, high = self._expect(name, (low, high))
        return self._add(name, f"in [{low:g}, {high:g}]", actual, low <= actual <= high)

    def raises(self, name: str, error: type[BaseException], outcome: Outcome) -> bool:
        """The old idiom raised `error` (the outcome's error is captured, never re-raised)."""
        expected = self._expect(name, error.__name__)
        return self._add(name, expected, outcome.error_name, outcome.error_name == expected)

    def warns(self, name: str, category: type[Warning], outcome: Outcome) -> bool:
        expected = self._expect(name, category.__name__)
        names = sorted({w.category.__name__ for w in outcome.warnings})
        return self._add(name, expected, names, expected in names)


# ----------------------------------------------------------------------------
# Seeding: data and initial weights are drawn on CPU, then moved


def generator(seed: int) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


def seeded_module(build: Callable[[], torch.nn.Module], seed: int, device: torch.device) -> Any:
    """Build a module with its default init drawn from `seed` on CPU, then move it.

    Layer constructors draw from the global RNG; fork_rng restores it afterwards,
    so a step never disturbs the caller's random state.
    """
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        module = build()
    return module.to(device)


# ----------------------------------------------------------------------------
# The step decorator

# A step body takes what it uses, by name, of: device (torch.device), seed (int), check (Expectations).
StepBody = Callable[..., dict[str, Any]]
STEP_PARAMETERS = ("device", "seed", "check")


@dataclass(frozen=True)
class StepInfo:
    section: str
    name: str
    summary: str  # one line: what the step shows
    compare: tuple[str, ...] = ()  # values compared CPU vs CUDA by norm-relative error
    slow: bool = False  # only with --include-slow
    takes_seconds: bool = False  # worth a progress line


class Step:
    """A reference step as callers see it: `step(device="cpu", seed=0, expected=None) -> StepResult`,
    with `info` saying what it is (section, name, summary, whether it is slow)."""

    def __init__(self, body: StepBody, info: StepInfo) -> None:
        self.body, self.info = body, info
        functools.update_wrapper(self, body)

    def __call__(self, device: str | torch.device = "cpu", seed: int = 0,
                 expected: Mapping[str, Any] | None = None) -> StepResult:
        return _run_body(self.body, self.info, torch.device(device), seed, Expectations(expected))


def step(summary: str, *, compare: tuple[str, ...] = (), slow: bool = False,
         takes_seconds: bool = False) -> Callable[[StepBody], Step]:
    def wrap(body: StepBody) -> Step:
        unknown = set(inspect.signature(body).parameters) - set(STEP_PARAMETERS)
        if unknown:
            raise TypeError(f"step {body.__name__} takes {sorted(unknown)}; steps take only {STEP_PARAMETERS}")
        section = body.__module__.rsplit(".", 1)[-1]
        return Step(body, StepInfo(section, body.__name__, summary, compare, slow, takes_seconds))

    return wrap


@contextmanager
def one_cpu_thread() -> Iterator[None]:
    """The reference's tensors are small (at most 64x1000): waking OpenMP workers costs
    more than the math, and on a busy machine they spin and thrash (measured: one
    logistic-regression run took 1.3 s on 2 threads, 0.06 s on 1). Restored afterwards."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(before)


def _run_body(body: StepBody, info: StepInfo, device: torch.device, seed: int, checks: Expectations) -> StepResult:
    start = time.perf_counter()
    try:
        with one_cpu_thread():
            given = {"device": device, "seed": seed, "check": checks}
            values = body(**{name: given[name] for name in inspect.signature(body).parameters})
    except Exception as error:  # a broken step is a failed step, not a crashed run
        values = {}
        checks.items.append(Expectation("ran without error", None, jsonable(error), False))
    seconds = time.perf_counter() - start
    return StepResult(info.section, info.name, jsonable(values), tuple(checks.items), seconds, info.summary)
