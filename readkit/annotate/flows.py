"""What the walk has assigned so far in each open scope (flow mode), and the values of
expressions computed since the last assignment (a memo).

Every change to the flows goes through `open_flow` / `close_flow` / `set_flow` / `forget_flow`,
which empty the memo: an expression's value can only depend on the flows and on caches that
never change an answer once made. So within one statement every node is evaluated once,
however often the walk, the use hooks and the legacy rules ask (`x + 1 + 1 + ...` asks about
each operand once per enclosing operation: quadratic without the memo).
"""

from __future__ import annotations

import libcst as cst

from readkit.annotate.scopes import Scope
from readkit.annotate.values import Value

MemoKey = tuple[cst.CSTNode, Scope, bool]


class FlowState:
    """Mixed into evaluate.Evaluator."""

    _busy: set[object]  # guarded computations under way (summaries.py): no memo inside them

    def __init__(self) -> None:
        self.flows: dict[Scope, dict[str, Value | None]] = {}
        self._memo: dict[MemoKey, Value | None] = {}

    # ------------------------------------------------------------------ the flows

    def open_flow(self, scope: Scope, initial: dict[str, Value | None] | None = None) -> None:
        self.flows[scope] = dict(initial or {})
        self._memo.clear()

    def close_flow(self, scope: Scope) -> None:
        self.flows.pop(scope, None)
        self._memo.clear()

    def set_flow(self, scope: Scope, name: str, value: Value | None) -> None:
        self.flows.setdefault(scope, {})[name] = value
        self._memo.clear()

    def forget_flow(self, scope: Scope, name: str) -> None:
        """`def f` / `class C` rebinds the name: what it held before no longer flows."""
        self.flows.get(scope, {}).pop(name, None)
        self._memo.clear()

    # ------------------------------------------------------------------ the memo

    def memo_usable(self) -> bool:
        """Inside a guarded computation, values may rest on assumptions that are undone later."""
        return not self._busy

    def memoized(self, key: MemoKey) -> bool:
        return not self._busy and key in self._memo

    def remember(self, key: MemoKey, value: Value | None) -> None:
        if not self._busy:
            self._memo[key] = value
