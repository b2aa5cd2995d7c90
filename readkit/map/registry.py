"""Model registries: a dict from names to classes (`MODELS = {"mlp": MLP}`, or filled by a
`@register("mlp")` decorator), and the calls that build a class chosen from one by a value
known only at run time (`MODELS[cfg["model"]](...)`). What such a call builds is "probably"
one of the registry's classes: which one depends on the configuration."""

from __future__ import annotations

import ast
from dataclasses import dataclass, field

from readkit.map.index import FileView, Repo, Site

REGISTER_NAMES = frozenset({"register", "register_model", "register_module"})


@dataclass
class Registry:
    name: str  # the dict's name: "MODELS"
    file: FileView
    line: int
    classes: dict[str, str] = field(default_factory=dict)  # class key -> the name it is registered under


@dataclass
class Registries:
    by_name: dict[str, list[Registry]]
    _building: dict[str, list[Site]] | None = None

    def chosen_from(self, site: Site) -> Registry | None:
        """The registry a call indexes to get what it calls: `R[key](...)`, `R.get(key)(...)`."""
        func = site.call.node.func
        if isinstance(func, ast.Subscript):
            holder = func.value
        elif isinstance(func, ast.Call) and isinstance(func.func, ast.Attribute) and func.func.attr == "get":
            holder = func.func.value
        else:
            return None
        name = holder.attr if isinstance(holder, ast.Attribute) else holder.id if isinstance(holder, ast.Name) else None
        candidates = [r for r in self.by_name.get(name or "", []) if r.classes]
        same_file = [r for r in candidates if r.file is site.file]
        found = same_file or candidates
        return found[0] if found else None

    def sites_building(self, key: str, repo: Repo) -> list[Site]:
        """The calls that may build the class `key` through a registry."""
        if self._building is None:
            self._building = {}
            for site in repo.sites():
                registry = self.chosen_from(site)
                for built in registry.classes if registry is not None else ():
                    self._building.setdefault(built, []).append(site)
        return self._building.get(key, [])


def find_registries(repo: Repo) -> Registries:
    found: dict[str, list[Registry]] = {}
    for view in repo.files:
        for registry in _dict_registries(view) + _decorator_registries(repo, view):
            found.setdefault(registry.name, []).append(registry)
    return Registries(found)


def _dict_registries(view: FileView) -> list[Registry]:
    found = []
    refs = {(r.span[0], r.span[1]): r.key for r in view.facts.class_refs}
    for statement in view.outline.tree.body:
        if isinstance(statement, ast.Assign) and len(statement.targets) == 1 and \
                isinstance(statement.targets[0], ast.Name) and isinstance(statement.value, ast.Dict):
            registry = Registry(statement.targets[0].id, view, statement.lineno)
            for key, value in zip(statement.value.keys, statement.value.values):
                ref = refs.get((value.lineno, _chars(view, value.lineno, value.col_offset)))
                if ref is not None:
                    registry.classes[ref] = ast.literal_eval(key) if isinstance(key, ast.Constant) else "?"
            found.append(registry)
    return found


def _decorator_registries(repo: Repo, view: FileView) -> list[Registry]:
    """`def register(name): def deco(cls): MODELS[name] = cls ...` and the classes it decorates."""
    stores = _stores_into_module_dicts(view)
    if not stores:
        return []
    registries = {name: Registry(name, view, line) for name, line in stores.values()}
    for entry in repo.classes.values():
        for decorator in entry.node.decorator_list:
            call = decorator.func if isinstance(decorator, ast.Call) else decorator
            name = call.attr if isinstance(call, ast.Attribute) else call.id if isinstance(call, ast.Name) else ""
            if name in stores:
                label = decorator.args[0] if isinstance(decorator, ast.Call) and decorator.args else None
                text = label.value if isinstance(label, ast.Constant) else entry.fact.name
                registries[stores[name][0]].classes[entry.fact.key] = str(text)
    return list(registries.values())


def _stores_into_module_dicts(view: FileView) -> dict[str, tuple[str, int]]:
    """Top-level function name -> (module-level dict it stores into, that dict's line)."""
    module_dicts = {}
    for statement in view.outline.tree.body:
        if isinstance(statement, ast.Assign) and len(statement.targets) == 1 and \
                isinstance(statement.targets[0], ast.Name) and _empty_dict(statement.value):
            module_dicts[statement.targets[0].id] = statement.lineno
    found = {}
    for statement in view.outline.tree.body:
        if not isinstance(statement, ast.FunctionDef):
            continue
        for node in ast.walk(statement):
            if isinstance(node, ast.Assign) and isinstance(node.targets[0], ast.Subscript) and \
                    isinstance(node.targets[0].value, ast.Name) and node.targets[0].value.id in module_dicts:
                name = node.targets[0].value.id
                found[statement.name] = (name, module_dicts[name])
    return found


def _empty_dict(node: ast.expr) -> bool:
    if isinstance(node, ast.Dict):
        return not node.keys
    return isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in ("dict", "OrderedDict") \
        and not node.args


def _chars(view: FileView, line: int, byte_offset: int) -> int:
    lines = view.outline.source.splitlines()
    text = lines[line - 1] if 0 < line <= len(lines) else ""
    return len(text.encode("utf-8")[:byte_offset].decode("utf-8", errors="ignore"))
