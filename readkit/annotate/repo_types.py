"""What the repository index knows about a file and about a class: plain data, no parser.

Kept apart from the engine and the scopes (which need libcst) so that a re-run served
from the cache (`cache.py`, `repo.py`, `api.py`) never imports the parser.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ModuleInfo:
    """Where a file sits in its repository: for relative imports and the repo's own classes."""

    name: str = ""  # dotted module name ("proj.models"), "" when unknown
    is_package: bool = False  # an __init__.py
    repo: object | None = None  # repo.RepoIndex, when a directory is analyzed


@dataclass(frozen=True)
class ExternalClass:
    """A class defined in another file of the analyzed repository (see repo.py)."""

    key: str
    torch_base: str | None
    methods: frozenset[str]
    returns_tuple: bool = False
    attrs: tuple[tuple[str, str], ...] = ()  # self.X = torch.producer(...) in its methods: (X, producer)
