"""removed-function: functions removed from torch (linear algebra moved to torch.linalg, Lua loading)."""

from __future__ import annotations

import libcst as cst

from readkit.annotate.rules._context import spell
from readkit.annotate.rules._helpers import positional
from readkit.annotate.rules.base import LegacyRule, RuleContext

# old -> what to use instead (stubs that raise RuntimeError in 2.13, or names gone entirely)
REMOVED = {
    "torch.solve": "torch.linalg.solve(A, B) (arguments reversed; returns only the solution)",
    "torch.symeig": "torch.linalg.eigh(A) (or eigvalsh; lower triangle by default)",
    "torch.lstsq": "torch.linalg.lstsq(A, B).solution (arguments reversed)",
    "torch.matrix_rank": "torch.linalg.matrix_rank(A)",
    "torch.eig": "torch.linalg.eig(A) (complex results)",
    "torch.gels": "torch.linalg.lstsq(A, B).solution (arguments reversed)",
    "torch.gesv": "torch.linalg.solve(A, B) (arguments reversed)",
    "torch.trtrs": "torch.linalg.solve_triangular(A, B, upper=...)",
    "torch.potrf": "torch.linalg.cholesky(A) (lower; potrf returned the upper factor)",
    "torch.potrs": "torch.cholesky_solve(B, L)",
    "torch.potri": "torch.cholesky_inverse(L)",
    "torch.pstrf": "torch.linalg.cholesky(A)",
    "torch.btrifact": "torch.linalg.lu_factor(A)",
    "torch.btrisolve": "torch.linalg.lu_solve(LU, pivots, B)",
    "torch.utils.serialization.load_lua": "convert the Lua .t7 file once with an older torch, then torch.load",
    "torch.nn.functional.nll_loss2d": "torch.nn.functional.nll_loss (it takes (N, C, H, W) inputs itself)",
}
# Modules gone entirely (ModuleNotFoundError): Lua-era nn, cffi extensions, the old trainer.
REMOVED_MODULES = {
    "torch.legacy": "torch.nn (torch.legacy was the Lua-torch port, removed in 1.0)",
    "torch.utils.ffi": "torch.utils.cpp_extension (C++/CUDA extensions)",
    "torch.utils.trainer": "a plain training loop",
}
# Same meaning, same single argument: a mechanical fix.
SAME_CALL = {"torch.matrix_rank": "torch.linalg.matrix_rank"}
# Same meaning, same arguments.
RENAMED = {"torch.nn.functional.nll_loss2d": "torch.nn.functional.nll_loss"}


class RemovedFunction(LegacyRule):
    id = "removed-function"
    message = "removed function or module: it no longer exists in current torch"
    modern = "torch.linalg.solve / eigh / lstsq / matrix_rank / cholesky / lu_factor; F.nll_loss; torch.nn"
    why = (
        "torch 2.13 raises RuntimeError 'This function was deprecated since version 1.9 and is now removed', "
        "AttributeError for older names, ImportError/ModuleNotFoundError for removed modules."
    )
    reference_step = None
    replaces_call = True
    MARKED = (
        """
        import torch
        x, _ = torch.solve(B, A)
        """,
        """
        import torch
        e, v = torch.symeig(A, eigenvectors=True)
        """,
        """
        import torch
        r = torch.matrix_rank(A)
        """,
        """
        from torch.utils.serialization import load_lua
        model = load_lua('vgg.t7')
        """,
        """
        import torch.legacy.nn as lnn
        """,
        """
        from torch.utils.ffi import create_extension
        """,
        """
        import torch
        U = torch.potrf(A)
        """,
    )
    UNMARKED = (
        """
        import torch
        x = torch.linalg.solve(A, B)
        """,
        """
        import scipy.linalg
        x = scipy.linalg.solve(A, B)
        """,
        """
        import numpy as np
        r = np.linalg.matrix_rank(A)
        """,
        """
        from torch.utils.serialization import config
        """,
        """
        import torch.utils.data
        import legacy
        """,
    )
    FIXES = (
        (
            """
            import torch
            r = torch.matrix_rank(A)  # rank
            """,
            """
            import torch
            r = torch.linalg.matrix_rank(A)  # rank
            """,
        ),
        (
            """
            import torch.nn.functional as F
            loss = F.nll_loss2d(out, target, ignore_index=255)
            """,
            """
            import torch.nn.functional as F
            loss = F.nll_loss(out, target, ignore_index=255)
            """,
        ),
        (
            """
            import torch as th
            ok = th.matrix_rank(th.eye(3)) == 3
            """,
            """
            import torch as th
            ok = th.linalg.matrix_rank(th.eye(3)) == 3
            """,
        ),
    )

    NOTED = (
        # arguments reversed, results reshaped: not a rename
        """
        import torch
        x, _ = torch.solve(B, A)
        """,
        """
        from torch.utils.serialization import load_lua
        model = load_lua('vgg.t7')
        """,
    )

    def visit_Call(self, node: cst.Call, ctx: RuleContext) -> None:
        old = ctx.symbol(node.func)
        if old is None or old not in REMOVED:
            return
        new = SAME_CALL.get(old) if len(node.args) == 1 and positional(node) else RENAMED.get(old)
        message = f"{old} was removed: use {REMOVED[old]}"
        if new is not None:
            ctx.report(node, message=message, replacement=node.with_changes(func=spell(node.func, new, ctx)))
        else:
            ctx.report(node, message=message, note=f"use {REMOVED[old]}")

    # Imports name their modules literally: the dotted text *is* the qualified name.

    def visit_ImportFrom(self, node: cst.ImportFrom, ctx: RuleContext) -> None:
        if node.relative or node.module is None:
            return
        module = _dotted_text(node.module)
        names = [] if isinstance(node.names, cst.ImportStar) else [_dotted_text(a.name) for a in node.names]
        gone = [f"{module}.{name}" for name in names if f"{module}.{name}" in REMOVED]
        why = _removed_module(module) or (REMOVED[gone[0]] if gone else None)
        if why is not None:
            ctx.report(node, message=f"{module} was removed from torch: use {why}", note=f"use {why}")

    def visit_Import(self, node: cst.Import, ctx: RuleContext) -> None:
        for alias in node.names:
            why = _removed_module(_dotted_text(alias.name))
            if why is not None:
                message = f"{_dotted_text(alias.name)} was removed from torch: use {why}"
                ctx.report(node, message=message, note=f"use {why}")
                return


def _dotted_text(node: cst.CSTNode) -> str:
    return cst.Module(body=[]).code_for_node(node)


def _removed_module(module: str) -> str | None:
    return next((why for gone, why in REMOVED_MODULES.items() if module == gone or module.startswith(gone + ".")), None)
