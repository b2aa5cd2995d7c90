"""`readkit map`'s library entry: paths in, a `RepoMap` out.

    map_paths(["repo/"]) -> RepoMap(entry_points, reading_order, models, constructions, loops, uses, ...)

One annotator walk per file (readkit.annotate.facts) says what each call calls; Python's
`ast` says where each call sits; the sections are read from the two joined.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from pathlib import Path

from readkit.annotate.facts import facts_for_paths
from readkit.results.check import CheckResult
from readkit.map import index
from readkit.map.built import find_constructions
from readkit.map.entries import find_entry_points, reading_order
from readkit.map.loops import find_loops
from readkit.results.map import RepoMap
from readkit.map.models import find_models
from readkit.map.registry import find_registries
from readkit.map.run import run_summary, with_run
from readkit.map.uses import find_uses


class MapInputError(ValueError):
    """A path that does not exist, or a --run script that cannot be run: the message says which and why."""


def map_paths(paths: Sequence[str | os.PathLike[str]], *, jobs: int | None = None,
              run: str | os.PathLike[str] | None = None, timeout: float = 600.0,
              progress: Callable[[int, int], None] | None = None) -> RepoMap:
    """The map of the Python files and notebooks under `paths`; with `run`, that script is run
    under `readkit check` (it runs the code: treat it like running it yourself) and what it saw
    is added. `progress(done, total)` is called as each file is read."""
    roots = [Path(p) for p in paths]
    missing = [str(p) for p in roots if not p.exists()]
    if missing:
        raise MapInputError(f"no such file or directory: {', '.join(missing)}")
    checked = _check(run, timeout) if run is not None else None
    repo = index.build(facts_for_paths(roots, jobs=jobs, progress=progress), roots)
    models = find_models(repo, find_registries(repo))
    loops = find_loops(repo)
    if checked is not None:
        models, loops = with_run(repo, checked, models, loops)
    uses = find_uses(repo)
    entries = find_entry_points(repo)
    root = str(roots[0]) if len(roots) == 1 else ", ".join(map(str, roots))
    return RepoMap(root=root, files=len(repo.files), entry_points=entries,
                   reading_order=reading_order(repo, entries, models, loops, uses), models=models,
                   constructions=find_constructions(repo), loops=loops, uses=uses, problems=tuple(repo.problems),
                   run=run_summary(checked) if checked is not None else None)


def _check(script: str | os.PathLike[str], timeout: float) -> CheckResult:
    from readkit.check import TargetError, check_target

    try:
        return check_target(Path(script), quiet=True, timeout=timeout, reconcile=False)
    except TargetError as error:
        raise MapInputError(str(error)) from None
