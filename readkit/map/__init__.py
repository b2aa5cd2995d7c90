"""`readkit map PATH`: the ten-minute map of a repository.

Public API: `map_paths` (api.py), `enrich_with_run` (run.py), the result types in model.py.
"""

from __future__ import annotations

from readkit.map.api import MapInputError, map_paths

__all__ = ["MapInputError", "map_paths"]
