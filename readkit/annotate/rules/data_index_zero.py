"""data-index-zero: `loss.data[0]` — a 0.3-era loss was a 1-element vector; today it is 0-dim."""

from __future__ import annotations

import re

import libcst as cst

from readkit.annotate.rules._bindings import NameUses, name_uses
from readkit.annotate.rules._context import is_torch_value
from readkit.annotate.rules._helpers import keyword, method_call, positional
from readkit.annotate.rules._zero_dim import is_index_zero, zero_dim_fact
from readkit.annotate.rules.base import LegacyRule, RuleContext

# Calls whose result is a 0-dim tensor when called without a dim: reductions and losses.
REDUCTIONS = frozenset("sum mean norm prod std var dot vdot max min median logsumexp".split())
# A name a 0.3-era script gives its scalar loss: loss, train_loss, lossD, d_loss, errG_fake ...
# not containers or weights (`losses`, `loss_history`, `loss_weights`).
_QUALIFIERS = "d|g|real|fake|train|val|valid|test|total|sum|avg|mean|batch|step|value|cls|reg|rec|kl|ce|mse|adv"
LOSS_NAME = re.compile(rf"^(?:\w*_)?(?:loss|Loss|err|cost|nll)(?:[A-Z]|\d+)?(?:_(?:{_QUALIFIERS}))?$")
NOT_REDUCED = ("none",)


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
        if not is_index_zero(node) or isinstance(ctx.parent(node), cst.Subscript) or _is_store(node, ctx):
            return  # `x.data[0][1]` indexes a matrix; `w.data[0] = 1` writes into one
        base = _chain_base(node.value)
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
        if fact or _scalar_like(base, ctx) or _scalar_name(base, uses, ctx):
            ctx.report(node, replacement=method_call(base, "item"))

    def _accumulator(self, node: cst.Subscript, name: cst.Name, ctx: RuleContext) -> bool:
        """`total_loss = 0; total_loss += loss.data; ... total_loss[0]`: sum `loss.item()` instead
        (the first time the name is met, its `.data` terms are fixed too)."""
        uses = name_uses(ctx, node, name.value)
        key = (id(uses.scope), name.value)
        if key not in self.accumulators:
            terms = _accumulated_terms(uses, ctx)
            self.accumulators[key] = terms is not None
            for term in terms or ():
                ctx.report(term, message=ACCUMULATOR, replacement=method_call(term.value, "item"))
        return self.accumulators[key]


ACCUMULATOR = "a sum of 0.3-era `loss.data` read back with `[0]`: losses are 0-dim tensors now"
OBSERVED = "`[0]` on a value the run saw as a 0-dim tensor: it has no element 0; read its number with `.item()`"


def _accumulated_terms(uses: NameUses, ctx: RuleContext) -> list[cst.Attribute] | None:
    """The `loss.data` terms summed into a name that starts as a number, is only added to and
    read back with `[0]`; None when the name is used in any other way."""
    if uses.other or uses.attributes or not uses.augmented or not all(_is_number(v) for v in uses.assigned):
        return None
    if not all(is_index_zero(s) for s in uses.indexed):
        return None
    terms: list[cst.Attribute] = []
    for statement in uses.augmented:
        found = _data_terms(statement.value, ctx) if isinstance(statement.operator, ADDING) else None
        if not found:
            return None
        terms.extend(found)
    return terms


ADDING = (cst.AddAssign, cst.SubtractAssign)


def _data_terms(expr: cst.BaseExpression, ctx: RuleContext) -> list[cst.Attribute] | None:
    """The scalar `x.data` leaves of an arithmetic expression whose other leaves are not torch
    values (`len(data) * criterion(out, y).data`); None when another leaf is a tensor."""
    if isinstance(expr, cst.BinaryOperation):
        left, right = _data_terms(expr.left, ctx), _data_terms(expr.right, ctx)
        return None if left is None or right is None else left + right
    if isinstance(expr, cst.Attribute) and expr.attr.value == "data":
        return [expr] if _scalar_like(expr.value, ctx) else None
    return None if is_torch_value(ctx, expr) or _mentions_data(expr) else []


def _mentions_data(expr: cst.BaseExpression) -> bool:
    return "data" in {n.value for n in _attribute_names(expr)}


def _attribute_names(expr: cst.BaseExpression) -> list[cst.Name]:
    found: list[cst.Name] = []

    class _Attrs(cst.CSTVisitor):
        def visit_Attribute(self, node: cst.Attribute) -> None:
            found.append(node.attr)

    expr.visit(_Attrs())
    return found


def _scalar_name(expr: cst.BaseExpression, uses: NameUses | None, ctx: RuleContext) -> bool:
    """Is `expr` a name whose every value is a full reduction or a loss
    (`correct = pred.eq(y).cpu().sum()`, `correct = 0; correct += pred.eq(y).sum()`), or one
    that `.backward()` is called on (only a one-element tensor has an implicit gradient)?"""
    if not isinstance(expr, cst.Name) or uses is None or uses.other:
        return False
    if _backward_called_on(uses.scope, expr.value):
        return True
    values = [v for v in uses.assigned if not _is_number(v)] + [a.value for a in uses.augmented]
    return bool(values) and all(_scalar_value(v, ctx) for v in values)


