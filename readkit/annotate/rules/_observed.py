"""What a run saw on a line, read for the rules: the ranks of the tensors made there
(`readkit migrate --run` observations; shapes as `readkit check` records them)."""

from __future__ import annotations

import re

SHAPE = re.compile(r"\[([^\]]*)\]")


def observed_ranks(shapes: tuple[str, ...]) -> set[int]:
    """Ranks of observed shapes such as 'float32[64, 10] cpu' (-> 2) or 'float32[] cpu' (-> 0)."""
    ranks = set()
    for shape in shapes:
        found = SHAPE.search(shape)
        if found is not None:
            inside = found.group(1).strip()
            ranks.add(len(inside.split(",")) if inside else 0)
    return ranks
