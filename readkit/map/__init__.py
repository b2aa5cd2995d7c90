"""`readkit map PATH`: the ten-minute map of a repository.

Public API: `map_paths` (api.py); `annotate_mapped_files` (annotated.py), the annotations
behind the HTML report's file pages; the result types are in readkit.results.map.
"""

from __future__ import annotations

from readkit.map.annotated import annotate_mapped_files
from readkit.map.api import MapInputError, map_paths

__all__ = ["MapInputError", "annotate_mapped_files", "map_paths"]
