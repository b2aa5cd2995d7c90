"""removed-function: functions removed from torch (linear algebra moved to torch.linalg, Lua loading)."""

from __future__ import annotations

import libcst as cst

from readkit.annotate.rules._helpers import positional, spell
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
    "torch.utils.serialization": "convert the Lua .t7 file once with an older torch, then torch.load",
    "torch.utils.serialization.load_lua": "convert the Lua .t7 file once with an older torch, then torch.load",
}
# Same meaning, same single argument: a mechanical fix.
SAME_CALL = {"torch.matrix_rank": "torch.linalg.matrix_rank"}


class RemovedFunction(LegacyRule):
    id = "removed-function"
    message = "removed function: it no longer exists in current torch"
    modern = "torch.linalg.solve / eigh / lstsq / matrix_rank / cholesky / lu_factor"
    why = "torch 2.13 raises RuntimeError 'This function was deprecated since version 1.9 and is now removed' (or AttributeError)."
    reference_step = None
    MARKED = (
        "import torch\nx, _ = torch.solve(B, A)\n",
        "import torch\ne, v = torch.symeig(A, eigenvectors=True)\n",
        "import torch\nr = torch.matrix_rank(A)\n",
        "from torch.utils.serialization import load_lua\nmodel = load_lua('vgg.t7')\n",
        "import torch\nU = torch.potrf(A)\n",
    )
    UNMARKED = (
        "import torch\nx = torch.linalg.solve(A, B)\n",
        "import scipy.linalg\nx = scipy.linalg.solve(A, B)\n",
        "import numpy as np\nr = np.linalg.matrix_rank(A)\n",
    )
    FIXES = (
        ("import torch\nr = torch.matrix_rank(A)  # rank\n", "import torch\nr = torch.linalg.matrix_rank(A)  # rank\n"),
        ("import torch\nx, _ = torch.solve(B, A)\n", "import torch\nx, _ = torch.solve(B, A)\n"),  # noted only
        ("import torch as th\nok = th.matrix_rank(th.eye(3)) == 3\n", "import torch as th\nok = th.linalg.matrix_rank(th.eye(3)) == 3\n"),
    )

    def visit_Call(self, node: cst.Call, ctx: RuleContext) -> None:
        old = ctx.symbol(node.func)
        if old is None or old not in REMOVED:
            return
        new = SAME_CALL.get(old)
        if new is not None and len(node.args) == 1 and positional(node):
            ctx.report(node, replacement=node.with_changes(func=spell(node.func, new, ctx)))
        else:
            ctx.report(node, note=f"use {REMOVED[old]}")

    def visit_ImportFrom(self, node: cst.ImportFrom, ctx: RuleContext) -> None:
        if node.relative or node.module is None:
            return
        module = cst.Module(body=[]).code_for_node(node.module)  # an import names its module literally
        if module in REMOVED:
            ctx.report(node, note=f"{module} was removed: {REMOVED[module]}")
