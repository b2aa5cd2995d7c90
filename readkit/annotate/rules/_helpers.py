"""Small libcst helpers shared by the legacy rules: arguments, literals, dotted names.

Nothing here decides what is torch: that is `ctx.symbol` / `ctx.origin`, asked in _context.py.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import libcst as cst


# ----------------------------------------------------------------------------
# Arguments


def keyword(call: cst.Call, name: str) -> cst.Arg | None:
    """The `name=...` argument of a call, if given."""
    for arg in call.args:
        if arg.keyword is not None and arg.keyword.value == name:
            return arg
    return None


def positional(call: cst.Call) -> list[cst.Arg]:
    """Plain positional arguments (no keyword, no `*`/`**`)."""
    return [arg for arg in call.args if arg.keyword is None and arg.star == ""]


def has_star_args(call: cst.Call) -> bool:
    return any(arg.star != "" for arg in call.args)


def with_args(call: cst.Call, args: Sequence[cst.Arg]) -> cst.Call:
    """`call` with a new argument list. Arguments kept from the original (or replaced in
    place with `arg.with_changes(...)`) keep their commas and comments; new ones get the
    call's own separator style; the last one keeps the call's trailing-comma style."""
    originals = list(call.args)
    betweens = [o.comma for o in originals[:-1] if isinstance(o.comma, cst.Comma)]
    trailing = originals[-1].comma if originals else cst.MaybeSentinel.DEFAULT
    plain = _without_comment(betweens[-1]) if betweens else _SPACE_COMMA
    fixed = []
    for index, arg in enumerate(args):
        kept = any(arg.comma is comma for comma in betweens)
        if index < len(args) - 1:
            fixed.append(arg if kept else arg.with_changes(comma=plain))
        elif not (kept and _has_comment(arg.comma)):
            fixed.append(arg.with_changes(comma=trailing))
        else:
            fixed.append(arg)  # its comment stays with it
    return call.with_changes(args=fixed)


_SPACE_COMMA = cst.Comma(whitespace_after=cst.SimpleWhitespace(" "))


def _has_comment(comma: cst.Comma | cst.MaybeSentinel) -> bool:
    after = comma.whitespace_after if isinstance(comma, cst.Comma) else None
    return isinstance(after, cst.ParenthesizedWhitespace) and after.first_line.comment is not None


def _without_comment(comma: cst.Comma) -> cst.Comma:
    after = comma.whitespace_after
    if isinstance(after, cst.ParenthesizedWhitespace):
        bare = after.with_changes(first_line=cst.TrailingWhitespace(), empty_lines=[])
        return comma.with_changes(whitespace_after=bare)
    return comma


def make_keyword(name: str, value: cst.BaseExpression) -> cst.Arg:
    eq = cst.AssignEqual(cst.SimpleWhitespace(""), cst.SimpleWhitespace(""))
    return cst.Arg(value=value, keyword=cst.Name(name), equal=eq)


def rename_keyword(arg: cst.Arg, name: str) -> cst.Arg:
    assert arg.keyword is not None
    return arg.with_changes(keyword=arg.keyword.with_changes(value=name))


def bool_literal(expr: cst.BaseExpression) -> bool | None:
    """True/False for the literals `True`/`False` (and `1`/`0`), None for anything else."""
    if isinstance(expr, cst.Name) and expr.value in ("True", "False"):
        return expr.value == "True"
    if isinstance(expr, cst.Integer) and expr.value in ("0", "1"):
        return expr.value == "1"
    return None


def is_none_literal(expr: cst.BaseExpression) -> bool:
    return isinstance(expr, cst.Name) and expr.value == "None"


# ----------------------------------------------------------------------------
# Expressions


def dotted(name: str) -> cst.Name | cst.Attribute:
    """`torch.nn.functional.softmax` as an expression node."""
    head, *rest = name.split(".")
    node: cst.Name | cst.Attribute = cst.Name(head)
    for part in rest:
        node = cst.Attribute(value=node, attr=cst.Name(part))
    return node


def string(value: str) -> cst.SimpleString:
    return cst.SimpleString(repr(value))


_ATOMS = (
    cst.Name,
    cst.Attribute,
    cst.Call,
    cst.Subscript,
    cst.SimpleString,
    cst.ConcatenatedString,
    cst.FormattedString,
    cst.Integer,
    cst.Float,
    cst.List,
    cst.Tuple,
    cst.Dict,
    cst.Set,
    cst.ListComp,
    cst.GeneratorExp,
)


def atom(expr: cst.BaseExpression) -> cst.BaseExpression:
    """`expr`, parenthesized when it could not take `.method()` after it as written."""
    if isinstance(expr, _ATOMS) or expr.lpar:
        return expr
    return expr.with_changes(lpar=[cst.LeftParen()], rpar=[cst.RightParen()])


def method_call(receiver: cst.BaseExpression, name: str, args: Sequence[cst.Arg] = ()) -> cst.Call:
    func = cst.Attribute(value=atom(receiver), attr=cst.Name(name))
    return with_args(cst.Call(func=func), args) if args else cst.Call(func=func)


def free_value(expr: cst.BaseExpression, parent: cst.CSTNode | None) -> cst.BaseExpression:
    """`expr` ready to stand where a call stood: parenthesized if the parent binds tighter."""
    if isinstance(parent, (cst.Attribute, cst.Subscript, cst.Call, cst.BinaryOperation, cst.UnaryOperation)):
        return atom(expr)
    if isinstance(parent, (cst.BooleanOperation, cst.Comparison, cst.Await)):
        return atom(expr)
    return expr


# ----------------------------------------------------------------------------
# Statements


def no_grad_with(body: Sequence[cst.BaseStatement]) -> cst.With:
    """`with torch.no_grad():` around `body`; the first statement's comments and blank
    lines stay above the `with` (its children keep their identity)."""
    item = cst.WithItem(item=cst.Call(func=dotted("torch.no_grad")))
    first, *rest = body
    leading = list(getattr(first, "leading_lines", ()))
    if leading:
        first = first.with_changes(leading_lines=[])
    return cst.With(items=[item], body=cst.IndentedBlock(body=[first, *rest]), leading_lines=leading)


# ----------------------------------------------------------------------------
# Rewriting a subtree while keeping the identity of every untouched node


class KeepIdentity(cst.CSTTransformer):
    """A transformer whose untouched subtrees stay the *same objects*, so fixes
    reported on nodes inside them still find their node in the codemod."""

    def on_leave(self, original_node: cst.CSTNode, updated_node: cst.CSTNode) -> cst.CSTNode:  # type: ignore[override]  # libcst types on_leave with a union of removal sentinels
        result = super().on_leave(original_node, updated_node)
        if result is updated_node and _same_children(original_node, updated_node):
            return original_node
        return result  # type: ignore[return-value]  # the callback returns a node of the kind it was given


def _same_children(a: cst.CSTNode, b: cst.CSTNode) -> bool:
    left, right = a.children, b.children
    return len(left) == len(right) and all(x is y for x, y in zip(left, right))


def rewrite(node: cst.CSTNode, leave: Callable[[cst.CSTNode, cst.CSTNode], cst.CSTNode]) -> cst.CSTNode:
    """Apply `leave(original, updated)` bottom-up to every node under `node`, keeping identity elsewhere."""

    class _Rewrite(KeepIdentity):
        def on_leave(  # type: ignore[override]  # libcst types on_leave with a union of removal sentinels
            self, original_node: cst.CSTNode, updated_node: cst.CSTNode
        ) -> cst.CSTNode:
            kept = super().on_leave(original_node, updated_node)
            return leave(original_node, kept)

    return node.visit(_Rewrite())  # type: ignore[return-value]  # visiting a node gives back a node of its kind
