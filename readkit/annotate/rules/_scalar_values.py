"""Which values are 0-dim tensors today, from the code alone: for data-index-zero.

A 0.3-era loss or full reduction was a 1-element vector read with `.data[0]`; today it is
0-dim and `[0]` raises. From the code: a call of a loss (`F.nll_loss`, `criterion(out, y)`,
`loss.forward(out, y)`), a full reduction (`x.sum()`, `torch.mean(x)`), a name a script gives
its loss (`loss`, `errD_fake`), a name every value of which is one of those or that
`.backward()` runs on; and the `[0]`'s operand under `.data`/`.cpu()`/`.numpy()` (`chain_base`).
`accumulated_terms` finds the `loss.data` terms of a float sum read back with `[0]`.

What it leaves out: what a run saw (readkit.annotate.rules._zero_dim), reporting (the rule).
"""

from __future__ import annotations

import re

import libcst as cst

from readkit.annotate.rules._bindings import NameUses
from readkit.annotate.rules._context import is_torch_value
from readkit.annotate.rules._helpers import keyword, positional
from readkit.annotate.rules._zero_dim import is_index_zero
from readkit.annotate.rules.base import RuleContext

# Calls whose result is a 0-dim tensor when called without a dim: reductions and losses.
REDUCTIONS = frozenset("sum mean norm prod std var dot vdot max min median logsumexp".split())
# A name a 0.3-era script gives its scalar loss: loss, train_loss, lossD, d_loss, errG_fake ...
# not containers or weights (`losses`, `loss_history`, `loss_weights`).
_QUALIFIERS = "d|g|real|fake|train|val|valid|test|total|sum|avg|mean|batch|step|value|cls|reg|rec|kl|ce|mse|adv"
LOSS_NAME = re.compile(rf"^(?:\w*_)?(?:loss|Loss|err|cost|nll)(?:[A-Z]|\d+)?(?:_(?:{_QUALIFIERS}))?$")
NOT_REDUCED = ("none",)


# `.data`, `.cpu()`, `.numpy()`, `.detach()` between a loss and its `[0]`: loss.data.cpu().numpy()[0]
CHAIN_ATTRIBUTES = ("data",)
CHAIN_METHODS = ("cpu", "numpy", "detach")


def chain_base(expr: cst.BaseExpression) -> cst.BaseExpression | None:
    """`loss` of `loss.data`, `loss.data.cpu().numpy()`, `loss.cpu().data.numpy()`; None when the
    chain has no `.data` / `.numpy()` (a plain `x[0]` indexes, it does not unwrap)."""
    hops: list[str] = []
    while True:
        if isinstance(expr, cst.Attribute) and expr.attr.value in CHAIN_ATTRIBUTES:
            hops.append(expr.attr.value)
            expr = expr.value
        elif isinstance(expr, cst.Call) and not expr.args and isinstance(expr.func, cst.Attribute) \
                and expr.func.attr.value in CHAIN_METHODS:
            hops.append(expr.func.attr.value)
            expr = expr.func.value
        else:
            return expr if {"data", "numpy"} & set(hops) else None


def scalar_name(expr: cst.BaseExpression, uses: NameUses | None, ctx: RuleContext) -> bool:
    """Is `expr` a name whose every value is a full reduction or a loss
    (`correct = pred.eq(y).cpu().sum()`, `correct = 0; correct += pred.eq(y).sum()`), or one
    that `.backward()` is called on (only a one-element tensor has an implicit gradient)?"""
    if not isinstance(expr, cst.Name) or uses is None or uses.other:
        return False
    if _backward_called_on(uses.scope, expr.value):
        return True
    values = [v for v in uses.assigned if not _is_number(v)] + [a.value for a in uses.augmented]
    return bool(values) and all(_scalar_value(v, ctx) for v in values)


def _backward_called_on(scope: cst.CSTNode, name: str) -> bool:
    """`name.backward()` (no gradient given) somewhere in the scope."""
    found = False

    class _Backward(cst.CSTVisitor):
        def visit_Call(self, node: cst.Call) -> None:
            nonlocal found
            func = node.func
            if isinstance(func, cst.Attribute) and func.attr.value == "backward" and not positional(node) \
                    and isinstance(func.value, cst.Name) and func.value.value == name:
                found = True

    scope.visit(_Backward())
    return found


def _scalar_value(expr: cst.BaseExpression, ctx: RuleContext) -> bool:
    if isinstance(expr, cst.BinaryOperation):
        return all(_is_number(side) or _scalar_value(side, ctx) for side in (expr.left, expr.right))
    return scalar_like(expr, ctx)


def _is_number(expr: cst.BaseExpression) -> bool:
    return isinstance(expr, (cst.Integer, cst.Float))


