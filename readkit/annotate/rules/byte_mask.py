"""byte-mask: a uint8 mask (`m.byte()`, `torch.ByteTensor`) given to masked_fill / masked_select /
masked_scatter or used to assign through `x[mask] = v` — masks are bool since torch 1.2."""

from __future__ import annotations

import libcst as cst

from readkit.annotate.rules._bindings import name_uses
from readkit.annotate.rules._context import symbol_in
from readkit.annotate.rules._helpers import keyword, method_call, positional
from readkit.annotate.rules.base import LegacyRule, RuleContext

MASK_METHODS = frozenset("masked_fill masked_fill_ masked_select masked_scatter masked_scatter_".split())
MASK_FUNCTIONS = ("torch.masked_select",)  # the mask is the second argument
BYTE_TYPES = ("ByteTensor",)


class ByteMask(LegacyRule):
    id = "byte-mask"
    message = "a uint8 mask (`.byte()`, ByteTensor): masks are bool since torch 1.2"
    modern = "mask.bool(), or the comparison itself (`x > 0` is already a bool mask)"
    why = (
        "torch 2.13 raises RuntimeError 'masked_fill_ only supports boolean masks, but got mask with dtype "
        "unsigned char' (masked_select and masked_scatter too, and `x[mask] = v`); indexing with one is deprecated."
    )
    replaces_call = True  # `.byte()` -> `.bool()`
    MARKED = (
        """
        import torch
        x = x.masked_fill((x > 0).byte(), 0)
        """,
        """
        import torch
        mask = torch.ByteTensor([1, 0, 1])
        y = x.masked_select(mask)
        """,
        """
        import torch
        def f(scores, lengths):
            mask = (lengths == 0).byte()
            scores[mask] = -1e9
            return scores
        """,
    )
    UNMARKED = (
        """
        import torch
        x = x.masked_fill(x > 0, 0)
        """,
        """
        import torch
        mask = x.gt(0)
        y = x.masked_select(mask)
        """,
        """
        import torch
        img = img.byte()
        img[rows] = 255
        """,  # a uint8 image indexed by rows, not a mask
        """
        import torch
        y = x.masked_fill(mask, 0)
        """,  # mask's dtype is not known here
    )
    FIXES = (
        (
            """
            import torch
            x = x.masked_fill((x > 0).byte(), 0)
            """,
            """
            import torch
            x = x.masked_fill((x > 0).bool(), 0)
            """,
        ),
        (
            """
            import torch
            mask = torch.ByteTensor([1, 0, 1])
            y = x.masked_select(mask)
            """,
            """
            import torch
            mask = torch.tensor([1, 0, 1], dtype=torch.uint8)
            y = x.masked_select(mask.bool())
            """,
        ),
        (
            """
            import torch
            def f(scores, lengths):
                mask = (lengths == 0).byte()
                scores[mask] = -1e9
                return scores
            """,
            """
            import torch
            def f(scores, lengths):
                mask = (lengths == 0).byte()
                scores[mask.bool()] = -1e9
                return scores
            """,
        ),
    )

    def visit_Call(self, node: cst.Call, ctx: RuleContext) -> None:
        mask = _mask_argument(node, ctx)
        if mask is not None:
            self._fix(mask, node, ctx)

    def visit_AssignTarget(self, node: cst.AssignTarget, ctx: RuleContext) -> None:
        """`x[mask] = v` with a uint8 mask."""
        target = node.target
        if isinstance(target, cst.Subscript) and len(target.slice) == 1:
            index = target.slice[0].slice
            if isinstance(index, cst.Index):
                self._fix(index.value, node, ctx)

    def _fix(self, mask: cst.BaseExpression, anchor: cst.CSTNode, ctx: RuleContext) -> None:
        if _byte_call(mask):
            assert isinstance(mask, cst.Call) and isinstance(mask.func, cst.Attribute)
            ctx.report(mask, replacement=method_call(mask.func.value, "bool").with_changes(lpar=mask.lpar, rpar=mask.rpar))
        elif isinstance(mask, cst.Name) and _byte_name(mask, anchor, ctx):
            ctx.report(mask, replacement=method_call(mask, "bool"))


def _mask_argument(call: cst.Call, ctx: RuleContext) -> cst.BaseExpression | None:
    """The mask of `x.masked_fill(mask, v)` / `torch.masked_select(x, mask)`."""
    args = positional(call)
    if symbol_in(ctx, call.func, MASK_FUNCTIONS) is not None:
        found = args[1] if len(args) > 1 else keyword(call, "mask")
        return found.value if found is not None else None
    if isinstance(call.func, cst.Attribute) and call.func.attr.value in MASK_METHODS:
        found = args[0] if args else keyword(call, "mask")
        return found.value if found is not None else None
    return None


def _byte_call(expr: cst.BaseExpression) -> bool:
    """`m.byte()`."""
    return (
        isinstance(expr, cst.Call)
        and not expr.args
        and isinstance(expr.func, cst.Attribute)
        and expr.func.attr.value == "byte"
    )


def _byte_value(expr: cst.BaseExpression) -> bool:
    """`m.byte()`, `torch.ByteTensor(...)`, `torch.cuda.ByteTensor(...)`."""
    if _byte_call(expr):
        return True
    if not isinstance(expr, cst.Call):
        return False
    func = expr.func
    name = func.attr.value if isinstance(func, cst.Attribute) else func.value if isinstance(func, cst.Name) else ""
    return name in BYTE_TYPES


def _byte_name(name: cst.Name, anchor: cst.CSTNode, ctx: RuleContext) -> bool:
    """Is every value the name gets in its scope a uint8 tensor (and nothing else binds it)?"""
    uses = name_uses(ctx, anchor, name.value)
    return bool(uses.assigned) and not uses.augmented and not uses.other and all(_byte_value(v) for v in uses.assigned)
