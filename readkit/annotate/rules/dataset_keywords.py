"""dataset-keywords: `TensorDataset(data_tensor=x, target_tensor=y)` — positional tensors since 0.4."""

from __future__ import annotations

import libcst as cst

from readkit.annotate.rules._helpers import keyword, with_args
from readkit.annotate.rules.base import LegacyRule, RuleContext

TENSOR_DATASET = ("torch.utils.data.TensorDataset", "torch.utils.data.dataset.TensorDataset")
OLD_KEYWORDS = ("data_tensor", "target_tensor")


class DatasetKeywords(LegacyRule):
    id = "dataset-keywords"
    message = "TensorDataset(data_tensor=, target_tensor=) became TensorDataset(*tensors) in torch 0.4"
    modern = "TensorDataset(x, y)"
    why = "torch 2.13 raises TypeError: TensorDataset.__init__() got an unexpected keyword argument 'data_tensor'."
    reference_step = "optim.train_logistic_regression"
    MARKED = (
        """
        from torch.utils.data import TensorDataset
        ds = TensorDataset(data_tensor=x, target_tensor=y)
        """,
        """
        import torch.utils.data as data
        ds = data.TensorDataset(data_tensor=x, target_tensor=y)
        """,
        """
        import torch
        ds = torch.utils.data.TensorDataset(x, target_tensor=y)
        """,
    )
    UNMARKED = (
        """
        from torch.utils.data import TensorDataset
        ds = TensorDataset(x, y)
        """,
        """
        from mylib import TensorDataset
        ds = TensorDataset(data_tensor=x, target_tensor=y)
        """,
        """
        from torch.utils.data import DataLoader
        loader = DataLoader(ds, batch_size=4)
        """,
    )
    FIXES = (
        (
            """
            from torch.utils.data import TensorDataset
            ds = TensorDataset(data_tensor=x, target_tensor=y)
            """,
            """
            from torch.utils.data import TensorDataset
            ds = TensorDataset(x, y)
            """,
        ),
        (
            """
            import torch.utils.data as data
            ds = data.TensorDataset(target_tensor=y, data_tensor=x)  # order fixed
            """,
            """
            import torch.utils.data as data
            ds = data.TensorDataset(x, y)  # order fixed
            """,
        ),
        (
            """
            from torch.utils.data import TensorDataset
            ds = TensorDataset(
                data_tensor=x,  # inputs
                target_tensor=y,
            )
            """,
            """
            from torch.utils.data import TensorDataset
            ds = TensorDataset(
                x,  # inputs
                y,
            )
            """,
        ),
        (
            """
            import torch
            ds = torch.utils.data.TensorDataset(x, target_tensor=y)
            """,
            """
            import torch
            ds = torch.utils.data.TensorDataset(x, y)
            """,
        ),
    )

    def visit_Call(self, node: cst.Call, ctx: RuleContext) -> None:
        if not any(keyword(node, k) for k in OLD_KEYWORDS) or ctx.symbol(node.func) not in TENSOR_DATASET:
            return
        data, target = keyword(node, "data_tensor"), keyword(node, "target_tensor")
        plain = [a for a in node.args if a.keyword is None or a.keyword.value not in OLD_KEYWORDS]
        given = [a for a in (data, target) if a is not None]
        ordered = [a.with_changes(keyword=None, equal=cst.MaybeSentinel.DEFAULT) for a in given]
        if len(plain) + len(ordered) != 2 or any(a.keyword is not None or a.star for a in plain):
            ctx.report(node, note="pass the tensors positionally: TensorDataset(data, target)")
            return
        ctx.report(node, replacement=with_args(node, [*plain, *ordered]))
