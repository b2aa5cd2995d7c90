from __future__ import annotations

import functools
from pathlib import Path

from readkit.map import map_paths
from readkit.results.map import RepoMap

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "map"


@functools.cache
def fixture_map(name: str) -> RepoMap:
    """The map of one fixture directory (computed once per test session)."""
    return map_paths([FIXTURES / name], jobs=1)
