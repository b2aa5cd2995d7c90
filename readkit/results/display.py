"""How a result shows itself in a notebook or a terminal, without importing render.

Results are the bottom layer and import no other part of readkit, so they cannot call
readkit.render themselves. The dependency is inverted: presentation registers a formatter
per (result type, kind) here, and a result's `__str__` / `_repr_html_` / `_repr_markdown_`
asks `show(self, kind)`. `readkit.render.display` registers readkit's own formatters, and
`import readkit` (the package root, the top of the stack) loads it. Without a registered
formatter, `show` answers None: IPython then falls back to the next representation, and
`__str__` to the dataclass repr.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Literal

Kind = Literal["text", "html", "markdown"]
Formatter = Callable[[Any], str]

_FORMATTERS: dict[tuple[type, Kind], Formatter] = {}


def register(cls: type, kind: Kind, formatter: Formatter) -> None:
    """Show instances of `cls` (and its subclasses) as `kind` with `formatter`."""
    _FORMATTERS[(cls, kind)] = formatter


def show(obj: object, kind: Kind) -> str | None:
    """`obj` formatted as `kind` by the formatter registered for its type, or None."""
    for cls in type(obj).__mro__:
        formatter = _FORMATTERS.get((cls, kind))
        if formatter is not None:
            return formatter(obj)
    return None