def scalar_like(expr: cst.BaseExpression, ctx: RuleContext) -> bool:
    """Is `expr` a loss or a full reduction: a 0-dim tensor today?"""
    if isinstance(expr, cst.Call):
        return _scalar_call(expr, ctx)
    if isinstance(expr, cst.Name) and LOSS_NAME.match(expr.value):
        return not _unreduced(ctx.origin(expr))
    origin = ctx.origin(expr)  # only a loss producer: `x.sum(1)` and `x.sum()` share an origin
    return origin is not None and _scalar_producer(origin) and "Tensor" not in origin


def _scalar_call(call: cst.Call, ctx: RuleContext) -> bool:
    reduction = keyword(call, "reduction")
    if reduction is not None and isinstance(reduction.value, cst.SimpleString):
        if reduction.value.evaluated_value in NOT_REDUCED:
            return False
    if isinstance(call.func, cst.Attribute) and call.func.attr.value in REDUCTIONS:
        if ctx.symbol(call.func) == f"torch.{call.func.attr.value}":  # `torch.mean(x)`: one tensor, no dim
            return len(positional(call)) == 1 and len(call.args) == 1
        full = not positional(call) and keyword(call, "dim") is None
        return full and (is_torch_value(ctx, call.func.value) or ctx.origin(call.func.value) is None)
    symbol = ctx.symbol(call.func) or ctx.origin(call.func) or ""
    return _scalar_producer(symbol) or _loss_call(call, ctx)


# A callee named as a loss: `criterion(out, y)`, `self.loss_fn(out, y)`, `loss.forward(out, y)`.
LOSS_CALLEE = re.compile(r"^(?:\w+_)?criterion$|^(?:crit|loss|loss_fn|loss_func|lossfn|loss_function)$")
GENERIC_MODULE = "torch.nn.Module"  # what a module-like name (`criterion`) alone says


def _loss_call(call: cst.Call, ctx: RuleContext) -> bool:
    """Calling a loss module, directly or through `.forward(...)`: its value is the loss.

    A callee of known type decides by its type (`nn.NLLLoss` yes, `nn.Linear` no); one of
    unknown or generic origin by its name."""
    func = call.func
    if isinstance(func, cst.Attribute) and func.attr.value == "forward":
        func = func.value  # loss.forward(out, y) computes what loss(out, y) does
    origin = ctx.origin(func)
    if origin is not None and origin != GENERIC_MODULE:
        return _scalar_producer(origin) and "Tensor" not in origin
    name = func.value if isinstance(func, cst.Name) else func.attr.value if isinstance(func, cst.Attribute) else ""
    return bool(LOSS_CALLEE.match(name))


def _scalar_producer(qualname: str) -> bool:
    if not qualname.startswith("torch."):
        return False
    last = qualname.rsplit(".", 2)
    name = last[-1] if last[-1] != "__call__" else last[-2]
    return name.lower().endswith("loss") or name in REDUCTIONS and "Tensor" in qualname


def _unreduced(origin: str | None) -> bool:
    return False if origin is None else origin.endswith(".item")


# ---------------------------------------------------------------------- sums of `loss.data`


def accumulated_terms(uses: NameUses, ctx: RuleContext) -> list[cst.Attribute] | None:
    """The `loss.data` terms summed into a name that starts as a number, is only added to and
    read back with `[0]`; None when the name is used in any other way."""
    if uses.other or uses.attributes or not uses.augmented or not all(_is_number(v) for v in uses.assigned):
        return None
    if not all(is_index_zero(s) for s in uses.indexed):
        return None
    terms: list[cst.Attribute] = []
    for statement in uses.augmented:
        found = _data_terms(statement.value, ctx) if isinstance(statement.operator, ADDING) else None
        if not found:
            return None
        terms.extend(found)
    return terms


ADDING = (cst.AddAssign, cst.SubtractAssign)


def _data_terms(expr: cst.BaseExpression, ctx: RuleContext) -> list[cst.Attribute] | None:
    """The scalar `x.data` leaves of an arithmetic expression whose other leaves are not torch
    values (`len(data) * criterion(out, y).data`); None when another leaf is a tensor."""
    if isinstance(expr, cst.BinaryOperation):
        left, right = _data_terms(expr.left, ctx), _data_terms(expr.right, ctx)
        return None if left is None or right is None else left + right
    if isinstance(expr, cst.Attribute) and expr.attr.value == "data":
        return [expr] if scalar_like(expr.value, ctx) else None
    return None if is_torch_value(ctx, expr) or _mentions_data(expr) else []


def _mentions_data(expr: cst.BaseExpression) -> bool:
    return "data" in {n.value for n in _attribute_names(expr)}


def _attribute_names(expr: cst.BaseExpression) -> list[cst.Name]:
    found: list[cst.Name] = []

    class _Attrs(cst.CSTVisitor):
        def visit_Attribute(self, node: cst.Attribute) -> None:
            found.append(node.attr)

    expr.visit(_Attrs())
    return found
