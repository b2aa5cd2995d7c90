"""renamed-function: functions renamed since 0.3 whose old names still run, with a warning."""

from __future__ import annotations

import libcst as cst

from readkit.annotate.rules._context import spell
from readkit.annotate.rules._helpers import (
    has_star_args,
    keyword,
    make_keyword,
    positional,
    string,
    with_args,
)
from readkit.annotate.rules._tensor_types import CPU_TYPES, dtype_node, type_of
from readkit.annotate.rules.base import LegacyRule, RuleContext

_INIT = (
    "normal uniform constant xavier_uniform xavier_normal kaiming_uniform kaiming_normal orthogonal sparse eye dirac"
)
# old -> new, same arguments
SAME_ARGUMENTS = {
    **{f"torch.nn.init.{name}": f"torch.nn.init.{name}_" for name in _INIT.split()},
    "torch.nn.utils.clip_grad_norm": "torch.nn.utils.clip_grad_norm_",
    "torch.nn.functional.upsample": "torch.nn.functional.interpolate",
    "torch.nn.functional.sigmoid": "torch.sigmoid",
    "torch.nn.functional.tanh": "torch.tanh",
    "torch.nn.NLLLoss2d": "torch.nn.NLLLoss",
}
# old -> (new, device string it now takes first): the 1.6-era amp spellings
WITH_DEVICE = {
    "torch.cuda.amp.autocast": ("torch.amp.autocast", "cuda"),
    "torch.cuda.amp.GradScaler": ("torch.amp.GradScaler", "cuda"),
    "torch.cpu.amp.autocast": ("torch.amp.autocast", "cpu"),
}
# old -> (new, keywords the old one implied)
WITH_MODE = {
    "torch.nn.functional.upsample_nearest": ("torch.nn.functional.interpolate", (("mode", "nearest"),)),
    "torch.nn.functional.upsample_bilinear": ("torch.nn.functional.interpolate", (("mode", "bilinear"), ("align_corners", True))),
}
# old -> new, fixed only with the single-tensor call form (other arguments changed meaning)
SINGLE_ARGUMENT = {"torch.cholesky": "torch.linalg.cholesky", "torch.qr": "torch.linalg.qr"}
NOTES = {
    "torch.range": "torch.arange excludes the end and returns int64 for ints: arange(start, end + step, dtype=...)",
    "torch.set_default_tensor_type": "use torch.set_default_dtype(...) and torch.set_default_device(...)",
    "torch.chain_matmul": "use torch.linalg.multi_dot([a, b, c]) (a list)",
    "torch.lu": "use torch.linalg.lu_factor(A)",
    "torch.triangular_solve": "use torch.linalg.solve_triangular(A, B, upper=...) (arguments reversed)",
    "torch.nn.utils.weight_norm": "use torch.nn.utils.parametrizations.weight_norm (state_dict keys change)",
    **{old: f"use {new}(A) (see its documentation for the changed options)" for old, new in SINGLE_ARGUMENT.items()},
}
RENAMED = {**SAME_ARGUMENTS, **{old: new for old, (new, _) in [*WITH_MODE.items(), *WITH_DEVICE.items()]}, **NOTES}


