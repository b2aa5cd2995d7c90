"""What a run says about `x[0]` / `x.data[0]`: was `x` a 0-dim tensor there?

The facts, strongest first:
- the run stopped on this line with "invalid index of a 0-dim tensor" (or numpy's "array is
  0-dimensional") and this is the only `[0]` of the line that could have raised it;
- for `x.data[0]`: `.data` made a tensor on this line, and every tensor made here was 0-dim
  (or none was: then `.data[0]` indexed a tensor with dimensions);
- for a name: every line that assigned it made 0-dim tensors only (or only tensors with
  dimensions: then its `[0]` indexes a row).
Without a run, or when the facts disagree, there is no answer (None) and the rule decides
from the code alone.
"""

from __future__ import annotations

import libcst as cst

from readkit.annotate.rules._bindings import NameUses
from readkit.annotate.rules._context import ancestors
from readkit.annotate.rules._observed import observed_ranks
from readkit.annotate.rules.base import RuleContext

ZERO_DIM_ERRORS = ("invalid index of a 0-dim tensor", "array is 0-dimensional")


def zero_dim_fact(node: cst.Subscript, unwraps: bool, uses: NameUses | None, ctx: RuleContext) -> bool | None:
    """True: the run saw `[0]` applied to a 0-dim value here; False: to a value with dimensions;
    None: no run, or nothing decisive. `unwraps`: the subscript reads `x.data[0]` (the line's
    tensors then include the operand itself); `uses`: the base name's uses, when it is a name."""
    seen = ctx.observed(node)
    if seen is not None and seen.raised.startswith("IndexError") and any(e in seen.raised for e in ZERO_DIM_ERRORS):
        if _only_candidate(node, ctx):
            return True
    if unwraps and seen is not None and seen.shapes:
        ranks = observed_ranks(seen.shapes)
        if ranks == {0}:
            return True
        if 0 not in ranks:
            return False
    return _assigned_fact(uses, ctx) if uses is not None else None


def _assigned_fact(uses: NameUses, ctx: RuleContext) -> bool | None:
    """Ranks made on the lines that assign the name: all 0-dim, or none 0-dim."""
    if uses.augmented or uses.other or not uses.assigned:
        return None
    facts = []
    for value in uses.assigned:
        seen = ctx.observed(value)
        ranks = observed_ranks(seen.shapes) if seen is not None else set()
        facts.append(True if ranks == {0} else False if ranks and 0 not in ranks else None)
    if all(f is True for f in facts):
        return True
    return False if all(f is False for f in facts) else None


def _only_candidate(node: cst.Subscript, ctx: RuleContext) -> bool:
    """Is `node` the only `[0]` of its line that can have raised (the run names a line, not a column)?"""
    statement = next((p for p in ancestors(ctx, node)
                      if isinstance(p, (cst.BaseSmallStatement, cst.BaseCompoundStatement))), None)
    if statement is None:
        return True
    seen = ctx.observed(node)
    finder = _ZeroIndexes()
    statement.visit(finder)
    same_line = [s for s in finder.found if ctx.observed(s) is seen]
    return same_line == [node]


class _ZeroIndexes(cst.CSTVisitor):
    """Every outermost `x[0]` read: `x[0][1]` indexes a matrix, and its inner `[0]` is not a candidate."""

    def __init__(self) -> None:
        self.found: list[cst.Subscript] = []

    def visit_Subscript(self, node: cst.Subscript) -> bool:
        if is_index_zero(node):
            self.found.append(node)
        return True

    def leave_Subscript(self, node: cst.Subscript) -> None:
        inner = node.value
        if isinstance(inner, cst.Subscript) and inner in self.found:
            self.found.remove(inner)


def is_index_zero(node: cst.Subscript) -> bool:
    if len(node.slice) != 1 or not isinstance(node.slice[0].slice, cst.Index):
        return False
    index = node.slice[0].slice.value
    return isinstance(index, cst.Integer) and index.value == "0"


def is_store(node: cst.Subscript, ctx: RuleContext) -> bool:
    """`x.data[0] = v`, `x[0] += v`, `del x[0]`: a write, which `.item()` cannot replace."""
    parent = ctx.parent(node)
    while isinstance(parent, (cst.Element, cst.Tuple, cst.List, cst.StarredElement)):
        parent = ctx.parent(parent)
    if isinstance(parent, (cst.AssignTarget, cst.Del)):
        return True
    return isinstance(parent, (cst.AugAssign, cst.AnnAssign)) and parent.target is node
