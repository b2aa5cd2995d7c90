"""Terminal colours: one per role, taken from readkit.roles (Role.color).

Colour is applied only when the caller says so (`color=True`, decided by the CLI
from --color/--no-color or whether stdout is a terminal); otherwise the text is
returned unchanged, so no ANSI code ever reaches a file or a pipe.
"""

from __future__ import annotations

import click

from readkit.roles import ROLES

LEGACY_COLOR = "red"
ERROR_COLOR = "red"
DIM_COLOR = "bright_black"


def role_color(role: str) -> str:
    """The click colour name of a role; unknown roles get the neutral colour."""
    known = ROLES.get(role)
    return known.color if known is not None else "white"


def paint(text: str, fg: str | None, *, color: bool, bold: bool = False) -> str:
    """`text` in colour `fg` when `color` is on, else exactly `text`."""
    if not color or (fg is None and not bold):
        return text
    return click.style(text, fg=fg, bold=bold)


def role_tag(role: str, *, color: bool) -> str:
    """`[role]`, coloured by the role."""
    return paint(f"[{role}]", role_color(role), color=color, bold=True)


def dim(text: str, *, color: bool) -> str:
    return paint(text, DIM_COLOR, color=color)
