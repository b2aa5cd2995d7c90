"""Losses, optimizers, schedulers, GradScalers and DataLoaders: what is built where, with what
it is given (which parameters go to which optimizer, learning rates when literal)."""

from __future__ import annotations

import ast

from readkit.map import kinds
from readkit.map.index import Repo, Site
from readkit.results.map import Construction

SHOWN_KEYWORDS = ("lr", "betas", "momentum", "weight_decay", "eps", "step_size", "gamma", "T_max", "milestones",
                  "max_lr", "total_steps", "reduction", "label_smoothing", "weight", "batch_size", "shuffle",
                  "sampler", "num_workers", "collate_fn", "drop_last", "pin_memory", "enabled", "init_scale")


def find_constructions(repo: Repo) -> tuple[Construction, ...]:
    found = []
    for site in repo.sites():
        kind = _kind(repo, site)
        if kind is not None:
            found.append((site, _construction(repo, site, kind)))
    builders = {_function_of(site): c for site, c in found if c.sure and _function_of(site)}
    return tuple(_linked(site, c, builders) if not c.sure and site.callee is None else c for site, c in found)


def _function_of(site: Site) -> str | None:
    function = site.call.context.function
    return function.name if function is not None else None


def _linked(site: Site, guessed: Construction, builders: dict[str | None, Construction]) -> Construction:
    """`optimizer = model.configure_optimizers(...)`: say what that function builds, where."""
    built = builders.get(site.call.name)
    if built is None or built.kind != guessed.kind:
        return guessed
    why = (f"assigned to `{site.target()}` from `{site.call.func}(...)`, which builds {built.what} "
           f"at {built.where.path}:{built.where.line}")
    return Construction(guessed.kind, f"{built.what} (from {site.call.func}())", guessed.where, guessed.variable,
                        built.given, False, why, guessed.step)


def _kind(repo: Repo, site: Site) -> str | None:
    callee = site.callee
    if callee is None:
        return _guessed_kind(site)
    name = callee.qualname
    if callee.kind == "ref" and name in kinds.FUNCTIONAL_LOSSES:
        return "loss"
    if callee.kind not in ("ref", "class"):
        return None
    if kinds.is_loss_type(name) or (callee.kind == "class" and _user_loss(repo, callee.user_class)):
        return "loss"
    if kinds.is_optimizer_type(name):
        return "optimizer"
    if kinds.is_scheduler_type(name):
        return "scheduler"
    if name in kinds.GRAD_SCALERS:
        return "grad-scaler"
    if name in kinds.LOADERS:
        return "loader"
    return None


def _user_loss(repo: Repo, key: str | None) -> bool:
    name = repo.class_name(key) or ""
    return key in repo.classes and name.endswith(("Loss", "Criterion"))


def _guessed_kind(site: Site) -> str | None:
    """Made by a function readkit cannot follow, assigned to a name that says what it is."""
    target = (site.target() or "").lower()
    if not target or "." in target or "," in target:
        return None
    if "optim" in target and "optim" in site.call.func.lower():
        return "optimizer"
    if "sched" in target and "sched" in site.call.func.lower():
        return "scheduler"
    return None


def _construction(repo: Repo, site: Site, kind: str) -> Construction:
    callee = site.callee
    what = _what(repo, site)
    step = kinds.STEPS.get(kind)
    if callee is None:
        unknown = f"assigned to `{site.target()}` and made by `{site.call.func}(...)`, which readkit cannot follow"
        return Construction(kind, what, site.where(), site.target(), (), False, unknown, step)
    given = _given(repo, site, kind)
    sure = callee.evidence != "heuristic" and not (kind == "loss" and callee.kind == "class"
                                                    and not kinds.is_loss_type(callee.qualname))
    why = None if sure else ("its name says it is a loss" if kind == "loss" else "only a name suggests it")
    if callee.kind == "ref" and callee.qualname in kinds.FUNCTIONAL_LOSSES:
        given = (f"computed in {_function_name(site)}",) + given
    return Construction(kind, what, site.where(), site.target(), given, sure, why, step)


