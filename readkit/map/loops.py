"""Training loops: each loop that runs backward and an optimizer step, its steps in order.

A loop is a training loop when backward and step both run inside it (directly, in loops
nested in it, or in a function it calls that does both: a "step function"), and no loop
nested inside it already does both (an epoch loop around a batch loop is not reported
twice; its scheduler steps are shown with the batch loop)."""

from __future__ import annotations

import ast
from dataclasses import dataclass

from readkit.map import kinds
from readkit.map.calls import calls_function
from readkit.map.index import FileView, Repo, Site
from readkit.results.map import LoopStep, TrainingLoop
from readkit.map.outline import Context, Function, Loop
from readkit.map.objective import inferred_steps
from readkit.map.steps import Found, classify, statement_steps

UPDATE = ("step",)


@dataclass
class _Body:
    """What runs inside one loop or function of one file."""

    view: FileView
    node: Loop | Function
    context: Context
    found: list[Found]

    def kinds(self) -> set[str]:
        return {f.kind for f in self.found}

    def trains(self) -> bool:
        return "backward" in self.kinds() and "step" in self.kinds()


def find_loops(repo: Repo) -> tuple[TrainingLoop, ...]:
    classified = {id(s): f for s in repo.sites() if (f := classify(repo, s)) is not None}
    bodies = [_loop_body(view, loop, context, classified) for view in repo.files for loop, context in view.outline.loops]
    step_functions = _step_functions(repo, classified)
    loops = []
    for body in bodies:
        via = _calls_step_function(repo, body, step_functions)
        if not (body.trains() or via) or _inner_trains(repo, body, bodies, step_functions):
            continue
        loops.append(_training_loop(repo, body, via, bodies))
    called = {id(v.node) for b in bodies for v in _calls_step_function(repo, b, step_functions)}
    loops.extend(_uncalled(repo, f) for f in step_functions.values() if id(f.node) not in called)
    return tuple(sorted(loops, key=lambda t: (t.where.path, t.where.line)))


def _loop_body(view: FileView, loop: Loop, context: Context, classified: dict[int, Found]) -> _Body:
    found = [classified[id(s)] for s in view.sites if id(s) in classified and _in_loop(s, loop)]
    scope = context.function or view.outline.tree
    found.extend(statement_steps(view, loop.body, scope))
    found.extend(inferred_steps(view, loop, found))
    return _Body(view, loop, context, found)


def _in_loop(site: Site, loop: Loop) -> bool:
    return any(l is loop for l in site.call.context.loops)


def _step_functions(repo: Repo, classified: dict[int, Found]) -> dict[str, _Body]:
    """Functions that run backward and step themselves, not inside a loop of their own."""
    found: dict[str, _Body] = {}
    clashes = set()
    for view in repo.files:
        for function, context in view.outline.functions:
            own = [classified[id(s)] for s in view.sites if id(s) in classified
                   and s.call.context.function is function and not s.call.context.loops]
            own += statement_steps(view, function.body, function)
            body = _Body(view, function, context, own + inferred_steps(view, function, own))
            if body.trains():
                clashes.add(function.name) if function.name in found else None
                found[function.name] = body
    return {name: body for name, body in found.items() if name not in clashes}


def _calls_step_function(repo: Repo, body: _Body, step_functions: dict[str, _Body]) -> list[_Body]:
    if not isinstance(body.node, (ast.For, ast.AsyncFor, ast.While)):
        return []
    found: list[_Body] = []
    for site in body.view.sites:
        target = step_functions.get(site.call.name)
        if target is None or target in found or not _in_loop(site, body.node):
            continue
        assert isinstance(target.node, (ast.FunctionDef, ast.AsyncFunctionDef))
        if calls_function(repo, site, target.view, target.node, target.context):
            found.append(target)
    return found


def _inner_trains(repo: Repo, body: _Body, bodies: list[_Body], step_functions: dict[str, _Body]) -> bool:
    return any(other is not body and other.view is body.view and any(l is body.node for l in other.context.loops)
               and (other.trains() or _calls_step_function(repo, other, step_functions)) for other in bodies)


# ---------------------------------------------------------------------- one loop


def _training_loop(repo: Repo, body: _Body, via: list[_Body], bodies: list[_Body]) -> TrainingLoop:
    view, loop = body.view, body.node
    assert isinstance(loop, (ast.For, ast.AsyncFor, ast.While))
    steps = [(*f.runs_at(), 0, 0, _step(view, f)) for f in body.found]
    for target in via:
        name = _name(target)
        call = next(s for s in view.sites if _in_loop(s, loop) and
                    calls_function(repo, s, target.view, target.node, target.context))  # type: ignore[arg-type]  # a via target always has its view's node
        end = (call.call.node.end_lineno or call.line, call.call.node.end_col_offset or 0)
        steps += [(*end, *f.runs_at(), _step(target.view, f, f"in {name}()")) for f in target.found]
    steps += [(s.where.line, 0, 0, 0, s) for s in _outer_scheduler_steps(repo, body, bodies)]
    ordered = tuple(s[-1] for s in sorted(steps, key=lambda s: s[:4]))
    found = body.found + [f for t in via for f in t.found]
    unsure = [f for f in found if not f.sure and f.kind in ("backward", "step")]
    why = (unsure[0].note or "").removeprefix("probably: ") or None if unsure else None
    return TrainingLoop(view.at(loop), view.outline.line_text(loop.lineno), _function_name(body.context),
                        ordered, _notes(body, via, found), not unsure, why, kinds.STEPS["training-loop"])


def _step(view: FileView, found: Found, note: str | None = None) -> LoopStep:
    text = view.outline.line_text(found.line)
    parts = [p for p in (note, found.note) if p]
    return LoopStep(found.kind, view.location(found.line), text, "; ".join(parts) or None)


