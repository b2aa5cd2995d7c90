"""data-index-zero: `loss.data[0]` — a 0.3-era loss was a 1-element vector; today it is 0-dim."""

from __future__ import annotations

import re

import libcst as cst

from readkit.annotate.rules._context import is_torch_value
from readkit.annotate.rules._helpers import keyword, method_call, positional
from readkit.annotate.rules.base import LegacyRule, RuleContext
from readkit.annotate.rules.implicit_softmax_dim import observed_ranks

# Calls whose result is a 0-dim tensor when called without a dim: reductions and losses.
REDUCTIONS = frozenset("sum mean norm prod std var dot vdot max min median logsumexp".split())
# A name a 0.3-era script gives its scalar loss: loss, train_loss, lossD, d_loss, errG_fake ...
# not containers or weights (`losses`, `loss_history`, `loss_weights`).
_QUALIFIERS = "d|g|real|fake|train|val|valid|test|total|sum|avg|mean|batch|step|value|cls|reg|rec|kl|ce|mse|adv"
LOSS_NAME = re.compile(rf"^(?:\w*_)?(?:loss|Loss|err|cost|nll)(?:[A-Z]|\d+)?(?:_(?:{_QUALIFIERS}))?$")
NOT_REDUCED = ("none",)


class DataIndexZero(LegacyRule):
    id = "data-index-zero"
    message = "`.data[0]` read a 0.3-era 1-element loss; losses are 0-dim tensors now"
    modern = "loss.item()"
    why = "torch 2.13 raises IndexError: invalid index of a 0-dim tensor. Use `tensor.item()`."
    reference_step = "optim.train_logistic_regression"
    MARKED = (
        "import torch.nn.functional as F\nloss = F.nll_loss(output, target)\nprint(loss.data[0])\n",
        "import torch.nn as nn\ncriterion = nn.CrossEntropyLoss()\ntotal += criterion(out, y).data[0]\n",
        "def log(loss):\n    return 'loss %.3f' % loss.data[0]\n",
        "import torch\ncorrect += pred.eq(target).sum().data[0]\n",
        "errD = errD_real + errD_fake\nprint(errD.data[0], lossG.data[0])\n",
    )
    UNMARKED = (
        "import torch\nw = torch.randn(3, 4)\nw.data[0].zero_()\n",
        "losses = [1.0, 2.0]\nprint(losses.data[0])\n",
        "row = batch.data[0]\n",
        "x = x.data[0][1]\n",
        "import torch\nprint(loss.item())\n",
        "import torch.nn.functional as F\nprint(F.mse_loss(a, b, reduction='none').data[0])\n",
        "import torch\nloss_history = torch.tensor(history)\nfirst = loss_history.data[0]\n",
        "class_loss_weights.data[0] = 2.0\n",
    )
    FIXES = (
        (
            "import torch.nn.functional as F\nloss = F.nll_loss(output, target)\nprint('loss', loss.data[0])  # log\n",
            "import torch.nn.functional as F\nloss = F.nll_loss(output, target)\nprint('loss', loss.item())  # log\n",
        ),
        (
            "import torch\ncorrect += pred.eq(target.data.view_as(pred)).cpu().sum().data[0]\n",
            "import torch\ncorrect += pred.eq(target.data.view_as(pred)).cpu().sum().item()\n",
        ),
        ("train_loss += loss.data[0] * len(x)\n", "train_loss += loss.item() * len(x)\n"),
    )

    def visit_Subscript(self, node: cst.Subscript, ctx: RuleContext) -> None:
        value = node.value
        if not (_index_is_zero(node) and isinstance(value, cst.Attribute) and value.attr.value == "data"):
            return
        if isinstance(ctx.parent(node), cst.Subscript):
            return  # `x.data[0][1]` indexes a matrix
        seen = _seen_ranks(node, ctx)
        if seen and 0 not in seen:
            return  # the run saw only tensors with dimensions here: `.data[0]` indexes one
        if seen == {0} or _scalar_like(value.value, ctx):
            ctx.report(node, replacement=method_call(value.value, "item"))


def _seen_ranks(node: cst.Subscript, ctx: RuleContext) -> set[int]:
    """Ranks of the tensors a run saw made on this line ({0} for `acc.data` of a 0-dim `acc`)."""
    seen = ctx.observed(node)
    return observed_ranks(seen.shapes) if seen is not None else set()


def _index_is_zero(node: cst.Subscript) -> bool:
    if len(node.slice) != 1 or not isinstance(node.slice[0].slice, cst.Index):
        return False
    index = node.slice[0].slice.value
    return isinstance(index, cst.Integer) and index.value == "0"


def _scalar_like(expr: cst.BaseExpression, ctx: RuleContext) -> bool:
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
        full = not positional(call) and keyword(call, "dim") is None
        return full and (is_torch_value(ctx, call.func.value) or ctx.origin(call.func.value) is None)
    symbol = ctx.symbol(call.func) or ctx.origin(call.func) or ""
    return _scalar_producer(symbol)


def _scalar_producer(qualname: str) -> bool:
    if not qualname.startswith("torch."):
        return False
    last = qualname.rsplit(".", 2)
    name = last[-1] if last[-1] != "__call__" else last[-2]
    return name.lower().endswith("loss") or name in REDUCTIONS and "Tensor" in qualname


def _unreduced(origin: str | None) -> bool:
    return False if origin is None else origin.endswith(".item")
