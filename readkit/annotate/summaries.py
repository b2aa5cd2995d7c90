"""Values that depend on themselves, solved as a fixpoint: `inputs, lam = mixup(inputs, lam)`
rebinds `inputs` from a function whose parameter `x` is learnt from that very call.

Every guarded computation (a name's summary, a parameter's call sites) runs its candidates;
a candidate that came out unknown only because it met the computation itself again is left
out for now (optimistic), and the computation that was met again checks the assumption: it
assumes the agreed value, recomputes everything derived since it started, and keeps the value
only when the recomputation agrees. What was derived under a failed assumption is forgotten."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from readkit.annotate.origins import agree, binds_none
from readkit.annotate.scopes import Binding, Scope
from readkit.annotate.values import Value

Candidate = Callable[[], "Value | None"]
# How many summaries and results existed when a computation started. Both tables only grow in
# insertion order, and only entries newer than a snapshot are ever forgotten, so the entries
# derived since a snapshot are the ones past its count (a count, not a copy of the keys: a copy
# per computation made a file's cost quadratic in its number of names).
Snapshot = tuple[int, int]


class SummaryOrigins:
    """Mixed into evaluate.Evaluator."""

    _summaries: dict[tuple[int, str], Value | None]
    _results: dict[str | None, Value | None]
    _busy: set[object]
    _reentered: set[object]
    _assumed: dict[object, Value]
    _cycles: int

    if TYPE_CHECKING:
        def binding_value(self, binding: Binding, scope: Scope) -> Value | None: ...

    def summary(self, scope: Scope, name: str) -> Value | None:
        key = (id(scope), name)
        if key in self._summaries:
            return self._summaries[key]
        if key in self._busy:
            return self.met_again(key)
        result = self.solve(key, [lambda b=b: self.binding_value(b, scope)  # type: ignore[misc]  # mypy cannot type a lambda's default arguments (they bind the loop variable)
                                  for b in scope.bindings[name] if not binds_none(b)], agree)
        self._summaries[key] = result
        return result

    def met_again(self, key: object) -> Value | None:
        """A guarded computation reached from inside itself: its assumed value, else unknown (a cycle)."""
        assumed = self._assumed.get(key)
        if assumed is None:
            self._reentered.add(key)
            self._cycles += 1
        return assumed

    def solve(self, key: object, candidates: Sequence[Candidate],
              combine: Callable[[list[Value | None]], Value | None]) -> Value | None:
        snapshot: Snapshot = (len(self._summaries), len(self._results))
        self._busy.add(key)
        found = self._optimistic(candidates)
        result = combine(found)
        if key in self._reentered:
            self._reentered.discard(key)
            result = self._checked(key, candidates, combine, result, snapshot)
        self._busy.discard(key)
        return result

    def _optimistic(self, candidates: Sequence[Candidate]) -> list[Value | None]:
        found: list[Value | None] = []
        for candidate in candidates:
            cycles = self._cycles
            value = candidate()
            if value is not None or self._cycles == cycles:
                found.append(value)
        return found

    def _checked(self, key: object, candidates: Sequence[Candidate],
                 combine: Callable[[list[Value | None]], Value | None], guess: Value | None,
                 snapshot: Snapshot) -> Value | None:
        self._forget(snapshot)  # derived while this value was unknown
        if guess is None:
            return None
        self._assumed[key] = guess
        again = combine(self._optimistic(candidates))
        del self._assumed[key]
        if again is None or agree([again, guess]) is None:
            self._forget(snapshot)  # derived from an assumption that did not hold
            return None
        return again

    def _forget(self, snapshot: Snapshot) -> None:
        for old in list(self._summaries)[snapshot[0]:]:
            del self._summaries[old]
        for done in list(self._results)[snapshot[1]:]:
            del self._results[done]
