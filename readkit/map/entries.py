"""Entry points (`if __name__ == "__main__":`, `__main__.py`, console scripts, scripts that
run at module level, notebooks) and a suggested reading order through the map."""

from __future__ import annotations

import ast
import builtins
import configparser
import re
import tomllib
from pathlib import Path

from readkit.map.index import FileView, Repo
from readkit.results.map import EntryPoint, Location, Model, ReadingStep, TrainingLoop, Use

_BUILTINS = frozenset(dir(builtins))
SCRIPT_SPEC = re.compile(r"^\s*([\w.-]+)\s*=\s*([\w.]+)\s*:\s*([\w.]+)")


def find_entry_points(repo: Repo) -> tuple[EntryPoint, ...]:
    found = _console_scripts(repo)
    for view in repo.files:
        if view.facts.result.cells is not None:
            found.append(EntryPoint("notebook", view.display, view.location(1), ()))
            continue
        for guard in view.outline.main_guards:
            found.append(EntryPoint("main-guard", view.display, view.at(guard), _runs(view, guard.body)))
        if Path(view.display).name == "__main__.py":
            found.append(EntryPoint("package-main", view.display, view.location(1), _runs(view, view.outline.tree.body)))
        elif not view.outline.main_guards:
            script = _script(view)
            if script is not None:
                found.append(script)
    return tuple(found)


def _runs(view: FileView, body: list[ast.stmt]) -> tuple[str, ...]:
    """The calls a block makes at its own level (not inside its functions), first few."""
    found = []
    for statement in body:
        if isinstance(statement, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Import, ast.ImportFrom)):
            continue
        for node in ast.walk(statement):
            if isinstance(node, ast.Call) and node is _value(statement) and isinstance(node.func, ast.Name) and \
                    node.func.id not in _BUILTINS:
                found.append(f"{ast.get_source_segment(view.outline.source, node.func)}() (line {node.lineno})")
    return tuple(found[:4])


def _value(statement: ast.stmt) -> ast.expr | None:
    return statement.value if isinstance(statement, (ast.Expr, ast.Assign)) else None


def _script(view: FileView) -> EntryPoint | None:
    """A file that trains or calls its own functions at module level runs as a script (a package's
    __init__.py is imported, never run: its module-level calls are set-up, not an entry point)."""
    if view.display.replace("\\", "/").rsplit("/", 1)[-1] == "__init__.py":
        return None
    defined = {f.name for f, c in view.outline.functions if c.function is None and c.cls is None}
    body = view.outline.tree.body
    loops = [s for s in body if isinstance(s, (ast.For, ast.While, ast.AsyncFor))]
    calls = [s for s in body if isinstance(c := _value(s), ast.Call) and isinstance(c.func, ast.Name)
             and c.func.id in defined]
    if not loops and not calls:
        return None
    first = min(loops + calls, key=lambda s: s.lineno)
    runs = tuple(f"the loop at line {l.lineno}" for l in loops[:3]) or _runs(view, body)
    why = None if loops else "it calls its own functions at module level, with no `if __name__ == \"__main__\":` guard"
    return EntryPoint("script", view.display, view.at(first), runs, bool(loops), why)


# ---------------------------------------------------------------------- console scripts


def _console_scripts(repo: Repo) -> list[EntryPoint]:
    if repo.root is None:
        return []
    found = []
    for name, module, function in _script_specs(repo.root):
        location = _function_location(repo, module, function)
        if location is not None:
            found.append(EntryPoint("console-script", name, location, (f"{module}:{function}",)))
    return found


def _script_specs(root: Path) -> list[tuple[str, str, str]]:
    specs: list[tuple[str, str, str]] = []
    try:
        pyproject = tomllib.loads((root / "pyproject.toml").read_text(encoding="utf-8"))
        scripts = {**pyproject.get("project", {}).get("scripts", {}),
                   **pyproject.get("tool", {}).get("poetry", {}).get("scripts", {})}
        specs += [(k, *v.split(":", 1)) for k, v in scripts.items() if isinstance(v, str) and ":" in v]
    except (OSError, tomllib.TOMLDecodeError, AttributeError):
        pass
    specs += _setup_specs(root)
    return [(n, m.strip(), f.strip()) for n, m, f in specs]


def _setup_specs(root: Path) -> list[tuple[str, str, str]]:
    text = ""
    parser = configparser.ConfigParser()
    try:
        parser.read(root / "setup.cfg", encoding="utf-8")
        text += parser.get("options.entry_points", "console_scripts", fallback="")
    except configparser.Error:
        pass
    try:
        setup = (root / "setup.py").read_text(encoding="utf-8")
        text += "\n" + "\n".join(re.findall(r"['\"]([\w.-]+\s*=\s*[\w.]+\s*:\s*[\w.]+)['\"]", setup))
    except OSError:
        pass
    return [(m.group(1), m.group(2), m.group(3)) for m in map(SCRIPT_SPEC.match, text.splitlines()) if m]


def _function_location(repo: Repo, module: str, function: str) -> Location | None:
    assert repo.root is not None
    relative = Path(*module.split("."))
    for candidate in (relative.with_suffix(".py"), relative / "__init__.py", Path("src") / relative.with_suffix(".py")):
        view = next((v for v in repo.files if Path(v.display) == candidate), None)
        if view is None:
            continue
        for node, context in view.outline.functions:
            if node.name == function and context.function is None and context.cls is None:
                return view.at(node)
        return view.location(1)
    return None


# ---------------------------------------------------------------------- reading order


def reading_order(repo: Repo, entries: tuple[EntryPoint, ...], models: tuple[Model, ...],
                  loops: tuple[TrainingLoop, ...], uses: tuple[Use, ...]) -> tuple[ReadingStep, ...]:
    steps: list[ReadingStep] = []
    main = _main_entry(entries, loops)
    if main is not None:
        steps.append(ReadingStep(f"the entry point ({main.kind})", main.where, "where a run starts"))
    top = [m for m in models if m.use == "top-level" and m.kind == "model"]
    for model in top[:3]:
        steps.append(ReadingStep(f"the model {model.name}", model.where, "its `__init__` builds the layers, `forward` uses them"))
    parts = {s.builds.split(" of ")[-1] for m in top for s in m.submodules}
    for model in [m for m in models if m.name in parts and m.kind == "model"][:3]:
        steps.append(ReadingStep(f"{model.name}, a part of the model", model.where, "a submodule the model builds"))
    for use in [u for u in uses if u.kind == "dataset"][:2]:
        steps.append(ReadingStep(f"the data: {use.what}", use.where, "what one example is"))
    for loop in loops[:3]:
        steps.append(ReadingStep("the training loop" + (f" in {loop.function}()" if loop.function else ""),
                                 loop.where, "forward, loss, backward and step, in order"))
    evaluation = [u for u in uses if u.kind == "evaluation" and u.sure]
    if evaluation:
        steps.append(ReadingStep("evaluation", evaluation[0].where, "how the model is measured"))
    saves = [u for u in uses if u.kind == "checkpoint-save"]
    if saves:
        steps.append(ReadingStep("checkpoints", saves[0].where, "what is saved, to resume or to reuse"))
    return tuple(steps)


def _main_entry(entries: tuple[EntryPoint, ...], loops: tuple[TrainingLoop, ...]) -> EntryPoint | None:
    if not entries:
        return None
    training_files = {l.where.path for l in loops}
    kinds = ("console-script", "package-main", "main-guard", "notebook", "script")
    ranked = sorted(entries, key=lambda e: (kinds.index(e.kind), e.where.path not in training_files,
                                            "train" not in e.where.path, e.where.path))
    return ranked[0]
