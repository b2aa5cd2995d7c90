"""Models: every nn.Module subclass (and autograd.Function) defined in the repository, the
submodules its methods build, where it is built, and whether it is a top-level model."""

from __future__ import annotations

import ast

from readkit.map import kinds
from readkit.map.index import ClassEntry, Repo, Site
from readkit.results.map import Location, Model, Submodule
from readkit.map.registry import Registries

CONTAINERS = frozenset({"torch.nn.ModuleList", "torch.nn.Sequential", "torch.nn.ModuleDict"})


def find_models(repo: Repo, registries: Registries) -> tuple[Model, ...]:
    built: dict[str, list[Site]] = {}
    for site in repo.sites():
        if site.callee is not None and site.callee.kind == "class" and site.callee.user_class:
            built.setdefault(site.callee.user_class, []).append(site)
    found = []
    for entry in repo.classes.values():
        base = entry.fact.torch_base or ""
        if kinds.is_module_type(base) or base.startswith("torch.autograd.Function") or \
                base == "torch.autograd.function.Function":
            found.append(_model(repo, entry, built.get(entry.fact.key, []), registries))
    return tuple(sorted(found, key=lambda m: (m.where.path, m.where.line)))


def module_class(repo: Repo, node: ast.ClassDef | None) -> bool:
    """Whether a class statement is one of the repo's module classes."""
    if node is None:
        return False
    return any(e.node is node and kinds.is_module_type(e.fact.torch_base or "") for e in repo.classes.values())


def _model(repo: Repo, entry: ClassEntry, direct: list[Site], registries: Registries) -> Model:
    base = entry.fact.torch_base or ""
    via = registries.sites_building(entry.fact.key, repo)
    where = entry.file.at(entry.node)
    kind, sure, why = _kind(entry, base)
    use, use_why = _use(repo, direct, via, registries, entry.fact.key)
    if use_why and why is None:
        sure, why = False, use_why
    built = tuple(dict.fromkeys([s.where() for s in direct] + [s.where() for s in via]))
    return Model(entry.fact.name, where, base, kind, use, _submodules(repo, entry), built, sure, why,
                 kinds.STEPS.get(kind))


def _kind(entry: ClassEntry, base: str) -> tuple[str, bool, str | None]:
    if base.startswith("torch.autograd"):
        return "autograd-function", True, None
    if kinds.is_loss_type(base):
        return "loss", True, None
    if entry.fact.name.endswith(("Loss", "Criterion")):
        return "loss", False, f"its name, {entry.fact.name}, says it is a loss"
    return "model", True, None


def _use(repo: Repo, direct: list[Site], via: list[Site], registries: Registries, key: str) -> tuple[str, str | None]:
    sites = direct + via
    if not sites:
        return "not-built", None
    outside = [s for s in sites if not module_class(repo, s.call.context.cls)]
    if not outside:
        return "submodule", None
    if not [s for s in outside if s not in via] and via:
        registry = registries.chosen_from(via[0])
        assert registry is not None
        return "top-level", (f"built through the registry {registry.name} ({registry.file.display}:{registry.line}) "
                             f"under the name {registry.classes[key]!r}: which model runs depends on the configuration")
    return "top-level", None


def _submodules(repo: Repo, entry: ClassEntry) -> tuple[Submodule, ...]:
    found = []
    for site in entry.file.sites:
        if site.call.context.cls is not entry.node or site.call.context.function is None:
            continue
        statement = site.call.context.statement
        target = _self_target(statement)
        if target is None or not isinstance(statement, ast.Assign) or statement.value is not site.call.node:
            continue
        builds = _builds(repo, site, statement)
        if builds is not None:
            found.append(Submodule(target, builds, site.line))
    return tuple(found)


def _self_target(statement: ast.stmt | None) -> str | None:
    if not isinstance(statement, ast.Assign) or len(statement.targets) != 1:
        return None
    target = statement.targets[0]
    if isinstance(target, ast.Attribute) and isinstance(target.value, ast.Name) and target.value.id == "self":
        return target.attr
    return None


def _builds(repo: Repo, outer: Site, statement: ast.Assign) -> str | None:
    name = _module_name(repo, outer)
    if name is None:
        return None
    if outer.callee is not None and outer.callee.qualname in CONTAINERS:
        inner = [s for s in outer.file.sites if s is not outer and _inside(s.call.node, statement.value)]
        names = list(dict.fromkeys(n for n in (_module_name(repo, s) for s in inner) if n is not None))
        if names:
            return f"{name} of {', '.join(names)}"
    return name


def _module_name(repo: Repo, site: Site) -> str | None:
    callee = site.callee
    if callee is None:
        return None
    if callee.kind == "ref" and kinds.is_module_type(callee.qualname):
        return kinds.short(callee.qualname)
    if callee.kind == "class" and callee.user_class and kinds.is_module_type(callee.qualname):
        return repo.class_name(callee.user_class)
    return None


def _inside(node: ast.AST, outer: ast.AST) -> bool:
    return any(n is node for n in ast.walk(outer))


def where_built(model: Model) -> Location | None:
    return model.built_at[0] if model.built_at else None
