"""volatile-flag: `Variable(x, volatile=True)` — replaced by `with torch.no_grad():` in 0.4."""

from __future__ import annotations

import libcst as cst

from readkit.annotate.rules._context import ancestors, inside_no_grad, is_torch_value, module_of, symbol_in
from readkit.annotate.rules._helpers import bool_literal, free_value, keyword, no_grad_with, rewrite
from readkit.annotate.rules._variable import VARIABLE, variable_parts
from readkit.annotate.rules.base import LegacyRule, RuleContext

# Calls that make a block a training step: no_grad around them would break it.
TRAINING_METHODS = frozenset({"backward", "step", "zero_grad"})


class VolatileFlag(LegacyRule):
    id = "volatile-flag"
    message = "volatile=True has no effect since torch 0.4: evaluation builds a graph and keeps its memory"
    modern = "with torch.no_grad():  (around the evaluation; the tensor itself needs no wrapper)"
    why = "torch 2.13 warns 'volatile was removed and now has no effect' and records the graph anyway."
    reference_step = "autograd.no_grad_and_inference_mode"
    replaces_call = True
    absorbs_rest_of_block = True
    MARKED = (
        """
        from torch.autograd import Variable
        x = Variable(data, volatile=True)
        """,
        """
        import torch
        from torch.autograd import Variable
        for data, target in loader:
            data = Variable(data.cuda(), volatile=True)
            out = model(data)
        """,
        """
        import torch.autograd as autograd
        def predict(model, x):
            return model(autograd.Variable(x, volatile=True))
        """,
        """
        import torch
        x = torch.randn(3)
        x.volatile = True
        """,
    )
    UNMARKED = (
        """
        import torch
        with torch.no_grad():
            out = model(x)
        """,
        """
        from torch.autograd import Variable
        x = Variable(data)
        """,
        """
        from mylib import Variable
        x = Variable(data, volatile=True)
        """,
        """
        import tkinter
        opts.volatile = True
        """,
    )
    FIXES = (
        (
            """
            import torch
            from torch.autograd import Variable

            def evaluate(model, loader):
                model.eval()
                correct = 0
                for data, target in loader:
                    data, target = Variable(data, volatile=True), Variable(target)
                    output = model(data)  # forward only
                    correct += (output.argmax(1) == target).sum().item()
                return correct
            """,
            """
            import torch

            def evaluate(model, loader):
                model.eval()
                correct = 0
                for data, target in loader:
                    with torch.no_grad():
                        output = model(data)  # forward only
                        correct += (output.argmax(1) == target).sum().item()
                return correct
            """,
        ),
        (
            """
            from torch.autograd import Variable
            def predict(model, x):
                return model(Variable(x, volatile=True))
            """,
            """
            import torch
            def predict(model, x):
                with torch.no_grad():
                    return model(x)
            """,
        ),
        (
            """
            import torch
            from torch.autograd import Variable
            with torch.no_grad():
                y = model(Variable(x, volatile=True))
            """,
            """
            import torch
            with torch.no_grad():
                y = model(x)
            """,
        ),
        (  # `train()` below calls backward: wrapping the rest of the file would break it
            """
            import torch
            from torch.autograd import Variable
            def train():
                model(x).sum().backward()
            x = Variable(data, volatile=True)
            print(model(x))
            train()
            """,
            """
            import torch
            def train():
                model(x).sum().backward()
            x = data
            print(model(x))
            train()
            """,
        ),
        (  # volatile=False never meant anything: just the tensor, nothing wrapped
            """
            from torch.autograd import Variable
            y = model(Variable(x, volatile=False))
            """,
            """
            y = model(x)
            """,
        ),
        (  # a training step: no_grad would break backward, so only the flag goes, with a note
            """
            from torch.autograd import Variable
            x = Variable(x, volatile=True)
            loss = model(x).sum()
            loss.backward()
            """,
            """
            loss = model(x).sum()
            loss.backward()
            """,
        ),
    )

    def __init__(self) -> None:
        self.wrapped: set[int] = set()  # ids of statements this rule already reported

    def visit_Call(self, node: cst.Call, ctx: RuleContext) -> None:
        if keyword(node, "volatile") is None or symbol_in(ctx, node.func, VARIABLE) is None:
            return
        statement, block = _statement_and_block(node, ctx)
        if statement is not None and id(statement) in self.wrapped:
            return  # already reported (and fixed) with its statement
        parts = variable_parts(node, ctx)
        volatile = keyword(node, "volatile")
        assert volatile is not None
        flag = bool_literal(volatile.value)
        if parts is None or parts[1] is not None:
            ctx.report(node, note="Variable(...) with volatile and other arguments: rewrite by hand")
        elif flag is not True:  # False: a plain Variable; an expression: decided at run time
            when = ctx.code(volatile.value)
            note = None if flag is False else f"use `with torch.set_grad_enabled(not ({when})):` around the evaluation"
            ctx.report(node, replacement=free_value(parts[0], ctx.parent(node)), note=note)
        elif inside_no_grad(ctx, node) or _absorbed(statement, block, self.wrapped):
            ctx.report(node, replacement=free_value(parts[0], ctx.parent(node)))
        elif statement is None or block is None or _trains(block, statement, ctx):
            note = "volatile had no effect; put the evaluation under `with torch.no_grad():` by hand"
            ctx.report(node, replacement=free_value(parts[0], ctx.parent(node)), note=note)
        else:
            self.wrapped.add(id(statement))
            ctx.report(statement, replacement=no_grad_with([_without_volatile(statement, ctx)]))

    def visit_Attribute(self, node: cst.Attribute, ctx: RuleContext) -> None:
        """`x.volatile` is always False today; `x.volatile = True` does nothing."""
        if node.attr.value == "volatile" and is_torch_value(ctx, node.value):
            ctx.report(node, note="volatile was removed: evaluate under `with torch.no_grad():` instead")


