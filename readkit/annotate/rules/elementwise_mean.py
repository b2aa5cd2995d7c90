"""elementwise-mean: `reduction='elementwise_mean'` — the 0.4.1 spelling, renamed 'mean' in 1.0."""

from __future__ import annotations

import libcst as cst

from readkit.annotate.rules._helpers import keyword, string
from readkit.annotate.rules.base import LegacyRule, RuleContext


class ElementwiseMean(LegacyRule):
    id = "elementwise-mean"
    message = "reduction='elementwise_mean' is the torch 0.4.1 name of reduction='mean'"
    modern = "nn.MSELoss(reduction='mean')  (the default)"
    why = "torch 2.13 warns that 'elementwise_mean' is deprecated and uses 'mean'."
    reference_step = "nn.mse_loss"
    MARKED = (
        """
        import torch.nn as nn
        criterion = nn.MSELoss(reduction='elementwise_mean')
        """,
        """
        import torch.nn.functional as F
        loss = F.l1_loss(a, b, reduction="elementwise_mean")
        """,
        """
        from torch import nn
        loss_fn = nn.CrossEntropyLoss(weight=w, reduction='elementwise_mean')
        """,
    )
    UNMARKED = (
        """
        import torch.nn as nn
        criterion = nn.MSELoss(reduction='mean')
        """,
        """
        import mylib
        m = mylib.Loss(reduction='elementwise_mean')
        """,
        """
        reduction = 'elementwise_mean'
        """,
    )
    FIXES = (
        (
            """
            import torch.nn as nn
            criterion = nn.MSELoss(reduction='elementwise_mean')
            """,
            """
            import torch.nn as nn
            criterion = nn.MSELoss(reduction='mean')
            """,
        ),
        (
            """
            import torch.nn.functional as F
            loss = F.l1_loss(a, b, reduction="elementwise_mean")  # L1
            """,
            """
            import torch.nn.functional as F
            loss = F.l1_loss(a, b, reduction='mean')  # L1
            """,
        ),
        (
            """
            from torch import nn
            loss_fn = nn.CrossEntropyLoss(weight=w, reduction='elementwise_mean')
            """,
            """
            from torch import nn
            loss_fn = nn.CrossEntropyLoss(weight=w, reduction='mean')
            """,
        ),
    )

    def visit_Call(self, node: cst.Call, ctx: RuleContext) -> None:
        arg = keyword(node, "reduction")
        if arg is None or not isinstance(arg.value, cst.SimpleString):
            return
        if arg.value.evaluated_value != "elementwise_mean":
            return
        symbol = ctx.symbol(node.func)
        if symbol is None or not symbol.startswith("torch.nn"):
            return
        ctx.report(arg.value, replacement=string("mean"))
