"""The modern form of one legacy finding, on one line, built from the code in front of it.

A finding's suggestion is, in order: what the rule said to write for this span (a node
built from the call, or a sentence, when there is no mechanical fix); the fix itself,
written on one line (a multi-line call's arguments joined, comments dropped; a statement
whose body is one simple statement as `with torch.no_grad(): w -= lr * w.grad`); else
the rule's general modern form. Renderers show it; `readkit migrate` applies the fix.
"""

from __future__ import annotations

import libcst as cst

from readkit.annotate.rules.base import LegacyRule, Replacement

# a node built from the call, alternatives (`torch.tensor(n, ...)` or `torch.empty(n, ...)`), or a sentence
Suggestion = cst.BaseExpression | tuple[cst.BaseExpression, ...] | str


def suggestion(rule: type[LegacyRule], replacement: Replacement | None, given: Suggestion | None,
               module: cst.Module) -> str:
    if isinstance(given, str):
        return " ".join(given.split())
    if isinstance(given, tuple):
        return " or ".join(one_line(node, module) for node in given)
    if given is not None:
        return one_line(given, module)
    fixed = _fix_on_one_line(replacement, module)
    return fixed if fixed is not None else " ".join(rule.modern.split())


def one_line(node: cst.CSTNode, module: cst.Module) -> str:
    """`node`'s code on one line: line breaks inside brackets and comments dropped."""
    flat = node.visit(_OneLine())
    assert isinstance(flat, cst.CSTNode)
    return " ".join(module.code_for_node(flat).split())


def _fix_on_one_line(replacement: Replacement | None, module: cst.Module) -> str | None:
    if isinstance(replacement, cst.BaseExpression):
        return one_line(replacement, module)
    if isinstance(replacement, cst.SimpleStatementLine):
        return one_line(replacement.with_changes(leading_lines=[]), module)
    if isinstance(replacement, (cst.With, cst.If)) and isinstance(replacement.body, cst.IndentedBlock):
        body = replacement.body.body
        if len(body) == 1 and isinstance(body[0], cst.SimpleStatementLine):
            header = one_line(replacement.with_changes(body=cst.SimpleStatementSuite(body=[cst.Pass()]),
                                                       leading_lines=[]), module)
            return header.removesuffix("pass").rstrip() + " " + one_line(body[0], module)
    return None


class _OneLine(cst.CSTTransformer):
    """Parenthesized line breaks become plain spaces; comments (the line's own, readkit's included) go;
    a call loses its trailing comma."""

    def leave_ParenthesizedWhitespace(
        self, original_node: cst.ParenthesizedWhitespace, updated_node: cst.ParenthesizedWhitespace
    ) -> cst.BaseParenthesizableWhitespace:
        return cst.SimpleWhitespace("")

    def leave_TrailingWhitespace(self, original_node: cst.TrailingWhitespace,
                                 updated_node: cst.TrailingWhitespace) -> cst.TrailingWhitespace:
        return updated_node.with_changes(whitespace=cst.SimpleWhitespace(""), comment=None)  # the line's comment

    def leave_EmptyLine(self, original_node: cst.EmptyLine, updated_node: cst.EmptyLine) -> cst.EmptyLine:
        return updated_node.with_changes(comment=None)

    def leave_Comma(self, original_node: cst.Comma, updated_node: cst.Comma) -> cst.Comma:
        if isinstance(original_node.whitespace_after, cst.ParenthesizedWhitespace):
            return updated_node.with_changes(whitespace_after=cst.SimpleWhitespace(" "))
        return updated_node

    def leave_Call(self, original_node: cst.Call, updated_node: cst.Call) -> cst.Call:
        args = list(updated_node.args)
        if args and isinstance(args[-1].comma, cst.Comma):
            args[-1] = args[-1].with_changes(comma=cst.MaybeSentinel.DEFAULT)
        return updated_node.with_changes(args=args)