def _statement_and_block(
    node: cst.CSTNode, ctx: RuleContext
) -> tuple[cst.SimpleStatementLine | None, cst.Module | cst.IndentedBlock | None]:
    child: cst.CSTNode = node
    for parent in ancestors(ctx, node):
        if isinstance(parent, (cst.Module, cst.IndentedBlock)):
            return (child, parent) if isinstance(child, cst.SimpleStatementLine) else (None, None)
        child = parent
    return None, None


def _absorbed(statement: cst.CSTNode | None, block: cst.CSTNode | None, wrapped: set[int]) -> bool:
    """Is `statement` after a statement of the same block that is being wrapped already?"""
    if statement is None or not isinstance(block, (cst.Module, cst.IndentedBlock)):
        return False
    index = next(i for i, s in enumerate(block.body) if s is statement)
    return any(id(s) in wrapped for s in block.body[:index])


def _trains(block: cst.Module | cst.IndentedBlock, statement: cst.CSTNode, ctx: RuleContext) -> bool:
    """Does the block, from `statement` on, train: call backward/step/zero_grad, or a
    function of this file that does? Then no_grad around it would break training."""
    index = next(i for i, s in enumerate(block.body) if s is statement)
    module = module_of(ctx, statement) if isinstance(block, cst.IndentedBlock) else block
    trainers = _training_functions(module) if module is not None else set()
    return any(_calls_training(later, trainers) for later in block.body[index:])


def _calls_training(node: cst.CSTNode, trainers: set[str]) -> bool:
    found = False

    class _Finder(cst.CSTVisitor):
        def visit_Attribute(self, attribute: cst.Attribute) -> None:
            nonlocal found
            found = found or attribute.attr.value in TRAINING_METHODS

        def visit_Call(self, call: cst.Call) -> None:
            nonlocal found
            found = found or (isinstance(call.func, cst.Name) and call.func.value in trainers)

    node.visit(_Finder())
    return found


def _training_functions(module: cst.Module) -> set[str]:
    """Names of the file's functions whose bodies call backward/step/zero_grad."""
    found: set[str] = set()

    class _Functions(cst.CSTVisitor):
        def visit_FunctionDef(self, function: cst.FunctionDef) -> bool:
            if _calls_training(function.body, set()):
                found.add(function.name.value)
            return False

    module.visit(_Functions())
    return found


def _without_volatile(statement: cst.SimpleStatementLine, ctx: RuleContext) -> cst.SimpleStatementLine:
    """The statement with each `Variable(x, volatile=True)` in it replaced by `x`."""

    def leave(original: cst.CSTNode, updated: cst.CSTNode) -> cst.CSTNode:
        if isinstance(original, cst.Call) and keyword(original, "volatile") is not None:
            parts = variable_parts(original, ctx)
            if parts is not None and parts[1] is None:
                return free_value(parts[0], ctx.parent(original))
        return updated

    return rewrite(statement, leave)  # type: ignore[return-value]  # rewrite gives back the kind of node it was given
