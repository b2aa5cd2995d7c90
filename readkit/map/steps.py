"""The steps of a training loop, one call or statement at a time: zero_grad, forward, loss,
backward, clipping, step, AMP scaling, scheduler steps, learning rates set by hand."""

from __future__ import annotations

import ast
from dataclasses import dataclass

from readkit.map import kinds
from readkit.map.blocks import block_of, sites_in, updates_parameters
from readkit.map.built import assignment_of
from readkit.map.index import FileView, Repo, Site

ACCUMULATION_WORDS = ("accum", "grad_steps", "micro")


@dataclass(frozen=True)
class Found:
    kind: str
    site: Site | None  # None for statements (lr set by hand, loss divided for accumulation)
    line: int
    column: int
    sure: bool
    note: str | None = None
    order: tuple[int, int] | None = None  # (line, column) where it finishes: steps on one line run in this order

    def runs_at(self) -> tuple[int, int]:
        return self.order or (self.line, self.column)


def classify(repo: Repo, site: Site) -> Found | None:
    """The loop step a call is, if any."""
    name = site.call.name
    method = isinstance(site.call.node.func, ast.Attribute)
    symbols = annotated(site)
    user_code = site.callee is not None and site.callee.kind == "func"
    if method and name == "backward" and not user_code or kinds.is_ref(site.callee, kinds.BACKWARD):
        sure = kinds.tensor_object(site.receiver) or kinds.is_ref(site.callee, kinds.BACKWARD) or \
            any(s == "torch.Tensor.backward" and e != "heuristic" for s, e in symbols)
        return _found("backward", site, sure, None if sure else "probably: only the name `backward` says so")
    if method and name == "step":
        return _step(site, symbols)
    if method and name == "zero_grad":
        sure = kinds.optimizer_object(site.receiver) or kinds.module_object(site.receiver)
        return _found("zero_grad", site, sure, None if sure else "probably: only the name `zero_grad` says so")
    if method and name in ("unscale_", "update") and _scaler(site):
        return _found("unscale" if name == "unscale_" else "scaler-update", site, kinds.scaler_object(site.receiver))
    if kinds.is_ref(site.callee, kinds.CLIPPING):
        return _found("clip", site, True)
    if kinds.is_ref(site.callee, kinds.AUTOCAST):
        return _found("autocast", site, True)
    block = block_of(site)
    if block is not None and updates_parameters(block, sites_in(site, block)):
        return _found("step", site, True, "parameters updated by hand under no_grad (no optimizer)")
    return _model_call(repo, site)


def annotated(site: Site) -> list[tuple[str, str]]:
    """(symbol, evidence) of the annotations that start where the call starts."""
    return site.file.annotations_at(site.call.key[0], site.call.key[1] + 1)


def _step(site: Site, symbols: list[tuple[str, str]]) -> Found | None:
    receiver = site.receiver
    owner = site.call.func.rpartition(".")[0].lower()
    if kinds.scheduler_object(receiver) or any("lr_scheduler" in s and e != "heuristic" for s, e in symbols):
        return _found("scheduler-step", site, True)
    if kinds.optimizer_object(receiver) or kinds.scaler_object(receiver):
        return _found("step", site, True)
    if any(s.startswith("torch.optim.") and e != "heuristic" for s, e in symbols):
        return _found("step", site, True)
    if "sched" in owner:
        return _found("scheduler-step", site, False, f"probably: only the name `{owner}` says it is a scheduler")
    if "optim" in owner or owner in ("opt", "o") or "scaler" in owner:
        return _found("step", site, False, f"probably: only the name `{owner}` says it is an optimizer")
    return None


def _scaler(site: Site) -> bool:
    return kinds.scaler_object(site.receiver) or "scaler" in site.call.func.lower()


