"""Shared helpers for the migrate tests.

`stub_codemod` replaces the real codemod (readkit/migrate/codemod.py, owned by
the legacy-rules engineer) with a tiny text-level one, so that the command's own
behaviour — walking, diffs, writing, verification — is tested on its own.
`wrong_codemod` is a deliberately bad migration for --verify to catch.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from readkit.migrate import api
from readkit.results.migrate import Change, Note

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "migrate"


@dataclass(frozen=True)
class StubResult:
    code: str
    changes: list[Change] = field(default_factory=list)
    notes: list[Note] = field(default_factory=list)
    suppressed: tuple[object, ...] = ()
    overridden: tuple[object, ...] = ()


def _item_codemod(source: str, path: str = "<string>", observations=None, portable=False) -> StubResult:
    """`.data[0]` -> `.item()` on every line, by text: enough to exercise the command."""
    import libcst

    libcst.parse_module(source)  # raise ParserSyntaxError like the real codemod does
    changes, notes, out = [], [], []
    for number, line in enumerate(source.splitlines(keepends=True), start=1):
        new = line.replace(".data[0]", ".item()")
        if new != line:
            changes.append(Change(number, "data-index-zero", line.strip(), new.strip()))
        if "softmax(" in line and "dim" not in line:
            notes.append(Note(number, "implicit-softmax-dim", "needs a run to know the input's rank"))
        out.append(new)
    return StubResult("".join(out), changes, notes)


def _wrong_codemod(source: str, path: str = "<string>", observations=None, portable=False) -> StubResult:
    """A bad migration: fixes `.data[0]` but also changes a learning rate (numbers move)."""
    fixed = _item_codemod(source, path)
    code = re.sub(r"learning_rate = 1e-6", "learning_rate = 2e-6", fixed.code)
    return StubResult(code, fixed.changes, fixed.notes)


def _crashing_codemod(source: str, path: str = "<string>", observations=None, portable=False) -> StubResult:
    """A migration that breaks a running script: the result calls a name that does not exist."""
    fixed = _item_codemod(source, path)
    return StubResult(fixed.code.replace("loss.backward()", "loss.backward_()"), fixed.changes, fixed.notes)


@pytest.fixture
def stub_codemod(monkeypatch):
    monkeypatch.setattr(api, "_codemod", _item_codemod)


@pytest.fixture
def wrong_codemod(monkeypatch):
    monkeypatch.setattr(api, "_codemod", _wrong_codemod)


@pytest.fixture
def crashing_codemod(monkeypatch):
    monkeypatch.setattr(api, "_codemod", _crashing_codemod)