def _backward_called_on(scope: cst.CSTNode, name: str) -> bool:
    """`name.backward()` (no gradient given) somewhere in the scope."""
    found = False

    class _Backward(cst.CSTVisitor):
        def visit_Call(self, node: cst.Call) -> None:
            nonlocal found
            func = node.func
            if isinstance(func, cst.Attribute) and func.attr.value == "backward" and not positional(node) \
                    and isinstance(func.value, cst.Name) and func.value.value == name:
                found = True

    scope.visit(_Backward())
    return found


def _scalar_value(expr: cst.BaseExpression, ctx: RuleContext) -> bool:
    if isinstance(expr, cst.BinaryOperation):
        return all(_is_number(side) or _scalar_value(side, ctx) for side in (expr.left, expr.right))
    return _scalar_like(expr, ctx)


def _is_number(expr: cst.BaseExpression) -> bool:
    return isinstance(expr, (cst.Integer, cst.Float))


# `.data`, `.cpu()`, `.numpy()`, `.detach()` between a loss and its `[0]`: loss.data.cpu().numpy()[0]
CHAIN_ATTRIBUTES = ("data",)
CHAIN_METHODS = ("cpu", "numpy", "detach")


def _chain_base(expr: cst.BaseExpression) -> cst.BaseExpression | None:
    """`loss` of `loss.data`, `loss.data.cpu().numpy()`, `loss.cpu().data.numpy()`; None when the
    chain has no `.data` / `.numpy()` (a plain `x[0]` indexes, it does not unwrap)."""
    hops: list[str] = []
    while True:
        if isinstance(expr, cst.Attribute) and expr.attr.value in CHAIN_ATTRIBUTES:
            hops.append(expr.attr.value)
            expr = expr.value
        elif isinstance(expr, cst.Call) and not expr.args and isinstance(expr.func, cst.Attribute) \
                and expr.func.attr.value in CHAIN_METHODS:
            hops.append(expr.func.attr.value)
            expr = expr.func.value
        else:
            return expr if {"data", "numpy"} & set(hops) else None


def _scalar_like(expr: cst.BaseExpression, ctx: RuleContext) -> bool:
    """Is `expr` a loss or a full reduction: a 0-dim tensor today?"""
    if isinstance(expr, cst.Call):
        return _scalar_call(expr, ctx)
    if isinstance(expr, cst.Name) and LOSS_NAME.match(expr.value):
        return not _unreduced(ctx.origin(expr))
    origin = ctx.origin(expr)  # only a loss producer: `x.sum(1)` and `x.sum()` share an origin
    return origin is not None and _scalar_producer(origin) and "Tensor" not in origin


def _scalar_call(call: cst.Call, ctx: RuleContext) -> bool:
    reduction = keyword(call, "reduction")
    if reduction is not None and isinstance(reduction.value, cst.SimpleString):
        if reduction.value.evaluated_value in NOT_REDUCED:
            return False
    if isinstance(call.func, cst.Attribute) and call.func.attr.value in REDUCTIONS:
        if ctx.symbol(call.func) == f"torch.{call.func.attr.value}":  # `torch.mean(x)`: one tensor, no dim
            return len(positional(call)) == 1 and len(call.args) == 1
        full = not positional(call) and keyword(call, "dim") is None
        return full and (is_torch_value(ctx, call.func.value) or ctx.origin(call.func.value) is None)
    symbol = ctx.symbol(call.func) or ctx.origin(call.func) or ""
    return _scalar_producer(symbol) or _loss_call(call, ctx)


# A callee named as a loss: `criterion(out, y)`, `self.loss_fn(out, y)`, `loss.forward(out, y)`.
LOSS_CALLEE = re.compile(r"^(?:\w+_)?criterion$|^(?:crit|loss|loss_fn|loss_func|lossfn|loss_function)$")
GENERIC_MODULE = "torch.nn.Module"  # what a module-like name (`criterion`) alone says


def _loss_call(call: cst.Call, ctx: RuleContext) -> bool:
    """Calling a loss module, directly or through `.forward(...)`: its value is the loss.

    A callee of known type decides by its type (`nn.NLLLoss` yes, `nn.Linear` no); one of
    unknown or generic origin by its name."""
    func = call.func
    if isinstance(func, cst.Attribute) and func.attr.value == "forward":
        func = func.value  # loss.forward(out, y) computes what loss(out, y) does
    origin = ctx.origin(func)
    if origin is not None and origin != GENERIC_MODULE:
        return _scalar_producer(origin) and "Tensor" not in origin
    name = func.value if isinstance(func, cst.Name) else func.attr.value if isinstance(func, cst.Attribute) else ""
    return bool(LOSS_CALLEE.match(name))


def _is_store(node: cst.Subscript, ctx: RuleContext) -> bool:
    """`x.data[0] = v`, `x[0] += v`, `del x[0]`: a write, which `.item()` cannot replace."""
    parent = ctx.parent(node)
    while isinstance(parent, (cst.Element, cst.Tuple, cst.List, cst.StarredElement)):
        parent = ctx.parent(parent)
    if isinstance(parent, (cst.AssignTarget, cst.Del)):
        return True
    return isinstance(parent, (cst.AugAssign, cst.AnnAssign)) and parent.target is node


def _scalar_producer(qualname: str) -> bool:
    if not qualname.startswith("torch."):
        return False
    last = qualname.rsplit(".", 2)
    name = last[-1] if last[-1] != "__call__" else last[-2]
    return name.lower().endswith("loss") or name in REDUCTIONS and "Tensor" in qualname


def _unreduced(origin: str | None) -> bool:
    return False if origin is None else origin.endswith(".item")