def _what(repo: Repo, site: Site) -> str:
    callee = site.callee
    if callee is None:
        return f"{site.call.func}(...)"
    if callee.kind == "class":
        return repo.class_name(callee.user_class) or callee.qualname
    return callee.qualname


def _given(repo: Repo, site: Site, kind: str) -> tuple[str, ...]:
    call = site.call.node
    source = site.file.outline.source
    found = []
    first = call.args[0] if call.args and not isinstance(call.args[0], ast.Starred) else None
    first = first or next((k.value for k in call.keywords if k.arg in ("params", "optimizer", "dataset")), None)
    if kind == "optimizer" and first is not None:
        found.append(f"params: {_text(source, first)}{_owners(repo, site, first)}")
        if len(call.args) > 1:
            found.append(f"lr={_literal(source, call.args[1])}")
    elif kind in ("scheduler", "loader") and first is not None:
        label = "optimizer" if kind == "scheduler" else "dataset"
        found.append(f"{label}: {_text(source, first)}{_dataset(repo, site, first) if kind == 'loader' else ''}")
    for keyword in call.keywords:
        if keyword.arg in SHOWN_KEYWORDS:
            found.append(f"{keyword.arg}={_literal(source, keyword.value)}")
    return tuple(found)


def _literal(source: str, node: ast.expr) -> str:
    text = _text(source, node)
    try:
        ast.literal_eval(node)
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        return f"{text} (not a literal)"
    return text


def _text(source: str, node: ast.AST, limit: int = 60) -> str:
    text = " ".join((ast.get_source_segment(source, node) or "?").split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _owners(repo: Repo, site: Site, argument: ast.expr) -> str:
    """Whose parameters: `netD.parameters()` -> " (Discriminator)"; names are followed to their
    assignments in the same function, a few levels deep (`groups = [{"params": decay}, ...]`)."""
    names = []
    places = _followed(site, argument)
    for inner in site.file.sites:
        if inner.call.name in ("parameters", "named_parameters") and any(_inside(inner.call.node, p) for p in places):
            receiver = inner.receiver
            if receiver is not None and receiver.user_class:
                names.append(repo.class_name(receiver.user_class) or "")
            elif receiver is not None and kinds.is_module_type(receiver.qualname) and receiver.kind == "obj":
                names.append(kinds.short(receiver.qualname))
    names = [n for n in dict.fromkeys(names) if n]
    return f" ({', '.join(names)})" if names else ""


def _followed(site: Site, argument: ast.expr, depth: int = 3) -> list[ast.expr]:
    found, frontier = [argument], [argument]
    for _ in range(depth):
        names = {n.id for e in frontier for n in ast.walk(e) if isinstance(n, ast.Name)}
        frontier = [v for v in (assignment_of(site, n) for n in sorted(names)) if v is not None and v not in found]
        found += frontier
    return found


def _dataset(repo: Repo, site: Site, argument: ast.expr) -> str:
    """What a DataLoader wraps: the class built in the argument, or where a name was assigned."""
    for inner in site.file.sites:
        if _inside(inner.call.node, argument) and inner.callee is not None and inner.callee.kind == "class":
            return f" ({repo.class_name(inner.callee.user_class) or kinds.short(inner.callee.qualname)})"
    if isinstance(argument, ast.Name):
        assigned = assignment_of(site, argument.id)
        if assigned is not None:
            return f" (= {_text(site.file.outline.source, assigned, 50)}, line {assigned.lineno})"
    return ""


def assignment_of(site: Site, name: str) -> ast.expr | None:
    """The last value assigned to `name` before the site, in the same function (or module)."""
    scope: ast.AST = site.call.context.function or site.file.outline.tree
    best = None
    for node in ast.walk(scope):
        if isinstance(node, ast.Assign) and node.lineno < site.line and any(
                isinstance(t, ast.Name) and t.id == name for t in node.targets):
            if best is None or node.lineno > best.lineno:
                best = node
    return best.value if best is not None else None


def _function_name(site: Site) -> str:
    context = site.call.context
    if context.function is None:
        return "module-level code"
    owner = f"{context.cls.name}." if context.cls is not None else ""
    return f"{owner}{context.function.name}()"


def _inside(node: ast.AST, outer: ast.AST) -> bool:
    return any(n is node for n in ast.walk(outer))
