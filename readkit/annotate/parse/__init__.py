"""`parse_module`: libcst's tree of a source, parsed in pieces when one parse would be slow or large.

libcst's native parser is quadratic in the length of a left-associative operator chain (a
5,000-term `x + 1 + ...` takes 7-8 s) and needs about 1 KB of working memory per character it
parses at once (a 27,000-line file peaks near 800 MB). For a large file or a long chain, the
source is cut where CPython's ast shows it can be (`plan.py`), the pieces are parsed apart and
joined (`stitch.py`) into the tree `libcst.parse_module(source)` gives: the same nodes with the
same whitespace, so `module.code == source` (checked) and `deep_equals` (tests/annotate/test_parse.py).
Whenever a piece does not come out as planned, the whole source is parsed at once: never a wrong
tree, and a source that does not parse fails with libcst's own error, as before.

Ordinary files (under 100 KB, fewer operator characters than a long chain has) are parsed at once
with nothing else done; so is any file without a long chain, a display over 25 KB, or (over 250 KB)
top-level statements to cut: the check of the result costs about a quarter of a parse, paid only
where the pieces save time or memory. CPython's tree of the source, when `files.check_analyzable`
has just built it, is reused (`remember_tree`) rather than parsed again.
"""

from __future__ import annotations

import ast
import collections

import libcst as cst

from readkit.annotate.parse.plan import Plan, make_plan, worth_planning
from readkit.annotate.parse.stitch import Stitcher, Unstitched

# How sources were parsed in this process: "whole", "pieces", "fallback" (pieces tried, then whole).
counts: collections.Counter[str] = collections.Counter()

_remembered: list[tuple[str, ast.Module]] = []  # at most one: the tree of the source checked last


def remember_tree(source: str, tree: ast.Module) -> None:
    """Keep CPython's tree of `source` for the `parse_module(source)` that follows (only where it will be used)."""
    _remembered.clear()
    if worth_planning(source):
        _remembered.append((source, tree))


def parse_module(source: str) -> cst.Module:
    """`libcst.parse_module(source)`, the same tree; raises libcst.ParserSyntaxError as it does."""
    plan = _plan(source)
    stitched = _stitched(source, plan) if plan is not None else None
    if stitched is not None:
        return stitched
    counts["whole"] += 1
    return cst.parse_module(source)


def _plan(source: str) -> Plan | None:
    """Where to cut `source`, from CPython's tree (remembered or built; dropped on return: it is as
    large as libcst's tree, and libcst's parse is next)."""
    tree = _take_tree(source)
    if not worth_planning(source):
        return None
    try:
        return make_plan(source, tree if tree is not None else _cpython_tree(source))
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None  # CPython rejects it, or it nests too deeply to plan: libcst says what it says


def _take_tree(source: str) -> ast.Module | None:
    """The remembered tree when it is this source's (and forget it either way)."""
    found = _remembered.pop() if _remembered else None
    return found[1] if found is not None and found[0] == source else None


def _cpython_tree(source: str) -> ast.Module:
    return ast.parse(source)


def _stitched(source: str, plan: Plan) -> cst.Module | None:
    """The tree put together from the plan's pieces, or None when it does not give the source back."""
    try:
        module = Stitcher(source, plan).module()
        same = module.code == source
    except (Unstitched, cst.ParserSyntaxError, RecursionError):
        same = False
    counts["pieces" if same else "fallback"] += 1
    return module if same else None
