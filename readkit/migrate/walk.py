"""Which files to migrate, and the project root that relative layouts hang from.

Files are found by the annotator's walker (readkit.annotate), so `migrate` sees
exactly the files `annotate` reports: same skipped directories, same .gitignore
handling: Python sources and notebooks (.ipynb, whose code cells are migrated in place).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path


def python_files(paths: Sequence[Path]) -> list[Path]:
    """The .py and .ipynb files under `paths` (files given explicitly are kept whatever their suffix)."""
    from readkit.annotate.files import discover

    explicit = {p for p in paths if not p.is_dir()}
    unique: dict[Path, Path] = {}
    for path in discover(paths):
        if path in explicit or path.suffix in (".py", ".ipynb"):
            unique.setdefault(path.resolve(), path)  # a file named twice (itself and its folder) is one file
    return list(unique.values())


def project_root(paths: Sequence[Path]) -> Path:
    """The deepest directory holding every path (a file counts as its directory)."""
    dirs = [str(p.resolve() if p.is_dir() else p.resolve().parent) for p in paths]
    return Path(os.path.commonpath(dirs)) if dirs else Path.cwd().resolve()
