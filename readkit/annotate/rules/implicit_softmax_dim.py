"""implicit-softmax-dim: `F.softmax(x)` without `dim` — torch guesses the dim from the rank."""

from __future__ import annotations

import libcst as cst

from readkit.annotate.rules._helpers import has_star_args, is_none_literal, keyword, make_keyword, positional, with_args
from readkit.annotate.rules._observed import observed_ranks
from readkit.annotate.rules.base import LegacyRule, RuleContext

# function -> index of `dim` among its positional parameters
FUNCTIONS = {
    "torch.nn.functional.softmax": 1,
    "torch.nn.functional.log_softmax": 1,
    "torch.nn.functional.softmin": 1,
}
MODULES = {"torch.nn.Softmax": 0, "torch.nn.LogSoftmax": 0, "torch.nn.Softmin": 0}


def legacy_softmax_dim(rank: int) -> int:
    """torch.nn.functional._get_softmax_dim: 0 for 0-D, 1-D and 3-D inputs, else 1."""
    return 0 if rank in (0, 1, 3) else 1


class ImplicitSoftmaxDim(LegacyRule):
    id = "implicit-softmax-dim"
    message = "softmax/log_softmax/softmin without dim=: the dim torch picks depends on the input's rank"
    modern = "the same function with dim= stated: F.log_softmax(x, dim=1), nn.Softmax(dim=1) (the class dimension)"
    why = "torch 2.13 warns 'Implicit dimension choice ... has been deprecated' and picks dim 1 for 2-D, 0 for 1-D/3-D."
    reference_step = "nn.relu_and_softmax"
    MARKED = (
        """
        import torch.nn.functional as F
        probs = F.softmax(logits)
        """,
        """
        from torch.nn import functional as Fn
        y = Fn.log_softmax(self.fc(x))
        """,
        """
        import torch.nn as nn
        self.out = nn.LogSoftmax()
        """,
        """
        from torch.nn.functional import softmin
        w = softmin(scores)
        """,
        """
        import torch.nn.functional as F
        p = F.softmax(logits, dim=None)
        """,
    )
    UNMARKED = (
        """
        import torch.nn.functional as F
        probs = F.softmax(logits, dim=1)
        """,
        """
        import mylib
        probs = mylib.softmax(logits)
        """,
        """
        import torch.nn.functional as F
        probs = F.log_softmax(logits, -1)
        """,
        """
        import torch.nn as nn
        self.out = nn.Softmax(dim=1)
        """,
    )
    FIXES = ()  # needs a run: see tests/migrate/test_codemod.py (observations decide dim)

    def visit_Call(self, node: cst.Call, ctx: RuleContext) -> None:
        given = keyword(node, "dim")
        if len(node.args) > 4 or (given is not None and not is_none_literal(given.value)):
            return  # cheap: these calls name their dim (or are not softmax at all)
        symbol = ctx.symbol(node.func)
        dim_index = FUNCTIONS.get(symbol or "", MODULES.get(symbol or ""))
        if dim_index is None or has_star_args(node) or len(positional(node)) > dim_index:
            return  # not softmax, or dim given by position
        if symbol in MODULES:
            note = "the rank is known only where the module is called: add dim= by hand"
            ctx.report(node, note=note, modern=_with_dim(node, given, CLASS_DIM))
            return
        dim = _dim_from_run(node, ctx)
        if dim is None:
            note = "the input's rank decides dim: run it (`readkit migrate --run`) or add dim= by hand"
            ctx.report(node, note=note, modern=_with_dim(node, given, CLASS_DIM))
            return
        ctx.report(node, replacement=_with_dim(node, given, dim))


CLASS_DIM = 1  # suggested without a run: the class dimension of an (N, C) batch, what torch picks for 2-D


def _with_dim(call: cst.Call, given: cst.Arg | None, dim: int) -> cst.Call:
    """The same call, the same function, with `dim=` stated (`dim=None` is the implicit choice too)."""
    args = [a for a in call.args if a is not given]
    return with_args(call, [*args, make_keyword("dim", cst.Integer(str(dim)))])


def _dim_from_run(node: cst.Call, ctx: RuleContext) -> int | None:
    """The dim torch picked, when the run saw one rank of tensors on this line."""
    seen = ctx.observed(node)
    if seen is None:
        return None
    ranks = observed_ranks(seen.shapes)
    return legacy_softmax_dim(ranks.pop()) if len(ranks) == 1 else None
