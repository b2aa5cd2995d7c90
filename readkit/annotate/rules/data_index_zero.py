"""data-index-zero: `loss.data[0]` — a 0.3-era loss was a 1-element vector; today it is 0-dim."""

from __future__ import annotations

import libcst as cst

from readkit.annotate.rules._bindings import name_uses
from readkit.annotate.rules._helpers import method_call
from readkit.annotate.rules._scalar_values import accumulated_terms, chain_base, scalar_like, scalar_name
from readkit.annotate.rules._zero_dim import is_index_zero, is_store, zero_dim_fact
from readkit.annotate.rules.base import LegacyRule, RuleContext

class DataIndexZero(LegacyRule):
    id = "data-index-zero"
    message = "`.data[0]` read a 0.3-era 1-element loss; losses are 0-dim tensors now"
    modern = "loss.item()"
    why = "torch 2.13 raises IndexError: invalid index of a 0-dim tensor. Use `tensor.item()`."
    reference_step = "optim.train_logistic_regression"
    MARKED = (
        """
        import torch.nn.functional as F
        loss = F.nll_loss(output, target)
        print(loss.data[0])
        """,
        """
        import torch.nn as nn
        criterion = nn.CrossEntropyLoss()
        total += criterion(out, y).data[0]
        """,
        """
        def log(loss):
            return 'loss %.3f' % loss.data[0]
        """,
        """
        import torch
        correct += pred.eq(target).sum().data[0]
        """,
        """
        errD = errD_real + errD_fake
        print(errD.data[0], lossG.data[0])
        """,
        """
        import torch.nn.functional as F
        loss = F.mse_loss(a, b)
        print(loss.data.cpu().numpy()[0])
        """,
        """
        import torch
        correct = pred.eq(target).long().cpu().sum()
        acc = correct.data[0] / n
        """,
        """
        import torch
        accuracy = torch.mean((pred == y).float())
        print(accuracy.data[0])
        """,
        """
        import torch.nn as nn
        crit = nn.CrossEntropyLoss()
        def evaluate(batches):
            total_loss = 0
            for x, y in batches:
                total_loss += len(x) * crit(x, y).data
            return total_loss[0] / len(batches)
        """,  # whatever the value is called: a loss called through .forward, a loss called, a value backward runs on
        """
        def train(model, loss, x, y):
            output = loss.forward(model(x), y)
            return output.data[0]
        """,
        """
        def train(model, criterion, x, y):
            output = criterion(model(x), y)
            return output.data[0]
        """,
        """
        import torch
        def fit(f, x):
            value = f(x)
            value.backward()
            return value.data[0]
        """,
    )
    UNMARKED = (
        """
        import torch
        w = torch.randn(3, 4)
        w.data[0].zero_()
        """,
        """
        losses = [1.0, 2.0]
        print(losses.data[0])
        """,
        """
        row = batch.data[0]
        """,
        """
        x = x.data[0][1]
        """,
        """
        import torch
        print(loss.item())
        """,
        """
        import torch.nn.functional as F
        print(F.mse_loss(a, b, reduction='none').data[0])
        """,
        """
        import torch
        loss_history = torch.tensor(history)
        first = loss_history.data[0]
        """,
        """
        class_loss_weights.data[0] = 2.0
        """,
        """
        row = batch.data.numpy()[0]
        """,
        """
        import torch
        per_class = torch.sum(hits, 0)
        print(per_class.data[0])
        """,
        """
        import torch
        total = 0
        total += x.data
        first = total[0]
        """,  # x: any tensor, total may be a row
        """
        history = []
        history += loss.data
        print(history[0])
        """,
        """
        total_loss = 0
        total_loss += loss.data
        print(total_loss[0], total_loss.size())
        """,  # used as a tensor
        """
        def predict(model, x):
            output = model.forward(x)
            return output.data[0]
        """,  # a module output: a batch
        """
        import torch
        def fit(f, x, g):
            value = f(x)
            value.backward(g)
            return value.data[0]
        """,
        """
        import torch.nn as nn
        layer = nn.Linear(3, 2)
        first = layer.forward(x).data[0]
        """,
    )
    FIXES = (
        (
            """
            import torch.nn.functional as F
            loss = F.nll_loss(output, target)
            print('loss', loss.data[0])  # log
            """,
            """
            import torch.nn.functional as F
            loss = F.nll_loss(output, target)
            print('loss', loss.item())  # log
            """,
        ),
        (
            """
            import torch
            correct += pred.eq(target.data.view_as(pred)).cpu().sum().data[0]
            """,
            """
            import torch
            correct += pred.eq(target.data.view_as(pred)).cpu().sum().item()
            """,
        ),
        (
            """
            train_loss += loss.data[0] * len(x)
            """,
            """
            train_loss += loss.item() * len(x)
            """,
        ),
        (
            """
            import torch
            correct = pred.eq(target.data.view_as(pred)).cpu().sum()
            print(correct.data[0])
            """,
            """
            import torch
            correct = pred.eq(target.data.view_as(pred)).cpu().sum()
            print(correct.item())
            """,
        ),
        (  # a 0-dim numpy array has no [0] either
            """
            import torch.nn.functional as F
            loss = F.mse_loss(a, b)
            print(loss.data.cpu().numpy()[0], loss.cpu().data.numpy()[0])
            """,
            """
            import torch.nn.functional as F
            loss = F.mse_loss(a, b)
            print(loss.item(), loss.item())
            """,
        ),
        (  # the word-language-model accumulator: sum floats, read the sum
            """
            def train(batches):
                total_loss = 0
                for i, (x, y) in enumerate(batches):
                    loss = crit(model(x), y)
                    total_loss += loss.data
                    if i % 10 == 0:
                        print(total_loss[0] / 10)
                        total_loss = 0
            """,
            """
            def train(batches):
                total_loss = 0
                for i, (x, y) in enumerate(batches):
                    loss = crit(model(x), y)
                    total_loss += loss.item()
                    if i % 10 == 0:
                        print(total_loss / 10)
                        total_loss = 0
            """,
        ),
        (  # the 2017 tutorial's training step: the loss module is a parameter, called through .forward
            """
            def train(model, loss, optimizer, x, y):
                optimizer.zero_grad()
                output = loss.forward(model.forward(x), y)
                output.backward()
                optimizer.step()
                return output.data[0]
            """,
            """
            def train(model, loss, optimizer, x, y):
                optimizer.zero_grad()
                output = loss.forward(model.forward(x), y)
                output.backward()
                optimizer.step()
                return output.item()
            """,
        ),
    )

    def __init__(self) -> None:
        self.accumulators: dict[tuple[int, str], bool] = {}  # (scope, name) -> fixed as a float sum

    def visit_Subscript(self, node: cst.Subscript, ctx: RuleContext) -> None:
        if not is_index_zero(node) or isinstance(ctx.parent(node), cst.Subscript) or is_store(node, ctx):
            return  # `x.data[0][1]` indexes a matrix; `w.data[0] = 1` writes into one
        base = chain_base(node.value)
        named = base if base is not None else node.value
        uses = name_uses(ctx, node, named.value) if isinstance(named, cst.Name) else None
        fact = zero_dim_fact(node, base is not None, uses, ctx)
        if fact is False:
            return  # the run saw a tensor with dimensions here: `[0]` indexes it
        if base is None:
            if isinstance(node.value, cst.Name) and self._accumulator(node, node.value, ctx):
                ctx.report(node, message=ACCUMULATOR, replacement=node.value.with_changes(lpar=[], rpar=[]))
            elif fact:
                ctx.report(node, message=OBSERVED, replacement=method_call(node.value, "item"))
            return
        if fact or scalar_like(base, ctx) or scalar_name(base, uses, ctx):
            ctx.report(node, replacement=method_call(base, "item"))

    def _accumulator(self, node: cst.Subscript, name: cst.Name, ctx: RuleContext) -> bool:
        """`total_loss = 0; total_loss += loss.data; ... total_loss[0]`: sum `loss.item()` instead
        (the first time the name is met, its `.data` terms are fixed too)."""
        uses = name_uses(ctx, node, name.value)
        key = (id(uses.scope), name.value)
        if key not in self.accumulators:
            terms = accumulated_terms(uses, ctx)
            self.accumulators[key] = terms is not None
            for term in terms or ():
                ctx.report(term, message=ACCUMULATOR, replacement=method_call(term.value, "item"))
        return self.accumulators[key]


ACCUMULATOR = "a sum of 0.3-era `loss.data` read back with `[0]`: losses are 0-dim tensors now"
OBSERVED = "`[0]` on a value the run saw as a 0-dim tensor: it has no element 0; read its number with `.item()`"
