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
        "from torch.utils.data import TensorDataset\nds = TensorDataset(data_tensor=x, target_tensor=y)\n",
        "import torch.utils.data as data\nds = data.TensorDataset(data_tensor=x, target_tensor=y)\n",
        "import torch\nds = torch.utils.data.TensorDataset(x, target_tensor=y)\n",
    )
    UNMARKED = (
        "from torch.utils.data import TensorDataset\nds = TensorDataset(x, y)\n",
        "from mylib import TensorDataset\nds = TensorDataset(data_tensor=x, target_tensor=y)\n",
        "from torch.utils.data import DataLoader\nloader = DataLoader(ds, batch_size=4)\n",
    )
    FIXES = (
        (
            "from torch.utils.data import TensorDataset\nds = TensorDataset(data_tensor=x, target_tensor=y)\n",
            "from torch.utils.data import TensorDataset\nds = TensorDataset(x, y)\n",
        ),
        (
            "import torch.utils.data as data\nds = data.TensorDataset(target_tensor=y, data_tensor=x)  # order fixed\n",
            "import torch.utils.data as data\nds = data.TensorDataset(x, y)  # order fixed\n",
        ),
        (
            "from torch.utils.data import TensorDataset\nds = TensorDataset(\n    data_tensor=x,  # inputs\n    target_tensor=y,\n)\n",
            "from torch.utils.data import TensorDataset\nds = TensorDataset(\n    x,  # inputs\n    y,\n)\n",
        ),
        (
            "import torch\nds = torch.utils.data.TensorDataset(x, target_tensor=y)\n",
            "import torch\nds = torch.utils.data.TensorDataset(x, y)\n",
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
