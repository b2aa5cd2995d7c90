"""readkit: read third-party PyTorch code, and prove what it says by running it.

The public library API. Everything here loads lazily, so that `readkit --help`
and `import readkit` stay instant (no torch, no libcst until a function is used).
"""

from __future__ import annotations

import importlib
from typing import Any

from readkit.version import __version__

__all__ = [
    "__version__",
    "run_reference",
    "annotate_source",
    "annotate_paths",
    "check_target",
    "migrate_paths",
]

_LAZY = {
    "run_reference": "readkit.reference",
    "annotate_source": "readkit.annotate",
    "annotate_paths": "readkit.annotate",
    "check_target": "readkit.check",
    "migrate_paths": "readkit.migrate",
}


# Results show themselves in notebooks through formatters that presentation registers
# (results are the bottom layer and cannot import render): see readkit/results/display.py.
import readkit.render.display  # noqa: E402,F401  (registers formatters; imports no torch or libcst)


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'readkit' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(__all__)
