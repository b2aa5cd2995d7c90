"""The one batched walk: every node once, in source order. Each node's legacy-rule visits
run first, then its use hook (uses.py) or, for statements that bind names or open scopes,
its statement handler (statements.py), which walks the children in the order Python runs them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import libcst as cst

from readkit.annotate import statements as st
from readkit.annotate.uses import UseRecorder
from readkit.annotate.walker import Walker


class TreeWalker(Walker):
    """Visits every node once: statement handlers for binding statements, use hooks for the rest."""

    def walk(self, node: cst.CSTNode) -> None:
        for visit in self.visitors.get(type(node), ()):
            visit(node)
        special = _SPECIAL.get(type(node))
        if special is not None:
            special(self, node)
            return
        hook = _HOOKS.get(type(node))
        if hook is not None and not self.quiet:
            hook(self, node)
        self.children(node)


_SPECIAL: dict[type, Callable[[Any, Any], None]] = {
    cst.For: st.for_statement, cst.Assign: st.assign, cst.AnnAssign: st.ann_assign, cst.AugAssign: st.aug_assign,
    cst.With: st.with_statement, cst.FunctionDef: st.function_def, cst.ClassDef: st.class_def, cst.Lambda: st.lambda_expr,
    cst.ListComp: st.comprehension, cst.SetComp: st.comprehension, cst.GeneratorExp: st.comprehension,
    cst.DictComp: st.comprehension, cst.CompFor: st.comp_for, cst.Annotation: st.annotation_node,
    cst.Import: st.quietly, cst.ImportFrom: st.quietly,
}

_HOOKS: dict[type, Callable[[Any, Any], None]] = {
    cst.Call: UseRecorder.on_call, cst.Attribute: UseRecorder.on_attribute, cst.BinaryOperation: UseRecorder.on_operation,
    cst.UnaryOperation: UseRecorder.on_operation, cst.Comparison: UseRecorder.on_operation,
    cst.Subscript: UseRecorder.on_subscript, cst.Decorator: UseRecorder.on_decorator,
    cst.FormattedStringExpression: UseRecorder.on_formatted, cst.If: UseRecorder.on_test,
    cst.While: UseRecorder.on_test, cst.Assert: UseRecorder.on_test, cst.IfExp: UseRecorder.on_test,
    cst.BooleanOperation: UseRecorder.on_boolean,
}

