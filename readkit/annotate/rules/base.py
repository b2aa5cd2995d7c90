"""The interface every legacy-idiom rule implements (one rule per file in this package).

A rule is data plus small visit methods, in the style of Fixit: its id, message,
modern form and examples are class attributes; the examples are its tests
(tests/annotate/test_rules.py runs every rule's MARKED/UNMARKED/FIXES/NOTED) and the
source of docs/rules/. Examples are written as code, in indented triple-quoted strings
(as LibCST's codemod tests do); each is dedented once, when the class is defined.
Rules are discovered by `all_rules()`, never listed by hand: a new rule is one file
here (docs/annotate.md, "Adding a legacy rule").

The engine (readkit.annotate.engine) makes one batched visit per file and calls
each rule's `visit_<NodeType>(node, ctx)` methods; `ctx` answers questions about
names and values so that no rule compares source text to find torch.

Contract with the engine: a rule class takes no constructor arguments and is
instantiated once per file (`rule = cls()`), so a rule may keep per-file state
on `self`; visit methods are instance methods `visit_Call(self, node, ctx)`,
called in source order (parents before children). A rule reports each finding
once, on the node whose span the finding names; its `replacement` is built from
the original child nodes (never re-parsed text) so that nested fixes compose.
"""

from __future__ import annotations

import importlib
import pkgutil
import textwrap
from collections.abc import Callable, Hashable
from typing import Any, ClassVar, Protocol, TypeVar

import libcst as cst

from readkit.results.check import LineObservation
from readkit.results.annotate import RuleInfo

T = TypeVar("T")


# A fix for a node's span: a node of the same kind; for a statement, several statements
# (FlattenSentinel) or none (RemovalSentinel.REMOVE).
Replacement = cst.CSTNode | cst.RemovalSentinel | cst.FlattenSentinel[cst.BaseStatement]


class RuleContext(Protocol):
    """What the engine tells a rule about the file being visited."""

    def symbol(self, node: cst.CSTNode) -> str | None:
        """Qualified torch name an expression names (`F.softmax` -> "torch.nn.functional.softmax"), else None."""
        ...

    def origin(self, node: cst.CSTNode) -> str | None:
        """Qualified torch type or producer the expression's *value* comes from
        (`loss` after `loss = criterion(a, b)` -> "torch.Tensor"; `opt` -> "torch.optim.SGD"), else None."""
        ...

    def parent(self, node: cst.CSTNode) -> cst.CSTNode | None:
        ...

    def code(self, node: cst.CSTNode) -> str:
        """Source code of a node, as written."""
        ...

    def observed(self, node: cst.CSTNode) -> LineObservation | None:
        """What `readkit check` saw on the node's line, when a run was given (`migrate --run`)."""
        ...

    def per_file(self, key: Hashable, make: Callable[[], T]) -> T:
        """A fact derived once per file and shared by every rule (an index of a scope's names):
        `make()` on the first call with `key`, the same object afterwards."""
        ...

    def report(
        self,
        node: cst.CSTNode,
        *,
        message: str | None = None,
        replacement: Replacement | None = None,
        note: str | None = None,
        modern: cst.BaseExpression | tuple[cst.BaseExpression, ...] | str | None = None,
    ) -> None:
        """Flag `node`. `replacement` (same node kind; several statements for a statement) is the migrator's fix for that span;
        `note` says why no fix was given (e.g. 'softmax dim needs a run to know the rank');
        `modern` is what to write instead, built from the code found, where the fix (on one line) does not say it:
        `F.log_softmax(x, dim=1)` for `F.log_softmax(x)`; alternatives are shown joined by "or"
        (readkit.annotate.suggest)."""
        ...


class LegacyRule:
    """Base class: subclass it once per file, fill in the data, add visit_<NodeType> methods."""

    id: ClassVar[str]  # the idiom id, e.g. "data-index-zero" (its page: docs/rules/<id>.md)
    message: ClassVar[str]  # one line: what is legacy here
    modern: ClassVar[str]  # the modern form, as a learner would write it
    why: ClassVar[str]  # what current torch does with the old form (docs: "Why is this bad")
    reference_step: ClassVar[str | None] = None  # `readkit run-reference --step` showing old vs new
    MARKED: ClassVar[tuple[str, ...]] = ()  # code that must be flagged (>= 3)
    UNMARKED: ClassVar[tuple[str, ...]] = ()  # look-alikes that must not be flagged (>= 3)
    FIXES: ClassVar[tuple[tuple[str, str], ...]] = ()  # (before, after) pairs for `readkit migrate`
    NOTED: ClassVar[tuple[str, ...]] = ()  # flagged, but left unchanged by the migrator with a note saying why
    # When a fix replaces a statement by `with ...:` around it, the migrator moves the
    # rest of that block into the `with` too (volatile evaluation -> torch.no_grad()).
    absorbs_rest_of_block: ClassVar[bool] = False
    # A portability note, not a legacy idiom (current torch, but CUDA-only): annotate reports it,
    # and `readkit migrate` applies its fixes only with --portable (a note says so otherwise).
    portability: ClassVar[bool] = False
    # Its fix calls something else by design (a renamed or removed function, a new constructor,
    # `.bool()` for `.byte()`). Every other rule's suggestion keeps the function called and adds what
    # is missing (tests/annotate/test_rules.py checks it over every example).
    replaces_call: ClassVar[bool] = False

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        for name in ("MARKED", "UNMARKED", "NOTED"):
            if name in cls.__dict__:
                setattr(cls, name, tuple(snippet(code) for code in cls.__dict__[name]))
        if "FIXES" in cls.__dict__:
            cls.FIXES = tuple((snippet(before), snippet(after)) for before, after in cls.__dict__["FIXES"])


def snippet(code: str) -> str:
    """An example as written in a rule (an indented triple-quoted string starting on the
    line after its quotes) as the code it stands for: dedented, without that first newline."""
    return textwrap.dedent(code.removeprefix("\n"))


def all_rules() -> tuple[type[LegacyRule], ...]:
    """Every LegacyRule subclass defined in this package, sorted by id."""
    package = importlib.import_module(__package__ or "readkit.annotate.rules")
    for info in pkgutil.iter_modules(package.__path__):
        if info.name != "base" and not info.name.startswith("_"):
            importlib.import_module(f"{package.__name__}.{info.name}")
    found = {cls.id: cls for cls in _subclasses(LegacyRule) if getattr(cls, "id", None)}
    return tuple(found[key] for key in sorted(found))


def rule_catalogue() -> tuple[RuleInfo, ...]:
    """Every legacy rule as documentation data (results carry it; render never imports rules)."""
    return tuple(RuleInfo(rule.id, rule.message, rule.why, rule.modern, rule.MARKED[0] if rule.MARKED else None,
                          rule.reference_step) for rule in all_rules())


def _subclasses(cls: type[LegacyRule]) -> list[type[LegacyRule]]:
    out: list[type[LegacyRule]] = []
    for sub in cls.__subclasses__():
        out.append(sub)
        out.extend(_subclasses(sub))
    return out