class RenamedFunction(LegacyRule):
    id = "renamed-function"
    message = "renamed function: the old name still runs but warns, and may go away"
    modern = (
        "F.interpolate, nn.init.xavier_uniform_, clip_grad_norm_, torch.sigmoid, torch.arange, "
        "torch.set_default_dtype, nn.NLLLoss, torch.amp.autocast('cuda')"
    )
    why = (
        "torch 2.13 warns on each call of the old name (FutureWarning for nn.init/clip_grad_norm/amp, "
        "UserWarning for upsample/range/chain_matmul); F.sigmoid/F.tanh are documented as deprecated "
        "but no longer warn (measured on torch 2.13)."
    )
    reference_step = "nn.relu_and_softmax"
    replaces_call = True
    MARKED = (
        """
        import torch.nn as nn
        nn.init.xavier_uniform(self.fc.weight)
        """,
        """
        import torch.nn.functional as F
        y = F.upsample(x, scale_factor=2)
        z = F.sigmoid(y)
        """,
        """
        from torch.nn.utils import clip_grad_norm
        clip_grad_norm(model.parameters(), 5.0)
        """,
        """
        import torch
        idx = torch.range(1, 10)
        """,
        """
        import torch
        torch.set_default_tensor_type('torch.DoubleTensor')
        """,
        """
        import torch.nn as nn
        criterion = nn.NLLLoss2d()
        """,
        """
        import torch
        scaler = torch.cuda.amp.GradScaler()
        """,
    )
    UNMARKED = (
        """
        import torch.nn as nn
        nn.init.xavier_uniform_(self.fc.weight)
        """,
        """
        import torch
        idx = torch.arange(1, 11)
        y = torch.sigmoid(x)
        """,
        """
        import numpy as np
        r = np.range(3)
        """,
        """
        import torch.nn.functional as F
        y = F.interpolate(x, scale_factor=2)
        """,
        """
        import torch
        scaler = torch.amp.GradScaler('cuda')
        with torch.autocast('cuda'):
            pass
        """,
    )
    FIXES = (
        (
            """
            import torch.nn as nn
            nn.init.xavier_uniform(self.fc.weight, gain=nn.init.calculate_gain('relu'))
            """,
            """
            import torch.nn as nn
            nn.init.xavier_uniform_(self.fc.weight, gain=nn.init.calculate_gain('relu'))
            """,
        ),
        (
            """
            import torch.nn.functional as F
            y = F.upsample_bilinear(x, scale_factor=2)
            z = F.sigmoid(y)
            """,
            """
            import torch
            import torch.nn.functional as F
            y = F.interpolate(x, scale_factor=2, mode='bilinear', align_corners=True)
            z = torch.sigmoid(y)
            """,
        ),
        (
            """
            from torch.nn.utils import clip_grad_norm
            clip_grad_norm(model.parameters(), 5.0)
            """,
            """
            import torch
            from torch.nn.utils import clip_grad_norm
            torch.nn.utils.clip_grad_norm_(model.parameters(), 5.0)
            """,
        ),
        (
            """
            import torch
            torch.set_default_tensor_type(torch.DoubleTensor)
            """,
            """
            import torch
            torch.set_default_dtype(torch.float64)
            """,
        ),
        (
            """
            import torch
            L = torch.cholesky(A)
            """,
            """
            import torch
            L = torch.linalg.cholesky(A)
            """,
        ),
        (
            """
            import torch
            from torch.cuda.amp import autocast
            scaler = torch.cuda.amp.GradScaler()
            with autocast(enabled=True):
                y = f(x)
            """,
            """
            import torch
            from torch.cuda.amp import autocast
            scaler = torch.amp.GradScaler('cuda')
            with torch.amp.autocast('cuda', enabled=True):
                y = f(x)
            """,
        ),
    )

    def visit_Call(self, node: cst.Call, ctx: RuleContext) -> None:
        old = ctx.symbol(node.func)
        if old is None or old not in RENAMED or has_star_args(node):
            return
        replacement = _replacement(node, old, ctx)
        message = f"{old} was renamed: {NOTES.get(old, f'use {RENAMED[old]}')}"
        if replacement is None:
            ctx.report(node, message=message, note=NOTES.get(old, f"use {RENAMED[old]}"))
        else:
            ctx.report(node, message=message, replacement=replacement)


def _replacement(call: cst.Call, old: str, ctx: RuleContext) -> cst.Call | None:
    if old in SAME_ARGUMENTS:
        return call.with_changes(func=spell(call.func, SAME_ARGUMENTS[old], ctx))
    if old in WITH_MODE:
        new, implied = WITH_MODE[old]
        extra = [make_keyword(k, string(v) if isinstance(v, str) else cst.Name(str(v))) for k, v in implied]
        return with_args(call.with_changes(func=spell(call.func, new, ctx)), [*call.args, *extra])
    if old in WITH_DEVICE:
        new, device = WITH_DEVICE[old]
        return with_args(call.with_changes(func=spell(call.func, new, ctx)), [cst.Arg(string(device)), *call.args])
    if old in SINGLE_ARGUMENT and len(call.args) == 1 and positional(call):
        return call.with_changes(func=spell(call.func, SINGLE_ARGUMENT[old], ctx))
    if old == "torch.set_default_tensor_type" and len(call.args) == 1 and keyword(call, "t") is None:
        dtype = type_of(call.args[0].value, ctx, CPU_TYPES)
        if dtype is None:
            return None
        setter = spell(call.func, "torch.set_default_dtype", ctx)
        return call.with_changes(func=setter, args=[cst.Arg(dtype_node(dtype))])
    return None
