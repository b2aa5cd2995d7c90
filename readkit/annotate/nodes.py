"""Is this value a libcst node? Asked for every field of every node by each walk (the
walker's, positions', the rules' scope index), so answered once per type."""

from __future__ import annotations

import libcst as cst

_NODE_TYPES: dict[type, bool] = {}


def is_node(kind: type) -> bool:
    """isinstance against libcst's abstract CSTNode is an ABC check (slow); a value's type decides it once."""
    found = _NODE_TYPES.get(kind)
    if found is None:
        found = _NODE_TYPES[kind] = issubclass(kind, cst.CSTNode)
    return found
