"""The rest of the map, one place at a time: Dataset classes, evaluation code (eval() and
no_grad blocks), checkpoints, jit/compile/export, distributed and device handling."""

from __future__ import annotations

import ast

from readkit import roles
from readkit.map import kinds
from readkit.map.index import FileView, Repo, Site
from readkit.map.model import Use

UPDATE_METHODS = frozenset({"copy_", "mul_", "add_", "sub_", "zero_", "lerp_", "fill_", "div_"})


def find_uses(repo: Repo) -> tuple[Use, ...]:
    found = list(_datasets(repo))
    for view in repo.files:
        found += _grad_free(view)
        for site in view.sites:
            use = _site_use(site)
            if use is not None:
                found.append(use)
        found += _jit_decorators(view)
    return tuple(_deduplicated(found))


def _datasets(repo: Repo) -> list[Use]:
    return [Use("dataset", e.fact.name, e.file.at(e.node), e.file.outline.line_text(e.node.lineno),
                step=kinds.STEPS.get("loader"))
            for e in repo.classes.values() if kinds.is_dataset_type(e.fact.torch_base or "")]


def _site_use(site: Site) -> Use | None:
    callee, name = site.callee, site.call.name
    method = isinstance(site.call.node.func, ast.Attribute)
    if method and name == "eval" and (kinds.module_object(site.receiver) or _model_named(site)) and not site.call.node.args:
        return _use("evaluation", f"{site.call.func}()", site, sure=kinds.module_object(site.receiver),
                    why="only the name says it is a model")
    if kinds.is_ref(callee, kinds.SAVES):
        return _use("checkpoint-save", callee.qualname, site)  # type: ignore[union-attr]
    if kinds.is_ref(callee, kinds.LOADS):
        return _use("checkpoint-load", callee.qualname, site)  # type: ignore[union-attr]
    if method and name in ("state_dict", "load_state_dict") and _stateful(site):
        return _use("state-dict", f"{site.call.func}()", site)
    role = kinds.role_of(callee)
    assert callee is None or callee.qualname is not None
    if role == "jit" and callee is not None and not callee.qualname.rsplit(".", 1)[-1].startswith("is_"):
        step = next((v for k, v in kinds.STEPS.items() if callee.qualname.startswith(k) and k.startswith("torch.")), None)
        return _use("compile", callee.qualname, site, step=step)
    if callee is not None and callee.kind == "ref" and (role == "distributed" or callee.qualname in kinds.DISTRIBUTED_EXTRA):
        return _use("distributed", callee.qualname, site)
    if kinds.is_ref(callee, kinds.DEVICE_CALLS) or _moves_model(site):
        what = callee.qualname if callee is not None and callee.kind == "ref" else f"{site.call.func}(...)"
        return _use("device", what, site, step=kinds.STEPS["device"])
    return None


def _use(kind: str, what: str, site: Site, *, sure: bool = True, why: str | None = None,
         step: str | None = None) -> Use:
    return Use(kind, what, site.where(), site.text(), sure, None if sure else why, step or kinds.STEPS.get(kind))


def _model_named(site: Site) -> bool:
    owner = site.call.func.rpartition(".")[0].lower()
    return site.receiver is None and ("model" in owner or "net" in owner)


def _stateful(site: Site) -> bool:
    receiver = site.receiver
    return receiver is not None and receiver.kind == "obj" and (
        kinds.is_module_type(receiver.qualname) or kinds.is_optimizer_type(receiver.qualname)
        or kinds.is_scheduler_type(receiver.qualname) or receiver.qualname in kinds.GRAD_SCALERS)


def _moves_model(site: Site) -> bool:
    return site.call.name in ("to", "cuda") and kinds.module_object(site.receiver) and \
        isinstance(site.call.context.statement, ast.Assign | ast.Expr)


# ---------------------------------------------------------------------- no_grad blocks


def _grad_free(view: FileView) -> list[Use]:
    """`with torch.no_grad():` blocks and functions decorated with it: evaluation, or updates."""
    found = []
    for site in view.sites:
        if not kinds.is_ref(site.callee, kinds.NO_GRAD):
            continue
        block = _block_of(site)
        if block is not None:
            found.append(_classify_block(view, site, block))
    return found


def _block_of(site: Site) -> list[ast.stmt] | None:
    statement = site.call.context.statement
    if isinstance(statement, (ast.With, ast.AsyncWith)) and any(i.context_expr is site.call.node for i in statement.items):
        return statement.body
    if isinstance(statement, (ast.FunctionDef, ast.AsyncFunctionDef)) and any(
            d is site.call.node for d in statement.decorator_list):
        return statement.body
    return None


def _classify_block(view: FileView, site: Site, block: list[ast.stmt]) -> Use:
    inner = [s for s in view.sites if any(_inside(s.call.node, b) for b in block)]
    what = f"{kinds.short(site.callee.qualname)} block"  # type: ignore[union-attr]
    if _updates_parameters(block, inner):
        return _use("no-grad-update", what, site)
    if any(kinds.module_object(s.callee) or s.call.name == "eval" for s in inner) or _calls_evaluation(inner):
        return _use("evaluation", what, site)
    return _use("evaluation", what, site, sure=False,
                why="a block without gradients, but readkit sees no model called in it")


def _updates_parameters(block: list[ast.stmt], inner: list[Site]) -> bool:
    for node in (n for b in block for n in ast.walk(b)):
        if isinstance(node, ast.AugAssign) and ".grad" in ast.unparse(node.value):
            return True
    return any(s.call.name in UPDATE_METHODS and kinds.tensor_object(s.receiver) and "grad" in ast.unparse(s.call.node)
               or s.call.name in UPDATE_METHODS and "param" in s.call.func.lower() for s in inner)


def _calls_evaluation(inner: list[Site]) -> bool:
    return any("eval" in s.call.name.lower() or "loss" in s.call.name.lower() for s in inner)


def _inside(node: ast.AST, outer: ast.AST) -> bool:
    return any(n is node for n in ast.walk(outer))


# ---------------------------------------------------------------------- decorators


def _jit_decorators(view: FileView) -> list[Use]:
    """`@torch.jit.script` / `@torch.compile` without a call: the annotator labels the decorator."""
    found = []
    for function, _ in view.outline.functions:
        for decorator in function.decorator_list:
            if isinstance(decorator, ast.Call):
                continue
            for symbol, _evidence in view.annotations_at(decorator.lineno, decorator.col_offset + 1):
                if roles.role_for(symbol) == "jit":
                    step = next((v for k, v in kinds.STEPS.items() if symbol.startswith(k) and k.startswith("torch.")), None)
                    found.append(Use("compile", symbol, view.at(decorator), view.outline.line_text(decorator.lineno),
                                     step=step))
    return found


def _deduplicated(uses: list[Use]) -> list[Use]:
    """One use per line and kind; a save or load hides the state_dict() call on its own line."""
    lines = {(u.where.path, u.where.line) for u in uses if u.kind in ("checkpoint-save", "checkpoint-load")}
    seen, found = set(), []
    for use in uses:
        key = (use.kind, use.where.path, use.where.line)
        if key in seen or (use.kind == "state-dict" and (use.where.path, use.where.line) in lines):
            continue
        seen.add(key)
        found.append(use)
    return sorted(found, key=lambda u: (u.where.path, u.where.line))
