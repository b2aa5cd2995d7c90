"""torchscript: `torch.jit.trace/script/save/load` — deprecated since torch 2.11."""

from __future__ import annotations

import libcst as cst

from readkit.annotate.rules.base import LegacyRule, RuleContext

ALTERNATIVES = {
    "torch.jit.trace": "torch.export.export(model, (x,)) — or torch.compile(model) to speed up eager code",
    "torch.jit.script": "torch.export.export with torch.cond for data-dependent branches, or torch.compile",
    "torch.jit.save": "torch.export.save(exported, path)",
    "torch.jit.load": "torch.export.load(path).module()",
    "torch.jit.trace_module": "torch.export.export",
    "torch.jit.ScriptModule": "an nn.Module, exported with torch.export.export",
    "torch.jit.script_method": "a plain method; export the module with torch.export.export",
}


class Torchscript(LegacyRule):
    id = "torchscript"
    message = "TorchScript (torch.jit) is deprecated; tracing also freezes branches and loops silently"
    modern = "torch.export.export(model, (x,)) for a portable graph, torch.compile(model) for speed"
    why = "torch 2.13 emits DeprecationWarning for torch.jit; a traced `if` keeps the branch taken while tracing."
    reference_step = "jit.trace_freezes_branch"
    replaces_call = True
    MARKED = (
        """
        import torch
        traced = torch.jit.trace(model, x)
        """,
        """
        import torch
        @torch.jit.script
        def f(x):
            return x * 2
        """,
        """
        from torch import jit
        jit.save(traced, 'm.pt')
        m = jit.load('m.pt')
        """,
        """
        import torch
        class M(torch.jit.ScriptModule):
            pass
        """,
    )
    UNMARKED = (
        """
        import torch
        ep = torch.export.export(model, (x,))
        """,
        """
        import torch
        fast = torch.compile(model)
        """,
        """
        import numba
        @numba.jit
        def f(x):
            return x
        """,
        """
        import torch
        scripted = isinstance(m, torch.jit.ScriptModule)
        """,
    )
    FIXES = ()  # not mechanical: export and compile differ from tracing in what they accept

    # Calls, decorators and class bases: not `isinstance(m, torch.jit.ScriptModule)`.

    def visit_Call(self, node: cst.Call, ctx: RuleContext) -> None:
        self._check(node.func, ctx)

    def visit_Decorator(self, node: cst.Decorator, ctx: RuleContext) -> None:
        if not isinstance(node.decorator, cst.Call):  # a called decorator is visited as a Call
            self._check(node.decorator, ctx)

    def visit_ClassDef(self, node: cst.ClassDef, ctx: RuleContext) -> None:
        for base in node.bases:
            self._check(base.value, ctx)

    def _check(self, node: cst.BaseExpression, ctx: RuleContext) -> None:
        qualname = ctx.symbol(node)
        if qualname in ALTERNATIVES:
            use = f"use {ALTERNATIVES[qualname]}"
            ctx.report(node, message=f"{qualname} is deprecated (TorchScript): {use}", note=use)
