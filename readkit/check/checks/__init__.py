"""The workflow checks: one module per check, discovered, never listed by hand.

Each module defines, in this order:

- its facts: frozen dataclasses deriving from `readkit.check.workflow_facts.Fact`, each
  with a `kind` (what the child measured, typed);
- its `Watcher` (readkit.check.watcher), when it needs the run's events: what
  to measure inside the child, recorded as those facts;
- `find(facts) -> list[Found]`: a pure function over the recorded facts;
- `CHECK = WorkflowCheck(...)`: its id, a one-line summary, what the reference
  workflow does instead (in the tutorial's words), its documentation, the fact
  classes it judges, `find`, and the watcher class.

Fixtures in fixtures/check/ hold code that triggers the check (`<id>__bad*.py`)
and a correct counterpart that triggers none (`<id>__good.py`). docs/check.md
("Adding a workflow check") walks through one.
"""

from __future__ import annotations

import importlib
import pkgutil
from dataclasses import dataclass
from functools import lru_cache
from typing import Callable, Sequence

from readkit.check.workflow_facts import F, Fact, Facts, Line
from readkit.check.watcher import Watcher
from readkit.results.check import Problem


@dataclass(frozen=True)
class Found:
    path: str
    line: int
    detail: str  # what was seen, specific to this run


@dataclass(frozen=True)
class WorkflowCheck:
    id: str
    summary: str  # what is wrong, one line
    instead: str  # what the reference workflow does instead
    docs: str  # why it matters, when it does not fire (markdown)
    facts: tuple[type[Fact], ...]  # what it judges
    find: Callable[[Facts], list[Found]]
    watcher: type[Watcher] | None = None  # what it measures in the child (None: facts come from elsewhere)

    def message(self, found: Found) -> str:
        return f"{self.summary}: {found.detail}. {self.instead}"


@lru_cache(maxsize=1)
def all_checks() -> tuple[WorkflowCheck, ...]:
    """Every check module in this package, sorted by id."""
    found = []
    for info in pkgutil.iter_modules(__path__):
        module = importlib.import_module(f"{__name__}.{info.name}")
        check = getattr(module, "CHECK", None)
        if isinstance(check, WorkflowCheck):
            found.append(check)
    return tuple(sorted(found, key=lambda c: c.id))


def watchers() -> dict[str, Watcher]:
    """A fresh watcher for each check that has one, by check id (inside the child, once per run)."""
    return {check.id: check.watcher() for check in all_checks() if check.watcher is not None}


def fact_kinds() -> dict[str, type[Fact]]:
    """Every declared fact class, by kind (a kind declared twice is an error)."""
    kinds: dict[str, type[Fact]] = {}
    for check in all_checks():
        for cls in check.facts:
            if kinds.setdefault(cls.kind, cls) is not cls:
                raise TypeError(f"fact kind {cls.kind!r} is declared twice ({kinds[cls.kind].__qualname__}, "
                                f"{cls.__qualname__})")
    return kinds


def judge(raw: object) -> tuple[tuple[Problem, ...], list[str]]:
    """Every check's findings over one run's facts as written by the child, sorted by place; and the
    facts that could not be read, in words."""
    facts, unreadable = Facts.decode(raw, fact_kinds())
    problems = []
    for check in all_checks():
        for found in check.find(facts):
            if not isinstance(found.path, str) or type(found.line) is not int:  # the results file is the target's to spoil
                raise TypeError(f"{check.id} found a location that is not a path and a line: "
                                f"{found.path!r}:{found.line!r}")
            problems.append(Problem(check.id, found.path, found.line, check.message(found)))
    return tuple(sorted(problems, key=lambda p: (p.path, p.line, p.check))), unreadable


def workflow_status(training: object, problems: tuple[Problem, ...], failure: str | None) -> str | None:
    """None when the workflow was checked; else why not, in words. Checked: a backward pass or an
    optimizer step ran (the checks had a training to look at), or some check found a problem."""
    counts = training if isinstance(training, dict) else {}
    if problems or counts.get("backwards") or counts.get("steps"):
        return None
    if failure is not None:
        return f"the target failed before any training step ({failure})"
    return "no training step ran (no backward(), no optimizer step)"


def grouped(facts: Sequence[F], describe: Callable[[F], str]) -> list[Found]:
    """One Found per line, the descriptions of that line's facts joined (several variants of one trace)."""
    lines: dict[Line, list[str]] = {}
    for fact in facts:
        lines.setdefault(fact.where, []).append(describe(fact))
    return [Found(path, line, "; ".join(details)) for (path, line), details in lines.items()]


def where(line: Line | None) -> str:
    """"line 12" for a place in the target's code (the optimizer's construction, a module call)."""
    return f"line {line[1]}" if line is not None else "an unknown line"


def markdown() -> str:
    """The checks section of docs/check.md, generated from the checks themselves."""
    parts = []
    for check in all_checks():
        parts.append(f"### `{check.id}`\n\n{check.summary[0].upper()}{check.summary[1:]}.\n\n{check.docs}\n\n"
                     f"Instead: {check.instead}\n")
    return "\n".join(parts)