def _outer_scheduler_steps(repo: Repo, body: _Body, bodies: list[_Body]) -> list[LoopStep]:
    """Scheduler steps in the loop around this one, or in the loop that calls this loop's function."""
    found = []
    if body.context.loops:
        outer = body.context.loops[-1]
        found = [(body.view, f, f"once per pass of the loop at line {outer.lineno}")
                 for b in bodies if b.node is outer for f in b.found if f.kind == "scheduler-step"
                 and f.site is not None and not _in_loop(f.site, body.node)]  # type: ignore[arg-type]  # the body's node is a loop here
    elif body.context.function is not None:
        function = body.context.function
        name = function.name
        for other in bodies:
            if not isinstance(other.node, (ast.For, ast.AsyncFor, ast.While)):
                continue
            calls = [s for s in other.view.sites if _in_loop(s, other.node)
                     and calls_function(repo, s, body.view, function, _definition_context(body))]
            if calls and not any(l is other.node for l in body.context.loops):
                note = f"once per call of {name}() from the loop at {other.view.display}:{other.node.lineno}"
                found += [(other.view, f, note) for f in other.found if f.kind == "scheduler-step"]
    return [_step(view, f, note) for view, f, note in found]


def _notes(body: _Body, via: list[_Body], found: list[Found]) -> tuple[str, ...]:
    notes = []
    optimizers = list(dict.fromkeys(f.site.call.func.rpartition(".")[0] for f in found
                                    if f.kind == "step" and f.site is not None and "scaler" not in f.site.call.func))
    scaled = [f for f in found if f.kind == "step" and f.site is not None and "scaler" in f.site.call.func.lower()]
    if len(optimizers) > 1:
        notes.append(f"{len(optimizers)} optimizers step in this loop: {', '.join(optimizers)}")
    notes.extend(_accumulation(body, found))
    if scaled or any(f.kind in ("unscale", "scaler-update") for f in found):
        notes.append("mixed precision: a GradScaler scales the loss before backward and steps the optimizer")
    if any(f.kind == "autocast" for f in found):
        notes.append("mixed precision: the forward pass runs under autocast")
    if not any(f.kind == "zero_grad" for f in found) and not _clears_grads_by_hand(body.node):
        notes.append("no zero_grad() found in this loop: gradients add up across iterations unless cleared elsewhere")
    return tuple(notes)


def _accumulation(body: _Body, found: list[Found]) -> list[str]:
    backward = next((f.site for f in found if f.kind == "backward" and f.site is not None
                     and f.site.file is body.view), None)
    updates = [f.site for f in found if f.kind == "step" and f.site is not None and f.site.file is body.view]
    if backward is None or not updates:
        return []
    inner = _loops_inside(backward, body.node)
    if inner and not any(any(l is inner[0] for l in u.call.context.loops) for u in updates):
        return [f"gradient accumulation: backward runs in the inner loop at line {inner[0].lineno} "
                f"(micro-steps); the optimizer steps once after it"]
    conditions = [i for i in updates[0].call.context.ifs
                  if not any(i is j for j in backward.call.context.ifs) and _within(i, body.node)]
    if conditions:
        test = " ".join(ast.unparse(conditions[-1].test).split())
        return [f"gradient accumulation: backward runs every iteration, the optimizer steps only when "
                f"`{test}` (line {conditions[-1].lineno})"]
    return []


def _loops_inside(site: Site, outer: Loop | Function) -> tuple[Loop, ...]:
    """The loops around `site` that are nested inside `outer`."""
    loops = site.call.context.loops
    index = next((i for i, l in enumerate(loops) if l is outer), None)
    return loops[index + 1:] if index is not None else ()


def _within(node: ast.AST, outer: ast.AST) -> bool:
    return any(n is node for n in ast.walk(outer))


def _definition_context(body: _Body) -> Context:
    """The context a loop's enclosing function is defined in (its class, for a method)."""
    function = body.context.function
    found = next((c for f, c in body.view.outline.functions if f is function), None)
    return found if found is not None else Context()


def _name(body: _Body) -> str:
    assert isinstance(body.node, (ast.FunctionDef, ast.AsyncFunctionDef))
    return body.node.name


def _clears_grads_by_hand(node: ast.AST) -> bool:
    """`w.grad.zero_()`, `p.grad = None`: gradients cleared without zero_grad()."""
    for inner in ast.walk(node):
        if isinstance(inner, ast.Call) and isinstance(inner.func, ast.Attribute) and inner.func.attr == "zero_" and \
                isinstance(inner.func.value, ast.Attribute) and inner.func.value.attr == "grad":
            return True
        if isinstance(inner, ast.Assign) and any(isinstance(t, ast.Attribute) and t.attr == "grad" for t in inner.targets):
            return True
    return False


def _function_name(context: Context) -> str | None:
    if context.function is None:
        return None
    owner = f"{context.cls.name}." if context.cls is not None else ""
    return f"{owner}{context.function.name}"


def _uncalled(repo: Repo, body: _Body) -> TrainingLoop:
    """A step function no analyzed loop calls: shown at its `def`, as probably a loop's body."""
    view, function = body.view, body.node
    assert isinstance(function, (ast.FunctionDef, ast.AsyncFunctionDef))
    steps = tuple(_step(view, f) for f in sorted(body.found, key=Found.runs_at))
    why = f"{function.name}() runs backward and step once; the loop that calls it is not in the analyzed files"
    owner = f"{body.context.cls.name}." if body.context.cls is not None else ""
    return TrainingLoop(view.at(function), view.outline.line_text(function.lineno), f"{owner}{function.name}",
                        steps, _notes(body, [], body.found), False, why, kinds.STEPS["training-loop"])