def _model_call(repo: Repo, site: Site) -> Found | None:
    callee = site.callee
    if callee is None:
        return None
    if callee.kind == "ref" and callee.qualname in kinds.FUNCTIONAL_LOSSES:
        return _found("loss", site, True)
    if callee.kind == "obj" and kinds.is_module_type(callee.qualname):
        name = repo.class_name(callee.user_class) or ""
        called = site.call.func.rpartition(".")[2]
        if kinds.is_loss_type(callee.qualname) or name.endswith(("Loss", "Criterion")):
            return _found("loss", site, kinds.is_loss_type(callee.qualname),
                          None if kinds.is_loss_type(callee.qualname) else f"probably: the class name {name} says so")
        if callee.user_class is None and any(w in called.lower() for w in ("loss", "criterion")):
            return _found("loss", site, False, f"probably: only the name `{called}` says it is a loss")
        sure = callee.evidence != "heuristic"
        notes = [None if sure else f"probably: only the name `{called}` says it is a module"]
        if "loss" in (site.target() or "").lower():
            notes.append("the model returns the loss too")
        return _found("forward", site, sure, "; ".join(n for n in notes if n) or None)
    if site.call.name == "forward" and kinds.module_object(site.receiver):
        return _found("forward", site, True)
    return None


def _found(kind: str, site: Site, sure: bool, note: str | None = None) -> Found:
    node = site.call.node
    return Found(kind, site, site.call.key[0], site.call.key[1], sure, note,
                 (node.end_lineno or node.lineno, node.end_col_offset or node.col_offset))


# ---------------------------------------------------------------------- statements


def statement_steps(view: FileView, body: list[ast.stmt], scope: ast.AST) -> list[Found]:
    """Learning rates set by hand, a loss divided for accumulation, `with ctx:` that is autocast."""
    found = []
    for node in (n for statement in body for n in ast.walk(statement)):
        if not isinstance(node, ast.stmt):
            continue
        if isinstance(node, ast.Assign) and any(_lr_item(t) for t in node.targets):
            found.append(Found("lr-by-hand", None, node.lineno, node.col_offset, True))
        elif _divides_loss(node):
            found.append(Found("accumulate", None, node.lineno, node.col_offset, True,
                               "the loss is divided so that accumulated gradients average"))
        elif isinstance(node, (ast.With, ast.AsyncWith)):
            found.extend(_autocast_by_name(view, node, scope))
    return found


def _lr_item(target: ast.expr) -> bool:
    return isinstance(target, ast.Subscript) and isinstance(target.slice, ast.Constant) and target.slice.value == "lr"


def _divides_loss(node: ast.AST) -> bool:
    target: ast.expr
    if isinstance(node, ast.AugAssign) and isinstance(node.op, ast.Div):
        target, divisor = node.target, node.value
    elif isinstance(node, ast.Assign) and isinstance(node.value, ast.BinOp) and isinstance(node.value.op, ast.Div):
        target, divisor = node.targets[0], node.value.right
    else:
        return False
    named = isinstance(target, ast.Name) and "loss" in target.id.lower()
    return named and any(w in ast.unparse(divisor).lower() for w in ACCUMULATION_WORDS)


def _autocast_by_name(view: FileView, node: ast.With | ast.AsyncWith, scope: ast.AST) -> list[Found]:
    """`ctx = torch.autocast(...)` (or `nullcontext() if cpu else torch.amp.autocast(...)`), then `with ctx:`."""
    found = []
    for item in node.items:
        if not isinstance(item.context_expr, ast.Name):
            continue
        value = _assigned_anywhere(view, item.context_expr.id, scope)
        if value is not None and any(kinds.is_ref(s.callee, kinds.AUTOCAST) for s in view.sites
                                     if _inside(s.call.node, value)):
            note = f"`{item.context_expr.id}` is an autocast context (line {value.lineno}) on some devices"
            found.append(Found("autocast", None, node.lineno, node.col_offset, False, note,
                               (item.context_expr.end_lineno or node.lineno, item.context_expr.end_col_offset or 0)))
    return found


def _assigned_anywhere(view: FileView, name: str, scope: ast.AST) -> ast.expr | None:
    for root in (scope, view.outline.tree):
        for node in ast.walk(root):
            if isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == name for t in node.targets):
                return node.value
    return None


def _inside(node: ast.AST, outer: ast.AST) -> bool:
    return any(n is node for n in ast.walk(outer))


__all__ = ["Found", "annotated", "assignment_of", "classify", "statement_steps"]
