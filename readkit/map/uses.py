"""The rest of the map, one place at a time: Dataset classes, evaluation code (eval() and
no_grad blocks), checkpoints, jit/compile/export, distributed and device handling."""

from __future__ import annotations

import ast

from readkit import roles
from readkit.map import kinds
from readkit.map.blocks import block_of, sites_in, updates_parameters
from readkit.map.index import FileView, Repo, Site
from readkit.results.map import Use



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
        return _use("checkpoint-save", callee.qualname, site)  # type: ignore[union-attr]  # is_ref checked that callee is a reference
    if kinds.is_ref(callee, kinds.LOADS):
        return _use("checkpoint-load", callee.qualname, site)  # type: ignore[union-attr]  # is_ref checked that callee is a reference
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
        block = block_of(site)
        if block is not None:
            found.append(_classify_block(site, block))
    return found


def _classify_block(site: Site, block: list[ast.stmt]) -> Use:
    inner = sites_in(site, block)
    what = f"{kinds.short(site.callee.qualname)} block"  # type: ignore[union-attr]  # a classified block always has its callee
    if updates_parameters(block, inner):
        return _use("no-grad-update", what, site)
    if any(kinds.module_object(s.callee) or s.call.name == "eval" for s in inner) or _calls_evaluation(inner):
        return _use("evaluation", what, site)
    return _use("evaluation", what, site, sure=False,
                why="a block without gradients, but readkit sees no model called in it")


def _calls_evaluation(inner: list[Site]) -> bool:
    return any("eval" in s.call.name.lower() or "loss" in s.call.name.lower() for s in inner)


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
