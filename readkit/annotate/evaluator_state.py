"""The state and core methods of evaluate.Evaluator that its mixins (classes.py, params.py) use:
declared once here so that each mixin type-checks on its own."""

from __future__ import annotations

from typing import TYPE_CHECKING

import libcst as cst

from readkit.annotate.repo_types import ExternalClass
from readkit.annotate.scopes import Assigned, ClassInfo, FunctionInfo, Scope
from readkit.annotate.values import Value

if TYPE_CHECKING:
    from readkit.annotate.declare import Declarer


class EvaluatorState:
    """Declarations only; evaluate.Evaluator provides them."""

    classes: dict[str, ClassInfo | ExternalClass]
    functions: dict[str, FunctionInfo]
    _busy: set[object]
    _bases: dict[str, str | None]
    _results: dict[str | None, Value | None]
    declarer: Declarer

    if TYPE_CHECKING:
        def value(self, expr: cst.BaseExpression, scope: Scope, flow: bool = True) -> Value | None: ...
        def lookup(self, name: str, scope: Scope, flow: bool = True) -> Value | None: ...
        def assigned(self, binding: Assigned, scope: Scope, flow: bool) -> Value | None: ...
