"""`readkit map`'s library entry: paths in, a `RepoMap` out.

    map_paths(["repo/"]) -> RepoMap(entry_points, reading_order, models, constructions, loops, uses, ...)

One annotator walk per file (readkit.annotate.facts) says what each call calls; Python's
`ast` says where each call sits; the sections are read from the two joined.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

from readkit.annotate.facts import facts_for_paths
from readkit.map import index
from readkit.map.built import find_constructions
from readkit.map.entries import find_entry_points, reading_order
from readkit.map.loops import find_loops
from readkit.map.model import RepoMap
from readkit.map.models import find_models
from readkit.map.registry import find_registries
from readkit.map.uses import find_uses


class MapInputError(ValueError):
    """A path that does not exist: the message names it."""


def map_paths(paths: Sequence[str | os.PathLike[str]], *, jobs: int | None = None) -> RepoMap:
    """The map of the Python files and notebooks under `paths`."""
    roots = [Path(p) for p in paths]
    missing = [str(p) for p in roots if not p.exists()]
    if missing:
        raise MapInputError(f"no such file or directory: {', '.join(missing)}")
    repo = index.build(facts_for_paths(roots, jobs=jobs), roots)
    registries = find_registries(repo)
    models = find_models(repo, registries)
    loops = find_loops(repo)
    uses = find_uses(repo)
    entries = find_entry_points(repo)
    root = str(roots[0]) if len(roots) == 1 else ", ".join(map(str, roots))
    return RepoMap(root=root, files=len(repo.files), entry_points=entries,
                   reading_order=reading_order(repo, entries, models, loops, uses), models=models,
                   constructions=find_constructions(repo), loops=loops, uses=uses, problems=tuple(repo.problems))
