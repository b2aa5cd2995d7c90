"""A loop's forward and loss steps however it spells them, read back from what backward starts from.

`backward()` differentiates one value. The loss step is where that value is computed; the forward
step is where what it is computed from comes out of the model. The calls classify() recognises (a
loss function or object, a model call) are found among the expressions that value is computed
from: the expression itself, and the values last assigned, in the loop (or step function), to the
names it reads. When none is a loss, the value's own expression is the loss step (computed inline);
when none is a model call, the first call of unknown code among them is the forward step, else the
assignment in the loop that the loss reads (a model written by hand):

    loss = ((model(x) - y) ** 2).mean()     loss: computed inline, with no loss function
    model(x).sum().backward()               forward `model(x)`, then the loss `.sum()` on the same line
    criterion(net(x), y).backward()         `criterion`, `net` unknown: loss and forward, "probably"
    y_pred = x.mm(w) + b                    forward by hand (no nn.Module), then the loss on y_pred

What this leaves out: values that reach backward through a function's return (`loss = step(batch)`
is the loss step, computed by that function) or through attributes and containers.
"""

from __future__ import annotations

import ast
import builtins
from collections.abc import Iterator

from readkit.map import kinds
from readkit.map.index import FileView, Site
from readkit.map.steps import Found

DEPTH = 3  # assignments followed back from the value backward starts from
MOVES = frozenset({"to", "cuda", "cpu", "float", "double", "half", "long", "view", "reshape", "squeeze", "unsqueeze",
                   "permute", "detach", "clone", "contiguous", "flatten", "type"})  # data made ready, not a forward
BUILTINS = frozenset(dir(builtins))


def inferred_steps(view: FileView, scope: ast.AST, found: list[Found]) -> list[Found]:
    """Loss and forward steps the classified calls in `found` do not already give, per backward."""
    added: list[Found] = []
    for backward in (f for f in found if f.kind == "backward" and f.site is not None and f.site.file is view):
        assert backward.site is not None
        value = _differentiated(backward.site)
        if value is None:
            continue
        sources = _sources(value, scope, backward.line)
        nodes = {id(n) for expression, _ in sources for n in ast.walk(expression)}
        kinds_seen = {f.kind for f in found if f.site is not None and id(f.site.call.node) in nodes}
        computed = _loss_expression(value, sources)
        loss = None if "loss" in kinds_seen else _inline_loss(view, computed, sources, found)
        if loss is not None:
            added.append(loss)
        if "forward" not in kinds_seen and (loss is not None or "loss" in kinds_seen):
            in_loop = isinstance(scope, (ast.For, ast.AsyncFor, ast.While))
            forward = _forward(view, sources, nodes, computed, loss is not None, found, by_hand=in_loop)
            added += [forward] if forward is not None else []
    return _unique(added, found)


def _differentiated(site: Site) -> ast.expr | None:
    """The value a backward call differentiates (`loss` in `loss.backward()`, `scaler.scale(loss).backward()`,
    `torch.autograd.backward(loss)`, `accelerator.backward(loss)`)."""
    call = site.call.node
    func = call.func
    if kinds.is_ref(site.callee, kinds.BACKWARD) or (
            isinstance(func, ast.Attribute) and call.args and not kinds.tensor_object(site.receiver)
            and "loss" not in ast.unparse(func.value).lower() and isinstance(func.value, (ast.Name, ast.Attribute))):
        value: ast.expr | None = call.args[0] if call.args else None
    else:
        value = func.value if isinstance(func, ast.Attribute) else None
    while isinstance(value, ast.Call) and isinstance(value.func, ast.Attribute) and value.func.attr == "scale" \
            and value.args:  # a GradScaler scales the loss
        value = value.args[0]
    return value


def _sources(value: ast.expr, scope: ast.AST, line: int) -> list[tuple[ast.expr, ast.stmt | None]]:
    """`value`, and the values assigned in `scope` before `line` to the names it reads (followed
    DEPTH times), each with its assignment."""
    found: list[tuple[ast.expr, ast.stmt | None]] = [(value, None)]
    frontier: list[ast.expr] = [value]
    seen: set[str] = set()
    for _ in range(DEPTH):
        names = {n.id for e in frontier for n in ast.walk(e) if isinstance(n, ast.Name)} - seen
        seen |= names
        frontier = []
        for statement, assigned in _assignments(scope, names, line):
            found.append((assigned, statement))
            frontier.append(assigned)
    return found


def _assignments(scope: ast.AST, names: set[str], line: int) -> Iterator[tuple[ast.stmt, ast.expr]]:
    for node in ast.walk(scope):
        if not isinstance(node, (ast.Assign, ast.AugAssign, ast.AnnAssign)) or node.value is None \
                or node.lineno > line:
            continue
        if _assigned_names(node) & names:
            yield node, node.value


def _loss_expression(value: ast.expr, sources: list[tuple[ast.expr, ast.stmt | None]]
                     ) -> tuple[ast.expr, ast.stmt | None] | None:
    """The expression that computes the value backward starts from: itself, or the last value
    assigned to the name it is (None: a name assigned outside the loop)."""
    if not isinstance(value, ast.Name):
        return value, None
    assigned = [(e, s) for e, s in sources[1:] if s is not None and _assigns(s, value.id)]
    return max(assigned, key=lambda pair: (pair[0].lineno, pair[0].col_offset)) if assigned else None


