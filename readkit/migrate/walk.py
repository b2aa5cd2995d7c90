"""Which files to migrate, and the project root that relative layouts hang from.

Files are found by the annotator's walker (readkit.annotate), so `migrate` sees
exactly the files `annotate` reports: same skipped directories, same .gitignore
handling: Python sources and notebooks (.ipynb, whose code cells are migrated in place).
"""

from __future__ import annotations

import os
import stat
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from readkit.annotate.files import Found


def python_files(paths: Sequence[Path]) -> list[Found]:
    """The .py and .ipynb files under `paths` (files given explicitly are kept whatever their suffix), and
    what could not be walked (an unreadable folder, a symlink loop) with its problem."""
    from readkit.annotate.files import find_sources

    explicit = {p for p in paths if not _is_dir(p)}
    unique: dict[Path, Found] = {}
    for found in find_sources(paths):
        if found.problem is not None:
            unique.setdefault(Path(os.path.abspath(found.path)), found)
        elif found.path in explicit or found.path.suffix in (".py", ".ipynb"):
            unique.setdefault(found.path.resolve(), found)  # a file named twice (itself and its folder) is one file
    return list(unique.values())


def _is_dir(path: Path) -> bool:
    """A folder (False for what cannot be looked at: find_sources reports it)."""
    try:
        return stat.S_ISDIR(path.stat().st_mode)
    except OSError:
        return False


def project_root(paths: Sequence[Path]) -> Path:
    """The deepest directory holding every path (a file counts as its directory)."""
    dirs = [os.path.realpath(p) if _is_dir(p) else os.path.dirname(os.path.realpath(p)) for p in paths]
    return Path(os.path.commonpath(dirs)) if dirs else Path.cwd().resolve()
