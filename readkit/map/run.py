"""`readkit map --run SCRIPT`: what a run under `readkit check` saw, added to the map: the
losses backward saw (on the training loop that ran), the output shapes seen on the lines
that call each model, and each model's parameter count (total and trainable) as the checker
counted the first instance of its class that the run built."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from readkit.results.check import BuiltModule, CheckResult, LineObservation
from readkit.map.index import Repo
from readkit.results.map import Model, RunSummary, TrainingLoop

MAX_SHAPES = 4


def run_summary(result: CheckResult) -> RunSummary:
    message = result.failure.message if result.failure is not None else None
    return RunSummary(result.target, result.status, result.losses, message)


def with_run(repo: Repo, result: CheckResult, models: tuple[Model, ...],
             loops: tuple[TrainingLoop, ...]) -> tuple[tuple[Model, ...], tuple[TrainingLoop, ...]]:
    seen = {(str(Path(o.path).resolve()), o.line): o for o in result.lines}
    real = {f.display: str(Path(f.facts.path).resolve()) for f in repo.files}
    shaped = tuple(_counted(replace(m, shapes=_shapes(repo, m, seen)), real, result.modules) for m in models)
    reached = [l for l in loops if any((real.get(s.where.path), s.where.line) in seen
                                       for s in l.steps if s.kind == "backward")]
    if len(reached) == 1:  # the losses backward saw belong to the one loop that ran backward
        loops = tuple(replace(l, losses=result.losses) if l is reached[0] else l for l in loops)
    return shaped, loops


def _shapes(repo: Repo, model: Model, seen: dict[tuple[str, int], LineObservation]) -> tuple[str, ...]:
    key = next((k for k, e in repo.classes.items() if e.fact.name == model.name and e.file.at(e.node) == model.where), None)
    found: list[str] = []
    for site in repo.sites():
        callee = site.callee
        if key is None or callee is None or callee.kind != "obj" or callee.user_class != key:
            continue
        observed = seen.get((str(Path(site.file.facts.path).resolve()), site.line))
        for shape in observed.shapes if observed is not None else ():
            if shape not in found and len(found) < MAX_SHAPES:
                found.append(shape)
    return tuple(found)


def _counted(model: Model, real: dict[str, str], built: tuple[BuiltModule, ...]) -> Model:
    """The model with the parameter counts of its class's first counted instance (its class is the
    one of that name in the model's own file)."""
    defined = real.get(model.where.path)
    for found in sorted(built, key=lambda b: (b.path, b.line)):
        same_class = found.cls.rpartition(".")[2] == model.name and str(Path(found.class_path).resolve()) == defined
        if same_class and found.parameters is not None:
            return replace(model, parameters=found.parameters, trainable=found.trainable)
    return model