def _inline_loss(view: FileView, computed: tuple[ast.expr, ast.stmt | None] | None,
                 sources: list[tuple[ast.expr, ast.stmt | None]], found: list[Found]) -> Found | None:
    """The loss step where the value backward starts from is computed."""
    if computed is None:
        return None
    expression, statement = computed
    call = _site(view, expression) if isinstance(expression, ast.Call) else None
    if call is not None and any(f.site is call for f in found if f.kind == "forward"):
        return None  # the model returns the loss (its forward step says so)
    if call is None and _from_model(view, expression, sources, found):
        return None  # `logits, loss = model(x, y)`, then `loss = loss / steps`: the model's loss, scaled
    note = "computed inline, with no loss function"
    named = call is not None and _dotted(call.call.node.func)
    if call is not None and named and call.callee is None:  # `criterion(...)`, not `model(x).sum()`
        note = f"probably: `{call.call.func}` computes the value backward starts from"
    elif call is not None and named and call.callee is not None and call.callee.kind == "func":
        note = f"computed by `{call.call.func}()`"
    at = statement or expression
    return Found("loss", None, at.lineno, at.col_offset, True, note, _end(expression))


def _forward(view: FileView, sources: list[tuple[ast.expr, ast.stmt | None]], nodes: set[int],
             computed: tuple[ast.expr, ast.stmt | None] | None, inline: bool, found: list[Found], *,
             by_hand: bool) -> Found | None:
    """The first call of unknown code the loss is computed from; else (`by_hand`: in a loop) the
    assignment in the loop that the loss reads (a forward pass written by hand)."""
    loss_call = computed[0] if computed is not None and inline else None
    unknown = [s for s in view.sites if id(s.call.node) in nodes and s.call.node is not loss_call
               and (s.callee is None or s.callee.kind == "func") and not _torch_method(s) and not _classified(s, found)
               and not (isinstance(s.call.node.func, ast.Name) and s.call.node.func.id in BUILTINS)]
    if unknown:
        first = min(unknown, key=lambda s: s.call.key[:2])
        return Found("forward", first, first.line, first.call.key[1], True,
                     f"probably: only what the loss is computed from says `{first.call.func}` is the model",
                     _end(first.call.node))
    loss_statement = computed[1] if computed is not None else None
    statements = [s for e, s in sources[1:] if s is not None and s is not loss_statement
                  and any(isinstance(n, ast.Call) for n in ast.walk(e)) and not _moves(e) and not _made(view, e)]
    if not statements or not by_hand:
        return None
    first_statement = min(statements, key=lambda s: (s.lineno, s.col_offset))
    return Found("forward", None, first_statement.lineno, first_statement.col_offset, True,
                 "written by hand: no nn.Module is called; the loss is computed from this", _end(first_statement))


def _from_model(view: FileView, expression: ast.expr, sources: list[tuple[ast.expr, ast.stmt | None]],
                found: list[Found]) -> bool:
    """Whether a name `expression` reads holds what a model call returned (the model computes the loss)."""
    names = {n.id for n in ast.walk(expression) if isinstance(n, ast.Name)}
    forwards = {id(f.site.call.node) for f in found if f.kind == "forward" and f.site is not None}
    return any(s is not None and _assigned_names(s) & names and id(e) in forwards for e, s in sources[1:])


def _torch_method(site: Site) -> bool:
    """A method of something torch made (`x.mm(w)`, `out.view(-1)`): not the model."""
    receiver = site.receiver
    return receiver is not None and receiver.kind in ("obj", "batch") and receiver.qualname.startswith("torch")


def _moves(value: ast.expr) -> bool:
    """`x.to(device)`, `batch.float()`: data made ready for the model."""
    return isinstance(value, ast.Call) and isinstance(value.func, ast.Attribute) and value.func.attr in MOVES


def _made(view: FileView, value: ast.expr) -> bool:
    """`torch.tensor(returns)`, `torch.randn(...)`: a torch function makes the value (data, not a forward)."""
    site = _site(view, value) if isinstance(value, ast.Call) else None
    return site is not None and site.callee is not None and site.callee.kind == "ref"


def _classified(site: Site, found: list[Found]) -> bool:
    return any(f.site is site for f in found)


def _site(view: FileView, node: ast.Call) -> Site | None:
    return next((s for s in view.sites if s.call.node is node), None)


def _assigns(statement: ast.stmt, name: str) -> bool:
    return name in _assigned_names(statement)


def _assigned_names(statement: ast.stmt) -> set[str]:
    """The names an assignment binds (`a = ...`, `a, b = ...`, `a += ...`)."""
    targets = statement.targets if isinstance(statement, ast.Assign) else [getattr(statement, "target", None)]
    return {n.id for t in targets if t is not None for n in ast.walk(t) if isinstance(n, ast.Name)}


def _dotted(node: ast.expr) -> bool:
    """`criterion`, `self.compute_loss`: a name, not a value computed on the spot."""
    return isinstance(node, ast.Name) or (isinstance(node, ast.Attribute) and _dotted(node.value))


def _end(node: ast.AST) -> tuple[int, int]:
    return (getattr(node, "end_lineno", None) or 0, getattr(node, "end_col_offset", None) or 0)


def _unique(added: list[Found], found: list[Found]) -> list[Found]:
    seen = {(f.kind, f.line, f.column) for f in found}
    kept = []
    for item in added:
        if (item.kind, item.line, item.column) not in seen:
            seen.add((item.kind, item.line, item.column))
            kept.append(item)
    return kept
