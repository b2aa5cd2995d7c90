"""Facts: what the instrumented child measured, as typed records the workflow checks judge.

A fact is a frozen dataclass deriving from `Fact`, declared once, in the file of
the check that judges it (readkit/check/checks/<id>.py, listed in its
`WorkflowCheck.facts`), with a `kind` that names it in the results file. The child records instances
(`Training.report(...)`); they cross the process boundary as JSON objects
(`encode`) and come back as the same classes (`Facts.decode`), so a check reads
`facts.of(Accumulated)` with typed fields, never a dict by string key.

Plain data: no torch, no libcst, no other readkit import. A fact stays inside
`check` (the checks turn facts into `Problem`s, which are results).
"""

from __future__ import annotations

import dataclasses
import types
import typing
from dataclasses import dataclass
from typing import Any, ClassVar, TypeVar

Line = tuple[str, int]  # (path, line) of the target's own code

@dataclass(frozen=True, kw_only=True)
class Fact:
    """Something the child saw at one line of the target's code."""

    kind: ClassVar[str] = ""  # the fact's name in the results file; unique
    path: str
    line: int

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if not cls.kind:
            raise TypeError(f"{cls.__name__}: a Fact needs a `kind`")

    @property
    def where(self) -> Line:
        return (self.path, self.line)


F = TypeVar("F", bound=Fact)


def encode(fact: Fact) -> dict[str, Any]:
    """A JSON-ready object: the fact's fields (tuples become lists)."""
    return dataclasses.asdict(fact)


class FactError(ValueError):
    """A results file's fact that does not match its declaration."""


def decode(kinds: dict[str, type[Fact]], kind: str, data: dict[str, Any]) -> Fact:
    """The `kind` fact of `kinds` (the declared fact classes by kind) with the fields in `data`."""
    cls = kinds.get(kind)
    if cls is None:
        raise FactError(f"unknown fact kind {kind!r}")
    hints = _hints(cls)
    try:
        values = {name: _coerce(hints[name], data[name]) for name in hints}
    except KeyError as missing:
        raise FactError(f"fact {kind!r} lacks the field {missing}") from None
    return cls(**values)


_HINTS: dict[type[Fact], dict[str, Any]] = {}


def _hints(cls: type[Fact]) -> dict[str, Any]:
    """The declared type of each field (resolved once per class)."""
    if cls not in _HINTS:
        names = {f.name for f in dataclasses.fields(cls)}
        _HINTS[cls] = {name: hint for name, hint in typing.get_type_hints(cls).items() if name in names}
    return _HINTS[cls]


def _coerce(hint: Any, value: Any) -> Any:
    """JSON lists back into the declared tuples (`Line`, `tuple[int, ...]`, `Line | None`)."""
    origin = typing.get_origin(hint)
    if origin in (typing.Union, types.UnionType):
        if value is None:
            return None
        inner = [arg for arg in typing.get_args(hint) if arg is not type(None)]
        return _coerce(inner[0], value) if len(inner) == 1 else value
    if origin is tuple and isinstance(value, (list, tuple)):
        args = typing.get_args(hint)
        if len(args) == 2 and args[1] is Ellipsis:
            return tuple(_coerce(args[0], item) for item in value)
        if len(args) != len(value):
            raise FactError(f"expected {len(args)} items, got {value!r}")
        return tuple(_coerce(arg, item) for arg, item in zip(args, value))
    if hint is float and isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    if hint in (str, int, bool) and type(value) is not hint:
        raise FactError(f"expected {hint.__name__}, got {value!r}")  # the results file is the target's to spoil
    return value


class Facts:
    """The facts of one run, by class."""

    def __init__(self, facts: list[Fact] | tuple[Fact, ...] = ()) -> None:
        self._by_kind: dict[str, list[Fact]] = {}
        for fact in facts:
            self._by_kind.setdefault(fact.kind, []).append(fact)

    def of(self, cls: type[F]) -> list[F]:
        return [fact for fact in self._by_kind.get(cls.kind, []) if isinstance(fact, cls)]

    @classmethod
    def decode(cls, raw: object, kinds: dict[str, type[Fact]]) -> tuple[Facts, list[str]]:
        """The facts of a results file ({kind: [fields]}) of the declared `kinds` (and, for callers that
        collect them, what could not be read: nothing, today). A fact that does not match its declaration
        raises FactError: the child writes only declared facts, so the file was spoiled."""
        facts: list[Fact] = []
        errors: list[str] = []
        if not isinstance(raw, dict):
            raise FactError("the facts are not an object")
        for kind, entries in raw.items():
            for entry in entries if isinstance(entries, list) else [entries]:
                if not isinstance(entry, dict):
                    raise FactError(f"fact {kind!r} is not an object")
                facts.append(decode(kinds, str(kind), entry))
        return cls(facts), errors
