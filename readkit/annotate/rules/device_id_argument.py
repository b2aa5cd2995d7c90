"""device-id-argument: `model.cuda(device_id=0)` — the 0.1-0.2 keyword, `device=` since 0.3."""

from __future__ import annotations

import libcst as cst

from readkit.annotate.rules._context import is_torch_value
from readkit.annotate.rules._helpers import keyword, rename_keyword, with_args
from readkit.annotate.rules.base import LegacyRule, RuleContext


class DeviceIdArgument(LegacyRule):
    id = "device-id-argument"
    message = "`.cuda(device_id=...)` is the pre-0.3 spelling of `.cuda(device=...)`"
    modern = "model.cuda(device=0), or model.to(torch.device('cuda:0'))"
    why = "torch 2.13 raises TypeError: cuda() got an unexpected keyword argument 'device_id'."
    reference_step = "tensors.legacy_cuda_tensor_type"
    MARKED = (
        """
        import torch.nn as nn
        model = nn.Linear(2, 2).cuda(device_id=0)
        """,
        """
        import torch
        x = torch.ones(3)
        y = x.cuda(device_id=args.gpu)
        """,
        """
        model.cuda(device_id=1)
        """,
    )
    UNMARKED = (
        """
        import torch
        x = torch.ones(3).cuda(device=0)
        """,
        """
        import torch
        x = torch.ones(3).cuda(0)
        """,
        """
        import pycuda
        ctx = pycuda.Device(device_id=0)
        """,
    )
    FIXES = (
        (
            """
            import torch.nn as nn
            model = nn.Linear(2, 2).cuda(device_id=0)
            """,
            """
            import torch.nn as nn
            model = nn.Linear(2, 2).cuda(device=0)
            """,
        ),
        (
            """
            model.cuda(device_id=args.gpu)  # which GPU
            """,
            """
            model.cuda(device=args.gpu)  # which GPU
            """,
        ),
        (
            """
            import torch
            x = torch.ones(3)
            y = x.cuda(device_id=1)
            """,
            """
            import torch
            x = torch.ones(3)
            y = x.cuda(device=1)
            """,
        ),
    )

    def visit_Call(self, node: cst.Call, ctx: RuleContext) -> None:
        func = node.func
        old = keyword(node, "device_id")
        if old is None or not isinstance(func, cst.Attribute) or func.attr.value != "cuda":
            return
        # `.cuda(device_id=)` is torch's own old spelling: an unknown receiver counts too.
        if is_torch_value(ctx, func.value) or ctx.origin(func.value) is None:
            args = [rename_keyword(a, "device") if a is old else a for a in node.args]
            ctx.report(node, replacement=with_args(node, args))
