"""cuda-only-call: `model.cuda()`, `torch.cuda.set_device(rank)`, `torch.cuda.synchronize()` with
no GPU check around them — a portability note, not a legacy idiom.

Code that can only run on a GPU gets no note (rules/_cuda_guard.py, `gpu_certain`): a call
after a check that leaves without a GPU, and a call in a function that starts NCCL
(`dist.init_process_group(backend="nccl")`, directly or through a set-up function of the
file), where `torch.cuda.set_device(local_rank)` is the DistributedDataParallel idiom.

Such a call is current torch: on a machine without CUDA it fails fast, which is often what
the author wants (a distributed job on the wrong machine). So annotate reports it, and
`readkit migrate` rewrites it only when asked (`--portable`): an unguarded `.cuda()` moves to
`.to(device)` with `device = torch.device("cuda" if torch.cuda.is_available() else "cpu")`,
and a `torch.cuda` call that has no CPU meaning runs under `if torch.cuda.is_available():`.
"""

from __future__ import annotations

import libcst as cst

from readkit.annotate.rules._context import is_torch_value, module_of
from readkit.annotate.rules._cuda_guard import (
    binds_own_device_or_cuda,
    gpu_certain,
    gpu_only_statement,
    guarded,
    movable_arguments,
)
from readkit.annotate.rules._helpers import method_call
from readkit.annotate.rules.base import LegacyRule, RuleContext

UNGUARDED = "portability: `.cuda()` with no GPU check around it fails on a machine without CUDA"
GPU_ONLY = "portability: a torch.cuda call with no GPU check around it fails on a machine without CUDA"


