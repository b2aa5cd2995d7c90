"""The annotate result of the files a map reads, each under the path the map gives it, so
that the HTML report's file pages are named as the map's links say
(readkit.render.html.write_map_report)."""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

from readkit.annotate import AnnotateCache, annotate_paths
from readkit.map.index import display_path
from readkit.results.annotate import AnnotateResult


def annotate_mapped_files(paths: Sequence[str | os.PathLike[str]], *, jobs: int | None = None,
                          cache: AnnotateCache | None = None) -> AnnotateResult:
    """`readkit annotate` of `paths` (legacy idioms included), with map paths: `train.py`, not
    `repo/train.py`, when `repo/` is the directory mapped."""
    roots = [Path(p) for p in paths]
    result = annotate_paths(roots, jobs=jobs, cache=cache)
    return replace(result, files=tuple(replace(f, path=display_path(f.path, roots)) for f in result.files))
