"""The workflow checks: one module per check, discovered, never listed by hand.

Each module defines `CHECK = Check(...)`: its id, a one-line summary, what the
reference workflow does instead (in the tutorial's words), its documentation,
and `find(facts) -> list[Found]`, a pure function over the facts the child
recorded (readkit.check.workflow documents them). Fixtures in
fixtures/check/<id>/ hold code that triggers the check and a correct
counterpart that triggers none.
"""

from __future__ import annotations

import importlib
import pkgutil
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Callable

Facts = dict[str, list[dict[str, Any]]]


@dataclass(frozen=True)
class Found:
    path: str
    line: int
    detail: str  # what was seen, specific to this run


@dataclass(frozen=True)
class Check:
    id: str
    summary: str  # what is wrong, one line
    instead: str  # what the reference workflow does instead
    docs: str  # why it matters, when it does not fire (markdown)
    find: Callable[[Facts], list[Found]]

    def message(self, found: Found) -> str:
        return f"{self.summary}: {found.detail}. {self.instead}"


@lru_cache(maxsize=1)
def all_checks() -> tuple[Check, ...]:
    """Every check module in this package, sorted by id."""
    found = []
    for info in pkgutil.iter_modules(__path__):
        module = importlib.import_module(f"{__name__}.{info.name}")
        check = getattr(module, "CHECK", None)
        if isinstance(check, Check):
            found.append(check)
    return tuple(sorted(found, key=lambda c: c.id))


def facts_of(facts: Facts, kind: str) -> list[dict[str, Any]]:
    return [f for f in facts.get(kind, []) if f.get("path") and f.get("line")]


def grouped(facts: list[dict[str, Any]], describe: Callable[[dict[str, Any]], str]) -> list[Found]:
    """One Found per line, the descriptions of that line's facts joined (several variants of one trace)."""
    lines: dict[tuple[str, int], list[str]] = {}
    for fact in facts:
        lines.setdefault((fact["path"], fact["line"]), []).append(describe(fact))
    return [Found(path, line, "; ".join(details)) for (path, line), details in lines.items()]


def where(fact: dict[str, Any], key: str) -> str:
    """"line 12" for a [path, line] stored under `key` (the optimizer's construction, a module call)."""
    value = fact.get(key)
    return f"line {value[1]}" if isinstance(value, (list, tuple)) and len(value) == 2 else "an unknown line"


def markdown() -> str:
    """The checks section of docs/check.md, generated from the checks themselves."""
    parts = []
    for check in all_checks():
        parts.append(f"### `{check.id}`\n\n{check.summary.capitalize()}.\n\n{check.docs}\n\n"
                     f"Instead: {check.instead}\n")
    return "\n".join(parts)
