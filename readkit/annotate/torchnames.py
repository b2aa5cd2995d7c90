"""The names `from torch... import *` brings in, read from the installed torch.

Only files with a star import from torch pay for this (torch is imported once per
process, lazily); everything else resolves names from the source alone.
"""

from __future__ import annotations

import functools
import importlib


@functools.cache
def exported(module: str) -> frozenset[str]:
    """Public names of a torch module (its __all__, else its non-underscore names)."""
    if module != "torch" and not module.startswith("torch."):
        return frozenset()
    try:
        loaded = importlib.import_module(module)
    except Exception:  # a torch build without that submodule: nothing comes in
        return frozenset()
    names = getattr(loaded, "__all__", None)
    if names is None:
        names = [n for n in dir(loaded) if not n.startswith("_")]
    return frozenset(str(n) for n in names)
