"""size-average: `size_average=` / `reduce=` on losses — folded into `reduction=` in 0.4.1."""

from __future__ import annotations

import libcst as cst

from readkit.annotate.rules._helpers import bool_literal, is_none_literal, keyword, string, with_args
from readkit.annotate.rules.base import LegacyRule, RuleContext

LEGACY = ("size_average", "reduce")


def legacy_reduction(size_average: bool | None, reduce: bool | None) -> str:
    """torch.nn._reduction.legacy_get_string, without its warning: None means 'not given'."""
    size_average = True if size_average is None else size_average
    reduce = True if reduce is None else reduce
    if size_average and reduce:
        return "mean"
    return "sum" if reduce else "none"


class SizeAverage(LegacyRule):
    id = "size-average"
    message = "size_average= / reduce= were replaced by one reduction= argument in torch 0.4.1"
    modern = "nn.MSELoss(reduction='sum')  ('mean' | 'sum' | 'none')"
    why = "torch 2.13 warns 'size_average and reduce args will be deprecated, please use reduction=...' and maps them."
    reference_step = "nn.mse_loss"
    MARKED = (
        """
        import torch
        loss_fn = torch.nn.MSELoss(size_average=False)
        """,
        """
        import torch.nn.functional as F
        test_loss += F.nll_loss(output, target, size_average=False).item()
        """,
        """
        from torch import nn
        criterion = nn.BCELoss(reduce=False)
        """,
        """
        import torch.nn as nn
        loss = nn.L1Loss(size_average=flag)
        """,
    )
    UNMARKED = (
        """
        import torch
        loss_fn = torch.nn.MSELoss(reduction='sum')
        """,
        """
        from functools import reduce
        total = reduce(add, xs)
        """,
        """
        import mylib
        l = mylib.MSELoss(size_average=False)
        """,
    )
    FIXES = (
        (
            """
            import torch
            loss_fn = torch.nn.MSELoss(size_average=False)
            """,
            """
            import torch
            loss_fn = torch.nn.MSELoss(reduction='sum')
            """,
        ),
        (
            """
            import torch.nn.functional as F
            l = F.nll_loss(out, y, size_average=False, reduce=False)
            """,
            """
            import torch.nn.functional as F
            l = F.nll_loss(out, y, reduction='none')
            """,
        ),
        (
            """
            import torch.nn as nn
            c = nn.CrossEntropyLoss(weight=w, size_average=True, ignore_index=0)
            """,
            """
            import torch.nn as nn
            c = nn.CrossEntropyLoss(weight=w, reduction='mean', ignore_index=0)
            """,
        ),
        (
            """
            import torch.nn as nn
            criterion = nn.CrossEntropyLoss(
                size_average=False,  # sum
                weight=w,  # class weights
            )
            """,
            """
            import torch.nn as nn
            criterion = nn.CrossEntropyLoss(
                reduction='sum',  # sum
                weight=w,  # class weights
            )
            """,
        ),
        (
            """
            import torch.nn as nn
            c = nn.MSELoss(size_average=None, reduce=True, reduction='none')
            """,
            """
            import torch.nn as nn
            c = nn.MSELoss(reduction='mean')
            """,
        ),
    )

    def visit_Call(self, node: cst.Call, ctx: RuleContext) -> None:
        given = {name: keyword(node, name) for name in LEGACY}
        if not any(given.values()):
            return
        symbol = ctx.symbol(node.func)
        if symbol is None or not symbol.startswith("torch.nn"):
            return
        values = {name: _literal(arg) for name, arg in given.items()}
        if any(value == "unknown" for value in values.values()):
            note = "size_average/reduce are not literals here: choose reduction= by hand"
            ctx.report(node, note=note, modern=with_args(node, _with_reduction(node, _reduction_of(given, values))))
            return
        if values["size_average"] is None and values["reduce"] is None:
            kept = [a for a in node.args if a.keyword is None or a.keyword.value not in LEGACY]
            ctx.report(node, replacement=with_args(node, kept))  # both None: torch keeps reduction=
            return
        reduction = legacy_reduction(values["size_average"], values["reduce"])  # type: ignore[arg-type]  # both are present here: the None cases returned above
        ctx.report(node, replacement=with_args(node, _with_reduction(node, reduction)))


def _reduction_of(given: dict[str, cst.Arg | None], values: dict[str, bool | None | str]) -> cst.BaseExpression:
    """`reduction=` for flags known only at run time, as torch maps them:
    `size_average=flag` -> `'mean' if flag else 'sum'`; `reduce=r` -> `... if r else 'none'`."""
    def flag(name: str) -> cst.BaseExpression | bool:
        arg = given[name]
        return arg.value if values[name] == "unknown" and arg is not None else values[name] is not False

    size_average, reduce = flag("size_average"), flag("reduce")
    reduced: cst.BaseExpression = (string("mean" if size_average else "sum") if isinstance(size_average, bool)
                                   else _either(size_average, "mean", "sum"))
    if isinstance(reduce, bool):
        return reduced if reduce else string("none")
    return _either(reduce, reduced, "none")


def _either(test: cst.BaseExpression, yes: cst.BaseExpression | str, no: str) -> cst.IfExp:
    body = string(yes) if isinstance(yes, str) else yes
    if isinstance(body, cst.IfExp):
        body = body.with_changes(lpar=[cst.LeftParen()], rpar=[cst.RightParen()])
    return cst.IfExp(test=test, body=body, orelse=string(no))


def _with_reduction(call: cst.Call, reduction: str | cst.BaseExpression) -> list[cst.Arg]:
    """The arguments with `reduction=` where the first legacy (or reduction) argument stood."""
    args: list[cst.Arg] = []
    placed = False
    for arg in call.args:
        if arg.keyword is None or arg.keyword.value not in (*LEGACY, "reduction"):
            args.append(arg)
        elif not placed:
            value = string(reduction) if isinstance(reduction, str) else reduction
            args.append(arg.with_changes(keyword=cst.Name("reduction"), value=value))
            placed = True
    return args


def _literal(arg: cst.Arg | None) -> bool | None | str:
    """The argument's literal value: True/False, None when absent or `None`, 'unknown' otherwise.
    When size_average/reduce are given, torch ignores reduction= (legacy_get_string wins)."""
    if arg is None or is_none_literal(arg.value):
        return None
    value = bool_literal(arg.value)
    return "unknown" if value is None else value
