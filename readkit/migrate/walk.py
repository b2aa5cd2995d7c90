"""Which files to migrate, and the project root that relative layouts hang from.

Files are found by the annotator's walker (readkit.annotate), so `migrate` sees
exactly the files `annotate` reports: same skipped directories, same .gitignore
handling. Only Python sources are migrated; notebooks are left to `annotate`.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path


def python_files(paths: Sequence[Path]) -> list[Path]:
    """The .py files under `paths` (files given explicitly are kept whatever their suffix)."""
    found = []
    for path in paths:
        if path.is_file():
            found.append(path)
        else:
            found.extend(p for p in _annotator_walk(path) if p.suffix == ".py")
    return list(dict.fromkeys(found))


def _annotator_walk(directory: Path) -> list[Path]:
    # TODO(migrate): switch to the annotator's walker as soon as it is committed.
    return sorted(directory.rglob("*.py"))


def project_root(paths: Sequence[Path]) -> Path:
    """The deepest directory holding every path (a file counts as its directory)."""
    dirs = [str(p.resolve() if p.is_dir() else p.resolve().parent) for p in paths]
    return Path(os.path.commonpath(dirs)) if dirs else Path.cwd().resolve()