class CudaOnlyCall(LegacyRule):
    id = "cuda-only-call"
    message = "portability: a CUDA-only call with no GPU check around it (not a legacy idiom)"
    modern = "x.to(device) with device = torch.device('cuda' if torch.cuda.is_available() else 'cpu')"
    why = (
        "On a machine without CUDA, torch 2.13 raises AssertionError 'Torch not compiled with CUDA enabled' "
        "(or RuntimeError: no CUDA GPUs are available). That may be what the author meant: `readkit migrate` "
        "leaves these calls alone unless given --portable."
    )
    reference_step = "tensors.legacy_cuda_tensor_type"
    replaces_call = True
    portability = True
    MARKED = (
        """
        import torch.nn as nn
        model = nn.Linear(3, 2)
        model.cuda()
        """,  # no GPU check anywhere in the script
        """
        import torch
        if torch.cuda.is_available():
            torch.cuda.manual_seed(1)
        x = torch.randn(3).cuda()
        """,  # the check above guards another line
        """
        import torch
        torch.cuda.set_device(args.gpu)
        """,
        """
        import torch
        torch.cuda.synchronize()
        """,
        """
        import torch
        import torch.distributed as dist
        def main(rank, args):
            dist.init_process_group(backend=args.backend)
            torch.cuda.set_device(rank)
        """,  # the backend may be gloo, on a machine without a GPU
        """
        import torch
        import torch.distributed as dist
        def setup():
            dist.init_process_group("nccl")
        def evaluate(model):
            model.cuda()
        """,  # NCCL is started elsewhere; this function does not call it
        """
        import torch
        torch.cuda.set_device(0)
        if not torch.cuda.is_available():
            raise SystemExit("needs a GPU")
        """,  # the check comes after the call
    )
    UNMARKED = (
        """
        import torch.nn as nn
        model = nn.Linear(3, 2)
        if args.cuda:
            model.cuda()
        """,
        """
        import torch
        use_gpu = torch.cuda.is_available()
        x = torch.randn(3)
        x = x.cuda() if use_gpu else x
        """,
        """
        import torch
        device = torch.device(args.device)
        model.cuda()
        """,  # the file's own `device`: not ours to pick
        """
        import torch
        if args.gpu is not None:
            torch.cuda.set_device(args.gpu)
        """,
        """
        import torch
        x = torch.randn(3).cuda(1)
        """,  # a device index: `.to(device)` would drop it
        """
        import torch
        import torch.distributed as dist
        def worker(local_rank, model):
            dist.init_process_group(backend="nccl")
            torch.cuda.set_device(local_rank)
            model.cuda()
            torch.cuda.synchronize()
        """,  # NCCL runs only on GPUs: so does all of this function
        """
        import torch
        import torch.distributed as dist
        def setup(rank, world_size):
            dist.init_process_group("nccl", rank=rank, world_size=world_size)
        def train(rank, world_size, model):
            torch.cuda.set_device(rank)
            setup(rank, world_size)
            model.cuda()
        """,  # through the file's own set-up function, before or after it
        """
        import torch
        from torch import distributed
        distributed.init_process_group(backend=distributed.Backend.NCCL)
        torch.cuda.set_device(local_rank)
        """,
        """
        import torch
        def main(model):
            if not torch.cuda.is_available():
                raise SystemExit("this script needs a GPU")
            torch.cuda.set_device(0)
            for batch in loader:
                batch = batch.cuda()
        """,  # a check that leaves when there is no GPU
        """
        import sys
        import torch
        assert torch.cuda.is_available(), "needs a GPU"
        torch.cuda.synchronize()
        if torch.cuda.device_count() == 0:
            sys.exit(1)
        model.cuda()
        """,
    )
    FIXES = (  # applied only by `readkit migrate --portable`
        (  # a script written for a GPU machine only: one device, picked at run time
            """
            import torch
            import torch.nn as nn

            model = nn.Linear(3, 2)
            model.cuda()
            x = torch.randn(4, 3).cuda()
            for batch in loader:
                batch = batch.cuda(non_blocking=True)
            """,
            """
            import torch
            import torch.nn as nn

            device = torch.device("cuda" if torch.cuda.is_available() else "cpu")

            model = nn.Linear(3, 2)
            model.to(device)
            x = torch.randn(4, 3).to(device)
            for batch in loader:
                batch = batch.to(device, non_blocking=True)
            """,
        ),
        (
            """
            import torch

            # one GPU per process
            torch.cuda.set_device(args.local_rank)
            """,
            """
            import torch

            # one GPU per process
            if torch.cuda.is_available():
                torch.cuda.set_device(args.local_rank)
            """,
        ),
        (
            """
            import torch
            start = time.time()
            torch.cuda.synchronize()  # wait for the kernels
            """,
            """
            import torch
            start = time.time()
            if torch.cuda.is_available():
                torch.cuda.synchronize()  # wait for the kernels
            """,
        ),
    )

    def __init__(self) -> None:
        self.own_device: bool | None = None  # the file has a `device` (or `cuda()`) of its own: found when needed
        self.nccl: dict[int, bool] = {}  # per function (or the module): does it start NCCL (GPU-only code)?

    def visit_Call(self, node: cst.Call, ctx: RuleContext) -> None:
        """`x.cuda()` with no GPU check: `x.to(device)`, the same on a GPU and no failure on a CPU."""
        func = node.func
        if not (isinstance(func, cst.Attribute) and func.attr.value == "cuda" and movable_arguments(node)):
            return
        if self._unguarded(ctx, node) and (is_torch_value(ctx, func.value) or ctx.origin(func.value) is None):
            moved = method_call(func.value, "to", [cst.Arg(cst.Name("device")), *node.args])
            ctx.report(node, message=UNGUARDED, replacement=moved)

    def visit_SimpleStatementLine(self, node: cst.SimpleStatementLine, ctx: RuleContext) -> None:
        """`torch.cuda.set_device(0)` with no GPU check: run it only where there is a GPU."""
        if gpu_only_statement(ctx, node) and not gpu_certain(ctx, node, self.nccl):
            ctx.report(node, message=GPU_ONLY, replacement=guarded(node))

    def _unguarded(self, ctx: RuleContext, node: cst.CSTNode) -> bool:
        if self.own_device is None:
            module = module_of(ctx, node)
            self.own_device = module is None or binds_own_device_or_cuda(module)
        return not self.own_device and not gpu_certain(ctx, node, self.nccl)
